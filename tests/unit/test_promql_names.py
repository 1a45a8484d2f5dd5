"""The metric names read out of PromQL: every literal selector, nothing that only looks like one."""

from __future__ import annotations

import pytest

from analyzer.promql_names import metric_selectors, presence_query


def names(query: str) -> list[str]:
    return [found.name for found in metric_selectors(query)]


class TestMetricSelectors:
    """Names of selected metrics are found wherever PromQL lets them stand; labels, functions and keywords not."""

    @pytest.mark.parametrize(("query", "expected"), [
        ('sum(rate(http_requests_total{code=~"5..",svc="a"}[5m])) / sum(rate(http_requests_total[5m]))',
         ["http_requests_total", "http_requests_total"]),
        ("histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m])))", ["latency_seconds_bucket"]),
        ("sum without (instance, pod) (up)", ["up"]),
        ("sum(x) by (job) / on(job) group_left(team) team_info", ["x", "team_info"]),
        ("a and b or c unless ignoring(le) d", ["a", "b", "c", "d"]),
        ("x == bool 1", ["x"]),
        ('{__name__="kpi_total", job="shop"}', ["kpi_total"]),
        ('{__name__=~"kpi_.*"}', []),
        ("job:http_requests:rate5m offset 1h", ["job:http_requests:rate5m"]),
        ("x @ start() + y @ 1609746000", ["x", "y"]),
        ("max_over_time(avg(rate(kpi_total[1m]))[15m:1m])", ["kpi_total"]),
        ("1e+3 * Inf - NaN + 0x1F * vector(1) + time()", []),
        ('label_replace(x, "dst", "$1", "src", "(.*)")', ["x"]),
        ('count_values("le", topk(3, y))', ["y"]),
        ('sum(x{a="}{ # not a comment"}) # z{}\n + w', ["x", "w"]),
        ("SUM BY (job) (Rate(x[5m]))", ["x"]),
        ("sum(x) or absent(y) or absent_over_time(z[5m]) or absent(sum(rate(q[5m])))", ["x"]),
        ("x {a='b'} - y_total", ["x", "y_total"]),
    ])
    def test_names(self, query, expected):
        assert names(query) == expected

    def test_the_selector_is_quoted_as_written(self):
        found = metric_selectors('sum(increase(kpi_order_total{service="shop", h="x"}[10m])) / sum(kpi_visits_total)')
        assert [f.selector for f in found] == ['kpi_order_total{service="shop", h="x"}', "kpi_visits_total"]


class TestPresenceQuery:
    """The probe asks for each name once."""

    def test_one_regex_of_the_distinct_names(self):
        assert presence_query(["b", "a", "b"]) == 'group by (__name__) ({__name__=~"a|b"})'
