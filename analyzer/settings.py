"""Service settings: defaults, overridden by ANALYZER_* environment variables, then by CLI flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from analyzer.errors import ConfigError
from analyzer.logs import LogFormat
from analyzer.sources.hosts import DEFAULT_ALLOWED_HOSTS

if TYPE_CHECKING:
    from analyzer.sources.httppolicy import HttpPolicy

ENV_PREFIX = "ANALYZER_"
# A Kubernetes Service's Docker link variable (`<SERVICE>_PORT=tcp://10.96.0.12:8080`).
_SERVICE_LINK_RE = re.compile(r"(?:tcp|udp|sctp)://[^\s/]+:[0-9]+")
_SECONDS_IN = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
# The other variables Kubernetes writes for a Service (`ANALYZER_SERVICE_HOST`, `ANALYZER_PORT_8080_TCP_ADDR`).
_KUBERNETES_VARIABLE_RE = re.compile(
    r"[A-Z0-9_]*?(?:_SERVICE_HOST|_SERVICE_PORT(?:_[A-Z0-9_]+)?|_PORT_[0-9]+_(?:TCP|UDP|SCTP)(?:_[A-Z]+)?)"
)
# Settings that also have a command-line flag (`--log-format` for log_format); the others are env-only.
FLAG_SETTINGS = frozenset({"catalog", "host", "port", "log_format"})
# Settings whose variable, set but empty, is refused rather than read as unset: unset, each leaves a door open (no
# auth at all, every token may use every check), and an empty value is a path that did not get filled in (a Helm
# value or a ConfigMap key left empty), never a wish to turn auth off.
_REFUSED_EMPTY = {
    "auth_tokens": "which would turn auth off: give the path of the token file or directory (a mounted Secret), or "
    "leave the variable out to run without auth",
    "auth_allow": "which would let every token use every check: give the path of the allow-list file, or leave the "
    "variable out",
}

# What serving without each auth setting does.
_UNSET_AUTH = {
    ENV_PREFIX + "AUTH_TOKENS": "auth is off (every caller is served without a token)",
    ENV_PREFIX + "AUTH_ALLOW": "every token may use every check",
}


# The words of a variable's name that make it an auth setting's (`ANALYZER_AUTH`, `ANALYZER_BEARER_TOKENS`).
_AUTH_WORD_RE = re.compile(r"AUTH|TOKEN|BEARER|ALLOW")


def _split_commas(value: Any) -> Any:
    """Environment variables hold lists as comma-separated text."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


# The HTTP policy's module is imported when an HTTP setting is set or used: a Job of another kind does not need it.
def _host_patterns(value: tuple[str, ...]) -> tuple[str, ...]:
    from analyzer.sources.httppolicy import HostAllowList

    return HostAllowList.parse(value).patterns


def _networks(value: tuple[str, ...]) -> tuple[str, ...]:
    from analyzer.sources.httppolicy import parse_networks

    return tuple(str(network) for network in parse_networks(value))


# What a shutdown keeps of shutdown_timeout_s for after the drain: the final close, closing the sources and exiting
# (0.33 s measured), so that the whole shutdown, not only its drain, ends within the timeout.
CLOSE_RESERVE_S = 0.5

HostPatterns = Annotated[tuple[str, ...], BeforeValidator(_split_commas), AfterValidator(_host_patterns)]
Networks = Annotated[tuple[str, ...], BeforeValidator(_split_commas), AfterValidator(_networks)]


class Settings(BaseModel):
    """How the service runs; each field can be set as ANALYZER_<FIELD> (e.g. ANALYZER_PORT=8080)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    catalog: Path | None = Field(default=None, description="catalog file or directory")
    host: str = Field(default="0.0.0.0", description="address to listen on")  # noqa: S104 (a pod's port)
    port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        description="port to listen on; --port 0: a free one the OS picks, which `serve` names once it listens (a "
        "line `listening on http://HOST:PORT` on stdout, and analyzer_listening's port); ANALYZER_PORT=0 is refused "
        "(a pod no Service could reach)",
    )
    deadline_s: float = Field(
        default=8.0, gt=0, le=300, description="default evaluation deadline; below Argo's 10 s web timeout"
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="largest POST body accepted")
    max_query_bytes: int = Field(default=8 * 1024, ge=256, description="longest query string accepted")
    log_format: LogFormat = Field(default="json", description="json or console")
    log_level: str = Field(default="info", description="debug, info, warning or error")
    shutdown_timeout_s: float = Field(
        default=20.0,
        ge=0,
        le=3600,
        description="on SIGTERM, how long the shutdown may take: in-flight evaluations may finish in all of it "
        "but its last 0.5 s, kept for closing",
    )
    auth_tokens: Path | None = Field(
        default=None,
        description="bearer tokens: a file (one token) or a directory (a mounted Secret: one "
        "token per file, named by the file); unset: no auth; set but empty: `analyzer serve` refuses to start",
    )
    auth_allow: Path | None = Field(
        default=None,
        description="YAML file mapping token names to the check-name patterns they may use; "
        "a token it does not list may use no check; set but empty: `analyzer serve` refuses to start",
    )
    max_concurrent_evaluations: int = Field(
        default=64,
        ge=1,
        le=10000,
        description="evaluations running at once; beyond it they wait "
        "in a queue that is fair per caller (max_queued_evaluations)",
    )
    retry_after_s: int = Field(default=2, ge=1, le=300, description="Retry-After of a 429 or 503 answer")
    body_read_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="longest time a client may take to send a request body"
    )
    keepalive_timeout_s: float = Field(
        default=15.0, gt=0, le=3600, description="idle time before a keep-alive connection is closed"
    )
    header_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="longest a client may take to send its request line and headers, "
        "from the connection's opening or from the first byte of a later request; "
        "beyond it 408 and the connection is closed",
    )
    send_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="longest a client may leave the answer sent to it unread (the connection's send buffer full); "
        "beyond it the connection is cut",
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="open connections on the API port; beyond it a new connection "
        "gets 503 and is closed (keep it below the open-file limit)",
    )
    max_header_bytes: int = Field(
        default=8190, ge=1024, le=65536, description="longest request header (name and value); beyond it 431"
    )
    max_queued_evaluations: int = Field(
        default=1000,
        ge=0,
        le=100000,
        description="evaluations that may wait for a slot when max_concurrent_evaluations are running; beyond it 429",
    )
    queue_timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="longest an evaluation waits for a slot before 429; keep "
        "deadline_s + queue_timeout_s below the caller's timeout",
    )
    probe_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="a second port serving only /healthz and /readyz, outside the "
        "connection cap, for the kubelet's probes; 0: none",
    )
    catalog_poll_s: float = Field(
        default=5.0, ge=0, le=3600, description="how often the catalog path is checked for changes; 0: only SIGHUP"
    )
    probe_sources: bool = Field(
        default=True,
        description="send each Prometheus source the query `1` when a catalog goes into service (start, and a "
        "reload that changes it) and, while one does not answer, again after 15 s doubling to 5 min (while it answers, "
        "every minute), logging "
        "source_reachable or source_unreachable and setting analyzer_source_up; "
        "never affects readiness",
    )
    reuse_window_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="how long a finished evaluation also answers identical requests "
        "(same check, args and at); 0: only while in flight",
    )
    history_size: int = Field(
        default=1000, ge=1, le=100000, description="verdicts kept in memory for GET /api/v1/verdicts"
    )
    http_allowed_hosts: HostPatterns = Field(
        default=DEFAULT_ALLOWED_HOSTS,
        description="host patterns HTTP checks may reach, on top of each check's "
        "own allowed_hosts: name, *.suffix, *, IP or CIDR (comma-separated in the environment)",
    )
    http_allowed_networks: Networks = Field(
        default=(),
        description="networks HTTP checks may connect to although they are loopback, link-local, "
        "metadata or shared (100.64.0.0/10) addresses or IPv6 transition ranges (Teredo, 6to4, NAT64), e.g. "
        "127.0.0.0/8 (comma-separated in the environment)",
    )
    http_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="most response body bytes an HTTP check reads"
    )
    http_body_budget_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="response body bytes all in-flight HTTP check requests may hold at once, a body's decoded "
        "text included (each request reserves its body cap, twice when body assertions read it, before it is "
        "sent, and waits up to its step's timeout_s when the budget is taken); the default fits the pod memory "
        "limits of deploy/ (448Mi for the service, 256Mi for a smoke-test Job)",
    )

    @model_validator(mode="after")
    def _auth_allow_needs_tokens(self) -> Settings:
        if self.auth_allow is not None and self.auth_tokens is None:
            raise ValueError(
                "ANALYZER_AUTH_ALLOW is set but ANALYZER_AUTH_TOKENS is not: an allow-list without tokens would "
                "leave the API open"
            )
        return self

    @model_validator(mode="after")
    def _budget_holds_one_body(self) -> Settings:
        if self.http_body_budget_bytes < 2 * self.http_max_body_bytes:
            raise ValueError(
                f"ANALYZER_HTTP_BODY_BUDGET_BYTES ({self.http_body_budget_bytes}) is below twice "
                f"ANALYZER_HTTP_MAX_BODY_BYTES ({self.http_max_body_bytes}): not even one response "
                "body and its text would fit"
            )
        return self

    @property
    def drain_s(self) -> float:
        """How long a shutdown lets in-flight evaluations finish: shutdown_timeout_s but CLOSE_RESERVE_S."""
        return max(0.0, self.shutdown_timeout_s - CLOSE_RESERVE_S)

    def http_policy(self) -> HttpPolicy:
        """The limits every HTTP check runs under."""
        from analyzer.sources.httppolicy import HostAllowList, HttpPolicy, parse_networks

        return HttpPolicy(
            allowed_hosts=HostAllowList(self.http_allowed_hosts),
            allowed_networks=parse_networks(self.http_allowed_networks),
            max_body_bytes=self.http_max_body_bytes,
            body_budget_bytes=self.http_body_budget_bytes,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, serving: bool = False, **overrides: Any) -> Settings:
        """Settings from ANALYZER_* variables, then explicit overrides (None values are ignored); `serving`: for the
        service, which refuses its auth variables set but empty or misspelt (a Job's `analyzer run` reads no auth
        setting)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        empty: list[str] = []
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if serving and environ.get(key) == "" and name in _REFUSED_EMPTY:
                empty.append(f"{key} is set but empty, {_REFUSED_EMPTY[name]}")
            elif key in environ and environ[key] != "" and not _service_link(name, environ[key]):
                values[name] = environ[key]
        if serving and overrides.get("port") is None and _is_zero(values.get("port")):
            # A Deployment's env saying 0 starts a pod listening on a port no Service, probe or Argo url can name:
            # refused, not warned (a warning in a pod's log is read after the rollout stalled). --port 0 stays: a
            # test or a local run reads the port serve prints.
            empty.append(
                f"{ENV_PREFIX}PORT is 0, a free port the OS picks, which no Service or probe can name: write the port "
                "the Service targets (8080), or give --port 0 on the command line for a local run"
            )
        if serving:
            empty += _auth_misspelt(environ)
        if empty:
            raise ConfigError("invalid settings", empty)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [
                f"{_setting_names(str(err['loc'][0]))}: {err['msg']}{_written(err)}"
                if err["loc"]
                else str(err["msg"]).removeprefix("Value error, ")
                for err in exc.errors()
            ]
            raise ConfigError("invalid settings", problems) from None


def _auth_misspelt(environ: Mapping[str, str]) -> list[str]:
    """Why `serve` refuses each ANALYZER_* variable naming no setting that most likely means an auth setting not set
    itself (`ANALYZER_AUTH_TOKEN`, the S missing): a warning would be read after the service served without auth. A
    name like no setting with an auth word in it means one too (`ANALYZER_AUTH`, `ANALYZER_BEARER_TOKENS`: auth fails
    closed); not one like another setting (`ANALYZER_HTTP_ALLOW_HOSTS`)."""
    problems = []
    for variable, meant in unknown_variables(environ):
        if meant is None and (words := _AUTH_WORD_RE.findall(variable.removeprefix(ENV_PREFIX))):
            meant = ENV_PREFIX + ("AUTH_ALLOW" if words == ["ALLOW"] else "AUTH_TOKENS")
        if meant in _UNSET_AUTH and meant not in environ:
            problems.append(
                f"{variable} is set, which names no setting: did you mean {meant}? Unset, {_UNSET_AUTH[meant]}: "
                "rename the variable, or remove it"
            )
    return problems


def _is_zero(value: Any) -> bool:
    """Whether an environment variable's text is the number 0 (`0`, `00`, ` 0 `, `0.0`), as the int field reads it."""
    try:
        # As a float: pydantic's int field reads "0.0" as 0, which int() refuses.
        return float(str(value).strip()) == 0
    except ValueError:
        return False


def _service_link(name: str, value: str) -> bool:
    """Whether `value` of a port setting is what Kubernetes writes for a Service of the pod's namespace named after the
    setting (`ANALYZER_PORT=tcp://10.96.0.12:8080` for a Service `analyzer`, as deploy/base names it; its Docker link
    variable): not the user's, who writes a number, and whose own variable Kubernetes never overrides."""
    return name.endswith("port") and _SERVICE_LINK_RE.fullmatch(value) is not None


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """The ANALYZER_* variables of `environ` that name no setting (misspelt, `ANALYZER_AUTH_TOKEN`, its setting is
    silently at its default: no auth), each with the variable it most likely means; Kubernetes' own are left out."""
    import difflib  # only at serve's start

    known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    names = [name.upper() for name in Settings.model_fields]

    def meant(key: str) -> str | None:
        # Without the prefix all share, which would make any two names look alike.
        close = difflib.get_close_matches(key.removeprefix(ENV_PREFIX), names, n=1, cutoff=0.7)
        return ENV_PREFIX + close[0] if close else None

    return [
        (key, meant(key))
        for key in sorted(environ)
        if key.startswith(ENV_PREFIX)
        and key not in known
        and not _KUBERNETES_VARIABLE_RE.fullmatch(key)
        and not _SERVICE_LINK_RE.fullmatch(environ[key])
    ]


def _written(error: Mapping[str, Any]) -> str:
    """What to say after a value of the wrong form: the text given, and the number to write for a duration given with
    a unit (`ANALYZER_DEADLINE_S=8s`)."""
    written = error.get("input")
    if error["type"] not in ("float_parsing", "int_parsing", "literal_error", "enum") or not isinstance(written, str):
        return ""
    from analyzer.models import clip, format_number  # only for invalid settings

    name = str(error["loc"][0])
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*", written)
    hint = ""
    if found is not None and name.endswith("_s"):
        seconds = float(found[1]) * _SECONDS_IN[found[2]]
        hint = f"; {ENV_PREFIX + name.upper()} is in seconds (its name ends in _S): write {format_number(seconds)}"
    return f", got {clip(repr(written), 80)}{hint}"


def _setting_names(name: str) -> str:
    """How a user sets `name`: its environment variable, and its flag when it has one."""
    variable = ENV_PREFIX + name.upper()
    return f"{variable} / --{name.replace('_', '-')}" if name in FLAG_SETTINGS else variable
