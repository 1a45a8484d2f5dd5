"""What analyzer.promql_groups reads of a query without evaluating it, against what the tests' Prometheus (2.42)
answers for it."""

from __future__ import annotations

import math
import random

import pytest
import requests

from analyzer.promql_groups import fallback_constant

pytestmark = pytest.mark.integration

# Constants without labels, and what may wrap one: each answers one element, or none (topk(0, ...)).
_CONSTANTS = ("vector(0)", "vector(2)", "vector(-1)", "vector(0.5)")
_WRAPPERS = (
    "sum({})",
    "max by (pod) ({})",
    "topk(1, {})",
    "topk(0, {})",
    "quantile(0.9, {})",
    "quantile(-1, {})",
    "count({})",
    "stddev({})",
    "max_over_time(({})[5m:1m])",
    "quantile_over_time(0.2, ({})[10m:])",
    "present_over_time(({})[5m:1m])",
    "sum_over_time(({})[5m:1m])",
    "({}) ^ -1",
    "({}) ^ 0.5",
)
_FALLBACKS = (
    "nothing_at_all or {}",
    "sum(nothing_at_all or {})",
    "({}) or nothing_at_all",
    "avg_over_time((nothing_at_all or {})[5m:1m])",
)


def _constant(rng: random.Random, depth: int) -> str:
    wrapped = rng.choice(_CONSTANTS)
    for _ in range(depth):
        wrapped = rng.choice(_WRAPPERS).format(wrapped)
    return wrapped


class TestFallbackConstant:
    """The constant fallback_constant() computes is what Prometheus answers when no series the query reads exists."""

    def test_generated_queries_agree(self, prometheus):
        rng = random.Random(18)
        queries = list(
            dict.fromkeys(rng.choice(_FALLBACKS).format(_constant(rng, rng.randrange(3))) for _ in range(400))
        )
        computed = {query: constant for query in queries if (constant := fallback_constant(query)) is not None}
        assert len(computed) > 100  # enough constants computed for the test to mean something
        wrong = {}
        for query, constant in computed.items():
            answer = requests.get(
                f"{prometheus.url}/api/v1/query", params={"query": query, "time": prometheus.anchor}, timeout=5
            ).json()["data"]["result"]
            answered = [(element["metric"], float(element["value"][1])) for element in answer]
            if len(answered) != 1 or answered[0][0] != {} or not math.isclose(answered[0][1], constant):
                wrong[query] = (constant, answered)
        assert wrong == {}

    @pytest.mark.parametrize(
        "query",
        [
            "nothing_at_all or vector(1) * (0 ^ -1 > bool 1)",
            "nothing_at_all or vector(1) * ((-10) ^ 400 > bool 0)",
            "nothing_at_all or vector(1) * ((-10) ^ 401 < bool 0)",
            "nothing_at_all or group(vector(3))",
            "nothing_at_all or stdvar(vector(5))",
            "nothing_at_all or quantile(0.5, vector(3))",
            "nothing_at_all or quantile(0, vector(3))",
            "nothing_at_all or quantile(1, vector(3))",
            "nothing_at_all or quantile_over_time(0, vector(2)[5m:1m])",
            "nothing_at_all or quantile_over_time(1, vector(2)[5m:1m])",
            "nothing_at_all or vector(1) * (10 ^ 401 > bool 0)",
            "nothing_at_all or stddev_over_time(vector(2)[5m:1m])",
            "nothing_at_all or stdvar_over_time(vector(2)[5m:1m])",
        ],
    )
    def test_written_queries_agree(self, prometheus, query):
        constant = fallback_constant(query)
        answer = requests.get(
            f"{prometheus.url}/api/v1/query", params={"query": query, "time": prometheus.anchor}, timeout=5
        ).json()["data"]["result"]
        assert constant is not None
        assert [(element["metric"], float(element["value"][1])) for element in answer] == [({}, constant)]

    def test_a_quantile_without_labels_beside_a_constant_never_answers(self, prometheus):
        # The quantile has no label left to tell it from vector(0)'s element: `or` drops it, measured or not.
        quantile = "histogram_quantile(0.9, sum by (le) (rate(eb_latency_seconds_bucket[5m])))"
        query = f"vector(0) or {quantile}"
        answers = [
            requests.get(
                f"{prometheus.url}/api/v1/query", params={"query": asked, "time": prometheus.anchor}, timeout=5
            ).json()["data"]["result"]
            for asked in (quantile, query)
        ]
        assert [element["metric"] for element in answers[0]] == [{}]  # measured: the buckets have series
        assert [(element["metric"], float(element["value"][1])) for element in answers[1]] == [({}, 0.0)]
        assert fallback_constant(query) == 0.0

    @pytest.mark.parametrize(
        "query",
        [
            "nothing_at_all or count(nothing_either)",
            "nothing_at_all or count(vector(1) unless on() vector(time()))",
            "nothing_at_all or topk(1 / 0, vector(3))",
        ],
    )
    def test_no_constant_where_prometheus_answers_none(self, prometheus, query):
        answer = requests.get(
            f"{prometheus.url}/api/v1/query", params={"query": query, "time": prometheus.anchor}, timeout=5
        ).json()
        assert answer.get("data", {}).get("result", []) == []
        assert fallback_constant(query) is None
