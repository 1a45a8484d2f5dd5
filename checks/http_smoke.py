"""Kind `http_smoke`: declarative HTTP steps against a canary or preview service, judged by assertions.
No shell, no free-form URLs: args reach the request only through typed, escaped template slots."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import quote, quote_plus

import regex
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from analyzer.check import Check, EvalContext
from analyzer.comparison import ConditionField
from analyzer.errors import ArgError, BodyBudgetExhausted, CheckError, TargetBadAnswer, TargetRefused
from analyzer.jsonpath import JsonPath, json_equal
from analyzer.models import Outcome, Verdict, format_number
from analyzer.params import ArgValue, ParamName
from analyzer.reducers import Reducer
from analyzer.sources.http import HttpClient, HttpExchange, HttpRequest
from analyzer.sources.httppolicy import DEFAULT_ALLOWED_HOSTS, HostAllowList
from analyzer.urltemplates import (
    BaseURLTemplate,
    HeaderTemplate,
    JSONBodyTemplate,
    PathTemplate,
    TextTemplate,
    render_query,
)

# Characters of a response body quoted in evidence.
_BODY_EVIDENCE_CHARS = 512
# Distinct failed assertions listed per step under `repeat`.
_MAX_LISTED_FAILURES = 5
_MAX_CAPTURE_CHARS = 1024
_STATUS_CLASS_RE = re.compile(r"^([1-5])xx$")
_STATUS_RANGE_RE = re.compile(r"^([1-5]\d\d)\s*-\s*([1-5]\d\d)$")
_STEP_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
# Header, query and JSON body key names whose values are secrets by default (any case).
_SENSITIVE_NAME_RE = re.compile(r"auth|token|key|secret|cookie|password|passwd|session|credential", re.IGNORECASE)
_REDACTED = "<redacted>"
_STUB_CAPTURE = "captured"
# Stands in for a secret captured value while the evidence of a request is rendered, then becomes _REDACTED:
# letters only, so every template slot accepts it and no escaping changes it.
_CAPTURE_SENTINEL = "REDACTEDCAPTUREDVALUEqxjz"
# A secret captured value shorter than this is redacted in free text (bodies, messages) only where it stands
# apart from letters, digits, '.', '-' and '_': a captured "7" must not blank out every 7 of "127.0.0.1".
_FREE_TEXT_REDACT_CHARS = 8
# Characters of the decoded body that body_regex (and a header regex) is searched in. A regex runs in a worker
# thread with a time bound (the `regex` engine releases the GIL and stops at its timeout); the input bound keeps
# what that thread does after a deadline small. Substring assertions are linear and see the whole capped body.
MAX_REGEX_CHARS = 64 * 1024
REGEX_TIMEOUT_S = 1.0
# Body charsets decoded as named; any other (punycode is quadratic, idna and undefined raise) is read as UTF-8.
_DECODED_CHARSETS = frozenset({
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
    *(f"cp{n}" for n in range(1250, 1259)), *(f"iso8859-{n}" for n in (*range(1, 12), *range(13, 17))),
})
# Held while a worker thread parses and reads a JSON body (see _assess).
_JSON_TURN = threading.Lock()
# Patterns as wide as the default allow-list: with a host placeholder they let args pick any Service.
_WIDE_HOST_PATTERNS = frozenset({"*", "*.svc", "*.svc.cluster.local", "*.cluster.local"})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _status_range(item: int | str) -> tuple[int, int]:
    if isinstance(item, int):
        if not 100 <= item <= 599:
            raise ValueError(f"status {item} is not an HTTP status (100-599)")
        return item, item
    text = item.strip().lower()
    if text.isdigit():
        return _status_range(int(text))
    klass = _STATUS_CLASS_RE.fullmatch(text)
    if klass:
        return int(klass.group(1)) * 100, int(klass.group(1)) * 100 + 99
    ranged = _STATUS_RANGE_RE.fullmatch(text)
    if ranged and int(ranged.group(1)) <= int(ranged.group(2)):
        return int(ranged.group(1)), int(ranged.group(2))
    raise ValueError(f"status {item!r} is not a code (200), a class (2xx) or a range (200-299)")


class HeaderExpect(_Strict):
    """One response header assertion: exactly one of equals, regex (searched) or exists."""

    equals: str | None = None
    regex: str | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderExpect:
        if sum(v is not None for v in (self.equals, self.regex, self.exists)) != 1:
            raise ValueError("a header assertion sets exactly one of equals, regex or exists")
        if self.regex is not None:
            _compile("regex", self.regex)
        return self


class JsonExpect(_Strict):
    """One JSON path assertion: exactly one of equals (any JSON value), compare ('> 0') or exists."""

    path: str
    equals: Any = None
    compare: ConditionField | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> JsonExpect:
        JsonPath.parse(self.path)
        given = [name for name in ("equals", "compare", "exists") if name in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"JSON assertion on {self.path}: set exactly one of equals, compare or exists")
        return self


class Expect(_Strict):
    """What every response of a step must show."""

    status: list[int | str] = Field(default_factory=lambda: list[int | str](["2xx"]),
                                    description="accepted codes, classes (2xx) or ranges (200-299)")
    max_latency_ms: float | None = Field(default=None, gt=0, description="per request, redirects and body included")
    headers: dict[str, HeaderExpect] = Field(default_factory=dict, description="by header name (any case)")
    body_contains: list[str] = Field(default_factory=list, description="substrings the body must contain")
    body_not_contains: list[str] = Field(default_factory=list, description="substrings it must not contain")
    body_regex: str | None = Field(default=None, description="a regex searched in the body")
    json_paths: list[JsonExpect] = Field(default_factory=list, alias="json",
                                         description="assertions on the JSON body")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: list[int | str]) -> list[int | str]:
        if not value:
            raise ValueError("status needs at least one code, class or range")
        for item in value:
            _status_range(item)
        return value

    @field_validator("body_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            _compile("body_regex", value)
        return value


class Capture(_Strict):
    """Where a value for later steps comes from: a JSON path of the body, or a response header."""

    json_path: str | None = Field(default=None, alias="json")
    header: str | None = None
    secret: bool = Field(default=True, description="redact the value everywhere it would be shown (reasons, "
                         "evidence, history, logs); false shows it")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one(self) -> Capture:
        if (self.json_path is None) == (self.header is None):
            raise ValueError("a capture sets exactly one of json (a JSON path) or header")
        if self.json_path is not None:
            JsonPath.parse(self.json_path)
        return self

    def describe(self) -> str:
        """`json $.id` or `header Location`."""
        return f"json {self.json_path}" if self.json_path is not None else f"header {self.header}"


class Step(_Strict):
    """One request (or `repeat` of them) and what its responses must show."""

    name: str = Field(description="unique in the check; names the step in reasons and JUnit")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str = Field(default="/", description="appended to base_url; {{ param }} values are escaped")
    query: dict[str, str] = Field(default_factory=dict, description="query parameters; values may use {{ }}")
    headers: dict[str, str] = Field(default_factory=dict, description="added to the check's headers")
    json_body: Any = Field(default=None, description="a JSON body; string leaves may use {{ }}")
    text_body: str | None = Field(default=None, description="a text body; may use {{ }}")
    secret_body: bool = Field(default=False, description="never show the body in the definition or evidence")
    timeout_s: float = Field(default=5.0, gt=0, le=120, description="per request, redirects and body included")
    retries: int = Field(default=1, ge=0, le=5, description="retries when no connection could be made")
    follow_redirects: bool = False
    max_redirects: int = Field(default=3, ge=1, le=10)
    max_body_bytes: int | None = Field(default=None, ge=1, description="body cap; never above the global one")
    oversized_body: Literal["drain", "fail"] = Field(
        default="drain", description="a body over max_body_bytes: drain (read the rest without keeping it, so "
        "latency is real; body assertions fail) or fail (the step fails at once)")
    repeat: int = Field(default=1, ge=1, le=1000, description="requests sent; each is judged by `expect`")
    concurrency: int = Field(default=1, ge=1, le=50, description="requests in flight at once")
    min_success_ratio: float = Field(default=1.0, gt=0, le=1, description="share of requests that must pass")
    max_p95_ms: float | None = Field(default=None, gt=0, description="95th percentile latency of the responses")
    max_p99_ms: float | None = Field(default=None, gt=0, description="99th percentile latency of the responses")
    expect: Expect = Field(default_factory=Expect)
    capture: dict[ParamName, Capture] = Field(default_factory=dict, description="values for later steps")

    @model_validator(mode="after")
    def _coherent(self) -> Step:
        if not _STEP_NAME_RE.fullmatch(self.name):
            raise ValueError(f"step name {self.name!r} must be 1-64 of letters, digits, space, '.', '_', '-'")
        if self.json_body is not None and self.text_body is not None:
            raise ValueError(f"step {self.name!r}: set json_body or text_body, not both")
        if self.concurrency > self.repeat:
            raise ValueError(f"step {self.name!r}: concurrency {self.concurrency} is above repeat {self.repeat}")
        if self.repeat > 1 and self.capture:
            raise ValueError(f"step {self.name!r}: capture needs repeat 1 (which of the responses would it use?)")
        if self.repeat == 1 and (self.max_p95_ms is not None or self.max_p99_ms is not None
                                 or self.min_success_ratio != 1.0):
            raise ValueError(f"step {self.name!r}: min_success_ratio, max_p95_ms and max_p99_ms need repeat > 1")
        for key in self.query:
            if "{{" in key or "}}" in key:
                raise ValueError(f"step {self.name!r}: query names are literal; put {{{{ }}}} in values only")
        return self


@dataclass(frozen=True)
class _CompiledStep:
    """A step with its templates parsed at load, and the capture names it may use."""

    step: Step
    path: PathTemplate
    query: dict[str, TextTemplate]
    headers: list[HeaderTemplate]
    json_body: JSONBodyTemplate | None
    text_body: TextTemplate | None
    captures_before: frozenset[str]


@dataclass(frozen=True)
class _Failure:
    """One failed assertion: what was checked, what was expected, what came."""

    assertion: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.assertion}: expected {self.expected}, got {self.got}"


@dataclass
class _Attempt:
    """One request of a step: status, latency, judgement and (when kept) evidence, or its transport problem."""

    status: int | None = None
    latency_ms: float = 0.0
    kept_as: Literal["first", "failing"] | None = None
    evidence: dict[str, Any] | None = None
    problem: CheckError | None = None
    failures: list[_Failure] = field(default_factory=list)
    captured: dict[str, ArgValue] = field(default_factory=dict)
    over_cap: bool = False

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def passed(self) -> bool:
        return self.answered and not self.failures


@dataclass
class _StepResult:
    """A judged step: outcome, failed assertions, evidence, captured values, requests sent."""

    outcome: Outcome
    failures: list[_Failure]
    evidence: dict[str, Any]
    captured: dict[str, ArgValue]
    requests: int
    over_cap: int = 0


class HttpSmokeCheck(Check):
    """Send ordered HTTP steps to `base_url` and pass only when every step's assertions hold."""

    kind: Literal["http_smoke"] = "http_smoke"
    base_url: str = Field(description="http(s)://host[:port][/prefix]; host parts only from dns_label params")
    allowed_hosts: list[str] = Field(default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS),
                                     description="host patterns this check may reach (the global list applies too)")
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every step")
    secret_names: list[str] = Field(default_factory=list,
                                    description="header, query and JSON body key names whose values are secret")
    steps: list[Step] = Field(min_length=1, max_length=50)

    _base: BaseURLTemplate = PrivateAttr()
    _hosts: HostAllowList = PrivateAttr()
    _compiled: list[_CompiledStep] = PrivateAttr()
    _secret_captures: frozenset[str] = PrivateAttr()

    @model_validator(mode="after")
    def _coherent(self) -> HttpSmokeCheck:
        try:
            self._base = BaseURLTemplate(self.base_url, self.params)
        except ValueError as exc:
            raise ValueError(f"base_url: {exc}") from None
        try:
            self._hosts = HostAllowList.parse(self._host_patterns())
        except ValueError as exc:
            raise ValueError(f"allowed_hosts: {exc}") from None
        if self._base.literal_host is not None and not self._hosts.allows(self._base.literal_host):
            raise ValueError(f"base_url: host {self._base.literal_host!r} is not in allowed_hosts ({self._hosts})")
        if self._base.literal_host is None:
            wide = sorted(p for p in self._hosts.patterns if _is_wide(p))
            credentials = sorted({name for name in [*self.headers, *(h for s in self.steps for h in s.headers)]
                                  if self._is_secret(name)})
            if wide and credentials:
                raise ValueError(f"headers: {credentials[0]!r} is a credential and args choose the base_url host, "
                                 f"but allowed_hosts has {wide[0]!r}: a caller could send it to any Service; "
                                 "narrow allowed_hosts (e.g. *.payments.svc)")
        names = [step.name for step in self.steps]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"steps: the step name {duplicates[0]!r} is used twice")
        captured: set[str] = set()
        compiled = []
        for index, step in enumerate(self.steps):
            clash = sorted(set(step.capture) & (set(self.params) | captured))
            if clash:
                raise ValueError(f"steps[{index}] ({step.name}): capture {clash[0]!r} is already a param or an "
                                 "earlier capture")
            try:
                compiled.append(self._compile(step, frozenset(captured)))
            except ValueError as exc:
                raise ValueError(f"steps[{index}] ({step.name}): {exc}") from None
            captured.update(step.capture)
        self._compiled = compiled
        self._secret_captures = frozenset(name for step in self.steps for name, capture in step.capture.items()
                                          if capture.secret)
        return self

    def _host_patterns(self) -> list[str]:
        """allowed_hosts as written, or for a host with placeholders the literal suffix it ends with."""
        if "allowed_hosts" in self.model_fields_set or self._base.literal_host is not None:
            return self.allowed_hosts
        suffix = self._base.host_suffix
        pattern = f"*{suffix}" if suffix else "*"
        if _is_wide(pattern):
            raise ValueError(f"args choose the whole base_url host ({self.base_url}), so it must be "
                             "listed explicitly (e.g. ['*.payments.svc']); the default would let a caller aim the "
                             "check at any Service")
        return [pattern]

    def _is_secret(self, name: str) -> bool:
        return bool(_SENSITIVE_NAME_RE.search(name)) or name.lower() in {n.lower() for n in self.secret_names}

    def _redact(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: _REDACTED if self._is_secret(name) else value for name, value in values.items()}

    def _redact_json(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {key: _REDACTED if self._is_secret(str(key)) else self._redact_json(value)
                    for key, value in node.items()}
        if isinstance(node, list):
            return [self._redact_json(item) for item in node]
        return node

    def _compile(self, step: Step, captures: frozenset[str]) -> _CompiledStep:
        headers: dict[str, str] = {}
        for name, value in [*self.headers.items(), *step.headers.items()]:
            # Header names are case-insensitive: a step's header replaces the check's of any spelling.
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()} | {name: value}
        json_body = step.json_body
        return _CompiledStep(
            step=step,
            path=_named("path", lambda: PathTemplate(step.path, self.params, captures)),
            query={key: _named(f"query {key}", partial(TextTemplate, value, self.params, captures))
                   for key, value in step.query.items()},
            headers=[HeaderTemplate(name, value, self.params, captures) for name, value in headers.items()],
            json_body=None if json_body is None else _named(
                "json_body", lambda: JSONBodyTemplate(json_body, self.params, captures)),
            text_body=None if step.text_body is None else _named(
                "text_body", lambda: TextTemplate(step.text_body or "", self.params, captures)),
            captures_before=captures,
        )

    def warnings(self) -> list[str]:
        """Percentiles over too few requests, and steps that cannot finish within the deadline."""
        found = []
        for step in self.steps:
            for name, limit, needed in (("max_p95_ms", step.max_p95_ms, 20), ("max_p99_ms", step.max_p99_ms, 100)):
                if limit is not None and step.repeat < needed:
                    found.append(f"step {step.name!r}: {name} over {step.repeat} requests is close to their "
                                 f"maximum; use repeat >= {needed} for a meaningful percentile")
        worst_s = sum(-(-s.repeat // s.concurrency) * s.timeout_s * (s.retries + 1) for s in self.steps)
        deadline_s = self.deadline_s or 8.0
        if worst_s > deadline_s:
            found.append(f"the steps may take up to {worst_s:g} s (timeouts x retries), more than the "
                         f"{deadline_s:g} s deadline; raise deadline_s or lower timeout_s")
        return found

    def definition(self) -> dict[str, Any]:
        """The check as the catalog spells it (allowed_hosts as in force), with secret values hidden."""
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        data["allowed_hosts"] = list(self._hosts.patterns)
        data["headers"] = self._redact(data.get("headers", {}))
        for step in data.get("steps", []):
            step["headers"] = self._redact(step.get("headers", {}))
            step["query"] = self._redact(step.get("query", {}))
            for body in ("json_body", "text_body"):
                if body in step:
                    step[body] = _REDACTED if step["secret_body"] else self._redact_json(step[body])
        return data

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """Validated args that also render into a valid request for every step (ArgError otherwise)."""
        bound = super().bind_args(raw_args)
        base = self._base.render(bound)
        for compiled in self._compiled:
            stub = {name: _STUB_CAPTURE for name in compiled.captures_before}
            self._request(compiled, base.origin() + base.prefix, {**bound, **stub})
        return bound

    def _request(self, compiled: _CompiledStep, base: str, values: dict[str, ArgValue]) -> HttpRequest:
        url = base + compiled.path.render(values)
        if compiled.query:
            url += "?" + render_query({key: template.render(values) for key, template in compiled.query.items()})
        headers = {template.name: template.render(values) for template in compiled.headers}
        content = None
        if compiled.json_body is not None:
            content = compiled.json_body.render(values)
            headers.setdefault("Content-Type", "application/json")
        elif compiled.text_body is not None:
            content = compiled.text_body.render(values).encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return HttpRequest(compiled.step.method, url, headers, content)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Run the steps in order, stopping at the first that fails; raise when a target cannot be reached."""
        client = ctx.http()
        rendered = self._base.render(ctx.args)
        base = rendered.origin() + rendered.prefix
        values: dict[str, ArgValue] = dict(ctx.args)
        evidence: list[dict[str, Any]] = []
        requests = 0
        over_cap: dict[str, int] = {}
        # Secret values captured so far: every reason, message and piece of evidence is scrubbed of them.
        secrets: list[str] = []
        for index, compiled in enumerate(self._compiled):
            try:
                result = await self._run_step(compiled, index, base, values, client)
            except CheckError as exc:
                evidence.append({"name": compiled.step.name, "outcome": Outcome.ERROR.value, "error": exc.message})
                exc.details = self._details(base, evidence, index + 1)
                scrub = _scrubber(secrets)
                exc.message, exc.details = scrub(exc.message), scrub(exc.details)
                exc.args = (exc.message,)
                raise
            secrets.extend(str(value) for name, value in result.captured.items() if name in self._secret_captures)
            evidence.append(result.evidence)
            requests += result.requests
            if result.over_cap:
                over_cap[compiled.step.name] = result.over_cap
            if result.outcome is not Outcome.PASS:
                details = self._details(base, evidence, index + 1)
                first = result.failures[0]
                more = len(result.failures) - 1
                reason = (f"step {compiled.step.name!r} ({index + 1}/{len(self.steps)}) failed: {first}"
                          + (f" (and {more} more failed assertion{'s' if more > 1 else ''})" if more else ""))
                scrub = _scrubber(secrets)
                return Verdict(outcome=result.outcome, reason=scrub(reason), value=index, threshold=len(self.steps),
                               details=scrub(details))
            values.update(result.captured)
        latencies = [e["latency_ms"] for e in evidence if e.get("latency_ms") is not None]
        slowest = f", slowest response {format_number(max(latencies))} ms" if latencies else ""
        # A pass on a body cut at the cap is never silent: say which steps judged such bodies, and on what.
        cut = ""
        if over_cap:
            bodies = sum(over_cap.values())
            cut = (f"; {bodies} response bod{'ies' if bodies > 1 else 'y'} over max_body_bytes, drained and judged "
                   f"on status, latency and headers only: {', '.join(f'step {n!r}' for n in over_cap)}")
        scrub = _scrubber(secrets)
        return Verdict(outcome=Outcome.PASS, value=len(self.steps), threshold=len(self.steps),
                       reason=f"all {len(self.steps)} steps passed ({requests} requests{slowest}{cut})",
                       details=scrub(self._details(base, evidence, len(self.steps))))

    def _details(self, base: str, evidence: list[dict[str, Any]], ran: int) -> dict[str, Any]:
        not_run = [{"name": step.name, "outcome": "not_run"} for step in self.steps[ran:]]
        return {"base_url": base, "steps": evidence + not_run}

    async def _run_step(self, compiled: _CompiledStep, index: int, base: str, values: dict[str, ArgValue],
                        client: HttpClient) -> _StepResult:
        step = compiled.step
        label = f"step {step.name!r} ({index + 1}/{len(self.steps)})"
        try:
            request = self._request(compiled, base, values)
        except ArgError as exc:
            # bind_args accepted the caller's args: what breaks the request here is a value captured from
            # an earlier answer, which is the target's data, not a bad arg.
            raise TargetBadAnswer(f"{label} cannot be sent: a value captured from an earlier answer makes "
                                  f"the request invalid: {exc.message}") from exc
        semaphore = asyncio.Semaphore(step.concurrency)
        kept = {"first": False, "failing": False}

        async def attempt(number: int) -> _Attempt:
            where = label if step.repeat == 1 else f"{label} request {number + 1}/{step.repeat}"
            async with semaphore:
                try:
                    exchange = await client.exchange(
                        request, where=where, check_hosts=self._hosts, timeout_s=step.timeout_s,
                        retries=step.retries, follow_redirects=step.follow_redirects,
                        max_redirects=step.max_redirects, max_body_bytes=step.max_body_bytes,
                        drain_over_cap=step.oversized_body == "drain", decoded_as_text=_needs_body(step))
                    try:
                        # Decoding and regexes see target-controlled text: off the event loop, so the deadline
                        # and every other request keep being served while they run.
                        failures, captured, evidence = await asyncio.to_thread(_judge, step, exchange, where)
                    finally:
                        # The body is judged: its memory goes back to the service-wide budget.
                        exchange.release()
                except CheckError as exc:
                    # Recorded, not judged: a refusal, or every request of the step failing, raises below.
                    return _Attempt(problem=exc)
            # Only the first answer and the first failing one keep their evidence; the body goes now, so
            # `repeat` holds at most `concurrency` bodies at once.
            role: Literal["first", "failing"] | None = None
            if not kept["first"]:
                role = "first"
            elif failures and not kept["failing"]:
                role = "failing"
            kept["first"] = True
            kept["failing"] = kept["failing"] or bool(failures)
            return _Attempt(status=exchange.status, latency_ms=exchange.latency_ms, kept_as=role,
                            evidence=evidence if role else None, failures=failures, captured=captured,
                            over_cap=exchange.body_truncated)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(attempt(number)) for number in range(step.repeat)]
        attempts = [task.result() for task in tasks]
        # Not the target's doing: a refusal or our own memory budget is an error, never an unsuccessful request.
        refused = next((a.problem for a in attempts if isinstance(a.problem, TargetRefused | BodyBudgetExhausted)),
                       None)
        if refused is not None:
            raise refused
        if not any(a.answered for a in attempts):
            problem = attempts[0].problem
            assert problem is not None
            raise problem
        return _summarize(step, self._request_evidence(compiled, request, base, values), attempts)

    def _request_evidence(self, compiled: _CompiledStep, request: HttpRequest, base: str,
                          values: dict[str, ArgValue]) -> dict[str, Any]:
        """The request as evidence shows it: secret header, query and body values hidden, and every secret
        captured value hidden wherever a template placed it (inside a longer value too)."""
        values = {name: _CAPTURE_SENTINEL if name in self._secret_captures else value
                  for name, value in values.items()}
        url = base + compiled.path.render(values)
        if compiled.query:
            url += "?" + render_query({key: _REDACTED if self._is_secret(key) else template.render(values)
                                       for key, template in compiled.query.items()})
        headers = dict(request.headers) | {template.name: template.render(values) for template in compiled.headers}
        shown: dict[str, Any] = {"method": request.method, "url": url, "headers": self._redact(headers)}
        if request.content:
            if compiled.step.secret_body:
                shown["body"] = _REDACTED
            elif compiled.json_body is not None:
                body = self._redact_json(json.loads(compiled.json_body.render(values)))
                shown["body"] = json.dumps(body, separators=(",", ":"))
            elif compiled.text_body is not None:
                shown["body"] = compiled.text_body.render(values)
            shown["body"] = _snippet(shown["body"].replace(_CAPTURE_SENTINEL, _REDACTED), _BODY_EVIDENCE_CHARS)
        shown["url"] = url.replace(_CAPTURE_SENTINEL, _REDACTED)
        shown["headers"] = {name: value.replace(_CAPTURE_SENTINEL, _REDACTED)
                            for name, value in shown["headers"].items()}
        return shown


def _scrubber(secrets: list[str]) -> Callable[[Any], Any]:
    """A function that replaces every secret value, as written or as a URL or JSON would escape it, in every
    string of a reason, a message or nested evidence."""
    patterns = set()
    for value in secrets:
        forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1],
                 json.dumps(value, ensure_ascii=False)[1:-1]}
        for form in filter(None, forms):
            escaped = re.escape(form)
            patterns.add(escaped if len(value) >= _FREE_TEXT_REDACT_CHARS else rf"(?<![\w.-]){escaped}(?![\w.-])")
    if not patterns:
        return lambda node: node
    # Longest first: where one form contains another, the whole of it goes.
    found = re.compile("|".join(sorted(patterns, key=len, reverse=True)))

    def scrub(node: Any) -> Any:
        if isinstance(node, str):
            return found.sub(_REDACTED, node)
        if isinstance(node, dict):
            return {key: scrub(value) for key, value in node.items()}
        if isinstance(node, list):
            return [scrub(item) for item in node]
        return node

    return scrub


def _judge(step: Step, exchange: HttpExchange,
           where: str) -> tuple[list[_Failure], dict[str, ArgValue], dict[str, Any]]:
    """Every failed assertion of one response, the values it captures and its evidence (runs in a thread)."""
    # The whole body is decoded only when an assertion reads it: a text copy can take up to 4 bytes a byte.
    text = _text(exchange.body, exchange) if _needs_body(step) and not exchange.body_truncated else None
    failures, captured = _assess(step, exchange, text or "", where)
    return failures, captured, _exchange_evidence(exchange, text)


def _needs_body(step: Step) -> bool:
    expect = step.expect
    return bool(expect.body_contains or expect.body_not_contains or expect.body_regex or expect.json_paths
                or any(c.json_path is not None for c in step.capture.values()))


def _assess(step: Step, exchange: HttpExchange, text: str,
            where: str) -> tuple[list[_Failure], dict[str, ArgValue]]:
    expect = step.expect
    failures: list[_Failure] = []
    ranges = [_status_range(item) for item in expect.status]
    if not any(low <= exchange.status <= high for low, high in ranges):
        failures.append(_Failure("status", " or ".join(str(s) for s in expect.status), str(exchange.status)))
    if expect.max_latency_ms is not None and exchange.latency_ms > expect.max_latency_ms:
        failures.append(_Failure("max_latency_ms", f"<= {format_number(expect.max_latency_ms)} ms",
                                 f"{format_number(exchange.latency_ms)} ms"))
    for name, rule in expect.headers.items():
        failures.extend(_judge_header(name, rule, exchange.headers.get_list(name), where))
    if exchange.body_truncated and (step.oversized_body == "fail" or _needs_body(step)):
        failures.append(_oversized(step, exchange))
        return failures, {}
    for needle in expect.body_contains:
        if needle not in text:
            failures.append(_Failure("body_contains", repr(needle), f"a body without it: {_snippet(text, 120)}"))
    for needle in expect.body_not_contains:
        if needle in text:
            failures.append(_Failure("body_not_contains", f"no {needle!r}", f"a body with it: {_snippet(text, 120)}"))
    if expect.body_regex is not None and not _search(expect.body_regex, text, f"{where}: body_regex"):
        seen = "a body" if len(text) <= MAX_REGEX_CHARS else f"a body whose first {MAX_REGEX_CHARS} characters have"
        failures.append(_Failure("body_regex", f"a match for {expect.body_regex!r}",
                                 f"{seen} no match: {_snippet(text, 120)}"))
    needs_json = bool(expect.json_paths or any(c.json_path is not None for c in step.capture.values()))
    # One parsed document at a time in the whole service: a document can take 20 times its text ("[]," is a
    # 64-byte list), and parsing holds the interpreter lock anyway, so taking turns costs no throughput.
    with _JSON_TURN if needs_json else contextlib.nullcontext():
        document, parse_error = _parse_json(text) if needs_json else (None, "")
        for json_rule in expect.json_paths:
            failure = _judge_json(json_rule, document, parse_error)
            if failure is not None:
                failures.append(failure)
        captured: dict[str, ArgValue] = {}
        for name, capture in step.capture.items():
            value, problem = _capture(capture, exchange, document, parse_error)
            if problem:
                failures.append(_Failure(f"capture {name} ({capture.describe()})", "a string or number", problem))
            else:
                captured[name] = value
        del document  # freed before the turn passes on
    return failures, captured


def _parse_json(text: str) -> tuple[Any, str]:
    """(document, "") or (None, why the text is not JSON)."""
    try:
        return json.loads(text), ""
    except ValueError as exc:
        return None, f"a body that is not JSON ({exc}): {_snippet(text, 80)}"
    except RecursionError:
        return None, "a JSON body nested too deeply to parse"


def _oversized(step: Step, exchange: HttpExchange) -> _Failure:
    """The failure of a body over the cap, saying how much came and why it fails."""
    cap = len(exchange.body)
    encoding = exchange.headers.get("content-encoding", "").strip().lower()
    if not exchange.body_drained:
        got = "a larger body (reading stopped at the cap: oversized_body is fail)"
    elif encoding in ("", "identity"):
        got = f"a body of {exchange.body_wire_bytes} bytes"
    else:
        got = f"a {encoding} body of {exchange.body_wire_bytes} bytes that decodes to more than {cap}"
    why = "" if step.oversized_body == "fail" else " (body assertions need the whole body)"
    return _Failure("max_body_bytes", f"a body of at most {cap} bytes{why}", got)


def _search(pattern: str, text: str, what: str) -> bool:
    """Whether `pattern` matches within the first MAX_REGEX_CHARS of `text`; a search past REGEX_TIMEOUT_S is an
    error (the pattern backtracks on this answer), never a verdict."""
    try:
        return regex.search(pattern, text[:MAX_REGEX_CHARS], timeout=REGEX_TIMEOUT_S, concurrent=True) is not None
    except TimeoutError:
        raise TargetBadAnswer(f"{what} {pattern!r} found no answer within {REGEX_TIMEOUT_S:g} s on this response "
                              "(the pattern backtracks on it; write one without nested or overlapping repeats)"
                              ) from None


def _judge_header(name: str, rule: HeaderExpect, values: list[str], where: str) -> list[_Failure]:
    shown = ", ".join(repr(v[:120]) for v in values) or "no such header"
    if rule.exists is not None:
        if bool(values) != rule.exists:
            return [_Failure(f"header {name} exists", str(rule.exists).lower(), shown)]
        return []
    if rule.equals is not None and rule.equals not in values:
        return [_Failure(f"header {name} equals", repr(rule.equals), shown)]
    if rule.regex is not None and not any(_search(rule.regex, v, f"{where}: header {name} regex") for v in values):
        return [_Failure(f"header {name} regex", f"a match for {rule.regex!r}", shown)]
    return []


def _judge_json(rule: JsonExpect, document: Any, parse_error: str) -> _Failure | None:
    path = JsonPath.parse(rule.path)
    if parse_error:
        return _Failure(f"json {path}", "a JSON body", parse_error)
    found, value = path.find(document)
    if "exists" in rule.model_fields_set:
        return None if found == rule.exists else _Failure(f"json {path} exists", str(rule.exists).lower(),
                                                          "a value" if found else "nothing at that path")
    if not found:
        return _Failure(f"json {path}", "a value", "nothing at that path")
    if "equals" in rule.model_fields_set:
        return None if json_equal(value, rule.equals) else _Failure(
            f"json {path} equals", _json_text(rule.equals), _json_text(value))
    assert rule.compare is not None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _Failure(f"json {path} compare", f"a number {rule.compare}", _json_text(value))
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return _Failure(f"json {path} compare", str(rule.compare),
                        f"a number beyond the range of a 64-bit float: {_snippet(str(value), 40)}")
    if not rule.compare.matches(float(value)):
        return _Failure(f"json {path} compare", str(rule.compare), _json_text(value))
    return None


def _capture(capture: Capture, exchange: HttpExchange, document: Any, parse_error: str) -> tuple[str, str]:
    """(value, "") or ("", what went wrong)."""
    if capture.header is not None:
        values = exchange.headers.get_list(capture.header)
        if not values:
            return "", "no such header"
        value: Any = values[0]
    else:
        if parse_error:
            return "", parse_error
        found, value = JsonPath.parse(capture.json_path or "$").find(document)
        if not found:
            return "", "nothing at that path"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "", _json_text(value)
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > _MAX_CAPTURE_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in text) or text in (".", ".."):
        return "", f"an unusable value {_snippet(repr(text), 80)} (control characters, '.', '..' or over " \
            f"{_MAX_CAPTURE_CHARS} characters)"
    return text, ""


def _summarize(step: Step, request: dict[str, Any], attempts: list[_Attempt]) -> _StepResult:
    answered = [a for a in attempts if a.answered]
    first = next(a for a in answered if a.kept_as == "first")
    assert first.evidence is not None
    evidence: dict[str, Any] = {"name": step.name, "request": request}
    if step.repeat == 1:
        attempt = attempts[0]
        outcome = Outcome.PASS if not attempt.failures else Outcome.FAIL
        evidence.update(first.evidence)
        evidence["failed_assertions"] = [str(f) for f in attempt.failures]
        evidence["outcome"] = outcome.value
        return _StepResult(outcome, attempt.failures, evidence, attempt.captured, 1, int(attempt.over_cap))
    successes = sum(1 for a in attempts if a.passed)
    ratio = successes / len(attempts)
    latencies = [a.latency_ms for a in answered]
    p50, p95, p99 = (Reducer("quantile", q).apply(latencies) for q in (0.5, 0.95, 0.99))
    problems = Counter(str(f) for a in attempts for f in a.failures)
    problems.update(f"transport: {a.problem.message}" for a in attempts if a.problem is not None)
    failures: list[_Failure] = []
    if ratio < step.min_success_ratio:
        worst = problems.most_common(1)[0][0] if problems else "none"
        failures.append(_Failure("min_success_ratio", f">= {format_number(step.min_success_ratio)}",
                                 f"{format_number(ratio)} ({successes} of {len(attempts)} requests passed; most "
                                 f"common problem: {worst})"))
    for name, limit, value in (("max_p95_ms", step.max_p95_ms, p95), ("max_p99_ms", step.max_p99_ms, p99)):
        if limit is not None and value > limit:
            failures.append(_Failure(name, f"<= {format_number(limit)} ms", f"{format_number(value)} ms "
                                     f"(over {len(latencies)} responses)"))
    statuses = Counter(str(a.status) for a in answered)
    failing = next((a.evidence for a in answered if a.kept_as == "failing"), None)
    evidence.update({
        "outcome": (Outcome.PASS if not failures else Outcome.FAIL).value,
        "status": first.status,
        "latency_ms": round(max(latencies), 3),
        "failed_assertions": [str(f) for f in failures],
        "repeat": {
            "requests": len(attempts), "concurrency": step.concurrency, "successes": successes,
            "success_ratio": ratio, "min_success_ratio": step.min_success_ratio,
            "statuses": dict(sorted(statuses.items())),
            "transport_errors": sum(1 for a in attempts if a.problem is not None),
            "bodies_over_cap": sum(1 for a in attempts if a.over_cap),
            "p50_ms": round(p50, 3), "p95_ms": round(p95, 3), "p99_ms": round(p99, 3),
            "max_p95_ms": step.max_p95_ms, "max_p99_ms": step.max_p99_ms,
            "problems": [{"problem": text, "requests": count}
                         for text, count in problems.most_common(_MAX_LISTED_FAILURES)],
        },
        "first_response": first.evidence,
        **({"first_failing_response": failing} if failing is not None else {}),
    })
    return _StepResult(Outcome.PASS if not failures else Outcome.FAIL, failures, evidence, {}, len(attempts),
                       sum(1 for a in attempts if a.over_cap))


def _exchange_evidence(exchange: HttpExchange, text: str | None) -> dict[str, Any]:
    if text is None:
        # Only the quoted start is decoded (at most 4 bytes a character); its length in characters is unknown.
        start = exchange.body[:_BODY_EVIDENCE_CHARS * 4]
        shown = _text(start, exchange)
        body = shown if len(shown) <= _BODY_EVIDENCE_CHARS and len(start) == len(exchange.body) else (
            shown[:_BODY_EVIDENCE_CHARS] + f"... ({len(exchange.body)} bytes in all)")
    else:
        body = _snippet(text, _BODY_EVIDENCE_CHARS)
    evidence: dict[str, Any] = {
        "status": exchange.status,
        "latency_ms": round(exchange.latency_ms, 3),
        "response_headers": {k: _snippet(v, 200) for k, v in exchange.headers.items()
                             if k.lower() in ("content-type", "location", "content-length", "content-encoding")},
        "body": body,
        "body_bytes_kept": len(exchange.body),
        "body_bytes_received": exchange.body_wire_bytes,
    }
    if exchange.body_truncated:
        evidence["body_truncated_at_bytes"] = len(exchange.body)
        evidence["body_rest"] = "drained" if exchange.body_drained else "not read"
    if exchange.redirects:
        evidence["redirects"] = list(exchange.redirects)
    if exchange.connect_retries:
        evidence["connect_retries"] = exchange.connect_retries
    return evidence


def _text(body: bytes | bytearray, exchange: HttpExchange) -> str:
    """`body` decoded with the charset of the exchange when that is a common text charset, else as UTF-8 (never
    raises)."""
    content_type = exchange.headers.get("content-type", "")
    match = re.search(r"charset=\"?([A-Za-z0-9_.:-]{1,40})", content_type)
    encoding = _charset(match.group(1)) if match else "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except UnicodeError:
        return body.decode("utf-8", errors="replace")


def _is_wide(pattern: str) -> bool:
    """Whether a host pattern reaches the whole cluster or a whole top-level domain."""
    return pattern in _WIDE_HOST_PATTERNS or (pattern.startswith("*.") and "." not in pattern[2:])


def _charset(name: str) -> str:
    """The codec for a charset name when it is one we decode, else UTF-8."""
    try:
        encoding = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    return encoding if encoding in _DECODED_CHARSETS else "utf-8"


def _snippet(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _json_text(value: Any) -> str:
    return _snippet(json.dumps(value), 120)


def _compile(field_name: str, pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"{field_name} {pattern!r} is not a valid regex: {exc}") from None


_T = TypeVar("_T")


def _named(part: str, build: Callable[[], _T]) -> _T:
    try:
        return build()
    except ValueError as exc:
        raise ValueError(f"{part}: {exc}") from None
