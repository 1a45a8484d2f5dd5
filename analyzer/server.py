"""`analyzer serve`: the HTTP server's lifecycle. SIGHUP reloads the catalog; SIGTERM (or SIGINT) stops
accepting connections, lets in-flight evaluations finish for at most `shutdown_timeout_s`, and returns."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterable

import structlog
from aiohttp import web

from analyzer.catalog import Catalog
from analyzer.check import Check
from analyzer.registry import Registry, kind_name
from analyzer.settings import Settings
from analyzer.web import LIVE, create_app, server_options

logger = structlog.get_logger("analyzer.server")

# After the drain, what the HTTP server may still take to finish answering and close connections.
_FINAL_CLOSE_S = 1.0
_IDLE_WORKER_EXIT_S = 0.1


async def serve(settings: Settings, catalog: Catalog, registry: Registry) -> None:
    """Serve until SIGTERM or SIGINT, then drain and return."""
    # The kinds warm in a worker thread while the app is built; the port opens once they are warm, so that
    # neither a readiness probe nor the first evaluation waits for a slow import.
    warming = asyncio.create_task(asyncio.to_thread(warm_kinds, list(registry.kinds.values())))
    app = create_app(settings, catalog, registry)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=_FINAL_CLOSE_S, **server_options(settings))
    await runner.setup()
    live = app[LIVE]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, live.request_reload, "sighup")
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await warming
        await site.start()
        logger.info("analyzer_listening", host=settings.host, port=settings.port,
                    catalog_version=live.current.catalog.version, checks=len(live.current.catalog.checks),
                    auth=settings.auth_tokens is not None)
        await stop.wait()
        live.draining = True
        await site.stop()
        logger.info("shutdown_started", listening=False, evaluations_in_flight=live.admission.running,
                    timeout_s=settings.shutdown_timeout_s)
        try:
            async with asyncio.timeout(settings.shutdown_timeout_s):
                await live.drain()
        except TimeoutError:
            logger.warning("drain_timed_out", evaluations_abandoned=live.admission.running)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        await runner.cleanup()
    logger.info("shutdown_complete")


def warm_kinds(kinds: Iterable[type[Check]]) -> None:
    """Call each kind's `warm`; one that fails is logged, and its first evaluation pays (or fails) instead."""
    started = time.monotonic()
    for kind in kinds:
        try:
            kind.warm()
        except Exception:
            # A plugin's warm-up must not keep the other kinds from being served.
            logger.exception("kind_warm_failed", kind=kind_name(kind))
    logger.info("kinds_warmed", duration_s=round(time.monotonic() - started, 3))


def abandon_lingering_threads() -> bool:
    """True when source queries of abandoned evaluations still hold worker threads after the drain.

    The interpreter would wait for them at exit (up to a source's timeout); the caller exits at once
    instead, so that shutdown stays bounded by `shutdown_timeout_s`.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in others:
        # Idle pool workers of closed sources exit at once; only threads blocked in a query remain.
        thread.join(timeout=_IDLE_WORKER_EXIT_S)
    lingering = [t.name for t in others if t.is_alive()]
    if lingering:
        logger.warning("exiting_with_abandoned_queries", threads=lingering)
    return bool(lingering)
