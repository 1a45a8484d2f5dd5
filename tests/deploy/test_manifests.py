"""Every manifest under deploy/ is valid offline: core objects against the Kubernetes schemas,
Argo Rollouts objects against their CRDs, catalogs through the analyzer's own loader."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from analyzer.catalog import build_catalog, load_catalog
from analyzer.registry import Registry
from tests.argo_semantics import verdict_reading_problems

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENDORED_CRDS = Path(__file__).parent / "argo-rollouts-crds"
SHARED_CRDS = ROOT.parent / "shared" / "schemas" / "argo-rollouts"
K8S_VERSION = "1.30.0"
# CRDs of other projects that we reference but have no schema for offline.
FOREIGN_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("pyrra.dev/v1alpha1", "ServiceLevelObjective"),
    ("networking.istio.io/v1beta1", "VirtualService"),
    ("sloth.slok.dev/v1", "PrometheusServiceLevel"),
    ("openslo/v1", "SLO"),
    ("openslo/v1", "SLI"),
}


def _documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DEPLOY.rglob("*.y*ml")):
        if path.suffix not in (".yaml", ".yml") or "kustomization" in path.name:
            continue
        for index, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
                found.append((f"{path.relative_to(ROOT)}#{index}", doc))
    return found


DOCUMENTS = _documents()
ARGO = [(where, doc) for where, doc in DOCUMENTS if doc["apiVersion"].startswith("argoproj.io/")]
CORE = [
    (where, doc)
    for where, doc in DOCUMENTS
    if not doc["apiVersion"].startswith("argoproj.io/") and (doc["apiVersion"], doc["kind"]) not in FOREIGN_KINDS
]


# libyaml when present: the CRDs are 600 KB each, seconds apiece for the pure-Python loader.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _crd_validator(kind: str) -> Any:
    for path in VENDORED_CRDS.glob("*.yaml"):
        crd = yaml.load(path.read_text(), Loader=_FAST_LOADER)
        if crd["spec"]["names"]["kind"] == kind:
            schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            return jsonschema.validators.validator_for(schema)(schema)
    raise LookupError(f"no Argo Rollouts CRD for kind {kind}")


def undeclared_fields(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """Paths of fields the schema does not declare. The Argo CRDs never set additionalProperties: false, so
    plain validation accepts any misspelt or misplaced field; an object schema with `properties` and
    neither `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` is closed here."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if properties is not None and key in properties:
                found += undeclared_fields(properties[key], item, where)
            elif isinstance(additional, dict):
                found += undeclared_fields(additional, item, where)
            elif properties is not None and additional is None:
                found.append(where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += undeclared_fields(schema["items"], item, f"{path}[{index}]")
    return found


class TestVendoredSchemas:
    """The CRD copies under tests/ are the ones in shared/ whenever shared/ is beside the repo."""

    @pytest.mark.skipif(not SHARED_CRDS.is_dir(), reason="no shared/ beside this clone")
    def test_copies_match_shared(self):
        for path in SHARED_CRDS.glob("*.yaml"):
            assert (VENDORED_CRDS / path.name).read_text() == path.read_text(), path.name


class TestArgoObjects:
    """Argo Rollouts objects under deploy/ validate against the CRD schemas."""

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_valid_against_crd(self, where, doc):
        errors = sorted(_crd_validator(doc["kind"]).iter_errors(doc), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_no_field_the_crd_does_not_declare(self, where, doc):
        schema = _crd_validator(doc["kind"]).schema
        assert not undeclared_fields(schema, doc), f"fields Argo Rollouts ignores: {undeclared_fields(schema, doc)}"

    @pytest.mark.parametrize(("where", "doc"), ARGO, ids=[w for w, _ in ARGO])
    def test_web_metrics_use_the_recommended_conditions(self, where, doc):
        for metric in doc.get("spec", {}).get("metrics", []):
            assert not verdict_reading_problems(metric)


class TestCoreObjects:
    """Core Kubernetes objects under deploy/ validate against the Kubernetes schemas (strict)."""

    @pytest.mark.parametrize(("where", "doc"), CORE, ids=[w for w, _ in CORE])
    def test_valid(self, where, doc):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


class TestCatalogs:
    """Catalogs shipped under deploy/ load without errors."""

    @pytest.mark.parametrize("path", sorted(DEPLOY.rglob("catalog*.yaml")), ids=str)
    def test_catalog_file_loads(self, path):
        # Example catalogs extend the base's (the KPI scorecard uses its checkout-error-rate); the demo's
        # stands alone.
        base = [] if path.parent == DEPLOY / "demo" else [DEPLOY / "base" / "configmap-catalog.yaml"]
        assert load_catalog([*base, path], Registry.default()).checks

    @pytest.mark.parametrize(
        ("where", "doc"),
        [(w, d) for w, d in CORE if d["kind"] == "ConfigMap" and "catalog" in d["metadata"]["name"]],
        ids=str,
    )
    def test_catalog_configmaps_load(self, where, doc):
        documents = [
            (f"{where}:{key}", yaml.safe_load(text))
            for key, text in doc["data"].items()
            if key.endswith((".yaml", ".yml"))
        ]
        assert build_catalog(documents, Registry.default()).checks


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
class TestKustomize:
    """Every kustomization under deploy/ builds."""

    @pytest.mark.parametrize("path", sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml")), ids=str)
    def test_builds(self, path):
        subprocess.run(["kubectl", "kustomize", str(path)], check=True, capture_output=True, timeout=60)


class TestStrictSchema:
    """The strict walk finds fields a CRD does not declare, and leaves open schemas open."""

    def test_finds_misplaced_and_misspelt_fields(self):
        template = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "t"},
            "spec": {
                "args": [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}],
                "metrics": [{"name": "m", "provider": {"web": {"url": "http://a", "header": []}}}],
            },
        }
        assert undeclared_fields(_crd_validator("AnalysisTemplate").schema, template) == [
            "spec.args[0].valueFrom.podTemplateHashValue",
            "spec.metrics[0].provider.web.header",
        ]

    def test_open_schemas_accept_anything(self):
        schema = {
            "type": "object",
            "properties": {
                "a": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "b": {"type": "object", "additionalProperties": {"type": "string"}},
                "c": {"type": "object"},
            },
        }
        assert undeclared_fields(schema, {"a": {"x": 1}, "b": {"y": "z"}, "c": {"w": 2}}) == []
        assert undeclared_fields(schema, {"d": 1}) == ["d"]
