"""`make bench`: what the analyzer adds on top of Prometheus, measured against baselines in the same run.

Everything runs on this machine: a real Prometheus with backfilled data, `analyzer serve` in its own
process, a baseline service (the same PromQL sent with aiohttp's client and a verdict answered, nothing else),
a minimal aiohttp JSON server as the framework baseline, and the load generator in this process.
Each figure is printed with its baseline and their ratio, plus the machine it came from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill, free_port  # noqa: E402

HASHES = [f"h{i:04d}" for i in range(200)]
ERROR_RATIO = (
    'sum(rate(http_requests_total{service="bench",rollouts_pod_template_hash="{{ canary_hash }}",'
    'code=~"5.."}[5m])) / sum(rate(http_requests_total{service="bench",'
    'rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))'
)
MINIMAL_SERVER = """
import sys
import uvloop
from aiohttp import web
async def handler(request):
    return web.json_response({"check": "x", "verdict": "pass", "value": 0.0})
app = web.Application()
app.router.add_get("/run", handler)
# The same event loop as `analyzer serve`, so the ratio measures the analyzer, not the loop.
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, loop=uvloop.new_event_loop())
"""

# The baseline the analyzer is held to: the same PromQL sent with aiohttp's client, its answer judged, and a
# verdict answered; no validation, logs, metrics or history. `/pair` does the same for error_budget's queries.
BASELINE_SERVER = """
import asyncio
import json
import sys
import aiohttp
import uvloop
from aiohttp import web
from yarl import URL
QUERY = sys.argv[3]
# The args as aiohttp's client takes them (yarl encodes them in C): urllib's urlencode, which this service used until
# the twenty-fifth session, percent-encoded byte by byte in Python (a fifth of its instructions at c=1), a cost the
# analyzer, which encodes a template's constant text once, never paid.
QUERY_URL = URL(sys.argv[2] + "/api/v1/query")
async def session_ctx(app):
    # The client as the analyzer's source configures it: no cookies, answers not compressed (aiohttp's default
    # asks for gzip, which costs Prometheus and the client CPU).
    app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32),
                                           cookie_jar=aiohttp.DummyCookieJar(),
                                           headers={"Accept-Encoding": "identity"})
    yield
    await app["session"].close()
async def handler(request):
    promql = QUERY.replace("{{ canary_hash }}", request.query["canary_hash"])
    args = {"query": promql, "time": request.query["at"]}
    async with request.app["session"].get(QUERY_URL, params=args) as response:
        body = json.loads(await response.read())
    value = float(body["data"]["result"][0]["value"][1])
    return web.json_response({"check": "error-rate", "verdict": "pass" if value < 0.05 else "fail", "value": value})
async def answer(session, promql, at):
    async with session.get(QUERY_URL, params={"query": promql, "time": at}) as response:
        return json.loads(await response.read())
async def pair(request):
    # error_budget's queries (the JSON list of argv[4]) sent at once, as the check sends them; their series counted.
    at = request.query["at"]
    answers = await asyncio.gather(*(answer(request.app["session"], q, at) for q in json.loads(sys.argv[4])))
    series = sum(len(body["data"]["result"]) for body in answers)
    return web.json_response({"check": "error-budget", "verdict": "pass", "series": series})
app = web.Application()
app.cleanup_ctx.append(session_ctx)
app.router.add_get("/run", handler)
app.router.add_get("/pair", pair)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, loop=uvloop.new_event_loop())
"""


@dataclass
class Row:
    """One line of the result table."""

    name: str
    measured: str
    baseline: str
    ratio: float
    target: str
    ok: bool


def dataset(now: float) -> OpenMetrics:
    """Request counters for 200 canary hashes (1% errors) around now, and 7 days of a service-wide pair."""
    om = OpenMetrics()
    for code, rate in (("200", 99.9), ("500", 0.1)):
        om.add_counter_rate(
            "slo_requests_total",
            {"service": "bench-slo", "code": code},
            lambda t, r=rate: r,
            now - 7 * 86400,
            now + 3600,
            60,
        )
    # The same SLO as Pyrra's recording rules hold it: one precomputed error ratio per window, labelled with the
    # slo and the total's equality matchers, as Pyrra writes every rule (slo/rules.go).
    rule_labels = {"slo": "bench-slo", "service": "bench-slo"}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
        om.add(f"slo_requests:burnrate{window}", rule_labels, lambda t: 0.001, now - 3600, now + 3600, 60)
    om.add("pyrra_availability", {"slo": "bench-slo"}, lambda t: 0.999, now - 3600, now + 3600, 60)
    # Pyrra's increase rule over the SLO's 28d window, which it records whenever the total has series.
    om.add("slo_requests:increase4w", rule_labels, lambda t: 100.0 * 7 * 86400, now - 3600, now + 3600, 60)
    for pod_hash in HASHES:
        for code, rate in (("200", 9.9), ("500", 0.1)):
            om.add_counter_rate(
                "http_requests_total",
                {"service": "bench", "rollouts_pod_template_hash": pod_hash, "code": code},
                lambda t, r=rate: r,
                now - 3600,
                now + 3600,
                60,
            )
    return om


def catalog(prometheus_url: str) -> dict[str, object]:
    """The bench catalog: one prometheus check."""
    return {
        "sources": {"default": {"url": prometheus_url, "max_concurrency": 32}},
        "checks": [
            {
                "name": "error-rate",
                "kind": "prometheus",
                "query": ERROR_RATIO,
                "pass_if": "< 0.05",
                "params": {"canary_hash": {"type": "label_value", "required": True}},
            },
            {
                "name": "one-window",
                "kind": "prometheus",
                "pass_if": "< 0.05",
                "query": 'sum(rate(slo_requests_total{service="bench-slo",code="500"}[1h])) / '
                'sum(rate(slo_requests_total{service="bench-slo"}[1h]))',
            },
            {
                "name": "error-budget",
                "kind": "error_budget",
                "objective": 99.9,
                "period": "30d",
                "ratio": {
                    "errors": 'sum(rate(slo_requests_total{service="bench-slo",code="500"}[{{ window }}]))',
                    "total": 'sum(rate(slo_requests_total{service="bench-slo"}[{{ window }}]))',
                },
            },
            {
                "name": "error-budget-pyrra",
                "kind": "error_budget",
                "objective": 99.9,
                "period": "28d",
                "pyrra": {"slo": "bench-slo", "metric": "slo_requests"},
                "min_budget_remaining": 0,
            },
            {
                "name": "error-budget-pyrra-total",
                "kind": "error_budget",
                "objective": 99.9,
                "period": "28d",
                "min_budget_remaining": 0,
                "pyrra": {
                    "slo": "bench-slo",
                    "metric": "slo_requests",
                    "total": 'slo_requests_total{service="bench-slo"}',
                },
            },
        ],
    }


def error_budget_queries(prometheus_url: str) -> list[str]:
    """The PromQL the bench's error-budget check sends for one evaluation (each sent at once, its own query)."""
    from analyzer.catalog import build_catalog
    from analyzer.registry import Registry

    eb_check = build_catalog([("bench", catalog(prometheus_url))], Registry.default()).get("error-budget")
    plan = eb_check.plan({})  # type: ignore[attr-defined]
    return [batch.promql for batch in (plan.required, plan.optional) if batch.parts]


def start_process(args: list[str], ready_url: str) -> subprocess.Popen[bytes]:
    """Start a server process and wait until `ready_url` answers."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    import urllib.request

    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready_url, timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{args[0]} did not start")


async def load(
    session: aiohttp.ClientSession, urls: Callable[[int], str], count: int, concurrency: int
) -> tuple[list[float], float]:
    """Send `count` GETs with `concurrency` workers; latencies in ms and the wall time in s."""
    latencies: list[float] = []
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            async with session.get(urls(index)) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{urls(index)} answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def interleaved(
    session: aiohttp.ClientSession,
    contenders: list[Callable[[int], str]],
    count: int,
    concurrency: int,
    rounds: int,
    cpu: dict[int, float] | None = None,
    pids: list[int] | None = None,
) -> list[tuple[list[float], float]]:
    """`count` requests to each contender, sent in `rounds` alternating slices so that a drift of the machine's
    speed during the run (a shared VM's usual state) weighs on every contender alike: (latencies, wall) each.
    With `pids` (the server process of each contender), `cpu` adds up the CPU seconds each spent, by index."""
    results: list[tuple[list[float], float]] = [([], 0.0) for _ in contenders]
    per_round = max(1, count // rounds)
    for round_index in range(rounds):
        for index, urls in enumerate(contenders):
            offset = round_index * per_round
            before = cpu_seconds(pids[index]) if pids and cpu is not None else 0.0
            latencies, wall = await load(
                session, lambda i, urls=urls, offset=offset: urls(offset + i), per_round, concurrency
            )
            if pids and cpu is not None:
                cpu[index] = cpu.get(index, 0.0) + cpu_seconds(pids[index]) - before
            results[index][0].extend(latencies)
            results[index] = (results[index][0], results[index][1] + wall)
    return results


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (a shared machine's speed drifts; CPU per request
    drifts less than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def rss_peak_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


async def measure_all(
    prometheus: PrometheusProcess,
    analyzer_port: int,
    minimal_port: int,
    baseline_port: int,
    analyzer_pid: int,
    baseline_pid: int,
    scale: float,
    at: float,
    eb_queries: list[str],
) -> list[Row]:
    """Every comparison of the table; `eb_queries`: what the error-budget check sends (`error_budget_queries`)."""
    rows: list[Row] = []
    analyzer = f"http://127.0.0.1:{analyzer_port}/api/v1/checks/error-rate/run"
    baseline = f"http://127.0.0.1:{baseline_port}/run"
    direct = f"{prometheus.url}/api/v1/query"

    # Request i asks for hash i mod 200 at a second of its own: no two requests of the run share (args, time),
    # so neither coalescing nor the reuse window can answer one; each phase starts at its own index.
    def via_analyzer(i: int) -> str:
        return f"{analyzer}?{urlencode({'canary_hash': HASHES[i % len(HASHES)], 'at': f'{at - i // len(HASHES):.0f}'})}"

    def straight(i: int) -> str:
        query = ERROR_RATIO.replace("{{ canary_hash }}", HASHES[i % len(HASHES)])
        return f"{direct}?{urlencode({'query': query, 'time': f'{at - i // len(HASHES):.0f}'})}"

    def phase(urls: Callable[[int], str], start: int) -> Callable[[int], str]:
        return lambda i: urls(start + i)

    def via_baseline(i: int) -> str:
        return f"{baseline}?{urlencode({'canary_hash': HASHES[i % len(HASHES)], 'at': f'{at - i // len(HASHES):.0f}'})}"

    connector = aiohttp.TCPConnector(limit=64)
    # Uncompressed answers, as the analyzer's source asks for them: Prometheus direct then does the same work.
    async with aiohttp.ClientSession(connector=connector, headers={"Accept-Encoding": "identity"}) as session:
        # Warm-up: connections, caches, lazy imports.
        for urls in (via_analyzer, via_baseline, straight):
            await load(session, urls, 50, 4)
        n1, n32 = max(20, int(400 * scale)), max(64, int(3000 * scale))
        # The analyzer, the baseline service and Prometheus direct get the same (args, time) pairs, in turns.
        (a1, _), (b1, _), (d1, _) = await interleaved(
            session, [phase(via_analyzer, 100), phase(via_baseline, 100), phase(straight, 100)], n1, 1, rounds=10
        )
        median_ratio = statistics.median(a1) / statistics.median(b1)
        rows.append(
            Row(
                "median latency, c=1",
                f"{statistics.median(a1):.2f} ms",
                f"{statistics.median(b1):.2f} ms baseline",
                median_ratio,
                "<= 1.15x",
                median_ratio <= 1.15,
            )
        )
        rows.append(
            Row(
                "p99 latency, c=1",
                f"{p(a1, 0.99):.2f} ms",
                f"{p(b1, 0.99):.2f} ms baseline",
                p(a1, 0.99) / p(b1, 0.99),
                "(reported)",
                True,
            )
        )
        rows.append(
            Row(
                "baseline median, c=1",
                f"{statistics.median(b1):.2f} ms",
                f"{statistics.median(d1):.2f} ms direct",
                statistics.median(b1) / statistics.median(d1),
                "(reported)",
                True,
            )
        )
        cpu: dict[int, float] = {}
        (a32, a_wall), (b32, b_wall), (_, d_wall) = await interleaved(
            session,
            [phase(via_analyzer, 100 + n1), phase(via_baseline, 100 + n1), phase(straight, 100 + n1)],
            n32,
            32,
            rounds=4,
            cpu=cpu,
            pids=[analyzer_pid, baseline_pid, prometheus.pid or 0],
        )
        n32 = len(a32)
        throughput_ratio = (n32 / a_wall) / (n32 / b_wall)
        rows.append(
            Row(
                "throughput, c=32",
                f"{n32 / a_wall:.0f} req/s",
                f"{n32 / b_wall:.0f} req/s baseline",
                throughput_ratio,
                ">= 0.75x",
                throughput_ratio >= 0.75,
            )
        )
        rows.append(
            Row(
                "baseline throughput, c=32",
                f"{n32 / b_wall:.0f} req/s",
                f"{n32 / d_wall:.0f} req/s direct",
                d_wall / b_wall,
                "(reported)",
                True,
            )
        )
        cpu_ratio = cpu[0] / cpu[1]
        rows.append(
            Row(
                "server CPU per request, c=32",
                f"{cpu[0] / n32 * 1000:.2f} ms",
                f"{cpu[1] / n32 * 1000:.2f} ms baseline",
                cpu_ratio,
                "(reported)",
                True,
            )
        )
        rows.append(
            Row("Prometheus CPU per query, c=32", f"{cpu[2] / n32 * 1000:.2f} ms", "-", math.nan, "(reported)", True)
        )
        rows.append(
            Row(
                "latency p50 / p99, c=32",
                f"{statistics.median(a32):.1f} / {p(a32, 0.99):.1f} ms",
                f"{statistics.median(b32):.1f} / {p(b32, 0.99):.1f} ms baseline",
                statistics.median(a32) / statistics.median(b32),
                "(reported)",
                True,
            )
        )
        rows.append(
            Row(
                "peak RSS under load",
                f"{rss_peak_mb(analyzer_pid):.0f} MB",
                "-",
                math.nan,
                "<= 150 MB",
                rss_peak_mb(analyzer_pid) <= 150,
            )
        )

        # Framework ceiling: identical requests (coalesced, cheap) vs a minimal aiohttp JSON handler.
        same = f"{analyzer}?canary_hash={HASHES[0]}&at={at:.0f}"
        minimal = f"http://127.0.0.1:{minimal_port}/run"
        (_, s_wall), (_, m_wall) = await interleaved(session, [lambda i: same, lambda i: minimal], n32, 32, rounds=4)
        ceiling = (n32 / s_wall) / (n32 / m_wall)
        rows.append(
            Row(
                "framework ceiling, c=32",
                f"{n32 / s_wall:.0f} req/s",
                f"{n32 / m_wall:.0f} req/s minimal",
                ceiling,
                ">= 0.8x",
                ceiling >= 0.8,
            )
        )

        # error_budget: every window and the budget, against a check of one single-window query, both through the
        # analyzer. That check reads [1h], longer than the look-back, so a pass of it also asks whether its series
        # have a sample now (a dead canary's window): two queries since the twentieth session, as a user's sends.
        base = f"http://127.0.0.1:{analyzer_port}/api/v1/checks"
        n_eb = max(10, int(100 * scale))
        (eb, _), (one, _), (pyrra, _) = await interleaved(
            session,
            [
                lambda i: f"{base}/error-budget/run?at={at - i:.0f}",
                lambda i: f"{base}/one-window/run?at={at - i:.0f}",
                lambda i: f"{base}/error-budget-pyrra/run?at={at - i:.0f}",
            ],
            n_eb,
            1,
            rounds=5,
        )
        eb_ratio = statistics.median(eb) / statistics.median(one)
        rows.append(
            Row(
                "error_budget (raw counters), c=1",
                f"{statistics.median(eb):.2f} ms",
                f"{statistics.median(one):.2f} ms one window+presence",
                eb_ratio,
                "<= 1.5x",
                eb_ratio <= 1.5,
            )
        )
        pyrra_ratio = statistics.median(pyrra) / statistics.median(one)
        rows.append(
            Row(
                "error_budget (Pyrra rules), c=1",
                f"{statistics.median(pyrra):.2f} ms",
                f"{statistics.median(one):.2f} ms one window+presence",
                pyrra_ratio,
                "<= 1.5x",
                pyrra_ratio <= 1.5,
            )
        )
        # Pyrra's rules plus the raw total each window's traffic is counted from (zero errors, min events).
        (with_total, _), (rules_only, _) = await interleaved(
            session,
            [
                lambda i: f"{base}/error-budget-pyrra-total/run?at={at - 2000 - i:.0f}",
                lambda i: f"{base}/error-budget-pyrra/run?at={at - 2000 - i:.0f}",
            ],
            n_eb,
            1,
            rounds=5,
        )
        rows.append(
            Row(
                "error_budget (Pyrra + total), c=1",
                f"{statistics.median(with_total):.2f} ms",
                f"{statistics.median(rules_only):.2f} ms rules only",
                statistics.median(with_total) / statistics.median(rules_only),
                "(reported)",
                True,
            )
        )
        # What the raw-counter check asks of Prometheus, sent straight to it: the analyzer's share of the cost.
        # Each pair (the check through the analyzer, then its queries sent together straight to Prometheus, timed
        # until the last answer, as the check waits for it) shares one evaluation time, unused by other phases; the
        # same queries through the baseline service come last, at that time too (the floor of the ratio, below).
        sent = eb_queries

        async def timed(urls: list[str]) -> float:
            started = time.perf_counter()

            async def one(url: str) -> None:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")

            await asyncio.gather(*(one(url) for url in urls))
            return (time.perf_counter() - started) * 1000

        through, relayed, straight_pairs = [], [], []
        for i in range(n_eb):
            moment = f"{at - 5000 - i:.0f}"
            through.append(await timed([f"{base}/error-budget/run?at={moment}"]))
            straight_pairs.append(await timed([f"{direct}?{urlencode({'query': q, 'time': moment})}" for q in sent]))
            relayed.append(await timed([f"http://127.0.0.1:{baseline_port}/pair?at={moment}"]))
        eb_direct_ratio = statistics.median(through) / statistics.median(straight_pairs)
        rows.append(
            Row(
                "error_budget vs its PromQL direct",
                f"{statistics.median(through):.2f} ms",
                f"{statistics.median(straight_pairs):.2f} ms direct ({len(sent)} at once)",
                eb_direct_ratio,
                "<= 1.1x",
                eb_direct_ratio <= 1.1,
            )
        )
        # The floor of that row: the baseline service's own hop in and out (no check, no validation) over the pair.
        # Sent last at each time, after Prometheus has just evaluated the same queries twice: if that order favours
        # anyone, it favours the baseline service, so the floor is not overstated.
        rows.append(
            Row(
                "baseline service vs the same PromQL",
                f"{statistics.median(relayed):.2f} ms",
                f"{statistics.median(straight_pairs):.2f} ms direct ({len(sent)} at once)",
                statistics.median(relayed) / statistics.median(straight_pairs),
                "(reported)",
                True,
            )
        )

        # Coalescing: 100 concurrent identical requests, counted by Prometheus itself.
        before = prometheus.http_requests("/api/v1/query")
        burst = f"{analyzer}?canary_hash={HASHES[1]}&at={at - 1234:.0f}"
        await load(session, lambda i: burst, 100, 100)
        sent = prometheus.http_requests("/api/v1/query") - before
        rows.append(
            Row(
                "coalescing: 100 identical",
                f"{sent:.0f} queries",
                "1 distinct query",
                sent,
                "1 per distinct query",
                sent == 1,
            )
        )
    return rows


def cold_start(catalog_path: Path, at: float, work: Path) -> list[Row]:
    """`analyzer run` wall time to a verdict vs `python -c pass`, with the heaviest imports: with bytecode
    compiled beforehand, as the image has it (pip compiles at install), and from sources, as an editable
    checkout with PYTHONDONTWRITEBYTECODE runs it."""
    runs = 5
    python = sys.executable
    analyzer = str(Path(python).parent / "analyzer")
    job = [
        analyzer,
        "run",
        "error-rate",
        "--catalog",
        str(catalog_path),
        "--arg",
        f"canary_hash={HASHES[0]}",
        "--at",
        f"{at:.0f}",
    ]
    # Bytecode goes to a directory of this run: the checkout stays as it is.
    compiled = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    compiled["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    sources = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(job, capture_output=True, check=False, env=compiled)

    def wall(args: list[str], env: dict[str, str]) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(args, capture_output=True, check=False, env=env)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    # The image removes OpenSSL's default CA file (see the Dockerfile); a file that does not exist stands for it.
    as_image = {**compiled, "SSL_CERT_FILE": str(work / "no-default-ca-file.pem")}
    bare = wall([python, "-c", "pass"], compiled)
    with_bytecode = wall(job, compiled)
    image_like = wall(job, as_image)
    from_sources = wall(job, sources)
    rows = [
        Row(
            "Job cold start (analyzer run)",
            f"{with_bytecode * 1000:.0f} ms",
            f"{bare * 1000:.0f} ms python -c pass",
            with_bytecode / bare,
            "<= 0.3 s total",
            with_bytecode <= 0.3,
        ),
        Row(
            "Job cold start, as in the image",
            f"{image_like * 1000:.0f} ms",
            f"{with_bytecode * 1000:.0f} ms this machine",
            image_like / with_bytecode,
            "(reported)",
            True,
        ),
        Row(
            "Job cold start, no bytecode",
            f"{from_sources * 1000:.0f} ms",
            f"{with_bytecode * 1000:.0f} ms with bytecode",
            from_sources / with_bytecode,
            "(reported)",
            True,
        ),
    ]
    trace = subprocess.run(
        [python, "-X", "importtime", "-c", "import analyzer.cli, analyzer.runner, checks"],
        capture_output=True,
        text=True,
        check=False,
        env=compiled,
    ).stderr
    top = []
    for line in trace.splitlines():
        parts = line.split("|")
        if (
            len(parts) == 3
            and parts[1].strip().isdigit()
            and parts[2].startswith(" ")
            and not parts[2].startswith("  ")
        ):
            top.append((int(parts[1]) / 1000, parts[2].strip()))
    top.sort(reverse=True)
    print("heaviest top-level imports of `analyzer run`: " + ", ".join(f"{name} {ms:.0f} ms" for ms, name in top[:6]))
    return rows


# Texts built to make a reader of free text go back over them, each unit repeated to 128 KB and to 1 MB: read in time
# linear in the text, the 1 MB one takes about 8 times the CPU of the 128 KB one (more as it outgrows the caches); a
# reader scanning again from each position would take 64 times. Measured here, not in a test: a timed test fails by
# chance on a loaded machine.
REDACTION_TEXTS = {
    "jwts": "eyJ" + "a" * 60 + ".",
    "pem-begins": "-----BEGIN PRIVATE KEY-----\n",
    "dsn-words": "u:p@h",
    "oracle-words": "a/b@c",
    "user-infos": "//u:8080?x=y@",
    "aws-like": "AKIA" + "A" * 15,
    "github-prefixes": "ghp_",
    "pairs": "[('password', ",
    "base64-json": "eyJhdXRocyI6e30 ",
    "aws-key-ids": "AKIAAAAAAAAAAAAAAAAA Aa/",
    "secret-data": 'kind: Secret\n data:\n  \\"data\\":{"data": {',
    "secret-backslashes": "Secret\\\\",
    "transcripts": "AUTH LOGIN\nmachine h login u password ",
    "named-values": 'password=   "token": {"a": [',
    "mid-line-auths": "redis-cli x AUTH a b c ",
    "ftp-test-passes": "PASS a/b.test.js\n",
    "twilio-sids": "AC" + "0" * 32 + " a",
    "escaped-secrets": '"kind: Secret\\ndata:\\n  a: b\\n',
    "flow-entries": "{a: b, {'loc': (), 'input': '",
    # One parameter's value of names and percent-encoded names (url_secrets' value runs: each read, and decoded, once).
    "url-parameter-runs": "?a=%3Fa%3D",
    # A bare value of escaped line breaks, each looked past a bounded stretch; URLs' passwords each searched alone.
    "escaped-breaks": "password=a\\n\\n\\n",
    "passwords-alone": "https://u:pw12@h pw12 ",
    # A scheme after an Authorization header's name, a typed line's default, an f-string never closed, a password
    # encoded many times (decoded until no escape is left, at most 64 times).
    "authorization-schemes": "Authorization: Bearer Authorization: ",
    "annotated-defaults": "\npassword: int = 1 token: a = ",
    "f-string-pairs": 'password=f"a ',
    "encoded-passwords": "https://u:%2525252525252525@h ",
}
# http_smoke's readers of secrets in an answer's body (quoted parameters, command lines, sentences, traces, GraphQL).
BODY_TEXTS = {
    "quoted-parameters": "a=\"b='c=",
    "options": "--token --token ",
    "quoted-after-names": "token 'aaaa ",
    "password-calls": "PDO->__construct(',",
    "mysql": "mysql -p",
    "graphql-arguments": 'x(password: \\"a, ',
    "print-r-values": "[token] => a b ",
    "go-maps": "map[token:a ",
    "connection-strings": ";Password=a b",
    "invalid-values": "data.x: Invalid value: ",
    "parameter-runs": "//u:8080?x=y@",
    # Mappings and lists never closed (a validation error's `loc` in each): every bracket is read.
    "validation-locations": '{"loc": [',
    "brackets": "{[",
    "url-parameter-runs": "?a=%3Fa%3D",
    "scheme-escapes": "Bearer a1\\u0026\\u0026",
    # A code line's string with its quotes escaped, never closed; a count of tokens on lines.
    "escaped-assignments": 'password = \\"a\\\\',
    "token-counts": "tokens: 5\n",
    # Typed declarations never assigned a string (each name's union of types read once).
    "typed-assignments": "var token a|a|a|a|a: a|",
}
LARGE_TEXT_BOUND = 16.0


def cpu_best(read: Callable[[str], object], text: str, runs: int) -> float:
    """The least CPU time (this process's: a shared machine's other work is not counted) of `runs` readings."""
    best = math.inf
    for _ in range(runs):
        started = time.process_time()
        read(text)
        best = min(best, time.process_time() - started)
    return best


def large_texts() -> list[Row]:
    """Each reader of free text on 1 MB of each adversarial text against 128 KB of it: the worst ratio of each."""
    from analyzer import _body_secrets
    from analyzer.redaction import dsn_user_info_spans, hide_credentials, is_secret_name, url_secrets

    def redaction(text: str) -> None:
        hide_credentials(text)
        dsn_user_info_spans(text)
        url_secrets(text)

    def body(text: str) -> None:
        _body_secrets._masked(text, is_secret_name)

    def graphql(unit: str, count: int) -> str:
        # A GraphQL document's arguments, in one `query` string.
        return '{"query": "mutation { ' + unit * count + '"}'

    rows = []
    for title, read, units in (
        ("redaction, 1 MB adversarial", redaction, REDACTION_TEXTS),
        ("http_smoke body, 1 MB adversarial", body, BODY_TEXTS),
    ):
        ratios: dict[str, tuple[float, float, float]] = {}
        for name, unit in units.items():
            small_count, large_count = 128 * 1024 // len(unit), 1024 * 1024 // len(unit)
            if name == "graphql-arguments":
                small, large = graphql(unit, small_count), graphql(unit, large_count)
            else:
                small, large = unit * small_count, unit * large_count
            small_s, large_s = cpu_best(read, small, 5), cpu_best(read, large, 3)
            ratios[name] = (large_s / small_s, small_s, large_s)
        print(
            f"{title.split(',')[0]}: CPU of 1 MB / 128 KB of each text: "
            + ", ".join(f"{name} {r[0]:.1f}x" for name, r in ratios.items())
        )
        worst = max(ratios, key=lambda name: ratios[name][0])
        ratio, small_s, large_s = ratios[worst]
        rows.append(
            Row(
                title,
                f"{large_s * 1000:.0f} ms {worst}",
                f"{small_s * 1000:.1f} ms 128 KB",
                ratio,
                f"<= {LARGE_TEXT_BOUND:g}x (64x quadratic)",
                ratio <= LARGE_TEXT_BOUND,
            )
        )
    rows.append(nan_probe_row())
    return rows


# A term of the NaN probe's row: aggregations that hide NaN over a function over time, each of its own series.
NAN_PROBE_TERM = 'max(max(max(max_over_time(x{{i="{i}"}}[5m]))))'
# How much CPU the NaN probe of a query may take against promql-parser's own parse of it (which is itself superlinear
# in a long chain of operators: 47x the CPU for 8x the terms).
NAN_PROBE_BOUND = 4.0


def nan_probe_row() -> Row:
    """The NaN probe of a passing check's query (promql_groups.nan_probe, uncached) of 400 aggregations joined by
    `+` (the size guard's most operators) against the one parse of it that it needs."""
    from analyzer.promql_groups import nan_probe
    from analyzer.promql_syntax import parsed

    query = " + ".join(NAN_PROBE_TERM.format(i=i) for i in range(400))
    probe_s = cpu_best(lambda text: nan_probe(text, 10), query, 3)
    parse_s = cpu_best(parsed, query, 3)
    ratio = probe_s / parse_s
    return Row(
        "NaN probe, 400 aggregations",
        f"{probe_s * 1000:.0f} ms",
        f"{parse_s * 1000:.0f} ms its parse",
        ratio,
        f"<= {NAN_PROBE_BOUND:g}x (a parse per term)",
        ratio <= NAN_PROBE_BOUND,
    )


def main() -> int:
    """Run everything and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default request counts")
    parser.add_argument(
        "--texts", action="store_true", help="only the readers of large adversarial texts (no Prometheus; seconds)"
    )
    args = parser.parse_args()
    if args.texts:
        return print_table(large_texts())
    work = Path(tempfile.mkdtemp(prefix="analyzer-bench-"))
    now = math.floor(time.time() / 60) * 60
    backfill(dataset(now), work / "tsdb")
    prometheus = PrometheusProcess(work / "tsdb").start()
    catalog_path = work / "catalog.yaml"
    catalog_path.write_text(yaml.safe_dump(catalog(prometheus.url)))
    analyzer_port, minimal_port = free_port(), free_port()
    env_python = sys.executable
    os.environ["ANALYZER_LOG_LEVEL"] = "warning"
    analyzer = start_process(
        [
            str(Path(env_python).parent / "analyzer"),
            "serve",
            "--catalog",
            str(catalog_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(analyzer_port),
        ],
        f"http://127.0.0.1:{analyzer_port}/readyz",
    )
    minimal_script = work / "minimal.py"
    minimal_script.write_text(MINIMAL_SERVER)
    minimal = start_process(
        [env_python, str(minimal_script), str(minimal_port)], f"http://127.0.0.1:{minimal_port}/run"
    )
    baseline_port = free_port()
    eb_queries = error_budget_queries(prometheus.url)
    baseline_script = work / "baseline.py"
    baseline_script.write_text(BASELINE_SERVER)
    baseline = start_process(
        [env_python, str(baseline_script), str(baseline_port), prometheus.url, ERROR_RATIO, json.dumps(eb_queries)],
        f"http://127.0.0.1:{baseline_port}/run?canary_hash={HASHES[0]}&at={now - 600:.0f}",
    )
    try:
        rows = asyncio.run(
            measure_all(
                prometheus,
                analyzer_port,
                minimal_port,
                baseline_port,
                analyzer.pid,
                baseline.pid,
                args.scale,
                now - 600,
                eb_queries,
            )
        )
        rows += cold_start(catalog_path, now - 600, work)
    finally:
        for process in (analyzer, minimal, baseline):
            process.terminate()
            process.wait(timeout=20)
        prometheus.stop()
    rows += large_texts()
    return print_table(rows)


def print_table(rows: list[Row]) -> int:
    """The table, after the machine it ran on; 1 if a row missed its target."""
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(f"{'measure':34} {'analyzer':>22} {'baseline':>28} {'ratio':>7}  {'target':22} ok")
    for row in rows:
        ratio = "-" if math.isnan(row.ratio) else f"{row.ratio:.2f}"
        print(
            f"{row.name:34} {row.measured:>22} {row.baseline:>28} {ratio:>7}  {row.target:22} "
            f"{'yes' if row.ok else 'NO'}"
        )
    return 0 if all(row.ok for row in rows) else 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
