"""The Prometheus source's transport behaviour: auth headers, TLS options, retry and concurrency limits.

A recording fake stands in for Prometheus here: a real one neither checks tokens nor fails on demand.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from aiohttp import web

from analyzer.appkeys import LIVE
from analyzer.catalog import build_catalog, load_catalog
from analyzer.errors import ConfigError, SourceRejected, SourceTimeout, SourceUnavailable
from analyzer.models import Evaluation
from analyzer.redaction import EVALUATION_SECRETS
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.sources import Sources
from analyzer.sources.prometheus import (
    RULES_KEPT_S,
    PrometheusSource,
    PrometheusSourceConfig,
    RecordingRule,
    RulesListed,
)
from analyzer.web import create_app
from tests.fakes import holding_prometheus

ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]}}


@dataclass
class Recorder:
    """What the fake saw, and how it should answer."""

    url: str = ""
    headers: list[dict[str, str]] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    replies: list[tuple[int, object]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False
    # Set when a request reaches the fake.
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@asynccontextmanager
async def recording_prometheus(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Recorder]:
    recorder = Recorder()

    async def handler(request: web.Request) -> web.Response:
        recorder.headers.append(dict(request.headers))
        recorder.params.append(dict(request.query))
        recorder.paths.append(request.raw_path.partition("?")[0])
        recorder.in_flight += 1
        recorder.max_in_flight = max(recorder.max_in_flight, recorder.in_flight)
        recorder.arrived.set()
        try:
            if recorder.hold:
                await recorder.release.wait()
            if recorder.replies:
                status, body = recorder.replies.pop(0)
                if isinstance(body, bytes):
                    # A proxy's own page, sent as it is.
                    return web.Response(body=body, status=status, content_type="text/html")
                return web.json_response(body, status=status)
            status = recorder.statuses.pop(0) if recorder.statuses else 200
            if status == 302:
                return web.Response(status=302, headers={"Location": "/login"}, text="to the login page")
            if status != 200:
                return web.json_response(
                    {"status": "error", "errorType": "unavailable", "error": "busy"}, status=status
                )
            return web.json_response(ANSWER)
        finally:
            recorder.in_flight -= 1

    app = web.Application()
    app.router.add_get("/api/v1/query", handler)
    app.router.add_get("/api/v1/query_range", handler)
    app.router.add_get("/api/v1/labels", handler)
    app.router.add_get("/api/v1/rules", handler)
    # A Prometheus behind a route prefix (--web.route-prefix, Thanos or a proxy path), with a character to escape.
    app.router.add_get("/under a/prefix/api/v1/query", handler)
    app.router.add_get("/under a/prefix/api/v1/query_range", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    recorder.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield recorder
    finally:
        recorder.release.set()
        await runner.cleanup()


def source(url, **config):
    return PrometheusSource("default", PrometheusSourceConfig(url=url, **config))


async def evaluated_against(url: str, check: dict[str, Any], at: datetime | None = None) -> Evaluation:
    """The evaluation of `check` (named `c`) in a catalog whose one source, `default`, is at `url`."""
    catalog = build_catalog(
        [("catalog.yaml", {"sources": {"default": {"url": url}}, "checks": [{"name": "c", **check}]})],
        Registry.default(),
    )
    sources = Sources(catalog.sources)
    try:
        return await Runner(catalog, sources, None, 5).evaluate(catalog.get("c"), {}, at)
    finally:
        await sources.aclose()


NOW = datetime(2026, 11, 26, 11, tzinfo=UTC)

_REPO = str(Path(__file__).resolve().parents[2])
# One query with a bearer_token_file (argv[1]) in a process of its own, whose locale the test sets: what the
# locale's encoding is, the error, and the Authorization headers Prometheus received, as ASCII JSON.
_QUERY_WITH_TOKEN_FILE = """
import asyncio, json, locale, sys
from pathlib import Path
from analyzer.errors import SourceUnavailable
from tests.integration.test_prometheus_source import NOW, recording_prometheus, source

async def main():
    error = ""
    async with recording_prometheus() as fake:
        prometheus = source(fake.url, bearer_token_file=Path(sys.argv[1]))
        try:
            await prometheus.query("up", NOW, timeout_s=3)
        except SourceUnavailable as exc:
            error = exc.message
        await prometheus.aclose()
    sent = [headers["Authorization"] for headers in fake.headers]
    print(json.dumps({"locale": locale.getpreferredencoding(False), "error": error, "sent": sent}))

asyncio.run(main())
"""


class TestRequests:
    """Queries carry the evaluation time, Prometheus' own timeout, custom headers and the bearer token."""

    async def test_headers_token_and_parameters(self, tmp_path):
        token = tmp_path / "token"
        token.write_text("first-token\n")
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, headers={"X-Scope-OrgID": "payments"}, bearer_token_file=token)
            result = await prometheus.query("up", NOW, timeout_s=3)
            token.write_text("rotated-token")
            await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert result.series[0].samples == [(1.0, 0.5)]
        assert fake.headers[0]["X-Scope-OrgID"] == "payments"
        assert [h["Authorization"] for h in fake.headers] == ["Bearer first-token", "Bearer rotated-token"]
        assert fake.params[0] == {"query": "up", "time": f"{NOW.timestamp():.3f}", "timeout": "3000ms"}
        assert fake.headers[0]["Accept-Encoding"] == "identity"

    async def test_a_url_with_a_path_prefix_is_queried_under_it(self):
        async with recording_prometheus() as fake:
            prometheus = source(f"{fake.url}/under%20a/prefix/")
            matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
            fake.replies = [(200, ANSWER), (200, matrix)]
            await prometheus.query('up{job="a b"}', NOW, timeout_s=3)
            await prometheus.query_range("up", NOW - timedelta(minutes=5), NOW, step_s=60, timeout_s=3)
            await prometheus.aclose()
        assert fake.paths == ["/under%20a/prefix/api/v1/query", "/under%20a/prefix/api/v1/query_range"]
        assert fake.params[0] == {"query": 'up{job="a b"}', "time": f"{NOW.timestamp():.3f}", "timeout": "3000ms"}

    async def test_compressed_answers_on_request(self):
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, compress_responses=True)
            await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert "gzip" in fake.headers[0]["Accept-Encoding"]

    async def test_unreadable_token_file_is_source_unavailable(self, tmp_path):
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, bearer_token_file=tmp_path / "missing")
            with pytest.raises(SourceUnavailable, match="cannot read bearer_token_file"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert fake.headers == []

    @pytest.mark.parametrize(
        ("content", "text"),
        [
            (b"tok-secret-1\ntok-secret-2\n", "holds a line break or another control character"),
            (b"tok-secret-\x01", "holds a line break or another control character"),
            (b"tok-secret-\xff", "is not UTF-8 text"),
        ],
    )
    async def test_a_token_file_that_cannot_be_sent_is_named_not_quoted(self, tmp_path, content, text):
        token = tmp_path / "token"
        token.write_bytes(content)
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, bearer_token_file=token)
            with pytest.raises(SourceUnavailable) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert text in raised.value.message and repr(str(token)) in raised.value.message
        assert "tok-secret" not in raised.value.message and fake.headers == []

    @pytest.mark.parametrize("content", [b"", b"\n"])
    async def test_an_empty_token_file_sends_nothing(self, tmp_path, content):
        # A Secret written in place (not by the kubelet's swap) is empty for a moment: `Bearer ` was sent, and the
        # proxy's 401 read as the query rejected.
        token = tmp_path / "token"
        token.write_bytes(content)
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, bearer_token_file=token)
            with pytest.raises(SourceUnavailable) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            token.write_text("tok-secret-2\n")
            await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert f"bearer_token_file {str(token)!r} of source 'default' is empty" in raised.value.message
        assert [headers["Authorization"] for headers in fake.headers] == ["Bearer tok-secret-2"]

    def test_a_token_file_is_read_as_utf8_whatever_the_locale(self, tmp_path):
        # An ASCII locale (C, neither coerced nor in UTF-8 mode) would refuse this UTF-8 token as "not UTF-8".
        token = tmp_path / "token"
        token.write_bytes("café-töken\n".encode())
        result = subprocess.run(
            [sys.executable, "-c", _QUERY_WITH_TOKEN_FILE, str(token)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0", "PYTHONPATH": _REPO},
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"locale": "ANSI_X3.4-1968", "error": "", "sent": ["Bearer café-töken"]}

    async def test_untrusted_certificate_is_refused(self, tmp_path):
        # An https URL to a plain-HTTP port fails the TLS handshake: refused, never accepted silently.
        async with recording_prometheus() as fake:
            prometheus = source(fake.url.replace("http://", "https://"))
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()

    async def test_https_trusted_through_ca_file(self, tmp_path):
        authority = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server_context)
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with recording_prometheus(server_context) as fake:
            trusting, default = source(fake.url, ca_file=ca_file), source(fake.url)
            result = await trusting.query("up", NOW, timeout_s=3)
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await default.query("up", NOW, timeout_s=3)
            await trusting.aclose()
            await default.aclose()
        assert result.series[0].samples == [(1.0, 0.5)]
        assert len(fake.params) == 1

    async def test_ca_file_gone_after_load_is_source_unavailable(self, tmp_path):
        # The bundle is read when a query needs it; a missing one must not escape as an internal error.
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
        async with recording_prometheus() as fake:
            prometheus = source(fake.url.replace("http://", "https://"), ca_file=ca_file)
            ca_file.unlink()
            with pytest.raises(SourceUnavailable, match=r"cannot read ca_file .*ca.pem.*: No such file"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()


class TestHoldsData:
    """Whether a source holds data over a range is what its label-names API answers: some names, or a whole empty
    answer; an answer of another shape is refused."""

    @pytest.mark.parametrize(
        ("answer", "held"),
        [
            ({"status": "success", "data": ["__name__", "job"]}, True),
            ({"status": "success", "data": []}, False),
            # A store that did not answer may hold data then.
            ({"status": "success", "data": [], "warnings": ["partial response: store 2 down"]}, True),
        ],
    )
    async def test_the_label_names_tell(self, answer, held):
        async with recording_prometheus() as fake:
            fake.replies = [(200, answer)]
            prometheus = source(fake.url)
            got = await prometheus.holds_data(NOW - timedelta(minutes=5), NOW, timeout_s=3)
            await prometheus.aclose()
        assert got is held
        assert fake.paths == ["/api/v1/labels"]
        # The range alone: no query, no timeout parameter the endpoint does not take.
        assert fake.params == [{"start": f"{NOW.timestamp() - 300:.3f}", "end": f"{NOW.timestamp():.3f}"}]

    @pytest.mark.parametrize(
        ("data", "shown"),
        [({"resultType": "vector", "result": []}, "an object"), (["job", 1], "an array"), (None, "null")],
    )
    async def test_another_shape_is_refused(self, data, shown):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": data})]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match=f"its data is {shown}, not a list of label names"):
                await prometheus.holds_data(NOW - timedelta(minutes=5), NOW, timeout_s=3)
            await prometheus.aclose()

    async def test_a_404_names_the_label_names_api_not_the_url(self):
        # Queries are answered at this url (a proxy serving the query API alone): the url is right, the path is
        # refused. Before: "no query API at this address: the source's url must be Prometheus' base address".
        async with recording_prometheus() as fake:
            fake.replies = [(404, b"404 page not found")]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected) as refused:
                await prometheus.holds_data(NOW - timedelta(minutes=5), NOW, timeout_s=3)
            await prometheus.aclose()
        assert refused.value.message == (
            f"Prometheus source 'default' ({fake.url}) rejected the query (HTTP 404: 404 page not found); no "
            "label-names API at this address, which answers queries: let GET /api/v1/labels through the proxy in "
            "front of Prometheus (prom-label-proxy: --enable-label-apis)"
        )

    @pytest.mark.integration
    async def test_a_real_prometheus_holds_none_before_its_oldest_data(self, prometheus):
        anchor = datetime.fromtimestamp(prometheus.anchor, UTC)
        source_of = source(prometheus.url)
        try:
            before = await source_of.holds_data(anchor - timedelta(days=30, minutes=5), anchor - timedelta(days=30), 3)
            within = await source_of.holds_data(anchor - timedelta(hours=1, minutes=5), anchor - timedelta(hours=1), 3)
        finally:
            await source_of.aclose()
        assert (before, within) == (False, True)


def rules_answer(*rules):
    """A rules API answer holding `rules` (dicts as Prometheus lists a rule) in one group."""
    return {"status": "success", "data": {"groups": [{"name": "g", "file": "f.yml", "rules": list(rules)}]}}


RATE_RULE = {
    "type": "recording",
    "name": "slo:sli_error:ratio_rate5m",
    "query": 'sum(rate(x{code="500"}[5m])) / sum(rate(x[5m]))',
    "labels": {"sloth_id": "a", "sloth_window": "5m"},
    "health": "ok",
}


class TestRecordingRules:
    """The recording rules a source's rules API lists, kept RULES_KEPT_S per source; an answer of another shape, or
    none (no rules API), is the analyzer's error, and no failure is kept."""

    async def test_the_rules_api_lists_them(self):
        alert = {"type": "alerting", "name": "A", "query": "up == 0", "labels": {}}
        unlabelled = {"type": "recording", "name": "r", "query": "sum(x)"}
        async with recording_prometheus() as fake:
            fake.replies = [(200, rules_answer(RATE_RULE, alert, unlabelled))]
            prometheus = source(fake.url)
            rules = await prometheus.recording_rules(3)
            again = await prometheus.recording_rules(3)
            await prometheus.aclose()
        assert rules == RulesListed(
            (
                RecordingRule(RATE_RULE["name"], RATE_RULE["query"], RATE_RULE["labels"]),
                RecordingRule("r", "sum(x)", {}),
            )
        )
        # Kept: the second read asks nothing.
        assert again == rules and fake.paths == ["/api/v1/rules"] and fake.params == [{"type": "record"}]

    async def test_rules_older_than_they_are_kept_are_asked_again(self):
        async with recording_prometheus() as fake:
            fake.replies = [(200, rules_answer(RATE_RULE)), (200, rules_answer())]
            prometheus = source(fake.url)
            await prometheus.recording_rules(3)
            listed_at, rules = prometheus._rules
            prometheus._rules = (listed_at - RULES_KEPT_S, rules)
            assert await prometheus.recording_rules(3) == RulesListed(())
            await prometheus.aclose()
        assert fake.paths == ["/api/v1/rules", "/api/v1/rules"]

    async def test_a_partial_answer_is_said_and_not_kept(self):
        # Thanos Query with a ruler down: the rules it lists are a part, the rest asked again by the next evaluation.
        partial = {**rules_answer(RATE_RULE), "warnings": ["PromQL info: x", "rule endpoint ruler-1 down"]}
        async with recording_prometheus() as fake:
            fake.replies = [(200, partial), (200, rules_answer(RATE_RULE)), (200, rules_answer())]
            prometheus = source(fake.url)
            first = await prometheus.recording_rules(3)
            second = await prometheus.recording_rules(3)
            third = await prometheus.recording_rules(3)
            await prometheus.aclose()
        rule = RecordingRule(RATE_RULE["name"], RATE_RULE["query"], RATE_RULE["labels"])
        assert first == RulesListed((rule,), ("rule endpoint ruler-1 down",))
        # The whole answer is kept: the third read asks nothing.
        assert second == third == RulesListed((rule,))
        assert fake.paths == ["/api/v1/rules", "/api/v1/rules"]

    async def test_no_rules_api_is_said_and_not_kept(self):
        async with recording_prometheus() as fake:
            fake.replies = [(404, b"404 page not found"), (200, rules_answer(RATE_RULE))]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected) as refused:
                await prometheus.recording_rules(3)
            assert len((await prometheus.recording_rules(3)).rules) == 1
            await prometheus.aclose()
        assert refused.value.message == (
            f"Prometheus source 'default' ({fake.url}) rejected the query (HTTP 404: 404 page not found); no rules "
            "API at this address, which answers queries (a querier without rules, or a proxy)"
        )

    async def test_concurrent_misses_share_one_request(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            fake.replies = [(200, rules_answer(RATE_RULE))]
            prometheus = source(fake.url)
            listings = [asyncio.ensure_future(prometheus.recording_rules(3)) for _ in range(8)]
            await fake.arrived.wait()
            fake.release.set()
            answers = await asyncio.gather(*listings)
            await prometheus.aclose()
        assert fake.paths == ["/api/v1/rules"] and fake.max_in_flight == 1
        assert len({id(answer) for answer in answers}) == 1 and len(answers[0].rules) == 1

    async def test_waiters_share_the_error_and_the_next_miss_asks_again(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            fake.replies = [(404, b"404 page not found"), (200, rules_answer(RATE_RULE))]
            prometheus = source(fake.url)
            listings = [asyncio.ensure_future(prometheus.recording_rules(3)) for _ in range(3)]
            await fake.arrived.wait()
            fake.release.set()
            failures = await asyncio.gather(*listings, return_exceptions=True)
            again = await prometheus.recording_rules(3)
            await prometheus.aclose()
        assert all(isinstance(failure, SourceRejected) for failure in failures), failures
        assert len({failure.message for failure in failures}) == 1
        assert len(again.rules) == 1 and fake.paths == ["/api/v1/rules", "/api/v1/rules"]

    async def test_a_waiter_is_not_bounded_by_the_first_callers_time(self):
        # The first caller has no time left (its evaluation's deadline): the listing it starts is not bounded by it,
        # so one with time left still gets the rules (and its blind-rule finding), not the first caller's timeout.
        async with recording_prometheus() as fake:
            fake.replies = [(200, rules_answer(RATE_RULE))]
            prometheus = source(fake.url)
            late = asyncio.ensure_future(prometheus.recording_rules(0))
            fresh = asyncio.ensure_future(prometheus.recording_rules(3))
            failed, listed = await asyncio.gather(late, fresh, return_exceptions=True)
            await prometheus.aclose()
        assert isinstance(failed, SourceTimeout), (failed, listed)
        assert isinstance(listed, RulesListed) and len(listed.rules) == 1, listed
        assert fake.paths == ["/api/v1/rules"]

    async def test_a_listing_done_as_the_waiters_time_ends_answers_it(self):
        # The listing ends (here: a closed source, at once) in the loop turn the caller's time runs out: the caller
        # gets the listing's answer, the analyzer's error, never a bare TimeoutError (an evaluation's crash).
        prometheus = source("http://127.0.0.1:9")
        prometheus.close()
        with pytest.raises(SourceUnavailable, match="is closed"):
            await prometheus.recording_rules(0)

    async def test_a_cancelled_first_caller_leaves_the_listing_to_the_others(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            fake.replies = [(200, rules_answer(RATE_RULE))]
            prometheus = source(fake.url)
            first = asyncio.ensure_future(prometheus.recording_rules(3))
            await fake.arrived.wait()
            second = asyncio.ensure_future(prometheus.recording_rules(3))
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            fake.release.set()
            listed = await second
            # Kept: asked no more.
            assert await prometheus.recording_rules(3) is listed
            await prometheus.aclose()
        assert len(listed.rules) == 1 and fake.paths == ["/api/v1/rules"]

    @pytest.mark.parametrize(
        ("data", "said"),
        [
            (None, "its data is null, not an object holding a list of rule groups"),
            ({"groups": [{"name": "g"}]}, "KeyError: 'rules'"),
            ({"groups": [{"rules": {}}]}, "a rule group is"),
            ({"groups": [{"rules": [{**RATE_RULE, "query": None}]}]}, "not a name, a query and labels"),
            ({"groups": [{"rules": [{**RATE_RULE, "labels": {"a": 1}}]}]}, "has labels"),
        ],
    )
    async def test_another_shape_is_refused(self, data, said):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": data})]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match="answered with an unexpected shape") as refused:
                await prometheus.recording_rules(3)
            await prometheus.aclose()
        assert said in refused.value.message

    @pytest.mark.integration
    async def test_a_real_prometheus_lists_the_rules_it_loaded(self, prometheus):
        source_of = source(prometheus.url)
        try:
            rules = await source_of.recording_rules(3)
        finally:
            await source_of.aclose()
        [rule] = [
            r
            for r in rules.rules
            if r.name == "slo:sli_error:ratio_rate5m" and r.labels["sloth_id"] == "ebr-sloth-spmix"
        ]
        assert 'sum(rate(ebr_http_requests_total{job="ebr-spmix"}[5m]))' in rule.query
        assert rule.labels["sloth_window"] == "5m"


class TestHeadersRefusedAtLoad:
    """A header HTTP cannot carry refuses the catalog when it loads, naming the header and not its value."""

    def test_header_value_with_a_line_break(self):
        # A YAML block scalar leaves a newline at the end of a header value; the value may be a credential.
        source = {"url": "http://127.0.0.1:9", "headers": {"Authorization": "Bearer s3cret\n"}}
        document = {
            "sources": {"default": source},
            "checks": [{"name": "c", "kind": "prometheus", "query": "up", "pass_if": "< 1"}],
        }
        with pytest.raises(ConfigError) as raised:
            build_catalog([("catalog.yaml", document)], Registry.default())
        assert "header 'Authorization'" in str(raised.value)
        assert "s3cret" not in str(raised.value)

    @pytest.mark.parametrize("name", ["X Scope", "X-Scope:", ""])
    def test_header_name_that_is_not_a_token(self, name):
        with pytest.raises(ValueError, match="not an HTTP token"):
            PrometheusSourceConfig(url="http://x", headers={name: "v"})


class TestAnswers:
    """The answer is read as Prometheus sends it: resultType, warnings and infos, error bodies as JSON."""

    async def test_result_type_comes_from_the_body(self):
        # A one-series vector whose sample looks like a scalar's pair must stay a vector, and a scalar a scalar.
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": {"resultType": "scalar", "result": [5, "0.25"]}})]
            prometheus = source(fake.url)
            scalar = await prometheus.query("scalar(up)", NOW, timeout_s=3)
            vector = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert (scalar.result_type, scalar.series[0].samples) == ("scalar", [(5.0, 0.25)])
        assert (vector.result_type, vector.series[0].samples) == ("vector", [(1.0, 0.5)])

    async def test_range_answer_is_a_matrix(self):
        async with recording_prometheus() as fake:
            fake.replies = [
                (
                    200,
                    {
                        "status": "success",
                        "data": {
                            "resultType": "matrix",
                            "result": [{"metric": {"pod": "a"}, "values": [[60, "1"], [120, "2"]]}],
                        },
                    },
                )
            ]
            prometheus = source(fake.url)
            result = await prometheus.query_range("up", NOW.replace(hour=10), NOW, 60, timeout_s=3)
            await prometheus.aclose()
        assert (result.result_type, result.series[0].samples) == ("matrix", [(60.0, 1.0), (120.0, 2.0)])
        assert fake.params[0]["start"] == str(round(NOW.replace(hour=10).timestamp()))
        assert fake.params[0]["step"] == "60"

    @pytest.mark.parametrize(
        "data",
        [
            {"resultType": "vector", "result": [{"metric": {}, "value": [1000, "0.001"]}]},
            {"resultType": "scalar", "result": [1000, "0.001"]},
        ],
    )
    async def test_a_range_query_answered_with_one_sample_is_a_bad_answer(self, data):
        # A proxy sending query_range to the instant endpoint: a `range: 10m` check passed on the one sample.
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": data})]
            check = {"kind": "prometheus", "query": "x", "pass_if": "< 0.01", "range": "10m"}
            evaluation = await evaluated_against(fake.url, check, datetime.fromtimestamp(1000, UTC))
        assert (evaluation.verdict.value, evaluation.error) == ("error", "source_rejected")
        assert f"answered a range query with a {data['resultType']!r} result, not a matrix" in evaluation.reason

    @pytest.mark.parametrize(
        ("sample", "said"),
        [
            (
                [1, 10**400],
                r"TypeError: series \{\}: its sample value is the number 1" + "0" * 26 + r"\.\.\., not a string",
            ),
            ([10**400, "1"], "OverflowError: int too large to convert to float"),
        ],
        ids=["value", "time"],
    )
    async def test_a_number_past_the_float_range_written_as_an_integer_is_a_bad_answer(self, sample, said):
        # A JSON integer float() cannot hold: it was an internal_error (500), logged as the analyzer's crash.
        async with recording_prometheus() as fake:
            fake.replies = [
                (
                    200,
                    {
                        "status": "success",
                        "data": {"resultType": "vector", "result": [{"metric": {}, "value": sample}]},
                    },
                )
            ]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match=f"unexpected shape: {said}"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()

    async def test_warnings_and_infos_are_carried(self):
        async with recording_prometheus() as fake:
            fake.replies = [
                (
                    200,
                    {
                        **ANSWER,
                        "warnings": ["partial response: store 2 down"],
                        "infos": ["metric might not be a counter"],
                    },
                )
            ]
            prometheus = source(fake.url)
            result = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert result.warnings == ["partial response: store 2 down"]
        assert result.infos == ["metric might not be a counter"]

    async def test_warnings_and_infos_reach_the_details_of_a_verdict(self):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {**ANSWER, "warnings": ["partial response"], "infos": ["not a counter"]})]
            evaluation = await evaluated_against(fake.url, {"kind": "prometheus", "query": "up", "pass_if": "< 1"})
        # A pass from an answer that may be partial is not enough evidence.
        assert evaluation.verdict.value == "inconclusive"
        assert evaluation.details["prometheus_warnings"] == ["partial response"]
        assert evaluation.details["prometheus_infos"] == ["not a counter"]

    @pytest.mark.parametrize(
        ("notes", "warnings", "infos"),
        [
            ({"warnings": ["store 2 down"], "infos": None}, ["store 2 down"], []),
            ({"warnings": None, "infos": ["metric might not be a counter"]}, [], ["metric might not be a counter"]),
        ],
        ids=["infos-null", "warnings-null"],
    )
    async def test_notes_written_null_are_none(self, notes, warnings, infos):
        # A Go server without omitempty writes a nil slice as null: it was source_rejected beside the other's notes.
        async with recording_prometheus() as fake:
            fake.replies = [(200, {**ANSWER, **notes})]
            prometheus = source(fake.url)
            result = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert (result.warnings, result.infos) == (warnings, infos)

    async def test_an_answer_victoriametrics_marks_partial_may_lack_series(self):
        # VictoriaMetrics' vmselect with a vmstorage node down answers `"isPartial": true` and no warning: its "no
        # series" was a pass under no_data: pass, though the missing series may be on the node that did not answer.
        answer = {
            "status": "success",
            "isPartial": True,
            "data": {"resultType": "vector", "result": []},
            "stats": {"seriesFetched": "0", "executionTimeMsec": 3},
        }
        async with recording_prometheus() as fake:
            fake.replies = [(200, answer)]
            check = {"kind": "prometheus", "query": "x", "pass_if": "< 1", "no_data": "pass"}
            evaluation = await evaluated_against(fake.url, check)
        assert evaluation.verdict.value == "inconclusive"
        assert "the answer may be partial (the answer is partial (isPartial: true)" in evaluation.reason

    @pytest.mark.parametrize(
        ("status", "body", "error", "quoted"),
        [
            # VictoriaMetrics (app/vmselect: sendPrometheusError) answers a query it refuses 422, its errorType the
            # status code as text.
            (
                422,
                {"status": "error", "errorType": "422", "error": 'cannot parse "x[": unexpected end'},
                "source_rejected",
                'rejected the query (HTTP 422 422: cannot parse "x[": unexpected end)',
            ),
            # Mimir and Cortex: a query over a tenant's limits is a 422 execution error; a bad one 400 bad_data.
            (
                422,
                {
                    "status": "error",
                    "errorType": "execution",
                    "error": "the query exceeded the maximum number of chunks (limit: 2000000 chunks) "
                    "(err-mimir-max-chunks-per-query)",
                },
                "source_rejected",
                "(HTTP 422 execution: the query exceeded the maximum number of chunks",
            ),
            (
                400,
                {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "query": 1:2: parse error'},
                "source_rejected",
                'rejected the query (HTTP 400 bad_data: invalid parameter "query": 1:2: parse error)',
            ),
            # VictoriaMetrics past -search.maxQueryDuration: a 503 whose errorType is "503".
            (
                503,
                {"status": "error", "errorType": "503", "error": "cannot execute query: timeout exceeded"},
                "source_unavailable",
                "is failing (HTTP 503 503: cannot execute query: timeout exceeded)",
            ),
        ],
        ids=["victoriametrics-422", "mimir-422-limit", "cortex-400", "victoriametrics-503"],
    )
    @pytest.mark.parametrize("no_data", ["pass", "fail"])
    async def test_a_refusal_of_a_prometheus_compatible_server_is_an_error_quoting_it(
        self, status, body, error, quoted, no_data
    ):
        # Whatever no_data says: the server answered no data, it refused the query.
        async with recording_prometheus() as fake:
            fake.replies = [(status, body)] * 4
            check = {"kind": "prometheus", "query": "x", "pass_if": "< 1", "no_data": no_data}
            evaluation = await evaluated_against(fake.url, check)
        assert (evaluation.verdict.value, evaluation.error) == ("error", error), evaluation.reason
        assert quoted in evaluation.reason

    @pytest.mark.parametrize(
        "result",
        [[], [{"metric": {"pod": "a"}, "value": [1, "0.5"]}]],
        ids=["no-series", "a-passing-series"],
    )
    async def test_a_partial_answer_as_thanos_marks_it_is_no_pass(self, result):
        # Thanos' querier with partial responses allowed answers 200 with what the stores that answered hold and a
        # warning naming the one that did not: a series missing there may be the one over the threshold.
        answer = {
            "status": "success",
            "data": {"resultType": "vector", "result": result},
            "warnings": ["receive series from Addr: 10.0.0.7:10901: rpc error: code = Unavailable"],
        }
        async with recording_prometheus() as fake:
            fake.replies = [(200, answer)] * 4
            check = {"kind": "prometheus", "query": "x", "pass_if": "< 1", "no_data": "pass"}
            evaluation = await evaluated_against(fake.url, check, datetime.fromtimestamp(1, UTC))
        assert evaluation.verdict.value == "inconclusive", evaluation.reason
        assert "10.0.0.7:10901" in evaluation.reason

    async def test_an_answer_as_victoriametrics_writes_it_is_read(self):
        # Times with milliseconds, `isPartial: false` and `stats` beside the data, as vmselect writes them.
        answer = {
            "status": "success",
            "isPartial": False,
            "data": {"resultType": "vector", "result": [{"metric": {"job": "a"}, "value": [1652169780.123, "3"]}]},
            "stats": {"seriesFetched": "1", "executionTimeMsec": 0},
        }
        async with recording_prometheus() as fake:
            fake.replies = [(200, answer)]
            prometheus = source(fake.url)
            result = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert [(s.labels, s.samples) for s in result.series] == [({"job": "a"}, [(1652169780.123, 3.0)])]
        assert (result.warnings, result.infos) == ([], [])

    @pytest.mark.parametrize(
        ("judging", "data"),
        [
            (
                {"reduce": "sum"},
                {"resultType": "vector", "result": [{"metric": {"pod": "a"}, "value": [1, "0.6"]}] * 2},
            ),
            ({}, {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.6"]}] * 2}),
            (
                {"range": "2m", "reduce": "sum"},
                {"resultType": "matrix", "result": [{"metric": {"pod": "a"}, "values": [[1, "0.6"], [61, "0.6"]]}] * 2},
            ),
        ],
    )
    async def test_a_series_sent_twice_is_a_bad_answer(self, judging, data):
        # A proxy merging two replicas' answers: summed, 0.6 + 0.6 failed `< 1` (and passed `> 1`); unreduced, the
        # check was blamed for a query returning two series.
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": data})]
            check = {"kind": "prometheus", "query": "x", "pass_if": "< 1", "no_data": "fail", **judging}
            evaluation = await evaluated_against(fake.url, check, datetime.fromtimestamp(61, UTC))
        assert (evaluation.verdict.value, evaluation.error) == ("error", "source_rejected")
        described = '{pod="a"}' if "pod" in str(data) else "{}"
        assert f"series {described} is in the answer twice" in evaluation.reason

    @pytest.mark.parametrize(
        "check",
        [
            {"kind": "prometheus", "query": "x", "pass_if": "< 1", "no_data": "pass"},
            {
                "kind": "error_budget",
                "objective": 99.9,
                "period": "30d",
                "no_data": "pass",
                "ratio": {"errors": "sum(rate(e[{{ window }}]))", "total": "sum(rate(t[{{ window }}]))"},
            },
            {
                "kind": "kpi_compare",
                "method": "proportion",
                "direction": "higher_is_better",
                "canary": {"success": "sum(orders_total)", "total": "sum(visits_total)"},
                "baseline": {"success": "sum(orders_b)", "total": "sum(visits_b)"},
                "max_relative_change": 0.05,
            },
        ],
        ids=["prometheus", "error_budget", "kpi_compare"],
    )
    async def test_a_rate_limited_query_is_an_unavailable_source_for_every_kind(self, check):
        async with recording_prometheus() as fake:
            fake.replies = [(429, {"status": "error", "errorType": "too_many_requests", "error": "slow down"})] * 8
            evaluation = await evaluated_against(fake.url, check)
        assert (evaluation.verdict.value, evaluation.error) == ("error", "source_unavailable")
        assert "too many requests (HTTP 429 too_many_requests: slow down)" in evaluation.reason

    async def test_string_result_is_rejected(self):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": {"resultType": "string", "result": [5, "x"]}})]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match="resultType 'string'"):
                await prometheus.query('"x"', NOW, timeout_s=3)
            await prometheus.aclose()

    @pytest.mark.parametrize(
        ("status", "body", "expected", "text"),
        [
            (
                400,
                {"status": "error", "errorType": "bad_data", "error": "parse error at char 5"},
                SourceRejected,
                "HTTP 400 bad_data: parse error at char 5",
            ),
            (
                422,
                {"status": "error", "errorType": "execution", "error": "many-to-many matching"},
                SourceRejected,
                "HTTP 422 execution: many-to-many",
            ),
            (
                503,
                {"status": "error", "errorType": "timeout", "error": "query timed out"},
                SourceTimeout,
                "timed out evaluating the query (HTTP 503 timeout: query timed out)",
            ),
            (500, "<html>oops</html>", SourceUnavailable, 'is failing (HTTP 500: "<html>oops</html>")'),
            (401, "Unauthorized", SourceRejected, "rejected the query (HTTP 401"),
            (
                200,
                {"status": "error", "errorType": "internal", "error": "odd"},
                SourceRejected,
                "HTTP 200 internal: odd",
            ),
            (200, ["not", "an", "object"], SourceRejected, "not a JSON object"),
            (200, {"status": "success", "data": {"resultType": "vector"}}, SourceRejected, "unexpected shape"),
        ],
    )
    async def test_error_answers(self, status, body, expected, text):
        async with recording_prometheus() as fake:
            fake.replies = [(status, body)]
            prometheus = source(fake.url)
            with pytest.raises(expected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert type(raised.value) is expected
        assert text in raised.value.message


class TestSampleValueSpelling:
    """A sample value is read only as Prometheus spells a number (Go's strconv.FormatFloat, NaN, +Inf, -Inf): what
    else float() reads, a proxy rewrote, and may read differently ("0_001" is 1 to float())."""

    @staticmethod
    def answer(result_type, value):
        if result_type == "scalar":
            return {"resultType": "scalar", "result": [1000, value]}
        if result_type == "vector":
            return {"resultType": "vector", "result": [{"metric": {"pod": "a"}, "value": [1000, value]}]}
        samples = [[940, "0.001"], [1000, value]]
        return {"resultType": "matrix", "result": [{"metric": {"pod": "a"}, "values": samples}]}

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize(
        "value", ["0_001", " 0.001", "0.001\n", "0.001 ", "infinity", "inf", "nan", "Infinity", "\u0661"]
    )
    async def test_a_value_prometheus_never_writes_is_refused(self, result_type, value):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": self.answer(result_type, value)})]
            check = {"kind": "prometheus", "query": "x", "pass_if": "> 0.01", "each": True}
            if result_type == "matrix":
                check["range"] = "1m"
            evaluation = await evaluated_against(fake.url, check, datetime.fromtimestamp(1000, UTC))
        assert (evaluation.verdict.value, evaluation.error) == ("error", "source_rejected"), evaluation.reason
        assert f"its sample value {value!r} is not a number as Prometheus writes one" in evaluation.reason

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize(
        ("value", "read"),
        [("0.001", 0.001), ("1e-07", 1e-07), ("1.5e+21", 1.5e21), ("-0", 0.0), ("+Inf", math.inf), ("-Inf", -math.inf)],
    )
    async def test_what_prometheus_writes_is_read(self, result_type, value, read):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": self.answer(result_type, value)})]
            prometheus = source(fake.url)
            result = await prometheus.query("x", NOW, timeout_s=3)
            await prometheus.aclose()
        assert result.series[0].samples[-1][1] == read

    async def test_nan_is_read(self):
        async with recording_prometheus() as fake:
            fake.replies = [(200, {"status": "success", "data": self.answer("matrix", "NaN")})]
            prometheus = source(fake.url)
            result = await prometheus.query("x", NOW, timeout_s=3)
            await prometheus.aclose()
        assert math.isnan(result.series[0].samples[-1][1])


class TestErrorAnswersHideCredentials:
    """An error answer that quotes the request's credentials (an auth proxy's refusal) is quoted without them."""

    TOKEN = "tok-5e2b9a7c1d"
    TENANT = "tenant-payments-eu"

    async def refusal(self, tmp_path, reply: object) -> str:
        token = tmp_path / "token"
        token.write_text(self.TOKEN + "\n")
        async with recording_prometheus() as fake:
            fake.replies = [(403, reply)]
            prometheus = source(
                fake.url,
                headers={"X-Scope-OrgID": self.TENANT, "X-Auth": f"Basic {self.TENANT}"},
                bearer_token_file=token,
            )
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        return raised.value.message

    async def test_an_error_body_quoting_the_token_and_headers(self, tmp_path):
        error = f"Authorization 'Bearer {self.TOKEN}' not valid for org {self.TENANT}"
        message = await self.refusal(tmp_path, {"status": "error", "errorType": "forbidden", "error": error})
        assert self.TOKEN not in message and self.TENANT not in message
        assert "HTTP 403 forbidden: Authorization 'Bearer <redacted>' not valid for org <redacted>" in message

    async def test_a_token_of_the_shortest_length_hidden_is_hidden(self, tmp_path):
        # Four characters: the shortest a header value is hidden at (shorter ones would blank ordinary words).
        (tmp_path / "token").write_text("k9Zq")
        async with recording_prometheus() as fake:
            fake.replies = [(401, "bearer k9Zq is not a valid token")]
            prometheus = source(fake.url, bearer_token_file=tmp_path / "token")
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert "k9Zq" not in raised.value.message
        assert "bearer <redacted> is not a valid token" in raised.value.message

    async def test_a_token_the_quote_would_cut_shows_none_of_its_start(self, tmp_path):
        message = await self.refusal(tmp_path, "x" * 295 + self.TOKEN)
        assert self.TOKEN[:4] not in message
        assert message.endswith("x<redacted>)")

    async def test_hiding_earlier_copies_never_brings_a_cut_copy_into_the_quote(self, tmp_path):
        token = "eyJhbGciOiJSUzI1NiJ9.SECRETTOKEN-0123456789abcdef"
        (tmp_path / "token").write_text(token)
        body = f"denied {token} / {token} / " + "x" * 200 + f" token={token}"
        async with recording_prometheus() as fake:
            fake.replies = [(401, body)]
            prometheus = source(fake.url, bearer_token_file=tmp_path / "token")
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert token[:8] not in raised.value.message
        assert "denied <redacted> / <redacted> / xxx" in raised.value.message

    @pytest.mark.parametrize(
        ("headers", "error", "shown"),
        [
            # A token under a header name of its own, echoed glued to other text.
            ({"X-JWT": "eyJhbGciOi.payload.sig"}, "jwt=%22eyJhbGciOi.payload.sig%22", "jwt=%22<redacted>%22)"),
            # Two values that overlap in the echo: neither leaves a part of itself.
            ({"X-Api-Key": "AAAABBBB", "X-Auth": "BBBBCCCC"}, "got AAAABBBBCCCC.", "got <redacted>.)"),
            # A short tenant that the quote's cut would split shows none of itself.
            ({"X-Scope-OrgID": "my-team"}, "x" * 296 + " my-team denied", "x" * 296 + " <redacted>)"),
        ],
    )
    async def test_no_form_of_a_header_value_shows(self, headers, error, shown):
        async with recording_prometheus() as fake:
            fake.replies = [(403, {"status": "error", "errorType": "forbidden", "error": error})]
            prometheus = source(fake.url, headers=headers)
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert raised.value.message.endswith(f"forbidden: {shown}")

    async def test_a_short_header_value_is_hidden_as_a_word_only(self):
        async with recording_prometheus() as fake:
            fake.replies = [(403, {"status": "error", "errorType": "forbidden", "error": "org prod: production off"})]
            prometheus = source(fake.url, headers={"X-Scope-OrgID": "prod"})
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert "forbidden: org <redacted>: production off" in raised.value.message


class TestEchoedCredentialsInOtherForms:
    """A proxy's error page or warning that echoes the request's credentials decoded or re-encoded (a Basic
    header's user:password, a token percent-encoded, JSON- or HTML-escaped) quotes none of them."""

    PAIR = "svc-reader:s3cr3t-Pa55"
    TOKEN = "abc+/tok=9Z"

    async def answer(self, headers: dict[str, str], status: int, reply: object) -> str:
        async with recording_prometheus() as fake:
            fake.replies = [(status, reply)]
            prometheus = source(fake.url, headers=headers, retry=False)
            try:
                result = await prometheus.query("up", NOW, timeout_s=3)
            except (SourceRejected, SourceUnavailable) as exc:
                return exc.message
            finally:
                await prometheus.aclose()
        return " ".join(result.warnings)

    @pytest.mark.parametrize(
        "echo",
        [
            f"upstream refused user {PAIR}",
            f"password {PAIR.partition(':')[2]} expired",
            "credentials=svc-reader%3As3cr3t-Pa55",
        ],
    )
    async def test_a_basic_credential_echoed_decoded(self, echo):
        basic = "Basic " + base64.b64encode(self.PAIR.encode()).decode()
        page = f"<html>502 Bad Gateway: {echo}</html>".encode()
        message = await self.answer({"Authorization": basic}, 502, page)
        assert "s3cr3t-Pa55" not in message and "s3cr3t%2DPa55" not in message
        assert "502 Bad Gateway" in message and "<redacted>" in message

    async def test_a_basic_credential_decoded_in_a_warning(self):
        basic = "Basic " + base64.b64encode(self.PAIR.encode()).decode()
        shown = await self.answer({"Authorization": basic}, 200, {**ANSWER, "warnings": [f"as {self.PAIR}"]})
        assert shown == "as <redacted>"

    @pytest.mark.parametrize(
        "echo",
        [
            "Bearer%20abc%2B%2Ftok%3D9Z",
            "Bearer%20abc%2b%2ftok%3d9Z",
            "Bearer+abc%2B/tok%3D9Z",
            "Bearer abc+\\/tok=9Z",
            "Bearer abc\\u002b\\u002ftok\\u003d9Z",
        ],
    )
    async def test_a_token_echoed_re_encoded(self, echo):
        message = await self.answer(
            {"Authorization": f"Bearer {self.TOKEN}"}, 403, f"refused header {echo} here".encode()
        )
        assert "tok" not in message.replace("token", "")
        assert message.endswith("HTTP 403: refused header <redacted> here)")


class TestMalformedAnswersHideCredentials:
    """An answer aiohttp cannot parse is quoted by its error (the status or header line): a proxy that echoed the
    request's credentials into it shows none of them."""

    TOKEN = "s3cr3t-t0ken-abc"

    @pytest.mark.parametrize(
        "answer",
        [
            f"HTTP/1.1 2x0 Bearer {TOKEN}\r\n\r\n",
            f"HTTP/1.1 200 OK\r\nBearer {TOKEN}\r\nContent-Length: 2\r\n\r\n{{}}",
            f"HTTP/1.1 200 OK\r\nContent-Length: Bearer {TOKEN}\r\n\r\n{{}}",
        ],
    )
    async def test_a_line_that_does_not_parse(self, answer):
        async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer.encode())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        prometheus = source(f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {self.TOKEN}"}, retry=False)
        try:
            with pytest.raises(SourceRejected) as raised:
                await prometheus.query("up", NOW, timeout_s=3)
        finally:
            await prometheus.aclose()
            server.close()
            await server.wait_closed()
        assert "sent an answer that could not be read" in raised.value.message
        assert "<redacted>" in raised.value.message and "s3cr3t" not in raised.value.message


class TestMalformedAnswersHideClippedSecretArgs:
    """A proxy echoing the request line (the query percent-encoded) into an answer aiohttp cannot parse: wherever the
    quote's clip falls in an evaluation's secret arg, no start of it shows."""

    SECRET = "acme/s3cr3t-tenant-key"

    async def test_every_cut(self):
        async def echo_request_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request_line = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[0]
            writer.write(b"HTTP/1.1 2x0 " + request_line + b"\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo_request_line, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        prometheus = source(f"http://127.0.0.1:{port}", retry=False)
        secrets = EVALUATION_SECRETS.set((self.SECRET,))
        messages = []
        try:
            # Labels of every length from where the secret stands wholly before the clip to where it is past it.
            for pad in range(140, 190):
                with pytest.raises(SourceRejected) as raised:
                    await prometheus.query(f'up{{job="{"x" * pad}", t="{self.SECRET}"}}', NOW, timeout_s=3)
                messages.append(raised.value.message)
        finally:
            EVALUATION_SECRETS.reset(secrets)
            await prometheus.aclose()
            server.close()
            await server.wait_closed()
        assert any("<redacted>" in message for message in messages)
        assert not [message for message in messages if "acme%2F" in message or "s3cr" in message]


class TestWarningsHideCredentials:
    """Warnings and infos of a success answer (a proxy quoting the request in one) are shown without its credentials."""

    TOKEN = "tok-5e2b9a7c1d"
    TENANT = "tenant-payments-eu"

    async def test_a_warning_quoting_the_token_and_headers(self, tmp_path):
        (tmp_path / "token").write_text(self.TOKEN + "\n")
        quote = f"partial answer for 'Bearer {self.TOKEN}' of org {self.TENANT}"
        async with recording_prometheus() as fake:
            fake.replies = [(200, {**ANSWER, "warnings": [quote], "infos": [f"seen {self.TOKEN}"]})]
            prometheus = source(fake.url, headers={"X-Scope-OrgID": self.TENANT}, bearer_token_file=tmp_path / "token")
            result = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert result.warnings == ["partial answer for 'Bearer <redacted>' of org <redacted>"]
        assert result.infos == ["seen <redacted>"]

    async def test_warnings_sent_as_one_string_quoting_the_token(self, tmp_path):
        (tmp_path / "token").write_text(self.TOKEN + "\n")
        async with recording_prometheus() as fake:
            fake.replies = [(200, {**ANSWER, "warnings": f"Bearer {self.TOKEN} refused"})]
            prometheus = source(fake.url, bearer_token_file=tmp_path / "token")
            with pytest.raises(SourceRejected) as refused:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert self.TOKEN not in refused.value.message
        assert (
            "its warnings are the string 'Bearer <redacted> refused', not an array of strings" in refused.value.message
        )

    @pytest.mark.parametrize(
        "reply",
        [
            # A proxy's JSON whose status is no Prometheus one, the token in it.
            {"status": f"denied Bearer {TOKEN}", "data": {}},
            # ... or a status that is no string at all: an object or a list quoting the request.
            {"status": {"auth": f"Bearer {TOKEN}"}, "data": {}},
            {"status": [TOKEN, "denied"], "data": {}},
            {"status": {TOKEN: "denied"}, "data": {}},
            # A series whose sample is no number, the request quoted in it.
            {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, TOKEN]}]}},
        ],
    )
    async def test_an_answer_of_the_wrong_shape_quoting_the_token(self, tmp_path, reply):
        (tmp_path / "token").write_text(self.TOKEN + "\n")
        async with recording_prometheus() as fake:
            fake.replies = [(200, reply)]
            prometheus = source(fake.url, bearer_token_file=tmp_path / "token")
            with pytest.raises(SourceRejected) as refused:
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert self.TOKEN not in refused.value.message and "5e2b9a" not in refused.value.message


class TestRedirects:
    """A redirect is an answer naming the problem, not a page followed and misread."""

    async def test_redirect_is_rejected(self):
        async with recording_prometheus() as fake:
            fake.statuses = [302]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match=r"redirect \(HTTP 302\)"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()


class TestRetry:
    """One immediate retry on 502/503/504, and only one."""

    async def test_one_retry_recovers(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503]
            prometheus = source(fake.url)
            result = await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert result.series and len(fake.params) == 2

    async def test_second_failure_is_reported(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503, 503, 503]
            prometheus = source(fake.url)
            with pytest.raises(SourceUnavailable, match="HTTP 503"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert len(fake.params) == 2

    async def test_retry_off(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503]
            prometheus = source(fake.url, retry=False)
            with pytest.raises(SourceUnavailable):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert len(fake.params) == 1


class TestNoResendAfterATimeout:
    """A query Prometheus gave up on (503 errorType timeout) or a proxy did (504) is not sent again."""

    @pytest.mark.parametrize("status, error_type", [(503, "timeout"), (504, "timeout"), (504, "")])
    async def test_timeout_answer_is_not_resent(self, status, error_type):
        async with recording_prometheus() as fake:
            fake.replies = [(status, {"status": "error", "errorType": error_type, "error": "query timed out"})]
            prometheus = source(fake.url)
            with pytest.raises(SourceTimeout):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()
        assert len(fake.params) == 1


class TestCancellation:
    """A cancelled query (deadline, client gone, shutdown) closes its upstream request at once."""

    async def test_cancelled_query_closes_its_connection(self):
        async with holding_prometheus() as held:
            prometheus = source(held.url)
            try:
                query = asyncio.ensure_future(prometheus.query("up", NOW, timeout_s=60))
                await held.entered.wait()
                query.cancel()
                async with asyncio.timeout(30):
                    await held.closed.wait()
                assert query.cancelled()
            finally:
                await prometheus.aclose()

    async def test_an_evaluation_past_its_deadline_closes_its_query(self):
        # The check's deadline (0.5 s) comes long before the source's timeout (60 s): Prometheus sees the
        # request closed then, not when the source's timeout ends.
        async with holding_prometheus() as held:
            check = {"name": "c", "kind": "prometheus", "query": "up", "pass_if": "< 1", "deadline_s": 0.5}
            catalog = build_catalog(
                [("catalog.yaml", {"sources": {"default": {"url": held.url, "timeout_s": 60}}, "checks": [check]})],
                Registry.default(),
            )
            sources = Sources(catalog.sources)
            try:
                async with asyncio.timeout(30):
                    evaluation = await Runner(catalog, sources, None, 5).evaluate(catalog.get("c"), {})
                    await held.closed.wait()
                # The query is given the time left before the deadline, so it may end as its own timeout.
                assert evaluation.verdict.value == "error"
                assert evaluation.error in ("deadline_exceeded", "source_timeout")
                assert held.entered.is_set()
            finally:
                await sources.aclose()

    async def test_closing_the_source_ends_queries_in_flight(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            prometheus = source(fake.url)
            query = asyncio.ensure_future(prometheus.query("up", NOW, timeout_s=60))
            async with asyncio.timeout(60):  # bounds a hung test only: no event tells the query reached the server
                while not fake.in_flight:
                    await asyncio.sleep(0.01)
            prometheus.close()
            with pytest.raises(SourceUnavailable):
                await query
            with pytest.raises(SourceUnavailable, match="is closed"):
                await prometheus.query("up", NOW, timeout_s=3)
            await prometheus.aclose()


class TestConcurrency:
    """No more than max_concurrency queries reach a source at once."""

    async def test_limit(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            prometheus = source(fake.url, max_concurrency=2)
            queries = [asyncio.ensure_future(prometheus.query(f'up{{i="{i}"}}', NOW, timeout_s=5)) for i in range(6)]
            async with asyncio.timeout(60):  # bounds a hung test only: no event tells the queries reached the server
                while fake.in_flight < 2:
                    await asyncio.sleep(0.01)
            assert fake.in_flight == 2
            fake.release.set()
            await asyncio.gather(*queries)
            await prometheus.aclose()
        assert fake.max_in_flight == 2
        assert len(fake.params) == 6


class TestTimeoutAcrossAReload:
    """A reload that changes a source's timeout queries with the new one (its own source and session), and a query
    with less time left than the source's timeout before the check's deadline says that time to Prometheus."""

    async def test_the_timeout_sent_follows_the_catalog_in_service(self, aiohttp_client, tmp_path):
        async with recording_prometheus() as fake:
            path = tmp_path / "catalog.yaml"

            def write(timeout_s: float, deadline_s: float | None = None) -> None:
                check = {"name": "c", "kind": "prometheus", "query": "up", "pass_if": "< 1"}
                if deadline_s is not None:
                    check["deadline_s"] = deadline_s
                sources = {"default": {"url": fake.url, "timeout_s": timeout_s}}
                path.write_text(yaml.safe_dump({"sources": sources, "checks": [check]}))

            write(3)
            app = create_app(
                Settings(catalog=path, catalog_poll_s=0), load_catalog(path, Registry.default()), Registry.default()
            )
            client = await aiohttp_client(app)
            sent = []
            for timeout_s, deadline_s in ((3, None), (1.5, None), (60, 2)):
                if sent:
                    write(timeout_s, deadline_s)
                    assert await app[LIVE].reload("test") == "reloaded"
                answer = await client.get("/api/v1/checks/c/run")
                assert (await answer.json())["verdict"] == "pass"
                sent.append(fake.params[-1]["timeout"])
        assert sent[:2] == ["3000ms", "1500ms"]
        # What is left of the check's 2 s deadline, not the source's 60 s.
        assert 0 < int(sent[2].removesuffix("ms")) <= 2000
