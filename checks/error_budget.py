"""Kind `error_budget`: SLO burn rate over multiple windows (SRE workbook tiers) and budget remaining,
from raw counters, a classic histogram, or Pyrra / Sloth recording rules."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from analyzer.kinds import (
    ArgValue,
    Check,
    CheckError,
    CheckMisconfigured,
    Duration,
    EvalContext,
    MissingBucket,
    NoDataPolicy,
    Outcome,
    Param,
    ParamType,
    PromQLTemplate,
    QueryResult,
    Series,
    SourceRejected,
    Verdict,
    bare_selector,
    escape_promql_string,
    exceeds,
    format_number,
    metric_selectors,
    names_pattern,
    parse_duration,
    presence_query,
)

# Share of the budget each SRE-workbook tier consumes over its long window (the 30d layout:
# 1h/5m x14.4, 6h/30m x6, 1d/2h x3, 3d/6h x1); other periods keep the shares and rescale the factor.
_WORKBOOK_TIERS: tuple[tuple[str, str, str, str], ...] = (
    ("1h", "5m", "0.02", "page"),
    ("6h", "30m", "0.05", "page"),
    ("1d", "2h", "0.10", "ticket"),
    ("3d", "6h", "0.10", "ticket"),
)

# Pyrra's windows are the 28d layout (1h/5m, 6h/30m, 1d/2h, 4d/6h) scaled to the SLO window, rounded to the
# minute; its factors are fixed. Divisors of the period, as in Pyrra's slo/rules.go.
_PYRRA_TIERS: tuple[tuple[int, int, float, str], ...] = (
    (28 * 24, 28 * 24 * 12, 14.0, "page"),
    (28 * 4, 28 * 24 * 2, 7.0, "page"),
    (28, 28 * 12, 2.0, "ticket"),
    (7, 28 * 4, 1.0, "ticket"),
)

# Windows Sloth records `slo:sli_error:ratio_rate<window>` for with its default 30d and 28d alert windows.
_SLOTH_WINDOWS = frozenset({"5m", "30m", "1h", "2h", "6h", "1d", "3d"})

_SEVERITY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_METRIC_RE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")
_MATCHER = (r"\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*"
            r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')\s*")
_SELECTORS_RE = re.compile(rf"^(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*$")
_MATCHER_NAME_RE = re.compile(r"(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")

# Labels the check puts on each part of its combined query to split the answer back by window and part.
WINDOW_LABEL = "analyzer_window"
PART_LABEL = "analyzer_part"
_BATCH_LABELS = frozenset({WINDOW_LABEL, PART_LABEL})
_BATCH_LABEL_RE = re.compile(rf"\b(?:{WINDOW_LABEL}|{PART_LABEL})\b")
# A name probe: the presence query of one metric name (names are validated identifiers: nothing is escaped).
_NAME_PROBE_RE = re.compile(r'group by \(__name__\) \(\{__name__=~"([A-Za-z_:][A-Za-z0-9_:]*)"\}\)')
NAMES_MARKER = "names"
PROBE_WINDOW = "exists"
_TOTAL_SELECTOR_RE = re.compile(rf"[A-Za-z_:][A-Za-z0-9_:]*(?:\{{(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*\}})?")


# ---------------------------------------------------------------------------------------------------------
# The arithmetic, kept free of I/O so the worked examples of the SRE workbook can be checked directly.


def error_budget(objective_percent: float) -> float:
    """The error budget as a fraction: 1 - objective (99.9 -> 0.001, computed in decimal so it is exact)."""
    return float((Decimal(100) - Decimal(repr(objective_percent))) / 100)


def burn_rate(error_ratio: float, budget: float) -> float:
    """How many times faster than sustainable the budget burns: error ratio / (1 - objective)."""
    return error_ratio / budget


def budget_remaining(period_error_ratio: float, budget: float) -> float:
    """Share of the period's budget left: 1 - error_ratio(period) / (1 - objective); negative when overspent."""
    return 1.0 - period_error_ratio / budget


def max_burn_rate(budget: float) -> float:
    """The highest burn rate possible (every event bad): 1 / (1 - objective)."""
    return 1.0 / budget


def prometheus_duration(seconds: float) -> str:
    """A duration as Prometheus' model.Duration prints it (what Pyrra and Sloth put in rule names):
    weeks and years only when exact, so 28d -> 4w, 30d -> 30d, 7d -> 1w, 1h4m -> 1h4m."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    out = []
    for unit, size, exact_only in (("y", 31536000000, True), ("w", 604800000, True), ("d", 86400000, False),
                                   ("h", 3600000, False), ("m", 60000, False), ("s", 1000, False),
                                   ("ms", 1, False)):
        if exact_only and millis % size:
            continue
        if millis >= size:
            out.append(f"{millis // size}{unit}")
            millis %= size
    return "".join(out)


class BurnTier(BaseModel):
    """One multi-window alert tier: fires when the burn rate over BOTH windows exceeds `factor`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    long: Duration = Field(description="long window, e.g. 1h")
    short: Duration = Field(description="short window (usually long / 12), e.g. 5m")
    factor: float = Field(gt=0, description="burn rate both windows must exceed, e.g. 14.4")
    severity: str = Field(default="page", description="page fails the verdict by default (see fail_on)")

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if not _SEVERITY_RE.fullmatch(value):
            raise ValueError(f"severity {value!r} must match {_SEVERITY_RE.pattern}")
        return value

    @field_validator("factor")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("factor must be a finite number")
        return value

    @model_validator(mode="after")
    def _short_within_long(self) -> BurnTier:
        if parse_duration(self.short) >= parse_duration(self.long):
            raise ValueError(f"short window {self.short} must be shorter than long window {self.long}")
        return self

    @property
    def label(self) -> str:
        """`1h/5m`."""
        return f"{self.long}/{self.short}"


def workbook_tiers(period_s: float) -> list[BurnTier]:
    """The SRE workbook tiers with factors scaled to the period: factor = consumed * period / long."""
    period = Decimal(repr(period_s))
    return [BurnTier(long=long, short=short, severity=severity,
                     factor=float(Decimal(consumed) * period / Decimal(repr(parse_duration(long)))))
            for long, short, consumed, severity in _WORKBOOK_TIERS]


def pyrra_tiers(period_s: float) -> list[BurnTier]:
    """Pyrra's own tiers for an SLO window: its 28d windows scaled and rounded to the minute, x14/7/2/1."""
    def scaled(divisor: int) -> str:
        # Go: (window / divisor).Round(time.Minute): integer nanoseconds, half rounds away from zero.
        nanos = round(period_s * 1e9) // divisor
        minutes = (nanos + 30_000_000_000) // 60_000_000_000
        return prometheus_duration(max(minutes, 1) * 60)
    return [BurnTier(long=scaled(long), short=scaled(short), factor=factor, severity=severity)
            for long, short, factor, severity in _PYRRA_TIERS]


def le_pattern(bound: float) -> str:
    """An RE2 pattern matching every spelling of a histogram bucket bound: for 0.5 `0.5`, `0.50`, `.5`,
    `5e-01`; for 1 `1`, `1.0`, `1e+00`. Exposition formats and Prometheus versions write `le` differently."""
    number = Decimal(repr(float(bound))).normalize()
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    fixed = format(number, "f")
    if "." in fixed:
        whole, fraction = fixed.split(".")
        fixed_re = ("0?" if whole == "0" else whole) + r"\." + fraction + "0*"
    else:
        fixed_re = fixed + r"(\.0*)?"
    mantissa = "".join(str(d) for d in digits).rstrip("0") or "0"
    power = len(digits) + exponent - 1
    scientific_re = (mantissa[0] + (r"\." + mantissa[1:] + "0*" if mantissa[1:] else r"(\.0*)?")
                     + "[eE]" + (r"\+?" if power >= 0 else "-") + "0*" + str(abs(power)))
    return f"(?:{fixed_re}|{scientific_re})"


@dataclass(frozen=True)
class WindowRatio:
    """The error ratio over one window, or why there is none (`note`)."""

    window: str
    error_ratio: float | None
    errors: float | None = None
    total: float | None = None
    note: str = ""
    # Events counted over the window (total rate x window length); None when the SLI gives no count.
    events: float | None = None
    # A recording rule recorded no series for this window (error_ratio is 0 when the total showed traffic).
    recorded_absent: bool = False


@dataclass(frozen=True)
class TierResult:
    """One tier judged: both windows' burn rates, whether it fired, or why it could not judge."""

    tier: BurnTier
    long_burn: float | None
    short_burn: float | None
    note: str = ""

    @property
    def judged(self) -> bool:
        """Both windows had traffic."""
        return self.long_burn is not None and self.short_burn is not None

    @property
    def burn(self) -> float:
        """The burn both windows reach (the smaller of the two); the tier fires when it exceeds the factor."""
        assert self.long_burn is not None and self.short_burn is not None
        return min(self.long_burn, self.short_burn)

    @property
    def fired(self) -> bool:
        """Both windows exceed the factor."""
        return self.judged and exceeds(self.burn, self.tier.factor)

    @property
    def pressure(self) -> float:
        """How close to firing: burn / factor (above 1 means fired)."""
        return self.burn / self.tier.factor if self.judged else -math.inf

    @property
    def burning(self) -> list[tuple[str, float]]:
        """For a tier that cannot judge: its measured windows whose burn exceeds the factor, as (window, burn).
        The missing window might exceed it too, so such a tier may be firing unseen."""
        if self.judged:
            return []
        measured = ((self.tier.long, self.long_burn), (self.tier.short, self.short_burn))
        return [(window, burn) for window, burn in measured if burn is not None and exceeds(burn, self.tier.factor)]


def judge_tiers(tiers: Sequence[BurnTier], windows: Mapping[str, WindowRatio], budget: float) -> list[TierResult]:
    """Each tier's burn over its long and short window; a window without a ratio leaves the tier unjudged."""
    results = []
    for tier in tiers:
        long, short = windows[tier.long], windows[tier.short]
        missing = [w for w in (long, short) if w.error_ratio is None]
        if missing:
            note = "; ".join(f"{w.window}: {w.note}" for w in missing)
            results.append(TierResult(tier, _burn_or_none(long, budget), _burn_or_none(short, budget), note))
        else:
            results.append(TierResult(tier, _burn_or_none(long, budget), _burn_or_none(short, budget)))
    return results


def reconcile_absences(windows: Mapping[str, WindowRatio], period: WindowRatio
                       ) -> tuple[dict[str, WindowRatio], WindowRatio]:
    """Recorded ratios read as zero errors by their absence only where no error series is the one explanation.
    A rule over a longer window sees every series a shorter one sees, so a window whose rule recorded nothing
    while a shorter window's rule recorded a value was not evaluated (failing or lagging): a gap, not zero.
    The period's rule (Sloth's ratio_rate30d averages the 5m ratio) records nothing only when no window does;
    then, with traffic in some window, the period has no error series either: zero errors, and at least the
    events of the busiest window."""
    present = [parse_duration(w.window) for w in windows.values() if not w.recorded_absent]
    shortest = min(present, default=math.inf)
    judged = {name: (replace(w, error_ratio=None, note=f"{w.note}; but a shorter window's rule recorded a value, so "
                                                       "this one did not evaluate (failing or lagging): no evidence "
                                                       "of zero errors")
                     if w.recorded_absent and w.error_ratio is not None and parse_duration(w.window) > shortest
                     else w)
              for name, w in windows.items()}
    traffic = [w.events for w in judged.values() if w.recorded_absent and w.error_ratio is not None]
    if (period.recorded_absent and period.error_ratio is None and windows
            and all(w.recorded_absent for w in windows.values()) and traffic):
        events = max((e for e in traffic if e is not None), default=None)
        period = replace(period, error_ratio=0.0, events=events,
                         note=f"{period.note}; nor any window's while they count traffic: no error series over "
                              f"{period.window}, zero errors")
    return judged, period


def with_min_events(window: WindowRatio, min_events: float) -> WindowRatio:
    """The window as judged: one with a known count of fewer than `min_events` events cannot judge (its ratio
    is noise: 1 error in 3 requests burns 333x at 99.9%); a window without a count is left as it is."""
    if window.error_ratio is None or window.events is None or not exceeds(min_events, window.events):
        return window
    bad = window.error_ratio * window.events
    return replace(window, error_ratio=None,
                   note=f"too few events over {window.window}: {format_number(window.events)} "
                        f"({format_number(bad)} bad), below min_events_per_window {format_number(min_events)}")


def _burn_or_none(window: WindowRatio, budget: float) -> float | None:
    return None if window.error_ratio is None else burn_rate(window.error_ratio, budget)


# ---------------------------------------------------------------------------------------------------------
# SLI sources: which queries measure a window, and how their answers become an error ratio.

Results = Mapping[str, QueryResult]


class _Reader(Protocol):
    # True when every query reads a recording rule, the period's included: it costs what a window costs.
    recorded: bool

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]: ...

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio: ...

    def probes(self, windows: Mapping[str, Mapping[str, str]], period: str, args: Mapping[str, ArgValue],
               optional: Collection[str]) -> list[Probe]: ...


def _ratio_from_counts(window: str, errors: float | None, total: float | None) -> WindowRatio:
    """errors / total with the no-data rules: no total is no data, zero total is no traffic, absent errors
    with a present total are zero errors. Counts no rate can produce are SourceRejected (see _bounded_ratio)."""
    if total is None:
        return WindowRatio(window, None, errors, total, f"no data (the total query returned nothing over {window})")
    if math.isnan(total) or (errors is not None and math.isnan(errors)):
        return WindowRatio(window, None, errors, total, f"no traffic (NaN over {window})")
    if math.isinf(total) or total < 0 or (errors is not None and math.isinf(errors)):
        raise SourceRejected(f"over {window} the SLI counted {_count_text(errors, total)}: rates of events are "
                             "finite and not negative, so the errors and total queries are broken")
    if total == 0:
        if errors:
            # Errors the total does not count: the two queries select different events.
            raise SourceRejected(f"over {window} the SLI counted {_count_text(errors, total)}: errors without "
                                 "traffic mean the errors and total queries do not count the same events")
        return WindowRatio(window, None, errors, total, f"no traffic over {window}")
    bad = 0.0 if errors is None else errors
    measured = _bounded_ratio(window, bad / total, _count_text(errors, total), errors, total)
    return replace(measured, events=total * parse_duration(window))


def _count_text(errors: float | None, total: float) -> str:
    return f"errors {'absent' if errors is None else format_number(errors)} of total {format_number(total)}"


def _bounded_ratio(window: str, ratio: float, source: str, errors: float | None = None,
                   total: float | None = None) -> WindowRatio:
    """An error ratio held to [0, 1]. Above 1 counts as every event bad: rate() extrapolates an error counter
    born inside the window further than the total, so a canary failing every request can read 1.2, and 1 is
    the stricter reading of any such value. Below 0 (beyond float noise) or infinite would read as better than
    perfect, so it is SourceRejected: the rule or the queries do not count the same events."""
    if not math.isfinite(ratio) or exceeds(0.0, ratio, scale=1.0):
        raise SourceRejected(f"the error ratio over {window} is {format_number(ratio)} ({source}); an error ratio "
                             "lies between 0 and 1, so the SLI's errors and total do not count the same events")
    if ratio > 1:
        return WindowRatio(window, 1.0, errors, total, f"error ratio {format_number(ratio)} ({source}) is above 1: "
                                                       "counted as every event bad")
    return WindowRatio(window, max(ratio, 0.0), errors, total)


@dataclass(frozen=True)
class Probe:
    """Whether series exist at all where the check reads: `query` answers a series if they do, and so does any
    answered query in `users`; if none does, the check is misconfigured and `problem` says how."""

    query: str
    users: tuple[str, ...]
    problem: str

    def missing(self, results: Results) -> bool:
        """Nothing answered: neither the probe nor any query that reads the same series."""
        return not any(results[query].series for query in (self.query, *self.users) if query in results)


def name_probes(fielded: Sequence[tuple[str, str]], optional: Collection[str]) -> list[Probe]:
    """One probe per metric name the (field, query) pairs name literally, except `optional` names; a name's
    users are the queries that name it."""
    users: dict[str, dict[str, None]] = {}
    where: dict[str, dict[str, None]] = {}
    for field, query in fielded:
        for found in metric_selectors(query):
            users.setdefault(found.name, {})[query] = None
            where.setdefault(found.name, {})[f"{field} selector {found.selector}"] = None
    return [Probe(presence_query([name]), tuple(users[name]),
                  f"{'; '.join(where[name])}: no series of metric {name} exist at all (a misspelled metric name?). "
                  "An existing metric without error series reads as zero errors; a metric that appears only with "
                  "its first error belongs in optional_metrics")
            for name in users if name not in optional]


@dataclass(frozen=True)
class _Layout:
    """How a batch is sent and read back: the `or` branches, each ungrouped query by its (window, part) labels,
    each grouped query by its group's marker and its metric name."""

    branches: list[str]
    by_part: dict[tuple[str, str], str]
    by_name: dict[str, dict[str, str]]


@dataclass(frozen=True)
class QueryBatch:
    """Several instant queries sent as one `or` of branches whose answer splits back into one result per query.
    A branch is one query labelled with its window and part, or, for two or more bare selectors of literal
    metric names with the same matchers (Pyrra's and Sloth's recording rules), one `{__name__=~"a|b", ...}`
    selector labelled with a group marker and read back by `__name__`: Prometheus evaluates one selector about
    twice as fast as the same series as label_replace'd `or` branches. Name probes (`presence_query` of one
    name) go as one presence query of all their names, read back by `__name__` too. Every branch carries labels
    no other branch has, so `or`, which compares label sets without `__name__`, drops no series."""

    parts: Mapping[tuple[str, str], str]

    @classmethod
    def of(cls, *plans: Mapping[str, Mapping[str, str]]) -> QueryBatch:
        """A batch of every distinct query of the {window: {part: query}} plans; a query shared by windows is
        sent once."""
        parts: dict[tuple[str, str], str] = {}
        seen: set[str] = set()
        for plan in plans:
            for window, queries in plan.items():
                for part, query in queries.items():
                    if query not in seen:
                        seen.add(query)
                        parts[(window, part)] = query
        return cls(parts)

    @property
    def queries(self) -> list[str]:
        """The distinct queries, in order."""
        return list(self.parts.values())

    @cached_property
    def _layout(self) -> _Layout:
        by_matchers: dict[str, dict[str, str]] = {}
        for query in self.parts.values():
            selector = bare_selector(query)
            if selector is not None:
                name, matchers = selector
                by_matchers.setdefault(matchers, {})[name] = query
        # A lone selector gains nothing from a group: it keeps the labelled form, as every other query.
        groups = {matchers: (f"group{index}", members) for index, (matchers, members)
                  in enumerate(m for m in by_matchers.items() if len(m[1]) > 1)}
        grouped = {query: matchers for matchers, (_, members) in groups.items() for query in members.values()}
        branches: list[str] = []
        by_part: dict[tuple[str, str], str] = {}
        by_name: dict[str, dict[str, str]] = {}
        for (window, part), query in self.parts.items():
            probed = _NAME_PROBE_RE.fullmatch(query)
            if probed is not None:
                # Every name probe is one presence query of all the names: one short series per name.
                if NAMES_MARKER not in by_name:
                    probes = {found.group(1): q for q in self.parts.values()
                              if (found := _NAME_PROBE_RE.fullmatch(q)) is not None}
                    by_name[NAMES_MARKER] = probes
                    branches.append(f'label_replace({presence_query(probes)}, "{PART_LABEL}", "{NAMES_MARKER}", '
                                    '"", "")')
                continue
            shared = grouped.get(query)
            if shared is None:
                by_part[(window, part)] = query
                branches.append(f'label_replace(label_replace({query}, "{WINDOW_LABEL}", '
                                f'"{escape_promql_string(window, chr(34))}", "", ""), "{PART_LABEL}", '
                                f'"{escape_promql_string(part, chr(34))}", "", "")')
                continue
            marker, members = groups[shared]
            if marker in by_name:
                continue
            by_name[marker] = members
            pattern = escape_promql_string(names_pattern(list(members)), chr(34))
            inside = f'__name__=~"{pattern}"' + (f", {shared}" if shared.strip() else "")
            branches.append(f'label_replace({{{inside}}}, "{PART_LABEL}", "{marker}", "", "")')
        return _Layout(branches, by_part, by_name)

    @cached_property
    def promql(self) -> str:
        """The one query sent."""
        return " or ".join(self._layout.branches)

    def split(self, answer: QueryResult) -> dict[str, QueryResult]:
        """Each query's own result, as if it had been sent alone (a grouped selector's series keep `__name__`,
        as a plain selector's do); SourceRejected for a series of no part."""
        layout = self._layout
        series: dict[str, list[Series]] = {query: [] for query in self.parts.values()}
        for item in answer.series:
            part = item.labels.get(PART_LABEL, "")
            if WINDOW_LABEL not in item.labels and part in layout.by_name:
                query = layout.by_name[part].get(item.labels.get("__name__", ""))
            else:
                query = layout.by_part.get((item.labels.get(WINDOW_LABEL, ""), part))
            if query is None:
                raise SourceRejected(f"the combined query's answer has a series of no part asked for: "
                                     f"{item.describe()}")
            labels = {name: value for name, value in item.labels.items() if name not in _BATCH_LABELS}
            series[query].append(Series(labels, item.samples))
        return {query: QueryResult(query, answer.result_type, found, answer.warnings)
                for query, found in series.items()}


@dataclass(frozen=True)
class MeasurementPlan:
    """What one evaluation asks: {window: {part: query}}, the period's {part: query}, and the two batches
    that carry them (`required` fails the check if it fails; `optional`, possibly empty, is evidence only)."""

    windows: Mapping[str, Mapping[str, str]]
    period: Mapping[str, str]
    required: QueryBatch
    optional: QueryBatch
    probes: Sequence[Probe] = ()

    @property
    def batches(self) -> list[QueryBatch]:
        """The batches that are sent (one or two)."""
        return [batch for batch in (self.required, self.optional) if batch.parts]


class RatioSLI(BaseModel):
    """Errors and total as PromQL templates, each with a `{{ window }}` placeholder the check fills in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    errors: str = Field(min_length=1, description="bad events over {{ window }}, e.g. sum(rate(x{code=~'5..'}"
                                                  "[{{ window }}]))")
    total: str = Field(min_length=1, description="all events over {{ window }}")


class LatencySLI(BaseModel):
    """A classic histogram: events slower than `threshold_s` are bad (good = _bucket{le}, total = _count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str = Field(description="histogram name without _bucket/_count, e.g. http_request_duration_seconds")
    threshold_s: float = Field(gt=0, description="a bucket bound of the histogram, in seconds")
    selectors: str = Field(default="", description="label matchers, e.g. service=\"x\"; {{ param }} in quotes")


class PyrraSLI(BaseModel):
    """Pyrra's recording rules: `<metric>:burnrate<window>{slo="<slo>"}`, whose value is the error ratio, and
    `pyrra_availability{slo="<slo>"}` over the SLO window (with --generic-rules)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slo: str = Field(min_length=1, description="the ServiceLevelObjective's name (Pyrra's `slo` label)")
    metric: str | None = Field(default=None, description="rule prefix, e.g. http_requests (the total metric "
                                                         "without _total/_count); any prefix if unset")
    selectors: str = Field(default="", description="more label matchers for the burnrate series, e.g. "
                                                   "job=\"api\" (Pyrra copies the total metric's equality "
                                                   "matchers onto them)")
    availability_selectors: str = Field(
        default="", description="more label matchers for pyrra_availability, which Pyrra labels only with slo "
                                "and its propagated (pyrra.dev/) labels, never with the metric's matchers")
    total: str | None = Field(
        default=None, min_length=1,
        description="the SLO's total metric as its spec writes it (indicator.ratio.total.metric, e.g. "
                    "http_requests_total{job=\"api\"}): per window sum(rate(<total>[window])) counts the traffic, "
                    "so a window whose burnrate rule recorded nothing (no error series) reads as zero errors")


class SlothSLI(BaseModel):
    """Sloth's recording rules: `slo:sli_error:ratio_rate<window>` with `sloth_id` (or service and slo)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # min_length: an empty value would match series that lack the label altogether.
    sloth_id: str | None = Field(default=None, min_length=1, description="Sloth's sloth_id label: <service>-<slo>")
    service: str | None = Field(default=None, min_length=1, description="sloth_service label (with slo)")
    slo: str | None = Field(default=None, min_length=1, description="sloth_slo label (with service)")
    selectors: str = Field(default="", description="more label matchers")
    total_query: str | None = Field(
        default=None, min_length=1,
        description="the SLI's total query with a {{ window }} placeholder (Sloth's sli.events.total_query, "
                    "{{.window}} written {{ window }}): counts each window's traffic, so a window whose ratio rule "
                    "recorded nothing (no error series) reads as zero errors")

    @model_validator(mode="after")
    def _identified(self) -> SlothSLI:
        if (self.sloth_id is None) == (self.service is None and self.slo is None):
            raise ValueError("set either sloth_id, or service and slo")
        if self.sloth_id is None and (self.service is None or self.slo is None):
            raise ValueError("service and slo go together (or set sloth_id)")
        return self


def _selector_template(text: str, params: Mapping[str, Param], field: str, reserved: frozenset[str]
                       ) -> PromQLTemplate:
    """Label matchers as a template: quoted values only, no label the check sets itself."""
    if not _SELECTORS_RE.fullmatch(text):
        raise ValueError(f"{field}: {text!r} is not a list of label matchers like "
                         "service=\"payments\", code=~\"5..\"")
    for name in _MATCHER_NAME_RE.findall(text):
        if name.startswith("__") or name in reserved or name in _BATCH_LABELS:
            raise ValueError(f"{field}: label {name!r} is set by the check itself")
    try:
        return PromQLTemplate("x{" + text + "}", params)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _total_selector_template(text: str, params: Mapping[str, Param], field: str) -> PromQLTemplate:
    """`name` or `name{matchers}`: one selector of a literal metric name, quoted values only."""
    found = _TOTAL_SELECTOR_RE.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"{field}: {text!r} is not a metric selector like http_requests_total{{job=\"api\"}}")
    if _BATCH_LABEL_RE.search(text):
        raise ValueError(f"{field}: labels analyzer_window and analyzer_part are set by the check itself")
    try:
        return PromQLTemplate(text.strip(), params)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _matchers(*parts: str) -> str:
    return ", ".join(p.strip().rstrip(",").strip() for p in parts if p.strip().rstrip(",").strip())


def _render_selectors(template: PromQLTemplate, args: Mapping[str, ArgValue]) -> str:
    return template.render(args)[2:-1]


class _RatioReader:
    recorded = False

    def __init__(self, sli: RatioSLI, params: Mapping[str, Param]) -> None:
        self._errors = _window_template(sli.errors, params, "ratio.errors")
        self._total = _window_template(sli.total, params, "ratio.total")

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        values = {**args, "window": window}
        return {"errors": self._errors.render(values), "total": self._total.render(values)}

    def probes(self, windows: Mapping[str, Mapping[str, str]], period: str, args: Mapping[str, ArgValue],
               optional: Collection[str]) -> list[Probe]:
        # The period's queries name the same metrics as the windows': the windows' queries are enough.
        return name_probes([(f"ratio.{part}", query) for queries in windows.values()
                            for part, query in queries.items()], optional)

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        return _ratio_from_counts(window, results[queries["errors"]].single_value("errors query"),
                                  results[queries["total"]].single_value("total query"))


def _window_template(text: str, params: Mapping[str, Param], field: str) -> PromQLTemplate:
    if "window" in params:
        raise ValueError("a param may not be named `window`: the check fills {{ window }} itself")
    try:
        template = PromQLTemplate(text, params, extra_bare={"window": ParamType.DURATION})
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
    if "window" not in template.param_names:
        raise ValueError(f"{field}: the query needs a {{{{ window }}}} placeholder, e.g. rate(x[{{{{ window }}}}])")
    reserved = _BATCH_LABEL_RE.search(text)
    if reserved:
        # Two series told apart only by this label would collide once the check sets it.
        raise ValueError(f"{field}: label {reserved.group(0)!r} is set by the check itself (it labels each "
                         "window in the one query the check sends)")
    return template


class _LatencyReader:
    recorded = False

    def __init__(self, sli: LatencySLI, params: Mapping[str, Param]) -> None:
        if not _METRIC_RE.fullmatch(sli.metric):
            raise ValueError(f"latency.metric: {sli.metric!r} is not a metric name")
        if sli.metric.endswith(("_bucket", "_count", "_sum")):
            raise ValueError(f"latency.metric: give the histogram's name without its suffix, e.g. "
                             f"{re.sub(r'_(bucket|count|sum)$', '', sli.metric)}")
        if not math.isfinite(sli.threshold_s):
            raise ValueError("latency.threshold_s must be finite (the +Inf bucket counts every event as good)")
        self._sli = sli
        self._selectors = _selector_template(sli.selectors, params, "latency.selectors", frozenset({"le"}))
        self.le_matcher = f'le=~"{escape_promql_string(le_pattern(sli.threshold_s), chr(34))}"'

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        selectors = _render_selectors(self._selectors, args)
        metric = self._sli.metric
        return {"good": f"sum(rate({metric}_bucket{{{_matchers(selectors, self.le_matcher)}}}[{window}]))",
                "total": f"sum(rate({metric}_count{{{_matchers(selectors)}}}[{window}]))"}

    def probes(self, windows: Mapping[str, Mapping[str, str]], period: str, args: Mapping[str, ArgValue],
               optional: Collection[str]) -> list[Probe]:
        return name_probes([("latency", query) for queries in windows.values() for query in queries.values()],
                           optional)

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        total = results[queries["total"]].single_value("total query")
        good = results[queries["good"]].single_value("good query")
        if good is None and total is not None and total > 0:
            # Absent good events with traffic would read as 100% errors: it means the bound is not a bucket.
            raise MissingBucket(queries["good"])
        errors = None if good is None or total is None else total - good
        return _ratio_from_counts(window, errors, total)

    def buckets_query(self, args: Mapping[str, ArgValue]) -> str:
        """The query listing the histogram's bucket bounds under the selectors."""
        selectors = _matchers(_render_selectors(self._selectors, args))
        return f"count by (le) ({self._sli.metric}_bucket{{{selectors}}})"




class _PyrraReader:
    recorded = True

    def __init__(self, sli: PyrraSLI, params: Mapping[str, Param], period_s: float) -> None:
        if sli.metric is not None and not _METRIC_RE.fullmatch(sli.metric):
            raise ValueError(f"pyrra.metric: {sli.metric!r} is not a metric name")
        self._sli = sli
        # Only a window Pyrra records can be absent for want of error series.
        self._recorded_windows = frozenset(w for tier in pyrra_tiers(period_s) for w in (tier.long, tier.short))
        self._selectors = _selector_template(sli.selectors, params, "pyrra.selectors", frozenset({"slo"}))
        self._availability_selectors = _selector_template(sli.availability_selectors, params,
                                                          "pyrra.availability_selectors", frozenset({"slo"}))
        self._total = None if sli.total is None else _total_selector_template(sli.total, params, "pyrra.total")

    def _burnrate_matchers(self, args: Mapping[str, ArgValue]) -> str:
        return _matchers(f'slo="{escape_promql_string(self._sli.slo, chr(34))}"',
                         _render_selectors(self._selectors, args))

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        if period:
            # Pyrra records no period burn rate; its availability over the SLO window needs --generic-rules,
            # and carries only `slo` and the propagated labels: the burnrate selectors would match nothing.
            slo = f'slo="{escape_promql_string(self._sli.slo, chr(34))}"'
            matchers = _matchers(slo, _render_selectors(self._availability_selectors, args))
            return {"availability": f"pyrra_availability{{{matchers}}}"}
        queries = {"ratio": self._rule(f"burnrate{prometheus_duration(parse_duration(window))}", args)}
        if self._total is not None:
            queries["total"] = f"sum(rate({self._total.render(args)}[{window}]))"
        return queries

    def _rule(self, suffix: str, args: Mapping[str, ArgValue]) -> str:
        matchers = self._burnrate_matchers(args)
        if self._sli.metric is None:
            return f'{{__name__=~".+:{suffix}", {matchers}}}'
        return f"{self._sli.metric}:{suffix}{{{matchers}}}"

    def probes(self, windows: Mapping[str, Mapping[str, str]], period: str, args: Mapping[str, ArgValue],
               optional: Collection[str]) -> list[Probe]:
        # Pyrra's increase rule over the SLO window records whenever the total metric has series, errors or
        # not: it proves the SLO's rules are loaded under these names and labels.
        rules = Probe(self._rule(f"increase{prometheus_duration(parse_duration(period))}", args),
                      tuple(queries["ratio"] for queries in windows.values()),
                      f"no recording rule of Pyrra SLO slo=\"{self._sli.slo}\" has a series (neither "
                      f"{next(iter(windows.values()))['ratio']} nor the increase rule over {period}): check "
                      "pyrra.slo, pyrra.metric and pyrra.selectors, and that Pyrra's rules are loaded")
        totals = [("pyrra.total", queries["total"]) for queries in windows.values() if "total" in queries]
        return [rules, *name_probes(totals, optional)]

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        if "availability" in queries:
            availability = results[queries["availability"]].single_value("pyrra_availability query")
            if availability is None:
                return WindowRatio(window, None, note=f"no {queries['availability']} series (Pyrra records it "
                                                      "only with --generic-rules)")
            return _recorded_ratio(window, 1.0 - availability, f"1 - pyrra_availability "
                                                               f"{format_number(availability)}")
        value = results[queries["ratio"]].single_value(f"Pyrra burnrate{window} query")
        total = results[queries["total"]].single_value("pyrra.total query") if "total" in queries else None
        if value is None and prometheus_duration(parse_duration(window)) not in self._recorded_windows:
            return WindowRatio(window, None, recorded_absent=True, note=f"no data (no Pyrra burnrate{window} "
                                                                        "series: Pyrra records no such window)")
        if value is None:
            return _absent_ratio(window, f"no Pyrra burnrate{window} series", "pyrra.total", "total" in queries,
                                 total)
        return _with_total(_recorded_ratio(window, value, f"Pyrra burnrate{window}"), window, total,
                           "pyrra.total" if "total" in queries else None)


def _recorded_ratio(window: str, value: float, source: str) -> WindowRatio:
    """A recording rule's error ratio: NaN is no traffic (the rule divided 0 by 0), the rest must be a ratio."""
    if math.isnan(value):
        return WindowRatio(window, None, note=f"no traffic (NaN over {window})")
    return _bounded_ratio(window, value, source)


def _with_total(measured: WindowRatio, window: str, total: float | None, field: str | None) -> WindowRatio:
    """A recorded ratio with the events its total (`field`, if configured) counted: min_events_per_window
    needs them."""
    if field is not None and (total is None or not math.isfinite(total) or total < 0):
        found = "nothing" if total is None else format_number(total)
        return replace(measured, note="; ".join(filter(None, [measured.note, f"{field} returned {found} over "
                                                              f"{window}: events unknown"])))
    if total is None or not math.isfinite(total) or total < 0:
        return measured
    return replace(measured, total=total, events=total * parse_duration(window))


def _absent_ratio(window: str, what: str, field: str, has_total: bool, total: float | None) -> WindowRatio:
    """A window whose recording rule recorded nothing. Pyrra's and Sloth's rules divide the error vector by
    the total, so a service without error series records no ratio: with traffic counted by the total that is
    zero errors (raw counters say the same), without traffic or without a total to tell, a gap."""
    if not has_total:
        return WindowRatio(window, None, recorded_absent=True,
                           note=f"no data ({what}; without {field} zero errors cannot be told from no traffic)")
    counted = _ratio_from_counts(window, None, total)
    if counted.error_ratio is None:
        return replace(counted, recorded_absent=True, note=f"{what}; {counted.note}")
    return replace(counted, recorded_absent=True,
                   note=f"{what} while {field} counts traffic: zero errors (the rule records no ratio without an "
                        "error series)")


class _SlothReader:
    recorded = True

    def __init__(self, sli: SlothSLI, params: Mapping[str, Param], period_s: float) -> None:
        self._sli = sli
        # Only a window Sloth records can be absent for want of error series.
        self._recorded_windows = _SLOTH_WINDOWS | {prometheus_duration(period_s)}
        self._selectors = _selector_template(sli.selectors, params, "sloth.selectors",
                                             frozenset({"sloth_id", "sloth_service", "sloth_slo", "sloth_window"}))
        self._total = (None if sli.total_query is None
                       else _window_template(sli.total_query, params, "sloth.total_query"))

    def _matchers(self, args: Mapping[str, ArgValue]) -> str:
        sli = self._sli
        identity = ([f'sloth_id="{escape_promql_string(sli.sloth_id, chr(34))}"'] if sli.sloth_id is not None
                    else [f'sloth_service="{escape_promql_string(sli.service or "", chr(34))}"',
                          f'sloth_slo="{escape_promql_string(sli.slo or "", chr(34))}"'])
        return _matchers(*identity, _render_selectors(self._selectors, args))

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        name = prometheus_duration(parse_duration(window))
        queries = {"ratio": f"slo:sli_error:ratio_rate{name}{{{self._matchers(args)}}}"}
        if self._total is not None and not period:
            queries["total"] = self._total.render({**args, "window": window})
        return queries

    def probes(self, windows: Mapping[str, Mapping[str, str]], period: str, args: Mapping[str, ArgValue],
               optional: Collection[str]) -> list[Probe]:
        # Sloth records slo:objective:ratio as a constant for every SLO it generates: traffic or not, errors or
        # not, it exists when the SLO's rules are loaded under these labels.
        matchers = self._matchers(args)
        rules = Probe(f"slo:objective:ratio{{{matchers}}}", tuple(q["ratio"] for q in windows.values()),
                      f"no recording rule of Sloth SLO {{{matchers}}} has a series (not even slo:objective:ratio): "
                      "check sloth.sloth_id (or service and slo) and sloth.selectors, and that Sloth's rules are "
                      "loaded")
        totals = [("sloth.total_query", queries["total"]) for queries in windows.values() if "total" in queries]
        return [rules, *name_probes(totals, optional)]

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        value = results[queries["ratio"]].single_value("Sloth ratio query")
        total = results[queries["total"]].single_value("sloth.total_query") if "total" in queries else None
        name = prometheus_duration(parse_duration(window))
        if value is None and "total" not in queries and self._total is not None:
            # The period: its total is not sent (a raw query over the whole period); judge() reconciles it.
            return WindowRatio(window, None, recorded_absent=True, note=f"no Sloth ratio_rate{name} series")
        if value is None and name not in self._recorded_windows:
            return WindowRatio(window, None, recorded_absent=True, note=f"no data (no Sloth ratio_rate{name} series: "
                                                                        "Sloth records no such window by default)")
        if value is None:
            return _absent_ratio(window, f"no Sloth ratio_rate{name} series", "sloth.total_query", "total" in queries,
                                 total)
        return _with_total(_recorded_ratio(window, value, f"Sloth ratio_rate{name}"), window, total,
                           "sloth.total_query" if "total" in queries else None)


# ---------------------------------------------------------------------------------------------------------


class ErrorBudgetCheck(Check):
    """Fail a release that burns the SLO's error budget too fast (multi-window, multi-burn-rate), or that
    starts with too little budget left."""

    kind: Literal["error_budget"] = "error_budget"
    source: str = Field(default="default", description="name of a Prometheus source in `sources`")
    objective: float = Field(gt=0, lt=100, description="SLO objective in percent, e.g. 99.9")
    period: Duration = Field(description="SLO period, e.g. 30d, 28d, 7d")
    ratio: RatioSLI | None = Field(default=None, description="SLI from errors and total PromQL templates")
    latency: LatencySLI | None = Field(default=None, description="SLI from a classic latency histogram")
    pyrra: PyrraSLI | None = Field(default=None, description="SLI from Pyrra's recording rules")
    sloth: SlothSLI | None = Field(default=None, description="SLI from Sloth's recording rules")
    tiers: list[BurnTier] | None = Field(
        default=None, description="burn-rate tiers; default: SRE workbook tiers scaled to the period "
                                  "(Pyrra's own tiers for a pyrra SLI); [] for a pure budget gate")
    fail_on: list[str] = Field(default_factory=lambda: ["page"],
                               description="tier severities that fail the verdict; others are warnings")
    min_budget_remaining: float | None = Field(
        default=None, lt=1, allow_inf_nan=False,
        description="fail unless more than this share of the budget is left (0: fail once it is spent; "
                    "-0.5: tolerate 50% overspend)")
    min_events_per_window: float = Field(
        default=30, ge=0, allow_inf_nan=False,
        description="a window (the period included) that counted fewer events than this cannot judge: its ratio "
                    "is noise (1 error in 3 requests burns 333x at 99.9%); events = total rate x window length. "
                    "Windows without a count (a pyrra or sloth SLI without its total) are not held to it; 0 "
                    "turns the guard off")
    optional_metrics: list[str] = Field(
        default_factory=list,
        description="metric names that may have no series at all (a labelled error counter created on its "
                    "first error): their absence reads as zero events instead of a misspelled name (error)")
    accept_unjudged_tiers: bool = Field(
        default=False, description="pass even if some fail_on tiers cannot judge (a window without traffic or "
                                   "data), as long as one can and none has a measured window burning above "
                                   "its factor; by default a pass needs every fail_on tier judged")

    _reader: _Reader = PrivateAttr()
    _tiers: list[BurnTier] = PrivateAttr()

    @field_validator("optional_metrics")
    @classmethod
    def _metric_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _METRIC_RE.fullmatch(name):
                raise ValueError(f"{name!r} is not a metric name")
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
            raise ValueError("set exactly one SLI source: ratio, latency, pyrra or sloth"
                             + (f" (got {', '.join(sources)})" if sources else ""))
        if error_budget(self.objective) <= 0:
            raise ValueError(f"objective {self.objective} leaves no error budget")
        period_s = parse_duration(self.period)
        if self.ratio is not None:
            self._reader = _RatioReader(self.ratio, self.params)
        elif self.latency is not None:
            self._reader = _LatencyReader(self.latency, self.params)
        elif self.pyrra is not None:
            self._reader = _PyrraReader(self.pyrra, self.params, period_s)
        else:
            assert self.sloth is not None
            self._reader = _SlothReader(self.sloth, self.params, period_s)
        if self.tiers is not None:
            self._tiers = list(self.tiers)
        else:
            self._tiers = pyrra_tiers(period_s) if self.pyrra is not None else workbook_tiers(period_s)
        severities = {tier.severity for tier in self._tiers}
        for severity in self.fail_on:
            if self._tiers and severity not in severities:
                raise ValueError(f"fail_on: no tier has severity {severity!r} (tiers have: "
                                 f"{', '.join(sorted(severities))})")
        failing = [tier for tier in self._tiers if tier.severity in self.fail_on]
        if not failing and self.min_budget_remaining is None:
            raise ValueError("nothing can fail this check: give a tier whose severity is in fail_on, or "
                             "min_budget_remaining")
        return self

    @property
    def budget(self) -> float:
        """The error budget as a fraction of events."""
        return error_budget(self.objective)

    def source_names(self) -> frozenset[str]:
        """The one Prometheus source all windows are read from."""
        return frozenset({self.source})

    def warnings(self) -> list[str]:
        """Tiers that can never fire at this objective, and windows the recording rules may not have."""
        found = []
        ceiling = max_burn_rate(self.budget)
        for tier in self._tiers:
            if exceeds(tier.factor, ceiling):
                found.append(f"tier {tier.label} x{format_number(tier.factor)} can never fire: at objective "
                             f"{format_number(self.objective)}% the burn rate cannot exceed "
                             f"{format_number(ceiling)} (every event bad)")
            if parse_duration(tier.long) > parse_duration(self.period):
                found.append(f"tier {tier.label}: long window is longer than the period {self.period}")
        if self.objective < 1:
            found.append(f"objective {format_number(self.objective)} is in percent; did you mean "
                         f"{format_number(self.objective * 100)}?")
        if self.ratio is not None and "increase(" in self.ratio.total and "rate(" not in self.ratio.total:
            found.append("ratio.total looks like a count (increase): min_events_per_window reads it as events per "
                         "second and multiplies it by the window, so the guard counts far more events than there "
                         "are; write the total with rate()")
        if (self.pyrra is not None and self.pyrra.total is None) or (self.sloth is not None
                                                                       and self.sloth.total_query is None):
            field = "pyrra.total" if self.pyrra is not None else "sloth.total_query"
            found.append(f"without {field} a window whose rule recorded nothing (a service without error series) "
                         "is no data, not zero errors, and min_events_per_window cannot apply")
        if self.sloth is not None:
            recorded = _SLOTH_WINDOWS | {prometheus_duration(parse_duration(self.period))}
            for window in self._windows():
                if prometheus_duration(parse_duration(window)) not in recorded:
                    found.append(f"window {window} is not one Sloth records by default ({', '.join(sorted(recorded))})")
        if self.pyrra is not None:
            pyrra_layout = pyrra_tiers(parse_duration(self.period))
            recorded = frozenset(w for tier in pyrra_layout for w in (tier.long, tier.short))
            for window in self._windows():
                if prometheus_duration(parse_duration(window)) not in recorded:
                    found.append(f"window {window} is not one Pyrra records for a {self.period} SLO "
                                 f"({', '.join(sorted(recorded))})")
        return found

    def _windows(self) -> list[str]:
        """The distinct tier windows, each measured once however many tiers share it."""
        return list(dict.fromkeys(w for tier in self._tiers for w in (tier.long, tier.short)))

    def plan(self, args: Mapping[str, ArgValue]) -> MeasurementPlan:
        """The queries measuring every window and the period for these args, and the batches that carry them."""
        windows = {window: self._reader.queries(window, args, period=False) for window in self._windows()}
        period = self._reader.queries(self.period, args, period=True)
        probes = self._reader.probes(windows, self.period, args, frozenset(self.optional_metrics))
        # The probes ride in the required query: whether the check reads anything at all decides the verdict.
        probed = {PROBE_WINDOW: {f"probe{index}": probe.query for index, probe in enumerate(probes)}}
        if self.min_budget_remaining is not None or self._reader.recorded:
            return MeasurementPlan(windows, period, QueryBatch.of(windows, {self.period: period}, probed),
                                   QueryBatch({}), probes)
        # Without a budget gate the period's ratio is evidence only: over raw counters it goes out as a second
        # query, so a slow 30d query failing or timing out cannot cost the verdict.
        required = QueryBatch.of(windows, probed)
        optional = {part: query for part, query in period.items() if query not in required.queries}
        return MeasurementPlan(windows, period, required, QueryBatch.of({self.period: optional}), probes)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Measure every window (and the period) in one query, or two when the period is only evidence computed
        from raw counters, then judge the tiers and the budget."""
        plan = self.plan(ctx.args)
        required, optional = plan.required, plan.optional
        # `required` is never empty: a check without tiers must have a budget gate, whose period it carries.
        answers, failed = await self._run_all(ctx, [required.promql], [optional.promql] if optional.parts else [])
        results = required.split(answers[required.promql])
        unmeasured = failed.get(optional.promql) if optional.parts else None
        if optional.parts and unmeasured is None:
            try:
                results.update(optional.split(answers[optional.promql]))
            except SourceRejected as exc:
                unmeasured = exc
        for probe in plan.probes:
            if probe.missing(results):
                raise CheckMisconfigured(probe.problem)
        try:
            windows = {window: self._reader.measure(window, qs, results) for window, qs in plan.windows.items()}
            if unmeasured is None:
                period = self._measure_period(plan, results)
            else:
                period = WindowRatio(self.period, None, note=f"not measured: {unmeasured.message}")
        except MissingBucket as exc:
            raise await self._explain_missing_bucket(ctx, exc) from None
        return self.judge(windows, period, [*required.queries, *optional.queries],
                          [batch.promql for batch in plan.batches])

    def _measure_period(self, plan: MeasurementPlan, results: Results) -> WindowRatio:
        """The period's ratio; without a budget gate it is evidence only, so an unusable answer is a note."""
        try:
            return self._reader.measure(self.period, plan.period, results)
        except SourceRejected as exc:
            if self.min_budget_remaining is not None:
                raise
            return WindowRatio(self.period, None, note=f"not measured: {exc.message}")

    async def _run_all(self, ctx: EvalContext, required: list[str], optional: list[str]
                       ) -> tuple[dict[str, QueryResult], dict[str, CheckError]]:
        """Every query at once; a required query's error is the check's error, an optional one's is returned."""
        source = ctx.prometheus(self.source)

        async def attempt(query: str) -> QueryResult | CheckError:
            try:
                return await source.query(query, ctx.evaluation_time, ctx.timeout_s())
            except CheckError as exc:
                return exc

        try:
            async with asyncio.TaskGroup() as group:
                tasks = {q: group.create_task(source.query(q, ctx.evaluation_time, ctx.timeout_s()))
                         for q in required}
                optional_tasks = {q: group.create_task(attempt(q)) for q in optional}
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
        assert isinstance(self._reader, _LatencyReader) and self.latency is not None
        query = self._reader.buckets_query(ctx.args)
        answer = await ctx.prometheus(self.source).query(query, ctx.evaluation_time, ctx.timeout_s())
        bounds = sorted({s.labels.get("le", "") for s in answer.series}, key=_bound_order)
        return CheckMisconfigured(f"latency.threshold_s {format_number(self.latency.threshold_s)} is not a bucket "
                                  f"bound of {self.latency.metric} (its bounds: {', '.join(bounds) or 'none'}); "
                                  f"query: {exc.query}")

    def judge(self, windows: Mapping[str, WindowRatio], period: WindowRatio, queries: Sequence[str] = (),
              sent: Sequence[str] = ()) -> Verdict:
        """The verdict from measured windows: pure arithmetic, no I/O. `queries` are the per-window queries,
        `sent` the combined queries that carried them."""
        budget = self.budget
        windows, period = reconcile_absences(windows, period)
        windows = {name: with_min_events(w, self.min_events_per_window) for name, w in windows.items()}
        period = with_min_events(period, self.min_events_per_window)
        tiers = judge_tiers(self._tiers, windows, budget)
        remaining = None if period.error_ratio is None else budget_remaining(period.error_ratio, budget)
        details = self._details(windows, period, tiers, remaining, queries, sent)
        failing = [t for t in tiers if t.fired and t.tier.severity in self.fail_on]
        warned = [t for t in tiers if t.fired and t.tier.severity not in self.fail_on]
        details["warnings"] = [f"{t.tier.severity} tier {t.tier.label} fires: burn {format_number(t.burn)}x "
                               f"over both windows (limit {format_number(t.tier.factor)}x)" for t in warned]
        budget_text = _budget_text(remaining, self.period)
        if failing:
            # The fastest burn detected is the most telling: the fired tier with the highest factor.
            worst = max(failing, key=lambda t: (t.tier.factor, t.burn))
            return Verdict(outcome=Outcome.FAIL, value=worst.burn, threshold=worst.tier.factor, details=details,
                           reason=f"{worst.tier.severity} tier {worst.tier.label} fires: the budget burns "
                                  f"{format_number(worst.burn)}x over both {worst.tier.long} and {worst.tier.short} "
                                  f"(limit {format_number(worst.tier.factor)}x); {budget_text}")
        gate = self.min_budget_remaining
        if gate is not None and remaining is not None and not exceeds(remaining, gate):
            assert period.error_ratio is not None
            return Verdict(outcome=Outcome.FAIL, value=remaining, threshold=gate, details=details,
                           reason=f"budget remaining {_percent(remaining)} is not above min_budget_remaining "
                                  f"{_percent(gate)} (error ratio {format_number(period.error_ratio)} over "
                                  f"{self.period} at objective {format_number(self.objective)}%)")
        gating = [t for t in tiers if t.tier.severity in self.fail_on]
        gating_judged = [t for t in gating if t.judged]
        burning = [t for t in gating if t.burning]
        if burning:
            return self._burning_unjudged(burning, details)
        if gating and not gating_judged:
            reasons = "; ".join(f"{t.tier.label}: {t.note}" for t in gating)
            return self.no_data_verdict(f"no {'/'.join(self.fail_on)} tier can judge ({reasons})", details=details)
        unjudged = [t for t in gating if not t.judged]
        if unjudged and not self.accept_unjudged_tiers:
            reasons = "; ".join(f"{t.tier.label}: {t.note}" for t in unjudged)
            return self.no_data_verdict(
                f"{len(unjudged)} of {len(gating)} {'/'.join(self.fail_on)} tiers cannot judge ({reasons}); a pass "
                "needs every one judged (accept_unjudged_tiers: true accepts the rest)", details=details)
        if gate is not None and remaining is None:
            return self.no_data_verdict(f"budget remaining is unknown: {period.note}", details=details,
                                        threshold=gate)
        if not gating:
            assert remaining is not None and gate is not None
            return Verdict(outcome=Outcome.PASS, value=remaining, threshold=gate, details=details,
                           reason=f"budget remaining {_percent(remaining)} is above min_budget_remaining "
                                  f"{_percent(gate)} over {self.period}")
        worst = max(gating_judged, key=lambda t: t.pressure)
        extra = (f"; {len(warned)} non-failing tier(s) fire ({', '.join(t.tier.label for t in warned)})"
                 if warned else "")
        extra += (f"; accepted without judging: {', '.join(f'{t.tier.label} ({t.note})' for t in unjudged)}"
                  if unjudged else "")
        return Verdict(outcome=Outcome.PASS, value=worst.burn, threshold=worst.tier.factor, details=details,
                       reason=f"no {'/'.join(self.fail_on)} tier fires: worst is {worst.tier.severity} tier "
                              f"{worst.tier.label} at {format_number(worst.burn)}x (limit "
                              f"{format_number(worst.tier.factor)}x); {budget_text}{extra}")

    def _burning_unjudged(self, burning: list[TierResult], details: dict[str, Any]) -> Verdict:
        """A fail_on tier that cannot judge while a window it could measure burns above its factor: it may be
        firing unseen (a canary that errored, then lost its traffic), so no pass, whatever accept_unjudged_tiers
        says; and not the no_data policy's pass either, since there is evidence of burning."""
        worst = max(burning, key=lambda t: max(burn / t.tier.factor for _, burn in t.burning))
        window, burn = max(worst.burning, key=lambda item: item[1])
        reason = (f"{worst.tier.severity} tier {worst.tier.label} cannot judge ({worst.note}) while its {window} "
                  f"window burns {format_number(burn)}x (limit {format_number(worst.tier.factor)}x): it may be "
                  "firing unseen")
        if len(burning) > 1:
            reason += f"; so may {', '.join(t.tier.label for t in burning if t is not worst)}"
        if self.no_data is NoDataPolicy.PASS:
            return Verdict(outcome=Outcome.INCONCLUSIVE, value=burn, threshold=worst.tier.factor, details=details,
                           reason=f"{reason} (no_data policy pass does not apply to a window burning above its "
                                  "factor)")
        return self.no_data_verdict(reason, details=details, threshold=worst.tier.factor)

    def _details(self, windows: Mapping[str, WindowRatio], period: WindowRatio, tiers: list[TierResult],
                 remaining: float | None, queries: Sequence[str], sent: Sequence[str]) -> dict[str, Any]:
        budget = self.budget
        return {
            "queries": list(queries),
            "sent_queries": list(sent),
            "objective": self.objective,
            "error_budget": budget,
            "period": self.period,
            "windows": [_window_details(w, budget) for w in windows.values()],
            "tiers": [{"severity": t.tier.severity, "long": t.tier.long, "short": t.tier.short,
                       "factor": t.tier.factor, "long_burn_rate": t.long_burn, "short_burn_rate": t.short_burn,
                       "judged": t.judged, "fired": t.fired, "fails_verdict": t.tier.severity in self.fail_on,
                       **({"note": t.note} if t.note else {})} for t in tiers],
            "budget": {**_window_details(period, budget), "remaining": remaining,
                       "min_budget_remaining": self.min_budget_remaining},
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
            return ("pyrra.total (the SLO's total metric)" if self.pyrra.total is not None
                    else "none: without pyrra.total an absent burnrate series is no data")
        assert self.sloth is not None
        return ("sloth.total_query (the SLI's total query)" if self.sloth.total_query is not None
                else "none: without sloth.total_query an absent ratio_rate series is no data")


def _window_details(window: WindowRatio, budget: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"window": window.window, "error_ratio": window.error_ratio,
                             "burn_rate": _burn_or_none(window, budget)}
    if window.total is not None:
        entry["errors"] = _finite(window.errors)
        entry["total"] = _finite(window.total)
    if window.events is not None:
        entry["events"] = _finite(window.events)
    if window.note:
        entry["note"] = window.note
    return entry


def _finite(value: float | None) -> float | None:
    """JSON has no NaN: non-finite evidence is shown as null (the `note` says why)."""
    return value if value is not None and math.isfinite(value) else None


def _percent(share: float) -> str:
    return f"{format_number(round(share * 100, 4))}%"


def _budget_text(remaining: float | None, period: str) -> str:
    if remaining is None:
        return f"budget remaining over {period} unknown"
    return f"budget remaining {_percent(remaining)} over {period}"


def _bound_order(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return math.inf
