"""Tests of analyzer.auth: tokens from files, rotation, constant-time matching, allow-lists, failing closed."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from analyzer import auth as auth_module
from analyzer.auth import SESSION_MAX_AGE_S, Principal, TokenStore, is_sign_in, session_cookie
from analyzer.errors import ConfigError, Forbidden, Unauthorized
from tests.filestat import report_ctime

TOKEN_A = "a" * 40
TOKEN_B = "b-token_with.all~chars+/" + "x" * 20 + "=="


def secret_dir(root: Path, tokens: dict[str, str], revision: str = "1") -> Path:
    """A directory laid out like a mounted Kubernetes Secret: files are symlinks into ..data."""
    root.mkdir(exist_ok=True)
    timestamped = root / f"..{revision}"
    timestamped.mkdir()
    for name, token in tokens.items():
        (timestamped / name).write_text(token + "\n")
    tmp_link = root / "..data_tmp"
    tmp_link.symlink_to(timestamped.name)
    os.replace(tmp_link, root / "..data")
    for name in tokens:
        if not (root / name).is_symlink():
            (root / name).symlink_to(f"..data/{name}")
    for stale in root.iterdir():
        if stale.is_symlink() and not stale.name.startswith(".") and not stale.exists():
            stale.unlink()
    return root


class TestAuthenticate:
    """A bearer token is accepted only when it equals a stored token exactly."""

    @pytest.fixture
    def store(self, tmp_path):
        return TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B}))

    def test_a_stored_token_names_its_caller(self, store):
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        assert store.authenticate([f"Bearer {TOKEN_B}"]).name == "sre"

    def test_the_scheme_is_case_insensitive(self, store):
        assert store.authenticate([f"bEaReR {TOKEN_A}"]).name == "argo"

    @pytest.mark.parametrize(
        "header",
        [
            TOKEN_A,  # no scheme
            f"Basic {TOKEN_A}",  # wrong scheme
            "Bearer",  # no token
            "Bearer ",  # empty token
            f"Bearer {TOKEN_A[:-1]}",  # a prefix
            f"Bearer {TOKEN_A}a",  # an extension
            f"Bearer {TOKEN_A.upper()}",  # tokens are case-sensitive
            f"Bearer {TOKEN_A} {TOKEN_A}",  # two tokens
            f"Bearer {TOKEN_A}\x00",  # a NUL
            f"Bearer\t{TOKEN_A}",  # not a space
            "Bearer " + "=" * 10,  # token68 padding only
        ],
    )
    def test_everything_else_is_refused(self, store, header):
        with pytest.raises(Unauthorized):
            store.authenticate([header])

    @pytest.mark.parametrize(
        ("header", "said"),
        [
            ("Bearer", "the bearer token is empty"),
            ("Bearer ", "the bearer token is empty"),
            (f"Bearer Bearer {TOKEN_A}", "says Bearer twice"),
            (f"Bearer bearer {TOKEN_A}", "says Bearer twice"),
            (f"Bearer {TOKEN_A} {TOKEN_A}", "it holds a space"),
            ("Bearer {{args.analyzer-token}}", "a character no token holds"),
            # Before: "the Authorization scheme must be Bearer", which did not say how to write it.
            (TOKEN_A, "the Authorization scheme must be Bearer: send Authorization: Bearer <token>"),
            (f"Basic {TOKEN_A}", "the Authorization scheme must be Bearer: send Authorization: Bearer <token>"),
        ],
    )
    def test_a_malformed_token_says_why_without_quoting_it(self, store, header, said):
        # Before: "malformed bearer token" for each (a Secret holding "Bearer ..." under a template that adds
        # "Bearer " too, an unset variable), in the 401 and the auth_failed log line alike.
        with pytest.raises(Unauthorized) as refused:
            store.authenticate([header])
        assert said in refused.value.message
        assert TOKEN_A not in refused.value.message

    def test_no_header_and_two_headers_are_refused(self, store):
        with pytest.raises(Unauthorized, match="missing"):
            store.authenticate([])
        with pytest.raises(Unauthorized, match="more than one"):
            store.authenticate([f"Bearer {TOKEN_A}", f"Bearer {TOKEN_A}"])

    def test_a_single_file_holds_one_token_named_by_the_file(self, tmp_path):
        path = tmp_path / "argo.token"
        path.write_text(TOKEN_A + "\n")
        assert TokenStore(path).authenticate([f"Bearer {TOKEN_A}"]).name == "argo"


class TestTokenFiles:
    """Token files are re-read when they change; unusable ones never admit anybody."""

    def test_a_rotated_secret_takes_effect_without_restart(self, tmp_path):
        root = secret_dir(tmp_path / "tokens", {"argo": TOKEN_A})
        store = TokenStore(root)
        store.authenticate([f"Bearer {TOKEN_A}"])
        secret_dir(root, {"argo": TOKEN_B}, revision="2")
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {TOKEN_B}"]).name == "argo"

    def test_a_file_of_two_tokens_admits_neither_and_says_why(self, tmp_path):
        # The old and the new token written in one file for a rotation: was "not a bearer token".
        path = tmp_path / "argo"
        path.write_text(f"{TOKEN_A}\n{TOKEN_B}\n")
        with capture_logs() as logs:
            store = TokenStore(path)
        for token in (TOKEN_A, TOKEN_B):
            with pytest.raises(Unauthorized, match="accepts no token"):
                store.authenticate([f"Bearer {token}"])
        assert store.ignored == {
            "argo": "it holds 2 tokens, and a file holds one: for two during a rotation, give a directory with one "
            "file per token (a Secret's keys)"
        }
        assert [e["reason"] for e in logs if e["event"] == "auth_token_ignored"] == [store.ignored["argo"]]

    @pytest.mark.parametrize(
        "text",
        [
            f"Bearer {TOKEN_A}\n",
            # Two lines, one of them no token: not read as two tokens either.
            f"{TOKEN_A}\nBearer {TOKEN_B}\n",
        ],
        ids=["bearer-and-token", "token-and-not-one"],
    )
    def test_a_file_of_bearer_and_a_token_is_not_read_as_two_tokens(self, tmp_path, text):
        path = tmp_path / "argo"
        path.write_text(text)
        assert TokenStore(path).ignored == {
            "argo": "not a bearer token (allowed: letters, digits, -._~+/ and trailing =)"
        }

    def test_a_same_size_rotation_within_one_timestamp_tick_is_seen(self, tmp_path):
        # Inode, size and mtime as the last look saw them (a rewrite in place in the same tick of a coarse clock):
        # the identity of a file written that recently is not trusted, so the revoked token is refused.
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        store = TokenStore(path)
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        seen = path.stat()
        rotated = "c" * len(TOKEN_A)
        path.write_text(rotated)
        os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns))
        assert path.stat()[1:] == seen[1:]
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {rotated}"]).name == "argo"

    def test_settled_files_are_not_read_again_and_an_unchanged_read_is_not_logged(self, tmp_path, monkeypatch):
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        store = TokenStore(path)
        with capture_logs() as logs:
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert logs == []
        old_ns = path.stat().st_mtime_ns - 10_000_000_000
        os.utime(path, ns=(old_ns, old_ns))
        report_ctime(monkeypatch, path, old_ns)
        store.authenticate([f"Bearer {TOKEN_A}"])
        reads: list[object] = []
        monkeypatch.setattr(auth_module, "_content_digest", lambda paths: reads.append(paths) or b"")
        store.authenticate([f"Bearer {TOKEN_A}"])
        assert reads == []

    HOUR_NS = 3_600_000_000_000

    def test_a_file_dated_ahead_is_not_read_again(self, tmp_path, monkeypatch):
        # Before: a file whose mtime is in the future (set by hand, a restored backup) never counted as settled,
        # and every request read and hashed the token files again.
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        ahead_ns = path.stat().st_mtime_ns + self.HOUR_NS
        os.utime(path, ns=(ahead_ns, ahead_ns))
        report_ctime(monkeypatch, path, ahead_ns - 2 * self.HOUR_NS)
        store = TokenStore(path)
        reads: list[object] = []
        monkeypatch.setattr(auth_module, "_content_digest", lambda paths: reads.append(paths) or b"")
        for _ in range(3):
            assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        assert reads == []

    def test_a_file_dated_ahead_is_read_when_it_changes(self, tmp_path, monkeypatch):
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        ahead_ns = path.stat().st_mtime_ns + self.HOUR_NS
        os.utime(path, ns=(ahead_ns, ahead_ns))
        store = TokenStore(path)
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        # A rewrite now dates it now: seen at once.
        path.write_text(TOKEN_B)
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {TOKEN_B}"]).name == "argo"

    def test_a_rewrite_when_the_clock_reaches_a_file_dated_ahead_is_seen(self, tmp_path, monkeypatch):
        # Once the clock is within a timestamp tick of the file's mtime, a same-size rewrite in that tick keeps its
        # identity: the identity remembered while the clock was far from it is no longer trusted.
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        ahead_ns = path.stat().st_mtime_ns + self.HOUR_NS
        os.utime(path, ns=(ahead_ns, ahead_ns))
        # Written long ago, and the stat of the rewrite below as it was (a rewrite within the same tick).
        report_ctime(monkeypatch, path, ahead_ns - 2 * self.HOUR_NS)
        store = TokenStore(path)
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        rotated = "c" * len(TOKEN_A)
        path.write_text(rotated)
        os.utime(path, ns=(ahead_ns, ahead_ns))
        monkeypatch.setattr(auth_module.time, "time_ns", lambda: ahead_ns - 1_000_000_000)
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {rotated}"]).name == "argo"

    def test_an_in_place_copy_keeping_the_mtime_of_a_settled_file_is_seen(self, tmp_path, monkeypatch):
        # Before: inode, size and mtime as the last look saw them, the mtime long past: a token file of the same
        # size copied in place with its source's mtime (cp -p, rsync -t --inplace, tar) was never read, and the
        # revoked token stayed accepted. Its ctime, which nothing sets back, tells.
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        hour_ago_ns = path.stat().st_mtime_ns - self.HOUR_NS
        os.utime(path, ns=(hour_ago_ns, hour_ago_ns))
        with monkeypatch.context() as written_long_ago:
            report_ctime(written_long_ago, path, hour_ago_ns)
            store = TokenStore(path)
            assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        rotated = "c" * len(TOKEN_A)
        path.write_text(rotated)
        os.utime(path, ns=(hour_ago_ns, hour_ago_ns))
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {rotated}"]).name == "argo"

    def test_a_second_in_place_copy_within_the_tick_of_the_first_is_seen(self, tmp_path, monkeypatch):
        # Before: a file whose mtime is long past counted as settled though its ctime was within a tick of the
        # look, so a same-size copy keeping the mtime again within that tick (the whole stat as it was) was missed.
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        hour_ago_ns = path.stat().st_mtime_ns - self.HOUR_NS
        os.utime(path, ns=(hour_ago_ns, hour_ago_ns))
        first = path.stat()
        store = TokenStore(path)
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "argo"
        rotated = "c" * len(TOKEN_A)
        path.write_text(rotated)
        os.utime(path, ns=(hour_ago_ns, hour_ago_ns))
        report_ctime(monkeypatch, path, first.st_ctime_ns)
        now = path.stat()
        assert (now.st_ino, now.st_size, now.st_mtime_ns, now.st_ctime_ns) == (
            first.st_ino,
            first.st_size,
            first.st_mtime_ns,
            first.st_ctime_ns,
        )
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {rotated}"]).name == "argo"

    def test_a_removed_token_is_revoked(self, tmp_path):
        root = secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B})
        store = TokenStore(root)
        secret_dir(root, {"sre": TOKEN_B}, revision="2")
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])
        assert store.authenticate([f"Bearer {TOKEN_B}"]).name == "sre"

    def test_empty_and_malformed_files_are_not_tokens(self, tmp_path):
        root = tmp_path / "tokens"
        root.mkdir()
        (root / "empty").write_text("\n")
        (root / "spaces").write_text("has spaces in it\n")
        store = TokenStore(root)
        for header in ("Bearer ", "Bearer has spaces in it", "Bearer has"):
            with pytest.raises(Unauthorized):
                store.authenticate([header])

    def test_a_missing_path_fails_the_start(self, tmp_path):
        # Named as the operator set it: the start fails with the variable to fix.
        with pytest.raises(ConfigError, match=r"^ANALYZER_AUTH_TOKENS path '.*/nope' does not exist$"):
            TokenStore(tmp_path / "nope")
        (tmp_path / "tokens").write_text(TOKEN_A)
        with pytest.raises(ConfigError, match=r"^ANALYZER_AUTH_ALLOW path '.*/nope' does not exist$"):
            TokenStore(tmp_path / "tokens", tmp_path / "nope")

    def test_a_token_file_that_disappears_admits_nobody(self, tmp_path):
        path = tmp_path / "argo"
        path.write_text(TOKEN_A)
        store = TokenStore(path)
        path.unlink()
        with pytest.raises(Unauthorized):
            store.authenticate([f"Bearer {TOKEN_A}"])


class TestSessions:
    """A browser's sign-in is signed with its token, not the token: it names the caller until it expires or the
    token is rotated, on any replica holding the token, and never passes for a token."""

    NOW_S = 1_800_000_000.0

    @pytest.fixture
    def root(self, tmp_path):
        return secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B})

    def test_a_sign_in_names_its_caller_on_every_replica(self, root):
        cookie = session_cookie(TOKEN_B, self.NOW_S)
        # Two stores of the same files: two replicas, no state shared.
        for store in (TokenStore(root), TokenStore(root)):
            assert store.authenticate_session(cookie, self.NOW_S + 60).name == "sre"

    def test_the_cookie_holds_neither_the_token_nor_anything_accepted_as_one(self, root):
        store = TokenStore(root)
        cookie = session_cookie(TOKEN_A, self.NOW_S)
        assert TOKEN_A not in cookie and TOKEN_A[:8] not in cookie
        with pytest.raises(Unauthorized, match="invalid bearer token"):
            store.authenticate([f"Bearer {cookie}"])

    def test_it_expires(self, root):
        store = TokenStore(root)
        cookie = session_cookie(TOKEN_A, self.NOW_S)
        assert store.authenticate_session(cookie, self.NOW_S + SESSION_MAX_AGE_S - 1).name == "argo"
        for later_s in (SESSION_MAX_AGE_S, 30 * 86400):
            with pytest.raises(Unauthorized, match="expired"):
                store.authenticate_session(cookie, self.NOW_S + later_s)

    def test_an_expiry_beyond_the_longest_sign_in_is_refused(self, root):
        """Even signed with the token: a sign-in lasts SESSION_MAX_AGE_S at most, whatever the cookie says."""
        store = TokenStore(root)
        far = session_cookie(TOKEN_A, self.NOW_S + 86400)
        with pytest.raises(Unauthorized, match="expired"):
            store.authenticate_session(far, self.NOW_S)

    def test_rotating_the_token_ends_its_sign_ins(self, root):
        store = TokenStore(root)
        cookie = session_cookie(TOKEN_A, self.NOW_S)
        secret_dir(root, {"argo": "rotated-" + "r" * 40, "sre": TOKEN_B}, revision="2")
        with pytest.raises(Unauthorized, match="no longer accepted"):
            store.authenticate_session(cookie, self.NOW_S + 60)

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda c: c.replace(".", ".1", 1),  # a later expiry, same MAC
            lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # another MAC
            lambda c: c.upper(),
            lambda c: c + "0",
            lambda c: "v2" + c[2:],
            lambda c: TOKEN_A,  # a cookie from before sessions were signed: the raw token
            lambda c: "",
        ],
    )
    def test_anything_else_is_refused(self, root, tamper):
        store = TokenStore(root)
        with pytest.raises(Unauthorized):
            store.authenticate_session(tamper(session_cookie(TOKEN_A, self.NOW_S)), self.NOW_S + 60)

    def test_a_mac_under_the_raw_token_is_not_a_sign_in(self, root):
        """The key is derived from the token for sign-ins only: an HMAC the token keys elsewhere does not open."""
        expires_s = int(self.NOW_S) + 60
        sign_in_id = "0" * 32
        mac = hmac.new(TOKEN_A.encode(), f"v1|{expires_s}|{sign_in_id}".encode(), hashlib.sha256).hexdigest()
        with pytest.raises(Unauthorized, match="no longer accepted"):
            TokenStore(root).authenticate_session(f"v1.{expires_s}.{sign_in_id}.{mac}", self.NOW_S)


class TestSignOut:
    """Signing out ends that sign-in on this replica until it expires, the token's other sign-ins unaffected, in a
    memory that forgets what has expired and stays bounded per caller."""

    NOW_S = 1_800_000_000.0

    @pytest.fixture
    def root(self, tmp_path):
        return secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B})

    def test_the_cookie_signed_out_is_refused_and_no_other(self, root):
        store = TokenStore(root)
        signed_out, other = session_cookie(TOKEN_A, self.NOW_S), session_cookie(TOKEN_A, self.NOW_S)
        assert store.sign_out(signed_out, self.NOW_S + 60).name == "argo"
        with pytest.raises(Unauthorized, match="signed out"):
            store.authenticate_session(signed_out, self.NOW_S + 61)
        assert store.authenticate_session(other, self.NOW_S + 61).name == "argo"
        # Another replica never heard of it.
        assert TokenStore(root).authenticate_session(signed_out, self.NOW_S + 61).name == "argo"

    def test_a_cookie_not_valid_here_is_not_remembered(self, root):
        store = TokenStore(root)
        with pytest.raises(Unauthorized):
            store.sign_out(session_cookie("unknown-" + "u" * 40, self.NOW_S), self.NOW_S + 60)
        with pytest.raises(Unauthorized, match="expired"):
            store.sign_out(session_cookie(TOKEN_A, self.NOW_S), self.NOW_S + SESSION_MAX_AGE_S)
        assert store._signed_out == {}

    def test_what_has_expired_is_forgotten(self, root):
        store = TokenStore(root)
        store.sign_out(session_cookie(TOKEN_A, self.NOW_S), self.NOW_S + 60)
        later_s = self.NOW_S + SESSION_MAX_AGE_S
        store.sign_out(session_cookie(TOKEN_B, later_s), later_s + 60)
        assert {caller: len(ids) for caller, ids in store._signed_out.items()} == {"sre": 1}

    def test_beyond_the_bound_every_earlier_sign_in_of_the_caller_ends(self, root):
        store = TokenStore(root)
        earlier = session_cookie(TOKEN_A, self.NOW_S)
        for second in range(1001):
            store.sign_out(session_cookie(TOKEN_A, self.NOW_S + second), self.NOW_S + second)
        assert store._signed_out.get("argo", {}) == {}
        with pytest.raises(Unauthorized, match="signed out"):
            store.authenticate_session(earlier, self.NOW_S + 2000)
        assert store.authenticate_session(session_cookie(TOKEN_A, self.NOW_S + 1001), self.NOW_S + 2000).name == "argo"
        assert store.authenticate_session(session_cookie(TOKEN_B, self.NOW_S), self.NOW_S + 2000).name == "sre"

    def test_beyond_the_bound_the_latest_signed_out_ends_too(self, root):
        # The merged bound is that sign-in's own expiry: it is included, with any sign-in of that same second.
        store = TokenStore(root)
        signed_out = [session_cookie(TOKEN_A, self.NOW_S + second) for second in range(1001)]
        same_second = session_cookie(TOKEN_A, self.NOW_S + 1000)
        for second, cookie in enumerate(signed_out):
            store.sign_out(cookie, self.NOW_S + second)
        for cookie in (signed_out[-1], same_second):
            with pytest.raises(Unauthorized, match="signed out"):
                store.authenticate_session(cookie, self.NOW_S + 2000)

    def test_the_bound_outlives_later_sign_outs(self, root):
        # Forgetting what has expired must not forget a bound still in force.
        store = TokenStore(root)
        earlier = session_cookie(TOKEN_A, self.NOW_S)
        for second in range(1001):
            store.sign_out(session_cookie(TOKEN_A, self.NOW_S + second), self.NOW_S + second)
        store.sign_out(session_cookie(TOKEN_B, self.NOW_S + 1500), self.NOW_S + 1500)
        store.sign_out(session_cookie(TOKEN_A, self.NOW_S + 1600), self.NOW_S + 1600)
        with pytest.raises(Unauthorized, match="signed out"):
            store.authenticate_session(earlier, self.NOW_S + 2000)


class TestSignInBounds:
    """A sign-in is accepted up to the clock skew the replicas may have beyond its longest life, not a second more."""

    NOW_S = 1_800_000_000.0
    SKEW_S = 300

    def test_an_expiry_within_the_skew_is_accepted_and_one_second_more_is_not(self, tmp_path):
        store = TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A}))
        # Issued by a replica whose clock is ahead by the skew: its expiry is the latest this one accepts.
        ahead = session_cookie(TOKEN_A, self.NOW_S + self.SKEW_S)
        assert store.authenticate_session(ahead, self.NOW_S).name == "argo"
        with pytest.raises(Unauthorized, match="expired"):
            store.authenticate_session(session_cookie(TOKEN_A, self.NOW_S + self.SKEW_S + 1), self.NOW_S)


class TestSignInForm:
    """A login cookie of the signed form is told apart from one of an older release, which held the token."""

    def test_a_sign_in_has_the_form_and_a_token_has_not(self):
        assert is_sign_in(session_cookie(TOKEN_A, 1_800_000_000.0))
        assert not is_sign_in(TOKEN_A)
        assert not is_sign_in("v1.1800028800." + "0" * 32 + "." + "0" * 63)


class TestMalformedBearer:
    """A bearer value that is not token68 (a space inside, a non-ASCII character) is refused as malformed."""

    @pytest.mark.parametrize("credentials", ["tök" + "x" * 20, "aaaa bbbb", "a,b"])
    def test_it_is_refused_as_malformed(self, tmp_path, credentials):
        store = TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A}))
        with pytest.raises(Unauthorized, match="malformed"):
            store.authenticate([f"Bearer {credentials}"])


class TestAllowList:
    """The allow-list limits tokens to check-name patterns; tokens it does not name may use nothing."""

    @pytest.fixture
    def store(self, tmp_path):
        allow = tmp_path / "allow.yaml"
        allow.write_text('argo: ["payments-*", "checkout-smoke"]\nsre: ["*"]\n')
        return TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B, "ci": "c" * 32}), allow)

    def test_patterns_limit_a_token(self, store):
        argo = store.authenticate([f"Bearer {TOKEN_A}"])
        assert argo.may_use("payments-error-rate") and argo.may_use("checkout-smoke")
        assert not argo.may_use("checkout-smoke-2") and not argo.may_use("PAYMENTS-x")
        with pytest.raises(Forbidden, match="argo"):
            argo.require("orders-latency")

    def test_a_token_missing_from_the_list_may_use_nothing(self, store):
        ci = store.authenticate([f"Bearer {'c' * 32}"])
        assert not ci.may_use("payments-error-rate")

    def test_without_an_allow_list_every_check_is_allowed(self):
        assert Principal("x").may_use("anything")

    @pytest.mark.parametrize("text", ["- a\n- b\n", "argo: payments-*\n", "argo: [1]\n", "argo: ['']\n", ": ["])
    def test_an_invalid_allow_list_fails_the_start(self, tmp_path, text):
        allow = tmp_path / "allow.yaml"
        allow.write_text(text)
        with pytest.raises(ConfigError, match="allow-list"):
            TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A}), allow)

    @pytest.mark.parametrize(
        ("text", "named"),
        [("argo: payments-*\n", "'argo' must map to a list"), ('argo: ["payments-*"]\nsre: ["*"\n', "line 2")],
    )
    def test_an_invalid_allow_list_at_the_start_names_its_entry(self, tmp_path, text, named):
        allow = tmp_path / "allow.yaml"
        allow.write_text(text)
        with pytest.raises(ConfigError, match=named):
            TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A}), allow)


class TestAllowListBrokenOnReload:
    """An allow-list that stops validating while the service runs refuses no caller its valid entries allow:
    the entries it holds as they were stay, never more; a token removed from the Secret is refused."""

    GOOD = 'argo: ["payments-*", "checkout-smoke"]\nsre: ["*"]\n'

    @pytest.fixture
    def store(self, tmp_path):
        (tmp_path / "allow.yaml").write_text(self.GOOD)
        return TokenStore(
            secret_dir(tmp_path / "tokens", {"argo": TOKEN_A, "sre": TOKEN_B, "ci": "c" * 32}), tmp_path / "allow.yaml"
        )

    @staticmethod
    def allowed(store, token):
        return store.authenticate([f"Bearer {token}"]).allowed

    def test_an_entry_that_is_no_list_refuses_only_its_token(self, store, tmp_path):
        # Before: every caller, Argo included, was answered 401 until the file was fixed.
        (tmp_path / "allow.yaml").write_text('argo: ["payments-*"]\nsre: "*"\n')
        with capture_logs() as logs:
            assert self.allowed(store, TOKEN_A) == ("payments-*",)  # the file's valid entry, as it now says
            assert self.allowed(store, TOKEN_B) == ()
        rejected = next(log for log in logs if log["event"] == "auth_allow_list_rejected")
        assert "'sre' must map to a list" in rejected["problem"] and rejected["revoked"] == ["sre"]
        assert store.usable()

    def test_a_file_that_does_not_parse_keeps_the_entries_it_holds_unchanged(self, store, tmp_path):
        # sre's entry loses its bracket; argo's is as it was.
        (tmp_path / "allow.yaml").write_text('argo: ["payments-*", "checkout-smoke"]\n# a comment\nsre: ["*"\n')
        assert self.allowed(store, TOKEN_A) == ("payments-*", "checkout-smoke")
        assert self.allowed(store, TOKEN_B) == ()
        assert self.allowed(store, "c" * 32) == ()

    def test_an_entry_narrowed_with_a_typo_is_not_kept_wide(self, store, tmp_path):
        (tmp_path / "allow.yaml").write_text('argo: ["payments-*"\nsre: ["*"]\n')
        assert self.allowed(store, TOKEN_A) == ()
        assert self.allowed(store, TOKEN_B) == ("*",)

    def test_an_entry_removed_from_a_file_that_does_not_parse_is_revoked(self, store, tmp_path):
        (tmp_path / "allow.yaml").write_text('argo: ["payments-*", "checkout-smoke"]\nci: [oops\n')
        assert self.allowed(store, TOKEN_B) == ()
        assert self.allowed(store, TOKEN_A) == ("payments-*", "checkout-smoke")

    def test_an_unchanged_entry_whose_alias_changed_is_revoked(self, tmp_path):
        # argo's line is as it was, but the anchor it names now says "*": read alone, it is not kept.
        (tmp_path / "allow.yaml").write_text('base: &p ["payments-*"]\nargo: *p\n')
        store = TokenStore(secret_dir(tmp_path / "tokens", {"argo": TOKEN_A}), tmp_path / "allow.yaml")
        assert self.allowed(store, TOKEN_A) == ("payments-*",)
        (tmp_path / "allow.yaml").write_text('base: &p ["*"]\nargo: *p\nbroken: [\n')
        assert self.allowed(store, TOKEN_A) == ()

    def test_a_token_removed_from_the_secret_is_refused(self, store, tmp_path):
        (tmp_path / "allow.yaml").write_text('argo: ["payments-*", "checkout-smoke"]\nsre: ["*"\n')
        secret_dir(tmp_path / "tokens", {"sre": TOKEN_B, "ci": "c" * 32}, revision="2")
        with pytest.raises(Unauthorized, match="invalid bearer token"):
            store.authenticate([f"Bearer {TOKEN_A}"])

    def test_fixed_it_is_in_force_again(self, store, tmp_path):
        (tmp_path / "allow.yaml").write_text('sre: ["*"\n')
        assert self.allowed(store, TOKEN_B) == ()
        assert store.notes()[0].endswith(
            "in force until it is fixed: the entries of the last good allow-list that "
            "it holds unchanged (none); other tokens may use no check"
        )
        (tmp_path / "allow.yaml").write_text('sre: ["*"]\n')
        assert self.allowed(store, TOKEN_B) == ("*",)
        assert store.notes() == []

    def test_an_unreadable_allow_list_still_admits_nobody(self, store, tmp_path):
        # Not one team's typo: what the file says cannot be known at all.
        (tmp_path / "allow.yaml").write_bytes(b"\xff\xfe")
        with pytest.raises(Unauthorized, match="unusable"):
            store.authenticate([f"Bearer {TOKEN_B}"])
