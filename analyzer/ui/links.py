"""Links to verdict pages, as the API answer, the text line and the `check_evaluated` log give them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from analyzer.models import format_time
from analyzer.quoting import quote, urlencode

UI_PREFIX = "/ui/"


def arg_text(value: object) -> str:
    """An arg as it is written in a query string (numbers as Python writes them, which the params read back)."""
    return value if isinstance(value, str) else repr(value)


def verdict_path(check: str, args: Mapping[str, object], at: datetime) -> str:
    """The page of the evaluation of `check` with `args` at `at`: it shows the recorded answer when this replica
    still holds it, else evaluates again as of `at`."""
    query = urlencode([*((name, arg_text(value)) for name, value in args.items()), ("at", format_time(at))])
    return f"{UI_PREFIX}checks/{quote(check)}/run?{query}"
