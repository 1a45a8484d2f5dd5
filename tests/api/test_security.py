"""Hostile input against the API: injection into every param type, malformed and oversized bodies,
undeclared args, path tricks in check names, auth bypass attempts and stalled clients."""

from __future__ import annotations

import json

import pytest
import structlog
import structlog.testing
from aiohttp.test_utils import TestServer

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app, server_options
from tests.api import rawhttp

TOKEN = "Tok-" + "aB3" * 12
SELECTOR = 'service="checkout",rollouts_pod_template_hash'
# Error ratio of one canary hash: healthy1 passes (0.001 < 0.01); an injected selector that matched more
# series, or `or vector(0)`, would pass too; a value kept inside its string matches nothing: inconclusive.


def ratio(op: str) -> str:
    """The error-ratio query with the `h` placeholder after the matcher operator `op`."""
    matcher = f'{SELECTOR}{op}"{{{{ h }}}}"'
    return (
        f'sum(rate(http_requests_total{{{matcher},code="500"}}[5m])) / sum(rate(http_requests_total{{{matcher}}}[5m]))'
    )


HEALTHY = 'rollouts_pod_template_hash="healthy1"'


def checks() -> list[dict]:
    label = {"h": {"type": "label_value", "required": True}}
    return [
        {"name": "by-hash", "kind": "prometheus", "params": label, "pass_if": "< 0.01", "query": ratio("=")},
        {"name": "by-hash-regex", "kind": "prometheus", "params": label, "pass_if": "< 0.01", "query": ratio("=~")},
        {
            "name": "by-window",
            "kind": "prometheus",
            "pass_if": "< 0.01",
            "params": {"w": {"type": "duration", "required": True}},
            "query": f'sum(rate(http_requests_total{{{HEALTHY},code="500"}}[{{{{ w }}}}]))'
            f" / sum(rate(http_requests_total{{{HEALTHY}}}[{{{{ w }}}}]))",
        },
        {
            "name": "by-number",
            "kind": "prometheus",
            "pass_if": "< 1",
            "params": {"n": {"type": "number", "required": True, "minimum": 0, "maximum": 100}},
            "query": f'sum(rate(http_requests_total{{{HEALTHY},code="500"}}[5m])) * {{{{ n }}}}',
        },
        {
            "name": "by-identifier",
            "kind": "prometheus",
            "pass_if": "< 100",
            "reduce": "max",
            "params": {"l": {"type": "identifier", "required": True}},
            "query": f"sum by ({{{{ l }}}}) (rate(http_requests_total{{{HEALTHY}}}[5m]))",
        },
        {
            "name": "by-enum",
            "kind": "prometheus",
            "pass_if": "< 1",
            "params": {"code": {"type": "enum", "values": ["500", "503"], "default": "500"}},
            "query": f'sum(rate(http_requests_total{{{HEALTHY},code="{{{{ code }}}}"}}[5m]))',
        },
        {
            "name": "by-dns",
            "kind": "prometheus",
            "pass_if": "< 0.01",
            "params": {"svc": {"type": "dns_label", "required": True}},
            "query": 'sum(rate(http_requests_total{service="{{ svc }}",rollouts_pod_template_hash="healthy1",'
            'code="500"}[5m])) / sum(rate(http_requests_total{service="{{ svc }}",'
            'rollouts_pod_template_hash="healthy1"}[5m]))',
        },
        {"name": "secret-check", "kind": "prometheus", "query": "vector(0)", "pass_if": "< 1"},
    ]


VALID = {
    "by-hash": {"h": "healthy1"},
    "by-hash-regex": {"h": "healthy1"},
    "by-window": {"w": "5m"},
    "by-number": {"n": "1"},
    "by-identifier": {"l": "code"},
    "by-enum": {"code": "500"},
    "by-dns": {"svc": "checkout"},
}
BREAKOUTS = [
    'healthy1"} or vector(0) #',
    'healthy1",code=~".*',
    'healthy1"}[5m])) or vector(0) or sum(rate(x{y="',
    ".*",
    "healthy1|broken1",
    "healthy.",
    "healthy1\\",
    'healthy1\\"',
    "healthy1'",
    "healthy1`",
    "{{ h }}",
    "${jndi:ldap://127.0.0.1/a}",
    "healthy1\u202e",
    '" or 1==1 --',
    "healthy1%22%7D",
    "héalthy1",
    "healthy1 ",
    " healthy1",
]
CONTROL = ["healthy1\n", "healthy1\x00", "healthy1\r\nX-Injected: 1", "\x1b[31m"]
BARE = {
    "by-window": (
        "w",
        ["5m] or vector(0", "5m])) or vector(0) #", "5 m", "-5m", "0s", "5m ", "1e3s", "5M", "30m1h", "5m5m", "300y"],
    ),
    "by-number": ("n", ["1 or vector(0)", "0x10", "1e309", "NaN", "inf", "1;", "1/0", "101", "-1", "1_0"]),
    "by-identifier": (
        "l",
        ["code) (vector(0)) or sum by (code", "code,le", "1code", "code\n", "co de", "", "Inf", "nan"],
    ),
    "by-enum": ("code", ["502", '500"} or vector(0) #', "500 ", "5.*"]),
    "by-dns": ("svc", ["checkout.x", "Checkout", 'checkout"} or vector(0) #', "-checkout", "a" * 64]),
}


@pytest.fixture
async def client(aiohttp_client, prometheus, tmp_path):
    catalog = build_catalog(
        [("security", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": checks()})],
        Registry.default(),
    )
    settings = Settings(max_body_bytes=4096, max_query_bytes=2048, body_read_timeout_s=0.3, keepalive_timeout_s=0.5)
    # Started here so the connection limits of `analyzer serve` apply (aiohttp_client would drop them).
    server = TestServer(create_app(settings, catalog, Registry.default()))
    await server.start_server(**server_options(settings))
    return await aiohttp_client(server)


async def run(client, name: str, args: dict, at: float, post: bool = False):
    if post:
        return await client.post(f"/api/v1/checks/{name}/run", params={"at": str(at)}, json=args)
    return await client.get(f"/api/v1/checks/{name}/run", params={**args, "at": str(at)})


@pytest.mark.integration
class TestInjection:
    """No value of any param type changes the query's structure; bare types refuse anything off-grammar."""

    @pytest.mark.parametrize("name", sorted(VALID))
    async def test_valid_values_pass(self, client, prometheus, name):
        answer = await run(client, name, VALID[name], prometheus.anchor)
        assert (answer.status, (await answer.json())["verdict"]) == (200, "pass")

    @pytest.mark.parametrize("post", [False, True], ids=["query", "body"])
    @pytest.mark.parametrize("name", ["by-hash", "by-hash-regex"])
    @pytest.mark.parametrize("value", BREAKOUTS)
    async def test_label_values_stay_inside_their_string(self, client, prometheus, name, value, post):
        answer = await run(client, name, {"h": value}, prometheus.anchor, post)
        body = await answer.json()
        assert answer.status == 200, body
        assert body["verdict"] == "inconclusive", body

    @pytest.mark.parametrize("value", CONTROL)
    async def test_control_characters_are_refused(self, client, prometheus, value):
        answer = await run(client, "by-hash", {"h": value}, prometheus.anchor, post=True)
        assert answer.status == 400 and (await answer.json())["arg"] == "h"

    @pytest.mark.parametrize(
        ("name", "arg", "value"), [(name, arg, v) for name, (arg, values) in BARE.items() for v in values]
    )
    async def test_bare_types_refuse_anything_off_grammar(self, client, prometheus, name, arg, value):
        answer = await run(client, name, {arg: value}, prometheus.anchor)
        body = await answer.json()
        assert answer.status == 400, body
        assert body["arg"] == arg

    @pytest.mark.parametrize("encoded", ["%ED%A0%80", "%FF%FE", "%C0%22", "%22%7D%20or%20vector(0)%20%23"])
    async def test_raw_percent_encodings_stay_text(self, client, prometheus, encoded):
        target = f"/api/v1/checks/by-hash/run?at={prometheus.anchor}&h=healthy1{encoded}"
        answer = await rawhttp.send(client.server.host, client.server.port, rawhttp.request("GET", target))
        assert (answer.status, answer.json().get("verdict")) in ((200, "inconclusive"), (400, None)), answer.body

    async def test_a_json_number_for_a_label_value_is_text_not_code(self, client, prometheus):
        answer = await run(client, "by-hash", {"h": 1000}, prometheus.anchor, post=True)
        assert (await answer.json())["verdict"] == "inconclusive"
        # One it would send otherwise than written (1000.0 as "1000") is refused: it may have meant other text.
        answer = await run(client, "by-hash", {"h": 1e3}, prometheus.anchor, post=True)
        assert (answer.status, (await answer.json())["arg"]) == (400, "h")


@pytest.mark.integration
class TestArgsAndBodies:
    """Undeclared, repeated, reserved, malformed and oversized input is a 400/413 naming the problem."""

    @pytest.mark.parametrize(
        ("query", "arg"),
        [
            ("h=healthy1&evil=1", "evil"),
            ("H=healthy1", "H"),
            ("h=a&h=b", "h"),
            ("", "h"),
            ("h=healthy1&explain=maybe", "explain"),
            ("h=healthy1&at=yesterday", "at"),
            ("h=healthy1&format=xml", "format"),
        ],
    )
    async def test_bad_query_args(self, client, query, arg):
        answer = await client.get(f"/api/v1/checks/by-hash/run?{query}")
        body = await answer.json()
        assert answer.status == 400, body
        assert body["arg"] == arg

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[1, 2]",
            b'"h"',
            b"42",
            b'{"h": {"x": 1}}',
            b'{"h": ["x"]}',
            b'{"h": null}',
            b'{"h": true}',
            b'{"h": NaN}',
            b'{"h": Infinity}',
            # Valid JSON beyond the float range: Python reads an infinity, which must not become the text "inf".
            b'{"h": 1e999}',
            b'{"h": -1e999}',
            b'{"h": "a", "h": "b"}',
            b'{"at": "1"}',
            b'{"explain": "true"}',
            b"[" * 1500 + b"]" * 1500,
            b'{"h": "\xff\xfe"}',
            b'{"h": "healthy1"',
            b'{"h": "a\\ud800"}',
        ],
    )
    async def test_malformed_bodies(self, client, body):
        answer = await client.post(
            "/api/v1/checks/by-hash/run", data=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status == 400, await answer.text()
        assert (await answer.json())["error"] == "bad_arg"

    async def test_an_arg_in_both_query_and_body(self, client):
        answer = await client.post("/api/v1/checks/by-hash/run?h=a", json={"h": "b"})
        assert answer.status == 400 and (await answer.json())["arg"] == "h"

    @pytest.mark.parametrize("size", [4097, 100_000])
    async def test_oversized_bodies(self, client, size):
        answer = await client.post("/api/v1/checks/by-hash/run", data=b'{"h": "' + b"x" * size + b'"}')
        assert answer.status == 413
        assert (await answer.json())["error"] == "body_too_large"

    async def test_an_oversized_declared_length_is_refused_without_reading_it(self, client):
        head = rawhttp.request("POST", "/api/v1/checks/by-hash/run", content_length=10**12)
        answer = await rawhttp.send(client.server.host, client.server.port, head, (b'{"h": ',))
        assert answer.status == 413

    async def test_a_long_query_string_is_414(self, client):
        answer = await client.get("/api/v1/checks/by-hash/run?h=" + "x" * 2100)
        assert answer.status == 414


@pytest.mark.integration
class TestPathTricks:
    """Check names from the path only ever name a catalog check; tricks give 404, never another route."""

    @pytest.mark.parametrize(
        "target",
        [
            "/api/v1/checks/%2e%2e/run",
            "/api/v1/checks/..%2Fsecret-check/run",
            "/api/v1/checks/by-hash%2Frun",
            "/api/v1/checks/%252e%252e/run",
            "/api/v1/checks/by-hash%00/run",
            "/api/v1/checks/by-hash%20/run",
            "/api/v1/checks/BY-HASH/run",
            "/api/v1/checks/by-hash;x=1/run",
            "/api/v1/checks/by-hash..%5C/run",
            "/api/v1/checks/.%2E/.%2E/healthz/run",
            "/api/v1/checks/%C0%AE%C0%AE/run",
            "/api/v1/checks/by-hash/run/",
        ],
    )
    async def test_tricks_name_no_check(self, client, target):
        answer = await rawhttp.send(client.server.host, client.server.port, rawhttp.request("GET", target))
        assert answer.status in (400, 404), (answer.status, answer.body)
        if answer.body:
            assert "error" in answer.json()

    async def test_dot_segments_are_not_resolved_into_another_check(self, client):
        target = "/api/v1/checks/by-hash/../secret-check/run"
        answer = await rawhttp.send(client.server.host, client.server.port, rawhttp.request("GET", target))
        assert answer.status == 404 and answer.json()["error"] == "not_found"


class TestAuthBypass:
    """With auth on, no header trick and no path trick reaches a protected route or a forbidden check."""

    @pytest.fixture
    async def client(self, aiohttp_client, tmp_path):
        (tmp_path / "tokens").mkdir()
        (tmp_path / "tokens" / "argo").write_text(TOKEN)
        (tmp_path / "allow.yaml").write_text('argo: ["by-*"]\n')
        catalog = build_catalog(
            [
                (
                    "security",
                    {
                        "sources": {"default": {"type": "prometheus", "url": "http://127.0.0.1:9", "retry": False}},
                        "checks": checks(),
                    },
                )
            ],
            Registry.default(),
        )
        settings = Settings(auth_tokens=tmp_path / "tokens", auth_allow=tmp_path / "allow.yaml")
        return await aiohttp_client(create_app(settings, catalog, Registry.default()))

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": ""},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer "},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": f"Token {TOKEN}"},
            {"Authorization": f"Bearer {TOKEN[:-1]}"},
            {"Authorization": f"Bearer {TOKEN[:1]}"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": f"Bearer {TOKEN.upper()}"},
            {"Authorization": f"Bearer {TOKEN.lower()}"},
            {"Authorization": f"Bearer {TOKEN} {TOKEN}"},
            {"Authorization": f"Bearer {TOKEN},Bearer {TOKEN}"},
            {"Authorization": f"Bearer%20{TOKEN}"},
            {"Authorization": f'Bearer "{TOKEN}"'},
            {"X-Authorization": f"Bearer {TOKEN}"},
            {"Cookie": f"token={TOKEN}"},
            {"X-Forwarded-User": "argo"},
            {"Authorization": "Bearer null"},
        ],
    )
    async def test_header_tricks_are_401(self, client, headers):
        answer = await client.get("/api/v1/checks/by-hash/run?h=x", headers=headers)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ")

    async def test_two_authorization_headers_are_401(self, client):
        head = rawhttp.request("GET", "/api/v1/checks", {"Authorization": f"Bearer {TOKEN}"})
        head = head.replace(b"\r\n\r\n", f"\r\nAuthorization: Bearer {TOKEN}x\r\n\r\n".encode())
        answer = await rawhttp.send(client.server.host, client.server.port, head)
        assert answer.status == 401

    async def test_a_token_in_the_query_string_is_not_a_token(self, client):
        assert (await client.get(f"/api/v1/checks?access_token={TOKEN}")).status == 401

    @pytest.mark.parametrize(
        "target",
        [
            "/healthz/../api/v1/checks",
            "/metrics/..%2Fapi/v1/checks",
            "/readyz/%2e%2e/api/v1/verdicts",
            "/HEALTHZ",
            "/readyz/",
            "//api/v1/checks",
            "/api/v1/checks?/healthz",
            "/healthz%00",
            "/api/v1/checks/secret-check#/healthz",
            "/./api/v1/openapi.json",
        ],
    )
    async def test_open_routes_do_not_open_others(self, client, target):
        answer = await rawhttp.send(client.server.host, client.server.port, rawhttp.request("GET", target))
        assert answer.status in (400, 401), (answer.status, answer.body)
        assert b"secret-check" not in answer.body

    async def test_the_scheme_is_case_insensitive_but_the_token_is_not(self, client):
        assert (await client.get("/api/v1/checks", headers={"Authorization": f"BEARER {TOKEN}"})).status == 200

    @pytest.mark.parametrize(
        "target",
        [
            "/api/v1/checks/secret-check/run",
            "/api/v1/checks/by-hash/../secret-check/run",
            "/api/v1/checks/by-x/..%2Fsecret-check/run",
            "/api/v1/checks/secret-check",
            "/api/v1/checks/by-*/run",
        ],
    )
    async def test_path_tricks_do_not_escape_the_allow_list(self, client, target):
        head = rawhttp.request("GET", target, {"Authorization": f"Bearer {TOKEN}"})
        answer = await rawhttp.send(client.server.host, client.server.port, head)
        assert answer.status in (403, 404), (answer.status, answer.body)
        listing = await (await client.get("/api/v1/checks", headers={"Authorization": f"Bearer {TOKEN}"})).json()
        assert "secret-check" not in json.dumps(listing)

    @pytest.mark.parametrize("path", ["/api/v1/checks/by-secret-check/run", "/api/v1/checks/by-secret-check"])
    async def test_a_typo_is_never_answered_with_a_forbidden_name(self, client, path):
        answer = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status == 404
        assert "did you mean 'secret-check'" not in (await answer.json())["message"]


@pytest.mark.integration
class TestSlowClients:
    """A client that stalls while sending a body or headers is cut off instead of holding the request."""

    async def test_a_stalled_body_gets_408(self, client):
        head = rawhttp.request("POST", "/api/v1/checks/by-hash/run", content_length=50)
        answer = await rawhttp.send(client.server.host, client.server.port, head, (b'{"h": "hea',))
        assert answer.status == 408
        assert answer.json()["error"] == "body_timeout"

    async def test_a_stalled_chunked_body_gets_408(self, client):
        head = rawhttp.request("POST", "/api/v1/checks/by-hash/run", {"Transfer-Encoding": "chunked"})
        answer = await rawhttp.send(client.server.host, client.server.port, head, (b'5\r\n{"h":\r\n',))
        assert answer.status == 408

    async def test_stalled_headers_are_dropped(self, client):
        reader, writer = await rawhttp.asyncio.open_connection(client.server.host, client.server.port)
        writer.write(b"GET /api/v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        await writer.drain()
        async with rawhttp.asyncio.timeout(20):  # bounds a hung test only: keepalive_timeout_s is 0.5
            assert await reader.read() == b""
        writer.close()


class TestLogContext:
    """A request's log lines carry its own id and caller, never those of an earlier request on the connection."""

    async def test_an_earlier_requests_caller_does_not_leak(self, aiohttp_client, tmp_path):
        (tmp_path / "tokens").mkdir()
        (tmp_path / "tokens" / "argo").write_text(TOKEN)
        catalog = build_catalog([("c", {"checks": []})], Registry.default())
        settings = Settings(auth_tokens=tmp_path / "tokens")
        client = await aiohttp_client(create_app(settings, catalog, Registry.default()))
        capture = structlog.testing.LogCapture()
        config = structlog.get_config()
        structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
        try:
            # One session, one request after the other: they share its kept-alive connection.
            for request_id, token in (("first", TOKEN), ("second", "wrong"), ("third", "wrong")):
                response = await client.get(
                    "/api/v1/checks", headers={"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
                )
                await response.read()
        finally:
            structlog.configure(**config)
        failures = [entry for entry in capture.entries if entry["event"] == "auth_failed"]
        assert [(entry["request_id"], "client" in entry) for entry in failures] == [("second", False), ("third", False)]
