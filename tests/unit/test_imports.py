"""Pyrra, Sloth and OpenSLO SLO documents become equivalent error_budget checks (CLI and catalog loader)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.catalog import build_catalog, load_catalog
from analyzer.cli import EXIT_INVALID_CATALOG, EXIT_PASS, main
from analyzer.errors import ConfigError
from analyzer.imports import convert, detect_format
from analyzer.registry import Registry
from checks.error_budget import ErrorBudgetCheck
from tests.unit.test_catalog_paths import configmap_items_mount

EXAMPLES = Path(__file__).parent / "data"

PYRRA = """
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-errors
  namespace: monitoring
spec:
  target: "99.9"
  window: 28d
  description: API requests succeed
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="api", code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
"""

PYRRA_LATENCY = """
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-latency}
spec:
  target: "99"
  window: 2w
  indicator:
    latency:
      success: {metric: 'http_request_duration_seconds_bucket{job="api",le="1"}'}
      total: {metric: 'http_request_duration_seconds_count{job="api"}'}
"""

SLOTH_SPEC = """
version: prometheus/v1
service: payments
labels: {owner: team-a}
slos:
  - name: requests-availability
    objective: 99.95
    description: payments answer
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="payments",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="payments"}[{{.window}}]))
  - name: requests-latency
    objective: 99
    sli:
      raw:
        error_ratio_query: x
"""

SLOTH_CRD = """
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: payments}
spec:
  service: payments
  slos:
    - name: availability
      objective: 99.9
      sli: {events: {errorQuery: a, totalQuery: b}}
"""

OPENSLO = """
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-ratio}
spec:
  ratioMetric:
    counter: true
    good:
      metricSource: {type: Prometheus, spec: {query: 'sum(http_requests_total{service="checkout", code!~"5.."})'}}
    total:
      metricSource: {type: Prometheus, spec: {query: 'http_requests_total{service="checkout"}'}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability}
spec:
  service: checkout
  indicatorRef: checkout-ratio
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: main, target: 0.999}]
"""

OPENSLO_INLINE_BAD = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: search}
spec:
  service: search
  indicator:
    metadata: {name: search-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'search_requests_total{code="500"}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: search_requests_total}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}, {targetPercent: 99.9}]
"""


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


def validated(checks):
    """The checks, through the same validation the catalog runs."""
    catalog = build_catalog(
        [("t", {"sources": {"default": {"type": "prometheus", "url": "http://p:9090"}}, "checks": checks})],
        Registry([ErrorBudgetCheck]),
    )
    return catalog.checks


class TestDetect:
    """Each tool's documents are recognised; anything else is not."""

    @pytest.mark.parametrize(
        ("text", "expected"), [(PYRRA, "pyrra"), (SLOTH_SPEC, "sloth"), (SLOTH_CRD, "sloth"), (OPENSLO, "openslo")]
    )
    def test_formats(self, text, expected):
        assert detect_format(docs(text)[0]) == expected

    def test_catalog_document_is_not_an_slo(self):
        assert detect_format({"sources": {}, "checks": []}) is None
        assert detect_format({"apiVersion": "v1", "kind": "ConfigMap"}) is None


class TestPyrra:
    """A Pyrra SLO reads Pyrra's own burnrate recording rules, named and labelled as Pyrra names them."""

    def test_ratio(self):
        [check] = convert(docs(PYRRA))
        assert check == {
            "name": "api-errors",
            "kind": "error_budget",
            "description": "API requests succeed",
            "source": "default",
            "objective": 99.9,
            "period": "28d",
            "pyrra": {
                "slo": "api-errors",
                "metric": "http_requests",
                "selectors": 'job="api"',
                "total": 'http_requests_total{job="api"}',
                "errors": 'http_requests_total{job="api", code=~"5.."}',
            },
        }
        assert validated([check])["api-errors"]._tiers[0].factor == 14

    def test_budget_remaining_reads_pyrra_availability_by_slo_alone(self):
        # Pyrra's generic rules label pyrra_availability (and pyrra_objective) with `slo` only, not with the
        # metric's matchers.
        [check] = convert(docs(PYRRA))
        plan = validated([{**check, "min_budget_remaining": 0}])["api-errors"].plan({})
        assert plan.period == {
            "availability": 'pyrra_availability{slo="api-errors"}',
            "availability_age": 'max(time() - timestamp(pyrra_availability{slo="api-errors"}))',
            "objective": 'pyrra_objective{slo="api-errors"}',
            "window": 'pyrra_window{slo="api-errors"}',
        }
        assert plan.windows["1h"] == {
            "ratio": 'http_requests:burnrate1h{slo="api-errors", job="api"}',
            # The burnrate group's age, on every window's rule, the shortest first.
            "ratio_age": "max("
            + " or ".join(
                f'time() - timestamp(http_requests:burnrate{w}{{slo="api-errors", job="api"}})'
                for w in ("5m", "30m", "1h", "2h", "6h", "1d", "4d")
            )
            + ")",
            "total": 'sum(rate(http_requests_total{job="api"}[1h]))',
            "errors": 'sum(rate(http_requests_total{job="api", code=~"5.."}[1h]))',
            # The increase rules the existence probe reads, whose labels tell the SLO's from a same-name one's.
            "rules": 'http_requests:increase4w{slo="api-errors", job="api"}',
            "rules_5m": 'http_requests:increase5m{slo="api-errors", job="api"}',
            # The period's own query: its series' labels (propagated, or the ruler's) are the SLO's rules' too.
            "generic_labels": 'pyrra_availability{slo="api-errors"}',
        }

    def test_latency_uses_the_count_metric_prefix(self):
        [check] = convert(docs(PYRRA_LATENCY))
        assert check["pyrra"]["metric"] == "http_request_duration_seconds"
        # Latency errors are total - success, no selector: pyrra.errors cannot be given.
        assert "errors" not in check["pyrra"]
        assert check["objective"] == 99 and check["period"] == "2w"


class TestObjectivesWrittenAsRatios:
    """A percent field written as a ratio (0.999 for 99.9) is refused, naming the field and the percent meant."""

    @pytest.mark.parametrize(
        ("text", "field", "written", "meant"),
        [
            (PYRRA.replace('target: "99.9"', 'target: "0.999"'), "spec.target", "'0.999'", "99.9"),
            (PYRRA.replace('target: "99.9"', "target: 0.5"), "spec.target", "0.5", "50"),
            (SLOTH_SPEC.replace("objective: 99.95", "objective: 0.9995"), "slos[0].objective", "0.9995", "99.95"),
            (
                OPENSLO_INLINE_BAD.replace("targetPercent: 99.9", "targetPercent: 0.999"),
                "objectives[1].targetPercent",
                "0.999",
                "99.9",
            ),
        ],
    )
    def test_refused_naming_the_percent_meant(self, text, field, written, meant):
        with pytest.raises(ValueError) as raised:
            convert(docs(text))
        message = str(raised.value)
        assert f"{field} {written} is a percent" in message
        assert f"write {meant}" in message

    @pytest.mark.parametrize("target", ['"1"', '"99.9"', '"50"'])
    def test_a_percent_of_one_or_more_is_kept(self, target):
        [check] = convert(docs(PYRRA.replace('target: "99.9"', f"target: {target}")))
        assert check["objective"] == float(target.strip('"'))


class TestImportedWarnings:
    """An imported check warns only of what applies to its SLO type, each warning saying what to do for it."""

    def test_a_latency_slo_says_so_and_is_not_warned(self):
        # Before: every load warned, with nothing a latency SLO could do (its errors are no selector).
        [check] = convert(docs(PYRRA_LATENCY))
        assert check["pyrra"]["indicator"] == "latency"
        assert validated([check])["api-latency"].warnings() == []

    def test_an_undeclared_latency_slo_is_told_what_it_can_do(self):
        [check] = convert(docs(PYRRA_LATENCY))
        del check["pyrra"]["indicator"]
        [warning] = validated([check])["api-latency"].warnings()
        assert "Say which: indicator: latency (as analyzer import writes a latency SLO), or give a ratio SLO " in (
            warning
        )
        # The latency SLI it offers loads, with the success metric's le, and warns of nothing.
        offered = yaml.safe_load(warning[warning.index("{metric") : -1].replace("<the success metric's le>", "1"))
        assert offered == {"metric": "http_request_duration_seconds", "threshold_s": 1, "selectors": 'job="api"'}
        rewritten = {key: value for key, value in check.items() if key != "pyrra"} | {"latency": offered}
        assert validated([rewritten])["api-latency"].warnings() == []

    def test_a_latency_slo_with_errors_is_refused(self):
        [check] = convert(docs(PYRRA_LATENCY))
        check["pyrra"]["errors"] = 'http_request_duration_seconds_count{job="api"}'
        with pytest.raises(ConfigError, match="a Pyrra latency SLO's errors are its total minus the success bucket"):
            validated([check])

    def test_a_ratio_slo_without_its_errors_is_still_told_to_give_them(self):
        [check] = convert(docs(PYRRA))
        del check["pyrra"]["errors"]
        [warning] = validated([check])["api-errors"].warnings()
        assert warning.startswith("without pyrra.errors a window whose rule recorded nothing")

    def test_a_sloth_sli_summing_recorded_counts_is_told_what_it_can_do(self):
        # Before: "... belongs in increase() or count_over_time()", which a sum of recorded counts cannot be.
        spec = yaml.safe_load(SLOTH_SPEC)
        spec["slos"] = [spec["slos"][0]]
        spec["slos"][0]["sli"]["events"] = {
            "error_query": 'sum(sum_over_time(job:http_errors:increase5m{job="payments"}[{{.window}}]))',
            "total_query": 'sum(sum_over_time(job:http_requests:increase5m{job="payments"}[{{.window}}]))',
        }
        [check] = convert([spec])
        [warning] = validated([check])["payments-requests-availability"].warnings()
        assert warning.endswith(
            "a total that counts its window's events belongs in increase() or count_over_time(), as "
            "sloth.errors_query then (only this check reads them, not Sloth); one that sums recorded counts, which "
            "they cannot count, with min_events_per_window: 0 (each window judged on its ratio, as such a total has "
            "it judged already)"
        )
        assert validated([check | {"min_events_per_window": 0}])["payments-requests-availability"].warnings() == []

    def test_target_float_noise_is_gone(self):
        document = docs(PYRRA)[0]
        document["spec"]["target"] = 99.90000000000001
        assert convert([document])[0]["objective"] == 99.9

    def test_real_example_reads_the_rules_of_its_total_metric(self):
        # Pyrra's own example: errors and total are different metrics; the burnrate rules are named after the total.
        text = (EXAMPLES / "pyrra" / "slo-prometheus-rule-evaluation-failures.yaml").read_text()
        [check] = convert(docs(text))
        assert (check["objective"], check["period"]) == (99.99, "2w")
        assert check["pyrra"]["metric"] == "prometheus_rule_evaluations"
        assert check["pyrra"]["selectors"] == 'job="prometheus-k8s"'

    @pytest.mark.parametrize("target", ["Infinity", "-Inf", "NaN", float("inf")])
    def test_a_target_that_is_no_finite_number_is_refused_by_name(self, target):
        # Decimal reads these, and could not round them: the import (and a catalog holding the SLO) crashed.
        document = docs(PYRRA)[0]
        document["spec"]["target"] = target
        with pytest.raises(ValueError, match=r"spec\.target .* is not a finite number"):
            convert([document])

    @pytest.mark.parametrize("window", [None, ""])
    def test_an_slo_without_window_is_refused(self, window):
        # Pyrra refuses it ("window must be set"): 28d would be a guess, with tiers scaled to a period no rule has.
        document = docs(PYRRA)[0]
        document["spec"]["window"] = window
        with pytest.raises(ValueError, match=r"spec\.window is missing"):
            convert([document])

    def test_grouped_slo_is_refused(self):
        document = docs(PYRRA)[0]
        document["spec"]["indicator"]["ratio"]["grouping"] = ["route"]
        with pytest.raises(ValueError, match="grouping: a grouped SLO records one series per group"):
            convert([document])


class TestSloth:
    """Every SLO of a Sloth spec (plain or CRD) reads slo:sli_error:ratio_rate<window> by sloth_id."""

    def test_plain_spec(self):
        checks = convert(docs(SLOTH_SPEC), sloth_period="28d")
        assert [(c["name"], c["objective"], c["period"], c["sloth"]) for c in checks] == [
            (
                "payments-requests-availability",
                99.95,
                "28d",
                {
                    "sloth_id": "payments-requests-availability",
                    "total_query": 'sum(rate(http_requests_total{job="payments"}[{{ window }}]))',
                    "errors_query": 'sum(rate(http_requests_total{job="payments",code=~"5.."}[{{ window }}]))',
                },
            ),
            ("payments-requests-latency", 99, "28d", {"sloth_id": "payments-requests-latency"}),
        ]
        assert len(validated(checks)) == 2

    def test_crd_defaults_to_30d(self):
        [check] = convert(docs(SLOTH_CRD))
        assert check["period"] == "30d" and check["sloth"] == {"sloth_id": "payments-availability"}

    def test_crd_total_query_is_camel_case(self):
        crd = SLOTH_CRD.replace("totalQuery: b", 'totalQuery: "sum(rate(http_requests_total[{{.window}}]))"')
        [check] = convert(docs(crd))
        assert check["sloth"]["total_query"] == "sum(rate(http_requests_total[{{ window }}]))"

    def test_crd_error_query_is_camel_case(self):
        crd = SLOTH_CRD.replace("totalQuery: b", 'totalQuery: "sum(rate(r_total[{{.window}}]))"').replace(
            "errorQuery: a", "errorQuery: \"sum(rate(r_total{code='5'}[{{ .window }}]))\""
        )
        [check] = convert(docs(crd))
        assert check["sloth"]["errors_query"] == "sum(rate(r_total{code='5'}[{{ window }}]))"
        assert validated([check])["payments-availability"].warnings() == []

    @pytest.mark.parametrize(
        ("error_query", "total_query"),
        [
            ("sum(rate(r_total{code='5'}[{{.window}}]))", "sum(increase(r_total[{{.window}}]))"),
            ("sum(count_over_time((probe_success == 0)[{{.window}}:]))", "sum(rate(probe_total[{{.window}}]))"),
        ],
    )
    def test_an_sli_dividing_a_rate_by_a_count_is_refused(self, error_query, total_query):
        # Sloth records error_query / total_query: 5% errors over 5m as 0.05 / 300, a check that always passed.
        crd = SLOTH_CRD.replace("totalQuery: b", f'totalQuery: "{total_query}"').replace(
            "errorQuery: a", f'errorQuery: "{error_query}"'
        )
        checks = convert(docs(crd))
        with pytest.raises(
            ConfigError, match=r"Sloth's recorded ratio \(error_query / total_query\) is no error ratio"
        ):
            validated(checks)

    def test_an_error_query_without_a_usable_total_query_is_left_out(self):
        # errors_query needs total_query; the check then warns that it cannot tell zero from no traffic.
        crd = SLOTH_CRD.replace("errorQuery: a", 'errorQuery: "sum(rate(r_total[{{.window}}]))"')
        [check] = convert(docs(crd))
        assert check["sloth"] == {"sloth_id": "payments-availability"}


SLOTH_DATA = EXAMPLES / "sloth"
_SLOTH_ALERT_RE = re.compile(r'slo:sli_error:ratio_rate(\w+)\{sloth_id="svc01-slo1"[^}]*\} > \(([0-9.]+) \*')


def sloth_alert_tiers(generated: str) -> list[tuple[str, str, float]]:
    """(long, short, factor) of each tier of svc01-slo1's alerts in Sloth's generated rules (short window first)."""
    found = _SLOTH_ALERT_RE.findall((SLOTH_DATA / generated).read_text())
    # Rounded: Sloth prints float noise (5.6000000000000005) that the check's 1e-9 tolerance ignores.
    return [
        (long, short, round(float(factor), 9))
        for (short, factor), (long, _) in zip(found[::2], found[1::2], strict=True)
    ]


def check_tiers(check: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(t.long, t.short, round(t.factor, 9)) for t in validated([check])[check["name"]].tiers_in_force]


class TestSlothAlertWindows:
    """The check's tiers are the windows and factors of the alerts Sloth generates for the SLO's period."""

    @pytest.mark.parametrize(("period", "generated"), [("30d", "out-base.yaml.tpl"), ("28d", "out-base-28d.yaml.tpl")])
    def test_built_in_periods_judge_by_sloths_own_tiers(self, period, generated):
        [check, _] = convert(docs((SLOTH_DATA / "in-base.yaml").read_text()), sloth_period=period)
        assert "tiers" not in check
        assert check_tiers(check) == sloth_alert_tiers(generated)

    def test_alert_windows_give_the_tiers_sloth_alerts_by(self):
        # Sloth's 7d windows page at x13.44 over 1h/5m and x3.5 over 6h/30m; the workbook's scaled to 7d would say
        # x3.36 and x1.4.
        documents = docs((SLOTH_DATA / "in-base.yaml").read_text()) + docs((SLOTH_DATA / "windows-7d.yaml").read_text())
        [check, _] = convert(documents, sloth_period="7d")
        generated = sloth_alert_tiers("out-base-custom-windows-7d.yaml.tpl")
        assert check_tiers(check) == generated
        assert [t["severity"] for t in check["tiers"]] == ["page", "page", "ticket", "ticket"]
        recorded = set(
            re.findall(
                r"record: slo:sli_error:ratio_rate(\w+)",
                (SLOTH_DATA / "out-base-custom-windows-7d.yaml.tpl").read_text(),
            )
        )
        assert {w for long, short, _ in generated for w in (long, short)} <= recorded

    def test_another_period_without_its_alert_windows_is_refused(self):
        # Sloth itself generates no rules for it without the windows: tiers scaled from the workbook would be a guess.
        with pytest.raises(ValueError, match="period 7d: Sloth has alert windows only for 28d and 30d"):
            convert(docs((SLOTH_DATA / "in-base.yaml").read_text()), sloth_period="7d")

    def test_openslo_v1alpha_time_window_takes_its_alert_windows(self):
        # Sloth reads a v1alpha SLO's timeWindows as its period: 7 days alerts by the 7d AlertWindows.
        [slo] = docs((EXAMPLES / "openslo" / "sloth-openslo-getting-started.yml").read_text())
        slo["spec"]["timeWindows"][0]["count"] = 7
        with pytest.raises(ValueError, match=r"timeWindows\[0\] 7d: Sloth has alert windows only for 28d and 30d"):
            convert([slo])
        [check] = convert([slo, *docs((SLOTH_DATA / "windows-7d.yaml").read_text())])
        assert (check["period"], [t["factor"] for t in check["tiers"]]) == ("7d", [13.44, 3.5, 1.4, 0.98])

    def test_alert_windows_without_a_percent_are_refused_by_field(self):
        windows = docs((SLOTH_DATA / "windows-7d.yaml").read_text())[0]
        del windows["spec"]["page"]["slow"]["errorBudgetPercent"]
        with pytest.raises(ValueError, match=r"spec\.page\.slow\.errorBudgetPercent None"):
            convert([*docs(SLOTH_SPEC), windows], sloth_period="7d")

    def test_import_command_reads_the_windows_file(self, tmp_path, capsys):
        spec = tmp_path / "spec.yaml"
        spec.write_text((SLOTH_DATA / "in-base.yaml").read_text())
        windows = str(SLOTH_DATA / "windows-7d.yaml")
        assert main(["import", "sloth", str(spec), "--period", "7d", "--sloth-windows", windows]) == EXIT_PASS
        out = capsys.readouterr().out
        printed = yaml.safe_load(out)
        assert [t["factor"] for t in printed["checks"][0]["tiers"]] == [13.44, 3.5, 1.4, 0.98]
        # Each check has its own tiers, written out: no YAML alias a reader has to chase.
        assert printed["checks"][1]["tiers"] == printed["checks"][0]["tiers"] and "*id" not in out

    def test_catalog_loader_reads_alert_windows_beside_the_slo(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "spec.yaml").write_text(SLOTH_SPEC)
        windows = docs((SLOTH_DATA / "windows-7d.yaml").read_text())[0]
        windows["spec"]["sloPeriod"] = "30d"
        (tmp_path / "windows.yaml").write_text(yaml.safe_dump(windows))
        catalog = load_catalog(tmp_path, Registry([ErrorBudgetCheck]))
        tiers = catalog.checks["payments-requests-availability"].tiers_in_force
        assert [t.factor for t in tiers] == pytest.approx([57.6, 15, 6, 4.2])


class TestOpenSLO:
    """OpenSLO ratio metrics of counters become ratio templates rated over each window."""

    def test_good_over_total_with_indicator_ref(self):
        [check] = convert(docs(OPENSLO))
        assert check["objective"] == 99.9 and check["period"] == "28d"
        total = 'sum(rate(http_requests_total{service="checkout"}[{{ window }}]))'
        assert check["ratio"] == {
            "total": total,
            "errors": f'{total} - (sum(rate(http_requests_total{{service="checkout", code!~"5.."}}'
            "[{{ window }}])) or vector(0))",
        }
        assert validated([check])

    def test_other_openslo_kinds_are_skipped(self):
        service = {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "checkout"}, "spec": {}}
        assert [c["name"] for c in convert([service, *docs(OPENSLO)])] == ["checkout-availability"]

    def test_bad_inline_and_several_objectives(self):
        checks = convert(docs(OPENSLO_INLINE_BAD))
        assert [(c["name"], c["objective"]) for c in checks] == [("search-1", 99), ("search-2", 99.9)]
        assert checks[0]["ratio"]["errors"] == 'sum(rate(search_requests_total{code="500"}[{{ window }}]))'
        assert len(validated(checks)) == 2

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"budgetingMethod": "Timeslices"}, "only Occurrences"),
            ({"timeWindow": [{"duration": "1M", "isRolling": False}]}, "only one rolling window"),
            ({"indicatorRef": "nope"}, "names no SLI document"),
        ],
    )
    def test_unconvertible(self, change, message):
        slo = docs(OPENSLO)[1]
        slo["spec"].update(change)
        with pytest.raises(ValueError, match=message):
            convert([docs(OPENSLO)[0], slo])

    def test_a_composite_objective_judges_its_own_sli(self):
        # OpenSLO v1: an objective's own indicator(Ref) is its SLI (composite SLOs); the others use the SLO's.
        sli, slo = docs(OPENSLO)
        search = docs(OPENSLO_INLINE_BAD)[0]["spec"]["indicator"]
        slo["spec"]["objectives"] = [
            {"displayName": "checkout", "target": 0.999},
            {"target": 0.99, "indicator": search},
        ]
        checkout, own = convert([sli, slo])
        assert "http_requests_total" in checkout["ratio"]["total"]
        assert own["ratio"]["errors"] == 'sum(rate(search_requests_total{code="500"}[{{ window }}]))'
        del slo["spec"]["indicatorRef"]
        slo["spec"]["objectives"][0]["indicatorRef"] = "checkout-ratio"
        assert [c["ratio"] for c in convert([sli, slo])] == [checkout["ratio"], own["ratio"]]

    def test_a_weighted_composite_is_refused(self):
        sli, slo = docs(OPENSLO)
        slo["spec"]["objectives"][0]["compositeWeight"] = 2
        with pytest.raises(ValueError, match=r"objectives\[0\]\.compositeWeight 2: a weighted composite"):
            convert([sli, slo])

    def test_a_weight_that_is_a_flag_is_refused(self):
        # YAML's `true` compares equal to 1 in Python; OpenSLO's weight is a number.
        sli, slo = docs(OPENSLO)
        slo["spec"]["objectives"][0]["compositeWeight"] = True
        with pytest.raises(ValueError, match=r"objectives\[0\]\.compositeWeight True"):
            convert([sli, slo])

    def test_threshold_metric_is_refused(self):
        sli, slo = docs(OPENSLO)
        sli["spec"] = {"thresholdMetric": {"metricSource": {"type": "Prometheus", "spec": {"query": "x"}}}}
        with pytest.raises(ValueError, match="no ratioMetric"):
            convert([sli, slo])

    def test_a_raw_ratio_is_refused_as_such(self):
        # Before: "ratioMetric.total.metricSource.type must be Prometheus, got None", of a Prometheus raw ratio.
        sli, slo = docs(OPENSLO)
        query = {"metricSource": {"type": "Prometheus", "spec": {"query": "sum(rate(e[5m])) / sum(rate(t[5m]))"}}}
        sli["spec"] = {"ratioMetric": {"counter": True, "rawType": "failure", "raw": query}}
        with pytest.raises(ValueError, match=r"ratioMetric\.raw is a precomputed ratio, which does not convert"):
            convert([sli, slo])

    def test_a_null_raw_beside_the_counts_converts(self):
        # Before: `raw: null` (a serializer writing every field) was refused as a precomputed ratio, of an SLI whose
        # good and total convert.
        sli, slo = docs(OPENSLO)
        sli["spec"]["ratioMetric"]["raw"] = None
        [check] = convert([sli, slo])
        assert check == convert(docs(OPENSLO))[0]

    def test_a_ratio_metric_that_is_text_is_not_called_a_raw_ratio(self):
        # Before: "ratioMetric.raw is a precomputed ratio", of `ratioMetric: raw-ish` (the text holds "raw").
        sli, slo = docs(OPENSLO)
        sli["spec"]["ratioMetric"] = "raw-ish"
        with pytest.raises((AttributeError, TypeError, ValueError)) as raised:
            convert([sli, slo])
        assert "precomputed" not in str(raised.value)


class TestCatalogLoader:
    """A catalog directory may hold the SLO documents themselves, beside the file defining the sources."""

    def test_directory_with_pyrra_sloth_and_openslo(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "pyrra.yaml").write_text(PYRRA)
        (tmp_path / "sloth.yaml").write_text(SLOTH_CRD)
        (tmp_path / "openslo.yaml").write_text(OPENSLO)
        catalog = load_catalog(tmp_path, Registry.default())
        assert sorted(catalog.checks) == ["api-errors", "checkout-availability", "payments-availability"]
        assert catalog.checks["api-errors"].kind == "error_budget"

    def test_a_mounted_configmap_of_slos_alone_is_a_catalog(self, tmp_path):
        # SLO documents have an apiVersion and a kind: a mount of them alone is no "ConfigMap of Kubernetes objects".
        root = configmap_items_mount(tmp_path / "catalog", {"pyrra.yaml": PYRRA, "teams/sloth.yaml": SLOTH_CRD})
        (root / "..data" / "sources.yaml").write_text("sources:\n  default: {url: 'http://p:9090'}\n")
        (root / "sources.yaml").symlink_to("..data/sources.yaml")
        assert sorted(load_catalog(root, Registry.default()).checks) == ["api-errors", "payments-availability"]

    def test_unconvertible_document_names_file_and_slo(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "pyrra.yaml").write_text(PYRRA.replace("indicator:", "indicatorx:"))
        with pytest.raises(ConfigError) as raised:
            load_catalog(tmp_path, Registry.default())
        assert any(
            "pyrra.yaml: pyrra ServiceLevelObjective 'api-errors': spec.indicator has none of" in p
            for p in raised.value.problems
        )

    def test_malformed_document_is_a_problem_not_a_crash(self):
        with pytest.raises(ConfigError, match="malformed document"):
            build_catalog(
                [("x.yaml", {"version": "prometheus/v1", "service": "a", "slos": ["oops"]})], Registry.default()
            )


class TestImportCommand:
    """`analyzer import FORMAT FILE` prints a catalog fragment that loads."""

    def test_prints_loadable_checks(self, tmp_path, capsys):
        path = tmp_path / "slo.yaml"
        path.write_text(PYRRA)
        assert main(["import", "pyrra", str(path), "--source", "prom"]) == EXIT_PASS
        output = capsys.readouterr().out
        assert output.startswith("# error_budget checks imported from pyrra slo.yaml")
        fragment = yaml.safe_load(output)
        assert fragment["checks"][0]["source"] == "prom"
        catalog = build_catalog(
            [("t", {"sources": {"prom": {"type": "prometheus", "url": "http://p:9090"}}, **fragment})],
            Registry.default(),
        )
        assert list(catalog.checks) == ["api-errors"]

    def test_wrong_format_is_refused(self, tmp_path, capsys):
        path = tmp_path / "slo.yaml"
        path.write_text(PYRRA)
        assert main(["import", "sloth", str(path)]) == EXIT_INVALID_CATALOG
        assert (
            "document 1 is not a sloth SLO: it is a pyrra document, which `analyzer import pyrra` reads"
            in capsys.readouterr().err
        )

    def test_a_catalog_document_is_named_as_one(self, tmp_path, capsys):
        path = tmp_path / "slo.yaml"
        path.write_text("sources:\n  default: {url: 'http://p:9090'}\n---\n" + PYRRA)
        assert main(["import", "pyrra", str(path)]) == EXIT_INVALID_CATALOG
        assert (
            "document 1 is not a pyrra SLO: it is catalog YAML (`sources`, `checks`), which the analyzer reads as it "
            "is, without an import" in capsys.readouterr().err
        )

    def test_a_file_that_is_not_there_is_said_as_validate_says_it(self, tmp_path, capsys):
        # Before: "analyzer: .../slo.yaml: [Errno 2] No such file or directory: '.../slo.yaml'".
        path = tmp_path / "slo.yaml"
        assert main(["import", "pyrra", str(path)]) == EXIT_INVALID_CATALOG
        assert capsys.readouterr().err == f"analyzer: {str(path)!r} does not exist\n"

    def test_a_directory_is_said_in_the_os_words(self, tmp_path, capsys):
        assert main(["import", "pyrra", str(tmp_path)]) == EXIT_INVALID_CATALOG
        assert capsys.readouterr().err == f"analyzer: {tmp_path}: Is a directory\n"


class TestNamesYAMLReadsAsNoText:
    """An SLO's name or service YAML 1.1 reads as no text (a bare `on` as true) is refused saying so, not renamed (a
    check `True` reading rules labelled slo="True") nor said missing (`off`, read as false)."""

    @pytest.mark.parametrize(
        ("word", "read_as"),
        [
            ("on", "true (a bare yes, on or true)"),
            ("off", "false (a bare no, off or false)"),
            ("0x10", "the number 16"),
            ("1_000", "the number 1000"),
            ("2024-01-01", "a date"),
        ],
    )
    @pytest.mark.parametrize(
        ("text", "written", "field"),
        [
            (PYRRA, "name: api-errors", "metadata.name"),
            (SLOTH_SPEC, "service: payments", "service"),
            (SLOTH_SPEC, "- name: requests-availability", "slos[0].name"),
            (OPENSLO, "metadata: {name: checkout-availability}", "metadata.name"),
        ],
    )
    def test_refused_naming_the_field(self, text, written, field, word, read_as):
        key, _, value = written.partition(": ")
        changed = text.replace(written, f"{key}: " + value.replace(value.strip("{}").partition(": ")[2] or value, word))
        assert changed != text
        with pytest.raises(ValueError) as raised:
            convert(docs(changed), sloth_period="28d")
        assert str(raised.value).endswith(f"{field}: YAML reads it as {read_as}, not as text: quote it")

    @pytest.mark.parametrize(
        ("field", "path"), [("metadata.name", ("metadata", "name")), ("spec.service", ("spec", "service"))]
    )
    def test_an_openslo_v1alpha_name(self, field, path):
        [document] = file_docs("sloth-openslo-getting-started.yml")
        document[path[0]][path[1]] = True
        with pytest.raises(ValueError, match=rf"{field}: YAML reads it as true \(a bare yes, on or true\), not as"):
            convert([document])

    def test_a_missing_name_is_said_missing(self):
        with pytest.raises(ValueError, match=r"metadata\.name is missing$"):
            convert(docs(PYRRA.replace("name: api-errors", "name:")))

    def test_quoted_it_is_the_text_written(self):
        [check] = convert(docs(PYRRA.replace("name: api-errors", "name: 'on'")))
        assert check["name"] == check["pyrra"]["slo"] == "on"

    def test_in_a_catalog_it_is_a_problem_of_the_catalog(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "pyrra.yaml").write_text(PYRRA.replace("name: api-errors", "name: on"))
        with pytest.raises(ConfigError) as raised:
            load_catalog(tmp_path, Registry.default(), only="x")
        assert raised.value.problems == [
            f"{tmp_path / 'pyrra.yaml'}: pyrra ServiceLevelObjective True: metadata.name: YAML reads it as true "
            "(a bare yes, on or true), not as text: quote it"
        ]


DATA = Path(__file__).parent / "data" / "openslo"


def file_docs(name: str) -> list[Any]:
    return docs((DATA / name).read_text(encoding="utf-8"))


class TestOpenSLOV1Alpha:
    """Sloth's OpenSLO v1alpha SLOs convert as Sloth reads them; other v1alpha SLOs are refused saying why."""

    def test_sloth_getting_started_reads_the_rules_sloth_generates(self):
        [check] = convert(file_docs("sloth-openslo-getting-started.yml"))
        # The sloth_id label of the rules Sloth generates from this file (slok/sloth
        # examples/_gen/openslo-getting-started.yml).
        assert check["sloth"] == {"sloth_id": "my-service-sloth-slo-my-service-0"}
        assert (check["objective"], check["period"]) == (99.9, "30d")
        assert list(validated([check])) == ["my-service-sloth-slo-my-service-0"]

    def test_every_objective_is_one_sloth_slo(self):
        checks = convert(file_docs("sloth-openslo-kubernetes-apiserver.yml"))
        assert [(c["sloth"]["sloth_id"], c["objective"]) for c in checks] == [
            ("k8s-apiserver-requests-availability-openslo-0", 99.9),
            ("k8s-apiserver-requests-latency-openslo-0", 99.0),
            ("k8s-apiserver-requests-latency-openslo-1", 99.9),
        ]
        assert len(validated(checks)) == 3

    def test_without_time_windows_the_sloth_period_applies(self):
        [document] = file_docs("sloth-openslo-getting-started.yml")
        del document["spec"]["timeWindows"]
        assert convert([document], sloth_period="28d")[0]["period"] == "28d"

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"budgetingMethod": "Timeslices"}, "budgetingMethod 'Timeslices': only Occurrences"),
            (
                {"timeWindows": [{"count": 1, "unit": "Month", "isRolling": False}]},
                "timeWindows[0]: 1 'Month': Sloth reads a whole number of days",
            ),
            (
                {"objectives": [{"target": 0.99, "thresholdMetric": {"source": "prometheus", "query": "x"}}]},
                "objectives[0] has no ratioMetrics",
            ),
            (
                {
                    "objectives": [
                        {
                            "target": 0.99,
                            "ratioMetrics": {
                                "good": {"source": "datadog", "queryType": "query"},
                                "total": {"source": "prometheus", "queryType": "promql"},
                            },
                        }
                    ]
                },
                "objectives[0].ratioMetrics.good needs source prometheus and queryType promql",
            ),
        ],
    )
    def test_unconvertible_says_why_and_how(self, change, message):
        [document] = file_docs("sloth-openslo-getting-started.yml")
        document["spec"].update(change)
        with pytest.raises(ValueError) as raised:
            convert([document])
        assert message in str(raised.value)
        assert "OpenSLO v1alpha converts as Sloth reads it" in str(raised.value)
        assert "only one rolling window" not in str(raised.value)

    def test_other_versions_are_refused_by_version(self):
        [document] = file_docs("sloth-openslo-getting-started.yml")
        document["apiVersion"] = "openslo/v2alpha"
        with pytest.raises(ValueError, match="OpenSLO v2alpha is not supported; convert it to openslo/v1"):
            convert([document])


class TestOpenSLOLists:
    """A file that is one YAML list of OpenSLO objects (oslo, go-sdk) reads as those objects."""

    @pytest.mark.parametrize("name", ["oslo-validate-v1.yaml", "go-sdk-inline-v1_slo.yaml"])
    def test_real_list_files_give_the_real_reason(self, name):
        with pytest.raises(ValueError) as raised:
            convert(file_docs(name))
        assert "item 1 (openslo SLO" in str(raised.value)
        assert "budgetingMethod 'Timeslices': only Occurrences" in str(raised.value)

    def test_supported_slos_of_a_list_import(self):
        assert [c["name"] for c in convert([docs(OPENSLO)])] == ["checkout-availability"]

    def test_catalog_loader_reads_list_files(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "openslo.yaml").write_text(yaml.safe_dump(docs(OPENSLO)))
        (tmp_path / "sloth.yaml").write_text((DATA / "sloth-openslo-getting-started.yml").read_text())
        catalog = load_catalog(tmp_path, Registry.default())
        assert sorted(catalog.checks) == ["checkout-availability", "my-service-sloth-slo-my-service-0"]

    def test_catalog_loader_names_the_list_item(self, tmp_path):
        (tmp_path / "sources.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://p:9090'}\n")
        (tmp_path / "oslo.yaml").write_text((DATA / "oslo-validate-v1.yaml").read_text())
        with pytest.raises(ConfigError) as raised:
            load_catalog(tmp_path, Registry.default())
        assert any(
            "oslo.yaml item 1: openslo SLO 'web-availability': budgetingMethod 'Timeslices'" in p
            for p in raised.value.problems
        ), raised.value.problems

    def test_import_command_reads_sloth_v1alpha(self, tmp_path, capsys):
        path = tmp_path / "slo.yml"
        path.write_text((DATA / "sloth-openslo-kubernetes-apiserver.yml").read_text())
        assert main(["import", "openslo", str(path)]) == EXIT_PASS
        fragment = yaml.safe_load(capsys.readouterr().out)
        assert len(fragment["checks"]) == 3
