"""The metric names a PromQL expression selects, read by a small lexer (nothing is evaluated), and the
instant query that tells which of them Prometheus has at all."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_IDENT_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# Numbers, hex, durations (`5m`, `1h30m`), exponents: everything that starts with a digit or a dot.
_NUMBER_RE = re.compile(r"[0-9.][0-9A-Za-z_.]*")
# Words that are never metric names where they stand: aggregators (they may be followed by `by (...)` rather
# than `(`), binary and set operators, modifiers and number words. PromQL reads them case-insensitively.
_KEYWORDS = frozenset({
    "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values",
    "quantile", "limitk", "limit_ratio", "and", "or", "unless", "atan2", "by", "without", "on", "ignoring",
    "group_left", "group_right", "bool", "offset", "start", "end", "inf", "nan"})
# Keywords followed by a list of label names in parentheses.
_LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# Functions whose argument is meant to be possibly missing.
_ABSENCE_FUNCTIONS = frozenset({"absent", "absent_over_time"})
_NAME_MATCHER_RE = re.compile(r"""(?:^|[{,])\s*__name__\s*=\s*(["'`])((?:\\.|(?!\1).)*)\1""")


@dataclass(frozen=True)
class MetricSelector:
    """A vector selector with a literal metric name: the name and the selector as written."""

    name: str
    selector: str


def metric_selectors(query: str) -> list[MetricSelector]:
    """Every vector selector of `query` whose metric name is a literal (`name{...}` or `{__name__="name"}`),
    in order; selectors inside absent() and absent_over_time() are left out (they are meant to find nothing),
    as are names given by a regex."""
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
            name = _name_matcher(query[position:end])
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


def presence_query(names: Iterable[str]) -> str:
    """An instant query answering one series per metric name, of these, that has any series at all."""
    # Metric names are [A-Za-z0-9_:] only: nothing in them needs escaping in a regex or a PromQL string.
    return f'group by (__name__) ({{__name__=~"{"|".join(sorted(set(names)))}"}})'


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
    """The position after the bracket that closes the one at `start`, skipping string literals."""
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


def _name_matcher(braces: str) -> str | None:
    """The metric name of a `{...}` matcher list that sets `__name__` by equality, else None."""
    match = _NAME_MATCHER_RE.search(braces)
    if match is None or not _IDENT_RE.fullmatch(match.group(2)):
        return None
    return match.group(2)
