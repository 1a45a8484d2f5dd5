"""promql-parser (`analyzer validate`'s offline parse) against the Prometheus the tests ship (2.42, its promtool
parses rule files): every PromQL our docs, deploy/, the tests' catalogs and the Pyrra and Sloth rules send or
record parses in both, so the offline parse fails no catalog we show; the gaps the docs name are as they say."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.catalog import build_catalog
from analyzer.cli import _catalog_files_under
from analyzer.errors import ConfigError
from analyzer.promql_syntax import parse_error, sample_args
from analyzer.registry import Registry
from tests.docs.test_yaml_examples import PAGES, yaml_blocks
from tests.integration.data_error_budget_rules import JOBS, pyrra_rules, sloth_rules
from tests.integration.test_error_budget import pyrra_check, raw_check, sloth_check

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry.default()
SOURCE = {"url": "http://prometheus:9090"}
# The kinds that send PromQL; a composite's members are checks of their own.
PROMQL_KINDS = frozenset({"prometheus", "error_budget", "kpi_compare"})
# Marks the query of a check with `skip_promql_parse: true`: Prometheus must accept it, the parser need not.
SKIPPED = " (skip_promql_parse)"


def promtool_refusals(queries: list[str], tmp_path: Path) -> dict[str, str]:
    """promtool's (Prometheus') parse error of each query it refuses, read from one recording rule per query."""
    rules = [{"record": f"r{index}", "expr": query} for index, query in enumerate(queries)]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "agreement", "rules": rules}]}))
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    refused = {
        queries[int(found.group(1))]: found.group(2)
        for found in re.finditer(r'"r(\d+)": (.*)', done.stdout + done.stderr)
    }
    assert (done.returncode == 0) == (not refused), done.stdout + done.stderr
    assert done.returncode == 0 or refused, done.stdout + done.stderr
    return refused


def sent_by(where: str, documents: list[Any]) -> dict[str, str]:
    """{query: where} of every PromQL the checks of these catalog documents send, each check built alone (with
    the sources it names), and the SLO documents (Pyrra, Sloth, OpenSLO) as the checks they stand for."""
    found: dict[str, str] = {}
    for document in documents:
        if isinstance(document, dict) and isinstance(document.get("checks"), list):
            for check in document["checks"]:
                found.update(_check_queries(where, check))
        elif isinstance(document, list):
            for check in document:
                found.update(_check_queries(where, check))
        elif isinstance(document, dict) and "apiVersion" in document:
            found.update(_built(where, [("slo", document)]))
    return found


def _check_queries(where: str, check: Any) -> dict[str, str]:
    if not isinstance(check, dict) or not isinstance(check.get("kind"), str) or check["kind"] not in PROMQL_KINDS:
        return {}
    return _built(where, [("check", {"checks": [check]})], str(check.get("source", "default")))


def _built(where: str, documents: list[tuple[str, Any]], source: str = "default") -> dict[str, str]:
    try:
        catalog = build_catalog([("sources", {"sources": {source: SOURCE}}), *documents], REGISTRY, check_files=False)
    except (ConfigError, TypeError, AttributeError):
        return {}  # a test's deliberately invalid check, or a fragment that is no catalog
    return {
        query: f"{where}: {name}: {field}" + (SKIPPED if check.skip_promql_parse else "")
        for name, check in catalog.checks.items()
        for field, query in check.promql(sample_args(check))
    }


def docs_queries() -> dict[str, str]:
    found: dict[str, str] = {}
    for page in PAGES:
        for where, document in yaml_blocks(page):
            found.update(sent_by(where, [document]))
    return found


def deploy_queries() -> dict[str, str]:
    found: dict[str, str] = {}
    catalogs, _ = _catalog_files_under(ROOT / "deploy")
    for path in catalogs:
        where = str(path.relative_to(ROOT))
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "ConfigMap":
                for text in (document.get("data") or {}).values():
                    found.update(sent_by(where, list(yaml.safe_load_all(text))))
            else:
                found.update(sent_by(where, [document]))
    return found


def the_tests_queries() -> dict[str, str]:
    """Every check of the tests written as a dict literal or as YAML text (those that build), and those the
    error_budget tests' helpers write for each job of their rules."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "kind" in node.value:
                try:
                    found.update(sent_by(where, list(yaml.safe_load_all(node.value))))
                except yaml.YAMLError:
                    continue
            elif isinstance(node, ast.Dict):
                try:
                    literal = ast.literal_eval(node)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
                found.update(_check_queries(where, literal))
    for job in JOBS:
        for make in (pyrra_check, sloth_check, raw_check):
            found.update(_check_queries(f"tests/integration/test_error_budget.py:{make.__name__}", make(job)))
    return found


def rule_queries() -> dict[str, str]:
    """The expressions of the Pyrra and Sloth rule groups the tests backfill."""
    found: dict[str, str] = {}
    for job in JOBS:
        for tool, text in (("pyrra", pyrra_rules(job)), ("sloth", sloth_rules(job))):
            for group in yaml.safe_load(text) or []:
                for rule in group["rules"]:
                    found[rule["expr"]] = f"{tool} rules of {job}: {rule.get('record') or rule.get('alert')}"
    return found


@pytest.mark.integration
class TestShippedPromQL:
    """What we show and ship parses in promql-parser and in Prometheus; what the tests send, alike in both."""

    @pytest.mark.parametrize(
        "collect", [docs_queries, deploy_queries, rule_queries], ids=["docs", "deploy", "pyrra-sloth-rules"]
    )
    def test_parses_in_both(self, collect, tmp_path):
        queries = collect()
        assert len(queries) >= 10, queries
        rejected = {
            where: (query, parse_error(query))
            for query, where in queries.items()
            if not where.endswith(SKIPPED) and parse_error(query)
        }
        assert not rejected
        assert not promtool_refusals(list(queries), tmp_path)

    def test_the_tests_catalogs_read_alike(self, tmp_path):
        queries = the_tests_queries()
        assert len(queries) >= 50
        refused = promtool_refusals(list(queries), tmp_path)
        differ = {
            where: (query, parse_error(query), refused.get(query))
            for query, where in queries.items()
            if not where.endswith(SKIPPED) and (parse_error(query) is None) != (query not in refused)
        }
        assert not differ


@pytest.mark.integration
class TestKnownGaps:
    """The parser gaps docs/job-mode.md names: worked around, or the case `skip_promql_parse` is for."""

    @pytest.mark.parametrize(
        "query",
        [
            "holt_winters(http_requests_total[1h], 0.5, 0.1)",
            "sum(rate(http_requests_total{code=~`5\\d\\d`}[5m]))",
        ],
        ids=["holt_winters", "backtick-escapes"],
    )
    def test_worked_around(self, query, tmp_path):
        assert parse_error(query) is None
        assert not promtool_refusals([query], tmp_path)

    @pytest.mark.parametrize(
        ("regex", "written"),
        [
            ("\\Q/a.b\\E", "\\\\Q/a.b\\\\E"),
            ("\\101", "\\\\101"),
            ("[[]", "[[]"),
            ("\\w{1,1000}", "\\\\w{1,1000}"),
        ],
        ids=["quoting", "octal", "bracket-in-class", "unicode-class-repeated"],
    )
    def test_go_only_regexes_are_the_parsers_gap(self, regex, written, tmp_path):
        query = f'sum(rate(http_requests_total{{path=~"{written}"}}[5m]))'
        assert parse_error(query) == f"illegal regex for {regex}"
        assert not promtool_refusals([query], tmp_path)

    def test_both_refuse_what_validate_names(self, tmp_path):
        queries = ["sum(rate(x[5m])", "sum(rat(x[5m]))", "sum(rate(x[5mm]))", "sum(rate(x[5m]))}"]
        assert all(parse_error(query) for query in queries)
        assert set(promtool_refusals(queries, tmp_path)) == set(queries)
