"""A verdict page of a check with a secret arg: the secret is not on the page, and no plot is drawn from a query
that holds it as <redacted>."""

from __future__ import annotations

import html
import re

import pytest

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.ui.support import checks

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(aiohttp_client, prometheus):
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    # The same check with its label value a secret: what a tenant id that must not be shown would be.
    secret = {
        **error_rate,
        "name": "secret-error-rate",
        "params": {"canary_hash": {"type": "label_value", "secret": True, "required": True}},
    }
    secret["query"] = error_rate["query"].replace('="{{ canary_hash }}"', '!="{{ canary_hash }}"')
    catalog = build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus.url}}, "checks": [secret]})], Registry.default()
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestSecretArgs:
    """A page has no secret to send: a query that holds one as <redacted> is not sent to plot other series."""

    async def test_a_query_holding_a_secret_is_not_plotted(self, client, prometheus):
        answer = await client.get(
            f"/api/v1/checks/secret-error-rate/run?canary_hash=healthy1&at={prometheus.anchor}&explain=true"
        )
        body = await answer.json()
        assert body["details"]["queries"][0].count('!="<redacted>"') == 2
        page = await (await client.get(body["ui_url"])).text()
        assert "healthy1" not in page
        # Sent, `!="<redacted>"` would match every pod: broken1's and idle1's lines drawn as this answer's evidence.
        assert "which a page never sends again" in page
        assert "<polyline" not in page


@pytest.fixture
async def tenant_client(aiohttp_client, prometheus):
    """The error-rate check with its label value a secret, selected with `=`: each secret its own pods."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    secret = {
        **error_rate,
        "name": "tenant-error-rate",
        "params": {"canary_hash": {"type": "label_value", "secret": True, "required": True}},
    }
    catalog = build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus.url}}, "checks": [secret]})], Registry.default()
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestAnotherSecret:
    """A run with a secret arg is never answered by a recorded answer: the history holds every secret as
    <redacted>, so one recorded with another secret would look the same."""

    async def test_a_form_with_another_secret_at_a_recorded_time_is_evaluated(self, tenant_client, prometheus):
        client = tenant_client
        recorded = await client.get(f"/api/v1/checks/tenant-error-rate/run?canary_hash=healthy1&at={prometheus.anchor}")
        assert (await recorded.json())["verdict"] == "pass"
        origin = f"http://{client.server.host}:{client.server.port}"
        page = await client.post(
            "/ui/checks/tenant-error-rate/run",
            data={"canary_hash": "broken1", "at": str(prometheus.anchor)},
            headers={"Origin": origin},
        )
        text = await page.text()
        # Was healthy1's recorded PASS, shown as the answer for broken1 (10% 5xx).
        assert 'id="verdict">FAIL<' in text
        assert "Evaluated again as of" in text
        # Its link (<redacted> in the address) now matches both answers: the page names the one it does not show.
        linked = await (await client.get((await recorded.json())["ui_url"])).text()
        assert "The answer as this replica recorded it" in linked
        also = linked.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert "holds 2 answers for this address" in also
        assert re.search(r'<a href="/ui/verdicts/\d+">PASS \(verdict \d+\)</a>', also)

    async def test_a_link_matching_answers_that_differ_names_the_others(self, tenant_client, prometheus):
        client = tenant_client
        run = f"/api/v1/checks/tenant-error-rate/run?at={prometheus.anchor}&canary_hash="
        healthy = await (await client.get(run + "healthy1")).json()
        broken = await (await client.get(run + "broken1")).json()
        assert healthy["ui_url"] == broken["ui_url"]  # the secret is <redacted> in both
        page = await (await client.get(healthy["ui_url"])).text()
        assert 'id="verdict">FAIL<' in page
        # Was broken1's FAIL alone, as if the link of healthy1's PASS had no other answer.
        also = page.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert re.search(r'<a href="/ui/verdicts/\d+">PASS \(verdict \d+\)</a>', also)


@pytest.fixture
async def login_client(aiohttp_client):
    """A check with a secret password, which a link may carry split at an unescaped '&'."""
    params = {"password": {"type": "label_value", "required": True, "secret": True}}
    check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
    return await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))


class TestSecretPieces:
    """The rest of a secret arg split at an '&' is named by no refusal of the run page, as by none of the API."""

    @pytest.mark.parametrize(
        ("query", "problem"),
        [
            ("password=p0ss&w0rd-rest-91&w0rd-rest-91", " and is given 2 times"),
            ("password=p0ss&w0rd-rest%E9-91", " and is not clean UTF-8 text"),
        ],
    )
    async def test_the_refusal_does_not_name_the_rest(self, login_client, query, problem):
        page = await login_client.get(f"/ui/checks/login/run?{query}")
        text = html.unescape(await page.text())
        assert page.status == 400
        assert f"an undeclared arg follows secret arg 'password'{problem}; its name is not shown" in text
        assert "w0rd-rest" not in text and "p0ss" not in text

    async def test_a_repeated_arg_that_follows_no_secret_is_named(self, login_client):
        page = await login_client.get("/ui/checks/login/run?w0rd=1&w0rd=2&password=p0ss")
        assert "arg 'w0rd' is given 2 times; give it once" in html.unescape(await page.text())
