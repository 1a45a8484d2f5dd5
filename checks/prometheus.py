"""Kind `prometheus`: one PromQL query judged against a threshold."""

from __future__ import annotations

import asyncio
import functools
import itertools
import math
import operator
import re
from collections.abc import Coroutine, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from pydantic import Field, ValidationInfo, field_validator, model_validator

import analyzer.kinds as kinds
from analyzer.kinds import (
    SEVERITY,
    ArgError,
    ArgValue,
    Check,
    CheckMisconfigured,
    Condition,
    ConditionField,
    Duration,
    EvalContext,
    NoDataPolicy,
    NoSeriesFound,
    Outcome,
    Param,
    ParamType,
    PromQLTemplate,
    QuantileArgument,
    QueryResult,
    Reducer,
    ReducerField,
    Series,
    Threshold,
    Variant,
    Verdict,
    clip,
    format_number,
    format_value,
    parse_duration,
    promql_blanked,
    range_step_s,
    refuse_contradicting_names,
    render_value,
    silence_s,
    stopped_reporting,
)

if TYPE_CHECKING:
    from analyzer.kinds import BucketRead, LabelList, MetricSelector, PrometheusSource, Reach

    # A presence query, the selectors it checks, each with the label names its series need, and the label lists it
    # checks (see _presence).
    Presence = tuple[str, tuple[tuple[MetricSelector, tuple[str, ...]], ...], tuple[LabelList, ...]]

# Prometheus refuses range queries of more than 11,000 points per series.
_MAX_RANGE_POINTS = 11000
# Series listed in `details`; the count is always given in full.
_MAX_SERIES_IN_DETAILS = 50
# Labels of a series in details, and the characters of each name and value: the history keeps details for every
# answer, and a target's labels (as Prometheus stores them, unbounded by default) can be megabytes.
_MAX_LABELS_IN_DETAILS = 64
_MAX_LABEL_CHARS_IN_DETAILS = 1024
# PromQL keywords are case-insensitive: `sum BY (pod) (x)` is one series per pod, as `sum by (pod) (x)` is.
_GROUPING_RE = re.compile(r"\b(by|without)\s*\(", re.IGNORECASE)
# The rest of an empty label list after its `(`.
_EMPTY_LIST_RE = re.compile(r"\s*\)")
# A matcher on `le` in a selector as written: a histogram read with one reads chosen buckets, not across them.
_LE_MATCHER_RE = re.compile(r'[{,]\s*(?:le|"le")\s*(?:=~|!~|!=|=)')
# A matcher's value, blanked before looking for `le` matchers: `{path="/a,le=1"}` matches on no `le`.
_MATCHER_VALUE_RE = re.compile(r"""(=~|!~|!=|=)\s*(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)""")
# A quantile reads buckets under any name: a recording rule's (`job:latency_seconds_bucket:rate5m`) too.
_HISTOGRAM_QUANTILE_RE = re.compile(r"\bhistogram_quantile\s*\(")
# An `or` written in a query: only such a query can hold a fallback (see _Judging.fallback).
_OR_WORD_RE = re.compile(r"\bor\b", re.IGNORECASE)
# A `bool` comparison written in a query: one with a scalar() of several elements (NaN) is 0, a finite answer.
_BOOL_WORD_RE = re.compile(r"\bbool\b", re.IGNORECASE)
# An enum value that writes a grouping's keyword, placed bare (`sum {{ g }} (pod) (...)`).
_GROUPING_WORD_RE = re.compile(r"by|without", re.IGNORECASE)
# A histogram in seconds (classic: its `_bucket` series; native: the name itself), a quantile scaled by the query
# (`* 1000`: milliseconds), and the least bound on such a quantile that reads as milliseconds: a rollout gate on a
# request latency of 100 s or more is not met.
_SECONDS_BUCKET_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*_seconds(?:_bucket)?\b")
_SCALED_RE = re.compile(r"[*/]\s*(?:1000|1e3)\b|\b(?:1000|1e3)\s*\*", re.IGNORECASE)
_MILLISECONDS_LIKE = 100.0
# The least upper bound of a `between` / `outside` on a share (0 to 1) that reads as percent: `between 0 and 1` is
# the whole share, as meant.
_ABOVE_ONE = math.nextafter(1.0, math.inf)
# A number as PromQL writes one in decimal (`0.99`, `.5`, `1e-2`), read without its parser.
_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?", re.IGNORECASE)
# An aggregation as written (`sum(`, `sum by (`, `max without (`), and a grouping that keeps `le`.
_AGGREGATION_RE = re.compile(
    r"\b(?:sum|avg|min|max|count|group|stddev|stdvar|quantile)\s*(?=\(|by\b|without\b)", re.IGNORECASE
)
_BY_LE_RE = re.compile(r"\bby\s*\([^()]*\ble\b[^()]*\)", re.IGNORECASE)
# `=` or `!=` before a string holding what reads as a regex (`code="5.."`): kinds.regex_equality_warnings decides.
_MAY_EQUAL_A_REGEX_RE = re.compile(r"""=\s*["'`][^"'`]*?(?:\.[.*+?]|\||\[|\\[dDwWsS])""")
# The verdict's validator, read once: a pydantic model's class attribute is read through its metaclass' __getattr__
# hook, which Python 3.11 does not specialize (about 1.4k instructions, against 0.05k for a global).
_validate_verdict = Verdict.__pydantic_validator__.validate_python


class PrometheusCheck(Check):
    """Run one PromQL query (instant, or range reduced over time) and compare its value to `pass_if`."""

    kind: Literal["prometheus"] = "prometheus"
    params_are_placed: ClassVar[bool] = True
    binds_args_alone: ClassVar[bool] = True
    reads_param_variants: ClassVar[bool] = True
    source: str = Field(default="default", description="name of a Prometheus source in `sources`")
    query: str = Field(min_length=1, description="PromQL template; {{ param }} placeholders")
    pass_if: ConditionField = Field(description="condition the value must meet, e.g. '< 0.01'")
    fail_if: ConditionField | None = Field(
        default=None, description="with it, a value meeting neither condition is inconclusive"
    )
    range: Duration | None = Field(default=None, description="run a range query over this window, e.g. 10m")
    step: Duration | None = Field(default=None, description="range query resolution (default: range / 60)")
    over_time: ReducerField | None = Field(
        default=None, description="how a range reduces each series over time (default avg)"
    )
    min_samples: int = Field(default=1, ge=1, description="finite samples a range series needs to be judged")
    reduce: ReducerField | None = Field(default=None, description="how several series reduce to one value")
    each: bool = Field(default=False, description="judge every series; all must pass")
    optional_metrics: list[str] = Field(
        # Not `default_factory=list`: a builtin's signature is parsed from its text (see analyzer.catalog).
        default_factory=lambda: [],
        description="metric names beside a fallback (`x or vector(0)`) that may have no series at all (a labelled "
        "error counter created on its first error): their absence reads as the fallback instead of a misspelled "
        "name (error)",
    )

    @field_validator("optional_metrics")
    @classmethod
    def _metric_names(cls, value: list[str]) -> list[str]:
        return kinds.metric_names(value)

    @field_validator("query")
    @classmethod
    def _query_placement(cls, query: str, info: ValidationInfo) -> str:
        # Checked here, not only after the model, so a bad query is reported with every other field error.
        if "params" in info.data:
            PromQLTemplate(query, info.data["params"])
        return query

    # In the instance's __dict__, not a pydantic private attribute: those are read through __getattr__, on
    # every evaluation. Built when the catalog is built (`_coherent`).
    @functools.cached_property
    def _template(self) -> PromQLTemplate:
        return PromQLTemplate(self.query, self.params)

    # Read once per evaluation, then its plain attributes (see _Judging). Made when the catalog is built.
    @functools.cached_property
    def _judging(self) -> _Judging:
        return _Judging(self)

    @model_validator(mode="after")
    def _coherent(self) -> PrometheusCheck:
        self._template  # noqa: B018 (compiled now, once)
        if self.reduce is not None and self.each:
            raise ValueError("set either reduce (one value from all series) or each: true (judge every series)")
        if self.reduce is not None and self.reduce.name == "last":
            raise ValueError("reduce: last has no meaning across series; use avg, max, min, sum or quantile(q)")
        if self.range is None:
            for name in ("step", "over_time"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} only applies to range queries; set range too")
            if self.min_samples != 1:
                raise ValueError("min_samples only applies to range queries; set range too")
        else:
            range_s, step_s = parse_duration(self.range), range_step_s(self.range, self.step)
            if step_s > range_s:
                raise ValueError(f"step {self.step} is longer than range {self.range}")
            if range_s / step_s > _MAX_RANGE_POINTS:
                raise ValueError(
                    f"range {self.range} at step {self.step} is more than {_MAX_RANGE_POINTS} points; raise step"
                )
        if "quantile" in self.query.lower():
            quantiles_within_zero_to_one(self.query, self.params, kinds.sample_args(self))
        if self.reduce is None and not self.each:
            if _groups_at_top_level(self.query):
                raise ValueError(
                    "query: it aggregates by/without at the top level, so it returns one series per "
                    "group; set reduce (e.g. max) or each: true"
                )
            self._no_grouping_an_enum_writes()
        self._judging  # noqa: B018 (made now, once)
        return self

    def _no_grouping_an_enum_writes(self) -> None:
        """Refuse, as a written one is, a grouping at the top level that an enum value writes (`sum {{ g }} (pod)
        (...)` with values by and without): one series per group, where the check judges one (misspelt, one series
        judged alone)."""
        for name, param in self.params.items():
            if param.type is not ParamType.ENUM:
                continue
            placeholder = re.compile(r"\{\{\s*" + re.escape(name) + r"\s*\}\}")
            for value in param.values or ():
                if _GROUPING_WORD_RE.fullmatch(value) and _groups_at_top_level(placeholder.sub(value, self.query)):
                    raise ValueError(
                        f"query: with {name}={value} it aggregates {value.lower()} (...) at the top level, so it "
                        "returns one series per group; set reduce (e.g. max) or each: true"
                    )

    # The quantile arguments a param is placed in (`histogram_quantile(({{ q }}), ...)`), read once: an arg of one is
    # checked on every binding (see bind_args).
    @functools.cached_property
    def _quantile_arguments(self) -> tuple[QuantileArgument, ...]:
        return quantile_arguments_placed(self.query, self.params)

    def bind_args(self, raw_args: Mapping[str, Any]) -> dict[str, ArgValue]:
        """Validated args (see Check.bind_args); ArgError for one given to a param placed as a quantile
        (`histogram_quantile({{ q }}, ...)`) outside 0 to 1 (`q=99` meaning p99), where its param sets no such
        bounds: Prometheus answers +Inf for it whatever was measured, which no verdict can judge."""
        bound = super().bind_args(raw_args)
        if self._quantile_arguments:
            quantile_args_within_zero_to_one(self._quantile_arguments, bound, self.secret_params())
        return bound

    def source_names(self) -> frozenset[str]:
        """The one source the query runs against."""
        return frozenset({self.source})

    def warnings(self) -> list[str]:
        """A query whose whole answer falls back to a constant that passes (`ratio or vector(0)`, `(...) * 100`): when
        it measures nothing (no traffic, a canary hash that matches no pod, a misspelt metric) the check passes, where
        its `no_data` policy does not say so; a selector beside a fallback whose metric name is a regex, whose
        existence is not checked; an optional_metrics name no selector beside a fallback reads (a misspelt one leaves
        the name it meant checked: an error while that metric has no series); a regex written after `=`
        (`code="5.."`), which selects nothing; a label value holding a Grafana variable (`job="$job"`), which
        nothing fills in; matchers on the metric name no name meets all of, which every evaluation refuses; a latency
        bound in milliseconds over a quantile in seconds; a query
        that may hold a fallback promql-parser cannot parse, whose names beside it go unchecked."""
        # The lexer's module only for a query that may hold such a matcher: a Job of a plain query does not import it.
        found = kinds.regex_equality_warnings("query", self.query) if _MAY_EQUAL_A_REGEX_RE.search(self.query) else []
        if "$" in self.query or "[[" in self.query:
            found += kinds.grafana_variable_warnings("query", self.query)
        found += self._milliseconds_over_seconds()
        found += self._percent_over_share()
        found += self._buckets_added_up()
        found += kinds.gauge_of_counter_warnings("query", self.query)
        found += self._canary_undeclared()
        found += self._variant_misdeclared()
        if "__name__" in self.query:
            found += kinds.contradicting_name_warnings("query", self.query)
        # With an operator param's word (`{{ op }}` as `or`), not a name there, which does not parse.
        rendered = (
            self._template.render(kinds.parsing_words(self, kinds.sample_args(self))) if self._judging.fallback else ""
        )
        beside = kinds.fallback_selectors(rendered) if rendered else ()
        if rendered and (unreadable := kinds.fallback_unreadable(rendered)) is not None:
            return [
                *found,
                f"query: promql-parser cannot parse it ({clip(unreadable, 200)}), so which metric names stand beside "
                "its fallback (`x or vector(0)`) cannot be told: none is checked for existence at run time, and a "
                "misspelt one reads as the fallback's value (a pass); `analyzer validate --prometheus` checks every "
                "name it reads",
            ]
        found += [
            f"query selector {selector.selector}: metric name given by a regex is not checked for existence (a "
            'misspelled name reads as the fallback\'s value; list the names, as in {__name__=~"a|b"}, to check '
            "them)"
            for selector in beside
            if not selector.names
        ]
        read = {name for selector in beside for name in selector.names}
        found += [
            f"optional_metrics: {name!r} is not a metric name read beside a fallback of the query (`x or vector(0)`), "
            "so it changes nothing: a misspelt name?"
            for name in self.optional_metrics
            if name not in read
        ]
        if self.no_data is NoDataPolicy.PASS or "vector" not in self.query.lower():
            return found
        fallback = kinds.fallback_constant(self._template.render(kinds.sample_args(self)))
        if fallback is None or self._judging.decide(fallback)[0] is not Outcome.PASS:
            return found
        shown = format_number(fallback)
        return [
            *found,
            f"query: its whole answer falls back to vector({shown}) when no series it reads exists "
            f"(`... or vector(0)`, `(... or vector(0)) * 100`), and {shown} meets pass_if {self.pass_if}: when the "
            "query measures nothing (no traffic yet, a canary hash that matches no pod, a misspelt metric or label) "
            "the check passes instead of following its "
            f"no_data policy ({self.no_data.value}); let only traffic make the zero: a ratio as "
            "(sum(rate(errors[5m])) or vector(0)) / sum(rate(requests[5m])), a count as "
            "sum(rate(errors[5m])) or 0 * sum(rate(requests[5m])); or set no_data: pass if nothing measured should "
            "pass",
        ]

    def _canary_undeclared(self) -> list[str]:
        """A query comparing variants its label_value params name over a window longer than the look-back (see
        _named_variants), none of which declares a `variant`: each variant then needs a sample now, and a stable
        scaled to zero (dynamicStableScale, after setWeight: 100) makes every later step no data."""
        judging = self._judging
        if judging.window is not None or not judging.label_params:
            return []
        if any(param.variant is not None for param in self.params.values()):
            return []
        # Each label_value param its own name as its value: their examples may be alike, and a placeholder is.
        args = {**kinds.sample_args(self), **{name: name for name in judging.label_params}}
        now = _read_now(self._template.render(args), judging)
        named = _named_variants(now[0], judging.label_params) if now is not None else ()
        if not named:
            return []
        names = tuple(dict.fromkeys(variant.value for variant in named))
        what = f"params {' and '.join(names)} name" if len(names) > 1 else f"param {names[0]} names and leaves out"
        # Only a name that says so: declared on stable's param, a dead canary passes while stable reports.
        said = {_variant_named(name): name for name in reversed(names)}
        if (canary := said.get(Variant.CANARY)) is not None:
            declare = f"declare the param that names the canary, params.{canary}.variant: canary, and only the canary's"
        elif (baseline := said.get(Variant.BASELINE)) is not None:
            # Stable's param alone (`hash="{{ stable_hash }}"` against `hash!=`, every other pod: the canary's).
            declare = f"declare the param that names stable, params.{baseline}.variant: baseline, and all but stable's"
        else:
            declare = "declare variant: canary on the param that names the canary, and only the canary's"
        return [
            f"query: it compares what {what} over a window longer than the look-back, and each needs a sample now, so "
            "once one stops (a stable ReplicaSet scaled to zero by dynamicStableScale after setWeight: 100) every "
            f"later step is no data; {declare} series are asked"
        ]

    def _variant_misdeclared(self) -> list[str]:
        """A param declaring the variant its name says it does not name (`stable_hash` declared the canary,
        `canary_hash` the baseline): the canary's silence is then not asked, and a dead canary passes on its earlier
        samples while stable reports."""
        found = []
        for name, param in self.params.items():
            said = _variant_named(name)
            if param.variant is None or said is None or said is param.variant:
                continue
            side = "the canary" if said is Variant.CANARY else "stable"
            found.append(
                f"params.{name}.variant: {param.variant.value}, but its name says it names {side}: declared on the "
                "wrong param, the canary's series are not asked for a sample now, and a dead canary passes on its "
                "earlier samples while stable reports; declare variant: canary on the param whose value is the "
                "canary's (valueFrom.podTemplateHashValue: Latest), variant: baseline on stable's"
            )
        return found

    def _milliseconds_over_seconds(self) -> list[str]:
        """A bound of 100 or more on a quantile of a `_seconds` histogram the query does not scale (`pass_if: "< 500"`
        meaning 500 ms): 500 seconds, which every canary meets, the slowest included."""
        histogram = _SECONDS_BUCKET_RE.search(self.query)
        if histogram is None or not _HISTOGRAM_QUANTILE_RE.search(self.query) or _SCALED_RE.search(self.query):
            return []
        found = []
        for field, condition in (("pass_if", self.pass_if), ("fail_if", self.fail_if)):
            bound = max(condition.bounds) if condition is not None else 0.0
            if bound >= _MILLISECONDS_LIKE:
                shown = format_number(bound)
                found.append(
                    f"{field}: {condition} judges a quantile of {histogram.group()}, in seconds: {shown} s. A bound in "
                    f"milliseconds? {shown} ms is {format_number(bound / 1000)}"
                )
        return found

    def _percent_over_share(self) -> list[str]:
        """A bound of 1 or more on a share (`sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m]))`, between 0 and 1), as
        written in percent: `pass_if: "< 1"` meaning 1% passes every canary but one failing every request, and
        `pass_if: "> 99"` (99% succeed) none."""
        conditions = [
            (field, condition)
            for field, condition in (("pass_if", self.pass_if), ("fail_if", self.fail_if))
            if condition is not None
            and condition.op not in ("==", "!=")
            and max(condition.bounds) >= (1.0 if condition.op in ("<", "<=", ">", ">=") else _ABOVE_ONE)
            # All of them, as a share's 1 means: `pass_if: ">= 1"` (no request failed), `fail_if: "< 1"` (any did).
            and (field, condition.op, max(condition.bounds)) not in (("pass_if", ">=", 1.0), ("fail_if", "<", 1.0))
        ]
        if not conditions or "/" not in self.query:
            return []
        rendered = self._template.render(kinds.sample_args(self))
        metric = kinds.share_of_itself(rendered)
        if metric is not None:
            share = f"some of {metric}'s series over all of them"
        elif (failures := kinds.share_of_failures(rendered)) is not None:
            share = f"{failures[0]} over {failures[1]}, failures over all of them"
        else:
            return []
        found = []
        for field, condition in conditions:
            bound = max(condition.bounds)
            shown = format_number(bound)
            found.append(
                f"{field}: {condition} judges a share, {share}: between 0 and 1, where 1 is 100%. A bound in percent? "
                f"{shown}% is {format_number(bound / 100)}"
            )
        return found

    def _buckets_added_up(self) -> list[str]:
        """A quantile of `_bucket` series aggregated without `le` (`sum(rate(x_bucket[5m]))`, `sum by (service)`): the
        buckets add up into series without `le`, in which histogram_quantile finds no bucket: no series, ever."""
        # A label_replace or label_join may write `le` ("le" as its target): what it groups by is not read here.
        if not _HISTOGRAM_QUANTILE_RE.search(self.query) or "_bucket" not in self.query or '"le"' in self.query:
            return []
        # As most are written: each aggregation by (le, ...). Then nothing is parsed (a Job of a latency check
        # imports no parser for its warnings).
        blank = promql_blanked(self.query)
        if len(_BY_LE_RE.findall(blank)) >= len(_AGGREGATION_RE.findall(blank)) and "without" not in blank.lower():
            return []
        try:
            reads = kinds.bucket_reads(self._template.render(kinds.sample_args(self)))
        except ValueError:  # the offline parse reports it
            return []
        found: list[str] = []
        for read in reads:
            grouping, chosen = read.grouping, any(matcher[0] == "le" for matcher in read.matchers)
            if not read.quantile or not read.name.endswith("_bucket") or chosen:
                continue
            if grouping.mode == "by" and "le" not in grouping.labels:
                how = f"by ({', '.join(grouping.labels)})" if grouping.labels else "into one series"
                meant = f"by ({', '.join(('le', *grouping.labels))})"
                meant += "" if grouping.labels else ", as in sum by (le) (rate(...))"
            elif grouping.mode == "without" and "le" in grouping.labels:
                how = f"without ({', '.join(grouping.labels)})"
                kept = [label for label in grouping.labels if label != "le"]
                meant = f"without ({', '.join(kept)})" if kept else "by (le), as in sum by (le) (rate(...))"
            else:
                continue
            warning = (
                f"query: histogram_quantile reads {read.name} aggregated {how}, which drops `le`: the buckets add up "
                "into series without it, in which histogram_quantile finds no bucket, so the query answers no "
                f"series, ever (no data); keep le in the grouping: {meant}"
            )
            if warning not in found:
                found.append(warning)
        return found

    def promql(self, args: Mapping[str, ArgValue]) -> list[tuple[str, str]]:
        """The one query, rendered, then the probe a pass sends when an aggregation in it hides NaN (see
        _unless_hidden; an `@ start()` in it as written), and the presence query sent with it when it has a fallback
        (see _presence)."""
        query = self._template.render(args)
        sent = [("query", query)]
        if (probe := kinds.nan_probe(query, _HIDDEN_SHOWN)) is not None:
            sent.append((f"the probe for elements {probe[0]} leaves out (sent on a pass)", probe[1]))
        if self._judging.window is None and (now := _read_now(query, self._judging)) is not None:
            values, (canary, _) = _label_values(args, self._judging)
            asked, _ = _presence_now(now, values, canary)
            sent.append(("the presence query for the series it reads over a window (sent on a pass)", asked))
        if (
            self._judging.fallback
            and (presence := _presence(query, self._judging.optional, self._judging.window_s)) is not None
        ):
            sent.append(("the presence query for the metric and label names beside its fallback", presence[0]))
        return sent

    def optional_names(self) -> dict[str, str]:
        """`optional_metrics`: names beside a fallback that may have no series at all."""
        absence = "it is in optional_metrics, its absence reads as the fallback's value"
        return dict.fromkeys(self.optional_metrics, absence)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        """Query, reduce to one value (or one per series with `each`), and judge it."""
        # What it reads of the check, from plain attributes: one read through pydantic's __getattr__ hook, not one
        # per setting (see _Judging).
        judging = self._judging
        window, reduce = judging.window, judging.reduce
        promql, encoded = judging.template.render_encoded(ctx.args)
        refuse_contradicting_names(promql)
        # A range query's last step reads as an instant query at its end: with no point there its series are no data,
        # whatever its earlier steps read; a pinned selector reads its one time at every step.
        refuse_reads_of_the_future(promql, ctx.evaluation_time, judging.window_s or None)
        source = ctx.prometheus(judging.source)
        # Only a query with an `or` in it may hold a fallback; the usual one pays nothing here.
        presence = _presence(promql, judging.optional, judging.window_s) if judging.fallback else None
        end = ctx.evaluation_time
        if window is None:
            asked = source.query(promql, end, ctx.timeout_s(), encoded_promql=encoded)
        else:
            start = end - timedelta(seconds=parse_duration(window))
            step_s = range_step_s(window, judging.step)
            asked = source.query_range(promql, start, end, step_s, ctx.timeout_s(), encoded_promql=encoded)
        if presence is None:
            result = await asked
        else:
            result, unknown = await _with_presence(ctx, source, asked, presence)
            if unknown is not None:
                return self._presence_unknown(*unknown)
        if window is not None:
            points = self._range_points(result.series, end, window)
        elif result.result_type == "matrix":
            # Judging the last raw sample would ignore the rest of the window the query names.
            raise CheckMisconfigured(
                "the query returned a range vector (raw samples), not one value per series; reduce its "
                "window in PromQL, e.g. max_over_time(x[5m]), or set range to judge a range query"
            )
        else:
            points = [(series, *_instant_value(series)) for series in result.series]
        details = judging.details(result, points)
        if presence is not None:
            details["presence_query"] = presence[0]
        # A fallback (`or vector(0)`) fills what a comparison with NaN kept nothing of, and a bool comparison with it
        # is 0: a finite answer that may still come of a scalar() of several elements.
        if "scalar" in promql.lower() and (
            judging.fallback
            or _BOOL_WORD_RE.search(promql) is not None
            or not points
            or not all(math.isfinite(value) for _, value, _ in points)
        ):
            await _refuse_scalar_of_several(ctx, source, promql, details)
        if not points:
            return self._absent("the query returned no series", result, details)
        # Only a query with a `by` at its top reads this (a lookup of the query's list, then of each series' labels).
        if (
            judging.grouped
            and (listed := kinds.answer_label_list(promql)) is not None
            and not _carried(listed, points)
            and (one_group := await _one_group(ctx, source, listed, points, result, details, judging)) is not None
        ):
            return self._presence_unknown(one_group, details)
        # An instant query's answer is now: never stale.
        stale = None if window is None else self._stale_for(points, ctx.evaluation_time, window)
        if stale is not None:
            return self._absent(stale, result, details)
        if judging.each:
            cannot_say = await self._buckets_cannot_say(ctx, promql, points, details)
            verdict = self._judge_each(points, details, result.storage_warnings, cannot_say)
            if verdict.outcome is Outcome.PASS and window is None and (now := _read_now(promql, judging)):
                stopped = await _stopped_now(ctx, source, now, *_label_values(ctx.args, judging), details)
                if stopped is not None:
                    return self._stopped(*stopped, details)
            if verdict.outcome is Outcome.PASS and (probe := kinds.nan_probe(promql, _HIDDEN_SHOWN)) is not None:
                return await self._unless_hidden(ctx, probe, details, result.storage_warnings) or verdict
            return verdict
        if len(points) > 1 and reduce is None:
            shown = ", ".join(series.describe() for series, _, _ in points[:3]) + (", ..." if len(points) > 3 else "")
            raise CheckMisconfigured(
                f"the query returned {len(points)} series ({shown}); set reduce or "
                "each: true in the check, or aggregate in PromQL"
            )
        # One loop, not two list comprehensions (each a frame of its own on Python 3.11).
        values: list[float] = []
        unjudgeable: list[tuple[Series, float, int]] = []
        for point in points:
            values.append(point[1])
            if not math.isfinite(point[1]):
                unjudgeable.append(point)
        if unjudgeable:
            # An infinite series speaks first: it is a measurement gone wrong, which a NaN beside it (no traffic,
            # read as good news under no_data: pass) must not hide.
            series, value, samples = next((u for u in unjudgeable if math.isinf(u[1])), unjudgeable[0])
            reason = _no_value_reason(series, value, samples, len(points), self.min_samples)
            return self._unjudged(
                value,
                reason,
                details,
                beside_values=_REDUCED_BESIDE_VALUES if len(unjudgeable) < len(points) else None,
                partial=result.storage_warnings,
                cannot_say=await self._buckets_cannot_say(ctx, promql, points, details),
            )
        value = values[0] if reduce is None else reduce.apply(values)
        subject = "value" if reduce is None else f"{reduce} of {len(values)} series"
        if not math.isfinite(value):
            reason = f"the {subject} is {format_number(value)}, beyond the float range, which cannot be judged"
            return self._unjudged(
                value, reason, details, beside_values=_REDUCED_BESIDE_VALUES, partial=result.storage_warnings
            )
        outcome, threshold = judging.decide(value)
        if outcome is Outcome.PASS and window is None and (now := _read_now(promql, judging)) is not None:
            stopped = await _stopped_now(ctx, source, now, *_label_values(ctx.args, judging), details)
            if stopped is not None:
                return self._stopped(*stopped, details)
        # Asked only of a pass, and without a coroutine for the usual query, which no aggregation of the kind answers.
        if outcome is Outcome.PASS and (probe := kinds.nan_probe(promql, _HIDDEN_SHOWN)) is not None:
            hidden = await self._unless_hidden(ctx, probe, details, result.storage_warnings)
            if hidden is not None:
                return hidden
        # From a dict, by the model's own validator: the same validation as Verdict(**fields), without
        # BaseModel.__init__'s keyword arguments, nor model_validate's frame, which only passes it on.
        return _validate_verdict(  # type: ignore[no-any-return]
            {
                "outcome": outcome,
                "reason": judging.reason(outcome, subject, value),
                "value": value,
                "threshold": threshold,
                "details": details,
            }
        )

    async def _buckets_cannot_say(
        self, ctx: EvalContext, promql: str, points: list[tuple[Series, float, int]], details: dict[str, Any]
    ) -> str | None:
        """Under `no_data: pass`, when a series is NaN: which histogram the query reads across its buckets (a
        `_bucket` selector without an `le` matcher, or any selector a quantile reads) has series, at the evaluation
        time or in the check's range, whose buckets cannot give a quantile (+Inf alone: a client given no buckets;
        or no +Inf), and so NaN whatever the latency, which is no absence of data; None when none has (NaN then is
        no traffic). A query calling histogram_quantile() reads buckets through any selector (a recording rule's);
        series without `le` are no buckets. Each bucket query sent and the bounds it found go to `details`."""
        if self.no_data is not NoDataPolicy.PASS or not any(math.isnan(value) for _, value, _ in points):
            return None
        # Imported here: only this rare path reads a query's selectors (a Job's start does not pay for it).
        from analyzer.kinds import bucket_group_labels, metric_selectors

        window = self._judging.window
        source = ctx.prometheus(self.source)
        quantile = _HISTOGRAM_QUANTILE_RE.search(promql) is not None
        # Each group the query answers for (`sum by (le, service)`: each service) is a quantile of its own: one with
        # +Inf alone is NaN whatever its latency, though the union of every group's bounds has more. A selector
        # promql-parser reads is asked as the query reads it (its own groups, at its own time: `offset`, `@`);
        # another by the union of every selector's groups, at the evaluation time.
        grouped = bucket_group_labels(promql)
        union_by = "without ()" if grouped is None else f"by ({', '.join(('le', *grouped))})"
        reads = _parsed_reads(promql)
        chosen = _quantile_chosen_buckets(promql) if quantile else set()
        probes: dict[str, str] = {}  # each bucket query, and the selector it asks about as written
        for selector in metric_selectors(promql):
            written = selector.selector
            buckets = quantile or any(name.endswith("_bucket") for name in selector.names)
            # A bucket an `le` matcher chooses is no quantile, but a quantile over the buckets chosen
            # (`le=~"0.1|0.5|Inf"`, +Inf misspelt) is NaN whatever the latency when +Inf is not among them.
            le_chosen = _LE_MATCHER_RE.search(_MATCHER_VALUE_RE.sub(r'\1""', written)) is not None
            if not buckets or (le_chosen and not _reads_one_of(written, chosen)):
                continue
            for by, modifiers in _read_as(written, reads) or [(union_by, "")]:
                if window is None:
                    read = f"{written}{modifiers}"
                else:
                    # The probe is an instant query at the range's end: the range's start() is a time of its own.
                    start = ctx.evaluation_time.timestamp() - parse_duration(window)
                    read = f"last_over_time({written}[{window}]{modifiers.replace('@ start()', f'@ {start:.3f}')})"
                probes.setdefault(f"count {by} ({read})", written)
        for query, written in probes.items():
            found = await source.query(query, ctx.evaluation_time, ctx.timeout_s())
            # Series without `le` are no buckets (a metric merely named *_bucket, a quantile's other operands).
            groups: dict[str, set[str]] = {}
            for series in found.series:
                if (le := series.labels.get("le")) is not None:
                    groups.setdefault(_group_of(series.labels), set()).add(le)
            bounds = sorted(set().union(*groups.values())) if groups else []
            details.setdefault("bucket_queries", []).append({"query": query, "bounds": bounds})
            for group, group_bounds in sorted(groups.items()):
                where = clip(written, 200) + (f", group {group}" if len(groups) > 1 else "")
                if group_bounds == {"+Inf"}:
                    return f"a histogram whose only bucket is +Inf ({where}): {_NAN_WHATEVER}"
                if "+Inf" not in group_bounds:
                    return f"a histogram without its +Inf bucket ({where}): {_NAN_WHATEVER}"
            if not bounds and found.storage_warnings:
                # The store that did not answer may hold series with +Inf alone; more bounds found could not.
                return (
                    f"the buckets of a histogram read by an answer that may be partial "
                    f"({clip(found.storage_warnings[0], 200)}): {clip(written, 200)}"
                )
        return None

    async def _unless_hidden(
        self, ctx: EvalContext, probe: tuple[str, str], details: dict[str, Any], partial: list[str]
    ) -> Verdict | None:
        """The verdict for a query answering with an aggregation that leaves elements without a value out (max,
        min, topk, bottomk, quantile: `max(errors_by_pod / requests_by_pod)` answers the pods with traffic alone)
        when its operand has such an element at the evaluation time (the range's end; an `@ start()` at the range's
        start, as the query read it), asked by `probe` (`nan_probe`'s aggregations and query): no pass, as for a
        series without a value beside others under `reduce` (the policy's verdict, inconclusive under no_data: pass);
        None otherwise. Its query and what it found go to `details`."""
        aggregation, query = probe
        if (window := self._judging.window) is not None:
            # An instant query at the range's end, whose own start() is that end: the range's start is pinned.
            query = kinds.pinned_start(query, ctx.evaluation_time.timestamp() - parse_duration(window))
        answer = await ctx.prometheus(self.source).query(query, ctx.evaluation_time, ctx.timeout_s())
        hidden = [(series, _instant_value(series)[0]) for series in answer.series]
        details["hidden_queries"] = [
            {"query": query, "series": [{"labels": _bounded_labels(s.shown_labels()), "value": v} for s, v in hidden]}
        ]
        if not hidden:
            return None
        series, value = next(((s, v) for s, v in hidden if math.isinf(v)), hidden[0])
        cause = "a division by zero?" if math.isinf(value) else "no traffic?"
        reason = (
            f"{aggregation} leaves out {series.describe()} at {format_number(value)}, which cannot be judged ({cause})"
        )
        return self._unjudged(value, reason, details, beside_values=_HIDDEN_BESIDE_VALUES, partial=partial)

    def _presence_unknown(self, reason: str, details: dict[str, Any]) -> Verdict:
        """The verdict when a presence answer that may be partial shows no series of a name beside a fallback:
        neither a misspelled name (an error) nor a fallback's value to judge (which could pass): no evidence."""
        return Verdict(outcome=Outcome.INCONCLUSIVE, reason=reason, threshold=self.pass_if.threshold, details=details)

    def _stale_for(self, points: list[tuple[Series, float, int]], end: datetime, window: str) -> str | None:
        """Why a range query's answer is stale, or None: when every series stopped before the end of its range
        (a canary whose pods died: nothing scraped any more), there is no series now, as an instant query at the
        end would see, whatever their earlier samples say; with `reduce` or `each` too. One series ending while
        others still report is a pod replaced, not a stale answer. `window`: the check's range."""
        # A NaN point is no value there (a ratio over zero traffic: a canary whose workers hung, still scraped), as
        # a missing point is.
        valued_s = [at for series, _, _ in points if (at := _last_valued_s(series)) is not None]
        if not valued_s:
            return None  # no value at all: each series' value is NaN, which follows no_data anyway
        silent_s = silence_s(max(valued_s), end)
        if not stopped_reporting(silent_s, range_step_s(window, self.step)):
            return None
        if len(points) == 1:
            return (
                f"the query's series has no value (no sample, or NaN) in the last {format_number(silent_s)} s of "
                "the range: it stopped reporting or lost its traffic, so its earlier samples say nothing of now"
            )
        return (
            f"none of the query's {len(points)} series has a value (a sample, not NaN) in the last "
            f"{format_number(silent_s)} s of the range: they stopped reporting or lost their traffic, so their "
            "earlier samples say nothing of now"
        )

    def _absent(self, reason: str, result: QueryResult, details: dict[str, Any]) -> Verdict:
        """The verdict for an answer without data now (no series, or series that all stopped): the no_data
        policy's, but no pass when the answer may be partial, since the missing data may be in what is lost."""
        partial = result.storage_warnings
        if partial and self.no_data is NoDataPolicy.PASS:
            # `no_data: pass` reads absent data as good news; in an answer that may lack it, it is no news at all.
            return Verdict(
                outcome=Outcome.INCONCLUSIVE,
                reason=f"{reason} and the answer may be partial ({'; '.join(partial)}): no_data: pass does not "
                "apply to an answer that may lack series",
                threshold=self.pass_if.threshold,
                details=details,
            )
        return self.no_data_verdict(reason, details=details, threshold=self.pass_if.threshold)

    def _stopped(self, reason: str, answer: QueryResult, fallback: float | None, details: dict[str, Any]) -> Verdict:
        """The verdict for a pass read over windows whose series all stopped (see _stopped_now): the no_data
        policy's (see _absent), or, for a query whose `fallback` answers in their absence and does not pass, that
        constant judged, as the query answers once the window holds none of their samples (a NaN or infinite one
        as a value no condition judges, see _unjudged)."""
        if fallback is None:
            return self._absent(reason, answer, details)
        if not math.isfinite(fallback):
            reason = f"{reason}, and its fallback answers {format_number(fallback)} for them, which cannot be judged"
            return self._unjudged(fallback, reason, details, beside_values=None, partial=answer.storage_warnings)
        outcome, threshold = self._judging.decide(fallback)
        return Verdict(
            outcome=outcome,
            reason=f"{reason}, and its fallback answers {format_number(fallback)} for them: "
            f"{self._judging.reason(outcome, 'value', fallback)}",
            value=fallback,
            threshold=threshold,
            details=details,
        )

    def _unjudged(
        self,
        value: float,
        reason: str,
        details: dict[str, Any],
        *,
        beside_values: str | None,
        partial: list[str],
        cannot_say: str | None = None,
    ) -> Verdict:
        """The verdict for a value no condition can judge: the no_data policy's, but never a pass for an
        infinity, which is a measurement gone wrong (errors over zero traffic), nor for a series without a
        value among others that have one (`beside_values`, saying so), where the data is not absent: a reduction
        over all of them could fail, and a series of `each` without a value beside others that have one (a pod
        whose workers hung) is no absence of traffic, nor in an answer that may be `partial` (its storage
        warnings): NaN is no traffic in what the querier read, and the store that did not answer may hold it; nor
        for a NaN that a histogram's buckets could not but give (`cannot_say`, saying why)."""
        why = _why_no_pass(value, beside_values=beside_values, partial=partial, cannot_say=cannot_say)
        if self.no_data is NoDataPolicy.PASS and why is not None:
            return Verdict(
                outcome=Outcome.INCONCLUSIVE,
                reason=f"{reason}; no_data: pass does not apply to {why}",
                threshold=self.pass_if.threshold,
                details=details,
            )
        return self.no_data_verdict(reason, details=details, threshold=self.pass_if.threshold)

    def _range_points(self, series: Iterable[Series], end: datetime, window: str) -> list[tuple[Series, float, int]]:
        """Each series of a range query with its value and sample count (`_series_value`)."""
        # Not a comprehension in `evaluate`: one there would make `self`, `end` and `window` cells on every request.
        return [(one, *self._series_value(one, end, window)) for one in series]

    def _series_value(self, series: Series, end: datetime, window: str) -> tuple[float, int]:
        """One value per series of a range query over `window` (the check's range), and how many finite samples it
        came from; an infinite sample anywhere in a range makes the series' value that infinity (its other samples
        do not speak for the window), and a series still reporting at the range's end but NaN for more than a step
        before it has none (NaN)."""
        finite = [value for _, value in series.samples if math.isfinite(value)]
        infinite = next((value for _, value in series.samples if math.isinf(value)), None)
        if infinite is not None:
            return infinite, len(finite)
        if len(finite) < self.min_samples or _lost_its_values(series, end, range_step_s(window, self.step)):
            return math.nan, len(finite)
        reducer = self.over_time or Reducer("avg")
        if reducer.name == "last":
            last = series.samples[-1][1]
            return last, len(finite)
        return reducer.apply(finite), len(finite)

    def _judge_each(
        self,
        points: list[tuple[Series, float, int]],
        details: dict[str, Any],
        partial: list[str],
        cannot_say: str | None,
    ) -> Verdict:
        judging = self._judging
        judged: list[tuple[Outcome, Series, float]] = []
        # A series without a value beside others that have one is not an absence of data: no pass under no_data.
        beside = _EACH_BESIDE_VALUES if any(math.isfinite(value) for _, value, _ in points) else None
        for series, value, samples in points:
            if math.isfinite(value):
                judged.append((judging.decide(value)[0], series, value))
            else:
                reason = _no_value_reason(series, value, samples, 1, self.min_samples)
                nodata = self._unjudged(value, reason, {}, beside_values=beside, partial=partial, cannot_say=cannot_say)
                judged.append((nodata.outcome, series, value))
        worst = max(SEVERITY[outcome] for outcome, _, _ in judged)
        worst_outcome = next(outcome for outcome, _, _ in judged if SEVERITY[outcome] == worst)
        candidates = [(series, value) for outcome, series, value in judged if outcome is worst_outcome]
        series, value = _most_extreme(candidates, self.pass_if)
        for entry, (outcome, _, _) in zip(details["series"], judged, strict=False):
            entry["verdict"] = outcome.value
        count = sum(1 for outcome, _, _ in judged if outcome is worst_outcome)
        if not math.isfinite(value):
            why = _why_no_pass(value, beside_values=beside, partial=partial, cannot_say=cannot_say)
            if self.no_data is not NoDataPolicy.PASS or why is None:
                policy = f"no_data policy: {self.no_data.value}"
            elif math.isinf(value):
                policy = "an infinite value is never a pass"
            else:
                policy = f"no_data: pass does not apply to {why}"
            reason = (
                f"{count} of {len(judged)} series have no value to judge, e.g. {series.describe()} "
                f"at {format_number(value)} ({policy})"
            )
        elif worst_outcome is Outcome.PASS:
            reason = (
                f"all {len(judged)} series meet pass_if {self.pass_if}; closest {series.describe()} "
                f"at {format_number(value)}"
            )
        else:
            verb = "fail" if worst_outcome is Outcome.FAIL else "are inconclusive"
            reason = f"{count} of {len(judged)} series {verb}; worst " + judging.reason(
                worst_outcome, series.describe(), value
            )
        return Verdict(
            outcome=worst_outcome,
            reason=reason,
            value=value if math.isfinite(value) else None,
            threshold=judging.decide(value)[1],
            details=details,
        )


class _Judging:
    """What an evaluation reads of its check (the query, how it reduces, the conditions), and how it judges and
    gives evidence, as plain attributes made once per check: an attribute of a pydantic model is read through
    BaseModel's __getattr__ hook, which Python 3.11 does not specialize (about 0.47k instructions a read, against
    0.07k for a plain object's), and an evaluation read fifteen (its three methods here among them)."""

    __slots__ = (
        "baseline_params",
        "bounds",
        "canary_param",
        "each",
        "fail_if",
        "fail_threshold",
        "fallback",
        "grouped",
        "label_params",
        "optional",
        "over_time",
        "pass_if",
        "pass_if_text",
        "pass_threshold",
        "reduce",
        "source",
        "step",
        "template",
        "window",
        "window_s",
    )

    def __init__(self, check: PrometheusCheck) -> None:
        self.source = check.source
        self.template = check._template
        self.window = check.range
        self.step = check.step
        self.over_time = check.over_time
        self.reduce = check.reduce
        self.each = check.each
        self.pass_if = check.pass_if
        self.fail_if = check.fail_if
        self.pass_if_text = str(check.pass_if)
        # The thresholds a verdict reports, made once: a number is immutable, shared by every verdict; an interval
        # is a list, made per verdict (None here), as Condition.threshold makes it.
        self.pass_threshold = _shared_threshold(check.pass_if)
        self.fail_threshold = None if check.fail_if is None else _shared_threshold(check.fail_if)
        # Every bound a reason names, which the value written beside them must not read as when it is not one.
        self.bounds = [*check.pass_if.bounds, *(() if check.fail_if is None else check.fail_if.bounds)]
        # Whether the query may hold a fallback (an `or`), decided once from its text and the params that may write
        # one (`{{ op }}`); which one, per rendered query.
        self.fallback = _OR_WORD_RE.search(check.query) is not None or _arg_may_write_fallback(check)
        self.optional = frozenset(check.optional_metrics)
        # The params whose args name a variant in a matcher (`hash="{{ canary_hash }}"`), see _named_variants.
        self.label_params = tuple(name for name, param in check.params.items() if param.type is ParamType.LABEL_VALUE)
        # Of those, the one whose value names the canary and those naming the baseline (`variant`): a variant's
        # silence is no data only for the canary (when declared) or a variant not declared baseline.
        self.canary_param = next((n for n, p in check.params.items() if p.variant is Variant.CANARY), None)
        self.baseline_params = tuple(n for n, p in check.params.items() if p.variant is Variant.BASELINE)
        self.window_s = parse_duration(check.range) if check.range is not None else 0.0
        # Whether the answer's groups may come from a `by` (see _one_group), decided once: at the query's top, or in
        # histogram_quantile()'s histogram (`histogram_quantile(0.99, sum by (le, service) (...))`). Without each or
        # reduce too: spelt right, such a list answers several series (an error), misspelt one, which must not pass.
        self.grouped = _GROUPING_RE.search(check.query) is not None or _arg_may_write_grouping(check)

    def decide(self, value: float) -> tuple[Outcome, Threshold]:
        """The outcome for `value`, and the bound that decided it: fail_if's when it matched, else pass_if's (one
        pass over the conditions, each read once)."""
        fail_if, pass_if = self.fail_if, self.pass_if
        if fail_if is not None and fail_if.matches(value):
            number = self.fail_threshold
            return Outcome.FAIL, fail_if.threshold if number is None else number
        number = self.pass_threshold
        threshold = pass_if.threshold if number is None else number
        if pass_if.matches(value):
            return Outcome.PASS, threshold
        return (Outcome.INCONCLUSIVE if fail_if is not None else Outcome.FAIL), threshold

    def reason(self, outcome: Outcome, subject: str, value: float) -> str:
        # 79.9999999 to 6 significant digits read "value 80 meets pass_if < 80".
        shown = format_value(value, self.bounds)
        if outcome is Outcome.PASS:
            return f"{subject} {shown} meets pass_if {self.pass_if_text}"
        if outcome is Outcome.FAIL and self.fail_if is not None and self.fail_if.matches(value):
            return f"{subject} {shown} meets fail_if {self.fail_if}"
        rounded = _rounded_onto(self.pass_if, value)
        if outcome is Outcome.FAIL:
            return f"{subject} {shown} does not meet pass_if {self.pass_if}{rounded}"
        return f"{subject} {shown} meets neither pass_if {self.pass_if}{rounded} nor fail_if {self.fail_if}"

    def details(self, result: QueryResult, points: list[tuple[Series, float, int]]) -> dict[str, Any]:
        # A loop, not a list comprehension (a frame of its own on Python 3.11): most queries answer one series.
        shown = []
        for series, value, samples in points[:_MAX_SERIES_IN_DETAILS]:
            shown.append({"labels": _bounded_labels(series.shown_labels()), "value": value, "samples": samples})
        details: dict[str, Any] = {
            "queries": [result.query],
            "result_type": result.result_type,
            "series_count": len(points),
            "series": shown,
            "pass_if": self.pass_if_text,
        }
        if self.fail_if is not None:
            details["fail_if"] = str(self.fail_if)
        if self.window is not None:
            details["range"] = {
                "window": self.window,
                "step_s": range_step_s(self.window, self.step),
                "over_time": str(self.over_time or Reducer("avg")),
            }
        if self.reduce is not None:
            details["reduce"] = str(self.reduce)
        # What Prometheus said about its answer (a partial response, a counter that might not be one).
        if result.warnings:
            details["prometheus_warnings"] = result.warnings
        if result.infos:
            details["prometheus_infos"] = result.infos
        return details


# Presence queries kept, by rendered query (a rollout asks with the same args at every step).
_PRESENCE_KEPT = 1024


# The label a presence query's series for a label name carries that name in (its other series have only __name__).
_LABEL_MARK = "label"


@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _presence(promql: str, optional: frozenset[str], window_s: float) -> Presence | None:
    """The presence query for the metric names read beside a fallback of `promql` (`x or vector(0)`: when x matches no
    series, the fallback answers for it), and for the label names their matchers need (see needed_labels: `cdoe=~"5.."`
    matches no series of a metric none of whose series has `cdoe`), but selectors naming one of `optional`, and those
    selectors with the labels they need, and for the labels of the label lists there (see fallback_label_lists:
    `ignoring (cdoe)` matches on every label); None when there are none (no fallback, or only regex names). It looks
    where each selector reads (its range, offset, `@`), over a range query's `window_s` too: a name with series only
    there exists, a label too."""
    reads = [
        (selector, reaches, kinds.needed_labels(selector.selector))
        for selector, reaches in kinds.fallback_reads(promql)
        if selector.names and not any(name in optional for name in selector.names)
    ]
    if not reads:
        return None
    # A list over an optional metric may name a label of its series alone, which it may have none of yet.
    lists = tuple(
        listed
        for listed in kinds.fallback_label_lists(promql)
        if not any(name in optional for names, _ in listed.reads for name in names)
    )
    # By (where it reads, label name or "" for the names' own presence): the names read there.
    pieces: dict[tuple[str, str], set[str]] = {}
    for selector, reaches, labels in reads:
        for reach in reaches:
            over = kinds.presence_over(reach, window_s)
            for label in ("", *labels):
                pieces.setdefault((over, label), set()).update(selector.names)
    for listed in lists:
        for names, reach in listed.reads:
            over = kinds.presence_over(reach, window_s)
            for label in listed.labels:
                pieces.setdefault((over, label), set()).update(names)
    named = [kinds.presence_piece(names, over, "") for (over, label), names in sorted(pieces.items()) if not label]
    # A label's series stand beside its metric's: matched on the label carrying its name too.
    labelled = [
        f'label_replace({kinds.presence_piece(names, over, label)}, "{_LABEL_MARK}", '
        f'"{kinds.escape_promql_string(label.replace("$", "$$"), chr(34))}", "", "")'
        for (over, label), names in sorted(pieces.items())
        if label
    ]
    query = " or on(__name__) ".join(named) + "".join(f" or on(__name__, {_LABEL_MARK}) {piece}" for piece in labelled)
    return query, tuple((selector, labels) for selector, _, labels in reads), lists


async def _with_presence(
    ctx: EvalContext,
    source: PrometheusSource,
    asked: Coroutine[Any, Any, QueryResult],
    presence: Presence,
) -> tuple[QueryResult, tuple[str, dict[str, Any]] | None]:
    """The answer to `asked`, sent beside `presence`'s query; CheckMisconfigured when a selector beside the fallback
    names no metric that has a series at all, or needs a label no series of its metrics carries, at the evaluation
    time or in the answer (a misspelled metric or label name: the fallback would answer for it, and pass). With it,
    the reason and details of an inconclusive verdict when the presence answer that shows none of them may be
    partial, else None. The same for a label list there (`by`, `ignoring`...) none of whose labels any series it is over
    carries (it does nothing: `ignoring (cdoe)` matches on every label, and the answer may be the fallback's). An error
    of either query is the verdict (the query's first): never a pass on a presence not known."""
    query, selectors, lists = presence
    answers: tuple[QueryResult | BaseException, QueryResult | BaseException] = await asyncio.gather(
        asked, source.query(query, ctx.evaluation_time, ctx.timeout_s()), return_exceptions=True
    )
    result, present = answers
    if isinstance(result, BaseException):
        raise result
    if isinstance(present, BaseException):
        raise present
    # A series of the answer that kept its metric name is one of that metric (a fallback has none), with its labels:
    # a range query reads a metric that stopped before its end, which the presence query, at the end, no longer finds.
    found = {series.labels.get("__name__", "") for answer in (present, result) for series in answer.series}
    labelled = {(series.labels.get("__name__", ""), series.labels.get(_LABEL_MARK, "")) for series in present.series}
    missing = [selector for selector, _ in selectors if found.isdisjoint(selector.names)]
    unlabelled = [
        (selector, label)
        for selector, labels in selectors
        if not found.isdisjoint(selector.names)
        for label in labels
        if not any((name, label) in labelled for name in selector.names)
        # The answer is read only when the presence answer lacks the label: most evaluations never get here.
        and not any(
            series.labels.get("__name__", "") in selector.names and label in series.labels for series in result.series
        )
    ]
    idle = [listed for listed in lists if _idle(listed, found, labelled, result)]
    if not missing and not unlabelled and not idle:
        return result, None
    where: dict[tuple[str, ...], list[str]] = {}
    for selector in missing:
        where.setdefault(selector.names, []).append(f"query selector {selector.selector}")
    label_where: dict[tuple[tuple[str, ...], str], list[str]] = {}
    for selector, label in unlabelled:
        label_where.setdefault((selector.names, label), []).append(f"query selector {selector.selector}")
    missing_labels = sorted(
        {f"{' or '.join(names)}: {label}" for names, label in label_where}
        | {f"{' or '.join(_list_names(listed))}: {label}" for listed in idle for label in listed.labels}
    )
    if partial := present.storage_warnings:
        # A store that did not answer (Thanos, Mimir, remote read) may hold the names or labels: none can be called
        # misspelled, and the fallback may be answering for them.
        unseen = (
            [
                f"{'; '.join(written)}: no series of metric {' or '.join(names)} found"
                for names, written in where.items()
            ]
            + [
                f"{'; '.join(written)}: no series of metric {' or '.join(names)} with label {label} found"
                for (names, label), written in label_where.items()
            ]
            + [
                f"query {listed.written}: no series of metric {' or '.join(_list_names(listed))} with "
                f"{'label' if len(listed.labels) == 1 else 'any of labels'} {', '.join(listed.labels)} found"
                for listed in idle
            ]
        )
        details: dict[str, Any] = {"queries": [result.query], "presence_query": query}
        if missing:
            details["unseen_metrics"] = sorted({name for selector in missing for name in selector.names})
        if unlabelled or idle:
            details["unseen_labels"] = missing_labels
        return result, (
            "; ".join(unseen)
            + f", in a presence answer that may be partial ({'; '.join(partial)}): a store that did not answer "
            f"may hold them, so the fallback's value cannot be told from a misspelled "
            f"{_misspelt(missing, bool(unlabelled or idle))}",
            {**details, "prometheus_warnings": present.warnings},
        )
    problems = []
    if missing:
        problems.append(
            "; ".join(
                f"{'; '.join(written)}: no series of metric {' or '.join(names)} exist at all"
                for names, written in where.items()
            )
            + " (a misspelled metric name?). An existing metric without matching series reads as the fallback's "
            "value; a metric that appears only with its first error belongs in optional_metrics"
        )
    if unlabelled:
        problems.append(
            "; ".join(
                f"{'; '.join(written)}: label {label} is not on metric {' or '.join(names)}, no series of it has it"
                for (names, label), written in label_where.items()
            )
            + " (a misspelled label name?). A label on the metric without matching series reads as the fallback's "
            "value; a label that appears only with the first error: list its metric in optional_metrics"
        )
    if idle:
        problems.append(
            "; ".join(
                f"query {listed.written}: {_labels_phrase(listed.labels)} on no series of metric "
                f"{' or '.join(_list_names(listed))} (a misspelled label name?), so it does nothing: "
                f"{_IDLE_EFFECT[listed.written.partition(' ')[0]]}"
                for listed in idle
            )
            + ". The answer may then be empty, and the fallback's value answers for it: write the label as its series "
            "carry it, or drop the list"
        )
    details = {"queries": [result.query], "presence_query": query}
    if missing:
        details["missing_metrics"] = sorted({name for selector in missing for name in selector.names})
    if unlabelled or idle:
        details["missing_labels"] = missing_labels
    raise NoSeriesFound(
        "; ".join(problems),
        details=details,
        source=source,
        names=tuple(sorted({name for selector in missing for name in selector.names})),
    )


def _carried(listed: LabelList, points: list[tuple[Series, float, int]]) -> bool:
    """Whether a series of the answer carries a label of the `by` (or `without`) list its groups come from
    (`listed`)."""
    return any(label in series.labels for series, _, _ in points for label in listed.labels)


async def _one_group(
    ctx: EvalContext,
    source: PrometheusSource,
    listed: LabelList,
    points: list[tuple[Series, float, int]],
    result: QueryResult,
    details: dict[str, Any],
    judging: _Judging,
) -> str | None:
    """For an answer none of whose series carries a label of the `by` list its groups come from (`listed`, see
    answer_label_list): CheckMisconfigured when no series read had any of them (a misspelled label name: one group,
    every pod's errors over every pod's requests, a failing pod diluted by the healthy ones), or, when the answer may be
    partial, the reason of an inconclusive verdict (a store that did not answer may hold series with them). An answer
    past a filter (`> 0.5`, topk) may have kept only the group of the series without them: then a presence query of
    the labels where the list reads tells, and nothing when it finds one. The same for a `without` list, whose labels
    no series of an answer carries: one that drops none (`sum without (pdo) (queue_depth)`) keeps apart the series it
    was to add up, each judged alone under `each` (pods at 3 and 7 pass `< 8`, where their sum, 10, fails), reduced
    under `reduce`; an answer of one series is the same whatever the list drops, and is judged."""
    labels = listed.labels
    by = listed.written.startswith("by")
    if not by and len(points) < 2:
        return None
    partial = list(result.storage_warnings)
    if not listed.whole:
        pieces = {
            kinds.presence_piece(set(names), kinds.presence_over(reach, judging.window_s), label)
            for names, reach in listed.reads
            for label in labels
        }
        query = " or ".join(sorted(pieces))
        details["label_presence_query"] = query
        present = await source.query(query, ctx.evaluation_time, ctx.timeout_s())
        if present.series:
            return None
        partial += present.storage_warnings
    names = " or ".join(_list_names(listed))
    missing = [f"{names}: {label}" for label in labels]
    if partial:
        details["unseen_labels"] = missing
        return (
            f"query {listed.written}: no series of metric {names} with {_labels_phrase(labels, 'found')}, in an answer "
            f"that may be partial ({'; '.join(partial)}): a store that did not answer may hold them, so "
            f"{'its one group' if by else 'its series kept apart'} cannot be told from a misspelled label name"
        )
    details["missing_labels"] = missing
    if not by:
        # What becomes of the series kept apart depends on the check: judged one by one, reduced, or one expected.
        if judging.each:
            spread = f", each judged alone ({len(points)} series)"
        elif judging.reduce is not None:
            spread = f", and reduce: {judging.reduce} reduces them, not their sum ({len(points)} series)"
        else:
            spread = f" ({len(points)} series, where the check judges one)"
        raise CheckMisconfigured(
            f"query {listed.written}: {_labels_phrase(labels)} on no series of metric {names} it reads (a misspelled "
            f"label name?), so it does nothing: {_IDLE_EFFECT['without']}{spread}: write the label as its series "
            "carry it, or drop the list where they lack it",
            details=details,
        )
    raise CheckMisconfigured(
        f"query {listed.written}: {_labels_phrase(labels)} on none of the {len(points)} series of its answer: no "
        f"series of metric {names} it reads has {'it' if len(labels) == 1 else 'any of them'} (a misspelled label "
        "name?), so every series falls in one group, judged as one: write the label as its series carry it, or drop "
        "the list if one group is meant",
        details=details,
    )


# What a label list none of whose labels its series carry does (see _with_presence).
_IDLE_EFFECT = {
    "by": "every series falls in one group",
    "without": "it drops no label: the series it was to add up stay apart",
    "on": "every series matches every other, as on () does",
    "ignoring": "series match on every label, as without it",
}


def _idle(listed: LabelList, found: set[str], labelled: set[tuple[str, str]], result: QueryResult) -> bool:
    """Whether the label list `listed` does nothing: a metric it is over has series (else the name is missing), and
    neither the presence answer nor the answer shows any of its labels on them."""
    names = _list_names(listed)
    if found.isdisjoint(names):
        return False
    if any((name, label) in labelled for name in names for label in listed.labels):
        return False
    return not any(label in series.labels for series in result.series for label in listed.labels)


def _list_names(listed: LabelList) -> tuple[str, ...]:
    """The metric names a label list is over, each once, sorted."""
    return tuple(sorted({name for names, _ in listed.reads for name in names}))


def _labels_phrase(labels: tuple[str, ...], verb: str = "") -> str:
    """`label cdoe is`, or `labels a, b are`; with `verb`, `label cdoe found` or `any of labels a, b found`."""
    if len(labels) == 1:
        return f"label {labels[0]} {verb or 'is'}"
    return f"any of labels {', '.join(labels)} {verb}" if verb else f"labels {', '.join(labels)} are"


def _misspelt(missing: list[MetricSelector], labels: bool) -> str:
    """What a presence answer that may be partial cannot tell from the fallback's value."""
    if missing and labels:
        return "metric or label name"
    return "metric name" if missing else "label name"


def _arg_may_write_fallback(check: PrometheusCheck) -> bool:
    """Whether an arg may write the `or` of a fallback into the query (`x {{ op }} vector(0)`): rendered with `or`
    for a param that may write one (see _may_write_or), the query has a name beside a fallback; True when another
    param may write a word too. Decided at load: a query no arg can make a fallback of pays nothing per evaluation."""
    writers = [name for name, param in check.params.items() if _may_write_or(param)]
    if not writers:
        return False
    if sum(1 for param in check.params.values() if _may_write_word(param)) > 1:
        # Another arg may write the word that makes the constant beside the `or` (`x {{ op }} vector(0) {{ gate }}
        # on() y` is a fallback with op=or, gate=and, none with gate's sample `+`), and trying each arg's words costs
        # a parse of the query per word: read as each evaluation renders it.
        return True
    args = kinds.sample_args(check)
    return any(kinds.fallback_reads(check._template.render({**args, name: "or"})) for name in writers)


def _arg_may_write_grouping(check: PrometheusCheck) -> bool:
    """Whether an arg placed bare before a `(` may write the `by` or `without` of a grouping (`sum {{ g }} (pod)
    (...)`, an enum of by and without): the text shows no grouping, and the rendered query is read for one."""
    return any(
        _may_write_word(param)
        and (param.type is not ParamType.ENUM or any(_GROUPING_WORD_RE.fullmatch(v) for v in param.values or ()))
        and re.search(r"\{\{\s*" + re.escape(name) + r"\s*\}\}\s*\(", check.query) is not None
        for name, param in check.params.items()
    )


def _may_write_word(param: Param) -> bool:
    """Whether an arg of `param` may write a bare word into a query (an operator, a keyword): an identifier or an enum
    (whose bare values are tokens); a DNS label stands only in quotes."""
    return param.type in (ParamType.IDENTIFIER, ParamType.ENUM)


def _may_write_or(param: Param) -> bool:
    """Whether an arg of `param` may write an `or` into a query: an identifier is any word, placed bare; an enum, one
    of its values (a label value or a DNS label is always quoted, a number or a duration none)."""
    if param.type is ParamType.IDENTIFIER:
        return True
    return any(_OR_WORD_RE.search(value) for value in param.values or ())


# Prometheus' look-back: an instant selector reads a series' latest sample up to 5 minutes old (none after a
# staleness marker), which is what "the series exists now" means to it.
LOOKBACK_S = 300.0
# What a metric written less often than the look-back needs to be read over a window (it reads as stopped between its
# writes), said wherever a stopped series is.
SPARSE_HINT = (
    f"a metric written less often than every {format_number(LOOKBACK_S)} s (a batch job's, a slow rule's) reads so "
    "between its writes: record last_over_time() of it over its write interval in a rule evaluated every minute, and "
    "read that, or write it more often"
)
# A range or subquery written in a query (`[10m]`, `[1h:1m]`, `[ 10m : ]`), strings and comments blanked: its
# duration, and its `:...` when a subquery.
_WINDOW_RE = re.compile(r"\[\s*([0-9][0-9a-z]*)\s*(:[^\]]*)?\]")


# Once per rendered query and check: a rollout renders the same one at every step, and the fallback is parsed.
@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _read_now(promql: str, judging: _Judging) -> tuple[tuple[str, ...], float, float | None] | None:
    """The selectors a pass of `promql` (rendered, an instant query) asks the presence of where their windows end,
    and how long before the evaluation time that is (see _read_now_over_windows), and the constant of the fallback
    that answers the whole query in their absence when it does not pass (None when it passes, or there is none); None
    for a query without such selectors."""
    if not _reads_past_lookback(promql):
        return None
    # A fallback that does not pass (`... or on() vector(1)` under `< 0.5`; `vector(NaN)`, `vector(+Inf)`, which no
    # condition judges) says that no series is no pass: the selectors beside it are asked too, and it answers for
    # them when none has a sample now.
    constant = kinds.fallback_constant(promql, finite=False) if judging.fallback else None
    failing = (
        constant
        if constant is not None and (not math.isfinite(constant) or judging.decide(constant)[0] is not Outcome.PASS)
        else None
    )
    found = _read_now_over_windows(promql, beside_too=failing is not None)
    return None if found is None else (*found, failing)


def read_now_over_windows(queries: Iterable[str]) -> tuple[tuple[str, ...], float] | None:
    """The selectors rendered instant `queries` (a kind's queries of one measurement) read over a window longer than
    the look-back ending latest, beside a fallback too, and how long before the evaluation time that is (see
    _read_now_over_windows): a measurement of now needs one of them with a sample there; None when none reads one
    (most: `rate(x[5m])`)."""
    found = [read for query in queries if (read := _read_now_beside_too(query)) is not None]
    if not found:
        return None
    # Only those ending latest: a read further back had its series then, which says nothing of now.
    latest_s = min(offset_s for _, offset_s in found)
    return tuple(dict.fromkeys(s for selectors, offset_s in found if offset_s == latest_s for s in selectors)), latest_s


# Once per rendered query: a rollout renders the same one at every step.
@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _read_now_beside_too(promql: str) -> tuple[tuple[str, ...], float] | None:
    """_read_now_over_windows(promql, beside_too=True), told from its text first: most queries read no window longer
    than the look-back."""
    if not _reads_past_lookback(promql):
        return None
    return _read_now_over_windows(promql, beside_too=True)


def _reads_past_lookback(promql: str) -> bool:
    """Whether `promql`'s text writes a window longer than the look-back, or a subquery (each of whose steps reads
    its own look-back or window before it: `max_over_time(rate(x[5m])[5m:1m])` reads x 10 minutes back), told
    without the parser: most queries (`rate(x[5m])`) write neither."""
    return any(
        subquery or _longer_than_lookback(window) for window, subquery in _WINDOW_RE.findall(promql_blanked(promql))
    )


def _read_now_over_windows(promql: str, *, beside_too: bool) -> tuple[tuple[str, ...], float] | None:
    """The selectors (as written) that `promql` (rendered, an instant query) reads over a window longer than
    Prometheus' look-back (`max_over_time(x[10m])`, `rate(x[1h])`, a subquery's selectors) ending latest, and how
    long before the evaluation time that is (their offset, 0 for none): its answer is built from their samples of
    that window, which a series that stopped (a crashed canary) still has there for up to the window; None for a
    query without one (most: `rate(x[5m])`). Selectors pinned by `@ T` read a past time on purpose; those beside a
    fallback may be absent, unless `beside_too`."""
    # One beside a fallback (`max_over_time(x[1h]) or vector(0)`) may have no series: the query reads its absence
    # as the fallback's value (its name's presence is checked apart, see _presence).
    beside = set() if beside_too else {selector.selector for selector in kinds.fallback_selectors(promql, names=True)}
    ends: dict[str, set[float]] = {}
    for selector, reaches in kinds.selector_reads(promql, names=True):
        if selector.selector in beside:
            continue
        for r in reaches:
            # A negative offset moves the window partly after now (`[1h] offset -1m`): what it holds before now
            # counts. A positive one (`[1h] offset 1m`, to skip the newest minute) ends its window before now.
            if r.at_s is None and r.range_s + min(r.offset_s, 0.0) > LOOKBACK_S:
                ends.setdefault(selector.selector, set()).add(max(r.offset_s, 0.0))
    if not ends:
        return None
    # Only those ending latest: a read further back (a baseline, `offset 1d`) had its series then, which says nothing
    # of whether the latest read's stopped since.
    latest_s = min(min(found) for found in ends.values())
    return tuple(selector for selector, found in ends.items() if latest_s in found), latest_s


# An evaluation time this close to the clock is now (a live evaluation, not a backtest's `at`).
_LIVE_S = 60.0
# A negative offset written in a query (strings and comments blanked).
_NEGATIVE_OFFSET_RE = re.compile(r"\boffset\s*-", re.IGNORECASE)


def refuse_reads_of_the_future(promql: str, evaluation_time: datetime, start_s: float | None = None) -> None:
    """CheckMisconfigured when `promql` (rendered; an instant query, or a range query ending at `evaluation_time`)
    evaluated now (not a backtest) has a selector whose every read at the evaluation time starts at or after it
    (`x offset -5m` reads the 5 minutes after it): no sample is there yet, so it never measures anything live (a
    range query's series then have no point at its end: no data), and beside a fallback the presence check would
    call its name misspelled. A negative offset reads after a backtest's past `at`, where samples are. `start_s`:
    how long before its end a range query starts, where its `@ start()` reads (`x @ start() offset -10m` of a 10m
    range reads its end); None for an instant query. Then refuse_pinned_in_the_past."""
    read = _read_with_negative_offsets(promql, start_s)
    if read:
        _refuse_reads_after(read, evaluation_time)
    refuse_pinned_in_the_past(promql, evaluation_time)


def refuse_pinned_in_the_past(promql: str, evaluation_time: datetime) -> None:
    """CheckMisconfigured when `promql` (rendered; an instant query, or a range query ending at `evaluation_time`)
    evaluated now (not a backtest) reads every selector pinned by `@` to a fixed time whose look-back ends before the
    evaluation time's starts: the query answers the same at every evaluation (every step of a range query reads
    that one time), whatever the canary does now. `@ start()` and `@ end()` move with the evaluation. A selector in
    absent() decides no value, only whether the query answers (`sum(x @ T) + absent(y)`): a pass is still judged on
    the fixed time's."""
    pinned = _read_with_pins(promql)
    if pinned:
        _refuse_pinned_in_the_past(
            pinned, evaluation_time, absent=_ABSENT_CALL_RE.search(promql_blanked(promql)) is not None
        )


@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _read_with_pins(promql: str) -> tuple[Reach, ...]:
    """What each selector of `promql` outside absent() reads (see selector_reads), for a query that writes `@`; ()
    for any other (most)."""
    if "@" not in promql_blanked(promql):
        return ()
    return tuple(r for _, reaches in kinds.selector_reads(promql) for r in reaches)


# A call of absent() or absent_over_time() where a query's strings and comments are blanked.
_ABSENT_CALL_RE = re.compile(r"(?<![A-Za-z0-9_:])absent(?:_over_time)?\s*\(")
# What a query pinned by `@` beside an absent() of series read now is told: absent() decides whether, not what.
_ABSENT_NOTE = (
    " (an absent() in it reads no value: it decides only whether the query answers, and the value it answers is "
    "still read at the fixed time)"
)


def _refuse_pinned_in_the_past(read: tuple[Reach, ...], evaluation_time: datetime, *, absent: bool) -> None:
    """CheckMisconfigured when every read `read` of a live evaluation is pinned by `@` to a fixed time whose
    look-back ends before the evaluation time's starts: the query answers the same at every evaluation, whatever the
    canary does now; the reason says what absent() reads then, for a query that may call it (`absent`)."""
    at_s = evaluation_time.timestamp()
    if at_s < datetime.now(evaluation_time.tzinfo).timestamp() - _LIVE_S:
        return
    ends_s = [r.at_s - r.offset_s if r.at_s is not None else None for r in read]
    if any(end_s is None or end_s > at_s - LOOKBACK_S for end_s in ends_s):
        return
    latest_s = max(end_s for end_s in ends_s if end_s is not None)
    raise CheckMisconfigured(
        f"query: every selector is read at a fixed time (`@`), the latest {format_number(at_s - latest_s)} s before "
        "the evaluation time, which is now: the query answers the same at every evaluation, whatever is measured "
        f"now{_ABSENT_NOTE if absent else ''}; `@` a fixed time is for a backtest (`at=` a past time), or read the "
        "latest samples beside it"
    )


def _refuse_reads_after(read: tuple[tuple[str, frozenset[Reach]], ...], evaluation_time: datetime) -> None:
    """`refuse_reads_of_the_future` of a query that writes a negative offset, its selectors' reads `read`."""
    # Not in `refuse_reads_of_the_future`: its comprehensions would make `at_s` a cell for every query, most of
    # which write no negative offset.
    at_s = evaluation_time.timestamp()
    if at_s < datetime.now(evaluation_time.tzinfo).timestamp() - _LIVE_S:
        return
    for selector, reaches in read:
        starts_s = [(r.at_s if r.at_s is not None else at_s) - r.offset_s - r.range_s for r in reaches]
        if all(start_s >= at_s for start_s in starts_s):
            ahead_s = min(starts_s) - at_s
            how = "`@` a time after it" if any(r.at_s is not None for r in reaches) else "a negative offset"
            raise CheckMisconfigured(
                f"query selector {clip(selector, 200)} is read only after the evaluation time ({how}: from "
                f"{format_number(ahead_s)} s after it on), which is now, where no sample exists yet: the query "
                f"cannot measure anything live; {how} is for a backtest (`at=` a past time), or drop it to read the "
                "latest samples"
            )


@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _read_with_negative_offsets(promql: str, start_s: float | None = None) -> tuple[tuple[str, frozenset[Reach]], ...]:
    """Each selector of `promql` with what it reads (see selector_reads, for `start_s` too), for a query that writes a
    negative offset or an `@` (a time after now: `@ 1765000000000`, milliseconds, reads the year 57000); () for any
    other (most), told from its text once per query (a rollout renders the same one at every step)."""
    blank = promql_blanked(promql)
    if "@" not in blank and ("offset" not in promql.lower() or _NEGATIVE_OFFSET_RE.search(blank) is None):
        return ()
    return tuple((selector.selector, reaches) for selector, reaches in kinds.selector_reads(promql, start_s=start_s))


def presence_now_query(selectors: tuple[str, ...], offset_s: float) -> str:
    """The instant query that answers one series when one of `selectors` has a series `offset_s` before its time,
    none otherwise."""
    ms = round(offset_s * 1000)
    offset = "" if not ms else f" offset {ms // 1000}s" if ms % 1000 == 0 else f" offset {ms}ms"
    return " or ".join(f"count({selector}{offset})" for selector in selectors)


def _longer_than_lookback(window: str) -> bool:
    """Whether a range or subquery's duration as written is longer than the look-back (one not read as a duration
    is left to the parser, as if it were)."""
    try:
        return parse_duration(window) > LOOKBACK_S
    except ValueError:
        return True


async def _stopped_now(
    ctx: EvalContext,
    source: PrometheusSource,
    now: tuple[tuple[str, ...], float, float | None],
    values: tuple[str, ...],
    roles: _Roles,
    details: dict[str, Any],
) -> tuple[str, QueryResult, float | None] | None:
    """Why a passing instant answer read over windows (see _read_now_over_windows) says nothing of now, the
    presence answer that tells it, and the constant of the fallback that then answers for the query (see _read_now;
    None for none): none of `now`'s selectors has a series where their windows end, its offset before the evaluation
    time (Prometheus' look-back, a staleness marker honoured), so the answer came from samples of series that had
    stopped by then (a canary whose pods died), as a range check's series that all stopped before its end; or, of a
    query comparing variants that `values` (label_value args) name (see _named_variants), none of one's that `roles`
    counts (the canary's alone when a param declares it), for which no fallback answers while another's report (it
    answers for the whole query); None when one has (of each). One series stopping while another still reports is a
    pod replaced, and a stable scaled to zero beside a declared canary a rollout at full weight: judged as before.
    Its query goes to `details`."""
    selectors, offset_s, fallback = now
    query, named = _presence_now(now, values, roles[0])
    answer = await source.query(query, ctx.evaluation_time, ctx.timeout_s())
    details["presence_now_query"] = query
    if named:
        found = {series.labels.get(_NAMED_MARK) for series in answer.series}
        silent = [variant for index, variant in enumerate(named) if str(index) not in found]
        counted = _counted(silent, named, roles)
        if not counted:
            return None
        if fallback is None or len(silent) < len(named):
            return (
                f"the query compares what its args name over a window, but none of those that {counted[0].named_so} "
                f"has a sample {_where_windows_end(counted[0].selectors, offset_s)}: they stopped reporting (a canary "
                f"whose pods died?), so their earlier samples in the window say nothing of now; {SPARSE_HINT}",
                answer,
                None,
            )
    if answer.series:
        return None
    return (
        f"the query reads its series over a window, but none of them has a sample "
        f"{_where_windows_end(selectors, offset_s)}: they stopped reporting (a canary whose pods died?), so their "
        f"earlier samples in the window say nothing of now; {SPARSE_HINT}",
        answer,
        fallback,
    )


def _counted(silent: list[_Named], named: tuple[_Named, ...], roles: _Roles) -> list[_Named]:
    """Of the `silent` variants, those whose silence is no data: with a canary declared (`variant: canary`) and named
    among `named`, the canary's alone (a stable scaled to zero by dynamicStableScale, or the other pods gone once the
    canary has them all, is judged on what the query answers); else all but those declared baseline."""
    canary, baselines = roles
    if canary is not None and any(variant.value == canary and not variant.left_out for variant in named):
        return [variant for variant in silent if variant.value == canary and not variant.left_out]
    return [variant for variant in silent if variant.left_out or variant.value not in baselines]


def _presence_now(
    now: tuple[tuple[str, ...], float, float | None], values: tuple[str, ...], canary: str | None
) -> tuple[str, tuple[_Named, ...]]:
    """The presence query of `now`'s selectors (see _read_now), and the variants `values` name in them that it asks
    apart, each marked with its index (none: it asks whether any of them has a series); the `canary` (its value, when
    a param declares it) apart from the rest even where no other arg names its label (see _canary_apart)."""
    selectors, offset_s, _ = now
    # Whatever the fallback: one that does not pass answers for the whole query, not for one variant that stopped
    # while another reports (`(avg_over_time(x{hash="c"}[1h]) - avg_over_time(x{hash="s"}[1h])) or on() vector(1)`).
    named = _named_variants(selectors, values) if values else ()
    if canary is not None and not any(variant.value == canary and not variant.left_out for variant in named):
        named = _canary_apart(selectors, canary) or named
    if not named:
        return presence_now_query(selectors, offset_s), ()
    query = " or ".join(
        f'label_replace({presence_now_query(variant.selectors, offset_s)}, "{_NAMED_MARK}", "{index}", "", "")'
        for index, variant in enumerate(named)
    )
    return query, named


def _where_windows_end(selectors: tuple[str, ...], offset_s: float) -> str:
    """Where `selectors`' windows end, `offset_s` before the evaluation time, and which they are, for a reason."""
    read = clip(", ".join(selectors), 300)
    lookback = format_number(LOOKBACK_S)
    if offset_s:
        return f"where its window ends (in the {lookback} s before it, {format_number(offset_s)} s ago, {read})"
    return f"now (in the last {lookback} s, {read})"


# The words of a param's name that say which variant its value names: Argo Rollouts' podTemplateHashValue calls the
# canary's hash Latest and stable's Stable; the rest are the usual names of either side.
_VARIANT_WORDS = {
    **dict.fromkeys(("canary", "latest", "new", "preview"), Variant.CANARY),
    **dict.fromkeys(("stable", "baseline", "primary", "old"), Variant.BASELINE),
}


def _variant_named(name: str) -> Variant | None:
    """The variant a param's name says its value names (`stable_hash`: the baseline), None for a name that says
    neither or both."""
    said = {_VARIANT_WORDS[word] for word in name.split("_") if word in _VARIANT_WORDS}
    return said.pop() if len(said) == 1 else None


# The label a presence query of variants marks each variant's count with (see _stopped_now).
_NAMED_MARK = "analyzer_named"


# The canary's value (None when no param declares `variant: canary` or it has none) and the baseline's values.
_Roles = tuple[str | None, tuple[str, ...]]


class _Named(NamedTuple):
    """A variant of a query comparing variants (see _named_variants): the value that names it, whether the selectors
    leave it out (`hash!="c"`: every other pod), how a reason says so (`name "c"`), and its selectors."""

    value: str
    left_out: bool
    named_so: str
    selectors: tuple[str, ...]


def _label_values(args: Mapping[str, ArgValue], judging: _Judging) -> tuple[tuple[str, ...], _Roles]:
    """The distinct values of the check's label_value args, in its params' order, and the roles its params declare
    for them (see _Roles)."""
    values = tuple(dict.fromkeys(value for name in judging.label_params if isinstance(value := args.get(name), str)))
    canary = args.get(judging.canary_param) if judging.canary_param is not None else None
    baselines = tuple(value for name in judging.baseline_params if isinstance(value := args.get(name), str))
    return values, (canary if isinstance(canary, str) else None, baselines)


@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _named_variants(selectors: tuple[str, ...], values: tuple[str, ...]) -> tuple[_Named, ...]:
    """Of `selectors` (as written), those each of `values` (label_value args) names in a matcher of a label that two
    of them name (`hash="c"`, `hash="s"`), or that one names both ways (`hash="c"`, `hash!="c"`: the canary and every
    other pod), each variant with what names it (`name "c"`, `leave out "c"`): a query comparing variants in one
    expression (`avg_over_time(x{hash="c"}[1h]) - avg_over_time(x{hash="s"}[1h])`), each of which needs a series now,
    where stable's reporting alone passed a dead canary; () for another (most: one variant, any of whose series is
    enough, as an error counter born at the first error may have none; an arg of another label, `code="{{ code }}"`,
    names no variant). Cached: a rollout sends the same args at every step."""
    named: dict[str, dict[tuple[str, bool], dict[str, None]]] = {}
    for selector in selectors:
        try:
            read = kinds.vector_selectors(selector)
        except ValueError:
            continue
        for written in read:
            for label, op, matched in written.matchers:
                # `hash=~"c"` selects what `hash="c"` does (a regex matches a label's whole value); `!=`, `!~` the rest.
                for value in values:
                    if _names(op, matched, value):
                        named.setdefault(label, {}).setdefault((value, op.startswith("!")), {})[selector] = None
    variants: dict[tuple[str, bool], dict[str, None]] = {}
    for by_value in named.values():
        if len(by_value) > 1:
            for key, group in by_value.items():
                variants.setdefault(key, {}).update(group)
    return tuple(
        _Named(
            value,
            left_out,
            f'{"leave out" if left_out else "name"} "{clip(value, 100)}"',
            tuple(variants[(value, left_out)]),
        )
        for value in values
        for left_out in (False, True)
        if (value, left_out) in variants
    )


def _names(op: str, matched: str, value: str) -> bool:
    """Whether a matcher (`op` and the text it matches) names an arg's `value`: as the whole text, or, a regex, as a
    piece of it no letter, digit or `_` continues (`pod=~"app-{{ canary_hash }}-.*"`, `hash=~"{{ canary_hash }}.*"`:
    the pods of that hash; `hash=~"c10.*"` does not name "c1")."""
    if matched == value:
        return True
    # An empty value (min_length: 0) is a piece of any text: only a matcher of the empty text names it.
    if "~" not in op or not value or value not in matched:
        return False
    return re.search(rf"(?<![0-9A-Za-z_]){re.escape(value)}(?![0-9A-Za-z_])", matched) is not None


@functools.lru_cache(maxsize=_PRESENCE_KEPT)
def _canary_apart(selectors: tuple[str, ...], canary: str) -> tuple[_Named, ...]:
    """Of `selectors` (as written), those a matcher names the declared `canary` in (`hash="c"`, `hash=~"c"`) and the
    rest, as two variants of which the canary's silence counts (see _counted): the canary compared with the whole
    fleet (`x`) or with what an arg of another label names (`x{service="s"}`), whose series reporting answered for a
    dead canary's; () when every selector or none names it (any of them is enough, as without a canary)."""
    named: dict[str, None] = {}
    for selector in selectors:
        try:
            read = kinds.vector_selectors(selector)
        except ValueError:
            continue
        if any(
            _names(op, matched, canary) and not op.startswith("!")
            for written in read
            for _, op, matched in written.matchers
        ):
            named[selector] = None
    rest = tuple(selector for selector in selectors if selector not in named)
    if not named or not rest:
        return ()
    shown = clip(canary, 100)
    return (
        _Named(canary, False, f'name "{shown}"', tuple(named)),
        _Named(canary, True, f'do not name "{shown}"', rest),
    )


async def _refuse_scalar_of_several(
    ctx: EvalContext, source: PrometheusSource, promql: str, details: dict[str, Any]
) -> None:
    """CheckMisconfigured when an answer without a value to judge (no series, or NaN) comes from a scalar() of
    `promql` whose argument has more than one element at the evaluation time (a range's end): scalar() of several
    elements is NaN
    whatever they hold (one of them failing), which is no absence of data, and a comparison with that NaN keeps
    nothing. Each count query sent goes to `details`."""
    for argument in kinds.scalar_arguments(promql):
        query = f"count({argument})"
        answer = await source.query(query, ctx.evaluation_time, ctx.timeout_s())
        count = max((_instant_value(series)[0] for series in answer.series), default=0.0)
        details.setdefault("scalar_queries", []).append({"query": query, "elements": count})
        if count > 1:
            raise CheckMisconfigured(
                f"scalar({clip(argument, 200)}) reads {format_number(count)} elements at the evaluation time, and "
                "scalar() of more than one element is NaN whatever their values (no absence of data): aggregate "
                "them inside it, e.g. scalar(sum(...)) or scalar(max(...))",
                details,
            )


_EXACTLY = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
# Past this relative distance a value is no rounding of a bound: what decided is the absolute tolerance near zero.
_ROUNDING_REL = 1e-9


def _rounded_onto(condition: Condition, value: float) -> str:
    """What to add to the reason of `value`, which does not meet `condition`, when compared exactly it would: the
    tolerance counted it equal to a bound near zero it is not a relative rounding of (a `> 0` of 5e-13, which
    rounding of larger numbers, as 1 - 0.9999999999999999, also gives); "" for any other."""
    if condition.op in ("between", "outside"):
        low, high = condition.bounds
        exactly = (low <= value <= high) is (condition.op == "between")
        bound = min(condition.bounds, key=lambda b: abs(value - b))
    else:
        bound = condition.bounds[0]
        exactly = _EXACTLY[condition.op](value, bound)
    if not exactly or not math.isfinite(value) or abs(value - bound) <= _ROUNDING_REL * max(abs(value), abs(bound)):
        return ""
    return (
        f" (within float rounding of {format_number(bound)}, which counts as equal to it; to judge values this small, "
        "scale the query, e.g. * 1e6)"
    )


def _instant_value(series: Series) -> tuple[float, int]:
    """An instant vector's series: its one sample's value (NaN without one), and 1 when that value is finite."""
    value = series.samples[-1][1] if series.samples else math.nan
    return value, int(math.isfinite(value))


_REDUCED_BESIDE_VALUES = "a reduction whose other series have values"
_HIDDEN_BESIDE_VALUES = "an element an aggregation leaves out beside elements that have values"
# Hidden elements a probe answers with (the reason names one).
_HIDDEN_SHOWN = 5
_EACH_BESIDE_VALUES = "a series without a value beside series that have one"


def _why_no_pass(
    value: float, *, beside_values: str | None, partial: list[str], cannot_say: str | None = None
) -> str | None:
    """Why `no_data: pass` does not apply to a value no condition can judge, or None when it does;
    `beside_values` says that the value stands beside others that have one, and how; `cannot_say`, that a
    histogram's buckets give NaN whatever was measured, and which."""
    if math.isinf(value):
        return "an infinite value, which is no absence of data"
    if cannot_say is not None:
        return cannot_say
    if beside_values is not None:
        return beside_values
    if partial:
        return f"an answer that may be partial ({'; '.join(partial)})"
    return None


def _last_valued_s(series: Series) -> float | None:
    """The time of a series' last sample that is not NaN, None without one."""
    return next((at for at, value in reversed(series.samples) if not math.isnan(value)), None)


def _lost_its_values(series: Series, end: datetime, step_s: float) -> bool:
    """Whether a range query's series still reports at the end (not a pod replaced: that one is judged on its
    samples) but has read NaN since more than a step before it: a pod whose workers hung, whose earlier values
    say nothing of now, as an instant query at the end would see."""
    valued_s = _last_valued_s(series)
    return (
        valued_s is not None
        and not stopped_reporting(silence_s(series.samples[-1][0], end), step_s)
        and stopped_reporting(silence_s(valued_s, end), step_s)
    )


_NAN_WHATEVER = "every quantile over it is NaN whatever the latency"


_Read = tuple[str, tuple[tuple[str, str, str], ...]]


def _quantile_chosen_buckets(promql: str) -> set[_Read]:
    """The selectors (name, matchers) that histogram_quantile() reads through an `le` matcher; none when
    promql-parser cannot parse the query (Prometheus did)."""
    from analyzer.kinds import bucket_reads

    try:
        reads = bucket_reads(promql)
    except ValueError:
        return set()
    return {(read.name, read.matchers) for read in reads if read.quantile and any(m[0] == "le" for m in read.matchers)}


def _parsed_reads(promql: str) -> list[BucketRead] | None:
    """The selectors promql-parser reads in `promql`; None when it cannot parse it (Prometheus did)."""
    from analyzer.kinds import bucket_reads

    try:
        return bucket_reads(promql)
    except ValueError:
        return None


def _read_as(written: str, reads: list[BucketRead] | None) -> list[tuple[str, str]]:
    """How the query reads the selector `written` (each way once): the grouping of a bucket query asking for its
    buckets as each group of the answer has them (`by (le, service)`; `without (pod)`: `le` is kept), and the
    modifiers that move the time it is read at; none when promql-parser does not read it (a regex name)."""
    from analyzer.kinds import bucket_reads

    try:
        (own,) = bucket_reads(written)
    except ValueError:
        return []
    ways: dict[tuple[str, str], None] = {}
    for read in reads or []:
        if (read.name, read.matchers) != (own.name, own.matchers):
            continue
        labels = [label for label in read.grouping.labels if label != "le"]
        by = f"by ({', '.join(('le', *labels))})" if read.grouping.mode == "by" else f"without ({', '.join(labels)})"
        ways[(by, read.modifiers)] = None
    return list(ways)


def _reads_one_of(written: str, chosen: set[_Read]) -> bool:
    """Whether the selector `written` is one of `chosen`."""
    from analyzer.kinds import bucket_reads

    if not chosen:
        return False
    try:
        reads = bucket_reads(written)
    except ValueError:
        return False
    return len(reads) == 1 and (reads[0].name, reads[0].matchers) in chosen


def _group_of(labels: Mapping[str, str]) -> str:
    """A bucket series' group as a reason shows it: its labels but `le`, as a series is shown (`{service="api"}`;
    `{}` for one group)."""
    return Series({name: value for name, value in labels.items() if name != "le"}, []).describe()


def _no_value_reason(series: Series, value: float, samples: int, total: int, min_samples: int) -> str:
    where = f"series {series.describe()}" if total > 1 or series.labels else "the query"
    if math.isnan(value) and samples < min_samples and min_samples > 1:
        return f"{where} has {samples} finite samples, fewer than min_samples {min_samples}"
    cause = "a division by zero?" if math.isinf(value) else "no traffic?"
    return f"{where} returned {format_number(value)}, which cannot be judged ({cause})"


def _most_extreme(candidates: list[tuple[Series, float]], condition: Condition) -> tuple[Series, float]:
    """The candidate nearest to failing: the largest for an upper bound, the smallest for a lower one."""
    if condition.kind_of_bound == "upper":
        return max(candidates, key=lambda c: c[1] if math.isfinite(c[1]) else -math.inf)
    if condition.kind_of_bound == "lower":
        return min(candidates, key=lambda c: c[1] if math.isfinite(c[1]) else math.inf)
    return candidates[0]


def _quantile_answer(phi: float) -> str:
    """What Prometheus answers for a quantile `phi` outside 0 to 1, whatever was measured (NaN for NaN)."""
    return "+Inf" if phi > 1 else "-Inf" if phi < 0 else "NaN"


def _in_percent(phi: float) -> str:
    """What a quantile outside 0 to 1 was as a fraction, when it reads as percent (99 for 0.99)."""
    return f" In percent? {format_number(phi)} is {format_number(phi / 100)}" if 1 < phi <= 100 else ""


def quantile_arguments_placed(template: str, params: Mapping[str, Param]) -> tuple[QuantileArgument, ...]:
    """The quantile arguments of `template` a param of `params` is placed in (`histogram_quantile(({{ q }}), ...)`,
    `quantile_over_time({{ q }} / 100, ...)`)."""
    if "quantile" not in template.lower():
        return ()
    return tuple(argument for argument in kinds.quantile_arguments(template) if set(argument.names) & params.keys())


def quantiles_within_zero_to_one(
    template: str, params: Mapping[str, Param], sample: Mapping[str, ArgValue], where: str = "query"
) -> None:
    """Refuse a quantile outside 0 to 1 (`histogram_quantile(99, ...)` meaning p99) that `template` writes as a number
    (in parentheses or wrapped too: `(99)`, `scalar(vector(99))`), or that a param's default, example or enum value
    gives (the others at their `sample` value): Prometheus answers +Inf for every quantile above 1 (-Inf below 0),
    which no verdict can judge."""
    for argument in kinds.quantile_arguments(template):
        if not argument.names:
            phi = _quantile_of(argument, {})
            if phi is None or 0 <= phi <= 1:
                continue
            raise ValueError(
                f"{where}: {argument.function}({argument.written}, ...) asks for a quantile outside 0 to 1, where "
                f"Prometheus answers {_quantile_answer(phi)} whatever was measured, which no verdict can judge: the "
                f"quantile is a fraction, 0.99 for p99.{_in_percent(phi)}"
            )
        rendered = {name: render_value(value) for name, value in sample.items()}
        for name in argument.names:
            param = params.get(name)
            if param is None:  # a name the kind fills itself (kpi_compare's lookback)
                continue
            given = [("default", param.default), ("example", param.example)]
            for field, raw in [*given, *(("value", value) for value in param.values or ())]:
                if raw is None:
                    continue
                value = param.parse(name, raw)
                phi = _quantile_of(argument, {**rendered, name: render_value(value)})
                if phi is None or 0 <= phi <= 1:
                    continue
                raise ValueError(
                    f"params.{name}: {field} {render_value(value)} {_asks(argument, value, phi)}, outside 0 to 1, "
                    f"where Prometheus answers {_quantile_answer(phi)} whatever was measured, which no verdict can "
                    "judge: the quantile is a fraction, 0.99 for p99 (minimum: 0 and maximum: 1 refuse any other "
                    f"arg).{_in_percent(phi)}"
                )


def quantile_args_within_zero_to_one(
    arguments: tuple[QuantileArgument, ...], bound: Mapping[str, ArgValue], secret: frozenset[str]
) -> None:
    """ArgError for args that make a quantile argument (`histogram_quantile(({{ q }}), ...)`) ask for a quantile
    outside 0 to 1 (`q=99` meaning p99), where the param sets no such bounds: Prometheus answers +Inf for it whatever
    was measured, which no verdict can judge."""
    for argument in arguments:
        rendered = {name: render_value(bound[name]) for name in argument.names if name in bound}
        phi = _quantile_of(argument, rendered)
        if phi is None or 0 <= phi <= 1:
            continue
        name = next(name for name in argument.names if name in bound)
        value = bound[name]
        hidden = name in secret
        shown = "a secret value" if hidden else render_value(value)
        asked = "is the quantile of" if _number(value) == phi else "makes the quantile of"
        raise ArgError(
            f"arg {name!r} {asked} {argument.function}({argument.written}, ...), a fraction from 0 to 1 (0.99 for "
            f"p99), got {shown}: Prometheus answers {_quantile_answer(phi)} for it whatever was "
            f"measured.{'' if hidden or _number(value) != phi else _in_percent(phi)}",
            name,
        )


def _quantile_of(argument: QuantileArgument, rendered: dict[str, str]) -> float | None:
    """The quantile `argument` asks for with its params rendered as `rendered` gives: a number as written without the
    parser (a Job's usual latency check imports none), anything else by what it stands for (`(99)`, `{{ q }} / 100`,
    `scalar(vector(0.99))`); None when it reads series or a param is missing."""
    text = argument.rendered(rendered)
    if text is None:
        return None
    if _NUMBER_RE.fullmatch(text) is not None:
        return float(text)
    return kinds.constant_value(text)


def _asks(argument: QuantileArgument, value: ArgValue, phi: float) -> str:
    """How a param's value gives the quantile `phi` of `argument`: as itself, or through what the argument does."""
    if _number(value) == phi:
        return f"is the quantile of {argument.function}({argument.written}, ...)"
    return f"makes {argument.function}({argument.written}, ...) ask for the quantile {format_number(phi)}"


def _number(value: ArgValue) -> float | None:
    """`value` as a number, when it is one (an enum's `0.99` too)."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        return None


def _groups_at_top_level(query: str) -> bool:
    """True when `by (...)` / `without (...)` stands outside every parenthesis (one series per group); `by ()` is
    one group, as no grouping is, while `without ()` keeps every series apart."""
    depth = 0
    stripped = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`|#[^\n]*', '""', query)
    for index, char in enumerate(stripped):
        if char == "(":
            grouping = _GROUPING_RE.match(stripped, _word_start(stripped, index)) if depth == 0 else None
            if grouping is not None and not (grouping[1].lower() == "by" and _EMPTY_LIST_RE.match(stripped, index + 1)):
                return True
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
    return False


def _word_start(text: str, paren: int) -> int:
    """Index where the word before `(` at `paren` starts (skipping spaces)."""
    index = paren
    while index > 0 and text[index - 1].isspace():
        index -= 1
    while index > 0 and (text[index - 1].isalnum() or text[index - 1] == "_"):
        index -= 1
    return index


def _shared_threshold(condition: Condition) -> float | None:
    """The threshold `condition` reports when it is one number (None for an interval, a list made per verdict)."""
    threshold = condition.threshold
    return threshold if isinstance(threshold, float) else None


def _bounded_labels(labels: dict[str, str]) -> dict[str, str]:
    """`labels` as details keep them: at most _MAX_LABELS_IN_DETAILS, each name and value clipped (most series'
    labels are short and few: those are kept as they are, not copied)."""
    if len(labels) <= _MAX_LABELS_IN_DETAILS:
        # A loop, not all() over a generator: a frame fewer for every series judged (an aggregate's has no labels).
        for name, value in labels.items():
            if len(name) + len(value) > _MAX_LABEL_CHARS_IN_DETAILS:
                break
        else:
            return labels
    bounded = {
        clip(name, _MAX_LABEL_CHARS_IN_DETAILS): clip(value, _MAX_LABEL_CHARS_IN_DETAILS)
        for name, value in itertools.islice(labels.items(), _MAX_LABELS_IN_DETAILS)
    }
    if len(labels) > _MAX_LABELS_IN_DETAILS:
        bounded["..."] = f"{len(labels) - _MAX_LABELS_IN_DETAILS} more labels"
    return bounded
