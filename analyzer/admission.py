"""Admission of top-level evaluations: a limit on those running, a bounded wait queue that is fair per
caller, and a refusal that can be decided before a request is parsed.

Under overload a request that waits costs nothing, where one that is refused and retried at once costs
a parse and an answer: so requests wait (up to `queue_timeout_s`) while the queue has room, and only the
rest are refused. Slots are handed to the waiting caller that holds the fewest, and when the queue is full
a lighter caller takes the place of the heaviest one's newest waiter: one flooding caller cannot starve
the others.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Any

from analyzer.errors import Overloaded

# A place in the queue: its sequence number and the future granted its slot.
Ticket = tuple[int, "asyncio.Future[None]"]


class Admission:
    """A limit on top-level evaluations in flight, shared by the runners of successive catalogs so that
    a reload does not double it while the old catalog drains."""

    def __init__(
        self, limit: int | None = None, retry_after_s: int = 1, max_queued: int = 0, queue_timeout_s: float = 1.0
    ) -> None:
        """`limit` None admits everything; `max_queued` 0 refuses at once when every slot is busy."""
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.max_queued = max_queued
        self.queue_timeout_s = queue_timeout_s
        self._running = 0
        self._queued = 0
        # Each caller's running evaluations, a plain count held only while it is not 0: taking a free slot and
        # giving it back is every evaluation's path, where an object per caller made and dropped per request (at
        # c=1 a caller runs one evaluation at a time) cost about 6k instructions.
        self._running_of: dict[str, int] = {}
        # Each waiting caller's waiters (sequence number, future), oldest first; held only while not empty.
        self._waiters_of: dict[str, deque[Ticket]] = {}
        self._sequence = itertools.count()

    @property
    def running(self) -> int:
        """Top-level evaluations holding a slot now."""
        return self._running

    @property
    def queued(self) -> int:
        """Evaluations waiting for a slot."""
        return self._queued

    def shares(self) -> dict[str, tuple[int, int]]:
        """Caller to (running, queued), for callers with either."""
        running, waiters = self._running_of, self._waiters_of
        return {caller: (running.get(caller, 0), len(waiters.get(caller, ()))) for caller in {**running, **waiters}}

    def refuses(self, caller: str) -> bool:
        """Whether a new evaluation for `caller` would be refused at once (cheap: no request parsing needed)."""
        if self.limit is None or self._running < self.limit or self._queued < self.max_queued:
            return False
        return self._victim(caller) is None

    def check_free(self) -> None:
        """Overloaded unless a slot is free now: for work that would rather not happen than wait."""
        if self.limit is not None and self._running >= self.limit:
            raise self._overloaded(f"{self._running} evaluations are in flight, the limit is {self.limit}")

    def track(self, future: asyncio.Future[Any], caller: str = "") -> None:
        """Count `future` as holding a slot of `caller` until it is done (taken at once, never queued)."""
        self._running_of[caller] = self._running_of.get(caller, 0) + 1
        self._running += 1
        future.add_done_callback(lambda _: self.release(caller))

    def take(self, caller: str = "") -> bool:
        """Take a slot for `caller` if one is free now (what `acquire` does then, without a coroutine); False,
        with nothing taken, when `acquire` would have to queue or refuse."""
        if self.limit is None or self._running < self.limit:
            running = self._running_of
            running[caller] = running.get(caller, 0) + 1
            self._running += 1
            return True
        return False

    async def acquire(self, caller: str = "") -> None:
        """Take a slot for `caller`, waiting in the fair queue when all are busy; Overloaded when the queue
        has no room for it, when a lighter caller takes its place, or after `queue_timeout_s`."""
        ticket = self.enter(caller)
        if ticket is None:
            return
        try:
            await self.wait(caller, ticket)
        except asyncio.CancelledError:
            self.leave(caller, ticket)
            raise

    def enter(self, caller: str = "") -> Ticket | None:
        """A free slot taken for `caller` now (None), or its place in the fair queue taken now (the ticket to `wait`
        with, and to `leave` with once done, however); Overloaded when the queue has no room for it."""
        # Taken before this returns, not once a task awaits it: every request of a burst read in one turn of the
        # loop passed the door (`refuses`) while the queue looked empty, and those beyond it were refused after
        # parsing, into the verdict history.
        if self.take(caller):
            return None
        if self._queued >= self.max_queued:
            victim = self._victim(caller)
            if victim is None:
                raise self._overloaded(
                    f"{self._running} evaluations are running and {self._queued} waiting, "
                    f"the limits are {self.limit} and {self.max_queued}"
                )
            shed_from = self._waiters_of[victim]
            _, shed = shed_from.pop()
            if not shed_from:
                del self._waiters_of[victim]
            self._queued -= 1
            if not shed.done():
                shed.set_exception(
                    self._overloaded("a caller with fewer evaluations took this one's place in the queue")
                )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket = (next(self._sequence), waiter)
        waiters = self._waiters_of.get(caller)
        if waiters is None:
            waiters = self._waiters_of[caller] = deque()
        waiters.append(ticket)
        self._queued += 1
        return ticket

    async def wait(self, caller: str, ticket: Ticket) -> None:
        """Wait for the slot `ticket` (from `enter`) is granted; Overloaded when a lighter caller takes its place,
        or after `queue_timeout_s`."""
        waiter = ticket[1]
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await waiter
        except TimeoutError:
            if _granted(waiter):
                return  # the slot was granted as the time ran out
            self._withdraw(caller, ticket)
            raise self._overloaded(f"no evaluation slot within {self.queue_timeout_s:g} s") from None

    def leave(self, caller: str, ticket: Ticket | None) -> None:
        """Give back what `enter` gave `caller`: the slot, if it holds one, else its place in the queue."""
        if ticket is None or _granted(ticket[1]):
            self.release(caller)
        else:
            self._withdraw(caller, ticket)
            ticket[1].cancel()

    def release(self, caller: str = "") -> None:
        """Give back `caller`'s slot; the next one goes to the waiting caller holding the fewest."""
        running = self._running_of
        left = running[caller] - 1
        if left:
            running[caller] = left
        else:
            del running[caller]
        self._running -= 1
        if self._queued:
            self._grant()

    def _grant(self) -> None:
        running, waiting = self._running_of, self._waiters_of
        while self._queued and (self.limit is None or self._running < self.limit):
            caller, waiters = min(waiting.items(), key=lambda item: (running.get(item[0], 0), item[1][0][0]))
            _, waiter = waiters.popleft()
            if not waiters:
                del waiting[caller]
            self._queued -= 1
            if waiter.done():
                # Its wait was cancelled (a timeout) and its task has not run yet to withdraw it.
                continue
            running[caller] = running.get(caller, 0) + 1
            self._running += 1
            waiter.set_result(None)

    def _victim(self, caller: str) -> str | None:
        """The caller whose newest waiter would give way to `caller`: the heaviest, if heavier by two or
        more (by one, they would only trade places)."""
        mine = self._load(caller)
        heaviest = max(
            ((c, self._load(c)) for c in self._waiters_of if c != caller),
            key=lambda item: item[1],
            default=None,
        )
        if heaviest is None or heaviest[1] < mine + 2:
            return None
        return heaviest[0]

    def _load(self, caller: str) -> int:
        """The evaluations `caller` runs and waits for."""
        return self._running_of.get(caller, 0) + len(self._waiters_of.get(caller, ()))

    def _withdraw(self, caller: str, entry: Ticket) -> None:
        waiters = self._waiters_of.get(caller)
        if waiters is not None and entry in waiters:
            waiters.remove(entry)
            self._queued -= 1
            if not waiters:
                del self._waiters_of[caller]

    def _overloaded(self, why: str) -> Overloaded:
        return Overloaded(f"{why}; retry in {self.retry_after_s} s", self.retry_after_s)


def _granted(waiter: asyncio.Future[None]) -> bool:
    """Whether a waiter's slot was granted (it holds one)."""
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None
