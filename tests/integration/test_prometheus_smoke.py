"""The session's Prometheus serves the backfilled data, and recording rules backfill over the whole range."""

import subprocess
from itertools import pairwise

import pytest
import requests

from analyzer.testing import RULE_BLOCK_S, backfill_rules, unrecorded_rules

pytestmark = pytest.mark.integration


def test_backfilled_data_is_served(prometheus):
    answer = requests.get(
        f"{prometheus.url}/api/v1/query",
        params={
            "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="broken1",code="500"}[5m]))',
            "time": prometheus.anchor,
        },
        timeout=5,
    ).json()
    assert abs(float(answer["data"]["result"][0]["value"][1]) - 1.0) < 1e-9


def dumped_times_s(tsdb_dir, metric):
    """The sample times (unix seconds) of `metric` in a TSDB directory, read with `promtool tsdb dump`."""
    (tsdb_dir / "wal").mkdir(exist_ok=True)
    dump = subprocess.run(
        ["promtool", "tsdb", "dump", str(tsdb_dir)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return sorted(
        int(line.rsplit(" ", 1)[1]) / 1000 for line in dump.splitlines() if line.startswith(f'{{__name__="{metric}"}}')
    )


class TestRuleBackfill:
    """Rules are recorded over the whole range wherever it starts, even just before one of promtool's 2 h
    blocks (promtool alone records nothing then, and exits 0)."""

    def test_a_range_starting_a_second_before_a_block_is_recorded_after_it(self, prometheus, tmp_path):
        boundary = int(prometheus.anchor) // RULE_BLOCK_S * RULE_BLOCK_S
        rules = "groups:\n- name: g\n  interval: 60s\n  rules:\n  - record: eb_backfill_one\n    expr: vector(1)\n"
        backfill_rules(rules, prometheus.url, boundary - 1, boundary + 600, tmp_path / "tsdb")
        times = dumped_times_s(tmp_path / "tsdb", "eb_backfill_one")
        # Every 60 s from the group's first evaluation time at or after the boundary to the end.
        assert boundary <= times[0] < boundary + 60 and boundary + 540 < times[-1] <= boundary + 600
        assert [b - a for a, b in pairwise(times)] == pytest.approx([60] * (len(times) - 1))


class TestUnrecordedRules:
    """The session's check that promtool recorded every rule: a rule answering at the end of its range without a
    series there is named; one that answers nothing, or reads another rule, is not."""

    def test_only_a_rule_that_answers_without_a_series_is_named(self, prometheus):
        rules = (
            "groups:\n- name: g\n  interval: 2m30s\n  rules:\n"
            '  - record: eb_never_backfilled\n    expr: vector(1)\n    labels:\n      team: "q\\"uote"\n'
            "  - record: eb_never_answers\n    expr: absent(vector(1))\n"
            '  - record: eb_reads_a_rule\n    expr: ebr_http_requests:increase4w{slo="ebr-idle"} * 2\n'
            "  - record: ebr_http_requests:increase4w\n"
            '    expr: sum by (code) (increase(ebr_http_requests_total{job="ebr-idle"}[4w]))\n'
            "    labels:\n      job: ebr-idle\n      slo: ebr-idle\n"
        )
        assert unrecorded_rules(rules, prometheus.url, prometheus.anchor) == ["eb_never_backfilled {'team': 'q\"uote'}"]
