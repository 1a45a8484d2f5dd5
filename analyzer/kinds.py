"""The public surface for check-kind authors: a kind, built-in or third-party, imports only from here.

`analyzer.kinds.__all__` is the contract (tests/unit/test_public_surface.py guards it): the check contract,
the error tree, the verdict model, params and templates, comparisons and reducers, PromQL helpers and the
sources a kind reads. The HTTP client's names are imported on first use, so that a catalog without an HTTP
check never imports httpx.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from analyzer.check import CatalogView, Check, CheckName, EvalContext
from analyzer.comparison import Condition, ConditionField, at_most, exceeds
from analyzer.errors import (
    PAST_TIME_NOTE,
    AnalyzerError,
    ArgError,
    BodyBudgetExhausted,
    CheckError,
    CheckMisconfigured,
    ConfigError,
    ConnectionsExhausted,
    DeadlineExceeded,
    MemberError,
    MissingBucket,
    NoData,
    NoSeriesFound,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
    TargetBadAnswer,
    TargetRefused,
    UnexplainedLabels,
)
from analyzer.models import (
    SEVERITY,
    Evaluation,
    NoDataPolicy,
    Outcome,
    Threshold,
    Verdict,
    clip,
    finite_or_none,
    format_number,
    format_value,
    json_safe,
)
from analyzer.params import (
    ArgValue,
    Duration,
    Param,
    ParamName,
    ParamType,
    Variant,
    WrittenNumber,
    WrittenScalar,
    WrittenText,
    WrittenValue,
    parse_duration,
    range_step_s,
    render_value,
    silence_s,
    stopped_reporting,
    written_number_problem,
)
from analyzer.promql_text import QuantileArgument, gauge_of_counter_warnings, promql_blanked, quantile_arguments
from analyzer.redaction import (
    MIN_HIDDEN_CHARS,
    REDACTED,
    capability_path_spans,
    container_end,
    credential_forms,
    decoded_name,
    dsn_user_info_spans,
    is_credential_value,
    is_secret_name,
    is_secret_pair,
    kubernetes_secret_spans,
    may_be_shown,
    may_hide,
    merged_spans,
    scrubber,
    secret_shape_spans,
    transcript_secret_spans,
    url_for_message,
    url_with_scheme,
    user_info_spans,
)
from analyzer.reducers import Reducer, ReducerField
from analyzer.sources import PrometheusSource, QueryResult, RecordingRule, RulesListed, Series
from analyzer.sources.hosts import DEFAULT_ALLOWED_HOSTS
from analyzer.templates import Placeholder, PromQLTemplate, escape_promql_string, split_template

if TYPE_CHECKING:
    from analyzer._body_secrets import _is_naming_member as _is_naming_member
    from analyzer._body_secrets import _is_value_member as _is_value_member
    from analyzer._body_secrets import _markup_secret_spans as _markup_secret_spans
    from analyzer._body_secrets import _masked as _masked
    from analyzer.promql_batch import BATCH_LABEL_RE, BATCH_LABELS, QueryBatch
    from analyzer.promql_groups import (
        BucketRead,
        Division,
        LabelList,
        Reach,
        answer_label_list,
        bucket_group_labels,
        bucket_reads,
        constant_value,
        division_sides,
        fallback_constant,
        fallback_label_lists,
        fallback_reads,
        fallback_selectors,
        fallback_unreadable,
        nan_hiding_operand,
        nan_hiding_operands,
        pinned_start,
        presence_over,
        presence_piece,
        rated_selectors,
        scalar_arguments,
        selector_matchers,
        selector_reads,
        share_of_failures,
        share_of_itself,
    )
    from analyzer.promql_names import (
        MetricSelector,
        bare_selector,
        contradicting_name_warnings,
        event_form,
        grafana_variable_warnings,
        label_presence_query,
        label_written,
        may_answer_without_its_series,
        metric_names,
        metric_selectors,
        names_pattern,
        needed_labels,
        presence_query,
        regex_equality_warnings,
        regex_name_selectors,
        vector_selectors,
    )
    from analyzer.promql_syntax import parsing_words, sample_args
    from analyzer.sources.http import HttpClient, HttpExchange, HttpRequest
    from analyzer.sources.httppolicy import (
        HostAllowList,
        answer_date_s,
        ca_file_problem,
        cookie_domain,
        cookie_expiry_s,
        cookie_life_s,
        cookie_path,
        ip_or_none,
        is_public_suffix,
        retry_pauses_s,
        set_cookie_attributes,
    )

# Resolved on first access (PEP 562): the HTTP client's names, whose module imports httpx, the HTTP policy's
# allow-list (a Job of another kind does not build its classes), and the PromQL
# name and batch helpers, which a `prometheus` check (the one kind of most Jobs) does not use. So is http_smoke's
# reading of a body's secrets, under its private names outside the contract (`__all__`), which third-party kinds may
# not rely on: its patterns compiled were 6% of a `prometheus` Job's instructions.
_ON_FIRST_USE = {
    **dict.fromkeys(
        ("_is_naming_member", "_is_value_member", "_markup_secret_spans", "_masked"), "analyzer._body_secrets"
    ),
    "HttpClient": "analyzer.sources.http",
    "HttpExchange": "analyzer.sources.http",
    "HttpRequest": "analyzer.sources.http",
    "HostAllowList": "analyzer.sources.httppolicy",
    "ca_file_problem": "analyzer.sources.httppolicy",
    "retry_pauses_s": "analyzer.sources.httppolicy",
    "ip_or_none": "analyzer.sources.httppolicy",
    "cookie_expiry_s": "analyzer.sources.httppolicy",
    "cookie_domain": "analyzer.sources.httppolicy",
    "cookie_life_s": "analyzer.sources.httppolicy",
    "cookie_path": "analyzer.sources.httppolicy",
    "answer_date_s": "analyzer.sources.httppolicy",
    "is_public_suffix": "analyzer.sources.httppolicy",
    "set_cookie_attributes": "analyzer.sources.httppolicy",
    **dict.fromkeys(("BATCH_LABEL_RE", "BATCH_LABELS", "QueryBatch"), "analyzer.promql_batch"),
    **dict.fromkeys(
        (
            "BucketRead",
            "LabelList",
            "Reach",
            "answer_label_list",
            "bucket_group_labels",
            "bucket_reads",
            "fallback_constant",
            "fallback_label_lists",
            "fallback_reads",
            "fallback_selectors",
            "fallback_unreadable",
            "nan_hiding_operand",
            "nan_hiding_operands",
            "pinned_start",
            "presence_over",
            "presence_piece",
            "constant_value",
            "Division",
            "division_sides",
            "rated_selectors",
            "selector_matchers",
            "selector_reads",
            "share_of_failures",
            "scalar_arguments",
            "share_of_itself",
        ),
        "analyzer.promql_groups",
    ),
    "parsing_words": "analyzer.promql_syntax",
    "sample_args": "analyzer.promql_syntax",
    **dict.fromkeys(
        (
            "MetricSelector",
            "bare_selector",
            "contradicting_name_warnings",
            "event_form",
            "grafana_variable_warnings",
            "may_answer_without_its_series",
            "metric_names",
            "label_presence_query",
            "label_written",
            "metric_selectors",
            "names_pattern",
            "needed_labels",
            "presence_query",
            "regex_equality_warnings",
            "regex_name_selectors",
            "vector_selectors",
        ),
        "analyzer.promql_names",
    ),
}


# The aggregations that may leave a NaN element out of their answer (see analyzer.promql_groups), as any text may hold
# their names: a query that holds none is told to need no probe without the PromQL parser's module, which a Job of a
# passing check whose query names none of them (most) then never imports (about 12M instructions of its start).
_HIDING_NAN_TEXTS = ("max", "min", "topk", "bottomk", "quantile", "limit")
# Probes kept, by query: a rollout asks with the same args at every step, and its rendered query comes again.
_PROBES_KEPT = 1024


@functools.lru_cache(maxsize=_PROBES_KEPT)
def nan_probe(query: str, shown: int) -> tuple[str, str] | None:
    """(aggregations, probe) when `query` has aggregations nan_hiding_operands() finds (`max()`, or `max() or min()`
    for several): the instant query for at most `shown` elements of their operands that are NaN or infinite (what a
    comparison with both infinities keeps nothing of), an `@ start()` in it as written (see pinned_start); None for
    any other query."""
    lowered = query.lower()
    if not any(text in lowered for text in _HIDING_NAN_TEXTS):
        return None
    from analyzer.promql_groups import nan_probe as probe

    return probe(query, shown)


def refuse_contradicting_names(query: str) -> None:
    """CheckMisconfigured when a selector of `query` (rendered) has matchers on the metric name that no name meets all
    of (`{__name__="a", __name__="b"}`): Prometheus matches each series on all of them, so it matches no series
    whatever exists, and the query never measures anything (beside `or vector(0)`, the fallback answers for ever).
    Only a query that writes `__name__` is read (most write none)."""
    if "__name__" not in query:
        return
    from analyzer.promql_names import name_matchers_contradict

    if found := name_matchers_contradict(query):
        raise CheckMisconfigured(
            f"query selector {found[0]} matches no series: no metric name meets all of its matchers on __name__ "
            "(Prometheus matches each series on every one of them), so the query can never measure anything; "
            'keep one matcher on the name, or a regex that lists the names (`{__name__=~"a|b"}`)'
        )


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Kept as a global: a kind importing it again where it is used (after its first use) finds it without this hook,
    # which raised and formatted an AttributeError inside the import on every passing evaluation.
    globals()[name] = value
    return value


__all__ = [
    "BATCH_LABELS",
    "BATCH_LABEL_RE",
    "DEFAULT_ALLOWED_HOSTS",
    "MIN_HIDDEN_CHARS",
    "PAST_TIME_NOTE",
    "REDACTED",
    "SEVERITY",
    "AnalyzerError",
    "ArgError",
    "ArgValue",
    "BodyBudgetExhausted",
    "BucketRead",
    "CatalogView",
    "Check",
    "CheckError",
    "CheckMisconfigured",
    "CheckName",
    "Condition",
    "ConditionField",
    "ConfigError",
    "ConnectionsExhausted",
    "DeadlineExceeded",
    "Division",
    "Duration",
    "EvalContext",
    "Evaluation",
    "HostAllowList",
    "HttpClient",
    "HttpExchange",
    "HttpRequest",
    "LabelList",
    "MemberError",
    "MetricSelector",
    "MissingBucket",
    "NoData",
    "NoDataPolicy",
    "NoSeriesFound",
    "Outcome",
    "Param",
    "ParamName",
    "ParamType",
    "Placeholder",
    "PromQLTemplate",
    "PrometheusSource",
    "QuantileArgument",
    "QueryBatch",
    "QueryResult",
    "Reach",
    "RecordingRule",
    "Reducer",
    "ReducerField",
    "RulesListed",
    "Series",
    "SourceRejected",
    "SourceTimeout",
    "SourceUnavailable",
    "TargetBadAnswer",
    "TargetRefused",
    "Threshold",
    "UnexplainedLabels",
    "Variant",
    "Verdict",
    "WrittenNumber",
    "WrittenScalar",
    "WrittenText",
    "WrittenValue",
    "answer_date_s",
    "answer_label_list",
    "at_most",
    "bare_selector",
    "bucket_group_labels",
    "bucket_reads",
    "ca_file_problem",
    "capability_path_spans",
    "clip",
    "constant_value",
    "container_end",
    "contradicting_name_warnings",
    "cookie_domain",
    "cookie_expiry_s",
    "cookie_life_s",
    "cookie_path",
    "credential_forms",
    "decoded_name",
    "division_sides",
    "dsn_user_info_spans",
    "escape_promql_string",
    "event_form",
    "exceeds",
    "fallback_constant",
    "fallback_label_lists",
    "fallback_reads",
    "fallback_selectors",
    "fallback_unreadable",
    "finite_or_none",
    "format_number",
    "format_value",
    "gauge_of_counter_warnings",
    "grafana_variable_warnings",
    "ip_or_none",
    "is_credential_value",
    "is_public_suffix",
    "is_secret_name",
    "is_secret_pair",
    "json_safe",
    "kubernetes_secret_spans",
    "label_presence_query",
    "label_written",
    "may_answer_without_its_series",
    "may_be_shown",
    "may_hide",
    "merged_spans",
    "metric_names",
    "metric_selectors",
    "names_pattern",
    "nan_hiding_operand",
    "nan_hiding_operands",
    "nan_probe",
    "needed_labels",
    "parse_duration",
    "parsing_words",
    "pinned_start",
    "presence_over",
    "presence_piece",
    "presence_query",
    "promql_blanked",
    "quantile_arguments",
    "range_step_s",
    "rated_selectors",
    "refuse_contradicting_names",
    "regex_equality_warnings",
    "regex_name_selectors",
    "render_value",
    "retry_pauses_s",
    "sample_args",
    "scalar_arguments",
    "scrubber",
    "secret_shape_spans",
    "selector_matchers",
    "selector_reads",
    "set_cookie_attributes",
    "share_of_failures",
    "share_of_itself",
    "silence_s",
    "split_template",
    "stopped_reporting",
    "transcript_secret_spans",
    "url_for_message",
    "url_with_scheme",
    "user_info_spans",
    "vector_selectors",
    "written_number_problem",
]
