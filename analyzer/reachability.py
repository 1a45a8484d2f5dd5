"""Whether each Prometheus source answers, learnt when a catalog goes into service rather than at a rollout's
first measurement: one query per source, in the background, never touching readiness (a Prometheus down must
not take every replica out of service: Argo would get connection errors instead of error verdicts)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from analyzer.errors import CheckError
from analyzer.metrics import Metrics
from analyzer.models import format_time
from analyzer.sources import PrometheusSource

logger = structlog.get_logger("analyzer.reachability")


@dataclass(frozen=True)
class SourceState:
    """What the probe of one source found: `reachable` None until it answers or fails."""

    reachable: bool | None = None
    error: str | None = None
    message: str | None = None
    probed_at: datetime | None = None

    def as_json(self, with_message: bool) -> dict[str, Any]:
        """The state as /readyz shows it; the message (the source's url, an upstream error) only `with_message`."""
        shown: dict[str, Any] = {
            "reachable": self.reachable,
            "probed_at": format_time(self.probed_at) if self.probed_at is not None else None,
            "error": self.error,
        }
        if with_message:
            shown["message"] = self.message
        return shown


class SourceProbes:
    """The probes of one catalog generation's Prometheus sources and what they found."""

    def __init__(self, sources: Mapping[str, PrometheusSource], metrics: Metrics, catalog_version: str) -> None:
        self.sources = sources
        self.metrics = metrics
        self.catalog_version = catalog_version
        self.states: dict[str, SourceState] = {name: SourceState() for name in sources}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, previous: SourceProbes | None) -> None:
        """Probe every source, but those whose config is the same as in `previous` and whose probe there ended
        (their state carries over); forget in the metrics the sources `previous` had and this one has not."""
        # A series exists exactly for the sources whose state in `previous` is known: prometheus-client before
        # 0.22 raises KeyError when asked to remove one that does not.
        known = previous.states if previous is not None else {}
        for name in known.keys() - self.sources.keys():
            if known[name].reachable is not None:
                self.metrics.source_up.remove(name)
        for name, source in self.sources.items():
            state = known.get(name)
            if state is not None and state.reachable is not None:
                assert previous is not None
                if previous.sources[name].config == source.config:
                    self.states[name] = state
                    continue
                # Until it is probed, what is known of its old address says nothing of its new one.
                self.metrics.source_up.remove(name)
            task = asyncio.create_task(self._probe(name, source), name=f"probe-source-{name}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Stop the probes still running (the generation is retired or the service stops)."""
        for task in self._tasks:
            task.cancel()

    async def wait(self) -> None:
        """Wait until every probe has ended (answered, failed or cancelled)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def as_json(self, with_messages: bool) -> dict[str, dict[str, Any]]:
        """Every source's state as /readyz shows it."""
        return {name: state.as_json(with_messages) for name, state in sorted(self.states.items())}

    async def _probe(self, name: str, source: PrometheusSource) -> None:
        started = time.perf_counter()
        try:
            await source.probe()
        except CheckError as exc:
            self._found(name, SourceState(False, exc.code, exc.message, datetime.now(UTC)))
            logger.warning(
                "source_unreachable",
                source=name,
                url=source.config.url,
                error=exc.code,
                message=exc.message,
                catalog_version=self.catalog_version,
            )
        except Exception as exc:
            # A bug, not the source's answer: said as one, and the source left unknown rather than judged.
            logger.exception("source_probe_crashed", source=name, url=source.config.url)
            self.states[name] = SourceState(None, "internal_error", f"{type(exc).__name__}: {exc}")
        else:
            self._found(name, SourceState(True, probed_at=datetime.now(UTC)))
            logger.info(
                "source_reachable",
                source=name,
                url=source.config.url,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                catalog_version=self.catalog_version,
            )

    def _found(self, name: str, state: SourceState) -> None:
        self.states[name] = state
        self.metrics.source_up.labels(name).set(1 if state.reachable else 0)
