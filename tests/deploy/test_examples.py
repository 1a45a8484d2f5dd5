"""The manifests under deploy/ fit together the way a cluster would use them: every template a Rollout names
exists and gets its args, every call to the analyzer authenticates and names a shipped check with its
declared params, analyses are about the Rollout's own service, and every analyzer container is the one image."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from analyzer.catalog import build_catalog
from analyzer.check import Check
from analyzer.registry import Registry
from analyzer.settings import Settings
from tests.argo_semantics import (
    BACKGROUND,
    EXPERIMENT,
    INLINE,
    POST_PROMOTION,
    PRE_PROMOTION,
    analyses,
    analysis_problems,
    template_problems,
    traffic_start_problems,
)
from tests.deploy.test_base import ENV as BASE_ENV
from tests.deploy.test_manifests import DEPLOY, DOCUMENTS, ROOT

DEMO = DEPLOY / "demo"
TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
TEMPLATES = {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in DOCUMENTS if doc["kind"] in TEMPLATE_KINDS}
USERS = [(where, doc) for where, doc in DOCUMENTS if doc["kind"] in ("Rollout", "Experiment", "AnalysisRun")]
ROLLOUTS = [(where, doc) for where, doc in USERS if doc["kind"] == "Rollout"]
CHECKS_PATH = re.compile(r"/api/v1/checks/(?P<name>[^/?]+)/run")
ARG_PLACEHOLDER = re.compile(r"\{\{\s*args\.(?P<arg>[\w-]+)\s*\}\}")
# rollouts-pod-template-hash values: Kubernetes' SafeEncodeString alphabet, up to 10 characters.
REAL_HASHES = ("6d9f8b7c45", "5b4f7d9c8", "bcdfghjklm", "npqrstvwxz", "2456789", "c")


def _shipped(path: Path) -> bool:
    return DEMO not in path.parents


def _catalog_sources() -> list[tuple[str, list[dict[str, Any]]]]:
    """(origin, raw catalog documents) for every catalog file and catalog ConfigMap under deploy/ (not demo)."""
    found = []
    for path in sorted(DEPLOY.rglob("catalog*.yaml")):
        if _shipped(path):
            docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
            found.append((str(path.relative_to(ROOT)), docs))
    for where, doc in DOCUMENTS:
        if doc["kind"] == "ConfigMap" and "catalog" in doc["metadata"]["name"] and not where.startswith("deploy/demo/"):
            docs = [yaml.safe_load(text) for key, text in doc["data"].items() if key.endswith((".yaml", ".yml"))]
            found.append((where, docs))
    return found


CATALOG_SOURCES = _catalog_sources()


def _all_catalog_documents() -> list[tuple[str, Any]]:
    return [(f"{origin}#{index}", doc) for origin, docs in CATALOG_SOURCES for index, doc in enumerate(docs)]


@cache
def shipped_checks() -> dict[str, list[tuple[str, Check]]]:
    """Every check of the shipped catalogs, loaded together as one analyzer would, by name: (origin, check)."""
    origins = {check["name"]: origin for origin, check in raw_checks()}
    catalog = build_catalog(_all_catalog_documents(), Registry.default())
    return {name: [(origins.get(name, "deploy/ (SLO documents)"), check)] for name, check in catalog.checks.items()}


def raw_checks() -> Iterator[tuple[str, dict[str, Any]]]:
    """(origin, raw check definition) of every check written out in a shipped catalog."""
    for origin, docs in CATALOG_SOURCES:
        for doc in docs:
            for check in doc.get("checks", []):
                yield origin, check


def arg_problems(check: Check, given: set[str]) -> list[str]:
    """What is wrong with calling the check with args of these names: undeclared or required and missing."""
    declared = set(check.params)
    required = {name for name, param in check.params.items() if param.required}
    return [f"undeclared arg {a!r} (params: {sorted(declared)})" for a in sorted(given - declared)] + [
        f"required param {p!r} not passed" for p in sorted(required - given)
    ]


def analysis_groups(node: Any) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Every set of templates Argo merges into one AnalysisRun, with the args passed to it: `templates`
    lists with their sibling `args` (Rollout analysis, steps, blue-green analyses), and Experiment
    `analyses` entries, which name one template each."""
    if isinstance(node, dict):
        templates = node.get("templates")
        if isinstance(templates, list) and templates and all("templateName" in t for t in templates):
            yield templates, node.get("args", [])
        elif "templateName" in node:
            yield [node], node.get("args", [])
        for key, value in node.items():
            if key != "templates":
                yield from analysis_groups(value)
    elif isinstance(node, list):
        for item in node:
            yield from analysis_groups(item)


def template_of(ref: dict[str, Any]) -> dict[str, Any] | None:
    kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
    return TEMPLATES.get((kind, ref["templateName"]))


def web_calls(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(metric name, web provider) of each metric that calls the analyzer's run endpoint."""
    for metric in template["spec"].get("metrics", []):
        web = metric.get("provider", {}).get("web")
        if web and "/api/v1/checks/" in web.get("url", ""):
            yield metric["name"], web


def pod_specs(node: Any) -> Iterator[dict[str, Any]]:
    """Every pod spec (a mapping with `containers`) anywhere in a document."""
    if isinstance(node, dict):
        if isinstance(node.get("containers"), list):
            yield node
        for value in node.values():
            yield from pod_specs(value)
    elif isinstance(node, list):
        for item in node:
            yield from pod_specs(item)


def analyzer_containers(doc: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod spec, container) of every container running the analyzer image."""
    for pod in pod_specs(doc):
        for container in pod["containers"]:
            image = container.get("image", "")
            if image == "analyzer" or image.rsplit("/", 1)[-1].startswith("analyzer:"):
                yield pod, container


def run_invocations(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """(check name, args) of each `analyzer run CHECK --arg k=v` an analyzer container performs."""
    for _, container in analyzer_containers(template):
        args = container.get("args", [])
        if args[:1] == ["run"]:
            values = dict(a.split("=", 1) for flag, a in pairwise(args) if flag == "--arg")
            yield args[1], values


def called_checks(template: dict[str, Any], passed: dict[str, str]) -> Iterator[tuple[str, set[str]]]:
    """(check name, arg names) of every check the template evaluates; a check name that is an arg
    (`{{args.check}}`) is resolved with the args passed, skipped when none was."""
    for _, web in web_calls(template):
        url = urlsplit(web["url"])
        path = CHECKS_PATH.search(url.path)
        assert path, web["url"]
        name = path["name"]
        placeholder = ARG_PLACEHOLDER.fullmatch(name)
        if placeholder:
            if placeholder["arg"] not in passed:
                continue
            name = passed[placeholder["arg"]]
        yield name, {key for key, _ in parse_qsl(url.query)}
    for name, args in run_invocations(template):
        yield name, set(args)


def literal_args(args: list[dict[str, Any]]) -> dict[str, str]:
    return {a["name"]: a["value"] for a in args if "value" in a}


REFERENCES = [
    (f"{where} -> {ref['templateName']}", ref, group, args)
    for where, doc in USERS
    for group, args in analysis_groups(doc["spec"])
    for ref in group
]


class TestTemplateReferences:
    """Every template a Rollout, Experiment or AnalysisRun names is shipped, and the args fit."""

    def test_references_were_found(self):
        assert len(REFERENCES) >= 10

    @pytest.mark.parametrize(("where", "ref", "group", "args"), REFERENCES, ids=[r[0] for r in REFERENCES])
    def test_template_exists(self, where, ref, group, args):
        kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
        assert template_of(ref) is not None, f"no {kind} {ref['templateName']!r} under deploy/"

    @pytest.mark.parametrize(("where", "ref", "group", "args"), REFERENCES, ids=[r[0] for r in REFERENCES])
    def test_template_args_without_value_are_passed(self, where, ref, group, args):
        template = template_of(ref)
        assert template is not None
        passed = {a["name"] for a in args}
        missing = [
            a["name"]
            for a in template["spec"].get("args", [])
            if "value" not in a and "valueFrom" not in a and a["name"] not in passed
        ]
        assert not missing, f"{ref['templateName']} needs args {missing}"

    @pytest.mark.parametrize(("where", "ref", "group", "args"), REFERENCES, ids=[r[0] for r in REFERENCES])
    def test_passed_args_are_declared(self, where, ref, group, args):
        declared = {a["name"] for t in group if (doc := template_of(t)) for a in doc["spec"].get("args", [])}
        undeclared = sorted({a["name"] for a in args} - declared)
        assert not undeclared, f"args {undeclared} are declared by no template of {[t['templateName'] for t in group]}"

    @pytest.mark.parametrize(("where", "ref", "group", "args"), REFERENCES, ids=[r[0] for r in REFERENCES])
    def test_metric_names_are_unique_in_a_group(self, where, ref, group, args):
        names = [m["name"] for t in group if (doc := template_of(t)) for m in doc["spec"].get("metrics", [])]
        assert len(names) == len(set(names)), f"Argo refuses duplicate metric names: {names}"


WEB_CALLS = [
    (f"{kind}/{name}/{metric}", doc, web) for (kind, name), doc in TEMPLATES.items() for metric, web in web_calls(doc)
]


class TestAnalyzerCalls:
    """Every web metric calling the analyzer authenticates, and names a shipped check with its params."""

    def test_calls_were_found(self):
        assert len(WEB_CALLS) >= 8

    @pytest.mark.parametrize(("where", "doc", "web"), WEB_CALLS, ids=[w for w, _, _ in WEB_CALLS])
    def test_sends_a_bearer_token_from_a_secret(self, where, doc, web):
        headers = {h["key"].lower(): h["value"] for h in web.get("headers", [])}
        assert "authorization" in headers, "deploy/base turns auth on: without a token every call is a 401"
        token = re.fullmatch(r"Bearer \{\{args\.(?P<arg>[\w-]+)\}\}", headers["authorization"])
        assert token, headers["authorization"]
        (arg,) = [a for a in doc["spec"]["args"] if a["name"] == token["arg"]]
        assert arg["valueFrom"]["secretKeyRef"] == {"name": "analyzer-client", "key": "token"}
        assert token["arg"] == "analyzer-token", "one arg name across the examples"

    @pytest.mark.parametrize(("where", "doc", "web"), WEB_CALLS, ids=[w for w, _, _ in WEB_CALLS])
    def test_url_args_are_the_template_args(self, where, doc, web):
        declared = {a["name"] for a in doc["spec"].get("args", [])}
        used = set(ARG_PLACEHOLDER.findall(web["url"]))
        assert used <= declared, f"undeclared args {sorted(used - declared)}"


def _calls_with_args() -> list[tuple[str, str, frozenset[str]]]:
    calls: list[tuple[str, str, frozenset[str]]] = []
    for (kind, name), doc in TEMPLATES.items():
        users = [literal_args(args) for _, ref, _, args in REFERENCES if template_of(ref) is doc]
        for passed in users or [{}]:
            calls.extend(
                (f"{kind}/{name} -> {check}", check, frozenset(given)) for check, given in called_checks(doc, passed)
            )
    for where, doc in DOCUMENTS:
        if doc["kind"] == "Job":
            calls.extend((f"{where} -> {check}", check, frozenset(args)) for check, args in run_invocations(doc))
    return sorted(set(calls))


CALLS = _calls_with_args()


class TestCalledChecksAreShipped:
    """Each check a template or Job evaluates is in a catalog under deploy/, called with exactly its params."""

    def test_calls_were_found(self):
        assert len(CALLS) >= 10
        assert any("{{" not in c and "analyzer-check" in w for w, c, _ in CALLS), "check names given as args"

    @pytest.mark.parametrize(("where", "check", "given"), CALLS, ids=[w for w, _, _ in CALLS])
    def test_check_exists_with_those_params(self, where, check, given):
        definitions = shipped_checks().get(check)
        assert definitions, f"no catalog under deploy/ defines {check!r}"
        for origin, definition in definitions:
            assert not arg_problems(definition, set(given)), f"{origin}: {arg_problems(definition, set(given))}"


def _rollout_checks() -> list[tuple[str, str, str]]:
    found = []
    for where, doc in ROLLOUTS:
        for group, args in analysis_groups(doc["spec"]):
            for ref in group:
                template = template_of(ref)
                if template is not None:
                    found.extend(
                        (f"{where} -> {check}", doc["metadata"]["name"], check)
                        for check, _ in called_checks(template, literal_args(args))
                    )
    return found


ROLLOUT_CHECKS = _rollout_checks()


class TestAnalysesAreAboutTheirOwnService:
    """A Rollout is judged by checks about its own service: check names start with the service's name."""

    @pytest.mark.parametrize(("where", "rollout", "check"), ROLLOUT_CHECKS, ids=[w for w, _, _ in ROLLOUT_CHECKS])
    def test_check_is_named_after_the_rollouts_service(self, where, rollout, check):
        service = rollout.split("-")[0]
        assert check.split("-")[0] == service, f"Rollout {rollout!r} is gated on {check!r}, another service's check"


class TestCatalogQueries:
    """Shipped catalogs: error ratios survive zero errors, hash params accept real hashes, shared names agree."""

    @pytest.mark.parametrize(
        ("origin", "check"), list(raw_checks()), ids=lambda v: v["name"] if isinstance(v, dict) else v
    )
    def test_error_ratios_fall_back_to_zero_errors(self, origin, check):
        for query in _strings(check):
            if re.search(r'code=~"5\.\."', query) and "/" in query:
                assert re.search(r'\(sum\([^\n]*code=~"5\.\."[^\n]*\)\) or vector\(0\)\)', query), (
                    "a canary without 5xx has no 5xx series: the numerator must be (sum(...) or vector(0))"
                )

    def test_hash_params_accept_real_rollouts_hashes(self):
        hash_params = [
            (name, check)
            for name, defs in shipped_checks().items()
            for _, check in defs
            if any(p.endswith("_hash") for p in check.params)
        ]
        assert hash_params
        for name, check in hash_params:
            for param_name, param in check.params.items():
                if param_name.endswith("_hash"):
                    assert param.pattern, f"{name}.{param_name}: no pattern"
                    for value in REAL_HASHES:
                        assert re.fullmatch(param.pattern, value), f"{name}.{param_name} refuses {value!r}"
                    assert not re.fullmatch(param.pattern, 'x"} or vector(1)')

    def test_a_name_in_several_catalogs_has_one_definition(self):
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        for origin, check in raw_checks():
            first = seen.setdefault(check["name"], (origin, check))
            assert first[1] == check, f"{check['name']!r} differs between {first[0]} and {origin}"


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _dockerfile_user() -> tuple[int, int]:
    (user,) = re.findall(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return int(user[0]), int(user[1])


def _base_image() -> str:
    (image,) = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())["images"]
    return f"{image['newName']}:{image['newTag']}"


ANALYZER_PODS = [
    (where, pod, container)
    for where, doc in DOCUMENTS
    if not where.startswith("deploy/demo/")
    for pod, container in analyzer_containers(doc)
]


class TestOneImage:
    """Every analyzer container under deploy/ runs the base's image as the Dockerfile's user."""

    def test_containers_were_found(self):
        assert len(ANALYZER_PODS) >= 3

    @pytest.mark.parametrize(("where", "pod", "container"), ANALYZER_PODS, ids=[w for w, _, _ in ANALYZER_PODS])
    def test_image_and_uid(self, where, pod, container):
        # The base names the image `analyzer`; its kustomization's `images:` sets the real one.
        assert container["image"] in ("analyzer", _base_image())
        uid, gid = _dockerfile_user()
        for context in (pod.get("securityContext", {}), container.get("securityContext", {})):
            assert context.get("runAsUser", uid) == uid and context.get("runAsGroup", gid) == gid

    def test_overlays_set_the_same_image(self):
        for path in DEPLOY.rglob("kustomization.yaml"):
            for image in yaml.safe_load(path.read_text()).get("images", []):
                if image["name"] == "analyzer":
                    assert f"{image['newName']}:{image['newTag']}" == _base_image(), path


class TestNoServiceLinks:
    """Every analyzer pod under deploy/ turns off Kubernetes' Service link variables: it reads none, and they share
    its settings' prefix (`ANALYZER_PORT=tcp://...` for a Service `analyzer`, deploy/base's)."""

    @pytest.mark.parametrize(("where", "pod", "container"), ANALYZER_PODS, ids=[w for w, _, _ in ANALYZER_PODS])
    def test_enable_service_links_is_false(self, where, pod, container):
        assert pod.get("enableServiceLinks") is False, where


def _jobs(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if doc["kind"] == "Job":
        yield doc
    elif doc["kind"] in TEMPLATE_KINDS:
        for metric in doc["spec"].get("metrics", []):
            if "job" in metric.get("provider", {}):
                yield metric["provider"]["job"]


JOBS = [(where, job) for where, doc in DOCUMENTS for job in _jobs(doc)]


class TestSmokeJobsComplete:
    """Smoke-test Jobs can complete: no Istio sidecar keeps their pod alive after the test exits."""

    def test_jobs_were_found(self):
        assert len(JOBS) >= 2

    @pytest.mark.parametrize(("where", "job"), JOBS, ids=[w for w, _ in JOBS])
    def test_no_sidecar_injection(self, where, job):
        annotations = job["spec"]["template"].get("metadata", {}).get("annotations", {})
        assert annotations.get("sidecar.istio.io/inject") == "false"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
class TestKustomizations:
    """A kustomization renders one release strategy per service: never two competing Rollouts."""

    @pytest.mark.parametrize("path", sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml")), ids=str)
    def test_at_most_one_rollout(self, path):
        rendered = subprocess.run(
            ["kubectl", "kustomize", str(path)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        rollouts = [d["metadata"]["name"] for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Rollout"]
        assert len(rollouts) <= 1, rollouts


def _header_routes() -> list[tuple[str, str, str, str]]:
    """(rollout, check, header, value) for each header route a Rollout sets before an analysis step."""
    found = []
    for where, doc in ROLLOUTS:
        routes: dict[str, tuple[str, str]] = {}
        for step in doc["spec"].get("strategy", {}).get("canary", {}).get("steps", []):
            route = step.get("setHeaderRoute")
            if route is not None:
                for match in route.get("match", []):
                    routes[route["name"]] = (match["headerName"], match["headerValue"].get("exact", ""))
                if not route.get("match"):
                    routes.pop(route["name"], None)
            for ref in step.get("analysis", {}).get("templates", []) if routes else []:
                template = template_of(ref)
                for check, _ in called_checks(template, {}) if template else []:
                    found.extend((where, check, header, value) for header, value in routes.values())
    return found


HEADER_ROUTES = _header_routes()


class TestHeaderRoutedSmokeTests:
    """A smoke test run while a header route is set sends exactly that header, or it tests the stable pods."""

    def test_routes_were_found(self):
        assert HEADER_ROUTES

    @pytest.mark.parametrize(("where", "check", "header", "value"), HEADER_ROUTES, ids=[w for w, *_ in HEADER_ROUTES])
    def test_check_sends_the_routed_header(self, where, check, header, value):
        definitions = [c for _, c in shipped_checks()[check]]
        assert definitions, f"{check} is in no shipped catalog"
        sent = {k.lower(): v for k, v in (getattr(definitions[0], "headers", None) or {}).items()}
        assert sent.get(header.lower()) == value, f"{check} does not send {header}: {value}"


def _needed_catalogs(checks: set[str]) -> list[str]:
    """The catalog files (origins) that define these checks and, for composites, their members, transitively."""
    by_name = {check["name"]: (origin, check) for origin, check in raw_checks()}
    names: set[str] = set()
    todo = list(checks)
    while todo:
        name = todo.pop()
        if name in names or name not in by_name:
            continue
        names.add(name)
        todo.extend(member["check"] for member in by_name[name][1].get("members", []))
    return sorted({by_name[name][0] for name in names})


ROLLOUT_CATALOGS = sorted(
    {
        (
            doc["metadata"]["name"],
            tuple(_needed_catalogs({c for w, r, c in ROLLOUT_CHECKS if r == doc["metadata"]["name"]})),
        )
        for _, doc in ROLLOUTS
    }
)


class TestCatalogCombinations:
    """The example catalogs combine: all of them as one catalog, and the ones each Rollout example needs."""

    def test_every_shipped_catalog_loads_as_one(self):
        catalog = build_catalog(_all_catalog_documents(), Registry.default())
        assert {name for _, check in raw_checks() for name in [check["name"]]} <= set(catalog.checks)

    def test_every_shipped_catalog_loads_without_a_warning(self):
        # Before: deploy/base's payments-preview-smoke warned at every start and validate that its steps may take
        # 8.3 s, beyond its 8 s deadline (a newcomer's first `analyzer validate deploy/base`).
        assert build_catalog(_all_catalog_documents(), Registry.default()).warnings == []

    def test_a_rollout_needs_several_catalogs(self):
        assert any(len(origins) > 1 for _, origins in ROLLOUT_CATALOGS), ROLLOUT_CATALOGS

    @pytest.mark.parametrize(("rollout", "origins"), ROLLOUT_CATALOGS, ids=[r for r, _ in ROLLOUT_CATALOGS])
    def test_the_catalogs_a_rollout_needs_load_together(self, rollout, origins):
        documents = [
            (f"{origin}#{i}", doc)
            for origin, docs in CATALOG_SOURCES
            if origin in origins
            for i, doc in enumerate(docs)
        ]
        catalog = build_catalog(documents, Registry.default())
        needed = {check for _, name, check in ROLLOUT_CHECKS if name == rollout}
        assert needed <= set(catalog.checks), f"{rollout}: {sorted(needed - set(catalog.checks))} in none of {origins}"


ANALYSES = [a for where, doc in USERS for a in analyses(doc, where)]


class TestArgoSemantics:
    """What Argo's controller refuses although the CRD schema accepts it (tests/argo_semantics.py)."""

    def test_analyses_were_found(self):
        assert {a.kind for a in ANALYSES} >= {INLINE, BACKGROUND, PRE_PROMOTION, POST_PROMOTION, EXPERIMENT}

    @pytest.mark.parametrize(("key", "doc"), list(TEMPLATES.items()), ids=[f"{k}/{n}" for k, n in TEMPLATES])
    def test_templates(self, key, doc):
        assert not template_problems(doc["spec"])

    @pytest.mark.parametrize("analysis", ANALYSES, ids=[f"{a.where}:{a.kind}" for a in ANALYSES])
    def test_analyses(self, analysis):
        assert not analysis_problems(analysis, template_of)


def _timed_calls() -> list[tuple[str, str, float]]:
    """(where, check, timeoutSeconds) of every web call to the analyzer, the check resolved as for CALLS."""
    found = set()
    for (kind, name), doc in TEMPLATES.items():
        users = [literal_args(args) for _, ref, _, args in REFERENCES if template_of(ref) is doc]
        for metric, web in web_calls(doc):
            alone = {"spec": {"metrics": [{"name": metric, "provider": {"web": web}}]}}
            for passed in users or [{}]:
                for check, _ in called_checks(alone, passed):
                    # Argo's web provider: 10 s when timeoutSeconds is unset or not above 0.
                    timeout_s = float(web.get("timeoutSeconds") or 0) or 10.0
                    found.add((f"{kind}/{name}/{metric} -> {check}", check, timeout_s))
    return sorted(found)


TIMED_CALLS = _timed_calls()


class TestArgoReceivesTheVerdict:
    """Each web call waits longer than the analyzer may take (queue wait plus the check's deadline): a timeout
    would turn every `fail` the analyzer was about to answer into an Error, retried."""

    def test_calls_were_found(self):
        assert len(TIMED_CALLS) >= 8 and any(timeout_s > 10 for _, _, timeout_s in TIMED_CALLS)

    @pytest.mark.parametrize(("where", "check", "timeout_s"), TIMED_CALLS, ids=[w for w, _, _ in TIMED_CALLS])
    def test_the_deadline_fits_the_timeout(self, where, check, timeout_s):
        settings = Settings.from_env(BASE_ENV)
        ((_, definition),) = shipped_checks()[check]
        deadline_s = definition.deadline_s or settings.deadline_s
        assert deadline_s + settings.queue_timeout_s < timeout_s, (
            f"{check}: deadline {deadline_s:g} s + queue {settings.queue_timeout_s:g} s, Argo waits {timeout_s:g} s"
        )


class TestStoppingReplicaAnswers:
    """A replica stopping (the analyzer's own rollout, a scale-down, a node drain) lets every evaluation a template
    asks for finish in the base's drain: one cut off at its end is an Error to Argo instead of the verdict due."""

    @pytest.mark.parametrize(("where", "check", "timeout_s"), TIMED_CALLS, ids=[w for w, _, _ in TIMED_CALLS])
    def test_the_drain_lets_an_evaluation_in_flight_finish(self, where, check, timeout_s):
        settings = Settings.from_env(BASE_ENV)
        ((_, definition),) = shipped_checks()[check]
        needed_s = (definition.deadline_s or settings.deadline_s) + settings.queue_timeout_s
        drain_s = settings.drain_s
        assert needed_s <= drain_s, (
            f"{check}: deadline + queue {needed_s:g} s, the base's drain {drain_s:g} s (ANALYZER_SHUTDOWN_TIMEOUT_S)"
        )


class TestFirstMeasurements:
    """No Rollout asks about its canary's traffic before there is any: every release would pause there."""

    @pytest.mark.parametrize(("where", "doc"), ROLLOUTS, ids=[w for w, _ in ROLLOUTS])
    def test_traffic_before_the_first_measurement(self, where, doc):
        assert not traffic_start_problems(doc, template_of)
