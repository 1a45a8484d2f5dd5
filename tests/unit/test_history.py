"""Tests of analyzer.history: a bounded ring of run-endpoint answers, newest first, filtered."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from analyzer.history import VerdictHistory
from analyzer.models import Evaluation, Outcome, strict_json


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


WHERE = {"request_id": "r", "catalog_version": "v1", "client": None, "user_agent": "Go-http-client/1.1"}


def evaluation(check: str, verdict: Outcome, status: int = 200) -> Evaluation:
    return Evaluation(
        check=check,
        kind="prometheus",
        verdict=verdict,
        reason=f"{check} {verdict}",
        value=1.0,
        evaluated_at=datetime.now(UTC),
        duration_ms=1.0,
        http_status=status,
        error="source_unavailable" if verdict is Outcome.ERROR else None,
        details={"q": 1},
    )


class TestVerdictHistory:
    """The ring keeps the last `capacity` entries and answers newest first."""

    def test_newest_first_and_bounded(self):
        history = VerdictHistory(3)
        for index in range(5):
            history.record_evaluation(evaluation(f"c{index}", Outcome.PASS), **WHERE)
        assert [e.check for e in history.query()] == ["c4", "c3", "c2"]
        assert len(history) == 3

    def test_filters_by_check_verdict_and_visibility(self):
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("a", Outcome.PASS), **WHERE)
        history.record_evaluation(evaluation("a", Outcome.ERROR, 503), **WHERE)
        history.record_evaluation(evaluation("b", Outcome.ERROR, 503), **WHERE)
        history.record_rejection("a", http_status=400, error="bad_arg", message="bad", args={"x": "y"}, **WHERE)
        assert [e.verdict for e in history.query(check="a")] == ["rejected", "error", "pass"]
        assert [e.check for e in history.query(verdict="error")] == ["b", "a"]
        assert [e.check for e in history.query(verdict="error", visible=lambda name: name == "a")] == ["a"]
        assert len(history.query(limit=2)) == 2

    def test_an_error_entry_keeps_status_code_and_reason(self):
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("a", Outcome.ERROR, 503), **WHERE)
        entry = history.query()[0]
        assert (entry.http_status, entry.error, entry.reason) == (503, "source_unavailable", "a error")
        assert entry.to_json(explain=False)["recorded_at"].endswith("Z")

    def test_rejected_args_are_truncated(self):
        history = VerdictHistory(10)
        args = {f"k{i}": "v" * 10_000 for i in range(100)}
        history.record_rejection("a" * 500, http_status=400, error="bad_arg", message="m", args=args, **WHERE)
        entry = history.query()[0]
        assert len(entry.args) == 32 and all(len(str(v)) == 256 for v in entry.args.values())
        assert len(entry.check) == 128


class TestEntryJson:
    """An entry lists its fields in the documented order, with evidence spelt as in the run endpoint's answer."""

    KEYS = [
        "seq",
        "recorded_at",
        "request_id",
        "check",
        "kind",
        "verdict",
        "http_status",
        "reason",
        "error",
        "value",
        "threshold",
        "args",
        "evaluated_at",
        "duration_ms",
        "catalog_version",
        "client",
        "user_agent",
    ]

    def test_evaluated_entry(self):
        history = VerdictHistory(10)
        evaluated = evaluation("a", Outcome.INCONCLUSIVE).model_copy(
            update={"value": math.nan, "details": {"x": math.inf, "series": [math.nan]}}
        )
        history.record_evaluation(evaluated, **WHERE)
        body = history.query()[0].to_json(explain=True)
        assert list(body) == [*self.KEYS, "details"]
        assert body["value"] is None
        assert body["details"] == {"x": "+Inf", "series": ["NaN"]}
        assert body["details"] == json.loads(evaluated.json_body(True))["details"]
        assert "details" not in history.query()[0].to_json(explain=False)

    def test_rejected_entry(self):
        history = VerdictHistory(10)
        history.record_rejection("a", http_status=400, error="bad_arg", message="bad", args={"x": "y"}, **WHERE)
        body = history.query()[0].to_json(explain=True)
        assert list(body) == [*self.KEYS, "details"]
        assert (body["verdict"], body["kind"], body["evaluated_at"], body["details"]) == ("rejected", None, None, None)
        assert body["args"] == {"x": "y"}

    def test_a_rejected_non_finite_number_is_spelt(self):
        # A JSON body's 1e999 reads as infinity: the arg's check refuses it, and the history keeps it spelt.
        history = VerdictHistory(10)
        args = {"n": math.inf, "m": -math.inf, "o": math.nan, "p": 2.5, "q": 7}
        history.record_rejection("a", http_status=400, error="bad_arg", message="bad", args=args, **WHERE)
        body = history.query()[0].to_json(explain=False)
        assert body["args"] == {"n": "+Inf", "m": "-Inf", "o": "NaN", "p": 2.5, "q": 7}
        json.loads(strict_json(body), parse_constant=_no_constant)

    def test_redacted_entry_keeps_the_verdict_only(self):
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("a", Outcome.FAIL), **{**WHERE, "client": "ci"})
        body = history.query()[0].redact().to_json(explain=True)
        assert (body["verdict"], body["reason"]) == ("fail", "a fail")
        assert (body["args"], body["client"], body["user_agent"], body["details"]) == ({}, None, None, None)
