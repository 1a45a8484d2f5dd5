"""The serve path's start-up: every kind is warmed, and one that fails to warm does not stop the others."""

from __future__ import annotations

from typing import ClassVar, Literal

from structlog.testing import capture_logs

from analyzer.check import Check
from analyzer.server import warm_kinds


class BrokenWarm(Check):
    kind: Literal["broken_warm"] = "broken_warm"

    @classmethod
    def warm(cls) -> None:
        raise ImportError("no module named 'missing'")


class CountingWarm(Check):
    kind: Literal["counting_warm"] = "counting_warm"
    warmed: ClassVar[int] = 0

    @classmethod
    def warm(cls) -> None:
        CountingWarm.warmed += 1


class TestWarmKinds:
    """Each kind's `warm` runs once; a failure is logged by kind and the next kind still warms."""

    def test_a_failing_kind_is_logged_and_the_rest_warm(self):
        CountingWarm.warmed = 0
        with capture_logs() as logs:
            warm_kinds([BrokenWarm, CountingWarm])
        assert CountingWarm.warmed == 1
        failed = [entry for entry in logs if entry["event"] == "kind_warm_failed"]
        assert [(entry["kind"], entry["log_level"]) for entry in failed] == [("broken_warm", "error")]
        assert logs[-1]["event"] == "kinds_warmed"
