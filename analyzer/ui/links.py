"""Links to verdict pages, as the API answer, the text line and the `check_evaluated` log give them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime

from analyzer.models import format_time
from analyzer.quoting import quote, quote_plus

UI_PREFIX = "/ui/"


def arg_text(value: object) -> str:
    """An arg as it is written in a query string (numbers as Python writes them, which the params read back)."""
    return value if isinstance(value, str) else repr(value)


@functools.lru_cache(maxsize=1024)
def _run_path(check: str) -> str:
    # A check's name is encoded once, not on every evaluation (bounded: names come from catalogs).
    return f"{UI_PREFIX}checks/{quote(check)}/run?"


@functools.lru_cache(maxsize=1024)
def _query_name(name: str) -> str:
    # A param's name is encoded once too (bounded: params come from catalogs).
    return f"{quote_plus(name)}="


def verdict_path(check: str, args: Mapping[str, object], at: datetime, at_text: str | None = None) -> str:
    """The page of the evaluation of `check` with `args` at `at`: it shows the recorded answer when this replica
    still holds it, else evaluates again as of `at`; `at_text`: `format_time(at)`, when the caller has it."""
    return verdict_path_head(check, args) + at_query(at, at_text)


def verdict_path_head(check: str, args: Mapping[str, object]) -> str:
    """`verdict_path` up to its `at=`: what depends on the check and its args alone (the runner keeps it with the
    args of a check asked again with the same ones)."""
    if not args:
        return _run_path(check)
    # What urllib's urlencode writes for the pairs, from a list: joining nested generators cost twice as much.
    query = [_run_path(check)]
    for name, value in args.items():
        # arg_text's rule, without its call.
        query += (_query_name(name), quote_plus(value if isinstance(value, str) else repr(value)), "&")
    return "".join(query)


def at_query(at: datetime, at_text: str | None = None) -> str:
    """The `at=` pair that ends `verdict_path`; `at_text`: `format_time(at)`, when the caller has it."""
    # The time is digits, '-', 'T', '.', 'Z' and ':', of which only ':' is encoded: no percent-encoding pass.
    return "at=" + (format_time(at) if at_text is None else at_text).replace(":", "%3A")
