"""`analyzer validate`: the Argo Rollouts AnalysisTemplates beside a catalog, checked against it.

A web metric whose `url` calls `/api/v1/checks/NAME/run` must name a check of the catalog and give it only
args it declares, every required one among them: otherwise every measurement is a 404 or a 400, which Argo
records as Error measurements, and the rollout aborts after five of them, minutes into a release. And it must
let nothing but a `pass` count as Successful: it reads `{$.verdict}` and succeeds on `result == "pass"` only,
and its limits do not admit `count` answers without a pass (Argo ends a metric that reaches its count within
its limits Successful). And it must wait for the answer: a `timeoutSeconds` (10 s unset) that the check's
deadline plus the wait for an evaluation slot reaches makes every slow evaluation an Error. What the Rollouts
and Experiments given beside the templates fill in (`/checks/{{args.check}}/run`) is checked as they fill it in.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import ipaddress
import itertools
import json
import math
import re
import shlex
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

import regex
import yaml

from analyzer.catalog import Catalog
from analyzer.catalog_paths import MANIFEST_SUFFIXES
from analyzer.check import Check
from analyzer.errors import ArgError, ConfigError
from analyzer.params import ParamType, bind_args, parse_flag, parse_time, repeated_arg, require_text
from analyzer.settings import ENV_PREFIX, Settings

_TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
_RUN_PATH_PREFIX, _RUN_PATH_SUFFIX = "/api/v1/checks/", "/run"
# Names of the run endpoint that are not check args (`?format=text`).
# The verdict page (`ui_url`): HTML, 200 whatever the verdict.
_PAGE_PATH_PREFIX = "/ui/checks/"
# A path naming a check as the analyzer's routes do (`/api/v1/checks/NAME`, `/check/NAME/run`): the check's name.
# Another service's `/v2/checks/NAME` is not the analyzer's: only the API's prefix or the run segment tells.
_CHECK_PATH_RE = re.compile(r"/api/v1/checks?/([^/]+)|/checks?/([^/]+)/run/?$")
_RESERVED_ARGS = frozenset({"at", "explain", "format"})
_JSON_PATH = "{$.verdict}"
_ARG_RE = re.compile(r"\{\{[^{}]*\}\}")
_JSON_PATHS = frozenset({_JSON_PATH, "{.verdict}"})
# `result == "pass"`, as Argo's expr reads it: either quote, any spacing, either side.
_PASS_ONLY = re.compile(r"""\s*(?:result\s*==\s*(["'])pass\1|(["'])pass\2\s*==\s*result)\s*""")
# The lists of rules (`metricName` regular expressions) of an analysis or template.
_DRY_RUN, _RETENTION = "dryRun", "measurementRetention"
# Argo's web provider waits this long when timeoutSeconds is unset (or not above 0).
_ARGO_TIMEOUT_S = 10


def template_problems(paths: Sequence[Path], catalog: Catalog, settings: Settings | None = None) -> list[str]:
    """A problem for each web metric of the AnalysisTemplates under `paths` that calls a check the catalog
    does not have, or calls one with an undeclared arg or without a required one, or (a metric that some
    AnalysisRun judges: not dry-run in all those the Rollouts and Experiments under `paths` make of it) reads the
    verdict so that an answer that is not pass may count as Successful, or gives up on its answer sooner than the
    service (its `settings`: deadline and queue wait) may take to give it."""
    settings = settings or Settings()
    problems: list[str] = []
    templates = list(_templates(paths))
    services = _services(paths)
    by_ref = {
        (str(t["kind"]), str((t.get("metadata") or {}).get("name", ""))): t.get("spec") or {} for _, t in templates
    }
    analyses = _analyses_given(paths, templates)
    # The args each template's metrics may use: its own, and those of the templates an analysis runs with it;
    # unknown when one of those is not given.
    declared: dict[_Ref, set[str]] = {}
    unknown: set[_Ref] = set()
    # Those whose args Argo checks alone before rolling out.
    gated = {ref for _, document, analysis in analyses if _gates(document, analysis) for ref in analysis.refs}
    running = {ref for _, _, analysis in analyses for ref in analysis.refs}
    # A template no analysis given runs is judged as the AnalysisRun of it alone would run: with its nested ones.
    alone = [
        _Analysis("spec", namespaced + cluster, {}, [], [], cycle=cycle)
        for _, template in templates
        if (ref := _ref_of(template)) not in running
        for namespaced, cluster, cycle in [_nested([ref], template, templates)]
    ]
    for analysis in [a for _, _, a in analyses] + alone:
        for ref in analysis.refs:
            unknown |= {ref} if analysis.cycle or any(other not in by_ref for other in analysis.refs) else set()
            for other in analysis.refs:
                declared.setdefault(ref, set()).update(_arg_names(by_ref.get(other, {})))
    problems += alias_problems(paths) + _cycle_problems(templates)
    for origin, template in templates:
        name = (template.get("metadata") or {}).get("name", "?")
        spec = template.get("spec") or {}
        ref = (str(template["kind"]), str(name))
        found_alone = (
            _typed_value_problems(spec.get("args"))
            + _refused_rules(_listed(spec.get(_DRY_RUN)))
            + _refused_rules(_listed(spec.get(_RETENTION)), _RETENTION)
            + _named_twice(spec)
            + (_doubled_args(spec, name) if ref in gated else [])
        )
        problems += [f"{_at(origin, template)}: {template['kind']} {name!r}: {p}" for p in found_alone]
        own = _arg_names(spec)
        known = own | declared.get(ref, set())
        # The AnalysisRuns that the Rollouts given make of it (else those of it, or of a template naming it, alone),
        # with their own rules and those of every template they combine with it (Argo matches them all against every
        # metric of the run).
        runs = [
            _dry_run_patterns({"dryRun": analysis.dry_run})
            + [p for ref in analysis.refs for p in _dry_run_patterns(by_ref.get(ref, {}))]
            for analysis in ([a for _, _, a in analyses] if ref in running else alone)
            if ref in analysis.refs
        ]
        for metric in spec.get("metrics") or []:
            if isinstance(metric, dict):
                where = f"{_at(origin, metric)}: {template['kind']} {name!r}, metric {metric.get('name', '?')!r}"
                # Judged when one run at least judges it: a dry run in one step does not spare another's gate.
                judged = any(not _in_dry_run(str(metric.get("name", "")), rules) for rules in runs)
                if ref in gated:
                    undeclared = _undeclared_problems(metric, own, frozenset(known - own), name)
                else:
                    undeclared = [] if ref in unknown else _undeclared_problems(metric, known)
                found = (
                    undeclared
                    + _foreign_tag_problems(metric, known)
                    + _provider_shape_problems(metric)
                    + _argo_refusals(metric)
                    + _provider_refusals(metric, judged)
                    + _metric_problems(metric, catalog, judged, settings, services)
                    + _job_problems(metric, catalog, judged)
                )
                problems += [f"{where}: {problem}" for problem in found]
    for origin, document, analysis in analyses:
        problems += _run_problems(origin, document, analysis, templates, catalog, settings, services)
        problems += _step_rules_problems(origin, document, analysis, analyses, templates)
    return problems


def analysis_run_problems(paths: Sequence[Path], catalog: Catalog, settings: Settings | None = None) -> list[str]:
    """A problem for each AnalysisRun under `paths` (one Argo made, saved with kubectl) whose metrics, with its own
    args filled in, call the catalog wrongly, as template_problems says of a template's."""
    settings = settings or Settings()
    services = _services(paths)
    return [
        problem
        for origin, run in _documents(paths, (_RUN_KIND,))
        for problem in _analysis_run_problems(origin, run, catalog, settings, services)
    ]


def job_problems(paths: Sequence[Path], catalog: Catalog) -> list[str]:
    """A problem for each container of a batch/v1 Job or CronJob under `paths` (a pre-deploy gate, a CI step), init
    containers too, whose `analyzer run` words name a check the catalog lacks or give it args it refuses, as a job
    metric's are read, or that leaves the Job without a verdict (see `_job_spec_findings`)."""
    return _job_findings(paths, catalog)[0]


def job_notes(paths: Sequence[Path], catalog: Catalog) -> list[str]:
    """What `validate` says without failing of the Jobs of their own under `paths`: one whose container runs
    `analyzer validate` and no check, whose success is no verdict (a catalog's check of its own, maybe)."""
    return _job_findings(paths, catalog)[1]


def _job_findings(paths: Sequence[Path], catalog: Catalog) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    for origin, job in _documents(paths, _JOB_KINDS):
        where = f"{_at(origin, job)}: {job['kind']} {(job.get('metadata') or {}).get('name', '?')!r}"
        found, noted = _job_spec_findings(_job_spec(job), catalog, own=True)
        problems += [f"{where}: {problem}" for problem in found]
        notes += [f"{where}: {note}" for note in noted]
    return problems, notes


_RUN_KIND = "AnalysisRun"


def _analysis_run_problems(
    origin: str, run: dict[str, Any], catalog: Catalog, settings: Settings, services: Sequence[_Service]
) -> list[str]:
    """The problems of an AnalysisRun, as Argo runs it: its metrics with its own args filled in (a Secret's value
    only the cluster knows), judged unless its own dryRun names them; an arg without a value, which Argo's
    AnalysisRun controller fails to resolve."""
    spec = run.get("spec") or {}
    named = f"{_RUN_KIND} {(run.get('metadata') or {}).get('name', '?')!r}"
    where = f"{_at(origin, run)}: {named}"
    args: dict[str, str | None] = {}
    problems = [
        f"{where}: {problem}"
        for problem in _refused_rules(_listed(spec.get(_DRY_RUN)))
        + _refused_rules(_listed(spec.get(_RETENTION)), _RETENTION)
        + _typed_value_problems(spec.get("args"))
    ]
    for arg in _listed(spec.get("args")):
        if not isinstance(arg, dict) or not isinstance(arg.get("name"), str):
            continue
        value_from, value = arg.get("valueFrom"), arg.get("value")
        secret = isinstance(value_from, dict) and value_from.get("secretKeyRef") is not None
        args[arg["name"]] = None if secret or not isinstance(value, str) or "{{" in value else value
        if not secret and value is None:
            problems.append(
                f"{where}: arg {arg['name']!r} has no value: Argo ends the AnalysisRun in Error at once (Unable to "
                f'resolve metric arguments: argument "{arg["name"]}" was not supplied)'
            )
    rules = _dry_run_patterns(spec)
    names = _names(spec.get("metrics"), "name")
    problems += [
        f"{where}: metrics name {name!r} twice: Argo ends the AnalysisRun in Error at once (Analysis spec invalid: "
        f"metrics[{index}]: duplicate name '{name}')"
        for index, name in enumerate(names)
        if name in names[:index]
    ]
    problems += [
        f"{where}: {problem}"
        for key in (_DRY_RUN, _RETENTION)
        for problem in _unmatched_rules(_listed(spec.get(key)), spec.get("metrics"), key)
    ]
    for metric in _listed(spec.get("metrics")):
        if not isinstance(metric, dict):
            continue
        used: dict[str, str] = {}
        filled = _filled(metric, args, used)
        shown = f" (args: {', '.join(f'{arg}={value!r}' for arg, value in used.items())})" if used else ""
        judged = not _in_dry_run(str(metric.get("name", "")), rules)
        found = (
            _undeclared_problems(metric, frozenset(args))
            + _foreign_tag_problems(metric, frozenset(args))
            + _provider_shape_problems(metric)
            + _argo_refusals(filled)
            + _provider_refusals(filled, judged)
            + _metric_problems(filled, catalog, judged, settings, services)
        )
        at = f"{_at(origin, metric)}: {named}, metric {metric.get('name', '?')!r}{shown}"
        problems += [f"{at}: {problem}" for problem in found]
    return problems


# The objects whose analyses make AnalysisRuns of templates, each with a `dryRun` list of its own.
_ANALYSING_KINDS = ("Rollout", "Experiment")
_Ref = tuple[str, str]


@dataclass(frozen=True)
class _Analysis:
    """One AnalysisRun a Rollout or Experiment makes: where its analysis stands (`spec.strategy.canary.steps[1]
    .analysis`), the templates it references, the args it passes (None: a value known only in the cluster), its
    dryRun rules, the problems of its args alone, and the Experiment's name for it if an Experiment runs it."""

    path: str
    refs: list[_Ref]
    args: dict[str, str | None]
    dry_run: list[Any]
    arg_problems: list[str]
    experiment: str | None = None
    dropped: frozenset[str] = frozenset()  # args whose valueFrom an Experiment drops
    retention: tuple[Any, ...] = ()  # its measurementRetention rules
    cycle: tuple[_Ref, ...] = ()  # templates naming each other in a ring, which Argo follows without end
    line: int | None = None  # the line of its file it starts on


def _analyses(node: Any, path: str, kind: str) -> Iterator[_Analysis]:
    """Each analysis in a Rollout's or Experiment's (`kind`) spec: a canary's background and step analyses,
    blue-green's pre- and post-promotion analyses, an Experiment's (or experiment step's) analyses, whose dryRun is
    the Experiment's."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _analyses(item, f"{path}[{index}]", kind)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("analysis", "prePromotionAnalysis", "postPromotionAnalysis") and isinstance(value, dict):
            args, problems, _ = _passed(value.get("args"), rollout=True)
            yield _Analysis(
                f"{path}.{key}",
                _refs(value.get("templates")),
                args,
                _listed(value.get("dryRun")),
                problems,
                retention=tuple(_listed(value.get("measurementRetention"))),
                line=_line(value),
            )
        elif key == "analyses" and isinstance(value, list):
            for index, entry in enumerate(value):
                entry = entry if isinstance(entry, dict) else {}
                # A Rollout's experiment step takes a Rollout's args, which it resolves before making the Experiment.
                args, problems, dropped = _passed(entry.get("args"), rollout=kind == "Rollout")
                yield _Analysis(
                    f"{path}.{key}[{index}]",
                    _refs([entry]),
                    args,
                    _listed(node.get("dryRun")),
                    problems,
                    str(entry.get("name", "?")),
                    dropped,
                    tuple(_listed(node.get("measurementRetention"))),
                    line=_line(entry),
                )
        else:
            yield from _analyses(value, f"{path}.{key}", kind)


def _ref_of(template: dict[str, Any]) -> _Ref:
    """The (kind, name) an analysis names a template by."""
    return (str(template["kind"]), str((template.get("metadata") or {}).get("name", "")))


def _cycle_problems(templates: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A problem for each ring of templates naming each other in `spec.templates` (one naming itself too): Argo
    follows nested templates with no check for a ring, so it never ends looking them up."""
    problems: list[str] = []
    said: set[frozenset[_Ref]] = set()
    for origin, template in templates:
        ref = _ref_of(template)
        _, _, cycle = _nested([ref], template, templates)
        if cycle and cycle[0] == ref and frozenset(cycle) not in said:
            said.add(frozenset(cycle))
            ring = " -> ".join(f"{kind} {name!r}" for kind, name in cycle)
            problems.append(
                f"{_at(origin, template)}: {ref[0]} {ref[1]!r}: its templates lead back to it ({ring}): Argo "
                "follows nested templates with no check for a ring (getReferencedAnalysisTemplatesFromRef), so the "
                "controller recurses without end on any Rollout or Experiment that runs one of them, until its stack "
                "overflows and the controller dies (every Rollout it manages stops); take one of them out of the ring"
            )
    return problems


def _analyses_given(
    paths: Sequence[Path], templates: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any], _Analysis]]:
    """(file, Rollout or Experiment, analysis) for each analysis of those under `paths`, its templates those of the
    AnalysisRun Argo makes of it: the templates it names and theirs (`spec.templates`), as `_nested` finds them."""
    found = []
    for origin, document in _documents(paths, _ANALYSING_KINDS):
        for analysis in _analyses(document.get("spec"), "spec", str(document["kind"])):
            namespaced, cluster, cycle = _nested(analysis.refs, document, templates)
            found.append((origin, document, replace(analysis, refs=namespaced + cluster, cycle=cycle)))
    return found


def _nested(
    refs: list[_Ref],
    document: dict[str, Any],
    templates: list[tuple[str, dict[str, Any]]],
    within: tuple[_Ref, ...] = (),
) -> tuple[list[_Ref], list[_Ref], tuple[_Ref, ...]]:
    """The namespaced and the cluster-scoped templates that Argo (v1.7 and later) looks up for `refs` of `document`:
    each, then those its `spec.templates` names, depth first, each kept once where first found
    (getReferencedAnalysisTemplatesFromRef, FilterUniqueTemplates); and the first ring of templates leading back to
    one `within` or among them, which Argo follows without end. A template not given is kept, its own unknown."""
    namespaced: list[_Ref] = []
    cluster: list[_Ref] = []
    cycle: tuple[_Ref, ...] = ()
    for ref in refs:
        if ref in within:
            cycle = cycle or (*within[within.index(ref) :], ref)
            continue
        (cluster if ref[0] == _TEMPLATE_KINDS[1] else namespaced).append(ref)
        spec = _template_of(ref, document, templates)
        inner = _refs(spec.get("templates")) if spec is not None else []
        if inner:
            inner_namespaced, inner_cluster, inner_cycle = _nested(inner, document, templates, (*within, ref))
            namespaced += inner_namespaced
            cluster += inner_cluster
            cycle = cycle or inner_cycle
    return list(dict.fromkeys(namespaced)), list(dict.fromkeys(cluster)), cycle


# The pod template hashes a Rollout's analysis arg may take (utils/analysis/factory.go).
_HASH_VALUES = ("Latest", "Stable")


def _passed(entries: Any, *, rollout: bool) -> tuple[dict[str, str | None], list[str], frozenset[str]]:
    """The args an analysis passes its templates, by name, as Argo resolves them, the problems of those args, and
    the names of those whose `valueFrom` Argo drops.
    A Rollout's (`rollout`) arg always passes a value: its `valueFrom` (the pod template hash, a field) over its
    `value`, else its `value` or "" (utils/analysis/factory.go); an Experiment's passes only a `value`, its
    `valueFrom` is dropped (experiments/experiment.go). None: a value only the cluster knows (a `valueFrom`, a value
    holding a placeholder, as an experiment's `{{templates.baseline.podTemplateHash}}`)."""
    passed: dict[str, str | None] = {}
    problems: list[str] = _typed_value_problems(entries)
    dropped: set[str] = set()
    for entry in _listed(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name, value, value_from = entry["name"], entry.get("value"), entry.get("valueFrom")
        if rollout and isinstance(value_from, dict):
            which = value_from.get("podTemplateHashValue")
            if which is not None and which not in _HASH_VALUES:
                # Argo's switch takes Latest and Stable only, as written; any other leaves the arg's `value` (""),
                # which the run endpoint refuses (an Error at every measurement), or, for a param with min_length: 0,
                # reads as "the label is absent": the series of no ReplicaSet.
                meant = next((known for known in _HASH_VALUES if known.lower() == str(which).strip().lower()), None)
                problems.append(
                    f"arg {name!r} takes podTemplateHashValue {which!r}, which Argo does not know (it knows "
                    f"{' and '.join(_HASH_VALUES)}, written so): the template gets {value or ''!r} for it, not a pod "
                    f"template hash; write {meant or 'Latest'} (Latest: the canary's ReplicaSet, Stable: the stable "
                    "one's)"
                )
            elif which is not None or value_from.get("fieldRef") is not None:
                passed[name] = None
                continue
            if value_from.get("secretKeyRef") is not None:
                problems.append(
                    f"arg {name!r} takes a secretKeyRef, which a Rollout's analysis args do not have (only "
                    f"podTemplateHashValue or fieldRef): the API server refuses or drops it, and the template gets "
                    f"{value or ''!r}; put the secretKeyRef on the AnalysisTemplate's arg"
                )
        elif not rollout and value is None:
            dropped |= {name} if value_from is not None else set()
            continue
        if value is None:
            passed[name] = ""
        else:
            passed[name] = value if isinstance(value, str) and "{{" not in value else None
    return passed, problems, frozenset(dropped)


def _typed_value_problems(entries: Any) -> list[str]:
    """A problem for each arg whose `name` or `value` Kubernetes reads as no text (an unquoted `n`, `1e3`, `5`, `y`,
    `true`), or without a name (`name: null`): Argo's CRDs type both as strings, require the name, and the API server
    refuses the object."""
    unnamed = [
        "an arg has no name (none written, or an unquoted null or ~, which Kubernetes reads as none), while Argo's CRD "
        "requires one: the API server refuses the object (name: Required value); name it"
        for entry in _listed(entries)
        if isinstance(entry, dict) and entry.get("name") is None
    ]
    return unnamed + _typed_problems(entries)


def _typed_problems(entries: Any) -> list[str]:
    """The problems of `_typed_value_problems` of the args with a name."""
    return [
        f"an arg's name is {_go_shown(entry['name'])}, a {_unquoted_reading(entry['name'])}, while Argo's CRD takes "
        "an arg's name as a string: the API server refuses the object (name in body must be of type string); quote it"
        for entry in _listed(entries)
        if isinstance(entry, dict) and isinstance(entry.get("name"), bool | int | float)
    ] + [
        f"arg {entry['name']!r} has the value {_go_shown(entry['value'])}, a "
        f"{'boolean' if isinstance(entry['value'], bool) else 'number'} as Kubernetes reads the unquoted YAML "
        "(go-yaml: 1e3 and y are not text), while Argo's CRD takes an arg's value as a string: the API server "
        f"refuses the object (value in body must be of type string); quote it"
        for entry in _listed(entries)
        if isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("value"), bool | int | float)
    ]


def _unquoted_reading(value: bool | int | float) -> str:
    """How Kubernetes came to read an unquoted scalar as this boolean or number, and its other spellings."""
    if isinstance(value, bool):
        spellings = "y, yes, on or true" if value else "n, no, off or false"
        return (
            f"boolean as Kubernetes reads the unquoted YAML ({spellings}: YAML 1.1's booleans, which go-yaml v2 reads)"
        )
    return "number as Kubernetes reads the unquoted YAML (go-yaml v2 reads 1e3, 0x1F or 5 as numbers)"


def _go_shown(value: bool | int | float) -> str:
    """A value as JSON writes it (Go's encoding/json: 1000 for 1e3)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, "g") if isinstance(value, float) and not value.is_integer() else str(int(value))


def _run_problems(
    origin: str,
    document: dict[str, Any],
    analysis: _Analysis,
    templates: list[tuple[str, dict[str, Any]]],
    catalog: Catalog,
    settings: Settings,
    services: Sequence[_Service],
) -> list[str]:
    """The problems of this analysis's args (one Argo refuses to resolve), and those that the metrics of the
    templates given show once it fills their `{{args.x}}` in (a check named `{{args.check}}`, an arg's name, a
    timeout), beyond those the templates show alone."""
    found = [(ref, _template_of(ref, document, templates)) for ref in analysis.refs]
    # Argo flattens the namespaced templates of a run first, then the cluster-scoped ones.
    present = sorted(
        ((ref, spec) for ref, spec in found if spec is not None), key=lambda p: p[0][0] != _TEMPLATE_KINDS[0]
    )
    # A template not given may have args and rules of its own: the args are judged, and a metric judged, only when
    # all are given (and Argo can find them all: a ring of templates it follows without end makes no run).
    complete = len(present) == len(found) and not analysis.cycle
    args, arg_problems = _run_args(present, analysis)
    rules = _dry_run_patterns({"dryRun": analysis.dry_run}) + [
        p for _, spec in present for p in _dry_run_patterns(spec)
    ]
    named = f"{document['kind']} {(document.get('metadata') or {}).get('name', '?')!r}"
    where = f"{_at(origin, analysis.line)}: {named}, {analysis.path}"
    refused = (
        analysis.arg_problems
        + (arg_problems if complete else [])
        + _refused_rules(analysis.dry_run)
        + _refused_rules(list(analysis.retention), _RETENTION)
        + _named_twice_in_run(document, analysis, present)
        + (_endless_problems(present) if _gates(document, analysis) else [])
    )
    if complete:
        # Argo's order: the analysis's rules, then its templates' (flattened as their metrics are).
        metrics = [m for _, spec in present for m in _listed(spec.get("metrics"))]
        for key, first in ((_DRY_RUN, analysis.dry_run), (_RETENTION, list(analysis.retention))):
            every_rule = first + [rule for _, spec in present for rule in _listed(spec.get(key))]
            refused += _unmatched_rules(every_rule, metrics, key)
    problems = [f"{where}: {problem}" for problem in refused]
    for (kind, name), spec in present:
        for metric in _listed(spec.get("metrics")):
            if not isinstance(metric, dict):
                continue
            used: dict[str, str] = {}
            filled = _filled(metric, args, used)
            if not used:
                continue
            judged = complete and not _in_dry_run(str(metric.get("name", "")), rules)
            # What the template alone shows is said once, of the template.
            own = set(_argo_refusals(metric) + _metric_problems(metric, catalog, True, settings, services))
            shown = ", ".join(f"{arg}={value!r}" for arg, value in used.items())
            problems += [
                f"{where}: {kind} {name!r}, metric {metric.get('name', '?')!r} (args: {shown}): {problem}"
                for problem in _argo_refusals(filled) + _metric_problems(filled, catalog, judged, settings, services)
                if problem not in own
            ]
    return problems


def _endless_problems(present: list[tuple[_Ref, dict[str, Any]]]) -> list[str]:
    """A problem for each metric of a step or blue-green analysis's templates that has an `interval` and no `count`:
    it would measure until it fails, and the rollout waits for it to end, so Argo refuses the Rollout
    (validation_references.go); a background analysis may run so."""
    return [
        f"{kind} {name!r} has metric {metric.get('name', '?')!r} with an interval and no count: Argo refuses the "
        f"Rollout (InvalidSpec: AnalysisTemplate {name} has metric {metric.get('name', '?')} which runs "
        "indefinitely. Invalid value for count) and rolls nothing out, since this analysis waits for its metrics to "
        "end; give the metric a count (count: 5, five measurements an interval apart), or run the template as a "
        "background analysis (strategy.canary.analysis)"
        for (kind, name), spec in present
        for metric in _listed(spec.get("metrics"))
        if isinstance(metric, dict) and _effective_count(metric) == 0
    ]


def _gates(document: dict[str, Any], analysis: _Analysis) -> bool:
    """Whether Argo resolves each template of this analysis with its own args alone before rolling out: a Rollout's
    step or blue-green analysis, not its background one nor an Experiment's (validation_references.go)."""
    return (
        document.get("kind") == "Rollout"
        and analysis.experiment is None
        and not analysis.path.endswith(".canary.analysis")
    )


def _doubled_args(spec: dict[str, Any], name: object) -> list[str]:
    """A problem for each arg of the template (`name`) with both a `value` and a `valueFrom`, which Argo refuses in
    a step or blue-green analysis."""
    return [
        f"arg {arg['name']!r} has both a value and a valueFrom: Argo refuses a Rollout whose step or blue-green "
        f"analysis runs the template (InvalidSpec: AnalysisTemplate {name}: arg '{arg['name']}' has both Value and "
        "ValueFrom fields) and rolls nothing out; keep one"
        for arg in _listed(spec.get("args"))
        if isinstance(arg, dict) and arg.get("value") is not None and arg.get("valueFrom") is not None
    ]


# What Argo names twice in one AnalysisRun refuses to make it (FlattenTemplates, mergeDryRunMetrics,
# mergeMeasurementRetentionMetrics): the field, what its entries are keyed by, Argo's error.
_NAMED_ONCE = (
    ("metrics", "name", "two metrics have the same name"),
    (_DRY_RUN, "metricName", "two Dry-Run metric rules have the same name"),
    (_RETENTION, "metricName", "two Measurement Retention metric rules have the same name"),
)


def _names(entries: Any, key: str) -> list[str]:
    return [str(e[key]) for e in _listed(entries) if isinstance(e, dict) and e.get(key) is not None]


def _named_twice(spec: dict[str, Any]) -> list[str]:
    """A problem for each metric, dryRun rule or measurementRetention rule that the template names twice: Argo
    makes no AnalysisRun of it."""
    return [
        f"{field} names {name!r} twice: Argo makes no AnalysisRun of the template, refusing a Rollout that runs it "
        f"(InvalidSpec: {error} '{name}') and ending an Experiment that runs it in Error; keep one"
        for field, key, error in _NAMED_ONCE
        for name, count in Counter(_names(spec.get(field), key)).items()
        if count > 1
    ]


def _named_twice_in_run(
    document: dict[str, Any], analysis: _Analysis, present: list[tuple[_Ref, dict[str, Any]]]
) -> list[str]:
    """A problem for each metric or rule that two templates of the analysis's run name (one template's twice is the
    template's problem), and each rule of the analysis's own that it names twice or a template of the run names
    too."""
    problems = []
    for field, key, error in _NAMED_ONCE:
        sources = [set(_names(spec.get(field), key)) for _, spec in present]
        counted = Counter(name for names in sources for name in names)
        doubled = [name for name, count in counted.items() if count > 1]
        if field != "metrics":
            own = _names(analysis.dry_run if field == _DRY_RUN else list(analysis.retention), key)
            doubled += [name for name, count in Counter(own).items() if count > 1 or name in counted]
        problems += [
            f"the AnalysisRun's {field} would name {name!r} twice: "
            + _refusal_at_creation(document, analysis, f"{error} '{name}'", own_rules=field != "metrics")
            for name in dict.fromkeys(doubled)
        ]
    return problems


def _step_rules_problems(
    origin: str,
    document: dict[str, Any],
    step: _Analysis,
    analyses: list[tuple[str, dict[str, Any], _Analysis]],
    templates: list[tuple[str, dict[str, Any]]],
) -> list[str]:
    """A problem for each rule of a canary step's analysis that a template of another analysis of its Rollout names
    too: Argo checks each step's rules against the templates of every analysis of the Rollout
    (ValidateAnalysisTemplatesWithType), and refuses it."""
    if document.get("kind") != "Rollout" or step.experiment is not None or ".steps[" not in step.path:
        return []
    where = f"{_at(origin, step.line)}: Rollout {(document.get('metadata') or {}).get('name', '?')!r}, {step.path}"
    problems = []
    for _, other_document, other in analyses:
        if other_document is not document or other is step or other.experiment is not None:
            continue
        specs = [spec for ref in other.refs if (spec := _template_of(ref, document, templates)) is not None]
        for field, key, error in _NAMED_ONCE[1:]:
            theirs = {name for spec in specs for name in _names(spec.get(field), key)}
            own = _names(step.dry_run if field == _DRY_RUN else list(step.retention), key)
            problems += [
                f"{field} rule {name!r} is also a rule of a template of {other.path}: Argo checks each step's rules "
                f"against the templates of every analysis of the Rollout, and refuses it (InvalidSpec: {error} "
                f"'{name}') and rolls nothing out"
                for name in dict.fromkeys(own)
                if name in theirs
            ]
    return [f"{where}: {problem}" for problem in problems]


def _refusal_at_creation(document: dict[str, Any], analysis: _Analysis, error: str, *, own_rules: bool) -> str:
    """What Argo does when it cannot make this analysis's AnalysisRun: `_refusal`, but an analysis's own rules it
    checks before rolling out only in a canary step's analysis: a background or blue-green one fails when made."""
    step = ".steps[" in analysis.path and analysis.experiment is None
    if document.get("kind") == "Rollout" and analysis.experiment is None and own_rules and not step:
        return (
            f"Argo cannot make the AnalysisRun ({error}): the Rollout's reconcile fails there on every try, and it "
            "goes no further"
        )
    return _refusal(analysis, error)


def _unmatched_rules(rules: list[Any], metrics: Any, key: str = _DRY_RUN) -> list[str]:
    """A problem for each dryRun (or measurementRetention: `key`) rule (in the run's order) that Go reads and that
    matches no metric of the run: Argo's GetDryRunMetrics (GetMeasurementRetentionMetrics) ends the AnalysisRun in
    Error at once. None when a metric's name is filled in."""
    names = [str(m.get("name", "")) for m in _listed(metrics) if isinstance(m, dict)]
    if any(_given_elsewhere(n) for n in names):
        return []
    return [
        f"{key} rule {pattern!r} matches no metric of the run ({', '.join(names)}): Argo ends the AnalysisRun in "
        f"Error at once (Analysis spec invalid: {key}[{index}]: Rule didn't match any metric name(s))"
        for index, pattern in enumerate(_dry_run_patterns({key: rules}, key))
        if _matches_none(pattern, names)
    ]


def _matches_none(pattern: str, names: list[str]) -> bool:
    """Whether a rule Go reads (and this reading follows) matches none of `names`; a refused one is said apart."""
    compiled = _go_regexp(pattern)
    return isinstance(compiled, regex.Pattern) and not any(compiled.search(n) for n in names)


def _template_of(
    ref: _Ref, document: dict[str, Any], templates: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any] | None:
    """The spec of the template given that `ref` of `document` names; None when none is given, or several that
    differ (overlays)."""
    specs = _templates_named(ref, document, templates)
    return specs[0] if len(specs) == 1 else None


def _templates_named(
    ref: _Ref, document: dict[str, Any], templates: list[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The distinct specs of the templates given that `ref` of `document` names: of its namespace unless
    cluster-scoped (or either namespace left to the deploy)."""
    namespace = (document.get("metadata") or {}).get("namespace")
    specs: list[dict[str, Any]] = []
    for _, template in templates:
        metadata = template.get("metadata") or {}
        if (str(template["kind"]), str(metadata.get("name", ""))) != ref:
            continue
        theirs = metadata.get("namespace")
        if ref[0] == "ClusterAnalysisTemplate" or None in (namespace, theirs) or namespace == theirs:
            spec = template.get("spec") or {}
            specs += [] if spec in specs else [spec]
    return specs


def _template_meant(ref: _Ref, templates: list[tuple[str, dict[str, Any]]]) -> str:
    """The hint for a template reference that no file given holds: the same name given as the other kind (the
    reference's `clusterScope` is wrong), else a near name of its kind (a misspelt templateName)."""
    kind, name = ref
    given = {
        (str(template["kind"]), str((template.get("metadata") or {}).get("name", ""))): origin
        for origin, template in templates
    }
    other = _TEMPLATE_KINDS[1] if kind == _TEMPLATE_KINDS[0] else _TEMPLATE_KINDS[0]
    if (other, name) in given:
        scope = "add clusterScope: true to" if other == _TEMPLATE_KINDS[1] else "remove clusterScope: true from"
        article = "an" if other == _TEMPLATE_KINDS[0] else "a"
        return (
            f"; {given[other, name]} gives {article} {other} {name!r}: to run it, {scope} the analysis's template "
            "reference"
        )
    close = difflib.get_close_matches(
        name, sorted(given_name for given_kind, given_name in given if given_kind == kind), 1
    )
    return f"; did you mean {close[0]!r} ({given[kind, close[0]]})?" if close else ""


def template_notes(paths: Sequence[Path], catalog: Catalog | None = None) -> list[str]:
    """What `validate` leaves unchecked among the files under `paths`, said without failing: a template that an
    analysis of a Rollout or Experiment names and no file given holds (Argo looks it up in the cluster), or holds
    several times with different content; a dryRun or measurementRetention rule (of a template, an analysis or an
    AnalysisRun) Go reads and validate cannot; a string body that gives a text param of a `catalog`'s check an
    unquoted `{{args.x}}`, right only for some values of it; a url calling a Service's targetPort where the Service
    it reaches is not known."""
    templates = list(_templates(paths))
    services = _services(paths)
    notes = []
    for origin, document, analysis in _analyses_given(paths, templates):
        named = f"{document['kind']} {(document.get('metadata') or {}).get('name', '?')!r}"
        where = f"{_at(origin, analysis.line)}: {named}"
        for kind, name in analysis.refs:
            specs = _templates_named((kind, name), document, templates)
            if not specs:
                scope = "the cluster" if kind == "ClusterAnalysisTemplate" else f"the {document['kind']}'s namespace"
                notes.append(
                    f"{where}, {analysis.path}: {kind} {name!r} is not among the files given, so its metrics are "
                    f"not checked for this analysis; Argo looks it up in {scope}, and without it there "
                    + (
                        f"marks the Rollout InvalidSpec ({kind} {name!r} not found)"
                        if document["kind"] == "Rollout" and analysis.experiment is None
                        else "the Experiment ends in Error"
                    )
                    + _template_meant((kind, name), templates)
                )
            elif len(specs) > 1:
                notes.append(
                    f"{where}, {analysis.path}: {kind} {name!r} is given {len(specs)} times with different "
                    "content (a base and its overlay?), so its metrics are not checked for this analysis"
                )
        unread = _unread_rules(analysis.dry_run) + _unread_rules(list(analysis.retention), _RETENTION)
        notes += [f"{where}, {analysis.path}: {note}" for note in unread]
    run = {ref for _, _, analysis in _analyses_given(paths, templates) for ref in analysis.refs}
    for origin, template in templates:
        name = (template.get("metadata") or {}).get("name", "?")
        spec = template.get("spec") or {}
        rules = _listed(spec.get("dryRun"))
        found = _unread_rules(rules) + _unread_rules(_listed(spec.get(_RETENTION)), _RETENTION)
        if (str(template["kind"]), str(name)) not in run:
            # What the analyses that run it would show: they are not given.
            found += (
                _doubled_args(spec, name)
                + _unmatched_own_rules(rules, spec.get("metrics"))
                + _unmatched_own_rules(_listed(spec.get(_RETENTION)), spec.get("metrics"), _RETENTION)
            )
        found += _unauthenticated(spec.get("metrics")) + _loopback_calls(spec.get("metrics"))
        found += _target_port_calls(spec.get("metrics"), services)
        notes += [f"{_at(origin, template)}: {template['kind']} {name!r}: {note}" for note in found]
        for metric in [m for m in _listed(spec.get("metrics")) if isinstance(m, dict)]:
            provider = metric.get("provider")
            job = provider.get("job") if isinstance(provider, dict) else None
            unread = _unread_lines(job.get("spec")) if isinstance(job, dict) else []
            web = provider.get("web") if isinstance(provider, dict) else None
            unread += _unquoted_body_args(web, catalog) if isinstance(web, dict) and catalog is not None else []
            where = f"{_at(origin, metric)}: {template['kind']} {name!r}, metric {metric.get('name', '?')!r}"
            notes += [f"{where}: {note}" for note in unread]
    for origin, given in _documents(paths, (_RUN_KIND,)):
        spec = given.get("spec") or {}
        found = _unread_rules(_listed(spec.get(_DRY_RUN))) + _unread_rules(_listed(spec.get(_RETENTION)), _RETENTION)
        name = (given.get("metadata") or {}).get("name", "?")
        notes += [f"{_at(origin, given)}: {_RUN_KIND} {name!r}: {note}" for note in found]
    notes += [
        f"{_at(str(kustomization), line)}: {key} entry {entry!r} is remote: validate does not read it (what it "
        "applies is not checked); render the kustomization (kubectl kustomize DIR > rendered.yaml) and validate that"
        for kustomization, document in _kustomizations(paths, resolved=False)
        for key in ("resources", "bases", "components")
        for entry, line in _with_lines(document.get(key))
        if isinstance(entry, str) and _is_remote(entry)
    ]
    called = _services_called(template for _, template in templates)
    notes += [
        f"{_at(service.origin, service.line)}: Service {service.name!r}: its namespace is not known "
        f"({service.namespaces_said}): a url calling it by its namespace is not judged by its ports"
        for service in services
        if service.namespaces_said and service.names & called
    ]
    return notes


def _provider(metric: Any, kind: str) -> Any:
    """A metric's provider of `kind` (`web`, `job`) as written, or None: a metric or provider of another shape has
    none (the CRD's schema says so, not this)."""
    provider = metric.get("provider") if isinstance(metric, dict) else None
    return provider.get(kind) if isinstance(provider, dict) else None


def _services_called(templates: Iterable[dict[str, Any]]) -> set[str]:
    """The names of the Services that the web metrics of `templates` call by `NAME.NAMESPACE...`."""
    called = set()
    for template in templates:
        for metric in _listed((template.get("spec") or {}).get("metrics")):
            web = _provider(metric, "web")
            url = _split_url(web["url"]) if isinstance(web, dict) and isinstance(web.get("url"), str) else None
            labels = (url.hostname or "").split(".") if url is not None else []
            if len(labels) >= 2:
                called.add(labels[0])
    return called


# What stands for the i-th `{{args.x}}` of a string body while it is read as JSON: a number, so that one outside a
# JSON string reads as one (`_unquoted_body_args`), and text inside one.
_BARE_TAG = "9876543210123{:06d}"


def _unquoted_body_args(web: dict[str, Any], catalog: Catalog) -> list[str]:
    """A warning for each arg a web metric's string `body` gives as a `{{args.x}}` outside a JSON string to a param
    the check it runs takes as text: Argo puts the arg's text in as it is (the CRD's `body` is a string), so a hash
    with letters is no JSON, and `1.10` or `1e3` a JSON number the run endpoint refuses for a text param (a 400, an
    Error measurement); right only for the values that are numbers written as sent."""
    text, url = web.get("body"), web.get("url")
    if not isinstance(text, str) or not isinstance(url, str):
        return []
    split = _split_url(url)
    path = split.path if split is not None else ""
    if _RUN_PATH_PREFIX not in path or not path.endswith(_RUN_PATH_SUFFIX):
        return []
    check = catalog.checks.get(unquote(path.rsplit(_RUN_PATH_PREFIX, 1)[1].removesuffix(_RUN_PATH_SUFFIX)))
    tags = _TAG_RE.findall(text)
    if check is None or not tags:
        return []
    marks = {_BARE_TAG.format(index): index for index in range(len(tags))}
    counter = itertools.count()
    try:
        body = json.loads(
            _TAG_RE.sub(lambda _: _BARE_TAG.format(next(counter)), text),
            parse_int=lambda digits: _Bare(marks[digits]) if digits in marks else int(digits),
        )
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return [
        f"the body gives {key!r} as {{{{{tags[value.index]}}}}} outside quotes, while check {check.name!r} takes "
        f"{key!r} as text (a {param.type.value} param): Argo puts the arg's text into the body as it is, so a value "
        f"with letters (a pod template hash) is no JSON and 1.10 or 1e3 a number the run endpoint refuses for text, "
        f'each a 400 and an Error measurement; quote it: "{key}": "{{{{{tags[value.index]}}}}}"'
        for key, value in body.items()
        if isinstance(value, _Bare)
        and (param := check.params.get(key)) is not None
        and param.type is not ParamType.NUMBER
    ]


@dataclass(frozen=True)
class _Bare:
    """The i-th `{{args.x}}` of a string body, read where JSON reads a number."""

    index: int


def _unauthenticated(metrics: Any) -> list[str]:
    """A note for each web metric calling the run endpoint without an Authorization header: whether the analyzer
    asks for a token (ANALYZER_AUTH_TOKENS, set by deploy/base) is known only where it runs, and there every
    measurement of such a metric is a 401."""
    found = []
    for metric in _listed(metrics):
        web = _provider(metric, "web")
        if not isinstance(web, dict) or not isinstance(web.get("url"), str):
            continue
        url = _split_url(web["url"])
        if url is None or _RUN_PATH_PREFIX not in url.path:
            continue
        keys = [str(h.get("key", "")) for h in _listed(web.get("headers")) if isinstance(h, dict)]
        if any(key.lower() == "authorization" or _given_elsewhere(key) for key in keys):
            continue
        found.append(
            f"metric {metric.get('name', '?')!r} calls the analyzer without an Authorization header: an analyzer "
            "that asks for a token (ANALYZER_AUTH_TOKENS; deploy/base does) answers every measurement 401, an Error, "
            'and the rollout aborts after five; add headers: [{key: Authorization, value: "Bearer '
            '{{args.analyzer-token}}"}], the arg read from a Secret (docs/argo-rollouts.md)'
        )
    return found


def _without_userinfo(origin: str) -> str:
    """A url's start as a message shows it, its userinfo (`user:password@`) as `***`: a validate run's output is a CI
    log, where a password is a leak."""
    head, at, host = origin.rpartition("@")
    if not at:
        return origin
    scheme, separator, _ = head.partition("://")
    return f"{scheme}{separator}***@{host}" if separator else f"***@{host}"


def _loopback_calls(metrics: Any) -> list[str]:
    """A note for each web metric calling the analyzer at a loopback address (`localhost`, `127.0.0.1`: the demo's
    `$ANALYZER`): Argo's controller sends the request from its own pod, where an analyzer answers only if it runs
    there; a note, not a problem, for that one layout."""
    found = []
    for metric in _listed(metrics):
        web = _provider(metric, "web")
        if not isinstance(web, dict) or not isinstance(web.get("url"), str):
            continue
        url = _split_url(web["url"])
        if url is None or _RUN_PATH_PREFIX not in url.path or not _is_loopback(url.hostname or ""):
            continue
        if _go_url_refusal(web["url"]) is not None:
            continue  # a problem already: Go sends nothing, to the loopback or elsewhere
        found.append(
            f"metric {metric.get('name', '?')!r} calls the analyzer at {url.hostname}, the Argo Rollouts controller's "
            "own pod, which sends the web metric's requests: unless the analyzer runs in that pod, every measurement "
            "is an Error (connection refused), and the rollout aborts after five; call the analyzer's Service "
            "(deploy/base: http://analyzer.argo-rollouts.svc:8080)"
        )
    return found


def _is_loopback(host: str) -> bool:
    """Whether a URL's host names the machine itself, as a connection from the controller's pod reaches it: `localhost`
    (`localhost.` too), `127.0.0.1` and its short forms (`127.1`, as inet_aton reads them), `::1`, and the unspecified
    addresses `0.0.0.0` and `::`, which Linux connects to the machine itself."""
    if host.lower().rstrip(".") == "localhost":
        return True
    address = _ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and (address.is_loopback or address.is_unspecified)


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a URL's host writes, inet_aton's short and based forms too (`127.1`, `0x7f.1`, `2130706433`,
    which the resolver of glibc, and so the controller's, reads as 127.0.0.1); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(part) for part in parts):
        return None
    numbers = [
        int(part[2:] or "0", 16) if part[:2].lower() == "0x" else int(part, 8 if part[:1] == "0" else 10)
        for part in parts
    ]
    # Each part but the last is one byte; the last fills the bytes left.
    last_bits = 8 * (5 - len(parts))
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 1 << last_bits:
        return None
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value |= number << (24 - 8 * index)
    return ipaddress.IPv4Address(value)


_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


@dataclass(frozen=True)
class _Service:
    """A Service among the files given: where, its name, its namespace (None: set where it is applied), its ports,
    and each port's targetPort written as a number (the pods' port it leads to)."""

    origin: str
    name: str
    namespace: str | None
    ports: tuple[int, ...]
    target_ports: tuple[tuple[int, int], ...] = ()
    # The namespaces (and names) it may be applied under, each with how, when they are several (`namespace` None
    # then).
    namespaces_said: str = ""
    # Every name it may be applied under.
    names: frozenset[str] = frozenset()
    line: int | None = None  # the line of its file it starts on


def _services(paths: Sequence[Path]) -> list[_Service]:
    """The Services under `paths` whose cluster address serves their own ports: not a headless one (its name leads to
    the pods, on their ports) or an ExternalName; its namespace the one it is applied in however it is applied (its
    own, and each that a chain of kustomizations given applying it sets), None when there are several or none."""
    found = []
    patched = _patched_services(paths)
    listing = _kustomizations_listing(paths)
    for origin, service in _documents(paths, ("Service",)):
        metadata, spec = service.get("metadata") or {}, service.get("spec") or {}
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str) or not isinstance(spec, dict) or patched & {name, None}:
            # A kustomization given patches it (its ports, maybe): what it serves is not read.
            continue
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            continue
        ports = tuple(p["port"] for p in _listed(spec.get("ports")) if isinstance(p, dict) and _is_int(p.get("port")))
        # A targetPort by name (a container port's) says no number a url could write.
        target_ports = tuple(
            (p["port"], p["targetPort"])
            for p in _listed(spec.get("ports"))
            if isinstance(p, dict) and _is_int(p.get("port")) and _is_int(p.get("targetPort"))
        )
        own = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else None
        applied = _applied_as(Path(origin), own or None, name, listing)
        namespace, renamed = next(iter(applied)) if len(applied) == 1 else (None, name)
        said = (
            ", ".join(f"{ns if named == name else f'{named} in {ns}'} {how}" for (ns, named), how in applied.items())
            if len(applied) > 1
            else ""
        )
        if ports:
            names = frozenset({name, *(named for _, named in applied)})
            found.append(_Service(origin, renamed, namespace, ports, target_ports, said, names, _line(service)))
    return found


def service_files(paths: Sequence[Path]) -> list[str]:
    """The files under `paths` holding a Service whose ports the urls calling it are checked against."""
    return list(dict.fromkeys(service.origin for service in _services(paths)))


# A kustomization's own name edits: what it prepends and appends to the name of each resource it applies.
_Renaming = tuple[str, str]


def _renaming(document: dict[str, Any]) -> _Renaming:
    """The `namePrefix` and `nameSuffix` a kustomization sets ("" for none)."""
    prefix, suffix = document.get("namePrefix"), document.get("nameSuffix")
    return (prefix if isinstance(prefix, str) else "", suffix if isinstance(suffix, str) else "")


def _kustomizations_listing(paths: Sequence[Path]) -> dict[Path, list[tuple[Path, str | None, _Renaming]]]:
    """For each file or directory that a kustomization under `paths` (or above one given) lists in its `resources`
    (or `bases`, or a local component's `resources`), the directory of each such kustomization, the namespace it
    sets and how it renames what it applies."""
    listing: dict[Path, list[tuple[Path, str | None, _Renaming]]] = {}
    for kustomization, document in _kustomizations(paths, resolved=True):
        namespace, renaming = _applying(kustomization.parent, document)
        for directory, entry in _resource_entries(kustomization.parent, document):
            try:
                listed = (directory / entry).resolve()
            except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL: nothing kustomize reads either
                continue
            listing.setdefault(listed, []).append((kustomization.parent, namespace, renaming))
    return listing


def _applying(directory: Path, document: dict[str, Any]) -> tuple[str | None, _Renaming]:
    """The namespace a kustomization in `directory` sets (None for none) and how it renames what it applies, its
    local components' edits with its own."""
    namespace = document.get("namespace") if isinstance(document.get("namespace"), str) else None
    # Kustomize runs each local component's transformers, in order, over all the kustomization holds (its own
    # resources too), and then the kustomization's own: each wraps the names the earlier made, and sets the
    # namespace over theirs.
    inner: _Renaming = ("", "")
    included_namespace = None
    for _, included in _components(directory, document):
        prefix, suffix = _renaming(included)
        inner = (prefix + inner[0], inner[1] + suffix)
        said = included.get("namespace")
        included_namespace = said if isinstance(said, str) and said else included_namespace
    prefix, suffix = _renaming(document)
    return namespace or included_namespace or None, (prefix + inner[0], inner[1] + suffix)


def _resource_entries(directory: Path, document: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """The local entries (each with the directory it is relative to) of a kustomization's `resources` and `bases`,
    and of those of the local components it includes (which add theirs to its own); a remote one is not read."""
    for entry in _listed(document.get("resources")) + _listed(document.get("bases")):
        if isinstance(entry, str) and not _is_remote(entry):
            yield directory, entry
    for component, included in _components(directory, document):
        for entry in _listed(included.get("resources")):
            if isinstance(entry, str) and not _is_remote(entry):
                yield component, entry


def _components(directory: Path, document: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The directory and kustomization document of each local component a kustomization in `directory` includes."""
    for entry in _listed(document.get("components")):
        if not isinstance(entry, str) or _is_remote(entry):
            continue
        for name in KUSTOMIZATION_FILE_NAMES:
            try:
                included = yaml.safe_load((directory / entry / name).read_text(encoding="utf-8"))
            except (OSError, ValueError, yaml.YAMLError):  # ValueError: a NUL in the entry, or UnicodeDecodeError
                continue
            if isinstance(included, dict):
                yield directory / entry, included
            break


def _is_remote(entry: str) -> bool:
    """Whether a kustomization's entry is a remote resource (a URL, a git repository) rather than a local path."""
    return "://" in entry or entry.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/"))


def _kustomizations(paths: Sequence[Path], *, resolved: bool) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each kustomization file under `paths` (a directory's, searched whole) or in a directory above one given, once,
    with its document (one that cannot be read, or is not a mapping, left out); `resolved`: a directory's found under
    its resolved path."""
    candidates: list[Path] = []
    for root in paths:
        candidates += [d / name for d in root.resolve().parents for name in KUSTOMIZATION_FILE_NAMES]
        if root.is_dir():
            searched = root.resolve() if resolved else root
            candidates += [p for name in KUSTOMIZATION_FILE_NAMES for p in searched.rglob(name)]
    for kustomization in dict.fromkeys(candidates):
        try:
            text = kustomization.read_text(encoding="utf-8")
            # A SafeLoader's subclass: it makes no object of a tag.
            document = yaml.load(text, Loader=_LocatingSafeLoader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(document, dict):
            yield kustomization, document


def _applied_as(
    file: Path, own: str | None, name: str, listing: dict[Path, list[tuple[Path, str | None, _Renaming]]]
) -> dict[tuple[str, str], str]:
    """The namespaces and names a Service `name` written in `file` (in namespace `own`, None for none) may be applied
    under, each with how: `kubectl apply -f` or `-k` of a kustomization setting none keeps its own; a kustomization
    that sets one puts it there, and one applying that kustomization's directory may set another over it (the
    outermost's wins); each kustomization's namePrefix and nameSuffix wrap the name (the outermost's outside). A
    kustomization beside the file that lists nothing of it is taken to apply it (`-k` of its directory)."""
    found: dict[tuple[str, str], str] = {}
    if own is not None:
        found[(own, name)] = "as written"

    def applied(directory: Path, current: str | None, named: str, seen: frozenset[Path]) -> None:
        outer = [(d, ns, r) for d, ns, r in listing.get(directory, []) if d not in seen]
        for parent, namespace, (prefix, suffix) in outer:
            applied(parent, namespace or current, f"{prefix}{named}{suffix}", seen | {parent})
        if current is not None:
            found.setdefault((current, named), f"as {directory.name} applies it")

    direct = listing.get(file.resolve(), [])
    beside = _kustomization_beside(file.parent)
    if not direct and beside is not None and beside != (None, ("", "")):
        direct = [(file.parent.resolve(), *beside)]
    for directory, namespace, (prefix, suffix) in direct:
        applied(directory, namespace or own, f"{prefix}{name}{suffix}", frozenset({directory}))
    return found


def _patched_services(paths: Sequence[Path]) -> set[str | None]:
    """The names of the Services that a kustomization under `paths` (or above a path given) patches, None for a patch
    of Services it does not name: a `target` of kind Service (or of none), or a patch (inline or a file) of one."""
    names: set[str | None] = set()
    for kustomization, document in _kustomizations(paths, resolved=False):
        # A component's patches patch what the kustomization including it applies.
        for directory, patching in [(kustomization.parent, document), *_components(kustomization.parent, document)]:
            for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                for entry in _listed(patching.get(key)):
                    names |= _services_patched(directory, entry)
    return names


def _services_patched(directory: Path, entry: Any) -> set[str | None]:
    """The names (None: unnamed) of the Services one kustomization's patch entry patches."""
    target = entry.get("target") if isinstance(entry, dict) else None
    if isinstance(target, dict) and target.get("kind") in ("Service", None):
        name = target.get("name")
        return {name if isinstance(name, str) and not target.get("labelSelector") else None}
    text = entry.get("patch") if isinstance(entry, dict) else entry if isinstance(entry, str) else None
    path = entry.get("path") if isinstance(entry, dict) else None
    if isinstance(text, str) and "\n" not in text and path is None:
        path, text = text, None  # patchesStrategicMerge's entries are files' paths
    try:
        if text is None and isinstance(path, str):
            text = (directory / path).read_text(encoding="utf-8")
        documents = list(yaml.safe_load_all(text)) if isinstance(text, str) else []
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: a NUL in the path, or UnicodeDecodeError
        return set()
    return {
        _name_of(document) for document in documents if isinstance(document, dict) and document.get("kind") == "Service"
    }


def _name_of(document: dict[str, Any]) -> str | None:
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kustomization_beside(directory: Path) -> tuple[str | None, _Renaming] | None:
    """The `namespace` a kustomization in `directory` sets (None for none) and how it renames, its local components'
    edits with its own, or None without one."""
    for name in KUSTOMIZATION_FILE_NAMES:
        try:
            document = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(document, dict):
            return None
        return _applying(directory, document)
    return None


def _unserved_port(url: SplitResult, services: Sequence[_Service], outcome: str) -> str | None:
    """A problem when the url's host names a Service given in its namespace (`NAME.NAMESPACE`,
    `NAME.NAMESPACE.svc...`) and none of the Services so named serves the url's port (80 or 443 when it writes none).
    A bare `NAME` resolves in the namespace of the controller's pod, which no file says, so it is not judged; nor is a
    port that a Service of that name without a namespace (applied where its deploy says) serves."""
    host = (url.hostname or "").rstrip(".")
    labels = host.split(".")
    if _given_elsewhere(url.netloc) or len(labels) < 2 or (len(labels) > 2 and labels[2] != "svc"):
        return None
    name, namespace = labels[0], labels[1]
    named = [service for service in services if service.name == name and service.namespace == namespace]
    maybe = [service for service in services if service.name == name and service.namespace is None]
    port = url.port if url.port is not None else (443 if url.scheme.lower() == "https" else 80)
    if not named or any(port in service.ports for service in named + maybe):
        return None
    served = sorted({p for service in named for p in service.ports})
    written = f"port {port}" if url.port is not None else f"port {port} ({url.scheme.lower()}'s, the url writing none)"
    origins = ", ".join(dict.fromkeys(service.origin for service in named))
    leading = _ports_leading_to(port, named)
    mixed_up = (
        f": {port} is its targetPort, the pods' port, which only the Service's port {leading[0]} leads to"
        if leading
        else ""
    )
    return (
        f"url calls {host} on {written}, which Service {name!r} ({origins}) does not serve (its ports: "
        f"{', '.join(map(str, served))}){mixed_up}: the connection reaches no pod, and every measurement would be "
        f"{outcome}; write {url.scheme}://{host}:{(leading or served)[0]}{_RUN_PATH_PREFIX}..."
    )


def _ports_leading_to(target_port: int, services: Sequence[_Service]) -> list[int]:
    """The ports of `services` whose targetPort is `target_port`, when none of them serves it itself."""
    if any(target_port in service.ports for service in services):
        return []
    return sorted({port for service in services for port, target in service.target_ports if target == target_port})


def _target_port_calls(metrics: Any, services: Sequence[_Service]) -> list[str]:
    """A note for each web metric calling the analyzer on a port that a Service of the name it calls, given with no
    namespace known to be the url's (a bare name resolves in the controller's namespace; one without its own is
    applied where its deploy says), has as its targetPort only: likely the pods' port written for the Service's.
    Not a problem: the Service the url reaches may be another of that name."""
    found = []
    for metric in _listed(metrics):
        web = _provider(metric, "web")
        if not isinstance(web, dict) or not isinstance(web.get("url"), str) or _go_url_refusal(web["url"]):
            continue
        url = _split_url(web["url"])
        if url is None or _RUN_PATH_PREFIX not in url.path or _given_elsewhere(url.netloc):
            continue
        host = (url.hostname or "").rstrip(".")
        labels = host.split(".")
        if len(labels) > 2 and labels[2] != "svc":
            continue
        port = url.port if url.port is not None else (443 if url.scheme.lower() == "https" else 80)
        known = len(labels) > 1 and any(s.name == labels[0] and s.namespace == labels[1] for s in services)
        named = [s for s in services if s.name == labels[0] and (len(labels) == 1 or s.namespace is None)]
        leading = [] if known else _ports_leading_to(port, named)
        if leading:
            origins = ", ".join(dict.fromkeys(service.origin for service in named))
            found.append(
                f"metric {metric.get('name', '?')!r} calls {host} on port {port}, the targetPort (the pods' port) of "
                f"Service {labels[0]!r} ({origins}), which serves it on port {leading[0]}: if that is the Service the "
                "url reaches, the connection reaches no pod, and every measurement is an Error; write "
                f"{url.scheme}://{host}:{leading[0]}{_RUN_PATH_PREFIX}..."
            )
    return found


def _split_url(text: str) -> SplitResult | None:
    """The parts of a url as urlsplit reads them, or None when it cannot (an unclosed `[` of an IPv6 host)."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


def _go_url_refusal(text: str) -> str | None:
    """Why Go's url.Parse (which Argo's web provider reads a metric's url with, sending nothing when it refuses it)
    or its connection refuses `text`, or None: urlsplit takes out what Go refuses (a leading space, a tab, a block
    scalar's line break), so these are read from the text as written."""
    control = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:
        # A block scalar (`url: >-` without the `-`) ends its text with a line break.
        return f"holds the control character {control!r} (net/url: invalid control character in URL)"
    if text[:1] == " ":
        return "starts with a space, before which Go reads no scheme (first path segment in URL cannot contain colon)"
    split = _split_url(text)
    if split is None:
        # The host and port after any userinfo (a password is not shown).
        host_port = text.partition("//")[2].partition("/")[0].partition("?")[0].rpartition("@")[2]
        if "]" in host_port:
            # Closed brackets, between which urlsplit finds no IPv6 address.
            host = host_port.partition("[")[2].partition("]")[0]
            return f"has a host in brackets that is no IPv6 address ({host!r}), which no connection reaches"
        return "has a host Go cannot read (missing ']' in host: an IPv6 address's [ is not closed)"
    if " " in split.netloc:
        return 'has a space before its path, where Go allows none (invalid character " " in host name)'
    host_port = split.netloc.rpartition("@")[2]
    if "[" in host_port and not _given_elsewhere(host_port):
        # urlsplit reads the address between the brackets whatever surrounds them; Go reads `a[::1]` as a host
        # name, and after the `]` only `:PORT`.
        if not host_port.startswith("["):
            return (
                f"has a host with text before its IPv6 address's [ ({re.sub(r'(?<=]):[0-9]*$', '', host_port)!r}), "
                "which no connection reaches"
            )
        after = host_port.rpartition("]")[2]
        if after and not re.fullmatch(r":[0-9]*", after):
            return f"has text after its IPv6 address's ] that Go cannot read (invalid port {after!r} after host)"
    if not _given_elsewhere(split.netloc):
        try:
            split.port  # noqa: B018 - read for the ValueError it raises on a port that is no number up to 65535
        except ValueError:
            return f"has a port Go cannot read (invalid port {':' + split.netloc.rpartition(':')[2]!r} after host)"
    return None


def _space_sent(url: SplitResult) -> str | None:
    """Why a space Go sends (it escapes one in the path, and sends the query as written) costs the answer, or None.
    A tag (`{{ args.hash }}`, a Helm value) is filled in before the url is sent: spaces in it are not sent."""
    path, query = (_TAG_RE.sub("tag", part) for part in (url.path, url.query))
    if " " in path:
        return "has a space in its path, which Go sends as %20: the analyzer answers 404 Not Found"
    if " " in query.rstrip(" "):
        return (
            "has a space within its query, which Go sends as written: the request line it breaks is answered 400 "
            "Bad Request"
        )
    if query.endswith(" "):
        # llhttp (aiohttp's C parser) reads them as one separator; its pure-Python parser, and a proxy on the way,
        # may not: the url is sent only as it is answered everywhere.
        return (
            "has spaces ending its query, which Go sends as written: an HTTP parser allowing one space before "
            "HTTP/1.1 (aiohttp's pure-Python one, a strict proxy's) answers 400 Bad Request; take them out"
        )
    return None


def _unmatched_own_rules(rules: list[Any], metrics: Any, key: str = _DRY_RUN) -> list[str]:
    """A note for each dryRun (or measurementRetention: `key`) rule of a template that matches none of its metrics:
    the templates it runs with are unknown, and may have the metric."""
    names = [str(m.get("name", "")) for m in _listed(metrics) if isinstance(m, dict)]
    if any(_given_elsewhere(n) for n in names):
        return []
    return [
        f"{key} rule {pattern!r} matches no metric of the template ({', '.join(names)}): unless Argo runs it with a "
        "template that has one, it ends the AnalysisRun in Error at once (Rule didn't match any metric name(s))"
        for pattern in _dry_run_patterns({key: rules}, key)
        if _matches_none(pattern, names)
    ]


def _unread_rules(rules: list[Any], key: str = _DRY_RUN) -> list[str]:
    """A note for each `dryRun` (or measurementRetention: `key`) rule that RE2 takes and `_go_regexp` cannot read."""
    effect = (
        "counts it as matching no metric (the metrics it may run dry are judged)"
        if key == _DRY_RUN
        else "cannot tell whether it matches a metric (Argo ends the AnalysisRun in Error if it matches none)"
    )
    return [
        f"{key} rule {pattern!r} is read by Go's regexp and not by validate, which {effect}"
        for pattern in _dry_run_patterns({key: rules}, key)
        if _go_regexp(pattern) is None
    ]


def _run_args(
    templates: list[tuple[_Ref, dict[str, Any]]], analysis: _Analysis
) -> tuple[dict[str, str | None], list[str]]:
    """The value of each arg the templates of one AnalysisRun declare, as Argo's FlattenTemplates and MergeArgs make
    it and its AnalysisRun controller reads it: a template's Secret (`valueFrom.secretKeyRef`) over anything, else
    the value the analysis passes, else the templates' `value`; None where only the cluster knows it. And where Argo
    refuses: an arg left without a value, two templates giving two, a `valueFrom` Argo does not read there."""
    args: dict[str, dict[str, Any]] = {}
    declaring: dict[str, list[str]] = {}
    problems: list[str] = []
    for (kind, name), spec in templates:
        for arg in _listed(spec.get("args")):
            if not isinstance(arg, dict) or not isinstance(arg.get("name"), str):
                continue
            key, value = arg["name"], arg.get("value")
            declaring.setdefault(key, []).append(f"{kind} {name!r}")
            before = args.get(key)
            if before is None or before.get("value") is None:
                args[key] = arg
            elif value is not None and value != before["value"]:
                error = (
                    f"Argument `{key}` specified multiple times with different values: '{before['value']}', '{value}'"
                )
                problems.append(f"the templates give arg {key!r} two values: {_refusal(analysis, error)}")
    values: dict[str, str | None] = {}
    for key, arg in args.items():
        value_from, value = arg.get("valueFrom"), arg.get("value")
        if isinstance(value_from, dict) and value_from.get("secretKeyRef") is not None:
            values[key] = None  # the Secret's value, read by the AnalysisRun controller whatever the run says
        elif key in analysis.args:
            values[key] = analysis.args[key]
        elif value is not None:
            values[key] = value if isinstance(value, str) and "{{" not in value else None
        elif value_from is not None:
            values[key] = None
            source = " and ".join(map(str, value_from)) if isinstance(value_from, dict) and value_from else "nothing"
            problems.append(
                f"arg {key!r} takes its value from a {source} in {', '.join(declaring[key])}, which Argo reads only in "
                "a Rollout's args (a template's valueFrom gives a Secret only), and the analysis does not pass it: the "
                f'AnalysisRun ends in Error at once (Unable to resolve metric arguments: argument "{key}" was not '
                "supplied); pass it in the analysis's args"
            )
        else:
            values[key] = None
            dropped = " (an Experiment passes only a value, never a valueFrom)" if key in analysis.dropped else ""
            problems.append(
                f"{', '.join(declaring[key])} declares arg {key!r} without a value, and the analysis does not pass "
                f"it{dropped}: {_refusal(analysis, f'args.{key} was not resolved')}; pass it in the analysis's args, "
                f"or give the template's arg a value{_passed_instead(key, analysis, args)}"
            )
    return values, problems


def _passed_instead(key: str, analysis: _Analysis, declared: Collection[str]) -> str:
    """What to add when the analysis passes an arg no template declares, its name close to `key`'s (`canary_hash` for
    `canary-hash`): Argo drops an arg no template declares, unsaid, which leaves the one meant without a value."""
    undeclared = [name for name in analysis.args if name not in declared]
    meant = difflib.get_close_matches(key, undeclared, n=1, cutoff=0.75)
    if not meant:
        return ""
    return f" (the analysis passes {meant[0]!r}, which no template declares and Argo drops: write {key!r})"


def _refusal(analysis: _Analysis, error: str) -> str:
    """What Argo does when it cannot make this analysis's AnalysisRun, with `error`, its message."""
    if analysis.experiment is not None:
        return (
            "Argo cannot make the AnalysisRun, and the Experiment ends in Error (Failed to create AnalysisRun for "
            f"analysis {analysis.experiment!r}: {error})"
        )
    return f"Argo refuses the Rollout (InvalidSpec: {error}) and rolls nothing out"


# `{{args.x}}`, as Argo's templates find it: the tag between the braces, spaces trimmed.
_TAG_RE = re.compile(r"\{\{([^{}]*)\}\}")
# A value that, put in a url, stays the one path segment or query value it replaces (a `+` does: a query string
# reads it as a space, as the filled-in url is read here too).
_URL_PLAIN = re.compile(r"[^\s/?#&=%{}\\]*")


def _filled(node: Any, args: dict[str, str | None], used: dict[str, str], url: bool = False) -> Any:
    """`node` with each `{{args.x}}` whose value is known filled in, as Argo fills a metric in (every field, a
    `jsonBody`'s keys too); in a `url`, only a value that cannot change where the others stand (`a&b=c`). The args
    filled in are added to `used`."""
    if isinstance(node, dict):
        return {_filled(k, args, used): _filled(v, args, used, url or k == "url") for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(item, args, used, url) for item in node]
    if not isinstance(node, str):
        return node

    def fill(tag: re.Match[str]) -> str:
        name = tag.group(1).strip().removeprefix("args.")
        value = args.get(name) if tag.group(1).strip().startswith("args.") else None
        if value is None or (url and _URL_PLAIN.fullmatch(value) is None):
            return tag.group(0)
        used[name] = value
        return value

    return _TAG_RE.sub(fill, node)


def _arg_names(spec: dict[str, Any]) -> frozenset[str]:
    """The names of the args a template declares; one Kubernetes reads as a boolean under each unquoted spelling of
    it, so that `{{args.n}}` is not also called undeclared (the name is `_typed_value_problems`'s to name)."""
    return frozenset(
        spelling
        for arg in _listed(spec.get("args"))
        if isinstance(arg, dict) and arg.get("name") is not None
        for spelling in _spellings(arg["name"])
    )


def _spellings(name: Any) -> list[str]:
    """The texts an arg's `name` is written as in a `{{args.x}}`: itself, each unquoted spelling of a boolean, or for
    a number the key of its reading (see `_number_key`), as `0x1F`, `1_000` or `1e3` may be written for it."""
    if isinstance(name, bool):
        return [text for text, read in _GO_BOOLS.items() if read is name]
    if isinstance(name, int | float):
        return [str(name), _number_key(name)]
    return [str(name)]


def _number_key(number: int | float) -> str:
    """Among the names a template declares, the key of one Kubernetes read as this number (as JSON writes it: 1e3 is
    read as 1000.0 alone, as 1000 in a mapping): no text names an arg so."""
    return f"\0{_go_shown(number)}"


def _undeclared_problems(
    metric: dict[str, Any], declared: frozenset[str], others: frozenset[str] = frozenset(), template: object = None
) -> list[str]:
    """A problem for each `{{args.x}}` of the metric (any field) that names no arg `declared`: Argo fills in every
    field, and fails on a tag it has no value for (utils/template/template.go); one that only `others` (the templates
    run with its `template` in a step or blue-green analysis) declare, Argo refuses too."""
    used = dict.fromkeys(
        tag.group(1).strip().removeprefix("args.")
        for text in _texts(metric)
        for tag in _TAG_RE.finditer(text)
        if tag.group(1).strip().startswith("args.")
    )
    return [
        (
            f"it uses {{{{args.{name}}}}}, which only another template run with it declares: Argo resolves the "
            "metrics of each template of a step or blue-green analysis with that template's args alone, and refuses "
            f"the Rollout (InvalidSpec: AnalysisTemplate {template}: failed to resolve {{{{args.{name}}}}}); declare "
            "it in this template's args too"
            if name in others
            else f"it uses {{{{args.{name}}}}}, which the template does not declare in its args: Argo cannot resolve "
            f"it (failed to resolve {{{{args.{name}}}}}): a Rollout's step or blue-green analysis of it is refused "
            "(InvalidSpec), a background or an Experiment's AnalysisRun ends in Error"
        )
        for name in used
        if name not in declared and not _read_as_declared(name, declared)
    ]


def _read_as_declared(name: str, declared: frozenset[str]) -> bool:
    """Whether `{{args.NAME}}` names an arg whose name Kubernetes read as the number this text reads as (`1e3`):
    `_typed_value_problems` names that arg, which is declared, though not as text."""
    read = go_plain_scalar(name) if name else None
    return isinstance(read, int | float) and not isinstance(read, bool) and _number_key(read) in declared


def _foreign_tag_problems(metric: dict[str, Any], declared: frozenset[str]) -> list[str]:
    """A problem for each `{{ tag }}` of the metric (any field) that is no `{{args.x}}`: Argo fills in only args and
    fails on any other tag (utils/template/template.go), such as the catalog's own `{{ canary_hash }}` written in the
    url, which the analyzer would fill in from the url's `?canary_hash=` but never receives."""
    tags = dict.fromkeys(
        tag.group(0) for text in _texts(metric) for tag in _TAG_RE.finditer(text) if _is_foreign_tag(tag.group(1))
    )
    return [f"it uses {tag}, {_foreign_tag_advice(tag, declared)}" for tag in tags]


def _is_foreign_tag(inner: str) -> bool:
    """Whether a tag's text is a name that is no `args.x` (`canary_hash`, `inputs.hash`): not a Helm chart's own
    template (`.Values.x`, `- end`, `include "x" .`), which Helm fills in before Argo sees the template."""
    name = inner.strip()
    return _TAG_NAME_RE.fullmatch(name) is not None and not name.startswith("args.") and name not in _GO_TEMPLATE_WORDS


# A tag naming a value, as the catalog writes a param and Argo an arg: `canary_hash`, `args.canary-hash`.
_TAG_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
# Go template actions a Helm chart writes as a bare word.
_GO_TEMPLATE_WORDS = frozenset({"end", "else", "break", "continue", "nil", "true", "false"})


def _foreign_tag_advice(tag: str, declared: frozenset[str]) -> str:
    """Why Argo refuses `tag`, and the `{{args.x}}` to write: the declared arg it names, `-` for `_` (the catalog's
    params are written `canary_hash`, the templates' args `canary-hash`)."""
    name = tag[2:-2].strip()
    plain = {arg.replace("_", "-").lower(): arg for arg in declared}
    meant = plain.get(name.replace("_", "-").lower()) or next(
        iter(difflib.get_close_matches(name, sorted(declared), n=1)), None
    )
    write = (
        f"write {{{{args.{meant}}}}}"
        if meant is not None
        else "declare an arg in the template's args and write {{args.NAME}}"
    )
    return (
        f"which Argo cannot resolve (failed to resolve {tag}): it fills in a metric's {{{{args.NAME}}}} tags, each "
        f"an arg the template declares, and no other: {write} (the catalog's {{{{ param }}}} is filled in by the "
        "analyzer, from the url's ?param=); a Rollout's step or blue-green analysis of it is refused (InvalidSpec), "
        "a background or an Experiment's AnalysisRun ends in Error"
    )


def _texts(node: Any) -> Iterator[str]:
    """Every string of a manifest's node, keys too."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(key)
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
    elif isinstance(node, str):
        yield node


def _refs(entries: Any) -> list[_Ref]:
    """The (kind, name) of the templates an analysis references (`clusterScope: true`: a ClusterAnalysisTemplate)."""
    return [
        (
            "ClusterAnalysisTemplate" if entry.get("clusterScope") is True else "AnalysisTemplate",
            str(entry["templateName"]),
        )
        for entry in _listed(entries)
        if isinstance(entry, dict) and entry.get("templateName") is not None
    ]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dry_run_patterns(spec: dict[str, Any], key: str = _DRY_RUN) -> list[str]:
    """The `metricName`s of the template's `dryRun` (or `key`) list (Argo matches them as regular expressions)."""
    entries = spec.get(key)
    if not isinstance(entries, list):
        return []
    return [str(e["metricName"]) for e in entries if isinstance(e, dict) and e.get("metricName") is not None]


def _in_dry_run(metric_name: str, patterns: list[str]) -> bool:
    """Whether Argo runs this metric dry: its result is recorded and never decides the rollout. Go's MatchString
    matches nothing with a rule RE2 refuses; one RE2 takes and this reading cannot counts as matching nothing too,
    so that the metric is judged (`template_notes` says so)."""
    for pattern in patterns:
        compiled = _go_regexp(pattern)
        if isinstance(compiled, regex.Pattern) and compiled.search(metric_name):
            return True
    return False


@dataclass(frozen=True)
class _Refused:
    """A regular expression that Go's regexp (RE2) refuses, and why."""

    reason: str

    def __str__(self) -> str:
        return self.reason


# The letters Go's regexp takes after a backslash (regexp/syntax: \a \f \t \n \r \v, \x41, \A \b \B \z, the
# Perl and Unicode classes, \Q...\E); a digit is octal, one alone a backreference RE2 has not.
_GO_ESCAPES = frozenset("afnrtvxAbBzdDsSwWpPQ")
# Those Go takes outside a character class only (in one it has no \b, \A, \z, \Q: "invalid escape sequence").
_GO_OUTSIDE_ONLY = frozenset("AbBzQ")
# What may follow `(?` in Go: flags (i m s U) before `:` or `)`, a capture's name.
_GO_GROUP = re.compile(r"\(\?(?:P?<[A-Za-z0-9_]+>|([imsU]*)(?:-([imsU]+))?([:)]))")
_GO_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
# RE2's largest repeat count.
_GO_MAX_REPEAT = 1000
# Go's Perl classes and POSIX classes are ASCII (regexp/syntax perl_groups.go), where `regex` reads Unicode ones
# (`\d` matches "٣"): each is spelled out as its code point ranges. Go's `\s` has no \v.
_GO_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_GO_PERL = {"d": ((0x30, 0x39),), "s": ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)), "w": _GO_WORD}
_GO_POSIX = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": _GO_WORD,
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_MAX_RUNE = 0x10FFFF


def _ranges(ranges: tuple[tuple[int, int], ...], negated: bool, folded: bool = False) -> str:
    """The inside of a character class holding `ranges` (their complement if `negated`), in `regex`'s syntax;
    `folded` (under (?i)): the complement of the ranges with their case variants, as Go negates a class after
    folding it (`(?i)\\W` takes no "s", whose variant "\u017f" is not a word character)."""
    if negated and folded:
        points = {p for low, high in ranges for p in range(low, high + 1)}
        for point in list(points):
            points |= {ord(c) for c in (chr(point).lower(), chr(point).upper()) if len(c) == 1}
            points |= {_GO_FOLDS[c] for c in (chr(point).lower(),) if c in _GO_FOLDS}
            points |= set(_REGEX_ONLY_FOLDS.get(chr(point).lower(), ()))
        ranges = _spans(sorted(points))
    if negated:
        starts = [0, *(high + 1 for _, high in ranges)]
        ends = [*(low - 1 for low, _ in ranges), _MAX_RUNE]
        ranges = tuple((low, high) for low, high in zip(starts, ends, strict=True) if low <= high)
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


# The letters of Unicode that fold to an ASCII one (Go's simple folding): "\u017f" to s, "\u212a" (Kelvin) to k.
_GO_FOLDS = {"s": 0x017F, "k": 0x212A}
# Those `regex` folds to an ASCII one under (?i) and Go does not ("\u0130" and "\u0131", whose simple case mappings
# are i and I): a complement left holding them matches "i" and "I" (`(?i)\W` took "api_errors"). Left out, the
# complement misses them instead, a name of those two letters rather than every name with an i.
_REGEX_ONLY_FOLDS = {"i": (0x0130, 0x0131)}


def _spans(points: list[int]) -> tuple[tuple[int, int], ...]:
    """Sorted code points as (low, high) ranges."""
    spans: list[tuple[int, int]] = []
    for point in points:
        if spans and spans[-1][1] == point - 1:
            spans[-1] = (spans[-1][0], point)
        else:
            spans.append((point, point))
    return tuple(spans)


# Go's `\b`: between an ASCII word character and anything else (or an end), case folding or not.
_GO_WORD_CLASS = f"[{_ranges(_GO_WORD, False)}]"
_GO_BOUNDARY = f"(?-i:(?<={_GO_WORD_CLASS})(?!{_GO_WORD_CLASS})|(?<!{_GO_WORD_CLASS})(?={_GO_WORD_CLASS}))"
_GO_NO_BOUNDARY = f"(?-i:(?<={_GO_WORD_CLASS})(?={_GO_WORD_CLASS})|(?<!{_GO_WORD_CLASS})(?!{_GO_WORD_CLASS}))"


@functools.cache
def _go_regexp(pattern: str) -> regex.Pattern[str] | _Refused | None:
    r"""`pattern` read as Go's regexp reads it, compiled with `regex` (which has Go's `\pL`, `\p{Greek}` and `\z`,
    not Python's `re`); the reason RE2 refuses it; or None when RE2 takes it and this reading cannot (a corner of
    Go's syntax it does not translate)."""
    translated = _from_go(pattern)
    if isinstance(translated, _Refused):
        return translated
    try:
        return regex.compile(translated)
    except (regex.error, RecursionError):
        # RecursionError: regex's parser recurses once per group, and RE2 takes up to 1000 nested ones.
        return None


@dataclass
class _Scope:
    """A group of a Go pattern being translated: the flags set in it, and how many groups the translation opened in
    it to scope a `(?flags)` (closed at its `|` and its end)."""

    flags: frozenset[str]
    opened: int = 0
    # Where its translation starts in the output: a repetition after it repeats the whole group.
    start: int = 0


def _scoped(flags: frozenset[str]) -> str:
    """A `regex` group opening that sets exactly `flags` (of i m s) within it."""
    off = "".join(sorted(set("ims") - flags))
    return f"(?{''.join(sorted(flags))}{'-' + off if off else ''}:"


def _from_go(pattern: str) -> str | _Refused:
    r"""`pattern` in `regex`'s syntax, matching the names Go's MatchString matches: `\Q...\E` quoted, octal
    escapes as hex, Go's ASCII `\d \s \w \b` and POSIX classes spelled out, `$` the end of the text unless (?m) (a
    trailing newline is no end to Go), a `(?flags)` scoped as Go scopes it; _Refused for what RE2 has not (a
    lookaround or other `(?` group, a backreference, an escape of Perl's or Python's only, a repeated repetition,
    a count above 1000)."""
    out: list[str] = []
    scopes = [_Scope(frozenset())]
    i, repeated, last_step = 0, 0, ""  # repeated: 1 after a repetition, 2 after its lazy `?`
    operand = False  # whether what comes before can be repeated
    # Where the last atom starts in `out`, and where the `(?flags)` right after it do (Go repeats the atom before
    # them: `a(?i)+` is `a+`).
    atom_at, flags_at = 0, None
    while i < len(pattern):
        char, rest = pattern[i], pattern[i:]
        if char == "\\":
            escape = rest[1:2]
            if not escape:
                return _Refused("RE2 has nothing after a trailing \\")
            if not escape.isascii():
                return _Refused(f"RE2 has no escape \\{escape}")
            if escape == "Q" and pattern[i + 2 : i + 4] in ("\\E", ""):
                # Nothing quoted is nothing, like a `(?flags)`: a repetition after it repeats what came before.
                flags_at = len(out) if flags_at is None else flags_at
                i, repeated = i + 4, 0
                continue
            atom_at, flags_at = len(out), None
            if escape == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                # One rune each: a repetition after it repeats the last.
                out += [c if c.isalnum() else "\\" + c for c in literal]
                atom_at = max(len(out) - 1, atom_at)
                i = len(pattern) if end < 0 else end + 2
            elif escape in "x0123456789":
                point = _go_class_char(rest)
                if isinstance(point, _Refused):
                    return point
                out.append(f"\\U{point[0]:08x}")
                i += point[1]
            elif escape.isalpha() and escape not in _GO_ESCAPES:
                return _Refused(f"RE2 has no escape \\{escape}")
            elif escape.lower() in _GO_PERL:
                spelled = _ranges(_GO_PERL[escape.lower()], escape.isupper(), "i" in scopes[-1].flags)
                out.append(f"[{spelled}]")
                i += 2
            elif escape in "bB":
                out.append(_GO_BOUNDARY if escape == "b" else _GO_NO_BOUNDARY)
                i += 2
            elif escape in "pP":
                named = _go_unicode_class(rest)
                if isinstance(named, _Refused):
                    return named
                out.append(named)
                i += len(named)
            else:
                out.append(rest[:2])
                i += 2
            repeated, operand = 0, True
            continue
        if char == "[":
            atom_at, flags_at = len(out), None
            found = _go_class(rest, "i" in scopes[-1].flags)
            if isinstance(found, _Refused):
                return found
            out.append(found[0])
            i += found[1]
            repeated, operand = 0, True
            continue
        if rest.startswith("(?"):
            group = _GO_GROUP.match(rest)
            if group is None:
                return _Refused(f"RE2 has no {rest[:3]} group")
            scope = scopes[-1]
            if group.group(3) is None:
                # A named capture.
                scopes.append(_Scope(scope.flags, start=len(out)))
                out.append("(")
            else:
                # Go's U (ungreedy) changes what a match holds, not whether there is one: `regex` has no such flag.
                on, off = (set((g or "").replace("U", "")) for g in group.group(1, 2))
                flags = frozenset((scope.flags | on) - off)
                if group.group(3) == ":":
                    scopes.append(_Scope(flags, start=len(out)))
                else:
                    # Go's (?i) holds to the end of its group, across a `|`: `regex` opens a group of its own.
                    scope.flags, scope.opened = flags, scope.opened + 1
                    flags_at = len(out) if flags_at is None else flags_at
                out.append(_scoped(flags))
            i += len(group.group(0))
            # After a `(?flags)` Go repeats what came before it; after an opening, nothing.
            repeated, operand = 0, operand and group.group(3) == ")"
            continue
        if char in "*+?" or _GO_REPEAT.match(rest):
            repeat = _GO_REPEAT.match(rest)
            step = repeat.group(0) if repeat else char
            if not operand and not repeated:
                return _Refused(f"RE2 has nothing for {step} to repeat")
            if repeat and any(int(n) > _GO_MAX_REPEAT for n in repeat.groups() if n):
                return _Refused(f"RE2 repeats at most {_GO_MAX_REPEAT} times")
            if repeat and repeat.group(2) and int(repeat.group(1)) > int(repeat.group(2)):
                return _Refused(f"RE2 has no repeat count {step}, its least above its most")
            if repeated == 1 and step == "?":
                repeated = 2
            elif repeated:
                return _Refused(f"RE2 repeats no repetition ({last_step}{step})")
            else:
                repeated = 1
            if flags_at is None:
                out.append(step)
            else:
                if repeated == 1:
                    # What it repeats stands before the `(?flags)`, and may be repeated itself (`a+(?i)*`).
                    out[atom_at:flags_at] = ["(?:" + "".join(out[atom_at:flags_at]) + ")"]
                    flags_at = atom_at + 1
                out.insert(flags_at, step)
                flags_at += 1
            last_step = step
            i += len(step)
            continue
        scope = scopes[-1]
        atom_at, flags_at = len(out), None
        if char == "(":
            scopes.append(_Scope(scope.flags, start=len(out)))
            out.append("(")
            operand = False
        elif char == ")":
            if len(scopes) == 1:
                return _Refused("RE2 has no ( for this )")
            out.append(")" * (scope.opened + 1))
            atom_at = scopes.pop().start
            operand = True
        elif char == "|":
            # The flags a `(?i)` set before the `|` hold after it.
            out.append(")" * scope.opened + "|" + (_scoped(scope.flags) if scope.opened else ""))
            scope.opened = min(scope.opened, 1)
            operand = False
        elif char == "$":
            out.append("$" if "m" in scope.flags else "\\z")
            operand = True
        else:
            # A brace that starts no repetition Go reads (`{,2}`) is a literal; `regex` would repeat.
            out.append("\\{" if char == "{" else char)
            operand = True
        i += 1
        repeated = 0
    if len(scopes) > 1:
        return _Refused("RE2 has no ) for this (")
    return "".join(out) + ")" * scopes[0].opened


def _go_class_char(text: str) -> tuple[int, int] | _Refused:
    r"""The code point a class's single character (`a`, `\x41`, `\x{41}`, `\101`, `\n`, `\-`) at the start of
    `text` stands for, and its length, as Go's parseClassChar reads it; _Refused for an escape it has not (`\d` is
    no range's end)."""
    if text[:1] != "\\":
        return ord(text[0]), 1
    escape = text[1:2]
    if escape == "x":
        braced = re.match(r"\\x\{([0-9A-Fa-f]+)\}", text)
        two = re.match(r"\\x([0-9A-Fa-f]{2})", text)
        found = braced or two
        if found is None or int(found.group(1), 16) > _MAX_RUNE:
            return _Refused(f"RE2 has no escape {braced.group(0) if braced else text[:4]}")
        return int(found.group(1), 16), len(found.group(0))
    if escape.isdigit():
        digits = re.match(r"[0-7]{1,3}", text[1:])
        if digits is None or (escape != "0" and len(digits.group(0)) == 1):
            return _Refused(f"RE2 has no backreference \\{escape}")
        return int(digits.group(0), 8), 1 + len(digits.group(0))
    if escape and escape in _GO_CONTROL_ESCAPES:
        return _GO_CONTROL_ESCAPES[escape], 2
    if escape and escape.isascii() and not escape.isalnum():
        return ord(escape), 2
    return _Refused(f"RE2 has no escape \\{escape}{' in a character class' if escape in _GO_OUTSIDE_ONLY else ''}")


# Go's escapes for control characters.
_GO_CONTROL_ESCAPES = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}


def _go_canonical(name: str) -> str:
    """A Unicode class name as Go (1.25 and later) looks it up: its first letter upper case, the rest lower case,
    without `_`, `-` or spaces."""
    kept = [c for c in name if c not in "_- "]
    return "".join(kept[:1]).upper() + "".join(kept[1:]).lower()


# Every name of a Unicode class some Go takes in `\p{...}` (compared as `_go_canonical` reads them: Go before 1.25
# took the exact names only): its categories, their long names (Go 1.25), its scripts (up to Unicode 17: a Go
# built with a newer table takes more, and one with an older table refuses a newer script; such a name is read,
# not refused).
_GO_UNICODE_NAME_LIST = (
    "Any Assigned ASCII LC Cn C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc "
    "Sk Sm So Z Zl Zp Zs Other Control cntrl Format Unassigned Private_Use Surrogate Letter Cased_Letter "
    "Lowercase_Letter Modifier_Letter Other_Letter Titlecase_Letter Uppercase_Letter Mark Combining_Mark "
    "Spacing_Mark Enclosing_Mark Nonspacing_Mark Number Decimal_Number digit Letter_Number Other_Number "
    "Punctuation punct Connector_Punctuation Dash_Punctuation Close_Punctuation Final_Punctuation "
    "Initial_Punctuation Other_Punctuation Open_Punctuation Symbol Currency_Symbol Modifier_Symbol Math_Symbol "
    "Other_Symbol Separator Line_Separator Paragraph_Separator Space_Separator "
    "Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki "
    "Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee "
    "Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan "
    "Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati "
    "Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited "
    "Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi "
    "Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian "
    "Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui "
    "Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari "
    "New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic "
    "Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya "
    "Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra "
    "Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac "
    "Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta "
    "Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square "
    "Cypro_Minoan Old_Uyghur Tangsa Toto Vithkuqi Kawi Nag_Mundari Garay Gurung_Khema Kirat_Rai Ol_Onal "
    "Sunuwar Todhri Tulu_Tigalari Beria_Erfe Chisoi Sidetic Tai_Yo Tolong_Siki"
)
_GO_UNICODE_NAMES = frozenset(_go_canonical(name) for name in _GO_UNICODE_NAME_LIST.split())


def _go_unicode_class(text: str) -> str | _Refused:
    r"""The Unicode class (`\pL`, `\p{Greek}`, `\P{^Han}`) at the start of `text`, whole (its braces no
    repetition); _Refused when no Go has a class of that name (Go's "invalid character class range")."""
    braced = re.match(r"\\[pP]\{([^}]*)\}", text)
    name = braced.group(1) if braced else text[2:3]
    if (braced is None and text[2:3] == "{") or _go_canonical(name.removeprefix("^")) not in _GO_UNICODE_NAMES:
        return _Refused(f"RE2 has no Unicode class {braced.group(0) if braced else text[:3]}")
    return braced.group(0) if braced else text[:3]


def _go_class(text: str, folded: bool) -> tuple[str, int] | _Refused:
    r"""The character class (`[...]`) at the start of `text` in `regex`'s syntax (Go's Perl and POSIX classes
    ASCII, each character a code point: `regex` reads a `[` in one as a nested set), and its length, as Go's
    parseClass reads it; _Refused for what Go refuses there (an unknown POSIX or Unicode class, a range from a
    class or backwards, an escape it has not)."""
    negated = text[1:2] == "^"
    i = 2 if negated else 1
    out = []
    first = True
    while first or text[i : i + 1] != "]":
        if i >= len(text):
            return _Refused("RE2 has no ] for this [")
        first = False
        rest = text[i:]
        if rest.startswith("[:") and ":]" in rest[2:]:
            # A POSIX class (`[:alpha:]`, `[:^alpha:]`) is ASCII in Go.
            named = rest[: rest.index(":]", 2) + 2]
            if named.removeprefix("[:^").removeprefix("[:")[:-2] not in _GO_POSIX or named.startswith("[:^^"):
                return _Refused(f"RE2 has no class {named}")
            out.append(_ranges(_GO_POSIX[named.removeprefix("[:^").removeprefix("[:")[:-2]], named[2] == "^", folded))
            i += len(named)
            continue
        if rest[:2] in ("\\p", "\\P"):
            unicode_class = _go_unicode_class(rest)
            if isinstance(unicode_class, _Refused):
                return unicode_class
            out.append(unicode_class)
            i += len(unicode_class)
            continue
        if rest[:1] == "\\" and rest[1:2].lower() in _GO_PERL:
            out.append(_ranges(_GO_PERL[rest[1].lower()], rest[1].isupper(), folded))
            i += 2
            continue
        low = _go_class_char(rest)
        if isinstance(low, _Refused):
            return low
        i += low[1]
        end = low[0]
        if text[i : i + 1] == "-" and text[i + 1 : i + 2] not in ("]", ""):
            high = _go_class_char(text[i + 1 :])
            if isinstance(high, _Refused):
                return high
            if high[0] < low[0]:
                return _Refused(f"RE2 has no range {text[i - low[1] : i + 1 + high[1]]}, its start above its end")
            end = high[0]
            i += 1 + high[1]
        out.append(f"\\U{low[0]:08x}" + (f"-\\U{end:08x}" if end != low[0] else ""))
    return f"[{'^' if negated else ''}{''.join(out)}]", i + 1


def _refused_rules(rules: list[Any], key: str = _DRY_RUN) -> list[str]:
    """A problem for each `dryRun` (or `key`) rule (`metricName`) that RE2 refuses: Argo's GetDryRunMetrics
    (GetMeasurementRetentionMetrics) matches it to no metric, and a rule that matches none makes the run's spec
    invalid."""
    found = []
    for pattern in _dry_run_patterns({key: rules}, key):
        refused = _go_regexp(pattern)
        if isinstance(refused, _Refused):
            found.append(
                f"{key} rule {pattern!r} is no Go regular expression ({refused}): Argo matches it to no metric, and "
                "a rule that matches none ends the AnalysisRun in Error at once (Rule didn't match any metric name(s))"
            )
    return found


def holds_templates(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds an AnalysisTemplate."""
    return any(True for _ in _templates(files, patches_too=True))


def holds_runs(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds an AnalysisRun."""
    return any(True for _ in _documents(files, (_RUN_KIND,), patches_too=True))


def holds_analyses(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds a Rollout or an Experiment (whose analyses fill templates in)."""
    return any(True for _ in _documents(files, _ANALYSING_KINDS, patches_too=True))


def _templates(paths: Sequence[Path], *, patches_too: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """The AnalysisTemplate documents of the YAML files under `paths`, directories searched recursively as
    `validate` searches them, hidden entries skipped (a file that does not parse is the catalog loader's to
    report), and Kustomize patches too if `patches_too`."""
    return _documents(paths, _TEMPLATE_KINDS, patches_too=patches_too)


# go-yaml v2's reading of a plain scalar (resolve.go), which kubectl, Helm and Argo CD read manifests with (through
# sigs.k8s.io/yaml) before the API server stores them as JSON; PyYAML reads YAML 1.1, which differs: `1e3` and `1.0e3`
# are numbers there (text here), `y` and `n` booleans, `0o17` an int, `08` a float, `1:30` text (90 here), a timestamp
# its text as written (decode.go keeps it so in an interface{}, not a time). Resolved in the order go-yaml tries them.
_GO_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_GO_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_GO_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}
# strconv.ParseInt(text, 0, 64)'s syntax once go-yaml took the `_` out: a 0x, 0o, 0b or bare 0 prefix sets the base.
_GO_INT_RE = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]?([0-7]+)|0[bB]([01]+)|([1-9][0-9]*|0))")
_GO_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# A float go-yaml reads from a scalar that starts with `.` (strconv.ParseFloat alone: no `_`).
_GO_DOT_FLOAT_RE = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_GO_MIN_INT, _GO_MAX_UINT = -(2**63), 2**64 - 1
_GO_PLAIN_TAG = "tag:analyzer,2026:go-plain"


def go_plain_scalar(text: str) -> Any:
    """A plain (unquoted) YAML scalar as go-yaml v2 reads it, and so as the API server gets it: a bool, None, an int,
    a float, or text (a timestamp as written)."""
    if text in _GO_NULLS:
        return None
    # resolveMap, looked up before any other reading whatever the first character (`-.inf` too).
    if text in _GO_BOOLS:
        return _GO_BOOLS[text]
    if text in _GO_SPECIAL_FLOATS:
        return _GO_SPECIAL_FLOATS[text]
    # strconv.ParseFloat fails on a number past a float64's range (`1e400`): the scalar is then text.
    if text[0] == ".":
        return number if _GO_DOT_FLOAT_RE.fullmatch(text) and math.isfinite(number := float(text)) else text
    if text[0] not in "+-0123456789":
        return text
    plain = text.replace("_", "")
    if (found := _GO_INT_RE.fullmatch(plain)) is not None:
        sign, hexadecimal, octal, binary, decimal = found.groups()
        digits, base = next((d, b) for d, b in ((hexadecimal, 16), (octal, 8), (binary, 2), (decimal, 10)) if d)
        number = int(sign + digits, base)
        if _GO_MIN_INT <= number <= _GO_MAX_UINT:
            return number
    return number if _GO_FLOAT_RE.fullmatch(plain) and math.isfinite(number := float(plain)) else text


class _GoYamlLoader(yaml.SafeLoader):
    """A YAML reader whose plain scalars read as go-yaml v2 reads them (`go_plain_scalar`), and whose mapping keys
    that read as a bool or a number are the text sigs.k8s.io/yaml makes of them (`y:` is "true")."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":
            return _GO_PLAIN_TAG
        resolved: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return resolved

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Each key made text as it is read: made after, `y` (True) and `1` were one Python key.
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _go_key(self.construct_object(key_node, deep=deep))
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _go_key(key: Any) -> Any:
    """A mapping key as sigs.k8s.io/yaml makes JSON of it: a bool as true or false, an int as its digits."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key) if isinstance(key, int) else key


def _construct_go_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A plain scalar as the API server stores it: as go-yaml reads it, then as Go's encoding/json writes that, a
    whole float below 1e21 in its digits (`1e3` is 1000, which an int field such as `count` takes)."""
    read = go_plain_scalar(loader.construct_scalar(node))
    if isinstance(read, float) and read.is_integer() and abs(read) < _GO_JSON_DIGITS_BELOW:
        return int(read)
    return read


# Go's encoding/json writes a float64 below this in its digits (`1000`), at or above it with an exponent (`1e+21`).
_GO_JSON_DIGITS_BELOW = 1e21


_GoYamlLoader.add_constructor(_GO_PLAIN_TAG, _construct_go_plain)


class _Located(dict[Any, Any]):
    """A mapping of a manifest, with the 1-based line of its file it starts on: that of the key it is the value of
    (`analysis:`), else its first key's (a list item's `- `, a document's first line) or its `{`."""

    __slots__ = ("line",)
    line: int


class _LocatedList(list[Any]):
    """A sequence of a manifest, with the 1-based line of its file each item starts on."""

    __slots__ = ("lines",)
    lines: list[int]


def _construct_located(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[_Located]:
    # Made first and filled after, as PyYAML's construct_yaml_map does, so that an alias inside it (a recursive
    # anchor) gets this object; that one copies into a plain dict, which has no room for a line.
    key_lines: dict[yaml.Node, int] | None = getattr(loader, "key_lines", None)
    mapping = _Located()
    mapping.line = node.start_mark.line + 1 if key_lines is None else key_lines.pop(node, node.start_mark.line + 1)
    yield mapping
    if key_lines is not None:
        # Read before the mappings under it are made, each when it is.
        key_lines.update(
            (value, key.start_mark.line + 1) for key, value in node.value if isinstance(value, yaml.MappingNode)
        )
    mapping.update(loader.construct_mapping(node))


def _construct_located_list(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Iterator[_LocatedList]:
    items = _LocatedList()
    items.lines = [item.start_mark.line + 1 for item in node.value]
    yield items
    items.extend(loader.construct_sequence(node))


# The context of the ComposerError `_LocatingGoYamlLoader` raises for an alias inside its own anchor (go-yaml refuses
# the file, and so kubectl); an undefined alias is found before (`_undefined_aliases`), each where it is written.
_SELF_CONTAINING = "while composing an alias inside its own anchor"


def alias_problems(paths: Sequence[Path]) -> list[str]:
    """A problem for each YAML file under `paths` holding an alias inside its own anchor, or an alias of no anchor
    written before it in its document (one of an earlier document too): kubectl refuses the file, and validate reads
    none of its objects (a recursive value would have no end)."""
    problems = []
    for root in paths:
        for file in _yaml_files(root):
            try:
                text = file.read_text(encoding="utf-8")
                # An alias is written with a `*`: a file without one is read once only, by `_documents`.
                if "*" not in text:
                    continue
                undefined = _undefined_aliases(text)
                problems += [f"{_at(str(file), line)}: {problem}" for line, problem in undefined]
                if not undefined:
                    list(yaml.load_all(text, Loader=_LocatingGoYamlLoader))
            except yaml.composer.ComposerError as exc:
                if exc.context != _SELF_CONTAINING:
                    continue
                line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
                problems.append(
                    f"{_at(str(file), line)}: {exc.problem}: kubectl refuses the file (go-yaml reads no alias inside "
                    "its own anchor), and validate reads none of its objects; write the value out"
                )
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
    return problems


def _undefined_aliases(text: str) -> list[tuple[int | None, str]]:
    """(line, problem) of each alias of a YAML stream naming no anchor written before it in its document (go-yaml:
    "unknown anchor referenced"), said so when an earlier document writes it: an anchor ends with its document."""
    problems = []
    earlier: set[str] = set()
    anchors: set[str] = set()
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.DocumentStartEvent):
            earlier |= anchors
            anchors = set()
        elif isinstance(event, yaml.AliasEvent) and event.anchor not in anchors:
            where = (
                f"&{event.anchor} is written in an earlier document, and an anchor holds only in its own (`---` "
                "ends it)"
                if event.anchor in earlier
                else f"no &{event.anchor} is written before it in its document"
            )
            problems.append(
                (
                    event.start_mark.line + 1 if event.start_mark is not None else None,
                    f"alias *{event.anchor} names no anchor: {where}: kubectl refuses the file (go-yaml: unknown "
                    f"anchor '{event.anchor}' referenced), and validate reads none of its objects; write the value "
                    "out",
                )
            )
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            anchors.add(event.anchor)
    return problems


class _LocatingGoYamlLoader(_GoYamlLoader):
    """`_GoYamlLoader` whose mappings are `_Located`: where a manifest's objects are written, for validate to name.
    An alias of a mapping is an object of its own, located where the alias is written (kubectl makes a copy of each),
    and an alias inside its own anchor is refused, as go-yaml refuses it ("anchor 'x' value contains itself")."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._composing: list[str | None] = []  # the anchors of the collections being composed
        self.key_lines: dict[yaml.Node, int] = {}  # the line of the key each mapping under one is the value of

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if event.anchor in self._composing:
            raise yaml.composer.ComposerError(
                _SELF_CONTAINING, None, f"anchor {event.anchor!r} value contains itself", event.start_mark
            )
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.SequenceNode):
            # Its mappings are objects of their own too, each located at the alias (`metrics: *metrics`).
            items = [self._copied(item, event) for item in node.value]
            return yaml.SequenceNode(node.tag, items, event.start_mark, event.end_mark, node.flow_style)
        return self._copied(node, event)

    @staticmethod
    def _copied(node: Any, alias: Any) -> Any:
        """A mapping node's copy located at the alias (an AliasEvent), any other node as it is."""
        if not isinstance(node, yaml.MappingNode):
            return node
        # Its own list: flattening a merge key (`<<: *x`) edits the list of the node it is done on.
        return yaml.MappingNode(node.tag, list(node.value), alias.start_mark, alias.end_mark, node.flow_style)

    def compose_sequence_node(self, anchor: Any) -> Any:
        self._composing.append(anchor)
        try:
            return super().compose_sequence_node(anchor)
        finally:
            self._composing.pop()

    def compose_mapping_node(self, anchor: Any) -> Any:
        self._composing.append(anchor)
        try:
            return super().compose_mapping_node(anchor)
        finally:
            self._composing.pop()


_LocatingGoYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)


class _LocatingSafeLoader(yaml.SafeLoader):
    """PyYAML's safe reader whose mappings are `_Located` and sequences `_LocatedList` (a kustomization's entries)."""


_LocatingSafeLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)
_LocatingSafeLoader.add_constructor("tag:yaml.org,2002:seq", _construct_located_list)


def _line(node: Any) -> int | None:
    """The line a manifest's mapping starts on, None for one that was not read from a file (or is no mapping)."""
    return node.line if isinstance(node, _Located) else None


def _with_lines(entries: Any) -> Iterator[tuple[Any, int | None]]:
    """Each entry of a manifest's list with the line it starts on (None when not known); none of what is no list."""
    lines = entries.lines if isinstance(entries, _LocatedList) else []
    for index, entry in enumerate(_listed(entries)):
        yield entry, lines[index] if lines else None


def _at(origin: str, where: Any) -> str:
    """`FILE:LINE` (the compiler's convention, which editors and CI problem matchers read) of a manifest's mapping,
    or of a line given; the file alone when the line is not known."""
    line = where if isinstance(where, int) else _line(where)
    return origin if line is None else f"{origin}:{line}"


def _documents(
    paths: Sequence[Path], kinds: tuple[str, ...], *, patches_too: bool = False
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, document) of each document of one of `kinds` under `paths`, as `_templates` finds them."""
    patches = set() if patches_too else _kustomize_patches(paths)
    for root in paths:
        for file in _yaml_files(root):
            if file.resolve() in patches:
                continue
            try:
                documents = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_LocatingGoYamlLoader))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            for item in (item for document in documents for item in _applied(document)):
                if isinstance(item, dict) and item.get("kind") in kinds:
                    yield str(file), item


def _applied(document: Any) -> Iterator[Any]:
    """The objects kubectl applies of a document: itself, or the items of a list (`kubectl get -o yaml` writes a
    `kind: List`), nested lists flattened."""
    items = document.get("items") if isinstance(document, dict) else None
    if isinstance(items, list) and str(document.get("kind", "")).endswith("List"):
        for item in items:
            yield from _applied(item)
    else:
        yield document


KUSTOMIZATION_FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _kustomize_patches(paths: Sequence[Path]) -> set[Path]:
    """The files that a kustomization under `paths` (or beside a file given) names as patches: a strategic merge
    patch of an AnalysisTemplate holds only the fields it changes, so it is no template to judge on its own."""
    found: set[Path] = set()
    for root in paths:
        # A file given alone may be named by a kustomization above it (`patches/at.yaml`).
        candidates = [d / name for d in root.resolve().parents for name in KUSTOMIZATION_FILE_NAMES]
        if root.is_dir():
            candidates += [p for name in KUSTOMIZATION_FILE_NAMES for p in root.rglob(name)]
        for kustomization in dict.fromkeys(candidates):
            found |= _patches_of(kustomization)
    return found


def _patches_of(kustomization: Path) -> set[Path]:
    try:
        document = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    if not isinstance(document, dict):
        return set()
    named: list[Any] = []
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        entries = document.get(key)
        if isinstance(entries, list):
            named += [entry.get("path") if isinstance(entry, dict) else entry for entry in entries]
    return {
        (kustomization.parent / entry).resolve()
        for entry in named
        if isinstance(entry, str) and "\n" not in entry and "\0" not in entry
    }


def _shown(value: object) -> str:
    """A field's value as a problem quotes it: "missing" for an absent one (not Python's None)."""
    return "missing" if value is None else repr(value)


def _reading_problems(metric: dict[str, Any], web: dict[str, Any]) -> list[str]:
    """How the metric could end Successful without a `pass` (Argo's assessment of a metric's measurements)."""
    problems = []
    path = web.get("jsonPath")
    # A field holding `{{args.x}}` (or a Helm value) is known only where it is filled in.
    if path not in _JSON_PATHS and not _given_elsewhere(path):
        problems.append(f"jsonPath is {_shown(path)}: write {_JSON_PATH!r}, the verdict, which the conditions judge")
    success = metric.get("successCondition")
    if not _given_elsewhere(success) and not (isinstance(success, str) and _passes_only(success)):
        problems.append(
            f"successCondition is {_shown(success)}: write 'result == \"pass\"' (with failureCondition "
            "'result == \"fail\"'); another may let an answer that is not pass count as Successful (an "
            'inconclusive does, without a successCondition or with result != "fail")'
        )
    count = _effective_count(metric)
    failures, inconclusives = (_number(metric.get(key, 0)) for key in ("failureLimit", "inconclusiveLimit"))
    if not metric.get("failureCondition"):
        # Without one, an answer the successCondition refuses is Failed: no measurement is ever Inconclusive.
        inconclusives = 0
    if _number(metric.get("consecutiveSuccessLimit", 0)) != 0:
        return problems  # only that many passes in a row end it Successful (or a limit given by the Rollout)
    # A failureLimit below 0 (without a consecutiveSuccessLimit) Argo refuses: `_argo_refusals`.
    # No count with an interval (background analysis) ends on no count; one given by the Rollout
    # (`{{args.count}}`) is known only there.
    if (
        count
        and failures is not None
        and failures >= 0
        and inconclusives is not None
        and failures + inconclusives >= count
    ):
        problems.append(
            f"failureLimit {failures} + inconclusiveLimit {inconclusives} is not below count {count}: {count} answers, "
            "none of them pass, would end the metric Successful"
        )
    return problems


# Go's time.ParseDuration, which Argo reads a metric's interval and initialDelay with: its units in nanoseconds.
_GO_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_GO_DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_GO_DURATION_MAX_NS = 1 << 63
_GO_LONGEST = "2562047h47m16.854775807s, about 292 years"


def _go_duration_problem(text: str) -> str | None:
    """Why Go's time.ParseDuration refuses `text`, or None when it reads it (`1h30m`, `.5s`, `0`): each number needs
    a unit, and the whole must fit an int64 of nanoseconds (`9999999999h` overflows: "invalid duration")."""
    unreadable, too_long = "is no Go duration (30s, 1m30s)", f"is longer than Go's longest duration ({_GO_LONGEST})"
    negative = text[:1] == "-"
    rest = text[1:] if text[:1] in ("-", "+") else text
    if rest == "0":
        return None
    total_ns, at = 0, 0
    while at < len(rest) or at == 0:
        part = _GO_DURATION_PART.match(rest, at)
        if part is None or part.end() == at:
            return unreadable
        whole, fraction, unit = part.groups()
        if (not whole and not fraction) or unit not in _GO_DURATION_UNITS_NS:
            return unreadable
        at = part.end()
        unit_ns = _GO_DURATION_UNITS_NS[unit]
        # As Go: the whole number may not pass 2**63 ns; the fraction keeps the digits that fit; each part and the
        # sum are held in a uint64 of nanoseconds.
        if int(whole or "0") > _GO_DURATION_MAX_NS // unit_ns:
            return too_long
        value_ns = int(whole or "0") * unit_ns
        digits, scale = 0, 1.0
        for digit in fraction or "":
            if digits > (_GO_DURATION_MAX_NS - 1) // 10:
                break
            digits, scale = digits * 10 + int(digit), scale * 10
        if digits:
            value_ns += int(float(digits) * (float(unit_ns) / scale))
        total_ns += value_ns
        if value_ns > _GO_DURATION_MAX_NS or total_ns > _GO_DURATION_MAX_NS:
            return too_long
    return None if negative or total_ns < _GO_DURATION_MAX_NS else too_long


# What Argo Rollouts' CRDs declare of a metric (AnalysisTemplate's and AnalysisRun's alike), of its provider and of
# the web provider (tests/unit/test_argo_templates.py holds them to the CRDs).
_METRIC_FIELDS = frozenset(
    {
        "name",
        "interval",
        "initialDelay",
        "count",
        "successCondition",
        "failureCondition",
        "failureLimit",
        "inconclusiveLimit",
        "consecutiveErrorLimit",
        "consecutiveSuccessLimit",
        "provider",
    }
)
# The providers of Argo Rollouts' CRD (`spec.metrics[].provider`), each counted by its ValidateMetric.
_PROVIDERS = (
    "cloudWatch",
    "datadog",
    "graphite",
    "influxdb",
    "job",
    "kayenta",
    "newRelic",
    "plugin",
    "prometheus",
    "skywalking",
    "wavefront",
    "web",
)
_NO_PROVIDER = "Argo ends every AnalysisRun of it in Error at once (Analysis spec invalid: no provider specified)"


def _provider_shape_problems(metric: dict[str, Any]) -> list[str]:
    """A problem when the metric's provider is one Argo Rollouts refuses: none, no object, a provider of no object
    or a web one without its url (the CRD's schema), a key the CRD lacks (strict field validation), none or several
    given (ValidateMetric); none for an object holding one provider."""
    provider = metric.get("provider")
    web = provider.get("web") if isinstance(provider, dict) else None
    misspelt = _misspelt(metric, _METRIC_FIELDS, "", "field of an Argo Rollouts metric") + _misspelt(
        web, _WEB_FIELDS, "provider.web.", "field of Argo Rollouts' web provider"
    )
    if "provider" not in metric:
        return [
            *misspelt,
            "has no provider: Argo Rollouts' CRD schema requires one (kubectl apply fails); write an object holding "
            "one provider, e.g. provider: {web: {url: ...}}",
        ]
    if not isinstance(provider, dict):
        return [
            *misspelt,
            f"provider is {provider!r}, not an object: Argo Rollouts' CRD schema refuses the document (kubectl "
            "apply fails); write an object holding one provider, e.g. provider: {web: {url: ...}}",
        ]
    # A null provider is dropped by the API server (not nullable); each of the plugin's entries is a provider.
    given = [
        key
        for key, value in provider.items()
        if key in _PROVIDERS and isinstance(value, dict)
        for _ in (value if key == "plugin" else [value])
    ]
    problems = list(misspelt)
    for key, value in provider.items():
        if key not in _PROVIDERS:
            # `WEB`, `DataDog`: case aside, the provider meant.
            close = [name for name in _PROVIDERS if name.lower() == str(key).lower()] or difflib.get_close_matches(
                str(key), _PROVIDERS, n=1
            )
            hint = f"did you mean {close[0]!r}?" if close else f"its providers: {', '.join(_PROVIDERS)}"
            dropped = f", and where it is dropped instead {_NO_PROVIDER}" if not given else ""
            problems.append(
                f"provider {key!r} is no provider of Argo Rollouts' CRD ({hint}): kubectl apply refuses the unknown "
                f"field (strict field validation){dropped}"
            )
        elif value is not None and not isinstance(value, dict):
            problems.append(
                f"provider's {key} is {value!r}, not an object: Argo Rollouts' CRD schema refuses the document "
                f"(kubectl apply fails); write {key}: {{...}}"
            )
        elif key == "web" and isinstance(value, dict) and not isinstance(value.get("url"), str):
            wrong = "no url" if value.get("url") is None else f"url {value['url']!r}, not a string"
            problems.append(
                f"provider's web has {wrong}: Argo Rollouts' CRD schema requires a url (kubectl apply fails)"
            )
        elif key != "plugin" and isinstance(value, dict):
            problems += _required_absent(key, value)
    if not given and not problems[len(misspelt) :]:
        problems.append(f"provider names none: {_NO_PROVIDER}; write one, e.g. provider: {{web: {{url: ...}}}}")
    elif len(given) > 1:
        problems.append(
            f"provider gives {len(given)} ({', '.join(given)}): Argo ends every AnalysisRun of it in Error at once "
            "(Analysis spec invalid: multiple providers specified); keep one per metric"
        )
    return problems


_WEB_FIELDS = frozenset(
    {"authentication", "body", "headers", "insecure", "jsonBody", "jsonPath", "method", "timeoutSeconds", "url"}
)

# The fields Argo Rollouts' CRD schema requires of a provider (`a[].b`: of each item of the list a), each where its
# parent is given: all but the pod's of a Job, whose template Kubernetes' own Job schema holds (tests hold them to
# the CRD). The other providers (prometheus, datadog, graphite, influxdb, skywalking, wavefront, plugin) require none.
_PROVIDER_REQUIRED = {
    "cloudWatch": ("metricDataQueries",),
    "job": (
        "spec",
        "spec.template",
        "spec.template.spec.containers",
        "spec.template.spec.containers[].name",
        "spec.template.spec.initContainers[].name",
    ),
    "kayenta": (
        "address",
        "application",
        "canaryConfigName",
        "configurationAccountName",
        "metricsAccountName",
        "scopes",
        "storageAccountName",
        "threshold",
        "scopes[].controlScope",
        "scopes[].experimentScope",
        "scopes[].name",
        "scopes[].controlScope.region",
        "scopes[].controlScope.scope",
        "scopes[].controlScope.step",
        "scopes[].experimentScope.region",
        "scopes[].experimentScope.scope",
        "scopes[].experimentScope.step",
        "threshold.marginal",
        "threshold.pass",
    ),
    "newRelic": ("query",),
    "prometheus": ("headers[].key", "headers[].value"),
    "web": ("headers[].key", "headers[].value"),
}


def _required_absent(provider: str, fields: dict[str, Any]) -> list[str]:
    """A problem for each field the CRD schema requires of the provider's `fields` that they lack (a null one is
    dropped by the API server, so lacking too), with the key written that misspells it."""
    problems = []
    for required in _PROVIDER_REQUIRED.get(provider, ()):
        for path, holder in _holders(fields, required.split(".")[:-1], ""):
            name = required.rpartition(".")[2]
            if holder.get(name) is not None:
                continue
            written = _field_meant_by(name, [key for key in holder if isinstance(key, str) and key != name])
            hint = f"; did you mean {name!r} where {written!r} is written?" if written is not None else ""
            problems.append(
                f"provider's {provider} has no {path}{name}: Argo Rollouts' CRD schema requires it (kubectl apply "
                f"fails){hint}"
            )
    return problems


def _provider_refusals(metric: dict[str, Any], judged: bool) -> list[str]:
    """What Argo's controller (or the only server it may ask) refuses of a provider at every measurement, a field the
    CRD leaves optional among them (datadog's query, prometheus' query, graphite's address): every measurement an
    Error. A field given elsewhere (`{{args.query}}`) is left to where it is filled in."""
    provider = metric.get("provider")
    if not isinstance(provider, dict):
        return []
    problems = []
    for key, refusal in (
        ("datadog", _datadog_refusal),
        ("prometheus", _prometheus_refusal),
        ("graphite", _graphite_refusal),
        ("wavefront", _wavefront_refusal),
        ("skywalking", _skywalking_refusal),
    ):
        fields = provider.get(key)
        found = refusal(fields) if isinstance(fields, dict) else None
        if found is not None:
            problems.append(f"provider's {key} {found}: every measurement would be {_error_outcome(metric, judged)}")
    return problems


def _absent(fields: dict[str, Any], name: str) -> bool:
    """Whether a provider's field is unset or empty, as Go reads it (the zero value: ""), and not given elsewhere."""
    value = fields.get(name)
    return not _given_elsewhere(value) and (value is None or value == "" or value == {})


def _datadog_refusal(fields: dict[str, Any]) -> str | None:
    """The first refusal of Argo's datadog provider as it is made (metricproviders/datadog/datadog.go, findCredentials
    and validateIncomingProps, then Run's durations), with apiVersion v1 unless given (the CRD's default). A rule
    reading a field an arg fills in (`{{args.query}}`) is left to where it is filled in; the others hold."""
    secret = fields.get("secretRef")
    if (
        isinstance(secret, dict)
        and secret.get("namespaced") is True
        and not _given_elsewhere(secret.get("name"))
        and _absent(secret, "name")
    ):
        return (
            "has secretRef.namespaced without secretRef.name: Argo refuses the provider (secret name is required for "
            "namespaced credentials)"
        )
    queries = fields.get("queries")
    many = len(queries) if isinstance(queries, dict) else 0
    version = fields.get("apiVersion", "v1")
    v1 = version == "v1"
    refusals = [
        (
            ("query", "queries"),
            _absent(fields, "query") and not many,
            "has neither query nor queries: Argo refuses the provider (Must have either a query or queries)",
        ),
        (
            ("query", "queries"),
            not _absent(fields, "query") and many > 0,
            "has both query and queries: Argo refuses the provider",
        ),
        (
            ("apiVersion", "query"),
            v1 and _absent(fields, "query"),
            "has queries, which apiVersion v1 (the CRD's default) does not read: Argo refuses the provider (Query is "
            "empty. API Version v1 only supports using the query parameter); set apiVersion: v2",
        ),
        (
            ("formula", "queries"),
            not _absent(fields, "formula") and not many,
            "has a formula without queries: Argo refuses the provider (Formula are only valid when queries are set)",
        ),
        (
            ("formula", "queries"),
            _absent(fields, "formula") and many > 1,
            f"has {many} queries without a formula: Argo refuses the provider (When multiple queries are provided "
            "you must include a formula)",
        ),
        (
            ("apiVersion", "aggregator"),
            v1 and not _absent(fields, "aggregator"),
            "has an aggregator, which apiVersion v1 (the CRD's default) does not take: Argo refuses the provider "
            "(Aggregator is not supported in v1); set apiVersion: v2",
        ),
    ]
    for read, refused, refusal in refusals:
        if refused and not any(_given_elsewhere(fields.get(name)) for name in read):
            return refusal
    # Run reads the interval (the CRD's default 5m when left out), then a requestTimeout given, before it queries.
    for name in ("interval", "requestTimeout"):
        value = fields.get(name)
        # An empty one is the CRD's default (5m, 10s) by the AnalysisRun Argo creates: Go's omitempty drops it.
        if isinstance(value, str) and value and not _given_elsewhere(value) and _go_duration_problem(value):
            return (
                f"has {name} {value!r}, no Go duration: Argo errs at each measurement before it queries "
                "(time.ParseDuration refuses it); write one, e.g. 5m"
            )
    return None


def _prometheus_refusal(fields: dict[str, Any]) -> str | None:
    """What Argo's prometheus provider refuses before it queries (metricproviders/prometheus/prometheus.go,
    NewPrometheusAPI and NewPrometheusProvider: an address given that is no URL, basicAuth with one of its two,
    oauth2's tokenUrl without clientId or clientSecret, a negative timeout), or an empty query, which Argo sends as
    it is (executeQuery) and Prometheus answers 400. A field an arg fills in is left to where it is filled in."""
    address = fields.get("address")
    if isinstance(address, str) and address and not _given_elsewhere(address) and not _go_is_url(address):
        return (
            f"has address {address!r}, no URL (scheme and host): Argo refuses the provider (prometheus address is "
            "not is url format); write one, e.g. http://prometheus:9090"
        )
    authentication = fields.get("authentication")
    authentication = authentication if isinstance(authentication, dict) else {}
    for holder, when, needed in (
        ("basicAuth", None, ("username", "password")),
        ("oauth2", "tokenUrl", ("clientId", "clientSecret")),
    ):
        auth = authentication.get(holder)
        if not isinstance(auth, dict) or any(_given_elsewhere(value) for value in auth.values()):
            continue
        used = not _absent(auth, when) if when else any(not _absent(auth, name) for name in needed)
        missing = [name for name in needed if _absent(auth, name)]
        if used and missing:
            given = f"authentication.{holder}.{when}" if when else f"authentication.{holder}"
            return (
                f"has {given} without its {missing[0]}: Argo refuses the provider (missing mandatory parameter in "
                f"metric for {'OAuth2' if when else 'basic auth'} setup)"
            )
    timeout = fields.get("timeout")
    if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout < 0:
        return f"has timeout {timeout}: Argo refuses the provider (prometheus timeout should not be negative)"
    if not _absent(fields, "query"):
        return None
    return (
        "has no query: Argo sends an empty one, which Prometheus refuses (400 bad_data: no expression found in input)"
    )


def _go_is_url(text: str) -> bool:
    """Whether Argo's IsUrl takes `text`: Go's url.Parse reads a scheme and a host in it (`prometheus:9090` holds no
    host; `//p:9090` no scheme). Read leniently: a text Python parses and Go may not is taken."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc.rpartition("@")[2])


def _graphite_refusal(fields: dict[str, Any]) -> str | None:
    """No address, which Argo's graphite provider refuses (metricproviders/graphite/graphite.go, NewAPIClient)."""
    if not _absent(fields, "address"):
        return None
    return "has no address: Argo refuses the provider (Graphite address  is not a valid URL)"


def _wavefront_refusal(fields: dict[str, Any]) -> str | None:
    """No address, the key of the token Argo's wavefront provider looks up in its Secret, where no key is empty
    (metricproviders/wavefront/wavefront.go, NewWavefrontAPI)."""
    if not _absent(fields, "address"):
        return None
    return "has no address: Argo finds no token for it in its Secret (API token not found)"


def _skywalking_refusal(fields: dict[str, Any]) -> str | None:
    """An interval Go cannot read (unset: empty), or no address, which Argo's skywalking provider reads as the url
    `/graphql`, of no scheme (metricproviders/skywalking/skywalking.go, NewSkyWalkingClient)."""
    interval = fields.get("interval")
    if not _given_elsewhere(interval):
        text = interval if isinstance(interval, str) else ""
        problem = _go_duration_problem(text) if text else "is no Go duration (30s, 1m30s)"
        if problem is not None:
            shown = f"interval {text!r}" if text else "no interval"
            return f'has {shown}: Argo refuses the provider (time: invalid duration "{text}"); write one, e.g. 5m'
    if _absent(fields, "address"):
        return 'has no address: Argo posts its query to "/graphql" (unsupported protocol scheme "")'
    return None


def _holders(node: Any, steps: list[str], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The mappings `steps` lead to from `node` (`a[]` each item of the list a), each with the path written to it;
    none past a step that is absent or of another shape (its own requirement, or the schema's type, says so)."""
    if not isinstance(node, dict):
        return
    if not steps:
        yield path, node
        return
    step, *rest = steps
    name = step.removesuffix("[]")
    value = node.get(name)
    if step.endswith("[]"):
        for index, item in enumerate(value if isinstance(value, list) else []):
            yield from _holders(item, rest, f"{path}{name}[{index}].")
    else:
        yield from _holders(value, rest, f"{path}{name}.")


def _field_meant_by(name: str, keys: Sequence[str]) -> str | None:
    """The one key of `keys` that misspells the field `name`, as `_field_meant` reads a misspelling."""
    meaning = [key for key in keys if _field_meant(key, [name]) == name]
    return meaning[0] if len(meaning) == 1 else None


def _misspelt(fields: Any, known: frozenset[str], at: str, what: str) -> list[str]:
    """A problem for each key of `fields` (a mapping) the CRD does not declare that is close to one it declares and
    `fields` lacks; a key like none (a newer Argo's field) is not guessed at."""
    if not isinstance(fields, dict):
        return []
    absent = [name for name in known if name not in fields]
    found = []
    for key in fields:
        if not isinstance(key, str) or key in known:
            continue
        meant = _field_meant(key, absent)
        if meant is not None:
            found.append(
                f"{at}{key} is no {what}; did you mean {meant!r}? kubectl apply refuses a field the CRD "
                "does not declare (strict field validation, its default), and an apply that does not validate drops it"
            )
    return found


def _field_meant(key: str, absent: Iterable[str]) -> str | None:
    """The one field of `absent` that `key` misspells: one it spells with a camelCase word more or less (a
    Kubernetes habit: `initialDelaySeconds` for `initialDelay`, `timeout` for `timeoutSeconds`), else the closest
    one scoring 0.8 or more (`sucessCondition`; `failureCount` scores 0.79 against `failureCondition`, and may as well
    mean failureLimit); None when there is none, or several of the first kind."""
    worded = [name for name in absent if _a_word_apart(key, name)]
    if worded:
        return worded[0] if len(worded) == 1 else None
    lowered = {name.lower(): name for name in absent}
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


def _a_word_apart(key: str, name: str) -> bool:
    """Whether `key` spells the field `name` with a camelCase word more or less; an all-lowercase key, which shows no
    word of its own (`initialdelayseconds`, `timeout`), read case aside, its words more any letters."""
    for longer, shorter in ((key, name), (name, key)):
        if longer.startswith(shorter) and longer[len(shorter) : len(shorter) + 1].isupper():
            return True
    if not key.islower():
        return False
    lowered = name.lower()
    if key.startswith(lowered):
        return key[len(lowered) :].isalpha()
    return lowered.startswith(key) and name[len(key) : len(key) + 1].isupper()


def _argo_refusals(metric: dict[str, Any]) -> list[str]:
    """The first error of Argo's ValidateMetric for the metric (utils/analysis/factory.go), with which the AnalysisRun
    controller ends every AnalysisRun holding it in Error at once: limits below 0, a count its limits do not fit
    in, a count above 1 without an interval, a duration Go cannot read. A rule reading a field given elsewhere
    (`{{args.count}}`) is left to where it is filled in; the others still hold (Argo refuses on any one)."""
    fields = ("count", "failureLimit", "consecutiveSuccessLimit", "inconclusiveLimit", "consecutiveErrorLimit")
    # None: known only where the field is filled in.
    count, failures, successes, inconclusives, errors = (
        None if _given_elsewhere(metric.get(key)) else _int_value(metric.get(key)) for key in fields
    )
    checks: list[tuple[bool, str]] = [
        (successes is not None and successes < 0, "consecutiveSuccessLimit must be >= 0"),
        (failures is not None and failures < -1, "failureLimit must be >= 0, or -1 to be disabled"),
        (successes == 0 and failures == -1, "failureLimit and consecutiveSuccessLimit cannot both be disabled"),
        (inconclusives is not None and inconclusives < 0, "inconclusiveLimit must be >= 0"),
        (
            metric.get("consecutiveErrorLimit") is not None and errors is not None and errors < 0,
            "consecutiveErrorLimit must be >= 0",
        ),
    ]
    if count is not None and count > 0:
        if failures is not None and successes is not None:
            checks += [
                (
                    failures >= 0 and count < failures + successes,
                    f"count ({count}) must be >= failureLimit + consecutiveSuccessLimit ({failures} + {successes}) "
                    "if both >= 0",
                ),
                (failures < 0 and count < successes, "count must be >= consecutiveSuccessLimit"),
            ]
        checks.append((inconclusives is not None and count < inconclusives, "count must be >= inconclusiveLimit"))
    # An interval given elsewhere is some text: not the empty one Argo asks for here.
    checks.append(
        (count is not None and count > 1 and not metric.get("interval"), "interval must be specified when count > 1")
    )
    for key, name in (("interval", "interval"), ("initialDelay", "startDelay")):
        value = metric.get(key)
        problem = _go_duration_problem(value) if isinstance(value, str) else "is no Go duration (30s, 1m30s)"
        bad = bool(value) and not _given_elsewhere(value) and problem is not None
        checks.append((bad, f"invalid {name} string: {value!r} {problem}"))
    error = next((error for refused, error in checks if refused), None)
    if error is None:
        return []
    return [f"Argo ends every AnalysisRun of it in Error at once (Analysis spec invalid: {error})"]


def _int_value(value: Any) -> int:
    """An int-or-string as Argo's IntValue() reads it (strconv.Atoi: ASCII digits): a string that is no integer
    is 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and re.fullmatch(r"[-+]?[0-9]+", value) else 0


def _passes_only(condition: str) -> bool:
    """Whether a successCondition is `result == "pass"`, inside parentheses or not (`(result == "pass")`)."""
    text = condition.strip()
    # What is left must be the bare comparison, which holds no parenthesis: `(a) || (b)` cannot slip through.
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return _PASS_ONLY.fullmatch(text) is not None


def _body_keys(web: dict[str, Any]) -> list[str] | None:
    """The args a web metric's body gives: the keys of its `jsonBody`, or of a `body` holding a JSON object (the run
    endpoint reads a JSON body whatever its Content-Type); None when the body is not JSON before Argo fills its
    `{{args.x}}` in."""
    if isinstance(web.get("jsonBody"), dict):
        return [str(key) for key in web["jsonBody"]]
    text = web.get("body")
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        # `{"n": {{args.n}}}` is JSON once Argo puts the arg in.
        body = json.loads(_ARG_RE.sub("0", text))
    except ValueError:
        return None
    return [str(key) for key in body] if isinstance(body, dict) else None


def _effective_count(metric: dict[str, Any]) -> int | None:
    """How many measurements end the metric, as Argo's `EffectiveCount()` reads it: its `count`, or 1 when neither
    count nor interval is set, 0 when only an interval is (it measures until it fails); None when given elsewhere."""
    count = _number(metric.get("count", 0))
    if count != 0:
        return count
    interval = metric.get("interval")
    if _given_elsewhere(interval):
        return None
    return 0 if interval else 1


_IN_WORDS = ("the first", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _error_outcome(metric: dict[str, Any], judged: bool) -> str:
    """What an Error at every measurement does, as a problem says it: Argo ends the metric in Error once its errors in
    a row exceed its `consecutiveErrorLimit` (4 unset), and the run with it, but a dry-run metric's (`judged` False)
    go to its DryRunSummary and stop nothing."""
    if not judged:
        return "an Error, which the dry run records without stopping the rollout: the metric measures nothing"
    limit = metric.get("consecutiveErrorLimit")
    errors = 4 if limit is None else _number(limit)
    if errors is None or errors < 0:
        # An arg (`{{args.errors}}`), or a value Argo refuses, which another problem names.
        return "an Error, and the rollout aborts after consecutiveErrorLimit + 1"
    return f"an Error, and the rollout aborts after {_IN_WORDS[errors] if errors < len(_IN_WORDS) else errors + 1}"


def _no_verdict_there(path: str, web: dict[str, Any], outcome: str) -> list[str]:
    """A metric reading the verdict (`{$.verdict}`) from a path of the analyzer's that is not the run endpoint
    (`/checks/NAME` without `/run`, `/run/`, `/check/NAME/run`): each measurement a 404, or a check's definition."""
    called = _CHECK_PATH_RE.search(path)
    # A placeholder before the check (`{{args.api}}/checks/NAME/run`) may hold /api/v1: known only where it is filled.
    if web.get("jsonPath") not in _JSON_PATHS or called is None or "{{" in path[: called.start()]:
        return []
    return [
        f"url path {path} reads {_JSON_PATH}, but the analyzer answers a verdict only at {_RUN_PATH_PREFIX}NAME/run "
        f"(this path answers 404, or a check's definition, which holds none): every measurement would be {outcome}; "
        f"did you mean {_RUN_PATH_PREFIX}{called.group(1) or called.group(2)}/run?"
    ]


def _given_elsewhere(value: Any) -> bool:
    """Whether a field holds a placeholder (`{{args.x}}`, or a Helm template's value) filled in elsewhere."""
    return isinstance(value, str) and "{{" in value


def _number(value: Any) -> int | None:
    """An Argo int-or-string (`5`, `"5"`), or None when it is an arg (`{{args.count}}`) or no integer to Go's Atoi
    (ASCII digits only: `str.isdigit` takes "\u00b2", which int() refuses)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and re.fullmatch(r"[-+]?[0-9]+", value) else None


def _meant(key: str, params: list[str]) -> str:
    """`; did you mean 'canary_hash'?` for `canary-hash`: Argo's args are kebab-case, the catalog's params not."""
    close = difflib.get_close_matches(key.replace("-", "_"), params, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _yaml_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return [root]
    return [
        path
        for path in sorted(root.rglob("*"))
        if path.suffix in MANIFEST_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]


def _metric_problems(
    metric: dict[str, Any], catalog: Catalog, judged: bool, settings: Settings, services: Sequence[_Service] = ()
) -> list[str]:
    """The metric's problems; `judged` False for a dry-run metric, whose reading of the verdict decides nothing
    (only the check it calls and its args are checked); its url's port checked against the `services` given."""
    web = _provider(metric, "web")
    if not isinstance(web, dict) or not isinstance(web.get("url"), str):
        return []
    outcome = _error_outcome(metric, judged)
    refusal = _go_url_refusal(web["url"])
    url = _split_url(web["url"])
    if (refusal is not None or url is None) and (_CHECK_PATH_RE.search(web["url"]) or _PAGE_PATH_PREFIX in web["url"]):
        # Go sends nothing, whatever else the url says.
        return [
            f"url {_without_userinfo(web['url'])!r} {refusal}: Argo's web provider sends nothing and every "
            f"measurement would be {outcome}"
        ]
    if url is None:
        return []
    if (spaced := _space_sent(url)) is not None and (_CHECK_PATH_RE.search(url.path) or _PAGE_PATH_PREFIX in url.path):
        return [f"url {_without_userinfo(web['url'])!r} {spaced}, and every measurement would be {outcome}"]
    if _PAGE_PATH_PREFIX in url.path and _RUN_PATH_PREFIX not in url.path and judged:
        return [
            f"url calls the verdict page ({_PAGE_PATH_PREFIX}NAME/run), which answers 200 whatever the verdict, so "
            f"a fail would promote the canary: call {_RUN_PATH_PREFIX}NAME/run"
        ]
    if not url.path.endswith(_RUN_PATH_SUFFIX) or _RUN_PATH_PREFIX not in url.path:
        return _no_verdict_there(url.path, web, outcome) if judged else []
    check_name = unquote(url.path.rsplit(_RUN_PATH_PREFIX, 1)[1].removesuffix(_RUN_PATH_SUFFIX))
    problems = _reading_problems(metric, web) if judged else []
    origin = web["url"].partition(_RUN_PATH_PREFIX)[0]
    shown = _without_userinfo(origin)
    if url.scheme.lower() not in ("http", "https") and not _given_elsewhere(origin):
        # Go reads `analyzer.argo-rollouts.svc:8080/...` as a URL of the scheme `analyzer.argo-rollouts.svc`.
        problems.append(
            f"url starts {shown!r}, without http://: Argo's web provider sends nothing (unsupported protocol "
            f"scheme) and every measurement would be {outcome}; write http://"
            f"{shown.partition('://')[2] or shown.lstrip('/')}{_RUN_PATH_PREFIX}..."
        )
    elif (unserved := _unserved_port(url, services, outcome)) is not None:
        problems.append(unserved)
    elif not url.netloc and not _given_elsewhere(origin):
        # `http:analyzer:8080/...`, `http:///...`: Go's client refuses a URL without a host (no Host in request URL).
        host = shown.partition(":")[2].lstrip("/") or "HOST:PORT"
        problems.append(
            f"url starts {shown!r}, without a host after {url.scheme}://: Argo's web provider sends nothing (no Host "
            f"in request URL) and every measurement would be {outcome}; write {url.scheme}://{host}"
            f"{_RUN_PATH_PREFIX}..."
        )
    formats = [value for key, value in parse_qsl(url.query, keep_blank_values=True) if key == "format"]
    count = _effective_count(metric)
    if judged and "at" in dict(parse_qsl(url.query, keep_blank_values=True)) and count is not None and count != 1:
        # docs/argo-rollouts.md "No `at` in a repeated metric".
        problems.append(
            "url gives at= in a metric measured more than once: Argo resolves args once per AnalysisRun, so every "
            "measurement judges the same moment and none what the canary does since; leave at out"
        )
    method = str(web.get("method") or "GET").upper()
    if method not in ("GET", "POST") and not _given_elsewhere(method):
        problems.append(f"method {method}: the run endpoint answers it 405, an Error at every measurement")
    # Argo's web provider measures these as an Error before it sends anything.
    bodies = [key for key in ("body", "jsonBody") if web.get(key) is not None and web.get(key) != ""]
    if len(bodies) == 2:
        problems.append("body and jsonBody both given: Argo makes every measurement an Error; keep jsonBody")
    elif bodies and method == "GET":
        problems.append(
            f"{bodies[0]} with method GET (the default): Argo makes every measurement an Error; set method: POST"
        )
    problems += [
        f"url asks format={value}, which is not JSON: Argo reads no verdict in it (up to v1.10.0-rc1 a 200 it "
        "cannot parse is Successful whatever the conditions); leave format out"
        for value in dict.fromkeys(formats)
        if judged and value != "json" and not _given_elsewhere(value)
    ]
    problems += _query_refusals(parse_qsl(url.query, keep_blank_values=True), outcome)
    if "{{" in check_name:
        return problems  # the check is given by the Rollout (`{{args.check}}`): known only there
    check = catalog.checks.get(check_name)
    if check is None and check_name in catalog.unjudged:
        return problems  # defined with a problem of its own, which the catalog's findings name
    if check is None:
        close = difflib.get_close_matches(check_name, list(catalog.checks), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [
            *problems,
            f"url calls check {check_name!r}, which the catalog does not have{hint} (every measurement would be a "
            f"404: {outcome})",
        ]
    if judged:
        problems += _timeout_problems(web, check, settings)
    in_query = [key for key, _ in parse_qsl(url.query, keep_blank_values=True)]
    in_body = _body_keys(web)
    given = in_query + (in_body or [])
    declared = ", ".join(check.params) or "none"
    problems += [
        f"url gives arg {key!r}, which check {check_name!r} does not declare (its params: {declared}"
        f"{_meant(key, list(check.params))}); every measurement would be a 400: {outcome}"
        for key in dict.fromkeys(given)
        if key not in check.params and key not in _RESERVED_ARGS and not _given_elsewhere(key)
    ]
    body = web.get("jsonBody")
    written = [*parse_qsl(url.query, keep_blank_values=True), *(body.items() if isinstance(body, dict) else ())]
    problems += _refused_values(check, written, outcome)
    problems += [
        f"the body gives {key!r}, which goes in the url's query string (the run endpoint refuses it in a body); "
        f"every measurement would be a 400: {outcome}"
        for key in dict.fromkeys(in_body or [])
        if key in _RESERVED_ARGS
    ]
    if in_body is None or any(_given_elsewhere(key) for key in given):
        # A body that does not read as JSON until Argo fills it in, or a name filled in (`?{{args.query}}`): the
        # args given are known only there.
        return problems
    problems += [
        f"check {check_name!r} requires arg {param!r}, which the url (or jsonBody) does not give; every measurement "
        f"would be a 400: {outcome}"
        for param, rule in check.params.items()
        if rule.required and param not in given
    ]
    return problems


_OWN_JOB_EXIT_2 = "`analyzer run` would exit 2 (a usage error) whenever the Job runs: a failed Job, and no verdict"
_JOB_EXIT_2 = (
    "`analyzer run` would exit 2 (a usage error) at every measurement: a failed Job, which Argo reads as Failed, and "
    "the rollout aborts"
)


class _RunWords(argparse.ArgumentParser):
    """`analyzer run`'s arguments, read as that command reads them (abbreviations, `--at=T`, a value starting with
    '-'), whose usage error is a ValueError rather than printed with an exit, and whose help is a flag read."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


_OPTION_NAME_RE = re.compile(r"--?[A-Za-z]+(?:-[A-Za-z]+)*")
# Said with its own consequence: an exit 0, not 2.
_ASKS_HELP = (
    "the Job's words ask `analyzer run` for its help (-h, --help), which it prints and exits 0 on, evaluating "
    "nothing: a Successful Job, read as a pass of a check never run; remove it"
)


def _job_problems(metric: dict[str, Any], catalog: Catalog, judged: bool = True) -> list[str]:
    """A job provider metric's problems: a container running `analyzer run NAME --arg KEY=VALUE ...` for a check the
    catalog lacks, an arg the check does not declare or refuses, a required one left out (docs/job-mode.md); a pod
    Kubernetes refuses in a Job, which Argo then creates at no measurement (each an Error, `judged` or not)."""
    job = _provider(metric, "job")
    problems, _ = _job_spec_findings(
        job.get("spec") if isinstance(job, dict) else None, catalog, outcome=_error_outcome(metric, judged)
    )
    return problems


# The restartPolicy values Kubernetes takes of a Job's pod (unset, the pod's default is Always).
_JOB_RESTART_POLICIES = ("Never", "OnFailure")


def _pod_refusals(pod: dict[str, Any], containers: list[tuple[bool, dict[str, Any]]], named: bool) -> list[str]:
    """What Kubernetes' validation of a Job refuses of its pod, certainly: a restartPolicy other than Never or
    OnFailure (unset, Always), a container (an init one too) without its image."""
    refused = []
    policy = pod.get("restartPolicy")
    if not _given_elsewhere(policy) and policy not in _JOB_RESTART_POLICIES:
        shown = "no restartPolicy (the pod's default, Always)" if policy in (None, "") else f"restartPolicy {policy!r}"
        refused.append(
            f"the Job's pod has {shown}: Kubernetes takes only Never or OnFailure in a Job (spec.template.spec."
            f"restartPolicy: Unsupported value); write restartPolicy: Never"
        )
    refused += [
        f"{_container_label(container, is_init, named)} has no image: Kubernetes requires one (image: Required value)"
        for is_init, container in containers
        if container.get("image") in (None, "")
    ]
    return refused


@dataclass(frozen=True)
class _Idle:
    """What a container that certainly evaluates no check does (`runs`: "the Job's container runs `sh -c ''`, ...:
    it runs none and exits 0"), and how it `ends`: exit 0, a failure, or never. `note_of_own`: in a Job of its own, a
    note rather than a problem (`analyzer validate`: a check of the catalog, which a pipeline may want of a Job)."""

    runs: str
    ends: Literal["exit 0", "failure", "never"]
    note_of_own: bool = False


def _job_spec_findings(
    spec: Any, catalog: Catalog, own: bool = False, outcome: str = ""
) -> tuple[list[str], list[str]]:
    """(problems, notes) of the containers of a Job's `spec`, its init containers too, each with what it does to a job
    metric's measurement, or to a Job of its `own`: one that runs `analyzer run` wrongly (see `_job_problems`), or as a
    native sidecar, whose exit decides nothing; one that certainly runs no check and fails or never ends; one that
    exits 0 running no check while no other container runs or may run one (Kubernetes calls a Job Complete when its
    init containers, then its containers, all exit 0: that is all Argo reads); the check's deadline that the Job's
    `activeDeadlineSeconds` does not exceed; a Job that retries the check's fail or inconclusive (`_retry_problems`);
    a pod Kubernetes refuses in a Job (`_pod_refusals`), with what a job metric's measurement then is: its `outcome`."""
    consequence = _OWN_JOB_EXIT_2 if own else _JOB_EXIT_2
    failed, passed = _NO_CHECK_OF_OWN if own else _NO_CHECK_OF_METRIC
    pod = ((spec.get("template") or {}).get("spec")) if isinstance(spec, dict) else None
    pod = pod if isinstance(pod, dict) else {}
    init = [c for c in _listed(pod.get("initContainers")) if isinstance(c, dict)]
    main = [c for c in _listed(pod.get("containers")) if isinstance(c, dict)]
    named = len(init) + len(main) > 1
    refused = "kubectl apply fails" if own else f"Argo creates it at no measurement, each {outcome}"
    problems = [
        f"{problem}: the Job is refused ({refused})"
        for problem in (
            _pod_refusals(pod, [(True, c) for c in init] + [(False, c) for c in main], named) if pod else []
        )
    ]
    notes: list[str] = []
    idle: list[_Idle] = []
    # The checks the Job's containers run, in their order: (init container or not, container, words after `run`).
    checks: list[tuple[bool, dict[str, Any], list[str]]] = []
    may_check = False
    for is_init, container in [(True, c) for c in init] + [(False, c) for c in main]:
        label = _container_label(container, is_init, named)
        problems += _hook_problems(container, label, own)
        words = _analyzer_run_words(container)
        if is_init and container.get("restartPolicy") == "Always":
            # A native sidecar: Kubernetes restarts it whatever it exits with, and stops it once the containers end.
            if words is not None:
                problems.append(
                    f"{label} runs `analyzer run` as a native sidecar (restartPolicy: Always): Kubernetes restarts it "
                    "whatever it exits with and stops it once the Job's containers end, so its verdict never decides "
                    f"the Job{'' if own else ', which Argo reads'}; remove its restartPolicy (an init container runs "
                    "to its end before the containers start, and its failure fails the Job) or move it to containers"
                )
            continue
        if words is not None:
            problems += [
                problem if problem is _ASKS_HELP else f"{problem}; {consequence}"
                for problem in _run_words_problems(words, catalog)
            ]
            checks.append((is_init, container, words))
            continue
        found = _runs_no_check(container, label)
        if found is not None:
            idle.append(found)
        elif _may_run_a_check(container):
            may_check = True
    for found in idle:
        if found.ends == "exit 0" and (checks or may_check):
            # Its exit 0 leaves the Job's success to the container that runs (or may run) the check.
            continue
        if found.note_of_own and own:
            notes.append(f"{found.runs}; the Job's success is no verdict: if a release waits on it, {_WRITE_RUN}")
        elif found.ends == "never":
            problems.append(f"{found.runs}; {_WRITE_RUN}")
        else:
            problems.append(f"{found.runs}, {passed if found.ends == 'exit 0' else failed}")
    problems += [
        problem
        for is_init, container, run_words in checks
        for label in [_container_label(container, is_init, named)]
        for problem in [
            *_catalog_problems(container, run_words, label, own),
            *_settings_problems(container, label, own),
        ]
    ]
    problems += _deadline_problems(spec, pod, checks, catalog, own)
    problems += _retry_problems(spec, pod, checks, named, own)
    return problems, notes + _unread_lines(spec, own)


def _unread_lines(spec: Any, own: bool = False) -> list[str]:
    """A note for each container (or init container) of a Job's `spec` of the analyzer's image whose shell line may
    run a check and is not read for what it does with its exit (see `_shell_unread`), unless another container runs
    `analyzer run` itself, whose exit then decides the Job with it: what it holds, and what to write instead."""
    pod = ((spec.get("template") or {}).get("spec")) if isinstance(spec, dict) else None
    pod = pod if isinstance(pod, dict) else {}
    init = [(True, c) for c in _listed(pod.get("initContainers")) if isinstance(c, dict)]
    main = [(False, c) for c in _listed(pod.get("containers")) if isinstance(c, dict)]
    if any(_analyzer_run_words(container) is not None for _, container in init + main):
        return []
    notes = []
    for is_init, container in init + main:
        words = _container_words(container)
        program_words = [] if words is None or not _of_analyzer(container) else _program_words(words)
        construct = (
            _shell_unread(program_words[1:])
            if program_words[:1] and program_words[0].rpartition("/")[2] in _SHELLS
            else None
        )
        label = _container_label(container, is_init, len(init) + len(main) > 1)
        passed = "the Job is Successful without a verdict" if own else "Argo reads the Job as Successful, a pass"
        shell = program_words[:1] and program_words[0].rpartition("/")[2] in _SHELLS
        skipped = _shell_skipped(program_words[1:]) if construct is None and shell else None
        if skipped is not None:
            notes.append(
                f"{label} runs `{shlex.join(program_words)}`, a shell line that skips `{skipped}` when a command "
                "before it fails (an outage that command meets too) and may then exit 0 on another check's pass: the "
                f"Job passes without `{skipped}`'s verdict; end the line when that command fails (`CMD || exit 1`), "
                "or run the check whatever it does"
            )
        if construct is None:
            continue
        notes.append(
            f"{label} runs `{shlex.join(program_words)}`, a shell line validate does not read for what it does with "
            f"the check's exit ({construct}): where it may exit 0 though the check fails, {passed}; make the check "
            "the container's command (`args: [run, NAME, --arg, KEY=VALUE]`), or the line's last command run by "
            "`exec` (`...; exec analyzer run NAME ...`), or write the line in a form validate reads "
            "(docs/job-mode.md)"
        )
    return notes


# Why a check run in a container's lifecycle hook does not decide its Job.
_HOOKS = {
    "preStop": "Kubernetes runs it only when it stops the container (a deletion, a failed probe), never when the "
    "container ends by itself, as a Job's does: the check never runs",
    "postStart": "Kubernetes runs it beside the container's command, which may end first: the Job may complete "
    "before the check's verdict, whatever it is",
}


def _hook_problems(container: dict[str, Any], label: str, own: bool) -> list[str]:
    """A problem for each lifecycle hook of the container whose `exec` command runs `analyzer run` (its program, or
    words of a shell line): its verdict does not decide the Job (see `_HOOKS`)."""
    lifecycle = container.get("lifecycle")
    problems: list[str] = []
    for hook, why in _HOOKS.items():
        handler = lifecycle.get(hook) if isinstance(lifecycle, dict) else None
        run = handler.get("exec") if isinstance(handler, dict) else None
        words = run.get("command") if isinstance(run, dict) else None
        if not isinstance(words, list):
            continue
        words = [str(word) for word in words]
        # A shell's line that runs it; not one that only says so (`echo analyzer run starts`: see `_runs_the_analyzer`).
        said = any(re.search(r"\banalyzer run\b", word) for word in words[1:])
        if _is_check(words) or (said and _runs_the_analyzer(words)):
            reads = "" if own else ", which Argo reads"
            problems.append(
                f"{label}'s {hook} hook runs `analyzer run`: {why}, so its verdict does not decide the Job{reads}; "
                "run the check as the container's command (its args: `run NAME --arg KEY=VALUE ...`)"
            )
    return problems


def _may_run_a_check(container: dict[str, Any]) -> bool:
    """Whether a container not certainly idle (see `_runs_no_check`) may run a check: one of the analyzer's image or
    program, one whose image's entrypoint runs (no `command`: an image built on the analyzer's may run it), one whose
    words may run the analyzer (`sh -c "analyzer run X"`, `python -m analyzer`, `/opt/analyzer/smoke.sh`: see
    `_runs_the_analyzer`) or call its run endpoint, or are filled in; not another image's program that never names it
    (`busybox sleep 1`, `curl URL`), names it only as its host (`wget http://analyzer:8080/healthz`) or as a file or
    value (`cat /shared/analyzer-result.json`, `sleep 1 --log-dir=/tmp/analyzer-logs`), whose exit 0 says nothing of
    a check."""
    words = _container_words(container)
    if words is None or _of_analyzer(container) or not container.get("command"):
        return True
    return _runs_the_analyzer(words) or any(_calls_run(word) or _filled_in(word) for word in words)


# A URL in a container's word (up to a space, a quote or a shell operator).
_WORD_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"`;&|<>()]*")
_RUN_PATH_RE = re.compile(r"/checks?/[^/]+/run/?$")


def _calls_run(word: str) -> bool:
    """Whether a word holds a URL calling the analyzer's run endpoint, whatever the host (`curl
    http://gate/api/v1/checks/X/run`); a URL naming it as a host only (`http://analyzer:8080/healthz`) runs no check."""
    urls = _WORD_URL_RE.findall(word)
    # Its query and fragment left out (urlsplit would raise on a bracket it cannot read: `http://[x`).
    return any(_RUN_PATH_RE.search(re.split("[?#]", url)[0]) for url in urls)


# A container's words (and a shell line's) cut into tokens: operators that start a command, redirections, the rest.
_RUN_TOKEN_RE = re.compile(r"&&|\|\||\$\(|[;&|()`{}\n]|[<>]+|[^\s;&|()`{}<>'\"]+")
_STARTS_COMMAND = frozenset(
    {"&&", "||", "$(", ";", "&", "|", "(", ")", "`", "{", "}", "\n"}
    | {"if", "then", "else", "elif", "while", "until", "do", "!", "exec", "time", "busybox"}
)
# Commands that only read, write or show their operands, or wait: a path naming the analyzer there runs nothing
# (`cat /shared/analyzer-result.json`, `echo waiting for the analyzer`, `[ -f /tmp/analyzer.done ]`).
_NOT_RUNNING = frozenset(
    {"cat", "tail", "head", "less", "more", "ls", "stat", "wc", "du", "grep", "egrep", "fgrep", "jq", "yq", "diff"}
    | {"mkdir", "rmdir", "rm", "touch", "cp", "mv", "ln", "chmod", "chown", "tee", "test", "[", "[[", "sleep"}
    | {"echo", "printf", "true", "false", ":", "wget", "curl", "cmp", "sha256sum", "md5sum"}
)


def _runs_the_analyzer(words: list[str]) -> bool:
    """Whether a container's words may run the analyzer, outside a URL: a program (or a shell's line or script, an
    interpreter's script, a wrapper's program: `timeout 60 analyzer run X`) whose path names it (`analyzer run X`,
    `/opt/analyzer/smoke.sh`, `python -m analyzer`); not a word naming it only as an option's value, a variable's, a
    redirection's file or an operand of a command that only reads, writes, shows or waits (`sleep 1
    --log-dir=/tmp/analyzer-logs`, `cat /shared/analyzer-result.json`, `echo analyzer`), which runs no check."""
    if _program_words(words)[:1] == ["analyzer"]:
        # `python -m analyzer`, through an init too.
        return True
    program = ""
    words = _init_stripped(words)
    # A shell's words after its own program are its line or script, each a command of its own.
    shell = bool(words) and words[0].rpartition("/")[2] in _SHELLS
    starting = True
    for word in words:
        starting = starting or (shell and not word.startswith("-"))
        redirected = False
        for token in _RUN_TOKEN_RE.findall(_WORD_URL_RE.sub(" ", word)):
            if token in _STARTS_COMMAND or (starting and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", token)):
                starting = True
                continue
            if token[0] in "<>":
                redirected = True
                continue
            if starting:
                program, starting = token.rpartition("/")[2], False
                if "analyzer" in token.lower():
                    return True
            elif "analyzer" in token.lower() and not (
                redirected or token.startswith("-") or "=" in token or program in _NOT_RUNNING
            ):
                return True
            redirected = False
    return False


def _container_label(container: dict[str, Any], is_init: bool, named: bool) -> str:
    """How a problem names a container: `the Job's container` when it is the pod's only one, else by its name."""
    kind = "init container" if is_init else "container"
    return f"the Job's {kind} {str(container.get('name', '?'))!r}" if named or is_init else f"the Job's {kind}"


def _deadline_problems(
    spec: dict[str, Any] | Any,
    pod: dict[str, Any],
    checks: list[tuple[bool, dict[str, Any], list[str]]],
    catalog: Catalog,
    own: bool,
) -> list[str]:
    """The Job's `activeDeadlineSeconds` (or its pod's) that its checks' deadlines reach (init containers run one
    after another, then the containers side by side): a slow evaluation is stopped (SIGTERM) before its verdict."""
    limits = [
        (value, where)
        for value, where in (
            (_active_deadline_s(spec), "the Job's activeDeadlineSeconds"),
            (_active_deadline_s(pod), "its pod's activeDeadlineSeconds"),
        )
        if value is not None
    ]
    if not limits:
        return []
    limit_s, where = min(limits)
    init_s = [found for is_init, c, w in checks if is_init and (found := _check_deadline(c, w, catalog))]
    main_s = [found for is_init, c, w in checks if not is_init and (found := _check_deadline(c, w, catalog))]
    # The containers run side by side: the slowest decides.
    longest = [*init_s, *([max(main_s, key=lambda found: found[0])] if main_s else [])]
    most_s = sum(seconds for seconds, _ in longest)
    if not longest or limit_s > most_s:
        return []
    shown = ", then ".join(said for _, said in longest)
    ends = "a failed Job, and no verdict" if own else "a failed Job (Argo reads it as Failed, and the rollout aborts)"
    return [
        f"{where} {limit_s} is not above the {most_s:g} s its check{'s' if len(longest) > 1 else ''} may take "
        f"({shown}): an evaluation slower than {limit_s} s is stopped (SIGTERM) before its verdict, {ends}; set it "
        f"above {most_s:g}, with room for the pod to start (image pull, catalog load)"
    ]


# The exits of a verdict that is not a pass: retried, they are measured again until one passes.
_VERDICT_EXITS = (3, 4)
# Kubernetes' backoffLimit when a Job gives none.
_DEFAULT_BACKOFF_LIMIT = 6
_NO_RETRY = (
    "add a podFailurePolicy rule `action: FailJob` with `onExitCodes: {{containerName: {name}, operator: In, "
    "values: [2, 3, 4, 6]}}` (with restartPolicy: Never; exit 5, an error, may still be retried), or set "
    "backoffLimit: 0 with restartPolicy: Never"
)


def _retry_problems(
    spec: Any, pod: dict[str, Any], checks: list[tuple[bool, dict[str, Any], list[str]]], named: bool, own: bool
) -> list[str]:
    """A problem for each container running a check whose `fail` or `inconclusive` (exit 3, 4) the Job retries: its
    pod's restartPolicy OnFailure, or a pod failure counted against a backoffLimit above 0 (Kubernetes' default is 6)
    or ignored by its podFailurePolicy; Argo (or a pipeline) reads only the Job's final state, the retry's pass.
    Nothing when unknown: a restartPolicy absent (the API server refuses the Job) or filled in, a limit filled in."""
    restart = pod.get("restartPolicy")
    if not checks or restart not in ("Never", "OnFailure") or not isinstance(spec, dict):
        return []
    reads = "whoever waits on the Job reads only its final Complete" if own else "Argo reads only its final Complete"
    problems: list[str] = []
    for is_init, container, _ in checks:
        label = _container_label(container, is_init, named)
        advice = _NO_RETRY.format(name=str(container.get("name", "NAME")))
        if restart == "OnFailure":
            problems.append(
                f"{label} runs `analyzer run` in a pod of restartPolicy OnFailure, which restarts it in place when it "
                f"fails, {_restarted(spec)}, and {reads}; {advice} (Kubernetes takes a podFailurePolicy only with "
                "restartPolicy: Never)"
            )
            continue
        why = _retried_by(spec, str(container.get("name", "")), is_init)
        if why is not None:
            problems.append(
                f"{label} runs `analyzer run` in a Job that retries its `fail` or `inconclusive` verdict (exit 3, "
                f"4) until a pass ({why}), and {reads}; {advice}"
            )
    return problems


def _restarted(spec: dict[str, Any]) -> str:
    """How often a pod of restartPolicy OnFailure runs a failed check again: the Job controller counts its container's
    restarts against backoffLimit, and fails the Job only once one has started, which may pass first."""
    limit = spec.get("backoffLimit")
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    if limit == 0 and not isinstance(limit, bool):
        return (
            "and backoffLimit 0 fails the Job only once the restart has started: the restarted check races the Job "
            "controller, and a `fail` or `inconclusive` verdict (exit 3, 4) measured again may pass first"
        )
    shown = (
        "Kubernetes' default backoffLimit 6 (none given)"
        if limit is None
        else f"backoffLimit {limit}"
        if isinstance(limit, int) and not isinstance(limit, bool)
        else "its backoffLimit"
    )
    return (
        f"up to {shown} times: a `fail` or `inconclusive` verdict (exit 3, 4) is measured again until a pass or the "
        "limit"
    )


def _retried_by(spec: dict[str, Any], name: str, is_init: bool = False) -> str | None:
    """Why the Job (of restartPolicy Never) starts a new pod after the named container (an init container's, or not)
    exits 3 or 4: the first of its podFailurePolicy's rules that matches that exit (onExitCodes for that container, or
    with no containerName; onPodConditions naming a condition every such failed pod has) ignores it, or counts it (the
    default, with no rule matching) against a backoffLimit above 0; None when each exit fails the Job (FailJob, or
    FailIndex of an indexed Job), or when a rule or the limit is filled in."""
    policy = spec.get("podFailurePolicy")
    rules = _listed(policy.get("rules")) if isinstance(policy, dict) else []
    # A null field (`backoffLimit:` left empty) is one not given: the API server fills in its default.
    per_index = spec.get("backoffLimitPerIndex") is not None
    given = "backoffLimitPerIndex" if per_index else "backoffLimit"
    limit = _DEFAULT_BACKOFF_LIMIT if spec.get(given) is None else spec[given]
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    # Why each retried exit is retried, the exits said alike grouped.
    reasons: dict[str, list[int]] = {}
    for code in _VERDICT_EXITS:
        action, which = "Count", "no podFailurePolicy rule matches it"
        for number, rule in enumerate(rules, 1):
            on = rule.get("onExitCodes") if isinstance(rule, dict) else None
            if isinstance(rule, dict) and not isinstance(on, dict):
                condition = _every_failure_has(rule.get("onPodConditions"), is_init)
                if condition is None or (condition and _given_elsewhere(rule.get("action"))):
                    return None
                if condition and rule.get("action") in ("FailJob", "FailIndex", "Ignore", "Count"):
                    ruled = rule["action"]
                    action = ruled
                    which = f"podFailurePolicy's rule {number}, action {ruled}, on {condition}, matches it first"
                    break
                continue
            if not isinstance(on, dict):
                continue
            # A rule whose container, codes, operator or action Argo fills in may be the FailJob of this check.
            if _given_elsewhere(on.get("containerName")):
                return None
            if on.get("containerName") not in (None, name):
                continue
            values = on.get("values")
            operator, ruled = on.get("operator"), rule.get("action")
            if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
                return None
            if _given_elsewhere(operator) or _given_elsewhere(ruled):
                return None
            # Kubernetes' own clients skip a rule of an action they do not know.
            if operator not in ("In", "NotIn") or ruled not in ("FailJob", "FailIndex", "Ignore", "Count"):
                continue
            if (code in values) == (operator == "In"):
                action, which = ruled, f"podFailurePolicy's rule {number}, action {ruled}, matches it first"
                break
        if action == "Ignore":
            reasons.setdefault(f"{which}, and an ignored failure starts a new pod without counting it", []).append(code)
        elif action == "Count":
            if not isinstance(limit, int) or isinstance(limit, bool):
                return None
            if limit > 0:
                shown = (
                    f"{given} {limit}"
                    if spec.get(given) is not None
                    else f"Kubernetes' default backoffLimit {limit} (none given)"
                )
                reasons.setdefault(f"{which}, and it counts against {shown}", []).append(code)
    said = [
        f"exit {' and '.join(map(str, codes))}{' alike' if len(codes) > 1 else ''}: {why}"
        for why, codes in reasons.items()
    ]
    return "; ".join(said) or None


# Pod conditions every pod has once a container of it has failed: the kubelet sets Ready and ContainersReady False
# when a container ends, and a pod that ran was scheduled. Initialized is True only once the init containers have all
# succeeded: True after a container's failure, False after an init container's. Others (DisruptionTarget: a pod
# Kubernetes ended itself; a readiness gate's) a failed check's pod may lack.
_FAILED_POD_CONDITIONS = frozenset({("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True")})
_FAILED_CONTAINER_CONDITIONS = _FAILED_POD_CONDITIONS | {("Initialized", "True")}
_FAILED_INIT_CONDITIONS = _FAILED_POD_CONDITIONS | {("Initialized", "False")}


def _every_failure_has(patterns: Any, is_init: bool) -> str | None:
    """The first of a podFailurePolicy rule's onPodConditions patterns that every pod whose (init) container exits 3 or
    4 matches (`pod condition Ready False, which every failed pod has`); "" when none certainly does; None when one
    is filled in (`{{args.x}}`), and may be."""
    certain = _FAILED_INIT_CONDITIONS if is_init else _FAILED_CONTAINER_CONDITIONS
    found = ""
    for pattern in _listed(patterns):
        if not isinstance(pattern, dict):
            continue
        # Kubernetes' default status of a pattern is True (a null one is one not given).
        kind, status = pattern.get("type"), "True" if pattern.get("status") is None else pattern["status"]
        if _given_elsewhere(kind) or _given_elsewhere(status):
            return None
        if (kind, status) in certain and not found:
            found = f"pod condition {kind} {status}, which every failed pod has"
    return found


def _active_deadline_s(spec: Any) -> int | None:
    """A Job's (or pod's) `activeDeadlineSeconds`, when it is a positive integer (`8.0` too: YAML's float reaches the
    API server as JSON's 8, which it takes)."""
    value = spec.get("activeDeadlineSeconds") if isinstance(spec, dict) else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _catalog_problems(container: dict[str, Any], words: list[str], label: str, own: bool) -> list[str]:
    """A problem when a container of the analyzer's image runs `analyzer run` (these words after `run`) given no
    catalog: no `--catalog`, no ANALYZER_CATALOG in its `env`, no `envFrom` that may set it (the image sets none, see
    the Dockerfile); every run then exits 6 (no catalog) before evaluating. Another image's environment is unknown."""
    from analyzer.cli_args import add_run_arguments, with_dash_values

    if not _of_analyzer(container) or container.get("envFrom"):
        return []
    reader = _RunWords(prog="analyzer run", add_help=False)
    reader.add_argument("-h", "--help", action="store_true")
    add_run_arguments(reader)
    try:
        parsed = reader.parse_known_args(with_dash_values(words))[0]
    except ValueError:
        # Said by `_run_words_problems` (`--catalog ""` too).
        return []
    if parsed.catalog is not None or parsed.help:
        return []
    given = [v for v in _listed(container.get("env")) if isinstance(v, dict) and v.get("name") == "ANALYZER_CATALOG"]
    # Kubernetes takes the last of a name given twice; an empty value (or none) is unset as `analyzer run` reads it.
    if given and ("valueFrom" in given[-1] or given[-1].get("value") not in (None, "")):
        return []
    said = (
        "its env sets ANALYZER_CATALOG empty, which `analyzer run` reads as unset"
        if given
        else "no ANALYZER_CATALOG in its env or an envFrom (the analyzer's image sets none)"
    )
    ends = "a failed Job, and no verdict" if own else "a failed Job (Argo reads it as Failed, and the rollout aborts)"
    return [
        f"{label} runs `analyzer run` given no catalog: no --catalog, and {said}, so every run exits 6 (a config "
        f"error: no catalog) before evaluating, whatever the check finds, {ends}; add `--catalog PATH` to its args, "
        "or an env variable ANALYZER_CATALOG with that PATH (the catalog's file or directory as mounted in the pod, "
        "a ConfigMap's volume)"
    ]


def _settings_problems(container: dict[str, Any], label: str, own: bool) -> list[str]:
    """A problem for each ANALYZER_* variable of a container running `analyzer run` whose value, as its `env` writes
    it, `Settings.from_env` refuses, as `analyzer run` reads them: every run then exits 6 before evaluating (a failed
    Job, whatever the check finds). Those of several variables together (ANALYZER_AUTH_ALLOW without
    ANALYZER_AUTH_TOKENS) only when no other may come from `envFrom`, `valueFrom` or a `$(VAR)` Kubernetes fills in."""
    written: dict[str, str] = {}
    unknown = bool(container.get("envFrom"))
    for variable in _listed(container.get("env")):
        name = str(variable.get("name", "")) if isinstance(variable, dict) else ""
        if not name.startswith(ENV_PREFIX):
            continue
        value = variable.get("value")
        # Kubernetes takes the last of a name given twice; a value left out is the empty string (unset, here).
        written.pop(name, None)
        if "valueFrom" in variable or not isinstance(value, str | None) or "$(" in str(value or ""):
            unknown = True
        else:
            written[name] = value or ""
    refused: list[str] = []
    for name, value in written.items():
        try:
            Settings.from_env({name: value})
        except ConfigError as exc:
            # Its own value's (`ANALYZER_PORT / --port: ...`), not one of several settings read alone.
            refused += [f"{p}{_allowed(name)}" for p in exc.problems if re.match(rf"{name}(?: / --[a-z-]+)?: ", p)]
    if not refused and not unknown:
        try:
            Settings.from_env(written)
        except ConfigError as exc:
            refused += exc.problems
    ends = "a failed Job, and no verdict" if own else "a failed Job (Argo reads it as Failed, and the rollout aborts)"
    return [
        f"{label}'s env makes `analyzer run` refuse its settings and exit 6 (a config error) before evaluating, "
        f"whatever the check finds ({problem}), {ends}; write a value it takes, or remove the variable"
        for problem in refused
    ]


def _allowed(variable: str) -> str:
    """The bounds the setting of this ANALYZER_* variable takes, as its field declares them (`; allowed: above 0, at
    most 300`); empty for one without."""
    field = Settings.model_fields.get(variable.removeprefix(ENV_PREFIX).lower())
    said = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}
    bounds = [
        f"{words} {getattr(rule, key):g}"
        for rule in (field.metadata if field is not None else [])
        for key, words in said.items()
        if getattr(rule, key, None) is not None
    ]
    return f"; allowed: {', '.join(bounds)}" if bounds else ""


# The deadline `analyzer run` takes when neither the check nor ANALYZER_DEADLINE_S gives one.
_RUN_DEADLINE_S = Settings.model_fields["deadline_s"].default


def _check_deadline(container: dict[str, Any], words: list[str], catalog: Catalog) -> tuple[float, str] | None:
    """The deadline of the check these `analyzer run` words run, with where it comes from: its `deadline_s`, else the
    container's ANALYZER_DEADLINE_S, else the default; None when unknown (a name or a setting filled in, a check the
    catalog lacks, a variable from `envFrom` or `valueFrom`)."""
    from analyzer.cli_args import add_run_arguments, with_dash_values

    reader = _RunWords(prog="analyzer run", add_help=False)
    add_run_arguments(reader)
    try:
        name = reader.parse_known_args(with_dash_values(words))[0].name
    except ValueError:
        return None
    check = catalog.checks.get(name) if isinstance(name, str) else None
    if check is None:
        return None
    if check.deadline_s is not None:
        return check.deadline_s, f"check {name!r}, its deadline_s {check.deadline_s:g}"
    env = {str(v.get("name")): v for v in _listed(container.get("env")) if isinstance(v, dict)}
    given = env.get("ANALYZER_DEADLINE_S")
    default = (_RUN_DEADLINE_S, f"check {name!r}, the default {_RUN_DEADLINE_S:g} s deadline")
    if given is None:
        # A variable of `envFrom` is known only in the cluster.
        return None if container.get("envFrom") else default
    if given.get("value") in (None, "") and "valueFrom" not in given:
        # Empty (a value left out is ""), it is unset as `analyzer run` reads it; `env` comes before `envFrom`.
        return default
    value = given.get("value")
    if not isinstance(value, str) or "$(" in value:
        return None
    try:
        # As `analyzer run` reads it; a value it refuses is said by `_settings_problems`.
        seconds = Settings.from_env({"ANALYZER_DEADLINE_S": value}).deadline_s
    except ConfigError:
        return None
    return seconds, f"check {name!r}, the container's ANALYZER_DEADLINE_S {seconds:g}"


_JOB_KINDS = ("Job", "CronJob")


def _job_spec(job: dict[str, Any]) -> Any:
    """The Job spec of a batch/v1 Job or CronJob manifest (None for another API's kind of that name)."""
    if not str(job.get("apiVersion", "")).startswith("batch/"):
        return None
    spec = job.get("spec")
    if job.get("kind") == "CronJob":
        template = spec.get("jobTemplate") if isinstance(spec, dict) else None
        spec = template.get("spec") if isinstance(template, dict) else None
    return spec


def holds_jobs(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds a Job or CronJob of which a container runs `analyzer run`, is of the
    analyzer and certainly runs no check, or may run one (a shell line of the analyzer's image, or naming it)."""
    return any(
        _runs_analyzer(job) is not None or any(_may_run_analyzer(c) for c in _job_containers(job))
        for _, job in _documents(files, _JOB_KINDS, patches_too=True)
    )


def holds_checking_jobs(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds a Job or CronJob of which a container runs `analyzer run`."""
    return any(_runs_analyzer(job) for _, job in _documents(files, _JOB_KINDS, patches_too=True))


def _runs_analyzer(job: dict[str, Any]) -> bool | None:
    """Whether a container of the Job runs `analyzer run` (an init container too); False when none does but one of
    the analyzer certainly runs no check; None when neither."""
    containers = _job_containers(job)
    if any(_analyzer_run_words(c) is not None for c in containers):
        return True
    return False if any(_runs_no_check(c) is not None for c in containers) else None


def _job_containers(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The init containers and containers of a Job's or CronJob's pod template."""
    spec = _job_spec(job)
    pod = ((spec.get("template") or {}).get("spec")) if isinstance(spec, dict) else None
    pod = pod if isinstance(pod, dict) else {}
    return [c for key in ("initContainers", "containers") for c in _listed(pod.get(key)) if isinstance(c, dict)]


def _may_run_analyzer(container: dict[str, Any]) -> bool:
    """Whether the container is of the analyzer's image or names analyzer in its words (`sh -c 'analyzer run ...'`):
    a Job of the analyzer, read for what its line runs, though no reading says that it runs a check or that it does
    not (a line whose exit is the check's is no finding)."""
    words = _container_words(container) or []
    return _of_analyzer(container) or any("analyzer" in word for word in words)


def _analyzer_run_words(container: dict[str, Any]) -> list[str] | None:
    """The words after `run` when the container runs `analyzer run` (the image's entrypoint, for an image named
    analyzer, or a command whose program is analyzer); None otherwise, or when a shell reads them."""
    words = _container_words(container)
    if words is None:
        return None
    words = _program_words(words)
    program = words[0].rpartition("/")[2] if words else ""
    return words[2:] if program == "analyzer" and words[1:2] == ["run"] else None


def _container_words(container: dict[str, Any]) -> list[str] | None:
    """The words a container runs, its image's entrypoint first for an image named analyzer without a `command` (or
    an empty one; the image's CMD is not read here); None when `command` or `args` is not a list."""
    command, args = container.get("command"), container.get("args")
    if not all(isinstance(words, list | None) for words in (command, args)):
        return None
    # An empty command is no command: the container runtime runs the image's entrypoint then.
    words = [str(word) for word in (command or (["analyzer"] if _of_analyzer(container) else []))]
    return words + [str(word) for word in args or []]


def _of_analyzer(container: dict[str, Any]) -> bool:
    """Whether the container's image is named analyzer (any registry, tag or digest)."""
    return str(container.get("image") or "").rpartition("/")[2].partition("@")[0].partition(":")[0] == "analyzer"


# Shells whose `-c TEXT` runs TEXT, and which read commands from stdin without one (a container's is empty).
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})


def _runs_no_check(container: dict[str, Any], label: str = "the Job's container") -> _Idle | None:
    """What a container of the analyzer's image, or whose program is analyzer, does when it certainly runs no check (an
    init, Python or a shell given nothing to run, a shell line of no-ops, `analyzer` without a command or with another
    than `run`, the image's default `analyzer serve`), and how it ends; None for one that runs a check, or may (a shell
    line, another program, a shell that reads startup files or an attached stdin)."""
    words = _container_words(container)
    if words is None:
        return None
    ours = _of_analyzer(container)
    if ours and not container.get("command") and not container.get("args"):
        return _Idle(
            f"{label} gives neither command nor args, so it runs the image's default, `analyzer serve`, which never "
            "ends: no verdict, and a Job that fails at its activeDeadlineSeconds if it has one",
            ends="never",
        )
    program_words = _program_words(words)
    program = program_words[0].rpartition("/")[2] if program_words else ""
    # `python -m analyzer`, in any image, runs the analyzer's module, and so its commands.
    stripped = _init_stripped(words)
    module = bool(stripped) and _PYTHON_RE.fullmatch(stripped[0].rpartition("/")[2]) is not None
    if program == "analyzer":
        shown = shlex.join(["analyzer", *program_words[1:]])
        asks = _asks_analyzer_help(program_words[1:])
        if asks:
            return _Idle(f"{label} runs `{shown}`: it prints its {asks} and exits 0", "exit 0")
        command = _analyzer_command(program_words[1:])
        # Options alone judged of the analyzer's image only, as a command is (below); `analyzer` alone of any.
        if command is None and (ours or len(program_words) == 1):
            return _Idle(f"{label} runs `{shown}` without a command: it exits 2 (a usage error)", "failure")
        # Of the analyzer's image only: another image's program named analyzer has commands of its own.
        if not (ours or module) or command is None:
            return None
        if command in _NO_CHECK_COMMANDS:
            what, ends = _NO_CHECK_COMMANDS[command]
            return _Idle(f"{label} runs `{shown}`, {what}", ends, note_of_own=command == "validate")
        if not _may_be_a_command(command):
            return _Idle(
                f"{label} runs `{shown}`, whose command {command!r} is none of the analyzer's "
                f"({', '.join(_ANALYZER_COMMANDS)}; a line written as one word is one word): it exits 2 (a usage "
                "error)",
                ends="failure",
            )
        return None
    asked = _python_asks(program_words[1:]) if _PYTHON_RE.fullmatch(program) else None
    if asked is not None and (ours or _python_module(program_words[1:])[0] in _ANALYZER_MODULES):
        what = "version" if asked in _PYTHON_VERSION_OPTIONS else "help"
        return _Idle(
            f"{label} runs `{shlex.join(program_words)}`, Python asked for its {what} ({asked}): it prints it and "
            "exits 0",
            ends="exit 0",
        )
    if not ours:
        return None
    if not program_words:
        return _Idle(
            f"{label} runs `{shlex.join(words)}`, an init given no program (Kubernetes does not add the image's CMD "
            "when a container gives a command): it exits with a usage error",
            ends="failure",
        )
    # An attached stdin (`stdin: true`) is read by whoever attaches: it may run anything, or wait for ever.
    reads_stdin = container.get("stdin") is True
    if _PYTHON_RE.fullmatch(program) and not reads_stdin and _python_reads_stdin(program_words[1:]):
        return _Idle(
            f"{label} runs `{shlex.join(program_words)}`, Python given no module or script: it reads one from its "
            "stdin, which is empty, and exits 0",
            ends="exit 0",
        )
    reads_more = program in _SHELLS and _shell_reads_more(program, program_words[1:], container)
    if program in _SHELLS and not reads_more:
        if _shell_noexec(program_words[1:]):
            return _Idle(
                f"{label} runs `{shlex.join(program_words)}`, a shell told to read its commands without running them "
                "(-n, noexec; a syntax check): it runs none and exits 0",
                ends="exit 0",
            )
        ran = _shell_runs(program_words[1:], reads_stdin)
        if ran == "":
            return _Idle(
                f"{label} runs `{shlex.join(program_words)}`, a shell given no command to run: it runs none and "
                "exits 0",
                ends="exit 0",
            )
        if ran is not None:
            return _Idle(
                f"{label} runs `{shlex.join(program_words)}`, a shell whose line runs no check (only "
                f"{', '.join(_SHELL_NO_OPS)}, exit 0): it exits 0",
                ends="exit 0",
            )
    if program in _SHELLS:
        # What its startup files run (BASH_ENV's, a login shell's) leaves what its line does with the check's exit.
        # bash's `echo` prints backslashes as they are, unless a startup file may set `shopt -s xpg_echo`.
        discarded = _shell_discards(program_words[1:], echo_escapes=program != "bash" or reads_more)
        if discarded is not None:
            return _Idle(
                f"{label} runs `{shlex.join(program_words)}`, a shell whose line may exit 0 though `{discarded}` "
                "fails or is skipped (`|| true`, `exit 0` or another command after it, another check after it that "
                "passes (`analyzer run a; analyzer run b`: write `analyzer run a && analyzer run b`, or `set -e` "
                "first), `&` or `wait`, a pipe without pipefail, `!` before it, an `if` without `else`, its output "
                "substituted in another command's words, `echo $(analyzer run ...)`, or tested in a way true for "
                'another verdict than pass: for being printed, `[ -n "$OUT" ]`, against a word it never is, `[ "$OUT" '
                "!= fail ]`, by a `case`, `grep` or `jq` that lets another "
                'verdict through, `grep -v fail`, `grep -q PASS` (a passed step\'s line), `echo "$OUT" | grep -q '
                "'^PASS'` (dash's echo turns a reason's `\\n` into a line), `jq -e` (given no JSON, as when the check "
                "prints nothing, it exits 0); a `trap` that exits 0 on EXIT or on a signal that stops the pod, TERM, "
                "INT or HUP, `set -n`; write the check last, or `analyzer run ... && ...`, or test for a pass alone, "
                "`analyzer run ... | grep -q '^PASS'`, `printf '%s\\n' \"$OUT\" | grep -q '^PASS'`, or `set -o "
                "pipefail` before the pipe): the check's verdict is lost, and it exits 0",
                ends="exit 0",
            )
    return None


# The analyzer's commands other than `run`, none of which evaluates a check: what each does, and whether it exits 0.
_NO_CHECK_COMMANDS: dict[str, tuple[str, Literal["exit 0", "never"]]] = {
    "serve": (
        "the service, which never ends: no verdict, and a Job that fails at its activeDeadlineSeconds if it has one",
        "never",
    ),
    "validate": ("which validates the catalog and evaluates no check: it exits 0 on a valid one", "exit 0"),
    "list": ("which lists the catalog's checks and evaluates none: it exits 0", "exit 0"),
    "import": ("which prints checks made of an SLO file and evaluates none: it exits 0", "exit 0"),
}


_WRITE_RUN = "make it run `analyzer run NAME --arg KEY=VALUE ...` (docs/job-mode.md)"
# What a Job that ends without evaluating a check is, failed and Successful: to a job metric (which Argo reads), and
# as a Job of its own (a pipeline step, a pre-deploy gate: no AnalysisRun reads it).
_NO_CHECK_OF_METRIC = (
    f"a failed Job evaluating no check (Argo reads it as Failed); {_WRITE_RUN}",
    f"a Successful Job evaluating no check (Argo reads it as Successful, a pass of a check never run); {_WRITE_RUN}",
)
_NO_CHECK_OF_OWN = (
    f"a failed Job, and no verdict; {_WRITE_RUN}",
    f"a Successful Job, and no verdict: what waits on the Job reads a pass of a check never run; {_WRITE_RUN}",
)


def _asks_analyzer_help(words: list[str]) -> str:
    """What the `analyzer` command given these words (after its program) prints before it exits 0 without reading a
    command ("help" or "version"), as argparse reads its options: -h (`-hh`), any prefix of --help (`--he`) or of
    --version (`--ver`), an unknown option set aside before it; not after the command or `--`. "" when none."""
    for word in words:
        if word == "--" or not word.startswith("-") or word == "-":
            return ""
        if re.fullmatch("-h+", word) or (len(word) > 2 and "--help".startswith(word)):
            return "help"
        if len(word) > 2 and "--version".startswith(word):
            return "version"
    return ""


# The commands of `analyzer` (its parser's; tests/unit/test_argo_templates.py holds them to it).
_ANALYZER_COMMANDS = ("serve", "run", "validate", "import", "list")


def _analyzer_command(words: list[str]) -> str | None:
    """The command the `analyzer` command given these words (after its program) reads, as argparse does: the first
    word that is no option (one it does not know takes no value); None when there is none."""
    # `--` too: Python 3.11's argparse (the image's) reads it as the command, an invalid choice.
    return next((word for word in words if word in ("-", "--") or not word.startswith("-")), None)


# What Argo (`{{args.x}}`) or Kubernetes (`$(VAR)`) fills in of a word.
_PLACEHOLDER_RE = re.compile(r"\{\{.*?\}\}|\$\([^)]*\)")


def _may_be_a_command(word: str) -> bool:
    """Whether `word` is one of the analyzer's commands, or may be once filled in: not a line (`run {{args.x}}`)."""
    return word in _ANALYZER_COMMANDS or (_filled_in(word) and not re.search(r"\s", _PLACEHOLDER_RE.sub("", word)))


# Python's options that print its help or version and exit 0 before anything runs (`python3 -V -m analyzer run`).
_PYTHON_VERSION_OPTIONS = frozenset({"-V", "--version"})
_PYTHON_ASKS_LONG = frozenset({"--help", "--help-env", "--help-xoptions", "--help-all", "--version"})
_ANALYZER_MODULES = ("analyzer", "analyzer.cli")


def _python_asks(words: list[str]) -> str | None:
    """The option among Python's own (before -c, -m, a script) given these words (after its program) on which it
    prints its help or version and exits 0, running nothing (`-V`, `--help`, `-?`; a letter grouped `-uV` as `-V`);
    None when none does."""
    rest = words
    while rest and rest[0].startswith("-") and rest[0] not in ("-", "--"):
        option, rest = rest[0], rest[1:]
        if option.startswith("--"):
            if option in _PYTHON_ASKS_LONG:
                return option
            rest = rest[1:] if option == _PYTHON_VALUED_LONG else rest
            continue
        for index, letter in enumerate(option[1:], start=2):
            if letter in "h?V":
                return f"-{letter}"
            if letter in "cm":
                return None
            if letter in _PYTHON_VALUED_LETTERS:
                rest = rest if option[index:] else rest[1:]
                break
    return None


def _python_reads_stdin(words: list[str]) -> bool:
    """Whether Python given these words (after its program) runs what its stdin holds: options alone, no -m, -c or
    script (`python3`, `python3 -u`), or `-` for stdin. Not an option lacking its value (`python3 -W`): an error."""
    rest = words
    while rest and rest[0].startswith("-") and rest[0] not in ("-", "--"):
        option, rest = rest[0], rest[1:]
        if option.startswith("--"):
            if option == _PYTHON_VALUED_LONG:
                if not rest:
                    return False
                rest = rest[1:]
            continue
        for index, letter in enumerate(option[1:], start=2):
            if letter in "cm":
                return False
            if letter in _PYTHON_VALUED_LETTERS:
                if not option[index:]:
                    if not rest:
                        return False
                    rest = rest[1:]
                break
    rest = rest[1:] if rest[:1] == ["--"] else rest
    return not rest or rest[0] == "-"


def _shell_runs(words: list[str], reads_stdin: bool = False) -> str | None:
    """What a shell given these words (after its program) certainly runs, none of it a check, and exits 0 on: "" for
    nothing (`-c` with blank text, or neither `-c` nor a script: it reads its stdin, which is empty unless attached),
    the line for one of no-ops only (`sh -c true`); None when it may run anything. Read coarsely, so as never to claim
    that of a shell that runs something: the first word that is no option is taken as the text or the script."""
    text = next((word for word in words if not word.startswith("-")), None)
    # `-o NAME` takes a value (`sh -o errexit -c true`): read so where the options are known.
    text = read[0] if (read := _shell_line(words)) is not None else text
    if any(word.startswith("-") and not word.startswith("--") and "c" in word[1:] for word in words):
        if text is None:
            return None
        return "" if not text.strip() else (text if _no_ops(text) else None)
    return "" if text is None and not reads_stdin else None


# Commands a shell line may hold that certainly run no check and exit 0 (`exit` with no code or 0, too).
_SHELL_NO_OPS = ("true", ":", "echo", "printf")
# What would make a line run more than its words say: expansions, redirections, pipes, groups, globs, comments.
_SHELL_MORE_RE = re.compile(r"[$`<>|&(){}\\*?\[\]~#]")


def _no_ops(text: str) -> bool:
    """Whether a shell line certainly runs only no-ops (`true`, `:; echo done`, `echo ok && exit 0`), its comments
    left out (`true # analyzer run X`)."""
    uncommented = _uncommented(text)
    if uncommented is None or _SHELL_MORE_RE.search(uncommented.replace("&&", ";")):
        return False
    text = uncommented
    try:
        commands = [shlex.split(part) for part in re.split(r"[;\n]", text.replace("&&", ";"))]
    except ValueError:
        return False
    for command in commands:
        if command[:1] == ["exit"] and command[1:] in ([], ["0"]):
            # What follows an `exit` never runs (`exit 0; analyzer run x`).
            return True
        if command and command[0] not in _SHELL_NO_OPS:
            return False
    return True


# What a line must not hold to be read for what it does with a check's exit: expansions, redirections, groups, globs,
# comments, escapes (a line holding one is not judged; a whole line reads groups and globs: see `_LINE_OPAQUE_RE`).
_SHELL_OPAQUE_RE = re.compile(r"[$`<>(){}\\*?\[\]~#]")
# What a whole line (see `_shell_discards`) must not hold outside quotes once its comments are left out (see
# `_uncommented`): its groups, `{ ...; }` and `( ... )`, are read (see `_shell_parse`), its glob characters too (a
# `case` pattern, a test's brackets, a file name's: see `_shell_command`).
_LINE_OPAQUE_RE = re.compile(r"[$`\\~]")
# A glob character outside quotes, as `_shell_tokens` marks it: a pattern's (`case`), or a file name's (not read).
_GLOBS = {"*": "\x02", "?": "\x03", "[": "\x04", "]": "\x05"}
_GLOB_MARKS = frozenset(_GLOBS.values())
_GLOBBED = str.maketrans({mark: char for char, mark in _GLOBS.items()})
_TEST_BRACKETS = frozenset({"[", "]", "[[", "]]"})
# A brace outside quotes, as `_shell_tokens` marks it: a group's (`{ LIST; }`, a word of its own), or brace expansion's
# (`{a,b}`: not read). Quoted, it is a character (`echo '{'`).
_BRACES = {"{": "\x06", "}": "\x07"}
_OPEN, _CLOSE = _BRACES["{"], _BRACES["}"]
_UNBRACED = str.maketrans({mark: char for char, mark in _BRACES.items()})
# The reserved words `_parse_lists` reads, and the mark of one quoted (see `_shell_tokens`).
_RESERVED = frozenset({"!", "case", "in", "esac", "[[", "]]", "if", "then", "elif", "else", "fi"})
_QUOTED = "\x08"
# Words that make a line's flow more than a list of commands (conditionals, loops, sourced files; `trap` is read).
_SHELL_FLOW = frozenset(
    {"if", "then", "else", "elif", "fi", "while", "until", "for", "do", "done", "case", "esac", "!", "eval"}
    | {"source", ".", "return", "break", "continue", "function", "select", "time", "coproc", "exec"}
)
# A way through a line: (its status is 0, it exited, errexit, pipefail, a failing check ran on it; see `_LineFacts`).
_Way = tuple[bool, bool, bool, bool, bool]


@dataclass(frozen=True)
class _Group:
    """A group on a shell line: `{ LIST; }`, run by the shell itself, or `( LIST )`, by a subshell (whose `exit` and
    `set` end or set it alone); its `lists` as `_shell_parse` gives them. A `case` is one whose lists are its arms'
    (`arms`: each one's patterns and lists), chosen by its `word`; an `if`, one whose lists are its `branches` (each
    its condition's and its body's: `if`, then each `elif`) and its `else` body (`otherwise`)."""

    subshell: bool
    lists: _Lists
    word: str | None = None
    arms: tuple[tuple[tuple[str, ...], _Lists], ...] = ()
    branches: tuple[tuple[_Lists, _Lists], ...] = ()
    otherwise: _Lists | None = None


# A line's (or a group's) and-or lists: each its items (pipelines of commands, then `[["\0&&"]]` or `[["\0||"]]`,
# ...) and whether it runs in the background (see `_shell_parse`).
_Lists = list[tuple[list[list[list[str] | _Group]], bool]]


@dataclass(frozen=True)
class _LineFacts:
    """What a line's commands are read with: the commands its substitutions run and the names of its parameters (see
    `_shell_expansions`), the markers of the expansions that are a check's output (`exact`) or hold it among other
    text (`within`: see `_check_outputs`), the variables the line may set (None: not known, `read` sets them), and
    whether errexit is ignored where they are read (`errexit_ignored`)."""

    substituted: list[list[str] | None]
    names: list[str | None]
    exact: frozenset[str]
    within: frozenset[str]
    assigned: frozenset[str] | None
    # Within a group whose status is tested, where `set -e` takes no effect (see `_group_ways`).
    errexit_ignored: bool = False
    # Whether the shell's `echo` turns a `\n` into a line (dash's, zsh's), which may start with PASS.
    echo_escapes: bool = True
    # The checks that fail (see `_check_key`), the others passing or not; None: every check on the line.
    failing: frozenset[tuple[str, ...]] | None = None
    # Whether a command that is neither a check nor a test (`[`, `test`) exits 0 only: the ways a line takes when
    # nothing it runs fails (`curl -f URL && analyzer run a`), its tests of the environment still going either way.
    commands_succeed: bool = False
    # The line as written (its expansions as written), where a file grep or a test reads may be named again as one
    # another command writes, and the files its greps and tests read, each parameter in them as `$NAME` (see
    # `_read_alone`).
    line: str = ""
    read_files: tuple[str, ...] = ()


def _read_file_names(commands: list[list[str]], names: list[str | None]) -> Iterator[str]:
    """The files the greps and tests of a line's commands read: as written, or each parameter in one as `$NAME`
    alone."""
    for command in commands:
        for file in [*_grep_files(command), *_test_files(command)]:
            found = _EXPANSION_RE.findall(file)
            yield from (f"${names[int(index)]}" for index in found) if found else [file]


def _shell_discards(words: list[str], echo_escapes: bool = True) -> str | None:
    """The check a shell given these words (after its program) runs, `sh -c "analyzer run X || true"`, when the shell
    may exit 0 though every check on its line fails or is skipped (`|| true`, `; exit 0`, `; echo done`, `&`, a pipe
    to `tee`, `exit 0` first, `! analyzer run X`): its exit is no verdict. None when each way to exit 0 passes a
    check, or the line is not read (see `_shell_unread`). `echo_escapes`: the shell's `echo` reads backslashes (dash's,
    zsh's; not bash's)."""
    found = _shell_reading(words, echo_escapes)
    return found if isinstance(found, str) else None


def _shell_unread(words: list[str]) -> str | None:
    """What keeps the `-c` line of a shell given these words (after its program), one that may run `analyzer run`,
    from being read for what it does with the check's exit (an `if`, a redirection: see `_unread_construct`);
    None for a line read (see `_shell_discards`), without a check, or no line at all (a script: another program)."""
    found = _shell_reading(words)
    return found.construct if isinstance(found, _Unread) else None


@dataclass(frozen=True)
class _Unread:
    """A shell line that may run a check and is not read (see `_shell_unread`): what keeps it from being read."""

    construct: str


def _shell_skipped(words: list[str]) -> str | None:
    """The check a shell's line (given these words after its program) may skip because a command before it failed,
    and exit 0 on another check's pass (`curl -f URL && analyzer run a; analyzer run b`: a's failure ends nothing,
    and an outage curl meets skips it): the Job then passes without that check. None when no failing command can
    skip one so, a check whose verdict the line loses being `_shell_discards`'s."""
    found = _shell_reading(words, skips=True)
    return found if isinstance(found, str) else None


def _shell_reading(words: list[str], echo_escapes: bool = True, skips: bool = False) -> str | _Unread | None:
    """The check whose verdict a shell's line may lose (see `_shell_discards`), or with `skips`, the one it may skip
    on a command's failure (see `_shell_skipped`), or why a line that may run one is not read (see
    `_shell_unread`); None otherwise."""
    read = _shell_line(words)
    # Read coarsely where its options are not: the first word that is no option, after one holding `c`.
    given_c = any(re.fullmatch(r"-[A-Za-z]*c[A-Za-z]*", word) for word in words)
    line = next((word for word in words if word[:1] not in ("-", "+")), None) if given_c else None
    line = read[0] if read is not None else line
    may_check = line is not None and _runs_the_analyzer(["sh", "-c", line])
    if read is None:
        return _Unread("the shell's options") if may_check else None
    text = _uncommented(read[0])
    unread = _Unread(_unread_construct(read[0] if text is None else text)) if may_check else None
    expanded = None if text is None else _shell_expansions(text)
    if text is None or expanded is None:
        return unread and _Unread(_unread_construct(read[0] if text is None else text, expansions=False))
    (text, substituted, names), errexit, pipefail = expanded, read[1], read[2]
    # Quoted, these are characters (`grep -q '^PASS'`).
    if _LINE_OPAQUE_RE.search(_unquoted(text)):
        return unread
    tokens = _shell_tokens(text, globs=True)
    # A test's brackets are no glob (`[ -n "$OUT" ]`).
    tokens = tokens and [
        token.translate(_GLOBBED) if token.translate(_GLOBBED) in _TEST_BRACKETS else token for token in tokens
    ]
    lists = None if tokens is None else _shell_parse(tokens)
    if lists is None:
        return unread
    commands = list(_simple_commands(lists))
    if not all(commands):
        # A syntax error (`;;`, `&& ;`): the shell exits 2, a failure, once it ran the commands of the lines before it
        # (`[ -f /skip ] || exit 0\n; analyzer run X` exits 0): read as those, the longest run of whole lines that
        # parses, then `exit 2`. Its checks are all the line's, run or not.
        assert tokens is not None
        cuts = [at for at, token in enumerate(tokens) if token == "\0\n"]
        parsed = (_shell_parse(tokens[:at]) for at in reversed(cuts))
        ran = next((lists for lists in parsed if lists is not None and all(_simple_commands(lists))), [])
        lists = [*ran, ([[["exit", "2"]]], False)]
        commands = [command for command in commands if command]
    exact, within = _check_outputs(commands, substituted, names)
    if sum(command[0] == "trap" for command in commands) > 1:
        # One may undo another (`trap - EXIT`): not read.
        return unread and _Unread("more than one `trap`")
    # Those on the line, whether they run or not (`exit 0; analyzer run X`), substituted ones too (`echo $(...)`).
    checks = [command for command in [*commands, *filter(None, substituted)] if _is_check(command)]
    # Every way through the line, as (exit status is 0, exited, errexit, pipefail, a check ran), the checks all
    # failing.
    facts = _LineFacts(
        substituted,
        names,
        exact,
        within,
        _assigned_names(commands),
        echo_escapes=echo_escapes,
        line=read[0],
        read_files=tuple(_read_file_names(commands, names)),
    )
    ways = _shell_ways(lists, {(True, False, errexit, pipefail, False)}, facts)
    if ways is None:
        return unread
    if not checks:
        return None
    if any(ok for ok, *_ in ways):
        # A line that may exit 0 running no check (`exit 0; analyzer run X`): `_shell_discards`'s, not a skip.
        return None if skips else shlex.join(["analyzer", *_program_words(_execed(_assigned(checks[0])))[1:]])
    # One check failing while another passes (`analyzer run a; analyzer run b`: b's pass hides a's failure); the
    # same check run again fails with it (`analyzer run X || analyzer run X`, a retry). Its failure is lost on a way
    # that runs it and exits 0 (`if [ -n "$M" ]; then analyzer run a; fi; analyzer run b`), whatever other ways do;
    # a way that skips it and exits 0 on another check's pass is the line's choice of check (a `case` arm, an `if`
    # on the Job's environment), and one that runs no check at all was found above.
    for check in checks:
        failing = replace(facts, failing=frozenset({_check_key(check, facts)}))
        alone = _shell_ways(lists, {(True, False, errexit, pipefail, False)}, failing)
        if alone is None:
            return unread
        if any(ok and ran for ok, _, _, _, ran in alone):
            return None if skips else shlex.join(["analyzer", *_program_words(_execed(_assigned(check)))[1:]])
    for check in checks if skips else []:
        # Skipped on a way out with status 0, and on none where every command but the checks and tests exits 0.
        failing = replace(facts, failing=frozenset({_check_key(check, facts)}))
        start = {(True, False, errexit, pipefail, False)}
        skipped = _shell_ways(lists, start, failing) or set()
        calm = _shell_ways(lists, start, replace(failing, commands_succeed=True))
        if (
            any(ok and not ran for ok, *_, ran in skipped)
            and calm is not None
            and not any(ok and not ran for ok, *_, ran in calm)
        ):
            return shlex.join(["analyzer", *_program_words(_execed(_assigned(check)))[1:]])
    return None


def _check_key(command: list[str], facts: _LineFacts) -> tuple[str, ...]:
    """What tells one check on a line from another: its words from `analyzer` on, each expansion named by its
    parameter's name (a substitution's by none), so that one run again is the same check (`analyzer run X --arg
    "u=$URL" || analyzer run X --arg "u=$URL"`)."""
    words = _program_words(_execed(_assigned(command)))
    return tuple(_EXPANSION_RE.sub(lambda found: f"${{{facts.names[int(found[1])] or ''}}}", word) for word in words)


# What keeps a line from being read (see `_unread_construct`), by the word that starts a command.
_UNREAD_KEYWORDS = {
    **dict.fromkeys(("while", "until", "for", "select", "do", "done"), "a loop (`while`, `until`, `for`)"),
    "function": "a function",
    "eval": "`eval`",
    "source": "a sourced file (`source`)",
    ".": "a sourced file (`.`)",
    "exec": "`exec`",
    "time": "`time`",
    "coproc": "`coproc`",
    **dict.fromkeys(("return", "break", "continue"), "`return`, `break` or `continue` outside a function or loop"),
    "wait": "`wait` given a job (`wait $!`)",
}


def _unread_construct(line: str, expansions: bool = True) -> str:
    """What in a shell line keeps it from being read for what it does with a check's exit, named for a user: the first
    of arithmetic, a keyword (`if`, a loop, `eval`: see `_UNREAD_KEYWORDS`), the check run through another program
    (`timeout 60 analyzer run X`), a function, a redirection, its status read from `$?`, a comment, an escape, brace
    expansion or a glob, an expansion it does not read (unless its `expansions` are read); else a test or a use of the
    check's output it does not read."""
    unquoted = _unquoted(line)
    if "$((" in unquoted:
        return "arithmetic (`$((...))`)"
    if re.search(r"\w\s*\(\s*\)", unquoted):
        return "a function"
    tokens = _shell_tokens(line) or []
    starting = True
    for token in tokens:
        if token.startswith("\0") or token in (_OPEN, _CLOSE, "if", "then", "do", "else", "elif", "!"):
            found = _UNREAD_KEYWORDS.get(token)
            if found is not None and token != "exec":
                return found
            starting = True
            continue
        if starting and token in _UNREAD_KEYWORDS:
            return _UNREAD_KEYWORDS[token]
        starting = False
    command: list[str] = []
    for token in [*tokens, "\0"]:
        if not token.startswith("\0") and token not in (_OPEN, _CLOSE):
            command.append(token)
            continue
        program = _assigned(command)
        while program[:1] and program[0] in ("if", "then", "elif", "else", "do", "!"):
            # Keywords before a command (`if analyzer run X`): no program of their own.
            program = program[1:]
        # A shell's line within another's is one word (`sh -c "analyzer run X || true"`).
        nested = program[:1] and program[0].rpartition("/")[2] in _SHELLS and _runs_the_analyzer(program)
        if len(program) > 1 and program[0] != "analyzer" and ("analyzer" in program[1:] or nested):
            return f"the check run through another program (`{program[0].removeprefix(_QUOTED)}`)"
        command = []
    for pattern, construct in _UNREAD_CHARACTERS[: None if not expansions else -2]:
        if re.search(pattern, unquoted):
            return construct
    return (
        "a test of the check's output or status, a use of it, a `trap` or a group it does not read"
        if expansions
        else "an expansion it does not read"
    )


# What keeps a line from being read (see `_unread_construct`), by what its unquoted text holds, in this order.
_UNREAD_CHARACTERS = (
    (r"<<", "a here-document (`<<`)"),
    (r"[<>]", "a redirection it does not read (a group's, `{ ...; } > FILE`, bash's `&>`)"),
    (r"\$\?", "its status read from `$?`"),
    (r"(?:^|\s)#", "a comment (`#`)"),
    (r"\\", "an escape (`\\`)"),
    (r"\{[^}]*,", "brace expansion (`{a,b}`)"),
    (r"(?:^|[\s;&|(])case\s", "a `case` it does not read (a pattern made of an expansion, bash's `;&`)"),
    (r"\[\[", "a `[[` test it does not read (a pattern: `[[ $OUT != PASS* ]]`)"),
    (r"[*?]|\[[^\s\[]", "a glob (`*`, `?`, `[...]`) naming a program, or given to one that may run a check"),
    (r"\$\{[^}]*[^A-Za-z0-9_}]", "a parameter's expansion with an operator (`${VAR:-...}`)"),
    (r"\$\(|`", "a command substitution within another, or of more than one command"),
)


# A double-quoted string, its escapes read (`"a \\" # b"` is one string).
_DOUBLE_QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _uncommented(text: str) -> str | None:
    """A shell line without its comments: from a `#` that starts a word outside quotes up to the end of its line
    (`analyzer run X || true # done`), as dash and bash read them; a `#` within a word is a character (`a#b`, `$#`,
    `${#VAR}`). A substitution is kept whole, a `#` within it left to its reader (`_shell_expansions` reads none);
    None when a quote or a substitution is not closed: not read."""
    if "#" not in text:
        return text
    out: list[str] = []
    at = 0
    starts = True
    while at < len(text):
        char = text[at]
        if char == "#" and starts:
            end = text.find("\n", at)
            at = len(text) if end < 0 else end
            continue
        end = at + 1
        if char == "\\":
            end = at + 2
        elif char == "'":
            end = text.find("'", at + 1) + 1
        elif char == '"':
            found = _DOUBLE_QUOTED_RE.match(text, at)
            end = found.end() if found else 0
        elif char == "`" or text.startswith("$(", at):
            closed = _substitution_end(text, at + (1 if char == "`" else 2), "`" if char == "`" else ")")
            end = 0 if closed is None else closed + 1
        if end <= at:
            return None
        out.append(text[at:end])
        starts = char in " \t\n;&|()<>"
        at = end
    return "".join(out)


def _unquoted(text: str) -> str:
    """A line with what its quotes hold left out, but for what a shell still reads within double quotes (`$`, a
    backquote, an escape; single quotes hold none: `printf '%s\\n'`); an unclosed quote is left as it is
    (`_shell_tokens` refuses it)."""
    return re.sub(
        r"'[^']*'|\"[^\"]*\"",
        lambda quoted: "" if quoted[0][0] == "'" else re.sub(r"[^$`\\]", "", quoted[0][1:-1]),
        text,
    )


# Builtins that set variables without `NAME=` (bash's `printf -v NAME` too).
_SETTING_BUILTINS = frozenset({"read", "mapfile", "readarray", "getopts", "printf"})


def _assigned_names(commands: list[list[str]]) -> frozenset[str] | None:
    """The variables a line's commands may set (`OUT=...`, `export OUT=...`); None when a builtin may set others."""
    if any(command[0] in _SETTING_BUILTINS and (command[0] != "printf" or "-v" in command) for command in commands):
        return None
    assignment = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=.*", re.DOTALL)
    return frozenset(found[1] for command in commands for word in command if (found := assignment.fullmatch(word)))


def _shell_ways(lists: _Lists, ways: set[_Way], facts: _LineFacts) -> set[_Way] | None:
    """The ways out of a line's lists (or a group's) from `ways` (see `_shell_discards`); None when one is not read."""
    for items, background in lists:
        after: set[_Way] = set()
        for way in ways:
            if way[1]:
                after.add(way)
                continue
            ran = _shell_and_or(items, way, background, facts)
            if ran is None:
                return None
            after |= ran
        ways = after
    return ways


def _simple_commands(lists: _Lists) -> Iterator[list[str]]:
    """The simple commands of a line's lists in their order, those of its groups too (`!` left out)."""
    for items, _ in lists:
        for pipeline in items[::2]:
            for command in pipeline:
                if isinstance(command, _Group) and command.word is not None:
                    # Its word is read as a command's (`case "$OUT" in`), before its arms.
                    yield ["case", command.word]
                    for _, arm in command.arms:
                        yield from _simple_commands(arm)
                elif isinstance(command, _Group) and command.branches:
                    for condition, body in command.branches:
                        yield from _simple_commands(condition)
                        yield from _simple_commands(body)
                    yield from _simple_commands(command.otherwise or [])
                elif isinstance(command, _Group):
                    yield from _simple_commands(command.lists)
                elif command != [_NEGATED]:
                    # Its redirections left out; one of them alone is a command (`> FILE`).
                    yield [word for word in command if word != _REDIRECTED] or command


def _shell_line(words: list[str]) -> tuple[str, bool, bool] | None:
    """The text of a shell's `-c` given these words (after its program), and whether its options set errexit and
    pipefail (`-e`, `-o pipefail`); None without `-c`, or with an option not read here."""
    errexit = pipefail = command = False
    rest = list(words)
    while rest and rest[0][:1] in ("-", "+") and rest[0] not in ("-", "--", "+"):
        option = rest.pop(0)
        if option in _SHELL_STARTUP_READ:
            continue
        # A login or interactive shell (-l, -i) runs its startup files, then the line, read as any other's.
        short = option[0] + option[1:].replace("l", "").replace("i", "")
        read = None if option.startswith("--") else _shell_option(short, rest, errexit, pipefail)
        if read is None:
            return None
        errexit, pipefail, given_c = read
        command = command or given_c
    rest = rest[1:] if rest[:1] == ["--"] else rest
    return (rest[0], errexit, pipefail) if command and rest else None


def _shell_tokens(text: str, globs: bool = False) -> list[str] | None:
    """A shell line's words and operators (`;`, a newline, `&`, `&&`, `||`, `|`, `(`, `)`, `;;`), quotes read as the
    shell reads them (no expansion is left in the line); None for an unclosed quote. An operator is marked by a
    leading NUL, a brace outside quotes by its mark (see `_BRACES`), a reserved word quoted (`'!'`, `"case"`: a
    command's name, no keyword) by a leading `_QUOTED`; with `globs`, a glob character outside quotes by its mark (see
    `_GLOBS`)."""
    tokens: list[str] = []
    word: str | None = None
    quoted = False

    def ended(word: str) -> str:
        return _QUOTED + word if quoted and word in _RESERVED else word

    at = 0
    while at < len(text):
        char = text[at]
        if char in "'\"":
            end = text.find(char, at + 1)
            if end < 0:
                return None
            word, at, quoted = (word or "") + text[at + 1 : end], end + 1, True
            continue
        if char in "<>" or text.startswith("&>", at):
            # A redirection: its fd's number (`2>&1`) and its file are no words of the command, which keeps its
            # status (or fails, when the file cannot be opened). A here-document (`<<`) is not read, nor bash's `&>`
            # (dash: `&`, then `>`), nor a file that is no word (`<(...)`).
            fd = word is not None and word.isdigit() and not quoted
            if word is not None and not fd:
                tokens.append(ended(word))
            word, quoted = None, False
            found = _REDIRECTION_RE.match(text, at)
            if found is None:
                return None
            tokens.append(_REDIRECTED)
            at = found.end()
            continue
        if char in " \t" or char in ";&|\n()":
            if word is not None:
                tokens.append(ended(word))
                word, quoted = None, False
            if char in " \t":
                at += 1
                continue
            operator = text[at : at + 2] if text[at : at + 2] in ("&&", "||", ";;") else char
            tokens.append("\0" + operator)
            at += len(operator)
            continue
        # Quoted, a brace or a glob character is a character (`trap '{ exit 0; }' EXIT` sets an action, not a group).
        char = _BRACES.get(char, _GLOBS.get(char, char) if globs else char)
        word, at = (word or "") + char, at + 1
    if word is not None:
        tokens.append(ended(word))
    return tokens


# A redirection (see `_shell_tokens`): its operator, then its file, a word (quoted in part or not).
_REDIRECTION_RE = re.compile(r"""(?:>>|>&|<&|>\||<>|<(?![<(])|>(?!\())[ \t]*(?:'[^']*'|"[^"]*"|[^\s;&|()<>'"])+""")
# What a command redirected holds, last of its words (see `_parse_lists`).
_REDIRECTED = "\0>"
# `!` before a pipeline (see `_shell_parse`): its first command, whose status it inverts.
_NEGATED = "\0!"


# The items that join a list's pipelines (see `_shell_parse`).
_AND_OR = ([[["\0&&"]]], [[["\0||"]]])


def _shell_parse(tokens: list[str]) -> _Lists | None:
    """A line's and-or lists in order, each as its items (a pipeline's commands, then `\0&&` or `\0||`, ...) and
    whether it runs in the background (`&`), its groups read (`{ analyzer run X; } || true`, `( ... )`:
    a `_Group` in its pipeline), `!` before a pipeline (an odd count of them: each inverts again) as its first
    command, `[_NEGATED]`, and a `[[ ... ]]` test as one command; None for what is not read here (a group not closed,
    or followed by words, a word of braces, `[[` holding an operator, a function's definition)."""
    parsed = _parse_lists(tokens, 0, frozenset())
    return None if parsed is None else parsed[0]


def _parse_lists(tokens: list[str], at: int, closers: frozenset[str]) -> tuple[_Lists, int] | None:
    """The lists from `tokens[at]` up to one of `closers` (`\0)`, `\0;;`, or `}`, `esac` at a command's start) or the
    line's end, and where the rest starts, after the closer (see `_shell_parse`; a group's braces are marked, see
    `_BRACES`)."""
    lists: _Lists = []
    items: list[list[list[str] | _Group]] = []
    pipeline: list[list[str] | _Group] = [[]]
    while True:
        token = tokens[at] if at < len(tokens) else None
        start = pipeline[-1] == []
        if token is None or (token in closers and (token.startswith("\0") or start)):
            if token is None and closers:
                # A group not closed: a syntax error.
                return None
            # The last list ends with the group, or the line, as at a newline.
            if pipeline != [[]] or items:
                items.append(pipeline)
                lists.append((items, False))
            return lists, at + 1
        at += 1
        last = pipeline[-1]
        if token == "\0\n" and last == [] and (pipeline[:-1] not in ([], [[_NEGATED]]) or items[-1:] in _AND_OR):
            # A line break after `&&`, `||` or `|` continues the list (`analyzer run X ||\n  true` exits 0).
            continue
        if token in ("\0;", "\0&", "\0\n"):
            # A blank line is no command; `;` or `&` must end one.
            if pipeline != [[]] or items or token != "\0\n":
                items.append(pipeline)
                lists.append((items, token == "\0&"))
            items, pipeline = [], [[]]
        elif token in ("\0&&", "\0||"):
            items += [pipeline, [[token]]]
            pipeline = [[]]
        elif token == "\0|":
            pipeline.append([])
        elif token == _REDIRECTED:
            if isinstance(last, _Group):
                # A group's (`{ ...; } > FILE`): not read.
                return None
            # Kept last of the command's words, once (see `_REDIRECTED`).
            last += [] if _REDIRECTED in last else [_REDIRECTED]
        elif isinstance(last, _Group) or token in ("\0)", "\0;;") or (token == "\0(" and not start):
            # Words after a group (a redirection's, or a syntax error), a `)` or `;;` closing none, `f()` (a function).
            return None
        elif token in ("case", "if") and start:
            parsed = _parse_case(tokens, at) if token == "case" else _parse_if(tokens, at)
            if parsed is None:
                return None
            pipeline[-1], at = parsed
        elif token in ("\0(", _OPEN) and start:
            nested = _parse_lists(tokens, at, frozenset({"\0)" if token == "\0(" else _CLOSE}))
            if nested is None or not nested[0]:
                return None
            pipeline[-1], at = _Group(token == "\0(", nested[0]), nested[1]
        elif token == "!" and pipeline in ([[]], [[_NEGATED], []]):
            # Each `!` inverts again (bash: `! ! analyzer run X` exits with the check's status, and errexit stops on
            # its failure as without any); dash refuses a second one, a syntax error (exit 2: no pass).
            pipeline = [[]] if pipeline[:1] == [[_NEGATED]] else [[_NEGATED], []]
        elif token == "[[" and start:
            # Its words up to `]]` are the test's: `&&`, `||`, `(` within are its own, not read here.
            end = next((n for n in range(at, len(tokens)) if tokens[n] == "]]" or tokens[n].startswith("\0")), None)
            if end is None or tokens[end] != "]]":
                return None
            # A brace there is a character (`[[ $OUT == {* ]]`: no brace expansion within).
            last += [token.translate(_UNBRACED) for token in tokens[at - 1 : end + 1]]
            at = end + 1
        elif set(token) & {_OPEN, _CLOSE}:
            # Brace expansion (`{a,b}`), or a group's brace where no command starts: not read. Quoted, a brace is a
            # character (`echo '{'`), and no token holds its mark.
            return None
        else:
            # A reserved word quoted is a command's name where a command starts (`'!' analyzer run X` runs `!`, not
            # found), and a word as any other after it (`echo '!'`).
            word = token if start else token.removeprefix(_QUOTED)
            last.insert(len(last) - (_REDIRECTED in last), word)


def _parse_if(tokens: list[str], at: int) -> tuple[_Group, int] | None:
    """An `if` whose condition starts at `tokens[at]` (after `if`), as a `_Group`, and where the rest starts, after its
    `fi`; None for what is not read (an empty condition or body: a syntax error)."""
    branches: list[tuple[_Lists, _Lists]] = []
    while True:
        condition = _parse_lists(tokens, at, frozenset({"then"}))
        if condition is None or not condition[0]:
            return None
        body = _parse_lists(tokens, condition[1], frozenset({"elif", "else", "fi"}))
        if body is None or not body[0]:
            return None
        branches.append((condition[0], body[0]))
        at = body[1]
        closer = tokens[at - 1]
        if closer == "fi":
            return _Group(False, [], branches=tuple(branches)), at
        if closer == "else":
            otherwise = _parse_lists(tokens, at, frozenset({"fi"}))
            if otherwise is None or not otherwise[0]:
                return None
            return _Group(False, [], branches=tuple(branches), otherwise=otherwise[0]), otherwise[1]


def _parse_case(tokens: list[str], at: int) -> tuple[_Group, int] | None:
    """A `case` whose word is `tokens[at]` (after `case`), as a `_Group`, and where the rest starts, after its `esac`;
    None for what is not read (a pattern that is no word, bash's `;&` and `;;&`)."""
    if tokens[at + 1 : at + 2] != ["in"] or tokens[at].startswith("\0"):
        return None
    word, at = tokens[at].translate(_UNBRACED), at + 2
    arms: list[tuple[tuple[str, ...], _Lists]] = []
    while True:
        while tokens[at : at + 1] == ["\0\n"]:
            at += 1
        if tokens[at : at + 1] == ["esac"]:
            return _Group(False, [], word, tuple(arms)), at + 1
        at += tokens[at : at + 1] == ["\0("]
        patterns = tokens[at : at + 1]
        at += 1
        while tokens[at : at + 1] == ["\0|"]:
            patterns, at = patterns + tokens[at + 1 : at + 2], at + 2
        if tokens[at : at + 1] != ["\0)"] or not patterns or any(pattern.startswith("\0") for pattern in patterns):
            return None
        # A brace in a pattern is a character (`{*)` matches JSON): no brace expansion there.
        patterns = [pattern.translate(_UNBRACED) for pattern in patterns]
        body = _parse_lists(tokens, at + 1, frozenset({"\0;;", "esac"}))
        if body is None:
            return None
        arms.append((tuple(patterns), body[0]))
        at = body[1]
        if tokens[at - 1] == "esac":
            return _Group(False, [], word, tuple(arms)), at


def _shell_and_or(
    items: list[list[list[str] | _Group]], way: _Way, background: bool, facts: _LineFacts
) -> set[_Way] | None:
    """The ways out of an and-or list (see `_shell_discards`) from `way`; None when it is not read."""
    ways = {way}
    for index in range(0, len(items), 2):
        pipeline = items[index]
        operator = items[index - 1] if index else None
        last = index == len(items) - 1
        negated = pipeline[:1] == [[_NEGATED]]
        pipeline = pipeline[1:] if negated else pipeline
        compound = len(pipeline) == 1 and isinstance(pipeline[0], _Group) and not pipeline[0].subshell
        # errexit is off within a pipeline whose status is tested: left of `&&` or `||`, or after `!` (POSIX).
        tested = not last or negated
        after: set[_Way] = set()
        for ok, exited, errexit, pipefail, checked in ways:
            if exited or (operator == [["\0&&"]] and not ok) or (operator == [["\0||"]] and ok):
                after.add((ok, exited, errexit, pipefail, checked))
                continue
            ran = _shell_pipeline(pipeline, (ok, errexit, pipefail), background, tested, facts)
            if ran is None:
                return None
            for ok_now, exited_now, errexit_now, pipefail_now, checked_now in ran:
                # `!` inverts the status of a pipeline that ends without exiting the shell (`! exit 1` exits 1).
                ok_now = ok_now != (negated and not exited_now)
                # errexit ends the shell on a failure, except of a command whose status is tested (POSIX), or of a
                # `{ }` group or `case` whose failure did not end it within: one where errexit was ignored (`{
                # analyzer run X && echo ok; }`), which bash and dash go on after.
                stop = exited_now or (errexit_now and not ok_now and not tested and not background and not compound)
                # A failing check that ran stays run on the way on.
                after.add((ok_now, stop, errexit_now, pipefail_now, checked or checked_now))
        ways = after
    if background:
        # Started, not waited for: the list's status is 0 whatever its commands do (a check started there lost).
        return {(True, False, way[2], way[3], checked) for *_, checked in ways}
    return ways


def _shell_pipeline(
    commands: list[list[str] | _Group],
    state: tuple[bool, bool, bool],
    background: bool,
    tested: bool,
    facts: _LineFacts,
) -> set[_Way] | None:
    """The ways out of a pipeline (see `_shell_discards`) from (last status is 0, errexit, pipefail), each saying
    whether a failing check ran within it; `tested`: its status is (see `_shell_and_or`)."""
    ok, errexit, pipefail = state
    if not commands:
        # `!` alone: not read.
        return None
    if len(commands) > 1 or background:
        # In a subshell each: `exit`, `set` and `trap` there end or set that subshell only.
        if any(not isinstance(command, _Group) and command[0] in ("exit", "set", "trap") for command in commands):
            return None
        # A pipeline's commands read what the others write: where one may run a check (`analyzer run a | grep -q
        # PASS`), each may fail on the check's verdict, not an outage only.
        if any(
            isinstance(command, _Group)
            or _is_check(_execed(_assigned(command)))
            or any(_EXPANSION_RE.search(word) for word in command)
            for command in commands
        ):
            facts = replace(facts, commands_succeed=False)
        ends: list[set[tuple[bool, bool]] | None] = [
            _group_statuses(command, state, facts) if isinstance(command, _Group) else _command_ends(command, facts)
            for command in commands
        ]
        if _filters_for_a_pass(commands, facts):
            # Exit 0 only for a pass: what a failed check printed never matches.
            ends[-1] = {(False, False)}
        known = [end for end in ends if end is not None]
        if len(known) < len(ends):
            return None
        # Every command runs, whatever the others exit with: a failing check ran when it ran in any of them.
        ways: set[_Way] = set()
        for each in itertools.product(*known):
            checked = any(ran for _, ran in each)
            # pipefail: 0 only when every command exits 0.
            status = all(ok for ok, _ in each) if pipefail else each[-1][0]
            ways.add((status, False, errexit, pipefail, checked))
        return ways
    (command,) = commands
    if isinstance(command, _Group):
        return _group_ways(command, state, tested, facts)
    # A builtin's redirection that fails makes it fail (a special builtin's, `exit 0 > FILE`, ends the shell with a
    # failure): read as without it, its own status being 0 at most as often.
    redirected = _REDIRECTED in command
    command = [word for word in command if word != _REDIRECTED] or command
    if command[0] == "trap":
        zeroes = _shell_trap(command[1:])
        # Whatever runs after it, the shell exits 0: as if it exited here (or may, on a signal that stops the pod).
        return None if zeroes is None else {(True, exited, errexit, pipefail, False) for exited in zeroes}
    if command[0] == "set" and _shell_noexec(command[1:]):
        # Nothing after it runs: the shell exits with `set`'s status, 0.
        return {(True, True, errexit, pipefail, False)}
    if command[0] == "set":
        flags = _shell_set(command[1:], errexit, pipefail)
        # Where errexit is ignored (see `_group_ways`), `set -e` leaves it off.
        return None if flags is None else {(True, False, flags[0] and not facts.errexit_ignored, flags[1], False)}
    if command == ["exec"] and redirected:
        # Redirections alone, kept for what follows (`exec > /tmp/log 2>&1`): a command's status stays its own.
        return {(True, False, errexit, pipefail, False), (False, False, errexit, pipefail, False)}
    if _execed(command) != command:
        # The shell is replaced: nothing after it runs, not even a trap on EXIT, and it exits as that command does.
        found = _command_ends(command + [_REDIRECTED] * redirected, facts)
        return None if found is None else {(status, True, errexit, pipefail, ran) for status, ran in found}
    if command[0] == "exit":
        code = command[1:]
        if code and not (len(code) == 1 and code[0].isdigit()):
            return None
        return {(ok if not code else int(code[0]) % 256 == 0, True, errexit, pipefail, False)}
    found = _command_ends(command + [_REDIRECTED] * redirected, facts)
    return None if found is None else {(status, False, errexit, pipefail, ran) for status, ran in found}


def _group_ways(group: _Group, state: tuple[bool, bool, bool], tested: bool, facts: _LineFacts) -> set[_Way] | None:
    """The ways out of a group (see `_shell_pipeline`): a subshell's `exit` and `set` end or set it alone; errexit is
    off within a group whose status is tested (`{ analyzer run X; echo done; } && ...`)."""
    ok, errexit, pipefail = state
    commands = list(_simple_commands([([[group]], False)]))
    if any(command[0] == "trap" for command in commands):
        # A trap set within (a subshell's is its own): not read.
        return None
    # `set -e` within a group whose status is tested sets errexit, ignored until the group ends (`(set -e; analyzer
    # run X; echo done) && ...` goes on after the check), and for what follows a `{ }` group: read as off there.
    resets = tested and any(command[0] == "set" for command in commands)
    facts = replace(facts, errexit_ignored=True) if tested else facts
    start = (ok, False, errexit and not tested, pipefail, False)
    if group.branches:
        ways = _if_ways(group, start, facts)
    elif group.word is None:
        ways = _shell_ways(group.lists, {start}, facts)
    else:
        ways = _case_ways(group.word, group.arms, start, facts)
    if ways is None:
        return None
    if group.subshell:
        return {(ok_now, False, errexit, pipefail, checked) for ok_now, *_, checked in ways}
    return {
        (ok_now, exited, (errexit and not resets) if tested else errexit_now, pipefail_now, checked)
        for ok_now, exited, errexit_now, pipefail_now, checked in ways
    }


def _if_ways(group: _Group, start: _Way, facts: _LineFacts) -> set[_Way] | None:
    """The ways out of an `if` (see `_group_ways`) from `start`: each condition run with errexit off (its status is
    tested), then the body of the first that is true; none true, the `else` body, or out with 0 (POSIX)."""
    errexit = start[2]
    if any(command[0] == "set" for condition, _ in group.branches for command in _simple_commands(condition)):
        # errexit set within a condition takes effect after it: not read.
        return None
    ways: set[_Way] = set()
    pending = {start}
    for condition, body in group.branches:
        tested = _shell_ways(
            condition,
            {(ok, False, False, pipefail, checked) for ok, _, _, pipefail, checked in pending},
            replace(facts, errexit_ignored=True),
        )
        if tested is None:
            return None
        pending = set()
        for ok, exited, _, pipefail, checked in tested:
            if exited:
                ways.add((ok, exited, errexit, pipefail, checked))
            elif ok:
                ran = _shell_ways(body, {(ok, False, errexit, pipefail, checked)}, facts)
                if ran is None:
                    return None
                ways |= ran
            else:
                pending.add((ok, False, errexit, pipefail, checked))
    if not pending:
        return ways
    if not group.otherwise:
        return ways | {(True, False, errexit, pipefail, checked) for _, _, _, pipefail, checked in pending}
    ran = _shell_ways(group.otherwise, pending, facts)
    return None if ran is None else ways | ran


def _case_ways(
    word: str, arms: tuple[tuple[tuple[str, ...], _Lists], ...], start: _Way, facts: _LineFacts
) -> set[_Way] | None:
    """The ways out of a `case` of `word` (see `_group_ways`) from `start`: through each arm whose patterns may match
    it, up to one matching whatever it is (`*`), and, unless one does, out with 0 (no arm matched). Of a check's
    output, an arm may match only what a check that did not pass prints (see `_may_match_no_pass`); of another word,
    any arm may."""
    output = word in facts.exact
    if not output and _holds_output(word, facts.exact, facts.within):
        # The output among other text (`case "x$OUT" in`): not read.
        return None
    ways: set[_Way] = set()
    for patterns, lists in arms:
        if any(_EXPANSION_RE.search(pattern) for pattern in patterns):
            # A pattern made of an expansion (`$WANTED`): not read.
            return None
        if not output or any(pattern == _GLOBS["*"] or _may_match_no_pass(pattern) for pattern in patterns):
            # An arm without commands exits 0.
            ran = _shell_ways(lists, {start}, facts) if lists else {(True, False, start[2], start[3], start[4])}
            if ran is None:
                return None
            ways |= ran
        if _GLOBS["*"] in patterns:
            return ways
    return ways | {(True, False, start[2], start[3], start[4])}


# How the output of a check that did not pass starts: its summary's verdict (`FAIL NAME: ...`), or JSON's brace.
_NO_PASS_STARTS = ("FAIL ", "INCONCLUSIVE ", "ERROR ", "{")


def _may_match_no_pass(pattern: str) -> bool:
    """Whether a `case` pattern may match the output of a check that did not pass: its text up to its first wildcard
    may start that output (`FAIL*`, `*`, `ERROR*|INCONCLUSIVE*`), or is the whole pattern and holds a blank (the output
    always does: `PASS` alone never matches it), or is empty (no output)."""
    # A bracket of plain characters is one of them (`[P]*`, `[Pp]ASS*`): each read as the pattern it makes.
    bracket = re.search("\x04([^\x02-\x05!^\\[:-]+)\x05", pattern)
    if bracket is not None:
        before, after = pattern[: bracket.start()], pattern[bracket.end() :]
        return any(_may_match_no_pass(before + char + after) for char in bracket[1])
    # Its glob characters are marked (see `_GLOBS`); quoted, they are characters.
    literal = re.split("[\x02\x03\x04]", pattern, maxsplit=1)[0].translate(_GLOBBED)
    if literal == pattern.translate(_GLOBBED):
        return not pattern or re.search(r"\s", pattern) is not None
    return any(start.startswith(literal) or literal.startswith(start) for start in _NO_PASS_STARTS)


def _group_statuses(group: _Group, state: tuple[bool, bool, bool], facts: _LineFacts) -> set[tuple[bool, bool]] | None:
    """The statuses a group of a pipeline of several commands may exit with, each with whether a failing check ran
    in it: it runs in a subshell of its own."""
    ways = _group_ways(replace(group, subshell=True), state, False, facts)
    return None if ways is None else {(ok, checked) for ok, *_, checked in ways}


def _shell_set(words: list[str], errexit: bool, pipefail: bool) -> tuple[bool, bool] | None:
    """errexit and pipefail after `set` given these words (`-e`, `+e`, `-o pipefail`, `-eo pipefail`)."""
    rest = list(words)
    while rest:
        option = rest.pop(0)
        if option[:1] not in ("-", "+") or option in ("-", "--", "+"):
            return None
        read = _shell_option(option, rest, errexit, pipefail)
        # `-c` is a shell's, not an option of `set`.
        if read is None or read[2]:
            return None
        errexit, pipefail, _ = read
    return errexit, pipefail


def _shell_option(option: str, rest: list[str], errexit: bool, pipefail: bool) -> tuple[bool, bool, bool] | None:
    """errexit, pipefail and whether `-c` is given, after one option word of a shell or of `set` (`-e`, `+e`, `-ec`,
    `-o NAME`, which takes NAME from `rest`); None for a letter not read here, or `-o` without its NAME."""
    command = False
    for letter in option[1:]:
        if letter == "c":
            command = True
        elif letter == "e":
            errexit = option[0] == "-"
        elif letter == "o":
            if not rest:
                return None
            name = rest.pop(0)
            errexit = errexit if name != "errexit" else option[0] == "-"
            pipefail = pipefail if name != "pipefail" else option[0] == "-"
        elif letter not in "uxvfCabhmn":
            return None
    return errexit, pipefail, command


def _shell_trap(words: list[str]) -> set[bool] | None:
    """Whether `trap` given these words (after `trap`) makes the shell exit 0 whatever ran, as the set of the ways on
    (True: exited 0 here): {True} for an EXIT (or 0) action whose first `exit` gives a code of 0 (`trap 'echo bye;
    exit 0' EXIT`); {True, False} for such an action on a signal Kubernetes sends to stop a pod (TERM, or INT, HUP:
    an eviction, a deletion, a node drained), which may come at any time after, during the check; {False} when it
    leaves the status as it is (an action without `exit` or with `exit` alone, another signal's, a reset, a listing);
    None when not read."""
    rest = words[1:] if words[:1] == ["--"] else words
    if len(rest) < 2 or rest[0].isdigit() or (rest[0].startswith("-") and rest[0] != "-"):
        # A listing (`-p`), or conditions reset to their default (`trap 0`, `trap EXIT`).
        return {False}
    action, conditions = rest[0], rest[1:]
    # bash and dash take a condition's name in any case (`exit`), and its number as any integer (`00`).
    on_exit = any(c.upper() == "EXIT" or re.fullmatch("0+", c) for c in conditions)
    on_stop = any(_STOP_SIGNAL_RE.fullmatch(c) for c in conditions)
    if not (on_exit or on_stop) or action in ("", "-"):
        # Another signal's (USR1, QUIT) does not come with a pod's stop: the line that ends by itself is read on.
        return {False}
    # Its glob characters and test brackets read as a line's are (`rm -f /tmp/*; exit 0`), its comments left out.
    read = _uncommented(action)
    tokens = None if read is None or re.search("[<>]", read) or _LINE_OPAQUE_RE.search(read) else _shell_tokens(read)
    if tokens is None or any(token in ("\0&", "\0&&", "\0||", "\0|", "\0;;") for token in tokens):
        return None
    parsed = _shell_parse(tokens)
    commands = None if parsed is None else _trap_commands(parsed)
    if commands is None:
        return None
    if any(_is_check(c) or c[0] in _SHELL_FLOW or c[0] == "trap" for c in commands):
        return None
    code = next((command[1:] for command in commands if command[0] == "exit"), [])
    if not code:
        # `exit` alone in the action exits with the status the shell had: left as it is.
        return {False}
    if not (len(code) == 1 and code[0].isdigit() and int(code[0]) % 256 == 0):
        # Another code fails every run (no pass, nor a verdict): not what is judged here.
        return None
    return {True} if on_exit else {True, False}


def _trap_commands(lists: _Lists) -> list[list[str]] | None:
    """The simple commands a trap's action runs, in order, a `!` before one set aside (`! exit 0` exits 0 all the
    same), those of a `{ }` group too (`trap '{ exit 0; }' EXIT`: run by the shell itself, its `exit` exits it);
    None for what is not read here (a subshell, whose `exit` ends it alone, a `case`, an empty command)."""
    commands: list[list[str]] = []
    for items, _ in lists:
        # The action's tokens hold no `&&`, `||` or `|`: each list is one pipeline, a `!` its only other command.
        for command in items[0]:
            if isinstance(command, _Group):
                grouped = (
                    None
                    if command.subshell or command.word is not None or command.branches
                    else _trap_commands(command.lists)
                )
                if grouped is None:
                    return None
                commands += grouped
            elif not command:
                return None
            elif command != [_NEGATED]:
                commands.append(command)
    return commands


# The signals that stop a pod's containers (Kubernetes sends TERM; an image's STOPSIGNAL may be INT or HUP), by name in
# any case, with or without SIG, or by number, as bash and dash take them.
_STOP_SIGNAL_RE = re.compile(r"(?i:(?:sig)?(?:term|int|hup))|0*(?:15|2|1)")


def _shell_noexec(words: list[str]) -> bool:
    """Whether a shell's (or `set`'s) options among these words, before the first that is none, set noexec (`-n`,
    `-o noexec`): a non-interactive shell then reads its commands and runs none of them, exiting 0."""
    noexec = False
    rest = list(words)
    while rest and rest[0][:1] in ("-", "+") and rest[0] not in ("-", "--", "+"):
        option = rest.pop(0)
        for letter in "" if option.startswith("--") else option[1:]:
            if letter == "n":
                noexec = option[0] == "-"
            elif letter == "o" and rest:
                noexec = option[0] == "-" if rest.pop(0) == "noexec" else noexec
    return noexec


def _assigned(command: list[str]) -> list[str]:
    """A simple command's words after the variables it sets for itself (`ANALYZER_LOG_FORMAT=json analyzer run X`)."""
    words = list(command)
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    return words


def _execed(words: list[str]) -> list[str]:
    """A simple command's words after `exec`, which runs them in the shell's stead (`exec analyzer run X`); as they
    are without it, or with an option of bash's `exec` (`-a NAME`: not read)."""
    return words[1:] if words[:1] == ["exec"] and words[1:2] and not words[1].startswith("-") else words


def _is_check(command: list[str]) -> bool:
    """Whether a shell line's simple command runs `analyzer run` (`python3 -m analyzer run X`, `exec analyzer run X`
    too)."""
    program = _program_words(_execed(_assigned(command)))
    return bool(program) and program[0].rpartition("/")[2] == "analyzer" and program[1:2] == ["run"]


def _shell_command(command: list[str], facts: _LineFacts) -> set[bool] | None:
    """The statuses a simple command may exit with (True: 0), a check failing, its expansions marked (see
    `_shell_expansions`, `_LineFacts`); None when it is not read (a check wrapped in another program, `timeout 30
    analyzer run X`, a flow keyword, a program or a test made of an expansion, `[ "$(analyzer run X)" -eq ... ]`)."""
    if _REDIRECTED in command:
        # A redirection keeps the command's status, or fails it when its file cannot be opened.
        unredirected = [word for word in command if word != _REDIRECTED]
        found = _shell_command(unredirected, facts) if unredirected else {True}
        return None if found is None else found | {False}
    # What `exec` runs exits with its own status (the shell's, which it replaces).
    words = _execed(_assigned(command))
    tested = _output_test(words, facts)
    if tested is not None:
        return tested
    if not words:
        # Variables set, and nothing run: the status of the last command substituted (`out=$(analyzer run X)` fails
        # as the check does), else 0 (POSIX).
        ran = [facts.substituted[int(n)] for word in command for n in _EXPANSION_RE.findall(word)]
        last = [*filter(None, ran)][-1:]
        if not last:
            return {True}
        # A command's own status, a check's, or another's (`x=$(curl -f URL) && ...` fails as curl does).
        return _check_status(last[0], facts) if _is_check(last[0]) else _own_status(last[0], facts)
    if _EXPANSION_RE.search(words[0]) or words[0] in _SHELL_FLOW:
        return None
    if any(set(word) & _GLOB_MARKS for word in words) and (
        set(words[0]) & _GLOB_MARKS or not (words[0] in _NOT_RUNNING or _is_check(words))
    ):
        # A file name's glob (`rm -f /tmp/*`) leaves the status of a command that only reads, writes or shows files
        # its own; as its program (`/opt/*/analyzer`), or given another, it may run a check: not read.
        return None
    if _is_check(words):
        return _check_status(words, facts)
    # A substitution in their words leaves their status theirs (`echo $(analyzer run X)` exits 0: echo's).
    if words[0] in _SHELL_NO_OPS or words[0] in _SHELL_DECLARATIONS:
        return {True}
    if words[0] == "false":
        return {False}
    if words[0] == "local":
        # Outside a function, which a line of these holds none of: bash says so and goes on (status 1), dash exits 2,
        # zsh takes it as `typeset` (status 0, whatever its substitution exits with).
        return {True, False}
    if words[0] == "wait":
        # Alone, it waits for every command started with `&` and exits 0, whatever they exit with; given one (`wait
        # $!`), it exits with that one's status: not read.
        return {True} if len(words) == 1 else None
    if any(_EXPANSION_RE.search(word) for word in command) and not _of_the_environment(command, facts):
        # What another command does with an expansion (a test of the check's output, or of its status) is not read.
        return None
    if any(word.rpartition("/")[2] in _ANALYZER_MODULES for word in words[1:]) or _runs_the_analyzer(words):
        # The analyzer run by another program, a shell's line too (`sh -c "analyzer run X || true"`): its exit may be
        # the check's, or not.
        return None
    # Its expansions, if any, are of the environment (see above): its status is its own.
    return _own_status(words, facts)


def _own_status(words: list[str], facts: _LineFacts) -> set[bool]:
    """The statuses of a command that is no check: 0 only where commands succeed (see `_LineFacts`), unless it tests
    the Job's environment, which goes either way."""
    return {True} if facts.commands_succeed and not _tests_the_environment(words, facts) else {True, False}


# The commands that test the Job's environment (a variable, a file): a check they skip is the line's choice.
_TEST_COMMANDS = frozenset({"[", "test", "[["})
_GREPS = frozenset({"grep", "egrep", "fgrep"})
# grep's options that take a value (GNU's and busybox's), as the next word unless joined (`-m1`, `--max-count=1`).
_GREP_VALUED = frozenset("efmABCDd")
_GREP_VALUED_LONG = frozenset(
    {"--regexp", "--file", "--max-count", "--after-context", "--before-context", "--context", "--devices"}
    | {"--directories", "--label", "--binary-files", "--include", "--exclude", "--exclude-dir", "--exclude-from"}
    | {"--group-separator"}
)


def _tests_the_environment(words: list[str], facts: _LineFacts) -> bool:
    """Whether a command tests the Job's environment, whose failure is no outage: `[ -f FILE ]`, `test -n "$MODE"`, or
    grep reading only files it names, each of these files named nowhere on the line but in greps and tests (`grep -q
    canary /etc/podinfo/labels`: the pod's labels, a Downward API file); not grep reading its input (`curl URL | grep
    -q ok`, `-`, `-f -`, `/dev/stdin`), nor a file the line may write with what an outage printed (`curl -o /tmp/r
    URL; grep -q ok /tmp/r` or `[ -s /tmp/r ]`, `> "$OUT"`), nor `grep -r` naming no file."""
    if words[0] in _TEST_COMMANDS:
        return all(_read_alone(file, facts) for file in _test_files(words))
    files = _grep_files(words)
    return bool(files) and all(file not in _INPUT_FILES and _read_alone(file, facts) for file in files)


def _test_files(words: list[str]) -> list[str]:
    """The files a test command reads (`/tmp/r` of `[ -s /tmp/r ]`, of `test ! -f /tmp/r`), none for another
    command."""
    if words[0] not in _TEST_COMMANDS:
        return []
    return [file for operator, file in itertools.pairwise(words) if operator in _FILE_TESTS]


# The unary operators of test (POSIX's, and bash's and busybox's `-G`, `-N`, `-O`) whose operand is a file; not `-a`,
# which between two tests is "and".
_FILE_TESTS = frozenset({f"-{letter}" for letter in "bcdefghkprsuwxGLNOS"})


def _grep_files(words: list[str]) -> list[str]:
    """The files a grep command reads (`-` for its input, `-f -` too), none for another command."""
    if words[0].rpartition("/")[2] not in _GREPS:
        return []
    operands: list[str] = []
    patterns_given = False
    rest = iter(words[1:])
    for word in rest:
        if word == "--":
            operands += rest
        elif word.startswith("--"):
            name, joined, value = word.partition("=")
            if name in _GREP_VALUED_LONG:
                value = value if joined else next(rest, "")
                patterns_given |= name in ("--regexp", "--file")
                if name == "--file" and value == "-":
                    return ["-"]
        elif word.startswith("-") and word != "-":
            for at, letter in enumerate(word[1:], 1):
                if letter in _GREP_VALUED:
                    value = word[at + 1 :] or next(rest, "")
                    patterns_given |= letter in "ef"
                    if letter == "f" and value == "-":
                        return ["-"]
                    break
        else:
            operands.append(word)
    return operands if patterns_given else operands[1:]


# The names of a process's standard input: grep reads a pipe's through them as through `-`.
_INPUT_FILES = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


def _read_alone(file: str, facts: _LineFacts) -> bool:
    """Whether the line names a file grep or a test reads (each parameter in its name, by its name) in the files of
    greps and tests alone: one it names elsewhere (`curl -o /tmp/r URL`, `> /tmp/r`, `F=$(mktemp)`) may hold what an
    outage printed."""
    parameters = [facts.names[int(index)] for index in _EXPANSION_RE.findall(file)]
    if not parameters:
        return facts.line.count(file) == facts.read_files.count(file) and not _written_relative(file, facts.line)
    # A substitution's output as a file's name, or a parameter named elsewhere (written, or set), is not the pod's own.
    return all(
        name is not None
        and len(re.findall(rf"\$\{{?{re.escape(name)}\b", facts.line)) == facts.read_files.count("$" + name)
        for name in parameters
    )


# A `cd` (or bash's `pushd`) starting a command, after which a relative name may be any file of its directory, or a
# download's directory (`curl --output-dir /out -o r`, wget's `--directory-prefix` or `-P`), where its relative name
# lands.
_CD_RE = re.compile(
    r"(?:^|[;&|(\n{]|\bthen|\bdo|\belse)\s*(?:cd|pushd)(?:\s|$)|\s--(?:output-dir|directory-prefix)[=\s]"
    r"|\bwget\s(?:[^;&|\n]*\s)?-[a-zA-Z]*P"
)


def _written_relative(file: str, line: str) -> bool:
    """Whether a line that changes directory (`cd /out && curl -o r URL; [ -s /out/r ]`) or writes a download into
    another (`curl --output-dir /out -o r URL`) names a relative path ending in the last part of `file`, an absolute
    one, which may then be `file`: which directory it is in is not read."""
    base = file.rstrip("/").rpartition("/")[2]
    if not file.startswith("/") or not base or not _CD_RE.search(line):
        return False
    relative = (
        rf"(?:(?<=^)|(?<=[\s'\"=<>;&|(]))(?:[^\s'\"/;&|()<>][^\s'\";&|()<>]*/)?{re.escape(base)}(?=$|[\s'\";&|)<>])"
    )
    return re.search(relative, line) is not None


def _command_ends(command: list[str], facts: _LineFacts) -> set[tuple[bool, bool]] | None:
    """The statuses a simple command may exit with (see `_shell_command`), each with whether a failing check (see
    `_LineFacts`) ran: the command is one, or one of its substitutions (`OUT=$(analyzer run X)`, `echo
    $(analyzer run X)`); None when it is not read."""
    found = _shell_command(command, facts)
    if found is None:
        return None
    substituted = [facts.substituted[int(n)] for word in command for n in _EXPANSION_RE.findall(word)]
    ran = any(
        _is_check(ran) and (facts.failing is None or _check_key(ran, facts) in facts.failing)
        for ran in [_execed(_assigned(command)), *filter(None, substituted)]
    )
    return {(status, ran) for status in found}


def _check_status(command: list[str], facts: _LineFacts) -> set[bool]:
    """The statuses of a check run by a command: it fails when it is one of the `failing` (see `_LineFacts`), else it
    may pass too."""
    if facts.failing is None or _check_key(command, facts) in facts.failing:
        return {False}
    return {True, False}


def _of_the_environment(command: list[str], facts: _LineFacts) -> bool:
    """Whether every expansion in a command's words is a variable the line never sets (`cleanup "$WORKDIR"`), which
    holds neither the check's output nor its status: the command's status is its own."""
    markers = [int(n) for word in command for n in _EXPANSION_RE.findall(word)]
    names = [facts.names[n] for n in markers]
    return facts.assigned is not None and all(
        name is not None
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
        and name not in facts.assigned
        and name not in _STATUS_VARIABLES
        for name in names
    )


# Variables the shell sets to a pipeline's statuses, the check's among them (bash's `$PIPESTATUS`, zsh's).
_STATUS_VARIABLES = frozenset({"PIPESTATUS", "pipestatus"})


def _check_outputs(
    commands: list[list[str]], substituted: list[list[str] | None], names: list[str | None]
) -> tuple[frozenset[str], frozenset[str]]:
    """The markers of a line's expansions (see `_shell_expansions`) that are a check's output and nothing else, and
    those that hold it among other text: its substitution (`"$(analyzer run X)"`), or a variable's expansion (`"$OUT"`,
    `"${OUT}"`) after the line assigned it one (`OUT=$(analyzer run X)`, `export OUT=...`, `COPY=$OUT`; holding it
    among other text, `COPY="x$OUT"`) and before it assigned the variable anything else."""
    marker = "\x01{}\x01".format
    exact = {marker(n) for n, ran in enumerate(substituted) if ran is not None and _is_check(ran)}
    within: set[str] = set()
    # What each variable holds, in the line's order: only a line of variables or a declaration sets them for what
    # follows (`OUT=$(analyzer run X) [ -n "$OUT" ]` tests the value before).
    holds: dict[str, set[str] | None] = {}
    for command in commands:
        sets = command[0] in _SHELL_DECLARATIONS or not _assigned(command)
        for word in command:
            for n in _EXPANSION_RE.findall(word):
                held = holds.get(names[int(n)] or "")
                if held is not None:
                    held.add(marker(int(n)))
            name, equals, value = word.partition("=")
            if sets and equals and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                # The set its expansions join: a variable holding the output alone is the output.
                holds[name] = exact if value in exact else within if _holds_output(value, exact, within) else None
    return frozenset(exact), frozenset(within)


def _holds_output(word: str, exact: frozenset[str] | set[str], within: frozenset[str] | set[str]) -> bool:
    """Whether a word holds a check's output, alone or among other text (`"x$OUT"`; see `_check_outputs`)."""
    return any(marker in word for marker in (*exact, *within))


def _output_test(words: list[str], facts: _LineFacts) -> set[bool] | None:
    """The statuses of a test of a check's output (see `_check_outputs`) that says nothing of its verdict: true
    whenever the check printed anything, as it does with any verdict (`[ -n "$OUT" ]`, `test "$(analyzer run X)"`,
    `[ ! -z "$OUT" ]`, `[ "$OUT" != "" ]`, bash's `[[ $OUT ]]`, of a word holding it among other text too, `[ -n
    "x$OUT" ]`), or a comparison with a word it never is (`[ "$OUT" != fail ]`: true; `= pass`: false), since it is
    a whole summary, `FAIL NAME: ...`, or JSON, both holding blanks; None for any other command or test (`[ "$OUT" =
    "$WANTED" ]`, `[ -z "$OUT" ]` are not read)."""
    if words[:1] == ["test"]:
        operands = words[1:]
    elif (words[:1], words[-1:]) in ((["["], ["]"]), (["[["], ["]]"])):
        operands = words[1:-1]
    else:
        return None
    if operands[:1] == ["-n"]:
        operands = operands[1:]
    elif operands[:2] == ["!", "-z"]:
        operands = operands[2:]
    elif len(operands) == 3 and operands[1] == "!=" and "" in (operands[0], operands[2]):
        operands = [operands[0] or operands[2]]
    if any(set(operand) & _GLOB_MARKS for operand in operands):
        # A pattern of bash's `[[` (`[[ $OUT != PASS* ]]`): not read.
        return None
    if len(operands) == 1 and _holds_output(operands[0], facts.exact, facts.within):
        # False only when the check printed nothing, which no verdict does.
        return {True, False}
    if len(operands) != 3 or operands[1] not in ("=", "==", "!="):
        return None
    left, operator, right = operands
    output, other = (left, right) if _holds_output(left, facts.exact, facts.within) else (right, left)
    # A word never the output: written whole, without an expansion, and without a blank.
    if (
        not other
        or _EXPANSION_RE.search(other)
        or re.search(r"\s", other)
        or not _holds_output(output, facts.exact, facts.within)
    ):
        return None
    if operator == "!=":
        # True for every verdict (and for no output at all).
        return {True, False}
    # Never equal to the whole output; of a word holding it among other text (`x$OUT`), not read.
    return {False} if output in facts.exact else None


# What `grep` finds only in a pass's output: its summary's first line, `PASS NAME: ...` (the summary's other lines, and
# the JSON's, start with a blank or a brace), anchored; no alternative (`|`, `\\|`, or a newline, which starts another
# pattern).
_GREP_PASS_TEXT_RE = re.compile(r"\^PASS[^|\n]*")
# The JSON's verdict at its first level (two blanks: a composite's members and an `each` check's series hold verdicts
# of their own, deeper). dash's `echo "$OUT"` turns a reason's `\n` (a target's JSON string quoted) into a line of its
# own, which may start with PASS; the JSON's quotes within a string stay escaped, `\"`, so no such line is its verdict.
_GREP_PASS_JSON_RE = re.compile(r'\^  "verdict": \*?"pass"[^|\n]*')
_GREP_PASS_OPTIONS = frozenset("qsEGFPiwxco")
_GREP_PASS_LONG = frozenset({"--quiet", "--silent", "--extended-regexp", "--basic-regexp", "--ignore-case"})


def _filters_for_a_pass(pipeline: list[list[str] | _Group], facts: _LineFacts) -> bool:
    """Whether a pipeline's last command exits 0 only when the check whose output it reads passed: `analyzer run X |
    grep -q '^PASS'`, `printf '%s\\n' "$OUT" | grep -q '^PASS'`, `echo "$OUT" | grep -q '^  "verdict": "pass"'`
    (through `tee` too); `grep -v fail`, `grep -q PASS` (a step's line of a failed check), `grep '"verdict": "pass"'`
    (a member's verdict), `echo "$OUT" | grep -q '^PASS'` (dash's echo) or `jq -e` (given no JSON, as when the check
    printed nothing, it exits 0) are not."""
    if any(isinstance(command, list) and _REDIRECTED in command for command in pipeline):
        # Its output sent elsewhere or joined by stderr (`2>&1`), or the filter reading a file (`< old.txt`).
        return False
    *before, last = pipeline
    while before and isinstance(before[-1], list) and before[-1][:1] == ["tee"]:
        before.pop()
    source = _alone(before[-1]) if before else None
    if isinstance(last, _Group) or not isinstance(source, list) or any(_EXPANSION_RE.search(word) for word in last):
        return False
    # Of a check that may pass (another than the one failing, see `_LineFacts`), the filter may pass too.
    reads_output = (_is_check(source) and _check_status(source, facts) == {False}) or (
        source[:1] in (["echo"], ["printf"])
        and source[1:-1] in ([], ["%s\\n"], ["%s"])
        and (source[0] == "echo") == (len(source) == 2)
        and source[-1] in facts.exact
    )
    options = [word for word in last[1:] if word.startswith("-")]
    operands = [word for word in last[1:] if not word.startswith("-")]
    letters = {letter for option in options if not option.startswith("--") for letter in option[1:]}
    long = {option for option in options if option.startswith("--")}
    if not reads_output or len(operands) != 1:
        return False
    if last[0] != "grep" or not letters <= _GREP_PASS_OPTIONS or not long <= _GREP_PASS_LONG:
        return False
    # `-i '^pass'` finds the summary's first line too.
    flags = re.IGNORECASE if "i" in letters or "--ignore-case" in long else 0
    if re.fullmatch(_GREP_PASS_JSON_RE.pattern, operands[0], flags):
        return True
    # dash's echo turns a reason's `\n` into a line of its own, which may start with PASS; bash's prints it as is.
    text = source[0] != "echo" or not facts.echo_escapes
    return text and re.fullmatch(_GREP_PASS_TEXT_RE.pattern, operands[0], flags) is not None


def _alone(command: list[str] | _Group) -> list[str] | _Group:
    """The one simple command a `{ }` or `( )` group runs and nothing else (`{ analyzer run X; } | grep -q '^PASS'`:
    its output is that command's), else the command or group as it is."""
    while (
        isinstance(command, _Group)
        and command.word is None
        and not command.branches
        and len(command.lists) == 1
        and not command.lists[0][1]
        and len(command.lists[0][0]) == 1
        and len(command.lists[0][0][0]) == 1
    ):
        command = command.lists[0][0][0][0]
    return command


# Builtins that exit 0 whatever the substitutions in their words exit with (`export OUT=$(analyzer run X)`; bash's
# `declare` and `typeset` too, which dash lacks: not found, exit 127, no pass either).
# `local`: see `_shell_command`.
_SHELL_DECLARATIONS = frozenset({"export", "readonly", "declare", "typeset"})
# An expansion in a line (see `_shell_expansions`): its number in the line's list of them.
_EXPANSION_RE = re.compile("\x01([0-9]+)\x01")
# What an expansion's text must not hold to be read (nested expansions, groups, escapes).
_EXPANSION_OPAQUE = frozenset("$`()\\{}")
_PARAMETER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9?#@*!$-]")


def _shell_expansions(text: str) -> tuple[str, list[list[str] | None], list[str | None]] | None:
    """The line with each expansion outside single quotes replaced by a marker (`\x01N\x01`), for each the words
    of the simple command it substitutes (`$(analyzer run X)`, a backquoted one), or None for a parameter's (`$out`,
    `${out}`, `$?`), and for each the parameter's name, or None for a substitution; None when one is not read here
    (nested, arithmetic, escaped, or not one simple command)."""
    out: list[str] = []
    found: list[list[str] | None] = []
    names: list[str | None] = []
    quoted = False
    at = 0
    while at < len(text):
        char = text[at]
        if char == "'" and not quoted:
            end = text.find("'", at + 1)
            if end < 0:
                return None
            out.append(text[at : end + 1])
            at = end + 1
            continue
        quoted = quoted != (char == '"')
        if (char == "$" and text[at + 1 : at + 2] == "(") or char == "`":
            start = at + (2 if char == "$" else 1)
            closed = _substitution_end(text, start, ")" if char == "$" else "`")
            if closed is None:
                return None
            inner = text[start:closed]
            tokens = None if _SHELL_OPAQUE_RE.search(inner) else _shell_tokens(inner)
            if not tokens or any(token.startswith("\0") for token in tokens):
                return None
            found.append(tokens)
            names.append(None)
            at = closed + 1
        elif char == "$":
            braced = text[at + 1 : at + 2] == "{"
            name = text[at + 2 : text.find("}", at)] if braced and "}" in text[at:] else ""
            name = name if braced else (_PARAMETER_RE.match(text, at + 1) or [""])[0]
            if not name or set(name) & _EXPANSION_OPAQUE:
                return None
            found.append(None)
            names.append(name)
            at += len(name) + (3 if braced else 1)
        else:
            out.append(char)
            at += 1
            continue
        out.append(f"\x01{len(found) - 1}\x01")
    return "".join(out), found, names


def _substitution_end(text: str, start: int, closing: str) -> int | None:
    """Where the command substitution starting at `start` ends (its `)` or backquote), quotes read; None when it holds
    what is not read here (a nested one, a group, an escape) or does not end."""
    at = start
    while at < len(text):
        char = text[at]
        if char == closing:
            return at
        if char in "'\"":
            end = text.find(char, at + 1)
            if end < 0 or (char == '"' and set(text[at:end]) & _EXPANSION_OPAQUE):
                return None
            at = end + 1
            continue
        if char in _EXPANSION_OPAQUE:
            return None
        at += 1
    return None


# A shell's options that make it read startup files first (a login or interactive shell: /etc/profile, ENV, rc files).
_SHELL_STARTUP_LONG = frozenset({"--login", "--rcfile", "--init-file"})
# bash's long options of its startup files taking no value, which leave its `-c` line as it is.
_SHELL_STARTUP_READ = frozenset({"--login", "--noprofile", "--norc"})


def _shell_reads_more(program: str, words: list[str], container: dict[str, Any]) -> bool:
    """Whether a shell given these words reads commands beyond them: startup files, as a login or interactive shell
    (`bash --login`, `-l`, `-i`), or bash's BASH_ENV file, which a non-interactive bash runs first: given in its `env`,
    or maybe by its `envFrom` (a ConfigMap's or Secret's, known only in the cluster)."""
    for word in words:
        if not word.startswith("-") or word == "--":
            break
        if word in _SHELL_STARTUP_LONG or (not word.startswith("--") and set(word[1:]) & {"l", "i"}):
            return True
    env = {str(v.get("name")) for v in _listed(container.get("env")) if isinstance(v, dict)}
    return program == "bash" and ("BASH_ENV" in env or bool(container.get("envFrom")))


# An init that runs the rest of its words as the program (`tini -- analyzer run ...`), and its options that take a
# value (tini's -p SIGNAL and -e CODE, dumb-init's -r s:r).
_INITS = frozenset({"tini", "tini-static", "dumb-init"})
_INIT_VALUED = frozenset({"-p", "-e", "-r", "--rewrite"})
# Python's one-letter options that take a value (written after them or as the next word), and its long one.
_PYTHON_VALUED_LETTERS = "WX"
_PYTHON_VALUED_LONG = "--check-hash-based-pycs"
_PYTHON_RE = re.compile(r"python(?:\d+(?:\.\d+)?)?")


def _init_stripped(words: list[str]) -> list[str]:
    """The words of the program a container runs, read through an init (`tini --`, `dumb-init`)."""
    if words and words[0].rpartition("/")[2] in _INITS:
        rest = words[1:]
        while rest and rest[0].startswith("-") and rest[0] != "--":
            rest = rest[2:] if rest[0] in _INIT_VALUED else rest[1:]
        words = rest[1:] if rest[:1] == ["--"] else rest
    return words


def _program_words(words: list[str]) -> list[str]:
    """The words of the program a container runs, read through an init (`tini --`, `dumb-init`) and Python running
    the analyzer's module (`python -m analyzer` or `analyzer.cli`, the `analyzer` command): `analyzer ...` for both."""
    words = _init_stripped(words)
    if words and _PYTHON_RE.fullmatch(words[0].rpartition("/")[2]):
        module, rest = _python_module(words[1:])
        # Not when Python prints its help or version first, and exits 0 without running the module.
        if module in _ANALYZER_MODULES and _python_asks(words[1:]) is None:
            return ["analyzer", *rest]
    return words


def _python_module(words: list[str]) -> tuple[str | None, list[str]]:
    """The module Python's `words` run with -m and the words after it, read as Python reads its options: letters
    grouped (`-Bm analyzer`), a value attached or the next word (`-manalyzer`, `-W ignore`); None for a script or -c."""
    rest = words
    while rest and rest[0].startswith("-") and rest[0] not in ("-", "--"):
        option, rest = rest[0], rest[1:]
        if option.startswith("--"):
            rest = rest[1:] if option == _PYTHON_VALUED_LONG else rest
            continue
        for index, letter in enumerate(option[1:], start=2):
            if letter == "c":
                return None, rest
            if letter == "m" or letter in _PYTHON_VALUED_LETTERS:
                value, rest = (option[index:], rest) if option[index:] else (rest[0] if rest else "", rest[1:])
                if letter == "m":
                    return value, rest
                break
    return None, rest


def _run_words_problems(words: list[str], catalog: Catalog) -> list[str]:
    """What `analyzer run` refuses (exit 2) of these words, as far as the catalog says: the words themselves, the
    check, its args, `--at`. A word Argo or Kubernetes fills in (`{{args.x}}`, `$(VAR)`) is not judged."""
    from analyzer.cli_args import add_run_arguments, with_dash_values
    from analyzer.params import parse_time

    reader = _RunWords(prog="analyzer run", add_help=False)
    # Its -h and --help (`--he` too), which print the help and exit 0 there, read here as a flag.
    reader.add_argument("-h", "--help", action="store_true")
    add_run_arguments(reader)
    try:
        parsed, unrecognized = reader.parse_known_args(with_dash_values(words))
    except ValueError as exc:
        return [f"`analyzer run` refuses the Job's words: {exc}"]
    if parsed.help:
        return [_ASKS_HELP]
    problems = []
    unknown = [word for word in unrecognized if not _filled_in(word)]
    if unknown:
        # A word that is no option may be a value (a token the Job was given, `-x9f...` too): only what reads as an
        # option's name is quoted, and nothing after an `--arg KEY` whose value it may be, as `analyzer run` does.
        valueless = any("=" not in item for item in parsed.arg)
        shown = ", ".join(
            repr(option) if not valueless and _OPTION_NAME_RE.fullmatch(option := word.partition("=")[0]) else "a word"
            for word in unknown
        )
        problems.append(
            f"`analyzer run` takes none of these words of the Job: {shown} (an arg is one word, --arg KEY=VALUE)"
        )
    if getattr(parsed, "given_twice", None):
        problems.append(f"the Job gives {parsed.given_twice} twice")
    if parsed.ca_file is not None and not parsed.prometheus:
        problems.append("the Job gives --ca-file without --prometheus")
    if parsed.at is not None and not _filled_in(parsed.at):
        try:
            parse_time(parsed.at, relative_hint=False)
        except ValueError as exc:
            problems.append(f"the Job's --at is refused: {exc}")
    given: list[tuple[str, str]] = []
    unpaired: list[str] = []  # --arg words without `KEY=`: `--arg KEY VALUE`, or a value alone
    for item in parsed.arg:
        key, sep, value = item.partition("=")
        if (sep and key) or _filled_in(item):
            # A word filled in whole (`--arg $(HASH_ARG)`) is some KEY=VALUE, its key unknown here.
            given.append((key, value) if sep and key else (item, ""))
        else:
            unpaired.append(item)
    twice = [key for key, count in Counter(key for key, _ in given).items() if count > 1 and not _filled_in(key)]
    problems += [f"the Job gives --arg {key!r} twice" for key in twice]
    name: str = parsed.name
    if _filled_in(name):
        return problems + [_unpaired(item, None) for item in unpaired]
    check = catalog.checks.get(name)
    if check is None:
        close = difflib.get_close_matches(name, list(catalog.checks), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [*problems, f"the Job runs check {name!r}, which the catalog does not have{hint}"]
    problems += [_unpaired(item, check) for item in unpaired]
    declared = ", ".join(check.params) or "none"
    problems += [
        f"the Job gives arg {key!r}, which check {name!r} does not declare (its params: {declared}"
        f"{_meant(key, list(check.params))})"
        for key in dict.fromkeys(key for key, _ in given)
        if key not in check.params and not _filled_in(key)
    ]
    secret = check.secret_params()
    for key, value in given:
        param = check.params.get(key)
        if param is None or _filled_in(value):
            continue
        try:
            param.parse(key, value, secret=key in secret)
        except ArgError as exc:
            problems.append(f"check {name!r} refuses an arg the Job gives: {exc.message}")
    if any(_filled_in(key) for key, _ in given):
        return problems
    return problems + [
        f"check {name!r} requires arg {param!r}, which the Job does not give"
        for param, rule in check.params.items()
        # One given as `--arg KEY` is said to be so above.
        if rule.required and param not in {key for key, _ in given} and param not in unpaired
    ]


def _unpaired(item: str, check: Check | None) -> str:
    """The problem of an --arg word that is not KEY=VALUE; quoted only when it names a param that is not secret
    (another word may be a value: a token)."""
    shown = (
        repr(item) if check is not None and item in check.params and item not in check.secret_params() else "not shown"
    )
    return f"the Job gives an --arg that is not KEY=VALUE ({shown}): write --arg KEY=VALUE, one word"


def _filled_in(word: str) -> bool:
    """Whether Argo (`{{args.x}}`) or Kubernetes (`$(VAR)`, from the container's env) fills in part of a word."""
    return _given_elsewhere(word) or "$(" in word


def _query_refusals(pairs: list[tuple[str, str]], outcome: str) -> list[str]:
    """What the run endpoint refuses in a url's query string whatever the check: a key given more than once, an `at`
    it cannot read (or one more than a clock skew ahead), an `explain` that is not true or false. Every measurement a
    400."""
    # A key filled in (`{{args.k}}`) is filled in with the same text each time it is written: twice still.
    refusals = [repeated_arg(key, times) for key, times in Counter(key for key, _ in pairs).items() if times > 1]
    for key, value in dict(pairs).items():
        if _given_elsewhere(value):
            continue
        if key == "explain":
            try:
                parse_flag(key, value)
            except ArgError as exc:
                refusals.append(exc)
        elif key == "at":
            try:
                # A manifest's time is read at each measurement, later: validate's clock would name a fixed time.
                parse_time(value, relative_hint=False)
            except ValueError as exc:
                refusals.append(ArgError(f"at: {exc}", "at"))
    return [
        f"the run endpoint refuses what the url gives: {refusal.message}; every measurement would be a 400: {outcome}"
        for refusal in refusals
    ]


def _refused_values(check: Check, given: list[tuple[Any, Any]], outcome: str) -> list[str]:
    """An arg the url or jsonBody gives as written (no `{{args.x}}` in it) that the run endpoint refuses (no clean
    UTF-8 text: `X%E9`) or its param refuses (`release=god` for an enum of good and broken): every measurement a 400.
    The message hides a secret param's value."""
    found = []
    secret = check.secret_params()
    for key, value in given:
        param = check.params.get(str(key))
        if param is None or _given_elsewhere(value):
            continue
        try:
            # As the run endpoint reads it (web._require_text) and binds it: an empty value of a param with a default
            # is told to be left out.
            require_text(str(key), value)
            bind_args({str(key): param}, {str(key): value}, secret)
        except ArgError as exc:
            found.append(
                f"check {check.name!r} refuses an arg the url (or jsonBody) gives: {exc.message}; every measurement "
                f"would be a 400: {outcome}"
            )
    return found


def _timeout_problems(web: dict[str, Any], check: Check, settings: Settings) -> list[str]:
    """A `timeoutSeconds` the service may take longer than to answer: the check's deadline (`deadline_s`, else
    the service's) plus the longest wait for an evaluation slot. docs/argo-rollouts.md "Errors"."""
    given = web.get("timeoutSeconds")
    if _given_elsewhere(given):
        return []
    timeout_s = _number(given) or 0
    shown = f"timeoutSeconds {timeout_s}" if timeout_s > 0 else f"no timeoutSeconds (Argo waits {_ARGO_TIMEOUT_S} s)"
    timeout_s = timeout_s if timeout_s > 0 else _ARGO_TIMEOUT_S
    deadline_s = check.deadline_s or settings.deadline_s
    most_s = deadline_s + settings.queue_timeout_s
    if timeout_s > most_s:
        return []
    return [
        f"{shown}, while check {check.name!r} may answer after {most_s:g} s (its {deadline_s:g} s deadline, plus up "
        f"to {settings.queue_timeout_s:g} s waiting for an evaluation slot): a slower answer is an Error, whatever the "
        f"verdict; set timeoutSeconds above {most_s:g}"
    ]
