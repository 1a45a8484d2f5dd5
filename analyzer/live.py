"""The catalog in service and its hot reload.

A Generation is one catalog with its own sources and runner; requests hold the generation they started
on, so a reload swaps all three at once while in-flight evaluations finish on the old one, whose sources
close once it has drained. A new catalog that does not validate is rejected and the last good one keeps
serving; the rejection is logged, counted and shown by /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import structlog

from analyzer.admission import Admission
from analyzer.catalog import Catalog, catalog_reads, load_catalog
from analyzer.catalog_paths import file_state, mounted_alone, mtime_settled
from analyzer.errors import ConfigError
from analyzer.metrics import Metrics
from analyzer.models import format_time
from analyzer.openapi import build_openapi
from analyzer.reachability import SourceProbes
from analyzer.redaction import credential_scrubber
from analyzer.registry import Registry, warm_kinds
from analyzer.runner import Runner
from analyzer.settings import CLOSE_RESERVE_S, Settings
from analyzer.sources import SourceConfig, Sources

logger = structlog.get_logger("analyzer.live")

# An old generation whose evaluations outlive this is closed anyway (the longest deadline is 300 s).
_DRAIN_LIMIT_S = 330.0
# Names a catalog_checks_removed or checks_outlast_drain line lists (the count says how many in all): a log line
# stays readable.
_NAMES_LOGGED = 50
# Catalog versions whose sources a verdict page can compare with today's (a few bytes each; most reloads in a
# history's lifetime are fewer).
_SOURCE_VERSIONS_KEPT = 64

# How often a poll loads a rejected catalog again though its files did not change: what refused it may lie outside
# them (a source's ca_file from a Secret mounted a moment after the ConfigMap), and nothing else would retry it.
REJECTED_RETRY_S = 60.0

_DIGEST_CHUNK_BYTES = 1024 * 1024

# How long a poll that finds files written within a timestamp tick waits before reading them again, and loads them only
# if they read the same (at most the poll interval). An editor writing in place (nano, `cat > f`, a shell redirect)
# truncates the file, then writes it in chunks, and a rename-writing one (vim) leaves the path missing for a moment: a
# poll between the two loaded what it read. A truncated list of checks is a valid catalog, and a number cut short
# (`> 0.995` read as `> 0.9`) a valid threshold: served until the next poll, it 404ed the checks cut off and judged
# by the cut one.
WRITE_SETTLE_S = 1.0

_Stat = tuple[tuple[str, int, int, int, int], ...]
ReloadResult = Literal["reloaded", "unchanged", "rejected"]


def crash_scrubber(generation: Generation, values: Iterable[str] = ()) -> Callable[[str], str]:
    """What hides in a crash's message and traceback the credentials it may quote, as the runner's `check_crashed`
    does: `values` (what the crashed work held, a request's args), the credentials of the generation's sources and
    the secrets its checks write, and any credential that says what it is. Made on a crash only."""
    found = [*values, *generation.sources.credentials()]
    for check in generation.catalog.checks.values():
        found += check.literal_secrets()
    return credential_scrubber(found)


class Generation:
    """One catalog with the sources and runner built from it, and a count of the requests using it."""

    def __init__(
        self, catalog: Catalog, sources: Sources, settings: Settings, metrics: Metrics, admission: Admission
    ) -> None:
        self.catalog = catalog
        self.sources = sources
        self.runner = Runner(
            catalog,
            self.sources,
            metrics,
            settings.deadline_s,
            admission=admission,
            reuse_window_s=settings.reuse_window_s,
        )
        self.probes = SourceProbes(sources.prometheus_sources(), metrics, catalog.version)
        self.users = 0
        # drain() calls waiting for the count to reach zero: holding the generation (every request) is a count up and
        # down, and a future is made only for a drain that has to wait.
        self._drain_waiters: list[asyncio.Future[None]] = []
        # By the checks a caller may see: one entry per allow-list the tokens give, at most.
        self._openapi_bodies: dict[frozenset[str], asyncio.Future[bytes]] = {}
        self.closed = False

    def __enter__(self) -> Generation:
        """Held from `with` to its end (`hold`, `release`)."""
        self.hold()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def hold(self) -> None:
        """A request holds this generation from here to its `release` (holding never waits)."""
        self.users += 1

    def release(self) -> None:
        """A request that held this generation is done with it."""
        self.users -= 1
        if not self.users and self._drain_waiters:
            waiters, self._drain_waiters = self._drain_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until no request holds this generation and its evaluations have all finished."""
        if self.users:
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._drain_waiters:
                    self._drain_waiters.remove(waiter)
        await self.runner.drain()

    async def openapi_body(self, visible: frozenset[str]) -> bytes:
        """The OpenAPI document of this catalog's `visible` checks, encoded: built once, off the event loop (a
        3,000-check catalog's took 1.4 s of CPU, which served no verdict meanwhile), for every request asking."""
        built = self._openapi_bodies.get(visible)
        if built is None:
            built = self._openapi_bodies[visible] = asyncio.ensure_future(
                _in_daemon_thread(_encoded_openapi, self.catalog, visible, name="openapi-build")
            )
            built.add_done_callback(functools.partial(self._forget_failed_openapi, visible))
        # Shielded: a caller that goes away leaves the build to the others asking.
        return await asyncio.shield(built)

    def _forget_failed_openapi(self, visible: frozenset[str], built: asyncio.Future[bytes]) -> None:
        if built.cancelled() or built.exception() is not None:
            self._openapi_bodies.pop(visible, None)

    def close(self) -> None:
        """Stop its source probes and close the sources (idempotent)."""
        if not self.closed:
            self.closed = True
            self.probes.cancel()
            self.sources.close()


@dataclass
class ReloadStatus:
    """What /readyz reports about reloads."""

    loaded_at: datetime
    reloads: int = 0
    last_error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The status as JSON."""
        return {"loaded_at": format_time(self.loaded_at), "reloads": self.reloads, "last_error": self.last_error}


def _stat_signature(path: Path) -> tuple[_Stat, bool]:
    """Identity of the catalog's files (name, inode, size, mtime, ctime), following symlinks, so that a
    ConfigMap update (an atomic swap of the `..data` symlink) or an edit in place changes it; and whether it
    can be trusted: every file's mtime and ctime a timestamp tick from when it was taken (`mtime_settled`)."""
    signature = []
    now_ns = time.time_ns()
    settled = True
    for file, read_from in catalog_reads(path):
        stat = read_from.stat()
        # The ctime too: an in-place copy that keeps its source's mtime (cp -p, rsync -t --inplace, tar) changes
        # it alone, and no one can set it back, so it is what a later rewrite of a settled file always changes.
        signature.append((file.name, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
        settled = settled and mtime_settled(stat.st_mtime_ns, now_ns) and mtime_settled(stat.st_ctime_ns, now_ns)
    if path.is_dir():
        # A file added, removed or renamed changes the directory's own times alone: a team's file removed to be
        # written anew (`rm a.yaml; cp new/a.yaml .`) left a smaller catalog of settled files, loaded at once.
        directory = path.stat()
        settled = (
            settled and mtime_settled(directory.st_mtime_ns, now_ns) and mtime_settled(directory.st_ctime_ns, now_ns)
        )
        data_link = path / "..data"
        if data_link.is_symlink():
            signature.append(("..data", 0, 0, hash(os.readlink(data_link)), 0))
    return tuple(signature), settled


def _cut_short(path: Path) -> bool:
    """Whether a catalog file is empty or does not end in a newline (a writer in place may be paused mid-line), unless
    it is read through a ConfigMap's `..data`, which the kubelet swaps whole."""
    try:
        if ((path if path.is_dir() else path.parent) / "..data").is_symlink():
            return False
        for _, read_from in catalog_reads(path):
            with read_from.open("rb") as stream:
                if stream.seek(0, os.SEEK_END) == 0:
                    return True
                stream.seek(-1, os.SEEK_END)
                if stream.read(1) != b"\n":
                    return True
    except (OSError, ConfigError):
        return False  # what cannot be read is the load's to report
    return False


def _found_as_before(named_files: dict[Path, tuple[int, ...]]) -> bool:
    """Whether each file a rejected catalog names is as its load found it."""
    return all(file_state(path) == state for path, state in named_files.items())


def _digest_if_readable(path: Path) -> str | None:
    """`_content_digest`, None when the files cannot be read.

    A rejected catalog's retry compares it, not the stat the poll compares: a same-size rewrite in place within the
    file system's timestamp granularity (a second on some mounts) leaves the stat as it was, and the retry is the
    one way such a change is ever read."""
    try:
        return _content_digest(path)
    except (OSError, ConfigError):
        return None


def _content_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file, read_from in catalog_reads(path):
        digest.update(file.name.encode() + b"\0")
        # In chunks: a file far past the catalog's size bound (a dump mounted by mistake) is hashed, then refused by
        # the loader unread, never held whole in memory.
        with read_from.open("rb") as stream:
            while chunk := stream.read(_DIGEST_CHUNK_BYTES):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _encoded_openapi(catalog: Catalog, visible: frozenset[str]) -> bytes:
    return json.dumps(build_openapi(catalog, visible=visible.__contains__)).encode()


async def _in_daemon_thread(function: Callable[..., Any], *args: Any, name: str = "catalog-load") -> Any:
    """`function(*args)` in a thread of its own, as asyncio.to_thread runs it, but one the process does not wait for
    at exit: a reload cancelled by the shutdown parses (or imports) on for seconds (about 4 s of CPU per MiB of YAML),
    and the exit waited for it, past ANALYZER_SHUTDOWN_TIMEOUT_S. Its result, which no one awaits then, is dropped."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result, error = None, None
        try:
            result = context.run(function, *args)
        except BaseException as exc:  # noqa: BLE001 (not caught: handed to the awaiting task, as to_thread does)
            error = exc
        # A closed loop: the service has stopped, and no one waits for this.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


class LiveCatalog:
    """Holds the generation in service; reloads on file change (polling) and on request (SIGHUP)."""

    def __init__(
        self,
        catalog: Catalog,
        registry: Registry,
        settings: Settings,
        metrics: Metrics,
        make_sources: Callable[[Catalog], Sources] | None = None,
    ) -> None:
        """`make_sources` builds the source clients of a catalog (default: its Prometheus sources, observed
        by `metrics`); clients shared by every catalog, like an HTTP client, belong in it."""
        self.registry = registry
        self.make_sources = make_sources or (lambda new: Sources(new.sources, observe=metrics.observe_source_query))
        self.settings = settings
        self.metrics = metrics
        self.path = settings.catalog
        self.admission = Admission(
            settings.max_concurrent_evaluations,
            settings.retry_after_s,
            settings.max_queued_evaluations,
            settings.queue_timeout_s,
        )
        # The sources of the catalogs served lately, by version: a verdict page says when those its check read
        # have changed since the answer (it plots from the sources in service). Swapped in at each reload.
        self.sources_by_version: dict[str, Mapping[str, SourceConfig]] = {}
        self.current = self._generation(catalog)
        self.status = ReloadStatus(loaded_at=datetime.now(UTC))
        self.draining = False
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[Any]] = set()
        # Reloads asked for (SIGHUP) and not over: a shutdown cancels them rather than waits for them.
        self._reloads: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None
        # Nothing seen yet: the first poll reads the files' digest, so that a change landing between the
        # initial load and the first poll is not missed; it reloads only when they are not the catalog in service.
        self._seen_stat: _Stat | None = None
        self._seen_digest: str | None = None
        # Changed content a poll found cut mid-line (`_cut_short`), loaded once a later poll reads it the same.
        self._cut_short_digest: str | None = None
        self.rejected_retry_s = REJECTED_RETRY_S
        self.write_settle_s = WRITE_SETTLE_S
        self._retry_rejected_at = 0.0
        self._rejected_named_files: dict[Path, tuple[int, ...]] | None = None
        self._publish(catalog, previous=None)

    def start(self) -> None:
        """Probe the sources of the catalog in service (in the background) and start polling the catalog path
        (when there is one and polling is on)."""
        if self.settings.probe_sources:
            self.current.probes.start(previous=None)
        self._warn_outlasting_drain(self.current.catalog)
        if self.path is not None and mounted_alone(self.path):
            # Said at start: neither a poll nor SIGHUP can ever tell, as the file never changes.
            logger.warning(
                "catalog_file_mounted_alone",
                path=str(self.path),
                effect="an update that replaces its source never reaches it (a ConfigMap update never reaches a key "
                "mounted with subPath, nor a rename-writing editor's a file bind mount): mount the ConfigMap's "
                "directory and give that directory as the catalog path",
            )
        if self.path is None or self.settings.catalog_poll_s <= 0:
            return
        self._watcher = asyncio.create_task(self._watch(self.settings.catalog_poll_s), name="catalog-watcher")

    def request_reload(self, reason: str) -> None:
        """Reload now in the background (the SIGHUP handler)."""
        task = asyncio.create_task(self.reload(reason=reason), name=f"catalog-reload-{reason}")
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload(self, reason: str) -> ReloadResult:
        """Load the catalog path again and swap it in when valid and different; the old one serves on
        when it is rejected."""
        if self.path is None:
            logger.warning("catalog_reload_skipped", reason=reason, why="no catalog path to reload from")
            return "rejected"
        path = self.path
        async with self._lock:
            try:
                catalog = await _in_daemon_thread(load_catalog, path, self.registry)
            except ConfigError as exc:
                self._reject(reason, exc.problems, exc.named_files)
                return "rejected"
            # A bug in a kind's validator must not stop the service, nor a plugin's sys.exit() there (a library's
            # CLI parser): raised in the loading thread, never the process's own (serve handles its signals), it
            # went out of the event loop and stopped `analyzer serve` undrained.
            except (Exception, SystemExit, KeyboardInterrupt) as exc:
                # The problem is logged and shown by /readyz: neither shows a credential the exception quotes.
                scrub = crash_scrubber(self.current)
                what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                problems = [scrub(f"internal error while loading: {what}")]
                if not self._refused_as_before(reason, problems):
                    logger.exception(
                        "catalog_reload_crashed",
                        reason=reason,
                        exc_info=False,
                        exception=scrub("".join(traceback.format_exception(exc)).rstrip("\n")),
                    )
                self._reject(reason, problems)
                return "rejected"
            previous = self.current
            if not catalog.checks and previous.catalog.checks:
                # A file truncated by a shell redirect or an editor, a ConfigMap key renamed: each loads as a
                # valid catalog of nothing, and every rollout's next measurement would be a 404.
                self._reject(
                    reason,
                    [
                        f"{path}: the new catalog has no checks (an empty or truncated file?); the last good one keeps "
                        f"serving (checks: {len(previous.catalog.checks)}). To serve no checks, restart"
                    ],
                    # Its text and the catalog in service, which a rejection keeps, decided it.
                    named_files={},
                )
                return "rejected"
            self.status.last_error = None
            self.metrics.catalog_reload_failing.set(0)
            if catalog.version == previous.catalog.version:
                self.metrics.catalog_reloads.labels("unchanged").inc()
                logger.info("catalog_unchanged", reason=reason, catalog_version=catalog.version)
                return "unchanged"
            # Before the swap, so that no evaluation of a kind the new catalog adds waits for its import. In a thread
            # the exit does not wait for either: an import cancelled by the shutdown goes on (scipy's, about 1 s).
            await _in_daemon_thread(warm_kinds, catalog.kinds())
            self.current = self._generation(catalog)
            previous.probes.cancel()
            if self.settings.probe_sources:
                self.current.probes.start(previous=previous.probes)
            self.status.loaded_at = datetime.now(UTC)
            self.status.reloads += 1
            self._publish(catalog, previous=previous.catalog)
            self.metrics.catalog_reloads.labels("success").inc()
            for warning in catalog.warnings:
                logger.warning("catalog_warning", warning=warning)
            self._warn_outlasting_drain(catalog)
            logger.info(
                "catalog_reloaded",
                reason=reason,
                catalog_version=catalog.version,
                previous_version=previous.catalog.version,
                checks=len(catalog.checks),
                in_flight_on_previous=previous.users,
            )
            removed = sorted(set(previous.catalog.checks) - set(catalog.checks))
            if removed:
                # A template still naming one gets a 404, an Error measurement: a truncated team file in a
                # ConfigMap looks like this, so the names are said where an operator looks.
                logger.warning("catalog_checks_removed", checks=removed[:_NAMES_LOGGED], count=len(removed))
            self._retire(previous)
            return "reloaded"

    async def drain(self) -> None:
        """Stop reloading (see `stop_reloading`), then wait until every generation, in service or retired, has no
        request and no evaluation left."""
        self.stop_reloading()
        await asyncio.gather(self.current.drain(), *self._retiring)

    def stop_reloading(self) -> None:
        """Stop polling and cancel the reloads in progress: the service is stopping, and a catalog loaded now would
        serve no one. The catalog in service serves on: a reload swaps only after its last await."""
        if self._watcher is not None:
            self._watcher.cancel()
        for task in self._reloads:
            task.cancel()

    async def close(self, timeout_s: float) -> None:
        """Stop reloading, let evaluations finish (at most `timeout_s`), and close every generation."""
        self.stop_reloading()
        await asyncio.gather(*(task for task in (self._watcher, *self._reloads) if task), return_exceptions=True)
        if timeout_s > 0:
            try:
                async with asyncio.timeout(timeout_s):
                    await self.drain()
            except TimeoutError:
                logger.warning("drain_timed_out", evaluations_abandoned=self.admission.running)
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        # The one in service now: a reload (a SIGHUP's) that ended during the drain swapped its own in.
        current = self.current
        current.close()
        await current.probes.wait()

    def _warn_outlasting_drain(self, catalog: Catalog) -> None:
        """Log the checks whose evaluation, queued then run to its deadline, outlasts a shutdown's drain: a replica
        stopping (a rollout of the analyzer, a scale-down, a node drain) cuts one off, an Error to Argo."""
        settings = self.settings
        longest_s = settings.drain_s - settings.queue_timeout_s
        outlasting = {
            name: deadline_s
            for name, check in catalog.checks.items()
            if (deadline_s := check.deadline_s or settings.deadline_s) > longest_s
        }
        if outlasting:
            needed_s = max(outlasting.values()) + settings.queue_timeout_s + CLOSE_RESERVE_S
            logger.warning(
                "checks_outlast_drain",
                checks=sorted(outlasting)[:_NAMES_LOGGED],
                count=len(outlasting),
                longest_deadline_s=max(outlasting.values()),
                drain_s=settings.drain_s,
                effect="an evaluation of one still running when this replica stops is cut off at the end of the "
                "drain: its caller gets no verdict (an Error to Argo)",
                fix=f"set ANALYZER_SHUTDOWN_TIMEOUT_S to {needed_s:g} or more (the deadline, the queue's "
                "ANALYZER_QUEUE_TIMEOUT_S and 0.5 s to close), and the pod's terminationGracePeriodSeconds above it "
                "and its preStop",
            )

    def _generation(self, catalog: Catalog) -> Generation:
        return Generation(catalog, self.make_sources(catalog), self.settings, self.metrics, self.admission)

    def _publish(self, catalog: Catalog, previous: Catalog | None) -> None:
        if previous is not None:
            self.metrics.catalog_info.remove(previous.version)
        self.metrics.catalog_info.labels(catalog.version).set(1)
        self.metrics.catalog_checks.set(len(catalog.checks))
        self.sources_by_version.pop(catalog.version, None)
        self.sources_by_version[catalog.version] = catalog.sources
        while len(self.sources_by_version) > _SOURCE_VERSIONS_KEPT:
            del self.sources_by_version[next(iter(self.sources_by_version))]

    def _refused_as_before(self, reason: str, problems: list[str]) -> bool:
        """Whether a retry of the rejected catalog was refused for the same `problems` as the last time."""
        return (
            reason == "retry" and self.status.last_error is not None and self.status.last_error["problems"] == problems
        )

    def _reject(self, reason: str, problems: list[str], named_files: dict[Path, tuple[int, ...]] | None = None) -> None:
        """`named_files`: the files the catalog names as its load found them, when they and its text alone decided
        the refusal (None: something else may have, so a retry may pass)."""
        self._retry_rejected_at = time.monotonic() + self.rejected_retry_s
        self._rejected_named_files = named_files
        if self._refused_as_before(reason, problems):
            return  # said and counted already
        self.status.last_error = {"at": format_time(datetime.now(UTC)), "trigger": reason, "problems": problems}
        self.metrics.catalog_reloads.labels("failure").inc()
        self.metrics.catalog_reload_failing.set(1)
        logger.error(
            "catalog_reload_failed", reason=reason, problems=problems, serving_version=self.current.catalog.version
        )

    def _retire(self, generation: Generation) -> None:
        reached = {
            name: generation.catalog.reached(name)
            for name, check in generation.catalog.checks.items()
            if check.member_names()
        }
        self.metrics.retire_reach(reached)

        async def close_when_drained() -> None:
            try:
                async with asyncio.timeout(_DRAIN_LIMIT_S):
                    await generation.drain()
            except TimeoutError:
                logger.warning("previous_catalog_not_drained", catalog_version=generation.catalog.version)
            finally:
                generation.close()
                self.metrics.settle_reach(reached)
                logger.info("previous_catalog_closed", catalog_version=generation.catalog.version)

        task = asyncio.create_task(close_when_drained(), name=f"retire-{generation.catalog.version}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _watch(self, poll_s: float) -> None:
        while True:
            await asyncio.sleep(poll_s)
            try:
                await self.check_for_change()
            except Exception:
                # A bug in one poll must not end polling for the life of the process.
                logger.exception("catalog_watch_failed")

    async def check_for_change(self) -> ReloadResult | None:
        """One poll: reload when the files' content changed since the last look (None: no change, or a change
        still being written)."""
        assert self.path is not None
        path = self.path
        look = await self._look(path, trust_stat=True)
        if look is None:
            return await self._retry_rejected()
        stat, settled, digest, problem = look
        quiet_s = min(self.write_settle_s, self.settings.catalog_poll_s)
        if not settled and (digest or problem) != self._seen_digest and quiet_s > 0:
            # Written a moment ago (or missing, as between a rename-writing editor's two steps): read again after a
            # quiet moment, and left to the next poll if a writer is still at it.
            await asyncio.sleep(quiet_s)
            again = await self._look(path, trust_stat=False)
            assert again is not None
            if again[2:] != (digest, problem):
                logger.info("catalog_change_still_being_written", reason="file_change", settle_s=quiet_s)
                return None
        if problem is not None:
            # A path that vanished or cannot be read: report once per distinct problem, keep serving.
            if self._seen_digest != problem:
                self._seen_stat, self._seen_digest = None, problem
                self._reject("file_change", [problem])
                return "rejected"
            return None
        assert digest is not None
        # An unsettled stat is not remembered: the next poll reads the content again.
        self._seen_stat = stat if settled else None
        if digest == self._seen_digest:
            return await self._retry_rejected()
        first_look = self._seen_digest is None
        if first_look and digest.startswith(self.current.catalog.version):
            # The files hold the catalog in service (its version is the start of the same digest, taken when it
            # was read): the first poll after start need not parse and validate it again. Anything else (a
            # change since, text the loader normalised) is reloaded as before.
            self._seen_digest = digest
            return None
        if digest != self._cut_short_digest and await asyncio.to_thread(_cut_short, path):
            # A writer paused mid-line longer than the quiet moment: both reads agreed on a cut that may be a valid
            # catalog (`< 0.01` read as `< 0.`). Left to the next poll, which loads it if it still reads the same.
            self._cut_short_digest = digest
            self._seen_stat = None
            logger.info("catalog_change_still_being_written", reason="file_change", cut_short=True)
            return None
        self._seen_digest = digest
        return await self.reload(reason="file_change")

    async def _look(self, path: Path, *, trust_stat: bool) -> tuple[_Stat, bool, str | None, str | None] | None:
        """The files' stat, whether it is settled, and their content digest or the problem reading them; None when
        `trust_stat` and the stat is settled and the last poll's (nothing was read)."""
        try:
            stat, settled = await asyncio.to_thread(_stat_signature, path)
            # Trusted only while still settled: a file dated ahead is no longer once the clock comes near it.
            if trust_stat and settled and stat == self._seen_stat:
                return None
            return stat, settled, await asyncio.to_thread(_content_digest, path), None
        except (OSError, ConfigError) as exc:
            # Not settled: a path missing for a moment (a rename-writing editor, the kubelet removing a version a
            # poll had resolved) is looked at again.
            return (), False, None, str(exc)

    async def _retry_rejected(self) -> ReloadResult | None:
        """While the last reload was rejected, load the unchanged files again every `rejected_retry_s` (None: not
        due, nothing rejected, or nothing its refusal depended on changed)."""
        if self.status.last_error is None or time.monotonic() < self._retry_rejected_at:
            return None
        named = self._rejected_named_files
        if named is not None and self.path is not None:
            digest = await asyncio.to_thread(_digest_if_readable, self.path)
            if digest == self._seen_digest and await asyncio.to_thread(_found_as_before, named):
                # Its text and the files it names are as the load found them: loaded again, it would be refused the
                # same way (the parse and validation cost about 4 s of CPU per MiB of YAML, every time).
                self._retry_rejected_at = time.monotonic() + self.rejected_retry_s
                return None
            if digest is not None:
                self._seen_digest = digest
        return await self.reload(reason="retry")
