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
from dataclasses import dataclass, field
from typing import Any

from analyzer.errors import Overloaded


@dataclass
class _Share:
    """One caller's running evaluations and its waiters (sequence number, future), oldest first."""

    running: int = 0
    waiters: deque[tuple[int, asyncio.Future[None]]] = field(default_factory=deque)

    @property
    def load(self) -> int:
        return self.running + len(self.waiters)


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
        self._shares: dict[str, _Share] = {}
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
        return {caller: (share.running, len(share.waiters)) for caller, share in self._shares.items()}

    def refuses(self, caller: str) -> bool:
        """Whether a new evaluation for `caller` would be refused at once (cheap: no request parsing needed)."""
        if self.limit is None or self._running < self.limit or self._queued < self.max_queued:
            return False
        return self._victim(caller) is None

    def check(self, caller: str = "") -> None:
        """Overloaded when a new evaluation for `caller` would be refused at once."""
        if self.refuses(caller):
            raise self._overloaded(
                f"{self._running} evaluations are running and {self._queued} waiting, the "
                f"limits are {self.limit} and {self.max_queued}"
            )

    def check_free(self) -> None:
        """Overloaded unless a slot is free now: for work that would rather not happen than wait."""
        if self.limit is not None and self._running >= self.limit:
            raise self._overloaded(f"{self._running} evaluations are in flight, the limit is {self.limit}")

    def track(self, future: asyncio.Future[Any], caller: str = "") -> None:
        """Count `future` as holding a slot of `caller` until it is done (taken at once, never queued)."""
        share = self._share(caller)
        share.running += 1
        self._running += 1
        future.add_done_callback(lambda _: self.release(caller))

    def take(self, caller: str = "") -> bool:
        """Take a slot for `caller` if one is free now (what `acquire` does then, without a coroutine); False,
        with nothing taken, when `acquire` would have to queue or refuse."""
        if self.limit is None or self._running < self.limit:
            self._share(caller).running += 1
            self._running += 1
            return True
        return False

    async def acquire(self, caller: str = "") -> None:
        """Take a slot for `caller`, waiting in the fair queue when all are busy; Overloaded when the queue
        has no room for it, when a lighter caller takes its place, or after `queue_timeout_s`."""
        share = self._share(caller)
        if self.limit is None or self._running < self.limit:
            share.running += 1
            self._running += 1
            return
        if self._queued >= self.max_queued:
            victim = self._victim(caller)
            if victim is None:
                self._forget_if_idle(caller)
                raise self._overloaded(
                    f"{self._running} evaluations are running and {self._queued} waiting, "
                    f"the limits are {self.limit} and {self.max_queued}"
                )
            _, shed = self._shares[victim].waiters.pop()
            self._queued -= 1
            if not shed.done():
                shed.set_exception(
                    self._overloaded("a caller with fewer evaluations took this one's place in the queue")
                )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (next(self._sequence), waiter)
        share.waiters.append(entry)
        self._queued += 1
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                return  # the slot was granted as the time ran out
            self._withdraw(caller, entry)
            raise self._overloaded(f"no evaluation slot within {self.queue_timeout_s:g} s") from None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release(caller)
            else:
                self._withdraw(caller, entry)
            raise

    def release(self, caller: str = "") -> None:
        """Give back `caller`'s slot; the next one goes to the waiting caller holding the fewest."""
        share = self._shares[caller]
        share.running -= 1
        self._running -= 1
        self._forget_if_idle(caller)
        self._grant()

    def _grant(self) -> None:
        while self._queued and (self.limit is None or self._running < self.limit):
            share = min((s for s in self._shares.values() if s.waiters), key=lambda s: (s.running, s.waiters[0][0]))
            _, waiter = share.waiters.popleft()
            self._queued -= 1
            if waiter.done():
                # Its wait was cancelled (a timeout) and its task has not run yet to withdraw it.
                continue
            share.running += 1
            self._running += 1
            waiter.set_result(None)

    def _victim(self, caller: str) -> str | None:
        """The caller whose newest waiter would give way to `caller`: the heaviest, if heavier by two or
        more (by one, they would only trade places)."""
        mine = self._shares[caller].load if caller in self._shares else 0
        heaviest = max(
            ((c, s) for c, s in self._shares.items() if s.waiters and c != caller),
            key=lambda item: item[1].load,
            default=None,
        )
        if heaviest is None or heaviest[1].load < mine + 2:
            return None
        return heaviest[0]

    def _share(self, caller: str) -> _Share:
        # Not setdefault(caller, _Share()): that builds a share (and its deque) on every call, 3k instructions.
        share = self._shares.get(caller)
        if share is None:
            share = self._shares[caller] = _Share()
        return share

    def _withdraw(self, caller: str, entry: tuple[int, asyncio.Future[None]]) -> None:
        share = self._shares.get(caller)
        if share is not None and entry in share.waiters:
            share.waiters.remove(entry)
            self._queued -= 1
        self._forget_if_idle(caller)

    def _forget_if_idle(self, caller: str) -> None:
        share = self._shares.get(caller)
        if share is not None and share.running == 0 and not share.waiters:
            del self._shares[caller]

    def _overloaded(self, why: str) -> Overloaded:
        return Overloaded(f"{why}; retry in {self.retry_after_s} s", self.retry_after_s)
