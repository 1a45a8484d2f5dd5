"""The YAML the docs show is what users copy: every block in README.md and docs/ loads, validates against
Argo's CRDs, and passes Argo's semantic validation (tests/argo_semantics.py), as it stands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from analyzer.catalog import build_catalog
from analyzer.imports import detect_format
from analyzer.registry import Registry
from tests.argo_semantics import (
    analyses,
    analysis_problems,
    template_problems,
    traffic_start_problems,
    verdict_reading_problems,
)
from tests.deploy.test_examples import TEMPLATES
from tests.deploy.test_manifests import K8S_VERSION, _crd_validator, undeclared_fields
from tests.docs.test_demo_examples import named_files

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DEMO_CATALOG = ROOT / "deploy" / "demo" / "catalog.yaml"
TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
BUILTIN = set(Registry.default().names)


def yaml_blocks(path: Path) -> list[tuple[str, Any]]:
    """(file:line, document) of every ```yaml block of a page (several documents: each one)."""
    text = path.read_text()
    found = []
    for match in re.finditer(r"^( *)```yaml\n(.*?)^\1```", text, re.S | re.M):
        body = "\n".join(line.removeprefix(match.group(1)) for line in match.group(2).splitlines())
        line = text[: match.start()].count("\n") + 2
        found.extend((f"{path.relative_to(ROOT)}:{line}", doc) for doc in yaml.safe_load_all(body) if doc is not None)
    return found


BLOCKS = [block for page in PAGES for block in yaml_blocks(page)]
ARGO = [
    (where, doc)
    for where, doc in BLOCKS
    if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("argoproj.io/")
]
# By page: an analysis uses the template its own page shows, else the one deploy/ ships.
CORE = [
    (where, doc)
    for where, doc in BLOCKS
    if isinstance(doc, dict)
    and "apiVersion" in doc
    and "kind" in doc
    and not str(doc["apiVersion"]).startswith("argoproj.io/")
    and detect_format(doc) is None  # SLO documents: `analyzer import` reads them (tests/docs/test_demo_examples.py)
]
# Parts of a Rollout a page shows alone: its `strategy`, or a canary's `steps`.
FRAGMENTS = [
    (where, doc)
    for where, doc in BLOCKS
    if isinstance(doc, dict) and "apiVersion" not in doc and set(doc) in ({"strategy"}, {"steps"})
]
# Rollouts and the parts of one a page shows.
ROLLOUT_PARTS = [(w, d) for w, d in ARGO if d["kind"] == "Rollout"] + FRAGMENTS
DOC_TEMPLATES = {
    (where.split(":")[0], doc["kind"], doc["metadata"]["name"]): doc
    for where, doc in ARGO
    if doc["kind"] in TEMPLATE_KINDS
}
ANALYSES = [a for where, doc in BLOCKS if isinstance(doc, dict) for a in analyses(doc, where)]
CATALOG_PARTS = [
    (where, doc if isinstance(doc, dict) else {"checks": doc})
    for where, doc in BLOCKS
    if (isinstance(doc, dict) and "checks" in doc)
    or (isinstance(doc, list) and doc and isinstance(doc[0], dict) and "kind" in doc[0])
]


def lookup_for(page: str):
    """How an analysis on `page` finds a template: on that page, else under deploy/ (docs point there)."""

    def template_of(ref: dict[str, Any]) -> dict[str, Any] | None:
        key = ("ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate", ref["templateName"])
        return DOC_TEMPLATES.get((page, *key)) or TEMPLATES.get(key)

    return template_of


class TestArgoObjects:
    """Every Argo object validates against its CRD and Argo's semantic rules; every analysis resolves."""

    def test_there_are_examples(self):
        assert ARGO and ANALYSES and len(CATALOG_PARTS) >= 4

    def test_a_template_name_has_one_definition(self):
        seen: dict[tuple[str, str], tuple[str, Any]] = {}
        for where, doc in ARGO:
            if doc["kind"] in TEMPLATE_KINDS:
                first = seen.setdefault((doc["kind"], doc["metadata"]["name"]), (where, doc))
                assert first[1] == doc, f"{where}: {doc['metadata']['name']} differs from {first[0]}"

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_crd_schema(self, where, doc):
        errors = list(_crd_validator(doc["kind"]).iter_errors(doc))
        assert not errors, [e.message for e in errors]

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_no_field_the_crd_does_not_declare(self, where, doc):
        assert not undeclared_fields(_crd_validator(doc["kind"]).schema, doc)

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_semantics(self, where, doc):
        if doc["kind"] in (*TEMPLATE_KINDS, "AnalysisRun"):
            assert not template_problems(doc["spec"])

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_web_metrics_read_the_verdict_as_recommended(self, where, doc):
        # A page's template is what users copy: a condition that lets `error` or `inconclusive` through as
        # Successful would fail open in every rollout that copies it.
        for metric in doc.get("spec", {}).get("metrics", []):
            assert not verdict_reading_problems(metric)

    @pytest.mark.parametrize("analysis", ANALYSES, ids=[f"{a.where}:{a.kind}" for a in ANALYSES])
    def test_analyses(self, analysis):
        assert not analysis_problems(analysis, lookup_for(analysis.where.split(":")[0]))

    @pytest.mark.parametrize(("where", "doc"), ROLLOUT_PARTS, ids=[w for w, _ in ROLLOUT_PARTS])
    def test_traffic_before_the_first_measurement(self, where, doc):
        assert not traffic_start_problems(doc, lookup_for(where.split(":")[0]))


def as_rollout(fragment: dict[str, Any]) -> dict[str, Any]:
    """The smallest Rollout that holds a page's fragment where Argo reads it."""
    strategy = fragment.get("strategy") or {"canary": {"steps": fragment["steps"]}}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "fragment"},
        "spec": {
            "selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "a"}]}},
            "strategy": strategy,
        },
    }


class TestRolloutFragments:
    """A strategy or steps block a page shows validates in a Rollout against the CRD, field by field."""

    def test_there_are_some(self):
        assert {set(doc).pop() for _, doc in FRAGMENTS} == {"strategy", "steps"}

    @pytest.mark.parametrize(("where", "doc"), FRAGMENTS, ids=[w for w, _ in FRAGMENTS])
    def test_crd_schema(self, where, doc):
        rollout = as_rollout(doc)
        validator = _crd_validator("Rollout")
        assert not [e.message for e in validator.iter_errors(rollout)]
        assert not undeclared_fields(validator.schema, rollout)


def shipped_snippets() -> list[tuple[str, Any, str, Any]]:
    """(where, document, file, shipped object) for each whole object a page shows right after a paragraph
    that names a file under deploy/ holding an object of the same kind and name: the page says it is that one."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
            paragraph = text[: match.start()].rstrip("\n").rpartition("\n\n")[2]
            where = f"{page.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 2}"
            for name in re.findall(r"`(deploy/[\w./-]+\.yaml)`", paragraph):
                shipped = [d for d in yaml.safe_load_all((ROOT / name).read_text()) if isinstance(d, dict)]
                for doc in yaml.safe_load_all(match.group(1)):
                    if isinstance(doc, dict) and "kind" in doc and "metadata" in doc:
                        key = (doc["kind"], doc["metadata"]["name"])
                        found.extend(
                            (where, doc, name, d) for d in shipped if (d.get("kind"), d["metadata"].get("name")) == key
                        )
    return found


SHIPPED = shipped_snippets()


class TestShippedSnippets:
    """An object a page shows as a file of deploy/ is that file's object, as the tests validate it."""

    def test_there_are_some(self):
        assert SHIPPED

    @pytest.mark.parametrize(("where", "doc", "file", "shipped"), SHIPPED, ids=[f"{w}:{f}" for w, _, f, _ in SHIPPED])
    def test_same_as_the_file(self, where, doc, file, shipped):
        assert doc == shipped, f"{where} shows {doc['kind']} {doc['metadata']['name']} unlike {file}"


class TestCoreObjects:
    """Kubernetes objects the docs show (a NetworkPolicy, ...) validate against the Kubernetes schemas."""

    def test_there_are_some(self):
        assert CORE

    @pytest.mark.parametrize(("where", "doc"), CORE, ids=[w for w, _ in CORE])
    def test_valid(self, where, doc):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


class TestCatalogSnippets:
    """Catalog snippets load together with the demo's catalog, without warnings: one definition per check name
    everywhere."""

    def test_snippets_and_the_demo_catalog_load_together(self):
        demo = yaml.safe_load(DEMO_CATALOG.read_text())
        documents: list[tuple[str, Any]] = [("deploy/demo/catalog.yaml", demo)]
        seen = {check["name"]: ("deploy/demo/catalog.yaml", check) for check in demo["checks"]}
        for where, doc in CATALOG_PARTS:
            fresh = []
            for check in doc.get("checks", []):
                if check.get("kind") not in BUILTIN:
                    continue  # the worked example of writing-a-kind.md: tests/docs/test_writing_a_kind.py
                first = seen.setdefault(check["name"], (where, check))
                assert first[1] == check, f"{where}: {check['name']!r} differs from its definition in {first[0]}"
                if first[0] == where:
                    fresh.append(check)
            documents.append((where, {"checks": fresh}))
        catalog = build_catalog(documents, Registry.default())
        assert set(seen) <= set(catalog.checks)
        # A copied example must not greet its user with a warning (a deadline its steps can outlast, ...).
        assert not catalog.warnings

    @pytest.mark.parametrize(
        ("where", "doc"),
        [(w, d) for w, d in CATALOG_PARTS if "sources" in d],
        ids=[w for w, d in CATALOG_PARTS if "sources" in d],
    )
    def test_sources_load(self, where, doc):
        # Files a source names (ca_file) live in the pod, as for `analyzer validate`.
        catalog = build_catalog(
            [(where, {"sources": doc["sources"], "checks": []})], Registry.default(), check_files=False
        )
        assert set(doc["sources"]) <= set(catalog.sources)


def _catalog_for(page: str) -> list[tuple[str, str]]:
    """The catalog a page's templates call: the files the page itself introduces as holding checks
    (`my-first-check.yaml`), else the repository's (deploy/base and deploy/examples, which the pages point to)."""
    own = [(name, text) for name, text in named_files(ROOT / page) if "checks" in (yaml.safe_load(text) or {})]
    return own or [("deploy/base", ""), ("deploy/examples", "")]


class TestTemplatesAgainstTheCatalog:
    """`analyzer validate` finds no problem in a template a page shows, beside the catalog it calls: the check it
    names exists, takes the args it gives, and is given time to answer."""

    TEMPLATES = [(where, doc) for where, doc in ARGO if doc["kind"] in TEMPLATE_KINDS]

    def test_there_are_some(self):
        assert len({where.split(":")[0] for where, _ in self.TEMPLATES}) >= 3

    @pytest.mark.parametrize(("where", "doc"), TEMPLATES, ids=[w for w, _ in TEMPLATES])
    def test_validates(self, where, doc, tmp_path):
        paths = []
        for name, text in _catalog_for(where.split(":")[0]):
            if text:
                (tmp_path / name).write_text(text)
            paths.append(str(tmp_path / name) if text else str(ROOT / name))
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(doc))
        command = [sys.executable, "-m", "analyzer.cli", "validate", *paths, str(tmp_path / "template.yaml")]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr


class TestSiteShape:
    """The README stays short, and every page of docs/ is in the site's navigation."""

    def test_readme_is_short(self):
        assert len((ROOT / "README.md").read_text().splitlines()) <= 200

    def test_every_page_is_in_the_nav(self):
        nav = (ROOT / "mkdocs.yml").read_text()
        for page in (ROOT / "docs").rglob("*.md"):
            assert f" {page.relative_to(ROOT / 'docs')}\n" in nav, f"{page} is not in mkdocs.yml's nav"
