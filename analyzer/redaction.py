"""What counts as a secret where a request's headers, query or body could be shown back: one rule for the
Prometheus source's error quotes and http_smoke's evidence."""

from __future__ import annotations

import base64
import bisect
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, cast
from urllib.parse import unquote


class _LazyPattern:
    """A regular expression compiled when first used: after that, its methods are the compiled pattern's own."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compile(), name)

    def _compile(self) -> re.Pattern[str]:
        compiled = re.compile(*self._source)
        # Kept on the instance, found before __getattr__ is asked again: a use costs what the compiled pattern's does.
        self.__dict__.update((attr, getattr(compiled, attr)) for attr in dir(compiled) if not attr.startswith("_"))
        return compiled


_PATTERNS: list[_LazyPattern] = []


def _lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` compiled on its first use: Python compiles a pattern slowly, and this module's hundred took a tenth of
    a cold `analyzer run`, which uses three."""
    lazy = _LazyPattern(pattern, flags)
    _PATTERNS.append(lazy)
    return cast("re.Pattern[str]", lazy)


def compile_patterns() -> None:
    """Compile every pattern of this module not compiled yet: a service does it before it listens, where the first
    use of each would hold its event loop up."""
    for lazy in _PATTERNS:
        if "match" not in vars(lazy):
            lazy._compile()


REDACTED = "<redacted>"
"""What stands in for a hidden value."""

# A signed URL's signature (Azure SAS `sig`, S3's `X-Amz-Signature`, GCS's `X-Goog-Signature`) is its credential: the
# URL with it is the object's bearer capability; so is a session id a framework writes in URLs (PHP's `PHPSESSID`,
# Express's `connect.sid`). `sig`, `sid`, `pwd` and `pw` only as a name's whole word, not inside `design`, `inside` or
# `pwm`; a camelCase word is one too (`userPwd`, `dbPw`, `apiSig`, `sigValue`: a capital starts a word), hence the
# case-sensitive part.
# `pass` too, as a name's last word after another (`DB_PASS`, `smtp_pass`, `redis.pass`, `smtpPass`, `user_pass2`), not
# alone or first (`pass`, `pass_if`: a result, a bound), inside a word (`bypass`, `passed`, `Passthrough`) nor before
# another (`canary_pass_rate`, `canaryPassRate`, `X-Pass-Through`: a rate, a behaviour, no password).
_SECRET_WORDS = (
    r"(?<![a-z])(?:si[gd]|pwd?)(?![a-z])|(?<=[a-z0-9][_.-])pass[0-9]*(?![\w.-])"
    r"|(?-i:(?:Si[gd]|Pwd?)(?![a-z])|(?<![A-Za-z])(?:si[gd]|pwd?)(?=[A-Z])|(?<=[a-z0-9])Pass[0-9]*(?![\w.-]))"
)
# Alternatives sharing a start are written as one: each is tried at every position of a name. A passphrase and a
# passcode are passwords.
_SECRET_LONG_WORDS = (
    r"auth|token|key|secret|cookie|pass(?:w(?:or)?d|phrase|code)|sess(?:ion|id)|credential|signature|jwt"
)
_SECRET_NAME_RE = _lazy(rf"{_SECRET_LONG_WORDS}|{_SECRET_WORDS}", re.IGNORECASE)
# The other words alone: a name holding none of them may be listed as holding no secret (`may_be_shown`). Searched
# for with its short words left in: taken out, `sigNature` and `sesSid` held no `signature` or `sessid` any more.
_SECRET_LONG_WORD_RE = _lazy(_SECRET_LONG_WORDS, re.IGNORECASE)
# The common HTTP auth schemes: a value after one is a credential, whatever the header carrying it is named (one
# list, for a header value as for an exception's text).
_AUTH_SCHEMES = "basic|bearer|digest|negotiate|token|apikey"
_CREDENTIAL_VALUE_RE = _lazy(rf"(?i)({_AUTH_SCHEMES})\s+\S")
# What follows a scheme's name in a server's challenge (`WWW-Authenticate: Basic realm="shop"`, RFC 6750's `Bearer
# realm="api", error="invalid_token"`): auth-params a challenge holds, and nothing else. No credential: a token68 holds
# no `=` but its padding, and a credential sent as auth-params names another (Rails' `Token token="..."`, Digest's
# `response=`), which stays hidden. A negative look-ahead, written after a scheme's name and its spaces.
_CHALLENGE_PARAM = (
    r"""(?i:realm|error|error_description|error_uri|scope|charset)[ \t]*=[ \t]*"""
    r"""(?:\\?"(?:[^"\\\r\n]|\\[^"\r\n]){0,200}\\?"|[A-Za-z][A-Za-z_-]{0,63}(?:-[0-9]{1,4})?)"""
)
NO_CHALLENGE = (
    rf"(?!{_CHALLENGE_PARAM}(?:[ \t]*,[ \t]*{_CHALLENGE_PARAM}){{0,8}}"
    r"(?![ \t]*,[ \t]*[A-Za-z0-9_-]+[ \t]*=|[A-Za-z0-9._~+/=\\-]))"
)
# A challenge header's value that is challenges alone (`names_no_secret`): a scheme, auth-params a challenge holds
# after it; a token68 or another auth-param is a credential's.
_CHALLENGE_SCHEME = r"(?i:basic|bearer|digest|negotiate|ntlm|token|apikey|dpop|hoba|mutual|vapid|scram-sha-(?:1|256))"
_CHALLENGE = rf"{_CHALLENGE_SCHEME}(?:[ \t]+{_CHALLENGE_PARAM}(?:[ \t]*,[ \t]*{_CHALLENGE_PARAM}){{0,8}})?"
_CHALLENGES_RE = _lazy(rf"{_CHALLENGE}(?:[ \t]*,[ \t]*{_CHALLENGE}){{0,4}}")
# An HTTP auth scheme (RFC 9110 token) before the credential of an Authorization-like header.
_AUTH_SCHEME_RE = _lazy(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")


# Words holding a secret name's letters that name no secret: a count of a language model's tokens (`max_tokens`,
# `usage.total_tokens`, `promptTokenCount`) and an author or authority (`authorization`, `authorize` stay secret).
# Taken out of a name before it is searched, so that `author_token` is still a secret's: hidden, the number or name a
# failed assertion is about was `<redacted>` in its reason. A count's word only where a word starts (no letter before
# it, or a capital after a small letter or a digit), so that `renew_tokens` is not `new_tokens`, nor `ADMIN_TOKENS`
# (each capital a word's start, an env var of admin tokens was shown as `N_TOKENS`, a count).
# So is a count of tokens as a quantity is labelled, the plural and a count's word after it ending the name, or a
# count's own word after that (`tokens_used`, `tokensRemaining`, `tokens_used_total`, `tokens_per_second`,
# `tokensPerDay`; not `used_tokens` nor `token_used`, the tokens used or one used, which a one-time token's store may
# hold, nor `tokens_used_list` or `tokensUsedIds`, which name the tokens themselves, nor `tokens_persisted` or
# `tokensPersonal`, where `per` only starts a word), a number's (`num_tokens`) and a rate limit's headers (OpenAI's
# `x-ratelimit-remaining-tokens`, Anthropic's `anthropic-ratelimit-tokens-reset`, a time).
# So is what says how a caller authenticates, not with what (`auth_mode=sso`, `authType`, `oauth_provider`,
# `auth_url`), or where (`auth_service`, `auth_server`, `authHost`: a host's or a service's name): `auth_mode_token`,
# `auth_service_token` stay a token's, and `auth_header` a credential's (its value is `Bearer ...` as often as not).
# So are words that hold `key` as their letters (`monkey`, `keyboard`: lower case, so that `monKey`, a "mon" key,
# stays a secret's), and a count or a time of sessions (`sessions_open`, `session_timeout_s`, `active_sessions`; not
# `active_session`, which may be one's id).
# So is what is known of a token, a password, a secret or a key, a word of it ending the name: its length, lifetime or
# type (`password_min_length`, `token_ttl`, `token_type`, OAuth's `expires_in` beside it, `tokenTypeHint`; the value a
# limit or a failure is about), not the secret (`token_type_secret`, `password_min` stay a secret's); and a challenge's
# header (`WWW-Authenticate`, `Proxy-Authenticate`: a server's challenge, no credential; one written in it is hidden by
# its shape).
_NO_SECRET_WORD_RE = _lazy(
    r"(?:(?<![a-z])|(?-i:(?<=[a-z0-9])(?=[A-Z])))"
    r"(?:(?:max|min|total|prompt|completion|input|output|cached|reasoning|new|candidates)[_-]?tokens"
    r"|tokens?[_-]?count|author(?!i[sz])"
    r"|o?auth[_-]?(?:mode|type|method|scheme|provider|flow|strategy|enabled|required|realm|domain|url|uri|endpoint"
    r"|services?|servers?|hosts?|hostname)"
    r"(?-i:(?![a-z]))"
    r"|tokens[_-]?(?:(?:used|remaining|left|consumed|spent|limit|reset)(?:[_-]?(?:total|count|sum|today|daily|hourly|weekly|monthly|ratio|rate))?"
    r"(?![A-Za-z0-9_-])"
    r"|per(?:[_-]|(?-i:[A-Z])))|(?:num|n)[_-]?tokens"
    r"|ratelimit[_-](?:remaining|limit|reset)[_-]tokens"
    r"|(?-i:(?:[Mm]on|[Dd]on|[Tt]ur|[Hh]oc|[Jj]oc|[Ww]his|[Ll]ac|[Hh]ot|[Tt]urn)key"
    r"|[Kk]ey(?:board|note|word|stroke|frame|space|pad))"
    r"|sessions?[_-]?(?:open(?:ed)?|active|count|total|max|limit|timeout|ttl|duration|length|started|closed|expired)"
    r"|(?:open|active|max|total|num|current|concurrent)[_-]?sessions)",
    re.IGNORECASE,
)
# What is known of a token, a password, a secret or a key, a word of it ending the name (`_NO_SECRET_WORD_RE` above):
# still a secret's name, its value shown only when it is a number, a duration, a time or a short word
# (`_SECRET_METADATA_VALUE_RE`: `token_type: bearer`, `password_min_length: 8`); any other value is hidden
# (`token_type: s3cr3t-value`, a secret written under the wrong name, showed whole).
_SECRET_METADATA_WORD_RE = _lazy(
    r"(?:(?<![a-z])|(?-i:(?<=[a-z0-9])(?=[A-Z])))"
    r"(?:tokens?|passw(?:or)?ds?|secrets?|keys?)[_-]?(?:(?:min|max)(?:imum)?[_-]?)?"
    r"(?:length|len|chars|ttl|lifetime|expiry|expires[_-]?in|type)(?-i:(?![a-z]))",
    re.IGNORECASE,
)
_SECRET_METADATA_VALUE_RE = _lazy(
    r"-?(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,6})?"
    r"|(?:[0-9]{1,6}(?:\.[0-9]{1,6})?(?:ms|us|ns|[smhdw]))+"
    r"|P(?:[0-9]{1,6}[YMWD])*(?:T(?:[0-9]{1,6}[HMS])+)?"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
    r"|[A-Za-z]{1,12}|(?:access|refresh|id)_token|urn:ietf:params:oauth:token-type:[a-z_-]{1,32}"
)
# A server's challenge (`WWW-Authenticate`, `Proxy-Authenticate`): a secret name's header, its value shown when it is
# challenges alone (a scheme, and auth-params a challenge holds: `Basic realm="shop"`, `Negotiate`).
_CHALLENGE_HEADER_RE = _lazy(r"(?i)(?:www|proxy)-authenticate")


def ascii_folded(name: str) -> str:
    """`name` with its letters' accents dropped and its compatibility forms read as ASCII (`pässword`, and
    `password` in fullwidth letters, are `password`): a name so written names what its letters do."""
    if name.isascii():
        return name
    return "".join(char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char))


def is_secret_name(name: str) -> bool:
    """Whether a header, query or JSON key of that name holds a secret by default (any case, its accents aside:
    `ascii_folded`)."""
    name = ascii_folded(name)
    # Searched as it is first: most names hold no secret name's letters, and pay one search as before.
    # A word taken out leaves a digit in its place, which a last `pass` follows as it follows a word (`auth_mode_pass`,
    # `authUrlPass` name a password as `DB_PASS` does; a `-` there read as no word showed them).
    return (
        _SECRET_NAME_RE.search(name) is not None
        and _SECRET_NAME_RE.search(_NO_SECRET_WORD_RE.sub("0", name)) is not None
    )


# `pass` alone (any case, digits after it) names a password or a result (`pass: true`, `pass=12` tests passed): a value
# that is a number, a count out of a total (`pass=12/12`), a boolean or none (`None`, `null`) is the result's, shown;
# any other a password's, hidden (`pass=hunter2`).
_PASS_NAME_RE = _lazy(r"(?i)pass[0-9]*")
_RESULT_VALUE_RE = _lazy(
    r"""(["']?)(?:-?[0-9][0-9.eE+-]*|[0-9]+/[0-9]+|(?i:true|false|yes|no|on|off|none|null|nil))\1"""
)


# A value under a secret name that is what such a name counts or names, no secret: a count of tokens (a rate limit's
# `"tokens": 5`, `?tokens=7`, `rate_limit_tokens: 500`: digits under a name ending in `tokens`; the singular's, `token:
# 5`, is hidden), and the name of a credential's header under a name ending in `header` (`auth_header: X-Api-Key`,
# `tokenHeader: Authorization`: a header's name as HTTP writes one, letters alone, holding a secret's word; its value,
# `Bearer ...`, is hidden).
_TOKEN_COUNT_NAME_RE = _lazy(r"(?i)(?:[\w.-]*[_.-])?tokens")
_TOKEN_COUNT_RE = _lazy(r"0|[1-9][0-9]{0,9}")
_HEADER_NAMING_RE = _lazy(r"(?i)[\w.-]*header")
_CREDENTIAL_HEADER_NAME_RE = _lazy(
    r"(?:[A-Z][a-z]*(?:-[A-Z][a-z]*){0,4}|[a-z]+(?:-[a-z]+){0,4}|[A-Z]+(?:-[A-Z]+){0,4})"
)
# A credential header's name is `Authorization`, `Cookie`, an `X-` one or a known one (`Api-Key`, `Private-Token`):
# `My-Secret-Token` is a secret's words as often as a header's.
_KNOWN_CREDENTIAL_HEADER_RE = _lazy(
    r"(?i)(?:proxy-)?authorization|cookie|x-[a-z]+(?:-[a-z]+){0,3}|api-?key|private-token|job-token|dpop"
)


def names_no_secret(name: str, value: str) -> bool:
    """Whether `value` (unquoted) under the secret `name` is what such a name counts or names, no secret: a count of
    tokens, a credential header's name, what is known of a secret, a challenge (`_TOKEN_COUNT_NAME_RE`,
    `_HEADER_NAMING_RE`, `_SECRET_METADATA_WORD_RE`, `_CHALLENGE_HEADER_RE`)."""
    if _CHALLENGE_HEADER_RE.fullmatch(name) is not None:
        return _CHALLENGES_RE.fullmatch(value) is not None
    if _SECRET_METADATA_WORD_RE.search(name) is not None and not is_secret_name(
        _SECRET_METADATA_WORD_RE.sub("0", name)
    ):
        return _SECRET_METADATA_VALUE_RE.fullmatch(value) is not None
    if _TOKEN_COUNT_NAME_RE.fullmatch(name) is not None:
        return _TOKEN_COUNT_RE.fullmatch(value) is not None
    return (
        _HEADER_NAMING_RE.fullmatch(name) is not None
        and _CREDENTIAL_HEADER_NAME_RE.fullmatch(value) is not None
        and _KNOWN_CREDENTIAL_HEADER_RE.fullmatch(value) is not None
        and is_secret_name(value)
    )


def unquoted(value: str) -> str:
    """`value` without its spaces around and the quotes that open and close it (`"5"`, `'bearer'`)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def is_secret_pair(name: str, value: str) -> bool:
    """Whether `value` under `name` is hidden: a secret name's (`is_secret_name`) but what it counts or names
    (`names_no_secret`), or `pass` alone's when `value` is no result (`_RESULT_VALUE_RE`: a number, `12/12`, a boolean,
    `None`)."""
    if is_secret_name(name):
        return not names_no_secret(name, unquoted(value))
    return _PASS_NAME_RE.fullmatch(name) is not None and _RESULT_VALUE_RE.fullmatch(value.strip()) is None


def may_hide(name: str) -> bool:
    """Whether a value under `name` may be hidden: always a secret name's (`is_secret_name`), `pass` alone's when it is
    no result (`is_secret_pair`)."""
    return is_secret_name(name) or _PASS_NAME_RE.fullmatch(name) is not None


# `code` alone (any case) names an OAuth authorization code in a callback's query (`/callback?code=...&state=...`), a
# credential until it is exchanged, or a status or an error (`code=200`, `code=E1234`, `code=invalid_request`,
# `code=upstream_connect_error_503`): its value decides. An authorization server mints the code random and long (RFC
# 6749's example `SplxlOBeZQQYbYS6WxSbIA`, GitHub's 20 hex digits, Google's `4/0Af...`, Cognito's UUID): 16 characters
# or more of a URL's token characters with a letter and a digit side by side somewhere. A status, an error's code or
# words joined with a number (`_503`) have neither that length nor a letter beside a digit, and are shown. Other names
# ending in `code` (`status_code`, `error_code`, `zip_code`) hold no credential.
# A value longer than OAUTH_CODE_MOST_CHARS is no code (Azure AD's, the longest known, run to about 1,500): read whole
# under each name, each `code=` of a run of them (`?code=code=...`, none a code's) read the rest of the run again
# (quadratic: 35 s for 32 KB).
_CODE_NAME_RE = _lazy(r"(?i)code")
_OAUTH_CODE_RE = _lazy(r"(?=.*?(?:[A-Za-z][0-9]|[0-9][A-Za-z]))[A-Za-z0-9._~+/%=-]{16,}", re.DOTALL)
_OAUTH_CODE_RUN_RE = _lazy(r"[A-Za-z0-9._~+/%=-]*")
OAUTH_CODE_MOST_CHARS = 4096


def oauth_code_run_end(text: str, start: int) -> int:
    """Where the run of an OAuth code's characters (`_OAUTH_CODE_RE`) at `start` in `text` ends: the same for every
    position in it (a `code=` name's characters are a code's too, so a run of them is one)."""
    run = _OAUTH_CODE_RUN_RE.match(text, start)
    assert run is not None  # it matches an empty run too
    return run.end()


def is_oauth_code(text: str, start: int, run_end: int) -> bool:
    """Whether `text` from `start` to `run_end` (`oauth_code_run_end`) is an OAuth code (`_OAUTH_CODE_RE`), no longer
    than OAUTH_CODE_MOST_CHARS: only then may a `code=` value there be one (`is_secret_parameter`)."""
    return run_end - start <= OAUTH_CODE_MOST_CHARS and _OAUTH_CODE_RE.fullmatch(text, start, run_end) is not None


def may_hide_parameter(name: str) -> bool:
    """Whether a `name=value` parameter's value may be hidden (`may_hide`, or `code` alone: `is_secret_parameter`)."""
    return may_hide(name) or _CODE_NAME_RE.fullmatch(name) is not None


def is_secret_parameter(name: str, value: str) -> bool:
    """Whether `value` under a `name=value` parameter's `name` is hidden: as a pair's (`is_secret_pair`), or `code`
    alone's when `value` is an OAuth authorization code (`_OAUTH_CODE_RE`: `code=SplxlOBeZQQYbYS6WxSbIA`, not
    `code=200`)."""
    return is_secret_pair(name, value) or (
        _CODE_NAME_RE.fullmatch(name) is not None
        and len(value) <= OAUTH_CODE_MOST_CHARS
        and _OAUTH_CODE_RE.fullmatch(value.strip()) is not None
    )


def may_be_shown(name: str) -> bool:
    """Whether a catalog may list `name` as holding no secret (http_smoke's `not_secret_names`): no secret name, or
    one only by the short words `sig`, `sid`, `pwd`, `pw` or a last `pass` (`sig_figs`, `ORACLE_SID`, an IAM policy's
    `Sid`, the shell's `PWD`, `first_pass`), which name other things too; never one holding `token`, `key`, `password`,
    `auth`, `session`..."""
    return _SECRET_LONG_WORD_RE.search(_NO_SECRET_WORD_RE.sub("0", ascii_folded(name))) is None


# A bare value that is an auth scheme's name, and the credential after its spaces (`auth_header=Bearer abc`).
_SCHEME_NAME_RE = _lazy(rf"(?i:{_AUTH_SCHEMES})")
_SPACED_CREDENTIAL_RE = _lazy(r"[ \t]+[A-Za-z0-9._~+/-]+=*")


def scheme_credential_end(text: str, start: int, end: int) -> int:
    """Where a bare value at `start` to `end` in `text` ends when it is an auth scheme's name: past the credential
    after it (`auth_header=Bearer abc`: the value read to its space alone, the credential was shown, as the scheme's
    name it was read after was hidden); `end` otherwise."""
    if _SCHEME_NAME_RE.fullmatch(text, start, end) is None:
        return end
    credential = _SPACED_CREDENTIAL_RE.match(text, end)
    return end if credential is None else credential.end()


def is_credential_value(value: str) -> bool:
    """Whether a header value is an HTTP credential (`Basic ...`, `Bearer ...`), whatever its header's name."""
    return _CREDENTIAL_VALUE_RE.match(value) is not None


# A URL's scheme and `//`, optional, and its authority (to the first `/` or space); its query or fragment.
_URL_AUTHORITY_RE = _lazy(r"((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?([^/\s]*)")
_URL_QUERY_RE = _lazy(r"([?#]).*", re.DOTALL)
# A host's port: what follows a host's `:` when a `?` or `#` after it starts the query, not a password's part.
_PORT_RE = _lazy(r"[0-9]*")
_QUERY_START_RE = _lazy(r"[?#]")


def _user_info_end(authority: str, *, port_then_query: bool = False) -> int:
    """Where the user info of a URL's `authority` (`user:password@host`) ends, past its `@`; 0 when it has none.
    It runs to the last `@`, past a `?` or `#` a password holds (`u:pa?ss@host`: cut at the `?`, its start showed),
    unless what comes before that `?` is a host (no `:`, or a port's digits) and a query after it holds an `=` and
    the `@` (`host?email=ops@example.com`, `host:8080?to=a@b`); with `port_then_query`, a host's port before such a
    query reads as a password's start all the same (`u:8080?x=y@host` is a user and a password as written, which the
    text alone cannot tell from `host:8080?to=a@b`: where a secret may be shown, the password's reading wins)."""
    last_at = authority.rfind("@")
    if last_at < 0:
        return 0
    found = _QUERY_START_RE.search(authority)
    query = len(authority) if found is None else found.start()
    if query > last_at:
        return last_at + 1
    before, at_before = authority[:query], authority.rfind("@", 0, query)
    host = before[at_before + 1 :]
    _, colon, port = host.rpartition(":")
    if not colon or (not port_then_query and _PORT_RE.fullmatch(port) and "=" in authority[query:last_at]):
        return at_before + 1
    return last_at + 1


def url_for_message(url: str) -> str:
    """`url` as an error message may quote it: its user info and its query or fragment, where credentials stand,
    each shown as REDACTED (a URL that is refused is quoted in logs, /readyz and CI output)."""
    found = _URL_AUTHORITY_RE.match(url)
    assert found is not None  # it matches an empty authority too
    end = _user_info_end(found[2])
    if end:
        url = f"{found[1] or ''}{REDACTED}@{url[found.start(2) + end :]}"
    return _URL_QUERY_RE.sub(lambda found: f"{found.group(1)}{REDACTED}", url, count=1)


# An http(s) scheme written without its `://` whole (`https//host`, `http:/host`, `https:host`): the scheme in group 1.
_MANGLED_SCHEME_RE = _lazy(r"(https?)[:/]+(?=[^:/])", re.IGNORECASE)


def url_with_scheme(url: str) -> tuple[str, str] | None:
    """The URL meant by `url` written without a whole `://` (`prometheus:9090`, `https//prometheus:9090`) and what
    is wrong with it, to say; None when `url` has its `://`."""
    if "://" in url:
        return None
    mangled = _MANGLED_SCHEME_RE.match(url)
    if mangled is None:
        return f"http://{url}", "it has no scheme"
    # Not `http://https//host`: the scheme is there, only its separator is miswritten.
    return f"{mangled.group(1).lower()}://{url[mangled.end() :]}", "its scheme is written without ://"


EVALUATION_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("evaluation_secrets", default=())
"""The secret values of the evaluation running in this context (its secret args, in the forms a query holds
them): a source quoting an upstream answer hides them before it cuts the quote, for half a secret cut by the
quote's end is still half a secret, and no scrub of the whole value finds it after."""

MIN_HIDDEN_CHARS = 4
"""The shortest secret arg or header value searched for in free text (reasons, evidence, quoted answers): a
shorter one tells next to nothing, and hiding every equal word would blank the evidence's own numbers (a secret arg
"42" every `42`); the catalog warns of a secret param that accepts one (analyzer.catalog)."""
# A value shorter than this is replaced only where it stands apart from other words: a secret "prod" must not
# blank out the prod of "production".
_BOUNDED_BELOW_CHARS = 8
# The mark of models.clip, and the fewest characters of a value before it that are hidden (fewer tell nothing).
_CLIP_MARK = "..."
_MIN_CLIPPED_CHARS = 4
# A word's characters: letters, digits and '_', and a '.' or '-' between two of them (a host, a version): a value
# shorter than _BOUNDED_BELOW_CHARS where one of them comes right before (`_WORD_BEFORE_RE`, matched at its start)
# or right after it (`_WORD_AFTER_RE`, at its end) is part of another word; a sentence's full stop after it is not,
# nor a file's extension (`abcd.json`, `abcd.tar.gz`: suffixes of a letter and 1 to 4 letters or digits ending the
# word), which would otherwise show a secret a target put in a file name; the price is that a host label equal to a
# short secret before a short top-level domain (`abcd.com`) is hidden too, while `abcd.example` and `abcd.5` are not.
_WORD_BEFORE_RE = _lazy(r"(?<=\w)|(?<=\w[.-])")
_WORD_AFTER_RE = _lazy(r"\w|-\w|(?!(?:\.[A-Za-z][A-Za-z0-9]{1,4})+(?!\w|[.-]\w))\.\w")
# One escape of an encoding a server or proxy may echo a value in: a run of percent-encoded bytes, a JSON `\uXXXX`
# (a surrogate pair as two) or `\"`-style escape, an HTML character reference, and '+' (a space in a query).
_ESCAPE_RE = _lazy(
    r"(?P<pct>(?:%[0-9A-Fa-f]{2})+)"
    r"|\\u(?P<u>[0-9A-Fa-f]{4})(?:\\u(?P<low>[dD][c-fC-F][0-9A-Fa-f]{2}))?"
    r"|\\(?P<json>[\"\\/bfnrt])"
    r"|&(?:#(?P<dec>[0-9]{1,7})|#[xX](?P<hex>[0-9A-Fa-f]{1,6})|(?P<name>amp|lt|gt|quot|apos));"
    r"|(?P<plus>\+)"
)
# Each escape's encoding, by the last group `_ESCAPE_RE` matched it with: a value holding one encoding's escape as
# text (a password `CORP\tsmith&co`) is echoed by another with that text as it is (HTML: `CORP\tsmith&amp;co`), so
# it is also looked for where only one encoding's escapes are decoded.
_ENCODING_OF = {
    "pct": "url",
    "plus": "url",
    "u": "json",
    "low": "json",
    "json": "json",
    "dec": "html",
    "hex": "html",
    "name": "html",
}
_ENCODINGS = ("url", "json", "html")
# The start of an escape that a clip cut before its end (what `_ESCAPE_RE` no longer reads), and its longest.
# A character percent-encoded in two to four bytes that a clip cut after the first (`%C3%A9` as `%C3`) is decoded as
# one U+FFFD a byte.
_CUT_ESCAPE_RE = _lazy(
    r"\ufffd{0,3}(?:%[0-9A-Fa-f]?|\\(?:u[0-9A-Fa-f]{0,3})?|&(?:#[xX]?[0-9A-Fa-f]{0,6}|[a-z]{0,4}))?\Z"
)
_LONGEST_CUT_ESCAPE_CHARS = 9
_JSON_ESCAPED = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HTML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# A character outside URLs' unreserved ones: an encoder may write it otherwise.
_ESCAPABLE_RE = _lazy(r"[^A-Za-z0-9_.~-]")


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


def _decoded(text: str, plus_as_space: bool, encoding: str | None = None) -> tuple[str, list[int], list[int]]:
    """`text` with every escape `_ESCAPE_RE` finds decoded (only those of `encoding`, one of _ENCODINGS, when given),
    and the start and end in `text` of each of its characters."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def add(char: str, start: int, end: int) -> None:
        chars.append(char)
        starts.append(start)
        ends.append(end)

    def add_run(start: int, end: int) -> None:
        # Text between escapes, as it is: in one piece (a character at a time would cost a call each).
        chars.append(text[start:end])
        starts.extend(range(start, end))
        ends.extend(range(start + 1, end + 1))

    done = 0
    for found in _ESCAPE_RE.finditer(text):
        if encoding is not None and _ENCODING_OF[found.lastgroup or ""] != encoding:
            # Another encoding's escape: text, as it is (no escape of one encoding overlaps one of another).
            continue
        add_run(done, found.start())
        done = found.end()
        start, kind = found.start(), found.lastgroup
        if found["pct"]:
            data = bytes.fromhex(found["pct"].replace("%", ""))
            at = 0
            while at < len(data):
                # One character per UTF-8 sequence; a byte that starts none stands for itself, as no text.
                size = next((n for n in (1, 2, 3, 4) if _utf8(data[at : at + n]) is not None), 1)
                add(_utf8(data[at : at + size]) or "\ufffd", start + 3 * at, start + 3 * (at + size))
                at += size
        elif found["u"]:
            code, low = int(found["u"], 16), found["low"]
            if low and 0xD800 <= code < 0xDC00:
                add(chr(0x10000 + ((code - 0xD800) << 10) + int(low, 16) - 0xDC00), start, found.end())
            else:
                add(chr(code), start, start + 6)
                if low:
                    add(chr(int(low, 16)), start + 6, found.end())
        elif found["json"]:
            add(_JSON_ESCAPED[found["json"]], start, found.end())
        elif found["dec"] or found["hex"]:
            code = int(found["dec"], 10) if found["dec"] else int(found["hex"], 16)
            add(chr(code) if code <= 0x10FFFF else "\ufffd", start, found.end())
        elif found["name"]:
            add(_HTML_NAMED[found["name"]], start, found.end())
        else:
            assert kind == "plus"
            add(" " if plus_as_space else "+", start, found.end())
    add_run(done, len(text))
    return "".join(chars), starts, ends


def _escapes_any_character(text: str) -> bool:
    """Whether `text` may hold an escape of a letter or digit: a percent-encoded byte, a JSON `\\u` escape or an
    HTML numeric reference (plain searches, one character first: a search for two costs 30 times one's)."""
    return "%" in text or ("\\" in text and "\\u" in text) or ("#" in text and "&#" in text)


def _utf8(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if len(text) == 1 else None


class Hider:
    r"""Finds secret values in text, as written or as a server or proxy may re-encode them echoing them:
    percent-encoded (any characters left bare, hex in either case, a space also as '+'), JSON-escaped (`\"`,
    `\/`, `\u00XX`) or HTML-escaped (`&amp;`, `&#38;`, `&#x26;`). `anywhere` values wherever they appear, `words`
    only where they stand apart from other words (letters, digits, '_', and '.' or '-' between two of them). Where
    a clip's `...` cut a value, its start goes, and the mark with it unless `keep_clip_mark`. Plain searches in
    decoded copies of the text: no pattern is compiled per value, which for a long one (a 4 KiB secret arg) would
    take seconds."""

    def __init__(self, anywhere: Iterable[str], words: Iterable[str] = (), *, keep_clip_mark: bool = False) -> None:
        found = {(value, False) for value in anywhere if value} | {(value, True) for value in words if value}
        self._values = sorted(found)
        # A value of characters no encoder need escape is re-encoded only by one escaping them all the same (`%41`,
        # `\u0041` or `&#65;` for `A`): decoded only where the text holds such an escape.
        self._encodable = any(_ESCAPABLE_RE.search(value) for value, _ in self._values)
        # A value holding an escape as text (`\t`, `%41`, `&amp;`; a '+' is one only as a space): an echo in one
        # encoding leaves it as it is, which a copy with every escape decoded no longer holds.
        self._holds_escapes = any(
            found.lastgroup != "plus" for value, _ in self._values for found in _ESCAPE_RE.finditer(value)
        )
        self._kept_mark_chars = len(_CLIP_MARK) if keep_clip_mark else 0
        self._longest_chars = max((len(value) for value, _ in self._values), default=0)

    def __bool__(self) -> bool:
        return bool(self._values)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the values stand in `text`, and where a clip left the start of one before its `...` mark (half a
        secret is still half a secret), overlapping spans merged, in order."""
        if not self._values:
            return []
        spans = self._found(text)
        clipped = _CLIP_MARK in text
        if _ESCAPE_RE.search(text) if self._encodable else _escapes_any_character(text):
            views: list[tuple[bool, str | None]] = [(False, None), (True, None)]
            if self._holds_escapes:
                views += [(False, encoding) for encoding in _ENCODINGS] + [(True, "url")]
            for plus_as_space, encoding in views:
                view, starts, ends = _decoded(text, plus_as_space, encoding)
                spans += self._found(view, starts, ends)
                if clipped:
                    spans += self._clipped(view, starts, ends)
        if clipped:
            spans += self._clipped(text)
        return merged_spans(spans)

    def _found(
        self, view: str, starts: list[int] | None = None, ends: list[int] | None = None
    ) -> list[tuple[int, int]]:
        """The spans in the text of every occurrence of a value in `view`: the text, or a decoded copy of it whose
        characters stand at `starts` to `ends` in it; overlapping ones too, and a word's only where the
        characters beside it in `view` are no word characters."""
        found = []
        for value, bounded in self._values:
            at = view.find(value)
            while at != -1:
                after = at + len(value)
                if not bounded or not (_WORD_BEFORE_RE.match(view, at) or _WORD_AFTER_RE.match(view, after)):
                    found.append((at, after) if starts is None or ends is None else (starts[at], ends[after - 1]))
                at = view.find(value, at + 1)
        return found

    def _clipped(
        self, view: str, starts: list[int] | None = None, ends: list[int] | None = None
    ) -> list[tuple[int, int]]:
        """The spans in the text of a value's start (at least _MIN_CLIPPED_CHARS of it, or all of it) and the clip
        mark right after it, in `view`: the text, or a decoded copy of it as `_found` takes it; the clip may have cut
        an escape in two (`s3cr3t%2...`), whose part it left is no part of the value."""
        found: list[tuple[int, int]] = []
        # Where a value's start may stand: up to the longest value and a cut escape before each mark, the stretches
        # of marks close together (a target's body of dots is as many marks as dots) as one.
        regions: list[list[int]] = []
        mark = view.find(_CLIP_MARK)
        while mark != -1:
            low = max(0, mark - self._longest_chars - _LONGEST_CUT_ESCAPE_CHARS)
            if regions and low <= regions[-1][1]:
                regions[-1][1] = mark
            else:
                regions.append([low, mark])
            mark = view.find(_CLIP_MARK, mark + 1)
        for value, bounded in self._values:
            head = value[:_MIN_CLIPPED_CHARS]
            # The furthest a mark may start after the value's start: the whole value and a cut escape before it.
            reach = len(value) + _LONGEST_CUT_ESCAPE_CHARS + len(_CLIP_MARK)
            for low, high in regions:
                at = view.find(head, low, high)
                while at != -1:
                    if not (bounded and _WORD_BEFORE_RE.match(view, at)):
                        mark = view.find(_CLIP_MARK, at + len(head), at + reach)
                        while mark != -1:
                            # What the clip left may end in a character of the value that also starts an escape
                            # (`abc%`).
                            start = view[at:mark]
                            if not value.startswith(start):
                                start = _CUT_ESCAPE_RE.sub("", start, count=1)
                            if len(start) >= len(head) and value.startswith(start):
                                end = mark + len(_CLIP_MARK) - self._kept_mark_chars
                                found.append(
                                    (at, end) if starts is None or ends is None else (starts[at], ends[end - 1])
                                )
                            mark = view.find(_CLIP_MARK, mark + 1, at + reach)
                    at = view.find(head, at + 1, high)
        return found

    def hide(self, text: str, spans: list[tuple[int, int]] | None = None) -> str:
        """`text` with every value (or `spans`, found by `spans` in it) replaced by REDACTED."""
        shown: list[str] = []
        done = 0
        for start, end in self.spans(text) if spans is None else spans:
            shown += (text[done:start], REDACTED)
            done = end
        return "".join(shown) + text[done:]


def scrubber(values: Iterable[str], *, keep_clip_mark: bool = False) -> Callable[[Any], Any]:
    """A function that replaces every one of `values`, as written or re-encoded (as `Hider` finds them, one shorter
    than 8 characters as a whole word), with REDACTED in every string of a (nested) JSON-like value, leaving anything
    else as it is."""
    values = {v for v in values if v}
    hider = Hider(
        (v for v in values if len(v) >= _BOUNDED_BELOW_CHARS),
        (v for v in values if len(v) < _BOUNDED_BELOW_CHARS),
        keep_clip_mark=keep_clip_mark,
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


# Credentials that say what they are wherever they stand, whoever's they are: a URL's user info, the credential after
# an HTTP auth scheme, a header line (its name capitalized, as HTTP writes it and code seldom does) or a quoted
# mapping entry or (name, value) pair under a secret name. A URL's user info runs to the authority's last '@', as a
# URL parser reads it (a password holding an '@' as written), and past a quote, a '<', a '#' or a '?' a password holds
# (stopped there, the password's start showed), as `_user_info_end` reads it.
_URL_USER_INFO_ANYWHERE_RE = _lazy(r"(?<=//)[^\s/]+@")
# An image's digest after its tag (`docker://nginx:1.25@sha256:...`, skopeo's transport): the `@` ends no user info,
# as no host is named `sha256`.
_DIGEST_RE = _lazy(r"sha\d{3}:")
# A user's name alone, no password (`ssh://git@host`, `//deploy@host`, `//ec2-user@host`): lower case letters with at
# most three digits, as a login is written, and no five consonants in a row, as a name is spoken (`administrator`,
# `jenkins`); a token sent as the user (`https://ghp_...@github.com`, a Sentry DSN's 32 hex digits, 20 random small
# letters `qwrtzpsdfghjklm...`) is none. One shorter than MIN_HIDDEN_CHARS is shown whatever its shape (`//X7@host`):
# it tells next to nothing, as a secret arg that short is not searched for.
_USER_NAME_ALONE_RE = _lazy(
    r"(?=[a-z_])(?!(?:[^0-9]*[0-9]){4})(?![a-z0-9_.-]{0,15}[b-df-hj-np-tv-xz]{5})[a-z0-9_.-]{1,20}|[^:@]{1,3}"
)
# The credential is a token68 or, as Digest writes it, a list of auth-params (`username="bob", response="..."`).
_AUTH_PARAM = r"""[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*=[ \t]*(?:"(?:[^"\\\n]|\\.)*"|[^\s,"']+)"""
# A token68 after a scheme's name is any but a word a message writes after one, in small letters (`OAUTH token
# refreshed`, `Bearer token expired`, `requires Basic authentication.`); an exception's text is no prose, so a short
# one (`Bearer t0k`) is hidden still, where the body reader asks more of it. A word list, not any word of small letters
# shorter than 20: a token of small letters alone (`curl -H "Authorization: Bearer qwertyuiopasdf"`) is one still.
_SCHEME_MESSAGE_WORDS = (
    "tokens?|auth|authentication|authorization|authorized|unauthorized|credentials?|schemes?|realm"
    "|headers?|challenge|access|login|required|expired|invalid|missing|failed|refreshed|rejected|error|is|was"
    "|are|not|and|or|to|for|with|the|an?|of|in|on|only|supported|unsupported|mode|flow|grant|type"
)
_SCHEME_CREDENTIAL_RE = _lazy(
    rf"(?i)\b({_AUTH_SCHEMES})([ \t]+){NO_CHALLENGE}(?:{_AUTH_PARAM}(?:[ \t]*,[ \t]*{_AUTH_PARAM})*"
    rf"|(?-i:(?!(?:{_SCHEME_MESSAGE_WORDS})(?![A-Za-z0-9_~+/=-]|\.[A-Za-z0-9])))[A-Za-z0-9._~+/-]+=*)"
)
# After an Authorization header's name and its `:` or `=` (`sent Authorization: Bearer token`), any token is the
# credential, a message's word too (its scheme is the header's, no prose's).
_AUTHORIZATION_SCHEME_RE = _lazy(
    rf"""(?i)\b((?:proxy-)?authorization["']?[ \t]*(?::|=>?)[ \t]*["']?(?:{_AUTH_SCHEMES})[ \t]+){NO_CHALLENGE}"""
    r"""[^\s"'<>,;()\[\]{}]+"""
)
_HEADER_FIELD_LINE_RE = _lazy(r"(?m)^([ \t]*)([A-Z][A-Za-z0-9-]*)([ \t]*:[ \t]*)(\S.*)$")
# A YAML line's `name: value` (a list's item too), its name in any case (`token: abc`, `API_KEY: ...`), its value the
# rest of the line. Not a source line's annotation, which a traceback quotes as YAML writes a line (`token: str = ...`,
# a signature's `password: Optional[str] = None,`): a type a default (` = `) follows, or a known type alone or before a
# `,` (`token: SecretStr`, `token: str,`); a value of one word a default follows is read as code, shown (a YAML value
# `abc,` is not: `session: <redacted>`). A type before a default is a known one or written as a type is (a capital
# and letters alone, names joined by dots, or a `[`: `Final`, `np.ndarray`, `list[str]`); any other word is a value
# (`password: hunter2 = x` showed `hunter2`, `password: Hunter2 = x` too: a capital's word with a digit read as a type).
# A fullwidth colon (U+FF1A, as CJK text writes one) is a line's `:` too, no space needed after it.
_YAML_LINE_RE = _lazy(
    r"(?m)^[ \t]*(?:-[ \t]+)?(?P<name>[A-Za-z_][\w.-]{0,99})[ \t]*(?::[ \t]+|\uff1a[ \t]*)"
    r"(?P<value>\S(?:[^\r\n]*\S)?)[ \t]*\r?$"
)
_TYPE = r"[A-Za-z_][\w.]{0,99}(?:\[[^\r\n]{0,200}\])?"
_KNOWN_TYPE = (
    r"(?:typing\.|t\.)?(?:str|bytes|int|float|bool|object|None|Any|SecretStr|SecretBytes|Optional|Union|Annotated"
    r"|Literal|list|dict|tuple|set|List|Dict|Tuple|Set|Sequence|Mapping)(?:\[[^\r\n]{0,200}\])?"
)
_WRITTEN_TYPE = r"(?:[A-Z][A-Za-z]{0,99}|[A-Za-z_]\w{0,99}(?:\.[A-Za-z_]\w{0,99})+)(?:\[[^\r\n]{0,200}\])?"
_CODE_TYPE = rf"(?:{_KNOWN_TYPE}|{_WRITTEN_TYPE}|[A-Za-z_]\w{{0,99}}\[[^\r\n]{{0,200}}\])(?![\w.\[])"
_ANNOTATION_RE = _lazy(
    rf"{_CODE_TYPE}(?:[ \t]*\|[ \t]*{_TYPE})*[ \t]+=[ \t]+[^\r\n]*"
    rf"|{_KNOWN_TYPE}(?:[ \t]*\|[ \t]*{_TYPE})*(?:[ \t]*,)?"
)
# A YAML line's value under a secret name that tells no secret: a null (`token: null`, `~`), what the name counts or
# names (`names_no_secret`: `tokens: 5`), a Kubernetes label's prefixed key (a selector's `- key:
# app.kubernetes.io/name`).
_YAML_NULL_RE = _lazy(r"null|Null|NULL|~")
_LABEL_KEY_RE = _lazy(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}/[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?")


def _tells_no_secret(name: str, value: str) -> bool:
    """Whether a YAML line's `value` under a secret `name` tells none (`_YAML_NULL_RE`, `names_no_secret`,
    `_LABEL_KEY_RE`)."""
    return (
        _YAML_NULL_RE.fullmatch(value) is not None
        or names_no_secret(name, value)
        or (name.lower() == "key" and _LABEL_KEY_RE.fullmatch(value) is not None)
    )


# A YAML line under a name whose value is a block on the lines after it: a block scalar's `|` or `>` (`password: |`),
# or nothing (`token:` then its value indented below).
_YAML_BLOCK_LINE_RE = _lazy(
    r"(?m)^(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<name>[A-Za-z_][\w.-]{0,99})[ \t]*:"
    r"(?P<block>[ \t]+[|>][+-]?[0-9]?)?[ \t]*(?:#[^\r\n]*)?\r?$"
)
# A source line's annotated name with a literal default (`password: str = "hunter2"`, a signature's `token: str |
# None = b"..."`): the string inside its quotes, or the number (`password: int = 12345678`).
_ANNOTATED_DEFAULT_RE = _lazy(
    rf"(?<![\w.])(?P<name>[A-Za-z_]\w{{0,99}})[ \t]*:[ \t]*{_TYPE}(?:[ \t]*\|[ \t]*{_TYPE})*[ \t]*=[ \t]*"
    r"""(?:[rRbBuU]{0,2}(?P<quote>["'])(?P<value>(?:[^"'\\\r\n]|\\.|(?!(?P=quote))["'])*)(?P=quote)"""
    r"|(?P<number>-?[0-9][0-9_]{0,99}(?:\.[0-9_]{1,99})?)(?![\w.]))"
)

# A string literal a source line assigns to a name (a stack trace's or an error overlay's code: `const API_TOKEN =
# "..."`, PHP's `$db_password = '...'`, Java's `String password = "..."`, Go's `password := "..."`), at most 512
# characters; not a comparison (`token == "..."`). Its quotes may be escaped, as a JSON string holding a traceback's
# line escapes them (`"  password = \"hunter2\"\n"`: shown before). A type may stand after the name and a `:`
# (TypeScript's `const password: string | undefined = "..."`, Kotlin's `String?`, Rust's `&str` and `&'static str`), or
# after `var` or `const` and the name (Go's `var password string = "..."`); Rust's `String::from("...")` too. One rule
# for crash text and an answer's body: crash text showed the typed ones the body hid.
_DECLARED_TYPE = (
    r"[&*]?(?:'[A-Za-z_]\w{0,99}[ \t]+)?[A-Za-z_][\w.]{0,99}(?:<[^<>\r\n]{0,200}>|\[[^\]\r\n]{0,200}\])?\??"
)
_ASSIGNED_STRING = (
    r"""[ \t]*:?=[ \t]*(?:String::from\([ \t]*)?(?P<q>\\?["'`])((?:(?!(?P=q))(?:[^\\\r\n]|\\.)){1,512})(?P=q)"""
)
_DECLARED_TYPES = rf"[ \t]*:[ \t]*{_DECLARED_TYPE}(?:[ \t]*\|[ \t]*{_DECLARED_TYPE}){{0,4}}"
_ASSIGNMENT_RE = _lazy(rf"""(?<![\w$.])\$?([A-Za-z_][\w.]{{0,99}})(?:{_DECLARED_TYPES})?{_ASSIGNED_STRING}""")
_GO_VARIABLE_RE = _lazy(rf"\b(?:var|const)[ \t]+([A-Za-z_]\w{{0,99}})[ \t]+{_DECLARED_TYPE}{_ASSIGNED_STRING}")


def declared_string_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the string literal a source line assigns to a name `hide` hides stands in `text`, inside its quotes
    (`_ASSIGNMENT_RE`, `_GO_VARIABLE_RE`); unordered."""
    if "=" not in text:
        return []
    return [
        found.span(3)
        for assignments in (_ASSIGNMENT_RE, _GO_VARIABLE_RE)
        for found in assignments.finditer(text)
        if hide(found[1])
    ]


# A name and a fullwidth colon or equals sign (U+FF1A, U+FF1D: `password` and one then `hunter2`, as CJK text writes
# them, no space after): the value, to the next space or a comma or full stop of either width. No YAML, code or query
# writes one, so it is read wherever a word starts.
_FULLWIDTH_PAIR_RE = _lazy(
    r"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]{0,99})[ \t]*[\uff1a\uff1d][ \t]*(?P<value>[^\s\uff0c\u3001\u3002\uff1b,;]+)"
)


def fullwidth_pair_spans(text: str, hides: Callable[[str, str], bool]) -> list[tuple[int, int]]:
    """Where the value after a name and a fullwidth colon or equals sign (`_FULLWIDTH_PAIR_RE`) that `hides` hides
    (given the name and the value) stands in `text`, in order."""
    if "\uff1a" not in text and "\uff1d" not in text:
        return []
    return [found.span("value") for found in _FULLWIDTH_PAIR_RE.finditer(text) if hides(found["name"], found["value"])]


def yaml_block_end(text: str, start: int, indent: int) -> int:
    """Where the block of lines after `start` (a YAML line's end) ends: its lines more indented than `indent`, or a
    list's items at it, blank lines among them; `start` when there is none."""
    end = at = start
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
    return end


def _yaml_line_spans(text: str) -> list[tuple[int, int]]:
    """Where the value of each YAML line under a secret name (`_YAML_LINE_RE`, `is_secret_pair`) stands in `text`, an
    exception's name (`TokenError: ...`), a source line's annotation (`_ANNOTATION_RE`) and a value hidden already
    aside; a block's lines after such a name (`_YAML_BLOCK_LINE_RE`) and a source line's literal default under one
    (`_ANNOTATED_DEFAULT_RE`) too; in order."""
    if ":" not in text:
        return []
    spans = [
        found.span("value")
        for found in _YAML_LINE_RE.finditer(text)
        if not found["name"].lower().endswith(_EXCEPTION_SUFFIXES_LOWER)
        and is_secret_pair(found["name"], found["value"])
        and _ANNOTATION_RE.fullmatch(found["value"]) is None
        and not _tells_no_secret(found["name"], found["value"])
        # A value hidden already inside its quotes (a flow mapping's over lines: `password: '<redacted>',`) keeps them.
        and found["value"].strip("'\",") != REDACTED
        # A block's start: its lines are hidden below.
        and _YAML_BLOCK_LINE_RE.fullmatch(found[0].lstrip("\r\n")) is None
    ]
    if "=" in text:
        spans += [
            found.span(part)
            for found in _ANNOTATED_DEFAULT_RE.finditer(text)
            for part in ("value" if found["number"] is None else "number",)
            if found[part]
            and found[part] != REDACTED
            and is_secret_pair(found["name"], found[part])
            and not _tells_no_secret(found["name"], found[part])
        ]
    # Where the last block hidden ends: a block inside it is not read again.
    covered = 0
    for found in _YAML_BLOCK_LINE_RE.finditer(text):
        name = found["name"]
        if found.start() < covered or name.lower().endswith(_EXCEPTION_SUFFIXES_LOWER) or not may_hide(name):
            continue
        end = yaml_block_end(text, found.end(), len(found["indent"]))
        if end > found.end() and is_secret_pair(name, text[found.end() : end].strip()):
            spans.append((text.index("\n", found.end()) + 1, end))
            covered = end
    return merged_spans(spans)


# The ends of an exception's name, which a traceback's last line starts with as a header line does (`KeyError: ...`).
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")
_EXCEPTION_SUFFIXES_LOWER = tuple(suffix.lower() for suffix in _EXCEPTION_SUFFIXES)
# Quoted as text or bytes (`b'x-api-key'`): a mapping's `'name': 'value'`, a tuple's `('name', 'value')` (what
# follows a `(`: a list of names has none) in a list or a tuple of pairs: after its bracket, or a comma after an item
# (a bracket, a quote, a digit), not after a call's argument (`print(foo, ("password", "x"))` holds no pair).
# The value runs to its first quote no backslash escapes or, where its line holds none (a value ending in a backslash:
# `'C:\'`), to the line's last quote. A backslash is read one way only: read as an escape or as itself, each of a
# value's escapes doubled the ways tried where no quote closed it (a quote cut inside a JSON string of escaped lines,
# `"manifest": "a\nb\n...`: 2**n tries, minutes for 40 escapes). A value no quote closes before the text's end (a quote
# cut it) runs to that end, as the body reader reads one.
# A string literal's prefix as a repr or a source line writes one: bytes, raw, both, or Python 2's unicode (`b'...'`,
# `rb"..."`, `u'...'`); not an f-string's (a source line's code, `f"Bearer {token}"`).
STRING_PREFIX = r"(?:[bB][rR]?|[rR][bB]?|[uU])?"
_QUOTED_ENTRY_RE = _lazy(
    r"""(?P<name>(?P<pair>(?:(?<=[\[(])|(?<=[\])'"\d],)|(?<=[\])'"\d],[ \t]))\s*\(\s*)?"""
    r"""b?(?P<q>['"])(?P<key>[\w-]+)(?P=q)(?(pair)\s*,\s*|\s*:\s*))"""
    rf"""(?P<open>{STRING_PREFIX}(?P<v>['"]))(?:(?:\\.|(?!(?P=v))[^\\\n])*(?P=v)|[^\n]*(?P=v)|[^\n]+\Z)"""
)

# A `name=value` pair (a libpq DSN's `password=...`, a JDBC URL's `;password=...`, a JAAS line's `password="..."`, a
# repr's `password='...'`) and a quoted name's object or list (Spring's `"db.password": {"value": ...}`) under a
# secret name: a quoted value inside its quotes, a bare one to the next space, `&`, `;`, `,`, quote or bracket, an
# object or a list whole. (Not a line's `token: ...`: a traceback's source line `token: str = ...` is code.)
# A Python repr's value may be bytes (`password=b'...'`), escape its quote (`'it\'s "x"'`) or be an object's repr
# (`Secret('...')`); one ending in a backslash (`'C:\'`) runs to its first quote; one no quote closes before the
# text's end (a quote cut it) to that end.
# A line break as a JSON string escapes it (`\n`, `\r`, `\t`; no escaped backslash before it) before what starts the
# next entry (a name, quoted or not, and its `=`, or its `:` and a space or a quote): a bare value ends there
# (`"token=abc\nnext=1"`: read on, the next line was hidden with it). Elsewhere the backslash is the value's own (a
# password `C:\new\path` or `C:\temp:x` is hidden whole).
# An f-string's too after a name's `=`: its literal text is a value (`password = f"hunter2{x}"` showed `"hunter2{x}"`,
# the `f` taken for a bare value and hidden alone).
_PAIR_STRING_PREFIX = r"(?:[bBfF][rR]?|[rR][bBfF]?|[uU])?"
ESCAPED_LINE_BREAK = (
    r"""(?<!\\)\\[nrt](?=(?:\\[nrt]|[ \t]){0,8}(?:\\*["'])?[A-Za-z_][\w.-]{0,99}(?:\\*["'])?[ \t]*(?::[ \t"'\\]|=))"""
)
_SECRET_PAIR = (
    r"""(?<![\w.%-])(?P<name>[A-Za-z_][\w.-]{0,99})[ \t]*:?=[ \t]*"""
    rf"""(?:{_PAIR_STRING_PREFIX}"(?P<double>(?:[^"\\\r\n]|\\.){{1,512}})"|{_PAIR_STRING_PREFIX}'(?P<single>(?:[^'\\\r\n]|\\.){{1,512}})'"""
    rf"""|{_PAIR_STRING_PREFIX}'(?P<backslashed>[^'\r\n]{{1,512}})'"""
    # Its quotes escaped, in a JSON string (Kafka Connect's `"sasl.jaas.config": "... password=\"...\";"`).
    rf"""|\\"(?P<escaped>(?:[^"\\\r\n]|\\[^"\r\n]){{1,512}})\\"{{cut}}"""
    # A list, as Java's Map.toString writes a header's values (`{X-Api-Key=[...], Accept=[*/*]}`): inside its brackets,
    # however long (a read stops at the next bracket: another list's start stops it).
    r"""|\[(?P<listed>[^\[\]\r\n]+)\]"""
    # A repr's object holding it (`password=Secret('...')`): whole.
    r"""|(?P<call>[A-Za-z_][\w.]{0,99}\([^()\r\n]{0,512}\))"""
    rf"""|(?P<bare>(?:(?!{ESCAPED_LINE_BREAK}|\\u0026)[^\s&;,"'<>(){{}}\[\]])+))"""
)
_SECRET_PAIR_RE = _lazy(_SECRET_PAIR.replace("{cut}", rf"""|{_PAIR_STRING_PREFIX}\\?["'](?P<cut>[^\r\n]+)\Z"""))
# The same before the text's last line, where no value runs to the text's end: tried there, each `password=""` of a
# line of them read the line to its end again (quadratic: 5 s for 128 KB before a line's end).
_SECRET_PAIR_BEFORE_LAST_LINE_RE = _lazy(_SECRET_PAIR.replace("{cut}", "|(?P<cut>(?!))"))
_SECRET_PAIR_VALUES = ("double", "single", "backslashed", "escaped", "cut", "listed", "call", "bare")
_QUOTED_CONTAINER_RE = _lazy(r"""(['"])(?P<name>[\w.-]{1,100})\1\s*:\s*[\[{]""")

# What decides where an object or a list ends in a text: a string (whose brackets are text) or a bracket.
_CONTAINER_TOKEN_RE = _lazy(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[\[\]{}]')
# In a flow mapping a single-quoted string's brackets are text too (YAML's, Node's util.inspect: `{ match: '[^}]+' }`);
# an apostrophe no quote closes runs to the text's end, hiding more, never less.
_FLOW_CONTAINER_TOKEN_RE = _lazy(r"""(["'])(?:(?!\1)[^\\]|\\.)*(?:\1|\\?\Z)|[\[\]{}]""")


def container_end(text: str, start: int, *, single_quoted: bool = False) -> int:
    """Where the object or list opening at `start` ends in `text` (past its closing bracket), or the end of the
    text when it is cut before; a single-quoted string's brackets are text too when `single_quoted`."""
    depth = 0
    tokens = _FLOW_CONTAINER_TOKEN_RE if single_quoted else _CONTAINER_TOKEN_RE
    # Token by token (not `finditer`): a search passes over the text up to its closing bracket, no further.
    while (token := tokens.search(text, start)) is not None:
        start = token.end()
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
        elif bracket in ("]", "}"):
            depth -= 1
            if depth == 0:
                return token.end()
    return len(text)


def user_info_spans(text: str) -> list[tuple[int, int]]:
    """Where the user info of every URL written with `//` in `text` stands (`user:password`, without its `@`), in
    order: to the authority's last `@`, past a `?` or `#` a password holds, not into a query after a host
    (`//host?to=ops@example.com`)."""
    spans = []
    for found in _URL_USER_INFO_ANYWHERE_RE.finditer(text):
        end = _user_info_end(found[0], port_then_query=True)
        if (
            end
            and not _USER_NAME_ALONE_RE.fullmatch(found[0], 0, end - 1)
            and not _DIGEST_RE.match(text, found.start() + end)
        ):
            spans.append((found.start(), found.start() + end - 1))
    return spans


# The most passwords of a text's URLs and DSNs searched for alone in it: each of their forms (as written and decoded) is
# a pass over the text, and a text of thousands of URLs each with its own password would be read thousands of times.
_MOST_PASSWORDS_ALONE = 16


# How many times a password is percent-decoded to be searched for alone: a user info encoded again by a client that
# took it for text (`S%2540cret1`) is quoted decoded once (`S%40cret1`) or twice (`S@cret1`); a third time too, a bound
# on a value built to be decoded forever (each form is a pass over the text). Past it only the password decoded until
# no escape is left is searched for (one encoded four times, `S%25252540cret1`, is quoted `S@cret1`), decoded at most
# _PASSWORD_MOST_DECODINGS times (each decoding a pass over the password alone).
_PASSWORD_DECODINGS = 3
_PASSWORD_MOST_DECODINGS = 64


def _password_forms(value: str) -> tuple[str, ...]:
    """`value` (a password as a URL or DSN writes it) and, while it holds an escape, percent-decoded again (each form
    for the first _PASSWORD_DECODINGS times, then only the last, of at most _PASSWORD_MOST_DECODINGS): a message quotes
    `S%40cret1` as `S@cret1`, `S%2540cret1` as either."""
    forms = [value]
    for decodings in range(1, _PASSWORD_MOST_DECODINGS + 1):
        if "%" not in value or (decoded := unquote(value)) == value:
            break
        value = decoded
        if decodings <= _PASSWORD_DECODINGS:
            forms.append(value)
    if value != forms[-1]:
        forms.append(value)
    return tuple(forms)


def user_info_passwords(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, ...]]:
    """The forms (`_password_forms`) of the passwords of the user infos at `spans` in `text` (`user_info_spans`): what
    follows a user's `:`, or a token sent as the user (`//ghp_...@host`) whole."""
    return [_password_forms(text[start:end].partition(":")[2] or text[start:end]) for start, end in spans]


# The shortest DSN password searched for alone: the DSN reading also takes `p99:1250@payments` and
# `From:support@example.com` for a user and a password, and searched for alone a short one blanked every such number or
# word of the text, the evidence's figures among them (`observed 1250 ms`).
_MIN_DSN_PASSWORD_ALONE_CHARS = 8


def dsn_passwords(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, ...]]:
    """The forms (`_password_forms`) of the passwords of the DSN user infos at `spans` in `text`
    (`dsn_user_info_spans`) worth searching for alone: of _MIN_DSN_PASSWORD_ALONE_CHARS or more, not all digits (a
    URL's, after `//`, from MIN_HIDDEN_CHARS)."""
    kept = []
    for start, end in spans:
        forms = _password_forms(text[start:end])
        if found := [value for value in forms if len(value) >= _MIN_DSN_PASSWORD_ALONE_CHARS and not value.isdigit()]:
            kept.append(tuple(found))
    return kept


# The shortest password of digits alone searched for alone: a shorter one is as likely a figure of the text (`1234 ms`,
# a count), and searched for, every equal figure was blanked.
_MIN_DIGITS_PASSWORD_ALONE_CHARS = 8


def _searched_alone(value: str) -> bool:
    """Whether a form of a URL's password is searched for alone: MIN_HIDDEN_CHARS or more, and digits alone only from
    _MIN_DIGITS_PASSWORD_ALONE_CHARS."""
    floor = _MIN_DIGITS_PASSWORD_ALONE_CHARS if value.isdigit() else MIN_HIDDEN_CHARS
    return len(value) >= floor and REDACTED not in value


def hide_passwords_alone(text: str, passwords: Iterable[tuple[str, ...]]) -> str:
    """`text` with each form of each of `passwords` (a URL's or a DSN's found in it, as `user_info_passwords` gives
    them) hidden where it also stands alone (`password pw12 rejected` after `https://u:pw12@h`): as a secret arg is
    (`scrubber`), one of MIN_HIDDEN_CHARS or more (of digits alone, _MIN_DIGITS_PASSWORD_ALONE_CHARS), one shorter than
    8 characters only as a whole word (a password `prod` hides no `production`); a shorter one is not searched for (a
    password `pw` would blank every `pw`, `1234` every `1234 ms`). The forms of at most _MOST_PASSWORDS_ALONE
    passwords."""
    found = dict.fromkeys(
        kept for forms in passwords if (kept := tuple(value for value in forms if _searched_alone(value)))
    )
    if not found:
        return text
    hidden: str = scrubber(value for forms in list(found)[:_MOST_PASSWORDS_ALONE] for value in forms)(text)
    return hidden


# An opaque token in a URL's path after a segment naming a one-time link (a password reset's, an invitation's, a
# magic sign-in link's, an address's verification, a list's unsubscribe: `Location: /reset/...`): the link is the
# user's credential. Decided by name and shape: the segment before names such a link (any case), and the token is 16
# characters or more (an encrypted blob's however long) of letters, digits, `_`, `-`, `~` or standard base64's `+`
# (and its `=` padding), a digit and a letter among them (a word or a slug, `/reset/password-instructions-sent`, a
# date `/verify/2024-01-01`, a short id are none), right after the name or after one short segment between (a user's
# id: Django's `reset/<uidb64>/<token>/`, allauth's `reset/key/<uid>-<key>/`, Laravel's `verify/<id>/<hash>`).
# Another segment's is shown (`/orders/abc123def456ghi789`: an id, no capability by name).
_CAPABILITY_PATH_RE = _lazy(
    r"(?i)(?<=/)(?:(?:password[_-]?)?reset(?:[_-]?password)?|invit(?:e|es|ation|ations)|accept[_-]?invite"
    r"|magic(?:[_-]?links?)?|(?:log|sign)[_-]?in[_-]?links?|verify(?:[_-]?email)?|verification|confirm(?:ation)?"
    r"|activat(?:e|ion)|unsubscribe|one[_-]?time)"
    r"/(?:[A-Za-z0-9_~-]{1,15}/)?(?P<token>[A-Za-z0-9_~+-]{16,}={0,2})"
)
_DIGIT_AND_LETTER_RE = _lazy(r"(?=[^0-9]*[0-9])(?=[^A-Za-z]*[A-Za-z])")


def capability_path_spans(text: str) -> list[tuple[int, int]]:
    """Where an opaque token stands in a URL's path after a segment naming a one-time link (`/reset/...`,
    `/invite/...`, `/magic-link/...`: `_CAPABILITY_PATH_RE`), in order."""
    if "/" not in text:
        return []
    return [
        found.span("token")
        for found in _CAPABILITY_PATH_RE.finditer(text)
        if _DIGIT_AND_LETTER_RE.match(found["token"]) is not None
    ]


# An env entry as Kubernetes writes one, its name and then its value (`{"name": "DB_PASSWORD", "value": "..."}`, a
# repr's `{'name': ..., 'value': ...}` or `V1EnvVar(name='...', value='...')`, a flow mapping's `{name: ..., value:
# ...}`, YAML's `- name: ...` then `value: ...` on the next line): the value, quoted (inside its quotes) or bare (to
# a space, a comma, a bracket), is hidden when the name is a secret's (`is_secret_pair`).
_ENV_ENTRY_RE = _lazy(
    r"""(?<![\w])(?P<nq>["']?)name(?P=nq)[ \t]*[:=][ \t]*(?P<q>["']?)(?P<name>[\w.-]{1,100})(?P=q)"""
    r"""(?:[ \t]*,[ \t]*|[ \t]*\r?\n[ \t]*)(?P<vq>["']?)value(?P=vq)[ \t]*[:=][ \t]*"""
    r"""(?:(?P<open>["'])(?P<quoted>(?:\\.|(?!(?P=open))[^\\\r\n])*)(?P=open)|(?P<bare>[^\s,{}\[\]()]+))"""
)


def _env_entry_spans(text: str) -> list[tuple[int, int]]:
    """Where the value of each env entry under a secret name stands in `text` (`_ENV_ENTRY_RE`), in order."""
    if "name" not in text:
        return []
    spans = []
    for found in _ENV_ENTRY_RE.finditer(text):
        group = "quoted" if found["open"] else "bare"
        if is_secret_pair(found["name"], found[group]):
            spans.append(found.span(group))
    return spans


def hide_credentials(text: str) -> str:
    """`text` (an exception's message, a traceback) with every credential that says what it is hidden: the user
    info of a URL (`//user:password@`) or of a DSN (`user:password@tcp(db)`, `scott/tiger@db`), a credential known by
    its shape (a JWT, an AWS key id, a GitHub token: `secret_shape_spans`), a Kubernetes Secret's values
    (`kubernetes_secret_spans`), a one-time link's token in a URL's path (`capability_path_spans`), a password a
    protocol's transcript or a .netrc shows (`transcript_secret_spans`), a
    validation error's input under a secret field (pydantic's text: `pydantic_input_spans`; a repr of its `errors()`,
    FastAPI's 422),
    what follows an HTTP auth scheme
    (`Bearer`, `Digest`, `ApiKey`, the ones `is_credential_value` knows), and the value of a header line, a quoted
    mapping entry (`'X-Api-Key': '...'`) or pair (`(b'x-api-key', b'...')`), a `name=value` pair or a quoted name's
    object under a secret name (`_named_value_spans`)."""
    spans = user_info_spans(text)
    passwords = user_info_passwords(text, spans)
    text = _hidden(text, spans)
    if "@" in text:
        spans = dsn_user_info_spans(text)
        passwords += dsn_passwords(text, spans)
        text = _hidden(text, spans)
    text = hide_passwords_alone(text, passwords)
    text = hide_secret_shapes(text)
    text = _hidden(
        text,
        merged_spans(
            [
                *url_parameter_spans(text, values=TEXT_PARAMETER_VALUE_RE, marks=TEXT_PARAMETER_MARKS),
                *kubernetes_secret_spans(text),
                *capability_path_spans(text),
                *transcript_secret_spans(text),
                *pydantic_input_spans(text),
                *_validation_input_spans(text),
                *_env_entry_spans(text),
                *declared_string_spans(text, is_secret_name),
                *fullwidth_pair_spans(text, is_secret_pair),
            ]
        ),
    )
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTHORIZATION_SCHEME_RE.sub(lambda found: f"{found[1]}{REDACTED}", text)
    text = _SCHEME_CREDENTIAL_RE.sub(lambda found: f"{found[1]}{found[2]}{REDACTED}", text)
    text = _hidden(text, merged_spans(_named_value_spans(text)))
    text = _hidden(text, _yaml_line_spans(text))
    text = _HEADER_FIELD_LINE_RE.sub(
        lambda found: (
            f"{found[1]}{found[2]}{found[3]}{REDACTED}"
            if is_secret_pair(found[2], found[4]) and not found[2].endswith(_EXCEPTION_SUFFIXES)
            else found[0]
        ),
        text,
    )
    return _QUOTED_ENTRY_RE.sub(_hidden_entry, text)


def _hidden_entry(found: re.Match[str]) -> str:
    """A quoted mapping entry or pair (`_QUOTED_ENTRY_RE`) with its value hidden when its name is a secret's; a value
    the text's end cut is left without the closing quote it never had."""
    closed = found[0].endswith(found["v"])
    value = found[0][found.end("open") - found.start() : len(found[0]) - (1 if closed else 0)]
    if not is_secret_pair(found["key"], value):
        return found[0]
    return f"{found['name']}{found['open']}{REDACTED}{found['v'] if closed else ''}"


def _named_value_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of `text`'s `name=value` pairs and quoted names' objects or lists under a secret name stand
    (`_SECRET_PAIR_RE`, `_QUOTED_CONTAINER_RE`); unordered."""
    spans: list[tuple[int, int]] = []
    at = 0 if "=" in text else len(text)
    last_line = max(text.rfind("\n"), text.rfind("\r")) + 1
    while (
        found := (at < last_line and _SECRET_PAIR_BEFORE_LAST_LINE_RE.search(text, at, last_line))
        or _SECRET_PAIR_RE.search(text, max(at, last_line))
    ) is not None:
        group = next(group for group in _SECRET_PAIR_VALUES if found[group] is not None)
        at = found.end()
        # A value hidden already (`jwt=%22<redacted>%22`, a known secret percent-quoted) is left as it is.
        if is_secret_parameter(found["name"], found[group]) and not text.startswith(REDACTED, found.end()):
            start, end = found.span(group)
            spans.append((start, scheme_credential_end(text, start, end) if group == "bare" else end))
        elif group in ("call", "listed"):
            # Another name's object or list: its arguments or items are read (`db=DB(password='...')`, `a=[token=...]`);
            # they hold no bracket.
            at = found.start("listed") if group == "listed" else text.index("(", found.start(group)) + 1
    if ":" in text:
        covered = 0
        for found in _QUOTED_CONTAINER_RE.finditer(text):
            if found.start() >= covered and is_secret_name(found["name"]):
                covered = container_end(text, found.end() - 1)
                spans.append((found.end() - 1, covered))
    if "{" in text:
        spans += _flow_entry_spans(text)
    return spans + go_value_spans(text, is_secret_name)


# Go's `%+v` and `%#v` of a struct, as a panic or an error quotes a config (`&{Host:db Password:... Port:5432}`,
# `main.Config{Host:"db", Password:"..."}`): an exported field's name after a `{` or a space, its `:` and its value,
# quoted (inside its quotes) or bare. `%+v` writes a string as it is and one space before the next field's name
# (fmt's printValue), so a bare value may hold spaces and what looks like the next field (a passphrase `correct horse
# Battery:staple`): which ` Name:` ends it the text cannot tell. Under a secret name a bare value is hidden to its
# struct's `}` (the fields after it with it; the fields before it, a `%#v`'s quoted value and a struct nested in
# another bound it); with no `}` on its line (a text cut inside the struct), to the line's end. A value may start with
# a scheme's word in braces (a hashed or encoded password as LDAP and Spring write it: `{SSHA}...`, `{noop}...`), which
# no nested struct does (its fields are named: `{User:app ...}`).
_GO_SCHEME_PREFIX = r"(?:\{\w[\w.-]{0,19}\})?"
_GO_FIELD_RE = _lazy(
    r"""(?<=[{ ])(?P<name>[A-Z]\w{0,99}):(?![/:\s])(?:"(?P<quoted>(?:[^"\\\r\n]|\\.)*)"|"""
    rf"""(?P<bare>{_GO_SCHEME_PREFIX}[^\s{{}}]+"""
    r"""(?:(?: [^\s{}]+)*?(?= [A-Z]\w{0,99}:|\}))?))"""
)
# An unexported field's, its name in small letters (`%+v` writes every field: `{host:db password:... port:5432}`), read
# apart (an exported field's run over words, `Host:db password:...`, does not hide it): not a format spec's alignment
# (`{token:>8}`), and only between braces closed on its line or after a `{` the text's end cut (`_GO_STRUCT_PART_RE`:
# a sentence's `secret:kube-system/tls not found` is evidence). Under a secret name it is hidden to the part's end, as
# an exported field's bare value is.
_GO_UNEXPORTED_FIELD_RE = _lazy(r"(?<=[{ ])(?P<name>[a-z_]\w{0,99}):(?![/:\s<>^=])(?P<bare>[^\s{}]+)")
# A field's value a scheme's braces start (`password:{noop}...`), read with them as parentheses (the same length): its
# braces would end the struct's part before the value, which no field then named.
_GO_SCHEME_BRACES_RE = _lazy(r"(?<=:)\{(\w[\w.-]{0,19})\}")
# A struct's text from a brace to the next `}` on its line, no brace between (read once: each part from its brace), or
# from a `{` to the text's end (a clip cut the struct before its `}`).
_GO_STRUCT_PART_RE = _lazy(r"(?<=[{}])[^{}\r\n]+(?=\})|(?<=\{)[^{}\r\n]+\Z")
# Go's `%v` of a map (`map[password:... user:bob]`, an http.Header's `map[X-Api-Key:[...]]`, a map in a map
# `map[db:map[password:...]]`): on the line after its `map[`, an entry's key, any case, and its value, a slice's
# brackets whole. `%v` writes a string as it is, so a value may hold spaces and what looks like the next key
# (`map[password:correct horse user:bob]`): under a secret name a value that is no slice is hidden to its map's `]`
# (or its line's end), the entries after it with it (fmt sorts a map's keys: those before it are shown).
_GO_MAP_RE = _lazy(r"\bmap\[")
_GO_MAP_ENTRY_RE = _lazy(
    r"(?<=[\[ ])([A-Za-z_][\w.-]{0,99}):"
    rf"(\[[^\[\]\r\n]*\]|{_GO_SCHEME_PREFIX}[^\s\[\]{{}}]+"
    r"(?:(?: [^\s\[\]{}]+)*?(?= [A-Za-z_][\w.-]{0,99}:|\]))?)"
)
_GO_BRACES_RE = _lazy(r"[{}\r\n]")
_GO_BRACKETS_RE = _lazy(r"[\[\]\r\n]")


def _go_value_end(text: str, start: int, brackets: re.Pattern[str]) -> int:
    """Where the struct or map whose value starts at `start` in `text` ends: before its closing bracket (`brackets`
    finds them and line breaks; those of a value nested in it counted), or at its line's end."""
    depth = 0
    while (token := brackets.search(text, start)) is not None:
        start = token.end()
        if token[0] in "\r\n":
            return token.start()
        if token[0] in "{[":
            depth += 1
        elif depth == 0:
            return token.start()
        else:
            depth -= 1
    return len(text)


def go_value_spans(text: str, hide: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Where the values a Go struct's fields (`_GO_FIELD_RE`) and a Go map's entries (`_GO_MAP_ENTRY_RE`) hold under a
    name `hide` hides stand in `text`, a bare one to its struct's or map's end; unordered."""
    spans = []
    if "{" in text:
        covered = 0
        for found in _GO_FIELD_RE.finditer(text):
            if found.start() < covered or not hide(found["name"]):
                continue
            if found["quoted"] is not None:
                spans.append(found.span("quoted"))
                continue
            covered = max(found.end("bare"), _go_value_end(text, found.start("bare"), _GO_BRACES_RE))
            spans.append((found.start("bare"), covered))
        read = _GO_SCHEME_BRACES_RE.sub(r"(\1)", text) if ":{" in text else text
        for part in _GO_STRUCT_PART_RE.finditer(read):
            fields = _GO_UNEXPORTED_FIELD_RE.finditer(read, part.start(), part.end())
            secret = next((found for found in fields if hide(found["name"])), None)
            if secret is not None:
                spans.append((secret.start("bare"), part.end()))
    if "map[" in text:
        read_to = 0
        for go_map in _GO_MAP_RE.finditer(text):
            if go_map.start() < read_to:
                # Its line's maps were read with the first of them.
                continue
            line_end = text.find("\n", go_map.end())
            line_end = len(text) if line_end < 0 else line_end
            covered = 0
            for found in _GO_MAP_ENTRY_RE.finditer(text, max(go_map.end() - 1, read_to), line_end):
                if found.start() < covered or not hide(found[1]):
                    continue
                if found[2].startswith("["):
                    spans.append(found.span(2))
                    continue
                covered = max(found.end(2), _go_value_end(text, found.start(2), _GO_BRACKETS_RE))
                spans.append((found.start(2), covered))
            read_to = line_end
    return spans


# A flow mapping's brackets and commas (YAML's `{password: abc}`, Node's util.inspect `{ user: 'bob', password: '...' }`
# over lines too, a repr of pydantic's `errors()`): after a `{`, or a `,` inside one, an entry may start. Its name, bare
# (a `:` and a space after it, as YAML needs after a plain key and util.inspect writes: not a format spec's
# `{token:>8}`) or quoted, and its value: quoted (past an escaped quote, `'it\'s'`; to the text's end where a cut left
# it open), a validation error's `loc` (a short list or tuple), an object or a list, an object's repr (`Secret('a, b')`:
# whole, its commas in it; no bracket in it), or plain (to the next `,`, bracket or line's end). A quoted value is read
# past at once: its brackets and commas are text.
_FLOW_MAPPING_TOKEN_RE = _lazy(r"[{}\[\],]")
# A string literal's start, its prefix too (`b'...'`, `f"..."`, `rb'...'`), or a value that holds no secret: a
# language's none or boolean, which says what went wrong (`{'token': None}`: none was configured).
_NO_QUOTED_SECRET_RE = _lazy(r"""[bBrRuUfF]{0,2}['"]|(?:None|null|nil|undefined|True|False|true|false)[ \t]*\Z""")
_FLOW_ENTRY_RE = _lazy(
    r"""\s*(?:(?P<bare>[A-Za-z_][\w.-]{0,99})[ \t]*:(?=\s)|b?(?P<q>['"])(?P<quoted>[\w.-]{1,100})(?P=q)[ \t]*:)\s*"""
    r"""(?:'(?P<single>(?:[^'\\\r\n]|\\.)*)(?:'|\Z)|"(?P<double>(?:[^"\\\r\n]|\\.)*)(?:"|\Z)"""
    r"""|(?P<loc>[\[(][^\[\]{}()\r\n]{0,512}[\])])|(?P<container>[\[{])"""
    r"""|(?P<call>[A-Za-z_][\w.]{0,99}\([^()\[\]{}\r\n]{0,512}\))|(?P<plain>[^,{}\[\]\r\n]*))"""
)


def _flow_entry_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of `text`'s flow mappings' entries under a bare secret name stand (`{password: '...'}`, and
    `pass` alone's holding no result: `is_secret_pair`; an object or a list under one whole) or under a quoted one when
    no quote holds them (`{'password': 123456}`), and a validation error's `input` in a mapping whose `loc` names a
    secret's field, wherever it stands in the mapping and however long its `msg`; unordered."""
    spans: list[tuple[int, int]] = []
    # The brackets open, the innermost last: whether each is a mapping, or once an entry of it is a validation error's
    # `loc` or `input`, whether its `loc` names a secret's field and where its inputs stand (a list made for each
    # bracket, thousands of them cost seconds).
    frames: list[bool | tuple[list[bool], list[tuple[int, int]]]] = []
    at = 0
    while (token := _FLOW_MAPPING_TOKEN_RE.search(text, at)) is not None:
        at = token.end()
        if token[0] in "}]":
            if frames and not isinstance(frame := frames.pop(), bool) and frame[0]:
                spans += frame[1]
            continue
        if token[0] in "{[":
            frames.append(token[0] == "{")
        if not frames or frames[-1] is False or (entry := _FLOW_ENTRY_RE.match(text, at)) is None:
            continue
        name = entry["bare"] or entry["quoted"]
        value = next(
            group for group in ("single", "double", "loc", "container", "call", "plain") if entry[group] is not None
        )
        if value == "container":
            if entry["bare"] and is_secret_pair(name, entry[value]):
                at = container_end(text, entry.start(value), single_quoted=True)
                spans.append((entry.start(value), at))
            else:
                at = entry.start(value)
            continue
        if value == "loc" and name == "loc":
            parts = _VALIDATION_LOCATION_PART_RE.finditer(entry[value])
            if any(is_secret_name(part[1] or part[2]) for part in parts):
                _validation_error(frames)[0].append(True)
        elif entry[value].strip() and (
            name == "input"
            # A quoted name's quoted value is its entry's (`_QUOTED_ENTRY_RE`: bytes, a value ending in a backslash,
            # an f-string in a source line); one no quote starts is not (`{'password': 123456}`, a repr's
            # `'api_key': UUID('...')`), but a none or a boolean is shown.
            or (
                (
                    entry["bare"]
                    or (value in ("loc", "call", "plain") and _NO_QUOTED_SECRET_RE.match(entry[value]) is None)
                )
                and is_secret_pair(name, entry[value])
            )
        ):
            span = (entry.start(value), entry.start(value) + len(entry[value].rstrip()))
            (_validation_error(frames)[1] if name == "input" else spans).append(span)
        elif value == "call":
            # Another name's object's repr: its arguments are read as entries, as a plain value's commas start them
            # (`{a: f(x, password: y)}`).
            at = entry.start(value)
            continue
        at = entry.end()
    # A text cut inside a validation error: its input is still the secret field's.
    return spans + [span for frame in frames if not isinstance(frame, bool) and frame[0] for span in frame[1]]


def _validation_error(
    frames: list[bool | tuple[list[bool], list[tuple[int, int]]]],
) -> tuple[list[bool], list[tuple[int, int]]]:
    """The innermost open mapping's validation error state, made on its first `loc` or `input`."""
    top = frames[-1]
    if isinstance(top, bool):
        top = frames[-1] = ([], [])
    return top


# A URL's query, fragment or path parameter (`?api_key=...`, `#access_token=...`, `;jsessionid=...`), or a form's or a
# query's written where a word starts (`redirect=...&x=1`) or right after another's `=` (a mail link's
# `?body=token=...`, its text a query of its own): its name, percent-encoded or not, a space in it written `+`
# (`?api+key=`), read decoded, up to its `=` (however long: runs of name characters never overlap, so the search stays
# linear). Another name's value is read on for parameters (a `;` may start the next: `?page=2;PHPSESSID=...`, a `?` a
# URL's own query); a secret name's runs to the next `&`, `#` or space, as a query parser reads it: cut at a `;`, a
# quote or a `<`, its rest was shown (`?token=abc;def` showed `def`). In a JSON string it also ends at an escaped `&`
# (Go's encoding/json writes `\u0026`) or line break (`\n`): no URL holds a backslash, and read on, the next parameter
# or line was hidden with it.
_URL_PARAMETER_NAME_RE = _lazy(r"""(?:(?<=[?&;#=])|(?<![^\s"'(,]))((?:[A-Za-z0-9_.+-]|%[0-9A-Fa-f]{2})+)=""")
_URL_SECRET_VALUE_RE = _lazy(r"(?:[^&#\s\\]|\\(?!u0026|[nrt]))*")
# A parameter's value in free text (an exception's, an answer's body) also ends where a text's `name=value` pair's does
# (`_SECRET_PAIR`'s bare value: a JDBC URL's `;password=...;encrypt=true`, a quote, a bracket).
TEXT_PARAMETER_VALUE_RE = _lazy(r"""(?:[^&#\s;,"'<>(){}\[\]\\]|\\(?!u0026|[nrt]))*""")
# The user info of a DSN written without `//` (Go's MySQL `user:password@tcp(db:3306)/app`, `postgres:user:pass@db`):
# a word that starts the text (or follows a space, a quote, `=`, `(`, `,` or `;`), then a `:` and what runs to the
# word's last `@` before a host. Not an image's tag before its digest (`nginx:1.25@sha256:...`), nor a URI whose
# scheme's `@` ends no password (any case): a mail address (`mailto:`), a package URL's version (`pkg:npm/x@1.2`), a
# URN's or an ARN's text (`arn:aws:iam::123:user/x@corp`), a phone's, XMPP's or SIP's address, a message's or a
# part's id (`cid:`, `mid:`, RFC 2392) or a news article's (`news:id@host`); but a `:` in such an
# address's user is none of theirs (`sip:alice:pw@host` is RFC 3261's user and password, `xmpp:bob:pw@host`,
# `Mailto:bob:pw@host` a `user:password@` all the same): hidden.
# Read word by word (a word is what runs to a space or a quote): matched from each start, a word of thousands of
# `,a:` before an `@` was read to its end from each (2.4 s for 24,000 characters).
_DSN_USER_START_RE = _lazy(
    r"""(?<![^\s'"=(,;])(?!(?i:urn|arn(?=:aws)):|(?i:mailto|pkg|tel|xmpp|sips?|cid|mid|news):[^:@]*(?:@|\Z))"""
    r"""[A-Za-z0-9_.%+-]+:(?!//)"""
)
_DSN_HOST_AT_RE = _lazy(r"@(?=[\w\[(])(?!sha\d{3}:)")
# Oracle's `user/password@host:1521/service` (`@//host...`, `@(DESCRIPTION=...)`, a TNS alias `@orcl`): a user's
# name (a letter, then letters, digits, `_`, `$`, `#`) where a word may start, its `/`, and a password with no `/`
# before a host's `@`. Not a path to a module's version (`foo/bar@v1.2.3`: a version ends the word) or to an image's
# double size (`img/logo@2x.png`).
_ORACLE_USER_RE = _lazy(r"""(?<![^\s'"=(,;])[A-Za-z][\w$#]{0,127}/(?!/)""")
_ORACLE_HOST_AT_RE = _lazy(r"""@(?://|(?=[\w\[(])(?!sha\d{3}:)(?!v?\d+(?:\.\d+)*(?:[\s'"]|\Z)|\d+x\.))""")
_WORD_RE = _lazy(r"""[^\s'"]+""")
# How many times a name is percent-decoded at most: once more than a server that encodes twice wrote it
# (`pass%2577ord`), a bound on a name built to be decoded forever.
_NAME_DECODINGS = 4


def decoded_name(name: str) -> str:
    """A parameter's name percent-decoded until no escape is left (at most _NAME_DECODINGS times): `pass%2577ord`,
    encoded twice, is `password`, as a server that decodes what it was sent twice reads it."""
    for _ in range(_NAME_DECODINGS):
        if "%" not in name:
            break
        decoded = unquote(name)
        if decoded == name:
            break
        name = decoded
    return name


def dsn_user_info_spans(text: str) -> list[tuple[int, int]]:
    """Where the password of each DSN written without `//` stands in `text`, in order: in a word, from its first
    user's `:` to its last `@` before a host, or (Oracle's `scott/tiger@db`) from a user's `/` to the `@` before a host
    that ends the password."""
    spans: list[tuple[int, int]] = []
    for word in _WORD_RE.finditer(text):
        if "@" not in word[0]:
            # Most words: one plain search, no pattern run over them.
            continue
        host_ats = [found.start() for found in _DSN_HOST_AT_RE.finditer(text, word.start(), word.end())]
        user = _DSN_USER_START_RE.search(text, word.start(), host_ats[-1]) if host_ats else None
        if user is not None:
            spans.append((user.end(), host_ats[-1]))
            continue
        oracle = _ORACLE_USER_RE.search(text, word.start(), word.end()) if "/" in word[0] else None
        if oracle is None:
            continue
        # The password ends at its first `/`: the last host's `@` before it ends it.
        slash = text.find("/", oracle.end(), word.end())
        password_end = word.end() if slash < 0 else slash
        host_ats = [found.start() for found in _ORACLE_HOST_AT_RE.finditer(text, oracle.end(), word.end())]
        host_at = max((at for at in host_ats if at < password_end), default=-1)
        if host_at > oracle.end():
            spans.append((oracle.end(), host_at))
    return spans


def _hidden(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (in order, apart) replaced by REDACTED."""
    shown: list[str] = []
    done = 0
    for start, end in spans:
        shown += (text[done:start], REDACTED)
        done = end
    return "".join(shown) + text[done:] if shown else text


# A JWT's `.`, a line break (or a JSON string's `\n`) before or after it where its parts are printed a line each.
_JWT_DOT = r"(?:\\n|\r?\n)?\.(?:\\n|\r?\n)?"


# Credentials that say what they are by their shape, whatever names them (or nothing does: a log line, a stack trace):
# a JWT (a JSON header and payload, base64url: `eyJ...` twice, then its signature; a JWE's five parts too), an AWS
# access key id (`AKIA` long-lived, `ASIA` temporary) and an STS session token, GitHub's tokens (`ghp_`, `gho_`, `ghu_`,
# `ghs_`, `ghr_`, `github_pat_`), GitLab's (`glpat-`), npm's (`npm_`), Hugging Face's (`hf_`), OpenAI's and Anthropic's
# keys (`sk-proj-`, `sk-ant-`...), SendGrid's (`SG.` and two parts), Slack's (`xoxb-`, `xoxp-`...), Stripe's secret,
# restricted and webhook keys, a Google API key, Mailgun's private API keys (`key-` and 32 hex digits; the newer shape,
# 32, 8 and 8 hex digits joined by `-`, its sending keys' too: no UUID's 8-4-4-4-12 nor a traceparent's 32-16), and the
# path of a Slack webhook URL. Each starts with fixed letters, or (Mailgun's newer keys) where a word starts:
# one pass over the text, no backtracking.
_JWT = (
    rf"e(?<![A-Za-z0-9_-]e)yJ[A-Za-z0-9_-]{{8,}}={{0,2}}{_JWT_DOT}eyJ[A-Za-z0-9_-]{{8,}}={{0,2}}"
    rf"(?:{_JWT_DOT}[A-Za-z0-9_+/-]*={{0,2}}){{1,3}}"
)
_SECRET_SHAPE_RE = _lazy(
    _JWT + r"|A(?<![A-Za-z0-9]A)(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])"
    r"|F(?<![A-Za-z0-9+/]F)woGZXIvYXdz[A-Za-z0-9+/=]{20,}"
    r"|I(?<![A-Za-z0-9+/]I)QoJb3JpZ2lu[A-Za-z0-9+/=]{20,}"
    r"|g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{30,}|ithub_pat_[A-Za-z0-9_]{22,})"
    r"|g(?<![A-Za-z0-9_-]g)lpat-[A-Za-z0-9_-]{20,}"
    r"|n(?<![A-Za-z0-9_-]n)pm_[A-Za-z0-9]{36}"
    r"|h(?<![A-Za-z0-9_-]h)f_[A-Za-z0-9]{30,}"
    r"|s(?<![A-Za-z0-9_-]s)k-(?:proj|ant|svcacct|admin)-[A-Za-z0-9_-]{20,}"
    r"|S(?<![A-Za-z0-9_-]S)G\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{30,}"
    r"|x(?<![A-Za-z0-9-]x)ox[abposre]-[A-Za-z0-9-]{10,}"
    r"|s(?<![A-Za-z0-9_]s)k_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|r(?<![A-Za-z0-9_]r)k_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|w(?<![A-Za-z0-9_]w)hsec_[A-Za-z0-9]{10,}"
    r"|A(?<![A-Za-z0-9_-]A)Iza[0-9A-Za-z_-]{35}"
    r"|k(?<![A-Za-z0-9]k)ey-[0-9a-f]{32}(?![A-Za-z0-9])"
    r"|h(?<![A-Za-z0-9_.-]h)v[sbr]\.[A-Za-z0-9_-]{20,}"
    r"|\$(?<![\w$]\$)(?:2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{20,}|(?:apr1|1|5|6)\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{16,}"
    r"|argon2(?:id|i|d)\$[^\s'\"]{20,})"
)
# Mailgun's newer keys, found from their first `-` (a literal the search skips to) back to their 32 hex digits, and a
# Slack webhook URL's path: each a pass of its own, so that every alternative above starts with a letter and the
# search skips the characters that start none.
_MAILGUN_KEY_RE = _lazy(r"-(?<=(?<![A-Za-z0-9-])[0-9a-f]{32}-)[0-9a-f]{8}-[0-9a-f]{8}(?![A-Za-z0-9]|-[A-Za-z0-9])")
_MAILGUN_HEAD_CHARS = 32
# The path is read ahead of a match, not taken by it: a path running into another URL's host (`.../XXXXhooks.slack...`)
# would take that host's name, and the next URL's path be shown.
_SLACK_WEBHOOK_RE = _lazy(r"hooks\.slack\.com/services/(?=([A-Za-z0-9/]+))")
# A base64 JSON object in one part (no JWT's `.` and second part) as a registry's login is stored in a Kubernetes
# Secret's `.dockerconfigjson` or a CI variable (`{"auths": ...}` is `eyJhdXRocyI6...`, pretty-printed
# `ewogICJhdXRocyI6...`): hidden when the JSON holds a member under a secret name, decoded (a pagination cursor's
# `{"offset": 20}` holds none).
_BASE64_JSON_RE = _lazy(
    r"(?<![A-Za-z0-9+/_.=-])(?:eyJ|eyAi|ewo|e30)[A-Za-z0-9+/_-]{13,}={0,2}(?![A-Za-z0-9+/=_-])(?!\.eyJ)"
)
_JSON_NAME_RE = _lazy(r'"((?:[^"\\\r\n]|\\.){1,100})"\s*:')
# How much of a base64 blob is decoded to read its names: a registry's config is a few hundred characters.
_BASE64_JSON_READ_CHARS = 65536
# An AWS secret access key beside its key id (`AKIA...`, `ASIA...`): 40 characters of base64's alphabet with a capital
# and a small letter (a git commit's 40 hex digits have none of the first), within _AWS_SECRET_REACH_CHARS of the id
# either way (in prose, a CSV's row, a credentials file).
_AWS_KEY_ID_RE = _lazy(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_AWS_SECRET_KEY_RE = _lazy(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_AWS_SECRET_REACH_CHARS = 200
# A Twilio auth token or API key secret (32 letters and digits, a digit among them) beside an Account SID (`AC`) or an
# API key's SID (`SK`, 32 hex digits after either), within _TWILIO_SECRET_REACH_CHARS either way: the SIDs are
# identifiers (every Twilio URL holds the account's) and are shown.
_TWILIO_SID_RE = _lazy(r"(?<![A-Za-z0-9])(?:AC|SK)[0-9a-fA-F]{32}(?![A-Za-z0-9])")
_TWILIO_SECRET_RE = _lazy(r"(?<![A-Za-z0-9])(?=[A-Za-z]{0,31}[0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_TWILIO_SECRET_REACH_CHARS = 200
# A trace's id (W3C's and B3's are 32 hex digits, as a Twilio auth token is) is no secret where it says what it is: a
# name holding `trace` right before it (`trace_id=`, `"traceId": "`, `X-Cloud-Trace-Context: `), or a traceparent's
# `00-` before and `-` and 16 hex digits after (Twilio's tokens stand alone). Not a request's or a correlation's id:
# no standard gives one a shape (Twilio's own start with `RQ`), so 32 hex digits labelled so may be the token.
_TRACE_ID_LABEL_RE = _lazy(r"(?i)trace[\w.-]{0,24}[\"']?[ \t]*[:=]?[ \t]*[\"']?(?:[0-9a-f]{2}-)?\Z")
_TRACE_ID_LABEL_CHARS = 64
# A trace's id is hex, in one case: 32 characters mixing cases (an API key secret's) are no trace's whatever names them.
_TRACE_ID_RE = _lazy(r"[0-9a-f]{32}|[0-9A-F]{32}")
_TRACEPARENT_AROUND_RE = _lazy(r"(?<=[0-9a-f]{2}-)[0-9a-f]{32}(?=-[0-9a-f]{16}-[0-9a-f]{2}(?![A-Za-z0-9]))")
# A private key in PEM: its base64 between its BEGIN and END lines (or the text's end, a quote cut it), the lines
# themselves shown (they say what was there).
_PEM_BEGIN_RE = _lazy(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = "-----END "


# A JWT a log line wrapped at any point, or a JSON string holding it with a `\n` inside a part: read in a copy of the
# text with each line break between two of a JWT's characters taken out, the next line's indent with it (a YAML block,
# a logger's continuation line), in one pass (linear). A part after a break that is a plain word (`Next`, `done`:
# letters, a capital first or none), or such words a `-` joins as a header's name is written (`Content-Type`,
# `x-request-id`), ends the signature before it: the next line's first word, not the signature's rest, which a cut at
# an arbitrary point leaves with a digit or a `_`, or capitals inside, nearly always (a signature's rest of letters
# alone, shown, is not the whole signature).
_JWT_RE = _lazy(_JWT)
_JWT_BREAK_RE = _lazy(r"(?<=[A-Za-z0-9_.=+/-])(?:\\n|\r?\n)[ \t]*(?=[A-Za-z0-9_.=+/-])")
_PLAIN_WORD_RE = _lazy(r"[A-Z]?[a-z]+(?:-[A-Z]?[a-z]+)*")
# A signature's bytes by its header's `alg` (RFC 7518: an HMAC's hash, ECDSA's two coordinates, Ed25519's 64 bytes; an
# RSA signature is its modulus, 2048, 3072 or 4096 bits): a break after that many characters of it ends it, whatever
# the next line starts with (`200 OK`, `ERROR`, `status=401`), which a signature's rest would have been taken for.
_JWT_SIGNATURE_BYTES = {
    "HS256": (32,),
    "HS384": (48,),
    "HS512": (64,),
    "ES256": (64,),
    "ES384": (96,),
    "ES512": (132,),
    "EdDSA": (64,),
    **{f"{family}{bits}": (256, 384, 512) for family in ("RS", "PS") for bits in (256, 384, 512)},
}


def _jwt_signature_chars(header: str) -> frozenset[int]:
    """How many characters the signature of a JWT whose first part is `header` has, in base64url (unpadded) or base64
    (padded); none when its `alg` is not read."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, RecursionError):
        # No base64, no JSON, or JSON nested deeper than the parser goes: a header made up, no alg to read.
        return frozenset()
    alg = decoded.get("alg") if isinstance(decoded, dict) else None
    sizes = _JWT_SIGNATURE_BYTES.get(alg, ()) if isinstance(alg, str) else ()
    return frozenset(chars for size in sizes for chars in ((size * 4 + 2) // 3, (size + 2) // 3 * 4))


def _wrapped_jwt_spans(text: str) -> list[tuple[int, int]]:
    """Where a JWT with a line break (or a JSON string's `\\n`) inside a part stands in `text`; unordered."""
    view_at: list[int] = []
    shifts: list[int] = []
    pieces: list[str] = []
    done = removed = 0
    for found in _JWT_BREAK_RE.finditer(text):
        pieces.append(text[done : found.start()])
        view_at.append(found.start() - removed)
        removed += found.end() - found.start()
        shifts.append(removed)
        done = found.end()
    if not view_at:
        return []
    pieces.append(text[done:])
    view = "".join(pieces)

    def at(view_index: int) -> int:
        """Where the view's character at `view_index` stands in `text`."""
        before = bisect.bisect_right(view_at, view_index) - 1
        return view_index + (shifts[before] if before >= 0 else 0)

    spans = []
    for found in _JWT_RE.finditer(view):
        start, end = found.span()
        first, last = bisect.bisect_right(view_at, start), bisect.bisect_left(view_at, end)
        if first >= last:
            # No break inside: the text's own search finds it.
            continue
        signature = view.rfind(".", start, end) + 1
        payload = view.find(".", start, end) + 1
        lengths = _jwt_signature_chars(view[start : payload - 1])
        signature_start = view.find(".", payload, end) + 1
        whole = next((cut for cut in view_at[first:last] if cut - signature_start in lengths), None)
        if whole is not None:
            end = whole
        elif (
            view_at[last - 1] > signature
            # A last line of letters that makes the signature its alg's length is the signature's rest.
            and end - signature_start not in lengths
            and _PLAIN_WORD_RE.fullmatch(view, view_at[last - 1], end)
        ):
            end = view_at[last - 1]
        spans.append((at(start), at(end - 1) + 1))
    return spans


def secret_shape_spans(text: str) -> list[tuple[int, int]]:
    """Where a credential known by its shape stands in `text` (`_SECRET_SHAPE_RE`: a JWT, an AWS key id, a GitHub,
    Slack, Stripe, Vault or Mailgun token, a password's hash...), a base64 JSON object holding a secret name (a
    registry's `{"auths": ...}`), an AWS secret access key beside its key id, a Twilio auth token or API key secret
    beside a SID, and the body of every PEM private key, in order."""
    spans = [found.span() for found in _SECRET_SHAPE_RE.finditer(text)]
    if "eyJ" in text and ("\n" in text or "\\n" in text):
        spans += _wrapped_jwt_spans(text)
    if "-" in text:
        spans += [(found.start() - _MAILGUN_HEAD_CHARS, found.end()) for found in _MAILGUN_KEY_RE.finditer(text)]
    if "hooks.slack.com" in text:
        spans += [found.span(1) for found in _SLACK_WEBHOOK_RE.finditer(text)]
    if "e" in text:
        spans += [found.span() for found in _BASE64_JSON_RE.finditer(text) if _names_a_secret(found[0])]
    spans += _spans_beside(text, _AWS_KEY_ID_RE, _AWS_SECRET_KEY_RE, _AWS_SECRET_REACH_CHARS)
    spans += [
        span
        for span in _spans_beside(text, _TWILIO_SID_RE, _TWILIO_SECRET_RE, _TWILIO_SECRET_REACH_CHARS)
        if not _is_trace_id(text, *span)
    ]
    at = 0
    while (begin := _PEM_BEGIN_RE.search(text, at)) is not None:
        end = text.find(_PEM_END, begin.end())
        end = len(text) if end < 0 else end
        spans.append((begin.end(), end))
        at = end
    return sorted(spans)


def _spans_beside(text: str, ids: re.Pattern[str], secret: re.Pattern[str], reach_chars: int) -> list[tuple[int, int]]:
    """Where `secret` matches in `text` within `reach_chars` of a match of `ids` (a key's id, an account's SID), a
    match that the reach's bound crosses too."""
    spans: list[tuple[int, int]] = []

    def search(low: int, high: int) -> list[tuple[int, int]]:
        # Past the stretch's bounds by the reach again (more than any secret's length), kept where it overlaps the
        # stretch: searched within it alone, a secret the bound cut in two matched on neither side and was shown.
        found = secret.finditer(text, max(low - reach_chars, 0), min(high + reach_chars, len(text)))
        return [match.span() for match in found if match.end() > low and match.start() < high]

    # The stretches within reach of ids close together are searched as one, each once: a secret between two ids,
    # searched in two stretches that cut it in two, was shown.
    low = high = 0
    for found in ids.finditer(text):
        start = max(found.start() - reach_chars, 0)
        if start > high:
            spans += search(low, high)
            low = start
        high = min(found.end() + reach_chars, len(text))
    return spans + search(low, high)


def _is_trace_id(text: str, start: int, end: int) -> bool:
    """Whether the 32 characters at `start` to `end` in `text` are a trace's id by what stands around them."""
    if _TRACE_ID_RE.fullmatch(text, start, end) is None:
        return False
    label = _TRACE_ID_LABEL_RE.search(text, max(start - _TRACE_ID_LABEL_CHARS, 0), start)
    return label is not None or _TRACEPARENT_AROUND_RE.match(text, start, min(end + 21, len(text))) is not None


def _names_a_secret(blob: str) -> bool:
    """Whether the base64 (or base64url) JSON object `blob` holds a member under a secret name (`auths`, `password`)."""
    blob = blob[:_BASE64_JSON_READ_CHARS].rstrip("=").replace("-", "+").replace("_", "/")
    blob = blob[: len(blob) - len(blob) % 4 if len(blob) % 4 == 1 else len(blob)]
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", "replace")
    except ValueError:
        return False
    return any(is_secret_name(found[1]) for found in _JSON_NAME_RE.finditer(decoded))


def hide_secret_shapes(text: str) -> str:
    """`text` with every credential known by its shape hidden (`secret_shape_spans`)."""
    return _hidden(text, merged_spans(secret_shape_spans(text)))


# A Kubernetes Secret (`kind: Secret` as YAML, or as JSON, in a JSON string too: kubectl's last-applied-configuration):
# every value of its `data` (base64) and `stringData` is a secret whatever its key (`username`, `config`,
# `.dockerconfigjson`, `tls.crt`), so where a text holds one, every `data` and `stringData` in it is hidden (a
# ConfigMap's beside it in a list too: its values shown are worth less than a Secret's leaked).
_KUBERNETES_SECRET_RE = _lazy(
    r"""(?m)^[ \t]*(?:-[ \t]+)?kind:[ \t]*(["']?)Secret\1[ \t]*(?:#.*)?\r?$"""
    # A run of backslashes read from its start (read from each of its backslashes, a long one took quadratic time).
    r"""|(?<!\\)(\\*)"kind\2"[ \t]*:[ \t]*\2"Secret\2\""""
)
# A YAML mapping's `data:` or `stringData:` line (a list's item too): its values are the lines indented under it, or a
# flow mapping after it (`data: {a: b}`).
_YAML_DATA_RE = _lazy(r"(?m)^[ \t]*(?:-[ \t]+)?(?P<key>data|stringData):[ \t]*(?P<rest>[^\r\n]*)")
_YAML_BLOCK_VALUE_RE = _lazy(r"(?:[|>][+-]?[0-9]?)?[ \t]*(?:#.*)?")
# A block's entry: its key, its `:` and its value.
_YAML_DATA_ENTRY_RE = _lazy(r"[ \t]*(?:[^\s:#][^:\r\n]*|\"[^\"\r\n]*\"|'[^'\r\n]*'):(?:[ \t]+|(?=\r?$))")
# A JSON `data` or `stringData` member opening its object, its quotes escaped in a JSON string or not.
_JSON_DATA_RE = _lazy(r'(?<!\\)(\\*)"(?:data|stringData)\1"[ \t]*:[ \t]*\{')
# In a JSON string: a run of backslashes (whole: a quote after one is a string's bound when the run escapes as the
# string's own quotes are) or a bracket.
_ESCAPED_TOKEN_RE = _lazy(r'(\\+)("?)|[{}]')


def kubernetes_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of a Kubernetes Secret's `data` and `stringData` stand in `text`, when it holds a Secret
    (`_KUBERNETES_SECRET_RE`): in YAML each value under such a line (a block scalar's lines whole), in JSON the
    object's inside, and in a JSON string holding a YAML one its escapes decoded (`_escaped_secret_spans`);
    unordered."""
    if "Secret" not in text:
        return []
    spans = _escaped_secret_spans(text) if _ESCAPED_NEWLINE_RE.search(text) else []
    if _KUBERNETES_SECRET_RE.search(text) is None:
        return spans
    # Where the last value hidden ends: a `data` inside it is hidden with it, and not read again (read, each of
    # thousands of nested ones scanned every line after it).
    covered = 0
    for found in _YAML_DATA_RE.finditer(text):
        if found.start() < covered:
            continue
        rest = found["rest"]
        if rest.strip() and not _YAML_BLOCK_VALUE_RE.fullmatch(rest):
            # A flow mapping (`{...}`, to its `}` however many lines it spans) or a value on the line: the rest of the
            # line.
            end = found.end("rest")
            if rest.startswith("{"):
                end = covered = max(end, container_end(text, found.start("rest")))
            spans.append((found.start("rest"), end))
            continue
        line_start = text.rfind("\n", 0, found.start()) + 1
        column = found.start("key") - line_start
        at = found.end()
        entry_column = -1
        while at < len(text):
            line_end = text.find("\n", at + 1)
            line_end = len(text) if line_end < 0 else line_end
            line = text[at + 1 : line_end].rstrip("\r")
            stripped = line.lstrip(" \t")
            indent = len(line) - len(stripped)
            if stripped and indent <= column:
                # A comment at the line's start ends no mapping.
                if not stripped.startswith("#"):
                    break
            elif stripped:
                entry_column = indent if entry_column < 0 else entry_column
                entry = _YAML_DATA_ENTRY_RE.match(line) if indent == entry_column else None
                # An entry's value (not a block scalar's indicator: its lines below are hidden), or a line of a value.
                start = at + 1 + (entry.end() if entry is not None else indent)
                if entry is None or not _YAML_BLOCK_VALUE_RE.fullmatch(line, entry.end()):
                    spans.append((start, at + 1 + len(line)))
                covered = at + 1 + len(line)
            at = line_end
    covered = 0
    for found in _JSON_DATA_RE.finditer(text):
        start = found.end() - 1
        if start < covered:
            continue
        if not found[1]:
            covered = container_end(text, start)
            spans.append((start + 1, max(covered - 1, start + 1)))
            continue
        # Inside a JSON string, quotes are escaped as `data`'s are: a bracket inside a string escaped so is text.
        depth, in_string, at = 0, False, len(text)
        for token in _ESCAPED_TOKEN_RE.finditer(text, start):
            if token[1] is not None:
                in_string ^= token[1] == found[1] and token[2] == '"'
            elif not in_string:
                depth += 1 if token[0] == "{" else -1
                if depth == 0:
                    at = token.start()
                    break
        spans.append((start + 1, at))
        covered = at
    return spans


# A newline as a JSON string escapes it: `\n`, or `\u000a` as an encoder escaping every control character writes it.
_ESCAPED_NEWLINE_RE = _lazy(r"\\(?:n|u000[aA])")
# A JSON string's text, inside its quotes or to where a cut (the text's end) or a line's end left it open. Read so, no
# quote is a start again: a quote that no quote closed (a quote cut inside a string) made the search begin again at
# each of the string's escaped quotes, reading on to the text's end each time (64 KiB of escaped YAML lines: 2 s).
_JSON_STRING_RE = _lazy(r'"((?:[^"\\\r\n]|\\.)*)"?')


def _escaped_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of a Kubernetes Secret stand in `text`'s JSON strings that hold one with its lines joined by
    escaped newlines (`"kind: Secret\\ndata:\\n  a: ..."`, which the YAML reader, reading lines, cannot see): each
    such string read with its escapes decoded; unordered."""
    spans: list[tuple[int, int]] = []
    for found in _JSON_STRING_RE.finditer(text):
        inner = found[1]
        if "Secret" not in inner or not _ESCAPED_NEWLINE_RE.search(inner):
            continue
        view, starts, ends = _decoded(inner, plus_as_space=False, encoding="json")
        at = found.start(1)
        spans += [
            (at + starts[start], at + ends[end - 1]) for start, end in kubernetes_secret_spans(view) if end > start
        ]
    return spans


# A password a protocol's transcript or a command's echo shows, on a line of its own after a prompt (redis-cli's
# `host:6379>`), a transcript's `C:` or `>`: Redis' `AUTH password` and `AUTH user password` (`AUTH` in capitals; any
# case after redis-cli's prompt, `host:port>`, `host:port[db]>`, in a transaction `host:port(TX)>`, over a Unix socket
# `redis /path>`, redis.io's `redis>`: after another, a shell's or an app's, `auth enabled` is a line of its own),
# SMTP's `AUTH PLAIN <base64>` (and an `AUTH LOGIN`'s base64 answers on the lines after it), FTP's `PASS ...`
# (`_is_ftp_pass`), IMAP's `tag LOGIN user password`; and Redis MONITOR's quoted `"AUTH" "user" "password"` (HELLO's
# too).
_REDIS_PROMPT_SUFFIX = r"(?:\[[0-9]{1,5}\])?(?:\(TX\))?>"
# Over a Unix socket (`redis /tmp/redis.sock>`), and as redis.io's examples write it (`redis>`).
_REDIS_SOCKET_PROMPT = r"redis(?: [^\s>\[]{1,100})?" + _REDIS_PROMPT_SUFFIX
_REDIS_PROMPT = rf"(?:[\w.\[\]:-]{{0,100}}:[0-9]{{1,5}}{_REDIS_PROMPT_SUFFIX}|{_REDIS_SOCKET_PROMPT})"
_LINE_PREFIX = (
    rf"(?m)^[ \t]*(?:(?P<prompt>(?P<redis>{_REDIS_PROMPT})|[\w.\[\]:-]{{1,100}}>)[ \t]*"
    r"|(?P<marker>[CcSs]:|[<>]|Command:)[ \t]*)?"
)
# An AUTH's value: quoted (a shell's `AUTH 's3 cr3t'`, hidden inside its quotes) or bare.
_AUTH_VALUE = r"'[^'\r\n]*'" + r'|"(?:[^"\\\r\n]|\\.)*"'
_AUTH_LINE_RE = _lazy(
    _LINE_PREFIX + rf"(?(redis)(?i:auth)|AUTH)[ \t]+(?P<first>{_AUTH_VALUE}|\S+)"
    rf"(?:[ \t]+(?P<second>{_AUTH_VALUE}|\S+))?[ \t]*\r?$"
)
# Redis' AUTH inside a longer line: a logged redis-cli command's (`redis-cli -h h AUTH s3cret`, within 256 characters
# of its name, any case), or after a prompt or a `>` that follows a space mid-line (`10:00 redis:6379> AUTH u p`; in
# small letters after redis-cli's prompt alone); its values end the line or come before a shell's operator (`&&`,
# `|`, `;`), so that prose naming AUTH is no command. The command is searched for from its `a` (a letter the search
# skips to), what stands before it looked at once found (`_mid_line_auth_context`): searched from each redis-cli and
# each word that could be a prompt, the text around each was read again and again.
_MID_LINE_AUTH_RE = _lazy(
    r"[Aa](?<=[ \t>][Aa])(?P<auth>(?i:uth))"
    rf"[ \t]+(?P<first>{_AUTH_VALUE}|[^\s;&|<>'\"]+)(?:[ \t]+(?P<second>{_AUTH_VALUE}|[^\s;&|<>'\"]+))?"
    r"(?=[ \t]*(?:[;&|<>]|\r?$))",
    re.MULTILINE,
)
_REDIS_CLI_RE = _lazy(r"\bredis-cli\b")
_LINE_BREAK_RE = _lazy(r"[\r\n]")
_REDIS_CLI_REACH_CHARS = 256
_REDIS_PROMPT_RE = _lazy(_REDIS_PROMPT)
# Ending where the AUTH's spaces start, a space or the text's start before it.
_REDIS_SOCKET_PROMPT_RE = _lazy(rf"(?<!\S){_REDIS_SOCKET_PROMPT}\Z")
_REDIS_SOCKET_PROMPT_CHARS = 128
_TRANSACTION_MARK = "(TX)"
_PROMPT_MAX_CHARS = 100
_PROMPT_WORD_CHARS = frozenset("_.[]:-")
_SASL_MECHANISMS = frozenset({"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "CRAM-MD5", "DIGEST-MD5", "EXTERNAL"})
# An `AUTH LOGIN`'s answers: lines of base64 alone, after a transcript's `C:` or none, among the next few lines.
_SASL_ANSWER_LINES = 6
_SASL_ANSWER_RE = _lazy(r"[ \t]*(?:[Cc]:|>)?[ \t]*([A-Za-z0-9+/]{4,}={0,2})[ \t]*\r?")
_PASS_LINE_RE = _lazy(_LINE_PREFIX + r"PASS[ \t]+(?P<password>[^\r\n]+)")
# What a test runner writes after its `PASS` (Jest's `PASS src/app.test.js (5.2 s)`, pytest's node id `PASS
# tests/test_app.py::TestX::test_y[a-1]`): a file's path, in a folder or named as a test, a test's name in it, and the
# time it took. The test's name as pytest and unittest collect one (their default: `test` first), after its classes
# (a capital first: unittest's cases are named anyhow) and before its parameters' id; any other word there
# (`a/b.py::s3cr3t`) may be a password. Such a line is read as FTP's only in a transcript's context: a client's marker
# or prompt before it, its USER among the few lines above, or the server's reply code on the line after.
_TEST_FILE_RE = _lazy(
    r"(?:(?:[\w.@+-]+[/\\])+[\w.@+-]+|[\w.@+-]+\.(?:test|spec))\.[A-Za-z][A-Za-z0-9]{0,4}"
    r"(?:(?:::[A-Z]\w*)*::test\w*(?:\[[^\s\]]*\])?)?(?:[ \t]+\([^()\r\n]{1,40}\))?[ \t]*\r?"
)
_FTP_USER_LINE_RE = _lazy(_LINE_PREFIX + r"USER[ \t]+\S")
_FTP_REPLY_RE = _lazy(r"[ \t]*(?:(?:[Ss]:|<|Response:)[ \t]*)?[1-5][0-9]{2}(?:[ \t-]|\r?$)", re.MULTILINE)
# How far above a PASS line its USER is looked for: a few lines, at most so many characters.
_FTP_USER_LINES = 3
_FTP_USER_REACH_CHARS = 256
_IMAP_LOGIN_RE = _lazy(
    _LINE_PREFIX + r'[A-Za-z0-9.]{1,20}[ \t]+LOGIN[ \t]+(?:"(?:[^"\\\r\n]|\\.)*"|\S+)[ \t]+'
    r'(?:"(?P<quoted>(?:[^"\\\r\n]|\\.)*)"|(?P<bare>\S+))'
)
_MONITOR_AUTH_RE = _lazy(r'"(?i:auth)"[ \t]+"((?:[^"\\\r\n]|\\.)*)"(?:[ \t]+"((?:[^"\\\r\n]|\\.)*)")?')
# A .netrc's entries (`machine host login user password pw`, on one line or several; `default` for any host), starting
# a line (or a quoted string): the value after each `password`, read token by token up to a word that is no keyword of
# the entry (in prose, `the default password policy` starts none).
_NETRC_ENTRY_RE = _lazy(r"""(?m)(?:^|(?<=["'>]))[ \t]*(machine|default)(?!\S)""")
_NETRC_TOKEN_RE = _lazy(r"\S+")
_NETRC_KEYWORDS = frozenset({"login", "password", "account", "port"})


def transcript_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where a password stands in a protocol's transcript or a client's file quoted in `text`: Redis' and SMTP's
    `AUTH`, FTP's `PASS`, IMAP's `LOGIN`, Redis MONITOR's `"AUTH"` and a .netrc's `password`; unordered."""
    spans: list[tuple[int, int]] = []
    if "AUTH" in text or "auth" in text or "Auth" in text:
        for found in _AUTH_LINE_RE.finditer(text):
            if found["second"] is not None:
                spans.append(_unquoted_span(found, "second"))
            elif found["first"].upper() not in _SASL_MECHANISMS:
                spans.append(_unquoted_span(found, "first"))
            else:
                at = found.end()
                for _ in range(_SASL_ANSWER_LINES):
                    line_end = text.find("\n", at + 1)
                    line_end = len(text) if line_end < 0 else line_end
                    answer = _SASL_ANSWER_RE.fullmatch(text, at + 1, line_end)
                    if answer is not None:
                        spans.append(answer.span(1))
                    at = line_end
        cli_ends = [found.end() for found in _REDIS_CLI_RE.finditer(text)] if "redis-cli" in text else []
        at = 0
        while (command := _MID_LINE_AUTH_RE.search(text, at)) is not None:
            capitals = text.startswith("AUTH", command.start())
            if not _mid_line_auth_context(text, command.start(), cli_ends, capitals=capitals):
                # No command: its values may be one's AUTH (`"> Auth AUTH s3cr3t`).
                at = command.start() + 1
                continue
            if command["second"] is not None or command["first"].upper() not in _SASL_MECHANISMS:
                spans.append(_unquoted_span(command, "second" if command["second"] is not None else "first"))
            at = command.end()
        spans += [
            found.span(group)
            for found in _MONITOR_AUTH_RE.finditer(text)
            for group in (2 if found[2] is not None else 1,)
        ]
    if "PASS" in text:
        spans += [found.span("password") for found in _PASS_LINE_RE.finditer(text) if _is_ftp_pass(text, found)]
    if "LOGIN" in text:
        spans += [
            found.span("quoted" if found["quoted"] is not None else "bare") for found in _IMAP_LOGIN_RE.finditer(text)
        ]
    read_to = 0
    for entry in _NETRC_ENTRY_RE.finditer(text):
        if entry.start() < read_to:
            continue
        tokens = _NETRC_TOKEN_RE.finditer(text, entry.end())
        if entry[1] == "machine" and next(tokens, None) is None:
            break
        read_to = entry.end()
        for keyword in tokens:
            value = next(tokens, None) if keyword[0] in _NETRC_KEYWORDS else None
            if value is None:
                break
            if keyword[0] == "password":
                spans.append(value.span())
            read_to = value.end()
    return spans


def _mid_line_auth_context(text: str, start: int, cli_ends: list[int], *, capitals: bool) -> bool:
    """Whether the AUTH at `start` in `text` is Redis' command: within _REDIS_CLI_REACH_CHARS of a redis-cli before it
    on its line (`cli_ends`: where each redis-cli in `text` ends, in order; a space right before the AUTH), or after a
    prompt (a word of at most _PROMPT_MAX_CHARS ending in `>`, or `(TX)>` in a transaction, a space or the text's start
    before it, spaces after it): any prompt for `AUTH`, redis-cli's (a Unix socket's `redis /path>` too) for another
    case."""
    if cli_ends and text[start - 1] in " \t":
        # The nearest redis-cli before it: on another line or out of reach, so are the others.
        nearest = bisect.bisect_right(cli_ends, start - 1) - 1
        cli_end = cli_ends[nearest] if nearest >= 0 else -_REDIS_CLI_REACH_CHARS - 2
        if cli_end >= start - 1 - _REDIS_CLI_REACH_CHARS and not _LINE_BREAK_RE.search(text, cli_end, start):
            return True
    end = start
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end == 0 or text[end - 1] != ">":
        return False
    # Over a Unix socket, redis-cli's prompt holds a space and the socket's path (`redis /tmp/redis.sock>`).
    if _REDIS_SOCKET_PROMPT_RE.search(text, max(end - _REDIS_SOCKET_PROMPT_CHARS, 0), end) is not None:
        return True
    word_end = end - 1 - (len(_TRANSACTION_MARK) if text.endswith(_TRANSACTION_MARK, 0, end - 1) else 0)
    prompt_start = word_end
    while prompt_start > 0 and word_end - prompt_start <= _PROMPT_MAX_CHARS:
        char = text[prompt_start - 1]
        if not (char.isalnum() or char in _PROMPT_WORD_CHARS):
            break
        prompt_start -= 1
    if word_end - prompt_start > _PROMPT_MAX_CHARS or (prompt_start > 0 and not text[prompt_start - 1].isspace()):
        return False
    return capitals or _REDIS_PROMPT_RE.fullmatch(text, prompt_start, end) is not None


def _unquoted_span(found: re.Match[str], group: str) -> tuple[int, int]:
    """Where `found`'s `group` stands, inside its quotes when a pair of them encloses it."""
    start, end = found.span(group)
    value = found[group]
    quoted = len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]
    return (start + 1, end - 1) if quoted else (start, end)


def _is_ftp_pass(text: str, found: re.Match[str]) -> bool:
    """Whether the `PASS` line `found` (`_PASS_LINE_RE`) is FTP's: after a client's marker or prompt, with a value no
    test runner writes (`_TEST_FILE_RE`), or in a transcript (its USER a few lines above, a reply code below)."""
    if found["prompt"] or found["marker"] or not _TEST_FILE_RE.fullmatch(found["password"]):
        return True
    line_start = found.start("password")
    low = max(0, line_start - _FTP_USER_REACH_CHARS)
    # Back to the newline before the PASS line's own, then before each of the lines above it.
    for _ in range(_FTP_USER_LINES + 1):
        line_start = text.rfind("\n", low, line_start)
        if line_start < 0:
            line_start = low
            break
    if _FTP_USER_LINE_RE.search(text, line_start, found.start("password")):
        return True
    next_line = text.find("\n", found.end())
    return next_line >= 0 and _FTP_REPLY_RE.match(text, next_line + 1) is not None


# A pydantic (v2) validation error's line under its field's location (`password` or `body.password` on the line above):
# `  String should have at least 12 characters [type=string_too_short, input_value='...', input_type=str]`; the value
# runs to the line's last `, input_type=`, or to its end (a quote cut it).
_PYDANTIC_INPUT_RE = _lazy(
    r"(?m)^[ \t]+[^\r\n]*?\[type=[\w.-]+, input_value="
    r"(?P<value>[^\r\n]*(?=, input_type=[\w.-]+\][ \t]*\r?$)|[^\r\n]*)"
)
_PYDANTIC_LOCATION_PART_RE = _lazy(r"[^.\s\[\]]+")


# A validation error as a repr of pydantic's `errors()` or FastAPI's 422 writes one: its `loc` (a tuple or a list of
# names and indexes), its `msg` and its `input`, in that order (the body reader reads them as mappings). A `msg` is read
# to its closing quote however long (a validator's message of thousands of characters, in a text cut before the
# mapping's `{`): a read stops at the next quote of its kind, which the next `msg`'s opening is, so a line of unclosed
# `'loc': (), 'msg': "` is read once. An input is read for at most 1,024 characters, hidden that far, closed or cut.
_VALIDATION_INPUT_RE = _lazy(
    r"""(?P<lq>["'])loc(?P=lq)[ \t]*:[ \t]*(?P<loc>[\[(][^\[\]()\r\n]{0,512}[\])])[ \t]*,[ \t]*"""
    r"""(?:(?P<mq>["'])msg(?P=mq)[ \t]*:[ \t]*"""
    r"""(?:"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')[ \t]*,[ \t]*)?"""
    r"""(?P<iq>["'])input(?P=iq)[ \t]*:[ \t]*"""
    r"""(?:"(?P<double>(?:[^"\\\r\n]|\\.){0,1024})|'(?P<single>(?:[^'\\\r\n]|\\.){0,1024})"""
    r"""|(?P<plain>-?[0-9][\w.+-]*))"""
)
_VALIDATION_LOCATION_PART_RE = _lazy(r""""((?:[^"\\\r\n]|\\.){1,100})"|'([^'\r\n]{1,100})'""")


def _validation_input_spans(text: str) -> list[tuple[int, int]]:
    """Where a validation error's input (`_VALIDATION_INPUT_RE`) stands in `text` when a name in its `loc` is a
    secret's (`('password',)`, `["body", "creds", "api_key"]`)."""
    if "loc" not in text or "input" not in text:
        return []
    spans: list[tuple[int, int]] = []
    for found in _VALIDATION_INPUT_RE.finditer(text):
        parts = _VALIDATION_LOCATION_PART_RE.finditer(found["loc"])
        if any(is_secret_name(part[1] or part[2]) for part in parts):
            spans.append(found.span(next(g for g in ("double", "single", "plain") if found[g] is not None)))
    return spans


def pydantic_input_spans(text: str, hide: Callable[[str], bool] = is_secret_name) -> list[tuple[int, int]]:
    """Where a pydantic validation error's input stands in `text` when its field's location (the line above it) names
    a secret (a name `hide` hides: `password`, `body.api_key`): a service answering 422 with the error's text quotes
    what it was sent."""
    if "input_value=" not in text:
        return []
    spans: list[tuple[int, int]] = []
    for found in _PYDANTIC_INPUT_RE.finditer(text):
        above_end = found.start() - 1
        above = text[text.rfind("\n", 0, max(above_end, 0)) + 1 : max(above_end, 0)]
        if above_end > 0 and any(hide(part) for part in _PYDANTIC_LOCATION_PART_RE.findall(above)):
            spans.append(_unquoted_span(found, "value"))
    return spans


def merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`spans` in order, those that overlap or touch joined into one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def hide_url_secrets(text: str) -> str:
    """`text` (a series' label value: a probe's target URL in `instance`) with the user info of every URL in it (a
    DSN's without `//` too) and the value of every URL parameter under a secret name (`?api_key=...`) hidden; `text`
    itself when it holds none."""
    return url_secrets(text)[0]


def url_secrets(text: str) -> tuple[str, list[str]]:
    """`text` as `hide_url_secrets` shows it, and the parts of it shown as REDACTED, in order: user info, a DSN's
    password, and each parameter's value `url_parameter_spans` hides."""
    hidden: list[str] = []
    if "@" in text:
        # The DSNs' after the URLs' user info is hidden, as a URL's `user:pw@` is no DSN of its own.
        for spans_of in (user_info_spans, dsn_user_info_spans):
            spans = spans_of(text)
            hidden += (text[start:end] for start, end in spans)
            text = _hidden(text, spans)
    spans = url_parameter_spans(text)
    hidden += (text[start:end] for start, end in spans)
    return _hidden(text, spans), hidden


# What comes right before a parameter's name in a URL's query, fragment or path (or a query's value: `?body=token=...`).
URL_PARAMETER_MARKS = "?&;#="
# In free text, a `;` or a word's start before a name is also a `name=value` pair's, which its own reader reads (quoted,
# a call...); a name right after another's `=` is inside that value, which that reader reads past.
TEXT_PARAMETER_MARKS = "?&#="


def url_parameter_spans(
    text: str,
    hides: Callable[[str, str], bool] = is_secret_parameter,
    *,
    may_hide_name: Callable[[str], bool] = may_hide_parameter,
    values: re.Pattern[str] = _URL_SECRET_VALUE_RE,
    marks: str = URL_PARAMETER_MARKS,
    nested: bool = True,
) -> list[tuple[int, int]]:
    """Where the value of each URL or form parameter (`_URL_PARAMETER_NAME_RE`) stands in `text` that `hides` hides
    (given its decoded name, one `may_hide_name` may hide, and its value) when one of `marks` comes right before its
    name, in order, each value as `values` reads it. With `nested`, any parameter's value holding a percent-encoded
    URL or query is read decoded, and hidden whole when it holds a secret
    (`redirect=https%3A%2F%2Fidp%2Fcb%3Ftoken%3D...`, `?body=token%3D...`)."""
    if "=" not in text:
        return []
    spans: list[tuple[int, int]] = []
    at = run_end = 0
    while (found := _URL_PARAMETER_NAME_RE.search(text, at)) is not None:
        at = found.end()
        name = decoded_name(found[1].replace("+", " "))
        # Read on from a name's `=`, not past its value: a `?` there may start a URL's own query
        # (`?target=https://api/?api_key=...`). A value runs to the next `&`, `#` or space, and a name within it ends
        # where it does: each run is matched, and read decoded, once, not once for each name in it (`?a=?a=...`).
        holds_secret = False
        if at >= run_end:
            run = values.match(text, at)
            assert run is not None  # it matches an empty value too
            run_end = run.end()
            # A percent-encoded URL there is hidden whole when it holds a secret; read once, not nested further.
            if nested and text.find("%", at, run_end) >= 0:
                holds_secret = _holds_encoded_url_secret(run[0], hides, may_hide_name, values, marks)
        # A value hidden already (the body reader's `token=<redacted>`) is left as it is.
        marked = found.start() > 0 and text[found.start() - 1] in marks
        if (
            # The value is cut out only for a name that may hide it: cut out for each name of a run, the run's rest
            # was copied again and again.
            (holds_secret or (marked and may_hide_name(name) and hides(name, text[at:run_end])))
            and run_end > at
            and not text.startswith(REDACTED, at)
        ):
            spans.append((at, scheme_credential_end(text, at, run_end)))
            at = run_end
    return spans


# How many times a parameter's value is percent-decoded to read a URL in it: a redirect's target encoded again by the
# next hop (`next=https%253A%252F%252F...`) is read; a bound, for a value built to be decoded forever.
_VALUE_DECODINGS = 2


def _holds_encoded_url_secret(
    value: str,
    hides: Callable[[str, str], bool],
    may_hide_name: Callable[[str], bool],
    values: re.Pattern[str],
    marks: str,
) -> bool:
    """Whether `value` (a parameter's, percent-encoded) holds a secret `_holds_url_secret` finds, decoded once or,
    encoded again, twice (at most _VALUE_DECODINGS times)."""
    for _ in range(_VALUE_DECODINGS):
        decoded = unquote(value)
        if ("@" in decoded or "=" in decoded) and _holds_url_secret(decoded, hides, may_hide_name, values, marks):
            return True
        if "%" not in decoded or decoded == value:
            return False
        value = decoded
    return False


def _holds_url_secret(
    text: str,
    hides: Callable[[str, str], bool],
    may_hide_name: Callable[[str], bool],
    values: re.Pattern[str],
    marks: str,
) -> bool:
    """Whether `text` (a parameter's value, decoded) holds user info, a DSN's password or a parameter `hides` hides,
    read as a query of its own (a name first is a parameter's: `token=...`)."""
    if "@" in text and (user_info_spans(text) or dsn_user_info_spans(text)):
        return True
    return bool(
        url_parameter_spans(f"?{text}", hides, may_hide_name=may_hide_name, values=values, marks=marks, nested=False)
    )


def url_secret_searches(text: str) -> list[str]:
    """What a reason or evidence quoting `text` is searched for to hide the credentials `url_secrets` hides in it: each
    part from MIN_HIDDEN_CHARS on; a shorter one (a password `pw`) with what it stands in, `text` whole and `text` up to
    each place the part ends (`https://u:pw`, `root:pw`: a URL rebuilt with another path), for searched alone it was
    skipped, and shown (a short password is still a password)."""
    searches: list[str] = []
    for part in url_secrets(text)[1]:
        if len(part) >= MIN_HIDDEN_CHARS:
            searches.append(part)
            continue
        searches.append(text)
        at = text.find(part)
        while at >= 0:
            if at + len(part) >= MIN_HIDDEN_CHARS:
                searches.append(text[: at + len(part)])
            at = text.find(part, at + 1)
    return list(dict.fromkeys(searches))


def credential_scrubber(values: Iterable[str]) -> Callable[[str], str]:
    """A function that hides in a text an exception's message or traceback may quote `values` (as `scrubber` does,
    those shorter than MIN_HIDDEN_CHARS aside) and every credential that says what it is (`hide_credentials`)."""
    scrub = scrubber(value for value in values if len(value) >= MIN_HIDDEN_CHARS)

    def hidden(text: str) -> str:
        shown: str = scrub(text)
        return hide_credentials(shown)

    return hidden


# An HTTP parser's quote of the client's line, as Python writes bytes (`b'...'` or `b"..."`), and the caret
# line under it that points into the line as it was.
_QUOTED_LINE_RE = _lazy(r"""\bb('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_CARET_LINE_RE = _lazy(r"^[ \t]*\^[ \t]*\n?", re.MULTILINE)
_HEADER_LINE_RE = _lazy(r"([^\s:]+)(\s*:\s*)(.*)", re.DOTALL)
_QUERY_RE = _lazy(r"\?\S*")


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
