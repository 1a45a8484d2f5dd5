"""The one outbound HTTP client of HTTP checks: allow-listed host names, checked peer addresses, capped
bodies, redirects only when asked and re-checked at every hop. httpx errors are translated here."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpcore
import httpx

from analyzer.errors import (
    CheckError,
    CheckMisconfigured,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
    short_reason,
)
from analyzer.sources.httppolicy import HostAllowList, HttpPolicy, address_refusal, ip_or_none

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Turns (host name, port) into IP address strings; raises OSError (socket.gaierror) when it cannot."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# The only request headers a redirect carries to another origin: every other header the check set may be a
# credential under a name we cannot recognise (X-Api-Key, X-Vault-Tok...).
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-encoding", "user-agent"})
_RETRY_PAUSE_S = 0.1
# Encodings we decode ourselves, with a bound (wbits for zlib: 16+ is gzip, plain is zlib-wrapped deflate).
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class TargetUnreachable(SourceUnavailable):
    """The target could not be reached, or the connection broke during the exchange."""

    code = "target_unreachable"


class TargetConnectFailed(TargetUnreachable):
    """No connection was made (DNS failure, refused, connect timeout): safe to retry, nothing was sent."""

    code = "target_unreachable"


class TargetTimeout(SourceTimeout):
    """The target accepted the request but no complete answer came within the timeout."""

    code = "target_timeout"


class TargetBadAnswer(SourceRejected):
    """The target answered with something that is not valid HTTP (or too many redirects)."""

    code = "target_bad_answer"


class TargetRefused(CheckError):
    """The analyzer refused to send the request: the host or its address is not allowed."""

    code = "target_refused"
    http_status = 500


@contextmanager
def map_httpx_errors(where: str) -> Iterator[None]:
    """Translate every httpx exception into the analyzer's errors; `where` names the request."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        reason = short_reason(exc)
        # Our network backend already says "cannot connect to host:port"; other connect errors do not.
        prefix = "" if reason.startswith("cannot connect") else "cannot connect: "
        raise TargetConnectFailed(f"{where}: {prefix}{reason}") from exc
    except httpx.TimeoutException as exc:
        raise TargetTimeout(f"{where}: timed out ({type(exc).__name__}): {short_reason(exc)}") from exc
    except httpx.ProxyError as exc:
        raise TargetUnreachable(f"{where}: proxy failed: {short_reason(exc)}") from exc
    except httpx.NetworkError as exc:
        raise TargetUnreachable(f"{where}: the connection failed: {short_reason(exc)}") from exc
    except (httpx.ProtocolError, httpx.DecodingError, httpx.TooManyRedirects, httpx.HTTPStatusError) as exc:
        raise TargetBadAnswer(f"{where}: invalid answer: {short_reason(exc)}") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError) as exc:
        raise CheckMisconfigured(
            f"{where}: cannot send the request: {type(exc).__name__}: {short_reason(exc)}") from exc
    except httpx.HTTPError as exc:
        raise TargetUnreachable(f"{where}: request failed: {type(exc).__name__}: {short_reason(exc)}") from exc



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

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        refusals = [r for r in (address_refusal(a, self._policy.allowed_networks) for a in addresses) if r]
        if refusals:
            raise TargetRefused(f"refused to connect to {host}: it resolves to {refusals[0]}; add the network to "
                                "ANALYZER_HTTP_ALLOWED_NETWORKS to allow it")
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                       socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            await self._check_peer(stream, host)
            return stream
        assert last_error is not None
        # anyio says "All connection attempts failed", which names neither the target nor the cause.
        tried = "" if addresses == [host.strip("[]")] else f" ({', '.join(addresses)})"
        raise type(last_error)(f"cannot connect to {_host_port(host, port)}{tried}: {_os_reason(last_error)}"
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
        refusal = "the peer address is unknown" if not peer else address_refusal(
            str(peer[0]), self._policy.allowed_networks)
        if refusal:
            await stream.aclose()
            raise TargetRefused(f"refused the connection to {host}: {refusal}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("HTTP checks never connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


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
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=policy.max_connections,
            network_backend=_GuardedBackend(policy, resolver))


@dataclass(frozen=True)
class HttpRequest:
    """One request to send: method, absolute URL (already escaped), headers and body."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None


@dataclass(frozen=True)
class HttpExchange:
    """What came back: final status, headers and (capped) body, the time it took and the hops."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    body_truncated: bool
    latency_ms: float
    redirects: tuple[str, ...] = ()
    connect_retries: int = 0


def _shown(url: str) -> str:
    """A URL for an error message: no query string (it may carry secrets), at most 200 characters."""
    return url.split("?", 1)[0][:200]


def _decode_bounded(raw: bytes, encoding: str, cap: int, where: str) -> tuple[bytes, bool]:
    """The body decoded from its Content-Encoding, at most `cap` bytes, and whether there was more."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw, False
    if encoding not in _ZLIB_WBITS:
        raise TargetBadAnswer(f"{where}: the body has Content-Encoding {encoding!r}; only gzip and deflate are "
                              "decoded (the request asked for those)")
    try:
        decoder = zlib.decompressobj(_ZLIB_WBITS[encoding])
        body = decoder.decompress(raw, cap + 1)
    except zlib.error:
        if encoding != "deflate":
            raise TargetBadAnswer(f"{where}: the {encoding} body is corrupt") from None
        # Some servers send raw deflate without the zlib header that RFC 9110 asks for.
        try:
            decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            body = decoder.decompress(raw, cap + 1)
        except zlib.error:
            raise TargetBadAnswer(f"{where}: the deflate body is corrupt") from None
    more = len(body) > cap or bool(decoder.unconsumed_tail)
    return body[:cap], more


class HttpClient:
    """One shared httpx.AsyncClient for every HTTP check, opened and closed with the app."""

    def __init__(self, policy: HttpPolicy | None = None, resolver: Resolver | None = None) -> None:
        self.policy = policy or HttpPolicy()
        self._resolver = resolver or system_resolver
        self._opened: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        # Opened on first use: building it loads the CA bundle (tens of ms), which a Job that runs a
        # Prometheus check would pay for nothing.
        if self._opened is None:
            self._opened = httpx.AsyncClient(transport=_GuardedTransport(self.policy, self._resolver),
                                             follow_redirects=False, trust_env=False,
                                             headers={"Accept-Encoding": "gzip, deflate"})
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
        host = parsed.host
        if not check_hosts.allows(host):
            return f"host {host!r} is not in the check's allowed_hosts ({check_hosts})"
        if not self.policy.allowed_hosts.allows(host):
            return (f"host {host!r} is not in the global allow-list ANALYZER_HTTP_ALLOWED_HOSTS "
                    f"({self.policy.allowed_hosts})")
        return None

    async def exchange(self, request: HttpRequest, *, where: str, check_hosts: HostAllowList, timeout_s: float,
                       retries: int = 0, follow_redirects: bool = False, max_redirects: int = 3,
                       max_body_bytes: int | None = None) -> HttpExchange:
        """Send, retrying `retries` times when no connection could be made; the errors of this module."""
        cap = min(max_body_bytes or self.policy.max_body_bytes, self.policy.max_body_bytes)
        for attempt in range(retries + 1):
            try:
                exchange = await self._exchange(request, where, check_hosts, timeout_s, follow_redirects,
                                                max_redirects, cap)
            except TargetConnectFailed:
                if attempt == retries:
                    raise
                await asyncio.sleep(_RETRY_PAUSE_S * 2 ** attempt)
                continue
            return replace(exchange, connect_retries=attempt)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _exchange(self, request: HttpRequest, where: str, check_hosts: HostAllowList, timeout_s: float,
                        follow_redirects: bool, max_redirects: int, cap: int) -> HttpExchange:
        method, url, content = request.method, request.url, request.content
        headers = dict(request.headers)
        redirects: list[str] = []
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
                        status, response_headers, body, truncated = await self._send_once(
                            method, url, headers, content, timeout_s, cap, where)
                    except TargetRefused as exc:
                        # Raised by the network backend, which knows the address but not the step or the hop.
                        raise TargetRefused(f"{where}{hop}: {exc.message}") from None
                    location = response_headers.get("location")
                    if not (follow_redirects and status in _REDIRECT_STATUSES and location):
                        latency_ms = (time.perf_counter() - started) * 1000
                        return HttpExchange(url, status, response_headers, body, truncated, latency_ms,
                                            tuple(redirects))
                    if len(redirects) >= max_redirects:
                        raise TargetBadAnswer(f"{where}: more than {max_redirects} redirects "
                                              f"(the last to {location[:200]})")
                    # httpx already refused (as a protocol error) a Location it cannot join.
                    current = httpx.URL(url)
                    target = current.join(location)
                    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                        method, content = "GET", None
                        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type",
                                                                                          "content-length")}
                    if current.scheme == "https" and target.scheme == "http":
                        raise TargetRefused(f"{where}: refused the redirect from {_shown(url)} to "
                                            f"{_shown(str(target))}: it would downgrade https to http")
                    if (target.scheme, target.netloc) != (current.scheme, current.netloc):
                        if content is not None:
                            # A 307/308 re-sends the body, which may hold credentials, to whoever the target names.
                            raise TargetRefused(f"{where}: refused the {status} redirect to another origin "
                                                f"({_shown(str(target))}): it would re-send the request body there")
                        headers = {k: v for k, v in headers.items() if k.lower() in _CROSS_ORIGIN_HEADERS}
                    url = str(target)
                    redirects.append(url)
        except TimeoutError:
            raise TargetTimeout(f"{where}: no complete answer within timeout_s {timeout_s:g}") from None

    async def _send_once(self, method: str, url: str, headers: Mapping[str, str], content: bytes | None,
                         timeout_s: float, cap: int, where: str) -> tuple[int, httpx.Headers, bytes, bool]:
        with map_httpx_errors(where):
            built = self._client.build_request(method, url, headers=headers, content=content,
                                               timeout=httpx.Timeout(timeout_s))
            response = await self._client.send(built, stream=True)
            try:
                # Raw bytes, decoded below with a bound: httpx would inflate a whole chunk at once, and one
                # chunk of a gzip bomb can become many megabytes.
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > cap:
                        break
            finally:
                await response.aclose()
        raw = b"".join(chunks)
        body, truncated = _decode_bounded(raw[:cap], response.headers.get("content-encoding", ""), cap, where)
        return response.status_code, response.headers, body, truncated or size > cap
