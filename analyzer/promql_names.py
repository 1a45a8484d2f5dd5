"""The metric names a PromQL expression selects, read by a small lexer (nothing is evaluated), and the
instant query that tells which of them Prometheus has at all."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.templates import escape_promql_string

_IDENT_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# Numbers, hex, durations (`5m`, `1h30m`), exponents: everything that starts with a digit or a dot.
_NUMBER_RE = re.compile(r"[0-9.][0-9A-Za-z_.]*")
# Words that are never read as metric names: aggregators (they may be followed by `by (...)` rather than `(`),
# binary and set operators, modifiers and number words. PromQL reads them case-insensitively. Prometheus does
# read a few of them as a metric name where an operand stands (`sum{a="1"}`, a lone `offset`); telling that
# apart needs a parser, and a keyword read as a name would make a valid query misconfigured.
_KEYWORDS = frozenset({
    "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values",
    "quantile", "limitk", "limit_ratio", "and", "or", "unless", "atan2", "by", "without", "on", "ignoring",
    "group_left", "group_right", "bool", "offset", "start", "end", "inf", "nan"})
# Keywords followed by a list of label names in parentheses.
_LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# Functions whose argument is meant to be possibly missing.
_ABSENCE_FUNCTIONS = frozenset({"absent", "absent_over_time"})
# One label matcher of a `{...}` list and the comma or end after it. A quoted string holds no raw newline.
_MATCHER_RE = re.compile(r"""\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"""
                         r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)\s*(?:,|\Z)""")
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


@dataclass(frozen=True)
class MetricSelector:
    """A vector selector with a literal metric name: the name and the selector as written."""

    name: str
    selector: str


def metric_selectors(query: str) -> list[MetricSelector]:
    """Every vector selector of `query` whose metric name is a literal (`name{...}` or `{__name__="name"}`),
    in order; selectors inside absent() and absent_over_time() are left out (they are meant to find nothing),
    as are names given by a regex. Function names, keywords, label lists, strings and comments are no names."""
    found: list[MetricSelector] = []
    calls: list[str] = []
    position, length = 0, len(query)
    pending_call = ""
    while position < length:
        char = query[position]
        if char.isspace():
            position += 1
        elif char == "#":
            newline = query.find("\n", position)
            position = length if newline < 0 else newline + 1
        elif char in "\"'`":
            position = _string_end(query, position)
        elif char == "[":
            position = _closing(query, position, "[", "]")
        elif char == "{":
            end = _closing(query, position, "{", "}")
            name = _name_matcher(query[position + 1:end - 1]) if query[end - 1] == "}" else None
            if name is not None and not _absent(calls):
                found.append(MetricSelector(name, query[position:end]))
            position = end
        elif char == "(":
            calls.append(pending_call)
            pending_call = ""
            position += 1
        elif char == ")":
            if calls:
                calls.pop()
            position += 1
        elif char.isdigit() or char == ".":
            match = _NUMBER_RE.match(query, position)
            assert match is not None
            position = match.end()
        elif (word_match := _IDENT_RE.match(query, position)) is not None:
            word, position = word_match.group(), word_match.end()
            following = _skip_space(query, position)
            next_char = query[following] if following < length else ""
            lowered = word.lower()
            if lowered in _LABEL_LISTS and next_char == "(":
                position = _closing(query, following, "(", ")")
            elif next_char == "(":
                pending_call = word
            elif lowered in _KEYWORDS:
                continue
            else:
                end = _closing(query, following, "{", "}") if next_char == "{" else position
                if not _absent(calls):
                    found.append(MetricSelector(word, word + query[following:end] if end > position else word))
                position = end
        else:
            position += 1
    return found


def bare_selector(query: str) -> tuple[str, str] | None:
    """(metric name, matcher text) of a query that is exactly `name{matchers}`; None for anything else, or
    whenever the query might not read as that selector (a keyword for a name, a matcher on `__name__`)."""
    found = metric_selectors(query)
    if len(found) != 1 or found[0].selector != query:
        return None
    name = found[0].name
    if not (query.startswith(name + "{") and query.endswith("}")):
        return None
    matchers = query[len(name) + 1:-1]
    parsed = _matchers(matchers)
    if parsed is None or any(label == "__name__" for label, _, _ in parsed):
        return None
    return name, matchers


def names_pattern(names: Iterable[str]) -> str:
    """An RE2 pattern matching exactly these names (Prometheus anchors a matcher's pattern at both ends)."""
    return "|".join("".join("\\" + c if c in _RE2_SPECIAL else c for c in name) for name in names)


def presence_query(names: Iterable[str]) -> str:
    """An instant query answering one series, labelled with the name only, per metric name of these that has
    any series at all."""
    pattern = escape_promql_string(names_pattern(sorted(set(names))), '"')
    return f'group by (__name__) ({{__name__=~"{pattern}"}})'


def _absent(calls: list[str]) -> bool:
    return any(call in _ABSENCE_FUNCTIONS for call in calls)


def _skip_space(query: str, position: int) -> int:
    while position < len(query) and query[position].isspace():
        position += 1
    return position


def _string_end(query: str, start: int) -> int:
    """The position after the string literal opening at `start` (to the end if it never closes)."""
    quote, position = query[start], start + 1
    while position < len(query):
        if query[position] == "\\" and quote != "`":
            position += 2
        elif query[position] == quote:
            return position + 1
        else:
            position += 1
    return len(query)


def _closing(query: str, start: int, opening: str, closing: str) -> int:
    """The position after the bracket that closes the one at `start`, skipping string literals (to the end
    if it never closes)."""
    depth, position = 0, start
    while position < len(query):
        char = query[position]
        if char in "\"'`":
            position = _string_end(query, position)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return len(query)


def _matchers(text: str) -> list[tuple[str, str, str]] | None:
    """(label, operator, quoted value) of each matcher of the text between a selector's braces; None when it
    does not read as a matcher list."""
    parsed: list[tuple[str, str, str]] = []
    position = 0
    while text[position:].strip():
        match = _MATCHER_RE.match(text, position)
        if match is None:
            return None
        parsed.append((match.group(1), match.group(2), match.group(3)))
        position = match.end()
    return parsed


def _name_matcher(text: str) -> str | None:
    """The metric name a matcher list sets by equality on `__name__` (a plain name, no escapes), else None."""
    for label, operator, value in _matchers(text) or ():
        if label == "__name__" and operator == "=" and _IDENT_RE.fullmatch(value[1:-1]):
            return value[1:-1]
    return None
