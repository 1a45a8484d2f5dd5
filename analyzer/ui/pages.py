"""The UI's routes: the catalog and recent verdicts, a check's page with its form, a verdict page, login.

Same auth as the API (the token store of analyzer.auth): a bearer header, or the sign-in of a browser that gave the
login form a token, kept in an HttpOnly SameSite=Strict cookie signed with the token (never the token itself). A
POST must come from a page of this origin. Every page is sent with a Content-Security-Policy that forbids scripts,
inline styles and framing.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from aiohttp.web_request import FileField
from markupsafe import Markup, escape
from multidict import MultiDictProxy

from analyzer.appkeys import GENERATION, HISTORY, LIVE, PRINCIPAL, SETTINGS, TOKENS
from analyzer.auth import (
    ANONYMOUS,
    SESSION_MAX_AGE_S,
    Principal,
    admission_caller,
    is_sign_in,
    log_auth_failed,
    session_cookie,
)
from analyzer.catalog import Catalog
from analyzer.check import Check
from analyzer.errors import (
    AnalyzerError,
    ArgError,
    BodyTimeout,
    CheckMisconfigured,
    CheckNotFound,
    Forbidden,
    Overloaded,
    ShuttingDown,
    Unauthorized,
)
from analyzer.history import HISTORY_VERDICTS, ListedRow, ListPage, Recorded, VerdictHistory
from analyzer.models import (
    Evaluation,
    clip,
    format_number,
    format_threshold,
    format_time,
    format_value,
    json_safe,
    printable,
    shown,
)
from analyzer.params import RESERVED_ARG_NAMES, parse_time, require_text
from analyzer.redaction import REDACTED
from analyzer.sources import SourceConfig
from analyzer.ui.figures import Evidence, Figure, figures
from analyzer.ui.links import UI_PREFIX, arg_text, verdict_path

logger = structlog.get_logger("analyzer.ui")

ROUTE_PREFIX = "ui."
COOKIE = "analyzer_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_OPEN_ROUTES = frozenset({"ui.login", "ui.login_post", "ui.logout", "ui.static", "ui.root"})
_STATIC = Path(__file__).parent / "static"
# Answers a page of the history list shows, and the most it may be asked to (`limit`): 100 rows are about 1,700
# elements; the whole history (1,000 answers by default) was about 17,000, on one page.
_PAGE_SIZE, _PAGE_MOST = 50, 100
# The query parameters each GET page reads (a run page reads them all, as the check's args): any other is named
# on the page, so that a misspelt `chek=` does not silently show the whole history. Not on the sign-in page: it shows
# nothing a parameter could filter, and a link's made-up name ("Session expired, paste your token at ...") would be
# shown where a token is asked for.
_PAGE_PARAMETERS = {
    "ui.index": ("check", "verdict", "limit", "before"),
    "ui.check": (),
    "ui.verdict": (),
}
_IGNORED_NAMED = 5
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_LIMIT_RE = re.compile(r"[0-9]{1,9}")
# An answer's number: at most 12 digits, as the route of /ui/verdicts/N takes them.
_CURSOR_RE = re.compile(r"[0-9]{1,12}")
# A recorded answer whose recording is within its duration and the reuse window of its evaluation time, and this
# much more (a busy loop between the end and the recording), shows one time: it was evaluated as of then.
_CLOCK_SLACK_S = 1.0
# An Argo measurement's `startedAt` is in whole seconds and taken before its request, which the analyzer dates as it
# arrives: an address built from it names no answer to the millisecond, so a page evaluating it again names the
# answers held this near it (a controller's clock a little apart from the analyzer's too), the nearest first.
_NEAR_S = 60.0
_NEAR_SHOWN = 5


def is_ui_route(request: web.Request) -> bool:
    """Whether the request matched a UI route (which authenticates itself, cookie included)."""
    name = request.match_info.route.name
    return name is not None and name.startswith(ROUTE_PREFIX)


def setup_ui(app: web.Application) -> None:
    """Add the UI's routes and templates to the API's app (the API's middleware calls `ui_guard` for them)."""
    environment = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader("analyzer.ui", "templates"), autoescape=True, finalize=_shown_value
    )
    environment.filters["number"] = _number_text
    environment.filters["exact"] = _exact_text
    app.router.add_get("/ui", _root, name="ui.root")
    app.router.add_get("/ui/", index, name="ui.index")
    app.router.add_get("/ui/login", login_form, name="ui.login")
    app.router.add_post("/ui/login", login, name="ui.login_post")
    app.router.add_post("/ui/logout", logout, name="ui.logout")
    app.router.add_get("/ui/checks/{name}", check_page, name="ui.check")
    app.router.add_get("/ui/checks/{name}/run", run_page, name="ui.run")
    # The form of a check with secret args posts them: in a query string they would stay in the URL.
    app.router.add_post("/ui/checks/{name}/run", run_page, name="ui.run_post")
    app.router.add_get("/ui/verdicts/{seq:[0-9]{1,12}}", verdict_page, name="ui.verdict")
    app.router.add_static("/ui/static/", _STATIC, name="ui.static", append_version=False)


def _shown_value(value: object) -> object:
    """Every value a template writes, text with its control and bidi characters shown as escapes (a label value's
    U+202E would reverse the rest of the reason); markup (the plots) made them visible itself."""
    return shown(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _exact_text(value: object) -> Markup:
    """A form field's value as it is, HTML-escaped but not shown as escapes: submitted again, it must be the
    text that was sent, not the escapes' text."""
    return escape(value)


def _number_text(value: object) -> str:
    """A number as the reasons write it; anything else as it is (None as nothing)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_number(float(value))
    return "" if value is None else str(value)


async def ui_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, origin check and security headers for a UI route (the API's middleware calls it for those);
    errors as HTML pages."""
    try:
        if request.method == "POST":
            _require_same_origin(request)
        if request.match_info.route.name not in _OPEN_ROUTES:
            request[PRINCIPAL] = _authenticate(request)
        response: web.StreamResponse = await handler(request)
    except Unauthorized as exc:
        # A browser goes to the login form (a link checker's HEAD too, as a GET would); a client that sent a bearer
        # token gets the 401 it expects.
        if request.method in ("GET", "HEAD") and "Authorization" not in request.headers:
            response = _see_other(f"/ui/login?next={quote(_next_without_secrets(request), safe='')}")
            cookie = request.cookies.get(COOKIE)
            if cookie is not None and not is_sign_in(cookie):
                # From before sessions were signed, it holds a token: the browser forgets it. A sign-in is kept:
                # refused for the server's reason (a token file being replaced, a replica yet to read a new token),
                # it works again once that passes; expired, the browser drops it itself.
                response.del_cookie(COOKIE, path=UI_PREFIX)
        else:
            response = _error_page(request, exc.http_status, exc.message)
    except AnalyzerError as exc:
        response = _error_page(request, exc.http_status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            exc.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            raise
        response = _error_page(request, exc.status, exc.reason)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.match_info.route.name != "ui.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _next_without_secrets(request: web.Request) -> str:
    """The page a sign-in goes back to: the page asked for, each value of its query shown only under a name the page
    reads that holds no secret (a param its check declares and does not hide, `at`, a listing's filter), any other
    as REDACTED. Kept whole, a secret arg typed into a run page's link went on into the sign-in page's address (the
    browser's history, a proxy's access log), its form and the redirect after it; a run page asks for a secret arg
    given as REDACTED."""
    route = request.match_info.route.name or ""
    shown_names: frozenset[str] = frozenset(_PAGE_PARAMETERS.get(route, ()))
    if route in ("ui.check", "ui.run"):
        check = request[GENERATION].catalog.checks.get(request.match_info["name"])
        shown_names = frozenset({"at"}) | (
            frozenset(check.params) - check.secret_params() if check is not None else frozenset()
        )
    query = request.query
    if all(key in shown_names or value == "" for key, value in query.items()):
        return str(request.rel_url)
    pairs = [(key, value if key in shown_names or value == "" else REDACTED) for key, value in query.items()]
    return str(request.rel_url.with_query(pairs))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _authenticate(request: web.Request) -> Principal:
    """The caller: a bearer header as the API reads it, else the login cookie; Unauthorized otherwise."""
    tokens = request.app.get(TOKENS)
    if tokens is None:
        return ANONYMOUS
    presented = request.headers.getall("Authorization", [])
    cookie = request.cookies.get(COOKIE) if not presented else None
    try:
        principal: Principal = (
            tokens.authenticate_session(cookie, time.time()) if cookie is not None else tokens.authenticate(presented)
        )
    except Unauthorized as exc:
        if presented or cookie is not None:
            log_auth_failed(request, exc.message)
        raise
    structlog.contextvars.bind_contextvars(client=principal.name)
    return principal


def _require_same_origin(request: web.Request) -> None:
    """A POST must name this server as its Origin (or Referer): another site's form cannot post here."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        raise Forbidden("this form must be sent from the analyzer's own page (no Origin header)")
    parts = urlsplit(origin)
    if parts.netloc.lower() != request.host.lower():
        raise Forbidden(f"this form must be sent from the analyzer's own page, not from {origin[:100]!r}")


def _secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    return aiohttp_jinja2.render_template(
        "error.html", request, {"status": status, "message": message, **_common(request)}, status=status
    )


def _common(request: web.Request) -> dict[str, Any]:
    principal = request.get(PRINCIPAL)
    return {
        "auth_on": request.app.get(TOKENS) is not None,
        "signed_in_as": principal.name if principal is not None and principal is not ANONYMOUS else None,
        "ignored_params": _ignored_params(request),
    }


def _ignored_params(request: web.Request) -> str:
    """What the page says of the query parameters it does not read ("" when there are none)."""
    reads = _PAGE_PARAMETERS.get(request.match_info.route.name or "")
    if reads is None or request.method != "GET":
        return ""
    ignored = list(dict.fromkeys(key for key in request.query if key not in reads))
    repeated = [key for key in reads if len(request.query.getall(key, [])) > 1]
    said = []
    if ignored:
        # A long name is cut, and says so: shown whole-looking, its first 64 characters would pass for the name.
        named = ", ".join(repr(key[:64]) + ("..." if len(key) > 64 else "") for key in ignored[:_IGNORED_NAMED])
        more = f" and {len(ignored) - _IGNORED_NAMED} more" if len(ignored) > _IGNORED_NAMED else ""
        subject = "is not a parameter" if len(ignored) == 1 else "are not parameters"
        reading = f"it reads {', '.join(reads)}" if reads else "it reads none"
        said.append(
            f"Ignored: {named}{more} {subject} of this page ({reading}); what it shows does not depend on them."
        )
    for key in repeated:
        said.append(f"{key!r} is given {len(request.query.getall(key))} times: the page reads the first one only.")
    return " ".join(said)


# -- pages ------------------------------------------------------------------------------------------------


async def _root(request: web.Request) -> web.Response:
    # With its query: `/ui?check=x&verdict=fail` dropped to `/ui/` would list every answer, filtered by nothing.
    query = request.rel_url.raw_query_string
    raise web.HTTPMovedPermanently(f"{UI_PREFIX}?{query}" if query else UI_PREFIX)


async def index(request: web.Request) -> web.Response:
    """The catalog and a page of this replica's verdicts, newest first, filterable by check and verdict; `before` (an
    answer's number, as the page's links write it) pages to older answers."""
    catalog = request[GENERATION].catalog
    principal: Principal = request[PRINCIPAL]
    visible = principal.may_run(catalog)
    check = request.query.get("check") or None
    verdict = request.query.get("verdict") or None
    if verdict is not None and verdict not in HISTORY_VERDICTS:
        raise ArgError(f"verdict must be one of {', '.join(HISTORY_VERDICTS)}, got {verdict[:40]!r}", "verdict")
    history = request.app[HISTORY]
    size, clamped = _page_size(request.query.get("limit"), history.capacity)
    # Shown, and carried by the page's links and filter form, as the size the page shows.
    limit_given = str(size) if clamped else request.query.get("limit") or None
    before = _cursor(request.query.get("before"))
    kept = {
        name: value
        for name, value in (("check", check), ("verdict", verdict), ("limit", limit_given))
        if value is not None
    }
    # The page's rows are those placed below the cursor, each at its first request's place: answers recorded since
    # do not move them. A number this history never gave (another replica's, or from before a restart) shows nothing
    # rather than other answers. The index is brought up to date a slice at a time, the loop answering run requests
    # between two; `page` right after it, with no await between, indexes what is left (at most a slice).
    await history.caught_up()
    page = (
        history.page(principal, check=check, verdict=verdict, visible=visible, before=before, size=size)
        if before is None or history.numbered(before)
        else ListPage([], 0, 0, None, older=False)
    )
    shown = page.rows
    problem = (
        _past_the_end(history, before, filtered=bool(check or verdict)) if before is not None and not shown else ""
    )
    older = _list_url(kept | {"before": shown[-1].place}) if page.older else ""
    newer = ""
    if page.above > 0 and not problem:
        newer = _list_url(kept | ({"before": page.newer} if page.newer is not None else {}))
    checks = [c for c in catalog.checks.values() if visible(c.name)]
    context = {
        "checks": checks,
        "check_names": {c.name for c in checks},
        "entries": _row_fields(shown, principal),
        "check_filter": check,
        "verdict_filter": verdict,
        "verdicts": HISTORY_VERDICTS,
        "capacity": history.capacity,
        "rows_held": page.held,
        "first_shown": page.above + 1,
        "last_shown": page.above + len(shown),
        "newest_url": _list_url(kept) if before is not None else "",
        "newer_url": newer,
        "older_url": older,
        "page_problem": problem,
        "limit_given": limit_given,
        "limit_clamped": (
            f"limit {request.query['limit']} is more than a page shows: {size} answers a page, the older ones on the "
            "pages after it."
            if clamped
            else ""
        ),
        "catalog_version": catalog.version,
        "format_time": format_time,
        "format_value": format_value,
        **_common(request),
    }
    return aiohttp_jinja2.render_template("index.html", request, context, status=404 if problem else 200)


def _list_url(query: Mapping[str, object]) -> str:
    """The address of a page of the history list, at the list."""
    return f"{UI_PREFIX}?{urlencode(query)}#verdicts" if query else f"{UI_PREFIX}#verdicts"


def _past_the_end(history: VerdictHistory, before: int, *, filtered: bool) -> str:
    """What the list says of a cursor below which it shows nothing: the answers are gone, or the number is not of this
    replica's history."""
    if not history.numbered(before):
        return (
            f"No answers older than number {before} here: that number is not of this replica's history (a link made "
            "by another replica, or before a restart: each keeps its own)."
        )
    matching = " that match the filter" if filtered else ""
    return (
        f"No answers{matching} older than number {before} are held: this replica keeps {history.capacity} answers "
        "and drops the oldest as new ones come."
    )


def _row_fields(rows: list[ListedRow], principal: Principal) -> list[dict[str, Any]]:
    """The list's rows as the page writes them, each entry as `principal` may see it (only these are redacted)."""
    fields = []
    for head, requests, _, clients in rows:
        seen = head.seen_by(principal)
        fields.append(
            {
                **seen.fields(),
                "args_hidden": seen.redacted,
                "args_text": _args_text(seen.args),
                "requests": requests,
                "asked_by": clients,
            }
        )
    return fields


def _page_size(text: str | None, capacity: int) -> tuple[int, bool]:
    """How many answers a page of the list shows: `limit` (from 1; 100 when more, and no more than the history holds),
    else 50; and whether a larger `limit` was brought down to that."""
    most = min(_PAGE_MOST, capacity)
    if text is None or text == "":
        return min(_PAGE_SIZE, capacity), False
    if not _LIMIT_RE.fullmatch(text) or int(text) < 1:
        raise ArgError(
            f"limit must be a whole number from 1 (answers a page, at most {most}; older ones are on the pages after "
            f"it), got {text[:40]!r}",
            "limit",
        )
    # More than a page shows: the list's own link to every answer held was `?limit=` the history's size (1,000 by
    # default), which bookmarks keep. The page shows its most and says so.
    return min(int(text), most), int(text) > most


def _cursor(text: str | None) -> int | None:
    """The `before` of the list: the number of an answer, as the list's links write it; None when not given."""
    if text is None or text == "":
        return None
    if not _CURSOR_RE.fullmatch(text):
        raise ArgError(
            f"before must be the number of an answer, as the list's links to older answers write it, got {text[:40]!r}",
            "before",
        )
    return int(text)


def _args_text(args: Mapping[str, object]) -> str:
    """An answer's args as the history list shows them: what tells two answers of one check apart (two canaries)."""
    return ", ".join(f"{name}={arg_text(value)}" for name, value in args.items())


@aiohttp_jinja2.template("check.html")
async def check_page(request: web.Request) -> dict[str, Any]:
    """One check: its definition (secrets redacted as the API redacts them) and a form that runs it."""
    name = request.match_info["name"]
    catalog = request[GENERATION].catalog
    check = request[PRINCIPAL].check_of(catalog, name)
    definition = check.definition()
    definition["sources"] = {
        source: catalog.sources[source].redacted()
        for source in sorted(check.source_names())
        if source in catalog.sources
    }
    return {
        "check": check,
        "definition": json.dumps(definition, indent=2, default=str),
        "params": check.params,
        "secret_params": check.secret_params(),
        "errors": {},
        "values": {},
        **_common(request),
    }


async def run_page(request: web.Request) -> web.Response:
    """The verdict page of the check with the args given: the answer this replica recorded for these args at
    `at`, if it holds one, else a new evaluation (as of `at` when given)."""
    name = request.match_info["name"]
    principal: Principal = request[PRINCIPAL]
    generation = request[GENERATION]
    try:
        check = principal.check_of(generation.catalog, name)
    except CheckNotFound:
        # A link to an answer of a check a reload has removed since: shown while this replica holds it.
        await request.app[HISTORY].caught_up()
        recorded = _recorded_of_removed(request, name)
        if recorded is None:
            raise
        return await _render_verdict(request, None, recorded, origin=recorded.get("origin", "recorded"))
    raw = (
        await _form_fields(request)
        if request.method == "POST"
        else {key: request.query.getall(key) for key in request.query}
    )
    # Where a refusal looks for the pieces of a secret split at an '&' (Check.piece_refusal): every key, in order.
    given = raw if request.method == "POST" else request.query
    for key, values in raw.items():
        if len(values) > 1:
            refusal = check.piece_refusal(given, key, f" and is given {len(values)} times")
            raise refusal or ArgError(f"arg {key[:64]!r} is given {len(values)} times; give it once", key[:64])
        # As the API: bytes that are not UTF-8 are the caller's mistake, not a query for Prometheus to refuse.
        try:
            require_text(key, values[0])
        except ArgError:
            refusal = check.piece_refusal(given, key, " and is not clean UTF-8 text")
            if refusal is None:
                raise
            raise refusal from None
    at_text = raw.pop("at", [""])[0].strip()
    unknown = [key for key in raw if key in RESERVED_ARG_NAMES]
    if unknown:
        raise ArgError(f"{unknown[0]!r} has no meaning on this page", unknown[0])
    written = {key: values[0] for key, values in raw.items()}
    # An empty field means the param's default (or that it is missing), except for a param that takes the empty value
    # (`min_length: 0`): there `p=` is "", as the API reads it and as the links of its answers write it.
    args_in = {key: value for key, value in written.items() if value != "" or _takes_empty(check, key)}
    try:
        at = parse_time(at_text) if at_text else None
    except ValueError as exc:
        return _form_again(request, check, args_in | {"at": at_text}, {"at": str(exc)})
    # The answers held are looked up in the history list's index: brought up to date a slice at a time, the loop
    # answering run requests between two, with no await between it and the look-ups (which index what is left).
    if at is not None:
        await request.app[HISTORY].caught_up()
    # A link to an answer, its args as the link writes them: the answer, even when a reload has changed the check's
    # params since (a param added with a default would bind the link's args to others than it was asked with).
    recorded = _recorded_at_link(request, check.name, written, at) if at is not None else None
    if recorded is not None:
        return await _render_verdict(request, check, recorded, origin=recorded.get("origin", "recorded"))
    secret = check.secret_params()
    hidden = sorted(
        name
        for name, value in args_in.items()
        if REDACTED in value and (value == REDACTED if name in secret else name in check.params)
    )
    if hidden:
        # A link to an answer with secret args, or an arg holding a credential it shows as <redacted>
        # (`https://<redacted>@backend/`), which this replica no longer holds: never send "<redacted>" as the value.
        what = "is secret" if hidden[0] in secret else "holds a credential the link shows as <redacted>"
        return _form_again(
            request,
            check,
            {key: value for key, value in args_in.items() if key not in hidden} | {"at": at_text},
            {
                hidden[0]: f"arg {hidden[0]!r} {what}: a link does not carry its value, so it cannot run the "
                "check again, and this replica no longer holds the answer it showed; enter the value to run it now"
            },
        )
    try:
        args = check.bind_args(args_in)
    except ArgError as exc:
        return _form_again(request, check, args_in | {"at": at_text}, {exc.arg or "": exc.message})
    # The history holds a secret arg as <redacted>, whatever its value was: an answer recorded with another secret
    # would compare equal, so a secret given (or its default) is evaluated, never matched to a recorded answer.
    # So does an arg holding a credential the history shows as <redacted> (`shown` differs from `args` there).
    recorded = None
    near: list[tuple[int, str, str, str]] = []
    if at is not None and not secret & args.keys() and (shown := check.shown_args(args)) == args:
        recorded = _recorded(request, check.name, shown, at)
        near = _recorded_near(request, check.name, shown, at)
    if recorded is not None:
        return await _render_verdict(request, check, recorded, origin="recorded")
    if request.app[LIVE].draining:
        raise ShuttingDown(request.app[SETTINGS].retry_after_s)
    if at is not None and not check.measures_the_past():
        return _not_recorded_here(request, check, args_in, at_text, near)
    if request.method == "HEAD":
        # A chat tool unfurling a pasted link, a link checker: the status a GET would give, never an evaluation
        # (an http_smoke check would send its requests) nor an entry in the history the SREs read.
        return _head_answer()
    # A page's evaluation is admitted for whoever asks, as the API's are: each user holds a share of its own.
    caller = admission_caller(principal, request.remote)
    evaluation: Evaluation = await generation.runner.evaluate(check, args, at, caller=caller)
    request.app[HISTORY].record_evaluation(
        evaluation,
        caller=caller,
        request_id=structlog.contextvars.get_contextvars().get("request_id", ""),
        catalog_version=generation.catalog.version,
        client=principal.name if principal is not ANONYMOUS else None,
        user_agent=request.headers.get("User-Agent"),
        reached=generation.catalog.reached(check.name),
        definition=check,
    )
    entry = _as_entry(evaluation, check, generation.catalog.version) | {"near": near}
    return await _render_verdict(request, check, entry, origin="evaluated" if at is None else "re-evaluated")


def _takes_empty(check: Check, name: str) -> bool:
    param = check.params.get(name)
    return param is not None and param.min_length == 0


def _as_entry(evaluation: Evaluation, check: Check, catalog_version: str) -> dict[str, Any]:
    return {
        "check": evaluation.check,
        "kind": evaluation.kind,
        "verdict": evaluation.verdict.value,
        "reason": evaluation.reason,
        "value": evaluation.value,
        "threshold": evaluation.threshold,
        "args": evaluation.args,
        "evaluated_at": evaluation.evaluated_at,
        "duration_ms": evaluation.duration_ms,
        "error": evaluation.error,
        "details": evaluation.details or {},
        "http_status": evaluation.http_status,
        "recorded_at": None,
        "client": None,
        "catalog_version": catalog_version,
        "definition": check,
    }


def _entry_dict(entry: Recorded, asked: Recorded | None = None) -> dict[str, Any]:
    """The entry as a page shows it; `asked`: the same entry unredacted, found by the args of the page's own
    address, whose args (and only them) the page may show: its caller gave them."""
    fields = entry.fields()
    if asked is not None and entry.redacted:
        fields["args"] = asked.args
    return {
        **fields,
        "details": fields["details"] or {},
        "definition": entry.definition,
        "redacted": entry.redacted,
        "args_hidden": entry.redacted and asked is None,
    }


def _recorded(request: web.Request, name: str, args: Mapping[str, Any], at: datetime) -> dict[str, Any] | None:
    """This replica's recorded answer for the check with these args at that time (to the millisecond)."""
    history = request.app[HISTORY]
    wanted = format_time(at)
    principal: Principal = request[PRINCIPAL]
    visible = principal.may_run(request[GENERATION].catalog)
    matching = [
        entry
        for entry in history.answers(visible, check=name)
        if entry.evaluated_at is not None and format_time(entry.evaluated_at) == wanted and entry.args == dict(args)
    ]
    return _newest_of(matching, principal)


def _recorded_near(
    request: web.Request, name: str, args: Mapping[str, Any], at: datetime
) -> list[tuple[int, str, str, str]]:
    """This replica's recorded answers of the check with these args evaluated within _NEAR_S of `at` (not at it), the
    nearest first: each one's number, verdict, evaluation time and how far from `at` it is."""
    history = request.app[HISTORY]
    principal: Principal = request[PRINCIPAL]
    visible = principal.may_run(request[GENERATION].catalog)
    found: list[tuple[float, int, str, str]] = []
    # One evaluation answering several requests (coalesced, reused) is one answer: named once, by its newest entry.
    named: set[tuple[datetime, str, str]] = set()
    for entry in history.answers(visible, check=name):
        if entry.evaluated_at is None or entry.args != dict(args):
            continue
        # Apart by the times as the page writes them, to the millisecond (format_time cuts, never rounds).
        apart_s = round((_to_the_millisecond(entry.evaluated_at) - _to_the_millisecond(at)).total_seconds(), 3)
        answer = (entry.evaluated_at, entry.verdict, entry.reason)
        if apart_s != 0 and abs(apart_s) <= _NEAR_S and answer not in named:
            named.add(answer)
            found.append((apart_s, entry.seq, entry.verdict, format_time(entry.evaluated_at)))
    found.sort(key=lambda near: (abs(near[0]), -near[1]))
    return [
        (seq, verdict, evaluated_at, f"{abs(apart_s):g} s {'after' if apart_s > 0 else 'before'}")
        for apart_s, seq, verdict, evaluated_at in found[:_NEAR_SHOWN]
    ]


def _to_the_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _newest_of(matching: list[Recorded], principal: Principal) -> dict[str, Any] | None:
    """The newest of the recorded answers a page's address matches, with the others that answered differently: an
    address cannot tell them apart (a link holds secrets as <redacted>; a reload may have changed the check between
    two evaluations at the same time), so the page names them instead of passing the newest off as the only one."""
    if not matching:
        return None
    newest = matching[0]
    shown = _entry_dict(newest.seen_by(principal), asked=newest)
    shown["also_matching"] = [
        (other.seq, other.verdict, f"verdict {other.seq}")
        for other in matching[1:]
        if (other.verdict, other.reason) != (newest.verdict, newest.reason)
    ]
    return shown


def _recorded_by_link(
    request: web.Request, name: str, args_in: Mapping[str, str], at: datetime
) -> dict[str, Any] | None:
    """This replica's recorded answer whose page link carries exactly `args_in` (secret args as <redacted>)."""
    history = request.app[HISTORY]
    wanted = format_time(at)
    principal: Principal = request[PRINCIPAL]
    visible = principal.may_run(request[GENERATION].catalog)
    matching = [
        entry
        for entry in history.answers(visible, check=name)
        if entry.evaluated_at is not None
        and format_time(entry.evaluated_at) == wanted
        and {key: arg_text(value) for key, value in entry.args.items()} == dict(args_in)
    ]
    return _newest_of(matching, principal)


def _recorded_as_member(
    request: web.Request, name: str, args_in: Mapping[str, str], at: datetime
) -> dict[str, Any] | None:
    """The answer of member `name` with the args of its link (`args_in`) in this replica's newest recorded answer of
    a composite evaluated at `at` that ran it (a member of a member too), as that composite's page shows it, with the
    older composite answers that gave it another answer in `also_matching`; None when none holds it (or holds it
    only for another caller, without its evidence)."""
    history = request.app[HISTORY]
    wanted = format_time(at)
    principal: Principal = request[PRINCIPAL]
    visible = principal.may_run(request[GENERATION].catalog)
    matching: list[tuple[Recorded, dict[str, Any], Check | None, list[Any], str | None]] = []
    for entry in history.answers(visible, member=name):
        if name not in entry.reached or entry.evaluated_at is None or format_time(entry.evaluated_at) != wanted:
            continue
        seen = entry.seen_by(principal)
        if seen.redacted:
            continue
        found = _member_in(seen.fields()["details"], name, args_in, entry.definition)
        if found is not None:
            matching.append((entry, *found))
    if not matching:
        return None
    entry, member, definition, siblings, within = matching[0]
    shown = _as_member(request, entry, member, definition)
    # Whether its answer made its composite's (the composite recorded which members decided, and why).
    decided = member.get("decided")
    shown["decided"] = decided if isinstance(decided, str) else None
    # A member of a member decided (or not) that member's verdict, not the one of the composite the page names.
    shown["decided_in"] = within
    shown["deciding_members"] = [
        (str(other.get("check")), str(other["decided"]))
        for other in siblings
        if isinstance(other, dict) and isinstance(other.get("decided"), str)
    ]
    # The link cannot tell these apart (a secret as <redacted>, a composite evaluated again at its time after a
    # reload): shown alone, the newest read as the member's answer in the composite whose page linked it.
    shown["also_matching"] = [
        (other.seq, str(answer.get("verdict")), f"as composite verdict {other.seq} recorded it")
        for other, answer, _, _, _ in matching[1:]
        if (answer.get("verdict"), answer.get("reason")) != (member.get("verdict"), member.get("reason"))
    ]
    return shown


def _as_member(
    request: web.Request, entry: Recorded, member: Mapping[str, Any], definition: Check | None
) -> dict[str, Any]:
    """The answer of a member as composite `entry` recorded it (`member`: its entry in the composite's details), as
    its page shows it."""
    name = str(member.get("check"))
    known = definition or request[GENERATION].catalog.checks.get(name)
    written, value = member.get("args"), member.get("value")
    given: dict[str, Any] = written if isinstance(written, dict) else {}
    return {
        "check": name,
        "kind": known.kind if known is not None else None,
        "verdict": str(member.get("verdict")),
        "reason": str(member.get("reason", "")),
        # As the member's answer writes it: a finite number, or null.
        "value": value if isinstance(value, float) else None,
        "threshold": member.get("threshold"),
        "args": given,
        # The member's args as the composite wrote them leave out the member's defaults, which its plots'
        # queries need (an error_budget's windows).
        "evidence_args": _bound_or_given(known, given),
        "evaluated_at": entry.evaluated_at,
        "duration_ms": None,
        "error": member.get("error"),
        "http_status": None,
        "details": member.get("details") if isinstance(member.get("details"), dict) else {},
        "recorded_at": datetime.fromtimestamp(entry.recorded_at_s, UTC),
        "client": None,
        "catalog_version": entry.catalog_version,
        "definition": definition,
        "redacted": False,
        "args_hidden": False,
        "origin": "member",
        "member_of": (entry.seq, entry.check),
    }


def _member_in(
    details: object, name: str, args_in: Mapping[str, str], definition: Check | None
) -> tuple[dict[str, Any], Check | None, list[Any], str | None] | None:
    """The member entry of `name` with the args `args_in` (as a link writes them) in a composite's `details`, or in
    its members' own, with the member's definition of then (None when its kind does not give it), the entries of
    the composite's members it is one of, and that composite's name when it is a member's (None: `details`' own)."""
    members = details.get("members") if isinstance(details, dict) else None
    if not isinstance(members, list):
        return None
    linked = {check.name: check for check in definition.member_checks()} if definition is not None else {}
    for member in members:
        if not isinstance(member, dict):
            continue
        given = member.get("args")
        args = given if isinstance(given, dict) else {}
        if member.get("check") == name and {key: arg_text(value) for key, value in args.items()} == dict(args_in):
            return member, linked.get(name), members, None
        nested = _member_in(member.get("details"), name, args_in, linked.get(str(member.get("check"))))
        if nested is not None:
            found, known, siblings, within = nested
            return found, known, siblings, within or str(member.get("check"))
    return None


def _bound_or_given(check: Check | None, given: Mapping[str, Any]) -> Mapping[str, Any]:
    """`given` bound by `check` (its defaults filled in, secrets shown as REDACTED), or as it is when it does not
    bind (a secret arg given as REDACTED that its pattern refuses)."""
    if check is None:
        return given
    try:
        return check.shown_args(check.bind_args({name: arg_text(value) for name, value in given.items()}))
    except ArgError:
        return given


def _recorded_of_removed(request: web.Request, name: str) -> dict[str, Any] | None:
    """The answer a link to a check no longer in the catalog shows (its args and `at` as the link writes them),
    when this replica holds it: its own, or a member's as its composite recorded it (the composite's page, still
    shown, links to it)."""
    # HEAD as GET: a link checker (curl -I) must get the status a browser gets.
    if request.method not in ("GET", "HEAD") or any(len(request.query.getall(key)) > 1 for key in request.query):
        return None
    args_in = {key: value for key, value in request.query.items() if key != "at"}
    try:
        at = parse_time(request.query.get("at", "").strip())
    except ValueError:
        return None
    return _recorded_at_link(request, name, args_in, at)


def _recorded_at_link(
    request: web.Request, name: str, args_in: Mapping[str, str], at: datetime
) -> dict[str, Any] | None:
    """The recorded answer a link (`args_in` and `at` as it writes them) shows: the newest of the check's own (see
    `_recorded_by_link`) and of its answers as a member in a composite's (see `_recorded_as_member`), naming the
    other when it answered differently."""
    own = _recorded_by_link(request, name, args_in, at)
    # A member's link on a composite's page: the answer its composite recorded for it, as the composite's page
    # shows it. Evaluated again, it could differ (late data, a deadline the composite cut short), and an
    # http_smoke member could not be evaluated again at all.
    as_member = _recorded_as_member(request, name, args_in, at)
    if own is None or as_member is None:
        return own or as_member
    # The same address answered both ways (the member asked on its own at the composite's time, after a reload):
    # shown alone, the newer read as the answer of the composite's page that linked it.
    # Newer by its number, not its wall-clock time: a clock stepped back (an NTP correction) dates a later answer
    # earlier, and the older one was shown as the answer.
    shown, other = (own, as_member) if own["seq"] > as_member["member_of"][0] else (as_member, own)
    if (other["verdict"], other["reason"]) != (shown["verdict"], shown["reason"]):
        shown["also_matching"] = [*shown["also_matching"], _named(other)]
    return shown


def _named(shown: Mapping[str, Any]) -> tuple[int, str, str]:
    """An answer a page names beside the one it shows: its number, verdict, and what it is."""
    if shown.get("origin") == "member":
        seq = shown["member_of"][0]
        return seq, shown["verdict"], f"as composite verdict {seq} recorded it"
    return shown["seq"], shown["verdict"], f"verdict {shown['seq']}"


def _head_answer() -> web.Response:
    """A HEAD request's answer for a verdict page: its status and headers, without drawing or evaluating it."""
    return web.Response(status=200, content_type="text/html", charset="utf-8")


def _not_recorded_here(
    request: web.Request,
    check: Check,
    args_in: Mapping[str, str],
    at_text: str,
    near: list[tuple[int, str, str, str]],
) -> web.Response:
    """The page of a link to an answer this replica does not hold, of a check that measures only the present: a new
    evaluation would be of now, not of then, and would send its requests again; the form runs it now on request.
    `near`: the answers it holds near that time (see `_recorded_near`), which the page links."""
    history = request.app[HISTORY]
    message = (
        f"Not recorded here: this replica holds no answer of {check.name!r} with these args at {at_text} (another "
        f"replica may hold it; a restart empties the history, and it keeps the newest {history.capacity} answers). "
        f"{check.name!r} ({check.kind}) measures only the present (it, or a member of it, sends requests now): it "
        "cannot be evaluated as of then. The button runs it now."
    )
    return _form_again(request, check, args_in, {"": message}, status=404, near=near)


def _form_again(
    request: web.Request,
    check: Check,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 400,
    near: list[tuple[int, str, str, str]] | None = None,
) -> web.Response:
    # A problem with an arg the form has no field for (an undeclared `att=`) is shown above the button.
    errors = {key if key in check.params or key == "at" else "": message for key, message in errors.items()}
    return aiohttp_jinja2.render_template(
        "check.html",
        request,
        {
            "check": check,
            "definition": None,
            "params": check.params,
            "secret_params": check.secret_params(),
            "errors": errors,
            "values": {key: value for key, value in values.items() if key not in check.secret_params()},
            "near": near or [],
            **_common(request),
        },
        status=status,
    )


async def verdict_page(request: web.Request) -> web.Response:
    """One answer of this replica's history, by its number."""
    seq = int(request.match_info["seq"])
    principal: Principal = request[PRINCIPAL]
    history = request.app[HISTORY]
    visible = principal.may_run(request[GENERATION].catalog)
    entry = history.entry(seq, visible)
    if entry is None:
        raise web.HTTPNotFound(
            reason=f"verdict {seq} is not in this replica's history (it keeps {history.capacity} answers; a number of "
            "another replica's, or from before a restart, names none here)"
        )
    catalog = request[GENERATION].catalog
    check = catalog.checks.get(entry.check)
    return await _render_verdict(request, check, _entry_dict(entry.seen_by(principal)), origin="recorded")


async def _render_verdict(
    request: web.Request, check: Check | None, entry: dict[str, Any], origin: str
) -> web.Response:
    if request.method == "HEAD":
        # Its status without its plots: drawing them sends range queries, for a body that HEAD does not send.
        return _head_answer()
    generation = request[GENERATION]
    settings = request.app[SETTINGS]
    details = entry["details"] or {}
    at: datetime | None = entry["evaluated_at"]
    # The plots are drawn from the definition that decided the answer, whatever a reload has made of the check.
    decided_by: Check | None = entry.get("definition") or check
    plots: list[Figure] = []
    # Another caller's answer, shown without its evidence (the allow-list's rule): nothing to plot it from.
    hidden = bool(entry.get("redacted"))
    misconfigured = entry["error"] == CheckMisconfigured.code
    # Where the fault is (CheckMisconfigured.at_fault), which the advice names: the check's definition unless the
    # answer says a file it names or the request built from the call's args.
    at_fault = details.get("at_fault") if misconfigured and isinstance(details, dict) else None
    if misconfigured:
        # The query as written is what the analyzer refused to judge (a misspelt name beside `or vector(0)` plots a
        # flat 0, which reads as a perfect canary): no plot of it, and no range query sent for one.
        plots = [Figure("Plots", None, "not drawn: the check is misconfigured, so its queries' values are no evidence")]
    elif entry["verdict"] != "rejected" and at is not None and entry.get("kind") and not hidden:
        evidence = Evidence(
            entry["check"],
            entry["kind"],
            entry["verdict"],
            entry["value"],
            entry["threshold"],
            at,
            details,
            entry.get("evidence_args", entry["args"]),
        )
        deadline_s = (decided_by.deadline_s if decided_by is not None else None) or settings.deadline_s
        # A page's range queries count against the evaluation limit, as an evaluation's queries do.
        admission = generation.runner.admission
        try:
            admission.check_free()
        except Overloaded as exc:
            plots = [Figure("Plots", None, f"not drawn: {exc.message}")]
        else:
            drawing = asyncio.ensure_future(
                figures(
                    evidence,
                    decided_by,
                    generation.runner.sources,
                    deadline_s,
                    member_link=lambda name, args: verdict_path(name, args, at),
                )
            )
            admission.track(cast("asyncio.Future[Evaluation]", drawing))
            plots = await drawing
    queries = [q for q in details.get("queries", []) if isinstance(q, str)] if isinstance(details, dict) else []
    roles = details.get("query_roles") if isinstance(details, dict) else None
    # Named by role where the kind names them ("canary.total"): a reason says which of them had no series.
    query_roles = (
        [str(role) for role in roles] if isinstance(roles, list) and len(roles) == len(queries) else [""] * len(queries)
    )
    args_hidden = bool(entry.get("args_hidden")) and (decided_by is None or bool(decided_by.params))
    configured = (
        _configured_queries(decided_by, entry["args"])
        if not queries and entry["verdict"] == "error" and decided_by is not None and not hidden and not args_hidden
        else []
    )
    context = {
        "entry": entry,
        "origin": origin,
        "figures": plots,
        "queries": list(zip(query_roles, queries, strict=True)),
        "configured_queries": configured,
        "misconfigured": misconfigured,
        "at_fault": _advised_fault(at_fault, entry["args"], hidden),
        "value": _value_text(entry),
        "threshold": format_threshold(entry["threshold"]),
        "measures": _measures(entry),
        "evaluated_at": format_time(at) if at is not None else "",
        "recorded_at": _recorded_apart(entry, settings.reuse_window_s),
        "args": {k: arg_text(v) for k, v in entry["args"].items()},
        "secret_args": sorted(k for k, v in entry["args"].items() if v == REDACTED),
        "details_json": json.dumps(json_safe(details), indent=2, default=str),
        # Without its args (hidden, and not given by this page's address), a link would run the check without them.
        "page_url": verdict_path(entry["check"], entry["args"], at) if at is not None and not args_hidden else "",
        "hidden": hidden,
        "args_hidden": args_hidden,
        "check_known": check is not None,
        "changed_since": _changed_since(
            entry, decided_by, check, generation.catalog, request.app[LIVE].sources_by_version
        ),
        "member_url": lambda name, args: verdict_path(name, args, at) if at is not None else "",
        **_common(request),
    }
    return aiohttp_jinja2.render_template("verdict.html", request, context)


def _advised_fault(at_fault: object, args: Mapping[str, Any], hidden: bool) -> str:
    """Where a check_misconfigured page's advice says the fault is: "file", "request" or "check" as the answer's
    `at_fault` says, or "unknown" for another caller's answer, seen without the evidence that holds it (advice naming
    the check sent an SRE to fix a catalog that was right: a ca_file gone where the analyzer runs)."""
    if hidden:
        return "unknown"
    # A request built without args is the check's own, as the catalog writes it.
    return str(at_fault) if at_fault == "file" or (at_fault == "request" and args) else "check"


def _configured_queries(check: Check, args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The PromQL `check` sends with these args, each with the field it comes from, for an error answer that recorded
    none (it stopped before its queries ran, or the kind records none on an error); none for args holding a secret,
    which the answer keeps only as <redacted>, or that its definition no longer takes."""
    if any(value == REDACTED for value in args.values()):
        return []
    try:
        bound = check.bind_args(args)
    except ArgError:
        return []
    return check.promql(bound)


def _value_text(entry: Mapping[str, Any]) -> str:
    """The entry's value as the page shows it: as the text line does, never as its threshold or 100 it is not."""
    value = entry["value"]
    return "none" if value is None else format_value(value, entry["threshold"]) if math.isfinite(value) else str(value)


def _recorded_apart(entry: Mapping[str, Any], reuse_window_s: float) -> str:
    """When the answer was recorded, if that says more than its evaluation time: an evaluation as of a past time
    (`at=`), recorded later; else "" (the page shows one time, the evaluation's)."""
    recorded_at: datetime | None = entry.get("recorded_at")
    evaluated_at: datetime | None = entry["evaluated_at"]
    if recorded_at is None:
        return ""
    if evaluated_at is None:
        return format_time(recorded_at)
    # An evaluation of the present is recorded once it ends, and given to identical requests until the reuse window
    # after it ends (coalesced): those differ from its time by its duration and that window, not by what it measured.
    same_moment_s = (entry["duration_ms"] or 0.0) / 1000 + reuse_window_s + _CLOCK_SLACK_S
    if abs((recorded_at - evaluated_at).total_seconds()) <= same_moment_s:
        return ""
    return format_time(recorded_at)


def _measures(entry: Mapping[str, Any]) -> dict[str, str]:
    """What the value and the threshold of an answer of that kind measure, and which way the threshold cuts,
    from the kinds' documented contracts (an answer without a value or threshold gets no caption for it)."""
    kind, details, threshold = entry.get("kind"), entry["details"] or {}, entry["threshold"]
    if kind == "prometheus":
        conditions = [
            f"{name} {details[name]}" for name in ("pass_if", "fail_if") if isinstance(details.get(name), str)
        ]
        return {"value": "the query's value", "threshold": ", ".join(conditions)}
    if kind == "http_smoke":
        return {"value": "steps passed", "threshold": "steps, all must pass"}
    if kind == "composite":
        if details.get("mode") == "score":
            return {"value": "score, of 100 (the passing members' share of the weight)", "threshold": "pass_score"}
        return {"value": "members passing", "threshold": "members needed"}
    if kind == "kpi_compare":
        harm = {"higher_is_better": "a drop beyond it", "lower_is_better": "a rise beyond it"}
        direction = "either way" if details.get("mode") == "ab" else harm.get(str(details.get("direction")), "")
        return {
            "value": "estimated change, canary - baseline, in the KPI's units",
            "threshold": f"tolerance, same units{f': {direction} fails' if direction else ''}",
        }
    if kind == "error_budget":
        budget = details.get("budget")
        gate = budget.get("min_budget_remaining") if isinstance(budget, dict) else None
        if gate is not None and threshold == gate:
            return {
                "value": "error budget remaining (1 = all of it)",
                "threshold": "min_budget_remaining: at or below fails",
            }
        return {
            "value": "burn rate (x the error budget) of the tier named in the reason",
            "threshold": "that tier's factor: both its windows above it fire the tier",
        }
    return {"value": "", "threshold": ""}


def _changed_since(
    entry: Mapping[str, Any],
    decided_by: Check | None,
    current: Check | None,
    catalog: Catalog,
    sources_by_version: Mapping[str, Mapping[str, SourceConfig]],
) -> str:
    """What a reload has changed of the check, or of the sources it reads, since this answer ("" when nothing):
    the page shows the answer as decided then, but draws its plots from the sources in service, and its link
    evaluates the check as it is now once this replica no longer holds the answer."""
    then, version = entry.get("catalog_version"), catalog.version
    if entry["verdict"] == "rejected" or decided_by is None or not then or then == version:
        return ""
    if current is None:
        return f"The check is no longer in the catalog (version {version}; this answer was decided under {then})."
    if current is not decided_by and current.definition() != decided_by.definition():
        return (
            f"The check's definition has changed since this answer (catalog version {then}, now {version}). This "
            "page shows the answer, its thresholds and its plots as decided then; the link below evaluates the "
            "check as it is now once this replica no longer holds the answer."
        )
    members_then = _members_then(decided_by)
    members_changed = [
        name
        for name, member in members_then.items()
        if member is None
        or (catalog.checks.get(name) is not member and _definition_now(catalog, name) != member.definition())
    ]
    if members_changed:
        named = ", ".join(repr(name) for name in members_changed)
        which = f"its member {named}" if len(members_changed) == 1 else f"its members {named}"
        if all(members_then[name] is None for name in members_changed):
            how = "may have changed"
        else:
            how = "has changed" if len(members_changed) == 1 else "have changed"
        return (
            f"The definition of {which} {how} since this answer (catalog version {then}, now {version}). This page "
            "shows the members' verdicts and reasons as decided then, as does a member's link while this replica "
            "holds this answer; after that, a member's link evaluates it again, as it is now."
        )
    read = sorted(
        decided_by.source_names().union(
            *(member.source_names() for member in members_then.values() if member is not None)
        )
    )
    sources_then = sources_by_version.get(then)
    if sources_then is None:
        changed = read  # a version this replica no longer remembers: it cannot tell, so it says so
    else:
        changed = [name for name in read if sources_then.get(name) != catalog.sources.get(name)]
    if not changed:
        return ""
    named = ", ".join(repr(name) for name in changed)
    which = f"source {named}" if len(changed) == 1 else f"sources {named}"
    how = "may have changed" if sources_then is None else "has changed"
    return (
        f"The configuration of the {which} this check reads {how} since this answer (catalog version {then}, "
        f"now {version}): this page shows the answer as decided then, but draws its plots from the sources as "
        "they are now, which may not hold the data that decided it."
    )


def _members_then(check: Check) -> dict[str, Check | None]:
    """Every other check an evaluation of `check` ran (its members, theirs...), by name, as they were linked when
    it was; None for a member its kind does not give (`member_checks()`): its definition of then is unknown."""
    found: dict[str, Check | None] = {}
    pending = [check]
    while pending:
        running = pending.pop()
        linked = {member.name: member for member in running.member_checks()}
        for name in sorted(running.member_names() | linked.keys()):
            if name != check.name and found.get(name) is None:
                found[name] = linked.get(name)
                if name in linked:
                    pending.append(linked[name])
    return found


def _definition_now(catalog: Catalog, name: str) -> dict[str, Any] | None:
    current = catalog.checks.get(name)
    return None if current is None else current.definition()


# -- login ------------------------------------------------------------------------------------------------


def _next_path(value: str | None) -> str:
    """Where to go after login: a UI path of this server only (never another host)."""
    if value and value.startswith(UI_PREFIX) and "\\" not in value and all(" " < char < "\x7f" for char in value):
        return value
    return UI_PREFIX


@aiohttp_jinja2.template("login.html")
async def login_form(request: web.Request) -> dict[str, Any]:
    """The login form (a token, as the API's bearer token)."""
    return {"next": _next_path(request.query.get("next")), "problem": None, **_common(request)}


async def _posted_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | FileField]:
    """The posted form, read within the body timeout: as the API's run endpoint, a client that stalls half way
    through its body does not hold the request."""
    encoding = ",".join(request.headers.getall(hdrs.CONTENT_ENCODING, [])).strip().lower()
    if encoding not in ("", "identity"):
        # The app decodes no body on its own (analyzer.web: the API's run endpoint decodes its JSON itself), and a
        # browser never compresses a form: read as it came, its fields would be garbage, or none.
        raise ArgError(
            f"a form is not read from Content-Encoding {printable(clip(encoding, 40))!r}; send it without one"
        )
    timeout_s = request.app[SETTINGS].body_read_timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            return await request.post()
    except TimeoutError:
        raise BodyTimeout(f"the request body did not arrive within {timeout_s:g} s") from None
    except UnicodeDecodeError:
        raise ArgError("the form is not text in its charset (UTF-8 unless it names one)") from None
    except LookupError:
        raise ArgError("the form names a charset that is not known; send it as UTF-8") from None


async def _form_fields(request: web.Request) -> dict[str, list[str]]:
    """A posted form's text fields (its args and `at`), each with the values given; a file field is a bad arg."""
    form = await _posted_form(request)
    fields: dict[str, list[str]] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            raise ArgError(f"arg {key[:64]!r} must be text, not a file", key[:64])
        fields.setdefault(key, []).append(value)
    return fields


async def login(request: web.Request) -> web.Response:
    """Check the token given and keep a sign-in signed with it in an HttpOnly, SameSite=Strict cookie (Secure over
    TLS)."""
    form = await _posted_form(request)
    token = str(form.get("token", "")).strip()
    target = _next_path(str(form.get("next", "")))
    tokens = request.app.get(TOKENS)
    if tokens is None:
        return _see_other(target)
    try:
        principal = tokens.authenticate([f"Bearer {token}"])
    except Unauthorized as exc:
        log_auth_failed(request, exc.message)
        return aiohttp_jinja2.render_template(
            "login.html",
            request,
            {"next": target, "problem": "that token is not accepted", **_common(request)},
            status=401,
        )
    logger.info("ui_login", client=principal.name)
    response = _see_other(target)
    response.set_cookie(
        COOKIE,
        session_cookie(token, time.time()),
        max_age=SESSION_MAX_AGE_S,
        path=UI_PREFIX,
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )
    return response


async def logout(request: web.Request) -> web.Response:
    """End the sign-in on this replica (a copy of its cookie no longer opens the pages here) and forget the login
    cookie."""
    tokens = request.app.get(TOKENS)
    cookie = request.cookies.get(COOKIE)
    if tokens is not None and cookie is not None:
        try:
            principal = tokens.sign_out(cookie, time.time())
        except Unauthorized:
            pass  # Expired, rotated, of another form or signed out already: nothing here to end.
        else:
            logger.info("ui_logout", client=principal.name)
    response = _see_other("/ui/login")
    response.del_cookie(COOKIE, path=UI_PREFIX)
    return response
