"""Hostile clients, against the server `analyzer serve` runs (analyzer.server.make_runner): over-long
request lines and headers get JSON 414 / 431, connections are capped while the probe listener answers,
slow headers are cut off, logs stay JSON and bounded, /metrics needs a token."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import logging
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer

from analyzer.appkeys import HISTORY, LIVE, METRICS
from analyzer.catalog import build_catalog
from analyzer.kinds import Check, EvalContext, Verdict
from analyzer.logs import EventSampler, configure_logging, report_dropped
from analyzer.registry import BUILTIN_KINDS, Registry
from analyzer.server import make_runner
from analyzer.settings import Settings
from analyzer.web import create_app, create_probe_app
from tests.api import rawhttp
from tests.fakes import holding_prometheus
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.gatekind import GATES, Gate, GateCheck, GroupCheck

CHECK = {"name": "always", "kind": "gate", "gate": "open-gate"}
# Bounds a hung test only; nothing here asserts how long anything took.
HANG_GUARD_S = 20
# How long aiohttp reads the rest of a body a handler left unread, unless told otherwise (its `lingering_time`).
AIOHTTP_LINGERING_S = 10.0


class GuardedTestServer(TestServer):
    """A TestServer started with the runner of `analyzer serve` (its parser limits and connection guard)."""

    def __init__(self, app, settings: Settings, **runner_options) -> None:
        super().__init__(app, host="127.0.0.1")
        self.settings = settings
        self.runner_options = runner_options

    async def _make_runner(self, **kwargs):
        return make_runner(self.app, self.settings, **{**kwargs, **self.runner_options})


@pytest.fixture
async def serve():
    started: list[TestServer] = []

    async def start(settings: Settings, app=None, **runner_options) -> GuardedTestServer:
        server = GuardedTestServer(
            app or create_app(settings, gate_catalog(CHECK), REGISTRY), settings, **runner_options
        )
        await server.start_server()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        await server.close()


def long_target(length: int) -> str:
    return "/api/v1/checks?x=" + "x" * length


class TestOverlongRequests:
    """Every over-long request line is a JSON 414 and every over-long header a JSON 431, none echoing it."""

    @pytest.mark.parametrize("excess", [1, 8 * 1024, 64 * 1024, 1024 * 1024])
    async def test_request_line(self, serve, excess):
        settings = Settings(max_query_bytes=1024)
        server = await serve(settings)
        line_limit = settings.max_query_bytes + 2048
        answer = await rawhttp.send(server.host, server.port, rawhttp.request("GET", long_target(line_limit + excess)))
        assert answer.status == 414
        assert (
            server.app[METRICS].registry.get_sample_value(
                "analyzer_requests_rejected_total", {"reason": "request_line_too_long"}
            )
            == 1
        )
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["error"] == "request_line_too_long"
        assert b"xxxxxxxx" not in answer.body

    async def test_a_query_just_over_its_limit_keeps_its_own_code(self, serve):
        server = await serve(Settings(max_query_bytes=1024))
        answer = await rawhttp.send(server.host, server.port, rawhttp.request("GET", long_target(1100)))
        assert (answer.status, answer.json()["error"]) == (414, "query_too_long")

    @pytest.mark.parametrize("length", [8191, 64 * 1024, 1024 * 1024])
    async def test_header(self, serve, length):
        server = await serve(Settings())
        head = rawhttp.request("GET", "/healthz", {"X-Padding": "y" * length})
        answer = await rawhttp.send(server.host, server.port, head)
        assert answer.status == 431
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["error"] == "header_too_long"
        assert b"yyyyyyyy" not in answer.body

    async def test_too_many_headers(self, serve):
        server = await serve(Settings())
        head = rawhttp.request("GET", "/healthz", {f"X-H{i}": "1" for i in range(200)})
        answer = await rawhttp.send(server.host, server.port, head)
        assert (answer.status, answer.json()["error"]) == (431, "too_many_headers")

    async def test_malformed_http_is_a_json_400(self, serve):
        server = await serve(Settings())
        answer = await rawhttp.send(server.host, server.port, b"G\x00T /healthz HTTP/1.1\r\n\r\n")
        assert (answer.status, answer.json()["error"]) == (400, "bad_http_request")
        assert b"\x00" not in answer.body


def answering(body: bytes) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler answering `body`."""

    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=body)

    return handler


async def small_buffer_connection(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection whose socket receives into a small buffer: what it leaves unread soon fills the server's."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    return await asyncio.open_connection(sock=sock, limit=16 * 1024)


class TestConnections:
    """Open connections are capped; the probe listener still answers at the cap; slow headers are cut off."""

    async def test_at_the_cap_new_connections_get_503_and_probes_still_answer(self, serve):
        settings = Settings(max_connections=3)
        server = await serve(settings)
        probes = await serve(settings, app=create_probe_app(server.app), counted=False, max_connections=8)
        held = []
        for _ in range(3):
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(rawhttp.request("GET", "/healthz"))
            await writer.drain()
            assert b"200 OK" in await reader.readuntil(b"\r\n\r\n")  # served, and kept open
            held.append(writer)
        try:
            refused = await rawhttp.send(server.host, server.port, rawhttp.request("GET", "/healthz"))
            assert refused.status == 503 and refused.headers["retry-after"] == "2"
            assert refused.json()["error"] == "too_many_connections"
            for path in ("/healthz", "/readyz"):
                assert (await rawhttp.send(probes.host, probes.port, rawhttp.request("GET", path))).status == 200
            # The probe listener serves the probes and nothing else.
            other = await rawhttp.send(probes.host, probes.port, rawhttp.request("GET", "/api/v1/checks"))
            assert other.status == 404
            metrics = await rawhttp.send(probes.host, probes.port, rawhttp.request("GET", "/metrics"))
            assert metrics.status == 404
        finally:
            for writer in held:
                writer.close()

    async def test_refusals_and_open_connections_are_in_the_metrics(self, serve):
        server = await serve(Settings(max_connections=1))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            refused = await rawhttp.send(server.host, server.port, rawhttp.request("GET", "/metrics"))
            assert refused.status == 503
            writer.write(rawhttp.request("GET", "/metrics"))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
            )
            text = (await reader.readexactly(length)).decode()
        finally:
            writer.close()
        assert "analyzer_connections_refused_total 1.0" in text
        assert "analyzer_open_connections 1.0" in text

    async def test_a_new_connection_that_sends_nothing_is_cut_off_with_408(self, serve):
        server = await serve(Settings(header_timeout_s=0.2, keepalive_timeout_s=600))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            async with asyncio.timeout(HANG_GUARD_S):
                raw = await reader.read()  # until the server closes
        finally:
            writer.close()
        assert rawhttp.parse(raw).status == 408

    async def test_headers_that_trickle_in_after_a_kept_alive_answer_are_cut_off_with_408(self, serve):
        server = await serve(Settings(header_timeout_s=0.2, keepalive_timeout_s=600))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(rawhttp.request("POST", "/api/v1/checks/no-such-check/run", body=b'{"a": 1}'))
            await writer.drain()
            head = rawhttp.parse(await reader.readuntil(b"\r\n\r\n"))
            assert head.status == 404 and head.headers.get("connection") != "close"
            await reader.readexactly(int(head.headers["content-length"]))
            writer.write(b"GET /healthz HTTP/1.1\r\n")
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                raw = await reader.read()
        finally:
            writer.close()
        assert b"408 Request Timeout" in raw and b"header_timeout" in raw

    async def test_headers_that_trickle_in_are_cut_off_with_408(self, serve):
        server = await serve(Settings(header_timeout_s=0.2, keepalive_timeout_s=600))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                raw = await reader.read()  # until the server closes
        finally:
            writer.close()
        answer = rawhttp.parse(raw)
        assert (answer.status, answer.json()["error"]) == (408, "header_timeout")

    async def test_a_stalled_body_gets_408_and_its_connection_closed(self, serve):
        # aiohttp lingers after an answer to read the rest of a body: here for longer than the hang guard, so that a
        # connection left lingering shows as a hang.
        server = await serve(Settings(body_read_timeout_s=0.2, keepalive_timeout_s=600), lingering_time=3600)
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            head = rawhttp.request("POST", "/api/v1/checks/always/run", content_length=100)
            writer.write(head + b'{"a')
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                raw = await reader.read()  # until the server closes
        finally:
            writer.close()
        answer = rawhttp.parse(raw)
        assert (answer.status, answer.json()["error"]) == (408, "body_timeout")

    async def test_a_body_a_get_never_reads_is_waited_for_no_longer_than_the_body_timeout(self, serve):
        # Before: aiohttp read what the client trickled after the answer for its own 10 s, whatever
        # ANALYZER_BODY_READ_TIMEOUT_S said. The one bound here that is not only a hang's: just under those 10 s, which
        # aiohttp's timer never cuts short (a loaded machine only delays it), so that it fails without the setting
        # and leaves the 0.2 s with it the most room.
        server = await serve(Settings(body_read_timeout_s=0.2, keepalive_timeout_s=600))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            head = rawhttp.request("GET", "/api/v1/checks", content_length=100)
            writer.write(head + b'{"a')
            await writer.drain()
            async with asyncio.timeout(AIOHTTP_LINGERING_S - 0.5):
                raw = await reader.read()  # the answer, then until the server closes
        finally:
            writer.close()
        assert rawhttp.parse(raw).status == 200

    async def test_a_client_that_leaves_its_answer_unread_is_cut_off(self, serve):
        # Before: held for ever, with its place under the connection cap and the answer's bytes (a large catalog's
        # OpenAPI document is tens of MB).
        settings = Settings(send_timeout_s=0.2, keepalive_timeout_s=600)
        app = create_app(settings, gate_catalog(CHECK), REGISTRY)
        # More than the sockets' buffers on both sides hold: the server's send buffer fills.
        app.router.add_get("/large", answering(b"x" * (64 * 1024 * 1024)))
        server = await serve(settings, app=app)
        metrics = server.app[METRICS].registry
        _, writer = await small_buffer_connection(server.host, server.port)
        try:
            writer.write(rawhttp.request("GET", "/large"))
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                while metrics.get_sample_value("analyzer_requests_rejected_total", {"reason": "send_timeout"}) is None:
                    await asyncio.sleep(0.05)
                while metrics.get_sample_value("analyzer_open_connections") != 0:
                    await asyncio.sleep(0.05)
        finally:
            writer.close()

    async def test_a_client_that_stops_reading_half_way_is_cut_off(self, serve):
        # Progress made once does not buy the connection for ever: each period asks for more.
        settings = Settings(send_timeout_s=0.2, keepalive_timeout_s=600)
        app = create_app(settings, gate_catalog(CHECK), REGISTRY)
        app.router.add_get("/large", answering(b"x" * (64 * 1024 * 1024)))
        server = await serve(settings, app=app)
        metrics = server.app[METRICS].registry
        reader, writer = await small_buffer_connection(server.host, server.port)
        try:
            writer.write(rawhttp.request("GET", "/large"))
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                await reader.readexactly(4 * 1024 * 1024)
                while metrics.get_sample_value("analyzer_requests_rejected_total", {"reason": "send_timeout"}) is None:
                    await asyncio.sleep(0.05)
        finally:
            writer.close()

    async def test_a_client_that_reads_its_answer_slowly_but_on_gets_it_whole(self, serve):
        # The timeout bounds each stall, not the whole answer: this one takes longer than the timeout to read.
        settings = Settings(send_timeout_s=1.0, keepalive_timeout_s=600)
        app = create_app(settings, gate_catalog(CHECK), REGISTRY)
        body = b"x" * (16 * 1024 * 1024)
        app.router.add_get("/large", answering(body))
        server = await serve(settings, app=app)
        reader, writer = await small_buffer_connection(server.host, server.port)
        try:
            writer.write(rawhttp.request("GET", "/large", headers={"Connection": "close"}))
            await writer.drain()
            received = bytearray()
            async with asyncio.timeout(HANG_GUARD_S * 3):
                while chunk := await reader.read(16 * 1024):
                    received += chunk
                    await asyncio.sleep(0.002)
        finally:
            writer.close()
        assert received.endswith(body) and rawhttp.parse(bytes(received)).status == 200

    async def test_a_post_turned_away_while_draining_is_closed_before_its_body_came(self, serve):
        server = await serve(Settings(keepalive_timeout_s=600), lingering_time=3600)  # lingering as above
        server.app[LIVE].draining = True
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            head = rawhttp.request("POST", "/api/v1/checks/always/run", content_length=100)
            writer.write(head + b'{"a')
            await writer.drain()
            async with asyncio.timeout(HANG_GUARD_S):
                raw = await reader.read()  # until the server closes
        finally:
            writer.close()
        answer = rawhttp.parse(raw)
        assert (answer.status, answer.json()["error"]) == (503, "shutting_down")


@pytest.fixture
def json_logs():
    """Production logging (JSON, sampling at 5 lines per kind) into a buffer; a function that returns
    the lines logged since it was last called."""
    stream = io.StringIO()
    configure_logging("json", "info", sampler=EventSampler(burst=5, window_s=3600), stream=stream)

    def lines() -> list[str]:
        text = stream.getvalue()
        stream.seek(0)
        stream.truncate()
        return [line for line in text.splitlines() if line]

    yield lines
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "analyzer-structlog"]:
        root.removeHandler(handler)


class TestLogs:
    """Every line is JSON, client bytes are bounded, and floods of client errors are sampled."""

    async def test_malformed_http_logs_one_json_line_without_a_traceback(self, serve, json_logs):
        server = await serve(Settings())
        json_logs()
        answer = await rawhttp.send(server.host, server.port, b"\x16\x03\x01GET /\x1b[31m HTTP/1.1\r\n\r\n")
        assert answer.status == 400
        lines = json_logs()
        events = [json.loads(line) for line in lines]  # every line is JSON
        assert [e["event"] for e in events] == ["bad_http_request"]
        assert "Traceback" not in lines[0] and "\x1b" not in lines[0]

    @pytest.mark.parametrize(
        ("head", "shown"),
        [
            # A control character in a credential header's value: the header is named, its value is not.
            (b"GET / HTTP/1.1\r\nAuthorization: Bearer tok-5e2b9a7c1d\x01\r\n\r\n", "Authorization: <redacted>"),
            (b"GET / HTTP/1.1\r\nCookie: session=tok-5e2b9a7c1d\x7f\r\n\r\n", "Cookie: <redacted>"),
            (b"GET / HTTP/1.1\r\nX-Thing: Bearer tok-5e2b9a7c1d\x00\r\n\r\n", "X-Thing: <redacted>"),
            (b"GET / HTTP/1.1\r\nAuthorization : Bearer tok-5e2b9a7c1d\r\n\r\n", "Authorization : <redacted>"),
            # A request line that is refused quotes its path, never its query (a secret arg of a check).
            (b"GET /api/v1/checks/c/run?token=tok-5e2b9a7c1d\x01 HTTP/1.1\r\n\r\n", "/api/v1/checks/c/run?<redacted>"),
            (b"GET /api/v1/checks/c/run?token=tok-5e2b9a7c1d HTTP/9.9\r\n\r\n", "/api/v1/checks/c/run?<redacted>"),
            (b"G\x01T /x?token=tok-5e2b9a7c1d HTTP/1.1\r\n\r\n", "/x?<redacted>"),
            # The line folded onto a header may be the rest of its value.
            (b"GET / HTTP/1.1\r\nAuthorization: Bearer\r\n tok-5e2b9a7c1d\r\n\r\n", "<redacted>"),
        ],
    )
    async def test_a_malformed_request_is_logged_without_its_credentials(self, serve, json_logs, head, shown):
        server = await serve(Settings())
        json_logs()
        answer = await rawhttp.send(server.host, server.port, head)
        assert answer.status == 400
        (event,) = [json.loads(line) for line in json_logs()]
        assert event["event"] == "bad_http_request"
        assert "5e2b9a7c1d" not in json.dumps(event)
        assert shown in event["detail"]

    async def test_a_flood_of_401s_logs_a_bounded_number_of_lines_and_counts_the_rest(self, serve, json_logs, tmp_path):
        (tmp_path / "tokens").write_text("t" * 40 + "\n")
        settings = Settings(auth_tokens=tmp_path / "tokens")
        server = await serve(settings)
        json_logs()
        flood = 60
        for _ in range(flood):
            answer = await rawhttp.send(server.host, server.port, rawhttp.request("GET", "/api/v1/checks"))
            assert answer.status == 401
        report_dropped()
        events = [json.loads(line) for line in json_logs()]
        logged = [e for e in events if e["event"] == "auth_failed"]
        (dropped,) = [e for e in events if e["event"] == "log_events_dropped"]
        assert len(logged) == 5
        assert dropped["kind"] == "auth_failed" and dropped["dropped"] == flood - len(logged)

    async def test_stdlib_loggers_are_json_too(self, json_logs):
        json_logs()
        logging.getLogger("asyncio").error("Task exception was never retrieved: %s", "x\n\x1b[2J" + "y" * 5000)
        (line,) = json_logs()
        event = json.loads(line)
        assert event["logger"] == "asyncio" and event["level"] == "error"
        assert "\x1b" not in event["event"] and len(event["event"]) < 1000


@contextlib.asynccontextmanager
async def served_as_analyzer_serves(app: web.Application, settings: Settings) -> AsyncIterator[tuple[str, int]]:
    """`app` served on 127.0.0.1 by the runner exactly as `analyzer serve` makes it (aiohttp's TestServer would
    turn handler_cancellation on by itself): its host and port."""
    runner = make_runner(app, settings, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield host, port
    finally:
        await runner.cleanup()


class TestHangingUp:
    """A client that hangs up ends its evaluation when no one else waits for it: Prometheus sees its query closed."""

    async def test_the_query_of_a_caller_gone_is_closed(self):
        async with holding_prometheus() as held:
            # The check's deadline and the source's timeout are far off: only the hang-up can close the query early.
            check = {"name": "slow-prometheus", "kind": "prometheus", "query": "up", "pass_if": "< 1", "deadline_s": 60}
            catalog = gate_catalog(check, sources={"default": {"url": held.url, "timeout_s": 60}})
            # The fake holds every request: the probe of the source would be the query it sees first.
            settings = Settings(probe_sources=False)
            async with served_as_analyzer_serves(create_app(settings, catalog, REGISTRY), settings) as (host, port):
                _, writer = await asyncio.open_connection(host, port)
                writer.write(rawhttp.request("GET", "/api/v1/checks/slow-prometheus/run"))
                async with asyncio.timeout(HANG_GUARD_S):
                    await held.entered.wait()
                    writer.close()
                    await held.closed.wait()

    async def test_a_caller_that_joined_one_gone_is_answered_within_the_deadline_it_joined(self, gate):
        # An idle server evaluates in the first caller's task: its hang-up has the evaluation run again for those
        # that joined it, by the deadline they were promised (Argo's web provider gives up at 10 s, the deadline is 8).
        catalog = gate_catalog({"name": "held", "kind": "gate", "gate": "g"})
        settings = Settings(probe_sources=False)
        app = create_app(settings, catalog, REGISTRY)
        async with served_as_analyzer_serves(app, settings) as (host, port):
            run = rawhttp.request("GET", "/api/v1/checks/held/run")
            async with asyncio.timeout(HANG_GUARD_S):
                _, first = await asyncio.open_connection(host, port)
                first.write(run)
                await gate.wait_entered(1)
                joined = asyncio.create_task(rawhttp.send(host, port, run))
                # No event says a request joined: the counter of joins does, within a few turns of the loop.
                while app[METRICS].coalesced.value("held") < 1:
                    await asyncio.sleep(0)
                first.close()
                await gate.wait_entered(2)
                assert gate.deadlines[1] == gate.deadlines[0]
                gate.open()
                answer = await joined
            assert answer.status == 200 and answer.json()["verdict"] == "pass"
            runner_of_catalog = app[LIVE].current.runner
            assert runner_of_catalog._in_flight == {} and runner_of_catalog._restarted == {}
            assert runner_of_catalog.admission.running == 0

    async def test_the_query_run_again_for_callers_that_joined_is_closed_when_the_last_hangs_up(self):
        # Each query that reaches this Prometheus: an event set once its client closes the connection.
        arrivals: asyncio.Queue[asyncio.Event] = asyncio.Queue()

        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            closed = asyncio.Event()
            arrivals.put_nowait(closed)
            if await reader.read() == b"":
                closed.set()
            writer.close()

        prometheus = await asyncio.start_server(hold, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{prometheus.sockets[0].getsockname()[1]}"
        check = {"name": "held", "kind": "prometheus", "query": "up", "pass_if": "< 1", "deadline_s": 60}
        catalog = gate_catalog(check, sources={"default": {"url": url, "timeout_s": 60}})
        settings = Settings(probe_sources=False)
        app = create_app(settings, catalog, REGISTRY)
        try:
            async with served_as_analyzer_serves(app, settings) as (host, port):
                run = rawhttp.request("GET", "/api/v1/checks/held/run")
                async with asyncio.timeout(HANG_GUARD_S):
                    _, first = await asyncio.open_connection(host, port)
                    first.write(run)
                    first_query = await arrivals.get()
                    _, joined = await asyncio.open_connection(host, port)
                    joined.write(run)
                    # No event says a request joined: the counter of joins does, within a few turns of the loop.
                    while app[METRICS].coalesced.value("held") < 1:
                        await asyncio.sleep(0)
                    first.close()
                    await first_query.wait()
                    query_run_again = await arrivals.get()
                    joined.close()
                    await query_run_again.wait()
                    await app[LIVE].drain()
                evaluations = app[LIVE].current.runner
                assert evaluations._in_flight == {} and evaluations._callers == {} and evaluations._restarted == {}
                assert evaluations._unwinding == set() and evaluations.admission.running == 0
                assert app[METRICS].evaluations_running == 0 and arrivals.empty()
        finally:
            prometheus.close()
            await prometheus.wait_closed()


class TestCutBodies:
    """A request body cut short (its compressed stream, its framing, its JSON) is a clear 400 or 408, never read as
    whole: a check whose params all have defaults would run with them, silently, on a body read as empty."""

    ARGS = b'{"canary_hash": "c0ffee1"}'
    RUN = "/api/v1/checks/defaults/run"

    @pytest.fixture
    async def server(self, serve):
        GATES["cut-bodies"] = gate = Gate()
        gate.open()
        check = {
            "name": "defaults",
            "kind": "gate",
            "gate": "cut-bodies",
            "params": {"canary_hash": {"type": "label_value", "default": "stable"}},
        }
        settings = Settings(probe_sources=False, body_read_timeout_s=0.5)
        yield await serve(settings, create_app(settings, gate_catalog(check), REGISTRY))
        del GATES["cut-bodies"]

    async def post(self, server, body: bytes, encoding: str | None = None) -> rawhttp.RawResponse:
        headers = {"Content-Type": "application/json", **({"Content-Encoding": encoding} if encoding else {})}
        head = rawhttp.request("POST", self.RUN, headers, content_length=len(body))
        return await rawhttp.send("127.0.0.1", server.port, head, (body,), limit_s=HANG_GUARD_S)

    @staticmethod
    def evaluations() -> int:
        """How many evaluations of the check ran (each comes to its gate)."""
        return GATES["cut-bodies"].entered

    @pytest.mark.parametrize(
        ("encoding", "body"),
        [
            ("gzip", gzip.compress(ARGS)),
            ("GZIP", gzip.compress(ARGS)),
            ("x-gzip", gzip.compress(ARGS)),
            # RFC 1952: members one after another are one body.
            ("gzip", gzip.compress(ARGS[:10]) + gzip.compress(ARGS[10:])),
            ("deflate", zlib.compress(ARGS)),
            # Raw deflate, without zlib's wrapper: what some clients send as deflate.
            ("deflate", zlib.compress(ARGS, wbits=-zlib.MAX_WBITS)),
            # Raw deflate whose first two bytes (0x5350) are a multiple of 31, as a zlib header's are: its first
            # nibble (3, not zlib's method 8) tells it is none.
            ("deflate", zlib.compress(b"  " + ARGS, wbits=-zlib.MAX_WBITS)),
            ("identity", ARGS),
            # Zero bytes after a member, as a block-sized writer pads it: Python's gzip module and GNU gzip skip
            # them. Before: 400 "bytes after the end marker".
            ("gzip", gzip.compress(ARGS) + bytes(512)),
            ("gzip", gzip.compress(ARGS[:10]) + bytes(3) + gzip.compress(ARGS[10:]) + bytes(1)),
        ],
    )
    async def test_a_whole_body_is_read_in_each_encoding(self, server, encoding, body):
        answer = await self.post(server, body, encoding)
        assert (answer.status, answer.json()["args"]) == (200, {"canary_hash": "c0ffee1"}), answer.body

    @pytest.mark.parametrize(
        ("encoding", "body"),
        [
            # Before: 200, run with the default canary_hash "stable", the body read as empty.
            ("gzip", gzip.compress(ARGS)[:10]),
            # Before: 400 "not valid JSON", which named no cut.
            ("gzip", gzip.compress(ARGS)[:20]),
            # Before: 200, its checksum and length never checked.
            ("gzip", gzip.compress(ARGS)[:-8]),
            ("gzip", gzip.compress(ARGS)[:-1]),
            ("gzip", gzip.compress(ARGS[:10]) + gzip.compress(ARGS[10:])[:12]),
            # Before: 400 "malformed HTTP request (ContentEncodingError)".
            ("deflate", zlib.compress(ARGS)[:-2]),
            ("deflate", zlib.compress(ARGS)[:2]),
            # The first byte of a second member's magic: a member cut at its start.
            ("gzip", gzip.compress(ARGS) + b"\x1f"),
            ("gzip", gzip.compress(ARGS) + bytes(8) + b"\x1f\x8b"),
        ],
        ids=[
            "gzip-header-only",
            "gzip-mid-stream",
            "gzip-no-trailer",
            "gzip-trailer-cut",
            "gzip-second-member",
            "deflate-no-checksum",
            "deflate-header-only",
            "gzip-second-member-magic-only",
            "gzip-padding-then-magic-only",
        ],
    )
    async def test_a_compressed_body_cut_short_is_a_400_naming_the_cut(self, server, encoding, body):
        answer = await self.post(server, body, encoding)
        assert (answer.status, answer.json()) == (
            400,
            {
                "error": "bad_arg",
                "message": f"the request body was cut short: its {encoding} stream ends before its end marker; send "
                "it whole",
            },
        )
        assert self.evaluations() == 0

    @pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
    async def test_an_empty_body_is_empty_whatever_its_content_encoding(self, server, encoding):
        # Before: 400 "its gzip stream is empty" for gzip and deflate. No body has no stream to cut: its framing
        # (Content-Length: 0) says it is whole, and aiohttp's own decoder, httpx and urllib3 read it as empty.
        answer = await self.post(server, b"", encoding)
        assert (answer.status, answer.json()["args"]) == (200, {"canary_hash": "stable"}), answer.body

    @pytest.mark.parametrize(
        ("encoding", "body", "message"),
        [
            # Before: 400 for these bytes (zlib kept them unread, aiohttp found them), 200 for the first byte of
            # a gzip member's magic.
            ("gzip", gzip.compress(ARGS) + b"xx", "the request body has bytes after the end marker of its gzip stream"),
            # Zero padding is skipped, but only a member's magic or the end may follow it.
            (
                "gzip",
                gzip.compress(ARGS) + bytes(4) + b"xx",
                "the request body has bytes after the end marker of its gzip stream",
            ),
            # deflate is no file format: no writer pads it, and zlib's own tools refuse what follows its end.
            (
                "deflate",
                zlib.compress(ARGS) + bytes(4),
                "the request body has bytes after the end marker of its deflate stream",
            ),
            (
                "deflate",
                zlib.compress(ARGS) + b"x",
                "the request body has bytes after the end marker of its deflate stream",
            ),
            # deflate has no members: a gzip one after it is bytes after its end, as any.
            (
                "deflate",
                zlib.compress(ARGS) + gzip.compress(ARGS),
                "the request body has bytes after the end marker of its deflate stream",
            ),
            (
                "gzip",
                ARGS,
                "the request body does not decode as its Content-Encoding 'gzip'; send a flat JSON object of args",
            ),
            # Before: read as if it had no Content-Encoding (a 200 here), or "malformed HTTP request" for br.
            (
                "compress",
                ARGS,
                "the request body's Content-Encoding 'compress' is not decoded: send it as gzip, "
                "deflate, or without one",
            ),
            (
                "br",
                ARGS,
                "the request body's Content-Encoding 'br' is not decoded: send it as gzip, deflate, or without one",
            ),
            (
                "gzip, gzip",
                gzip.compress(gzip.compress(ARGS)),
                "the request body's Content-Encoding 'gzip, gzip' is "
                "not decoded: send it as gzip, deflate, or without one",
            ),
        ],
        ids=[
            "gzip-then-bytes",
            "gzip-padding-then-bytes",
            "deflate-then-zeros",
            "deflate-then-bytes",
            "deflate-then-gzip",
            "gzip-not-gzip",
            "compress",
            "br",
            "gzip-twice",
        ],
    )
    async def test_a_body_its_encoding_does_not_decode_whole_is_a_400(self, server, encoding, body, message):
        answer = await self.post(server, body, encoding)
        assert (answer.status, answer.json()) == (400, {"error": "bad_arg", "message": message})
        assert self.evaluations() == 0

    async def test_a_compressed_body_past_the_cap_once_decoded_is_a_413(self, server):
        answer = await self.post(server, gzip.compress(b" " * (64 * 1024) + self.ARGS), "gzip")
        assert (answer.status, answer.json()["error"]) == (413, "body_too_large")

    @pytest.mark.parametrize("kept", [20, -1], ids=["mid-string", "before-the-brace"])
    async def test_json_cut_short_is_a_400_naming_the_cut(self, server, kept):
        # Its Content-Length cut with it: nothing but the JSON tells.
        answer = await self.post(server, self.ARGS[:kept])
        assert (answer.status, answer.json()["message"]) == (
            400,
            "the request body ends before its JSON does: the body was cut short, or the JSON is; send a flat JSON "
            "object of args whole",
        )

    @pytest.mark.parametrize(
        ("digits", "message"),
        [
            # The most digits Python reads as an int (sys.get_int_max_str_digits): its param refuses it.
            (4300, "arg 'canary_hash' is longer than 256 characters"),
            # Was "the request body is not valid JSON": it is, with a number of more digits than Python reads.
            (4301, "the request body holds a number of 4301 digits, longer than any arg takes"),
        ],
    )
    async def test_a_number_of_thousands_of_digits_is_refused_by_its_param(self, server, digits, message):
        answer = await self.post(server, b'{"canary_hash": ' + b"7" * digits + b"}")
        assert (answer.status, answer.json()["message"]) == (400, message)
        assert self.evaluations() == 0

    async def test_a_get_with_a_chunked_body_of_no_bytes_is_served_whatever_its_encoding(self, server):
        # What a proxy may make of a GET without a body: never decoded (an empty gzip stream is no gzip stream).
        head = rawhttp.request(
            "GET", self.RUN + "?canary_hash=c0ffee1", {"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"}
        )
        answer = await rawhttp.send("127.0.0.1", server.port, head, (b"0\r\n\r\n",), limit_s=HANG_GUARD_S)
        assert (answer.status, answer.json()["args"]) == (200, {"canary_hash": "c0ffee1"}), answer.body

    async def test_a_get_with_a_compressed_body_is_refused_as_a_get_with_a_body(self, server):
        head = rawhttp.request("GET", self.RUN, {"Content-Encoding": "gzip"}, gzip.compress(self.ARGS))
        answer = await rawhttp.send("127.0.0.1", server.port, head, limit_s=HANG_GUARD_S)
        assert (answer.status, answer.json()["message"]) == (
            400,
            "a GET's body is not read, and this one has a body: give the args in the query string, or send the body "
            "with POST",
        )

    async def test_a_body_shorter_than_its_content_length_is_a_408_once_its_time_is_up(self, server):
        # The client waits: the rest may still come, until the body's time is up.
        head = rawhttp.request("POST", self.RUN, {"Content-Type": "application/json"}, content_length=len(self.ARGS))
        answer = await rawhttp.send("127.0.0.1", server.port, head, (self.ARGS[:10],), limit_s=HANG_GUARD_S)
        assert (answer.status, answer.json()["error"]) == (408, "body_timeout")
        assert self.evaluations() == 0

    async def test_a_body_shorter_than_its_content_length_then_a_half_close_runs_nothing(self, server):
        # The client says it sent all (a half-close): aiohttp closes the connection without an answer; nothing runs.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = rawhttp.request("POST", self.RUN, {"Content-Type": "application/json"}, content_length=len(self.ARGS))
        writer.write(head + self.ARGS[:10])
        writer.write_eof()
        async with asyncio.timeout(HANG_GUARD_S):
            assert await reader.read() == b""
        writer.close()
        assert self.evaluations() == 0


class ExitingCheck(Check):
    """A third-party kind whose library exits as a CLI parser does on input it refuses (argparse's error())."""

    kind: Literal["exiting"] = "exiting"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        raise SystemExit(2)


class ExitingAsAskedCheck(Check):
    """A third-party kind that exits when asked what it measures: plugin code the runner does not run."""

    kind: Literal["exits-asked"] = "exits-asked"

    def measures_the_past(self) -> bool:
        raise SystemExit(2)

    def bind_args(self, raw_args):
        if "exit" in raw_args:
            raise SystemExit(2)
        return super().bind_args(raw_args)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        raise AssertionError("not evaluated: its page asks measures_the_past() first")


class TestAKindThatExits:
    """A kind raising SystemExit is an internal error of its check; the server serves on."""

    async def test_its_check_answers_500_and_the_server_serves_on(self):
        registry = Registry([*BUILTIN_KINDS, GateCheck, GroupCheck, ExitingCheck])
        catalog = build_catalog([("test", {"checks": [{"name": "exits", "kind": "exiting"}]})], registry)
        settings = Settings(probe_sources=False)
        app = create_app(settings, catalog, registry)
        async with served_as_analyzer_serves(app, settings) as (host, port):
            async with asyncio.timeout(HANG_GUARD_S):
                # Before: SystemExit went out of the event loop, and `analyzer serve` stopped without an answer.
                answer = await rawhttp.send(host, port, rawhttp.request("GET", "/api/v1/checks/exits/run"))
                health = await rawhttp.send(host, port, rawhttp.request("GET", "/healthz"))
        assert (answer.status, answer.json()["verdict"], answer.json()["error"]) == (500, "error", "internal_error")
        assert answer.json()["reason"] == "internal error in check 'exits': SystemExit: 2"
        assert health.status == 200
        [entry] = app[HISTORY].query(limit=5)
        assert (entry.check, entry.verdict) == ("exits", "error")

    @pytest.mark.parametrize(
        "path",
        ["/ui/checks/asked/run?at=2026-12-01T10:00:00Z", "/api/v1/checks/asked/run?exit=1"],
        ids=["page", "run"],
    )
    async def test_its_code_outside_the_runner_answers_500_and_the_server_serves_on(self, path):
        registry = Registry([*BUILTIN_KINDS, GateCheck, GroupCheck, ExitingAsAskedCheck])
        catalog = build_catalog([("test", {"checks": [{"name": "asked", "kind": "exits-asked"}]})], registry)
        settings = Settings(probe_sources=False)
        app = create_app(settings, catalog, registry)
        async with served_as_analyzer_serves(app, settings) as (host, port):
            async with asyncio.timeout(HANG_GUARD_S):
                # Before: SystemExit went through the middleware (Exceptions only) out of the event loop.
                answer = await rawhttp.send(host, port, rawhttp.request("GET", path))
                health = await rawhttp.send(host, port, rawhttp.request("GET", "/healthz"))
        assert answer.status == 500
        assert health.status == 200
