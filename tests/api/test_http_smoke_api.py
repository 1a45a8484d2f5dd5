"""http_smoke through the HTTP API: verdicts, bad args, refusals and redaction, against a local target."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.network_guard import StubResolver, loopback_only  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest.fixture
async def api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with one smoke check whose {{ svc }}.shop.svc names a stub-resolved address."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "canary": request.headers.get("X-Canary")})

    target = web.Application()
    target.router.add_get("/healthz", health)
    server = await aiohttp_server(target)
    catalog = build_catalog([("test.yaml", {"checks": [{
        "name": "smoke", "kind": "http_smoke", "base_url": f"http://{{{{ svc }}}}.shop.svc:{server.port}",
        "params": {"svc": {"type": "dns_label", "required": True}},
        "headers": {"X-Canary": "always", "Authorization": "Bearer s3cret"},
        "steps": [{"name": "health", "path": "/healthz", "retries": 0,
                   "expect": {"json": [{"path": "$.canary", "equals": "always"}]}}]}]})], Registry.default())
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"preview.shop.svc": ["127.0.0.1"], "metadata.shop.svc": ["169.254.169.254"]})
    return await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))


class TestRun:
    """Verdicts and errors map to the documented HTTP statuses and bodies."""

    async def test_pass_with_step_evidence(self, api):
        response = await api.get("/api/v1/checks/smoke/run", params={"svc": "preview", "explain": "true"})
        body = await response.json()
        assert response.status == 200, body
        assert body["verdict"] == "pass"
        assert body["details"]["steps"][0]["status"] == 200
        assert body["details"]["steps"][0]["request"]["headers"]["Authorization"] == "<redacted>"

    @pytest.mark.parametrize("svc", ["evil.com@preview", "preview#", "..", "preview\r\nHost: evil", "preview.evil.com"])
    async def test_hostile_host_args_are_400(self, api, svc):
        response = await api.get("/api/v1/checks/smoke/run", params={"svc": svc})
        body = await response.json()
        assert response.status == 400
        assert body["error"] == "bad_arg" and body["arg"] == "svc"

    async def test_metadata_address_is_refused_as_an_error(self, api):
        response = await api.get("/api/v1/checks/smoke/run", params={"svc": "metadata"})
        body = await response.json()
        assert response.status == 500
        assert (body["verdict"], body["error"]) == ("error", "target_refused")
        assert "169.254.169.254 is a cloud metadata address" in body["reason"]

    async def test_unknown_name_is_unreachable(self, api):
        response = await api.get("/api/v1/checks/smoke/run", params={"svc": "nowhere"})
        body = await response.json()
        assert response.status == 503
        assert body["error"] == "target_unreachable"


class TestDefinition:
    """The definition shows the check as written, credentials hidden."""

    async def test_credentials_are_redacted(self, api):
        body = await (await api.get("/api/v1/checks/smoke")).json()
        assert body["headers"] == {"X-Canary": "always", "Authorization": "<redacted>"}
