"""An event loop whose clock moves only when the test moves it, for tests of deadlines: a timer fires at the loop
time it was set for, and work the loop runs meanwhile takes no time on that clock, however slowly a loaded machine
runs it. A test of which deadline cuts what then asserts the same thing on a quiet machine and under load."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class HeldClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose `time()` is `now`, moved by `advance_to`."""

    def __init__(self, now: float) -> None:
        super().__init__()
        self.now = now

    def time(self) -> float:
        return self.now

    async def settle(self) -> None:
        """Return once nothing but the caller is ready to run: every task has gone as far as it can go without the
        clock moving or an outside event (a socket, a thread). Only for what runs without such events."""
        while True:
            await asyncio.sleep(0)
            if not self._ready:  # type: ignore[attr-defined]
                return

    async def advance_to(self, when: float) -> None:
        """Move the clock to `when` (the timers due by then fire) and let everything run that can."""
        assert when >= self.now, f"the clock goes back from {self.now} to {when}"
        self.now = when
        await self.settle()


def on_a_held_clock(scenario: Callable[[HeldClockLoop], Awaitable[T]], now: float = 1000.0) -> T:
    """Run `scenario(loop)` to its end on a HeldClockLoop standing at `now`; what it left running (a scenario that
    failed halfway) is cancelled then."""
    loop = HeldClockLoop(now)
    try:
        return loop.run_until_complete(scenario(loop))
    finally:
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
