"""What counts as a secret where a request's headers, query or body could be shown back: one rule for the
Prometheus source's error quotes and http_smoke's evidence."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

REDACTED = "<redacted>"
"""What stands in for a hidden value."""

_SECRET_NAME_RE = re.compile(r"auth|token|key|secret|cookie|password|passwd|session|credential", re.IGNORECASE)
# A credential of a common HTTP auth scheme, whatever the header carrying it is named.
_CREDENTIAL_VALUE_RE = re.compile(r"(?i)(basic|bearer|digest|negotiate|token|apikey)\s+\S")
# An HTTP auth scheme (RFC 9110 token) before the credential of an Authorization-like header.
_AUTH_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")


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


EVALUATION_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("evaluation_secrets", default=())
"""The secret values of the evaluation running in this context (its secret args, in the forms a query holds
them): a source quoting an upstream answer hides them before it cuts the quote, for half a secret cut by the
quote's end is still half a secret, and no scrub of the whole value finds it after."""

# A value shorter than this is replaced only where it stands apart from letters, digits, '.', '-' and '_':
# a secret "7" must not blank out the 7 of "127.0.0.1".
_BOUNDED_BELOW_CHARS = 8
# The mark of models.clip, and the fewest characters of a value before it that are hidden (fewer tell nothing).
_CLIP_MARK = "..."
_MIN_CLIPPED_CHARS = 4
# A value shorter than _BOUNDED_BELOW_CHARS starting right after one of these is part of another word.
_WORD_BEFORE_RE = re.compile(r"(?<=[\w.-])")
# Characters an encoder writes as themselves: no other form of them is looked for.
_PLAIN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def credential_forms(value: str) -> list[str]:
    """A credential header's value and the forms a server may quote it in: without its auth scheme
    (`Bearer x` -> `x`) and, for Basic, the decoded `user:password` and the password alone."""
    forms = [value]
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if not credential or not _AUTH_SCHEME_RE.fullmatch(scheme):
        return forms
    forms.append(credential)
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(credential, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return forms
        forms += [pair, pair.partition(":")[2]]
    return forms


def encoded_pattern(value: str) -> str:
    """A regex for `value` as written or as a server or proxy may re-encode it when it echoes it: each character
    as itself, percent-encoded (its UTF-8 bytes, hex in either case; a space also as '+'), as a JSON string
    escapes it (`\\"`, `\\/`, `\\u00XX`) or as HTML does (`&amp;`, `&#38;`, `&#x26;`). Each character on its own:
    encoders differ in what they leave bare, so no fixed set of encoded forms covers them."""
    pattern = []
    for char in value:
        if char in _PLAIN_CHARS:
            pattern.append(char)
            continue
        forms = [re.escape(char), "".join(f"%(?i:{byte:02X})" for byte in char.encode("utf-8", "surrogatepass"))]
        if char == " ":
            forms.append(r"\+")
        if char in _JSON_ESCAPES:
            forms.append(re.escape(_JSON_ESCAPES[char]))
        units = char.encode("utf-16-be", "surrogatepass")
        # As JSON writes any character: one \uXXXX per UTF-16 unit (a surrogate pair beyond the BMP).
        forms.append("".join(rf"\\(?i:u{units[i] << 8 | units[i + 1]:04X})" for i in range(0, len(units), 2)))
        if char in _HTML_ESCAPES:
            forms += [re.escape(_HTML_ESCAPES[char]), f"&#0*{ord(char)};", f"&#(?i:x)0*(?i:{ord(char):X});"]
        pattern.append(f"(?:{'|'.join(forms)})")
    return "".join(pattern)


class Hider:
    """Finds secret values in text, as written or re-encoded (`encoded_pattern`): `anywhere` values wherever they
    appear, `words` only where they stand apart from letters, digits, '.', '-' and '_'."""

    def __init__(self, anywhere: Iterable[str], words: Iterable[str] = ()) -> None:
        found = {(value, False) for value in anywhere if value} | {(value, True) for value in words if value}
        self._values = sorted(found)
        # A lookahead finds every start, so that two values overlapping in the text both count.
        self._patterns = [
            re.compile(
                rf"(?=((?<![\w.-]){encoded_pattern(value)}(?![\w.-])))"
                if bounded
                else rf"(?=({encoded_pattern(value)}))"
            )
            for value, bounded in sorted(found)
        ]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the values stand in `text`, and where a clip left the start of one before its `...` mark (half a
        secret is still half a secret), overlapping spans merged, in order."""
        spans = [found.span(1) for pattern in self._patterns for found in pattern.finditer(text)]
        if _CLIP_MARK in text:
            spans += self._clipped(text)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def _clipped(self, text: str) -> list[tuple[int, int]]:
        """The spans of a value's start (at least _MIN_CLIPPED_CHARS of it) and the clip mark right after it."""
        found = []
        mark = text.find(_CLIP_MARK)
        while mark != -1:
            for value, bounded in self._values:
                head = value[:_MIN_CLIPPED_CHARS]
                # Earliest first: the longest start, so the whole of what the clip left goes.
                at = text.find(head, max(0, mark - len(value) + 1), mark)
                while at != -1:
                    if value.startswith(text[at:mark]) and not (bounded and _WORD_BEFORE_RE.match(text, at)):
                        found.append((at, mark + len(_CLIP_MARK)))
                        break
                    at = text.find(head, at + 1, mark)
            mark = text.find(_CLIP_MARK, mark + 1)
        return found

    def hide(self, text: str, spans: list[tuple[int, int]] | None = None) -> str:
        """`text` with every value (or `spans`, found by `spans` in it) replaced by REDACTED."""
        shown: list[str] = []
        done = 0
        for start, end in self.spans(text) if spans is None else spans:
            shown += (text[done:start], REDACTED)
            done = end
        return "".join(shown) + text[done:]


def scrubber(values: Iterable[str]) -> Callable[[Any], Any]:
    """A function that replaces every one of `values`, as written or re-encoded (`encoded_pattern`), with
    REDACTED in every string of a (nested) JSON-like value, leaving anything else as it is."""
    values = {v for v in values if v}
    hider = Hider(
        (v for v in values if len(v) >= _BOUNDED_BELOW_CHARS), (v for v in values if len(v) < _BOUNDED_BELOW_CHARS)
    )
    if not hider:
        return lambda node: node

    def scrub(node: Any) -> Any:
        if isinstance(node, str):
            return hider.hide(node)
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
