"""PromQL text read without a parser: where its strings and comments stand, a gauge's function of a counter, a
quantile function's first argument. Its own small module so that a Job's `prometheus` check (checks/prometheus.py,
through analyzer.kinds) and the parser's readers (analyzer.promql_groups, which a Job of most queries never imports)
share these readings."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# A string in any of PromQL's three quotings (a backslash escapes in two of them) or a comment to the end of its line.
_STRING_OR_COMMENT_RE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`|#[^\n]*')
# A gauge's function of a counter, by its name's suffix (`delta(errors_total[5m])`), in a query whose strings and
# comments are blanked: blind to a reset, it reads a restarted pod's counter as a drop (PromQL function names are
# case-sensitive).
_GAUGE_OF_COUNTER_RE = re.compile(
    r"\b(delta|idelta|deriv)\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*(?:_total|_count|_sum|_bucket))(?![A-Za-z0-9_:])"
)


def promql_blanked(query: str, *, strings: bool = True) -> str:
    """`query` with each comment, and each string unless `strings` is False, written as spaces of its length: what
    is left is read as syntax, each character where it was written."""
    if strings:
        return _STRING_OR_COMMENT_RE.sub(lambda match: " " * len(match[0]), query)
    return _STRING_OR_COMMENT_RE.sub(lambda match: " " * len(match[0]) if match[0][0] == "#" else match[0], query)


def gauge_of_counter_warnings(field: str, query: str) -> list[str]:
    """A warning for each `delta()`, `idelta()` or `deriv()` of a counter (a name ending `_total`, `_count`, `_sum`,
    `_bucket`) `query` (a PromQL template, as written) takes: they do not see a reset, so a pod that restarted (a
    crash-looping canary) reads as a drop, a negative count of errors that meets an upper bound."""
    if "delta" not in query and "deriv" not in query:
        return []
    found = {match.groups(): None for match in _GAUGE_OF_COUNTER_RE.finditer(promql_blanked(query))}
    return [
        f"{field}: {function}({name}...) reads a counter as a gauge{_unless_a_gauge(name)}: "
        f"{function}() does not see a counter reset, so a pod that restarts (a crash-looping canary) reads as a drop, "
        "a negative count of errors that meets any upper bound; use increase() for a count, rate() per second: both "
        "count on from 0 after a reset"
        for function, name in found
    ]


def _unless_a_gauge(name: str) -> str:
    """The condition under which a function of `name` reads a counter: none for `_total` and `_bucket` (OpenMetrics
    reserves them for a counter's series); a histogram's or summary's for `_count` and `_sum`, which gauges are named
    too (pg_stat_activity_count: the connections open now)."""
    suffix = next((suffix for suffix in ("_count", "_sum") if name.endswith(suffix)), None)
    if suffix is None:
        return ""
    return f" if it is a histogram's or summary's {suffix} (a gauge so named, as pg_stat_activity_count, is read right)"


# The functions and the aggregation whose first argument is a quantile (a fraction from 0 to 1), as a template writes
# them (strings and comments blanked): `quantile` may have its grouping before the `(`.
_QUANTILE_TAKER_RE = re.compile(
    r"\b(histogram_quantile|quantile_over_time|quantile)\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(", re.IGNORECASE
)
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Quantile arguments kept, by template (read at load, and for each binding of a check with a param in one).
_ARGUMENTS_KEPT = 256


@dataclass(frozen=True)
class QuantileArgument:
    """A quantile function's or aggregation's first argument in a template (`histogram_quantile(({{ q }}), ...)`):
    the function, the argument as written (its placeholders as `{{ name }}`, its spaces one) and the params placed in
    it."""

    function: str
    written: str
    names: tuple[str, ...]

    def rendered(self, values: dict[str, str]) -> str | None:
        """The argument with each placeholder replaced by its text in `values`; None when one is missing there."""
        if not set(self.names) <= values.keys():
            return None
        return _PLACEHOLDER_RE.sub(lambda match: values[match[1]], self.written)


@functools.lru_cache(maxsize=_ARGUMENTS_KEPT)
def quantile_arguments(template: str) -> tuple[QuantileArgument, ...]:
    """The first argument of each quantile function or aggregation in PromQL `template` (`histogram_quantile(0.99,
    ...)`, `quantile by (pod) (({{ q }}), ...)`, `quantile_over_time(scalar(vector({{ q }})), ...)`), read from its
    text, placeholders kept; a call without a second argument has none."""
    blank = promql_blanked(template)
    found = []
    for match in _QUANTILE_TAKER_RE.finditer(blank):
        comma = _argument_end(blank, match.end())
        if comma is None:
            continue
        written = " ".join(template[match.end() : comma].split())
        written = _PLACEHOLDER_RE.sub(lambda placeholder: f"{{{{ {placeholder[1]} }}}}", written)
        names = tuple(dict.fromkeys(_PLACEHOLDER_RE.findall(written)))
        found.append(QuantileArgument(match[1].lower(), written, names))
    return tuple(found)


def _argument_end(blank: str, start: int) -> int | None:
    """The index of the comma that ends a call's first argument starting at `start`; None when the call closes (or
    the text ends) first. A placeholder's braces come in pairs, as brackets do."""
    depth = 0
    for index in range(start, len(blank)):
        char = blank[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            return index
    return None


# How deep and long a query promql-parser is given: its Rust parser recurses once per level of brackets and per
# operator of a chain on the thread's stack, and a query past a few thousand of either (2,800 levels of `1 - (`,
# 4,200 terms of `a + b + ...`) overflows an 8 MiB stack and kills the process (SIGSEGV), which no exception
# handler survives. These limits stay more than ten times below that; no query a person writes comes near them.
MAX_PROMQL_NESTING = 200
MAX_PROMQL_OPERATORS = 400
MAX_PROMQL_CHARS = 200_000
# An operator outside strings, comments, braces and ranges: each is a node of the tree (a unary `-` too).
_OPERATOR_RE = re.compile(r"==|!=|<=|>=|[-+*/%^<>]|\b(?:and|or|unless|atan2)\b", re.IGNORECASE)


def promql_size_problem(query: str) -> str | None:
    """What makes `query` too deep or too long to give promql-parser safely (`MAX_PROMQL_NESTING` levels of
    brackets, `MAX_PROMQL_OPERATORS` operators, `MAX_PROMQL_CHARS` characters); None when it is within them. Linear:
    it reads the text once, without a parser."""
    if len(query) > MAX_PROMQL_CHARS:
        return f"the query is {len(query)} characters long; at most {MAX_PROMQL_CHARS}"
    blank = promql_blanked(query)
    depth = deepest = 0
    # The text outside braces and ranges, where operators stand (`{code!="200"}` and `[5m:1m]` hold none).
    outside: list[str] = []
    within = 0
    for char in blank:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
            if char != "(":
                within += 1
        elif char in ")]}":
            depth -= 1
            if char != ")" and within:
                within -= 1
        outside.append(char if not within else " ")
    if deepest > MAX_PROMQL_NESTING:
        return f"the query nests {deepest} levels of brackets; at most {MAX_PROMQL_NESTING}"
    operators = len(_OPERATOR_RE.findall("".join(outside)))
    if operators > MAX_PROMQL_OPERATORS:
        return f"the query has {operators} operators; at most {MAX_PROMQL_OPERATORS}"
    return None
