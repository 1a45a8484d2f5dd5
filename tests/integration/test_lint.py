"""`analyzer validate --prometheus URL` against the real Prometheus: what a catalog reads must exist there,
and each check's verdict now is printed."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trustme
import yaml

from tests.integration.test_error_budget import pyrra_check, sloth_check
from tests.integration.test_job_mode import plugin_installed
from tests.integration.test_prometheus_check import ERROR_RATIO
from tests.ports import refused_port

CANARY_NO_EXAMPLE = {"canary_hash": {"type": "label_value", "required": True}}
EXAMPLE_CANARY = {"canary_hash": {"type": "label_value", "required": True, "example": "healthy1"}}
GOOD = [
    {"name": "error-rate", "kind": "prometheus", "params": EXAMPLE_CANARY, "query": ERROR_RATIO, "pass_if": "< 0.01"},
    {
        "name": "api-latency",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_seconds", "threshold_s": 0.5, "selectors": 'service="eb-api"'},
    },
    {
        "name": "pyrra-api",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "eb-pyrra-api", "metric": "eb_http_requests"},
    },
]


def validate(tmp_path, url, *checks, at=None, catalog=None, ca_file=None):
    path = tmp_path / "catalog.yaml"
    sources = (catalog or {}).get("sources", {"default": {"url": "http://prometheus.monitoring:9090"}})
    path.write_text(yaml.safe_dump({"sources": sources, "checks": list(checks)}))
    extra = ["--at", str(at)] if at is not None else []
    extra += ["--ca-file", str(ca_file)] if ca_file is not None else []
    return subprocess.run(
        [sys.executable, "-m", "analyzer.cli", "validate", str(path), "--prometheus", url, *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
class TestLiveLint:
    """Names a check reads that Prometheus lacks are problems (exit 6); verdicts now are printed."""

    def test_a_catalog_whose_names_all_exist(self, tmp_path, prometheus):
        # The catalog names an in-cluster URL: --prometheus replaces it for every source.
        # Not the Pyrra check: the fixture records Pyrra's window rules but not its period rule (increase4w),
        # which the lint rightly reports (test_pyrra_rules_not_recorded).
        result = validate(tmp_path, prometheus.url, *GOOD[:2], at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "error-rate: PASS" in result.stdout
        assert "(args: canary_hash=healthy1)" in result.stdout
        assert "api-latency: FAIL" in result.stdout
        assert "problem" not in result.stdout.replace("0 problems", "")

    def test_a_secret_example_arg_is_not_printed(self, tmp_path, prometheus):
        secret = {"canary_hash": {**EXAMPLE_CANARY["canary_hash"], "secret": True}}
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "params": secret}, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "error-rate: PASS" in result.stdout
        assert "(args: canary_hash=<redacted>)" in result.stdout
        assert "healthy1" not in result.stdout + result.stderr

    def test_a_secret_example_arg_is_not_printed_in_a_problem(self, tmp_path, prometheus):
        # Before: the problem quoted the selector the dry run sent, the secret example in it.
        params = {"service": {"type": "label_value", "required": True, "secret": True, "example": "eb-api"}}
        query = 'histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket{service="{{ service }}"}[5m])))'
        check = {"name": "p99", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 0.5"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'problem: histogram eb_mixed_seconds_bucket (the series eb_mixed_seconds_bucket{service="<redacted>"} '
            "matches) has only the +Inf bucket"
        ) in result.stdout
        assert "eb-api" not in result.stdout + result.stderr

    def test_a_secret_number_example_is_not_printed_in_a_problem_as_the_query_holds_it(self, tmp_path, prometheus):
        # Before: the example written 4200.0 was hidden as "4200.0", while the selector quoted held it as sent, 4200.
        params = {"n": {"type": "number", "required": True, "secret": True, "example": 4200.0, "minimum": 1000}}
        query = 'histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket{service=~"eb-api|{{ n }}"}[5m])))'
        check = {"name": "p99", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 0.5"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert 'service=~"eb-api|<redacted>"} matches) has only the +Inf bucket' in result.stdout
        assert "4200" not in result.stdout + result.stderr

    def test_a_secret_example_arg_is_an_arg_a_label_need_not_have_yet(self, tmp_path, prometheus):
        # Before: its value, shown redacted, was taken for one the catalog wrote: a problem naming it, exit 6.
        params = {"service": {"type": "label_value", "required": True, "secret": True, "example": "checkouts"}}
        query = ERROR_RATIO.replace('"checkout"', '"{{ service }}"').replace("{{ canary_hash }}", "healthy1")
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "params": params, "query": query}, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "checkouts" not in result.stdout + result.stderr

    def test_misspelled_metric(self, tmp_path, prometheus):
        check = {**GOOD[0], "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6
        # The dry run alone would only say "no data": the lint names the mistake.
        assert "error-rate: INCONCLUSIVE" in result.stdout
        assert (
            "problem: metric http_request_total does not exist in this Prometheus (did you mean http_requests_total?)"
        ) in result.stdout

    def test_misspelled_label(self, tmp_path, prometheus):
        check = {**GOOD[0], "query": ERROR_RATIO.replace("rollouts_pod_template_hash", "rollout_pod_template_hash")}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6
        assert "problem: label rollout_pod_template_hash is not on metric http_requests_total" in result.stdout

    def test_the_pod_template_hash_not_scraped(self, tmp_path, prometheus):
        # Before: only "label rollouts_pod_template_hash is not on metric ...": nothing said that Prometheus drops a
        # pod's labels unless the scrape keeps them, the first thing a new installation meets.
        query = 'sum(rate(eb_latency_seconds_count{rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))'
        check = {
            "name": "canary-rate",
            "kind": "prometheus",
            "params": EXAMPLE_CANARY,
            "query": query,
            "pass_if": "> 0",
        }
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: label rollouts_pod_template_hash is not on metric eb_latency_seconds_count (its labels: "
            "__name__, service): Argo Rollouts labels each ReplicaSet's pods rollouts-pod-template-hash, and "
            "Prometheus puts a pod's label on the series it scrapes only when told to: podTargetLabels: "
            "[rollouts-pod-template-hash] in the ServiceMonitor or PodMonitor (Prometheus Operator), or a "
            "relabel_config copying __meta_kubernetes_pod_label_rollouts_pod_template_hash to "
            "rollouts_pod_template_hash\n"
        ) in result.stdout

    def test_the_pod_template_hash_on_a_pyrra_rule_says_the_rule_drops_it(self, tmp_path, prometheus):
        # Before: the scrape hint (podTargetLabels) for a Pyrra rule, which keeps only its SLO's grouping labels
        # whatever the scrape keeps: a team following it still had a check that errs at every measurement.
        check = {
            **GOOD[2],
            "params": EXAMPLE_CANARY,
            "pyrra": {**GOOD[2]["pyrra"], "selectors": 'rollouts_pod_template_hash="{{ canary_hash }}"'},
        }
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: label rollouts_pod_template_hash is not on metric eb_http_requests:burnrate5m (its labels: "
            "__name__, job, slo): a recording rule keeps only the labels its expression groups by (Pyrra's rules their "
            "SLO's grouping, Sloth's none but the SLO's own), whatever the scrape keeps, so it cannot tell the "
            "canary from the stable pods; judge the canary from the raw counters (an error_budget check with ratio: "
            'errors and total selecting rollouts_pod_template_hash="{{ canary_hash }}"), and the SLO as it is '
            "recorded in a check of its own\n"
        ) in result.stdout
        assert "podTargetLabels" not in result.stdout

    @pytest.mark.parametrize("matcher", ['cdoe=~"5..|"', 'cdoe=~".*"', 'cdoe!="500"', 'cdoe!~"5.."'])
    def test_a_matcher_that_matches_series_without_its_label_is_no_problem(self, tmp_path, prometheus, matcher):
        # Before: cdoe=~"5..|" and cdoe=~".*" were "label cdoe is not on metric http_requests_total", exit 6, while
        # they match every series without the label (as the check itself reads them, see needed_labels).
        query = f"sum(rate(http_requests_total{{{matcher}}}[5m])) or vector(0)"
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 problems in 1 check\n" in result.stdout
        # Before: nothing said so, while a slip of a label the series carry (cdoe for code) in a good-events ratio
        # counts every error as good, a pass for ever. A note (a correct catalog may select on a label some
        # installations lack), which changes no exit code.
        assert (
            f"note: label cdoe is not on metric http_requests_total (did you mean code?), so {matcher} matches every "
            "series of it and selects nothing away (its labels: __name__, code, "
        ) in result.stdout

    def test_a_matcher_on_a_label_without_a_twin_is_a_note_without_a_hint(self, tmp_path, prometheus):
        query = 'sum(rate(http_requests_total{zone!~"eu-.*"}[5m])) or vector(0)'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 problems in 1 check\n" in result.stdout
        assert (
            'note: label zone is not on metric http_requests_total, so zone!~"eu-.*" matches every series of it and '
            "selects nothing away (its labels: __name__, code, "
        ) in result.stdout

    def test_a_matcher_on_a_label_the_series_carry_is_no_note(self, tmp_path, prometheus):
        query = 'sum(rate(http_requests_total{code!~"5.."}[5m])) or vector(0)'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "note:" not in result.stdout

    def test_a_not_empty_matcher_needs_its_label(self, tmp_path, prometheus):
        # Before: cdoe!="" (for code!="") was no problem: it matches no series of the metric, as the check says.
        query = 'sum(rate(http_requests_total{cdoe!=""}[5m])) or vector(0)'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: label cdoe is not on metric http_requests_total" in result.stdout
        # It selects every series away, which a note saying it matches every series would contradict.
        assert "note:" not in result.stdout

    @pytest.mark.parametrize(
        ("query", "extra", "written"),
        [
            (
                '(sum by (code) (rate(http_requests_total{code=~"5.."}[5m])) / ignoring(cdoe) group_left '
                "sum(rate(http_requests_total[5m]))) or vector(0)",
                {"reduce": "max"},
                "ignoring (cdoe)",
            ),
            ("sum by (cdoe) (rate(http_requests_total[5m]))", {"each": True}, "by (cdoe)"),
            # Before these: 0 problems, exit 0. Below the top, a by that does nothing makes one group (the max of one
            # sum: every service's errors as one); an on that does nothing matches each side's series whatever their
            # labels (one service's errors over another's requests, or many-to-many once there are two).
            ("max(sum by (cdoe) (rate(http_requests_total[5m])))", {}, "by (cdoe)"),
            (
                'sum by (code) (rate(http_requests_total{code="500"}[5m])) / on (cdoe) '
                "sum by (code) (rate(http_requests_total[5m]))",
                {"reduce": "max"},
                "on (cdoe)",
            ),
            (
                "max_over_time((sum by (cdoe) (rate(http_requests_total[5m])))[10m:1m])",
                {"each": True},
                "by (cdoe)",
            ),
        ],
    )
    def test_a_label_list_that_does_nothing_is_a_problem(self, tmp_path, prometheus, query, extra, written):
        # Before: 0 problems, exit 0, and the check passed at the fallback's 0 (or judged one group).
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", **extra}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            f"problem: label list {written}: no series of metric http_requests_total has label cdoe, so the list does "
            "nothing (their labels: code, rollouts_pod_template_hash, service)"
        ) in result.stdout

    def test_a_list_read_at_the_top_and_where_it_stands_is_one_problem(self, tmp_path, prometheus):
        # The answer's list is read on the labels the on () keeps (cdoe), the list where it stands on all of them.
        query = (
            "sum by (cdoe, pdo) (rate(http_requests_total[5m])) / on (cdoe) "
            "sum by (cdoe, pdo) (rate(http_requests_total[5m]))"
        )
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", "reduce": "max"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert result.stdout.count("problem: label list by (cdoe, pdo):") == 1, result.stdout
        assert "problem: label list on (cdoe): no series of metric http_requests_total has label cdoe" in result.stdout

    @pytest.mark.parametrize(
        ("query", "written"),
        [
            (
                'max by (svc) (label_replace(rate(http_requests_total[5m]), "svc", "$1", "servce", "(.*)"))',
                'label_replace(..., "servce", ...)',
            ),
            (
                'max by (svc) (label_join(rate(http_requests_total[5m]), "svc", "-", "servce"))',
                'label_join(..., "servce", ...)',
            ),
            # A regex needing a value keeps the target, but no series has svc either.
            (
                'max by (svc) (label_replace(rate(http_requests_total[5m]), "svc", "$1", "servce", "(.+)"))',
                'label_replace(..., "servce", ...)',
            ),
        ],
    )
    def test_a_relabelling_from_a_label_no_series_has_is_a_problem(self, tmp_path, prometheus, query, written):
        # Before: 0 problems, exit 0, while svc was empty on every series: one group, every service's rate as one.
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", "reduce": "max"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            f"problem: {written}: no series of metric http_requests_total has label servce, so it writes its target "
            "label from nothing (their labels: code, rollouts_pod_template_hash, service)"
        ) in result.stdout

    def test_a_label_beside_le_that_does_nothing_is_a_problem(self, tmp_path, prometheus):
        # Before: 0 problems, exit 0, and each judged every service's p99 as one.
        query = "histogram_quantile(0.99, sum by (le, servcie) (rate(eb_latency_seconds_bucket[5m])))"
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", "each": True}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: label list by (le, servcie): no series of metric eb_latency_seconds_bucket has label servcie, so "
            "the list does nothing (their labels: le, service)"
        ) in result.stdout

    @pytest.mark.parametrize(
        "query",
        [
            "sum by (cluster, code) (rate(http_requests_total[5m]))",
            "max(sum by (cluster, code) (rate(http_requests_total[5m])))",
            'max(sum by (code) (rate(http_requests_total{code="500"}[5m])) / on (code) '
            "sum by (code) (rate(http_requests_total[5m])))",
            # A label dropped that no series carries is dropped already, as meant (a recorded rule without instance).
            "max(sum without (instance) (rate(http_requests_total[5m])))",
            'max(sum by (code) (rate(http_requests_total{code="500"}[5m])) / ignoring (instance) '
            "sum by (code) (rate(http_requests_total[5m])))",
            # A label the query writes itself is there; a constant written from no label reads none.
            'max(sum by (svc) (label_replace(rate(http_requests_total[5m]), "svc", "$1", "service", "(.*)")))',
            'max(label_replace(label_replace(rate(http_requests_total[5m]), "a", "$1", "service", "(.*)"), '
            '"b", "$1", "a", "(.*)"))',
            'max(label_replace(rate(http_requests_total[5m]), "team", "payments", "", ""))',
            # A source no series has yet, whose regex needs a value: each series keeps its service (a rename's
            # fallback, as dashboards read cAdvisor's pod_name or pod). Before: a problem, exit 6.
            'sum by (service) (label_replace(rate(http_requests_total[5m]), "service", "$1", "exported_service", '
            '"(.+)"))',
            # Labels that survive a `without` of others, or histogram_quantile (which drops le alone).
            "max(sum by (service) (sum without (code) (rate(http_requests_total[5m]))))",
            "max(max by (service) (histogram_quantile(0.9, sum by (le, service) "
            "(rate(eb_latency_seconds_bucket[5m])))))",
            "max(max by (service) (histogram_quantile(0.9, rate(eb_latency_seconds_bucket[5m]))))",
            'max(sum by (service) (label_replace(sum without (service) (rate(http_requests_total[5m])), "service", '
            '"$1", "code", "(.*)")))',
        ],
    )
    def test_a_label_list_with_a_label_there_is_no_problem(self, tmp_path, prometheus, query):
        each = {"each": True} if query.startswith("sum by") else {}
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", **each}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize(
        ("query", "outcome"),
        [
            (
                "max(sum by (service) (sum by (code) (rate(http_requests_total[5m]))))",
                "problem: label list by (service): the aggregation under it drops service (the series it reads carry "
                "at most: code), so the list does nothing: one group",
            ),
            (
                "max(sum by (service, code) (sum by (code) (rate(http_requests_total[5m]))))",
                "note: label list by (service, code): the aggregation under it drops service (the series it reads "
                "carry at most: code), so it groups by the others alone",
            ),
            # Before these: 0 problems, exit 0 (only `by` under a `by` was read).
            (
                "max(sum by (service) (sum without (service) (rate(http_requests_total[5m]))))",
                "problem: label list by (service): the expression under it removes service (a `without` list), so "
                "the list does nothing: one group; take service out of the inner `without`",
            ),
            (
                "max(sum by (service, code) (sum without (service) (rate(http_requests_total[5m]))))",
                "note: label list by (service, code): the expression under it removes service (a `without` list), so "
                "it groups by the others alone",
            ),
            (
                "max(max by (service) (histogram_quantile(0.9, sum by (le) (rate(eb_latency_seconds_bucket[5m])))))",
                "problem: label list by (service): the aggregation under it drops service (the series it reads carry "
                "at most: none), so the list does nothing: one group; group the inner aggregation by service too",
            ),
            (
                "max(max by (service) (histogram_quantile(0.9, sum without (service) "
                "(rate(eb_latency_seconds_bucket[5m])))))",
                "problem: label list by (service): the expression under it removes service (a `without` list), so "
                "the list does nothing: one group; take service out of the inner `without`",
            ),
        ],
    )
    def test_a_by_label_an_inner_aggregation_dropped(self, tmp_path, prometheus, query, outcome):
        # Before: http_requests_total has service, so the outer list passed, though no series it reads has it.
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == (6 if outcome.startswith("problem") else 0), result.stdout + result.stderr
        assert f"    {outcome}" in result.stdout

    def test_a_regex_alternative_no_series_has_is_a_note(self, tmp_path, prometheus):
        # Before: not a word. A note, not a problem: an alternative may be a service still to come.
        # Nor a digit-only alternative (a code not seen yet), nor a regex one (canary-.+), which may match later.
        query = 'sum(rate(http_requests_total{service=~"checkout|chekout|payments-v2|canary-.+", code=~"500|599"}[5m]))'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        notes = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("note:")]
        assert notes == [
            'note: metric http_requests_total has no series with service "chekout", an alternative of '
            'service=~"checkout|chekout|payments-v2|canary-.+" (did you mean "checkout"?): a slip there selects '
            "nothing for it; a value still to come needs no change",
            'note: metric http_requests_total has no series with service "payments-v2", an alternative of '
            'service=~"checkout|chekout|payments-v2|canary-.+": a slip there selects nothing for it; a value still '
            "to come needs no change",
        ]

    @pytest.mark.parametrize("fallback", ["", " or vector(0)"])
    def test_a_regex_no_alternative_of_which_matches_is_a_problem(self, tmp_path, prometheus, fallback):
        # Before: two notes and exit 0, a PASS for ever under `or vector(0)`, for a selector matching nothing, as
        # service="chekout" does, which is a problem.
        query = f'sum(rate(http_requests_total{{service=~"chekout|paymnts", code="500"}}[5m])){fallback}'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", "no_data": "pass"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            '    problem: metric http_requests_total has no series with service=~"chekout|paymnts", no alternative '
            'matching ("chekout": did you mean "checkout"?): a selector that matches nothing reads as no data, or as '
            "zero under `or vector(0)`"
        ) in result.stdout
        # Without a near twin, values still to come: notes, as a value written after `=` without one is no problem.
        to_come = {**check, "query": query.replace("chekout", "orders")}
        result = validate(tmp_path, prometheus.url, to_come, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'note: metric http_requests_total has no series with service "orders"' in result.stdout

    @pytest.mark.parametrize(
        ("regex", "outcome"),
        [
            # Before: 0 problems, exit 0, a PASS for ever under `or vector(0)`, while `=~"chekout|paymnts"` was one.
            (
                "chekout",
                'problem: metric http_requests_total has no series with service=~"chekout" (did you mean '
                '"checkout"?): a selector that matches nothing reads as no data, or as zero under `or vector(0)`',
            ),
            (
                "orders",
                'note: metric http_requests_total has no series with service=~"orders": a slip there selects nothing '
                "for it; a value still to come needs no change",
            ),
            # A regex may match values to come (`checkout-.*` for canaries not deployed yet): never judged.
            ("chekout.*", None),
            ("checkout-.*", None),
            ("checkout", None),
            ("check.*", None),
        ],
    )
    def test_a_regex_of_one_value_is_a_list_of_one(self, tmp_path, prometheus, regex, outcome):
        query = f'sum(rate(http_requests_total{{service=~"{regex}", code="500"}}[5m])) or vector(0)'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9", "no_data": "pass"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == (6 if outcome and outcome.startswith("problem") else 0), result.stdout
        findings = [line.strip() for line in result.stdout.splitlines() if line.startswith("    ")]
        assert findings == ([outcome] if outcome else []), result.stdout

    def test_a_name_regex_reads_whichever_name_exists(self, tmp_path, prometheus):
        # Before: "metric http_requests_old_total does not exist", exit 6, for a selector reading the other name.
        query = 'sum(rate({__name__=~"http_requests_total|http_requests_old_total", code="500"}[5m]))'
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            "    note: metric http_requests_old_total does not exist in this Prometheus (did you mean "
            "http_requests_total?): the selector reads http_requests_total instead"
        ) in result.stdout
        # Every name missing is still a problem, each.
        missing = {**check, "query": query.replace("http_requests_total|", "http_request_total|")}
        result = validate(tmp_path, prometheus.url, missing, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        assert "problem: metric http_requests_old_total does not exist in this Prometheus" in result.stdout

    def test_a_name_regex_beside_a_fallback_reads_whichever_name_exists(self, tmp_path, prometheus):
        # The presence query beside the fallback lists the names sorted: before, "problem: metric
        # http_requests_old_total does not exist" beside the note saying the selector reads the other name, exit 6.
        query = (
            '(sum(rate({__name__=~"http_requests_total|http_requests_old_total", code="500"}[5m])) or vector(0))'
            " / sum(rate(http_requests_total[5m]))"
        )
        check = {"name": "any", "kind": "prometheus", "query": query, "pass_if": "< 1e9"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "problem" not in result.stdout.replace("0 problems", "")
        assert "note: metric http_requests_old_total does not exist in this Prometheus" in result.stdout
        # A name the check reads alone is needed, whatever regex holds it too.
        alone = {**check, "query": query.replace("rate(http_requests_total[5m])", "rate(http_requests_old_total[5m])")}
        result = validate(tmp_path, prometheus.url, alone, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric http_requests_old_total does not exist in this Prometheus" in result.stdout

    def test_misspelled_label_value_under_or_vector_0(self, tmp_path, prometheus):
        # service="checkot" selects no 5xx series, which `or vector(0)` reads as zero errors: before, the dry run
        # said PASS with 0 problems (exit 0), and every rollout of that check would have passed whatever its errors.
        numerator, denominator = ERROR_RATIO.split(" / ")
        query = f"({numerator.replace('checkout', 'checkot')} or vector(0)) / {denominator}"
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "query": query}, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "error-rate: PASS value 0 meets" in result.stdout
        assert (
            'problem: metric http_requests_total has no series with service="checkot" (did you mean "checkout"?): a '
            "selector that matches nothing reads as no data, or as zero under `or vector(0)`"
        ) in result.stdout

    def test_a_regex_after_equality_under_or_vector_0(self, tmp_path, prometheus):
        # code="5.." (for code=~"5..") selects no series, ever, which `or vector(0)` reads as zero errors: before, the
        # dry run said PASS with 0 problems (exit 0), since "5.." has no near twin among the codes (200, 500).
        numerator, denominator = ERROR_RATIO.split(" / ")
        query = f"({numerator.replace('code=~', 'code=')} or vector(0)) / {denominator}"
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "query": query}, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'problem: metric http_requests_total has no series with code="5..", which compares for equality; as a '
            'regex it would match "500": did you mean code=~"5.."?'
        ) in result.stdout

    @pytest.mark.parametrize(
        ("matcher", "hint"),
        [
            ('code=~"5xx"', '; for a status class write code=~"5.."'),
            ('code="5XX"', '; for a status class write code=~"5.."'),
            ('code=~"4xx|5xx"', '; for a status class write code=~"4..|5.."'),
            ('code=~"server_error"', ""),
        ],
    )
    def test_a_status_class_on_a_label_of_status_codes_under_or_vector_0(self, tmp_path, prometheus, matcher, hint):
        # code=~"5xx" (as dashboards name the class) selects no series, ever, when the label holds codes (200, 500),
        # which `or vector(0)` reads as zero errors: before, the dry run said PASS with 0 problems (exit 0), since
        # "5xx" has no near twin among the codes.
        numerator, denominator = ERROR_RATIO.replace('code=~"5.."', matcher).split(" / ")
        query = f"({numerator} or vector(0)) / {denominator}"
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "query": query}, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "error-rate: PASS value 0 meets" in result.stdout
        value = matcher.split('"')[1]
        assert (
            f"problem: metric http_requests_total has no series with {matcher}, and can have none: its code values "
            f'are HTTP status codes (200, 500), and "{value}" matches no code from 100 to 599, so the selector matches '
            f"nothing, ever, which reads as no data, or as zero under `or vector(0)` (a pass for ever){hint}\n"
        ) in result.stdout
        # Not also a note that a value of it may be still to come, which the problem says it can never be.
        assert "note:" not in result.stdout

    @pytest.mark.parametrize("matcher", ['code=~"5..|5xx"', 'code=~"5\\\\d\\\\d"', 'service=~"check.*"'])
    def test_a_regex_that_can_match_a_status_code_is_no_problem(self, tmp_path, prometheus, matcher):
        # A letter alone is no mistake: a regex that can match a code (or a label holding other values) selects
        # what it means.
        numerator, denominator = ERROR_RATIO.replace('code=~"5.."', matcher).split(" / ")
        query = f"({numerator} or vector(0)) / {denominator}"
        result = validate(tmp_path, prometheus.url, {**GOOD[0], "query": query}, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 problems in 1 check" in result.stdout

    def test_a_label_value_not_seen_yet_is_no_problem(self, tmp_path, prometheus):
        # code="503" has no near twin among the codes seen (200, 500): it may only not have happened yet. The
        # example canary healthy2 is the caller's value (a canary not deployed yet), though healthy1 is its twin.
        only_503 = {**GOOD[0], "query": ERROR_RATIO.replace('code=~"5.."', 'code="503"')}
        not_deployed = {"canary_hash": {**EXAMPLE_CANARY["canary_hash"], "example": "healthy2"}}
        result = validate(tmp_path, prometheus.url, only_503, {**GOOD[0], "name": "b", "params": not_deployed})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 problems in 2 checks" in result.stdout

    def test_a_value_differing_from_its_twin_only_in_digits_is_no_problem(self, tmp_path, prometheus):
        # Before: 'has no series with rollouts_pod_template_hash="healthy2" (did you mean "healthy1"?)' and
        # 'code="5000" (did you mean "500"?)', exit 6: a numbered family (a version not deployed yet, a hash beside
        # another) is no slip. A slip in letters beside such a value still is one.
        numbered = 'sum(rate(http_requests_total{rollouts_pod_template_hash="healthy2",code="5000"}[5m])) or vector(0)'
        check = {"name": "numbered", "kind": "prometheus", "query": numbered, "pass_if": "< 1"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        slip = {**check, "query": numbered.replace("healthy2", "helthy1")}
        result = validate(tmp_path, prometheus.url, slip, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert 'rollouts_pod_template_hash="helthy1" (did you mean "healthy1"?)' in result.stdout

    def test_threshold_that_is_not_a_bucket_bound(self, tmp_path, prometheus):
        check = {**GOOD[1], "latency": {**GOOD[1]["latency"], "threshold_s": 0.3}}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6
        assert "problem: no bucket bound of eb_latency_seconds_bucket matches le=~" in result.stdout
        assert result.stdout.count("problem:") == 1
        assert "(its bounds: 0.25, 0.50, 1.0, +Inf)" in result.stdout

    def test_a_bound_is_matched_as_written_not_as_a_number(self, tmp_path, prometheus):
        # PromQL matches le as text: le="0.5" selects nothing of a histogram that writes its bound "0.50".
        def ratio(bound: str) -> str:
            return (
                f'sum(rate(eb_latency_seconds_bucket{{service="eb-api",le="{bound}"}}[5m])) / '
                'sum(rate(eb_latency_seconds_count{service="eb-api"}[5m]))'
            )

        written = {"name": "as-written", "kind": "prometheus", "query": ratio("0.50"), "pass_if": "> 0.9"}
        number = {**written, "name": "as-a-number", "query": ratio("0.5")}
        result = validate(tmp_path, prometheus.url, written, number, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'problem: no bucket bound of eb_latency_seconds_bucket matches le="0.5" (its bounds: 0.25, 0.50, 1.0, +Inf)'
        ) in result.stdout
        assert "1 problem in 2 checks" in result.stdout

    def test_a_histogram_with_only_the_inf_bucket(self, tmp_path, prometheus):
        # Before: 0 problems, and the check's dry run inconclusive (NaN) at every moment; under no_data: pass it passed.
        def p99(metric: str) -> str:
            return f'histogram_quantile(0.99, sum by (le) (rate({metric}{{service="eb-api"}}[5m])))'

        unbucketed = {
            "name": "unbucketed",
            "kind": "prometheus",
            "query": p99("eb_unbucketed_seconds_bucket"),
            "pass_if": "< 0.5",
        }
        bucketed = {**unbucketed, "name": "bucketed", "query": p99("eb_latency_seconds_bucket"), "pass_if": "< 2"}
        result = validate(tmp_path, prometheus.url, unbucketed, bucketed, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: histogram eb_unbucketed_seconds_bucket has only the +Inf bucket: a quantile over it is NaN"
        ) in result.stdout
        assert "1 problem in 2 checks" in result.stdout

    @pytest.mark.parametrize(
        ("service", "shown"),
        [("eb-api", "has only the +Inf bucket"), ("eb-capped", "has no +Inf bucket")],
    )
    def test_buckets_that_cannot_say_for_the_series_selected(self, tmp_path, prometheus, service, shown):
        # eb_mixed_seconds_bucket has buckets (eb-other, eb-idle): before, 0 problems for every service's p99, and
        # the check passed under no_data: pass whatever the latency of eb-api or eb-capped.
        def p99(service: str) -> str:
            return f'histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket{{service="{service}"}}[5m])))'

        cannot = {"name": "cannot", "kind": "prometheus", "query": p99(service), "pass_if": "< 0.5"}
        others = [{**cannot, "name": other, "query": p99(other)} for other in ("eb-other", "eb-idle")]
        result = validate(tmp_path, prometheus.url, cannot, *others, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            f'problem: histogram eb_mixed_seconds_bucket (the series eb_mixed_seconds_bucket{{service="{service}"}} '
            f"matches) {shown}: a quantile over it is NaN"
        ) in result.stdout
        assert "1 problem in 3 checks" in result.stdout

    def test_a_quantile_per_group_whose_buckets_cannot_say(self, tmp_path, prometheus):
        # eb_mixed_seconds_bucket's services: eb-other and eb-idle have buckets and +Inf, eb-api +Inf alone, eb-capped
        # no +Inf. Grouped by service, the union of their bounds (0.5, 1.0, +Inf) looked fine: before, 0 problems,
        # and max() over the services left the NaN ones out, judging eb-other's latency alone.
        def p99(selector: str, outer: str = "max") -> str:
            return (
                f"{outer}(histogram_quantile(0.99, sum by (le, service) (rate(eb_mixed_seconds_bucket{selector}[5m]))))"
            )

        every = {"name": "every", "kind": "prometheus", "query": p99(""), "pass_if": "< 2"}
        two = {**every, "name": "two", "query": p99('{service=~"eb-other|eb-api"}')}
        fine = {**every, "name": "fine", "query": p99('{service=~"eb-other|eb-idle"}')}
        result = validate(tmp_path, prometheus.url, every, two, fine, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        assert (
            'problem: histogram eb_mixed_seconds_bucket: the group {service="eb-api"} (1 of 4 groups by (service)) '
            "has only the +Inf bucket: a quantile over it is NaN, which the check reads as no data whatever its "
            "latency (and max, min or avg over the groups leave it out)"
        ) in blocks["every"]
        assert (
            'problem: histogram eb_mixed_seconds_bucket: the group {service="eb-capped"} (1 of 4 groups by (service)) '
            "has no +Inf bucket"
        ) in blocks["every"]
        assert 'the group {service="eb-api"} (1 of 2 groups by (service)) has only the +Inf bucket' in blocks["two"]
        assert "3 problems in 3 checks" in result.stdout

    def test_a_quantile_per_group_a_relabelling_names(self, tmp_path, prometheus):
        # `svc` is written from `service`: no bucket series has it, so by it alone they were one group whose bounds
        # (0.5, +Inf) looked fine. Before: 0 problems.
        relabelled = (
            'label_replace(rate(eb_mixed_seconds_bucket{service=~"eb-other|eb-api"}[5m]), "svc", "$1", "service", '
            '"(.*)")'
        )
        query = f"max(histogram_quantile(0.99, sum by (le, svc) ({relabelled})))"
        check = {"name": "relabelled", "kind": "prometheus", "query": query, "pass_if": "< 2"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'histogram eb_mixed_seconds_bucket: the group {svc="",service="eb-api"} (1 of 2 groups by (svc, service)) '
            "has only the +Inf bucket"
        ) in result.stdout

    def test_a_quantile_over_chosen_buckets_without_inf(self, tmp_path, prometheus):
        # `Inf` matches no bound (+Inf is written with its sign): the quantile reads 0.5 alone, NaN whatever the
        # latency. Before: 0 problems, since a selector with an `le` matcher was never read as a quantile's.
        def p99(chosen: str) -> str:
            selector = f'eb_mixed_seconds_bucket{{service="eb-other", le=~"{chosen}"}}'
            return f"histogram_quantile(0.99, sum by (le) (rate({selector}[5m])))"

        misspelt = {"name": "misspelt", "kind": "prometheus", "query": p99("0.5|Inf"), "pass_if": "< 2"}
        fine = {**misspelt, "name": "fine", "query": p99("0.5|\\\\+Inf")}
        result = validate(tmp_path, prometheus.url, misspelt, fine, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'histogram eb_mixed_seconds_bucket: the buckets le=~"0.5|Inf" chooses for a quantile among the series '
            'eb_mixed_seconds_bucket{service="eb-other"} matches (0.5) are +Inf alone or lack +Inf'
        ) in result.stdout
        assert "1 problem in 2 checks" in result.stdout

    def test_a_quantile_of_each_series(self, tmp_path, prometheus):
        # No aggregation: each series is an answer of its own.
        query = 'max(histogram_quantile(0.99, rate(eb_mixed_seconds_bucket{service=~"eb-other|eb-capped"}[5m])))'
        check = {"name": "each", "kind": "prometheus", "query": query, "pass_if": "< 2"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            'problem: histogram eb_mixed_seconds_bucket: the series {service="eb-capped"} (1 of 2 series) has no '
            "+Inf bucket"
        ) in result.stdout

    def test_a_chosen_bound_some_groups_lack(self, tmp_path, prometheus):
        # Before: 0 problems, since one service has each bound; with each: true the services without it have no
        # series at all, and were never judged.
        def share(bound: str, selector: str = "") -> str:
            return (
                f'sum by (service) (rate(eb_mixed_seconds_bucket{{le="{bound}"{selector}}}[5m])) / '
                'sum by (service) (rate(eb_mixed_seconds_bucket{le="+Inf"}[5m]))'
            )

        fast = {"name": "fast", "kind": "prometheus", "query": share("0.5"), "each": True, "pass_if": "> 0.9"}
        alone = {
            **fast,
            "name": "alone",
            "each": False,
            "query": 'sum(rate(eb_mixed_seconds_bucket{service="eb-api",le="0.5"}[5m]))',
        }
        result = validate(tmp_path, prometheus.url, fast, alone, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        assert (
            'problem: no bucket bound of eb_mixed_seconds_bucket matches le="0.5" in the group {service="eb-api"} '
            "(1 of 4 groups by (service)) of the series the query reads (bounds of the first: +Inf): such a group "
            "has no series, so it drops out of the answer and is never judged"
        ) in blocks["fast"]
        assert 'matches le="+Inf" in the group {service="eb-capped"} (1 of 4 groups by (service))' in blocks["fast"]
        # A selector of one service: its own series lack the bound, whatever the other services have.
        assert (
            'problem: no bucket bound of eb_mixed_seconds_bucket matches le="0.5" among the series '
            'eb_mixed_seconds_bucket{service="eb-api"} matches (their bounds: +Inf): the query reads no series of them'
        ) in blocks["alone"]
        assert "3 problems in 2 checks" in result.stdout

    def test_a_recorded_histogram_read_by_a_quantile(self, tmp_path, prometheus):
        # A recording rule's buckets are not named _bucket. Before: 0 problems, and the check passed under
        # no_data: pass whatever the latency.
        def p99(service: str) -> str:
            return f'histogram_quantile(0.99, sum by (le) (eb:mixed_seconds_bucket:rate5m{{service="{service}"}}))'

        cannot = {"name": "cannot", "kind": "prometheus", "query": p99("eb-api"), "pass_if": "< 0.5"}
        idle = {**cannot, "name": "idle", "query": p99("eb-idle")}
        # Beside a metric without `le` in the same query: no bounds, no problem.
        ratio = {**cannot, "name": "ratio", "query": p99("eb-idle") + " / sum(rate(eb_objects_per_bucket[5m]))"}
        result = validate(tmp_path, prometheus.url, cannot, idle, ratio, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "problem: histogram eb:mixed_seconds_bucket:rate5m (the series "
            'eb:mixed_seconds_bucket:rate5m{service="eb-api"} matches) has only the +Inf bucket'
        ) in result.stdout
        assert "1 problem in 3 checks" in result.stdout

    def test_a_chosen_bucket_of_a_histogram_with_inf_alone_is_no_quantile(self, tmp_path, prometheus):
        # Its +Inf bucket read alone counts the requests: no quantile is taken, nothing is NaN for want of buckets.
        count = {
            "name": "count",
            "kind": "prometheus",
            "query": 'sum(rate(eb_unbucketed_seconds_bucket{service="eb-api", le="+Inf"}[5m]))',
            "pass_if": "> 1",
        }
        result = validate(tmp_path, prometheus.url, count, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_pyrra_rules_not_recorded(self, tmp_path, prometheus):
        check = {**GOOD[2], "name": "pyrra-typo", "pyrra": {"slo": "eb-pyrra-api", "metric": "eb_http_request"}}
        result = validate(tmp_path, prometheus.url, GOOD[2], check, at=prometheus.anchor)
        assert result.returncode == 6
        assert (
            "problem: recording rules eb_http_request:burnrate1h, eb_http_request:burnrate5m, "
            "eb_http_request:burnrate6h and 5 more are not recorded in this Prometheus: is their rule group (Pyrra, "
            "Sloth) loaded? (did you mean eb_http_requests:burnrate1h, eb_http_requests:burnrate5m, "
            "eb_http_requests:burnrate6h?)"
        ) in result.stdout
        # The SLO's own rules, eb_http_requests:increase4w among them, are all recorded: only the typo is a problem.
        assert "1 problem in 2 checks" in result.stdout

    def test_every_problem_of_every_check_is_listed(self, tmp_path, prometheus):
        # A GitOps catalog with one good check and three mistakes: each mistake is listed under its own check,
        # not only the first one found.
        checks = [
            GOOD[0],
            {
                **GOOD[0],
                "name": "metric-typo",
                "query": ERROR_RATIO.replace("http_requests_total", "http_request_total"),
            },
            {
                **GOOD[0],
                "name": "label-typo",
                "query": ERROR_RATIO.replace("rollouts_pod_template_hash", "rollout_pod_template_hash"),
            },
            {**GOOD[1], "name": "bound-typo", "latency": {**GOOD[1]["latency"], "threshold_s": 0.3}},
        ]
        result = validate(tmp_path, prometheus.url, *checks, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        # One block per check: its line, then its problems, indented deeper.
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        assert "problem" not in blocks["error-rate"]
        assert "problem: metric http_request_total does not exist" in blocks["metric-typo"]
        assert "problem: label rollout_pod_template_hash is not on metric" in blocks["label-typo"]
        assert "problem: no bucket bound of eb_latency_seconds_bucket" in blocks["bound-typo"]
        assert "3 problems in 4 checks" in result.stdout

    def test_an_slo_whose_rules_are_not_recorded_under_its_name(self, tmp_path, prometheus):
        # Pyrra names its rules after the metric, shared by every SLO of it, and tells SLOs apart by the `slo`
        # label (Sloth by `sloth_id`): a misspelled SLO name reads rules that exist, for other SLOs only.
        # ebr-clean has no error series, so its burnrate rules record nothing: its increase rule proves its
        # rule group is loaded, and it is no problem.
        checks = [
            pyrra_check("clean", total=None),
            pyrra_check("clean", "pyrra-typo", slo="ebr-claen", total=None),
            sloth_check("clean", total_query=None),
            sloth_check("clean", "sloth-typo", sloth_id="ebr-sloth-claen", total_query=None),
        ]
        result = validate(tmp_path, prometheus.url, *checks, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        report = result.stdout
        assert report.count("problem:") == 2, report
        assert 'have no series with slo="ebr-claen" (did you mean ebr-clean?)' in report
        assert 'have no series with sloth_id="ebr-sloth-claen" (did you mean ebr-sloth-clean?)' in report
        assert report.count("Is that SLO's rule group (Pyrra, Sloth) loaded?") == 2

    @pytest.mark.parametrize(("slo", "problem"), [("availability", True), ("burn", False)])
    def test_sloth_labels_of_two_slos_are_a_problem_together(self, tmp_path, prometheus, slo, problem):
        # sloth_service="ebr-sloth" is on rules of ebr-sloth's SLOs, sloth_slo="availability" on eb-sloth's: each
        # value exists, no series has both. Before: 0 problems, exit 0, and `or vector(0)` passed for ever.
        query = f'max(slo:sli_error:ratio_rate5m{{sloth_service="ebr-sloth", sloth_slo="{slo}"}}) or vector(0)'
        check = {"name": "crossed", "kind": "prometheus", "query": query, "pass_if": "< 1", "no_data": "pass"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == (6 if problem else 0), result.stdout + result.stderr
        said = (
            "problem: the recording rules the check reads (slo:sli_error:ratio_rate5m) have no series with "
            'sloth_service="ebr-sloth", sloth_slo="availability" together, though each of these values is on some of '
            "them (another SLO's)"
        )
        assert (said in result.stdout) == problem, result.stdout

    @pytest.mark.parametrize("selector", ['sloth_service="ebr-sloth", sloth_slo="clean"', 'sloth_id="ebr-sloth-clean"'])
    def test_a_sloth_slo_without_errors_is_no_problem(self, tmp_path, prometheus, selector):
        # ebr-sloth-clean has had no error: Sloth's error ratio rules (errors / requests) record no series for it,
        # while its slo:objective:ratio does. Before: "have no series with sloth_slo="clean"", exit 6, a correct
        # check blocked.
        query = f"max(slo:sli_error:ratio_rate5m{{{selector}}}) or vector(0)"
        check = {"name": "clean", "kind": "prometheus", "query": query, "pass_if": "< 1", "no_data": "pass"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "problem" not in result.stdout.replace("0 problems", "")
        # Misspelt, it is still one: no rule Sloth records has it.
        typo = {**check, "query": query.replace("clean", "claen")}
        result = validate(tmp_path, prometheus.url, typo, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "(did you mean" in result.stdout and "clean" in result.stdout

    def test_a_sloth_slo_without_its_meta_rules_is_found_on_its_other_ratio_rules(self, tmp_path, prometheus):
        # ebr-sloth-past-nometa has had no error for 3 hours (no 5m..2h ratio series) and its meta-recordings group
        # (slo:objective:ratio) is not loaded: only its ratio rules over 6h and longer carry its labels.
        query = 'max(slo:sli_error:ratio_rate5m{sloth_id="ebr-sloth-past-nometa"}) or vector(0)'
        check = {"name": "past", "kind": "prometheus", "query": query, "pass_if": "< 1", "no_data": "pass"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "problem" not in result.stdout.replace("0 problems", "")

    def test_a_rule_group_not_loaded_is_one_problem_not_one_per_window(self, tmp_path, prometheus):
        # Pyrra's rules under a metric prefix nothing here records (no close name to suggest): one cause, one line.
        check = pyrra_check("clean", "pyrra-unloaded", metric="qq_unloaded", total=None)
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert result.stdout.count("problem:") == 1, result.stdout
        assert (
            "problem: recording rules qq_unloaded:burnrate1h, qq_unloaded:burnrate5m, qq_unloaded:burnrate6h and "
            "5 more are not recorded in this Prometheus: is their rule group (Pyrra, Sloth) loaded?"
        ) in result.stdout

    def test_a_rule_group_not_loaded_is_not_said_to_mean_a_raw_metric(self, tmp_path, prometheus):
        # A Pyrra latency SLO's rules, not loaded, beside its histogram. Before: "(did you mean
        # eb_latency_seconds_count, eb_latency_seconds_count, eb_latency_seconds_count?)", a raw metric, named once
        # per window, which no recording rule name can be.
        check = pyrra_check("clean", "pyrra-latency", metric="eb_latency_seconds", total=None)
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        [problem] = [line for line in result.stdout.splitlines() if "problem: recording rules" in line]
        assert problem.strip().startswith(
            "problem: recording rules eb_latency_seconds:burnrate1h, eb_latency_seconds:burnrate5m, "
            "eb_latency_seconds:burnrate6h and 5 more are not recorded in this Prometheus: is their rule group "
            "(Pyrra, Sloth) loaded?"
        ), problem
        meant = re.findall(r"\(did you mean (.*)\?\)$", problem)
        named = meant[0].split(", ") if meant else []
        assert all(":" in name for name in named) and len(set(named)) == len(named), problem

    def test_an_slo_whose_recorded_objective_is_not_the_checks(self, tmp_path, prometheus):
        # Every name and label exists: only the dry run's check_misconfigured says each evaluation would be an
        # error (before, the lint printed it and exited 0).
        checks = [
            sloth_check("burn", "sloth-objective", objective=99),
            pyrra_check("burn", "pyrra-objective", objective=99),
            sloth_check("burn", "sloth-good"),
        ]
        result = validate(tmp_path, prometheus.url, *checks, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        assert "has an objective of 99.9% (slo:objective:ratio" in blocks["sloth-objective"]
        assert "has an objective of 99.9% (pyrra_objective" in blocks["pyrra-objective"]
        problem = "problem: the check is misconfigured against this Prometheus (its reason quoted above): fix the check"
        for name in ("sloth-objective", "pyrra-objective"):
            assert problem in blocks[name], blocks[name]
        assert "sloth-good: FAIL" in result.stdout and "problem:" not in blocks["sloth-good"]
        assert "2 problems in 3 checks" in result.stdout

    def test_the_rules_api_tells_what_the_service_cannot(self, tmp_path, prometheus):
        # The service's querier may have no rules API (Thanos Query without rule endpoints): its pass then says the 5m
        # window and the ratio rules' division unchecked. Pointed at a Prometheus whose rules API lists the rules,
        # the lint reads them as the service does, and says what it found in the service's words.
        checks = [
            sloth_check("spmix", "sloth-sparse", total_query=None, fail_on=["page"]),
            pyrra_check("spmix", "pyrra-sparse", total=None, fail_on=["page"]),
            sloth_check(
                "spmix", "sloth-unlisted", sloth_id="ebr-sloth-spmix-elsewhere", total_query=None, fail_on=["page"]
            ),
            sloth_check("spent", "sloth-dense", total_query=None, fail_on=["page"]),
        ]
        result = validate(tmp_path, prometheus.url, *checks, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        for name, rule in (
            ("sloth-sparse", 'slo:sli_error:ratio_rate5m{sloth_id="ebr-sloth-spmix"}'),
            ("pyrra-sparse", 'ebr_http_requests:burnrate5m{slo="ebr-spmix", job="ebr-spmix"}'),
        ):
            assert (
                "problem: its 5m window's recording rule cannot count every error: no data (1 raw series that "
                f"{rule} reads (its expression, as the rules API lists it) hold a single sample over the last 5m"
            ) in blocks[name], blocks[name]
        # Its series recorded by a ruler this rules API does not list: not the check's fault, said once.
        assert (
            'note: the rules API lists no recording rule slo:sli_error:ratio_rate5m{sloth_id="ebr-sloth-spmix-'
            'elsewhere"}, slo:sli_error:ratio_rate1h{sloth_id="ebr-sloth-spmix-elsewhere"}, '
        ) in blocks["sloth-unlisted"], blocks["sloth-unlisted"]
        assert "problem:" not in blocks["sloth-unlisted"], blocks["sloth-unlisted"]
        assert "sloth-dense: PASS" in result.stdout and "problem:" not in blocks["sloth-dense"], blocks["sloth-dense"]

    @pytest.mark.parametrize(
        ("query", "parse_error"),
        [
            ("sum(rate(http_requests_total[5m])", "unclosed left parenthesis"),
            ("rate(http_requests_total)", 'expected type range vector in call to function "rate"'),
        ],
    )
    def test_a_query_prometheus_cannot_parse(self, tmp_path, prometheus, query, parse_error):
        # The metric exists, so only Prometheus' refusal says that every evaluation would be an error.
        check = {"name": "bad-promql", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "bad-promql: ERROR" in result.stdout and parse_error in result.stdout
        assert "problem: Prometheus refuses the check's query as invalid (bad_data, quoted above): fix its PromQL" in (
            result.stdout
        )
        assert "1 problem in 1 check" in result.stdout

    def test_a_query_the_parser_rejects_and_prometheus_accepts_is_a_note(self, tmp_path, prometheus):
        # Go's \Q...\E quotes a regex; promql-parser's regex engine has no such thing. Prometheus decides.
        query = "sum(rate(http_requests_total{service=~`\\Qcheckout\\E`}[5m]))"
        check = {"name": "quoted", "kind": "prometheus", "query": query, "pass_if": "> 0"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        offline = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(tmp_path / "catalog.yaml")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert offline.returncode == 6 and "illegal regex for \\Qcheckout\\E" in offline.stderr, offline.stderr
        assert result.returncode == 0, result.stdout + result.stderr
        assert "quoted: PASS" in result.stdout
        assert (
            "    note: query: promql-parser cannot parse it (illegal regex for \\Qcheckout\\E), but this Prometheus "
            "accepts it, and Prometheus decides; set skip_promql_parse: true on the check so that `analyzer validate` "
            "without --prometheus passes too"
        ) in result.stdout
        assert "0 problems in 1 check" in result.stdout

    def test_a_query_the_parser_rejects_in_a_check_not_run_is_a_problem(self, tmp_path, prometheus):
        check = {**GOOD[0], "params": {"canary_hash": {"type": "label_value", "required": True}}}
        check["query"] = check["query"].replace("[5m]", "[5mm]", 1)
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "error-rate: not run: param 'canary_hash' is required and declares no `example`" in result.stdout
        assert (
            "    problem: query: promql-parser cannot parse it (bad number or duration syntax: 5mm; '5mm' is no PromQL "
            "duration: its units are ms, s, m, h, d, w, y, lower case, from the largest to the smallest (minutes are "
            'm, not min)) and Prometheus was not asked it: sum(rate(http_requests_total{service="checkout",'
            'rollouts_pod_template_hash="x",'
        ) in result.stdout
        assert "1 problem in 1 check" in result.stdout

    def test_a_query_the_parser_rejects_and_the_source_refuses_unlike_prometheus_is_a_problem(
        self, tmp_path, prometheus
    ):
        # VictoriaMetrics (before 2026-08) refuses a query it cannot parse with 422 and errorType "422", not 400
        # bad_data: a refusal all the same, never the source accepting what promql-parser rejects.
        check = {**GOOD[0], "query": ERROR_RATIO.replace("(rate(", "(rat(", 1)}
        with victoria_like(prometheus.url) as url:
            result = validate(tmp_path, url, check, at=prometheus.anchor)
        assert "rejected the query (HTTP 422 422" in result.stdout, result.stdout + result.stderr
        assert result.returncode == 6, result.stdout + result.stderr
        assert "note:" not in result.stdout
        assert (
            "    problem: query: promql-parser cannot parse it (unknown function with name 'rat'; did you mean "
            "'rate'?) and Prometheus answered it with an error, not a result: sum(rat(http_requests_total{"
        ) in result.stdout
        assert "1 problem in 1 check" in result.stdout

    def test_a_query_the_parser_accepts_and_the_source_refuses_unlike_prometheus_is_a_problem(
        self, tmp_path, prometheus
    ):
        # Every evaluation against this source would be that error: a lint that passes it ships a broken check.
        with victoria_like(prometheus.url, refusing="http_requests_total") as url:
            result = validate(tmp_path, url, GOOD[0], at=prometheus.anchor)
        assert "error-rate: ERROR" in result.stdout and "(HTTP 422 422: cannot parse" in result.stdout, result.stdout
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            "    problem: the source refuses the check's query (quoted above), so every evaluation against it is an "
            "error: fix its PromQL (VictoriaMetrics answers 422 to a query it cannot parse), or the address if the "
            "refusal is not about the query"
        ) in result.stdout
        assert "1 problem in 1 check" in result.stdout

    def test_required_param_without_example_is_not_run(self, tmp_path, prometheus):
        check = {**GOOD[0], "params": {"canary_hash": {"type": "label_value", "required": True}}}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0
        assert (
            "error-rate: not run: param 'canary_hash' is required and declares no `example` (add one to run the "
            "check here; the metric and label names it reads are checked without it)"
        ) in result.stdout
        # The placeholder it was read with is no canary a series must have.
        assert "problem" not in result.stdout.replace("0 problems", "")

    @pytest.mark.parametrize(
        ("written", "problem"),
        [
            (
                ("http_requests_total", "http_request_total"),
                "metric http_request_total does not exist in this Prometheus (did you mean http_requests_total?)",
            ),
            (
                ('service="checkout"', 'servce="checkout"'),
                "label servce is not on metric http_requests_total",
            ),
            (
                ('service="checkout"', 'service="chekout"'),
                'metric http_requests_total has no series with service="chekout" (did you mean "checkout"?)',
            ),
        ],
    )
    def test_a_check_not_run_for_want_of_an_example_still_has_its_names_checked(
        self, tmp_path, prometheus, written, problem
    ):
        # A newcomer's first check declares no `example`: its misspelt metric passed as "0 problems", exit 0.
        query = ERROR_RATIO.replace(*written)
        check = {**GOOD[0], "query": query, "params": {"canary_hash": {"type": "label_value", "required": True}}}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "error-rate: not run: param 'canary_hash' is required" in result.stdout
        assert f"    problem: {problem}" in result.stdout

    def test_a_check_not_run_with_an_operator_param_has_its_names_checked(self, tmp_path, prometheus):
        # Its placeholder stood where an operator goes, which does not parse: the query was dropped, its misspelt
        # metric never looked up, "0 problems", exit 0. Read with op=or, it is.
        params = {"op": {"type": "identifier", "required": True}}
        query = 'sum(rate(http_request_total{code="500"}[5m])) {{ op }} vector(0)'
        check = {"name": "c", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 1"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "c: not run: param 'op' is required" in result.stdout
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        assert "cannot parse" not in result.stdout + result.stderr

    def test_a_check_not_run_whose_query_the_lint_cannot_parse_is_a_note_naming_it(self, tmp_path, prometheus):
        # skip_promql_parse leaves the offline parse out on purpose: the names it reads are not checked, which is said
        # (they were silently unchecked once), but nothing is found missing. Before: a problem, exit 6, a CI blocked
        # where nothing is wrong, as no other check not run is.
        params = {"op": {"type": "identifier", "required": True}}
        query = 'sum(rate(http_requests_total{code="500"}[5m])) {{ op }} {{ op }} vector(0)'
        check = {
            "name": "c",
            "kind": "prometheus",
            "params": params,
            "query": query,
            "pass_if": "< 1",
            "skip_promql_parse": True,
        }
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "c: not run: param 'op' is required" in result.stdout
        assert (
            "    note: the names this query reads are not checked: promql-parser cannot parse it with placeholders for "
            "the params without `example` ('op'): give them an `example`"
        ) in result.stdout
        assert "0 problems in 1 check\n" in result.stdout

    def test_a_check_not_run_is_no_slo_its_placeholder_names(self, tmp_path, prometheus):
        # Its param rendered with a placeholder (x) selects a Pyrra SLO: no SLO named x is no problem of the catalog.
        params = {"slo": {"type": "label_value", "required": True}}
        query = 'max(eb_http_requests:burnrate5m{slo="{{ slo }}"})'
        check = {"name": "burn", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 14.4"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "burn: not run: param 'slo' is required" in result.stdout
        misspelt = {**check, "query": query.replace("burnrate5m", "burnrate5")}
        result = validate(tmp_path, prometheus.url, misspelt, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: recording rule eb_http_requests:burnrate5 " in result.stdout

    @pytest.mark.parametrize(
        ("query", "param"),
        [
            # An identifier param may name the metric or a label: a placeholder in its place is no name to look up.
            ('sum(rate({{ p }}{service="checkout"}[5m]))', {"type": "identifier"}),
            ('sum(rate(http_requests_total{ {{ p }}="checkout"}[5m]))', {"type": "identifier"}),
            ('sum by ({{ p }}) (rate(http_requests_total{service="checkout"}[5m]))', {"type": "identifier"}),
            # The inner aggregation's label is the param's: the outer one may be it.
            ("max(sum by (service) (sum by ({{ p }}) (rate(http_requests_total[5m]))))", {"type": "identifier"}),
            # Its grouping keyword is the param's, rendered `by` to parse: `without` would keep service.
            ("max(sum {{ p }} (service) (sum by (code) (rate(http_requests_total[5m]))))", {"type": "identifier"}),
            # A bucket bound given as an arg: the placeholder is no bound the histogram need have.
            ('sum(rate(eb_latency_seconds_bucket{service="eb-api",le="{{ p }}"}[5m]))', {"type": "label_value"}),
            ('sum(rate(eb_latency_seconds_bucket{service="eb-api",le="{{ p }}"}[5m]))', {"type": "number"}),
        ],
    )
    def test_a_check_not_run_reads_no_name_of_its_placeholders(self, tmp_path, prometheus, query, param):
        # Before: "metric x does not exist", "label x is not on metric ...", "no bucket bound ... matches le="x"",
        # exit 6 for a correct catalog, which failed its GitOps CI.
        params = {"p": {**param, "required": True}}
        check = {"name": "c", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 1", "reduce": "max"}
        result = validate(tmp_path, prometheus.url, check, at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "c: not run: param 'p' is required" in result.stdout
        assert "problem" not in result.stdout.replace("0 problems", "")

    @pytest.mark.parametrize(
        ("check", "problem"),
        [
            # Before: the placeholder x is in "5xx", and a value holding an arg's value was not checked.
            (
                {"query": ERROR_RATIO.replace('code=~"5.."', 'code=~"5xx"')},
                'metric http_requests_total has no series with code=~"5xx", and can have none',
            ),
            (
                {"query": ERROR_RATIO.replace('service="checkout"', 'service="checkoutx"')},
                'metric http_requests_total has no series with service="checkoutx"',
            ),
            # A default is no placeholder: the check reads it as it is, as the dry run of a check with examples does.
            (
                {
                    "query": ERROR_RATIO.replace('service="checkout"', 'service="{{ service }}"'),
                    "params": {**CANARY_NO_EXAMPLE, "service": {"type": "label_value", "default": "chekout"}},
                },
                'metric http_requests_total has no series with service="chekout" (did you mean "checkout"?)',
            ),
        ],
    )
    def test_a_check_not_run_has_its_written_values_checked(self, tmp_path, prometheus, check, problem):
        result = validate(
            tmp_path, prometheus.url, {**GOOD[0], "params": CANARY_NO_EXAMPLE, **check}, at=prometheus.anchor
        )
        assert result.returncode == 6, result.stdout + result.stderr
        assert "error-rate: not run: param 'canary_hash' is required" in result.stdout
        assert f"    problem: {problem}" in result.stdout

    def test_unreachable_prometheus_is_exit_5(self, tmp_path):
        result = validate(tmp_path, f"http://127.0.0.1:{refused_port()}", GOOD[0])
        assert result.returncode == 5
        assert "cannot ask Prometheus at http://127.0.0.1:" in result.stderr
        assert "(3 tries): ConnectionError" in result.stderr

    def test_a_url_with_the_api_path_says_to_give_the_base_address(self, tmp_path, prometheus):
        # A newcomer copies the query endpoint's address: refused before anything is asked (it was asked, and
        # Prometheus answered its own 404 page), naming the base address.
        result = validate(tmp_path, f"{prometheus.url}/api/v1", GOOD[0])
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.strip() == (
            f"analyzer: --prometheus: '{prometheus.url}/api/v1' ends in the query API's path (/api/v1), and the source "
            "adds /api/v1/query itself: give Prometheus' base address (with its --web.route-prefix if it has one): "
            f"write {prometheus.url}"
        ), result.stderr

    def test_a_url_under_no_api_says_to_give_the_base_address(self, tmp_path, prometheus):
        # A path Prometheus serves no API under: asked, and its 404 page is quoted.
        result = validate(tmp_path, f"{prometheus.url}/graph", GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert result.stderr.strip().endswith(
            f"cannot ask Prometheus at {prometheus.url}/graph: HTTP 404 (404 page not found); no Prometheus API at "
            "this address: give Prometheus' base address (such as http://prometheus:9090, with the "
            "--web.route-prefix if it has one), without /api/v1"
        ), result.stderr

    def test_a_proxys_refusal_is_quoted_without_its_terminal_escapes(self, tmp_path):
        with answering(400, b"\x1b[2J\x1b[Hdenied\x1b]0;pwned\x07\n") as (url, _):
            result = validate(tmp_path, url, GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert "HTTP 400 (\\x1b[2J\\x1b[Hdenied\\x1b]0;pwned\\x07)" in result.stderr, result.stderr

    def test_a_prometheus_answering_503_is_asked_three_times_then_exit_5(self, tmp_path):
        with answering(503) as (url, asked):
            result = validate(tmp_path, url, GOOD[0])
        assert result.returncode == 5
        assert "(3 tries): RetryError" in result.stderr
        # The metric names, asked through prometheus-api-client (the dry run asks through the analyzer's source).
        assert asked.count("/api/v1/label/__name__/values") == 3, asked

    @pytest.mark.parametrize("status", [429, 503])
    def test_a_prometheus_asking_to_wait_is_asked_once_and_says_so(self, tmp_path, status):
        # urllib3 by default sleeps as long as Retry-After asks (up to 6 hours) and asks again, twice.
        with answering(status, b"overloaded", retry_after="3") as (url, asked):
            result = validate(tmp_path, url, GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert asked.count("/api/v1/label/__name__/values") == 1, asked
        assert result.stderr.strip().endswith(
            f"cannot ask Prometheus at {url}: HTTP {status} (overloaded); it asks to wait 3 s, so it was not asked "
            "again (run the lint once it has recovered)"
        ), result.stderr

    def test_a_retry_after_echoing_the_sources_credential_is_hidden(self, tmp_path):
        # The Retry-After was quoted as the proxy sent it, the one text of its answer not searched for credentials.
        catalog = {
            "sources": {"default": {"url": "http://p:9090", "headers": {"Authorization": "Bearer tok-s3cr3t-42"}}}
        }
        with answering(503, b"overloaded", retry_after="Bearer tok-s3cr3t-42") as (url, _):
            result = validate(tmp_path, url, GOOD[0], catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "s3cr3t" not in result.stdout + result.stderr
        assert "; Retry-After '<redacted>', so it was not asked again" in result.stderr, result.stderr

    def test_an_answer_nested_too_deeply_is_exit_5_saying_so(self, tmp_path):
        with answering(200, b"[" * 100_000) as (url, _):
            result = validate(tmp_path, url, GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert f"cannot ask Prometheus at {url}: it answered JSON nested too deeply to read" in result.stderr

    @pytest.mark.parametrize(
        "body",
        [
            b'{"status":"success","data":null}',
            b'{"ok":true}',
            b"[1, 2]",
            # A `data` of another shape read as a Prometheus holding no metric: every name "does not exist", exit 6.
            b'{"status":"success","data":{"http_requests_total":1}}',
            b'{"status":"success","data":[1, 2]}',
        ],
    )
    def test_an_answer_that_is_not_prometheus_json_is_exit_5_naming_what_was_asked(self, tmp_path, body):
        # Before: a traceback (KeyError 'data', TypeError: 'NoneType' object is not iterable), exit 1.
        with answering(200, body) as (url, _):
            result = validate(tmp_path, url, GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().endswith(
            f"cannot ask Prometheus at {url}: its answer to /api/v1/label/__name__/values is not a Prometheus API "
            "answer (HTTP 200 without a `data` list of what it asked for): is this the address of Prometheus' HTTP "
            "API?"
        ), result.stderr

    @pytest.mark.parametrize(
        ("check", "path"),
        [
            (GOOD[0], "/api/v1/labels"),
            ({**GOOD[0], "query": ERROR_RATIO.replace('"checkout"', '"chekout"')}, "/api/v1/label/service/values"),
            (
                {
                    "name": "p99",
                    "kind": "prometheus",
                    "query": "histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket[5m])))",
                    "pass_if": "< 0.5",
                },
                "/api/v1/series",
            ),
        ],
    )
    def test_a_lookup_answered_with_null_data_is_exit_5_naming_it(self, tmp_path, prometheus, check, path):
        # Before: a traceback (TypeError: 'NoneType' object is not iterable), exit 1; the other questions answered.
        with answering_null_on(prometheus.url, path) as url:
            result = validate(tmp_path, url, check, at=prometheus.anchor)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert f"cannot ask Prometheus at {url}: its answer to {path} is not a Prometheus API answer" in result.stderr

    def test_an_answer_trickling_in_ends_at_the_timeout(self, tmp_path):
        # Before: requests' timeout bounds each read alone, and a byte arriving within each kept the lint waiting for
        # ever (the dry run's own source ends at its timeout_s).
        catalog = {"sources": {"default": {"url": "http://p:9090", "timeout_s": 1}}}
        path = write_catalog(tmp_path, catalog, GOOD[0])
        with trickling() as url:
            result = subprocess.run(
                [sys.executable, "-m", "analyzer.cli", "validate", str(path), "--prometheus", url],
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "ANALYZER_DEADLINE_S": "2"},
            )
        assert result.returncode == 5, result.stdout + result.stderr
        assert (
            f"cannot ask Prometheus at {url}: ReadTimeout: its answer to /api/v1/label/__name__/values was still "
            "arriving after 2 s ("
        ) in result.stderr, result.stderr

    def test_a_prometheus_that_never_answers_is_asked_once(self, tmp_path):
        # Before: each check's dry run waited out its deadline, then the question about names was asked three times,
        # each waiting out its timeout (3 checks: 44 s), to say at last that Prometheus does not answer.
        checks = [{**GOOD[0], "name": f"error-rate-{n}"} for n in range(3)]
        path = write_catalog(tmp_path, {"sources": {"default": {"url": "http://p:9090"}}}, *checks)
        with silent() as (url, accepted):
            result = subprocess.run(
                [sys.executable, "-m", "analyzer.cli", "validate", str(path), "--prometheus", url],
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "ANALYZER_DEADLINE_S": "1"},
            )
        assert result.returncode == 5, result.stdout + result.stderr
        assert f"cannot ask Prometheus at {url}: ReadTimeout: " in result.stderr, result.stderr
        assert "dry run" not in result.stdout + result.stderr
        assert len(accepted) == 1

    def test_a_connection_closed_unanswered_is_asked_three_times(self, tmp_path):
        # A port-forward whose pod is not up yet accepts and closes: asked again, as a connection refused is.
        path = write_catalog(tmp_path, {"sources": {"default": {"url": "http://p:9090"}}}, GOOD[0])
        with silent(closing=True) as (url, accepted):
            result = subprocess.run(
                [sys.executable, "-m", "analyzer.cli", "validate", str(path), "--prometheus", url],
                capture_output=True,
                text=True,
                timeout=120,
            )
        assert result.returncode == 5, result.stdout + result.stderr
        assert f"cannot ask Prometheus at {url} (3 tries): ConnectionError: " in result.stderr, result.stderr
        assert len(accepted) == 3


@contextmanager
def silent(closing: bool = False) -> Iterator[tuple[str, list[socket.socket]]]:
    """A server on 127.0.0.1 that accepts every connection and never answers (`closing`: closes it at once). Yields
    its base URL and the connections it accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
                if closing:
                    accepted[-1].close()
            except OSError:
                return  # closed

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join()
        for connection in accepted:
            connection.close()


def write_catalog(tmp_path, catalog, *checks):
    """The catalog file of `checks` with `catalog`'s sources."""
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"sources": catalog["sources"], "checks": list(checks)}))
    return path


@contextmanager
def trickling() -> Iterator[str]:
    """A server on 127.0.0.1 that answers every GET with 200 and a JSON body it never finishes: a few bytes every
    0.2 s, until the block ends. Yields its base URL."""
    stopped = threading.Event()

    class Trickling(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = b'{"status":"success","data":["up"'
            try:
                while not stopped.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                    piece = b',"up"'
                    stopped.wait(0.2)
            except OSError:
                pass  # the client went away

        def log_message(self, *args: object) -> None:
            pass

    # Stopped before the server closes, which waits for its handlers.
    with serving(Trickling) as url:
        try:
            yield url
        finally:
            stopped.set()


@contextmanager
def answering_null_on(prometheus_url: str, path: str) -> Iterator[str]:
    """A querier in front of Prometheus that answers the questions on `path` with `"data": null`. Yields its URL."""

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            if urllib.parse.urlsplit(self.path).path == path:
                return 200, b'{"status":"success","data":null}'
            return asked_prometheus(prometheus_url, self.path)

    with serving(Querier) as url:
        yield url


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """`handler` served on 127.0.0.1 from a thread (over TLS with `tls`) while the block runs: its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Answering(http.server.BaseHTTPRequestHandler):
    """A fake server's handler: each GET answered with what `answer` returns (status, body), as `content_type`;
    no access log."""

    content_type: str | None = "application/json"

    def do_GET(self) -> None:
        status, body = self.answer()
        self.send_response(status)
        if self.content_type is not None:
            self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self) -> tuple[int, bytes]:
        raise NotImplementedError

    def log_message(self, *args: object) -> None:
        pass


def asked_prometheus(prometheus_url: str, path: str) -> tuple[int, bytes]:
    """What Prometheus answers to a GET of `path`: its status and body, refusals included."""
    try:
        with urllib.request.urlopen(prometheus_url + path, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refusal:
        return refusal.code, refusal.read()


@contextmanager
def answering(status: int, body: bytes = b"", retry_after: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that answers every GET with `status` and `body` (and a Retry-After header when given):
    its base URL and the paths asked."""
    asked: list[str] = []

    class Fixed(Answering):
        content_type = None

        def answer(self) -> tuple[int, bytes]:
            asked.append(self.path)
            return status, body

        def end_headers(self) -> None:
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            super().end_headers()

    with serving(Fixed) as url:
        yield url, asked


@contextmanager
def tenant_querier(
    prometheus_url: str, tenant: str, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[str, list[str]]]:
    """A multi-tenant querier in front of Prometheus, as Mimir or Cortex: 401 without `X-Scope-OrgID: tenant`;
    over TLS with `tls`. Yields its URL and the paths it refused."""
    refused: list[str] = []

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            if self.headers.get("X-Scope-OrgID") != tenant:
                refused.append(self.path)
                return 401, b"no org id\n"
            return asked_prometheus(prometheus_url, self.path)

    with serving(Querier, tls) as url:
        yield url, refused


@contextmanager
def victoria_like(prometheus_url: str, refusing: str = "") -> Iterator[str]:
    """A querier in front of Prometheus that refuses a query as VictoriaMetrics did until 2026-08: a 400 bad_data
    of Prometheus becomes a 422 whose errorType is "422"; with `refusing`, so is every query holding that text
    (MetricsQL lacking what Prometheus has). Yields its URL."""

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            asked = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
            if refusing and refusing in asked:
                return 422, json.dumps(
                    {"status": "error", "errorType": "422", "error": f"cannot parse {asked!r}: unsupported"}
                ).encode()
            status, body = asked_prometheus(prometheus_url, self.path)
            if status == 400:
                return 422, body.replace(b'"errorType":"bad_data"', b'"errorType":"422"')
            return status, body

    with serving(Querier) as url:
        yield url


@pytest.mark.integration
class TestLiveLintAsks:
    """Every question the lint asks carries the source's headers, and a refusal to answer is exit 5, not a pass."""

    def test_a_tenant_header_reaches_every_question(self, tmp_path, prometheus):
        check = {**GOOD[0], "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        catalog = {"sources": {"default": {"url": "http://mimir:8080", "headers": {"X-Scope-OrgID": "payments"}}}}
        with tenant_querier(prometheus.url, "payments") as (url, refused):
            result = validate(tmp_path, url, check, at=prometheus.anchor, catalog=catalog)
        assert refused == []
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout

    def test_insecure_reaches_every_question(self, tmp_path, prometheus):
        # A querier whose certificate no CA of the CI job signed, and a source that says `insecure: true`.
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(tls)
        check = {**GOOD[0], "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        source = {"url": "https://mimir:8080", "headers": {"X-Scope-OrgID": "payments"}, "insecure": True}
        with tenant_querier(prometheus.url, "payments", tls) as (url, _):
            result = validate(tmp_path, url, check, at=prometheus.anchor, catalog={"sources": {"default": source}})
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        assert "InsecureRequestWarning" not in result.stderr

    @pytest.mark.parametrize("given", [True, False])
    def test_a_ca_file_given_to_the_lint_verifies_every_question(self, tmp_path, prometheus, given):
        # A querier behind a private CA; the source's own ca_file names a path in the pod, which CI does not have.
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca = trustme.CA()
        ca.issue_cert("127.0.0.1").configure_cert(tls)
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        check = {**GOOD[0], "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        source = {"url": "https://mimir:8080", "headers": {"X-Scope-OrgID": "payments"}, "ca_file": "/etc/ca/ca.pem"}
        with tenant_querier(prometheus.url, "payments", tls) as (url, _):
            result = validate(
                tmp_path,
                url,
                check,
                at=prometheus.anchor,
                catalog={"sources": {"default": source}},
                ca_file=tmp_path / "ca.pem" if given else None,
            )
        if given:
            assert result.returncode == 6, result.stdout + result.stderr
            assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        else:
            # Verified with certifi's CAs, as the service would without the pod's file: never silently unverified.
            assert result.returncode == 5, result.stdout + result.stderr
            assert "CERTIFICATE_VERIFY_FAILED" in result.stderr

    def test_a_querier_refusing_the_lint_is_exit_5_even_with_no_check_run(self, tmp_path, prometheus):
        not_run = {**GOOD[0], "params": {"canary_hash": {"type": "label_value", "required": True}}}
        with tenant_querier(prometheus.url, "payments") as (url, refused):
            result = validate(tmp_path, url, not_run)
        assert refused
        assert result.returncode == 5, result.stdout + result.stderr
        assert f"cannot ask Prometheus at {url}" in result.stderr and "401" in result.stderr

    @pytest.mark.parametrize("status", [401, 403])
    def test_a_proxy_refusing_the_query_path_alone_is_exit_5_saying_so(self, tmp_path, prometheus, status):
        # Before: exit 6, "the source refuses the check's query ...: fix its PromQL", for a correct catalog whose
        # lint's credentials a proxy refused on /api/v1/query only (the metadata APIs answered).
        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith("/api/v1/query"):
                    return status, b"unauthorized\n"
                return asked_prometheus(prometheus.url, self.path)

        with serving(Querier) as url:
            result = validate(tmp_path, url, GOOD[0], at=prometheus.anchor)
        assert result.returncode == 5, result.stdout + result.stderr
        assert (
            f"cannot ask Prometheus at {url}: its query API refuses the lint's requests (HTTP 401 or 403 on "
            f"/api/v1/query), so the dry run's queries were not judged: Prometheus source 'default' ({url}) rejected "
            f"the query (HTTP {status}: unauthorized)"
        ) in result.stderr
        assert "fix its PromQL" not in result.stdout + result.stderr

    def test_a_proxy_refusing_one_checks_query_while_answering_the_others_is_that_checks_problem(
        self, tmp_path, prometheus
    ):
        # A proxy's policy on what may be read (a metric a tenant may not query): the query path answers the lint.
        # Before: exit 5, "its query API refuses the lint's requests", and no other check's problem was said (the
        # misspelt metric of `typo` went unreported).
        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith("/api/v1/query") and "eb_latency" in self.path:
                    return 403, b"forbidden metric\n"
                return asked_prometheus(prometheus.url, self.path)

        typo = {**GOOD[0], "name": "typo", "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        with serving(Querier) as url:
            result = validate(tmp_path, url, GOOD[0], GOOD[1], typo, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "its query API refuses" not in result.stderr
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        assert "problem: the source refuses the check's query (quoted above)" in result.stdout

    def test_a_refused_query_the_check_judges_around_is_a_problem(self, tmp_path, prometheus):
        # The error_budget period's query, evidence only: before, "budget remaining over 30d unknown", 0 problems,
        # exit 0, the refusal said nowhere, while the query API answered the other queries.
        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith("/api/v1/query") and "30d" in self.path:
                    return 403, b"forbidden range\n"
                return asked_prometheus(prometheus.url, self.path)

        with serving(Querier) as url:
            result = validate(tmp_path, url, GOOD[0], GOOD[1], at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert (
            f"problem: the source refuses a query of the check (Prometheus source 'default' ({url}) rejected the "
            "query (HTTP 403: forbidden range)), which it judges around, so what it would answer is not checked"
        ) in result.stdout

    @pytest.mark.parametrize(
        ("status", "body", "said"),
        [
            (
                400,
                {"status": "error", "errorType": "bad_data", "error": "parse error"},
                "HTTP 400 bad_data: parse error",
            ),
            (422, {"status": "error", "errorType": "422", "error": "unsupported"}, "HTTP 422 422: unsupported"),
        ],
    )
    def test_a_query_refused_as_invalid_that_the_check_judges_around_is_a_problem(
        self, tmp_path, prometheus, status, body, said
    ):
        # A 400 or 422 (bad PromQL for Prometheus, or VictoriaMetrics) of the error_budget period's query: before,
        # "budget remaining over 30d unknown", 0 problems, exit 0, the refusal said nowhere.
        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith("/api/v1/query") and "30d" in self.path:
                    return status, json.dumps(body).encode()
                return asked_prometheus(prometheus.url, self.path)

        with serving(Querier) as url:
            result = validate(tmp_path, url, GOOD[1], at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "api-latency: FAIL" in result.stdout
        [problem] = [line.strip() for line in result.stdout.splitlines() if line.startswith("    problem:")]
        assert problem.startswith(
            f"problem: the source refuses a query of the check (Prometheus source 'default' ({url}) rejected the "
            f"query ({said})), which it judges around, so what it would answer is not checked: fix the query"
        ), problem
        assert "; the query: label_replace(label_replace(sum(rate(eb_latency_seconds_bucket{" in problem
        assert "[30d]" in problem

    def test_an_execution_error_of_a_query_the_check_judges_around_is_no_problem(self, tmp_path, prometheus):
        # Prometheus' execution error (too many samples over 30d) is a state of the data, not of the catalog.
        body = {"status": "error", "errorType": "execution", "error": "query processing would load too many samples"}

        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith("/api/v1/query") and "30d" in self.path:
                    return 422, json.dumps(body).encode()
                return asked_prometheus(prometheus.url, self.path)

        with serving(Querier) as url:
            result = validate(tmp_path, url, GOOD[1], at=prometheus.anchor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 problems in 1 check\n" in result.stdout


@contextmanager
def failing_queries(prometheus_url: str, how: str, holding: str = "") -> Iterator[str]:
    """A querier in front of Prometheus that answers every question about names, labels and series, but fails every
    query (holding `holding`): `how` is an HTTP status ("503", "429": answered at once) or "slow" (answered after
    3 s). Yields its URL."""

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            asked = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
            if not self.path.startswith("/api/v1/query") or holding not in asked:
                return asked_prometheus(prometheus_url, self.path)
            if how.isdigit():
                return int(how), b"upstream connect error\n"
            threading.Event().wait(3.0)
            return asked_prometheus(prometheus_url, self.path)

    with serving(Querier) as url:
        yield url


@contextmanager
def stalling_queries(prometheus_url: str) -> Iterator[tuple[str, list[str]]]:
    """A querier in front of Prometheus that answers every question about names, labels and series, and holds every
    query unanswered until the block ends. Yields its URL and the queries it was sent."""
    stopped = threading.Event()
    queries: list[str] = []

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            if not self.path.startswith("/api/v1/query"):
                return asked_prometheus(prometheus_url, self.path)
            queries.append(self.path)
            stopped.wait()
            return 503, b""

    # Released before the server closes, which waits for its handlers.
    with serving(Querier) as url:
        try:
            yield url, queries
        finally:
            stopped.set()


@contextmanager
def holding_queries(prometheus_url: str, holding: str, answer: tuple[int, bytes] | None = None) -> Iterator[str]:
    """A querier in front of Prometheus that answers every request but the queries holding `holding`: those it answers
    `answer` at once, or (None) holds unanswered until the block ends. Yields its URL."""
    stopped = threading.Event()

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            asked = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
            if not self.path.startswith("/api/v1/query") or holding not in asked:
                return asked_prometheus(prometheus_url, self.path)
            if answer is not None:
                return answer
            stopped.wait()
            return 503, b""

    with serving(Querier) as url:
        try:
            yield url
        finally:
            stopped.set()


@contextmanager
def stalling_rules(prometheus_url: str) -> Iterator[tuple[str, list[str]]]:
    """A querier in front of Prometheus that answers every request but its rules API's, which it holds unanswered
    until the block ends. Yields its URL and the rules API requests it was sent."""
    stopped = threading.Event()
    asked: list[str] = []

    class Querier(Answering):
        def answer(self) -> tuple[int, bytes]:
            if not self.path.startswith("/api/v1/rules"):
                return asked_prometheus(prometheus_url, self.path)
            asked.append(self.path)
            stopped.wait()
            return 503, b""

    # Released before the server closes, which waits for its handlers.
    with serving(Querier) as url:
        try:
            yield url, asked
        finally:
            stopped.set()


@pytest.mark.integration
class TestLiveLintUnanswered:
    """A dry run whose queries Prometheus did not answer is exit 5, never "0 problems" and exit 0."""

    @pytest.mark.parametrize(
        ("how", "said"),
        [
            ("503", "is failing (HTTP 503"),
            ("slow", "did not answer in time"),
            # A proxy's request timeout, sent again once: no answer to the query. Before: a problem, "fix its PromQL".
            ("408", "rejected the query (HTTP 408"),
        ],
    )
    def test_a_query_failing_mid_lint_is_exit_5(self, tmp_path, prometheus, how, said):
        # Before: the names were all there, so "0 problems", exit 0, for a check whose query was never judged.
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with failing_queries(prometheus.url, how) as url:
            result = validate(tmp_path, url, GOOD[0], at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert (
            f"not checked: Prometheus did not answer a query of the dry run (Prometheus source 'default' ({url}) {said}"
            in (result.stdout)
        )
        assert "0 problems in 1 check; 1 not checked in full (Prometheus did not answer)" in result.stdout
        assert "did not answer every query of the dry run of error-rate" in result.stderr

    def test_a_range_query_failing_mid_lint_is_exit_5(self, tmp_path, prometheus):
        with failing_queries(prometheus.url, "503") as url:
            result = validate(tmp_path, url, {**GOOD[0], "range": "10m"}, at=prometheus.anchor)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "not checked: Prometheus did not answer a query of the dry run" in result.stdout

    def test_a_members_query_failing_is_exit_5(self, tmp_path, prometheus):
        member = {**GOOD[0], "name": "member", "params": {}, "query": 'sum(rate(http_requests_total{code="500"}[5m]))'}
        composite = {"name": "both", "kind": "composite", "members": [{"check": "member"}]}
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with failing_queries(prometheus.url, "503") as url:
            result = validate(tmp_path, url, member, composite, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "did not answer every query of the dry run of member, both" in result.stderr

    # A querier's or proxy's rate limit (429) and a request timeout (408) are no fault of the query either: not
    # checked, never "fix the query". Before: a 408 was a problem, exit 6, "fix the query".
    @pytest.mark.parametrize("status", ["503", "429", "408"])
    def test_a_query_failing_that_the_check_judges_around_is_exit_5(self, tmp_path, prometheus, status):
        # The period's query of an error_budget without a budget gate is evidence only: its 503 leaves the verdict
        # FAIL, no error, and before it left the lint "0 problems", exit 0.
        with failing_queries(prometheus.url, status, holding="[30d]") as url:
            result = validate(tmp_path, url, GOOD[1], at=prometheus.anchor)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "api-latency: FAIL" in result.stdout and "budget remaining over 30d unknown" in result.stdout
        assert "not checked: Prometheus did not answer a query of the dry run" in result.stdout

    def test_only_the_check_whose_query_failed_is_not_checked(self, tmp_path, prometheus):
        # What one check's dry run was not answered is not carried to the checks run after it.
        with failing_queries(prometheus.url, "503", holding="[30d]") as url:
            result = validate(tmp_path, url, GOOD[1], GOOD[0], at=prometheus.anchor)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "0 problems in 2 checks; 1 not checked in full" in result.stdout
        assert "did not answer every query of the dry run of api-latency (said above)" in result.stderr

    def test_problems_found_are_still_exit_6(self, tmp_path, prometheus):
        check = {**GOOD[0], "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        with failing_queries(prometheus.url, "503") as url:
            result = validate(tmp_path, url, check, at=prometheus.anchor)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout

    def test_a_prometheus_stalling_on_queries_stops_the_dry_run_at_the_first(self, tmp_path, prometheus):
        # Before: each of the checks sent its query and waited out its whole deadline (a catalog of 40 checks: 40
        # deadlines), though the names were answered at once.
        checks = [{**GOOD[0], "name": f"error-rate-{n}"} for n in range(3)]
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with stalling_queries(prometheus.url) as (url, queries):
            result = validate(tmp_path, url, *checks, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        # Only the first check's query was sent, and then vector(1), to tell a stall from one heavy query.
        assert len(queries) == 2 and "query=vector%281%29" in queries[1], queries
        assert (
            "not checked: Prometheus did not answer a query of the dry run (Prometheus source 'default' "
            f"({url}) did not answer in time)"
        ) in result.stdout, result.stdout
        for n in (1, 2):
            assert (
                f"  error-rate-{n}: not run: Prometheus stalled on the queries of error-rate-0 (Prometheus source "
                f"'default' ({url}) did not answer in time): the dry run stopped there rather than wait out each "
                "check's deadline; run the lint again once Prometheus answers queries"
            ) in result.stdout, result.stdout
        assert "0 problems in 3 checks; 3 not checked in full (Prometheus did not answer)" in result.stdout
        assert "did not answer every query of the dry run of error-rate-0, error-rate-1, error-rate-2" in result.stderr

    def test_a_stalled_rules_api_is_asked_once_per_source(self, tmp_path, prometheus):
        # Before: every Sloth check listed the rules again and waited out its timeout (3 requests), and the lint
        # exited 0, each check's rules "not checked" in a note alone.
        checks = [sloth_check("slsv", f"sloth-{n}", errors_query=None) for n in range(3)]
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with stalling_rules(prometheus.url) as (url, asked):
            result = validate(tmp_path, url, *checks, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert len(asked) == 1, asked
        blocks = {block.split(":", 1)[0]: block for block in re.split(r"\n  (?=\S)", result.stdout)}
        said = f"Prometheus source 'default' ({url})'s rules API did not answer within 1 s"
        assert f"not checked: Prometheus did not answer a query of the dry run ({said})" in blocks["sloth-0"], blocks[
            "sloth-0"
        ]
        for name in ("sloth-1", "sloth-2"):
            assert "PASS" in blocks[name] and said not in blocks[name], blocks[name]
            assert "rules API stalled on an earlier check's listing: not asked again" in blocks[name], blocks[name]
        assert "0 problems in 3 checks; 1 not checked in full (Prometheus did not answer)" in result.stdout

    def test_a_query_held_past_the_checks_deadline_stops_the_dry_run_too(self, tmp_path, prometheus):
        # The source's timeout longer than the deadline (8 s): the deadline ends the query in flight.
        checks = [{**GOOD[0], "name": f"error-rate-{n}"} for n in range(2)]
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 30}}}
        with stalling_queries(prometheus.url) as (url, queries):
            result = validate(tmp_path, url, *checks, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert len(queries) == 2, queries
        assert "  error-rate-1: not run: Prometheus stalled on the queries of error-rate-0 (" in result.stdout
        assert "0 problems in 2 checks; 2 not checked in full (Prometheus did not answer)" in result.stdout

    # One check's query too heavy for its timeout, on a Prometheus answering the others: the later checks are still
    # dry-run, and a problem of theirs is still exit 6. Before: each "not run: Prometheus stalled", exit 5.
    @pytest.mark.parametrize(
        "answer",
        [
            # Prometheus' own answer at once: the query timed out in its evaluation (the check's, not a stall).
            (503, json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"}).encode()),
            # No answer in the source's timeout, while Prometheus answers other queries.
            None,
        ],
    )
    def test_one_check_timing_out_on_a_prometheus_answering_others_stops_nothing(self, tmp_path, prometheus, answer):
        heavy = {**GOOD[0], "name": "heavy"}
        later = {**GOOD[0], "name": "later", "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with holding_queries(prometheus.url, "http_requests_total", answer) as url:
            result = validate(tmp_path, url, heavy, later, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "stalled" not in result.stdout, result.stdout
        assert "problem: metric http_request_total does not exist in this Prometheus" in result.stdout
        assert "  heavy: " in result.stdout and "not checked: Prometheus did not answer a query" in result.stdout


@contextmanager
def echoing_refusal(status: int) -> Iterator[str]:
    """A proxy on 127.0.0.1 that refuses every GET with `status`, quoting the request's headers in its body: its
    base URL."""

    class Echo(Answering):
        content_type = "text/plain"

        def answer(self) -> tuple[int, bytes]:
            return status, f"denied: {dict(self.headers)}".encode()

    with serving(Echo) as url:
        yield url


# A tenant long enough to be a token, a bearer token, and a short tenant that is no credential.
ECHOED_HEADERS = {"X-Scope-OrgID": "tenant-7f3c9a", "Authorization": "Bearer s3cr3t-t0ken", "X-Team": "paym"}


@pytest.mark.integration
class TestLiveLintRefusalQuotes:
    """A refusal the lint quotes hides the source's header credentials as the service's Prometheus client does."""

    @pytest.mark.parametrize("status", [401, 403])
    @pytest.mark.parametrize(
        ("question", "said"), [("names", "<redacted>"), ("retention", "on /api/v1/status/runtimeinfo")]
    )
    def test_a_question_refused_by_a_proxy_echoing_credentials(self, status, question, said):
        from analyzer.errors import SourceUnavailable
        from analyzer.lint import PrometheusCatalog

        with echoing_refusal(status) as url, pytest.raises(SourceUnavailable) as raised:
            getattr(PrometheusCatalog(url, 5.0, ECHOED_HEADERS), question)()
        message = raised.value.message
        assert f"HTTP {status} (denied: " in message and said in message
        for secret in ("tenant-7f3c9a", "s3cr3t-t0ken", "paym"):
            assert secret not in message, message

    def test_a_malformed_answer_echoing_credentials(self):
        from analyzer.errors import SourceUnavailable
        from analyzer.lint import PrometheusCatalog

        class MalformedEcho(Answering):
            def do_GET(self) -> None:
                self.wfile.write(f"HTTP/1.1 2x0 {self.headers['Authorization']}\r\n\r\n".encode())

        with serving(MalformedEcho) as url, pytest.raises(SourceUnavailable) as raised:
            PrometheusCatalog(url, 5.0, ECHOED_HEADERS).names()
        assert "BadStatusLine('HTTP/1.1 2x0 <redacted>" in raised.value.message
        assert "s3cr3t-t0ken" not in raised.value.message

    def test_validate_prints_no_credential_a_proxy_echoed(self, tmp_path):
        catalog = {"sources": {"default": {"url": "http://mimir:8080", "headers": ECHOED_HEADERS}}}
        with echoing_refusal(401) as url:
            result = validate(tmp_path, url, GOOD[0], catalog=catalog)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "HTTP 401 (denied: " in result.stderr
        for secret in ("tenant-7f3c9a", "s3cr3t-t0ken"):
            assert secret not in result.stdout + result.stderr


@pytest.mark.integration
class TestLiveLintScope:
    """The lint reads catalogs as `validate` does and never sends a smoke test's requests."""

    def test_http_checks_are_not_run(self, tmp_path, prometheus):
        # Port 9 on loopback: were the check run, it would fail to connect and print a verdict, not "not run".
        smoke = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://127.0.0.1:9",
            "allowed_hosts": ["127.0.0.1"],
            "steps": [{"name": "home", "expect": {"status": [200]}}],
        }
        card = {
            "name": "card",
            "kind": "composite",
            "mode": "all",
            "members": [{"check": "error-rate", "args": {"canary_hash": "healthy1"}}, {"check": "smoke"}],
        }
        result = validate(tmp_path, prometheus.url, GOOD[0], smoke, card, at=prometheus.anchor)
        assert "Traceback" not in result.stdout + result.stderr
        assert "smoke: not run: it sends HTTP requests to its targets" in result.stdout
        assert "card: not run: it sends HTTP requests to its targets" in result.stdout
        assert "error-rate: PASS" in result.stdout

    def test_a_directory_is_searched_as_validate_searches_it(self, tmp_path, prometheus):
        tree = tmp_path / "gitops"
        (tree / "app").mkdir(parents=True)
        validate(tree / "app", prometheus.url, GOOD[0])  # writes tree/app/catalog.yaml
        (tree / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "analyzer.cli",
                "validate",
                str(tree),
                "--prometheus",
                prometheus.url,
                "--at",
                str(prometheus.anchor),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "skipped 1 file holding no catalog document" in result.stdout
        assert "error-rate: PASS" in result.stdout


@pytest.mark.integration
class TestRetention:
    """The lint reads how long Prometheus keeps samples from its runtime info, or knows it does not know."""

    def test_a_real_prometheus_says_its_retention(self, prometheus):
        from analyzer.lint import PrometheusCatalog

        # The test Prometheus keeps 10 years (analyzer.testing), so no check of the catalogs here reaches past it.
        assert PrometheusCatalog(prometheus.url, 5.0).retention() == (10 * 365 * 86400, "10y")

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (404, b"404 page not found"),
            (200, b'{"status": "success", "data": {"storageRetention": "10GiB"}}'),
            (200, b"[" * 100_000),
        ],
    )
    def test_a_querier_without_runtime_info_or_a_size_only_retention_is_unknown(self, status, body):
        from analyzer.lint import PrometheusCatalog

        with answering(status, body) as (url, _):
            assert PrometheusCatalog(url, 5.0).retention() is None

    def test_a_refusal_of_the_runtime_info_is_quoted_without_its_terminal_escapes(self):
        from analyzer.errors import SourceUnavailable
        from analyzer.lint import PrometheusCatalog

        with answering(403, b"\x1b]0;pwned\x07denied\n") as (url, _), pytest.raises(SourceUnavailable) as raised:
            PrometheusCatalog(url, 5.0).retention()
        # `analyzer validate --prometheus` prints it to the terminal.
        assert "\x1b" not in raised.value.message and "\x07" not in raised.value.message
        assert "HTTP 403 (\\x1b]0;pwned\\x07denied) on /api/v1/status/runtimeinfo" in raised.value.message


# A plugin's kind (the same contract as the built-in ones) that waits until it is cancelled, then sends two last
# queries as its cancellation unwinds, as a kind may, past its deadline (its own timeout): the second after the first's
# answer, when its composite may have answered already.
LINGERING_KIND = """
import asyncio
from typing import Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class LingeringCheck(Check):
    kind: Literal["lingering"] = "lingering"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            source = ctx.prometheus("default")
            await source.query("vector(1)", ctx.evaluation_time, 5.0)
            await source.query("lingering_last_reading", ctx.evaluation_time, 5.0)
            raise
        return Verdict(outcome=Outcome.PASS, reason="never", value=0.0, threshold=1.0)
"""


@pytest.mark.integration
class TestLiveLintComposites:
    """A composite's dry run is over when its members are: what a member sends as its cancellation unwinds (the
    composite's deadline reached) is linted as the composite's, not as the next check's, on an open source."""

    @pytest.mark.parametrize("last", [False, True], ids=["a-check-after-it", "the-last-check"])
    def test_a_members_last_query_is_the_composites(self, tmp_path, prometheus, last):
        card = {
            "name": "card",
            "kind": "composite",
            "deadline_s": 0.5,
            "members": [{"check": "lingering", "args": {"reading": 1}}],
        }
        # Not run on its own (its param has no example): only the composite runs it.
        lingering = {
            "name": "lingering",
            "kind": "lingering",
            "params": {"reading": {"type": "number", "required": True}},
        }
        checks = [lingering, GOOD[0], card] if last else [lingering, card, GOOD[0]]
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://prometheus:9090"}}, "checks": checks}))
        env = {**os.environ, **plugin_installed(tmp_path, "lingering", "LingeringCheck", LINGERING_KIND)}
        command = ["validate", str(path), "--prometheus", prometheus.url, "--at", str(prometheus.anchor)]
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert result.returncode == 6, result.stdout + result.stderr
        blocks = dict(re.findall(r"(?m)^  ([\w-]+): (.*(?:\n    .*)*)", result.stdout))
        # The member's deadline ends it before the composite's (a member error), or its unwinding outlasts the
        # composite's: an error of the deadline either way.
        assert re.match(
            r"ERROR (member 'lingering' could not be evaluated: no verdict by the deadline of the check it is a member "
            r"of|no verdict within the 0\.5 s deadline)",
            blocks["card"],
        ), blocks["card"]
        assert "problem: metric lingering_last_reading does not exist in this Prometheus" in blocks["card"]
        assert "lingering_last_reading" not in blocks["error-rate"]
        assert "error-rate: PASS" in result.stdout


# A plugin's kind whose evaluation crashes after its first query: the second, a misspelt name, is never sent.
CRASHING_KIND = """
from typing import Literal

from analyzer.kinds import Check, EvalContext, Verdict


class CrashingCheck(Check):
    kind: Literal["crashing"] = "crashing"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        source = ctx.prometheus("default")
        await source.query("vector(1)", ctx.evaluation_time, 5.0)
        raise ZeroDivisionError("a bug")
"""


@pytest.mark.integration
class TestLiveLintCrashes:
    """A dry run that crashed (its kind's bug), the check's own or a member's, leaves the check not checked in full:
    exit 5, never "0 problems", exit 0."""

    def lint(self, tmp_path, prometheus, *checks):
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://prometheus:9090"}}, "checks": checks}))
        env = {**os.environ, **plugin_installed(tmp_path, "crashing", "CrashingCheck", CRASHING_KIND)}
        command = ["validate", str(path), "--prometheus", prometheus.url, "--at", str(prometheus.anchor)]
        return subprocess.run(
            [sys.executable, "-m", "analyzer.cli", *command], capture_output=True, text=True, timeout=120, env=env
        )

    def test_a_check_whose_dry_run_crashed_is_exit_5(self, tmp_path, prometheus):
        # Before: `crashing: ERROR internal error ...`, then "0 problems in 2 checks", exit 0.
        result = self.lint(tmp_path, prometheus, {"name": "crashing", "kind": "crashing"}, GOOD[0])
        assert result.returncode == 5, result.stdout + result.stderr
        assert (
            "  crashing: ERROR internal error in check 'crashing': ZeroDivisionError: a bug\n"
            "    not checked: the dry run crashed (internal error in check 'crashing': ZeroDivisionError: a bug), a "
            "bug of the check's kind, so the queries it would have sent after the crash are not known\n"
        ) in result.stdout
        assert "error-rate: PASS" in result.stdout
        assert "0 problems in 2 checks; 1 not checked in full (the dry run crashed)\n" in result.stdout
        assert (
            "analyzer: the dry run of crashing crashed (said above): the catalog could not be checked in full; the "
            "crash is a bug of the check's kind (a plugin's, or the analyzer's: report it)"
        ) in result.stderr

    def test_a_member_whose_dry_run_crashed_leaves_its_composite_not_checked(self, tmp_path, prometheus):
        # Ignored, the member's crash leaves the composite passing on the other member: its report said nothing of it.
        card = {
            "name": "card",
            "kind": "composite",
            "mode": "any",
            "on_member_error": "ignore",
            "params": EXAMPLE_CANARY,
            "members": [
                {"check": "crashing", "args": {"reading": 1}},
                {"check": "error-rate", "args": {"canary_hash": "{{ canary_hash }}"}},
            ],
        }
        # Not run on its own (its param has no example): only the composite runs it.
        crashing = {"name": "crashing", "kind": "crashing", "params": {"reading": {"type": "number", "required": True}}}
        result = self.lint(tmp_path, prometheus, crashing, GOOD[0], card)
        assert result.returncode == 5, result.stdout + result.stderr
        assert "  card: PASS " in result.stdout
        assert (
            "    not checked: the dry run crashed (internal error in check 'crashing': ZeroDivisionError: a bug)"
        ) in result.stdout
        assert "0 problems in 3 checks; 1 not checked in full (the dry run crashed)\n" in result.stdout
        assert "analyzer: the dry run of card crashed (said above)" in result.stderr


@pytest.mark.integration
class TestLiveLintProbesOncePerTimeout:
    """The dry run asks vector(1) once for each check whose query timed out, never again for the checks after it."""

    def test_a_heavy_query_is_probed_once(self, tmp_path, prometheus):
        probes: list[str] = []
        timed_out = (503, json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"}).encode())

        class Querier(Answering):
            def answer(self) -> tuple[int, bytes]:
                asked = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
                if asked == "vector(1)":
                    probes.append(asked)
                if self.path.startswith("/api/v1/query") and "http_requests_total" in asked:
                    return timed_out
                return asked_prometheus(prometheus.url, self.path)

        heavy = {**GOOD[0], "name": "heavy"}
        later = [
            {**GOOD[0], "name": f"later-{n}", "query": ERROR_RATIO.replace("http_requests_total", "http_request_total")}
            for n in range(2)
        ]
        catalog = {"sources": {"default": {"url": "http://prometheus.monitoring:9090", "timeout_s": 1}}}
        with serving(Querier) as url:
            result = validate(tmp_path, url, heavy, *later, at=prometheus.anchor, catalog=catalog)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "stalled" not in result.stdout, result.stdout
        assert probes == ["vector(1)"], probes
