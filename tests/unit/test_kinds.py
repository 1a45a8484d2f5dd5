"""The kind-author surface's own code: the NaN probe told without the PromQL parser's module where it can be."""

from __future__ import annotations

import pytest

from analyzer import kinds, promql_groups


class TestNanProbe:
    """A query naming an aggregation that may hide NaN gets promql_groups' probe (in capitals too); another, none."""

    @pytest.mark.parametrize(
        "query", ["max(rate(x[5m])) > 0.5", "MAX(rate(x[5m]))", "topk(1, x)", "sum(x) / quantile(0.9, y)"]
    )
    def test_a_hiding_aggregation_gets_the_probe(self, query):
        probe = kinds.nan_probe(query, 10)
        assert probe is not None and probe == promql_groups.nan_probe(query, 10)

    @pytest.mark.parametrize("query", ["sum(rate(x[5m]))", "avg(x) / count(y)"])
    def test_any_other_query_gets_none(self, query):
        assert kinds.nan_probe(query, 10) is None
