"""Prometheus through prometheus-api-client, run in a bounded thread pool with explicit timeouts."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from analyzer.errors import CheckMisconfigured, SourceRejected, SourceTimeout, SourceUnavailable, short_reason
from analyzer.sources.transport import HTTPClientAdapter, QuerySession

# Cap on how much of an upstream error body is quoted in a reason.
_ERROR_SNIPPET_CHARS = 300
_STATUS_RE = re.compile(r"HTTP Status Code (\d+) \((.*)\)\s*$", re.DOTALL)


class PrometheusSourceConfig(BaseModel):
    """A Prometheus (or Thanos, Mimir, VictoriaMetrics: anything with its HTTP query API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["prometheus"] = "prometheus"
    url: str = Field(description="base URL, e.g. http://prometheus.monitoring:9090")
    timeout_s: float = Field(default=5.0, gt=0, le=120, description="per-query timeout")
    max_concurrency: int = Field(default=8, ge=1, le=256, description="queries in flight at once")
    retry: bool = Field(default=True, description="one immediate retry on connection failure or 502/503/504")
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers")
    bearer_token_file: Path | None = Field(default=None, description="file holding a bearer token, re-read")
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the server's certificate")
    insecure: bool = Field(default=False, description="skip TLS verification (never in production)")
    compress_responses: bool = Field(
        default=False, description="ask for gzip answers: worth it for large range results over slow links; "
        "in a cluster, compressing and decompressing small answers costs more time than it saves")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        try:
            # The transport reads the port when it sends: a bad one would fail every query, not the load.
            valid = re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url) is not None and urlsplit(url).port != 0
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"{url!r} is not an http(s) base URL such as http://prometheus:9090")
        if "@" in url.split("/", 3)[2]:
            # A URL is shown in reasons, logs and check definitions: credentials do not belong in it.
            raise ValueError("the url carries user info (user:password@host); put credentials in `headers` "
                             "or `bearer_token_file`")
        return url.rstrip("/")

    @field_validator("ca_file")
    @classmethod
    def _readable_ca_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load, unlike bearer_token_file: a token Secret may be mounted after the catalog loads
        # and rotates, while a CA bundle missing at load means every query of the source would fail.
        # `analyzer validate` in CI runs where the pod's files are not: it passes check_files=False.
        if path is not None and (info.context or {}).get("check_files", True):
            try:
                with path.open("rb"):
                    pass
            except OSError as exc:
                raise ValueError(f"ca_file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        return path

    def redacted(self) -> dict[str, Any]:
        """The config as shown to API callers: header values hidden."""
        data = self.model_dump(mode="json")
        data["headers"] = {name: "<redacted>" for name in self.headers}
        return data


@dataclass(frozen=True)
class Series:
    """One series of a query result: its labels and its (unix seconds, value) samples."""

    labels: dict[str, str]
    samples: list[tuple[float, float]]

    def describe(self) -> str:
        """The series as PromQL shows it: `name{a="b"}`."""
        name = self.labels.get("__name__", "")
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()) if k != "__name__")
        return f"{name}{{{inner}}}" if inner or not name else name


@dataclass(frozen=True)
class QueryResult:
    """A parsed query answer: `vector`, `scalar` or `matrix`, as series."""

    query: str
    result_type: str
    series: list[Series]
    warnings: list[str] = field(default_factory=list)

    def only_series(self, what: str, aggregate: str = "sum") -> Series | None:
        """The result's one series, None when there is none; CheckMisconfigured (naming the query as `what`
        and suggesting `aggregate`) when there are several."""
        if len(self.series) > 1:
            shown = ", ".join(series.describe() for series in self.series[:3])
            more = ", ..." if len(self.series) > 3 else ""
            raise CheckMisconfigured(f"the {what} returned {len(self.series)} series ({shown}{more}); it must return "
                                     f"one: aggregate it to one, e.g. with {aggregate}(...), or narrow the selectors")
        return self.series[0] if self.series else None

    def single_value(self, what: str) -> float | None:
        """The last sample of the result's one series (see only_series); None when there is none."""
        series = self.only_series(what)
        return series.samples[-1][1] if series is not None and series.samples else None


@contextmanager
def map_requests_errors(source: str, url: str) -> Iterator[None]:
    """Translate requests / prometheus-api-client / decoding failures into the analyzer's errors."""
    where = f"Prometheus source {source!r} ({url})"
    try:
        yield
    except requests.exceptions.ConnectTimeout as exc:
        raise SourceUnavailable(f"{where} did not accept a connection in time: {short_reason(exc)}") from exc
    except requests.exceptions.Timeout as exc:
        raise SourceTimeout(f"{where} did not answer in time") from exc
    except requests.exceptions.SSLError as exc:
        raise SourceUnavailable(f"{where}: TLS failed: {short_reason(exc)}") from exc
    except requests.exceptions.ConnectionError as exc:
        raise SourceUnavailable(f"{where} is unreachable: {short_reason(exc)}") from exc
    except PrometheusApiClientException as exc:
        raise _map_status(where, str(exc)) from exc
    except (requests.exceptions.JSONDecodeError, json.JSONDecodeError) as exc:
        raise SourceRejected(f"{where} answered with a body that is not JSON") from exc
    except requests.exceptions.RequestException as exc:
        raise SourceUnavailable(f"{where}: request failed: {short_reason(exc)}") from exc
    except OSError as exc:
        # requests opens ca_file per connection: a CA bundle removed or unreadable after load lands here.
        raise SourceUnavailable(f"{where}: request failed: {type(exc).__name__}: {short_reason(exc)}") from exc


@contextmanager
def map_answer_shape_errors(source: str, url: str) -> Iterator[None]:
    """Translate the errors of reading an answer of the wrong shape into SourceRejected; wraps only the
    parsing of the answer, so that a bug elsewhere is not reported as the source's fault."""
    try:
        yield
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SourceRejected(f"Prometheus source {source!r} ({url}) answered with an unexpected shape: "
                             f"{type(exc).__name__}: {short_reason(exc)}") from exc


def _map_status(where: str, message: str) -> SourceUnavailable | SourceRejected:
    match = _STATUS_RE.search(message)
    if not match:
        return SourceRejected(f"{where} refused the query: {message[:_ERROR_SNIPPET_CHARS]}")
    status, body = int(match.group(1)), match.group(2)
    if 300 <= status < 400:
        return SourceRejected(f"{where} answered with a redirect (HTTP {status}); the source's url must be the "
                              "Prometheus API itself, not an address that forwards to it or to a login page")
    error_type, error = _prometheus_error(body)
    detail = f"HTTP {status}" + (f" {error_type}: {error}" if error else "")
    if error_type == "timeout" or status == 504:
        return SourceTimeout(f"{where} timed out evaluating the query ({detail})")
    if status >= 500 and error_type != "execution":
        return SourceUnavailable(f"{where} is failing ({detail})")
    return SourceRejected(f"{where} rejected the query ({detail})")


def _prometheus_error(body_repr: str) -> tuple[str, str]:
    """errorType and error from the repr of an error body (`b'{...}'`), or ('', snippet)."""
    text = body_repr
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"":
        text = text[2:-1].encode("latin-1", "backslashreplace").decode("unicode_escape", "replace")
    try:
        payload = json.loads(text)
    except ValueError:
        return "", text[:_ERROR_SNIPPET_CHARS]
    if not isinstance(payload, dict):
        return "", text[:_ERROR_SNIPPET_CHARS]
    return str(payload.get("errorType", "")), str(payload.get("error", ""))[:_ERROR_SNIPPET_CHARS]


def parse_result(query: str, data: Any) -> QueryResult:
    """Turn the `data.result` of a query answer into series; ValueError / KeyError on a bad shape.

    Values arrive as strings ("0.5", "NaN", "+Inf"); float() reads all of them.
    """
    if isinstance(data, list) and len(data) == 2 and not isinstance(data[0], dict):
        return QueryResult(query, "scalar", [Series({}, [(float(data[0]), float(data[1]))])])
    if not isinstance(data, list):
        raise ValueError(f"result is a {type(data).__name__}, not a list")
    series: list[Series] = []
    result_type = "vector"
    for item in data:
        labels = {str(k): str(v) for k, v in item["metric"].items()}
        if "values" in item:
            result_type = "matrix"
            samples = [(float(ts), float(v)) for ts, v in item["values"]]
        else:
            ts, value = item["value"]
            samples = [(float(ts), float(value))]
        series.append(Series(labels, samples))
    return QueryResult(query, result_type, series)


QueryObserver = Callable[[str, str, float], None]
"""Called after each query with (source name, outcome code, seconds)."""


class PrometheusSource:
    """Queries one Prometheus; every call is bounded by a semaphore, a thread pool and a timeout."""

    def __init__(self, name: str, config: PrometheusSourceConfig, observe: QueryObserver | None = None) -> None:
        self.name = name
        self.config = config
        self._observe = observe
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._executor = ThreadPoolExecutor(max_workers=config.max_concurrency,
                                            thread_name_prefix=f"prometheus-{name}")
        session = QuerySession()
        # The transport decodes gzip and nothing else: the header must not offer more.
        session.headers["Accept-Encoding"] = "gzip" if config.compress_responses else "identity"
        session.headers.update(config.headers)
        if config.bearer_token_file is not None:
            session.auth = _BearerTokenFile(name, config.bearer_token_file)
        session.verify = str(config.ca_file) if config.ca_file else not config.insecure
        # Typed Any: the library annotates timeouts as int, but requests takes (and we pass) float seconds.
        self._client: Any = PrometheusConnect(url=config.url, session=session)
        # Mounted after the library mounted its own (urllib3, retrying with waits of seconds): this one
        # retries at once.
        session.mount(config.url, HTTPClientAdapter(retries=1 if config.retry else 0,
                                                    max_idle=config.max_concurrency))
        self._session = session

    def close(self) -> None:
        """Release the thread pool and connections; in-flight threads end with their timeout."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._session.close()

    async def query(self, promql: str, at: datetime, timeout_s: float) -> QueryResult:
        """An instant query evaluated at `at`."""
        params = {"time": f"{at.timestamp():.3f}"}
        return await self._run(promql, timeout_s, lambda timeout: self._client.custom_query(
            promql, params={**params, "timeout": _prom_timeout(timeout)}, timeout=timeout))

    async def query_range(self, promql: str, start: datetime, end: datetime, step_s: float,
                          timeout_s: float) -> QueryResult:
        """A range query from `start` to `end` every `step_s` seconds."""
        return await self._run(promql, timeout_s, lambda timeout: self._client.custom_query_range(
            promql, start_time=start, end_time=end, step=f"{step_s:g}",
            params={"timeout": _prom_timeout(timeout)}, timeout=timeout))

    async def _run(self, promql: str, timeout_s: float, call: Callable[[float], Any]) -> QueryResult:
        timeout = min(timeout_s, self.config.timeout_s)
        if timeout <= 0:
            raise SourceTimeout(f"no time left to query Prometheus source {self.name!r}")
        started = time.perf_counter()
        outcome = "error"
        try:
            async with self._semaphore:
                loop = asyncio.get_running_loop()
                data = await loop.run_in_executor(self._executor, self._blocking, call, timeout)
            with map_answer_shape_errors(self.name, self.config.url):
                result = parse_result(promql, data)
            outcome = "ok"
            return result
        except SourceTimeout:
            outcome = "timeout"
            raise
        finally:
            if self._observe is not None:
                self._observe(self.name, outcome, time.perf_counter() - started)

    def _blocking(self, call: Callable[[float], Any], timeout: float) -> Any:
        # The client library reads `data.result` out of the answer inside the call.
        with map_requests_errors(self.name, self.config.url), map_answer_shape_errors(self.name, self.config.url):
            return call(timeout)


class _BearerTokenFile(requests.auth.AuthBase):
    """Adds `Authorization: Bearer <file content>`, re-reading the file for every request because
    mounted Secrets and projected service-account tokens rotate under a running process."""

    def __init__(self, source: str, path: Path) -> None:
        self._source = source
        self._path = path

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        try:
            token = self._path.read_text().strip()
        except OSError as exc:
            raise SourceUnavailable(f"cannot read bearer_token_file {str(self._path)!r} of source "
                                    f"{self._source!r}: {exc.strerror}") from exc
        request.headers["Authorization"] = f"Bearer {token}"
        return request


def _prom_timeout(timeout_s: float) -> str:
    """Prometheus' own `timeout` parameter, so it stops evaluating when we stop waiting."""
    return f"{max(math.floor(timeout_s * 1000), 1)}ms"
