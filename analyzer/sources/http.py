"""The one outbound HTTP client of HTTP checks: allow-listed host names, checked peer addresses, capped
bodies, redirects only when asked and re-checked at every hop. httpx errors are translated here."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import math
import os
import re
import socket
import ssl
import time
import urllib.request
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import idna

from analyzer import __version__
from analyzer.catalog_paths import FileVersion, file_version
from analyzer.errors import (
    BodyBudgetExhausted,
    CheckMisconfigured,
    ConnectionsExhausted,
    TargetBadAnswer,
    TargetConnectFailed,
    TargetConnectTimeout,
    TargetRefused,
    TargetTimeout,
    TargetUnreachable,
    short_reason,
)
from analyzer.inflate import WBITS, Inflater
from analyzer.redaction import hide_credentials, url_for_message
from analyzer.sources.httppolicy import (
    RETRY_PAUSE_S,
    HostAllowList,
    HttpPolicy,
    address_refusal,
    address_to_allow,
    answer_date_s,
    ca_context,
    ca_problem,
    cookie_domain,
    cookie_life_s,
    cookie_path,
    ip_or_none,
    is_public_suffix,
    set_cookie_attributes,
)

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Turns (host name, port) into IP address strings; raises OSError (socket.gaierror) when it cannot."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# The only request headers a redirect carries to another origin: every other header the check set may be a
# credential under a name we cannot recognise (X-Api-Key, X-Vault-Tok...).
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-encoding", "user-agent"})
# What every request says unless its check sets the header: who sends it (an SRE picks smoke traffic out of access
# logs and the canary's metrics by it, where httpx's own said python-httpx), and that its connection closes after the
# answer, as it always does here (see _GuardedTransport).
_DEFAULT_HEADERS = {
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": f"analyzer-http-smoke/{__version__}",
    "Connection": "close",
}
# The TLS context of the request being connected, when its check trusts its own CA (ca_file): httpcore connects in
# the requesting task, so the network backend reads it there. A connection is never reused (see _GuardedTransport),
# so one made with a check's CA serves no other request.
_CHECK_TLS: contextvars.ContextVar[ssl.SSLContext | None] = contextvars.ContextVar("check_tls", default=None)
# The kernel receive buffer of a target connection. uvloop (libuv) reads a readable socket up to 32 times per
# wake-up and anyio queues every read, so a fast sender could park megabytes per connection in that queue,
# outside the body budget; a small kernel buffer bounds what one wake-up can take (Linux doubles it).
_RECEIVE_BUFFER_BYTES = 128 * 1024


@contextmanager
def map_httpx_errors(where: str) -> Iterator[None]:
    """Translate every httpx exception into the analyzer's errors; `where` names the request."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        reason = _connect_reason(exc)
        # Our network backend already says "cannot connect to host:port"; other connect errors do not.
        prefix = "" if reason.startswith("cannot connect") else "cannot connect: "
        raise TargetConnectFailed(f"{where}: {prefix}{reason}") from exc
    except httpx.TimeoutException as exc:
        raise TargetTimeout(f"{where}: timed out ({type(exc).__name__}): {short_reason(exc)}") from exc
    except httpx.ProxyError as exc:
        raise TargetUnreachable(f"{where}: proxy failed: {short_reason(exc)}") from exc
    except httpx.NetworkError as exc:
        # httpx's error is empty for a reset (anyio's BrokenResourceError): the reason read "ReadError".
        reason = short_reason(exc) if str(exc) else _os_reason(exc)
        raise TargetUnreachable(f"{where}: the connection failed: {reason}") from exc
    except (httpx.ProtocolError, httpx.DecodingError, httpx.TooManyRedirects, httpx.HTTPStatusError) as exc:
        reason = short_reason(exc)
        if reason.startswith(_BAD_LOCATION):
            reason = _url_problem(reason)
        raise TargetBadAnswer(f"{where}: invalid answer: {reason}") from exc
    except httpx.InvalidURL as exc:
        raise CheckMisconfigured(
            f"{where}: cannot send the request: InvalidURL: {_url_problem(short_reason(exc))}", at_fault="request"
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.CookieConflict, httpx.StreamError) as exc:
        raise CheckMisconfigured(
            f"{where}: cannot send the request: {type(exc).__name__}: {short_reason(exc)}"
        ) from exc
    except httpx.HTTPError as exc:
        raise TargetUnreachable(f"{where}: request failed: {type(exc).__name__}: {short_reason(exc)}") from exc


def _connect_reason(exc: httpx.TransportError) -> str:
    """Why a connection could not be made: httpcore's error is empty when the peer closed during the TLS handshake."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLEOFError):
            return "the server closed the connection during the TLS handshake (does the port serve https?)"
        seen = seen.__cause__ or seen.__context__
    return short_reason(exc)


# httpx's error for a redirect whose Location it cannot parse: its URL error follows.
_BAD_LOCATION = "Invalid URL in location header: "
# The part of a URL httpx quotes in its error (`Invalid port: 'ab'`, `..., '\x00' at position 5`): a password
# holding an unencoded '/' (`http://svc:ab/cd@host/`) is cut there, and the fragment quoted would be part of it.
_QUOTED_URL_PART_RE = re.compile(r"""[:,] (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?: at position \d+)?""")


def _url_problem(reason: str) -> str:
    """httpx's error about a URL naming the problem only, without the part of the URL it quotes."""
    return _QUOTED_URL_PART_RE.sub("", reason)


async def system_resolver(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo, run off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves names itself and dials only checked IP addresses, so the address judged is the
    address connected to (no second lookup that DNS rebinding could answer differently)."""

    def __init__(self, policy: HttpPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        refusals = [r for r in (address_refusal(a, self._policy.allowed_networks) for a in addresses) if r]
        if refusals:
            raise TargetRefused(
                f"refused to connect to {host}: its address {refusals[0]}; add the network to "
                "ANALYZER_HTTP_ALLOWED_NETWORKS to allow it"
            )
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            await self._check_peer(stream, host)
            return _TargetStream(stream, _CHECK_TLS.get())
        assert last_error is not None
        # anyio says "All connection attempts failed", which names neither the target nor the cause.
        tried = "" if addresses == [host.strip("[]")] else f" ({', '.join(addresses)})"
        raise type(last_error)(
            f"cannot connect to {_host_port(host, port)}{tried}: {_os_reason(last_error)}"
        ) from last_error

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        if ip_or_none(host.strip("[]")) is not None:
            return [host.strip("[]")]
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"DNS lookup of {host} failed: {exc.strerror or exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"DNS lookup of {host} returned no address")
        return addresses

    async def _check_peer(self, stream: httpcore.AsyncNetworkStream, host: str) -> None:
        peer = stream.get_extra_info("server_addr")
        refusal = (
            "the peer address is unknown" if not peer else address_refusal(str(peer[0]), self._policy.allowed_networks)
        )
        if refusal:
            await stream.aclose()
            raise TargetRefused(f"refused the connection to {host}: {refusal}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("HTTP checks never connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _ForwardingStream(httpcore.AsyncNetworkStream):
    """A network stream that hands every call to the stream it wraps: the base of those that change one."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.start_tls(ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _TargetStream(_ForwardingStream):
    """A TCP stream to a target whose TLS handshake verifies the server with the check's own CA (when it has one)
    and whose TLS stream tells a cut from a close (_TLSStream)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, ssl_context: ssl.SSLContext | None) -> None:
        super().__init__(inner)
        self._ssl_context = ssl_context

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        own = self._ssl_context if self._ssl_context is not None else ssl_context
        return _TLSStream(await self._inner.start_tls(own, server_hostname, timeout))


class _TLSStream(_ForwardingStream):
    """A TLS stream that tells a cut from a close: `cut` once it ended without the server's close_notify."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        super().__init__(inner)
        self.cut = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        if not data:
            # Read as a close either way: h11 words the cut of an answer framed by Content-Length or chunks
            # ("received 16 bytes, expected 1000"), but ends one framed by the connection's close there, which
            # HttpClient._read then refuses (RFC 9112 8 holds it incomplete).
            self.cut = not _closed_by_peer(self._inner.get_extra_info("ssl_object"))
        return data


def _closed_by_peer(ssl_object: ssl.SSLObject | None) -> bool:
    """Whether the TLS connection that just read as ended got the server's close_notify: read again, a closed one
    reads empty, one that ended without it raises (OpenSSL's unexpected EOF, which anyio reads as an end)."""
    if ssl_object is None:
        return False
    try:
        ssl_object.read(1)
    except ssl.SSLError:
        return False
    return True


def _host_port(host: str, port: int) -> str:
    """`host:port`, with an IPv6 literal in brackets."""
    bare = host.strip("[]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def _os_reason(exc: BaseException) -> str:
    """The operating system's reason inside a wrapped connect error (`Connection refused`), else its text."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError | httpcore.ConnectTimeout):
            return "timed out"
        if isinstance(seen, OSError) and seen.errno is not None:
            return os.strerror(seen.errno)
        seen = seen.__cause__ or seen.__context__
    return short_reason(exc)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over our guarded network backend, never through an environment proxy."""

    def __init__(self, policy: HttpPolicy, resolver: Resolver) -> None:
        super().__init__(trust_env=False)
        # httpx cannot pass a network backend to its pool; replace the pool it built with one that uses ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            # HttpClient takes one of its max_connections before each request: the pool never makes a request wait.
            max_connections=None,
            # A connection is never reused: h11 reads bytes a server sent past an answer as the answer to the next
            # request on it (a stray second response judged in place of a 500). A new connection per request is also
            # load-balanced anew by a Service, so `repeat` reaches every pod, and every latency counts a connect.
            max_keepalive_connections=0,
            network_backend=_GuardedBackend(policy, resolver),
            socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER_BYTES)],
        )


@dataclass(frozen=True)
class HttpRequest:
    """One request to send: method, absolute URL (already escaped), headers and body."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None


@dataclass(frozen=True)
class HttpExchange:
    """What came back: final status, headers and body (at most the cap, held once), the time it took, the hops,
    and the body memory it holds until `release()`; `withheld`, the URL of a redirect not followed because the check
    refused to send its Cookie header there (the answer is then that redirect's, its body unread)."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes | bytearray
    body_truncated: bool
    latency_ms: float
    redirects: tuple[str, ...] = ()
    connect_retries: int = 0
    body_wire_bytes: int = 0
    body_drained: bool = False
    reservation: BodyReservation | None = None
    withheld: str = ""

    def release(self) -> None:
        """Give the body's share of the service-wide budget back (the body must no longer be used)."""
        if self.reservation is not None:
            self.reservation.release()


class BodyReservation:
    """Bytes of the body budget one request holds, released once (idempotent)."""

    def __init__(self, budget: BodyBudget, size: int) -> None:
        self._budget = budget
        self.size = size

    def shrink(self, size: int) -> None:
        """Keep only `size` bytes (a declared Content-Length below the cap); never grows."""
        if 0 <= size < self.size:
            freed, self.size = self.size - size, size
            self._budget.give_back(freed)

    def release(self) -> None:
        """Give every byte back."""
        self.shrink(0)


class BodyBudget:
    """The bytes of response body every in-flight HTTP check request may hold at once, across the service.
    A request reserves its cap before it is sent; waiters are served in arrival order, so a large reservation
    is not starved by small ones."""

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self.in_use_bytes = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def reserve(self, size: int) -> BodyReservation:
        """Wait until `size` bytes are free and take them (cancellation leaves nothing taken)."""
        size = min(size, self.total_bytes)
        if not self._waiters and self.in_use_bytes + size <= self.total_bytes:
            self.in_use_bytes += size
            return BodyReservation(self, size)
        waiter = (size, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        except BaseException:
            if waiter[1].done() and not waiter[1].cancelled():
                self.give_back(size)
            else:
                self._waiters.remove(waiter)
                self._grant()
            raise
        return BodyReservation(self, size)

    def give_back(self, size: int) -> None:
        """Return bytes a reservation held, and serve waiters that now fit."""
        self.in_use_bytes -= size
        self._grant()

    def _grant(self) -> None:
        while self._waiters and self.in_use_bytes + self._waiters[0][0] <= self.total_bytes:
            size, future = self._waiters.popleft()
            self.in_use_bytes += size
            future.set_result(None)


# A path segment's parameters (`;jsessionid=...`, as Java servlets write a session into URLs).
_PATH_PARAMETERS_RE = re.compile(r";[^/]*")
# Where a URL's query or fragment starts.
_QUERY_OR_FRAGMENT_RE = re.compile(r"[?#]")


def _shown(url: str) -> str:
    """A URL for an error message: its user info as REDACTED, and no query string, fragment (an OAuth implicit flow's
    `#access_token=`) or path parameters (`;jsessionid=`): each may carry secrets, and a refused hop's message is
    logged before any answer tells what to hide (a target's redirect to `http://user:password@host/` is refused, and
    quoted); a credential known by its shape in its path as REDACTED; at most 200 characters."""
    # url_for_message reads user info as URL parsers do (a password holding a `?` or `#` included) and shows the
    # query or fragment as REDACTED, which is left out here.
    shown = _QUERY_OR_FRAGMENT_RE.split(url_for_message(url), maxsplit=1)[0]
    # A host holds no `;`, and user info is hidden already: every `;` left starts a segment's parameters. A credential
    # that says what it is may stand in the path too (a magic link's `/login/<JWT>`).
    return hide_credentials(_PATH_PARAMETERS_RE.sub("", shown))[:200]


class _BodyReader:
    """Decodes a body as it arrives (Content-Encoding gzip or deflate, with the cap as output bound, so a gzip
    bomb costs at most the cap) into one buffer of at most `cap` bytes, and counts every byte on the wire."""

    def __init__(self, encoding: str, cap: int, where: str, asked: str | None = None) -> None:
        """`asked` is the Accept-Encoding the check itself set on the request, None when the client's was sent."""
        encoding = encoding.strip().lower()
        # The refusal says who asked for what: a step's own Accept-Encoding (br) may have asked for this encoding.
        asked_for = (
            "the request asked for those"
            if asked is None
            else f"the request's own Accept-Encoding {asked[:100]!r} was sent; ask for gzip or deflate"
        )
        # Refused at the first body byte: the encoding of an answer without a body (a 204, a HEAD's) names no byte.
        self._refusal = (
            ""
            if encoding in ("", "identity", *WBITS)
            else f"{where}: the body has Content-Encoding {encoding!r}; only gzip and deflate are decoded ({asked_for})"
        )
        if "," in encoding:
            # Legal (RFC 9110 8.4) but met only from a proxy that encodes again or repeats the header line, where
            # decoding twice fails; a layered decoder would need a bound on every layer. "gzip" said otherwise.
            self._refusal = (
                f"{where}: the body has Content-Encoding {encoding[:100]!r}, several encodings one over the other "
                "(or the header sent twice), which are not decoded: only one, gzip or deflate, is"
            )
        self.encoding = "" if encoding == "identity" else encoding
        self.cap = cap
        self.where = where
        self.body = bytearray()
        self.over_cap = False
        self.wire_bytes = 0
        faults = {
            "corrupt": f"{where}: the {encoding} body is corrupt",
            "cut": f"{where}: the {encoding} body ended before its end marker: the response was cut",
            "trailing": f"{where}: the {encoding} body has bytes after its end marker",
        }
        self._inflater = Inflater(encoding, lambda fault: TargetBadAnswer(faults[fault])) if encoding in WBITS else None

    def feed(self, chunk: bytes) -> None:
        """Take one chunk off the wire; past the cap it is only counted."""
        if self._refusal and chunk:
            raise TargetBadAnswer(self._refusal)
        self.wire_bytes += len(chunk)
        if self.over_cap:
            return
        room = self.cap - len(self.body)
        self._take(chunk if self._inflater is None else self._inflater.feed(chunk, room), room)

    def finish(self) -> None:
        """The wire ended: decode what a deflate body too short for its header left, and refuse a compressed
        body whose stream stopped before its end marker (a cut answer must never be judged as whole)."""
        # Past the cap the rest is not decoded, so its end marker is never reached; that body fails on the cap.
        if self._inflater is not None and not self.over_cap:
            room = self.cap - len(self.body)
            self._take(self._inflater.finish(room), room)

    def _take(self, decoded: bytes, room: int) -> None:
        if len(decoded) > room:
            self.body += memoryview(decoded)[:room]
            self.over_cap = True
        else:
            self.body += decoded


# What tells one cookie from another of its name in browsers' store (RFC 6265bis 5.7): whether it is for its host
# alone, that host or its Domain, and its Path.
CookieIdentity = tuple[bool, str, str]


class _NoCookies(DefaultCookiePolicy):
    """A cookie policy that keeps no cookie: the client is shared by every check and evaluation, so a session one
    answer set would be sent with every later request to that host, of any check (a stale login passing a step whose
    own login broke, one caller's session sent with another's requests)."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return False


class _HopCookieRules(DefaultCookiePolicy):
    """RFC 6265's rules for the cookies of one request's hops where http.cookiejar's are laxer than browsers': a cookie
    set without Domain goes back to its host only (not to its subdomains), and a Secure one an http answer sets, or a
    __Host- or __Secure- one that breaks its prefix's rules, is dropped (RFC 6265bis), as is one an IP address sets
    for a Domain other than itself (`Domain=0.1`, which http.cookiejar matched as a suffix of other addresses);
    otherwise a hop got a session its browsers never send, and the step passed on it. Where http.cookiejar is stricter
    (a Domain that is a one-label host, a Max-Age that is not a number: see _as_browsers_read), browsers' rules too."""

    def __init__(self) -> None:
        super().__init__(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)

    def return_ok_domain(self, cookie: Cookie, request: Any) -> bool:
        # http.cookiejar reads a one-label host as `checkout.local`, so a cookie whose Domain is that host (a Service
        # named in its own namespace, `localhost`) was kept but never sent back to it; browsers send it.
        host = (urlsplit(request.get_full_url()).hostname or "").lower()
        if cookie.domain_specified and cookie.domain.lower().lstrip(".") == host:
            return True
        return bool(super().return_ok_domain(cookie, request))

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        name = cookie.name.lower()
        if name.startswith("__host-") and (cookie.domain_specified or not cookie.path_specified or cookie.path != "/"):
            return False
        if name.startswith(("__host-", "__secure-")) and not cookie.secure:
            return False
        host = (urlsplit(request.get_full_url()).hostname or "").lower()
        domain = cookie.domain.lower().lstrip(".")
        if cookie.domain_specified and ip_or_none(host) is not None and domain != host:
            return False
        if cookie.domain_specified and domain != host and is_public_suffix(domain):
            # `Domain=github.io` from a.github.io (http.cookiejar knows no suffix list): such a session went to every
            # host under it, where browsers keep it nowhere. One that is the host itself is host-only (see
            # _as_browsers_read).
            return False
        return (not cookie.secure or request.type == "https") and super().set_ok(cookie, request)


# The attributes of a Set-Cookie that browsers and http.cookiejar both act on (the flag among them: Secure; an Expires
# goes as a Max-Age).
_HOP_COOKIE_ATTRIBUTES = ("domain", "path", "max-age")


def _as_browsers_read(line: str, url: str, date_s: float | None) -> str:
    """A Set-Cookie line with only the attributes browsers act on, as they read them (set_cookie_attributes), for
    http.cookiejar, which read the first of an attribute given twice (`Path=/; Path=/auth` went to every page), dropped
    the whole cookie for `Max-Age=abc` (browsers keep it for the session), kept a Path not starting with '/' (no
    request path starts with it), and read `Version=1` as an RFC 2965 cookie, with rules no browser has. An Expires
    goes as the Max-Age it amounts to: http.cookiejar reads fewer dates than browsers, and took one it could not read
    (`Thu Jan 01 1970 00:00:00 GMT+0000`, JavaScript's Date text) for none, so such a deletion set the cookie; it is
    read by the answer's `date_s` (see cookie_life_s), as the judge reads a captured one. A Domain that is the answer's
    host (`url`'s) and an IP address or a public suffix goes, as browsers keep such a cookie for that host alone (see
    cookie_domain)."""
    pair, *attributes = line.split(";")
    read = set_cookie_attributes(attributes)
    life_s = cookie_life_s(read, date_s, time.time())
    if life_s is not None and "max-age" not in read:
        # Max-Age wins over Expires (RFC 6265 5.3 step 3); one in the past or now deletes, as Max-Age=0 does.
        read["max-age"] = str(max(0, math.ceil(life_s)))
    read.pop("expires", None)
    if "domain" in read and not cookie_domain(read, (urlsplit(url).hostname or "").lower()):
        del read["domain"]
    kept = [f"{name}={read[name]}" for name in _HOP_COOKIE_ATTRIBUTES if name in read]
    return "; ".join([pair, *kept, *(["Secure"] if "secure" in read else [])])


def _deletion(line: str) -> str | None:
    """For a Set-Cookie line as _as_browsers_read gives it that deletes a cookie (a Max-Age of 0 or less), the line that
    records the deletion in the jar of the cookies a request's hops deleted: the same cookie, kept for the request, so
    the cookie rules tell the URLs it covers; None for a line that deletes nothing."""
    pair, *attributes = line.split("; ")
    read = set_cookie_attributes(attributes)
    if int(read.pop("max-age", "1")) > 0:
        return None
    return "; ".join([pair, *(attribute for attribute in attributes if not attribute.startswith("max-age="))])


@dataclass(frozen=True)
class _HopCookie:
    """A cookie a hop set: the Cookie http.cookiejar read it as (a nameless one named by its value, with no value),
    whether it is nameless, its identity in browsers' store, and when it was set (the order of the request's lines)."""

    cookie: Cookie
    nameless: bool
    identity: CookieIdentity
    set_at: int

    @property
    def name(self) -> str:
        """Its name, "" for a nameless one."""
        return "" if self.nameless else self.cookie.name

    @property
    def pair(self) -> str:
        """As a Cookie header sends it: `name=value`, a nameless one as its bare value (RFC 6265bis 5.4)."""
        return self.cookie.name if self.nameless else f"{self.cookie.name}={self.cookie.value}"


class _HopCookies:
    """The cookies the hops of one request set, held as browsers' store holds them (RFC 6265bis 5.7): one per name,
    Domain or host alone, and Path, a nameless one apart from every named one (of its value's name too), each sent
    where the hop rules (_HopCookieRules) send it, those of a longer Path first, then the earlier set (Chromium's
    order). http.cookiejar holds a nameless `session` where it holds the cookie `session`, so one of the two was
    lost where Chromium sends both."""

    def __init__(self) -> None:
        self._rules = _HopCookieRules()
        self._held: list[_HopCookie] = []
        self._lines = 0

    def take(self, line: str, status: int, url: str, request: httpx.Request) -> None:
        """Sets or deletes the cookie of a Set-Cookie `line` (as _as_browsers_read gives it) of the answer from `url`
        to `request`, when the hop rules accept it."""
        self._lines += 1
        deletion = _deletion(line)
        # Read without its Max-Age when it deletes: http.cookiejar keeps nothing of a deletion, whose scope is needed.
        taken = httpx.Cookies(CookieJar(policy=self._rules))
        taken.extract_cookies(httpx.Response(status, headers=[("set-cookie", deletion or line)], request=request))
        pair, *attributes = line.split(";")
        read = set_cookie_attributes(attributes)
        host = (urlsplit(url).hostname or "").lower()
        domain = cookie_domain(read, host)
        identity = (not domain, domain or host, cookie_path(read, url))
        # Empty when the hop rules refuse the line: browsers keep nothing of it, a deletion included.
        for cookie in taken.jar:
            held = _HopCookie(cookie, "=" not in pair, identity, self._lines)
            replaced = next((old for old in self._held if (old.name, old.identity) == (held.name, held.identity)), None)
            self._held = [old for old in self._held if old is not replaced]
            if deletion is None:
                if replaced is not None and replaced.pair == held.pair:
                    # Set again with its value, it keeps its place among those of its Path length, as in Chromium's
                    # store (a creation time is kept then): a session a login's hops set on every answer went after
                    # a later one of its name, which a server reading the first read instead.
                    held = replace(held, set_at=replaced.set_at)
                self._held.append(held)

    def holds(self, name: str, identity: CookieIdentity) -> bool:
        """Whether a named cookie of this name and identity is held (it replaced a written one of that identity)."""
        return any(not held.nameless and (held.name, held.identity) == (name, identity) for held in self._held)

    def sent_to(self, url: str) -> list[_HopCookie]:
        """The cookies a request to `url` carries, in the order browsers send them."""
        # Never opened: http.cookiejar's rules read a request as urllib's, and the URL is a hop's (http or https).
        request = urllib.request.Request(url)  # noqa: S310
        sent = [
            held
            for held in self._held
            if self._rules.domain_return_ok(held.cookie.domain, request)
            and self._rules.path_return_ok(held.cookie.path, request)
            and self._rules.return_ok(held.cookie, request)
        ]
        return sorted(sent, key=lambda held: (-len(held.identity[2]), held.set_at))


def _deletes_written(deletion: httpx.Response, url: str, scope: CookieIdentity) -> bool:
    """Whether a hop's `deletion` (an answer from `url` with one Set-Cookie line as _deletion gives it) deletes the
    cookie of the Cookie header the check wrote whose scope the check knows (`scope`): browsers take the line (the hop
    rules), and it names that cookie's scope, as browsers' store holds a cookie by its name, Domain or host alone, and
    Path (RFC 6265bis 5.7). Read by name alone, a sign-out that deletes the session at the wrong Path (`Path=/old`,
    the session set for /) dropped it from a later hop under that path, where users' browsers keep sending it: a step
    asserting the signed-out page passed, and one asserting a session that stays failed."""
    taken = httpx.Cookies(CookieJar(policy=_HopCookieRules()))
    taken.extract_cookies(deletion)
    if not list(taken.jar):
        return False
    _, *attributes = deletion.headers["set-cookie"].split(";")
    read = set_cookie_attributes(attributes)
    host = (urlsplit(url).hostname or "").lower()
    domain = cookie_domain(read, host)
    return (not domain, domain or host, cookie_path(read, url)) == scope


def _add_hop_cookies(
    request: httpx.Request,
    hop_cookies: _HopCookies,
    hop_deletions: httpx.Cookies,
    gone: frozenset[str],
    written_scopes: Mapping[str, CookieIdentity],
) -> None:
    """Sends with `request` the cookies its earlier hops set that the cookie rules send there, after the cookies of
    the Cookie header its check wrote that are still held (see _written_kept), as browsers send them: a hop cookie of a
    name the check wrote whose scope it knows, of another Path or Domain, is another cookie, sent too (before it when
    its Path is longer)."""
    written = request.headers.pop("cookie", None)
    url = str(request.url)
    from_hops = hop_cookies.sent_to(url)
    kept = _written_kept(url, written or "", hop_cookies, hop_deletions, gone, written_scopes)
    if written is not None and not from_hops and len(kept) == len(_pairs(written)):
        request.headers["Cookie"] = written
        return
    pairs = list(kept)
    for held in from_hops:
        # Chromium sends the cookie of a longer Path first: a server that reads one cookie of a name reads that one.
        before = next(
            (
                index
                for index, pair in enumerate(pairs)
                if _pair_name(pair) == held.name
                and not held.nameless
                and held.name in written_scopes
                and len(written_scopes[held.name][2]) < len(held.identity[2])
            ),
            len(pairs),
        )
        pairs.insert(before, held.pair)
    if pairs:
        # None when a hop deleted every cookie the check wrote and set none: then no Cookie header, as browsers send.
        request.headers["Cookie"] = "; ".join(pairs)


def _deleted_names(url: str, hop_deletions: httpx.Cookies) -> frozenset[str]:
    """The names of the cookies a request's hops deleted (see _deletion) whose scope (Domain, Path) covers `url`."""
    probe = httpx.Request("GET", url)
    hop_deletions.set_cookie_header(probe)
    return frozenset(_pair_name(pair) for pair in _pairs(probe.headers.get("cookie", "")))


def _pairs(header: str) -> list[str]:
    """The `name=value` pairs of a Cookie header."""
    return [pair.strip() for pair in header.split(";") if pair.strip()]


def _pair_name(pair: str) -> str:
    """The name of a Cookie header's pair."""
    return pair.partition("=")[0].strip()


def _written_kept(
    url: str,
    written: str,
    hop_cookies: _HopCookies,
    hop_deletions: httpx.Cookies,
    gone: frozenset[str],
    written_scopes: Mapping[str, CookieIdentity],
) -> list[str]:
    """The pairs of a written Cookie header a request to `url` carries: those no hop deleted there (`hop_deletions`)
    or deleted whole (`gone`, see _deletes_written), nor replaced: one whose scope the check knows
    (`written_scopes`) by a hop cookie of its name and scope, wherever it goes; another by a hop cookie of its name
    that goes to `url` (as a browser's store holds the later value). A nameless hop cookie replaces none."""
    deleted = _deleted_names(url, hop_deletions) | gone
    named_here = {held.name for held in hop_cookies.sent_to(url) if not held.nameless}
    kept = []
    for pair in _pairs(written):
        name = _pair_name(pair)
        scope = written_scopes.get(name)
        replaced = hop_cookies.holds(name, scope) if scope is not None else name in named_here
        if name not in deleted and not replaced:
            kept.append(pair)
    return kept


class HttpClient:
    """One shared httpx.AsyncClient for every HTTP check, opened and closed with the app."""

    def __init__(self, policy: HttpPolicy | None = None, resolver: Resolver | None = None) -> None:
        self.policy = policy or HttpPolicy()
        self.budget = BodyBudget(self.policy.body_budget_bytes)
        # The connections every request may hold at once, taken before the clock starts: the pool's own wait for a
        # free connection was timed as the target's latency, and its timeout read as the target's connect timeout.
        self._connections = asyncio.Semaphore(self.policy.max_connections)
        self._resolver = resolver or system_resolver
        self._opened: httpx.AsyncClient | None = None
        # A check's ca_file as last loaded: its content, and its TLS context (a rotated file is loaded again).
        self._ca_contexts: dict[Path, tuple[FileVersion, ssl.SSLContext]] = {}

    @property
    def _client(self) -> httpx.AsyncClient:
        # Opened on first use: building it loads the CA bundle (tens of ms), which a Job that runs a
        # Prometheus check would pay for nothing.
        if self._opened is None:
            # httpcore imports anyio's asyncio backend on its first request (about 100 ms): imported here, before any
            # request's clock starts.
            importlib.import_module("anyio._backends._asyncio")
            self._opened = httpx.AsyncClient(
                transport=_GuardedTransport(self.policy, self._resolver),
                follow_redirects=False,
                trust_env=False,
                headers=_DEFAULT_HEADERS,
                # A request sends only the Cookie header its check wrote.
                cookies=CookieJar(policy=_NoCookies()),
            )
        return self._opened

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._opened is not None:
            await self._opened.aclose()

    def refusal(self, url: str, check_hosts: HostAllowList) -> str | None:
        """Why `url` may not be requested (scheme, user info, host lists), or None when it may."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return f"{url[:200]!r} is not a valid URL: {exc}"
        if parsed.scheme not in ("http", "https"):
            return f"scheme {parsed.scheme!r} is not http or https"
        if parsed.userinfo:
            return "the URL carries user info (user@host)"
        host = _resolved_host(parsed)
        try:
            # httpx names the host of every request it builds (its Host header) as it decodes it.
            parsed.host  # noqa: B018 (decoded for the error it may raise)
        except UnicodeError as exc:
            return (
                f"host {host!r} {_idna_problem(host, exc)}: no HTTP request can name it (httpx decodes every label of "
                "a name whose first label starts with xn--)"
            )
        if not check_hosts.allows(host):
            return f"host {host!r} is not in the check's allowed_hosts ({check_hosts})"
        if not self.policy.allowed_hosts.allows(host):
            # The setting is the service's, not the catalog's: a check's own allowed_hosts cannot widen it, so the
            # refusal says where it is set (Settings has the syntax).
            return (
                f"host {host!r} is not in the global allow-list ANALYZER_HTTP_ALLOWED_HOSTS "
                f"({self.policy.allowed_hosts}); if checks may reach it, add it to that variable where the analyzer "
                f"runs (comma-separated: {','.join((*self.policy.allowed_hosts.patterns, host))})"
                + self._networks_too(host)
            )
        return None

    def _networks_too(self, host: str) -> str:
        """For a host that is an address never dialled unless allowed (127.0.0.1), what else the operator must set:
        a host allowed by name is still refused when it is dialled, which a refusal naming the host list alone left
        to be found on the next try."""
        if ip_or_none(host.split("%", 1)[0]) is None:
            return ""
        refusal = address_refusal(host, self.policy.allowed_networks)
        if refusal is None:
            return ""
        address = address_to_allow(host, self.policy.allowed_networks)
        value = f" (comma-separated: {','.join((*map(str, self.policy.allowed_networks), address))})" if address else ""
        return f"; and, as {refusal}, add it to ANALYZER_HTTP_ALLOWED_NETWORKS too{value}"

    async def exchange(
        self,
        request: HttpRequest,
        *,
        where: str,
        check_hosts: HostAllowList,
        timeout_s: float,
        retries: int = 0,
        follow_redirects: bool = False,
        max_redirects: int = 3,
        max_body_bytes: int | None = None,
        drain_over_cap: bool = True,
        decoded_as_text: bool = False,
        ca_file: Path | None = None,
        cookies_may_go: Callable[[str, frozenset[str]], bool] | None = None,
        cookies_across: Callable[[str, str], str | None] | None = None,
        written_scopes: Mapping[str, CookieIdentity] | None = None,
    ) -> HttpExchange:
        """Send, retrying `retries` times when no connection could be made; the errors of this module. The
        exchange holds its share of the body budget until `release()` (twice the body when the caller will
        also hold it `decoded_as_text`); past the cap the rest of the body is read and counted
        (`drain_over_cap`) or the connection is closed. `ca_file` replaces certifi's CAs for https.
        `cookies_may_go(url, names)` says whether a redirect to `url` may carry the request's Cookie header with the
        cookies of those names (the others replaced by cookies the hops set); when not, the redirect is `withheld`.
        `cookies_across(url, cookie)`, the part of that Cookie header a redirect to another origin `url` carries
        (None: none, the default). `written_scopes`: the cookies of that header whose scope the check knows (a value
        captured from a cookie of that name), which only a hop's deletion of that scope deletes."""
        cap = min(max_body_bytes or self.policy.max_body_bytes, self.policy.max_body_bytes)
        copies = 2 if decoded_as_text else 1
        own_tls = _CHECK_TLS.set(None if ca_file is None else self._ca_context(ca_file, where))
        try:
            reservation = await self._admit(cap * copies, where, timeout_s)
        except BaseException:
            _CHECK_TLS.reset(own_tls)
            raise
        # What the tries that could not connect took: the request waited that long too (a connect timeout, timeout_s).
        failed_tries_s = 0.0
        try:
            for attempt in range(retries + 1):
                began = time.perf_counter()
                try:
                    exchange = await self._exchange(
                        request,
                        where,
                        check_hosts,
                        timeout_s,
                        follow_redirects,
                        max_redirects,
                        cap,
                        drain_over_cap,
                        reservation,
                        copies,
                        cookies_may_go,
                        cookies_across,
                        written_scopes or {},
                    )
                except TargetConnectFailed as exc:
                    if attempt == retries:
                        if isinstance(exc, TargetConnectTimeout):
                            raise TargetTimeout(exc.message) from None
                        raise
                    failed_tries_s += time.perf_counter() - began
                    await asyncio.sleep(RETRY_PAUSE_S * 2**attempt)
                    continue
                return replace(
                    exchange,
                    latency_ms=exchange.latency_ms + failed_tries_s * 1000,
                    connect_retries=attempt,
                    reservation=reservation,
                )
        except BaseException:
            reservation.release()
            raise
        finally:
            self._connections.release()
            _CHECK_TLS.reset(own_tls)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _admit(self, size: int, where: str, wait_s: float) -> BodyReservation:
        """The body budget a request may use and one of the service's connections (released by `exchange`), taken
        before sending within `wait_s` so that waiting never counts as latency."""
        reservation: BodyReservation | None = None
        try:
            async with asyncio.timeout(wait_s):
                reservation = await self.budget.reserve(size)
                await self._connections.acquire()
                return reservation
        except TimeoutError:
            if reservation is None:
                raise BodyBudgetExhausted(
                    f"{where}: not sent: waited {wait_s:g} s (timeout_s) for {size} bytes of response-body memory, "
                    f"but other HTTP check requests held the service-wide budget ANALYZER_HTTP_BODY_BUDGET_BYTES "
                    f"({self.budget.total_bytes} bytes)"
                ) from None
            reservation.release()
            raise ConnectionsExhausted(
                f"{where}: not sent: waited {wait_s:g} s (timeout_s) for a connection, but other HTTP check requests "
                f"held all {self.policy.max_connections} the service opens at once"
            ) from None
        except BaseException:
            if reservation is not None:
                reservation.release()
            raise

    def _ca_context(self, path: Path, where: str) -> ssl.SSLContext:
        """The TLS context that trusts only the CAs of `path`, loaded again when the file changed (a rotated bundle
        serves the next connection); CheckMisconfigured when it cannot be read or holds no certificate."""
        try:
            # A rewrite of the same size within one tick of the file system's clock leaves its stat as it was, so a
            # file changed that recently is compared by content (file_version); one changing between that look and
            # the load below is seen at the next request.
            loaded = self._ca_contexts.get(path)
            version, changed = file_version(path, loaded[0] if loaded is not None else None)
            loaded = (version, ca_context(path) if loaded is None or changed else loaded[1])
            self._ca_contexts[path] = loaded
        except ssl.SSLError as exc:
            raise CheckMisconfigured(
                f"{where}: ca_file {str(path)!r} is not a usable CA bundle: {ca_problem(exc)}", at_fault="file"
            ) from exc
        except OSError as exc:
            raise CheckMisconfigured(
                f"{where}: cannot read ca_file {str(path)!r}: {exc.strerror or exc}", at_fault="file"
            ) from exc
        return loaded[1]

    async def _exchange(
        self,
        request: HttpRequest,
        where: str,
        check_hosts: HostAllowList,
        timeout_s: float,
        follow_redirects: bool,
        max_redirects: int,
        cap: int,
        drain_over_cap: bool,
        reservation: BodyReservation,
        copies: int,
        cookies_may_go: Callable[[str, frozenset[str]], bool] | None,
        cookies_across: Callable[[str, str], str | None] | None,
        written_scopes: Mapping[str, CookieIdentity],
    ) -> HttpExchange:
        method, url, content = request.method, request.url, request.content
        headers = dict(request.headers)
        # The origin the request's Cookie header was written for: a redirect that comes back there (a sign-in check on
        # another host bouncing back) carries it again, as browsers send that origin's cookies again.
        first = httpx.URL(url)
        own_origin = (first.scheme, first.netloc)
        own_cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
        redirects: list[str] = []
        reader: _BodyReader | None = None
        # Built (on first use) before the clock starts: loading the CA bundle is no part of the target's answer, and a
        # Job's one check would count it in its first step's latency.
        client = self._client
        # Whether any of the request left on the current hop: until then a timeout is a connection never made.
        sending = False
        # Where connecting the current hop got to: a TLS handshake that stalls is named as such.
        handshaking = False
        # Cookies the hops of this request set, sent on its later hops (as a browser follows a login's redirect with its
        # session), by the cookie rules (domain, path, Secure); they live as long as the request.
        hop_cookies = _HopCookies()
        # The cookies those hops deleted, by the same rules: a deletion covers the cookie of the Cookie header the check
        # wrote too, as a browser's store deletes the session a sign-out's redirect clears (sent on, the step passed
        # where users are signed out). A cookie set again is in hop_cookies, which replaces it.
        hop_deletions = httpx.Cookies(CookieJar(policy=_HopCookieRules()))
        # The names of the written cookies whose scope the check knows that a hop deleted (see _deletes_written).
        gone: set[str] = set()

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            nonlocal sending, handshaking
            sending = sending or event.startswith("http11.send_request_headers.")
            # Not unset by `.failed`: the timeout that cancels the handshake is what makes it fail.
            if event in ("connection.start_tls.started", "connection.start_tls.complete"):
                handshaking = event.endswith(".started")

        hop = ""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    # Which hop a refusal is about: the URL the check built, or a redirect the target chose.
                    previous = redirects[-2] if len(redirects) > 1 else request.url
                    hop = f", redirect {len(redirects)} (from {_shown(previous)} to {_shown(url)})" if redirects else ""
                    refusal = self.refusal(url, check_hosts)
                    if refusal:
                        raise TargetRefused(f"{where}{hop}: refused {_shown(url)}: {refusal}")
                    try:
                        sending = handshaking = False
                        response = await self._open(
                            client,
                            method,
                            url,
                            headers,
                            content,
                            timeout_s,
                            where,
                            trace,
                            (hop_cookies, hop_deletions, frozenset(gone), written_scopes),
                        )
                    except TargetRefused as exc:
                        # Raised by the network backend, which knows the address but not the step or the hop.
                        raise TargetRefused(f"{where}{hop}: {exc.message}") from None
                    except TargetConnectFailed as exc:
                        if not redirects:
                            raise
                        # An earlier hop got the request: not retried, which would send it (a POST) again.
                        raise TargetUnreachable(f"{where}{hop}: {exc.message.removeprefix(f'{where}: ')}") from exc
                    try:
                        status, response_headers = response.status_code, response.headers
                        locations = response_headers.get_list("location")
                        location = locations[0] if locations else None
                        final = not (follow_redirects and status in _REDIRECT_STATUSES and location)
                        if not final and len(set(locations)) > 1:
                            # httpx joins them into one URL (`/a,%20/b`), which a fallback route may answer 200.
                            raise TargetBadAnswer(
                                f"{where}: invalid answer: a {status} with {len(locations)} Location lines that "
                                "differ, which browsers follow none of"
                            )
                        if final:
                            # A redirect's own body is never read: nothing judges it.
                            asked = next((v for k, v in headers.items() if k.lower() == "accept-encoding"), None)
                            reader = _BodyReader(response_headers.get("content-encoding", ""), cap, where, asked)
                            declared = _declared_length(response_headers)
                            if not reader.encoding and declared is not None:
                                reservation.shrink(declared * copies)
                            await self._read(response, reader, drain_over_cap, where)
                    finally:
                        await response.aclose()
                    if reader is not None:
                        latency_ms = (time.perf_counter() - started) * 1000
                        return HttpExchange(
                            url,
                            status,
                            response_headers,
                            reader.body,
                            reader.over_cap,
                            latency_ms,
                            tuple(redirects),
                            body_wire_bytes=reader.wire_bytes,
                            body_drained=reader.over_cap and drain_over_cap,
                        )
                    assert location is not None
                    date_s = answer_date_s(response_headers.get_list("date"))
                    for line in response_headers.get_list("set-cookie"):
                        # One line at a time, in order: http.cookiejar deletes (Max-Age=0) before it sets, so a
                        # session set then cleared by one answer was kept, where browsers keep none.
                        read = _as_browsers_read(line, url, date_s)
                        hop_cookies.take(read, status, url, response.request)
                        if "=" not in read.partition(";")[0]:
                            # A nameless cookie (RFC 6265bis 5.6: `session; Max-Age=0` is a value, its name empty)
                            # deletes no cookie the check wrote: http.cookiejar read it as the cookie `session`, and
                            # its deletion dropped a session users keep (a signed-out page passed).
                            continue
                        if (deletion := _deletion(read)) is not None:
                            deleted = httpx.Response(
                                status, headers=[("set-cookie", deletion)], request=response.request
                            )
                            name = deletion.partition("=")[0].strip()
                            if name not in written_scopes:
                                hop_deletions.extract_cookies(deleted)
                            elif _deletes_written(deleted, url, written_scopes[name]):
                                gone.add(name)
                    if len(redirects) >= max_redirects:
                        raise TargetBadAnswer(
                            f"{where}: more than {max_redirects} redirects (the last to {_shown(location)})"
                        )
                    # httpx already refused (as a protocol error) a Location it cannot join.
                    current = httpx.URL(url)
                    target = current.join(location)
                    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                        method, content = "GET", None
                        headers = {
                            k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")
                        }
                    if current.scheme == "https" and target.scheme == "http":
                        raise TargetRefused(
                            f"{where}: refused the redirect from {_shown(url)} to "
                            f"{_shown(str(target))}: it would downgrade https to http"
                        )
                    if (target.scheme, target.netloc) != (current.scheme, current.netloc):
                        if content is not None:
                            # A 307/308 re-sends the body, which may hold credentials, to whoever the target names.
                            raise TargetRefused(
                                f"{where}: refused the {status} redirect to another origin "
                                f"({_shown(str(target))}): it would re-send the request body there"
                            )
                        headers = {k: v for k, v in headers.items() if k.lower() in _CROSS_ORIGIN_HEADERS}
                        # The cookies of that Cookie header browsers send there too (a session set for the whole
                        # Domain), as the check knows them: dropped, a sign-in across subdomains failed. Read from the
                        # header as written, not as the last hop carried it: dropped on leaving, a host-only session
                        # never came back with a redirect to its host.
                        if (target.scheme, target.netloc) == own_origin:
                            carried = own_cookie
                        elif cookies_across is not None and own_cookie is not None:
                            carried = cookies_across(str(target), own_cookie)
                        else:
                            carried = None
                        if carried:
                            headers["Cookie"] = carried
                    written = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
                    if (
                        cookies_may_go is not None
                        and written is not None
                        and not cookies_may_go(
                            str(target),
                            frozenset(
                                _pair_name(pair)
                                for pair in _written_kept(
                                    str(target), written, hop_cookies, hop_deletions, frozenset(gone), written_scopes
                                )
                            ),
                        )
                    ):
                        # Browsers would not send a cookie the check wrote there: the hop is not sent, and the check
                        # says why.
                        latency_ms = (time.perf_counter() - started) * 1000
                        return HttpExchange(
                            url,
                            status,
                            response_headers,
                            b"",
                            False,
                            latency_ms,
                            tuple(redirects),
                            withheld=str(target),
                        )
                    url = str(target)
                    redirects.append(url)
        except TimeoutError:
            if not sending:
                # Nothing was sent on this hop: a name or a connection never came, or its TLS handshake stalled.
                stalled = (
                    f"the TLS handshake with {_shown_origin(url)} did not finish within timeout_s {timeout_s:g} "
                    "(the TCP connection was made)"
                    if handshaking
                    else f"no connection{f' to {_shown_origin(url)}' if redirects else ''} within timeout_s "
                    f"{timeout_s:g}"
                )
                if not redirects:
                    # Safe to try again.
                    raise TargetConnectTimeout(f"{where}: {stalled}") from None
                # An earlier hop got the request: not retried, which would send it (a POST) again.
                raise TargetTimeout(f"{where}{hop}: {stalled}") from None
            so_far = ""
            if reader is not None and reader.over_cap:
                so_far = (
                    f" (the body passed max_body_bytes {cap}; {reader.wire_bytes} bytes received so far, the "
                    "rest was being drained to time the whole answer)"
                )
            elif reader is not None and reader.wire_bytes:
                so_far = f" ({reader.wire_bytes} body bytes received so far)"
            raise TargetTimeout(f"{where}: no complete answer within timeout_s {timeout_s:g}{so_far}") from None

    @staticmethod
    async def _open(
        client: httpx.AsyncClient,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout_s: float,
        where: str,
        trace: Callable[[str, Mapping[str, Any]], Awaitable[None]],
        hops: tuple[_HopCookies, httpx.Cookies, frozenset[str], Mapping[str, CookieIdentity]],
    ) -> httpx.Response:
        """The response with its headers read and its body still on the wire; `trace` hears httpcore's events, and
        the cookies earlier hops set join its Cookie header, and those they deleted leave it (`hops`: the cookies, the
        deletions, the written cookies deleted whole and those whose scope is known, see _add_hop_cookies)."""
        with map_httpx_errors(where):
            built = client.build_request(
                method,
                url,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(timeout_s),
                extensions={"trace": trace},
            )
            _add_hop_cookies(built, *hops)
            try:
                return await client.send(built, stream=True)
            except httpx.InvalidURL as exc:
                # The request's URL was built above: what httpx cannot parse now is the answer's Location (most
                # bad ones raise RemoteProtocolError; a scheme without a host, `u:x@host/echo`, raises this).
                raise TargetBadAnswer(
                    f"{where}: invalid answer: a Location that is not a URL: {_url_problem(short_reason(exc))}"
                ) from exc
            except UnicodeError as exc:
                # httpx reads the host of every 3xx's Location, followed or not, decoding every label of a name whose
                # first label starts with xn-- with the idna package, whose IDNAError is a UnicodeError:
                # `http://xn--zz.shop.svc/` (a DNS label, but no IDNA) escaped as a crash of the check. The label at
                # fault may be another one (`Empty Label`), and the Location is gone with the answer: named in general.
                raise TargetBadAnswer(
                    f"{where}: invalid answer: a Location whose host httpx cannot decode as an internationalized "
                    "domain name (it decodes every label of a name whose first label starts with xn--): "
                    f"{short_reason(exc)}"
                ) from exc

    @staticmethod
    async def _read(response: httpx.Response, reader: _BodyReader, drain_over_cap: bool, where: str) -> None:
        """Feed the body to `reader`; past the cap, go on counting (drain) or stop."""
        with map_httpx_errors(where):
            # Raw bytes, decoded by the reader with a bound: httpx would inflate a whole chunk at once, and one
            # chunk of a gzip bomb can become many megabytes.
            async for chunk in response.aiter_raw():
                reader.feed(chunk)
                if reader.over_cap and not drain_over_cap:
                    return
            stream = response.extensions.get("network_stream")
            if isinstance(stream, _TLSStream) and stream.cut:
                # Only an answer framed by the connection's close gets here having read its end: a crash's cut was
                # judged as whole, so a body assertion could pass on the part sent.
                raise TargetBadAnswer(
                    f"{where}: invalid answer: the TLS connection ended without close_notify (cut, not closed) before "
                    "the answer's end: its body, framed by the connection's close (no Content-Length, not chunked), "
                    "may be cut there"
                )
            reader.finish()


def _resolved_host(url: httpx.URL) -> str:
    """A URL's host as it is resolved and dialled, in A-labels (`xn--bcher-kva.svc`), as host patterns are written:
    httpx's `host` decodes them (`bücher.svc`), which matched no pattern."""
    return url.raw_host.decode("ascii")


def _idna_problem(host: str, exc: UnicodeError) -> str:
    """Which label of `host` httpx could not decode as IDNA (`exc`, its error), by name: the error names none, and
    may be about a label other than the xn-- one (`Empty Label` for two dots in a row)."""
    for label in host.removesuffix(".").split("."):
        if not label:
            return "has an empty label (two dots in a row)"
        try:
            idna.decode(label)
        except UnicodeError as refused:
            kind = "A-label" if label.startswith("xn--") else "label"
            return f"has the label {label!r}, which is no IDNA {kind} ({short_reason(refused)})"
    # idna judges a name label by label, so one of them failed above; should a later idna judge the whole name too.
    return f"is no internationalized domain name ({short_reason(exc)})"


def _shown_origin(url: str) -> str:
    """`host:port` of a URL, its port written out."""
    parsed = httpx.URL(url)
    return _host_port(_resolved_host(parsed), parsed.port or (443 if parsed.scheme == "https" else 80))


def _declared_length(headers: httpx.Headers) -> int | None:
    """The Content-Length a response declares, when it is one valid number."""
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None
