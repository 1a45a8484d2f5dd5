"""`analyzer validate`'s offline PromQL parse: every query a check sends (`Check.promql`), rendered with each
param's `example`, else its default, else a placeholder of its type, is parsed with promql-parser (Rust
bindings of GreptimeTeam's parser), so that an unclosed parenthesis, `rat(` or `[5mm]` fails CI instead of a
rollout's first measurement.

The parser follows Prometheus' grammar, but may lag it (a new function, experimental syntax): a rejection says
it is the parser's, Prometheus decides under `validate --prometheus`, and a check's `skip_promql_parse: true`
lets one check through. Never run by `serve` or `run`: a parser gap must not take a catalog out of service.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.catalog import Catalog, sample_secrets
from analyzer.check import Check
from analyzer.models import clip, printable
from analyzer.params import ArgValue, Param, ParamType, bounded_placeholder, parse_duration, sample_values
from analyzer.promql_text import promql_blanked, promql_size_problem
from analyzer.redaction import scrubber
from analyzer.templates import escape_promql_string

# What a query shows of itself in a finding: a batch of an error_budget check is kilobytes.
_SHOWN_QUERY_CHARS = 600
# Values of a required param without `example` or default; each fits wherever its type may stand.
# A second value of each type, to tell whether a placeholder is what a query fails on.
_OTHER_PLACEHOLDERS: dict[ParamType, ArgValue] = {
    ParamType.LABEL_VALUE: "y",
    ParamType.IDENTIFIER: "y",
    ParamType.DURATION: "1h",
    ParamType.DNS_LABEL: "y",
}
# Other words an identifier param without `example` or default may be where `x` does not parse: `run` renders the
# arg it is given, a binary operator (`(...) {{ op }} on() vector(1)`), an aggregation, a grouping or matching
# keyword, a function of a range or of an instant vector.
_IDENTIFIER_WORDS = ("or", "atan2", "sum", "by", "on", "bool", "rate", "abs")
# An identifier param's value that shows where it stands (see `_stands_as_a_word`), and that value as a word.
_WORD_MARK = "q7z3w_mark"
_WORD_MARK_RE = re.compile(rf"(?<![A-Za-z0-9_:]){_WORD_MARK}(?![A-Za-z0-9_:])")
# The most identifier params whose every combination of words is tried (9 ** 3 parses at most).
_MOST_IDENTIFIERS_TRIED = 3
# What an unknown function most likely meant: Prometheus' functions and aggregations (suggestions only: a name
# missing here costs a hint, never a verdict).
_FUNCTIONS = [
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "double_exponential_smoothing",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "info",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "mad_over_time",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
    "avg",
    "bottomk",
    "count",
    "count_values",
    "group",
    "limit_ratio",
    "limitk",
    "max",
    "min",
    "quantile",
    "stddev",
    "stdvar",
    "sum",
    "topk",
]
_UNKNOWN_FUNCTION_RE = re.compile(r"unknown function with name '([^']*)'")
# The parser's refusals of a duration it cannot read (`[5min]`, `[1hr]`, `[5 m]`): it quotes it cut short.
_DURATION_REFUSALS = ("bad number or duration syntax", "unexpected character inside brackets")
# A duration as written where PromQL reads one: a range `[5m]`, a subquery's `[1h:5m]`, after `offset`.
_DURATION_WRITTEN_RE = re.compile(
    r"(?<=[\[:])\s*([0-9][0-9A-Za-z. ]*?)\s*(?=[:\]])|\boffset\s+-?([0-9][0-9A-Za-z.]*)",
)
# Units people write that PromQL spells otherwise, and upper-case ones, as PromQL writes them.
_DURATION_WORD_RE = re.compile(r"[A-Za-z]+")
_DURATION_UNITS = {
    **{word: "ms" for word in ("ms", "msec", "msecs", "millis", "millisecond", "milliseconds")},
    **{word: "s" for word in ("s", "sec", "secs", "second", "seconds")},
    **{word: "m" for word in ("m", "min", "mins", "minute", "minutes")},
    **{word: "h" for word in ("h", "hr", "hrs", "hour", "hours")},
    **{word: "d" for word in ("d", "day", "days")},
    **{word: "w" for word in ("w", "wk", "wks", "week", "weeks")},
    **{word: "y" for word in ("y", "yr", "yrs", "year", "years")},
}
# Said once under the findings: whose judgement a rejection is, and what to do when Prometheus disagrees.
ADVICE = (
    "the PromQL was parsed offline by promql-parser, which follows Prometheus' grammar but may lag it (a new "
    "function, experimental syntax): if your Prometheus accepts a query, `analyzer validate --prometheus URL` "
    "has it decide, and `skip_promql_parse: true` on the check skips this parse"
)


@dataclass(frozen=True)
class SyntaxProblem:
    """A query of a check that promql-parser rejects: what it comes from, the query as rendered, and why."""

    check: str
    origin: str
    field: str
    query: str
    message: str
    # The params rendered with a placeholder (neither `example` nor default) that the query fails on otherwise
    # with another: the placeholder, not the query, may be what does not parse.
    placeholders: tuple[str, ...] = ()
    # The check's secret examples and defaults as the query holds them (catalog.sample_secrets): never shown.
    secrets: tuple[str, ...] = ()

    def __str__(self) -> str:
        return (
            f"{self.origin}: check {self.check!r}: {self.field}: the PromQL does not parse "
            f"({printable(scrubber(self.secrets)(self.message))}): {self.shown_query()}{self.placeholder_hint()}"
        )

    def placeholder_hint(self) -> str:
        """What to do when a placeholder may be what does not parse ('' when the query has none)."""
        if not self.placeholders:
            return ""
        names = ", ".join(repr(name) for name in self.placeholders)
        one = len(self.placeholders) == 1
        return (
            f"; {'param' if one else 'params'} {names} {'has' if one else 'have'} neither `example` nor default, "
            f"so {'it was' if one else 'they were'} rendered with a placeholder, which may be what does not parse "
            f"(another fails otherwise): give {'it' if one else 'them'} an `example`"
        )

    def shown_query(self) -> str:
        """The query on one line (a template's lines joined by spaces), clipped."""
        joined = " ".join(line.strip() for line in self.query.strip().splitlines())
        return printable(clip(scrubber(self.secrets)(joined), _SHOWN_QUERY_CHARS))


def sample_args(check: Check) -> dict[str, ArgValue]:
    """A value for each param of `check` that keeps a template's syntax (params.sample_values)."""
    return sample_values(check.params)


def placeholders_failed_on(check: Check, args: dict[str, ArgValue], field: str, message: str) -> tuple[str, ...]:
    """The params `sample_args` filled with a placeholder (neither `example` nor default) whose other placeholder
    changes how the query of `field` fails, or lets it parse: what it fails on may be the placeholder."""
    found = []
    for name, param in check.params.items():
        if param.example is not None or param.default is not None:
            continue
        other = _other_placeholder(param, args[name])
        if other is None:
            continue
        query = dict(check.promql({**args, name: other})).get(field)
        if query is None or parse_error(query) != message:
            found.append(name)
    return tuple(found)


def parsing_words(check: Check, args: dict[str, ArgValue]) -> dict[str, ArgValue]:
    """`args`, but when some query of the check does not parse with them: its identifier params without `example` or
    default that stand as words of their own in its syntax given the first words (`_IDENTIFIER_WORDS`, or their
    value in `args`) under which every query parses. An operator param (`(...) {{ op }} vector(0)`, `op=or`) does
    not parse as a name: its placeholder made the check's syntax a finding and hid the names it reads. `args` as
    given when they parse, or when no words make every query parse."""
    placed = [
        name
        for name, param in check.params.items()
        if param.type is ParamType.IDENTIFIER and param.example is None and param.default is None
    ]
    # Most checks have none such: no query is rendered or parsed.
    if not placed or all(_parses(query) for _, query in check.promql(args)):
        return args
    placed = [name for name in placed if _stands_as_a_word(check, args, name)]
    if not placed or len(placed) > _MOST_IDENTIFIERS_TRIED:
        return args
    choices = [(args[name], *(word for word in _IDENTIFIER_WORDS if word != args[name])) for name in placed]
    for words in itertools.product(*choices):
        tried = {**args, **dict(zip(placed, words, strict=True))}
        if all(_parses(query) for _, query in check.promql(tried)):
            return tried
    return args


def _stands_as_a_word(check: Check, args: dict[str, ArgValue], name: str) -> bool:
    """Whether param `name` stands as a word of its own in the syntax of the check's queries: within their strings
    or comments (a label's value: `job="{{ job }}"`), or within a longer name (`http_{{ app }}_total`), no word it
    stands for changes what parses, and none is tried."""
    marked = check.promql({**args, name: _WORD_MARK})
    return any(_WORD_MARK_RE.search(promql_blanked(query)) for _, query in marked)


def _parses(query: str) -> bool:
    """Whether promql-parser parses `query` (its message, and the hints `parse_error` adds, not built)."""
    try:
        parsed(query)
    except ValueError:
        return False
    return True


def _other_placeholder(param: Param, first: ArgValue) -> ArgValue | None:
    if param.type is ParamType.ENUM:
        return next((value for value in param.values or [] if value != first), None)
    if param.type is ParamType.NUMBER:
        low, high = param.bounds
        fits = (
            float(value)
            for value in (2, low, high)
            if value is not None
            and value != first
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
        return next(fits, None)
    return bounded_placeholder(param, _OTHER_PLACEHOLDERS[param.type])


def syntax_problems(catalog: Catalog) -> list[SyntaxProblem]:
    """The first query of each check that promql-parser rejects; checks with `skip_promql_parse: true` are left
    out. One per check: a query the kind builds from a broken field would repeat the field's error."""
    found = []
    for name, check in catalog.checks.items():
        if check.skip_promql_parse:
            continue
        args = parsing_words(check, sample_args(check))
        for field, query in check.promql(args):
            message = parse_error(query)
            if message is not None:
                origin, failed_on = (
                    catalog.origins.get(name, "catalog"),
                    placeholders_failed_on(check, args, field, message),
                )
                found.append(SyntaxProblem(name, origin, field, query, message, failed_on, sample_secrets(check)))
                break
    return found


def parsed(query: str) -> Any:
    """promql-parser's tree of `query` read as Prometheus reads it (raw strings, Prometheus 2's functions); the
    parser's error when it cannot parse it, or when `query` is too deep or long to give it (promql_size_problem:
    past its limits the parser overflows the stack and kills the process)."""
    import promql_parser

    too_big = promql_size_problem(query)
    if too_big is not None:
        raise ValueError(too_big)
    _register_functions()
    return promql_parser.parse(raw_strings_quoted(query))


def parse_error(query: str) -> str | None:
    """promql-parser's message for a query it cannot parse; None when it parses."""
    try:
        parsed(query)
    except ValueError as exc:
        message = str(exc) or "invalid query"
    else:
        return None
    unknown = _UNKNOWN_FUNCTION_RE.fullmatch(message)
    close = difflib.get_close_matches(unknown.group(1), _FUNCTIONS, n=1) if unknown else []
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    if message.startswith(_DURATION_REFUSALS):
        return message + (_duration_hint(query) or _bracket_hint(query))
    return message + _bracket_hint(query)


_CLOSERS = {"(": ")", "{": "}", "[": "]"}
# The longest string a bracket's hint quotes; a longer one (a regex of many alternatives) is shown as "...".
_SHOWN_STRING_CHARS = 60


def _bracket_hint(query: str) -> str:
    """For a query whose brackets do not pair (outside strings and comments): the first bracket closing none or
    closed by another's closer, else the last left open, named by the text it ends (the parser's own message names
    the character it stopped at, not the bracket that is missing); '' when they pair."""
    opened: list[tuple[str, int]] = []
    for at, (char, where, _) in enumerate(_lexed(query)):
        if where != "code":
            continue
        if char in _CLOSERS:
            opened.append((char, at))
        elif char in _CLOSERS.values():
            if not opened:
                return f"; the {char!r} of {_ending(query, at)} closes no bracket"
            bracket, start = opened.pop()
            if _CLOSERS[bracket] != char:
                return (
                    f"; the {bracket!r} of {_ending(query, start)} is closed by no {_CLOSERS[bracket]!r} before the "
                    f"{char!r} of {_ending(query, at)}"
                )
    if opened:
        bracket, start = opened[-1]
        return f"; the {bracket!r} of {_ending(query, start)} is closed by no {_CLOSERS[bracket]!r}"
    return ""


def _ending(query: str, at: int) -> str:
    """The text of `query` that ends with its character at `at`, quoted: where a bracket stands. It starts at a word's
    start, and a string's whole (a secret arg is hidden only where it is shown whole)."""
    where = [kind for _, kind, _ in _lexed(query[: at + 1])]
    start = max(0, at + 1 - 30)
    while start > 0 and (where[start] in ("text", "close") or query[start - 1].isalnum() or query[start - 1] == "_"):
        start -= 1
    shown: list[str] = []
    text: list[str] = []
    for char, kind in zip(query[start : at + 1], where[start:], strict=True):
        if kind == "text":
            text.append(char)
            continue
        if text:
            # A string's text as written (a secret arg's value is found only so), or none of it when it is long.
            shown.append("..." if len(text) > _SHOWN_STRING_CHARS else "".join(text))
            text = []
        # Outside strings, a template's line breaks and indents read as one space.
        if not (char.isspace() and (not shown or shown[-1] == " ")):
            shown.append(" " if char.isspace() else char)
    return repr("".join(shown))


def _duration_hint(query: str) -> str:
    """For the parser's refusal of a duration, which quotes it cut short (`5mi` for `5min`): the first duration
    `query` writes (in a range, a subquery or after `offset`) that PromQL does not take, and the one to write;
    '' when none is found."""
    for found in _DURATION_WRITTEN_RE.finditer(_strings_blanked(query)):
        written = found.group(1) or found.group(2)
        try:
            parse_duration(written)
        except ValueError:
            pass
        else:
            continue
        meant = _DURATION_WORD_RE.sub(lambda unit: _DURATION_UNITS.get(unit.group().lower(), unit.group()), written)
        meant = meant.replace(" ", "")
        try:
            parse_duration(meant)
        except ValueError:
            meant = ""
        return (
            f"; {written!r} is no PromQL duration: its units are ms, s, m, h, d, w, y, lower case, from the largest "
            f"to the smallest (minutes are m, not min){f': write {meant}' if meant else ''}"
        )
    return ""


def _lexed(query: str) -> Iterator[tuple[str, str, str]]:
    """Each character of `query` with where it stands, and the quote of the string it is in: "code", "comment" (from
    `#` to its line's end, the line break not included), or a string's "open", "text" and "close" (escapes are read
    in every string but a `backtick` one, which has none)."""
    quote = ""
    escaped = in_comment = False
    for char in query:
        if in_comment:
            in_comment = char != "\n"
            yield char, "comment" if in_comment else "code", ""
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "`":
                escaped = True
            elif char == quote:
                quote = ""
                yield char, "close", char
                continue
            yield char, "text", quote
        elif char in "\"'`":
            quote = char
            yield char, "open", char
        elif char == "#":
            in_comment = True
            yield char, "comment", ""
        else:
            yield char, "code", ""


def _strings_blanked(query: str) -> str:
    """`query` with the text of its strings and comments replaced by spaces: a label value `"5min"` is no duration."""
    return "".join(" " if where in ("text", "comment") else char for char, where, _ in _lexed(query))


@functools.cache
def _register_functions() -> None:
    """Teach the parser, once per process, the functions Prometheus 2 has and it lacks: `holt_winters`, which
    Prometheus 3 renamed (double_exponential_smoothing, experimental) and the parser follows."""
    import promql_parser

    matrix, scalar = promql_parser.ValueType.Matrix, promql_parser.ValueType.Scalar
    holt_winters = promql_parser.Function("holt_winters", [matrix, scalar, scalar], promql_parser.ValueType.Vector)
    with contextlib.suppress(ValueError):  # a parser that has it already
        promql_parser.register_extra_functions([holt_winters])


def raw_strings_quoted(query: str) -> str:
    """`query` with each `backtick` string written as the double-quoted string of the same text: Prometheus reads
    no escape in a raw string (`\\d+` is the regex \\d+), promql-parser reads escapes there and refuses `\\d`."""
    out: list[str] = []
    for char, where, quote in _lexed(query):
        if quote == "`":
            char = escape_promql_string(char, '"') if where == "text" else '"'
        out.append(char)
    return "".join(out)
