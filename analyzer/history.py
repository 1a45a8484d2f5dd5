"""Recent answers of the run endpoint, newest first, in a bounded in-memory ring per process, shared fairly
between callers.

Argo Rollouts drops the body of a non-2xx answer, so this is where an SRE reads why a measurement
was an Error: the verdict and reason, or the client error that refused the request.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import secrets
import time
import weakref
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, Field

from analyzer.auth import Principal
from analyzer.errors import Forbidden
from analyzer.models import Evaluation, Outcome, Threshold, details_json, finite_or_none, format_time, json_safe

if TYPE_CHECKING:
    from analyzer.check import Check

# A refused request (unknown check, bad arg, forbidden, overloaded) has no verdict; it is listed as this.
REJECTED = "rejected"
_MAX_ARGS = 32
_MAX_ARG_CHARS = 256
_FORBIDDEN_FOR_ANOTHER = "another caller's token may not use this check (see the auth allow-list)"
# A history's first entry number is drawn from [10^9, 10^11) (a multiple of 1000, plus 1): `/ui/verdicts/N` names an
# entry of the replica that serves it, and a link made by another replica or before a restart named another answer
# there (its verdict 5 a pass where the link's was a fail). Two histories' numbers meet only if they start within as
# many entries of each other: for two processes that number a million entries each, about 2 chances in 10^5. At most
# 11 digits: the route takes 12. The bounds are of the first number / 1000.
_FIRST_SEQ_BLOCKS = (10**6, 10**8)
# Entries a view indexes (or unindexes) between two yields to the event loop (`VerdictHistory.caught_up`): up to about
# 7 ms of it, where indexing 100,000 at once held it about 0.6 to 1.5 s.
_SLICE = 500
# Rounds a view indexes a slice at a time, at most (`VerdictHistory.caught_up`): each indexes what came during the one
# before, and under a flood of run requests that never gets smaller; the rest is indexed at once.
_ROUNDS = 4
# Entries above the `before` of GET /api/v1/verdicts read to skip them, at most: past that, its place is looked up.
_SKIPPED_MOST = 1000

HistoryVerdict = Literal["pass", "fail", "inconclusive", "error", "rejected"]


# Only describes `Recorded.to_json`; tests/api/test_service.py validates served entries against it.
class HistoryEntry(BaseModel):
    """The JSON of one answer of the run endpoint, for the OpenAPI document (entries are kept as `Recorded`)."""

    seq: int = Field(
        description="increasing number of the entry in this process, from a first number drawn at start: a number "
        "names one entry across restarts and replicas, and another's finds none (/ui/verdicts/N)",
        # Past 2^31 from the first entry: without a format, client generators read `integer` as int32 (Java's
        # Integer, Go's int32), which overflows on every entry.
        json_schema_extra={"format": "int64"},
    )
    recorded_at: datetime
    request_id: str
    check: str
    kind: str | None = None
    verdict: HistoryVerdict = Field(description="the verdict, or `rejected` when the request was refused")
    http_status: int
    reason: str = Field(description="the verdict's reason, or the client error's message")
    error: str | None = Field(default=None, description="error code (verdict error, or why it was rejected)")
    value: float | None = None
    threshold: Threshold = None
    args: dict[str, str | float] = Field(default_factory=dict)
    evaluated_at: datetime | None = None
    duration_ms: float | None = None
    catalog_version: str
    client: str | None = Field(default=None, description="name of the caller's token, when auth is on")
    user_agent: str | None = None
    details: dict[str, Any] | None = Field(default=None, description="evidence, with ?explain=true")


class VerdictHistoryPage(BaseModel):
    """The body of `GET /api/v1/verdicts` (its schema; the endpoint writes `Recorded.to_json` entries)."""

    capacity: int = Field(
        description="entries this process keeps; when full, the oldest entry of the caller holding the most is dropped"
    )
    count: int = Field(description="entries in this page")
    entries: list[HistoryEntry] = Field(description="newest first")


def _bounded_args(args: Mapping[str, Any]) -> dict[str, str | float]:
    bounded: dict[str, str | float] = {}
    for name, value in itertools.islice(args.items(), _MAX_ARGS):
        key = str(name)[:_MAX_ARG_CHARS]
        # A number a JSON body gave (1e999 reads as infinity, which the arg's check refused) is spelt as
        # Prometheus spells it: the listing of the history stays strict JSON.
        bounded[key] = (
            json_safe(value)
            if isinstance(value, float | int) and not isinstance(value, bool)
            else str(value)[:_MAX_ARG_CHARS]
        )
    return bounded


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request the run endpoint refused: no verdict, the client error instead."""

    check: str
    http_status: int
    error: str
    reason: str
    args: dict[str, str | float]
    # The refused check's kind when the check exists and the caller may use it (a bad arg), else None.
    kind: str | None = None
    value: ClassVar[None] = None
    threshold: ClassVar[None] = None
    evaluated_at: ClassVar[None] = None
    duration_ms: ClassVar[None] = None
    details: ClassVar[None] = None


class Recorded(NamedTuple):
    """One answer as kept: the evaluation (the one verdict model, often shared by coalesced requests) or the
    refusal, in the request's envelope. Recording sits on every answer's path: nothing is copied, and it is
    an immutable tuple because a frozen dataclass's __init__ sets each field through object.__setattr__
    (13k instructions per entry against 3.8k)."""

    seq: int
    recorded_at_s: float
    request_id: str
    catalog_version: str
    client: str | None
    user_agent: str | None
    answer: Evaluation | Rejection
    # The other checks its evaluation ran (a composite's members, as the catalog of the time had them): their
    # verdicts and reasons are in its answer, whatever a reload has made of the composite since.
    reached: frozenset[str] = frozenset()
    # Seen by a caller restricted by the allow-list that is not the one who asked: no args, identity or details.
    redacted: bool = False
    # The check's definition that decided it: after a reload changes the check, its page still shows (and plots)
    # what was decided then. Never listed by the API.
    definition: Check | None = None

    @property
    def check(self) -> str:
        return self.answer.check

    @property
    def verdict(self) -> str:
        answer = self.answer
        return answer.verdict.value if isinstance(answer, Evaluation) else REJECTED

    @property
    def http_status(self) -> int:
        return self.answer.http_status

    @property
    def reason(self) -> str:
        answer = self.answer
        if self.redacted and answer.error == Forbidden.code:
            # The refusal's message names the caller's token, which a redacted entry does not show.
            return _FORBIDDEN_FOR_ANOTHER
        return answer.reason

    @property
    def error(self) -> str | None:
        return self.answer.error

    @property
    def evaluated_at(self) -> datetime | None:
        return self.answer.evaluated_at

    @property
    def args(self) -> dict[str, str | float]:
        return {} if self.redacted else self.answer.args

    def redact(self) -> Recorded:
        """This entry without the args, identity and details of the caller."""
        return self._replace(redacted=True)

    def seen_by(self, principal: Principal) -> Recorded:
        """This entry as that caller may see it: one restricted by the allow-list (an entry without "*") sees other
        callers' answers without their args, identity or details; the verdict and reason of a check it may use
        are its business."""
        if principal.unrestricted or self.client == principal.name:
            return self
        return self.redact()

    def fields(self) -> dict[str, Any]:
        """The entry as Python values (times as datetimes, numbers as they are), in the order the API lists them."""
        answer = self.answer
        return {
            "seq": self.seq,
            "recorded_at": datetime.fromtimestamp(self.recorded_at_s, UTC),
            "request_id": self.request_id,
            "check": answer.check,
            "kind": answer.kind,
            "verdict": self.verdict,
            "http_status": answer.http_status,
            "reason": self.reason,
            "error": answer.error,
            "value": answer.value,
            "threshold": answer.threshold,
            "args": self.args,
            "evaluated_at": answer.evaluated_at,
            "duration_ms": answer.duration_ms,
            "catalog_version": self.catalog_version,
            "client": None if self.redacted else self.client,
            "user_agent": None if self.redacted else self.user_agent,
            "details": None if self.redacted else answer.details,
        }

    def to_json(self, explain: bool) -> dict[str, Any]:
        """The entry as `GET /api/v1/verdicts` lists it (`details` only when asked to explain)."""
        body = self.fields()
        body["recorded_at"] = format_time(body["recorded_at"])
        body["value"] = finite_or_none(body["value"])
        if body["evaluated_at"] is not None:
            body["evaluated_at"] = format_time(body["evaluated_at"])
        details = body.pop("details")
        if explain:
            body["details"] = None if details is None else details_json(details)
        return body


class _Part:
    """One client's requests of a row (an evaluation, or a refusal), which a caller restricted by the allow-list sees
    apart from other clients' (redacted)."""

    __slots__ = ("client", "first_seq", "pos", "row", "seqs")

    def __init__(self, client: str | None, first_seq: int, row: _Row) -> None:
        """The part of `client`, whose first request is `first_seq`, in no kind's index yet."""
        self.client = client
        self.first_seq = first_seq
        self.row = row
        self.pos = -1
        # Its requests' seqs held, oldest first (dicts as ordered sets: any one is dropped in O(1)).
        self.seqs: dict[int, None] = {}


class _Row:
    """One evaluation's requests held (or one refusal), each client's apart, at its first request's place."""

    __slots__ = ("holders", "key", "kind", "parts", "place", "size")

    def __init__(self, key: int, kind: _Kind, place: int) -> None:
        """An empty row of `kind` whose first request is `place`."""
        self.key = key
        self.kind = kind
        self.place = place
        self.parts: dict[str | None, _Part] = {}
        self.size = 0
        # Clients with at least one request held.
        self.holders = 0

    def newest(self, own: str | None, mine: bool | None) -> int:
        """The newest seq held of the parts of client `own` (mine), of the others (not mine), or of all (None)."""
        return max(
            next(reversed(part.seqs))
            for client, part in self.parts.items()
            if part.seqs and (mine is None or (client == own) == mine)
        )


class _Kind:
    """The rows of one check, verdict and set of other checks run, by place: what a filter and the allow-list select
    together. The index is append-only (rows are placed in the order of their first requests); a dropped row leaves
    a hole, and the index is rebuilt when it holds more holes than rows."""

    __slots__ = ("check", "clients", "firsts", "holes", "parts", "places", "reached", "rows", "verdict")

    def __init__(self, check: str, verdict: str, reached: frozenset[str]) -> None:
        """An empty kind."""
        self.check = check
        self.verdict = verdict
        self.reached = reached
        # Every part of its rows, by first request (None where a row was dropped), its places, and 1 where the part is
        # its row's first (the row's place).
        self.parts: list[_Part | None] = []
        self.places: list[int] = []
        self.firsts = bytearray()
        self.holes = 0
        self.rows = 0
        # Per client: [the rows it holds requests of, the rows only it holds requests of] (zeros kept: a kind's
        # clients are few, and it goes with its last row).
        self.clients: dict[str | None, list[int]] = {}

    def drop(self, row: _Row) -> None:
        """Unindex `row`, whose last request was dropped."""
        self.rows -= 1
        for part in row.parts.values():
            self.parts[part.pos] = None
            self.firsts[part.pos] = 0
            self.holes += 1
        if self.holes > len(self.parts) // 2 + 32:
            # Rebuilt in time linear in the parts kept, after at least as many drops: amortised O(1) a drop.
            kept = [part for part in self.parts if part is not None]
            self.parts, self.places, self.firsts, self.holes = [*kept], [], bytearray(), 0
            for pos, part in enumerate(kept):
                part.pos = pos
                self.places.append(part.first_seq)
                self.firsts.append(part.first_seq == part.row.place)


class ListedRow(NamedTuple):
    """A row of the history list as one caller sees it: its newest request's entry (as recorded: redact it for that
    caller when it is shown), how many requests it answered that the caller sees apart, and its place (the number of
    its first request, where it stays: the cursor of the page after it), and the names of the tokens that asked
    them, in the order they first did, as the caller may see them (none for anonymous requests, nor for other
    callers' requests to a caller restricted by the allow-list)."""

    head: Recorded
    requests: int
    place: int
    clients: tuple[str, ...] = ()


class ListPage(NamedTuple):
    """A page of the history list: its rows, newest first, and what its links and its "N to M of the K held" need."""

    rows: list[ListedRow]
    # Rows matching the filter that the caller may see, and how many of them are newer than the page.
    held: int
    above: int
    # The cursor of the page just newer than this one; None when that is the newest page (or there is none).
    newer: int | None
    # Whether rows older than the page are held.
    older: bool


_PLACE = attrgetter("first_seq")
_FIRST = itemgetter(0)
# An entry dropped, as the next view reads it (VerdictHistory._dropped).
_Dropped = tuple[int, int, str | None, int, "weakref.ref[Evaluation] | None", frozenset[str]]


def _other_than(holders: Iterable[str], caller: str) -> str:
    """The first of `holders` that is not `caller`."""
    # Not a generator in `_append`: one there would make `caller` a cell on every record.
    return next(other for other in holders if other != caller)


class VerdictHistory:
    """At most `capacity` entries; when full, the oldest entry of the caller holding the most is dropped (the
    recording caller's own on a tie, never the entry just kept), so a caller flooding the run endpoint pushes
    out its own entries, never those of a caller holding fewer. With one caller, a ring of its last `capacity`
    entries."""

    def __init__(self, capacity: int) -> None:
        """An empty history of at most `capacity` entries, numbered from one drawn at random (_FIRST_SEQ_BLOCKS)."""
        self.capacity = capacity
        # By seq, oldest first: a dict keeps insertion order and drops any entry in O(1).
        self._entries: dict[int, Recorded] = {}
        # Each caller's entries' seqs, oldest first.
        self._held: dict[str, deque[int]] = {}
        # The callers holding n entries, by n, in the order they reached n (dicts as ordered sets).
        self._holding: dict[int, dict[str, None]] = {}
        self._most = 0
        # The history list's rows (each evaluation's requests held, each refusal), by the answer's identity, and
        # their index by check, verdict and other checks run, so that a page reads only its rows (`page`). Kept up to
        # date by the views, not on the recording path (every answer's): a view first indexes the entries recorded
        # since the last one (`_catch_up`), each entry once.
        self._rows: dict[int, _Row] = {}
        self._kinds: dict[tuple[str, str, frozenset[str]], _Kind] = {}
        # The entries dropped since the last view, once a view has made the index, as they went (at most twice
        # `capacity`, else the index is made anew, `_forget`): the seq whose recording dropped it, its seq, client and
        # answer's identity, a weak reference to that answer when the index has not read it yet, and its other checks.
        self._dropped: list[_Dropped] = []
        self._watched = False
        low, high = _FIRST_SEQ_BLOCKS
        self.first_seq = (low + secrets.randbelow(high - low)) * 1000 + 1
        self._seq = itertools.count(self.first_seq)
        # The newest seq the index has read, or is reading in the round under way (`caught_up`).
        self._indexed = self.first_seq - 1
        self._round: Iterator[bool] | None = None
        # How many times the index was dropped (`_forget`).
        self._forgotten = 0

    def __len__(self) -> int:
        return len(self._entries)

    def numbered(self, seq: int) -> bool:
        """Whether this history gave `seq` (or will give it next): a cursor made by another replica, or before a
        restart, is not."""
        # The newest entry is never dropped: the last number given is the newest held.
        newest = next(reversed(self._entries), self.first_seq - 1)
        return self.first_seq <= seq <= newest + 1

    def record_evaluation(
        self,
        evaluation: Evaluation,
        caller: str,
        request_id: str,
        catalog_version: str,
        client: str | None,
        user_agent: str | None,
        reached: frozenset[str] = frozenset(),
        definition: Check | None = None,
    ) -> None:
        """Keep an evaluated request of `caller` (whose share it counts against: auth.admission_caller); `reached`:
        the other checks it ran (Catalog.reached); `definition`: the check that decided it. Not keyword-only: the
        run endpoint passes them by position, on every answer."""
        self._append(caller, evaluation, request_id, catalog_version, client, user_agent, reached, definition)

    def record_rejection(
        self,
        check: str,
        *,
        http_status: int,
        error: str,
        message: str,
        args: Mapping[str, Any],
        caller: str,
        request_id: str,
        catalog_version: str,
        client: str | None,
        user_agent: str | None,
        reached: frozenset[str] = frozenset(),
        kind: str | None = None,
    ) -> None:
        """Keep a refused request (it has no verdict; its raw args are truncated); `reached` as for an evaluation
        (a member's refusal of its args names the member); `kind`: the check's, when it is known."""
        rejection = Rejection(check[:128], http_status, error, message, _bounded_args(args), kind)
        self._append(caller, rejection, request_id, catalog_version, client, user_agent, reached)

    def _append(
        self,
        caller: str,
        outcome: Evaluation | Rejection,
        request_id: str,
        catalog_version: str,
        client: str | None,
        user_agent: str | None,
        reached: frozenset[str],
        definition: Check | None = None,
    ) -> None:
        seq = next(self._seq)
        entries = self._entries
        # Made by tuple.__new__, every field given: the NamedTuple's own __new__ is a Python function.
        entries[seq] = tuple.__new__(
            Recorded,
            (
                seq,
                time.time(),
                request_id,
                catalog_version,
                client,
                (user_agent or "")[:_MAX_ARG_CHARS] or None,
                outcome,
                reached,
                False,
                definition,
            ),
        )
        held = self._held.get(caller)
        if held is None:
            held = self._held[caller] = deque()
        held.append(seq)
        count = len(held)
        if len(entries) > self.capacity and 1 < count >= self._most:
            # The recording caller holds the most (a tie included): it drops its own oldest, and every caller
            # holds what it held before. The path of a flood, and of a single caller's ring.
            dropped = entries.pop(held.popleft())
            if self._watched:
                self._keep_dropped(seq, dropped)
            return
        self._move(caller, count - 1, count)
        if len(entries) > self.capacity:
            # Never the entry just kept: a caller holding only that one gives way to another holding as many.
            victim = _other_than(self._holding[self._most], caller)
            victims = self._held[victim]
            dropped = entries.pop(victims.popleft())
            if self._watched:
                self._keep_dropped(seq, dropped)
            self._move(victim, len(victims) + 1, len(victims))
            if not victims:
                del self._held[victim]

    def _keep_dropped(self, seq: int, entry: Recorded) -> None:
        """Note for the next view that the recording of `seq` dropped `entry`, without keeping its answer alive."""
        dropped = self._dropped
        answer = entry.answer
        if entry.seq <= self._indexed:
            # The next view uncounts it from its row, found by its answer's identity (which no other answer takes
            # before the view reads this drop: the drops are read in the order they came).
            dropped.append((seq, entry.seq, entry.client, id(answer), None, entry.reached))
        elif not isinstance(answer, Rejection):
            # Recorded since the last view: the next one counts it (it may place its row) before it uncounts it,
            # when its evaluation is alive then; when it is not, no request of it is held, and its row goes anyway.
            # A refusal is its own row, of this entry alone: nothing is left of it.
            dropped.append((seq, entry.seq, entry.client, id(answer), weakref.ref(answer), entry.reached))
        if len(dropped) > 2 * self.capacity:
            # No view for twice as many answers as the history holds: the next one makes the index anew from what is
            # held then (its rows placed at their first request held), rather than the history keeping more.
            self._forget()

    def _forget(self) -> None:
        """Drop the index; the next view makes it anew from the entries held."""
        self._rows, self._kinds, self._dropped = {}, {}, []
        self._watched = False
        self._indexed = self.first_seq - 1
        # A round under way reads what it took of the index it drops: the next view starts anew, and a view under way
        # leaves the rest to its page, at once (`caught_up`).
        self._round = None
        self._forgotten += 1

    async def caught_up(self) -> None:
        """Index the answers recorded and dropped since the last view, `_SLICE` of them at a time, yielding to the event
        loop between two slices (it also answers the run requests), until at most one slice is left: a `page` called
        right after, with no await in between, holds the loop for that slice only. Under a flood it ends all the same,
        leaving the rest to that `page`, at once: after `_ROUNDS` rounds (each of what came during the one before), or
        when the index is made anew meanwhile (`_forget`)."""
        forgotten, seen, rounds = self._forgotten, None, 0
        while self._forgotten == forgotten:
            if self._round is None:
                if len(self._dropped) + next(reversed(self._entries), self._indexed) - self._indexed <= _SLICE:
                    return
                if rounds == _ROUNDS:
                    return
                self._round = self._rounds()
            if self._round is not seen:
                # A round this view started, or one under way that it joins (another view's).
                seen, rounds = self._round, rounds + 1
            if next(self._round, None) is None:
                self._round = None
            else:
                await asyncio.sleep(0)

    def _catch_up(self) -> None:
        """Index at once everything recorded and dropped since the last view (an unfinished round first)."""
        unfinished, self._round = self._round, None
        for _ in itertools.chain(unfinished or (), self._rounds()):
            pass

    def _rounds(self) -> Iterator[bool]:
        """Index the entries recorded since the last round and unindex those dropped since, in the order they came and
        went, as if each had been indexed when it came: each entry is indexed once, by the first round after it.
        Yields True after every `_SLICE` steps; what is recorded or dropped meanwhile is the next round's, which
        starts once this one is done (`_forget` abandons it)."""
        entries, indexed = self._entries, self._indexed
        dropped, self._dropped = self._dropped, []
        self._watched = True
        newest = next(reversed(entries), indexed)
        if newest - indexed <= _SLICE:
            held: list[Recorded] = []
            for seq, entry in reversed(entries.items()):
                if seq <= indexed:
                    break
                held.append(entry)
            held.reverse()
        else:
            # Copied in C (about a millisecond at 100,000 entries), not read one by one while the loop waits.
            held = list(entries.values())[bisect_right(list(entries), indexed) :]
        # From here on an entry of `held` that is dropped is noted as indexed: this round indexes it (`held` keeps its
        # answer alive until then), and the next round, which reads that drop, starts after this one ends.
        self._indexed = newest
        # Those recorded since the last round and dropped before this one, when their answer is alive (else no request
        # of it is held, and its row, if any, goes with the drops read here), and every drop.
        new: list[tuple[int, str | None, Evaluation | Rejection, frozenset[str]]] = []
        drops: list[tuple[int, int, str | None, int]] = []
        for step, (cause, seq, client, key, ref, reached) in enumerate(dropped, 1):
            if ref is not None:
                alive = ref()
                if alive is None:
                    continue
                new.append((seq, client, alive, reached))
            drops.append((cause, seq, client, key))
            if not step % _SLICE:
                yield True
        del dropped
        # By seq alone: no two are equal.
        new.sort(key=_FIRST)
        recorded = heapq.merge(((e.seq, e.client, e.answer, e.reached) for e in held), new, key=_FIRST)
        # A drop goes after the recording that made it (never the entry recorded) and before the next.
        gone = iter(drops)
        pending = next(gone, None)
        steps = 0
        for seq, client, answer, reached in recorded:
            while pending is not None and pending[0] < seq:
                self._unnote(*pending[1:])
                pending = next(gone, None)
                steps += 1
            self._note(seq, client, answer, reached)
            steps += 1
            if steps >= _SLICE:
                steps = 0
                yield True
        while pending is not None:
            self._unnote(*pending[1:])
            pending = next(gone, None)
            steps += 1
            if steps >= _SLICE and pending is not None:
                steps = 0
                yield True

    def _note(self, seq: int, client: str | None, outcome: Evaluation | Rejection, reached: frozenset[str]) -> None:
        """Count request `seq` of `client` in its row, placing the row (and the client's part of it) when it is the
        first."""
        # By the answer's identity: two evaluations that answered alike (the same args as of the same time, asked
        # twice seconds apart) measured twice, and are two rows. A refusal is its own answer. The other checks run
        # are the evaluation's (its runner's catalog), whichever request it answered.
        key = id(outcome)
        row = self._rows.get(key)
        if row is None:
            # Not isinstance(outcome, Evaluation): a pydantic model's class checks through its metaclass' hook.
            verdict = REJECTED if isinstance(outcome, Rejection) else outcome.verdict.value
            kind_key = (outcome.check, verdict, reached)
            kind = self._kinds.get(kind_key)
            if kind is None:
                kind = self._kinds[kind_key] = _Kind(*kind_key)
            row = self._rows[key] = _Row(key, kind, seq)
            kind.rows += 1
        kind = row.kind
        part = row.parts.get(client)
        if part is None:
            part = row.parts[client] = _Part(client, seq, row)
            # Indexed here, not by a method of the kind: once for every answer, on a view's path.
            part.pos = len(kind.parts)
            kind.parts.append(part)
            kind.places.append(seq)
            kind.firsts.append(seq == row.place)
        if not part.seqs:
            counts = kind.clients.get(client)
            if counts is None:
                counts = kind.clients[client] = [0, 0]
            counts[0] += 1
            row.holders += 1
            if row.holders == 1:
                counts[1] += 1
            elif row.holders == 2:
                kind.clients[next(other for other, held in row.parts.items() if held.seqs)][1] -= 1
        part.seqs[seq] = None
        row.size += 1

    def _unnote(self, seq: int, client: str | None, key: int) -> None:
        """Uncount the dropped request `seq` of `client` from its row (its answer's identity `key`), unplacing the row
        when it was its last request held."""
        row = self._rows[key]
        kind = row.kind
        part = row.parts[client]
        del part.seqs[seq]
        row.size -= 1
        if not part.seqs:
            counts = kind.clients[client]
            counts[0] -= 1
            row.holders -= 1
            if row.holders == 0:
                counts[1] -= 1
            elif row.holders == 1:
                kind.clients[next(other for other, held in row.parts.items() if held.seqs)][1] += 1
        if not row.size:
            del self._rows[row.key]
            kind.drop(row)
            if not kind.rows:
                del self._kinds[(kind.check, kind.verdict, kind.reached)]

    def page(
        self,
        principal: Principal,
        *,
        check: str | None,
        verdict: str | None,
        visible: Callable[[str], bool],
        before: int | None,
        size: int,
    ) -> ListPage:
        """The history list's rows that `principal` sees (an evaluation's requests are one row; a caller restricted
        by the allow-list sees its own requests and the others' as two), filtered by exact check name and verdict,
        `visible` as for `query`: at most `size` placed below `before`, newest first. A row stays at its first
        request's place. Reads the page's rows and its neighbours' places, and the entries recorded since the last
        view, not every entry held."""
        self._catch_up()
        kinds = [
            kind
            for kind in self._kinds.values()
            if (check is None or kind.check == check)
            and (verdict is None or kind.verdict == verdict)
            and visible(kind.check)
            and all(visible(other) for other in kind.reached)
        ]
        own = None if principal.unrestricted else principal.name
        if own is None:
            held = sum(kind.rows for kind in kinds)
        else:
            # Its own requests of a row, and the others', are two rows.
            held = 0
            for kind in kinds:
                holding, alone = kind.clients.get(own, (0, 0))
                held += kind.rows - alone + holding
        rows: list[ListedRow] = []
        older = False
        for part in heapq.merge(*(_down(kind, before) for kind in kinds), key=_PLACE, reverse=True):
            requests = self._placed(part, own)
            if not requests:
                continue
            if len(rows) == size:
                older = True
                break
            # Its newest request: of its own part, of the others' or of all.
            newest = part.row.newest(own, None if own is None else part.client == own)
            if own is None:
                asked = tuple(c for c, held in part.row.parts.items() if held.seqs and c is not None)
            else:
                asked = (own,) if part.client == own else ()
            rows.append(ListedRow(self._entries[newest], requests, part.first_seq, asked))
        if before is None:
            return ListPage(rows, held, 0, None, older)
        # The rows placed at `before` or above, oldest first: the page just newer is the `size` nearest.
        above, newer = 0, None
        for part in heapq.merge(*(_up(kind, before) for kind in kinds), key=_PLACE):
            if not self._placed(part, own):
                continue
            above += 1
            if above == size + 1:
                newer = part.first_seq
                if own is None:
                    # Counted in C, a byte a row: an unrestricted caller sees a row at its first part.
                    above = sum(kind.firsts.count(1, bisect_left(kind.places, before)) for kind in kinds)
                    break
        return ListPage(rows, held, above, newer, older)

    @staticmethod
    def _placed(part: _Part, own: str | None) -> int:
        """How many requests the row that `part` places counts for a caller named `own` when it is restricted by the
        allow-list (None when it is not); 0 when `part` places no row for it. Every part of a row is one row at the
        first part's place; a restricted caller sees its own part, and the others' at the first of theirs."""
        row = part.row
        if own is None:
            return row.size if part.first_seq == row.place else 0
        if part.client == own:
            return len(part.seqs)
        mine = row.parts.get(own)
        others = row.size - (len(mine.seqs) if mine is not None else 0)
        return others if next(p for c, p in row.parts.items() if c != own) is part else 0

    def _move(self, caller: str, held_before: int, held_now: int) -> None:
        """Note that `caller` now holds `held_now` entries (one more or one fewer than `held_before`)."""
        holding = self._holding
        if held_before:
            bucket = holding[held_before]
            del bucket[caller]
            if not bucket:
                del holding[held_before]
                if self._most == held_before:
                    self._most = held_now
        if held_now:
            reached = holding.get(held_now)
            if reached is None:
                holding[held_now] = {caller: None}
            else:
                reached[caller] = None
            if held_now > self._most:
                self._most = held_now

    def query(
        self,
        *,
        check: str | None = None,
        verdict: str | None = None,
        limit: int = 50,
        visible: Callable[[str], bool] = lambda _: True,
        before: int | None = None,
    ) -> list[Recorded]:
        """Newest first, at most `limit`, filtered by exact check name and verdict, numbered below `before` when
        given; an entry is `visible` when its check and every other check it ran are."""
        return list(itertools.islice(self._matching(check, verdict, visible, before), limit))

    def entry(self, seq: int, visible: Callable[[str], bool]) -> Recorded | None:
        """Entry `seq`, when it is held and `visible` (as for `query`)."""
        entry = self._entries.get(seq)
        if entry is None or not visible(entry.check) or not all(map(visible, entry.reached)):
            return None
        return entry

    def answers(
        self, visible: Callable[[str], bool], *, check: str | None = None, member: str | None = None
    ) -> list[Recorded]:
        """Every entry held of `check`, or of an evaluation that ran `member` (a composite's), newest first, that
        `visible` shows (as for `query`). Reads the index and those entries, not every entry held: run `caught_up`
        just before, or this indexes what came since the last view at once."""
        self._catch_up()
        numbers: list[int] = []
        for kind in self._kinds.values():
            if (check is not None and kind.check != check) or (member is not None and member not in kind.reached):
                continue
            if visible(kind.check) and all(map(visible, kind.reached)):
                for part in kind.parts:
                    if part is not None:
                        numbers.extend(part.seqs)
        numbers.sort(reverse=True)
        return list(map(self._entries.__getitem__, numbers))

    def _matching(
        self, check: str | None, verdict: str | None, visible: Callable[[str], bool], before: int | None = None
    ) -> Iterator[Recorded]:
        entries = self._entries
        newest_first: Iterable[Recorded] = reversed(entries.values())
        if before is not None:
            if next(reversed(entries), before) - before < _SKIPPED_MOST:
                newest_first = itertools.dropwhile(lambda entry: entry.seq >= before, newest_first)
            else:
                # Found in a copy of the numbers held, made in C (about 1 ms at 100,000), rather than by reading each
                # entry above `before` (about 3 ms at 100,000).
                numbers = list(entries)
                newest_first = map(entries.__getitem__, reversed(numbers[: bisect_left(numbers, before)]))
        for entry in newest_first:
            if check is not None and entry.check != check:
                continue
            if verdict is not None and entry.verdict != verdict:
                continue
            if visible(entry.check) and (not entry.reached or all(visible(other) for other in entry.reached)):
                yield entry


def _down(kind: _Kind, before: int | None) -> Iterator[_Part]:
    """The parts of `kind` placed below `before` (every part when None), newest first."""
    parts = kind.parts
    start = len(parts) if before is None else bisect_left(kind.places, before)
    for pos in range(start - 1, -1, -1):
        part = parts[pos]
        if part is not None:
            yield part


def _up(kind: _Kind, before: int) -> Iterator[_Part]:
    """The parts of `kind` placed at `before` or above, oldest first."""
    for part in itertools.islice(kind.parts, bisect_left(kind.places, before), None):
        if part is not None:
            yield part


HISTORY_VERDICTS: tuple[str, ...] = (*(o.value for o in Outcome), REJECTED)
