"""Tests of analyzer.quoting: the same bytes as urllib's quote and quote_plus, for any text."""

from __future__ import annotations

import random
import urllib.parse

from analyzer.quoting import quote, quote_plus

_ALPHABET = [chr(i) for i in range(0x300)] + ["é", "€", "😀", " ", "+", "&", "=", "%", "/", "~", "\u2028"]


def _texts(count: int) -> list[str]:
    rng = random.Random(13)
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(count)]
    # ASCII alone too, which is quoted without its round trip through bytes.
    return texts + ["".join(rng.choice(_ALPHABET[:128]) for _ in range(rng.randint(0, 40))) for _ in range(count)]


class TestQuoting:
    """Every byte urllib escapes is escaped alike (UTF-8, upper-case hex); spaces are `+` in query pairs."""

    def test_quote_matches_urllib(self):
        for text in [*_texts(3000), 'sum(rate(x{a="b",c=~"5.."}[5m])) / 2', "a b+c", ""]:
            assert quote(text) == urllib.parse.quote(text, safe=""), text

    def test_quote_plus_matches_urllib(self):
        for text in [*_texts(3000), "a b+c", ""]:
            assert quote_plus(text) == urllib.parse.quote_plus(text, safe=""), text
            assert f"a={quote_plus(text)}" == urllib.parse.urlencode([("a", text)]), text
