"""Prometheus through aiohttp's client, on the event loop: one ClientSession per source, its connector
bounding the queries in flight, a timeout bounding each whole answer."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import operator
import re
import ssl
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import from_json
from yarl import URL

from analyzer.catalog_paths import FileVersion, file_state, file_version
from analyzer.errors import (
    CheckError,
    CheckMisconfigured,
    ResendableFailure,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
    short_reason,
)
from analyzer.models import clip
from analyzer.quoting import quote
from analyzer.redaction import (
    EVALUATION_SECRETS,
    MIN_HIDDEN_CHARS,
    REDACTED,
    Hider,
    credential_forms,
    hide_credentials,
    hide_url_secrets,
    is_credential_value,
    is_secret_name,
    url_for_message,
    url_with_scheme,
)
from analyzer.sources._aiohttp import aiohttp

# Cap on how much of an upstream error body is quoted in a reason, and on how much of it is read for the quote.
_ERROR_SNIPPET_CHARS = 300
_ERROR_TEXT_CHARS = 65536
# A header that carries a credential, by its name or by an auth scheme before its value.
# A header value this long is hidden wherever it appears, whatever its header's name.
_FREE_TEXT_SECRET_CHARS = 8
# The end of a url given as the query API itself (`http://prometheus:9090/api/v1`), not the base address it lies under.
_BASE_URL_RE = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
_QUERY_API_PATH_RE = re.compile(r"/api/v1(?:/query(?:_range)?)?$", re.IGNORECASE)
# A header name is an HTTP token; a value may hold no control character but a tab (a trailing newline from a
# YAML block scalar would split the request, and aiohttp refuses it only when it sends).
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_RE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
# Answers that a second attempt may get right: a proxy in front of Prometheus that could not reach it (502) or
# a Prometheus not ready (503). A 503 of errorType timeout is Prometheus saying the query took all its time,
# and a 504 a proxy saying so: sent again, it would cost a struggling server as much again. So would a 503 with
# Retry-After: the server said it is struggling, and when to come back.
_RESENDABLE_STATUSES = frozenset({502, 503})
# The statuses whose Retry-After is read: a rate limit and an overload.
_WAIT_STATUSES = frozenset({429, 503})


# A shell's, Kubernetes' or a template's variable left in a URL (`http://${PROM_HOST}:9090`, `$(PROM_URL)`,
# `{{ .Values.url }}`): the catalog expands none, so it would be sent as written, an error at every evaluation.
_VARIABLE_RE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*?\}\}|\$[A-Za-z_]\w*")


def _variable(url: str) -> str:
    """The first variable `url` holds outside its user info ("" when none): a password's `$` is no variable, and
    quoted it would show the password's end."""
    found = _VARIABLE_RE.search(url_for_message(url))
    return found.group() if found else ""


def _in_path(url: str, variable: str) -> bool:
    """Whether `variable` is a `$NAME` (not `${..}`, `$(..)`, `{{ .. }}`) in the path of `url`, where a `$` may be the
    path's own."""
    return variable[1:].isidentifier() and variable in url.partition("://")[2].partition("/")[2]


def _is_base_url(url: str) -> bool:
    if _variable(url):
        return False
    try:
        # The client reads the port when it sends: a bad one would fail every query, not the load.
        return _BASE_URL_RE.fullmatch(url) is not None and urlsplit(url).port != 0
    except ValueError:
        return False


def base_url_refusal(url: str, example: str) -> str:
    """Why `url` is no http(s) base URL: the URL to write when it lacks only its scheme (`prometheus:9090`, as a
    port-forward or a Service is often written), else an `example` of one."""
    said = f"{url_for_message(url)!r} is not an http(s) base URL"
    if not url.strip():
        # `--prometheus "$PROMETHEUS"` in a shell that has not sourced the demo's env, a CI variable unset.
        return f"{said} (an unset variable?): give one such as {example}"
    if variable := _variable(url):
        # `$NAME` in a path may be a proxy path's own (`/prom$tenant`): percent-encoded, it loads and is sent so.
        literal = "; a `$` that is part of the path is written %24" if _in_path(url, variable) else ""
        return (
            f"{said}: it holds {variable}, a variable, which the analyzer never expands (it would send it as "
            f"written): give the address itself, such as {example}, or fill it in first (Helm, envsubst, a shell's "
            f"double quotes){literal}"
        )
    mended = url_with_scheme(url)
    if mended is None or "@" in url or not _is_base_url(mended[0]):
        return f"{said} such as {example}"
    meant, wrong = mended
    if (api := _QUERY_API_PATH_RE.search(meant.rstrip("/"))) is not None:
        # Named as the base address at once: the URL with the query API's path would be refused for it next.
        return f"{said}: {wrong}; write {url_for_message(meant[: api.start()])} (the source adds /api/v1/query itself)"
    return f"{said}: {wrong}; write {url_for_message(meant)}"


class PrometheusSourceConfig(BaseModel):
    """A Prometheus (or Thanos, Mimir, VictoriaMetrics: anything with its HTTP query API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["prometheus"] = "prometheus"
    url: str = Field(description="base URL, e.g. http://prometheus.monitoring:9090")
    timeout_s: float = Field(default=5.0, gt=0, le=120, description="per-query timeout, bounding the whole answer")
    max_concurrency: int = Field(default=8, ge=1, le=256, description="connections, so queries in flight at once")
    retry: bool = Field(
        default=True,
        description="one immediate re-send, while time remains, after a failed "
        "connection or a 502/503 (never after a timeout answer or a 503 with Retry-After)",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers")
    bearer_token_file: Path | None = Field(default=None, description="file holding a bearer token, re-read")
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the server's certificate")
    insecure: bool = Field(default=False, description="skip TLS verification (never in production)")
    max_answer_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="largest answer read, decoded; a larger one is source_rejected (a query selecting far more "
        "series than a check can mean would otherwise be read whole into memory)",
    )
    compress_responses: bool = Field(
        default=False,
        description="ask for gzip answers: worth it for large range results over slow links; "
        "in a cluster, compressing and decompressing small answers costs more time than it saves",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not _is_base_url(url):
            raise ValueError(base_url_refusal(url, "http://prometheus:9090"))
        if "@" in url.split("/", 3)[2]:
            # A URL is shown in reasons, logs and check definitions: credentials do not belong in it.
            raise ValueError(
                "the url carries user info (user:password@host); put credentials in `headers` or `bearer_token_file`"
            )
        base = url.rstrip("/")
        if (api := _QUERY_API_PATH_RE.search(base)) is not None:
            raise ValueError(
                f"{url_for_message(url)!r} ends in the query API's path ({api.group()}), and the source adds "
                f"/api/v1/query itself: give Prometheus' base address (with its --web.route-prefix if it has one): "
                f"write {url_for_message(base[: api.start()])}"
            )
        return base

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME_RE.fullmatch(name):
                raise ValueError(f"header name {name!r} is not an HTTP token")
            if not _HEADER_VALUE_RE.fullmatch(value):
                # The value is not quoted: it may be a credential.
                raise ValueError(
                    f"the value of header {name!r} holds a line break or another control "
                    "character (a YAML block scalar leaves a trailing newline: use a quoted string)"
                )
        return headers

    @field_validator("ca_file")
    @classmethod
    def _readable_ca_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load, unlike bearer_token_file: a token Secret may be mounted after the catalog loads
        # and rotates, while a CA bundle missing at load means every query of the source would fail.
        # `analyzer validate` in CI runs where the pod's files are not: it passes check_files=False.
        context = info.context or {}
        if path is not None and context.get("check_files", True):
            if "named_files" in context:
                # Looked at before it is opened: a file that changes after still differs from what was found.
                context["named_files"][path] = file_state(path)
            try:
                with path.open("rb"):
                    pass
            except OSError as exc:
                raise ValueError(f"ca_file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        return path

    def redacted(self) -> dict[str, Any]:
        """The config as shown to API callers: header values hidden."""
        data = self.model_dump(mode="json")
        data["headers"] = {name: REDACTED for name in self.headers}
        return data


# Longest label name or value a reason quotes.
DESCRIBED_LABEL_CHARS = 200


@dataclass(frozen=True)
class Series:
    """One series of a query result: its labels and its (unix seconds, value) samples."""

    labels: dict[str, str]
    samples: list[tuple[float, float]]

    def describe(self) -> str:
        """The series as PromQL shows it: `name{a="b"}`, each value quoted as a PromQL string (a quote or a
        backslash in it escaped), each name and value clipped to DESCRIBED_LABEL_CHARS (a target's label value
        can be megabytes, and reasons are kept and logged)."""
        name = clip(self.labels.get("__name__", ""), DESCRIBED_LABEL_CHARS)
        inner = ", ".join(
            f'{clip(k, DESCRIBED_LABEL_CHARS)}="{_promql_quoted(clip(v, DESCRIBED_LABEL_CHARS))}"'
            for k, v in sorted(self.shown_labels().items())
            if k != "__name__"
        )
        return f"{name}{{{inner}}}" if inner or not name else name

    def shown_labels(self) -> dict[str, str]:
        """The labels as reasons and evidence show them: in each value, a URL's user info and its parameters under
        secret names hidden (`hide_url_secrets`: a blackbox probe's `instance` may be a URL carrying its API key);
        the labels themselves when no value may hold one."""
        for value in self.labels.values():
            if "=" in value or "@" in value:
                return {name: hide_url_secrets(value) for name, value in self.labels.items()}
        return self.labels


def _promql_quoted(value: str) -> str:
    """The inside of a PromQL double-quoted string holding `value`: a label value `x"} 0.001 meets` cannot close
    the quote and pass for the reason's own words."""
    if '"' in value or "\\" in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def made_series(labels: dict[str, str], samples: list[tuple[float, float]]) -> Series:
    """`Series(labels, samples)`, the same object built without the frozen dataclass's `__init__` (a frame and
    two `object.__setattr__`): readers build one per series of every answer."""
    made = object.__new__(Series)
    made.__dict__.update(labels=labels, samples=samples)
    return made


def made_result(
    query: str, result_type: str, series: list[Series], warnings: list[str], infos: list[str]
) -> QueryResult:
    """`QueryResult(query, result_type, series, warnings, infos)`, the same object built without the frozen
    dataclass's `__init__` (a frame and five `object.__setattr__`): a batch is split into one per query."""
    made = object.__new__(QueryResult)
    made.__dict__.update(query=query, result_type=result_type, series=series, warnings=warnings, infos=infos)
    return made


def storage_warnings(warnings: list[str]) -> list[str]:
    """Those of an answer's `warnings` that may mean series are missing from it: all but PromQL's own annotations
    ("PromQL info: ...", "PromQL warning: ..."), which judge the query, not the data. Thanos, Mimir and remote read
    say a store did not answer only in a warning (VictoriaMetrics' `isPartial` is read as one)."""
    return [warning for warning in warnings if not warning.startswith("PromQL ")]


@dataclass(frozen=True)
class RecordingRule:
    """A recording rule as the rules API lists it: the name it records, its expression, its static labels."""

    name: str
    query: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class RulesListed:
    """The recording rules a rules API listed, and its answer's warnings that may mean some are missing (`partial`:
    Thanos with a ruler down)."""

    rules: tuple[RecordingRule, ...]
    partial: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryResult:
    """A parsed query answer: its `resultType` (`vector`, `scalar` or `matrix`) as Prometheus sent it, its
    series, and the `warnings` and `infos` Prometheus attached to it."""

    query: str
    result_type: str
    series: list[Series]
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    @property
    def storage_warnings(self) -> list[str]:
        """The warnings that may mean series are missing from the answer (see `storage_warnings`)."""
        return storage_warnings(self.warnings)

    def only_series(self, what: str, aggregate: str = "sum") -> Series | None:
        """The result's one series, None when there is none; CheckMisconfigured (naming the query as `what`
        and suggesting `aggregate`) when there are several."""
        if len(self.series) > 1:
            shown = ", ".join(series.describe() for series in self.series[:3])
            more = ", ..." if len(self.series) > 3 else ""
            raise CheckMisconfigured(
                f"the {what} returned {len(self.series)} series ({shown}{more}); it must return "
                f"one: aggregate it to one, e.g. with {aggregate}(...), or narrow the selectors"
            )
        return self.series[0] if self.series else None

    def single_value(self, what: str) -> float | None:
        """The value of an instant result's one series (see only_series); None when there is none;
        CheckMisconfigured for a range vector, whose last raw sample is no value of the window."""
        if self.result_type == "matrix":
            raise CheckMisconfigured(
                f"the {what} returned a range vector (raw samples), not one value per series; "
                "reduce its window in PromQL, e.g. max_over_time(x[5m]) or rate(x[5m])"
            )
        if len(self.series) == 1:
            # The usual answer, read without only_series' frame: a window's value is read twice per window.
            samples = self.series[0].samples
            return samples[-1][1] if samples else None
        series = self.only_series(what)
        return series.samples[-1][1] if series is not None and series.samples else None


def map_aiohttp_errors(source: str, url: str) -> ErrorMapping:
    """Translate aiohttp's client exceptions (and the OS errors under them) into the analyzer's errors."""
    return ErrorMapping(f"Prometheus source {source!r} ({url})", _translate_client_error)


def translate_client_error(exc: aiohttp.ClientError | OSError, where: str) -> CheckError:
    """The analyzer's error for a failed exchange with `where`; most specific aiohttp class first."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return SourceUnavailable(f"{where} did not accept a connection in time")
    if isinstance(exc, TimeoutError):
        # aiohttp.ServerTimeoutError and SocketTimeoutError are TimeoutErrors too.
        return SourceTimeout(f"{where} did not answer in time")
    if isinstance(exc, aiohttp.ClientSSLError):
        return SourceUnavailable(f"{where}: TLS failed: {_tls_reason(exc)}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return SourceUnavailable(
            f"{where} is unreachable: {short_reason(exc.os_error)} (is the source's `url` right, and Prometheus up "
            "and reachable from here?)"
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return SourceUnavailable(f"{where} closed the connection without answering")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return SourceUnavailable(f"{where}: the answer could not be read whole: {short_reason(exc)}")
    if isinstance(exc, aiohttp.ClientResponseError):
        # Raised by aiohttp itself on an answer it cannot read (an encoding it cannot decode, a malformed status
        # line); `status` is then aiohttp's, not the server's.
        return SourceRejected(
            f"{where} sent an answer that could not be read: {clip(exc.message, _ERROR_SNIPPET_CHARS)}"
        )
    return SourceUnavailable(f"{where}: request failed: {type(exc).__name__}: {short_reason(exc)}")


def _tls_reason(exc: aiohttp.ClientSSLError) -> str:
    cause = getattr(exc, "certificate_error", None) or exc.os_error
    # A failed verification says why in verify_message ("unable to get local issuer certificate").
    return str(getattr(cause, "verify_message", "") or short_reason(cause))


def map_answer_shape_errors(source: str, url: str) -> ErrorMapping:
    """Translate the errors of reading an answer of the wrong shape into SourceRejected; wraps only the
    parsing of the answer, so that a bug elsewhere is not reported as the source's fault."""
    return ErrorMapping(f"Prometheus source {source!r} ({url})", _answer_shape_error)


def _translate_client_error(exc: BaseException, where: str) -> CheckError | None:
    if isinstance(exc, aiohttp.ClientError | OSError):
        return translate_client_error(exc, where)
    return None


def _answer_shape_error(exc: BaseException, where: str) -> CheckError | None:
    # OverflowError: a value written as a JSON integer too large for a float (1 followed by 400 digits).
    if isinstance(exc, KeyError | TypeError | ValueError | IndexError | OverflowError):
        return SourceRejected(f"{where} answered with an unexpected shape: {type(exc).__name__}: {short_reason(exc)}")
    return None


def drop_tracebacks(exc: BaseException) -> None:
    """Forget the tracebacks of `exc` and of the exceptions under it, once it is mapped to the analyzer's error
    (which says what failed; no log shows their frames). aiohttp and aiohappyeyeballs keep the exception they
    raise in a local of a frame its own traceback holds (`last_exc`, `first_exception`): without this, every
    refused query leaves about 150 objects in reference cycles that only the cyclic GC collects."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += [under for under in (current.__cause__, current.__context__) if under is not None]


class ErrorMapping:
    """A context manager raising `translate(exc, where)` from the exceptions it maps (those for which it
    is not None) and letting others through; or, on a path where a `with` costs too much, `raise_mapped` in an
    `except BaseException` clause. A plain class, made once per source: a generator-based one per query cost
    more than the rest of the query's own code."""

    __slots__ = ("_translate", "_where")

    def __init__(self, where: str, translate: Callable[[BaseException, str], CheckError | None]) -> None:
        self._where = where
        self._translate = translate

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self.raise_mapped(exc)

    def raise_mapped(self, exc: BaseException) -> None:
        """Raise `translate(exc, where)` from `exc` when it maps `exc`; return otherwise (the caller lets `exc` go
        on)."""
        error = self._translate(exc, self._where)
        if error is not None:
            drop_tracebacks(exc)
            try:
                raise error from exc
            finally:
                # A local holding the error its traceback holds this frame by: a reference cycle.
                del error


@functools.lru_cache(maxsize=64)
def _hider(secrets: tuple[str, ...], words: tuple[str, ...]) -> Hider:
    # Per source and token: a token file re-read for every query mostly holds the same token.
    return Hider(secrets, words)


def _raise_mapped_hidden(
    errors: ErrorMapping, exc: BaseException, secrets: tuple[str, ...], words: tuple[str, ...]
) -> None:
    """`errors.raise_mapped(exc)`, the error's message hidden as `_hidden` does (it may quote the answer)."""
    try:
        errors.raise_mapped(exc)
    except CheckError as mapped:
        mapped.message = _hidden(mapped.message, secrets, words)
        mapped.args = (mapped.message,)
        raise


def _hidden(text: str, secrets: tuple[str, ...], words: tuple[str, ...]) -> str:
    """`text` with every value of `secrets` replaced wherever it appears, and every value of `words` where it
    stands apart from other word characters (a tenant `prod` is no part of `production`), each as written or as
    a proxy may re-encode it echoing it (percent-encoded, JSON- or HTML-escaped); overlapping values go as one."""
    return _hider(secrets, words).hide(text)


def _all_hidden(texts: list[str], secrets: tuple[str, ...], words: tuple[str, ...]) -> list[str]:
    """Each of `texts` as `_hidden` leaves it."""
    # Not a comprehension in the caller: one there would make `secrets` and `words` cells on every query.
    return [_hidden(text, secrets, words) for text in texts]


def header_secrets(headers: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What an error answer to a request carrying `headers` must not quote, as `quoted` takes it: a credential
    header's value (also without its scheme, and a Basic one's `user:password` and password decoded) and any value
    long enough to be one (a token under a name of its own) wherever it appears; a shorter form of a credential (a
    Basic password `prom`) and a short value that is no credential (a tenant `prod`) as a whole word only: inside
    another word it would blank it, and tell itself by what is left (`<redacted>etheus`)."""
    credentials: list[str] = []
    others: list[str] = []
    for header, value in headers.items():
        if is_secret_name(header) or is_credential_value(value):
            credentials += credential_forms(value)
        elif len(value) >= _FREE_TEXT_SECRET_CHARS:
            credentials.append(value)
        else:
            others.append(value)
    return (
        tuple(dict.fromkeys(form for form in credentials if len(form) >= _FREE_TEXT_SECRET_CHARS)),
        tuple(
            dict.fromkeys(
                form for form in (*credentials, *others) if MIN_HIDDEN_CHARS <= len(form) < _FREE_TEXT_SECRET_CHARS
            )
        ),
    )


def quoted(text: str, secrets: tuple[str, ...], words: tuple[str, ...]) -> str:
    """About the first _ERROR_SNIPPET_CHARS characters of `text`, hidden as `_hidden` does and without a credential
    that says what it is (`hide_credentials`: a proxy or a misrouted url's service may answer with a debug page, a
    DSN, a Secret's manifest) or a value under a secret name, read as http_smoke reads an answer's body (`_masked`: a
    JSON member, a form's parameter, markup, a table): the cut is made in the hidden text and moves past a REDACTED it
    would split."""
    # Imported here: compiling its patterns was 6% of a Job's instructions, and a query answered quotes no error.
    from analyzer._body_secrets import _masked

    text = hide_credentials(_masked(_hider(secrets, words).hide(text[:_ERROR_TEXT_CHARS]), is_secret_name))
    cut = _ERROR_SNIPPET_CHARS
    # A REDACTED the cut would split ends the quote.
    split = text.find(REDACTED, max(cut - len(REDACTED) + 1, 0), cut + len(REDACTED) - 1)
    return text[: split + len(REDACTED) if split >= 0 else cut]


# Prometheus answers a query it refuses with 400 or 422 and a JSON error, never with 404: a 404 is the url's
# path (`.../api/v1`, a missing route prefix), the mistake a newcomer makes.
_NOT_FOUND_HINT = (
    "; no query API at this address: the source's url must be Prometheus' base address (such as "
    "http://prometheus:9090, with the --web.route-prefix if it has one), without /api/v1"
)
# A 404 of the label-names API (`holds_data`, asked after a query at the same address succeeded): the url is right, a
# proxy in front of Prometheus serves the query API alone.
_LABELS_NOT_FOUND_HINT = (
    "; no label-names API at this address, which answers queries: let GET /api/v1/labels through the proxy in front "
    "of Prometheus (prom-label-proxy: --enable-label-apis)"
)
# A 404 of the rules API (`recording_rules`): a querier without one (Thanos Query without --rule endpoints, Mimir
# without its ruler), or a proxy that serves the query API alone.
_RULES_NOT_FOUND_HINT = "; no rules API at this address, which answers queries (a querier without rules, or a proxy)"
# How long a source keeps the recording rules its rules API listed: a rule file changes on a reload, seldom, and a
# rollout's evaluations minutes apart read them once a minute at most.
RULES_KEPT_S = 60.0
# The label a rule's expression travels under between the rules API's answer and RecordingRule: Prometheus reserves
# names starting with __ for its own use, so no rule's label has it.
_RULE_QUERY = "__query__"


def read_answer(
    where: str,
    status: int,
    body: bytes,
    secrets: tuple[str, ...] = (),
    words: tuple[str, ...] = (),
    retry_after: str | None = None,
    not_found_hint: str = _NOT_FOUND_HINT,
) -> dict[str, Any]:
    """The `data`, `warnings` and `infos` of a successful answer as Prometheus sends them; the analyzer's error
    for any other answer (a redirect, an error body, a body that is not JSON), quoting the error without what the
    request carried in its headers: `secrets` hidden wherever they appear, `words` where they are whole words.
    `retry_after`: the answer's Retry-After header (read on a 429 or a 503), quoted; a 503 with one is not sent
    again. `not_found_hint`: what a 404's error adds (what the endpoint's absence at this address means)."""
    if 300 <= status < 400:
        raise SourceRejected(
            f"{where} answered with a redirect (HTTP {status}); the source's url must be the "
            "Prometheus API itself, not an address that forwards to it or to a login page"
        )
    try:
        payload = _json_value(body)
    except RecursionError:
        if 200 <= status < 300:
            raise SourceRejected(
                f"{where} answered HTTP {status} with JSON nested too deeply to read (arrays or objects "
                "hundreds of levels deep; no Prometheus answer nests more than a few)"
            ) from None
        # An error answer's body is quoted as text, whatever it holds.
        payload = None
    if 200 <= status < 300:
        if not isinstance(payload, dict):
            raise SourceRejected(f"{where} answered HTTP {status} with {_not_an_answer(payload, body, secrets, words)}")
        if payload.get("status") == "success":
            return payload
        if "errorType" not in payload and "error" not in payload:
            # No error named either: the JSON of something else (a proxy's status page), no refusal of the query.
            raise SourceRejected(
                f"{where} answered HTTP {status} with a JSON object that is no Prometheus answer (its status is "
                f"{clip(_quoted_status(payload.get('status'), secrets, words), 40)}, not 'success', and it "
                "names no error)"
            )
    error_type, error = "", ""
    if isinstance(payload, dict):
        error_type, error = str(payload.get("errorType", "")), str(payload.get("error", ""))
    else:
        error = body[:_ERROR_TEXT_CHARS].decode("utf-8", "replace").strip()
    # A proxy in front of Prometheus may quote the request's credentials in its refusal.
    shown_type, shown_error = quoted(error_type, secrets, words), quoted(error, secrets, words)
    detail = f"HTTP {status}" + (f" {shown_type}" if error_type else "") + (f": {shown_error}" if error else "")
    # A proxy's Retry-After is its text too: one that echoes the request is hidden as its error is.
    wait = wait_asked(retry_after and _hidden(retry_after, secrets, words))
    if error_type == "timeout" or status == 504:
        raise SourceTimeout(f"{where} timed out evaluating the query ({detail}{wait})")
    if status == 429:
        # A querier's or proxy's rate limit (Mimir, Cortex, Thanos' query frontend): the source is there but will
        # not take the query now, no fault of the query; not sent again, for it asked to be left alone.
        raise SourceUnavailable(f"{where} is refusing queries for now: too many requests ({detail}{wait})")
    if status >= 500 and error_type != "execution":
        failing = SourceUnavailable(f"{where} is failing ({detail}{wait})")
        if status in _RESENDABLE_STATUSES and not wait:
            raise ResendableFailure(failing)
        raise failing
    hint = not_found_hint if status == 404 else ""
    rejected = SourceRejected(f"{where} rejected the query ({detail}){hint}")
    if status == 408:
        # The server did not take the request: sent unasked on an idle kept-alive connection before closing it,
        # a 408 is read as the next request's answer. That request never reached it, so it is sent again.
        raise ResendableFailure(rejected, always=True)
    raise rejected


def _quoted_status(status: Any, secrets: tuple[str, ...], words: tuple[str, ...]) -> str:
    """An answer's `status` as a reason quotes it (its repr), hidden as `_hidden` does (a proxy's may echo the
    request) before the reason's clip cuts it: a string before its repr escapes it, an object or a list (a value
    in it, a key) as its repr writes it."""
    return repr(_hidden(status, secrets, words)) if type(status) is str else _hidden(repr(status), secrets, words)


def wait_asked(retry_after: str | None) -> str:
    """The wait a Retry-After header asks for, as a reason's tail ('' without one): seconds as such, anything else
    (an HTTP date) quoted."""
    shown = (retry_after or "").strip()
    if not shown:
        return ""
    if shown.isascii() and shown.isdigit() and len(shown) < 10:
        return f"; it asks to wait {shown} s"
    return f"; Retry-After {clip(shown, 40)!r}"


def _not_an_answer(payload: Any, body: bytes, secrets: tuple[str, ...], words: tuple[str, ...]) -> str:
    """What a success answer that is no JSON object holds, for a reason: its start quoted (a proxy's login or error
    page says what it is)."""
    if payload is not None:
        return f"a JSON {type(payload).__name__}, not a JSON object"
    if not body.strip():
        return "an empty body, not a JSON object"
    text = body[:_ERROR_TEXT_CHARS].decode("utf-8", "replace").strip()
    # A body that starts as JSON and does not parse was cut on the way (a proxy's buffer, a dropped stream).
    cut = " (cut short?)" if text.startswith(("{", "[")) else ""
    return f"a body that is not a JSON object{cut}: {quoted(text, secrets, words)!r}"


def _json_value(body: bytes) -> Any:
    """The body's JSON value as json.loads reads it, None when it is no JSON; RecursionError when it nests deeper
    than json.loads can read."""
    try:
        # pydantic-core's parser reads an answer in about half json.loads' instructions, with the same values
        # (NaN and Infinity included, the last of duplicate keys kept).
        return from_json(body)
    except ValueError:
        pass
    # It refuses JSON that json.loads reads (UTF-16 or UTF-32, a byte order mark, a lone surrogate escape,
    # nesting deeper than 200): json.loads decides what is JSON, as it always did.
    try:
        return json.loads(body)
    except ValueError:
        return None


_STRINGS = frozenset({str})
# The warning an answer marked `"isPartial": true` carries: a store that did not answer, as Thanos' warnings say.
_PARTIAL_ANSWER = "the answer is partial (isPartial: true): some storage nodes did not answer"
_FIRST = operator.itemgetter(0)
# A sample's time as JSON writes a number (a JSON true is a bool: no time).
_NUMBERS = frozenset({int, float})


def parse_result(query: str, data: Any) -> QueryResult:
    """Turn the `data` of a query answer (`resultType` and `result`) into series; ValueError / KeyError /
    TypeError on a bad shape, or a string result, which no check can judge.

    Read as Prometheus writes an answer, anything else refused (a body that is no Prometheus answer): label values
    are strings, a sample is a [time, value] pair whose time is a finite JSON number and whose value is a string
    ("0.5", "NaN", "+Inf"), which float() reads.
    """
    if not isinstance(data, dict):
        raise TypeError(f"its data is {'missing or null' if data is None else type(data).__name__}, not an object")
    result_type, result = data["resultType"], data["result"]
    if result_type == "scalar":
        return QueryResult(query, "scalar", [Series({}, [_sample(result, None)])])
    if result_type not in ("vector", "matrix"):
        raise ValueError(f"resultType {result_type!r}: a check judges a vector, a matrix or a scalar")
    if not isinstance(result, list):
        raise TypeError(f"a {result_type} result is a {type(result).__name__}, not a list")
    series: list[Series] = []
    for item in result:
        metric = item["metric"]
        if not isinstance(metric, dict):
            raise TypeError(f"a series' metric is a {type(metric).__name__}, not an object of labels")
        if not _STRINGS.issuperset(map(type, metric.values())):
            name, value = next((k, v) for k, v in metric.items() if type(v) is not str)
            raise TypeError(f"label {clip(name, 40)!r} of a series is {_json_shown(value)}, not a string")
        # JSON object keys are strings, and so are its values (above): the decoded object, which nothing else
        # holds, is the labels as they are.
        labels = metric
        if "histogram" in item or "histograms" in item:
            # Prometheus' own answer to a query that selects native histograms: the check's query is wrong, not the
            # answer; and a series' float samples beside its histogram ones are not the whole window.
            raise CheckMisconfigured(
                f"series {Series(labels, []).describe()} holds native histogram samples, which no threshold can "
                "judge; turn them into numbers in the query, e.g. histogram_quantile(0.99, sum(rate(x[5m]))), "
                "histogram_count(rate(x[5m])) or histogram_sum(rate(x[5m]))"
            )
        try:
            samples = _samples(item["values"], labels) if result_type == "matrix" else [_sample(item["value"], labels)]
        except KeyError as exc:
            # Most likely the other result type's key: the resultType disagrees with the result.
            raise ValueError(f"a {result_type}'s series {Series(labels, []).describe()} has no {exc}") from None
        series.append(made_series(labels, samples))
    if len(series) > 1:
        _refuse_repeated_series(series)
    return made_result(query, result_type, series, [], [])


def _label_names(data: Any) -> QueryResult:
    """The `data` of a label-names answer (a list of strings) as a result of one series per name, labelled
    `__name__`; TypeError on another shape."""
    if not isinstance(data, list) or not _STRINGS.issuperset(map(type, data)):
        raise TypeError(f"its data is {_json_shown(data)}, not a list of label names")
    return made_result("", "labels", [made_series({"__name__": name}, []) for name in data], [], [])


def _recording_rules(data: Any) -> QueryResult:
    """The `data` of a rules API answer (groups of rules) as a result of one series per recording rule: its name as
    `__name__`, its static labels, and its expression under _RULE_QUERY; TypeError or KeyError on another shape."""
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise TypeError(f"its data is {_json_shown(data)}, not an object holding a list of rule groups")
    series: list[Series] = []
    for group in data["groups"]:
        rules = group["rules"] if isinstance(group, dict) else None
        if not isinstance(rules, list):
            raise TypeError(f"a rule group is {_json_shown(group)}, not an object holding a list of rules")
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("type") != "recording":
                # Alerting rules, listed by a server that does not filter on type=record.
                continue
            name, query, labels = rule["name"], rule["query"], rule.get("labels") or {}
            if type(name) is not str or type(query) is not str or not isinstance(labels, dict):
                raise TypeError(f"a recording rule is {_json_shown(rule)}, not a name, a query and labels")
            if not _STRINGS.issuperset(map(type, labels.values())):
                raise TypeError(f"recording rule {clip(name, 80)!r} has labels {_json_shown(labels)}, not strings")
            series.append(made_series({**labels, "__name__": name, _RULE_QUERY: query}, []))
    return made_result("", "rules", series, [], [])


def _sample(pair: Any, labels: dict[str, str] | None) -> tuple[float, float]:
    """One [time, "value"] pair as floats; `_refuse_sample`'s error when it is not as Prometheus writes one."""
    try:
        at, value = pair
    except (TypeError, ValueError):
        _refuse_sample(pair, labels)
    # A string "42" unpacks too, as the time "4" and the value "2".
    if type(value) is not str or type(at) not in _NUMBERS or not math.isfinite(at):
        _refuse_sample(pair, labels)
    sample = float(at), float(value)
    if "_" in value or not value.isascii() or value[0] <= " " or value[-1] <= " " or not math.isfinite(sample[1]):
        _refuse_spelling(value, labels)
    return sample


def _samples(pairs: Any, labels: dict[str, str]) -> list[tuple[float, float]]:
    """A matrix series' [time, "value"] pairs as floats, checked as `_sample` checks one (in one comprehension: a
    range answer holds thousands of samples)."""
    if type(pairs) is not list:
        raise TypeError(f"series {Series(labels, []).describe()}: its values are {_json_shown(pairs)}, not an array")
    try:
        samples = [(float(at), float(value)) for at, value in pairs if type(value) is str and type(at) in _NUMBERS]
    except (TypeError, ValueError):
        samples = []
    if len(samples) != len(pairs) or not math.isfinite(sum(map(_FIRST, samples))):
        for pair in pairs:
            _sample(pair, labels)
    # The values' spelling, looked for in them all at once (a check per value would cost a good part of reading it):
    # a value with a character float() reads and Prometheus never writes, or a NaN or an infinity, has each one
    # looked at.
    values = "".join(map(_SECOND, pairs))
    if not values.isascii() or _stray_characters(values):
        for pair in pairs:
            _sample(pair, labels)
    return samples


# What float() reads beside what Prometheus writes (Go's strconv.FormatFloat: "0.001", "1e-07", "NaN", "+Inf"):
# "0_001" (as 1), " 0.001", "infinity", "nan", digits of other scripts. Refused: a proxy rewrote the value.
_SPECIAL_VALUES = frozenset({"NaN", "+Inf", "-Inf"})
_SECOND = operator.itemgetter(1)
# An underscore, the whitespace float() strips, and the letters of every NaN and infinity it reads ("n", "N").
_STRAY = ("_", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "n", "N")


def _stray_characters(values: str) -> bool:
    """Whether sample values (joined) hold a character of _STRAY."""
    # A loop, not any() over a generator: it runs on every series of a range answer.
    for character in _STRAY:  # noqa: SIM110
        if character in values:
            return True
    return False


def _refuse_spelling(value: str, labels: dict[str, str] | None) -> None:
    """ValueError when a sample `value` of the series of `labels` (None: the scalar), which float() read, is not
    spelt as Prometheus writes a number; None for NaN, +Inf and -Inf, and for a number that float() reads as Go
    reads it (no underscore, no whitespace, ASCII)."""
    if value in _SPECIAL_VALUES:
        return
    if "_" not in value and value.isascii() and value.strip() == value and math.isfinite(float(value)):
        return
    what = "the scalar" if labels is None else f"series {Series(labels, []).describe()}"
    raise ValueError(
        f"{what}: its sample value {clip(value, 40)!r} is not a number as Prometheus writes one (digits, '.', 'e', "
        "a sign; NaN, +Inf, -Inf)"
    )


def _refuse_sample(pair: Any, labels: dict[str, str] | None) -> NoReturn:
    """TypeError or ValueError saying how `pair`, a sample of the series of `labels` (None: the scalar), that
    `_sample` refused is not [time, value] as Prometheus writes it."""
    what = "the scalar" if labels is None else f"series {Series(labels, []).describe()}"
    if type(pair) is not list:
        raise TypeError(f"{what}: its sample is {_json_shown(pair)}, not a [time, value] array")
    if len(pair) != 2:
        raise ValueError(f"{what}: a sample {clip(repr(pair), 60)} is no [time, value] pair")
    at, value = pair
    if type(value) is not str:
        raise TypeError(f"{what}: its sample value is {_json_shown(value)}, not a string")
    if type(at) not in _NUMBERS:
        raise TypeError(f"{what}: its sample time is {_json_shown(at)}, not a number")
    raise ValueError(f"{what}: its sample time is not a finite number ({at})")


def _json_shown(value: Any) -> str:
    """A JSON value as a reason names it: `true`, `null`, the number 1, the string '2', an array, an object."""
    if value is None or type(value) is bool:
        return json.dumps(value)
    if type(value) in _NUMBERS:
        return f"the number {clip(repr(value), 30)}"
    if type(value) is str:
        return f"the string {clip(value, 40)!r}"
    return "an array" if type(value) is list else "an object"


def _refuse_repeated_series(series: list[Series]) -> None:
    """ValueError when two series have the same labels: Prometheus refuses to answer such a result, and a proxy
    merging several answers (one per replica or shard) sends it. Summed, such series count twice; judged one
    by one, a reason blames the check's query for returning several."""
    if len({frozenset(one.labels.items()) for one in series}) == len(series):
        return  # the usual answer: one set built; which series repeats is looked for only when one does
    seen: set[frozenset[tuple[str, str]]] = set()
    for one in series:
        labels = frozenset(one.labels.items())
        if labels in seen:
            raise ValueError(
                f"series {one.describe()} is in the answer twice (Prometheus never repeats a label set in "
                "one result: a proxy merging the answers of several servers?)"
            )
        seen.add(labels)


QueryObserver = Callable[[str, str, float], None]
"""Called after each query with (source name, outcome code, seconds)."""


class PrometheusSource:
    """Queries one Prometheus over one aiohttp ClientSession, made on the first query (on the running loop)
    and closed with the source; at most `max_concurrency` connections, so queries beyond wait for one."""

    def __init__(self, name: str, config: PrometheusSourceConfig, observe: QueryObserver | None = None) -> None:
        self.name = name
        self.config = config
        self._observe = observe
        self._where = f"Prometheus source {name!r} ({config.url})"
        self._client: aiohttp.ClientSession | None = None
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self._tls = _TLSSettings(config)
        self._client_errors = map_aiohttp_errors(name, config.url)
        self._shape_errors = map_answer_shape_errors(name, config.url)
        self._header_secrets, self._header_words = header_secrets(config.headers)
        # A query with the whole of the source's timeout (the usual case) reuses these.
        self._full_timeout = (_client_timeout(config.timeout_s), _prom_timeout(config.timeout_s))
        # What every query reads of the (frozen) config, as plain attributes: an attribute of a pydantic model
        # costs several times a plain object's.
        self._timeout_s = config.timeout_s
        # The API's address parsed once: each query's URL is built from its parts (yarl would otherwise parse the
        # whole URL, the encoded PromQL included, on every query: its cache misses, `time` differs every time).
        api = URL(f"{config.url}/api/v1/", encoded=True)
        self._api_scheme, self._api_authority, self._api_path = api.scheme, api.raw_authority, api.raw_path
        self._max_answer_bytes = config.max_answer_bytes
        self._bearer_token_file = config.bearer_token_file
        # The last recording rules listed, and when (time.monotonic()): one answer per source, kept RULES_KEPT_S.
        self._rules: tuple[float, RulesListed] | None = None
        # The listing in flight, which every caller missing `_rules` meanwhile waits for: one request per source
        # (each answer up to max_answer_bytes), not one per concurrent evaluation.
        self._rules_listing: asyncio.Future[RulesListed] | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise SourceUnavailable(f"{self._where} is closed (the catalog was replaced or the service stops)")
        if self._client is None:
            headers = {
                **self.config.headers,
                # aiohttp decodes gzip and deflate; ask for them only when configured.
                "Accept-Encoding": "gzip" if self.config.compress_responses else "identity",
            }
            # limit_per_host 0: `limit` already counts every connection, and a source has one host.
            connector = aiohttp.TCPConnector(limit=self.config.max_concurrency, limit_per_host=0)
            # No environment (proxies, .netrc) and no cookies: a source's settings are all it uses.
            self._client = aiohttp.ClientSession(
                connector=connector,
                headers=headers,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                raise_for_status=False,
                # The whole of the source's timeout, the usual query's: it then needs no `timeout=` of its own.
                timeout=self._full_timeout[0],
            )
        return self._client

    def close(self) -> None:
        """Close every connection now, those of queries in flight included (they fail as unavailable);
        idempotent. `aclose` also waits until TLS connections have shut down."""
        if self._closed:
            return
        self._closed = True
        if self._client is not None:
            # On the loop's next turn (aiohttp's close is a coroutine), and through the session, which the task
            # holds until its connector is closed: a session collected with its retired catalog before that
            # would be logged by asyncio as an "Unclosed client session" error.
            self._closing = asyncio.ensure_future(self._client.close())

    async def aclose(self) -> None:
        """Close, and wait for the connections to be closed."""
        self.close()
        if self._closing is not None:
            await self._closing

    async def probe(self) -> None:
        """Send the instant query `1` once, as an evaluation's query goes (the source's headers, token, TLS and
        timeout), neither counted with them nor sent again; the CheckError that query would get when the source
        does not answer it."""
        # `1`, not a status endpoint: the query API is all a Thanos, Mimir or Cortex query frontend, a
        # VictoriaMetrics or an auth proxy is sure to serve, and it is the path evaluations take.
        try:
            await self._attempt("1", "1", "query", f"time={time.time():.3f}", self.config.timeout_s)
        except ResendableFailure as failed:
            error, cause = failed.error, failed.__cause__
            del failed
            try:
                raise error from cause
            finally:
                del error, cause

    def query(
        self, promql: str, at: datetime, timeout_s: float, *, encoded_promql: str | None = None
    ) -> Coroutine[Any, Any, QueryResult]:
        """An instant query evaluated at `at`, once awaited; `encoded_promql`, when given, is `quoting.quote(promql)`
        (a template encodes its constant parts once)."""
        # Not a coroutine of its own: the query's is returned, one layer fewer to create and to resume through.
        return self._run(promql, encoded_promql, "query", f"time={at.timestamp():.3f}", timeout_s)

    async def query_range(
        self,
        promql: str,
        start: datetime,
        end: datetime,
        step_s: float,
        timeout_s: float,
        *,
        encoded_promql: str | None = None,
    ) -> QueryResult:
        """A range query from `start` to `end` every `step_s` seconds; `encoded_promql` as for `query`."""
        # Whole seconds, as prometheus-api-client sent them: steps stay aligned on the same instants.
        params = f"start={round(start.timestamp())}&end={round(end.timestamp())}&step={step_s:g}"
        result = await self._run(promql, encoded_promql, "query_range", params, timeout_s)
        if result.result_type != "matrix":
            # Prometheus answers every range query with a matrix, a scalar expression's too. One sample per series
            # (an instant answer: a proxy sending query_range to the instant endpoint) would be judged as the
            # whole range.
            raise SourceRejected(
                f"{self._where} answered a range query with a {clip(result.result_type, 40)!r} result, not a "
                "matrix (is a proxy in front of it sending /api/v1/query_range to /api/v1/query?)"
            )
        return result

    async def holds_data(self, start: datetime, end: datetime, timeout_s: float) -> bool:
        """Whether the source keeps any data between `start` and `end`, as its label-names API (`/api/v1/labels`) says;
        True also when its answer may be partial (a store that did not answer may hold some), so only a whole empty
        answer says no."""
        # The label names of what is stored over a range, not a query: Prometheus answers them from the blocks
        # overlapping it (a block's names, or none), Thanos from the stores whose time range overlaps it, Mimir from its
        # ingesters' and blocks', VictoriaMetrics from its per-day index: an empty answer is nothing stored then.
        # Cheap on each (no sample is read), unlike a query selecting every series.
        params = f"start={start.timestamp():.3f}&end={end.timestamp():.3f}"
        answer = await self._run("", "", "labels", params, timeout_s)
        return bool(answer.series) or bool(answer.storage_warnings)

    async def recording_rules(self, timeout_s: float) -> RulesListed:
        """The recording rules the source's rules API (`/api/v1/rules?type=record`) lists, as it listed them within
        the last RULES_KEPT_S (one whole answer kept per source, so it stays bounded); the analyzer's error when it
        cannot list them (no rules API: a 404; a querier without rules answers an empty list)."""
        kept = self._rules
        if kept is not None and time.monotonic() - kept[0] < RULES_KEPT_S:
            return kept[1]
        listing = self._rules_listing
        if listing is None:
            # The source's whole timeout, not the first caller's: a caller with little time left (its evaluation's
            # deadline near) would otherwise fail the listing for every caller waiting with more.
            listing = self._rules_listing = asyncio.ensure_future(self._list_rules(self._timeout_s))
            listing.add_done_callback(self._rules_listed)
        try:
            # Shielded: a caller cancelled (its evaluation's deadline) leaves the listing to those still waiting; each
            # waits its own time at most.
            async with asyncio.timeout(min(timeout_s, self._timeout_s)):
                return await asyncio.shield(listing)
        except TimeoutError:
            if listing.done() and not listing.cancelled():
                # Done in the loop turn the caller's time ran out: its answer (or the analyzer's error), never the
                # bare TimeoutError, which no kind catches.
                return listing.result()
            raise SourceTimeout(f"{self._where} did not list its recording rules in time") from None

    def _rules_listed(self, listing: asyncio.Future[RulesListed]) -> None:
        """The listing in flight is done: the next miss asks again."""
        if self._rules_listing is listing:
            self._rules_listing = None
        if not listing.cancelled():
            # Retrieved, so that a failure no caller waited for to the end is not logged as never retrieved.
            listing.exception()

    async def _list_rules(self, timeout_s: float) -> RulesListed:
        """The rules API's answer (see recording_rules), kept when whole."""
        answer = await self._run("", "", "rules", "type=record", timeout_s)
        listed = RulesListed(
            tuple(
                RecordingRule(
                    series.labels["__name__"],
                    series.labels[_RULE_QUERY],
                    {name: value for name, value in series.labels.items() if name not in ("__name__", _RULE_QUERY)},
                )
                for series in answer.series
            ),
            tuple(answer.storage_warnings),
        )
        # Failures and partial answers are not kept: the next evaluation asks again, and a ruler back up lists its
        # rules then.
        if not listed.partial:
            self._rules = (time.monotonic(), listed)
        return listed

    async def _run(
        self, promql: str, encoded_promql: str | None, endpoint: str, params: str, timeout_s: float
    ) -> QueryResult:
        """`params`: the query string's other parameters, numbers only (nothing to quote); `encoded_promql` empty: an
        endpoint that takes no query: `labels`, whose answer holds one series per label name, or `rules`, one per
        recording rule (see _recording_rules)."""
        if encoded_promql is None:
            encoded_promql = quote(promql)
        budget_s = min(timeout_s, self._timeout_s)
        if budget_s <= 0:
            raise SourceTimeout(f"no time left to query Prometheus source {self.name!r}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget_s
        started = time.perf_counter()
        outcome = "error"
        try:
            try:
                result = await self._attempt(promql, encoded_promql, endpoint, params, budget_s)
            except ResendableFailure as failed:
                failure = failed
            else:
                outcome = "ok"
                return result
            left_s = deadline - loop.time()
            # Once, at once, and only with time left: a query that used its time is not sent again.
            if (self.config.retry or failure.always) and left_s > 0:
                try:
                    result = await self._attempt(promql, encoded_promql, endpoint, params, left_s)
                except ResendableFailure as again:
                    failure = again
                else:
                    outcome = "ok"
                    return result
            # Raised outside the except blocks, and no local left holding it: an error whose context is the
            # failure that holds it, or whose traceback holds this frame holding it, is a reference cycle that
            # only the cyclic GC collects, on every failed query.
            error, cause = failure.error, failure.__cause__
            del failure
            try:
                raise error from cause
            finally:
                del error, cause
        except SourceTimeout:
            outcome = "timeout"
            raise
        finally:
            if self._observe is not None:
                self._observe(self.name, outcome, time.perf_counter() - started)

    async def _attempt(
        self, promql: str, encoded_promql: str, endpoint: str, params: str, timeout_s: float
    ) -> QueryResult:
        """One exchange: the answer parsed, the analyzer's error, or ResendableFailure."""
        session = self._session()
        headers = None if self._bearer_token_file is None else self._authorization()
        tls = self._tls.context(self._where) if self._tls.https else True
        timeout: aiohttp.ClientTimeout | None
        if timeout_s == self._timeout_s:
            timeout, prom_timeout = None, self._full_timeout[1]  # the session's own
        else:
            timeout, prom_timeout = _client_timeout(timeout_s), _prom_timeout(timeout_s)
        # Encoded here once: yarl would otherwise parse and re-quote the PromQL.
        url = URL.build(
            scheme=self._api_scheme,
            authority=self._api_authority,
            path=self._api_path + endpoint,
            query_string=f"query={encoded_promql}&{params}&timeout={prom_timeout}" if encoded_promql else params,
            encoded=True,
        )
        # Errors mapped by `except`, not by `with`: a query that succeeds makes no call for it (a `with` costs its
        # two special-method lookups and two calls).
        try:
            try:
                # The total timeout bounds the whole answer, so a server trickling bytes cannot hold a query. The
                # usual query (plain HTTP, no token, the whole timeout) passes only what differs from the session's
                # defaults: each keyword argument costs about 0.5k instructions, twice (aiohttp's `get` passes them on).
                async with (
                    session.get(url, allow_redirects=False)
                    if timeout is None and tls is True and headers is None
                    else session.get(
                        url,
                        headers=headers,
                        ssl=tls,
                        allow_redirects=False,
                        timeout=self._full_timeout[0] if timeout is None else timeout,
                    )
                ) as response:
                    status, length = response.status, response.content_length
                    retry_after = response.headers.get("Retry-After") if status in _WAIT_STATUSES else None
                    if (
                        length is not None
                        and length <= self._max_answer_bytes
                        and "Content-Encoding" not in response.headers
                    ):
                        body = await response.read()  # the usual answer, bounded by its Content-Length
                    else:
                        body = await self._read_capped(response)
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc, aiohttp.ClientSSLError):
                    raise
                drop_tracebacks(exc)
                # No connection was made: the request never reached Prometheus, so sending it again is safe.
                raise ResendableFailure(translate_client_error(exc, self._where)) from exc
        except BaseException as exc:
            # aiohttp quotes the line of an answer it cannot parse (a status line, a header line): a proxy that
            # echoes the request into a malformed answer quotes its credentials there.
            _raise_mapped_hidden(self._client_errors, exc, *self._not_quoted(headers))
            raise
        secrets, words = self._not_quoted(headers)
        not_found = (
            _NOT_FOUND_HINT
            if encoded_promql
            else _RULES_NOT_FOUND_HINT
            if endpoint == "rules"
            else _LABELS_NOT_FOUND_HINT
        )
        payload = read_answer(self._where, status, body, secrets, words, retry_after, not_found)
        try:
            data = payload.get("data")
            result = (
                parse_result(promql, data)
                if encoded_promql
                else _recording_rules(data)
                if endpoint == "rules"
                else _label_names(data)
            )
            # null is how a Go server without omitempty writes none (a nil slice).
            warnings, infos = payload.get("warnings") or [], payload.get("infos") or []
            if payload.get("isPartial") is True:
                # VictoriaMetrics' cluster says so only here, with no warning: some vmstorage nodes did not answer.
                warnings = [*warnings, _PARTIAL_ANSWER] if type(warnings) is list else warnings
            if warnings or infos:
                for name, notes in (("warnings", warnings), ("infos", infos)):
                    if type(notes) is not list or not _STRINGS.issuperset(map(type, notes)):
                        # A string would read as one warning per character, each a store that did not answer.
                        # Quoted without the request's credentials, which a proxy may have put in it.
                        shown = _json_shown(_hidden(notes, secrets, words) if type(notes) is str else notes)
                        raise TypeError(f"its {name} are {shown}, not an array of strings")
                # A proxy in front of Prometheus (Thanos, an auth gateway) may quote the request in a warning as in
                # an error: they reach the details, the page and the history, so they are hidden the same way.
                result = QueryResult(
                    promql,
                    result.result_type,
                    result.series,
                    _all_hidden(warnings, secrets, words),
                    _all_hidden(infos, secrets, words),
                )
        except BaseException as exc:
            # A shape error quotes what the answer held (a sample value, a label), where a proxy may have echoed the
            # request.
            _raise_mapped_hidden(self._shape_errors, exc, secrets, words)
            raise
        return result

    def credentials(self) -> list[str]:
        """The source's credentials in the forms a message may quote them: its header values (a credential's also
        without its scheme, and decoded for Basic) and the token its file holds now (none when it cannot be read)."""
        try:
            headers = self._authorization()
        except SourceUnavailable:
            headers = None
        token = headers["Authorization"][len("Bearer ") :] if headers is not None else ""
        return [*self._header_secrets, *self._header_words, *((token,) if token else ())]

    def _not_quoted(self, headers: dict[str, str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What a quote of the answer to a request sent with `headers` (the token's) must not show, as `quoted`
        takes it: the source's header credentials, the token, and the evaluation's secret args."""
        token = headers["Authorization"][len("Bearer ") :] if headers is not None else ""
        secrets = (*self._header_secrets, token) if len(token) >= MIN_HIDDEN_CHARS else self._header_secrets
        words = self._header_words
        asked = EVALUATION_SECRETS.get()
        if asked:
            # The evaluation's secret args: a proxy echoing the request line quotes the query that holds them.
            secrets = (*secrets, *(value for value in asked if len(value) >= _FREE_TEXT_SECRET_CHARS))
            words = (*words, *(value for value in asked if len(value) < _FREE_TEXT_SECRET_CHARS))
        return secrets, words

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, decoded; SourceRejected once it passes max_answer_bytes, before the rest is read."""
        cap = self.config.max_answer_bytes
        length = response.content_length
        if length is not None and "Content-Encoding" not in response.headers:
            if length > cap:
                raise self._too_large(f"{length} bytes")
            return await response.read()
        # No length given, or a compressed one that says nothing of the decoded size: counted as it arrives.
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > cap:
                raise self._too_large(f"more than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, size: str) -> SourceRejected:
        return SourceRejected(
            f"{self._where} sent an answer of {size}, over the source's max_answer_bytes "
            f"({self.config.max_answer_bytes}); narrow the query (fewer series, a coarser step) "
            "or raise max_answer_bytes"
        )

    def _authorization(self) -> dict[str, str] | None:
        """The bearer token header, the file read for every query because mounted Secrets and projected
        service-account tokens rotate under a running process."""
        path = self._bearer_token_file
        if path is None:
            return None
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SourceUnavailable(
                f"cannot read bearer_token_file {str(path)!r} of source {self.name!r}: {exc.strerror or exc}"
            ) from exc
        except UnicodeDecodeError:
            raise SourceUnavailable(
                f"bearer_token_file {str(path)!r} of source {self.name!r} is not UTF-8 text (the token is not shown)"
            ) from None
        if not token:
            # Sent as `Bearer `, a proxy's 401 would blame the query; a Secret written in place is empty a moment.
            raise SourceUnavailable(
                f"bearer_token_file {str(path)!r} of source {self.name!r} is empty (a Secret being written?); "
                "no query is sent without its token"
            )
        if not _HEADER_VALUE_RE.fullmatch(token):
            # The HTTP client would refuse the header as an injection, a crash of the check with a traceback that
            # names neither the file nor what is wrong with it.
            raise SourceUnavailable(
                f"bearer_token_file {str(path)!r} of source {self.name!r} holds a line break or another control "
                "character inside its token (a file of several lines?); the token is not shown"
            )
        return {"Authorization": f"Bearer {token}"}


class _TLSSettings:
    """The TLS context of a source's connections: its ca_file, read again once the file changed (a rotated
    bundle serves new connections), certifi's bundle when none is set, or no verification (`insecure`)."""

    def __init__(self, config: PrometheusSourceConfig) -> None:
        self.https = config.url.startswith("https://")
        self._ca_file = config.ca_file
        self._insecure = config.insecure
        self._loaded: tuple[FileVersion, ssl.SSLContext] | None = None

    def context(self, where: str) -> ssl.SSLContext | bool:
        """What aiohttp's `ssl` argument takes; SourceUnavailable when the ca_file is unusable."""
        if not self.https:
            return True
        if self._ca_file is None:
            return False if self._insecure else _certifi_context()
        try:
            # A same-size rewrite within one tick of the file system's clock leaves its stat as it was, so a file
            # changed that recently is compared by content (file_version). A new context also means new connections
            # (aiohttp pools connections by context), so the rotated bundle is used from the next connection on.
            version, changed = file_version(self._ca_file, self._loaded[0] if self._loaded is not None else None)
            if self._loaded is None or changed:
                self._loaded = (version, ssl.create_default_context(cafile=str(self._ca_file)))
            else:
                self._loaded = (version, self._loaded[1])
        except ssl.SSLError as exc:
            raise SourceUnavailable(
                f"{where}: ca_file {str(self._ca_file)!r} is not a usable CA bundle: {short_reason(exc)}"
            ) from exc
        except OSError as exc:
            raise SourceUnavailable(
                f"{where}: cannot read ca_file {str(self._ca_file)!r}: {exc.strerror or exc}"
            ) from exc
        return self._loaded[1]


@functools.cache
def _certifi_context() -> ssl.SSLContext:
    # certifi's bundle, as requests used: a slim image may have no system CA store. Loading it takes tens of
    # milliseconds, so it is done once.
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _client_timeout(timeout_s: float) -> aiohttp.ClientTimeout:
    """aiohttp's timeout bounding a whole exchange to `timeout_s`, to the millisecond: by default aiohttp rounds
    a timeout of 5 s or more up to the loop clock's next whole second, holding a query up to 1 s past it."""
    return aiohttp.ClientTimeout(total=timeout_s, ceil_threshold=math.inf)


def _prom_timeout(timeout_s: float) -> str:
    """Prometheus' own `timeout` parameter, so it stops evaluating when we stop waiting."""
    return f"{max(math.floor(timeout_s * 1000), 1)}ms"
