"""Which groups of a histogram a PromQL query reads its buckets in, parsed with promql-parser (nothing is
evaluated): the live lint (`analyzer validate --prometheus`) checks the buckets of each group, not of the
union of the series a selector matches, since each group is an answer of its own (one `service` of
`histogram_quantile(0.99, sum by (le, service) (...))`, or of `sum by (service) (x_bucket{le="0.5"})`)."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeGuard

from analyzer.promql_text import promql_blanked

if TYPE_CHECKING:
    from analyzer.promql_names import MetricSelector, VectorSelector

# Aggregations whose answer has one series per group of their `by` (or `without`) labels. topk, bottomk,
# limitk and limit_ratio keep the series they pick; count_values adds a label.
_GROUPING = frozenset({"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "quantile"})
# Functions whose answer holds no series of their argument's.
_NOT_READ = frozenset({"absent", "absent_over_time"})
# Functions that write a label (their second argument) from source labels: label_replace's fourth, label_join's
# fourth on.
_RELABELLING = {"label_replace": slice(3, 4), "label_join": slice(3, None)}
_OPERATORS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class Grouping:
    """How an answer groups a selector's series: `by` these labels, or `without` them (every other label but
    `le`); `without` nothing is each series on its own (no aggregation between the selector and its reader)."""

    mode: Literal["by", "without"]
    labels: tuple[str, ...]

    def key(self, series: dict[str, str]) -> tuple[tuple[str, str], ...]:
        """The group a series (its labels) falls in; `le` and the metric name never tell groups apart."""
        if self.mode == "by":
            return tuple((label, series.get(label, "")) for label in self.labels if label != "le")
        dropped = {"le", "__name__", *self.labels}
        return tuple(sorted((label, value) for label, value in series.items() if label not in dropped))

    def describe(self) -> str:
        """`groups by (service)`, `groups without (pod)`, or `series` for no aggregation."""
        if self.mode == "without" and not self.labels:
            return "series"
        labels = ", ".join(label for label in self.labels if label != "le" or self.mode == "without")
        return f"groups {self.mode} ({labels})"


EACH_SERIES = Grouping("without", ())


@dataclass(frozen=True)
class BucketRead:
    """A vector selector with a literal metric name, its matchers but the name's (label, operator, unquoted
    value), how its answer is grouped, whether it stands in histogram_quantile()'s histogram, and the modifiers
    that move the time it is read at, as PromQL writes them after a selector (`@ 1700000000.000 offset 3600000ms`:
    its own and its subqueries', summed; "" for the evaluation time)."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]
    grouping: Grouping
    quantile: bool
    modifiers: str = ""


# When a selector is read: an `@` modifier as PromQL writes it (None: the evaluation time) and an offset in ms.
_When = tuple[str | None, int]
_NOW: _When = (None, 0)


def bucket_reads(query: str) -> list[BucketRead]:
    """Every vector selector of `query` with a literal name (but those inside absent()), grouped by the outermost
    aggregation above it below a binary operator or a histogram_quantile() call (none: each series alone);
    ValueError when promql-parser cannot parse it."""
    from analyzer.promql_syntax import parsed

    try:
        tree = parsed(query)
    except Exception as exc:  # the binding raises bare Exceptions: the offline parse reports them
        raise ValueError(str(exc)) from exc
    found: list[BucketRead] = []
    _visit(tree, None, False, found, _NOW)
    return found


def _visit(node: Any, grouping: Grouping | None, quantile: bool, found: list[BucketRead], when: _When) -> None:
    kind = type(node).__name__
    if kind in ("VectorSelector", "SubqueryExpr"):
        when = _moved(node, when)
    if kind == "AggregateExpr":
        if node.param is not None:
            _visit(node.param, None, False, found, when)
        op = str(node.op).lower()
        if grouping is None and op in _GROUPING:
            modifier = node.modifier
            grouping = (
                Grouping("by", ())
                if modifier is None
                else Grouping("by" if str(modifier.type).endswith("By") else "without", tuple(modifier.labels))
            )
        _visit(node.expr, grouping, quantile, found, when)
    elif kind == "Call":
        name = node.func.name
        if name in _NOT_READ:
            return
        if name in _RELABELLING and grouping is not None:
            grouping = _relabelled(grouping, node.args, _RELABELLING[name])
        if name == "histogram_quantile" and len(node.args) == 2:
            _visit(node.args[0], None, False, found, when)
            _visit(node.args[1], None, True, found, when)
            return
        for arg in node.args:
            _visit(arg, grouping, quantile, found, when)
    elif kind == "BinaryExpr":
        # Each side is an answer of its own, matched with the other's afterwards. The right side of an `and` or an
        # `unless` only picks the left side's elements (a traffic guard): none of its values reaches a quantile.
        # With group_left (group_right) the answer's labels are the left (right) side's and those the group lists:
        # the other side's values reach a quantile (`* on() group_left (sum(rate(x_bucket[5m])) > bool 0)`, a guard
        # multiplied in), its labels, `le` among them, do not.
        modifier = node.modifier
        card = str(modifier.card) if modifier is not None else ""
        labelled = modifier is None or "le" in (modifier.group_labels or ())
        _visit(node.lhs, None, quantile and (labelled or not card.endswith("OneToMany")), found, when)
        right = quantile and str(node.op).lower() not in _LEFT_SIDE and (labelled or not card.endswith("ManyToOne"))
        _visit(node.rhs, None, right, found, when)
    elif kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
        _visit(node.expr, grouping, quantile, found, when)
    elif kind == "MatrixSelector":
        _visit(node.vector_selector, grouping, quantile, found, when)
    elif kind == "VectorSelector":
        _selector(node, grouping, quantile, found, when)


def _moved(node: Any, when: _When) -> _When:
    """When what `node` (a selector or a subquery) reads is read, given when `node` is: its own `@` replaces the
    time (an absolute one, or the query's start or end), its offset moves it back further."""
    at, offset_ms = when
    if node.at is not None:
        at, offset_ms = str(node.at).removeprefix("@").strip(), 0
    if node.offset is not None:
        offset_ms += round(node.offset.total_seconds() * 1000)
    return at, offset_ms


def _modifiers(when: _When) -> str:
    at, offset_ms = when
    return (f" @ {at}" if at is not None else "") + (f" offset {offset_ms}ms" if offset_ms else "")


def _relabelled(grouping: Grouping, args: list[Any], sources: slice) -> Grouping:
    """How the series a relabelling call reads are grouped, given how its answer is: a label it writes (`svc` of
    `sum by (le, svc) (label_replace(x, "svc", "$1", "service", "(.*)"))`) is not on the series read, and its value
    depends on its source labels and its own, so those group them too (no coarser than the answer's groups)."""
    texts = [getattr(arg, "val", None) for arg in args]
    written = texts[1] if len(texts) > 1 else None
    read = [label for label in texts[sources] if isinstance(label, str)]
    if not isinstance(written, str) or len(read) != len(texts[sources]):
        return EACH_SERIES  # not literals the parser shows: each series alone is never coarser
    if grouping.mode == "by":
        if written not in grouping.labels:
            return grouping
        return Grouping("by", (*grouping.labels, *(label for label in read if label not in grouping.labels)))
    if written in grouping.labels:
        return grouping  # the written label is dropped: whatever it holds splits no group
    return Grouping("without", tuple(label for label in grouping.labels if label not in read))


def _selector(node: Any, grouping: Grouping | None, quantile: bool, found: list[BucketRead], when: _When) -> None:
    matchers = node.matchers
    if matchers.or_matchers:
        return  # `{a="1" or b="2"}`: several selectors in one, which the selector-level checks read
    read = tuple((m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in matchers.matchers)
    names = [value for label, op, value in read if label == "__name__" and op == "="]
    name = node.name or (names[0] if len(names) == 1 else None)
    if name is None or any(op == "?" for _, op, _ in read):
        return
    others = tuple(m for m in read if m[0] != "__name__")
    found.append(BucketRead(name, others, grouping or EACH_SERIES, quantile, _modifiers(when)))


def bucket_group_labels(query: str) -> tuple[str, ...] | None:
    """The labels besides `le` by which `query` reads histograms across their buckets in groups, each an answer
    of its own (`sum by (le, service)`: service): over every selector a quantile reads, or named `_bucket` without
    an `le` matcher; None when one keeps each series (no aggregation, or `without`); () for one group, or a query
    promql-parser cannot parse (then the union of the series is all that can be judged)."""
    try:
        reads = bucket_reads(query)
    except ValueError:
        return ()
    labels: list[str] = []
    for read in reads:
        # A bucket an `le` matcher chooses is no quantile; a quantile over the buckets chosen still is.
        chosen = any(m[0] == "le" for m in read.matchers)
        if not (read.quantile or (read.name.endswith("_bucket") and not chosen)):
            continue
        if read.grouping.mode == "without":
            return None
        labels += [label for label in read.grouping.labels if label != "le" and label not in labels]
    return tuple(labels)


# Aggregations that leave a NaN element of their operand out of their answer whenever another element has a value
# (max and min keep any number over NaN; topk, bottomk, limitk and limit_ratio pick elements, NaN last; quantile
# sorts NaN first and interpolates past it), and with it a group without data (0/0: a canary without traffic).
_HIDING_NAN = frozenset({"max", "min", "topk", "bottomk", "quantile", "limitk", "limit_ratio"})
# The functions over time that answer from the steps or samples with a value, a NaN one left out (Prometheus' max and
# min over time keep any number over NaN, its quantile sorts NaN first).
_HIDING_NAN_OVER_TIME = frozenset({"max_over_time", "min_over_time", "quantile_over_time"})
_GROUPING_CLAUSE_RE = re.compile(r"\s*(?:by|without)\s*\(", re.IGNORECASE)
_OPENING = {"(": ")", "[": "]", "{": "}"}
# Answers kept, by query: a rollout asks with the same args at every step, and its rendered query comes again.
_PROBES_KEPT = 1024


def nan_probe(query: str, shown: int) -> tuple[str, str] | None:
    """(aggregations, probe) when `query` has aggregations nan_hiding_operands() finds (`max()`, or `max() or min()`
    for several): the instant query for at most `shown` elements of their operands that are NaN or infinite (what a
    comparison with both infinities keeps nothing of), an `@ start()` in it as written (see pinned_start); None for
    any other query. Parsed every time: `analyzer.kinds.nan_probe` keeps the answers, and tells a query that names
    none of those aggregations without a parse (plain searches in the lowered text, where a case-insensitive regex
    with word boundaries cost about 70k instructions for a 200-character query, on every passing evaluation)."""
    found = nan_hiding_operands(query)
    if not found:
        return None
    aggregations = " or ".join(dict.fromkeys(f"{aggregation}()" for aggregation, _ in found))
    # Each operand's elements but those with a value, matched with their metric name too (copied to a label first):
    # `unless` matches without it, and a recording rule at NaN would go unseen beside another of the same labels.
    unvalued = " or ".join(
        f"({labelled} unless {labelled} > -Inf < +Inf)"
        for operand in dict.fromkeys(operand for _, operand in found)
        for labelled in [f'label_replace(({operand}), "{_NAME_COPY}", "$1", "__name__", "(.+)")']
    )
    return aggregations, f'topk({shown}, label_replace({unvalued}, "{_NAME_COPY}", "", "", ""))'


# The label a probe copies each element's metric name to while it matches elements; dropped from its answer.
_NAME_COPY = "__analyzer_name"
_START_RE = re.compile(r"@\s*start\s*\(\s*\)", re.IGNORECASE)


def pinned_start(query: str, start_s: float) -> str:
    """`query` with each `@ start()` at `start_s` (unix seconds): a range query's start, for an instant query (a
    probe) asking about the time the range query read, not its own."""
    pieces = _start_pieces(query)
    return pieces[0] if len(pieces) == 1 else f"@ {start_s:.3f}".join(pieces)


@functools.lru_cache(maxsize=_PROBES_KEPT)
def _start_pieces(query: str) -> tuple[str, ...]:
    """`query` split at each `@ start()` outside its strings and comments."""
    blank = promql_blanked(query)
    spans = [match.span() for match in _START_RE.finditer(blank)]
    ends = [0, *(end for _, end in spans)]
    starts = [*(start for start, _ in spans), len(query)]
    return tuple(query[end:start] for end, start in zip(ends, starts, strict=True))


def nan_hiding_operand(query: str) -> tuple[str, str] | None:
    """The first of nan_hiding_operands(query), or None."""
    found = nan_hiding_operands(query)
    return found[0] if found else None


def nan_hiding_operands(query: str) -> list[tuple[str, str]]:
    """(aggregation, operand as written) for each aggregation whose answer reaches the answer of `query` and leaves a
    NaN element of its operand out of it (`max(ratio_by_pod)`), whole or under what keeps its elements: parentheses,
    a sign, arithmetic and comparisons (`max(...) * 100`, `max(a) - max(b)`, `max(...) > bool 0.5`), value functions
    (`round(max(...), 0.01)`, `sqrt()`), relabelling and sorting (`label_replace()`,
    `sort_desc()`), either side of an `or`, the left side of an `and` or `unless`; in the order written
    ([] for none, or a query promql-parser cannot parse even with its regexes blanked, see _parsed_loosely). Also
    max_over_time(), min_over_time() and quantile_over_time() there or below aggregations there, which leave out an
    element's NaN steps, with
    last_over_time() of their range for operand: its elements at the last step (`max_over_time(ratio[10m:1m])` of a
    canary whose traffic stopped minutes ago answers its earlier steps)."""
    try:
        tree, readable = _parsed_loosely(query)
    except ValueError:
        try:
            # A Go-only regex on the metric name (`{__name__=~"\\Qratio\\E"}`): only the query's shape is read here.
            tree, readable = _parsed_loosely(query, names=True)
        except ValueError:  # the offline parse reports it
            return []
    nodes = _answering(tree)
    # A function over time below an aggregation (`max(max_over_time(ratio_by_pod[10m:1m]))`) answers through it.
    below = [node.expr for node in nodes if type(node).__name__ == "AggregateExpr"]
    while below:
        for node in _answering(below.pop()):
            if type(node).__name__ == "AggregateExpr":
                below.append(node.expr)
            elif type(node).__name__ == "Call" and node.func.name in _HIDING_NAN_OVER_TIME:
                nodes.append(node)
    # Comments blanked in the operand too (one would swallow what a probe writes after it); strings also in `blank`.
    # The operand is the query's own text (its Go-only regex too): `readable` has each character where it stands.
    uncommented = promql_blanked(query, strings=False)
    blank = promql_blanked(readable)
    hiding = [(node, word) for node in nodes if (word := _word(node)) in _HIDING_NAN | _HIDING_NAN_OVER_TIME]
    places = _first_places(tree, blank, {word for _, word in hiding})
    found: list[tuple[int, str, str]] = []
    for node, word in hiding:
        start, operand_start, operand_end = places[word, str(node)]
        operand = uncommented[operand_start:operand_end].strip()
        if word in _HIDING_NAN_OVER_TIME:
            # Its elements at its last step (its range's end): one at NaN there is left out for its earlier steps, a
            # canary whose traffic stopped minutes ago judged on them (a range check's series then has no value).
            operand = f"last_over_time({operand})"
        found.append((start, word, operand))
    return [(op, operand) for _, op, operand in sorted(found)]


# Where an aggregation (or a function call) is written: its word's start, its operand's start and end.
_Place = tuple[int, int, int]


def _word(node: Any) -> str | None:
    """The word an aggregation or a function call `node` is written with (lowered for an aggregation, whose keyword
    PromQL reads in any case); None for any other node."""
    kind = type(node).__name__
    if kind == "AggregateExpr":
        return str(node.op).lower()
    return str(node.func.name) if kind == "Call" else None


def _first_places(tree: Any, blank: str, words: set[str]) -> dict[tuple[str, str], _Place]:
    """For each aggregation and function call of `tree` written with one of `words`, by its word and its text as
    promql-parser writes it: the place of the first one written that reads the same (an equal one may stand further
    on). `blank` is the text `tree` was parsed from, its strings and comments blanked. Linear in the query's size:
    the nodes of each word, read in the order written, are the places its word is written as an aggregation's, in
    that order (a label or a metric named `max` is followed by no `(`): no part of the text is parsed again."""
    by_word: dict[str, list[Any]] = {word: [] for word in words}
    pending = [tree]
    while pending:
        node = pending.pop()
        if (word := _word(node)) in by_word:
            by_word[word].append(node)
        children = [getattr(node, field, None) for field in ("param", "expr", "lhs", "rhs")]
        pending += reversed(
            [child for child in children if child is not None] + list(getattr(node, "args", None) or [])
        )
    closing = _closings(blank)
    places: dict[tuple[str, str], _Place] = {}
    for word, nodes in by_word.items():
        first = nodes[0]
        has_param = first.param is not None if type(first).__name__ == "AggregateExpr" else word == "quantile_over_time"
        written: list[_Place] = []
        for match in re.finditer(rf"\b{word}\b", blank, re.IGNORECASE):
            if (operand := _aggregation_at(blank, match.end(), has_param, closing)) is not None:
                written.append((match.start(), *operand))
        for node, place in zip(nodes, written, strict=True):
            places.setdefault((word, str(node)), place)
    return places


def fallback_constant(query: str, *, finite: bool = True) -> float | None:
    """N when `query`'s whole answer falls back to a constant when no series it reads exists: `X or vector(N)` (in
    parentheses, `on()`), and what keeps that one element (`(X or vector(0)) * 100`, `clamp_max(..., 1)`, `... or
    vector(0) or vector(1)` answers 0); None for any other query (one that reads no series, or one promql-parser
    cannot parse, its regexes blanked as for fallback_reads), and, unless not `finite`, for a NaN or infinite N."""
    if _OR_WORD_RE.search(query) is None:
        return None  # no fallback: `vector(1) unless on() x` checks on absence, as absent(x) does, by design
    try:
        node, _ = _parsed_loosely(query)
    except ValueError:  # the offline parse reports it
        return None
    # Every node (each stands on a character of its own): a fallback under a query of more than _MAX_LAYERS nodes was
    # no fallback, its probe never sent, and a canary whose series all stopped passed on the constant.
    answer = _when_empty(node, [len(query) + 1])
    if not isinstance(answer, tuple) or answer[0] != "vector" or (finite and not math.isfinite(answer[1])):
        return None  # an infinity or NaN is judged as no value, not as a number that passes
    return answer[1] if "VectorSelector" in _kinds_below(node) else None


# An `or` written in a query (a fallback needs one).
_OR_WORD_RE = re.compile(r"\bor\b", re.IGNORECASE)
# What an expression answers when no series it reads exists: no element, one element without labels (a vector)
# or a scalar, with its value; None when that is not read here.
_Empty = Literal["empty"] | tuple[str, float] | None
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else (math.copysign(math.inf, a) * math.copysign(1, b) if a else math.nan),
    "^": lambda a, b: _power(a, b),
}


def _power(base: float, exponent: float) -> float:
    """Go's math.Pow (Prometheus' `^`): an infinity or NaN where Python's raises (`0 ^ -1`, `10 ^ 400`)."""
    odd = math.isfinite(exponent) and exponent % 2 == 1
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:
        if base == 0:  # to a negative power
            return math.copysign(math.inf, base) if odd else math.inf
        return math.nan  # a negative base to a power that is no integer


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}
# Functions of one element's value (then their scalar arguments) that keep it.
_VALUE_FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "clamp_min": max,
    "clamp_max": min,
    "clamp": lambda v, low, high: math.nan if low > high else max(low, min(high, v)),
}
# Functions whose answer is not empty when their argument is (absent's: a check on absence means it) or that read
# no series (time()).
_NOT_EMPTIED = frozenset({"absent", "absent_over_time", "scalar", "vector", "time", "pi"})


def _when_empty(node: Any, budget: list[int]) -> _Empty:
    """What `node` answers when no series it reads exists (see _Empty); `budget` bounds the nodes read."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    kind = type(node).__name__
    if kind in ("ParenExpr", "UnaryExpr"):
        inner = _when_empty(node.expr, budget)
        if kind == "UnaryExpr" and isinstance(inner, tuple):
            return (inner[0], -inner[1])
        return inner
    if kind == "NumberLiteral":
        return ("scalar", float(node.val))
    if kind in ("VectorSelector", "MatrixSelector"):
        return "empty"
    if kind == "SubqueryExpr":
        inner = _when_empty(node.expr, budget)
        # One element's value at each step (`vector(0)[5m:1m]`): a range of samples all of it.
        return "empty" if inner == "empty" else ("range", inner[1]) if _vector(inner) else None
    if kind == "AggregateExpr":
        return _aggregation_when_empty(node, budget)
    if kind == "Call":
        return _call_when_empty(node, budget)
    if kind == "BinaryExpr":
        return _binary_when_empty(node, budget)
    return None


def _vector(answer: _Empty) -> TypeGuard[tuple[str, float]]:
    """Whether `answer` is one element without labels."""
    return isinstance(answer, tuple) and answer[0] == "vector"


# Aggregations answering their one element's value, and the value they answer of any one element.
_KEEPING_ONE = frozenset({"sum", "avg", "min", "max"})
_OF_ONE = {"group": 1.0, "count": 1.0, "stddev": 0.0, "stdvar": 0.0}


def _aggregation_when_empty(node: Any, budget: list[int]) -> _Empty:
    """What an aggregation answers when no series it reads exists: of one element without labels (`sum(vector(0))`,
    grouped by anything), one element again."""
    inner = _when_empty(node.expr, budget)
    if inner == "empty" or not _vector(inner):
        return "empty" if inner == "empty" else None
    op = str(node.op).lower()
    if op in _KEEPING_ONE:
        return inner
    if op in _OF_ONE:
        return ("vector", _OF_ONE[op])
    param = _when_empty(node.param, budget) if node.param is not None else None
    if not (isinstance(param, tuple) and param[0] == "scalar" and math.isfinite(param[1])):
        return None
    if op in ("topk", "bottomk"):
        return inner if param[1] >= 1 else "empty"  # k is cut to an integer: below 1, none is kept
    if op == "quantile":
        return ("vector", inner[1] if 0 <= param[1] <= 1 else math.copysign(math.inf, param[1]))
    return None  # count_values adds a label


# Range functions answering, of samples all of one value, that value (a quantile's within 0 and 1), or a value of
# their own.
_WITHIN_RANGE = frozenset({"avg_over_time", "min_over_time", "max_over_time", "last_over_time"})
_OF_RANGE = {"present_over_time": 1.0, "stddev_over_time": 0.0, "stdvar_over_time": 0.0}


def _call_when_empty(node: Any, budget: list[int]) -> _Empty:
    name = node.func.name
    args = [_when_empty(arg, budget) for arg in node.args]
    ranged = args[-1] if args and isinstance(args[-1], tuple) and args[-1][0] == "range" else None
    if ranged is not None and name in _WITHIN_RANGE:
        return ("vector", ranged[1])
    if ranged is not None and name in _OF_RANGE:
        return ("vector", _OF_RANGE[name])
    if ranged is not None and name == "quantile_over_time" and len(args) == 2 and args[0] is not None:
        quantile = args[0][1] if isinstance(args[0], tuple) else math.nan
        return ("vector", ranged[1] if 0 <= quantile <= 1 else math.copysign(math.inf, quantile))
    if name == "vector" and args and isinstance(args[0], tuple) and args[0][0] == "scalar":
        return ("vector", args[0][1])
    if name == "scalar" and args and args[0] is not None:
        return ("scalar", args[0][1] if isinstance(args[0], tuple) else math.nan)
    if name in _NOT_EMPTIED:
        return None
    if "empty" in args:
        return "empty"  # one element per element of its vector argument: none
    if name in _VALUE_FUNCTIONS and args and isinstance(args[0], tuple) and args[0][0] == "vector":
        numbers = [arg[1] for arg in args[1:] if isinstance(arg, tuple) and arg[0] == "scalar"]
        if len(numbers) == len(args) - 1:
            return ("vector", float(_VALUE_FUNCTIONS[name](args[0][1], *numbers)))
    return None


def _binary_when_empty(node: Any, budget: list[int]) -> _Empty:
    op = str(node.op).lower()
    left, right = _when_empty(node.lhs, budget), _when_empty(node.rhs, budget)
    if op == "or":
        if isinstance(left, tuple) and "VectorSelector" not in _kinds_below(node.lhs):
            # `vector(0) or sum(x)`: its one element matches each of the right side's, whatever series exist, and
            # answers alone; `vector(0) or x` answers 0 beside x's labelled series: a constant, not a fallback.
            return left if _matched_by_one(node) else None
        return right if left == "empty" else left if isinstance(left, tuple) else None
    if op in ("and", "unless"):
        if left == "empty" or (op == "and" and right == "empty"):
            return "empty"
        if op == "unless" and right == "empty":
            return left  # nothing to drop its element: `vector(0) unless on() z` answers 0 without z
        if not (isinstance(left, tuple) and isinstance(right, tuple)):
            return None
        # Two elements without labels match (on() or not): `and` keeps the left one, `unless` drops it.
        return left if op == "and" else "empty"
    if "empty" in (left, right):
        return "empty"
    if not (isinstance(left, tuple) and isinstance(right, tuple)):
        return None
    shape = "scalar" if left[0] == right[0] == "scalar" else "vector"
    if op in _ARITHMETIC:
        return (shape, float(_ARITHMETIC[op](left[1], right[1])))
    if op not in _COMPARISONS:
        return None
    holds = _COMPARISONS[op](left[1], right[1])
    if node.modifier is not None and node.modifier.return_bool:
        return (shape, 1.0 if holds else 0.0)
    # A filter keeps the vector side's element (the left one when both are).
    return (shape, left[1] if left[0] == "vector" else right[1]) if holds else "empty"


def _kinds_below(node: Any) -> set[str]:
    """The node kinds in the tree under `node` (itself included)."""
    kinds: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        kinds.add(type(current).__name__)
        for field in ("expr", "lhs", "rhs", "vector_selector", "param"):
            if (child := getattr(current, field, None)) is not None:
                pending.append(child)
        pending += list(getattr(current, "args", None) or [])
    return kinds


# Functions whose answer has the elements of their first argument, each value moved alike (or relabelled, or
# sorted): an element their argument leaves out stays out.
_KEEPING = frozenset(
    {
        *("abs", "ceil", "floor", "round", "clamp", "clamp_min", "clamp_max", "scalar", "sgn"),
        *("exp", "ln", "log2", "log10", "sqrt"),
        *("label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc"),
    }
)


# Words that may start a fallback's `or` (a plain search in the lowered query first: most queries hold none).
_OR_TEXT = "or"
# Functions answering a constant whenever they answer: absent() answers 1 when its argument has no series.
_CONSTANT_CALLS = frozenset({"absent", "absent_over_time"})


# Prometheus' default look-back: an instant selector reads the last sample up to 5 minutes old.
_LOOKBACK_S = 300.0
# A subquery's step when it names none: Prometheus' default evaluation interval.
_DEFAULT_STEP_S = 60.0


@dataclass(frozen=True)
class Reach:
    """The samples a selector reads: `range_s` seconds ending `offset_s` before the evaluation time, or before
    `at_s` (a Unix time) for `@ T`."""

    range_s: float
    offset_s: float
    at_s: float | None


def fallback_selectors(query: str, *, names: bool = False) -> tuple[MetricSelector, ...]:
    """The vector selectors, as written, read beside a constant fallback of an `or` anywhere in `query` (`X or
    vector(N)`, `X or on() vector(N)`, `X or 0 * Y`, `X or absent(Y)`, either side): when they match no series
    the fallback answers for them. Names as metric_selectors() tells them (none for a regex that is not a list of
    names); () for a query without such a fallback, or one promql-parser cannot parse (Prometheus did; with `names`,
    a Go-only regex on the metric name is read as one that is no list of names, see _parsed_loosely)."""
    return tuple(selector for selector, _ in fallback_reads(query, names=names))


@functools.lru_cache(maxsize=_PROBES_KEPT)
def fallback_reads(query: str, *, names: bool = False) -> tuple[tuple[MetricSelector, frozenset[Reach]], ...]:
    """fallback_selectors(query), each with the samples it reads (its range, offset, `@`, and those of the
    subqueries around it): a name that has series only there (`x offset 1h`, `max_over_time(x[1h])`) exists."""
    if _OR_TEXT not in query.lower():
        return ()
    return _reads(query, every=False, blank_names=names)


@functools.lru_cache(maxsize=_PROBES_KEPT)
def selector_reads(
    query: str, *, names: bool = False, start_s: float | None = None
) -> tuple[tuple[MetricSelector, frozenset[Reach]], ...]:
    """Every vector selector of `query` outside absent() and absent_over_time() as fallback_reads tells them, each
    with the samples it reads: a baseline's `x offset 1d` reads x a day ago, where x may have series only then; ()
    for a query promql-parser cannot parse (Prometheus did; `names` as for fallback_selectors). `start_s`: how long
    before its end a range query starts, where its `@ start()` reads; None (an instant query): at the evaluation
    time."""
    return _reads(query, every=True, blank_names=names, start_s=start_s)


def _reads(
    query: str, *, every: bool, blank_names: bool, start_s: float | None = None
) -> tuple[tuple[MetricSelector, frozenset[Reach]], ...]:
    """The selectors of `query` (`every` one, or those beside a fallback) with the samples each reads (see
    _parsed_loosely for `blank_names`, selector_reads for `start_s`)."""
    from analyzer.promql_names import MetricSelector, lexed_selector, selectors_written

    try:
        tree, readable = _parsed_loosely(query, names=blank_names)
        read: dict[tuple[tuple[str, ...], frozenset[tuple[str, str, str]]], set[Reach]] = {}
        # The name promql-parser reads where the lexer reads a keyword (`sum{job="a"}`, a bare `count`: Prometheus
        # reads a metric of that name there), by the selector's key without it.
        keyword_names: dict[tuple[tuple[str, ...], frozenset[tuple[str, str, str]]], str] = {}
        # Each selector as its parsed matchers write it: for one whose text the lexer reads otherwise (a value with an
        # escape JSON lacks, `code="\\x41"`), which is checked all the same.
        rewritten: dict[tuple[tuple[str, ...], frozenset[tuple[str, str, str]]], MetricSelector] = {}
        for selector, reach in _beside_fallbacks(tree, every=every, start_s=start_s):
            # Read from the parsed matchers, not from the parser's printing, which writes a Prometheus 3 label name
            # bare (`{"code.x"="5"}` as `{code.x="5"}`, which no parser reads) and values decoded (`a"b` unclosed).
            matchers = tuple((m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in selector.matchers.matchers)
            written = lexed_selector(selector.name, matchers)
            read.setdefault(_key(written), set()).add(reach)
            names = written.names
            if not names and selector.name:
                keyword_names[_key(written)] = selector.name
                names = (selector.name,)
            rewritten[_key(written)] = MetricSelector(names, _selector_text(selector.name, matchers))
        # Each selector as the parse read it, and as the query writes it (the same one, in the same place).
        written_all = [
            (lexed, text)
            for (lexed, _), (_, text) in zip(selectors_written(readable), selectors_written(query), strict=True)
        ]
    except ValueError:  # see fallback_unreadable
        return ()
    found: dict[str, tuple[MetricSelector, frozenset[Reach]]] = {}
    seen = set()
    for s, text in written_all:
        if (key := _key(s)) in read:
            seen.add(key)
            name = keyword_names.get(key) if not s.names else None
            selector = MetricSelector((name,), name + text) if name else MetricSelector(s.names, text)
            found[selector.selector] = (selector, frozenset(read[key]))
    # A keyword-named selector without braces (`count or vector(0)`) is no selector to the lexer at all.
    for key in read.keys() - seen:
        if "?" not in (op for _, op, _ in key[1]):
            found.setdefault(rewritten[key].selector, (rewritten[key], frozenset(read[key])))
    return tuple(found.values())


# Functions of a range that need two samples in it: a series holding one sample there is in none of their answers.
_TWO_SAMPLE_CALLS = frozenset({"rate", "increase", "irate", "delta", "idelta", "deriv"})


@functools.lru_cache(maxsize=_PROBES_KEPT)
def rated_selectors(query: str, range_s: float) -> tuple[tuple[str, float], ...]:
    """The vector selectors of `query`, as PromQL writes them, that rate(), increase() or another function needing two
    samples reads over the last `range_s` or a shorter range ending at the evaluation time (no offset, no `@`
    but an instant query's `@ start()` or `@ end()`, in no subquery), each with that range: a series of them
    scraped every such range or less often holds one sample there, so `query` leaves it out; () when none, or when
    promql-parser cannot parse `query`."""
    try:
        tree, _ = _parsed_loosely(query)
    except ValueError:
        return ()
    found: dict[tuple[str, float], None] = {}
    pending = [tree]
    # Every node, not the first _MAX_LAYERS: a selector left unread asks no blind query, so its series scraped that
    # seldom burn unseen; the size guard (promql_size_problem) bounds a parsed query's nodes.
    while pending:
        node = pending.pop()
        kind = type(node).__name__
        if kind == "Call":
            for arg in node.args:
                if arg is None:
                    continue
                selector = arg.vector_selector if type(arg).__name__ == "MatrixSelector" else None
                if (
                    selector is not None
                    and node.func.name in _TWO_SAMPLE_CALLS
                    and 0 < arg.range.total_seconds() <= range_s
                    and _read_now(selector)
                ):
                    matchers = tuple(
                        (m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in selector.matchers.matchers
                    )
                    found[(_selector_text(selector.name, matchers), arg.range.total_seconds())] = None
                else:
                    pending.append(arg)
        elif kind == "BinaryExpr":
            pending += [node.lhs, node.rhs]
        elif kind in ("ParenExpr", "UnaryExpr", "AggregateExpr"):
            pending.append(node.expr)
    return tuple(found)


def _read_now(selector: Any) -> bool:
    """Whether `selector` reads up to the evaluation time of an instant query (a rule's): no offset (promql-parser
    refuses `offset 0s`), no `@` but `@ start()` or `@ end()` (both that time)."""
    at = selector.at
    return selector.offset is None and (at is None or str(at.type).rpartition(".")[2] in ("Start", "End"))


def selector_matchers(selector: str) -> tuple[tuple[str, str, str], ...] | None:
    """(label, operator, unquoted value) of each matcher of the vector selector `selector` (`{a="b", c=~"d"}`), the
    metric name's as `__name__`; None when promql-parser cannot read it as one vector selector."""
    try:
        tree, _ = _parsed_loosely(selector)
    except ValueError:
        return None
    if type(tree).__name__ != "VectorSelector":
        return None
    matchers = tuple((m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in tree.matchers.matchers)
    return (("__name__", "=", tree.name), *matchers) if tree.name else matchers


def _selector_text(name: str | None, matchers: tuple[tuple[str, str, str], ...]) -> str:
    """A selector of metric `name` (None for none) and `matchers` (label, operator, unquoted value) as PromQL
    writes it."""
    from analyzer.promql_names import label_written
    from analyzer.templates import escape_promql_string

    listed = ", ".join(
        f'{label_written(label)}{op}"{escape_promql_string(value, chr(34))}"'
        for label, op, value in matchers
        if not (name and label == "__name__")
    )
    return (name or "") + (f"{{{listed}}}" if listed or not name else "")


def fallback_unreadable(query: str) -> str | None:
    """Why the selectors beside a fallback of `query` cannot be told (promql-parser's refusal, Prometheus deciding
    what it accepts) when it may hold one (an `or`); None when they can, or it holds none."""
    if _OR_TEXT not in query.lower():
        return None
    try:
        _parsed_loosely(query)
    except ValueError as exc:
        return str(exc) or "invalid query"
    return None


def _parsed_loosely(query: str, *, names: bool = False) -> tuple[Any, str]:
    """promql-parser's tree of `query`, and the query it parsed: `query`, or, when its regex engine refuses one of
    its label matchers (Go's `\\Q...\\E`, which Prometheus accepts), `query` with those written `".*"` (the same
    selectors, in the same places; with `names`, those on the metric name too, see regexes_blanked); ValueError when
    neither parses."""
    from analyzer.promql_syntax import parsed

    try:
        return parsed(query), query
    except ValueError:
        # Imported here: the NaN probe of a query promql-parser reads (a Job's) needs no lexer.
        from analyzer.promql_names import regexes_blanked

        blanked = regexes_blanked(query, names=names)
        if blanked != query:
            with contextlib.suppress(ValueError):
                return parsed(blanked), blanked
        raise  # the query's own refusal


def presence_over(reach: Reach, window_s: float) -> str:
    """The range, offset and `@` a presence query reads for `reach` in a query evaluated over `window_s`; "" for
    the plain look-back at the evaluation time (the usual `rate(x[5m])`)."""
    range_s = reach.range_s + (window_s if reach.at_s is None else 0.0)
    if range_s <= _LOOKBACK_S and reach.offset_s == 0 and reach.at_s is None:
        return ""
    over = f"[{_duration(range_s)}]"
    if reach.at_s is not None:
        over += f" @ {reach.at_s:.3f}"
    if reach.offset_s:
        over += f" offset {_duration(reach.offset_s)}"
    return over


def _duration(seconds: float) -> str:
    """`seconds` as a PromQL duration: whole seconds, or milliseconds when it has a fraction."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def presence_piece(names: Iterable[str], over: str, label: str) -> str:
    """The presence of `names` over `over` (see presence_over; "" for the evaluation time's look-back), of their
    series carrying `label` if one is given: one series, labelled with the name only, per name with such a sample
    there (last_over_time keeps the name)."""
    from analyzer.promql_names import label_written, names_pattern
    from analyzer.templates import escape_promql_string

    pattern = escape_promql_string(names_pattern(sorted(set(names))), '"')
    matchers = f'__name__=~"{pattern}"' + (f', {label_written(label)}!=""' if label else "")
    return (
        f"group by (__name__) ({{{matchers}}})"
        if not over
        else f"group by (__name__) (last_over_time({{{matchers}}}{over}))"
    )


def _read_by(node: Any, range_s: float, around: Reach, start_s: float | None = None) -> Reach:
    """The samples `node` (a selector or a subquery) reads over `range_s` with its offset and `@`, inside `around`
    (the subqueries that hold it): an `@ T` of its own reads from T alone, as does an `@ start()` of a range query
    starting `start_s` before its end."""
    offset_s = node.offset.total_seconds() if node.offset is not None else 0.0
    at = node.at
    if at is not None and str(at.type).rpartition(".")[2] == "At":
        # As the binding writes it: its `at.at` panics for a time before 1970 (`@ -60`), which it writes as 0, a time
        # that reads no samples alike.
        return Reach(range_s, offset_s, float(str(at).removeprefix("@")))
    if at is not None and start_s is not None and str(at.type).rpartition(".")[2] == "Start":
        # Every step of the range query reads there: at its last, now, that is `start_s` back.
        return Reach(range_s, start_s + offset_s, None)
    # @ start() and @ end(): the evaluation time, which a range check widens (see its presence query).
    return Reach(around.range_s + range_s, around.offset_s + offset_s, around.at_s)


def _key(selector: VectorSelector) -> tuple[tuple[str, ...], frozenset[tuple[str, str, str]]]:
    """A selector as promql-parser's printing and the text as written both read it."""
    return selector.names, frozenset(selector.matchers)


def _beside_fallbacks(
    root: Any, *, lists: bool = False, every: bool = False, start_s: float | None = None
) -> list[tuple[Any, Reach]]:
    """The vector selectors under an operand of an `or` of `root` whose other operand can answer a constant (see
    _constant), outside absent(), each with the samples it reads; with `lists`, the aggregations and binary operators
    there with a label list (`by (code)`, `ignoring (code)`), each with the samples around it, instead; with `every`,
    every vector selector outside absent() (see selector_reads for `start_s`)."""
    found: list[tuple[Any, Reach]] = []
    pending: list[tuple[Any, Reach, bool]] = [(root, Reach(0.0, 0.0, None), every)]
    while pending:
        node, around, beside = pending.pop()
        kind = type(node).__name__
        if lists and beside and _label_list(node):
            found.append((node, around))
        if kind == "VectorSelector":
            if beside and not lists:
                found.append((node, _read_by(node, _LOOKBACK_S, around, start_s)))
        elif kind == "MatrixSelector":
            if beside and not lists:
                read = _read_by(node.vector_selector, node.range.total_seconds(), around, start_s)
                found.append((node.vector_selector, read))
        elif kind == "SubqueryExpr":
            # Its first step may fall up to one step before its range (steps are aligned to multiples of it).
            step_s = node.step.total_seconds() if node.step is not None else _DEFAULT_STEP_S
            pending.append((node.expr, _read_by(node, node.range.total_seconds() + step_s, around, start_s), beside))
        elif kind == "BinaryExpr":
            left = right = beside
            if str(node.op).lower() == "or":
                # Each side is beside a fallback when the other can answer a constant: both, for a constant answered
                # only under a condition (`(vector(0) and on() x) or vector(1)`: x missing, vector(1) answers).
                left, right = beside or _constant(node.rhs), beside or _constant(node.lhs)
            elif str(node.op).lower() == "unless" and not every and not _constant(node.lhs):
                # What it drops a measurement by: missing, the measurement answers, not a fallback. What it drops a
                # constant by (`(vector(1) and on() requests unless on() errors) or vector(0)`) stays beside:
                # missing, the constant answers for it.
                right = False
            pending += [(node.lhs, around, left), (node.rhs, around, right)]
        elif kind in ("ParenExpr", "UnaryExpr", "AggregateExpr"):
            pending.append((node.expr, around, beside))
        elif kind == "Call" and node.func.name not in _CONSTANT_CALLS:
            pending += [(arg, around, beside) for arg in node.args if arg is not None]
    return found


def _label_list(node: Any) -> bool:
    """Whether `node` is an aggregation or a binary operator with a label list that names labels."""
    kind = type(node).__name__
    if kind == "AggregateExpr":
        return node.modifier is not None and bool(node.modifier.labels)
    if kind == "BinaryExpr":
        matching = node.modifier.matching if node.modifier is not None else None
        return matching is not None and bool(matching.labels)
    return False


def _constant(node: Any) -> bool:
    """Whether `node` can answer a value no series holds: what reads no series (`vector(0)`, `sum(vector(0))`,
    `max_over_time(vector(0)[5m:1m])`, `vector(time())`), what answers one value whatever its series hold
    (`group(up) - 1`, `clamp_max(sum(rate(r[5m])), 0)`, `0 * requests`: see _bounds), absent(...), a constant kept or
    dropped by a condition (`vector(0) and on() requests`, `vector(0) unless on() z`), or an `or` with such a side
    (`vector(0) or y`)."""
    if _fixed(node):
        return True
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind not in ("ParenExpr", "UnaryExpr"):
            break
        node = node.expr
    if kind == "NumberLiteral":
        return True
    if kind == "Call":
        name = node.func.name
        if name in _CONSTANT_CALLS:
            return True
        if (name == "vector" or name in _KEEPING) and node.args:
            return _constant(node.args[0])
        return False
    if kind != "BinaryExpr":
        return False
    op = str(node.op).lower()
    if op in _LEFT_SIDE:
        return _constant(node.lhs)  # the left side's elements, each kept or dropped by the right side
    if op == "or":
        return _constant(node.lhs) or _constant(node.rhs)
    if op == "*" and (_zero(node.lhs) or _zero(node.rhs)):
        return True
    return _constant(node.lhs) and _constant(node.rhs)


def _fixed(node: Any) -> bool:
    """Whether every element `node` answers has a value no sample decides: it reads no series (but what absent()
    reads), or its values are bounded to one number whatever its series hold."""
    if not _reads_series(node):
        return True
    low, high = _bounds(node, [_MAX_LAYERS])
    return low == high


def _reads_series(node: Any) -> bool:
    """Whether a vector selector stands under `node` outside absent() and absent_over_time()."""
    pending = [node]
    while pending:
        current = pending.pop()
        kind = type(current).__name__
        if kind == "VectorSelector":
            return True
        if kind == "Call" and current.func.name in _CONSTANT_CALLS:
            continue
        for field in ("expr", "lhs", "rhs", "vector_selector", "param"):
            if (child := getattr(current, field, None)) is not None:
                pending.append(child)
        pending += list(getattr(current, "args", None) or [])
    return False


_Bounds = tuple[float, float]
_ANY: _Bounds = (-math.inf, math.inf)
# Functions whose value is never negative, whatever their series hold: a counter's increase (per second or over the
# range; a reset counts from zero), counts of changes or samples.
_NON_NEGATIVE = frozenset({"rate", "irate", "increase", "resets", "changes", "count_over_time"})
# Functions (and aggregations) whose values lie within their operand's: a value of it, a mean, a label written.
_WITHIN = frozenset(
    {
        *("vector", "avg_over_time", "min_over_time", "max_over_time", "last_over_time"),
        *("label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc"),
    }
)
_WITHIN_AGGREGATIONS = frozenset({"avg", "min", "max", "topk", "bottomk", "limitk", "limit_ratio"})


def _bounds(node: Any, budget: list[int]) -> _Bounds:
    """The least and greatest value an element of `node` may have whatever its series hold (`group(up) - 1`: 0, 0;
    `clamp_max(rate(r[5m]), 0)`: 0, 0, a rate being never negative); (-inf, inf) where it is not read here. `budget`
    bounds the nodes read."""
    budget[0] -= 1
    if budget[0] < 0:
        return _ANY
    kind = type(node).__name__
    if kind in ("ParenExpr", "SubqueryExpr"):
        return _bounds(node.expr, budget)
    if kind == "UnaryExpr":
        low, high = _bounds(node.expr, budget)
        return -high, -low
    if kind == "NumberLiteral":
        value = float(node.val)
        return (value, value) if not math.isnan(value) else _ANY
    if kind == "AggregateExpr":
        return _aggregation_bounds(node, budget)
    if kind == "Call":
        return _call_bounds(node, budget)
    if kind == "BinaryExpr":
        return _binary_bounds(node, budget)
    return _ANY


def _aggregation_bounds(node: Any, budget: list[int]) -> _Bounds:
    op = str(node.op).lower()
    if op == "group":
        return 1.0, 1.0
    if op in ("count", "count_values"):
        return 1.0, math.inf
    inner = _bounds(node.expr, budget)
    if op in _WITHIN_AGGREGATIONS or (op == "quantile" and _probability(node.param)):
        return inner
    if op == "sum":
        return _sum_bounds(inner)
    if op in ("stddev", "stdvar"):
        return (0.0, 0.0) if inner[0] == inner[1] else (0.0, math.inf)
    return _ANY


def _sum_bounds(inner: _Bounds) -> _Bounds:
    """The bounds of a sum of one or more values within `inner`."""
    low, high = inner
    if low == high == 0:
        return 0.0, 0.0
    return (low if low >= 0 else -math.inf), (high if high <= 0 else math.inf)


def _probability(node: Any) -> bool:
    """Whether `node` is a number from 0 to 1 (a quantile within its operand's values)."""
    low, high = _bounds(node, [_MAX_LAYERS]) if node is not None else _ANY
    return low == high and 0 <= low <= 1


def _call_bounds(node: Any, budget: list[int]) -> _Bounds:
    name, args = node.func.name, node.args
    if name in _CONSTANT_CALLS or name == "present_over_time":
        return 1.0, 1.0
    if name in _NON_NEGATIVE:
        return 0.0, math.inf
    if name == "quantile_over_time":
        return _bounds(args[1], budget) if len(args) == 2 and _probability(args[0]) else _ANY
    if not args:
        return _ANY
    low, high = _bounds(args[0], budget)
    if name in _WITHIN:
        return low, high
    if name == "sum_over_time":
        return _sum_bounds((low, high))
    if name in ("stddev_over_time", "stdvar_over_time"):
        return (0.0, 0.0) if low == high else (0.0, math.inf)
    limits = [_bounds(arg, budget) for arg in args[1:]]
    if any(limit[0] != limit[1] for limit in limits):
        return _ANY  # a bound a series gives
    numbers = [limit[0] for limit in limits]
    if name == "clamp_max" and len(numbers) == 1:
        return min(low, numbers[0]), min(high, numbers[0])
    if name == "clamp_min" and len(numbers) == 1:
        return max(low, numbers[0]), max(high, numbers[0])
    if name == "clamp" and len(numbers) == 2 and numbers[0] <= numbers[1]:
        return min(max(low, numbers[0]), numbers[1]), min(max(high, numbers[0]), numbers[1])
    if name == "abs" and not numbers:
        return (0.0 if low <= 0 <= high else min(abs(low), abs(high))), max(abs(low), abs(high))
    if name in _MONOTONE and not numbers:
        return _MONOTONE[name](low), _MONOTONE[name](high)
    return _ANY


# Functions of one value that never decrease: a value's bounds map to the answer's.
_MONOTONE: dict[str, Callable[[float], float]] = {
    "ceil": lambda value: value if math.isinf(value) else float(math.ceil(value)),
    "floor": lambda value: value if math.isinf(value) else float(math.floor(value)),
    "sgn": lambda value: float((value > 0) - (value < 0)),
}


def _binary_bounds(node: Any, budget: list[int]) -> _Bounds:
    op = str(node.op).lower()
    left = _bounds(node.lhs, budget)
    if op in _LEFT_SIDE:
        return left  # the left side's elements, each kept or dropped by the right side
    right = _bounds(node.rhs, budget)
    if op == "or":
        return min(left[0], right[0]), max(left[1], right[1])
    if op in _COMPARISONS:
        if node.modifier is not None and node.modifier.return_bool:
            if left[0] == left[1] and right[0] == right[1]:
                holds = float(_COMPARISONS[op](left[0], right[0]))
                return holds, holds
            return 0.0, 1.0
        # A filter keeps the vector side's values (the left one's when both are): `(0) < x` keeps x's.
        return right if _scalar(node.lhs) else left
    if op == "*" and (left == (0, 0) or right == (0, 0)):
        return 0.0, 0.0  # `0 * requests`: 0 wherever there is traffic
    if op in ("+", "-"):
        low = left[0] + right[0] if op == "+" else left[0] - right[1]
        high = left[1] + right[1] if op == "+" else left[1] - right[0]
        return (low, high) if not (math.isnan(low) or math.isnan(high)) else _ANY
    if op in _ARITHMETIC and left[0] == left[1] and right[0] == right[1]:
        value = float(_ARITHMETIC[op](left[0], right[0]))
        return (value, value) if not math.isnan(value) else _ANY
    return _ANY


# Functions answering a scalar.
_SCALAR_CALLS = frozenset({"scalar", "time", "pi"})


def _scalar(node: Any) -> bool:
    """Whether `node` answers a scalar: a number, `time()`, `scalar(...)`, arithmetic on scalars (`1 - 0.999`), in
    parentheses or signed."""
    pending = [node]
    while pending:
        current = pending.pop()
        kind = type(current).__name__
        if kind in ("ParenExpr", "UnaryExpr"):
            pending.append(current.expr)
        elif kind == "BinaryExpr":
            pending += [current.lhs, current.rhs]
        elif not (kind == "NumberLiteral" or (kind == "Call" and current.func.name in _SCALAR_CALLS)):
            return False
    return True


def _zero(node: Any) -> bool:
    """Whether `node` is the number 0 or vector(0) (in parentheses too)."""
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind == "ParenExpr":
            node = node.expr
        elif kind == "Call" and node.func.name == "vector" and node.args:
            node = node.args[0]
        else:
            break
    return type(node).__name__ == "NumberLiteral" and float(node.val) == 0


# Binary operators whose answer's elements and values come from both sides (arithmetic, comparisons, with `bool`
# or without), and those whose answer's come from the left side alone (the right one only matches).
_BOTH_SIDES = frozenset({"+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<=", "or"})
_LEFT_SIDE = frozenset({"and", "unless"})


def _answering(root: Any) -> list[Any]:
    """The nodes whose elements make the answer of `root`, below what keeps them (see nan_hiding_operands)."""
    answering: list[Any] = []
    pending = [root]
    while pending:
        node = pending.pop()
        kind = type(node).__name__
        if kind in ("ParenExpr", "UnaryExpr"):
            pending.append(node.expr)
        elif kind == "Call" and node.func.name in _KEEPING and node.args:
            pending.append(node.args[0])
        elif kind == "BinaryExpr" and (op := str(node.op).lower()) in _BOTH_SIDES:
            if op == "or" and _matched_by_one(node) and _always_answers(node.lhs):
                pending.append(node.lhs)  # its one element matches each of the right side's: none of them answers
            else:
                pending += [node.lhs, node.rhs]
        elif kind == "BinaryExpr" and op in _LEFT_SIDE:
            pending.append(node.lhs)
        else:
            answering.append(node)
    return answering + pending  # past the bound, what is left is read as it stands


# Functions that keep their argument's elements and labels (not label_replace or label_join, which write one).
_KEEPING_LABELS = _KEEPING - {"label_replace", "label_join"}
# Binary operators whose answer's elements have the labels of both sides' (a scalar side has none).
_ARITHMETIC_OPS = frozenset({"+", "-", "*", "/", "%", "^", "atan2"})


def _always_answers(node: Any) -> bool:
    """Whether `node` answers one element without labels whatever the series hold: vector(s), moved by a function
    that keeps it or by arithmetic with a scalar or another such element."""
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind == "ParenExpr" or kind == "UnaryExpr":
            node = node.expr
        elif kind == "Call" and node.func.name in _KEEPING_LABELS and node.func.name != "clamp" and node.args:
            node = node.args[0]  # clamp() with its min above its max answers nothing
        else:
            break
    if kind == "Call":
        return bool(node.func.name == "vector")
    if kind == "BinaryExpr" and str(node.op) in _ARITHMETIC_OPS:
        sides = [_always_answers(node.lhs), _always_answers(node.rhs)]
        scalars = [type(side).__name__ == "NumberLiteral" for side in (node.lhs, node.rhs)]
        return all(a or b for a, b in zip(sides, scalars, strict=True)) and any(sides)
    return False


def _matched_by_one(node: Any) -> bool:
    """Whether one element without labels on the left of binary `node` matches every element of its right side: the
    labels it matches on are none of theirs (`vector(0) or max(x)`, `vector(0) or on() max by (pod) (x)`,
    `vector(0) or ignoring(pod) max by (pod) (x)`: an element lacking a label matches one that lacks it too)."""
    matching = node.modifier.matching if node.modifier is not None else None
    carried = _labels_at_most(node.rhs)
    if matching is not None and str(matching.type).endswith("Include"):
        return not matching.labels or (carried is not None and carried.isdisjoint(matching.labels))
    # `ignoring` (or no modifier: ignoring nothing) matches on every label but those and the metric name.
    ignored = {"__name__", *(matching.labels if matching is not None else ())}
    return carried is not None and carried <= ignored


def _labels_at_most(node: Any) -> frozenset[str] | None:
    """The label names an element `node` answers may carry, at most: none for a constant or an aggregation into one
    group, a `by` aggregation's labels; None when any may be (a selector's, `without`)."""
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind == "ParenExpr" or kind == "UnaryExpr":
            node = node.expr
        elif kind == "Call" and node.func.name in _KEEPING_LABELS and node.args:
            node = node.args[0]
        else:
            break
    if kind == "NumberLiteral":
        return frozenset()
    if kind == "Call":
        name, args = node.func.name, node.args
        if name == "vector":
            return frozenset()
        if name == "histogram_quantile" and len(args) == 2:
            # Each quantile keeps its buckets' labels but `le`.
            below = _labels_at_most(args[1])
            return below - {"le"} if below is not None else None
        written = getattr(args[1], "val", None) if name in _RELABELLING and len(args) > 1 else None
        below = _labels_at_most(args[0]) if isinstance(written, str) else None
        return below | {written} if below is not None and isinstance(written, str) else None
    if kind == "AggregateExpr":
        op, modifier = str(node.op).lower(), node.modifier
        if op not in _GROUPING:
            return _labels_at_most(node.expr) if op != "count_values" else None
        if modifier is None:
            return frozenset()
        return frozenset(modifier.labels) if str(modifier.type).endswith("By") else None
    if kind == "BinaryExpr":
        left = _labels_at_most(node.lhs)
        if str(node.op).lower() in _LEFT_SIDE:
            return left
        right = _labels_at_most(node.rhs)
        if left is None or right is None:
            return None
        # Either side's, and those a group_left or group_right copies (a superset of what one side keeps).
        extra = node.modifier.group_labels if node.modifier is not None and node.modifier.group_labels else ()
        return left | right | frozenset(extra)
    return None


# Nodes (parentheses, signs, operators and the like) read through: a bound on a loop over a parsed query.
_MAX_LAYERS = 1000


def _aggregation_at(blank: str, position: int, has_param: bool, closing: dict[int, int]) -> tuple[int, int] | None:
    """For an aggregation's name ending at `position` in `blank` (strings and comments blanked, `closing` its
    brackets, see _closings): where its operand starts and ends; None when what follows is no aggregation's."""
    if (clause := _GROUPING_CLAUSE_RE.match(blank, position)) is not None:
        position = closing[clause.end() - 1]
    position = _skip_space(blank, position)
    if blank[position : position + 1] != "(":
        return None
    start, end = position + 1, closing[position] - 1
    if has_param:
        comma = _top_level_comma(blank, start, end, closing)
        if comma is None:
            return None
        start = comma + 1
    return start, end


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


_BRACKET_RE = re.compile(r"[][(){}]")


def _closings(text: str) -> dict[int, int]:
    """For each bracket opened in `text` (a query promql-parser parsed, its strings and comments blanked: each one is
    closed), the index just after the one that closes it: one scan for all of them."""
    closing: dict[int, int] = {}
    opened: list[int] = []
    for match in _BRACKET_RE.finditer(text):
        if match[0] in _OPENING:
            opened.append(match.start())
        else:
            closing[opened.pop()] = match.end()
    return closing


def _top_level_comma(text: str, start: int, end: int, closing: dict[int, int]) -> int | None:
    """The first comma between `start` and `end` outside brackets, stepping over each bracketed part whole."""
    index = start
    while index < end:
        if text[index] in _OPENING:
            index = closing[index]
        elif text[index] == ",":
            return index
        else:
            index += 1
    return None


# Labels a list may name though no series read carries them: `le` (a native histogram has none, and `by (le)` over
# one does nothing it should not), `quantile` (a summary's, read beside other kinds), and the metric name. A list is
# checked on its other labels: `by (le, servcie)` does nothing `by (le)` does not.
_LISTED_ANYWAY = frozenset({"le", "quantile", "__name__"})


def _checked(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The labels of a list that a series read must carry for the list to do something: all but _LISTED_ANYWAY."""
    return tuple(label for label in labels if label not in _LISTED_ANYWAY)


@dataclass(frozen=True)
class LabelList:
    """A list of label names an aggregation groups by (or without), or a binary operator matches on (or ignoring), as
    written (`ignoring (cdoe)`), its labels, and the metric names of each selector it is over, with the samples it
    reads: when no series of them carries any of its labels, the list does nothing (`by (cdoe)`: one group;
    `ignoring (cdoe)`: every label matched)."""

    written: str
    labels: tuple[str, ...]
    reads: tuple[tuple[tuple[str, ...], Reach], ...]
    # Whether the answer holds every group (answer_label_list's): not past a filter (`> 0.5`, `and`, topk).
    whole: bool = True
    # A label_replace()'s target when its regex does not match the empty value: a series without the source label is
    # left as read, its target kept (`label_replace(x, "pod", "$1", "pod_name", "(.+)")` falls back to pod).
    kept: str = ""


@functools.lru_cache(maxsize=_PROBES_KEPT)
def fallback_label_lists(query: str) -> tuple[LabelList, ...]:
    """The label lists (`by`, `without`, `on`, `ignoring`; not group_left's, which copy what is there) of the
    aggregations and binary operators of `query` read beside a constant fallback of an `or` (see fallback_selectors):
    when such a list does nothing, the answer may be empty (`x / ignoring (cdoe) group_left y`, `x unless on (pdo)
    y`) and the fallback answers for it. Each with its labels but _LISTED_ANYWAY's. Left out: a list naming a label the
    query writes (label_replace's, count_values', absent's) or only _LISTED_ANYWAY's, and one over a selector whose
    names cannot be told (a regex);
    () for a query without a fallback, or one promql-parser cannot parse."""
    from analyzer.promql_syntax import parsed

    if _OR_TEXT not in query.lower():
        return ()
    try:
        root = parsed(query)
    except ValueError:  # the offline parse reports it
        return ()
    found: list[LabelList] = []
    for node, around in _beside_fallbacks(root, lists=True):
        kind = type(node).__name__
        modifier = node.modifier if kind == "AggregateExpr" else node.modifier.matching
        if kind == "AggregateExpr":
            mode = "by" if str(modifier.type).endswith("By") else "without"
        else:
            mode = "on" if str(modifier.type).endswith("Include") else "ignoring"
        labels = _checked(tuple(modifier.labels))
        reads, written = _reads_under(node.expr if kind == "AggregateExpr" else node, around)
        if reads is None or written & set(labels) or not labels:
            continue
        found.append(LabelList(f"{mode} ({', '.join(modifier.labels)})", labels, reads))
    return tuple(dict.fromkeys(found))


def grouping_label_lists(query: str) -> tuple[LabelList, ...]:
    """The `by` lists of every aggregation of `query` and the `on` lists of every binary operator, wherever they stand
    (`max(sum by (service) (x))`, `x / on (service) y`), each with its labels but _LISTED_ANYWAY's: one none of whose
    labels a series under it carries makes one group, or matches every series of one side with every one of the
    other, which no list was written for. Not `without` or `ignoring`: a label they drop that no series carries is
    dropped already (a recording rule's series without `instance`), as meant. Left out as in fallback_label_lists;
    () for a query promql-parser cannot parse."""
    from analyzer.promql_syntax import parsed

    try:
        root = parsed(query)
    except ValueError:  # the offline parse reports it
        return ()
    found: list[LabelList] = []
    for node, around in _beside_fallbacks(root, lists=True, every=True):
        if type(node).__name__ == "AggregateExpr":
            modifier, mode, over = node.modifier, "by", node.expr
            grouping = str(modifier.type).endswith("By")
        else:
            modifier, mode, over = node.modifier.matching, "on", node
            grouping = str(modifier.type).endswith("Include")
        labels = _checked(tuple(modifier.labels))
        if not grouping or not labels:
            continue
        reads, written = _reads_under(over, around)
        if reads is None or written & set(labels):
            continue
        found.append(LabelList(f"{mode} ({', '.join(modifier.labels)})", labels, reads))
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class DroppedLabels:
    """A `by` list (`by (service)`, as written) some of whose labels the expression under it cannot carry, as
    `_labels_at_most` tells (an inner `sum by (code)` keeps `code` alone) or `_labels_removed` (an inner `sum without
    (service)`): those labels, and those it carries at most (None: any other label, under a `without`)."""

    written: str
    dropped: tuple[str, ...]
    carried: frozenset[str] | None
    # Whether the list keeps none of its labels (but _LISTED_ANYWAY's): it makes one group.
    does_nothing: bool


def dropped_list_labels(query: str) -> tuple[DroppedLabels, ...]:
    """The `by` lists of `query`'s aggregations naming labels an aggregation under them dropped already
    (`max(sum by (service) (sum by (code) (x)))`: service is on no series the outer sum reads, whatever the metric
    has); () for a query promql-parser cannot parse."""
    from analyzer.promql_syntax import parsed

    try:
        root = parsed(query)
    except ValueError:  # the offline parse reports it
        return ()
    found: list[DroppedLabels] = []
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        pending += _children(node)
        if type(node).__name__ != "AggregateExpr" or node.modifier is None:
            continue
        labels = _checked(tuple(node.modifier.labels))
        if not str(node.modifier.type).endswith("By") or not labels:
            continue
        carried = _labels_at_most(node.expr)
        removed = _labels_removed(node.expr) if carried is None else frozenset()
        dropped = tuple(label for label in labels if label not in carried) if carried is not None else ()
        dropped = dropped or tuple(label for label in labels if label in removed)
        if dropped:
            written = f"by ({', '.join(node.modifier.labels)})"
            found.append(DroppedLabels(written, dropped, carried, len(dropped) == len(labels)))
    return tuple(dict.fromkeys(found))


def _labels_removed(node: Any) -> frozenset[str]:
    """The label names no element `node` answers carries, for certain: those a `without` aggregation under it removed
    (`sum without (service) (x)`), unless written back above it (label_replace); none when unsure. What
    `_labels_at_most` cannot bound (a `without` keeps every other label)."""
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
            node = node.expr
        elif kind == "Call" and node.func.name in _KEEPING_LABELS and node.args:
            node = node.args[0]
        elif kind == "Call" and node.func.name == "histogram_quantile" and len(node.args) == 2:
            node = node.args[1]  # each quantile keeps its buckets' labels; `le`, which it drops, no list is judged on
        elif kind == "Call" and node.func.name in _OVER_A_SUBQUERY and node.args:
            # Each series of its range keeps its labels (`max_over_time(sum without (service) (x)[10m:1m])`).
            node = node.args[-1]
        else:
            break
    if kind == "Call" and node.func.name in _RELABELLING and len(node.args) > 1:
        written = getattr(node.args[1], "val", None)
        # A label written here is on its elements again, whatever was removed under the call.
        below = _labels_removed(node.args[0]) if isinstance(written, str) else frozenset()
        return below - {written}
    if kind == "AggregateExpr":
        op, modifier = str(node.op).lower(), node.modifier
        if op not in _GROUPING:
            # topk, bottomk, limitk keep their operand's elements; count_values writes a label of its own.
            return _labels_removed(node.expr) if op != "count_values" else frozenset()
        if modifier is not None and not str(modifier.type).endswith("By"):
            return frozenset(modifier.labels) | _labels_removed(node.expr)
        return frozenset()
    if kind == "BinaryExpr":
        if str(node.op).lower() in _LEFT_SIDE:
            return _labels_removed(node.lhs)
        # An element of the answer carries labels of one side (or both: `or`, a group_left's copies): a label is gone
        # only where both sides removed it (a side without labels, a number or vector(0), removes every one).
        sides = [side for side in (node.lhs, node.rhs) if _labels_at_most(side) != frozenset()]
        return frozenset.intersection(*(_labels_removed(side) for side in sides)) if sides else frozenset()
    return frozenset()


def relabelled_sources(query: str) -> tuple[LabelList, ...]:
    """The source labels of each label_replace() and label_join() of `query` (not the empty name, which sets a
    constant, nor `__name__`), written `label_replace(..., "servce", ...)`, with the metric names of the selectors
    under it: none of them on a series read, the call writes its target from nothing (empty, or not at all), and a
    `by` of that target makes one group; but a target `kept` (see LabelList) that a series read has is a fallback,
    as meant. Left out: sources or a kept target the query writes below the call, and calls over a selector whose
    names cannot be told; () for a query promql-parser cannot parse."""
    from analyzer.promql_syntax import parsed

    try:
        root = parsed(query)
    except ValueError:  # the offline parse reports it
        return ()
    found: list[LabelList] = []
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        kind = type(node).__name__
        if kind == "Call" and node.func.name in _RELABELLING and node.args:
            sources = tuple(
                arg.val
                for arg in node.args[_RELABELLING[node.func.name]]
                if isinstance(getattr(arg, "val", None), str) and arg.val and arg.val != "__name__"
            )
            reads, written = _reads_under(node.args[0], Reach(0.0, 0.0, None))
            kept = _kept_target(node)
            if sources and reads is not None and not written & set(sources) and kept not in written:
                shown = ", ".join(json.dumps(source) for source in sources)
                found.append(LabelList(f"{node.func.name}(..., {shown}, ...)", sources, reads, kept=kept))
        pending += [child for child in _children(node) if child is not None]
    return tuple(dict.fromkeys(found))


def _kept_target(call: Any) -> str:
    """The target label of label_replace() `call` when its regex does not match the empty value, which a missing
    source label reads as: Prometheus leaves such a series as it is ("" for label_join(), which always writes, and
    for a regex Python cannot read, as if it matched)."""
    if call.func.name != "label_replace" or len(call.args) != 5:
        return ""
    target, regex = (getattr(call.args[i], "val", None) for i in (1, 4))
    if not isinstance(target, str) or not isinstance(regex, str):
        return ""
    try:
        return "" if re.fullmatch(regex, "") else target
    except (re.error, RecursionError):
        # RecursionError: groups nested deeper than re's parser recurses, which RE2 takes (up to 1000).
        return ""


def _children(node: Any) -> list[Any]:
    """The expressions directly under `node`."""
    kind = type(node).__name__
    if kind == "BinaryExpr":
        return [node.lhs, node.rhs]
    if kind in ("ParenExpr", "UnaryExpr", "AggregateExpr", "SubqueryExpr"):
        return [node.expr]
    if kind == "Call":
        return list(node.args)
    return []


def _reads_under(root: Any, around: Reach) -> tuple[tuple[tuple[tuple[str, ...], Reach], ...] | None, set[str]]:
    """The metric names of each selector under `root` (absent()'s left out), with the samples it reads, and the labels
    the query writes there (label_replace's and label_join's target, count_values' label, absent()'s equality
    matchers); None for the selectors when one of them has no names to tell (a regex)."""
    from analyzer.promql_names import selectors_written

    reads: list[tuple[tuple[str, ...], Reach]] = []
    written: set[str] = set()
    pending: list[tuple[Any, Reach]] = [(root, around)]
    while pending:
        node, around = pending.pop()
        kind = type(node).__name__
        if kind in ("VectorSelector", "MatrixSelector"):
            selector = node if kind == "VectorSelector" else node.vector_selector
            range_s = _LOOKBACK_S if kind == "VectorSelector" else node.range.total_seconds()
            try:
                ((vector, _),) = selectors_written(str(selector))
            except ValueError:
                return None, written
            names = (selector.name,) if selector.name else vector.names
            if not names:
                return None, written
            reads.append((names, _read_by(selector, range_s, around)))
        elif kind == "SubqueryExpr":
            step_s = node.step.total_seconds() if node.step is not None else _DEFAULT_STEP_S
            pending.append((node.expr, _read_by(node, node.range.total_seconds() + step_s, around)))
        elif kind == "BinaryExpr":
            pending += [(node.lhs, around), (node.rhs, around)]
        elif kind == "AggregateExpr":
            if node.param is not None and type(node.param).__name__ == "StringLiteral":
                written.add(node.param.val)
            pending.append((node.expr, around))
        elif kind in ("ParenExpr", "UnaryExpr"):
            pending.append((node.expr, around))
        elif kind == "Call":
            name = node.func.name
            if name in _CONSTANT_CALLS:
                written.update(_equal_labels(node.args))
                continue
            if name in _RELABELLING and len(node.args) > 1 and isinstance(getattr(node.args[1], "val", None), str):
                written.add(node.args[1].val)
            pending += [(arg, around) for arg in node.args if arg is not None]
    return tuple(dict.fromkeys(reads)), written


def _equal_labels(args: list[Any]) -> set[str]:
    """The labels of absent()'s answer: those its selector's equality matchers name."""
    from analyzer.promql_names import selectors_written

    labels: set[str] = set()
    for arg in args:
        selector = arg.vector_selector if type(arg).__name__ == "MatrixSelector" else arg
        if type(selector).__name__ != "VectorSelector":
            continue
        try:
            for vector, _ in selectors_written(str(selector)):
                labels.update(label for label, op, _ in vector.matchers if op == "=")
        except ValueError:
            continue
    return labels


@functools.lru_cache(maxsize=_PROBES_KEPT)
def answer_label_list(query: str) -> LabelList | None:
    """The `by` list of the aggregation whose groups are the answer of `query` (`sum by (pod) (x) / sum by (pod) (y)`,
    `max by (pod) (x) > 0.5`), when every series of the answer carries its labels that a series read had: an answer
    none of whose series carries any of them was read from series none of which had one (the list did nothing: one
    group), on its labels but _LISTED_ANYWAY's (`histogram_quantile(0.99, sum by (le, service) (...))`: service) and
    but those a one-to-one match on the way leaves out (`sum by (pod, code) (x) / on (pod) ...`: pod); or its
    `without` list (`sum without (pod) (x)`), never `whole`: no series of the answer carries its labels, and only the
    series read tell whether it dropped any. None for any other query, a list naming a label the query writes or only
    _LISTED_ANYWAY's, or one promql-parser cannot parse."""
    from analyzer.promql_syntax import parsed

    try:
        node = parsed(query)
    except ValueError:
        return None
    # The labels a one-to-one match on the way keeps (`on (pod)`: pod alone, None: all) and drops (`ignoring (code)`).
    kept: frozenset[str] | None = None
    dropped: frozenset[str] = frozenset()
    whole = True
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        whole = whole and not _filters(node)
        if kind in ("ParenExpr", "UnaryExpr"):
            node = node.expr
        elif kind == "Call" and node.func.name in _KEEPING_LABELS and node.func.name != "scalar" and node.args:
            node = node.args[0]
        elif kind == "Call" and node.func.name == "histogram_quantile" and len(node.args) == 2:
            node = node.args[1]  # its answer keeps its buckets' labels but `le`
        elif kind == "Call" and node.func.name in _OVER_A_SUBQUERY and type(node.args[-1]).__name__ == "SubqueryExpr":
            node = node.args[-1].expr  # `max_over_time((sum by (pod) (...))[10m:1m])`: each series over time
        elif kind == "AggregateExpr" and str(node.op).lower() in _PICKING:
            node = node.expr  # `topk(3, sum by (pod) (...))`: the series it picks, as they are
        elif kind == "BinaryExpr" and _keeps_left_labels(node):
            node = node.rhs if type(node.lhs).__name__ == "NumberLiteral" else node.lhs
        elif kind == "BinaryExpr" and (matching := _one_to_one(node)) is not None:
            # Prometheus gives a one-to-one match's answer the left side's labels but those the list leaves out.
            on, listed = matching
            if on:
                kept = listed if kept is None else kept & listed
            else:
                dropped |= listed
            node = node.lhs
        else:
            break
    if kind != "AggregateExpr" or str(node.op).lower() not in _GROUPING or not _label_list(node):
        return None
    by = str(node.modifier.type).endswith("By")
    labels = tuple(
        label
        for label in _checked(tuple(node.modifier.labels))
        # A without's labels are on no series of the answer, whatever a match on the way keeps.
        if not by or ((kept is None or label in kept) and label not in dropped)
    )
    reads, written = _reads_under(node.expr, Reach(0.0, 0.0, None))
    # A without over no selector (`vector(1) or ...`) reads no series whose labels could tell.
    if reads is None or written & set(labels) or not labels or not (by or reads):
        return None
    # The answer of a without never shows its labels: only where the list reads can tell whether they are there.
    return LabelList(f"{'by' if by else 'without'} ({', '.join(node.modifier.labels)})", labels, reads, whole and by)


class Division(NamedTuple):
    """The division at the top of a query: its left (error) and right (total) sides as PromQL, and the labels it
    matches them on (`on`: those listed; else every label but the metric name and those `ignoring` lists)."""

    errors: str
    total: str
    on: tuple[str, ...] | None
    ignoring: tuple[str, ...]
    # Whether no element of either side can carry a label the division matches on (`sum(...) / sum(...)`): each
    # error then matches the total, and no series need be read to tell.
    label_free: bool
    # Whether no element of the error side can carry any label (`sum(...) or vector(0)`): a label-less error element
    # is then what that side answers whenever it counts, fallback or not.
    errors_label_less: bool = False

    def matched(self, labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        """What the division matches an element with `labels` on (a label it lacks matching an empty one)."""
        if self.on is not None:
            return tuple((name, labels.get(name, "")) for name in self.on)
        left_out = {"__name__", *self.ignoring}
        return tuple(sorted((name, value) for name, value in labels.items() if name not in left_out))


def division_sides(query: str) -> Division | None:
    """The division at the top of `query` (`(sum(rate(e[5m])) or vector(0)) / (sum(rate(r[5m])))`, as Sloth records a
    ratio); None when the query is no division or promql-parser cannot parse it. An error element the division drops
    is one whose matched labels (see Division.matched) no total element has: only the series each side answers tell
    (`sum by (code) (...)` over series without `code` is one label-less group, matched)."""
    from analyzer.promql_syntax import parsed

    try:
        node = _unwrapped(parsed(query))
    except ValueError:  # the offline parse reports it
        return None
    if type(node).__name__ != "BinaryExpr" or str(node.op) != "/":
        return None
    matching = node.modifier.matching if node.modifier is not None else None
    on = tuple(matching.labels) if matching is not None and str(matching.type).endswith("Include") else None
    ignoring = tuple(matching.labels) if matching is not None and on is None else ()
    free = True
    for side in (node.lhs, node.rhs):
        labels = _labels_at_most(side)
        free = free and labels is not None and not (labels & set(on) if on is not None else labels - set(ignoring))
    sides = _division_text(query)
    label_less = _labels_at_most(node.lhs) == frozenset()
    return Division(*sides, on, ignoring, free, label_less) if sides is not None else None


# What follows a division's `/` before its right side: its matching and grouping modifiers.
_DIVISION_MODIFIERS_RE = re.compile(
    r"\s*(?:(?:on|ignoring)\s*\([^()]*\))?\s*(?:(?:group_left|group_right)(?:\s*\([^()]*\))?)?", re.IGNORECASE
)


def _division_text(query: str) -> tuple[str, str] | None:
    """The left and the right side of the division at the top of `query` (parsed as one) as written, so that their
    strings and regular expressions are sent as the rule has them (promql-parser writes a parsed string unescaped):
    around the last `/` outside brackets, strings and comments (`/` is left-associative, and an operator binding less
    tightly at that depth would be the top instead); None when there is no such `/`."""
    blank = promql_blanked(query)
    depth, last = 0, -1
    for index, char in enumerate(blank):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "/" and depth == 0:
            last = index
    if last < 0:
        # Parenthesised whole: `((a) / (b))`.
        stripped = blank.strip()
        if not (stripped.startswith("(") and stripped.endswith(")")):
            return None
        start = blank.index("(")
        end = blank.rindex(")")
        return _division_text(query[:start] + " " + query[start + 1 : end] + " " + query[end + 1 :])
    modifiers = _DIVISION_MODIFIERS_RE.match(query, last + 1)
    right = query[modifiers.end() if modifiers is not None else last + 1 :]
    return query[:last].strip(), right.strip()


def _filters(node: Any) -> bool:
    """Whether `node` may answer some of its operand's series only: a comparison without `bool`, `and`, `unless`,
    topk or bottomk."""
    kind = type(node).__name__
    if kind == "AggregateExpr":
        return str(node.op).lower() in _PICKING
    if kind != "BinaryExpr":
        return False
    op = str(node.op).lower()
    if op in _LEFT_SIDE:
        return True
    return op in {"==", "!=", ">", "<", ">=", "<="} and not (node.modifier is not None and node.modifier.return_bool)


# Functions over a range answering one series per series of it, with its labels; aggregations that pick series.
_OVER_A_SUBQUERY = frozenset(
    {
        *("avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time"),
        *("quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time"),
    }
)
_PICKING = frozenset({"topk", "bottomk"})


def _one_to_one(node: Any) -> tuple[bool, frozenset[str]] | None:
    """For binary `node` matching two vectors one-to-one by a label list (`x / on (pod) y`, `x > ignoring (code) y`):
    whether the list is `on`, and its labels; None for any other."""
    if any(type(side).__name__ == "NumberLiteral" for side in (node.lhs, node.rhs)):
        return None
    modifier = node.modifier
    if str(node.op).lower() in {"or", *_LEFT_SIDE} or modifier is None or modifier.matching is None:
        return None
    if not str(modifier.card).endswith("OneToOne"):
        return None
    return str(modifier.matching.type).endswith("Include"), frozenset(modifier.matching.labels)


def _keeps_left_labels(node: Any) -> bool:
    """Whether binary `node`'s answer has its vector side's labels: a number on one side, or the left side's with no
    label list (same labels on both sides) or group_left, or `and` / `unless` (the left side's elements)."""
    scalars = [type(side).__name__ == "NumberLiteral" for side in (node.lhs, node.rhs)]
    if any(scalars):
        return not all(scalars)
    op = str(node.op).lower()
    if op == "or":
        return False
    if op in _LEFT_SIDE:
        return True
    modifier = node.modifier
    if modifier is None or modifier.matching is None:
        return True
    return str(modifier.card).endswith("ManyToOne") and not modifier.group_labels


def share_of_itself(query: str) -> str | None:
    """The metric whose series `query` divides, at its top level, by more of the same: `sum(rate(x{code=~"5.."}[5m]))
    / sum(rate(x[5m]))` (the left side's matchers those of the right side and more, its count alone under an `or`
    fallback, both sides read alike: the same rate or increase over the same range, under the same sum, count or
    max), whose value is a share between 0 and 1; a histogram's `_bucket{le="0.3"}` over its `_bucket{le="+Inf"}`
    or `_count` is one too, and so are 1 minus a share and a share over all of them kept above 0 (`/ (sum(...) > 0)`).
    None for any other query, or one promql-parser cannot parse."""
    sides = _divided(query)
    if sides is None:
        return None
    left, right = sides
    (left_name, left_matchers), (right_name, right_matchers) = left[1], right[1]
    everything = right_name == left_name.removesuffix("_bucket") + "_count" or ("le", "=", "+Inf") in right_matchers
    if left_name.endswith("_bucket") and everything:
        # The +Inf bucket counts every observation, as `_count` does: one bucket (`le="0.3"`) is a part of it, but
        # several (`le=~"0.1|0.3"`) may sum to more.
        if [op for name, op, _ in left_matchers if name == "le"] != ["="]:
            return None
        right_name, right_matchers = left_name, right_matchers - {("le", "=", "+Inf")}
    if left_name != right_name or not right_matchers < left_matchers:
        return None
    return left_name


def share_of_failures(query: str) -> tuple[str, str] | None:
    """The two metrics `query` divides, at its top level, as share_of_itself reads a share, when the left one's name
    counts failures and the right one's does not (`sum(rate(payments_failed_total[5m])) /
    sum(rate(payments_total[5m]))`, `errors_total / requests_total`, both read alike): failures over all of them, a
    share between 0 and 1. None for any other query, or one promql-parser cannot parse."""
    sides = _divided(query)
    if sides is None:
        return None
    (_, (left_name, _)), (_, (right_name, _)) = sides
    failing = [bool(_FAILURE_WORDS.intersection(re.split(r"[_:]+", name.lower()))) for name in (left_name, right_name)]
    return (left_name, right_name) if left_name != right_name and failing == [True, False] else None


# The words of a metric name (split at `_` and `:`) that say it counts failures.
_FAILURE_WORDS = frozenset(
    {"error", "errors", "fail", "failed", "failure", "failures", "5xx", "rejected", "timeout", "timeouts", "dropped"}
)


def _divided(query: str) -> tuple[_Counted, _Counted] | None:
    """The two sides of the division at the top of `query`, each read as _counted, when both are read alike (the same
    shape): past what keeps their values (a filter, `and`, a constant fallback), 1 minus it, an `or` constant on the
    left side and a filter against a number on the right one (`/ (sum(...) > 0)`); None otherwise."""
    from analyzer.promql_syntax import parsed

    try:
        node = _unwrapped(parsed(query))
    except ValueError:  # the offline parse reports it
        return None
    node = _values_kept(node)
    if _number(node, "lhs", 1.0) and str(node.op) == "-":
        node = _unwrapped(node.rhs)  # 1 minus a share (`1 - successes / all`) is one too
    if type(node).__name__ != "BinaryExpr" or str(node.op) != "/":
        return None
    part, whole = _unwrapped(node.lhs), _unwrapped(node.rhs)
    if type(part).__name__ == "BinaryExpr" and str(part.op).lower() == "or" and _constant(part.rhs):
        part = _unwrapped(part.lhs)
    if _number(whole, "rhs") and str(whole.op) in _FILTERS and not (whole.modifier and whole.modifier.return_bool):
        whole = _unwrapped(whole.lhs)  # `all > 0` keeps the values it keeps: it only spares a division by zero
    left, right = _counted(part), _counted(whole)
    if left is None or right is None or left[0] != right[0]:
        return None
    return left, right


def _values_kept(node: Any) -> Any:
    """What gives `node`'s values when it only keeps some of them: the vector side of a filter against a number (`x >
    0`, not `> bool`), the left side of an `and` or `unless` (`x and on() traffic > 1`), the measured side of an `or`
    beside a constant (`x or vector(0)`); `node` itself otherwise."""
    for _ in range(_MAX_LAYERS):
        if type(node).__name__ != "BinaryExpr":
            break
        op = str(node.op).lower()
        if op in _FILTERS and not (node.modifier and node.modifier.return_bool) and _number(node, "rhs"):
            node = _unwrapped(node.lhs)
        elif op in _FILTERS and not (node.modifier and node.modifier.return_bool) and _number(node, "lhs"):
            node = _unwrapped(node.rhs)
        elif op in _LEFT_SIDE or (op == "or" and _constant(node.rhs)):
            node = _unwrapped(node.lhs)
        else:
            break
    return node


# The aggregations whose answer for part of the series is no more than for all of them, and the functions of a
# counter's series that are never negative.
_PART_KEEPING = frozenset({"sum", "count", "max"})
_COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase"})

# A recording rule of a counter's rate, as Prometheus' naming convention (level:metric:operations) writes it:
# `job:http_requests:rate5m`, `instance:x:increase1h`.
_RATE_RULE_RE = re.compile(r"[A-Za-z0-9_]*:[A-Za-z0-9_]+:(?:i?rate|increase)[A-Za-z0-9_]*")

_Counted = tuple[tuple[str, ...], tuple[str, frozenset[tuple[str, str, str]]]]


def _counted(node: Any) -> _Counted | None:
    """(how the selector is read, (its metric name, its matchers)) for a chain of sum / count / max aggregations
    over rate(), irate() or increase() of one selector with a literal name, or over a recording rule named as one
    (`job:x:rate5m`); None for anything else."""
    shape: list[str] = []
    for _ in range(_MAX_LAYERS):
        kind = type(node).__name__
        if kind == "ParenExpr":
            node = node.expr
        elif kind == "AggregateExpr" and str(node.op).lower() in _PART_KEEPING and node.param is None:
            modifier = node.modifier
            labels = () if modifier is None else (str(modifier.type), *sorted(modifier.labels))
            shape.append(f"{str(node.op).lower()}{labels}")
            node = node.expr
        elif kind == "Call" and node.func.name in _COUNTER_FUNCTIONS and len(node.args) == 1:
            matrix = _unwrapped(node.args[0])
            if type(matrix).__name__ != "MatrixSelector":
                return None
            selector = matrix.vector_selector
            if not selector.name or selector.matchers.or_matchers:
                return None
            shape.append(f"{node.func.name}[{matrix.range}] offset {selector.offset} @ {selector.at}")
            matchers = frozenset((m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in selector.matchers.matchers)
            return tuple(shape), (selector.name, matchers)
        elif (
            kind == "VectorSelector"
            and node.name
            and _RATE_RULE_RE.fullmatch(node.name)
            and not node.matchers.or_matchers
        ):
            shape.append(f"recorded offset {node.offset} @ {node.at}")
            matchers = frozenset((m.name, _OPERATORS.get(str(m.op), "?"), m.value) for m in node.matchers.matchers)
            return tuple(shape), (node.name, matchers)
        else:
            return None
    return None


_FILTERS = frozenset({">", ">=", "<", "<=", "==", "!="})


def _number(node: Any, side: str, value: float | None = None) -> bool:
    """Whether `node` is a binary operation whose `side` operand is a number (`value`, when given)."""
    if type(node).__name__ != "BinaryExpr":
        return False
    operand = _unwrapped(getattr(node, side))
    return type(operand).__name__ == "NumberLiteral" and (value is None or float(operand.val) == value)


def _unwrapped(node: Any) -> Any:
    """`node` without the parentheses around it."""
    for _ in range(_MAX_LAYERS):
        if type(node).__name__ != "ParenExpr":
            break
        node = node.expr
    return node


@functools.lru_cache(maxsize=_PROBES_KEPT)
def constant_value(expression: str) -> float | None:
    """The number PromQL `expression` stands for when it reads no series (`0.99`, `(0.99)`, `99 / 100`,
    `scalar(vector(0.99))`, `-1`, `NaN`); None for one that reads series or a time, or one promql-parser cannot
    parse."""
    from analyzer.promql_syntax import parsed

    try:
        node = parsed(expression)
    except ValueError:
        return None
    if {"VectorSelector", "MatrixSelector"} & _kinds_below(node):
        return None
    answer = _when_empty(node, [_MAX_LAYERS])
    return answer[1] if isinstance(answer, tuple) and answer[0] in ("scalar", "vector") else None


# A scalar() call where a query's strings and comments are blanked (function names are case-sensitive; a name with
# `scalar` at its end, `x_scalar(`, is no call of it).
_SCALAR_CALL_RE = re.compile(r"(?<![A-Za-z0-9_:])scalar\s*\(")


@functools.lru_cache(maxsize=_PROBES_KEPT)
def scalar_arguments(promql: str) -> tuple[str, ...]:
    """The argument of each scalar() call in `promql`, as the query writes it (its comments blanked, its ends
    stripped), each once: what Prometheus reads there, which promql-parser's printing is not (a label value's `\\"`
    printed bare, a regex's `\\\\` as `\\`). Read from the text: a query promql-parser cannot parse has them too."""
    uncommented = promql_blanked(promql, strings=False)
    blank = promql_blanked(promql)
    found: dict[str, None] = {}
    for call in _SCALAR_CALL_RE.finditer(blank):
        depth = 0
        for index in range(call.end(), len(blank)):
            char = blank[index]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    if argument := uncommented[call.end() : index].strip():
                        found[argument] = None
                    break
                depth -= 1
    return tuple(found)
