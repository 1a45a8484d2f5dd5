"""The HTTP API: an aiohttp app factory that receives its settings and catalog.

Every request holds the catalog generation it started on (a reload never changes a request's catalog
half way); every route but /healthz and /readyz needs a bearer token when auth is on (/metrics too: its
labels name the checks).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
import os
import re
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict, CIMultiDictProxy, istr
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric

from analyzer.appkeys import GENERATION, HISTORY, HTTP, LIVE, METRICS, PRINCIPAL, SETTINGS, TOKENS
from analyzer.auth import ANONYMOUS, Principal, TokenStore, admission_caller, log_auth_failed
from analyzer.catalog import Catalog
from analyzer.check import Check
from analyzer.errors import AnalyzerError, ArgError, BodyTimeout, BodyTooLarge, ShuttingDown, Unauthorized
from analyzer.history import HISTORY_VERDICTS, VerdictHistory
from analyzer.inflate import WBITS, Inflater
from analyzer.live import Generation, LiveCatalog, crash_scrubber
from analyzer.metrics import Metrics
from analyzer.models import (
    CatalogListing,
    CheckSummary,
    ErrorBody,
    Evaluation,
    Outcome,
    clip,
    details_json,
    printable,
    strict_json,
)
from analyzer.params import (
    RESERVED_ARG_NAMES,
    GivenArgs,
    WrittenNumber,
    json_type,
    parse_flag,
    parse_time,
    render_value,
    repeated_arg,
    require_text,
    secret_pieces,
    shown_args,
)
from analyzer.redaction import REDACTED, credential_scrubber, is_secret_name
from analyzer.registry import Registry
from analyzer.runner import Door
from analyzer.settings import Settings
from analyzer.sources import Sources
from analyzer.sources.http import HttpClient, Resolver
from analyzer.ui.pages import is_ui_route, setup_ui, ui_guard

# As istr, header names are case-folded once, not on every answer (what aiohttp's own hdrs names do).
CATALOG_VERSION_HEADER = istr("X-Analyzer-Catalog-Version")
_REQUEST_ID_HEADER = istr("X-Request-Id")
_NO_STORE_HEADERS = CIMultiDictProxy(CIMultiDict([(hdrs.CACHE_CONTROL, "no-store")]))
_JSON_HEADERS = CIMultiDictProxy(
    CIMultiDict([(hdrs.CACHE_CONTROL, "no-store"), (hdrs.CONTENT_TYPE, "application/json")])
)
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
RUN_ROUTE = "/api/v1/checks/{name}/run"
# A number as a query or form may write one: its forms are searched for in a crash's text too (_number_texts).
_NUMBER_TEXT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Request ids only need to be unique, not secret: a per-process prefix and a counter cost nothing, where
# uuid4() asks the kernel for randomness on every request.
_REQUEST_ID_PREFIX = f"{os.getpid():x}-{os.urandom(4).hex()}"
_request_numbers = itertools.count(1)
# structlog's own context variable for the request id, taken once from the token that binding it returns (binding
# Ellipsis, structlog's "unbound", changes nothing): each request sets it directly, the variable every structlog
# function reads, without bind_contextvars' keyword dict, key formatting and lookup (about 4k instructions).
_REQUEST_ID_VAR = structlog.contextvars.bind_contextvars(request_id=...)["request_id"].var
_DEFAULT_HISTORY_LIMIT = 50
_LIMIT_RE = re.compile(r"[0-9]{1,9}")
_BEFORE_RE = re.compile(r"[0-9]{1,12}")
_WARNING_CHECK_RE = re.compile(r": check '([^']+)'")
# A composite's misspelt member names the catalog's closest check (catalog load, composite link), whoever's it is.
# A composite's cycle through other composites is spelt out check by check, whoever's they are.
_CYCLE_RE = re.compile(r"members form a cycle: ([A-Za-z0-9._-]+(?: -> [A-Za-z0-9._-]+)+)")
_SUGGESTED_CHECK_RE = re.compile(
    r"(no check named .*? in the catalog); did you mean ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\?"
)
# What a composite's member does not accept of the args mapped to it quotes the member's definition (its param
# names, a required param, an enum's values), whoever's it is.
_MEMBER_PROBLEM_RE = re.compile(
    r"(members\[[0-9]+\] \(('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\): )(?!no check named )(.*)", re.DOTALL
)

logger = structlog.get_logger("analyzer.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    settings: Settings,
    catalog: Catalog,
    registry: Registry,
    metrics: Metrics | None = None,
    http_resolver: Resolver | None = None,
) -> web.Application:
    """Build the app; ConfigError when the auth files cannot be read. Sources close on cleanup.

    `http_resolver` replaces DNS for HTTP checks (tests stub it).
    """
    metrics = metrics or Metrics()
    tokens = None if settings.auth_tokens is None else TokenStore(settings.auth_tokens, settings.auth_allow)
    # One HTTP client for the life of the app, shared by every catalog generation.
    http = HttpClient(settings.http_policy(), resolver=http_resolver)
    observe = metrics.observe_source_query
    live = LiveCatalog(
        catalog, registry, settings, metrics, make_sources=lambda new: Sources(new.sources, observe=observe, http=http)
    )
    history = VerdictHistory(settings.history_size)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[_request_server(live, history, settings.max_query_bytes, tokens)],
        # A body is decoded from its Content-Encoding by _body_bytes, which refuses one cut short: aiohttp's own
        # decoding read a gzip body cut after its header as empty (the params' defaults then used, silently), and one
        # cut before its checksum as whole. An app setting, so every server of the app (tests' too) leaves it so.
        handler_args={"auto_decompress": False},
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[HISTORY] = history
    if tokens is not None:
        app[TOKENS] = tokens
    app[HTTP] = http
    app[LIVE] = live
    app[METRICS].evaluations_queued.set_function(lambda: app[LIVE].admission.queued)
    app.cleanup_ctx.append(_live_context)
    # The run route first: aiohttp tries the routes under one path prefix in the order they were added, and
    # these three paths never match the same URL.
    app.router.add_route("GET", RUN_ROUTE, run_check)
    app.router.add_route("POST", RUN_ROUTE, run_check)
    app.router.add_get("/api/v1/checks", list_checks)
    app.router.add_get("/api/v1/checks/{name}", get_check)
    app.router.add_get("/api/v1/verdicts", list_verdicts)
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    setup_ui(app)
    return app


# Request line limit above the query-string limit, so that an over-long query gets our JSON 414.
_REQUEST_LINE_MARGIN_BYTES = 2048


def server_options(settings: Settings) -> dict[str, Any]:
    """Connection-level limits for the aiohttp server (AppRunner / TestServer keyword arguments).

    The two parser limits differ, so that the server can tell an over-long request line (414) from an
    over-long header (431). The header timeout and the connection cap are the runner's (analyzer.server).
    """
    max_line_size = settings.max_query_bytes + _REQUEST_LINE_MARGIN_BYTES
    return {
        "keepalive_timeout": settings.keepalive_timeout_s,
        "max_line_size": max_line_size,
        "max_field_size": settings.max_header_bytes + (settings.max_header_bytes == max_line_size),
        # After an answer, aiohttp reads the rest of a body the handler left unread (a GET's, a refused POST's) so
        # that the connection can serve the next request: no longer than a body may take to come (its own 10 s held
        # a connection the cap counts for a body trickled after any answer).
        "lingering_time": settings.body_read_timeout_s,
        "access_log": None,
    }


def create_probe_app(app: web.Application) -> web.Application:
    """/healthz and /readyz of `app` alone, for a listener of their own that the connection cap of the
    API port does not reach (the kubelet's probes answer even when clients hold every connection)."""
    probes = web.Application(middlewares=[_json_errors])
    probes[SETTINGS] = app[SETTINGS]
    probes[METRICS] = app[METRICS]
    probes[LIVE] = app[LIVE]
    if TOKENS in app:
        probes[TOKENS] = app[TOKENS]
    probes.router.add_get("/healthz", healthz)
    probes.router.add_get("/readyz", readyz)
    return probes


async def _live_context(app: web.Application) -> AsyncIterator[None]:
    live = app[LIVE]
    live.start()
    yield
    # After a SIGTERM the server has already waited for the drain; otherwise allow the configured time.
    await live.close(timeout_s=0 if live.draining else app[SETTINGS].shutdown_timeout_s)
    await app[HTTP].aclose()


def _request_server(
    live: LiveCatalog, history: VerdictHistory, max_query_bytes: int, tokens: TokenStore | None
) -> Middleware:
    """The API app's one middleware, holding what the app holds under LIVE, HISTORY, TOKENS and its settings' query
    limit: reading them from the app on every request cost about 2.5k instructions (aiohttp's Python `request.app`
    and mapping methods, a pydantic attribute)."""

    @web.middleware
    async def serve_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        """What every request of the API's app goes through, in this order: a request id, errors as JSON, the
        catalog generation held, authentication, then the UI's own guard for UI routes. One middleware, not five,
        and no coroutine of its own inside: each layer costs a coroutine on every request."""
        offered = request.headers.get(_REQUEST_ID_HEADER, "")
        # Most callers offer none: no regex for the empty string, which it refuses.
        request_id = (
            offered
            if offered and _REQUEST_ID_RE.fullmatch(offered)
            else f"{_REQUEST_ID_PREFIX}-{next(_request_numbers)}"
        )
        # Nothing to clear first: aiohttp runs each request in a task of its own, with a copy of its connection's
        # context, so what an earlier request bound is not seen here (tests/api/test_security.py TestLogContext). The
        # run endpoint reads it back from there for the history: the id its log lines carry, without a request item.
        _REQUEST_ID_VAR.set(request_id)
        # The generation the answer names: the one held, or the one in service for a request refused before.
        generation = live.current
        response: web.StreamResponse
        try:
            try:
                if len(request.query_string) > max_query_bytes:
                    response = error_response(
                        414, "query_too_long", f"query string is longer than {max_query_bytes} bytes"
                    )
                else:
                    # The catalog generation is pinned for the whole request. Not by `with`: it binds its two
                    # methods and packs the exit's three arguments on every request.
                    generation.hold()
                    try:
                        # The run endpoint is no UI route: no look at the route's name for it (aiohttp hands the one
                        # middleware the route's own handler).
                        run = handler is run_check
                        ui_route = not run and is_ui_route(request)
                        if tokens is None:
                            # Auth off: every caller is anonymous, and nothing is refused.
                            principal = ANONYMOUS
                            refused = None
                        else:
                            refused = _authenticate(request, tokens, ui_route)
                            principal = request.get(PRINCIPAL, ANONYMOUS)
                        if refused is not None:
                            response = refused
                        elif run:
                            # Handed what it reads, not as request items: aiohttp's `Request.__setitem__` and
                            # `__getitem__` are Python methods (about 3k instructions for the two items).
                            response = await run_evaluation(request, generation, principal, live, history)
                        else:
                            request[GENERATION] = generation
                            request[PRINCIPAL] = principal
                            if ui_route:
                                response = await ui_guard(request, handler)
                            else:
                                response = await handler(request)
                    finally:
                        generation.release()
            except AnalyzerError as exc:
                response = _refusal(request, exc)
            except web.HTTPException as exc:
                response = _http_error(request, exc)
            # Not Exceptions alone: a plugin's SystemExit or KeyboardInterrupt (never the process's own: serve
            # handles its signals) raised outside the runner (its measures_the_past(), its secret_params()) went
            # out of the event loop and stopped `analyzer serve` undrained, for every caller in flight.
            except (Exception, SystemExit, KeyboardInterrupt) as exc:
                scrub = crash_scrubber(generation, request_texts(request))
                logger.exception("request_crashed", exc_info=False, **crash_fields(request, exc, scrub))
                response = _crashed()
        except web.HTTPException as exc:
            exc.headers[_REQUEST_ID_HEADER] = request_id
            raise
        headers = response.headers
        headers[_REQUEST_ID_HEADER] = request_id
        headers[CATALOG_VERSION_HEADER] = generation.catalog.version
        return response

    return serve_request


def _authenticate(request: web.Request, tokens: TokenStore, ui_route: bool) -> web.Response | None:
    """Set the request's principal when auth is on (`tokens`); the 401 answer when no valid bearer token came.
    Health and readiness are open, and UI routes authenticate themselves with the same tokens, from a header or
    the login cookie."""
    if ui_route or request.path in OPEN_PATHS:
        request[PRINCIPAL] = ANONYMOUS
        return None
    presented = request.headers.getall("Authorization", [])
    try:
        principal = request[PRINCIPAL] = tokens.authenticate(presented)
    except Unauthorized as exc:
        request.app[METRICS].requests_rejected.labels(exc.code).inc()
        log_auth_failed(request, exc.message)
        # RFC 6750: say the scheme, and `invalid_token` when a token was presented but is not accepted.
        challenge = {"WWW-Authenticate": 'Bearer realm="analyzer"' + (', error="invalid_token"' if presented else "")}
        if _wants_text(request):
            return _text_refusal(401, exc.code, exc.message, challenge)
        return error_response(401, exc.code, exc.message, headers=challenge)
    structlog.contextvars.bind_contextvars(client=principal.name)
    return None


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Client errors and unexpected failures as JSON bodies that say what is wrong; never a crash."""
    try:
        return await handler(request)
    except AnalyzerError as exc:
        return _refusal(request, exc)
    except web.HTTPException as exc:
        return _http_error(request, exc)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # as in `serve_request`
        scrub = crash_scrubber(request.app[LIVE].current, request_texts(request))
        logger.exception("request_crashed", exc_info=False, **crash_fields(request, exc, scrub))
        return _crashed()


def _refusal(request: web.Request, exc: AnalyzerError) -> web.Response:
    """The JSON answer for an error the analyzer raised on purpose."""
    request.app[METRICS].requests_rejected.labels(exc.code).inc()
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if _wants_text(request):
        response = _text_refusal(exc.http_status, exc.code, exc.message, headers)
    else:
        response = error_response(
            exc.http_status, exc.code, exc.message, arg=getattr(exc, "arg", None), headers=headers
        )
    if isinstance(exc, BodyTimeout | ShuttingDown) or request.content.exception() is not None:
        # The rest of a stalled body would be read before the next request, and a broken one cannot be: the
        # connection closes with the answer.
        response.force_close()
        if not request.content.is_eof():
            # At once: aiohttp would linger after the answer, reading for up to the body timeout again what a client
            # that stalled is slow to send, and so hold a connection the cap counts for twice the body timeout. Its
            # own setting, which it reads per connection once the answer is written: the public one (the server's
            # `lingering_time`, server_options) is the same for every connection.
            request.protocol._lingering_time = 0.0
    return response


def _wants_text(request: web.Request) -> bool:
    """Whether the request is a run that asked for the one-line text answer: its refusals are a line too."""
    route = request.match_info.route.resource
    return route is not None and route.canonical == RUN_ROUTE and request.query.getall("format", []) == ["text"]


def _text_refusal(status: int, code: str, message: str, headers: Mapping[str, str]) -> web.Response:
    """A refusal as one line for a human, `code (status): message`, for a run asked with `format=text`."""
    response = web.Response(text=f"{code} ({status}): {printable(message)}\n", status=status)
    response.headers.update(headers)
    return response


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """The JSON answer for aiohttp's HTTP errors (404, 405, 413...); a redirect is raised again."""
    if exc.status < 400:
        raise exc
    code = re.sub(r"[^a-z0-9]+", "_", (exc.reason or "error").lower()).strip("_")
    message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    if exc.status == 413:
        message = f"request body is larger than {request.app[SETTINGS].max_body_bytes} bytes"
    if exc.status == 404:
        message = f"no route {request.method} {request.path[:200]}; " + (
            f"write it without the trailing slash: {request.path[:200].rstrip('/')}"
            if request.path.endswith("/") and _is_api_route(request.app, request.path.rstrip("/"))
            else "a check runs at /api/v1/checks/NAME/run, verdict pages for a browser are at /ui/, and GET "
            "/api/v1/openapi.json lists every route"
        )
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods)) or "no method"
        message = f"method {request.method[:20]} is not allowed on {request.path[:200]}; it allows {allowed}"
    return error_response(exc.status, code, message or exc.reason, headers=exc.headers)


def _is_api_route(app: web.Application, path: str) -> bool:
    """Whether `path` is one of the app's API routes (a run, a check, the catalog...)."""
    return path.startswith("/api/") and any(
        resource.get_info().get("path") == path or _matches(resource, path) for resource in app.router.resources()
    )


def _matches(resource: web.AbstractResource, path: str) -> bool:
    info = resource.get_info()
    pattern = info.get("pattern")
    return pattern is not None and pattern.fullmatch(path) is not None


def request_texts(request: web.BaseRequest, args: Iterable[object] = ()) -> list[str]:
    """What a crash while serving `request` may quote of the caller's secrets: its query's values (a secret arg),
    as sent and decoded, the values of its headers under a secret name (Authorization, X-Api-Key) and of its cookies,
    and the `args` it was parsed into (a body's)."""
    pairs = [pair.partition("=") for pair in request.query_string.split("&")]
    texts = [value for _, _, value in pairs] + [value for _, value in parse_qsl(request.query_string)]
    texts += [value for name, value in request.headers.items() if is_secret_name(name) or name.lower() == "cookie"]
    texts += request.cookies.values()
    # A JSON body's number or string; true and false tell nothing.
    texts += [value for value in args if isinstance(value, str)]
    numbers: list[int | float | str] = [
        value for value in args if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    texts += [text for value in [*numbers, *texts] for text in _number_texts(value)]
    return texts


def _number_texts(value: int | float | str) -> list[str]:
    """The texts a number arg may stand as in a crash's text besides the text sent: as a JSON body wrote it (`1.5e3`,
    `0.10`), as Python writes it (`1500.0`) and as a param binds and a template renders it (`1500`); none for text
    that is no number."""
    if isinstance(value, str) and not _NUMBER_TEXT_RE.fullmatch(value.strip()):
        return []
    texts = [] if isinstance(value, str) else [str(value)]
    if isinstance(value, WrittenNumber):
        texts.append(value.written)
    try:
        number = float(value)
    except OverflowError:  # an int past a float's range: bound as none, and written as str() wrote it
        return texts
    return [*texts, str(number), render_value(number)] if math.isfinite(number) else texts


def crash_fields(
    request: web.BaseRequest, exc: BaseException, scrub: Callable[[str], str] | None = None
) -> dict[str, str]:
    """What `request_crashed` logs of `exc`: the path, and the traceback as text, without the credentials they may
    quote (`scrub`, else what the request itself holds, `request_texts`), as the runner logs `check_crashed`."""
    hide = scrub if scrub is not None else credential_scrubber(request_texts(request))
    return {
        "path": hide(request.path[:200]),
        "exception": hide("".join(traceback.format_exception(exc)).rstrip("\n")),
    }


def _crashed() -> web.Response:
    """The answer to an unexpected failure (the log has its traceback)."""
    return error_response(500, "internal_error", "internal error; the log has the details")


def error_response(status: int, code: str, message: str, arg: str | None = None, headers: Any = None) -> web.Response:
    """A JSON error body: {"error": code, "message": ...}."""
    body = ErrorBody(error=code, message=message, arg=arg).model_dump(exclude_none=True)
    response = web.json_response(body, status=status)
    for name in ("Retry-After", "Allow", "WWW-Authenticate"):
        if headers is not None and name in headers:
            response.headers[name] = headers[name]
    return response


async def list_checks(request: web.Request) -> web.Response:
    """GET /api/v1/checks: the catalog (the checks this caller may use)."""
    catalog = request[GENERATION].catalog
    visible = request[PRINCIPAL].may_run(catalog)
    listing = CatalogListing(
        catalog_version=catalog.version,
        checks=[
            CheckSummary(
                name=check.name,
                kind=check.kind,
                description=check.description,
                params=check.hide_secret_params(
                    {
                        "params": {
                            name: param.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
                            | {"type": param.type.value}
                            for name, param in check.params.items()
                        }
                    }
                )["params"],
            )
            for check in catalog.checks.values()
            if visible(check.name)
        ],
    )
    return web.json_response(listing.model_dump(mode="json"))


async def get_check(request: web.Request) -> web.Response:
    """GET /api/v1/checks/{name}: one definition, secrets redacted."""
    catalog = request[GENERATION].catalog
    name = request.match_info["name"]
    check = request[PRINCIPAL].check_of(catalog, name)
    body = check.definition()
    body["sources"] = {
        name: catalog.sources[name].redacted() for name in sorted(check.source_names()) if name in catalog.sources
    }
    return web.json_response(body)


async def run_check(request: web.Request) -> web.Response:
    """GET/POST /api/v1/checks/{name}/run as the router knows it, never called: the API's middleware knows the route
    by this handler and serves it with `run_evaluation` (the generation it holds, the caller it authenticated)."""
    # The middleware sets no request items for this route, so a body serving it here could only crash.
    raise AssertionError("the run route is served by the API's middleware (run_evaluation)")


async def run_evaluation(
    request: web.Request, generation: Generation, principal: Principal, live: LiveCatalog, history: VerdictHistory
) -> web.Response:
    """Evaluate and answer with the verdict; every answer is kept in the verdict history, refusals included.
    `live` and `history`: the app's LIVE and HISTORY, handed by the middleware that holds them (read from the app,
    `request.app` and two of its Python mapping methods, on every request)."""
    caller = admission_caller(principal, request.remote)
    # A GET gives all its args and options in its query string: the raw string tells an identical request unparsed
    # (a POST's door is known once its body is read).
    query_string = request.rel_url.raw_query_string
    query: Door | None = query_string if request.method == "GET" else None
    # A body refused while read at the door (413, 408, one that does not decode): answered and recorded below, after
    # the check is resolved, as it is without overload.
    unread: AnalyzerError | None = None
    if live.admission.refuses(caller) and not live.draining:
        refused = True
        if query is None:
            # A POST identical to one in flight joins it too (Argo's web provider may POST its args): its body is
            # read, not parsed, to be told apart (the bytes aiohttp would read and drop after a refusal anyway).
            try:
                body = await _body_bytes(request)
            except AnalyzerError as exc:
                unread = exc
            else:
                query = (query_string, hash(body), len(body))
                # Asked again once the body came: meanwhile a slot may have freed, or the drain begun (its 503 closes
                # the connection to a replica that is going away, where a 429 would keep it). Not for a GET: nothing
                # was awaited, and each look is linear in the callers waiting.
                refused = live.admission.refuses(caller) and not live.draining
        # No door (None) for a body refused while read: it goes on to its refusal.
        if refused and query is not None and not generation.runner.joinable(request.match_info["name"], query):
            # Before the query or body is parsed and before the history records it: under a flood, refusing
            # costs next to nothing and cannot push real verdicts out of the history. A request identical to one in
            # flight is not refused: it joins that evaluation, which holds no slot or place in the queue of its own.
            request.app[METRICS].requests_rejected.labels("overloaded").inc()
            return _overloaded_response(request.app[SETTINGS].retry_after_s)
    name = request.match_info["name"]
    raw_args: dict[str, Any] = {}
    # How many of them the query string gave, first, when a body may give more (which follow).
    query_count: int | None = None
    check: Check | None = None
    # What the history keeps of the request, whatever its answer.
    request_id = _REQUEST_ID_VAR.get()
    catalog_version = generation.catalog.version
    client = principal.name if principal is not ANONYMOUS else None
    user_agent = request.headers.get(hdrs.USER_AGENT)
    reached = generation.catalog.reached(name)
    try:
        if live.draining:
            raise ShuttingDown(request.app[SETTINGS].retry_after_s)
        check = principal.check_of(generation.catalog, name)
        options, raw_args = _split_query(request, check)
        # A chunked body's length is known once read (as a POST's, bounded): a proxy in front (Envoy with some
        # filters, linkerd's) may make a GET that had no body a chunked one of no bytes, which is served.
        # As sent: a GET's body is never decoded, and one of no bytes is served whatever its Content-Encoding says.
        if request.method == "GET" and request.body_exists:
            if request.content_length or await _body_as_sent(request):
                # `requests.get(url, json=args)` sends one: never read, its args were dropped without a word.
                raise ArgError(
                    "a GET's body is not read, and this one has a body: give the args in the query string, or send "
                    "the body with POST"
                )
            # Asked again once its empty body ended, as a POST's is: the queue may have filled meanwhile, and a request
            # that cannot even be queued is not parsed or recorded.
            if live.admission.refuses(caller) and not generation.runner.joinable(name, query_string):
                request.app[METRICS].requests_rejected.labels("overloaded").inc()
                return _overloaded_response(request.app[SETTINGS].retry_after_s)
        if request.method == "POST":
            query_count = len(raw_args)
            if unread is not None:
                raise unread
            body = await _body_bytes(request)
            query = (query_string, hash(body), len(body))
            # Asked again once the body came, as at the door: the queue may have filled while it was read (a body sent
            # apart from its headers), and a request that cannot even be queued is not parsed or recorded.
            if live.admission.refuses(caller) and not generation.runner.joinable(name, query):
                request.app[METRICS].requests_rejected.labels("overloaded").inc()
                return _overloaded_response(request.app[SETTINGS].retry_after_s)
            for arg_name, value in _body_args(request, body).items():
                if arg_name in raw_args:
                    refusal = check.piece_refusal(request.query, arg_name, " and is also given in the body")
                    raise refusal or ArgError(
                        f"arg {arg_name!r} is given both in the query string and in the body", arg_name
                    )
                raw_args[arg_name] = value
        for arg_name, value in raw_args.items():
            # Most args are ASCII text, clean UTF-8 with no U+FFFD: no call to check them.
            if not (arg_name.isascii() and isinstance(value, str) and value.isascii()):
                _require_text(check, _given(raw_args, query_count), arg_name, value)
        # Most requests name neither option: no call to read what is not there (both default to off and json).
        explain = "explain" in options and _flag(options, "explain")
        text = "format" in options and _output_format(options) == "text"
        at = None
        if "at" in options:
            try:
                at = parse_time(options["at"])
            except ValueError as exc:
                raise ArgError(f"at: {exc}", "at") from None
        # Bound as `check.bind_args` binds them, and kept with what depends on them alone: a rollout asks again
        # with the same args at every step.
        runner = generation.runner
        try:
            plan = runner.plan(check, raw_args)
        except ArgError:
            if query_count is not None and query_count < len(raw_args):
                # Bound again knowing which args the body gave, none a piece of a value split at an '&': its refusal
                # names them. Only a refusal pays for it.
                check.bind_args(_given(raw_args, query_count))
            raise
        evaluation: Evaluation = await runner.evaluate(check, plan, at, caller, query)
    except AnalyzerError as exc:
        history.record_rejection(
            name,
            http_status=exc.http_status,
            error=exc.code,
            message=exc.message,
            args=_rejected_args(check, raw_args, query_count),
            caller=caller,
            request_id=request_id,
            catalog_version=catalog_version,
            client=client,
            user_agent=user_agent,
            reached=reached,
            kind=check.kind if check is not None else None,
        )
        raise
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # as in `serve_request`
        # A bug, not a refusal: logged here, where the args a body gave are known, so that none of them shows.
        scrub = crash_scrubber(generation, request_texts(request, raw_args.values()))
        logger.exception("request_crashed", exc_info=False, **crash_fields(request, exc, scrub))
        return _crashed()
    # By position, without a dict of them: keyword arguments cost about 5k instructions more on every answer.
    history.record_evaluation(evaluation, caller, request_id, catalog_version, client, user_agent, reached, check)
    if text:
        page = f" page={evaluation.ui_url}" if evaluation.ui_url else ""
        # With explain, the evidence under the line as `analyzer run --explain` prints it (what the JSON answer's
        # details hold, indented).
        details = strict_json(details_json(evaluation.details), indent=2).decode() + "\n" if explain else ""
        return web.Response(
            text=evaluation.to_text() + page + "\n" + details,
            status=_text_status(evaluation),
            headers=_NO_STORE_HEADERS,
        )
    # The headers copied from a ready multidict: the same two, in the same order, as from a dict and content_type.
    return web.Response(body=evaluation.json_body(explain), status=evaluation.http_status, headers=_JSON_HEADERS)


# What a run asked with format=text answers for a verdict that is not a pass but was judged (fail, inconclusive).
TEXT_NOT_PASSED_STATUS = 409


def _text_status(evaluation: Evaluation) -> int:
    """The status of a verdict's line: never a 2xx unless the verdict is pass."""
    # A line is not JSON: Argo's web provider up to v1.10.0-rc1 counts any 2xx body it cannot parse as Successful
    # whatever its conditions, and a Flagger webhook or `curl -f` reads only the status. Whoever reads the line
    # reads the verdict in it; whoever reads only the status must not read a fail as a pass.
    status = evaluation.http_status
    if 200 <= status < 300 and evaluation.verdict is not Outcome.PASS:
        return TEXT_NOT_PASSED_STATUS
    return status


def _overloaded_response(retry_after_s: int) -> web.Response:
    return web.Response(
        body=_overloaded_body(retry_after_s),
        status=429,
        content_type="application/json",
        headers={"Retry-After": str(retry_after_s)},
    )


@functools.cache
def _overloaded_body(retry_after_s: int) -> bytes:
    return json.dumps(
        {
            "error": "overloaded",
            "message": f"every evaluation slot is busy and the queue is full; retry in {retry_after_s} s",
        }
    ).encode()


def _rejected_args(check: Check | None, raw_args: dict[str, Any], query_count: int | None) -> dict[str, Any]:
    """What the history keeps of the args of a refused request for `check` (None: no check of that name)."""
    # Not in `run_evaluation`: its comprehension would make `pieces` and `declared` cells on every request.
    # The secret params asked for only here: an evaluated request shows its args through the runner.
    secret = check.secret_params() if check is not None else frozenset()
    # An arg the check does not declare may be a credential sent the wrong way (`?access_token=...`): its name
    # is what the refusal is about, its value is not kept.
    declared = check.params if check is not None else {}
    # One that follows a secret arg may be the rest of its value (split at an '&'): its name is not kept either.
    pieces = secret_pieces(declared, _given(raw_args, query_count), secret) if secret else {}
    return {
        REDACTED if k in pieces else k: v if k in declared else REDACTED
        for k, v in shown_args(raw_args, secret).items()
    }


def _given(raw_args: dict[str, Any], query_count: int | None) -> Mapping[str, Any]:
    """`raw_args` as `secret_pieces` reads them: marked when a body gave some (`GivenArgs`)."""
    return raw_args if query_count is None or query_count >= len(raw_args) else GivenArgs(raw_args, query_count)


def _require_text(check: Check, raw_args: Mapping[str, Any], name: str, value: Any) -> None:
    """`require_text`, whose refusal does not name an arg that may be the rest of a secret arg's value
    (`secret_pieces`: its name or value holds what the secret held after an '&')."""
    try:
        require_text(name, value)
    except ArgError:
        # Asked only here: most requests hold clean text.
        refusal = check.piece_refusal(raw_args, name, " and is not clean UTF-8 text")
        if refusal is None:
            raise
        raise refusal from None


def _split_query(request: web.Request, check: Check) -> tuple[dict[str, str], dict[str, Any]]:
    query = request.query
    options: dict[str, str] = {}
    args: dict[str, Any] = {}
    # One pass over the pairs, without a `getall` per key: a key given twice leaves fewer keys than pairs.
    for key, value in query.items():
        (options if key in RESERVED_ARG_NAMES else args)[key] = value
    if len(options) + len(args) != len(query):
        # The first key, in order, that is given more than once (the one a per-key look named).
        for key in query:
            values = query.getall(key)
            if len(values) > 1:
                refusal = check.piece_refusal(query, key, f" and is given {len(values)} times")
                raise refusal or repeated_arg(key, len(values))
    return options, args


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a repeated key could smuggle a second value past a proxy."""
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise ArgError(f"arg {key[:64]!r} is given twice in the body", key[:64])
        body[key] = value
    return body


def _written_float(text: str) -> float:
    """A JSON number with a fraction or exponent, with the text it was written as: a text param given `1.10` sends
    "1.1" (Param.parse refuses it)."""
    return WrittenNumber(float(text), text)


def _written_int(text: str) -> int | float:
    """A JSON number without a fraction or exponent: an int, but `-0` with its text (an int drops its sign, and a text
    param would send "0"); ArgError for one of more digits than Python reads as an int (4300), which the body was
    refused for as "not valid JSON"."""
    if text == "-0":
        return WrittenNumber(0, text)
    try:
        return int(text)
    except ValueError:
        # No param takes so long a value (text: 4096 characters at most; a number: up to about 1.8e308).
        raise ArgError(
            f"the request body holds a number of {len(text.lstrip('-'))} digits, longer than any arg takes"
        ) from None


def _no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON; Python's parser would accept them."""
    raise ValueError(f"{name} is not valid JSON")


async def _body_bytes(request: web.Request) -> bytes:
    """The request's body decoded from its Content-Encoding (_decoded)."""
    return _decoded(
        await _body_as_sent(request),
        request.headers.getall(hdrs.CONTENT_ENCODING, []),
        request.app[SETTINGS].max_body_bytes,
    )


async def _body_as_sent(request: web.Request) -> bytes:
    """The request's body as received, read once: aiohttp keeps it."""
    settings = request.app[SETTINGS]
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise BodyTooLarge(f"request body is larger than {settings.max_body_bytes} bytes")
    try:
        # A client that stalls half way through its body must not hold the request open for ever.
        async with asyncio.timeout(settings.body_read_timeout_s):
            raw = await request.read()
    except TimeoutError:
        raise BodyTimeout(f"the request body did not arrive within {settings.body_read_timeout_s:g} s") from None
    except web.HTTPRequestEntityTooLarge:
        raise BodyTooLarge(f"request body is larger than {settings.max_body_bytes} bytes") from None
    except web.RequestPayloadError:
        # Its framing broken (a chunk cut short): the client's mistake, not a crash. Nothing more of it can be read:
        # marked as ended, so that aiohttp does not read on after the answer (and log the same error again as an
        # unhandled exception); the connection closes after the answer.
        request.content.feed_eof()
        raise ArgError("the request body is broken (its chunks cut short or malformed); send it whole") from None
    return raw


def _decoded(raw: bytes, encodings: list[str], cap_bytes: int) -> bytes:
    """`raw` decoded from the Content-Encoding `encodings` (none or identity: as it is), at most `cap_bytes`, as
    analyzer.inflate accepts it; ArgError for a body cut before its end marker, corrupt, followed by other bytes,
    or in an encoding not decoded."""
    encoding = ",".join(encodings).strip().lower()
    if encoding in ("", "identity"):
        return raw
    shown = printable(clip(encoding, 40))
    if encoding not in WBITS:
        # Before, an encoding aiohttp did not know was read as no encoding at all, and br or zstd refused as
        # "malformed HTTP request".
        raise ArgError(
            f"the request body's Content-Encoding {shown!r} is not decoded: send it as gzip, deflate, or without one"
        )
    faults = {
        "corrupt": f"the request body does not decode as its Content-Encoding {shown!r}; send a flat JSON object "
        "of args",
        "cut": f"the request body was cut short: its {shown} stream ends before its end marker; send it whole",
        "trailing": f"the request body has bytes after the end marker of its {shown} stream",
    }
    inflater = Inflater(encoding, lambda fault: ArgError(faults[fault]))
    # One byte past the cap tells a body over it (a gzip bomb costs no more than the cap).
    body = inflater.feed(raw, cap_bytes)
    if len(body) <= cap_bytes:
        body += inflater.finish(cap_bytes - len(body))
    if len(body) > cap_bytes:
        raise BodyTooLarge(f"request body is larger than {cap_bytes} bytes once decoded from {shown}")
    return body


def _body_args(request: web.Request, raw: bytes) -> dict[str, Any]:
    """The args of a POST whose body `raw` is: a flat JSON object of strings and numbers."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(
            raw,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constants,
            parse_float=_written_float,
            parse_int=_written_int,
        )
    except (ValueError, UnicodeDecodeError) as exc:
        if request.content_type == "application/x-www-form-urlencoded":
            # What `curl -d 'canary_hash=c0ffee1'` sends: its default Content-Type, a form.
            raise ArgError(
                "the request body is a form (Content-Type application/x-www-form-urlencoded, what curl -d sends), "
                'not JSON; send a flat JSON object of args: curl --json \'{"KEY": "VALUE"}\', or -H '
                "'Content-Type: application/json' -d '{\"KEY\": \"VALUE\"}'"
            ) from None
        if isinstance(exc, json.JSONDecodeError) and (
            exc.msg.startswith("Unterminated string") or 0 < len(exc.doc.rstrip()) <= exc.pos
        ):
            # `{"canary_hash": "c0f`: what a body cut short reads as (its Content-Length cut with it).
            raise ArgError(
                "the request body ends before its JSON does: the body was cut short, or the JSON is; send a flat "
                "JSON object of args whole"
            ) from None
        raise ArgError("the request body is not valid JSON; send a flat JSON object of args") from None
    except RecursionError:
        raise ArgError(
            "the request body nests arrays or objects too deeply to read; send a flat JSON object of args"
        ) from None
    if not isinstance(body, dict):
        raise ArgError(f"the request body must be a flat JSON object of args, not {json_type(body)}")
    for name, value in body.items():
        if name in RESERVED_ARG_NAMES:
            raise ArgError(f"{name!r} goes in the query string, not in the body", name)
        if isinstance(value, dict | list) or value is None or isinstance(value, bool):
            # `{"args": {...}}`, as some clients wrap them: the body is the args themselves.
            wrapped = '; the body is the args themselves, flat: {"KEY": "VALUE"}' if isinstance(value, dict) else ""
            raise ArgError(f"arg {name!r} must be a string or a number, got {json_type(value)}{wrapped}", name)
    return body


def _flag(options: dict[str, str], name: str) -> bool:
    value = options.get(name)
    return False if value is None else parse_flag(name, value)


def _output_format(options: dict[str, str]) -> str:
    value = options.get("format", "json")
    if value not in ("json", "text"):
        raise ArgError(f"format must be json or text, got {value[:40]!r}", "format")
    return value


async def list_verdicts(request: web.Request) -> web.Response:
    """GET /api/v1/verdicts: the latest answers of the run endpoint, newest first."""
    history = request.app[HISTORY]
    options = {key: request.query.getall(key) for key in request.query}
    for key, values in options.items():
        if key not in ("check", "verdict", "limit", "before", "explain"):
            raise ArgError(
                f"unknown query parameter {key[:64]!r} (known: check, verdict, limit, before, explain)", key[:64]
            )
        if len(values) > 1:
            raise ArgError(f"{key!r} is given {len(values)} times; give it once", key)
    if request.query.get("check") == "":
        raise ArgError("check must name a check (it is empty); leave it out to list every check", "check")
    verdict = request.query.get("verdict")
    if verdict is not None and verdict not in HISTORY_VERDICTS:
        raise ArgError(f"verdict must be one of {', '.join(HISTORY_VERDICTS)}, got {verdict[:40]!r}", "verdict")
    limit_text = request.query.get("limit", str(min(_DEFAULT_HISTORY_LIMIT, history.capacity)))
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not _LIMIT_RE.fullmatch(limit_text) or not 1 <= int(limit_text) <= history.capacity:
        raise ArgError(f"limit must be a whole number from 1 to {history.capacity}, got {limit_text[:40]!r}", "limit")
    before = _before(request.query.get("before"), history)
    explain = _flag({k: v[0] for k, v in options.items()}, "explain")
    principal = request[PRINCIPAL]
    entries = [
        entry.seen_by(principal).to_json(explain)
        for entry in history.query(
            check=request.query.get("check"),
            verdict=verdict,
            limit=int(limit_text),
            visible=principal.may_run(request[GENERATION].catalog),
            before=before,
        )
    ]
    check = request.query.get("check")
    if check is not None and not entries:
        _require_known_check(check, request[GENERATION].catalog, history, principal)
    body = {"capacity": history.capacity, "count": len(entries), "entries": entries}
    return web.Response(
        body=strict_json(body), content_type="application/json", charset="utf-8", headers={"Cache-Control": "no-store"}
    )


def _before(text: str | None, history: VerdictHistory) -> int | None:
    """The `before` of GET /api/v1/verdicts: an entry's `seq` of this history; None when not given."""
    if text is None:
        return None
    # ASCII digits only, at most 12 as an entry's number.
    if not _BEFORE_RE.fullmatch(text):
        raise ArgError(f"before must be an entry's seq (a whole number), got {text[:40]!r}", "before")
    if not history.numbered(int(text)):
        # Listed as empty, a page behind a Service reaching another replica would read as the end of the history.
        raise ArgError(
            f"before {text} is no seq of this replica's history: a number of another replica, or from before a "
            "restart (each keeps its own history, numbered from its own start)",
            "before",
        )
    return int(text)


def _require_known_check(name: str, catalog: Catalog, history: VerdictHistory, principal: Principal) -> None:
    """ArgError when `name` is neither a check of the catalog nor one the history holds answers of: a misspelt
    `check` filter listed nothing, read as "no answer of that check on this replica". A name the caller may not use
    is left alone, as the run endpoint decides by name before it asks the catalog."""
    if name in catalog.checks or not principal.may_use(name):
        return
    visible = principal.may_run(catalog)
    # Every verdict of it, the refusals of a misspelt name in a template included: `rejected` lists those.
    if history.query(check=name, limit=1, visible=visible):
        return
    close = catalog.closest(name, visible)
    raise ArgError(
        f"check {name[:128]!r} names no check of the catalog (GET /api/v1/checks lists them) and no answer in this "
        "replica's history" + (f"; did you mean {close!r}?" if close else ""),
        "check",
    )


async def openapi(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json, generated from the models and this catalog's params."""
    generation = request[GENERATION]
    may_run = request[PRINCIPAL].may_run(generation.catalog)
    visible = frozenset(name for name in generation.catalog.checks if may_run(name))
    return web.Response(body=await generation.openapi_body(visible), content_type="application/json", charset="utf-8")


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: a catalog is serving (the last good one if a reload was rejected); 503 while draining.

    The route is open for probes; with auth on, the details that name files and checks (warnings,
    reload problems) are shown only to a caller with a valid token.
    """
    live = request.app[LIVE]
    generation = request.get(GENERATION) or live.current
    catalog = generation.catalog
    settings = request.app[SETTINGS]
    tokens = request.app.get(TOKENS)
    reload_status = live.status.as_json()
    body: dict[str, Any] = {
        "status": "draining" if live.draining else "ready",
        "catalog_version": catalog.version,
        "checks": len(catalog.checks),
        "evaluations_in_flight": live.admission.running,
        "catalog": {
            "poll_s": settings.catalog_poll_s,
            "loaded_at": reload_status["loaded_at"],
            "reloads": reload_status["reloads"],
            "reload_failing": reload_status["last_error"] is not None,
        },
        "auth": {"enabled": tokens is not None, "usable": tokens is None or tokens.usable()},
    }
    principal = ANONYMOUS if tokens is None else _principal(tokens, request)
    notes = tokens.notes() if tokens is not None else []
    if notes:
        # Usable, but not as configured (a token file ignored, an allow-list that does not validate): named, as
        # they name tokens, only to a caller that may use every check.
        body["auth"]["problems"] = notes if principal is not None and principal.unrestricted else len(notes)
    if principal is not None:
        # Warnings and reload problems name checks (and quote their definitions): a caller restricted by the
        # allow-list sees those of its own checks only.
        body["warnings"] = [_its_to_read(principal, w) for w in catalog.warnings if _about_its_checks(principal, w)]
        last_error = reload_status["last_error"]
        if last_error is not None and not principal.unrestricted:
            last_error = last_error | {
                "problems": [
                    _its_to_read(principal, p) for p in last_error["problems"] if _about_its_checks(principal, p)
                ]
            }
        body["catalog"].update(path=str(settings.catalog) if settings.catalog else None, last_error=last_error)
        # Whether each source answered its probe; what it said (its url, an upstream error quoted) only to a
        # caller that may use every check, as a source is no one team's.
        sources = generation.probes.as_json(with_messages=principal.unrestricted)
        if not principal.unrestricted:
            # As with warnings: another team's sources (their names, that they fail) are not this caller's.
            read = _sources_read(principal, catalog)
            sources = {name: state for name, state in sources.items() if name in read}
        body["sources"] = sources
    return web.json_response(body, status=503 if live.draining else 200)


def _sources_read(principal: Principal, catalog: Catalog) -> frozenset[str]:
    """The names of the sources that the checks `principal` may run read."""
    may_run = principal.may_run(catalog)
    return frozenset(
        source for name, check in catalog.checks.items() if may_run(name) for source in check.source_names()
    )


def _about_its_checks(principal: Principal, finding: str) -> bool:
    """Whether a catalog warning or problem is the caller's to read: it names a check the caller may use (one
    that names none, such as a file's YAML error, is an unrestricted caller's only)."""
    return principal.unrestricted or any(principal.may_use(name) for name in _WARNING_CHECK_RE.findall(finding))


def _its_to_read(principal: Principal, finding: str) -> str:
    """A warning or problem of the caller's checks without the suggestion of a check it may not use, nor a
    cycle through such checks spelt out, nor what such a check's params are."""
    if principal.unrestricted:
        return finding
    finding = _CYCLE_RE.sub(
        lambda found: (
            found.group(0)
            if all(principal.may_use(name) for name in found.group(1).split(" -> "))
            else "members form a cycle through checks this token may not use"
        ),
        finding,
    )
    finding = _MEMBER_PROBLEM_RE.sub(
        lambda found: (
            found.group(0)
            if _plain_name_it_may_use(principal, found.group(2))
            else f"{found.group(1)}the args mapped to it do not fit its params, which this token may not read"
        ),
        finding,
    )
    return _SUGGESTED_CHECK_RE.sub(
        # A name quoted with escapes (it holds a quote) is left out too: fail closed rather than parse Python reprs.
        lambda found: found.group(0) if _plain_name_it_may_use(principal, found.group(2)) else found.group(1),
        finding,
    )


def _plain_name_it_may_use(principal: Principal, quoted: str) -> bool:
    return quoted[0] == "'" and "\\" not in quoted and principal.may_use(quoted[1:-1])


def _principal(tokens: TokenStore, request: web.Request) -> Principal | None:
    try:
        return tokens.authenticate(request.headers.getall("Authorization", []))
    except Unauthorized:
        return None


async def metrics_endpoint(request: web.Request) -> web.Response:
    """The service's own metrics in the Prometheus text format; with auth on, a caller restricted by the
    allow-list sees the series of its own checks and their sources only (as /readyz shows it their warnings and
    sources only)."""
    metrics = request.app[METRICS]
    principal = request[PRINCIPAL]
    # The scraper's token is normally "*": nothing to filter.
    if principal.unrestricted:
        body = generate_latest(metrics.registry)
    else:
        catalog = request[GENERATION].catalog
        may_run = principal.may_run(catalog)
        body = generate_latest(
            _VisibleTo(
                metrics.registry,
                # A composite's counts carry the verdicts of every check it ran, members a reload dropped included.
                lambda check: may_run(check) and all(map(principal.may_use, metrics.reach_counted(check))),
                _sources_read(principal, catalog),
            )
        )
    response = web.Response(body=body)
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


class _VisibleTo:
    """A collector view of `registry` without the samples labelled with checks that are not `visible`, nor with
    sources not in `sources`."""

    def __init__(self, registry: Any, visible: Callable[[str], bool], sources: frozenset[str]) -> None:
        self.registry = registry
        self.visible = visible
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for metric in self.registry.collect():
            metric.samples = [
                sample
                for sample in metric.samples
                if ("check" not in sample.labels or self.visible(sample.labels["check"]))
                and ("source" not in sample.labels or sample.labels["source"] in self.sources)
            ]
            yield metric
