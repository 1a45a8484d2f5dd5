"""PromQL text read without a parser: where its strings and comments stand. Its own small module so that a Job's
`prometheus` check (checks/prometheus.py, through analyzer.kinds) and the parser's readers (analyzer.promql_groups,
which a Job of most queries never imports) share one pattern."""

from __future__ import annotations

import re

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
        f"{field}: {function}({name}...) reads a counter as a gauge: {function}() does not see a counter reset, so a "
        "pod that restarts (a crash-looping canary) reads as a drop, a negative count of errors that meets any upper "
        "bound; use increase() for a count, rate() per second: both count on from 0 after a reset"
        for function, name in found
    ]
