"""Tests of analyzer.history: a bounded ring of run-endpoint answers, newest first, filtered."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from datetime import UTC, datetime

from analyzer.history import HistoryEntry, VerdictHistory
from analyzer.models import Evaluation, Outcome, strict_json


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


WHERE = {
    "caller": "argo",
    "request_id": "r",
    "catalog_version": "v1",
    "client": None,
    "user_agent": "Go-http-client/1.1",
}


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

    def test_an_entry_is_listed_when_every_check_it_ran_is_visible(self):
        # A composite's answer holds its members' verdicts and reasons: hidden with a member the caller may not use.
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("gate", Outcome.PASS), **WHERE, reached=frozenset({"member"}))
        assert [e.check for e in history.query(visible=lambda name: name == "gate")] == []
        assert [e.check for e in history.query(visible=lambda name: name in ("gate", "member"))] == ["gate"]

    def test_an_entry_is_hidden_when_one_of_the_checks_it_ran_is_not_visible(self):
        # One member the caller may use is not enough: the answer holds the other member's verdict and reason too.
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("gate", Outcome.PASS), **WHERE, reached=frozenset({"mine", "theirs"}))
        assert [e.check for e in history.query(visible=lambda name: name in ("gate", "mine"))] == []
        assert [e.check for e in history.query(visible=lambda name: name in ("gate", "mine", "theirs"))] == ["gate"]

    def test_an_error_entry_keeps_status_code_and_reason(self):
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("a", Outcome.ERROR, 503), **WHERE)
        entry = history.query()[0]
        assert (entry.http_status, entry.error, entry.reason) == (503, "source_unavailable", "a error")
        assert entry.to_json(explain=False)["recorded_at"].endswith("Z")

    def test_a_rejected_boolean_arg_is_kept_as_text(self):
        # The entry's args are text or numbers (HistoryEntry): a JSON body's true, refused, is not a number.
        history = VerdictHistory(10)
        history.record_rejection("a", http_status=400, error="bad_arg", message="m", args={"x": True, "y": 2}, **WHERE)
        assert history.query()[0].args == {"x": "True", "y": 2}

    def test_rejected_args_are_truncated(self):
        history = VerdictHistory(10)
        args = {f"k{i}": "v" * 10_000 for i in range(100)}
        history.record_rejection("a" * 500, http_status=400, error="bad_arg", message="m", args=args, **WHERE)
        entry = history.query()[0]
        assert len(entry.args) == 32 and all(len(str(v)) == 256 for v in entry.args.values())
        assert len(entry.check) == 128


class TestFairShare:
    """A full ring drops the oldest entry of the caller holding the most: one caller's flood evicts its own
    entries, not another's, and the ring never holds more than its capacity."""

    @staticmethod
    def record(history: VerdictHistory, caller: str, check: str) -> None:
        history.record_evaluation(evaluation(check, Outcome.PASS), **{**WHERE, "caller": caller, "client": caller})

    def test_a_flood_by_one_caller_does_not_evict_another_callers_entries(self):
        history = VerdictHistory(10)
        for index in range(3):
            self.record(history, "team-a", f"a{index}")
        for index in range(1000):
            self.record(history, "team-b", f"b{index}")
        assert len(history) == 10
        assert [e.check for e in history.query() if e.client == "team-a"] == ["a2", "a1", "a0"]
        # The flooder keeps the rest of the ring, its newest entries, newest first.
        assert [e.check for e in history.query() if e.client == "team-b"] == [f"b{i}" for i in range(999, 992, -1)]

    def test_the_heaviest_caller_gives_way_to_a_newcomer(self):
        history = VerdictHistory(4)
        self.record(history, "team-a", "a0")
        for index in range(3):
            self.record(history, "team-b", f"b{index}")
        self.record(history, "team-c", "c0")
        assert [e.check for e in history.query()] == ["c0", "b2", "b1", "a0"]

    def test_on_a_tie_the_recording_caller_drops_its_own_oldest(self):
        history = VerdictHistory(5)
        for caller, check in (("team-a", "a0"), ("team-a", "a1"), ("team-b", "b0"), ("team-b", "b1")):
            self.record(history, caller, check)
        self.record(history, "team-c", "c0")
        self.record(history, "team-c", "c1")
        assert [e.check for e in history.query()] == ["c1", "b1", "b0", "a1", "a0"]

    def test_a_caller_growing_past_another_small_one_still_evicts_the_largest(self):
        # team-b leaving the count of 1 must not make 2 the most any caller holds while team-a holds 5: team-b's third
        # entry then dropped its own first instead of team-a's.
        history = VerdictHistory(7)
        for index in range(5):
            self.record(history, "team-a", f"a{index}")
        for index in range(3):
            self.record(history, "team-b", f"b{index}")
        assert [e.check for e in history.query()] == ["b2", "b1", "b0", "a4", "a3", "a2", "a1"]

    def test_a_new_caller_keeps_its_entry_when_every_caller_holds_one(self):
        history = VerdictHistory(2)
        for caller in ("team-a", "team-b", "team-c", "team-d"):
            self.record(history, caller, caller)
        assert [e.check for e in history.query()] == ["team-d", "team-c"]


class TestFairShareInvariants:
    """Over a long mixed sequence, each drop takes the oldest entry of a caller holding the most, never the one
    just recorded, and the ring stays within its capacity."""

    def test_every_drop_is_the_oldest_of_a_heaviest_caller(self):
        history = VerdictHistory(5)
        picks = random.Random(7)
        callers = ["team-a", "team-a", "team-a", "team-b", "team-b", "team-c", "team-d", "team-e"]
        for index in range(400):
            before = {entry.seq: entry.client for entry in history.query(limit=10)}
            caller = picks.choice(callers)
            TestFairShare.record(history, caller, f"{caller}-{index}")
            after = history.query(limit=10)
            assert len(after) <= 5
            assert after[0].client == caller and after[0].check == f"{caller}-{index}"
            dropped = set(before) - {entry.seq for entry in after}
            assert len(dropped) <= 1
            if dropped:
                (seq,) = dropped
                held = Counter([*before.values(), caller])
                assert held[before[seq]] == max(held.values()), index
                assert seq == min(s for s, client in before.items() if client == before[seq]), index


class TestUserAgent:
    """An entry keeps the caller's User-Agent, clipped; none when it sent none."""

    def test_kept_clipped_or_none(self):
        history = VerdictHistory(10)
        history.record_evaluation(evaluation("a", Outcome.PASS), **WHERE)
        history.record_evaluation(evaluation("b", Outcome.PASS), **{**WHERE, "user_agent": "x" * 10_000})
        history.record_evaluation(evaluation("c", Outcome.PASS), **{**WHERE, "user_agent": None})
        agents = [entry.to_json(explain=False)["user_agent"] for entry in history.query()]
        assert agents[0] is None
        assert agents[1] and set(agents[1]) == {"x"} and len(agents[1]) < 10_000
        assert agents[2] == "Go-http-client/1.1"


class TestEntryNumbers:
    """An entry's number names it across histories (replicas, restarts): each history draws its first number."""

    def test_two_histories_number_their_entries_apart(self):
        first, second = VerdictHistory(10), VerdictHistory(10)
        for history in (first, second):
            for _ in range(3):
                history.record_evaluation(evaluation("a", Outcome.PASS), **WHERE)
        numbers = [{entry.seq for entry in history.query()} for history in (first, second)]
        assert not numbers[0] & numbers[1]
        # Within the 12 digits the page's route takes, each history's numbers increasing by one.
        for found in numbers:
            assert max(found) < 10**12
            assert sorted(found) == list(range(min(found), min(found) + 3))

    def test_the_schema_says_int64(self):
        # openapi-generator's Java, Go and C# clients read an `integer` without a format as 32-bit: an entry numbered
        # 48213000017 overflowed them.
        assert HistoryEntry.model_json_schema()["properties"]["seq"] == {
            "description": HistoryEntry.model_fields["seq"].description,
            "format": "int64",
            "title": "Seq",
            "type": "integer",
        }


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
