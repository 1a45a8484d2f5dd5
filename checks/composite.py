"""Kind `composite`: a scorecard over other catalog checks (all, any, or a weighted score)."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ModelWrapValidatorHandler, PrivateAttr, model_validator

from analyzer.kinds import (
    PAST_TIME_NOTE,
    REDACTED,
    ArgError,
    ArgValue,
    CatalogView,
    Check,
    CheckName,
    EvalContext,
    Evaluation,
    MemberError,
    NoDataPolicy,
    Outcome,
    ParamType,
    Placeholder,
    Verdict,
    WrittenNumber,
    WrittenValue,
    clip,
    format_number,
    render_value,
    split_template,
    written_number_problem,
)

# Member reasons are quoted in the composite's reason up to this length each.
_REASON_CHARS = 160
# The score of every member passing, which a score under it must never read as.
_ALL = Fraction(100)


class Member(BaseModel):
    """One member: a catalog check, the args it gets, its weight and whether it is critical."""

    # As for the composite itself (analyzer.check.Check): `weight: .inf` made the score inf / inf, NaN.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    check: CheckName = Field(description="name of another check in the catalog")
    args: dict[str, WrittenValue] = Field(
        default_factory=dict,
        description="the member's args; strings may use the composite's params, e.g. \"{{ canary_hash }}\"",
    )
    weight: float = Field(default=1.0, gt=0, description="share of the score (mode score)")
    critical: bool = Field(default=False, description="must pass: its fail fails the whole, whatever the score")

    # The literal args YAML read as numbers from other text (`012`), which the link refuses for a member's param sent
    # as text: the member's param types are known only then.
    _written_numbers: dict[str, WrittenNumber] = PrivateAttr(default_factory=lambda: {})

    @model_validator(mode="wrap")
    @classmethod
    def _keep_written_numbers(cls, data: Any, handler: ModelWrapValidatorHandler[Member]) -> Member:
        member = handler(data)
        args = data.get("args") if isinstance(data, dict) else None
        if isinstance(args, dict):
            member._written_numbers = {k: v for k, v in args.items() if isinstance(v, WrittenNumber)}
        return member


@dataclass(frozen=True)
class _Result:
    member: Member
    args: dict[str, ArgValue]
    outcome: Outcome
    reason: str
    evaluation: Evaluation
    http_status: int
    error: str | None


class CompositeCheck(Check):
    """Run member checks concurrently and combine their verdicts by `mode`."""

    kind: Literal["composite"] = "composite"
    params_are_placed: ClassVar[bool] = True
    members: list[Member] = Field(min_length=1, max_length=64)
    mode: Literal["all", "any", "score"] = Field(
        default="all", description="all must pass, any may pass, or a weighted score"
    )
    # Above 0: at 0 a scorecard whose members all fail would pass.
    pass_score: float | None = Field(
        default=None, gt=0, le=100, description="score (above 0, up to 100) needed to pass"
    )
    warning_score: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="score from which a non-passing scorecard is inconclusive instead of failed",
    )
    on_member_error: Literal["error", "fail", "ignore"] = Field(
        default="error",
        description="a member that errors makes the whole an error, counts as failed, or is ignored as unknown: "
        "never a pass, it counts as an inconclusive member (in mode score its weight stays, counted as not passing); "
        "a critical member's error is never ignored",
    )

    _arg_parts: list[dict[str, list[str | Placeholder]]] = PrivateAttr()
    # Not `default_factory=list`: a builtin's signature is parsed from its text (see analyzer.catalog).
    _targets: list[Check] = PrivateAttr(default_factory=lambda: [])

    @model_validator(mode="after")
    def _coherent(self) -> CompositeCheck:
        if self.mode == "score":
            if self.pass_score is None:
                raise ValueError("mode score needs pass_score (0-100)")
            if self.warning_score is not None and self.warning_score > self.pass_score:
                raise ValueError(
                    f"warning_score {format_number(self.warning_score)} is above pass_score "
                    f"{format_number(self.pass_score)}"
                )
        else:
            for name in ("pass_score", "warning_score"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} only applies to mode score")
            weighted = [m.check for m in self.members if "weight" in m.model_fields_set]
            if weighted:
                raise ValueError(f"members[].weight only applies to mode score (set on {weighted[0]!r})")
        try:
            math.fsum(member.weight for member in self.members)
        except OverflowError:
            # Refused since it made every run a 500; scores are exact now, but such weights are still a slip: only
            # their ratios count.
            raise ValueError(
                f"the members' weights sum to more than the float range ({_exact_sum(self.members)} > "
                f"{format_number(sys.float_info.max)}); scale them down, only their ratios count"
            ) from None
        self._arg_parts = []
        for index, member in enumerate(self.members):
            parts: dict[str, list[str | Placeholder]] = {}
            for arg, value in member.args.items():
                if isinstance(value, str):
                    try:
                        parts[arg] = split_template(value, self.params)
                    except ValueError as exc:
                        raise ValueError(f"members[{index}].args.{arg}: {exc}") from None
            self._arg_parts.append(parts)
        return self

    def warnings(self) -> list[str]:
        """A pass_score or warning_score of 1 or less: a fraction (or "all of it") written where the score is out of
        100, which lets a scorecard pass on a sliver of its weight; says which members passing reach it."""
        # Warned, not refused: it loaded before, and a refusal at a reload or a start stops every check of the catalog.
        return [
            f"{name} is out of 100, not a fraction of 1: did you mean {name}: {format_number(value * 100)}? As "
            f"written, {format_number(value)} is {format_number(value)}% of the members' weight passing: "
            f"{self._reaching(value)}"
            for name in ("pass_score", "warning_score")
            if (value := getattr(self, name)) is not None and value <= 1
        ]

    def _reaching(self, score: float) -> str:
        """Which members passing alone reach `score`, and the lightest's score when it does not."""
        if len(self.members) == 1:
            return f"its one member {self.members[0].check!r} passing reaches it"
        total = sum(_exact(member.weight) for member in self.members)
        # Heaviest first: those that reach it are named in that order; exactly, as the verdict compares.
        shares = sorted(
            ((100 * _exact(member.weight) / total, member.check) for member in self.members), key=lambda s: -s[0]
        )
        reach = [name for share, name in shares if share >= _exact(score)]
        if len(reach) == len(shares):
            return f"any one of its {len(shares)} members passing alone reaches it"
        # At most 64 members: the heaviest holds 1/64 of the weight or more, above any score warned of.
        lightest_share, lightest = shares[-1]
        shown = ", ".join(repr(name) for name in reach[:3]) + (f" and {len(reach) - 3} more" if len(reach) > 3 else "")
        return (
            f"{shown} passing alone {'reach' if len(reach) > 1 else 'reaches'} it, {lightest!r} alone does not "
            f"(it scores {format_number(float(lightest_share))})"
        )

    def member_names(self) -> frozenset[str]:
        """The members' names."""
        return frozenset(member.check for member in self.members)

    def member_checks(self) -> tuple[Check, ...]:
        """The members as linked."""
        return tuple(self._targets)

    def measures_the_past(self) -> bool:
        """When every member does."""
        return all(target.measures_the_past() for target in self._targets)

    def link(self, catalog: CatalogView) -> None:
        """Members exist, get every required arg of the right type, and no composite reaches itself."""
        super().link(catalog)
        for index, member in enumerate(self.members):
            where = f"members[{index}] ({member.check!r})"
            target = catalog.checks.get(member.check)
            if target is None:
                import difflib  # only for an invalid catalog

                close = difflib.get_close_matches(member.check, list(catalog.checks), n=1, cutoff=0.75)
                raise ValueError(
                    f"{where}: no check named {member.check!r} in the catalog"
                    + (f"; did you mean {close[0]!r}?" if close else "")
                )
            if member.check == self.name:
                raise ValueError(f"{where}: a composite cannot contain itself")
            undeclared = sorted(set(member.args) - set(target.params))
            if undeclared:
                raise ValueError(
                    f"{where}: arg {undeclared[0]!r} is not a param of {member.check!r} "
                    f"(its params: {', '.join(sorted(target.params)) or 'none'})"
                )
            missing = sorted(n for n, p in target.params.items() if p.required and n not in member.args)
            if missing:
                raise ValueError(
                    f"{where}: required arg {missing[0]!r} of {member.check!r} is not mapped; "
                    f'add args: {{{missing[0]}: "{{{{ {missing[0]} }}}}"}}'
                )
            for arg, written in member._written_numbers.items():
                problem = written_number_problem(written, target.params[arg].type)
                if problem is not None:
                    raise ValueError(f"{where}: arg {arg!r}: {problem}")
            for arg, value in member.args.items():
                self._check_arg(where, arg, value, self._arg_parts[index].get(arg), target)
        cycle = _find_cycle(catalog, [self.name], set())
        if cycle:
            raise ValueError(f"members form a cycle: {' -> '.join(cycle)}")
        self._targets = [catalog.checks[member.check] for member in self.members]

    def secret_params(self) -> frozenset[str]:
        """Declared secret params, and those a member gets as one of its own secret params."""
        return super().secret_params() | self._passed_as_secrets()

    def secret_by_name(self) -> frozenset[str]:
        """Params secret only by their names: not those a member gets as a secret, which `secret: false` would not
        show."""
        return super().secret_by_name() - self._passed_as_secrets()

    def _passed_as_secrets(self) -> frozenset[str]:
        found: set[str] = set()
        for parts, target in zip(self._arg_parts, self._targets, strict=False):
            secret = target.secret_params()
            found.update(
                p.name for arg, pieces in parts.items() if arg in secret for p in pieces if isinstance(p, Placeholder)
            )
        return frozenset(found)

    def definition(self) -> dict[str, Any]:
        """The check as written, with a member's secret arg hidden unless it only names a param of this one."""
        data = super().definition()
        for shown, parts, target in zip(data.get("members", []), self._arg_parts, self._targets, strict=False):
            secret = target.secret_params()
            shown["args"] = {
                arg: value if arg not in secret or _single_placeholder(parts.get(arg)) else REDACTED
                for arg, value in shown.get("args", {}).items()
            }
        return data

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """The composite's bound args, once every member accepts the args mapped to it; ArgError names the
        member and its arg (a bad arg is the caller's 400, never a member verdict)."""
        return self._bind_args(raw_args, frozenset())

    def _bind_args(self, raw_args: Mapping[str, Any], secret_given: frozenset[str]) -> dict[str, ArgValue]:
        """`bind_args`, params in `secret_given` (made of a secret of the composite this one is a member of) hidden in
        its members' refusals as its own secrets are. (A refusal of one of its own params is the caller's to word.)"""
        args = super().bind_args(raw_args)
        secret = (self.secret_params() | secret_given) & args.keys()
        for index, (member, target) in enumerate(zip(self.members, self._targets, strict=True)):
            try:
                if isinstance(target, CompositeCheck):
                    # Its members' refusals quote the value cut or escaped, where a search for the value misses it.
                    target._bind_args(
                        self._member_args(args, index, member), frozenset(self._args_made_of(index, secret))
                    )
                else:
                    target.bind_args(self._member_args(args, index, member))
            except ArgError as exc:
                raise ArgError(
                    f"member {member.check!r} (members[{index}]) rejects its args: "
                    f"{self._refusal_shown(exc, index, target, args, secret)}",
                    _mapped_from(self._arg_parts[index].get(exc.arg or ""), exc.arg),
                ) from None
        return args

    def _refusal_shown(
        self, exc: ArgError, index: int, target: Check, args: Mapping[str, ArgValue], secret: frozenset[str]
    ) -> str:
        """Member `index`'s refusal of its args without the values of `secret` (this check's secret params) it quotes,
        not knowing them as secrets."""
        if exc.arg in self._args_made_of(index, secret) and exc.arg in target.params:
            # Refused by its param's rules: worded as for a secret of the member's own, which quotes no value. The
            # member's wording quoted it cut at 80 characters or escaped, where a search for the value missed it.
            value = self._member_args(args, index, self.members[index])[exc.arg]
            try:
                target.params[exc.arg].parse(exc.arg, value, secret=True)
            except ArgError as hidden:
                return hidden.message
        message = exc.message
        # Refused by the member's kind, which quotes values its own way: as given, or escaped as Python writes text
        # (kpi_compare's `b='ab\\cd'`), in either quotes.
        for name in sorted(secret):
            text = render_value(args[name])
            for shown in sorted({text, repr(text)[1:-1], repr(f'{text}"')[1:-2]} - {""}, key=len, reverse=True):
                message = message.replace(shown, REDACTED)
        return message

    def _args_made_of(self, index: int, params: frozenset[str]) -> set[str]:
        """Member `index`'s args whose values hold one of this check's `params`."""
        return {
            arg
            for arg, parts in self._arg_parts[index].items()
            if any(isinstance(part, Placeholder) and part.name in params for part in parts)
        }

    def _check_arg(
        self, where: str, arg: str, value: str | float, parts: list[str | Placeholder] | None, target: Check
    ) -> None:
        param = target.params[arg]
        placeholders = [p for p in parts or [] if isinstance(p, Placeholder)]
        if not placeholders:
            try:
                param.parse(arg, value)
            except ArgError as exc:
                raise ValueError(f"{where}: {exc.message}") from None
            return
        if parts is not None and len(parts) == 3 and parts[0] == "" and parts[2] == "":
            source = self.params[placeholders[0].name].type
            if source is not param.type and param.type is not ParamType.LABEL_VALUE:
                raise ValueError(
                    f"{where}: arg {arg!r} is a {param.type.value} but {{{{ {placeholders[0].name} }}}} "
                    f"is a {source.value}; declare the composite's param as {param.type.value}"
                )

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Evaluate every member concurrently and combine the verdicts."""
        secret = self.secret_params()
        results = await asyncio.gather(
            *(self._run_member(ctx, index, member, secret) for index, member in enumerate(self.members))
        )
        details: dict[str, Any] = {
            "mode": self.mode,
            "on_member_error": self.on_member_error,
            "members": [_member_details(r) for r in results],
        }
        errors = [r for r in results if r.outcome is Outcome.ERROR]
        critical_errors = [r for r in errors if r.member.critical]
        if errors and (self.on_member_error == "error" or (self.on_member_error == "ignore" and critical_errors)):
            fatal = critical_errors if self.on_member_error == "ignore" else errors
            first = fatal[0]
            # Each of these alone makes the whole an error: the reason names the first, every one decided it.
            for result in fatal:
                _mark_decided(
                    details,
                    results,
                    [result],
                    f"it could not be evaluated (on_member_error: {self.on_member_error}"
                    f"{', and it is critical' if result.member.critical else ''})",
                )
            raise MemberError(
                f"member {first.member.check!r} could not be evaluated: "
                f"{_quoted(first.reason)} "
                f"(on_member_error: {self.on_member_error}"
                f"{', critical members are never ignored' if first.member.critical else ''}; "
                f"members: {_summary(results)})",
                first.http_status,
                # Each member's verdict, reason and error: the page links each to its own page (which source
                # was down, which query had no series).
                details,
            )
        ignored = errors if self.on_member_error == "ignore" else []
        judged: list[tuple[_Result, Outcome]] = [
            (r, Outcome.FAIL if r.outcome is Outcome.ERROR else r.outcome) for r in results if r not in ignored
        ]
        if ignored:
            details["ignored"] = [r.member.check for r in ignored]
        if not judged:
            _mark_decided(details, results, results, "it errored and was ignored, as every member was")
            reason = f"every member errored and on_member_error is ignore ({_summary(results)})"
            if self.no_data is NoDataPolicy.PASS:
                # `no_data: pass` reads absent data as good news; members that errored measured nothing at all.
                return Verdict(
                    outcome=Outcome.INCONCLUSIVE,
                    reason=f"{reason}: no_data: pass does not apply to members that could not be evaluated",
                    details=details,
                )
            return self.no_data_verdict(reason, details=details)
        verdict = self._combine(judged, ignored, details, _summary(results), _ignored_note(ignored))
        failed_critical = [r for r, outcome in judged if r.member.critical and outcome is Outcome.FAIL]
        if failed_critical:
            first = failed_critical[0]
            # Each critical fail alone fails the whole, and so, where the mode's rule fails it too, do the members
            # that rule counted: the reason names the first, every one decided it.
            if verdict.outcome is Outcome.FAIL:
                _mark_by_mode(details, results, {id(r): outcome for r, outcome in judged}, self.mode, verdict.outcome)
            for result in failed_critical:
                how = (
                    "errored, counted as failed (on_member_error: fail)"
                    if result.outcome is Outcome.ERROR
                    else "failed"
                )
                _mark_decided(
                    details, results, [result], f"it is critical and {how}: a critical member's fail fails the whole"
                )
            return verdict.model_copy(
                update={
                    "outcome": Outcome.FAIL,
                    "reason": f"critical member {first.member.check!r} "
                    + (
                        f"errored ({_quoted(first.reason)}), counted as failed (on_member_error: fail); "
                        if first.outcome is Outcome.ERROR
                        else f"failed ({_quoted(first.reason)}); "
                    )
                    + verdict.reason,
                }
            )
        unsure_critical = [r for r, outcome in judged if r.member.critical and outcome is not Outcome.PASS]
        if verdict.outcome is Outcome.PASS and unsure_critical:
            # Each alone keeps the whole from passing: the reason names the first, every one decided it.
            for result in unsure_critical:
                _mark_decided(
                    details,
                    results,
                    [result],
                    f"it is critical and {result.outcome.value}: the whole cannot pass until it does",
                )
            return verdict.model_copy(
                update={
                    "outcome": Outcome.INCONCLUSIVE,
                    "reason": f"critical member {unsure_critical[0].member.check!r} is "
                    f"{unsure_critical[0].outcome.value}, so no pass yet; {verdict.reason}",
                }
            )
        _mark_by_mode(details, results, {id(r): outcome for r, outcome in judged}, self.mode, verdict.outcome)
        return verdict

    def _combine(
        self,
        judged: list[tuple[_Result, Outcome]],
        ignored: list[_Result],
        details: dict[str, Any],
        summary: str,
        note: str,
    ) -> Verdict:
        # An ignored member is unknown, not absent: it may have failed, so it counts as an inconclusive member (a
        # gate must not pass on evidence it does not have), and, as one, it cannot make the whole fail either.
        outcomes = [*(outcome for _, outcome in judged), *(Outcome.INCONCLUSIVE for _ in ignored)]
        passed = sum(1 for outcome in outcomes if outcome is Outcome.PASS)
        if self.mode == "all":
            if Outcome.FAIL in outcomes:
                outcome = Outcome.FAIL
            elif Outcome.INCONCLUSIVE in outcomes:
                outcome = Outcome.INCONCLUSIVE
            else:
                outcome = Outcome.PASS
            return Verdict(
                outcome=outcome,
                value=passed,
                threshold=len(outcomes),
                details=details,
                reason=f"{passed} of {len(outcomes)} members pass, all must{note}: {summary}",
            )
        if self.mode == "any":
            if passed:
                outcome = Outcome.PASS
            elif all(o is Outcome.FAIL for o in outcomes):
                outcome = Outcome.FAIL
            else:
                outcome = Outcome.INCONCLUSIVE
            return Verdict(
                outcome=outcome,
                value=passed,
                threshold=1,
                details=details,
                reason=f"{passed} of {len(outcomes)} members pass, one must{note}: {summary}",
            )
        assert self.pass_score is not None
        # Exactly, in the decimals the catalog writes: weights 0.1, 0.2 and 0.3 with the 0.3 passing score 50, not
        # float arithmetic's 49.99999999999999; and a pass at 100 needs every member, not all but a member whose
        # share (1e-12) a float comparison's tolerance forgave.
        # An ignored member keeps its weight and is unknown: it adds nothing to the score (a pass must be earned
        # by the members measured), and, like an inconclusive member, it may still pass, so it cannot make the
        # scorecard fail either.
        total = sum((_exact(r.member.weight) for r in [*(r for r, _ in judged), *ignored]), Fraction(0))
        score = 100 * sum((_exact(r.member.weight) for r, o in judged if o is Outcome.PASS), Fraction(0)) / total
        # Inconclusive members may still pass: the best score they allow decides whether it can fail yet.
        best = (
            100
            * sum(_exact(r.member.weight) for r in [*(r for r, o in judged if o is not Outcome.FAIL), *ignored])
            / total
        )
        warning = self.warning_score if self.warning_score is not None else self.pass_score
        pass_at, warning_at = _exact(self.pass_score), _exact(warning)
        if passed and score >= pass_at:
            outcome = Outcome.PASS
        elif best < warning_at:
            outcome = Outcome.FAIL
        else:
            outcome = Outcome.INCONCLUSIVE
        details.update(
            score=_score_float(score, pass_at, warning_at),
            best_possible_score=_score_float(best, pass_at, warning_at),
            pass_score=self.pass_score,
            warning_score=warning,
        )
        rule = f"pass at {_bound_text(self.pass_score)}"
        if warning < self.pass_score:
            rule += f", inconclusive from {_bound_text(warning)}"
        if best > score:
            unknown = " and ignored" if ignored else ""
            rule += f"; up to {_score_text(best, pass_at, warning_at)} if the inconclusive{unknown} members pass"
        return Verdict(
            outcome=outcome,
            value=_score_float(score, pass_at, warning_at),
            threshold=self.pass_score,
            details=details,
            reason=f"score {_score_text(score, pass_at, warning_at)} of 100 ({rule}){note}: {summary}",
        )

    async def _run_member(self, ctx: EvalContext, index: int, member: Member, secret: frozenset[str]) -> _Result:
        # bind_args validated these already; an ArgError here is a bug and must not become a verdict.
        args = self._member_args(ctx.args, index, member)
        evaluation = await ctx.run_check(member.check, args)
        # An arg made of a secret of this check's (`secret`) is hidden too where the member does not declare it
        # secret (a number escapes the scrubbing of text).
        from_secret = self._args_made_of(index, secret)
        shown = {name: REDACTED if name in from_secret else value for name, value in args.items()}
        return _Result(
            member,
            self._targets[index].shown_args(shown),
            evaluation.verdict,
            evaluation.reason,
            evaluation,
            evaluation.http_status,
            evaluation.error,
        )

    def _member_args(self, values: Mapping[str, ArgValue], index: int, member: Member) -> dict[str, ArgValue]:
        args: dict[str, ArgValue] = {}
        for name, value in member.args.items():
            parts = self._arg_parts[index].get(name)
            if parts is None:
                args[name] = value
            elif len(parts) == 3 and parts[0] == "" and parts[2] == "" and isinstance(parts[1], Placeholder):
                args[name] = values[parts[1].name]
            else:
                args[name] = "".join(p if isinstance(p, str) else render_value(values[p.name]) for p in parts)
        return args


def _single_placeholder(parts: list[str | Placeholder] | None) -> bool:
    """Whether a member arg is exactly one of the composite's params (`"{{ token }}"`)."""
    return (
        parts is not None
        and len(parts) == 3
        and parts[0] == ""
        and parts[2] == ""
        and isinstance(parts[1], Placeholder)
    )


def _mapped_from(parts: list[str | Placeholder] | None, member_arg: str | None) -> str | None:
    """The composite arg a member arg is made from (the first placeholder), else the member arg's name."""
    for part in parts or []:
        if isinstance(part, Placeholder):
            return part.name
    return member_arg


def _find_cycle(catalog: CatalogView, path: list[str], acyclic: set[str]) -> list[str] | None:
    """A chain of members from `path[-1]` back to a check already on `path`, if there is one.

    `acyclic` collects checks already explored without finding a cycle, so shared members are walked once.
    """
    check = catalog.checks.get(path[-1])
    if not isinstance(check, CompositeCheck):
        return None
    for member in check.members:
        if member.check in path:
            return [*path[path.index(member.check) :], member.check]
        if member.check in acyclic:
            continue
        found = _find_cycle(catalog, [*path, member.check], acyclic)
        if found:
            return found
    acyclic.add(path[-1])
    return None


def _quoted(reason: str) -> str:
    """A member's reason as the composite's reason quotes it: clipped, but for the note on a backtest before the
    source's oldest data, kept whole (what tells a retention from a misspelled name)."""
    head, note, tail = reason.rpartition(PAST_TIME_NOTE)
    return f"{clip(head, _REASON_CHARS)}{note}{tail}" if note else clip(reason, _REASON_CHARS)


def _member_details(result: _Result) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "check": result.member.check,
        "args": result.args,
        "verdict": result.outcome.value,
        "reason": result.reason,
        "weight": result.member.weight,
        "critical": result.member.critical,
    }
    body = result.evaluation.to_json(explain=True)
    entry.update(value=body.get("value"), threshold=body.get("threshold"), details=body.get("details"))
    if result.error is not None:
        entry["error"] = result.error
    return entry


def _mark_decided(details: dict[str, Any], results: list[_Result], deciding: list[_Result], why: str) -> None:
    """Write `why` as `decided` on the entries in `details["members"]` of the members that decided the verdict (a
    member's page, and the composite's, say which decided and why)."""
    for index, result in enumerate(results):
        if any(result is one for one in deciding):
            details["members"][index]["decided"] = why


# Per mode and verdict: whether a member judged so decided it, and the rule that made it decide.
_DECIDING: dict[tuple[str, Outcome], tuple[Callable[[Outcome], bool], str]] = {
    ("all", Outcome.PASS): (lambda _: True, "and all must pass"),
    ("all", Outcome.FAIL): (lambda o: o is Outcome.FAIL, "and all must pass"),
    ("all", Outcome.INCONCLUSIVE): (lambda o: o is Outcome.INCONCLUSIVE, "and all must pass"),
    ("any", Outcome.PASS): (lambda o: o is Outcome.PASS, "and one must pass"),
    ("any", Outcome.FAIL): (lambda _: True, "as every member did, and one must pass"),
    ("any", Outcome.INCONCLUSIVE): (lambda o: o is not Outcome.FAIL, "and none passed yet"),
    ("score", Outcome.PASS): (lambda o: o is Outcome.PASS, "its weight counted in the score"),
    # A fail is the failing members' alone: the best score counts the inconclusive and ignored as passing.
    ("score", Outcome.FAIL): (lambda o: o is Outcome.FAIL, "its weight left out of the score"),
    ("score", Outcome.INCONCLUSIVE): (lambda o: o is not Outcome.PASS, "its weight left out of the score"),
}


def _mark_by_mode(
    details: dict[str, Any], results: list[_Result], judged: Mapping[int, Outcome], mode: str, verdict: Outcome
) -> None:
    """Mark as deciding (`_mark_decided`'s `decided`) each member whose outcome as the mode counts it (`judged`, by
    the id of its result; an ignored member's: inconclusive) decided `verdict` by the mode's rule."""
    decides, rule = _DECIDING[(mode, verdict)]
    for index, result in enumerate(results):
        outcome = judged.get(id(result), Outcome.INCONCLUSIVE)
        if not decides(outcome):
            continue
        if id(result) not in judged:
            what = "it errored and was ignored as unknown (on_member_error: ignore)"
        elif result.outcome is Outcome.ERROR:
            what = "it errored, counted as failed (on_member_error: fail)"
        else:
            what = {Outcome.PASS: "it passed", Outcome.FAIL: "it failed"}.get(outcome, f"it is {outcome.value}")
        details["members"][index]["decided"] = f"{what}, {rule}"


def _summary(results: list[_Result]) -> str:
    return ", ".join(f"{r.member.check} {r.outcome.value}" for r in results)


def _ignored_note(ignored: list[_Result]) -> str:
    """The reason's clause naming the members that errored and were ignored (their errors are in details)."""
    if not ignored:
        return ""
    names = ", ".join(repr(r.member.check) for r in ignored)
    subject = f"member {names} errored and was" if len(ignored) == 1 else f"members {names} errored and were"
    return f"; {subject} ignored as unknown (on_member_error: ignore)"


def _exact(number: float) -> Fraction:
    """A weight or score exactly as the catalog writes it in decimal (its shortest form): 0.1 + 0.2 is 0.3."""
    return Fraction(repr(number))


def _score_text(score: Fraction, *bounds: Fraction) -> str:
    """`score` as a reason shows it: 6 significant digits, more (up to a float's 17) where fewer would read as 100 or
    a bound of `bounds` (pass_score and warning_score, which the reason states) it is below, else "just under" it."""
    limits = (*bounds, _ALL)
    texts = [format_number(float(score)), *(_decimal_text(score, digits) for digits in range(7, 18))]
    for text in texts:
        if all((Fraction(text) < limit) == (score < limit) for limit in limits):
            return text
    return f"just under {texts[-1]}"


def _score_float(score: Fraction, *bounds: Fraction) -> float:
    """`score` as `value` and `details` show it: the nearest float, but the float just under 100 or a bound of
    `bounds` when the score is under it and the nearest float is it (weights 1e17 and 1, the lighter failing: 100.0,
    which reads as every member passing)."""
    value = float(score)
    for limit in sorted((*bounds, _ALL)):
        if score < limit <= _exact(value):
            return math.nextafter(float(limit), -math.inf)
    return value


def _bound_text(bound: float) -> str:
    """pass_score or warning_score as the reason states it: 6 significant digits unless they round it (99.9999999 is
    not 100)."""
    text = format_number(bound)
    return text if Fraction(text) == _exact(bound) else repr(bound)


def _decimal_text(number: Fraction, digits: int) -> str:
    """`number` rounded to `digits` significant digits, without trailing zeros."""
    with localcontext() as context:
        context.prec = digits
        mantissa, mark, exponent = format(Decimal(number.numerator) / Decimal(number.denominator), "g").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + mark + exponent


def _exact_sum(members: list[Member]) -> str:
    """The weights' sum, which a float cannot hold, as text of up to 6 significant digits."""
    mantissa, _, exponent = format(sum(Decimal(m.weight) for m in members), ".6g").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}" if exponent else mantissa
