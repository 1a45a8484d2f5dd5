"""The `http_smoke` definition: steps, their assertions and captures, validated at load."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from analyzer.kinds import (
    ConditionField,
    ParamName,
    WrittenNumber,
    WrittenScalar,
    WrittenText,
)
from checks.http_smoke.jsonpath import JsonPath

_STATUS_CLASS_RE = re.compile(r"^([1-5])xx$")
_STATUS_RANGE_RE = re.compile(r"^([1-5]\d\d)\s*-\s*([1-5]\d\d)$")
# A number as JSON writes one: what YAML reads alike (`1.10` is 1.1 to both, `012` is 10 to YAML alone).
_JSON_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_STEP_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
# The assertions of `expect` that read the body: its field, and the name written in a catalog.
_BODY_ASSERTIONS = (
    ("body_contains", "body_contains"),
    ("body_not_contains", "body_not_contains"),
    ("body_regex", "body_regex"),
    ("json_paths", "json"),
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _json_value(value: Any, where: str, *, assertion: bool) -> Any:
    """`value` as JSON: null, booleans, finite numbers, strings, lists and objects, each scalar the catalog
    kept the text of (WrittenNumber, WrittenScalar) as YAML read it. An `assertion`'s keys are strings and its
    values what JSON reads alike (not `012` or `on`); a body's number and date keys are sent as their text.
    ValueError naming where it is not."""
    if isinstance(value, WrittenText):
        if assertion:
            raise ValueError(_rewrite_problem(where, value))
        value = str(value)
    if isinstance(value, WrittenNumber | WrittenScalar):
        if assertion and (isinstance(value, WrittenScalar) or not _JSON_NUMBER_RE.fullmatch(value.written)):
            raise ValueError(_rewrite_problem(where, value))
        # Under a `default:`, `example:` or `args:` key, a body's 012 went as 10.0, and 9007199254740993 as a float.
        value = value.read
    if isinstance(value, float) and not math.isfinite(value):
        # allow_inf_nan does not reach inside `Any`: a body would be sent as `Infinity`, which is not JSON, and an
        # `equals: .nan` would fail every answer.
        raise ValueError(f"{where} is {value}: JSON has no NaN or infinity")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) and (assertion or not _sent_as_written(key)):
                raise ValueError(_key_problem(where, key))
        return {key: _json_value(item, f"{where}.{key}", assertion=assertion) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_value(item, f"{where}[{index}]", assertion=assertion) for index, item in enumerate(value)]
    if value is not None and not isinstance(value, bool | int | float | str):
        # YAML reads `2026-12-06` unquoted as a date: an `equals` of it failed every answer, and its failure crashed.
        kind = type(value).__name__
        raise ValueError(f"{where} is the YAML {kind} {value}, not a JSON value: quote it ('{value}') to mean the text")
    return value


def _rewrite_problem(where: str, value: WrittenNumber | WrittenScalar | WrittenText) -> str:
    """Why an assertion's value YAML read otherwise than JSON would is refused, saying what to write."""
    # `equals: 012` passed on `"zip": 10` and `equals: on` on `"state": true`, where the text may have been meant.
    if isinstance(value, WrittenText):
        written, number = str(value), float(value)
        if not math.isfinite(number):
            # `1e400`: "write the number as YAML reads it (inf)" named a text to YAML and no number to JSON.
            return (
                f"{where} is {written}, which YAML reads unquoted as the text {json.dumps(written)} and JSON as a "
                f"number too large for a float: quote it ('{written}') to mean the text"
            )
        shown = str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
        return (
            f"{where} is {written}, which YAML reads unquoted as the text {json.dumps(written)} and JSON as the "
            f"number {shown}: quote it ('{written}') to mean the text, or write the number as YAML reads it ({shown})"
        )
    meant = json.dumps(value.read)
    if isinstance(value, WrittenScalar) and value.read is None:
        return f"{where} is empty, which YAML reads as null: write null to assert a null, or the value meant"
    if isinstance(value, WrittenScalar):
        return (
            f"{where} is {value.written}, which YAML reads unquoted as the boolean {meant}: quote it "
            f"('{value.written}') to mean the text, or write {meant}"
        )
    return (
        f"{where} is {value.written}, which YAML reads unquoted as the number {meant} and JSON not at all: quote it "
        f"('{value.written}') to mean the text, or write the number as JSON does ({meant})"
    )


def _sent_as_written(key: Any) -> bool:
    """Whether a body's key YAML read as no string is sent as the text it was written as (`200`, `2026-12-06`)."""
    # A boolean or null key went as Python's `True` or `None`, a datetime with a space for its `T`, bytes as `b'..'`.
    return isinstance(key, int | float | date) and not isinstance(key, bool | datetime)


def _key_problem(where: str, key: Any) -> str:
    """Why an object's key YAML read as no string is refused, saying to quote it (in `equals`, `{1: a}` equalled no
    answer, whose keys are strings, and its failure read `expected {"1": "a"}, got {"1": "a"}`)."""
    if isinstance(key, bool) or key is None:
        # Not `quote it ('true')`: the key may have been written `yes` or `on`, which is not known here.
        return (
            f"{where} has the key {json.dumps(key)}, which is no string (YAML reads yes, no, on, off, true, false, "
            "null and ~ unquoted as none): quote the key as written"
        )
    return f"{where} has the key {key}, which is no string: quote it ('{key}')"


def status_range(item: int | str) -> tuple[int, int]:
    if isinstance(item, int):
        if not 100 <= item <= 599:
            raise ValueError(f"status {item} is not an HTTP status (100-599)")
        return item, item
    text = item.strip().lower()
    if text.isdigit():
        return status_range(int(text))
    klass = _STATUS_CLASS_RE.fullmatch(text)
    if klass:
        return int(klass.group(1)) * 100, int(klass.group(1)) * 100 + 99
    ranged = _STATUS_RANGE_RE.fullmatch(text)
    if ranged and int(ranged.group(1)) <= int(ranged.group(2)):
        return int(ranged.group(1)), int(ranged.group(2))
    raise ValueError(f"status {item!r} is not a code (200), a class (2xx) or a range (200-299)")


def _status_item(item: int | str) -> int | str:
    """An item of `expect.status` as written, refused at its own place in the list (a problem names its line)."""
    status_range(item)
    return item


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


_NULL_HINTS = {"compare": "'> 0'", "exists": "true or false"}


class JsonExpect(_Strict):
    """One JSON path assertion: exactly one of equals (any JSON value), compare ('> 0') or exists."""

    path: str
    equals: Any = None
    compare: ConditionField | None = None
    exists: bool | None = None

    @field_validator("equals")
    @classmethod
    def _json_equals(cls, value: Any) -> Any:
        return _json_value(value, "equals", assertion=True)

    @field_validator("compare", "exists")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Written `exists: ~` (or left empty), it failed every answer with `expected none`; `compare:` crashed.
        if value is None:
            raise ValueError(f"{info.field_name} is null: give it a value ({_NULL_HINTS[str(info.field_name)]})")
        return value

    @model_validator(mode="after")
    def _one(self) -> JsonExpect:
        JsonPath.parse(self.path)
        given = [name for name in ("equals", "compare", "exists") if name in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"JSON assertion on {self.path}: set exactly one of equals, compare or exists")
        return self

    @model_serializer(mode="wrap")
    def _with_null_equals(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        # A check's definition is dumped without nulls: `equals: null` went, leaving an assertion of no kind.
        if "equals" in self.model_fields_set:
            data["equals"] = self.equals
        return data


class Expect(_Strict):
    """What every response of a step must show."""

    status: list[Annotated[int | str, AfterValidator(_status_item)]] = Field(
        default_factory=lambda: list[int | str](["2xx"]),
        description="accepted codes, classes (2xx) or ranges (200-299)",
    )
    max_latency_ms: float | None = Field(default=None, gt=0, description="per request, redirects and body included")
    headers: dict[str, HeaderExpect] = Field(default_factory=dict, description="by header name (any case)")
    # Not `default_factory=list`: a builtin's signature is parsed from its text (see analyzer.catalog).
    body_contains: list[str] = Field(default_factory=lambda: [], description="substrings the body must contain")
    body_not_contains: list[str] = Field(default_factory=lambda: [], description="substrings it must not contain")
    body_regex: str | None = Field(default=None, description="a regex searched in the body")
    json_paths: list[JsonExpect] = Field(
        default_factory=lambda: [], alias="json", description="assertions on the JSON body"
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: list[int | str]) -> list[int | str]:
        if not value:
            raise ValueError("status needs at least one code, class or range")
        return value

    @field_validator("body_contains", "body_not_contains")
    @classmethod
    def _needles(cls, value: list[str]) -> list[str]:
        if "" in value:
            raise ValueError("an empty string is in every body: the assertion could never tell a broken answer")
        return value

    @field_validator("body_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            _compile("body_regex", value)
            if _matches_every_text(value):
                raise ValueError(
                    f"body_regex {value!r} matches every text (it matches the empty string at the start or the end of "
                    "any text), so it could never fail; write what the body must hold"
                )
        return value


# A cookie's name: an RFC 9110 token (RFC 6265, cookie-name).
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Capture(_Strict):
    """Where a value for later steps comes from: a JSON path of the body, a response header, or the value of a cookie
    the response sets."""

    json_path: str | None = Field(default=None, alias="json")
    header: str | None = None
    cookie: str | None = Field(default=None, min_length=1, description="the value of the cookie of this name it sets")
    secret: bool = Field(
        default=True,
        description="redact the value everywhere it would be shown (reasons, evidence, history, logs); false shows it",
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one(self) -> Capture:
        if sum(source is not None for source in (self.json_path, self.header, self.cookie)) != 1:
            raise ValueError("a capture sets exactly one of json (a JSON path), header or cookie")
        if self.json_path is not None:
            JsonPath.parse(self.json_path)
        if self.cookie is not None and not _COOKIE_NAME.fullmatch(self.cookie):
            # No Set-Cookie names one so: every run would fail with "no Set-Cookie of that name".
            raise ValueError(f"cookie {self.cookie!r} is not a cookie name (a token: no spaces, '=', ';' or quotes)")
        return self

    def describe(self) -> str:
        """`json $.id`, `header Location` or `cookie session`."""
        if self.json_path is not None:
            return f"json {self.json_path}"
        return f"header {self.header}" if self.header is not None else f"cookie {self.cookie}"


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
    # 3 s: with the default retry (two tries and a 0.1 s pause, 6.1 s) one step fits the service's 8 s deadline; at 5 s
    # it did not (10.1 s), and a new user's first check warned.
    timeout_s: float = Field(default=3.0, gt=0, le=120, description="per request, redirects and body included")
    retries: int = Field(default=1, ge=0, le=5, description="retries when no connection could be made")
    follow_redirects: bool = False
    max_redirects: int = Field(default=3, ge=1, le=10)
    max_body_bytes: int | None = Field(default=None, ge=1, description="body cap; never above the global one")
    oversized_body: Literal["drain", "fail"] = Field(
        default="drain",
        description="a body over max_body_bytes: drain (read the rest without keeping it, so "
        "latency is real; body assertions fail) or fail (the step fails at once)",
    )
    repeat: int = Field(default=1, ge=1, le=1000, description="requests sent; each is judged by `expect`")
    concurrency: int = Field(default=1, ge=1, le=50, description="requests in flight at once")
    min_success_ratio: float = Field(default=1.0, gt=0, le=1, description="share of requests that must pass")
    max_p95_ms: float | None = Field(default=None, gt=0, description="95th percentile latency of the responses")
    max_p99_ms: float | None = Field(default=None, gt=0, description="99th percentile latency of the responses")
    expect: Expect = Field(default_factory=Expect)
    capture: dict[ParamName, Capture] = Field(default_factory=dict, description="values for later steps")

    @field_validator("json_body")
    @classmethod
    def _json_body(cls, value: Any) -> Any:
        return _json_value(value, "json_body", assertion=False)

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
        if self.repeat == 1 and (
            self.max_p95_ms is not None or self.max_p99_ms is not None or self.min_success_ratio != 1.0
        ):
            raise ValueError(f"step {self.name!r}: min_success_ratio, max_p95_ms and max_p99_ms need repeat > 1")
        if self.method == "HEAD":
            # A HEAD answer has no body (RFC 9110 9.3.2): body_not_contains would pass on any page, the others fail.
            reading = [shown for field, shown in _BODY_ASSERTIONS if getattr(self.expect, field)]
            reading += [
                f"capture {name} (json)" for name, capture in self.capture.items() if capture.json_path is not None
            ]
            if reading:
                raise ValueError(
                    f"step {self.name!r}: method HEAD gets no body, so {', '.join(reading)} could never judge "
                    "one; use GET, or assert on status and headers only"
                )
        for key in self.query:
            if "{{" in key or "}}" in key:
                raise ValueError(f"step {self.name!r}: query names are literal; put {{{{ }}}} in values only")
        return self


def _compile(field_name: str, pattern: str) -> regex.Pattern[str]:
    if not pattern:
        raise ValueError(f"{field_name}: an empty regex matches every text, so it could never fail")
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"{field_name} {pattern!r} is not a valid regex: {exc}") from None
    except RecursionError:
        # regex's parser recurses once per group: some 200 nested groups were a crash of the catalog load.
        raise ValueError(
            f"{field_name}: the regex nests groups too deeply to compile; write it with fewer nested groups"
        ) from None


# The standard library's own regex parser, to tell a pattern that matches every text (typeshed stubs it only under its
# deprecated names, sre_constants and sre_parse, which warn when imported). Private: a Python without it refuses no
# pattern by that rule (every pattern loads, as before it), rather than failing to load the kind, and every check of it.
try:
    import re._constants as _sre  # type: ignore[import-not-found]
    import re._parser as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # Python 3.11 to 3.14 have it
    _sre = _sre_parse = None

# Where an anchor always matches: at every text's start (`^`, `\A`, `(?m)^`), and at its end (`$`, `\Z`, `(?m)$`:
# multi-line mode is the compiler's choice, not the parser's).
_AT_START = frozenset() if _sre is None else frozenset({_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING})
_AT_END = frozenset() if _sre is None else frozenset({_sre.AT_END, _sre.AT_END_STRING})


def _matches_every_text(pattern: str) -> bool:
    """Whether `pattern` surely finds a match in every text: it surely matches the empty string at every text's start,
    or at its end (where there is no text left to need). False when unsure: syntax only the regex package reads, a part
    this reading does not know."""
    if _sre_parse is None:
        return False
    try:
        parsed = _sre_parse.parse(pattern)
        return _matches_empty_at(parsed, at_end=False) or _matches_empty_at(parsed, at_end=True)
    except Exception:  # noqa: BLE001 (a parser that reads otherwise than this one refuses nothing: the pattern loads)
        return False


def _matches_empty_at(items: Any, *, at_end: bool, backward: bool = False) -> bool:
    """Whether parsed items (re's parser's) surely match the empty string at every text's start (or end); `backward`:
    inside a lookbehind, which the regex package matches from its end back."""
    return all(_item_matches_empty_at(opcode, argument, at_end=at_end, backward=backward) for opcode, argument in items)


def _item_matches_empty_at(opcode: Any, argument: Any, *, at_end: bool, backward: bool = False) -> bool:
    """Whether one parsed item surely matches the empty string at every text's start (or end); False when unsure."""
    if opcode is _sre.AT:
        return bool(argument in (_AT_END if at_end else _AT_START))
    if opcode is _sre.SUBPATTERN:
        return _matches_empty_at(argument[-1], at_end=at_end, backward=backward)
    if opcode in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        # What follows gets back what a repeat took: the engine backtracks to fewer rounds.
        return argument[0] == 0 or _matches_empty_at(argument[2], at_end=at_end, backward=backward)
    if opcode in (_sre.POSSESSIVE_REPEAT, _sre.ATOMIC_GROUP):
        # Kept to its first match, which may take the text that what is matched after it needed: where the engine
        # goes there is text (at the start; in a lookbehind, matched backward, at the end); there is none to take
        # where it goes out of the text, nor for a part that takes no text (`(?<=(?>$))`) wherever it goes.
        body = argument if opcode is _sre.ATOMIC_GROUP else argument[2]
        if at_end == backward and int(body.getwidth()[1]) > 0:
            return False
        if opcode is _sre.ATOMIC_GROUP:
            return _matches_empty_at(body, at_end=at_end, backward=backward)
        return argument[0] == 0 or _matches_empty_at(body, at_end=at_end, backward=backward)
    if opcode is _sre.BRANCH:
        return any(_matches_empty_at(branch, at_end=at_end, backward=backward) for branch in argument[1])
    if opcode is _sre.ASSERT:
        # A lookahead is matched forward, a lookbehind (direction -1) backward, wherever it stands.
        direction, body = argument
        return _matches_empty_at(body, at_end=at_end, backward=direction == -1)
    if opcode is _sre.ASSERT_NOT:
        # What must not follow the end (`(?!x)`) or precede the start (`(?<!x)`) needs text there, and there is none.
        direction, refused = argument
        return (direction == 1) == at_end and int(refused.getwidth()[0]) > 0
    # Text to match, a backreference or a condition on a group (which may have matched text), or a part not known here.
    return False


_T = TypeVar("_T")


def named(part: str, build: Callable[[], _T]) -> _T:
    try:
        return build()
    except ValueError as exc:
        raise ValueError(f"{part}: {exc}") from None
