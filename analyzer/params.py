"""Typed check params: what a caller may pass, validated against a strict grammar per type."""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, model_validator

from analyzer.errors import ArgError
from analyzer.redaction import REDACTED, hide_url_secrets

ArgValue = str | float
_V = TypeVar("_V")

# Query-string keys the API itself reads; a check may not declare params with these names.
RESERVED_ARG_NAMES = frozenset({"at", "explain", "format"})

# Prometheus' own grammar: each unit at most once, from the largest to the smallest. A duration it would refuse
# ("30m1h", "5m5m") is the caller's mistake to name here, not a query rejected upstream.
# ASCII digits: Python's \d also reads other scripts' (a fullwidth 5), which Prometheus refuses.
_DURATION_RE = re.compile(r"^(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$")
# Prometheus holds a duration in Go's time.Duration: int64 nanoseconds, about 292 years.
_MAX_DURATION_MS = (2**63 - 1) // 1_000_000
_DURATION_PART_RE = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_DURATION_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Inf and NaN, in any case, are number literals to PromQL, not names: `sum(errors) / {{ metric }}` given Inf is 0.
_IDENTIFIER_RE = re.compile(r"^(?!(?i:inf|nan)$)[A-Za-z_:][A-Za-z0-9_:]*$")
_DNS_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# ASCII digits: float() also reads other scripts' ("\u0661" as 1), which no number is written in.
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_PARAM_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f]")
# How far `at` may lie ahead of this clock: the caller's clock may run ahead of ours by this much.
_FUTURE_SKEW_S = 60.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How `?explain=` reads (`?explain` bare: true).
_FLAG_TRUE = frozenset({"1", "true", "yes", "on", ""})
_FLAG_FALSE = frozenset({"0", "false", "no", "off"})
# An RFC 3339 time (seconds and all), then a space and an offset without its sign: `2026-11-26T12:00:00 01:00`, a
# URL's `+01:00` decoded. Nothing shorter: `2026-11-26T12 00:00` may be 12:00:00 as well as 12:00+00:00.
_SPACE_FOR_PLUS_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?) ([0-9]{2}:?[0-9]{2})"
)
# The same with an offset of hours alone (`+01`), which is not read: the hint names the offset to write.
_SPACE_FOR_SHORT_PLUS_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)? ([0-9]{2})"
)
# A time relative to now: `now`, `now-1h` or `-1h` (the duration back in group 1), `1h` (in group 2).
_RELATIVE_RE = re.compile(r"now|(?:now\s*)?-\s*([0-9][0-9a-z]*)|([0-9]+[a-z][0-9a-z]*)")
# A time whose zone is written as a word (`2026-11-26T11:00:00 UTC`, `2026-11-26Z`: a date and Z), the rest in group 1.
_ZONE_WORD_RE = re.compile(r"(.+?)\s*(UTC|GMT|Z)", re.IGNORECASE)
# The forms `at` takes, shown when a time is in none of them (one moment: 2026-11-26T11:00:00Z).
_EXAMPLE_TIME = "2026-11-26T11:00:00Z"
_EXAMPLE_UNIX_S = 1795690800


def parse_duration(text: str) -> float:
    """Seconds in a PromQL duration such as `5m` or `1h30m`; ValueError when it is not one."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h30m or 28d")
    return _duration_s(text)


# Kept per text: a check reads the same few durations on every evaluation (error_budget's windows, several
# times each).
@functools.lru_cache(maxsize=256)
def _duration_s(text: str) -> float:
    if not text or not _DURATION_RE.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a duration like 30s, 5m, 1h30m or 28d (units ms, s, m, h, d, w, y, from the largest to "
            "the smallest, each once; minutes are m, days d)"
        )
    seconds = sum(int(n) * _DURATION_UNIT_S[unit] for n, unit in _DURATION_PART_RE.findall(text))
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be longer than zero")
    if seconds * 1000 > _MAX_DURATION_MS:
        raise ValueError(f"duration {text!r} is longer than Prometheus can hold (about 292 years)")
    return seconds


def range_step_s(range_: str, step: str | None) -> float:
    """The step of a range query over the duration `range_`: `step` when given, else 60 points (at least 1 s)."""
    if step is not None:
        return parse_duration(step)
    return max(parse_duration(range_) / 60, 1.0)


def silence_s(last_point_s: float, end: datetime) -> float:
    """Seconds from a range query's last point of a series to the range's end, rounded as the range was sent."""
    return round(end.timestamp()) - last_point_s


def stopped_reporting(silent_s: float, step_s: float) -> bool:
    """Whether a range query's series silent for `silent_s` before the range's end stopped before it: a range's
    points lie on its start plus steps, so a series still reporting has one within a step of the end (1 s more
    for the rounding of start and end to whole seconds)."""
    return silent_s > step_s + 1


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


def _unit_given(value: Any) -> Any:
    """A bare number is refused with the fix, not as "not a valid string" (YAML reads `range: 10` as one)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Suggested only as a whole, positive count of a unit: PromQL has no '2.5s', '10.0s' or '0s'.
        if math.isfinite(value) and value > 0 and value == int(value):
            raise ValueError(f"{value!r} has no unit: write a duration such as '{int(value)}s' or '{int(value)}m'")
        raise ValueError(f"{value!r} has no unit: write a duration of whole units such as '30s', '5m' or '1h30m'")
    return value


Duration = Annotated[str, BeforeValidator(_unit_given), AfterValidator(_check_duration)]
"""A PromQL duration string (`5m`, `1h30m`), validated."""


def _bound(value: Any) -> float | str:
    """A param's minimum or maximum: a finite number (also written as text, `"5"`), else a duration (`1m`) as
    written, checked (one error, not one per member of a union)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("Input should be a valid number, or a duration such as '1m' for a duration param")
    try:
        number = float(value)
    except ValueError:
        try:
            return _check_duration(str(value))
        except ValueError as exc:
            raise ValueError(f"Input should be a valid number, or a duration for a duration param: {exc}") from None
    except OverflowError:
        # An int past a float's range (YAML reads 400 digits as one): no finite number.
        number = math.inf
    if not math.isfinite(number):
        raise ValueError("Input should be a finite number")
    return number


Bound = Annotated[float | str, PlainValidator(_bound)]
"""A param's bound: a number, or a duration (`1m`) for a duration param."""


class WrittenNumber(float):
    """A number the catalog's YAML read from text it does not render as (`012` as 10, `1.10` as 1.1, `1_000` as
    1000), or a run request's JSON body read with a fraction or exponent (`1.10`, `1e3`, `1.5`): `written` holds the
    text, which a param sent as text is not sent as unless it renders so, and `read` the number read."""

    written: str
    # The number as YAML read it, an int kept whole: a JSON value written under a `default:` key is sent as it.
    read: int | float

    def __new__(cls, value: int | float, written: str) -> WrittenNumber:
        number = super().__new__(cls, value)
        number.written = written
        number.read = value
        return number


@dataclass(frozen=True)
class WrittenScalar:
    """A boolean or null the catalog's YAML read in a JSON assertion's `equals` from text JSON writes otherwise (yes,
    no, on or off; nothing at all): `read` as YAML read it, `written` the text, which may have meant another value."""

    read: bool | None
    written: str


class WrittenText(str):
    """Text the catalog's YAML read in a JSON assertion's `equals` from a number as JSON writes one, which YAML 1.1
    reads as text (`1e3`, `1.5e3`): the text as written, which may have meant the number. Text still, as a field of text
    a mapping with `path` and `equals` keys holds that is no JSON assertion takes it (a header named equals, a plugin
    kind's field): a WrittenScalar there was refused as no string."""


def written_number_problem(value: object, param_type: ParamType) -> str | None:
    """Why `value` (a default, example or member's literal arg) is refused for a param of `param_type`: a number YAML
    read from other text than it is sent as, for a param sent as text; None when it is not."""
    if not isinstance(value, WrittenNumber) or param_type is ParamType.NUMBER:
        return None
    return (
        f"YAML reads {value.written} unquoted as the number {render_value(value)}, which a {param_type.value} "
        f"param is sent as ({render_value(value)!r}, not {value.written!r}); quote it ('{value.written}') to send it "
        "as written"
    )


def _not_a_boolean(value: Any) -> Any:
    """A value the catalog writes, refused when YAML read it as a boolean: a text or number field would take it as
    the number 1 or 0 (`country: no`, Norway, sent as the label value "0"). A WrittenNumber is kept as its number."""
    if isinstance(value, bool):
        raise ValueError(
            f"Input is a boolean: YAML reads yes, no, on, off, true and false unquoted as one (this one as "
            f"{str(value).lower()}); quote the value to give it as text ('no'), or write the number (0, 1)"
        )
    return float(value) if isinstance(value, WrittenNumber) else value


WrittenValue = Annotated[str | float, BeforeValidator(_not_a_boolean)]
"""A value the catalog writes for an arg (a param's default or example, a member's literal arg): text or a number,
never a YAML boolean."""


def parse_time(text: str, now: datetime | None = None, *, relative_hint: bool = True) -> datetime:
    """An evaluation time from RFC 3339 (with offset; a `+` offset whose sign a query string read as a space, too) or
    unix seconds, from 1970 on and not after `now` (the current time) by more than a clock's skew, which reads as
    `now`; ValueError otherwise, naming what to write (the time a relative one such as `now-1h` means now, and an
    example of each form, unless `relative_hint` is false: a time written for later, in a manifest)."""
    # Each refusal quotes `text` cut as an arg's value is (`_show`): one of kilobytes (a query string may hold 8 KiB)
    # was quoted whole in the 400, its log line and the history's entry.
    text = text.strip()
    # Whole seconds (what Argo Rollouts' templates send) skip the regex: ASCII digits are always a number to it.
    whole = text.isascii() and text.isdigit()
    if whole or _NUMBER_RE.fullmatch(text):
        seconds = float(text)
        if not math.isfinite(seconds) or not 0 <= seconds < 253402300800:
            raise ValueError(f"{_show(text)} is out of range for unix seconds" + _in_milliseconds(seconds, now))
        moment = datetime.fromtimestamp(seconds, UTC)
        # Whole seconds in range are exact in a float and in a datetime: no conversion back is needed.
        moment_s = seconds if whole else moment.timestamp()
    else:
        try:
            # RFC 3339 allows a lower-case t and z (its section 5.6), as Python's reader does the t alone: a time
            # written so was refused as "a date alone".
            moment = datetime.fromisoformat(text[:-1] + "Z" if text.endswith("z") else text)
        except ValueError:
            read = _plus_read_as_space(text)
            if read is None:
                hint = (_relative(text, now) if relative_hint else "") or _form_hint(text, example=relative_hint)
                raise ValueError(f"{_show(text)} is neither RFC 3339 nor unix seconds{hint}") from None
            moment = read
        if moment.tzinfo is None:
            # Named whole: "add Z" to a date alone (`2026-11-26Z`) is no time either.
            raise ValueError(
                f"{_show(text)} has no time zone offset: write {_naive_text(moment)}Z for UTC, or the offset of its "
                f"zone ({_naive_text(moment)}+01:00)"
            )
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            # 0001-01-01T00:30:00+01:00 is in year 0 in UTC, 9999-12-31T23:59:59-01:00 in year 10000.
            raise ValueError(f"{_show(text)} is out of range once in UTC") from None
        if moment < _EPOCH:
            # As for unix seconds; and a range query's start, further back, would leave the calendar.
            raise ValueError(f"{_show(text)} is before 1970-01-01T00:00:00Z")
        moment_s = moment.timestamp()
    now_s = time.time() if now is None else now.timestamp()
    if moment_s - now_s > _FUTURE_SKEW_S:
        # Nothing is measured yet at a future time: its "no series" would follow no_data, a pass under
        # `no_data: pass`.
        now_shown = datetime.fromtimestamp(now_s, UTC)
        raise ValueError(
            f"{_show(text)} is in the future (now is {now_shown:%Y-%m-%dT%H:%M:%SZ}); at is a past time to evaluate "
            "as of"
        )
    if moment_s > now_s:
        # Ahead within the skew (a caller's clock ahead of ours): as of now. Nothing is measured past now, so a window
        # ending ahead would judge only its part up to now (`increase(x[1m])` 50 s ahead: 10 s of it), and a
        # fallback (`or vector(0)`) would read the empty rest as no errors.
        return datetime.fromtimestamp(now_s, UTC)
    return moment


def parse_flag(name: str, value: str) -> bool:
    """A run option's `true` or `false` (also 1/0, yes/no, on/off, any case; empty or bare is true); ArgError
    otherwise."""
    folded = value.lower()
    if folded in _FLAG_TRUE:
        return True
    if folded in _FLAG_FALSE:
        return False
    raise ArgError(f"{name} must be true or false, got {value[:40]!r}", name)


def repeated_arg(key: str, times: int) -> ArgError:
    """The run endpoint's refusal of a query-string key given `times` times (an arg or an option alike)."""
    return ArgError(f"arg {key!r} is given {times} times; give it once", key)


def _plus_read_as_space(text: str) -> datetime | None:
    """The RFC 3339 time whose `+HH:MM` or `+HHMM` offset has a space for its sign (None for any other text): a query
    string's `+` is a space once decoded, so `at=2026-11-26T12:00:00+01:00` in a URL (as Argo Rollouts writes
    `{{experiment.availableAt}}` when the controller's TZ is set) arrives as `2026-11-26T12:00:00 01:00`."""
    found = _SPACE_FOR_PLUS_RE.fullmatch(text)
    if found is None:
        return None
    try:
        return datetime.fromisoformat(f"{found.group(1)}+{found.group(2)}")
    except ValueError:
        return None


def _relative(text: str, now: datetime | None) -> str:
    """The hint for a time written relative to now, as Grafana and Prometheus' UI write it (`now-1h`, `-1h`, `1h`):
    the time it means now, to write instead; '' for any other text."""
    found = _RELATIVE_RE.fullmatch(text)
    if found is None:
        return ""
    now_s = time.time() if now is None else now.timestamp()
    ago = found.group(1) or found.group(2)
    if ago is None:
        return f": a time relative to now is not read; leave at out to evaluate now ({_rfc3339(now_s)})"
    try:
        ago_s = parse_duration(ago)
    except ValueError:
        return ""
    if ago_s > now_s:
        return ""
    return (
        f": a time relative to now is not read; write the time itself: {ago} ago is "
        f"{_rfc3339(now_s - ago_s)} (unix seconds {int(now_s - ago_s)})"
    )


def _form_hint(text: str, *, example: bool) -> str:
    """What to write instead of a time that is no RFC 3339: the time with `Z` when its zone is written as a word
    (`UTC`, `GMT`) or its date stands alone with `Z`; nothing when empty; else, with `example`, the two forms read
    (not for a manifest: a fixed time pasted there judges that moment at every rollout)."""
    if not text:
        return ": leave at out to evaluate now"
    hours = _SPACE_FOR_SHORT_PLUS_RE.fullmatch(text)
    if hours is not None:
        return (
            f": a + in a query string reads as a space: write the offset whole and encoded, %2B{hours.group(1)}:00, "
            "or the time in UTC with Z"
        )
    found = _ZONE_WORD_RE.fullmatch(text)
    if found is not None:
        try:
            moment = datetime.fromisoformat(found.group(1))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            if found.group(2).upper() == "Z":
                if _is_date(found.group(1)):
                    return f": a date alone is no time: write {_naive_text(moment)}Z for its midnight in UTC"
                return f": Z follows the time directly: write {_naive_text(moment)}Z"
            return f": a zone is written as an offset, not a name: write {_naive_text(moment)}Z"
    if not example:
        return ""
    return (
        f": write a time such as {_EXAMPLE_TIME} (Z for UTC, or an offset such as +01:00) or unix seconds such as "
        f"{_EXAMPLE_UNIX_S}"
    )


def _is_date(text: str) -> bool:
    """Whether `text` is a date alone, no time of day."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _naive_text(moment: datetime) -> str:
    """A time without its zone as RFC 3339 writes it, milliseconds only when it has a fraction."""
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _rfc3339(seconds: float) -> str:
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%SZ}"


def _in_milliseconds(number: float, now: datetime | None) -> str:
    """What to say after a unix time out of range that, read as milliseconds, is a past time (Grafana's URLs)."""
    seconds = number / 1000
    now_s = time.time() if now is None else now.timestamp()
    if not 0 <= seconds <= now_s + _FUTURE_SKEW_S:
        return ""
    # Milliseconds kept as written: 1764154800123 ms is 1764154800.123 s, not the float nearest it.
    whole, milliseconds = divmod(round(number), 1000)
    written = f"{whole}.{milliseconds:03d}".rstrip("0").rstrip(".")
    moment = datetime.fromtimestamp(whole, UTC)
    shown = f"{moment:%Y-%m-%dT%H:%M:%S}" + (f".{milliseconds:03d}" if milliseconds else "") + "Z"
    return f"; in milliseconds, as a Grafana URL's from= and to= write them? That is {shown}: write {written}"


class Variant(StrEnum):
    """What a label_value param's value names in a query comparing a rollout's variants: the canary's pods or the
    baseline's (stable), as kpi_compare names its two sides."""

    CANARY = "canary"
    BASELINE = "baseline"


class ParamType(StrEnum):
    """The types a param can have; the type decides where its value may be placed in a template."""

    LABEL_VALUE = "label_value"
    IDENTIFIER = "identifier"
    DURATION = "duration"
    NUMBER = "number"
    ENUM = "enum"
    DNS_LABEL = "dns_label"


# Free text: may only be placed where it is escaped (inside a quoted string).
FREE_TEXT_TYPES = frozenset({ParamType.LABEL_VALUE})


def _check_param_name(name: str) -> str:
    if not _PARAM_NAME_RE.fullmatch(name):
        # Written as Argo writes its args (`canary-hash`) or with capitals: say the name that would do.
        meant = name.replace("-", "_").lower()
        argo = f" (an AnalysisTemplate's arg {name} gives it in its url as ?{meant}=...)" if "-" in name else ""
        hint = (
            f"; write {meant}{argo}"
            if _PARAM_NAME_RE.fullmatch(meant) and meant not in RESERVED_ARG_NAMES
            else " (lowercase letters, digits and _, not starting with a digit)"
        )
        raise ValueError(f"param name {name!r} must match {_PARAM_NAME_RE.pattern}{hint}")
    if name in RESERVED_ARG_NAMES:
        raise ValueError(f"param name {name!r} is reserved by the API ({', '.join(sorted(RESERVED_ARG_NAMES))})")
    return name


ParamName = Annotated[str, AfterValidator(_check_param_name)]


class Param(BaseModel):
    """A declared param: its type, whether it is required or its default, and extra rules."""

    # As for the check that declares it (analyzer.check.Check): `minimum: .nan` would bound nothing, and a listing
    # of the catalog cannot write an infinite `maximum` as JSON.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    type: ParamType
    description: str = ""
    required: bool = False
    default: WrittenValue | None = None
    pattern: str | None = Field(default=None, description="full-match regex (string types)")
    values: list[str] | None = Field(default=None, description="allowed values (enum)")
    max_length: int = Field(default=256, ge=1, le=4096, description="longest value accepted (string types)")
    min_length: int = Field(
        default=1,
        ge=0,
        le=4096,
        description="shortest value accepted (label_value); 0 lets an empty value through, which a PromQL matcher "
        "reads as 'the label is absent'",
    )
    minimum: Bound | None = Field(
        default=None, description="smallest value accepted (number; a duration such as 1m for a duration param)"
    )
    maximum: Bound | None = Field(
        default=None, description="largest value accepted (number; a duration such as 1d for a duration param)"
    )
    example: WrittenValue | None = Field(
        default=None,
        description="a value `analyzer validate --prometheus` "
        "dry-runs the check with (a required param needs one to be dry-run)",
    )
    secret: bool = Field(
        default=False,
        description="the value is a credential: shown as <redacted> wherever args are echoed (kinds also make "
        "secret a param they place where a secret goes, e.g. http_smoke's Authorization header)",
    )
    variant: Variant | None = Field(
        default=None,
        description="label_value: the variant its value names, canary or baseline (stable), in a query comparing "
        "them: a prometheus check then asks only the canary's series for a sample now (a stable scaled to zero "
        "after setWeight: 100 is judged on what the query answers)",
    )

    @model_validator(mode="before")
    @classmethod
    def _sent_as_written(cls, data: Any) -> Any:
        """Refuse a default or example YAML read as a number from other text, for a param sent as text."""
        if isinstance(data, dict) and data.get("type") in set(ParamType):
            for field_name in ("default", "example"):
                problem = written_number_problem(data.get(field_name), ParamType(data["type"]))
                if problem is not None:
                    raise ValueError(f"{field_name}: {problem}")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Param:
        if self.required and self.default is not None:
            raise ValueError("a param is either required or has a default, not both")
        if not self.required and self.default is None:
            raise ValueError("set required: true or give a default")
        if self.type is ParamType.ENUM and not self.values:
            raise ValueError("an enum param needs a non-empty list of values")
        if self.type is not ParamType.ENUM and self.values is not None:
            raise ValueError("values is only for enum params")
        if self.pattern is not None:
            if self.type in (ParamType.NUMBER, ParamType.ENUM):
                raise ValueError(f"pattern does not apply to {self.type.value} params")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a valid regex: {exc}") from None
            except RecursionError:
                # re's parser recurses once per group: some 500 nested groups were a crash of the catalog load.
                raise ValueError(
                    "pattern: the regex nests groups too deeply to compile; write it with fewer nested groups"
                ) from None
        self._check_bounds()
        if self.min_length != 1 and self.type is not ParamType.LABEL_VALUE:
            # The other string types have a grammar that decides their length; a number has none.
            raise ValueError("min_length is only for label_value params")
        if self.variant is not None and self.type is not ParamType.LABEL_VALUE:
            raise ValueError("variant is only for label_value params (a pod template hash, a track label's value)")
        if self.min_length > self.max_length:
            raise ValueError(f"min_length {self.min_length} is above max_length {self.max_length}")
        for field_name, value in (("default", self.default), ("example", self.example)):
            if value is not None:
                try:
                    # Never quoted: the kind may make the param secret by where it sends it (an http_smoke header),
                    # which is decided after this, and a load error reaches logs, /readyz and CI output.
                    self.parse(field_name, value, secret=True)
                except ArgError as exc:
                    # "example: must match ...", not "example: arg 'example' must match ...": it is no arg.
                    message = exc.message.replace(f"arg {field_name!r} ", "", 1)
                    if not self.secret:
                        message = message.replace("a secret value of", "a value of", 1)
                    raise ValueError(f"{field_name}: {message}") from None
        return self

    def _check_bounds(self) -> None:
        bounds = {"minimum": self.minimum, "maximum": self.maximum}
        given = {key: bound for key, bound in bounds.items() if bound is not None}
        if given and self.type not in (ParamType.NUMBER, ParamType.DURATION):
            raise ValueError("minimum and maximum are only for number and duration params")
        for key, bound in given.items():
            if self.type is ParamType.NUMBER and isinstance(bound, str):
                raise ValueError(f"{key} of a number param is a number, got the duration {bound!r}")
            if self.type is ParamType.DURATION and not isinstance(bound, str):
                whole = f"'{int(bound)}s'" if bound == int(bound) and bound > 0 else "'30s'"
                raise ValueError(
                    f"{key} of a duration param is a duration such as {whole} or '5m', got {render_value(bound)}"
                )
        low, high = self.bounds
        if self.type is ParamType.DURATION and low is not None and high is not None and low > high:
            raise ValueError(f"minimum {self.minimum} is longer than maximum {self.maximum}")

    @functools.cached_property
    def bounds(self) -> tuple[float | None, float | None]:
        """The least and the most value accepted (a number; a duration in seconds), None where unbounded."""
        return (
            None if self.minimum is None else _bound_value(self.minimum),
            None if self.maximum is None else _bound_value(self.maximum),
        )

    def parse(self, name: str, raw: Any, *, secret: bool = False) -> ArgValue:
        """Validate one raw arg (string, or number from JSON) and return its typed value; ArgError if bad, quoting
        the value unless the param is secret (declared, or `secret` as its check decides)."""
        if isinstance(raw, bool) or not isinstance(raw, _RAW_TYPES):
            raise ArgError(f"arg {name!r} must be a string or a number, got {json_type(raw)}", name)
        rules = self._text_rules
        hidden = secret or self.secret
        if hidden and raw == REDACTED:
            # What answers, history and links show in place of the value: replayed from them, it would be sent on.
            raise ArgError(
                f"arg {name!r} is {REDACTED}, what answers show in place of a secret; give the value itself", name
            )
        if rules is None:
            return self._parse_number(name, raw, hidden)
        if isinstance(raw, float) and not math.isfinite(raw):
            # JSON's 1e999 overflows to an infinity (YAML writes .inf, .nan): the caller never sent the text "inf".
            raise ArgError(f"arg {name!r} must be text or a finite number, got a number that is not finite", name)
        text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, int) else render_value(raw)
        if isinstance(raw, WrittenNumber) and raw.written != text:
            # A JSON body's `{"version": 1.10}` reads as the number 1.1: sent on as "1.1", it selected another
            # version's series (and `1e3` selected "1000"). The text as written is kept by the body's reader.
            # Refused for the text as written when the param refuses that too: told to send `1.10` as the string
            # "1.10", a caller of an identifier param was refused again.
            self.parse(name, raw.written, secret=secret)
            kind = ("an " if self.type.value[0] in "aeiou" else "a ") + self.type.value
            raise ArgError(
                f"arg {name!r} is a JSON number that {kind} param sends otherwise than written: give it as a JSON "
                "string"
                if hidden
                else f"arg {name!r} is the JSON number {raw.written}, which {kind} param sends as {text!r}: give "
                f'it as the JSON string "{raw.written}" to send it as written',
                name,
            )
        if len(text) > rules.max_length:
            raise ArgError(f"arg {name!r} is longer than {rules.max_length} characters", name)
        if rules.grammar is not None and not rules.grammar[0].fullmatch(text):
            # YAML reads `default: 5` as a number: say that a unit is missing, not only the grammar.
            unitless = ": a number without a unit (s, m, h or d)" if rules.duration and text.isdecimal() else ""
            raise ArgError(f"arg {name!r} must be {rules.grammar[1]}, got {_show(text, hidden)}{unitless}", name)
        if rules.duration:
            try:
                seconds = parse_duration(text)
            except ValueError as exc:
                if hidden:  # the parser's message quotes the value
                    raise ArgError(f"arg {name!r} is not a duration, got {_show(text, hidden)}", name) from None
                raise ArgError(f"arg {name!r}: {exc}", name) from None
            low, high = self.bounds
            if low is not None and seconds < low:
                raise ArgError(f"arg {name!r} must be at least {self.minimum}, got {_show(text, hidden)}", name)
            if high is not None and seconds > high:
                raise ArgError(f"arg {name!r} must be at most {self.maximum}, got {_show(text, hidden)}", name)
        if rules.values is not None and text not in rules.values:
            raise ArgError(
                f"arg {name!r} must be one of {', '.join(self.values or [])}; got {_show(text, hidden)}", name
            )
        if rules.free_text:
            if len(text) < rules.min_length:
                raise ArgError(_too_short(name, text, rules.min_length, hidden), name)
            # Control characters are never printable: printable text (most values) needs no regex.
            if not text.isprintable() and _CONTROL_RE.search(text) is not None:
                raise ArgError(f"arg {name!r} must not contain control characters", name)
        if rules.pattern is not None and not rules.pattern.fullmatch(text):
            raise ArgError(f"arg {name!r} must match the pattern {self.pattern!r}, got {_show(text, hidden)}", name)
        return text

    # In the instance's __dict__, read on every request: what parse checks a text arg for, looked up once
    # (enum members, their Python-level hash, the pattern through re's cache). None for a number param.
    @functools.cached_property
    def _text_rules(self) -> _TextRules | None:
        if self.type is ParamType.NUMBER:
            return None
        return _TextRules(
            max_length=self.max_length,
            min_length=self.min_length,
            grammar=_STRING_RULES.get(self.type),
            duration=self.type is ParamType.DURATION,
            values=frozenset(self.values or ()) if self.type is ParamType.ENUM else None,
            free_text=self.type is ParamType.LABEL_VALUE,
            pattern=re.compile(self.pattern) if self.pattern is not None else None,
        )

    def short_values_hint(self, chars: int) -> str | None:
        """None when no value this param accepts is shorter than `chars` characters as far as its declaration tells
        (a pattern is trusted to refuse them); otherwise the rule that would refuse them."""
        if self.type is ParamType.NUMBER:
            floor = 10 ** (chars - 1)
            low = self.bounds[0]
            return None if low is not None and low >= floor else f"minimum: {floor}"
        if self.type is ParamType.ENUM:
            short = [value for value in self.values or () if len(value) < chars]
            return f"values without {', '.join(map(repr, short))}" if short else None
        if self.pattern is not None:
            return None
        if self.type is ParamType.LABEL_VALUE:
            return None if self.min_length >= chars else f"min_length: {chars}"
        return "a pattern"

    def _parse_number(self, name: str, raw: str | int | float, hidden: bool) -> float:
        if isinstance(raw, str):
            if not _NUMBER_RE.fullmatch(raw.strip()):
                percent = raw.strip().removesuffix("%")
                # `limit=1%`: the number meant is the fraction, or the percentage itself; which one, the check says.
                hint = (
                    f": write {float(percent) / 100:.15g} for {percent}% (or {percent} if the param is in percent)"
                    if not hidden and raw.strip().endswith("%") and _NUMBER_RE.fullmatch(percent)
                    else ""
                )
                raise ArgError(f"arg {name!r} must be a decimal number, got {_show(raw, hidden)}{hint}", name)
            raw = raw.strip()
        try:
            number = float(raw)
        except OverflowError:  # an int from JSON beyond the float range
            raise ArgError(f"arg {name!r} is out of range for a number", name) from None
        if not math.isfinite(number):
            raise ArgError(f"arg {name!r} must be a finite number", name)
        low, high = self.bounds
        if low is not None and number < low:
            raise ArgError(f"arg {name!r} must be >= {low}, got {'a secret value' if hidden else number}", name)
        if high is not None and number > high:
            raise ArgError(f"arg {name!r} must be <= {high}, got {'a secret value' if hidden else number}", name)
        return number


_RAW_TYPES = (str, int, float)


def _bound_value(bound: float | str) -> float:
    """A bound as a number: itself, or a duration's seconds."""
    return parse_duration(bound) if isinstance(bound, str) else bound


def json_type(value: Any) -> str:
    """What JSON (or YAML) calls a value's type, as a refusal names it to a client: `null`, `an array`, not
    Python's `NoneType` or `list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _too_short(name: str, text: str, min_length: int, hidden: bool) -> str:
    if text:
        return f"arg {name!r} is shorter than {min_length} characters, got {_show(text, hidden)}"
    # The reason matters: `{hash=""}` selects the series WITHOUT the label (a stable pod's, an unlabelled
    # aggregate), so an unset variable upstream would judge the wrong traffic instead of failing.
    return (
        f"arg {name!r} is empty (a PromQL matcher reads an empty value as 'the label is absent'; "
        "the param's min_length: 0 allows it)"
    )


@dataclass(frozen=True, slots=True)
class _TextRules:
    """The checks of a text param, in the order `Param.parse` applies them."""

    # The param's own, here as plain numbers: an attribute of the pydantic Param costs several times these.
    max_length: int
    min_length: int
    grammar: tuple[re.Pattern[str], str] | None
    duration: bool
    values: frozenset[str] | None
    free_text: bool
    pattern: re.Pattern[str] | None


_STRING_RULES: dict[ParamType, tuple[re.Pattern[str], str]] = {
    ParamType.IDENTIFIER: (
        _IDENTIFIER_RE,
        "an identifier ([A-Za-z_:][A-Za-z0-9_:]*), and not Inf or NaN, which PromQL reads as numbers",
    ),
    ParamType.DURATION: (
        _DURATION_RE,
        "a duration like 30s, 5m or 1h30m (units ms, s, m, h, d, w, y, from the largest to the smallest; minutes are "
        "m, not min)",
    ),
    ParamType.DNS_LABEL: (_DNS_LABEL_RE, "a DNS label (lowercase letters, digits and '-', at most 63)"),
}


def _show(text: str, hidden: bool = False) -> str:
    if hidden:
        return f"a secret value of {len(text)} character{'' if len(text) == 1 else 's'}"
    return repr(text if len(text) <= 80 else text[:77] + "...")


def render_value(value: ArgValue) -> str:
    """The text a typed value stands for in a template (numbers in their shortest exact form)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return value


def bind_args(
    params: Mapping[str, Param], raw_args: Mapping[str, Any], secret: frozenset[str] = frozenset()
) -> dict[str, ArgValue]:
    """Validate request args against declared params; fill defaults; ArgError names the first bad arg (without
    quoting the value of a param in `secret`)."""
    undeclared = [] if raw_args.keys() <= params.keys() else sorted(set(raw_args) - set(params))
    if undeclared:
        declared = ", ".join(sorted(params)) or "none"
        pieces = secret_pieces(params, raw_args, secret)
        undeclared = [name for name in undeclared if name not in pieces]
        if not undeclared:
            raise piece_refusal(next(iter(pieces.values())), params)
        # Argo's args are kebab-case (`canary-hash`), the catalog's params often snake_case.
        close = difflib.get_close_matches(undeclared[0].replace("-", "_"), [p for p in params if p not in raw_args], 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ArgError(f"undeclared arg {undeclared[0]!r} (declared params: {declared}){hint}", undeclared[0])
    bound: dict[str, ArgValue] = {}
    for name, param in params.items():
        if name in raw_args:
            try:
                bound[name] = param.parse(name, raw_args[name], secret=name in secret)
            except ArgError as exc:
                if raw_args[name] != "" or param.default is None:
                    raise
                hidden = param.secret or name in secret
                raise ArgError(f"{exc.message}; {_left_out(name, param.default, hidden)}", name) from None
        elif param.required:
            shown = param.example is not None and not (param.secret or name in secret)
            example = f", e.g. {param.example}" if shown else ""
            raise ArgError(f"missing required arg {name!r} ({param.type.value}{example})", name)
        else:
            assert param.default is not None
            bound[name] = param.parse(name, param.default, secret=name in secret)
    return bound


def _left_out(name: str, default: str | float, hidden: bool) -> str:
    """What a refusal of an empty value adds for a param with a `default`: the verdict pages read an empty field as the
    default, but the run endpoint reads `window=` (Argo's arg declared `value: ""`) as the value given."""
    shown = "" if hidden else f" ({default!r})" if isinstance(default, str) else f" ({render_value(default)})"
    return f"an empty value is no default here: leave {name} out for its default{shown}"


class GivenArgs(dict[str, Any]):
    """Raw args not all from a query string (a JSON body's, `analyzer run --arg`'s): only its first `query_count`
    are (a query string's come first), the only ones `secret_pieces` may take for pieces of a value split at an
    '&'. A plain mapping's args are all taken as a query string's."""

    __slots__ = ("query_count",)

    def __init__(self, args: Mapping[str, Any], query_count: int) -> None:
        super().__init__(args)
        self.query_count = query_count


def secret_pieces(params: Mapping[str, Param], raw_args: Mapping[str, Any], secret: frozenset[str]) -> dict[str, str]:
    """The undeclared args given right after a secret arg (in the order given), each with that arg's name: they
    may be the rest of its value, split at an '&' it held unescaped in a query string (`password=p@ss&word1234`
    makes an arg `word1234`), so a refusal names none of them."""
    pieces: dict[str, str] = {}
    follows = ""
    # The others split no value, nor follow one that was.
    given = itertools.islice(raw_args, raw_args.query_count) if isinstance(raw_args, GivenArgs) else raw_args
    for name in given:
        if name in params:
            follows = name if name in secret or params[name].secret else ""
        elif follows:
            pieces[name] = follows
    return pieces


def piece_refusal(secret_arg: str, params: Mapping[str, Param], problem: str = "") -> ArgError:
    """The refusal of an undeclared arg that follows secret arg `secret_arg` (`secret_pieces`), without its name;
    `problem`: what is wrong with it besides being undeclared."""
    declared = ", ".join(sorted(params)) or "none"
    return ArgError(
        f"an undeclared arg follows secret arg {secret_arg!r}{problem}; its name is not shown, for it may be the rest "
        "of that arg's value, split at an '&' the value holds unescaped (escape it as %26; declared params: "
        f"{declared})"
    )


def shown_args(args: Mapping[str, _V], secret: frozenset[str]) -> dict[str, _V | str]:
    """`args` as every output shows them: the value of a param in `secret` is REDACTED, and a credential a URL
    holds in any other text (`https://svc:pw@backend/`, a DSN's password, `?api_key=...`: `hide_url_secrets`) is."""
    # By shape, whatever the param: an arg whose whole value is a URL with its password is no secret param (only one
    # placed inside a credential is), yet the answer, history, page link and logs are read by others than its caller.
    return {
        name: REDACTED if name in secret else hide_url_secrets(value) if isinstance(value, str) else value
        for name, value in args.items()
    }


def require_text(name: str, value: Any) -> None:
    """ArgError for text that is not clean UTF-8: lone surrogates (which JSON escapes can make) and
    U+FFFD (what invalid percent-encoded UTF-8 decodes to; PromQL refuses it, so it would read as an
    upstream error instead of the client's mistake)."""
    for text in (name, value) if isinstance(value, str) else (name,):
        if text.isascii():
            continue  # clean UTF-8, and no U+FFFD: most args
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            shown = name.encode("utf-8", "backslashreplace").decode("utf-8")[:64]
            raise ArgError(f"arg {shown!r} contains a lone surrogate, which is not text", shown) from None
        if "\ufffd" in text:
            raise ArgError(f"arg {name[:64]!r} is not valid UTF-8 (it contains U+FFFD)", name[:64])


# A placeholder of each type that keeps a template's syntax where a param has neither example nor default.
_PLACEHOLDERS: dict[ParamType, ArgValue] = {
    ParamType.LABEL_VALUE: "x",
    ParamType.IDENTIFIER: "x",
    ParamType.DURATION: "5m",
    ParamType.DNS_LABEL: "x",
}


def sample_values(params: Mapping[str, Param]) -> dict[str, ArgValue]:
    """A value for each of `params` keeping a template's syntax: its example, else its default, else a placeholder."""
    values: dict[str, ArgValue] = {}
    for name, param in params.items():
        raw = param.example if param.example is not None else param.default
        # Both were validated against the param when the catalog loaded.
        values[name] = param.parse(name, raw) if raw is not None else placeholder_value(param)
    return values


def placeholder_value(param: Param) -> ArgValue:
    """A value of `param`'s type within its bounds keeping a template's syntax (no example or default given)."""
    if param.type is ParamType.ENUM:
        assert param.values  # an enum has values (Param's own validation)
        return param.values[0]
    if param.type is ParamType.NUMBER:
        # 1 where the range allows: a 0 is no duration (`offset {{ n }}m`), nor a range, nor a divisor.
        low, high = param.bounds
        if (low is None or low <= 1) and (high is None or high >= 1):
            return 1.0
        bound = low if low is not None and low > 1 else high
        assert bound is not None  # 1 is outside the range, so one of its bounds excludes it
        return float(bound)
    return bounded_placeholder(param, _PLACEHOLDERS[param.type])


def bounded_placeholder(param: Param, placeholder: ArgValue) -> ArgValue:
    """A duration placeholder within the param's bounds: the nearer bound when it lies outside them."""
    if param.type is not ParamType.DURATION or not isinstance(placeholder, str):
        return placeholder
    seconds = parse_duration(placeholder)
    low, high = param.bounds
    if low is not None and seconds < low:
        return str(param.minimum)
    if high is not None and seconds > high:
        return str(param.maximum)
    return placeholder
