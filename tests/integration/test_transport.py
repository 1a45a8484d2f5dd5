"""The Prometheus source's HTTP exchange over aiohttp's client, against real servers on 127.0.0.1: framing,
encodings, kept-alive connections, failures and re-sends, timeouts and TLS."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import os
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web

from analyzer.errors import SourceRejected, SourceTimeout, SourceUnavailable
from analyzer.sources.prometheus import PrometheusSource, PrometheusSourceConfig, QueryResult
from tests.fakes import holding_prometheus
from tests.heldclock import HeldClockLoop, on_a_held_clock
from tests.ports import refused_port

BODY = json.dumps(
    {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]}}
).encode()
NOW = datetime(2026, 11, 26, 11, tzinfo=UTC)


@dataclass
class Seen:
    """What a test server saw."""

    url: str = ""
    requests: int = 0
    connections: set[Any] = field(default_factory=set)


@asynccontextmanager
async def serving(
    handler: Callable[[web.Request, Seen], Any], ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[Seen]:
    """An aiohttp server on 127.0.0.1 answering every path with `handler`."""
    seen = Seen()

    async def counted(request: web.Request) -> web.StreamResponse:
        seen.requests += 1
        seen.connections.add(request.transport)
        return await handler(request, seen)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", counted)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    scheme = "https" if ssl_context else "http"
    seen.url = f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield seen
    finally:
        await runner.cleanup()


@asynccontextmanager
async def raw_server(handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]) -> AsyncIterator[str]:
    """A bare asyncio server on 127.0.0.1, for answers aiohttp would not send; yields its URL."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def half_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Announces 100 bytes of answer, sends 10 and hangs up."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
    await writer.drain()
    writer.close()


async def ok(request: web.Request, seen: Seen) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def answer(body: bytes = BODY, status: bytes = b"200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


@asynccontextmanager
async def source(url: str, **config: Any) -> AsyncIterator[PrometheusSource]:
    prometheus = PrometheusSource("default", PrometheusSourceConfig(url=url, **config))
    try:
        yield prometheus
    finally:
        await prometheus.aclose()


async def query(prometheus: PrometheusSource, timeout_s: float = 5.0) -> QueryResult:
    return await prometheus.query("up", NOW, timeout_s)


class TestExchange:
    """Answers come back whole, however the server frames or encodes them."""

    async def test_query_string_is_sent_as_written(self):
        captured = {}
        promql = 'sum(rate(x{a=~"b|c+"}[5m])) + 1 / 2 & # ?'

        async def capture(request, seen):
            captured.update(path=request.path, query=dict(request.query))
            return await ok(request, seen)

        async with serving(capture) as server, source(server.url) as prometheus:
            await prometheus.query(promql, NOW, 5)
        assert captured == {
            "path": "/api/v1/query",
            "query": {"query": promql, "time": f"{NOW.timestamp():.3f}", "timeout": "5000ms"},
        }

    async def test_chunked_body(self):
        async def chunked(request, seen):
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for part in (BODY[:10], BODY[10:]):
                await response.write(part)
            await response.write_eof()
            return response

        async with serving(chunked) as server, source(server.url) as prometheus:
            assert (await query(prometheus)).series[0].samples == [(1.0, 0.5)]

    async def test_gzip_body_is_decoded(self):
        async def gzipped(request, seen):
            assert request.headers["Accept-Encoding"] == "gzip"
            return web.Response(body=gzip.compress(BODY), headers={"Content-Encoding": "gzip"})

        async with serving(gzipped) as server, source(server.url, compress_responses=True) as prometheus:
            assert (await query(prometheus)).series[0].samples == [(1.0, 0.5)]

    async def test_gzip_body_of_several_members_is_decoded_whole(self):
        # gzip allows concatenated members (some proxies write one per flush); the body is all of them.
        async def members(request, seen):
            return web.Response(
                body=gzip.compress(BODY[:7]) + gzip.compress(BODY[7:]), headers={"Content-Encoding": "gzip"}
            )

        async with serving(members) as server, source(server.url, compress_responses=True) as prometheus:
            assert (await query(prometheus)).series[0].samples == [(1.0, 0.5)]

    async def test_empty_gzip_body_of_a_503_is_retried(self):
        # A proxy's 503 may say gzip and send nothing: still a 503, which is retried, not a decoding error.
        async def unavailable(request, seen):
            if seen.requests == 1:
                return web.Response(status=503, body=b"", headers={"Content-Encoding": "gzip"})
            return await ok(request, seen)

        async with serving(unavailable) as server, source(server.url) as prometheus:
            assert (await query(prometheus)).series
        assert server.requests == 2

    @pytest.mark.parametrize(
        "encoding, body, expected",
        [("br", b"\x0b\x02\x80", SourceRejected), ("gzip", b"not gzip at all", SourceUnavailable)],
    )
    async def test_body_that_cannot_be_decoded_is_an_error(self, encoding, body, expected):
        async def encoded(request, seen):
            return web.Response(body=body, headers={"Content-Encoding": encoding})

        async with serving(encoded) as server, source(server.url) as prometheus:
            with pytest.raises(expected, match="could not be read"):
                await query(prometheus)


class TestAnswerSize:
    """An answer over max_answer_bytes is refused, however it is framed or encoded, before it is read whole."""

    cap_bytes = 1024

    @staticmethod
    def padded(size: int) -> bytes:
        return BODY + b" " * (size - len(BODY))

    async def framed(self, framing: str, body: bytes, **config: Any) -> QueryResult:
        async def handler(request, seen):
            if framing == "gzip":
                return web.Response(body=gzip.compress(body), headers={"Content-Encoding": "gzip"})
            response = web.StreamResponse()
            if framing == "chunked":
                response.enable_chunked_encoding()
            else:
                response.content_length = len(body)
            await response.prepare(request)
            for start in range(0, len(body), 512):
                await response.write(body[start : start + 512])
            await response.write_eof()
            return response

        settings = {"max_answer_bytes": self.cap_bytes, "compress_responses": framing == "gzip", **config}
        async with serving(handler) as server, source(server.url, **settings) as prometheus:
            return await query(prometheus)

    @pytest.mark.parametrize("framing", ["length", "chunked", "gzip"])
    async def test_over_the_cap_is_rejected(self, framing):
        # gzip: a few hundred bytes on the wire that decode past the cap.
        with pytest.raises(SourceRejected, match="over the source's max_answer_bytes \\(1024\\)"):
            await self.framed(framing, self.padded(100 * self.cap_bytes))

    @pytest.mark.parametrize("framing", ["length", "chunked", "gzip"])
    async def test_at_the_cap_is_read(self, framing):
        assert (await self.framed(framing, self.padded(self.cap_bytes))).series[0].samples == [(1.0, 0.5)]

    async def test_an_error_answer_over_the_cap_is_rejected_too(self):
        async def huge_error(request, seen):
            return web.Response(status=400, body=b'{"status":"error","error":"' + b"x" * 5000 + b'"}')

        async with serving(huge_error) as server, source(server.url, max_answer_bytes=1024) as prometheus:
            with pytest.raises(SourceRejected, match="max_answer_bytes"):
                await query(prometheus)


class TestConnections:
    """One connection serves many queries; a connection the server dropped is replaced once, silently."""

    async def test_connection_is_kept_alive(self):
        async with serving(ok) as server, source(server.url) as prometheus:
            for _ in range(5):
                await query(prometheus)
        assert server.requests == 5
        assert len(server.connections) == 1

    async def test_connection_close_is_honoured(self):
        async def closing(request, seen):
            return web.Response(body=BODY, headers={"Connection": "close"})

        async with serving(closing) as server, source(server.url) as prometheus:
            for _ in range(3):
                await query(prometheus)
        assert len(server.connections) == 3

    async def test_idle_connection_closed_by_the_server_is_replaced(self):
        # A server that closes each connection after answering without saying so, like an idle timeout.
        connections = 0

        async def one_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer())
            await writer.drain()
            writer.close()

        async with raw_server(one_answer) as url, source(url, retry=False) as prometheus:
            first = await query(prometheus)
            second = await query(prometheus)
        assert first.series == second.series
        assert connections == 2

    async def test_interim_answer_is_skipped(self):
        # A 1xx (103 Early Hints from a proxy) precedes the final answer on the same connection: the query
        # gets the final answer, and the next query its own.
        bodies = [
            json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [1, str(n)]}}).encode()
            for n in (1, 2)
        ]

        async def early_hints(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for body in bodies:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n" + answer(body))
                await writer.drain()

        async with raw_server(early_hints) as url, source(url, retry=False) as prometheus:
            first = await query(prometheus)
            second = await query(prometheus)
        assert [first.series[0].samples, second.series[0].samples] == [[(1.0, 1.0)], [(1.0, 2.0)]]

    async def test_idle_connection_the_server_wrote_to_is_not_misread(self):
        # Some servers answer an idle kept-alive connection with a 408 before closing it: that answer must not
        # become the next query's answer.
        answered = asyncio.Event()
        timed_out = asyncio.Event()

        async def idle_timeout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer())
            await writer.drain()
            if answered.is_set():
                writer.close()
                return
            await answered.wait()
            writer.write(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            timed_out.set()

        async with raw_server(idle_timeout) as url, source(url, retry=False) as prometheus:
            await query(prometheus)
            answered.set()
            await timed_out.wait()
            second = await query(prometheus)
        assert second.series[0].samples == [(1.0, 0.5)]

    async def test_close_releases_idle_connections(self):
        async with serving(ok) as server:
            prometheus = PrometheusSource("default", PrometheusSourceConfig(url=server.url))
            await query(prometheus)
            (transport,) = server.connections
            await prometheus.aclose()
            async with asyncio.timeout(60):  # bounds a hung test only: no event tells the server's side closed
                while not transport.is_closing():
                    await asyncio.sleep(0.01)
            assert transport.is_closing()


class TestFailures:
    """Every failure is one of the analyzer's errors, with the reason; only safe re-sends are made."""

    async def test_refused_connection(self):
        async with source(f"http://127.0.0.1:{refused_port()}") as prometheus:
            with pytest.raises(SourceUnavailable, match=r"\(http://127\.0\.0\.1:\d+\) is unreachable: "):
                await query(prometheus)

    async def test_failed_connection_is_retried_once(self, monkeypatch):
        # A refused connection followed by an accepted one cannot be arranged with a real server.
        attempts = []
        real_connect = aiohttp.TCPConnector._create_connection

        async def flaky(self, req, traces, timeout):
            attempts.append(req.url)
            if len(attempts) == 1:
                raise aiohttp.ClientConnectorError(req.connection_key, ConnectionRefusedError(111, "refused"))
            return await real_connect(self, req, traces, timeout)

        monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", flaky)
        async with serving(ok) as server, source(server.url) as prometheus:
            assert (await query(prometheus)).series
        assert len(attempts) == 2

    async def test_refused_connection_is_retried_once_only(self):
        async with serving(ok) as server:
            port = int(server.url.rsplit(":", 1)[1])
        attempts = 0

        async def count(self, req, traces, timeout):
            nonlocal attempts
            attempts += 1
            raise aiohttp.ClientConnectorError(req.connection_key, ConnectionRefusedError(111, "refused"))

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(aiohttp.TCPConnector, "_create_connection", count)
            async with source(f"http://127.0.0.1:{port}") as prometheus:
                with pytest.raises(SourceUnavailable, match="unreachable"):
                    await query(prometheus)
            async with source(f"http://127.0.0.1:{port}", retry=False) as prometheus:
                with pytest.raises(SourceUnavailable, match="unreachable"):
                    await query(prometheus)
        assert attempts == 3

    async def test_the_retry_has_only_the_time_left(self, monkeypatch):
        # A connection refused after a while (a SYN lost, then a RST): the retry is sent with what is left of
        # the query's time, never a fresh timeout, and says so to Prometheus.
        attempts = []
        real_connect = aiohttp.TCPConnector._create_connection
        seen_timeouts = []

        async def refused_late(self, req, traces, timeout):
            attempts.append(req.url)
            if len(attempts) == 1:
                await asyncio.sleep(1.0)
                raise aiohttp.ClientConnectorError(req.connection_key, ConnectionRefusedError(111, "refused"))
            return await real_connect(self, req, traces, timeout)

        async def record(request, seen):
            seen_timeouts.append(request.query["timeout"])
            return await ok(request, seen)

        monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", refused_late)
        async with serving(record) as server, source(server.url) as prometheus:
            assert (await query(prometheus, timeout_s=3.0)).series
        assert len(attempts) == 2
        assert int(seen_timeouts[0].removesuffix("ms")) <= 2000

    async def test_no_retry_once_the_time_is_up(self, monkeypatch):
        # A connection attempt that fails at the very moment the query's time runs out (it fails as it is
        # cancelled): sent again, the retry would have no time left to be bounded by.
        attempts = 0

        async def refused_at_the_deadline(self, req, traces, timeout):
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    asyncio.current_task().uncancel()
            raise aiohttp.ClientConnectorError(req.connection_key, ConnectionRefusedError(111, "refused"))

        monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", refused_at_the_deadline)
        async with source(f"http://127.0.0.1:{refused_port()}") as prometheus:
            with pytest.raises(SourceUnavailable, match="unreachable"):
                await query(prometheus, timeout_s=0.2)
        assert attempts == 1

    async def test_slow_answer_is_a_timeout_and_not_resent(self):
        release = asyncio.Event()

        async def stalled(request, seen):
            await release.wait()
            return await ok(request, seen)

        async with serving(stalled) as server:
            try:
                async with source(server.url) as prometheus:
                    with pytest.raises(SourceTimeout, match="did not answer in time"):
                        await query(prometheus, timeout_s=0.2)
            finally:
                release.set()
        assert server.requests == 1

    async def test_answer_trickled_slower_than_the_timeout_is_a_timeout(self):
        # Each byte arrives well within the timeout, the whole answer not: the timeout bounds the answer, so
        # a server trickling bytes cannot hold a query for ever.
        length = 200

        async def trickle(request, seen):
            response = web.StreamResponse(headers={"Content-Length": str(length)})
            await response.prepare(request)
            for _ in range(length):
                await response.write(b" ")
                await asyncio.sleep(0.02)
            return response

        async with serving(trickle) as server, source(server.url) as prometheus:
            with pytest.raises(SourceTimeout):
                await query(prometheus, timeout_s=0.5)
        assert server.requests == 1

    def test_a_timeout_of_whole_seconds_is_not_rounded_up(self):
        # aiohttp rounds a timeout of 5 s or more up to the loop clock's next whole second (up to 1 s more): asked
        # just after a whole second, a query of the default 5 s would be held until nearly 6 s. On a clock that
        # moves only when the test moves it, the query must end at 5 s to the millisecond, not later.

        async def held_until_the_deadline(loop: HeldClockLoop) -> None:
            async with holding_prometheus() as held, source(held.url) as prometheus:
                asked = asyncio.create_task(query(prometheus, timeout_s=5.0))
                await held.entered.wait()
                await loop.advance_to(1005.009)
                assert not asked.done()
                await loop.advance_to(1005.01)
                assert asked.done(), "the query outlived its 5 s timeout"
                with pytest.raises(SourceTimeout):
                    await asked
                await held.closed.wait()

        on_a_held_clock(held_until_the_deadline, now=1000.01)

    async def test_connection_dropped_mid_answer(self):
        async with raw_server(half_answer) as url, source(url) as prometheus:
            with pytest.raises(SourceUnavailable, match="could not be read whole"):
                await query(prometheus)

    async def test_kept_alive_connection_reset_mid_answer_is_not_resent(self):
        # The server answered (headers, part of the body) before the reset: it has the request, so this is
        # no stale connection, and sending again is the retry the source's contract does not make.
        requests_seen = 0

        async def reset_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal requests_seen
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                requests_seen += 1
                if requests_seen == 2:
                    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
                    await writer.drain()
                    writer.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    writer.transport.abort()
                    return
                writer.write(answer())
                await writer.drain()

        async with raw_server(reset_second) as url, source(url) as prometheus:
            await query(prometheus)
            with pytest.raises(SourceUnavailable):
                await query(prometheus)
        assert requests_seen == 2


class TestProxyAnswers:
    """What a proxy in front of Prometheus answers instead of it (a rate limit, a login page, a body cut on the way,
    JSON of its own) is an error that says what came, never a result."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            (
                b'{"status": "error", "errorType": "too_many_requests", "error": "tenant rate limit"}',
                "too_many_requests",
            ),
            (b"", "(HTTP 429; it asks to wait 7 s)"),
        ],
    )
    async def test_a_rate_limit_is_unavailable_named_and_not_resent(self, body, shown):
        # Mimir, Cortex and query frontends answer 429 to a tenant over its limits: the query is not at fault
        # (it read `502 source_rejected`, "rejected the query"), and sending it again at once adds to the load.
        async def limited(request, seen):
            return web.Response(status=429, body=body, headers={"Retry-After": "7"})

        async with serving(limited) as server, source(server.url) as prometheus:
            with pytest.raises(SourceUnavailable) as raised:
                await query(prometheus)
        assert type(raised.value) is SourceUnavailable and server.requests == 1
        assert "is refusing queries for now: too many requests" in raised.value.message
        assert shown in raised.value.message

    async def test_an_overload_asking_to_wait_is_unavailable_named_and_not_resent(self):
        # A 503 with Retry-After: the server is there and struggling, and said when to come back.
        async def overloaded(request, seen):
            return web.Response(status=503, text="overloaded", headers={"Retry-After": "30"})

        async with serving(overloaded) as server, source(server.url) as prometheus:
            with pytest.raises(SourceUnavailable) as raised:
                await query(prometheus)
        assert type(raised.value) is SourceUnavailable and server.requests == 1
        assert raised.value.message.endswith("is failing (HTTP 503: overloaded; it asks to wait 30 s)")

    async def test_an_overload_without_retry_after_is_sent_again_once(self):
        async def overloaded(request, seen):
            return web.Response(status=503, text="not ready")

        async with serving(overloaded) as server, source(server.url) as prometheus:
            with pytest.raises(SourceUnavailable, match=r"is failing \(HTTP 503: not ready\)$"):
                await query(prometheus)
        assert server.requests == 2

    async def test_a_login_page_is_quoted(self):
        async def login(request, seen):
            return web.Response(text="<html><title>Sign in to Grafana Cloud</title></html>", content_type="text/html")

        async with serving(login) as server, source(server.url) as prometheus:
            with pytest.raises(SourceRejected) as raised:
                await query(prometheus)
        assert raised.value.message.endswith(
            "answered HTTP 200 with a body that is not a JSON object: "
            "'<html><title>Sign in to Grafana Cloud</title></html>'"
        )

    async def test_a_body_cut_at_a_chunk_boundary_is_named_cut(self):
        # The stream ends properly, so the framing says nothing: only the JSON shows the answer was cut.
        async def cut(request, seen):
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(BODY[:40])
            await response.write_eof()
            return response

        async with serving(cut) as server, source(server.url) as prometheus:
            with pytest.raises(SourceRejected, match=r"a body that is not a JSON object \(cut short\?\): '\{"):
                await query(prometheus)

    @pytest.mark.parametrize(
        ("answer_body", "text"),
        [
            ({"status": "success"}, "unexpected shape: TypeError: its data is missing or null, not an object"),
            ({"status": "success", "data": None}, "its data is missing or null"),
            ({"data": {"resultType": "vector", "result": []}}, "a JSON object that is no Prometheus answer"),
            (
                # Prometheus writes every sample value as a string: `true` read as 1.0 would be judged.
                {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, True]}]}},
                "unexpected shape: TypeError: series {}: its sample value is true, not a string",
            ),
            (
                # Read as an array, a string was one warning per character, each a store that did not answer.
                {"status": "success", "data": {"resultType": "vector", "result": []}, "warnings": "store down"},
                "unexpected shape: TypeError: its warnings are the string 'store down', not an array of strings",
            ),
        ],
    )
    async def test_json_that_is_no_answer_is_named(self, answer_body, text):
        async def odd(request, seen):
            return web.json_response(answer_body)

        async with serving(odd) as server, source(server.url) as prometheus:
            with pytest.raises(SourceRejected) as raised:
                await query(prometheus)
        assert text in raised.value.message
        assert "rejected the query" not in raised.value.message


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


class TestTLS:
    """TLS is verified against the configured CA bundle, by host name, unless verification is turned off."""

    async def test_trusted_by_the_ca_file(self, authority, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            assert (await query(prometheus)).series

    async def test_tls_connection_is_kept_alive(self, authority, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            for _ in range(3):
                await query(prometheus)
        assert server.requests == 3
        assert len(server.connections) == 1

    async def test_untrusted_certificate_is_refused(self, tls_server_context):
        async with serving(ok, tls_server_context) as server, source(server.url) as prometheus:
            with pytest.raises(SourceUnavailable, match="TLS failed: unable to get local issuer certificate"):
                await query(prometheus)
        assert server.requests == 0

    async def test_certificate_for_another_host_is_refused(self, authority, tmp_path):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("prometheus.example").configure_cert(context)
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with serving(ok, context) as server, source(server.url, ca_file=ca_file) as prometheus:
            with pytest.raises(SourceUnavailable, match=r"TLS failed: .*mismatch"):
                await query(prometheus)

    async def test_insecure_skips_verification(self, tls_server_context):
        async with serving(ok, tls_server_context) as server, source(server.url, insecure=True) as prometheus:
            assert (await query(prometheus)).series

    async def test_ca_file_that_is_not_a_bundle(self, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text("not a certificate\n")
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            with pytest.raises(SourceUnavailable, match="is not a usable CA bundle"):
                await query(prometheus)

    async def test_rotated_ca_file_is_read_for_new_connections(self, authority, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        trustme.CA().cert_pem.write_to_path(str(ca_file))
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await query(prometheus)
            authority.cert_pem.write_to_path(str(ca_file))
            assert (await query(prometheus)).series

    async def test_a_ca_file_rewritten_within_one_clock_tick_is_read_for_new_connections(
        self, authority, tls_server_context, tmp_path, monkeypatch
    ):
        # The bundle was read again when its inode, size or times changed: a same-size rewrite in place within one
        # tick of the file system's clock kept the old CA, and every query failed TLS until the next change (the
        # http_smoke client had the same, fixed in edges20). The tick is a fake: a test cannot time a write into one.
        ca_file = tmp_path / "ca.pem"
        old = trustme.CA()
        old.cert_pem.write_to_path(str(ca_file))
        assert len(old.cert_pem.bytes()) == len(authority.cert_pem.bytes())
        first, stat = os.stat(ca_file), os.stat
        monkeypatch.setattr(
            os, "stat", lambda path, *a, **k: first if str(path) == str(ca_file) else stat(path, *a, **k)
        )
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await query(prometheus)
            with ca_file.open("r+b") as rewrite:
                rewrite.write(authority.cert_pem.bytes())
            assert (await query(prometheus)).series

    async def test_ca_file_gone(self, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text("placeholder")
        async with serving(ok, tls_server_context) as server, source(server.url, ca_file=ca_file) as prometheus:
            ca_file.unlink()
            with pytest.raises(SourceUnavailable, match=r"cannot read ca_file .*ca\.pem"):
                await query(prometheus)


async def exceptions_left_in_cycles(
    make_failing: Callable[[], Any], expected: type[Exception] = SourceUnavailable
) -> list[str]:
    """The exceptions the failed queries of `make_failing()` (each `expected`) leave for the cyclic garbage
    collector."""
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            with pytest.raises(expected):
                await make_failing()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return [type(found).__name__ for found in gc.garbage if isinstance(found, BaseException)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


class TestNoReferenceCycles:
    """A failed query's exceptions are freed when it is answered, not left in cycles for the cyclic GC."""

    async def test_refused_connection(self):
        async with source(f"http://127.0.0.1:{refused_port()}") as prometheus:
            assert await exceptions_left_in_cycles(lambda: query(prometheus)) == []

    async def test_connection_dropped_mid_answer(self):
        async with raw_server(half_answer) as url, source(url) as prometheus:
            assert await exceptions_left_in_cycles(lambda: query(prometheus)) == []

    async def test_answer_of_the_wrong_shape(self):
        # Mapped by an `except` clause (the shape errors), not a `with`: the error raised there holds that frame.
        async def wrong_shape(request: web.Request, seen: Seen) -> web.Response:
            data = {"resultType": "vector", "result": [{"metric": {}, "value": "0.5"}]}
            return web.json_response({"status": "success", "data": data})

        async with serving(wrong_shape) as server, source(server.url) as prometheus:
            assert await exceptions_left_in_cycles(lambda: query(prometheus), SourceRejected) == []

    async def test_slow_answer(self):
        # The source's whole timeout, the session's own: aiohttp's TimeoutError mapped in the `except` clause.
        release = asyncio.Event()

        async def stalled(request: web.Request, seen: Seen) -> web.Response:
            await release.wait()
            return await ok(request, seen)

        async with serving(stalled) as server, source(server.url, timeout_s=0.2) as prometheus:
            try:
                assert await exceptions_left_in_cycles(lambda: query(prometheus, 0.2), SourceTimeout) == []
            finally:
                release.set()


class TestNotMapped:
    """A cancellation, an interrupt or a coroutine's close met while a query reads its answer or parses it goes on as
    it is: never an error of the source's, so a cancelled evaluation stays cancelled."""

    @pytest.mark.parametrize("kind", [asyncio.CancelledError, KeyboardInterrupt, GeneratorExit])
    @pytest.mark.parametrize("where", ["reading", "parsing"])
    async def test_the_same_exception_goes_on(self, monkeypatch, kind, where):
        raised = kind()

        def interrupted(*args: Any, **keywords: Any) -> Any:
            raise raised

        if where == "reading":
            monkeypatch.setattr(aiohttp.ClientResponse, "read", interrupted)
        else:
            monkeypatch.setattr("analyzer.sources.prometheus.parse_result", interrupted)
        async with serving(ok) as server, source(server.url) as prometheus:
            with pytest.raises(kind) as caught:
                await query(prometheus)
        assert caught.value is raised and raised.__cause__ is None and raised.__context__ is None
        assert server.requests == 1
