"""What a secret looks like in a body of text an HTTP server answered (a JSON member, a form parameter, markup, a
table, a command line, a stack trace): one reader for http_smoke's evidence and the Prometheus source's error quotes,
in core so that both hide the same."""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.redaction import _PASS_NAME_RE as _PASS_NAME_RE
from analyzer.redaction import _SCHEME_MESSAGE_WORDS as _SCHEME_MESSAGE_WORDS
from analyzer.redaction import (
    ESCAPED_LINE_BREAK,
    NO_CHALLENGE,
    REDACTED,
    STRING_PREFIX,
    TEXT_PARAMETER_MARKS,
    TEXT_PARAMETER_VALUE_RE,
    capability_path_spans,
    container_end,
    declared_string_spans,
    decoded_name,
    dsn_passwords,
    dsn_user_info_spans,
    fullwidth_pair_spans,
    go_value_spans,
    hide_passwords_alone,
    is_oauth_code,
    is_secret_pair,
    is_secret_parameter,
    kubernetes_secret_spans,
    may_hide,
    may_hide_parameter,
    merged_spans,
    names_no_secret,
    oauth_code_run_end,
    pydantic_input_spans,
    scheme_credential_end,
    secret_shape_spans,
    transcript_secret_spans,
    unquoted,
    url_parameter_spans,
    user_info_passwords,
    user_info_spans,
    yaml_block_end,
)
from analyzer.redaction import _tells_no_secret as _tells_no_secret

# A JSON member of a body's text with its string or number value; a string the end of the text cuts runs to that end.
# A `name=value` parameter of a form, a query string or a cookie in a body's text (a token endpoint's form answer, a
# link carrying a session); its name may be percent-encoded (`client%5Fsecret`, `pass%77ord`), as a form encoder or a
# server may write any character of it, and is read decoded.
# Its value may be a list, as Java's Map.toString writes a header's values (`{Authorization=[Basic ...]}`): hidden
# inside its brackets.
# Its value may be quoted, as a shell, an .env file or a properties dump writes one (`export API_SECRET='...'`,
# `DB_PASSWORD="..."`), in a JSON string too (`token=\\"...\\"`): hidden inside its quotes; a quoted value is read
# at most 512 characters far, past a quote a backslash escapes (`"a\"b"`), and another name's is searched for
# parameters too (`href="/cb?session=..."`). The value is read only under a secret name: read under every name, each
# `x=` of a run of them (`x=y@x=y@...`) read its bare value to the run's end again (3 s for 64 KiB).
_PARAMETER_NAME_RE = re.compile(r"(?<![A-Za-z0-9_.%-])((?:[A-Za-z0-9_.-]|%[0-9A-Fa-f]{2}){1,100})=")
# A Python repr's value may be bytes, raw or unicode (`password=b'...'`, `rb'...'`, `u'...'`: `STRING_PREFIX`) or an
# object's repr (`Secret('...')`, hidden whole); a quoted value no quote closes before the text's end (a quote cut it)
# runs to that end.
_PARAMETER_VALUE = (
    rf"""{STRING_PREFIX}(?P<q>\\?["'])(?P<quoted>(?:(?!(?P=q))(?:\\[^\r\n]|[^\\\r\n])){{1,512}})(?P=q)"""
    r"""{cut}|\[(?P<listed>[^\[\]\r\n]{1,512})\]"""
    r"""|(?P<call>[A-Za-z_][\w.]{0,99}\([^()\r\n]{0,512}\))"""
    rf"""|(?P<bare>(?:(?!{ESCAPED_LINE_BREAK}|\\u0026)[^&\s\"'<>#;])+)"""
)
_PARAMETER_VALUE_RE = re.compile(_PARAMETER_VALUE.replace("{cut}", rf"""|{STRING_PREFIX}\\?["'](?P<cut>[^\r\n]+)\Z"""))
# The same before the text's last line, where no value runs to the text's end: tried there, each `password=""` of a
# line of them read the line to its end again (quadratic: 4 s for 128 KB before a line's end).
_PARAMETER_VALUE_BEFORE_LAST_LINE_RE = re.compile(_PARAMETER_VALUE.replace("{cut}", "|(?P<cut>(?!))"))
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
# HTML's elements that hold no text: what follows one's start tag is its parent's.
_HTML_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
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
# space before the `=` (a form's `a=1&token=x` is a parameter's), or a fullwidth colon (U+FF1A, as CJK text writes
# one); the value runs to the line's end, past one inside a check's placeholder (`token: {{\n t }}`: cut there, the
# placeholder was malformed).
_LINE_ENTRY_RE = re.compile(
    r"(?m)^(?P<indent>[ \t]*)(?:(?:-[ \t]+){1,8}|[<>][ \t]+)?"
    r"(?P<key>'(?P<single>[^'\r\n]{1,100})'|\"(?P<double>[^\"\r\n]{1,100})\"|(?P<bare>[A-Za-z_][\w.-]{0,99}))"
    r"(?:[ \t]*:(?!:)[ \t]*|[ \t]+=[ \t]*|[ \t]*\uff1a[ \t]*)"
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
# string quoted in it; its text in group `single`, `double` or `escaped`), an object's repr (`Secret('a, b')`: whole,
# its commas in it; no bracket in it), or plain (to the next `,` or bracket); either may run over lines, as YAML folds
# one longer than a line (cut at the line's end, the rest was shown); an object or a list starts with its bracket, read
# as the text's own.
_FLOW_VALUE_RE = re.compile(
    r"""b?'(?P<single>(?:[^']|'')*)'|"""
    r'"(?P<double>(?:[^"\\]|\\[\s\S])*)"'
    r"""|\\"(?P<escaped>(?:[^"\\]|\\\\(?:\\\\|\\"|[^"\\])|\\[^"\\])*)\\"|"""
    r"""(?P<call>[A-Za-z_][\w.]{0,99}\([^()\[\]{}\r\n]{0,512}\))|(?P<plain>[^,{}\[\]]*)"""
)
# A validation error's `loc`: a list (JSON) or a tuple (a repr of pydantic's `errors()`) of a few names and indexes,
# and each name in it, double-quoted or single.
_LOCATION_ITEM = r"""(?:"(?:[^"\\\r\n]|\\.){0,100}"|'[^'\r\n]{0,100}'|-?[0-9]{1,9})"""
_LOCATION_RE = re.compile(rf"[\[(](?:\s*{_LOCATION_ITEM}\s*,){{0,16}}\s*{_LOCATION_ITEM}?\s*[)\]]")
_LOCATION_PART_RE = re.compile(r""""((?:[^"\\\r\n]|\\.){1,100})"|'([^'\r\n]{1,100})'""")
# A single-quoted value as a Python repr writes one that holds both quotes (`'it\'s "x"'`: a backslash escapes its
# quote, which in YAML's reading ends it), on its line.
_REPR_SINGLE_RE = re.compile(r"""b?'(?:[^'\\\r\n]|''|\\.)*'""")
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
# A quoted value no quote closes before the text's end (a quote cut the list there) runs to that end.
_PAIR_VALUE_RE = re.compile(
    r"""b?'(?P<single>(?:[^'\\\r\n]|\\.)*)'|b?"(?P<double>(?:[^"\\\r\n]|\\.)*)"|(?P<plain>-?\d[\w.+-]*)"""
    r"""|b?["'](?P<cut>[^\r\n]+)\Z"""
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
# debug page, a JSON string or a log line the check did not send): a token68 that looks like a credential, whatever its
# length (`Bearer abc123`), holding a digit, a symbol of token68 before a letter or digit, or a capital past its first
# (with a small letter, or of 8 characters or more: `TOKEN EXPIRED` is a word), or 20 characters or more; hidden up to
# the next space, quote, `<`, `,` or `;` (an escape an encoder wrote in it, `\u0026`, is part of it: cut there, the
# rest of a token the check knows showed), or an escaped quote (`\"`, or `\\\"` escaped twice: its backslashes went
# with the token, the string's own quote left unescaped). An escaped space or line break (`\n`, `\t`, `\u000a`,
# `\u0020`) ends it, as a space does: no credential holds one (read on, the next line of a JSON string was hidden with
# it). Not the words of prose or an error message, small letters alone (`Bearer tokens are issued`, `Bearer token
# expired`, `requires Basic authentication.`, `Token invalid`), nor a version (`API token v2 is required`). After an
# `Authorization` header's name and its `:` or `=` (`sent Authorization: Bearer abcdef`), any token is the credential.
# A version's first number has 4 digits at most (`v2`, `v2024`): `Bearer v12345678901` is a token.
_VERSION_MOST_DIGITS = 4
_TOKEN_CHAR = r"(?:[A-Za-z0-9._~+/-]|\\u(?!00(?:[01][0-9A-Fa-f]|2[02]))[0-9A-Fa-f]{4})"
_SCHEME_NAMES = r"(?:basic|bearer|digest|negotiate|token|apikey)[ \t]+"
_CREDENTIAL = r"""[A-Za-z0-9._~+/-]+=*(?:[^\s"'<>,;\\]|\\(?!\\*(?:["nrtbf]|u00(?:[01][0-9A-Fa-f]|2[02]))))*"""
_SCHEME_CREDENTIAL_RE = re.compile(
    rf"(?i)\b{_SCHEME_NAMES}{NO_CHALLENGE}"
    rf"((?!v[0-9]{{1,{_VERSION_MOST_DIGITS}}}(?:\.[0-9]+)*(?![A-Za-z0-9_~+/=-]|[.-][A-Za-z0-9]))"
    rf"(?:(?={_TOKEN_CHAR}*(?:[0-9]|[._~+/-][A-Za-z0-9]))|(?={_TOKEN_CHAR}{{20}})"
    rf"|(?-i:(?=.[a-z]*[A-Z])(?:(?={_TOKEN_CHAR}*[a-z])|(?={_TOKEN_CHAR}{{8}}))))"
    rf"{_CREDENTIAL})"
)
# After `Bearer` (a scheme prose seldom names but as one: `Bearer tokens`, `Bearer authentication`), small letters
# alone are a token too (`Bearer dev`, a staging token written as a word), but for those prose's words; after other
# schemes' names they stay (`Basic usage`, `token bucket`).
_BEARER_PROSE_WORDS = (
    rf"{_SCHEME_MESSAGE_WORDS}|jwts?|bearer|scheme|based|format|prefix|value|string|field|usage|as|be|by|can|must"
    r"|should|will|may|from|via|using|instead|this|that|it|here|there|if|when|at|no|over|please|you|your|we|our"
)
_BEARER_WORD_RE = re.compile(
    r"(?i)\bbearer[ \t]+"
    rf"(?-i:(?!(?:{_BEARER_PROSE_WORDS})(?![A-Za-z0-9]))([a-z]+)(?![A-Za-z0-9_~+/=\\-]|\.[A-Za-z0-9]))"
)
_AUTHORIZATION_CREDENTIAL_RE = re.compile(
    rf"""(?i)\b(?:proxy-)?authorization\\*["']?[ \t]*(?::|=>?)[ \t]*\\*["']?{_SCHEME_NAMES}{NO_CHALLENGE}"""
    rf"({_CREDENTIAL})"
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
# curl's `-u user:password` (`--user`, joined or not, quoted or not) and redis-cli's `-a password` (`--pass`), within
# 256 characters of their command's name (`ls -a`, `useradd -u 1001:1001` are other commands').
_CLIENT_PASSWORD_RE = re.compile(
    r"\b(?:curl\b[^\r\n]{0,256}?[ \t](?:-u[ \t]*|--user[ \t]+|--user=)['\"]?[^\s:'\"]*:"
    r"|redis-cli\b[^\r\n]{0,256}?[ \t](?:-a|--pass)[ \t]+['\"]?)(?P<password>[^\s'\"]+)"
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

# A quote written as an HTML character reference (`&quot;`, `&#x27;`): a page showing a mapping escapes its quotes
# (Django's debug page's `{&#x27;PASSWORD&#x27;: &#x27;...&#x27;}`, `<pre>{&quot;token&quot;: ...}</pre>`).
_HTML_QUOTE_RE = re.compile(r"&(?:quot|apos|#0*3[49]|#[xX]0*2[27]);")


def _hides_pair(hide: Callable[[str], bool], name: str, value: str, shown: frozenset[str]) -> bool:
    """Whether `value` under `name` is hidden: `name` is one `hide` hides but `value` is what it counts or names
    (`names_no_secret`: `"tokens": 5`), or `pass` alone holding no result (`is_secret_pair`: `pass=hunter2`, not
    `pass=12`) that `shown` (exact names as written) does not list."""
    if hide(name):
        return not names_no_secret(name, unquoted(value))
    return name not in shown and _PASS_NAME_RE.fullmatch(name) is not None and is_secret_pair(name, value)


def _hides_parameter(hide: Callable[[str], bool], name: str, value: str, shown: frozenset[str]) -> bool:
    """Whether a `name=value` parameter's `value` is hidden: as a pair's (`_hides_pair`), or `code` alone's holding an
    OAuth code (`is_secret_parameter`) that `shown` does not list."""
    return _hides_pair(hide, name, value, shown) or (name not in shown and is_secret_parameter(name, value))


def _names_pass(name: str, shown: frozenset[str]) -> bool:
    """Whether `name` is `pass` alone (digits after it), whose value decides whether it is a password
    (`_hides_pair`), and `shown` does not list it."""
    return name not in shown and _PASS_NAME_RE.fullmatch(name) is not None


def _masked(text: str, hide: Callable[[str], bool], shown: frozenset[str] = frozenset()) -> str:
    """`text` with the value of every JSON member (`"access_token": "..."`, `"pin": 4711`) and every `name=value`
    parameter (`session=...`) under a secret name replaced by REDACTED: a token a login answers, a password a debug
    page shows, a session in a link, that no capture knew of; an object or a list under such a name whole, a member
    quoted inside a JSON string too, and a URL's user info. `shown`: names listed as holding no secret, exact (a
    `pass` alone that `hide` cannot answer for, its value deciding)."""

    read = text
    flow_spans = _flow_mapping_spans(text, hide, shown) if "{" in text else []
    # Its mappings first: a naming member hidden as JSON's (`{"key": "password", "value": "..."}`: `key` is a
    # secret's name) no longer names the value beside it.
    text = _hidden_spans(text, merged_spans(flow_spans))
    parts: list[str] = []
    shown_to = searched_to = 0
    while (match := _JSON_MEMBER_RE.search(text, searched_to)) is not None:
        name = _json_string_text(match.group(1))
        opens_container = match.group(3) in ("[", "{")
        if not _hides_pair(hide, name, match.group(3), shown) or _is_message_string(match.group(3)):
            # The members of an object under another name are searched too.
            searched_to = match.end() if not opens_container else match.end(3)
            continue
        end = container_end(text, match.start(3)) if opens_container else match.end()
        parts += [text[shown_to : match.start(3)], f'"{REDACTED}"']
        shown_to = searched_to = end
    parts.append(text[shown_to:])

    def escaped(match: re.Match[str]) -> str:
        # The name as the string quoting it holds it, then as its own JSON reads it (`pass\\u0077ord`: `password`).
        name = _json_string_text(match.group(1).replace("\\\\", "\\"))
        if not hide(name):
            return match.group(0)
        return f'\\"{match.group(1)}\\"{match.group(2)}\\"{REDACTED}\\"'

    masked = _hidden_parameters(_ESCAPED_MEMBER_RE.sub(escaped, "".join(parts)), hide, shown)
    spans = [
        # The mappings are read again where hiding changed the text (a value's brackets or quotes gone may show
        # mappings); else they hide nothing more (read twice, a body of thousands of brackets took twice the time).
        *_markup_secret_spans(masked, hide, flow_spans=None if flow_spans or masked != read else [], shown=shown),
        *_scheme_credential_spans(masked),
        *secret_shape_spans(masked),
        *kubernetes_secret_spans(masked),
        *capability_path_spans(masked),
        *transcript_secret_spans(masked),
        *pydantic_input_spans(masked, hide),
        *_positional_password_spans(masked),
        *_free_text_secret_spans(masked, hide),
    ]
    if "&" in masked:
        spans += _html_quoted_spans(masked, hide)
    if "=" in masked:
        # A parameter's value holding a URL or a query percent-encoded (`redirect=https%3A%2F%2Fidp%2Fcb%3Ftoken%3D...`,
        # a mail link's `?body=token%3D...`), read decoded.
        spans += url_parameter_spans(
            masked,
            lambda name, value: _hides_parameter(hide, name, value, shown),
            may_hide_name=lambda name: hide(name) or may_hide_parameter(name),
            values=TEXT_PARAMETER_VALUE_RE,
            marks=TEXT_PARAMETER_MARKS,
        )
    passwords: list[tuple[str, ...]] = []
    if "@" in masked:
        # A URL's or a DSN's user info (`postgres://app:...@db/app` in a debug page, Go's `root:...@tcp(db)`, Oracle's
        # `scott/...@db:1521/orcl` in a stack trace): a password whatever names it, and hidden where it stands alone.
        user_infos, dsns = user_info_spans(masked), dsn_user_info_spans(masked)
        spans += user_infos + dsns
        passwords = user_info_passwords(masked, user_infos) + dsn_passwords(masked, dsns)
    masked = _hidden_spans(masked, merged_spans(spans)) if spans else masked
    return hide_passwords_alone(masked, passwords) if passwords else masked


# How far past a bare value's end its reading looks (an escaped line break's next name, ESCAPED_LINE_BREAK).
_VALUE_END_LOOKAHEAD_CHARS = 256
# A value that runs on past a space: to a `}` after a `{` that opens it, else to the next `;`, quote or line's end.
_RUN_ON_VALUE_RE = re.compile(rf"""\{{[^}}\r\n]{{0,512}}\}}?|(?:(?!{ESCAPED_LINE_BREAK})[^;"\r\n]){{0,512}}""")


def _hidden_parameters(text: str, hide: Callable[[str], bool], shown_names: frozenset[str] = frozenset()) -> str:
    """`text` with the value of every `name=value` parameter under a secret name hidden (`_PARAMETER_NAME_RE`), a
    `pass` alone's unless `shown_names` lists it (`_hides_pair`)."""
    shown: list[str] = []
    done = at = code_run_end = 0
    last_line = max(text.rfind("\n"), text.rfind("\r")) + 1
    while (named := _PARAMETER_NAME_RE.search(text, at)) is not None:
        # Another name's value is searched too (a link's `href="/cb?session=..."`): from past its `=`.
        at = named.end()
        name = decoded_name(named[1])
        values = _PARAMETER_VALUE_RE if at >= last_line else _PARAMETER_VALUE_BEFORE_LAST_LINE_RE
        found = None
        if hide(name) or may_hide(name):
            found = values.match(text, at)
        elif may_hide_parameter(name):
            # `code` alone's value is hidden only as an OAuth code (`is_secret_parameter`): read only where the run of
            # a code's characters it starts in (found once for all the names in it) is one. Read for each name, each
            # `code=` of a run of them (`?code=code=...`) read the rest of the run again (quadratic: 35 s for 32 KB).
            if at >= code_run_end:
                code_run_end = oauth_code_run_end(text, at)
            if is_oauth_code(text, at, code_run_end):
                found = values.match(text, at, code_run_end + _VALUE_END_LOOKAHEAD_CHARS)
        if found is not None and not _hides_parameter(hide, name, found[0], shown_names):
            found = None
        # A value hidden already (`jwt=%22<redacted>%22`, a known secret percent-quoted) is left as it is.
        if found is None or text.startswith(REDACTED, found.end()):
            continue
        group = next(g for g in ("quoted", "cut", "listed", "call", "bare") if found[g] is not None)
        # A tag's quoted naming attribute holds a name (`<add key="StripeKey" value="...">`), which the markup's
        # reading needs to hide the value it names.
        if not (group == "quoted" and _is_naming_member(name)):
            end = found.end(group)
            if group == "bare":
                end = scheme_credential_end(text, found.start(group), end)
                before = named.start(1) - 1
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
    return "".join(shown) + text[done:] if shown else text


def _json_string_text(inner: str) -> str:
    """The text of a JSON string whose inside is `inner`, its escapes read (`pass\\u0077ord`: `password`); `inner`
    itself when it holds none, or is no JSON string's inside."""
    if "\\" not in inner:
        # Read by json.loads, each of thousands of names cost a call; without an escape it reads as written (or a
        # control character in it is refused, and it is kept as written all the same).
        return inner
    try:
        text: str = json.loads(f'"{inner}"')
    except ValueError:
        return inner
    return text


def _is_message_string(value: str) -> bool:
    """Whether a JSON member's value is a string holding a validation error's message (`_is_validation_message`)."""
    if not value.startswith('"') or len(value) > 2 * _MESSAGE_MAX_CHARS:
        return False
    try:
        return _is_validation_message(json.loads(value))
    except ValueError:
        return False


def _markup_secret_spans(
    text: str,
    hide: Callable[[str], bool],
    flow_spans: list[tuple[int, int]] | None = None,
    shown: frozenset[str] = frozenset(),
) -> list[tuple[int, int]]:
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
            if named and not tag[0].endswith("/>") and tag_name[0].lower() not in _HTML_VOID_ELEMENTS:
                # Its text too (a Java properties file's `<entry key="password">...</entry>`), up to the next tag: a
                # section `<div id="session">` names keeps its own elements; an HTML element that holds no text
                # (`<input name="pw" ...>Sign in`) has none.
                text_end = text.find("<", tag.end())
                spans.append((tag.end(), len(text) if text_end < 0 else text_end))
    if flow_spans is not None:
        spans += flow_spans
    elif "{" in text:
        spans += _flow_mapping_spans(text, hide, shown)
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
    # What that `name:` names: `pass` alone's `value:` is hidden when it is no result (`_hides_pair`).
    naming = ""
    for entry in _LINE_ENTRY_RE.finditer(text):
        name = entry["single"] or entry["double"] or entry["bare"]
        column = entry.start("key") - entry.start()
        if column < named_column:
            named_column = -1
        if _is_naming_member(name):
            naming = entry["value"].strip().strip("\"'")
            named_column = column if hide(naming) or _names_pass(naming, shown) else -1
        named = (
            column == named_column
            and _is_value_member(name)
            and _hides_pair(hide, naming, entry["value"].strip(), shown)
        )
        if entry.start() < covered or name.endswith(_EXCEPTION_SUFFIXES) or not (named or hide(name)):
            continue
        if entry["double"] and _JSON_VALUE_START_RE.match(entry["value"]):
            # A JSON member's: `_masked` hides it as JSON (`"<redacted>"`), a constant is shown.
            continue
        if _is_validation_message(entry["value"]) or (not named and _tells_no_secret(name, entry["value"].strip())):
            continue
        if entry["value"].strip() and not _YAML_BLOCK_START_RE.fullmatch(entry["value"]):
            spans.append((entry.start("value"), entry.end("value")))
            continue
        # A block: the lines after it that are more indented, or a list's items at its indent, blank lines among them.
        indent = len(entry["indent"])
        end = yaml_block_end(text, entry.end(), indent)
        if end > entry.end():
            # From the next line: the name and its `:` stay on theirs.
            spans.append((text.index("\n", entry.end()) + 1, end))
            covered = end
    return spans


@dataclass(slots=True)
class _FlowFrame:
    """An object or a list a flow mapping's text opened at `start`: whether it is a mapping, whether an entry naming it
    names a secret (`{name: DB_PASSWORD, ...}`), where its `value`/`content` entries' values stand, and the frame
    whose `value` it is, if any (its span known once it closes); a validation error's (pydantic's `errors()`, FastAPI's
    422: `{"loc": ["body", "password"], "input": "..."}`) too, whose `loc` names the field its `input` was sent for."""

    start: int
    mapping: bool
    named: bool = False
    values: list[tuple[int, int]] = field(default_factory=list)
    value_of: _FlowFrame | None = None
    located: bool = False
    inputs: list[tuple[int, int]] = field(default_factory=list)
    # Named `pass` alone (`{"name": "pass", "value": ...}`): a password or a result, its value deciding.
    pass_named: bool = False

    def closed(self, text: str, end: int) -> list[tuple[int, int]]:
        """The spans of `text` it hides once closed at `end`: its values when named (named `pass` alone, those that
        are no result: `is_secret_pair`), its inputs when its `loc` names a secret; its own span joins its parent's
        values."""
        if self.value_of is not None:
            self.value_of.values.append((self.start, end))
        values = self.values if self.named else []
        if self.pass_named and not self.named:
            values = [(a, b) for a, b in self.values if is_secret_pair("pass", text[a:b])]
        return values + (self.inputs if self.located else [])


def _flow_mapping_spans(
    text: str, hide: Callable[[str], bool], shown: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Where the values under a name `hide` says is secret stand in the flow mappings of `text` (`{password: abc}`,
    `{'api_key': 'abc'}`, quoted ones inside their quotes), and `pass` alone's holding no result unless `shown` lists
    it (`_hides_pair`: `{pass: hunter2}`, not `{pass: 12}`), an object or a list under one whole, and the `value` of a
    mapping whose `name`, `key`, `id` or `property` is a secret's (Kubernetes' env list as JSON: `{"name":
    "DB_PASSWORD", "value": "..."}`), wherever it stands in the mapping."""
    spans: list[tuple[int, int]] = []
    # The objects and lists open, the innermost last: each where its bracket stands until an entry notes something in
    # it (`_noting`), as most never do (a frame made for each bracket cost a body of thousands of them twice the time).
    frames: list[_FlowFrame | int] = []
    # Where an object or a list that is a `value` entry's starts, and the mapping it is the value of.
    value_start, value_of = -1, None
    at = 0
    while (token := _FLOW_TOKEN_RE.search(text, at)) is not None:
        at = token.end()
        bracket = token[0]
        if bracket in "}]":
            if frames and not isinstance(frame := frames.pop(), int):
                spans += frame.closed(text, at)
            continue
        if bracket in "{[":
            start = token.start()
            frames.append(_FlowFrame(start, bracket == "{", value_of=value_of) if start == value_start else start)
        if not frames or not (text[top] == "{" if isinstance(top := frames[-1], int) else top.mapping):
            continue
        key = _FLOW_KEY_RE.match(text, at)
        if key is None:
            continue
        name = key["single"] or key["double"] or key["bare"] or key["escaped"].replace("\\\\", "\\")
        if (
            name == "loc"
            and (location := _LOCATION_RE.match(text, key.end())) is not None
            # A validation error's location: a secret's field anywhere in it (`["body", "user", "password"]`, a repr's
            # tuple `('password',)`).
            and any(hide(part[1] or part[2]) for part in _LOCATION_PART_RE.finditer(text, *location.span()))
        ):
            _noting(frames).located = True
        if key.end() < len(text) and text[key.end()] in "{[":
            if _hides_pair(hide, name, text[key.end()], shown) and not key["double"]:
                # Hidden whole, and not read: nothing in it is shown. Under a double-quoted name, a JSON member's:
                # hidden as JSON (`"<redacted>"`, `_masked`).
                end = container_end(text, key.end(), single_quoted=True)
                spans.append((key.end(), end))
                at = end
            elif _is_value_member(name):
                # Read as the text's own (its entries searched too): its span is known when it closes.
                value_start, value_of = key.end(), _noting(frames)
            continue
        value = _FLOW_VALUE_RE.match(text, key.end())
        assert value is not None  # a plain value may be empty
        group = next(g for g in ("single", "double", "escaped", "call", "plain") if value[g] is not None)
        value_span = (value.start(group), value.start(group) + len(value[group].rstrip()))
        # A repr's `\'` inside a single-quoted value: read both ways, a secret is hidden to the further end (read as
        # YAML's alone, `'it\'s s3cr3t'` showed `s s3cr3t'`); another name's is read on from YAML's.
        repr_end = value.end()
        if group == "single" and "\\" in value[group]:
            read = _REPR_SINGLE_RE.match(text, key.end())
            repr_end = max(repr_end, -1 if read is None else read.end())
        hidden = (
            _hides_pair(hide, name, value[group], shown)
            and not (key["double"] and _JSON_VALUE_START_RE.match(value[0]))
            and value_span[1] > value_span[0]
            and not _is_validation_message(value[group])
        )
        if hidden:
            spans.append(value_span if repr_end <= value.end() else (value_span[0], repr_end - 1))
            if repr_end > value.end():
                at = repr_end
                continue
        elif group != "plain" and "{" in value[group]:
            # A mapping quoted in a string (an error quoting what it was sent: `"bad request: {'api_key': '...'}"`),
            # read on its own (a string holds no unescaped quote of its kind: quoted strings nest a few deep at most,
            # each read once more).
            start = value.start(group)
            inner = (
                _graphql_spans(value[group], hide)
                if _is_graphql(name, value[group])
                else _flow_mapping_spans(value[group], hide, shown)
            )
            spans += [(start + a, start + b) for a, b in inner]
        if _is_naming_member(name) and hide(value[group].strip()):
            _noting(frames).named = True
        elif _is_naming_member(name) and _names_pass(value[group].strip(), shown):
            _noting(frames).pass_named = True
        if _is_value_member(name):
            _noting(frames).values.append(value_span)
        elif name == "input":
            _noting(frames).inputs.append(value_span)
        # Another name's object's repr: its arguments are read as entries, as a plain value's commas start them
        # (`{a: f(x, password: y)}`).
        at = value.start(group) if group == "call" and not hidden else value.end()
    # An answer cut inside a mapping: what its naming entry named is still a secret (closed innermost first, as a
    # frame's span joins its parent's values).
    for frame in reversed(frames):
        if not isinstance(frame, int):
            spans += frame.closed(text, len(text))
    return spans


def _noting(frames: list[_FlowFrame | int]) -> _FlowFrame:
    """The innermost open mapping of `frames`, made a frame to note an entry's finding in if it was its start still."""
    top = frames[-1]
    if isinstance(top, int):
        top = frames[-1] = _FlowFrame(top, mapping=True)
    return top


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
        name = pair["single"] or _json_string_text(pair["double"])
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
        if value is None or (value["cut"] is None and _PAIR_END_RE.match(text, value.end()) is None):
            continue
        group = next(g for g in ("single", "double", "plain", "cut") if value[g] is not None)
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
    if "earer" in text or "EARER" in text:
        spans += [found.span(1) for found in _BEARER_WORD_RE.finditer(text)]
    if "uthorization" in text or "UTHORIZATION" in text:
        spans += [found.span(1) for found in _AUTHORIZATION_CREDENTIAL_RE.finditer(text)]
    return spans + [found.span(1) for found in _DIGEST_CREDENTIAL_RE.finditer(text)] if "=" in text else spans


def _free_text_secret_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where a secret named in free text stands: a Go struct's field (`Password:...`), a command line's option
    (`--password ...`, MySQL's `-p...`) and a quoted value after a secret's name in a sentence (`invalid token
    '...'`)."""
    spans = go_value_spans(text, hide)
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
    # Not a tag's naming attribute (`<add key='ApiKey' value=...>`): it holds a name.
    spans += declared_string_spans(text, lambda name: hide(name) and not _is_naming_member(name))
    spans += fullwidth_pair_spans(text, lambda name, value: _hides_pair(hide, name, value, frozenset()))
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
        name = _json_string_text(match.group(1))
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
        *_markup_secret_spans(decoded, hide),
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
