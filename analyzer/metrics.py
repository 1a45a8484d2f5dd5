"""The service's own Prometheus metrics, in a registry per app so tests can build several."""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

_DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 8, 10, 30)
# prometheus_client's own switch for the `_created` series, read as it reads it.
_CREATED_SERIES = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower() not in ("true", "1", "t")


class PlainCounter:
    """A labelled counter kept as plain numbers, for the per-answer series: a prometheus_client child takes a
    lock and two calls per `inc`. A collector: the registry renders it at scrape time with the samples, in
    the order, a prometheus_client Counter of the same name would give."""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...], registry: CollectorRegistry) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        # Label values to [count, created (unix time)], in the order the children appeared.
        self.children: dict[tuple[str, ...], list[float]] = {}
        registry.register(self)

    def child(self, *labelvalues: str) -> list[float]:
        """The [count, created] of these label values, made at 0 when first asked for; add to its [0]."""
        child = self.children.get(labelvalues)
        if child is None:
            child = self.children[labelvalues] = [0.0, time.time()]
        return child

    def value(self, *labelvalues: str) -> float:
        """The count of these label values (0 when never counted)."""
        child = self.children.get(labelvalues)
        return 0.0 if child is None else child[0]

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "counter")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "counter")
        for labelvalues, (count, created) in list(self.children.items()):
            labels = dict(zip(self.labelnames, labelvalues, strict=True))
            metric.add_sample(self.name + "_total", labels, count)
            if _CREATED_SERIES:
                metric.add_sample(self.name + "_created", dict(labels), created)
        return [metric]


class PlainHistogram:
    """A labelled histogram kept as plain numbers (see PlainCounter): a prometheus_client child takes a lock for
    its sum and another for its bucket on every observation."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: tuple[str, ...],
        buckets: tuple[float, ...],
        registry: CollectorRegistry,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self.upper_bounds = (*(float(bound) for bound in buckets), float("inf"))
        self._le = tuple(floatToGoString(bound) for bound in self.upper_bounds)  # type: ignore[no-untyped-call]
        # Label values to (per-bucket counts, not cumulative; [sum, created (unix time)]).
        self.children: dict[tuple[str, ...], tuple[list[float], list[float]]] = {}
        registry.register(self)

    def child(self, *labelvalues: str) -> tuple[list[float], list[float]]:
        """The (bucket counts, [sum, created]) of these label values, made empty when first asked for."""
        child = self.children.get(labelvalues)
        if child is None:
            child = self.children[labelvalues] = ([0.0] * len(self.upper_bounds), [0.0, time.time()])
        return child

    def observe(self, child: tuple[list[float], list[float]], amount: float) -> None:
        """Count `amount` (a finite duration) in `child`: the first bucket whose bound is at or above it."""
        child[0][bisect.bisect_left(self.upper_bounds, amount)] += 1.0
        child[1][0] += amount

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "histogram")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "histogram")
        for labelvalues, (counts, (total, created)) in list(self.children.items()):
            labels = list(zip(self.labelnames, labelvalues, strict=True))
            cumulative = 0.0
            for le, count in zip(self._le, counts, strict=True):
                cumulative += count
                metric.add_sample(self.name + "_bucket", dict([*labels, ("le", le)]), cumulative)
            metric.add_sample(self.name + "_count", dict(labels), cumulative)
            metric.add_sample(self.name + "_sum", dict(labels), total)
            if _CREATED_SERIES:
                metric.add_sample(self.name + "_created", dict(labels), created)
        return [metric]


class Metrics:
    """Counters and histograms for evaluations and source queries."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        # The series counted on every answer are plain numbers, rendered at scrape time.
        self.evaluations = PlainCounter(
            "analyzer_evaluations", "Check evaluations by check and verdict", ("check", "verdict"), self.registry
        )
        self.evaluation_duration = PlainHistogram(
            "analyzer_evaluation_duration_seconds",
            "Time from request to verdict",
            ("check",),
            _DURATION_BUCKETS_S,
            self.registry,
        )
        self.coalesced = PlainCounter(
            "analyzer_coalesced_evaluations",
            "Requests answered by an identical evaluation already in flight",
            ("check",),
            self.registry,
        )
        self.in_flight = Gauge("analyzer_evaluations_in_flight", "Evaluations running now", registry=self.registry)
        # A plain count read at scrape time: a Gauge's inc and dec take a lock each, on every evaluation.
        self.evaluations_running = 0
        self.in_flight.set_function(lambda: self.evaluations_running)
        self.source_queries = PlainCounter(
            "analyzer_source_queries",
            "Queries sent to sources by outcome (ok, error, timeout)",
            ("source", "outcome"),
            self.registry,
        )
        self.source_query_duration = PlainHistogram(
            "analyzer_source_query_duration_seconds",
            "Source query latency",
            ("source",),
            _DURATION_BUCKETS_S,
            self.registry,
        )
        self.catalog_info = Gauge(
            "analyzer_catalog_info", "The catalog in use (value 1)", ["version"], registry=self.registry
        )
        self.source_up = Gauge(
            "analyzer_source_up",
            "1 when the source answered its last probe (sent as the catalog went into service, then again every "
            "minute while it answers), 0 when it did not; absent until it is probed",
            ["source"],
            registry=self.registry,
        )
        self.catalog_checks = Gauge("analyzer_catalog_checks", "Checks in the catalog in use", registry=self.registry)
        self.catalog_reloads = Counter(
            "analyzer_catalog_reloads",
            "Catalog reload attempts by result (success, unchanged, failure)",
            ["result"],
            registry=self.registry,
        )
        self.catalog_reload_failing = Gauge(
            "analyzer_catalog_reload_failing",
            "1 while the newest catalog on disk is rejected and the last good one is serving",
            registry=self.registry,
        )
        self.requests_rejected = Counter(
            "analyzer_requests_rejected",
            "Requests refused before evaluation "
            "by error code (unauthorized, forbidden, overloaded, "
            "shutting_down, body_timeout, bad_arg, check_not_found, ...)",
            ["reason"],
            registry=self.registry,
        )
        self.connections_refused = Counter(
            "analyzer_connections_refused",
            "Connections closed on arrival because the API port had max_connections open",
            registry=self.registry,
        )
        self.open_connections = Gauge(
            "analyzer_open_connections", "Connections open on the API port", registry=self.registry
        )
        self.evaluations_queued = Gauge(
            "analyzer_evaluations_queued", "Evaluations waiting for a slot", registry=self.registry
        )
        # Check name to every other check an evaluation counted in its series ran, under a catalog served before:
        # a reload changes what a composite runs, not what its counts carried.
        self._counted_reach: dict[str, frozenset[str]] = {}
        # What the composites of each catalog retired but not drained yet run: until its evaluations are all
        # counted, any of them may still add to a series.
        self._settling: list[Mapping[str, frozenset[str]]] = []

    def reach_counted(self, check: str) -> Iterator[str]:
        """The other checks an evaluation counted in the series of `check` may have run under an earlier catalog
        (the catalog in service says what it runs now)."""
        yield from self._counted_reach.get(check, ())
        for reached in self._settling:
            yield from reached.get(check, ())

    def retire_reach(self, reached: Mapping[str, frozenset[str]]) -> None:
        """A catalog is retired; `reached`: what each of its composites runs. Its evaluations still in flight
        may add to any of their series until `settle_reach`."""
        self._note_counted(reached)
        self._settling.append(reached)

    def settle_reach(self, reached: Mapping[str, frozenset[str]]) -> None:
        """That retired catalog has no evaluation left: what its composites ran stays only where it was counted."""
        self._settling.remove(reached)
        self._note_counted(reached)

    def _note_counted(self, reached: Mapping[str, frozenset[str]]) -> None:
        counted = {labels[0] for labels in self.evaluations.children}
        for check, others in reached.items():
            before = self._counted_reach.get(check, frozenset())
            if check in counted and not others <= before:
                self._counted_reach[check] = before | others

    def observe_evaluation(self, check: str, verdict: str, seconds: float) -> None:
        """Record one evaluation of `check` that gave `verdict` in `seconds`."""
        # The children looked up here, `child` called only to make one: two calls fewer on every answer.
        counter, histogram = self.evaluations, self.evaluation_duration
        (counter.children.get((check, verdict)) or counter.child(check, verdict))[0] += 1.0
        histogram.observe(histogram.children.get((check,)) or histogram.child(check), seconds)

    def observe_coalesced(self, check: str) -> None:
        """Record one request of `check` answered by an evaluation it did not start."""
        self.coalesced.child(check)[0] += 1.0

    def observe_source_query(self, source: str, outcome: str, seconds: float) -> None:
        """Record one source query (the sources' observer hook)."""
        # As in observe_evaluation: on every query.
        counter, histogram = self.source_queries, self.source_query_duration
        (counter.children.get((source, outcome)) or counter.child(source, outcome))[0] += 1.0
        histogram.observe(histogram.children.get((source,)) or histogram.child(source), seconds)
