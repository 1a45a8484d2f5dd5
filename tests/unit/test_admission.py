"""Admission: the slot and queue accounting stays exact when waiters time out, are cancelled or shed."""

from __future__ import annotations

import asyncio

import pytest

from analyzer.admission import Admission
from analyzer.errors import Overloaded


async def waiting(admission: Admission, caller: str) -> asyncio.Task[None]:
    """A task of `caller` waiting in the queue."""

    def queued() -> int:
        return admission.shares().get(caller, (0, 0))[1]

    before = queued()
    task = asyncio.create_task(admission.acquire(caller))
    while queued() == before:
        await asyncio.sleep(0)
    return task


class TestAccounting:
    """Every slot given is given back, whatever happens to the waiters."""

    async def test_a_slot_freed_while_a_cancelled_waiter_is_still_queued_goes_to_the_next(self):
        admission = Admission(limit=1, max_queued=2, queue_timeout_s=60)
        await admission.acquire("a")
        cancelled = await waiting(admission, "b")
        served = await waiting(admission, "c")
        cancelled.cancel()  # its waiter is cancelled now; the task withdraws it only when it runs next
        admission.release("a")
        await served
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert (admission.running, admission.queued, admission.shares()) == (1, 0, {"c": (1, 0)})
        admission.release("c")
        assert (admission.running, admission.shares()) == (0, {})

    async def test_a_timed_out_waiter_leaves_the_queue(self):
        admission = Admission(limit=1, max_queued=1, queue_timeout_s=0.01)
        await admission.acquire("a")
        with pytest.raises(Overloaded, match="no evaluation slot"):
            await admission.acquire("b")
        assert (admission.running, admission.queued, admission.shares()) == (1, 0, {"a": (1, 0)})

    async def test_a_full_queue_refuses_the_heaviest_caller_and_sheds_for_a_lighter_one(self):
        admission = Admission(limit=1, max_queued=2, queue_timeout_s=60, retry_after_s=4)
        await admission.acquire("flood")
        first, second = await waiting(admission, "flood"), await waiting(admission, "flood")
        assert admission.refuses("flood") and not admission.refuses("other")
        with pytest.raises(Overloaded) as refused:
            await admission.acquire("flood")
        assert refused.value.retry_after_s == 4
        other = await waiting(admission, "other")
        with pytest.raises(Overloaded, match="took this one's place"):
            await second
        # Neither holds a slot once the flood's ends: the older waiter goes first.
        admission.release("flood")
        await first
        assert admission.shares() == {"flood": (1, 0), "other": (0, 1)}
        admission.release("flood")
        await other
        admission.release("other")
        assert (admission.running, admission.queued, admission.shares()) == (0, 0, {})

    async def test_a_free_slot_goes_to_the_waiting_caller_holding_the_fewest(self):
        admission = Admission(limit=2, max_queued=4, queue_timeout_s=60)
        await admission.acquire("flood")
        await admission.acquire("flood")
        flood = await waiting(admission, "flood")
        other = await waiting(admission, "other")
        admission.release("flood")
        await other  # the flood still holds a slot, the other caller none: it goes first, though it came later
        assert admission.shares() == {"flood": (1, 1), "other": (1, 0)}
        admission.release("other")
        await flood

    async def test_no_limit_admits_everything(self):
        admission = Admission()
        for _ in range(100):
            await admission.acquire("a")
        assert admission.running == 100 and not admission.refuses("a")


class TestTake:
    """A free slot is taken at once; a busy one is left to the queue, with nothing taken."""

    def test_takes_a_free_slot_and_leaves_a_full_one_alone(self):
        admission = Admission(limit=1, max_queued=1, queue_timeout_s=60)
        assert admission.take("a")
        assert (admission.running, admission.shares()) == (1, {"a": (1, 0)})
        assert not admission.take("b")
        assert (admission.running, admission.queued, admission.shares()) == (1, 0, {"a": (1, 0)})
        admission.release("a")
        assert (admission.running, admission.shares()) == (0, {})

    def test_without_a_limit_every_take_succeeds(self):
        admission = Admission()
        assert admission.take("a") and admission.take("a")
        assert admission.shares() == {"a": (2, 0)}


class TestEnter:
    """A place is taken when `enter` returns, and `leave` gives back whatever it took."""

    async def test_the_place_is_taken_before_anything_awaits_it(self):
        admission = Admission(limit=1, max_queued=1, queue_timeout_s=60)
        assert admission.enter("a") is None
        ticket = admission.enter("b")
        assert ticket is not None
        assert (admission.running, admission.queued) == (1, 1)
        # The next one is refused at once, with no task of the queued one having run.
        assert admission.refuses("c")
        with pytest.raises(Overloaded):
            admission.enter("c")
        admission.leave("b", ticket)
        assert (admission.running, admission.queued, admission.shares()) == (1, 0, {"a": (1, 0)})
        admission.leave("a", None)
        assert (admission.running, admission.shares()) == (0, {})

    async def test_leave_gives_back_a_slot_granted_to_a_ticket_never_waited_on(self):
        admission = Admission(limit=1, max_queued=1, queue_timeout_s=60)
        admission.enter("a")
        ticket = admission.enter("b")
        assert ticket is not None
        admission.leave("a", None)
        assert admission.shares() == {"b": (1, 0)}
        admission.leave("b", ticket)
        assert (admission.running, admission.queued, admission.shares()) == (0, 0, {})
