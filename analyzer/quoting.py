"""Percent-encoding for URLs built on every evaluation, equal to urllib's but done by `str.translate`.

urllib.parse.quote looks every byte up in a Python dict and joins the pieces: for a PromQL query of a
few hundred characters that is most of the cost of sending it.
"""

from __future__ import annotations

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
# Each byte, read as the Latin-1 character of the same number, to what it is written as.
_QUOTE = {byte: chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in range(256)}
_QUOTE_PLUS = {**_QUOTE, ord(" "): "+"}


def quote(text: str) -> str:
    """`text` percent-encoded as UTF-8, everything but unreserved characters: `urllib.parse.quote(text, safe="")`."""
    # ASCII text is its own UTF-8 read as Latin-1: no round trip through bytes.
    return (text if text.isascii() else text.encode("utf-8").decode("latin-1")).translate(_QUOTE)


def quote_plus(text: str) -> str:
    """`text` percent-encoded as UTF-8, spaces as `+`: `urllib.parse.quote_plus(text, safe="")`, a query string's
    name or value as `urllib.parse.urlencode` writes it."""
    return (text if text.isascii() else text.encode("utf-8").decode("latin-1")).translate(_QUOTE_PLUS)
