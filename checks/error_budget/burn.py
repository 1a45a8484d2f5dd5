"""The burn arithmetic of `error_budget`, free of I/O so that the SRE workbook's worked examples can be
checked directly: budgets, burn rates, tiers and their judgement."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analyzer.kinds import (
    Duration,
    exceeds,
    format_number,
    parse_duration,
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
_SEVERITY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@functools.lru_cache(maxsize=256)
def error_budget(objective_percent: float) -> float:
    """The error budget as a fraction: 1 - objective (99.9 -> 0.001, computed in decimal so it is exact); kept,
    as a check asks for its own on every evaluation."""
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


@functools.lru_cache(maxsize=256)
def rule_window(window: str) -> str:
    """How Pyrra's and Sloth's rule names spell `window` (its `prometheus_duration`), kept per window."""
    return prometheus_duration(parse_duration(window))


def prometheus_duration(seconds: float) -> str:
    """A duration as Prometheus' model.Duration prints it (what Pyrra and Sloth put in rule names):
    weeks and years only when exact, so 28d -> 4w, 30d -> 30d, 7d -> 1w, 1h4m -> 1h4m."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    out = []
    for unit, size, exact_only in (
        ("y", 31536000000, True),
        ("w", 604800000, True),
        ("d", 86400000, False),
        ("h", 3600000, False),
        ("m", 60000, False),
        ("s", 1000, False),
        ("ms", 1, False),
    ):
        if exact_only and millis % size:
            continue
        if millis >= size:
            out.append(f"{millis // size}{unit}")
            millis %= size
    return "".join(out)


class BurnTier(BaseModel):
    """One multi-window alert tier: fires when the burn rate over BOTH windows exceeds `factor`."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

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
    return [
        BurnTier(
            long=long,
            short=short,
            severity=severity,
            factor=float(Decimal(consumed) * period / Decimal(repr(parse_duration(long)))),
        )
        for long, short, consumed, severity in _WORKBOOK_TIERS
    ]


def pyrra_tiers(period_s: float) -> list[BurnTier]:
    """Pyrra's own tiers for an SLO window: its 28d windows scaled and rounded to the minute, x14/7/2/1."""

    def scaled(divisor: int) -> str:
        # Go: (window / divisor).Round(time.Minute): integer nanoseconds, half rounds away from zero.
        nanos = round(period_s * 1e9) // divisor
        minutes = (nanos + 30_000_000_000) // 60_000_000_000
        return prometheus_duration(max(minutes, 1) * 60)

    return [
        BurnTier(long=scaled(long), short=scaled(short), factor=factor, severity=severity)
        for long, short, factor, severity in _PYRRA_TIERS
    ]


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
    # How old the recorded ratio's latest sample was at the evaluation time (None: no recorded ratio read).
    recorded_age_s: float | None = None
    # Why the ratio may leave out some series' errors (a target scraped too seldom for the window's rate()): ""
    # when it leaves out none. Such a ratio judges only the tiers it cannot make fire (see settle_blind).
    blind: str = ""


def measured_ratio(window: str, ratio: float, errors: float | None, total: float, events: float) -> WindowRatio:
    """`WindowRatio(window, ratio, errors, total, events=events)`, the same object built without the frozen
    dataclass's `__init__` (a frame and seven `object.__setattr__`): every window measured is one."""
    made = object.__new__(WindowRatio)
    made.__dict__.update(
        window=window,
        error_ratio=ratio,
        errors=errors,
        total=total,
        note="",
        events=events,
        recorded_absent=False,
        recorded_age_s=None,
        blind="",
    )
    return made


@dataclass(frozen=True, init=False)
class TierResult:
    """One tier judged: both windows' burn rates, whether it fired, or why it could not judge."""

    tier: BurnTier
    long_burn: float | None
    short_burn: float | None
    note: str = ""
    # Windows without a ratio whose raw errors counted errors (the tool's rule did not record): their raw burn.
    raw_burns: tuple[tuple[str, float], ...] = ()
    # Both windows had traffic; and both exceed the factor. Computed once: the verdict, its reason and its
    # details read them several times.
    judged: bool = field(init=False)
    fired: bool = field(init=False)

    def __init__(
        self,
        tier: BurnTier,
        long_burn: float | None,
        short_burn: float | None,
        note: str = "",
        raw_burns: tuple[tuple[str, float], ...] = (),
    ) -> None:
        judged = long_burn is not None and short_burn is not None
        fired = long_burn is not None and short_burn is not None and exceeds(min(long_burn, short_burn), tier.factor)
        # One update instead of the frozen dataclass's object.__setattr__ per field: every evaluation judges each tier.
        self.__dict__.update(
            tier=tier,
            long_burn=long_burn,
            short_burn=short_burn,
            note=note,
            raw_burns=raw_burns,
            judged=judged,
            fired=fired,
        )

    @property
    def burn(self) -> float:
        """The burn both windows reach (the smaller of the two); the tier fires when it exceeds the factor."""
        assert self.long_burn is not None and self.short_burn is not None
        return min(self.long_burn, self.short_burn)

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
        measured = ((self.tier.long, self.long_burn), (self.tier.short, self.short_burn), *self.raw_burns)
        return [(window, burn) for window, burn in measured if burn is not None and exceeds(burn, self.tier.factor)]


def judge_tiers(tiers: Sequence[BurnTier], windows: Mapping[str, WindowRatio], budget: float) -> list[TierResult]:
    """Each tier's burn over its long and short window; a window without a ratio leaves the tier unjudged."""
    results = []
    for tier in tiers:
        long, short = windows[tier.long], windows[tier.short]
        missing = [w for w in (long, short) if w.error_ratio is None]
        if missing:
            note = "; ".join(f"{w.window}: {w.note}" for w in missing)
            raw = tuple((w.window, burn) for w in missing if (burn := raw_burn(w, budget)) is not None)
            results.append(TierResult(tier, burn_or_none(long, budget), burn_or_none(short, budget), note, raw))
        else:
            results.append(TierResult(tier, burn_or_none(long, budget), burn_or_none(short, budget)))
    return results


def settle_blind(
    tiers: Sequence[BurnTier], windows: Mapping[str, WindowRatio], budget: float
) -> dict[str, WindowRatio]:
    """The windows as judged: a ratio blind to some series' errors (`blind`) stays only where every tier reading it
    has its other window measured at a burn not above the factor, so that the tier cannot fire whatever the blind
    window reads; else that window is no data: its clean reading says nothing of the errors it cannot count."""
    settled = dict(windows)
    for name, window in windows.items():
        if not window.blind or window.error_ratio is None:
            continue
        held = []
        for tier in tiers:
            if name not in (tier.long, tier.short):
                continue
            other = windows[tier.short if name == tier.long else tier.long]
            # Another blind window holds nothing: what it leaves out may burn too.
            burn = None if other.blind else burn_or_none(other, budget)
            if burn is None or exceeds(burn, tier.factor):
                settled[name] = replace(window, error_ratio=None, note=f"no data ({window.blind})")
                break
            held.append(
                f"{tier.label}: {other.window} burns {format_number(burn)}x, limit {format_number(tier.factor)}x"
            )
        else:
            note = (
                f"{window.blind}; read all the same: no tier it judges can fire whatever it reads ({'; '.join(held)})"
            )
            settled[name] = replace(window, note=f"{window.note}; {note}" if window.note else note)
    return settled


def reconcile_absences(
    windows: Mapping[str, WindowRatio], period: WindowRatio
) -> tuple[dict[str, WindowRatio], WindowRatio]:
    """Recorded ratios read as zero errors by their absence only where no error series is the one explanation.
    A rule over a longer window sees every series a shorter one sees, so a window whose rule recorded nothing
    while a shorter window's rule recorded a value was not evaluated (failing or lagging): a gap, not zero.
    The period's rule (Sloth's ratio_rate30d averages the 5m ratio) records nothing only when no window does;
    then, with traffic in some window, the period has no error series either: zero errors, and at least the
    events of the busiest window. Not when a window's raw errors counted errors its rule did not record: the
    rules stopped, and the period's stopped with them."""
    if not any(w.recorded_absent for w in windows.values()):
        # No window read from an absence (raw counters never are): nothing to reconcile, the period's rule
        # included (it is read as zero errors only beside absent windows).
        return dict(windows), period
    present = [parse_duration(w.window) for w in windows.values() if not w.recorded_absent]
    shortest = min(present, default=math.inf)
    judged = {
        name: (
            replace(
                w,
                error_ratio=None,
                note=f"{w.note}; but a shorter window's rule recorded a value, so "
                "this one did not evaluate (failing or lagging): no evidence "
                "of zero errors",
            )
            if w.recorded_absent and w.error_ratio is not None and parse_duration(w.window) > shortest
            else w
        )
        for name, w in windows.items()
    }
    traffic = [w.events for w in judged.values() if w.recorded_absent and w.error_ratio is not None]
    stopped = any(w.recorded_absent and w.error_ratio is None and w.errors for w in windows.values())
    if (
        period.recorded_absent
        and period.error_ratio is None
        and windows
        and all(w.recorded_absent for w in windows.values())
        and traffic
        and not stopped
    ):
        events = max((e for e in traffic if e is not None), default=None)
        period = replace(
            period,
            error_ratio=0.0,
            events=events,
            note=f"{period.note}; nor any window's while they count traffic: no error series over "
            f"{period.window}, zero errors",
        )
    return judged, period


def absence_unproven(window: WindowRatio, partial: Sequence[str]) -> WindowRatio:
    """The window as judged when the answer may lack series (`partial`: its `QueryResult.storage_warnings`):
    zero errors read from an absent error series is no evidence then, so it becomes a
    gap. A measured error count, even zero, stands."""
    if not partial or window.error_ratio != 0.0 or window.errors is not None:
        return window
    return replace(
        window,
        error_ratio=None,
        note=f"{window.note + '; ' if window.note else ''}the answer may be partial ({'; '.join(partial)}): "
        "an absent error series is no evidence of zero errors",
    )


def with_min_events(window: WindowRatio, min_events: float) -> WindowRatio:
    """The window as judged: one with a known count of fewer than `min_events` events cannot judge (its ratio
    is noise: 1 error in 3 requests burns 333x at 99.9%); a window without a count is left as it is."""
    if window.error_ratio is None or window.events is None or not exceeds(min_events, window.events):
        return window
    bad = window.error_ratio * window.events
    return replace(
        window,
        error_ratio=None,
        note=f"too few events over {window.window}: {format_number(window.events)} "
        f"({format_number(bad)} bad), below min_events_per_window {format_number(min_events)}",
    )


def burn_or_none(window: WindowRatio, budget: float) -> float | None:
    return None if window.error_ratio is None else burn_rate(window.error_ratio, budget)


def raw_burn(window: WindowRatio, budget: float) -> float | None:
    """The burn the raw errors and total show for a window whose recording rule recorded nothing while the raw
    errors count some (the rule group stopped): evidence of burning, though the window cannot judge."""
    errors, total = window.errors, window.total
    if window.error_ratio is not None or not window.recorded_absent or errors is None or total is None:
        return None
    if not (math.isfinite(errors) and math.isfinite(total) and errors > 0 and total > 0):
        return None
    return burn_rate(min(errors / total, 1.0), budget)
