"""The SLI sources of `error_budget`: which queries measure a window, and how their answers become an
error ratio (raw counters, a classic histogram, Pyrra or Sloth recording rules)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analyzer.kinds import (
    BATCH_LABEL_RE,
    BATCH_LABELS,
    ArgValue,
    CheckMisconfigured,
    MissingBucket,
    Param,
    ParamType,
    PromQLTemplate,
    QueryResult,
    RecordingRule,
    Series,
    SourceRejected,
    UnexplainedLabels,
    clip,
    division_sides,
    escape_promql_string,
    event_form,
    exceeds,
    format_number,
    label_presence_query,
    label_written,
    may_answer_without_its_series,
    metric_selectors,
    names_pattern,
    needed_labels,
    parse_duration,
    presence_query,
    rated_selectors,
    selector_matchers,
    vector_selectors,
)
from checks.error_budget.burn import (
    WindowRatio,
    error_budget,
    measured_ratio,
    prometheus_duration,
    pyrra_tiers,
    rule_window,
)

# Windows Sloth records `slo:sli_error:ratio_rate<window>` for with its default 30d and 28d alert windows.
SLOTH_WINDOWS = frozenset({"5m", "30m", "1h", "2h", "6h", "1d", "3d"})
# How far the check's error budget may be from the one an SLO tool records before they are different SLOs: far
# beyond the float noise of a recorded ratio (Pyrra's "99.9" is 0.9990000000000001), far below any real mismatch.
OBJECTIVE_REL_TOL = 1e-6
# And at any distance below this: the recorded ratio's float error (about 1e-16) is no longer a millionth of a
# budget of 1e-10 (99.99999999%), while objectives a check can tell apart (10 decimals) differ by 1e-12 at least.
OBJECTIVE_ABS_TOL = 1e-15
METRIC_RE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")
# The metric name a selector starts with (pyrra.total: `http_request_duration_seconds_count{job="api"}`).
_METRIC_NAME_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# How far back a Pyrra total's histogram is asked for buckets: Prometheus' look-back, over which an instant query
# saw a series that stopped before staleness markers hid it at once, and the shortest window Pyrra records.
_BUCKETS_SEEN = "5m"
_MATCHER = (
    r"\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*"
    r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')\s*"
)
# How old a recorded ratio's latest sample may be at the evaluation time. Prometheus serves a series' last sample for
# 5 minutes (its look-back) after its ruler stopped, so a dead ruler's last ratios read as live until then (a canary's
# errors since unseen: a pass). A live group's latest sample is at most one interval old, plus its evaluation's run
# time and any evaluation delay: Pyrra's groups run every 30 s, Sloth's at the ruler's evaluation_interval
# (Prometheus' default 1 m), and Mimir's ruler stamps its samples 1 m in the past by default (as Prometheus'
# query_offset does when set): up to 2 m. Three minutes blocks none of these defaults, and leaves a dead ruler's
# values read as live for 3 minutes instead of 5 (past 5 the series are absent, and read as such). The default of
# the check's max_recorded_age_s: Sloth's rule_intervals plugin, a global evaluation_interval of 2m or 5m, or a
# longer query_offset leave a live group's latest sample older, and its writer raises it.
MAX_RECORDED_AGE_S = 180.0
_SELECTORS_RE = re.compile(rf"^(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*$")
_MATCHER_NAME_RE = re.compile(r"(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
_TOTAL_SELECTOR_RE = re.compile(rf"[A-Za-z_:][A-Za-z0-9_:]*(?:\{{(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*\}})?")


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
    scientific_re = (
        mantissa[0]
        + (r"\." + mantissa[1:] + "0*" if mantissa[1:] else r"(\.0*)?")
        + "[eE]"
        + (r"\+?" if power >= 0 else "-")
        + "0*"
        + str(abs(power))
    )
    return f"(?:{fixed_re}|{scientific_re})"


Results = Mapping[str, QueryResult]

# The part of Sloth's period that the evaluation's batch leaves out, sent after it only when its answer needs it
# (see SlothReader.asks_after): the count of ratio_rate5m samples over the period reads every one of them (86,400
# over 30d at a 30 s rule interval), the batch's largest part, to tell what only an absent period ratio leaves open.
ASKED_AFTER = "recorded_5m"


class Reader(Protocol):
    # True when every query reads a recording rule, the period's included: it costs what a window costs.
    recorded: bool

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]: ...

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio: ...

    def same_settings(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """CheckMisconfigured when the SLO tool records another period or objective than the check's (`queries`:
        the period's); read before the existence probes, whose "no series" it explains more precisely."""

    def probes(
        self,
        windows: Mapping[str, Mapping[str, str]],
        period: str,
        args: Mapping[str, ArgValue],
        optional: Collection[str],
    ) -> list[Probe]: ...


def _events(total: float, window: str, counted: bool) -> float:
    """The events a total stands for over `window`: the total itself when it is `counted` (increase()), else
    a per-second rate times the window."""
    return total if counted else total * parse_duration(window)


def _ratio_from_counts(window: str, errors: float | None, total: float | None, *, counted: bool = False) -> WindowRatio:
    """errors / total with the no-data rules: no total is no data, zero total is no traffic, absent errors
    with a present total are zero errors. Counts no rate can produce are SourceRejected (see _bounded_ratio).
    `counted`: the total counts the window's events (increase()) rather than giving them per second."""
    if total is None:
        return WindowRatio(window, None, errors, total, f"no data (the total query returned nothing over {window})")
    if math.isnan(total) or (errors is not None and math.isnan(errors)):
        return WindowRatio(window, None, errors, total, f"no traffic (NaN over {window})")
    if math.isinf(total) or total < 0 or (errors is not None and math.isinf(errors)):
        raise SourceRejected(
            f"over {window} the SLI counted {_count_text(errors, total)}: rates of events are "
            "finite and not negative, so the errors and total queries are broken"
        )
    if total == 0:
        if errors:
            # Errors the total does not count: the two queries select different events.
            raise SourceRejected(
                f"over {window} the SLI counted {_count_text(errors, total)}: errors without "
                "traffic mean the errors and total queries do not count the same events"
            )
        return WindowRatio(window, None, errors, total, f"no traffic over {window}")
    bad = 0.0 if errors is None else errors
    ratio = bad / total
    if 0.0 <= ratio <= 1.0:
        # The usual case, which _bounded_ratio leaves as it is: built at once, without the text of its counts.
        return measured_ratio(window, ratio, errors, total, _events(total, window, counted))
    measured = _bounded_ratio(window, ratio, _count_text(errors, total), errors, total)
    return replace(measured, events=_events(total, window, counted))


def _count_text(errors: float | None, total: float) -> str:
    return f"errors {'absent' if errors is None else format_number(errors)} of total {format_number(total)}"


def _bounded_ratio(
    window: str, ratio: float, source: str, errors: float | None = None, total: float | None = None
) -> WindowRatio:
    """An error ratio held to [0, 1]. Above 1 counts as every event bad: rate() extrapolates an error counter
    born inside the window further than the total, so a canary failing every request can read 1.2, and 1 is
    the stricter reading of any such value. Below 0 (beyond float noise) or infinite would read as better than
    perfect, so it is SourceRejected: the rule or the queries do not count the same events."""
    if not math.isfinite(ratio) or exceeds(0.0, ratio, scale=1.0):
        raise SourceRejected(
            f"the error ratio over {window} is {format_number(ratio)} ({source}); an error ratio "
            "lies between 0 and 1, so the SLI's errors and total do not count the same events"
        )
    if ratio > 1:
        return WindowRatio(
            window,
            1.0,
            errors,
            total,
            f"error ratio {format_number(ratio)} ({source}) is above 1: counted as every event bad",
        )
    return WindowRatio(window, max(ratio, 0.0), errors, total)


@dataclass(frozen=True)
class Probe:
    """Whether series exist at all where the check reads: `query` answers a series if they do, and so does any
    answered query in `users`; if none does, the check is misconfigured and `problem` says how."""

    query: str
    users: tuple[str, ...]
    problem: str

    # With `beside`: the probe's series must exist whenever a query of `beside` answers, unless one of `unless`
    # answers (it tells the check more precisely what is wrong); `users` are then unused.
    beside: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    # Queries sent with the probe that stand for its series when every one of them answers.
    together: tuple[str, ...] = ()
    # What an answer that may be partial (a store down) says when it shows none of the probe's series: not found,
    # rather than `problem`'s "none exist"; the metric names the probe looks for (none: a recording rule's), and the
    # label it looks for on their series, if any.
    unseen: str = ""
    metrics: tuple[str, ...] = ()
    label: str = ""

    def missing(self, results: Results) -> bool:
        """Nothing answered: neither the probe, nor any query that reads the same series, nor every query of
        `together` (with `beside`: the probe did not answer while a query of `beside` did and none of `unless`
        did)."""
        if self.beside:
            return not (
                _answered(results, (self.query,))
                or not _answered(results, self.beside)
                or _answered(results, self.unless)
            )
        together = bool(self.together) and all(_answered(results, (query,)) for query in self.together)
        return not (together or _answered(results, (self.query, *self.users)))


def _answered(results: Results, queries: Sequence[str]) -> bool:
    return any(results[query].series for query in queries if query in results)


def name_probes(
    fielded: Sequence[tuple[str, str]], optional: Collection[str], errors_fields: Collection[str] = ()
) -> list[Probe]:
    """One probe per selector's metric names (the alternatives of `{__name__=~"a|b"}` together: any of them
    will do) as the (field, query) pairs name them literally, then one per label name a selector's matcher needs
    (see needed_labels: `cdoe=~"5.."` matches no series of a metric none of whose series has `cdoe`), except where a
    name is `optional`. Its users are the queries that read those names (with that label needed) and answer only
    from their series: `x or vector(0)` always answers. Only a name that an `errors_fields` query reads is told
    of optional_metrics: one that counts all (or good) events has to exist whatever the errors."""
    # By (metric names, label name or "" for the names' own series).
    users: dict[tuple[tuple[str, ...], str], dict[str, None]] = {}
    where: dict[tuple[tuple[str, ...], str], dict[str, None]] = {}
    counts_errors: set[tuple[tuple[str, ...], str]] = set()
    for field, query in fielded:
        evidence = not may_answer_without_its_series(query)
        for found in metric_selectors(query):
            if any(name in optional for name in found.names):
                continue
            for label in ("", *needed_labels(found.selector)):
                users.setdefault((found.names, label), {})
                if evidence:
                    users[found.names, label][query] = None
                where.setdefault((found.names, label), {})[f"{field} selector {found.selector}"] = None
                if field in errors_fields:
                    counts_errors.add((found.names, label))
    # A missing name first: its labels are missing too.
    return [
        Probe(
            presence_query(names),
            tuple(users[names, label]),
            f"{'; '.join(where[names, label])}: no series of metric {' or '.join(names)} exist at all (a misspelled "
            "metric name?)"
            + (
                ". An existing metric without error series reads as zero errors; a metric that appears only with "
                "its first error belongs in optional_metrics"
                if (names, label) in counts_errors
                else "; it counts the SLI's events, which the check cannot judge without (optional_metrics is for "
                "counters of errors only)"
            ),
            unseen=f"{'; '.join(where[names, label])}: no series of metric {' or '.join(names)} found",
            metrics=names,
        )
        if not label
        else Probe(
            label_presence_query(names, label),
            tuple(users[names, label]),
            f"{'; '.join(where[names, label])}: label {label} is not on metric {' or '.join(names)}, no series "
            "of it has it (a misspelled label name?)"
            + (
                ". A label on the metric without error series reads as zero errors; a label that appears only with "
                "the first error: list its metric in optional_metrics"
                if (names, label) in counts_errors
                else ""
            ),
            unseen=f"{'; '.join(where[names, label])}: no series of metric {' or '.join(names)} with label {label} "
            "found",
            metrics=names,
            label=label,
        )
        for names, label in sorted(users, key=lambda key: key[1] != "")
    ] + _carried_probes(fielded, optional, errors_fields)


def _carried_probes(
    fielded: Sequence[tuple[str, str]], optional: Collection[str], errors_fields: Collection[str]
) -> list[Probe]:
    """One probe per label an errors selector needs (see needed_labels) that a selector of the same metric in a total
    field does not name: while that total's selection has series now, one of them must carry the label, else the
    errors select none of the events it counts and read zero errors whatever fails (a release that renamed `code`
    to `status_code` on the canary's series, the stable ones keeping `code`, so the metric still has the label)."""
    errors = {
        (field, found.names, found.selector): None
        for field, query in fielded
        if field in errors_fields
        for found in metric_selectors(query)
        if not any(name in optional for name in found.names)
    }
    totals = {
        (field, found.names, found.selector): None
        for field, query in fielded
        if field not in errors_fields
        for found in metric_selectors(query)
    }
    probes = {}
    for field, names, selector in errors:
        for total_field, total_names, total in totals:
            if total_names != names or not total.endswith("}"):
                continue
            named = set(needed_labels(total))
            for label in needed_labels(selector):
                if label in named:
                    continue
                inner = total[total.index("{") + 1 : -1].strip()
                carrying = f'{total[:-1]}{", " if inner else ""}{label_written(label)}!=""}}'
                probes[carrying] = Probe(
                    f"count({carrying})",
                    (),
                    f"{field} selector {selector}: label {label} is on none of the series {total_field} selector "
                    f"{total} selects now, so it counts none of their errors and reads zero errors whatever they fail "
                    f"(a label renamed by a release, {label} to another name, on these series alone?); select the "
                    "errors by the label they carry",
                    beside=(f"count({total})",),
                    unless=(_unlabelled_elsewhere(names, total, label),),
                    unseen=f"{field} selector {selector}: no series {total_field} selector {total} selects found "
                    f"with label {label}",
                    metrics=names,
                    label=label,
                )
    return list(probes.values())


def _unlabelled_elsewhere(names: tuple[str, ...], total: str, label: str) -> str:
    """A query answering when series of metric `names` that `total` does not select lack `label`: it is then not on
    every series of the metric (`error="true"` on failures alone, the stable pods' successes without it), and the
    total's series lacking it (a canary that never failed) prove no rename. Any such series, wherever they are: how
    the total's matchers tell the canary from the rest (a pod hash, a track label, both) cannot be told."""
    pattern = escape_promql_string(names_pattern(sorted(set(names))), '"')
    return f'count({{__name__=~"{pattern}", {label_written(label)}=""}} unless {total})'


class RatioSLI(BaseModel):
    """Errors and total as PromQL templates, each with a `{{ window }}` placeholder the check fills in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    errors: str = Field(
        min_length=1, description="bad events over {{ window }}, e.g. sum(rate(x{code=~'5..'}[{{ window }}]))"
    )
    total: str = Field(min_length=1, description="all events over {{ window }}")

    @model_validator(mode="after")
    def _same_form(self) -> RatioSLI:
        # A count over a rate is the error ratio times the window's seconds, and the other way round divided
        # by them: a check that always passes (or always fails), whatever the service does.
        same_event_form("ratio.errors", self.errors, "ratio.total", self.total, "their quotient is no error ratio")
        return self


def same_event_form(errors_field: str, errors: str, total_field: str, total: str, why: str) -> None:
    """ValueError when one of the two queries counts events (increase(), count_over_time()) and the other does
    not: a side whose form cannot be told (avg_over_time() of a recorded rate) is read as per second, so only a
    count beside anything else than a count is refused."""
    errors_form, total_form = event_form(errors), event_form(total)
    if (errors_form == "count") != (total_form == "count"):
        wording = {"count": "counts events (increase(), count_over_time())", "per_second": "is per second (rate())"}
        unknown = "does not count events with increase() or count_over_time() (it is read as per second)"
        raise ValueError(
            f"{errors_field} {wording.get(errors_form or '', unknown)} while {total_field} "
            f"{wording.get(total_form or '', unknown)}: {why}; write both as counts "
            "(increase(), count_over_time()) or both per second (rate())"
        )


class LatencySLI(BaseModel):
    """A classic histogram: events slower than `threshold_s` are bad (good = _bucket{le}, total = _count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str = Field(description="histogram name without _bucket/_count, e.g. http_request_duration_seconds")
    threshold_s: float = Field(gt=0, description="a bucket bound of the histogram, in seconds")
    selectors: str = Field(default="", description='label matchers, e.g. service="x"; {{ param }} in quotes')


class PyrraSLI(BaseModel):
    """Pyrra's recording rules: `<metric>:burnrate<window>{slo="<slo>"}`, whose value is the error ratio, and
    `pyrra_availability{slo="<slo>"}` over the SLO window (with --generic-rules)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slo: str = Field(min_length=1, description="the ServiceLevelObjective's name (Pyrra's `slo` label)")
    metric: str | None = Field(
        default=None,
        description="rule prefix, e.g. http_requests (the total metric without _total/_count); any prefix if unset",
    )
    selectors: str = Field(
        default="",
        description="more label matchers for the burnrate series, e.g. "
        'job="api" (Pyrra copies the total metric\'s equality '
        "matchers onto them)",
    )
    availability_selectors: str = Field(
        default="",
        description="more label matchers for pyrra_availability, which Pyrra labels only with slo "
        "and its propagated (pyrra.dev/) labels, never with the metric's matchers",
    )
    total: str | None = Field(
        default=None,
        min_length=1,
        description="the SLO's total metric as its spec writes it (indicator.ratio.total.metric, e.g. "
        'http_requests_total{job="api"}): per window sum(rate(<total>[window])) counts the traffic, '
        "so a window whose burnrate rule recorded nothing (no error series) reads as zero errors",
    )
    indicator: Literal["ratio", "latency"] | None = Field(
        default=None,
        description="the SLO's indicator as its spec writes it (spec.indicator.ratio or .latency; `analyzer import` "
        "sets latency): a latency SLO's burnrate records whenever its histogram has series, so a window without one "
        "while pyrra.total counts traffic is no data, not zero errors; unset, an SLO whose pyrra.total is a _count "
        "or a bucket and that has no pyrra.errors is told by its increase rule (a latency SLO's success rule has an "
        "le), and ratio is believed unless that rule has one",
    )
    errors: str | None = Field(
        default=None,
        min_length=1,
        description="the SLO's errors metric as its spec writes it (indicator.ratio.errors.metric, e.g. "
        'http_requests_total{job="api",code=~"5.."}; needs total): a window whose burnrate rule '
        "recorded nothing reads as zero errors only if these show none, so a stopped burnrate rule "
        "group is no data, not zero errors",
    )

    @field_validator("slo", "metric")
    @classmethod
    def _as_written(cls, value: str | None) -> str | None:
        return _written_as_is(value)

    @property
    def latency(self) -> bool:
        """Whether this may be a Pyrra latency SLO: `indicator: latency`, or, with no indicator, pyrra.total reads a
        histogram's _count or a bucket (its +Inf one) and pyrra.errors is unset (a latency SLO's errors, the total
        minus a bucket, are no selector), which its increase rule tells."""
        return self.indicator == "latency" if self.indicator is not None else self.histogram_total

    @property
    def histogram_total(self) -> bool:
        """Whether pyrra.total reads a histogram's _count or a bucket and pyrra.errors is unset: a latency SLO's
        total, or a ratio SLO's without error series, which its increase rule's le tells."""
        found = _METRIC_NAME_RE.match(self.total or "")
        return self.errors is None and found is not None and found.group(0).endswith(("_count", "_bucket"))

    @model_validator(mode="after")
    def _errors_with_total(self) -> PyrraSLI:
        if self.indicator == "latency" and self.errors is not None:
            raise ValueError(
                "pyrra.errors: a Pyrra latency SLO's errors are its total minus the success bucket, which no selector "
                "counts; remove pyrra.errors, or set indicator: ratio if the SLO is a ratio SLO"
            )
        if self.errors is not None and self.total is None:
            raise ValueError(
                "pyrra.errors needs pyrra.total: it only tells whether an absent burnrate series "
                "with traffic is zero errors"
            )
        return self


class SlothSLI(BaseModel):
    """Sloth's recording rules: `slo:sli_error:ratio_rate<window>` with `sloth_id` (or service and slo)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # min_length: an empty value would match series that lack the label altogether.
    sloth_id: str | None = Field(default=None, min_length=1, description="Sloth's sloth_id label: <service>-<slo>")
    service: str | None = Field(default=None, min_length=1, description="sloth_service label (with slo)")
    slo: str | None = Field(default=None, min_length=1, description="sloth_slo label (with service)")
    selectors: str = Field(default="", description="more label matchers")
    total_query: str | None = Field(
        default=None,
        min_length=1,
        description="the SLI's total query with a {{ window }} placeholder (Sloth's sli.events.total_query, "
        "{{.window}} written {{ window }}): counts each window's traffic, so a window whose ratio rule "
        "recorded nothing (no error series) reads as zero errors",
    )
    errors_query: str | None = Field(
        default=None,
        min_length=1,
        description="the SLI's error query with a {{ window }} placeholder (Sloth's sli.events.error_query; "
        "needs total_query): a window whose ratio rule recorded nothing reads as zero errors only if "
        "it shows none, so a stopped sli-recordings rule group is no data, not zero errors",
    )

    @field_validator("sloth_id", "service", "slo")
    @classmethod
    def _as_written(cls, value: str | None) -> str | None:
        return _written_as_is(value)

    @model_validator(mode="after")
    def _identified(self) -> SlothSLI:
        if self.errors_query is not None and self.total_query is None:
            raise ValueError(
                "sloth.errors_query needs sloth.total_query: it only tells whether an absent ratio "
                "series with traffic is zero errors"
            )
        if self.errors_query is not None and self.total_query is not None:
            # Sloth records error_query / total_query as the SLI's ratio: a count over a rate is the error ratio
            # times the window's seconds (a rate over a count, divided by them: 5% errors over 5m recorded as
            # 0.00017, a check that passes whatever the service does, and Sloth's alerts never fire).
            same_event_form(
                "sloth.errors_query",
                self.errors_query,
                "sloth.total_query",
                self.total_query,
                "Sloth's recorded ratio (error_query / total_query) is no error ratio, so neither its alerts nor "
                "this check can judge by it",
            )
        if (self.sloth_id is None) == (self.service is None and self.slo is None):
            raise ValueError("set either sloth_id, or service and slo")
        if self.sloth_id is None and (self.service is None or self.slo is None):
            raise ValueError("service and slo go together (or set sloth_id)")
        return self


def _written_as_is(value: str | None) -> str | None:
    """`value` of a field the check writes into its queries as it is (an SLO's name, a rule prefix); ValueError for
    a `{{ param }}` in it, which nothing fills in: the check would read the rules of an SLO of that name, none (an
    error at every evaluation), while the param counted as placed."""
    if value is not None and ("{{" in value or "}}" in value):
        raise ValueError(
            f"{value!r} holds a placeholder, but this field is written into the queries as it is, not filled in "
            "with args: write the SLO's own name (a check per SLO); a param selects in a selectors field "
            "(selectors: 'namespace=\"{{ namespace }}\"')"
        )
    return value


def _selector_template(text: str, params: Mapping[str, Param], field: str, reserved: frozenset[str]) -> PromQLTemplate:
    """Label matchers as a template: quoted values only, no label the check sets itself."""
    if not _SELECTORS_RE.fullmatch(text):
        raise ValueError(f'{field}: {text!r} is not a list of label matchers like service="payments", code=~"5.."')
    for name in _MATCHER_NAME_RE.findall(text):
        if name.startswith("__") or name in reserved or name in BATCH_LABELS:
            raise ValueError(f"{field}: label {name!r} is set by the check itself")
    try:
        return PromQLTemplate("x{" + text + "}", params)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _total_selector_template(text: str, params: Mapping[str, Param], field: str) -> PromQLTemplate:
    """`name` or `name{matchers}`: one selector of a literal metric name, quoted values only."""
    found = _TOTAL_SELECTOR_RE.fullmatch(text.strip())
    if found is None:
        raise ValueError(f'{field}: {text!r} is not a metric selector like http_requests_total{{job="api"}}')
    if BATCH_LABEL_RE.search(text):
        raise ValueError(f"{field}: labels analyzer_window and analyzer_part are set by the check itself")
    try:
        return PromQLTemplate(text.strip(), params)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _matchers(*parts: str) -> str:
    return ", ".join(p.strip().rstrip(",").strip() for p in parts if p.strip().rstrip(",").strip())


def _render_selectors(template: PromQLTemplate, args: Mapping[str, ArgValue]) -> str:
    return template.render(args)[2:-1]


class RatioReader:
    recorded = False

    def same_settings(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """Raw counters record no settings of an SLO tool."""

    def __init__(self, sli: RatioSLI, params: Mapping[str, Param]) -> None:
        self._errors = _window_template(sli.errors, params, "ratio.errors")
        self._total = _window_template(sli.total, params, "ratio.total")
        self._total_counted = event_form(sli.total) == "count"

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        values = {**args, "window": window}
        queries = {"errors": self._errors.render(values), "total": self._total.render(values)}
        return with_blind_query(queries, window)

    def probes(
        self,
        windows: Mapping[str, Mapping[str, str]],
        period: str,
        args: Mapping[str, ArgValue],
        optional: Collection[str],
    ) -> list[Probe]:
        # The period's queries name the same metrics as the windows': the windows' queries are enough.
        return name_probes(
            [(f"ratio.{part}", queries[part]) for queries in windows.values() for part in ("errors", "total")],
            optional,
            {"ratio.errors"},
        )

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        measured = _ratio_from_counts(
            window,
            results[queries["errors"]].single_value("errors query"),
            results[queries["total"]].single_value("total query"),
            counted=self._total_counted,
        )
        return blinded(measured, queries, results, "ratio.total", "ratio.errors and ratio.total leave out")


def with_blind_query(queries: dict[str, str], window: str) -> dict[str, str]:
    """`queries` and, for a window of 5 minutes or less, `blind`: blind_query of each selector that the raw total
    (`queries["total"]`) reads with rate() or the like over the window, which leaves out a target scraped that
    seldom (its errors too, while they burn)."""
    range_s = parse_duration(window)
    if "total" not in queries or range_s > BLIND_WINDOW_S:
        return queries
    selectors = rated_selectors(queries["total"], range_s)
    if not selectors:
        return queries
    # Each answers one label-less count, or nothing: the first that answers tells.
    return {**queries, "blind": " or ".join(blind_query(selector, over_s) for selector, over_s in selectors)}


def blinded(measured: WindowRatio, queries: Mapping[str, str], results: Results, field: str, what: str) -> WindowRatio:
    """`measured`, marked `blind` (see settle_blind) when its ratio stands and the window's blind query (see
    with_blind_query) counts a raw series of `field` that `what` (the queries over the window) leave out."""
    if measured.error_ratio is None or "blind" not in queries:
        return measured
    count = results[queries["blind"]].single_value(f"{field} sample count query")
    if not count:
        return measured
    over = prometheus_duration(parse_duration(measured.window))
    return replace(
        measured,
        blind=f"{format_number(count)} raw series of {field} hold a single sample over the last {over} (scraped every "
        f"{over} or less often): rate() needs two in its range, so {what} their events over {over}, bad ones included, "
        f"and a clean {over} says nothing of them; scrape those targets at least twice per {over}",
    )


def _window_template(text: str, params: Mapping[str, Param], field: str) -> PromQLTemplate:
    if "window" in params:
        raise ValueError("a param may not be named `window`: the check fills {{ window }} itself")
    try:
        template = PromQLTemplate(text, params, extra_bare={"window": ParamType.DURATION})
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
    if "window" not in template.param_names:
        raise ValueError(f"{field}: the query needs a {{{{ window }}}} placeholder, e.g. rate(x[{{{{ window }}}}])")
    reserved = BATCH_LABEL_RE.search(text)
    if reserved:
        # Two series told apart only by this label would collide once the check sets it.
        raise ValueError(
            f"{field}: label {reserved.group(0)!r} is set by the check itself (it labels each "
            "window in the one query the check sends)"
        )
    return template


class LatencyReader:
    recorded = False

    def same_settings(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """Raw counters record no settings of an SLO tool."""

    def __init__(self, sli: LatencySLI, params: Mapping[str, Param]) -> None:
        if not METRIC_RE.fullmatch(sli.metric):
            raise ValueError(f"latency.metric: {sli.metric!r} is not a metric name")
        if sli.metric.endswith(("_bucket", "_count", "_sum")):
            raise ValueError(
                f"latency.metric: give the histogram's name without its suffix, e.g. "
                f"{re.sub(r'_(bucket|count|sum)$', '', sli.metric)}"
            )
        if not math.isfinite(sli.threshold_s):
            raise ValueError("latency.threshold_s must be finite (the +Inf bucket counts every event as good)")
        self._sli = sli
        self._selectors = _selector_template(sli.selectors, params, "latency.selectors", frozenset({"le"}))
        self.le_matcher = f'le=~"{escape_promql_string(le_pattern(sli.threshold_s), chr(34))}"'

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        selectors = _render_selectors(self._selectors, args)
        metric = self._sli.metric
        queries = {
            "good": f"sum(rate({metric}_bucket{{{_matchers(selectors, self.le_matcher)}}}[{window}]))",
            "total": f"sum(rate({metric}_count{{{_matchers(selectors)}}}[{window}]))",
        }
        return with_blind_query(queries, window)

    def probes(
        self,
        windows: Mapping[str, Mapping[str, str]],
        period: str,
        args: Mapping[str, ArgValue],
        optional: Collection[str],
    ) -> list[Probe]:
        return name_probes(
            [("latency", queries[part]) for queries in windows.values() for part in ("good", "total")], optional
        )

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        total = results[queries["total"]].single_value("total query")
        good = results[queries["good"]].single_value("good query")
        if good is None and total is not None and total > 0:
            # Absent good events with traffic would read as 100% errors: it means the bound is not a bucket.
            raise MissingBucket(queries["good"])
        errors = None if good is None or total is None else total - good
        measured = _ratio_from_counts(window, errors, total)
        what = f"{self._sli.metric}_bucket and _count leave out"
        return blinded(measured, queries, results, f"{self._sli.metric}_count", what)

    def buckets_query(self, args: Mapping[str, ArgValue]) -> str:
        """The query listing the histogram's bucket bounds under the selectors."""
        selectors = _matchers(_render_selectors(self._selectors, args))
        return f"count by (le) ({self._sli.metric}_bucket{{{selectors}}})"


class PyrraReader:
    recorded = True

    def __init__(
        self,
        sli: PyrraSLI,
        params: Mapping[str, Param],
        period_s: float,
        objective: float,
        max_recorded_age_s: float = MAX_RECORDED_AGE_S,
    ) -> None:
        if sli.metric is not None and not METRIC_RE.fullmatch(sli.metric):
            raise ValueError(f"pyrra.metric: {sli.metric!r} is not a metric name")
        self._sli = sli
        self._objective = objective
        self._max_recorded_age_s = max_recorded_age_s
        # Only a window Pyrra records can be absent for want of error series.
        self._recorded_windows = frozenset(w for tier in pyrra_tiers(period_s) for w in (tier.long, tier.short))
        self._longest_recorded_s = max(parse_duration(w) for w in self._recorded_windows)
        # The burnrate group's age is read on its windows' rules, the shortest first (one query for all windows: the
        # group records them together, and stops together). A rule has no series while its errors have none
        # (burnrate5m after the erring pods' series went stale, beside a 1h one still served): no one rule would do.
        self._age_windows = sorted(self._recorded_windows, key=parse_duration)
        self._selectors = _selector_template(sli.selectors, params, "pyrra.selectors", frozenset({"slo"}))
        self._availability_selectors = _selector_template(
            sli.availability_selectors, params, "pyrra.availability_selectors", frozenset({"slo"})
        )
        self._total = None if sli.total is None else _total_selector_template(sli.total, params, "pyrra.total")
        self._errors = None if sli.errors is None else _total_selector_template(sli.errors, params, "pyrra.errors")
        if sli.total is not None and sli.errors is not None:
            _burnrate_labels_only(sli.selectors, sli.total, sli.errors)
        if sli.total is not None:
            _selectors_agree(sli.selectors, sli.total)
        self._period_rule = f"increase{prometheus_duration(period_s)}"
        # The histogram's buckets beside a _count total (a bucket total is one itself): a latency SLO's total has them.
        # `indicator: ratio` is asked too: a latency SLO declared one would read its stopped burnrates as zero errors.
        self._buckets = None
        # Whether the increase rule's le is asked which the SLO is: of any total without pyrra.errors, a counter's
        # _total too (a latency SLO's total need not be a histogram's: Pyrra warns, and generates its rules).
        self._asks_le = sli.total is not None and sli.errors is None and sli.indicator != "latency"
        # The same checks read --generic-rules' pyrra_errors:rate5m: without pyrra.errors, the one record of the errors
        # that is not the burnrate group's (a declared latency SLO's absent burnrate is no data already).
        self._generic_errors = self._asks_le
        if sli.total is not None and self._asks_le and sli.histogram_total:
            text = sli.total.strip()
            name = _METRIC_NAME_RE.match(text)
            if name is not None and name.group(0).endswith("_count"):
                text = name.group(0).removesuffix("_count") + "_bucket" + text[name.end() :]
            self._buckets = _total_selector_template(text, params, "pyrra.total")

    def _burnrate_matchers(self, args: Mapping[str, ArgValue]) -> str:
        return _matchers(
            f'slo="{escape_promql_string(self._sli.slo, chr(34))}"', _render_selectors(self._selectors, args)
        )

    def _generic_matchers(self, args: Mapping[str, ArgValue]) -> str:
        """The matchers of Pyrra's --generic-rules series: `slo` and pyrra.availability_selectors."""
        slo = f'slo="{escape_promql_string(self._sli.slo, chr(34))}"'
        return _matchers(slo, _render_selectors(self._availability_selectors, args))

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        if period:
            # Pyrra records no period burn rate; its availability over the SLO window needs --generic-rules,
            # and carries only `slo` and the propagated labels: the burnrate selectors would match nothing.
            matchers = self._generic_matchers(args)
            # pyrra_objective (the SLO's target, a ratio) and pyrra_window (its window, seconds) are recorded beside
            # it, with the same labels.
            return {
                "availability": f"pyrra_availability{{{matchers}}}",
                "availability_age": age_query(f"pyrra_availability{{{matchers}}}"),
                "objective": f"pyrra_objective{{{matchers}}}",
                "window": f"pyrra_window{{{matchers}}}",
            }
        queries = {
            "ratio": self._rule(f"burnrate{rule_window(window)}", args),
            "ratio_age": age_query(*(self._rule(f"burnrate{w}", args) for w in self._age_windows)),
        }
        if self._total is not None:
            queries["total"] = f"sum(rate({self._total.render(args)}[{window}]))"
            # The increase rules the existence probe reads (the same queries: sent once), whose labels tell whether
            # the rules found are this SLO's or a same-name SLO's of another namespace (see _own_slo).
            queries["rules"] = self._rule(self._period_rule, args)
            queries["rules_5m"] = self._rule("increase5m", args)
            # The period's own pyrra_availability query (sent once): the labels of its series are the SLO's propagated
            # ones and those its ruler or querier adds, which the SLO's other rules carry too (see _own_slo).
            queries["generic_labels"] = f"pyrra_availability{{{self._generic_matchers(args)}}}"
        if self._errors is not None:
            queries["errors"] = f"sum(rate({self._errors.render(args)}[{window}]))"
        if self._total is not None and parse_duration(window) <= BLIND_WINDOW_S:
            # rate() needs two samples in its range: a target scraped every 5 minutes is in neither the burnrate nor
            # the raw errors of a 5m window, which read the other targets' errors alone (0 without them) while its
            # errors burn (see blind_note).
            queries["blind"] = blind_query(self._total.render(args), parse_duration(window))
        if self._generic_errors:
            # Errors the rule counted over 5 minutes that lie within the window, or hold it: its burnrate records if
            # its group evaluates (see _generic_absent). Over 5m or less the latest value (a shorter window lies
            # within its 5 minutes); over a longer window the highest of those recorded in its last (window - 5m),
            # whose 5 minutes each lie within it.
            generic = f"{_GENERIC_ERRORS}{{{self._generic_matchers(args)}}}"
            queries["generic_errors"] = _generic_over(generic, parse_duration(window))
            # Whether the generic group records now, and whether it did within the longest window Pyrra records: a
            # group that recorded then but not now stopped (its ruler gone), and its earlier records (0 before the
            # errors began) say nothing of the minutes since (see _generic_stopped). Under Pyrra's own tiers these
            # are the shortest and longest windows' queries, which the batch carries once.
            queries["generic_now"] = generic
            queries["generic_recent"] = _generic_over(generic, self._longest_recorded_s)
        if self._asks_le:
            # Pyrra labels a latency SLO's success increase rule with its bucket's `le` (slo/rules.go,
            # increaseRuleLatency); its total's and every ratio SLO's increase rules carry none: the one way to tell a
            # latency SLO from a ratio SLO on a _count (or bucket) without pyrra.errors. But a success selector that
            # matches no series (le="1" where Prometheus 3 writes 1.0, slo/prometheus3.go) records neither that rule
            # nor a burnrate: without an le, only a total with no histogram beside it is surely a ratio SLO's.
            # Above 0: latency; 0: ratio; below 0: either; none: no increase rule tells. performanceOverAccuracy
            # records the rule over the SLO window in its -long group, the 5m one beside the burnrates. The success
            # rule is named after the success metric, which need not be pyrra.metric's histogram (a summary's _count
            # as the total): it is asked by any name.
            def increase(*extra: str, any_metric: bool = False) -> str:
                return " or ".join(
                    self._rule(rule, args, extra, any_metric=any_metric) for rule in (self._period_rule, "increase5m")
                )

            # The buckets over the last 5 minutes, not at one instant: a histogram that just stopped (its pods died)
            # is hidden at once by the scrape's staleness markers, while the total's 5m window still counts its
            # traffic; read as a ratio SLO's total without buckets, its windows were zero errors. Past 5 minutes that
            # window has no total (no data), and longer ones alone are asked for a sample now (see _stopped_now).
            with_le, rules = increase('le!=""', any_metric=True), increase()
            if self._buckets is None:
                # A total that is no histogram's (a counter's _total): only an le tells a latency SLO; without one it
                # reads as a ratio SLO without pyrra.errors does (an absent burnrate with traffic: zero errors).
                queries["latency_rule"] = f"count({with_le}) or vector(0)"
            else:
                queries["latency_rule"] = (
                    f"count({with_le}) or 0 * count({rules}) unless on() count(last_over_time("
                    f"{self._buckets.render(args)}[{_BUCKETS_SEEN}])) or -1 * count({rules})"
                )
        return queries

    def same_settings(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """The SLO's window (pyrra_window) and objective (pyrra_objective), when --generic-rules records them."""
        self._same_window(period, queries, results)
        same_objective("Pyrra", "pyrra_objective", queries["objective"], results, self._objective)

    def _same_window(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """CheckMisconfigured when the SLO's window (pyrra_window, with --generic-rules) is not `period`: Pyrra names
        its burnrate rules after the SLO window (a 28d SLO records burnrate1h, a 7d one burnrate15m), so the check
        would read windows Pyrra does not record, as zero errors when the total counts traffic. SourceRejected when
        pyrra_window is no window (not finite, or not above 0)."""
        recorded_s = results[queries["window"]].single_value("Pyrra pyrra_window query")
        period_s = parse_duration(period)
        if recorded_s is None:
            return
        if not math.isfinite(recorded_s) or recorded_s <= 0:
            # Not read as unrecorded: its series excuses an absent increase rule over the period (see probes), so a
            # window of another length would go unnoticed and its unrecorded windows read as zero errors.
            raise SourceRejected(
                f'Pyrra SLO {{slo="{self._sli.slo}"}} records pyrra_window {format_number(recorded_s)}, which is no '
                f"window (seconds above 0): whether the SLO's window is the check's period {period} cannot be told"
            )
        if math.isclose(recorded_s, period_s, rel_tol=1e-9):
            return
        recorded = _days_text(recorded_s)
        # Seconds, written whole (2419200, not 2.4192e+06) as the rule records them.
        seconds = f"{recorded_s:.0f}" if recorded_s.is_integer() else repr(recorded_s)
        raise CheckMisconfigured(
            f'Pyrra SLO {{slo="{self._sli.slo}"}} has a window of {recorded} (pyrra_window {seconds}), not the '
            f"check's period {period}: {_pyrra_names(recorded_s, period_s, period)}; set period: {recorded}"
        )

    def _rule(
        self, suffix: str, args: Mapping[str, ArgValue], extra: Sequence[str] = (), *, any_metric: bool = False
    ) -> str:
        matchers = _matchers(self._burnrate_matchers(args), *extra)
        if self._sli.metric is None or any_metric:
            return f'{{__name__=~".+:{suffix}", {matchers}}}'
        # Pyrra names its increase rules after the total metric without _total, _count and _bucket too (a latency
        # SLO whose total is x_bucket{le="+Inf"} records x_bucket:burnrate5m and x:increase4w).
        metric = self._sli.metric.removesuffix("_bucket") if suffix.startswith("increase") else self._sli.metric
        return f"{metric}:{suffix}{{{matchers}}}"

    def window_rules(
        self, rules: Sequence[RecordingRule], window: str, args: Mapping[str, ArgValue]
    ) -> tuple[str, list[RecordingRule]]:
        """The rule the window reads (its burnrate), as named in a reason, and those of `rules` that may record its
        series (see rules_matched)."""
        suffix = f":burnrate{rule_window(window)}"
        named = [
            rule
            for rule in rules
            if (
                rule.name == f"{self._sli.metric}{suffix}"
                if self._sli.metric is not None
                else rule.name.endswith(suffix)
            )
        ]
        return self._rule(suffix[1:], args), rules_matched(named, self._burnrate_matchers(args), _PYRRA_IDENTITY)

    def probes(
        self,
        windows: Mapping[str, Mapping[str, str]],
        period: str,
        args: Mapping[str, ArgValue],
        optional: Collection[str],
    ) -> list[Probe]:
        # Pyrra's increase rule over the SLO window records whenever the total metric has series, errors or
        # not: it proves the SLO's rules are loaded under these names and labels.
        ratios = tuple(queries["ratio"] for queries in windows.values())
        # A pure budget gate (`tiers: []`) reads no burnrate window: the increase rule alone proves the rules.
        tried = f"neither {ratios[0]} nor" if ratios else "not even"
        # With performanceOverAccuracy, Pyrra records the increase rule over the SLO window in a rule group of its
        # own (`-long`, often on Thanos Ruler), from 5m increases its `-short` group records beside the burnrates
        # whenever the total metric has series: those prove the names and labels, and pyrra_window (with
        # --generic-rules, compared with the period by same_settings) the window, which the 5m rule cannot.
        window = self.queries(period, args, period=True)["window"]
        increase = self._rule(f"increase{rule_window(period)}", args)
        canary = f" ({_CANARY_HINT})" if _CANARY_LABEL in needed_labels(increase) else ""
        rules = Probe(
            increase,
            ratios,
            f'no recording rule of Pyrra SLO slo="{self._sli.slo}" has a series ({tried} the increase rule over '
            f"{period}): check pyrra.slo, pyrra.metric and pyrra.selectors{canary}, that period {period} is the "
            f"SLO's window (Pyrra names its rules after it), and that Pyrra's rules are loaded ({_PERFORMANCE_HINT})",
            together=(self._rule("increase5m", args), window),
            unseen=f'no series of a recording rule of Pyrra SLO slo="{self._sli.slo}" found ({tried} the increase '
            f"rule over {period})",
        )
        found = [rules, *name_probes(_raw_queries("pyrra.{}", windows), optional, {"pyrra.errors"})]
        totals = tuple(queries["total"] for queries in windows.values() if "total" in queries)
        if totals:
            # The increase rule over the SLO window reads the total metric, over a longer range than any window:
            # while the total has series and the rule has none, the SLO's window is not the check's period (which
            # pyrra_window, when recorded, tells exactly: same_settings compares it first).
            period_s = parse_duration(period)
            found.append(
                Probe(
                    rules.query,
                    (),
                    f'Pyrra SLO {{slo="{self._sli.slo}"}} records no {rules.query} while pyrra.total has series: '
                    f"the SLO's window (spec.window) is not the check's period {period}, or Pyrra's increase rule "
                    f"group is not loaded here ({_PERFORMANCE_HINT}); {_pyrra_names(None, period_s, period)}; set "
                    "period to the SLO's window",
                    beside=totals,
                    unless=(window,),
                    unseen=f"no series of {rules.query} found while pyrra.total has series",
                )
            )
        return found

    def measure(
        self,
        window: str,
        queries: Mapping[str, str],
        results: Results,
        vouched: Mapping[str, str] | None = None,
        *,
        vouched_s: float | None = None,
        pending: str = "",
        lasting: Mapping[str, str] | None = None,
        brief: Mapping[str, str] | None = None,
        brief_s: Mapping[str, float] | None = None,
    ) -> WindowRatio:
        """The window's error ratio; `vouched`: labels, each with its value, that every raw series of pyrra.total
        carries (see vouched_by), which a rule series may carry as this SLO's; `vouched_s`: how many seconds back they
        were asked (None: over the longest window judged), past which they prove no rule series; `pending`: why
        increase rules are proven only once their group evaluates again (see newborn_note), which leaves a window they
        alone would prove no data, and explains no burnrate; `lasting`: those of `vouched` asked over the longest
        window, which explain a rule series of any window whatever `vouched_s` and `pending` say; `brief`: a burnrate's
        labels the raw series carry over a shorter window alone (`brief_s`: each label's, seconds), each of which
        explains the burnrates of windows within its own and leaves a longer window's that carries it no data. A ratio
        of a window blind to a raw series (see blind_note) says so (`blind`): it judges only the tiers it cannot make
        fire (see settle_blind)."""
        measured = self._measure(window, queries, results, vouched, vouched_s, pending, lasting, brief, brief_s)
        if measured.error_ratio is not None and "blind" in queries:
            blind = blind_note(results[queries["blind"]], parse_duration(window))
            if blind:
                return replace(measured, blind=blind)
        return measured

    def _measure(
        self,
        window: str,
        queries: Mapping[str, str],
        results: Results,
        vouched: Mapping[str, str] | None,
        vouched_s: float | None,
        pending: str,
        lasting: Mapping[str, str] | None,
        brief: Mapping[str, str] | None,
        brief_s: Mapping[str, float] | None,
    ) -> WindowRatio:
        """measure's reading, blind or not."""
        if "availability" in queries:
            availability = results[queries["availability"]].single_value("pyrra_availability query")
            if availability is None:
                return WindowRatio(
                    window,
                    None,
                    note=(
                        f"no {queries['availability']} series (Pyrra records it only with --generic-rules, from the "
                        "increase rule over the SLO window, which performanceOverAccuracy records in its -long rule "
                        "group)"
                    ),
                )
            return aged(
                _recorded_ratio(window, 1.0 - availability, f"1 - pyrra_availability {format_number(availability)}"),
                "Pyrra's --generic-rules group",
                "pyrra_availability",
                results[queries["availability_age"]].single_value("pyrra_availability age query"),
                max_age_s=self._max_recorded_age_s,
            )
        # Before the burnrate's value is read: two SLOs' burnrates in its answer are told as such, not as one SLO's
        # series to aggregate.
        unproven = (
            None
            if "total" not in queries
            else self._own_slo(window, queries, results, vouched or {}, vouched_s, pending, lasting, brief, brief_s)
        )
        value = results[queries["ratio"]].single_value(f"Pyrra burnrate{window} query")
        if unproven is not None and value is not None:
            # A burnrate whose labels the raw series carry over a shorter window only (see _own_slo).
            return WindowRatio(window, None, note=unproven)
        total = results[queries["total"]].single_value("pyrra.total query") if "total" in queries else None
        if value is None and rule_window(window) not in self._recorded_windows:
            return WindowRatio(
                window,
                None,
                recorded_absent=True,
                note=f"no data (no Pyrra burnrate{window} series: Pyrra records no such window)",
            )
        if value is None:
            generic = (
                None
                if "generic_errors" not in queries
                else results[queries["generic_errors"]].single_value(f"Pyrra {_GENERIC_ERRORS} query over {window}")
            )
            absent = _absent_ratio(
                window,
                f"no Pyrra burnrate{window} series",
                "pyrra.total",
                "total" in queries,
                total,
                # Over 5 minutes, the generic rule counts the window's own errors.
                RawErrors(f"{_GENERIC_ERRORS} (--generic-rules)", generic)
                if generic is not None and rule_window(window) == "5m"
                else _raw_errors(queries, results, "pyrra.errors"),
            )
            if generic is not None and rule_window(window) != "5m":
                absent = _generic_absent(absent, window, generic)
            if absent.error_ratio is not None and "generic_now" in queries:
                absent = _generic_stopped(absent, window, queries, results, self._longest_recorded_s)
            if (self._sli.latency or "latency_rule" in queries) and absent.error_ratio is not None:
                absent = self._latency_absent(absent, queries, results)
            if unproven is not None and absent.error_ratio is not None:
                # Zero errors read from increase rules not proven this SLO's over the window (see _own_increase_rules);
                # any other reading (errors the generic rule counted) stands.
                return replace(absent, error_ratio=None, events=None, note=unproven)
            return absent
        return aged(
            _with_total(
                _recorded_ratio(window, value, f"Pyrra burnrate{window}"),
                window,
                total,
                "pyrra.total" if "total" in queries else None,
            ),
            "Pyrra's burnrate rule group",
            "Pyrra burnrate*",
            results[queries["ratio_age"]].single_value("Pyrra burnrate* age query"),
            max_age_s=self._max_recorded_age_s,
        )

    def _own_slo(
        self,
        window: str,
        queries: Mapping[str, str],
        results: Results,
        vouched: Mapping[str, str],
        vouched_s: float | None = None,
        pending: str = "",
        lasting: Mapping[str, str] | None = None,
        brief: Mapping[str, str] | None = None,
        brief_s: Mapping[str, float] | None = None,
    ) -> str | None:
        """CheckMisconfigured when a burnrate series read, or every increase rule series found, belongs to another
        SLO of the same name: Pyrra writes each equality matcher of the total (its name aside) onto every rule it
        generates, over the propagated labels (slo/rules.go, ruleLabels; a grouped label keeps the matcher's value
        from the series), so a series that lacks one of pyrra.total's labels, or carries another value, is a
        same-name SLO's (another namespace's: Pyrra's rules carry no namespace of the SLO); and a series with a label
        that none of the check's fields name may be one whose total adds a matcher to pyrra.total's (see
        _unexplained). Read as this SLO's, another's burn failed a clean canary, and another's burn or rules stood
        for this SLO's rules not loaded here, so that a burning service passed at 0x. A note (no data) when the
        increase rules found are vouched for but not over this window, or only once they evaluate again (see
        _own_increase_rules), or when a burnrate's labels are vouched for over a shorter window only (`brief`, each over
        its own `brief_s`); None when the series read are this SLO's."""
        wanted = _equalities(queries["total"])
        explained = self._explained(queries, results)
        # None: which labels the series may carry is not known (no label is held against it).
        told: frozenset[str] | None = explained
        # A pending vouch proves no label yet (the raw series carry values the rules lack), and one over the last
        # vouched_s proves none over a longer window, where pyrra.total selected series that have ended since (a
        # same-name SLO whose total adds handler="/x": its burnrate6h leaves out the errors of /y, ended an hour ago):
        # a series is not this SLO's on their word, only on the labels asked over the longest window.
        proven = (
            vouched if not pending and (vouched_s is None or parse_duration(window) <= vouched_s) else lasting or {}
        )
        # Each burnrate read is judged; else a series of the SLO's among the increase rules found proves its rules.
        found = results[queries["ratio"]].series
        what = f"burnrate{window}"
        if found and brief and brief_s:
            # A burnrate's labels every raw series carries over the last brief_s only, each over its own: each proves
            # the burnrates within its range; over a longer window pyrra.total selected series without it (a cluster
            # gone), which a same-name SLO's burnrate carrying it leaves out, so that window is no data, not another
            # SLO's.
            within_s = parse_duration(window)
            widened = {**proven, **brief}
            proven = {**proven, **{k: v for k, v in brief.items() if within_s <= brief_s[k]}}
            if any(_unexplained(s.labels, explained, proven) for s in found) and all(
                _contradiction(s.labels, wanted) is None and _unexplained(s.labels, explained, widened) is None
                for s in found
            ):
                # The labels of this window's series that hold over a shorter window alone, each with its range.
                short = sorted(
                    (k, v) for k, v in brief.items() if proven.get(k) != v and any(s.labels.get(k) == v for s in found)
                )
                carried = ", ".join(f'{k}="{escape_promql_string(v, chr(34))}"' for k, v in short)
                over = " and ".join(
                    f'{k}="{escape_promql_string(v, chr(34))}" over the last {prometheus_duration(brief_s[k])}'
                    for k, v in short
                )
                it, shortest = "it" if len(short) == 1 else "them", min(brief_s[k] for k, _ in short)
                return (
                    f"no data (the burnrate{window} series carry {carried}, which no field of the check names: every "
                    f"raw series of pyrra.total carries {over} only, not over {window}, where it selected series "
                    f"without {it} that hold no sample over the last {prometheus_duration(shortest)} (ended since, or "
                    f"scraped less often): a same-name SLO whose total adds {it} leaves them out; if every series of "
                    f"this SLO carries {it} now, add {carried} to pyrra.selectors)"
                )
        if not found:
            found = [*results[queries["rules"]].series, *results[queries["rules_5m"]].series]
            what = "increase rule"
            # Pyrra groups a ratio SLO's increase rules by pyrra.errors' labels that the total lacks and by the total's
            # regex matchers' labels (slo/rules.go, increaseRulesRatio): known only with pyrra.errors, without which no
            # label is held against them (a latency SLO's, whose success rule may be grouped by more than its le, need
            # not be: its absent burnrate is no data whatever its increase rules show).
            increase_known = self._increase_labels()
            if increase_known is None and self._sli.indicator != "latency":
                # Only 5m increase rules (performanceOverAccuracy, its rule over the SLO window elsewhere): they group
                # the series of the last 5 minutes alone, and the raw series are asked over as long.
                recent_only = not results[queries["rules"]].series
                rules = queries["rules_5m" if recent_only else "rules"]
                return self._own_increase_rules(
                    window, found, wanted, explained, vouched, queries["total"], rules, recent_only, vouched_s, pending
                )
            told = None if increase_known is None else explained | increase_known
            if any(
                _contradiction(s.labels, wanted) is None and not _unexplained(s.labels, told, proven) for s in found
            ):
                return None
        window_s = parse_duration(window) if what != "increase rule" else None
        for series in found:
            self._refuse_other(series, what, wanted, told, proven, queries["total"], window_s)
        return None

    def _own_increase_rules(
        self,
        window: str,
        found: Sequence[Series],
        wanted: Sequence[tuple[str, str]],
        explained: frozenset[str],
        vouched: Mapping[str, str],
        total_query: str,
        rules_query: str,
        recent_only: bool,
        vouched_s: float | None,
        pending: str,
    ) -> str | None:
        """Without pyrra.errors, CheckMisconfigured unless the increase rule series `found` (no burnrate recorded) show
        the rules of an SLO whose total selects what pyrra.total does: their labels that no field names (Pyrra groups
        the rules by its errors' labels that its total lacks, unknown here, and by its total's regex matchers' labels),
        with those regex matchers' labels, take on every raw series of pyrra.total values some rule series carries
        (`vouched` tells, see vouched_by). Else the rules may be those of a same-name SLO whose total adds or drops a
        matcher and whose errors have no series: its absent burnrate, read as this SLO's zero errors, passed a burning
        service at 0x. No rule tells a total matcher Pyrra writes nowhere (`!=`, `=""`): then nothing proves them.
        Raw series vouched over `vouched_s` alone prove no longer window (performanceOverAccuracy's 5m increase rules
        group the last 5 minutes' series alone), where the same-name SLO's total may select fewer series (the others
        ended since), nor does a `pending` vouch (values born since the rules' last evaluation): a note (no data) then;
        None when proven. `rules_query`: the rule series' query, whose latest sample tells when they last evaluated."""
        ours = [series for series in found if _contradiction(series.labels, wanted) is None]
        if not ours:
            for series in found:
                self._refuse_other(series, "increase rule", wanted, None, vouched, total_query)
            return None
        slo = f'Pyrra SLO {{slo="{self._sli.slo}"}}: no burnrate{window} series, and'
        errors = (
            "set pyrra.errors (the SLO's indicator.ratio.errors.metric, which `analyzer import` writes): the check "
            "then judges a window without a burnrate series by the raw errors"
        )
        total = total_query.removeprefix("sum(rate(").rpartition("[")[0]
        matchers = vector_selectors(total)[0].matchers
        traceless = [(label, op, value) for label, op, value in matchers if op == "!=" or (op == "=" and not value)]
        if traceless:
            written = ", ".join(
                f'{label}{op}"{escape_promql_string(value, chr(34))}"' for label, op, value in traceless
            )
            raise CheckMisconfigured(
                f"{slo} no increase rule can show this SLO's: pyrra.total's {written} leaves no label on Pyrra's rules "
                "(it writes a total's equality matchers onto them and groups them by its regex matchers' labels), so "
                "those of a same-name SLO whose total lacks it look the same, and its absent burnrate says nothing of "
                f"this SLO's errors; {errors}"
            )
        regex_labels = {label for label, op, _ in matchers if op in ("=~", "!~")}
        # An increase rule with an le makes the window no data whatever SLO it is (see _latency_absent): not asked.
        unnamed = {label for s in ours for label, v in s.labels.items() if v and label not in explained} - {"le"}
        names = sorted(unnamed | regex_labels)
        if not names:
            return None
        groups = list(dict.fromkeys(tuple(s.labels.get(name, "") for name in names) for s in ours))
        # One value per label where every series agrees, else "": the same mapping whenever these series are found,
        # and one with "" is never a burnrate's (whose unexplained labels have values).
        labels = {
            name: values.pop() if len(values := {g[i] for g in groups}) == 1 else "" for i, name in enumerate(names)
        }
        if vouched == labels:
            if pending:
                return f"no data (no burnrate{window} series, and {pending})"
            if vouched_s is not None and parse_duration(window) > vouched_s:
                over = prometheus_duration(vouched_s)
                return (
                    f"no data (no burnrate{window} series, and the increase rule series found carry "
                    f"{_carried(names, groups)}, which no field of the check names: every raw series of pyrra.total "
                    f"they can group (two samples in {over}) carries values some of them carry over the last {over} "
                    f"only, not over {window}, where it selected series they do not group now (ended since, or "
                    f"scraped too seldom to hold two samples in {over}): a same-name SLO whose total adds a matcher "
                    f"records such rules, and its absent burnrate says nothing of this SLO's errors over {window}; "
                    f"{errors})"
                )
            return None
        carried = _carried(names, groups)
        raise UnexplainedLabels(
            f"{slo} the increase rule series found ({'; '.join(s.describe() for s in ours[:3])}) may be another "
            f"SLO's: they carry {carried}, which no field of the check names (Pyrra groups an SLO's increase rules by "
            "its errors' labels that its total lacks, unknown without pyrra.errors, and by its total's regex matchers' "
            "labels), and the raw series of pyrra.total do not all carry values some of them carry: a same-name SLO "
            "whose total adds or drops a matcher records them, and its absent burnrate says nothing of this SLO's "
            f"errors; {errors}",
            labels,
            total,
            [dict(zip(names, group, strict=True)) for group in groups],
            _INCREASE_5M_S if recent_only else None,
            rules_query,
        )

    def _explained(self, queries: Mapping[str, str], results: Results) -> frozenset[str]:
        """The labels a series of this SLO's rules may carry as far as the check knows: `slo`, pyrra.total's equality
        matchers', those pyrra.selectors and pyrra.availability_selectors require (a matcher that matches the empty
        value, as handler!="/y", selects a series without the label too, so it tells nothing of the SLO's), and those
        of the SLO's pyrra_availability series (--generic-rules), which Pyrra labels with `slo` and the propagated
        labels only, so that it carries besides only what the ruler or the querier adds to every series (Thanos'
        external labels)."""
        named = {*needed_labels(queries["ratio"]), *needed_labels(queries["generic_labels"])}
        named |= {label for label, _ in _equalities(queries["total"])}
        named |= {label for series in results[queries["generic_labels"]].series for label in series.labels}
        return frozenset(named | {"__name__"})

    def _increase_labels(self) -> frozenset[str] | None:
        """The labels Pyrra's increase rules of the SLO carry beyond its burnrates' (see _own_slo); None: unknown."""
        if self._sli.total is None or self._sli.errors is None:
            return None
        spelt = (self._sli.total, self._sli.errors)
        return frozenset(label for text in spelt for label, _, _ in vector_selectors(text)[0].matchers)

    def _refuse_other(
        self,
        series: Series,
        what: str,
        wanted: Sequence[tuple[str, str]],
        explained: Collection[str] | None,
        vouched: Mapping[str, str],
        total_query: str,
        window_s: float | None = None,
    ) -> None:
        """CheckMisconfigured naming how `series` shows another SLO's (see _own_slo); nothing when it does not.
        `window_s`: the window of the burnrate `series` is (None: an increase rule's)."""
        contradicted = _contradiction(series.labels, wanted)
        if contradicted is not None:
            label, value = contradicted
            matcher = f'{label}="{escape_promql_string(value, chr(34))}"'
            if label == _CANARY_LABEL:
                raise CheckMisconfigured(
                    f'Pyrra SLO {{slo="{self._sli.slo}"}}: pyrra.total selects {matcher}, which the SLO\'s rules do '
                    f"not carry (the {what} series {series.describe()}): {_CANARY_HINT}"
                )
            if label in series.labels:
                raise CheckMisconfigured(
                    f'Pyrra SLO {{slo="{self._sli.slo}"}}: the {what} series {series.describe()} is another SLO\'s: '
                    f'its {label}="{escape_promql_string(series.labels[label], chr(34))}" is not pyrra.total\'s '
                    f"{matcher} (Pyrra copies the total's equality matchers onto its rules; a same-name SLO in another "
                    f"namespace?): add {matcher} to pyrra.selectors"
                )
            # Pyrra's own series lack the label only if pyrra.total has a matcher the SLO's total does not.
            raise CheckMisconfigured(
                f'Pyrra SLO {{slo="{self._sli.slo}"}}: the {what} series {series.describe()} is another SLO\'s: it has '
                f"no label {label}, which Pyrra writes onto every rule of an SLO whose total selects {matcher} (a "
                f"same-name SLO in another namespace, or this SLO's rules not loaded here?): add {matcher} to "
                "pyrra.selectors; if pyrra.total selects more than the SLO's spec does, write it as the spec writes it "
                f"({_spec_total_field(self._sli)})"
            )
        if _unexplained(series.labels, explained, vouched) is None:
            return
        unexplained = {
            name: series.labels[name]
            for name in sorted(series.labels)
            if _unexplained({name: series.labels[name]}, explained, vouched)
        }
        # Every label named, not the first alone: a user who writes what one names meets the next at the next run.
        matchers = ", ".join(f'{name}="{escape_promql_string(text, chr(34))}"' for name, text in unexplained.items())
        one = len(unexplained) == 1
        them, lack = ("it", "") if one else ("them", " (one this SLO's series lack)")
        raise UnexplainedLabels(
            f'Pyrra SLO {{slo="{self._sli.slo}"}}: the {what} series {series.describe()} may be another SLO\'s: it has '
            f"{matchers}, {'a label' if one else 'labels'} that neither pyrra.total's equality matchers nor "
            "pyrra.selectors nor pyrra.availability_selectors name, while Pyrra writes onto an SLO's rules only "
            "those matchers, its grouping labels and its propagated (pyrra.dev/) labels: a same-name SLO in another "
            f"namespace whose total selects {matchers} besides pyrra.total's matchers writes {them}, and its series "
            "cannot be told from this SLO's otherwise: if the series is another SLO's, add "
            + " or ".join(f'{name}=""' for name in unexplained)
            + f" to pyrra.selectors{lack}; if every series of this SLO "
            f"carries {them} (a grouping or propagated label, or one its ruler or querier adds, as Thanos' external "
            f"labels), add {matchers} to pyrra.selectors",
            unexplained,
            # sum(rate(<total>[<window>])): the window holds no bracket.
            total_query.removeprefix("sum(rate(").rpartition("[")[0],
            window_s=window_s,
        )

    def _latency_absent(self, absent: WindowRatio, queries: Mapping[str, str], results: Results) -> WindowRatio:
        """A window without a burnrate series while pyrra.total (a _count or bucket) counts traffic, for an SLO without
        pyrra.errors: zero errors for a ratio SLO, whose rule divides an absent error vector, but no data for a
        latency SLO, whose rule, (count - bucket) / count, records whenever the histogram has series (its group
        stopped or never loaded), and no data when no increase rule tells which the SLO is (`indicator` unset),
        nor when none has an le while the total has buckets (a latency SLO whose success matches no series);
        `indicator: ratio` is believed unless the increase rule has an le."""
        stopped = (
            "a Pyrra latency SLO, which records its burnrate whenever the histogram has series, so its rule group "
            "stopped evaluating, fails or is not loaded"
        )
        if "latency_rule" not in queries:
            why = f"indicator: latency, {stopped}"
        elif (told := results[queries["latency_rule"]].single_value("Pyrra increase rule query")) == 0 or (
            self._sli.indicator == "ratio" and (told is None or told < 0)
        ):
            return absent
        elif told is not None and told > 0 and (le := dict(_equalities(queries["total"])).get("le")) is not None:
            # Pyrra writes a bucket total's le onto every rule of its SLO, a ratio SLO's too, and the success increase
            # rule's, whose own le it overwrites: the le found may be the total's, which tells neither.
            why = (
                f"{'indicator: ratio, but ' if self._sli.indicator == 'ratio' else ''}an increase rule of the SLO has "
                f'an le, which may be pyrra.total\'s le="{escape_promql_string(le, chr(34))}": Pyrra writes a bucket '
                "total's le onto every rule of its SLO, a ratio SLO's too, so a ratio SLO (zero errors) cannot be told "
                f"from {stopped}, or whose success bucket matches no series; set pyrra.errors (the SLO's "
                "indicator.ratio.errors.metric) if it is a ratio SLO"
            )
        elif self._sli.indicator == "ratio":
            why = f"indicator: ratio, but its success increase rule has an le: {stopped}; set indicator: latency"
        elif told is None:
            why = (
                "no increase rule of the SLO has a series to tell a ratio SLO (zero errors) from a latency SLO, "
                f"{stopped.removeprefix('a Pyrra latency SLO, ')}"
            )
        elif told < 0:
            why = (
                "no increase rule of the SLO has an le while pyrra.total's histogram has buckets: a ratio SLO "
                "(zero errors) cannot be told from a latency SLO whose success bucket matches no series, which "
                'records no burnrate (an le the histogram lacks, as le="1" where Prometheus 3 writes 1.0 and Pyrra '
                "runs with --enable-prometheus-3-migration=false); set indicator: ratio, or pyrra.errors, if it is a "
                "ratio SLO"
            )
        else:
            why = f"its success increase rule has an le: {stopped}"
        return replace(
            absent,
            error_ratio=None,
            events=None,
            note=f"no data (no {queries['ratio']} series although pyrra.total counts traffic: {why}; no evidence "
            "of zero errors)",
        )


# The window of Pyrra's increase5m rule (performanceOverAccuracy), which groups the series of that window alone.
_INCREASE_5M_S = 300.0
# The longest window asked whether a raw series of pyrra.total holds a single sample in it (with pyrra.errors): 5
# minutes, the look-back past which an instant query no longer sees a target between its scrapes; over a longer window
# the query costs more (every raw sample read), and a target scraped that seldom is rare.
BLIND_WINDOW_S = 300.0

# Pyrra's --generic-rules record of the SLO's errors per second over 5 minutes (`sum(rate(<errors>[5m])) or vector(0)`
# for a ratio SLO) every 30 s, from the raw series and in the group that records pyrra_window: it stays when the
# burnrate group stopped, or runs elsewhere.
_GENERIC_ERRORS = "pyrra_errors:rate5m"
_GENERIC_ERRORS_S = 300.0


def _carried(names: Sequence[str], groups: Sequence[tuple[str, ...]]) -> str:
    """The values of labels `names` that rule series carry (`groups`: one tuple of values per series)."""
    return ", ".join(
        f"{name}="
        + "/".join(f'"{escape_promql_string(v, chr(34))}"' if v else "(none)" for v in sorted({g[i] for g in groups}))
        for i, name in enumerate(names)
    )


def _burnrate_labels_only(selectors: str, total: str, errors: str) -> None:
    """ValueError when pyrra.selectors needs a label of pyrra.errors that pyrra.total lacks: Pyrra groups its increase
    rules by such labels (slo/rules.go, groupingLabels), not its burnrates, which then match nothing while the increase
    rule proves the rules, so every window reads as a stopped burnrate group (or, without errors, zero errors)."""
    own = {label for label, _, _ in vector_selectors(total)[0].matchers}
    errors_only = {label for label, _, _ in vector_selectors(errors)[0].matchers} - own - {"le"}
    for label in needed_labels("{" + selectors + "}"):
        if label in errors_only:
            raise ValueError(
                f"pyrra.selectors: label {label} is on Pyrra's increase rules only, not on its burnrate series: Pyrra "
                f"groups the increase rules by the labels of pyrra.errors that pyrra.total lacks ({label}), so the "
                "burnrate windows would match nothing while the increase rule proved the rules; the burnrate is the "
                f"SLO's error ratio over every {label}: remove {label} from pyrra.selectors"
            )


def _spec_total_field(sli: PyrraSLI) -> str:
    """The field of the SLO's spec that pyrra.total copies: a latency SLO's spec has no indicator.ratio."""
    if sli.indicator == "latency":
        return "indicator.latency.total.metric"
    if sli.indicator == "ratio" or sli.errors is not None:
        return "indicator.ratio.total.metric"
    return "indicator.ratio.total.metric, or indicator.latency.total.metric for a latency SLO"


def _selectors_agree(selectors: str, total: str) -> None:
    """ValueError when pyrra.selectors gives a label of pyrra.total's equality matchers another value: Pyrra writes the
    total's onto every rule of the SLO, so the selectors match none of its series (another SLO's, or none)."""
    own = {label: value for label, op, value in vector_selectors(total)[0].matchers if op == "="}
    for label, op, value in vector_selectors("{" + selectors + "}")[0].matchers:
        # A param's value is known only at the rollout: the evaluation compares what it renders (see _own_slo).
        if op != "=" or label not in own or value == own[label] or "{{" in value + own[label]:
            continue
        wanted = f'{label}="{escape_promql_string(own[label], chr(34))}"'
        raise ValueError(
            f'pyrra.selectors: {label}="{escape_promql_string(value, chr(34))}" is not pyrra.total\'s {wanted}: Pyrra '
            "writes the total's equality matchers onto every rule of the SLO, so these selectors match none of its "
            f"series (another SLO's, or none); write {wanted}"
        )


@functools.lru_cache(maxsize=256)
def _equalities(total_query: str) -> tuple[tuple[str, str], ...]:
    """The equality matchers (label, value) of the selector a window's pyrra.total query reads, kept per query: every
    window of every evaluation asks."""
    return tuple((label, value) for label, op, value in vector_selectors(total_query)[0].matchers if op == "=")


def _contradiction(labels: Mapping[str, str], wanted: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (label, value) of `wanted` that `labels` carry with another value, or lack (a label of the empty
    value is no label: Prometheus drops it from a rule's labels as from a series'). But `le` may be lacking: Pyrra
    writes a bucket total's `le="+Inf"` onto every rule, but a pyrra.total written as the +Inf bucket where the SLO's
    spec writes the _count (the same events) reads the _count SLO's rules, whose total increase rule has no le."""
    for label, value in wanted:
        if labels.get(label, value if label == "le" else "") != value:
            return label, value
    return None


def _unexplained(
    labels: Mapping[str, str], explained: Collection[str] | None, vouched: Mapping[str, str]
) -> tuple[str, str] | None:
    """The first (label, value) of `labels`, by name, that `explained` does not name and `vouched` does not give that
    value; None when all are (or when `explained` is None: not known). A series of another same-name SLO whose total
    adds a matcher to ours carries every label ours does, and that matcher's besides: the one label that tells them
    apart, unless every series our total selects carries it with that value (then both totals select the same)."""
    if explained is None:
        return None
    for label in sorted(labels):
        if label not in explained and labels[label] and vouched.get(label) != labels[label]:
            return label, labels[label]
    return None


def vouch_query(unexplained: UnexplainedLabels, range_s: float) -> str:
    """The query whose answer tells whether every raw series of pyrra.total over the last `range_s` carries the
    unexplained labels with their values (see vouched_by). Over the increase rules' own range (their 5 minutes), only
    the series they can group, as seen_query: increase() needs two samples in its range, so a target scraped every 5
    minutes or less often is in no 5m rule of this SLO's or another's, and it would wait for the next evaluation
    forever as a value born since (see newborn_note)."""
    by = ", ".join(sorted(unexplained.labels))
    over = f"{unexplained.total}[{prometheus_duration(range_s)}]"
    if range_s == unexplained.range_s:
        return f"count by ({by}) (count_over_time({over}) > 1)"
    return f"count by ({by}) (last_over_time({over}))"


# The labels that name an SLO on every rule its tool generates: a rule without them is no rule of the SLO.
_SLOTH_IDENTITY = frozenset({"sloth_id", "sloth_service", "sloth_slo"})
_PYRRA_IDENTITY = frozenset({"slo"})


def rules_matched(rules: Sequence[RecordingRule], matchers: str, identity: frozenset[str]) -> list[RecordingRule]:
    """Those of `rules` whose series `matchers` (the text between a selector's braces) may select: each static label
    a matcher names holds for it; a label a rule does not set may come from its expression's series (`sum by`), so it
    excludes no rule, except those of `identity`, which the SLO's tool sets on every rule of the SLO. Over-inclusive
    on purpose: each rule kept adds raw series to the blind query, which can only find more of them."""
    parsed = selector_matchers(f"{{{matchers}}}")
    if parsed is None:
        return []
    return [
        rule
        for rule in rules
        if all(
            _matcher_holds(op, value, rule.labels[label]) if label in rule.labels else label not in identity
            for label, op, value in parsed
        )
    ]


def _matcher_holds(op: str, value: str, label_value: str) -> bool:
    """Whether the matcher `op` `value` selects a series whose label has `label_value`; True for a regex Python
    cannot read (RE2's own syntax), which then excludes no rule."""
    if op in ("=", "!="):
        return (label_value == value) is (op == "=")
    try:
        matched = re.fullmatch(value, label_value) is not None
    except re.error:
        return True
    return matched is (op == "=~")


def rules_blind_query(found: Sequence[RecordingRule], rule: str, range_s: float) -> tuple[str | None, str]:
    """blind_query of every selector the expressions of `found` (the rules recording `rule`, see window_rules) rate
    over `range_s` (or 0 when none holds a single sample but some has a sample there: no series when none has, which
    shows nothing), and what was read (their expressions); None and why not when they cannot tell: no rule found,
    or one whose expression rates no selector over `range_s` that promql-parser can read (a rule over other rules,
    a subquery)."""
    if not found:
        return None, f"the rules API lists no recording rule {rule}"
    selectors: dict[tuple[str, float], None] = {}
    for each in found:
        rated = rated_selectors(each.query, range_s)
        if not rated:
            return None, (
                f"the expression of recording rule {each.name} ({clip_text(each.query)}) rates no raw series over "
                f"{prometheus_duration(range_s)} that the check can read"
            )
        selectors |= dict.fromkeys(rated)
    expressions = "; ".join(f"{each.name}: {clip_text(each.query)}" for each in found)
    # 0 when they have samples there, none a single one; no series when they have none (no evidence either way).
    seen = " or ".join(f"last_over_time({selector}[{prometheus_duration(over_s)}])" for selector, over_s in selectors)
    blind = " or ".join(blind_query(selector, over_s) for selector, over_s in selectors)
    return f"{blind} or 0 * count({seen})", expressions


def blind_rule_note(count: float, window: str, rule: str) -> str:
    """Why `rule` (a tool's recorded ratio over `window`) reads clean whatever its errors, when the blind query of its
    expression's raw series (see rules_blind_query) counts `count` of them holding a single sample there."""
    over = prometheus_duration(parse_duration(window))
    return (
        f"{format_number(count)} raw series that {rule} reads (its expression, as the rules API lists it) hold a "
        f"single sample over the last {over} (scraped every {over} or less often): rate() needs two in its range, so "
        f"the rule leaves out their events over {over}, bad ones included, and a clean {over} says nothing of them; "
        f"scrape those targets at least twice per {over}"
    )


def clip_text(query: str) -> str:
    """A rule's expression on one line, clipped to 300 characters, as a reason quotes it."""
    return clip(" ".join(query.split()), 300)


def blind_query(total: str, range_s: float) -> str:
    """The query of how many raw series of `total` (pyrra.total's selector) hold one sample over the last `range_s`,
    and one or two over the `range_s` before: a target scraped that seldom, not a series just born, nor one that ended
    (a pod a rollout deleted, scraped every 30 s, holds its last sample alone in the last 5m for 30 s, ten before)."""
    over = f"{total}[{prometheus_duration(range_s)}]"
    # A target scraped more often than every range_s/2 holds two samples at least in any range_s, and one scraped
    # every range_s/3 or more often holds three before it ended: only the rest can hold one while scraped.
    return f"count(count_over_time({over}) < 2 and count_over_time({over} offset {prometheus_duration(range_s)}) < 3)"


def blind_note(answer: QueryResult, range_s: float) -> str:
    """Why increase rules over `range_s` prove no window, when `answer` (blind_query's) counts a raw series of
    pyrra.total they cannot group (increase() needs two samples in its range): its errors go uncounted there; ""
    when none."""
    count = answer.single_value("pyrra.total sample count query")
    if not count:
        return ""
    over = prometheus_duration(range_s)
    return (
        f"{format_number(count)} raw series of pyrra.total hold a single sample over the last {over} (scraped every "
        f"{over} or less often): increase() needs two in its range, so the {over} increase rules and burnrate{over} "
        f"count none of their errors, and a clean {over} says nothing of them; scrape those targets at least twice "
        f"per {over}"
    )


def vouched_by(unexplained: UnexplainedLabels, answer: QueryResult) -> dict[str, str]:
    """The unexplained labels, with their values, when `answer` (vouch_query's) shows that every raw series of
    pyrra.total carries each with that value: a same-name SLO whose total adds those matchers then selects the very
    series ours does, and its rules are as good as ours; empty when a series lacks one or has another value, when
    there is none (no traffic: nothing shows which series the SLO's total selects), or when the answer may lack
    series (a partial answer: a Thanos store down holds those without the labels perhaps)."""
    names = sorted(unexplained.labels)
    if (
        answer.series
        and not answer.storage_warnings
        and all({name: series.labels.get(name, "") for name in names} in unexplained.groups for series in answer.series)
    ):
        return unexplained.labels
    return {}


def evaluated_query(unexplained: UnexplainedLabels) -> str:
    """The query of the time (seconds) of the latest sample of the increase rule series whose labels are unexplained:
    their group's last evaluation."""
    return f"max(timestamp({unexplained.rules}))"


def seen_query(unexplained: UnexplainedLabels, range_s: float, evaluated_s: float) -> str:
    """vouch_query as of the increase rules' last evaluation (`evaluated_s`), over the raw series they could group
    then: increase() counts a series with two samples in its range at least."""
    by = ", ".join(sorted(unexplained.labels))
    over = f"{unexplained.total}[{prometheus_duration(range_s)}] @ {evaluated_s:.3f}"
    return f"count by ({by}) (count_over_time({over}) > 1)"


def newborn_note(unexplained: UnexplainedLabels, now: QueryResult, seen: QueryResult, age_s: float) -> str:
    """Why increase rules whose labels the raw series of pyrra.total do not vouch for now (`now`: vouch_query's answer)
    are not yet shown another SLO's: every raw series they could group at their last evaluation, `age_s` before the
    evaluation time, carried values some of them carry (`seen`: seen_query's answer), and the values none carries
    belong to series born since, which the group records at its next evaluation (Pyrra's every 30 s to 2m30s); ""
    when not so (a value the rules could have grouped and did not: another SLO's, or an answer that may be partial)."""
    # A partial `now` lacks series, never adds one: the values it shows were born since all the same.
    if not vouched_by(unexplained, seen):
        return ""
    names = sorted(unexplained.labels)
    born = sorted(
        {
            tuple(series.labels.get(name, "") for name in names)
            for series in now.series
            if {name: series.labels.get(name, "") for name in names} not in unexplained.groups
        }
    )
    if not born:
        return ""
    values = "; ".join(
        ", ".join(
            f'{name}="{escape_promql_string(value, chr(34))}"' if value else f"no {name}"
            for name, value in zip(names, group, strict=True)
        )
        for group in born[:3]
    )
    return (
        f"pyrra.total's raw series carry {values}, which none of the increase rule series found carries, while every "
        f"raw series they could group at their last evaluation ({format_number(round(age_s))} s before the evaluation "
        "time) carried values some of them carry: series born since, which the increase group records when it "
        "evaluates again (Pyrra's every 30 s to 2m30s), and until then nothing shows those rules are this SLO's; wait "
        "for the next rule evaluation, or set pyrra.errors (the SLO's indicator.ratio.errors.metric) to judge by the "
        "raw errors"
    )


def _generic_over(generic: str, window_s: float) -> str:
    """The query of `generic` (pyrra_errors:rate5m's selector) for a window: over 5 minutes or less its latest value
    (the window lies within its 5 minutes), over a longer one the highest recorded in its last (window - 5m), whose
    5 minutes each lie within it."""
    if window_s <= _GENERIC_ERRORS_S:
        return generic
    return f"max_over_time({generic}[{prometheus_duration(window_s - _GENERIC_ERRORS_S)}])"


def _generic_stopped(
    absent: WindowRatio, window: str, queries: Mapping[str, str], results: Results, longest_s: float
) -> WindowRatio:
    """A window read as zero errors (`absent`) while pyrra_errors:rate5m has no sample now but recorded within the
    longest window Pyrra records (`longest_s`): its --generic-rules group stopped too, and its last records, 0 from
    before any error began, tell nothing of the minutes since; no data. A group that never recorded there (no
    --generic-rules, or stopped longer ago) leaves the reading as it was: nothing tells it from a service without
    error series. Nor does anything in the series tell a group switched off on purpose from one whose ruler died
    (both leave samples up to a time, none since; stale markers are no sample a query sees), so the note names
    pyrra.errors, which judges by the raw errors without the group."""

    # Whether it records, not what: its labels may have changed within that window (a pyrra.dev/ label propagated
    # since, an edited description with enableDescriptionAsLabel), which leaves two series of one running group.
    def recorded(part: str) -> bool:
        return any(series.samples for series in results[queries[part]].series)

    if recorded("generic_now") or not recorded("generic_recent"):
        return absent
    within = prometheus_duration(longest_s - _GENERIC_ERRORS_S)
    return replace(
        absent,
        error_ratio=None,
        events=None,
        note=f"no data (no Pyrra burnrate{window} series while pyrra.total counts traffic, and {_GENERIC_ERRORS} "
        f"(--generic-rules) has no sample now though it recorded within {within}: its rule group stopped too (its "
        "ruler gone?), so no record of the errors covers the last minutes; no evidence of zero errors; if "
        "--generic-rules was switched off on purpose, set pyrra.errors (the SLO's indicator.ratio.errors.metric): the "
        "check then reads the raw errors instead)",
    )


def _generic_absent(absent: WindowRatio, window: str, generic: float) -> WindowRatio:
    """A window other than 5 minutes without a burnrate series, read as zero errors (`absent`), while Pyrra's
    pyrra_errors:rate5m (`generic`: over a longer window the highest it recorded over 5 minutes within it, over a
    shorter one its latest, over 5 minutes that hold it) counted errors: the burnrate rule would record had its
    group evaluated here; no data, with those 5 minutes' errors spread over a longer window as its errors (the
    least it counted: evidence of burning)."""
    if absent.error_ratio is None or generic == 0:
        return absent
    window_s = parse_duration(window)
    if window_s < _GENERIC_ERRORS_S:
        # The errors may all lie before the window: they tell that the rule should record, not how much it burns.
        counted, errors = f"{format_number(generic)} errors/s over the last 5 minutes, which hold {window}", None
    else:
        # NaN or negative: no count to spread (raw_burn would drop it); the window is no data all the same.
        errors = generic * _GENERIC_ERRORS_S / window_s if math.isfinite(generic) and generic > 0 else None
        counted = f"up to {format_number(generic)} errors/s over 5 minutes within {window}"
    least = "" if errors is None else f"; at least {format_number(errors)} errors/s over {window}"
    return replace(
        absent,
        error_ratio=None,
        errors=errors,
        events=None,
        note=f"no data (no Pyrra burnrate{window} series although {_GENERIC_ERRORS} (--generic-rules) counted "
        f"{counted}: Pyrra's burnrate rule group stopped evaluating, fails, or is not loaded here (point the source "
        f"at a querier that has it, or set pyrra.errors); no evidence of zero errors{least})",
    )


# Why a Pyrra SLO's increase rule over its window may be absent where its other rules are, and what helps.
_PERFORMANCE_HINT = (
    "an SLO with performanceOverAccuracy records that rule in its -long rule group, which may run elsewhere "
    "(Thanos Ruler): point the source at a querier that has both groups, or run Pyrra with --generic-rules "
    "(pyrra_window then tells the window, and the 5m increase rule of its -short group proves the rules)"
)

# The label Argo Rollouts gives a release's pods. No SLO's recording rule carries it (Pyrra's rules keep their SLO's
# grouping, Sloth's only the SLO's own labels), so writing it into a rule's selectors selects nothing: a reason that
# told to add it would send the user from one error to the next.
_CANARY_LABEL = "rollouts_pod_template_hash"
_CANARY_HINT = (
    "a recording rule keeps only the labels its expression groups by (Pyrra's rules their SLO's grouping, Sloth's "
    "none but the SLO's own), so it cannot tell the canary from the stable pods: judge the canary from the raw "
    "counters (an error_budget check with ratio: errors and total selecting "
    'rollouts_pod_template_hash="{{ canary_hash }}"), and the SLO as it is recorded in a check of its own'
)


def _pyrra_names(recorded_s: float | None, period_s: float, period: str) -> str:
    """How Pyrra names the burnrate rules of an SLO whose window is `recorded_s` (when known) and of one over
    `period`."""
    ours = f"burnrate{pyrra_tiers(period_s)[0].long} for {period}"
    try:
        theirs = (
            "" if recorded_s is None else f"burnrate{pyrra_tiers(recorded_s)[0].long} for {_days_text(recorded_s)}, "
        )
    except ValueError:
        # A window too short for tiers of distinct windows (under a day): what Pyrra records for it is not named.
        theirs = ""
    return (
        f"Pyrra names its burnrate rules after the SLO window ({theirs}{ours}), so the check would read windows "
        "Pyrra does not record"
    )


def _days_text(seconds: float) -> str:
    """A window as a period is written: whole days in days (2419200 -> 28d), else as Prometheus prints it."""
    days, rest = divmod(round(seconds), 86400)
    return f"{days}d" if days > 0 and rest == 0 else prometheus_duration(seconds)


def age_query(*selectors: str) -> str:
    """The age in seconds, at the query's time, of the oldest latest sample among the first of `selectors` (vector
    selectors: `timestamp` of one gives its sample's time, not the query's) with series, and of the next where its
    series' labels differ (`or`: one timestamp() of several names would hold two series of one label set, an error)."""
    return "max(" + " or ".join(f"time() - timestamp({selector})" for selector in selectors) + ")"


def aged(measured: WindowRatio, group: str, rule: str, age_s: float | None, *, max_age_s: float) -> WindowRatio:
    """`measured` (a ratio `group` recorded) with the age of the latest sample of `rule`, one of the group's (`age_s`,
    None when it has no series); no data when that is older than `max_age_s`: the group stopped recording, and its
    last values tell nothing of the minutes since (a canary's errors that began after)."""
    if age_s is None:
        return measured
    # Asked so that an age that is no number (NaN) is no evidence of a live group either.
    if age_s <= max_age_s:
        return replace(measured, recorded_age_s=age_s)
    old = f"{format_number(round(age_s))} s old" if math.isfinite(age_s) else f"{age_s} s old"
    return WindowRatio(
        measured.window,
        None,
        total=measured.total,
        recorded_age_s=age_s,
        note=f"no data ({group} stopped recording: {rule}'s latest sample is {old} at "
        f"the evaluation time, older than the {format_number(max_age_s)} s a group that evaluates leaves it "
        "(its ruler gone?), and Prometheus serves a series' last value for 5 minutes after; no evidence of the "
        "minutes since; a ruler that evaluates the group less often or later needs max_recorded_age_s above its "
        "interval plus its delay)",
    )


def _recorded_ratio(window: str, value: float, source: str) -> WindowRatio:
    """A recording rule's error ratio: NaN is no traffic (the rule divided 0 by 0), the rest must be a ratio."""
    if math.isnan(value):
        return WindowRatio(window, None, note=f"no traffic (NaN over {window})")
    return _bounded_ratio(window, value, source)


def _with_total(
    measured: WindowRatio, window: str, total: float | None, field: str | None, *, counted: bool = False
) -> WindowRatio:
    """A recorded ratio with the events its total (`field`, if configured; `counted` as in _events) counted:
    min_events_per_window needs them."""
    if field is not None and (total is None or not math.isfinite(total) or total < 0):
        found = "nothing" if total is None else format_number(total)
        return replace(
            measured,
            note="; ".join(filter(None, [measured.note, f"{field} returned {found} over {window}: events unknown"])),
        )
    if total is None or not math.isfinite(total) or total < 0:
        return measured
    return replace(measured, total=total, events=_events(total, window, counted))


@dataclass(frozen=True)
class RawErrors:
    """The raw errors of a window whose ratio rule recorded nothing: `field` names the configured query, `rate`
    its answer (None: no series)."""

    field: str
    rate: float | None

    @property
    def counted(self) -> bool:
        """The raw errors show errors (or cannot show there were none: NaN, negative)."""
        return self.rate is not None and self.rate != 0


def _label_less(queries: Mapping[str, str]) -> bool:
    """Whether the errors query can answer no label at all (`sum(...) or vector(0)`), read as Sloth divides it by the
    total query (`(error_query) / (total_query)`): its label-less series is then what it answers whenever it counts."""
    division = division_sides(f"({queries['errors']})\n/\n({queries['total']})")
    return division is not None and division.errors_label_less


def _raw_errors(queries: Mapping[str, str], results: Results, field: str) -> RawErrors | None:
    if "errors" not in queries:
        return None
    return RawErrors(field, results[queries["errors"]].single_value(f"{field} query"))


def _absent_ratio(
    window: str,
    what: str,
    field: str,
    has_total: bool,
    total: float | None,
    raw_errors: RawErrors | None = None,
    *,
    counted: bool = False,
) -> WindowRatio:
    """A window whose recording rule recorded nothing. Pyrra's and Sloth's rules divide the error vector by
    the total, so a service without error series records no ratio: with traffic counted by the total that is
    zero errors (raw counters say the same) unless the raw errors, if configured, count some (the rule group
    stopped evaluating); without traffic or without a total to tell, a gap."""
    if not has_total:
        return WindowRatio(
            window,
            None,
            recorded_absent=True,
            note=f"no data ({what}; without {field} zero errors cannot be told from no traffic)",
        )
    by_total = _ratio_from_counts(window, None, total, counted=counted)
    if by_total.error_ratio is None:
        return replace(by_total, recorded_absent=True, note=f"{what}; {by_total.note}")
    if raw_errors is not None and raw_errors.counted:
        assert raw_errors.rate is not None
        return replace(
            by_total,
            error_ratio=None,
            errors=raw_errors.rate,
            events=None,
            recorded_absent=True,
            note=f"no data ({what} although {raw_errors.field} counted {format_number(raw_errors.rate)} "
            f"errors/s over {window}: the tool's ratio rule did not record (its rule group stopped "
            "evaluating, fails or is not loaded); no evidence of zero errors)",
        )
    checked = "" if raw_errors is None else f" and {raw_errors.field} counts none"
    return replace(
        by_total,
        errors=None if raw_errors is None else raw_errors.rate,
        recorded_absent=True,
        note=f"{what} while {field} counts traffic{checked}: zero errors (the rule records no ratio "
        "without an error series)",
    )


class SlothReader:
    recorded = True

    def __init__(
        self,
        sli: SlothSLI,
        params: Mapping[str, Param],
        period_s: float,
        objective: float,
        max_recorded_age_s: float = MAX_RECORDED_AGE_S,
        *,
        gated: bool = False,
    ) -> None:
        self._sli = sli
        self._objective = objective
        # A budget gate reads slo:sli_error:ratio_rate<period>, Sloth's average of what ratio_rate5m recorded: an
        # error series the division leaves out at 0 now was left out whenever it counted (see errors_matched).
        self._gated = gated
        self._period_name = prometheus_duration(period_s)
        self._max_recorded_age_s = max_recorded_age_s
        # Only a window Sloth records can be absent for want of error series.
        self._recorded_windows = SLOTH_WINDOWS | {prometheus_duration(period_s)}
        self._selectors = _selector_template(
            sli.selectors,
            params,
            "sloth.selectors",
            frozenset({"sloth_id", "sloth_service", "sloth_slo", "sloth_window"}),
        )
        self._total = (
            None if sli.total_query is None else _window_template(sli.total_query, params, "sloth.total_query")
        )
        self._errors = (
            None if sli.errors_query is None else _window_template(sli.errors_query, params, "sloth.errors_query")
        )
        self._total_counted = sli.total_query is not None and event_form(sli.total_query) == "count"
        # A label-less error series at 0 may be a fallback's (`or vector(0)`), which counts no error; without one it is
        # the query's own, label-less whenever it counts.
        self._errors_fallback = sli.errors_query is not None and may_answer_without_its_series(sli.errors_query)

    def _matchers(self, args: Mapping[str, ArgValue]) -> str:
        sli = self._sli
        identity = (
            [f'sloth_id="{escape_promql_string(sli.sloth_id, chr(34))}"']
            if sli.sloth_id is not None
            else [
                f'sloth_service="{escape_promql_string(sli.service or "", chr(34))}"',
                f'sloth_slo="{escape_promql_string(sli.slo or "", chr(34))}"',
            ]
        )
        return _matchers(*identity, _render_selectors(self._selectors, args))

    def queries(self, window: str, args: Mapping[str, ArgValue], *, period: bool) -> dict[str, str]:
        name = rule_window(window)
        queries = {
            "ratio": f"slo:sli_error:ratio_rate{name}{{{self._matchers(args)}}}",
            # The group's age, read on its windows' rules, the shortest first (one query for all windows: the group
            # records them together; a rule has no series while its errors have none, so no one rule would do).
            "ratio_age": age_query(
                *(
                    f"slo:sli_error:ratio_rate{w}{{{self._matchers(args)}}}"
                    for w in sorted(SLOTH_WINDOWS, key=parse_duration)
                )
            ),
        }
        if period:
            # Sloth records the SLO's period and objective beside its rules: more names in the rules' selector
            # (the objective's is the existence probe's query, sent once).
            queries["period_days"] = f"slo:time_period:days{{{self._matchers(args)}}}"
            queries["objective"] = f"slo:objective:ratio{{{self._matchers(args)}}}"
        if self._total is not None and period:
            # The period's rule averages ratio_rate5m over the period: its absence is zero errors only where the 5m
            # ratio recorded nothing in the period either (else the period rule did not record). Summed: a label of
            # the SLO's changed within the period splits its series.
            queries[ASKED_AFTER] = (
                f"sum(count_over_time(slo:sli_error:ratio_rate5m{{{self._matchers(args)}}}[{self._period_name}]))"
            )
        if self._total is not None and not period:
            queries["total"] = self._total.render({**args, "window": window})
        if self._errors is not None and not period:
            queries["errors"] = self._errors.render({**args, "window": window})
        # Sloth's ratio rule reads the SLO's raw series over the window as sloth.total_query does.
        return with_blind_query(queries, window)

    def window_rules(
        self, rules: Sequence[RecordingRule], window: str, args: Mapping[str, ArgValue]
    ) -> tuple[str, list[RecordingRule]]:
        """The rule the window reads, as named in a reason, and those of `rules` that may record its series (see
        rules_matched)."""
        name = f"slo:sli_error:ratio_rate{rule_window(window)}"
        matchers = self._matchers(args)
        return f"{name}{{{matchers}}}", rules_matched(
            [rule for rule in rules if rule.name == name], matchers, _SLOTH_IDENTITY
        )

    def probes(
        self,
        windows: Mapping[str, Mapping[str, str]],
        period: str,
        args: Mapping[str, ArgValue],
        optional: Collection[str],
    ) -> list[Probe]:
        # Sloth records slo:objective:ratio as a constant for every SLO it generates: traffic or not, errors or
        # not, it exists when the SLO's rules are loaded under these labels.
        matchers = self._matchers(args)
        rules = Probe(
            f"slo:objective:ratio{{{matchers}}}",
            tuple(q["ratio"] for q in windows.values()),
            f"no recording rule of Sloth SLO {{{matchers}}} has a series (not even slo:objective:ratio): "
            "check sloth.sloth_id (or service and slo) and sloth.selectors, and that Sloth's rules are "
            "loaded",
            unseen=f"no series of a recording rule of Sloth SLO {{{matchers}}} found (not even slo:objective:ratio)",
        )
        return [rules, *name_probes(_raw_queries("sloth.{}_query", windows), optional, {"sloth.errors_query"})]

    def measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        """The window's error ratio, marked blind (see blinded) when its ratio rule leaves a raw series out."""
        measured = self._measure(window, queries, results)
        return blinded(
            measured, queries, results, "sloth.total_query", f"Sloth's ratio_rate{rule_window(window)} leaves out"
        )

    def _measure(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        """measure's reading, blind or not."""
        value = results[queries["ratio"]].single_value("Sloth ratio query")
        total = results[queries["total"]].single_value("sloth.total_query") if "total" in queries else None
        name = rule_window(window)
        if value is None and "total" not in queries and self._total is not None:
            # The period: its total is not sent (a raw query over the whole period); judge() reconciles it.
            return self._absent_period(window, queries, results)
        if value is None and name not in self._recorded_windows and self._errors is None:
            # With sloth.errors_query the raw errors tell whatever the rules record (an AlertWindows document
            # can have Sloth record any window): an absence is judged below, by the raw counts.
            return WindowRatio(
                window,
                None,
                recorded_absent=True,
                note=f"no data (no Sloth ratio_rate{name} series: Sloth records no such window by default)",
            )
        if value is None:
            if "errors" in queries:
                # A rule that never divides its errors by a total records nothing at all, whatever they count.
                self.errors_matched(window, queries, results)
            return _absent_ratio(
                window,
                f"no Sloth ratio_rate{name} series",
                "sloth.total_query",
                "total" in queries,
                total,
                _raw_errors(queries, results, "sloth.errors_query"),
                counted=self._total_counted,
            )
        if "errors" in queries:
            self.errors_matched(window, queries, results)
        return aged(
            _with_total(
                _recorded_ratio(window, value, f"Sloth ratio_rate{name}"),
                window,
                total,
                "sloth.total_query" if "total" in queries else None,
                counted=self._total_counted,
            ),
            "Sloth's sli-recordings rule group",
            "Sloth ratio_rate*",
            results[queries["ratio_age"]].single_value("Sloth ratio_rate* age query"),
            max_age_s=self._max_recorded_age_s,
        )

    def asks_after(self, queries: Mapping[str, str], results: Results) -> bool:
        """Whether measuring the period (`queries`: its own) needs its ASKED_AFTER part, which the batch leaves out:
        only when the batch's answer (`results`) holds no period ratio, and sloth.total_query is set (see
        _absent_period)."""
        return ASKED_AFTER in queries and results[queries["ratio"]].single_value("Sloth ratio query") is None

    def _absent_period(self, window: str, queries: Mapping[str, str], results: Results) -> WindowRatio:
        """The period without a ratio series: read as zero errors by judge() where no window recorded either, unless
        ratio_rate5m, which the period's rule averages, recorded within the period (the period rule did not)."""
        note = f"no Sloth ratio_rate{rule_window(window)} series"
        recorded = results[queries[ASKED_AFTER]].single_value("Sloth ratio_rate5m count query")
        if not recorded:
            return WindowRatio(window, None, recorded_absent=True, note=note)
        return WindowRatio(
            window,
            None,
            note=f"{note} although slo:sli_error:ratio_rate5m recorded {format_number(recorded)} samples within "
            f"{window}: Sloth's period rule, their average, did not record (it fails, as a range over {window} may "
            "under a ruler's query limits, or is not loaded); no evidence of zero errors",
        )

    def errors_matched(self, window: str, queries: Mapping[str, str], results: Results) -> None:
        """CheckMisconfigured when sloth.errors_query counts errors in a series whose labels no series of
        sloth.total_query carries: Sloth records `(error_query) / (total_query)`, which matches series one-to-one on
        their labels, so those errors match no total and the recorded ratio leaves them out (0 when the error query
        ends in `or vector(0)`, whose label-less 0 matches the total), a burning service read as clean. Under a
        budget gate a labelled such series at 0 too: the rule recorded 0 whenever it counted, and the period's ratio
        averages what it recorded."""
        totals = {_matched_labels(series.labels) for series in results[queries["total"]].series}
        if not totals:
            return
        for series in results[queries["errors"]].series:
            labels = _matched_labels(series.labels)
            counted = bool(series.samples) and series.samples[-1][1] > 0
            # A 0 that matches nothing (`or vector(0)` beside grouped totals) leaves no error out; a labelled one, or
            # a label-less one no fallback answers (`sum(...)` over `sum by (job) (...)`) or of a query that carries
            # no label (`sum(...) or vector(0)` over it), did whenever it counted.
            if labels not in totals and (
                counted or (self._gated and (bool(labels) or not self._errors_fallback or _label_less(queries)))
            ):
                ratio = queries["ratio"]
                burned = (
                    "Sloth's alerts never fire on them either"
                    if counted
                    else "so it recorded 0 whenever those errors counted, and the budget remaining cannot be told "
                    f"from slo:sli_error:ratio_rate{self._period_name}, Sloth's average of what ratio_rate5m recorded"
                )
                value = format_number(series.samples[-1][1]) if series.samples else "nothing"
                raise CheckMisconfigured(
                    f"Sloth SLO {{{ratio[ratio.index('{') + 1 : -1]}}}: sloth.errors_query counts "
                    f"{value} errors/s over {window} in {series.describe()}, whose "
                    "labels no series of sloth.total_query carries: Sloth records (error_query) / (total_query), "
                    "which divides series with the same labels only, so its ratio_rate"
                    f"{rule_window(window)} leaves those errors out ({burned}); "
                    "aggregate the SLO's error_query and total_query by the same labels (sum(...) both, or sum by "
                    "(x) (...) both), and write sloth.errors_query as the SLO's error_query"
                )

    def same_settings(self, period: str, queries: Mapping[str, str], results: Results) -> None:
        """The SLO's period (slo:time_period:days) and objective (slo:objective:ratio)."""
        self._same_period(period, queries["period_days"], results)
        same_objective("Sloth", "slo:objective:ratio", queries["objective"], results, self._objective)

    @staticmethod
    def _same_period(period: str, query: str, results: Results) -> None:
        """CheckMisconfigured when Sloth's slo:time_period:days (if recorded) is not `period`: the check would read
        a period ratio Sloth does not record (ratio_rate4w of a 30d SLO: absent, so zero errors when no window
        recorded either) and scale its default tiers to the wrong period."""
        days = results[query].single_value("Sloth slo:time_period:days query")
        if days is None or not math.isfinite(days) or math.isclose(days * 86400, parse_duration(period), rel_tol=1e-9):
            return
        recorded = prometheus_duration(days * 86400) if days > 0 else format_number(days)
        raise CheckMisconfigured(
            f"Sloth SLO {{{query[query.index('{') + 1 : -1]}}} has a period of {recorded} (slo:time_period:days "
            f"{format_number(days)}), not the check's period {period}: Sloth records ratio_rate{recorded}, not "
            f"ratio_rate{rule_window(period)}, and the default tiers scale with the period; set period: {recorded}"
        )


def _matched_labels(labels: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    """The labels a binary operation matches a series on: all but the metric name."""
    return frozenset((name, value) for name, value in labels.items() if name != "__name__")


def same_objective(tool: str, name: str, query: str, results: Results, objective: float) -> None:
    """CheckMisconfigured when the tool's recorded objective (a ratio; when recorded) is not the check's
    `objective` (percent) beyond float noise: the check would judge burn against another budget than the SLO's
    alerts (99 over a 99.9 SLO: a budget 10x larger, passing while the SLO's own alerts fire)."""
    recorded = results[query].single_value(f"{tool} {name} query")
    if recorded is None or math.isnan(recorded):
        return
    budget = error_budget(objective)
    if math.isclose(1.0 - recorded, budget, rel_tol=OBJECTIVE_REL_TOL, abs_tol=OBJECTIVE_ABS_TOL):
        return
    percent = format_number(round(recorded * 100, 10))
    raise CheckMisconfigured(
        f"{tool} SLO {{{query[query.index('{') + 1 : -1]}}} has an objective of {percent}% ({name} "
        f"{format_number(recorded)}), not the check's objective {format_number(objective)}%: the check would judge "
        f"burn against a budget of {format_number(budget)} of events, the SLO's alerts against "
        f"{format_number(round(1.0 - recorded, 12))}; set objective: {percent}"
    )


def _raw_queries(field: str, windows: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """(field, query) of every raw-counter query the windows read beside a tool's recorded ratio: its total
    and its errors; `field` names the field, with `{}` for the part."""
    return [
        (field.format(part), queries[part])
        for queries in windows.values()
        for part in ("total", "errors")
        if part in queries
    ]
