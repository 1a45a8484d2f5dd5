"""The HTTP transport under prometheus-api-client: a requests Session and adapter that do only what a query needs.

prometheus-api-client speaks through the requests Session it is given. A plain Session spent far more CPU
per query than the HTTP exchange itself: 1.2 ms per instant query on one core, of which the exchange over
http.client is 0.3 ms; the rest was request preparation (cookie jar, hooks, environment merging, redirect
handling) and urllib3, on a worker thread holding the interpreter lock meanwhile (`make bench`). `QuerySession`
sends the library's requests straight to `HTTPClientAdapter`, which keeps what the source relies on:
kept-alive connections, TLS verified against a CA bundle, connect and read timeouts, and the one immediate
retry of the source's contract. Failures are requests' own exceptions, so the source maps them in one place.
"""

from __future__ import annotations

import functools
import http.client
import io
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers

RETRY_STATUSES = frozenset({502, 503, 504})
_Origin = tuple[str, str, int]


class QuerySession(requests.Session):
    """A Session whose `request` takes the arguments prometheus-api-client passes and sends them straight to
    the mounted adapter: session headers and auth applied, no cookies, hooks or environment, and redirects
    returned as answers rather than followed (a Prometheus API does not redirect; a login page does)."""

    def request(self, method: str, url: str, params: Mapping[str, Any] | None = None,  # type: ignore[override]
                headers: Mapping[str, str] | None = None, auth: Any = None, timeout: Any = None,
                verify: bool | str | None = None, cert: Any = None, **unsupported: Any) -> requests.Response:
        """The answer to one request; TypeError for an argument this session does not implement."""
        passed = sorted(name for name, value in unsupported.items() if value is not None)
        if passed:
            raise TypeError(f"QuerySession.request does not implement {', '.join(passed)}")
        target = f"{url}?{urlencode(params)}" if params else url
        prepared = requests.PreparedRequest()
        prepared.method = method.upper()
        prepared.url = target
        prepared.headers = CaseInsensitiveDict(cast(Mapping[str, str], self.headers))
        if headers:
            prepared.headers.update(headers)
        prepared.body = None
        signer: Any = auth if auth is not None else self.auth
        if signer is not None:
            prepared = signer(prepared)
        tls = self.verify if verify is None else verify
        return self.get_adapter(target).send(prepared, timeout=timeout, verify=True if tls is None else tls,
                                             cert=self.cert if cert is None else cert)


class HTTPClientAdapter(BaseAdapter):
    """Sends requests over pooled http.client connections; `retries` (0 or more) immediate re-sends after a
    failed connection or a 502/503/504; at most `max_idle` idle connections kept per origin."""

    def __init__(self, *, retries: int, max_idle: int) -> None:
        super().__init__()
        self._retries = retries
        self._max_idle = max_idle
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Mapping[str, str] | None = None
             ) -> requests.Response:
        """The response to `request`, its body read; requests' exceptions on failure."""
        if cert is not None:
            raise requests.exceptions.InvalidURL("client certificates are not supported by this transport")
        connect_timeout_s, read_timeout_s = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise requests.exceptions.InvalidURL(f"cannot send to {request.url!r}")
        origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        retries_left = self._retries
        while True:
            try:
                status, reason, headers, body = self._exchange(origin, request, verify, connect_timeout_s,
                                                               read_timeout_s)
            except _NotConnected:
                if not retries_left:
                    raise
                retries_left -= 1
                continue
            if status in RETRY_STATUSES and retries_left:
                retries_left -= 1
                continue
            return _response(request, status, reason, headers, body)

    def close(self) -> None:
        """Close every idle connection; connections in use close when their exchange ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _exchange(self, origin: _Origin, request: requests.PreparedRequest, verify: bool | str,
                  connect_timeout_s: float | None, read_timeout_s: float | None
                  ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        reused = self._take_idle(origin)
        connection = reused or self._connect(origin, verify, connect_timeout_s)
        try:
            try:
                response = _send(connection, request, read_timeout_s)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if reused is None:
                    raise
                # The server closed a kept-alive connection while it sat idle: a fresh one, once. Only
                # before any answer arrived: a failure while reading one is no stale connection.
                connection.close()
                connection = self._connect(origin, verify, connect_timeout_s)
                response = _send(connection, request, read_timeout_s)
            answer = _read(response)
        except requests.exceptions.RequestException:
            connection.close()
            raise
        except TimeoutError as exc:
            connection.close()
            raise requests.exceptions.ReadTimeout(f"no answer from {_show(origin)} in {read_timeout_s} s",
                                                  request=request) from exc
        except ssl.SSLError as exc:
            connection.close()
            raise requests.exceptions.SSLError(str(exc), request=request) from exc
        except (http.client.HTTPException, OSError) as exc:
            connection.close()
            raise requests.exceptions.ConnectionError(
                f"exchange with {_show(origin)} failed: {type(exc).__name__}: {exc}", request=request) from exc
        except ValueError:
            # http.client refusing a header or path: its message quotes the value, which may be a credential.
            # Not a ValueError itself, which the source reads as an answer of the wrong shape.
            connection.close()
            raise requests.exceptions.RequestException(
                f"cannot send to {_show(origin)}: a header or the path holds characters HTTP does not allow "
                "(a line break, or beyond Latin-1)", request=request) from None
        status, reason, headers, body, keep_alive = answer
        if keep_alive:
            self._give_back(origin, connection)
        else:
            connection.close()
        return status, reason, headers, body

    def _connect(self, origin: _Origin, verify: bool | str, timeout_s: float | None) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout_s, context=_tls_context(verify))
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise _ConnectTimeout(f"no connection to {_show(origin)} in {timeout_s} s") from exc
        except ssl.SSLError as exc:
            connection.close()
            raise requests.exceptions.SSLError(str(exc)) from exc
        except OSError as exc:
            connection.close()
            raise _NotConnected(f"cannot connect to {_show(origin)}: {exc}") from exc
        return connection

    def _take_idle(self, origin: _Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                connections = self._idle.get(origin)
                connection = connections.pop() if connections else None
            if connection is None or not _readable(connection):
                return connection
            # An idle connection has nothing to read unless the server closed it or wrote to it unasked (a
            # 408 before closing): that would be read as the next request's answer.
            connection.close()

    def _give_back(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            connections = self._idle.setdefault(origin, [])
            if not self._closed and len(connections) < self._max_idle:
                connections.append(connection)
                return
        connection.close()


def _readable(connection: http.client.HTTPConnection) -> bool:
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(0))


def _send(connection: http.client.HTTPConnection, request: requests.PreparedRequest,
          read_timeout_s: float | None) -> http.client.HTTPResponse:
    """The answer's status and headers, its body still to read."""
    # A fresh connection still has the connect timeout.
    connection.sock.settimeout(read_timeout_s)
    body = request.body.encode() if isinstance(request.body, str) else request.body
    connection.request(request.method or "GET", request.path_url, body, dict(request.headers))
    # A socket timeout bounds each read: a server trickling bytes would hold this thread for ever.
    deadline = None if read_timeout_s is None else time.monotonic() + read_timeout_s
    connection.response_class = cast(type[http.client.HTTPResponse],
                                     functools.partial(_DeadlineResponse, deadline=deadline))
    return connection.getresponse()


class _DeadlineResponse(http.client.HTTPResponse):
    """An answer that must arrive whole, headers and body, by `deadline` (time.monotonic())."""

    def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                 url: str | None = None, *, deadline: float | None) -> None:
        super().__init__(sock, debuglevel, method, url)
        # The socket file made above holds a reference that would keep the socket open after close().
        self.fp.close()
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket, each read waiting no longer than what is left until `deadline`."""

    def __init__(self, sock: socket.socket, deadline: float | None) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._deadline is not None:
            left_s = self._deadline - time.monotonic()
            if left_s <= 0:
                raise TimeoutError("the answer did not arrive whole in time")
            self._sock.settimeout(left_s)
        return self._sock.recv_into(buffer)


def _read(response: http.client.HTTPResponse) -> tuple[int, str, list[tuple[str, str]], bytes, bool]:
    content = _decoded(response.read(), response.getheader("Content-Encoding"))
    # http.client ends a 1xx other than 100 (103 Early Hints) as if it were the answer: the final answer is
    # still to come on this connection, and must not reach the next request that would reuse it.
    keep_alive = not response.will_close and response.status >= 200
    return response.status, response.reason, response.getheaders(), content, keep_alive


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """The body with its Content-Encoding undone: identity, gzip or deflate."""
    coding = (encoding or "identity").strip().lower()
    try:
        if coding == "gzip":
            # zlib.decompress stops after the first member and drops the rest without a word. An empty body
            # (a proxy's 503 says gzip and sends nothing) is empty, as urllib3 read it.
            decoded = []
            while body:
                member = zlib.decompressobj(16 + zlib.MAX_WBITS)
                decoded.append(member.decompress(body))
                if not member.eof:
                    raise zlib.error("the gzip stream is truncated")
                body = member.unused_data
            return b"".join(decoded)
        if coding == "deflate":
            return zlib.decompress(body)
    except zlib.error as exc:
        raise requests.exceptions.ContentDecodingError(f"cannot decode the {coding} body: {exc}") from exc
    if coding != "identity":
        raise requests.exceptions.ContentDecodingError(f"the answer is encoded as {coding!r}, which was not asked for")
    return body


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """A client context verifying against `verify` (a CA bundle path, or True for requests' bundle); no
    verification at all for False. A configured bundle is read per new connection, as urllib3 does, so a
    rotated one is used; requests' own bundle ships with the package, so its context is built once (loading
    it takes tens of milliseconds, which every new connection paid)."""
    if verify is False:
        return _unverified_context()
    if verify is True:
        return _packaged_bundle_context()
    return _bundle_context(verify)


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@functools.cache
def _packaged_bundle_context() -> ssl.SSLContext:
    return _bundle_context(DEFAULT_CA_BUNDLE_PATH)


def _bundle_context(bundle: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=bundle)
    except ssl.SSLError as exc:
        raise requests.exceptions.SSLError(f"the CA bundle {bundle} is not usable: {exc}") from exc
    except OSError as exc:
        raise OSError(f"cannot read the CA bundle {bundle}: {exc.strerror or exc}") from exc


def _response(request: requests.PreparedRequest, status: int, reason: str, headers: list[tuple[str, str]],
              body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response._content = body
    # Read already: closing the response (a redirect does) must not reach for a raw stream there is not.
    response._content_consumed = True  # type: ignore[attr-defined]
    response.url = request.url or ""
    response.request = request
    return response


class _NotConnected(requests.exceptions.ConnectionError):
    """No connection could be made: the request never reached the server, so sending it again is safe."""


class _ConnectTimeout(_NotConnected, requests.exceptions.ConnectTimeout):
    """The connection was not accepted in time."""


def _show(origin: _Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"
