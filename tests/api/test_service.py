"""API tests of the service plumbing in analyzer.web: auth, limits, verdict history, reload, draining."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime

import jsonschema
import pytest
import structlog
import yaml

from analyzer.appkeys import LIVE
from analyzer.catalog import load_catalog
from analyzer.settings import Settings
from analyzer.web import CATALOG_VERSION_HEADER, create_app
from tests.api import rawhttp
from tests.gatecatalog import REGISTRY, gate_catalog

TOKEN_ARGO = "argo-" + "a" * 40
TOKEN_SRE = "sre-" + "s" * 40
# A closed port on loopback: the prometheus checks below answer `error` (source unavailable) at once.
DOWN_SOURCE = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9", "timeout_s": 2, "retry": False}}
DOWN_CHECK = {
    "name": "payments-error-rate",
    "kind": "prometheus",
    "query": 'sum(up{h="{{ canary_hash }}"}) or vector(0)',
    "pass_if": "< 1",
    "params": {"canary_hash": {"type": "label_value", "required": True}},
}


def catalog():
    return gate_catalog(
        DOWN_CHECK,
        {"name": "slow", "kind": "gate", "gate": "g", "params": {"n": {"type": "number", "default": 1}}},
        {"name": "checkout-smoke", "kind": "gate", "gate": "g"},
        sources=DOWN_SOURCE,
    )


@pytest.fixture
def tokens(tmp_path):
    root = tmp_path / "tokens"
    root.mkdir()
    (root / "argo-rollouts").write_text(TOKEN_ARGO + "\n")
    (root / "sre").write_text(TOKEN_SRE + "\n")
    allow = tmp_path / "allow.yaml"
    allow.write_text('argo-rollouts: ["payments-*"]\nsre: ["*"]\n')
    return root, allow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestAuth:
    """With tokens configured, only health, readiness and metrics answer without one."""

    @pytest.fixture
    async def client(self, aiohttp_client, tokens):
        root, allow = tokens
        return await aiohttp_client(create_app(Settings(auth_tokens=root, auth_allow=allow), catalog(), REGISTRY))

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/checks",
            "/api/v1/checks/payments-error-rate",
            "/api/v1/checks/payments-error-rate/run?canary_hash=x",
            "/api/v1/verdicts",
            "/api/v1/openapi.json",
            "/no/such/route",
        ],
    )
    async def test_everything_else_needs_a_token(self, client, path):
        answer = await client.get(path)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="analyzer"'
        assert (await answer.json())["error"] == "unauthorized"

    async def test_a_run_asked_as_text_is_told_in_one_line(self, client):
        answer = await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=x&format=text")
        assert (answer.status, answer.content_type) == (401, "text/plain")
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="analyzer"'
        assert (await answer.text()).startswith("unauthorized (401): ")
        forbidden = await client.get("/api/v1/checks/checkout-smoke/run?format=text", headers=bearer(TOKEN_ARGO))
        assert forbidden.status == 403
        assert (await forbidden.text()).startswith("forbidden (403): token 'argo-rollouts' may not use check")

    async def test_a_wrong_token_is_told_so(self, client):
        answer = await client.get("/api/v1/checks", headers=bearer(TOKEN_ARGO[:-1]))
        assert answer.status == 401
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]

    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    async def test_health_and_readiness_stay_open(self, client, path):
        assert (await client.get(path)).status == 200

    async def test_metrics_need_a_token_and_show_a_restricted_caller_its_own_checks(self, client, gate):
        gate.open()
        assert (await client.get("/api/v1/checks/checkout-smoke/run", headers=bearer(TOKEN_SRE))).status == 200
        await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc", headers=bearer(TOKEN_ARGO))
        anonymous = await client.get("/metrics")
        assert anonymous.status == 401 and "checkout-smoke" not in await anonymous.text()
        everything = await (await client.get("/metrics", headers=bearer(TOKEN_SRE))).text()
        assert 'analyzer_evaluations_total{check="checkout-smoke",verdict="pass"} 1.0' in everything
        assert 'analyzer_evaluations_total{check="payments-error-rate",verdict="error"} 1.0' in everything
        restricted = await (await client.get("/metrics", headers=bearer(TOKEN_ARGO))).text()
        assert 'analyzer_evaluations_total{check="payments-error-rate",verdict="error"} 1.0' in restricted
        assert "checkout-smoke" not in restricted
        assert "analyzer_requests_rejected_total" in restricted

    async def test_readiness_details_need_a_token(self, client):
        anonymous = await (await client.get("/readyz")).json()
        assert anonymous["status"] == "ready" and anonymous["catalog"]["reload_failing"] is False
        assert "warnings" not in anonymous and "last_error" not in anonymous["catalog"]
        detailed = await (await client.get("/readyz", headers=bearer(TOKEN_SRE))).json()
        assert "warnings" in detailed and detailed["catalog"]["last_error"] is None

    async def test_a_valid_token_runs_an_allowed_check(self, client):
        answer = await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc", headers=bearer(TOKEN_ARGO))
        assert answer.status == 503
        assert (await answer.json())["verdict"] == "error"

    @pytest.mark.parametrize(
        "path",
        ["/api/v1/checks/checkout-smoke", "/api/v1/checks/checkout-smoke/run", "/api/v1/checks/no-such-check/run"],
    )
    async def test_a_check_outside_the_allow_list_is_forbidden_whether_or_not_it_exists(self, client, path):
        answer = await client.get(path, headers=bearer(TOKEN_ARGO))
        assert answer.status == 403
        assert (await answer.json())["error"] == "forbidden"

    async def test_listings_show_only_allowed_checks(self, client):
        listing = await (await client.get("/api/v1/checks", headers=bearer(TOKEN_ARGO))).json()
        assert [c["name"] for c in listing["checks"]] == ["payments-error-rate"]
        spec = await (await client.get("/api/v1/openapi.json", headers=bearer(TOKEN_ARGO))).json()
        assert not [p for p in spec["paths"] if "checkout-smoke" in p]
        everything = await (await client.get("/api/v1/checks", headers=bearer(TOKEN_SRE))).json()
        assert len(everything["checks"]) == 3

    async def test_a_history_filter_outside_the_allow_list_is_not_told_apart_from_one_of_no_answers(self, client):
        # Whether the catalog has a name the caller may not use is not its to learn: the run endpoint answers 403 by
        # name; the history lists nothing, as for a check of its own not asked yet. A misspelt name of its own is
        # told, and only its own checks are offered.
        for check, status in (("checkout-smoke", 200), ("checkout-smok", 200), ("payments-eror-rate", 400)):
            answer = await client.get(f"/api/v1/verdicts?check={check}", headers=bearer(TOKEN_ARGO))
            assert answer.status == status
        body = await answer.json()
        assert body["message"].endswith("; did you mean 'payments-error-rate'?")

    async def test_failures_are_counted(self, client):
        await client.get("/api/v1/checks")
        metrics = await (await client.get("/metrics", headers=bearer(TOKEN_SRE))).text()
        assert 'analyzer_requests_rejected_total{reason="unauthorized"} 1.0' in metrics


class TestTokensThatAdmitNobody:
    """Token files that hold no usable token (an empty Secret key) show in /readyz, and a refused caller is told
    why, not only the log."""

    @pytest.mark.parametrize("content", ["", "\n", "not a token!\n"])
    async def test_readiness_says_auth_is_unusable_until_a_token_is_written(self, aiohttp_client, tmp_path, content):
        root = tmp_path / "tokens"
        root.mkdir()
        (root / "argo-rollouts").write_text(content)
        client = await aiohttp_client(create_app(Settings(auth_tokens=root), catalog(), REGISTRY))
        ready = await client.get("/readyz")
        assert ready.status == 200
        # The ignored file counted (named only to a token that may use every check, and none is accepted).
        assert (await ready.json())["auth"] == {"enabled": True, "usable": False, "problems": 1}
        refused = await client.get("/api/v1/checks", headers=bearer(TOKEN_ARGO))
        assert refused.status == 401
        assert "no token" in (await refused.json())["message"]
        (root / "argo-rollouts").write_text(TOKEN_ARGO + "\n")
        assert (await (await client.get("/readyz")).json())["auth"] == {"enabled": True, "usable": True}
        assert (await client.get("/api/v1/checks", headers=bearer(TOKEN_ARGO))).status == 200


class TestLimits:
    """Bodies, query strings, stalled bodies and concurrent evaluations are bounded."""

    @pytest.fixture
    async def client(self, aiohttp_client):
        settings = Settings(
            max_body_bytes=1024,
            max_query_bytes=256,
            max_concurrent_evaluations=2,
            max_queued_evaluations=0,
            body_read_timeout_s=0.2,
            retry_after_s=3,
        )
        return await aiohttp_client(create_app(settings, catalog(), REGISTRY))

    async def test_an_oversized_body_is_413(self, client):
        answer = await client.post(
            "/api/v1/checks/payments-error-rate/run",
            data=b'{"canary_hash": "' + b"x" * 5000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 413
        assert (await answer.json())["error"] == "body_too_large"

    async def test_a_long_query_string_is_414(self, client):
        answer = await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=" + "x" * 300)
        assert answer.status == 414
        assert (await answer.json())["error"] == "query_too_long"

    async def test_a_stalled_body_is_cut_off_with_408(self, client):
        head = rawhttp.request(
            "POST", "/api/v1/checks/payments-error-rate/run", {"Content-Type": "application/json"}, content_length=100
        )
        answer = await rawhttp.send(client.server.host, client.server.port, head, (b'{"canary_hash": "x',))
        assert answer.status == 408
        assert answer.json()["error"] == "body_timeout"
        assert answer.headers["connection"].lower() == "close"

    async def test_beyond_the_concurrency_limit_is_429_with_retry_after(self, client, gate):
        running = [asyncio.create_task(client.get(f"/api/v1/checks/slow/run?n={n}")) for n in (1, 2)]
        await gate.wait_entered(2)
        answer = await client.get("/api/v1/checks/slow/run?n=3")
        assert answer.status == 429
        assert answer.headers["Retry-After"] == "3"
        assert (await answer.json())["error"] == "overloaded"
        # An identical evaluation already in flight is joined, not refused.
        joined = asyncio.create_task(client.get("/api/v1/checks/slow/run?n=1"))
        gate.open()
        for response in [*await asyncio.gather(*running), await joined]:
            assert response.status == 200
        assert (await client.get("/api/v1/checks/slow/run?n=3")).status == 200


class TestVerdictHistory:
    """GET /api/v1/verdicts shows why Argo saw an Error: error verdicts and refused requests."""

    @pytest.fixture
    async def client(self, aiohttp_client):
        return await aiohttp_client(create_app(Settings(history_size=5), catalog(), REGISTRY))

    async def test_an_error_verdict_and_a_rejection_are_kept_newest_first(self, client):
        await client.get(
            "/api/v1/checks/payments-error-rate/run?canary_hash=abc",
            headers={"X-Request-Id": "req-1", "User-Agent": "Go-http-client/1.1"},
        )
        await client.get("/api/v1/checks/payments-error-rate/run?canary=abc")
        await client.get("/api/v1/checks/gone/run")
        page = await (await client.get("/api/v1/verdicts")).json()
        assert [(e["check"], e["verdict"], e["http_status"]) for e in page["entries"]] == [
            ("gone", "rejected", 404),
            ("payments-error-rate", "rejected", 400),
            ("payments-error-rate", "error", 503),
        ]
        error = page["entries"][2]
        assert error["error"] == "source_unavailable" and "unreachable" in error["reason"]
        assert error["request_id"] == "req-1" and error["user_agent"] == "Go-http-client/1.1"
        assert error["args"] == {"canary_hash": "abc"} and "details" not in error
        assert page["entries"][1]["error"] == "bad_arg" and "canary" in page["entries"][1]["reason"]
        # A known check's refusal says its kind; an unknown check has none.
        assert [e["kind"] for e in page["entries"]] == [None, "prometheus", "prometheus"]

    async def test_each_entry_and_log_line_carry_the_id_its_answer_names(self, aiohttp_client):
        # One session, one request after the other on its kept-alive connection: offered ids, none, and one refused
        # for its characters (a space), for evaluations (each of its own args: none answered by another's result)
        # and for refusals. The run endpoint reads the id from the log context the middleware set for its request.
        capture = structlog.testing.LogCapture()
        config = structlog.get_config()
        structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
        sent = []
        try:
            # Made under this configuration: the runner binds its logger when it is made.
            client = await aiohttp_client(create_app(Settings(history_size=5), catalog(), REGISTRY))
            for offered, query in (
                ("argo-1", "canary_hash=a1"),
                (None, "canary_hash=a2"),
                ("bad id", "canary_hash=a3"),
                (None, "canary=a4"),
                ("argo-2", "canary=a5"),
            ):
                answer = await client.get(
                    f"/api/v1/checks/payments-error-rate/run?{query}",
                    headers={} if offered is None else {"X-Request-Id": offered},
                )
                await answer.read()
                sent.append((offered, answer.headers["X-Request-Id"]))
        finally:
            structlog.configure(**config)
        ids = [request_id for _, request_id in sent]
        assert [offered for offered, _ in sent if offered in ids] == ["argo-1", "argo-2"]
        assert len(set(ids)) == len(ids)
        page = await (await client.get("/api/v1/verdicts")).json()
        assert [entry["request_id"] for entry in reversed(page["entries"])] == ids
        evaluated = [entry for entry in capture.entries if entry["event"] == "check_evaluated"]
        assert [(entry["request_id"], entry["args"]) for entry in evaluated] == [
            (request_id, {"canary_hash": f"a{n}"}) for n, request_id in enumerate(ids[:3], 1)
        ]

    async def test_filters_limit_and_explain(self, client):
        for _ in range(2):
            await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc")
        await client.get("/api/v1/checks/gone/run")
        errors = await (await client.get("/api/v1/verdicts?verdict=error&limit=1&explain=true")).json()
        assert errors["count"] == 1 and errors["entries"][0]["verdict"] == "error"
        assert "details" in errors["entries"][0]
        gone = await (await client.get("/api/v1/verdicts?check=gone")).json()
        assert [e["check"] for e in gone["entries"]] == ["gone"]

    async def test_before_pages_to_older_entries_that_new_ones_do_not_move(self, client):
        for index in range(4):
            await client.get(f"/api/v1/checks/gone-{index}/run")
        every = [e["seq"] for e in (await (await client.get("/api/v1/verdicts")).json())["entries"]]
        page = await (await client.get("/api/v1/verdicts?limit=2")).json()
        assert [e["seq"] for e in page["entries"]] == every[:2]
        await client.get("/api/v1/checks/gone-new/run")
        # The next page from the last entry's seq: the two after it, whatever was recorded since.
        older = await (await client.get(f"/api/v1/verdicts?limit=2&before={every[1]}")).json()
        assert [e["seq"] for e in older["entries"]] == every[2:4]
        assert set(older) == {"capacity", "count", "entries"} and older["count"] == 2
        filtered = await (await client.get(f"/api/v1/verdicts?check=gone-0&before={every[0]}")).json()
        assert [e["check"] for e in filtered["entries"]] == ["gone-0"]
        # Below the oldest held: the end of the history.
        end = await (await client.get(f"/api/v1/verdicts?before={every[-1]}")).json()
        assert end["count"] == 0

    @pytest.mark.parametrize("before", ["x", "-1", "1" * 13, "²", ""])
    async def test_a_before_that_is_no_seq_is_a_400_naming_it(self, client, before):
        answer = await client.get(f"/api/v1/verdicts?before={before}")
        assert answer.status == 400
        body = await answer.json()
        assert body["arg"] == "before" and "before must be an entry's seq" in body["message"]

    async def test_a_before_of_another_replica_is_a_400_not_the_end_of_the_history(self, client):
        await client.get("/api/v1/checks/gone/run")
        (newest,) = [e["seq"] for e in (await (await client.get("/api/v1/verdicts")).json())["entries"]]
        for before in (newest + 2, newest - 10_000):
            answer = await client.get(f"/api/v1/verdicts?before={before}")
            assert answer.status == 400
            assert "is no seq of this replica's history" in (await answer.json())["message"]
        assert (await client.get(f"/api/v1/verdicts?before={newest + 1}")).status == 200

    async def test_refused_args_json_cannot_hold_as_they_came_are_listed_as_strict_json(self, client):
        # 1e999 reads as infinity, "\ud800" as a lone surrogate: both refused, both kept in the history.
        for check, body in (("slow", b'{"n": 1e999}'), ("payments-error-rate", b'{"canary_hash": "a\\ud800"}')):
            refused = await client.post(
                f"/api/v1/checks/{check}/run", data=body, headers={"Content-Type": "application/json"}
            )
            assert refused.status == 400

        def refuse(constant: str) -> None:
            raise AssertionError(f"{constant} is not JSON")

        answer = await client.get("/api/v1/verdicts")
        assert answer.status == 200 and answer.content_type == "application/json"
        page = json.loads(await answer.read(), parse_constant=refuse)
        assert [e["args"] for e in page["entries"]] == [{"canary_hash": "a\ud800"}, {"n": "+Inf"}]

    async def test_the_value_of_an_undeclared_arg_is_not_kept(self, client):
        # A credential sent the wrong way (a client adding `?access_token=` beside its header): refused for the
        # arg's name, which is all the entry needs.
        refused = await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc&access_token=tok-9f3e1a")
        assert refused.status == 400
        page = await (await client.get("/api/v1/verdicts")).json()
        assert page["entries"][0]["args"] == {"canary_hash": "abc", "access_token": "<redacted>"}
        shown = await (await client.get(f"/ui/verdicts/{page['entries'][0]['seq']}")).text()
        assert "access_token" in shown and "tok-9f3e1a" not in shown

    async def test_the_rest_of_a_secret_split_at_an_ampersand_is_not_named(self, aiohttp_client):
        # A password with an unescaped '&' in an Argo URL template: its rest became an undeclared arg, named in the
        # 400 (which Argo keeps as the measurement's message), as its key in the history and on the entry's page.
        params = {"password": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        # An undeclared arg before it is named as any other; each one after it may be a piece of its value.
        refused = await client.get("/api/v1/checks/login/run?namespace=x&password=p0ss&w0rd-rest-91&more")
        body = await refused.json()
        assert (refused.status, body["error"]) == (400, "bad_arg")
        assert body["message"] == "undeclared arg 'namespace' (declared params: password)"
        refused = await client.get("/api/v1/checks/login/run?password=p0ss&w0rd-rest-91")
        body = await refused.json()
        assert body["message"].startswith("an undeclared arg follows secret arg 'password'; its name is not shown")
        page = await (await client.get("/api/v1/verdicts")).json()
        assert [entry["args"] for entry in page["entries"]] == [
            {"password": "<redacted>", "<redacted>": "<redacted>"},
            {"namespace": "<redacted>", "password": "<redacted>", "<redacted>": "<redacted>"},
        ]
        shown = json.dumps([body, page]) + await (await client.get(f"/ui/verdicts/{page['entries'][0]['seq']}")).text()
        assert "w0rd-rest" not in shown and "p0ss" not in shown

    @pytest.mark.parametrize(
        ("query", "body", "problem"),
        [
            # The rest of the value repeats a piece: the piece is the arg given twice.
            ("password=p0ss&w0rd-rest-91&w0rd-rest-91", None, " and is given 2 times"),
            # A body gives an arg of the piece's name.
            ("password=p0ss&w0rd-rest-91", {"w0rd-rest-91": "x"}, " and is also given in the body"),
        ],
    )
    async def test_the_rest_of_a_secret_given_twice_is_not_named(self, aiohttp_client, query, body, problem):
        # Refused before the args are bound, as a repeated arg: the refusal named the piece as the arg repeated.
        params = {"password": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        url = f"/api/v1/checks/login/run?{query}"
        refused = await (client.get(url) if body is None else client.post(url, json=body))
        answer = await refused.json()
        assert (refused.status, answer["error"]) == (400, "bad_arg")
        assert answer["message"].startswith(
            f"an undeclared arg follows secret arg 'password'{problem}; its name is not shown"
        )
        page = await (await client.get("/api/v1/verdicts")).json()
        shown = (
            json.dumps([answer, page]) + await (await client.get(f"/ui/verdicts/{page['entries'][0]['seq']}")).text()
        )
        assert "w0rd-rest" not in shown and "p0ss" not in shown

    async def test_an_arg_given_twice_that_follows_no_secret_is_named(self, aiohttp_client):
        # Only what may be the rest of a secret's value is hidden: a repeated arg after a declared one is named.
        params = {
            "password": {"type": "label_value", "required": True, "secret": True},
            "tenant": {"type": "label_value", "required": True},
        }
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        refused = await client.get("/api/v1/checks/login/run?password=p0ss&tenant=a&tenant=b")
        assert (await refused.json())["message"] == "arg 'tenant' is given 2 times; give it once"
        refused = await client.post("/api/v1/checks/login/run?password=p0ss&tenant=a", json={"tenant": "b"})
        assert (await refused.json())["message"] == "arg 'tenant' is given both in the query string and in the body"

    @pytest.mark.parametrize("query", ["password=p0ss&w0rd-rest%E9-91", "password=p0ss&w0rd-rest=91%E9"])
    async def test_the_rest_of_a_secret_that_is_not_utf_8_is_not_named(self, aiohttp_client, query):
        # A password holding '&' and a '%' before two hex digits (`%E9`, no UTF-8): its rest, as an undeclared arg's
        # name or value, decodes to text with U+FFFD, which is refused before the args are bound.
        params = {"password": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        refused = await client.get(f"/api/v1/checks/login/run?{query}")
        body = await refused.json()
        assert (refused.status, body["error"]) == (400, "bad_arg")
        assert body["message"].startswith(
            "an undeclared arg follows secret arg 'password' and is not clean UTF-8 text; its name is not shown"
        )
        page = await (await client.get("/api/v1/verdicts")).json()
        assert page["entries"][0]["args"] == {"password": "<redacted>", "<redacted>": "<redacted>"}
        shown = json.dumps([body, page]) + await (await client.get(f"/ui/verdicts/{page['entries'][0]['seq']}")).text()
        assert "w0rd-rest" not in shown and "p0ss" not in shown

    async def test_an_undeclared_arg_of_a_json_body_after_a_secret_one_is_named(self, aiohttp_client):
        # A JSON body splits no value at an '&' (the way docs/argo-rollouts.md gives for such values): a misspelt
        # arg after a secret one is named, with the param it may mean, as anywhere else.
        params = {
            "password": {"type": "label_value", "required": True, "secret": True},
            "tenant": {"type": "label_value", "required": True},
        }
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        refused = await client.post("/api/v1/checks/login/run", json={"password": "p0ss&w0rd", "tenent": "a"})
        body = await refused.json()
        assert body["message"] == "undeclared arg 'tenent' (declared params: password, tenant); did you mean 'tenant'?"
        page = await (await client.get("/api/v1/verdicts")).json()
        assert page["entries"][0]["args"] == {"password": "<redacted>", "tenent": "<redacted>"}
        # A query string's still may: the body's args come after it and split nothing of it.
        refused = await client.post("/api/v1/checks/login/run?password=p0ss&w0rd-rest-91", json={"tenant": "a"})
        body = await refused.json()
        assert body["message"].startswith("an undeclared arg follows secret arg 'password'; its name is not shown")
        assert "w0rd-rest" not in json.dumps([body, await (await client.get("/api/v1/verdicts")).json()])

    async def test_an_undeclared_arg_that_is_not_utf_8_and_follows_no_secret_is_named(self, aiohttp_client):
        # Only what may be the rest of a secret's value is hidden: the refusal of any other names the arg.
        params = {"password": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
        client = await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))
        refused = await client.get("/api/v1/checks/login/run?n%E9mespace=x&password=p0ss")
        body = await refused.json()
        assert body["message"] == "arg 'n\ufffdmespace' is not valid UTF-8 (it contains U+FFFD)"

    @pytest.mark.parametrize(
        "query", ["limit=0", "limit=6", "limit=x", "verdict=maybe", "since=1", "check=a&check=b", "check=", "verdict="]
    )
    async def test_bad_parameters_are_400(self, client, query):
        answer = await client.get(f"/api/v1/verdicts?{query}")
        assert answer.status == 400

    async def test_an_empty_check_filter_names_the_parameter(self, client):
        # `check=$CHECK` with the variable unset listed nothing, read as "no answers of that check".
        answer = await client.get("/api/v1/verdicts?check=")
        body = await answer.json()
        assert (answer.status, body["arg"]) == (400, "check")
        assert body["message"] == "check must name a check (it is empty); leave it out to list every check"

    async def test_a_misspelt_check_filter_names_the_check_meant(self, client):
        # `check=payments-error-rat` listed nothing, 200: read as "Argo never asked this replica", while the Errors
        # that stopped the rollout were kept under the name meant.
        await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc")
        answer = await client.get("/api/v1/verdicts?check=payments-error-rat")
        body = await answer.json()
        assert (answer.status, body["error"], body["arg"]) == (400, "bad_arg", "check")
        assert body["message"] == (
            "check 'payments-error-rat' names no check of the catalog (GET /api/v1/checks lists them) and no answer "
            "in this replica's history; did you mean 'payments-error-rate'?"
        )
        nothing_near = await (await client.get("/api/v1/verdicts?check=zzz")).json()
        assert nothing_near["message"].endswith("and no answer in this replica's history")

    @pytest.mark.parametrize(
        "query",
        [
            # A check of the catalog not asked yet on this replica, or not with that verdict.
            "check=checkout-smoke",
            "check=payments-error-rate&verdict=fail",
            # A name the catalog lacks that the history holds (a misspelt template's 404s; a check a reload removed),
            # under another verdict too.
            "check=gone",
            "check=gone&verdict=error",
        ],
    )
    async def test_a_filter_of_a_check_with_no_such_answer_lists_none(self, client, query):
        await client.get("/api/v1/checks/gone/run")
        answer = await client.get(f"/api/v1/verdicts?{query}")
        assert answer.status == 200
        assert (await answer.json())["count"] == (1 if query == "check=gone" else 0)

    async def test_the_openapi_document_describes_it(self, client):
        spec = await (await client.get("/api/v1/openapi.json")).json()
        operation = spec["paths"]["/api/v1/verdicts"]["get"]
        assert {p["name"] for p in operation["parameters"]} == {"check", "verdict", "limit", "before", "explain"}
        assert "HistoryEntry" in spec["components"]["schemas"]

    async def test_entries_match_the_openapi_schema(self, client, gate):
        gate.open()
        await client.get("/api/v1/checks/slow/run?n=2")
        await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=abc")
        await client.get("/api/v1/checks/gone/run")
        schemas = copy.deepcopy((await (await client.get("/api/v1/openapi.json")).json())["components"]["schemas"])
        entry_fields = set(schemas["HistoryEntry"]["properties"])
        # Closed, so that a field the serializer adds and the schema lacks is caught too.
        for name in ("HistoryEntry", "VerdictHistoryPage"):
            schemas[name]["additionalProperties"] = False
        formats = jsonschema.FormatChecker()
        # jsonschema checks date-time only with an extra package; a format applies to strings alone.
        formats.checks("date-time", raises=ValueError)(
            lambda text: not isinstance(text, str) or bool(datetime.fromisoformat(text))
        )
        validator = jsonschema.Draft202012Validator(
            {"$ref": "#/components/schemas/VerdictHistoryPage", "components": {"schemas": schemas}},
            format_checker=formats,
        )
        for explain in ("false", "true"):
            page = await (await client.get(f"/api/v1/verdicts?explain={explain}")).json()
            assert [e["verdict"] for e in page["entries"]] == ["rejected", "error", "pass"]
            assert [error.message for error in validator.iter_errors(page)] == []
            assert [set(e) for e in page["entries"]] == [
                entry_fields - {"details"} if explain == "false" else entry_fields
            ] * 3


class TestReloadThroughTheApi:
    """A reload changes the catalog version header; a rejected one shows in /readyz and the metrics."""

    async def test_version_header_readyz_and_metric(self, aiohttp_client, tmp_path):
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "slow", "kind": "gate", "gate": "g"}]}))
        app = create_app(Settings(catalog=path, catalog_poll_s=0), load_catalog(path, REGISTRY), REGISTRY)
        client = await aiohttp_client(app)
        first = (await client.get("/api/v1/checks")).headers[CATALOG_VERSION_HEADER]
        path.write_text(yaml.safe_dump({"checks": [{"name": "slow2", "kind": "gate", "gate": "g"}]}))
        assert await app[LIVE].reload("test") == "reloaded"
        answer = await client.get("/api/v1/checks")
        assert answer.headers[CATALOG_VERSION_HEADER] != first
        assert [c["name"] for c in (await answer.json())["checks"]] == ["slow2"]
        path.write_text("checks: [{name: broken, kind: nope}]\n")
        assert await app[LIVE].reload("test") == "rejected"
        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 200 and body["catalog_version"] == answer.headers[CATALOG_VERSION_HEADER]
        assert body["catalog"]["reload_failing"] is True
        assert "unknown kind 'nope'" in " ".join(body["catalog"]["last_error"]["problems"])
        assert "analyzer_catalog_reload_failing 1.0" in await (await client.get("/metrics")).text()


class TestInFlightAcrossAReload:
    """An evaluation that started on one catalog and ends after a reload says, in its answer and in the history,
    the catalog it ran on."""

    async def test_answer_and_history_name_the_catalog_it_ran_on(self, aiohttp_client, tmp_path, gate):
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "slow", "kind": "gate", "gate": "g"}]}))
        app = create_app(Settings(catalog=path, catalog_poll_s=0), load_catalog(path, REGISTRY), REGISTRY)
        client = await aiohttp_client(app)
        old = app[LIVE].current.catalog.version
        running = asyncio.ensure_future(client.get("/api/v1/checks/slow/run"))
        await gate.wait_entered(1)
        path.write_text(yaml.safe_dump({"checks": [{"name": "slow", "kind": "gate", "gate": "g", "outcome": "fail"}]}))
        assert await app[LIVE].reload("test") == "reloaded"
        new = app[LIVE].current.catalog.version
        gate.open()
        answer = await running
        assert (await answer.json())["verdict"] == "pass"
        assert answer.headers[CATALOG_VERSION_HEADER] == old != new
        page = await (await client.get("/api/v1/verdicts?explain=true")).json()
        assert [(entry["verdict"], entry["catalog_version"]) for entry in page["entries"]] == [("pass", old)]
        after = await client.get("/api/v1/checks/slow/run")
        assert ((await after.json())["verdict"], after.headers[CATALOG_VERSION_HEADER]) == ("fail", new)


class TestDraining:
    """While draining, readiness fails and new evaluations are turned away with Retry-After."""

    async def test_draining(self, aiohttp_client):
        app = create_app(Settings(retry_after_s=4), catalog(), REGISTRY)
        client = await aiohttp_client(app)
        app[LIVE].draining = True
        assert (await client.get("/readyz")).status == 503
        answer = await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=x")
        assert answer.status == 503 and answer.headers["Retry-After"] == "4"
        assert (await answer.json())["error"] == "shutting_down"
        assert (await client.get("/healthz")).status == 200


class TestHistoryPrivacy:
    """A caller limited by the allow-list sees other callers' answers without their args or identity."""

    @pytest.fixture
    async def client(self, aiohttp_client, tokens):
        root, allow = tokens
        return await aiohttp_client(create_app(Settings(auth_tokens=root, auth_allow=allow), catalog(), REGISTRY))

    async def test_restricted_caller_sees_only_its_own_args(self, client):
        await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=sre-secret", headers=bearer(TOKEN_SRE))
        await client.get("/api/v1/checks/payments-error-rate/run?canary_hash=argo1", headers=bearer(TOKEN_ARGO))
        seen = (await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_ARGO))).json())["entries"]
        assert [(e["args"], e["client"]) for e in seen] == [({"canary_hash": "argo1"}, "argo-rollouts"), ({}, None)]
        everything = (await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_SRE))).json())["entries"]
        assert everything[1]["args"] == {"canary_hash": "sre-secret"}
        # A token allowed "*" is not restricted: an SRE reads who asked what, with which args.
        assert (everything[0]["args"], everything[0]["client"]) == ({"canary_hash": "argo1"}, "argo-rollouts")

    @pytest.mark.parametrize("limit", ["²", "9" * 5000, "-1", "1.5", "0"])
    async def test_odd_limits_are_400(self, client, limit):
        answer = await client.get("/api/v1/verdicts", params={"limit": limit}, headers=bearer(TOKEN_SRE))
        assert answer.status == 400
        assert (await answer.json())["arg"] == "limit"

    async def test_readiness_warnings_follow_the_allow_list(self, aiohttp_client, tokens):
        from analyzer.catalog import build_catalog
        from analyzer.registry import Registry

        budget = {
            "kind": "error_budget",
            "objective": 90,
            "period": "30d",
            "ratio": {"errors": "sum(rate(e[{{ window }}]))", "total": "sum(rate(t[{{ window }}]))"},
        }
        warned = build_catalog(
            [
                (
                    "c.yaml",
                    {
                        "sources": DOWN_SOURCE,
                        "checks": [{"name": "payments-budget", **budget}, {"name": "orders-budget", **budget}],
                    },
                )
            ],
            Registry.default(),
        )
        assert warned.warnings
        root, allow = tokens
        client = await aiohttp_client(
            create_app(Settings(auth_tokens=root, auth_allow=allow), warned, Registry.default())
        )
        argo = (await (await client.get("/readyz", headers=bearer(TOKEN_ARGO))).json())["warnings"]
        sre = (await (await client.get("/readyz", headers=bearer(TOKEN_SRE))).json())["warnings"]
        assert argo and all("'payments-budget'" in w for w in argo)
        assert any("'orders-budget'" in w for w in sre)
        assert "warnings" not in await (await client.get("/readyz")).json()
