"""Judging one `http_smoke` response: assertions, captures and evidence (pure; runs in a worker thread)."""

from __future__ import annotations

import bisect
import codecs
import contextlib
import html
import json
import re
import threading
import time
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

from analyzer.kinds import (
    REDACTED,
    ArgValue,
    HttpExchange,
    TargetBadAnswer,
    answer_date_s,
    container_end,
    cookie_domain,
    cookie_life_s,
    cookie_path,
    decoded_name,
    dsn_user_info_spans,
    format_number,
    ip_or_none,
    is_credential_value,
    is_public_suffix,
    is_secret_name,
    kubernetes_secret_spans,
    merged_spans,
    secret_shape_spans,
    set_cookie_attributes,
    transcript_secret_spans,
    user_info_spans,
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
# A JSON member of a body's text with its string or number value; a string the end of the text cuts runs to that end.
# A `name=value` parameter of a form, a query string or a cookie in a body's text (a token endpoint's form answer, a
# link carrying a session); its name may be percent-encoded (`client%5Fsecret`, `pass%77ord`), as a form encoder or a
# server may write any character of it, and is read decoded.
# Its value may be quoted, as a shell, an .env file or a properties dump writes one (`export API_SECRET='...'`,
# `DB_PASSWORD="..."`), in a JSON string too (`token=\\"...\\"`): hidden inside its quotes; a quoted value is read
# at most 512 characters far, past a quote a backslash escapes (`"a\"b"`), and another name's is searched for
# parameters too (`href="/cb?session=..."`).
_PARAMETER_RE = re.compile(
    r"(?<![A-Za-z0-9_.%-])((?:[A-Za-z0-9_.-]|%[0-9A-Fa-f]{2}){1,100})="
    r"""(?:(?P<q>\\?["'])(?P<quoted>(?:(?!(?P=q))(?:\\[^\r\n]|[^\\\r\n])){1,512})(?P=q)|(?P<bare>[^&\s\"'<>#;]+))"""
)
# Its value may be an object or a list, only the bracket that opens it matched: under a secret name (a session object,
# a list of keys) it is hidden whole, up to the bracket that closes it (_CONTAINER_TOKEN_RE).
# A number ends where JSON's may (a YAML value `9f8e...` under a quoted name is none: read as one, its `9` alone was
# hidden).
# Ruby's hashes write `=>` for JSON's `:` (a Rails error page's `Parameters: {"user"=>{"password"=>"..."}}`).
_JSON_MEMBER_RE = re.compile(
    r'"((?:[^"\\\n]|\\.){1,100})"(\s*(?::|=>)\s*)("(?:[^"\\]|\\.)*(?:"|\\?\Z)|-?\d[\d.eE+-]*(?![^\s,}\]])|[\[{])'
)
# A JSON member quoted inside a JSON string (a gateway's error quoting the upstream answer, `"{\"token\": \"...\"}"`):
# its quotes escaped, its string value running to the next escaped quote.
_ESCAPED_MEMBER_RE = re.compile(
    r'\\"((?:[^"\\\n]|\\\\){1,100})\\"(\s*:\s*)(\\"(?:[^"\\]|\\[^"])*(?:\\"|\\?\Z)|-?\d[\d.eE+-]*)'
)
# An XML element's start tag (SOAP's `<wsse:Password Type="...">`, `<BinarySecurityToken>`), its name with its prefix
# and without; one that closes itself (`<token/>`) holds nothing.
_XML_START_TAG_RE = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*))(?:\s[^<>]*)?(?<!/)>")
# A tag (`<...>`) and a quoted attribute in it, its name with a prefix or not (`wsse:password="..."`): a value under a
# secret name is hidden, and so is the `value` or `content` of a tag whose `name`, `key`, `id` or `property` is a
# secret's (an HTML form's `<input name="csrf_token" value="...">`, `<meta name="csrf-token" content="...">`, a .NET
# config's `<add key="ApiKey" value="..."/>`).
_TAG_RE = re.compile(r"<[A-Za-z_][^<>]*>")
# A tag's name, with its prefix and without, read from past its `<`.
_MARKUP_TAG_NAME_RE = re.compile(r"((?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*))")
# An element's end tag (`</wsse:Password>`, `</token >`), its name with its prefix.
_END_TAG_RE = re.compile(r"</((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)\s*>")
# Its value quoted or, as HTML allows (a minifier writes `<input name=csrf_token value=...>`), not.
_ATTRIBUTE_RE = re.compile(
    r"""(?<![\w.:-])((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
)
_NAMING_ATTRIBUTES = frozenset({"name", "key", "id", "property"})
_VALUE_ATTRIBUTES = frozenset({"value", "content"})
# A mapping's naming and value members as AWS and other APIs name them, a word before: CloudFormation's
# `{"ParameterKey": "DbPassword", "ParameterValue": "..."}` and `OutputKey`/`OutputValue`, Elastic Beanstalk's
# `OptionName`, a tagging API's `TagKey`/`TagValue`, `AttributeName`/`AttributeValue` (any case).
_NAMING_PREFIXED_RE = re.compile(r"(?i)(?:parameter|output|option|tag|attribute|variable|setting|field)(?:key|name|id)")
_VALUE_PREFIXED_RE = re.compile(r"(?i)(?:parameter|output|option|tag|attribute|variable|setting|field)value")


def _is_naming_member(name: str) -> bool:
    """Whether a mapping's member (a tag's attribute) of that name holds the name of the value beside it."""
    return name.lower() in _NAMING_ATTRIBUTES or _NAMING_PREFIXED_RE.fullmatch(name) is not None


def _is_value_member(name: str) -> bool:
    """Whether a mapping's member (a tag's attribute) of that name holds the value its naming member names."""
    return name.lower() in _VALUE_ATTRIBUTES or _VALUE_PREFIXED_RE.fullmatch(name) is not None


# A line's `name: value` (YAML's block mapping, an HTTP header echoed as text, `token: abc`; after a YAML list's `- `
# or a list's in a list's `- - `,
# or curl -v's `> ` and `< ` before the headers it sent and got)
# or `name = value` (INI, TOML): its name at the line's start, bare or quoted as YAML may quote it (`'api_key': ...`),
# any space after the `:` (HTTP needs none: `X-Api-Key:abc`; not a `::`, and a name starts with no digit: `12:30`), a
# space before the `=` (a form's `a=1&token=x` is a parameter's); the value runs to the line's end, past one inside a
# check's placeholder (`token: {{\n t }}`: cut there, the placeholder was malformed).
_LINE_ENTRY_RE = re.compile(
    r"(?m)^(?P<indent>[ \t]*)(?:(?:-[ \t]+){1,8}|[<>][ \t]+)?"
    r"(?P<key>'(?P<single>[^'\r\n]{1,100})'|\"(?P<double>[^\"\r\n]{1,100})\"|(?P<bare>[A-Za-z_][\w.-]{0,99}))"
    r"(?:[ \t]*:(?!:)[ \t]*|[ \t]+=[ \t]*)"
    r"(?P<value>(?:\{\{[^{}]*\}\}|[^\r\n])*)"
)
# What a flow mapping (YAML's `{password: abc, user: bob}`, a Python dict's repr `{'token': 'abc'}`, JSON's object)
# is read by: its brackets and commas; after a `{`, or a `,` inside one, an entry may start.
_FLOW_TOKEN_RE = re.compile(r"[{}\[\],]")
# An entry's name, bare or quoted (a Python repr's bytes too: `{b'x-api-key': ...}`), and its `:` (not a `::`; a bare
# name starts with no digit: `{12:30}`), or Ruby's `=>` after a name or a symbol (`{:password => '...'}`); its value
# may start on the next line.
# Its quotes may be escaped, in a JSON string quoting a mapping (`"[{\\"name\\":\\"DB_PASSWORD\\",...}]"`), or twice
# and more, in a JSON string quoted in one (`\\\"password\\\":...`; its value then read to the next `,` or bracket).
_FLOW_KEY_RE = re.compile(
    r"""\s*(?:b?'(?P<single>[^'\r\n]{1,100})'|"(?P<double>(?:[^"\\\r\n]|\\.){1,100})"|:?(?P<bare>[A-Za-z_][\w.-]{0,99})"""
    r"""|(?P<escapes>\\{1,16})"(?P<escaped>(?:[^"\\\r\n]|\\[^"\r\n]){1,100})(?P=escapes)")"""
    r"[ \t]*(?::(?!:)|=>)\s*"
)
# An entry's value: quoted (to its closing quote, escaped too, whose text may hold quotes escaped twice, `\\\"`, a
# string quoted in it; its text in group `single`, `double` or `escaped`), or
# plain (to the next `,` or bracket); either may run over lines, as YAML folds one longer than a line (cut at the
# line's end, the rest was shown); an object or a list starts with its bracket, read as the text's own.
_FLOW_VALUE_RE = re.compile(
    r"""b?'(?P<single>(?:[^']|'')*)'|"""
    r'"(?P<double>(?:[^"\\]|\\[\s\S])*)"'
    r"""|\\"(?P<escaped>(?:[^"\\]|\\\\(?:\\\\|\\"|[^"\\])|\\[^"\\])*)\\"|(?P<plain>[^,{}\[\]]*)"""
)
# A pair in a list of pairs (a Python list of header tuples' repr, `[(b'x-api-key', b'...')]`, `[('password', '...')]`,
# bytes holding a `'` in double quotes `b"..."`,
# JSON's `[["password", "..."]]`): its bracket after a list's bracket, or after a comma after an item (a bracket, a
# quote, a digit, `null`, `true`, `false`, `None`; not a name: a call's argument, `log(user, ("password", "reset"))`),
# its quoted name and its `,`; then
# its value, quoted or a number, and the bracket that closes it (a longer list, `["password", "email", "name"]`, is
# no pair). Alone (a list of two names, `"required": ["password", "email"]`) it is none either.
# A GraphQL document's start: a selection set, or an operation's or a fragment's keyword; and a string argument's
# name and its text (inside its quotes, escaped or not: `password: \\"...\\"`).
_GRAPHQL_DOCUMENT_RE = re.compile(r"\s*(?:\{|(?:query|mutation|subscription|fragment)\b)")
_GRAPHQL_STRING_ARGUMENT_RE = re.compile(
    r"""(?<![\w$])(?P<name>[A-Za-z_]\w{0,99})[ \t]*:[ \t]*(?P<q>\\*")(?P<text>(?:[^"\\\r\n]|\\+[^"\\\r\n])*)(?P=q)"""
)
_PAIR_START_RE = re.compile(
    r"""(?:[\[(]|(?:[\])"'\d]|\b(?:null|true|false|None))\s*,)\s*[\[(]\s*(?:b?'(?P<single>[^'\\\r\n]{1,100})'|b?"(?P<double>(?:[^"\\\r\n]|\\.){1,100})")\s*,\s*"""
)
_PAIR_VALUE_RE = re.compile(
    r"""b?'(?P<single>(?:[^'\\\r\n]|\\.)*)'|b?"(?P<double>(?:[^"\\\r\n]|\\.)*)"|(?P<plain>-?\d[\w.+-]*)"""
)
_PAIR_END_RE = re.compile(r"\s*[\])]")
# A table's cell, a definition list's term or description (`<td>`, `<th>`, `<dt>`, `<dd>`), and what starts or ends a
# row or a table: a cell whose text is a secret's name (`<td>password</td>`) labels the next cell of its row, and a
# header row's one (`<th>password</th>`) the cells of its column below.
_CELL_TAG_RE = re.compile(r"<(/?)(td|th|dt|dd|tr|table|dl)\b[^<>]*>", re.IGNORECASE)
_CELL_NAMES = frozenset({"td", "th", "dt", "dd"})
# A row of a Markdown or ASCII table (`| password | abc |`), or a line that starts one's border (`+----+`); a row
# whose line is all dashes, colons, `=`, `+` and `|` separates the header above it from the rows below.
_PIPE_LINE_RE = re.compile(r"(?m)^[ \t]*[|+][^\r\n]*")
_PIPE_SEPARATOR_RE = re.compile(r"[ \t|+:=-]*[-=][ \t|+:=-]*")
_PIPE_RE = re.compile(r"\|")
# psql's tables, whose rows start with no `|`: an aligned one's line under its header (`----+----------`, a `+` under
# each `|` between columns: two columns or more), and an expanded one's record line (`\\x`: `-[ RECORD 1 ]-+---`),
# each row of it a column's name and value (`password | ...`); a line of the text, read one at a time.
_PSQL_SEPARATOR_RE = re.compile(r"(?m)^-+(?:\+-+)+\r?$")
# A table of one column's line under its header (`SELECT password FROM users`): dashes alone, under a header that
# starts with a space, as psql centres it (a Markdown heading's underline, `Password` over `--------`, is none).
_PSQL_ONE_COLUMN_RE = re.compile(r"(?m)^-+\r?$")
_PSQL_RECORD_RE = re.compile(r"(?m)^-\[ RECORD \d+ \][-+]*\r?$")
_TEXT_LINE_RE = re.compile(r"[^\n]*")
# A header of columns aligned by spaces (kubectl's `NAME   PASSWORD   AGE`, `docker ps`'s `CONTAINER ID   IMAGE`): two
# names or more in capitals at its line's start, two spaces or more between them; each column's cells start where its
# name does, a space before them.
_COLUMN_NAME = r"[A-Z][A-Z0-9_.()/-]*(?: [A-Z][A-Z0-9_.()/-]*)*"
_COLUMNS_HEADER_RE = re.compile(rf"(?m)^{_COLUMN_NAME}(?:  +{_COLUMN_NAME})+[ \t]*\r?$")
_COLUMN_NAME_RE = re.compile(r"\S+(?: \S+)*")
# A cell's text that is a label: words (`API key`, `Your personal access token`, `Copy this now, it is your new API
# token`: a label of seven words or more labels a secret too), as a name is written, bold or quoted, a `:` after it. One
# of more than three words labels a secret only by its last one to three words (`... access token`), and not as a
# sentence ends (`.`): a cell of prose (`Your session expired, sign in again`, `The token was revoked`) labels nothing.
# One of two or three words ending in a word that says what is known of a secret (`Key rotation`, `Token expiry`,
# `Password policy`) names no secret: its column holds dates, counts, kinds.
_LABEL_RE = re.compile(r"[*_`'\"]*([A-Za-z][\w.-]*(?: [\w.,-]+)*)[*_`'\":]*")
_LABEL_NAME_WORDS = 3
_ABOUT_A_SECRET_WORDS = frozenset(
    {
        "rotation", "rotated", "expiry", "expires", "expired", "expiration", "age", "type", "status", "count",
        "length", "policy", "created", "updated", "changed", "ttl", "algorithm", "scheme", "format", "version",
        "state", "enabled", "method", "name", "strength", "provider", "usage",
    }
)  # fmt: skip
_QUESTION_WORDS = frozenset({"how", "where", "when", "why", "whether", "which"})
_LABEL_MAX_CHARS = 200
_INNER_TAG_RE = re.compile(r"<[^<>]*>")
# A validation error's message under a field's name, as validators write it (`password: must be at least 8
# characters`, Rails' `is too short (minimum is 8 characters)`, `can't be blank`, Django's `Ensure this field has at
# least 8 characters.`, pydantic's `String should have at least 8 characters`, `Field required`), one to three of them;
# shown, for no secret is such a sentence. Only these sentences: any words starting as a message does and naming a
# reason (`must match tiger orbit river`) may be a passphrase, and a message quoting the value (jsonschema's `'hunter2'
# is too short`, `must not be hunter2`) is none of them: both stay hidden.
_MESSAGE_COUNT = r"\d{1,4}(?: and \d{1,4})?"
_MESSAGE_UNITS = (
    r"(?:(?:special |upper ?case |lower ?case |alphanumeric )?(?:characters?|chars|letters?|digits?|numbers?|symbols?))"
)
_MESSAGE_SENTENCE = (
    r"(?:(?:(?:this |the )?(?:field|value|password|string|input)|it) )?(?:"
    r"(?:must|should|needs to) (?:be|have|contain|include) (?:at least|at most|no more than|not more than|more than"
    rf"|fewer than|less than|a minimum of|a maximum of|between) {_MESSAGE_COUNT} {_MESSAGE_UNITS}(?: long| in length)?"
    r"|(?:is|are) too (?:short|long|weak|common|simple)"
    rf"(?: \((?:minimum|maximum) is {_MESSAGE_COUNT} {_MESSAGE_UNITS}\))?"
    r"|(?:can't|cannot|can not|may not|must not|should not|is not allowed to) be (?:blank|empty|null|nil)"
    r"|(?:is )?(?:required|missing|invalid|not valid|entirely numeric)"
    r"|(?:doesn't|does not|do not|must) match(?: (?:the )?(?:password|confirmation|password confirmation))?"
    rf"|ensure this (?:field|value) has (?:at least|at most|no more than) {_MESSAGE_COUNT} {_MESSAGE_UNITS}"
    rf"(?: \(it has {_MESSAGE_COUNT}\))?)"
)
_VALIDATION_MESSAGE_RE = re.compile(rf"(?i){_MESSAGE_SENTENCE}(?:[.;,] ?{_MESSAGE_SENTENCE}){{0,2}}\.?")
_MESSAGE_MAX_CHARS = 160
# A value JSON writes under a double-quoted name: a string, a number, an object or a list (hidden, when the name is a
# secret's, as a JSON member: `"<redacted>"`), or a constant, which tells nothing.
_JSON_VALUE_START_RE = re.compile(r'"|-?\d[\d.eE+-]*(?![^\s,}\]])|[\[{]|(?:true|false|null)\b')
# A YAML value that is none on its line: what follows, more indented (or a list's items at the name's own indent), is.
_YAML_BLOCK_START_RE = re.compile(r"(?:[|>][+-]?[0-9]?)?[ \t]*(?:#.*)?")
# The ends of an exception's name, which a traceback's last line starts with as a `name: value` line does
# (`KeyError: 'x'`): no secret's name.
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")
# The credential after an HTTP auth scheme in an answer's text (`Authorization: Bearer eyJ...` quoted in an HTML
# debug page, a JSON string or a log line the check did not send): a token68 that looks like a credential, 8
# characters or more holding a digit, a symbol of token68 before a letter or digit, or a capital past its first, or
# 20 characters or more; hidden up to the next space, quote, `<`, `,` or `;` (an escape an encoder wrote in it,
# `\u0026`, is part of it: cut there, the rest of a token the check knows showed). Not the words of an error message
# (`Bearer token expired`, `requires Basic authentication.`, `Token invalid`).
_SCHEME_CREDENTIAL_RE = re.compile(
    r"(?i)\b(?:basic|bearer|digest|negotiate|token|apikey)[ \t]+"
    r"((?=[A-Za-z0-9._~+/-]{8})(?:(?=[A-Za-z0-9._~+/-]*(?:[0-9]|[._~+/-][A-Za-z0-9]))|(?=[A-Za-z0-9._~+/-]{20})|(?-i:(?=.[a-z]*[A-Z])))"
    r"[A-Za-z0-9._~+/-]+=*[^\s\"'<>,;]*)"
)

# Digest's credential (`Digest username="bob", realm="r", nonce="...", response="..."`): its auth-params, quoted plainly
# or as a JSON string quotes them (`response=\\"...\\"`), all of them (`response` is a hash of the password, and with
# the nonces beside it may be replayed), up to what is no auth-param.
_DIGEST_PARAM = r"""[A-Za-z0-9_-]+[ \t]*=[ \t]*(?:\\?"(?:[^"\\\r\n]|\\[^"\r\n])*\\?"|[^\s,"'\\<>]+)"""
_DIGEST_CREDENTIAL_RE = re.compile(rf"(?i)\bdigest[ \t]+({_DIGEST_PARAM}(?:[ \t]*,[ \t]*{_DIGEST_PARAM})*)")

# A call that takes a password as its third argument, as a stack trace quotes it with its arguments (PHP's `#0
# db.php(5): PDO->__construct('mysql:host=db', 'shop', '...')`, mysqli's `(host, user, password)`, JDBC's
# `DriverManager.getConnection(url, user, password)`): its first two arguments, then the third, quoted or not.
_POSITIONAL_ARGUMENT = r"""[ \t]*(?:'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*"|[^,()'"\r\n]*)[ \t]*"""
_PASSWORD_CALL_RE = re.compile(
    r"(?:\bPDO(?:->|::)__construct|\bnew[ \t]+PDO|\bmysqli(?:->|::)(?:__construct|connect)|\bmysqli_connect"
    rf"|\bDriverManager\.getConnection)\((?:{_POSITIONAL_ARGUMENT},){{2}}[ \t]*"
    r"""(?:'(?P<single>(?:[^'\\\r\n]|\\.)*)'|"(?P<double>(?:[^"\\\r\n]|\\.)*)"|(?P<plain>[^,()'"\s]+))"""
)

# Go's `%+v` of a struct (`&{Host:db User:app Password:... Port:5432}`): an exported field's name, its `:` and its value
# to the next space or brace.
_GO_FIELD_RE = re.compile(r"(?<=[{ ])([A-Z]\w{0,99}):(?![/:\s])([^\s{}]+)")
# Go's `%v` of a map (`map[password:... user:bob]`, an http.Header's `map[X-Api-Key:[...]]`): on the line after its
# `map[`, an entry's key, any case, and its value, a slice's brackets whole.
_GO_MAP_RE = re.compile(r"\bmap\[")
_GO_MAP_ENTRY_RE = re.compile(r"(?<=[\[ ])([A-Za-z_][\w.-]{0,99}):(\[[^\[\]\r\n]*\]|[^\s\[\]{}]+)")
# A command line's option under a secret name and its value after a space (`--password s3cr3t`, `--api-key ...`; not
# `--password-stdin` before the next option), and MySQL's `-p` with the password joined to it (`mysql -u root -p...`),
# within 256 characters of its command's name: read to the line's end, each `mysql` of a minified JSON listing databases
# (`"engine":"mysql"`) with no `-p` after it read the rest of the text again, and a `-p` far on was another command's.
# A value may be quoted, as a shell or its trace (`set -x`: `'-ps3cr3t'`) writes one with a space or a sign in it:
# hidden inside its quotes.
_QUOTED_OR_BARE_VALUE = r"""(?:'(?P<single>[^'\r\n]{1,512})'|"(?P<double>[^"\r\n]{1,512})"|(?P<bare>[^\s'"]+))"""
_OPTION_VALUE_RE = re.compile(rf"(?<![^\s'\"])--([A-Za-z][\w-]{{0,99}})[ \t]+(?!-){_QUOTED_OR_BARE_VALUE}")
_MYSQL_PASSWORD_RE = re.compile(
    rf"\bmysql(?:dump|admin|import|sh)?\b[^\r\n]{{0,256}}?[ \t]['\"]?-p{_QUOTED_OR_BARE_VALUE}"
)
# An env file's line (`DB_PASSWORD=...`, `export API_TOKEN="..."`; its name in capitals, as env files write one): a bare
# value runs to the line's end (`s3cr3t#2`, `a b`: Docker's env files keep both), a double-quoted one to its closing
# quote past escaped ones (`"a\"b"`), as a shell reads them.
_ENV_LINE_RE = re.compile(
    r"(?m)^[ \t]*(?:export[ \t]+)?([A-Z_][A-Z0-9_]{0,99})="
    r"""(?:"(?P<double>(?:\\.|[^"\\\r\n]){1,512})"|'(?P<single>[^'\r\n]{1,512})'|(?P<bare>[^\r\n]+))"""
)
# curl's `-u user:password` (`--user`, joined or not, quoted or not) and redis-cli's `-a password`, within 256
# characters of their command's name (`ls -a`, `useradd -u 1001:1001` are other commands').
_CLIENT_PASSWORD_RE = re.compile(
    r"\b(?:curl\b[^\r\n]{0,256}?[ \t](?:-u[ \t]*|--user[ \t]+|--user=)['\"]?[^\s:'\"]*:"
    r"|redis-cli\b[^\r\n]{0,256}?[ \t]-a[ \t]+['\"]?)(?P<password>[^\s'\"]+)"
)
# PHP's array entries, as source writes them (`['password' => '...']`: a double-quoted one is a JSON member's reading),
# as print_r dumps them (`[password] => two words`: to the line's end, or to the next entry or the array's `)` where a
# page runs its lines together: `Array ( [password] => a b [user] => bob )`) and as var_dump does
# (`["password"]=> string(10) "..."`).
_PHP_ENTRY_RE = re.compile(
    r"""'(?P<source>[\w.-]{1,100})'[ \t]*=>[ \t]*'(?P<single>(?:[^'\\\r\n]|\\.){1,512})'"""
    r"""|\[(?P<print_r>[\w.-]{1,100})\][ \t]*=>[ \t]*"""
    r"""(?P<bare>[^\s](?:(?![ \t]{1,8}(?:\[[\w.-]{1,100}\][ \t]*=>|\)))[^\r\n]){0,511})"""
    r"""|\["(?P<var_dump>[\w.-]{1,100})"\]=>\s*string\([0-9]{1,9}\)[ \t]*"(?P<double>[^\r\n]{0,512}?)"(?=\s|$)"""
)
# Kubernetes' refusal of a field's value (`data[password]: Invalid value: "..."`, `spec...env[0].value: Invalid value`):
# hidden when a part of its path is a secret's name, or the path is a Secret's `data` or `stringData`.
_INVALID_VALUE_RE = re.compile(
    r"""(?P<path>[\w.\[\]/-]{1,200}):[ \t]+Invalid value:[ \t]+"""
    r"""(?:"(?P<double>(?:[^"\\\r\n]|\\.){0,512})"|'(?P<single>[^'\r\n]{0,512})'|(?P<bare>[^\s,]+))"""
)
_FIELD_PATH_RE = re.compile(r"[.\[\]]+")
# A quoted value right after a secret's name in a sentence (`invalid token 'abc...'`, `unknown session "..."`): not
# after `key`, which as often names a mapping's member (`missing key 'region'`).
_NAMED_QUOTE_RE = re.compile(r"""\b([A-Za-z][\w-]{1,99})[ \t]+(['"])([^'"\s]{4,200})\2""")

# A string literal a source line assigns to a name (a stack trace's or an error overlay's code: `const API_TOKEN =
# "..."`, PHP's `$db_password = '...'`, Java's `String password = "..."`, Go's `password := "..."`), at most 512
# characters; not a comparison (`token == "..."`).
_ASSIGNMENT_RE = re.compile(
    r"""(?<![\w$.])\$?([A-Za-z_][\w.]{0,99})[ \t]*:?=[ \t]*(?P<q>["'`])((?:(?!(?P=q))[^\\\r\n]|\\.){1,512})(?P=q)"""
)
# A quote written as an HTML character reference (`&quot;`, `&#x27;`): a page showing a mapping escapes its quotes
# (Django's debug page's `{&#x27;PASSWORD&#x27;: &#x27;...&#x27;}`, `<pre>{&quot;token&quot;: ...}</pre>`).
_HTML_QUOTE_RE = re.compile(r"&(?:quot|apos|#0*3[49]|#[xX]0*2[27]);")


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
        failures.append(
            Failure(
                "max_latency_ms",
                f"<= {format_number(expect.max_latency_ms)} ms",
                f"{format_number(exchange.latency_ms)} ms",
            )
        )
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
    # A credential known by its shape, under a name that says nothing (`X-Context: eyJ...`).
    return snippet(_hidden_spans(value, merged_spans(secret_shape_spans(value))), 120)


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


def _judge_json(rule: JsonExpect, document: Any, parse_error: str, secret_names: SecretNames) -> Failure | None:
    path = JsonPath.parse(rule.path)
    # What the path found, as a failure quotes it: nothing of a value under a secret name (`$.auth.token`), nor of one
    # a naming member names as a secret's (`$.env[0].value`), as the answer's text hides both.
    under_secret = json_path_is_secret(path, secret_names) or _names_a_secret(path, document, secret_names)

    def got(value: Any) -> str:
        return json.dumps(REDACTED) if under_secret else quote(json.dumps(value), 120, secret_names)

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
                shown_expected_json(rule.equals, under_secret),
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


def json_path_is_secret(path: JsonPath, secret_names: SecretNames) -> bool:
    """Whether a JSON path names a value under a secret name (`$.auth.token`), or one of the check's `secret_names`."""
    return any(isinstance(step, str) and secret_names.hide(step) for step in path.steps)


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
    return _masked(needle, secret_names)


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
        shown = _masked(_text(start, exchange), secret_names)
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


def _masked(text: str, secret_names: SecretNames) -> str:
    """`text` with the value of every JSON member (`"access_token": "..."`, `"pin": 4711`) and every `name=value`
    parameter (`session=...`) under a secret name replaced by REDACTED: a token a login answers, a password a debug
    page shows, a session in a link, that no capture knew of; an object or a list under such a name whole, a member
    quoted inside a JSON string too, and a URL's user info."""

    if "{" in text:
        # Its mappings first: a naming member hidden as JSON's (`{"key": "password", "value": "..."}`: `key` is a
        # secret's name) no longer names the value beside it.
        text = _hidden_spans(text, merged_spans(_flow_mapping_spans(text, secret_names.hide)))
    parts: list[str] = []
    shown_to = searched_to = 0
    while (match := _JSON_MEMBER_RE.search(text, searched_to)) is not None:
        name = match.group(1)
        with contextlib.suppress(ValueError):
            name = json.loads(f'"{name}"')
        opens_container = match.group(3) in ("[", "{")
        if not secret_names.hide(name) or _is_message_string(match.group(3)):
            # The members of an object under another name are searched too.
            searched_to = match.end() if not opens_container else match.end(3)
            continue
        end = container_end(text, match.start(3)) if opens_container else match.end()
        parts += [text[shown_to : match.start(3)], f'"{REDACTED}"']
        shown_to = searched_to = end
    parts.append(text[shown_to:])

    def escaped(match: re.Match[str]) -> str:
        # The name as the string quoting it holds it, then as its own JSON reads it (`pass\\u0077ord`: `password`).
        name = match.group(1).replace("\\\\", "\\")
        with contextlib.suppress(ValueError):
            name = json.loads(f'"{name}"')
        if not secret_names.hide(name):
            return match.group(0)
        return f'\\"{match.group(1)}\\"{match.group(2)}\\"{REDACTED}\\"'

    masked = _hidden_parameters(_ESCAPED_MEMBER_RE.sub(escaped, "".join(parts)), secret_names)
    spans = [
        *markup_secret_spans(masked, secret_names.hide),
        *_scheme_credential_spans(masked),
        *secret_shape_spans(masked),
        *kubernetes_secret_spans(masked),
        *transcript_secret_spans(masked),
        *_positional_password_spans(masked),
        *_free_text_secret_spans(masked, secret_names.hide),
    ]
    if "&" in masked:
        spans += _html_quoted_spans(masked, secret_names.hide)
    if "@" in masked:
        # A URL's or a DSN's user info (`postgres://app:...@db/app` in a debug page, Go's `root:...@tcp(db)`, Oracle's
        # `scott/...@db:1521/orcl` in a stack trace): a password whatever names it.
        spans += user_info_spans(masked) + dsn_user_info_spans(masked)
    return _hidden_spans(masked, merged_spans(spans)) if spans else masked


# A value that runs on past a space: to a `}` after a `{` that opens it, else to the next `;`, quote or line's end.
_RUN_ON_VALUE_RE = re.compile(r"""\{[^}\r\n]{0,512}\}?|[^;"\r\n]{0,512}""")


def _hidden_parameters(text: str, secret_names: SecretNames) -> str:
    """`text` with the value of every `name=value` parameter under a secret name hidden (`_PARAMETER_RE`)."""
    shown: list[str] = []
    done = at = 0
    while (found := _PARAMETER_RE.search(text, at)) is not None:
        group = "quoted" if found["quoted"] is not None else "bare"
        name = decoded_name(found[1])
        # A tag's quoted naming attribute holds a name (`<add key="StripeKey" value="...">`), which the markup's
        # reading needs to hide the value it names.
        if secret_names.hide(name) and not (group == "quoted" and _is_naming_member(name)):
            end = found.end(group)
            if group == "bare":
                before = found.start(1) - 1
                while before >= 0 and text[before] in " \t":
                    before -= 1
                if before >= 0 and text[before] in ';"':
                    # A connection string's pair (`;Password=a b;`, ODBC's `PWD={a b};`) or an env entry in a JSON
                    # string (`"SECRET_KEY=a b"`): its value runs to the next `;` or quote, spaces and all.
                    run_on = _RUN_ON_VALUE_RE.match(text, found.start(group))
                    assert run_on is not None  # it matches an empty value too
                    end = max(end, run_on.end())
            shown += (text[done : found.start(group)], REDACTED)
            done = at = end
        else:
            # Its value is searched too: a link's `href="/cb?session=..."`.
            at = found.start(group)
    return "".join(shown) + text[done:] if shown else text


def _is_message_string(value: str) -> bool:
    """Whether a JSON member's value is a string holding a validation error's message (`_is_validation_message`)."""
    if not value.startswith('"') or len(value) > 2 * _MESSAGE_MAX_CHARS:
        return False
    try:
        return _is_validation_message(json.loads(value))
    except ValueError:
        return False


def markup_secret_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values under a name `hide` says is secret stand in `text` written as XML, HTML or YAML, or as header
    or INI lines: the content of an element of that name (`<wsse:Password>...</wsse:Password>`, to its end tag or the
    text's end), the value of such an attribute or of the `value` an attribute names (`<input name="csrf_token"
    value="...">`) and the text after its tag (`<entry key="password">...<`), and what follows such a line's `name:`
    or `name =` (`token: abc`, `Authorization: Bearer ...`), with the lines indented under it; unordered, they may
    overlap."""
    spans: list[tuple[int, int]] = []
    if "<" in text:
        # Every end tag, found in one pass (looked for from each secret start tag, past other names' end tags, a text
        # of thousands of each was read thousands of times over).
        end_tags: dict[str, list[int]] = {}
        for end_tag in _END_TAG_RE.finditer(text):
            end_tags.setdefault(end_tag[1], []).append(end_tag.start())
        for tag in _XML_START_TAG_RE.finditer(text):
            if hide(tag[2]):
                spans.append((tag.end(), _end_tag_at(end_tags.get(tag[1], []), tag.end(), len(text))))
        for tag in _TAG_RE.finditer(text):
            if "=" not in tag[0]:
                continue
            attributes = [(a, next(g for g in (2, 3, 4) if a[g] is not None)) for a in _ATTRIBUTE_RE.finditer(tag[0])]
            named = any(_is_naming_member(a[1]) and hide(a[group]) for a, group in attributes)
            tag_name = _MARKUP_TAG_NAME_RE.match(tag[0], 1)
            assert tag_name is not None  # _TAG_RE's tags start with one
            # The `value` of an element of a secret's name (`<token value="..."/>`) or of a password field (`<input
            # type="password" value="...">`) is the secret, as a named one's is; the element's text is not.
            valued = (
                named
                or hide(tag_name[2])
                or any(a[1].lower() == "type" and a[group].lower() == "password" for a, group in attributes)
            )
            for attribute, group in attributes:
                name = attribute[1].lower()
                # A naming attribute's value is a name (`key="Region"`), however the attribute is named.
                by_name = not _is_naming_member(name) and hide(attribute[1].rpartition(":")[2])
                if by_name or (valued and _is_value_member(name)):
                    spans.append((tag.start() + attribute.start(group), tag.start() + attribute.end(group)))
            if named and not tag[0].endswith("/>"):
                # Its text too (a Java properties file's `<entry key="password">...</entry>`), up to the next tag: a
                # section `<div id="session">` names keeps its own elements.
                text_end = text.find("<", tag.end())
                spans.append((tag.end(), len(text) if text_end < 0 else text_end))
    if "{" in text:
        spans += _flow_mapping_spans(text, hide)
    if "," in text:
        spans += _pair_spans(text, hide)
    if "<" in text:
        spans += _html_table_spans(text, hide)
    if "|" in text:
        spans += _pipe_table_spans(text, hide)
    if "|" in text or "\n-" in text:
        spans += _psql_table_spans(text, hide)
    if "  " in text:
        spans += _column_table_spans(text, hide)
    # Where the last block hidden ends: an entry inside it is hidden with it, and is not read again (read, each of
    # thousands of `- token:` lines scanned every line after it, for seconds).
    covered = 0
    # Where the `name:` of the mapping being read stands when its value is a secret's (Kubernetes' `- name:
    # DB_PASSWORD` then `value: ...`, as a tag's naming attribute): its `value:` at that column is hidden.
    named_column = -1
    for entry in _LINE_ENTRY_RE.finditer(text):
        name = entry["single"] or entry["double"] or entry["bare"]
        column = entry.start("key") - entry.start()
        if column < named_column:
            named_column = -1
        if _is_naming_member(name):
            named_column = column if hide(entry["value"].strip().strip("\"'")) else -1
        named = column == named_column and _is_value_member(name)
        if entry.start() < covered or name.endswith(_EXCEPTION_SUFFIXES) or not (named or hide(name)):
            continue
        if entry["double"] and _JSON_VALUE_START_RE.match(entry["value"]):
            # A JSON member's: `_masked` hides it as JSON (`"<redacted>"`), a constant is shown.
            continue
        if _is_validation_message(entry["value"]):
            continue
        if entry["value"].strip() and not _YAML_BLOCK_START_RE.fullmatch(entry["value"]):
            spans.append((entry.start("value"), entry.end("value")))
            continue
        # A block: the lines after it that are more indented, or a list's items at its indent, blank lines among them.
        indent = len(entry["indent"])
        end = at = entry.end()
        while at < len(text):
            line_end = text.find("\n", at + 1)
            line_end = len(text) if line_end < 0 else line_end
            line = text[at + 1 : line_end].rstrip("\r")
            stripped = line.lstrip(" \t")
            if stripped and (len(line) - len(stripped) <= indent and not stripped.startswith("- ")):
                break
            if stripped:
                end = at + 1 + len(line)
            at = line_end
        if end > entry.end():
            # From the next line: the name and its `:` stay on theirs.
            spans.append((text.index("\n", entry.end()) + 1, end))
            covered = end
    return spans


@dataclass
class _FlowFrame:
    """An object or a list a flow mapping's text opened at `start`: whether it is a mapping, whether an entry naming it
    names a secret (`{name: DB_PASSWORD, ...}`), where its `value`/`content` entries' values stand, and the frame
    whose `value` it is, if any (its span known once it closes)."""

    start: int
    mapping: bool
    named: bool = False
    values: list[tuple[int, int]] = field(default_factory=list)
    value_of: _FlowFrame | None = None

    def closed(self, end: int) -> list[tuple[int, int]]:
        """The spans it hides once closed at `end`: its values when named; its own span joins its parent's values."""
        if self.value_of is not None:
            self.value_of.values.append((self.start, end))
        return self.values if self.named else []


def _flow_mapping_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values under a name `hide` says is secret stand in the flow mappings of `text` (`{password: abc}`,
    `{'api_key': 'abc'}`, quoted ones inside their quotes), an object or a list under one whole, and the `value` of a
    mapping whose `name`, `key`, `id` or `property` is a secret's (Kubernetes' env list as JSON: `{"name":
    "DB_PASSWORD", "value": "..."}`), wherever it stands in the mapping."""
    spans: list[tuple[int, int]] = []
    frames: list[_FlowFrame] = []
    # Where an object or a list that is a `value` entry's starts, and the mapping it is the value of.
    value_start, value_of = -1, None
    at = 0
    while (token := _FLOW_TOKEN_RE.search(text, at)) is not None:
        at = token.end()
        if token[0] in "}]":
            if frames:
                spans += frames.pop().closed(token.end())
            continue
        if token[0] in "{[":
            frame = _FlowFrame(token.start(), mapping=token[0] == "{")
            if token.start() == value_start:
                frame.value_of = value_of
            frames.append(frame)
        if not frames or not frames[-1].mapping:
            continue
        key = _FLOW_KEY_RE.match(text, at)
        if key is None:
            continue
        name = key["single"] or key["double"] or key["bare"] or key["escaped"].replace("\\\\", "\\")
        if key.end() < len(text) and text[key.end()] in "{[":
            if hide(name) and not key["double"]:
                # Hidden whole, and not read: nothing in it is shown. Under a double-quoted name, a JSON member's:
                # hidden as JSON (`"<redacted>"`, `_masked`).
                end = container_end(text, key.end())
                spans.append((key.end(), end))
                at = end
            elif _is_value_member(name):
                # Read as the text's own (its entries searched too): its span is known when it closes.
                value_start, value_of = key.end(), frames[-1]
            continue
        value = _FLOW_VALUE_RE.match(text, key.end())
        assert value is not None  # a plain value may be empty
        group = next(g for g in ("single", "double", "escaped", "plain") if value[g] is not None)
        value_span = (value.start(group), value.start(group) + len(value[group].rstrip()))
        if (
            hide(name)
            and not (key["double"] and _JSON_VALUE_START_RE.match(value[0]))
            and value_span[1] > value_span[0]
            and not _is_validation_message(value[group])
        ):
            spans.append(value_span)
        elif group != "plain" and "{" in value[group]:
            # A mapping quoted in a string (an error quoting what it was sent: `"bad request: {'api_key': '...'}"`),
            # read on its own (a string holds no unescaped quote of its kind: quoted strings nest a few deep at most,
            # each read once more).
            start = value.start(group)
            inner = _graphql_spans if _is_graphql(name, value[group]) else _flow_mapping_spans
            spans += [(start + a, start + b) for a, b in inner(value[group], hide)]
        if _is_naming_member(name) and hide(value[group].strip()):
            frames[-1].named = True
        if _is_value_member(name):
            frames[-1].values.append(value_span)
        at = value.end()
    # An answer cut inside a mapping: what its naming entry named is still a secret.
    while frames:
        spans += frames.pop().closed(len(text))
    return spans


def _is_graphql(name: str, value: str) -> bool:
    """Whether a string under `name` is a GraphQL document, as GraphQL over HTTP sends one (`"query": "{ me { ... } }"`,
    `"query": "mutation Login { ... }"`)."""
    return name.lower() == "query" and _GRAPHQL_DOCUMENT_RE.match(value) is not None


def _graphql_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the string arguments under a secret name stand in a GraphQL document (`login(password: "...")`, its
    quotes escaped in a JSON string). An alias or a field (`token: apiToken`), a variable (`token: $token`) or an enum
    after a name is no value the document holds: shown."""
    if ":" not in text:
        return []
    return [found.span("text") for found in _GRAPHQL_STRING_ARGUMENT_RE.finditer(text) if hide(found["name"])]


def _pair_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values of `text`'s lists of pairs stand that a secret's name names (`[('password', '...')]`, a
    header list's repr `[(b'x-api-key', b'...')]`, JSON's `[["token", "..."]]`, a list or an object whole:
    `[["token", {...}]]`)."""
    spans: list[tuple[int, int]] = []
    at = 0
    while (pair := _PAIR_START_RE.search(text, at)) is not None:
        at = pair.end()
        name = pair["single"] or pair["double"]
        if pair["double"]:
            with contextlib.suppress(ValueError):
                name = json.loads(f'"{name}"')
        if not hide(name):
            continue
        if text.startswith(("[", "{"), at):
            # A list or an object: hidden whole, if the pair closes after it; not read again either way.
            end = container_end(text, at)
            if _PAIR_END_RE.match(text, end) is not None:
                spans.append((at, end))
            at = end
            continue
        value = _PAIR_VALUE_RE.match(text, at)
        if value is None or _PAIR_END_RE.match(text, value.end()) is None:
            continue
        group = next(g for g in ("single", "double", "plain") if value[g] is not None)
        if value[group] and not _is_validation_message(value[group]):
            spans.append(value.span(group))
        at = value.end()
    return spans


def _cell_label(cell: str) -> str | None:
    """A table cell's text (its tags aside) when it is written as a name is (`password`, `**API key**`), else None."""
    if len(cell) > _LABEL_MAX_CHARS:
        return None
    label = _LABEL_RE.fullmatch(" ".join(_INNER_TAG_RE.sub("", cell).split()))
    return None if label is None else label[1]


@dataclass
class _TableRow:
    """The cells of a table's row read so far: whether all are header cells, the columns a secret's name heads, those
    a naming word heads (`Key`) and whether a `Value` column is beside them, and where the values a label cell before
    them names stand (a header row's are its column names: not hidden)."""

    header: bool = True
    cells: int = 0
    secret_columns: set[int] = field(default_factory=set)
    naming_columns: set[int] = field(default_factory=set)
    value_column: bool = False
    labelled: list[tuple[int, int]] = field(default_factory=list)

    def read_label(self, cell: str, column: int, hide: Callable[[str], bool]) -> bool:
        """Whether the text of the cell at `column` is a label of a secret's name, noted as its column's header."""
        label = _cell_label(cell)
        if label is None:
            return False
        self.value_column |= _is_value_member(label)
        if _is_naming_member(label):
            self.naming_columns.add(column)
        words = label.split(" ")
        if len(words) > _LABEL_NAME_WORDS:
            # Named by its last words as they end: not by a secret's word before them (`The token was revoked`).
            tails = [" ".join(words[-count:]) for count in range(1, _LABEL_NAME_WORDS + 1)]
            # Nor by a question (`How to rotate your session key`, `Where to store the API key`: a docs page's rows).
            if (
                label.endswith(".")
                or words[0].lower() in _QUESTION_WORDS
                or not any(
                    hide(tail) and (count == 1 or not hide(tail.rpartition(" ")[0]))
                    for count, tail in enumerate(tails, 1)
                )
            ):
                return False
        elif not hide(label) or (len(words) > 1 and words[-1].lower() in _ABOUT_A_SECRET_WORDS):
            return False
        self.secret_columns.add(column)
        return True

    def header_secret_columns(self) -> set[int]:
        """The columns whose cells below are secrets, as a header row: a `Key` beside a `Value` heads names."""
        return self.secret_columns - self.naming_columns if self.value_column else self.secret_columns

    def values(self) -> list[tuple[int, int]]:
        """The values its labels name: none in a header row of more than a label and its value, nor in one of a `Key`
        column beside a `Value` column (its columns' names)."""
        if self.header and (self.cells > 2 or (self.value_column and self.naming_columns)):
            return []
        return self.labelled


def _html_table_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values of `text`'s HTML tables and definition lists stand that a secret's name labels: the cell
    after a label cell in its row (`<td>password</td><td>...</td>`, `<dt>token</dt><dd>...</dd>`), and the cells
    below a header cell (`<th>password</th>`) in its column."""
    spans: list[tuple[int, int]] = []
    row = _TableRow()
    secret_columns: set[int] = set()
    # The open cell's text's start (-1: none open) and what it is: a label's value ("label"), a secret column's
    # ("column") or neither (""); whether the cell before it in its row labels a secret.
    cell_start, value, labelled = -1, "", False
    # The tables a table nested in a cell left open: each one's row, header columns and open cell (its start and
    # kind), taken up again at the nested table's end (reset there, a secret column's cells below it were shown).
    outer: list[tuple[_TableRow, set[int], int, str]] = []
    tables = 0
    for tag in _CELL_TAG_RE.finditer(text):
        open_cell = cell_start, value
        if cell_start >= 0:
            if value == "column":
                spans.append((cell_start, tag.start()))
            elif value == "label":
                row.labelled.append((cell_start, tag.start()))
            # Each cell is read as a label too, as a pipe table's are: a `Value` cell a `Key` one labels tells that
            # column holds names (read as no label, its names were the column's secrets and their values shown).
            # A cell too long to be a label is not cut out of the text (a cell holding tables, read again at each
            # one's end, was cut out again each time).
            short = tag.start() - cell_start <= _LABEL_MAX_CHARS
            labelled = short and row.read_label(text[cell_start : tag.start()], row.cells - 1, hide)
            cell_start = -1
        name = tag[2].lower()
        if name in _CELL_NAMES:
            if not tag[1]:
                row.header &= name == "th"
                by_column = name == "td" and row.cells in secret_columns
                cell_start, value = tag.end(), "column" if by_column else "label" if labelled else ""
                labelled = False
                row.cells += 1
            continue
        if name == "table" and not tag[1] and tables:
            outer.append((row, secret_columns, *open_cell))
            row, secret_columns, labelled, tables = _TableRow(), set(), False, tables + 1
            continue
        # A row's or a table's start or end.
        spans += _ended_row(row, secret_columns)
        row, labelled = _TableRow(), False
        if name == "table":
            tables = tables + 1 if not tag[1] else max(tables - 1, 0)
        if name == "table" and tag[1] and outer:
            # The cell holding it goes on, from its start: a secret cell is hidden with the table in it.
            row, secret_columns, cell_start, value = outer.pop()
        elif name != "tr":
            secret_columns = set()
    if cell_start >= 0 and value == "column":
        spans.append((cell_start, len(text)))
    elif cell_start >= 0 and value == "label":
        row.labelled.append((cell_start, len(text)))
    return [*spans, *_ended_row(row, secret_columns)]


def _ended_row(row: _TableRow, secret_columns: set[int]) -> list[tuple[int, int]]:
    """The spans of a row's labelled values once it ended; a header row's secret columns go into `secret_columns`."""
    if row.cells and row.header:
        secret_columns.clear()
        secret_columns.update(row.header_secret_columns())
    return row.values()


def _pipe_table_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values of `text`'s Markdown and ASCII tables stand that a secret's name labels: the cell after a
    label cell in its row (`| password | ... |`), and the cells below a header cell in its column (the header: a
    table's first row, with a separator line under it)."""
    spans: list[tuple[int, int]] = []
    secret_columns: set[int] = set()
    pending: _TableRow | None = None
    rows = 0
    previous_end = -1
    for line in _PIPE_LINE_RE.finditer(text):
        if text[previous_end : line.start()] not in ("\n", "\r\n"):
            # Another table.
            spans += pending.labelled if pending else []
            pending, rows, secret_columns = None, 0, set()
        previous_end = line.end()
        if _PIPE_SEPARATOR_RE.fullmatch(line[0]):
            if pending is not None and rows == 1:
                pending.header = True
                secret_columns = pending.header_secret_columns()
                spans += pending.values()
            elif pending is not None:
                spans += pending.labelled
            pending = None
            continue
        spans += pending.labelled if pending else []
        pending = None
        if not line[0].lstrip(" \t").startswith("|"):
            continue
        rows += 1
        pending = _TableRow(header=False)
        pipes = [line.start() + found.start() for found in _PIPE_RE.finditer(line[0])]
        bounds = list(zip(pipes, [*pipes[1:], line.end()], strict=True))
        labelled = False
        for column, (pipe, end) in enumerate(bounds):
            cell = text[pipe + 1 : end]
            start = pipe + 1 + len(cell) - len(cell.lstrip())
            stop = pipe + 1 + len(cell.rstrip())
            if stop <= start:
                labelled = False
                continue
            if column in secret_columns:
                spans.append((start, stop))
            elif labelled:
                pending.labelled.append((start, stop))
            labelled = pending.read_label(cell, column, hide)
        # What follows a row's closing `|` is no cell (counted, a header row of a label and its value was three).
        pending.cells = len(bounds) - (not text[pipes[-1] + 1 : line.end()].strip())
    return spans + (pending.labelled if pending else [])


def _psql_table_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values of `text`'s psql tables stand that a secret's name labels: in an aligned table (its header,
    `----+----` under it, rows with a `|` over each `+`), the cells of a column a secret's name heads, and the cell
    after a label cell in its row, as a pipe table's; in an expanded one (`-[ RECORD 1 ]-+---` then `name | value`
    rows), the value of a secret's row, with its lines that go on (`| ...` under it)."""
    spans: list[tuple[int, int]] = []
    for separator in _PSQL_SEPARATOR_RE.finditer(text):
        header_start = text.rfind("\n", 0, max(separator.start() - 1, 0)) + 1
        if separator.start() == 0:
            continue
        line = separator[0].rstrip("\r")
        pipes = [at for at, char in enumerate(line) if char == "+"]
        header_pipes = _at_display_columns(text[header_start : separator.start() - 1], pipes)
        header = _TableRow()
        for column, (pipe, end) in enumerate(zip([-1, *header_pipes], [*header_pipes, len(line)], strict=True)):
            header.read_label(
                text[header_start + pipe + 1 : min(header_start + end, separator.start() - 1)], column, hide
            )
        secret_columns = header.header_secret_columns()
        at = separator.end() + 1
        while at < len(text) and (row := _TEXT_LINE_RE.match(text, at)) is not None:
            row_pipes = _at_display_columns(row[0], pipes)
            if not all(pipe < len(row[0]) and row[0][pipe] == "|" for pipe in row_pipes):
                break
            cells = _TableRow(header=False)
            labelled = False
            for column, (pipe, end) in enumerate(zip([-1, *row_pipes], [*row_pipes, len(row[0])], strict=True)):
                cell = row[0][pipe + 1 : end].rstrip("\r")
                start, stop = at + pipe + 1 + len(cell) - len(cell.lstrip()), at + pipe + 1 + len(cell.rstrip())
                if stop > start and (column in secret_columns or labelled):
                    spans.append((start, stop))
                labelled = stop > start and cells.read_label(cell, column, hide)
            at = row.end() + 1
    for separator in _PSQL_ONE_COLUMN_RE.finditer(text):
        header_start = text.rfind("\n", 0, max(separator.start() - 1, 0)) + 1
        header_text = text[header_start : max(separator.start() - 1, header_start)].rstrip("\r")
        if separator.start() == 0 or not header_text.startswith(" ") or len(header_text) > len(separator[0]):
            continue
        if not _TableRow().read_label(header_text.strip(), 0, hide):
            continue
        # Its rows, each starting with a space (a value's lines that go on too), up to one that does not: `(2 rows)`.
        at = separator.end() + 1
        while at < len(text) and (row := _TEXT_LINE_RE.match(text, at)) is not None and row[0].startswith(" "):
            value = row[0].rstrip("\r")
            if value.strip():
                spans.append((at + len(value) - len(value.lstrip()), at + len(value.rstrip())))
            at = row.end() + 1
    for record in _PSQL_RECORD_RE.finditer(text):
        at, hidden = record.end() + 1, False
        while at < len(text) and (row := _TEXT_LINE_RE.match(text, at)) is not None:
            pipe = row[0].find("|")
            if pipe < 0 or _PSQL_RECORD_RE.fullmatch(row[0]):
                break
            name = row[0][:pipe].strip()
            if name:
                hidden = _TableRow(header=False).read_label(name, 0, hide)
            value = row[0][pipe + 1 :].rstrip("\r")
            start, stop = at + pipe + 1 + len(value) - len(value.lstrip()), at + pipe + 1 + len(value.rstrip())
            if hidden and stop > start:
                spans.append((start, stop))
            at = row.end() + 1
    return spans


def _at_display_columns(line: str, columns: list[int]) -> list[int]:
    """The indexes of `line`'s characters at those columns as a terminal shows it (psql aligns so: an East Asian wide
    character takes two columns, a combining one none); past its end, indexes past it."""
    if line.isascii():
        return columns
    indexes: list[int] = []
    for index, char in enumerate(line):
        width = 0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        indexes += [index] * width
    return [indexes[column] if column < len(indexes) else len(line) + column for column in columns]


def _column_table_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the cells of `text`'s space-aligned tables stand under a column a secret's name heads (kubectl's `NAME
    PASSWORD` then `web   ...`): the rows after its header, each with a space (or its end) before each column's start,
    up to a line that is none (blank or out of line). A line in capitals in line with the columns is a row (a password
    in capitals), not a header: it is not read again as one."""
    spans: list[tuple[int, int]] = []
    read_to = 0
    for header in _COLUMNS_HEADER_RE.finditer(text):
        if header.start() < read_to:
            continue
        names = list(_COLUMN_NAME_RE.finditer(header[0]))
        row = _TableRow()
        for column, name in enumerate(names):
            row.read_label(name[0], column, hide)
        secret_columns = row.header_secret_columns()
        if not secret_columns:
            continue
        starts = [name.start() for name in names]
        secret = sorted(secret_columns)
        at = header.end() + 1
        while at < len(text) and (line := _TEXT_LINE_RE.match(text, at)) is not None:
            cells = line[0].rstrip("\r")
            if not cells.strip():
                break
            # A cell may be empty (`docker ps`'s PORTS, a last cell left out): a space before its column's start, or
            # the line ended before it. Only the columns the line reaches are looked at: a short line under a header
            # of thousands of columns is not read thousands of times.
            reached = bisect.bisect_left(starts, len(cells))
            if not all(cells[start - 1] == " " for start in starts[1:reached]):
                break
            for column in secret[: bisect.bisect_left(secret, reached)]:
                end = starts[column + 1] if column + 1 < len(starts) else len(cells)
                cell = cells[starts[column] : end]
                if cell.strip():
                    spans.append((at + starts[column], at + starts[column] + len(cell.rstrip())))
            at = line.end() + 1
        read_to = at
    return spans


def _is_validation_message(value: str) -> bool:
    """Whether a value under a secret's name is a validation error's message, no secret (`must be at least 8
    characters`; see _VALIDATION_MESSAGE_RE)."""
    value = value.strip()
    return len(value) <= _MESSAGE_MAX_CHARS and _VALIDATION_MESSAGE_RE.fullmatch(value) is not None


def _end_tag_at(end_tags: list[int], start: int, text_end: int) -> int:
    """Where the first of an element's end tags (`end_tags`, in order: `</name>`, `</name >`; not `</nameHash>`) after
    `start` starts, or `text_end` (an answer the quote cut inside the element)."""
    at = bisect.bisect_left(end_tags, start)
    return end_tags[at] if at < len(end_tags) else text_end


def _scheme_credential_spans(text: str) -> list[tuple[int, int]]:
    """Where a credential after an HTTP auth scheme stands in an answer's text (`Bearer eyJ...`, Digest's
    auth-params)."""
    spans = [found.span(1) for found in _SCHEME_CREDENTIAL_RE.finditer(text)]
    return spans + [found.span(1) for found in _DIGEST_CREDENTIAL_RE.finditer(text)] if "=" in text else spans


def _free_text_secret_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where a secret named in free text stands: a Go struct's field (`Password:...`), a command line's option
    (`--password ...`, MySQL's `-p...`) and a quoted value after a secret's name in a sentence (`invalid token
    '...'`)."""
    spans = []
    if "{" in text:
        spans += [found.span(2) for found in _GO_FIELD_RE.finditer(text) if hide(found[1])]
    if "map[" in text:
        read_to = 0
        for go_map in _GO_MAP_RE.finditer(text):
            if go_map.start() < read_to:
                # Its line's maps were read with the first of them.
                continue
            line_end = text.find("\n", go_map.end())
            line_end = len(text) if line_end < 0 else line_end
            entries = _GO_MAP_ENTRY_RE.finditer(text, max(go_map.end() - 1, read_to), line_end)
            spans += [found.span(2) for found in entries if hide(found[1])]
            read_to = line_end
    if "Invalid value" in text:
        for found in _INVALID_VALUE_RE.finditer(text):
            path = found["path"]
            if path.startswith(("data", "stringData")) or any(hide(part) for part in _FIELD_PATH_RE.split(path)):
                spans.append(_value_span(found))
    if "--" in text:
        spans += [_value_span(found) for found in _OPTION_VALUE_RE.finditer(text) if hide(found[1])]
    if "-p" in text:
        spans += [_value_span(found) for found in _MYSQL_PASSWORD_RE.finditer(text)]
    if "=" in text:
        spans += [_value_span(found) for found in _ENV_LINE_RE.finditer(text) if hide(found[1])]
    if "curl" in text or "redis-cli" in text:
        spans += [found.span("password") for found in _CLIENT_PASSWORD_RE.finditer(text)]
    if "=>" in text:
        spans += [
            _value_span(found)
            for found in _PHP_ENTRY_RE.finditer(text)
            if hide(found["source"] or found["print_r"] or found["var_dump"])
        ]
    if "=" in text:
        # Not a tag's naming attribute (`<add key='ApiKey' value=...>`): it holds a name.
        spans += [
            found.span(3)
            for found in _ASSIGNMENT_RE.finditer(text)
            if hide(found[1]) and not _is_naming_member(found[1])
        ]
    if "'" in text or '"' in text:
        spans += [
            found.span(3)
            for found in _NAMED_QUOTE_RE.finditer(text)
            if found[1].lower() not in ("key", "keys") and hide(found[1])
        ]
    return spans


def _value_span(found: re.Match[str]) -> tuple[int, int]:
    """Where the value `_QUOTED_OR_BARE_VALUE` matched stands: inside its quotes, or bare."""
    return found.span(next(group for group in ("single", "double", "bare") if found[group] is not None))


def _json_member_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values of `text`'s JSON members under a name `hide` says is secret stand: a string's text inside its
    quotes, a number, an object or a list whole; a validation message aside."""
    spans = []
    at = 0
    while (match := _JSON_MEMBER_RE.search(text, at)) is not None:
        opens_container = match.group(3) in ("[", "{")
        name = match.group(1)
        with contextlib.suppress(ValueError):
            name = json.loads(f'"{name}"')
        if not hide(name) or _is_message_string(match.group(3)):
            at = match.end() if not opens_container else match.end(3)
            continue
        value = match.group(3)
        if opens_container:
            end = container_end(text, match.start(3))
            spans.append((match.start(3), end))
        elif value.startswith('"'):
            # Inside its quotes (a string the text's end cut has no closing one).
            end = match.end(3)
            spans.append((match.start(3) + 1, end - (len(value) > 1 and value.endswith('"'))))
        else:
            end = match.end(3)
            spans.append(match.span(3))
        at = end
    return spans


def _html_quoted_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the secret values of mappings and assignments whose quotes `text` writes as HTML character references
    stand (`{&quot;password&quot;: &quot;...&quot;}`, `token = &quot;...&quot;`): read with those quotes decoded, as the
    page shows them."""
    view: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for found in _HTML_QUOTE_RE.finditer(text):
        view.append(text[done : found.start()])
        starts.extend(range(done, found.start()))
        ends.extend(range(done + 1, found.start() + 1))
        view.append("'" if found[0] == "&apos;" or found[0].endswith(("39;", "27;")) else '"')
        starts.append(found.start())
        ends.append(found.end())
        done = found.end()
    if not starts:
        return []
    view.append(text[done:])
    starts.extend(range(done, len(text)))
    ends.extend(range(done + 1, len(text) + 1))
    decoded = "".join(view)
    found_spans = [
        *_json_member_spans(decoded, hide),
        *markup_secret_spans(decoded, hide),
        *_free_text_secret_spans(decoded, hide),
    ]
    return [(starts[start], ends[end - 1]) for start, end in found_spans if end > start]


def _positional_password_spans(text: str) -> list[tuple[int, int]]:
    """Where the password a call takes as its third argument stands in a stack trace's quote of it
    (`_PASSWORD_CALL_RE`: `PDO->__construct('mysql:...', 'shop', '...')`)."""
    if "(" not in text:
        return []
    spans = []
    for found in _PASSWORD_CALL_RE.finditer(text):
        group = next(g for g in ("single", "double", "plain") if found[g] is not None)
        spans.append(found.span(group))
    return spans


def _hidden_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (in order, apart) replaced by REDACTED; an empty one stays empty."""
    shown: list[str] = []
    done = 0
    for start, end in spans:
        if end > start:
            shown += (text[done:start], REDACTED)
            done = end
    return "".join(shown) + text[done:]


def quote(text: str, limit: int, secret_names: SecretNames = NO_SECRET_NAMES) -> str:
    """The start of a body's text as a reason or evidence shows it, at most `limit` characters, secret members'
    values hidden (`_masked`). Only a window of the text is searched, widened until its masked text fills `limit`, up
    to _QUOTE_WINDOW_CHARS."""
    window = limit
    while True:
        shown = _masked(text[:window], secret_names)
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
