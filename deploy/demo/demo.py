"""`make demo`: a local Prometheus with backfilled data, a local shop and the analyzer, and a verdict of every
check kind, each with the curl that produced it (the examples of the docs, which tests/docs run against it).

Ports default to free ones (or --prometheus-port / --analyzer-port / --shop-port, or DEMO_*_PORT); the
analyzer's address is printed and written to DIR/env as `export ANALYZER=...`.

Data (service payments, and checkout for the KPI and the scorecard), from 6 h ago to 6 h ahead, so the demo
keeps working for hours, and again on 2026-11-26 from 08:00 to 12:00 UTC for the backtesting examples (`at=`):
- canary c0ffee1 is healthy: 0.05% errors, p99 ~ 120 ms, converts like stable (stable1)
- canary bad0001 throws errors: 8% 5xx, p99 ~ 900 ms, converts half as well
- canary idle001 gets no traffic yet: counters that never move
- Pyrra's recording rules for the SLO payments-availability (0.04% errors; burn rates, availability, increase)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill, free_port  # noqa: E402

CATALOG = ROOT / "deploy" / "demo" / "catalog.yaml"
SHOP = ROOT / "deploy" / "demo" / "shop.py"
# The addresses deploy/demo/catalog.yaml is written with; the demo replaces them with the ones it uses.
CATALOG_PROMETHEUS, CATALOG_SHOP = "http://127.0.0.1:9090", "http://127.0.0.1:8000"
BACKTEST_WINDOW = (
    datetime(2026, 11, 26, 8, tzinfo=UTC).timestamp(),
    datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp(),
)
BUCKETS_S = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)
# canary hash -> (requests/s, error ratio, typical latency in seconds, checkout conversion)
CANARIES = {
    "c0ffee1": (20.0, 0.0005, 0.12, 0.10),
    "bad0001": (20.0, 0.08, 0.9, 0.05),
    "idle001": (0.0, 0.0, 0.1, 0.0),
    "stable1": (20.0, 0.0005, 0.12, 0.10),
}
CHECKOUT_VISITS_PER_S = 50.0
PYRRA_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "4d")
PYRRA_ERROR_RATIO = 0.0004
PYRRA_OBJECTIVE = 0.999
PYRRA_WINDOW_S = 28 * 86400.0
PYRRA_INCREASE_4W = 60.0 * 28 * 86400  # requests of the payments service over 28 days at 60/s
# A Pyrra latency SLO on the payments histogram (success: le="0.5"): the share of requests slower than 0.5 s.
PYRRA_SLOW_RATIO = 0.004
PROCESSES = ("analyzer", "shop", "prometheus")
# (check, query string) of every example the demo prints: each kind, each verdict the docs show.
EXAMPLES = (
    ("payments-error-rate", "canary_hash=c0ffee1"),
    ("payments-error-rate", "canary_hash=bad0001"),
    ("payments-error-rate", "canary_hash=idle001"),
    ("payments-latency-p99", "canary_hash=bad0001"),
    ("payments-pods-queue", ""),
    ("payments-error-budget", "canary_hash=c0ffee1"),
    ("payments-error-budget", "canary_hash=bad0001"),
    ("payments-availability", ""),
    ("checkout-conversion", "canary_hash=c0ffee1&stable_hash=stable1"),
    ("checkout-conversion", "canary_hash=bad0001&stable_hash=stable1"),
    ("checkout-smoke", "release=good"),
    ("checkout-smoke", "release=broken"),
    ("checkout-scorecard", "canary_hash=c0ffee1&stable_hash=stable1"),
    ("checkout-scorecard", "canary_hash=bad0001&stable_hash=stable1"),
)


class DemoError(Exception):
    """A part of the demo did not start."""


def demo_data(now: float) -> OpenMetrics:
    """Counters, histograms, gauges and Pyrra's recording rules, around now and in the backtesting window."""
    om = OpenMetrics()
    # The older window first: promtool wants each series in time order.
    for start, end in (BACKTEST_WINDOW, (now - 6 * 3600, now + 6 * 3600)):
        _add_window(om, start, end)
    return om


def _add_window(om: OpenMetrics, start: float, end: float) -> None:
    for pod_hash, (rps, error_ratio, latency_s, conversion) in CANARIES.items():
        for service in ("payments", "checkout"):
            labels = {"service": service, "rollouts_pod_template_hash": pod_hash}
            om.add_counter_rate(
                "http_requests_total", {**labels, "code": "200"}, lambda t, r=rps * (1 - error_ratio): r, start, end, 30
            )
            om.add_counter_rate(
                "http_requests_total", {**labels, "code": "503"}, lambda t, r=rps * error_ratio: r, start, end, 30
            )
        for bound in (*BUCKETS_S, float("inf")):
            # All requests of a canary take about latency_s: buckets at or above it count them all.
            share = 1.0 if bound >= latency_s else 0.0
            om.add_counter_rate(
                "http_request_duration_seconds_bucket",
                {
                    "service": "payments",
                    "rollouts_pod_template_hash": pod_hash,
                    "le": "+Inf" if bound == float("inf") else repr(bound),
                },
                lambda t, r=rps * share: r,
                start,
                end,
                30,
            )
        # The histogram's _count (the +Inf bucket's events): a `latency` SLI or a Pyrra latency SLO divides by it.
        om.add_counter_rate(
            "http_request_duration_seconds_count",
            {"service": "payments", "rollouts_pod_template_hash": pod_hash},
            lambda t, r=rps: r,
            start,
            end,
            30,
        )
        visits = CHECKOUT_VISITS_PER_S if rps else 0.0
        checkout = {"service": "checkout", "rollouts_pod_template_hash": pod_hash}
        om.add_counter_rate("checkout_visits_total", checkout, lambda t, v=visits: v, start, end, 30)
        om.add_counter_rate("checkout_orders_total", checkout, lambda t, o=visits * conversion: o, start, end, 30)
    for pod, depth in (("payments-7c9f-a", 12.0), ("payments-7c9f-b", 64.0)):
        om.add("payments_queue_depth", {"service": "payments", "pod": pod}, lambda t, d=depth: d, start, end, 30)
    for window in PYRRA_WINDOWS:
        om.add(
            f"http_requests:burnrate{window}",
            {"slo": "payments-availability", "service": "payments"},
            lambda t: PYRRA_ERROR_RATIO,
            start,
            end,
            30,
        )
    om.add("pyrra_availability", {"slo": "payments-availability"}, lambda t: 1 - PYRRA_ERROR_RATIO, start, end, 30)
    # Recorded beside pyrra_availability (all three with --generic-rules): the SLO's target of 99.9 as a ratio, and
    # its window in seconds (the catalog's period: 28d).
    om.add("pyrra_objective", {"slo": "payments-availability"}, lambda t: PYRRA_OBJECTIVE, start, end, 30)
    om.add("pyrra_window", {"slo": "payments-availability"}, lambda t: PYRRA_WINDOW_S, start, end, 30)
    # Pyrra's increase rule over the SLO's 28d window, by code: `analyzer validate --prometheus` looks for it.
    for code, share in (("200", 1 - PYRRA_ERROR_RATIO), ("503", PYRRA_ERROR_RATIO)):
        om.add(
            "http_requests:increase4w",
            {"slo": "payments-availability", "service": "payments", "code": code},
            lambda t, s=share: PYRRA_INCREASE_4W * s,
            start,
            end,
            30,
        )
    # Pyrra's rules of the latency SLO payments-latency: its burnrates, and its increase rules over 28d, the
    # total's without le and the success bucket's with it (how Pyrra tells the two rules apart).
    latency = {"slo": "payments-latency", "service": "payments"}
    for window in PYRRA_WINDOWS:
        name = f"http_request_duration_seconds:burnrate{window}"
        om.add(name, latency, lambda t: PYRRA_SLOW_RATIO, start, end, 30)
    for extra, share in (({}, 1.0), ({"le": "0.5"}, 1 - PYRRA_SLOW_RATIO)):
        om.add(
            "http_request_duration_seconds:increase4w",
            latency | extra,
            lambda t, s=share: PYRRA_INCREASE_4W * s,
            start,
            end,
            30,
        )


def _pid_file(state: Path, name: str) -> Path:
    return state / f"{name}.pid"


def _wait_ready(url: str, process: subprocess.Popen[bytes], ours: Callable[[Any], bool], timeout_s: float = 30) -> bool:
    """True once `url` answers 200 with a JSON body `ours` accepts; False as soon as the process has exited (a taken
    port) or on timeout. Another demo's server on a taken port answers 200 too, until this one fails to bind: `ours`
    tells this process's answer from it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 (localhost only)
                if answer.status == 200 and ours(json.load(answer)):
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return False


def stop(state: Path) -> None:
    """Stop the demo's processes, if running."""
    for name in PROCESSES:
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


def _spawn(state: Path, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with (state / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    _pid_file(state, name).write_text(str(process.pid))
    return process


def start(state: Path, prometheus_port: int, analyzer_port: int, shop_port: int) -> int:
    """Backfill, start Prometheus, the shop and the analyzer in the background, print verdicts; on any failure
    stop whatever was started."""
    stop(state)
    try:
        return _start(state, prometheus_port, analyzer_port, shop_port)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        stop(state)
        return 1


def _start(state: Path, prometheus_port: int, analyzer_port: int, shop_port: int) -> int:
    shutil.rmtree(state / "tsdb", ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    print("backfilling demo data with promtool ...")
    backfill(demo_data(time.time()), state / "tsdb")
    prometheus = _start_prometheus(state, prometheus_port)
    _pid_file(state, "prometheus").write_text(str(prometheus.pid))
    # Chosen after the backfill, which takes seconds to minutes: a port chosen before it is more likely taken since.
    shop_port = shop_port or free_port()
    shop_url = f"http://127.0.0.1:{shop_port}"
    shop = _spawn(state, "shop", [sys.executable, str(SHOP), "--port", str(shop_port)])
    if not _wait_ready(f"{shop_url}/good/healthz", shop, lambda body: body.get("pid") == shop.pid):
        raise DemoError(f"the demo shop did not start on port {shop_port}; see {state / 'shop.log'}")
    catalog = state / "catalog.yaml"
    kept = keep_edited_catalog(catalog)
    catalog.write_text(CATALOG.read_text().replace(CATALOG_PROMETHEUS, prometheus.url).replace(CATALOG_SHOP, shop_url))
    # The shop is on loopback, which http_smoke refuses unless the operator allows it.
    allow = {"ANALYZER_HTTP_ALLOWED_HOSTS": "127.0.0.1", "ANALYZER_HTTP_ALLOWED_NETWORKS": "127.0.0.0/8"}
    env = {**os.environ, **allow}
    # A port chosen here was free a moment ago; another process may take it before the analyzer binds (it
    # warms its kinds first), so a chosen port is chosen again when taken. A port the user gave is not.
    for _ in range(3):
        port = analyzer_port or free_port()
        analyzer = _spawn(
            state,
            "analyzer",
            [
                str(Path(sys.executable).parent / "analyzer"),
                "serve",
                "--catalog",
                str(catalog),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-format",
                "json",
            ],
            env,
        )
        base = f"http://127.0.0.1:{port}"
        if _wait_ready(f"{base}/readyz", analyzer, lambda body: body["catalog"]["path"] == str(catalog)):
            break
        taken = "address already in use" in (state / "analyzer.log").read_text(errors="replace")
        if analyzer_port or not taken:
            raise DemoError(f"the analyzer did not start on port {port}; see {state / 'analyzer.log'}")
    else:
        raise DemoError(f"the analyzer found no free port in 3 tries; see {state / 'analyzer.log'}")
    # What the docs' examples need: $ANALYZER for curl, $PROMETHEUS for `analyzer validate --prometheus`, the
    # allow-list for `analyzer run checkout-smoke`.
    exports = {"ANALYZER": base, "PROMETHEUS": prometheus.url, **allow}
    # `analyzer` is in the venv `make demo` made, not on a newcomer's PATH: the docs' `analyzer run` examples
    # follow `source .demo/env`, so the file puts it there.
    venv_bin = shlex.quote(str(Path(sys.executable).parent))
    (state / "env").write_text(
        "".join(f"export {key}={value}\n" for key, value in exports.items()) + f'export PATH={venv_bin}:"$PATH"\n'
    )
    print(f"\nPrometheus {prometheus.url}, demo shop {shop_url}, analyzer {base}; `make demo-stop` stops them.")
    if kept is not None:
        print(
            f"{catalog} held checks of yours, kept in {kept}: each start writes the demo's catalog anew (its ports "
            "change); append yours to it again"
        )
    # Not "or export ANALYZER=...": the `analyzer run` / `validate` examples also need the rest of the file.
    print(
        f"The examples of the docs need\n\n    source {state / 'env'}\n\n(it sets $ANALYZER={base} and "
        "$PROMETHEUS, allows the demo shop's address for http_smoke and puts `analyzer` on PATH)\n"
    )
    for check, query in EXAMPLES:
        path = f"/api/v1/checks/{check}/run?{query}{'&' if query else ''}format=text"
        print(f'$ curl -s "$ANALYZER{path}"')
        print(_get(base + path).strip())
    path = "/api/v1/checks/payments-error-rate/run?canary_hash=bad0001"
    print(f'\nWhat Argo Rollouts reads (jsonPath {{$.verdict}}):\n$ curl -s "$ANALYZER{path}"')
    print(_get(base + path).strip())
    print(
        f"\nIn a terminal, after `source {state / 'env'}` (it puts `analyzer` on PATH):"
        f"\n    analyzer run payments-error-rate --catalog {catalog} --arg canary_hash=bad0001"
        f'\nMore: curl -s "$ANALYZER/api/v1/checks";  add &explain=true to a run for its queries.'
    )
    print(f"Verdict pages with plots: {base}/ui/  (each page=/ui/... above is a path under {base})")
    return 0


# Every address of the demo's catalog is a loopback one whose port changes at each start.
_DEMO_ADDRESS = re.compile(r"http://127\.0\.0\.1:[0-9]+")


def keep_edited_catalog(catalog: Path) -> Path | None:
    """A copy of `catalog`, beside it under a name of its own, when it holds more than the demo's catalog with its
    ports (a check a user appended, as docs/catalog.md's first check is), which a start overwrites; else None."""
    try:
        text = catalog.read_text()
    except FileNotFoundError:
        return None
    if _DEMO_ADDRESS.sub("", text) == _DEMO_ADDRESS.sub("", CATALOG.read_text()):
        return None
    number = 1
    while (kept := catalog.with_name(f"{catalog.stem}-edited-{number}{catalog.suffix}")).exists():
        number += 1
    shutil.copyfile(catalog, kept)
    return kept


def _start_prometheus(state: Path, port: int) -> PrometheusProcess:
    """Prometheus on `port`, or on a free one, chosen again when another process takes it before Prometheus binds."""
    for _ in range(3):
        process = PrometheusProcess(state / "tsdb", port=port or None)
        try:
            return process.start(detached=True)
        except RuntimeError as exc:
            if port or "address already in use" not in str(exc):
                raise DemoError(f"{exc}\n(is port {process.port} taken?)") from None
    raise DemoError(f"Prometheus found no free port in 3 tries; see {process.log_path}")


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=15) as answer:  # noqa: S310 (localhost only)
            return str(answer.read().decode())
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode())


def _port(name: str) -> int:
    return int(os.environ.get(f"DEMO_{name.upper()}_PORT", "0") or 0)


def main() -> int:
    """start | stop."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, default=ROOT / ".demo")
    for name in ("prometheus", "analyzer", "shop"):
        parser.add_argument(
            f"--{name}-port", type=int, default=_port(name), help=f"0: a free port (DEMO_{name.upper()}_PORT)"
        )
    args = parser.parse_args()
    state = args.dir.resolve()
    if args.action == "stop":
        stop(state)
        return 0
    return start(state, args.prometheus_port, args.analyzer_port, args.shop_port)


if __name__ == "__main__":
    sys.exit(main())
