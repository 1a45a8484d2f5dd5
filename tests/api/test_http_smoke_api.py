"""http_smoke through the HTTP API: verdicts, bad args, refusals and redaction, against a local target."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import pytest
from aiohttp import web
from structlog.testing import capture_logs

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
    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        {
                            "name": "smoke",
                            "kind": "http_smoke",
                            "base_url": f"http://{{{{ svc }}}}.shop.svc:{server.port}",
                            "params": {"svc": {"type": "dns_label", "required": True}},
                            "headers": {"X-Canary": "always", "Authorization": "Bearer s3cret"},
                            "steps": [
                                {
                                    "name": "health",
                                    "path": "/healthz",
                                    "retries": 0,
                                    "expect": {"json": [{"path": "$.canary", "equals": "always"}]},
                                }
                            ],
                        }
                    ]
                },
            )
        ],
        Registry.default(),
    )
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


class TestNoBacktest:
    """A smoke check sends its requests now: an `at` in the past is refused, not answered as of then."""

    async def test_a_past_at_is_a_bad_arg(self, api):
        response = await api.get("/api/v1/checks/smoke/run", params={"svc": "preview", "at": "2026-01-01T00:00:00Z"})
        body = await response.json()
        assert (response.status, body["error"], body["arg"]) == (400, "bad_arg", "at")
        assert "measures only the present" in body["message"]

    async def test_a_verdict_page_whose_answer_is_gone_says_so_instead_of_evaluating_now(self, api):
        page = await api.get("/ui/checks/smoke/run", params={"svc": "preview", "at": "2026-01-01T00:00:00Z"})
        text = html.unescape(await page.text())
        assert "measures only the present" in text
        assert "its 1 step passed" not in text


class TestDefinition:
    """The definition shows the check as written, credentials hidden."""

    async def test_credentials_are_redacted(self, api):
        body = await (await api.get("/api/v1/checks/smoke")).json()
        assert body["headers"] == {"X-Canary": "always", "Authorization": "<redacted>"}


TOKEN = "tok-8f3a9c2e7b1d"


@pytest.fixture
async def login_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with checks that capture a token from a login answer and send it on."""

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"token": TOKEN, "user": "smoke"})

    async def whoami(request: web.Request) -> web.Response:
        # Echoes what it was sent, as many services do in errors and debug endpoints.
        return web.json_response(
            {
                "auth": request.headers.get("Authorization"),
                "trace": request.headers.get("X-Trace"),
                "path": request.path,
                "query": request.query_string,
            }
        )

    target = web.Application()
    target.router.add_post("/login", login)
    target.router.add_get("/whoami/{tail:.*}", whoami)
    server = await aiohttp_server(target)

    def check(name: str, whoami_expect: dict[str, Any], secret: bool | None = None) -> dict[str, Any]:
        capture: dict[str, Any] = {"json": "$.token"} if secret is None else {"json": "$.token", "secret": secret}
        return {
            "name": name,
            "kind": "http_smoke",
            "base_url": f"http://app.shop.svc:{server.port}",
            "steps": [
                {"name": "login", "method": "POST", "path": "/login", "retries": 0, "capture": {"token": capture}},
                {
                    "name": "whoami",
                    "path": "/whoami/{{ token }}",
                    "query": {"t": "{{ token }}"},
                    "retries": 0,
                    "headers": {"Authorization": "Bearer {{ token }}", "X-Trace": "{{ token }}"},
                    "expect": whoami_expect,
                },
            ],
        }

    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        check("token-pass", {"status": [200]}),
                        check("token-fail", {"json": [{"path": "$.trace", "equals": "something else"}]}),
                        check("token-error", {"body_regex": "^(a|aa)+$", "headers": {"x-none": {"exists": True}}}),
                        check("token-shown", {"status": [200]}, secret=False),
                    ]
                },
            )
        ],
        Registry.default(),
    )
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    return await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))


class TestCapturedSecrets:
    """A value captured from an answer and sent on is redacted in every answer, in history and in logs."""

    @pytest.mark.parametrize(("check", "verdict"), [("token-pass", "pass"), ("token-fail", "fail")])
    async def test_the_token_never_appears(self, login_api, check, verdict):
        with capture_logs() as logs:
            response = await login_api.get(f"/api/v1/checks/{check}/run", params={"explain": "true"})
            text = await response.text()
        assert json.loads(text)["verdict"] == verdict, text
        history = await (await login_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        junk = [text, history, json.dumps(logs, default=str)]
        assert all(TOKEN not in seen for seen in junk), [seen for seen in junk if TOKEN in seen]
        assert all(TOKEN[4:] not in seen for seen in junk)
        body = json.loads(text)
        whoami = body["details"]["steps"][1]
        assert whoami["request"]["url"].endswith("/whoami/<redacted>?t=<redacted>")
        assert whoami["request"]["headers"] == {"Authorization": "<redacted>", "X-Trace": "<redacted>"}
        assert '"token": "<redacted>"' in body["details"]["steps"][0]["body"]
        if verdict == "fail":
            assert body["reason"] == (
                'step \'whoami\' (2/2) failed: json $.trace equals: expected "something else", got "<redacted>"'
            )

    async def test_an_error_after_the_capture_hides_the_token_too(self, login_api, monkeypatch):
        from analyzer.errors import TargetBadAnswer
        from checks.http_smoke import judge

        def refusing(pattern: str, text: str, what: str) -> bool:
            raise TargetBadAnswer(f"{what}: pattern ran too long on {text[:200]}")

        monkeypatch.setattr(judge, "_search", refusing)
        response = await login_api.get("/api/v1/checks/token-error/run", params={"explain": "true"})
        text = await response.text()
        assert json.loads(text)["verdict"] == "error", text
        history = await (await login_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        assert TOKEN not in text and TOKEN not in history
        assert "<redacted>" in json.loads(text)["reason"]

    async def test_a_capture_may_opt_out(self, login_api):
        body = await (await login_api.get("/api/v1/checks/token-shown/run", params={"explain": "true"})).json()
        assert body["verdict"] == "pass"
        assert body["details"]["steps"][1]["request"]["headers"] == {"Authorization": "<redacted>", "X-Trace": TOKEN}


BEARER = "brr-51c0ffee-9d2b"
BASIC_PASSWORD = "pw-hunter2-7e1f"
API_KEY = "key-4b8d2a6c"
PASSWORD = "pass-0c9e3f1a"
NOTE = "note-6a2f8e0d"
SESSION = "sess-3d7a1b9f"
# The user info of a URL a target redirects to: a password it hands over, as a session in a query would be.
HOP_USER_INFO = "svc-user:hop-pw-5e2c"
# A user info whose password holds an unencoded '/': what httpx's error about its "port" would quote.
SLASH_USER_INFO = "svc-user:pw7k/c9d2"
# A session cookie the catalog sends beside one that is no secret: a server quotes each cookie's value alone.
COOKIE_SESSION = "ck-7d41b2e0a9"
SENT_SECRETS = (BEARER, BASIC_PASSWORD, API_KEY, PASSWORD, NOTE, SESSION)


@pytest.fixture
async def echo_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with a check whose configured credentials a failing target echoes back."""

    async def echo(request: web.Request) -> web.Response:
        # What a debug endpoint or a verbose 4xx does: quote the request back, decoded Basic credentials too.
        basic = request.headers.get("X-Upstream", "").partition(" ")[2]
        text = json.dumps(
            {
                "headers": dict(request.headers),
                "basic": base64.b64decode(basic).decode() if basic else None,
                "cookies": dict(request.cookies),
                "url": str(request.url),
                "body": await request.text(),
            }
        )
        return web.Response(status=401, text=text, headers={"X-Seen-Auth": request.headers.get("Authorization", "")})

    async def sso(request: web.Request) -> web.Response:
        # A login hop that hands the session over in the URL it redirects to.
        raise web.HTTPFound(f"/echo?session={SESSION}&next=home")

    async def sso_user_info(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://{HOP_USER_INFO}@{request.host}/echo")

    async def sso_slash_password(request: web.Request) -> web.Response:
        # A password holding an unencoded '/' (which aiohttp's HTTPFound would refuse to send).
        return web.Response(status=302, headers={"Location": f"http://{SLASH_USER_INFO}@{request.host}/echo"})

    async def sso_twice(request: web.Request) -> web.Response:
        raise web.HTTPFound("/sso-again")

    async def sso_again(request: web.Request) -> web.Response:
        # One hop more than the check follows: the Location it stops at is quoted in the reason.
        raise web.HTTPFound(f"http://{HOP_USER_INFO}@{request.host}/echo?session={SESSION}")

    target = web.Application()
    target.router.add_route("*", "/echo", echo)
    target.router.add_get("/sso", sso)
    target.router.add_get("/sso-user-info", sso_user_info)
    target.router.add_get("/sso-again", sso_again)
    target.router.add_get("/sso-twice", sso_twice)
    target.router.add_get("/sso-slash-password", sso_slash_password)
    server = await aiohttp_server(target)
    basic = base64.b64encode(f"smoke:{BASIC_PASSWORD}".encode()).decode()
    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        {
                            "name": "echoed",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "headers": {"Authorization": f"Bearer {BEARER}", "X-Upstream": f"Basic {basic}"},
                            "steps": [
                                {
                                    "name": f"login-{number}",
                                    "method": "POST",
                                    "path": "/echo",
                                    "retries": 0,
                                    "query": {"api_key": API_KEY, "page": "1"},
                                    **body,
                                }
                                for number, body in enumerate(
                                    [
                                        {"text_body": NOTE, "secret_body": True, "expect": {"status": [401]}},
                                        {
                                            "json_body": {"user": "smoke", "login": {"password": PASSWORD}},
                                            "expect": {"headers": {"X-Seen-Auth": {"equals": "nobody"}}},
                                        },
                                    ]
                                )
                            ],
                        },
                        {
                            "name": "redirected",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "steps": [
                                {"name": "hop", "path": "/sso", "retries": 0, "expect": {"status": [302]}},
                                {"name": "follow", "path": "/sso", "retries": 0, "follow_redirects": True},
                            ],
                        },
                        {
                            "name": "redirected-user-info",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "steps": [{"name": "hop", "path": "/sso-user-info", "retries": 0}],
                        },
                        {
                            "name": "followed-user-info",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "steps": [
                                {"name": "hop", "path": "/sso-user-info", "retries": 0, "follow_redirects": True}
                            ],
                        },
                        {
                            "name": "slash-password",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "steps": [
                                {"name": name, "path": "/sso-slash-password", "retries": 0, "follow_redirects": follow}
                                for name, follow in (("hop", False), ("follow", True))
                            ],
                        },
                        {
                            "name": "cookie-echoed",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "headers": {"Cookie": f"theme=dark; sid={COOKIE_SESSION}"},
                            "steps": [{"name": "echo", "path": "/echo", "retries": 0}],
                        },
                        {
                            "name": "too-many-redirects",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "steps": [
                                {
                                    "name": "hop",
                                    "path": "/sso-twice",
                                    "retries": 0,
                                    "follow_redirects": True,
                                    "max_redirects": 1,
                                }
                            ],
                        },
                    ]
                },
            )
        ],
        Registry.default(),
    )
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    return await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))


class TestSentSecrets:
    """Secret values the check sends, echoed back by the target, are redacted in answers, history, pages and logs."""

    async def test_no_echoed_secret_appears(self, echo_api):
        with capture_logs() as logs:
            response = await echo_api.get("/api/v1/checks/echoed/run", params={"explain": "true"})
            text = await response.text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        history = await (await echo_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = await (await echo_api.get(body["ui_url"])).text()
        seen = {"answer": text, "history": history, "page": html.unescape(page), "logs": json.dumps(logs, default=str)}
        leaks = {where: [s for s in SENT_SECRETS if s in shown] for where, shown in seen.items() if shown}
        assert not any(leaks.values()), leaks
        assert [step["outcome"] for step in body["details"]["steps"]] == ["pass", "fail"]
        step = body["details"]["steps"][1]
        # The echo is still evidence: only the secret values in it are hidden.
        assert r"{\"user\":\"smoke\",\"login\":{\"password\":\"<redacted>\"}}" in step["body"]
        # What a secret header is expected to equal is a secret as its value is.
        assert "header X-Seen-Auth equals: expected '<redacted>', got '<redacted>'" in step["failed_assertions"]

    async def test_a_credential_is_secret_by_its_value_whatever_its_header(self, echo_api):
        # `X-Upstream: Basic ...` matches no secret name: its value says what it is.
        shown = await (await echo_api.get("/api/v1/checks/echoed")).json()
        assert shown["headers"] == {"Authorization": "<redacted>", "X-Upstream": "<redacted>"}
        body = await (await echo_api.get("/api/v1/checks/echoed/run", params={"explain": "true"})).json()
        assert body["details"]["steps"][0]["request"]["headers"]["X-Upstream"] == "<redacted>"

    @pytest.mark.parametrize(("step", "where"), [(0, "response_headers"), (1, "redirects")])
    async def test_secret_query_values_of_the_urls_a_target_redirects_to_are_hidden(self, echo_api, step, where):
        response = await echo_api.get("/api/v1/checks/redirected/run", params={"explain": "true"})
        text = await response.text()
        history = await (await echo_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        assert SESSION not in text and SESSION not in history
        shown = json.loads(text)["details"]["steps"][step][where]
        urls = [shown["location"]] if where == "response_headers" else shown
        assert urls[0].endswith("/echo?session=<redacted>&next=home"), urls

    async def shown_everywhere(self, echo_api, check: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The answer of `check`, and where it is shown: the answer, the history and the verdict page."""
        response = await echo_api.get(f"/api/v1/checks/{check}/run", params={"explain": "true"})
        body = json.loads(await response.text())
        history = await (await echo_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = html.unescape(await (await echo_api.get(body["ui_url"])).text())
        return body, {"answer": str(body), "history": history, "page": page}

    async def test_the_user_info_of_a_url_a_target_redirects_to_is_hidden(self, echo_api):
        body, shown = await self.shown_everywhere(echo_api, "redirected-user-info")
        assert body["verdict"] == "fail"
        assert not [where for where, text in shown.items() if "hop-pw" in text]
        location = body["details"]["steps"][0]["response_headers"]["location"]
        assert location.startswith("http://<redacted>@app.shop.svc:"), location

    async def test_a_refused_redirect_with_user_info_does_not_quote_it(self, echo_api):
        body, shown = await self.shown_everywhere(echo_api, "followed-user-info")
        assert (body["verdict"], body["error"]) == ("error", "target_refused")
        assert not [where for where, text in shown.items() if "hop-pw" in text]
        assert "refused http://<redacted>@app.shop.svc:" in body["reason"]

    async def test_a_location_whose_password_holds_a_slash_is_named_not_quoted(self, echo_api):
        with capture_logs() as logs:
            body, shown = await self.shown_everywhere(echo_api, "slash-password")
        shown["logs"] = json.dumps(logs, default=str)
        assert (body["verdict"], body["error"]) == ("error", "target_bad_answer")
        # httpx reads `svc-user:pw7k` as host and port: "Invalid port: 'pw7k'" would quote the password's start.
        assert not [where for where, text in shown.items() if "pw7k" in text or "c9d2" in text]
        assert body["reason"].endswith("invalid answer: Invalid URL in location header: Invalid port.")

    async def test_a_cookie_value_echoed_alone_is_hidden(self, echo_api):
        body, shown = await self.shown_everywhere(echo_api, "cookie-echoed")
        assert body["verdict"] == "fail"
        assert not [where for where, text in shown.items() if COOKIE_SESSION in text]
        # The echoed cookies stand under a secret name (`cookies`): hidden whole, as a request body's would be. That a
        # short cookie value under a name that is no secret (`theme=dark`) is not searched for is
        # tests/unit/test_http_smoke.py's.
        assert '"cookies": "<redacted>"' in body["details"]["steps"][0]["body"]

    async def test_a_redirect_past_max_redirects_is_quoted_without_user_info_or_query(self, echo_api):
        body, shown = await self.shown_everywhere(echo_api, "too-many-redirects")
        assert (body["verdict"], body["error"]) == ("error", "target_bad_answer")
        assert not [where for where, text in shown.items() if "hop-pw" in text or SESSION in text]
        port = body["details"]["base_url"].rpartition(":")[2]
        assert body["reason"].endswith(
            f"more than 1 redirects (the last to http://<redacted>@app.shop.svc:{port}/echo)"
        )


# Secrets an answer holds that the check never sent nor captured, written otherwise than as JSON or a form.
SOAP_PASSWORD = "soap-pw-2c8e1f"
YAML_TOKEN = "yaml-tok-9a3d5b"
FOREIGN_BEARER = "eyJhbGciOiJIUzI1NiJ9.f0re1gn-6e4c"
CSRF_TOKEN = "csrf-0d7f3a2b91"
# What the SOAP check writes in its own body, and asserts must not come back.
WRITTEN_PASSWORD = "wr1tten-pw-5f0a7c"
MARKUP_SECRETS = (SOAP_PASSWORD, YAML_TOKEN, FOREIGN_BEARER, CSRF_TOKEN, WRITTEN_PASSWORD)


@pytest.fixture
async def markup_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with checks whose target answers as SOAP, YAML, echoed header lines and an HTML form."""

    async def soap(request: web.Request) -> web.Response:
        # A SOAP fault quoting the WS-Security header it was sent, and one of its own.
        sent = await request.text()
        text = (
            "<soap:Envelope><soap:Body><soap:Fault><faultstring>bad login</faultstring><detail>"
            f"{sent}<wsse:Password>{SOAP_PASSWORD}</wsse:Password></detail></soap:Fault></soap:Body></soap:Envelope>"
        )
        return web.Response(status=500, text=text, content_type="text/xml")

    async def config(request: web.Request) -> web.Response:
        return web.Response(text=f"service: shop\nupstream:\n  token: {YAML_TOKEN}\n  region: eu\n")

    async def debug(request: web.Request) -> web.Response:
        # A debug endpoint quoting the headers of a request that is not the check's (an upstream call it made).
        text = f"GET /upstream HTTP/1.1\r\nHost: billing\r\nAuthorization: Bearer {FOREIGN_BEARER}\r\n\r\n"
        return web.Response(text=text + f"<pre>retry with: Bearer {FOREIGN_BEARER}</pre>")

    async def form(request: web.Request) -> web.Response:
        page = f'<form><input type="hidden" name="authenticity_token" value="{CSRF_TOKEN}"></form>'
        return web.Response(text=page, content_type="text/html")

    target = web.Application()
    target.router.add_post("/soap", soap)
    target.router.add_get("/config", config)
    target.router.add_get("/debug", debug)
    target.router.add_get("/form", form)
    server = await aiohttp_server(target)
    base = f"http://app.shop.svc:{server.port}"
    envelope = (
        "<soap:Envelope><soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>smoke</wsse:Username>"
        f"<wsse:Password>{WRITTEN_PASSWORD}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header>"
        "<soap:Body><Ping/></soap:Body></soap:Envelope>"
    )

    def check(name: str, step: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "kind": "http_smoke", "base_url": base, "steps": [{"name": "a", "retries": 0, **step}]}

    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        check(
                            "soap",
                            {
                                "method": "POST",
                                "path": "/soap",
                                "headers": {"Content-Type": "text/xml"},
                                "text_body": envelope,
                                "expect": {"status": [500], "body_not_contains": [WRITTEN_PASSWORD]},
                            },
                        ),
                        check("yaml", {"path": "/config", "expect": {"body_contains": ["region: us"]}}),
                        check("debug", {"path": "/debug", "expect": {"body_contains": ["ready"]}}),
                        check("form", {"path": "/form", "expect": {"body_contains": ["ready"]}}),
                    ]
                },
            )
        ],
        Registry.default(),
    )
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    return await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))


class TestSecretsInMarkupAnswers:
    """A secret an answer writes as XML, YAML, a header line or an HTML form's value is hidden in the answer, the
    history, the definition, the verdict page and the logs; the rest of the answer is still evidence."""

    @pytest.mark.parametrize(
        ("check", "shown"),
        [
            ("soap", "<wsse:UsernameToken><redacted></wsse:UsernameToken>"),
            ("yaml", "upstream:\n  token: <redacted>\n  region: eu"),
            ("debug", "Authorization: <redacted>\r\n"),
            ("form", 'name="authenticity_token" value="<redacted>"'),
        ],
    )
    async def test_no_secret_appears(self, markup_api, check, shown):
        with capture_logs() as logs:
            response = await markup_api.get(f"/api/v1/checks/{check}/run", params={"explain": "true"})
            text = await response.text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        history = await (await markup_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = await (await markup_api.get(body["ui_url"])).text()
        definition = await (await markup_api.get(f"/api/v1/checks/{check}")).text()
        seen = {
            "answer": text,
            "history": history,
            "page": html.unescape(page),
            "definition": definition,
            "logs": json.dumps(logs, default=str),
        }
        leaks = {where: [s for s in MARKUP_SECRETS if s in text] for where, text in seen.items()}
        assert not any(leaks.values()), leaks
        assert shown in body["details"]["steps"][0]["body"]

    async def test_the_soap_needle_is_quoted_without_the_password(self, markup_api):
        body = await (await markup_api.get("/api/v1/checks/soap/run")).json()
        assert body["reason"].startswith(
            "step 'a' (1/1) failed: body_not_contains: expected no '<redacted>', got a body with it: <soap:Envelope>"
        )
        shown = await (await markup_api.get("/api/v1/checks/soap")).json()
        assert shown["steps"][0]["expect"]["body_not_contains"] == ["<redacted>"]
        assert "<wsse:UsernameToken><redacted></wsse:UsernameToken>" in shown["steps"][0]["text_body"]


# A big JWT-like token (too long to capture), a token with a control character, one under an object, and one
# with characters every escaping changes: each ends in a marker that must never be shown.
LONG_TOKEN = "eyJhbGciOiJSUzI1NiJ9." + "Q" * 2300 + "longmarker7c1e"
CONTROL_TOKEN = "tok\u0001ctlmarker5d2a9b"
NESTED_TOKEN = "nestedmarker3e8f0a"
ESCAPED_TOKEN = "a/b+c&d'e<f>g esc4marker"


@pytest.fixture
async def unusable_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with checks whose secret captures find values they cannot use, or that come back escaped."""

    async def login(request: web.Request) -> web.Response:
        answers = {
            "long": {"token": LONG_TOKEN},
            "control": {"token": CONTROL_TOKEN},
            "nested": {"auth": {"access_token": NESTED_TOKEN}},
            "escaped": {"token": ESCAPED_TOKEN},
        }
        return web.json_response(answers[request.match_info["check"]])

    async def echo(request: web.Request) -> web.Response:
        # How other services quote a value they were sent: JSON with escaped slashes, lowercase %xx, HTML.
        token = request.headers["X-Token"]
        escaped_slashes = json.dumps(token).replace("/", "\\/")
        lower = "".join(f"%{b:02x}" if not chr(b).isalnum() else chr(b) for b in token.encode())
        return web.Response(text=f"{escaped_slashes} {lower} {html.escape(token)}")

    target = web.Application()
    target.router.add_post("/login/{check}", login)
    target.router.add_get("/echo", echo)
    server = await aiohttp_server(target)
    base = f"http://app.shop.svc:{server.port}"

    def unusable(name: str, path: str) -> dict[str, Any]:
        return {
            "name": name,
            "kind": "http_smoke",
            "base_url": base,
            "steps": [
                {
                    "name": "login",
                    "method": "POST",
                    "path": f"/login/{name}",
                    "retries": 0,
                    "capture": {"token": {"json": path}},
                }
            ],
        }

    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        unusable("long", "$.token"),
                        unusable("control", "$.token"),
                        unusable("nested", "$.auth"),
                        {
                            "name": "escaped",
                            "kind": "http_smoke",
                            "base_url": base,
                            "steps": [
                                {
                                    "name": "login",
                                    "method": "POST",
                                    "path": "/login/escaped",
                                    "retries": 0,
                                    "capture": {"token": {"json": "$.token"}},
                                },
                                {
                                    "name": "echo",
                                    "path": "/echo",
                                    "retries": 0,
                                    "headers": {"X-Token": "{{ token }}"},
                                    "expect": {"body_contains": ["never there"]},
                                },
                            ],
                        },
                    ]
                },
            )
        ],
        Registry.default(),
    )
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    return await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))


class TestUnusableAndEscapedSecrets:
    """A secret capture's value stays hidden when it cannot be used, and in every way an answer may escape it."""

    @pytest.mark.parametrize(
        ("check", "marker", "problem"),
        [
            (
                "long",
                "longmarker7c1e",
                "capture token (json $.token): expected a string or number, got a value of "
                "2,335 characters, over the 1,024 limit",
            ),
            (
                "control",
                "ctlmarker5d2a9b",
                "capture token (json $.token): expected a string or number, got a value with control characters",
            ),
            (
                "nested",
                "nestedmarker3e8f0a",
                "capture token (json $.auth): expected a string or number, got an object with 1 key",
            ),
            ("escaped", "esc4marker", None),
        ],
    )
    async def test_the_value_never_appears(self, unusable_api, check, marker, problem):
        with capture_logs() as logs:
            response = await unusable_api.get(f"/api/v1/checks/{check}/run", params={"explain": "true"})
            text = await response.text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        history = await (await unusable_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        seen = {"answer": text, "history": history, "logs": json.dumps(logs, default=str)}
        assert [where for where, shown in seen.items() if marker in shown or "QQQQ" in shown] == []
        if problem is not None:
            assert body["reason"] == f"step 'login' (1/1) failed: {problem}"
        else:
            assert body["details"]["steps"][1]["body"] == '"<redacted>" <redacted> <redacted>'


ARG_TOKEN = "argtok-5e9c1d7a3b"
ARG_KEY = "argkey-2f8b6a0c"
ARG_PASSWORD = "argpw-7d3e9f1b"
COMPOSED_PASSWORD = "composedpw-4c2a8e6f"
ARG_PIN = 86420975
ARG_CODE = "argcode-1b5d9e3f"
ARG_SECRETS = (ARG_TOKEN, ARG_KEY, ARG_PASSWORD, COMPOSED_PASSWORD)


@pytest.fixture
async def param_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with a check whose caller passes its credentials as args (a header, a query, a body key);
    the target counts the requests it gets and echoes them."""
    seen: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"auth": request.headers.get("Authorization"), "body": await request.text()})

    target = web.Application()
    target.router.add_route("*", "/echo", echo)
    server = await aiohttp_server(target)
    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "checks": [
                        {
                            "name": "creds",
                            "kind": "http_smoke",
                            "base_url": f"http://app.shop.svc:{server.port}",
                            "params": {
                                "token": {"type": "label_value", "required": True, "pattern": "argtok-[0-9a-f]+"},
                                "key": {"type": "label_value", "default": "argkey-00000000"},
                                "pw": {"type": "label_value", "required": True, "example": "argpw-00000000"},
                                "page": {"type": "number", "default": 1},
                            },
                            "steps": [
                                {
                                    "name": "echo",
                                    "method": "POST",
                                    "path": "/echo",
                                    "retries": 0,
                                    "headers": {"Authorization": "Bearer {{ token }}"},
                                    "query": {"api_key": "{{ key }}", "page": "{{ page }}"},
                                    "json_body": {"user": "smoke", "password": "{{ pw }}"},
                                    "expect": {"json": [{"path": "$.auth", "equals": "nobody"}]},
                                }
                            ],
                        },
                        {
                            "name": "creds-suite",
                            "kind": "composite",
                            "mode": "all",
                            "params": {"tok": {"type": "label_value", "required": True}},
                            "members": [
                                {"check": "creds", "args": {"token": "{{ tok }}", "pw": COMPOSED_PASSWORD}},
                            ],
                        },
                        {
                            "name": "creds-pinned",
                            "kind": "composite",
                            "mode": "all",
                            "params": {
                                "tok": {"type": "label_value", "required": True},
                                "pin": {"type": "number", "required": True, "secret": True},
                            },
                            "members": [
                                {
                                    "check": "creds",
                                    "args": {"token": "{{ tok }}", "pw": COMPOSED_PASSWORD, "page": "{{ pin }}"},
                                },
                            ],
                        },
                        {
                            "name": "creds-paged",
                            "kind": "composite",
                            "mode": "all",
                            "params": {
                                "tok": {"type": "label_value", "required": True},
                                "code": {"type": "label_value", "required": True, "secret": True},
                            },
                            "members": [
                                {
                                    "check": "creds",
                                    "args": {"token": "{{ tok }}", "pw": COMPOSED_PASSWORD, "page": "{{ code }}0"},
                                },
                            ],
                        },
                    ]
                },
            )
        ],
        Registry.default(),
    )
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    client = await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))
    client.seen = seen
    return client


class TestSecretParams:
    """A param that feeds a secret header, query value or body key is secret: its value is never echoed."""

    async def test_the_args_never_appear(self, param_api):
        args = {"token": ARG_TOKEN, "key": ARG_KEY, "pw": ARG_PASSWORD}
        with capture_logs() as logs:
            response = await param_api.post("/api/v1/checks/creds/run?explain=true", json=args)
            text = await response.text()
            plain = await (await param_api.post("/api/v1/checks/creds/run?format=text", json=args)).text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        assert body["args"] == {"token": "<redacted>", "key": "<redacted>", "pw": "<redacted>", "page": 1}
        assert "token=%3Credacted%3E" in body["ui_url"] and "page=1" in body["ui_url"]
        history = await (await param_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = html.unescape(await (await param_api.get(body["ui_url"])).text())
        seen = {
            "answer": text,
            "text": plain,
            "history": history,
            "page": page,
            "logs": json.dumps(logs, default=str),
        }
        leaks = {where: [s for s in ARG_SECRETS if s in shown] for where, shown in seen.items()}
        assert not any(leaks.values()), leaks
        assert "page=/ui/checks/creds/run?token=%3Credacted%3E" in plain
        assert body["reason"] == (
            'step \'echo\' (1/1) failed: json $.auth equals: expected "<redacted>", got "<redacted>"'
        )

    async def test_the_page_link_shows_the_recorded_answer_and_says_it_cannot_run_again(self, param_api):
        args = {"token": ARG_TOKEN, "key": ARG_KEY, "pw": ARG_PASSWORD}
        body = await (await param_api.post("/api/v1/checks/creds/run", json=args)).json()
        assert len(param_api.seen) == 1
        page = html.unescape(await (await param_api.get(body["ui_url"])).text())
        assert "json $.auth equals" in page
        assert "cannot run the check again" in page
        # The same link at a time this replica holds no answer for: said plainly, nothing sent with "<redacted>".
        gone = body["ui_url"].replace(body["ui_url"].rpartition("at=")[2], "2026-01-01T00%3A00%3A00Z")
        response = await param_api.get(gone)
        text = html.unescape(await response.text())
        assert response.status == 400
        assert "arg 'key' is secret: a link does not carry its value, so it cannot run the check again" in text
        assert 'value="<redacted>"' not in text
        assert len(param_api.seen) == 1

    async def test_the_run_form_posts_secret_args_out_of_the_address_bar(self, param_api):
        # A GET form would put the typed secret in the URL: the address bar, browser history, proxy logs.
        form = await (await param_api.get("/ui/checks/creds")).text()
        assert '<form method="post" action="/ui/checks/creds/run"' in form
        origin = str(param_api.make_url("")).rstrip("/")
        fields = {"token": ARG_TOKEN, "key": ARG_KEY, "pw": ARG_PASSWORD, "page": "1", "at": ""}
        response = await param_api.post("/ui/checks/creds/run", data=fields, headers={"Origin": origin})
        page = html.unescape(await response.text())
        assert response.status == 200, page
        assert "json $.auth equals" in page
        assert [s for s in ARG_SECRETS if s in page or s in str(response.url)] == []
        assert len(param_api.seen) == 1

    async def test_a_secret_of_a_composite_stays_hidden_in_a_member_that_does_not_declare_it(self, param_api):
        # creds' `page` is no secret of its own: the composite's `secret: true` on `pin` must still hold there.
        with capture_logs() as logs:
            response = await param_api.post(
                "/api/v1/checks/creds-pinned/run?explain=true", json={"tok": ARG_TOKEN, "pin": ARG_PIN}
            )
            text = await response.text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        assert body["args"]["pin"] == "<redacted>"
        history = await (await param_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        seen = {"answer": text, "history": history, "logs": json.dumps(logs, default=str)}
        assert [where for where, shown in seen.items() if str(ARG_PIN) in shown] == []

    async def test_a_member_refusing_a_secret_of_its_composite_does_not_quote_it(self, param_api):
        response = await param_api.post("/api/v1/checks/creds-paged/run", json={"tok": ARG_TOKEN, "code": ARG_CODE})
        body = await response.json()
        assert (response.status, body["error"]) == (400, "bad_arg"), body
        assert "must be a decimal number" in body["message"]
        history = await (await param_api.get("/api/v1/verdicts")).text()
        assert [
            where for where, shown in {"answer": json.dumps(body), "history": history}.items() if ARG_CODE in shown
        ] == []

    async def test_a_bad_secret_arg_is_not_quoted(self, param_api):
        bad = "argtok-NOT-HEX-9a7c"
        response = await param_api.post("/api/v1/checks/creds/run", json={"token": bad, "pw": ARG_PASSWORD})
        body = await response.json()
        assert (response.status, body["error"], body["arg"]) == (400, "bad_arg", "token")
        assert "must match the pattern" in body["message"]
        history = await (await param_api.get("/api/v1/verdicts")).text()
        seen = {"answer": json.dumps(body), "history": history}
        assert [where for where, shown in seen.items() if bad in shown or ARG_PASSWORD in shown] == []

    async def test_the_definition_hides_secret_defaults_and_examples(self, param_api):
        shown = await (await param_api.get("/api/v1/checks/creds")).json()
        assert shown["params"]["key"]["default"] == "<redacted>"
        assert shown["params"]["pw"]["example"] == "<redacted>"
        assert shown["params"]["page"]["default"] == 1
        assert shown["params"]["token"]["secret"] is True and shown["params"]["page"]["secret"] is False

    @pytest.mark.parametrize("listing", ["/api/v1/checks", "/api/v1/openapi.json", "/ui/checks/creds"])
    async def test_listings_hide_secret_defaults_and_examples(self, param_api, listing):
        response = await param_api.get(listing)
        text = html.unescape(await response.text())
        assert response.status == 200, text
        assert "argkey-00000000" not in text and "argpw-00000000" not in text

    async def test_the_catalog_listing_marks_secret_params(self, param_api):
        checks = (await (await param_api.get("/api/v1/checks")).json())["checks"]
        params = next(c for c in checks if c["name"] == "creds")["params"]
        assert params["key"] == {"type": "label_value", "default": "<redacted>", "secret": True}
        assert params["page"] == {"type": "number", "default": 1}

    async def test_a_composite_that_passes_a_secret_on_hides_it_too(self, param_api):
        with capture_logs() as logs:
            response = await param_api.post("/api/v1/checks/creds-suite/run?explain=true", json={"tok": ARG_TOKEN})
            text = await response.text()
        body = json.loads(text)
        assert body["verdict"] == "fail", text
        assert body["args"] == {"tok": "<redacted>"}
        assert body["details"]["members"][0]["args"]["token"] == "<redacted>"
        history = await (await param_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        definition = await (await param_api.get("/api/v1/checks/creds-suite")).text()
        page = html.unescape(await (await param_api.get(body["ui_url"])).text())
        seen = {"answer": text, "history": history, "definition": definition, "page": page}
        seen["logs"] = json.dumps(logs, default=str)
        leaks = {where: [s for s in ARG_SECRETS if s in shown] for where, shown in seen.items()}
        assert not any(leaks.values()), leaks
        assert json.loads(definition)["members"][0]["args"] == {"token": "{{ tok }}", "pw": "<redacted>"}


URL_PASSWORD = "urlpw-6b1e9c4d"
DSN_PASSWORD = "dsnpw-3a7f0e2b"
UPSTREAM = f"https://svc:{URL_PASSWORD}@backend.svc/"
DSN = f"postgres://app:{DSN_PASSWORD}@db.svc/orders"


@pytest.fixture
async def url_api(aiohttp_server: Any, aiohttp_client: Any) -> Any:
    """The analyzer app with a check whose args are whole URLs (a header's value, a query value): no param is placed
    inside a credential, so none is secret; the target counts the requests it gets."""
    seen: list[str] = []

    async def ok(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"ok": True})

    target = web.Application()
    target.router.add_get("/ok", ok)
    server = await aiohttp_server(target)
    step = {
        "name": "ok",
        "path": "/ok",
        "retries": 0,
        "headers": {"X-Upstream": "{{ up }}"},
        "query": {"db": "{{ db }}"},
    }
    check = {
        "name": "upstream",
        "kind": "http_smoke",
        "base_url": f"http://app.shop.svc:{server.port}",
        "params": {"up": {"type": "label_value", "required": True}, "db": {"type": "label_value", "required": True}},
        "steps": [step],
    }
    catalog = build_catalog([("test.yaml", {"checks": [check]})], Registry.default())
    settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
    resolver = StubResolver({"app.shop.svc": ["127.0.0.1"]})
    client = await aiohttp_client(create_app(settings, catalog, Registry.default(), http_resolver=resolver))
    client.seen = seen
    return client


class TestCredentialsInArgs:
    """An arg whose whole value is a URL holding a credential shows that credential as <redacted> wherever args are
    shown, and a link holding it never runs the check with <redacted> as the value."""

    async def test_the_password_never_appears(self, url_api):
        args = {"up": UPSTREAM, "db": DSN}
        with capture_logs() as logs:
            response = await url_api.post("/api/v1/checks/upstream/run?explain=true", json=args)
            text = await response.text()
            plain = await (await url_api.post("/api/v1/checks/upstream/run?format=text", json=args)).text()
        body = json.loads(text)
        assert body["verdict"] == "pass", text
        assert body["args"] == {"up": "https://<redacted>@backend.svc/", "db": "postgres://<redacted>@db.svc/orders"}
        history = await (await url_api.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = html.unescape(await (await url_api.get(body["ui_url"])).text())
        seen = {"answer": text, "text": plain, "history": history, "page": page, "logs": json.dumps(logs, default=str)}
        leaks = {where: [s for s in (URL_PASSWORD, DSN_PASSWORD) if s in shown] for where, shown in seen.items()}
        assert not any(leaks.values()), leaks
        assert "backend.svc" in page
        # The text answer is the first one again: identical args (as sent, not as shown) share an evaluation.
        assert len(url_api.seen) == 1

    async def test_a_link_no_answer_holds_any_more_asks_for_the_value(self, url_api):
        body = await (await url_api.post("/api/v1/checks/upstream/run", json={"up": UPSTREAM, "db": DSN})).json()
        gone = body["ui_url"].replace(body["ui_url"].rpartition("at=")[2], "2026-01-01T00%3A00%3A00Z")
        response = await url_api.get(gone)
        text = html.unescape(await response.text())
        assert response.status == 400, text
        assert "arg 'db' holds a credential the link shows as <redacted>: a link does not carry its value" in text
        assert len(url_api.seen) == 1

    async def test_an_undeclared_arg_holding_redacted_is_refused_as_undeclared(self, url_api):
        # Only a declared arg is asked for again: asking for one the check does not take would run nothing either.
        args = {"up": UPSTREAM, "db": DSN, "extra": "https://<redacted>@backend.svc/", "at": "2026-01-01T00:00:00Z"}
        response = await url_api.get("/ui/checks/upstream/run", params=args)
        text = html.unescape(await response.text())
        assert response.status == 400, text
        assert "holds a credential" not in text
        assert "undeclared arg 'extra'" in text
        assert url_api.seen == []

    async def test_another_password_at_a_recorded_time_is_evaluated(self, url_api):
        # The history shows both passwords as <redacted>: a form with another one must not be answered by the first.
        body = await (await url_api.post("/api/v1/checks/upstream/run", json={"up": UPSTREAM, "db": DSN})).json()
        at = body["evaluated_at"]
        other = {"up": UPSTREAM.replace(URL_PASSWORD, "otherpw-0f9e"), "db": DSN, "at": at}
        response = await url_api.get("/ui/checks/upstream/run", params=other)
        text = html.unescape(await response.text())
        # http_smoke measures only the present: not the recorded pass of the first password, but "not recorded".
        assert response.status == 404, text
        assert "Not recorded here: this replica holds no answer of 'upstream' with these args" in text
