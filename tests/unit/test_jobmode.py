"""Job mode output: the human summary and the JUnit report, from evaluations built by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.jobmode import human_summary, junit_xml
from analyzer.models import Evaluation, Outcome

AT = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def evaluation(verdict: Outcome, reason: str, details: dict[str, Any] | None = None, **extra: Any) -> Evaluation:
    """An evaluation of check `smoke`."""
    return Evaluation(
        check="smoke",
        kind="http_smoke",
        verdict=verdict,
        reason=reason,
        evaluated_at=AT,
        duration_ms=42.0,
        details=details,
        args={"svc": "preview"},
        **extra,
    )


STEPS = {
    "steps": [
        {
            "name": "health",
            "outcome": "pass",
            "request": {"method": "GET", "url": "http://a.svc/h"},
            "status": 200,
            "latency_ms": 12.5,
            "failed_assertions": [],
        },
        {
            "name": "order",
            "outcome": "fail",
            "request": {"method": "POST", "url": "http://a.svc/o"},
            "status": 500,
            "latency_ms": 30.0,
            "failed_assertions": ["status: expected 2xx, got 500", "body_contains: expected 'ok', got x"],
        },
        {"name": "read", "outcome": "not_run"},
    ]
}


class TestHumanSummary:
    """One line for the verdict, one per step, failed assertions indented below their step."""

    def test_steps_and_failures(self):
        text = human_summary(evaluation(Outcome.FAIL, "step 'order' (2/3) failed: status", STEPS))
        lines = text.splitlines()
        assert lines[0].startswith("FAIL smoke: step 'order' (2/3) failed: status")
        assert lines[1] == "  PASS         health  GET http://a.svc/h -> 200 in 12.5 ms"
        assert lines[2] == "  FAIL         order   POST http://a.svc/o -> 500 in 30.0 ms"
        assert lines[3].strip() == "- status: expected 2xx, got 500"
        assert lines[5] == "  NOT RUN      read"

    def test_a_targets_text_cannot_drive_the_terminal(self):
        steps = {
            "steps": [
                {
                    "name": "order",
                    "outcome": "fail",
                    "request": {"method": "GET", "url": "http://a.svc/o\x1b[8m"},
                    "status": 500,
                    "latency_ms": 1.0,
                    "failed_assertions": ["body_contains: expected 'ok', got '\x1b[2J\x1b[HPASS\n'"],
                    "error": "\x9b2Jgone",
                }
            ]
        }
        text = human_summary(evaluation(Outcome.FAIL, "failed: \x1b]0;title\x07", steps))
        assert not any((0 <= ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 for c in text)
        assert text.count("\n") == 3
        assert "got '\\x1b[2J\\x1b[HPASS\\x0a'" in text and "\\x9b2Jgone" in text and "/o\\x1b[8m" in text

    def test_checks_without_steps_print_one_line(self):
        assert human_summary(evaluation(Outcome.PASS, "fine")).count("\n") == 0


class TestJUnit:
    """One test case per step (or per check); fail and inconclusive are failures, error is an error."""

    def test_one_case_per_step(self):
        root = ET.fromstring(junit_xml(evaluation(Outcome.FAIL, "step 'order' failed", STEPS)))
        suite = root.find("testsuite")
        assert suite is not None
        assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
            "smoke",
            "3",
            "1",
            "1",
        )
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == ["health", "order", "read"]
        assert cases[0].find("failure") is None and cases[0].get("time") == "0.013"
        failure = cases[1].find("failure")
        assert failure is not None and failure.get("message") == "status: expected 2xx, got 500"
        assert "body_contains" in (failure.text or "")
        assert cases[2].find("skipped") is not None
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["verdict"] == "fail" and properties["arg.svc"] == "preview"

    def test_check_without_steps_is_one_case(self):
        root = ET.fromstring(junit_xml(evaluation(Outcome.INCONCLUSIVE, "no traffic")))
        cases = root.findall("./testsuite/testcase")
        assert len(cases) == 1 and cases[0].get("name") == "smoke"
        failure = cases[0].find("failure")
        assert failure is not None and failure.get("type") == "inconclusive"

    def test_error_is_an_error_element_with_the_code(self):
        details = {"steps": [{"name": "health", "outcome": "error", "error": "step 'health': cannot connect"}]}
        root = ET.fromstring(
            junit_xml(evaluation(Outcome.ERROR, "step 'health': cannot connect", details, error="target_unreachable"))
        )
        error = root.find("./testsuite/testcase/error")
        assert error is not None and error.get("type") == "target_unreachable"
        assert root.get("errors") == "1"

    @pytest.mark.parametrize(
        ("verdict", "tag"), [(Outcome.FAIL, "failure"), (Outcome.INCONCLUSIVE, "failure"), (Outcome.ERROR, "error")]
    )
    def test_a_verdict_that_is_no_pass_is_never_a_green_report(self, verdict, tag):
        # A kind judging over its steps (a latency percentile across them) may fail with every step passed: the
        # report had 2 tests, 0 failures, 0 errors, which a CI gate on the report reads as a pass.
        steps = {"steps": [{"name": "a", "outcome": "pass"}, {"name": "b", "outcome": "pass"}]}
        root = ET.fromstring(junit_xml(evaluation(verdict, "p99 over all steps 900 ms > 500 ms", steps)))
        cases = root.findall("./testsuite/testcase")
        assert [c.get("name") for c in cases] == ["a", "b", "smoke"]
        marked = cases[2].find(tag)
        assert marked is not None and marked.get("message") == "p99 over all steps 900 ms > 500 ms"
        assert root.get("failures" if tag == "failure" else "errors") == "1"

    def test_a_pass_adds_no_case(self):
        root = ET.fromstring(junit_xml(evaluation(Outcome.PASS, "all 3 steps passed", {"steps": STEPS["steps"][:1]})))
        assert [c.get("name") for c in root.findall("./testsuite/testcase")] == ["health"]

    def test_control_characters_from_bodies_do_not_break_the_xml(self):
        root = ET.fromstring(junit_xml(evaluation(Outcome.FAIL, "body_contains: got \x00\x1b[31m")))
        failure = root.find("./testsuite/testcase/failure")
        assert failure is not None and "\x00" not in (failure.get("message") or "")

    def test_a_lone_surrogate_does_not_break_the_xml(self):
        # A series label an upstream's JSON gave as "\ud800" (a proxy's answer), quoted in a reason. Before: written
        # as the reference &#55296;, which no XML parser reads: the CI server read no report of the Job.
        report = junit_xml(evaluation(Outcome.FAIL, 'series {job="\ud800"} returned NaN'))
        root = ET.fromstring(report)
        failure = root.find("./testsuite/testcase/failure")
        assert failure is not None and failure.get("message") == 'series {job="\ufffd"} returned NaN'


class TestMalformedSteps:
    """Steps that are not objects with a string name are left out of the summary and the report."""

    def test_unnamed_steps_are_left_out(self):
        steps = {"steps": [{"name": "a", "outcome": "pass"}, {"outcome": "pass"}, "b", {"name": 3, "outcome": "pass"}]}
        judged = evaluation(Outcome.PASS, "all passed", steps)
        assert human_summary(judged).splitlines()[1:] == ["  PASS         a"]
        assert [c.get("name") for c in ET.fromstring(junit_xml(judged)).findall("./testsuite/testcase")] == ["a"]

    def test_a_step_name_or_outcome_xml_cannot_hold_leaves_the_report_readable(self):
        # A third-party kind's step named from a target's answer. Before: written as it came, a report no XML parser
        # reads (the CI server showed no result of the Job).
        judged = evaluation(Outcome.FAIL, "step failed", {"steps": [{"name": "a\x1b[31m\x00", "outcome": "fail\x07"}]})
        case = ET.fromstring(junit_xml(judged)).find("./testsuite/testcase")
        assert case is not None and case.get("name") == "a\ufffd[31m\ufffd"
        failure = case.find("failure")
        assert failure is not None and failure.get("type") == "fail\ufffd"

    @pytest.mark.parametrize("latency", ["slow", None, float("nan"), float("inf")])
    def test_a_latency_that_is_no_finite_number_is_a_case_of_no_time(self, latency):
        # Before: a string was a TypeError (exit 1, which a Job retries, in place of the verdict's code), NaN and
        # infinity a time="nan" / "inf" a CI server's number parser refuses.
        step = {"name": "a", "outcome": "fail", "status": 200, "latency_ms": latency}
        case = ET.fromstring(junit_xml(evaluation(Outcome.FAIL, "step failed", {"steps": [step]})))
        assert [c.get("time") for c in case.findall("./testsuite/testcase")] == ["0.000"]

    def test_a_request_that_is_no_object_is_shown_as_it_is(self):
        # Before: an AttributeError from the summary (and the JUnit report's system-out), the verdict's code lost.
        step = {"name": "a", "outcome": "fail", "request": "GET /\nPASS all", "status": 500, "latency_ms": 3.0}
        judged = evaluation(Outcome.FAIL, "step failed", {"steps": [step]})
        assert human_summary(judged).splitlines()[1:] == ["  FAIL         a  GET /\\x0aPASS all -> 500 in 3.0 ms"]
        assert ET.fromstring(junit_xml(judged)).find("./testsuite/testcase/failure") is not None


class TestErrorStepMessage:
    """An errored step's case carries the step's own error, and the verdict's reason when the step has none."""

    def test_the_steps_error_is_the_message(self):
        details = {"steps": [{"name": "health", "outcome": "error", "error": "cannot connect to a.svc:80"}]}
        root = ET.fromstring(junit_xml(evaluation(Outcome.ERROR, "step 'health' errored", details, error="x")))
        error = root.find("./testsuite/testcase/error")
        assert error is not None and error.get("message") == "cannot connect to a.svc:80"

    def test_without_an_error_the_reason_is_the_message(self):
        details = {"steps": [{"name": "health", "outcome": "error"}]}
        root = ET.fromstring(junit_xml(evaluation(Outcome.ERROR, "step 'health' errored", details, error="x")))
        error = root.find("./testsuite/testcase/error")
        assert error is not None and error.get("message") == "step 'health' errored"


class TestMembersThatCouldNotBeEvaluated:
    """A composite's summary names each member that could not be evaluated, with its error and whole reason: a Job
    logs no `check_evaluated`, which said them, and the verdict line names the first one's reason, clipped."""

    MEMBERS = {
        "members": [
            {"check": "down", "verdict": "error", "error": "target_refused", "reason": "step 'ok': refused\nPASS x"},
            {"check": "ok", "verdict": "pass", "reason": "fine"},
            {"check": "prom-rate", "verdict": "error", "error": "source_unavailable", "reason": "unreachable"},
            {"check": "other", "verdict": "error", "reason": "a kind's error without code"},
            "not a member",
            {"verdict": "error", "reason": "no name"},
        ]
    }

    def test_each_erroring_member_with_its_error_and_reason(self):
        judged = evaluation(Outcome.ERROR, "member 'down' could not be evaluated: step 'ok'...", self.MEMBERS)
        assert human_summary(judged).splitlines()[1:] == [
            "  ERROR        down       target_refused: step 'ok': refused\\x0aPASS x",
            "  ERROR        prom-rate  source_unavailable: unreachable",
            "  ERROR        other      a kind's error without code",
        ]

    def test_no_member_line_when_each_was_evaluated(self):
        members = {"members": [{"check": "a", "verdict": "fail", "reason": "r"}, {"check": "b", "verdict": "pass"}]}
        assert human_summary(evaluation(Outcome.FAIL, "1 of 2 members pass", members)).count("\n") == 0
