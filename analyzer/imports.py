"""SLO documents of other tools (Pyrra, Sloth, OpenSLO) as equivalent `error_budget` check definitions.

Pyrra and Sloth SLOs read the recording rules those tools already maintain (their source of truth);
OpenSLO has no recording rules, so its ratio metrics become `ratio` PromQL templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from analyzer.params import parse_duration

FORMATS = ("pyrra", "sloth", "openslo")
SLOTH_DEFAULT_PERIOD = "30d"
# The periods Sloth has alert windows for without --slo-period-windows-path (internal/alert/windows/google-*.yaml):
# the SRE workbook's tiers, which are the check's default tiers for those periods.
SLOTH_BUILT_IN_PERIODS = ("28d", "30d")
# Sloth's AlertWindows: (severity, spec path) of each tier, in the order of the check's default tiers.
_SLOTH_WINDOW_TIERS = (("page", "quick"), ("page", "slow"), ("ticket", "quick"), ("ticket", "slow"))
OPENSLO_V1 = "openslo/v1"
OPENSLO_V1ALPHA = "openslo/v1alpha"
# How an OpenSLO v1alpha SLO converts, said with each refusal.
_V1ALPHA_RULE = (
    "OpenSLO v1alpha converts as Sloth reads it (ratioMetrics of Prometheus queries, one time window "
    "in days), from the recording rules Sloth generates; convert other v1alpha SLOs to openslo/v1"
)

_SELECTOR_RE = re.compile(r"^\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(.*)\})?\s*$", re.DOTALL)
_MATCHER_RE = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_SUM_RE = re.compile(r"^\s*sum\s*\((.*)\)\s*$", re.DOTALL)
_OPENSLO_DURATION_RE = re.compile(r"^\d+[mhdw]$")
_CHECK_NAME_BAD_CHARS_RE = re.compile(r"[^A-Za-z0-9._-]+")
_SLOTH_WINDOW_RE = re.compile(r"\{\{-?\s*\.window\s*-?\}\}")
_GO_TEMPLATE_RE = re.compile(r"\{\{|\}\}")


def detect_format(document: Any) -> str | None:
    """`pyrra`, `sloth` or `openslo` when the document is one of theirs, else None."""
    if not isinstance(document, dict):
        return None
    api_version, kind = str(document.get("apiVersion", "")), document.get("kind")
    if api_version.startswith("pyrra.dev/") and kind == "ServiceLevelObjective":
        return "pyrra"
    if api_version.startswith("sloth.slok.dev/") and kind in ("PrometheusServiceLevel", "AlertWindows"):
        return "sloth"
    if document.get("version") == "prometheus/v1" and "slos" in document:
        return "sloth"
    if api_version.startswith("openslo/"):
        return "openslo"
    return None


def convert(
    documents: Iterable[Any], source: str = "default", sloth_period: str = SLOTH_DEFAULT_PERIOD, only: str | None = None
) -> list[dict[str, Any]]:
    """Check definitions for every SLO document (a document that is a YAML list counts as its items);
    ValueError names the document and what cannot convert."""
    labelled = [
        (f"document {index + 1}" + ("" if item is None else f" item {item + 1}"), document)
        for index, outer in enumerate(documents)
        for item, document in _items(outer)
    ]
    slis = _openslo_slis(document for _, document in labelled)
    try:
        windows = _sloth_windows(labelled)
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"Sloth AlertWindows: {exc}") from None
    checks: list[dict[str, Any]] = []
    for label, document in labelled:
        found = detect_format(document)
        if _is_alert_windows(document):
            continue
        if found is None or (only is not None and found != only):
            raise ValueError(
                f"{label} is not a {only or 'Pyrra, Sloth or OpenSLO'} SLO: {_what_it_is(document, found)}"
            )
        try:
            checks.extend(convert_document(document, slis, source, sloth_period, windows))
        except ValueError as exc:
            raise ValueError(f"{label} ({found} {_describe(document)}): {exc}") from None
    return checks


def convert_document(
    document: dict[str, Any],
    openslo_slis: Mapping[str, dict[str, Any]],
    source: str = "default",
    sloth_period: str = SLOTH_DEFAULT_PERIOD,
    sloth_windows: Mapping[float, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The checks one SLO document stands for (none for OpenSLO's other kinds: SLI, Service, DataSource...,
    nor for Sloth's AlertWindows); `sloth_windows`: the tiers of Sloth's AlertWindows by period in seconds."""
    found = detect_format(document)
    windows = sloth_windows or {}
    if found == "pyrra":
        return [_from_pyrra(document, source)]
    if found == "sloth":
        if _is_alert_windows(document):
            return []
        return _from_sloth(document, source, sloth_period, windows)
    if found == "openslo":
        if document.get("kind") != "SLO":
            return []
        version = str(document.get("apiVersion"))
        if version == OPENSLO_V1ALPHA:
            return _from_openslo_v1alpha(document, source, sloth_period, windows)
        if version != OPENSLO_V1:
            raise ValueError(f"OpenSLO {version.removeprefix('openslo/')} is not supported; convert it to {OPENSLO_V1}")
        return _from_openslo(document, openslo_slis, source)
    raise ValueError("not a Pyrra, Sloth or OpenSLO document")


def expand_slo_documents(documents: Iterable[tuple[str, Any]]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Catalog documents with every foreign SLO document replaced by its `checks` (reading the source
    `default`), and the problems found."""
    docs = [
        (origin if item is None else f"{origin} item {item + 1}", data)
        for origin, outer in documents
        for item, data in _slo_items(outer)
    ]
    slis = _openslo_slis(data for _, data in docs)
    problems: list[str] = []
    try:
        windows = _sloth_windows(docs)
    except (ValueError, AttributeError, TypeError) as exc:
        windows = {}
        problems.append(f"Sloth AlertWindows: {exc}")
    expanded: list[tuple[str, Any]] = []
    for origin, data in docs:
        found = detect_format(data)
        if found is None:
            expanded.append((origin, data))
            continue
        try:
            expanded.append((origin, {"checks": convert_document(data, slis, sloth_windows=windows)}))
        except ValueError as exc:
            problems.append(f"{origin}: {found} {_describe(data)}: {exc}")
        except (AttributeError, TypeError) as exc:
            # A field of the wrong shape (a string where a mapping belongs): the document is malformed.
            problems.append(f"{origin}: {found} {_describe(data)}: malformed document ({exc})")
    return expanded, problems


def _items(document: Any) -> list[tuple[int | None, Any]]:
    """A YAML list's items, numbered (OpenSLO tools write several objects as one list); else the document."""
    return list(enumerate(document)) if isinstance(document, list) else [(None, document)]


def _slo_items(document: Any) -> list[tuple[int | None, Any]]:
    """As _items, for a catalog: a list is split only when every item is a foreign SLO document."""
    if isinstance(document, list) and document and all(detect_format(item) for item in document):
        return _items(document)
    return [(None, document)]


def _what_it_is(document: Any, found: str | None) -> str:
    """What a document that is not the SLO asked for holds, and what reads it instead."""
    if found is not None:
        return f"it is a {found} document, which `analyzer import {found}` reads"
    if isinstance(document, dict) and ("checks" in document or "sources" in document):
        return "it is catalog YAML (`sources`, `checks`), which the analyzer reads as it is, without an import"
    if isinstance(document, dict):
        return f"a mapping with keys {', '.join(sorted(map(str, document))[:6])}"
    return f"a YAML {type(document).__name__}"


def _describe(document: dict[str, Any]) -> str:
    metadata = document.get("metadata")
    name = (metadata.get("name") if isinstance(metadata, dict) else None) or document.get("service") or "?"
    return f"{document.get('kind', 'spec')} {name!r}"


def _openslo_slis(documents: Iterable[Any]) -> dict[str, dict[str, Any]]:
    return {
        str(doc.get("metadata", {}).get("name")): doc
        for doc in documents
        if detect_format(doc) == "openslo" and doc.get("apiVersion") == OPENSLO_V1 and doc.get("kind") == "SLI"
    }


def _is_alert_windows(document: Any) -> bool:
    return detect_format(document) == "sloth" and document.get("kind") == "AlertWindows"


def _sloth_windows(documents: Iterable[tuple[str, Any]]) -> dict[float, list[dict[str, Any]]]:
    """The tiers of each Sloth AlertWindows document (what `sloth --slo-period-windows-path` reads), by its
    sloPeriod in seconds: factor = errorBudgetPercent * period / 100 / longWindow, as Sloth computes it."""
    found: dict[float, list[dict[str, Any]]] = {}
    for label, document in documents:
        if not _is_alert_windows(document):
            continue
        spec = document.get("spec") or {}
        period_text = str(spec.get("sloPeriod") or "")
        period_s = _sloth_duration(period_text, f"{label}: spec.sloPeriod")
        if period_s in found:
            raise ValueError(f"{label}: a second AlertWindows for the period {period_text}")
        tiers = []
        for severity, speed in _SLOTH_WINDOW_TIERS:
            where = f"{label}: spec.{severity}.{speed}"
            window = (spec.get(severity) or {}).get(speed) or {}
            percent = window.get("errorBudgetPercent")
            if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 < percent <= 100:
                raise ValueError(f"{where}.errorBudgetPercent {percent!r} is not a percent above 0")
            long_s = _sloth_duration(str(window.get("longWindow") or ""), f"{where}.longWindow")
            short_s = _sloth_duration(str(window.get("shortWindow") or ""), f"{where}.shortWindow")
            factor = Decimal(repr(float(percent))) * Decimal(repr(period_s)) / 100 / Decimal(repr(long_s))
            tiers.append(
                {
                    "long": _duration_text(long_s),
                    "short": _duration_text(short_s),
                    "factor": float(round(factor, 10)),
                    "severity": severity,
                }
            )
        found[period_s] = tiers
    return found


def _sloth_duration(text: str, field: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{field} {text!r}: {exc}") from None


def _duration_text(seconds: float) -> str:
    """A whole number of seconds in the largest exact unit among d, h, m, s (86400 -> 1d, 129600 -> 36h)."""
    whole = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def _sloth_tiers(period: str, windows: Mapping[float, list[dict[str, Any]]], field: str) -> list[dict[str, Any]] | None:
    """The tiers Sloth alerts by for an SLO of `period`: those of its AlertWindows, else None (the check's
    default tiers, which are Sloth's built-in ones for 28d and 30d). ValueError for any other period."""
    period_s = _sloth_duration(period, field)
    if period_s in windows:
        return windows[period_s]
    if period_s in {parse_duration(built_in) for built_in in SLOTH_BUILT_IN_PERIODS}:
        return None
    raise ValueError(
        f"{field} {period}: Sloth has alert windows only for 28d and 30d; a {period} SLO alerts by the AlertWindows "
        f"with sloPeriod {period} given to sloth --slo-period-windows-path: give that document too "
        "(`analyzer import --sloth-windows FILE`, or beside the SLO in the catalog)"
    )


def _percent(value: Any, field: str) -> float:
    """A percent from a string or number, exact in decimal ("99.9" -> 99.9, never 99.90000000000001); ValueError for
    one above 0 and below 1, a ratio written where the percent belongs, naming the percent meant."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field} {value!r} is not a number") from None
    if number.is_finite() and 0 < number < 1:
        # Pyrra's target, Sloth's objective and OpenSLO's targetPercent are percents: 0.999 there is an SLO of
        # 0.999%, whose budget is nearly every request (Pyrra's own rules are then wrong as well).
        meant = format((number * 100).normalize(), "f")
        raise ValueError(
            f"{field} {value!r} is a percent, and an objective of {number}% lets nearly every request fail: "
            f"for the ratio {number}, write {meant} in the SLO"
        )
    return _rounded(number, value, field)


def _rounded(number: Decimal, value: Any, field: str) -> float:
    """`number` rounded to 10 decimals; NaN and infinities (which Decimal reads, and cannot round) are refused."""
    if not number.is_finite():
        raise ValueError(f"{field} {value!r} is not a finite number")
    return float(round(number, 10))


def _percent_of_ratio(value: Any, field: str) -> float:
    """A ratio in [0, 1] as a percent, exact in decimal (0.999 -> 99.9)."""
    try:
        number = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise ValueError(f"{field} {value!r} is not a number") from None
    return _rounded(number, value, field)


def _name(value: Any, field: str) -> str:
    """The text of a name field (`metadata.name`, a Sloth `service`), "" when absent; ValueError for one YAML 1.1 read
    as no text (a bare `on` as true, `0x10` as 16): written as Python writes the value, it named rules (`slo="True"`)
    no tool records, and a bare `off` was said to be missing."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        read_as = "true (a bare yes, on or true)" if value else "false (a bare no, off or false)"
    elif isinstance(value, int | float):
        read_as = f"the number {value}"
    else:
        # A date (`2024-01-01`), a datetime, a list or a mapping.
        read_as = f"a {type(value).__name__}"
    raise ValueError(f"{field}: YAML reads it as {read_as}, not as text: quote it")


def _check_name(text: str) -> str:
    return _CHECK_NAME_BAD_CHARS_RE.sub("-", text).strip("-.")[:128]


def _parse_selector(text: str, field: str) -> tuple[str, list[tuple[str, str, str]]]:
    """`name{a="b", c=~"d"}` -> ("name", [("a", "=", "b"), ...]); values keep their PromQL escapes."""
    match = _SELECTOR_RE.fullmatch(text)
    if not match:
        raise ValueError(f'{field}: {text!r} is not a metric selector like name{{label="value"}}')
    name, inner = match.group(1), (match.group(2) or "").strip()
    matchers: list[tuple[str, str, str]] = []
    position = 0
    while position < len(inner):
        matcher = _MATCHER_RE.match(inner, position)
        if not matcher or matcher.end() == position:
            raise ValueError(f"{field}: cannot read the label matchers of {text!r}")
        matchers.append((matcher.group(1), matcher.group(2), matcher.group(3)))
        position = matcher.end()
    return name, matchers


def _render_selector(name: str, matchers: list[tuple[str, str, str]]) -> str:
    inner = ", ".join(f'{label}{op}"{value}"' for label, op, value in matchers)
    return f"{name}{{{inner}}}" if inner else name


def _from_pyrra(document: dict[str, Any], source: str) -> dict[str, Any]:
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = _name(metadata.get("name"), "metadata.name")
    if not name:
        raise ValueError("metadata.name is missing")
    indicator = spec.get("indicator") or {}
    for kind in ("ratio", "latency", "latencyNative", "bool_gauge", "boolGauge"):
        if kind in indicator:
            break
    else:
        raise ValueError("spec.indicator has none of ratio, latency, latencyNative, bool_gauge")
    part = indicator[kind] or {}
    if part.get("grouping"):
        raise ValueError(
            f"spec.indicator.{kind}.grouping: a grouped SLO records one series per group; "
            "write one check per group with its labels in pyrra.selectors"
        )
    metric_text = part.get("metric") if kind in ("bool_gauge", "boolGauge") else (part.get("total") or {}).get("metric")
    if not metric_text:
        raise ValueError(f"spec.indicator.{kind}: the total metric is missing")
    metric, matchers = _parse_selector(str(metric_text), f"spec.indicator.{kind}")
    # Pyrra's rule name: the total metric without _total, then without _count; its labels are `slo` plus
    # the total metric's equality matchers.
    prefix = metric.removesuffix("_total").removesuffix("_count")
    selectors = ", ".join(f'{label}="{value}"' for label, op, value in matchers if op == "=")
    pyrra: dict[str, Any] = {"slo": name, "metric": prefix}
    if selectors:
        pyrra["selectors"] = selectors
    if kind in ("ratio", "latency"):
        # A counter: its rate over each window tells a service without error series (no ratio recorded)
        # from one without traffic.
        pyrra["total"] = _render_selector(metric, matchers)
    if kind == "latency":
        # Its burnrate records whenever the histogram has series: a window without one is a stopped rule group.
        pyrra["indicator"] = "latency"
    errors_text = (part.get("errors") or {}).get("metric") if kind == "ratio" else None
    if errors_text:
        # The raw errors tell zero errors from a burnrate rule group that stopped evaluating.
        errors_metric, errors_matchers = _parse_selector(str(errors_text), f"spec.indicator.{kind}.errors")
        pyrra["errors"] = _render_selector(errors_metric, errors_matchers)
    where = f"{metadata.get('namespace')}/{name}" if metadata.get("namespace") else name
    window = spec.get("window")
    if not window:
        # Pyrra refuses an SLO without a window ("window must be set"): it records no rules to read.
        raise ValueError("spec.window is missing (Pyrra requires the SLO window, e.g. 28d)")
    return {
        "name": _check_name(name),
        "kind": "error_budget",
        "description": str(spec.get("description") or f"Pyrra SLO {where}"),
        "source": source,
        "objective": _percent(spec.get("target"), "spec.target"),
        "period": str(window),
        "pyrra": pyrra,
    }


def _from_sloth(
    document: dict[str, Any], source: str, period: str, windows: Mapping[float, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    spec = document.get("spec") if "spec" in document else document
    if not isinstance(spec, dict):
        raise ValueError("spec is missing")
    service = _name(spec.get("service"), "service")
    if not service:
        raise ValueError("service is missing")
    tiers = _sloth_tiers(period, windows, "period")
    checks = []
    for index, slo in enumerate(spec.get("slos") or []):
        slo_name = _name(slo.get("name"), f"slos[{index}].name")
        if not slo_name:
            raise ValueError(f"slos[{index}].name is missing")
        sloth_id = f"{service}-{slo_name}"
        sloth: dict[str, Any] = {"sloth_id": sloth_id}
        total_query = _sloth_events_query(slo.get("sli"), "total_query", "totalQuery")
        if total_query is not None:
            sloth["total_query"] = total_query
            errors_query = _sloth_events_query(slo.get("sli"), "error_query", "errorQuery")
            if errors_query is not None:
                sloth["errors_query"] = errors_query
        check = {
            "name": _check_name(sloth_id),
            "kind": "error_budget",
            "description": str(slo.get("description") or f"Sloth SLO {sloth_id}"),
            "source": source,
            "objective": _percent(slo.get("objective"), f"slos[{index}].objective"),
            "period": period,
            "sloth": sloth,
        }
        checks.append(check if tiers is None else {**check, "tiers": [dict(tier) for tier in tiers]})
    if not checks:
        raise ValueError("slos is empty")
    return checks


def _sloth_events_query(sli: Any, key: str, crd_key: str) -> str | None:
    """An events SLI's query (`key`: total_query, error_query) with Sloth's `{{.window}}` written as the check's
    `{{ window }}`; None for raw and plugin SLIs (no events) and for templates using anything but the window."""
    events = sli.get("events") if isinstance(sli, dict) else None
    # The prometheus/v1 spec writes total_query; the Kubernetes CRD (PrometheusServiceLevel) writes totalQuery.
    query = (events.get(key) or events.get(crd_key)) if isinstance(events, dict) else None
    if not isinstance(query, str):
        return None
    converted = _SLOTH_WINDOW_RE.sub("{{ window }}", query).strip()
    if "{{ window }}" not in converted or _GO_TEMPLATE_RE.search(converted.replace("{{ window }}", "")):
        return None
    return converted


def _from_openslo(document: dict[str, Any], slis: Mapping[str, dict[str, Any]], source: str) -> list[dict[str, Any]]:
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = _name(metadata.get("name"), "metadata.name")
    method = spec.get("budgetingMethod", "Occurrences")
    if method != "Occurrences":
        raise ValueError(f"budgetingMethod {method!r}: only Occurrences (event counts) converts to burn rates")
    windows = spec.get("timeWindow") or []
    if len(windows) != 1 or not windows[0].get("isRolling", False):
        raise ValueError("timeWindow: only one rolling window converts (calendar windows do not)")
    period = str(windows[0].get("duration", ""))
    if not _OPENSLO_DURATION_RE.fullmatch(period):
        raise ValueError(f"timeWindow.duration {period!r}: only minutes, hours, days or weeks (e.g. 28d)")
    objectives = spec.get("objectives") or []
    if not objectives:
        raise ValueError("objectives is empty")
    checks = []
    for index, objective in enumerate(objectives):
        where = f"objectives[{index}]"
        weight = objective.get("compositeWeight", 1)
        # YAML's `true` equals 1 in Python: a weight is a number, not a flag.
        if isinstance(weight, bool) or weight != 1:
            # A weighted composite burns by the weighted sum of its objectives: no check of one objective says it.
            raise ValueError(f"{where}.compositeWeight {weight!r}: a weighted composite SLO does not convert")
        # A composite SLO gives each objective its own SLI; the others share the SLO's.
        if "indicator" in objective or "indicatorRef" in objective:
            ratio = _openslo_indicator(objective, slis, f"{where}.")
        else:
            ratio = _openslo_indicator(spec, slis, "")
        if "target" in objective:
            target = _percent_of_ratio(objective["target"], f"objectives[{index}].target")
        elif "targetPercent" in objective:
            target = _percent(objective["targetPercent"], f"objectives[{index}].targetPercent")
        else:
            raise ValueError(f"objectives[{index}] has neither target nor targetPercent")
        suffix = "" if len(objectives) == 1 else "-" + (objective.get("displayName") or str(index + 1))
        checks.append(
            {
                "name": _check_name(name + suffix),
                "kind": "error_budget",
                "description": str(spec.get("description") or f"OpenSLO SLO {name}"),
                "source": source,
                "objective": target,
                "period": period,
                "ratio": ratio,
            }
        )
    return checks


def _openslo_indicator(holder: Mapping[str, Any], slis: Mapping[str, dict[str, Any]], where: str) -> dict[str, str]:
    """The ratio templates of the SLI that `holder` (an SLO's spec or one objective) names or holds inline."""
    if "indicatorRef" in holder:
        sli = slis.get(str(holder["indicatorRef"]))
        if sli is None:
            raise ValueError(f"{where}indicatorRef {holder['indicatorRef']!r} names no SLI document")
    elif "indicator" in holder:
        sli = holder["indicator"] or {}
    else:
        raise ValueError("neither spec.indicator nor spec.indicatorRef names the SLI")
    try:
        return _openslo_ratio(sli.get("spec") or {})
    except ValueError as exc:
        raise ValueError(f"{where}{'indicatorRef' if 'indicatorRef' in holder else 'indicator'}: {exc}") from None


def _from_openslo_v1alpha(
    document: dict[str, Any], source: str, default_period: str, alert_windows: Mapping[float, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Sloth's reading of an OpenSLO v1alpha SLO: each objective is the Sloth SLO with id
    `<service>-<name>-<index>` over `timeWindows[0].count` days (Sloth's default period without one), whose
    recording rules the check reads."""
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name, service = _name(metadata.get("name"), "metadata.name"), _name(spec.get("service"), "spec.service")
    if not name or not service:
        raise ValueError(f"metadata.name and spec.service are needed ({_V1ALPHA_RULE})")
    method = spec.get("budgetingMethod", "Occurrences")
    if method != "Occurrences":
        raise ValueError(f"budgetingMethod {method!r}: only Occurrences (event counts) converts ({_V1ALPHA_RULE})")
    windows = spec.get("timeWindows") or []
    if len(windows) > 1:
        raise ValueError(f"timeWindows has {len(windows)} windows, Sloth reads one ({_V1ALPHA_RULE})")
    period = default_period
    if windows:
        unit, count = str(windows[0].get("unit", "")), windows[0].get("count")
        if unit.lower() != "day" or not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise ValueError(
                f"timeWindows[0]: {count!r} {unit!r}: Sloth reads a whole number of days ({_V1ALPHA_RULE})"
            )
        period = f"{count}d"
    tiers = _sloth_tiers(period, alert_windows, "timeWindows[0]" if windows else "period")
    objectives = spec.get("objectives") or []
    if not objectives:
        raise ValueError("objectives is empty")
    checks = []
    for index, objective in enumerate(objectives):
        where = f"objectives[{index}]"
        ratio = objective.get("ratioMetrics")
        if not isinstance(ratio, dict):
            raise ValueError(f"{where} has no ratioMetrics ({_V1ALPHA_RULE})")
        for part in ("good", "total"):
            query = ratio.get(part) or {}
            if query.get("source") not in ("prometheus", "sloth") or query.get("queryType") != "promql":
                raise ValueError(
                    f"{where}.ratioMetrics.{part} needs source prometheus and queryType promql ({_V1ALPHA_RULE})"
                )
        if "target" not in objective:
            raise ValueError(f"{where}.target is missing")
        sloth_id = f"{service}-{name}-{index}"
        check = {
            "name": _check_name(sloth_id),
            "kind": "error_budget",
            "description": str(spec.get("description") or f"Sloth SLO {sloth_id} (OpenSLO v1alpha)"),
            "source": source,
            "objective": _percent_of_ratio(objective["target"], f"{where}.target"),
            "period": period,
            "sloth": {"sloth_id": sloth_id},
        }
        checks.append(check if tiers is None else {**check, "tiers": [dict(tier) for tier in tiers]})
    return checks


def _openslo_ratio(sli_spec: dict[str, Any]) -> dict[str, str]:
    ratio = sli_spec.get("ratioMetric")
    if not ratio:
        raise ValueError("the SLI has no ratioMetric (thresholdMetric does not convert to event counts)")
    if isinstance(ratio, dict) and ratio.get("raw") is not None:
        # A precomputed ratio (rawType success or failure): a check needs the events' counts over each window.
        raise ValueError(
            "ratioMetric.raw is a precomputed ratio, which does not convert: burn rates need the events' counts, "
            "ratioMetric good or bad, and total"
        )
    if not ratio.get("counter", False):
        raise ValueError("ratioMetric.counter is false: only counters can be rated over each window")
    total = _windowed_rate(ratio.get("total"), "ratioMetric.total")
    if ratio.get("bad"):
        return {"errors": _windowed_rate(ratio["bad"], "ratioMetric.bad"), "total": total}
    if ratio.get("good"):
        good = _windowed_rate(ratio["good"], "ratioMetric.good")
        # Absent good events with traffic are all bad; `or vector(0)` keeps them from reading as zero errors.
        return {"errors": f"{total} - ({good} or vector(0))", "total": total}
    raise ValueError("ratioMetric needs good or bad, and total")


def _windowed_rate(metric: Any, field: str) -> str:
    """`sum(rate(<selector>[{{ window }}]))` from an OpenSLO Prometheus metric source of a counter."""
    source = (metric or {}).get("metricSource") or {}
    if str(source.get("type", "")).lower() != "prometheus":
        raise ValueError(f"{field}.metricSource.type must be Prometheus, got {source.get('type')!r}")
    query = str((source.get("spec") or {}).get("query") or "")
    inner = _SUM_RE.fullmatch(query)
    selector = inner.group(1) if inner else query
    name, matchers = _parse_selector(selector, f"{field}.metricSource.spec.query")
    return f"sum(rate({_render_selector(name, matchers)}[{{{{ window }}}}]))"
