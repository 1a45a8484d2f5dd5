"""A test-only check kind whose evaluation waits for the test to open its gate, so that tests can hold
evaluations in flight (concurrency limits, reload while evaluating, drain on shutdown) without sleeping.

Written as a third-party kind is: it imports only the public surface, analyzer.kinds
(tests/unit/test_public_surface.py holds it to that)."""

from __future__ import annotations

import asyncio
from typing import Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class Gate:
    """An evaluation counter and a gate: `entered` tells how many evaluations wait, `open()` releases them."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.entered = 0
        # The deadline (loop time) of each evaluation that came to the gate, in order.
        self.deadlines: list[float] = []
        self._entered_changed = asyncio.Condition()

    async def wait_entered(self, count: int) -> None:
        """Return once `count` evaluations are waiting at the gate."""
        async with self._entered_changed:
            await self._entered_changed.wait_for(lambda: self.entered >= count)

    async def enter(self) -> None:
        async with self._entered_changed:
            self.entered += 1
            self._entered_changed.notify_all()
        await self.opened.wait()

    def open(self) -> None:
        self.opened.set()


GATES: dict[str, Gate] = {}


class GateCheck(Check):
    """Waits at GATES[gate], then answers `outcome`."""

    kind: Literal["gate"] = "gate"
    gate: str
    outcome: Outcome = Outcome.PASS

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        gate = GATES[self.gate]
        gate.deadlines.append(ctx.deadline)
        await gate.enter()
        return Verdict(outcome=self.outcome, reason=f"gate {self.gate} opened", value=1.0, threshold=1.0)


class GroupCheck(Check):
    """Runs its members through the context (as combining kinds do) and passes when all pass."""

    kind: Literal["group"] = "group"
    members: list[str]

    def member_names(self) -> frozenset[str]:
        return frozenset(self.members)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        results = [await ctx.run_check(name, {}) for name in self.members]
        passed = all(result.verdict is Outcome.PASS for result in results)
        return Verdict(outcome=Outcome.PASS if passed else Outcome.FAIL, reason=f"{len(results)} members")
