"""`make demo`: a local Prometheus with backfilled demo data plus the analyzer, and real verdicts.

Scenario (service `payments`, data from 6 h ago to 6 h ahead, so the demo keeps working for hours):
- canary c0ffee1 is healthy: 0.05% errors, p99 ~ 120 ms
- canary bad0001 throws errors: 8% 5xx, p99 ~ 900 ms
- canary idle001 gets no traffic yet: counters that never move
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill  # noqa: E402

PROMETHEUS_PORT = 19090
ANALYZER_PORT = 18080
CATALOG = ROOT / "deploy" / "demo" / "catalog.yaml"
BUCKETS_S = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)
# canary hash -> (requests/s, error ratio, typical latency in seconds)
CANARIES = {"c0ffee1": (20.0, 0.0005, 0.12), "bad0001": (20.0, 0.08, 0.9), "idle001": (0.0, 0.0, 0.1)}


def demo_data(now: float) -> OpenMetrics:
    """Counters and histograms for the three canaries, and a per-pod gauge."""
    om = OpenMetrics()
    start, end = now - 6 * 3600, now + 6 * 3600
    for pod_hash, (rps, error_ratio, latency_s) in CANARIES.items():
        labels = {"service": "payments", "rollouts_pod_template_hash": pod_hash}
        om.add_counter_rate("http_requests_total", {**labels, "code": "200"}, lambda t, r=rps * (1 - error_ratio): r,
                            start, end, 30)
        om.add_counter_rate("http_requests_total", {**labels, "code": "503"}, lambda t, r=rps * error_ratio: r,
                            start, end, 30)
        for bound in (*BUCKETS_S, float("inf")):
            # All requests of a canary take about latency_s: buckets at or above it count them all.
            share = 1.0 if bound >= latency_s else 0.0
            om.add_counter_rate("http_request_duration_seconds_bucket",
                                {**labels, "le": "+Inf" if bound == float("inf") else repr(bound)},
                                lambda t, r=rps * share: r, start, end, 30)
    for pod, depth in (("payments-7c9f-a", 12.0), ("payments-7c9f-b", 64.0)):
        om.add("payments_queue_depth", {"service": "payments", "pod": pod}, lambda t, d=depth: d, start, end, 30)
    return om


def _pid_file(state: Path, name: str) -> Path:
    return state / f"{name}.pid"


def _wait_ready(url: str, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 (localhost only)
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(state: Path) -> None:
    """Stop the demo's processes, if running."""
    for name in ("analyzer", "prometheus"):
        pid_file = _pid_file(state, name)
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            print(f"stopped {name} (pid {pid})")
        except ProcessLookupError:
            pass
        pid_file.unlink()


def start(state: Path) -> int:
    """Backfill, start Prometheus and the analyzer in the background, print verdicts."""
    stop(state)
    shutil.rmtree(state / "tsdb", ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    now = time.time()
    print("backfilling demo data with promtool ...")
    backfill(demo_data(now), state / "tsdb")
    try:
        prometheus = PrometheusProcess(state / "tsdb", port=PROMETHEUS_PORT).start(detached=True)
    except RuntimeError as exc:
        print(f"{exc}\n(is port {PROMETHEUS_PORT} taken? make demo-stop)", file=sys.stderr)
        return 1
    _pid_file(state, "prometheus").write_text(str(prometheus.pid))
    analyzer_log = (state / "analyzer.log").open("wb")
    analyzer = subprocess.Popen(
        [str(Path(sys.executable).parent / "analyzer"), "serve", "--catalog", str(CATALOG), "--host", "127.0.0.1",
         "--port", str(ANALYZER_PORT), "--log-format", "json"],
        stdout=analyzer_log, stderr=subprocess.STDOUT, start_new_session=True)
    _pid_file(state, "analyzer").write_text(str(analyzer.pid))
    base = f"http://127.0.0.1:{ANALYZER_PORT}"
    if not _wait_ready(f"{base}/readyz"):
        print(f"the analyzer did not start; see {state / 'analyzer.log'}", file=sys.stderr)
        return 1
    print(f"\nPrometheus: {prometheus.url}   analyzer: {base}   (make demo-stop stops both)\n")
    for check, args in (("payments-error-rate", "canary_hash=c0ffee1"), ("payments-error-rate", "canary_hash=bad0001"),
                        ("payments-error-rate", "canary_hash=idle001"), ("payments-latency-p99", "canary_hash=c0ffee1"),
                        ("payments-latency-p99", "canary_hash=bad0001"), ("payments-pods-queue", ""),
                        ("payments-error-budget", "canary_hash=c0ffee1"),
                        ("payments-error-budget", "canary_hash=bad0001"),
                        ("payments-error-budget", "canary_hash=idle001")):
        url = f"{base}/api/v1/checks/{check}/run?{args}{'&' if args else ''}format=text"
        print(f"$ curl -s '{url}'")
        print("  " + _get(url).strip())
    url = f"{base}/api/v1/checks/payments-error-rate/run?canary_hash=bad0001"
    print(f"\nWhat Argo Rollouts reads (jsonPath {{$.verdict}}):\n$ curl -s '{url}'")
    print("  " + _get(url).strip())
    print(f"\nMore: curl -s '{base}/api/v1/checks' | python3 -m json.tool;  add &explain=true for the queries.")
    print(f"Verdict pages with plots: {base}/ui/  (each page=/ui/... above is a path under {base})")
    return 0


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=15) as answer:  # noqa: S310 (localhost only)
            return str(answer.read().decode())
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode())


def main() -> int:
    """start | stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, default=ROOT / ".demo")
    args = parser.parse_args()
    state = args.dir.resolve()
    if args.action == "stop":
        stop(state)
        return 0
    return start(state)


if __name__ == "__main__":
    sys.exit(main())
