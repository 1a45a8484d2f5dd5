"""`make bench` (second part): goodput under overload, at c=64 (the evaluation limit) and beyond it.

A real Prometheus with backfilled data and `analyzer serve` in its own process, both on this machine; the
load generator runs here. Every worker is hostile: it ignores Retry-After and sends its next request the
moment an answer arrives. Every request has its own (canary_hash, at), so neither coalescing nor the
reuse window answers one: each 200 is a real evaluation. A second, polite caller (its own token, 4
requests/s) runs beside the flood and shows whether the flood starves it.

Printed: evaluations per second (goodput) at each concurrency side by side, the ratio to c=64, and the
polite caller's answers. Target: goodput at c=256 >= 80% of c=64.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill, free_port  # noqa: E402

HASHES = [f"h{i:03d}" for i in range(100)]
QUERY = (
    'sum(rate(http_requests_total{service="bench",rollouts_pod_template_hash="{{ canary_hash }}",code=~"5.."}'
    '[5m])) / sum(rate(http_requests_total{service="bench",rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))'
)
FLOOD_TOKEN = "flood-" + "f" * 40
POLITE_TOKEN = "polite-" + "p" * 40
POLITE_RATE_PER_S = 4.0


@dataclass
class Phase:
    """What one concurrency level produced."""

    concurrency: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    polite: Counter[int] = field(default_factory=Counter)
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def goodput(self) -> float:
        return self.statuses[200] / self.seconds


def dataset(now: float) -> OpenMetrics:
    om = OpenMetrics()
    for pod_hash in HASHES:
        for code, rate in (("200", 9.9), ("500", 0.1)):
            om.add_counter_rate(
                "http_requests_total",
                {"service": "bench", "rollouts_pod_template_hash": pod_hash, "code": code},
                lambda t, r=rate: r,
                now - 7200,
                now + 600,
                60,
            )
    return om


def start_analyzer(catalog: Path, tokens: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ANALYZER_LOG_LEVEL": "warning",
        "ANALYZER_REUSE_WINDOW_S": "0",
        "ANALYZER_CATALOG_POLL_S": "0",
        "ANALYZER_AUTH_TOKENS": str(tokens),
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "analyzer"),
            "serve",
            "--catalog",
            str(catalog),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("analyzer serve did not start")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (this one when `pid` is None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_phase(
    url: str, concurrency: int, seconds: float, first_index: int, anchor: float, pids: dict[str, int | None]
) -> Phase:
    """`concurrency` hostile workers for `seconds`, and the polite caller beside them."""
    phase = Phase(concurrency, seconds)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    index = first_index
    stop_at = time.monotonic() + seconds

    def target() -> str:
        nonlocal index
        index += 1
        # A distinct evaluation time per request (one second apart): nothing is shared or reused.
        return f"{url}?{urlencode({'canary_hash': HASHES[index % len(HASHES)], 'at': f'{anchor - index:.0f}'})}"

    async def hostile(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            async with session.get(target(), headers={"Authorization": f"Bearer {FLOOD_TOKEN}"}) as answer:
                await answer.read()
            phase.statuses[answer.status] += 1
            if answer.status == 200:
                phase.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def polite(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop_at:
            async with session.get(target(), headers={"Authorization": f"Bearer {POLITE_TOKEN}"}) as answer:
                await answer.read()
            phase.polite[answer.status] += 1
            await asyncio.sleep(1 / POLITE_RATE_PER_S)

    connector = aiohttp.TCPConnector(limit=concurrency + 4)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(polite(session), *(hostile(session) for _ in range(concurrency)))
    phase.cpu_s = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    return phase


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def measure(
    url: str, levels: list[int], seconds: float, rounds: int, anchor: float, pids: dict[str, int | None]
) -> list[Phase]:
    """Each level for `seconds` in all, in `rounds` alternating slices, so that a drift of the machine's speed
    during the run (a shared VM's usual state) weighs on every level alike."""
    phases = [Phase(concurrency, 0.0) for concurrency in levels]
    async with aiohttp.ClientSession() as session:  # warm-up: imports, connections, Prometheus caches
        for i in range(100):
            async with session.get(
                f"{url}?canary_hash={HASHES[i]}&at={anchor - 100_000 - i:.0f}",
                headers={"Authorization": f"Bearer {FLOOD_TOKEN}"},
            ) as answer:
                await answer.read()
    first_index = 1_000_000
    for _ in range(rounds):
        for phase in phases:
            part = await run_phase(url, phase.concurrency, seconds / rounds, first_index, anchor, pids)
            first_index += 1_000_000
            phase.seconds += part.seconds
            phase.statuses.update(part.statuses)
            phase.latencies_ms.extend(part.latencies_ms)
            phase.polite.update(part.polite)
            phase.cpu_s = {name: phase.cpu_s.get(name, 0.0) + spent for name, spent in part.cpu_s.items()}
    return phases


def report(phases: list[Phase]) -> bool:
    peak = phases[0].goodput
    limits = {
        name: os.environ.get(f"ANALYZER_{name.upper()}", "default")
        for name in ("max_concurrent_evaluations", "max_queued_evaluations", "queue_timeout_s")
    }
    print(
        f"\ngoodput under overload (hostile workers ignore Retry-After); {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
        + ", ".join(f"{name} {value}" for name, value in limits.items())
    )
    columns = [f"c={p.concurrency}" for p in phases]
    print(f"{'':34}" + "".join(f"{c:>14}" for c in columns))
    rows = [
        ("evaluations/s (200)", [f"{p.goodput:,.0f}" for p in phases]),
        ("ratio to c=" + str(phases[0].concurrency), [f"{p.goodput / peak:.2f}" for p in phases]),
        ("429/s", [f"{p.statuses[429] / p.seconds:,.0f}" for p in phases]),
        (
            "other answers",
            [" ".join(f"{n}x{s}" for s, n in sorted(p.statuses.items()) if s not in (200, 429)) or "-" for p in phases],
        ),
        (
            "p50 / p99 of a 200, ms",
            [f"{quantile(p.latencies_ms, 0.5):.0f} / {quantile(p.latencies_ms, 0.99):.0f}" for p in phases],
        ),
        (f"polite caller ({POLITE_RATE_PER_S:g}/s): 200 / 429", [f"{p.polite[200]} / {p.polite[429]}" for p in phases]),
    ]
    # Everything shares the machine's CPUs: where they went tells whose limit the goodput met.
    for name in phases[0].cpu_s:
        rows.append((f"CPU of {name}, s per s", [f"{p.cpu_s[name] / p.seconds:.2f}" for p in phases]))
    rows.append(
        (
            "analyzer CPU per answer, us",
            [
                f"{p.cpu_s['analyzer'] / max(1, sum(p.statuses.values()) + sum(p.polite.values())) * 1e6:.0f}"
                for p in phases
            ],
        )
    )
    for name, values in rows:
        print(f"{name:34}" + "".join(f"{v:>14}" for v in values))
    at_256 = next((p for p in phases if p.concurrency == 256), phases[-1])
    ok = at_256.goodput >= 0.8 * peak
    print(
        f"target: goodput at c={at_256.concurrency} >= 80% of c={phases[0].concurrency}: "
        f"{'ok' if ok else 'MISSED'} ({at_256.goodput / peak:.0%})"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=9.0, help="time spent at each level")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices the time is cut into")
    parser.add_argument("--levels", default="64,256,512", help="concurrency levels; the first is the reference")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    work = Path(tempfile.mkdtemp(prefix="analyzer-overload-"))
    anchor = time.time()
    backfill(dataset(anchor), work / "tsdb")
    prometheus = PrometheusProcess(work / "tsdb").start()
    tokens = work / "tokens"
    tokens.mkdir()
    (tokens / "flood").write_text(FLOOD_TOKEN)
    (tokens / "polite").write_text(POLITE_TOKEN)
    catalog = work / "catalog.yaml"
    catalog.write_text(
        yaml.safe_dump(
            {
                "sources": {"default": {"url": prometheus.url, "max_concurrency": 32}},
                "checks": [
                    {
                        "name": "error-rate",
                        "kind": "prometheus",
                        "query": QUERY,
                        "pass_if": "< 0.05",
                        "params": {"canary_hash": {"type": "label_value", "required": True}},
                    }
                ],
            }
        )
    )
    port = free_port()
    analyzer = start_analyzer(catalog, tokens, port)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/checks/error-rate/run"
        pids = {"analyzer": analyzer.pid, "prometheus": prometheus.pid, "load generator": None}
        phases = asyncio.run(measure(url, levels, args.seconds, args.rounds, anchor, pids))
    finally:
        analyzer.terminate()
        analyzer.wait(timeout=30)
        prometheus.stop()
    return 0 if report(phases) else 1


if __name__ == "__main__":
    sys.exit(main())
