"""`analyzer serve`: the HTTP server's lifecycle. SIGHUP reloads the catalog; SIGTERM (or SIGINT) stops
accepting connections, lets in-flight evaluations finish, and returns within `shutdown_timeout_s` (the drain gets all
of it but the time the final close needs).

The connections themselves are guarded here, below the app: a cap on open connections, a header
timeout, a send timeout (a client that leaves its answer unread), and JSON answers (414, 431, 400) for
requests aiohttp's parser refuses before any handler runs.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import json
import os
import signal
import socket
import sys
import time
from typing import Any, cast

import structlog
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

# Imported by a Job only when a Prometheus error answer is first quoted; the service imports it before it listens,
# since it quotes them on its event loop, which compiling the reader's patterns (tens of ms) would hold up once.
from analyzer._body_secrets import _masked as _masked
from analyzer.appkeys import LIVE, METRICS
from analyzer.catalog import Catalog
from analyzer.errors import AnalyzerError, short_reason
from analyzer.logs import bound_text, report_dropped
from analyzer.metrics import Metrics
from analyzer.redaction import compile_patterns, credential_scrubber, parser_error_for_log
from analyzer.registry import Registry, warm_kinds
from analyzer.settings import Settings
from analyzer.web import crash_fields, create_app, create_probe_app, request_texts, server_options

logger = structlog.get_logger("analyzer.server")

# A Job compiles redaction's patterns as it first uses each; the service compiles them before it listens, as it
# imports the body-secrets reader above, since it hides credentials on its event loop.
compile_patterns()

# After the drain, what the HTTP server may still take to write the last answers and close connections.
# aiohttp waits for it twice per connection (for the handler, then for its cancellation): each gets half.
_FINAL_CLOSE_S = 0.3
# What a client must take of an answer in every ANALYZER_SEND_TIMEOUT_S (2 KiB/s at the default 30 s): reading a byte
# now and then would hold a connection and the answer's bytes as long as reading nothing did.
MIN_SEND_PROGRESS_BYTES = 64 * 1024
# The probe listener only serves the kubelet: a few connections are plenty.
_PROBE_MAX_CONNECTIONS = 32
_DROPPED_REPORT_S = 10.0
# CPython collects young objects every 700 net allocations of containers. With 32 requests in flight that was
# every ~15 requests, each collection traversing the ~1,000 objects of the requests in flight (and promoting
# them, for the middle generation to traverse again) to free next to nothing (32 objects in 3,000 requests:
# what a request allocates, reference counting frees). Every 10,000: a young collection every few hundred
# requests, and the collector's CPU per request at 32 concurrent requests from about 60 us to 10 us.
YOUNG_COLLECTION_THRESHOLD = 10_000


def _canned(status: int, reason: str, code: str, message: str, retry_after_s: int | None = None) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, written without a request object."""
    body = json.dumps({"error": code, "message": message}).encode()
    retry = f"Retry-After: {retry_after_s}\r\n" if retry_after_s is not None else ""
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"{retry}Connection: close\r\n\r\n"
    ).encode() + body


class ConnectionGuard:
    """What the connections of one listener share: how many are open, and the limits they obey."""

    def __init__(
        self,
        max_connections: int,
        header_timeout_s: float,
        retry_after_s: int,
        metrics: Metrics | None = None,
        send_timeout_s: float = 30.0,
    ) -> None:
        """`metrics`: where refusals are counted (None: nowhere)."""
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.send_timeout_s = send_timeout_s
        self.open = 0
        self.metrics = metrics
        self.at_cap_answer = _canned(
            503,
            "Service Unavailable",
            "too_many_connections",
            f"this replica has {max_connections} open connections, its limit; retry",
            retry_after_s,
        )
        self.header_timeout_answer = _canned(
            408,
            "Request Timeout",
            "header_timeout",
            f"the request line and headers did not arrive within {header_timeout_s:g} s",
        )


class GuardedHandler(RequestHandler):
    """aiohttp's connection protocol with a connection cap, a header timeout, and JSON parse errors."""

    def __init__(self, manager: web.Server, *, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.guard = guard
        self.max_line_size = kwargs.get("max_line_size", 8190)
        self.max_field_size = kwargs.get("max_field_size", 8190)
        self._counted = False
        self._header_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self.guard
        if guard.open >= guard.max_connections:
            # Answered before any byte is read, and never counted: the cheapest refusal there is.
            self._force_close = True
            stream = cast(asyncio.Transport, transport)
            stream.write(guard.at_cap_answer)
            stream.close()
            if guard.metrics is not None:
                guard.metrics.connections_refused.inc()
            logger.warning("connection_refused_at_cap", max_connections=guard.max_connections)
            return
        guard.open += 1
        self._counted = True
        super().connection_made(transport)
        # A new connection has header_timeout_s to send its first request line and headers.
        self._header_timer = self._loop.call_later(guard.header_timeout_s, self._header_timed_out)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._counted:
            self._counted = False
            self.guard.open -= 1
        self._cancel_header_timer()
        self._cancel_send_timer()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        # The send buffer is full: the client reads the answer slower than it is written, or not at all. A client
        # that never read held its connection, a place under the cap, and the answer's bytes for ever: 40 of them
        # asking for a large catalog's OpenAPI document (19 MB for 3,000 checks) held 1.1 GB.
        super().pause_writing()
        self._watch_send(self.transport.get_write_buffer_size() if self.transport is not None else 0)

    def resume_writing(self) -> None:
        self._cancel_send_timer()
        super().resume_writing()

    def _watch_send(self, unsent: int) -> None:
        """Cut the connection unless the client takes MIN_SEND_PROGRESS_BYTES of the `unsent` bytes (or all)
        within send_timeout_s."""
        self._cancel_send_timer()
        self._send_timer = self._loop.call_later(self.guard.send_timeout_s, self._send_timed_out, unsent)

    def _cancel_send_timer(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _send_timed_out(self, unsent_before: int) -> None:
        self._send_timer = None
        if self.transport is None:
            return
        # Paused all along (resume_writing cancels this): one large answer is written whole into the transport's
        # buffer, which drains below its low mark only at its end, so progress is how far that buffer went down.
        unsent = self.transport.get_write_buffer_size()
        if unsent <= unsent_before - MIN_SEND_PROGRESS_BYTES:
            self._watch_send(unsent)
            return
        if self.guard.metrics is not None:
            self.guard.metrics.requests_rejected.labels("send_timeout").inc()
        logger.warning("send_timeout", remote=self._remote(), timeout_s=self.guard.send_timeout_s, unsent_bytes=unsent)
        # Nothing more can reach a client that reads nothing: the buffered answer is dropped with the connection.
        self.transport.abort()

    def data_received(self, data: bytes) -> None:
        # On a kept-alive connection the timer runs from the first byte of the next request until its
        # headers are complete. Only when idle: other bytes belong to the request being handled (its body).
        starts = self._idle() and self._header_timer is None and not self._force_close and not self._upgraded
        super().data_received(data)
        if self._messages or self._force_close:
            self._cancel_header_timer()
        elif starts and self._idle():
            # Started once these bytes are parsed, at the same moment: a request whose headers came whole (the
            # usual case) never makes a timer only to cancel it.
            self._header_timer = self._loop.call_later(self.guard.header_timeout_s, self._header_timed_out)

    def _idle(self) -> bool:
        """Waiting for the next request, as aiohttp's own keep-alive timer decides it."""
        return self._waiter is not None and not self._waiter.done() and not self._messages

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if not self._idle() or self.transport is None or self._close or self._force_close:
            return
        if self.guard.metrics is not None:
            self.guard.metrics.requests_rejected.labels("header_timeout").inc()
        logger.warning("header_timeout", remote=self._remote(), timeout_s=self.guard.header_timeout_s)
        self.transport.write(self.guard.header_timeout_answer)
        self.force_close()

    def _remote(self) -> str | None:
        peer = self.transport.get_extra_info("peername") if self.transport is not None else None
        return str(peer[0]) if isinstance(peer, tuple) else None

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        """A JSON answer for what aiohttp refuses outside the app (parse errors), logged once, sampled,
        with the client's bytes cut short and escaped; never a traceback for a client's mistake."""
        if isinstance(exc, HttpProcessingError):
            status, code, text = self._classify(exc)
            if self.guard.metrics is not None:
                self.guard.metrics.requests_rejected.labels(code).inc()
            logger.warning(
                "bad_http_request",
                status=status,
                error=code,
                remote=self._remote(),
                detail=bound_text(parser_error_for_log(str(exc.message)), 200),
            )
        elif status == 504:
            code, text = "handler_timeout", "the request took too long"
        else:
            status, code, text = 500, "internal_error", "internal error; the log has the details"
            # The log's text without what the request holds of the caller's secrets (a secret arg in its query).
            scrub = credential_scrubber(request_texts(request))
            fields = crash_fields(request, exc, scrub) if exc is not None else {}
            logger.error("request_crashed", error=scrub(repr(exc))[:200], **fields)
        if request.writer.output_size > 0:
            raise ConnectionError("the answer was partly sent; the connection is closed instead")
        response = web.json_response({"error": code, "message": text}, status=status)
        response.force_close()
        return response

    def _classify(self, exc: HttpProcessingError) -> tuple[int, str, str]:
        if isinstance(exc, LineTooLong):
            limit = exc.args[1] if len(exc.args) > 1 else None
            if limit == self.max_line_size:
                return 414, "request_line_too_long", f"the request line is longer than {limit} bytes"
            return 431, "header_too_long", f"a request header is longer than {self.max_field_size} bytes"
        if isinstance(exc, BadHttpMessage) and "Too many headers" in str(exc.message):
            return 431, "too_many_headers", "the request has too many headers"
        return 400, "bad_http_request", f"malformed HTTP request ({type(exc).__name__})"


class GuardedServer(web.Server):
    """aiohttp's low-level server, making GuardedHandler connections."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, guard=self.guard, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """An AppRunner whose server guards its connections."""

    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        # AppRunner builds a plain Server (and starts the app); the same arguments make a guarded one.
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            guard=self.guard,
            **plain._kwargs,
        )


def make_runner(
    app: web.Application, settings: Settings, *, max_connections: int | None = None, counted: bool = True, **kwargs: Any
) -> GuardedRunner:
    """The runner `analyzer serve` uses for `app` (tests start their servers with it too); `counted`:
    its connections show in the app's metrics."""
    metrics = app[METRICS] if counted else None
    guard = ConnectionGuard(
        max_connections or settings.max_connections,
        settings.header_timeout_s,
        settings.retry_after_s,
        metrics,
        settings.send_timeout_s,
    )
    if metrics is not None:
        metrics.open_connections.set_function(lambda: guard.open)
    # A client that hangs up cancels its handler, and so its evaluation when no other caller waits for it: its
    # queries are closed, and Prometheus stops evaluating them (off by default in aiohttp's runners).
    return GuardedRunner(app, guard, **{"handler_cancellation": True, **server_options(settings), **kwargs})


async def serve(settings: Settings, catalog: Catalog, registry: Registry) -> None:
    """Serve until SIGTERM or SIGINT, then drain and return."""
    # The catalog's kinds warm in a worker thread while the app is built; the port opens once they are warm,
    # so that neither a readiness probe nor the first evaluation waits for a slow import. Only the kinds the
    # catalog uses: scipy alone is 60 MB of a pod's memory (a reload warms the kinds it adds).
    warming = asyncio.create_task(asyncio.to_thread(warm_kinds, catalog.kinds()))
    app = create_app(settings, catalog, registry)
    runner = make_runner(app, settings, handle_signals=False, shutdown_timeout=_FINAL_CLOSE_S / 2)
    await runner.setup()
    probes: GuardedRunner | None = None
    if settings.probe_port:
        probes = make_runner(
            create_probe_app(app),
            settings,
            max_connections=_PROBE_MAX_CONNECTIONS,
            counted=False,
            handle_signals=False,
            shutdown_timeout=_FINAL_CLOSE_S / 2,
        )
        await probes.setup()
    live = app[LIVE]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, live.request_reload, "sighup")
    site = web.TCPSite(runner, settings.host, settings.port)
    reporter = asyncio.create_task(_report_dropped_log_events(), name="dropped-log-reporter")
    started_at = time.monotonic()
    try:
        await warming
        settle_collector()
        await _listen(site, settings.host, settings.port, "ANALYZER_PORT (--port)")
        urls = [_url(address) for address in runner.addresses]
        if settings.port == 0:
            _say_listening(urls)
        if probes is not None:
            await _listen(
                web.TCPSite(probes, settings.host, settings.probe_port),
                settings.host,
                settings.probe_port,
                "ANALYZER_PROBE_PORT",
            )
        logger.info(
            "analyzer_listening",
            host=settings.host,
            **_bound(runner.addresses),
            probe_port=settings.probe_port,
            catalog_version=live.current.catalog.version,
            checks=len(live.current.catalog.checks),
            auth=settings.auth_tokens is not None,
            max_connections=settings.max_connections,
        )
        await stop.wait()
        started_at = time.monotonic()
        drain_s = settings.drain_s
        drain_deadline = loop.time() + drain_s
        live.draining = True
        await site.stop()
        logger.info(
            "shutdown_started",
            listening=False,
            evaluations_in_flight=live.admission.running,
            timeout_s=settings.shutdown_timeout_s,
            drain_s=drain_s,
        )
        try:
            async with asyncio.timeout_at(drain_deadline):
                await live.drain()
        except TimeoutError:
            logger.warning("drain_timed_out", evaluations_abandoned=live.admission.running, drain_s=drain_s)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        reporter.cancel()
        await runner.cleanup()
        if probes is not None:
            await probes.cleanup()
        report_dropped()
    logger.info("shutdown_complete", elapsed_s=round(time.monotonic() - started_at, 3))


async def _listen(site: web.TCPSite, host: str, port: int, setting: str) -> None:
    """Start listening; AnalyzerError naming the address and its setting when the OS refuses (a port in use, an
    address this host does not have, a port below 1024 without the capability), not a traceback."""
    try:
        await site.start()
    except OSError as exc:
        # A name that does not resolve, or an address this host does not have: the host is wrong, not the port.
        host_wrong = isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL
        # asyncio and uvloop both word it 'error while attempting to bind on address ...': the OS's words say it.
        # A resolver's error number is its own (-2), which os.strerror does not know: its text is the words.
        if isinstance(exc, socket.gaierror):
            reason = exc.strerror or short_reason(exc)
        else:
            reason = os.strerror(exc.errno) if exc.errno else short_reason(exc)
        logger.error("listen_failed", host=host, port=port, reason=reason)
        wrong = "ANALYZER_HOST (--host)" if host_wrong else setting
        raise AnalyzerError(
            f"cannot listen on {host}:{port}: {reason} (set by {wrong}){_listen_next_step(exc, host, port, setting)}"
        ) from None


def _bound(addresses: list[tuple[Any, ...]]) -> dict[str, Any]:
    """analyzer_listening's fields for the sockets bound: `urls`, every one; `port`, the port they share, or `ports`,
    each socket's in the order of `urls` when they differ (port 0 on a name with several addresses: the OS picks one
    per socket), never the first socket's alone."""
    ports = [address[1] for address in addresses]
    urls = [_url(address) for address in addresses]
    if len(set(ports)) == 1:
        return {"port": ports[0], "urls": urls}
    return {"ports": ports, "urls": urls}


def _url(address: tuple[Any, ...]) -> str:
    """The URL of a bound socket's address (host, port[, flowinfo, scope_id]), an IPv6 host in brackets."""
    host, port = address[0], address[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _say_listening(urls: list[str]) -> None:
    """`listening on URL` on stdout for each of `urls`: the port the OS picked, for whoever started `serve` with port 0
    (a test, a local run) to read without parsing the log. Never written for a port given: a pod's stdout goes to its
    log with stderr's JSON lines, where a line of text is one a log pipeline cannot parse."""
    if sys.stdout is None:
        return
    try:
        for url in urls:
            print(f"listening on {url}", flush=True)
    except OSError:
        # Closed or gone (`>&-`, a reader that exited): the log event analyzer_listening still names the port.
        pass


def _listen_next_step(exc: OSError, host: str, port: int, port_setting: str) -> str:
    """What to do about a refused address, where the OS's words do not say it ('' where they do)."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"; another process listens on port {port} (`ss -ltnp 'sport = :{port}'` names it): stop it, or give"
            " this one another port"
        )
    if exc.errno == errno.EACCES and port < 1024:
        return "; a port below 1024 needs root or CAP_NET_BIND_SERVICE: give one from 1024 up, such as 8080"
    head, colon, tail = host.rpartition(":")
    if isinstance(exc, socket.gaierror) and colon and tail.isdigit() and ":" not in head:
        # `--host 127.0.0.1:8080`: an IPv4 address or a name never holds a colon.
        return f"; the host is an address alone: write {head}, and give the port {tail} in {port_setting}"
    return ""


def settle_collector() -> None:
    """Freeze what exists now and collect young objects every YOUNG_COLLECTION_THRESHOLD allocations."""
    # What start-up built (modules, the warmed kinds, the catalog) lives until exit: frozen, the collector
    # never scans it again, and exit does not tear it down object by object (0.56 s with every kind
    # loaded, 0.05 s frozen).
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


async def _report_dropped_log_events() -> None:
    while True:
        await asyncio.sleep(_DROPPED_REPORT_S)
        report_dropped()
