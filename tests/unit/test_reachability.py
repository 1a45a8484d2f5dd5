"""What the source probes put in `analyzer_source_up` as catalogs go into service, whatever prometheus-client
version the dependency range allows."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import Gauge
from structlog.testing import capture_logs

from analyzer.errors import CheckError, SourceTimeout, SourceUnavailable
from analyzer.metrics import Metrics
from analyzer.reachability import SourceProbes, SourceState
from analyzer.sources import PrometheusSource
from analyzer.sources.prometheus import PrometheusSourceConfig
from tests.ports import refused_port


class StrictGauge(Gauge):
    """`remove` of a series that was never set raises KeyError, as it does in prometheus-client 0.20 and 0.21
    (the range pyproject.toml allows); 0.22 made it a no-op."""

    def remove(self, *labelvalues: Any) -> None:
        if tuple(str(value) for value in labelvalues) not in self._metrics:
            raise KeyError(labelvalues)
        super().remove(*labelvalues)


def strict_metrics() -> Metrics:
    metrics = Metrics()
    metrics.registry.unregister(metrics.source_up)
    metrics.source_up = StrictGauge("analyzer_source_up", "probe", ["source"], registry=metrics.registry)
    return metrics


def sources(**urls: str) -> dict[str, PrometheusSource]:
    return {name: PrometheusSource(name, PrometheusSourceConfig(url=url)) for name, url in urls.items()}


def up(metrics: Metrics) -> dict[str, float]:
    return {
        sample.labels["source"]: sample.value
        for family in metrics.registry.collect()
        if family.name == "analyzer_source_up"
        for sample in family.samples
    }


class TestSourceUpSeries:
    """A series is removed only when a probe set it, so no prometheus-client version fails a start or reload."""

    async def test_start_and_reloads_never_remove_a_series_never_set(self):
        closed = f"http://127.0.0.1:{refused_port()}"
        metrics = strict_metrics()
        first = SourceProbes(sources(a=closed, b=closed), metrics, "v1")
        first.start(previous=None)
        first.cancel()
        await first.wait()
        # Changed (`a`), removed (`b`) and added (`c`) while no probe had ended: nothing to remove.
        second = SourceProbes(sources(a=f"{closed}/other", c=closed), metrics, "v2")
        second.start(previous=first)
        second.cancel()
        await second.wait()
        assert up(metrics) == {}

    async def test_a_series_set_is_removed_when_its_source_changes_or_goes(self):
        closed = f"http://127.0.0.1:{refused_port()}"
        metrics = strict_metrics()
        first = SourceProbes(sources(a=closed, b=closed, c=closed), metrics, "v1")
        for name in ("a", "b", "c"):
            first._found(name, SourceState(False, "source_unavailable", "down"))
        second = SourceProbes(sources(a=f"{closed}/other", c=closed), metrics, "v2")
        second.start(previous=first)
        second.cancel()
        await second.wait()
        # `c` unchanged keeps what its probe found; `a` changed is unknown until probed again; `b` is gone.
        assert up(metrics) == {"c": 0.0}


class TestRetryDelay:
    """A source that does not answer is probed again after a wait doubling from 15 s up to 5 minutes."""

    def test_the_wait_doubles_up_to_its_bound(self):
        probes = SourceProbes({}, Metrics(), "v1")
        assert [probes.retry_delay_s(failures) for failures in range(1, 9)] == [15, 30, 60, 120, 240, 300, 300, 300]

    def test_a_source_down_for_days_waits_the_bound(self):
        probes = SourceProbes({}, Metrics(), "v1")
        assert probes.retry_delay_s(100_000) == 300


class TestRetryAcrossReloads:
    """A source's next probe is due its retry delay after its last failure, whatever reloads come between."""

    def test_the_wait_counts_from_the_last_failure(self):
        probes = SourceProbes(sources(a="http://127.0.0.1:9"), Metrics(), "v1")
        probes.failures["a"], probes.failed_at_s["a"] = 3, 100.0
        assert [probes.wait_before_retry_s("a", now) for now in (100.0, 130.0, 160.0, 500.0)] == [60, 30, 0, 0]

    async def test_a_reload_keeps_the_time_left(self):
        closed = "http://127.0.0.1:9"
        metrics = Metrics()
        first = SourceProbes(sources(a=closed), metrics, "v1")
        first._found("a", SourceState(False, "source_unavailable", "down"))
        first.failures["a"], first.failed_at_s["a"] = 3, 100.0
        second = SourceProbes(sources(a=closed), metrics, "v2")
        second.start(previous=first)
        second.cancel()
        await second.wait()
        # Reloaded 50 s after the failure: 10 s left of its 60 s wait, not a new 60 s.
        assert second.wait_before_retry_s("a", 150.0) == 10


class TestRecheckAcrossReloads:
    """A source that answered is probed again a minute after its last answer, whatever reloads come between."""

    def test_the_wait_counts_from_the_last_answer(self):
        probes = SourceProbes(sources(a="http://127.0.0.1:9"), Metrics(), "v1")
        probes.answered_at_s["a"] = 100.0
        assert [probes.wait_before_recheck_s("a", now) for now in (100.0, 130.0, 160.0, 500.0)] == [60, 30, 0, 0]

    async def test_a_reload_keeps_the_time_left(self):
        closed = "http://127.0.0.1:9"
        metrics = Metrics()
        first = SourceProbes(sources(a=closed), metrics, "v1")
        first._found("a", SourceState(True))
        first.answered_at_s["a"] = 100.0
        second = SourceProbes(sources(a=closed), metrics, "v2")
        second.start(previous=first)
        second.cancel()
        await second.wait()
        # Reloaded 50 s after the answer: 10 s left of the minute, not a new one.
        assert second.wait_before_recheck_s("a", 150.0) == 10

    async def test_a_reload_does_not_probe_it_before_it_is_due(self):
        # Each reload re-probing every answering source at once would be a query per source per reload.
        metrics = Metrics()
        first = SourceProbes(sources(a="http://127.0.0.1:9"), metrics, "v1")
        first._found("a", SourceState(True))
        first.answered_at_s["a"] = asyncio.get_running_loop().time()
        probed: list[str] = []

        class Counted(PrometheusSource):
            async def probe(self) -> None:
                probed.append(self.name)

        second = SourceProbes({"a": Counted("a", first.sources["a"].config)}, metrics, "v2")
        second.start(previous=first)
        await asyncio.sleep(0)  # one turn of the loop: the probe task runs up to its first wait
        second.cancel()
        await second.wait()
        assert probed == []


class TestProbeCrash:
    """A probe that crashes (a bug) leaves its source unknown: no series says it answers, a reload included."""

    async def test_a_recheck_that_crashes_removes_the_up_series(self, monkeypatch):
        metrics = strict_metrics()
        probes = SourceProbes(sources(a="http://127.0.0.1:9"), metrics, "v1")
        probes.recheck_s = 0.0
        answers: list[str] = []

        async def probe() -> None:
            # The first probe answers; the recheck meets a bug.
            if answers:
                raise RuntimeError("a bug")
            answers.append("answered")

        monkeypatch.setattr(probes.sources["a"], "probe", probe)
        probes.start(previous=None)
        await probes.wait()
        assert answers == ["answered"]
        assert probes.states["a"].reachable is None
        assert up(metrics) == {}
        # A reload that drops the source has no series left to forget (StrictGauge raises on a missing one).
        reloaded = SourceProbes({}, metrics, "v2")
        reloaded.start(previous=probes)
        assert up(metrics) == {}


class TestRecheckPace:
    """A source that answers is probed again only once its recheck is due, not in a loop."""

    async def test_after_its_first_answer_it_waits_for_the_recheck(self):
        probed: list[str] = []

        class Counted(PrometheusSource):
            async def probe(self) -> None:
                probed.append(self.name)
                await asyncio.sleep(0)  # an answer takes at least a turn of the loop

        probes = SourceProbes({"a": Counted("a", PrometheusSourceConfig(url="http://127.0.0.1:9"))}, Metrics(), "v1")
        probes.start(previous=None)
        await probes.first_attempts()
        for _ in range(5):  # turns of the loop a probe loop without its wait would use to probe again
            await asyncio.sleep(0)
        probes.cancel()
        await probes.wait()
        assert probed == ["a"]
        assert probes.states["a"].reachable is True


class TestProbeEnds:
    """A probe that crashes (a bug) ends, leaving the source unknown; a cancelled first attempt still counts as
    ended; a source failing the same way is logged once, not at each retry."""

    @staticmethod
    def config() -> PrometheusSourceConfig:
        return PrometheusSourceConfig(url="http://127.0.0.1:9")

    async def test_a_crash_ends_its_probing(self):
        class Crashing(PrometheusSource):
            async def probe(self) -> None:
                raise RuntimeError("a bug")

        probes = SourceProbes({"a": Crashing("a", self.config())}, Metrics(), "v1")
        probes.start(previous=None)
        async with asyncio.timeout(10):  # a guard against a hang, not a measurement
            await probes.wait()
        assert (probes.states["a"].reachable, probes.states["a"].error) == (None, "internal_error")

    async def test_a_first_attempt_cancelled_counts_as_ended(self):
        class Held(PrometheusSource):
            async def probe(self) -> None:
                await asyncio.Event().wait()

        probes = SourceProbes({"a": Held("a", self.config())}, Metrics(), "v1")
        probes.start(previous=None)
        await asyncio.sleep(0)  # the probe task starts its first attempt
        probes.cancel()
        await probes.wait()
        async with asyncio.timeout(10):  # a guard against a hang, not a measurement
            await probes.first_attempts()

    async def test_a_failure_that_stays_the_same_is_logged_once(self):
        class Down(PrometheusSource):
            async def probe(self) -> None:
                raise SourceUnavailable("down")

        probes = SourceProbes({"a": Down("a", self.config())}, Metrics(), "v1")
        source = probes.sources["a"]
        with capture_logs() as logs:
            await probes._attempt("a", source, 0)
            await probes._attempt("a", source, 1)
        assert [entry["event"] for entry in logs] == ["source_unreachable"]

    async def test_a_failure_that_changes_is_logged_again(self):
        errors: list[CheckError] = [SourceUnavailable("down"), SourceTimeout("slow")]

        class Failing(PrometheusSource):
            async def probe(self) -> None:
                raise errors.pop(0)

        probes = SourceProbes({"a": Failing("a", self.config())}, Metrics(), "v1")
        source = probes.sources["a"]
        with capture_logs() as logs:
            await probes._attempt("a", source, 0)
            await probes._attempt("a", source, 1)
        assert [(entry["event"], entry["error"]) for entry in logs] == [
            ("source_unreachable", "source_unavailable"),
            ("source_unreachable", "source_timeout"),
        ]


class TestProbeCrashCredentials:
    """A probe's crash shows none of the source's credentials its exception quoted, in the log or on /readyz."""

    async def test_the_token_and_headers_are_hidden(self, tmp_path, monkeypatch):
        token_file = tmp_path / "token"
        token_file.write_text("file-token-4c3b2a")
        config = PrometheusSourceConfig(
            url="http://127.0.0.1:9", bearer_token_file=token_file, headers={"X-Scope-OrgID": "tenant-7f"}
        )
        source = PrometheusSource("a", config)
        probes = SourceProbes({"a": source}, strict_metrics(), "v1")

        async def probe() -> None:
            raise ValueError("bad header Authorization: Bearer file-token-4c3b2a with X-Scope-OrgID tenant-7f")

        monkeypatch.setattr(source, "probe", probe)
        with capture_logs() as logs:
            probes.start(previous=None)
            await probes.wait()
        crash = next(line for line in logs if line["event"] == "source_probe_crashed")
        shown = f"{crash['exception']} {probes.states['a'].message}"
        assert "4c3b2a" not in shown and "tenant-7f" not in shown
        assert (
            probes.states["a"].message
            == "ValueError: bad header Authorization: Bearer <redacted> with X-Scope-OrgID <redacted>"
        )
