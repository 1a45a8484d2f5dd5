"""The runner maps everything a check does into one Evaluation, and never fails open."""

from __future__ import annotations

import asyncio
import math
from typing import Literal

import pytest

from analyzer.catalog import build_catalog
from analyzer.check import Check, EvalContext
from analyzer.errors import SourceUnavailable
from analyzer.metrics import Metrics
from analyzer.models import Outcome, Verdict
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.sources import Sources


class ScriptedCheck(Check):
    """A kind whose behaviour the test picks by name."""

    kind: Literal["scripted"] = "scripted"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        if self.name == "crash":
            raise ZeroDivisionError("division by zero")
        if self.name == "unavailable":
            raise SourceUnavailable("Prometheus source 'default' is unreachable")
        if self.name == "slow":
            await asyncio.sleep(30)
        if self.name == "nan-pass":
            return Verdict(outcome=Outcome.PASS, reason="oops", value=math.nan)
        if self.name == "not-a-verdict":
            return "pass"  # type: ignore[return-value]
        return Verdict(outcome=Outcome.PASS, reason="fine", value=1.0)


def runner_for(*names, deadline_s=5.0):
    registry = Registry([ScriptedCheck])
    catalog = build_catalog([("t", {"checks": [{"name": n, "kind": "scripted"} for n in names]})], registry)
    return Runner(catalog, Sources({}), Metrics(), deadline_s), catalog


class TestErrorMapping:
    """Exceptions, timeouts and malformed results become `error` verdicts with the right status."""

    @pytest.mark.parametrize(("name", "status", "code", "reason"), [
        ("crash", 500, "internal_error", "ZeroDivisionError: division by zero"),
        ("unavailable", 503, "source_unavailable", "unreachable"),
        ("nan-pass", 500, "internal_error", "non-finite value nan"),
        ("not-a-verdict", 500, "internal_error", "not a Verdict"),
    ])
    async def test_errors(self, name, status, code, reason):
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome.ERROR, status, code)
        assert reason in evaluation.reason

    async def test_deadline(self):
        runner, catalog = runner_for("slow", deadline_s=0.05)
        evaluation = await runner.evaluate(catalog.get("slow"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome.ERROR, 504,
                                                                                  "deadline_exceeded")
        assert evaluation.reason == "no verdict within the 0.05 s deadline"

    async def test_pass_envelope(self):
        runner, catalog = runner_for("ok")
        evaluation = await runner.evaluate(catalog.get("ok"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome.PASS, 200, None)
        assert runner.metrics.evaluations.labels("ok", "pass")._value.get() == 1


class TestCoalescing:
    """Identical in-flight evaluations share one result; a caller that hangs up does not cancel it."""

    async def test_cancelled_caller_does_not_cancel_the_shared_evaluation(self):
        runner, catalog = runner_for("ok")
        first = asyncio.ensure_future(runner.evaluate(catalog.get("ok"), {}))
        second = asyncio.ensure_future(runner.evaluate(catalog.get("ok"), {}))
        await asyncio.sleep(0)
        first.cancel()
        assert (await second).verdict is Outcome.PASS
        assert runner._in_flight == {}


class TestLogging:
    """Every evaluation is one `check_evaluated` event with its verdict, value and duration."""

    async def test_event(self):
        from structlog.testing import capture_logs

        runner, catalog = runner_for("ok", "unavailable")
        with capture_logs() as logs:
            await runner.evaluate(catalog.get("ok"), {})
            await runner.evaluate(catalog.get("unavailable"), {})
        events = [entry for entry in logs if entry["event"] == "check_evaluated"]
        assert [(e["check"], e["verdict"], e["log_level"]) for e in events] == [
            ("ok", "pass", "info"), ("unavailable", "error", "warning")]
        assert events[0]["value"] == 1.0 and events[0]["duration_ms"] >= 0
        assert events[1]["error"] == "source_unavailable"
