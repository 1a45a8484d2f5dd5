"""`analyzer validate --prometheus URL` and the names a check reads only optionally (its `optional_names()`):
their absence is a note, not a problem, while a required name that is absent stays a problem (exit 6)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill
from tests.integration.test_lint import EXAMPLE_CANARY, validate

MINUTE = 60.0
# A canary of tests/integration/data_core.py with requests (http_requests_total) and no *_failures_total metric.
CANARY_TOTAL = (
    'sum(rate(http_requests_total{service="checkout", rollouts_pod_template_hash="{{ canary_hash }}"}[{{ window }}]))'
)
# docs/kinds/error-budget.md's optional_metrics example, on the session's data.
OPTIONAL = {
    "name": "payments-error-budget-optional",
    "kind": "error_budget",
    "params": EXAMPLE_CANARY,
    "objective": 99.9,
    "period": "30d",
    "ratio": {
        "errors": 'sum(rate(payments_failures_total{rollouts_pod_template_hash="{{ canary_hash }}"}[{{ window }}]))',
        "total": CANARY_TOTAL,
    },
    "optional_metrics": ["payments_failures_total"],
}
ALLOWED = "which the check allows: it is in optional_metrics, its absence reads as zero events"


@pytest.mark.integration
class TestOptionalMetrics:
    """A name in optional_metrics may be absent; every other name the check reads must still exist."""

    def test_an_absent_optional_metric_is_a_note_not_a_problem(self, tmp_path, prometheus):
        result = validate(tmp_path, prometheus.url, OPTIONAL, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "payments-error-budget-optional: PASS" in result.stdout
        assert f"note: metric payments_failures_total is not in this Prometheus, {ALLOWED}" in result.stdout
        assert "0 problems in 1 check" in result.stdout

    def test_the_same_metric_not_listed_as_optional_is_a_problem(self, tmp_path, prometheus):
        check = {key: value for key, value in OPTIONAL.items() if key != "optional_metrics"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric payments_failures_total does not exist in this Prometheus" in result.stdout
        assert "note:" not in result.stdout

    def test_a_misspelled_required_metric_beside_an_optional_one_is_a_problem(self, tmp_path, prometheus):
        ratio = {**OPTIONAL["ratio"], "total": CANARY_TOTAL.replace("http_requests_total", "http_request_total")}
        result = validate(tmp_path, prometheus.url, {**OPTIONAL, "ratio": ratio}, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: metric http_request_total does not exist in this Prometheus (did you mean http_requests_total?)"
        ) in result.stdout
        assert "1 problem in 1 check" in result.stdout
        assert f"note: metric payments_failures_total is not in this Prometheus, {ALLOWED}" in result.stdout

    def test_a_total_listed_in_optional_metrics_is_still_required(self, tmp_path, prometheus):
        # Without its total no window can judge: the check is inconclusive for ever, not "zero events".
        total = CANARY_TOTAL.replace("http_requests_total", "payments_requests_total")
        check = {
            **OPTIONAL,
            "ratio": {**OPTIONAL["ratio"], "total": total},
            "optional_metrics": ["payments_failures_total", "payments_requests_total"],
        }
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric payments_requests_total does not exist in this Prometheus" in result.stdout
        assert f"note: metric payments_failures_total is not in this Prometheus, {ALLOWED}" in result.stdout

    def test_an_absent_optional_metric_with_a_near_twin_names_it(self, tmp_path, prometheus):
        # A misspelt optional_metrics entry reads as zero errors for ever: the note says what it likely meant.
        errors = CANARY_TOTAL.replace("http_requests_total", "http_request_total").replace('"}', '", code=~"5.."}')
        check = {
            **OPTIONAL,
            "ratio": {**OPTIONAL["ratio"], "errors": errors},
            "optional_metrics": ["http_request_total"],
        }
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            "note: metric http_request_total is not in this Prometheus (did you mean http_requests_total?), which the "
            "check allows"
        ) in result.stdout

    def test_a_composite_allows_what_its_member_allows(self, tmp_path, prometheus):
        composite = {
            "name": "gate",
            "kind": "composite",
            "params": EXAMPLE_CANARY,
            "mode": "all",
            "members": [{"check": OPTIONAL["name"], "args": {"canary_hash": "{{ canary_hash }}"}}],
        }
        result = validate(tmp_path, prometheus.url, OPTIONAL, composite, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count(f"note: metric payments_failures_total is not in this Prometheus, {ALLOWED}") == 2

    def test_a_composite_member_requiring_what_another_allows_is_a_problem(self, tmp_path, prometheus):
        # Only the composite runs `failures` (its param has no example): its report is the one place the lint
        # sees that payments_failures_total, optional for the error budget, is required by the threshold check.
        failures = {
            "name": "failures",
            "kind": "prometheus",
            "params": {"canary_hash": {"type": "label_value", "required": True}},
            "query": 'sum(rate(payments_failures_total{rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))',
            "pass_if": "< 1",
        }
        composite = {
            "name": "gate",
            "kind": "composite",
            "params": EXAMPLE_CANARY,
            "mode": "all",
            "members": [
                {"check": OPTIONAL["name"], "args": {"canary_hash": "{{ canary_hash }}"}},
                {"check": "failures", "args": {"canary_hash": "{{ canary_hash }}"}},
            ],
        }
        result = validate(tmp_path, prometheus.url, OPTIONAL, failures, composite, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric payments_failures_total does not exist in this Prometheus" in result.stdout


@pytest.fixture(scope="module")
def bare_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """A Prometheus (URL, anchor) holding the rules of a Pyrra SLO run without --generic-rules (Pyrra's default:
    no pyrra_availability, no pyrra_objective) and of a Sloth SLO without slo:time_period:days: the session's
    Prometheus records those names for other SLOs, and a name is checked Prometheus-wide."""
    anchor = math.floor(time.time() / 60) * 60
    start, end = anchor - 3600, anchor + 600
    om = OpenMetrics()
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
        om.add(f"lo_http_requests:burnrate{window}", {"slo": "lo-api"}, lambda t: 0.0001, start, end, MINUTE)
    om.add("lo_http_requests:increase4w", {"slo": "lo-api"}, lambda t: 100000.0, start, end, MINUTE)
    sloth = {"sloth_id": "lo-sloth", "sloth_service": "lo", "sloth_slo": "sloth"}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        om.add(f"slo:sli_error:ratio_rate{window}", sloth, lambda t: 0.0001, start, end, MINUTE)
    om.add("slo:objective:ratio", sloth, lambda t: 0.999, start, end, MINUTE)
    tsdb = tmp_path_factory.mktemp("bare") / "tsdb"
    backfill(om, tsdb)
    process = PrometheusProcess(tsdb).start()
    try:
        yield process.url, anchor
    finally:
        process.stop()


PYRRA = {
    "name": "lo-pyrra",
    "kind": "error_budget",
    "objective": 99.9,
    "period": "28d",
    "pyrra": {"slo": "lo-api", "metric": "lo_http_requests"},
}
SLOTH = {
    "name": "lo-sloth",
    "kind": "error_budget",
    "objective": 99.9,
    "period": "30d",
    "sloth": {"sloth_id": "lo-sloth"},
}
NOT_GENERIC = "which the check allows: Pyrra records it only with --generic-rules; without it"


@pytest.mark.integration
class TestSloToolsOptionalNames:
    """Pyrra without --generic-rules and Sloth without slo:time_period:days are judged, so the lint passes them."""

    def test_pyrra_without_generic_rules(self, tmp_path, bare_prometheus):
        url, anchor = bare_prometheus
        result = validate(tmp_path, url, PYRRA, at=anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "lo-pyrra: PASS" in result.stdout
        assert f"note: metric pyrra_availability is not in this Prometheus, {NOT_GENERIC} the budget" in result.stdout
        assert f"note: metric pyrra_objective is not in this Prometheus, {NOT_GENERIC} the SLO's" in result.stdout
        assert "0 problems in 1 check" in result.stdout

    def test_pyrra_without_generic_rules_cannot_gate_the_budget(self, tmp_path, bare_prometheus):
        # min_budget_remaining reads pyrra_availability: without it the check can never pass.
        url, anchor = bare_prometheus
        result = validate(tmp_path, url, {**PYRRA, "min_budget_remaining": 0.1}, at=anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric pyrra_availability does not exist in this Prometheus" in result.stdout
        assert "1 problem in 1 check" in result.stdout

    def test_optional_metrics_cannot_excuse_what_the_budget_gate_reads(self, tmp_path, bare_prometheus):
        # optional_metrics excuses a raw counter of the SLI's errors, not a name the check cannot judge without.
        url, anchor = bare_prometheus
        check = {**PYRRA, "min_budget_remaining": 0.1, "optional_metrics": ["pyrra_availability"]}
        result = validate(tmp_path, url, check, at=anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric pyrra_availability does not exist in this Prometheus" in result.stdout

    def test_a_misspelled_pyrra_metric_is_still_a_problem(self, tmp_path, bare_prometheus):
        url, anchor = bare_prometheus
        check = {**PYRRA, "pyrra": {**PYRRA["pyrra"], "metric": "lo_http_request"}}
        result = validate(tmp_path, url, check, at=anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: recording rules lo_http_request:burnrate1h" in result.stdout

    def test_sloth_without_its_recorded_period(self, tmp_path, bare_prometheus):
        url, anchor = bare_prometheus
        result = validate(tmp_path, url, SLOTH, at=anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "lo-sloth: PASS" in result.stdout
        assert "note: recording rule slo:time_period:days is not in this Prometheus, which the check allows" in (
            result.stdout
        )
        assert "0 problems in 1 check" in result.stdout


# docs/kinds/prometheus.md's optional_metrics example, on the session's data.
PROMETHEUS_OPTIONAL = {
    "name": "payments-failures-optional",
    "kind": "prometheus",
    "params": EXAMPLE_CANARY,
    "query": '(sum(rate(payments_failures_total{rollouts_pod_template_hash="{{ canary_hash }}"}[5m])) or vector(0)) / '
    + CANARY_TOTAL.replace("{{ window }}", "5m"),
    "pass_if": "< 0.01",
    "optional_metrics": ["payments_failures_total"],
}


@pytest.mark.integration
class TestOptionalMetricsOfAPrometheusCheck:
    """A `prometheus` check's optional metric beside its fallback may be absent: a note, and the check passes."""

    def test_an_absent_optional_metric_is_a_note_not_a_problem(self, tmp_path, prometheus):
        result = validate(tmp_path, prometheus.url, PROMETHEUS_OPTIONAL, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "payments-failures-optional: PASS" in result.stdout
        assert (
            "note: metric payments_failures_total is not in this Prometheus, which the check allows: it is in "
            "optional_metrics, its absence reads as the fallback's value"
        ) in result.stdout

    def test_the_same_metric_not_listed_as_optional_is_an_error_and_a_problem(self, tmp_path, prometheus):
        check = {key: value for key, value in PROMETHEUS_OPTIONAL.items() if key != "optional_metrics"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "payments-failures-optional: ERROR query selector payments_failures_total{" in result.stdout
        assert "problem: metric payments_failures_total does not exist in this Prometheus" in result.stdout
