"""The service's own Prometheus metrics, in a registry per app so tests can build several."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 8, 10, 30)


class Metrics:
    """Counters and histograms for evaluations and source queries."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.evaluations = Counter(
            "analyzer_evaluations",
            "Check evaluations by check and verdict",
            ["check", "verdict"],
            registry=self.registry,
        )
        self.evaluation_duration = Histogram(
            "analyzer_evaluation_duration_seconds",
            "Time from request to verdict",
            ["check"],
            buckets=_DURATION_BUCKETS_S,
            registry=self.registry,
        )
        self.coalesced = Counter(
            "analyzer_coalesced_evaluations",
            "Requests answered by an identical evaluation already in flight",
            ["check"],
            registry=self.registry,
        )
        self.in_flight = Gauge("analyzer_evaluations_in_flight", "Evaluations running now", registry=self.registry)
        # A plain count read at scrape time: a Gauge's inc and dec take a lock each, on every evaluation.
        self.evaluations_running = 0
        self.in_flight.set_function(lambda: self.evaluations_running)
        self.source_queries = Counter(
            "analyzer_source_queries",
            "Queries sent to sources by outcome (ok, error, timeout)",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.source_query_duration = Histogram(
            "analyzer_source_query_duration_seconds",
            "Source query latency",
            ["source"],
            buckets=_DURATION_BUCKETS_S,
            registry=self.registry,
        )
        self.catalog_info = Gauge(
            "analyzer_catalog_info", "The catalog in use (value 1)", ["version"], registry=self.registry
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

        # Labelled children by label values: `labels()` takes a lock and builds a key on every call, and these
        # run on every answer. Bounded as the registry's own children are (check and source names).
        self._evaluated: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self._coalesced: dict[str, Counter] = {}
        self._queried: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def observe_evaluation(self, check: str, verdict: str, seconds: float) -> None:
        """Record one evaluation of `check` that gave `verdict` in `seconds`."""
        children = self._evaluated.get((check, verdict))
        if children is None:
            children = self._evaluated[check, verdict] = (
                self.evaluations.labels(check, verdict),
                self.evaluation_duration.labels(check),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_coalesced(self, check: str) -> None:
        """Record one request of `check` answered by an evaluation it did not start."""
        child = self._coalesced.get(check)
        if child is None:
            child = self._coalesced[check] = self.coalesced.labels(check)
        child.inc()

    def observe_source_query(self, source: str, outcome: str, seconds: float) -> None:
        """Record one source query (the sources' observer hook)."""
        children = self._queried.get((source, outcome))
        if children is None:
            children = self._queried[source, outcome] = (
                self.source_queries.labels(source, outcome),
                self.source_query_duration.labels(source),
            )
        children[0].inc()
        children[1].observe(seconds)
