"""`kpi_compare` `mann_whitney` on error ratios at unequal traffic: how often the real judge fails, passes or is
inconclusive for seeded variants (tests/error_ratios.py), with `events` on both variants or on neither.

    .venv/bin/python -m bench.kpi_traffic --draws 500 --seed 3030

`--mode ab` judges the same pairs as an A/B check: `pass` is the canary winning, `fail` the baseline.

Each cell draws `--draws` canary/baseline pairs from its own random.Random(seed + cell number): 1h of samples at 1m
over `rate(...[6m])`, the requests per minute and the true error ratios of the cell's name.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from analyzer.catalog import build_catalog
from analyzer.models import Outcome
from analyzer.registry import Registry
from checks.kpi_compare import KpiCompareCheck, Measured
from tests.error_ratios import windowed

_ERRORS = 'sum(rate(http_requests_total{{code=~"5..",h="{{{{ {hash} }}}}"}}[6m]))'
_REQUESTS = 'sum(rate(http_requests_total{{h="{{{{ {hash} }}}}"}}[6m]))'
_EVENTS = 'sum(increase(http_requests_total{{h="{{{{ {hash} }}}}"}}[{{{{ lookback }}}}]))'

# (name, canary requests per minute, baseline's, canary true error ratio, baseline's)
CELLS: list[tuple[str, float | tuple[float, float], float, float, float]] = [
    ("1 : 1, 3/min, same 0.5%", 3, 3, 0.005, 0.005),
    ("1 : 1, 30/min, same 0.5%", 30, 30, 0.005, 0.005),
    ("1 : 1, 30/min, same 0.2%", 30, 30, 0.002, 0.002),
    ("3 : 1, same 0.5%", 9, 3, 0.005, 0.005),
    ("3 : 1, same 1%", 9, 3, 0.01, 0.01),
    ("10 : 1, same 0.5%", 30, 3, 0.005, 0.005),
    ("10 : 1, same 0.2%", 30, 3, 0.002, 0.002),
    ("1 : 10, same 0.5%", 3, 30, 0.005, 0.005),
    ("canary 3 then 15/min : 9, same 0.5%", (3, 15), 9, 0.005, 0.005),
    ("1 : 10, canary erring 5x (1% vs 0.2%)", 3, 30, 0.01, 0.002),
    ("1 : 3, canary erring 5x (1% vs 0.2%)", 10, 30, 0.01, 0.002),
    ("1 : 1, 30/min, canary erring 5x (1% vs 0.2%)", 30, 30, 0.01, 0.002),
    ("1 : 1, 3/min, canary erring 5x (2.5% vs 0.5%)", 3, 3, 0.025, 0.005),
    ("1 : 10, 30/min, same 0.5%", 30, 300, 0.005, 0.005),
    ("1 : 10, 30/min, canary erring 5x (2.5% vs 0.5%)", 30, 300, 0.025, 0.005),
    ("1 : 30, canary erring 5x (2.5% vs 0.5%)", 1, 30, 0.025, 0.005),
    ("1 : 30, canary erring 5x (1% vs 0.2%)", 3, 90, 0.01, 0.002),
]


def gate(events: bool, **overrides: Any) -> KpiCompareCheck:
    """The error-ratio check the cells are judged by: mann_whitney over 1h at 1m, max_relative_change 0.1 (a gate
    unless `overrides` say `mode: ab`)."""
    variants = {}
    for side, hash_ in (("canary", "canary_hash"), ("baseline", "stable_hash")):
        query = f"{_ERRORS.format(hash=hash_)} / {_REQUESTS.format(hash=hash_)}"
        variants[side] = {"query": query, **({"events": _EVENTS.format(hash=hash_)} if events else {})}
    definition = {
        "name": "errors",
        "kind": "kpi_compare",
        "params": {name: {"type": "label_value", "required": True} for name in ("canary_hash", "stable_hash")},
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "lookback": "1h",
        "step": "1m",
        "max_relative_change": 0.1,
        **variants,
        **overrides,
    }
    source = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
    catalog = build_catalog([("bench.yaml", {"sources": source, "checks": [definition]})], Registry.default())
    check = catalog.checks["errors"]
    assert isinstance(check, KpiCompareCheck)
    return check


def run_cell(
    check: KpiCompareCheck,
    events: bool,
    traffic: tuple[float | tuple[float, float], float],
    ratios: tuple[float, float],
    draws: int,
    seed: int,
) -> dict[Outcome, int]:
    """How many of `draws` seeded pairs the check's judge answers each outcome."""
    rng = random.Random(seed)
    queries = {side: {"query": "q", **({"events": "e"} if events else {})} for side in ("canary", "baseline")}
    counted = dict.fromkeys(Outcome, 0)
    for _ in range(draws):
        canary, events_c = windowed(rng, traffic[0], ratios[0])
        baseline, events_b = windowed(rng, traffic[1], ratios[1])
        values = {("canary", "events"): events_c, ("baseline", "events"): events_b} if events else {}
        verdict = check.judge(Measured(queries, values, {"canary": canary, "baseline": baseline}))
        counted[verdict.outcome] += 1
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3030)
    parser.add_argument("--no-events", action="store_true", help="no events query on either variant")
    parser.add_argument("--max-absolute-change", type=float, help="beside max_relative_change 0.1")
    parser.add_argument("--mode", choices=["gate", "ab"], default="gate", help="ab: pass is the canary winning")
    options = parser.parse_args()
    events = not options.no_events
    absolute = options.max_absolute_change
    overrides: dict[str, Any] = {"mode": options.mode}
    if absolute is not None:
        overrides["max_absolute_change"] = absolute
    check = gate(events, **overrides)
    print(
        f"mode {options.mode}, events on both: {events}, max_absolute_change {absolute}, {options.draws} draws, "
        f"seed {options.seed}"
    )
    print("| cell | fail | pass | inconclusive |")
    print("| --- | --- | --- | --- |")
    for number, (name, traffic_c, traffic_b, ratio_c, ratio_b) in enumerate(CELLS):
        counted = run_cell(
            check, events, (traffic_c, traffic_b), (ratio_c, ratio_b), options.draws, options.seed + number
        )
        shares = [counted[o] / options.draws for o in (Outcome.FAIL, Outcome.PASS, Outcome.INCONCLUSIVE)]
        print(f"| {name} | " + " | ".join(f"{share:.1%}" for share in shares) + " |", flush=True)


if __name__ == "__main__":
    main()
