"""The README's YAML examples are what users copy: each one must load or validate as it stands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from tests.deploy.test_manifests import _crd_validator

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[tuple[int, Any]]:
    text = README.read_text()
    return [(text[:m.start()].count("\n") + 2, yaml.safe_load(m.group(1)))
            for m in re.finditer(r"```yaml\n(.*?)```", text, re.S)]


BLOCKS = _blocks()
ARGO = [(line, doc) for line, doc in BLOCKS if isinstance(doc, dict) and doc.get("apiVersion", "").startswith(
    "argoproj.io/")]
CATALOG_PARTS = [(line, doc if isinstance(doc, dict) else {"checks": doc}) for line, doc in BLOCKS
                 if (isinstance(doc, dict) and "checks" in doc)
                 or (isinstance(doc, list) and doc and isinstance(doc[0], dict) and "kind" in doc[0])]


class TestReadmeExamples:
    """Every catalog snippet loads, and every Argo object validates against its CRD."""

    def test_there_are_examples(self):
        assert ARGO and len(CATALOG_PARTS) >= 4

    @pytest.mark.parametrize(("line", "doc"), ARGO, ids=[f"README.md:{line}" for line, _ in ARGO])
    def test_argo_objects(self, line, doc):
        errors = list(_crd_validator(doc["kind"]).iter_errors(doc))
        assert not errors, [e.message for e in errors]

    def test_catalog_snippets_load_together(self):
        # Snippets refer to each other (the scorecard names the kpi example); one source serves all, and the
        # two members the README only names stand in as plain checks with the params the scorecard passes.
        label = {"type": "label_value", "required": True}
        named_only = [{"name": "checkout-error-rate", "kind": "prometheus", "query": 'up{x="{{ canary_hash }}"}',
                       "pass_if": "< 0.01", "params": {"canary_hash": label}},
                      {"name": "checkout-latency", "kind": "prometheus", "pass_if": "< 1",
                       "query": 'up{x="{{ canary_hash }}",y="{{ stable_hash }}"}',
                       "params": {"canary_hash": label, "stable_hash": label}}]
        documents = [("README.md:sources", {"sources": {"default": {"url": "http://127.0.0.1:9"}},
                                            "checks": named_only})]
        for line, doc in CATALOG_PARTS:
            documents.append((f"README.md:{line}", {"checks": doc.get("checks", [])}))
        catalog = build_catalog(documents, Registry.default())
        assert len(catalog.checks) >= len(CATALOG_PARTS)
