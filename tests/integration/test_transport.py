"""The http.client transport under the Prometheus source, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import trustme
from aiohttp import web

from analyzer.sources.transport import HTTPClientAdapter, QuerySession
from analyzer.testing import free_port

BODY = b'{"status": "success"}'


@dataclass
class Seen:
    """What a test server saw."""

    url: str = ""
    requests: int = 0
    connections: set[Any] = field(default_factory=set)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@asynccontextmanager
async def serving(handler: Callable[[web.Request, Seen], Any], ssl_context: ssl.SSLContext | None = None
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
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    finally:
        server.close()
        await server.wait_closed()


async def ok(request: web.Request, seen: Seen) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def session(retries: int = 1, verify: bool | str = True) -> requests.Session:
    client = QuerySession()
    client.verify = verify
    client.headers["Accept-Encoding"] = "identity"
    adapter = HTTPClientAdapter(retries=retries, max_idle=4)
    client.mount("http://", adapter)
    client.mount("https://", adapter)
    return client


async def get(client: requests.Session, url: str, timeout_s: float = 5.0) -> requests.Response:
    return await asyncio.to_thread(client.request, "GET", url, timeout=timeout_s)


class TestExchange:
    """Answers come back whole: status, headers, body, however the server frames them."""

    async def test_status_headers_and_body(self):
        async def teapot(request, seen):
            return web.Response(status=418, body=b"short and stout", headers={"X-Pot": "tea"})

        async with serving(teapot) as server:
            response = await get(session(), f"{server.url}/api/v1/query?query=up")
        assert (response.status_code, response.reason) == (418, "I'm a Teapot")
        assert response.headers["x-pot"] == "tea"
        assert response.content == b"short and stout"

    async def test_query_string_and_headers_are_sent(self):
        captured = {}

        async def capture(request, seen):
            captured.update(query=dict(request.query), auth=request.headers.get("Authorization"))
            return await ok(request, seen)

        async with serving(capture) as server:
            client = session()
            client.headers["Authorization"] = "Bearer t"
            await asyncio.to_thread(client.request, "GET", f"{server.url}/api/v1/query",
                                    params={"query": 'sum(rate(x{a=~"b|c"}[5m]))', "time": "1.5"}, timeout=5)
        assert captured == {"query": {"query": 'sum(rate(x{a=~"b|c"}[5m]))', "time": "1.5"}, "auth": "Bearer t"}

    async def test_chunked_body(self):
        async def chunked(request, seen):
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for part in (b'{"status": ', b'"success"}'):
                await response.write(part)
            await response.write_eof()
            return response

        async with serving(chunked) as server:
            response = await get(session(), server.url)
        assert response.json() == {"status": "success"}

    async def test_gzip_body_is_decoded(self):
        async def gzipped(request, seen):
            return web.Response(body=gzip.compress(BODY), headers={"Content-Encoding": "gzip"})

        async with serving(gzipped) as server:
            response = await get(session(), server.url)
        assert response.content == BODY

    async def test_gzip_body_of_several_members_is_decoded_whole(self):
        # gzip allows concatenated members (some proxies write one per flush); the body is all of them.
        async def members(request, seen):
            return web.Response(body=gzip.compress(BODY[:7]) + gzip.compress(BODY[7:]),
                                headers={"Content-Encoding": "gzip"})

        async with serving(members) as server:
            response = await get(session(), server.url)
        assert response.content == BODY

    async def test_empty_gzip_body_is_empty(self):
        # A proxy's 503 may say gzip and send nothing: still a 503, which is retried, not a decoding error.
        async def unavailable(request, seen):
            if seen.requests == 1:
                return web.Response(status=503, body=b"", headers={"Content-Encoding": "gzip"})
            return await ok(request, seen)

        async with serving(unavailable) as server:
            response = await get(session(retries=1), server.url)
        assert (response.status_code, response.content, server.requests) == (200, BODY, 2)

    @pytest.mark.parametrize("encoding, body", [("br", b"\x0b\x02\x80"), ("gzip", b"not gzip at all")])
    async def test_body_that_cannot_be_decoded_is_an_error(self, encoding, body):
        async def encoded(request, seen):
            return web.Response(body=body, headers={"Content-Encoding": encoding})

        async with serving(encoded) as server:
            with pytest.raises(requests.exceptions.ContentDecodingError, match=encoding):
                await get(session(), server.url)


class TestQuerySession:
    """The session sends what prometheus-api-client passes, with its own headers and auth, and nothing else."""

    async def test_params_headers_and_auth(self):
        captured = []

        async def capture(request, seen):
            captured.append((request.method, request.path, dict(request.query), dict(request.headers)))
            return await ok(request, seen)

        def sign(prepared):
            prepared.headers["Authorization"] = f"Bearer {len(captured)}"
            return prepared

        async with serving(capture) as server:
            client = session()
            client.headers["X-Scope-OrgID"] = "payments"
            client.auth = sign
            for _ in range(2):
                await asyncio.to_thread(client.request, method="GET", url=f"{server.url}/api/v1/query_range",
                                        params={"query": "a + b", "start": 1, "step": "15"},
                                        headers={"X-Extra": "1"}, auth=None, cert=None, timeout=5)
        method, path, query, headers = captured[0]
        assert (method, path, query) == ("GET", "/api/v1/query_range", {"query": "a + b", "start": "1", "step": "15"})
        assert (headers["X-Scope-OrgID"], headers["X-Extra"]) == ("payments", "1")
        assert [h["Authorization"] for *_, h in captured] == ["Bearer 0", "Bearer 1"]
        assert "Cookie" not in headers

    async def test_redirect_is_returned_not_followed(self):
        async def redirect(request, seen):
            if request.path == "/login":
                return await ok(request, seen)
            raise web.HTTPFound("/login")

        async with serving(redirect) as server:
            response = await get(session(), f"{server.url}/api/v1/query")
        assert response.status_code == 302
        assert server.requests == 1

    async def test_arguments_it_does_not_implement_are_refused(self):
        with pytest.raises(TypeError, match="data, json"):
            session().request("POST", "http://127.0.0.1:9/", data={"query": "up"}, json=[1], files=None)


class TestConnections:
    """One connection serves many queries; a connection the server dropped is replaced once, silently."""

    async def test_connection_is_kept_alive(self):
        async with serving(ok) as server:
            client = session()
            for _ in range(5):
                await get(client, server.url)
        assert server.requests == 5
        assert len(server.connections) == 1

    async def test_connection_close_is_honoured(self):
        async def closing(request, seen):
            return web.Response(body=BODY, headers={"Connection": "close"})

        async with serving(closing) as server:
            client = session()
            for _ in range(3):
                await get(client, server.url)
        assert len(server.connections) == 3

    async def test_idle_connection_closed_by_the_server_is_replaced(self):
        # A server that closes each connection after answering without saying so, like an idle timeout.
        connections = 0

        async def one_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            await writer.drain()
            writer.close()

        async with raw_server(one_answer) as url:
            client = session(retries=0)
            first = await get(client, url)
            second = await get(client, url)
        assert first.content == second.content == BODY
        assert connections == 2

    async def test_connection_after_an_interim_answer_is_not_reused(self):
        # A 1xx (103 Early Hints from a proxy) ends http.client's response with the final answer still to
        # come on the connection: reused, it would hand this query's answer to the next query.
        answers = [b'{"query": 1}', b'{"query": 2}']
        connections = 0

        def answer(body: bytes) -> bytes:
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

        async def early_hints(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            pending = b""
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                if not answers:
                    return
                if connections == 1 and not pending:
                    pending = answer(answers.pop(0))
                    writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n")
                else:
                    writer.write(pending + answer(answers.pop(0)))
                    pending = b""
                await writer.drain()

        async with raw_server(early_hints) as url:
            client = session(retries=0)
            first = await get(client, url)
            second = await get(client, url)
        assert first.status_code == 103
        assert second.content == b'{"query": 2}'

    async def test_idle_connection_the_server_wrote_to_is_not_reused(self):
        # Some servers answer an idle kept-alive connection with a 408 before closing it: that answer, read
        # by the next request, would be its answer.
        answered = asyncio.Event()
        timed_out = asyncio.Event()

        async def idle_timeout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            await writer.drain()
            if answered.is_set():
                writer.close()
                return
            await answered.wait()
            writer.write(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            timed_out.set()

        async with raw_server(idle_timeout) as url:
            client = session(retries=0)
            await get(client, url)
            answered.set()
            await timed_out.wait()
            second = await get(client, url)
        assert (second.status_code, second.content) == (200, BODY)

    async def test_close_releases_idle_connections(self):
        async with serving(ok) as server:
            adapter = HTTPClientAdapter(retries=0, max_idle=4)
            client = session()
            client.mount(server.url, adapter)
            await get(client, server.url)
            (transport,) = server.connections
            adapter.close()
            for _ in range(500):
                if transport.is_closing():
                    break
                await asyncio.sleep(0.01)
            assert transport.is_closing()


class TestFailures:
    """Every failure is one of requests' exceptions, with the reason; only safe re-sends are made."""

    async def test_refused_connection(self):
        with pytest.raises(requests.exceptions.ConnectionError, match=r"cannot connect to http://127\.0\.0\.1"):
            await get(session(), f"http://127.0.0.1:{free_port()}/")

    async def test_failed_connection_is_retried_once(self, monkeypatch):
        attempts = []
        real_connect = http.client.HTTPConnection.connect

        def flaky(self):
            attempts.append(self.port)
            if len(attempts) == 1:
                raise ConnectionRefusedError(111, "Connection refused")
            real_connect(self)

        monkeypatch.setattr(http.client.HTTPConnection, "connect", flaky)
        async with serving(ok) as server:
            response = await get(session(retries=1), server.url)
        assert response.content == BODY
        assert len(attempts) == 2

    async def test_no_retry_when_retries_are_off(self, monkeypatch):
        attempts = []

        def refused(self):
            attempts.append(self.port)
            raise ConnectionRefusedError(111, "Connection refused")

        monkeypatch.setattr(http.client.HTTPConnection, "connect", refused)
        with pytest.raises(requests.exceptions.ConnectionError):
            await get(session(retries=0), "http://127.0.0.1:9/")
        assert len(attempts) == 1

    async def test_slow_answer_is_a_read_timeout_and_not_resent(self):
        release = asyncio.Event()

        async def stalled(request, seen):
            await release.wait()
            return await ok(request, seen)

        async with serving(stalled) as server:
            try:
                with pytest.raises(requests.exceptions.ReadTimeout):
                    await get(session(retries=1), server.url, timeout_s=0.2)
            finally:
                release.set()
        assert server.requests == 1

    async def test_answer_trickled_slower_than_the_timeout_is_a_read_timeout(self):
        # Each byte arrives well within the timeout, the whole answer not: the timeout bounds the answer, so
        # a server trickling bytes cannot hold a worker thread of the source for ever.
        length = 200

        async def trickle(request, seen):
            response = web.StreamResponse(headers={"Content-Length": str(length)})
            await response.prepare(request)
            for _ in range(length):
                await response.write(b" ")
                await asyncio.sleep(0.02)
            return response

        async with serving(trickle) as server:
            with pytest.raises(requests.exceptions.ReadTimeout):
                await get(session(retries=1), server.url, timeout_s=0.5)
        assert server.requests == 1

    async def test_connection_dropped_mid_answer(self):
        async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial")
            await writer.drain()
            writer.close()

        async with raw_server(half) as url:
            with pytest.raises(requests.exceptions.ConnectionError, match="IncompleteRead"):
                await get(session(), url)

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
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial")
                    await writer.drain()
                    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                               struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                await writer.drain()

        async with raw_server(reset_second) as url:
            client = session(retries=1)
            await get(client, url)
            with pytest.raises(requests.exceptions.ConnectionError):
                await get(client, url)
        assert requests_seen == 2

    async def test_client_certificates_are_refused(self):
        with pytest.raises(requests.exceptions.InvalidURL, match="client certificates"):
            await asyncio.to_thread(session().request, "GET", "http://127.0.0.1:9/", cert="/tmp/client.pem",
                                    timeout=1)


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
        async with serving(ok, tls_server_context) as server:
            response = await get(session(verify=str(ca_file)), server.url)
        assert response.content == BODY

    async def test_tls_connection_is_kept_alive(self, authority, tls_server_context, tmp_path):
        # TLS records arriving after an answer (session tickets) must not make an idle connection look used.
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with serving(ok, tls_server_context) as server:
            client = session(verify=str(ca_file))
            for _ in range(3):
                await get(client, server.url)
        assert server.requests == 3
        assert len(server.connections) == 1

    async def test_untrusted_certificate_is_refused(self, tls_server_context):
        async with serving(ok, tls_server_context) as server:
            with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
                await get(session(verify=True), server.url)
        assert server.requests == 0

    async def test_certificate_for_another_host_is_refused(self, authority, tmp_path):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("prometheus.example").configure_cert(context)
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with serving(ok, context) as server:
            with pytest.raises(requests.exceptions.SSLError, match="mismatch"):
                await get(session(verify=str(ca_file)), server.url)

    async def test_insecure_skips_verification(self, tls_server_context):
        async with serving(ok, tls_server_context) as server:
            response = await get(session(verify=False), server.url)
        assert response.content == BODY

    async def test_ca_file_that_is_not_a_bundle(self, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text("not a certificate\n")
        async with serving(ok, tls_server_context) as server:
            with pytest.raises(requests.exceptions.SSLError, match="is not usable"):
                await get(session(verify=str(ca_file)), server.url)

    async def test_rotated_ca_file_is_read_for_new_connections(self, authority, tls_server_context, tmp_path):
        ca_file = tmp_path / "ca.pem"
        trustme.CA().cert_pem.write_to_path(str(ca_file))
        async with serving(ok, tls_server_context) as server:
            client = session(verify=str(ca_file))
            with pytest.raises(requests.exceptions.SSLError):
                await get(client, server.url)
            authority.cert_pem.write_to_path(str(ca_file))
            response = await get(client, server.url)
        assert response.content == BODY

    async def test_ca_file_gone(self, tls_server_context, tmp_path):
        async with serving(ok, tls_server_context) as server:
            with pytest.raises(OSError, match=r"cannot read the CA bundle .*ca\.pem"):
                await get(session(verify=str(tmp_path / "ca.pem")), server.url)
