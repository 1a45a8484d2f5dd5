"""Argo Rollouts' semantic validation of analysis, beyond the CRD schema, as Python test helpers.

Ported from argo-rollouts (facts, not code): `utils/analysis/helpers.go` ValidateMetrics / ValidateMetric
(metrics present, unique names, count >= failureLimit and inconclusiveLimit, an interval when count > 1,
durations that parse, limits >= 0, exactly one provider), `metricproviders/webmetric/webmetric.go` (a body only
with POST or PUT, never both `body` and `jsonBody`), `pkg/apis/rollouts/v1alpha1/analysis_types.go`
EffectiveCount (no count and an interval: runs indefinitely), and
`pkg/apis/rollouts/validation/validation_references.go` (non-background analysis may not run indefinitely;
every `{{args.x}}` resolves; background analysis gets the args its templates leave open; the templates of one
analysis merge into one AnalysisRun, so their metric names must differ).

Beyond what Argo refuses, the rules refuse what lets a gate that calls the analyzer end Successful without a
`pass`: see verdict_reading_problems, dry_run_problems and background_error_problems.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

INLINE, BACKGROUND, PRE_PROMOTION, POST_PROMOTION, EXPERIMENT = (
    "inline step analysis",
    "background analysis",
    "prePromotionAnalysis",
    "postPromotionAnalysis",
    "experiment",
)
# Analyses the rollout waits for: a metric that never stops would hold the rollout forever.
NON_BACKGROUND = (INLINE, PRE_PROMOTION, POST_PROMOTION)
PROVIDERS = (
    "prometheus",
    "web",
    "job",
    "datadog",
    "newRelic",
    "wavefront",
    "kayenta",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
)
# Go's time.ParseDuration, which Argo's DurationString uses.
GO_DURATION = re.compile(r"^(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$")
ARG = re.compile(r"\{\{\s*args\.([\w.-]+)\s*\}\}")


@dataclass(frozen=True)
class Analysis:
    """One AnalysisRun a Rollout or Experiment would create: its kind, template refs, the args passed and the
    dryRun rules given beside them (Argo adds the templates' own)."""

    where: str
    kind: str
    refs: list[dict[str, Any]]
    args: list[dict[str, Any]]
    dry_run: list[dict[str, Any]] = field(default_factory=list)


def _int(value: Any, field: str, problems: list[str]) -> int | None:
    """An intstr field (a number, or a string holding one once args are resolved)."""
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append(f"{field}: {value!r} is not an integer")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and ARG.search(value):
        return None  # resolved at run time; checked by the arg rules
    try:
        return int(str(value))
    except ValueError:
        problems.append(f"{field}: {value!r} is not an integer")
        return None


def metric_problems(metric: dict[str, Any]) -> list[str]:
    """What ValidateMetric and the web provider refuse in one metric."""
    problems: list[str] = []
    name = metric.get("name", "?")
    count = _int(metric.get("count"), "count", problems) or 0
    limits = {
        key: _int(metric.get(key), key, problems)
        for key in ("failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "consecutiveSuccessLimit")
    }
    failure_limit = limits["failureLimit"] or 0
    success_limit = limits["consecutiveSuccessLimit"] or 0
    for key, value in limits.items():
        # failureLimit -1 disables it, allowed while consecutiveSuccessLimit decides instead.
        if value is not None and value < (-1 if key == "failureLimit" else 0):
            problems.append(f"metric {name}: {key} must be >= 0")
    if failure_limit == -1 and success_limit == 0:
        problems.append(f"metric {name}: failureLimit and consecutiveSuccessLimit cannot both be disabled")
    if count > 0:
        if failure_limit >= 0 and success_limit >= 0 and count < failure_limit + success_limit:
            problems.append(f"metric {name}: count must be >= failureLimit + consecutiveSuccessLimit")
        elif failure_limit < 0 and count < success_limit:
            problems.append(f"metric {name}: count must be >= consecutiveSuccessLimit")
        if count < (limits["inconclusiveLimit"] or 0):
            problems.append(f"metric {name}: count must be >= inconclusiveLimit")
    if count > 1 and not metric.get("interval"):
        problems.append(f"metric {name}: interval must be specified when count > 1")
    for key in ("interval", "initialDelay"):
        value = metric.get(key)
        if value and not ARG.search(str(value)) and not GO_DURATION.fullmatch(str(value)):
            problems.append(f"metric {name}: invalid {key} string {value!r}")
    provider = metric.get("provider") or {}
    used = [p for p in provider if p in PROVIDERS]
    if len(used) != 1:
        problems.append(f"metric {name}: exactly one provider is needed, found {used or 'none'}")
    web = provider.get("web")
    if isinstance(web, dict):
        method = str(web.get("method") or "GET").upper()
        if method not in ("GET", "POST", "PUT"):
            problems.append(f"metric {name}: web method {method!r} is not GET, POST or PUT")
        if web.get("body") and web.get("jsonBody") is not None:
            problems.append(f"metric {name}: use either body or jsonBody, not both")
        if (web.get("body") or web.get("jsonBody") is not None) and method == "GET":
            problems.append(f"metric {name}: a web body needs method POST or PUT (Argo refuses a body on GET)")
    return problems


# The recommended conditions (design.md): with both set, "inconclusive" matches neither and Argo marks the
# measurement Inconclusive; an `error` verdict is a 5xx, an Error measurement whatever the conditions. Any
# other pair can let a verdict that is not `pass` count as Successful (only `failureCondition: result ==
# "fail"`, or `successCondition: result != "fail"`), or make `inconclusive` fail the rollout.
RECOMMENDED = {
    "jsonPath": "{$.verdict}",
    "successCondition": 'result == "pass"',
    "failureCondition": 'result == "fail"',
}


def verdict_reading_problems(metric: dict[str, Any]) -> list[str]:
    """How a web metric that calls the analyzer's run endpoint departs from the recommended template, or lets
    Argo end it Successful without a `pass` (analysis/analysis.go assessMetricStatus)."""
    if not calls_the_analyzer(metric):
        return []
    web = metric["provider"]["web"]
    name = metric.get("name")
    found = {"jsonPath": web.get("jsonPath"), **{key: metric.get(key) for key in RECOMMENDED if key != "jsonPath"}}
    problems = [
        f"metric {name}: {key} is {found[key]!r}, not the recommended {wanted!r}"
        for key, wanted in RECOMMENDED.items()
        if found[key] != wanted
    ]
    method = str(web.get("method") or "GET").upper()
    if method not in ("GET", "POST"):
        problems.append(f"metric {name}: the run endpoint answers {method} with 405, an Error at every measurement")
    if "/ui/checks/" in str(web["url"]):
        problems.append(f"metric {name}: a verdict page is HTML for a browser, answered 200 whatever the verdict")
    if re.search(r"[?&]format=text(&|$)", str(web["url"])):
        # Argo up to v1.10.0-rc1 counts a 2xx body that is not JSON as Successful whatever the conditions
        # (webmetric.go before #4770); later versions compare the whole line with the conditions.
        problems.append(f"metric {name}: format=text answers a line, not JSON: no {{$.verdict}} for Argo to read")
    # A count given as an arg is only known once Argo resolves it.
    count = None if ARG.search(str(metric.get("count", ""))) else effective_count(metric)
    if re.search(r"[?&]at=", str(web["url"])) and count != 1:
        # Argo resolves args once per AnalysisRun: a time given as one is the same moment at every measurement.
        problems.append(f"metric {name}: at= in a repeated metric measures the same moment every time")
    # With consecutiveSuccessLimit, reaching the count without that many passes in a row is not Successful.
    needs_passes = (_int(metric.get("consecutiveSuccessLimit"), "consecutiveSuccessLimit", []) or 0) > 0
    failure_limit = _int(metric.get("failureLimit"), "failureLimit", [])
    if failure_limit is not None and failure_limit < 0:
        problems.append(f"metric {name}: failureLimit {failure_limit} disables it: no `fail` fails the metric")
    # Unset limits are 0; one given as an arg is only known once resolved, and can only admit more.
    limits = {key: max(_int(metric.get(key), key, []) or 0, 0) for key in ("failureLimit", "inconclusiveLimit")}
    if count is not None and sum(limits.values()) >= count and not needs_passes:
        # At the count Argo ends the metric Successful unless a limit was exceeded, and the two limits admit
        # their sum of answers that are not `pass` (failureLimit 1 and inconclusiveLimit 1: a `fail` and an
        # `inconclusive`): when it reaches the count, `count` answers, none of them pass, end it Successful.
        problems.append(
            f"metric {name}: failureLimit {limits['failureLimit']} + inconclusiveLimit {limits['inconclusiveLimit']} "
            f"is not below count {count}: {count} answers, none of them pass, end the metric Successful"
        )
    return problems


def calls_the_analyzer(metric: dict[str, Any]) -> bool:
    """A web metric that asks the analyzer for a verdict: a gate."""
    web = (metric.get("provider") or {}).get("web")
    return isinstance(web, dict) and bool(re.search(r"/(api/v1|ui)/checks/", str(web.get("url", ""))))


def dry_run_problems(rules: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> list[str]:
    """Gates a dryRun rule names: Argo records their result and ignores it (IsTerminating, assessRunStatus),
    so such a gate never fails the rollout. A rule is a Go regexp matched anywhere in the metric's name
    (GetDryRunMetrics: regexp.MatchString), so `.*` or a prefix names a gate too."""
    problems = []
    for index, rule in enumerate(rules):
        pattern = str(rule.get("metricName", ""))
        try:
            # Python's re reads most of Go's syntax alike; what it cannot read (`\z`, `\pL`, `\Q...\E`) or
            # reads otherwise (a POSIX class `[[:alpha:]]`, a nested set to re, with a FutureWarning) may name a
            # gate for Go: not told apart from a rule Go refuses too, it is refused.
            with warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)
                named = re.compile(pattern)
        except (re.error, FutureWarning):
            if any(calls_the_analyzer(metric) for metric in metrics):
                problems.append(f"dryRun[{index}] {pattern!r} is not read here as Go reads it: it may name a gate")
            continue
        for metric in metrics:
            if calls_the_analyzer(metric) and named.search(str(metric.get("name", ""))):
                problems.append(
                    f"dryRun[{index}] {pattern!r} names the gate {metric.get('name')}: its result is only "
                    "recorded, a `fail` never fails the rollout"
                )
    return problems


# Argo's default (utils/defaults: DefaultConsecutiveErrorLimit): the 5th Error in a row makes the metric Error.
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4


def background_error_problems(metric: dict[str, Any]) -> list[str]:
    """A background gate's consecutiveErrorLimit above Argo's default. Errors never count toward `count`, and
    when the rollout completes Argo terminates its background analysis: a metric still running then ends
    Successful (assessMetricStatus). A gate that errs at every measurement ends Successful unless its errors
    in a row exceed the limit first; how many measurements the rollout's steps leave time for is not known
    from the manifests (a pause may last until a human promotes), so only the default is known to be safe."""
    if not calls_the_analyzer(metric) or "consecutiveErrorLimit" not in metric:
        return []
    name, value = metric.get("name"), metric["consecutiveErrorLimit"]
    limit = _int(value, "consecutiveErrorLimit", [])
    if limit is None:
        return [f"metric {name}: consecutiveErrorLimit {value!r} in a background analysis is only known at run time"]
    if limit > DEFAULT_CONSECUTIVE_ERROR_LIMIT:
        return [
            f"metric {name}: consecutiveErrorLimit {limit} above the default "
            f"{DEFAULT_CONSECUTIVE_ERROR_LIMIT} in a background analysis: a gate that errs until the rollout "
            "completes ends Successful"
        ]
    return []


def effective_count(metric: dict[str, Any]) -> int | None:
    """Measurements a metric takes: None when it runs indefinitely (an interval and no count)."""
    count = metric.get("count")
    if count is None:
        return None if metric.get("interval") else 1
    try:
        return int(str(count))
    except ValueError:
        return 1  # an arg: Argo resolves it (to a number) before counting


def template_problems(spec: dict[str, Any]) -> list[str]:
    """ValidateMetrics over a template spec, plus every `{{args.x}}` naming a declared arg."""
    metrics = spec.get("metrics") or []
    if not metrics:
        return ["no metrics specified"]
    problems: list[str] = []
    names = [m.get("name") for m in metrics]
    problems.extend(f"duplicate metric name {n!r}" for n in sorted({n for n in names if names.count(n) > 1}))
    declared = {a["name"] for a in spec.get("args") or []}
    for metric in metrics:
        problems.extend(metric_problems(metric))
        for used in sorted(set(ARG.findall(_text(metric))) - declared):
            problems.append(f"metric {metric.get('name')}: {{{{args.{used}}}}} is not a declared arg")
    problems.extend(dry_run_problems(list(spec.get("dryRun") or []), metrics))
    return problems


def analyses(doc: dict[str, Any], where: str) -> Iterator[Analysis]:
    """Every analysis of a Rollout, an Experiment, or a fragment of one (a `steps:` list, a strategy block)."""
    yield from _walk(doc, where, None)


def _walk(node: Any, where: str, parent: str | None) -> Iterator[Analysis]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, where, "step" if parent == "steps" else parent)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        kind = None
        if key == "analysis" and isinstance(value, dict):
            kind = INLINE if parent == "step" else BACKGROUND
        elif key == "prePromotionAnalysis":
            kind = PRE_PROMOTION
        elif key == "postPromotionAnalysis":
            kind = POST_PROMOTION
        if kind is not None and isinstance(value, dict):
            refs, args = list(value.get("templates") or []), list(value.get("args") or [])
            yield Analysis(where, kind, refs, args, list(value.get("dryRun") or []))
        elif key == "analyses" and isinstance(value, list):
            # An Experiment's (or an experiment step's) dryRun applies to every analysis it runs.
            dry_run = list(node.get("dryRun") or [])
            for entry in value:
                if isinstance(entry, dict) and "templateName" in entry:
                    yield Analysis(where, EXPERIMENT, [entry], list(entry.get("args") or []), dry_run)
        else:
            yield from _walk(value, where, key)


def analysis_problems(analysis: Analysis, lookup: Callable[[dict[str, Any]], dict[str, Any] | None]) -> list[str]:
    """What Argo refuses when it builds this AnalysisRun from its templates (ValidateAnalysisTemplatesWithType)."""
    problems: list[str] = []
    specs = []
    for ref in analysis.refs:
        template = lookup(ref)
        if template is None:
            problems.append(f"template {ref.get('templateName')!r} not found")
            continue
        specs.append((ref["templateName"], template["spec"]))
    metric_names = [m.get("name") for _, spec in specs for m in spec.get("metrics") or []]
    problems.extend(
        f"metric name {n!r} appears in two templates of one analysis"
        for n in sorted({n for n in metric_names if metric_names.count(n) > 1})
    )
    # One AnalysisRun: the analysis's dryRun rules and every template's apply to all of its metrics.
    rules = analysis.dry_run + [rule for _, spec in specs for rule in spec.get("dryRun") or []]
    problems.extend(dry_run_problems(rules, [m for _, spec in specs for m in spec.get("metrics") or []]))
    passed = {a["name"] for a in analysis.args}
    declared = {a["name"] for _, spec in specs for a in spec.get("args") or []}
    problems.extend(f"arg {n!r} is passed but no template declares it" for n in sorted(passed - declared))
    for name, spec in specs:
        problems.extend(f"{name}: {p}" for p in template_problems(spec))
        for arg in spec.get("args") or []:
            if "value" not in arg and "valueFrom" not in arg and arg["name"] not in passed:
                problems.append(f"{name}: args.{arg['name']} was not resolved (no value, and not passed)")
        if analysis.kind == BACKGROUND:
            for metric in spec.get("metrics") or []:
                problems.extend(f"{name}: {p}" for p in background_error_problems(metric))
        if analysis.kind in NON_BACKGROUND:
            for metric in spec.get("metrics") or []:
                if effective_count(metric) is None:
                    problems.append(
                        f"AnalysisTemplate {name} has metric {metric.get('name')} which runs "
                        f"indefinitely ({analysis.kind}): invalid value for count"
                    )
    return problems


def _text(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(f"{k} {_text(v)}" for k, v in node.items())
    if isinstance(node, list):
        return " ".join(_text(v) for v in node)
    return str(node)


def _judges_the_canary_by_hash(metric: dict[str, Any]) -> bool:
    """A web metric that asks the analyzer about the canary's own traffic (its pod-template hash)."""
    web = (metric.get("provider") or {}).get("web") or {}
    return "canary_hash" in str(web.get("url", "")) or "canary_hash" in (web.get("jsonBody") or {})


def traffic_start_problems(doc: dict[str, Any], lookup: Callable[[dict[str, Any]], dict[str, Any] | None]) -> list[str]:
    """Metrics judging the canary's traffic that Argo first measures the moment that traffic starts: an inline
    analysis right after a setWeight, a background analysis starting at a setWeight step, a post-promotion
    analysis. Its pods have not been scraped twice yet, rate() has nothing, and the answer is `inconclusive`:
    every rollout would pause there for a human. An initialDelay (or a pause step before) lets traffic in."""
    strategy = (doc.get("spec") or {}).get("strategy") or doc.get("strategy") or {}
    if "steps" in doc:
        strategy = {"canary": {"steps": doc["steps"]}}
    canary, blue_green = strategy.get("canary") or {}, strategy.get("blueGreen") or {}
    steps = canary.get("steps") or []
    at_start = [
        (f"steps[{index}].analysis", step["analysis"])
        for index, step in enumerate(steps)
        if "analysis" in step and index > 0 and "setWeight" in steps[index - 1]
    ]
    background = canary.get("analysis")
    if background and "setWeight" in (steps[background.get("startingStep", 0)] if steps else {}):
        at_start.append(("background analysis", background))
    if blue_green.get("postPromotionAnalysis"):
        at_start.append(("postPromotionAnalysis", blue_green["postPromotionAnalysis"]))
    problems = []
    for where, analysis in at_start:
        for ref in analysis.get("templates") or []:
            template = lookup(ref)
            for metric in (template or {}).get("spec", {}).get("metrics") or []:
                if _judges_the_canary_by_hash(metric) and not metric.get("initialDelay"):
                    problems.append(
                        f"{where}: {ref['templateName']}/{metric.get('name')} is measured as the canary's traffic "
                        "starts, before Prometheus has two scrapes of it: `inconclusive` (no data), the rollout "
                        "pauses; give the metric an initialDelay"
                    )
    return problems
