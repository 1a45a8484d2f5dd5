"""Judging one `http_smoke` response: assertions, captures and evidence (pure; runs in a worker thread)."""

from __future__ import annotations

import codecs
import contextlib
import html
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import regex

from analyzer.kinds import (
    REDACTED,
    ArgValue,
    HttpExchange,
    TargetBadAnswer,
    _is_naming_member,
    _is_value_member,
    _masked,
    answer_date_s,
    cookie_domain,
    cookie_life_s,
    cookie_path,
    format_value,
    ip_or_none,
    is_credential_value,
    is_public_suffix,
    is_secret_name,
    is_secret_pair,
    may_hide,
    merged_spans,
    secret_shape_spans,
    set_cookie_attributes,
)
from checks.http_smoke.jsonpath import JsonPath, json_equal
from checks.http_smoke.spec import _JSON_NUMBER_RE, Capture, HeaderExpect, JsonExpect, Step, status_range

# Characters of a response body quoted in evidence.
BODY_EVIDENCE_CHARS = 512
_MAX_CAPTURE_CHARS = 1024
# Strings and numbers of an unusable object or list a secret capture points at that are scrubbed one by one;
# past this many the step's body evidence is withheld instead.
_MAX_SECRET_LEAVES = 256
# Characters of the decoded body that body_regex (and a header regex) is searched in. A regex runs in a worker
# thread with a time bound (the `regex` engine releases the GIL and stops at its timeout); the input bound keeps
# what that thread does after a deadline small. Substring assertions are linear and see the whole capped body.
MAX_REGEX_CHARS = 64 * 1024
REGEX_TIMEOUT_S = 1.0
# Every integer of smaller magnitude is a 64-bit float of its own; past it a float may be the rounding of the integer a
# body wrote (9007199254740993 reads as 9007199254740992).
_FLOAT_INTEGERS_EXACT_BELOW = 2**53
# WHATWG Encoding's label table (encodings.json, whatwg/encoding a985b62 of 2026-05): only these labels name a charset
# to a browser. Looked up among Python's codec names instead, `<meta charset="utf-32">` read a UTF-8 error page as
# UTF-32 (browsers know no such label and read on) and body_not_contains passed it. Each encoding is under the codec
# that reads it as browsers do (Shift_JIS is windows-31j, GBK is GB18030, Big5 includes HKSCS, EUC-KR is windows-949,
# US-ASCII and ISO-8859-1 are windows-1252, ISO-8859-9 is windows-1254; the single-byte codecs match WHATWG's indexes,
# but for KOI8-U's 0xAE and 0xBE); CPython's codecs for them are linear. Kept here rather than taken from webencodings
# (0.6.1 holds the same 228 labels): it would give the encoding's name only, as its codecs read GBK (Python's gbk) and
# GB18030 otherwise than browsers, so the codec half is needed here anyway; a dependency and its stubs for a table
# WHATWG seldom changes is not worth it.
_WHATWG_ENCODINGS: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": (
        "csisolatin2",
        "iso-8859-2",
        "iso-ir-101",
        "iso8859-2",
        "iso88592",
        "iso_8859-2",
        "iso_8859-2:1987",
        "l2",
        "latin2",
    ),
    "iso8859-3": (
        "csisolatin3",
        "iso-8859-3",
        "iso-ir-109",
        "iso8859-3",
        "iso88593",
        "iso_8859-3",
        "iso_8859-3:1988",
        "l3",
        "latin3",
    ),
    "iso8859-4": (
        "csisolatin4",
        "iso-8859-4",
        "iso-ir-110",
        "iso8859-4",
        "iso88594",
        "iso_8859-4",
        "iso_8859-4:1988",
        "l4",
        "latin4",
    ),
    "iso8859-5": (
        "csisolatincyrillic",
        "cyrillic",
        "iso-8859-5",
        "iso-ir-144",
        "iso8859-5",
        "iso88595",
        "iso_8859-5",
        "iso_8859-5:1988",
    ),
    "iso8859-6": (
        "arabic",
        "asmo-708",
        "csiso88596e",
        "csiso88596i",
        "csisolatinarabic",
        "ecma-114",
        "iso-8859-6",
        "iso-8859-6-e",
        "iso-8859-6-i",
        "iso-ir-127",
        "iso8859-6",
        "iso88596",
        "iso_8859-6",
        "iso_8859-6:1987",
    ),
    "iso8859-7": (
        "csisolatingreek",
        "ecma-118",
        "elot_928",
        "greek",
        "greek8",
        "iso-8859-7",
        "iso-ir-126",
        "iso8859-7",
        "iso88597",
        "iso_8859-7",
        "iso_8859-7:1987",
        "sun_eu_greek",
    ),
    "iso8859-8": (
        "csiso88598e",
        "csiso88598i",
        "csisolatinhebrew",
        "hebrew",
        "iso-8859-8",
        "iso-8859-8-e",
        "iso-8859-8-i",
        "iso-ir-138",
        "iso8859-8",
        "iso88598",
        "iso_8859-8",
        "iso_8859-8:1988",
        "logical",
        "visual",
    ),
    "iso8859-10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8_r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8_u": ("koi8-ru", "koi8-u"),
    "mac_roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": (
        "ansi_x3.4-1968",
        "ascii",
        "cp1252",
        "cp819",
        "csisolatin1",
        "ibm819",
        "iso-8859-1",
        "iso-ir-100",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "l1",
        "latin1",
        "us-ascii",
        "windows-1252",
        "x-cp1252",
    ),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": (
        "cp1254",
        "csisolatin5",
        "iso-8859-9",
        "iso-ir-148",
        "iso8859-9",
        "iso88599",
        "iso_8859-9",
        "iso_8859-9:1989",
        "l5",
        "latin5",
        "windows-1254",
        "x-cp1254",
    ),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac_cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gb18030": (
        "chinese",
        "csgb2312",
        "csiso58gb231280",
        "gb18030",
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "gbk",
        "iso-ir-58",
        "x-gbk",
    ),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis"),
    "cp949": (
        "cseuckr",
        "csksc56011987",
        "euc-kr",
        "iso-ir-149",
        "korean",
        "ks_c_5601-1987",
        "ks_c_5601-1989",
        "ksc5601",
        "ksc_5601",
        "windows-949",
    ),
    "replacement": ("csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"),
    "x-user-defined": ("x-user-defined",),
}
_LABEL_CODECS = {label: codec for codec, labels in _WHATWG_ENCODINGS.items() for label in labels}
# What a meta's encoding is read as (WHATWG HTML's prescan): a page whose bytes the prescan read as ASCII is no UTF-16.
_META_CODECS = {"utf-16-be": "utf-8", "utf-16-le": "utf-8", "x-user-defined": "cp1252"}
# x-user-defined reads a byte past ASCII as a private-use character (WHATWG Encoding).
_X_USER_DEFINED = {byte: 0xF780 + byte - 0x80 for byte in range(0x80, 0x100)}
# The lead bytes of the two-byte legacy codecs, by the codec's name. After a lead whose pair maps to nothing, WHATWG
# Encoding drops a non-ASCII second byte with it (only an ASCII one is read again); CPython's codecs read that byte as
# the next lead, which takes the ASCII byte after it along (Shift_JIS `\x81\xe9Error` read as `\ufffd\u98b1rror`).
_LEAD_BYTES = {
    "cp932": (range(0x81, 0xA0), range(0xE0, 0xFD)),
    "euc_jp": (range(0x8E, 0x8F), range(0xA1, 0xFF)),
    "gb18030": (range(0x81, 0xFF),),
    "big5hkscs": (range(0x81, 0xFF),),
    "cp949": (range(0x81, 0xFF),),
}
_LEGACY_ERRORS = "http-smoke-whatwg-replace"
# A GB18030 four-byte sequence by shape (lead, digit, lead, digit); CPython fails the ones that map to no code point.
_GB18030_FOUR_BYTES = re.compile(rb"[\x81-\xfe][0-9][\x81-\xfe][0-9]")


# Where CPython's gb18030 (GB18030-2005) and WHATWG's (GB18030-2022, 0xA3A0 as U+3000) read a byte sequence apart, by
# the character CPython reads: eighteen vertical forms and ideographs that left the private-use area, 0xA8BC and
# 0x8135F437 swapped, and 0xA3A0. CPython's codec reads every character from one sequence only, so a table on its text
# is a table on the bytes.
_GB18030_WHATWG = str.maketrans(
    {
        "\ue5e5": "\u3000",
        "\ue7c7": "\u1e3f",
        "\u1e3f": "\ue7c7",
        **{chr(0xE78D + n): chr(code) for n, code in enumerate((0xFE10, 0xFE12, 0xFE11, *range(0xFE13, 0xFE1A)))},
        **{
            chr(pua): chr(0x9FB4 + n)
            for n, pua in enumerate((0xE81E, 0xE826, 0xE82B, 0xE82C, 0xE832, 0xE843, 0xE854, 0xE864))
        },
    }
)


def _whatwg_replace(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler that replaces a bad byte sequence as WHATWG Encoding does (see _LEAD_BYTES); a byte the
    windows-125x and windows-874 tables leave out in 0x80-0x9F is the C1 control of that number, as there."""
    assert isinstance(exc, UnicodeDecodeError)
    data, end = exc.object, exc.end
    if exc.encoding == "charmap":
        return "".join(chr(b) if 0x80 <= b <= 0x9F else "\ufffd" for b in data[exc.start : end]), end
    if exc.encoding == "gb18030" and end - exc.start == 1:
        if data[exc.start] == 0x80:
            return "\u20ac", end
        if _GB18030_FOUR_BYTES.match(data, exc.start):
            # A four-byte sequence past the last code point is one error, not a lead and three bytes read again.
            return "\ufffd", exc.start + 4
    leads = _LEAD_BYTES.get(exc.encoding, ())
    if end - exc.start == 1 and any(data[exc.start] in r for r in leads) and end < len(data) and data[end] >= 0x80:
        end += 1
    return "\ufffd", end


codecs.register_error(_LEGACY_ERRORS, _whatwg_replace)
# The bytes of an HTML page that browsers search whole for a `<meta>` naming its charset (WHATWG HTML's prescan),
# and that meta: read as Shift_JIS by browsers and as UTF-8 here, a Japanese error page passed
# `body_not_contains: [エラー]`.
# Chrome reads them with its tokenizer, not WHATWG's byte prescan: a meta in the text of a script, title, style or
# textarea names nothing there either (seen in Debian's chromium; the byte prescan read a UTF-8 error page holding
# `document.write('<meta charset=shift_jis>')` as Shift_JIS, and it passed `body_not_contains: [エラー]`).
_META_PRESCAN_BYTES = 1024
# Comments and other tags are skipped whole, their attributes too (a `<meta` quoted in an `<img alt>` is text), and a
# `<meta>`'s attributes read (see _meta_tag): only a `charset`, or the `content` of an
# `http-equiv="Content-Type"`, declares one; a charset quoted elsewhere (a description, a refresh URL, a meta commented
# out or inside another tag's attribute) read a UTF-8 error page in another charset, which then passed
# `body_not_contains: [エラー]`.
_PRESCAN_SPACES = b"\t\n\x0c\r "
_PRESCAN_SPACE_BYTES = frozenset(_PRESCAN_SPACES)
_PRESCAN_SPACES_SLASH = frozenset(_PRESCAN_SPACES + b"/")
_PRESCAN_SPACES_GT = frozenset(_PRESCAN_SPACES + b">")
# Past those bytes Chrome reads on while the page is still in its head (Blink's HTMLMetaCharsetParser, a tokenizer):
# a `<meta>` after a long comment, script or style in `<head>` names the charset too (seen in Debian's chromium: a
# Shift_JIS error page whose meta stood at byte 1100 showed its エラー, read as UTF-8 here it passed
# `body_not_contains: [エラー]`). The head ends at a tag other than these (start or end tag; `<html>` and `<head>` start
# tags aside), and Chrome stops there once past the prescan's bytes; a meta inside a comment, or in the text of a
# title, script or style, names nothing. The whole body held is read, as Chrome read a meta after a 4 MB inline script
# (a cap of 64 KiB read such a Shift_JIS page as UTF-8, and `body_not_contains: [エラー]` passed), but no more than
# this many tags or `<`s: each costs about 6 us, and a head of a million `<link>`s took a second a judged answer.
_HEAD_TAGS = frozenset({b"script", b"noscript", b"style", b"link", b"meta", b"object", b"title", b"base"})
_LATE_META_SCAN_TAGS = 8192
# A comment as the tokenizer reads it: `<!-->` and `<!--->` whole, else up to `-->` or `--!>` (a meta after
# `<!-- x --!>` names the charset in Chrome).
_COMMENT_RE = re.compile(rb"<!--(?:-?>|.*?--!?>)", re.DOTALL)
# The elements whose content Chrome's tokenizer reads as text up to their end tag (`<noscript>`'s is markup there).
_TEXT_ONLY_TAGS = frozenset({b"script", b"style", b"title", b"textarea", b"xmp", b"iframe", b"noembed", b"noframes"})
_TAG_NAME_RE = re.compile(rb"</?([A-Za-z][^\t\n\x0c\r />]*)")
# What changes the state of a script's text (WHATWG HTML 13.2.5.4-27): `<!--` escapes it (`<!-->` and `<!--->` at once
# undo that), `<script` in an escaped text double-escapes it, `-->` ends either, and `</script` ends the double escape,
# or else the script.
_SCRIPT_STATE_RE = re.compile(rb"<!--(?:-?>)?|-->|</?script[\t\n\x0c\r />]", re.IGNORECASE)
# The codecs whose bad bytes WHATWG Encoding reads otherwise than Python's "replace" (see _whatwg_replace).
_WHATWG_REPLACED = frozenset({*_LEAD_BYTES, *(f"cp{n}" for n in range(1250, 1259)), "cp874"})
# The byte order marks a body may start with, and the codec of what follows each (WHATWG Encoding's BOM sniff, plus
# UTF-32's, read as UTF-32 so that an error page in it is seen): UTF-32LE's first, as it starts with UTF-16LE's and
# no text starts with a NUL.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# Response headers that hold an auth challenge (RFC 9110 11.6.1): named like a credential and starting with a scheme
# like one, but what a smoke test of a 401 asserts.
_CHALLENGE_HEADERS = frozenset({"www-authenticate", "proxy-authenticate"})
# Response headers that hold one value (RFC 9110 and the security headers' own RFCs): lines that differ are a
# broken answer, not a list.
_SINGLE_VALUE_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-location",
        "location",
        "etag",
        "last-modified",
        "date",
        "expires",
        "retry-after",
        "age",
        "access-control-allow-origin",
        "strict-transport-security",
        "x-frame-options",
        "x-content-type-options",
    }
)
# The most characters of a body's text a quote searches for secrets to fill its limit: a secret object or list of
# megabytes masked shows almost nothing, and widening to the whole text cost about 0.1 s a quote (each failed body
# assertion quotes the body once).
_QUOTE_WINDOW_CHARS = 64 * 1024
# Held while a worker thread parses and reads a JSON body (see _assess).
_JSON_TURN = threading.Lock()
# What an assertion may expect where a secret stands that is none: JSON's constants, and the names of HTTP auth schemes
# and OAuth token types (RFC 6749 7.1, RFC 9449's DPoP) a `token_type` holds.
_TELLS_NOTHING = frozenset({"true", "false", "null", "bearer", "basic", "digest", "negotiate", "mac", "dpop", "n_a"})
_TOKEN_TYPE_URI = "urn:ietf:params:oauth:token-type:"


# Spring Boot's env endpoint for one property (`/actuator/env/{name}`, under any base path): the property's name is
# the path's last segment, and its answer (`{"property": {"source": ..., "value": ...}, "propertySources": [...]}`)
# holds the value under `value` alone.
_SPRING_ENV_ENTRY_RE = re.compile(r"/env/([^/]+)/?$")


@dataclass(frozen=True)
class SecretNames:
    """The names whose values a check hides: every secret name (`is_secret_name`) but those it lists in
    `not_secret_names` (`shown`, exact names as written), and its own `secret_names` (`extra`, lower case, any
    case)."""

    extra: frozenset[str] = frozenset()
    shown: frozenset[str] = frozenset()

    def hide(self, name: str) -> bool:
        """Whether a value under `name` (a header, a parameter, a JSON member) is hidden."""
        return (is_secret_name(name) and name not in self.shown) or name.lower() in self.extra

    def hides_json(self, name: str, value: Any) -> bool:
        """Whether a JSON `value` under `name` is hidden: a name `hide` hides, or `pass` alone unlisted in `shown`
        holding no result (`is_secret_pair`: `"hunter2"`, an object; not `12`, `"12/12"`, `true`, `null`), as the
        answer's text hides it (`_masked`); a default secret name's value that is what the name counts or names is
        shown (`is_secret_pair`: `"tokens": 5`), one under a name the check lists never."""
        if self.hide(name):
            return name.lower() in self.extra or is_secret_pair(name, json.dumps(value))
        if name in self.shown or not may_hide(name):
            return False
        return isinstance(value, dict | list) or is_secret_pair(name, json.dumps(value))


NO_SECRET_NAMES = SecretNames()
"""A check that lists no secret names and shows none."""


@dataclass(frozen=True)
class Failure:
    """One failed assertion: what was checked, what was expected, what came."""

    assertion: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.assertion}: expected {self.expected}, got {self.got}"


@dataclass(frozen=True)
class Judged:
    """One judged response: failed assertions, usable captured values, the raw values secret captures found
    (usable or not, to be scrubbed from everything shown) and evidence."""

    failures: list[Failure]
    captured: dict[str, ArgValue]
    secrets: list[str]
    evidence: dict[str, Any]
    cookie_scopes: dict[str, CookieScope] = field(default_factory=dict)


@dataclass(frozen=True)
class CookieScope:
    """Where browsers send a cookie an answer set (RFC 6265 5.4): its Domain (or the answer's host alone), its Path
    (or the answer's default path) and whether it is Secure."""

    host: str
    domain: str
    path: str
    secure: bool

    def unsent_to(self, url: str) -> str:
        """Why browsers would not send the cookie with a request to `url`, or "" when they would."""
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.domain and host != self.domain and (not host.endswith(f".{self.domain}") or ip_or_none(host)):
            return f"one for Domain {self.domain}, not {host}"
        if not self.domain and host != self.host:
            return f"one for the host {self.host} alone (no Domain), not {host}"
        path = parts.path or "/"
        if path != self.path and not (
            path.startswith(self.path) and (self.path.endswith("/") or path[len(self.path)] == "/")
        ):
            return f"one for Path {self.path}, not {path}"
        if self.secure and parts.scheme != "https":
            return "a Secure one, not sent over http"
        return ""


def judge_exchange(
    step: Step,
    exchange: HttpExchange,
    where: str,
    secret_names: frozenset[str] = frozenset(),
    shown_names: frozenset[str] = frozenset(),
) -> Judged:
    """Every failed assertion of one response, the values it captures and its evidence (runs in a thread);
    `secret_names`: the check's own secret names, lower case (a header under one is quoted as REDACTED);
    `shown_names`: its `not_secret_names`, as written."""
    names = SecretNames(secret_names, shown_names)
    env_entry = _SPRING_ENV_ENTRY_RE.search(urllib.parse.urlsplit(exchange.url).path)
    if env_entry is not None and names.hide(urllib.parse.unquote(env_entry[1])):
        # The one property's value stands under `value` (twice: its summary's and its source's), its name in the URL.
        names = SecretNames(secret_names | {"value"}, shown_names)
    # The whole body is decoded only when an assertion reads it: a text copy can take up to 4 bytes a byte.
    text = _text(exchange.body, exchange) if needs_body(step) and not exchange.body_truncated else None
    failures, captured, secrets = _assess(step, exchange, text or "", where, names)
    evidence = _exchange_evidence(exchange, text, names)
    if len(secrets) > _MAX_SECRET_LEAVES:
        evidence["body"] = "<redacted: a secret capture found an object or list too large to scrub value by value>"
        secrets = secrets[:_MAX_SECRET_LEAVES]
    scopes = {
        name: _cookie_scope(exchange, capture.cookie)
        for name, capture in step.capture.items()
        if capture.cookie is not None and name in captured
    }
    return Judged(failures, captured, secrets, evidence, scopes)


def needs_body(step: Step) -> bool:
    expect = step.expect
    return bool(
        expect.body_contains
        or expect.body_not_contains
        or expect.body_regex
        or expect.json_paths
        or any(c.json_path is not None for c in step.capture.values())
    )


def _assess(
    step: Step, exchange: HttpExchange, text: str, where: str, secret_names: SecretNames
) -> tuple[list[Failure], dict[str, ArgValue], list[str]]:
    expect = step.expect
    failures: list[Failure] = []
    ranges = [status_range(item) for item in expect.status]
    if not any(low <= exchange.status <= high for low, high in ranges):
        failures.append(Failure("status", " or ".join(str(s) for s in expect.status), str(exchange.status)))
    if expect.max_latency_ms is not None and exchange.latency_ms > expect.max_latency_ms:
        latency, bound = beside(exchange.latency_ms, expect.max_latency_ms)
        failures.append(Failure("max_latency_ms", f"<= {bound} ms", f"{latency} ms"))
    for name, rule in expect.headers.items():
        failures.extend(_judge_header(name, rule, exchange.headers.get_list(name), where, secret_names))
    if exchange.body_truncated and (step.oversized_body == "fail" or needs_body(step)):
        failures.append(_oversized(step, exchange))
        return failures, {}, []
    for needle in expect.body_contains:
        if needle not in text:
            failures.append(
                Failure(
                    "body_contains",
                    repr(shown_needle(needle, secret_names)),
                    f"a body without it: {quote(text, 120, secret_names)}",
                )
            )
    for needle in expect.body_not_contains:
        if needle in text:
            failures.append(
                Failure(
                    "body_not_contains",
                    f"no {shown_needle(needle, secret_names)!r}",
                    f"a body with it: {quote(text, 120, secret_names)}",
                )
            )
    if expect.body_regex is not None and not _search(expect.body_regex, text, f"{where}: body_regex"):
        seen = "a body" if len(text) <= MAX_REGEX_CHARS else f"a body whose first {MAX_REGEX_CHARS} characters have"
        failures.append(
            Failure(
                "body_regex", f"a match for {expect.body_regex!r}", f"{seen} no match: {quote(text, 120, secret_names)}"
            )
        )
    needs_json = bool(expect.json_paths or any(c.json_path is not None for c in step.capture.values()))
    # One parsed document at a time in the whole service: a document can take 20 times its text ("[]," is a
    # 64-byte list), and parsing holds the interpreter lock anyway, so taking turns costs no throughput.
    with _JSON_TURN if needs_json else contextlib.nullcontext():
        document, parse_error = _parse_json(text, secret_names) if needs_json else (None, "")
        captured: dict[str, ArgValue] = {}
        secrets: list[str] = []
        for json_rule in expect.json_paths:
            failure = _judge_json(json_rule, document, parse_error, secret_names)
            if failure is not None:
                failures.append(failure)
            if (
                isinstance(json_rule.equals, str)
                and not tells_nothing(json_rule.equals)
                and _names_a_secret(JsonPath.parse(json_rule.path), document, secret_names)
            ):
                # A secret the catalog wrote, expected where the answer's own naming says a secret stands (a list of
                # pairs' `[["password", ...]]`, an env list's `value`): no name in the path told the check so, and a
                # target echoing it elsewhere showed it.
                secrets.append(json_rule.equals)
        for name, capture in step.capture.items():
            value, problem, raw = _capture(capture, exchange, document, parse_error)
            if capture.secret:
                secrets.extend(raw)
            if problem:
                failures.append(Failure(f"capture {name} ({capture.describe()})", "a string or number", problem))
            else:
                captured[name] = value
        del document  # freed before the turn passes on
    return failures, captured, secrets


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {snippet(key, 40)!r} twice in one object: parsers differ on which value counts")
        seen.add(key)
    raise AssertionError("a shorter dict means a repeated key")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(text: str, secret_names: SecretNames) -> tuple[Any, str]:
    """(document, "") or (None, why the text is not JSON): also NaN and Infinity, which RFC 8259 has no
    number for, and a key repeated in one object, whose value each parser picks differently."""
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys), ""
    except ValueError as exc:
        return None, f"a body that is not JSON ({exc}): {quote(text, 80, secret_names)}"
    except RecursionError:
        return None, "a JSON body nested too deeply to parse"


def _oversized(step: Step, exchange: HttpExchange) -> Failure:
    """The failure of a body over the cap, saying how much came and why it fails."""
    cap = len(exchange.body)
    encoding = exchange.headers.get("content-encoding", "").strip().lower()
    if not exchange.body_drained:
        got = "a larger body (reading stopped at the cap: oversized_body is fail)"
    elif encoding in ("", "identity"):
        got = f"a body of {exchange.body_wire_bytes} bytes"
    else:
        got = f"a {encoding} body of {exchange.body_wire_bytes} bytes that decodes to more than {cap}"
    why = "" if step.oversized_body == "fail" else " (body assertions need the whole body)"
    return Failure("max_body_bytes", f"a body of at most {cap} bytes{why}", got)


def _search(pattern: str, text: str, what: str) -> bool:
    """Whether `pattern` matches within the first MAX_REGEX_CHARS of `text`; a search past REGEX_TIMEOUT_S is an
    error (the pattern backtracks on this answer), never a verdict."""
    try:
        return regex.search(pattern, text[:MAX_REGEX_CHARS], timeout=REGEX_TIMEOUT_S, concurrent=True) is not None
    except TimeoutError:
        raise TargetBadAnswer(
            f"{what} {pattern!r} found no answer within {REGEX_TIMEOUT_S:g} s on this response "
            "(the pattern backtracks on it; write one without nested or overlapping repeats)"
        ) from None


def _shown_header(name: str, value: str, secret_names: SecretNames) -> str:
    """A response header's value as a failure quotes it: a cookie's value hidden (its attributes are what a rule
    asserts), and a credential's whole (a session the answer set, a token it sends back), as is one the check
    names in `secret_names`; any other clipped, a challenge too (`WWW-Authenticate: Bearer error="invalid_token"`:
    a scheme and why, no credential)."""
    lowered = name.lower()
    if lowered in secret_names.extra:
        return REDACTED
    if lowered == "set-cookie":
        cookie, separator, attributes = value.partition(";")
        cookie_name, equals, _ = cookie.partition("=")
        return f"{cookie_name}{equals}{REDACTED}{separator}{snippet(attributes, 120)}" if equals else REDACTED
    # A credential the step sent that a challenge echoes is hidden by the check's scrub of what it sent.
    if lowered not in _CHALLENGE_HEADERS and (secret_names.hide(name) or is_credential_value(value)):
        return REDACTED
    # A credential known by its shape, under a name that says nothing (`X-Context: eyJ...`); replaced from the last,
    # so that the spans before stand where they were found.
    for start, end in reversed(merged_spans(secret_shape_spans(value))):
        value = f"{value[:start]}{REDACTED}{value[end:]}"
    return snippet(value, 120)


def _judge_header(
    name: str, rule: HeaderExpect, values: list[str], where: str, secret_names: SecretNames
) -> list[Failure]:
    shown = ", ".join(repr(_shown_header(name, v, secret_names)) for v in values) or "no such header"
    if rule.exists is not None:
        if bool(values) != rule.exists:
            return [Failure(f"header {name} exists", str(rule.exists).lower(), shown)]
        return []
    assertion, expected = (
        (
            f"header {name} equals",
            repr(REDACTED if hides_expected_header(name, rule.equals, secret_names) else rule.equals),
        )
        if rule.equals is not None
        else (f"header {name} regex", f"a match for {rule.regex!r}")
    )
    if len(values) > 1 and name.lower() in _SINGLE_VALUE_HEADERS:
        if len(set(values)) > 1:
            # Clients keep one of the lines (browsers the last, or none for X-Frame-Options): no rule may pass on
            # the line it likes.
            return [
                Failure(
                    assertion, expected, f"different values on {len(values)} lines, where one value is allowed: {shown}"
                )
            ]
        values = values[:1]
    elif len(values) > 1 and name.lower() != "set-cookie":
        # Lines of one list field are one value (RFC 9110 5.3); Set-Cookie lines are separate cookies.
        values = [", ".join(values)]
        shown = repr(_shown_header(name, values[0], secret_names))
    if rule.equals is not None and rule.equals not in values:
        return [Failure(assertion, expected, shown)]
    if rule.regex is not None and not any(_search(rule.regex, v, f"{where}: header {name} regex") for v in values):
        return [Failure(assertion, expected, shown)]
    return []


def beside(value: float, bound: float) -> tuple[str, str]:
    """`value` and the `bound` it failed, written with as many digits as it takes for each to read on its side of the
    other (to 6 digits, 100.0000001 ms read "expected <= 100 ms, got 100 ms", and so did 100 ms against 99.9999999)."""
    shown = format_value(value, bound)
    return shown, format_value(bound, float(shown))


def _judge_json(rule: JsonExpect, document: Any, parse_error: str, secret_names: SecretNames) -> Failure | None:
    path = JsonPath.parse(rule.path)
    # What the path found, as a failure quotes it: nothing of a value under a secret name (`$.auth.token`), nor of one
    # a naming member names as a secret's (`$.env[0].value`), as the answer's text hides both.
    named_secret = _names_a_secret(path, document, secret_names)

    def hidden(value: Any) -> bool:
        # Each value by its own: `pass` alone's is a password or a result by what it holds (`"hunter2"`, `12`).
        return named_secret or json_path_is_secret(path, secret_names, value)

    def got(value: Any) -> str:
        return json.dumps(REDACTED) if hidden(value) else quote(json.dumps(value), 120, secret_names)

    if parse_error:
        return Failure(f"json {path}", "a JSON body", parse_error)
    found, value = path.find(document)
    if "exists" in rule.model_fields_set:
        return (
            None
            if found == rule.exists
            else Failure(
                # The value too: `{"error": null}` has an error member, which `exists: false` may not have meant.
                f"json {path} exists",
                str(rule.exists).lower(),
                f"a value ({got(value)})" if found else "nothing at that path",
            )
        )
    if not found:
        return Failure(f"json {path}", "a value", "nothing at that path")
    if "equals" in rule.model_fields_set:
        return (
            None
            if json_equal(value, rule.equals)
            else Failure(
                f"json {path} equals",
                shown_expected_json(rule.equals, hidden(rule.equals)),
                got(value) + _string_against_number(value, rule.equals),
            )
        )
    assert rule.compare is not None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Failure(f"json {path} compare", f"a number {rule.compare}", got(value))
    # A JSON integer is exact (a count, an id, a time in ns): read as a float within pass_if's tolerance,
    # `<= 1000000000` passed 1000000001, and an integer past 2**53 was rounded to its neighbour. So is a whole number
    # below 2**53 written as a float (Python's 1000000001.0, Java's 1.000000001E9 of a Spring Boot Actuator count):
    # a count kept in a float, which holds each such integer exactly; the rounding noise of arithmetic that the
    # tolerance forgives (0.30000000000000004) leaves a fraction.
    exact = isinstance(value, int) or (value.is_integer() and abs(value) < _FLOAT_INTEGERS_EXACT_BELOW)
    if not (rule.compare.matches_exactly(int(value)) if exact else rule.compare.matches(value)):
        return Failure(f"json {path} compare", str(rule.compare), got(value))
    return None


def _names_a_secret(path: JsonPath, document: Any, secret_names: SecretNames) -> bool:
    """Whether `path` finds the `value` or `content` member of an object whose `name`, `key`, `id` or `property` is a
    secret's name (Kubernetes' env list as JSON: `{"name": "DB_PASSWORD", "value": "..."}`), any case; or the second
    item of a list of two, in a list, whose first is a secret's name (a list of pairs: `[["token", "..."]]`)."""
    last = path.steps[-1] if path.steps else None
    if last in (1, -1) and len(path.steps) >= 2 and isinstance(path.steps[-2], int):
        # Found by an index: in a list.
        found, pair = JsonPath(path.text, path.steps[:-1]).find(document)
        return (
            found
            and isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and secret_names.hide(pair[0].strip())
        )
    if not isinstance(last, str) or not _is_value_member(last):
        return False
    found, parent = JsonPath(path.text, path.steps[:-1]).find(document)
    return (
        found
        and isinstance(parent, dict)
        and any(
            isinstance(name, str)
            and _is_naming_member(name)
            and isinstance(named, str)
            and secret_names.hide(named.strip())
            for name, named in parent.items()
        )
    )


def _string_against_number(value: Any, expected: Any) -> str:
    """What a failed `equals` adds when the answer's value and `equals` are a string and a number that read as the same
    number (`"1000"` and 1000, `"1e3"` and 1000), which no JSON equality makes equal: which is which, and what to
    write. Quoted as JSON the two differ by quotes alone, and redacted (a secret path) not at all."""
    if isinstance(value, str) == isinstance(expected, str):
        return ""
    text, number = (value, expected) if isinstance(value, str) else (expected, value)
    if isinstance(number, bool) or not isinstance(number, int | float):
        return ""
    # Read only when it is a number as JSON writes one: json.loads of the answer's text `[[[…` (100000 deep) raised
    # RecursionError out of the judge, where the step fails.
    if not _JSON_NUMBER_RE.fullmatch(text.strip(" \t\n\r")):
        return ""
    try:
        read = json.loads(text)
    except ValueError:
        # More digits than Python reads as an int (4300).
        return ""
    if isinstance(read, bool) or not isinstance(read, int | float) or not json_equal(read, number):
        return ""
    if isinstance(value, str):
        return " (a string, where equals is a number: quote equals to mean the string)"
    return " (a number, where equals is a string: write equals unquoted, as JSON writes the number, to mean it)"


def json_path_is_secret(path: JsonPath, secret_names: SecretNames, value: Any) -> bool:
    """Whether a JSON path names a value under a secret name (`$.auth.token`), or one of the check's `secret_names`,
    or under `pass` alone holding no result (`SecretNames.hides_json`): `value` is what the path finds (or expects),
    an object the steps before the last find."""
    last = len(path.steps) - 1
    return any(
        isinstance(step, str) and secret_names.hides_json(step, value if at == last else {})
        for at, step in enumerate(path.steps)
    )


def json_path_may_name_a_secret(path: JsonPath) -> bool:
    """Whether a JSON path may find a value the answer's own naming makes a secret (`_names_a_secret`): a pair's second
    item (`$.pairs[0][1]`), or a `value` or `content` member beside a naming one (`$.env[0].value`)."""
    last = path.steps[-1] if path.steps else None
    if last in (1, -1) and len(path.steps) >= 2 and isinstance(path.steps[-2], int):
        return True
    return isinstance(last, str) and _is_value_member(last)


def tells_nothing(expected: Any) -> bool:
    """Whether an assertion's `equals` is no secret where one stands: true, false or null, as JSON or as text (a
    header's `true`, a JSON string `"false"`), and a token's type (`$.token_type` equals `Bearer`: an HTTP auth
    scheme's name, or an RFC 8693 token type URI)."""
    if isinstance(expected, str):
        # Searched for in answers as a secret, it hid every `true` of the body, which then was no JSON any more, and
        # `Bearer` every scheme's name, the reason's own expected value too.
        lowered = expected.lower()
        return lowered in _TELLS_NOTHING or lowered.startswith(_TOKEN_TYPE_URI)
    return expected is None or isinstance(expected, bool)


def shown_needle(needle: str, secret_names: SecretNames = NO_SECRET_NAMES) -> str:
    """A body_contains or body_not_contains needle as a failure or the definition quotes it: as an answer's text is
    quoted (`_masked`), a value under a secret name or a credential after an auth scheme hidden (a needle may be the
    very secret a page must hold, or must not leak)."""
    return _masked(needle, secret_names.hide, secret_names.shown)


def shown_expected_json(expected: Any, secret: bool) -> str:
    """An `equals` of a JSON assertion as a failure quotes it: under a secret path (`$.token` equals `"abc..."`, a
    token the catalog wrote) a string, a number or a container is REDACTED, as what the path found is; true, false or
    null tells nothing and is shown (`tells_nothing`)."""
    if secret and not tells_nothing(expected):
        return json.dumps(REDACTED)
    return _json_text(expected)


def hides_expected_header(name: str, expected: str, secret_names: SecretNames) -> bool:
    """Whether a header assertion's `equals` is a secret as the header's value would be (`_shown_header`): under a
    secret name (one of the check's, also a challenge's), or a credential (`Bearer ...`); not `true` or `false`
    (`tells_nothing`: `Access-Control-Allow-Credentials: true`)."""
    lowered = name.lower()
    if tells_nothing(expected):
        return False
    return lowered in secret_names.extra or (
        lowered not in _CHALLENGE_HEADERS and (secret_names.hide(name) or is_credential_value(expected))
    )


def _capture(capture: Capture, exchange: HttpExchange, document: Any, parse_error: str) -> tuple[str, str, list[str]]:
    """(value, "", [value]) or ("", what went wrong, the raw texts found): what went wrong never quotes the
    value, which may be a secret."""
    if capture.header is not None:
        values = exchange.headers.get_list(capture.header)
        if not values:
            return "", "no such header", []
        value: Any = values[0]
    elif capture.cookie is not None:
        lines, date_s = exchange.headers.get_list("set-cookie"), answer_date_s(exchange.headers.get_list("date"))
        cookies, refused = _cookie_values(lines, capture.cookie, exchange.url, date_s)
        if cookies is None:
            return "", f"a Set-Cookie browsers refuse: {refused}" if refused else "no Set-Cookie of that name", []
        if not cookies:
            # A failed login signing its caller out: "deleted" is no session to send on.
            if date_s is not None and _cookie_values(lines, capture.cookie, exchange.url, None)[0]:
                # Said, as only the answer's Date makes it one: a server whose clock is wrong is told by it.
                return "", f"a Set-Cookie that deletes it (an Expires past by the answer's Date, {_skew(date_s)})", []
            return "", "a Set-Cookie that deletes it", []
        value = cookies[-1][0]
    else:
        if parse_error:
            return "", parse_error, []
        found, value = JsonPath.parse(capture.json_path or "$").find(document)
        if not found:
            return "", "nothing at that path", []
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "", _kind(value), _leaves(value)
    text = value if isinstance(value, str) else json.dumps(value)
    if not text:
        # Nothing to send on: /orders/{{ id }} would become /orders/, another resource that may well answer 200.
        return "", "an empty string", []
    if len(text) > _MAX_CAPTURE_CHARS:
        return "", f"a value of {len(text):,} characters, over the {_MAX_CAPTURE_CHARS:,} limit", [text]
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "", "a value with control characters", [text]
    if text in (".", ".."):
        return "", "a dot segment ('.' or '..'), which a URL path would resolve away", [text]
    return text, "", [text]


def _skew(date_s: float) -> str:
    """How far an answer's Date is from the analyzer's clock, as a failure says it."""
    skew_s = round(date_s - time.time())
    if skew_s == 0:
        return "which is the analyzer's time"
    # Whole seconds, never `3.1536e+07 s`: a clock a year wrong is the case this message is for.
    return f"{abs(skew_s)} s {'ahead of' if skew_s > 0 else 'behind'} the analyzer's clock"


def _cookie_scope(exchange: HttpExchange, name: str) -> CookieScope:
    """Where browsers send the cookie `name` whose value a capture took (the last set, see _cookie_values)."""
    date_s = answer_date_s(exchange.headers.get_list("date"))
    cookies, _ = _cookie_values(exchange.headers.get_list("set-cookie"), name, exchange.url, date_s)
    attributes = cookies[-1][1] if cookies else {}
    host = (urllib.parse.urlsplit(exchange.url).hostname or "").lower()
    return CookieScope(
        host=host,
        domain=cookie_domain(attributes, host),
        path=cookie_path(attributes, exchange.url),
        secure="secure" in attributes,
    )


def _cookie_values(
    lines: list[str], name: str, url: str, date_s: float | None
) -> tuple[list[tuple[str, dict[str, str]]] | None, str]:
    """The values the Set-Cookie `lines` of an answer from `url` dated `date_s` (see cookie_life_s) leave set for the
    cookie `name`, with their attributes (names in lower case), one per Domain and Path, the last set last, and "" (None
    and why browsers refuse the last line of that name when they refuse every one; None and "" when none names it).
    RFC 6265: names are case-sensitive, a later line replaces an earlier one of the same Domain and Path, and one that
    expires it deletes it."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    cookies: dict[tuple[str, str], tuple[str, dict[str, str]] | None] = {}
    refused = ""
    for line in lines:
        pair, *attributes = line.split(";")
        cookie, equals, value = pair.partition("=")
        if not equals or cookie.strip() != name:
            continue
        parsed = set_cookie_attributes(attributes)
        # A cookie is its name, Domain and path (RFC 6265 5.3 step 11): a line without Path sets the one of the
        # default path, so a deletion with `Path=/` from a page at / deletes it (kept apart, its value was captured).
        where = (cookie_domain(parsed, host), cookie_path(parsed, url))
        refused = _refused(name, parsed, url)
        if refused:
            # A browser keeps nothing of it: a session a later step sent by hand would pass where users stay out.
            continue
        # Popped first so that a cookie set again counts as the last set.
        cookies.pop(where, None)
        life_s = cookie_life_s(parsed, date_s, time.time())
        cookies[where] = None if life_s is not None and life_s <= 0 else (value.strip(), parsed)
    if not cookies:
        return None, refused
    return [cookie for cookie in cookies.values() if cookie is not None], ""


def _refused(name: str, attributes: dict[str, str], url: str) -> str:
    """Why browsers drop the cookie `name` an answer from `url` sets with these attributes (names in lower case), or
    "" (RFC 6265 5.3 step 6; RFC 6265bis: no Secure cookie from an http answer, and the __Host- and __Secure- rules)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    domain = attributes.get("domain", "").lower().removeprefix(".")
    secure = "secure" in attributes
    if domain and domain != host and (not host.endswith(f".{domain}") or ip_or_none(host) is not None):
        return f"Domain {domain} is not {host} or a parent of it"
    if domain and domain != host and is_public_suffix(domain):
        # `Domain=github.io` from a.github.io, `co.uk` from shop.co.uk, and by the list's default rule any name of one
        # label (`svc` from app.shop.svc): captured, such a session went on to every host under it, by hand or across
        # origins on a redirect, where browsers keep it nowhere (the hops' cookies follow the same list).
        return f"Domain {domain} is a public suffix, not {host}"
    if secure and parts.scheme != "https":
        return "Secure, set by an http answer"
    host_prefix, secure_prefix = name.lower().startswith("__host-"), name.lower().startswith("__secure-")
    if (host_prefix or secure_prefix) and not secure:
        return f"{'__Host-' if host_prefix else '__Secure-'} without Secure"
    if host_prefix and domain:
        return "__Host- with a Domain"
    if host_prefix and attributes.get("path") != "/":
        return "__Host- without Path=/"
    return ""


def _kind(value: Any) -> str:
    """What a JSON value is, without its content."""
    if isinstance(value, dict):
        return f"an object with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    return "null" if value is None else "a boolean"


def _leaves(value: Any) -> list[str]:
    """The strings and numbers inside a JSON value, as its text would show them (at most one past the
    scrubbing limit: the caller only needs to know there are more)."""
    found: list[str] = []
    pending = [value]
    while pending and len(found) <= _MAX_SECRET_LEAVES:
        node = pending.pop()
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str) and node:
            found.append(node)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            found.append(json.dumps(node))
    return found


def _exchange_evidence(exchange: HttpExchange, text: str | None, secret_names: SecretNames) -> dict[str, Any]:
    if text is None:
        # Only the quoted start is decoded (at most 4 bytes a character); its length in characters is unknown.
        start = exchange.body[: BODY_EVIDENCE_CHARS * 4]
        shown = _masked(_text(start, exchange), secret_names.hide, secret_names.shown)
        if len(shown) > BODY_EVIDENCE_CHARS or len(start) < len(exchange.body):
            body = shown[:BODY_EVIDENCE_CHARS] + f"... ({len(exchange.body)} bytes in all)"
        elif exchange.body_truncated:
            # Cut by max_body_bytes, maybe inside a secret: marked as a clip is, so that the scrub hides the start the
            # cut left of one (unmarked, it is no value the scrub knows).
            body = f"{shown}... (cut at max_body_bytes)"
        else:
            body = shown
    else:
        body = quote(text, BODY_EVIDENCE_CHARS, secret_names)
    evidence: dict[str, Any] = {
        "status": exchange.status,
        "latency_ms": round(exchange.latency_ms, 3),
        "response_headers": {
            k: snippet(v, 200)
            for k, v in exchange.headers.items()
            if k.lower() in ("content-type", "location", "content-length", "content-encoding")
        },
        "body": body,
        "body_bytes_kept": len(exchange.body),
        "body_bytes_received": exchange.body_wire_bytes,
    }
    if exchange.body_truncated:
        evidence["body_truncated_at_bytes"] = len(exchange.body)
        evidence["body_rest"] = "drained" if exchange.body_drained else "not read"
    if exchange.redirects:
        evidence["redirects"] = list(exchange.redirects)
    if exchange.connect_retries:
        evidence["connect_retries"] = exchange.connect_retries
    return evidence


def _text(body: bytes | bytearray, exchange: HttpExchange) -> str:
    """`body` decoded by its byte order mark, else with the charset of the exchange when that is a common text
    charset, else as UTF-8 (never raises)."""
    for mark, codec in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            # As browsers do (WHATWG Encoding, "decode"): the mark wins over the label, and is not part of the text.
            return body[len(mark) :].decode(codec, errors="replace")
    content_type = exchange.headers.get("content-type", "")
    match = re.search(r"charset=\"?([A-Za-z0-9_.:-]{1,40})", content_type)
    # A label WHATWG Encoding does not know is ignored, as browsers ignore it: an HTML page's meta names the charset.
    encoding = _LABEL_CODECS.get(match.group(1).lower()) if match else None
    if encoding is None and content_type.split(";")[0].strip().lower() == "text/html":
        encoding = _meta_charset(body)
    if encoding == "x-user-defined":
        return body.decode("latin-1").translate(_X_USER_DEFINED)
    if encoding in (None, "replacement"):
        # Browsers show a replacement-labelled page (ISO-2022-KR, HZ...) as one U+FFFD; read as that, an error page
        # would pass body_not_contains, so it is read as UTF-8 like a page that names no charset.
        encoding = "utf-8"
    try:
        text = body.decode(encoding, errors=_LEGACY_ERRORS if encoding in _WHATWG_REPLACED else "replace")
        return text.translate(_GB18030_WHATWG) if encoding == "gb18030" else text
    except UnicodeError:
        return body.decode("utf-8", errors="replace")


def _meta_charset(page: bytes | bytearray) -> str | None:
    """The codec a `<meta charset>` (or `<meta http-equiv=Content-Type content="...; charset=...">`) of an HTML page
    names, read as Chrome's tokenizer reads it (see _HEAD_TAGS): anywhere in the prescan's first bytes, past them while
    the page is in its head; never in a comment or the text of a title, script or style (a UTF-16 label means UTF-8);
    None when none does (or in its first _LATE_META_SCAN_TAGS tags), or when a tag or a comment runs past `page`."""
    page = bytes(page)
    at, in_head, tags = 0, True, 0
    while (in_head or at < _META_PRESCAN_BYTES) and tags < _LATE_META_SCAN_TAGS:
        tags += 1
        at = page.find(b"<", at)
        if at < 0 or (not in_head and at >= _META_PRESCAN_BYTES):
            # Chrome stops after the text before it, too, once the head has ended.
            return None
        tag = _TAG_NAME_RE.match(page, at)
        if page.startswith(b"<!--", at):
            comment = _COMMENT_RE.match(page, at)
            if comment is None:
                return None
            at = comment.end()
        elif page.startswith((b"<!", b"<?", b"</"), at) and tag is None:
            at = page.find(b">", at) + 1
            if at < 1:
                return None
        elif tag is None:
            at += 1
        else:
            name, closing = tag[1].lower(), page[at + 1] == ord("/")
            if name == b"meta" and not closing:
                meta = _meta_tag(page, tag.end())
                if meta is None:
                    return None
                encoding, at = meta
                if encoding is not None:
                    return _META_CODECS.get(encoding, encoding)
            else:
                at = tag.end()
                while (attribute := _prescan_attribute(page, at)) is not None and attribute[0] is not None:
                    at = attribute[2]
                if attribute is None:
                    return None
                at = attribute[2] + 1
                if name == b"plaintext" and not closing:
                    # The rest of the page is its text, no end tag ends it (a meta after it named Shift_JIS here, and
                    # Chrome read that UTF-8 error page as windows-1252).
                    return None
                if name in _TEXT_ONLY_TAGS and not closing:
                    # Its text runs to its end tag: a `<meta` in a script's string is no meta.
                    text_end = (
                        _script_end(page, at)
                        if name == b"script"
                        else re.compile(rb"</" + re.escape(name) + rb"[\t\n\x0c\r />]", re.IGNORECASE).search(page, at)
                    )
                    if text_end is None:
                        return None
                    at = text_end if isinstance(text_end, int) else text_end.start()
            in_head = in_head and (name in _HEAD_TAGS or (not closing and name in (b"html", b"head")))
    return None


def _script_end(page: bytes, at: int) -> int | None:
    """Where the text of a script that starts at `at` ends (its end tag's `<`), as the tokenizer ends it (see
    _SCRIPT_STATE_RE: `document.write('<script></script>')` in a `<!--` ends no script); None when `page` ends first."""
    escaped = double = False
    while (found := _SCRIPT_STATE_RE.search(page, at)) is not None:
        token, at = found[0].lower(), found.end()
        if token.startswith(b"<!--"):
            # `<!-->` ends any escape its `--` begins or continues.
            closed = token.endswith(b">")
            escaped, double = not closed, double and not closed
        elif token == b"-->":
            escaped = double = False
        elif token.startswith(b"</"):
            if not double:
                return found.start()
            double = False
        else:
            double = escaped
    return None


def _meta_tag(head: bytes, at: int) -> tuple[str | None, int] | None:
    """The codec the `<meta>` whose attributes start at `at` declares (None when it declares none), and where it
    ends (at its `>`); None when it runs past `head`."""
    got_pragma = False
    need_pragma: bool | None = None
    # None: not named; "": a label no codec has (the meta then declares none).
    charset: str | None = None
    while True:
        attribute = _prescan_attribute(head, at)
        if attribute is None:
            return None
        name, written, at = attribute
        if name is None:
            break
        # Chrome's tokenizer decodes the character references of an attribute's value: `charset=shift&#95;jis` names
        # Shift_JIS (read as no label, such a Shift_JIS error page was UTF-8 here and passed body_not_contains).
        value = html.unescape(written.decode("latin-1")).encode("utf-8").lower()
        # Every attribute counts, a name's later ones too, as Chrome reads a meta (Debian's chromium read
        # `<meta charset="utf-8" charset="shift_jis">` as Shift_JIS, not by WHATWG's first of a name): a charset
        # attribute wins over what came before, an empty or unknown label too; a content naming a known charset counts
        # only while no charset attribute or earlier content has named one.
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content":
            declared = _content_charset(value)
            if declared and charset is None:
                charset, need_pragma = declared, True
        elif name == b"charset":
            charset, need_pragma = _charset_label(value), False
    if need_pragma is None or (need_pragma and not got_pragma) or not charset:
        return None, at
    return charset, at


def _prescan_attribute(head: bytes, at: int) -> tuple[bytes | None, bytes, int] | None:
    """The next attribute of a tag at `at` (WHATWG HTML's "get an attribute"): its name in ASCII lower case, its value
    as written and where reading stopped; no name at the tag's `>`; None when it runs past `head`."""

    def byte(position: int) -> int:
        # Past the end: -1, in none of the sets of bytes below.
        return head[position] if position < len(head) else -1

    while byte(at) in _PRESCAN_SPACES_SLASH:
        at += 1
    if byte(at) == ord(">"):
        return None, b"", at
    name = bytearray()
    while True:
        current = byte(at)
        if current < 0:
            return None
        if current == ord("=") and name:
            at += 1
            break
        if current in _PRESCAN_SPACE_BYTES:
            while byte(at) in _PRESCAN_SPACE_BYTES:
                at += 1
            if byte(at) < 0:
                return None
            if byte(at) != ord("="):
                return bytes(name).lower(), b"", at
            at += 1
            break
        if current in (ord("/"), ord(">")):
            return bytes(name).lower(), b"", at
        name.append(current)
        at += 1
    while byte(at) in _PRESCAN_SPACE_BYTES:
        at += 1
    quote = byte(at)
    if quote < 0:
        return None
    if quote in (ord('"'), ord("'")):
        close = head.find(bytes([quote]), at + 1)
        return None if close < 0 else (bytes(name).lower(), head[at + 1 : close], close + 1)
    if quote == ord(">"):
        return bytes(name).lower(), b"", at
    start = at
    while byte(at) >= 0 and byte(at) not in _PRESCAN_SPACES_GT:
        at += 1
    return None if byte(at) < 0 else (bytes(name).lower(), head[start:at], at)


def _content_charset(content: bytes) -> str | None:
    """The codec the `content` of a meta names after `charset=` (WHATWG HTML's "extract a character encoding from a
    meta element"): None when it names none, "" for a label no codec has."""
    at = 0
    while True:
        found = content.find(b"charset", at)
        if found < 0:
            return None
        at = found + len(b"charset")
        while at < len(content) and content[at] in _PRESCAN_SPACES:
            at += 1
        if content[at : at + 1] == b"=":
            break
    at += 1
    while at < len(content) and content[at] in _PRESCAN_SPACES:
        at += 1
    quote = content[at : at + 1]
    if quote in (b'"', b"'"):
        close = content.find(quote, at + 1)
        return None if close < 0 else _charset_label(content[at + 1 : close])
    if at >= len(content):
        return None
    return _charset_label(re.split(rb"[\t\n\x0c\r ;]", content[at:], maxsplit=1)[0])


def _charset_label(label: bytes) -> str:
    """The codec a meta's charset label names (WHATWG Encoding's "get an encoding"), "" for a label it does not know."""
    return _LABEL_CODECS.get(label.strip(_PRESCAN_SPACES).decode("latin-1").lower(), "")


def quote(text: str, limit: int, secret_names: SecretNames = NO_SECRET_NAMES) -> str:
    """The start of a body's text as a reason or evidence shows it, at most `limit` characters, secret members'
    values hidden (`_masked`). Only a window of the text is searched, widened until its masked text fills `limit`, up
    to _QUOTE_WINDOW_CHARS."""
    window = limit
    while True:
        shown = _masked(text[:window], secret_names.hide, secret_names.shown)
        if len(shown) > limit or window >= len(text) or window >= _QUOTE_WINDOW_CHARS:
            break
        window = min(window * 4, _QUOTE_WINDOW_CHARS)
    if len(shown) <= limit and window >= len(text):
        return shown
    if len(shown) <= limit:
        # A secret that fills the window (a list of megabytes) hides what follows it: the quote ends there.
        return shown + f"... ({len(text) - window} more characters)"
    return shown[:limit] + f"... ({max(len(text) - limit, 1)} more characters)"


def snippet(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _json_text(value: Any) -> str:
    return snippet(json.dumps(value), 120)
