"""From one verdict's evidence to its plots, per kind. Range queries made here are for the page only (never
on Argo's path), through the check's own sources (their concurrency limits) and within the evaluation deadline."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from analyzer.check import Check
from analyzer.comparison import Condition, exceeds
from analyzer.errors import CheckError, ConfigError
from analyzer.models import Outcome, Threshold, clip, format_number, format_value
from analyzer.params import parse_duration
from analyzer.redaction import REDACTED
from analyzer.sources import Series, Sources
from analyzer.ui import plots

# Series drawn from one range query; more are counted in the note.
_MAX_LINES = 8
_DEFAULT_WINDOW_S = 3600.0
_POINTS = 120
# Longest history drawn for a burn rate (the tier's long window times 6, at most this).
_MAX_BURN_WINDOW_S = 86400.0

MemberLink = Callable[[str, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Figure:
    """One plot of a verdict page (or, when it could not be drawn, why not)."""

    title: str
    svg: Markup | None
    note: str = ""


@dataclass(frozen=True)
class Evidence:
    """What the page knows of one evaluation."""

    check: str
    kind: str
    verdict: str
    value: float | None
    threshold: Threshold
    evaluated_at: datetime
    details: Mapping[str, Any]
    args: Mapping[str, Any]


class _RangeReader:
    """Range queries for plots: each bounded by the time left before the page's deadline."""

    def __init__(self, sources: Sources, source: str, deadline: float, args: Mapping[str, Any]) -> None:
        """`args`: the evaluation's, as shown (`Evidence.args`), which say what a query's REDACTED stands for."""
        self._sources = sources
        self._source = source
        self._deadline = deadline
        self._args = args

    async def series(self, promql: str, end: datetime, window_s: float, step_s: float) -> list[Series]:
        if REDACTED in promql:
            # Sent as it stands, the query would plot other series (`!="<redacted>"` matches them all) or none.
            raise CheckError(
                f"it holds {_hidden_in(promql, self._args)} (shown as {REDACTED}), which a page never sends again"
            )
        remaining = self._deadline - asyncio.get_running_loop().time()
        start = end - timedelta(seconds=window_s)
        try:
            source = self._sources.prometheus(self._source)
        except ConfigError:
            # Drawn from the definition that decided an answer: a reload has removed its source since.
            raise CheckError(f"the source {self._source!r} is no longer in the catalog") from None
        result = await source.query_range(promql, start, end, step_s, remaining)
        return result.series


def _hidden_in(promql: str, args: Mapping[str, Any]) -> str:
    """What the REDACTED in `promql` stands for, by the args shown: a secret arg (shown as REDACTED whole), the
    credential a URL arg held (`https://<redacted>@backend/`, quoted in the query), or a hidden value."""
    hidden = [f"secret arg {name!r}" for name, value in args.items() if value == REDACTED]
    hidden += [
        f"the credential that arg {name!r} held (a URL's password or token)"
        for name, value in args.items()
        if isinstance(value, str) and value != REDACTED and REDACTED in value and value in promql
    ]
    return " and ".join(hidden) or "a hidden value"


def _source_of(check: Check | None) -> str:
    source = getattr(check, "source", "default")
    return source if isinstance(source, str) else "default"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


async def figures(
    evidence: Evidence, check: Check | None, sources: Sources, deadline_s: float, member_link: MemberLink
) -> list[Figure]:
    """The plots of one verdict; a plot whose data cannot be read says why instead (the verdict stands)."""
    reader = _RangeReader(sources, _source_of(check), asyncio.get_running_loop().time() + deadline_s, evidence.args)
    try:
        async with asyncio.timeout(deadline_s):
            if evidence.kind == "prometheus":
                return await _prometheus(evidence, reader)
            if evidence.kind == "kpi_compare":
                return await _kpi_compare(evidence, check, reader)
            if evidence.kind == "error_budget":
                return [*_error_budget(evidence), *await _burn_over_time(evidence, check, reader)]
    except TimeoutError:
        return [Figure("Value over time", None, f"the plot's range query took longer than {deadline_s:g} s")]
    if evidence.kind == "http_smoke":
        return _http_smoke(evidence, check)
    if evidence.kind == "composite":
        return _composite(evidence, member_link)
    return []


def _heard(title: str, evidence: Evidence, *facts: str) -> str:
    """A plot's name for a screen reader: its title with the verdict (and `facts`); the plot adds what it draws."""
    return f"{title} (verdict {evidence.verdict.upper()}{''.join('; ' + fact for fact in facts)})"


def _side_value(details: Mapping[str, Any], side: str) -> str:
    """A kpi_compare side's judged value as said: its rate (a proportion), its value, or its samples' median."""
    given = details.get(side)
    found = given if isinstance(given, dict) else {}
    for name in ("rate", "value", "median"):
        if (value := _number(found.get(name))) is not None:
            return f"{name} {format_number(value)}"
    return "not measured"


def _condition_rules(details: Mapping[str, Any]) -> list[plots.Rule]:
    rules: list[plots.Rule] = []
    for name, css in (("pass_if", "pass-if"), ("fail_if", "fail-if")):
        text = details.get(name)
        if not isinstance(text, str):
            continue
        try:
            condition = Condition.parse(text)
        except ValueError:
            continue
        rules.extend(plots.Rule(bound, f"{name} {condition}", css) for bound in condition.bounds)
    return rules


def _lines(series: Sequence[Series], css: str = "s", label: str | None = None) -> tuple[list[plots.Line], str]:
    lines = [
        plots.Line(label or (s.describe() if s.labels else "value"), f"{css}{i}", s.samples)
        for i, s in enumerate(series[:_MAX_LINES])
    ]
    more = f"{len(series) - _MAX_LINES} more series are not drawn" if len(series) > _MAX_LINES else ""
    return lines, more


def _evaluated_mark(evidence: Evidence) -> list[plots.Mark]:
    if evidence.value is None or not math.isfinite(evidence.value):
        return []
    return [
        plots.Mark(
            evidence.evaluated_at.timestamp(),
            evidence.value,
            f"evaluated value {format_value(evidence.value, evidence.threshold)} ({evidence.verdict})",
            f"evaluated {evidence.verdict}",
        )
    ]


async def _prometheus(evidence: Evidence, reader: _RangeReader) -> list[Figure]:
    details = evidence.details
    queries = details.get("queries")
    title = "The query's value over time"
    if not isinstance(queries, list) or not queries or not isinstance(queries[0], str):
        return [Figure(title, None, "the evaluation recorded no query to plot")]
    window = details.get("range")
    if isinstance(window, dict) and isinstance(window.get("window"), str):
        window_s = parse_duration(window["window"])
        step_s = float(window.get("step_s") or window_s / 60)
        note = (
            f"the range the check judges ({window['window']}, every {format_number(step_s)} s), "
            f"reduced by {window.get('over_time', 'avg')}"
        )
    else:
        window_s, step_s = _DEFAULT_WINDOW_S, _DEFAULT_WINDOW_S / _POINTS
        note = "the last hour before the evaluation; the check itself runs an instant query"
    try:
        series = await reader.series(queries[0], evidence.evaluated_at, window_s, step_s)
    except CheckError as exc:
        return [Figure(title, None, f"the plot's range query failed: {exc.message}")]
    lines, more = _lines(_judged_first(series, evidence))
    end = evidence.evaluated_at.timestamp()
    svg = plots.time_series(
        lines,
        _condition_rules(details),
        _evaluated_mark(evidence),
        label=_heard(title, evidence),
        y_title="value",
        window=(end - window_s, end),
    )
    return [Figure(title, svg, "; ".join(filter(None, [note, more, "" if series else "no series in the window"])))]


def _judged_first(series: Sequence[Series], evidence: Evidence) -> list[Series]:
    """The series in the order the plot draws them (it draws the first _MAX_LINES): the one the verdict's value is of
    (`each`'s worst, `reduce: max`'s largest), then the others judged as the verdict, then any other not passing,
    then the rest, each in Prometheus' order."""
    judged: dict[frozenset[tuple[str, str]], tuple[object, object]] = {}
    for entry in evidence.details.get("series", []):
        if isinstance(entry, dict) and isinstance(entry.get("labels"), dict):
            judged[frozenset(entry["labels"].items())] = (entry.get("verdict"), entry.get("value"))

    def rank(one: Series) -> int:
        verdict, value = judged.get(frozenset(one.shown_labels().items()), (None, None))
        if value is not None and value == evidence.value:
            return 0
        if verdict == evidence.verdict:
            return 1
        return 2 if verdict not in (None, Outcome.PASS.value) else 3

    # A failing series sorted after eight passing ones was left out: the plot showed the passing ones, and the
    # evaluated value's point with no line through it.
    return sorted(series, key=rank)


def _kpi_queries(details: Mapping[str, Any]) -> dict[str, str]:
    """The PromQL per side ("canary", "baseline") whose value the comparison judges."""
    queries, roles = details.get("queries"), details.get("query_roles")
    if not isinstance(queries, list) or not isinstance(roles, list):
        return {}
    by_role = {
        role: query
        for role, query in zip(roles, queries, strict=False)
        if isinstance(role, str) and isinstance(query, str)
    }
    found = {}
    for side in ("canary", "baseline"):
        if f"{side}.query" in by_role:
            found[side] = by_role[f"{side}.query"]
        elif f"{side}.success" in by_role and f"{side}.total" in by_role:
            found[side] = f"({by_role[f'{side}.success']}) / ({by_role[f'{side}.total']})"
    return found


async def _kpi_compare(evidence: Evidence, check: Check | None, reader: _RangeReader) -> list[Figure]:
    details = evidence.details
    # The names the reason gives the variants (variant_names: "new checkout" against "old checkout").
    variant_names = getattr(check, "variant_names", None)
    found: list[Figure] = []
    title = "Canary and baseline over time"
    queries = _kpi_queries(details)
    lookback = getattr(check, "lookback", None)
    lookback_s = parse_duration(lookback) if isinstance(lookback, str) else _DEFAULT_WINDOW_S
    window = details.get("range")
    if isinstance(window, dict) and window.get("step_s"):
        window_s, step_s, note = lookback_s, float(window["step_s"]), "the samples the test compares"
    else:
        window_s = max(lookback_s, _DEFAULT_WINDOW_S)
        step_s, note = window_s / _POINTS, "the judged value is the last point of each line"
    if len(queries) == 2:
        try:
            canary, baseline = await asyncio.gather(
                *(reader.series(queries[side], evidence.evaluated_at, window_s, step_s) for side in queries)
            )
        except CheckError as exc:
            found.append(Figure(title, None, f"the plot's range queries failed: {exc.message}"))
        else:
            lines = [
                plots.Line(str(getattr(variant_names, side, side)), css, series[0].samples)
                for side, css, series in (("canary", "canary", canary), ("baseline", "baseline", baseline))
                if series
            ]
            end = evidence.evaluated_at.timestamp()
            found.append(
                Figure(
                    title,
                    plots.time_series(
                        lines,
                        [],
                        [],
                        label=_heard(
                            title,
                            evidence,
                            *(
                                f"judged {getattr(variant_names, side, side)} {_side_value(details, side)}"
                                for side in ("canary", "baseline")
                            ),
                        ),
                        y_title="KPI",
                        window=(end - window_s, end),
                    ),
                    note,
                )
            )
    estimate = _number(details.get("estimate"))
    tolerance = _number(details.get("tolerance"))
    if estimate is not None and math.isfinite(estimate):
        given = details.get("interval")
        interval: list[Any] = [*given, None, None] if isinstance(given, list) else [None, None]
        low, high = _number(interval[0]), _number(interval[1])
        rules = [plots.Rule(0.0, "no difference", "zero")]
        if tolerance is not None:
            direction = details.get("direction")
            if direction != "higher_is_better" or details.get("mode") == "ab":
                rules.append(plots.Rule(tolerance, f"+tolerance {format_number(tolerance)}", "tolerance"))
            if direction != "lower_is_better" or details.get("mode") == "ab":
                rules.append(plots.Rule(-tolerance, f"-tolerance {format_number(-tolerance)}", "tolerance"))
        level = _number(details.get("confidence"))
        what = (
            f"the estimate (canary - baseline) with its {format_number(level * 100)}% interval"
            if level is not None and low is not None
            else "the estimate (canary - baseline)"
        )
        found.append(
            Figure(
                "Difference against the tolerance",
                plots.interval(
                    plots.Interval(estimate, low, high, rules),
                    label=_heard(what, evidence),
                    x_title="canary - baseline",
                ),
                what,
            )
        )
    return found


def _error_budget(evidence: Evidence) -> list[Figure]:
    details = evidence.details
    found = []
    tiers = [t for t in details.get("tiers", []) if isinstance(t, dict)]
    if tiers:
        groups = []
        for tier in tiers:
            factor = _number(tier.get("factor"))
            if tier.get("fired") and tier.get("fails_verdict"):
                status, css = "FIRED: fails", "fired"
            elif tier.get("fired"):
                # A tier outside fail_on warns: in the fail colour it read as the cause of a verdict that passed.
                status, css = "FIRED: warning", "warned"
            elif tier.get("judged"):
                status, css = "not fired", "quiet"
            else:
                status, css = "cannot judge", "unjudged"
            groups.append(
                plots.BarGroup(
                    label=f"{tier.get('severity')} {tier.get('long')}/{tier.get('short')}",
                    status=status,
                    css=css,
                    bars=[
                        plots.Bar(str(tier.get("long")), _number(tier.get("long_burn_rate")), "long"),
                        plots.Bar(str(tier.get("short")), _number(tier.get("short_burn_rate")), "short"),
                    ],
                    rule=None if factor is None else plots.Rule(factor, f"factor {format_number(factor)}x", "factor"),
                )
            )
        title = "Burn rate per window against each tier's factor"
        found.append(
            Figure(
                title,
                plots.bar_groups(groups, label=_heard(title, evidence), y_title="burn rate (x budget)"),
                "a tier fires when both its windows burn above its factor",
            )
        )
    budget = details.get("budget")
    if isinstance(budget, dict):
        remaining = _number(budget.get("remaining"))
        gate = _number(budget.get("min_budget_remaining"))
        title = f"Error budget remaining over {details.get('period', 'the period')}"
        if remaining is not None:
            rule = (
                None if gate is None else plots.Rule(gate, f"min_budget_remaining {plots.percent_label(gate)}", "gate")
            )
            # Against the gate as the kind judges it (a share at or below it fails): a share above 0 drawn in the
            # pass colour beside a verdict that failed on the gate read as a budget in good health. NaN passes
            # neither comparison: never drawn as good.
            passing = remaining > 0 if gate is None else remaining > gate and exceeds(remaining, gate)
            # Overspent, said as the reason says it: budgets spent, beside the share the bar's scale draws.
            legend = (
                f"budget exhausted: {format_number(1 - remaining)}x the budget spent "
                f"(remaining {plots.percent_label(remaining, gate)})"
                if remaining <= 0
                else f"budget remaining: {plots.percent_label(remaining, gate)}"
            )
            css = "pass" if passing else "fail"
            meter = plots.meter(
                remaining, label=_heard("budget remaining", evidence), css=css, rule=rule, legend=legend
            )
            found.append(Figure(title, meter))
        else:
            found.append(Figure(title, None, str(budget.get("note") or "the budget remaining was not measured")))
    return found


def _error_ratio_promql(parts: Mapping[str, str]) -> str | None:
    """One PromQL expression of a window's error ratio from the queries that measure it (see error_budget's SLI
    readers): a recorded ratio, else errors and total, else good and total."""
    # The recorded ratio first: it is what a Pyrra or Sloth SLI judges, and its errors and total (pyrra.errors,
    # pyrra.total) only tell zero errors from a stopped rule; plotted from those, a burn the rule recorded at 16x
    # was drawn from raw errors that had no series.
    if "ratio" in parts:
        return f"({parts['ratio']})"
    if {"errors", "total"} <= parts.keys():
        return f"({parts['errors']}) / ({parts['total']})"
    if {"good", "total"} <= parts.keys():
        return f"1 - ({parts['good']}) / ({parts['total']})"
    return None


def _burns(tier: Mapping[str, Any]) -> list[float]:
    """A tier's measured burn rates (its long window's, its short window's), NaN left out."""
    burns = (_number(tier.get("long_burn_rate")), _number(tier.get("short_burn_rate")))
    return [burn for burn in burns if burn is not None and not math.isnan(burn)]


def _judged_tier(tiers: Sequence[Any]) -> Mapping[str, Any] | None:
    """The tier the verdict's reason names, of those that can fail it (error_budget's rule): the fired one of the
    highest factor (then burn), else the unjudged one whose measured window burns most above its factor, else the
    judged one closest to firing (burn / factor), else the one whose measured window burns most against its factor,
    else the one of the highest factor; None when no tier can fail it."""
    failing = [
        t
        for t in tiers
        if isinstance(t, dict)
        and t.get("fails_verdict")
        and (factor := _number(t.get("factor"))) is not None
        and factor > 0
    ]
    fired = [t for t in failing if t.get("fired") and len(_burns(t)) == 2]
    if fired:
        return max(fired, key=lambda t: (float(t["factor"]), min(_burns(t))))
    # A tier that cannot judge while a window it measured burns above its factor is named before any judged one (it
    # may be firing unseen): drawn with a quiet judged tier instead, the plot showed nothing burning.
    burning = [t for t in failing if len(_burns(t)) < 2 and any(exceeds(b, float(t["factor"])) for b in _burns(t))]
    if burning:
        return max(burning, key=lambda t: max(_burns(t)) / float(t["factor"]))
    judged = [t for t in failing if len(_burns(t)) == 2]
    if judged:
        return max(judged, key=lambda t: min(_burns(t)) / float(t["factor"]))
    measured = [t for t in failing if _burns(t)]
    if measured:
        return max(measured, key=lambda t: max(_burns(t)) / float(t["factor"]))
    return max(failing, key=lambda t: float(t["factor"]), default=None)


async def _burn_over_time(evidence: Evidence, check: Check | None, reader: _RangeReader) -> list[Figure]:
    """The burn of the two windows of the tier the reason names (`_judged_tier`) over the last hours, against its
    factor."""
    plan, budget = getattr(check, "plan", None), getattr(check, "budget", None)
    # Not merely the highest factor: a verdict failed by a slower tier would be drawn with a quiet one, both its lines
    # below its factor.
    tier = _judged_tier(evidence.details.get("tiers", []))
    if plan is None or not isinstance(budget, float) or budget <= 0 or tier is None:
        return []
    title = f"Burn rate over time of tier {tier.get('severity')} {tier.get('long')}/{tier.get('short')}"
    long_s = parse_duration(str(tier.get("long")))
    window_s = min(max(6 * long_s, _DEFAULT_WINDOW_S), _MAX_BURN_WINDOW_S)
    windows = plan(evidence.args).windows
    lines = []
    try:
        for role in ("long", "short"):
            window = str(tier.get(role))
            promql = _error_ratio_promql(windows.get(window, {}))
            if promql is None:
                return []
            series = await reader.series(
                f"({promql}) / {budget!r}", evidence.evaluated_at, window_s, window_s / _POINTS
            )
            if series:
                lines.append(plots.Line(f"burn over {window}", role, series[0].samples))
    except CheckError as exc:
        return [Figure(title, None, f"the plot's range queries failed: {exc.message}")]
    factor = float(tier["factor"])
    end = evidence.evaluated_at.timestamp()
    svg = plots.time_series(
        lines,
        [plots.Rule(factor, f"factor {format_number(factor)}x", "factor")],
        [],
        label=_heard(title, evidence),
        y_title="burn rate (x budget)",
        window=(end - window_s, end),
    )
    note = "the tier fires while both lines are above its factor"
    return [Figure(title, svg, note if lines else f"{note}; no series in the window")]


def _max_latencies_ms(check: Check | None) -> dict[str, float]:
    """Each step's `expect.max_latency_ms` (its limit per request), by step name, from the check that decided."""
    found = {}
    for step in getattr(check, "steps", None) or []:
        limit = getattr(getattr(step, "expect", None), "max_latency_ms", None)
        name = getattr(step, "name", None)
        if isinstance(name, str) and isinstance(limit, float | int):
            found[name] = float(limit)
    return found


def _http_smoke(evidence: Evidence, check: Check | None) -> list[Figure]:
    steps = [s for s in evidence.details.get("steps", []) if isinstance(s, dict)]
    if not steps:
        return []
    # The step's evidence does not hold it: a step failed on it was drawn with its latency and no limit.
    max_latencies_ms = _max_latencies_ms(check)
    timeline = []
    rows = []
    for step in steps:
        name = str(step.get("name", "?"))
        outcome = str(step.get("outcome", "?"))
        latency = _number(step.get("latency_ms"))
        if "error" in step:
            detail = clip(str(step["error"]), 80)
        elif step.get("status") is not None:
            detail = f"HTTP {step.get('status')}" + (f", {format_number(latency)} ms" if latency is not None else "")
        else:
            detail = ""
        timeline.append(plots.Step(name, outcome, latency, detail))
        repeat = step.get("repeat")
        per_request = [("max_latency", max_latencies_ms[name])] if name in max_latencies_ms else []
        if isinstance(repeat, dict):
            points = [(p, v) for p in ("p50", "p95", "p99") if (v := _number(repeat.get(f"{p}_ms"))) is not None]
            if per_request and latency is not None:
                # max_latency_ms judges each request: one slow request of many fails the step with its p99 far
                # below the limit, so the slowest (the step's latency_ms) is drawn beside it.
                points.append(("max", latency))
            limits = [(p, v) for p in ("max_p95", "max_p99") if (v := _number(repeat.get(f"{p}_ms"))) is not None]
            rows.append(plots.LatencyRow(f"{name} ({repeat.get('requests')} requests)", points, limits + per_request))
        elif latency is not None:
            rows.append(plots.LatencyRow(name, [("latency", latency)], per_request))
    found = [
        Figure("Steps", plots.timeline(timeline, label=_heard("The steps in order, with their outcome", evidence)))
    ]
    if rows:
        found.append(
            Figure(
                "Latency per step",
                plots.latencies(rows, label=_heard("Latency per step against its limits", evidence)),
                "repeated steps show p50, p95 and p99 against max_p95_ms and max_p99_ms; max_latency is each "
                "request's limit (expect.max_latency_ms), against which a repeated step shows its slowest request "
                "(max)",
            )
        )
    return found


def _composite(evidence: Evidence, member_link: MemberLink) -> list[Figure]:
    members = [m for m in evidence.details.get("members", []) if isinstance(m, dict)]
    if not members:
        return []
    parts = []
    for member in members:
        verdict = str(member.get("verdict", "?"))
        weight = _number(member.get("weight")) or 0.0
        name = str(member.get("check", "?"))
        critical = ", critical" if member.get("critical") else ""
        given = member.get("args")
        args: Mapping[str, Any] = given if isinstance(given, dict) else {}
        parts.append(
            plots.Share(
                f"{name}: {verdict.upper() if verdict in set(Outcome) else verdict} "
                f"(weight {format_number(weight)}{critical})",
                weight,
                verdict,
                member_link(name, args),
            )
        )
    title = "Members by weight"
    return [
        Figure(title, plots.shares(parts, label=_heard(title, evidence)), "each member links to its own verdict page")
    ]
