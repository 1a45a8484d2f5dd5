"""What `analyzer run` shows a pipeline: a human summary on stdout and an optional JUnit XML report.
Checks whose details hold `steps` (http_smoke) get one line and one test case per step."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from analyzer.models import Evaluation, Outcome, clip, printable

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

_LABELS = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR", "not_run": "NOT RUN"}
_MAX_TEXT_CHARS = 4000
# Characters XML 1.0 cannot hold, even escaped (a response body may bring them; a lone surrogate, an upstream's
# JSON escape `\ud800`, is no character at all). A pattern, compiled (and kept by `re`) with the first report: most
# Jobs write none.
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"


def steps_of(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The per-step evidence of a check that has steps, else an empty list."""
    steps = (evaluation.details or {}).get("steps")
    if not isinstance(steps, list):
        return []
    return [step for step in steps if isinstance(step, dict) and isinstance(step.get("name"), str)]


def human_summary(evaluation: Evaluation) -> str:
    """The verdict line, then one line per step with its status, latency and failed assertions, and one per member
    of a composite that could not be evaluated."""
    lines = [evaluation.to_text()]
    steps = steps_of(evaluation)
    # Every field a kind hands over is written `printable`: a newline in one (a third-party kind's step named from
    # a target's answer) would start a line of its own, `PASS ...` to a CI gate grepping `^PASS`.
    names = [printable(step["name"]) for step in steps]
    width = max(map(len, names), default=0)
    for step, name in zip(steps, names, strict=True):
        outcome = str(step.get("outcome", ""))
        request = step.get("request") or {}
        line = f"  {printable(_LABELS.get(outcome, outcome.upper())):<12} {name:<{width}}"
        if isinstance(request, dict) and request:
            line += f"  {_shown(request.get('method', ''))} {_shown(request.get('url', ''))}"
        elif request:
            # A kind's request that is no object (its own text of it): shown as it is, not a crash in place of the
            # verdict's code.
            line += f"  {_shown(request)}"
        if step.get("status") is not None:
            latency = step.get("latency_ms", 0)
            # A number as the built-in kinds write it; anything else a kind hands over as it is, not a crash (exit 1,
            # which a Job retries) in place of the verdict's code.
            shown_latency = f"{latency:.1f}" if isinstance(latency, int | float) else _shown(latency)
            line += f" -> {_shown(step['status'])} in {shown_latency} ms"
        repeat = step.get("repeat")
        if isinstance(repeat, dict):
            successes, requests, p95, p99 = (
                _shown(repeat.get(key)) for key in ("successes", "requests", "p95_ms", "p99_ms")
            )
            line += f" ({successes}/{requests} passed, p95 {p95} ms, p99 {p99} ms)"
        lines.append(line.rstrip())
        lines.extend(f"               - {printable(str(failure))}" for failure in step.get("failed_assertions") or [])
        if step.get("error"):
            lines.append(f"               - {printable(str(step['error']))}")
    lines.extend(_unevaluated_members(evaluation))
    return "\n".join(lines)


def _unevaluated_members(evaluation: Evaluation) -> list[str]:
    """A composite's members that could not be evaluated, one line each with its error code and whole reason: a Job
    logs no `check_evaluated` of them, and the verdict line gives the first one's reason only, clipped."""
    members = (evaluation.details or {}).get("members")
    if not isinstance(members, list):
        return []
    found = [
        (printable(member["check"]), member)
        for member in members
        if isinstance(member, dict) and isinstance(member.get("check"), str) and member.get("verdict") == "error"
    ]
    width = max((len(name) for name, _ in found), default=0)
    return [
        f"  {_LABELS['error']:<12} {name:<{width}}  "
        + printable(
            f"{member['error']}: " + str(member.get("reason", ""))
            if member.get("error")
            else str(member.get("reason", ""))
        )
        for name, member in found
    ]


def _shown(value: object) -> str:
    """`value` as a step line writes it: its text, `printable`."""
    return printable(str(value))


def junit_xml(evaluation: Evaluation) -> bytes:
    """A JUnit report: one test suite for the check, one test case per step (or one for the check).

    Fail and inconclusive become <failure> (inconclusive is not a pass), error becomes <error>,
    steps not run after an earlier failure become <skipped>.
    """
    # Imported here: most Jobs write no report, and the XML modules cost every Job about 10M instructions.
    import xml.etree.ElementTree as ET

    steps = steps_of(evaluation)
    cases = [_step_case(evaluation, step) for step in steps] if steps else [_check_case(evaluation)]
    if evaluation.verdict is not Outcome.PASS and all(
        case.find("failure") is None and case.find("error") is None for case in cases
    ):
        # A verdict that is no pass never reads as one: steps that all passed under a verdict judged over them
        # (a kind's own rule across its steps) leave the report green, so the check's own case says it.
        cases.append(_check_case(evaluation))
    counts = {kind: sum(1 for case in cases if case.find(kind) is not None) for kind in ("failure", "error", "skipped")}
    seconds = f"{evaluation.duration_ms / 1000:.3f}"
    root = ET.Element(
        "testsuites",
        name="analyzer",
        tests=str(len(cases)),
        failures=str(counts["failure"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        time=seconds,
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=evaluation.check,
        tests=str(len(cases)),
        failures=str(counts["failure"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        time=seconds,
        timestamp=evaluation.evaluated_at.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("kind", evaluation.kind),
        ("verdict", evaluation.verdict.value),
        ("reason", evaluation.reason),
        *((f"arg.{k}", str(v)) for k, v in evaluation.args.items()),
    ):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    suite.extend(cases)
    ET.SubElement(suite, "system-out").text = _xml_text(human_summary(evaluation))
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _check_case(evaluation: Evaluation) -> ET.Element:
    import xml.etree.ElementTree as ET

    case = ET.Element(
        "testcase",
        classname=f"analyzer.{evaluation.kind}",
        name=evaluation.check,
        time=f"{evaluation.duration_ms / 1000:.3f}",
    )
    _mark(case, evaluation.verdict.value, evaluation.reason, evaluation.error or evaluation.verdict.value)
    return case


def _step_case(evaluation: Evaluation, step: dict[str, Any]) -> ET.Element:
    import xml.etree.ElementTree as ET

    latency_ms = step.get("latency_ms")
    if not (isinstance(latency_ms, int | float) and math.isfinite(latency_ms)):
        # A kind's latency that is no number (a crash, exit 1 in place of the verdict's code), or NaN or infinity
        # (a time a CI server's parser refuses): no time.
        latency_ms = 0
    case = ET.Element(
        "testcase",
        classname=f"analyzer.{evaluation.kind}.{evaluation.check}",
        # A kind's step name, as a target's answer may have made it: the report stays XML.
        name=_xml_text(step["name"]),
        time=f"{latency_ms / 1000:.3f}",
    )
    outcome = str(step.get("outcome", ""))
    failures = [str(f) for f in step.get("failed_assertions") or []]
    if outcome == "not_run":
        ET.SubElement(case, "skipped", message="not run: an earlier step did not pass")
    elif outcome == Outcome.ERROR.value:
        _mark(case, outcome, str(step.get("error") or evaluation.reason), evaluation.error or "error")
    elif outcome != Outcome.PASS.value:
        _mark(case, outcome, failures[0] if failures else evaluation.reason, outcome, "\n".join(failures))
    return case


def _mark(case: ET.Element, outcome: str, message: str, kind: str, text: str = "") -> None:
    import xml.etree.ElementTree as ET

    if outcome == Outcome.PASS.value:
        return
    tag = "error" if outcome == Outcome.ERROR.value else "failure"
    element = ET.SubElement(case, tag, message=_xml_text(message), type=_xml_text(kind))
    element.text = _xml_text(text or message)


def _xml_text(text: str) -> str:
    """Text XML can hold (characters it cannot are replaced), clipped to a size CI servers display."""
    text = re.sub(_NOT_XML, "\ufffd", text)
    return clip(text, _MAX_TEXT_CHARS)
