"""Inbound auth: bearer tokens read from files (a mounted Secret), re-read when they change, compared in
constant time; an optional allow-list says which checks each token may use."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import structlog
import yaml

from analyzer.catalog_paths import mtime_settled
from analyzer.errors import ConfigError, Forbidden, Unauthorized

if TYPE_CHECKING:
    from aiohttp import web

    from analyzer.catalog import Catalog
    from analyzer.check import Check

logger = structlog.get_logger("analyzer.auth")

# RFC 6750 token68 (the characters a bearer token may contain).
_TOKEN68_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
# Shorter tokens are accepted but logged: they can be guessed.
_WEAK_TOKEN_CHARS = 16
_MAX_TOKEN_FILE_BYTES = 4096

# How long a browser's sign-in lasts (the cookie's Max-Age and the expiry it is signed with).
SESSION_MAX_AGE_S = 8 * 3600
# Replicas' clocks may disagree by this much: an expiry this far beyond the longest a sign-in lasts is refused.
_SESSION_CLOCK_SKEW_S = 300
# "v1", the expiry (Unix seconds), the sign-in's random id, and HMAC-SHA256 of the three under the token's
# session key.
_SESSION_RE = re.compile(r"^v1\.([0-9]{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})$")
# The sign-outs a replica remembers per caller (each until its sign-in expires): far more than people signing in
# and out with one token in 8 hours; beyond it, a sign-out ends every earlier sign-in of that token on the replica.
_SIGN_OUTS_KEPT_PER_CALLER = 1000
# The session key is derived for this use only: a MAC of anything else under the token is not a session.
_SESSION_KEY_PURPOSE = b"analyzer ui session key v1"

_Signature = tuple[tuple[str, int, int, int, int], ...]


class _Token(NamedTuple):
    """A token as kept: its SHA-256 (the bearer header is compared with it) and the key its sign-ins are
    signed with; never the token itself."""

    digest: bytes
    session_key: bytes


def _session_key(token: bytes) -> bytes:
    return hmac.new(token, _SESSION_KEY_PURPOSE, hashlib.sha256).digest()


def _session_mac(session_key: bytes, expires_s: int, sign_in_id: str) -> str:
    return hmac.new(session_key, f"v1|{expires_s}|{sign_in_id}".encode("ascii"), hashlib.sha256).hexdigest()


def session_cookie(token: str, now_s: float) -> str:
    """The login cookie's value for a browser that signed in with `token` at `now_s`: not the token, and not
    usable as one; any replica holding the token verifies it (TokenStore.authenticate_session) until it
    expires, SESSION_MAX_AGE_S later, the token is rotated, or it is signed out on that replica."""
    expires_s = int(now_s) + SESSION_MAX_AGE_S
    # Its own id, so that signing it out ends this sign-in only, not another made with the token in that second.
    sign_in_id = secrets.token_hex(16)
    return f"v1.{expires_s}.{sign_in_id}.{_session_mac(_session_key(token.encode('ascii')), expires_s, sign_in_id)}"


def is_sign_in(cookie: str) -> bool:
    """Whether a login cookie has the form session_cookie gives (valid or not): not a token of an older release."""
    return _SESSION_RE.fullmatch(cookie) is not None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its token's name and the check-name patterns it may use (None: all)."""

    name: str
    allowed: tuple[str, ...] | None = None

    @property
    def unrestricted(self) -> bool:
        """Whether the caller may use every check: no allow-list, or the pattern "*" in its entry."""
        return self.allowed is None or "*" in self.allowed

    def may_use(self, check: str) -> bool:
        """Whether this caller may see and run the check of that name."""
        if self.allowed is None:
            return True
        return any(fnmatch.fnmatchcase(check, pattern) for pattern in self.allowed)

    def require(self, check: str) -> None:
        """Forbidden unless the caller may use that check (decided by name, before the catalog is asked)."""
        if not self.may_use(check):
            raise Forbidden(f"token {self.name!r} may not use check {check[:128]!r} (see the auth allow-list)")

    def may_run(self, catalog: Catalog) -> Callable[[str], bool]:
        """Whether this caller may see and run a check of `catalog` by that name: it may use the check and every
        check an evaluation of it runs (a composite's members), whose verdicts and reasons its answer carries."""
        if self.unrestricted:
            return self.may_use
        return lambda check: self.may_use(check) and all(self.may_use(member) for member in catalog.reached(check))

    def check_of(self, catalog: Catalog, name: str) -> Check:
        """The check of that name, when the caller may use it and every check it runs: Forbidden (decided by name
        before the catalog is asked, then for a member), or CheckNotFound suggesting only what it may use."""
        if self.allowed is None:
            # It may use every check (auth off, or a token without an allow-list): nothing to decide by name, on
            # every request's path.
            return catalog.get(name)
        self.require(name)
        check = catalog.get(name, visible=self.may_run(catalog))
        self._require_members(name, catalog)
        return check

    def _require_members(self, check: str, catalog: Catalog) -> None:
        """Forbidden unless the caller may use every check an evaluation of `check` runs, naming a member the
        definition of a check it may use names (its name is the caller's already)."""
        if self.unrestricted or all(self.may_use(member) for member in catalog.reached(check)):
            return
        # Through the caller's checks only: the first alphabetically of everything reached may be a member of
        # another team's composite, a name the caller never wrote and its listings hide.
        pending, seen = [check], {check}
        while pending:
            for member in sorted(catalog.checks[pending.pop(0)].member_names() - seen):
                if not self.may_use(member):
                    raise Forbidden(
                        f"token {self.name!r} may not use check {member[:128]!r}, which {check[:128]!r} runs "
                        "(see the auth allow-list)"
                    )
                seen.add(member)
                pending.append(member)


ANONYMOUS = Principal("anonymous")


def log_auth_failed(request: web.Request, reason: str) -> None:
    """The `auth_failed` line of a refused token: why, and what the request says of its client (cut: it
    is the client's text)."""
    logger.warning(
        "auth_failed",
        reason=reason,
        path=request.path[:200],
        remote=request.remote,
        user_agent=request.headers.get("User-Agent", "")[:120],
    )


def _malformed(credentials: str) -> str:
    """Why a bearer token cannot be one, without quoting it (it may be a real token written wrong)."""
    if not credentials:
        return "the bearer token is empty (nothing after Bearer: an unset variable, or an empty Secret key?)"
    if credentials[:7].lower() == "bearer ":
        # A Secret holding "Bearer <token>" under a header value of "Bearer {{args.analyzer-token}}".
        return (
            "malformed bearer token: it starts with Bearer again, so the header says Bearer twice (a Secret, or "
            "what was pasted, holding 'Bearer <token>'); give only the token"
        )
    if " " in credentials:
        return "malformed bearer token: it holds a space (a token is one word)"
    return (
        "malformed bearer token: it holds a character no token holds (letters, digits and -._~+/, then = padding only)"
    )


def admission_caller(principal: Principal, remote: str | None) -> str:
    """Whom an evaluation is admitted for (analyzer.admission's fair share): the token's name, or the client's
    address when auth is off."""
    return principal.name if principal is not ANONYMOUS else (remote or "")


def _visible_files(path: Path) -> list[Path]:
    return [path / name for name in sorted(os.listdir(path)) if not name.startswith(".")] if path.is_dir() else [path]


def _signature(path: Path, now_ns: int) -> tuple[_Signature, bool]:
    """Identity of every file under `path` (name, inode, size, mtime, ctime): a Secret update changes it; and
    whether every file's mtime and ctime are a timestamp tick from `now_ns` (`mtime_settled`), so that the identity
    can be trusted."""
    signature = []
    settled = True
    for entry in _visible_files(path):
        try:
            stat = entry.stat()
        except FileNotFoundError:
            continue
        # The ctime too: an in-place copy that keeps its source's mtime (cp -p, rsync -t --inplace, tar) changes
        # it alone, and no one can set it back, so it is what a later rewrite of a settled file always changes.
        signature.append((entry.name, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
        settled = settled and mtime_settled(stat.st_mtime_ns, now_ns) and mtime_settled(stat.st_ctime_ns, now_ns)
    return tuple(signature), settled


def _content_digest(reads: list[tuple[Path, int]]) -> bytes:
    """SHA-256 over the visible files under each path, each as far as it is read (`-1`: whole)."""
    digest = hashlib.sha256()
    for path, limit in reads:
        for file in _visible_files(path):
            if file.is_file():
                with file.open("rb") as handle:
                    content = handle.read(limit)
                digest.update(file.name.encode() + b"\0" + len(content).to_bytes(8, "big") + content)
        digest.update(b"\0")
    return digest.digest()


def _token_lines(text: bytes) -> list[bytes]:
    """The lines of `text` that are not blank, when each is a bearer token ([] when one is not)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines if all(_TOKEN68_RE.fullmatch(line.decode("ascii", "replace")) for line in lines) else []


def read_tokens(path: Path, ignored: dict[str, str] | None = None) -> dict[str, _Token]:
    """Token name to SHA-256 of the token and its session key; a directory holds one token per visible file,
    named by it. A file that holds no token is logged and, into `ignored` if given, named with why.

    Empty files are skipped (an empty token would let an empty header in). OSError when unreadable.
    """
    tokens: dict[str, _Token] = {}
    for file in _visible_files(path):
        if not file.is_file():
            continue
        with file.open("rb") as handle:
            raw = handle.read(_MAX_TOKEN_FILE_BYTES + 1)
        if len(raw) > _MAX_TOKEN_FILE_BYTES:
            why = "file larger than 4 KiB"
        else:
            token = raw.strip()
            if not token:
                why = "empty file"
            elif len(lines := _token_lines(token)) > 1:
                # The old and the new token in one file, for a rotation: said so, not "not a bearer token".
                why = (
                    f"it holds {len(lines)} tokens, and a file holds one: for two during a rotation, give a directory "
                    "with one file per token (a Secret's keys)"
                )
            elif not _TOKEN68_RE.fullmatch(token.decode("ascii", "replace")):
                why = "not a bearer token (allowed: letters, digits, -._~+/ and trailing =)"
            else:
                why = ""
        if why:
            logger.warning("auth_token_ignored", token=file.name, reason=why)
            if ignored is not None:
                ignored[file.name] = why
            continue
        if len(token) < _WEAK_TOKEN_CHARS:
            logger.warning("auth_token_weak", token=file.name, chars=len(token))
        digest = hashlib.sha256(token).digest()
        name = file.stem if not path.is_dir() else file.name
        for other, known in tokens.items():
            if hmac.compare_digest(known.digest, digest):
                # Its holders are all named after the last file (and get that name's allow-list entry): one
                # team's token would act as another's.
                logger.warning("auth_token_shared", token=name, same_as=other, effect=f"requests are named {name!r}")
        tokens[name] = _Token(digest, _session_key(token))
    return tokens


def read_allow_list(path: Path) -> dict[str, tuple[str, ...]]:
    """Token name to check-name patterns (fnmatch, case-sensitive); ConfigError naming the problem."""
    return parse_allow_list(_allow_list_text(path), path)


def _allow_list_text(path: Path) -> str:
    """The allow-list file's text; ConfigError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"auth allow-list {str(path)!r}: cannot read: {exc}") from None


def parse_allow_list(text: str, path: Path) -> dict[str, tuple[str, ...]]:
    """The allow-list `text` (of the file at `path`) as token name to check-name patterns; ConfigError naming the
    problem (the line of a YAML error, the entry that is not a list of patterns)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"auth allow-list {str(path)!r}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"auth allow-list {str(path)!r}: expected a mapping of token name to a list of check-name patterns"
        )
    allow: dict[str, tuple[str, ...]] = {}
    for name, patterns in data.items():
        if not _patterns(patterns):
            raise ConfigError(
                f"auth allow-list {str(path)!r}: {name!r} must map to a list of non-empty "
                'check-name patterns, e.g. ["payments-*"]'
            )
        allow[str(name)] = tuple(patterns)
    return allow


def _patterns(value: object) -> bool:
    """Whether an allow-list entry's value is a list of non-empty check-name patterns."""
    return isinstance(value, list) and all(isinstance(p, str) and p for p in value)


# A top-level key of a YAML block mapping at the start of a line: name:, 'name': or "name":.
_TOP_KEY_RE = re.compile(r"""(?:"([^"\\]*)"|'([^']*)'|([^\s"'#:{\[-][^:#]*?))[ \t]*:(?:[ \t]|$)""")


def _entry_texts(text: str) -> dict[str, str | None]:
    """Each top-level entry of an allow-list's text by name: its key's line and the lines below it up to the next
    line at the margin that is no "- item" (comments and blank lines left out); None for a name written twice.
    Read without a YAML parser, so that the entries of a file that does not parse can be told apart."""
    texts: dict[str, list[str]] = {}
    twice: set[str] = set()
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1] not in (" ", "\t") and not (line[:1] == "-" and line[:3] != "---"):
            found = _TOP_KEY_RE.match(line)
            name = next((group for group in found.groups() if group is not None), None) if found else None
            current = None  # a line at the margin that is no key (a broken one, "---") is no entry's
            if name is not None and name in texts:
                twice.add(name)
            elif name is not None:
                current = texts[name] = []
        if current is not None:
            current.append(line)
    return {name: None if name in twice else "\n".join(lines) for name, lines in texts.items()}


def _unchanged_entries(
    text: str, good_text: str, good: Mapping[str, tuple[str, ...]], path: Path
) -> dict[str, tuple[str, ...]]:
    """The entries of the last good allow-list (`good`, read from `good_text`) that the allow-list `text`, which
    does not validate, still holds: in a mapping, each entry that validates, as written (the others' tokens may
    use no check); in a file that does not parse, each entry of `good` written in it exactly as before and that
    parses alone to the same patterns: never an entry the text does not hold as it is kept."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict):
        return {str(name): tuple(patterns) for name, patterns in data.items() if _patterns(patterns)}
    now, before = _entry_texts(text), _entry_texts(good_text)
    kept: dict[str, tuple[str, ...]] = {}
    for name, patterns in good.items():
        entry = now.get(name)
        if entry is None or entry != before.get(name):
            continue
        try:
            alone = parse_allow_list(entry, path)
        except ConfigError:
            continue
        if alone == {name: patterns}:
            kept[name] = patterns
    return kept


class TokenStore:
    """The accepted tokens, re-read from disk whenever a file's identity changes (Secret rotation)."""

    def __init__(self, tokens_path: Path, allow_path: Path | None = None) -> None:
        """Read once now; ConfigError if a path does not exist or cannot be read, so a typo fails the start."""
        for path, what in ((tokens_path, "ANALYZER_AUTH_TOKENS"), (allow_path, "ANALYZER_AUTH_ALLOW")):
            if path is not None and not path.exists():
                raise ConfigError(f"{what} path {str(path)!r} does not exist")
        self.tokens_path = tokens_path
        self.allow_path = allow_path
        self._tokens: Mapping[str, _Token] = {}
        self._allow: Mapping[str, tuple[str, ...]] | None = None
        # The last allow-list that validated, and its text: what a broken one on reload is read against.
        self._good_allow: Mapping[str, tuple[str, ...]] | None = None
        self._good_allow_text = ""
        # Why the allow-list in force is not the file's (it does not validate), and the token files holding no token.
        self.allow_problem: str | None = None
        self.ignored: Mapping[str, str] = {}
        self._seen: tuple[_Signature, _Signature] | None = None
        self._seen_content: bytes | None = None
        # Per caller, the sign-ins signed out on this replica (id -> expiry), and the expiry up to which every
        # sign-in of the caller is signed out (once its sign-outs outnumber what is kept).
        self._signed_out: dict[str, dict[str, int]] = {}
        self._signed_out_through_s: dict[str, int] = {}
        self.problem: str | None = None
        try:
            self._refresh()
        except OSError as exc:
            raise ConfigError(f"ANALYZER_AUTH_TOKENS {str(tokens_path)!r}: cannot read: {exc}") from None
        if self.problem is not None:
            raise ConfigError(self.problem)
        if not self._tokens:
            logger.warning("auth_no_tokens", path=str(tokens_path), effect="every API request is refused")

    def authenticate(self, authorization: list[str]) -> Principal:
        """The caller for the Authorization header values given; Unauthorized when none matches."""
        self._maybe_refresh()
        if not authorization:
            raise Unauthorized("missing Authorization header; send Authorization: Bearer <token>")
        if len(authorization) > 1:
            raise Unauthorized("more than one Authorization header")
        scheme, _, credentials = authorization[0].strip().partition(" ")
        credentials = credentials.strip()
        # The scheme is case-insensitive (RFC 7235); the token is compared byte for byte.
        if scheme.lower() != "bearer":
            # Not quoted: a token sent without its scheme (`-H "Authorization: $TOKEN"`) is the word read as one.
            raise Unauthorized("the Authorization scheme must be Bearer: send Authorization: Bearer <token>")
        if not credentials or not _TOKEN68_RE.fullmatch(credentials):
            raise Unauthorized(_malformed(credentials))
        self._require_usable()
        presented = hashlib.sha256(credentials.encode("ascii")).digest()
        matched: str | None = None
        # Digests of equal length, every token compared: the time taken says nothing about the tokens.
        for name, token in self._tokens.items():
            if hmac.compare_digest(presented, token.digest):
                matched = name
        if matched is None:
            raise Unauthorized("invalid bearer token")
        return self._principal(matched)

    def authenticate_session(self, cookie: str, now_s: float) -> Principal:
        """The caller a login cookie (session_cookie) was issued to, if it has not expired at `now_s`, its token
        is still accepted and it was not signed out here; Unauthorized otherwise (a cookie of another form too:
        sign in again)."""
        self._maybe_refresh()
        found = _SESSION_RE.fullmatch(cookie)
        if found is None:
            raise Unauthorized("the sign-in is not valid (it may predate an upgrade); sign in again")
        expires_s, sign_in_id, mac = int(found.group(1)), found.group(2), found.group(3)
        if not now_s < expires_s <= now_s + SESSION_MAX_AGE_S + _SESSION_CLOCK_SKEW_S:
            raise Unauthorized("the sign-in has expired; sign in again")
        self._require_usable()
        matched: str | None = None
        # Every token's MAC computed and compared, as the bearer header's digest is.
        for name, token in self._tokens.items():
            if hmac.compare_digest(mac, _session_mac(token.session_key, expires_s, sign_in_id)):
                matched = name
        if matched is None:
            raise Unauthorized("the sign-in's token is no longer accepted; sign in again")
        if sign_in_id in self._signed_out.get(matched, {}) or expires_s <= self._signed_out_through_s.get(matched, 0):
            raise Unauthorized("the sign-in was signed out; sign in again")
        return self._principal(matched)

    def sign_out(self, cookie: str, now_s: float) -> Principal:
        """End the sign-in of a login cookie on this replica (until it expires: then it is refused anyway) and
        name its caller; Unauthorized, remembering nothing, when the cookie is not a sign-in valid here."""
        principal = self.authenticate_session(cookie, now_s)
        found = _SESSION_RE.fullmatch(cookie)
        assert found is not None
        # What has expired is refused anyway: forgotten, so that memory holds 8 hours of sign-outs at most.
        for caller in list(self._signed_out):
            alive = {sign_in: expires for sign_in, expires in self._signed_out[caller].items() if expires > now_s}
            self._signed_out[caller] = alive
            if not alive:
                del self._signed_out[caller]
        for caller, through_s in list(self._signed_out_through_s.items()):
            if through_s <= now_s:
                del self._signed_out_through_s[caller]
        signed_out = self._signed_out.setdefault(principal.name, {})
        signed_out[found.group(2)] = int(found.group(1))
        if len(signed_out) > _SIGN_OUTS_KEPT_PER_CALLER:
            # Fail closed: every sign-in of the caller expiring no later than the latest signed out ends too.
            through_s = max(signed_out.values())
            self._signed_out_through_s[principal.name] = max(
                through_s, self._signed_out_through_s.get(principal.name, 0)
            )
            del self._signed_out[principal.name]
            logger.warning("ui_sign_outs_merged", client=principal.name, signed_out_through_s=through_s)
        return principal

    def usable(self) -> bool:
        """Whether some token can be accepted now (the files re-read if they changed): false while they cannot
        be read or hold no token, when every request is refused."""
        self._maybe_refresh()
        return self.problem is None and bool(self._tokens)

    def _require_usable(self) -> None:
        if self.problem is not None:
            raise Unauthorized(
                "the server's token configuration is unusable (its log says why); every request "
                "is refused until it is fixed"
            )
        if not self._tokens:
            # Empty Secret keys (or none that is a bearer token): say so, not "invalid bearer token".
            raise Unauthorized(
                "the server accepts no token: its token files are empty or hold no bearer token (its log "
                "names them, auth_token_ignored); every request is refused until a token is written"
            )

    def _principal(self, name: str) -> Principal:
        if self._allow is None:
            return Principal(name)
        return Principal(name, self._allow.get(name, ()))

    def _maybe_refresh(self) -> None:
        try:
            self._refresh()
        except OSError as exc:
            # Fail closed: a token store we cannot read admits nobody until it can be read again.
            self._tokens = {}
            self._seen = self._seen_content = None
            self._report(f"cannot read auth tokens: {exc}")

    def _refresh(self) -> None:
        now_ns = time.time_ns()
        tokens_seen, tokens_settled = _signature(self.tokens_path, now_ns)
        allow_seen, allow_settled = _signature(self.allow_path, now_ns) if self.allow_path else ((), True)
        seen = (tokens_seen, allow_seen)
        # Trusted only while still settled: a file dated ahead is no longer once the clock comes within a tick of it.
        if seen == self._seen and tokens_settled and allow_settled:
            return
        reads = [(self.tokens_path, _MAX_TOKEN_FILE_BYTES + 1)]
        if self.allow_path is not None:
            reads.append((self.allow_path, -1))
        content = _content_digest(reads)
        # A file written within a timestamp tick of this look may be rewritten with the same size and times: its
        # identity is remembered only once settled, and until then the content tells (and a rotation is seen).
        remembered = seen if tokens_settled and allow_settled else None
        if content == self._seen_content:
            self._seen = remembered
            return
        ignored: dict[str, str] = {}
        tokens = read_tokens(self.tokens_path, ignored)
        allow = None
        allow_problem = None
        if self.allow_path is not None:
            try:
                text = _allow_list_text(self.allow_path)
                try:
                    allow = parse_allow_list(text, self.allow_path)
                except ConfigError as exc:
                    if self._good_allow is None:
                        raise  # none validated yet (the start, which this fails): nothing to keep
                    # One team's typo must not refuse every caller, Argo included: the last good entries the file
                    # still holds as they were stay, the others' tokens may use no check (never more than before,
                    # nor than the file says). The token files are read as ever: a token removed is refused.
                    allow = _unchanged_entries(text, self._good_allow_text, self._good_allow, self.allow_path)
                    allow_problem = exc.message
                else:
                    self._good_allow, self._good_allow_text = allow, text
            except ConfigError as exc:
                self._tokens, self._seen, self._seen_content = {}, remembered, content
                self._report(exc.message)
                return
        self._tokens, self._allow, self._seen, self._seen_content = tokens, allow, remembered, content
        self.problem, self.ignored = None, ignored
        if allow_problem is not None and allow is not None and self._good_allow is not None:
            revoked = sorted(set(self._good_allow) - set(allow))
            logger.error(
                "auth_allow_list_rejected",
                problem=allow_problem,
                kept=sorted(allow),
                revoked=revoked,
                effect="entries the file no longer holds as they were may use no check until it is fixed",
            )
        self.allow_problem = allow_problem
        logger.info("auth_tokens_loaded", tokens=sorted(tokens), restricted=sorted(allow or {}))

    def notes(self) -> list[str]:
        """What an operator should fix that leaves the tokens usable: the allow-list in force is not the file's (it
        does not validate), token files that hold no token."""
        notes = []
        if self.allow_problem is not None:
            kept = ", ".join(sorted(self._allow or {})) or "none"
            notes.append(
                f"{self.allow_problem}; in force until it is fixed: the entries of the last good allow-list that it "
                f"holds unchanged ({kept}); other tokens may use no check"
            )
        notes += [f"token file {name!r} ignored: {why}" for name, why in sorted(self.ignored.items())]
        return notes

    def _report(self, problem: str) -> None:
        if problem != self.problem:
            logger.error("auth_tokens_unusable", problem=problem, effect="every API request is refused")
        self.problem = problem
