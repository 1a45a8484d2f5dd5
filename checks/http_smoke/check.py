"""Kind `http_smoke`: declarative HTTP steps against a canary or preview service, judged by assertions.
No shell, no free-form URLs: args reach the request only through typed, escaped template slots."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from analyzer.kinds import (
    DEFAULT_ALLOWED_HOSTS,
    MIN_HIDDEN_CHARS,
    REDACTED,
    ArgError,
    ArgValue,
    BodyBudgetExhausted,
    Check,
    CheckError,
    ConnectionsExhausted,
    EvalContext,
    HostAllowList,
    HttpClient,
    HttpExchange,
    HttpRequest,
    Outcome,
    Reducer,
    TargetBadAnswer,
    TargetRefused,
    Verdict,
    _markup_secret_spans,
    ca_file_problem,
    capability_path_spans,
    container_end,
    credential_forms,
    decoded_name,
    dsn_user_info_spans,
    format_number,
    is_credential_value,
    is_public_suffix,
    may_be_shown,
    may_hide,
    merged_spans,
    render_value,
    retry_pauses_s,
    scrubber,
    secret_shape_spans,
    user_info_spans,
)
from checks.http_smoke.jsonpath import JsonPath
from checks.http_smoke.judge import (
    BODY_EVIDENCE_CHARS,
    CookieScope,
    Failure,
    SecretNames,
    beside,
    hides_expected_header,
    json_path_is_secret,
    json_path_may_name_a_secret,
    judge_exchange,
    needs_body,
    shown_needle,
    snippet,
    tells_nothing,
)
from checks.http_smoke.spec import Step, named
from checks.http_smoke.urltemplates import (
    BaseURLTemplate,
    HeaderTemplate,
    JSONBodyTemplate,
    PathTemplate,
    TextTemplate,
    render_query,
)

# The deadline of a check that writes none: ANALYZER_DEADLINE_S's default, which leaves an evaluation's queue wait (1 s)
# below the 10 s Argo's web provider waits when its metric sets no timeoutSeconds. A kind is not shown the service's
# settings, so an operator's other value is not seen here.
_SERVICE_DEADLINE_S = 8.0
# Distinct failed assertions listed per step under `repeat`.
_MAX_LISTED_FAILURES = 5
_STUB_CAPTURE = "captured"
# Stands in for a secret captured value while the evidence of a request is rendered, then becomes REDACTED:
# letters only, so every template slot accepts it and no escaping changes it.
_CAPTURE_SENTINEL = "REDACTEDCAPTUREDVALUEqxjz"
# A cookie's value this long is searched for in answers whatever its name: shorter, under a name that is no
# secret's (`theme=dark`), every standalone word equal to it would be hidden.
_FREE_TEXT_REDACT_CHARS = 8
# Query parameters of a URL a target redirects to that carry a credential under a name no secret's: an OAuth
# authorization code (RFC 6749 4.1.2), which buys the user's tokens. Only a value of _FREE_TEXT_REDACT_CHARS or more
# is one: an error page's `?code=404` is a status, and hiding it would hide every 404 of the reason.
_REDIRECT_CREDENTIAL_PARAMS = frozenset({"code"})
# What starts a template's placeholder (`{{ name }}`).
_PLACEHOLDER = "{{"
# A body_contains needle this short and made of letters and digits alone (`ok`, `UP`, `true`) is in most pages: an
# SPA's index.html, which its server answers with 200 for a route the canary lost, holds `ok` in `token`.
_WORD_ANY_PAGE_HOLDS = re.compile(r"[A-Za-z0-9]{1,4}")
# The `name=` of a `name=value` pair of a text body (a form, `application/x-www-form-urlencoded`, as a login or an OAuth
# token request sends it), as answers' are read (judge._PARAMETER_RE). Under a secret name its value runs to the next
# `&` or line end, as a form parser reads it: a literal `hunter#2;x y` is all password, not `hunter` (a placeholder in
# it is part of it, its spaces and line breaks too); another name's value is searched for pairs too (`mode=a b
# password=...`).
# A name may be percent-encoded (`client%5Fsecret=`), as a form encoder may write any character of it; it is read
# decoded.
_TEXT_PAIR_NAME_RE = re.compile(r"(?<![A-Za-z0-9_.%-])((?:[A-Za-z0-9_.-]|%[0-9A-Fa-f]{2}){1,100})=")
_TEXT_PAIR_VALUE_RE = re.compile(r"(?:\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}|[^&\r\n])*")
# A JSON member of a text body (JSON sent as text: `{"password": "..."}`), as answers' are read (judge._JSON_MEMBER_RE):
# its name, and a value that is a string (its content), an object or a list (the bracket opening it), or a bare one (a
# number, placeholders and what stands around them: `-{{ n }}`) up to the next `,`, `}`, `]`, space or a `{` that
# starts no placeholder.
_TEXT_MEMBER_RE = re.compile(
    r'"(?P<name>(?:[^"\\\n]|\\.){1,100})"\s*:\s*(?:"(?P<string>(?:[^"\\]|\\.)*)"|(?P<open>[\[{])(?!\{)'
    r"|(?P<bare>(?:\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}|[^,{}\]\s])+))"
)
# The text between two tags of XML, as a value under a secret name holds it (`<Password>pw</Password>`).
_MARKUP_TEXT_RE = re.compile(r">([^<>]+)<")
# Patterns as wide as the default allow-list: with a host placeholder they let args pick any Service.
_WIDE_HOST_PATTERNS = frozenset({"*", "*.svc", "*.svc.cluster.local", "*.cluster.local"})


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


@dataclass
class _Attempt:
    """One request of a step: status, latency, judgement and (when kept) evidence, or its transport problem."""

    status: int | None = None
    latency_ms: float = 0.0
    kept_as: Literal["first", "failing"] | None = None
    evidence: dict[str, Any] | None = None
    problem: CheckError | None = None
    failures: list[Failure] = field(default_factory=list)
    captured: dict[str, ArgValue] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    over_cap: bool = False
    connect_retries: int = 0
    cookie_scopes: dict[str, CookieScope] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def passed(self) -> bool:
        return self.answered and not self.failures


@dataclass
class _StepResult:
    """A judged step: outcome, failed assertions, evidence, captured values (and where browsers send those captured
    from a cookie), requests sent, and the raw values its secret captures found (usable or not)."""

    outcome: Outcome
    failures: list[Failure]
    evidence: dict[str, Any]
    captured: dict[str, ArgValue]
    requests: int
    over_cap: int = 0
    secrets: list[str] = field(default_factory=list)
    retried: int = 0
    cookie_scopes: dict[str, CookieScope] = field(default_factory=dict)


class HttpSmokeCheck(Check):
    """Send ordered HTTP steps to `base_url` and pass only when every step's assertions hold."""

    kind: Literal["http_smoke"] = "http_smoke"
    params_are_placed: ClassVar[bool] = True
    base_url: str = Field(description="http(s)://host[:port][/prefix]; host parts only from dns_label params")
    allowed_hosts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS),
        description="host patterns this check may reach (the global list applies too)",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every step")
    # Not `default_factory=list`: a builtin's signature is parsed from its text (see analyzer.catalog).
    secret_names: list[str] = Field(
        default_factory=lambda: [], description="header, query and JSON body key names whose values are secret"
    )
    not_secret_names: list[str] = Field(
        default_factory=lambda: [],
        description="exact names (case included) secret only by the word sig, sid, pwd, pw or a last pass, or pass "
        "alone, whose values are no secret (sig_figs, ORACLE_SID, an IAM policy's Sid, a result's pass): shown",
    )
    steps: list[Step] = Field(min_length=1, max_length=50)
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs that verify an https target (a company CA) instead of certifi's bundle",
    )

    _base: BaseURLTemplate = PrivateAttr()
    _hosts: HostAllowList = PrivateAttr()
    _compiled: list[_CompiledStep] = PrivateAttr()
    _secret_captures: frozenset[str] = PrivateAttr()
    _shown_captures: frozenset[str] = PrivateAttr()
    _secret_params: frozenset[str] = PrivateAttr()
    _placed_secrets: frozenset[str] = PrivateAttr()
    _secret_names: frozenset[str] = PrivateAttr()
    _names: SecretNames = PrivateAttr()

    @classmethod
    def warm(cls) -> None:
        """Read the Public Suffix List (70-90 ms) before the first evaluation: a redirect that sets a cookie with a
        Domain reads it on the event loop, which would stop every other evaluation for that long."""
        is_public_suffix("svc")

    @field_validator("ca_file")
    @classmethod
    def _usable_ca_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        # Loaded at load, so a missing or unreadable file is the catalog's error, not every run's.
        problem = None if path is None else ca_file_problem(path, info.context)
        if problem:
            raise ValueError(problem)
        return path

    @model_validator(mode="after")
    def _coherent(self) -> HttpSmokeCheck:
        self._secret_names = frozenset(name.lower() for name in self.secret_names)
        for name in self.not_secret_names:
            if name.lower() in self._secret_names:
                raise ValueError(f"not_secret_names: {name!r} is in secret_names too")
            if not may_be_shown(name):
                raise ValueError(
                    f"not_secret_names: {name!r} holds a word of a secret's name other than sig, sid or pwd (token, "
                    "key, password, auth, session...), whose values are hidden whatever the catalog says; only a name "
                    "secret by one of those short words alone may be shown (sig_figs, ORACLE_SID, Sid)"
                )
        self._names = SecretNames(self._secret_names, frozenset(self.not_secret_names))
        try:
            self._base = BaseURLTemplate(self.base_url, self.params)
        except ValueError as exc:
            raise ValueError(f"base_url: {exc}") from None
        try:
            self._hosts = HostAllowList.parse(self._host_patterns())
        except ValueError as exc:
            raise ValueError(f"allowed_hosts: {exc}") from None
        if self._base.literal_host is not None and not self._hosts.allows(self._base.literal_host):
            host = self._base.literal_host
            # The default names only cluster Services: a first check aimed at a local or external host meets it.
            where = (
                f"allowed_hosts ({self._hosts})"
                if "allowed_hosts" in self.model_fields_set
                else f"the default allowed_hosts ({self._hosts}), as the check writes none"
            )
            raise ValueError(
                f"base_url: host {host!r} is not in {where}; to reach it, list it in the check's allowed_hosts "
                f"(allowed_hosts: [{json.dumps(host)}]), which the operator's ANALYZER_HTTP_ALLOWED_HOSTS must "
                "allow too"
            )
        if self._base.literal_host is None:
            wide = sorted(p for p in self._hosts.patterns if _is_wide(p))
            credentials = self._sent_credentials()
            if wide and credentials:
                what, why = credentials[0]
                raise ValueError(
                    f"{what} is a credential ({why}) and args choose the base_url host, "
                    f"but allowed_hosts has {wide[0]!r}: a caller could send it to any Service; list only the "
                    "Services it may go to in allowed_hosts (e.g. *.payments.svc), or write the host in base_url"
                )
        names = [step.name for step in self.steps]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"steps: the step name {duplicates[0]!r} is used twice")
        # The check's own headers are refused as such: merged into each step, their fault was blamed on steps[0].
        for name, value in self.headers.items():
            try:
                HeaderTemplate(name, value, self.params)
            except ValueError as exc:
                raise ValueError(f"headers: {exc}") from None
        captured: set[str] = set()
        compiled = []
        for index, step in enumerate(self.steps):
            clash = sorted(set(step.capture) & (set(self.params) | captured))
            if clash:
                raise ValueError(
                    f"steps[{index}] ({step.name}): capture {clash[0]!r} is already a param or an earlier capture"
                )
            try:
                compiled.append(self._compile(step, frozenset(captured)))
            except ValueError as exc:
                raise ValueError(f"steps[{index}] ({step.name}): {exc}") from None
            captured.update(step.capture)
        self._compiled = compiled
        self._secret_captures = frozenset(
            name for step in self.steps for name, capture in step.capture.items() if capture.secret
        )
        self._shown_captures = frozenset(
            name for step in self.steps for name, capture in step.capture.items() if not capture.secret
        )
        self._placed_secrets = self._placed_as_secrets()
        self._secret_params = super().secret_params() | self._placed_secrets
        return self

    def _placed_as_secrets(self) -> frozenset[str]:
        """The params a template places where a secret goes: a secret header (by name or credential value), a
        secret query value, a value under a secret JSON key, or a `secret_body`."""
        found: set[str] = set()
        for compiled in self._compiled:
            step = compiled.step
            for template in compiled.headers:
                if self._secret_header(template.name, template.text):
                    found |= template.param_names
            for key, query in compiled.query.items():
                if self._is_secret(key):
                    found |= query.param_names
            if step.secret_body:
                for body in (compiled.json_body, compiled.text_body):
                    found |= body.param_names if body is not None else frozenset()
            elif step.json_body is not None:
                found |= self._secret_slots(step.json_body, compiled.captures_before, secret=False)
            elif step.text_body is not None and compiled.text_body is not None:
                for value in self._secret_pair_values(step.text_body):
                    try:
                        found |= TextTemplate(value, self.params, compiled.captures_before).param_names
                    except ValueError:
                        # A value that cuts a placeholder (a line break inside one ending a YAML block): every param
                        # of the body is placed as a secret, as a secret_body's are, never one of them shown.
                        found |= compiled.text_body.param_names
            # A credential that says what it is, whatever names it (`https://svc:{{ pw }}@backend/`): hidden as sent,
            # and so in args, the page link and history too.
            texts: list[HeaderTemplate | TextTemplate] = [*compiled.headers, *compiled.query.values()]
            if compiled.text_body is not None:
                texts.append(compiled.text_body)
            if step.json_body is not None:
                texts += [
                    TextTemplate(leaf, self.params, compiled.captures_before) for leaf in _string_leaves(step.json_body)
                ]
            found |= {name for template in texts for name in _placed_in_credentials(template)}
        return frozenset(found & self.params.keys())

    def _secret_slots(self, node: Any, captures: frozenset[str], *, secret: bool) -> set[str]:
        """The placeholders in the string leaves of a JSON body template that stand under a secret name."""
        if isinstance(node, dict):
            return {
                name
                for key, value in node.items()
                for name in self._secret_slots(value, captures, secret=secret or self._is_secret(str(key)))
            }
        if isinstance(node, list):
            return {name for item in node for name in self._secret_slots(item, captures, secret=secret)}
        if secret and isinstance(node, str):
            return set(TextTemplate(node, self.params, captures).param_names)
        return set()

    def unplaced_params(self) -> list[str]:
        """The params no request places: in the base_url, a path, a query value, a header or a body (a JSON body's
        keys too); an expectation is literal text, so `{{ name }}` there places nothing."""
        placed = set(self._base.param_names)
        for compiled in self._compiled:
            placed |= compiled.path.param_names
            placed.update(*(query.param_names for query in compiled.query.values()))
            placed.update(*(header.param_names for header in compiled.headers))
            for body in (compiled.json_body, compiled.text_body):
                placed |= body.param_names if body is not None else frozenset()
        return sorted(set(self.params) - placed)

    def secret_params(self) -> frozenset[str]:
        """Declared secret params, and those the steps send as a secret header, query value or body value."""
        return self._secret_params

    def secret_by_name(self) -> frozenset[str]:
        """Params secret only by their names: not those the steps also send where a secret goes, which `secret:
        false` would not show."""
        return super().secret_by_name() - self._placed_secrets

    def literal_secrets(self) -> list[str]:
        """The secret values its steps send as written, placeholders aside: a secret header's (with a credential also
        without its auth scheme), a secret query value, a secret body, and a JSON body's values under secret names."""
        found: list[str] = []
        for compiled in self._compiled:
            step = compiled.step
            for header in compiled.headers:
                if self._secret_header(header.name, header.text):
                    cookie = header.name.lower() == "cookie"
                    found += self._cookie_values(header.text) if cookie else credential_forms(header.text)
            found += [value for key, value in step.query.items() if self._is_secret(key)]
            if step.text_body is not None:
                found += [step.text_body] if step.secret_body else self._secret_pair_values(step.text_body)
            if step.json_body is not None:
                found += self._secret_leaves(step.json_body, secret=step.secret_body)
            found += self._expected_secrets(step)
            # Whatever names them: a credential that says what it is (`X-Upstream: https://svc:pw@backend/`).
            found += [
                credential
                for text in [
                    *(header.text for header in compiled.headers),
                    *step.query.values(),
                    *([step.text_body] if step.text_body is not None else []),
                    *self._secret_leaves(step.json_body, secret=True),
                ]
                for credential in _shaped_credentials(text)
            ]
        # A placeholder's text is no secret: the value it stands for is the arg's or the capture's.
        return [value for value in found if value and _PLACEHOLDER not in value]

    def _host_patterns(self) -> list[str]:
        """allowed_hosts as written, or for a host with placeholders the literal suffix it ends with."""
        if "allowed_hosts" in self.model_fields_set or self._base.literal_host is not None:
            return self.allowed_hosts
        suffix = self._base.host_suffix
        pattern = f"*{suffix}" if suffix else "*"
        if _is_wide(pattern):
            raise ValueError(
                f"args choose the whole base_url host ({self.base_url}), so it must be "
                "listed explicitly (e.g. ['*.payments.svc']); the default would let a caller aim the "
                "check at any Service"
            )
        return [pattern]

    def _is_secret(self, name: str) -> bool:
        return self._names.hide(name)

    def _sent_credentials(self) -> list[tuple[str, str]]:
        """What the steps send as a credential, each with why it is one (`("headers: 'Authorization'", "by its
        name")`): a secret header, a secret query value, a value under a secret name in a body, a `secret_body`."""
        # By its name or by its value (`X-Upstream: Bearer ...`): either is sent to the host the args chose.
        found = sorted(
            {
                (f"headers: {name!r}", "by its value" if not self._is_secret(name) else "by its name")
                for name, value in [*self.headers.items(), *(h for s in self.steps for h in s.headers.items())]
                if self._secret_header(name, value)
            }
        )
        # A query's or a body's goes there as well (`?api_key=...`, `{"password": ...}`, `client_secret=...`).
        for step in self.steps:
            found += [(f"query: {name!r}", "by its name") for name in step.query if self._is_secret(name)]
            body = "json_body" if step.json_body is not None else "text_body"
            if step.secret_body and (step.json_body is not None or step.text_body is not None):
                found.append((f"{body}: the body", "secret_body"))
            found += [(f"json_body: {name!r}", "by its name") for name in self._secret_keys(step.json_body)]
            if step.text_body is not None and self._secret_pair_spans(step.text_body):
                found.append(("text_body: a value under a secret name", "by its name"))
        return found

    def _secret_keys(self, node: Any) -> list[str]:
        """The secret names of a JSON document's members, outermost first (what is under one is secret whole)."""
        if isinstance(node, dict):
            return [
                found
                for key, value in node.items()
                for found in ([str(key)] if self._is_secret(str(key)) else self._secret_keys(value))
            ]
        if isinstance(node, list):
            return [found for item in node for found in self._secret_keys(item)]
        return []

    def _secret_header(self, name: str, value: str) -> bool:
        """A header is secret by its name, or by a value that is an HTTP credential (`Basic ...`, `Bearer ...`)
        whatever header carries it."""
        return self._is_secret(name) or is_credential_value(value)

    def _redact_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {name: REDACTED if self._secret_header(name, value) else value for name, value in headers.items()}

    def _redact(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: REDACTED if self._is_secret(name) else value for name, value in values.items()}

    def _redact_json(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: REDACTED if self._is_secret(str(key)) else self._redact_json(value) for key, value in node.items()
            }
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
            path=named("path", lambda: PathTemplate(step.path, self.params, captures)),
            query={
                key: named(f"query {key}", partial(TextTemplate, value, self.params, captures))
                for key, value in step.query.items()
            },
            headers=[HeaderTemplate(name, value, self.params, captures) for name, value in headers.items()],
            json_body=None
            if json_body is None
            else named("json_body", lambda: JSONBodyTemplate(json_body, self.params, captures)),
            text_body=None
            if step.text_body is None
            else named("text_body", lambda: TextTemplate(step.text_body or "", self.params, captures)),
            captures_before=captures,
        )

    def warnings(self) -> list[str]:
        """Names listed as no secret that are none anyway, percentiles over too few requests, followed redirects judged
        on their status alone, and steps that cannot finish within the deadline."""
        found = [
            f"not_secret_names: {name!r} is no secret name, so its values are shown without it; remove it"
            for name in self.not_secret_names
            if not may_hide(name)
        ]
        for step in self.steps:
            for name, limit, needed in (("max_p95_ms", step.max_p95_ms, 20), ("max_p99_ms", step.max_p99_ms, 100)):
                if limit is not None and step.repeat < needed:
                    found.append(
                        f"step {step.name!r}: {name} over {step.repeat} requests is close to their "
                        f"maximum; use repeat >= {needed} for a meaningful percentile"
                    )
            expect = step.expect
            # A redirect to a login or error page that answers 200 passes a status; body_not_contains passes it too.
            if step.follow_redirects and not (
                expect.body_contains or expect.body_regex or expect.json_paths or expect.headers or step.capture
            ):
                found.append(
                    f"step {step.name!r}: follows redirects and asserts nothing of the page it ends on but its status: "
                    "a canary that sends every request on to a login or error page answering 200 passes; assert what "
                    "the page must hold (body_contains, json, a header) or expect the redirect itself "
                    "(follow_redirects: false, status: [302])"
                )
            short = [n for n in expect.body_contains if _WORD_ANY_PAGE_HOLDS.fullmatch(n.strip())]
            if short and not (expect.json_paths or expect.body_regex or len(short) < len(expect.body_contains)):
                found.append(
                    f"step {step.name!r}: body_contains {short[0]!r} is a word most pages hold (an SPA's index.html "
                    "answering 200 for a route the canary lost holds 'ok' in 'token'): assert more of the answer "
                    # Not body_contains '"status":"ok"': Python's json.dumps writes '{"status": "ok"}', which fails it.
                    """(json: [{path: $.status, equals: ok}], which passes '{"status": "ok"}' however it is spaced, """
                    "or a longer body_contains)"
                )
        # A request's every try waits timeout_s, and the pauses between its tries add to that.
        worst_s = sum(
            -(-s.repeat // s.concurrency) * (s.timeout_s * (s.retries + 1) + retry_pauses_s(s.retries))
            for s in self.steps
        )
        deadline_s = self.deadline_s or _SERVICE_DEADLINE_S
        if worst_s > deadline_s:
            # A step that writes no timeout_s has one all the same: say which, so "lower timeout_s" names a field.
            unwritten = [s.name for s in self.steps if "timeout_s" not in s.model_fields_set]
            default_s = Step.model_fields["timeout_s"].default
            said = (
                f" ({'step' if len(unwritten) == 1 else 'steps'} {', '.join(map(repr, unwritten))} "
                f"{'writes' if len(unwritten) == 1 else 'write'} none: {default_s:g} s by default)"
                if unwritten
                else ""
            )
            found.append(
                f"the steps may take up to {worst_s:g} s (timeouts x retries, and the pauses between retries), "
                "more than the "
                f"{deadline_s:g} s deadline; raise deadline_s or lower timeout_s{said}"
            )
        return found

    def definition(self) -> dict[str, Any]:
        """The check as the catalog spells it (allowed_hosts as in force), with secret values hidden."""
        data = self.hide_secret_params(self.model_dump(mode="json", exclude_none=True, by_alias=True))
        data["allowed_hosts"] = list(self._hosts.patterns)
        written = scrubber(value for value in self.literal_secrets() if len(value) >= MIN_HIDDEN_CHARS)
        # A credential that says what it is (`https://svc:pw@backend/`, a JWT) is hidden under any name.
        data["headers"] = written(self._redact_headers(data.get("headers", {})))
        for step in data.get("steps", []):
            step["headers"] = written(self._redact_headers(step.get("headers", {})))
            step["query"] = written(self._redact(step.get("query", {})))
            if "json_body" in step:
                step["json_body"] = REDACTED if step["secret_body"] else written(self._redact_json(step["json_body"]))
            if "text_body" in step:
                step["text_body"] = (
                    REDACTED if step["secret_body"] else written(self._hide_secret_pairs(step["text_body"]))
                )
            expect = step.get("expect", {})
            # A needle is shown as a failure quotes it, without a secret the check sends (asserted to come back, or
            # not to leak), which no field of its own hides.
            for key in ("body_contains", "body_not_contains"):
                if key in expect:
                    expect[key] = [written(shown_needle(needle, self._names)) for needle in expect[key]]
            if "body_regex" in expect:
                expect["body_regex"] = written(expect["body_regex"])
            for name, rule in expect.get("headers", {}).items():
                if "equals" in rule and hides_expected_header(name, rule["equals"], self._names):
                    rule["equals"] = REDACTED
            for rule in expect.get("json", []):
                # Also where the answer may name a secret (`$.pairs[0][1]`, `$.env[0].value`), which only the answer
                # tells: the definition is shown before any answer.
                path = JsonPath.parse(rule["path"])
                if "equals" in rule and (
                    self._hides_expected_json(rule["path"], rule["equals"])
                    or (json_path_may_name_a_secret(path) and not tells_nothing(rule["equals"]))
                ):
                    rule["equals"] = REDACTED
        return data

    def _hides_expected_json(self, path: str, expected: Any) -> bool:
        """Whether a JSON assertion's `equals` is hidden as a secret: under a secret path, and no true, false or null
        (`tells_nothing`)."""
        return json_path_is_secret(JsonPath.parse(path), self._names, expected) and not tells_nothing(expected)

    def _expected_secrets(self, step: Step) -> list[str]:
        """The strings a step's assertions expect where a secret stands (a header's `equals` under a secret name, a
        JSON path's under a secret path): a target may quote them elsewhere in its answer."""
        found = [
            rule.equals
            for name, rule in step.expect.headers.items()
            if rule.equals is not None and hides_expected_header(name, rule.equals, self._names)
        ]
        return found + [
            rule.equals
            for rule in step.expect.json_paths
            if isinstance(rule.equals, str) and self._hides_expected_json(rule.path, rule.equals)
        ]

    def measures_the_past(self) -> bool:
        """Never: its requests go out now, whatever `at` says."""
        return False

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """Validated args that also render into a valid request for every step (ArgError otherwise)."""
        bound = super().bind_args(raw_args)
        base = self._base.render(bound, self._secret_params)
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
        base = shown_base = rendered.origin() + rendered.prefix
        placed = self._secret_params & self._base.param_names
        if placed:
            # As evidence shows it: a secret arg the base_url places hidden there however short (the scrub leaves
            # one under MIN_HIDDEN_CHARS). Lowercase: a DNS label may hold the mark.
            marked = self._base.shown(ctx.args, placed, _CAPTURE_SENTINEL.lower())
            shown_base = marked.replace(_CAPTURE_SENTINEL.lower(), REDACTED)
        values: dict[str, ArgValue] = dict(ctx.args)
        cookie_scopes: dict[str, CookieScope] = {}
        evidence: list[dict[str, Any]] = []
        requests = 0
        over_cap: dict[str, int] = {}
        retried: dict[str, int] = {}
        # Secret args (but one too short to tell anything), and secret values captured so far: every reason, message
        # and piece of evidence is scrubbed of them, wherever a template placed them or a target echoed them.
        secrets: list[str] = [
            text
            for text in (render_value(ctx.args[name]) for name in self._secret_params if name in ctx.args)
            if len(text) >= MIN_HIDDEN_CHARS
        ]
        # A crash (a bug, not a CheckError) is scrubbed by the runner, which knows the written secrets but not the
        # captured ones: it reads this list, as it stands then.
        ctx.hide_on_crash(secrets)
        for index, compiled in enumerate(self._compiled):
            try:
                result = await self._run_step(
                    compiled, index, (base, shown_base), values, cookie_scopes, client, secrets
                )
            except CheckError as exc:
                evidence.append({"name": compiled.step.name, "outcome": Outcome.ERROR.value, "error": exc.message})
                exc.details = self._details(shown_base, evidence, index + 1)
                scrub = _scrubber(secrets)
                exc.message, exc.details = scrub(exc.message), scrub(exc.details)
                exc.args = (exc.message,)
                raise
            # Unusable captures too: a value too long or not a string still must not show.
            secrets.extend(result.secrets)
            evidence.append(result.evidence)
            requests += result.requests
            if result.over_cap:
                over_cap[compiled.step.name] = result.over_cap
            if result.retried:
                retried[compiled.step.name] = result.retried
            if result.outcome is not Outcome.PASS:
                details = self._details(shown_base, evidence, index + 1)
                first = result.failures[0]
                more = len(result.failures) - 1
                reason = f"step {compiled.step.name!r} ({index + 1}/{len(self.steps)}) failed: {first}" + (
                    f" (and {more} more failed assertion{'s' if more > 1 else ''})" if more else ""
                )
                scrub = _scrubber(secrets)
                return Verdict(
                    outcome=result.outcome,
                    reason=scrub(reason),
                    value=index,
                    threshold=len(self.steps),
                    details=scrub(details),
                )
            values.update(result.captured)
            cookie_scopes.update(result.cookie_scopes)
        latencies = [e["latency_ms"] for e in evidence if e.get("latency_ms") is not None]
        slowest = f", slowest response {format_number(max(latencies))} ms" if latencies else ""
        # A pass on a body cut at the cap is never silent: say which steps judged such bodies, and on what.
        notes = ""
        if over_cap:
            bodies = sum(over_cap.values())
            notes = (
                f"; {bodies} response bod{'ies' if bodies > 1 else 'y'} over max_body_bytes, drained and judged "
                f"on status, latency and headers only: {', '.join(f'step {n!r}' for n in over_cap)}"
            )
        if retried:
            # A retry hides no failed try: the requests that needed one are named, as evidence counts the retries.
            count = sum(retried.values())
            notes += (
                f"; {count} request{'s' if count > 1 else ''} connected only on a retry (a try could not connect): "
                f"{', '.join(f'step {n!r}' for n in retried)}"
            )
        scrub = _scrubber(secrets)
        return Verdict(
            outcome=Outcome.PASS,
            value=len(self.steps),
            threshold=len(self.steps),
            reason=(
                f"{f'all {len(self.steps)} steps' if len(self.steps) > 1 else 'its 1 step'} passed "
                f"({requests} request{'s' if requests != 1 else ''}{slowest}{notes})"
            ),
            details=scrub(self._details(shown_base, evidence, len(self.steps))),
        )

    def _details(self, base: str, evidence: list[dict[str, Any]], ran: int) -> dict[str, Any]:
        not_run = [{"name": step.name, "outcome": "not_run"} for step in self.steps[ran:]]
        return {"base_url": base, "steps": evidence + not_run}

    async def _run_step(
        self,
        compiled: _CompiledStep,
        index: int,
        bases: tuple[str, str],
        values: dict[str, ArgValue],
        cookie_scopes: Mapping[str, CookieScope],
        client: HttpClient,
        secrets: list[str],
    ) -> _StepResult:
        """Send the step to the first of `bases` and judge it, its evidence showing the second; `secrets` gains the
        secret values the step sends. A step whose Cookie header sends a captured cookie where browsers would not
        (`cookie_scopes`), to its URL or to a redirect it follows, fails there unsent."""
        step = compiled.step
        base, shown_base = bases
        label = f"step {step.name!r} ({index + 1}/{len(self.steps)})"
        try:
            request = self._request(compiled, base, values)
        except ArgError as exc:
            # bind_args accepted the caller's args: what breaks the request here is a value captured from
            # an earlier answer, which is the target's data, not a bad arg.
            raise TargetBadAnswer(
                f"{label} cannot be sent: a value captured from an earlier answer makes "
                f"the request invalid: {exc.message}"
            ) from exc
        # A target may echo what it was sent (a debug page, a 401 quoting the header, a validation error
        # quoting the field): its answer must not show them either. A capture opted out with `secret: false`
        # stays shown even where it is sent as a credential.
        shown = {str(values[name]) for name in self._shown_captures if name in values}
        # A value too short to be searched for is, when a secret arg or capture placed it there; one written in the
        # catalog is hidden where it is written only (by its name), as a short secret arg placed elsewhere is: a form's
        # `remember_session=1` made the reason `step 's' (<redacted>/<redacted>)` and blanked every 1 of the answer.
        placed = {
            render_value(values[name]) for name in (*self._secret_params, *self._secret_captures) if name in values
        }
        secrets.extend(
            value
            for value in [*self._sent_secrets(step, request), *self._expected_secrets(step)]
            if value not in shown and (len(value) >= MIN_HIDDEN_CHARS or value in placed)
        )
        carriers = _cookie_carriers(compiled, values, cookie_scopes)
        unsent = _unsent_cookies(carriers, cookie_scopes, request.url)
        if unsent:
            # Browsers keep such a session from this URL (a login setting `Path=/login`): sent by hand, it would pass a
            # release whose users are signed out on every other page.
            evidence = {
                "name": step.name,
                "request": self._request_evidence(compiled, request, shown_base, values),
                "outcome": Outcome.FAIL.value,
                "failed_assertions": [str(f) for f in unsent],
            }
            return _StepResult(Outcome.FAIL, unsent, evidence, {}, 0)
        semaphore = asyncio.Semaphore(step.concurrency)
        kept = {"first": False, "failing": False}

        async def attempt(number: int) -> _Attempt:
            where = label if step.repeat == 1 else f"{label} request {number + 1}/{step.repeat}"
            # The names of the written cookies the last redirect judged would have carried (its failures name them).
            carried: frozenset[str] = frozenset()

            def cookies_may_go(url: str, names: frozenset[str]) -> bool:
                nonlocal carried
                carried = names
                return not _unsent_cookies(carriers, cookie_scopes, url, names)

            async with semaphore:
                try:
                    exchange = await client.exchange(
                        request,
                        where=where,
                        check_hosts=self._hosts,
                        timeout_s=step.timeout_s,
                        retries=step.retries,
                        follow_redirects=step.follow_redirects,
                        max_redirects=step.max_redirects,
                        max_body_bytes=step.max_body_bytes,
                        drain_over_cap=step.oversized_body == "drain",
                        decoded_as_text=needs_body(step),
                        ca_file=self.ca_file,
                        cookies_may_go=cookies_may_go if carriers else None,
                        cookies_across=partial(
                            _cookies_across, _captured_cookies(compiled, values, cookie_scopes), cookie_scopes, carriers
                        )
                        if carriers
                        else None,
                        written_scopes=self._written_scopes(compiled, values, cookie_scopes) if carriers else None,
                    )
                    secrets.extend(self._hop_secrets(exchange))
                    try:
                        # Decoding and regexes see target-controlled text: off the event loop, so the deadline
                        # and every other request keep being served while they run.
                        judged = await asyncio.to_thread(
                            judge_exchange, step, exchange, where, self._secret_names, frozenset(self.not_secret_names)
                        )
                        if exchange.withheld:
                            # Judged on the hop it was not sent to: the redirect's own answer is no page to assert on.
                            hop = (
                                f"redirect {len(exchange.redirects) + 1} (from {_shown_url(exchange.url)} to "
                                f"{_shown_url(exchange.withheld)})"
                            )
                            unsent_there = _unsent_cookies(carriers, cookie_scopes, exchange.withheld, carried, hop)
                            judged = dataclasses.replace(judged, failures=unsent_there)
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
            elif judged.failures and not kept["failing"]:
                role = "failing"
            kept["first"] = True
            kept["failing"] = kept["failing"] or bool(judged.failures)
            return _Attempt(
                status=exchange.status,
                latency_ms=exchange.latency_ms,
                kept_as=role,
                evidence=judged.evidence if role else None,
                failures=judged.failures,
                captured=judged.captured,
                cookie_scopes=judged.cookie_scopes,
                secrets=judged.secrets,
                over_cap=exchange.body_truncated,
                connect_retries=exchange.connect_retries,
            )

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(attempt(number)) for number in range(step.repeat)]
        attempts = [task.result() for task in tasks]
        # Not the target's doing: a refusal or our own memory budget is an error, never an unsuccessful request.
        refused = next(
            (
                a.problem
                for a in attempts
                if isinstance(a.problem, TargetRefused | BodyBudgetExhausted | ConnectionsExhausted)
            ),
            None,
        )
        if refused is not None:
            raise refused
        if not any(a.answered for a in attempts):
            problem = attempts[0].problem
            assert problem is not None
            raise problem
        return _summarize(step, self._request_evidence(compiled, request, shown_base, values), attempts)

    def _written_scopes(
        self, compiled: _CompiledStep, values: Mapping[str, ArgValue], cookie_scopes: Mapping[str, CookieScope]
    ) -> dict[str, tuple[bool, str, str]]:
        """The cookies of the step's Cookie header whose scope is known, each as browsers' store tells it (for its host
        alone or not, that host or its Domain, its Path): one named as the cookie a value was captured from, holding
        that value alone (`session={{ sid }}`, sid from the cookie `session`). A name two such captures give different
        scopes is left out (unknown)."""
        cookie_names = {name: capture.cookie for step in self.steps for name, capture in step.capture.items()}
        found: dict[str, tuple[bool, str, str]] = {}
        unknown: set[str] = set()
        for capture, cookies in _captured_cookies(compiled, values, cookie_scopes).items():
            scope = cookie_scopes[capture]
            identity = (not scope.domain, scope.domain or scope.host, scope.path)
            for cookie in cookies:
                name = cookie.partition("=")[0]
                if name != cookie_names.get(capture):
                    continue
                if found.setdefault(name, identity) != identity:
                    unknown.add(name)
        return {name: identity for name, identity in found.items() if name not in unknown}

    def _sent_secrets(self, step: Step, request: HttpRequest) -> list[str]:
        """The secret values `request` carries: headers and query values of secret names (with a credential also
        without its auth scheme), a secret body, and the values under secret names of a JSON or form body."""
        found = [
            form
            for name, value in request.headers.items()
            if self._secret_header(name, value)
            for form in (self._cookie_values(value) if name.lower() == "cookie" else credential_forms(value))
        ]
        query = urlsplit(request.url).query
        found += [value for key, value in parse_qsl(query, keep_blank_values=False) if self._is_secret(key)]
        # Whatever names them: a credential that says what it is, as an answer's are found (a URL's user info in a
        # header, a JWT in a query value), the values of args and captures placed in them included.
        found += [
            credential
            for value in [*request.headers.values(), *(value for _, value in parse_qsl(query))]
            for credential in _shaped_credentials(value)
        ]
        if request.content is not None:
            text = request.content.decode("utf-8", "replace")
            found += _shaped_credentials(text)
            if step.secret_body:
                found.append(text)
            elif step.json_body is not None:
                found += self._secret_leaves(json.loads(text), secret=False)
            else:
                # As sent, and as a target that decoded the form or the JSON string may quote it; and as the catalog
                # wrote it, which a placeholder's value may have moved out of the pair or member reading finds
                # (a `\` ending a value before a JSON string's quote).
                found += [
                    form
                    for value in self._secret_pair_values(text)
                    for form in (value, unquote_plus(value), _json_string(value))
                ]
                written = self._secret_pair_values(step.text_body or "")
                found += [value for value in written if _PLACEHOLDER not in value]
        return [value for value in found if value]

    def _secret_pair_spans(self, text: str, *, merge: bool = True) -> list[tuple[int, int]]:
        """Where the values of the `name=value` pairs (a form's `password=...`, its name percent-encoded or not), of
        the JSON members (`"password": "..."`: JSON sent as text) and of the XML elements and attributes and YAML or
        header lines (`<password>...</password>`, `token: ...`: `_markup_secret_spans`) under a secret name stand in a
        text body, in order, overlapping ones merged (unless not `merge`: each reading's, as found)."""
        spans = []
        at = 0
        while (found := _TEXT_PAIR_NAME_RE.search(text, at)) is not None:
            at = found.end()
            if self._is_secret(decoded_name(found[1])):
                value = _TEXT_PAIR_VALUE_RE.match(text, at)
                assert value is not None  # it matches an empty value too
                if value.end() > at:
                    spans.append((at, value.end()))
                at = value.end()
        at = 0
        while (member := _TEXT_MEMBER_RE.search(text, at)) is not None:
            name = member["name"]
            with contextlib.suppress(ValueError):
                name = json.loads(f'"{name}"')
            kind = next(group for group in ("string", "open", "bare") if member[group] is not None)
            start = member.start(kind)
            if not self._is_secret(name):
                # The members of an object under another name are searched too.
                at = member.end() if kind != "open" else start + 1
                continue
            end = container_end(text, start) if kind == "open" else member.end(kind)
            if end > start:
                spans.append((start, end))
            at = max(end, member.end())
        # Written as XML (a SOAP login's `<wsse:Password>`), YAML or header lines (`token: ...`).
        spans += [(start, end) for start, end in _markup_secret_spans(text, self._is_secret) if end > start]
        if not merge:
            return spans
        return merged_spans(spans)

    def _secret_pair_values(self, text: str) -> list[str]:
        """The values under a secret name in a text body (a form's `password=...`, `_secret_pair_spans`), and the
        text of each element or line inside one (a SOAP `<UsernameToken>`'s `<Password>`), which a target may quote
        alone, as the leaves of a JSON body's object under a secret name are; each reading's value apart (an XML
        attribute's `password="pw"` is also a form's pair, whose value runs to the line's end: merged, `pw` alone
        was never searched for)."""
        values = list(dict.fromkeys(text[start:end] for start, end in self._secret_pair_spans(text, merge=False)))
        return list(dict.fromkeys([*values, *(leaf for value in values for leaf in _markup_leaves(value))]))

    def _hide_secret_pairs(self, text: str) -> str:
        """A text body with the value of every `name=value` pair under a secret name shown as REDACTED."""
        shown: list[str] = []
        done = 0
        for start, end in self._secret_pair_spans(text):
            shown += (text[done:start], REDACTED)
            done = end
        return "".join(shown) + text[done:]

    def _cookie_values(self, header: str) -> list[str]:
        """A Cookie header's value, and the values of its cookies that a server may quote one by one (`unknown
        session ...`): under a secret name, or long enough to be a credential (`theme=dark` is left: every
        standalone "dark" of the evidence would be hidden)."""
        found = [header]
        for pair in header.split(";"):
            name, _, value = pair.partition("=")
            value = value.strip().strip('"')
            if self._is_secret(name.strip()) or len(value) >= _FREE_TEXT_REDACT_CHARS:
                found.append(value)
        return found

    def _hop_secrets(self, exchange: HttpExchange) -> list[str]:
        """The values of secret-named parameters of the query or the fragment and the user info (`user:password`) in
        the URLs the target sent the request on to (a session or a code in a Location, an OAuth implicit grant's
        `#access_token=...`): evidence shows those URLs, so these are scrubbed like the check's own."""
        urls = [*exchange.redirects, exchange.headers.get("location", "")]
        return [
            *(
                value
                for url in urls
                if "?" in url or "#" in url or ";" in url
                for part in _url_parameter_parts(url)
                for key, value in parse_qsl(part)
                if self._is_secret(decoded_name(key))
                or (key.lower() in _REDIRECT_CREDENTIAL_PARAMS and len(value) >= _FREE_TEXT_REDACT_CHARS)
            ),
            *(_user_info(url) for url in urls if "@" in url),
            # A one-time link's token in a path (`/reset/...`), which the evidence's Location shows.
            *(url[start:end] for url in urls for start, end in capability_path_spans(url)),
        ]

    def _secret_leaves(self, node: Any, *, secret: bool) -> list[str]:
        """The scalar values of a JSON document that stand under a secret name, as text."""
        if isinstance(node, dict):
            return [
                leaf
                for key, value in node.items()
                for leaf in self._secret_leaves(value, secret=secret or self._is_secret(str(key)))
            ]
        if isinstance(node, list):
            return [leaf for item in node for leaf in self._secret_leaves(item, secret=secret)]
        if not secret or node is None or isinstance(node, bool):
            return []
        return [node if isinstance(node, str) else json.dumps(node)]

    def _request_evidence(
        self, compiled: _CompiledStep, request: HttpRequest, base: str, values: dict[str, ArgValue]
    ) -> dict[str, Any]:
        """The request as evidence shows it: secret header, query and body values hidden, and every secret arg and
        secret captured value hidden wherever a template placed it (inside a longer value too; a secret arg too short
        to be searched for in text is hidden here all the same)."""
        values = {
            name: _CAPTURE_SENTINEL if name in self._secret_captures or name in self._secret_params else value
            for name, value in values.items()
        }
        url = base + compiled.path.render(values)
        if compiled.query:
            url += "?" + render_query(
                {
                    key: REDACTED if self._is_secret(key) else template.render(values)
                    for key, template in compiled.query.items()
                }
            )
        headers = dict(request.headers) | {template.name: template.render(values) for template in compiled.headers}
        shown: dict[str, Any] = {"method": request.method, "url": url, "headers": self._redact_headers(headers)}
        if request.content:
            if compiled.step.secret_body:
                shown["body"] = REDACTED
            elif compiled.json_body is not None:
                body = self._redact_json(json.loads(compiled.json_body.render(values)))
                shown["body"] = json.dumps(body, separators=(",", ":"))
            elif compiled.text_body is not None:
                shown["body"] = self._hide_secret_pairs(compiled.text_body.render(values))
            shown["body"] = snippet(shown["body"].replace(_CAPTURE_SENTINEL, REDACTED), BODY_EVIDENCE_CHARS)
        shown["url"] = url.replace(_CAPTURE_SENTINEL, REDACTED)
        shown["headers"] = {
            name: value.replace(_CAPTURE_SENTINEL, REDACTED) for name, value in shown["headers"].items()
        }
        return shown


def _placed_in_credentials(template: HeaderTemplate | TextTemplate) -> set[str]:
    """The placeholders `template` places in a credential that says what it is (`_shaped_credentials`), as the
    rendered text reads: each rendered as a mark of its own, no login's name (`ssh://git@host` is no credential)."""
    marks = {name: f"PLACED{index}QZX" for index, name in enumerate(sorted(template.param_names))}
    credentials = _shaped_credentials(template.render(marks)) if marks else []
    return {name for name, mark in marks.items() if any(mark in credential for credential in credentials)}


def _string_leaves(node: Any) -> list[str]:
    """The strings of a JSON body template's values, nested ones included."""
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _string_leaves(value)]
    if isinstance(node, list):
        return [leaf for item in node for leaf in _string_leaves(item)]
    return [node] if isinstance(node, str) else []


def _shaped_credentials(text: str) -> list[str]:
    """The credentials in `text` that say what they are, as an answer's are found: a URL's user info
    (`https://svc:pw@backend/`: `svc:pw`), a DSN's password, and a credential known by its shape (a JWT, an AWS key
    id)."""
    spans = [*user_info_spans(text), *secret_shape_spans(text)]
    if "@" in text:
        spans += dsn_user_info_spans(text)
    return [text[start:end] for start, end in merged_spans(spans)]


def _cookie_carriers(
    compiled: _CompiledStep, values: Mapping[str, ArgValue], cookie_scopes: Mapping[str, CookieScope]
) -> dict[str, frozenset[str]]:
    """For each value captured from a cookie that the step's Cookie header sends, the names of the cookies of that
    header that hold it (one the capture itself names, `{{ sid }}=on`, is known by a marker: see _unsent_cookies)."""
    return {
        name: frozenset(key.strip() for key, _, value in pairs if _CAPTURE_SENTINEL in key + value)
        for name, pairs in _marked_cookie_pairs(compiled, values, cookie_scopes)
    }


def _captured_cookies(
    compiled: _CompiledStep, values: Mapping[str, ArgValue], cookie_scopes: Mapping[str, CookieScope]
) -> dict[str, frozenset[str]]:
    """For each value captured from a cookie, the cookies (`name=value`) of the step's Cookie header whose value is that
    value alone (`session={{ sid }}`): the cookie browsers hold, where one with more in it (`{{ sid }}.{{ key }}`) is
    the check's own."""
    return {
        name: frozenset(
            f"{key.strip()}={render_value(values[name])}"
            for key, _, value in pairs
            if value.strip() == _CAPTURE_SENTINEL and _CAPTURE_SENTINEL not in key
        )
        for name, pairs in _marked_cookie_pairs(compiled, values, cookie_scopes)
    }


def _marked_cookie_pairs(
    compiled: _CompiledStep, values: Mapping[str, ArgValue], cookie_scopes: Mapping[str, CookieScope]
) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """For each value captured from a cookie that the step's Cookie header places, the header's `name=value` pairs
    (partitioned at '=') with that value replaced by a marker, so that where it stands can be told."""
    for template in compiled.headers:
        if template.name.lower() != "cookie":
            continue
        for name in sorted(template.param_names & cookie_scopes.keys()):
            marked = template.render({**values, name: _CAPTURE_SENTINEL})
            yield name, [pair.partition("=") for pair in marked.split(";")]


def _unsent_cookies(
    carriers: Mapping[str, frozenset[str]],
    cookie_scopes: Mapping[str, CookieScope],
    url: str,
    sent: frozenset[str] | None = None,
    where: str = "this URL",
) -> list[Failure]:
    """A failure for each value captured from a cookie that the step's Cookie header (`carriers`, see
    _cookie_carriers) sends to `url` (`where`), where browsers would not send that cookie (its Domain, Path or Secure);
    `sent`, the names of the header's cookies that go there (None: all)."""
    found = []
    for name, cookies in carriers.items():
        # A cookie the capture names is judged wherever any written cookie goes: no hop's cookie can be known to
        # replace it.
        if sent is not None and not (cookies & sent or any(_CAPTURE_SENTINEL in cookie for cookie in cookies)):
            continue
        why = cookie_scopes[name].unsent_to(url)
        if why:
            found.append(Failure(f"capture {name} sent as a cookie", f"a cookie browsers send to {where}", why))
    return found


def _cookies_across(
    captured: Mapping[str, frozenset[str]],
    cookie_scopes: Mapping[str, CookieScope],
    carriers: Mapping[str, frozenset[str]],
    url: str,
    header: str,
) -> str | None:
    """The cookies of a step's Cookie header (`header`, as sent) that a redirect to another origin, `url`, carries
    (None: none): those whose value is a value captured from a cookie browsers send there (a session for the whole
    Domain; `captured`, see _captured_cookies). The check's own cookies (a literal, one holding more than the captured
    value: it may be a credential for the step's host alone) go no further, nor does any when a capture names a cookie
    (see _unsent_cookies: no hop could be judged without it)."""
    if any(_CAPTURE_SENTINEL in cookie for cookies in carriers.values() for cookie in cookies):
        return None
    going = {
        cookie for name, cookies in captured.items() if not cookie_scopes[name].unsent_to(url) for cookie in cookies
    }
    return "; ".join(pair.strip() for pair in header.split(";") if pair.strip() in going) or None


def _shown_url(url: str) -> str:
    """A URL for a reason: without its query or fragment (either may carry secrets)."""
    return url.split("#", 1)[0].split("?", 1)[0]


def _url_parameter_parts(url: str) -> list[str]:
    """A URL's query, fragment and path parameters (`/cart;jsessionid=...`, as Java servlets write a session into
    URLs; `&`-joined), each "" when it has none, and its query and fragment read with `;` separating pairs too
    (`?page=2;PHPSESSID=...`, as HTML 4 allowed)."""
    before_fragment, _, fragment = url.partition("#")
    path, _, query = before_fragment.partition("?")
    # Read both ways: a secret's value holding a `;` (`?session=ab;cd`) is whole only with `&` alone.
    return [query, fragment, "&".join(path.split(";")[1:])] + [
        part.replace(";", "&") for part in (query, fragment) if ";" in part
    ]


def _markup_leaves(text: str) -> list[str]:
    """The texts of the elements (`<Password>pw</Password>`: `pw`) or the lines (`- pw`, `password: pw`, `pw  #
    a comment`: `pw`) in a value taken from a text body, stripped, empty ones left out; none of lines that hold a
    placeholder, which a line may cut (its value is the arg's, secret already)."""
    if "<" in text:
        found = _MARKUP_TEXT_RE.findall(f">{text}<")
    elif _PLACEHOLDER in text:
        return []
    else:
        found = []
        for line in text.splitlines():
            item = line.strip().removeprefix("- ")
            _, colon, value = item.partition(": ")
            found.append((value if colon else item).partition(" #")[0])
    return [leaf.strip() for leaf in found if leaf.strip()]


def _json_string(text: str) -> str:
    """`text` read as the content of a JSON string (its escapes decoded), or as it is when it is none."""
    try:
        decoded = json.loads(f'"{text}"')
    except ValueError:
        return text
    return decoded if isinstance(decoded, str) else text


def _user_info(url: str) -> str:
    """The `user:password` of a URL ("" when it has none)."""
    try:
        return urlsplit(url).netloc.rpartition("@")[0]
    except ValueError:
        # Not a URL urllib can read (a bad port, brackets): its text before the last '@' of the authority.
        return url.split("//", 1)[-1].split("/", 1)[0].rpartition("@")[0]


def _scrubber(secrets: list[str]) -> Callable[[Any], Any]:
    """A function that replaces every secret value in every string of a reason, a message or nested evidence, as the
    shared scrubber finds them (as written or re-encoded, whole or its start before a quote's cut), keeping the
    cut's "... (N more characters)" after it."""
    return scrubber(secrets, keep_clip_mark=True)


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
        return _StepResult(
            outcome,
            attempt.failures,
            evidence,
            attempt.captured,
            1,
            int(attempt.over_cap),
            attempt.secrets,
            int(attempt.connect_retries > 0),
            attempt.cookie_scopes,
        )
    successes = sum(1 for a in attempts if a.passed)
    ratio = successes / len(attempts)
    latencies = [a.latency_ms for a in answered]
    # A request that timed out waited at least timeout_s: left out, the percentiles would improve the more
    # requests hang. Refused or reset requests have no latency to count; the success ratio judges them.
    timeouts = sum(1 for a in attempts if a.problem is not None and a.problem.code == "target_timeout")
    waited = latencies + [step.timeout_s * 1000] * timeouts
    p50, p95, p99 = (Reducer("quantile", q).apply(waited) for q in (0.5, 0.95, 0.99))
    over = (
        f"over {len(waited)} requests: {len(latencies)} responses, {timeouts} timeout"
        f"{'s' if timeouts > 1 else ''} counted at timeout_s"
        if timeouts
        else f"over {len(latencies)} responses"
    )
    problems = Counter(str(f) for a in attempts for f in a.failures)
    problems.update(f"transport: {a.problem.message}" for a in attempts if a.problem is not None)
    failures: list[Failure] = []
    if ratio < step.min_success_ratio:
        worst = problems.most_common(1)[0][0] if problems else "none"
        shown, bound = beside(ratio, step.min_success_ratio)
        failures.append(
            Failure(
                "min_success_ratio",
                f">= {bound}",
                f"{shown} ({successes} of {len(attempts)} requests passed; most common problem: {worst})",
            )
        )
    for name, limit, value in (("max_p95_ms", step.max_p95_ms, p95), ("max_p99_ms", step.max_p99_ms, p99)):
        if limit is not None and value > limit:
            shown, bound = beside(value, limit)
            failures.append(Failure(name, f"<= {bound} ms", f"{shown} ms ({over})"))
    statuses = Counter(str(a.status) for a in answered)
    failing = next((a.evidence for a in answered if a.kept_as == "failing"), None)
    evidence.update(
        {
            "outcome": (Outcome.PASS if not failures else Outcome.FAIL).value,
            "status": first.status,
            "latency_ms": round(max(latencies), 3),
            "failed_assertions": [str(f) for f in failures],
            "repeat": {
                "requests": len(attempts),
                "concurrency": step.concurrency,
                "successes": successes,
                "success_ratio": ratio,
                "min_success_ratio": step.min_success_ratio,
                "statuses": dict(sorted(statuses.items())),
                "transport_errors": sum(1 for a in attempts if a.problem is not None),
                "bodies_over_cap": sum(1 for a in attempts if a.over_cap),
                "connect_retries": sum(a.connect_retries for a in attempts),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "p99_ms": round(p99, 3),
                "max_p95_ms": step.max_p95_ms,
                "max_p99_ms": step.max_p99_ms,
                "problems": [
                    {"problem": text, "requests": count} for text, count in problems.most_common(_MAX_LISTED_FAILURES)
                ],
            },
            "first_response": first.evidence,
            **({"first_failing_response": failing} if failing is not None else {}),
        }
    )
    return _StepResult(
        Outcome.PASS if not failures else Outcome.FAIL,
        failures,
        evidence,
        {},
        len(attempts),
        sum(1 for a in attempts if a.over_cap),
        retried=sum(1 for a in attempts if a.connect_retries),
    )


def _is_wide(pattern: str) -> bool:
    """Whether a host pattern reaches the whole cluster or a whole top-level domain."""
    return pattern in _WIDE_HOST_PATTERNS or (pattern.startswith("*.") and "." not in pattern[2:])
