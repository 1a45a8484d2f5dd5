"""PromQL text read without a parser: where its strings and comments stand. Its own small module so that a Job's
`prometheus` check (checks/prometheus.py, through analyzer.kinds) and the parser's readers (analyzer.promql_groups,
which a Job of most queries never imports) share one pattern."""

from __future__ import annotations

import re

# A string in any of PromQL's three quotings (a backslash escapes in two of them) or a comment to the end of its line.
_STRING_OR_COMMENT_RE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`|#[^\n]*')


def promql_blanked(query: str, *, strings: bool = True) -> str:
    """`query` with each comment, and each string unless `strings` is False, written as spaces of its length: what
    is left is read as syntax, each character where it was written."""
    if strings:
        return _STRING_OR_COMMENT_RE.sub(lambda match: " " * len(match[0]), query)
    return _STRING_OR_COMMENT_RE.sub(lambda match: " " * len(match[0]) if match[0][0] == "#" else match[0], query)
