"""`analyzer validate`: the Argo Rollouts AnalysisTemplates beside a catalog, checked against it.

A web metric whose `url` calls `/api/v1/checks/NAME/run` must name a check of the catalog and give it only
args it declares, every required one among them: otherwise every measurement is a 404 or a 400, which Argo
records as Error measurements, and the rollout aborts after five of them, minutes into a release. And it must
let nothing but a `pass` count as Successful: it reads `{$.verdict}` and succeeds on `result == "pass"` only,
and its limits do not admit `count` answers without a pass (Argo ends a metric that reaches its count within
its limits Successful).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from analyzer.catalog import Catalog
from analyzer.catalog_paths import CATALOG_SUFFIXES

_TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
_RUN_PATH_PREFIX, _RUN_PATH_SUFFIX = "/api/v1/checks/", "/run"
# Names of the run endpoint that are not check args (`?format=text`).
_RESERVED_ARGS = frozenset({"at", "explain", "format"})
_JSON_PATH = "{$.verdict}"
_JSON_PATHS = frozenset({_JSON_PATH, "{.verdict}"})
# `result == "pass"`, as Argo's expr reads it: either quote, any spacing.
_PASS_ONLY = re.compile(r"""\s*result\s*==\s*(["'])pass\1\s*""")


def template_problems(paths: Sequence[Path], catalog: Catalog) -> list[str]:
    """A problem for each web metric of the AnalysisTemplates under `paths` that calls a check the catalog
    does not have, or calls one with an undeclared arg or without a required one."""
    problems: list[str] = []
    for origin, template in _templates(paths):
        name = (template.get("metadata") or {}).get("name", "?")
        for metric in (template.get("spec") or {}).get("metrics") or []:
            if isinstance(metric, dict):
                where = f"{origin}: {template['kind']} {name!r}, metric {metric.get('name', '?')!r}"
                problems += [f"{where}: {problem}" for problem in _metric_problems(metric, catalog)]
    return problems


def holds_templates(files: Sequence[Path]) -> bool:
    """Whether any of these YAML files holds an AnalysisTemplate."""
    return any(True for _ in _templates(files))


def _templates(paths: Sequence[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The AnalysisTemplate documents of the YAML files under `paths`, directories searched recursively as
    `validate` searches them, hidden entries skipped (a file that does not parse is the catalog loader's to
    report)."""
    for root in paths:
        for file in _yaml_files(root):
            try:
                documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            for document in documents:
                if isinstance(document, dict) and document.get("kind") in _TEMPLATE_KINDS:
                    yield str(file), document


def _reading_problems(metric: dict[str, Any], web: dict[str, Any]) -> list[str]:
    """How the metric could end Successful without a `pass` (Argo's assessment of a metric's measurements)."""
    problems = []
    if web.get("jsonPath") not in _JSON_PATHS:
        problems.append(
            f"jsonPath is {web.get('jsonPath')!r}: write {_JSON_PATH!r}, the verdict, which the conditions judge"
        )
    success = metric.get("successCondition")
    if not isinstance(success, str) or not _PASS_ONLY.fullmatch(success):
        problems.append(
            f"successCondition is {success!r}: write 'result == \"pass\"' (with failureCondition "
            "'result == \"fail\"'); another may let an answer that is not pass count as Successful (an "
            'inconclusive does, without a successCondition or with result != "fail")'
        )
    count, failures, inconclusives = (
        _number(metric.get(key, 0)) for key in ("count", "failureLimit", "inconclusiveLimit")
    )
    if not count or failures is None or inconclusives is None:
        return problems  # unset (background analysis) or given by the Rollout (`{{args.count}}`): known only there
    if _number(metric.get("consecutiveSuccessLimit", 0)) != 0:
        return problems  # only that many passes in a row end it Successful (or a limit given by the Rollout)
    if failures < 0:
        problems.append(f"failureLimit {failures} disables it: no fail would fail the metric")
    elif failures + inconclusives >= count:
        problems.append(
            f"failureLimit {failures} + inconclusiveLimit {inconclusives} is not below count {count}: {count} answers, "
            "none of them pass, would end the metric Successful"
        )
    return problems


def _number(value: Any) -> int | None:
    """An Argo int-or-string (`5`, `"5"`), or None when it is an arg (`{{args.count}}`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else None


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
        if path.suffix in CATALOG_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]


def _metric_problems(metric: dict[str, Any], catalog: Catalog) -> list[str]:
    web = (metric.get("provider") or {}).get("web")
    if not isinstance(web, dict) or not isinstance(web.get("url"), str):
        return []
    url = urlsplit(web["url"])
    if not (url.path.endswith(_RUN_PATH_SUFFIX) and _RUN_PATH_PREFIX in url.path):
        return []
    check_name = unquote(url.path.rsplit(_RUN_PATH_PREFIX, 1)[1].removesuffix(_RUN_PATH_SUFFIX))
    problems = _reading_problems(metric, web)
    if "{{" in check_name:
        return problems  # the check is given by the Rollout (`{{args.check}}`): known only there
    check = catalog.checks.get(check_name)
    if check is None:
        close = difflib.get_close_matches(check_name, list(catalog.checks), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [
            *problems,
            f"url calls check {check_name!r}, which the catalog does not have{hint} (every measurement would be a "
            "404: an Error, and the rollout aborts after five)",
        ]
    given = [key for key, _ in parse_qsl(url.query, keep_blank_values=True)]
    body = web.get("jsonBody")
    given += list(body) if isinstance(body, dict) else []
    declared = ", ".join(check.params) or "none"
    problems += [
        f"url gives arg {key!r}, which check {check_name!r} does not declare (its params: {declared}"
        f"{_meant(key, list(check.params))}); every measurement would be a 400: an Error, and the rollout aborts "
        "after five"
        for key in dict.fromkeys(given)
        if key not in check.params and key not in _RESERVED_ARGS
    ]
    problems += [
        f"check {check_name!r} requires arg {param!r}, which the url (or jsonBody) does not give; every measurement "
        "would be a 400: an Error, and the rollout aborts after five"
        for param, rule in check.params.items()
        if rule.required and param not in given
    ]
    return problems
