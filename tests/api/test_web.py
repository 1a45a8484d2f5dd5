"""The HTTP API's contract: routes, client errors, formats and headers."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

import analyzer.live
from analyzer.catalog import build_catalog
from analyzer.errors import ConfigError
from analyzer.models import Outcome, Verdict, envelope
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.web import CATALOG_VERSION_HEADER, TEXT_NOT_PASSED_STATUS, _text_status, create_app
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.gatekind import GateCheck
from tests.logcapture import json_logs

pytestmark = pytest.mark.integration

CHECK = {
    "name": "error-rate",
    "kind": "prometheus",
    "description": "canary 5xx ratio under 1%",
    "params": {
        "canary_hash": {"type": "label_value", "required": True, "pattern": "[0-9a-z]{1,12}"},
        "window": {"type": "duration", "default": "5m"},
        "limit": {"type": "number", "default": 0.01, "maximum": 1},
    },
    # `+ 0 * {{ limit }}`: the catalog refuses a param placed nowhere; the number changes nothing measured.
    "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}",code=~"5.."}[{{ window }}]))'
    ' / sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}"}[{{ window }}])) + 0 * {{ limit }}',
    "pass_if": "< 0.01",
}


@pytest.fixture
async def client(aiohttp_client, prometheus):
    catalog = build_catalog(
        [
            (
                "test.yaml",
                {
                    "sources": {"default": {"url": prometheus.url, "headers": {"X-Scope-OrgID": "secret-tenant"}}},
                    "checks": [CHECK],
                },
            )
        ],
        Registry.default(),
    )
    return await aiohttp_client(
        create_app(Settings(max_body_bytes=1024, max_query_bytes=300), catalog, Registry.default())
    )


async def error_of(response, status):
    assert response.status == status
    assert response.content_type == "application/json"
    return await response.json()


class TestRun:
    """GET and POST evaluate; args come from the query string or a flat JSON body."""

    async def test_get(self, client, prometheus):
        response = await client.get(
            "/api/v1/checks/error-rate/run", params={"canary_hash": "broken1", "at": str(prometheus.anchor)}
        )
        body = await response.json()
        assert response.status == 200
        assert set(body) == {
            "check",
            "kind",
            "verdict",
            "reason",
            "value",
            "threshold",
            "args",
            "evaluated_at",
            "duration_ms",
            "ui_url",
        }
        assert body["verdict"] == "fail"
        assert body["args"] == {"canary_hash": "broken1", "window": "5m", "limit": 0.01}
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers[CATALOG_VERSION_HEADER]

    async def test_post_json_body_like_argo_jsonbody(self, client, prometheus):
        response = await client.post(
            f"/api/v1/checks/error-rate/run?at={prometheus.anchor}", json={"canary_hash": "healthy1", "window": "10m"}
        )
        body = await response.json()
        assert (response.status, body["verdict"], body["args"]["window"]) == (200, "pass", "10m")

    async def test_the_same_args_asked_at_every_step_answer_as_asked_once(self, client, prometheus):
        # A rollout asks again with the same args at each step, only `at` changing: what the service keeps of them
        # changes no answer, as a string in the body, the query string in another order, or at another time.
        def asked(body: dict[str, object]) -> dict[str, object]:
            return {key: value for key, value in body.items() if key != "duration_ms"}

        at, earlier = prometheus.anchor, prometheus.anchor - 60
        answers = []
        for query in (
            f"canary_hash=broken1&window=10m&at={at}",
            f"at={at}&window=10m&canary_hash=broken1",
            f"canary_hash=broken1&window=10m&at={at}",
        ):
            answers.append(
                asked(await (await client.get(f"/api/v1/checks/error-rate/run?{query}&explain=true")).json())
            )
        posted = await client.post(
            f"/api/v1/checks/error-rate/run?at={at}&explain=true", json={"canary_hash": "broken1", "window": "10m"}
        )
        answers.append(asked(await posted.json()))
        assert answers[0]["verdict"] == "fail"
        assert all(answer == answers[0] for answer in answers)
        # Another step, the same args: its own time, in its answer and its page link.
        response = await client.get(f"/api/v1/checks/error-rate/run?canary_hash=broken1&window=10m&at={earlier}")
        later = await response.json()
        assert later["args"] == answers[0]["args"]
        assert later["evaluated_at"] != answers[0]["evaluated_at"]
        head = answers[0]["ui_url"].split("at=")[0]
        assert later["ui_url"] == head + "at=" + later["evaluated_at"].replace(":", "%3A")

    async def test_post_without_content_type_or_body(self, client):
        response = await client.post("/api/v1/checks/error-rate/run?canary_hash=healthy1")
        assert (await response.json())["verdict"] == "pass"

    async def test_text_format(self, client, prometheus):
        response = await client.get(
            "/api/v1/checks/error-rate/run",
            params={"canary_hash": "broken1", "format": "text", "at": str(prometheus.anchor)},
        )
        text = await response.text()
        assert response.content_type == "text/plain"
        assert text.startswith("FAIL error-rate: value 0.1 does not meet pass_if < 0.01 (value=0.1, threshold=0.01, ")
        assert text.count("\n") == 1

    async def test_text_format_explained_adds_the_details_as_analyzer_run_explain_prints_them(self, client, prometheus):
        # The troubleshooting page's first advice: `format=text` for the reason, `explain=true` for the queries; asked
        # together, the queries were dropped without a word.
        asked = {"canary_hash": "broken1", "at": str(prometheus.anchor)}
        response = await client.get(
            "/api/v1/checks/error-rate/run", params=asked | {"format": "text", "explain": "true"}
        )
        line, _, rest = (await response.text()).partition("\n")
        explained = await (await client.get("/api/v1/checks/error-rate/run", params=asked | {"explain": "true"})).json()
        assert (response.status, response.content_type) == (TEXT_NOT_PASSED_STATUS, "text/plain")
        assert line.startswith("FAIL error-rate: value 0.1 does not meet pass_if < 0.01 (")
        assert line.endswith(f" page={explained['ui_url']}")
        assert json.loads(rest) == explained["details"]
        assert 'rollouts_pod_template_hash=\\"broken1\\"' in rest
        assert rest.startswith("{\n  ") and rest.endswith("}\n")

    @pytest.mark.parametrize(
        ("canary_hash", "line", "status"),
        [("healthy1", "PASS", 200), ("broken1", "FAIL", 409), ("absent0", "INCONCLUSIVE", 409)],
    )
    async def test_text_is_a_2xx_only_for_a_pass(self, client, prometheus, canary_hash, line, status):
        # Whoever reads only the status (Argo's web provider counts a 2xx body that is not JSON as Successful up to
        # v1.10.0-rc1; a Flagger webhook; curl -f) must not take a fail or an inconclusive for a pass.
        response = await client.get(
            "/api/v1/checks/error-rate/run",
            params={"canary_hash": canary_hash, "format": "text", "at": str(prometheus.anchor)},
        )
        assert ((await response.text()).split(" ")[0], response.status) == (line, status)
        json_answer = await client.get(
            "/api/v1/checks/error-rate/run", params={"canary_hash": canary_hash, "at": str(prometheus.anchor)}
        )
        assert json_answer.status == 200

    async def test_request_id_is_echoed(self, client):
        response = await client.get(
            "/api/v1/checks/error-rate/run?canary_hash=healthy1", headers={"X-Request-Id": "argo-123"}
        )
        assert response.headers["X-Request-Id"] == "argo-123"


class TestClientErrors:
    """Client mistakes are not verdicts: 404, 400, 405, 413 and 414 with a JSON body naming the problem."""

    async def test_unknown_check(self, client):
        body = await error_of(await client.get("/api/v1/checks/nope/run"), 404)
        assert body == {"error": "check_not_found", "message": body["message"]}
        assert "no check named 'nope'" in body["message"]

    async def test_a_typo_in_a_check_name_names_the_check_meant(self, client):
        body = await error_of(await client.get("/api/v1/checks/eror-rate/run"), 404)
        assert body["message"].endswith("GET /api/v1/checks lists them); did you mean 'error-rate'?")

    @pytest.mark.parametrize(
        ("query", "arg", "text"),
        [
            ("", "canary_hash", "missing required arg 'canary_hash'"),
            ("canary_hash=abc&namespace=x", "namespace", "undeclared arg 'namespace'"),
            ("canary_hash=ABC", "canary_hash", "must match the pattern"),
            ("canary_hash=abc&window=5", "window", "duration"),
            ("canary_hash=abc&limit=2", "limit", "<= 1"),
            ("canary_hash=abc&canary_hash=def", "canary_hash", "given 2 times"),
            # The same value twice, an empty one, `+` and `%20`, a reserved option: given twice all the same; the
            # first key given more than once, in order, is named; keys differing by case are two keys.
            ("canary_hash=abc&canary_hash=abc", "canary_hash", "'canary_hash' is given 2 times"),
            ("canary_hash=&canary_hash=", "canary_hash", "'canary_hash' is given 2 times"),
            ("canary_hash=a+b&canary_hash=a%20b&canary_hash=c", "canary_hash", "'canary_hash' is given 3 times"),
            ("format=json&canary_hash=a&canary%5Fhash=b&format=json", "format", "'format' is given 2 times"),
            ("canary_hash=abc&Canary_hash=abc", "Canary_hash", "undeclared arg 'Canary_hash'"),
            ("canary_hash=abc&at=yesterday", "at", "neither RFC 3339"),
            ("canary_hash=abc&at=2099-01-01T00:00:00Z", "at", "in the future"),
            ("canary_hash=abc&at=4070908800", "at", "in the future"),
            ("canary_hash=abc&at=0001-01-01T00:00:00Z", "at", "before 1970-01-01"),
            ("canary_hash=abc&explain=maybe", "explain", "true or false"),
            ("canary_hash=abc&format=xml", "format", "json or text"),
        ],
    )
    async def test_bad_args(self, client, query, arg, text):
        body = await error_of(await client.get(f"/api/v1/checks/error-rate/run?{query}"), 400)
        assert (body["error"], body["arg"]) == ("bad_arg", arg)
        assert text in body["message"]
        # Asked again, refused again alike: a refusal is never kept.
        assert await error_of(await client.get(f"/api/v1/checks/error-rate/run?{query}"), 400) == body

    @pytest.mark.parametrize("offset", ["+01:00", "+0100"])
    async def test_an_offset_whose_plus_the_url_made_a_space_is_read(self, client, offset):
        # `{{experiment.availableAt}}` with the controller's TZ set: Argo puts `+01:00` in the url unencoded, and the
        # query string decodes the '+' as a space. Before: a 400 at every measurement, and the rollout aborted.
        response = await client.get(f"/api/v1/checks/error-rate/run?canary_hash=abc&at=2026-11-26T12:00:00{offset}")
        assert (await response.json())["evaluated_at"] == "2026-11-26T11:00:00.000Z"

    async def test_a_space_before_what_is_no_offset_is_refused(self, client):
        response = await client.get("/api/v1/checks/error-rate/run?canary_hash=abc&at=2026-11-26T12:00:00+01")
        body = await error_of(response, 400)
        assert (body["arg"], body["message"]) == (
            "at",
            "at: '2026-11-26T12:00:00 01' is neither RFC 3339 nor unix seconds: a + in a query string reads as a "
            "space: write the offset whole and encoded, %2B01:00, or the time in UTC with Z",
        )

    async def test_an_offset_written_as_percent_2b_is_read(self, client):
        response = await client.get("/api/v1/checks/error-rate/run?canary_hash=abc&at=2026-11-26T12:00:00%2B01:00")
        assert (await response.json())["evaluated_at"] == "2026-11-26T11:00:00.000Z"

    @pytest.mark.parametrize(
        ("payload", "text"),
        [
            (b"[1, 2]", "flat JSON object of args, not an array"),
            (b'"c0ffee1"', "flat JSON object of args, not a string"),
            (b"7", "flat JSON object of args, not a number"),
            (b"{not json", "not valid JSON"),
            # Named as JSON names them, the words a client's author knows (not Python's dict, NoneType, bool).
            (b'{"canary_hash": {"x": 1}}', "must be a string or a number, got an object"),
            # Args wrapped as some clients send them: before, only "must be a string or a number, got an object".
            (
                b'{"args": {"canary_hash": "a"}}',
                "arg 'args' must be a string or a number, got an object; the body is the args themselves, flat: "
                '{"KEY": "VALUE"}',
            ),
            (b'{"canary_hash": null}', "must be a string or a number, got null"),
            (b'{"canary_hash": [1]}', "must be a string or a number, got an array"),
            (b'{"canary_hash": false}', "must be a string or a number, got false"),
            (b'{"at": "1"}', "query string"),
            (b"\xff\xfe", "not valid JSON"),
            (b"[" * 1000, "nests arrays or objects too deeply"),
            (b'{"canary_hash": "a", "canary_hash": "b"}', "'canary_hash' is given twice"),
        ],
    )
    async def test_bad_bodies(self, client, payload, text):
        body = await error_of(await client.post("/api/v1/checks/error-rate/run", data=payload), 400)
        assert text in body["message"]

    @pytest.mark.parametrize(
        ("written", "refusal"),
        [
            (
                "1e3",
                "is the JSON number 1e3, which a label_value param sends as '1000': give it as the JSON string "
                '"1e3" to send it as written',
            ),
            # Written as the param refuses it as text too: told to send "1.10" as a string, a caller was refused again.
            ("1.10", "must match the pattern '[0-9a-z]{1,12}', got '1.10'"),
            ("7.0", "must match the pattern '[0-9a-z]{1,12}', got '7.0'"),
            # An int drops the sign of -0: the label value "0" was evaluated.
            ("-0", "must match the pattern '[0-9a-z]{1,12}', got '-0'"),
        ],
    )
    async def test_a_json_number_for_a_text_param_is_sent_as_written_or_refused(self, client, written, refusal):
        # `{"canary_hash": 1e3}` was evaluated with the label value "1000" (a version 1.10 as 1.1: another version's
        # series); the number as written is kept, and refused for a param sent as text.
        response = await client.post("/api/v1/checks/error-rate/run", data=f'{{"canary_hash": {written}}}'.encode())
        assert (await error_of(response, 400))["message"] == f"arg 'canary_hash' {refusal}"
        listed = await (await client.get("/api/v1/verdicts?limit=1")).json()
        assert listed["entries"][0]["args"] == {"canary_hash": float(written)}

    async def test_a_number_param_takes_a_json_number_as_it_reads(self, client, prometheus):
        response = await client.post(
            f"/api/v1/checks/error-rate/run?at={prometheus.anchor}", data=b'{"canary_hash": "abc", "limit": 1e-2}'
        )
        assert (await response.json())["args"] == {"canary_hash": "abc", "window": "5m", "limit": 0.01}

    async def test_a_form_is_told_to_be_sent_as_json(self, client):
        # What curl -d 'canary_hash=c0ffee1' sends: "not valid JSON" said nothing of curl's default Content-Type.
        response = await client.post(
            "/api/v1/checks/error-rate/run",
            data=b"canary_hash=c0ffee1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert (await error_of(response, 400))["message"] == (
            "the request body is a form (Content-Type application/x-www-form-urlencoded, what curl -d sends), not "
            """JSON; send a flat JSON object of args: curl --json '{"KEY": "VALUE"}', or -H 'Content-Type: """
            """application/json' -d '{"KEY": "VALUE"}'"""
        )

    async def test_a_body_its_content_encoding_does_not_decode(self, client, caplog):
        response = await client.post(
            "/api/v1/checks/error-rate/run", data=b'{"canary_hash": "a"}', headers={"Content-Encoding": "gzip"}
        )
        body = await error_of(response, 400)
        assert body["message"] == (
            "the request body does not decode as its Content-Encoding 'gzip'; send a flat JSON object of args"
        )
        # Nor is it read on after the answer, to be logged as aiohttp's unhandled exception.
        assert not [record.getMessage() for record in caplog.records if record.name == "aiohttp.server"]

    async def test_a_get_with_a_body_is_refused(self, client):
        # What `requests.get(url, json=args)` sends: before, the body was never read and the check ran on its
        # defaults, the caller's args silently dropped.
        response = await client.get("/api/v1/checks/error-rate/run?canary_hash=a", json={"window": "1h"})
        body = await error_of(response, 400)
        assert body["message"] == (
            "a GET's body is not read, and this one has a body: give the args in the query string, or send the body "
            "with POST"
        )
        history = await (await client.get("/api/v1/verdicts")).json()
        assert [(e["check"], e["http_status"]) for e in history["entries"]] == [("error-rate", 400)]

    async def test_a_get_with_an_empty_body_is_served(self, client, prometheus):
        response = await client.get(
            f"/api/v1/checks/error-rate/run?canary_hash=a&at={prometheus.anchor}", headers={"Content-Length": "0"}
        )
        assert response.status == 200

    @pytest.mark.parametrize("chunks", [[], [b""], [b"{}"]], ids=["none", "empty", "bytes"])
    async def test_a_get_with_a_chunked_body_is_refused_only_when_it_holds_bytes(self, client, prometheus, chunks):
        # A proxy in front may add `Transfer-Encoding: chunked` and an empty body to a GET that had none (Envoy with
        # some filters, linkerd's and vert.x's proxies did): refused, Argo Rollouts' every measurement was an Error.
        async def body():
            for chunk in chunks:
                yield chunk

        response = await client.get(f"/api/v1/checks/error-rate/run?canary_hash=a&at={prometheus.anchor}", data=body())
        assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        if any(chunks):
            assert "a GET's body is not read" in (await error_of(response, 400))["message"]
        else:
            assert response.status == 200

    async def test_arg_in_both_query_and_body(self, client):
        response = await client.post("/api/v1/checks/error-rate/run?canary_hash=a", json={"canary_hash": "b"})
        assert "both" in (await error_of(response, 400))["message"]

    async def test_oversized_body(self, client):
        response = await client.post("/api/v1/checks/error-rate/run", data=b"{" + b" " * 4096 + b"}")
        body = await error_of(response, 413)
        assert body["message"] == "request body is larger than 1024 bytes"

    async def test_oversized_query_string(self, client):
        body = await error_of(await client.get("/api/v1/checks/error-rate/run?canary_hash=" + "a" * 400), 414)
        assert "longer than 300 bytes" in body["message"]

    async def test_unknown_route_and_method(self, client):
        assert (await error_of(await client.get("/api/v2/nothing"), 404))["error"] == "not_found"

    @pytest.mark.parametrize("path", ["/api/v1/checks/error-rate/run/", "/api/v1/checks/", "/api/v1/verdicts/"])
    async def test_a_trailing_slash_says_to_write_it_without(self, client, path):
        # Before: "no route ...; a check runs at /api/v1/checks/NAME/run", the path written as the message says.
        body = await error_of(await client.get(path + "?canary_hash=abc"), 404)
        assert body["message"] == f"no route GET {path}; write it without the trailing slash: {path.rstrip('/')}"

    @pytest.mark.parametrize("path", ["/api/v1/check/error-rate/run", "/api/v1/check/error-rate/run/", "/api/v2/"])
    async def test_a_wrong_path_says_where_checks_run(self, client, path):
        # With a trailing slash too: without it, the path is no route either (not "write it without the slash").
        body = await error_of(await client.get(path), 404)
        assert body["message"] == (
            f"no route GET {path}; a check runs at /api/v1/checks/NAME/run, "
            "verdict pages for a browser are at /ui/, and GET /api/v1/openapi.json lists every route"
        )

    async def test_a_wrong_method_names_the_allowed(self, client):
        answer = await client.delete("/api/v1/checks/error-rate/run")
        body = await error_of(answer, 405)
        assert body["error"] == "method_not_allowed"
        # It said only "Method Not Allowed".
        assert body["message"] == ("method DELETE is not allowed on /api/v1/checks/error-rate/run; it allows GET, POST")
        assert set(answer.headers["Allow"].split(",")) == {"GET", "POST"}

    async def test_head_of_a_run_is_405_and_evaluates_nothing(self, client):
        # A monitoring probe's HEAD: a run is an evaluation (queries, a smoke test's requests), and the status a GET
        # gives is the verdict's, unknown without evaluating; the probes are /healthz and /readyz.
        answer = await client.head("/api/v1/checks/error-rate/run?canary_hash=healthy1")
        assert answer.status == 405
        assert set(answer.headers["Allow"].split(",")) == {"GET", "POST"}
        history = await (await client.get("/api/v1/verdicts")).json()
        assert history["entries"] == []
        assert [(await client.head(path)).status for path in ("/healthz", "/readyz")] == [200, 200]

    @pytest.mark.parametrize(
        ("path", "status", "line"),
        [
            ("/api/v1/checks/error-rate/run?format=text", 400, "bad_arg (400): missing required arg 'canary_hash'"),
            ("/api/v1/checks/eror-rate/run?format=text", 404, "check_not_found (404): no check named 'eror-rate'"),
        ],
    )
    async def test_a_run_asked_as_text_is_refused_in_one_line(self, client, path, status, line):
        response = await client.get(path)
        text = await response.text()
        assert (response.status, response.content_type) == (status, "text/plain")
        assert text.startswith(line) and text.endswith("\n") and text.count("\n") == 1, text

    def test_a_refusal_line_quotes_no_control_character(self):
        # Messages quote what a client sent with repr() today; the line stays one line whatever a message holds.
        from analyzer.web import _text_refusal

        response = _text_refusal(400, "bad_arg", "a\x1b[2Jb\nc", {"Retry-After": "3"})
        assert response.text == "bad_arg (400): a\\x1b[2Jb\\x0ac\n" and response.headers["Retry-After"] == "3"

    async def test_format_text_elsewhere_or_twice_keeps_json(self, client):
        await error_of(await client.get("/api/v1/checks/nope?format=text"), 404)
        await error_of(await client.get("/api/v1/checks/error-rate/run?format=text&format=text"), 400)

    async def test_service_survives_bad_requests(self, client):
        await client.post("/api/v1/checks/error-rate/run", data=b"\x00" * 2000)
        assert (await client.get("/healthz")).status == 200


class TestCatalogRoutes:
    """The catalog is listed and each definition shown with secrets redacted."""

    async def test_list(self, client):
        body = await (await client.get("/api/v1/checks")).json()
        assert body["checks"][0]["name"] == "error-rate"
        assert body["checks"][0]["params"]["canary_hash"] == {
            "type": "label_value",
            "required": True,
            "pattern": "[0-9a-z]{1,12}",
        }
        assert body["checks"][0]["params"]["window"] == {"type": "duration", "default": "5m"}

    async def test_definition_redacts_source_headers(self, client):
        body = await (await client.get("/api/v1/checks/error-rate")).json()
        assert body["pass_if"] == "< 0.01"
        assert body["sources"]["default"]["headers"] == {"X-Scope-OrgID": "<redacted>"}
        assert "secret-tenant" not in json.dumps(body)

    async def test_unknown_definition(self, client):
        await error_of(await client.get("/api/v1/checks/..%2f..%2fetc"), 404)


class TestServiceRoutes:
    """Health, readiness, metrics and the OpenAPI document."""

    async def test_health_and_readiness(self, client):
        assert await (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await (await client.get("/readyz")).json()
        assert (ready["status"], ready["checks"]) == ("ready", 1)

    async def test_metrics_count_evaluations(self, client):
        await client.get("/api/v1/checks/error-rate/run?canary_hash=healthy1")
        text = await (await client.get("/metrics")).text()
        assert 'analyzer_evaluations_total{check="error-rate",verdict="pass"} 1.0' in text
        assert 'analyzer_source_queries_total{outcome="ok",source="default"} 1.0' in text

    async def test_openapi(self, client):
        document = await (await client.get("/api/v1/openapi.json")).json()
        assert document["openapi"] == "3.1.0"
        operation = document["paths"]["/api/v1/checks/error-rate/run"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"] if "name" in p}
        assert parameters["canary_hash"]["required"] is True
        assert {"$ref": "#/components/parameters/at"} in operation["parameters"]
        assert parameters["window"]["schema"]["pattern"].startswith("^(")
        assert "Evaluation" in document["components"]["schemas"]
        assert set(operation["responses"]) >= {"200", "400", "404", "502", "503", "504"}


class TestOpenAPIDocumentBuilt:
    """The document is built once per catalog, in a thread of its own (a large catalog's took seconds of CPU the
    event loop would not have served verdicts in), and a build that failed is tried again by the next request."""

    async def test_built_once_off_the_event_loop(self, client, monkeypatch):
        builds: list[str] = []
        real = analyzer.live.build_openapi

        def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
            builds.append(threading.current_thread().name)
            return real(*args, **kwargs)

        monkeypatch.setattr(analyzer.live, "build_openapi", counted)
        answers = await asyncio.gather(*(client.get("/api/v1/openapi.json") for _ in range(3)))
        bodies = {await answer.read() for answer in answers}
        again = await (await client.get("/api/v1/openapi.json")).read()
        assert builds == ["openapi-build"] and threading.current_thread().name != "openapi-build"
        assert len(bodies) == 1 and bodies == {again}
        assert "/api/v1/checks/error-rate/run" in json.loads(again)["paths"]
        assert answers[0].content_type == "application/json"

    async def test_a_failed_build_is_tried_again(self, client, monkeypatch):
        real = analyzer.live.build_openapi
        failures = [RuntimeError("a bug")]

        def failing_once(*args: Any, **kwargs: Any) -> dict[str, Any]:
            if failures:
                raise failures.pop()
            return real(*args, **kwargs)

        monkeypatch.setattr(analyzer.live, "build_openapi", failing_once)
        assert (await client.get("/api/v1/openapi.json")).status == 500
        answer = await client.get("/api/v1/openapi.json")
        assert answer.status == 200 and "/api/v1/checks/error-rate/run" in (await answer.json())["paths"]


def strict(text: str) -> object:
    """`text` parsed as strict JSON: a bare NaN or Infinity (which Go's encoding/json in Argo rejects) fails."""

    def refuse(constant: str) -> object:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


class TestNoNonFiniteNumberInListings:
    """A catalog writing numbers at the edge of the float range (a param's bounds and default, a smoke step's JSON
    body and expected values: NaN and infinity are refused where they load) is shown in strict JSON by every route
    that answers through Python's json module: nothing there can be non-finite."""

    SMOKE = {
        "name": "smoke",
        "kind": "http_smoke",
        "base_url": "http://127.0.0.1:9",
        "allowed_hosts": ["127.0.0.1"],
        "params": {"limit": {"type": "number", "default": 1e308, "minimum": -1.7e308, "maximum": 1.7e308}},
        "steps": [
            {
                "name": "post",
                "path": "/orders",
                "query": {"limit": "{{ limit }}"},
                "method": "POST",
                "json_body": {"total": 1.7e308, "refund": -1.7e308, "ratio": 5e-324},
                "expect": {"json": [{"path": "$.total", "equals": 1.7e308}]},
            }
        ],
    }

    async def test_listings_definitions_openapi_readiness_and_errors_are_strict_json(self, aiohttp_client):
        catalog = build_catalog([("test.yaml", {"checks": [self.SMOKE]})], Registry.default())
        client = await aiohttp_client(create_app(Settings(catalog_poll_s=3600), catalog, Registry.default()))
        for path in ("/api/v1/checks", "/api/v1/checks/smoke", "/api/v1/openapi.json", "/readyz", "/api/v1/nowhere"):
            strict(await (await client.get(path)).text())
        listed = strict(await (await client.get("/api/v1/checks")).text())
        assert listed["checks"][0]["params"]["limit"]["maximum"] == 1.7e308  # type: ignore[index]
        definition = strict(await (await client.get("/api/v1/checks/smoke")).text())
        assert definition["steps"][0]["json_body"] == {"total": 1.7e308, "refund": -1.7e308, "ratio": 5e-324}  # type: ignore[index]

    def test_nan_or_infinity_in_a_smoke_body_does_not_load(self):
        smoke = {**self.SMOKE, "steps": [{**self.SMOKE["steps"][0], "json_body": {"total": float("inf")}}]}
        with pytest.raises(ConfigError, match=r"json_body\.total is inf"):
            build_catalog([("test.yaml", {"checks": [smoke]})], Registry.default())


class TestRequestIds:
    """A request without an id gets a fresh one; a malformed offered id is replaced."""

    async def test_generated_ids_are_unique(self, client):
        ids = {(await client.get("/healthz")).headers["X-Request-Id"] for _ in range(5)}
        assert len(ids) == 5

    async def test_malformed_offered_id_is_replaced(self, client):
        response = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
        assert response.headers["X-Request-Id"] != "bad id\twith spaces"


class TestTextStatus:
    """A verdict's line has a 2xx status only when it is a pass; an error keeps its own status."""

    @pytest.mark.parametrize(
        ("outcome", "http_status", "expected"),
        [
            (Outcome.PASS, 200, 200),
            (Outcome.FAIL, 200, TEXT_NOT_PASSED_STATUS),
            (Outcome.INCONCLUSIVE, 200, TEXT_NOT_PASSED_STATUS),
            (Outcome.ERROR, 502, 502),
            (Outcome.ERROR, 504, 504),
            # A plugin's error may carry any status: a 2xx is never kept for it, anything else is.
            (Outcome.ERROR, 204, TEXT_NOT_PASSED_STATUS),
            (Outcome.ERROR, 299, TEXT_NOT_PASSED_STATUS),
            (Outcome.ERROR, 300, 300),
        ],
    )
    def test_status(self, outcome, http_status, expected):
        evaluation = envelope(
            "c",
            "prometheus",
            Verdict(outcome=outcome, reason="r"),
            {},
            datetime(2026, 12, 5, tzinfo=UTC),
            1.0,
            "source_unavailable" if outcome is Outcome.ERROR else None,
            http_status,
            None,
            "2026-12-05T00:00:00.000Z",
        )
        assert _text_status(evaluation) == expected


def crashed_line(stream: io.StringIO) -> dict[str, Any]:
    return next(line for line in map(json.loads, stream.getvalue().splitlines()) if line["event"] == "request_crashed")


class TestCrashLog:
    """A request that crashes logs a traceback without the credentials it may quote: a secret arg (from the query
    or the body), a source's token, a header credential."""

    @pytest.mark.parametrize("post", [False, True])
    async def test_request_crashed_hides_what_the_exception_quotes(self, aiohttp_client, tmp_path, monkeypatch, post):
        # Before: the traceback of `request_crashed` quoted them all, as the exception wrote them.
        token_file = tmp_path / "token"
        token_file.write_text("file-token-4c3b2a\n")
        sources = {"default": {"url": "http://prometheus:9090", "bearer_token_file": str(token_file)}}
        params = {"login_hash": {"type": "label_value", "required": True, "secret": True}}
        catalog = gate_catalog({"name": "login", "kind": "gate", "gate": "g", "params": params}, sources=sources)
        client = await aiohttp_client(create_app(Settings(), catalog, REGISTRY))

        def crashing(self, check, raw_args):
            raise RuntimeError(f"cannot plan {raw_args['login_hash']} with file-token-4c3b2a at http://u:pw-5a6b7c@x/")

        monkeypatch.setattr(Runner, "plan", crashing)
        with json_logs() as stream:
            if post:
                answer = await client.post("/api/v1/checks/login/run", json={"login_hash": "lh-9f8e7d"})
            else:
                answer = await client.get("/api/v1/checks/login/run?login_hash=lh-9f8e7d")
        assert answer.status == 500
        for secret in ("lh-9f8e7d", "file-token-4c3b2a", "pw-5a6b7c"):
            assert secret not in stream.getvalue()
        crash = crashed_line(stream)
        assert "RuntimeError: cannot plan <redacted> with <redacted> at http://<redacted>@x/" in crash["exception"]

    async def test_a_header_credential_the_exception_quotes_is_hidden(self, aiohttp_client, monkeypatch):
        catalog = gate_catalog({"name": "ok", "kind": "gate", "gate": "g"})
        client = await aiohttp_client(create_app(Settings(), catalog, REGISTRY))

        def crashing(self, check, raw_args):
            raise RuntimeError("a key hdr-key-1f2e3d")

        monkeypatch.setattr(Runner, "plan", crashing)
        with json_logs() as stream:
            answer = await client.get("/api/v1/checks/ok/run", headers={"X-Api-Key": "hdr-key-1f2e3d"})
        assert answer.status == 500
        assert "hdr-key-1f2e3d" not in stream.getvalue()
        assert "RuntimeError: a key <redacted>" in crashed_line(stream)["exception"]

    @pytest.mark.parametrize(
        ("written", "message"),
        [
            # An exponent: only str() of the number read (1500.0) was searched for, not 1.5e3 nor its rendered 1500.
            ("1.5e3", "cannot plan <redacted> rendered as <redacted>"),
            # A trailing zero: 0.10 was searched for as 0.1, too short to be (redaction.MIN_HIDDEN_CHARS), as its
            # rendered 0.1 still is.
            ("0.10", "cannot plan <redacted> rendered as 0.1"),
            ("12.50", "cannot plan <redacted> rendered as <redacted>"),
        ],
    )
    async def test_a_body_number_is_hidden_as_written_and_as_rendered(
        self, aiohttp_client, monkeypatch, written, message
    ):
        params = {"limit": {"type": "number", "required": True}}
        catalog = gate_catalog({"name": "capped", "kind": "gate", "gate": "g", "params": params})
        client = await aiohttp_client(create_app(Settings(), catalog, REGISTRY))

        def crashing(self, check, raw_args):
            # The body's text as a parser's message quotes it, and the number as a template renders it.
            raise RuntimeError(f"cannot plan {written} rendered as {check.bind_args(raw_args)['limit']:g}")

        monkeypatch.setattr(Runner, "plan", crashing)
        with json_logs() as stream:
            answer = await client.post(
                "/api/v1/checks/capped/run",
                data=f'{{"limit": {written}}}',
                headers={"Content-Type": "application/json"},
            )
        assert answer.status == 500
        assert f"RuntimeError: {message}" in crashed_line(stream)["exception"]

    @pytest.mark.parametrize(
        ("query", "quoted"),
        [
            ("2.5e3", "{:g}"),  # as rendered: 2500
            # A query's 1500 quoted as the float bound (1500.0): 1500 ends no word there (no test held it).
            ("1500", "{}"),
        ],
    )
    async def test_a_query_number_is_hidden_as_rendered_and_as_python_writes_it(
        self, aiohttp_client, monkeypatch, query, quoted
    ):
        params = {"limit": {"type": "number", "required": True}}
        catalog = gate_catalog({"name": "capped", "kind": "gate", "gate": "g", "params": params})
        client = await aiohttp_client(create_app(Settings(), catalog, REGISTRY))

        def crashing(self, check, raw_args):
            raise RuntimeError("cannot plan " + quoted.format(check.bind_args(raw_args)["limit"]))

        monkeypatch.setattr(Runner, "plan", crashing)
        with json_logs() as stream:
            answer = await client.get(f"/api/v1/checks/capped/run?limit={query}")
        assert answer.status == 500
        assert "RuntimeError: cannot plan <redacted>\n" in crashed_line(stream)["exception"] + "\n"

    @pytest.mark.parametrize("limit", ["1.5e3", "1500"])
    async def test_a_secret_number_a_kind_quotes_as_python_writes_it_is_hidden(
        self, aiohttp_client, monkeypatch, limit
    ):
        # Before: a secret number was searched for as a query renders it (1500) alone; a kind's f-string of the
        # number it was given (1500.0) was quoted whole in the crash's reason and log: 1500 then ends no word.
        params = {"limit": {"type": "number", "required": True, "secret": True}}
        catalog = gate_catalog({"name": "capped", "kind": "gate", "gate": "g", "params": params})
        client = await aiohttp_client(create_app(Settings(), catalog, REGISTRY))

        async def crashing(self, ctx):
            raise RuntimeError(f"cannot cap at {ctx.args['limit']}")

        monkeypatch.setattr(GateCheck, "evaluate", crashing)
        with json_logs() as stream:
            answer = await client.get(f"/api/v1/checks/capped/run?limit={limit}")
        assert answer.status == 500
        assert (await answer.json())[
            "reason"
        ] == "internal error in check 'capped': RuntimeError: cannot cap at <redacted>"
        assert "1500" not in stream.getvalue()
