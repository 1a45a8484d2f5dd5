"""Whether each Prometheus source answers, learnt when a catalog goes into service rather than at a rollout's
first measurement, and kept current while it serves: one query per source, again while it does not answer and
at a slower pace while it does, in the background, never touching readiness (a Prometheus down must not take
every replica out of service: Argo would get connection errors instead of error verdicts)."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from analyzer.errors import CheckError
from analyzer.metrics import Metrics
from analyzer.models import format_time
from analyzer.redaction import credential_scrubber
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
    """The probes of one catalog generation's Prometheus sources and what they found, one probe at a time per
    source for as long as the generation serves: a source that does not answer is probed again `retry_first_s`
    after its first failure, then after twice the last wait up to `retry_max_s`; one that answers, `recheck_s`
    after its last answer."""

    # A Prometheus restarting while the analyzer rolls out, or a token rotated, shows as answering again without
    # a restart; a source down for long costs one query per 5 minutes per replica.
    retry_first_s = 15.0
    retry_max_s = 300.0
    # A source that answered and stops (Prometheus down, a token revoked) shows within a minute, about a scrape
    # interval, for one query per minute per replica; never re-probed, it showed as answering for as long as the
    # catalog served.
    recheck_s = 60.0

    def __init__(self, sources: Mapping[str, PrometheusSource], metrics: Metrics, catalog_version: str) -> None:
        self.sources = sources
        self.metrics = metrics
        self.catalog_version = catalog_version
        self.states: dict[str, SourceState] = {name: SourceState() for name in sources}
        # Failed probes in a row, per source not answering (carried over a reload, as its state is).
        self.failures: dict[str, int] = {}
        # When each source not answering last failed (the loop's clock), carried over a reload too: the next probe
        # is due that long after it, not a whole wait after each reload (reloads more often would postpone it).
        self.failed_at_s: dict[str, float] = {}
        # When each source answering last answered (the loop's clock), carried over a reload: its next probe is due
        # `recheck_s` after it.
        self.answered_at_s: dict[str, float] = {}
        # Set and replaced at each finding, for whoever waits for a source's state to change (until()).
        self._finding = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._first_attempts_running = 0
        self._first_attempts_ended = asyncio.Event()
        self._first_attempts_ended.set()

    def start(self, previous: SourceProbes | None) -> None:
        """Probe every source; one whose config is the same as in `previous` and whose probe there ended keeps its
        state and is probed again when it would have been there; forget in the metrics the sources `previous` had
        and this one has not."""
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
                    if state.reachable is False:
                        self.failures[name] = previous.failures.get(name, 1)
                        if name in previous.failed_at_s:
                            self.failed_at_s[name] = previous.failed_at_s[name]
                    elif name in previous.answered_at_s:
                        self.answered_at_s[name] = previous.answered_at_s[name]
                    self._start_probing(name, source, first=False)
                    continue
                # Until it is probed, what is known of its old address says nothing of its new one.
                self.metrics.source_up.remove(name)
            self._first_attempts_running += 1
            self._first_attempts_ended.clear()
            self._start_probing(name, source, first=True)

    def _start_probing(self, name: str, source: PrometheusSource, first: bool) -> None:
        task = asyncio.create_task(self._probe(name, source, first), name=f"probe-source-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Stop the probes still running (the generation is retired or the service stops)."""
        for task in self._tasks:
            task.cancel()

    async def wait(self) -> None:
        """Wait until every source's probing has ended: crashed, or cancelled (it never ends otherwise)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def retry_delay_s(self, failures: int) -> float:
        """The wait before probing again a source whose last `failures` (1 or more) probes failed."""
        # The exponent bounded: a source down for days must not overflow a float.
        return min(self.retry_first_s * 2.0 ** min(failures - 1, 32), self.retry_max_s)

    def wait_before_retry_s(self, name: str, now_s: float) -> float:
        """How long after `now_s` (the loop's clock) source `name`, whose last probes failed, is probed again: its
        retry delay counted from its last failure, here or in the generation it was carried over from."""
        delay_s = self.retry_delay_s(self.failures[name])
        failed_at_s = self.failed_at_s.get(name)
        return delay_s if failed_at_s is None else max(0.0, failed_at_s + delay_s - now_s)

    def wait_before_recheck_s(self, name: str, now_s: float) -> float:
        """How long after `now_s` (the loop's clock) source `name`, which answered its last probe, is probed again:
        `recheck_s` counted from that answer, here or in the generation it was carried over from."""
        answered_at_s = self.answered_at_s.get(name)
        return self.recheck_s if answered_at_s is None else max(0.0, answered_at_s + self.recheck_s - now_s)

    async def until(self, name: str, reachable: bool) -> None:
        """Wait until source `name` is found `reachable` (True) or not (False)."""
        while self.states[name].reachable is not reachable:
            await self._finding.wait()

    async def first_attempts(self) -> None:
        """Wait until every source probed has been tried once (answered, failed, crashed or cancelled)."""
        await self._first_attempts_ended.wait()

    def as_json(self, with_messages: bool) -> dict[str, dict[str, Any]]:
        """Every source's state as /readyz shows it."""
        return {name: state.as_json(with_messages) for name, state in sorted(self.states.items())}

    async def _probe(self, name: str, source: PrometheusSource, first_attempt: bool) -> None:
        try:
            while True:
                failures = self.failures.get(name, 0)
                now_s = asyncio.get_running_loop().time()
                if failures:
                    await asyncio.sleep(self.wait_before_retry_s(name, now_s))
                elif not first_attempt:
                    await asyncio.sleep(self.wait_before_recheck_s(name, now_s))
                crashed = await self._attempt(name, source, failures)
                if first_attempt:
                    first_attempt = False
                    self._first_attempt_ended()
                if crashed:
                    return
        finally:
            if first_attempt:
                self._first_attempt_ended()

    async def _attempt(self, name: str, source: PrometheusSource, failures: int) -> bool:
        """One probe of the source; whether it crashed (a bug, not retried)."""
        started = time.perf_counter()
        try:
            await source.probe()
        except CheckError as exc:
            before = self.states[name]
            self.failures[name] = failures + 1
            self.failed_at_s[name] = asyncio.get_running_loop().time()
            self.answered_at_s.pop(name, None)
            self._found(name, SourceState(False, exc.code, exc.message, datetime.now(UTC)))
            # Once per change (it failed, or now fails otherwise), not at each retry of a source down for hours.
            if before.reachable is not False or before.error != exc.code:
                logger.warning(
                    "source_unreachable",
                    source=name,
                    url=source.config.url,
                    error=exc.code,
                    message=exc.message,
                    retries=failures,
                    catalog_version=self.catalog_version,
                )
            return False
        except Exception as exc:
            # A bug, not the source's answer: said as one, and the source left unknown rather than judged. Its
            # exception may quote the request the probe sent (the source's headers and token): the traceback in the
            # log and the message /readyz shows (to anyone when auth is off) hide them.
            hide = credential_scrubber(source.credentials())
            logger.exception(
                "source_probe_crashed",
                source=name,
                url=source.config.url,
                exc_info=False,
                exception=hide("".join(traceback.format_exception(exc)).rstrip("\n")),
            )
            if self.states[name].reachable is not None:
                # Its series would go on saying what an earlier probe found (up, for a recheck of a source that
                # answered), and a reload forgets only the series of sources whose state is known.
                self.metrics.source_up.remove(name)
            self.states[name] = SourceState(None, "internal_error", hide(f"{type(exc).__name__}: {exc}"))
            self.failures.pop(name, None)
            self.failed_at_s.pop(name, None)
            self.answered_at_s.pop(name, None)
            self._announce()
            return True
        before = self.states[name]
        self.failures.pop(name, None)
        self.failed_at_s.pop(name, None)
        self.answered_at_s[name] = asyncio.get_running_loop().time()
        self._found(name, SourceState(True, probed_at=datetime.now(UTC)))
        # Once per change, as source_unreachable: not at each recheck of a source answering for days.
        if before.reachable is not True:
            logger.info(
                "source_reachable",
                source=name,
                url=source.config.url,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                retries=failures,
                catalog_version=self.catalog_version,
            )
        return False

    def _first_attempt_ended(self) -> None:
        self._first_attempts_running -= 1
        if self._first_attempts_running == 0:
            self._first_attempts_ended.set()

    def _found(self, name: str, state: SourceState) -> None:
        self.states[name] = state
        self.metrics.source_up.labels(name).set(1 if state.reachable else 0)
        self._announce()

    def _announce(self) -> None:
        self._finding.set()
        self._finding = asyncio.Event()
