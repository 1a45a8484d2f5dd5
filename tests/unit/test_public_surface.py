"""The public surface for kind authors is analyzer.kinds: its names are a contract, and kinds use nothing else."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import analyzer
from analyzer import kinds

ROOT = Path(__file__).resolve().parents[2]
# Changing this list changes what third-party kinds may rely on: a removal breaks them.
PUBLIC_NAMES = [
    "BATCH_LABELS",
    "BATCH_LABEL_RE",
    "DEFAULT_ALLOWED_HOSTS",
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
    "PAST_TIME_NOTE",
    "Param",
    "ParamName",
    "ParamType",
    "Placeholder",
    "PromQLTemplate",
    "PrometheusSource",
    "QuantileArgument",
    "QueryBatch",
    "QueryResult",
    "RecordingRule",
    "Reach",
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
    "answer_label_list",
    "at_most",
    "bare_selector",
    "bucket_group_labels",
    "bucket_reads",
    "ca_file_problem",
    "clip",
    "constant_value",
    "escape_promql_string",
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
    "json_safe",
    "event_form",
    "may_answer_without_its_series",
    "may_be_shown",
    "may_hide",
    "is_secret_pair",
    "metric_names",
    "label_presence_query",
    "label_written",
    "metric_selectors",
    "names_pattern",
    "needed_labels",
    "nan_hiding_operand",
    "nan_hiding_operands",
    "nan_probe",
    "parse_duration",
    "pinned_start",
    "presence_over",
    "presence_piece",
    "presence_query",
    "promql_blanked",
    "quantile_arguments",
    "range_step_s",
    "refuse_contradicting_names",
    "MIN_HIDDEN_CHARS",
    "REDACTED",
    "credential_forms",
    "decoded_name",
    "dsn_user_info_spans",
    "is_credential_value",
    "is_secret_name",
    "merged_spans",
    "scrubber",
    "secret_shape_spans",
    "kubernetes_secret_spans",
    "transcript_secret_spans",
    "container_end",
    "rated_selectors",
    "selector_matchers",
    "Division",
    "division_sides",
    "selector_reads",
    "share_of_failures",
    "scalar_arguments",
    "share_of_itself",
    "url_for_message",
    "url_with_scheme",
    "user_info_spans",
    "capability_path_spans",
    "silence_s",
    "stopped_reporting",
    "regex_equality_warnings",
    "contradicting_name_warnings",
    "regex_name_selectors",
    "render_value",
    "retry_pauses_s",
    "ip_or_none",
    "set_cookie_attributes",
    "cookie_expiry_s",
    "cookie_domain",
    "cookie_life_s",
    "cookie_path",
    "answer_date_s",
    "is_public_suffix",
    "parsing_words",
    "sample_args",
    "split_template",
    "vector_selectors",
    "written_number_problem",
]


def _analyzer_imports(path: Path) -> set[str]:
    """The analyzer modules a file imports from."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analyzer":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "analyzer")
    return found


KIND_FILES = [*sorted((ROOT / "checks").rglob("*.py")), ROOT / "tests" / "gatekind.py"]


class TestPublicSurface:
    """analyzer.kinds exports exactly its contract, every name resolves, and kinds import nothing else."""

    def test_all_is_the_contract(self):
        assert sorted(kinds.__all__) == sorted(PUBLIC_NAMES)

    @pytest.mark.parametrize("name", PUBLIC_NAMES)
    def test_every_name_resolves(self, name):
        assert getattr(kinds, name) is not None

    def test_an_unknown_name_is_an_attribute_error(self):
        with pytest.raises(AttributeError, match="no attribute 'Nope'"):
            _ = kinds.Nope

    def test_the_package_exports_nothing_else(self):
        assert [
            name
            for name in vars(analyzer)
            if not name.startswith("_") and name != "kinds" and not isinstance(getattr(analyzer, name), type(analyzer))
        ] == []

    @pytest.mark.parametrize("path", KIND_FILES, ids=lambda path: str(path.relative_to(ROOT)))
    def test_kinds_import_only_the_public_surface(self, path):
        assert _analyzer_imports(path) <= {"analyzer.kinds"}

    def test_the_surface_does_not_import_httpx_until_asked(self):
        code = (
            "import sys, analyzer.kinds as k; assert 'httpx' not in sys.modules; "
            "k.HttpRequest; assert 'httpx' in sys.modules"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_a_prometheus_job_does_not_import_the_body_secrets_reader_until_asked(self):
        # A catalog's `prometheus` check and its source: what nearly every `analyzer run` Job imports.
        code = (
            "import sys, analyzer.kinds as k, checks.prometheus, analyzer.sources; "
            "assert 'analyzer._body_secrets' not in sys.modules; "
            "from analyzer.kinds import _masked; assert 'analyzer._body_secrets' in sys.modules; "
            "assert _masked is sys.modules['analyzer._body_secrets']._masked"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_the_service_imports_the_body_secrets_reader_before_it_listens(self):
        # `analyzer serve` quotes a Prometheus error answer on its event loop: importing the reader there (its
        # patterns compiled, tens of milliseconds) would stop every other evaluation for that long, once.
        code = "import sys, analyzer.server; assert 'analyzer._body_secrets' in sys.modules"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
