"""Verdicts and the response models of the HTTP API."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python


class Outcome(StrEnum):
    """The four answers a check can give."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


# Worst first: combining several judgements keeps the worst one.
SEVERITY = {Outcome.ERROR: 3, Outcome.FAIL: 2, Outcome.INCONCLUSIVE: 1, Outcome.PASS: 0}


class NoDataPolicy(StrEnum):
    """What a check answers when there is nothing to judge (empty result, NaN, no traffic)."""

    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    FAIL = "fail"
    PASS = "pass"


Threshold = float | list[float] | None


_N, _I = ord("N"), ord("I")


def strict_json(data: Any, indent: int | None = None) -> bytes:
    """`data` (JSON values) as strict JSON in UTF-8, the one encoding of every answer: ValueError rather than
    a bare NaN or Infinity, which Go's encoding/json (Argo Rollouts) rejects."""
    # pydantic-core's encoder: 0.8 µs for a 330-byte answer where Python's json module takes 3.7 µs.
    try:
        body = to_json(data, indent=indent)
    except PydanticSerializationError:
        # It refuses text that is not UTF-8: a lone surrogate (from a JSON escape in a target's or a proxy's
        # answer quoted in a reason, or an arg that a refusal's history entry keeps), written as that escape here.
        return json.dumps(data, allow_nan=False, indent=indent, separators=None if indent else (",", ":")).encode()
    # to_json writes a non-finite number as the constant NaN, Infinity or -Infinity; text may hold those words too.
    # A one-byte search (memchr) first: most answers hold no capital N or I, and searching for the words
    # costs several times as much. The byte as an int: `bytes in bytes` first tries its needle as an int, and
    # the TypeError it raises and clears cost about 2k instructions a search.
    if ((_N in body and b"NaN" in body) or (_I in body and b"Infinity" in body)) and not _all_finite(data):
        raise ValueError("a number that is NaN or infinite cannot be written as JSON")
    return body


def _all_finite(data: Any) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(_all_finite(value) for value in data.values())
    if isinstance(data, list | tuple):
        return all(_all_finite(value) for value in data)
    return True


def finite_or_none(value: float | None) -> float | None:
    """`value` when it is a finite number, else None: the `value` of an answer, and evidence a kind shows as
    null (JSON has no NaN or Infinity; `json_safe` spells them out instead)."""
    if value is None or not math.isfinite(value):
        return None
    return value


class Verdict(BaseModel):
    """What a check's `evaluate` returns: the outcome and its evidence."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    reason: str
    value: float | None = None
    threshold: Threshold = None
    details: dict[str, Any] = Field(default_factory=dict)


class Evaluation(BaseModel):
    """The one verdict model: a check's verdict in its envelope (check, args, time, status). The run endpoint
    answers it, the history keeps it, the pages and `analyzer run` show it."""

    # A threshold, an arg or a duration that is NaN or infinite is refused here, naming the field, rather than
    # when an answer is encoded (JSON has no such number); `value` is shown as null instead, `details` spelt.
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    check: str
    kind: str
    verdict: Outcome
    reason: str
    value: float | None = Field(
        default=None, allow_inf_nan=True, description="null when the measurement is not a finite number"
    )
    threshold: Threshold = None
    args: dict[str, str | float] = Field(default_factory=dict)
    evaluated_at: datetime
    duration_ms: float
    error: str | None = Field(default=None, description="error code, set only when verdict is error")
    details: dict[str, Any] | None = Field(default=None, description="evidence, with ?explain=true")
    ui_url: str | None = Field(default=None, description="path of this verdict's page on the analyzer (/ui/...)")
    http_status: int = Field(default=200, exclude=True)

    def json_body(self, explain: bool) -> bytes:
        """`to_json` encoded once per evaluation (`strict_json`): coalesced requests share the bytes."""
        # Cached in the instance's __dict__, as functools.cached_property does but without the lock it takes
        # on Python 3.11 (5k instructions per evaluation), and not as pydantic private attributes: those cost a
        # lookup through __getattr__ on every read and a copy of their defaults on every evaluation built.
        cache = self.__dict__
        key = "_explained_body" if explain else "_compact_body"
        body: bytes | None = cache.get(key)
        if body is None:
            body = cache[key] = strict_json(_answer_json(cache, explain))
        return body

    def to_json(self, explain: bool) -> dict[str, Any]:
        """The response body: compact, with `details` only when asked to explain; always strict JSON."""
        return _answer_json(self.__dict__, explain)

    def to_text(self) -> str:
        """One line for humans: verdict, check, reason, the error's code, value and threshold."""
        parts = [f"{self.verdict.value.upper()} {self.check}: {printable(self.reason)}"]
        # The code the troubleshooting table and Argo's alerting are keyed by; the JSON and the HTTP status carry it
        # too, a Job's log line only here. Printable: a plugin's error class names its own code.
        extras = [] if self.error is None else [f"error={printable(self.error)}"]
        if self.value is not None:
            extras.append(f"value={format_value(self.value, self.threshold)}")
        if self.threshold is not None:
            extras.append(f"threshold={format_threshold(self.threshold)}")
        extras.append(f"at={format_time(self.evaluated_at)}")
        extras.append(f"{self.duration_ms:.1f}ms")
        return parts[0] + " (" + ", ".join(extras) + ")"


# The envelope's validator, read once: a pydantic model's class attribute is read through its metaclass'
# __getattr__ hook, which Python 3.11 does not specialize (`cls.__pydantic_validator__.validate_python` about 1.4k
# instructions, against 0.05k for a global).
_validate_evaluation = Evaluation.__pydantic_validator__.validate_python


def envelope(
    check: str,
    kind: str,
    verdict: Verdict,
    args: dict[str, str | float],
    evaluated_at: datetime,
    duration_ms: float,
    error: str | None,
    http_status: int,
    ui_url: str | None,
    evaluated_at_text: str,
) -> Evaluation:
    """The evaluation of `verdict` (the one place a verdict's fields are carried into its envelope), as validating
    its fields makes it, for the runner, which guarantees what the envelope's validator would check of `check` and
    `kind` (a validated check's), `evaluated_at` (a datetime), `duration_ms` (a finite float) and `ui_url` (text);
    `evaluated_at_text`: `format_time(evaluated_at)`, kept for the answer's body."""
    judged = verdict.__dict__
    reason, value, threshold, details = judged["reason"], judged["value"], judged["threshold"], judged["details"]
    fields = {
        "check": check,
        "kind": kind,
        "verdict": judged["outcome"],
        "reason": reason,
        "value": value,
        "threshold": threshold,
        "args": args,
        "evaluated_at": evaluated_at,
        "duration_ms": duration_ms,
        "error": error,
        "details": details,
        "ui_url": ui_url,
        "http_status": http_status,
    }
    # What a kind gives (a Verdict made without validation may hold anything) or an error class names, checked: each
    # of the exact type the validator returns it as unchanged, every number it refuses as NaN or infinite finite.
    # Then the evaluation is what validation would make, made without pydantic-core's per-model and per-field work
    # (18k instructions in a loop, against about 6k for the instance made here); anything else is validated, and
    # refused as before.
    trusted = (
        type(judged["outcome"]) is Outcome
        and type(reason) is str
        and (value is None or type(value) is float)
        and (error is None or type(error) is str)
        and type(http_status) is int
        and type(details) is dict
    )
    if trusted and threshold is not None:
        if type(threshold) is float:
            trusted = math.isfinite(threshold)
        else:
            trusted = type(threshold) is list and all(
                type(bound) is float and math.isfinite(bound) for bound in threshold
            )
    if trusted:
        for name, arg in args.items():
            if type(name) is not str or not (type(arg) is str or (type(arg) is float and math.isfinite(arg))):
                trusted = False
                break
        for key in details:
            if type(key) is not str:
                trusted = False
                break
    if not trusted:
        evaluation: Evaluation = _validate_evaluation(fields)
        # Kept beside the fields, as json_body's bytes are: the answer's body writes it without formatting again.
        evaluation.__dict__["_evaluated_at_text"] = evaluated_at_text
        return evaluation
    # Copied, as validation copies a dict or a list.
    fields["args"] = args.copy()
    fields["details"] = details.copy()
    if type(threshold) is list:
        fields["threshold"] = threshold.copy()
    fields["_evaluated_at_text"] = evaluated_at_text
    evaluation = _new_object(Evaluation)
    _set_attribute(evaluation, "__dict__", fields)
    _set_attribute(evaluation, "__pydantic_fields_set__", set(_EVALUATION_FIELDS))
    _set_attribute(evaluation, "__pydantic_extra__", None)
    _set_attribute(evaluation, "__pydantic_private__", None)
    return evaluation


_EVALUATION_FIELDS = frozenset(Evaluation.model_fields)
_new_object = object.__new__
_set_attribute = object.__setattr__


def _answer_json(fields: dict[str, Any], explain: bool) -> dict[str, Any]:
    """An evaluation's answer from its `fields` (its __dict__, where pydantic keeps them), in the order every
    answer lists them: the one serializer of an answer (the run endpoint, `analyzer run --json`, a composite's
    members in its evidence), written out by hand because it runs on every answer."""
    # A function of the fields, not methods of the model: each method or attribute read of a pydantic model goes
    # through its __getattr__ hook (about 0.47k instructions), and json_body -> to_json -> fields_json read four.
    evaluated_at = fields.get("_evaluated_at_text")
    value = fields["value"]
    body = {
        "check": fields["check"],
        "kind": fields["kind"],
        # str() of a StrEnum member is its value, without the two Python calls of enum's `value` property.
        "verdict": str(fields["verdict"]),
        "reason": fields["reason"],
        # finite_or_none's test, without its call.
        "value": None if value is None or not math.isfinite(value) else value,
        "threshold": fields["threshold"],
        "args": fields["args"],
        "evaluated_at": format_time(fields["evaluated_at"]) if evaluated_at is None else evaluated_at,
        "duration_ms": fields["duration_ms"],
    }
    error = fields["error"]
    if error is not None:
        body["error"] = error
    ui_url = fields["ui_url"]
    if ui_url is not None:
        body["ui_url"] = ui_url
    if explain:
        body["details"] = details_json(fields["details"])
    return body


def details_json(details: dict[str, Any] | None) -> Any:
    """Evidence as strict JSON values: non-finite numbers spelt as Prometheus spells them, other objects
    (times, models) as pydantic writes them."""
    # Spelt after pydantic has written the objects out, so that a number inside one is spelt too.
    return json_safe(to_jsonable_python(details or {}))


def json_safe(data: Any) -> Any:
    """`data` with NaN and infinities written as Prometheus writes them ("NaN", "+Inf", "-Inf").

    Go's encoding/json (Argo) rejects the bare NaN that Python's json module would emit.
    """
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("+Inf" if data > 0 else "-Inf")
    if isinstance(data, dict):
        return {key: json_safe(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(value) for value in data]
    return data


def format_time(moment: datetime) -> str:
    """A time as every answer shows it: RFC 3339 in UTC, to the millisecond, with `Z`."""
    # What isoformat(timespec="milliseconds") writes, with Z for +00:00: this runs twice on every answer (its
    # time and its page link). Fields are written through tables of their digits, as formatting seven
    # integers with %02d and the like cost twice the rest (callgrind: 11.8k -> 5.7k instructions).
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    year = utc.year
    return (
        f"{year if year >= 1000 else f'{year:04d}'}-{_TWO_DIGITS[utc.month]}-{_TWO_DIGITS[utc.day]}"
        f"T{_TWO_DIGITS[utc.hour]}:{_TWO_DIGITS[utc.minute]}:{_TWO_DIGITS[utc.second]}"
        f".{_THREE_DIGITS[utc.microsecond // 1000]}Z"
    )


_TWO_DIGITS = [f"{number:02d}" for number in range(100)]
_THREE_DIGITS = [f"{number:03d}" for number in range(1000)]


# Characters that act on the text around them instead of showing: a target's or a proxy's text quoted in a reason
# may hold terminal escapes (C0 and C1 controls, DEL), or bidi overrides, isolates and marks, zero-width
# characters and line separators, which reorder or hide what follows ("\u202e" makes "fail" read "liaf"), or
# characters a renderer draws as nothing (Unicode's Default_Ignorable_Code_Point: the soft hyphen, fillers,
# variation selectors, tag characters), which hide text or smuggle it past a reader (`ok` followed by the tags
# of "fail" reads `ok`); and lone surrogates (a JSON escape `\ud800` in a body), which are no text: no page or line
# can even be encoded with one.
_ACTING = (
    "\ud800-\udfff"
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff"
)
_CONTROL_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{_ACTING}]")
# The same but for newlines and tabs, which a page shows as they are (in a query, a definition).
_ACTING_IN_PAGE_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_ACTING}]")
# Most text is ASCII (str.isascii is a flag, not a scan), where only the C0 controls and DEL can act: a class
# past the BMP makes `re` test ranges one by one at every character, twice the time on a reason.
_ASCII_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")
_ASCII_ACTING_IN_PAGE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    # Past the BMP, Python's eight-digit form: `\ue0066` would read as U+E006 followed by a 6.
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with every control character (newlines and escapes included) and every character that reorders or
    hides text written as `\\xNN` / `\\uNNNN` / `\\UNNNNNNNN`: what a human output line quotes from a server
    cannot move the cursor, recolour a terminal, break the line, read backwards or hide a part of it."""
    pattern = _ASCII_CONTROL_RE if text.isascii() else _CONTROL_RE
    return pattern.sub(_escaped, text) if pattern.search(text) else text


def shown(text: str) -> str:
    """`text` as a page shows it: `printable`, but newlines and tabs kept."""
    pattern = _ASCII_ACTING_IN_PAGE_RE if text.isascii() else _ACTING_IN_PAGE_RE
    return pattern.sub(_escaped, text) if pattern.search(text) else text


def clip(text: str, max_chars: int) -> str:
    """`text`, cut to at most `max_chars` characters with `...` marking the cut."""
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


def format_number(value: float) -> str:
    """A number the way a human reads it in a reason: up to 6 significant digits."""
    if math.isnan(value):
        return "NaN"
    return format(value, ".6g")


def format_value(value: float, threshold: Threshold) -> str:
    """A verdict's value beside its threshold: 6 significant digits, or as many more as it takes (up to the 17 that
    read it back) not to read as a bound of `threshold`, its negation, or 100, that it is not, nor on the bound's
    other side (a composite's fail at 99.99999999999999 read "value=100"; kpi_compare's difference of -0.1000001,
    judged against -tolerance, read "value=-0.1" beside its threshold 0.1)."""
    if not math.isfinite(value):
        return format_number(value)
    written = threshold if isinstance(threshold, list) else [] if threshold is None else [threshold]
    # The negation too: a kind may record a tolerance as a magnitude and judge against either sign of it.
    bounds = [*written, *(-bound for bound in written), 100.0]
    for digits in range(6, 17):
        text = format(value, f".{digits}g")
        shown = float(text)
        if all((shown < bound, shown > bound) == (value < bound, value > bound) for bound in bounds):
            return text
    return repr(value)


def format_threshold(threshold: Threshold) -> str:
    """A threshold as text: one number, or a closed interval."""
    if isinstance(threshold, list):
        return "[" + ", ".join(format_number(t) for t in threshold) + "]"
    return format_number(threshold) if threshold is not None else "none"


# The API's own bodies (this one and the two below) build their validators on first use (`defer_build`): a Job
# never answers one, and each would cost it about 0.7M instructions at import.
class ErrorBody(BaseModel):
    """The body of every client error and unexpected failure."""

    model_config = ConfigDict(defer_build=True)

    error: str = Field(description="snake_case error code")
    message: str = Field(description="what is wrong, naming the field, arg or check")
    arg: str | None = Field(default=None, description="the arg at fault, when one is")


class CheckSummary(BaseModel):
    """One catalog entry as `GET /api/v1/checks` lists it."""

    model_config = ConfigDict(defer_build=True)

    name: str
    kind: str
    description: str
    params: dict[str, dict[str, Any]] = Field(description="declared params: type, required, default, rules")


class CatalogListing(BaseModel):
    """The body of `GET /api/v1/checks`."""

    model_config = ConfigDict(defer_build=True)

    catalog_version: str
    checks: list[CheckSummary]
