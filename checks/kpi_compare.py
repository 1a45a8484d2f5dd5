"""Kind `kpi_compare`: a canary (or A/B variant) against a baseline on one KPI, with real statistics."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from analyzer.kinds import (
    ArgError,
    ArgValue,
    Check,
    CheckMisconfigured,
    Duration,
    EvalContext,
    MetricSelector,
    NoDataPolicy,
    NoSeriesFound,
    Outcome,
    ParamType,
    PrometheusSource,
    PromQLTemplate,
    QuantileArgument,
    QueryResult,
    Series,
    Verdict,
    at_most,
    clip,
    contradicting_name_warnings,
    escape_promql_string,
    event_form,
    fallback_constant,
    fallback_reads,
    finite_or_none,
    format_number,
    gauge_of_counter_warnings,
    grafana_variable_warnings,
    json_safe,
    metric_selectors,
    nan_probe,
    needed_labels,
    parse_duration,
    pinned_start,
    presence_over,
    presence_piece,
    promql_blanked,
    range_step_s,
    refuse_contradicting_names,
    regex_equality_warnings,
    regex_name_selectors,
    render_value,
    sample_args,
    selector_reads,
    silence_s,
    stopped_reporting,
    vector_selectors,
)
from checks.kpi_stats import (
    MIN_EFFECTIVE_SAMPLES,
    BeyondConstant,
    ProportionTest,
    hodges_lehmann,
    pooled_ratio_test,
    preload,
    proportion_power,
    shifted_rank_z,
    two_proportion_test,
)
from checks.prometheus import (
    LOOKBACK_S,
    SPARSE_HINT,
    presence_now_query,
    quantile_args_within_zero_to_one,
    quantile_arguments_placed,
    quantiles_within_zero_to_one,
    read_now_over_windows,
)

Method = Literal["ratio", "proportion", "mann_whitney"]
Direction = Literal["higher_is_better", "lower_is_better", "either"]
Mode = Literal["gate", "ab"]

# Samples per variant a mann_whitney range query may return: n1 * n2 differences are sorted in memory.
_MAX_RANGE_POINTS = 1000
# mann_whitney's constant-baseline rule (kpi_stats.beyond_constant) applies only with the baseline's events at least
# this share of the canary's, when both are known: an error ratio's samples sit at 0 more often the less traffic they
# hold, so against a baseline with less traffic it failed canaries erring as rarely (seeded, 1h at 1m over rate[6m],
# both at 0.5%: 6.5% of canaries with 10x the baseline's traffic, 0.2% at 3x, none at 1x). Below 1 for the counts'
# noise: at equal weights they differ half the time, and 180 events a side fall below 0.8 in 2% of draws.
_CONSTANT_BASELINE_MIN_TRAFFIC = 0.8
# mann_whitney judges an error (or success) ratio with both variants' events by the pooled counts too (see
# _count_checked); beyond this traffic ratio either way the per-step ratios' ranks compare the traffic more than the
# ratios, so only the counts may fail the canary or, with the ranks, pass it. Seeded, 1h at 1m over rate[6m] (docs
# kpi-compare.md): the ranks failed 16.8% of canaries with 10x the baseline's traffic at the same ratio, and passed
# 19.4% of canaries with a tenth of it erring 5 times as often.
_RANKS_MAX_TRAFFIC_RATIO = 2.0

# A request success ratio's baseline as the warning on a relative tolerance of one says it (99.9%, three nines).
_TYPICAL_SUCCESS = 0.999
# What a per-second count does to what reads it (see _not_a_count): a proportion's test, mann_whitney's pooled counts.
_PROPORTION_COUNTS = (
    "method proportion counts events: the test reads the events of one second as the lookback's, a fraction of the "
    "evidence, and stays inconclusive where the lookback's counts would pass"
)
_POOLED_COUNTS = (
    "method mann_whitney's pooled counts read it as the lookback's events: they weigh the events of one second, a "
    "fraction of the evidence, so they hold inconclusive the passes the lookback's counts would give, and fail few "
    "canaries erring more; min_canary_events is compared with it too"
)

# What a mann_whitney verdict judged without pooled counts says it took as better, by its direction alone.
_ASSUMED: dict[str, str] = {
    "lower_is_better": "lower is taken as better",
    "higher_is_better": "higher is taken as better",
    "either": "a change either way is taken as worse",
}
# increase() extrapolates, so a success counter can exceed its total by rounding; beyond this it is a bug.
_COUNT_SLACK = 1e-6
_LOOKBACK = "lookback"
# Suffixes of the names Prometheus' client libraries give counters.
_COUNTERS = ("_total", "_count")
# A recording rule's name for a rate, `level:metric:operations` as Prometheus' naming practice writes it
# (`job:http_requests:rate5m`); Sloth's `...:ratio_rate5m` is a ratio, Pyrra's `...:burnrate5m` a burn rate, and so is a
# metric part naming a ratio (`job:http_error_ratio:rate5m`: the ratio's rate5m is the window of its rates).
_RECORDED_RATE_RE = re.compile(r"(?:.*:)?(?![^:]*?(?<![^_:])ratios?(?![^_:]))[^:]*:i?rate[^:]*")
# Elements a hidden-NaN probe answers with (the reason names one).
_HIDDEN_SHOWN = 5
# A selector is quoted in a reason up to this length.
_SELECTOR_CHARS = 200
# A range selector `[5m]` or subquery range `[1h:1m]`, with `{{ lookback }}` already put in.
_RANGE_SELECTOR_RE = re.compile(r"\[\s*((?:\d+(?:ms|[smhdwy]))+)\s*(?::[^\]]*)?\]")
_LOOKBACK_PLACEHOLDER_RE = re.compile(r"\{\{\s*lookback\s*\}\}")
# A counter's selector read at an instant `offset` or `@` time (no range between them: `x_total{...} offset 30m`), in a
# query with strings and comments blanked: its value then, which a difference with its value now counts across a reset
# as a drop.
_COUNTER_AT_OFFSET_RE = re.compile(
    r"\b([A-Za-z_:][A-Za-z0-9_:]*(?:_total|_count|_sum|_bucket))(?![A-Za-z0-9_:])\s*(?:\{[^{}]*\})?\s*(offset\b|@)"
)
# A counter's max_over_time() (`max_over_time(x_total[10m]) - min_over_time(x_total[10m])`), which a difference with its
# min_over_time() reads as the range's count: across a reset the max is the count before it and the min 0.
_COUNTER_SPREAD_RE = re.compile(
    r"\bmax_over_time\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*(?:_total|_count|_sum|_bucket))(?![A-Za-z0-9_:])"
)
# A metric name that says it counts failures (`payment_failures_total`, `http_errors_total`) or successes
# (`checkout_orders_total`), by a word between its underscores or colons; and a matcher that picks 5xx responses.
_FAILURE_WORD = (
    r"(?:errors?|errs?|fail(?:s|ed|ures?)?|faults?|timeouts?|rejected|rejections?|aborted|aborts?|panics?|crash(?:es)?"
    r"|exceptions?|5xx|refunds?|refunded|abandon(?:ed|ments?)?|cancel(?:s|led|ed|lations?)?|declined|declines"
    r"|unsuccessful(?:ly)?)"
)
_FAILURE_WORDS_RE = re.compile(rf"(?:^|[_:]){_FAILURE_WORD}(?=$|[_:])")
# A failure word negated by the word beside it (`error_free_sessions_total`, `non_error_total`, `no_timeout_total`,
# `requests_without_errors_total`): such a name counts successes, so it says neither failures nor successes here. Only
# beside it: `http_not_found_errors_total` counts errors.
_NEGATED_FAILURE_RE = re.compile(
    rf"(?:^|[_:])(?:no|non|not|without|zero)[_:]{_FAILURE_WORD}(?=$|[_:])|(?:^|[_:]){_FAILURE_WORD}[_:]free(?=$|[_:])"
)
# A label matcher that picks by value (`=`, `=~`), its value unquoted: `status="failed"` makes `orders_total` count
# failed orders.
_PICKING_MATCHER_RE = re.compile(r"\b[A-Za-z_]\w*\s*=~?\s*(?:\"((?:\\.|[^\"\\])*)\"|'((?:\\.|[^'\\])*)'|`([^`]*)`)")
# A recording rule's name for a ratio (`job:errors:ratio5m`, Sloth's `slo:sli_error:ratio_rate5m`), read by its words:
# a failure word makes it an error ratio, a success word a success ratio; a budget or a burn rate is neither (Sloth's
# `slo:period_error_budget_remaining:ratio` is no share of events).
_RECORDED_RATIO_RE = re.compile(r"[^:]*:[^:]*:(?:\w+_)?ratio(?:_\w+|\d\w*)?|[^:]*:\w*ratio\w*:\w+")
_NOT_A_SHARE_RE = re.compile(r"(?:^|[_:])(?:budgets?|burn(?:rate)?|burn_rate)(?=$|[_:\d])")
# One vector selector by its metric's name (strings blanked), nothing around it.
_BARE_SELECTOR_RE = re.compile(r"[A-Za-z_:][\w:]*\s*(?:\{[^{}]*\})?")
# A success word negated by the word before it (`not_ok`, `non_success`, `not_available`): it names failures.
_NEGATED_SUCCESS_RE = re.compile(
    r"(?:^|[_:])(?:no|non|not|without|zero)[_:](?:success(?:es|ful)?|succeeded|ok|availability|available)(?=$|[_:])"
)
_RECORDED_SUCCESS_RE = re.compile(r"(?:^|[_:])(?:success(?:es|ful)?|succeeded|ok|availability|available)(?=$|[_:])")
_SUCCESS_WORDS_RE = re.compile(
    r"(?:^|[_:])(success(?:es|ful)?|succeeded|ok|orders?|conversions?|purchases?|signups?|checkouts?|completed)(?=$|[_:])"
)
# The 5 may open any alternative of a regex (`4..|5..`), in a group or a class (`(5..)`, `[45]..`). A 5 alone is a
# class only on a class label (Envoy's `response_code_class="5"`); an exit code's or a gRPC code's 5 is no 5xx.
_5XX_MATCHER_RE = re.compile(
    r"\b(?!(?:\w*_)?(?:exit|grpc)_)(?:[A-Za-z]\w*_)?(?:code|status)"
    r"(?:(?:_code)?\s*=~?\s*[\"'`](?:[^\"'`|]*\|)*[(^]*(?:\[[0-4]*)?5(?![\"'`|)$])"
    r"|_class\s*=~?\s*[\"'`](?:[^\"'`|]*\|)*[(^]*(?:\[[0-4]*)?5)"
)
# Label names that say what an event's outcome was, by a word between underscores (`outcome`, `status_code`,
# `grpc_code`, `error_type`, linkerd's `classification`): a matcher on one picks events by outcome, where one on `job`
# or `service` (a service named `errors`) picks a workload.
_OUTCOME_LABEL_RE = re.compile(
    r"(?:^|_)(?:outcome|result|status|code|state|success|successful|succeeded|ok|errors?|err|fail(?:ed|ure)?|reason"
    r"|type|class|classification|kind)(?=$|_)",
    re.IGNORECASE,
)
# An outcome label that says success or failure itself (`success="false"`, `error="true"`), and its values.
_SUCCESS_FLAG_RE = re.compile(r"(?:^|_)(?:success|successful|succeeded|ok)$", re.IGNORECASE)
_FAILURE_FLAG_RE = re.compile(r"(?:^|_)(?:errors?|err|fail(?:ed|ure)?|timeout)$", re.IGNORECASE)
_TRUE_VALUES = frozenset({"true", "1", "yes"})
_FALSE_VALUES = frozenset({"false", "0", "no"})
# An outcome's value that says success (`outcome="SUCCESS"`, `result="ok"`), read lowercased.
_SUCCESS_VALUE_RE = re.compile(r"(?:^|_)(?:success(?:es|ful)?|succeeded|ok|completed)(?=$|_)")
# A code label's (`code`, `status`, `status_code`, `http_status`) alternative by its first digit, as a regex writes
# it (`5..`, `^5.*`, `(5..)`, `[45]..`): 4 and 5 are failures, 1 to 3 successes.
_CODE_LABEL_RE = re.compile(r"(?:^|_)(?:code|status)(?:_code|_class)?$", re.IGNORECASE)
_CODE_VALUE_RE = re.compile(r"[(^]*(?:\[([0-9]+)\]|([0-9]))")
# A gRPC status label (Istio's `grpc_response_status="14"`): its numbers are gRPC codes (14 Unavailable), no HTTP class:
# 0 is OK, any other a failure (as an HTTP 4xx is one).
_GRPC_LABEL_RE = re.compile(r"(?:^|_)grpc(?=$|_)", re.IGNORECASE)
# The highest gRPC status code (16 Unauthenticated): a larger number on a gRPC label is none.
_GRPC_CODES = 16
# The gRPC status codes but OK by name, lowercased without underscores (`Unavailable`, `DEADLINE_EXCEEDED`), on a code
# or status label (`grpc_code`, Envoy's `code`): failures.
_GRPC_FAILURE_NAMES = frozenset(
    {
        "cancelled",
        "canceled",
        "unknown",
        "invalidargument",
        "deadlineexceeded",
        "notfound",
        "alreadyexists",
        "permissiondenied",
        "resourceexhausted",
        "failedprecondition",
        "aborted",
        "outofrange",
        "unimplemented",
        "internal",
        "unavailable",
        "dataloss",
        "unauthenticated",
    }
)
# A process's exit code label (`exit_code`, `exit_status`): 0 is a success, any other number a failure.
_EXIT_LABEL_RE = re.compile(r"(?:^|_)exit_(?:code|status)$", re.IGNORECASE)
# A division by a number (`/ 60`, a rate per minute), which scales a count, not divides it by the traffic.
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_BY_A_NUMBER_RE = re.compile(rf"/\s*{_NUMBER}(?![\w.(\[])")
# Read by _ratio_said: binary operators (set operators by word), an exponent's sign, the grouping modifiers that may
# open an operand, and an aggregation (its grouping before or after its argument) that keeps a ratio's meaning.
_SET_OPERATOR_RE = re.compile(r"(?:or|unless|and)(?![\w:])")
# A comparison (a filter without bool), binding looser than arithmetic: `errors / total > 0` compares the ratio.
_COMPARISON_RE = re.compile(r"[<>!=]=|[<>]")
_EXPONENT_RE = re.compile(r"(?<![\w.])(?:\d+(?:\.\d*)?|\.\d+)[eE]\Z")
_MODIFIER_RE = re.compile(
    r"\s*(?:(?:on|ignoring|group_left|group_right)\s*\([^()]*\)|bool(?![\w:])|group_(?:left|right)(?![\w:(]))?\s*"
)
_AGGREGATION_RE = re.compile(r"(?:sum|avg|min|max)\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(")
# An aggregation into one series (no `by` or `without`, before its argument or after it).
_WHOLE_AGGREGATION_RE = re.compile(r"(?<![\w:])(?:sum|avg|min|max|count)\s*\(")
# topk() or bottomk(): the k highest (lowest) series, one series itself at k = 1 of one.
_SELECTING_RE = re.compile(r"(?<![\w:])(?:topk|bottomk)\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(")
# A fallback (`or`), whose filled steps an `and` mask by the series it fills for drops.
_FALLBACK_RE = re.compile(r"(?<![\w:])or(?![\w:])")
# A comparison that filters (not `> bool`): a sample it is false at is dropped.
_FILTERING_RE = re.compile(r"(?:[<>!=]=|[<>])(?!\s*bool(?![\w:]))")
# A selector's matchers (`{code!="500"}`), whose operators are no comparison.
_MATCHERS_RE = re.compile(r"\{[^{}]*\}")
# A comparison's operator read from its other side (`0 < errors` is `errors > 0`).
_MIRRORED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
# A call's opening (`rate(`, `sum by (pod) (`), for the arguments within.
_CALL_RE = re.compile(r"[A-Za-z_]\w*\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(")
_GROUPING_RE = re.compile(r"\s*(?:(?:by|without)\s*\([^()]*\))?\s*")
_NUMBER_RE = re.compile(rf"[-+]?{_NUMBER}")
# The `offset` keyword ending the text before a minus, which is then a negative offset's sign (`x[5m] offset -5m`).
_OFFSET_END_RE = re.compile(r"(?<![\w:])offset\Z", re.IGNORECASE)
# Functions whose first argument's value they keep, or clip without reordering (`clamp_max(ratio, 1)`, `scalar(ratio)`
# of one series): a ratio inside one says what it said outside.
_VALUE_KEEPING_RE = re.compile(
    r"(?<![\w:])(?:label_replace|label_join|clamp_max|clamp_min|clamp|sort_desc|sort|round|scalar)\s*\("
)
# abs() keeps a ratio's values (never below 0), but not those of one moved by a number (`abs(ratio - 0.5)`).
_ABS_RE = re.compile(r"abs\s*\(")
# Functions over a range that keep a ratio's meaning (`avg_over_time(job:errors:ratio5m[1h])`), their range (and its
# offset or @ time) after their argument.
_OVER_TIME_KEEPING_RE = re.compile(r"(?:avg|min|max|last)_over_time\s*\(")
_RANGE_MODIFIERS_RE = re.compile(r"\s*(?:(?:offset\s*-?\s*[\w.]+|@\s*[\w.()+-]+)\s*)*")
# A quantile of a range's values (`quantile_over_time(0.9, job:errors:ratio5m[10m])`): a ratio's meaning kept for its
# direction, but, as a window's extreme, no rate of the events (see _uncounted: no pooled counts).
_QUANTILE_OVER_TIME_RE = re.compile(r"(?<![\w:])quantile_over_time\s*\(")
# A native or classic histogram's share of observations between two bounds (`histogram_fraction(0, 0.3, ...)`).
_FRACTION_RE = re.compile(r"histogram_fraction\s*\(")
# A window's extreme (`max_over_time(ratio[5m:1m])`, the step's worst minute): a ratio still, but its mean is no rate of
# the events, so the pooled counts cannot be taken from it.
_EXTREME_OVER_TIME_RE = re.compile(r"(?<![\w:])(min|max)_over_time\s*\(")
# round() keeps a ratio's direction, but not its value: `round(errors / total, 0.1)` reads 0 below 5%.
_ROUND_RE = re.compile(r"(?<![\w:])round\s*\(")
# A comparison with bool (`errors / total < bool 0.01`): 0 or 1 by a threshold, better on the side the threshold keeps.
_BOOL_COMPARISON_RE = re.compile(r"(?:[<>!=]=|[<>])\s*bool(?![\w:])")
# Arithmetic of numbers alone in brackets (`(1/60)`, `(60 * 60)`), or a function of them (`vector(60)`): a number.
_NUMBERS_BRACKETED_RE = re.compile(rf"(?:\b[A-Za-z_]\w*\s*)?\(\s*[-+]?{_NUMBER}(?:\s*[-+*/%^]\s*[-+]?{_NUMBER})*\s*\)")
# A string literal (kept), or a comment or spacing (dropped) of a PromQL query.
_STRING_OR_SPACE_RE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`|#[^\n]*|\s+')


class VariantQueries(BaseModel):
    """The queries of one variant: `query` (ratio, mann_whitney) or `success` and `total` (proportion);
    `events` counts its traffic for `min_canary_events` (ratio, mann_whitney)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str | None = Field(default=None, min_length=1, description="the KPI value (PromQL template)")
    success: str | None = Field(default=None, min_length=1, description="count of successes over the lookback")
    total: str | None = Field(default=None, min_length=1, description="count of trials over the lookback")
    events: str | None = Field(default=None, min_length=1, description="count of requests/events over the lookback")


class VariantNames(BaseModel):
    """Names shown for the two variants (A/B: which one wins)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    canary: str = Field(default="canary", min_length=1, max_length=64)
    baseline: str = Field(default="baseline", min_length=1, max_length=64)


@dataclass(frozen=True)
class Hidden:
    """A variant's `query` that is an aggregation leaving elements without a value out of its answer (max, min, topk,
    bottomk, quantile): the aggregation, the probe sent for such elements of its operand, and what it found."""

    aggregation: str
    query: str
    found: Sequence[Series]


@dataclass(frozen=True)
class Fallback:
    """A variant's `query` whose whole answer falls back to a constant when none of the series read beside that
    fallback exists (`errors / requests or vector(0)`): the constant, the probe sent for those series where the query
    reads them, and whether it found one; mann_whitney's, over the range: the steps (unix seconds) it found one at,
    the others' samples being the constant's."""

    constant: float
    query: str
    found: bool
    steps: frozenset[float] | None = None


@dataclass(frozen=True)
class Measured:
    """What one evaluation measured: the rendered queries by variant and role, each instant query's value by
    (variant, role) (None when it gave no series) and, for mann_whitney, each variant's range samples."""

    queries: Mapping[str, Mapping[str, str]]
    values: Mapping[tuple[str, str], float | None]
    samples: Mapping[str, Sequence[float]] = field(default_factory=dict)
    presence_query: str | None = None
    # mann_whitney: seconds from each variant's last range point with a value (not NaN) to the end of the
    # lookback (0 when none).
    silent_s: Mapping[str, float] = field(default_factory=dict)
    # What Prometheus attached to the answers (a partial answer from Thanos, "metric might not be a counter"),
    # and the warnings among them that say series may be missing (QueryResult.storage_warnings).
    warnings: Sequence[str] = ()
    infos: Sequence[str] = ()
    partial: Sequence[str] = ()
    # ratio, mann_whitney: by variant, the probe of a `query` that may hide a NaN element (absent: no such query).
    hidden: Mapping[str, Hidden] = field(default_factory=dict)
    # ratio, mann_whitney: by variant, the probe of a `query` whose whole answer may be its fallback (absent: none).
    fallbacks: Mapping[str, Fallback] = field(default_factory=dict)
    # The reason and details of an inconclusive verdict when a presence answer that may be partial shows none of a
    # metric's names (nothing else is then judged); None otherwise.
    unseen: tuple[str, dict[str, Any]] | None = None
    # ratio, proportion: the query asking whether a series the canary reads over a window longer than the look-back
    # has a sample now (None: none read so), and why no pass stands when it found none (None: it found one).
    now_query: str | None = None
    stopped: str | None = None
    # The same of the baseline, asked in mode ab alone: why no baseline win stands.
    baseline_now_query: str | None = None
    baseline_stopped: str | None = None


class KpiCompareCheck(Check):
    """Compare the canary's KPI to the baseline's: within tolerance (gate) or which variant wins (ab)."""

    kind: Literal["kpi_compare"] = "kpi_compare"
    params_are_placed: ClassVar[bool] = True
    source: str = Field(default="default", description="name of a Prometheus source in `sources`")
    method: Method = Field(
        default="ratio",
        description="ratio (point estimates), proportion (z test) or "
        "mann_whitney (Hodges-Lehmann shift over range samples)",
    )
    mode: Mode = Field(
        default="gate", description="gate: is the canary no worse than the baseline; ab: which of the two variants wins"
    )
    direction: Direction = Field(description="which way is better for this KPI")
    canary: str | VariantQueries = Field(description="the canary's (variant B's) queries; a string is its `query`")
    baseline: str | VariantQueries = Field(description="the baseline's (variant A's) queries")
    variant_names: VariantNames = Field(default_factory=VariantNames, description="names used in reasons")
    lookback: Duration = Field(default="10m", description="{{ lookback }} in the queries; mann_whitney's range")
    step: Duration | None = Field(default=None, description="mann_whitney sample spacing (default lookback/60)")
    max_relative_change: float | None = Field(
        default=None, ge=0, description="tolerance as a fraction of the baseline, e.g. 0.05 = 5%"
    )
    large_relative_change: bool = Field(
        default=False,
        description="true: a max_relative_change of 1 or more (100% or more of the baseline: at 1 a latency may "
        "double) is meant, not a percentage written for a fraction, and draws no load warning",
    )
    max_absolute_change: float | None = Field(default=None, ge=0, description="tolerance in the KPI's units")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="confidence level (proportion, mann_whitney)")
    min_detectable_effect: float | None = Field(
        default=None,
        gt=0,
        description="proportion: relative change of the baseline rate the test must be able to detect",
    )
    power: float = Field(default=0.8, gt=0, lt=1, description="proportion: power needed before a pass")
    min_canary_events: float = Field(default=0, ge=0, description="below this canary traffic: no verdict")
    min_samples: int = Field(
        default=20, ge=3, le=_MAX_RANGE_POINTS, description="mann_whitney: samples each variant needs"
    )

    _canary: dict[str, PromQLTemplate] = PrivateAttr()
    _baseline: dict[str, PromQLTemplate] = PrivateAttr()
    # The quantile arguments a param is placed in (`histogram_quantile({{ q }}, ...)`), checked on every binding.
    _quantile_arguments: tuple[QuantileArgument, ...] = PrivateAttr(default=())

    @classmethod
    def warm(cls) -> None:
        """Import the statistics (scipy.stats: over a second, more under load) before the first evaluation."""
        preload()

    @model_validator(mode="after")
    def _coherent(self) -> KpiCompareCheck:
        if self.no_data is NoDataPolicy.PASS:
            raise ValueError("no_data: pass is not allowed; a comparison without evidence never passes")
        if self.mode == "ab" and self.direction == "either":
            raise ValueError("mode: ab needs direction higher_is_better or lower_is_better to name a winner")
        if self.variant_names.canary == self.variant_names.baseline:
            raise ValueError("variant_names: canary and baseline must differ")
        statistical = self.method in ("proportion", "mann_whitney")
        self._only_for("confidence", statistical, "proportion and mann_whitney")
        self._only_for("min_detectable_effect", self.method == "proportion", "proportion")
        self._only_for("power", self.method == "proportion", "proportion")
        self._only_for("min_samples", self.method == "mann_whitney", "mann_whitney")
        self._only_for("step", self.method == "mann_whitney", "mann_whitney")
        if self.large_relative_change and (self.max_relative_change or 0) < 1:
            # Left on a tolerance below 1, it would silence the warning for a later 5 written for 5%.
            raise ValueError(
                "large_relative_change only applies to a max_relative_change of 1 or more, not "
                f"{format_number(self.max_relative_change) if self.max_relative_change is not None else 'unset'}: "
                "remove it"
            )
        has_tolerance = self.max_relative_change is not None or self.max_absolute_change is not None
        if self.method != "proportion" and not has_tolerance:
            raise ValueError(
                f"method {self.method} needs the change it tolerates: max_relative_change (a fraction of the "
                "baseline's value: 0.05 for 5%) and/or max_absolute_change (in the KPI's own units)"
            )
        if (
            self.method == "proportion"
            and self.min_detectable_effect is None
            and not (self.max_relative_change or self.max_absolute_change)
        ):
            raise ValueError(
                "method proportion needs the change it tolerates: max_relative_change (a fraction of the baseline's "
                "rate: 0.05 for 5%) and/or max_absolute_change (in the rate's own units: 0.01 for one percentage "
                "point); or, tolerating none, min_detectable_effect (the relative change the test must be able to "
                "detect before it may pass: 0.05 for 5%)"
            )
        if self.method == "proportion":
            self._proportion_in_fractions()
        if self.method == "mann_whitney":
            lookback_s, step_s = parse_duration(self.lookback), range_step_s(self.lookback, self.step)
            if step_s > lookback_s:
                raise ValueError(f"step {self.step} is longer than lookback {self.lookback}")
            if lookback_s / step_s + 1 > _MAX_RANGE_POINTS:
                raise ValueError(
                    f"lookback {self.lookback} at step {format_number(step_s)}s is more than "
                    f"{_MAX_RANGE_POINTS} samples; raise step"
                )
            if self.min_samples > lookback_s / step_s + 1:
                raise ValueError(f"min_samples {self.min_samples} is more than lookback / step can give")
        self._canary = self._templates("canary", self.canary)
        self._baseline = self._templates("baseline", self.baseline)
        self._quantiles_within_zero_to_one()
        if self.min_canary_events > 0 and self.method != "proportion" and "events" not in self._canary:
            raise ValueError("min_canary_events needs canary.events, a query counting the canary's traffic")
        return self

    def _quantiles_within_zero_to_one(self) -> None:
        """Refuse a quantile outside 0 to 1 a query writes or a param's value gives (`histogram_quantile(99, ...)`),
        as a `prometheus` check does (see quantiles_within_zero_to_one), and keep the quantile arguments a param is
        placed in, which every binding checks."""
        sample: dict[str, ArgValue] | None = None
        placed: list[QuantileArgument] = []
        for side, spec, templates in (
            ("canary", self.canary, self._canary),
            ("baseline", self.baseline, self._baseline),
        ):
            for name, template in templates.items():
                if "quantile" not in template.text.lower():
                    continue
                sample = sample_args(self) if sample is None else sample
                where = side if isinstance(spec, str) else f"{side}.{name}"
                quantiles_within_zero_to_one(template.text, self.params, sample, where)
                placed += quantile_arguments_placed(template.text, self.params)
        self._quantile_arguments = tuple(placed)

    def _proportion_in_fractions(self) -> None:
        """Refuse a proportion's tolerance or effect that reads as percent: one no canary can exceed (a rate falls by
        at most all of itself, and moves by at most 1), or an effect no rate can show, which waives the power rule."""
        drop = self.direction == "higher_is_better"
        relative, absolute, effect = self.max_relative_change, self.max_absolute_change, self.min_detectable_effect
        if drop and relative is not None and relative >= 1:
            raise ValueError(
                f"nothing can fail this check: max_relative_change {format_number(relative)} tolerates a drop of "
                f"{_percent(relative)} of the baseline rate, and a rate cannot drop by more than 100% of itself; a "
                f"fraction: {format_number(relative / 100)} is {format_number(relative)}%"
            )
        if absolute is not None and absolute >= 1:
            raise ValueError(
                f"nothing can fail this check: max_absolute_change {format_number(absolute)} tolerates a change of "
                f"the rate by {format_number(absolute)}, and a rate (between 0 and 1) moves by 1 at most; a fraction: "
                f"{format_number(absolute / 100)} is {format_number(absolute)} percentage points"
            )
        if drop and effect is not None and effect > 1:
            raise ValueError(
                f"min_detectable_effect {format_number(effect)} asks the test to detect a drop of {_percent(effect)} "
                "of the baseline rate, and a rate cannot drop by more than 100% of itself, so the power rule asks "
                f"nothing; a fraction: {format_number(effect / 100)} is {format_number(effect)}%"
            )

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """Validated args (see Check.bind_args); ArgError when they make the canary's queries the baseline's
        (a canary hash given as the stable one): a variant compared with itself always passes."""
        bound = super().bind_args(raw_args)
        if self._quantile_arguments:
            quantile_args_within_zero_to_one(self._quantile_arguments, bound, self.secret_params())
        values: dict[str, ArgValue] = {**bound, _LOOKBACK: self.lookback}
        # The queries judged, not `events`: only the canary needs one (for min_canary_events), and the verdict
        # does not depend on it.
        judged = ("success", "total") if self.method == "proportion" else ("query",)
        if all(
            _code(self._canary[name].render(values)) == _code(self._baseline[name].render(values)) for name in judged
        ):
            # The args that tell the variants apart in the templates, and so made them equal here.
            canary_names = {name for role in judged for name in self._canary[role].param_names}
            baseline_names = {name for role in judged for name in self._baseline[role].param_names}
            culprits = sorted((canary_names ^ baseline_names) - {_LOOKBACK}) or sorted(bound)
            quoted = self.shown_args(bound)
            shown = ", ".join(f"{name}={render_value(quoted[name])!r}" for name in culprits if name in quoted)
            raise ArgError(
                f"args {shown} make the {self._name('canary')}'s queries the same as the {self._name('baseline')}'s: "
                "a variant compared with itself always passes; give each variant its own value",
                culprits[0] if culprits else None,
            )
        return bound

    def _only_for(self, field: str, applies: bool, methods: str) -> None:
        if not applies and field in self.model_fields_set:
            raise ValueError(f"{field} only applies to method {methods}, not {self.method}")

    def _templates(self, side: str, spec: str | VariantQueries) -> dict[str, PromQLTemplate]:
        queries = VariantQueries(query=spec) if isinstance(spec, str) else spec
        needed = {"success", "total"} if self.method == "proportion" else {"query"}
        allowed = needed | ({"events"} if self.method != "proportion" else set())
        given = {name for name in ("query", "success", "total", "events") if getattr(queries, name) is not None}
        if needed - given:
            raise ValueError(f"{side}: method {self.method} needs {' and '.join(sorted(needed - given))}")
        if given - allowed:
            hint = " (the total is the traffic count)" if "events" in given - allowed else ""
            raise ValueError(
                f"{side}: {', '.join(sorted(given - allowed))} does not apply to method {self.method}{hint}"
            )
        templates = {}
        for name in sorted(given):
            try:
                templates[name] = PromQLTemplate(
                    getattr(queries, name), self.params, extra_bare={_LOOKBACK: ParamType.DURATION}
                )
            except ValueError as exc:
                where = side if isinstance(spec, str) else f"{side}.{name}"
                raise ValueError(f"{where}: {exc}") from None
        return templates

    def source_names(self) -> frozenset[str]:
        """The one source every query runs against."""
        return frozenset({self.source})

    def warnings(self) -> list[str]:
        """Identical canary and baseline queries compare a thing with itself; mann_whitney samples closer
        together than the query's range selector share data (they are autocorrelated); a selector whose metric
        name is a regex is not checked for existence; matchers on the name no name meets all of (always refused)."""
        same = [
            name
            for name, template in self._canary.items()
            if name in self._baseline and self._baseline[name].text == template.text
        ]
        found = [f"canary and baseline have the same {name} query; they compare a thing with itself" for name in same]
        found += [
            f"{side}.{name} selector {selector}: metric name given by a regex is not checked for existence "
            '(a misspelled name reads as no series; list the names, as in {__name__=~"a|b"}, to check them)'
            for side, templates in (("canary", self._canary), ("baseline", self._baseline))
            for name, template in templates.items()
            for selector in regex_name_selectors(template.text)
        ]
        found += [
            warning
            for side, templates in (("canary", self._canary), ("baseline", self._baseline))
            for name, template in templates.items()
            for warnings in (
                regex_equality_warnings,
                grafana_variable_warnings,
                gauge_of_counter_warnings,
                contradicting_name_warnings,
            )
            for warning in warnings(f"{side}.{name}", template.text)
        ]
        found += [
            warning
            for side, templates in (("canary", self._canary), ("baseline", self._baseline))
            for name, template in templates.items()
            if (warning := _reset_blind_difference(f"{side}.{name}", template.text)) is not None
        ]
        found += self._canary_read_back()
        found += self._counts_not_counted()
        if self.method == "proportion":
            # Rendered: a param outside a string (`offset {{ shift }}`) is no PromQL the matchers can be read from.
            success = self._canary["success"].render({**sample_args(self), _LOOKBACK: self.lookback})
            if (swapped := _direction_against_names(self.direction, success)) is not None:
                found.append(swapped)
        else:
            found += [
                warning
                for side, templates in (("canary", self._canary), ("baseline", self._baseline))
                if (warning := _traffic_scaled(f"{side}.query", templates["query"].text, self.direction)) is not None
            ]
            query = self._canary["query"].render({**sample_args(self), _LOOKBACK: self.lookback})
            if (swapped := _direction_against_ratio(self.direction, query)) is not None:
                found.append(swapped)
            if (clamped := _traffic_clamped("canary.query", query)) is not None:
                found.append(clamped)
        if (relative := self._relative_of_successes()) is not None:
            found.append(relative)
        if self.max_relative_change is not None and self.max_relative_change >= 1:
            if not self.large_relative_change:
                found.append(_tolerance_in_percent(self.max_relative_change, self.direction))
            elif self.direction == "either":
                # The flag says the tolerance is meant, which may be for rises alone (a latency allowed to double): the
                # drops it lets through are said still, since only a KPI that falls below 0 can fail on one.
                found.append(_no_drop_fails(self.max_relative_change, self.method))
        if self.method == "mann_whitney":
            # The rendered query too: a matcher whose value is a param (`code=~"{{ failing }}"`) picks only once filled.
            counts = _outcome_ratio(self._canary["query"].text) or _outcome_ratio(query)
            if not ("events" in self._canary and "events" in self._baseline) and counts is not None:
                # A success ratio sits at 1 (no failure) for little traffic as an error ratio sits at 0.
                kind, at, said = (
                    ("an error ratio", "0", "0") if counts == "failures" else ("a success ratio", "1", "1 (no failure)")
                )
                events = "count both variants' traffic with events (the pooled counts then judge it at any weights)"
                if (uncounted := _uncounted(self._canary["query"].text) or _uncounted(query)) is not None:
                    # _count_checked takes no counts of it: events alone would leave the ranks judging.
                    events = (
                        "compare the ratio itself with events on both variants (the pooled counts then judge it at "
                        f"any weights): {uncounted}, of which no counts are taken, with events or without"
                    )
                found.append(
                    f"canary.query is {kind}, which method mann_whitney compares step by step, not request by "
                    f"request: a variant with less traffic is at {said} more often and noisier, so with unequal "
                    "traffic it fails a canary erring as rarely as the baseline, or passes one erring more often; "
                    "without an events query on both variants the verdict cannot tell a baseline at "
                    f"{at} for its little traffic from one at {at} for its quality. Use method proportion (success and "
                    f"total as increase(...[{{{{ lookback }}}}])), or {events}"
                )
            both = "events" in self._canary and "events" in self._baseline
            if both and (unconfirmed := _pass_unconfirmed(self._canary["query"].text, query)) is not None:
                found.append(
                    f"canary.query {unconfirmed}: with events on both variants the ranks' pass of its samples "
                    "(within 0 to 1) is inconclusive, since no pooled counts confirm it, so this check cannot "
                    "pass; compare the ratio itself (sum(rate(errors[...])) / sum(rate(total[...]))) to have it "
                    "judged by its pooled counts"
                )
            step_s = range_step_s(self.lookback, self.step)
            for side, templates in (("canary", self._canary), ("baseline", self._baseline)):
                selector = _longest_range_selector(templates["query"].text, self.lookback)
                if selector is not None and parse_duration(selector) > step_s:
                    found.append(
                        f"{side} query: its range [{selector}] is longer than the step {format_number(step_s)}s, so "
                        "consecutive samples share data and the interval is widened for it; a step of at least "
                        f"{selector} (and a lookback of min_samples x {selector}) gives independent samples"
                    )
        return found

    def _counts_not_counted(self) -> list[str]:
        """A warning for each query read as the lookback's count of events that gives none (see _not_a_count): a
        proportion's `success` and `total`; mann_whitney's `events` of an error (or success) ratio with both variants'
        events, which the pooled counts read as counts (not of one they take no counts of, see _uncounted); else the
        canary's `events` that min_canary_events is compared with (a ratio's or mann_whitney's)."""
        sides = (("canary", self._canary), ("baseline", self._baseline))
        if self.method == "proportion":
            return [
                warning
                for side, templates in sides
                for name in ("success", "total")
                if (warning := _not_a_count(f"{side}.{name}", templates[name].text, _PROPORTION_COUNTS)) is not None
            ]
        pooled = (
            self.method == "mann_whitney"
            and "events" in self._canary
            and "events" in self._baseline
            and _outcome_ratio(self._canary["query"].text) is not None
            and _uncounted(self._canary["query"].text) is None
        )
        if pooled:
            return [
                warning
                for side, templates in sides
                if (warning := _not_a_count(f"{side}.events", templates["events"].text, _POOLED_COUNTS)) is not None
            ]
        if self.min_canary_events > 0:
            # Else the events only tell a variant without traffic, which a rate tells as well as a count.
            minimum = (
                f"min_canary_events {format_number(self.min_canary_events)} is a count of the lookback's events: it "
                "is compared with the events of one second, which holds a canary with enough traffic without a verdict"
            )
            warning = _not_a_count("canary.events", self._canary["events"].text, minimum)
            return [] if warning is None else [warning]
        return []

    def _relative_of_successes(self) -> str | None:
        """A warning when a gate's max_relative_change (above 0, below 1: larger ones are warned apart) is taken of a
        success ratio of requests (see _success_ratio) better higher or either way: a tenth of a success rate near 1
        is many times its failures."""
        relative = self.max_relative_change
        if self.mode != "gate" or self.direction == "lower_is_better" or relative is None or not 0 < relative < 1:
            return None
        values = {**sample_args(self), _LOOKBACK: self.lookback}
        if self.method == "proportion":
            # The ratio the test judges, read as a ratio query is.
            rendered = {name: self._canary[name].render(values) for name in ("success", "total")}
            query, field = f"({rendered['success']}) / ({rendered['total']})", "canary.success / canary.total"
        else:
            query, field = self._canary["query"].render(values), "canary.query"
        evidence = _success_ratio(query)
        if evidence is None:
            return None
        canary = _TYPICAL_SUCCESS * (1 - relative)
        factor = (1 - canary) / (1 - _TYPICAL_SUCCESS)
        return (
            f"{field} is a success ratio ({evidence}) and max_relative_change {format_number(relative)} is taken of "
            f"the success rate, not of the failures: at a baseline of {format_number(_TYPICAL_SUCCESS)} (failing "
            f"{_percent(1 - _TYPICAL_SUCCESS)}) it passes a canary at {format_number(round(canary, 6))} (failing "
            f"{_percent(round(1 - canary, 6))}, {factor:.3g}x the baseline's failures); to bound the drop of the "
            "success rate write max_absolute_change in its units (0.001 lets 0.999 fall to 0.998, twice the "
            f"failures) instead; to allow {_percent(relative)} more failures judge the error ratio (1 less this one) "
            f"with direction: lower_is_better and max_relative_change {format_number(relative)}"
        )

    def _canary_read_back(self) -> list[str]:
        """A warning for each canary query that reads its selectors only in the past (see _read_back), rendered with
        the params' sample values; the text of one with no `offset` or `@` is enough to tell it reads now."""
        values: dict[str, ArgValue] | None = None
        found = []
        for name, template in self._canary.items():
            if "offset" not in template.text.lower() and "@" not in template.text:
                continue
            values = {**sample_args(self), _LOOKBACK: self.lookback} if values is None else values
            # mann_whitney's is a range query over the lookback: its `@ start()` reads at the lookback's start.
            start_s = parse_duration(self.lookback) if self.method == "mann_whitney" else None
            if (warning := _read_back(f"canary.{name}", template.render(values), start_s)) is not None:
                found.append(warning)
        return found

    def promql(self, args: Mapping[str, ArgValue]) -> list[tuple[str, str]]:
        """Each variant's queries rendered (and the probe a pass sends when an aggregation in its `query` hides
        NaN), then the presence query built from their metric names."""
        values: dict[str, ArgValue] = {**args, _LOOKBACK: self.lookback}
        sent: list[tuple[str, str]] = []
        rendered: dict[str, dict[str, str]] = {}
        for side, spec, templates in (
            ("canary", self.canary, self._canary),
            ("baseline", self.baseline, self._baseline),
        ):
            rendered[side] = {name: template.render(values) for name, template in templates.items()}
            for name, query in rendered[side].items():
                sent.append((side if isinstance(spec, str) else f"{side}.{name}", query))
            judged = templates.get("query") if self.method != "proportion" else None
            if judged is not None and (probe := nan_probe(judged.render(values), _HIDDEN_SHOWN)) is not None:
                aggregation, query = probe
                sent.append((f"the probe for elements the {side} query's {aggregation} leaves out (on a pass)", query))
            if judged is not None and (fallback := self._fallback_probe(judged.render(values))) is not None:
                sent.append((f"the probe for the series the {side} query reads beside its fallback", fallback[1]))
        for side in ("canary", "baseline"):
            if (now := self._read_now(side, rendered[side])) is not None:
                sent.append((f"the presence query for the {side}'s series read over windows", presence_now_query(*now)))
        try:
            reads = self._reads(rendered)
        except ValueError:
            return sent  # a query its selectors cannot be read from: the parse reports it, before any presence query
        if any(selector.names for found in reads.values() for selector, _ in found):
            sent.append(("the presence query built from their metric names", _presence(tuple(reads.values()))))
        return sent

    def _reads(
        self, queries: Mapping[str, Mapping[str, str]]
    ) -> dict[str, tuple[tuple[MetricSelector, frozenset[str]], ...]]:
        """By role (`canary.query`), the selectors of each variant's rendered `queries` (side -> name -> query), each
        with where it is read (see _reads): mann_whitney's `query` over the lookback's range too."""
        lookback_s = parse_duration(self.lookback) if self.method == "mann_whitney" else 0.0
        return {
            f"{side}.{name}": _reads(query, lookback_s if name == "query" else 0.0)
            for side, named in queries.items()
            for name, query in named.items()
        }

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Query both variants concurrently, then judge what they measured."""
        measured = await self.measure(ctx)
        if measured.unseen is not None:
            return Verdict(outcome=Outcome.INCONCLUSIVE, reason=measured.unseen[0], details=measured.unseen[1])
        if self.method == "ratio":
            return self.judge(measured)
        # The statistics sort up to a million differences: off the event loop.
        return await asyncio.to_thread(self.judge, measured)

    async def measure(self, ctx: EvalContext) -> Measured:
        """Run every query of both variants concurrently at the evaluation time (range queries for
        mann_whitney's samples), with one more instant query asking which of their metrics exist at all;
        CheckMisconfigured when one has no series (a misspelled name would otherwise read as zero or no data)."""
        values: dict[str, ArgValue] = {**ctx.args, _LOOKBACK: self.lookback}
        queries = {
            side: {name: t.render(values) for name, t in templates.items()}
            for side, templates in (("canary", self._canary), ("baseline", self._baseline))
        }
        for rendered in queries.values():
            for query in rendered.values():
                refuse_contradicting_names(query)
        source = ctx.prometheus(self.source)
        instant = {
            (side, name): query
            for side, rendered in queries.items()
            for name, query in rendered.items()
            if not (self.method == "mann_whitney" and name == "query")
        }
        selectors = self._reads(queries)
        names = {name for found in selectors.values() for selector, _ in found for name in selector.names}
        presence = _presence(tuple(selectors.values())) if names else None
        ranges: list[Coroutine[Any, Any, QueryResult]] = []
        if self.method == "mann_whitney":
            end = ctx.evaluation_time
            start = end - timedelta(seconds=parse_duration(self.lookback))
            step_s = range_step_s(self.lookback, self.step)
            ranges = [
                source.query_range(queries[side]["query"], start, end, step_s, ctx.timeout_s())
                for side in ("canary", "baseline")
            ]
        # A KPI taken by max/min/... over groups answers the groups with values alone: a canary pod at 0/0 (no traffic:
        # its workers hung) would be compared unseen. Probed at the evaluation time, with the other queries.
        probes = {
            side: probe
            for side in ("canary", "baseline")
            if self.method != "proportion" and (probe := nan_probe(queries[side]["query"], _HIDDEN_SHOWN)) is not None
        }
        if ranges:
            # An instant query at the lookback's end, whose own start() is that end: the lookback's start is pinned.
            probes = {side: (found, pinned_start(query, start.timestamp())) for side, (found, query) in probes.items()}
        # A KPI whose whole answer falls back to a constant (`errors / requests or vector(0)`) answers it for a variant
        # that measured nothing (a hash that matches no pod, a label its series lack): asked whether any series it
        # reads beside the fallback has a sample where it reads them.
        # mann_whitney's, over the range: a step at which it finds none is the constant's, not a sample (a canary whose
        # pods died midway reads 0 since, which would beat a baseline's errors).
        fallback_probes = {
            side: asked
            for side in ("canary", "baseline")
            if self.method != "proportion" and (asked := self._fallback_probe(queries[side]["query"])) is not None
        }
        # A canary whose series all stopped (its pods died) still has its earlier samples in a window longer than the
        # look-back, for up to the window: asked whether one of them has a sample where the windows end.
        nows = {
            side: now for side in ("canary", "baseline") if (now := self._read_now(side, queries[side])) is not None
        }
        now_queries = {side: presence_now_query(*now) for side, now in nows.items()}
        (
            (found, results),
            (present, labelled, present_answers),
            answers,
            hidden,
            fallbacks,
            now_answers,
        ) = await asyncio.gather(
            _instant_values(ctx, source, instant),
            _present_names(ctx, source, presence),
            asyncio.gather(*ranges),
            _hidden(ctx, source, probes),
            _fallbacks(ctx, source, fallback_probes, (start, end, step_s) if ranges else None),
            asyncio.gather(*[source.query(q, ctx.evaluation_time, ctx.timeout_s()) for q in now_queries.values()]),
        )
        # A `{__name__=~"a|b"}` selector reads whichever of its names exist: one is enough. Where it reads them: a
        # baseline's `x offset 1d` reads x a day ago, which a name renamed since has series of, and one new since none.
        missing = [
            (role, selector, over)
            for role, found_selectors in selectors.items()
            for selector, overs in found_selectors
            for over in sorted(overs)
            if not any((name, over) in present for name in selector.names)
        ]
        # A label a matcher needs (`servcie="shop"`) that no series of its metric carries: the selector matches nothing,
        # and an error count (a proportion's `success`) reads 0 whatever the canary does.
        unlabelled = [
            (role, selector, label, over)
            for role, found_selectors in selectors.items()
            for selector, overs in found_selectors
            for over in sorted(overs)
            if any((name, over) in present for name in selector.names)
            for label in _needed_labels(selector.selector)
            if not any((name, over, label) in labelled for name in selector.names)
        ]
        if missing or unlabelled:
            sent = [query for rendered in queries.values() for query in rendered.values()]
            if partial := [warning for answer in present_answers for warning in answer.storage_warnings]:
                # A store that did not answer (Thanos, Mimir, remote read) may hold the names: none can be called
                # misspelled, and no value read without them is evidence.
                unseen_details: dict[str, Any] = {"queries": sent, "presence_query": presence}
                if missing:
                    unseen_details["unseen_metrics"] = sorted({name for _, sel, _ in missing for name in sel.names})
                if unlabelled:
                    unseen_details["unseen_labels"] = _label_names(unlabelled)
                unseen_details["prometheus_warnings"] = list(
                    dict.fromkeys(w for a in present_answers for w in a.warnings)
                )
                unseen = (_missing_reason(missing, self.source, partial, unlabelled), unseen_details)
                return Measured(queries, found, presence_query=presence, unseen=unseen)
            details: dict[str, Any] = {"queries": sent, "presence_query": presence}
            if missing:
                details["missing_metrics"] = sorted({name for _, selector, _ in missing for name in selector.names})
            if unlabelled:
                details["missing_labels"] = _label_names(unlabelled)
            raise NoSeriesFound(
                _missing_reason(missing, self.source, (), unlabelled),
                details=details,
                source=ctx.prometheus(self.source),
                # Only names missing as of the evaluation time itself: one missing where a baseline reads back in time
                # (`offset 1h`) but present now says nothing of the source's retention.
                names=tuple(sorted({name for _, selector, over in missing if not over for name in selector.names})),
            )
        for side, answer in zip(("canary", "baseline"), answers, strict=False):
            _refuse_several_ratios(answer, "range query", queries[side]["query"])
        kept = {side: fallback.steps for side, fallback in fallbacks.items()}
        samples = {
            side: _samples(answer, kept.get(side))
            for side, answer in zip(("canary", "baseline"), answers, strict=False)
        }
        silent = {
            side: _silent_s(answer, ctx.evaluation_time, kept.get(side))
            for side, answer in zip(("canary", "baseline"), answers, strict=False)
        }
        every = [*results, *present_answers, *answers, *now_answers]
        warnings = list(dict.fromkeys(warning for answer in every for warning in answer.warnings))
        infos = list(dict.fromkeys(info for answer in every for info in answer.infos))
        partial = list(dict.fromkeys(warning for answer in every for warning in answer.storage_warnings))
        stopped = {
            side: self._stopped_reason(side, *nows[side], _windows_read(queries[side].values(), nows[side][1]))
            for side, answer in zip(now_queries, now_answers, strict=True)
            if not answer.series
        }
        return Measured(
            queries,
            found,
            samples,
            presence,
            silent,
            warnings,
            infos,
            partial,
            hidden,
            fallbacks,
            now_query=now_queries.get("canary"),
            stopped=stopped.get("canary"),
            baseline_now_query=now_queries.get("baseline"),
            baseline_stopped=stopped.get("baseline"),
        )

    def _read_now(self, side: str, queries: Mapping[str, str]) -> tuple[tuple[str, ...], float] | None:
        """The selectors the `side`'s rendered instant `queries` (role -> query) read over a window longer than the
        look-back ending latest, and how long before the evaluation time that is (see read_now_over_windows); None
        when none does, for mann_whitney, whose range's last step tells a stopped variant (see _silent_s), and for the
        baseline of a gate (its window's samples measure stable over the lookback, and a stable ReplicaSet scaled down
        by dynamicStableScale stopped on purpose)."""
        if self.method == "mann_whitney" or (side == "baseline" and self.mode != "ab"):
            return None
        return read_now_over_windows(queries.values())

    def _stopped_reason(
        self, side: str, selectors: tuple[str, ...], offset_s: float, windows_s: tuple[float, ...]
    ) -> str:
        """Why a win of `side` (a canary's pass) does not stand when none of its `selectors` has a sample `offset_s`
        before the evaluation time, naming the `windows_s` its queries read them over (see _windows_read)."""
        read = clip(", ".join(selectors), _SELECTOR_CHARS)
        lookback = format_number(LOOKBACK_S)
        where = (
            f"where its windows end (in the {lookback} s before it, {format_number(offset_s)} s ago: {read})"
            if offset_s
            else f"now (in the last {lookback} s: {read})"
        )
        name = self._name(side)
        return (
            f"none of the {name}'s series read over a window has a sample {where}: they stopped reporting (a {side} "
            f"whose pods died?), so the {name}'s earlier samples in {self._windows_named(windows_s)} say nothing of "
            f"now; {SPARSE_HINT}"
        )

    def _counted_over(self, measured: Measured, side: str, role: str) -> str:
        """Where the `side`'s rendered `role` query (a count of its traffic) counts, as a reason says it: over the
        windows it writes when they are not the lookback (`increase(x[1h])` whatever the lookback), else over the
        lookback (a counter read without a range draws a load warning of its own)."""
        query = measured.queries.get(side, {}).get(role)
        if query is None:
            return f"over {self.lookback}"
        windows_s = tuple(
            sorted({parse_duration(found) for found in _RANGE_SELECTOR_RE.findall(promql_blanked(query))})
        )
        if not windows_s or windows_s == (parse_duration(self.lookback),):
            return f"over {self.lookback}"
        return "over " + ", ".join(_window_text(window_s) for window_s in windows_s)

    def _windows_named(self, windows_s: tuple[float, ...]) -> str:
        """The windows a variant's queries read, as its reason names them: its lookback when they are the lookback
        (`increase(x[{{ lookback }}])`), else the windows themselves (a query may write `rate(x[1h])` whatever the
        lookback)."""
        if not windows_s or windows_s == (parse_duration(self.lookback),):
            return f"its {self.lookback} lookback"
        shown = ", ".join(_window_text(window_s) for window_s in windows_s)
        return f"the {shown} window{'s' if len(windows_s) > 1 else ''} its queries read"

    def _fallback_probe(self, query: str) -> tuple[float, str] | None:
        """For a rendered `query` whose whole answer falls back to a constant: the constant, and a query answering one
        element when a series read beside the fallback has a sample where the query reads it (sent at the evaluation
        time, or over mann_whitney's range: at each step); None for another query."""
        constant = fallback_constant(query)
        if constant is None:
            return None
        pieces = set()
        for selector, reaches in fallback_reads(query):
            for reach in reaches:
                # What the query reads there, no more (fallback_reads gives an instant selector Prometheus' 5-minute
                # look-back): a series silent over `rate(x[1m])`'s minute is read as nothing by the query too.
                over = f"[{_duration(reach.range_s)}]"
                if reach.at_s is not None:
                    over += f" @ {reach.at_s:.3f}"
                if reach.offset_s:
                    over += f" offset {_duration(reach.offset_s)}"
                pieces.add(f"last_over_time({selector.selector}{over})")
        if not pieces:
            return None
        return constant, f"group({' or '.join(sorted(pieces))})"

    def judge(self, measured: Measured) -> Verdict:
        """The verdict from what was measured: pure, no I/O (the statistics are CPU-bound: call it from a
        worker thread for proportion and mann_whitney); no pass for a canary whose series all stopped, and in mode ab
        no win for a baseline whose series all stopped."""
        verdict = self._judged(measured)
        if verdict.outcome is Outcome.PASS and measured.stopped is not None:
            return self._no_data(measured.stopped, verdict.details)
        baseline_won = verdict.outcome is Outcome.FAIL and verdict.details.get("winner") == self._name("baseline")
        if baseline_won and self.mode == "ab" and measured.baseline_stopped is not None:
            return self._no_data(measured.baseline_stopped, verdict.details)
        return verdict

    def _judged(self, measured: Measured) -> Verdict:
        """The verdict by the method's rule from what was measured."""
        if self.method == "proportion":
            return self._judge_proportion(measured)
        for side, fallback in measured.fallbacks.items():
            if not fallback.found:
                # Whatever the other variant measured: a constant compared with it would pass (or fail) a variant that
                # was never measured.
                return self._no_data(
                    f"the {self._name(side)} query read no series beside its fallback: its value "
                    f"{format_number(fallback.constant)} is the fallback's, not a measurement (no traffic yet, args "
                    "that match no pod, or a label its series do not have)",
                    self._details(measured),
                )
        verdict = self._judge_mann_whitney(measured) if self.method == "mann_whitney" else self._judge_ratio(measured)
        return self._unless_hidden(verdict, measured.hidden)

    def _unless_hidden(self, verdict: Verdict, hidden: Mapping[str, Hidden]) -> Verdict:
        """`verdict` with the hidden-NaN probes in its details; the no_data verdict instead of a pass when a probe
        found an element without a value: a variant measured on part of its groups is not measured (as a
        variant whose KPI is NaN is not)."""
        if not hidden:
            return verdict
        details = {
            **verdict.details,
            "hidden_queries": [
                {
                    "variant": side,
                    "query": probe.query,
                    "series": [{"labels": s.shown_labels(), "value": json_safe(_instant(s))} for s in probe.found],
                }
                for side, probe in hidden.items()
            ],
        }
        if verdict.outcome is Outcome.PASS:
            for side, probe in hidden.items():
                if probe.found:
                    series = next((s for s in probe.found if math.isinf(_instant(s))), probe.found[0])
                    value = _instant(series)
                    return self._no_data(
                        f"the {self._name(side)} query's {probe.aggregation} leaves out {series.describe()} at "
                        f"{format_number(value)}{_uncomparable(value)}",
                        details,
                    )
        return verdict.model_copy(update={"details": details})

    # -- methods ---------------------------------------------------------------------------------

    def _judge_ratio(self, measured: Measured) -> Verdict:
        found = measured.values
        details = self._details(measured)
        for side in ("canary", "baseline"):
            details[side] = {"value": json_safe(found[(side, "query")])}
            if (side, "events") in found:
                details[side]["events"] = json_safe(found[(side, "events")])
        short = self._too_little_traffic(measured, details)
        if short is not None:
            return short
        value_c, value_b = found[("canary", "query")], found[("baseline", "query")]
        for side, value in (("canary", value_c), ("baseline", value_b)):
            if value is None or not math.isfinite(value):
                return self._no_data(
                    f"the {self._name(side)} query returned {_describe(value)}{_uncomparable(value)}", details
                )
        assert value_c is not None and value_b is not None
        difference = value_c - value_b
        tolerance = self._tolerance(value_b)
        details.update(estimate=difference, relative_change=_relative(difference, value_b), tolerance=tolerance)
        estimate = (
            f"{self._name('canary')} {format_number(value_c)} vs {self._name('baseline')} "
            f"{format_number(value_b)} ({_signed_change(difference, value_b)})"
        )
        if self.mode == "ab":
            return self._ab_point(difference, tolerance, max(abs(value_c), abs(value_b)), estimate, details)
        harm = self._harm(difference)
        rule = (
            f"fails when the {self._name('canary')} is {self._worse_word()} by more than the tolerance "
            f"{format_number(tolerance)}{self._tolerance_note()}"
        )
        details["decision_rule"] = rule
        outcome = Outcome.PASS if at_most(harm, tolerance, max(abs(value_c), abs(value_b))) else Outcome.FAIL
        return Verdict(
            outcome=outcome,
            reason=f"{estimate}; {rule}",
            value=difference,
            threshold=tolerance,
            details=details,
        )

    def _judge_proportion(self, measured: Measured) -> Verdict:
        found = measured.values
        details = self._details(measured)
        counts: dict[str, tuple[float, float]] = {}
        for side in ("canary", "baseline"):
            success, total = found[(side, "success")], found[(side, "total")]
            details[side] = {"success": json_safe(success), "total": json_safe(total)}
        for side in ("canary", "baseline"):
            success, total = found[(side, "success")], found[(side, "total")]
            if total is None or not math.isfinite(total):
                return self._no_data(f"the {self._name(side)} total query returned {_describe(total)}", details)
            if total < 0:
                # Not "no traffic": a count below 0 is a counter read across a reset (`x_total - x_total offset 30m`).
                return self._no_data(
                    f"the {self._name(side)} total query returned {format_number(total)}, a negative count (a counter "
                    "less its value at an offset, across a reset?), which says nothing of its traffic",
                    details,
                )
            if total == 0:
                return self._no_data(
                    f"the {self._name(side)} has no traffic {self._counted_over(measured, side, 'total')} (total "
                    f"{format_number(total)})",
                    details,
                )
            if side == "canary" and total < self.min_canary_events:
                return self._no_data(
                    f"the {self._name(side)} has {format_number(total)} events "
                    f"{self._counted_over(measured, side, 'total')}, fewer than min_canary_events "
                    f"{format_number(self.min_canary_events)}",
                    details,
                )
            if success is None and measured.partial:
                return self._no_data(
                    f"the {self._name(side)} success query returned no series and the answer may be partial "
                    f"({'; '.join(measured.partial)}): an absent success series is no evidence of no successes",
                    details,
                )
            # An absent success series next to a present total means no successes yet.
            success = 0.0 if success is None else success
            if not math.isfinite(success) or success < 0 or success > total * (1 + _COUNT_SLACK):
                raise CheckMisconfigured(
                    f"{self._name(side)}: success {format_number(success)} is not between 0 "
                    f"and total {format_number(total)}; check the success and total queries"
                )
            counts[side] = (min(success, total), total)
        (success_c, total_c), (success_b, total_b) = counts["canary"], counts["baseline"]
        test, power = self._proportion_stats(success_c, total_c, success_b, total_b)
        tolerance = self._tolerance(test.rate_baseline)
        effect = self._detectable_effect(test.rate_baseline)
        significant = test.p_value < 1 - self.confidence
        details.update(
            canary={"success": success_c, "total": total_c, "rate": test.rate_canary},
            baseline={"success": success_b, "total": total_b, "rate": test.rate_baseline},
            estimate=test.difference,
            relative_change=_relative(test.difference, test.rate_baseline),
            interval=[test.interval[0], test.interval[1]],
            confidence=self.confidence,
            z=test.z,
            p_value=test.p_value,
            significant=significant,
            tolerance=tolerance,
            detectable_effect=effect,
            power=power,
            power_needed=self.power,
        )
        level = _percent(self.confidence)
        estimate = (
            f"{self._name('canary')} rate {format_number(test.rate_canary)} vs {self._name('baseline')} "
            f"{format_number(test.rate_baseline)} ({_signed_change(test.difference, test.rate_baseline)},"
            f" {level} CI [{format_number(test.interval[0])}, {format_number(test.interval[1])}], "
            f"p={format_number(test.p_value)})"
        )
        scale = max(test.rate_canary, test.rate_baseline)
        if self.mode == "ab":
            return self._ab_statistical(
                test.difference,
                significant,
                tolerance,
                scale,
                estimate,
                details,
                f"p < {format_number(1 - self.confidence)}",
            )
        harm = self._harm(test.difference)
        harm_bound = self._harm_interval(*test.interval)[1]
        # Non-inferiority: a pass needs the interval to rule out harm beyond the tolerance, not only power.
        # The interval contains the estimate, so an observed harm beyond the tolerance never passes.
        fails = significant and not at_most(harm, tolerance, scale)
        bounded = at_most(harm_bound, tolerance, scale)
        powered = power >= self.power
        rule = (
            f"fails when the {self._worse_noun()} is significant (p < {format_number(1 - self.confidence)}) and "
            f"larger than the tolerance {format_number(tolerance)}{self._tolerance_note()}, passes when the "
            f"interval rules out {self._worse_noun(True)} beyond the tolerance and the test has power "
            f"{format_number(self.power)} to detect {self._worse_noun(True)} of {format_number(effect)}"
        )
        details.update(decision_rule=rule, harm_bound=harm_bound)
        if effect <= 0:
            rule += (
                f"; with the {self._name('baseline')} rate at {format_number(test.rate_baseline)} a relative "
                "min_detectable_effect is 0, so set max_absolute_change"
            )
        # The reason leads with why an inconclusive one is no pass; the verdict's word is the evaluation's own.
        why = ""
        if fails:
            outcome = Outcome.FAIL
        elif bounded and powered:
            outcome = Outcome.PASS
        else:
            missing = [] if powered else [f"power {format_number(power)}"]
            missing += (
                [] if bounded else [f"the interval allows {self._worse_noun(True)} of {format_number(harm_bound)}"]
            )
            outcome, why = Outcome.INCONCLUSIVE, f"{' and '.join(missing)}: "
        return Verdict(
            outcome=outcome,
            reason=f"{why}{estimate}; {rule}",
            value=test.difference,
            threshold=tolerance,
            details=details,
        )

    def _proportion_stats(
        self, success_c: float, total_c: float, success_b: float, total_b: float
    ) -> tuple[ProportionTest, float]:
        test = two_proportion_test(success_c, total_c, success_b, total_b, self.confidence)
        effect = self._detectable_effect(test.rate_baseline)
        if effect <= 0:
            return test, 0.0
        if self.direction == "either":
            power = min(
                proportion_power(test.rate_baseline, sign * effect, total_c, total_b, self.confidence)
                for sign in (1, -1)
            )
        else:
            power = proportion_power(test.rate_baseline, self._worse_sign() * effect, total_c, total_b, self.confidence)
        return test, power

    def _judge_mann_whitney(self, measured: Measured) -> Verdict:
        found, samples = measured.values, measured.samples
        step_s = range_step_s(self.lookback, self.step)
        details = self._details(measured)
        details["range"] = {"lookback": self.lookback, "step_s": step_s}
        for side in ("canary", "baseline"):
            details[side] = {"samples": len(samples[side])}
            if (side, "events") in found:
                details[side]["events"] = json_safe(found[(side, "events")])
        short = self._too_little_traffic(measured, details)
        if short is not None:
            return short
        for side in ("canary", "baseline"):
            if stopped_reporting(measured.silent_s.get(side, 0.0), step_s):
                return self._no_data(
                    f"the {self._name(side)}'s series has no value (no sample, or NaN) in the last "
                    f"{format_number(measured.silent_s[side])} s of the {self.lookback} lookback: it stopped "
                    "reporting or lost its traffic, so its earlier samples say nothing of now",
                    details,
                )
            infinite = sum(1 for value in samples[side] if math.isinf(value))
            if infinite:
                # A division by zero, or a quantile above the histogram's top bucket: the window's other samples
                # do not speak for it, and an infinity has no rank to compare.
                return self._no_data(
                    f"the {self._name(side)}'s series has {infinite} infinite samples over {self.lookback} (a "
                    "division by zero, or a quantile above the histogram's top bucket?): it cannot be compared",
                    details,
                )
            if len(samples[side]) < self.min_samples:
                return self._no_data(
                    f"the {self._name(side)} has {len(samples[side])} samples over "
                    f"{self.lookback}, fewer than min_samples {self.min_samples}",
                    details,
                )
        median_b = _median(samples["baseline"])
        estimate = hodges_lehmann(samples["canary"], samples["baseline"], self.confidence)
        low, high = estimate.interval
        tolerance = self._tolerance(median_b)
        # The interval's side of 0 with ties at 0 split (the interval's own ends without ties).
        significant = estimate.side_of_zero != 0
        details["canary"]["median"] = _median(samples["canary"])
        details["baseline"]["median"] = median_b
        for side, rho, effective in zip(
            ("canary", "baseline"), estimate.autocorrelation, estimate.effective_samples, strict=True
        ):
            details[side].update(autocorrelation=rho, effective_samples=effective)
        details.update(
            estimate=estimate.shift,
            relative_change=_relative(estimate.shift, median_b),
            interval=[finite_or_none(low), finite_or_none(high)],
            confidence=self.confidence,
            u_statistic=estimate.u_statistic,
            p_value=finite_or_none(estimate.p_value),
            significant=significant,
            tolerance=tolerance,
        )
        constant = estimate.constant_baseline
        traffic = _traffic_ratio(found)
        # A variant with less traffic sits at an error ratio's 0 more often for its traffic, not its quality: against
        # a baseline with less traffic than the canary the rule below would fail canaries erring as rarely (see
        # _CONSTANT_BASELINE_MIN_TRAFFIC); with either variant's events unknown it applies.
        applies = traffic is None or traffic >= _CONSTANT_BASELINE_MIN_TRAFFIC
        if constant is not None:
            details["constant_baseline"] = {
                "value": constant.value,
                "canary_share": constant.share,
                "canary_share_low": constant.share_low,
                "baseline_share_high": constant.baseline_high,
                "beyond": constant.side != 0,
                "traffic_ratio": finite_or_none(traffic),
                "applies": applies,
            }
        level = _percent(self.confidence)
        counts = f"{len(samples['canary'])} and {len(samples['baseline'])} samples"
        widened = ""
        if any(estimate.autocorrelation):
            widened = (
                f", widened for autocorrelation: {counts} count as {estimate.effective_samples[0]:.3g} and "
                f"{estimate.effective_samples[1]:.3g}"
            )
        if min(estimate.effective_samples) < MIN_EFFECTIVE_SAMPLES:
            # Without autocorrelation only min_samples below 4 lets so few through: the counts say which variant.
            widened = (
                widened or f", {counts}"
            ) + f", fewer than {MIN_EFFECTIVE_SAMPLES:g} effective samples: no interval"
        text = (
            f"{self._name('canary')} shifted {_signed_change(estimate.shift, median_b)} from "
            f"{self._name('baseline')} median {format_number(median_b)} (Hodges-Lehmann, {level} CI "
            f"[{format_number(low)}, {format_number(high)}]{widened})"
        )
        scale = max(abs(details["canary"]["median"]), abs(median_b))
        if self.mode == "ab":
            ranked = self._ab_statistical(
                estimate.shift,
                significant,
                tolerance,
                scale,
                text,
                details,
                "the interval excludes 0, differences at 0 counted half",
            )
            return self._count_checked(ranked, measured, traffic)
        harm_low, harm_high = self._harm_interval(low, high)
        harm = self._harm(estimate.shift)
        rule = (
            f"fails when the interval lies {self._worse_side()} and the shift exceeds the tolerance "
            f"{format_number(tolerance)}{self._tolerance_note()}, passes when the interval rules out "
            f"{self._worse_noun(True)} beyond the tolerance"
        )
        details["decision_rule"] = rule
        # A canary beyond a constant baseline more often than that baseline can be fails too where the interval's t
        # quantile, with the canary's few effective samples as its degrees of freedom, holds 0 (see beyond_constant).
        # It only adds fails: a pass still needs the interval within the tolerance.
        beyond = constant.side if constant is not None and applies and not significant else 0
        lies = estimate.side_of_zero or beyond
        worse_side = {"lower_is_better": 1, "higher_is_better": -1}.get(self.direction, lies)
        # The reason leads with what a fail or inconclusive one rests on beyond the interval, if anything; the
        # verdict's word is the evaluation's own.
        why = ""
        if lies != 0 and lies == worse_side and not at_most(harm, tolerance, scale):
            outcome = Outcome.FAIL
            if constant is not None and beyond:
                counted = (len(samples["canary"]), len(samples["baseline"]))
                why = self._beyond_constant_reason(constant, counted, estimate.effective_samples[0])
                rule = (
                    f"fails when the {self._name('baseline')} is constant and the {self._name('canary')} lies "
                    f"{'above' if beyond > 0 else 'below'} it more often than that {self._name('baseline')} can "
                    f"(the interval holding 0) and the shift exceeds the tolerance {format_number(tolerance)}"
                    f"{self._tolerance_note()}, passes when the interval rules out {self._worse_noun(True)} beyond "
                    "the tolerance"
                )
                details["decision_rule"] = rule
            elif harm_low <= 0:
                why = (
                    "tied samples: with the differences at 0 counted half, as the test's mid-ranks count them, "
                    f"the interval lies {self._worse_side()}: "
                )
        elif at_most(harm_high, tolerance, scale):
            worse_z = self._worse_beyond_tolerance(samples, tolerance, scale)
            details["tolerance_test_z"] = worse_z
            if worse_z > NormalDist().inv_cdf(0.5 + self.confidence / 2):
                outcome = Outcome.INCONCLUSIVE
                why = (
                    f"tied samples: the interval rules out {self._worse_noun(True)} beyond the "
                    f"tolerance, but the Mann-Whitney test with ties ranks the {self._name('canary')} "
                    f"{self._worse_word()} than the {self._name('baseline')} by more than the tolerance, "
                    f"z={format_number(worse_z)}: "
                )
            else:
                outcome = Outcome.PASS
        else:
            outcome, why = Outcome.INCONCLUSIVE, "the interval is too wide: "
            # The traffic is blamed only where the rule would have failed the canary (beyond on its worse side, the
            # shift beyond the tolerance): elsewhere the gate changed nothing.
            gated = constant.side if constant is not None and not applies and not significant else 0
            gated_worse = {"lower_is_better": 1, "higher_is_better": -1}.get(self.direction, gated)
            blamed = gated != 0 and gated == gated_worse and not at_most(harm, tolerance, scale)
            if constant is not None and blamed and traffic is not None:
                why = (
                    f"the interval is too wide (the {self._name('baseline')} is {format_number(constant.value)} at "
                    f"all {len(samples['baseline'])} samples, but with {format_number(traffic)}x the "
                    f"{self._name('canary')}'s events, fewer than {_CONSTANT_BASELINE_MIN_TRAFFIC:g}x: a variant "
                    "with less traffic sits at the constant more often for its traffic, so the interval alone "
                    "judges): "
                )
        verdict = Verdict(
            outcome=outcome,
            reason=f"{why}{text}; {rule}",
            value=estimate.shift,
            threshold=tolerance,
            details=details,
        )
        return self._count_checked(verdict, measured, traffic)

    def _count_checked(self, verdict: Verdict, measured: Measured, traffic: float | None) -> Verdict:
        """The ranks' `verdict` of an error (or success) ratio judged by the pooled counts too when both variants
        count their events: a fail of the counts stands (the worse of the two), the ranks' pass needs the counts'
        interval within the tolerance (in mode ab: the counts' canary win), the ranks' fail does not stand where the
        counts find the canary significantly better, and at a traffic ratio beyond _RANKS_MAX_TRAFFIC_RATIO either way
        it needs the counts' (else inconclusive); without both events the verdict says its traffic is unmeasured, of a
        ratio whose samples are no rate of the events (see _uncounted) that no counts are taken, and of a recorded
        ratio naming no outcome, or a query naming one it is not read as a ratio of (see _unread_outcome), that its
        direction is the one written; the ranks' pass of the latter, with samples within 0 to 1 and events on both, is
        inconclusive (no counts confirm it)."""
        # Rendered too: a matcher whose value is a param (`code=~"{{ failing }}"`) picks its outcome only once filled.
        rendered = measured.queries["canary"].get("query", "")
        template = self._canary["query"].text
        counted = _outcome_ratio(template) or _outcome_ratio(rendered)
        samples, details = measured.samples, verdict.details
        filled = _fills_no_traffic(template) or _fills_no_traffic(rendered)
        if traffic is None and verdict.outcome is Outcome.PASS and filled:
            # `errors / total > 0 or on() vector(0)`: a canary whose workers hung reads 0 at every step since (0/0 is
            # dropped by the filter and filled), a canary without errors; without events nothing tells it apart.
            why = (
                "canary.query filters the ratio (a comparison, of it, of its traffic or in a mask) and fills what "
                "it drops with a constant, so a step without traffic (0/0, which the filter drops) reads as that "
                "constant, a variant without errors; without an events query on both variants nothing tells a canary "
                "that lost its "
                "traffic from one without errors: count both variants' traffic with events, or leave the filter out "
                "(a step without traffic is then NaN, which says no data)"
            )
            details["count_test"] = {"applied": False, "why": why}
            if self.mode == "ab":
                details["winner"] = None
            return Verdict(
                outcome=Outcome.INCONCLUSIVE,
                reason=f"{why}; by the ranks: {verdict.reason}",
                value=verdict.value,
                threshold=verdict.threshold,
                details=details,
            )
        if counted is None and (unnamed := _unnamed_recorded_ratio(template) or _unnamed_recorded_ratio(rendered)):
            # An error ratio and a success ratio are better opposite ways, and a recorded ratio may be no share of
            # events at all (`instance:node_memory_utilisation:ratio`): the direction written is all there is.
            why = (
                f"{unnamed}, a recorded ratio, names no outcome (no failure or success word): "
                f"{_ASSUMED[self.direction]} by direction "
                f"{self.direction} alone, and its per-step values are compared by rank alone, without pooled counts"
            )
            details["count_test"] = {"applied": False, "why": why}
            return verdict.model_copy(update={"reason": f"{verdict.reason} ({why})", "details": details})
        shared = _bucket_share(template) or _bucket_share(rendered)
        if counted is None and not shared and (named := _unread_outcome(template) or _unread_outcome(rendered)):
            # Its samples may be no share of the events it names (`ceil(errors / total)`, `(requests / errors) > 0`):
            # counts taken of them, or a direction read from them, would judge a figure other than the one compared.
            why = (
                f"canary.query names an outcome ({named}) but is not read as its share of the events (a ratio read "
                f"through sums, scaling and the functions that keep its values): {_ASSUMED[self.direction]} by "
                f"direction {self.direction} alone, and its per-step values are compared by rank alone, without "
                "pooled counts"
            )
            return self._unconfirmed(verdict, why, details, samples, traffic)
        if counted is None and not shared:
            return verdict
        if traffic is None:
            # A success ratio without failures is 1, as an error ratio without any is 0 (a band of buckets too).
            why = (
                "traffic unmeasured: without an events query on both variants the per-step ratios are compared by "
                f"rank alone, and a variant with less traffic sits at {1 if counted == 'successes' else 0} more often "
                "for its traffic, not its quality"
            )
            details["count_test"] = {"applied": False, "why": why}
            return verdict.model_copy(update={"reason": f"{verdict.reason} ({why})", "details": details})
        if (uncounted := _uncounted(template) or _uncounted(rendered)) is not None:
            # Bursts bunched in few minutes raise a variant's worst minutes far above its rate (and lower its best),
            # and a rounding reads a steady ratio below half its step as 0: the counts would find a steady canary
            # erring twice as often significantly better, or fail one erring less.
            why = f"no pooled counts: {uncounted}, and the mean of those times the events counts no events"
            return self._unconfirmed(verdict, why, details, samples, traffic)
        if any(not 0 <= value <= 1 for side in ("canary", "baseline") for value in samples[side]):
            why = "no pooled counts: a sample outside 0 to 1 is no ratio of the events counted"
            details["count_test"] = {"applied": False, "why": why}
            return verdict.model_copy(update={"reason": f"{verdict.reason} ({why})", "details": details})
        events_c, events_b = measured.values[("canary", "events")], measured.values[("baseline", "events")]
        assert events_c is not None and events_b is not None
        test = pooled_ratio_test(samples["canary"], events_c, samples["baseline"], events_b, self.confidence)
        tolerance = self._tolerance(test.rate_baseline)
        scale = max(test.rate_canary, test.rate_baseline)
        harm_bound = self._harm_interval(*test.interval)[1]
        significant = test.p_value < 1 - self.confidence
        fails = significant and not at_most(self._harm(test.difference), tolerance, scale)
        # The counts find the canary significantly better, which contradicts a fail (or a baseline win) of the ranks.
        better = significant and self._harm(test.difference) < 0
        bounded = at_most(harm_bound, tolerance, scale)
        unequal = not 1 / _RANKS_MAX_TRAFFIC_RATIO <= traffic <= _RANKS_MAX_TRAFFIC_RATIO
        details["count_test"] = {
            "applied": True,
            "canary": {"rate": test.rate_canary, "events": events_c},
            "baseline": {"rate": test.rate_baseline, "events": events_b},
            "estimate": test.difference,
            "interval": [test.interval[0], test.interval[1]],
            "p_value": test.p_value,
            "tolerance": tolerance,
            "harm_bound": harm_bound,
            "traffic_ratio": finite_or_none(traffic),
            "ranks_judge": not unequal,
            "canary_better": better,
        }
        counts = (
            f"pooled counts {self._name('canary')} {format_number(test.rate_canary)} of {format_number(events_c)} "
            f"events vs {self._name('baseline')} {format_number(test.rate_baseline)} of {format_number(events_b)} "
            f"({_signed_change(test.difference, test.rate_baseline)}, {_percent(self.confidence)} CI "
            f"[{format_number(test.interval[0])}, {format_number(test.interval[1])}], p={format_number(test.p_value)})"
        )
        rule = (
            f"the pooled counts (each variant's mean sample times its events) fail it when the {self._worse_noun()} is "
            f"significant (p < {format_number(1 - self.confidence)}) and larger than the tolerance "
            f"{format_number(tolerance)}{self._tolerance_note()}, and a pass needs their interval to rule out "
            f"{self._worse_noun(True)} beyond the tolerance too, and a fail of the ranks stands only when they do not "
            f"find the {self._name('canary')} significantly better"
        )
        ratio = (
            f"the {self._name('baseline')} has {format_number(traffic)}x the {self._name('canary')}'s events, beyond "
            f"{_RANKS_MAX_TRAFFIC_RATIO:g}x either way, where the per-step ratios' ranks compare the traffic more than "
            "the ratios"
        )
        if self.mode == "ab":
            return self._ab_count_checked(verdict, test, tolerance, scale, counts, ratio if unequal else None, better)
        if unequal:
            rule += f"; at a traffic ratio beyond {_RANKS_MAX_TRAFFIC_RATIO:g}x either way only they fail it"
        details["decision_rule"] = f"{details['decision_rule']}; {rule}"
        if fails and verdict.outcome is not Outcome.FAIL:
            outcome, head = Outcome.FAIL, f"the pooled counts find {self._worse_noun(True)} beyond the tolerance"
        elif unequal and verdict.outcome is Outcome.FAIL and not fails:
            outcome, head = Outcome.INCONCLUSIVE, f"{ratio}, and the pooled counts find no significant harm"
        elif verdict.outcome is Outcome.FAIL and better:
            # Within 2x too: the two tests name opposite variants worse, and which one is right depends on how steady
            # the traffic was over the lookback, which neither measures.
            outcome = Outcome.INCONCLUSIVE
            head = (
                f"the ranks find {self._worse_noun(True)} beyond the tolerance, but the pooled counts find the "
                f"{self._name('canary')} significantly better"
            )
        elif verdict.outcome is Outcome.PASS and not bounded:
            # At any traffic: at equal traffic, 3 requests a minute and 0.5% the ranks (their ties at 0) passed 24% of
            # canaries erring at 0.75% and 17% at 1%, 5 and 10 times the tolerance 0.0005 (seeded, docs kpi-compare.md).
            outcome = Outcome.INCONCLUSIVE
            allows = f"the pooled counts' interval allows {self._worse_noun(True)} of {format_number(harm_bound)}"
            head = f"{ratio}, and {allows}" if unequal else f"{allows}, beyond the tolerance"
        else:
            return verdict.model_copy(update={"reason": f"{verdict.reason}; {rule}", "details": details})
        return Verdict(
            outcome=outcome,
            reason=f"{head}: {counts}; by the ranks: {verdict.reason}; {rule}",
            value=test.difference,
            threshold=tolerance,
            details=details,
        )

    def _unconfirmed(
        self,
        verdict: Verdict,
        why: str,
        details: dict[str, Any],
        samples: Mapping[str, Sequence[float]],
        traffic: float | None,
    ) -> Verdict:
        """The ranks' `verdict` of a query naming an outcome whose samples the pooled counts do not read (`why`):
        with the note; inconclusive where it is a pass (in mode ab a canary win) of samples within 0 to 1 with events
        on both variants, which an error (or success) ratio's pass needs the counts to confirm."""
        details["count_test"] = {"applied": False, "why": why}
        within = all(0 <= value <= 1 for side in ("canary", "baseline") for value in samples[side])
        if verdict.outcome is not Outcome.PASS or traffic is None or not within:
            return verdict.model_copy(update={"reason": f"{verdict.reason} ({why})", "details": details})
        # The ranks' ties at 0 alone pass a canary erring at 2.5% at a third of its steps against none, rounded, a
        # window's extreme or quantile, masked, or filtered.
        if self.mode == "ab":
            details["winner"] = None
        return Verdict(
            outcome=Outcome.INCONCLUSIVE,
            reason=(
                f"no pooled counts confirm the ranks' {'canary win' if self.mode == 'ab' else 'pass'} of samples "
                f"within 0 to 1 with events on both variants, as every error (or success) ratio's pass needs: "
                f"{why}; by the ranks: {verdict.reason}"
            ),
            value=verdict.value,
            threshold=verdict.threshold,
            details=details,
        )

    def _ab_count_checked(
        self,
        verdict: Verdict,
        test: ProportionTest,
        tolerance: float,
        scale: float,
        counts: str,
        unequal: str | None,
        better: bool,
    ) -> Verdict:
        """The ranks' A/B `verdict` judged by the pooled counts `test` too: their baseline win stands (the worse of the
        two), the ranks' canary win needs theirs (else no winner), the ranks' baseline win stands only when they do not
        find the canary significantly better (`better`), and at a traffic ratio beyond _RANKS_MAX_TRAFFIC_RATIO either
        way (`unequal` says it) it needs theirs."""
        details = verdict.details
        larger = not at_most(abs(test.difference), tolerance, scale)
        counted = self._winner(test.difference) if test.p_value < 1 - self.confidence and larger else None
        details["count_test"]["winner"] = None if counted is None else self._name(counted)
        ranked = {Outcome.PASS: "canary", Outcome.FAIL: "baseline"}.get(verdict.outcome)
        rule = (
            "the pooled counts (each variant's mean sample times its events) name a winner when the difference is "
            f"significant (p < {format_number(1 - self.confidence)}) and larger than the tolerance "
            f"{format_number(tolerance)}{self._tolerance_note()}; their {self._name('baseline')} win stands, and the "
            f"{self._name('canary')} wins only when they name it too, and the {self._name('baseline')} only when they "
            f"do not find the {self._name('canary')} significantly better"
        )
        if unequal is not None:
            rule += (
                f"; at a traffic ratio beyond {_RANKS_MAX_TRAFFIC_RATIO:g}x either way the {self._name('baseline')} "
                "wins only when they name it"
            )
        details["decision_rule"] = f"{details['decision_rule']}; {rule}"
        if counted == "baseline" and ranked != "baseline":
            winner: str | None = "baseline"
            head = f"{self._name('baseline')} wins by the pooled counts"
        elif ranked == "canary" and counted != "canary":
            winner, head = None, f"no winner yet: the pooled counts do not find the {self._name('canary')} better"
        elif ranked == "baseline" and better:
            # Within 2x too: the two tests name opposite winners, and which one is right depends on how steady the
            # traffic was over the lookback, which neither measures; the counts alone never make the canary win.
            winner = None
            head = (
                f"no winner yet: the ranks name the {self._name('baseline')}, but the pooled counts find the "
                f"{self._name('canary')} significantly better"
            )
        elif ranked == "baseline" and unequal is not None and counted != "baseline":
            winner, head = None, f"no winner yet: {unequal}, and the pooled counts find no significant difference"
        else:
            return verdict.model_copy(update={"reason": f"{verdict.reason}; {rule}", "details": details})
        details["winner"] = None if winner is None else self._name(winner)
        outcome = Outcome.INCONCLUSIVE if winner is None else Outcome.FAIL
        return Verdict(
            outcome=outcome,
            reason=f"{head}: {counts}; by the ranks: {verdict.reason}; {rule}",
            value=test.difference,
            threshold=tolerance,
            details=details,
        )

    def _beyond_constant_reason(self, constant: BeyondConstant, counts: tuple[int, int], effective: float) -> str:
        """The head of a fail resting on the canary lying beyond a constant baseline more often than it can."""
        where = "above" if constant.side > 0 else "below"
        return (
            f"the {self._name('baseline')} is {format_number(constant.value)} at all {counts[1]} samples and the "
            f"{self._name('canary')} {where} it at {round(constant.share * counts[0])} of {counts[0]} (at least "
            f"{constant.share_low:.1%} of the time over its {effective:.3g} effective samples), more often than the "
            f"{self._name('baseline')} can be (at most {constant.baseline_high:.1%}, none of {counts[1]}): "
        )

    def _worse_beyond_tolerance(
        self,
        samples: Mapping[str, Sequence[float]],
        tolerance: float,
        scale: float,
    ) -> float:
        """The z score of the Mann-Whitney test (mid-ranks, tie-corrected, samples independent) that the
        canary is worse than the baseline by more than `tolerance` (positive: worse; for `either` the worse way):
        a pass needs it not significant. Without ties it is implied by the interval; with them (a KPI at 0 at most
        steps) the interval shrinks onto the tied value while a third of the canary's samples are higher."""
        # Values as close as at_most forgives are tied: a canary exactly at the tolerance is not beyond it.
        tied_within = 1e-9 * max(scale, tolerance)
        canary, baseline = samples["canary"], samples["baseline"]
        above = shifted_rank_z(canary, baseline, tolerance, tied_within)
        if self.direction == "lower_is_better":
            return above
        below = -shifted_rank_z(canary, baseline, -tolerance, tied_within)
        return below if self.direction == "higher_is_better" else max(above, below)

    # -- A/B -------------------------------------------------------------------------------------

    def _ab_point(
        self, difference: float, tolerance: float, scale: float, estimate: str, details: dict[str, Any]
    ) -> Verdict:
        rule = (
            f"a variant wins when it is better by more than the tolerance {format_number(tolerance)}"
            f"{self._tolerance_note()}"
        )
        winner = None if at_most(abs(difference), tolerance, scale) else self._winner(difference)
        return self._ab_verdict(winner, estimate, rule, difference, tolerance, details)

    def _ab_statistical(
        self,
        difference: float,
        significant: bool,
        tolerance: float,
        scale: float,
        estimate: str,
        details: dict[str, Any],
        significance: str,
    ) -> Verdict:
        rule = (
            f"a variant wins when the difference is significant ({significance}) and larger than the "
            f"tolerance {format_number(tolerance)}{self._tolerance_note()}"
        )
        larger = not at_most(abs(difference), tolerance, scale)
        winner = self._winner(difference) if significant and larger else None
        return self._ab_verdict(winner, estimate, rule, difference, tolerance, details)

    def _ab_verdict(
        self, winner: str | None, estimate: str, rule: str, difference: float, tolerance: float, details: dict[str, Any]
    ) -> Verdict:
        details.update(
            decision_rule=rule,
            winner=None if winner is None else self._name(winner),
            variants={"canary": self._name("canary"), "baseline": self._name("baseline")},
        )
        if winner is None:
            outcome, head = Outcome.INCONCLUSIVE, "no winner yet"
        else:
            outcome = Outcome.PASS if winner == "canary" else Outcome.FAIL
            head = f"{self._name(winner)} wins"
        return Verdict(
            outcome=outcome,
            reason=f"{head}: {estimate}; {rule}",
            value=difference,
            threshold=tolerance,
            details=details,
        )

    def _winner(self, difference: float) -> str:
        better = difference > 0 if self.direction == "higher_is_better" else difference < 0
        return "canary" if better else "baseline"

    # -- shared ----------------------------------------------------------------------------------

    def _too_little_traffic(self, measured: Measured, details: dict[str, Any]) -> Verdict | None:
        """The no_data verdict when the canary's events are below min_canary_events, or a variant's events query
        counts no traffic (its KPI, a gauge keeping its last value, is not of now), min_canary_events 0 too; else
        None."""
        found = measured.values
        for side in ("canary", "baseline"):
            if (side, "events") not in found:
                continue
            events = found[(side, "events")]
            # NaN, inf and no series count no events.
            counted = events if events is not None and math.isfinite(events) else 0.0
            if side == "canary" and counted < self.min_canary_events:
                return self._no_data(
                    f"the {self._name('canary')} has {_describe(events)} events "
                    f"{self._counted_over(measured, side, 'events')}, fewer than "
                    f"min_canary_events {format_number(self.min_canary_events)}",
                    details,
                )
            if counted <= 0:
                return self._no_data(
                    f"the {self._name(side)} has no traffic {self._counted_over(measured, side, 'events')} (events "
                    f"{_describe(events)})",
                    details,
                )
        return None

    def _no_data(self, reason: str, details: dict[str, Any]) -> Verdict:
        details["decision_rule"] = "no verdict below the minimum evidence"
        return self.no_data_verdict(reason, details=details)

    def _tolerance(self, baseline: float) -> float:
        """The largest change accepted, in the KPI's units: the larger of the two tolerances."""
        relative = (self.max_relative_change or 0.0) * abs(baseline)
        return max(relative, self.max_absolute_change or 0.0)

    def _detectable_effect(self, rate_baseline: float) -> float:
        """The change (in rate units) the test must be able to detect; an absolute tolerance is its floor,
        so a baseline at 0% (no errors yet) still leaves something to detect."""
        if self.min_detectable_effect is not None:
            return max(self.min_detectable_effect * rate_baseline, self.max_absolute_change or 0.0)
        return self._tolerance(rate_baseline)

    def _tolerance_note(self) -> str:
        parts = []
        if self.max_relative_change is not None:
            parts.append(f"{_percent(self.max_relative_change)} of the {self._name('baseline')}")
        if self.max_absolute_change is not None:
            parts.append(f"absolute {format_number(self.max_absolute_change)}")
        if not parts:
            return ""
        return f" ({' or '.join(parts)}, whichever is larger)" if len(parts) > 1 else f" ({parts[0]})"

    def _worse_sign(self) -> float:
        return 1.0 if self.direction == "lower_is_better" else -1.0

    def _harm(self, difference: float) -> float:
        """How much worse the canary is (positive = worse); for `either`, any change counts."""
        return abs(difference) if self.direction == "either" else self._worse_sign() * difference

    def _harm_interval(self, low: float, high: float) -> tuple[float, float]:
        if self.direction == "either":
            bound = max(abs(low), abs(high))
            return (low if low > 0 else -high if high < 0 else 0.0), bound
        if self.direction == "lower_is_better":
            return low, high
        return -high, -low

    def _worse_word(self) -> str:
        return {"lower_is_better": "higher", "higher_is_better": "lower", "either": "different"}[self.direction]

    def _worse_noun(self, article: bool = False) -> str:
        noun = {"lower_is_better": "increase", "higher_is_better": "drop", "either": "change"}[self.direction]
        return ("an " if noun == "increase" else "a ") + noun if article else noun

    def _worse_side(self) -> str:
        return {"lower_is_better": "above 0", "higher_is_better": "below 0", "either": "entirely on one side of 0"}[
            self.direction
        ]

    def _name(self, side: str) -> str:
        return self.variant_names.canary if side == "canary" else self.variant_names.baseline

    def _details(self, measured: Measured) -> dict[str, Any]:
        canary, baseline = measured.queries["canary"], measured.queries["baseline"]
        details: dict[str, Any] = {
            "method": self.method,
            "mode": self.mode,
            "direction": self.direction,
            "queries": [*canary.values(), *baseline.values()],
            "query_roles": [*(f"canary.{k}" for k in canary), *(f"baseline.{k}" for k in baseline)],
        }
        if measured.presence_query is not None:
            details["presence_query"] = measured.presence_query
        if measured.now_query is not None:
            details["presence_now_query"] = measured.now_query
        if measured.baseline_now_query is not None:
            details["baseline_presence_now_query"] = measured.baseline_now_query
        if measured.fallbacks:
            details["fallback_queries"] = [
                {"variant": side, "query": fallback.query, "found": fallback.found}
                for side, fallback in measured.fallbacks.items()
            ]
        if measured.warnings:
            details["prometheus_warnings"] = list(measured.warnings)
        if measured.infos:
            details["prometheus_infos"] = list(measured.infos)
        return details


async def _instant_values(
    ctx: EvalContext, source: PrometheusSource, queries: Mapping[tuple[str, str], str]
) -> tuple[dict[tuple[str, str], float | None], list[QueryResult]]:
    """Run instant queries concurrently; each must give at most one series (None when it gives none). Also the
    answers themselves (for their warnings)."""
    keys = list(queries)
    results = await asyncio.gather(*(source.query(queries[key], ctx.evaluation_time, ctx.timeout_s()) for key in keys))
    values = {}
    for key, result in zip(keys, results, strict=True):
        what = f"{key[0]}.{key[1]} query"
        if key[1] == "query" and result.result_type != "matrix" and len(result.series) > 1:
            # A KPI (a ratio, a latency) summed over its series is no KPI: per-pod error ratios summed over stable's ten
            # pods against the canary's one read ten times stable's ratio. avg, as a mann_whitney range query's says;
            # an outcome ratio's sums divided, which avg(...) of its pods' ratios is not.
            _refuse_several_ratios(result, what, queries[key])
            result.only_series(what, aggregate="avg")
        values[key] = result.single_value(what)
    return values, list(results)


def _refuse_several_ratios(result: QueryResult, what: str, query: str) -> None:
    """CheckMisconfigured when `result`, the answer of the rendered `query` (named `what`), holds several series of an
    outcome ratio (see _outcome_ratio), advising the ratio of its sums; nothing otherwise."""
    if len(result.series) < 2 or _outcome_ratio(query) is None:
        return
    shown = ", ".join(series.describe() for series in result.series[:3])
    more = ", ..." if len(result.series) > 3 else ""
    # Not avg(...) of the pods' ratios: a busy pod failing 10% beside a quiet one at 0 reads 5%, and no pooled counts.
    raise CheckMisconfigured(
        f"the {what} returned {len(result.series)} series ({shown}{more}); it must return one: divide the sums of its "
        "counts, sum(rate(errors[...])) / sum(rate(total[...])) (avg(...) of the series' ratios weighs a quiet "
        "series' ratio as much as a busy one's), or narrow the selectors"
    )


# The label a presence query's series for a label name carries that name in (its other series have only __name__),
# and the one a series for a name read elsewhere than at the evaluation time carries where in (`[1h] offset 1d`).
_LABEL_MARK = "label"
_OVER_MARK = "read_over"


@lru_cache(maxsize=1024)
def _needed_labels(selector: str) -> tuple[str, ...]:
    """needed_labels(selector), cached: an analysis run repeats the same selectors."""
    return needed_labels(selector)


@lru_cache(maxsize=1024)
def _presence(selectors: tuple[tuple[tuple[MetricSelector, frozenset[str]], ...], ...]) -> str:
    """The presence query for the metric names of `selectors` (each with where it is read: see _reads) where they are
    read (one series, labelled with the name only, per name that has any series there; one read elsewhere than at
    the evaluation time labelled with where too), and for the label names their matchers need (see needed_labels: one
    more, labelled with the label's name too, per name with a series carrying it there): one query (cached, as the
    selectors are)."""
    pieces: dict[tuple[str, str], set[str]] = {}
    for found in selectors:
        for selector, overs in found:
            for over in overs:
                for label in ("", *_needed_labels(selector.selector)):
                    pieces.setdefault((over, label), set()).update(selector.names)
    # Those at the evaluation time first, as a query without `offset`, `@` or a long range has only them.
    query = ""
    for (over, label), names in sorted(pieces.items()):
        piece = _marked(_marked(presence_piece(names, over, label), _LABEL_MARK, label), _OVER_MARK, over)
        joined = f"on(__name__, {_LABEL_MARK}, {_OVER_MARK})" if over else f"on(__name__, {_LABEL_MARK})"
        query = f"{query} or {joined} {piece}" if query else piece
    return query


def _marked(piece: str, mark: str, value: str) -> str:
    """`piece` with label `mark` written `value` on each series (`piece` as it is for no value)."""
    if not value:
        return piece
    return f'label_replace({piece}, "{mark}", "{escape_promql_string(value.replace("$", "$$"), chr(34))}", "", "")'


def _label_names(unlabelled: Sequence[tuple[str, MetricSelector, str, str]]) -> list[str]:
    """`metric: label` of each label no series of its metric carries, sorted."""
    return sorted({f"{' or '.join(selector.names)}: {label}" for _, selector, label, _ in unlabelled})


async def _present_names(
    ctx: EvalContext, source: PrometheusSource, presence: str | None
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str, str]], list[QueryResult]]:
    """The metric names the presence query found, each with where ("" for the evaluation time), and those with a
    label, each with where and the label (none asked: none found), and its answer."""
    if presence is None:
        return frozenset(), frozenset(), []
    answer = await source.query(presence, ctx.evaluation_time, ctx.timeout_s())
    found = [
        (series.labels.get("__name__", ""), series.labels.get(_OVER_MARK, ""), series.labels.get(_LABEL_MARK, ""))
        for series in answer.series
    ]
    present = frozenset((name, over) for name, over, label in found if not label)
    return present, frozenset(found), [answer]


async def _hidden(
    ctx: EvalContext, source: PrometheusSource, probes: Mapping[str, tuple[str, str]]
) -> dict[str, Hidden]:
    """Run the hidden-NaN probes (variant -> aggregation, query) concurrently; what each found."""
    sides = list(probes)
    answers = await asyncio.gather(
        *(source.query(probes[side][1], ctx.evaluation_time, ctx.timeout_s()) for side in sides)
    )
    return {
        side: Hidden(probes[side][0], probes[side][1], answer.series)
        for side, answer in zip(sides, answers, strict=True)
    }


async def _fallbacks(
    ctx: EvalContext,
    source: PrometheusSource,
    probes: Mapping[str, tuple[float, str]],
    over: tuple[datetime, datetime, float] | None,
) -> dict[str, Fallback]:
    """Run the fallback probes (variant -> constant, query) concurrently, at the evaluation time or `over` a range
    (start, end, step); whether each found a series (and at which steps of the range)."""
    sides = list(probes)
    if over is None:
        answers = await asyncio.gather(
            *(source.query(probes[side][1], ctx.evaluation_time, ctx.timeout_s()) for side in sides)
        )
        return {
            side: Fallback(probes[side][0], probes[side][1], bool(answer.series))
            for side, answer in zip(sides, answers, strict=True)
        }
    start, end, step_s = over
    answers = await asyncio.gather(
        *(source.query_range(probes[side][1], start, end, step_s, ctx.timeout_s()) for side in sides)
    )
    found = {}
    for side, answer in zip(sides, answers, strict=True):
        steps = frozenset(at for series in answer.series for at, _ in series.samples)
        found[side] = Fallback(probes[side][0], probes[side][1], bool(steps), steps)
    return found


def _windows_read(queries: Iterable[str], offset_s: float) -> tuple[float, ...]:
    """The lengths, sorted, of the windows longer than Prometheus' look-back over which rendered `queries` read a
    selector, among those ending `offset_s` before the evaluation time (those read_now_over_windows asks of)."""
    found = {
        reach.range_s
        for query in queries
        for _, reaches in selector_reads(query, names=True)
        for reach in reaches
        if reach.at_s is None
        and reach.range_s + min(reach.offset_s, 0.0) > LOOKBACK_S
        and max(reach.offset_s, 0.0) == offset_s
    }
    return tuple(sorted(found))


def _window_text(seconds: float) -> str:
    """A window's length in the largest unit it is a whole number of (3600 -> 1h, 5400 -> 90m)."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size and seconds % size == 0:
            return f"{format_number(seconds / size)}{unit}"
    return f"{format_number(seconds)}s"


def _duration(seconds: float) -> str:
    """`seconds` as a PromQL duration: whole seconds, or milliseconds when it has a fraction."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _instant(series: Series) -> float:
    """An instant vector's series' value (NaN without a sample)."""
    return series.samples[-1][1] if series.samples else math.nan


@lru_cache(maxsize=1024)
def _reads(query: str, window_s: float) -> tuple[tuple[MetricSelector, frozenset[str]], ...]:
    """The literal metric selectors of a rendered query, each with where the query reads it when evaluated over
    `window_s`: what it reads before the evaluation time (`offset 1d`, `@`; see presence_over), else "" for the
    evaluation time's look-back, as for a query promql-parser cannot parse. Cached: an analysis run repeats the same
    queries. Parsed only for a query that may read back in time: a Job of the usual one imports no PromQL parser for
    it (about 15 ms)."""
    if "offset" not in query.lower() and "@" not in query:
        return tuple((selector, _NOW) for selector in metric_selectors(query))
    reaches = {selector.selector: found for selector, found in selector_reads(query)}
    return tuple(
        (
            selector,
            frozenset(
                presence_over(reach, window_s) if reach.offset_s or reach.at_s is not None else ""
                for reach in reaches.get(selector.selector, ())
            )
            or _NOW,
        )
        for selector in metric_selectors(query)
    )


# Where a selector is read at the evaluation time's look-back.
_NOW = frozenset({""})


def _missing_reason(
    missing: Sequence[tuple[str, MetricSelector, str]],
    source: str,
    partial: Sequence[str] = (),
    unlabelled: Sequence[tuple[str, MetricSelector, str, str]] = (),
) -> str:
    """Why the metrics of `missing` (role, selector, where it is read: see _reads) stop the check: they have no series
    at all (a misspelled name?) or none where the query reads them (`offset 1d`: a name new since), or, with the
    `partial` warnings of the presence answer, none were found where a store did not answer; and the labels of
    `unlabelled` (role, selector, label, where), which no series of their metric carries (a misspelled label name?)."""
    by_name: dict[tuple[str, str], list[tuple[str, MetricSelector]]] = {}
    for role, selector, over in missing:
        by_name.setdefault((" or ".join(selector.names), over), []).append((role, selector))
    by_label: dict[tuple[str, str, str], list[tuple[str, MetricSelector]]] = {}
    for role, selector, label, over in unlabelled:
        by_label.setdefault((" or ".join(selector.names), label, over), []).append((role, selector))
    parts = []
    for (name, over), uses in by_name.items():
        if partial:
            found = f"metric {name}: no series found in source {source!r}" + _where(over)
        elif over:
            found = f"metric {name} has no series in source {source!r}{_where(over)}"
        else:
            found = (
                f"metric {name} has no series at all in source {source!r} (misspelled, or never exported or scraped)"
            )
        parts.append(f"{found}; {_selected_by(uses)}")
    for (name, label, over), uses in by_label.items():
        found = (
            f"label {label} of metric {name}: no series with it found in source {source!r}{_where(over)}"
            if partial
            else f"label {label} is not on metric {name}, no series of it has it in source {source!r}{_where(over)} "
            "(a misspelled label name?)"
        )
        parts.append(f"{found}; {_selected_by(uses)}")
    if partial:
        misspelt = "metric or label name" if by_name and by_label else "metric name" if by_name else "label name"
        parts[-1] += (
            f", in a presence answer that may be partial ({'; '.join(partial)}): a store that did not answer may "
            f"hold them, so a misspelled {misspelt} cannot be told, and no value read without them is evidence"
        )
    return "; ".join(parts)


def _where(over: str) -> str:
    """Where a selector is read, as a reason says it ("" at the evaluation time)."""
    return f" where the query reads it ({over.strip()})" if over else ""


def _selected_by(uses: list[tuple[str, MetricSelector]]) -> str:
    """`canary.success, baseline.success select it: <the first selector>`."""
    roles = list(dict.fromkeys(role for role, _ in uses))
    return f"{', '.join(roles)} select{'s' if len(roles) == 1 else ''} it: {clip(uses[0][1].selector, _SELECTOR_CHARS)}"


def _samples(result: QueryResult, steps: frozenset[float] | None = None) -> list[float]:
    """The range series' values but NaN (no value at that step) and, given `steps`, but those at other steps (the
    fallback's); infinities stay, for the judge to refuse."""
    series = result.only_series("range query", aggregate="avg")
    if series is None:
        return []
    return [value for at, value in series.samples if not math.isnan(value) and (steps is None or at in steps)]


def _silent_s(result: QueryResult, end: datetime, steps: frozenset[float] | None = None) -> float:
    """Seconds from the last point with a value (not NaN) of a range result's one series to the range's `end`;
    0 without such a point (no series, or only NaN: too few samples decides). A NaN point is no value there
    (a KPI divided by zero traffic: a canary whose workers hung, still scraped), as a missing point is, and so is,
    given `steps`, a point at another step (the fallback's constant)."""
    series = result.only_series("range query", aggregate="avg")
    valued = (
        [at for at, value in series.samples if not math.isnan(value) and (steps is None or at in steps)]
        if series is not None
        else []
    )
    return silence_s(valued[-1], end) if valued else 0.0


def _longest_range_selector(query: str, lookback: str) -> str | None:
    """The longest range (`[5m]`, a subquery's `[1h:1m]`) in a query template, with `{{ lookback }}` put in;
    ranges given by other placeholders are not known before evaluation and are left out."""
    ranges = _RANGE_SELECTOR_RE.findall(_LOOKBACK_PLACEHOLDER_RE.sub(lookback, query))
    return max(ranges, key=parse_duration, default=None)


def _code(query: str) -> str:
    """A query without its comments and spacing outside strings: queries that differ only there are the same."""
    return _STRING_OR_SPACE_RE.sub(lambda found: found.group(0) if found.group(0)[0] in "\"'`" else "", query)


def _traffic_ratio(found: Mapping[tuple[str, str], float | None]) -> float | None:
    """The baseline's events over the canary's, None unless both variants count theirs (minimum evidence has refused
    a count that is not positive and finite)."""
    canary, baseline = found.get(("canary", "events")), found.get(("baseline", "events"))
    if canary is None or baseline is None:
        return None
    return baseline / canary


def _median(values: Sequence[float]) -> float:
    """The median; of two middle values near the float range (1e308) their mean, not the infinity their sum is."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    mean = (ordered[middle - 1] + ordered[middle]) / 2
    # Halved first only when the sum overflows: halving 5e-324 gives 0.
    return mean if math.isfinite(mean) else ordered[middle - 1] / 2 + ordered[middle] / 2


def _relative(difference: float, baseline: float) -> float | None:
    return difference / abs(baseline) if baseline != 0 else None


def _signed_change(difference: float, baseline: float) -> str:
    relative = _relative(difference, baseline)
    absolute = f"{difference:+.6g}"
    return absolute if relative is None else f"{absolute}, {relative * 100:+.3g}%"


def _not_a_count(field: str, query: str, counted: str) -> str | None:
    """A warning when a query read as the lookback's count of events (a proportion's `success` or `total`, an
    `events`) gives none: per second (rate(), or a recorded rate: the events of one second, whose effect on what reads
    it `counted` says), or a counter read without a range (every event since the pod started, not the lookback's)."""
    form = event_form(query)
    syntax = promql_blanked(query)
    # A rate times seconds (`rate(x[30m]) * 1800`, increase() as Prometheus computes it) is a count, and so is a
    # counter less its value a lookback ago (`x_total - x_total offset 30m`), though blind to resets (warned apart:
    # _reset_blind_difference).
    if form == "per_second" and "*" not in syntax:
        return f"{field} is per second (rate() or irate()), and {counted}; write increase(...[{{{{ lookback }}}}])"
    names = [name for selector in metric_selectors(query) for name in selector.names]
    rates = [name for name in names if _RECORDED_RATE_RE.fullmatch(name)]
    if form is None and rates and "*" not in syntax:
        return (
            f"{field} reads {rates[0]}, a recorded rate (per second, by its name), and {counted}; write "
            "increase(...[{{ lookback }}]) of the counter it records"
        )
    counters = [name for name in names if name.endswith(_COUNTERS)]
    # Read back in time without a difference (`x_total offset -5m`), a counter still counts since its start.
    then = re.search(r"\boffset\b|@", syntax, re.IGNORECASE) is not None
    if form is None and counters and "[" not in syntax and not (then and _subtracts(syntax)):
        return (
            f"{field} reads the counter {counters[0]} without a range: its value counts every event since the "
            "process started, not the lookback's, and a restart starts it again from 0; write "
            "increase(...[{{ lookback }}])"
        )
    return None


def _success_ratio(query: str) -> str | None:
    """What says a rendered KPI `query` is a success ratio of requests (see _ratio_said): its numerator picks successes
    by an outcome (`code!~"5.."`, `outcome="SUCCESS"`) or it is a constant less an error ratio (`1 - errors /
    total`); None for anything else, a business KPI's ratio by a success name (`orders / visits`, a conversion far
    from 1, where a relative tolerance is meant) included."""
    said = _ratio_said(query)
    if said is None or said[0] != "successes" or _outcome_ratio(query) is None:
        return None
    return said[1]


def _direction_against_names(direction: Direction, query: str) -> str | None:
    """A warning when a proportion's canary `success` query counts, by its metric names or a matcher's value on an
    outcome label (`outcome="SERVER_ERROR"`, `code=~"5.."`, `success="false"`), the opposite of what `direction`
    calls better: failures better higher, or successes better lower (a direction swapped: every regression passes)."""
    names = [name for selector in metric_selectors(query) for name in selector.names]
    said = [name for name in names if not _NEGATED_FAILURE_RE.search(name)]
    failures = [name for name in said if _FAILURE_WORDS_RE.search(name) or _NEGATED_SUCCESS_RE.search(name)]
    # A matcher picking failures counts them unless they are taken away from something (`all - 5xx`: the successes).
    subtracted = _subtracts(promql_blanked(query))
    picks_5xx = _5XX_MATCHER_RE.search(query) is not None and not subtracted
    picked = _outcomes_picked(query)
    if len({outcome for _, outcome in picked}) > 1:
        # Successes summed with failures the team accepts (`outcome="SUCCESS"` + `outcome="CLIENT_ERROR"`) say neither,
        # as a regex's alternatives that disagree do.
        picked = []
    picking_failures = next((shown for shown, outcome in picked if outcome == "failures"), None)
    if direction == "higher_is_better" and names:
        if len(failures) == len(names):
            counted = f"{failures[0]}, by its name"
        elif picks_5xx:
            counted = f"{names[0]} with a 5xx matcher"
        elif picking_failures is not None and not subtracted:
            counted = f"{names[0]} with {picking_failures}"
        else:
            return None
        return (
            f"canary.success counts failures ({counted}) and direction higher_is_better calls a higher rate of them "
            "better: a canary failing more would pass; if success counts failures, write direction: lower_is_better"
        )
    successes = [name for name in said if _SUCCESS_WORDS_RE.search(name) and not _NEGATED_SUCCESS_RE.search(name)]
    # `orders_total{status="failed"}` counts failed orders: a matcher's value that says failures overrules the name.
    values = [value.lower() for found in _PICKING_MATCHER_RE.finditer(query) for value in found.groups() if value]
    picks_failures = any(
        _FAILURE_WORDS_RE.search(part) or _NEGATED_SUCCESS_RE.search(part)
        for value in values
        for part in value.split("|")
    )
    if direction != "lower_is_better" or not names or failures or picks_failures or picking_failures is not None:
        return None
    picking_successes = next((shown for shown, outcome in picked if outcome == "successes"), None)
    if len(successes) == len(names):
        counted = f"{successes[0]}, by its name"
    elif picking_successes is not None and not subtracted:
        counted = f"{names[0]} with {picking_successes}"
    else:
        return None
    return (
        f"canary.success counts successes ({counted}) and direction lower_is_better calls a lower rate of them "
        "better: a canary converting less would pass; if success counts successes, write direction: "
        "higher_is_better"
    )


def _direction_against_ratio(direction: Direction, query: str) -> str | None:
    """A warning when a ratio's or mann_whitney's rendered canary `query` is a ratio whose numerator counts failures
    or successes (see _ratio_said), a constant less it (`100 - errors / started * 100`, Flagger's gRPC "error rate",
    is a success percentage) the other, and `direction` calls better the way that passes a canary failing more; one
    when the query nests too deeply to be read (which is no failure of the catalog's load)."""
    if direction == "either":
        return None
    try:
        said = _ratio_said(query)
    except RecursionError:
        # _said_between recurses once per bracket or operator: a query a thousand levels deep crashed the load.
        return (
            "canary.query nests its brackets too deeply (hundreds of levels) to read whether it is an error or a "
            f"success ratio, so its direction {direction} is not checked against it; write it with fewer nested "
            "brackets to have it checked"
        )
    if said is None:
        return None
    counts, evidence = said
    if (counts == "failures") == (direction == "lower_is_better"):
        return None
    kind, right = (
        ("an error ratio", "lower_is_better") if counts == "failures" else ("a success ratio", "higher_is_better")
    )
    return (
        f"canary.query is {kind} ({evidence}) and direction {direction} calls a "
        f"{'higher' if direction == 'higher_is_better' else 'lower'} value better: a canary failing more would pass "
        f"and one failing less fail; if the query is {kind}, write direction: {right}"
    )


def _ratio_said(query: str) -> tuple[Literal["failures", "successes"], str] | None:
    """What a rendered KPI `query` is a ratio of, failures or successes, and the fragment that says so: a division
    whose numerator picks one outcome (by its matchers on outcome labels, `code=~"5.."`, or its metric names alone,
    see _numerator_counts), read through sums and averages, scaling by numbers (`* 100`), a fallback (`or
    vector(0)`) and a constant less it (`1 - errors / total`: the other outcome); None for anything else (a mean of a
    measure, a quantile, a difference of queries)."""
    blank = promql_blanked(query)
    if _BOOL_COMPARISON_RE.search(blank):
        return None  # an indicator whose better side its comparison sets, not what the ratio counts
    if "quantile" in _QUANTILE_OVER_TIME_RE.sub("", blank).lower():
        return None  # a ratio of quantiles (`histogram_quantile(0.99, errors_bucket...) / ...`) is no share of events
    if any(name.endswith("_sum") for selector in metric_selectors(query) for name in selector.names):
        return None  # a mean latency (`_sum / _count`) is no share of events, whatever its name picks
    found = _said_between(query, blank, 0, len(blank))
    if found is None:
        return None
    counts, evidence, less = found
    ratio = f"a ratio whose numerator counts {counts}: {evidence}"
    if not less:
        return counts, ratio
    # Each constant the ratio is taken from flips what it says (`100 - (1 - errors / total) * 100`: errors again).
    flipped: Literal["failures", "successes"] = "successes" if counts == "failures" else "failures"
    return counts if len(less) % 2 == 0 else flipped, f"{' less '.join(less)} less {ratio}"


def _said_between(
    query: str, blank: str, start: int, end: int, notes: list[str] | None = None
) -> tuple[Literal["failures", "successes"], str, list[str]] | None:
    """What the expression `query[start:end]` (`blank`: the query with its strings blanked) is a ratio of (see
    _ratio_said), the evidence, and the constants it is taken from, outermost first (each flips what it says); into
    `notes`, what it reads through that keeps its samples from being each step's share of the events (a scaling by
    numbers, a sum, mean, highest or lowest of several series' ratios), see _inexact_reading."""
    start, end = _trimmed(blank, start, end)
    if start >= end:
        return None
    if blank[start] == "(" and _closing(blank, start) == end - 1:
        return _said_between(query, blank, start + 1, end - 1, notes)
    for operators in ("set", "comparison", "additive", "multiplicative"):
        parts = _split(blank, start, end, operators)
        if len(parts) == 1:
            continue
        if operators == "set":
            # `errors / total or vector(0)`: the fallback is a constant, the KPI its first operand. Kept by one of its
            # outcomes alone (`and on() (errors > 0)`), it keeps the steps with errors alone, as `> 0` does; filled
            # back, it reads 0 at its steps without traffic too (0/0, which the filter drops), a share of no events.
            if _kept_by_outcome(query, blank, parts, filled=False):
                return None
            return _said_between(query, blank, parts[0][1], parts[0][2], notes)
        if operators == "comparison":
            # PromQL compares after it divides: `errors / total > 0` keeps the steps with errors alone, whose mean is
            # no share of the events (a filter of the traffic, `errors / (total > 0)`, is read).
            return None
        kept = [(op, s, e) for op, s, e in parts if not _is_number(blank[s:e])]
        if operators == "multiplicative" and any(blank[s:e].lstrip("( \t\n").startswith("-") for _, s, e in parts):
            return None  # a ratio times a negative number (`* -1`) is better the other way
        if any(op == "%" for op, _, _ in parts):
            return None  # `ratio % 0.01` wraps its values, `errors % 2 / total` its count
        ops = [op for op, _, _ in kept]
        if operators == "multiplicative" and len(kept) == 2 and ops[0] in ("", "*") and ops[1] == "/":
            # `(errors > 0) / total` has no sample at the steps without errors, as `errors / total > 0`; nor has
            # `errors / (total and on() (errors > 0))` (a comparison of the traffic, `errors / (total > 0)`, is read).
            # Nor is a count bent at its low values (`clamp_min(errors, 1)`, `errors + 1`) one of its events.
            # Nor is a traffic bent so (`clamp_min(total, 1)` reads a canary failing 4% of 0.05 requests/s at 0.2%).
            if (
                _outcome_filtered(query, blank, kept[0][1], kept[0][2])
                or _outcome_filtered(query, blank, kept[1][1], kept[1][2], compared=False)
                or _count_bent(query, blank, kept[0][1], kept[0][2])
                or _count_bent(query, blank, kept[1][1], kept[1][2])
            ):
                return None
            counted = _numerator_counts(query[kept[0][1] : kept[0][2]], blank[kept[0][1] : kept[0][2]])
            if counted is not None and notes is not None:
                # `errors / total * 100`, `errors * 2 / total`, `(errors * 60) / total`: each step's share scaled.
                factors = (
                    _numbers_factor(blank, parts),
                    _scale(blank, kept[0][1], kept[0][2]),
                    _scale(blank, kept[1][1], kept[1][2]),
                )
                numbers, numerator, denominator = factors
                if numbers is None or numerator is None or not denominator:
                    _note_scaled(notes, None)
                else:
                    _note_scaled(notes, numbers * numerator / denominator)
            return None if counted is None else (counted[0], counted[1], [])
        # One query scaled (`ratio * 100`) or moved by numbers; not one a number is divided by (`1 / ratio`).
        if len(kept) != 1 or ops[0] == "/":
            return None
        if notes is not None and operators == "multiplicative":
            _note_scaled(notes, _numbers_factor(blank, parts))
        elif notes is not None and not (len(parts) == 2 and ops[0] == "-" and _number_value(blank, parts[0]) == 1):
            # `errors / total + 0.05` is no share of the events; `1 - errors / total` is the other outcome's.
            notes.append("the ratio is moved by a number, so each step's value is no share of the events")
        found = _said_between(query, blank, kept[0][1], kept[0][2], notes)
        if found is None or ops[0] != "-":
            return found
        # `1 - errors / total`: the constant less the ratio says the other outcome.
        constant = " ".join(query[parts[0][1] : parts[0][2]].split())
        return found[0], found[1], [constant, *found[2]]
    # An aggregation around the ratio (`sum(rate(a[5m]) / rate(b[5m]))`, `avg by (pod) (...)`).
    call = _AGGREGATION_RE.match(blank, start)
    if call is not None and _GROUPING_RE.fullmatch(blank, _closing(blank, call.end() - 1) + 1, end):
        closing = _closing(blank, call.end() - 1)
        if (
            notes is not None
            and "/" in _by_numbers_removed(blank[call.end() : closing])
            and not _one_series(blank, call.end(), closing)
        ):
            # `max(sum by (pod) (errors) / sum by (pod) (total))`: the worst pod's ratio, as topk(1, ...) of it;
            # `avg(...)` of them: a busy pod failing 10% beside a quiet one at 0 reads 5%, whatever their traffic.
            notes.append(f"{call[0][:3]}() of several series' ratios {_SEVERAL_RATIOS_READ[call[0][:3]]}")
        return _said_between(query, blank, call.end(), closing, notes)
    # The top (or bottom) 1 of one series is that series (`topk(1, sum(errors) / sum(total))`); of several (`sum by
    # (pod)`), the worst pod's ratio, no share of the variant's events.
    call = _SELECTING_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        arguments = _split(blank, call.end(), end - 1, "comma")
        if len(arguments) != 2 or not _is_number(blank[arguments[0][1] : arguments[0][2]]):
            return None
        if not _one_series(blank, arguments[1][1], arguments[1][2]):
            return None
        return _said_between(query, blank, arguments[1][1], arguments[1][2], notes)
    # A function keeping its first argument's values (`label_replace(ratio, ...)`, `clamp_max(ratio, 1)`).
    call = _VALUE_KEEPING_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        arguments = _split(blank, call.end(), end - 1, "comma")
        if _clamped_within(query, call[0], arguments, 1.0) is False:
            return None  # `clamp_min(ratio, 0.01)` reads a canary at 0.5% as a baseline at 0 is read
        return _said_between(query, blank, arguments[0][1], arguments[0][2], notes)
    call = _ABS_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        return None if _moved(blank, call.end(), end - 1) else _said_between(query, blank, call.end(), end - 1, notes)
    call = _OVER_TIME_KEEPING_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        ranged = _range_opened(blank, call.end(), end - 1)
        return None if ranged is None else _said_between(query, blank, call.end(), ranged, notes)
    call = _QUANTILE_OVER_TIME_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        arguments = _split(blank, call.end(), end - 1, "comma")
        if len(arguments) != 2:
            return None
        ranged = _range_opened(blank, arguments[1][1], arguments[1][2])
        return None if ranged is None else _said_between(query, blank, arguments[1][1], ranged, notes)
    call = _FRACTION_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        return _fraction_said(query, blank, call.end(), end - 1)
    # A recorded ratio alone (`job:errors:ratio5m{...}`), by its name.
    if _BARE_SELECTOR_RE.fullmatch(blank, start, end):
        names = [name for selector in metric_selectors(query[start:end]) for name in selector.names]
        recorded = _recorded_ratio(names) if names else None
        if recorded is not None:
            return recorded, f"{names[0]}, a recorded ratio by its name", []
    return None


# What sum(), avg(), max() or min() of several series' outcome ratios reads (see _said_between), no share of the events.
_SEVERAL_RATIOS_READ = {
    "max": "keeps the highest",
    "min": "keeps the lowest",
    "avg": "weighs a quiet series' ratio as much as a busy one's",
    "sum": "adds them up, no ratio of their events",
}


def _inexact_reading(query: str) -> str | None:
    """What a rendered outcome ratio `query` is read through (see _said_between) that keeps its samples from being
    each step's share of the events, so that the mean of its samples times the events counts other events: a scaling
    by numbers (`errors / total * 100` counts 100 errors for each), a move by one (`errors / total + 0.05`), a sum,
    mean, highest or lowest of several series' ratios (`avg(sum by (pod) (errors) / sum by (pod) (total))`); None
    otherwise."""
    blank = promql_blanked(query)
    notes: list[str] = []
    try:
        found = _said_between(query, blank, 0, len(blank), notes)
    except RecursionError:
        return None
    return notes[0] if found is not None and notes else None


def _note_scaled(notes: list[str], factor: float | None) -> None:
    """Into `notes`, that the ratio is scaled by `factor` (None: by a number not read), unless that is 1."""
    if factor is None:
        notes.append("a number the ratio is scaled by is not read")
    elif not math.isclose(factor, 1.0, rel_tol=1e-9):
        shown = format_number(factor)
        notes.append(f"the ratio is scaled by {shown}, so each step's share of the events counts as {shown}x of them")


def _number_value(blank: str, part: tuple[str, int, int]) -> float | None:
    """The value of the number operand `part` (see _split) of `blank`: a literal, bracketed or not; None for any other
    (arithmetic of numbers, `(1/60)`, is not read)."""
    text = blank[part[1] : part[2]].strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    try:
        return float(text)
    except ValueError:
        return None


def _numbers_factor(blank: str, parts: list[tuple[str, int, int]]) -> float | None:
    """The product of the number operands among the multiplicative `parts` (see _split), a divisor's inverted; None
    where one is not read."""
    factor = 1.0
    for op, s, e in parts:
        if not _is_number(blank[s:e]):
            continue
        value = _number_value(blank, (op, s, e))
        if value is None or (op == "/" and value == 0):
            return None
        factor = factor / value if op == "/" else factor * value
    return factor


def _scale(blank: str, start: int, end: int) -> float | None:
    """The number a count `blank[start:end]` is multiplied by, read through brackets, products and divisions by
    numbers and sum/avg/min/max (`sum(rate(errors[5m]) * 60)`: 60); 1 for none, None for one not read."""
    start, end = _trimmed(blank, start, end)
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    parts = _split(blank, start, end, "multiplicative")
    if len(parts) > 1:
        factor = _numbers_factor(blank, parts)
        for op, s, e in parts:
            if factor is None or _is_number(blank[s:e]):
                continue
            inner = _scale(blank, s, e)
            if inner is None or inner == 0:
                return None
            factor = factor / inner if op == "/" else factor * inner
        return factor
    call = _AGGREGATION_RE.match(blank, start)
    if call is not None and _GROUPING_RE.fullmatch(blank, _closing(blank, call.end() - 1) + 1, end):
        return _scale(blank, call.end(), _closing(blank, call.end() - 1))
    return 1.0


def _fills_no_traffic(query: str) -> bool:
    """Whether the rendered `query` fills with a constant (`or on() vector(0)`) what a comparison before it drops, which
    drops a step without traffic (0/0, NaN, or no traffic at all) too: of the ratio (`errors / total > 0`), of the
    traffic (`errors / (total > 0)`), or in a mask (`and on() (errors > 0)`), so that such a step reads as the
    constant."""
    blank = promql_blanked(query)
    start, end = _trimmed(blank, 0, len(blank))
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    parts = _split(blank, start, end, "set")
    for index, (op, s, e) in enumerate(parts):
        if index == 0 or op != "or" or _VECTOR_OF_RE.fullmatch(blank[s:e]) is None:
            continue
        # Anywhere before it: `errors / (total > 0) or on() vector(0)` has no sample where the traffic is 0 either.
        filtered = _MATCHERS_RE.sub("", blank[start:s])
        return _FILTERING_RE.search(filtered) is not None
    return False


def _one_series(blank: str, start: int, end: int) -> bool:
    """Whether `blank[start:end]` (strings blanked) is arithmetic of numbers and aggregations without grouping alone
    (`sum(errors) / sum(total)`), so one series at most."""
    start, end = _trimmed(blank, start, end)
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    for operators in ("additive", "multiplicative"):
        parts = _split(blank, start, end, operators)
        if len(parts) > 1:
            return all(_is_number(blank[s:e]) or _one_series(blank, s, e) for _, s, e in parts)
    call = _WHOLE_AGGREGATION_RE.match(blank, start)
    return call is not None and _closing(blank, call.end() - 1) == end - 1


def _names_outcome(text: str) -> bool:
    """Whether the PromQL `text` names an outcome: a matcher on an outcome label picking one (`code=~"5.."`), or a
    metric name saying failures or successes (`errors_total`)."""
    names = [name for selector in metric_selectors(text) for name in selector.names]
    return bool(_outcomes_picked(text)) or any(_named_outcome(name) is not None for name in names)


def _outcome_filtered(
    query: str, blank: str, start: int, end: int, compared: bool = True, filled: bool = False
) -> bool:
    """Whether the count `query[start:end]` (`blank`: strings blanked) keeps its steps by an outcome, so that it has no
    sample at the others: a comparison of one naming an outcome (`errors > 0`; not read unless `compared`: a
    denominator's traffic names its outcomes, `(ok + errors) > 0`), or one kept by such (`total and on() (errors >
    0)`), unless a fallback (`or on() vector(0)`) fills the steps dropped with their values (`filled`: the filter drops
    the steps at 0 alone, `errors > 0`; not those below a threshold, `errors > 0.5`, read as 0)."""
    start, end = _trimmed(blank, start, end)
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    parts = _split(blank, start, end, "set")
    if len(parts) > 1:
        # Only a fallback to 0 fills exactly what a filter at 0 drops: another series (`or timeouts > 0.5`) fills
        # with its own values, kept by its own filter.
        fills = [_fills_with_zero(blank[s:e]) for _, s, e in parts]
        filled = filled or any(op == "or" and fill for (op, _, _), fill in zip(parts, fills, strict=True))
        return any(
            _outcome_filtered(query, blank, s, e, compared, filled)
            for (op, s, e), fill in zip(parts, fills, strict=True)
            if op in ("", "or") and not fill
        ) or _kept_by_outcome(query, blank, parts, filled)
    for operators in ("comparison", "additive", "multiplicative"):
        parts = _split(blank, start, end, operators)
        if len(parts) == 1:
            continue
        if operators == "comparison":
            exact = filled and _keeps_above_zero(query, parts)
            return compared and any(_names_outcome(query[s:e]) for _, s, e in parts) and not exact
        return any(_outcome_filtered(query, blank, s, e, compared, filled) for _, s, e in parts)
    if (ranged := _range_opened(blank, start, end)) is not None:
        return _outcome_filtered(query, blank, start, ranged, compared, filled)  # a subquery's (`(errors > 0)[5m:1m]`)
    # Within a call (`sum(rate(errors[5m]) > 0)`, `sum by (pod) (...)`), each argument.
    call = _CALL_RE.match(blank, start)
    if call is None or not _GROUPING_RE.fullmatch(blank, _closing(blank, call.end() - 1) + 1, end):
        return False
    closed = _closing(blank, call.end() - 1)
    arguments = _split(blank, call.end(), closed, "comma")
    return any(_outcome_filtered(query, blank, s, e, compared, filled) for _, s, e in arguments)


def _kept_by_outcome(query: str, blank: str, parts: list[tuple[str, int, int]], filled: bool) -> bool:
    """Whether the set operation `parts` (see _split) keeps its first operand's steps by an outcome (`and on() (errors
    > 0)`, `unless on() (errors == 0)`): by any naming one, or, with a fallback to 0 filling the steps dropped
    (`filled`), by a filter of one that drops more than its steps at 0 (`and on() (errors > 0.5) or on() vector(0)`
    reads 0 below it). A mask by the first operand's own counts without a filter (`and on() errors`) keeps every step
    it has a sample at."""
    return any(
        _outcome_filtered(query, blank, s, e, filled=True) if filled else _names_outcome(query[s:e])
        for op, s, e in parts[1:]
        if op != "or" and not (op == "and" and _masks_by_presence(query, blank, parts[0], (s, e)))
    )


def _masks_by_presence(query: str, blank: str, kept: tuple[str, int, int], mask: tuple[int, int]) -> bool:
    """Whether the `and` operand `query[mask[0]:mask[1]]` filters nothing (no comparison, no set operator) and reads
    only metrics the operand it keeps (`kept`, see _split, itself without a fallback) reads: it has a sample wherever
    that one has."""
    start, end = mask
    if _COMPARISON_RE.search(_MATCHERS_RE.sub("", blank[start:end])) or _SET_OPERATOR_RE.search(blank[start:end]):
        return False
    if _FALLBACK_RE.search(blank[kept[1] : kept[2]]):
        return False  # `(errors or on() vector(0)) / total and on() errors` drops the steps before the first error
    names = {name for selector in metric_selectors(query[start:end]) for name in selector.names}
    kept_names = {name for selector in metric_selectors(query[kept[1] : kept[2]]) for name in selector.names}
    return bool(names) and names <= kept_names


def _keeps_above_zero(query: str, parts: list[tuple[str, int, int]]) -> bool:
    """Whether the comparison `parts` (see _split) of a count with a number keeps every value above 0, dropping 0 at
    most (`errors > 0`, `errors >= 0`, `0 < errors`, `errors != -1`), which a fallback to 0 fills exactly; not
    `errors == 0`, `errors < 0` or `errors != 0.4`, which drop counts above 0 for the fallback to read as 0."""
    if len(parts) != 2:
        return False
    (_, left_start, left_end), (op, right_start, right_end) = parts
    left, right = query[left_start:left_end].strip(), query[right_start:right_end].strip()
    if _NUMBER_RE.fullmatch(left) and not _NUMBER_RE.fullmatch(right):
        op, number = _MIRRORED[op], float(left)
    elif _NUMBER_RE.fullmatch(right):
        number = float(right)
    else:
        return False
    return op in (">", ">=", "!=") and number <= 0


def _fills_with_zero(blank: str) -> bool:
    """Whether the set operand `blank` (strings blanked) is a fallback to 0 (`vector(0)`, `on() vector(0)`)."""
    found = _VECTOR_OF_RE.fullmatch(blank)
    return found is not None and _is_zero(found[1])


def _is_zero(text: str) -> bool:
    """Whether `text` (strings blanked) is the number 0 (`0`, `0.0`, `(0)`)."""
    text = text.strip().lstrip("(").rstrip(")").strip()
    return _NUMBER_RE.fullmatch(text) is not None and float(text) == 0


# The functions that move a count's values (`clamp_min(errors, 1)` counts an error a second where none was).
_BENDING_RE = re.compile(r"(?:clamp|clamp_min|clamp_max|ceil|floor|round|sqrt|exp|ln|log2|log10|sgn)\s*\(")


def _count_bent(query: str, blank: str, start: int, end: int) -> bool:
    """Whether the count `query[start:end]` (`blank`: strings blanked) is moved from the events it counts by a number
    added (`errors + 1`) or a function (`clamp_min(errors, 1)`, `ceil(errors)`; not `clamp_min(errors, 0)`, which keeps
    a count), read through brackets, set and arithmetic operators, subqueries and calls."""
    start, end = _trimmed(blank, start, end)
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    for operators in ("set", "comparison", "additive", "multiplicative"):
        parts = _split(blank, start, end, operators)
        if len(parts) == 1:
            continue
        numbers = [_is_number(blank[s:e]) for _, s, e in parts]
        if operators == "additive" and any(numbers):
            return True
        if operators == "multiplicative" and any(op == "%" for op, _, _ in parts):
            return True  # `errors % 2` wraps the count
        if operators == "set" and any(op == "or" and _filled_with_other(blank[s:e]) for op, s, e in parts):
            return True  # `errors or on() vector(1)` counts an error a second where the errors have no sample
        # A mask's values (`and on() (vector(time() % 90) < 30)`) are no part of the count it keeps.
        return any(
            _count_bent(query, blank, s, e)
            for (op, s, e), number in zip(parts, numbers, strict=True)
            if not number and op not in ("and", "unless")
        )
    if len(_split(blank, start, end, "power")) > 1:
        return True  # `errors ^ 2` reads 0.15 errors a second as 0.0225
    if (ranged := _range_opened(blank, start, end)) is not None:
        return _count_bent(query, blank, start, ranged)
    call = _CALL_RE.match(blank, start)
    if call is None or not _GROUPING_RE.fullmatch(blank, _closing(blank, call.end() - 1) + 1, end):
        return False
    arguments = _split(blank, call.end(), _closing(blank, call.end() - 1), "comma")
    if _BENDING_RE.fullmatch(call[0]) and _clamped_within(query, call[0], arguments, math.inf) is not True:
        return True
    return any(_count_bent(query, blank, s, e) for _, s, e in arguments)


_VECTOR_OF_RE = re.compile(r"\s*(?:on\s*\(\s*\)\s*)?vector\s*\(\s*(.*?)\s*\)\s*")


def _filled_with_other(blank: str) -> bool:
    """Whether the fallback `blank` (`or`'s operand, strings blanked) fills with a constant other than 0 (`vector(1)`,
    `on() vector(0.5)`)."""
    found = _VECTOR_OF_RE.fullmatch(blank)
    return found is not None and not _is_zero(found[1])


def _clamped_within(query: str, call: str, arguments: list[tuple[str, int, int]], top: float) -> bool | None:
    """Whether the clamp `call` (`clamp_min(`, `clamp(`; see _split for its `arguments`) keeps every value from 0 to
    `top` as it is (`clamp_min(x, 0)`, `clamp_max(ratio, 1)`); None for a call that is no clamp."""
    name = call.split("(")[0].strip()
    if name not in ("clamp", "clamp_min", "clamp_max"):
        return None
    try:
        bounds = [float(query[s:e].strip()) for _, s, e in arguments[1:]]
    except ValueError:
        return False  # a bound that is no number (`clamp_min(x, scalar(y))`)
    lower = bounds[0] if name != "clamp_max" and bounds else -math.inf
    upper = bounds[-1] if name != "clamp_min" and bounds else math.inf
    return len(bounds) == (2 if name == "clamp" else 1) and lower <= 0 and upper >= top


def _moved(blank: str, start: int, end: int) -> bool:
    """Whether the expression `blank[start:end]` (strings blanked), read as _said_between reads a ratio, adds a number
    to it or takes one from it (`ratio - 0.5`, `1 + ratio`), which moves its values below 0 for abs() to fold; a
    constant less it (`1 - ratio`) and scaling (`ratio * 100`) do not."""
    start, end = _trimmed(blank, start, end)
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    for operators in ("set", "additive", "multiplicative"):
        parts = _split(blank, start, end, operators)
        if len(parts) == 1:
            continue
        kept = [(op, s, e) for op, s, e in parts if not _is_number(blank[s:e])]
        if operators == "additive" and not (len(parts) == 2 and len(kept) == 1 and kept[0][0] == "-"):
            return True
        return any(_moved(blank, s, e) for _, s, e in kept)
    call = _AGGREGATION_RE.match(blank, start) or _VALUE_KEEPING_RE.match(blank, start)
    if call is not None and _closing(blank, call.end() - 1) == end - 1:
        first = _split(blank, call.end(), end - 1, "comma")[0]
        return _moved(blank, first[1], first[2])
    return False


def _range_opened(blank: str, start: int, end: int) -> int | None:
    """Where the range (`[1h]`, a subquery's `[1h:1m]`) of a function's argument `blank[start:end]` opens, when only its
    offset or @ time follow it; None otherwise."""
    depth, opened = 0, None
    for index in range(start, end):
        if blank[index] in "([{":
            if depth == 0 and blank[index] == "[":
                opened = index
            depth += 1
        elif blank[index] in ")]}":
            depth -= 1
    if opened is None or opened == start:
        return None
    closed = _closing(blank, opened)
    return opened if _RANGE_MODIFIERS_RE.fullmatch(blank, closed + 1, end) else None


def _fraction_said(
    query: str, blank: str, start: int, end: int
) -> tuple[Literal["failures", "successes"], str, list[str]] | None:
    """What `histogram_fraction(lower, upper, h)`'s arguments `query[start:end]` say it is a share of: the observations
    at or below `upper` from no lower bound (0 or below: a latency SLI's fast requests), successes; those above `lower`
    to +Inf, failures; a band between two bounds, neither."""
    parts = _split(blank, start, end, "comma")
    if len(parts) != 3:
        return None
    try:
        lower, upper = (float(query[s:e].strip()) for _, s, e in parts[:2])
    except ValueError:
        return None
    names = [name for selector in metric_selectors(query[parts[2][1] : parts[2][2]]) for name in selector.names]
    shown = f"histogram_fraction({query[parts[0][1] : parts[0][2]].strip()}, {query[parts[1][1] : parts[1][2]].strip()}"
    of = f", ...) of {names[0]}" if names else ", ...)"
    if lower <= 0 and math.isfinite(upper) and upper > 0:
        return "successes", f"{shown}{of}, the share at or below {format_number(upper)}", []
    if upper == math.inf and math.isfinite(lower) and lower > 0:
        return "failures", f"{shown}{of}, the share above {format_number(lower)}", []
    return None


def _numerator_counts(text: str, blank: str) -> tuple[Literal["failures", "successes"], str] | None:
    """What a ratio's numerator `text` (`blank`: strings blanked) counts and how it says so: the outcome its matchers
    on outcome labels pick (`code=~"5.."`, `grpc_code!="OK"`, see _outcomes_picked), else the one its metric names all
    say (`errors_total`, `checkout_orders_total`); of a count saying neither less one saying an outcome (`all - 5xx`),
    the other outcome; None for other differences and a numerator that says neither or both."""
    start, end = _trimmed(blank, 0, len(blank))
    while start < end and blank[start] == "(" and _closing(blank, start) == end - 1:
        start, end = _trimmed(blank, start + 1, end - 1)
    parts = _split(blank, start, end, "additive")
    if any(op == "-" for op, _, _ in parts):
        if len(parts) != 2 or _is_number(blank[parts[0][1] : parts[0][2]]):
            return None
        (_, all_start, all_end), (_, taken_start, taken_end) = parts
        if _numerator_counts(query_all := text[all_start:all_end], blank[all_start:all_end]) is not None:
            return None
        taken = _numerator_counts(text[taken_start:taken_end], blank[taken_start:taken_end])
        all_names = [name for selector in metric_selectors(query_all) for name in selector.names]
        if taken is None or not all_names:
            return None
        # `total - errors`: all the events less those of one outcome count the other.
        other: Literal["failures", "successes"] = "successes" if taken[0] == "failures" else "failures"
        return other, f"{all_names[0]} less {taken[1]}"
    names = [name for selector in metric_selectors(text) for name in selector.names]
    named = names[0] if names else "its numerator"
    picked = _outcomes_picked(text)
    outcomes = {outcome for _, outcome in picked}
    if len(outcomes) == 1:
        return picked[0][1], f"{named} with {picked[0][0]}"
    if outcomes or not names:
        return None
    said = {_named_outcome(name) for name in names}
    if len(said) != 1 or (outcome := said.pop()) is None:
        return None
    return outcome, f"{named}, by its name"


def _named_outcome(name: str) -> Literal["failures", "successes"] | None:
    """What a metric name says its events were: successes by a negated failure word (`error_free_sessions_total`) or a
    success word (`checkout_orders_total`), failures by a failure word (`errors_total`) or a negated success word
    (`not_ok_total`)."""
    lowered = name.lower()
    if _NEGATED_SUCCESS_RE.search(lowered):
        return "failures"
    if _NEGATED_FAILURE_RE.search(lowered):
        return "successes"
    if _FAILURE_WORDS_RE.search(lowered):
        return "failures"
    return "successes" if _SUCCESS_WORDS_RE.search(lowered) else None


def _trimmed(blank: str, start: int, end: int) -> tuple[int, int]:
    """`start` and `end` moved past the spaces and the grouping modifiers (`on()`, `ignoring(x)`, `bool`,
    `group_left`) that open an operand of `blank`."""
    while True:
        found = _MODIFIER_RE.match(blank, start, end)
        if found is None or found.end() == start:
            break
        start = found.end()
    while end > start and blank[end - 1].isspace():
        end -= 1
    return start, end


def _closing(blank: str, at: int) -> int:
    """The index of the bracket closing the one at `at` in `blank` (strings blanked); -1 when none does."""
    depth = 0
    for index in range(at, len(blank)):
        if blank[index] in "([{":
            depth += 1
        elif blank[index] in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split(blank: str, start: int, end: int, operators: str) -> list[tuple[str, int, int]]:
    """The operands of `blank[start:end]` joined by its outermost binary operators of one precedence ("set": `or`,
    `unless`, `and`; "comparison": `>`, `==`, ...; "additive": `+`, `-`; "multiplicative": `*`, `/`, `%`; "comma": a
    function's arguments), each with the operator before it ("" for the first)."""
    parts: list[tuple[str, int, int]] = []
    depth, begun, op = 0, start, ""
    index = start
    while index < end:
        char = blank[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            found = _operator_at(blank, start, index, operators)
            if found:
                parts.append((op, begun, index))
                op, begun = found.strip(), index + len(found)
                index = begun
                continue
        index += 1
    parts.append((op, begun, end))
    return parts


def _operator_at(blank: str, start: int, index: int, operators: str) -> str:
    """The binary operator of the precedence `operators` (see _split) at `index` of `blank`, as written; "" for
    none (a unary minus, an exponent's sign)."""
    if operators == "comma":
        return "," if blank[index] == "," else ""
    if operators == "power":
        return "^" if blank[index] == "^" else ""
    if operators == "comparison":
        found = _COMPARISON_RE.match(blank, index)
        return found[0] if found else ""
    if operators == "set":
        found = _SET_OPERATOR_RE.match(blank, index)
        return (
            found[0] if found and (index == 0 or not (blank[index - 1].isalnum() or blank[index - 1] in "_:")) else ""
        )
    char = blank[index]
    if char not in ("+-" if operators == "additive" else "*/%"):
        return ""
    before = blank[start:index].rstrip()
    if not before or before[-1] in "+-*/%^(,=<>~@" or _OFFSET_END_RE.search(before):
        return ""  # unary, or a negative offset (`offset -5m`) or time (`@ -60`)
    if operators == "additive" and _EXPONENT_RE.search(blank, start, index):
        return ""  # `1e-3`
    return char


def _subtracts(blank: str) -> bool:
    """Whether `blank` (a query with its strings blanked) subtracts anywhere: a binary minus, not a sign (`-1`,
    `offset -5m`)."""
    return any(char == "-" and _operator_at(blank, 0, index, "additive") for index, char in enumerate(blank))


def _is_number(text: str) -> bool:
    """Whether `text` (strings blanked) is a number, or arithmetic of numbers alone (`(1/60)`, `60 * 60`)."""
    text = f"({text})"
    while (bracketed := _NUMBERS_BRACKETED_RE.sub("1", text)) != text:
        text = bracketed
    return _NUMBER_RE.fullmatch(text.strip()) is not None


def _outcomes_picked(query: str) -> list[tuple[str, Literal["failures", "successes"]]]:
    """Each matcher of `query` on an outcome label that picks failures or successes alone, as written
    (`outcome="SERVER_ERROR"`), with which: a value each of whose alternatives says failures (a failure word, a 4xx or
    5xx code, a success flag false) or successes; a negative matcher (`code!~"5.."`) picks the other."""
    try:
        selectors = vector_selectors(query)
    except ValueError:  # not PromQL as the lexer reads it: the parser says so at load
        return []
    found: list[tuple[str, Literal["failures", "successes"]]] = []
    for selector in selectors:
        for label, op, value in selector.matchers:
            if label == "le" and (op.startswith("!") or "|" in value):
                # Every other bucket, or two summed, holds no one outcome: only one bucket over the count is a share.
                continue
            said = {_outcome_said(label, part) for part in (value.split("|") if "~" in op else [value])}
            if len(said) != 1 or (outcome := said.pop()) is None:
                continue
            if op.startswith("!"):
                outcome = "successes" if outcome == "failures" else "failures"
            escaped = escape_promql_string(value, '"')
            found.append((f'{label}{op}"{escaped}"', outcome))
    return found


def _outcome_said(label: str, value: str) -> Literal["failures", "successes"] | None:
    """What one value (one alternative of a regex) of an outcome `label` says the events were, if anything; a
    histogram bucket's finite `le` picks the events no slower (or no larger) than it, a latency SLI's successes."""
    if label == "le":
        return "successes" if _is_finite_number(value) else None
    if not _OUTCOME_LABEL_RE.search(label):
        return None
    lowered = value.lower().strip("^$()")
    if _SUCCESS_FLAG_RE.search(label) and lowered in _TRUE_VALUES | _FALSE_VALUES:
        return "successes" if lowered in _TRUE_VALUES else "failures"
    if _FAILURE_FLAG_RE.search(label) and lowered in _TRUE_VALUES | _FALSE_VALUES:
        return "failures" if lowered in _TRUE_VALUES else "successes"
    if lowered.isdigit() and (_EXIT_LABEL_RE.search(label) or _GRPC_LABEL_RE.search(label)):
        if int(lowered) == 0:
            return "successes"
        return "failures" if _EXIT_LABEL_RE.search(label) or int(lowered) <= _GRPC_CODES else None
    if _CODE_LABEL_RE.search(label) and lowered.replace("_", "") in _GRPC_FAILURE_NAMES:
        return "failures"
    # A plain number is an HTTP code only with three digits (`503`), or one on a class label (Envoy's `5`): an error
    # code `1` says nothing of HTTP.
    number = lowered.isdigit() and len(lowered) != (1 if label.lower().endswith("_class") else 3)
    if (
        _CODE_LABEL_RE.search(label)
        and not _GRPC_LABEL_RE.search(label)
        and not number
        and (digit := _CODE_VALUE_RE.match(value)) is not None
    ):
        first = set(digit.group(1) or digit.group(2))
        if first <= set("45"):
            return "failures"
        return "successes" if first <= set("123") else None
    if (_FAILURE_WORDS_RE.search(lowered) and not _NEGATED_FAILURE_RE.search(lowered)) or _NEGATED_SUCCESS_RE.search(
        lowered
    ):
        return "failures"
    return "successes" if _SUCCESS_VALUE_RE.search(lowered) else None


def _is_finite_number(text: str) -> bool:
    """Whether `text` is a finite number as Prometheus writes a bucket's bound (`0.3`, `1e-3`), not `+Inf`."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _reset_blind_difference(field: str, query: str) -> str | None:
    """A warning when `query` counts a counter as its value now less its value at an `offset` or `@` time (`x_total -
    x_total offset 30m`): blind to a reset, it loses what a pod that restarted within the window had counted before;
    or as its max_over_time() less its min_over_time(), which across a reset reads the count before it less 0."""
    syntax = promql_blanked(query)
    if not _subtracts(syntax):
        return None
    if "max_over_time" in syntax and "min_over_time" in syntax and (spread := _COUNTER_SPREAD_RE.search(syntax)):
        return (
            f"{field} counts {spread.group(1)} as its max_over_time() less its min_over_time(), which does not see a "
            "counter reset: a pod that restarted within the window reads as everything it counted since it first "
            "started (the max before the restart) less 0 (the min after it), not the window's events, so the count "
            "is far too large (a total that hides a canary's errors, or errors that fail a sound canary); write "
            "increase(...[{{ lookback }}]), which counts on from 0 after a reset"
        )
    if "offset" not in syntax and "@" not in syntax:
        return None
    found = _COUNTER_AT_OFFSET_RE.search(syntax)
    if found is None:
        return None
    name, then = found.group(1), "an offset" if found.group(2) == "offset" else "an @ time"
    return (
        f"{field} counts {name} as its value now less its value at {then}, which does not see a counter reset: a "
        "pod that restarted within the window (a crash-looping canary) loses what it counted before, so a canary "
        "erring on a restarting pod can count no errors and pass; write increase(...[{{ lookback }}]), which counts "
        "on from 0 after a reset"
    )


def _read_back(field: str, query: str, start_s: float | None = None) -> str | None:
    """A warning when every selector a canary's rendered `query` reads is read before the evaluation time by more than
    Prometheus' look-back (`last_over_time(x[1m] offset 30m)`), or at a fixed `@` time, or at the `@ start()` of a
    range query starting `start_s` before its end, however short: the verdict then judges the canary as it was, not as
    it is. A baseline read back (last week's) is a comparison meant, and not warned."""
    reaches = [reach for _, found in selector_reads(query, start_s=start_s) for reach in found]
    # Read at the range's start (`@ start()`): every step of a lookback within the look-back reads that one moment.
    pinned = set(reaches) - {reach for _, found in selector_reads(query) for reach in found}
    if not reaches or any(
        reach.at_s is None and reach.offset_s <= LOOKBACK_S and reach not in pinned for reach in reaches
    ):
        return None
    offsets = [reach.offset_s for reach in reaches if reach.at_s is None]
    if offsets and pinned:
        then = (
            f"{_window_text(min(offsets))} back (@ start(), the start of mann_whitney's range query over the lookback)"
        )
    elif offsets:
        then = f"{_window_text(min(offsets))} back (offset {_window_text(min(offsets))})"
    else:
        then = f"at a fixed time (@ {min(reach.at_s for reach in reaches if reach.at_s is not None):.15g})"
    return (
        f"{field} reads the canary only {then}, not now: every evaluation judges the canary as it was then (before "
        "its pods started, or before a regression began), so a canary failing now passes on its past; read it now, "
        "without the offset or @ (to compare the canary with the past, put the offset in the baseline's query alone)"
    )


def _by_numbers_removed(syntax: str) -> str:
    """A query's `syntax` (strings blanked) without its divisions by a number (`/ 60`, `/ (1/60)`, `/ vector(60)`),
    which scale a count, not divide it by another query."""
    while True:
        bracketed = _NUMBERS_BRACKETED_RE.sub("1", syntax)
        if bracketed == syntax:
            return _BY_A_NUMBER_RE.sub("", syntax)
        syntax = bracketed


def _outcome_ratio(query: str) -> Literal["failures", "successes"] | None:
    """Whether `query` is a ratio of one outcome of events, whose samples sit at 0 (or 1) more often the less traffic
    they hold, and what its numerator counts: a division by something other than a number with a count of failures
    (`code=~"5.."`, `outcome="SERVER_ERROR"`, `errors_total`) or, by a matcher alone, of successes (`code!~"5.."`, a
    latency SLI's `le="0.3"` bucket, a negated failure name `error_free_sessions_total`) in it, or a recorded ratio by
    its name (`job:errors:ratio5m`), or a quantile_over_time() of one; what the numerator counts as _ratio_said reads
    it (`ok / (ok + errors)` counts successes), by those words only for a query nesting too deeply for it. None for
    others (one _ratio_said cannot read, see _unread_outcome) and a measure's mean (`_sum`)."""
    syntax = promql_blanked(query)
    if "quantile" in _QUANTILE_OVER_TIME_RE.sub("", syntax).lower():
        return None
    names = [name for selector in metric_selectors(query) for name in selector.names]
    try:
        said, deep = _ratio_said(query), False
    except RecursionError:
        said, deep = None, True
    if "/" not in _by_numbers_removed(syntax):
        # `1 - job:errors:ratio5m` is a success ratio, as _ratio_said reads it; `abs(job:errors:ratio5m - 0.5)` none.
        if said is not None:
            return said[0]
        return _recorded_ratio(names) if deep else None
    # A mean latency (`x_seconds_sum / x_seconds_count`) is not at 0 for little traffic, whatever its name picks.
    if any(name.endswith("_sum") for name in names):
        return None
    picked = {said for _, said in _outcomes_picked(query)}
    negated = [name for name in names if _NEGATED_FAILURE_RE.search(name.lower())]
    failing = any(
        _FAILURE_WORDS_RE.search(name.lower()) or _NEGATED_SUCCESS_RE.search(name.lower())
        for name in names
        if name not in negated
    )
    if not (failing or picked or negated):
        # A success-named metric (`orders_total`) is a business KPI's count, not one outcome of every request.
        return None
    if said is not None:
        return said[0]
    # What _ratio_said does not read is no share of the events it names (`ceil(errors / total)`, `(requests / errors)
    # > 0`, `abs(errors / total - 0.5)`): read by the words, its mean times the events counted no events.
    if not deep or _outcome_divides_alone(query, syntax):
        return None
    # A bucket's bound where _ratio_said did not read it as the numerator (`count / bucket`, a band `bucket - bucket`)
    # says no outcome: only the bucket over the count is the share within it.
    kept = {outcome for shown, outcome in _outcomes_picked(query) if not shown.startswith("le=")}
    if not (failing or kept or negated):
        return None
    return "failures" if "failures" in kept or failing else "successes"


def _outcome_divides_alone(query: str, blank: str) -> bool:
    """Whether `query` (`blank`: its strings blanked), read through brackets, sums and avg/min/max/last_over_time,
    divides a numerator naming no outcome by one that does (`requests_total / errors_total`: the requests per error,
    above 1, no share of events), or a number by anything (`1 / (errors / total)`)."""
    start, end = _trimmed(blank, 0, len(blank))
    while start < end:
        call = _AGGREGATION_RE.match(blank, start) or _OVER_TIME_KEEPING_RE.match(blank, start)
        if blank[start] == "(" and _closing(blank, start) == end - 1:
            start, end = _trimmed(blank, start + 1, end - 1)
        elif call is not None and _closing(blank, call.end() - 1) == end - 1:
            ranged = _range_opened(blank, call.end(), end - 1) if "_over_time" in call[0] else end - 1
            if ranged is None:
                break
            start, end = _trimmed(blank, call.end(), ranged)
        else:
            break
    kept = [(op, s, e) for op, s, e in _split(blank, start, end, "multiplicative") if not _is_number(blank[s:e])]
    if len(kept) == 1 and kept[0][0] == "/":
        return True
    if len(kept) != 2 or kept[0][0] not in ("", "*") or kept[1][0] != "/":
        return False
    numerator = query[kept[0][1] : kept[0][2]]
    names = [name.lower() for selector in metric_selectors(numerator) for name in selector.names]
    return not _outcomes_picked(numerator) and not any(
        _FAILURE_WORDS_RE.search(name) or _NEGATED_SUCCESS_RE.search(name) or _NEGATED_FAILURE_RE.search(name)
        for name in names
    )


def _unnamed_recorded_ratio(query: str) -> str | None:
    """The recorded ratio a rendered `query` without a division reads (`job:slo_sli:ratio5m`, see _RECORDED_RATIO_RE)
    when its name says neither failures nor successes (nor a burn rate or a budget); None otherwise."""
    syntax = promql_blanked(query)
    if "/" in _by_numbers_removed(syntax) or "quantile" in syntax.lower():
        return None
    names = [name for selector in metric_selectors(query) for name in selector.names]
    if not names or _recorded_ratio(names) is not None:
        return None
    for name in names:
        lowered = name.lower()
        if not _RECORDED_RATIO_RE.fullmatch(lowered) or _NOT_A_SHARE_RE.search(lowered) or _named_outcome(lowered):
            return None
    return names[0]


def _unread_outcome(query: str) -> str | None:
    """The matcher on an outcome label (`code=~"5.."`) or the metric name (`errors_total`, `job:errors:ratio5m`) by
    which a rendered `query` that divides, or reads a recorded ratio, names an outcome it is not read as a share of by
    _outcome_ratio (`ceil(errors / total)`, `abs(job:errors:ratio5m - 0.5)`, `errors / total > bool 0.01`); None for a
    query naming none, the traffic per failure (`requests / errors`, see _outcome_divides_alone), a quantile, a mean
    (`_sum`), a burn rate and a budget."""
    syntax = promql_blanked(query)
    names = [name for selector in metric_selectors(query) for name in selector.names]
    if "quantile" in _QUANTILE_OVER_TIME_RE.sub("", syntax).lower() or any(name.endswith("_sum") for name in names):
        return None
    if any(_NOT_A_SHARE_RE.search(name.lower()) for name in names):
        return None  # a burn rate or a budget says which way is better itself
    divides = "/" in _by_numbers_removed(syntax)
    if divides and _outcome_divides_alone(query, syntax):
        return None
    if not divides and not any(_RECORDED_RATIO_RE.fullmatch(name.lower()) for name in names):
        return None  # a rate of errors (`sum(rate(errors_total[5m]))`) is no share of anything
    picked = _outcomes_picked(query)
    if picked:
        return picked[0][0]
    return next(
        (name for name in names if _named_outcome(name) == "failures" or _NEGATED_FAILURE_RE.search(name.lower())), None
    )


def _pass_unconfirmed(template: str, rendered: str) -> str | None:
    """Why the ranks' pass of a mann_whitney query with events on both variants is held inconclusive whenever its
    samples lie within 0 to 1 (as _count_checked holds it): it names an outcome it is not read as a share of (see
    _unread_outcome), or is an outcome ratio of which no counts are taken (see _uncounted); None otherwise."""
    counted = _outcome_ratio(template) or _outcome_ratio(rendered)
    if counted is None and (_unnamed_recorded_ratio(template) or _unnamed_recorded_ratio(rendered)):
        return None
    if counted is None and not (_bucket_share(template) or _bucket_share(rendered)):
        named = _unread_outcome(template) or _unread_outcome(rendered)
        return None if named is None else f"names an outcome ({named}) but is not read as its share of the events"
    uncounted = _uncounted(template) or _uncounted(rendered)
    return None if uncounted is None else f"gets no pooled counts: {uncounted}"


def _uncounted(query: str) -> str | None:
    """What keeps an outcome ratio's rendered `query` from giving the ratio of its events at each step, so that the
    mean of its samples times the events counts none: a window's extreme (`max_over_time`) or quantile
    (`quantile_over_time`), or a rounding (`round(errors / total, 0.1)`); None when nothing does."""
    blank = promql_blanked(query)
    if (extreme := _EXTREME_OVER_TIME_RE.search(blank)) is not None:
        kept = "highest" if extreme.group(1) == "max" else "lowest"
        return f"{extreme.group(1)}_over_time() keeps a window's {kept} ratio"
    if _QUANTILE_OVER_TIME_RE.search(blank) is not None:
        return "quantile_over_time() keeps a quantile of a window's ratios"
    if _ROUND_RE.search(blank) is not None:
        return "round() keeps the ratio rounded to a multiple of its second argument (1 without one)"
    return _inexact_reading(query)


def _bucket_share(query: str) -> bool:
    """Whether a rendered `query` divides and reads a histogram bucket at a finite bound (`le="0.3"`), or takes a
    histogram_fraction(): a share of the events though it says no outcome (a band, `(bucket{le="0.5"} -
    bucket{le="0.3"}) / count`, `histogram_fraction(0.3, 0.5, ...)`), which the pooled counts judge when its samples
    lie within 0 to 1."""
    syntax = promql_blanked(query)
    if _FRACTION_RE.search(syntax) is not None:
        return True
    if "/" not in _by_numbers_removed(syntax):
        return False
    try:
        selectors = vector_selectors(query)
    except ValueError:  # not PromQL as the lexer reads it: the parser says so at load
        return False
    return any(
        label == "le" and op == "=" and _is_finite_number(value)
        for selector in selectors
        for label, op, value in selector.matchers
    )


def _recorded_ratio(names: Sequence[str]) -> Literal["failures", "successes"] | None:
    """What a query without a division reading recorded ratios alone (`job:errors:ratio5m`, see _RECORDED_RATIO_RE)
    counts by their names, when they agree: failures by a failure word or a negated success word (`job:not_ok:ratio`),
    successes by a success word or a negated failure word (`job:error_free_requests:ratio5m`); None otherwise."""
    said: set[str | None] = set()
    for name in names:
        lowered = name.lower()
        if not _RECORDED_RATIO_RE.fullmatch(lowered) or _NOT_A_SHARE_RE.search(lowered):
            return None
        if _NEGATED_SUCCESS_RE.search(lowered):
            said.add("failures")
        elif _NEGATED_FAILURE_RE.search(lowered) or _RECORDED_SUCCESS_RE.search(lowered):
            said.add("successes" if not _FAILURE_WORDS_RE.search(_NEGATED_FAILURE_RE.sub("", lowered)) else None)
        else:
            said.add("failures" if _FAILURE_WORDS_RE.search(lowered) else None)
    if said == {"failures"}:
        return "failures"
    return "successes" if said == {"successes"} else None


# A division by a clamp (`/ clamp_min(`, `/ on() (clamp(`), whose lower bound _traffic_clamped reads.
_BY_A_CLAMP_RE = re.compile(r"/\s*(?:(?:on|ignoring)\s*\([^()]*\)\s*)?(?:\(\s*)*(?:clamp_min|clamp)\s*\(")


def _traffic_clamped(field: str, query: str) -> str | None:
    """A warning when the rendered `query` divides by a value clamped from below at a number above 0 (`errors /
    clamp_min(total, 1)`): below that bound the divisor is the bound, not the traffic, so a quiet variant's ratio
    reads lower than it is; None otherwise."""
    blank = promql_blanked(query)
    for found in _BY_A_CLAMP_RE.finditer(blank):
        arguments = _split(blank, found.end(), _closing(blank, found.end() - 1), "comma")
        if len(arguments) < 2 or not _NUMBER_RE.fullmatch(bound := query[arguments[1][1] : arguments[1][2]].strip()):
            continue
        if (floor := float(bound)) <= 0:
            continue
        shown = format_number(floor)
        clamped = " ".join(query[arguments[0][1] : arguments[0][2]].split())
        return (
            f"{field} divides by a value clamped from below at {shown}: where the traffic it clamps is below {shown}, "
            f"the bound divides instead and the ratio reads lower than it is (a canary failing 4% of "
            f"{format_number(floor / 20)} reads 0.2%), so a quiet canary passes as one without errors, and a quiet "
            f"baseline fails a canary like it; divide by the traffic filtered instead, ({clamped} > 0), which leaves "
            "the steps without traffic out"
        )
    return None


def _traffic_scaled(field: str, query: str, direction: Direction) -> str | None:
    """A warning when a ratio or mann_whitney `query` is a count or rate of events with no division
    (`sum(rate(errors_total[5m]))`): it grows with the variant's traffic, which the canary's weight sets, not with its
    quality. Said in what the query's first metric name counts (errors, CPU seconds, bytes, requests)."""
    syntax = promql_blanked(query)
    if "/" in _by_numbers_removed(syntax) or "quantile" in syntax.lower() or "histogram_fraction" in syntax.lower():
        return None
    names = [name for selector in metric_selectors(query) for name in selector.names]
    recorded = [name for name in names if _RECORDED_RATE_RE.fullmatch(name)]
    form = event_form(query)
    if form is None and not recorded:
        return None
    # The name said, and the counter in the ratio to write: none for names a regex picks (`{__name__=~"err.*"}`).
    name = (recorded or names or [""])[0]
    # A matcher picking failures (`code=~"5.."`, `outcome="SERVER_ERROR"`) makes a count of requests one of errors.
    picks_failures = _5XX_MATCHER_RE.search(query) or any(said == "failures" for _, said in _outcomes_picked(query))
    unit = "errors" if picks_failures else _counted_unit(name) if name else "events"
    amount = f"{unit} per second" if form == "per_second" or (form is None and recorded) else unit
    if unit == "requests":
        # A count of the requests themselves measures the split alone: dividing it by the traffic leaves 1.
        said = (
            f"it compares the traffic split: a canary at 10% of the traffic counts a tenth of the baseline's {amount}"
        )
        advice = (
            "compare what the requests did instead: an error ratio, sum(rate(errors[5m])) / sum(rate(requests[5m]))"
        )
    else:
        heavier = (
            f"a canary at 10% of the traffic with ten times the baseline's {unit} per request counts as many {amount}"
        )
        lighter = f"a canary at 10% of the traffic, as good as the baseline, counts a tenth of its {amount}"
        said = {
            "lower_is_better": f"{heavier} as the baseline and passes, as one without traffic does (it counts none)",
            "higher_is_better": f"{lighter} and fails, as one without traffic does (it counts none)",
            "either": f"{heavier} and passes, and one as good as the baseline counts a tenth of them and fails",
        }[direction]
        counter = _counter_of(name) if name else "events"
        advice = f"divide it by the variant's traffic, sum(rate({counter}[5m])) / sum(rate(requests[5m]))" + (
            ", or use method proportion" if unit == "errors" else ""
        )
    through = f"{name} through " if name else ""
    return (
        f"{field} counts events ({through}rate(), irate(), increase(), count_over_time() or a recorded rate, "
        f"without a division): the count grows with the variant's traffic, which the canary's weight sets, not with "
        f"its quality: {said}; {advice}"
    )


def _counted_unit(name: str) -> str:
    """What a counter (or a recorded rate of one) named `name` counts, by its name: errors, CPU seconds, seconds,
    bytes, requests, else the events of `name`."""
    base = _counter_of(name).removesuffix("_total").removesuffix("_count").removesuffix("_sum")
    if _FAILURE_WORDS_RE.search(base) and not _NEGATED_FAILURE_RE.search(base):
        return "errors"
    if base.endswith("_seconds") and not _counter_of(name).endswith("_count"):
        return "CPU seconds" if "cpu" in base.lower() else "seconds"
    if base.endswith("_bytes"):
        return "bytes"
    if re.search(r"(?:^|[_:])requests?(?=$|[_:])", base):
        return "requests"
    return f"{base} events"


def _counter_of(name: str) -> str:
    """The counter a recorded rate's name (`job:http_errors:rate5m`) says it records (`http_errors_total`), or `name`
    itself."""
    if not _RECORDED_RATE_RE.fullmatch(name):
        return name
    # Prometheus' naming practice strips a counter's _total in a recorded rate's name; a _count or _sum stays.
    metric = name.split(":")[-2]
    return metric if metric.endswith(("_total", "_count", "_sum")) else f"{metric}_total"


def _no_drop_fails(relative: float, method: Method) -> str:
    """The warning for direction either with a max_relative_change of 1 or more said to be meant: a KPI never below 0
    (a proportion's rate is one) fails on no drop."""
    kpi = (
        "a rate is never below 0: it drops by 100% at most"
        if method == "proportion"
        else "a KPI that is never below 0 (a rate, a conversion, a count, a latency) drops by 100% at most"
    )
    return (
        f"direction either with max_relative_change {format_number(relative)} (large_relative_change: true) tolerates "
        f"a change of {_percent(relative)} of the baseline either way, and {kpi}, so no drop fails, not even to 0: "
        f"only a rise beyond {_percent(relative)} does; to judge rises alone say so, direction: lower_is_better; to "
        "fail on drops too, judge them with a max_relative_change below 1 (a check of its own, direction: "
        "higher_is_better)"
        + (
            ""
            if method == "proportion"
            else f"; a KPI that can fall below 0 (a margin) fails on a drop of more than {_percent(relative)}"
        )
    )


def _tolerance_in_percent(relative: float, direction: Direction) -> str:
    """The warning for a max_relative_change of 1 or more (5 written for 5%), by what it lets pass in `direction`
    (a proportion better higher refuses it: see _proportion_in_fractions)."""
    fraction = f"a fraction: {format_number(relative / 100)} is {format_number(relative)}%"
    if direction == "lower_is_better":
        return (
            f"max_relative_change {format_number(relative)} tolerates a rise of {_percent(relative)} of the baseline: "
            f"a canary at {format_number(1 + relative)} times the baseline passes; {fraction}; if "
            f"{format_number(relative)} is meant, set large_relative_change: true"
        )
    # Meant only for a KPI that falls below 0: for any other the check guards no drop at all, which no one means.
    fraction += (
        f"; if {format_number(relative)} is meant (a KPI that can fall below 0, such as a margin), set "
        "large_relative_change: true"
    )
    never_below_0 = "a KPI that is never below 0 (a rate, a conversion, a count) drops by 100% at most"
    if direction == "either":
        return (
            f"max_relative_change {format_number(relative)} tolerates a change of {_percent(relative)} of the "
            f"baseline either way: {never_below_0}, so no drop fails, not even to 0; {fraction}"
        )
    return (
        f"max_relative_change {format_number(relative)} tolerates a drop of {_percent(relative)} of the baseline: "
        f"{never_below_0}, so no canary fails; {fraction}"
    )


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.6g}%"


def _describe(value: float | None) -> str:
    return "no series" if value is None else format_number(value)


def _uncomparable(value: float | None) -> str:
    """Why a KPI value that is there cannot be compared: what a NaN or an infinity most likely is."""
    if value is None:
        return ""
    if math.isnan(value):
        # A ratio over a lookback without events, or a quantile of a histogram without traffic, or whose buckets
        # cannot give one (+Inf alone, or no +Inf): no value, which no tolerance can judge.
        return (
            ", which cannot be compared (0/0: no events over the lookback, or a histogram whose buckets cannot give "
            "the quantile?)"
        )
    return ", which cannot be compared (a division by zero?)"
