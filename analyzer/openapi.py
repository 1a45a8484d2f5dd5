"""The OpenAPI 3.1 document, generated from the pydantic models and the loaded catalog's params."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic.json_schema import models_json_schema

from analyzer import __version__
from analyzer.catalog import Catalog
from analyzer.history import HISTORY_VERDICTS, VerdictHistoryPage
from analyzer.models import CatalogListing, ErrorBody, Evaluation
from analyzer.params import Param, ParamType

_REF = "#/components/schemas/{model}"

_PARAM_SCHEMAS: dict[ParamType, dict[str, Any]] = {
    ParamType.LABEL_VALUE: {"type": "string"},
    ParamType.IDENTIFIER: {"type": "string", "pattern": "^(?![Ii][Nn][Ff]$|[Nn][Aa][Nn]$)[A-Za-z_:][A-Za-z0-9_:]*$"},
    ParamType.DURATION: {
        "type": "string",
        "pattern": "^(?!$)([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$",
    },
    ParamType.NUMBER: {"type": "number"},
    ParamType.ENUM: {"type": "string"},
    ParamType.DNS_LABEL: {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},
}


def _param_schema(param: Param, secret: bool) -> dict[str, Any]:
    """A param's JSON schema; a secret one has no default and is a `password` (a hint to hide it)."""
    schema = dict(_PARAM_SCHEMAS[param.type])
    if param.type in (ParamType.LABEL_VALUE, ParamType.IDENTIFIER, ParamType.DNS_LABEL):
        schema["maxLength"] = param.max_length
    if param.type is ParamType.LABEL_VALUE:
        schema["minLength"] = param.min_length
    if param.pattern:
        schema["pattern"] = f"^(?:{param.pattern})$"
    if param.values:
        schema["enum"] = list(param.values)
    # JSON Schema bounds numbers only: a duration's bounds are said in an extension.
    prefix = "x-" if param.type is ParamType.DURATION else ""
    if param.minimum is not None:
        schema[f"{prefix}minimum"] = param.minimum
    if param.maximum is not None:
        schema[f"{prefix}maximum"] = param.maximum
    if secret:
        schema["format"] = "password"
    elif param.default is not None:
        schema["default"] = param.default
    return schema


def _run_responses() -> dict[str, tuple[str, dict[str, Any]]]:
    """The run endpoint's answers by status: each one's name under `components.responses` and its object."""
    evaluation = {
        "content": {
            "application/json": {"schema": {"$ref": _REF.format(model="Evaluation")}},
            "text/plain": {"schema": {"type": "string"}},
        }
    }
    error = {"content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}}}
    return {
        "200": ("Verdict", {"description": "a verdict: pass, fail or inconclusive", **evaluation}),
        "400": ("BadArg", {"description": "bad, undeclared or missing arg", **error}),
        "401": ("Unauthorized", {"description": "missing or invalid bearer token (auth on)", **error}),
        "403": ("Forbidden", {"description": "this token may not use the check (auth allow-list)", **error}),
        "404": ("NoSuchCheck", {"description": "no such check", **error}),
        "408": ("BodyTimeout", {"description": "the request body did not arrive in time", **error}),
        "413": ("BodyTooLarge", {"description": "body too large", **error}),
        "414": ("QueryTooLong", {"description": "query string too long", **error}),
        "429": (
            "Overloaded",
            {"description": "too many evaluations in flight; retry after Retry-After seconds", **error},
        ),
        "500": (
            "VerdictErrorInternal",
            {"description": "verdict error: internal error or misconfigured check", **evaluation},
        ),
        "502": (
            "VerdictErrorSource",
            {"description": "verdict error: the source gave an unusable answer", **evaluation},
        ),
        "503": (
            "VerdictErrorUnavailable",
            {"description": "verdict error: source unavailable, or no data under no_data: error", **evaluation},
        ),
        "504": (
            "VerdictErrorDeadline",
            {"description": "verdict error: deadline exceeded or source timeout", **evaluation},
        ),
    }


# Every check's run operations answer the same way and take the same common args: written once under
# `components` and referred to, a catalog of 3,000 checks made a 19 MB document of copies.
_RUN_RESPONSES = _run_responses()
_RESPONSE_REFS = {status: {"$ref": f"#/components/responses/{name}"} for status, (name, _) in _RUN_RESPONSES.items()}


_COMMON_QUERY = [
    {
        "name": "at",
        "in": "query",
        "required": False,
        "description": "evaluate as of this time (RFC 3339 or unix seconds)",
        "schema": {"type": "string"},
    },
    {
        "name": "explain",
        "in": "query",
        "required": False,
        "description": "add `details` (queries, raw results)",
        "schema": {"type": "boolean"},
    },
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "text"]}},
]
_COMMON_QUERY_REFS = [{"$ref": f"#/components/parameters/{p['name']}"} for p in _COMMON_QUERY]


_VERDICTS_QUERY = [
    {
        "name": "check",
        "in": "query",
        "required": False,
        "description": "only this check (exact name)",
        "schema": {"type": "string"},
    },
    {
        "name": "verdict",
        "in": "query",
        "required": False,
        "description": "only this verdict; `rejected` lists "
        "requests refused before evaluation (unknown check, bad arg, forbidden, overloaded)",
        "schema": {"type": "string", "enum": list(HISTORY_VERDICTS)},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "at most this many entries",
        "schema": {"type": "integer", "minimum": 1, "default": 50},
    },
    {
        "name": "before",
        "in": "query",
        "required": False,
        "description": "only entries numbered below this `seq` (the last entry's of the page before, for the next "
        "page: entries recorded since do not move it); a number of another process's history is a 400",
        "schema": {"type": "integer", "format": "int64", "minimum": 0},
    },
    {
        "name": "explain",
        "in": "query",
        "required": False,
        "description": "add each entry's `details`",
        "schema": {"type": "boolean"},
    },
]


def build_openapi(catalog: Catalog, visible: Callable[[str], bool] = lambda _: True) -> dict[str, Any]:
    """The document: generic routes, plus one run route per check (those `visible` admits) with its params
    as query parameters."""
    _, definitions = models_json_schema(
        [
            (Evaluation, "serialization"),
            (ErrorBody, "serialization"),
            (CatalogListing, "serialization"),
            (VerdictHistoryPage, "serialization"),
        ],
        ref_template=_REF,
    )
    json_ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    paths: dict[str, Any] = {
        "/api/v1/checks": {
            "get": {
                "summary": "the catalog",
                "operationId": "listChecks",
                "responses": {
                    "200": {
                        "description": "the checks",
                        "content": {"application/json": {"schema": {"$ref": _REF.format(model="CatalogListing")}}},
                    }
                },
            }
        },
        "/api/v1/checks/{name}": {
            "get": {
                "summary": "one check's definition, secrets redacted",
                "operationId": "getCheck",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": json_ok, "404": _RESPONSE_REFS["404"]},
            }
        },
        "/api/v1/verdicts": {
            "get": {
                "summary": "the latest answers of the run endpoint in this process, newest first (why did Argo "
                "record an Error?)",
                "operationId": "listVerdicts",
                "parameters": _VERDICTS_QUERY,
                "responses": {
                    "200": {
                        "description": "history entries",
                        "content": {"application/json": {"schema": {"$ref": _REF.format(model="VerdictHistoryPage")}}},
                    },
                    "400": _RESPONSE_REFS["400"],
                    "401": _RESPONSE_REFS["401"],
                },
            }
        },
        "/healthz": {
            "get": {"summary": "liveness", "operationId": "healthz", "security": [], "responses": {"200": json_ok}}
        },
        "/readyz": {
            "get": {
                "summary": "readiness; 503 while draining",
                "operationId": "readyz",
                "security": [],
                "responses": {"200": json_ok, "503": json_ok},
            }
        },
        "/metrics": {
            "get": {
                "summary": "the service's metrics (with auth on, only the series of the caller's checks)",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _RESPONSE_REFS["401"],
                },
            }
        },
    }
    shown = [check for check in catalog.checks.values() if visible(check.name)]
    # A check name may hold `_`: the POST of `orders` and the GET of a check named `orders_post` were both
    # `run_orders_post`, and OpenAPI wants each operationId once (a client generator refuses or renames the second).
    # Such a POST takes `:`, which no check name holds; every other keeps its id.
    get_ids = {f"run_{check.name}" for check in shown}
    for check in shown:
        secret = check.secret_params()
        parameters = [
            {
                "name": name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": _param_schema(param, name in secret),
            }
            for name, param in check.params.items()
        ]
        body_schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _param_schema(p, name in secret) for name, p in check.params.items()},
        }
        operation = {
            "summary": check.description or f"evaluate {check.name}",
            "tags": [check.kind],
            "parameters": parameters + _COMMON_QUERY_REFS,
            "responses": _RESPONSE_REFS,
        }
        post_id = f"run_{check.name}_post"
        if post_id in get_ids:
            post_id = f"run_{check.name}:post"
        paths[f"/api/v1/checks/{check.name}/run"] = {
            "get": {**operation, "operationId": f"run_{check.name}"},
            "post": {
                **operation,
                "operationId": post_id,
                "parameters": _COMMON_QUERY_REFS,
                "requestBody": {"required": False, "content": {"application/json": {"schema": body_schema}}},
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "analyzer",
            "version": __version__,
            "description": f"Release analysis verdicts. Catalog version {catalog.version}.",
        },
        "paths": paths,
        # Applies when the service runs with auth on (ANALYZER_AUTH_TOKENS); health and readiness stay open.
        "security": [{"bearer": []}],
        "components": {
            "schemas": definitions.get("$defs", {}),
            "responses": {name: response for name, response in _RUN_RESPONSES.values()},
            "parameters": {p["name"]: p for p in _COMMON_QUERY},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
