"""What counts as a secret where a request could be shown back."""

from __future__ import annotations

import base64
import html
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from analyzer import redaction as redaction_module
from analyzer._body_secrets import _masked
from analyzer.redaction import (
    OAUTH_CODE_MOST_CHARS,
    Hider,
    credential_forms,
    credential_scrubber,
    decoded_name,
    hide_credentials,
    hide_secret_shapes,
    hide_url_secrets,
    is_credential_value,
    is_secret_name,
    may_be_shown,
    parser_error_for_log,
    scrubber,
    url_for_message,
    url_secret_searches,
    url_secrets,
)
from tests.cpu import least_cpu_s

ROOT = Path(__file__).resolve().parents[2]
# Counts, in a fresh interpreter, the patterns Python compiles from here on (re.compile's own cache answers the rest).
COUNT_COMPILES = (
    "import re, re._compiler as c; compiled = []; original = c.compile; "
    "c.compile = lambda p, flags=0: (compiled.append(p), original(p, flags))[1]; "
)

# A registry's login as `docker login` writes it, and as a Kubernetes Secret's `.dockerconfigjson` holds it.
DOCKER_CONFIG = {
    "auths": {"registry.example.com": {"username": "bob", "password": "s3cr3t", "auth": "Ym9iOnMzY3IzdA=="}}
}
DOCKER_CONFIG_B64 = base64.b64encode(json.dumps(DOCKER_CONFIG).encode()).decode()


class TestSecrets:
    """Secret by name (any case), or by a value with an HTTP auth scheme whatever its name."""

    @pytest.mark.parametrize(
        ("name", "secret"),
        [
            ("Authorization", True),
            ("X-Api-KEY", True),
            ("session_id", True),
            ("X-Scope-OrgID", False),
            ("q", False),
            # A signed URL's signature, a connection string's password: whole words only, `design` is none.
            ("sig", True),
            ("X-Amz-Signature", True),
            ("PWD", True),
            ("passwd", True),
            # pwd inside a word: the shell's previous directory.
            ("OLDPWD", False),
            ("id_jwt", True),
            ("design", False),
            ("signal", False),
            # A session id a framework writes into URLs.
            ("PHPSESSID", True),
            ("connect.sid", True),
            ("inside", False),
            # Words holding a secret name's letters: a language model's token counts, an author.
            ("max_tokens", False),
            ("promptTokenCount", False),
            ("author", False),
            ("authority", False),
            ("author_token", True),
            # How a caller authenticates, not with what; a token or a key named after it is one still.
            ("auth_mode", False),
            ("authType", False),
            ("OAUTH_PROVIDER", False),
            ("auth_url", False),
            ("auth_mode_token", True),
            ("auth_token", True),
            ("oauth_token", True),
            ("authModeKey", True),
            ("auth_modes", True),
            ("auth", True),
            # A password named after it, as `DB_PASS` is one.
            ("auth_mode_pass", True),
            ("authUrlPass", True),
            ("max_tokens_pass", True),
            ("access_tokens", True),
            ("authorize", True),
            # A passphrase and a passcode are passwords.
            ("ssh_passphrase", True),
            ("passcode", True),
            # `sig`, `sid` and `pwd` as a camelCase word: `userPwd` was shown, a param sent under it no secret arg.
            ("userPwd", True),
            ("loginPwd", True),
            ("apiSig", True),
            ("sigValue", True),
            ("AccountSid", True),
            ("isSigned", False),
            ("Sidebar", False),
            ("useSignal", False),
            # A count's word only where a word starts: `renew_tokens` held `new_tokens` and was shown.
            ("renew_tokens", True),
            ("renewTokens", True),
            ("max_new_tokens", False),
            ("maxNewTokens", False),
            # Words holding `key` as their letters, lower case; a count or a time of sessions: their values were hidden.
            ("monkey", False),
            ("Turkey", False),
            ("keyboard_layout", False),
            ("hotkey", False),
            ("sessions_open", False),
            ("sessionTimeout", False),
            ("active_sessions", False),
            # A key of another word's letters (`monKey`, a "mon" key), a store of keys, a session's id: secrets.
            ("monKey", True),
            ("daemonKey", True),
            ("monkey_api_key", True),
            ("keystore", True),
            ("active_session", True),
            ("sessions", True),
            ("session_count_token", True),
            # Tokens counted: the plural with a count's word after it (`tokens used`, as a quantity is labelled), a
            # number's (`num_tokens`), a rate limit's headers (OpenAI's `x-ratelimit-remaining-tokens`, Anthropic's
            # `anthropic-ratelimit-tokens-remaining`); their values were hidden.
            ("tokens_used", False),
            ("tokensUsedToday", False),
            ("tokens_remaining", False),
            ("tokens_per_second", False),
            ("num_tokens", False),
            ("x-ratelimit-remaining-tokens", False),
            ("x-ratelimit-reset-tokens", False),
            ("anthropic-ratelimit-tokens-reset", False),
            ("access_tokens_used", False),
            # A token that was used or the tokens used up (a one-time token's store), a list of tokens, and another
            # secret's word beside a count: secrets.
            ("token_used", True),
            ("used_token", True),
            ("used_tokens", True),
            ("remaining_tokens", True),
            ("tokens", True),
            ("tokens_used_for_auth", True),
            # A word after the plural that only starts like `per_...` (a store's tokens persisted, a user's personal
            # ones): no count.
            # An upper-case name's words start after a `_`, not at each capital: `ADMIN_TOKENS` (an env var of admin
            # tokens) holds no `N_TOKENS`, `RENEW_TOKENS` no `NEW_TOKENS`; `NUM_TOKENS`, `MAX_TOKENS` are counts.
            ("ADMIN_TOKENS", True),
            ("SWARM_JOIN_TOKENS", True),
            ("SESSION_TOKENS", True),
            ("RENEW_TOKENS", True),
            ("NUM_TOKENS", False),
            ("N_TOKENS", False),
            ("OPENAI_MAX_TOKENS", False),
            ("usageNumTokens", False),
            ("tokens_persisted", True),
            ("tokensPersonal", True),
            ("tokens_permanent", True),
            ("tokensPerSecond", False),
            ("TOKENS_PER_DAY", False),
            # `pass` as a name's last word after another: an .env file's or an INI's password; not alone or first (a
            # result, a bound), nor inside a word.
            ("DB_PASS", True),
            ("smtp_pass", True),
            ("smtpPass", True),
            ("redis.pass", True),
            ("pass", False),
            ("pass_if", False),
            ("bypass", False),
            ("DB_PASSED", False),
            ("Passthrough", False),
            # Not a word before another: a rate, a ratio, a header about passing through, which name no password.
            ("canary_pass_rate", False),
            ("canaryPassRate", False),
            ("min_pass_ratio", False),
            ("X-Pass-Through", False),
            ("user_pass2", True),
            # `pw` as `pwd` is: a whole word, not inside `pwm` or `spw`.
            ("pw", True),
            ("db_pw", True),
            ("userPw", True),
            ("pwHash", True),
            ("pwm_duty", False),
            ("spw", False),
            # A count of tokens is one only where its word ends the name (or a count's word follows it): a list of
            # the tokens used names the tokens themselves.
            ("tokens_used_list", True),
            ("tokensUsedIds", True),
            ("tokens_used", False),
            ("tokens_used_total", False),
            ("tokensRemaining", False),
        ],
    )
    def test_names(self, name, secret):
        assert is_secret_name(name) is secret

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # `pass` alone names a password when its value is no number or boolean, a result when it is one.
            ("connect pass=hunter22 user=bob", "connect pass=<redacted> user=bob"),
            ("connect pass=correcthorse user=bob", "connect pass=<redacted> user=bob"),
            ("{'pass': 'hunter22', 'n': 1}", "{'pass': '<redacted>', 'n': 1}"),
            ("pass=12 pass=true PASS=False pass='3' pass_if=x", "pass=12 pass=true PASS=False pass='3' pass_if=x"),
            # A count of tests passed out of those run, and no value at all, are a result's too.
            ('pass=12/12 pass=None {"pass": "3/3"}', 'pass=12/12 pass=None {"pass": "3/3"}'),
            ("tokens_used=42 tokens_used_list=tk-s3cr3t-1", "tokens_used=42 tokens_used_list=<redacted>"),
            ("pw=hunter22 pwm=50", "pw=<redacted> pwm=50"),
            # A flow mapping's (YAML, Node's util.inspect) by its value too: before, `{pass: hunter22}` was shown.
            ("{pass: hunter22, n: 1} {pass: 'hunter22'}", "{pass: <redacted>, n: 1} {pass: '<redacted>'}"),
            ("{pass: {user: bob}} {PASS2: [a]}", "{pass: <redacted>} {PASS2: <redacted>}"),
            (
                "{pass: 12, n: 1} {pass: true} {pass: '12/12'} {pass: null}",
                "{pass: 12, n: 1} {pass: true} {pass: '12/12'} {pass: null}",
            ),
            ("{passes: hunter22, pass_if: ok}", "{passes: hunter22, pass_if: ok}"),
        ],
    )
    def test_short_password_names_in_text(self, text, shown):
        assert hide_credentials(text) == shown

    def test_pass_alone_in_a_url_by_its_value(self):
        assert hide_url_secrets("http://ftp/x?pass=hunter22&pass2=7") == "http://ftp/x?pass=<redacted>&pass2=7"

    @pytest.mark.parametrize(
        ("value", "credential"),
        [
            ("Basic dXNlcjpwYXNz", True),
            ("bearer abc", True),
            ("Bearer", False),
            ("payments", False),
            ("x Basic y", False),
        ],
    )
    def test_values(self, value, credential):
        assert is_credential_value(value) is credential


class TestScrubber:
    """Every string of a nested value loses the secret values; a short one only where it stands apart."""

    def test_nested(self):
        scrub = scrubber(["tok-3f9a1c7e", "7"])
        node = {"a": ["x tok-3f9a1c7e y", {"b": "7 of 127.0.0.1"}], "n": 7}
        assert scrub(node) == {"a": ["x <redacted> y", {"b": "<redacted> of 127.0.0.1"}], "n": 7}

    def test_no_values(self):
        node = {"a": "x"}
        assert scrubber([""])(node) is node

    def test_a_value_re_encoded_in_an_echo(self):
        # A secret arg placed in a query goes out percent-encoded; a proxy's error page quotes the URL as sent.
        scrub = scrubber(['acme/s3cr3t+9f"'])
        assert (
            scrub("GET /q?query=up%7Bt%3D%22acme%2Fs3cr3t%2B9f%22%22%7D") == "GET /q?query=up%7Bt%3D%22<redacted>%22%7D"
        )


class TestCredentialForms:
    """A credential header's value, without its scheme, and a Basic one's pair and password decoded."""

    @pytest.mark.parametrize(
        ("value", "forms"),
        [
            ("Basic dXNlcjpwYTpzcw==", ["Basic dXNlcjpwYTpzcw==", "dXNlcjpwYTpzcw==", "user:pa:ss", "pa:ss"]),
            ("Bearer tok", ["Bearer tok", "tok"]),
            ("Basic not-base64!", ["Basic not-base64!", "not-base64!"]),
            ("plain", ["plain"]),
        ],
    )
    def test_forms(self, value, forms):
        assert credential_forms(value) == forms


class TestHider:
    """A value is found as written and in each encoding a server or proxy may echo it in."""

    VALUE = "Bearer a+b/c=d&e'é😀"

    @pytest.mark.parametrize(
        "echo",
        [
            VALUE,
            quote(VALUE, safe=""),
            quote(VALUE, safe="/=").replace("%2B", "%2b"),
            quote_plus(VALUE),
            json.dumps(VALUE)[1:-1],
            json.dumps(VALUE).replace("/", "\\/")[1:-1],
            json.dumps(VALUE, ensure_ascii=False)[1:-1],
            html.escape(VALUE),
            html.escape(VALUE).replace("&#x27;", "&#39;"),
        ],
    )
    def test_encodings(self, echo):
        assert Hider([self.VALUE]).hide(f"<{echo}>") == "<<redacted>>"

    def test_words_only_where_they_stand_apart(self):
        hider = Hider([], ["prod"])
        assert hider.hide("org prod: production, reprod") == "org <redacted>: production, reprod"

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # Punctuation after a word ends it: a sentence's full stop, a comma, a closing quote or bracket.
            ("token abc1.", "token <redacted>."),
            ("token abc1. Next", "token <redacted>. Next"),
            ("abc1, abc1; (abc1) 'abc1' \"abc1\"", "<redacted>, <redacted>; (<redacted>) '<redacted>' \"<redacted>\""),
            ("token abc1", "token <redacted>"),
            ("-abc1- .abc1", "-<redacted>- .<redacted>"),
            # A '.' or '-' between word characters joins them into one word: a host, a version, a name.
            ("abc1.example abc1.5 abc1-x x.abc1 x-abc1 abc1_x", "abc1.example abc1.5 abc1-x x.abc1 x-abc1 abc1_x"),
        ],
    )
    def test_a_word_ends_at_punctuation(self, text, shown):
        assert Hider([], ["abc1"]).hide(text) == shown

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # A file's extension after a short value ends its word: a target naming a file after it showed it.
            ("GET /login/abc1.json 404", "GET /login/<redacted>.json 404"),
            ("abc1.tar.gz abc1.html. abc1.v2", "<redacted>.tar.gz <redacted>.html. <redacted>.v2"),
            # The price: a host label before a short top-level domain goes too.
            ("abc1.com", "<redacted>.com"),
            # What is no extension still joins: a longer suffix, a number, a suffix joined to more.
            (
                "abc1.example abc1.5 abc1.json-x abc1.ns.svc.cluster.local",
                "abc1.example abc1.5 abc1.json-x abc1.ns.svc.cluster.local",
            ),
        ],
    )
    def test_a_word_ends_before_a_file_extension(self, text, shown):
        assert Hider([], ["abc1"]).hide(text) == shown

    def test_a_word_ends_at_punctuation_in_a_re_encoded_echo(self):
        assert Hider([], ["a/b1"]).hide("got a%2Fb1. xa%2Fb1 a%2Fb1.x") == "got <redacted>. xa%2Fb1 a%2Fb1.x"

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ('up{t="s3cr3t-value-1...", j="a"}', 'up{t="<redacted>", j="a"}'),
            ("cut at s3cr...", "cut at <redacted>"),
            # Three characters tell nothing; nor does a short value's start inside another word.
            ("cut at s3c...", "cut at s3c..."),
            ("xabcde...", "xabcde..."),
            ("abcde...", "<redacted>"),
            # The whole of a value before the mark: a short one is no less a secret for the clip that follows it.
            ("cut at abcdefg...", "cut at <redacted>"),
            ("cut at s3cr3t-value-123...", "cut at <redacted>"),
        ],
    )
    def test_the_start_a_clip_left_of_a_value(self, text, shown):
        assert Hider(["s3cr3t-value-123"], ["abcdefg"]).hide(text) == shown

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # An echoed request line, percent-encoded, cut by a clip: in the value, or inside one of its escapes.
            ("GET /q?t=s3cr3t%2Fval...", "GET /q?t=<redacted>"),
            ("GET /q?t=s3cr3t%2...", "GET /q?t=<redacted>"),
            ("GET /q?t=s3cr3t%...", "GET /q?t=<redacted>"),
            ("GET /q?t=s3cr3t+val...", "GET /q?t=s3cr3t+val..."),
            ('{"t": "s3cr3t\\/val..."}', '{"t": "<redacted>"}'),
            ("t=s3cr3t&#x2F;v...", "t=<redacted>"),
        ],
    )
    def test_the_start_a_clip_left_of_a_re_encoded_value(self, text, shown):
        assert Hider(["s3cr3t/value-123"]).hide(text) == shown

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            # A value holding another encoding's escape as text, echoed in one encoding: HTML leaves `\\t` and `%41`
            # as they are, JSON leaves `&amp;` and `%41`, a URL encoder `&amp;`.
            ("CORP\\tsm1th<x>", "CORP\\tsm1th&lt;x&gt;"),
            ("pa%41ss&word", "pa%41ss&amp;word"),
            ('pa%41ss"word', 'pa%41ss\\"word'),
            ("a&amp;b c\\n", "a&amp;b+c\\n"),
        ],
    )
    def test_a_value_holding_an_escape_echoed_in_another_encoding(self, value, text):
        assert Hider([value]).hide(f"<{text}>") == "<<redacted>>"

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            # The start a clip left ends with a character of the value that also starts an escape.
            ('p"q\\r/s<t>', 'got p"q\\...'),
            ("abc%defgh1234", "got abc%..."),
            ("abc&defgh1234", "got abc&..."),
            # A clip cut a percent-encoded character between its bytes: the four characters before it go.
            ("sécrèt99-value", "got s%C3%A9cr%C3..."),
            ("sécrèt99-value", "got s%C3%A9cr%C3%A..."),
            ("s3cr😀t-value", "got s3cr%F0%9F%98..."),
        ],
    )
    def test_the_start_a_clip_left_ending_where_an_escape_could_start(self, value, text):
        assert Hider([value]).hide(text) == "got <redacted>"

    def test_the_clip_mark_is_kept_when_asked(self):
        hider = Hider(["s3cr3t-value-123"], keep_clip_mark=True)
        assert hider.hide("cut at s3cr3t-va... (7 more characters)") == "cut at <redacted>... (7 more characters)"

    def test_a_value_no_encoder_need_escape_is_found_escaped_all_the_same(self):
        # An encoder escaping every character (`%61` for `a`) re-encodes a value of letters and digits too.
        assert Hider(["abcd1234"]).hide("k=%61bcd%31234 k=%41bcd1234") == "k=<redacted> k=%41bcd1234"

    @pytest.mark.parametrize(
        "text",
        [
            "k=\\u0061\\u0062\\u0063\\u0064\\u0031\\u0032\\u0033\\u0034",
            "k=&#97;&#98;&#99;&#100;&#49;&#50;&#51;&#52;",
            "k=&#x61;bcd1234",
        ],
    )
    def test_a_value_no_encoder_need_escape_is_found_in_json_and_html_escapes(self, text):
        # Written wholly as `\u` escapes (a JSON encoder escaping every character) it was not even looked for: only
        # a '%' in the text had it decoded.
        assert Hider(["abcd1234"]).hide(text) == "k=<redacted>"

    def test_overlapping_values_go_as_one(self):
        assert Hider(["AAAABBBB", "BBBBCCCC"]).hide("got AAAABBBBCCCC.") == "got <redacted>."


class TestParserErrorForLog:
    """A parser's quote of a client's line keeps what is no credential, and drops its caret line."""

    @pytest.mark.parametrize(
        ("message", "logged"),
        [
            (
                "Invalid character in Content-Length:\n\n  b'Content-Length: abc'\n                    ^",
                "Invalid character in Content-Length:\n\n  b'Content-Length: abc'\n",
            ),
            (
                "Invalid header value char:\n\n  b'X-Api-Key: k\\x00'\n   ^",
                "Invalid header value char:\n\n  b'X-Api-Key: <redacted>'\n",
            ),
            ('Bad header: b"Referer: http://a/b?token=x\'y z"', 'Bad header: b"Referer: http://a/b?<redacted> z"'),
            ("Invalid chunk size: b'zz'", "Invalid chunk size: b'zz'"),
        ],
    )
    def test_messages(self, message, logged):
        assert parser_error_for_log(message) == logged


class TestHideCredentials:
    """A credential that says what it is is hidden in an exception's text, and code that merely names one is not."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("to http://svc:pw-9@prom:9090/q", "to http://<redacted>@prom:9090/q"),
            ("sent Bearer eyJ.abc-d_e== to", "sent Bearer <redacted> to"),
            ("basic dXNlcjpw", "basic <redacted>"),
            # An env entry under a secret name, as a crash quotes a pod's spec (JSON, a repr, YAML); `pass` alone's by
            # its value; another's shown.
            ('{"name":"PASSWORD","value":"hunter2"}', '{"name":"PASSWORD","value":"<redacted>"}'),
            ("V1EnvVar(name='DB_PASSWORD', value='hunter2')", "V1EnvVar(name='DB_PASSWORD', value='<redacted>')"),
            (
                "{'name': 'API_KEY', 'value': 'k3y', 'value_from': None}",
                "{'name': 'API_KEY', 'value': '<redacted>', 'value_from': None}",
            ),
            ("env:\n- name: PASSWORD\n  value: hunter2\n", "env:\n- name: PASSWORD\n  value: <redacted>\n"),
            (
                "[{name: pass, value: x9}, {name: pass, value: 3}]",
                "[{name: pass, value: <redacted>}, {name: pass, value: 3}]",
            ),
            ('{"name":"HOST","value":"db"}', '{"name":"HOST","value":"db"}'),
            ("{'X-Api-Key': 'k\\'3y', 'Accept': 'json'}", "{'X-Api-Key': '<redacted>', 'Accept': 'json'}"),
            ('{"password": "p"}', '{"password": "<redacted>"}'),
            ("line\nCookie: session=9e8d\nX-Scope-OrgID: t1", "line\nCookie: <redacted>\nX-Scope-OrgID: t1"),
            # A traceback's source lines: code, no credential.
            (
                '    headers = {"Authorization": f"Bearer {token}"}',
                '    headers = {"Authorization": f"Bearer {token}"}',
            ),
            ("    token: str = path.read_text()", "    token: str = path.read_text()"),
            # A traceback's last line names the exception as a header line names its field.
            ("KeyError: 'status'\nTokenError: expired", "KeyError: 'status'\nTokenError: expired"),
            ("see //host/path@v2 and a bearer.", "see //host/path@v2 and a bearer."),
            # A password holding an '@' as written: the user info ends at the authority's last '@', as a URL
            # parser reads it.
            # (A user's name alone is shown: `//a@b`.)
            ("to http://svc:p@ss-9f8e7d@app/q and //a:b@c", "to http://<redacted>@app/q and //<redacted>@c"),
            # Headers as bytes, and as (name, value) pairs (raw headers, a list of tuples).
            ("{b'x-api-key': b'k3y-9f8e7d'}", "{b'x-api-key': b'<redacted>'}"),
            (
                "((b'X-Api-Key', b'k3y-9f8e7d'), (b'Accept', b'json'))",
                "((b'X-Api-Key', b'<redacted>'), (b'Accept', b'json'))",
            ),
            ("[('x-api-key', \"k'3y\")]", "[('x-api-key', \"<redacted>\")]"),
            # A list that merely names a secret beside another word: no pair.
            ("['token', 'abc', 'password']", "['token', 'abc', 'password']"),
            # Every scheme `is_credential_value` knows, under a header name that says nothing.
            ("{'X-Custom': 'ApiKey k3y-secret-value'}", "{'X-Custom': 'ApiKey <redacted>'}"),
            ("failed (Authorization: Token abc123def456)", "failed (Authorization: Token <redacted>)"),
            ("X-Custom: Token abc123def456\nAccept: json", "X-Custom: Token <redacted>\nAccept: json"),
            (
                'sent Digest username="bob", realm="r", response="6629fae4" to',
                "sent Digest <redacted> to",
            ),
            # A password holding a `?` (its start showed), and a query after a host whose `@` is a mail address's.
            ("to http://svc:pa?ss-9f8e@prom:9090/q", "to http://<redacted>@prom:9090/q"),
            ("see //host?email=ops@example.com", "see //host?email=ops@example.com"),
            # A call's argument before a pair: no list of pairs (`print(foo, ("password", "x"))`); in one, a pair.
            ('print(foo, ("password", "x"))', 'print(foo, ("password", "x"))'),
            ('[("a", "b"), ("password", "x")]', '[("a", "b"), ("password", "<redacted>")]'),
            # A user's name alone is no secret (git's); a token sent as the user is.
            ("clone ssh://git@host/r.git", "clone ssh://git@host/r.git"),
            ("clone https://ghp_0a1b2c3d4e5f6a7b8c9d@github.com/r", "clone https://<redacted>@github.com/r"),
            # Not as a login is written: four digits or more, a capital, over 20 characters.
            ("clone https://a1b2c3d4@host/r", "clone https://<redacted>@host/r"),
            ("see //ABCdef@host/x", "see //<redacted>@host/x"),
            ("see //abcdefghijklmnopqrstu@host/x", "see //<redacted>@host/x"),
            # A DSN without `//`, and credentials known by their shape, in an exception's text.
            ("ORA-01017 for scott/t1ger-pw@db:1521/orcl", "ORA-01017 for scott/<redacted>@db:1521/orcl"),
            ("token eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. expired", "token <redacted> expired"),
            # A shape under no name nor scheme.
            ("denied for AKIAIOSFODNN7EXAMPLE on s3", "denied for <redacted> on s3"),
            # `name=value` pairs under a secret name: libpq's DSN, JDBC's, a JAAS line's, a repr's; others shown.
            (
                "host=db password=s3cr3t-1 user=app; jdbc:sqlserver://db;user=sa;password=s3cr3t-2;encrypt=true",
                "host=db password=<redacted> user=app; jdbc:sqlserver://db;user=sa;password=<redacted>;encrypt=true",
            ),
            (
                'PlainLoginModule required username="bob" password="s3 cr3t"; <Client token=\'s3cr3t-3\' n=1>',
                'PlainLoginModule required username="bob" password="<redacted>"; <Client token=\'<redacted>\' n=1>',
            ),
            # A JAAS line in a JSON string (Kafka Connect's `sasl.jaas.config`): its quotes escaped, the value inside.
            (
                '{"sasl.jaas.config": "PlainLoginModule required username=\\"bob\\" password=\\"s3 cr3t\\";"}',
                '{"sasl.jaas.config": "PlainLoginModule required username=\\"bob\\" password=\\"<redacted>\\";"}',
            ),
            # A pair's value hidden already, percent-quoted: left as it is.
            ("forbidden: jwt=%22<redacted>%22", "forbidden: jwt=%22<redacted>%22"),
            # A quoted secret name's object (Spring Boot's /env): whole.
            (
                '{"spring.datasource.password": {"value": "s3cr3t-4"}, "server.port": {"value": 8080}}',
                '{"spring.datasource.password": <redacted>, "server.port": {"value": 8080}}',
            ),
            # A value ending in a backslash, no quote after it on its line: to the line's last quote.
            ("{'password': 'C:\\'}\nnext", "{'password': '<redacted>'}\nnext"),
            # Another name's value no quote closes (a quote cut inside a JSON string of escaped lines): as it is.
            ('{"manifest": "a\\nb\\n', '{"manifest": "a\\nb\\n'),
            # A secret's value no quote closes before the text's end (a quote cut it), as the body reader reads one.
            ('{"password": "s3cr3t', '{"password": "<redacted>'),
            ("{'X-Api-Key': 's3cr3t", "{'X-Api-Key': '<redacted>"),
            ("[('password', 's3cr3t", "[('password', '<redacted>"),
            ("Settings(host='db', password=\"s3cr3t", "Settings(host='db', password=\"<redacted>"),
            ("{'password': '", "{'password': '"),
            # A Python repr's values: bytes, a quote escaped in one holding both, an object's repr (nested in
            # another's too), a dataclass's and a pydantic model's `name='...'`.
            (
                "Settings(host='db', password=b's3cr3t', port=5432)",
                "Settings(host='db', password=b'<redacted>', port=5432)",
            ),
            (
                "D(password='it\\'s \"s3cr3t\"', token=b'a\\'b\"s3cr3t', user='bob')",
                "D(password='<redacted>', token=b'<redacted>', user='bob')",
            ),
            ("DB(password=Wrapped('s3cr3t'), user='bob')", "DB(password=<redacted>, user='bob')"),
            ("Config(db=DB(password='s3cr3t'), n=1)", "Config(db=DB(password='<redacted>'), n=1)"),
            # Another name's object is shown.
            ("Config(db=DB(host='db'), n=1)", "Config(db=DB(host='db'), n=1)"),
            # A validation error as pydantic's `errors()` repr and FastAPI's 422 write one, its `loc` naming a secret's
            # field: its input is hidden; another field's is shown.
            (
                "ValueError: [{'type': 'string_too_short', 'loc': ('password',), 'msg': 'String should have at least"
                " 12 characters', 'input': 's3cr3t-r', 'ctx': {'min_length': 12}}, {'type': 'x', 'loc': ('user',),"
                " 'msg': 'm', 'input': 'bob'}]",
                "ValueError: [{'type': 'string_too_short', 'loc': ('password',), 'msg': 'String should have at least"
                " 12 characters', 'input': '<redacted>', 'ctx': {'min_length': 12}}, {'type': 'x', 'loc': ('user',),"
                " 'msg': 'm', 'input': 'bob'}]",
            ),
            (
                'upstream 422: {"detail":[{"type":"int_parsing","loc":["body","creds","api_key"],"msg":"say \\"x\\"",'
                '"input":"s3cr3t-f"},{"loc":["query","pin_code"],"input":1234}]}',
                'upstream 422: {"detail":[{"type":"int_parsing","loc":["body","creds","api_key"],"msg":"say \\"x\\"",'
                '"input":"<redacted>"},{"loc":["query","pin_code"],"input":1234}]}',
            ),
            # Its input cut by the text's end.
            ("[{'loc': ('body', 'token'), 'input': 's3cr3t", "[{'loc': ('body', 'token'), 'input': '<redacted>"),
            # Its `msg` of more than 1,024 characters (a validator's long message), its input cut by the text's end.
            (
                "[{'loc': ('password',), 'msg': '" + "m" * 1100 + "', 'input': 's3cr3t-c",
                "[{'loc': ('password',), 'msg': '" + "m" * 1100 + "', 'input': '<redacted>",
            ),
            # Its `msg` of more than 1,024 characters (a validator's long message), its input before its `loc`, a
            # mapping inside it before its input.
            (
                "[{'loc': ('password',), 'msg': '" + "m" * 1100 + "', 'input': 's3cr3t-m'}, {'input': 's3cr3t-n', "
                "'ctx': {'a': 1}, 'loc': ('body', 'api_key')}, {'loc': ('user',), 'input': 'bob'}]",
                "[{'loc': ('password',), 'msg': '" + "m" * 1100 + "', 'input': '<redacted>'}, {'input': '<redacted>', "
                "'ctx': {'a': 1}, 'loc': ('body', 'api_key')}, {'loc': ('user',), 'input': 'bob'}]",
            ),
            # A pydantic validation error's input under a secret field (its location on the line above); another
            # field's is shown.
            (
                "2 validation errors for Login\nuser\n  String should have at least 5 characters [type=string_too_short"
                ", input_value='bob', input_type=str]\nbody.api_key\n  Input should be a valid integer, unable to"
                " parse string as an integer [type=int_parsing, input_value='s3cr3t, input_type=x', input_type=str]\n"
                "password\n  String should have at least 12 characters [type=string_too_short, input_value='s3cr",
                "2 validation errors for Login\nuser\n  String should have at least 5 characters [type=string_too_short"
                ", input_value='bob', input_type=str]\nbody.api_key\n  Input should be a valid integer, unable to"
                " parse string as an integer [type=int_parsing, input_value='<redacted>', input_type=str]\n"
                "password\n  String should have at least 12 characters [type=string_too_short, input_value=<redacted>",
            ),
            # Small letters alone: a credential from 20 of them, or with a `.` between them.
            (
                "sent Bearer abcdefghijklmnopqrstuvwxyz to; Token abc.def.ghi",
                "sent Bearer <redacted> to; Token <redacted>",
            ),
            # A short credential of small letters alone is one still (in a logged curl command, as a parameter's
            # value): only a message's words after a scheme are none.
            (
                'curl -H "Authorization: Bearer qwertyuiopasdf" h; Authorization=Bearer qwertyuiopasdf; ApiKey abcdefg',
                'curl -H "Authorization: Bearer <redacted>" h; Authorization=<redacted> <redacted>; ApiKey <redacted>',
            ),
            # A scheme's name before a message's word of small letters: no credential.
            (
                "OAUTH token refreshed; Bearer token expired; requires Basic authentication.",
                "OAUTH token refreshed; Bearer token expired; requires Basic authentication.",
            ),
            # A flow mapping's entry under a secret's bare name, as YAML and Node's util.inspect write one: its value
            # quoted (inside its quotes) or plain (to the next `,` or bracket), an object or a list whole; another
            # name's shown.
            (
                "bad config {password: 'x'} {token: abc} {user: bob, api_key: \"k3y, 9\", n: 3} {a: [{token: 1}]}",
                "bad config {password: '<redacted>'} {token: <redacted>} {user: bob, api_key: \"<redacted>\", n: 3}"
                " {a: [{token: <redacted>}]}",
            ),
            (
                "Error: login failed {\n  user: 'bob',\n  password: 'it\\'s s3cr3t',\n  auth: { kind: 'basic' }\n}",
                "Error: login failed {\n  user: 'bob',\n  password: '<redacted>',\n  auth: <redacted>\n}",
            ),
            # A quoted value's brackets and commas are its text; a format spec's `:` (no space after it) is no entry's.
            (
                "{note: 'a}, b', password: s3cr3t} print(f\"{token:>8}\")",
                "{note: 'a}, b', password: <redacted>} print(f\"{token:>8}\")",
            ),
            # Cut by the text's end, inside its quotes or not.
            ("{ user: 'bob', session: 's3cr3t", "{ user: 'bob', session: '<redacted>"),
            # A list under a secret name as Java's Map.toString writes one (`{X-Api-Key=[...]}`), inside its brackets;
            # another name's list is read.
            (
                "{X-Api-Key=[k3y-abc def], Authorization=[Bearer abc.def-ghi], Accept=[*/*], a=[token=x]}",
                "{X-Api-Key=[<redacted>], Authorization=[<redacted>], Accept=[*/*], a=[token=<redacted>]}",
            ),
            # Go's `%+v` and `%#v` of a struct: an exported field under a secret name, its value to the next space or
            # brace, or inside its quotes.
            (
                "panic: connect: &{Host:db Creds:{User:app Password:s3cr3t-g1} Port:5432}\n"
                'config: main.Config{Host:"db", APIKey:"s3cr3t \\"g2", Port:5432}',
                "panic: connect: &{Host:db Creds:{User:app Password:<redacted>} Port:5432}\n"
                'config: main.Config{Host:"db", APIKey:"<redacted>", Port:5432}',
            ),
            ("{ user: 'bob', session: s3cr3t", "{ user: 'bob', session: <redacted>"),
            # An object under a secret name holding a single-quoted `}` (Node's util.inspect quotes so): its end is
            # past that string, and the entries after it are read.
            (
                "{ session: { match: '[^}]+' }, password: 's3cr3t' }",
                "{ session: <redacted>, password: '<redacted>' }",
            ),
            # An empty value holds nothing to hide; a path's `::` after a field's name is no Go field (Rust's, C++'s).
            (
                "{token: , user: bob} at TokenStore::get (src/lib.rs:3)",
                "{token: , user: bob} at TokenStore::get (src/lib.rs:3)",
            ),
            # Under a quoted secret name, a value no quote holds: a Python dict's number (a YAML password read as an
            # int, a repr in pydantic's `input_value={...}`), an object's repr, a JSON number; a none or a boolean,
            # which says what went wrong, shown.
            (
                "bad config {'user': 'bob', 'password': 123456, 'port': 5432} {'api_key': UUID('3f2a9c1e-1b2c')} "
                '{"pin_password": 987654, "n": 1} {\'token\': None, "session": false, \'key\': Nonesuch}'
                " {'api_key': ('k3y-1', 'k3y-2')}",
                "bad config {'user': 'bob', 'password': <redacted>, 'port': 5432} {'api_key': <redacted>} "
                '{"pin_password": <redacted>, "n": 1} {\'token\': None, "session": false, \'key\': <redacted>}'
                " {'api_key': <redacted>}",
            ),
        ],
    )
    def test_text(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # Go's `%v` of a map: an entry under a secret name, a slice whole, a map in a map.
            (
                "opts map[password:s3cr3t-m user:bob] hdr map[token:[s3cr3t-t]] cfg map[db:map[password:s3cr3t-n]]",
                "opts map[password:<redacted>] hdr map[token:<redacted>] cfg map[db:map[password:<redacted>]]",
            ),
            # A string literal's prefixes in a repr or a source line: raw bytes, raw, unicode.
            (
                "{'password': rb\"s3cr3t-1\"} {'token': br's3cr3t-2'} {'api_key': u's3cr3t-3'} "
                "{'session': b's3cr3t-4'}",
                "{'password': rb\"<redacted>\"} {'token': br'<redacted>'} {'api_key': u'<redacted>'} "
                "{'session': b'<redacted>'}",
            ),
            (
                "Settings(password=rb's3cr3t', token=u\"s3cr3t\")",
                "Settings(password=rb'<redacted>', token=u\"<redacted>\")",
            ),
            # A Java Map.toString list over 512 characters under a secret name.
            ("{X-Api-Key=[" + "k" * 600 + "], Accept=[*/*]}", "{X-Api-Key=[<redacted>], Accept=[*/*]}"),
            # Go's `%+v`: a passphrase holding spaces (or what looks like the next field), to the struct's end.
            (
                "&{Password:correct horse battery staple Port:5432} &{User:app Token:a b c}",
                "&{Password:<redacted>} &{User:app Token:<redacted>}",
            ),
            # A bare value's comma and quote are its text (`%+v` writes a string as it is).
            ('&{APIKey:s3cr3t,"2 Port:1}', "&{APIKey:<redacted>}"),
            # A repr holding a bracket is no object's repr read whole: the mapping in it is read.
            ("{a: f({password: s3cr3t-6})}", "{a: f({password: <redacted>})}"),
            # A passphrase's word ending in a small letter's `:` is its text (an exported field's name is capitalised).
            ("&{Password:correct horse: battery Port:5432}", "&{Password:<redacted>}"),
            # Go's `%v` of a map writes a string as it is: a value holding spaces (or a ` key:`) runs to the `]`.
            (
                "map[password:correct horse s3cr3t user:bob] hdr map[authorization:Bearer s3cr3t-b]",
                "map[password:<redacted>] hdr map[authorization:<redacted>]",
            ),
            # An unexported field (`%+v` writes every field, its name in small letters), after an exported one's run
            # too; a sentence's `name:value` outside a struct's braces is evidence, shown.
            (
                "cfg {host:db password:s3cr3t-u port:5432} &{Host:db token:s3cr3t-w Port:1} {x} secret:ns/tls gone",
                "cfg {host:db password:<redacted>} &{Host:db token:<redacted>} {x} secret:ns/tls gone",
            ),
            # With no `}` after it on its line (a text cut inside the struct): to the line's end.
            ("&{Password:s3cr3t rest of line\nnext", "&{Password:<redacted>\nnext"),
            # An object's repr with a comma inside its quotes: whole; another name's arguments are read as entries.
            (
                "{'password': Password('s3cr3t, 2')} {a: f(x, password: s3cr3t-5)}",
                "{'password': <redacted>} {a: f(x, password: <redacted>}",
            ),
            # A validation error quoted from mid-mapping (no `{` before it), its `msg` over 1,024 characters.
            (
                "'loc': ('body', 'password'), 'msg': '" + "m" * 1100 + "', 'input': 's3cr3t-v'}",
                "'loc': ('body', 'password'), 'msg': '" + "m" * 1100 + "', 'input': '<redacted>'}",
            ),
        ],
    )
    def test_go_values_prefixes_long_lists_and_calls(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # A passphrase holding what looks like the next field (`%+v` writes a string as it is): to the `}`.
            (
                "&{Host:db Password:correct horse Battery:staple Port:5432}",
                "&{Host:db Password:<redacted>}",
            ),
            # A map's value holding a ` key:`: to the `]`.
            (
                "map[api_key:abc ab:cd-s3cr3t] map[password:s3 key:cr3t user:bob]",
                "map[api_key:<redacted>] map[password:<redacted>]",
            ),
            # An unexported field of a struct a clip cut before its `}`, and one holding spaces.
            ("cfg {host:db password:s3cr3t-cut", "cfg {host:db password:<redacted>"),
            ("cfg {host:db password:s3cr3t two Words:x}", "cfg {host:db password:<redacted>}"),
            # A value holding braces (a struct's own are counted: its `}` is not the struct's).
            ("&{Host:db Password:ab{cd ef} Port:5432}", "&{Host:db Password:<redacted>}"),
            # A value a scheme's braces start (Spring's `{noop}`, LDAP's `{SSHA}`), as `%+v` and `%v` write it.
            (
                "&{Host:db Password:{SSHA}c2VjcmV0c2FsdA== Port:5432} map[pw:{noop}hunter22 user:bob]",
                "&{Host:db Password:<redacted>} map[pw:<redacted>]",
            ),
            # An unexported field's too (its braces ended the struct's part before it, the password shown).
            (
                "{host:db password:{noop}hunter22 port:1} cfg {user:app pwd:{SSHA}c2VjcmV0 retries:3",
                "{host:db password:<redacted>} cfg {user:app pwd:<redacted>",
            ),
        ],
    )
    def test_go_values_are_hidden_to_their_struct_or_maps_end(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # A one-time link's token after the segment naming it (any case): 16 characters or more, a digit and a
            # letter among them; a UUID is one.
            ("Location: /reset/abc123def456ghi789jkl?x=1", "Location: /reset/<redacted>?x=1"),
            (
                "go to https://app/Invite/3f2a9c1e-1b2c-4d5e-8f90-123456789abc or /magic-link/Zk3p9QxW2mN8rT5vZk3p9/",
                "go to https://app/Invite/<redacted> or /magic-link/<redacted>/",
            ),
            # A short id's segment between the name and the token: Django's `reset/<uidb64>/<token>/`, allauth's
            # `password/reset/key/<uid>-<key>/`, Laravel's `email/verify/<id>/<hash>`.
            (
                "/accounts/reset/MTIz/c5r1ly-9f1b2c3d4e5f6071829/ /password/reset/key/1-4bq7x2k9mz3w8r5t1y6u/"
                " /email/verify/12/9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b?x=1",
                "/accounts/reset/MTIz/<redacted>/ /password/reset/key/<redacted>/ /email/verify/12/<redacted>?x=1",
            ),
            # A token longer than any the shape names (an encrypted blob): hidden whole all the same.
            ("Location: /reset/" + "a1" * 300 + "?x=1", "Location: /reset/<redacted>?x=1"),
            # One in standard base64: past its `+` (the start before it may be shorter than a token) and its padding.
            (
                "Location: /reset/abc123def456ghi789+XYZ/ /verify/Zk3p+9QxW2mN8rT5vZk3p9== /invite/ab1+cd2ef3gh4ij5kl6",
                "Location: /reset/<redacted>/ /verify/<redacted> /invite/<redacted>",
            ),
            # A slug joined by `+` (no digit) or a short one: shown.
            ("/confirm/yes+please+send+more+news /verify/ab+1", "/confirm/yes+please+send+more+news /verify/ab+1"),
            # A word, a slug, a date, a short id, or an id under another segment's name: shown.
            (
                "/reset/password-instructions-sent /verify/2024-01-01 /invite/a1b2c3d4e5f6g7h /orders/abc123def456gh",
                "/reset/password-instructions-sent /verify/2024-01-01 /invite/a1b2c3d4e5f6g7h /orders/abc123def456gh",
            ),
        ],
    )
    def test_one_time_links_tokens_in_paths(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        "name",
        [
            "reset", "password-reset", "password_reset", "reset-password", "resetpassword", "invite", "invites",
            "invitation", "invitations", "accept-invite", "acceptinvite", "magic", "magic-link", "magic_links",
            "login-link", "signin-links", "log_in_link", "verify", "verify-email", "verifyemail", "verification",
            "confirm", "confirmation", "activate", "activation", "unsubscribe", "one-time", "onetime", "ONE_TIME",
        ],
    )  # fmt: skip
    def test_every_name_of_a_one_time_link_hides_its_token(self, name):
        # A token of 16 characters exactly, and one after a segment of 15 (the longest id between).
        text = f"/{name}/a1b2c3d4e5f6g7h8 /{name}/abcdefghijklmn1/a1b2c3d4e5f6g7h8"
        assert hide_credentials(text) == f"/{name}/<redacted> /{name}/abcdefghijklmn1/<redacted>"

    def test_a_token_without_a_letter_is_shown(self):
        # 16 digits: an order's or a user's id, no one-time link's token.
        assert hide_credentials("/verify/1234567890123456") == "/verify/1234567890123456"

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # A token sent as the user, of small letters alone: no login is five consonants in a row.
            ("https://qwrtzpsdfghjklmnb@git.example/x", "https://<redacted>@git.example/x"),
            # Percent-encoded user info, with a password or alone: no login's shape.
            ("https://us%65r:p%40ss@host/ https://d%65ploy@host/", "https://<redacted>@host/ https://<redacted>@host/"),
            # Logins as they are written, and a user shorter than 4 characters whatever its shape: shown.
            (
                "ssh://git@h //administrator@h //ec2-user@h //jenkins2@h //X7@h //ab@h",
                "ssh://git@h //administrator@h //ec2-user@h //jenkins2@h //X7@h //ab@h",
            ),
        ],
    )
    def test_a_user_alone_by_its_shape(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            # Where nothing is ambiguous no field is lost: the fields before the secret one, a `%#v`'s quoted value,
            # a struct nested in another (its `}` bounds it), an http.Header's slices, a sentence after a struct.
            'cfg main.Config{Host:"db", Password:"<redacted>", Port:5432, Battery:"x y"}',
            "cfg &{Host:db Creds:{User:app Password:<redacted>} Port:5432 Mode:Fast}",
            "cfg {host:db port:5432} secret:ns/tls gone",
            "cfg {host:db mode:{fast}x opts:{3} port:5432} secret:ns/tls gone",
            "cfg {x} secret:ns/tls not found at the end",
        ],
    )
    def test_go_fields_that_no_secret_value_may_hold_are_shown(self, text):
        assert hide_credentials(text.replace("<redacted>", "s3cr3t-g")) == text

    def test_a_go_maps_slices_bound_their_values(self):
        text = "hdr map[Authorization:[Bearer s3cr3t-g] Content-Type:[json] X-Req:[1]]"
        assert hide_credentials(text) == "hdr map[Authorization:<redacted> Content-Type:[json] X-Req:[1]]"

    def test_a_value_no_quote_closes_is_read_in_linear_time(self):
        # A JSON string of escaped lines cut before its closing quote (a Prometheus error quote is cut at 64 KiB):
        # each escape, read as an escape or as a backslash and a letter, doubled the ways its value was tried (2**n:
        # minutes for 40). The least CPU time of twice the escapes is about twice, not 256 times (a time alone, on a
        # loaded machine, would fail by chance).
        def cpu_s(escapes: int) -> float:
            text = '{"manifest": "kind: Secret' + "\\n  a: b" * escapes
            return least_cpu_s(lambda: [hide_credentials(text) for _ in range(50)])

        assert cpu_s(16) <= 8 * cpu_s(8)

    def test_a_line_of_empty_quoted_values_is_read_in_linear_time(self):
        # Each `password=""` of a line before the text's last (its quotes closing no text) was tried as a value a cut
        # ran to the text's end, to its line's end again (5 s for 128 KB). Four times the pairs take about four times
        # the CPU, not sixteen; the last line's value a cut left open is still hidden to the text's end.
        def cpu_s(pairs: int) -> float:
            text = 'password="" ' * pairs + "\n"
            return least_cpu_s(lambda: hide_credentials(text))

        assert cpu_s(2000) <= 8 * cpu_s(500)
        assert hide_credentials('password="" \npassword="s3cr3t cut') == 'password="" \npassword="<redacted>'

    def test_flow_mappings_of_pass_are_read_in_linear_time(self):
        # Each `pass`'s value is judged once (a number, a password), never again for every entry after it.
        def cpu_s(entries: int) -> float:
            text = "{" + "pass: hunter22, pass: 12, " * entries + "}"
            return least_cpu_s(lambda: hide_credentials(text))

        assert cpu_s(2000) <= 8 * cpu_s(500)


class TestUrlForMessage:
    """A URL an error quotes shows no user info and no query or fragment."""

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("http://u:pw@prom:9090/x?q=1", "http://<redacted>@prom:9090/x?<redacted>"),
            # A password holding a `?` or a `#`: read as the query's start, the user and the password's start showed.
            ("http://u:pa?ss@prom:9090/x", "http://<redacted>@prom:9090/x"),
            ("u:pa#ss@prom:9090", "<redacted>@prom:9090"),
            ("http://prom:9090?to=ops@example.com", "http://prom:9090?<redacted>"),
            ("prom:9090", "prom:9090"),
        ],
    )
    def test_shown(self, url, shown):
        assert url_for_message(url) == shown


class TestHideUrlSecrets:
    """A URL in a label value shows no user info and no parameter value under a secret name; other text is kept."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("https://u:pw@host/x?api_key=k&region=eu", "https://<redacted>@host/x?api_key=<redacted>&region=eu"),
            ("http://host/cb?page=2#access_token=t&state=s", "http://host/cb?page=2#access_token=<redacted>&state=s"),
            # A value runs to the next parameter: a `?` may be part of a query value.
            ("http://host/cart;jsessionid=j?x=1", "http://host/cart;jsessionid=<redacted>"),
            (
                "http://host/?client%5Fsecret=c&pass%77ord=p",
                "http://host/?client%5Fsecret=<redacted>&pass%77ord=<redacted>",
            ),
            # No URL's parameter, no URL's user info: a label's own words.
            ("token=abc", "token=abc"),
            ("ops@example.com", "ops@example.com"),
            ("http://host/?max_tokens=100&sig_x=", "http://host/?max_tokens=100&sig_x="),
            # A secret's value runs to the next `&`, `#` or space, as a query parser reads it: cut at a quote, a `<` or
            # a `;`, its rest showed (`def`).
            ("http://host/?token=abc'def&region=eu", "http://host/?token=<redacted>&region=eu"),
            ("http://host/?token=abc<def>", "http://host/?token=<redacted>"),
            ("http://host/?token=abc;def", "http://host/?token=<redacted>"),
            # Another name's value still ends at a `;`, where the next parameter may start.
            ("http://host/?page=2;PHPSESSID=s&x=1", "http://host/?page=2;PHPSESSID=<redacted>&x=1"),
            # A name encoded twice (`%2577` is `%77`, `w`): decoded once, `pass%77ord` was no secret's name.
            ("http://host/?pass%2577ord=p&page=2", "http://host/?pass%2577ord=<redacted>&page=2"),
            # A password holding a quote or a `#`: the user info was not read as one, and showed whole.
            ("https://u:pa'ss@host/x", "https://<redacted>@host/x"),
            ("https://u:pa#ss@host/x", "https://<redacted>@host/x"),
            ("https://host?email=ops@example.com", "https://host?email=ops@example.com"),
            # A DSN without `//`: Go's MySQL driver's, and a scheme before the user.
            ("root:pw@tcp(db:3306)/app", "root:<redacted>@tcp(db:3306)/app"),
            ("dsn=app:pw@db:5432", "dsn=app:<redacted>@db:5432"),
            ("postgres:user:pass@host", "postgres:<redacted>@host"),
            # Each word's own, to its last `@` before a host.
            ("a=u:pw@db1 b=v:p@w2@db2,c", "a=u:<redacted>@db1 b=v:<redacted>@db2,c"),
            # No user info: an image's tag before its digest, a mail address.
            ("nginx:1.25@sha256:0a1b", "nginx:1.25@sha256:0a1b"),
            ("mailto:ops@example.com", "mailto:ops@example.com"),
            # A URI whose `@` ends no password: a scheme is any case, a package URL's version, an ARN's resource, an
            # XMPP address, a SIP address without a password; SIP's `user:password@` is hidden.
            ("MAILTO:ops@example.com", "MAILTO:ops@example.com"),
            ("pkg:npm/x@1.2", "pkg:npm/x@1.2"),
            ("arn:aws:iam::123:user/x@corp", "arn:aws:iam::123:user/x@corp"),
            ("xmpp:ops@chat.example", "xmpp:ops@chat.example"),
            ("sip:a@b.example", "sip:a@b.example"),
            ("SIPS:a@b.example:5061", "SIPS:a@b.example:5061"),
            ("sip:alice:pw@pbx.example", "sip:<redacted>@pbx.example"),
            # Only those schemes: a user named like one (`pkgx`, `arn` before no `aws` partition) is a DSN's still.
            ("pkgx:pw@db", "pkgx:<redacted>@db"),
            # Those schemes' `user:password@` is no address of theirs: a password, hidden (any case).
            ("xmpp:bob:hunter2@chat.example", "xmpp:<redacted>@chat.example"),
            ("Mailto:bob:hunter2@x.example", "Mailto:<redacted>@x.example"),
            ("mailto:bob:hunter2@x.example", "mailto:<redacted>@x.example"),
            ("TEL:bob:hunter2@x.example", "TEL:<redacted>@x.example"),
            ("pkg:bob:hunter2@x.example", "pkg:<redacted>@x.example"),
            ("arn:pw@db", "arn:<redacted>@db"),
            # An scp-like git address: a user, no password.
            ("git@github.com:org/repo", "git@github.com:org/repo"),
            # A parameter saying how a caller authenticates holds no credential; one named `auth` does.
            ("http://idp/?auth_mode=sso&auth=t0k", "http://idp/?auth_mode=sso&auth=<redacted>"),
            # A URL in a parameter shown (`auth_url`, `redirect_uri`) holding a secret: its secret as the query's own;
            # percent-encoded, the value whole; a percent-encoded value holding none is shown.
            (
                "http://app/?auth_url=https://idp/cb?token=abcdefgh1234&x=1",
                "http://app/?auth_url=https://idp/cb?token=<redacted>&x=1",
            ),
            (
                "http://app/?auth_url=https%3A%2F%2Fidp%2Fcb%3Ftoken%3Dabcdefgh1234&x=1",
                "http://app/?auth_url=<redacted>&x=1",
            ),
            ("http://app/?auth_url=https%3A%2F%2Fbob%3Ahunter22%40idp%2F", "http://app/?auth_url=<redacted>"),
            ("http://app/?next=%2Fhome%3Fa%3D1%26b%3D2", "http://app/?next=%2Fhome%3Fa%3D1%26b%3D2"),
            # A name whose space is written `+`, as a form encoder writes it: `api key` is a secret's name.
            ("http://host/?api+key=k3y&x=1", "http://host/?api+key=<redacted>&x=1"),
            # A password holding a `?`: cut there, its user and the password's start showed.
            ("https://u:pa?ss@host/x", "https://<redacted>@host/x"),
            ("https://u:1234?x@host/x", "https://<redacted>@host/x"),
            # A `?` after a host starts a query whose `@` is no user info's; after a port's digits, it may be a
            # password's (`u:8080?x=y@host`): the password's reading wins, the price a mail address in a query after a
            # port.
            ("https://host?to=ops@example.com", "https://host?to=ops@example.com"),
            ("https://u:8080?x=y@host/p", "https://<redacted>@host/p"),
            ("https://host:8080?to=ops@example.com", "https://<redacted>@example.com"),
            ("https://u:p@host?to=ops@example.com", "https://<redacted>@host?to=ops@example.com"),
            # Oracle's `user/password@`: before a host and port, `//`, a connect descriptor or a TNS alias.
            ("scott/tiger@db.internal:1521/orcl", "scott/<redacted>@db.internal:1521/orcl"),
            ("dsn=scott/tiger@//db:1521/orcl", "dsn=scott/<redacted>@//db:1521/orcl"),
            ("scott/ti@ger@(DESCRIPTION=(HOST=db))", "scott/<redacted>@(DESCRIPTION=(HOST=db))"),
            ("sqlplus scott/tiger@orcl", "sqlplus scott/<redacted>@orcl"),
            # A path to a module's version or an image's double size; a path that starts with `/`.
            ("example.com/mod@v1.2.3", "example.com/mod@v1.2.3"),
            ("img/logo@2x.png", "img/logo@2x.png"),
            ("/images/logo@host", "/images/logo@host"),
            # A `?` after a password, not a port: no query, though an `=` and an `@` follow it.
            ("https://u:pa?x=y@host/", "https://<redacted>@host/"),
            # A module's version after a path of one `/`, and a workflow's path to a ref (GitHub's job_workflow_ref):
            # the password a `/` ends holds no `@`.
            ("go install tools/stringer@v0.14.0", "go install tools/stringer@v0.14.0"),
            (
                'ref="octo/app/.github/workflows/deploy.yml@refs/heads/main"',
                'ref="octo/app/.github/workflows/deploy.yml@refs/heads/main"',
            ),
            ("repo/image@sha256:0a1b", "repo/image@sha256:0a1b"),
            # An image reference in a transport's URL (skopeo's `docker://`): a tag before a digest, no user info.
            ("docker://nginx:1.25@sha256:0a1b", "docker://nginx:1.25@sha256:0a1b"),
            ("docker://u:pw-1@registry.io/nginx@sha256:0a1b", "docker://<redacted>@registry.io/nginx@sha256:0a1b"),
            # A URL in another parameter's value (a `?` may stand in a query value): its own parameters are hidden too.
            (
                "https://probe/?target=https://api/v1?api_key=k3y&module=http",
                "https://probe/?target=https://api/v1?api_key=<redacted>&module=http",
            ),
            # A secret's value holding another secret's name: hidden once, to the next `&`.
            ("http://host/?token=abc?password=def&x=1", "http://host/?token=<redacted>&x=1"),
            # A long name (up to 100 characters) is read whole.
            ("http://host/?" + "x" * 90 + "_api_key=k3y", "http://host/?" + "x" * 90 + "_api_key=<redacted>"),
            # Longer ones too (before: past 100 characters the name was no name, its secret shown).
            ("http://host/?" + "x" * 200 + "_api_key=k3y&a=1", "http://host/?" + "x" * 200 + "_api_key=<redacted>&a=1"),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_url_secrets(text) == shown

    @pytest.mark.parametrize(
        ("text", "parts"),
        [
            ("https://svc:pw-1@backend/?api_key=k3y&x=1", ["svc:pw-1", "k3y"]),
            ("dsn root:S3CR3T@tcp(db:3306)/app", ["S3CR3T"]),
            ("https://example.com/a?x=1", []),
        ],
    )
    def test_url_secrets_names_the_parts_it_hid(self, text, parts):
        # What the runner hides where a reason quotes the arg: each part, as the text holds it.
        assert url_secrets(text) == (hide_url_secrets(text), parts)


class TestUrlSecretSearches:
    """A URL's credential is searched for alone from four characters on; a shorter one with the URL it stands in,
    whole and up to the credential's end, so that a quote of it hides the credential and not every equal word."""

    @pytest.mark.parametrize(
        ("text", "searches"),
        [
            ("https://svc:pw-1@backend/?api_key=k3y9", ["svc:pw-1", "k3y9"]),
            ("root:pw@tcp(db:3306)/app", ["root:pw@tcp(db:3306)/app", "root:pw"]),
            ("https://a:b@backend/", ["https://a:b@backend/", "https://a:b"]),
            ("https://host/?token=ab&x=1", ["https://host/?token=ab&x=1", "https://host/?token=ab"]),
            # Each place the part stands: the first `pw` is the user's name.
            ("pw:pw@db", ["pw:pw@db", "pw:pw"]),
            # Up to the credential's end is four characters: searched as a credential of four would be.
            ("u:pw@tcp(db:3306)/app", ["u:pw@tcp(db:3306)/app", "u:pw"]),
            ("https://host/", []),
        ],
    )
    def test_searches(self, text, searches):
        assert url_secret_searches(text) == searches

    @pytest.mark.parametrize(
        ("quote", "shown"),
        [
            ("GET root:pw@tcp(db:3306)/app failed", "GET <redacted> failed"),
            # Rebuilt with another path, percent-encoded in another URL: the password goes all the same.
            ("dial root:pw@tcp(db:3306)/other", "dial <redacted>@tcp(db:3306)/other"),
            ("/probe?target=root%3Apw%40tcp%28db%3A3306%29%2Fapp", "/probe?target=<redacted>"),
            # The same letters elsewhere are no password's.
            ("pw is 2 pw", "pw is 2 pw"),
        ],
    )
    def test_a_short_credential_is_hidden_where_its_url_is_quoted(self, quote, shown):
        assert scrubber(url_secret_searches("root:pw@tcp(db:3306)/app"))(quote) == shown


class TestDecodedName:
    """A parameter's name is percent-decoded until no escape is left, within a bound."""

    @pytest.mark.parametrize(
        ("name", "decoded"),
        [("pass%77ord", "password"), ("pass%2577ord", "password"), ("pass%252577ord", "password"), ("100%", "100%")],
    )
    def test_decoded(self, name, decoded):
        assert decoded_name(name) == decoded

    def test_a_name_built_to_be_decoded_forever_stops_after_four_decodings(self):
        name = "pass%77ord"
        for _ in range(4):
            name = name.replace("%", "%25")
        assert decoded_name(name) == "pass%77ord"


class TestMayBeShown:
    """Only a name secret by the short words sig, sid or pwd alone may be listed as holding no secret."""

    @pytest.mark.parametrize(
        "name", ["sig_figs", "ORACLE_SID", "Sid", "PWD", "userPwd", "author_sig", "page", "first_pass"]
    )
    def test_a_short_word_alone(self, name):
        assert may_be_shown(name)

    # A camelCase `sig` or `Sid` inside a longer secret word: taking the short word out left no `signature` or
    # `sessid` to find, and the name was accepted, its values shown.
    @pytest.mark.parametrize("name", ["sigNature", "sigNATURE", "sesSid", "SesSid", "sigToken", "PwdKey", "api_key"])
    def test_another_secret_word(self, name):
        assert not may_be_shown(name)


class TestCredentialScrubber:
    """A crash's scrub hides the values given from four characters on (shorter ones, in every word, aside) and every
    credential that says what it is."""

    def test_values_from_four_characters_and_credentials(self):
        scrub = credential_scrubber(["k3y9", "abc", "longer-secret-1"])
        assert scrub("failed with k3y9 and abc at /x/longer-secret-1?q, Bearer t0k") == (
            "failed with <redacted> and abc at /x/<redacted>?q, Bearer <redacted>"
        )

    def test_every_line_of_a_traceback(self):
        # The verdict page keeps a reason's lines (a traceback reads as one): each line hidden, not the first alone.
        scrub = credential_scrubber(["s3cr3t-Pa55w0rd-xyz"])
        traceback = (
            "Traceback (most recent call last):\n"
            '  File "/app/probe.py", line 3, in probe\n'
            '    raise ValueError("login failed for s3cr3t-Pa55w0rd-xyz")\n'
            "ValueError: Authorization: Bearer eyJhbGciOi.abc.def\n"
            "  url=https://admin:hunter2hunter2@prom:9090/api?token=zzzsecretzzz"
        )
        assert scrub(traceback) == (
            "Traceback (most recent call last):\n"
            '  File "/app/probe.py", line 3, in probe\n'
            '    raise ValueError("login failed for <redacted>")\n'
            "ValueError: Authorization: Bearer <redacted>\n"
            "  url=https://<redacted>@prom:9090/api?token=<redacted>"
        )


class TestSecretShapes:
    """A credential known by its shape is hidden wherever it stands; words that only start like one are kept."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl b", "a <redacted> b"),
            # A JWE's five parts, and a JWT signed with no algorithm (its signature empty).
            ("eyJhbGciOiJSU0EifQ.eyJlbmMiOiJBIn0.a.b.c", "<redacted>"),
            ("x=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x=<redacted>"),
            # Its parts on lines of their own, a line break (or a JSON string's `\n`) before or after each `.`; the
            # next line's word after its end is not its.
            (
                "t: eyJhbGciOiJIUzI1NiJ9.\neyJzdWIiOiIxIn0.\nc2lnbmF0dXJl\nnext\n"
                '"eyJhbGciOiJIUzI1NiJ9\\n.eyJzdWIiOiIxIn0\\n.c2lnbmF0dXJl"',
                't: <redacted>\nnext\n"<redacted>"',
            ),
            # Wrapped at any point inside a part, by a log line's width or a JSON string's `\n`; a plain word on the
            # line after its end (a capital first or none) is the next line's, not its.
            (
                "t: eyJhbGci\nOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0\nNTY3ODkwIn0.dozjgNryP4J3jVmNH\n"
                "l0w5N_XgL0n3I9PlFUP0THsR8U\nRetrying in 5s\n"
                '{"t": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi\\nOiIxIn0.c2lnbmF0\\ndXJl", '
                '"n": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\\ndone"}',
                't: <redacted>\nRetrying in 5s\n{"t": "<redacted>", "n": "<redacted>\\ndone"}',
            ),
            # The text's first break inside it: hidden to its last character. A signature's start on the next line is
            # its, a word or not; a header's name (words a `-` joins) after its end is the next line's.
            ("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0\ndXJl5 y", "x <redacted> y"),
            ("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.\nSignature", "x <redacted>"),
            (
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\r\nContent-Type: text/html\nx-request-id: 7",
                "t: <redacted>\r\nContent-Type: text/html\nx-request-id: 7",
            ),
            # Its signature whole (as long as its header's alg makes it) before a break: the next line is the next
            # line's, whatever it starts with; a break inside it (a log line's width) is still its.
            (
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n200 OK\n"
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4f\nwpMeJf36POk6yJV_adQssw5c\nstatus=401",
                "t: <redacted>\n200 OK\nt: <redacted>\nstatus=401",
            ),
            # Its next line indented (a YAML block, a logger's continuation): the signature's rest is still its, and
            # an indented line after its end is the next line's.
            (
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk\n  6yJV_adQssw5c\n  next: 1\n"
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n\t200 OK\n"
                "t: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n    Retrying in 5s",
                "t: <redacted>\n  next: 1\nt: <redacted>\n\t200 OK\nt: <redacted>\n    Retrying in 5s",
            ),
            # Written by a library that pads its base64 (`=`) or signs in standard base64 (`+`, `/`).
            ("a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0=.c2lnbmF0dXJlc2ln== b", "a <redacted> b"),
            ("a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln+F0dXJl/c2lnbm b", "a <redacted> b"),
            ("AKIAIOSFODNN7EXAMPLE/ASIA" + "Y" * 16, "<redacted>/<redacted>"),
            ("session IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH", "session <redacted>"),
            (
                "ghp_0123456789abcdefghijABCDEFGHIJ012345 github_pat_11ABCDEFG0123456789_abcdefghij",
                "<redacted> <redacted>",
            ),
            (
                "xoxp-1234567890-abcdef sk_test_51abcdefghij rk_live_abcdefghij0 whsec_abcdefghij01",
                "<redacted> " * 3 + "<redacted>",
            ),
            ("key=AIzaSyA0123456789abcdefghijklmnopqrstuv", "key=<redacted>"),
            # GitLab's, npm's, Hugging Face's, OpenAI's, Anthropic's and SendGrid's tokens.
            (
                "glpat-abcdefghij0123456789 npm_abcdefghijklmnopqrstuvwxyz0123456789 "
                "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
                "<redacted> <redacted> <redacted>",
            ),
            (
                "sk-proj-abcdefghij0123456789_abc sk-ant-api03-abcdefghij0123456789 "
                "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "<redacted> <redacted> <redacted>",
            ),
            ("https://hooks.slack.com/services/T000/B000/XXXXsecret", "https://hooks.slack.com/services/<redacted>"),
            (
                "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----",
                "-----BEGIN EC PRIVATE KEY-----<redacted>-----END EC PRIVATE KEY-----",
            ),
            # PGP's private key block.
            (
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBGS\n-----END PGP PRIVATE KEY BLOCK-----",
                "-----BEGIN PGP PRIVATE KEY BLOCK-----<redacted>-----END PGP PRIVATE KEY BLOCK-----",
            ),
            # A registry's login as a Kubernetes Secret's `.dockerconfigjson` holds it: base64 JSON in one part, compact
            # or pretty-printed, whose members are a secret's (`auths`).
            (f"cfg {DOCKER_CONFIG_B64} ok", "cfg <redacted> ok"),
            (f"cfg {base64.b64encode(json.dumps(DOCKER_CONFIG, indent=2).encode()).decode()}.", "cfg <redacted>."),
            # An AWS secret access key beside its key id, in prose or a CSV row (the key id hidden too).
            (
                "keys AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for s3",
                "keys <redacted> and <redacted> for s3",
            ),
            ("bob,AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "bob,<redacted>,<redacted>\n"),
            # The secret before its key id (a CSV's columns the other way round).
            ("bob,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,AKIAIOSFODNN7EXAMPLE\n", "bob,<redacted>,<redacted>\n"),
            # A Vault token; a password's hash as htpasswd, /etc/shadow and bcrypt write it.
            ("X-Vault-Token: hvs.CAESIJmKz0123456789abcdefghij", "X-Vault-Token: <redacted>"),
            (
                "bob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/ root:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2"
                "/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/:19000 $2y$10$abcdefghijklmnopqrstuuvwxyz0123456789ABCD",
                "bob:<redacted> root:<redacted>:19000 <redacted>",
            ),
            # Mailgun's private API key; a Twilio Account SID's auth token and an API key's secret beside its SID
            # (the SIDs, identifiers, shown).
            ("MAILGUN key-0123456789abcdef0123456789abcdef ok", "MAILGUN <redacted> ok"),
            # Mailgun's newer private and sending keys: 32, 8 and 8 hex digits.
            ("api:0123456789abcdef0123456789abcdef-0a1b2c3d-4e5f6a7b@", "api:<redacted>@"),
            ("0123456789abcdef0123456789abcdef-0a1b2c3d-4e5f6a7b", "<redacted>"),
            (
                "twilio AC0123456789abcdef0123456789abcdef 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n"
                "SK0123456789abcdef0123456789abcdef,Xy7qR2mN9pL4kT1vB8cD3fG6hJ0sW5zA",
                "twilio AC0123456789abcdef0123456789abcdef <redacted>\nSK0123456789abcdef0123456789abcdef,<redacted>",
            ),
            # A secret between two ids, further than the reach from the first and within it from the second: hidden (the
            # first's stretch of text cut it, and the second's began after the first's, past its start).
            (
                "AC0123456789abcdef0123456789abcdef"
                + " " * 186
                + "9f8e7d6c5b4a39281706f5e4d3c2b1aZ "
                + "AC"
                + "f" * 32,
                "AC0123456789abcdef0123456789abcdef" + " " * 186 + "<redacted> " + "AC" + "f" * 32,
            ),
            (
                "AKIAIOSFODNN7EXAMPLE" + " " * 190 + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AKIAIOSFODNN7EXAMPL2",
                "<redacted>" + " " * 190 + "<redacted> <redacted>",
            ),
            # A secret that the reach's bound crosses, after its id or before it: hidden whole.
            (
                "AKIAIOSFODNN7EXAMPLE" + " " * 185 + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end",
                "<redacted>" + " " * 185 + "<redacted> end",
            ),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + " " * 185 + "AKIAIOSFODNN7EXAMPLE",
                "<redacted>" + " " * 185 + "<redacted>",
            ),
            (
                "AC0123456789abcdef0123456789abcdef" + " " * 190 + "9f8e7d6c5b4a39281706f5e4d3c2b1aZ end",
                "AC0123456789abcdef0123456789abcdef" + " " * 190 + "<redacted> end",
            ),
            # 32 characters beside a SID under no trace's label, or a label of no trace before it; a trace's label
            # before another word; a traceparent's shape running on into a word.
            (
                "AC0123456789abcdef0123456789abcdef trace_id=1 token 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n"
                "AC0123456789abcdef0123456789abcdef 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01ab",
                "AC0123456789abcdef0123456789abcdef trace_id=1 token <redacted>\n"
                "AC0123456789abcdef0123456789abcdef 00-<redacted>-00f067aa0ba902b7-01ab",
            ),
            (
                "AC0123456789abcdef0123456789abcdef token 9f8e7d6c5b4a39281706f5e4d3c2b1a0 for trace view",
                "AC0123456789abcdef0123456789abcdef token <redacted> for trace view",
            ),
            # A request's or a correlation's id of 32 hex digits, as a Twilio auth token is written: no standard says
            # what shape one has (a trace id's is W3C's and B3's), and Twilio's own request ids start with `RQ`.
            (
                "AC0123456789abcdef0123456789abcdef request_id=9f8e7d6c5b4a39281706f5e4d3c2b1a0\n"
                "AC0123456789abcdef0123456789abcdef X-Request-Id: 0af7651916cd43dd8448eb211c80319c "
                "correlation_id=463ac35c9f6413ad48485a3953bb6124",
                "AC0123456789abcdef0123456789abcdef request_id=<redacted>\n"
                "AC0123456789abcdef0123456789abcdef X-Request-Id: <redacted> correlation_id=<redacted>",
            ),
            # A trace's label before 32 characters that are no hex (an API key secret's mixed case): no trace's id.
            (
                "SK0123456789abcdef0123456789abcdef request_id=Xy7qR2mN9pL4kT1vB8cD3fG6hJ0sW5zA\n"
                "AC0123456789abcdef0123456789abcdef trace: 9f8e7d6c5b4a39281706f5e4d3c2b1aZ",
                "SK0123456789abcdef0123456789abcdef request_id=<redacted>\n"
                "AC0123456789abcdef0123456789abcdef trace: <redacted>",
            ),
            # A Slack webhook URL's path running into another one's host: both paths.
            (
                "hooks.slack.com/services/T000/B000/XXXXahooks.slack.com/services/T111/B111/YYYY",
                "hooks.slack.com/services/<redacted>.slack.com/services/<redacted>",
            ),
            # A key a quote cut before its END line: to the text's end.
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA...",
                "-----BEGIN OPENSSH PRIVATE KEY-----<redacted>",
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_secret_shapes(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            # Inside a longer word, too short, or no JSON payload; a public key and a certificate.
            "xAKIAIOSFODNN7EXAMPLE AKIA1234 eyJhbGci.notjson myghp_0123456789abcdefghijABCDEFGHIJ012345",
            "-----BEGIN PUBLIC KEY-----\nMFkwEw\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n",
            "skip_test_case xoxo-hugs",
            # Words that start like them: too short, or no token's prefix (`sk-SK`, `npm_config_cache`).
            "glpat-short npm_config_cache hf_hub sk-SK sk-proj-x SG.sans.serif",
            # An AWS key id's prefix in a longer word.
            "AKIA0123456789ABCDEFGHIJ",
            # Stripe's and Slack's prefixes inside a longer word.
            "task_live_0123456789abcdef unxoxb-0123456789-abcdef",
            # A JWT's look-alike inside a longer word, or with a payload that is no JSON.
            "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24tYXQtYWxs.c2ln",
            # Base64 JSON naming no secret: a pagination cursor.
            '{"next": "eyJvZmZzZXQiOjIwLCJsaW1pdCI6MTB9"}',
            # 40 characters beside an AWS key id that are a git commit's hex digits; far from any, base64 of 40.
            "AKIAIOSFODNN7EXAMPLE at 0123456789abcdef0123456789abcdef01234567 wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"[
                20:
            ],
            # A price in dollars, Vault's word alone.
            "costs $1$ or $6 hvs.short",
            # Mailgun's public key and a key too short; a Twilio SID alone, and 32 characters far from any SID or of
            # letters alone beside one.
            "pubkey-0123456789abcdef0123456789abcdef key-0123456789abcdef",
            "AC0123456789abcdef0123456789abcdef sent; "
            "SK0123456789abcdef0123456789abcdef abcdefghijklmnopqrstuvwxyzabcdef",
            "trace 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            # Hex digits running on after Mailgun's 32, and 32 characters out of a SID's reach.
            "key-0123456789abcdef0123456789abcdef0",
            "AC0123456789abcdef0123456789abcdef" + " " * 201 + "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            # A trace's id of 32 hex digits beside a SID: labelled as one, or in a traceparent.
            "AC0123456789abcdef0123456789abcdef sent; trace 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            'AC0123456789abcdef0123456789abcdef {"traceId": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", '
            '"trace_id":"0af7651916cd43dd8448eb211c80319c"} X-B3-TraceId: 463ac35c9f6413ad48485a3953bb6124 '
            "X-Cloud-Trace-Context: 105445aa7843bc8bf206b12000100000/1;o=1",
            "AC0123456789abcdef0123456789abcdef RQ9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "AC0123456789abcdef0123456789abcdef 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            # A UUID; 32, 8 and 8 hex digits inside a longer id.
            "123e4567-e89b-12d3-a456-426614174000 0123456789abcdef0123456789abcdef-0a1b2c3d-4e5f6a7b-9c8d",
        ],
    )
    def test_shown(self, text):
        assert hide_secret_shapes(text) == text

    def test_a_wrapped_jwt_whose_header_nests_past_the_parser_is_hidden(self):
        # Its alg unread (the JSON parser gives up), a hostile answer's made-up header costs no crash.
        header = base64.urlsafe_b64encode(b'{"a":' + b"[" * 100_000).decode().rstrip("=")
        text = f"x {header[:50]}\n{header[50:]}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\nnext"
        assert hide_credentials(text) == "x <redacted>\nnext"

    @pytest.mark.parametrize("rest", ["abcdefghijklm", "Abcdefghijklm\n"])
    def test_a_wrapped_signatures_last_line_of_letters_is_hidden_when_it_completes_the_alg_length(self, rest):
        # An HS256 signature (43 characters) printed as 30 and 13: its last line of letters read as the next line's
        # word (`Done`) and was shown, the rest of the signature.
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        signature = "SflKxwRJSMeKKF2QT4fwpMeJf36POk"
        text = f"token {header}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.{signature}\n{rest}"
        assert hide_credentials(text) == "token <redacted>" + rest[len(rest.rstrip("\n")) :]
        # Whole before the break, or longer than its alg's, the word after it is the next line's.
        for whole in ("6yJVadQssw5cA", "6yJVadQssw5cAxy"):
            assert hide_credentials(f"{header}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.{signature}{whole}\nDone") == (
                "<redacted>\nDone"
            )


class TestKubernetesSecrets:
    """Every value of a Kubernetes Secret's `data` and `stringData` is hidden, whatever its key; another kind's
    data is shown."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (
                "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n"
                f"  .dockerconfigjson: {DOCKER_CONFIG_B64}\n  username: YWRtaW4=\n  tls.crt: LS0tLS1CRUdJTg==\n"
                "stringData:\n  config.ini: |\n    [db]\n    conn = s3cr3t\n  plain: s3cr3t-p\nmetadata:\n  name: x\n",
                "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n"
                "  .dockerconfigjson: <redacted>\n  username: <redacted>\n  tls.crt: <redacted>\n"
                "stringData:\n  config.ini: |\n    <redacted>\n    <redacted>\n  plain: <redacted>\n"
                "metadata:\n  name: x\n",
            ),
            # kubectl's JSON, `kind` after `data`; a flow mapping in YAML; a list's item.
            (
                '{"apiVersion": "v1", "data": {"username": "YWRtaW4=", "config": "czNjcjN0"}, "kind": "Secret"}',
                '{"apiVersion": "v1", "data": {<redacted>}, "kind": "Secret"}',
            ),
            ("items:\n- kind: Secret\n  data: {username: YWRtaW4=}\n", "items:\n- kind: Secret\n  data: <redacted>\n"),
            # A comment after `data:` (no value on its line: the lines under it are its values).
            (
                "kind: Secret\ndata: # base64\n  config: czNjcjN0\n",
                "kind: Secret\ndata: # base64\n  config: <redacted>\n",
            ),
            # A flow mapping over several lines; a comment at the line's start inside `data` (it ends no mapping).
            (
                "kind: Secret\ndata: {\n  username: YWRtaW4=,\n  config: czNjcjN0\n}\nmetadata:\n  name: x\n",
                "kind: Secret\ndata: <redacted>\nmetadata:\n  name: x\n",
            ),
            (
                "kind: Secret\ndata:\n# the database's\n  config: czNjcjN0\nmetadata:\n  name: x\n",
                "kind: Secret\ndata:\n# the database's\n  config: <redacted>\nmetadata:\n  name: x\n",
            ),
            # The last-applied configuration, JSON in a JSON string.
            (
                '{"kubectl.kubernetes.io/last-applied-configuration": "{\\"kind\\":\\"Secret\\",'
                '\\"stringData\\":{\\"config\\":\\"s3cr3t\\"}}"}',
                '{"kubectl.kubernetes.io/last-applied-configuration": "{\\"kind\\":\\"Secret\\",'
                '\\"stringData\\":{<redacted>}}"}',
            ),
            # A YAML Secret in a JSON string, its lines joined by escaped newlines (a manifest an API echoes).
            (
                '{"manifest": "apiVersion: v1\\nkind: Secret\\ndata:\\n  dburl: cG9zdGdyZXM6Ly91OnBAaA==\\n'
                '  user: \\"YWRtaW4=\\"\\nmetadata:\\n  name: db\\n"}',
                '{"manifest": "apiVersion: v1\\nkind: Secret\\ndata:\\n  dburl: <redacted>\\n'
                '  user: <redacted>\\nmetadata:\\n  name: db\\n"}',
            ),
            # A JSON Secret in a YAML block scalar.
            (
                'manifest: |\n  {"kind": "Secret", "data": {"dburl": "cG9zdGdyZXM6Ly91OnBAaA=="}}\nname: db\n',
                'manifest: |\n  {"kind": "Secret", "data": {<redacted>}}\nname: db\n',
            ),
            # A value holding a `}` (its quotes counted): the values after it hidden too.
            (
                '{"last-applied": "{\\"kind\\":\\"Secret\\",\\"stringData\\":{\\"a\\":\\"x}y\\",\\"b\\":\\"s3\\"}}"}',
                '{"last-applied": "{\\"kind\\":\\"Secret\\",\\"stringData\\":{<redacted>}}"}',
            ),
            # Its newlines escaped as `\u000a`, as an encoder escaping every control character writes them.
            (
                '{"manifest": "kind: Secret\\u000adata:\\u000A  a: YWRtaW4=\\u000a"}',
                '{"manifest": "kind: Secret\\u000adata:\\u000A  a: <redacted>\\u000a"}',
            ),
            # Such a JSON string cut before its closing quote (a Prometheus error quote is cut at 64 KiB): to its end.
            (
                '{"manifest": "kind: Secret\\ndata:\\n  a: \\"YWRtaW4=\\"\\n  b: cG9zdGdy',
                '{"manifest": "kind: Secret\\ndata:\\n  a: <redacted>\\n  b: <redacted>',
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    def test_a_cut_json_string_is_read_in_linear_time(self):
        # A JSON string of escaped YAML lines holding quotes, cut before its closing quote: each escaped quote began
        # the search for a string again, read on to the text's end (2 s for 64 KiB). The least CPU time of 8 times
        # the text is about 8 times, not 64 (a time alone, on a loaded machine, would fail by chance).
        def cpu_s(lines: int) -> float:
            text = '{"manifest": "kind: Secret\\n' + 'a: \\"b\\"\\n' * lines
            return least_cpu_s(lambda: hide_credentials(text))

        assert cpu_s(4000) <= 24 * cpu_s(500)

    def test_another_kinds_data_is_shown(self):
        text = 'kind: ConfigMap\ndata:\n  mode: prod\n{"kind": "SecretProviderClass", "data": {"a": "b"}}'
        assert hide_credentials(text) == text
        # In a JSON string too, beside a string naming a Secret that is no manifest.
        text = '{"manifest": "kind: ConfigMap\\ndata:\\n  mode: prod\\n", "note": "a Secret\\nis elsewhere"}'
        assert hide_credentials(text) == text


class TestTranscripts:
    """A password a protocol's transcript (Redis, SMTP, FTP, IMAP) or a .netrc shows is hidden; prose naming those
    commands is not."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (
                "127.0.0.1:6379> auth s3cr3t-1\nOK\n127.0.0.1:6379> AUTH default s3cr3t-2\nAUTH s3cr3t-3\n",
                "127.0.0.1:6379> auth <redacted>\nOK\n127.0.0.1:6379> AUTH default <redacted>\nAUTH <redacted>\n",
            ),
            # Redis MONITOR's quoted commands, HELLO's AUTH too.
            (
                '1.2 [0 10.0.0.1:5555] "AUTH" "s3cr3t-4"\n1.3 [0 lua] "HELLO" "3" "auth" "u" "s3cr3t-5"',
                '1.2 [0 10.0.0.1:5555] "AUTH" "<redacted>"\n1.3 [0 lua] "HELLO" "3" "auth" "u" "<redacted>"',
            ),
            # SMTP's AUTH PLAIN and the answers to an AUTH LOGIN (not the server's challenges).
            (
                "C: AUTH PLAIN AGJvYgBzM2NyM3Q=\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: Ym9i\nS: 334 UGFzc3dvcmQ6\n"
                "C: czNjcjN0\nS: 235 ok",
                "C: AUTH PLAIN <redacted>\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: <redacted>\nS: 334 UGFzc3dvcmQ6\n"
                "C: <redacted>\nS: 235 ok",
            ),
            (
                'USER bob\r\nPASS s3cr3t 6\r\n530 no\r\na001 LOGIN bob s3cr3t-7\r\na002 LOGIN bob "s3 cr3t"',
                'USER bob\r\nPASS <redacted>\r\n530 no\r\na001 LOGIN bob <redacted>\r\na002 LOGIN bob "<redacted>"',
            ),
            # FTP's PASS after its USER line, with a reply code after it, or after a client's marker, whatever the
            # password looks like (a path too).
            (
                "USER bob\nPASS src/app.test.js\n230 ok\nPASS s3cr3t/x.js\r\n530 Login incorrect.\n"
                "Command:\tPASS a/b.js\n> PASS c/d.ts",
                "USER bob\nPASS <redacted>\n230 ok\nPASS <redacted>\r\n530 Login incorrect.\n"
                "Command:\tPASS <redacted>\n> PASS <redacted>",
            ),
            # Each context alone: its USER three lines above, the server's reply code after it, a client's prompt.
            ("USER bob\nNOOP\n200 ok\nPASS a/b.test.js", "USER bob\nNOOP\n200 ok\nPASS <redacted>"),
            ("log: x\nPASS a/b.test.js\n530 Login incorrect.", "log: x\nPASS <redacted>\n530 Login incorrect."),
            ("ftp> PASS a/b.test.js", "ftp> PASS <redacted>"),
            # Without such context, a PASS before what no test runner names: a password still.
            ("log: x\nPASS hunter2\n", "log: x\nPASS <redacted>\n"),
            # After a test file's path, what no pytest node id holds: a test's name starts with `test`, a class's
            # (before it) with a capital.
            (
                "PASS a/b.py::s3cr3t\nPASS s3cr3t/x.py::y\nPASS a/b.py::s3cr3t::test_x\nPASS a/b.py::Test::s3cr3t[x]",
                "PASS <redacted>\nPASS <redacted>\nPASS <redacted>\nPASS <redacted>",
            ),
            # Redis' AUTH inside a longer line: a logged redis-cli command (before a shell's `&&` too), a prompt or
            # a `>` mid-line.
            (
                "exec: redis-cli -h h AUTH s3cr3t-r1\nrun redis-cli -h h auth default s3cr3t-r2 && redis-cli ping\n"
                "10:00 redis:6379> AUTH bob s3cr3t-r3\n[client] > AUTH s3cr3t-r4\n",
                "exec: redis-cli -h h AUTH <redacted>\nrun redis-cli -h h auth default <redacted> && redis-cli ping\n"
                "10:00 redis:6379> AUTH bob <redacted>\n[client] > AUTH <redacted>\n",
            ),
            # AUTH's values quoted, as a shell writes one holding a space (hidden inside their quotes).
            (
                "$ redis-cli -h h AUTH 's3cr3t-q1'\n$ redis-cli -h h AUTH \"s3 cr3t\" && x\n"
                "$ redis-cli -h h AUTH default 's3 cr3t'\n127.0.0.1:6379> AUTH \"s3cr3t-q2\"\n"
                "[::1]:6379[2]> auth 's3cr3t-q3'",
                "$ redis-cli -h h AUTH '<redacted>'\n$ redis-cli -h h AUTH \"<redacted>\" && x\n"
                "$ redis-cli -h h AUTH default '<redacted>'\n127.0.0.1:6379> AUTH \"<redacted>\"\n"
                "[::1]:6379[2]> auth '<redacted>'",
            ),
            # An AUTH that is no command before one that is (a value it took is read again as a command).
            ('redis-cli -x ">AUTH AUTH s3cr3t-sw', 'redis-cli -x ">AUTH AUTH <redacted>'),
            # redis-cli's prompt in a transaction (`(TX)`, after a database's `[2]` too) and over a Unix socket.
            (
                "127.0.0.1:6379(TX)> auth s3cr3t-t1\n127.0.0.1:6379[2](TX)> AUTH s3cr3t-t2\n"
                "10:00 127.0.0.1:6379(TX)> AUTH s3cr3t-t3\nredis /tmp/redis.sock> auth s3cr3t-t4\n"
                "10:00 redis /var/run/redis.sock[1]> auth default s3cr3t-t5\n"
                "redis> auth s3cr3t-t6\n10:00 redis> auth s3cr3t-t7",
                "127.0.0.1:6379(TX)> auth <redacted>\n127.0.0.1:6379[2](TX)> AUTH <redacted>\n"
                "10:00 127.0.0.1:6379(TX)> AUTH <redacted>\nredis /tmp/redis.sock> auth <redacted>\n"
                "10:00 redis /var/run/redis.sock[1]> auth default <redacted>\n"
                "redis> auth <redacted>\n10:00 redis> auth <redacted>",
            ),
            # AUTH in capitals after another prompt is Redis' command still.
            ("app> AUTH s3cr3t-p\n10:00 sh> AUTH s3cr3t-q", "app> AUTH <redacted>\n10:00 sh> AUTH <redacted>"),
            # A .netrc on one line or several, `default` too.
            (
                "machine api.example.com login bob password s3cr3t-8\nmachine h2\n  login alice\n"
                "  password s3cr3t-9\n"
                "default login anonymous password s3cr3t-10",
                "machine api.example.com login bob password <redacted>\nmachine h2\n  login alice\n"
                "  password <redacted>\n"
                "default login anonymous password <redacted>",
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            "auth failed for user bob\nAUTH mechanisms: PLAIN LOGIN\nERR AUTH <password> called without password",
            "the machine is down; the default password policy applies\nPASSWORD RESET\nLOGIN page",
            # redis-cli and AUTH in prose: no value ends the line after AUTH.
            "run redis-cli and type AUTH followed by your password\nredis-cli says NOAUTH > AUTH is required first",
            # A test runner's line naming the test file that passed (Jest's, with its time), not an FTP password.
            "PASS src/app.test.js\nPASS  packages/ui/Button.spec.tsx (5.2 s)\nFAIL src/b.test.js\nPASS app.test.ts",
            # A mechanism's name after AUTH mid-line (SMTP's), and AUTH far from a redis-cli on its line.
            "10:00 smtp> AUTH PLAIN\nredis-cli" + " -x" * 90 + " AUTH required",
            # `auth` in small letters after a prompt that is no redis-cli's (a shell's, an app's): its own words.
            "bash-5.1> auth enabled\napp> auth enabled\n10:00 app> auth enabled\nsh> Auth disabled",
            # A redis-cli on the line above is another command's.
            "redis-cli ping\nthen AUTH required",
            # pytest's node ids after a runner's PASS: a unittest case's class named anyhow, a parameter's id.
            "PASS tests/test_app.py::test_x\nPASS tests/test_app.py::TestX::test_y[a-1] (0.2 s)\n"
            "PASS app/tests.py::UserModelTests::test_login\nPASS t/test_u.py::test_url[http://a/b?c=1]",
            # AUTH after a tag's `>` (a word with no space before it is no prompt).
            "<b>AUTH required</b>",
        ],
    )
    def test_shown(self, text):
        assert hide_credentials(text) == text


# The time each reader of free text takes on 1 MB of a text built to make it go back over the text (linear, not
# quadratic) is measured by `make bench` (bench/run.py, large_texts), not by a timed test.


class TestPatternsCompiledOnUse:
    """A Job compiles only the patterns it uses; the service compiles them all before it listens."""

    def test_importing_compiles_no_pattern_and_a_use_compiles_its_own(self):
        code = (
            "import analyzer.redaction as r; "
            + COUNT_COMPILES
            + "r.compile_patterns(); assert len(compiled) > 50, len(compiled); "
            "del compiled[:]; r.compile_patterns(); assert compiled == [], compiled"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_a_job_arg_named_without_a_secret_word_is_judged_with_one_pattern_compiled(self):
        code = (
            "import analyzer.redaction as r; "
            + COUNT_COMPILES
            + "assert not r.is_secret_name('canary_hash'); assert len(compiled) == 1, compiled; "
            "assert r.is_secret_name('db_password'); assert len(compiled) == 2, compiled"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_the_service_compiles_every_pattern_before_it_listens(self):
        code = (
            "import analyzer.server, analyzer.redaction as r; "
            + COUNT_COMPILES
            + "r.hide_credentials('GET postgres://u:p@db/x?token=a AKIAABCDEFGHIJKLMNOP'); "
            "r.compile_patterns(); assert compiled == [], compiled"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_a_pattern_used_before_it_is_compiled_finds_what_it_would_have(self):
        code = (
            "import analyzer.redaction as r; "
            "header = 'Authorization: Bearer abc.def'; "
            "assert r.hide_credentials(header) == 'Authorization: <redacted>'; "
            "r.compile_patterns(); assert r.hide_credentials(header) == 'Authorization: <redacted>'"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


class TestUrlsInParameterValues:
    """A parameter's value holding a URL is read for the URL's secrets, written as it is or percent-encoded."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (
                "GET /login?redirect=https://idp/cb?token=s3cr3tvalue&x=1 failed",
                "GET /login?redirect=https://idp/cb?token=<redacted>&x=1 failed",
            ),
            ("redirect=https://idp/cb?token=s3cr3t&x=1", "redirect=https://idp/cb?token=<redacted>&x=1"),
            ("redirect=https%3A%2F%2Fidp%2Fcb%3Ftoken%3Ds3cr3t", "redirect=<redacted>"),
            (
                "GET /login?redirect=https%3A%2F%2Fidp%2Fcb%3Ftoken%3Ds3cr3t&x=1 failed",
                "GET /login?redirect=<redacted>&x=1 failed",
            ),
            # A mail link's body holding a query's secret, percent-encoded or not.
            ("mailto:ops@x?body=token%3Ds3cr3t", "mailto:ops@x?body=<redacted>"),
            ("mailto:ops@x?subject=hi&body=token=s3cr3t", "mailto:ops@x?subject=hi&body=token=<redacted>"),
            # Percent-encoded twice (a redirect's target encoded again in the next hop's), a query's secret or a user
            # info: decoded twice.
            (
                "http://app/?next=https%253A%252F%252Fidp%252Fcb%253Ftoken%253Dabcdef123456",
                "http://app/?next=<redacted>",
            ),
            (
                "http://app/?next=https%253A%252F%252Fu%253Aabcdef123456%2540db%252F&x=1",
                "http://app/?next=<redacted>&x=1",
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown
        assert hide_url_secrets(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            "redirect=https%3A%2F%2Fidp%2Fcb%3Fnext%3D1&x=1",
            "mailto:ops@x?subject=hi&body=see%20you%3D1",
            "GET /login?redirect=https://idp/cb?next=%2Fhome",
            "http://app/?next=https%253A%252F%252Fidp%252Fcb%253Fnext%253D1&x=1",
        ],
    )
    def test_a_url_holding_no_secret_is_shown(self, text):
        assert hide_credentials(text) == text
        assert hide_url_secrets(text) == text

    def test_a_value_is_decoded_at_most_twice(self, monkeypatch):
        # Each run of a value encoded over and over (`%25252541...`) is decoded twice, no more: twice the runs, twice
        # the decodings.
        decoded: list[str] = []
        original = redaction_module.unquote

        def counting_unquote(text, *args, **options):
            decoded.append(text)
            return original(text, *args, **options)

        monkeypatch.setattr(redaction_module, "unquote", counting_unquote)
        counts = []
        for runs in (100, 200):
            decoded.clear()
            hide_url_secrets("http://app/?" + "&".join(f"next{i}=%2525252541" for i in range(runs)))
            counts.append(len(decoded))
        assert counts == [200, 400]


class TestOAuthCodes:
    """An OAuth authorization code in a parameter named `code` is hidden; a status's or an error's code is shown."""

    @pytest.mark.parametrize(
        "code",
        [
            # Google's, RFC 6749's example, GitHub's 20 hex digits, Cognito's UUID.
            "4/0AfJohXkQ8w9s7dLmN3pQrStUvWx",
            "SplxlOBeZQQYbYS6WxSbIA",
            "3584d83530557fdd1f46",
            "c1a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b",
        ],
    )
    def test_an_authorization_code_is_hidden(self, code):
        text = f"GET /callback?code={code}&state=xyz failed"
        assert hide_credentials(text) == "GET /callback?code=<redacted>&state=xyz failed"
        assert hide_url_secrets(text) == "GET /callback?code=<redacted>&state=xyz failed"
        assert hide_credentials(f"callback code={code} state=xyz") == "callback code=<redacted> state=xyz"

    def test_a_code_after_a_run_of_code_names_is_hidden(self):
        # The names of a run share its end: a code ending it is still read, and hidden, after many that are not.
        text = "?x=" + "code=" * 3000 + "a:b=code=SplxlOBeZQQYbYS6WxSbIA&state=xyz"
        shown = "?x=" + "code=" * 3000 + "a:b=code=<redacted>&state=xyz"
        assert hide_credentials(text) == shown
        assert hide_url_secrets(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_a_value_longer_than_any_code_is_shown(self):
        # Azure AD's codes, the longest known, run to about 1,500 characters.
        code = "a1" * (OAUTH_CODE_MOST_CHARS // 2)
        for value, shown in ((code, "<redacted>"), (code + "b", code + "b")):
            assert hide_credentials(f"GET /cb?code={value}&state=xyz") == f"GET /cb?code={shown}&state=xyz"
            assert hide_url_secrets(f"GET /cb?code={value}&state=xyz") == f"GET /cb?code={shown}&state=xyz"
            assert _masked(f"callback code={value} state=xyz", is_secret_name) == f"callback code={shown} state=xyz"

    def test_a_code_before_an_escaped_ampersand_is_hidden_to_it(self):
        # Go's encoding/json writes `&` as \u0026.
        text = '{"url": "https://app/cb?code=SplxlOBeZQQYbYS6WxSbIA\\u0026state=xyz"}'
        assert hide_credentials(text) == '{"url": "https://app/cb?code=<redacted>\\u0026state=xyz"}'

    @pytest.mark.parametrize(
        "text",
        [
            "GET /x?code=200&state=xyz",
            "code=E1234 status_code=500 error_code=E1234",
            "GET /cb?code=invalid_request&error=access_denied",
            # Long, but words joined with a number: no letter beside a digit.
            "GET /cb?code=upstream_connect_error_503",
            # A letter beside a digit, but shorter than a minted code.
            "GET /cb?code=SUMMER2024SALE",
            # Another name ending in `code` holds no credential, whatever its value.
            "GET /cb?error_code=SplxlOBeZQQYbYS6WxSbIA&zip_code=94105",
        ],
    )
    def test_a_status_or_an_error_code_is_shown(self, text):
        assert hide_credentials(text) == text
        assert hide_url_secrets(text) == text


class TestMessageIds:
    """A message's or a part's id and a news article's (`cid:`, `mid:`, `news:`) hold no password: shown."""

    @pytest.mark.parametrize(
        "text",
        [
            "see cid:part1.abc@example.com",
            "mid:960830.1639@XIson.com/partA.960830.1639@XIson.com",
            "NEWS:msg123@news.example.com and news:comp.infosystems.www.servers.unix",
        ],
    )
    def test_shown(self, text):
        assert hide_credentials(text) == text
        assert hide_url_secrets(text) == text

    def test_a_user_and_password_in_one_is_hidden(self):
        assert hide_url_secrets("cid:bob:hunter2@x.example") == "cid:<redacted>@x.example"


class TestWhereACallerAuthenticates:
    """A host's or a service's name for authentication is no secret; the header's value holds one."""

    @pytest.mark.parametrize(
        ("name", "secret"),
        [
            ("auth_service", False),
            ("auth_server", False),
            ("auth_host", False),
            ("authHost", False),
            ("AUTH_SERVICES", False),
            ("auth_hostname", False),
            ("auth_service_token", True),
            ("auth_server_key", True),
            ("auth_header", True),
            ("auth_serviceman", True),
        ],
    )
    def test_names(self, name, secret):
        assert is_secret_name(name) is secret

    def test_the_values_are_shown_and_a_credential_after_a_scheme_hidden(self):
        text = "auth_service=billing auth_server=idp.example.com auth_host=idp auth_header=Bearer s3cr3tabc"
        shown = "auth_service=billing auth_server=idp.example.com auth_host=idp auth_header=<redacted>"
        # The credential after the scheme is hidden first, then the value read to its space.
        assert hide_credentials(text) == f"{shown} <redacted>"
        query = text.replace(" ", "&").replace("Bearer&", "Bearer+")
        assert hide_url_secrets(f"http://app/?{query}") == f"http://app/?{shown.replace(' ', '&')}"


class TestPasswordsAlone:
    """A URL's or a DSN's password, as written and percent-decoded, is also hidden where the text quotes it alone, from
    4 characters on, as a word."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (
                "connect https://u:pw12@h failed; password pw12 rejected",
                "connect https://<redacted>@h failed; password <redacted> rejected",
            ),
            (
                "dsn root:Sup3rS3cret@tcp(db:3306)/app: Sup3rS3cret refused",
                "dsn root:<redacted>@tcp(db:3306)/app: <redacted> refused",
            ),
            # A DSN's shorter than 8, or all digits, is not searched for alone: the DSN reading also takes a latency's
            # `p99:1250@payments` or a mail header's `From:support@...` for a user and a password, and the evidence's
            # figures and words would be blanked.
            ("dsn root:pw12@tcp(db:3306)/app: pw12 refused", "dsn root:<redacted>@tcp(db:3306)/app: pw12 refused"),
            ("p99:1250@payments observed 1250 ms", "p99:<redacted>@payments observed 1250 ms"),
            ("p99:12500000@payments observed 12500000 ms", "p99:<redacted>@payments observed 12500000 ms"),
            (
                "From:support@example.com please contact support",
                "From:<redacted>@example.com please contact support",
            ),
            (
                "https://u:l0ng-s3cr3t@h then xl0ng-s3cr3tx",
                "https://<redacted>@h then x<redacted>x",
            ),
            # Shorter than 4: not searched for (a password `pw1` would blank every `pw1`).
            ("connect https://u:pw1@h failed; password pw1 rejected", None),
            # Shorter than 8: only as a whole word.
            (
                "connect https://u:prod@h in production, prod down",
                "connect https://<redacted>@h in production, <redacted> down",
            ),
        ],
    )
    def test_text(self, text, shown):
        expected = shown if shown is not None else text.replace("u:pw1@", "<redacted>@")
        assert hide_credentials(text) == expected

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # Percent-encoded in the URL, quoted decoded: both forms are searched for.
            (
                "connect https://u:S%40cret1@db failed: password S@cret1 rejected",
                "connect https://<redacted>@db failed: password <redacted> rejected",
            ),
            ("https://u:S%40cret1@db then S%40cret1", "https://<redacted>@db then <redacted>"),
            ("https://u:l0ng%2Fs3cr3t@h then xl0ng/s3cr3tx", "https://<redacted>@h then x<redacted>x"),
            # Decoded, the same floor rules: a URL's from 4 characters, a DSN's from 8 and not all digits.
            ("https://u:p%40w@h then p@w", "https://<redacted>@h then p@w"),
            (
                "dsn root:Sup%40r1@tcp(db:3306)/app: Sup@r1 refused",
                "dsn root:<redacted>@tcp(db:3306)/app: Sup@r1 refused",
            ),
            (
                "dsn root:Sup3r%40S3cret@tcp(db:3306)/app: Sup3r@S3cret refused",
                "dsn root:<redacted>@tcp(db:3306)/app: <redacted> refused",
            ),
            # Encoded twice (a client encoding a user info already encoded): decoded once and twice, each form hidden.
            (
                "connect https://u:S%2540cret1x@host/ failed: password S@cret1x rejected; S%40cret1x",
                "connect https://<redacted>@host/ failed: password <redacted> rejected; <redacted>",
            ),
            # Three times: decoded up to three times.
            (
                "https://u:S%252540cret1x@h then S@cret1x, S%40cret1x, S%2540cret1x",
                "https://<redacted>@h then <redacted>, <redacted>, <redacted>",
            ),
            (
                "dsn root:Sup3r%2540S3cret@tcp(db:3306)/app: Sup3r@S3cret refused",
                "dsn root:<redacted>@tcp(db:3306)/app: <redacted> refused",
            ),
            # Four times and more: decoded until no escape is left (S@cret1x showed).
            (
                "https://u:S%25252540cret1x@h then S@cret1x rejected",
                "https://<redacted>@h then <redacted> rejected",
            ),
            (
                "dsn root:Sup3r%2525252540S3cret@tcp(db:3306)/app: Sup3r@S3cret refused",
                "dsn root:<redacted>@tcp(db:3306)/app: <redacted> refused",
            ),
        ],
    )
    def test_percent_encoded(self, text, shown):
        assert hide_credentials(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_a_password_is_searched_for_in_five_forms_at_most(self, monkeypatch):
        # Each form searched for is a pass over the text: a value built to be decoded forever gives five forms, as
        # written, decoded once, twice and three times, and with no escape left.
        searched: list[list[str]] = []
        original = redaction_module.scrubber

        def recording_scrubber(values, **options):
            values = list(values)
            searched.append(values)
            return original(values, **options)

        monkeypatch.setattr(redaction_module, "scrubber", recording_scrubber)
        encoded = ["S%" + "25" * times + "40cret1x" for times in (10, 9, 8, 7)]
        hide_credentials(f"https://u:{encoded[0]}@h")
        assert searched == [[*encoded, "S@cret1x"]]

    def test_a_password_is_decoded_64_times_at_most(self, monkeypatch):
        searched: list[list[str]] = []
        original = redaction_module.scrubber

        def recording_scrubber(values, **options):
            values = list(values)
            searched.append(values)
            return original(values, **options)

        monkeypatch.setattr(redaction_module, "scrubber", recording_scrubber)
        hide_credentials("https://u:S%" + "25" * 64 + "40cret1x@h")
        assert searched[0][-1] == "S%40cret1x"

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # A URL's password of digits alone is searched for alone only from 8 digits: a shorter one is as likely a
            # figure of the evidence (a latency, a count), which it would blank; in the URL it is hidden all the same.
            ("https://u:1234@h observed 1234 ms", "https://<redacted>@h observed 1234 ms"),
            ("https://u:1234567@h observed 1234567 ms", "https://<redacted>@h observed 1234567 ms"),
            ("https://u:12345678@h observed 12345678 ms", "https://<redacted>@h observed <redacted> ms"),
            ("https://u:%31%32%33%34@h observed 1234 ms", "https://<redacted>@h observed 1234 ms"),
            # Not digits alone: from 4 characters, as before.
            ("https://u:1234a@h then 1234a", "https://<redacted>@h then <redacted>"),
        ],
    )
    def test_digits_alone(self, text, shown):
        assert hide_credentials(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_the_bound_counts_passwords_not_their_forms(self):
        # Sixteen passwords, each percent-encoded: each one's decoded form is searched for too.
        text = " ".join(f"https://u:pw%40{i:04d}x@h pw@{i:04d}x" for i in range(16))
        assert hide_credentials(text) == " ".join("https://<redacted>@h <redacted>" for _ in range(16))
        assert _masked(text, is_secret_name) == hide_credentials(text)

    def test_twice_the_passwords_search_no_more_values(self, monkeypatch):
        # Each value searched for is a pass over the text: at most two forms of each of sixteen passwords.
        searched: list[int] = []
        original = redaction_module.scrubber

        def counting_scrubber(values, **options):
            values = list(values)
            searched.append(len(values))
            return original(values, **options)

        monkeypatch.setattr(redaction_module, "scrubber", counting_scrubber)
        for urls in (100, 200):
            hide_credentials(" ".join(f"https://u:pw%40{i:04d}x@h pw@{i:04d}x" for i in range(urls)))
        assert searched == [32, 32]


class TestEscapedLineBreaks:
    """A bare value ends at a JSON string's escaped line break before the next entry; a backslash of its own stays."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ('"token=abc\\nnext=1"', '"token=<redacted>\\nnext=1"'),
            ('"password=abc\\n\\"next\\": 1"', '"password=<redacted>\\n\\"next\\": 1"'),
            ("password=C:\\new\\path done", "password=<redacted> done"),
            ("password=C:\\temp:x done", "password=<redacted> done"),
            ('{"msg": "sent Bearer abc123xyz\\nnext line"}', '{"msg": "sent Bearer <redacted>\\nnext line"}'),
        ],
    )
    def test_text(self, text, shown):
        assert hide_credentials(text) == shown


class TestLinearReaders:
    """The readers changed for URLs in values, passwords alone and escaped line breaks take twice the time for twice
    the text (a reader going back over the text would take four times), each size's least of five runs (a loaded
    machine only adds to a run)."""

    @pytest.mark.parametrize(
        ("read", "head", "unit", "count"),
        [
            # One value run of many names, percent-encoded too: each run read, and decoded, once.
            (hide_url_secrets, "", "?a=%3Fa%3D", 12000),
            (hide_credentials, "", "?a=%3Fa%3D", 12000),
            # A bare value of many escaped line breaks: each looked past a bounded stretch.
            (hide_credentials, "password=a", "\\n", 8000),
            # A run of `code=` names, none an OAuth code's: each name's value is the rest of the run, not read to its
            # end again for each.
            (hide_url_secrets, "?", "code=", 2000),
            (hide_credentials, "?", "code=", 2000),
            (hide_credentials, "x=", "code=", 2000),
        ],
    )
    def test_twice_the_text_takes_about_twice_the_time(self, read, head, unit, count):
        def cpu_s(units: int) -> float:
            text = head + unit * units
            return least_cpu_s(lambda: read(text), runs=5)

        assert cpu_s(2 * count) <= 3 * cpu_s(count)

    def test_many_passwords_are_searched_for_in_bounded_time(self):
        # Each password searched for alone is a pass over the text: at most so many of them. Four times the text, about
        # four times the time (each searched for, twelve times measured): a bound of 8 between the two.
        def cpu_s(urls: int) -> float:
            text = " ".join(f"https://u:pw{i:06d}@h pw{i:06d}" for i in range(urls))
            return least_cpu_s(lambda: hide_credentials(text), runs=5)

        assert cpu_s(8000) <= 8 * cpu_s(2000)


class TestAuthorizationInCrashText:
    """After an Authorization header's name and a scheme, crash text hides any token, a message's word too."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("x Authorization: Bearer token", "x Authorization: Bearer <redacted>"),
            ("sent Authorization: Bearer expired, retrying", "sent Authorization: Bearer <redacted>, retrying"),
            ("failed (proxy-authorization: basic auth)", "failed (proxy-authorization: basic <redacted>)"),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    def test_prose_elsewhere_is_shown(self):
        text = "Bearer token expired; requires Basic authentication; authorization failed: token invalid"
        assert hide_credentials(text) == text


class TestFStringsInCrashText:
    """An f-string's literal text after a secret name's `=` is hidden inside its quotes."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ('password = f"hunter2{x}"', 'password = f"<redacted>"'),
            ("token=Rf'abc{x}' next", "token=Rf'<redacted>' next"),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown


class TestWalrusInCrashText:
    """A value a traceback's source line binds with `:=` (Python's walrus, Go's short declaration) is hidden as after
    `=`."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # Showed whole.
            ('    if (password := "hunter2"):', '    if (password := "<redacted>"):'),
            ('password := "hunter2"', 'password := "<redacted>"'),
            ("token:=abc123 next", "token:=<redacted> next"),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    def test_a_non_secret_is_shown(self):
        text = '    if (count := "12"):  name := "alice"'
        assert hide_credentials(text) == text


class TestYamlLinesInCrashText:
    """A `name: value` line under a secret name, any case, has its value hidden in crash text; a source line's
    annotation (`token: str = ...`) is code, shown."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            (
                "Traceback (most recent call last):\n  token: abc\n  password: hunter2\nValueError: bad",
                "Traceback (most recent call last):\n  token: <redacted>\n  password: <redacted>\nValueError: bad",
            ),
            ("config:\n  api_key: abcd1234\n  user: bob", "config:\n  api_key: <redacted>\n  user: bob"),
            (
                "- db_password: 'it is s3cr3t'\r\n- API_KEY: k3y\n",
                "- db_password: <redacted>\r\n- API_KEY: <redacted>\n",
            ),
            ("secret: YWJj=", "secret: <redacted>"),
            ("password: hunter2, user: bob", "password: <redacted>"),
            # A word and a comma is no signature's annotation but for a known type's (`token: str,`).
            ("session: abc,\ntoken: Token,", "session: <redacted>\ntoken: <redacted>"),
            # A block scalar's lines, after a secret name's `|` or `>` (or nothing: a value on the lines after).
            (
                "config:\n  password: |\n    hunter2xyz\n    more\n  user: bob",
                "config:\n  password: |\n<redacted>\n  user: bob",
            ),
            ("- api_key: >-  # folded\n    k3y\n\n    k3y2\nx: 1", "- api_key: >-  # folded\n<redacted>\nx: 1"),
            ("token:\n  abc123\nnext: 1", "token:\n<redacted>\nnext: 1"),
            ("secrets:\n- a1\n- b2\nx: 1", "secrets:\n<redacted>\nx: 1"),
            # A source line's literal default under a secret name is a secret in code: hidden inside its quotes.
            ('    password: str = "hunter2"', '    password: str = "<redacted>"'),
            ("    API_KEY: Final = 'sk-live-abc'", "    API_KEY: Final = '<redacted>'"),
            ('    def f(password: str = "hunter2"):', '    def f(password: str = "<redacted>"):'),
            ('    token: str | None = b"abc123"', '    token: str | None = b"<redacted>"'),
            # A number too (showed).
            ("    password: int = 12345678", "    password: int = <redacted>"),
            (
                "def f(pin_code: int = 4711, secret: float = -1.5):",
                "def f(pin_code: int = 4711, secret: float = <redacted>):",
            ),
            # Small letters and digits before ` = ` are a value, no type (`hunter2` showed).
            ("password: hunter2 = x", "password: <redacted>"),
            ("  - token: abc_1 = 2", "  - token: <redacted>"),
            # A key that is no label's, a count under a secret's singular name, a null's look-alike: hidden.
            (
                "- key: k3y/abc+def==\ntoken: 5\npassword: nullable\nsecret: corp.example/s3cr3t",
                "- key: <redacted>\ntoken: <redacted>\npassword: <redacted>\nsecret: <redacted>",
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            '  File "app.py", line 3, in Settings\n    token: str = os.environ["TOKEN"]\nKeyError: \'TOKEN\'',
            "def connect(\n    password: Optional[str] = None,\n    api_key: str | None,\n    token: SecretStr\n)",
            "def login(\n    token: str,\n    password: bytes,\n):",
            "max_tokens: 100\nauth_service: billing\ntokenerror: x",
            "user: |\n  bob\nTokenError:\n  bad",
            '    token: str = os.environ["TOKEN"]\n    password: Optional[str] = None',
            # A count of tokens (a rate limit's), a null and a Kubernetes label's key tell no secret.
            "limits:\n  tokens: 5\n  rate_limit_tokens: 500\n  token: null\n  password: ~",
            "- key: app.kubernetes.io/name\n  operator: In",
            'pass:\n  true\nuser: str = "bob"',
            # A type before a default: known, a capital's, a dot's or a generic's; a count's or a non-secret's number.
            "password: Final = x\ntoken: np.ndarray = y\napi_key: list[str] = z\nsecret: str = os.environ['S']",
            "tokens: int = 5\nmax_tokens: int = 500\ntimeout_ms: int = 1234\npass: int = 3",
        ],
    )
    def test_shown(self, text):
        assert hide_credentials(text) == text


class TestDeclarationsInCrashTextAndEvidence:
    """A string literal a source line declares under a secret name, a type between (Go's, Rust's, Kotlin's), is hidden
    inside its quotes by one rule, in crash text as in an answer's body."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # Crash text showed them whole; the body hid them.
            ('var password string = "hunter2"', 'var password string = "<redacted>"'),
            ('\tconst apiToken string = "hunter2"', '\tconst apiToken string = "<redacted>"'),
            ('    let password: &str = "hunter2";', '    let password: &str = "<redacted>";'),
            ('let password: &\'static str = "hunter2";', 'let password: &\'static str = "<redacted>";'),
            ('private val password: String? = "hunter2"', 'private val password: String? = "<redacted>"'),
            ('const token: string | undefined = "hunter2"', 'const token: string | undefined = "<redacted>"'),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_rusts_string_from_is_hidden(self):
        # Both showed `hunter2`: the body reader whole, crash text after `<redacted>(`.
        text = 'let password = String::from("hunter2");'
        assert hide_credentials(text) == 'let password = <redacted>("<redacted>");'
        assert _masked(text, is_secret_name) == 'let password = String::from("<redacted>");'

    def test_a_non_secret_is_shown(self):
        text = 'var user string = "bob"\nlet region: &str = "eu-1";\nprivate val host: String? = "db"'
        assert hide_credentials(text) == text
        assert _masked(text, is_secret_name) == text


class TestCapitalisedWordsBeforeADefault:
    """A capitalised word with a digit before ` = ` under a secret name is a value, hidden; a type's name is shown."""

    @pytest.mark.parametrize(
        "text", ["password: Hunter2 = x", "  token: Passw0rd = 1", "- api_key: S3cret = y", "secret: Int32 = 5"]
    )
    def test_hidden(self, text):
        # `Hunter2` was read as a type, the line as a source line's annotation: shown.
        name = text.partition(":")[0]
        assert hide_credentials(text) == f"{name}: <redacted>"

    def test_a_types_name_is_shown(self):
        text = "password: Final = x\ntoken: MyConfig = y\napi_key: np.ndarray = z\nsecret: Dict[str, str] = {}"
        assert hide_credentials(text) == text


class TestFullwidthSeparators:
    """A fullwidth colon or equals sign after a secret name (CJK text's) separates it from its value, hidden."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("password\uff1ahunter2", "password\uff1a<redacted>"),
            ("login failed: token\uff1aabc123 user\uff1abob", "login failed: token\uff1a<redacted> user\uff1abob"),
            ("api_key \uff1d k3y-s3cr3t\uff0cretry", "api_key \uff1d <redacted>\uff0cretry"),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_a_non_secret_is_shown(self):
        text = "user\uff1abob status\uff1ddown"
        assert hide_credentials(text) == text
        assert _masked(text, is_secret_name) == text


class TestAccentedNames:
    """A name whose letters are a secret name's but for accents or fullwidth forms is a secret name."""

    @pytest.mark.parametrize(
        "name", ["p\u00e4ssword", "T\u00f6ken", "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44"]
    )
    def test_secret(self, name):
        assert is_secret_name(name)
        assert not may_be_shown(name)

    def test_hidden_in_crash_text_and_evidence(self):
        # `pässword: hunter2` was shown in both.
        text = 'p\u00e4ssword: hunter2\n{"s\u00e9cret": "abc"}'
        shown = 'p\u00e4ssword: <redacted>\n{"s\u00e9cret": "<redacted>"}'
        assert hide_credentials(text) == shown
        assert _masked(text, is_secret_name) == shown

    def test_other_accented_names_are_no_secret(self):
        assert not is_secret_name("r\u00e9gion")
        assert not is_secret_name("\u00fcber")


class TestWhatASecretNameCountsOrNames:
    """A count of tokens, what is known of a token or a password (its length, lifetime, type) and a credential
    header's name under a `*_header` name are shown; a secret of the same shape stays hidden."""

    @pytest.mark.parametrize(
        "text",
        [
            '{"usage": {"tokens": 5}, "rate_limit_tokens": 7}',
            "/v1/complete?tokens=7&x=1",
            '{"token_type": "Bearer", "expires_in": 3600}',
            "password_min_length: 8\npasswordMaxLength: 64\ntoken_ttl: 3600\nTOKEN_EXPIRY: 1h",
            "token_type_hint=refresh_token",
            "auth_header: X-Api-Key\ntokenHeader: Authorization\napi_key_header: x-api-key",
            '{"auth_header": "X-Auth-Token"}',
            # What is known of a secret: a number, a duration, a time, a short word, an OAuth token type's name.
            "token_type: bearer\nkey_type: RSA\ntoken_ttl: 1h30m\nTOKEN_EXPIRY: 2026-12-08T01:00:00Z",
            "token_type_hint=access_token&password_max_length=64&token_type=urn:ietf:params:oauth:token-type:jwt",
            '{"total_tokens": 1234567890, "tokens": 0}',
        ],
    )
    def test_shown(self, text):
        assert hide_credentials(text) == text
        assert _masked(text, is_secret_name) == text

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            # The singular's number, a string or a number too long for a count under `tokens`.
            ('{"token": 5}', '{"token": <redacted>}'),
            ("?tokens=abc123&tokens=1234567890123", "?tokens=<redacted>&tokens=<redacted>"),
            # The secret beside what is known of it.
            ("token_type_secret: x\npassword_min: hunter2", "token_type_secret: <redacted>\npassword_min: <redacted>"),
            ("token_types: s3cr3t\nsecret_typed: s3cr3t", "token_types: <redacted>\nsecret_typed: <redacted>"),
            # A credential, or a value no credential header's name, under `auth_header`.
            (
                "auth_header: Bearer abc123\nauth_header: correct-horse\nauth_header: s3cr3t-token-9\n"
                "auth_header: Password",
                "auth_header: <redacted>\nauth_header: <redacted>\nauth_header: <redacted>\nauth_header: <redacted>",
            ),
        ],
    )
    def test_hidden(self, text, shown):
        assert hide_credentials(text) == shown

    @pytest.mark.parametrize(
        "text",
        [
            # Under a name of what is known of a secret, a value no number, duration, time or short word: a secret
            # written under the wrong name, or a secret's own (a key's name holding a key).
            "token_type: s3cr3t-value",
            "password_length: s3cr3t-hunter",
            "api_key_type: sk-live-s3cr3tabcdefghijk",
            "secret_expiry: correct-horse-s3cr3t",
            '{"token_type": "s3cr3t-value", "passwordMaxLength": "hunter2s3cr3t"}',
            # A log line's pairs.
            "event=login token_type=s3cr3tvalue password_length=s3cr3t2",
            "/login?token_type=s3cr3t-value",
            # Digits too many for a count, or a count written with a leading zero: an id or a numeric key.
            '{"tokens": 73123456789}',
            "tokens: 0073123",
            # A name of a header that is no credential header's: a secret's words alone.
            "auth_header: My-Secret-Token\nauth_header: Correct-Horse-Secret-Key",
            '{"auth_header": "My-Secret-Token"}',
        ],
    )
    def test_a_secret_under_a_known_secret_name_is_hidden(self, text):
        for masked in (hide_credentials(text), _masked(text, is_secret_name)):
            assert not any(shown in masked for shown in ("s3cr3t", "73123", "My-Secret", "Correct-Horse"))

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ('{"token": 5, "tokens": "abc"}', '{"token": "<redacted>", "tokens": "<redacted>"}'),
            ("?tokens=abc123&tokens=1234567890123", "?tokens=<redacted>&tokens=<redacted>"),
            ('{"auth_header": "correct-horse"}', '{"auth_header": "<redacted>"}'),
        ],
    )
    def test_hidden_in_evidence(self, text, shown):
        assert _masked(text, is_secret_name) == shown


class TestChallenges:
    """A server's challenge after an auth scheme (`Basic realm="shop"`) is no credential: shown whole; a credential
    sent as auth-params or a token68 stays hidden."""

    @pytest.mark.parametrize(
        "text",
        [
            # Showed as `Basic <redacted>"shop"`.
            'he said Authorization: Basic realm="shop"',
            'WWW-Authenticate: Basic realm="shop", charset="UTF-8"',
            'got Bearer realm="api", error="invalid_token", error_description="expired" back',
            "Proxy-Authenticate: Negotiate realm=corp",
            '{"www-authenticate": "Token realm=\\"Application\\""}',
        ],
    )
    def test_shown(self, text):
        assert hide_credentials(text) == text
        assert _masked(text, is_secret_name) == text

    @pytest.mark.parametrize(
        "text",
        [
            'x Authorization: Token token="s3cr3tvalue"',
            'got Basic realm="shop", token="s3cr3tvalue"',
            "WWW-Authenticate: Basic s3cr3tvalue",
            # A token68 after `realm=`, unquoted as RFC 9110 writes no realm: no challenge.
            "WWW-Authenticate: Basic realm=s3cr3tvalue==",
            "Proxy-Authenticate: Bearer realm=abcs3cr3tTOKEN9value",
            'x Digest realm="shop", nonce="abc", response="s3cr3tvalue"',
        ],
    )
    def test_a_credential_is_hidden(self, text):
        assert "s3cr3t" not in hide_credentials(text)
        assert "s3cr3t" not in _masked(text, is_secret_name)
