"""The vector selectors of a PromQL expression, read by a small lexer (nothing is evaluated): their metric
names and label matchers, and the instant query that tells which of those names Prometheus has at all."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, overload

from analyzer.templates import escape_promql_string

_IDENT_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Numbers, hex, durations (`5m`, `1h30m`), exponents: everything that starts with a digit or a dot.
_NUMBER_RE = re.compile(r"[0-9.][0-9A-Za-z_.]*")
# Words that are never read as metric names: aggregators (they may be followed by `by (...)` rather than `(`),
# binary and set operators, modifiers and number words. PromQL reads them case-insensitively. Prometheus does
# read a few of them as a metric name where an operand stands (`sum{a="1"}`, a lone `offset`); telling that
# apart needs a parser, and a keyword read as a name would make a valid query misconfigured.
_KEYWORDS = frozenset(
    {
        "sum",
        "avg",
        "count",
        "min",
        "max",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "count_values",
        "quantile",
        "limitk",
        "limit_ratio",
        "and",
        "or",
        "unless",
        "atan2",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "start",
        "end",
        "inf",
        "nan",
    }
)
# Keywords followed by a list of label names in parentheses.
_LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# Functions whose argument is meant to be possibly missing.
_ABSENCE_FUNCTIONS = frozenset({"absent", "absent_over_time"})
# A string literal (double, single or back quotes); a quoted string holds no raw newline.
_STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)"""
# One label matcher of a `{...}` list and the comma or end after it: a label name may be quoted, and a string alone
# is the metric name (Prometheus 3: `{"http.requests", code="500"}` is `{__name__="http.requests", code="500"}`).
_MATCHER_RE = re.compile(
    rf"""\s*(?:([A-Za-z_][A-Za-z0-9_]*|{_STRING})\s*(=~|!~|!=|=)\s*({_STRING})|({_STRING}))\s*(?:,|\Z)"""
)
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")
# A matcher value that reads as a regex: `.*`, `.+`, `.?`, `..` (`5..`), a class (`[45]`, `\\d`); an alternation is
# read in reads_as_regex. A literal label value seldom holds these; a regex written after `=` selects nothing (no
# value is the regex's text).
_REGEX_LIKE_RE = re.compile(r"\.[*+?]|\.\.|\[[^\]]+\]|\\[dDwWsS]")
# Characters of operators and punctuation; any other character outside strings and comments is not PromQL.
_OPERATOR_CHARS = frozenset("=!~<>+-*/%^,:@}]")
_NAMES = r"[A-Za-z_:][A-Za-z0-9_:]*(?:\|[A-Za-z_:][A-Za-z0-9_:]*)*"
# A regex that only lists names: `a|b`, maybe in a group and anchored (`^(a|b)$`, `(?:a|b)`).
_LITERAL_NAMES_RE = re.compile(rf"\^?(?:\((?:\?:)?(?P<grouped>{_NAMES})\)|(?P<bare>{_NAMES}))\$?")
# Functions that answer a series (or a scalar) whatever their argument selects, or from no selector at all.
_SYNTHETIC_FUNCTIONS = frozenset(
    {
        "vector",
        "scalar",
        "time",
        "pi",
        "absent",
        "absent_over_time",
        "label_replace",
        "label_join",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "hour",
        "minute",
        "month",
        "year",
    }
)
# Set operators whose answer may come from one side alone: `a or vector(0)`, `a unless b`.
_FALLBACK_OPERATORS = frozenset({"or", "unless"})
# Range functions whose value is per second, against increase(), whose value counts over the whole range.
_PER_SECOND_FUNCTIONS = frozenset({"rate", "irate"})
# Range functions whose value counts over the whole range: increase() the events of a counter, count_over_time()
# the samples (a probe's checks, as a Sloth SLI on probe_success counts them).
_COUNT_FUNCTIONS = frozenset({"increase", "count_over_time"})


@dataclass(frozen=True)
class MetricSelector:
    """A vector selector with literal metric names (one, or the alternatives of `{__name__=~"a|b"}`, any of
    which it reads) and the selector as written."""

    names: tuple[str, ...]
    selector: str


@dataclass(frozen=True)
class VectorSelector:
    """One vector selector: the metric names it reads (several for `{__name__=~"a|b"}`, none when no literal
    name can be told) and its label matchers other than the name's, as (label, operator, unquoted value)."""

    names: tuple[str, ...]
    matchers: tuple[tuple[str, str, str], ...]


def metric_selectors(query: str) -> list[MetricSelector]:
    """Every vector selector of `query` whose metric names are literals (`name{...}`, `{__name__="name"}`,
    `{__name__=~"a|b"}`), in order; selectors inside absent() and absent_over_time() are left out (they are
    meant to find nothing), as are names given by any other regex. Function names, keywords, label lists,
    strings and comments are no names."""
    found: list[MetricSelector] = []
    for word, braces, selector in _selectors(query, strict=False):
        names = (word,) if word is not None else _name_matcher(braces or "")
        if names:
            found.append(MetricSelector(names, selector))
    return found


def regex_name_selectors(query: str) -> list[str]:
    """The vector selectors of `query` (as written, outside absent()) whose metric name is a regex that is
    not a plain list of names: which metrics they read cannot be told, so their existence is not checked."""
    return [
        selector
        for word, braces, selector in _selectors(query, strict=False)
        if word is None
        and not _name_matcher(braces or "")
        and any(label == "__name__" and op in ("=~", "!~") for label, op, _ in _matchers(braces or "") or ())
    ]


def reads_as_regex(value: str) -> bool:
    """Whether a label value reads as a regex (`5..`, `.*health.*`, `GET|POST`, `[45]xx`, `5\\d\\d`): a value a
    literal label seldom holds."""
    if _REGEX_LIKE_RE.search(value) is not None:
        return True
    # An alternation of written alternatives (`GET|POST`); one with an empty alternative is a literal's separators
    # (`outbound|9080||reviews.default.svc.cluster.local`, an Envoy cluster name): no regex meant for a label
    # matches ''.
    return "|" in value and "||" not in value and not value.startswith("|") and not value.endswith("|")


# Grafana's variables (`$job`, `${job}`, `${job:regex}`, `[[job]]`), in a query pasted from a dashboard's panel.
_GRAFANA_VARIABLE_RE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*)\]\]")


def regex_equality_warnings(field: str, query: str) -> list[str]:
    """A warning for each `=` / `!=` matcher of `query` (a PromQL template, as written) whose value reads as a regex
    (`code="5.."`, `path!=".*health.*"`): equality compares the text, so the selector matches no series (or
    excludes none), and an error count read as zero beside `or vector(0)` passes for ever."""
    found = []
    for _, braces, selector in _selectors(query, strict=False):
        for label, op, value in _matchers(braces or "") or ():
            unquoted = _unquoted(value)
            # `[[job]]` reads as a class, but is Grafana's variable, which grafana_variable_warnings says.
            if (
                op not in ("=", "!=")
                or label == "__name__"
                or not reads_as_regex(unquoted)
                or _GRAFANA_VARIABLE_RE.search(unquoted)
            ):
                continue
            if op == "=":
                effect = f"only a {label} written {value} matches, so the selector matches no series (in an error "
                effect += "count, zero errors: a pass)"
            else:
                effect = f"only a {label} written {value} is left out, so the selector leaves out nothing"
            found.append(
                f"{field} selector {selector}: {label}{op}{value} compares for equality, and {value} reads as a "
                f"regex: {effect}; for a regex write {label}{'=~' if op == '=' else '!~'}{value}"
            )
    return found


def grafana_variable_warnings(field: str, query: str) -> list[str]:
    """A warning for each label matcher of `query` (a PromQL template, as written) whose value holds a Grafana variable
    (`job="$job"`): nothing fills it in, so the selector matches only a label holding that very text (no series: no
    data at every run), where the author meant a value given at each run, a param."""
    found = []
    for _, braces, selector in _selectors(query, strict=False):
        for label, op, value in _matchers(braces or "") or ():
            variable = _GRAFANA_VARIABLE_RE.search(_unquoted(value))
            if variable is None:
                continue
            name = next(group for group in variable.groups() if group)
            effect = "match" if op in ("=", "=~") else "are left out"
            found.append(
                f"{field} selector {selector}: {label}{op}{value} holds {variable.group()}, Grafana's variable syntax, "
                f"which the analyzer leaves as it is: only series whose {label} holds that text {effect}; for a "
                f"value given at each run, declare a param {name} and write {{{{ {name} }}}} in its place"
            )
    return found


def contradicting_name_warnings(field: str, query: str) -> list[str]:
    """A warning for each selector of `query` (a PromQL template, as written) whose matchers on the metric name no name
    meets all of (see name_matchers_contradict) and hold no placeholder (one filled in may make them agree): every
    evaluation refuses the query (kinds.refuse_contradicting_names), where validate said nothing of it."""
    found = []
    for selector in name_matchers_contradict(query):
        matchers = _matchers(selector[1 : selector.rindex("}")]) or []
        if any(label == "__name__" and "{{" in value for label, _, value in matchers):
            continue
        found.append(
            f"{field} selector {selector} matches no series: no metric name meets all of its matchers on __name__ "
            "(Prometheus matches each series on every one of them), so every evaluation refuses the query; keep one "
            'matcher on the name, or a regex that lists the names (`{__name__=~"a|b"}`)'
        )
    return found


def may_answer_without_its_series(query: str) -> bool:
    """Whether `query` may answer a series though its selectors match nothing: a fallback (`or vector(0)`,
    `unless`, absent(), scalar(), time(), label_replace() of a constant...). Its answer then proves no metric
    exists; when in doubt, True."""
    for word, next_char in _words(query):
        if word in _FALLBACK_OPERATORS or (next_char == "(" and word in _SYNTHETIC_FUNCTIONS):
            return True
    return False


def event_form(query: str) -> Literal["count", "per_second"] | None:
    """How `query` gives events: "count" over its range when it calls increase() or count_over_time() and
    neither rate() nor irate(), "per_second" when it calls one of those and neither increase() nor
    count_over_time(), None when it calls both kinds or neither (avg_over_time() of a recorded rate, say)."""
    called = {word for word, following in _words(query) if following == "("}
    per_second = bool(called & _PER_SECOND_FUNCTIONS)
    if called & _COUNT_FUNCTIONS:
        return None if per_second else "count"
    return "per_second" if per_second else None


def _scan(query: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of each part of `query` outside strings and comments that the readers below look at:
    a range's brackets ("["), a selector's braces ("{"), or an identifier ("word"); numbers are skipped."""
    position, length = 0, len(query)
    while position < length:
        char = query[position]
        if char == "#":
            newline = query.find("\n", position)
            position = length if newline < 0 else newline + 1
        elif char in "\"'`":
            position = _string_end(query, position)
        elif char == "[" or char == "{":
            end = _closing(query, position, char, "]" if char == "[" else "}")
            yield char, position, end
            position = end
        elif char.isdigit() or char == ".":
            match = _NUMBER_RE.match(query, position)
            assert match is not None
            position = match.end()
        elif (word_match := _IDENT_RE.match(query, position)) is not None:
            yield "word", position, word_match.end()
            position = word_match.end()
        else:
            position += 1


def _words(query: str) -> Iterator[tuple[str, str]]:
    """(lowercased identifier, the character after it and any space) of each word outside strings, comments,
    selectors' braces and ranges' brackets."""
    for kind, start, end in _scan(query):
        if kind == "word":
            following = _skip_space(query, end)
            yield query[start:end].lower(), query[following] if following < len(query) else ""


def regexes_blanked(query: str, *, names: bool = False) -> str:
    """`query` with the value of each regex matcher on a label but the metric name (`=~`, `!~`) written `".*"` (`""`
    for a value written shorter) and padded with spaces to its length: the same selectors in the same places, each
    character where it was written, for a parser whose regex engine refuses one Prometheus accepts (Go's
    `\\Q...\\E`); a matcher list that does not read as one is left as written. With `names`, one on the metric name
    too, written `".+"` (a selector needs a matcher that does not match the empty name): for a reader of the query's
    shape, not of the names it reads."""
    pieces: list[str] = []
    written_to = 0
    for kind, start, end in _scan(query):
        if kind != "{" or query[end - 1] != "}":
            continue
        position = start + 1
        while (match := _MATCHER_RE.match(query, position, end - 1)) is not None:
            label = match.group(1)
            regex = match.group(2) in ("=~", "!~")
            name = regex and (_unquoted(label) if label[0] in "\"'`" else label) == "__name__"
            if regex and (names or not name):
                length = match.end(3) - match.start(3)
                blank = '".+"' if name else '".*"'
                pieces += [query[written_to : match.start(3)], (blank if length >= 4 else '""').ljust(length)]
                written_to = match.end(3)
            position = match.end()
    return "".join(pieces) + query[written_to:]


def range_durations(query: str) -> list[str]:
    """The duration of each range (`[5m]`) and subquery range (`[1h:1m]` gives `1h`) of `query`, as written,
    outside strings and comments; a range given by something else than a duration (a placeholder) as written."""
    return [query[start + 1 : end - 1].partition(":")[0].strip() for kind, start, end in _scan(query) if kind == "["]


def vector_selectors(query: str) -> list[VectorSelector]:
    """Every vector selector of `query` with its names and label matchers, in order, but those inside absent()
    and absent_over_time(); ValueError when the query does not read as PromQL (a character PromQL has no use
    for, an unclosed bracket or string, a matcher list that is no list of matchers)."""
    return [selector for selector, _ in selectors_written(query)]


def selectors_written(query: str) -> list[tuple[VectorSelector, str]]:
    """vector_selectors(query), each with the selector as written (its name and braces)."""
    found: list[tuple[VectorSelector, str]] = []
    for word, braces, written in _selectors(query, strict=True):
        parsed = _matchers(braces) if braces is not None else []
        if parsed is None:
            raise ValueError(f"cannot read the label matchers {{{braces}}}")
        matchers = tuple((label, op, _unquoted(value)) for label, op, value in parsed)
        names = (word,) if word is not None else _names_matched(matchers)
        found.append((VectorSelector(names, tuple(m for m in matchers if m[0] != "__name__")), written))
    return found


def lexed_selector(name: str | None, matchers: tuple[tuple[str, str, str], ...]) -> VectorSelector:
    """The selector as selectors_written reads it, of one a parser read as metric `name` (None for none) and
    `matchers` (label, operator, unquoted value): a keyword's name is none (the lexer reads no name there)."""
    if name is not None and name.lower() in _KEYWORDS:
        name = None
    names = (name,) if name is not None else _names_matched(matchers)
    return VectorSelector(names, tuple(m for m in matchers if m[0] != "__name__"))


def _selectors(query: str, *, strict: bool) -> Iterator[tuple[str | None, str | None, str]]:
    """(literal metric name or None, the text between its braces or None, the selector as written) of each
    vector selector outside absent(); `strict` raises ValueError where the query does not read as PromQL."""
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
            position = _string_end(query, position, strict=strict)
        elif char == "[":
            position = _closing(query, position, "[", "]", strict=strict)
        elif char == "{":
            end = _closing(query, position, "{", "}", strict=strict)
            if query[end - 1] == "}" and not _absent(calls):
                yield None, query[position + 1 : end - 1], query[position:end]
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
                position = _closing(query, following, "(", ")", strict=strict)
            elif next_char == "(":
                pending_call = word
            elif lowered in _KEYWORDS:
                continue
            else:
                end = _closing(query, following, "{", "}", strict=strict) if next_char == "{" else position
                if not _absent(calls):
                    braces = query[following + 1 : end - 1] if end > position else None
                    yield word, braces, word + query[following:end] if end > position else word
                position = end
        elif strict and char not in _OPERATOR_CHARS:
            raise ValueError(f"unexpected character {char!r} in the query")
        else:
            position += 1


def bare_selector(query: str) -> tuple[str, str] | None:
    """(metric name, matcher text) of a query that is exactly `name{matchers}`; None for anything else, or
    whenever the query might not read as that selector (a keyword for a name, a matcher on `__name__`)."""
    found = metric_selectors(query)
    if len(found) != 1 or found[0].selector != query or len(found[0].names) != 1:
        return None
    name = found[0].names[0]
    if not (query.startswith(name + "{") and query.endswith("}")):
        return None
    matchers = query[len(name) + 1 : -1]
    parsed = _matchers(matchers)
    if parsed is None or any(label == "__name__" for label, _, _ in parsed):
        return None
    return name, matchers


def names_pattern(names: Iterable[str]) -> str:
    """An RE2 pattern matching exactly these names (Prometheus anchors a matcher's pattern at both ends)."""
    return "|".join("".join("\\" + c if c in _RE2_SPECIAL else c for c in name) for name in names)


def metric_names(names: list[str]) -> list[str]:
    """`names` when each is a metric name (a kind's `optional_metrics`); ValueError naming the first that is not."""
    for name in names:
        if not _IDENT_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not a metric name")
    return names


def presence_query(names: Iterable[str]) -> str:
    """An instant query answering one series, labelled with the name only, per metric name of these that has
    any series at all."""
    pattern = escape_promql_string(names_pattern(sorted(set(names))), '"')
    return f'group by (__name__) ({{__name__=~"{pattern}"}})'


def needed_labels(selector: str) -> tuple[str, ...]:
    """The label names (but `__name__`) a series carries wherever `selector` (as written: `name{...}`, `{...}`)
    matches it: those of its matchers that cannot match the empty value, which a series without the label has
    (`code=~"5.."`, `job="a"`, `code!=""`; not `code=~"5..|"`, `code!="x"`, `code=""`)."""
    start = selector.find("{")
    if start < 0 or not selector.endswith("}"):
        return ()
    matchers = _matchers(selector[start + 1 : -1]) or []
    return tuple(
        dict.fromkeys(
            label for label, op, value in matchers if label != "__name__" and not _matches_empty(op, _unquoted(value))
        )
    )


# An RE2 POSIX class (`[[:digit:]]*`), which Python reads as a set of `[:digit` then a `]`, a character more: one
# character of the class's stands for it, whichever, as only whether the empty value matches is asked.
_POSIX_CLASS_RE = re.compile(r"\[:\^?[a-z]+:\]")


def _matches_empty(op: str, value: str) -> bool:
    """Whether a matcher `op` `value` (unquoted) matches the empty value; True for a regex Python cannot read (RE2
    syntax it lacks): no label is then called needed."""
    if op in ("=", "!="):
        empty = value == ""
    else:
        try:
            empty = re.fullmatch(_POSIX_CLASS_RE.sub("0", value), "") is not None
        except re.error:
            return True
    return empty if op in ("=", "=~") else not empty


def label_presence_query(names: Iterable[str], label: str) -> str:
    """An instant query answering one series, labelled with the name only, per metric name of these that has a
    series carrying `label`."""
    pattern = escape_promql_string(names_pattern(sorted(set(names))), '"')
    return f'group by (__name__) ({{__name__=~"{pattern}", {label_written(label)}!=""}})'


def label_written(label: str) -> str:
    """`label` as a matcher names it: bare, or quoted when it is no identifier (Prometheus 3's UTF-8 names)."""
    return label if _LABEL_RE.fullmatch(label) else '"' + escape_promql_string(label, '"') + '"'


def _absent(calls: list[str]) -> bool:
    return any(call in _ABSENCE_FUNCTIONS for call in calls)


def _skip_space(query: str, position: int) -> int:
    while position < len(query) and query[position].isspace():
        position += 1
    return position


def _string_end(query: str, start: int, *, strict: bool = False) -> int:
    """The position after the string literal opening at `start` (to the end if it never closes, or ValueError
    when `strict`)."""
    quote, position = query[start], start + 1
    while position < len(query):
        if query[position] == "\\" and quote != "`":
            position += 2
        elif query[position] == quote:
            return position + 1
        else:
            position += 1
    if strict:
        raise ValueError(f"unclosed string {query[start : start + 40]!r} in the query")
    return len(query)


def _closing(query: str, start: int, opening: str, closing: str, *, strict: bool = False) -> int:
    """The position after the bracket that closes the one at `start`, skipping string literals (to the end
    if it never closes, or ValueError when `strict`)."""
    depth, position = 0, start
    while position < len(query):
        char = query[position]
        if char in "\"'`":
            position = _string_end(query, position, strict=strict)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    if strict:
        raise ValueError(f"unbalanced {opening}{closing} in the query")
    return len(query)


def _matchers(text: str) -> list[tuple[str, str, str]] | None:
    """(label, operator, quoted value) of each matcher of the text between a selector's braces, a quoted label
    name unquoted; None when it does not read as a matcher list."""
    parsed: list[tuple[str, str, str]] = []
    position = 0
    while text[position:].strip():
        match = _MATCHER_RE.match(text, position)
        if match is None:
            return None
        label = match.group(1)
        if label is None:
            parsed.append(("__name__", "=", match.group(4)))
        else:
            parsed.append((_unquoted(label) if label[0] in "\"'`" else label, match.group(2), match.group(3)))
        position = match.end()
    return parsed


def _name_matcher(text: str) -> tuple[str, ...]:
    """The metric names a matcher list names literally on `__name__` (see _names_matched); none when a name's string
    holds an escape only Go reads (`\\x79`): not read rather than misread."""
    matchers = _matchers(text) or []
    if any(label == "__name__" and _unquoted(value, strict=True) is None for label, _, value in matchers):
        return ()
    return _names_matched(tuple((label, op, _unquoted(value)) for label, op, value in matchers))


def _names_matched(matchers: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """The metric names the unquoted `__name__` matchers name literally, one by equality or the alternatives of a
    regex that is only names joined by `|` (maybe grouped and anchored): those of the first such matcher that meet
    every matcher on the name (Prometheus matches a series on all of them: `{__name__=~"a|b", __name__="b"}` and
    `{__name__=~"a|b", __name__!~"a"}` read b alone); none when none names one. Matchers that no name meets all of
    keep the first's names: the selector matches no series, which name_matchers_contradict tells."""
    named, kept = _names_meeting(matchers)
    return kept or (named[0] if named else ())


def _names_meeting(matchers: tuple[tuple[str, str, str], ...]) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
    """The names each `__name__` matcher of `matchers` names literally (see _names_matched), and those of the first
    that meet every matcher on the name (a regex Python may read otherwise than Go, or not at all, is met)."""
    named: list[tuple[str, ...]] = []
    for label, op, value in matchers:
        if label != "__name__":
            continue
        if op == "=":
            named.append((value,) if value else ())  # `{__name__=""}` names no metric
        elif op == "=~" and (listed := _LITERAL_NAMES_RE.fullmatch(value)) is not None:
            named.append(tuple(dict.fromkeys((listed.group("grouped") or listed.group("bare")).split("|"))))
    if not named:
        return named, ()
    kept = tuple(
        name
        for name in named[0]
        if all(_meets(name, op, value) for label, op, value in matchers if label == "__name__")
    )
    return named, kept


def _meets(name: str, op: str, value: str) -> bool:
    """Whether metric `name` meets the matcher `op` `value` (unquoted); True when a regex cannot be read here."""
    if op in ("=", "!="):
        return (name == value) == (op == "=")
    if (listed := _LITERAL_NAMES_RE.fullmatch(value)) is not None:
        matched: bool | None = name in (listed.group("grouped") or listed.group("bare")).split("|")
    else:
        matched = _go_fullmatch(value, name)
    return matched is None or matched == (op == "=~")


# What Python's `re` may read otherwise than Go's RE2, or slowly: an escape of a letter or digit other than the
# classes both have (`\Q`, `\pL`, `\z`, `\1`), a POSIX class (`[[:alpha:]]`), a group flag other than `(?:` and
# `(?i)`, and a quantified group (`(a*)*`, which Python's backtracking may take exponential time over; so may a
# pattern of more than _QUANTIFIERS_READ quantifiers, `a*a*a*a*c`, or a name longer than _NAME_READ_CHARS take
# polynomial time).
_QUANTIFIERS_READ = 3
_NAME_READ_CHARS = 200
_NOT_READ_AS_GO_RE = re.compile(r"\\[A-Za-z0-9](?<![dDwWsS])|\[:|\(\?(?!:|i\))|\)[*+?{]")


def _go_fullmatch(pattern: str, name: str) -> bool | None:
    """Whether Prometheus' matcher regex `pattern` (anchored at both ends) matches `name`; None when that cannot be
    told here (see _NOT_READ_AS_GO_RE, a pattern Python refuses, or a name beyond ASCII, where Python's classes and
    case folding are Unicode's and Go's ASCII's)."""
    if _NOT_READ_AS_GO_RE.search(pattern) is not None or not name.isascii() or len(name) > _NAME_READ_CHARS:
        return None
    if sum(pattern.count(quantifier) for quantifier in "*+?{") > _QUANTIFIERS_READ:
        return None
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return None


@functools.lru_cache(maxsize=1024)
def name_matchers_contradict(query: str) -> tuple[str, ...]:
    """The vector selectors of `query` (as written, outside absent()) whose matchers on the metric name name some
    names literally and no name meets all of them (`{__name__="a", __name__="b"}`, `{__name__="a", __name__!~"a|b"}`,
    `{__name__="a1", __name__=~"b.*"}`): Prometheus matches each series on all of them, so the selector matches no
    series whatever exists, and beside `or vector(0)` the fallback answers for ever. Cached: a rollout asks with the
    same args at every step."""
    found = []
    for word, braces, selector in _selectors(query, strict=False):
        matchers = _matchers(braces or "") if word is None else None
        if not matchers or any(label == "__name__" and _unquoted(v, strict=True) is None for label, _, v in matchers):
            continue
        named, kept = _names_meeting(tuple((label, op, _unquoted(value)) for label, op, value in matchers))
        if any(named) and not kept:
            found.append(selector)
    return tuple(found)


@overload
def _unquoted(literal: str) -> str: ...
@overload
def _unquoted(literal: str, *, strict: Literal[True]) -> str | None: ...


def _unquoted(literal: str, *, strict: bool = False) -> str | None:
    """The value of a PromQL string literal (double, single or back quotes); one with an escape JSON lacks (Go's
    `\\x41`, `\\101`, `\\a`) as written between its quotes, or None when `strict`."""
    if literal.startswith("`"):
        return literal[1:-1]
    if literal.startswith("'"):
        literal = '"' + literal[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
    try:
        value = json.loads(literal)
    except ValueError:
        return None if strict else literal[1:-1]
    return value if isinstance(value, str) else None if strict else literal[1:-1]
