"""Tests of analyzer.runner's admission limit and drain (the verdict mapping is tested with the kinds)."""

from __future__ import annotations

import asyncio

import pytest

from analyzer.errors import Overloaded
from analyzer.metrics import Metrics
from analyzer.runner import Admission, Runner
from analyzer.sources import Sources
from tests.gatekind import GATES, Gate, gate_catalog


@pytest.fixture
def gate():
    GATES["g"] = Gate()
    yield GATES["g"]
    GATES["g"].open()
    GATES.pop("g", None)


def runner(admission: Admission) -> Runner:
    catalog = gate_catalog({"name": "slow", "kind": "gate", "gate": "g"},
                           {"name": "other", "kind": "gate", "gate": "g"},
                           {"name": "group", "kind": "group", "members": ["slow", "other"]})
    return Runner(catalog, Sources({}), Metrics(), 5.0, admission=admission)


class TestAdmission:
    """New top-level evaluations beyond the limit are refused; joins and members are not."""

    async def test_beyond_the_limit_is_overloaded_with_retry_after(self, gate):
        run = runner(Admission(limit=1, retry_after_s=7))
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        with pytest.raises(Overloaded) as refused:
            await run.evaluate(run.catalog.get("other"), {})
        assert refused.value.retry_after_s == 7 and refused.value.http_status == 429
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        gate.open()
        assert (await first).verdict == (await joined).verdict == "pass"
        assert run.admission.running == 0

    async def test_members_of_an_admitted_check_are_not_refused(self, gate):
        run = runner(Admission(limit=1))
        group = asyncio.create_task(run.evaluate(run.catalog.get("group"), {}))
        await gate.wait_entered(1)
        gate.open()
        assert (await group).verdict == "pass"

    async def test_the_limit_is_shared_by_runners_of_successive_catalogs(self, gate):
        admission = Admission(limit=1)
        old, new = runner(admission), runner(admission)
        running = asyncio.create_task(old.evaluate(old.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        with pytest.raises(Overloaded):
            await new.evaluate(new.catalog.get("slow"), {})
        gate.open()
        await running


class TestDrain:
    """drain() waits for evaluations whose callers have gone."""

    async def test_drain_outlives_a_cancelled_caller(self, gate):
        run = runner(Admission())
        caller = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        caller.cancel()
        drained = asyncio.create_task(run.drain())
        await asyncio.sleep(0)
        assert not drained.done()
        gate.open()
        await drained
        assert run.admission.running == 0
