"""The contract every check kind implements, built-in or third-party."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from analyzer.errors import ArgError, DeadlineExceeded, NoData, UndeclaredMemberError
from analyzer.models import Evaluation, NoDataPolicy, Outcome, Threshold, Verdict
from analyzer.params import (
    ArgValue,
    Param,
    ParamName,
    Variant,
    bind_args,
    piece_refusal,
    secret_pieces,
    shown_args,
)
from analyzer.redaction import REDACTED, is_secret_name
from analyzer.templates import placed_names

if TYPE_CHECKING:
    from analyzer.sources import PrometheusSource, Sources
    from analyzer.sources.http import HttpClient

_CHECK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# The address the hint for an undefined source offers, with what to put there; `analyzer validate --prometheus URL`
# offers URL instead (source_hint_at).
SOURCE_URL_EXAMPLE = "http://prometheus.monitoring:9090"
SOURCE_URL_ADVICE = " with your Prometheus' address"


def check_name_problem(name: str) -> str | None:
    """Why `name` is no check name (`check name '~' must be ...`); None for a check name."""
    if not _CHECK_NAME_RE.fullmatch(name) or ".." in name:
        return f"check name {name!r} must be 1-128 of [A-Za-z0-9._-], starting with a letter or digit, without '..'"
    return None


def _check_name(name: str) -> str:
    problem = check_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


CheckName = Annotated[str, AfterValidator(_check_name)]


class CatalogView(Protocol):
    """What `Check.link` may read of the loaded catalog: its sources and checks, by name."""

    @property
    def sources(self) -> Mapping[str, object]: ...

    @property
    def checks(self) -> Mapping[str, Check]: ...


def source_hint_at(problem: str, url: str) -> str:
    """A catalog problem whose hint for an undefined source offers `url` (the Prometheus `--prometheus` gave, already
    checked to be an http(s) base URL) in place of the example address."""
    return problem.replace(
        f"{{url: {SOURCE_URL_EXAMPLE}}}}}`{SOURCE_URL_ADVICE}",
        f"{{url: {json.dumps(url)}}}}}` (the address the service reaches it at, if not this one, which --prometheus "
        "has this command ask instead)",
    )


class Check(BaseModel):
    """A check kind: a frozen, validated config whose `evaluate` turns a context into a Verdict.

    Subclasses declare `kind: Literal["..."]` and implement `evaluate`; they raise `CheckError`
    subclasses when no measurement can be taken and never catch broadly themselves.
    """

    # A number that is NaN or infinite is no limit (`max_relative_change: .inf` would pass every change) and no
    # answer can carry it: refused where the catalog names it, for every kind.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # True for a kind that uses its args only where its fields place them (`{{ name }}`): the catalog then refuses
    # a param none of them places.
    params_are_placed: ClassVar[bool] = False
    # True for a kind whose own bind_args depends on the raw args and its definition alone (it refuses more, binds
    # the same): the runner keeps its bindings for args that come again, as it does the base binding's.
    binds_args_alone: ClassVar[bool] = False
    # True for a kind that reads its params' `variant` (which names the canary in a query comparing variants); any
    # other refuses it, which would change nothing there.
    reads_param_variants: ClassVar[bool] = False

    kind: str
    name: CheckName
    description: str = ""
    params: dict[ParamName, Param] = Field(default_factory=dict)
    deadline_s: float | None = Field(
        default=None, gt=0, le=300, description="evaluation deadline; the service default (8 s) if unset"
    )
    no_data: NoDataPolicy = Field(
        default=NoDataPolicy.INCONCLUSIVE, description="verdict when there is nothing to judge"
    )
    skip_promql_parse: bool | None = Field(
        default=None,
        description="true: `analyzer validate` does not parse this check's PromQL offline (for a query your "
        "Prometheus accepts and promql-parser does not; `validate --prometheus` still has Prometheus parse it)",
    )

    @field_validator("params")
    @classmethod
    def _variants_read(cls, params: dict[str, Param]) -> dict[str, Param]:
        """Refuse `variant` where the kind does not read it, and a variant two params name."""
        declared = [(name, param.variant) for name, param in params.items() if param.variant is not None]
        if declared and not cls.reads_param_variants:
            raise ValueError(
                f"{declared[0][0]}.variant: this kind does not read it (a prometheus check does; kpi_compare names "
                "its variants by its canary and baseline queries): remove it"
            )
        canary = [name for name, variant in declared if variant is Variant.CANARY]
        if len(canary) > 1:
            raise ValueError(f"{' and '.join(canary)} both declare variant: canary: one param names the canary")
        return params

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """Validated args with defaults filled in; ArgError names the offending arg (a secret one unquoted)."""
        return bind_args(self.params, raw_args, self.secret_params())

    def secret_params(self) -> frozenset[str]:
        """Params whose values are secrets: declared `secret: true`; a kind adds those it places where a secret
        goes (a credential header)."""
        return self._declared_secret_params

    def piece_refusal(self, given: Mapping[str, Any], name: str, problem: str) -> ArgError | None:
        """The refusal (`params.piece_refusal`; `problem`: what is wrong with the arg) that replaces one naming arg
        `name` when it may be the rest of a secret arg's value split at an '&' (`secret_pieces` of `given`, a query
        string's args in order, repeated ones too); None when it may not. Asked by a refusal only."""
        secret = self.secret_params()
        follows = secret_pieces(self.params, given, secret).get(name) if secret else None
        return piece_refusal(follows, self.params, problem) if follows is not None else None

    # In the instance's __dict__: every request asks (its args are bound, shown and logged).
    @functools.cached_property
    def _declared_secret_params(self) -> frozenset[str]:
        # A param named like a secret (`token`, `api_key`, `password`) is one unless the catalog says `secret: false`:
        # its value was shown in args, links, the history and logs.
        return frozenset(name for name, param in self.params.items() if param.secret) | self.secret_by_name()

    def secret_by_name(self) -> frozenset[str]:
        """Params secret only because their names read like a secret's (`token`, but also `keyspace`), the catalog
        writing no `secret` either way."""
        return frozenset(
            name
            for name, param in self.params.items()
            if "secret" not in param.model_fields_set and is_secret_name(name)
        )

    def shown_args(self, args: Mapping[str, ArgValue]) -> dict[str, ArgValue]:
        """`args` as answers, history, logs, JUnit and page links show them: secret values are REDACTED (so a
        link cannot replay them)."""
        return shown_args(args, self.secret_params())

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Take the measurement and judge it."""
        raise NotImplementedError

    @classmethod
    def warm(cls) -> None:
        """Do now what the kind's first evaluation would otherwise pay for (a slow import): `analyzer serve`
        calls it once per kind at start, in a worker thread, before it listens; `analyzer run` never does."""

    def literal_secrets(self) -> list[str]:
        """The secret values the definition itself holds (a credential header written in the catalog), which a
        message about the check's requests may quote: none by default."""
        return []

    def source_names(self) -> frozenset[str]:
        """Names of the catalog sources this check reads."""
        return frozenset()

    def member_names(self) -> frozenset[str]:
        """Names of the catalog checks an evaluation of this one runs (a composite's members): who may not use
        one of them may not use this check either, since its answer carries theirs."""
        return frozenset()

    def member_checks(self) -> tuple[Check, ...]:
        """The checks `member_names()` names as this check was linked to them (its catalog's definitions, whatever
        a reload has made of them since); none by default, for a kind that does not say."""
        return ()

    def measures_the_past(self) -> bool:
        """Whether an evaluation at a past `at` measures that past (stored data); False for a kind that can
        only measure the present (it sends requests now), which `at` would mislabel."""
        return True

    def link(self, catalog: CatalogView) -> None:
        """Check references to the rest of the catalog once it is loaded; ValueError names the problem."""
        for source in sorted(self.source_names()):
            if source not in catalog.sources:
                known = ", ".join(sorted(catalog.sources)) or "none"
                raise ValueError(
                    f"source {source!r} is not defined in `sources` (defined: {known}); add it to a catalog file: "
                    f"`sources: {{{source}: {{url: {SOURCE_URL_EXAMPLE}}}}}`{SOURCE_URL_ADVICE}"
                )

    def warnings(self) -> list[str]:
        """Findings that do not make the check invalid but that its author should know."""
        return []

    def unplaced_params(self) -> list[str]:
        """The declared params that no field of the check places (`{{ name }}`), sorted: an arg given for one
        would change nothing the check measures. None for a kind that does not set `params_are_placed` (it may
        read `ctx.args` itself)."""
        if not self.params_are_placed:
            return []
        placed: set[str] = set()
        pending: list[object] = [self.model_dump(mode="json", exclude={"params", "description"})]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                placed |= placed_names(item)
            elif isinstance(item, dict):
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return sorted(set(self.params) - placed)

    def promql(self, args: Mapping[str, ArgValue]) -> list[tuple[str, str]]:
        """Every PromQL an evaluation with these args sends, as (what it comes from, the query), the fields its
        author wrote first: `analyzer validate` parses them offline. None by default: a kind that sends no PromQL
        (or does not say) is not parsed."""
        return []

    def optional_names(self) -> dict[str, str]:
        """The metric and recording-rule names this check reads but is built to judge without, each with what
        their absence means: `analyzer validate --prometheus` notes such a name missing instead of reporting a
        problem (says nothing when the text is empty: an absence that is normal). None by default: every name a
        check reads must exist."""
        return {}

    def definition(self) -> dict[str, Any]:
        """The check as the API shows it (its sources, which hold the secrets, are redacted apart)."""
        return self.hide_secret_params(self.model_dump(mode="json", exclude_none=True))

    def hide_secret_params(self, data: dict[str, Any]) -> dict[str, Any]:
        """A dumped definition with every secret param marked `secret: true` and its default and example hidden."""
        for name in self.secret_params():
            shown = data.get("params", {}).get(name)
            if shown is not None:
                shown["secret"] = True
                shown.update({key: REDACTED for key in ("default", "example") if key in shown})
        return data

    def no_data_verdict(
        self, reason: str, *, details: dict[str, Any] | None = None, threshold: Threshold = None
    ) -> Verdict:
        """The verdict for "nothing to judge", following the check's `no_data` policy."""
        if self.no_data is NoDataPolicy.ERROR:
            raise NoData(f"{reason} (no_data policy: error)")
        return Verdict(
            outcome=Outcome(self.no_data.value),
            reason=f"{reason} (no_data policy: {self.no_data.value})",
            threshold=threshold,
            details=details or {},
        )


RunCheck = Callable[[str, Mapping[str, Any]], Awaitable[Evaluation]]


class EvalContext:
    """Everything an evaluation may use: bound args, the evaluation time, sources and the deadline."""

    # What `hide_on_crash` was given: a class default, so that an evaluation that gives nothing pays nothing.
    crash_secrets: Sequence[str] = ()

    def __init__(
        self,
        args: Mapping[str, ArgValue],
        evaluation_time: datetime,
        deadline: float,
        sources: Sources,
        run_check: RunCheck | None = None,
        check: Check | None = None,
    ) -> None:
        """`check`: the check being evaluated, whose `member_names()` are all `run_check` may run (none without).
        Not keyword-only: the runner makes one per evaluation by position (keyword arguments to a class cost about
        3k instructions more, a dict of them built for `__init__`)."""
        self.args = dict(args)
        self.evaluation_time = evaluation_time
        self.deadline = deadline
        self.sources = sources
        self._run_check = run_check
        self._check = check
        self._members: frozenset[str] | None = None

    def remaining_s(self) -> float:
        """Seconds left before the deadline (monotonic clock of the running loop)."""
        return self.deadline - asyncio.get_running_loop().time()

    def timeout_s(self) -> float:
        """Time a source call may take now; DeadlineExceeded when nothing is left."""
        # remaining_s() written out: a Python frame fewer on every query a kind sends.
        remaining = self.deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline passed before the next query could start")
        return remaining

    def prometheus(self, name: str) -> PrometheusSource:
        """The named Prometheus source."""
        return self.sources.prometheus(name)

    def http(self) -> HttpClient:
        """The shared outbound HTTP client (allow-lists, address checks, body cap)."""
        return self.sources.http()

    def hide_on_crash(self, values: Sequence[str]) -> None:
        """Have the log and verdict of a crash of this evaluation hide `values` (secrets the kind found while it ran,
        an http_smoke token captured from an answer) as they stand when it crashes: a list the kind fills as it goes
        is read only then."""
        self.crash_secrets = values

    async def run_check(self, name: str, args: Mapping[str, Any]) -> Evaluation:
        """Evaluate another catalog check (for kinds that combine checks) at this context's time; only one the
        check's `member_names()` returns (UndeclaredMemberError otherwise)."""
        if self._members is None:
            self._members = self._check.member_names() if self._check is not None else frozenset()
        if name not in self._members:
            check = self._check
            about = f"kind {check.kind!r} of check {check.name!r}" if check is not None else "a context without a check"
            declared = ", ".join(map(repr, sorted(self._members))) or "none"
            raise UndeclaredMemberError(
                f"{about} ran check {name!r}, which its member_names() does not return (declared: {declared}); "
                "a kind must declare every check it runs, for the auth allow-list to cover it"
            )
        if self._run_check is None:
            raise RuntimeError("this context cannot run other checks")
        return await self._run_check(name, args)
