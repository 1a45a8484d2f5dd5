"""Tests of analyzer.history: a bounded ring of run-endpoint answers, newest first, filtered."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer import history as history_module
from analyzer.auth import Principal
from analyzer.history import HistoryEntry, ListPage, VerdictHistory
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


EVERYONE = Principal("ci")
BOT = Principal("canary-bot", ("a", "gate"))


def everything(_: str) -> bool:
    return True


def listed(history: VerdictHistory, principal: Principal = EVERYONE, **filters) -> ListPage:
    """A page of the history list, every check visible unless `filters` say."""
    given: dict = {"check": None, "verdict": None, "visible": everything, "before": None, "size": 50} | filters
    return history.page(principal, **given)


def ask(history: VerdictHistory, answer: Evaluation, client: str | None, **where) -> None:
    history.record_evaluation(answer, client or "anonymous", "r", "v1", client, "curl", **where)


class TestListPage:
    """The history list reads one row per evaluation, at its first request's place, counted per what the caller
    sees, without reading every entry held."""

    def test_requests_sharing_an_evaluation_are_one_row_at_its_first_requests_place(self):
        history = VerdictHistory(10)
        shared, other = evaluation("a", Outcome.FAIL), evaluation("a", Outcome.FAIL)
        for answer in (shared, other, shared):
            ask(history, answer, "ci")
        first = history.first_seq
        page = listed(history)
        # The shared evaluation stays where it was first asked: its newest request's entry, counting both.
        assert [(row.head.seq, row.requests, row.place) for row in page.rows] == [
            (first + 1, 1, first + 1),
            (first + 2, 2, first),
        ]
        assert (page.held, page.above, page.newer, page.older) == (2, 0, None, False)

    def test_evaluations_that_answered_alike_are_never_one_row(self):
        history = VerdictHistory(10)
        passed, failed = evaluation("a", Outcome.PASS), evaluation("a", Outcome.FAIL)
        for answer in (passed, failed, passed):
            ask(history, answer, None)
        rows = listed(history).rows
        assert [(row.head.verdict, row.requests) for row in rows] == [("fail", 1), ("pass", 2)]
        assert [row.requests for row in listed(history, verdict="pass").rows] == [2]

    def test_a_restricted_caller_sees_its_own_requests_and_the_others_as_two_rows(self):
        history = VerdictHistory(10)
        shared = evaluation("a", Outcome.FAIL)
        for client in ("ci", "canary-bot", "ci", "deploy"):
            ask(history, shared, client)
        first = history.first_seq
        page = listed(history, BOT)
        assert [(row.head.seq, row.head.client, row.requests, row.place) for row in page.rows] == [
            (first + 1, "canary-bot", 1, first + 1),
            (first + 3, "deploy", 3, first),
        ]
        assert page.held == 2
        # An unrestricted caller sees every request whole: one row.
        assert [(row.requests, row.place) for row in listed(history, Principal("ci")).rows] == [(4, first)]
        assert listed(history, Principal("ci")).held == 1

    def test_a_row_names_the_tokens_that_asked_it_as_the_caller_may_see_them(self):
        history = VerdictHistory(10)
        shared = evaluation("a", Outcome.FAIL)
        for client in ("argo", None, "sre", "argo", "canary-bot"):
            ask(history, shared, client)
        ask(history, evaluation("a", Outcome.PASS), None)
        assert [row.clients for row in listed(history).rows] == [(), ("argo", "sre", "canary-bot")]
        # A caller restricted by the allow-list sees its own token, and the others' requests without theirs.
        assert [(row.requests, row.clients) for row in listed(history, BOT).rows] == [
            (1, ()),
            (1, ("canary-bot",)),
            (4, ()),
        ]

    def test_a_row_of_only_another_callers_requests_is_one_row_for_a_restricted_caller(self):
        history = VerdictHistory(10)
        ask(history, evaluation("a", Outcome.PASS), "ci")
        ask(history, evaluation("a", Outcome.PASS), "canary-bot")
        assert [(row.head.client, row.requests) for row in listed(history, BOT).rows] == [("canary-bot", 1), ("ci", 1)]
        assert listed(history, BOT).held == 2

    def test_counts_are_of_what_the_caller_may_see(self):
        history = VerdictHistory(20)
        for _ in range(3):
            ask(history, evaluation("theirs", Outcome.FAIL), "deploy")
        ask(history, evaluation("a", Outcome.FAIL), "canary-bot")
        ask(history, evaluation("gate", Outcome.PASS), "canary-bot", reached=frozenset({"theirs"}))
        mine = {"a", "gate"}.__contains__
        page = listed(history, BOT, visible=mine)
        # Neither another team's check nor a composite running it is listed or counted.
        assert [row.head.check for row in page.rows] == ["a"]
        assert page.held == 1
        assert listed(history, BOT, visible=mine, verdict="fail").held == 1
        assert listed(history, BOT, visible=mine, check="theirs").held == 0
        assert listed(history, verdict="fail").held == 4
        assert listed(history, check="theirs", verdict="pass").held == 0

    def test_a_cursor_pages_by_place_and_counts_the_rows_above(self):
        history = VerdictHistory(100)
        for index in range(12):
            ask(history, evaluation("a", Outcome.PASS if index % 3 else Outcome.FAIL), None)
        first = history.first_seq
        page = listed(history, before=first + 7, size=3)
        assert [row.place for row in page.rows] == [first + 6, first + 5, first + 4]
        # Five rows above (numbers 7 to 11): the page just newer starts below number 10.
        assert (page.held, page.above, page.newer, page.older) == (12, 5, first + 10, True)
        top = listed(history, before=first + 10, size=3)
        assert (top.above, top.newer) == (2, None)
        last = listed(history, before=first + 3, size=3)
        assert [row.place for row in last.rows] == [first + 2, first + 1, first]
        assert not last.older
        fails = listed(history, verdict="fail", before=first + 9, size=1)
        assert [row.place for row in fails.rows] == [first + 6]
        assert (fails.held, fails.above, fails.newer, fails.older) == (4, 1, None, True)

    def test_a_row_stays_at_its_place_when_asked_again(self):
        history = VerdictHistory(100)
        answers = [evaluation("a", Outcome.PASS) for _ in range(4)]
        for answer in answers:
            ask(history, answer, None)
        first_page = listed(history, size=2)
        # The oldest evaluation is asked again (within the reuse window): it does not move above the cursor.
        ask(history, answers[0], None)
        older = listed(history, before=first_page.rows[-1].place, size=2)
        assert [row.place for row in older.rows] == [history.first_seq + 1, history.first_seq]
        assert older.rows[-1].requests == 2

    def test_matches_every_entry_grouped_over_a_long_mixed_sequence(self):
        # The index lists what grouping every entry held lists, drops (of the caller holding the most) and rebuilt
        # indexes included.
        _replay(VerdictHistory(40), random.Random(33), 1500, lambda recorded: recorded % 50 < 2)

    def test_matches_every_entry_grouped_whatever_the_answers_between_two_views(self):
        # Views are what index the answers recorded since the last one: back to back, or after any number of
        # answers up to twice the capacity, each recorded and dropped since included.
        gaps = random.Random(34)
        next_view = [0]

        def viewed(recorded: int) -> bool:
            if recorded < next_view[0]:
                return False
            # A step records one or two answers: a view after 79 comes after 79 or 80.
            next_view[0] = recorded + gaps.choice((1, 1, 2, 3, 7, 20, 39, 40, 41, 79, 79))
            return True

        _replay(VerdictHistory(40), random.Random(35), 2500, viewed)

    def test_a_view_after_twice_the_capacity_of_drops_keeps_rows_at_their_first_requests(self):
        history = VerdictHistory(4)
        ask(history, evaluation("a", Outcome.FAIL), "ci")
        listed(history)
        # Eight answers dropped since the last view (twice the capacity): the next view still places each row at its
        # first request since it was last held by none, though that request was dropped before it.
        first_asked, other = evaluation("a", Outcome.PASS), evaluation("b", Outcome.PASS)
        for answer in (first_asked, first_asked, other, other, other, first_asked, other, other, first_asked):
            ask(history, answer, "ci")
        ask(history, other, "ci")
        ask(history, other, "ci")
        first = history.first_seq
        page = listed(history)
        assert [(row.place, row.head.seq, row.requests) for row in page.rows] == [
            (first + 3, first + 11, 3),
            (first + 1, first + 9, 1),
        ]
        assert page.held == 2

    def test_a_view_after_more_answers_than_it_keeps_for_it_lists_what_is_held(self):
        history = VerdictHistory(4)
        fail = evaluation("a", Outcome.FAIL)
        ask(history, fail, "ci")
        assert [row.requests for row in listed(history).rows] == [1]
        # Ten answers dropped since the last view (more than twice the capacity): the next view indexes what is held
        # anew, each row at its first request held (the passes' first requests since they were last held by none are
        # dropped).
        passes = [evaluation("a", Outcome.PASS) for _ in range(4)]
        for answer in (*passes, fail, *passes, *passes):
            ask(history, answer, "ci")
        first = history.first_seq
        page = listed(history)
        assert [(row.place, row.requests, row.head.verdict) for row in page.rows] == [
            (first + place, 1, "pass") for place in (13, 12, 11, 10)
        ]
        assert (page.held, listed(history, verdict="fail").held) == (4, 0)

    def test_a_view_after_more_answers_than_it_keeps_for_it_still_lists_what_was_held_before(self):
        history = VerdictHistory(4)
        failed = evaluation("a", Outcome.FAIL)
        ask(history, failed, "deploy")
        assert [row.head.verdict for row in listed(history).rows] == ["fail"]
        # A flood by another caller drops only its own answers, more than twice the capacity of them: the next view
        # indexes anew every entry held, the quiet caller's fail, which the last view had read, included.
        for _ in range(12):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        page = listed(history)
        assert [row.head.verdict for row in page.rows] == ["pass", "pass", "pass", "fail"]
        assert (page.held, listed(history, verdict="fail").held) == (4, 1)
        assert [row.place for row in listed(history, verdict="fail").rows] == [history.first_seq]

    @pytest.mark.parametrize("seed", range(3))
    def test_matches_a_model_that_knows_each_answer_apart_while_answers_are_freed_and_their_ids_taken(self, seed):
        # Tiny histories, many clients and callers (both drop paths), refusals, answers let go of at random (freed
        # when their last entry goes, their id() taken by the next evaluation made) with forced collections, views
        # at random: every page matches a model that tells answers apart by a number of its own, not by id().
        _replay_freed(random.Random(seed))


class TestCatchUpInSlices:
    """A view indexes what came since the last one a slice at a time, yielding to the event loop between two, and
    lists what indexing each answer as it came lists, whatever is recorded and dropped while it is under way."""

    @pytest.fixture(autouse=True)
    def small_slices(self, monkeypatch):
        monkeypatch.setattr(history_module, "_SLICE", 3)
        # A cursor more than 5 answers below the newest is looked up, not reached by skipping the answers above it.
        monkeypatch.setattr(history_module, "_SKIPPED_MOST", 5)

    def test_a_view_of_many_answers_lets_run_requests_be_recorded_between_its_slices(self):
        history = VerdictHistory(40)
        shared = evaluation("a", Outcome.FAIL)
        for index in range(60):
            ask(history, shared if index % 7 == 0 else evaluation("a", Outcome.PASS), "ci" if index % 2 else "deploy")
        recorded_meanwhile = []

        async def run_requests() -> None:
            # Answers recorded while the view indexes, some asking the shared evaluation again, each dropping one.
            for index in range(10):
                ask(history, shared if index % 3 == 0 else evaluation("b", Outcome.PASS), "ci")
                recorded_meanwhile.append(history.query(limit=1)[0].seq)
                await asyncio.sleep(0)

        async def view_and_run() -> tuple[ListPage, list, int]:
            runs = asyncio.create_task(run_requests())
            await history.caught_up()
            # What is held as the page reads the index: nothing runs between the two.
            page, held, meanwhile = listed(history, size=100), history.query(limit=40), len(recorded_meanwhile)
            await runs
            return page, held, meanwhile

        page, held, meanwhile = asyncio.run(view_and_run())
        # Run requests were recorded (each dropping an answer) between the view's slices, before its page.
        assert meanwhile > 0
        answers = {id(entry.answer): entry.answer for entry in held}
        assert page.held == len(answers)
        assert sum(row.requests for row in page.rows) == len(held) == 40
        assert sorted(row.head.seq for row in page.rows) == sorted(
            max(entry.seq for entry in held if entry.answer is answer) for answer in answers.values()
        )

    def test_a_view_leaves_at_most_a_slice_for_its_page(self):
        history = VerdictHistory(100)
        for _ in range(50):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        view = _ViewInProgress(history)
        view.step()
        while view.view is not None:
            view.step()
        # 50 answers in slices of 3, a yield after each whole slice; the last two are indexed before it returns.
        assert view.slices == 50 // 3
        newest = history.query(limit=1)[0].seq
        assert history._indexed == newest
        for _ in range(3):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        view.step()
        # Three answers are a slice: left to the page, with no yield before it.
        assert (view.view, view.slices, history._indexed) == (None, 50 // 3, newest)
        assert len(listed(history, size=100).rows) == 53

    def test_every_answer_recorded_during_a_view_is_listed_once(self):
        history = VerdictHistory(1000)
        for _ in range(20):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        view = _ViewInProgress(history)
        for _ in range(4):
            view.step()
            ask(history, evaluation("a", Outcome.FAIL), "ci")
        page = listed(history, size=100)
        assert [row.requests for row in page.rows] == [1] * 24
        assert [row.head.seq for row in page.rows] == [entry.seq for entry in history.query(limit=100)]

    def test_an_answer_dropped_during_a_view_is_not_listed(self):
        history = VerdictHistory(20)
        kept = evaluation("a", Outcome.FAIL)
        ask(history, kept, "deploy")
        for _ in range(19):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        view = _ViewInProgress(history)
        view.step()
        # Each drops the oldest of ci's, some of which the view has indexed and some not yet.
        for _ in range(15):
            ask(history, evaluation("b", Outcome.PASS), "ci")
            view.step()
        page = listed(history, size=100)
        assert [row.head.seq for row in page.rows] == [entry.seq for entry in history.query(limit=100)]
        assert page.held == 20
        assert listed(history, check="a", verdict="pass").held == 4

    @pytest.mark.parametrize(("answers_a_slice", "slices_most"), [(25, 1), (2, 30)])
    def test_a_view_ends_under_a_flood_of_answers_between_its_slices(self, answers_a_slice, slices_most):
        # 25 answers between two slices drop more than twice the 10 held: the index is made anew, again and again (the
        # view stops slicing the first time); 2, as many as a slice indexes (each answer a recording and a drop): what
        # is left never gets smaller, and the view stops after a few rounds.
        history = VerdictHistory(10)
        for _ in range(30):
            ask(history, evaluation("a", Outcome.PASS), "ci")
        listed(history)
        for _ in range(30):
            ask(history, evaluation("a", Outcome.FAIL), "ci")
        view = _ViewInProgress(history)
        view.step()
        while view.view is not None:
            assert view.slices < 100, "the view never ends"
            for _ in range(answers_a_slice):
                ask(history, evaluation("b", Outcome.PASS), "ci")
            view.step()
        assert view.slices <= slices_most
        # What is left is indexed at once by the page, which lists every answer held.
        page = listed(history, size=100)
        assert [row.head.seq for row in page.rows] == [entry.seq for entry in history.query(limit=100)]

    @pytest.mark.parametrize("seed", range(2))
    def test_matches_every_entry_grouped_with_views_under_way_between_answers(self, seed):
        gaps = random.Random(seed)
        _replay(VerdictHistory(40), random.Random(40 + seed), 1200, lambda _: gaps.random() < 0.03, random.Random(seed))

    @pytest.mark.parametrize("seed", range(4))
    def test_matches_the_model_with_views_under_way_while_answers_are_freed_and_their_ids_taken(self, seed):
        _replay_freed(random.Random(seed), random.Random(seed + 100))


def _replay(
    history: VerdictHistory,
    picks: random.Random,
    steps: int,
    viewed: Callable[[int], bool],
    stepped: random.Random | None = None,
) -> None:
    """Record `steps` random answers of a few checks and clients, some asked again, some after a refusal, and after
    each step `viewed` says (given how many answers were recorded), assert that every page the index lists is what
    grouping every entry held lists. With `stepped`, a view's catch-up is under way, a slice now and then between
    two answers."""
    view = _ViewInProgress(history)
    answers = [evaluation(check, verdict) for check in ("a", "b", "gate") for verdict in (Outcome.PASS, Outcome.FAIL)]
    # The first request of each answer and client since the answer was last held by none.
    firsts: dict[tuple[int, str | None], int] = {}
    seq = history.first_seq
    for _ in range(steps):
        if picks.random() < 0.3:
            answers[picks.randrange(len(answers))] = evaluation(picks.choice(("a", "b", "gate")), Outcome.PASS)
        answer = picks.choice(answers)
        client = picks.choice(("ci", "ci", "ci", "canary-bot", "deploy", None))
        if picks.random() < 0.1:
            # A refusal: a row of its own request.
            history.record_rejection(
                "a",
                http_status=400,
                error="bad_arg",
                message="m",
                args={},
                caller=client or "anonymous",
                request_id="r",
                catalog_version="v1",
                client=client,
                user_agent="curl",
            )
            refused = id(history.query(limit=1)[0].answer)
            for key in [key for key in firsts if key[0] == refused]:
                del firsts[key]
            firsts[(refused, client)] = seq
            seq += 1
        if not any(entry.answer is answer for entry in history.query(limit=history.capacity)):
            for key in [key for key in firsts if key[0] == id(answer)]:
                del firsts[key]
        firsts.setdefault((id(answer), client), seq)
        reached = frozenset({"b"}) if answer.check == "gate" else frozenset()
        ask(history, answer, client, reached=reached)
        seq += 1
        while stepped is not None and stepped.random() < 0.6:
            view.step()
        if not viewed(seq - history.first_seq):
            continue
        for principal, visible in ((EVERYONE, everything), (BOT, {"a", "gate"}.__contains__)):
            _reads_match_a_full_read(history, visible)
            for verdict in (None, "pass"):
                matching = history.query(limit=history.capacity, verdict=verdict, visible=visible)
                expected = _grouped(matching, principal, firsts)
                for size in (1, 3, 50):
                    for before in (None, *(place for place, *_ in expected[::4])):
                        page = listed(history, principal, visible=visible, verdict=verdict, before=before, size=size)
                        below = [row for row in expected if before is None or row[0] < before]
                        above = len(expected) - len(below)
                        assert [(r.place, r.head.seq, r.requests) for r in page.rows] == below[:size]
                        assert (page.held, page.above, page.older) == (len(expected), above, len(below) > size)
                        newer = expected[above - size - 1][0] if above > size else None
                        assert page.newer == newer


def _grouped(entries, principal: Principal, firsts: dict) -> list[tuple[int, int, int]]:
    """The rows a page lists, by every entry held: (place, newest seq, requests), newest place first."""
    rows: dict[tuple[int, bool], list[int]] = {}
    places: dict[tuple[int, bool], int] = {}
    for entry in entries:
        apart = not principal.unrestricted and entry.client != principal.name
        key = (id(entry.answer), apart)
        rows.setdefault(key, []).append(entry.seq)
        places[key] = min(
            place
            for (answer, client), place in firsts.items()
            if answer == id(entry.answer) and (principal.unrestricted or (client != principal.name) == apart)
        )
    return sorted(((places[key], max(seqs), len(seqs)) for key, seqs in rows.items()), reverse=True)


class _ViewInProgress:
    """A view's catch-up (`caught_up`) run a slice at a time by hand, where the event loop would run other tasks
    between two slices."""

    def __init__(self, history: VerdictHistory) -> None:
        self.history = history
        self.view: Coroutine[Any, Any, None] | None = None
        self.slices = 0

    def step(self) -> None:
        """Run the view's next slice (a new view when the last one is done)."""
        if self.view is None:
            self.view = self.history.caught_up()
        try:
            self.view.send(None)
            self.slices += 1
        except StopIteration:
            self.view = None


def _replay_freed(picks: random.Random, stepped: random.Random | None = None) -> None:
    """`test_matches_a_model_that_knows_each_answer_apart...`: the model's rows are by answer number, each placed at
    its first request (and each client's part at its first) since the answer was last held by none; a view after
    none, or after more drops than the history keeps for it, places them at their first request held."""
    capacity = picks.choice((1, 2, 3, 5))
    history = VerdictHistory(capacity)
    clients = [None, "ci", "canary-bot", "deploy", "c4", "c5", "c6"][: picks.randint(3, 7)]
    # Answer number -> [place, {client: first}, {seq: client}, check, verdict, reached]; seq -> answer number.
    rows: dict[int, list] = {}
    number_of: dict[int, int] = {}
    numbers = itertools.count()
    kept: list[tuple[Evaluation, int]] = []
    reached_of = {"a": frozenset(), "b": frozenset(), "gate": frozenset({"b"})}
    rebuild, taken, made = True, 0, set()
    principals = (EVERYONE, BOT, Principal("deploy", ("a", "b", "gate")), Principal("c4", ("a",)))
    view = _ViewInProgress(history)
    for _ in range(400):
        client = picks.choice(clients)
        caller = picks.choice((client or "anonymous", client or "anonymous", "shared", "x"))
        held_before = {entry.seq for entry in history.query(limit=capacity)}
        if picks.random() < 0.12:
            check = picks.choice(("a", "b", "gate"))
            history.record_rejection(
                check,
                http_status=400,
                error="bad_arg",
                message="m",
                args={},
                caller=caller,
                request_id="r",
                catalog_version="v1",
                client=client,
                user_agent="curl",
                reached=reached_of[check],
            )
            number, verdict = next(numbers), "rejected"
        else:
            if not kept or picks.random() < 0.35:
                made_now = evaluation(picks.choice(("a", "b", "gate")), picks.choice(list(Outcome)))
                taken += id(made_now) in made
                made.add(id(made_now))
                kept.append((made_now, next(numbers)))
            answer, number = picks.choice(kept)
            check, verdict = answer.check, answer.verdict.value
            history.record_evaluation(answer, caller, "r", "v1", client, "curl", reached_of[check])
            del answer
            while len(kept) > picks.randint(0, 3):
                del kept[picks.randrange(len(kept))]
        if picks.random() < 0.2:
            gc.collect()
        held = {entry.seq for entry in history.query(limit=capacity)}
        (seq,) = held - held_before
        row = rows.setdefault(number, [seq, {}, {}, check, verdict, reached_of[check]])
        row[1].setdefault(client, seq)
        row[2][seq] = client
        number_of[seq] = number
        for gone in held_before - held:
            number = number_of.pop(gone)
            del rows[number][2][gone]
            if not rows[number][2]:
                del rows[number]
        rebuild = rebuild or not history._watched
        while stepped is not None and stepped.random() < 0.6:
            view.step()
            if rebuild and history._watched:
                # The view's round began from what was held then: the model is made anew as of then.
                rows, rebuild = _made_anew(rows), False
        if picks.random() >= picks.choice((0.05, 0.2, 0.6)):
            continue
        if rebuild:
            rows, rebuild = _made_anew(rows), False
        for principal in picks.sample(principals, 2):
            visible = principal.may_use
            _reads_match_a_full_read(history, visible)
            for verdict in (None, picks.choice(("pass", "rejected"))):
                expected = []
                for place, firsts, requests, check, row_verdict, reached in rows.values():
                    if verdict not in (None, row_verdict) or not all(map(visible, (check, *reached))):
                        continue
                    if principal.unrestricted:
                        # The tokens that asked it, by their first request (anonymous requests name none).
                        asked = tuple(c for c in firsts if c is not None and c in requests.values())
                        expected.append((place, max(requests), len(requests), asked))
                        continue
                    mine = [seq for seq, asker in requests.items() if asker == principal.name]
                    theirs = [seq for seq, asker in requests.items() if asker != principal.name]
                    if mine:
                        expected.append((firsts[principal.name], max(mine), len(mine), (principal.name,)))
                    if theirs:
                        # Other callers' requests, their tokens not named to a restricted caller.
                        first = min(seq for asker, seq in firsts.items() if asker != principal.name)
                        expected.append((first, max(theirs), len(theirs), ()))
                expected.sort(reverse=True)
                for size in (1, 50):
                    for before in (None, *(place for place, *_ in expected[::2])):
                        page = listed(history, principal, visible=visible, verdict=verdict, before=before, size=size)
                        below = [row for row in expected if before is None or row[0] < before]
                        above = len(expected) - len(below)
                        assert [(r.place, r.head.seq, r.requests, r.clients) for r in page.rows] == below[:size]
                        assert (page.held, page.above, page.older) == (len(expected), above, len(below) > size)
                        assert page.newer == (expected[above - size - 1][0] if above > size else None)
    # The replay did free answers whose id() a later evaluation took.
    assert taken


def _made_anew(rows: dict[int, list]) -> dict[int, list]:
    """The model's rows as an index made anew from what is held: oldest first, each at its first request held."""
    anew: dict[int, list] = {}
    for number, (_, _, requests, *what) in sorted(rows.items(), key=lambda item: min(item[1][2])):
        firsts: dict = {}
        for seq in sorted(requests):
            firsts.setdefault(requests[seq], seq)
        anew[number] = [min(requests), firsts, requests, *what]
    return anew


def _full_read(history: VerdictHistory, visible: Callable[[str], bool], **filters) -> list:
    """What the history listed by reading every entry held, newest first (as it did before it read its index)."""
    check, verdict, before = filters.get("check"), filters.get("verdict"), filters.get("before")
    return [
        entry
        for entry in reversed(history._entries.values())
        if (before is None or entry.seq < before)
        and (check is None or entry.check == check)
        and (verdict is None or entry.verdict == verdict)
        and visible(entry.check)
        and all(map(visible, entry.reached))
    ]


def _reads_match_a_full_read(history: VerdictHistory, visible: Callable[[str], bool]) -> None:
    """A check's answers, a member's composites, an entry by number and a listing below a cursor read what they show,
    and list what reading every entry held listed."""
    for check in ("a", "b", "gate", "nothing"):
        assert history.answers(visible, check=check) == _full_read(history, visible, check=check)
        assert history.answers(visible, member=check) == [
            entry for entry in _full_read(history, visible) if check in entry.reached
        ]
    newest = history.query(limit=1)[0].seq
    # Numbers held and dropped, of the oldest held and before the first.
    oldest = max(history.first_seq - 1, newest - 3 * history.capacity - 2)
    shown = {entry.seq: entry for entry in _full_read(history, visible)}
    for seq in (history.first_seq - 1, *range(oldest, newest + 2)):
        assert history.entry(seq, visible) == shown.get(seq)
    for before in {history.first_seq, newest + 1, *range(oldest, newest + 2, 5)}:
        for check, verdict, limit in ((None, None, 3), ("a", None, 50), (None, "pass", 2), ("gate", None, 1)):
            filters = {"check": check, "verdict": verdict, "before": before}
            assert (
                history.query(limit=limit, visible=visible, **filters)
                == (_full_read(history, visible, **filters)[:limit])
            )
