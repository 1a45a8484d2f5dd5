"""The `prometheus` kind through the HTTP API against a real, backfilled Prometheus."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from aiohttp import web

from analyzer.appkeys import METRICS
from analyzer.catalog import build_catalog
from analyzer.errors import ConfigError
from analyzer.promql_groups import fallback_constant
from analyzer.quoting import quote
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.sources.prometheus import PrometheusSource
from analyzer.web import create_app
from checks.prometheus import PrometheusCheck
from tests.fakes import ANNOTATION_WARNING, PARTIAL_WARNING, fake_prometheus, partial_querier
from tests.integration.data_core import ENDING_S, INJECTION
from tests.ports import refused_port

ERROR_RATIO = (
    'sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="{{ canary_hash }}",code=~"5.."}[5m]))'
    ' / sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))'
)
CANARY = {"canary_hash": {"type": "label_value", "required": True}}


def catalog_for(url, *checks, **source):
    return build_catalog(
        [("test.yaml", {"sources": {"default": {"url": url, **source}}, "checks": list(checks)})], Registry.default()
    )


@pytest.fixture
def client_for(aiohttp_client):
    async def make(url, *checks, settings=None, **source):
        app = create_app(settings or Settings(), catalog_for(url, *checks, **source), Registry.default())
        return await aiohttp_client(app)

    return make


async def run(client, name, **params):
    answer = await client.get(f"/api/v1/checks/{name}/run", params=params)
    return answer.status, await answer.json()


@pytest.mark.integration
class TestVerdicts:
    """The four verdicts come from what Prometheus holds, each with its value, threshold and reason."""

    check = {"name": "error-rate", "kind": "prometheus", "params": CANARY, "query": ERROR_RATIO, "pass_if": "< 0.01"}

    async def test_pass(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "error-rate", canary_hash="healthy1", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass")
        assert body["value"] == pytest.approx(0.001)
        assert body["threshold"] == 0.01
        assert body["reason"] == "value 0.001 meets pass_if < 0.01"
        assert body["args"] == {"canary_hash": "healthy1"}

    async def test_fail(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "error-rate", canary_hash="broken1", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail")
        assert body["value"] == pytest.approx(0.1)
        assert body["reason"] == "value 0.1 does not meet pass_if < 0.01"

    async def test_no_series_is_inconclusive(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "error-rate", canary_hash="nosuchhash")
        assert (status, body["verdict"]) == (200, "inconclusive")
        assert body["value"] is None
        assert "returned no series" in body["reason"]

    async def test_nan_is_inconclusive(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "error-rate", canary_hash="idle1", explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive")
        assert "NaN" in body["reason"]
        assert body["details"]["series"][0]["value"] == "NaN"

    @pytest.mark.parametrize(
        ("policy", "status", "verdict"), [("fail", 200, "fail"), ("error", 503, "error"), ("pass", 200, "pass")]
    )
    async def test_no_data_policy(self, prometheus, client_for, policy, status, verdict):
        client = await client_for(prometheus.url, {**self.check, "no_data": policy})
        got_status, body = await run(client, "error-rate", canary_hash="idle1")
        assert (got_status, body["verdict"]) == (status, verdict)
        assert f"no_data policy: {policy}" in body["reason"]

    async def test_fail_if_band_gives_inconclusive(self, prometheus, client_for):
        check = {**self.check, "pass_if": "< 0.0005", "fail_if": ">= 0.05"}
        client = await client_for(prometheus.url, check)
        _, body = await run(client, "error-rate", canary_hash="healthy1", at=prometheus.anchor)
        assert body["verdict"] == "inconclusive"
        assert body["reason"] == "value 0.001 meets neither pass_if < 0.0005 nor fail_if >= 0.05"
        _, body = await run(client, "error-rate", canary_hash="broken1", at=prometheus.anchor)
        assert (body["verdict"], body["reason"]) == ("fail", "value 0.1 meets fail_if >= 0.05")
        assert body["threshold"] == 0.05

    async def test_explain_shows_the_rendered_query(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        _, body = await run(client, "error-rate", canary_hash="healthy1", explain="true")
        assert body["details"]["queries"] == [ERROR_RATIO.replace("{{ canary_hash }}", "healthy1")]
        _, compact = await run(client, "error-rate", canary_hash="healthy1")
        assert "details" not in compact


@pytest.mark.integration
class TestInfiniteValues:
    """An infinite value (errors over zero traffic, a division by zero) is never judged and never passes."""

    DIVIDED = 'sum(queue_depth{service="checkout"}) / 0'
    # 10 while the p99 is 0.2 s, then 10 / 0 = +Inf from 30 minutes before the anchor on.
    TURNS_INFINITE = 'sum(queue_depth{service="checkout"}) / sum(latency_p99_seconds{service="checkout"} < bool 0.5)'

    @pytest.mark.parametrize(
        ("query", "extra", "shown"),
        [
            (DIVIDED, {}, "the query returned inf"),
            ("-" + DIVIDED, {}, "the query returned -inf"),
            (
                'queue_depth{service="checkout"} / 0',
                {"reduce": "max"},
                'series {pod="a", service="checkout"} returned inf',
            ),
            (TURNS_INFINITE, {"range": "1h", "step": "5m"}, "the query returned inf"),
            # Series a is NaN (0/0), listed first; series b is +Inf: the infinity decides, not the absent value.
            (
                'label_replace(vector(0) / 0, "pod", "a", "", "") or label_replace(vector(1) / 0, "pod", "b", "", "")',
                {"reduce": "max"},
                'series {pod="b"} returned inf',
            ),
        ],
    )
    async def test_no_data_pass_does_not_apply(self, prometheus, client_for, query, extra, shown):
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 20", "no_data": "pass", **extra}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert shown in body["reason"]
        assert "a division by zero?" in body["reason"]

    async def test_each_series_that_is_infinite_keeps_the_verdict_from_passing(self, prometheus, client_for):
        check = {"name": "q", "kind": "prometheus", "query": 'queue_depth{service="checkout"} / 0', "each": True}
        client = await client_for(prometheus.url, {**check, "pass_if": "< 20", "no_data": "pass"})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "at inf (an infinite value is never a pass)" in body["reason"]

    async def test_a_range_is_not_judged_on_its_finite_samples_alone(self, prometheus, client_for):
        # Half the hour is 10, which meets pass_if; the other half is +Inf.
        check = {"name": "q", "kind": "prometheus", "query": self.TURNS_INFINITE, "pass_if": "< 20"}
        client = await client_for(prometheus.url, {**check, "range": "1h", "step": "5m"})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "(no_data policy: inconclusive)" in body["reason"]

    async def test_a_series_without_a_value_beside_one_that_fails_is_no_pass(self, prometheus, client_for):
        # Series a is NaN (0/0: no traffic), series b is 0.5: a max over both is at least 0.5, which fails.
        query = 'label_replace(vector(0.5), "pod", "b", "", "") or label_replace(vector(0) / 0, "pod", "a", "", "")'
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "no_data": "pass"}
        client = await client_for(prometheus.url, {**check, "reduce": "max"})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "no_data: pass does not apply to a reduction whose other series have values" in body["reason"]

    @pytest.mark.parametrize("pass_if", ["< 1", "> 1"])
    async def test_a_sum_beyond_the_float_range_is_no_crash_and_no_pass(self, prometheus, client_for, pass_if):
        # Each series is finite; their sum (2e308) is not a float: Prometheus' own sum() would say +Inf.
        query = 'label_replace(vector(1e308), "pod", "a", "", "") or label_replace(vector(1e308), "pod", "b", "", "")'
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": pass_if, "no_data": "pass"}
        client = await client_for(prometheus.url, {**check, "reduce": "sum"})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "sum of 2 series is inf, beyond the float range" in body["reason"]

    async def test_no_data_fail_still_fails(self, prometheus, client_for):
        check = {"name": "q", "kind": "prometheus", "query": self.DIVIDED, "pass_if": "< 20", "no_data": "fail"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]


@pytest.mark.integration
class TestInjection:
    """A label_value arg is a literal label value, whatever it contains."""

    check = {
        "name": "errors",
        "kind": "prometheus",
        "params": {"h": {"type": "label_value", "required": True}},
        "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ h }}",code="500"}[5m]))',
        "pass_if": "< 0.01",
    }

    async def test_injected_promql_is_matched_literally(self, prometheus, client_for):
        # Unescaped, this value would close the selector and append `or vector(0)`: a pass.
        client = await client_for(prometheus.url, self.check)
        _, body = await run(client, "errors", h=INJECTION, at=prometheus.anchor)
        assert body["verdict"] == "fail"
        assert body["value"] == pytest.approx(5.0)

    async def test_an_empty_required_value_is_refused_not_matched_as_no_label(self, prometheus, client_for):
        # Empty, the matcher selects checkout's service-wide p99 (0.9, no hash label), which meets pass_if.
        check = {
            "name": "p99",
            "kind": "prometheus",
            "params": {"h": {"type": "label_value", "required": True}},
            "query": 'max(latency_p99_seconds{service="checkout",rollouts_pod_template_hash="{{ h }}"})',
            "pass_if": "< 1",
        }
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "p99", h="", at=prometheus.anchor)
        assert (status, body["error"]) == (400, "bad_arg"), body
        assert "arg 'h' is empty" in body["message"]

    @pytest.mark.parametrize("value", ['x"} or vector(1) #', 'x"}) or vector(0) or sum(x{a="', "x\\", ".*"])
    async def test_other_injections_select_nothing(self, prometheus, client_for, value):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "errors", h=value)
        assert (status, body["verdict"]) == (200, "inconclusive")
        assert "no series" in body["reason"]


@pytest.mark.integration
class TestQuantileArgs:
    """An arg given to a param placed as a quantile (`histogram_quantile({{ q }}, ...)`) outside 0 to 1 is the caller's
    400, saying what a quantile is: Prometheus answers +Inf for it whatever was measured."""

    check = {
        "name": "p",
        "kind": "prometheus",
        "params": {"q": {"type": "number", "default": 0.99}},
        "query": 'histogram_quantile({{ q }}, sum by (le) (rate(eb_latency_seconds_bucket{service="eb-api"}[5m])))',
        "pass_if": "< 2",
    }

    @pytest.mark.parametrize(
        ("q", "said"),
        [
            ("99", "got 99: Prometheus answers +Inf for it whatever was measured. In percent? 99 is 0.99"),
            ("-0.5", "got -0.5: Prometheus answers -Inf for it whatever was measured."),
            ("250", "got 250: Prometheus answers +Inf for it whatever was measured."),
        ],
    )
    async def test_a_quantile_outside_0_to_1_is_refused(self, prometheus, client_for, q, said):
        # Before: 200 inconclusive, "the query returned +Inf, which cannot be judged (a division by zero?)".
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "p", q=q, at=prometheus.anchor)
        assert (status, body["error"]) == (400, "bad_arg"), body
        assert body["message"] == (
            "arg 'q' is the quantile of histogram_quantile({{ q }}, ...), a fraction from 0 to 1 (0.99 for p99), "
            + said
        )

    @pytest.mark.parametrize(
        ("argument", "q", "said"),
        [
            ("({{ q }})", "99", "arg 'q' is the quantile of histogram_quantile(({{ q }}), ...)"),
            (
                "scalar(vector({{ q }}))",
                "99",
                "arg 'q' is the quantile of histogram_quantile(scalar(vector({{ q }})), ...)",
            ),
            ("{{ q }} / 100", "9900", "arg 'q' makes the quantile of histogram_quantile({{ q }} / 100, ...)"),
        ],
    )
    async def test_a_quantile_in_parentheses_or_wrapped_is_read(self, prometheus, client_for, argument, q, said):
        # Before: 200 inconclusive, +Inf for q=99 (the rule read `histogram_quantile({{ q }},` alone).
        query = self.check["query"].replace("{{ q }}", argument)
        client = await client_for(prometheus.url, {**self.check, "query": query})
        status, body = await run(client, "p", q=q, at=prometheus.anchor)
        assert (status, body["error"]) == (400, "bad_arg"), body
        assert body["message"].startswith(said), body["message"]
        fraction = "99" if "100" in argument else "0.99"
        status, body = await run(client, "p", q=fraction, at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body

    @pytest.mark.parametrize("q", ["0.99", "1", "0"])
    async def test_a_fraction_is_judged(self, prometheus, client_for, q):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "p", q=q, at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body


@pytest.mark.integration
class TestLiteralBraces:
    """A label value holding `{{` (a templated URL path a service exports) is written with Go escapes, which
    Prometheus reads and the template does not: the catalog's refusal of a bare `{{` names them."""

    async def test_a_label_value_with_braces_is_matched_as_written_with_escapes(self, prometheus, client_for):
        # absent() answers the labels of its selector's equality matchers: what Prometheus read the value as.
        query = r'absent(no_such_metric{path="/\x7b\x7bid\x7d\x7d"})'
        client = await client_for(
            prometheus.url, {"name": "b", "kind": "prometheus", "query": query, "pass_if": "== 1"}
        )
        status, body = await run(client, "b", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert body["details"]["series"][0]["labels"] == {"path": "/{{id}}"}


@pytest.mark.integration
class TestBareArgs:
    """A bare arg that Prometheus would read otherwise than its type says is the caller's 400, never a verdict."""

    checks = (
        {
            "name": "per-unit",
            "kind": "prometheus",
            "params": {"denominator": {"type": "identifier", "required": True}},
            "query": 'sum(queue_depth{service="checkout"}) / {{ denominator }}',
            "pass_if": "< 1",
        },
        {
            "name": "errors-over",
            "kind": "prometheus",
            "params": {"window": {"type": "duration", "default": "5m"}},
            "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="broken1",code="500"}[{{ window }}]))',
            "pass_if": "< 0.5",
        },
    )

    @pytest.mark.parametrize("name", ["Inf", "INF", "nan"])
    async def test_a_number_literal_is_no_identifier(self, prometheus, client_for, name):
        # PromQL reads `/ Inf` as a division by infinity: 0, a pass, whatever the queue depth.
        client = await client_for(prometheus.url, *self.checks)
        status, body = await run(client, "per-unit", denominator=name)
        assert (status, body["error"]) == (400, "bad_arg")
        assert "'denominator'" in body["message"]
        assert "not Inf or NaN" in body["message"]

    @pytest.mark.parametrize(("window", "rule"), [("30m1h", "largest to the smallest"), ("300y", "292 years")])
    async def test_a_duration_prometheus_refuses_is_named_before_it_is_sent(self, prometheus, client_for, window, rule):
        client = await client_for(prometheus.url, *self.checks)
        status, body = await run(client, "errors-over", window=window)
        assert (status, body["error"]) == (400, "bad_arg")
        assert "'window'" in body["message"]
        assert rule in body["message"]

    async def test_a_duration_in_prometheus_order_is_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, *self.checks)
        status, body = await run(client, "errors-over", window="1h30m", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail")
        assert body["value"] == pytest.approx(1.0)


@pytest.mark.integration
class TestSeries:
    """Several series need an explicit reduction or `each`; the rule is enforced at load when visible."""

    base = {"kind": "prometheus", "query": 'queue_depth{service="checkout"}', "pass_if": "< 5"}

    async def test_unreduced_multi_series_is_an_error(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.base, "name": "q"})
        status, body = await run(client, "q")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured")
        assert "returned 2 series" in body["reason"]

    @pytest.mark.parametrize("query", ["sum by (pod) (queue_depth)", "sum BY (pod) (queue_depth)"])
    def test_top_level_grouping_is_rejected_at_load(self, prometheus, query):
        # PromQL keywords are case-insensitive. Before: `BY` loaded, and every run was an error.
        with pytest.raises(ConfigError, match="set reduce"):
            catalog_for(prometheus.url, {**self.base, "name": "q", "query": query})

    @pytest.mark.parametrize(
        "query", ['sum BY (pod) (queue_depth{service="checkout"})', 'sum(queue_depth{service="checkout"}) Without ()']
    )
    async def test_a_grouping_in_capitals_is_reduced_as_in_lower_case(self, prometheus, client_for, query):
        client = await client_for(prometheus.url, {**self.base, "name": "q", "query": query, "reduce": "max"})
        status, body = await run(client, "q")
        assert (status, body["verdict"], body["value"]) == (200, "fail", 7), body["reason"]

    @pytest.mark.parametrize(
        "query", ['sum by () (queue_depth{service="checkout"})', 'sum(queue_depth{service="checkout"}) by ()']
    )
    async def test_an_empty_by_list_is_one_series(self, prometheus, client_for, query):
        client = await client_for(prometheus.url, {**self.base, "name": "q", "query": query})
        status, body = await run(client, "q")
        assert (status, body["verdict"], body["value"]) == (200, "fail", 10), body["reason"]

    async def test_an_empty_without_list_keeps_each_series(self, prometheus, client_for):
        query = 'sum without () (queue_depth{service="checkout"})'
        with pytest.raises(ConfigError, match="set reduce"):
            catalog_for(prometheus.url, {**self.base, "name": "q", "query": query})
        client = await client_for(prometheus.url, {**self.base, "name": "q", "query": query, "each": True})
        _, body = await run(client, "q")
        assert body["verdict"] == "fail" and "1 of 2 series fail" in body["reason"], body["reason"]

    @pytest.mark.parametrize(
        ("reduce", "verdict", "value"),
        [("max", "fail", 7), ("min", "pass", 3), ("avg", "fail", 5), ("sum", "fail", 10)],
    )
    async def test_reduce(self, prometheus, client_for, reduce, verdict, value):
        client = await client_for(prometheus.url, {**self.base, "name": "q", "reduce": reduce})
        _, body = await run(client, "q")
        assert (body["verdict"], body["value"]) == (verdict, value)

    async def test_each_reports_the_failing_series(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.base, "name": "q", "each": True})
        _, body = await run(client, "q", explain="1")
        assert (body["verdict"], body["value"]) == ("fail", 7)
        assert 'pod="b"' in body["reason"]
        assert sorted(s["verdict"] for s in body["details"]["series"]) == ["fail", "pass"]

    @pytest.mark.parametrize(
        ("fields", "verdict", "value", "reason"),
        [
            ({"pass_if": "> 1"}, "pass", 3, "all 2 series meet pass_if > 1; closest "),
            ({"pass_if": "> 5"}, "fail", 3, "1 of 2 series fail; worst "),
            ({"pass_if": "> 5", "fail_if": "< 2"}, "inconclusive", 3, "1 of 2 series are inconclusive; worst "),
            ({"pass_if": "< 10", "fail_if": "> 5"}, "fail", 7, "1 of 2 series fail; worst "),
            # Negated, pod b (-7) is the smallest: nearest to failing a lower bound although listed second.
            ({"query": '-queue_depth{service="checkout"}', "pass_if": "> -10"}, "pass", -7, "all 2 series meet"),
            # Neither an upper nor a lower bound: the first series listed.
            ({"pass_if": "between 0 and 10"}, "pass", 3, "all 2 series meet pass_if between 0 and 10"),
        ],
    )
    async def test_each_reports_the_series_nearest_the_wrong_side(
        self, prometheus, client_for, fields, verdict, value, reason
    ):
        # pod a is at 3, pod b at 7: for a lower bound the smallest is nearest to failing, for an upper the largest.
        client = await client_for(prometheus.url, {**self.base, "name": "q", "each": True, **fields})
        _, body = await run(client, "q")
        assert (body["verdict"], body["value"]) == (verdict, value)
        assert body["reason"].startswith(reason)

    async def test_each_passes_when_all_pass(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.base, "name": "q", "each": True, "pass_if": "< 10"})
        _, body = await run(client, "q")
        assert (body["verdict"], body["value"]) == ("pass", 7)


@pytest.mark.integration
class TestRangeVectorOfAnInstantQuery:
    """An instant query that returns raw samples is a misconfigured check, not a judgement of its last sample."""

    async def test_is_an_error_naming_the_fix(self, prometheus, client_for):
        # The last sample (0.9) meets pass_if; the first half of the hour (0.2) does not.
        check = {
            "name": "p99-floor",
            "kind": "prometheus",
            "query": 'latency_p99_seconds{service="checkout"}[1h]',
            "pass_if": "> 0.5",
        }
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "p99-floor", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured")
        assert "returned a range vector" in body["reason"]
        assert "max_over_time" in body["reason"]


@pytest.mark.integration
class TestScalarOfSeveralElements:
    """scalar() of more than one element is NaN whatever they hold: an error, never no data for no_data: pass."""

    QUEUES = 'queue_depth{service="checkout"}'
    IDLE_RATIO = (
        'sum(rate(http_requests_total{rollouts_pod_template_hash="idle1",code="500"}[5m]))'
        ' / sum(rate(http_requests_total{rollouts_pod_template_hash="idle1"}[5m]))'
    )

    def check(self, query):
        return {"name": "s", "kind": "prometheus", "query": query, "pass_if": "< 5", "no_data": "pass"}

    @pytest.mark.parametrize(
        "query",
        [
            f"scalar({QUEUES})",
            f"vector(scalar({QUEUES}))",
            f"sum({QUEUES}) > scalar({QUEUES}) * 0",
            # A fallback fills what the comparison with NaN kept nothing of: 0, which `< 5` passed.
            f"max({QUEUES} > scalar({QUEUES}) * 0) or vector(0)",
            # A bool comparison with NaN is 0 (false) for every series: 0, which `< 5` passed.
            f"sum(({QUEUES} > bool scalar({QUEUES}) * 0) * {QUEUES})",
        ],
    )
    async def test_is_an_error_naming_the_fix(self, prometheus, client_for, query):
        # Pods at 3 and 7: one fails `< 5`; the NaN (or the comparison with it, which keeps nothing) passed.
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "s", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body
        assert "reads 2 elements at the evaluation time" in body["reason"]
        assert "scalar(sum(...))" in body["reason"]
        assert body["details"]["scalar_queries"] == [{"query": 'count(queue_depth{service="checkout"})', "elements": 2}]

    @pytest.mark.parametrize(
        "queues",
        [
            # promql-parser printed the quote bare (`pod!="q"x"`) and the regex's `\\.` as `\.`, which Prometheus reads
            # as another escape: the argument went unasked, and its NaN passed under no_data: pass.
            'queue_depth{service="checkout",pod!="q\\"x"}',
            'queue_depth{service="checkout",pod=~"[ab]\\\\.?"}',
            # As written, its comment too: counted as the query reads it, the comment ending no parenthesis.
            'queue_depth{service="checkout"} # both pods\n',
        ],
    )
    async def test_an_argument_is_counted_as_written(self, prometheus, client_for, queues):
        client = await client_for(prometheus.url, self.check(f"max({self.QUEUES} > scalar({queues}) * 0) or vector(0)"))
        status, body = await run(client, "s", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body
        assert "reads 2 elements at the evaluation time" in body["reason"]
        assert body["details"]["scalar_queries"][0]["elements"] == 2

    async def test_a_range_check_too(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.check(f"scalar({self.QUEUES})"), "range": "10m"})
        status, body = await run(client, "s", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body
        assert "reads 2 elements at the evaluation time" in body["reason"]

    async def test_one_element_is_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check(f"scalar(max({self.QUEUES}))"))
        status, body = await run(client, "s", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", 7)

    @pytest.mark.parametrize("query", ["scalar(no_such_metric_total)", f"scalar({IDLE_RATIO})"])
    async def test_no_element_or_one_without_a_value_follows_no_data(self, prometheus, client_for, query):
        # No series at all, or one idle canary's 0/0: NaN is no traffic, which no_data: pass says passes.
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "s", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body
        assert "no_data policy: pass" in body["reason"]


@pytest.mark.integration
class TestShortWindows:
    """A window shorter than a series' lag loses that series alone: the others are judged without it."""

    @staticmethod
    def check(window: str) -> dict:
        ratio = (
            f'sum(rate(lagging_requests_total{{rollouts_pod_template_hash="lagging1",code="500"}}[{window}]))'
            f' / sum(rate(lagging_requests_total{{rollouts_pod_template_hash="lagging1"}}[{window}]))'
        )
        return {"name": f"lag-{window}", "kind": "prometheus", "query": ratio, "pass_if": "< 0.01"}

    async def test_a_lagging_pods_errors_drop_out_of_a_one_minute_window(self, prometheus, client_for):
        # docs/troubleshooting.md: "never a pass" held only when every series lagged alike. The erroring pod's newest
        # sample is 75 s old: one sample in [1m], no rate; the healthy pod's 0 errors of 10 req/s are the ratio.
        client = await client_for(prometheus.url, self.check("1m"))
        status, body = await run(client, "lag-1m", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0.0)

    async def test_a_window_of_five_minutes_holds_it(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check("5m"))
        status, body = await run(client, "lag-5m", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]


@pytest.mark.integration
class TestStaleSeries:
    """A range query's one series that stopped before the end of its range is no series now, not a pass."""

    check = {
        "name": "crashed",
        "kind": "prometheus",
        "query": 'canary_error_ratio{rollouts_pod_template_hash="crashed1"}',
        "pass_if": "< 0.01",
        "range": "1h",
        "step": "1m",
    }

    async def test_a_series_that_stopped_follows_no_data(self, prometheus, client_for):
        # Its first half hour (0.001) meets pass_if; since then the canary reports nothing.
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "crashed", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "stopped reporting" in body["reason"]
        assert "(no_data policy: inconclusive)" in body["reason"]

    async def test_while_it_still_reported_it_is_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "crashed", at=prometheus.anchor - 45 * 60)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.001))

    @pytest.mark.parametrize("mode", [{"reduce": "max"}, {"each": True}, {"reduce": "max", "over_time": "max"}])
    async def test_reduce_or_each_over_series_that_all_stopped_follows_no_data(self, prometheus, client_for, mode):
        client = await client_for(prometheus.url, {**self.check, **mode})
        status, body = await run(client, "crashed", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "stopped reporting" in body["reason"]

    async def test_a_series_without_traffic_to_the_end_follows_no_data(self, prometheus, client_for):
        # kpihung's conversion is 0.1 until its workers hung, 15 minutes ago; since then its counters are flat and
        # still scraped: 0/0, NaN at every point. Its earlier points alone would pass.
        query = (
            'sum(rate(kpi_orders_total{rollouts_pod_template_hash="kpihung"}[1m])) / '
            'sum(rate(kpi_visits_total{rollouts_pod_template_hash="kpihung"}[1m]))'
        )
        hung = {**self.check, "name": "hung", "query": query, "pass_if": "> 0.05", "range": "30m"}
        client = await client_for(prometheus.url, hung)
        status, body = await run(client, "hung", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "no value (no sample, or NaN) in the last" in body["reason"]
        status, body = await run(client, "hung", at=prometheus.anchor - 20 * 60)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.1))

    @pytest.mark.parametrize("how", [{"reduce": "min"}, {"each": True}])
    async def test_one_series_without_traffic_to_the_end_beside_others_is_no_pass(self, prometheus, client_for, how):
        # kpihung reads NaN for its last 15 minutes and is still scraped: a pod whose workers hung, not a pod
        # replaced. Its earlier points (0.1, as kpiequal's to the end) alone would pass.
        hashes = 'rollouts_pod_template_hash=~"kpihung|kpiequal"'
        query = (
            f"sum by (rollouts_pod_template_hash) (rate(kpi_orders_total{{{hashes}}}[1m])) / "
            f"sum by (rollouts_pod_template_hash) (rate(kpi_visits_total{{{hashes}}}[1m]))"
        )
        hung = {**self.check, "name": "hung", "query": query, "pass_if": "> 0.05", "range": "30m", **how}
        client = await client_for(prometheus.url, hung)
        status, body = await run(client, "hung", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "kpihung" in body["reason"], body["reason"]
        status, body = await run(client, "hung", at=prometheus.anchor - 20 * 60)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_one_of_several_series_ending_is_a_pod_replaced_not_stale(self, prometheus, client_for):
        query = 'canary_error_ratio{service="checkout"} or latency_p99_seconds{service="checkout"} * 0'
        client = await client_for(prometheus.url, {**self.check, "query": query, "reduce": "max"})
        status, body = await run(client, "crashed", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]


@pytest.mark.integration
class TestAtAheadOfTheClock:
    """An `at` ahead of the service's clock, within the skew it allows, is measured as of the clock: nothing is
    measured past now, so a window ending ahead would judge only its part up to now."""

    check = {
        "name": "new-errors",
        "kind": "prometheus",
        "query": "sum(increase(ending_errors_total[1m])) or vector(0)",
        "pass_if": "< 1",
    }

    async def test_a_window_ending_ahead_judges_what_was_measured(self, prometheus, client_for, monkeypatch):
        # Before: a pass. The data ends at the clock's now, as a live Prometheus' does; 50 s ahead (a caller whose clock
        # runs ahead, Argo's `{{experiment.finishedAt}}` less than 60 s away) the last minute held no sample, and the
        # fallback read that as no new errors.
        now_s = prometheus.anchor - ENDING_S
        monkeypatch.setattr("analyzer.params.time", SimpleNamespace(time=lambda: now_s))
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "new-errors", at=now_s + 50)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        assert body["value"] == pytest.approx(60, rel=0.1)
        status, body = await run(client, "new-errors", at=now_s)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]


@pytest.mark.integration
class TestStoppedVariantComparedInOneQuery:
    """A query comparing variants its args name (canary and stable hashes) needs a series now of each of them."""

    check = {
        "name": "versus",
        "kind": "prometheus",
        "params": {
            "canary_hash": {"type": "label_value", "required": True},
            "stable_hash": {"type": "label_value", "required": True},
        },
        "query": 'avg(avg_over_time(canary_error_ratio{rollouts_pod_template_hash="{{ canary_hash }}"}[1h])) '
        '- avg(avg_over_time(canary_error_ratio{rollouts_pod_template_hash="{{ stable_hash }}"}[1h]))',
        "pass_if": "< 0.01",
    }

    async def test_a_canary_that_stopped_beside_a_reporting_stable_follows_no_data(self, prometheus, client_for):
        # Before: a pass. Its first half hour in the window (0.001) equals stable's; since then it reports nothing.
        client = await client_for(prometheus.url, self.check)
        args = {"canary_hash": "crashed1", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert (
            'none of those that name "crashed1" has a sample now (in the last 300 s, '
            'canary_error_ratio{rollouts_pod_template_hash="crashed1"}): they stopped reporting'
        ) in body["reason"]
        assert body["details"]["presence_now_query"] == (
            'label_replace(count(canary_error_ratio{rollouts_pod_template_hash="crashed1"}), "analyzer_named", '
            '"0", "", "") or label_replace(count(canary_error_ratio{rollouts_pod_template_hash="steady1"}), '
            '"analyzer_named", "1", "", "")'
        )

    async def test_two_variants_reporting_are_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        args = {"canary_hash": "steady2", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_the_same_variant_given_twice_is_one(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        args = {"canary_hash": "steady1", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert body["details"]["presence_now_query"] == (
            'count(canary_error_ratio{rollouts_pod_template_hash="steady1"})'
        )

    async def test_a_canary_without_an_error_series_beside_its_fallback_is_judged(self, prometheus, client_for):
        # Its error counter appears at its first error: only its requests report, and that is enough.
        ratio = (
            '(sum(rate(http_requests_total{{rollouts_pod_template_hash="{{{{ {0} }}}}",code="503"}}[1h])) or vector(0))'
            ' / sum(rate(http_requests_total{{rollouts_pod_template_hash="{{{{ {0} }}}}"}}[1h]))'
        )
        check = {**self.check, "query": f"{ratio.format('canary_hash')} - {ratio.format('stable_hash')}"}
        client = await client_for(prometheus.url, check)
        args = {"canary_hash": "healthy1", "stable_hash": "broken1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert '"analyzer_named"' in body["details"]["presence_now_query"]

    async def test_a_stopped_canary_beside_a_fallback_that_does_not_pass_follows_no_data(self, prometheus, client_for):
        # Before: a pass. `or on() vector(1)` answers only once the canary's half hour leaves the window; until then
        # stable's series reporting answered the presence query for both.
        check = {**self.check, "query": f"({self.check['query']}) or on() vector(1)"}
        client = await client_for(prometheus.url, check)
        args = {"canary_hash": "crashed1", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]
        assert "fallback" not in body["reason"]
        args = {"canary_hash": "steady2", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_variants_that_all_stopped_beside_a_fallback_that_does_not_pass_judge_the_fallback(
        self, prometheus, client_for
    ):
        # crashed1's ratio and gone1's errors both stopped: the query answers `vector(1)` once their samples leave the
        # window, as for a canary stopped alone (TestStoppedSeriesReadOverAWindow), so that fails now.
        check = {
            **self.check,
            "query": 'avg(avg_over_time(canary_error_ratio{rollouts_pod_template_hash="{{ canary_hash }}"}[1h])) '
            '- on() sum(rate(eb_requests_total{rollouts_pod_template_hash="{{ stable_hash }}",code="500"}[1h])) '
            "or on() vector(1)",
        }
        client = await client_for(prometheus.url, check)
        args = {"canary_hash": "crashed1", "stable_hash": "gone1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        assert "none of them has a sample now" in body["reason"]
        assert "and its fallback answers 1 for them" in body["reason"]
        assert '"analyzer_named"' in body["details"]["presence_now_query"]

    async def test_a_canary_compared_with_every_other_pod_is_asked_apart_from_them(self, prometheus, client_for):
        # Before: a pass. `hash!="crashed1"` reads the steady pods, whose series reporting answered for the canary's.
        canary = 'canary_error_ratio{rollouts_pod_template_hash="{{ canary_hash }}"}'
        query = f"avg(avg_over_time({canary}[1h])) - avg(avg_over_time({canary.replace('=', '!=', 1)}[1h]))"
        params = {"canary_hash": self.check["params"]["canary_hash"]}
        client = await client_for(prometheus.url, {**self.check, "params": params, "query": query})
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", canary_hash="crashed1")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="steady2")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    @staticmethod
    async def dead_canary_then_live(prometheus, client, **args):
        """The canary that stopped (crashed1) is no data, naming it; one still reporting (steady2) passes."""
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="crashed1", **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="steady2", **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    def declared(self, **variants):
        params = {
            name: {**param, "variant": variants[name]} if name in variants else param
            for name, param in self.check["params"].items()
        }
        return {**self.check, "params": params}

    async def test_a_stopped_stable_beside_a_declared_canary_is_judged(self, prometheus, client_for):
        # Before: inconclusive at every step after dynamicStableScale scaled stable to zero (setWeight: 100). Its first
        # half hour in the window (0.001) is what the query compares the canary's (0.001) with.
        args = {"canary_hash": "steady2", "stable_hash": "crashed1"}
        client = await client_for(prometheus.url, self.check)
        status, body = await run(client, "versus", at=prometheus.anchor, **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]
        for variants in ({"canary_hash": "canary"}, {"canary_hash": "canary", "stable_hash": "baseline"}):
            client = await client_for(prometheus.url, self.declared(**variants))
            status, body = await run(client, "versus", at=prometheus.anchor, **args)
            assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_a_stopped_stable_declared_baseline_is_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.declared(stable_hash="baseline"))
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="steady2", stable_hash="crashed1")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="crashed1", stable_hash="steady1")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]

    @pytest.mark.parametrize("fallback", ["", " or on() vector(1)"])
    async def test_a_declared_canary_that_stopped_follows_no_data(self, prometheus, client_for, fallback):
        check = self.declared(canary_hash="canary")
        check["query"] = f"({check['query']}){fallback}"
        client = await client_for(prometheus.url, check)
        args = {"canary_hash": "crashed1", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]

    async def test_a_declared_canary_against_every_other_pod_asks_the_canary(self, prometheus, client_for):
        # The others (steady1, steady2) report; crashed1 named as the canary stopped: no data, not a pass.
        canary = 'canary_error_ratio{rollouts_pod_template_hash="{{ canary_hash }}"}'
        query = f"avg(avg_over_time({canary}[1h])) - avg(avg_over_time({canary.replace('=', '!=', 1)}[1h]))"
        params = {"canary_hash": {**self.check["params"]["canary_hash"], "variant": "canary"}}
        client = await client_for(prometheus.url, {**self.check, "params": params, "query": query})
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="crashed1")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        status, body = await run(client, "versus", at=prometheus.anchor, canary_hash="steady2")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    @pytest.mark.parametrize(
        ("others", "args"),
        [
            # The canary against the whole fleet, and against a service another param names (a label no other arg
            # names): no two args name one label, so no variants were told apart.
            ("canary_error_ratio", {}),
            ('canary_error_ratio{service="{{ service }}"}', {"service": "versus"}),
        ],
    )
    async def test_a_declared_canary_of_a_label_no_other_arg_names_is_asked_apart(
        self, prometheus, client_for, others, args
    ):
        # Before: a pass. The other pods reporting answered the presence query for the declared canary's selectors.
        canary = 'canary_error_ratio{rollouts_pod_template_hash="{{ canary_hash }}"}'
        query = f"avg(avg_over_time({canary}[1h])) - avg(avg_over_time({others}[1h]))"
        params = {"canary_hash": {**self.check["params"]["canary_hash"], "variant": "canary"}}
        params |= {name: {"type": "label_value", "required": True} for name in args}
        client = await client_for(prometheus.url, {**self.check, "params": params, "query": query})
        await self.dead_canary_then_live(prometheus, client, **args)

    @pytest.mark.parametrize(
        ("others", "stable"),
        [
            # Against the whole fleet (a declared canary), and against stable written the same way (two args).
            ("canary_error_ratio", None),
            ('canary_error_ratio{rollouts_pod_template_hash=~"{{ stable_hash }}.*"}', "steady1"),
        ],
    )
    async def test_a_canary_written_inside_a_regex_is_asked_apart(self, prometheus, client_for, others, stable):
        # Before: a pass. `hash=~"c.*"` (as a pod name's `pod=~"app-{{ canary_hash }}-.*"`) named no variant, only a
        # regex that is the value alone did, and the other pods reporting answered for a dead canary's selectors.
        canary = 'canary_error_ratio{rollouts_pod_template_hash=~"{{ canary_hash }}.*"}'
        params = {"canary_hash": {**self.check["params"]["canary_hash"], "variant": "canary"}}
        args = {}
        if stable is not None:
            params["stable_hash"], args["stable_hash"] = self.check["params"]["stable_hash"], stable
        query = f"avg(avg_over_time({canary}[1h])) - avg(avg_over_time({others}[1h]))"
        client = await client_for(prometheus.url, {**self.check, "params": params, "query": query})
        await self.dead_canary_then_live(prometheus, client, **args)

    async def test_variants_named_by_regex_matchers_are_asked_apart(self, prometheus, client_for):
        # Before: a pass. `hash=~"crashed1"` selects what `hash="crashed1"` does (a regex matches the whole value).
        check = {**self.check, "query": self.check["query"].replace('_hash="{{', '_hash=~"{{')}
        client = await client_for(prometheus.url, check)
        args = {"canary_hash": "crashed1", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, explain="true", **args)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'none of those that name "crashed1" has a sample now' in body["reason"]
        args = {"canary_hash": "steady2", "stable_hash": "steady1"}
        status, body = await run(client, "versus", at=prometheus.anchor, **args)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]


@pytest.mark.integration
class TestStoppedSeriesReadOverAWindow:
    """An instant query over a window longer than the look-back whose series all stopped is no series now."""

    crashed = 'canary_error_ratio{rollouts_pod_template_hash="crashed1"}'

    @pytest.mark.parametrize(
        "query",
        [
            f"max_over_time({crashed}[1h])",
            f"avg_over_time({crashed}[1h]) * 100",
            f"max(last_over_time({crashed}[45m]))",
            f"max_over_time(({crashed} * 1)[1h:1m])",
        ],
    )
    async def test_a_canary_that_stopped_follows_no_data(self, prometheus, client_for, query):
        # Its first half hour (0.001) meets pass_if; since then (anchor - 30m) the canary reports nothing.
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "none of them has a sample now" in body["reason"]
        assert "(no_data policy: inconclusive)" in body["reason"]
        assert body["details"]["presence_now_query"] == f"count({self.crashed})"

    async def test_a_metric_written_every_half_hour_reads_as_stopped_between_its_writes(self, prometheus, client_for):
        # Written every 30 minutes (anchor - 30m, anchor): 10 minutes after a write the look-back holds none; 2, one.
        check = {"name": "sparse", "kind": "prometheus", "query": "last_over_time(batch_processed_items[1h])"}
        client = await client_for(prometheus.url, {**check, "pass_if": "> 100"})
        status, body = await run(client, "sparse", at=prometheus.anchor - 20 * 60)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "none of them has a sample now" in body["reason"]
        assert (
            "; a metric written less often than every 300 s (a batch job's, a slow rule's) reads so between its "
            "writes: record last_over_time() of it over its write interval in a rule evaluated every minute, and read "
            "that, or write it more often"
        ) in body["reason"]
        status, body = await run(client, "sparse", at=prometheus.anchor - 28 * 60)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_each_over_series_that_all_stopped_follows_no_data(self, prometheus, client_for):
        query = f"max_over_time({self.crashed}[1h])"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1", "each": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]

    async def test_while_it_still_reported_it_is_judged(self, prometheus, client_for):
        check = {"name": "dead", "kind": "prometheus", "query": f"max_over_time({self.crashed}[1h])", "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor - 45 * 60)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.001))

    async def test_a_window_beside_a_fallback_reads_its_absence_as_the_fallback(self, prometheus, client_for):
        # The fallback says the series may be absent: its earlier samples, then 0 once out of the window.
        query = f"max(max_over_time({self.crashed}[1h])) or on() vector(0)"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.001)), body["reason"]

    async def test_a_selector_still_reporting_beside_one_that_stopped_is_judged(self, prometheus, client_for):
        latency = 'latency_p99_seconds{service="checkout"}'
        query = f"max(max_over_time({self.crashed}[1h]) or max_over_time({latency}[1h]) * 0)"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.001)), body["reason"]

    @pytest.mark.parametrize(
        "query",
        [
            # Each step of the subquery reads its own 5 minutes: 10 minutes back in all.
            f"max_over_time(max_over_time({crashed}[5m])[5m:1m])",
            f"max_over_time({crashed}[5m:1m])",
        ],
    )
    async def test_a_subquery_of_windows_within_the_lookback_reads_past_it(self, prometheus, client_for, query):
        # 8 minutes after the canary stopped: before, a pass on its samples of the 10 minutes the query reaches.
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor - 22 * 60, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["details"]["presence_now_query"] == f"count({self.crashed})"

    async def test_a_fallback_that_does_not_pass_answers_for_series_that_stopped(self, prometheus, client_for):
        # vector(1) says that no series is a failure; the window's earlier samples (0.001) passed before.
        query = f"max(avg_over_time({self.crashed}[1h])) or on() vector(1)"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 0.5", "no_data": "pass"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "fail", 1), body["reason"]
        assert "none of them has a sample now" in body["reason"] and "its fallback answers 1" in body["reason"]
        assert body["details"]["presence_now_query"] == f"count({self.crashed})"

    async def test_each_with_a_fallback_that_does_not_pass_judges_it(self, prometheus, client_for):
        query = f"max_over_time({self.crashed}[1h]) or on() vector(1)"
        check = {
            "name": "dead",
            "kind": "prometheus",
            "query": query,
            "pass_if": "< 0.5",
            "each": True,
            "no_data": "pass",
        }
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", 1), body["reason"]

    async def test_a_fallback_between_the_conditions_is_judged_inconclusive(self, prometheus, client_for):
        # 0.3 meets neither condition: no pass when the series stopped, and no fail either.
        query = f"max(avg_over_time({self.crashed}[1h])) or on() vector(0.3)"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 0.1", "fail_if": "> 0.5"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "inconclusive", 0.3), body["reason"]
        assert "its fallback answers 0.3 for them: value 0.3 meets neither" in body["reason"]

    @pytest.mark.parametrize(
        ("fallback", "no_data", "verdict"),
        [
            # NaN is no value: the no_data policy, as the query's answer once the window holds no sample.
            ("NaN", "inconclusive", "inconclusive"),
            ("NaN", "fail", "fail"),
            # An infinity is a measurement gone wrong: never a pass, no_data: pass included.
            ("+Inf", "pass", "inconclusive"),
        ],
    )
    async def test_a_fallback_no_condition_judges_answers_for_series_that_stopped(
        self, prometheus, client_for, fallback, no_data, verdict
    ):
        # Before, its selector was left out as one whose absence the fallback answers for: a pass on the stopped
        # canary's earlier samples (0.001), for up to an hour.
        query = f"max(avg_over_time({self.crashed}[1h])) or on() vector({fallback})"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 0.5", "no_data": no_data}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, verdict), body["reason"]
        assert "none of them has a sample now" in body["reason"]
        assert body["details"]["presence_now_query"] == f"count({self.crashed})"

    async def test_a_go_only_regex_on_the_metric_name_is_asked_as_written(self, prometheus, client_for):
        selector = '{__name__=~"\\\\Qcanary_error_ratio\\\\E", rollouts_pod_template_hash="crashed1"}'
        check = {
            "name": "dead",
            "kind": "prometheus",
            "query": f"max_over_time({selector}[1h])",
            "pass_if": "< 1",
            "skip_promql_parse": True,
        }
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["details"]["presence_now_query"] == f"count({selector})"

    async def test_a_window_read_partly_after_now_is_asked_now(self, prometheus, client_for):
        # A negative offset reads no past time: the window's first 59 minutes still hold the stopped canary.
        query = f"max_over_time({self.crashed}[1h] offset -1m)"
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]

    @pytest.mark.parametrize(
        ("query", "asked"),
        [
            # `offset 1m`, to skip the newest minute, still incomplete: before, a pass for up to the hour.
            (f"max_over_time({crashed}[1h] offset 1m)", f"count({crashed} offset 60s)"),
            (f"max_over_time(({crashed} offset 30s)[1h:1m])", f"count({crashed} offset 30s)"),
            # A baseline 10 minutes back, 30 minutes after the canary stopped: the window's end held none of it.
            (f"max_over_time({crashed}[1h] offset 10m)", f"count({crashed} offset 600s)"),
            # A baseline read further back (40 minutes ago, the canary reporting) does not vouch for the latest.
            (
                f"max_over_time({crashed}[1h] offset 1m) - max_over_time({crashed}[2h] offset 40m)",
                f"count({crashed} offset 60s)",
            ),
        ],
    )
    async def test_a_window_read_with_an_offset_is_asked_where_it_ends(self, prometheus, client_for, query, asked):
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "none of them has a sample where its window ends (in the 300 s before it" in body["reason"]
        assert body["details"]["presence_now_query"] == asked

    @pytest.mark.parametrize(
        "query",
        [
            f"max_over_time({crashed}[1h] offset 10m)",
            f"max_over_time({crashed}[1h] offset 1m) - max_over_time({crashed}[2h] offset 40m)",
            f"max_over_time({crashed}[1h] @ {{at}})",
        ],
    )
    async def test_a_window_read_at_a_past_time_on_purpose_is_judged(self, prometheus, client_for, query):
        # The query reads a time before the canary stopped (5 minutes before, for the offset 10m: its window's end
        # is asked), or pinned there by `@`: its samples there speak for that time.
        query = query.replace("{at}", f"{prometheus.anchor - 35 * 60:.3f}")
        check = {"name": "dead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "dead", at=prometheus.anchor - 25 * 60)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]


@pytest.mark.integration
class TestNegativeOffsetsLive:
    """A selector read only after the evaluation time, evaluated now, is a misconfigured check: the future has no
    samples yet."""

    latency = 'latency_p99_seconds{service="checkout"}'

    @pytest.mark.parametrize(
        "query",
        [
            f"{latency} offset -5m",
            f"max_over_time({latency}[10m] offset -10m)",
            f"sum({latency} offset -1h) or vector(0)",
        ],
    )
    async def test_a_read_wholly_after_now_is_an_error_naming_the_offset(self, prometheus, client_for, query):
        # The test data runs two hours past now, so Prometheus answers (a pass, 0.9) where a production one has
        # nothing (no series; beside the fallback, a name called misspelled).
        check = {"name": "ahead", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "is read only after the evaluation time (a negative offset" in body["reason"]
        assert "a negative offset is for a backtest" in body["reason"]

    @pytest.mark.parametrize("query", [f"{latency} offset -10m", f"max_over_time({latency}[10m] offset -10m)"])
    async def test_a_range_check_whose_end_reads_after_now_is_an_error(self, prometheus, client_for, query):
        # Before: a pass on the test data's future. A production Prometheus has no point at the range's last steps,
        # so its series stopped before the end: no data at every evaluation, which no_data: pass passes.
        check = {"name": "ahead", "kind": "prometheus", "query": query, "pass_if": "< 1", "range": "10m", "step": "1m"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "is read only after the evaluation time (a negative offset" in body["reason"]

    @pytest.mark.parametrize("query", [f"{latency} offset -4m", f"max_over_time({latency}[10m] offset -5m)"])
    @pytest.mark.parametrize("ranged", [{}, {"range": "10m", "step": "1m"}])
    async def test_a_read_that_reaches_back_before_now_is_judged(self, prometheus, client_for, query, ranged):
        check = {"name": "ahead", "kind": "prometheus", "query": query, "pass_if": "< 1", **ranged}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    @pytest.mark.parametrize(
        ("query", "ranged"),
        [
            # `@ start()` is the range's start: 10 minutes on from it is its end, now; from an hour's start, 50
            # minutes ago. Judged before the range form was held to this rule; an error once it was.
            (f"{latency} @ start() offset -10m", "10m"),
            (f"max_over_time({latency}[5m] @ start() offset -10m)", "1h"),
        ],
    )
    async def test_a_range_checks_start_read_after_it_is_judged(self, prometheus, client_for, query, ranged):
        check = {"name": "ahead", "kind": "prometheus", "query": query, "pass_if": "< 1", "range": ranged, "step": "1m"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    async def test_a_range_checks_start_read_after_its_end_is_an_error(self, prometheus, client_for):
        query = f"{self.latency} @ start() offset -20m"
        check = {"name": "ahead", "kind": "prometheus", "query": query, "pass_if": "< 1", "range": "10m", "step": "1m"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "is read only after the evaluation time (a negative offset: from 300 s after it on)" in body["reason"]

    async def test_a_backtest_reads_after_its_past_time(self, prometheus, client_for):
        check = {"name": "ahead", "kind": "prometheus", "query": f"{self.latency} offset -5m", "pass_if": "< 1"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "ahead", at=prometheus.anchor - 3600)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.2)), body["reason"]


@pytest.mark.integration
class TestReadsPinnedInThePastLive:
    """A query whose every selector is pinned by `@` to a past time, evaluated now, is a misconfigured check: it
    answers the same at every evaluation, whatever the canary does now."""

    latency = 'latency_p99_seconds{service="checkout"}'

    def check(self, query, **more):
        return {"name": "pinned", "kind": "prometheus", "query": query, "pass_if": "< 0.5", **more}

    @pytest.mark.parametrize(
        "query", [f"max({latency} @ PINNED)", f"sum(absent(nosuch_total @ PINNED)) + max({latency} @ PINNED)"]
    )
    @pytest.mark.parametrize("ranged", [{}, {"range": "10m", "step": "1m", "over_time": "max"}])
    async def test_is_an_error_naming_the_backtest(self, prometheus, client_for, query, ranged):
        # Before, the range form passed at 0.2, an hour old, while the latency now is 0.9.
        client = await client_for(
            prometheus.url, self.check(query.replace("PINNED", str(prometheus.anchor - 3600)), **ranged)
        )
        status, body = await run(client, "pinned")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "query: every selector is read at a fixed time (`@`), the latest " in body["reason"]
        assert "`@` a fixed time is for a backtest (`at=` a past time)" in body["reason"]

    @pytest.mark.parametrize(
        "query",
        [
            f"max({latency} @ start())",
            f"max({latency} @ end())",
            # A baseline pinned beside the live read.
            f"max({latency}) - max({latency} @ PINNED)",
        ],
    )
    async def test_a_range_check_reading_now_is_judged(self, prometheus, client_for, query):
        check = self.check(query.replace("PINNED", str(prometheus.anchor - 3600)), range="10m", step="1m")
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "pinned")
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]

    async def test_a_range_backtest_may_pin_its_reads(self, prometheus, client_for):
        check = self.check(f"max({self.latency} @ {prometheus.anchor - 3600})", range="10m", step="1m")
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "pinned", at=prometheus.anchor - 120)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.2)), body["reason"]

    @pytest.mark.parametrize("ranged", [{}, {"range": "10m", "step": "1m"}])
    @pytest.mark.parametrize("combined", ["+", "or"])
    async def test_an_absence_read_now_decides_no_value(self, prometheus, client_for, ranged, combined):
        # absent() reads now whether nosuch_total has series: the query answers 1.2 (or 0.2) while it has none, and
        # no series (or 0.2) once it has; the value it answers is the latency of an hour ago either way.
        query = f"sum({self.latency} @ {prometheus.anchor - 3600}) {combined} absent(nosuch_total)"
        client = await client_for(prometheus.url, self.check(query, **ranged))
        status, body = await run(client, "pinned")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "(an absent() in it reads no value: it decides only whether the query answers" in body["reason"]


@pytest.mark.integration
class TestAnswerSize:
    """An answer over the source's max_answer_bytes is an error naming the setting, never read whole."""

    async def test_is_502_naming_the_setting(self, prometheus, client_for):
        # Every series over an hour at 15 s: what a query selecting far more than it means looks like.
        check = {"name": "all", "kind": "prometheus", "query": "http_requests_total", "pass_if": "> 0"}
        check.update(range="1h", step="15s", each=True)
        client = await client_for(prometheus.url, check, max_answer_bytes=4096)
        status, body = await run(client, "all", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (502, "error", "source_rejected")
        assert "over the source's max_answer_bytes (4096)" in body["reason"]


@pytest.mark.integration
class TestRangeAndBacktesting:
    """Range queries reduce over time, and `at=` evaluates as of a past moment."""

    check = {
        "name": "p99",
        "kind": "prometheus",
        "query": 'latency_p99_seconds{service="checkout"}',
        "pass_if": "< 0.5",
        "range": "10m",
        "step": "1m",
        "over_time": "max",
    }

    async def test_backtest_before_and_after_the_regression(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check)
        _, before = await run(client, "p99", at=prometheus.anchor - 3600)
        _, after = await run(client, "p99", at=prometheus.anchor)
        assert (before["verdict"], before["value"]) == ("pass", 0.2)
        assert (after["verdict"], after["value"]) == ("fail", 0.9)
        assert before["evaluated_at"].startswith("20") and before["evaluated_at"].endswith("Z")

    async def test_window_straddling_the_change_averages(self, prometheus, client_for):
        # at = change + 5m with range 10m, step 1m: samples at -10m..0 -> 5 at 0.2, 6 at 0.9 (inclusive ends).
        client = await client_for(prometheus.url, {**self.check, "over_time": "avg"})
        _, body = await run(client, "p99", at=prometheus.anchor - 30 * 60 + 5 * 60)
        assert body["value"] == pytest.approx((5 * 0.2 + 6 * 0.9) / 11)

    async def test_over_time_reduces_the_straddling_window(self, prometheus, client_for):
        # The same 11 samples (5 at 0.2, 6 at 0.9): max is 0.9; without over_time, the average.
        at = prometheus.anchor - 30 * 60 + 5 * 60
        client = await client_for(prometheus.url, self.check)
        _, body = await run(client, "p99", at=at)
        assert (body["verdict"], body["value"]) == ("fail", 0.9)
        client = await client_for(prometheus.url, {k: v for k, v in self.check.items() if k != "over_time"})
        _, body = await run(client, "p99", at=at)
        assert body["value"] == pytest.approx((5 * 0.2 + 6 * 0.9) / 11)

    async def test_over_time_last_is_the_newest_sample(self, prometheus, client_for):
        # The straddling window starts at 0.2 and ends at 0.9: last is the end.
        client = await client_for(prometheus.url, {**self.check, "over_time": "last"})
        _, body = await run(client, "p99", at=prometheus.anchor - 30 * 60 + 5 * 60)
        assert (body["verdict"], body["value"]) == ("fail", 0.9)

    @pytest.mark.parametrize(("min_samples", "verdict"), [(11, "fail"), (12, "inconclusive")])
    async def test_min_samples_counts_the_window_inclusively(self, prometheus, client_for, min_samples, verdict):
        client = await client_for(prometheus.url, {**self.check, "min_samples": min_samples})
        _, body = await run(client, "p99", at=prometheus.anchor - 30 * 60 + 5 * 60)
        assert body["verdict"] == verdict

    async def test_rfc3339_at(self, prometheus, client_for):
        from datetime import UTC, datetime

        client = await client_for(prometheus.url, self.check)
        at = datetime.fromtimestamp(prometheus.anchor - 3600, UTC).isoformat().replace("+00:00", "Z")
        _, body = await run(client, "p99", at=at)
        assert body["verdict"] == "pass"

    async def test_min_samples(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.check, "min_samples": 100})
        _, body = await run(client, "p99", at=prometheus.anchor)
        assert body["verdict"] == "inconclusive"
        assert "fewer than min_samples 100" in body["reason"]


class TestSourceFailures:
    """When no measurement can be taken the verdict is error with a 5xx that says why."""

    check = {"name": "up", "kind": "prometheus", "query": "vector(1)", "pass_if": "> 0"}

    async def test_unreachable_is_503_without_waiting_for_the_deadline(self, client_for):
        client = await client_for(f"http://127.0.0.1:{refused_port()}", self.check)
        status, body = await run(client, "up")
        assert (status, body["verdict"], body["error"]) == (503, "error", "source_unavailable")
        assert "unreachable" in body["reason"]

    async def test_slower_than_the_deadline_is_504(self, client_for):
        async with fake_prometheus("hang") as url:
            client = await client_for(url, {**self.check, "deadline_s": 0.5})
            status, body = await run(client, "up")
        assert (status, body["verdict"]) == (504, "error")
        assert body["error"] in ("deadline_exceeded", "source_timeout")

    @pytest.mark.parametrize(
        ("behaviour", "status", "code"),
        [
            ("500", 503, "source_unavailable"),
            ("garbage", 502, "source_rejected"),
            ("shape", 502, "source_rejected"),
            ("string", 502, "source_rejected"),
        ],
    )
    async def test_bad_answers(self, client_for, behaviour, status, code):
        async with fake_prometheus(behaviour) as url:
            client = await client_for(url, self.check)
            got_status, body = await run(client, "up")
        assert (got_status, body["verdict"], body["error"]) == (status, "error", code)

    async def test_an_answer_nested_too_deeply_says_so(self, client_for):
        async with fake_prometheus("deep") as url:
            client = await client_for(url, self.check)
            status, body = await run(client, "up")
        assert (status, body["verdict"], body["error"]) == (502, "error", "source_rejected")
        assert "answered HTTP 200 with JSON nested too deeply to read" in body["reason"]

    @pytest.mark.parametrize("policy", ["pass", "inconclusive", "fail"])
    async def test_no_series_in_a_partial_answer_is_never_a_pass(self, client_for, policy):
        async with fake_prometheus("partial") as url:
            client = await client_for(url, {**self.check, "no_data": policy})
            status, body = await run(client, "up", explain="true")
        expected = "inconclusive" if policy == "pass" else policy
        assert (status, body["verdict"]) == (200, expected)
        assert body["details"]["prometheus_warnings"] == [PARTIAL_WARNING]
        if policy == "pass":
            assert body["reason"] == (
                f"the query returned no series and the answer may be partial ({PARTIAL_WARNING}): no_data: pass "
                "does not apply to an answer that may lack series"
            )

    @pytest.mark.parametrize("mode", [{}, {"reduce": "max"}, {"each": True}])
    async def test_series_that_stopped_in_a_partial_answer_are_never_a_pass(self, client_for, mode):
        # Thanos with the sidecar of the last hours down: only old blocks answer.
        check = {**self.check, "no_data": "pass", "range": "1h", "step": "1m", **mode}
        async with fake_prometheus("partial-stale") as url:
            client = await client_for(url, check)
            status, body = await run(client, "up")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "stopped reporting" in body["reason"]
        assert "no_data: pass does not apply to an answer that may lack series" in body["reason"]

    @pytest.mark.parametrize("mode", [{}, {"reduce": "max"}, {"each": True}])
    async def test_nan_in_a_partial_answer_is_never_a_pass(self, client_for, mode):
        # NaN is 0/0, no traffic in what the querier could read: the store that is down may hold the traffic.
        async with fake_prometheus("partial-nan") as url:
            client = await client_for(url, {**self.check, "no_data": "pass", **mode})
            status, body = await run(client, "up")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert f"no_data: pass does not apply to an answer that may be partial ({PARTIAL_WARNING})" in body["reason"]

    async def test_a_promql_annotation_is_no_partial_answer(self, client_for):
        async with fake_prometheus("annotated") as url:
            client = await client_for(url, {**self.check, "no_data": "pass"})
            status, body = await run(client, "up", explain="true")
        assert (status, body["verdict"]) == (200, "pass")
        assert body["details"]["prometheus_warnings"] == [ANNOTATION_WARNING]

    async def test_a_secret_in_a_proxys_error_page_is_hidden_as_http_smoke_hides_it(self, client_for, aiohttp_server):
        # A proxy before Prometheus failing with a debug page: a table row, an exporter's config line and a JSON
        # number under a secret name, which only http_smoke's body reader knew (the quote showed all three).
        page = (
            "<table><tr><td>password</td><td>s3cr3t-td</td></tr></table>\n"
            "remote_write:\n  password: s3cr3t-yaml\n"
            '{"upstream": {"pin": 4711, "secret": 982451653}}'
        )

        async def proxy(request: web.Request) -> web.Response:
            return web.Response(status=500, text=page, content_type="text/html")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", proxy)
        server = await aiohttp_server(app, host="127.0.0.1")
        client = await client_for(f"http://127.0.0.1:{server.port}", self.check, retry=False)
        status, body = await run(client, "up")
        assert (status, body["verdict"], body["error"]) == (503, "error", "source_unavailable")
        shown = json.dumps(body)
        assert "s3cr3t" not in shown and "982451653" not in shown, body["reason"]
        assert "<td>password</td><td><redacted></td>" in body["reason"]
        assert '"pin": 4711' in body["reason"]

    @pytest.mark.integration
    async def test_query_rejected_by_prometheus_is_502_with_its_message(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.check, "query": "vector(1) + on(x) group_left y{"})
        status, body = await run(client, "up")
        assert (status, body["error"]) == (502, "source_rejected")
        assert "bad_data" in body["reason"]


@pytest.mark.integration
class TestPartialAnswersWithSeries:
    """A pass judged on series from an answer that may be partial is inconclusive; a fail stands, saying so."""

    check = {"name": "up", "kind": "prometheus", "query": "vector(1)", "pass_if": "> 0"}

    @pytest.mark.parametrize(
        ("warning", "is_partial", "said"),
        [
            (PARTIAL_WARNING, False, PARTIAL_WARNING),
            (None, True, "the answer is partial (isPartial: true): some storage nodes did not answer"),
        ],
        ids=["thanos", "victoriametrics"],
    )
    @pytest.mark.parametrize("mode", [{}, {"reduce": "max"}, {"each": True}, {"range": "10m", "step": "1m"}])
    async def test_a_pass_is_inconclusive(self, prometheus, client_for, warning, is_partial, said, mode):
        # The store that did not answer may hold the canary's errors: 1 is what the stores that answered hold.
        async with partial_querier(prometheus.url, warning, is_partial) as url:
            client = await client_for(url, {**self.check, **mode})
            status, body = await run(client, "up", explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "inconclusive", 1), body["reason"]
        assert body["reason"].endswith(
            f", but the answer may be partial ({said}): a store that did not answer may hold what fails the check, "
            "so a pass from it is not enough evidence"
        )
        assert body["details"]["prometheus_warnings"] == [said]

    async def test_a_fail_stands_and_says_so(self, prometheus, client_for):
        async with partial_querier(prometheus.url) as url:
            client = await client_for(url, {**self.check, "pass_if": "< 1"})
            status, body = await run(client, "up")
        assert (status, body["verdict"]) == (200, "fail")
        assert body["reason"].endswith(f" (judged on an answer that may be partial: {PARTIAL_WARNING})")

    async def test_a_promql_annotation_leaves_a_pass_alone(self, prometheus, client_for):
        async with partial_querier(prometheus.url, ANNOTATION_WARNING) as url:
            client = await client_for(url, self.check)
            status, body = await run(client, "up", explain="true")
        assert (status, body["verdict"]) == (200, "pass")
        assert body["details"]["prometheus_warnings"] == [ANNOTATION_WARNING]


@pytest.mark.integration
class TestCoalescing:
    """Concurrent identical evaluations send one query to Prometheus."""

    async def test_one_query_for_many_identical_requests(self, prometheus, client_for, monkeypatch):
        gate = asyncio.Event()
        original = PrometheusSource._attempt

        async def gated(self, *args):
            await gate.wait()
            return await original(self, *args)

        monkeypatch.setattr(PrometheusSource, "_attempt", gated)
        # Prometheus counts the queries of every client: the probe of the source would be one more.
        client = await client_for(prometheus.url, TestVerdicts.check, settings=Settings(probe_sources=False))
        before = prometheus.process.http_requests("/api/v1/query")
        requests = [
            asyncio.ensure_future(run(client, "error-rate", canary_hash="healthy1", at=prometheus.anchor))
            for _ in range(20)
        ]
        coalesced = client.app[METRICS].coalesced
        # No event tells that a request joined another: the count is read again. The timeout bounds a hung test only
        # (it was 5 s of looking, which 20 requests in one process on a loaded machine could outlast).
        async with asyncio.timeout(60):
            while _counted(coalesced) < 19:
                await asyncio.sleep(0.01)
        gate.set()
        answers = await asyncio.gather(*requests)
        assert {body["verdict"] for _, body in answers} == {"pass"}
        assert _counted(coalesced) == 19
        assert prometheus.process.http_requests("/api/v1/query") - before == 1

    async def test_different_args_are_not_coalesced(self, prometheus, client_for):
        client = await client_for(prometheus.url, TestVerdicts.check, settings=Settings(probe_sources=False))
        before = prometheus.process.http_requests("/api/v1/query")
        await asyncio.gather(
            run(client, "error-rate", canary_hash="healthy1", at=prometheus.anchor),
            run(client, "error-rate", canary_hash="broken1", at=prometheus.anchor),
        )
        assert prometheus.process.http_requests("/api/v1/query") - before == 2


def _counted(counter: object) -> float:
    """A labelled counter's value, read through prometheus_client's public collect()."""
    (metric,) = counter.collect()
    return sum(sample.value for sample in metric.samples if sample.name.endswith("_total"))


@pytest.mark.integration
class TestSecretArgsInQueries:
    """A secret arg is hidden in the queries a check shows, in whatever escaped form the query holds it."""

    async def test_a_secret_in_a_regex_matcher_is_hidden(self, prometheus, client_for):
        secret = "tenant.secret-7f3a\\x"
        check = {
            "name": "tenant-errors",
            "kind": "prometheus",
            "params": {"tenant": {"type": "label_value", "required": True, "secret": True}},
            # Regex-quoted then escaped as a PromQL string: tenant\\.secret-7f3a\\\\x in the query text.
            "query": 'sum(rate(http_requests_total{service=~"{{ tenant }}", code=~"5.."}[5m])) or vector(0)',
            "pass_if": "< 1",
        }
        client = await client_for(prometheus.url, check)
        response = await client.get(
            "/api/v1/checks/tenant-errors/run", params={"tenant": secret, "at": prometheus.anchor, "explain": "true"}
        )
        text = await response.text()
        assert response.status == 200, text
        shown = json.loads(text)
        assert shown["details"]["queries"][0].startswith('sum(rate(http_requests_total{service=~"<redacted>"')
        assert "7f3a" not in text

    async def test_a_secret_a_proxy_echoes_percent_encoded_is_hidden(self, client_for):
        check = {
            "name": "tenant-up",
            "kind": "prometheus",
            "params": {"tenant": {"type": "label_value", "required": True, "secret": True}},
            "query": 'sum(up{tenant="{{ tenant }}"})',
            "pass_if": "> 0",
        }
        async with fake_prometheus("echo") as url:
            client = await client_for(url, check, retry=False)
            status, body = await run(client, "tenant-up", tenant="acme/s3cr3t+9f")
        assert (status, body["error"]) == (503, "source_unavailable")
        assert "502 Bad Gateway" in body["reason"] and "s3cr3t" not in json.dumps(body)
        assert "tenant%3D%22<redacted>%22" in body["reason"]

    async def test_a_secret_label_value_a_reason_clips_shows_none_of_itself(self, client_for):
        # A reason clips a label value to 200 characters: the start of a longer secret was left before the cut.
        secret = "s3cr3t" + "x" * 250
        check = {
            "name": "tenant-up",
            "kind": "prometheus",
            "params": {"tenant": {"type": "label_value", "required": True, "secret": True}},
            "query": 'up{tenant="{{ tenant }}"}',
            "each": True,
            "pass_if": "< 1",
        }
        async with fake_prometheus("tenant-series") as url:
            client = await client_for(url, check)
            status, body = await run(client, "tenant-up", tenant=secret)
        assert (status, body["verdict"]) == (200, "fail"), body
        assert "s3cr3t" not in json.dumps(body)
        assert '{tenant="<redacted>"}' in body["reason"]

    async def test_a_secret_the_quote_of_an_echo_would_cut_shows_none_of_itself(self, client_for):
        secret = "acme-s3cr3t-7f9a2b"
        page_start = "<h1>502 Bad Gateway</h1><p>GET /api/v1/query?query="
        # Padding that puts the secret across the 300th character of the quoted page, where the quote is cut.
        pad = "p" * (290 - len(page_start + quote('sum(up{job="",tenant="')))
        check = {
            "name": "tenant-up",
            "kind": "prometheus",
            "params": {"tenant": {"type": "label_value", "required": True, "secret": True}},
            "query": f'sum(up{{job="{pad}",tenant="{{{{ tenant }}}}"}})',
            "pass_if": "> 0",
        }
        async with fake_prometheus("echo") as url:
            client = await client_for(url, check, retry=False)
            status, body = await run(client, "tenant-up", tenant=secret)
        assert (status, body["error"]) == (503, "source_unavailable")
        assert "acme-s" not in body["reason"]
        assert f"{pad}%22%2Ctenant%3D%22<redacted>" in body["reason"]

    async def test_a_urls_password_an_arg_holds_is_hidden_in_the_query_the_answer_quotes(self, prometheus, client_for):
        # `target` is no secret param (a label value), yet its URL's password shows as <redacted> in the args: so it
        # must in the query the answer, the history and the page quote, and in the reason that names the series.
        check = {
            "name": "probe",
            "kind": "prometheus",
            "params": {"target": {"type": "label_value", "required": True}},
            "query": 'label_replace(vector(0), "instance", "{{ target }}", "", "")',
            "each": True,
            "pass_if": "> 0.5",
        }
        client = await client_for(prometheus.url, check)
        target = "https://probe:urlpw-5c2e9a71@partner.example/health?api_key=k3y-4d81f0&region=eu"
        status, body = await run(client, "probe", target=target, explain="true")
        assert (status, body["verdict"]) == (200, "fail"), body
        shown = "https://<redacted>@partner.example/health?api_key=<redacted>&region=eu"
        assert body["args"] == {"target": shown}
        assert body["details"]["queries"] == [f'label_replace(vector(0), "instance", "{shown}", "", "")']
        history = await (await client.get("/api/v1/verdicts", params={"explain": "true"})).text()
        page = await (await client.get(body["ui_url"])).text()
        for where, text in {"answer": json.dumps(body), "history": history, "page": page}.items():
            assert "urlpw-5c2e9a71" not in text and "k3y-4d81f0" not in text, where


def _right_password_query(password: str) -> str:
    """A query with a series only when the URL in `target` holds `password`: what a check answers differently for two
    passwords that its args, history and links show alike (`https://<redacted>@backend.svc/`)."""
    target = 'label_replace(vector(1), "u", "{{ target }}", "", "")'
    marked = f'label_replace({target}, "ok", "yes", "u", ".*:{password}@.*")'
    return f'{marked} and on(ok) label_replace(vector(1), "ok", "yes", "", "")'


@pytest.mark.integration
class TestCredentialsInArgsKeepTheirAnswersApart:
    """Two callers whose URL args differ only in the password they hold (shown alike) never get each other's answer:
    not from the reuse window, nor from a page's form or link at the recorded time."""

    RIGHT = "https://svc:right-pw-4e1a@backend.svc/"
    WRONG = "https://svc:wrong-pw-9b3c@backend.svc/"

    async def test_a_wrong_password_gets_its_own_answer(self, prometheus, client_for):
        check = {
            "name": "probe",
            "kind": "prometheus",
            "params": {"target": {"type": "label_value", "required": True}},
            "query": _right_password_query("right-pw-4e1a"),
            "pass_if": "> 0",
            "no_data": "fail",
        }
        client = await client_for(prometheus.url, check, settings=Settings(reuse_window_s=60.0))
        at = prometheus.anchor
        status, right = await run(client, "probe", target=self.RIGHT, at=at)
        assert (status, right["verdict"]) == (200, "pass"), right
        # A form giving the wrong password at the recorded time: evaluated, not the right one's recorded pass.
        page = await client.get("/ui/checks/probe/run", params={"target": self.WRONG, "at": right["evaluated_at"]})
        text = await page.text()
        assert page.status == 200 and 'class="verdict verdict-fail" id="verdict"' in text, text
        # Nor the right one's answer the reuse window holds.
        status, wrong = await run(client, "probe", target=self.WRONG, at=at)
        assert (status, wrong["verdict"]) == (200, "fail"), wrong
        assert wrong["args"] == right["args"] == {"target": "https://<redacted>@backend.svc/"}
        # The link both answers share shows the newest and names the other, never one of them as the only answer.
        linked = await (await client.get(right["ui_url"])).text()
        assert 'id="also-matching"' in linked and "PASS (verdict" in linked, linked


def _long_label_query(chars_log10: int) -> str:
    """A query whose one series has a label value of 10**chars_log10 characters (each label_replace repeats it
    tenfold): what a target exporting a megabyte label value makes Prometheus answer."""
    query = 'label_replace(vector(1), "note", "0123456789", "", "")'
    for _ in range(chars_log10 - 1):
        query = f'label_replace({query}, "note", "{"$1" * 10}", "note", "(.*)")'
    return query


@pytest.mark.integration
class TestHostileLabels:
    """A label value of a megabyte is clipped in the reason and the evidence: the history keeps both for every
    answer, so one target's labels must not hold gigabytes there."""

    async def test_a_megabyte_label_value_is_clipped_where_it_is_kept(self, prometheus, client_for):
        check = {"name": "q", "kind": "prometheus", "query": _long_label_query(6), "each": True, "pass_if": "< 0.5"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "fail")
        assert body["reason"].startswith('1 of 1 series fail; worst {note="0123456789')
        assert len(body["reason"]) < 1000
        note = body["details"]["series"][0]["labels"]["note"]
        assert note.startswith("0123456789") and note.endswith("...") and len(note) <= 1024
        history = await (await client.get("/api/v1/verdicts", params={"explain": "true"})).text()
        assert len(history) < 10_000


@pytest.mark.integration
class TestSecretsInLabels:
    """A label value that is a URL carrying credentials (a blackbox probe's `instance`) is shown without them in the
    reason, the evidence and the history."""

    PROBED = "https://probe:pr0be-pw@partner.example/health?api_key=k3y-s3cr3t&region=eu#access_token=t0k-s3cr3t"

    async def test_a_probed_url_shows_no_credential(self, prometheus, client_for):
        query = f'label_replace(vector(0), "instance", "{self.PROBED}", "", "")'
        check = {"name": "q", "kind": "prometheus", "query": query, "each": True, "pass_if": "> 0.5"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "fail")
        shown = "https://<redacted>@partner.example/health?api_key=<redacted>&region=eu#access_token=<redacted>"
        assert body["details"]["series"][0]["labels"] == {"instance": shown}
        assert f'{{instance="{shown}"}}' in body["reason"]
        history = await (await client.get("/api/v1/verdicts", params={"explain": "true"})).json()
        # The query as the catalog wrote it holds the URL (to make the label); what the data holds must not show.
        for shown_body in (body, *history["entries"]):
            shown_body["details"].pop("queries")
            assert "s3cr3t" not in json.dumps(shown_body) and "pr0be-pw" not in json.dumps(shown_body)

    @pytest.mark.parametrize(
        ("label", "shown"),
        [
            # Cut at the quote or the `;`, the rest of the token showed; a name encoded twice was read once, as no
            # secret's; a DSN without `//` had no user info.
            (
                "https://partner.example/?token=t0k'S3CR3T;M0RE&region=eu",
                "https://partner.example/?token=<redacted>&region=eu",
            ),
            (
                "https://partner.example/?pass%2577ord=S3CR3T&region=eu",
                "https://partner.example/?pass%2577ord=<redacted>&region=eu",
            ),
            ("root:S3CR3T-pw@tcp(db:3306)/app", "root:<redacted>@tcp(db:3306)/app"),
        ],
        ids=["quote-and-semicolon", "encoded-twice", "dsn"],
    )
    async def test_a_credential_a_label_writes_otherwise_is_hidden(self, prometheus, client_for, label, shown):
        query = f'label_replace(vector(0), "instance", "{label}", "", "")'
        check = {"name": "q", "kind": "prometheus", "query": query, "each": True, "pass_if": "> 0.5"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "fail")
        assert body["details"]["series"][0]["labels"] == {"instance": shown}
        assert f'{{instance="{shown}"}}' in body["reason"]
        history = await (await client.get("/api/v1/verdicts", params={"explain": "true"})).json()
        for shown_body in (body, *history["entries"]):
            shown_body["details"].pop("queries")
            assert "S3CR3T" not in json.dumps(shown_body) and "M0RE" not in json.dumps(shown_body)

    async def test_a_series_an_aggregation_leaves_out_shows_no_credential(self, prometheus, client_for):
        operand = f'label_replace({_ratio_by_hash("healthy1|idle1")}, "instance", "{self.PROBED}", "", "")'
        check = {"name": "q", "kind": "prometheus", "query": f"max({operand})", "pass_if": "< 0.01"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        shown = "https://<redacted>@partner.example/health?api_key=<redacted>&region=eu#access_token=<redacted>"
        (probe,) = body["details"]["hidden_queries"]
        assert [entry["labels"]["instance"] for entry in probe["series"]] == [shown]
        assert f'instance="{shown}"' in body["reason"]
        # The probe's query holds the URL as the catalog wrote it; the series it found must not.
        assert "s3cr3t" not in json.dumps(probe["series"]) and "pr0be-pw" not in json.dumps(probe["series"])


def _p99(service: str) -> str:
    return f'histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket{{service="{service}"}}[5m])))'


@pytest.mark.integration
class TestHistogramsThatCannotSay:
    """A quantile that is NaN because the histogram's buckets cannot give one (+Inf alone, or no +Inf) is no
    absence of data: under `no_data: pass` it is inconclusive, naming the histogram; the NaN of a histogram
    without traffic still follows the policy."""

    check = {"name": "p99", "kind": "prometheus", "query": _p99("eb-api"), "pass_if": "< 0.5", "no_data": "pass"}

    @pytest.mark.parametrize(
        ("service", "shown", "bounds"),
        [("eb-api", "whose only bucket is +Inf", ["+Inf"]), ("eb-capped", "without its +Inf bucket", ["0.5", "1.0"])],
    )
    @pytest.mark.parametrize("extra", [{}, {"range": "10m"}, {"each": True}])
    async def test_no_pass_from_buckets_that_cannot_say(self, prometheus, client_for, service, shown, bounds, extra):
        # Before: pass under no_data: pass, whatever the latency of a service with traffic.
        client = await client_for(prometheus.url, {**self.check, "query": _p99(service), **extra})
        status, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert (
            f'no_data: pass does not apply to a histogram {shown} (eb_mixed_seconds_bucket{{service="{service}"}}): '
            "every quantile over it is NaN whatever the latency"
        ) in body["reason"]
        (probe,) = body["details"]["bucket_queries"]
        assert probe["bounds"] == bounds
        assert probe["query"].startswith("count by (le) (")

    @pytest.mark.parametrize("extra", [{}, {"range": "10m"}, {"each": True}])
    async def test_a_histogram_without_traffic_follows_the_policy(self, prometheus, client_for, extra):
        client = await client_for(prometheus.url, {**self.check, "query": _p99("eb-idle"), **extra})
        status, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert "NaN" in body["reason"] and "no_data policy: pass" in body["reason"]
        assert [probe["bounds"] for probe in body["details"]["bucket_queries"]] == [["+Inf", "0.5"]]

    async def test_a_histogram_with_buckets_is_judged(self, prometheus, client_for):
        client = await client_for(prometheus.url, {**self.check, "query": _p99("eb-other")})
        status, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        assert body["value"] == 0.5 and "bucket_queries" not in body["details"]

    @pytest.mark.parametrize("policy", ["inconclusive", "fail"])
    async def test_other_policies_send_no_bucket_query(self, prometheus, client_for, policy):
        client = await client_for(prometheus.url, {**self.check, "no_data": policy})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == policy and f"no_data policy: {policy}" in body["reason"]
        assert "bucket_queries" not in body["details"]

    @pytest.mark.parametrize(("outer", "extra"), [("", {"each": True}), ("max", {})])
    async def test_a_group_that_cannot_say_beside_one_without_traffic(self, prometheus, client_for, outer, extra):
        # eb-api (+Inf alone, with traffic) and eb-idle (buckets, no traffic), read per service: every answer NaN,
        # and the union of their bounds (0.5, +Inf) looked like a histogram without traffic. Before: pass.
        query = (
            f"{outer}(histogram_quantile(0.99, sum by (le, service) "
            '(rate(eb_mixed_seconds_bucket{service=~"eb-api|eb-idle"}[5m]))))'
        )
        client = await client_for(prometheus.url, {**self.check, "query": query, **extra})
        status, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert (
            'a histogram whose only bucket is +Inf (eb_mixed_seconds_bucket{service=~"eb-api|eb-idle"}, group '
            '{service="eb-api"}): every quantile over it is NaN whatever the latency'
        ) in body["reason"]
        (probe,) = body["details"]["bucket_queries"]
        assert probe["query"].startswith("count by (le, service) (") and probe["bounds"] == ["+Inf", "0.5"]

    @pytest.mark.parametrize("moved", ["offset -90m", "@ {anchor}"])
    @pytest.mark.parametrize("extra", [{}, {"range": "10m"}, {"each": True}])
    async def test_buckets_are_asked_when_the_query_reads_them(self, prometheus, client_for, moved, extra):
        # Evaluated 2.5 h before the anchor, before the histogram's first sample, the query reads eb-api's +Inf
        # alone an hour before it (or at it). Before: its buckets were asked as of the evaluation time, found
        # none, and the NaN passed as no traffic.
        selector = 'eb_mixed_seconds_bucket{service="eb-api"}'
        query = f"histogram_quantile(0.99, sum by (le) (rate({selector}[5m] {moved.format(anchor=prometheus.anchor)})))"
        client = await client_for(prometheus.url, {**self.check, "query": query, **extra})
        status, body = await run(client, "p99", at=prometheus.anchor - 150 * 60, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert f"a histogram whose only bucket is +Inf ({selector}): every quantile over it is NaN" in body["reason"]
        (probe,) = body["details"]["bucket_queries"]
        assert probe["bounds"] == ["+Inf"]
        assert ("offset -5400000ms" if moved.startswith("offset") else f"@ {prometheus.anchor:.3f}") in probe["query"]

    async def test_each_side_of_an_or_is_asked_by_its_own_groups(self, prometheus, client_for):
        # eb-quiet, summed by service, has whole buckets and no traffic: NaN is no traffic, no_data: pass applies.
        # Before: asked by the union of both sides' groups (le, pod), its pod b's +Inf alone made it inconclusive.
        query = (
            'histogram_quantile(0.99, sum by (le) (rate(eb_layout_seconds_bucket{service="eb-quiet"}[5m]))) or '
            'histogram_quantile(0.99, sum by (le, pod) (rate(eb_mixed_seconds_bucket{service="eb-idle"}[5m])))'
        )
        client = await client_for(prometheus.url, {**self.check, "query": query})
        status, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert "no_data policy: pass" in body["reason"]
        assert [probe["query"] for probe in body["details"]["bucket_queries"]] == [
            'count by (le) (eb_layout_seconds_bucket{service="eb-quiet"})',
            'count by (le, pod) (eb_mixed_seconds_bucket{service="eb-idle"})',
        ]

    async def test_a_group_named_by_a_relabelling(self, prometheus, client_for):
        # `svc` is written from `service`: the bucket series have none, so grouped by it alone they were one group,
        # eb-api's +Inf alone hidden by eb-idle's 0.5. Before: pass.
        relabelled = (
            'label_replace(rate(eb_mixed_seconds_bucket{service=~"eb-api|eb-idle"}[5m]), "svc", "$1", "service", '
            '"eb-(.*)")'
        )
        query = f"max(histogram_quantile(0.99, sum by (le, svc) ({relabelled})))"
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert 'group {service="eb-api"}): every quantile over it is NaN' in body["reason"]
        (probe,) = body["details"]["bucket_queries"]
        assert probe["query"].startswith("count by (le, svc, service) (")

    @pytest.mark.parametrize(
        ("service", "chosen", "verdict"),
        [
            # +Inf misspelt: the chosen buckets have none, so the quantile is NaN whatever the latency. Before: pass.
            ("eb-other", "0.5|Inf", "inconclusive"),
            ("eb-other", "0.5|\\\\+Inf", "fail"),
            ("eb-idle", "0.5|\\\\+Inf", "pass"),
        ],
    )
    async def test_a_quantile_over_chosen_buckets(self, prometheus, client_for, service, chosen, verdict):
        selector = f'eb_mixed_seconds_bucket{{service="{service}", le=~"{chosen}"}}'
        query = f"histogram_quantile(0.99, sum by (le) (rate({selector}[5m])))"
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == verdict, body["reason"]
        if verdict == "inconclusive":
            assert f"a histogram without its +Inf bucket ({selector}): every quantile over it is NaN" in body["reason"]

    async def test_each_series_of_a_quantile_without_aggregation(self, prometheus, client_for):
        query = 'histogram_quantile(0.99, rate(eb_mixed_seconds_bucket{service=~"eb-capped|eb-idle"}[5m]))'
        client = await client_for(prometheus.url, {**self.check, "query": query, "each": True})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert 'without its +Inf bucket (eb_mixed_seconds_bucket{service=~"eb-capped|eb-idle"}, group' in body["reason"]
        assert body["details"]["bucket_queries"][0]["query"].startswith("count without () (")

    async def test_groups_that_can_all_say_follow_the_policy(self, prometheus, client_for):
        query = (
            'max(histogram_quantile(0.99, sum by (le, service) (rate(eb_mixed_seconds_bucket{service="eb-idle"}[5m]))))'
        )
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "pass" and "no_data policy: pass" in body["reason"], body["reason"]

    async def test_a_recorded_histogram_is_read_by_its_quantile(self, prometheus, client_for):
        # A recording rule's buckets are not named _bucket: the quantile says it reads them. Before: pass.
        query = 'histogram_quantile(0.99, sum by (le) (eb:mixed_seconds_bucket:rate5m{service="%s"}))'
        client = await client_for(prometheus.url, {**self.check, "query": query % "eb-api"})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "a histogram whose only bucket is +Inf (eb:mixed_seconds_bucket:rate5m" in body["reason"]
        client = await client_for(prometheus.url, {**self.check, "query": query % "eb-idle"})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "pass", body["reason"]

    async def test_a_metric_named_bucket_without_le_is_no_histogram(self, prometheus, client_for):
        # Its series have no `le`: no bucket is missing, and its NaN (0/0, nothing changed) is no data. Before:
        # inconclusive, "a histogram without its +Inf bucket".
        query = "sum(rate(eb_objects_per_bucket[5m])) / sum(rate(eb_objects_per_bucket[5m]))"
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "pass", body["reason"]
        assert "no_data policy: pass" in body["reason"]

    async def test_le_inside_a_matchers_value_chooses_no_bucket(self, prometheus, client_for):
        # `path` matches every series (none has one); its value holds ",le=": no `le` matcher. Before: pass.
        selector = 'eb_mixed_seconds_bucket{service="eb-api", path!="/x,le=1"}'
        query = f"histogram_quantile(0.99, sum by (le) (rate({selector}[5m])))"
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert f"a histogram whose only bucket is +Inf ({selector})" in body["reason"]

    async def test_a_bucket_question_answered_in_part_cannot_say(self, client_for):
        # The store that did not answer the bucket query may hold the series with +Inf alone. Before: pass.
        async with fake_prometheus("bucket-partial") as url:
            client = await client_for(url, self.check)
            _, body = await run(client, "p99", explain="true")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert f"the buckets of a histogram read by an answer that may be partial ({PARTIAL_WARNING})" in body["reason"]
        assert body["details"]["bucket_queries"][0]["bounds"] == []

    async def test_a_chosen_bucket_is_no_quantile(self, prometheus, client_for):
        # Read with an `le` matcher (the share of fast requests), the histogram is not read across its buckets:
        # its NaN (no traffic) is the policy's, and no bucket query is sent.
        query = (
            'sum(rate(eb_mixed_seconds_bucket{service="eb-idle",le="0.5"}[5m])) / '
            'sum(rate(eb_mixed_seconds_bucket{service="eb-idle", le="+Inf"}[5m]))'
        )
        client = await client_for(prometheus.url, {**self.check, "query": query})
        _, body = await run(client, "p99", at=prometheus.anchor, explain="true")
        assert body["verdict"] == "pass" and "bucket_queries" not in body["details"]


def _by_hash(hashes: str, errors: bool) -> str:
    code = ',code=~"5.."' if errors else ""
    return (
        f'sum by (rollouts_pod_template_hash) (rate(http_requests_total{{service="checkout",'
        f'rollouts_pod_template_hash=~"{hashes}"{code}}}[5m]))'
    )


def _ratio_by_hash(hashes: str) -> str:
    """Each canary's 5xx ratio: healthy1 0.001, broken1 0.1, idle1 0/0 (NaN)."""
    return f"{_by_hash(hashes, True)} / {_by_hash(hashes, False)}"


@pytest.mark.integration
class TestCounterReadAsAGauge:
    """What the load warning on delta() of a counter says is what Prometheus answers: a restarted pod's counter reads
    as a drop, a negative count of errors that passes an upper bound, where increase() counts on from 0."""

    async def test_a_restart_reads_as_a_drop(self, prometheus, client_for):
        # crashloop1 fails 2 requests a second, and restarted a minute ago (its counter back to 0).
        check = {"kind": "prometheus", "pass_if": "< 1"}
        client = await client_for(
            prometheus.url,
            {**check, "name": "delta", "query": "sum(delta(crashloop_errors_total[5m]))"},
            {**check, "name": "increase", "query": "sum(increase(crashloop_errors_total[5m]))"},
        )
        delta = {**check, "name": "d", "query": "delta(crashloop_errors_total[5m])"}
        [warning] = PrometheusCheck.model_validate(delta).warnings()
        assert warning.startswith("query: delta(crashloop_errors_total...) reads a counter as a gauge")
        status, body = await run(client, "delta", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass") and body["value"] < 0, body["reason"]
        status, body = await run(client, "increase", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail") and body["value"] == pytest.approx(600, rel=0.05), body


@pytest.mark.integration
class TestConstantFallback:
    """What the load warning reads as a query's fallback is what Prometheus answers when no series it reads exists."""

    @pytest.mark.parametrize(
        "query",
        [
            "sum(rate(nothing_errors[5m])) / sum(rate(nothing_requests[5m])) or vector(0)",
            "(sum(rate(nothing_errors[5m])) / sum(rate(nothing_requests[5m])) or vector(0)) * 100",
            "sum(rate(nothing_errors[5m])) or vector(0) or vector(1)",
            "clamp_max(sum(rate(nothing_errors[5m])) or vector(0.5), 0.25)",
            "sum(rate(nothing_errors[5m])) or vector(2) > bool 1",
            "sum(rate(nothing_errors[5m])) or (vector(0) unless on() nothing_requests)",
            "vector(0.001) or sum(rate(http_requests_total[5m]))",  # series exist: their sum never answers
            # What reads no series, aggregated or over a subquery. Before: no constant computed, and not warned.
            "sum(rate(nothing_errors[5m])) or sum(vector(0.5))",
            "sum(rate(nothing_errors[5m])) or max_over_time(vector(0.5)[5m:1m])",
            "sum(sum(rate(nothing_errors[5m])) or vector(0.25))",
        ],
    )
    async def test_the_fallback_warned_is_the_answer(self, prometheus, client_for, query):
        # Named optional: a name with no series at all beside a fallback is otherwise an error (misspelled?).
        optional = ["nothing_errors", "nothing_requests"]
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "optional_metrics": optional}
        client = await client_for(prometheus.url, check)
        fallback = fallback_constant(query)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["value"]) == (200, fallback), body["reason"]

    async def test_a_fallback_on_nothing_matches_is_the_answer(self, prometheus, client_for):
        # on() matches vector(0.001)'s element with each code's sum: none of them answers. Before: not warned.
        query = "vector(0.001) or on() sum by (code) (rate(http_requests_total[5m]))"
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "reduce": "max"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["value"], fallback_constant(query)) == (200, 0.001, 0.001), body["reason"]


@pytest.mark.integration
class TestAggregationsThatHideNaN:
    """max, min, topk, bottomk and quantile leave a NaN group (0/0: a canary without traffic) out of their answer:
    the groups that have values must not pass the check for the one that has none."""

    @pytest.mark.parametrize(
        "query",
        [
            f"max({_ratio_by_hash('healthy1|idle1')})",
            f"min ({_ratio_by_hash('healthy1|idle1')})",
            f"(max without (rollouts_pod_template_hash) ({_ratio_by_hash('healthy1|idle1')}))",
            f"topk(1, {_ratio_by_hash('healthy1|idle1')})",
            f"quantile(1, {_ratio_by_hash('healthy1|idle1')})",
        ],
    )
    @pytest.mark.parametrize("extra", [{}, {"range": "10m", "step": "1m"}, {"each": True}])
    async def test_a_hidden_nan_group_is_no_pass(self, prometheus, client_for, query, extra):
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", **extra}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'rollouts_pod_template_hash="idle1"' in body["reason"], body["reason"]
        assert "NaN" in body["reason"] and "(no_data policy: inconclusive)" in body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert [entry["labels"] for entry in probe["series"]] == [{"rollouts_pod_template_hash": "idle1"}]

    @pytest.mark.parametrize(
        ("query", "pass_if"),
        [
            (f"max({_ratio_by_hash('healthy1|idle1')}) * 100", "< 1"),
            (f"100 * (min({_ratio_by_hash('healthy1|idle1')}))", "< 1"),
            (f"max({_ratio_by_hash('healthy1|idle1')}) or vector(0)", "< 0.01"),
            (f"round(max({_ratio_by_hash('healthy1|idle1')}), 0.0001) or vector(0)", "< 0.01"),
        ],
    )
    async def test_an_aggregation_under_what_keeps_its_answer(self, prometheus, client_for, query, pass_if):
        # A percentage, a rounding, an `or vector(0)` for no data: the answer is still max's. Before: pass.
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": pass_if}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'rollouts_pod_template_hash="idle1"' in body["reason"], body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert probe["query"] == _hidden_query(_ratio_by_hash("healthy1|idle1"))

    @pytest.mark.parametrize(("policy", "verdict"), [("pass", "inconclusive"), ("fail", "fail"), ("error", "error")])
    async def test_the_policy_applies_but_never_a_pass(self, prometheus, client_for, policy, verdict):
        query = f"max({_ratio_by_hash('healthy1|idle1')})"
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "no_data": policy}
        client = await client_for(prometheus.url, check)
        _, body = await run(client, "q", at=prometheus.anchor)
        assert body["verdict"] == verdict, body["reason"]

    async def test_groups_filtered_in_promql_are_judged(self, prometheus, client_for):
        # `>= 0` drops the NaN group before max: the query says it means to ignore groups without traffic.
        query = f"max(({_ratio_by_hash('healthy1|idle1')}) >= 0)"
        client = await client_for(
            prometheus.url, {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01"}
        )
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert body["value"] == pytest.approx(0.001)

    async def test_a_failing_group_still_fails(self, prometheus, client_for):
        query = f"max({_ratio_by_hash('broken1|idle1')})"
        client = await client_for(
            prometheus.url, {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01"}
        )
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]

    async def test_groups_that_all_have_values_pass(self, prometheus, client_for):
        query = f"max({_ratio_by_hash('healthy1')})"
        client = await client_for(
            prometheus.url, {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01"}
        )
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert body["details"]["hidden_queries"] == [{"query": _hidden_query(_ratio_by_hash("healthy1")), "series": []}]

    @pytest.mark.parametrize(
        ("query", "pass_if"),
        [
            (f"max({_ratio_by_hash('healthy1|idle1')}) - max({_ratio_by_hash('healthy1')})", "< 0.01"),
            (f"max({_ratio_by_hash('healthy1|idle1')}) > 0.0005", "< 0.01"),
            (f"max({_ratio_by_hash('healthy1|idle1')}) > bool 0.5", "< 0.5"),
            (f"max({_ratio_by_hash('healthy1|idle1')}) and on () vector(1)", "< 0.01"),
        ],
    )
    async def test_an_aggregation_beside_another_operand(self, prometheus, client_for, query, pass_if):
        # Its answer reaches the query's through a binary operator: the NaN group is hidden all the same. Before: pass.
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": pass_if}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'max() leaves out {rollouts_pod_template_hash="idle1"} at NaN' in body["reason"], body["reason"]

    @pytest.mark.parametrize(
        "query",
        [
            f"vector(0) or max({_ratio_by_hash('healthy1|idle1')})",
            f"(vector(0) or on() max({_ratio_by_hash('healthy1|idle1')})) * 100",
            # on(): each group's element matches vector(0)'s too. Before: inconclusive.
            f"vector(0) or on() max by (rollouts_pod_template_hash) ({_ratio_by_hash('healthy1|idle1')})",
            # ignoring the one label of each group's element, or matching on a label it lacks: each matches too.
            # Before: inconclusive, for an idle1 that never reaches the answer.
            f"vector(0) or ignoring(rollouts_pod_template_hash) max by (rollouts_pod_template_hash) "
            f"({_ratio_by_hash('healthy1|idle1')})",
            f"vector(0) or on(code) max by (rollouts_pod_template_hash) ({_ratio_by_hash('healthy1|idle1')})",
        ],
    )
    async def test_an_aggregation_an_or_hides_is_not_probed(self, prometheus, client_for, query):
        # vector(0)'s one element without labels matches max()'s, so max() never reaches the answer (0, whatever the
        # groups hold): what it leaves out says nothing of it. Before: inconclusive, for an idle1 never judged.
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "reduce": "max"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0), body["reason"]
        assert "hidden_queries" not in body["details"]

    @pytest.mark.parametrize(
        "query",
        [
            f'label_replace(max({_ratio_by_hash("healthy1|idle1")}), "service", "checkout", "", "")',
            f"sort_desc(max({_ratio_by_hash('healthy1|idle1')}))",
            f"sqrt(max({_ratio_by_hash('healthy1|idle1')})) ^ 2",
            f"ln(exp(max({_ratio_by_hash('healthy1|idle1')})))",
        ],
    )
    async def test_an_aggregation_under_a_function_that_keeps_its_elements(self, prometheus, client_for, query):
        # Relabelled, sorted or moved by a function, the answer has max's elements, the NaN group still left out.
        # Before: pass.
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01"}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'max() leaves out {rollouts_pod_template_hash="idle1"} at NaN' in body["reason"], body["reason"]

    async def test_elements_told_apart_by_their_metric_name_alone(self, prometheus, client_for):
        # Two recording rules of the same labels, one at NaN: the probe's `unless` paired them without their names,
        # and found nothing. Before: pass.
        query = 'max({__name__=~"hidden_ratio_nan|hidden_ratio_ok", service="hid"})'
        client = await client_for(
            prometheus.url, {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01"}
        )
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'leaves out hidden_ratio_nan{service="hid"} at NaN' in body["reason"], body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert [entry["labels"] for entry in probe["series"]] == [{"__name__": "hidden_ratio_nan", "service": "hid"}]

    @pytest.mark.parametrize(
        "query",
        [
            "max_over_time(hidden_quiet[10m])",
            "max(max_over_time((hidden_quiet * 1)[10m:1m])) * 100",
            "min_over_time(hidden_quiet[10m]) or vector(0)",
            "quantile_over_time(0.5, hidden_quiet[10m])",
        ],
    )
    @pytest.mark.parametrize("extra", [{"reduce": "max"}, {"each": True}])
    async def test_a_function_over_time_skipping_the_nan_now_is_no_pass(self, prometheus, client_for, query, extra):
        # hidden_quiet{pod="a"} is NaN (no traffic) for the last 3 minutes: max_over_time answers its earlier steps.
        # Before: a pass on them, which a range check's series (NaN for more than a step before its end) never got.
        pass_if = "< 1" if "* 100" in query else "< 0.01"
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": pass_if, **extra}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert '{pod="a"} at NaN' in body["reason"] and "(no_data policy: inconclusive)" in body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert [entry["labels"].get("pod") for entry in probe["series"]] == ["a"], probe

    async def test_a_function_over_time_with_a_value_now_passes(self, prometheus, client_for):
        # pod b has a value at every step, the last one too: no element is left out.
        check = {"name": "q", "kind": "prometheus", "query": 'max_over_time(hidden_quiet{pod="b"}[10m])'}
        client = await client_for(prometheus.url, {**check, "pass_if": "< 0.01"})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert probe["series"] == []

    async def test_a_regex_promql_parsers_engine_refuses_is_probed(self, prometheus, client_for):
        # Go's \Q...\E, which Prometheus accepts and promql-parser's regex engine refuses: the probe is sent all the
        # same, with the regex as written. Before: no probe, and a pass for idle1's NaN left out.
        query = f"max({_ratio_by_hash('healthy1|idle1')})".replace('code=~"5.."', 'code=~"\\\\Q5\\\\E.."')
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "skip_promql_parse": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'max() leaves out {rollouts_pod_template_hash="idle1"} at NaN' in body["reason"], body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert probe["query"] == _hidden_query(_ratio_by_hash("healthy1|idle1")).replace(
            'code=~"5.."', 'code=~"\\\\Q5\\\\E.."'
        )

    async def test_a_regex_on_the_metric_name_promql_parsers_engine_refuses_is_probed(self, prometheus, client_for):
        # hidden_ratio_nan is NaN beside hidden_ratio_ok at 0.001, both named by one Go-only regex. Before: no probe
        # (the query's shape was not read), and a pass for the NaN max() leaves out.
        query = 'max({__name__=~"\\\\Qhidden_ratio_\\\\E(?:nan|ok)", service="hid"})'
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "skip_promql_parse": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert "max() leaves out" in body["reason"] and "at NaN" in body["reason"], body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert "\\\\Qhidden_ratio_\\\\E" in probe["query"]

    async def test_a_range_read_at_its_start_is_probed_at_its_start(self, prometheus, client_for):
        # hidden_shift{pod="a"} is NaN until 5 minutes before the end of the 10-minute range: `@ start()` reads it
        # there, where max leaves it out. The probe, an instant query at the range's end, read it at the end (0.001).
        # Before: pass.
        check = {"kind": "prometheus", "pass_if": "< 0.01", "range": "10m", "step": "1m"}
        client = await client_for(
            prometheus.url,
            {**check, "name": "start", "query": "max(hidden_shift @ start())"},
            {**check, "name": "end", "query": "max(hidden_shift @ end())"},
        )
        status, body = await run(client, "start", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert 'leaves out hidden_shift{pod="a"} at NaN' in body["reason"], body["reason"]
        (probe,) = body["details"]["hidden_queries"]
        assert f"@ {prometheus.anchor - 600:.3f}" in probe["query"]
        # At the range's end, what `@ end()` reads, every pod has a value.
        status, body = await run(client, "end", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]


def _hidden_query(operand: str) -> str:
    labelled = f'label_replace(({operand}), "__analyzer_name", "$1", "__name__", "(.+)")'
    return f'topk(5, label_replace(({labelled} unless {labelled} > -Inf < +Inf), "__analyzer_name", "", "", ""))'


def _fallback_ratio(errors_metric: str, canary_hash: str = "{{ canary_hash }}", code: str = "5..") -> str:
    """The README's ratio: the 5xx count falls back to vector(0), read from `errors_metric`."""
    selector = f'service="checkout",rollouts_pod_template_hash="{canary_hash}"'
    return (
        f'(sum(rate({errors_metric}{{{selector},code=~"{code}"}}[5m])) or vector(0))'
        f" / sum(rate(http_requests_total{{{selector}}}[5m]))"
    )


def _presence(name: str, labels: tuple[str, ...], over: str = "", names: str = "") -> str:
    """The presence query of `name`'s series read `over` (in last_over_time), and of those carrying each of `labels`;
    `names`: the name pieces read elsewhere, before it."""

    def piece(label: str) -> str:
        matchers = f'__name__=~"{name}"' + (f', {label}!=""' if label else "")
        return (
            f"group by (__name__) (last_over_time({{{matchers}}}{over}))"
            if over
            else f"group by (__name__) ({{{matchers}}})"
        )

    return (names + piece("")) + "".join(
        f' or on(__name__, label) label_replace({piece(label)}, "label", "{label}", "", "")' for label in labels
    )


_CHECKOUT_LABELS = ("code", "rollouts_pod_template_hash", "service")
_MISSPELT_REASON = (
    'query selector http_request_total{service="checkout",rollouts_pod_template_hash="healthy1",code=~"5.."}: no '
    "series of metric http_request_total exist at all (a misspelled metric name?). An existing metric without matching "
    "series reads as the fallback's value; a metric that appears only with its first error belongs in optional_metrics"
)


def _healthy_unless_5xx(name: str) -> str:
    """1 while requests flow and `name` counts no 5xx, else 0."""
    return (
        "((vector(1) and on() sum(rate(http_requests_total[5m])) > 0)"
        f' unless on() (sum(rate({name}{{code=~"5.."}}[5m])) > 0)) or vector(0)'
    )


# Fallbacks no series' value decides: a side reading no series, or bounded to one value whatever its series hold (a
# rate is never negative). Before: none was read as a fallback, and Prometheus answered 0 for the misspelt name: pass.
_GENERAL_FALLBACKS = [
    f'sum(rate(http_request_total{{code=~"5.."}}[5m])) or {fallback}'
    for fallback in (
        "sum(vector(0))",
        "max_over_time(vector(0)[5m:1m])",
        "group(http_requests_total) - 1",
        'clamp_max(sum(rate(http_requests_total{service="checkout"}[5m])), 0)',
    )
]


# A time before any data the session's Prometheus holds.
_BEFORE_THE_DATA = "1971-01-01T00:00:00Z"


@pytest.mark.integration
class TestNamesMissingBeforeTheData:
    """As of a time before the source's oldest data, a name missing then but with series now is said to be so: a
    backtest past the retention was called a misspelled name only."""

    def check(self, errors_metric: str) -> dict[str, object]:
        return {
            "name": "q",
            "kind": "prometheus",
            "params": CANARY,
            "query": _fallback_ratio(errors_metric),
            "pass_if": "< 0.01",
        }

    async def test_a_name_with_series_now(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check("http_requests_total"))
        status, body = await run(client, "q", canary_hash="healthy1", at=_BEFORE_THE_DATA)
        assert (status, body["error"]) == (500, "check_misconfigured")
        assert body["reason"] == (
            'query selector http_requests_total{service="checkout",rollouts_pod_template_hash="healthy1",code=~"5.."}: '
            "no series of metric http_requests_total exist at all (a misspelled metric name?). An existing metric "
            "without matching series reads as the fallback's value; a metric that appears only with its first error "
            "belongs in optional_metrics; evaluated as of 1971-01-01T00:00:00.000Z, a past time: metric "
            "http_requests_total has series now, so 1971-01-01T00:00:00.000Z is likely before the oldest data the "
            "source keeps (its retention)"
        )

    async def test_a_misspelt_name_is_called_so_only(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check("http_request_total"))
        status, body = await run(client, "q", canary_hash="healthy1", at=_BEFORE_THE_DATA)
        assert (status, body["error"], body["reason"]) == (500, "check_misconfigured", _MISSPELT_REASON)

    async def test_now_the_reason_is_the_kinds(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check("http_request_total"))
        status, body = await run(client, "q", canary_hash="healthy1")
        assert (status, body["error"], body["reason"]) == (500, "check_misconfigured", _MISSPELT_REASON)


@pytest.mark.integration
class TestMisspeltNamesBesideAFallback:
    """A metric name read beside a fallback (`x or vector(0)`) that has no series at all is an error: the fallback
    would answer for the misspelt name, and pass for ever."""

    def check(self, query: str, **extra: object) -> dict[str, object]:
        params = CANARY if "{{ canary_hash }}" in query else {}
        return {"name": "q", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 0.01", **extra}

    @pytest.mark.parametrize("extra", [{}, {"range": "10m", "step": "1m"}, {"reduce": "max"}, {"each": True}])
    async def test_a_misspelt_error_counter_is_an_error(self, prometheus, client_for, extra):
        client = await client_for(prometheus.url, self.check(_fallback_ratio("http_request_total"), **extra))
        status, body = await run(client, "q", canary_hash="healthy1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == _MISSPELT_REASON
        assert body["details"]["missing_metrics"] == ["http_request_total"]
        # A range query reads its window before each step's 5m: the presence query looks over both.
        presence = _presence("http_request_total", _CHECKOUT_LABELS, "[900s]" if "range" in extra else "")
        assert body["details"]["presence_query"] == presence

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(http_request_total{service="checkout",code=~"5.."}[5m])) or on() vector(0)',
            'sum(rate(http_request_total{service="checkout",code=~"5.."}[5m]))'
            ' or 0 * sum(rate(http_requests_total{service="checkout"}[5m]))',
            'vector(0) or sum(rate({__name__=~"http_request_total|http_request_count",code=~"5.."}[5m]))',
            'max(sum by (pod) (rate(http_request_total{code=~"5.."}[5m]))'
            ' or label_replace(vector(0), "pod", "a", "", ""))',
            'sum(rate(http_request_total{code=~"5.."}[5m])) or clamp_max(vector(0), 1)',
            # A constant under a condition that holds, or filtered, answers 0 for the misspelt name. Before: pass.
            'sum(rate(http_request_total{code=~"5.."}[5m]))'
            ' or (vector(0) and on() sum(rate(http_requests_total{service="checkout"}[5m])))',
            'sum(rate(http_request_total{code=~"5.."}[5m])) or (vector(0) unless on() payments_maintenance)',
            'sum(rate(http_request_total{code=~"5.."}[5m])) or vector(0) >= 0',
            # A value with escapes promql-parser prints decoded (a"b unclosed, \\b a backspace). Before: pass.
            'sum(rate(http_request_total{code=~"5..",path!="a\\"b"}[5m])) or vector(0)',
            'sum(rate(http_request_total{code=~"5..",path!~".*\\\\bhealth\\\\b.*"}[5m])) or vector(0)',
            # Both sides can answer a constant: the misspelt name empties the left one. Before: fail (vector(1)).
            '(sum(rate(http_request_total{code=~"5.."}[5m])) * 0) or on() vector(1)',
            *_GENERAL_FALLBACKS,
            # An escape Go reads in a label value (`\x35` is 5). Before: the selector not read, and a pass.
            'sum(rate(http_request_total{code=~"\\x35.."}[5m])) or vector(0)',
        ],
    )
    async def test_every_form_of_fallback_is_checked(self, prometheus, client_for, query):
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert "no series of metric http_request_total" in body["reason"]

    async def test_a_filter_beside_a_missing_name_measures(self, prometheus, client_for):
        # `(0) < x` keeps x's values, whichever side the scalar stands on: a measurement, no fallback, and the new name
        # of a rename not there yet is no error. Before: read as the scalar 0's, and an error for the new name.
        query = (
            'sum(rate(http_requests_v2_total{code=~"5.."}[5m]))'
            ' or (0) < sum(rate(http_requests_total{code=~"5.."}[5m]))'
        )
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", pytest.approx(6.01)), body["reason"]

    async def test_names_every_name_matcher_names_are_checked(self, prometheus, client_for):
        # Prometheus matches a series on both name matchers: only http_request_total (misspelt, no series), and the
        # query answers the fallback's 0. Before: read as either name, http_requests_total was found, and it passed.
        names = '__name__=~"http_requests_total|http_request_total", __name__="http_request_total"'
        query = f'sum(rate({{{names}, code=~"5.."}}[5m])) or vector(0)'
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["http_request_total"]

    async def test_a_name_a_negative_name_matcher_leaves_out_is_not_read(self, prometheus, client_for):
        # `!~` leaves http_requests_total out: the selector reads the misspelt http_request_total alone, and the query
        # answers the fallback's 0. Before: read as either name, http_requests_total was found, and it passed.
        names = '__name__=~"http_requests_total|http_request_total", __name__!~"http_requests_.*"'
        query = f'sum(rate({{{names}, code=~"5.."}}[5m])) or vector(0)'
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["http_request_total"]

    @pytest.mark.parametrize("extra", [{}, {"no_data": "pass"}])
    async def test_name_matchers_no_name_meets_are_an_error(self, prometheus, client_for, extra):
        # No name meets both: the selector matches no series whatever exists, and the query answers the fallback's 0
        # (without one, nothing: a pass under no_data: pass). Before: read as the first name, which exists, a pass.
        names = '__name__="http_requests_total", __name__="http_request_total"'
        fallback = " or vector(0)" if not extra else ""
        client = await client_for(
            prometheus.url, self.check(f'sum(rate({{{names}, code=~"5.."}}[5m])){fallback}', **extra)
        )
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == (
            f'query selector {{{names}, code=~"5.."}} matches no series: no metric name meets all of its matchers on '
            "__name__ (Prometheus matches each series on every one of them), so the query can never measure anything; "
            'keep one matcher on the name, or a regex that lists the names (`{__name__=~"a|b"}`)'
        )

    async def test_a_regex_promql_parsers_engine_refuses_is_checked(self, prometheus, client_for):
        # Prometheus accepts Go's \Q...\E (and answers 0 for the misspelt name); promql-parser's regex engine refuses
        # it. Before: no presence query, and the check passed.
        query = 'sum(rate(http_request_total{code=~"\\\\Q5\\\\E.."}[5m])) or vector(0)'
        client = await client_for(prometheus.url, self.check(query, skip_promql_parse=True))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["http_request_total"]
        correct = self.check(query.replace("http_request_total", "http_requests_total"), skip_promql_parse=True)
        client = await client_for(prometheus.url, correct)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", pytest.approx(6.01)), body["reason"]

    @pytest.mark.parametrize(
        ("query", "written"), [('max(sum{job="a"}) or vector(0)', 'sum{job="a"}'), ("count or vector(0)", "count")]
    )
    async def test_a_metric_named_as_a_keyword_is_checked(self, prometheus, client_for, query, written):
        # Prometheus reads sum{job="a"} as a selector of metric sum, of which this one has no series. Before: pass.
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"].startswith(f"query selector {written}: no series of metric {written.partition('{')[0]} ")

    async def test_an_or_an_arg_writes_is_checked(self, prometheus, client_for):
        # The `or` comes from the arg, not the query's text. Before: pass, no presence query sent.
        op = {"type": "enum", "values": ["or", "and"], "required": True}
        query = 'sum(rate(http_request_total{code=~"5.."}[5m])) {{ op }} vector(0)'
        client = await client_for(prometheus.url, self.check(query, params={"op": op}))
        status, body = await run(client, "q", op="or", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert "no series of metric http_request_total" in body["reason"]

    async def test_an_or_two_args_make_a_fallback_of_is_checked(self, prometheus, client_for):
        # gate=and keeps vector(0) while requests flow; its default `+` makes none. Before: pass, no presence query.
        params = {
            "op": {"type": "enum", "values": ["+", "or"], "default": "+"},
            "gate": {"type": "enum", "values": ["+", "and"], "default": "+"},
        }
        query = (
            'sum(rate(http_request_total{code=~"5.."}[5m])) {{ op }} vector(0) {{ gate }} on()'
            " sum(rate(http_requests_total[5m]))"
        )
        client = await client_for(prometheus.url, self.check(query, params=params))
        status, body = await run(client, "q", op="or", gate="and", at=prometheus.anchor)
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert "no series of metric http_request_total" in body["reason"]

    async def test_an_existing_metric_whose_labels_match_nothing_is_zero_errors(self, prometheus, client_for):
        # No 404 was ever counted: the metric exists, so the fallback's 0 stands for "no such errors".
        client = await client_for(prometheus.url, self.check(_fallback_ratio("http_requests_total", code="404")))
        status, body = await run(client, "q", canary_hash="healthy1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0)
        assert body["details"]["presence_query"] == _presence("http_requests_total", _CHECKOUT_LABELS)

    async def test_a_metric_the_answer_shows_by_name_exists_though_it_stopped_before_the_end(
        self, prometheus, client_for
    ):
        # canary_error_ratio stopped 30 minutes before the anchor: the presence query at the end finds none, but the
        # range query's answer holds its series.
        check = self.check('canary_error_ratio{service="checkout"} or on() vector(0)', range="1h", reduce="max")
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(0.001)), body["reason"]

    @pytest.mark.parametrize(
        ("query", "value"),
        [
            ('max(canary_error_ratio{service="checkout"} offset 45m) or on() vector(0)', 0.001),
            ('max(max_over_time(canary_error_ratio{service="checkout"}[1h])) or on() vector(0)', 0.001),
            ('max(canary_error_ratio{service="checkout"} @ ANCHOR_40M_BEFORE) or on() vector(0)', 0.001),
            ('sum_over_time((max(canary_error_ratio{service="checkout"}) or vector(0))[1h:5m])', 0.007),
        ],
    )
    async def test_a_metric_read_where_it_has_series_exists_though_it_stopped(
        self, prometheus, client_for, query, value
    ):
        # canary_error_ratio stopped 30 minutes before the anchor: an offset, a range, an @ or a subquery reads it.
        pinned = "ANCHOR_40M_BEFORE" in query
        query = query.replace("ANCHOR_40M_BEFORE", str(int(prometheus.anchor) - 2400))
        client = await client_for(prometheus.url, self.check(query))
        # A query read only `@` a past time is refused evaluated now, and the anchor is now for the session's first
        # minute: a backtest two minutes before it, whenever the test runs.
        status, body = await run(client, "q", at=prometheus.anchor - 120 if pinned else prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(value)), body["reason"]

    async def test_a_stopped_metric_a_range_query_reads_exists(self, prometheus, client_for):
        check = self.check('max(canary_error_ratio{service="checkout"}) or on() vector(0)', range="1h", reduce="max")
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        presence = _presence("canary_error_ratio", ("service",), "[3900s]")
        assert body["details"]["presence_query"] == presence

    async def test_a_misspelt_name_under_an_offset_is_an_error(self, prometheus, client_for):
        query = 'max(canary_error_ratio{service="checkout"} offset 45m) or on() vector(0) or max(canary_eror_ratio)'
        client = await client_for(prometheus.url, self.check(f"({query}) or vector(0)"))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["canary_eror_ratio"]
        assert body["details"]["presence_query"] == _presence(
            "canary_error_ratio",
            ("service",),
            "[300s] offset 2700s",
            'group by (__name__) ({__name__=~"canary_eror_ratio"}) or on(__name__) ',
        )

    @pytest.mark.parametrize("query", _GENERAL_FALLBACKS)
    async def test_a_correct_name_beside_any_fallback_is_judged(self, prometheus, client_for, query):
        # The same queries with the name spelt right: the 5xx rate fails, no spurious error.
        client = await client_for(
            prometheus.url, self.check(query.replace("http_request_total", "http_requests_total"))
        )
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "fail", pytest.approx(6.01)), body["reason"]
        assert body["details"]["presence_query"] == _presence("http_requests_total", ("code",))

    async def test_a_correct_name_judges_as_before(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check(_fallback_ratio("http_requests_total")))
        status, body = await run(client, "q", canary_hash="broken1", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", pytest.approx(0.1))

    async def test_an_optional_metric_may_have_no_series(self, prometheus, client_for):
        check = self.check(_fallback_ratio("payments_failures_total"), optional_metrics=["payments_failures_total"])
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", canary_hash="healthy1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0)
        assert "presence_query" not in body["details"]

    async def test_a_name_an_unless_drops_a_constant_by_is_checked(self, prometheus, client_for):
        # 1 while requests flow and no 5xx is counted: vector(1) answers for a misspelt name as a fallback does.
        # Before: pass for ever on http_request_total (no such metric).
        client = await client_for(prometheus.url, self.check(_healthy_unless_5xx("http_request_total"), pass_if="== 1"))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body.get("error")) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["http_request_total"]

    async def test_a_constant_an_unless_drops_by_an_existing_name_is_judged(self, prometheus, client_for):
        # http_requests_total counts 5xx: the unless drops vector(1), and vector(0) fails `== 1`.
        client = await client_for(
            prometheus.url, self.check(_healthy_unless_5xx("http_requests_total"), pass_if="== 1")
        )
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "fail", 0), body["reason"]

    async def test_a_name_an_unless_drops_by_may_have_no_series(self, prometheus, client_for):
        # payments_freeze exists only during a freeze: without it the 5xx count answers, not the fallback.
        # Before: error (check_misconfigured), no series of metric payments_freeze.
        query = '(sum(rate(http_requests_total{code=~"5.."}[5m])) unless on() payments_freeze) or vector(0)'
        client = await client_for(prometheus.url, self.check(query, pass_if="< 10"))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(6.01)), body["reason"]
        assert body["details"]["presence_query"] == _presence("http_requests_total", ("code",))

    async def test_a_name_inside_absent_is_not_checked(self, prometheus, client_for):
        check = self.check('absent(payments_up{service="checkout"}) or on() vector(0)', pass_if="== 1")
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass")
        assert "presence_query" not in body["details"]

    async def test_a_query_without_a_fallback_sends_no_presence_query(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.check(ERROR_RATIO))
        status, body = await run(client, "q", canary_hash="healthy1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass")
        assert "presence_query" not in body["details"]

    @pytest.mark.parametrize("no_data", ["inconclusive", "pass"])
    async def test_a_name_a_partial_presence_answer_does_not_show_is_inconclusive(self, client_for, no_data):
        # A store that did not answer may hold errors_total: no misspelled name can be told, and no pass either.
        # Before: error (check_misconfigured), saying that no series of it exist at all.
        async with fake_prometheus("presence-partial") as url:
            client = await client_for(url, self.check("sum(errors_total) or vector(0)", no_data=no_data))
            status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["reason"] == (
            "query selector errors_total: no series of metric errors_total found, in a presence answer that may be "
            f"partial ({PARTIAL_WARNING}): a store that did not answer may hold them, so the fallback's value cannot "
            "be told from a misspelled metric name"
        )
        assert body["details"]["presence_query"] == 'group by (__name__) ({__name__=~"errors_total"})'
        assert body["details"]["unseen_metrics"] == ["errors_total"]

    async def test_a_presence_query_that_fails_is_an_error(self, client_for):
        async with fake_prometheus("presence-500") as url:
            client = await client_for(url, self.check("sum(errors_total) or vector(0)"))
            status, body = await run(client, "q")
        assert (status, body["verdict"], body["error"]) == (503, "error", "source_unavailable")


def _misspelt_label_ratio(
    code_label: str = "cdoe", code: str = "5..", hash_label: str = "rollouts_pod_template_hash"
) -> str:
    """The demo's ratio with its labels as written: `code` misspelt `cdoe` by default."""
    canary = f'{hash_label}="{{{{ canary_hash }}}}"'
    return (
        f'(sum(rate(http_requests_total{{{code_label}=~"{code}", {canary}}}[5m])) or vector(0))'
        f" / sum(rate(http_requests_total{{{canary}}}[5m]))"
    )


_MISSPELT_LABEL_REASON = (
    'query selector http_requests_total{cdoe=~"5..", rollouts_pod_template_hash="broken1"}: label cdoe is not on '
    "metric http_requests_total, no series of it has it (a misspelled label name?). A label on the metric without "
    "matching series reads as the fallback's value; a label that appears only with the first error: list its metric "
    "in optional_metrics"
)


@pytest.mark.integration
class TestMisspeltLabelsBesideAFallback:
    """A label matcher beside a fallback that cannot match the empty value needs a series of its metric carrying that
    label: else the selector matches nothing whatever the canary does, and the fallback passes for ever."""

    def check(self, query: str, **extra: object) -> dict[str, object]:
        params = CANARY if "{{ canary_hash }}" in query else {}
        return {"name": "q", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 0.01", **extra}

    @pytest.mark.parametrize("extra", [{}, {"range": "10m", "step": "1m"}, {"reduce": "max"}, {"each": True}])
    async def test_a_misspelt_label_of_the_errors_is_an_error(self, prometheus, client_for, extra):
        # broken1 answers 10% 5xx. Before: pass at 0, the fallback's value.
        client = await client_for(prometheus.url, self.check(_misspelt_label_ratio(), **extra))
        status, body = await run(client, "q", canary_hash="broken1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == _MISSPELT_LABEL_REASON
        assert body["details"]["missing_labels"] == ["http_requests_total: cdoe"]
        assert "missing_metrics" not in body["details"]
        over = "[900s]" if "range" in extra else ""
        assert body["details"]["presence_query"] == _presence(
            "http_requests_total", ("cdoe", "rollouts_pod_template_hash"), over
        )

    async def test_a_misspelt_label_of_the_canary_is_an_error(self, prometheus, client_for):
        # The demo's rollout_pod_template_hash, where this Prometheus has rollouts_pod_template_hash. Before: pass.
        query = _misspelt_label_ratio("code", hash_label="rollout_pod_template_hash")
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", canary_hash="broken1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"].startswith(
            'query selector http_requests_total{code=~"5..", rollout_pod_template_hash="broken1"}: label '
            "rollout_pod_template_hash is not on metric http_requests_total, no series of it has it "
        )
        assert body["details"]["missing_labels"] == ["http_requests_total: rollout_pod_template_hash"]

    async def test_a_misspelt_label_beside_a_misspelt_name_is_told_too(self, prometheus, client_for):
        query = (
            'sum(rate(http_request_total{code=~"5.."}[5m])) or sum(rate(http_requests_total{cdoe="500"}[5m]))'
            " or vector(0)"
        )
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_metrics"] == ["http_request_total"]
        assert body["details"]["missing_labels"] == ["http_requests_total: cdoe"]
        assert 'query selector http_requests_total{cdoe="500"}: label cdoe is not on metric' in body["reason"]

    async def test_a_label_of_any_of_the_names_a_regex_lists_will_do(self, prometheus, client_for):
        query = (
            'sum(rate({__name__=~"http_request_total|http_requests_total",code=~"5..",service="checkout"}[5m]))'
            " or vector(0)"
        )
        client = await client_for(prometheus.url, self.check(query, pass_if="< 10"))
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", pytest.approx(6.01)), body["reason"]

    @pytest.mark.parametrize(
        ("code_matcher", "verdict"),
        [
            ('cdoe=~"5..|"', "fail"),
            ('cdoe!="500"', "fail"),
            ('cdoe=""', "fail"),
            # RE2's POSIX class: before, Python read `[[:digit:]]*` as needing a character, check_misconfigured.
            ('cdoe=~"[[:digit:]]*"', "fail"),
            ('code=~"4.."', "pass"),
        ],
    )
    async def test_a_matcher_that_matches_the_empty_value_needs_no_label(
        self, prometheus, client_for, code_matcher, verdict
    ):
        # A series without cdoe has the empty value: these match every series of the canary, so the ratio is 1. A
        # label that exists (code), its value matching nothing yet (no 4xx): the fallback's 0 is no errors.
        query = (
            f'(sum(rate(http_requests_total{{{code_matcher}, rollouts_pod_template_hash="{{{{ canary_hash }}}}"}}[5m]))'
            ' or vector(0)) / sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))'
        )
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", canary_hash="healthy1", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, verdict), body["reason"]
        assert "cdoe" not in body["details"]["presence_query"]

    async def test_a_label_only_errors_carry_is_unchecked_for_an_optional_metric(self, prometheus, client_for):
        # error_reason would appear with the first error only: the metric is listed in optional_metrics.
        query = 'sum(rate(http_requests_total{error_reason=~".+"}[5m])) or vector(0)'
        check = self.check(query, optional_metrics=["http_requests_total"])
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0), body["reason"]
        assert "presence_query" not in body["details"]
        client = await client_for(prometheus.url, self.check(query))
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]

    @pytest.mark.parametrize("no_data", ["inconclusive", "pass"])
    async def test_a_label_a_partial_presence_answer_does_not_show_is_inconclusive(self, client_for, no_data):
        # A store that did not answer may hold the series with code: no misspelled label can be told, no pass either.
        async with fake_prometheus("presence-label-partial") as url:
            client = await client_for(url, self.check('sum(errors_total{code=~"5.."}) or vector(0)', no_data=no_data))
            status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["reason"] == (
            'query selector errors_total{code=~"5.."}: no series of metric errors_total with label code found, in a '
            f"presence answer that may be partial ({PARTIAL_WARNING}): a store that did not answer may hold them, so "
            "the fallback's value cannot be told from a misspelled label name"
        )
        assert body["details"]["unseen_labels"] == ["errors_total: code"]
        assert "unseen_metrics" not in body["details"]


_BROKEN = 'rollouts_pod_template_hash="broken1"'
# The 5xx share of broken1's requests per code, each matched to all its requests by ignoring code: 0.1 for 500.
_SHARE_BY_CODE = (
    f'(sum by (code) (rate(http_requests_total{{code=~"5..", {_BROKEN}}}[5m])) / ignoring({{label}}) group_left '
    f"sum(rate(http_requests_total{{{_BROKEN}}}[5m]))) or vector(0)"
)
# The deepest queue but pod a's (being drained), by pod: pod b's 7.
_DEEPEST_BUT_DRAINED = '(max by (pod) (queue_depth) unless on({label}) queue_depth{pod="a"}) or vector(0)'
# The 5xx ratio of each canary hash (the injection's 1 among them), by hash.
_RATIO_BY_HASH = (
    'sum by ({label}) (rate(http_requests_total{code=~"5.."}[5m])) / sum by ({label}) '
    "(rate(http_requests_total[5m])) or vector(0)"
)


@pytest.mark.integration
class TestIdleLabelListsBesideAFallback:
    """A label list (`by`, `without`, `on`, `ignoring`) beside a fallback none of whose labels a series it is over
    carries does nothing: a misspelt one may empty the answer (or make it one group), and the fallback passes."""

    def check(self, query: str, **extra: object) -> dict[str, object]:
        return {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.01", "reduce": "max", **extra}

    @pytest.mark.parametrize(
        ("template", "label", "written", "names", "extra"),
        [
            # Before: pass at the fallback's 0, where ignoring(code) fails at 0.1 (Prometheus matches on every label).
            (_SHARE_BY_CODE, "cdoe", "ignoring (cdoe)", "http_requests_total", {}),
            # Before: pass at 0 (on nothing, pod a's series drops every one), where on(pod) fails at 7.
            (_DEEPEST_BUT_DRAINED, "pdo", "on (pdo)", "queue_depth", {"pass_if": "< 5"}),
            # Before: pass at 0.24 (one group: every hash's errors over every hash's requests), where each hash is
            # judged and the injection's 1 fails.
            (
                _RATIO_BY_HASH,
                "rollouts_pod_template_hsh",
                "by (rollouts_pod_template_hsh)",
                "http_requests_total",
                {"pass_if": "< 0.5", "reduce": None, "each": True},
            ),
        ],
    )
    async def test_a_misspelt_label_of_a_list_is_an_error(
        self, prometheus, client_for, template, label, written, names, extra
    ):
        correct = template.replace(
            "{label}", label.replace("cdoe", "code").replace("pdo", "pod").replace("hsh", "hash")
        )
        client = await client_for(prometheus.url, self.check(correct, **extra))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        client = await client_for(prometheus.url, self.check(template.replace("{label}", label), **extra))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert (
            f"query {written}: label {label} is on no series of metric {names} (a misspelled label name?)"
            in (body["reason"])
        )
        assert body["reason"].endswith(
            "the fallback's value answers for it: write the label as its series carry it, or drop the list"
        )
        assert body["details"]["missing_labels"] == [f"{names}: {label}"]
        assert (
            f'label_replace(group by (__name__) ({{__name__=~"{names}", {label}!=""}})'
            in (body["details"]["presence_query"])
        )

    @pytest.mark.parametrize(
        "query",
        [
            # A label the query writes, one of a histogram's, a list with a label that is there beside one that is not
            # (`cluster` of a single-cluster Prometheus), labels group_left copies, `without`.
            'sum by (hash) (label_replace(rate(http_requests_total{code=~"5.."}[5m]), "hash", "$1", '
            '"rollouts_pod_template_hash", "(.*)")) or vector(0)',
            "histogram_quantile(0.99, sum by (le) (rate(eb_latency_seconds_bucket[5m]))) or vector(0)",
            "sum by (le) (rate(http_requests_total[5m])) or vector(0)",
            'sum by (cluster, code) (rate(http_requests_total{code=~"5.."}[5m])) or vector(0)',
            f'(sum by (code) (rate(http_requests_total{{code=~"5..", {_BROKEN}}}[5m])) / ignoring(code) '
            f"group_left(srevice) sum(rate(http_requests_total{{{_BROKEN}}}[5m]))) or vector(0)",
            'sum without (service) (rate(http_requests_total{code=~"5.."}[5m])) or vector(0)',
        ],
    )
    async def test_a_list_that_does_something_is_no_error(self, prometheus, client_for, query):
        client = await client_for(prometheus.url, self.check(query, pass_if="< 1000"))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    @pytest.mark.parametrize("label", ["pdo", "instance"])
    async def test_a_without_of_a_label_its_series_lack_is_an_error(self, prometheus, client_for, label):
        # A without that drops no label keeps apart the series it was to add up: misspelt (pdo for pod), pods a (3)
        # and b (7) would each pass < 8 where their sum, 10, fails. A defensive `without (instance)` over a metric
        # without instance reads the same, and cannot be told from that typo: drop it where the series lack it.
        check = self.check("sum without (pod) (queue_depth) or vector(0)", pass_if="< 8", reduce=None, each=True)
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, "fail", 10), body["reason"]
        client = await client_for(prometheus.url, {**check, "query": check["query"].replace("pod", label)})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == [f"queue_depth: {label}"]
        assert (
            f"query without ({label}): label {label} is on no series of metric queue_depth (a misspelled label name?), "
            "so it does nothing: it drops no label: the series it was to add up stay apart. " in body["reason"]
        )

    async def test_a_list_over_an_optional_metric_is_not_checked(self, prometheus, client_for):
        query = _DEEPEST_BUT_DRAINED.replace("{label}", "pdo")
        client = await client_for(prometheus.url, self.check(query, pass_if="< 5", optional_metrics=["queue_depth"]))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        assert "presence_query" not in body["details"]

    async def test_a_list_a_partial_presence_answer_does_not_show_is_inconclusive(self, client_for):
        async with fake_prometheus("presence-label-partial") as url:
            client = await client_for(url, self.check("sum by (cdoe) (errors_total) or vector(0)", pass_if="< 1"))
            status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["reason"].startswith(
            "query by (cdoe): no series of metric errors_total with label cdoe found, in a presence answer that may "
            f"be partial ({PARTIAL_WARNING})"
        )
        assert body["details"]["unseen_labels"] == ["errors_total: cdoe"]


# The p99 latency of each service of eb_latency_seconds: eb-api's 0.76 s, eb-trickle's 0.98 s (0.80 s as one group).
_P99_BY_SERVICE = "histogram_quantile(0.99, sum by (le, {label}) (rate(eb_latency_seconds_bucket[5m])))"


async def _fails_spelt_right_and_errs_misspelt(prometheus, client_for, query, bound):
    """`query` (`{label}` for the hash's label name) under `each` with pass_if `bound`: spelt right, the broken hash
    fails; misspelt, check_misconfigured names the label."""
    check = {"name": "q", "kind": "prometheus", "pass_if": bound, "each": True}
    client = await client_for(
        prometheus.url, {**check, "query": query.replace("{label}", "rollouts_pod_template_hash")}
    )
    status, body = await run(client, "q", at=prometheus.anchor)
    assert (status, body["verdict"]) == (200, "fail"), body["reason"]
    client = await client_for(prometheus.url, {**check, "query": query.replace("{label}", "rollouts_pod_template_hsh")})
    status, body = await run(client, "q", at=prometheus.anchor, explain="true")
    assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
    assert body["details"]["missing_labels"] == ["http_requests_total: rollouts_pod_template_hsh"]


@pytest.mark.integration
class TestOneGroupOfAByAtTheTop:
    """A `by` list at the top of the query none of whose labels any series of the answer carries was read from series
    none of which had one: every series fell in one group, which `each` or `reduce` judges as one."""

    def check(self, label: str, **extra: object) -> dict[str, object]:
        return {
            "name": "q",
            "kind": "prometheus",
            "query": _RATIO_BY_HASH.removesuffix(" or vector(0)").replace("{label}", label),
            "pass_if": "< 0.5",
            **extra,
        }

    @pytest.mark.parametrize(
        ("extra", "verdict"),
        [({"each": True}, "fail"), ({"reduce": "max"}, "inconclusive"), ({"each": True, "range": "10m"}, "fail")],
    )
    async def test_a_misspelt_label_is_an_error(self, prometheus, client_for, extra, verdict):
        # Before: pass at 0.24, every hash's errors over every hash's requests; by the hash, the injection's 1 fails
        # (or idle1's NaN beside it is no value to reduce).
        client = await client_for(prometheus.url, self.check("rollouts_pod_template_hash", **extra))
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, verdict), body["reason"]
        client = await client_for(prometheus.url, self.check("rollouts_pod_template_hsh", **extra))
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == (
            "query by (rollouts_pod_template_hsh): label rollouts_pod_template_hsh is on none of the 1 series of its "
            "answer: no series of metric http_requests_total it reads has it (a misspelled label name?), so every "
            "series falls in one group, judged as one: write the label as its series carry it, or drop the list if one "
            "group is meant"
        )
        assert body["details"]["missing_labels"] == ["http_requests_total: rollouts_pod_template_hsh"]

    @pytest.mark.parametrize(
        "query",
        [
            'sum by (cluster, code) (rate(http_requests_total{code=~"5.."}[5m]))',
            "histogram_quantile(0.99, sum by (le, service) (rate(eb_latency_seconds_bucket[5m])))",
            "sum by (le) (rate(http_requests_total[5m]))",
            'max by (hash) (label_replace(rate(http_requests_total[5m]), "hash", "$1", "rollouts_pod_template_hash", '
            '"(.*)"))',
            "sum by (pod) (queue_depth) / on() group_left sum(queue_depth) > 0",
            "sum by (pod) (queue_depth) / on(pod) sum by (pod) (queue_depth)",
            "sum without (pdo, pod) (queue_depth)",
        ],
    )
    async def test_a_by_that_does_something_is_no_error(self, prometheus, client_for, query):
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 1000", "each": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]

    @pytest.mark.parametrize(
        "query",
        [
            "max by (sloth_window) (slo:sli_error:ratio_rate5m) > 0.4",
            "topk(1, max by (sloth_window) (slo:sli_error:ratio_rate5m))",
            "max by (sloth_window) (slo:sli_error:ratio_rate5m) unless on(sloth_window) "
            'slo:sli_error:ratio_rate5m{sloth_window="5m"}',
        ],
    )
    async def test_a_filter_keeping_the_group_without_the_label_is_judged(self, prometheus, client_for, query):
        # The split SLO's series lack sloth_window: their group ({}, at 0.5) is the one the filter keeps. Before:
        # error, "no series of metric slo:sli_error:ratio_rate5m it reads has it".
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 0.4", "each": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        misspelt = query.replace("by (sloth_window)", "by (sloth_windw)")
        client = await client_for(prometheus.url, {**check, "query": misspelt})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == ["slo:sli_error:ratio_rate5m: sloth_windw"]
        assert 'sloth_windw!=""' in body["details"]["label_presence_query"]

    @pytest.mark.parametrize(
        ("query", "extra"),
        [
            (_RATIO_BY_HASH.removesuffix(" or vector(0)"), {"each": True}),
            (_RATIO_BY_HASH, {"reduce": "max"}),
            (f"({_RATIO_BY_HASH.removesuffix(' or vector(0)')}) > 0", {"each": True}),
        ],
    )
    async def test_a_label_with_one_value_is_judged_and_one_absent_is_an_error(
        self, prometheus, client_for, query, extra
    ):
        # Every series read has service, with one value (as `cluster` on a Prometheus of one cluster whose series
        # carry it): one group, the right one, judged at 0.24; a label no series has (`cluster` where it is only
        # an external label) cannot be told from a misspelling, which makes one group of many.
        check = {"name": "q", "kind": "prometheus", "pass_if": "< 0.2", **extra}
        client = await client_for(prometheus.url, {**check, "query": query.replace("{label}", "service")})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], round(body["value"], 2)) == (200, "fail", 0.24), body["reason"]
        client = await client_for(prometheus.url, {**check, "query": query.replace("{label}", "cluster")})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == ["http_requests_total: cluster"]

    @pytest.mark.parametrize(
        ("query", "param"),
        [
            # The keyword from an enum, the list as written. Before: pass at 0.24, one group of every hash.
            (
                _RATIO_BY_HASH.removesuffix(" or vector(0)").replace("by ({label})", "{{ g }} ({label})"),
                {"type": "enum", "values": ["by", "without"], "default": "by"},
            ),
            # The label from an identifier.
            (
                _RATIO_BY_HASH.removesuffix(" or vector(0)").replace("{label}", "{{ g }}"),
                {"type": "identifier", "default": "{label}"},
            ),
        ],
    )
    async def test_a_by_an_arg_writes_is_read_as_rendered(self, prometheus, client_for, query, param):
        check = {"name": "q", "kind": "prometheus", "pass_if": "< 0.5", "each": True, "params": {"g": param}}
        for label, verdict in (("rollouts_pod_template_hash", "fail"), ("rollouts_pod_template_hsh", "error")):
            written = {**param, "default": param["default"].replace("{label}", label)}
            checked = {**check, "query": query.replace("{label}", label), "params": {"g": written}}
            client = await client_for(prometheus.url, checked)
            status, body = await run(client, "q", at=prometheus.anchor, explain="true")
            assert body["verdict"] == verdict, body["reason"]
        assert (status, body["details"]["missing_labels"]) == (500, ["http_requests_total: rollouts_pod_template_hsh"])

    async def test_a_misspelt_label_in_parentheses_is_an_error(self, prometheus, client_for):
        # Before: pass at 24%, every hash's errors over every hash's requests (the by stood inside parentheses).
        query = "(" + _RATIO_BY_HASH.removesuffix(" or vector(0)") + ") * 100"
        await _fails_spelt_right_and_errs_misspelt(prometheus, client_for, query, "< 50")

    @pytest.mark.parametrize("shape", ["topk(2, {ratio})", "max_over_time(({ratio})[5m:1m])"])
    async def test_a_misspelt_label_under_what_keeps_its_series_is_an_error(self, prometheus, client_for, shape):
        # Before: pass at 0.24, every hash's errors over every hash's requests, picked or read over time.
        query = shape.format(ratio=_RATIO_BY_HASH.removesuffix(" or vector(0)"))
        await _fails_spelt_right_and_errs_misspelt(prometheus, client_for, query, "< 0.5")

    async def test_a_misspelt_label_a_one_to_one_match_keeps_is_an_error(self, prometheus, client_for):
        # Before: pass at 0.24, every hash's errors over every hash's requests, on() the label none of them has.
        query = _RATIO_BY_HASH.removesuffix(" or vector(0)").replace(") / sum by", ") / on({label}) sum by")
        await _fails_spelt_right_and_errs_misspelt(prometheus, client_for, query, "< 0.5")

    @pytest.mark.parametrize(
        ("query", "extra"),
        [
            (_P99_BY_SERVICE, {"each": True}),
            (f"{_P99_BY_SERVICE} or vector(0)", {"reduce": "max"}),
        ],
    )
    async def test_a_misspelt_label_beside_le_is_an_error(self, prometheus, client_for, query, extra):
        # Before: pass at the one group's 0.80 s, where by service eb-trickle's p99 of 0.98 s fails.
        check = {"name": "q", "kind": "prometheus", "pass_if": "< 0.9", **extra}
        client = await client_for(prometheus.url, {**check, "query": query.format(label="service")})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        client = await client_for(prometheus.url, {**check, "query": query.format(label="servcie")})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"].startswith("query by (le, servcie): label servcie is on no"), body["reason"]
        assert body["details"]["missing_labels"] == ["eb_latency_seconds_bucket: servcie"]

    @pytest.mark.parametrize(
        ("query", "bound"),
        [
            # Before: pass at the one group's 0.80 s; by service, the query answers two series (an error).
            (_P99_BY_SERVICE, "< 0.9"),
            # Before: pass at 24%, every hash's errors over every hash's requests; by the hash, several series.
            ("(" + _RATIO_BY_HASH.removesuffix(" or vector(0)") + ") * 100", "< 50"),
            ("max_over_time((" + _RATIO_BY_HASH.removesuffix(" or vector(0)") + ")[5m:1m])", "< 0.5"),
        ],
    )
    async def test_a_misspelt_label_without_each_or_reduce_is_an_error(self, prometheus, client_for, query, bound):
        # Spelt right, the query answers one series per group where one is expected: an error. Misspelt, it answers
        # one series, which must not be judged (a typo must not pass where the right spelling cannot).
        check = {"name": "q", "kind": "prometheus", "pass_if": bound}
        right = query.replace("{label}", "service" if "eb_latency" in query else "rollouts_pod_template_hash")
        client = await client_for(prometheus.url, {**check, "query": right})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert "set reduce or each: true" in body["reason"]
        misspelt = query.replace("{label}", "servcie" if "eb_latency" in query else "rollouts_pod_template_hsh")
        client = await client_for(prometheus.url, {**check, "query": misspelt})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert "(a misspelled label name?), so every series falls in one group" in body["reason"]

    async def test_a_topk_of_one_without_each_or_reduce_is_read(self, prometheus, client_for):
        # topk(1, ...) answers the worst group alone, one series as expected: spelt right it is judged (the broken
        # hash fails); misspelt, the one group is every hash's ratio. Before: pass at 0.24.
        query = "topk(1, " + _RATIO_BY_HASH.removesuffix(" or vector(0)") + ")"
        check = {"name": "q", "kind": "prometheus", "pass_if": "< 0.5"}
        client = await client_for(
            prometheus.url, {**check, "query": query.replace("{label}", "rollouts_pod_template_hash")}
        )
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body["reason"]
        client = await client_for(
            prometheus.url, {**check, "query": query.replace("{label}", "rollouts_pod_template_hsh")}
        )
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == ["http_requests_total: rollouts_pod_template_hsh"]

    async def test_a_by_an_identifier_writes_without_each_or_reduce_is_an_error(self, prometheus, client_for):
        # The keyword written at run time by an identifier (an enum's is refused at load): misspelt, one group.
        # Before: pass at 0.24.
        query = _RATIO_BY_HASH.removesuffix(" or vector(0)").replace(
            "by ({label})", "{{ g }} (rollouts_pod_template_hsh)"
        )
        check = {
            "name": "q",
            "kind": "prometheus",
            "query": query,
            "pass_if": "< 0.5",
            "params": {"g": {"type": "identifier", "default": "by"}},
        }
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == ["http_requests_total: rollouts_pod_template_hsh"]

    async def test_an_answer_that_may_be_partial_is_inconclusive(self, client_for):
        async with fake_prometheus("partial-nan") as url:
            check = {"name": "q", "kind": "prometheus", "query": "sum by (node) (x)", "pass_if": "< 1", "each": True}
            client = await client_for(url, check)
            status, body = await run(client, "q", explain="true")
        assert (status, body["verdict"]) == (200, "inconclusive"), body["reason"]
        assert body["reason"].startswith(
            f"query by (node): no series of metric x with label node found, in an answer that may be partial "
            f"({PARTIAL_WARNING})"
        )
        assert body["details"]["unseen_labels"] == ["x: node"]


@pytest.mark.integration
class TestAWithoutAtTheTop:
    """A `without` list at the top of the query none of whose labels any series read carries drops none: the series it
    was to add up stay apart, and `each` or `reduce` judges them one by one where their sum was meant."""

    @pytest.mark.parametrize(("extra", "value"), [({"each": True}, 10), ({"reduce": "max"}, 10)])
    @pytest.mark.parametrize("label", ["pdo", "instance"])
    async def test_a_without_of_a_label_its_series_lack_is_an_error(self, prometheus, client_for, extra, value, label):
        # Before: pass, pods a (3) and b (7) each under < 8 (max 7 under reduce) where their sum, 10, fails. A
        # defensive `without (instance)` over series without instance reads the same as the typo: drop it.
        check = {"name": "q", "kind": "prometheus", "query": "sum without (pod) (queue_depth)", "pass_if": "< 8"}
        client = await client_for(prometheus.url, {**check, **extra})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "fail", value), body["reason"]
        client = await client_for(prometheus.url, {**check, **extra, "query": f"sum without ({label}) (queue_depth)"})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == (
            f"query without ({label}): label {label} is on no series of metric queue_depth it reads (a misspelled "
            "label name?), so it does nothing: it drops no label: the series it was to add up stay apart, "
            f"{'each judged alone' if 'each' in extra else 'and reduce: max reduces them, not their sum'} (2 series): "
            "write the label as its series carry it, or drop the list where they lack it"
        )
        assert body["details"]["missing_labels"] == [f"queue_depth: {label}"]
        assert f'{label}!=""' in body["details"]["label_presence_query"]

    @pytest.mark.parametrize(
        ("extra", "spread"),
        [
            ({"reduce": "max"}, "stay apart, and reduce: max reduces them, not their sum (2 series)"),
            ({}, "stay apart (2 series, where the check judges one)"),
        ],
    )
    async def test_what_becomes_of_the_series_kept_apart_is_said_as_the_check_reads_them(
        self, prometheus, client_for, extra, spread
    ):
        # Before: "each judged alone" under reduce, where they are reduced; and under neither (the list in
        # parentheses, past the load's refusal) "the query returned 2 series", silent on the list that did nothing.
        query = "(sum without (pdo) (queue_depth))"
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 8", **extra}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["reason"] == (
            "query without (pdo): label pdo is on no series of metric queue_depth it reads (a misspelled label name?), "
            f"so it does nothing: it drops no label: the series it was to add up {spread}: write the label as its "
            "series carry it, or drop the list where they lack it"
        )

    @pytest.mark.parametrize(
        ("query", "verdict", "value"),
        [
            # One series is its own sum whatever the list drops: judged.
            ('sum without (instance) (queue_depth{pod="b"})', "pass", 7),
            # One label of the list is on the series: it does something.
            ("sum without (instance, pod) (queue_depth)", "fail", 10),
        ],
    )
    async def test_a_without_that_changes_nothing_or_drops_a_label_is_judged(
        self, prometheus, client_for, query, verdict, value
    ):
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 8", "each": True}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["value"]) == (200, verdict, value), body["reason"]

    async def test_a_without_in_the_histogram_of_a_quantile_is_read(self, prometheus, client_for):
        # Two services' p99, each judged alone where the one p99 of both was meant.
        query = "histogram_quantile(0.99, sum without ({label}) (rate(eb_latency_seconds_bucket[5m])))"
        check = {"name": "q", "kind": "prometheus", "pass_if": "< 8", "each": True}
        client = await client_for(prometheus.url, {**check, "query": query.format(label="service")})
        status, body = await run(client, "q", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]
        client = await client_for(prometheus.url, {**check, "query": query.format(label="servcie")})
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"], body["error"]) == (500, "error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == ["eb_latency_seconds_bucket: servcie"]


_SLOTH = 'sloth_id="ebr-sloth-burn", sloth_service="ebr-sloth", sloth_slo="burn"'


@pytest.mark.integration
class TestRuleShapesWithLabelLists:
    """The label lists of Sloth's and Pyrra's own rules, read by a check beside a fallback or at its top, are no
    misspelling: the labels are on the recording rules' series."""

    @pytest.mark.parametrize(
        ("query", "extra"),
        [
            # Sloth's slo:sli_error:ratio_rate30d, over an hour.
            (
                f"(sum_over_time(slo:sli_error:ratio_rate5m{{{_SLOTH}}}[1h]) / ignoring (sloth_window) "
                f"count_over_time(slo:sli_error:ratio_rate5m{{{_SLOTH}}}[1h])) or vector(0)",
                {"reduce": "max"},
            ),
            # Sloth's slo:current_burn_rate:ratio.
            (
                f"(slo:sli_error:ratio_rate5m{{{_SLOTH}}} / on(sloth_id, sloth_slo, sloth_service) group_left "
                f"slo:error_budget:ratio{{{_SLOTH}}}) or vector(0)",
                {"reduce": "max"},
            ),
            # Pyrra's increase rule.
            ('sum by (code) (increase(ebr_http_requests_total{job="ebr-burn"}[5m])) or vector(0)', {"reduce": "max"}),
            ('sum by (code) (increase(ebr_http_requests_total{job="ebr-burn"}[5m]))', {"each": True}),
            # Sloth's windows, where the split SLO's series lack sloth_window.
            ("max by (sloth_window) (slo:sli_error:ratio_rate5m)", {"each": True}),
        ],
    )
    async def test_a_rule_shape_is_judged(self, prometheus, client_for, query, extra):
        check = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 1e9", **extra}
        client = await client_for(prometheus.url, check)
        status, body = await run(client, "q", at=prometheus.anchor, explain="true")
        assert (status, body["verdict"]) == (200, "pass"), body["reason"]


@pytest.mark.integration
class TestStaleRecordedSeries:
    """A recorded series whose ruler died minutes ago (data_error_budget_stale.py: at A-4m, 5% errors since A-3m)
    reads at its last sample; the rule's age, asked as docs/kinds/prometheus.md says, holds a composite to a live
    rule."""

    RATIO = {
        "name": "dead-ratio",
        "kind": "prometheus",
        "query": 'ebr_http_requests:burnrate5m{slo="ebr-dead"}',
        "pass_if": "< 0.001",
    }
    AGE = {
        "name": "dead-ratio-age",
        "kind": "prometheus",
        "query": 'time() - timestamp(ebr_http_requests:burnrate5m{slo="ebr-dead"})',
        "pass_if": "<= 180",
        "no_data": "fail",
    }
    BOTH = {
        "name": "dead-ratio-live",
        "kind": "composite",
        "members": [{"check": "dead-ratio", "critical": True}, {"check": "dead-ratio-age", "critical": True}],
    }

    async def test_the_last_value_passes_alone_and_its_age_fails_the_composite(self, prometheus, client_for):
        client = await client_for(prometheus.url, self.RATIO, self.AGE, self.BOTH)
        # The kind reads the value the dead ruler left (0, from before the errors): what the docs warn of.
        status, body = await run(client, "dead-ratio", at=prometheus.anchor)
        assert (status, body["verdict"], body["value"]) == (200, "pass", 0)
        status, body = await run(client, "dead-ratio-age", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail") and 240 <= body["value"] <= 300, body
        status, body = await run(client, "dead-ratio-live", at=prometheus.anchor)
        assert (status, body["verdict"]) == (200, "fail"), body
        assert "critical member 'dead-ratio-age' failed" in body["reason"], body["reason"]
