"""What counts as a secret where a request could be shown back."""

from __future__ import annotations

import pytest

from analyzer.redaction import is_credential_value, is_secret_name, parser_error_for_log, scrubber


class TestSecrets:
    """Secret by name (any case), or by a value with an HTTP auth scheme whatever its name."""

    @pytest.mark.parametrize(
        ("name", "secret"),
        [("Authorization", True), ("X-Api-KEY", True), ("session_id", True), ("X-Scope-OrgID", False), ("q", False)],
    )
    def test_names(self, name, secret):
        assert is_secret_name(name) is secret

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
