"""From a verdict's evidence to its figures, without a source: what each figure draws of what was judged."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.ui.figures import Evidence, _error_budget

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def budget_evidence(verdict: str, remaining: float, gate: float | None) -> Evidence:
    details: dict[str, Any] = {"period": "7d", "budget": {"remaining": remaining, "min_budget_remaining": gate}}
    return Evidence("budget", "error_budget", verdict, remaining, AT, details, {})


def meter_class(evidence: Evidence) -> str:
    (figure,) = _error_budget(evidence)
    match = re.search(r'<rect [^>]*class="bar ([a-z]+)"', str(figure.svg))
    assert match is not None
    return match.group(1)


class TestBudgetMeter:
    """The budget remaining is coloured by the gate the kind judges it against: at or below it is a fail."""

    @pytest.mark.parametrize(
        ("remaining", "gate", "colour"),
        [
            (0.8, 0.9, "fail"),  # above 0, below the gate: the verdict failed on it
            (0.9, 0.9, "fail"),  # at the gate: "not above min_budget_remaining" fails
            (0.9000000000000001, 0.9, "fail"),  # above it by a float's rounding alone, as the kind reads it
            (0.95, 0.9, "pass"),
            (0.5, 0.0, "pass"),
            (-0.2, 0.0, "fail"),
            (0.5, None, "pass"),  # no gate: evidence only, drawn by its sign
            (-0.2, None, "fail"),
            (float("nan"), 0.5, "fail"),
            (float("nan"), None, "fail"),
        ],
    )
    def test_colour_against_the_gate(self, remaining, gate, colour):
        assert meter_class(budget_evidence("fail", remaining, gate)) == colour

    def test_the_gate_is_written_as_the_reason_writes_it(self):
        (figure,) = _error_budget(budget_evidence("fail", 0.99994, 0.99995))
        assert ">min_budget_remaining 99.995%</text>" in str(figure.svg)
        assert ">budget remaining: 99.994%</text>" in str(figure.svg)
