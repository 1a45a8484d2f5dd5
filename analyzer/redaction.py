"""What counts as a secret where a request's headers, query or body could be shown back: one rule for the
Prometheus source's error quotes and http_smoke's evidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "<redacted>"
"""What stands in for a hidden value."""

_SECRET_NAME_RE = re.compile(r"auth|token|key|secret|cookie|password|passwd|session|credential", re.IGNORECASE)
# A credential of a common HTTP auth scheme, whatever the header carrying it is named.
_CREDENTIAL_VALUE_RE = re.compile(r"(?i)(basic|bearer|digest|negotiate|token|apikey)\s+\S")


def is_secret_name(name: str) -> bool:
    """Whether a header, query or JSON key of that name holds a secret by default (any case)."""
    return _SECRET_NAME_RE.search(name) is not None


def is_credential_value(value: str) -> bool:
    """Whether a header value is an HTTP credential (`Basic ...`, `Bearer ...`), whatever its header's name."""
    return _CREDENTIAL_VALUE_RE.match(value) is not None


# A URL's user info (`user:password@`, the scheme optional) and its query or fragment: where it carries credentials.
_URL_USER_INFO_RE = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@")
_URL_QUERY_RE = re.compile(r"([?#]).*", re.DOTALL)


def url_for_message(url: str) -> str:
    """`url` as an error message may quote it: its user info and its query or fragment, where credentials stand,
    each shown as REDACTED (a URL that is refused is quoted in logs, /readyz and CI output)."""
    url = _URL_USER_INFO_RE.sub(lambda found: f"{found.group(1) or ''}{REDACTED}@", url, count=1)
    return _URL_QUERY_RE.sub(lambda found: f"{found.group(1)}{REDACTED}", url, count=1)


# A value shorter than this is replaced only where it stands apart from letters, digits, '.', '-' and '_':
# a secret "7" must not blank out the 7 of "127.0.0.1".
_BOUNDED_BELOW_CHARS = 8


def scrubber(values: Iterable[str]) -> Callable[[Any], Any]:
    """A function that replaces every one of `values` with REDACTED in every string of a (nested) JSON-like
    value, leaving anything else as it is."""
    patterns = sorted({v for v in values if v}, key=len, reverse=True)
    if not patterns:
        return lambda node: node
    found = re.compile(
        "|".join(
            re.escape(v) if len(v) >= _BOUNDED_BELOW_CHARS else rf"(?<![\w.-]){re.escape(v)}(?![\w.-])"
            for v in patterns
        )
    )

    def scrub(node: Any) -> Any:
        if isinstance(node, str):
            return found.sub(REDACTED, node)
        if isinstance(node, dict):
            return {key: scrub(value) for key, value in node.items()}
        if isinstance(node, list | tuple):
            return [scrub(item) for item in node]
        return node

    return scrub


# An HTTP parser's quote of the client's line, as Python writes bytes (`b'...'` or `b"..."`), and the caret
# line under it that points into the line as it was.
_QUOTED_LINE_RE = re.compile(r"""\bb('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_CARET_LINE_RE = re.compile(r"^[ \t]*\^[ \t]*\n?", re.MULTILINE)
_HEADER_LINE_RE = re.compile(r"([^\s:]+)(\s*:\s*)(.*)", re.DOTALL)
_QUERY_RE = re.compile(r"\?\S*")


def parser_error_for_log(message: str) -> str:
    """An HTTP parser's error message with the line it quotes from the client shown without credentials: a
    header's value when its name or value is a credential's, a folded line (the rest of a value) whole, and
    any query (a check's secret arg, a token in a Referer)."""

    def hidden(found: re.Match[str]) -> str:
        quote, line = found.group(1)[0], found.group(1)[1:-1]
        header = _HEADER_LINE_RE.fullmatch(line)
        # A folded line (space or tab first; a tab shows escaped) continues the header before it.
        if line.startswith((" ", "\\t")):
            line = REDACTED
        elif header is not None and (is_secret_name(header[1]) or is_credential_value(header[3])):
            line = f"{header[1]}{header[2]}{REDACTED}"
        else:
            line = _QUERY_RE.sub(f"?{REDACTED}", line)
        return f"b{quote}{line}{quote}"

    return _CARET_LINE_RE.sub("", _QUOTED_LINE_RE.sub(hidden, message))
