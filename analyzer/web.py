"""The HTTP API: an aiohttp app factory that receives its settings and catalog."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from analyzer.catalog import Catalog
from analyzer.errors import AnalyzerError, ArgError
from analyzer.metrics import Metrics
from analyzer.models import CatalogListing, CheckSummary, ErrorBody, Evaluation
from analyzer.openapi import build_openapi
from analyzer.params import RESERVED_ARG_NAMES, parse_time
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.sources import Sources
from analyzer.sources.http import HttpClient, Resolver

SETTINGS = web.AppKey("settings", Settings)
CATALOG = web.AppKey("catalog", Catalog)
REGISTRY = web.AppKey("registry", Registry)
METRICS = web.AppKey("metrics", Metrics)
RUNNER = web.AppKey("runner", Runner)

CATALOG_VERSION_HEADER = "X-Analyzer-Catalog-Version"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TRUE = {"1", "true", "yes", "on", ""}
_FALSE = {"0", "false", "no", "off"}

logger = structlog.get_logger("analyzer.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(settings: Settings, catalog: Catalog, registry: Registry, metrics: Metrics | None = None,
               http_resolver: Resolver | None = None) -> web.Application:
    """Build the app; sources open on startup and close on cleanup (`http_resolver`: tests stub DNS)."""
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[_request_context, _json_errors])
    app[SETTINGS] = settings
    app[CATALOG] = catalog
    app[REGISTRY] = registry
    app[METRICS] = metrics or Metrics()
    app[METRICS].catalog_info.labels(catalog.version).set(1)
    app[METRICS].catalog_checks.set(len(catalog.checks))
    app.cleanup_ctx.append(partial(_runner_context, http_resolver=http_resolver))
    app.router.add_get("/api/v1/checks", list_checks)
    app.router.add_get("/api/v1/checks/{name}", get_check)
    app.router.add_route("GET", "/api/v1/checks/{name}/run", run_check)
    app.router.add_route("POST", "/api/v1/checks/{name}/run", run_check)
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app


async def _runner_context(app: web.Application, http_resolver: Resolver | None) -> AsyncIterator[None]:
    metrics = app[METRICS]
    http = HttpClient(app[SETTINGS].http_policy(), resolver=http_resolver)
    sources = Sources(app[CATALOG].sources, observe=metrics.observe_source_query, http=http)
    app[RUNNER] = Runner(app[CATALOG], sources, metrics, app[SETTINGS].deadline_s)
    yield
    await sources.aclose()


@web.middleware
async def _request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    offered = request.headers.get("X-Request-Id", "")
    request_id = offered if _REQUEST_ID_RE.fullmatch(offered) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        raise
    response.headers["X-Request-Id"] = request_id
    response.headers[CATALOG_VERSION_HEADER] = request.app[CATALOG].version
    return response


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Client errors and unexpected failures as JSON bodies that say what is wrong; never a crash."""
    try:
        return await handler(request)
    except AnalyzerError as exc:
        return error_response(exc.http_status, exc.code, exc.message, arg=getattr(exc, "arg", None))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = re.sub(r"[^a-z0-9]+", "_", (exc.reason or "error").lower()).strip("_")
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        if exc.status == 413:
            message = f"request body is larger than {request.app[SETTINGS].max_body_bytes} bytes"
        if exc.status == 404:
            message = f"no route {request.method} {request.path[:200]}"
        return error_response(exc.status, code, message or exc.reason, headers=exc.headers)
    except Exception:
        logger.exception("request_crashed", path=request.path[:200])
        return error_response(500, "internal_error", "internal error; the log has the details")


def error_response(status: int, code: str, message: str, arg: str | None = None,
                   headers: Any = None) -> web.Response:
    """A JSON error body: {"error": code, "message": ...}."""
    body = ErrorBody(error=code, message=message, arg=arg).model_dump(exclude_none=True)
    response = web.json_response(body, status=status)
    for name in ("Retry-After", "Allow"):
        if headers is not None and name in headers:
            response.headers[name] = headers[name]
    return response


async def list_checks(request: web.Request) -> web.Response:
    """GET /api/v1/checks: the catalog."""
    catalog = request.app[CATALOG]
    listing = CatalogListing(catalog_version=catalog.version, checks=[
        CheckSummary(name=check.name, kind=check.kind, description=check.description,
                     params={name: param.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
                             | {"type": param.type.value} for name, param in check.params.items()})
        for check in catalog.checks.values()])
    return web.json_response(listing.model_dump(mode="json"))


async def get_check(request: web.Request) -> web.Response:
    """GET /api/v1/checks/{name}: one definition, secrets redacted."""
    catalog = request.app[CATALOG]
    check = catalog.get(request.match_info["name"])
    body = check.definition()
    body["sources"] = {name: catalog.sources[name].redacted() for name in sorted(check.source_names())
                       if name in catalog.sources}
    return web.json_response(body)


async def run_check(request: web.Request) -> web.Response:
    """GET/POST /api/v1/checks/{name}/run: evaluate and answer with the verdict."""
    settings = request.app[SETTINGS]
    if len(request.query_string) > settings.max_query_bytes:
        return error_response(414, "query_too_long",
                              f"query string is longer than {settings.max_query_bytes} bytes")
    check = request.app[CATALOG].get(request.match_info["name"])
    options, raw_args = _split_query(request)
    if request.method == "POST":
        for name, value in (await _body_args(request)).items():
            if name in raw_args:
                raise ArgError(f"arg {name!r} is given both in the query string and in the body", name)
            raw_args[name] = value
    explain = _flag(options, "explain")
    text = _output_format(options) == "text"
    at = None
    if "at" in options:
        try:
            at = parse_time(options["at"])
        except ValueError as exc:
            raise ArgError(f"at: {exc}", "at") from None
    args = check.bind_args(raw_args)
    evaluation: Evaluation = await request.app[RUNNER].evaluate(check, args, at)
    headers = {"Cache-Control": "no-store"}
    if text:
        return web.Response(text=evaluation.to_text() + "\n", status=evaluation.http_status, headers=headers)
    return web.json_response(evaluation.to_json(explain), status=evaluation.http_status, headers=headers)


def _split_query(request: web.Request) -> tuple[dict[str, str], dict[str, Any]]:
    options: dict[str, str] = {}
    args: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        if len(values) > 1:
            raise ArgError(f"arg {key!r} is given {len(values)} times; give it once", key)
        (options if key in RESERVED_ARG_NAMES else args)[key] = values[0]
    return options, args


async def _body_args(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ArgError("the request body is not valid JSON; send a flat JSON object of args") from None
    if not isinstance(body, dict):
        raise ArgError(f"the request body must be a flat JSON object of args, not a {type(body).__name__}")
    for name, value in body.items():
        if name in RESERVED_ARG_NAMES:
            raise ArgError(f"{name!r} goes in the query string, not in the body", name)
        if isinstance(value, dict | list) or value is None or isinstance(value, bool):
            raise ArgError(f"arg {name!r} must be a string or a number, got {type(value).__name__}", name)
    return body


def _flag(options: dict[str, str], name: str) -> bool:
    value = options.get(name)
    if value is None:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ArgError(f"{name} must be true or false, got {value[:40]!r}", name)


def _output_format(options: dict[str, str]) -> str:
    value = options.get("format", "json")
    if value not in ("json", "text"):
        raise ArgError(f"format must be json or text, got {value[:40]!r}", "format")
    return value


async def openapi(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json, generated from the models and this catalog's params."""
    return web.json_response(build_openapi(request.app[CATALOG]))


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: a catalog is loaded; its version, size and load warnings."""
    catalog = request.app[CATALOG]
    return web.json_response({"status": "ready", "catalog_version": catalog.version,
                              "checks": len(catalog.checks), "warnings": catalog.warnings})


async def metrics_endpoint(request: web.Request) -> web.Response:
    """The service's own metrics in the Prometheus text format."""
    response = web.Response(body=generate_latest(request.app[METRICS].registry))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
