"""`analyzer serve`: the HTTP server's lifecycle. SIGHUP reloads the catalog; SIGTERM (or SIGINT) stops
accepting connections, lets in-flight evaluations finish for at most `shutdown_timeout_s`, and returns."""

from __future__ import annotations

import asyncio
import gc
import signal

import structlog
from aiohttp import web

from analyzer.catalog import Catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import LIVE, create_app, server_options

logger = structlog.get_logger("analyzer.server")

# After the drain, what the HTTP server may still take to finish answering and close connections.
_FINAL_CLOSE_S = 1.0


async def serve(settings: Settings, catalog: Catalog, registry: Registry) -> None:
    """Serve until SIGTERM or SIGINT, then drain and return."""
    app = create_app(settings, catalog, registry)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=_FINAL_CLOSE_S, **server_options(settings))
    await runner.setup()
    # What start-up built (modules, kinds, the catalog) lives until exit: frozen, the collector never scans it
    # again, and exit does not tear it down object by object (0.56 s with every kind loaded, 0.05 s frozen).
    gc.freeze()
    live = app[LIVE]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, live.request_reload, "sighup")
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
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
            # Cancelled, their handlers end at once: the HTTP server's close does not wait for them.
            live.admission.abandon()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        await runner.cleanup()
    logger.info("shutdown_complete")

