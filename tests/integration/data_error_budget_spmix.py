"""Pyrra SLOs over targets of which one is scraped every 5 minutes, 7 s off the rule evaluations' grid (one sample in
any 5 minutes), beside targets scraped every 30 s that err a little (code="500" at 0.002 req/s beside code="200" at
10 req/s), so that every burnrate records: rate() needs two samples in its range, so burnrate5m counts the dense
targets alone. Ratio, 28d, `performanceOverAccuracy: true`, over `ebr_http_requests_total{job="<job>"}`, errors
`code=~"5.."`; the check on each reads its own rules (data_error_budget_sparse.py's groups).
- `ebr-spmix`: the sparse target (instance="sparse") answers code="500", at 0 req/s until 40 minutes before the
  anchor, then 0.3 req/s: burnrate5m at 0.2x, 1h at about 19x, 30m at 29x: the page tier 1h/5m (14x) fires unseen.
- `ebr-spok`: the sparse target answers code="404" at 0.1 req/s (no error): every window at 0.2x.
Sloth's rules over each job (data_error_budget_rules.sloth_rules) record ratio_rate5m from the dense targets alone too.
Prometheus loads these rules (see loaded_rules): its rules API lists them, as a user's does; but not those of Sloth SLO
`ebr-sloth-spmix-elsewhere` (ebr-spmix's rules again), which stands for rules evaluated by another ruler than the one
queried (Thanos Ruler, behind a Thanos Query without rule endpoints).
A raw `ratio` check reads the same rate()s, a `latency` check those of HISTOGRAM (slow requests as the 500s)."""

from __future__ import annotations

from collections.abc import Callable

from analyzer.testing import OpenMetrics
from tests.integration import data_error_budget_sparse as sparse
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-spmix"
HEALTHY_SLO = "ebr-spok"
# When ebr-spmix's 5m-scraped target starts to answer 500s.
ERRORS_FROM_S = 40 * MINUTE


# A histogram of ebr-spmix's request durations read by a `latency` check: the dense target's 10 req/s all within
# 0.5 s, the sparse target's 0.3 req/s all slower since ERRORS_FROM_S before the anchor (none before).
HISTOGRAM = "ebr_spmix_duration_seconds"


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read, and the histogram."""
    add_counters(om, anchor, SLO, "500", lambda t: 0.3 if t >= anchor - ERRORS_FROM_S else 0.0)
    add_counters(om, anchor, HEALTHY_SLO, "404", lambda t: 0.1)
    start, end = anchor - 7 * HOUR, anchor + HOUR
    dense, scarce = {"job": SLO, "instance": "dense"}, {"job": SLO, "instance": "sparse"}
    slow = lambda t: 0.3 if t >= anchor - ERRORS_FROM_S else 0.0  # noqa: E731
    for le in ("0.5", "+Inf"):
        om.add_counter_rate(f"{HISTOGRAM}_bucket", dense | {"le": le}, lambda t: 10.0, start, end, MINUTE / 2)
    om.add_counter_rate(f"{HISTOGRAM}_count", dense, lambda t: 10.0, start, end, MINUTE / 2)
    sparse_start = start + sparse.SPARSE_OFFSET_S
    om.add_counter_rate(
        f"{HISTOGRAM}_bucket", scarce | {"le": "0.5"}, lambda t: 0.0, sparse_start, end, sparse.SPARSE_STEP_S
    )
    om.add_counter_rate(f"{HISTOGRAM}_bucket", scarce | {"le": "+Inf"}, slow, sparse_start, end, sparse.SPARSE_STEP_S)
    om.add_counter_rate(f"{HISTOGRAM}_count", scarce, slow, sparse_start, end, sparse.SPARSE_STEP_S)


def add_counters(om: OpenMetrics, anchor: float, job: str, code: str, rate: Callable[[float], float]) -> None:
    """Job `job`'s dense target (code="200" at 10 req/s, code="500" at 0.002 req/s, scraped every 30 s) and its
    sparse target (`code` at `rate`, scraped every 5 minutes), from 7 hours before the anchor to an hour after it."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    dense, scarce = {"job": job, "instance": "dense"}, {"job": job, "instance": "sparse"}
    om.add_counter_rate("ebr_http_requests_total", dense | {"code": "200"}, lambda t: 10.0, start, end, MINUTE / 2)
    om.add_counter_rate("ebr_http_requests_total", dense | {"code": "500"}, lambda t: 0.002, start, end, MINUTE / 2)
    om.add_counter_rate(
        "ebr_http_requests_total",
        scarce | {"code": code},
        rate,
        start + sparse.SPARSE_OFFSET_S,
        end,
        sparse.SPARSE_STEP_S,
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """data_error_budget_sparse.py's rule groups, for both SLOs, and Sloth's (SLOs ebr-sloth-spmix, ebr-sloth-spok)."""
    text, start, end = sparse.rules(anchor)
    ok = text.replace(sparse.SLO, HEALTHY_SLO).removeprefix("groups:\n")
    sloth = "".join(sloth_rules(job.removeprefix("ebr-")) for job in (SLO, HEALTHY_SLO))
    elsewhere = sloth_rules("spmix", name="spmix-elsewhere")
    return text.replace(sparse.SLO, SLO) + ok + sloth + elsewhere, start, end


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s but Sloth SLO ebr-sloth-spmix-elsewhere's."""
    text, _, _ = rules(anchor)
    return text.removesuffix(sloth_rules("spmix", name="spmix-elsewhere"))
