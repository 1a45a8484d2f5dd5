"""Kind `error_budget`: SLO burn rate over multiple windows (SRE workbook tiers) and budget remaining,
from raw counters, a classic histogram, or Pyrra / Sloth recording rules."""

from __future__ import annotations

import asyncio
import math
import re
from collections import OrderedDict
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from analyzer.kinds import (
    ArgValue,
    Check,
    CheckError,
    CheckMisconfigured,
    Division,
    Duration,
    EvalContext,
    MissingBucket,
    NoDataPolicy,
    NoSeriesFound,
    Outcome,
    PrometheusSource,
    QueryBatch,
    QueryResult,
    RecordingRule,
    RulesListed,
    Series,
    SourceRejected,
    UnexplainedLabels,
    Verdict,
    clip,
    contradicting_name_warnings,
    division_sides,
    event_form,
    exceeds,
    format_number,
    gauge_of_counter_warnings,
    grafana_variable_warnings,
    may_answer_without_its_series,
    metric_names,
    metric_selectors,
    parse_duration,
    refuse_contradicting_names,
    regex_equality_warnings,
    regex_name_selectors,
)
from checks.error_budget.burn import (
    BurnTier,
    TierResult,
    WindowRatio,
    absence_unproven,
    budget_remaining,
    burn_or_none,
    error_budget,
    judge_tiers,
    max_burn_rate,
    prometheus_duration,
    pyrra_tiers,
    reconcile_absences,
    rule_window,
    settle_blind,
    with_min_events,
    workbook_tiers,
)
from checks.error_budget.readers import (
    ASKED_AFTER,
    BLIND_WINDOW_S,
    MAX_RECORDED_AGE_S,
    SLOTH_WINDOWS,
    LatencyReader,
    LatencySLI,
    Probe,
    PyrraReader,
    PyrraSLI,
    RatioReader,
    RatioSLI,
    Reader,
    Results,
    SlothReader,
    SlothSLI,
    blind_note,
    blind_query,
    blind_rule_note,
    clip_text,
    evaluated_query,
    newborn_note,
    rules_blind_query,
    seen_query,
    vouch_query,
    vouched_by,
)

PROBE_WINDOW = "exists"
# Range functions whose value may be a count over the range (a sum, a difference) rather than a rate: a total
# built on one without rate() or increase() is read per second, which multiplies a count by the window's seconds.
_COUNT_LIKE_RE = re.compile(r"\b(sum_over_time|delta|idelta|changes|resets)\s*\(")
# Distinct argument sets whose plans a check keeps: a rollout asks with the same args at every step, and a plan
# (14 rendered windows, their name probes and the batch text) costs more CPU to build than the rest of the
# evaluation's own work.
PLANS_KEPT = 64


@dataclass(frozen=True)
class MeasurementPlan:
    """What one evaluation asks: {window: {part: query}}, the period's {part: query}, and the two batches
    that carry them (`required` fails the check if it fails; `optional`, possibly empty, is evidence only);
    `after`, possibly empty, the period's part sent after them only when their answer needs it."""

    windows: Mapping[str, Mapping[str, str]]
    period: Mapping[str, str]
    required: QueryBatch
    optional: QueryBatch
    after: QueryBatch
    probes: Sequence[Probe] = ()

    @property
    def batches(self) -> list[QueryBatch]:
        """The batches that are sent (one or two)."""
        return [batch for batch in (self.required, self.optional) if batch.parts]

    @cached_property
    def queries(self) -> tuple[str, ...]:
        """Every distinct query the batches carry, in order (the evidence's `queries`): kept with the plan."""
        return (*self.required.queries, *self.optional.queries)

    @cached_property
    def sent(self) -> tuple[str, ...]:
        """The PromQL of each batch sent (the evidence's `sent_queries`): kept with the plan."""
        return tuple(batch.promql for batch in self.batches)


@dataclass(frozen=True)
class _Kept:
    """What the check builds once and reads on every evaluation."""

    reader: Reader
    tiers: list[BurnTier]
    plans: OrderedDict[tuple[tuple[str, ArgValue], ...], MeasurementPlan]


class ErrorBudgetCheck(Check):
    """Fail a release that burns the SLO's error budget too fast (multi-window, multi-burn-rate), or that
    starts with too little budget left."""

    kind: Literal["error_budget"] = "error_budget"
    params_are_placed: ClassVar[bool] = True
    source: str = Field(default="default", description="name of a Prometheus source in `sources`")
    objective: float = Field(gt=0, lt=100, description="SLO objective in percent, e.g. 99.9")
    period: Duration = Field(description="SLO period, e.g. 30d, 28d, 7d")
    ratio: RatioSLI | None = Field(default=None, description="SLI from errors and total PromQL templates")
    latency: LatencySLI | None = Field(default=None, description="SLI from a classic latency histogram")
    pyrra: PyrraSLI | None = Field(default=None, description="SLI from Pyrra's recording rules")
    sloth: SlothSLI | None = Field(default=None, description="SLI from Sloth's recording rules")
    tiers: list[BurnTier] | None = Field(
        default=None,
        description="burn-rate tiers; default: SRE workbook tiers scaled to the period "
        "(Pyrra's own tiers for a pyrra SLI); [] for a pure budget gate",
    )
    fail_on: list[str] = Field(
        default_factory=lambda: ["page"], description="tier severities that fail the verdict; others are warnings"
    )
    min_budget_remaining: float | None = Field(
        default=None,
        lt=1,
        allow_inf_nan=False,
        description="fail unless more than this share of the budget is left (0: fail once it is spent; "
        "-0.5: tolerate 50% overspend)",
    )
    min_events_per_window: float = Field(
        default=30,
        ge=0,
        allow_inf_nan=False,
        description="a window (the period included) that counted fewer events than this cannot judge: its ratio "
        "is noise (1 error in 3 requests burns 333x at 99.9%); events = total rate x window length. "
        "Windows without a count (a pyrra or sloth SLI without its total) are not held to it; 0 "
        "turns the guard off",
    )
    optional_metrics: list[str] = Field(
        # Not `default_factory=list`: a builtin's signature is parsed from its text (see analyzer.catalog).
        default_factory=lambda: [],
        description="metric names that may have no series at all (a labelled error counter created on its "
        "first error): their absence reads as zero events instead of a misspelled name (error)",
    )
    accept_unjudged_tiers: bool = Field(
        default=False,
        description="pass even if some fail_on tiers cannot judge (a window without traffic or "
        "data), as long as one can and none has a measured window burning above "
        "its factor; by default a pass needs every fail_on tier judged",
    )

    max_recorded_age_s: float = Field(
        default=MAX_RECORDED_AGE_S,
        gt=0,
        allow_inf_nan=False,
        description="a pyrra or sloth SLI's windows are no data when their rule group's latest sample is older than "
        "this at the evaluation time (a dead ruler's last values); raise it above the group's evaluation interval "
        "plus the ruler's delay (query_offset, Mimir's evaluation delay) where that passes 180 s",
    )

    _reader: Reader = PrivateAttr()
    _tiers: list[BurnTier] = PrivateAttr()
    _plans: OrderedDict[tuple[tuple[str, ArgValue], ...], MeasurementPlan] = PrivateAttr(default_factory=OrderedDict)

    @field_validator("optional_metrics")
    @classmethod
    def _metric_names(cls, value: list[str]) -> list[str]:
        return metric_names(value)

    @field_validator("period", mode="before")
    @classmethod
    def _period_in_days(cls, value: object) -> object:
        # A bare number would be told '30s' or '30m' (any duration's advice): an SLO period is counted in days.
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e6 and value == int(value):
            raise ValueError(f"{value!r} has no unit: an SLO period is in days, write '{int(value)}d'")
        return value

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: float) -> float:
        # Decimal-looking objectives read from YAML or other tools ("99.9" -> 99.90000000000001) snap back.
        return round(value, 10)

    @model_validator(mode="after")
    def _coherent(self) -> ErrorBudgetCheck:
        sources = [name for name in ("ratio", "latency", "pyrra", "sloth") if getattr(self, name) is not None]
        if len(sources) != 1:
            raise ValueError(
                "set exactly one SLI source: ratio, latency, pyrra or sloth"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        if error_budget(self.objective) <= 0:
            raise ValueError(f"objective {self.objective} leaves no error budget")
        period_s = parse_duration(self.period)
        if "max_recorded_age_s" in self.model_fields_set and self.pyrra is None and self.sloth is None:
            raise ValueError(
                "max_recorded_age_s bounds the age of Pyrra's or Sloth's recorded ratios: a ratio or latency SLI "
                "reads raw series, remove it"
            )
        if self.ratio is not None:
            self._reader = RatioReader(self.ratio, self.params)
        elif self.latency is not None:
            self._reader = LatencyReader(self.latency, self.params)
        elif self.pyrra is not None:
            self._reader = PyrraReader(self.pyrra, self.params, period_s, self.objective, self.max_recorded_age_s)
        else:
            assert self.sloth is not None
            self._reader = SlothReader(
                self.sloth,
                self.params,
                period_s,
                self.objective,
                self.max_recorded_age_s,
                gated=self.min_budget_remaining is not None,
            )
        if self.tiers is not None:
            self._tiers = list(self.tiers)
        else:
            self._tiers = pyrra_tiers(period_s) if self.pyrra is not None else workbook_tiers(period_s)
        severities = {tier.severity for tier in self._tiers}
        for severity in self.fail_on:
            if self._tiers and severity not in severities:
                raise ValueError(
                    f"fail_on: no tier has severity {severity!r} (tiers have: {', '.join(sorted(severities))})"
                )
        failing = [tier for tier in self._tiers if tier.severity in self.fail_on]
        if not failing and self.min_budget_remaining is None:
            raise ValueError(
                "nothing can fail this check: give a tier whose severity is in fail_on, or min_budget_remaining"
            )
        ceiling = max_burn_rate(error_budget(self.objective))
        if failing and self.min_budget_remaining is None and not any(_can_fire(t, ceiling) for t in failing):
            # Every event bad burns at the ceiling, and a tier fires only above its factor: such a check passes
            # a canary failing every request (an objective given as a ratio, 0.999, makes the ceiling 1.01).
            raise ValueError(
                f"nothing can fail this check: at objective {format_number(self.objective)}% the burn rate "
                f"cannot exceed {format_number(ceiling)} (every event bad), and no fail_on tier's factor is below "
                f"that ({', '.join(f'{t.label} x{format_number(t.factor)}' for t in failing)}); give the "
                "objective in percent (99.9, not 0.999), a lower factor, or min_budget_remaining"
            )
        return self

    @cached_property
    def _kept(self) -> _Kept:
        # One plain attribute once read: every read of a private attribute goes through pydantic's
        # __getattr__ (about 18k instructions, an AttributeError raised and caught on the way), and an
        # evaluation read them five times.
        return _Kept(self._reader, self._tiers, self._plans)

    @property
    def tiers_in_force(self) -> list[BurnTier]:
        """The tiers judged: `tiers` as written, else the default tiers for the period and the SLI."""
        return list(self._tiers)

    @property
    def budget(self) -> float:
        """The error budget as a fraction of events."""
        return error_budget(self.objective)

    def source_names(self) -> frozenset[str]:
        """The one Prometheus source all windows are read from."""
        return frozenset({self.source})

    def warnings(self) -> list[str]:
        """Tiers that can never fire at this objective, windows the recording rules may not have, and selectors
        whose metric name is a regex (their existence is not checked)."""
        found = []
        ceiling = max_burn_rate(self.budget)
        for tier in self._tiers:
            if not _can_fire(tier, ceiling):
                found.append(
                    f"tier {tier.label} x{format_number(tier.factor)} can never fire: at objective "
                    f"{format_number(self.objective)}% the burn rate cannot exceed "
                    f"{format_number(ceiling)} (every event bad)"
                )
            if parse_duration(tier.long) > parse_duration(self.period):
                found.append(f"tier {tier.label}: long window is longer than the period {self.period}")
        if self.objective < 1:
            found.append(
                f"objective {format_number(self.objective)} is in percent; did you mean "
                f"{format_number(self.objective * 100)}?"
            )
        # A Pyrra budget gate (no tiers) reads pyrra_availability alone: pyrra.total and pyrra.errors read no window.
        pyrra_windows = self.pyrra is not None and bool(self._tiers)
        if (pyrra_windows and self.pyrra is not None and self.pyrra.total is None) or (
            self.sloth is not None and self.sloth.total_query is None
        ):
            field = "pyrra.total" if self.pyrra is not None else "sloth.total_query"
            short = [w for w in self._windows() if parse_duration(w) <= BLIND_WINDOW_S]
            blind = (
                "; nor can "
                + ", ".join(f"the {w} window be checked for raw series scraped every {w} or less often" for w in short)
                + ", which the rule's rate() or increase() leaves out (one sample in its range), errors included, "
                "unless Prometheus' rules API lists the rule (its expression names them): else it reads clean while "
                "they burn, and a tier it alone keeps from firing passes (the pass's reason says so)"
                if short
                else ""
            )
            found.append(
                f"without {field} a window whose rule recorded nothing (a service without error series) "
                f"is no data, not zero errors, and min_events_per_window cannot apply{blind}"
            )
        elif pyrra_windows and self.pyrra is not None and self.pyrra.latency:
            # A latency SLO's errors are the total minus a bucket, which no selector counts: pyrra.errors cannot be
            # set, and `indicator: latency` leaves nothing to warn of. Undeclared, it may be a ratio SLO on a _count.
            if self.pyrra.indicator is None:
                found.append(
                    "pyrra.total reads a histogram's _count or bucket and pyrra.errors and pyrra.indicator are "
                    "unset: a window "
                    "whose burnrate rule recorded nothing while the total counts traffic is read by the SLO's "
                    "increase rule: no data for a Pyrra latency SLO (its success increase rule has an le, and its "
                    "burnrate records whenever the histogram has series, so its rule group stopped), zero errors for "
                    "a ratio SLO (no le) whose total has no histogram buckets beside it, which cannot be told from a "
                    "stopped rule group while the service errs, and no data while it has (a latency SLO whose success "
                    "bucket matches no series has no le either). Say "
                    "which: indicator: latency (as analyzer import writes a latency SLO), or give a ratio SLO "
                    "pyrra.errors (or indicator: ratio). To judge the histogram without Pyrra's rules, use a "
                    "latency SLI in place of pyrra "
                    f"(latency: {{metric: {self.pyrra.metric}, threshold_s: <the success metric's le>"
                    + (f", selectors: '{self.pyrra.selectors}'" if self.pyrra.selectors else "")
                    + "})"
                )
        elif (pyrra_windows and self.pyrra is not None and self.pyrra.errors is None) or (
            self.sloth is not None and self.sloth.errors_query is None
        ):
            field = "pyrra.errors" if self.pyrra is not None else "sloth.errors_query"
            # Unless Pyrra's success increase rule has an le: a latency SLO's total need not be a histogram's.
            latency = (
                "; a Pyrra latency SLO's (its success increase rule has an le) is no data: indicator: latency says it "
                "is one"
                if self.pyrra is not None and self.pyrra.indicator is None
                else ""
            )
            # Pyrra's --generic-rules count the errors every 30 s (pyrra_errors:rate5m), from the raw series.
            generic = (
                "; Pyrra's --generic-rules tell it while they record (pyrra_errors:rate5m, read over each window)"
                if self.pyrra is not None
                else ""
            )
            found.append(
                f"without {field} a window whose rule recorded nothing while the total counts traffic "
                "reads as zero errors, which cannot be told from a stopped rule group (removed, failing "
                f"or not loaded) while the service errs{generic}{latency}"
            )
        totals = [
            ("ratio.total", self.ratio.total if self.ratio else ""),
            ("sloth.total_query", (self.sloth.total_query if self.sloth else None) or ""),
        ]
        for field, query in totals:
            counting = _COUNT_LIKE_RE.search(query)
            if counting and self.min_events_per_window > 0 and event_form(query) is None:
                # Sums of recorded counts (sum_over_time of an increase rule) no function can say are counts: the
                # minimum cannot hold for them, which min_events_per_window: 0 says.
                found.append(
                    f"{field} calls {counting.group(1)}() and neither rate() nor irate(), nor increase() nor "
                    "count_over_time(): min_events_per_window reads it as events per second (its value times the "
                    "window's seconds); a total that counts its window's events belongs in increase() or "
                    "count_over_time()"
                    + (
                        ", as sloth.errors_query then (only this check reads them, not Sloth)"
                        if "sloth" in field
                        else ""
                    )
                    + "; one that sums recorded counts, which they cannot count, with min_events_per_window: 0 "
                    "(each window judged on its ratio, as such a total has it judged already)"
                )
        if self.sloth is not None:
            recorded = SLOTH_WINDOWS | {rule_window(self.period)}
            for window in self._windows():
                if rule_window(window) not in recorded:
                    found.append(f"window {window} is not one Sloth records by default ({', '.join(sorted(recorded))})")
        if self.pyrra is not None:
            pyrra_layout = pyrra_tiers(parse_duration(self.period))
            recorded = frozenset(w for tier in pyrra_layout for w in (tier.long, tier.short))
            for window in self._windows():
                if rule_window(window) not in recorded:
                    found.append(
                        f"window {window} is not one Pyrra records for a {self.period} SLO "
                        f"({', '.join(sorted(recorded))})"
                    )
        user_queries = {
            "ratio.errors": self.ratio.errors if self.ratio else None,
            "ratio.total": self.ratio.total if self.ratio else None,
            "sloth.total_query": self.sloth.total_query if self.sloth else None,
            "sloth.errors_query": self.sloth.errors_query if self.sloth else None,
        }
        found += [
            f"{field} selector {selector}: metric name given by a regex is not checked for existence (a "
            'misspelled name reads as no series; list the names, as in {__name__=~"a|b"}, to check them)'
            for field, query in user_queries.items()
            if query
            for selector in regex_name_selectors(query)
        ]
        found += [
            warning
            for field, query in user_queries.items()
            if query
            for warning in gauge_of_counter_warnings(field, query)
        ]
        return found + self._regex_equalities(user_queries)

    def _regex_equalities(self, user_queries: dict[str, str | None]) -> list[str]:
        """regex_equality_warnings, grafana_variable_warnings and contradicting_name_warnings over every PromQL and
        matcher list the SLI's author wrote."""
        written = dict(user_queries)
        if self.pyrra is not None:
            written |= {
                "pyrra.total": self.pyrra.total,
                "pyrra.errors": self.pyrra.errors,
                "pyrra.selectors": "{" + self.pyrra.selectors + "}",
                "pyrra.availability_selectors": "{" + self.pyrra.availability_selectors + "}",
            }
        if self.sloth is not None:
            written["sloth.selectors"] = "{" + self.sloth.selectors + "}"
        if self.latency is not None:
            written["latency.selectors"] = "{" + self.latency.selectors + "}"
        return [
            warning
            for field, query in written.items()
            if query
            for warning in [
                *regex_equality_warnings(field, query),
                *grafana_variable_warnings(field, query),
                *contradicting_name_warnings(field, query),
            ]
        ]

    def promql(self, args: Mapping[str, ArgValue]) -> list[tuple[str, str]]:
        """Each query of the SLI over the shortest window and over the period, then the batches sent (and a latency
        SLI's bucket listing): the SLI's own fields go first, so a mistake in them is named before the batch."""
        plan = self._new_plan(args)
        sli = next(name for name in ("ratio", "latency", "pyrra", "sloth") if getattr(self, name) is not None)
        sent = [
            (f"{sli}: its {part} query over {window}", query)
            for window, queries in [*list(plan.windows.items())[:1], (self.period, plan.period)]
            for part, query in queries.items()
        ]
        sent += [
            (f"the query it sends ({index + 1} of {len(plan.batches)})", b.promql)
            for index, b in enumerate(plan.batches)
        ]
        if isinstance(self._reader, LatencyReader):
            sent.append(
                (
                    "the query listing the histogram's buckets (when a bound is missing)",
                    self._reader.buckets_query(args),
                )
            )
        # The kind's rule for an instant query read over windows (see _stopped_now); imported where it is needed.
        from checks.prometheus import LOOKBACK_S, presence_now_query, read_now_over_windows

        # A pass without a window within the look-back measured: one accepted unjudged, or tiers all longer.
        if self.accept_unjudged_tiers or all(parse_duration(window) > LOOKBACK_S for window in plan.windows):
            read = read_now_over_windows(query for queries in plan.windows.values() for query in queries.values())
            if read is not None:
                sent.append(
                    (
                        "the presence query for the series the SLI reads over windows (on a pass no window of 5 "
                        "minutes or less measured)",
                        presence_now_query(*read),
                    )
                )
        return sent

    def optional_names(self) -> dict[str, str]:
        """`optional_metrics`, and the names of an SLO tool that it records only in some setups and that the
        check judges without: Pyrra's --generic-rules (pyrra_availability only without min_budget_remaining,
        which cannot pass without it; pyrra_objective, pyrra_window, pyrra_errors:rate5m), its
        performanceOverAccuracy 5m increase rule, Sloth's slo:time_period:days."""
        # optional_metrics excuses a counter of the SLI's errors only: a name its total reads (no total, no window
        # judges: no data for ever, not zero events) or a recording rule the check needs stays required.
        errors, totals = (
            {name for query in queries for found in metric_selectors(query) for name in found.names}
            for queries in self._raw_queries()
        )
        found = {
            name: "it is in optional_metrics, its absence reads as zero events"
            for name in self.optional_metrics
            if name in errors and name not in totals
        }
        generic = "Pyrra records it only with --generic-rules; without it"
        if self.pyrra is not None and self.min_budget_remaining is None:
            found["pyrra_availability"] = f"{generic} the budget remaining is unknown (evidence only here)"
        if self.pyrra is not None:
            found["pyrra_objective"] = f"{generic} the SLO's objective is not compared with the check's"
            if self.pyrra.total is not None and self.pyrra.errors is None and self.pyrra.indicator != "latency":
                found["pyrra_errors:rate5m"] = (
                    f"{generic} a window whose burnrate rule recorded nothing reads as zero errors whatever the errors "
                    "within it (a stopped burnrate group is not seen)"
                )
            found["pyrra_window"] = (
                f"{generic} the SLO's window is compared with the check's period only by its increase rule over "
                "the period (with pyrra.total)"
            )
            if self.pyrra.metric is not None:
                # Pyrra records it only for SLOs with performanceOverAccuracy: its absence is normal, not noted.
                found[f"{self.pyrra.metric.removesuffix('_bucket')}:increase5m"] = ""
        if self.sloth is not None:
            found["slo:time_period:days"] = (
                "Sloth SLOs whose rules do not record it are read as before; the SLO's period is not compared with "
                "the check's"
            )
        return found

    def _raw_queries(self) -> tuple[list[str], list[str]]:
        """The SLI's fields that count its errors and those that count all its events, as written."""
        if self.ratio is not None:
            return [self.ratio.errors], [self.ratio.total]
        if self.latency is not None:
            return [f"{self.latency.metric}_bucket"], [f"{self.latency.metric}_count"]
        errors, total = (
            (self.pyrra.errors, self.pyrra.total)
            if self.pyrra is not None
            else (self.sloth.errors_query, self.sloth.total_query)
            if self.sloth is not None
            else (None, None)
        )
        return [errors] if errors else [], [total] if total else []

    @property
    def _unguarded_field(self) -> str | None:
        """The field whose absence leaves a window of BLIND_WINDOW_S or less unchecked for raw series scraped that
        seldom (see with_blind_query): None when the check can ask which raw series its rules read."""
        if self.sloth is not None and self.sloth.total_query is None:
            return "sloth.total_query"
        if self.pyrra is not None and self.pyrra.total is None:
            return "pyrra.total"
        return None

    def _windows(self) -> list[str]:
        """The distinct tier windows, each measured once however many tiers share it."""
        return list(dict.fromkeys(w for tier in self._tiers for w in (tier.long, tier.short)))

    def plan(self, args: Mapping[str, ArgValue]) -> MeasurementPlan:
        """The queries measuring every window and the period for these args, and the batches that carry them;
        a plan depends on the args only, so the last `PLANS_KEPT` distinct args' plans are kept."""
        key = tuple(sorted(args.items()))
        plans = self._kept.plans
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = self._new_plan(args)
            if len(plans) > PLANS_KEPT:
                plans.popitem(last=False)
        else:
            plans.move_to_end(key)
        return plan

    def _new_plan(self, args: Mapping[str, ArgValue]) -> MeasurementPlan:
        windows = {window: self._reader.queries(window, args, period=False) for window in self._windows()}
        period = self._reader.queries(self.period, args, period=True)
        after = QueryBatch.of({self.period: {ASKED_AFTER: period[ASKED_AFTER]}} if ASKED_AFTER in period else {})
        batched = {part: query for part, query in period.items() if part != ASKED_AFTER}
        probes = self._reader.probes(windows, self.period, args, frozenset(self.optional_metrics))
        # The probes ride in the required query: whether the check reads anything at all decides the verdict.
        probed = {
            PROBE_WINDOW: {
                part: query
                for index, probe in enumerate(probes)
                for part, query in (
                    (f"probe{index}", probe.query),
                    *((f"probe{index}.{number}", q) for number, q in enumerate(probe.together)),
                    # A query the windows already send (Pyrra's totals) goes once: QueryBatch.of keeps the first.
                    *((f"probe{index}.beside{number}", q) for number, q in enumerate(probe.beside)),
                    *((f"probe{index}.unless{number}", q) for number, q in enumerate(probe.unless)),
                )
            }
        }
        if self.min_budget_remaining is not None or self._reader.recorded:
            return MeasurementPlan(
                windows, period, QueryBatch.of(windows, {self.period: batched}, probed), QueryBatch({}), after, probes
            )
        # Without a budget gate the period's ratio is evidence only: over raw counters it goes out as a second
        # query, so a slow 30d query failing or timing out cannot cost the verdict.
        required = QueryBatch.of(windows, probed)
        optional = {part: query for part, query in batched.items() if query not in required.queries}
        return MeasurementPlan(windows, period, required, QueryBatch.of({self.period: optional}), after, probes)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Measure every window (and the period) in one query, or two when the period is only evidence computed
        from raw counters (a Sloth period without its ratio: one more, see SlothReader.asks_after), then judge the
        tiers and the budget."""
        plan = self.plan(ctx.args)
        # The SLI's own queries: each window reads the same selectors over its range.
        for queries in (next(iter(plan.windows.values()), {}), plan.period):
            for query in queries.values():
                refuse_contradicting_names(query)
        required, optional = plan.required, plan.optional
        # `required` is never empty: a check without tiers must have a budget gate, whose period it carries.
        answers, failed = await self._run_all(ctx, [required], [optional] if optional.parts else [])
        results = required.split(answers[required.promql], owned=True)
        unmeasured = failed.get(optional.promql) if optional.parts else None
        if optional.parts and unmeasured is None:
            try:
                results.update(optional.split(answers[optional.promql], owned=True))
            except SourceRejected as exc:
                unmeasured = exc
        reader = self._kept.reader
        reader.same_settings(self.period, plan.period, results)
        if missing := [probe for probe in plan.probes if probe.missing(results)]:
            return _unseen(missing, results, plan.queries, plan.sent, ctx.prometheus(self.source))
        listed, sent = plan.queries, plan.sent
        try:
            try:
                windows = {window: reader.measure(window, qs, results) for window, qs in plan.windows.items()}
            except UnexplainedLabels as exc:
                windows = await self._measure_vouched(ctx, plan, results, exc)
            if unmeasured is None and isinstance(reader, SlothReader) and reader.asks_after(plan.period, results):
                unmeasured = await self._ask_after(ctx, plan.after, answers, results)
                listed, sent = (*listed, *plan.after.queries), (*sent, plan.after.promql)
            if unmeasured is None:
                period = self._measure_period(plan, results)
            else:
                period = WindowRatio(self.period, None, note=f"not measured: {unmeasured.message}")
        except MissingBucket as exc:
            raise await self._explain_missing_bucket(ctx, exc) from None
        # A partial answer (Thanos, Mimir) says so only in its warnings: they travel with the evidence, and
        # an error series absent from such an answer may be missing rather than never recorded.
        annotated = any(answer.warnings or answer.infos for answer in answers.values())
        warnings, partial, infos = [], [], []
        if annotated:  # the usual answer carries neither
            warnings = list(dict.fromkeys(w for answer in answers.values() for w in answer.warnings))
            partial = list(dict.fromkeys(w for answer in answers.values() for w in answer.storage_warnings))
            infos = list(dict.fromkeys(i for answer in answers.values() for i in answer.infos))
        verdict, tiers = self._judged(windows, period, listed, sent, partial, RulesRead())
        if verdict.outcome is Outcome.PASS and self._unguarded_field is not None:
            gating = [t for t in tiers if t.judged and t.tier.severity in self.fail_on]
            if held := list(dict.fromkeys(window for _, window, *_ in held_alone(gating))):
                verdict = await self._read_rules(ctx, held, windows, period, listed, sent, partial)
        if verdict.outcome is Outcome.PASS and self.sloth is not None and self.sloth.errors_query is None:
            verdict = await self._rules_divided(ctx, verdict)
        elif verdict.outcome in (Outcome.PASS, Outcome.INCONCLUSIVE) and self.sloth is not None:
            if verdict.outcome is Outcome.PASS and self._gate_unasked(plan):
                await self._gate_errors_matched(ctx)
            if self._errors_match_any_total(ctx.args):
                # A rule that divides its errors by no total records nothing, which reads as no data; one whose errors
                # no total matches records 0 (or nothing) while they burn. sloth.errors_query tells that by its series
                # only when they can carry labels: one that carries none (`sum(...)` where the SLO's error_query is
                # `sum by (code) (...)`) matches its total whatever the rule divides. So the rules are read as without
                # it: what they tell is CheckMisconfigured; else the verdict stands as it was.
                await self._rules_divided(ctx, verdict.model_copy(update={"details": dict(verdict.details)}))
        if verdict.outcome is Outcome.PASS and (stopped := await self._stopped_now(ctx, plan, windows)) is not None:
            verdict = self._unjudged(stopped[0], {**verdict.details, "presence_now_query": stopped[1]}, partial)
        if warnings:
            verdict.details["prometheus_warnings"] = warnings
        if infos:
            verdict.details["prometheus_infos"] = infos
        return verdict

    async def _read_rules(
        self,
        ctx: EvalContext,
        held: Sequence[str],
        windows: Mapping[str, WindowRatio],
        period: WindowRatio,
        queries: Sequence[str],
        sent: Sequence[str],
        partial: Sequence[str],
    ) -> Verdict:
        """A pass that `held` windows (of BLIND_WINDOW_S or less, a Pyrra or Sloth SLI without its raw total) alone
        rest on, judged again once the rules API told what each one's recording rule reads: its expression's raw
        series, asked by the blind query the raw total's path sends (see rules_blind_query), make the window blind
        (see settle_blind) when one holds a single sample there, and checked when none does. Where the rules API
        cannot tell (no rules API, no such rule, an expression the check cannot read, a failed query), the pass
        stands as judged, and its details (`rules_read`) say why: reading them never turns a pass into an error."""
        reader = self._kept.reader
        assert isinstance(reader, SlothReader | PyrraReader)
        source = ctx.prometheus(self.source)
        said: dict[str, Any] = {}
        blinded = dict(windows)
        checked: set[str] = set()
        # Why the blind query of a window's rule's raw series could not tell, by window.
        untold: dict[str, str] = {}
        listing, unread = await _rules_listed(source, ctx, held)
        for window in held if not unread else ():
            rule, found = reader.window_rules(listing.rules, window, ctx.args)
            if not found and listing.partial:
                unread[window] = _partially_listed(rule, listing)
                continue
            query, expressions = rules_blind_query(found, rule, parse_duration(window))
            if query is None:
                unread[window] = expressions
                continue
            try:
                answer = await source.query(query, ctx.evaluation_time, ctx.timeout_s())
                count = answer.single_value("blind query of the rule's raw series")
            except CheckError as exc:
                untold[window] = f"the query of {rule}'s raw series failed: {exc.message}"
                continue
            said[window] = {"rules": expressions, "blind_query": query, "single_sample_series": count}
            if count:
                blinded[window] = replace(windows[window], blind=blind_rule_note(count, window, rule))
            elif answer.storage_warnings:
                # No series counted in an answer that may lack some: no evidence there is none.
                untold[window] = (
                    f"the query of {rule}'s raw series may be partial ({'; '.join(answer.storage_warnings)})"
                )
            elif count is None:
                # Its selectors select nothing here: the raw series the rule reads are elsewhere (a ruler's own), or the
                # rule found is another SLO's of the same identity. A 0 counted would show none held a single sample.
                untold[window] = (
                    f"no raw series that {rule} reads (its expression, as the rules API lists it) holds a sample over "
                    f"the last {prometheus_duration(parse_duration(window))} at this source"
                )
            else:
                checked.add(window)
        told = RulesRead(frozenset(checked), unread, untold)
        judged = self.judge(blinded, period, queries, sent, partial, told)
        judged.details["rules_read"] = {
            **said,
            **{window: {"unread": why} for window, why in (*unread.items(), *untold.items())},
        }
        return judged

    def _errors_match_any_total(self, args: Mapping[str, ArgValue]) -> bool:
        """Whether no series of sloth.errors_query can fail to match sloth.total_query's (Sloth's division of the two
        can carry no label it matches on; also without errors_query, or when the division is unreadable): their
        series then tell nothing of how the SLO's own ratio rules divide."""
        queries = self._kept.reader.queries("5m", args, period=False)
        if "errors" not in queries:
            return True
        division = division_sides(f"({queries['errors']})\n/\n({queries['total']})")
        return division is None or division.label_free

    def _gate_unasked(self, plan: MeasurementPlan) -> bool:
        """A Sloth budget gate with sloth.errors_query whose tiers asked no 5m window: the period's ratio averages
        what ratio_rate5m recorded, whose division no window's errors told."""
        return self.sloth is not None and self.min_budget_remaining is not None and "5m" not in plan.windows

    async def _gate_errors_matched(self, ctx: EvalContext) -> None:
        """CheckMisconfigured when a budget gate's sloth.errors_query, asked over 5m beside sloth.total_query, has a
        series the division leaves out (see SlothReader.errors_matched): the period's ratio averages what
        ratio_rate5m recorded, and no tier window asked them (`tiers: []`, or tiers without 5m)."""
        reader = self._kept.reader
        assert isinstance(reader, SlothReader)
        queries = reader.queries("5m", ctx.args, period=False)
        batch = QueryBatch.of({"5m": {part: queries[part] for part in ("errors", "total")}})
        # A gate's query: failing, it fails the evaluation (error), as the gate's period query does.
        answer = await ctx.prometheus(self.source).query(
            batch.promql, ctx.evaluation_time, ctx.timeout_s(), encoded_promql=batch.encoded_promql
        )
        if answer.storage_warnings:
            # A total series missing from a partial answer would show errors left out: no evidence either way.
            raise SourceRejected(
                "the 5m query of sloth.errors_query and sloth.total_query, which tells whether the budget gate's "
                f"ratio leaves errors out, may be partial ({'; '.join(answer.storage_warnings)})"
            )
        reader.errors_matched("5m", queries, batch.split(answer, owned=True))

    async def _rules_divided(self, ctx: EvalContext, verdict: Verdict) -> Verdict:
        """A Sloth SLI's pass (without sloth.errors_query; evaluate() reads the rest on a copy) once the rules API told
        what each window's ratio rule divides (see division_sides) and its two sides' series told whether the division
        drops errors: CheckMisconfigured when an error element with a value above 0 has labels no total element
        matches (Sloth's `(error_query) / (total_query)` leaves it out: `sum by (code) (...) or vector(0)` over
        `sum(...)`, `sum(...)` over `sum by (code) (...)`), as _errors_matched tells from sloth.errors_query's series.
        A division whose sides can carry no label it matches on needs no series. Where they cannot tell (no rules API,
        no such rule, no division, no total series at this source, a failed or partial query), the pass stands, and
        its reason and details (`rules_divided`) say why: reading them never turns a pass into anything but that
        error."""
        reader = self._kept.reader
        assert isinstance(reader, SlothReader)
        source = ctx.prometheus(self.source)
        # The rules whose sides' series tell, by window; the windows told without them.
        asked: dict[str, list[tuple[RecordingRule, Division]]] = {}
        told: list[str] = []
        # The windows whose rule the rules API does not list, named once in the reason.
        unlisted: list[str] = []
        # A budget gate reads the period's ratio, Sloth's average of what ratio_rate5m recorded: that rule's division.
        windows = self._windows() + (
            ["5m"] if self.min_budget_remaining is not None and "5m" not in self._windows() else []
        )
        listing, unread = await _rules_listed(source, ctx, windows)
        for window in windows if not unread else ():
            rule, found = reader.window_rules(listing.rules, window, ctx.args)
            if not found and listing.partial:
                unread[window] = _partially_listed(rule, listing)
            elif not found:
                unread[window] = f"the rules API lists no recording rule {rule}"
                unlisted.append(window)
            for each in found:
                division = division_sides(each.query)
                if division is None:
                    unread[window] = (
                        f"the expression of recording rule {each.name} ({clip_text(each.query)}) is no division"
                    )
                elif not division.label_free:
                    asked.setdefault(window, []).append((each, division))
            if window not in unread and window not in asked:
                told.append(window)
        # Why the sides' series could not tell, by window: the rules API told those windows' rules.
        untold, budget = await self._divided_apart(ctx, reader, asked) if asked else ({}, "")
        if budget:
            # The windows' 0 stands (they count no errors now), the period's does not: said, not judged.
            verdict = verdict.model_copy(update={"reason": f"{verdict.reason}; {budget}"})
        if untold:
            unread.update(untold)
            unread = {window: unread[window] for window in windows if window in unread}
        checked = [window for window in windows if window in told or (window in asked and window not in unread)]
        verdict.details["rules_divided"] = {"checked": checked, "unread": unread}
        if not unread:
            return verdict
        listed = [why for window, why in unread.items() if window not in unlisted and window not in untold]
        if unlisted:
            matchers = reader.window_rules((), unlisted[0], ctx.args)[0].partition("{")[2]
            listed.insert(
                0,
                f"the rules API lists no recording rule slo:sli_error:ratio_rate<window>{{{matchers} over "
                f"{', '.join(unlisted)}",
            )
        why = "; ".join(
            f"{teller} did not tell: {'; '.join(dict.fromkeys(reasons))}"
            for teller, reasons in (("the rules API", listed), ("the ratio rules' sides", untold.values()))
            if reasons
        )
        return verdict.model_copy(
            update={
                "reason": f"{verdict.reason}; unchecked: whether the errors of Sloth's ratio rules over "
                f"{', '.join(unread)} can match their total ({why}): an error_query "
                "grouped by a label its total_query lacks records 0 while errors burn; set sloth.errors_query to "
                "have it checked"
            }
        )

    async def _divided_apart(
        self, ctx: EvalContext, reader: SlothReader, asked: Mapping[str, Sequence[tuple[RecordingRule, Division]]]
    ) -> tuple[dict[str, str], str]:
        """CheckMisconfigured when a rule of `asked` divides an error element above 0 by no total element (its two
        sides' series, asked in one query at the evaluation time), or, under a budget gate, a labelled one at 0 (with
        traffic or without: its labels match no total either way); else why each window the series cannot tell could
        not be told, and, without a gate, why the budget remaining the pass states is not told ("" when it is)."""
        gated = self.min_budget_remaining is not None
        batch = QueryBatch.of(
            {
                window: {
                    part: query
                    for index, (_, division) in enumerate(pairs)
                    for part, query in ((f"errors{index}", division.errors), (f"total{index}", division.total))
                }
                for window, pairs in asked.items()
            }
        )
        try:
            answer = await ctx.prometheus(self.source).query(
                batch.promql, ctx.evaluation_time, ctx.timeout_s() * 0.5, encoded_promql=batch.encoded_promql
            )
            results = batch.split(answer, owned=True)
        except CheckError as exc:
            return dict.fromkeys(
                asked, f"the query of the ratio rules' error and total sides failed: {exc.message}"
            ), ""
        if answer.storage_warnings:
            # A total series missing from a partial answer would show its errors dropped: no evidence either way.
            partial = "; ".join(answer.storage_warnings)
            return dict.fromkeys(
                asked, f"the query of the ratio rules' error and total sides may be partial ({partial})"
            ), ""
        unread: dict[str, str] = {}
        budget = ""
        for window, pairs in asked.items():
            for rule, division in pairs:
                totals = results[division.total].series
                if not totals:
                    unread[window] = f"the total side of recording rule {rule.name} answers no series at this source"
                    continue
                matched = {division.matched(series.labels) for series in totals}
                apart = [s for s in results[division.errors].series if division.matched(s.labels) not in matched]
                for series in apart:
                    # At 0, a labelled error series shows the division leaves it out whenever it counts: the period's
                    # ratio averages what the rule recorded then (vector(0)'s label-less 0 beside grouped totals
                    # leaves nothing out; a label-less one no fallback of the error side answers is its own, as in
                    # `sum(...)` over `sum by (job) (...)`, and so is any of a side that carries no label, as in
                    # `sum(...) or vector(0)` over it). Its labels match no total with traffic or without: a gate,
                    # which cannot be told otherwise, does not wait for traffic to say so.
                    own = (
                        bool(series.labels)
                        or division.errors_label_less
                        or not may_answer_without_its_series(division.errors)
                    )
                    dropped = own and (gated or any(_last_value(t) > 0 for t in totals))
                    if _last_value(series) > 0 or (gated and dropped):
                        raise _dropped(
                            reader.window_rules((), window, ctx.args)[0],
                            window,
                            rule,
                            series,
                            totals,
                            self.period,
                            errors_set=self.sloth is not None and self.sloth.errors_query is not None,
                        )
                    if dropped and not budget:
                        budget = (
                            f"the budget remaining over {self.period} is not told: recording rule {rule.name} leaves "
                            f"out the errors of {series.describe()} whenever they count (no series of its total side "
                            f"carries its labels), and slo:sli_error:ratio_rate{rule_window(self.period)} averages "
                            "what ratio_rate5m recorded"
                        )
                # Errors at 0 that no total series matches are a clean service's only while it serves requests: a
                # total counting none shows nothing of how the rule divides errors once they count.
                if apart and not any(_last_value(series) > 0 for series in totals):
                    unread[window] = (
                        f"the total side of recording rule {rule.name} counts no traffic at this source, and its error "
                        f"side answers 0 in {apart[0].describe()}, whose labels no series of its total side carries "
                        f"({_described(totals)})"
                    )
        return unread, budget

    async def _stopped_now(
        self, ctx: EvalContext, plan: MeasurementPlan, windows: Mapping[str, WindowRatio]
    ) -> tuple[str, str] | None:
        """Why a pass judged on windows longer than Prometheus' look-back alone (a short window accepted without
        judging, tiers whose windows are all longer) says nothing of now, and the presence query that tells it: none
        of the series the SLI reads has a sample now, so they stopped reporting (a canary whose pods died) and the
        windows hold their earlier samples; None when one has, when a window within the look-back measured, or when
        the SLI reads recorded series alone (a rule's series is recorded on from the samples in its window)."""
        # The kind's rule for an instant query read over windows; imported here, where a pass may need it (rarely).
        from checks.prometheus import LOOKBACK_S, SPARSE_HINT, presence_now_query, read_now_over_windows

        if any(
            parse_duration(name) <= LOOKBACK_S and (window.total is not None or window.error_ratio is not None)
            for name, window in windows.items()
        ):
            return None
        read = read_now_over_windows(query for queries in plan.windows.values() for query in queries.values())
        if read is None:
            return None
        query = presence_now_query(*read)
        answer = await ctx.prometheus(self.source).query(query, ctx.evaluation_time, ctx.timeout_s())
        if answer.series:
            return None
        selectors, offset_s = read
        where = f"{format_number(offset_s)} s before the evaluation time" if offset_s else "now"
        return (
            f"none of the series the SLI reads has a sample {where} (in the {format_number(LOOKBACK_S)} s before: "
            f"{clip(', '.join(selectors), 300)}): they stopped reporting (a canary whose pods died?), so their "
            "earlier samples in the windows judged say nothing of now, and no window within that look-back measured; "
            f"{SPARSE_HINT}",
            query,
        )

    async def _measure_vouched(
        self, ctx: EvalContext, plan: MeasurementPlan, results: Results, unexplained: UnexplainedLabels
    ) -> dict[str, WindowRatio]:
        """The windows measured again once the raw series of pyrra.total, over the longest window, show that each of
        them carries the labels a Pyrra rule series had that no field names, with their values (a Thanos external
        label, an enforced namespace, a service's one handler): a same-name SLO whose total adds those matchers
        selects the same series; once more when the windows measured so ask of other labels (a window without a
        burnrate asks of its increase rules' labels, which carry the burnrate's and the errors' grouping labels). Else,
        when that query fails or tells nothing new, the CheckMisconfigured stands: one or two more queries, sent only
        on this path. Increase rules that group the last 5 minutes alone (performanceOverAccuracy) not vouched for
        over the longest window are asked of the last 5 minutes' raw series too, which prove the windows within them;
        increase rules not vouched for are asked whether the raw series they could group at their last evaluation
        were (two more queries): then the values they lack are born since, and the windows they prove wait for their
        next evaluation (no data). Labels vouched for over the last 5 minutes, or pending, explain no burnrate of a
        longer window: one that carries them asks of them over the longest window."""
        assert isinstance(self._kept.reader, PyrraReader)
        reader = self._kept.reader
        longest_s = max(parse_duration(window) for window in plan.windows)
        vouched: dict[str, str] = {}
        # Those of `vouched` asked over the longest window: they explain every window's rule series.
        lasting: dict[str, str] = {}
        vouched_s: float | None = None
        # A burnrate's labels the raw series carry over its own window, shorter than the longest (see measure).
        brief: dict[str, str] = {}
        # Each of `brief`'s labels' range: the window of the burnrate that asked of it.
        brief_s: dict[str, float] = {}
        pending = ""
        # A window with a burnrate asks of its labels, one without of its increase rules' (and their groups'): the
        # windows measured again with the first vouched may ask of the second, once each.
        for _ in range(2):
            ranges = [longest_s]
            if unexplained.range_s is not None and unexplained.range_s < longest_s:
                ranges.append(unexplained.range_s)
            elif unexplained.window_s is not None and unexplained.window_s < longest_s:
                # A burnrate's labels that a series ended within the longest window lacks (a cluster gone) are the
                # SLO's over the burnrate's own window if every series there carries them.
                ranges.append(unexplained.window_s)
            whole = short = False
            for range_s in ranges:
                try:
                    # Half the time left at most when a shorter range follows: a querier too slow for 4d of raw
                    # samples leaves the shorter query time to answer.
                    share = 0.5 if range_s != ranges[-1] else 1.0
                    answer = await self._ask_raw(ctx, vouch_query(unexplained, range_s), unexplained, share)
                except UnexplainedLabels:
                    if range_s == ranges[-1]:
                        raise
                    # The longest range refused (a querier's limit on samples or range): the shorter one may answer.
                    continue
                if more := vouched_by(unexplained, answer):
                    short = range_s == unexplained.window_s and range_s < longest_s
                    # Never widened again: a later round's labels (a burnrate's) prove no increase rules.
                    if range_s < longest_s and not short:
                        vouched_s = range_s
                        # Those rules cannot count a series scraped too seldom, whose errors burn unseen there.
                        blind = await self._ask_raw(ctx, blind_query(unexplained.total, range_s), unexplained, share)
                        pending = blind_note(blind, range_s)
                    whole = range_s == longest_s
                    break
            else:
                pending = await self._newborn(ctx, unexplained, ranges[-1], answer)
                more = unexplained.labels if pending else {}
            # A burnrate's labels the last 5 minutes vouched for are asked again, over the longest window.
            if not more or more.items() <= (lasting if whole else brief if short else vouched).items():
                raise unexplained
            if short:
                brief, brief_s = {**brief, **more}, {**brief_s, **dict.fromkeys(more, range_s)}
            else:
                vouched = {**vouched, **more}
            if whole:
                lasting = {**lasting, **more}
            try:
                return {
                    window: reader.measure(
                        window,
                        qs,
                        results,
                        vouched,
                        vouched_s=vouched_s,
                        pending=pending,
                        lasting=lasting,
                        brief=brief,
                        brief_s=brief_s,
                    )
                    for window, qs in plan.windows.items()
                }
            except UnexplainedLabels as again:
                unexplained = again
        raise unexplained

    async def _ask_raw(
        self, ctx: EvalContext, query: str, unexplained: UnexplainedLabels, share: float = 1.0
    ) -> QueryResult:
        """The answer to a query of the vouching path, given `share` of the time left; a failed one leaves
        `unexplained` standing."""
        try:
            return await ctx.prometheus(self.source).query(query, ctx.evaluation_time, ctx.timeout_s() * share)
        except CheckError:
            raise unexplained from None

    async def _newborn(self, ctx: EvalContext, unexplained: UnexplainedLabels, range_s: float, now: QueryResult) -> str:
        """newborn_note for increase rules the raw series (`now`, over `range_s`) did not vouch for: "" for a burnrate's
        labels, or when the rules' last evaluation cannot be told (no series: they are gone)."""
        if not unexplained.rules:
            return ""
        evaluated = (await self._ask_raw(ctx, evaluated_query(unexplained), unexplained)).single_value(
            "Pyrra increase rule timestamp query"
        )
        if evaluated is None:
            return ""
        seen = await self._ask_raw(ctx, seen_query(unexplained, range_s, evaluated), unexplained)
        return newborn_note(unexplained, now, seen, ctx.evaluation_time.timestamp() - evaluated)

    async def _ask_after(
        self, ctx: EvalContext, batch: QueryBatch, answers: dict[str, QueryResult], results: dict[str, QueryResult]
    ) -> CheckError | None:
        """Send `batch`, the period's part asked after the evaluation's batch (see SlothReader.asks_after), its answer
        added to `answers` and `results`; its failure, no time left before the deadline included, is the check's error
        under a budget gate and returned without one: the period is evidence only then, as in _measure_period."""
        try:
            answer = await ctx.prometheus(self.source).query(
                batch.promql, ctx.evaluation_time, ctx.timeout_s(), encoded_promql=batch.encoded_promql
            )
            results.update(batch.split(answer, owned=True))
        except CheckError as exc:
            if self.min_budget_remaining is not None:
                raise
            return exc
        answers[batch.promql] = answer
        return None

    def _measure_period(self, plan: MeasurementPlan, results: Results) -> WindowRatio:
        """The period's ratio; without a budget gate it is evidence only, so an unusable answer is a note."""
        try:
            return self._kept.reader.measure(self.period, plan.period, results)
        except SourceRejected as exc:
            if self.min_budget_remaining is not None:
                raise
            return WindowRatio(self.period, None, note=f"not measured: {exc.message}")

    async def _run_all(
        self, ctx: EvalContext, required: list[QueryBatch], optional: list[QueryBatch]
    ) -> tuple[dict[str, QueryResult], dict[str, CheckError]]:
        """Every batch at once, by its PromQL; a required batch's error is the check's error, an optional one's
        is returned."""
        source = ctx.prometheus(self.source)

        def send(batch: QueryBatch) -> Coroutine[Any, Any, QueryResult]:
            return source.query(batch.promql, ctx.evaluation_time, ctx.timeout_s(), encoded_promql=batch.encoded_promql)

        async def attempt(batch: QueryBatch) -> QueryResult | CheckError:
            try:
                return await send(batch)
            except CheckError as exc:
                return exc

        try:
            async with asyncio.TaskGroup() as group:
                tasks = {b.promql: group.create_task(send(b)) for b in required}
                optional_tasks = {b.promql: group.create_task(attempt(b)) for b in optional}
        except ExceptionGroup as failures:
            # The first query that could not be answered is the verdict's error; anything else is a bug
            # and goes to the runner as it is.
            check_errors = [e for e in failures.exceptions if isinstance(e, CheckError)]
            if len(check_errors) == len(failures.exceptions):
                raise check_errors[0] from failures
            raise
        results = {q: task.result() for q, task in tasks.items()}
        failed: dict[str, CheckError] = {}
        for query, task in optional_tasks.items():
            outcome = task.result()
            if isinstance(outcome, CheckError):
                failed[query] = outcome
            else:
                results[query] = outcome
        return results, failed

    async def _explain_missing_bucket(self, ctx: EvalContext, exc: MissingBucket) -> CheckMisconfigured:
        assert isinstance(self._reader, LatencyReader) and self.latency is not None
        query = self._reader.buckets_query(ctx.args)
        answer = await ctx.prometheus(self.source).query(query, ctx.evaluation_time, ctx.timeout_s())
        bounds = sorted({s.labels.get("le", "") for s in answer.series}, key=_bound_order)
        return CheckMisconfigured(
            f"latency.threshold_s {format_number(self.latency.threshold_s)} is not a bucket "
            f"bound of {self.latency.metric} (its bounds: {', '.join(bounds) or 'none'}); "
            f"query: {exc.query}"
        )

    def judge(
        self,
        windows: Mapping[str, WindowRatio],
        period: WindowRatio,
        queries: Sequence[str] = (),
        sent: Sequence[str] = (),
        partial: Sequence[str] = (),
        rules_read: RulesRead | None = None,
    ) -> Verdict:
        """The verdict from measured windows: pure arithmetic, no I/O. `queries` are the per-window queries,
        `sent` the combined queries that carried them, `partial` the storage warnings of an answer that may
        lack series (the period's zero errors inferred from absent windows is then no evidence either),
        `rules_read` what the rules API told of windows a pass rests on (see _read_rules)."""
        return self._judged(windows, period, queries, sent, partial, rules_read or RulesRead())[0]

    def _judged(
        self,
        windows: Mapping[str, WindowRatio],
        period: WindowRatio,
        queries: Sequence[str],
        sent: Sequence[str],
        partial: Sequence[str],
        rules_read: RulesRead,
    ) -> tuple[Verdict, list[TierResult]]:
        """judge's verdict, and the tiers judged."""
        budget = self.budget
        # Zero errors read from an absent series, then inferred for the period from such windows, is no
        # evidence in an answer that may lack series.
        if partial:
            windows = {name: absence_unproven(w, partial) for name, w in windows.items()}
        windows, period = reconcile_absences(windows, period)
        if partial:
            period = absence_unproven(period, partial)
        windows = {name: with_min_events(w, self.min_events_per_window) for name, w in windows.items()}
        period = with_min_events(period, self.min_events_per_window)
        windows = settle_blind(self._kept.tiers, windows, budget)
        tiers = judge_tiers(self._kept.tiers, windows, budget)
        return self._verdict(windows, period, tiers, queries, sent, partial, rules_read), tiers

    def _verdict(
        self,
        windows: Mapping[str, WindowRatio],
        period: WindowRatio,
        tiers: list[TierResult],
        queries: Sequence[str],
        sent: Sequence[str],
        partial: Sequence[str],
        rules_read: RulesRead,
    ) -> Verdict:
        """The verdict of the judged `tiers` and the period's budget (see _judged)."""
        budget = self.budget
        # A NaN ratio is no measurement: read as a number, the gate below would find NaN above any minimum.
        ratio = period.error_ratio
        remaining = None if ratio is None or math.isnan(ratio) else budget_remaining(ratio, budget)
        details = self._details(windows, period, tiers, remaining, queries, sent)
        failing = [t for t in tiers if t.fired and t.tier.severity in self.fail_on]
        warned = [t for t in tiers if t.fired and t.tier.severity not in self.fail_on]
        details["warnings"] = [
            f"{t.tier.severity} tier {t.tier.label} fires: burn {format_number(t.burn)}x "
            f"over both windows (limit {format_number(t.tier.factor)}x)"
            for t in warned
        ]
        budget_text = _budget_text(remaining, self.period)
        if failing:
            # The fastest burn detected is the most telling: the fired tier with the highest factor.
            worst = max(failing, key=lambda t: (t.tier.factor, t.burn))
            return Verdict(
                outcome=Outcome.FAIL,
                value=worst.burn,
                threshold=worst.tier.factor,
                details=details,
                reason=f"{worst.tier.severity} tier {worst.tier.label} fires: the budget burns "
                f"{format_number(worst.burn)}x over both {worst.tier.long} and {worst.tier.short} "
                f"(limit {format_number(worst.tier.factor)}x); {budget_text}",
            )
        gate = self.min_budget_remaining
        if gate is not None and remaining is not None and not exceeds(remaining, gate):
            assert period.error_ratio is not None
            return Verdict(
                outcome=Outcome.FAIL,
                value=remaining,
                threshold=gate,
                details=details,
                reason=f"{_gate_text(remaining)} is not above min_budget_remaining "
                f"{_percent(gate)} (error ratio {format_number(period.error_ratio)} over "
                f"{self.period} at objective {format_number(self.objective)}%)",
            )
        gating = [t for t in tiers if t.tier.severity in self.fail_on]
        gating_judged = [t for t in gating if t.judged]
        burning = [t for t in gating if t.burning]
        if burning:
            return self._burning_unjudged(burning, details)
        if gating and not gating_judged:
            reasons = "; ".join(f"{t.tier.label}: {t.note}" for t in gating)
            return self._unjudged(f"no {'/'.join(self.fail_on)} tier can judge ({reasons})", details, partial)
        unjudged = [t for t in gating if not t.judged]
        if unjudged and not self.accept_unjudged_tiers:
            reasons = "; ".join(f"{t.tier.label}: {t.note}" for t in unjudged)
            return self._unjudged(
                f"{len(unjudged)} of {len(gating)} {'/'.join(self.fail_on)} tiers cannot judge ({reasons}); a pass "
                "needs every one judged (accept_unjudged_tiers: true accepts the rest)",
                details,
                partial,
            )
        if gate is not None and remaining is None:
            unknown = period.note or f"the error ratio over {self.period} is NaN"
            return self._unjudged(f"budget remaining is unknown: {unknown}", details, partial, threshold=gate)
        if not gating:
            assert remaining is not None and gate is not None
            return Verdict(
                outcome=Outcome.PASS,
                value=remaining,
                threshold=gate,
                details=details,
                reason=f"{_gate_text(remaining)} is above min_budget_remaining {_percent(gate)} over {self.period}",
            )
        worst = max(gating_judged, key=lambda t: t.pressure)
        extra = (
            f"; {len(warned)} non-failing tier(s) fire ({', '.join(t.tier.label for t in warned)})" if warned else ""
        )
        extra += (
            f"; accepted without judging: {', '.join(f'{t.tier.label} ({t.note})' for t in unjudged)}"
            if unjudged
            else ""
        )
        extra += _unguarded(gating_judged, self._unguarded_field, rules_read)
        return Verdict(
            outcome=Outcome.PASS,
            value=worst.burn,
            threshold=worst.tier.factor,
            details=details,
            reason=f"no {'/'.join(self.fail_on)} tier fires: worst is {worst.tier.severity} tier "
            f"{worst.tier.label} at {format_number(worst.burn)}x (limit "
            f"{format_number(worst.tier.factor)}x); {budget_text}{extra}",
        )

    def _unjudged(
        self, reason: str, details: dict[str, Any], partial: Sequence[str], threshold: float | None = None
    ) -> Verdict:
        """The no_data policy's verdict, but no pass when the answer may be partial (`partial`: its storage
        warnings): what it lost may be the errors, which `no_data: pass` would read as good news."""
        if partial and self.no_data is NoDataPolicy.PASS:
            return Verdict(
                outcome=Outcome.INCONCLUSIVE,
                reason=f"{reason} and the answer may be partial ({'; '.join(partial)}): no_data: pass does not apply "
                "to an answer that may lack series",
                threshold=threshold,
                details=details,
            )
        return self.no_data_verdict(reason, details=details, threshold=threshold)

    def _burning_unjudged(self, burning: list[TierResult], details: dict[str, Any]) -> Verdict:
        """A fail_on tier that cannot judge while a window it could measure burns above its factor: it may be
        firing unseen (a canary that errored, then lost its traffic), so no pass, whatever accept_unjudged_tiers
        says; and not the no_data policy's pass either, since there is evidence of burning."""
        worst = max(burning, key=lambda t: max(burn / t.tier.factor for _, burn in t.burning))
        window, burn = max(worst.burning, key=lambda item: item[1])
        reason = (
            f"{worst.tier.severity} tier {worst.tier.label} cannot judge ({worst.note}) while its {window} "
            f"window burns {format_number(burn)}x (limit {format_number(worst.tier.factor)}x): it may be "
            "firing unseen"
        )
        if len(burning) > 1:
            reason += f"; so may {', '.join(t.tier.label for t in burning if t is not worst)}"
        if self.no_data is NoDataPolicy.PASS:
            return Verdict(
                outcome=Outcome.INCONCLUSIVE,
                value=burn,
                threshold=worst.tier.factor,
                details=details,
                reason=f"{reason} (no_data policy pass does not apply to a window burning above its factor)",
            )
        return self.no_data_verdict(reason, details=details, threshold=worst.tier.factor)

    def _details(
        self,
        windows: Mapping[str, WindowRatio],
        period: WindowRatio,
        tiers: list[TierResult],
        remaining: float | None,
        queries: Sequence[str],
        sent: Sequence[str],
    ) -> dict[str, Any]:
        budget = self.budget
        return {
            "queries": list(queries),
            "sent_queries": list(sent),
            "objective": self.objective,
            "error_budget": budget,
            "period": self.period,
            "windows": [_window_details(w, budget) for w in windows.values()],
            "tiers": [
                {
                    "severity": t.tier.severity,
                    "long": t.tier.long,
                    "short": t.tier.short,
                    "factor": t.tier.factor,
                    "long_burn_rate": t.long_burn,
                    "short_burn_rate": t.short_burn,
                    "judged": t.judged,
                    "fired": t.fired,
                    "fails_verdict": t.tier.severity in self.fail_on,
                    **({"note": t.note} if t.note else {}),
                }
                for t in tiers
            ],
            "budget": {
                **_window_details(period, budget),
                "remaining": remaining,
                "min_budget_remaining": self.min_budget_remaining,
            },
            "traffic": self._traffic_source(),
            "min_events_per_window": self.min_events_per_window,
        }

    def _traffic_source(self) -> str:
        """Where each window's event count comes from (what tells zero errors from no traffic)."""
        if self.ratio is not None:
            return "ratio.total"
        if self.latency is not None:
            return f"{self.latency.metric}_count"
        if self.pyrra is not None:
            return (
                "pyrra.total (the SLO's total metric)"
                if self.pyrra.total is not None
                else "none: without pyrra.total an absent burnrate series is no data"
            )
        assert self.sloth is not None
        return (
            "sloth.total_query (the SLI's total query)"
            if self.sloth.total_query is not None
            else "none: without sloth.total_query an absent ratio_rate series is no data"
        )


def _unseen(
    missing: Sequence[Probe], results: Results, queries: Sequence[str], sent: Sequence[str], source: PrometheusSource
) -> Verdict:
    """The verdict when the `missing` probes found no series: NoSeriesFound with the first one's problem (a
    misspelled name, rules not loaded; looked for in `source`), unless the answer that carried them may be partial: a
    store that did not answer (Thanos, Mimir, remote read) may hold them, so inconclusive, never a pass nor a false
    claim."""
    answers = [results[probe.query] for probe in missing if probe.query in results]
    partial = list(dict.fromkeys(warning for answer in answers for warning in answer.storage_warnings))
    if not partial:
        first = missing[0]
        raise NoSeriesFound(first.problem, source=source, names=() if first.label else first.metrics)
    # A label of names none of whose series was found is not found either: the names say it.
    unnamed = {probe.metrics for probe in missing if not probe.label}
    missing = [probe for probe in missing if not probe.label or probe.metrics not in unnamed]
    labels = sorted({f"{' or '.join(probe.metrics)}: {probe.label}" for probe in missing if probe.label})
    details: dict[str, Any] = {
        "queries": list(queries),
        "sent_queries": list(sent),
        "unseen_metrics": sorted({name for probe in missing if not probe.label for name in probe.metrics}),
        "prometheus_warnings": list(dict.fromkeys(warning for answer in answers for warning in answer.warnings)),
    }
    if labels:
        details["unseen_labels"] = labels
    return Verdict(
        outcome=Outcome.INCONCLUSIVE,
        reason="; ".join(probe.unseen or probe.problem for probe in missing)
        + f", in an answer that may be partial ({'; '.join(partial)}): a store that did not answer may hold them, "
        f"so a misspelled metric {'or label ' if labels else ''}name (or rules not loaded) cannot be told, and no "
        "value read without them is evidence",
        details=details,
    )


def held_alone(tiers: Sequence[TierResult]) -> list[tuple[TierResult, str, float, str, float]]:
    """The judged tiers kept from firing by a window of BLIND_WINDOW_S or less alone, its other window burning above
    the factor: (tier, window, its burn, other window, its burn) of each."""
    return [
        (t, window, burn, other, other_burn)
        for t in tiers
        for window, burn, other, other_burn in (
            (t.tier.short, t.short_burn, t.tier.long, t.long_burn),
            (t.tier.long, t.long_burn, t.tier.short, t.short_burn),
        )
        if burn is not None
        and other_burn is not None
        and parse_duration(window) <= BLIND_WINDOW_S
        and exceeds(other_burn, t.tier.factor)
    ]


@dataclass(frozen=True)
class RulesRead:
    """What the rules API told of the windows a pass rests on alone (see held_alone): those whose rule's raw series
    were counted and none is scraped as seldom as the window (`checked`), and why the others were not: the rules API
    could not tell (`unread`), or the blind query of the rule's raw series could not (`untold`)."""

    checked: frozenset[str] = frozenset()
    unread: Mapping[str, str] = field(default_factory=dict)
    untold: Mapping[str, str] = field(default_factory=dict)


def _unguarded(tiers: Sequence[TierResult], field_name: str | None, rules_read: RulesRead) -> str:
    """For a pass: the judged tiers kept from firing by a window of BLIND_WINDOW_S or less alone (see held_alone) that,
    without `field_name`, no query checks for raw series its rule leaves out unless the rules API told them
    (`rules_read`); "" when none."""
    if field_name is None:
        return ""
    held = held_alone(tiers)
    said = [
        f"{t.tier.label} on its {window} window alone ({format_number(burn)}x while {other} burns "
        f"{format_number(other_burn)}x, limit {format_number(t.tier.factor)}x)"
        for t, window, burn, other, other_burn in held
    ]
    checked = [text for text, (_, window, *_) in zip(said, held, strict=True) if window in rules_read.checked]
    unchecked = [
        f"{text}, whose rule leaves out any raw series scraped every {window} or less often, errors included"
        for text, (_, window, *_) in zip(said, held, strict=True)
        if window not in rules_read.checked
    ]
    text = (
        f"; checked: {'; '.join(checked)}, whose rule's raw series (its expression, as the rules API lists it) hold "
        "two samples at least in the window"
        if checked
        else ""
    )
    if not unchecked:
        return text
    why = "; ".join(
        f"{teller} did not tell: {'; '.join(dict.fromkeys(reasons.values()))}"
        for teller, reasons in (
            ("the rules API", rules_read.unread),
            ("the query of the rules' raw series", rules_read.untold),
        )
        if reasons
    )
    why = f" ({why})" if why else ""
    return text + (
        f"; unchecked: {'; '.join(unchecked)} (rate() and increase() need two samples in their range): without "
        f"{field_name} no query tells whether there is one{why}; set {field_name} to have it checked"
    )


def _can_fire(tier: BurnTier, ceiling: float) -> bool:
    """Whether a burn rate at most `ceiling` (every event bad) can exceed the tier's factor, as firing needs."""
    return exceeds(ceiling, tier.factor)


def _window_details(window: WindowRatio, budget: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "window": window.window,
        "error_ratio": window.error_ratio,
        "burn_rate": burn_or_none(window, budget),
    }
    # finite_or_none written out: every window of every evaluation shows its counts.
    errors, total, events = window.errors, window.total, window.events
    if total is not None:
        entry["errors"] = errors if errors is not None and math.isfinite(errors) else None
        entry["total"] = total if math.isfinite(total) else None
    if events is not None:
        entry["events"] = events if math.isfinite(events) else None
    if window.recorded_age_s is not None:
        entry["recorded_age_s"] = window.recorded_age_s if math.isfinite(window.recorded_age_s) else None
    if window.note:
        entry["note"] = window.note
    return entry


def _percent(share: float) -> str:
    return f"{format_number(round(share * 100, 4))}%"


def _budget_text(remaining: float | None, period: str) -> str:
    if remaining is None:
        return f"budget remaining over {period} unknown"
    if remaining <= 0:
        return f"{_exhausted(remaining)} over {period}"
    return f"budget remaining {_percent(remaining)} over {period}"


def _gate_text(remaining: float) -> str:
    """The remaining budget a min_budget_remaining gate compares, said as exhausted when none is left."""
    if remaining <= 0:
        # The verdict's value is the remaining share: keep it beside the words, so value and reason agree.
        return f"{_exhausted(remaining)}; budget remaining {_percent(remaining)}"
    return f"budget remaining {_percent(remaining)}"


def _exhausted(remaining: float) -> str:
    """An overspent budget as an SRE says it: how many budgets were spent, not a negative percentage left."""
    # Remaining is 1 - spent (in budgets), unclamped: -79 is 80 budgets spent.
    return f"budget exhausted: {format_number(1 - remaining)}x the budget spent"


def _bound_order(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return math.inf


def _dropped(
    name: str,
    window: str,
    rule: RecordingRule,
    errors: Series,
    totals: Sequence[Series],
    period: str,
    *,
    errors_set: bool = False,
) -> CheckMisconfigured:
    """Sloth SLO `name`'s (its window's rule's selector) ratio `rule` leaves out `errors`, whose labels no series of
    `totals` (its total side's) carries; at 0, what the budget gate over `period` cannot tell. `errors_set`: the check
    has sloth.errors_query, which is then not the rule's error side (its own series would have told)."""
    counted = _last_value(errors) > 0
    burned = (
        "a burning service read as clean (Sloth's alerts never fire on them either)"
        if counted
        else "so it recorded 0 whenever those errors counted, and the budget remaining cannot be told from "
        f"slo:sli_error:ratio_rate{rule_window(period)}, Sloth's average of what ratio_rate5m recorded over {period}"
    )
    return CheckMisconfigured(
        f"Sloth SLO {name[name.index('{') :]}: its recording rule {rule.name} (as the rules API lists it: "
        f"{clip_text(rule.query)}) divides errors by a total none of whose series they match: its error side "
        f"answers {format_number(errors.samples[-1][1])} over {window} in {errors.describe()}, whose labels no "
        f"series of its total side carries ({_described(totals)}): Sloth records (error_query) / (total_query), "
        "which divides series with the same labels only, so the rule leaves those errors out (it records the error "
        f"query's fallback alone, 0 for `or vector(0)`, or nothing), {burned}; aggregate the SLO's error_query and "
        "total_query by the same labels (sum(...) both, or sum by (x) (...) both)"
        + (
            ", and write sloth.errors_query as the SLO's error_query (as set, its series match sloth.total_query's, "
            "so they could not tell)"
            if errors_set
            else ""
        )
    )


def _last_value(series: Series) -> float:
    """The value of `series`' last sample; NaN without one."""
    return series.samples[-1][1] if series.samples else math.nan


def _described(series: Sequence[Series]) -> str:
    """The first three of `series` as their labels, ", ..." after them when there are more."""
    return ", ".join(each.describe() for each in series[:3]) + (", ..." if len(series) > 3 else "")


def _partially_listed(rule: str, listed: RulesListed) -> str:
    """Why a partial rules API answer that lists no `rule` tells nothing of it."""
    return f"the rules API's answer, which lists no recording rule {rule}, may be partial ({'; '.join(listed.partial)})"


async def _rules_listed(
    source: PrometheusSource, ctx: EvalContext, windows: Sequence[str]
) -> tuple[RulesListed, dict[str, str]]:
    """The source's recording rules, listed within half the time left (the queries that read them follow), with no
    window unread; or none, with each of `windows` unread for the listing's error."""
    try:
        return await source.recording_rules(ctx.timeout_s() * 0.5), {}
    except CheckError as exc:
        return RulesListed(()), dict.fromkeys(windows, f"the rules could not be listed: {exc.message}")
