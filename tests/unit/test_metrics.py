"""The per-answer series kept as plain numbers render exactly as prometheus_client renders its own."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from analyzer.metrics import _DURATION_BUCKETS_S, Metrics, PlainCounter, PlainHistogram

# Bounds themselves, between them, zero, past the last bound, and a sum that is not a round number.
_DURATIONS_S = (0.0, 0.005, 0.0051, 0.01, 0.3, 1, 2.5, 7.9, 8, 30, 30.01, 1e6, 0.000123)
_CHECKS = ("error-rate", 'quote"back\\slash\nnewline', "zeta")
_SAMPLE_ENDS = ("", "_total", "_created", "_bucket", "_count", "_sum")


def _pair(monkeypatch: pytest.MonkeyPatch) -> tuple[CollectorRegistry, CollectorRegistry, dict[str, object]]:
    """Ours and prometheus_client's metrics of the same names, in registries of their own, at a fixed clock."""
    monkeypatch.setattr("analyzer.metrics.time.time", lambda: 1_700_000_000.25)
    monkeypatch.setattr("prometheus_client.metrics.time.time", lambda: 1_700_000_000.25)
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    metrics: dict[str, object] = {
        "counter": PlainCounter("analyzer_evaluations", "Check evaluations", ("check", "verdict"), ours),
        "histogram": PlainHistogram("analyzer_duration_seconds", "Time", ("check",), _DURATION_BUCKETS_S, ours),
        "ref_counter": Counter("analyzer_evaluations", "Check evaluations", ["check", "verdict"], registry=theirs),
        "ref_histogram": Histogram(
            "analyzer_duration_seconds", "Time", ["check"], buckets=_DURATION_BUCKETS_S, registry=theirs
        ),
    }
    return ours, theirs, metrics


class TestRendering:
    """Counters and histograms of plain numbers give the bytes prometheus_client gives for the same counts."""

    @pytest.mark.parametrize("render", [generate_latest, generate_openmetrics])
    def test_same_bytes_as_prometheus_client(self, monkeypatch, render):
        ours, theirs, m = _pair(monkeypatch)
        counter, histogram = m["counter"], m["histogram"]
        assert isinstance(counter, PlainCounter) and isinstance(histogram, PlainHistogram)
        for i, seconds in enumerate(_DURATIONS_S):
            check = _CHECKS[i % len(_CHECKS)]
            verdict = ("pass", "fail")[i % 2]
            counter.child(check, verdict)[0] += 1.0
            m["ref_counter"].labels(check, verdict).inc()  # type: ignore[attr-defined]
            histogram.observe(histogram.child(check), seconds)
            m["ref_histogram"].labels(check).observe(seconds)  # type: ignore[attr-defined]
        assert render(ours) == render(theirs)

    def test_the_services_observations_render_as_prometheus_clients(self, monkeypatch):
        # Through observe_evaluation and observe_source_query, which find a series already seen without `child`:
        # label sets first seen between others, each family's bytes as prometheus_client's for the same calls.
        monkeypatch.setattr("analyzer.metrics.time.time", lambda: 1_700_000_000.25)
        monkeypatch.setattr("prometheus_client.metrics.time.time", lambda: 1_700_000_000.25)
        metrics, theirs = Metrics(), CollectorRegistry()
        families = []
        for plain in (metrics.evaluations, metrics.source_queries):
            families.append(Counter(plain.name, plain.documentation, plain.labelnames, registry=theirs))
        for plain in (metrics.evaluation_duration, metrics.source_query_duration):
            families.append(
                Histogram(
                    plain.name, plain.documentation, plain.labelnames, buckets=_DURATION_BUCKETS_S, registry=theirs
                )
            )
        evaluations, queries, evaluation_seconds, query_seconds = families
        for i, seconds in enumerate(_DURATIONS_S * 2):
            check, verdict = _CHECKS[i % len(_CHECKS) if i > 4 else 0], ("pass", "fail", "error")[i % 3]
            source, outcome = ("default", "thanos")[i % 2 if i > 6 else 0], ("ok", "timeout")[i % 2]
            metrics.observe_evaluation(check, verdict, seconds)
            evaluations.labels(check, verdict).inc()
            evaluation_seconds.labels(check).observe(seconds)
            metrics.observe_source_query(source, outcome, seconds)
            queries.labels(source, outcome).inc()
            query_seconds.labels(source).observe(seconds)
        names = [metrics.evaluations.name, metrics.source_queries.name]
        names += [metrics.evaluation_duration.name, metrics.source_query_duration.name]
        ours = metrics.registry.restricted_registry([f"{name}{end}" for name in names for end in _SAMPLE_ENDS])
        for render in (generate_latest, generate_openmetrics):
            # By family: the registries list them in orders of their own (OpenMetrics ends with an EOF line).
            shown, expected = (
                {block.split(" ", 1)[0]: block for block in text.removesuffix("# EOF\n").split("# HELP ")[1:]}
                for text in (render(ours).decode(), render(theirs).decode())
            )
            assert shown == expected and len(shown) >= 4  # `_created` apart in the text format

    def test_no_children_render_as_no_samples(self, monkeypatch):
        ours, theirs, _ = _pair(monkeypatch)
        assert generate_latest(ours) == generate_latest(theirs)


class TestMetrics:
    """The service's metrics count what they observe and keep their order on /metrics."""

    def test_observations_counted(self):
        metrics = Metrics()
        metrics.observe_evaluation("c", "pass", 0.02)
        metrics.observe_evaluation("c", "pass", 0.2)
        metrics.observe_coalesced("c")
        metrics.observe_source_query("default", "ok", 0.004)
        get = metrics.registry.get_sample_value
        assert get("analyzer_evaluations_total", {"check": "c", "verdict": "pass"}) == 2
        assert get("analyzer_evaluation_duration_seconds_bucket", {"check": "c", "le": "0.025"}) == 1
        assert get("analyzer_evaluation_duration_seconds_bucket", {"check": "c", "le": "+Inf"}) == 2
        assert get("analyzer_evaluation_duration_seconds_sum", {"check": "c"}) == pytest.approx(0.22)
        assert get("analyzer_coalesced_evaluations_total", {"check": "c"}) == 1
        assert get("analyzer_source_queries_total", {"source": "default", "outcome": "ok"}) == 1
        assert get("analyzer_source_query_duration_seconds_bucket", {"source": "default", "le": "0.005"}) == 1

    def test_families_in_registration_order(self):
        text = generate_latest(Metrics().registry).decode()
        assert re.findall(r"^# HELP (\w+) ", text, re.MULTILINE)[:6] == [
            "analyzer_evaluations_total",
            "analyzer_evaluation_duration_seconds",
            "analyzer_coalesced_evaluations_total",
            "analyzer_evaluations_in_flight",
            "analyzer_source_queries_total",
            "analyzer_source_query_duration_seconds",
        ]
