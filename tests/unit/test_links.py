"""Verdict page links are the check's run page with its args and time, encoded as urllib encodes them."""

from __future__ import annotations

import random
import urllib.parse
from datetime import UTC, datetime, timedelta, timezone

from analyzer.models import format_time
from analyzer.ui.links import verdict_path

_ALPHABET = "aZ09_.-~ /?&=+%#:;,'\"\\ü€\U0001f600\n"


def _urllib_path(check: str, args: dict[str, object], at: datetime) -> str:
    pairs = [(name, value if isinstance(value, str) else repr(value)) for name, value in args.items()]
    query = urllib.parse.urlencode([*pairs, ("at", format_time(at))])
    return f"/ui/checks/{urllib.parse.quote(check, safe='')}/run?{query}"


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 12)))


class TestVerdictPath:
    """The link equals urllib's encoding for any check name, args and time."""

    def test_bench_like_link(self):
        at = datetime.fromtimestamp(1796398860, UTC)
        assert verdict_path("error-rate", {"canary_hash": "h0001"}, at) == (
            "/ui/checks/error-rate/run?canary_hash=h0001&at=2026-12-04T15%3A41%3A00.000Z"
        )

    def test_equal_to_urllib_on_random_input(self):
        rng = random.Random(13)
        for _ in range(2000):
            args: dict[str, object] = {}
            for _ in range(rng.randint(0, 3)):
                args[_text(rng)] = rng.choice([_text(rng), rng.randint(-5, 10**6), rng.uniform(-1e6, 1e6)])
            zone = timezone(timedelta(minutes=rng.randint(-720, 720)))
            at = datetime.fromtimestamp(rng.uniform(0, 4e9), zone).replace(microsecond=rng.randint(0, 999_999))
            check = _text(rng)
            assert verdict_path(check, args, at) == _urllib_path(check, args, at), (check, args, at)
