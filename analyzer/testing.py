"""A real Prometheus with backfilled data, for integration tests, the demo and benchmarks.

Data is written as OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from
openmetrics` and served by a `prometheus` process on 127.0.0.1. Both come from Debian's
`prometheus` package.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ValueAt = Callable[[float], float]


def _format_labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + ",".join(escaped) + "}"


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


@dataclass
class OpenMetrics:
    """Series to backfill: each is a metric name, labels and a function of unix time."""

    _families: dict[str, list[str]] = field(default_factory=dict)

    def add(
        self, name: str, labels: dict[str, str], value_at: ValueAt, start: float, end: float, step_s: float = 15.0
    ) -> None:
        """Add samples of `name{labels}` from `start` (inclusive) to `end` (exclusive) every `step_s`."""
        lines = self._families.setdefault(name, [])
        label_text = _format_labels(labels)
        t = start
        while t < end:
            lines.append(f"{name}{label_text} {_format_value(value_at(t))} {t:.3f}")
            t += step_s

    def add_counter_rate(
        self, name: str, labels: dict[str, str], rate_at: ValueAt, start: float, end: float, step_s: float = 15.0
    ) -> None:
        """Add a counter that grows at `rate_at(t)` per second (a step function is exact under rate())."""
        total = 0.0
        values: list[tuple[float, float]] = []
        t = start
        while t < end:
            values.append((t, total))
            total += rate_at(t) * step_s
            t += step_s
        lines = self._families.setdefault(name, [])
        label_text = _format_labels(labels)
        lines.extend(f"{name}{label_text} {_format_value(v)} {ts:.3f}" for ts, v in values)

    def render(self) -> str:
        """The OpenMetrics text (families as gauges, so any name is accepted)."""
        out: list[str] = []
        for name, lines in self._families.items():
            out.append(f"# TYPE {name} gauge")
            out.extend(lines)
        out.append("# EOF")
        return "\n".join(out) + "\n"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binaries() -> None:
    """Raise RuntimeError naming what to install when prometheus or promtool is missing."""
    missing = [b for b in ("prometheus", "promtool") if shutil.which(b) is None]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not found: apt-get install prometheus (make test does)")


def backfill(data: OpenMetrics | Iterable[OpenMetrics], tsdb_dir: Path) -> None:
    """Write blocks for the series into `tsdb_dir` with promtool."""
    require_binaries()
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    parts = [data] if isinstance(data, OpenMetrics) else list(data)
    source = tsdb_dir.parent / f"{tsdb_dir.name}.om"
    source.write_text("".join(p.render().removesuffix("# EOF\n") for p in parts) + "# EOF\n")
    # Without --max-block-duration promtool re-reads the input once per 2 h block: minutes for 30 days.
    subprocess.run(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=720h",
            str(source),
            str(tsdb_dir),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


# promtool evaluates recording rules block by block, 2 h blocks aligned to the epoch, and stops at the first
# block that holds none of a group's evaluation times: a range starting less than one interval before a 2 h
# boundary records nothing at all for that rule, and promtool exits 0 (Prometheus 2.42, cmd/promtool/rules.go,
# `break` where `continue` was meant). Which groups it hits depends on the time of day and on a hash of the
# rule file's path, so a test reading such a rule failed about one session in 150.
RULE_BLOCK_S = 7200


def rule_slices(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end] (unix seconds) cut at promtool's 2 h block boundaries, one (start, end) per block: run one
    promtool per slice and its early stop costs nothing, since a slice is one block. A one-second slice is left
    out (promtool refuses start == end; it would hold an evaluation only one falling on that exact second)."""
    slices = []
    slice_start = start
    while slice_start <= end:
        slice_end = min((slice_start // RULE_BLOCK_S + 1) * RULE_BLOCK_S - 1, end)
        if slice_end > slice_start:
            slices.append((slice_start, slice_end))
        slice_start = slice_end + 1
    return slices


def backfill_rules(rules_yaml: str, prometheus_url: str, start: float, end: float, tsdb_dir: Path) -> None:
    """Evaluate the recording rules of a rule file (its text) against the Prometheus at `prometheus_url` every
    60 s (or each group's interval) from `start` to `end` with `promtool tsdb create-blocks-from rules`, and
    put the blocks into `tsdb_dir`: a Prometheus serving it sees them once (re)started. Alerting rules are
    skipped, and so are rules that read other rules' output (promtool evaluates each against the server)."""
    require_binaries()
    work = tsdb_dir.parent / f"{tsdb_dir.name}-rules-{int(start)}-{int(end)}"
    work.mkdir(parents=True, exist_ok=True)
    # One file for every slice: a group's evaluation times are aligned by a hash of its name and file path.
    rule_file = work / "rules.yml"
    rule_file.write_text(rules_yaml)
    blocks = work / "blocks"
    for slice_start, slice_end in rule_slices(int(start), int(end)):
        subprocess.run(
            [
                "promtool",
                "tsdb",
                "create-blocks-from",
                "rules",
                f"--url={prometheus_url}",
                f"--start={slice_start}",
                f"--end={slice_end}",
                f"--output-dir={blocks}",
                str(rule_file),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    if not blocks.exists():
        raise RuntimeError(f"promtool recorded no sample of any rule from {int(start)} to {int(end)}")
    for block in blocks.iterdir():
        if block.is_dir() and (block / "meta.json").exists():
            shutil.move(str(block), str(tsdb_dir / block.name))


def unrecorded_rules(rules_yaml: str, prometheus_url: str, end: float) -> list[str]:
    """The recording rules of a backfilled rule file whose expression answers at `end` on the Prometheus at
    `prometheus_url` while no series of the rule (its name and labels) lies within two intervals before `end`:
    promtool left them out, or that Prometheus does not serve the rule blocks. Rules that read other rules'
    output are not checked (promtool records nothing for them). Assumes the data the rules read does not change
    in the last two intervals before `end`."""
    groups = yaml.safe_load(rules_yaml)["groups"]
    rules = [(rule, group.get("interval", "60s")) for group in groups for rule in group["rules"] if "record" in rule]
    recorded = {rule["record"] for rule, _ in rules}
    branches: list[str] = []
    names: list[str] = []
    for rule, interval in rules:
        if any(re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", rule["expr"]) for name in recorded):
            continue
        # A JSON string is a PromQL string literal for the text rule files hold.
        labels = rule.get("labels", {})
        matchers = ", ".join(
            [
                f"__name__={json.dumps(rule['record'])}",
                *(f"{label}={json.dumps(str(value))}" for label, value in labels.items()),
            ]
        )
        window = f"{2 * _duration_s(interval)}s"
        # A number (Pyrra's pyrra_objective) is a scalar rule, which Prometheus records as one series.
        expr = rule["expr"]
        answers = f"vector({expr})" if re.fullmatch(r"\s*[-+0-9.eE]+\s*", expr) else expr
        branches.append(
            f"label_replace(count({answers}) unless on() count(last_over_time({{{matchers}}}"
            f'[{window}])), "rule", "{len(names)}", "", "")'
        )
        names.append(f"{rule['record']} {labels}")
    if not branches:
        return []
    query = urllib.parse.urlencode({"query": " or ".join(branches), "time": f"{end:.3f}"})
    with urllib.request.urlopen(f"{prometheus_url}/api/v1/query?{query}", timeout=30) as answer:  # noqa: S310 (our own http URL)
        result = json.load(answer)["data"]["result"]
    return sorted(names[int(item["metric"]["rule"])] for item in result)


def _duration_s(text: str) -> int:
    """Seconds in a rule group's interval (`30s`, `2m30s`, `1h`)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(count) * units[unit] for count, unit in re.findall(r"(\d+)([smhd])", text))


class PrometheusProcess:
    """A `prometheus` serving a TSDB directory on 127.0.0.1, scraping nothing unless its `config` (the text of its
    configuration file) says what."""

    def __init__(
        self, tsdb_dir: Path, port: int | None = None, config: str = "global:\n  scrape_interval: 1h\n"
    ) -> None:
        self.tsdb_dir = tsdb_dir
        self.config = config
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = tsdb_dir.parent / f"{tsdb_dir.name}.log"

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout_s: float = 30.0, detached: bool = False) -> PrometheusProcess:
        """Start and wait until /-/ready answers; RuntimeError with the log tail otherwise.

        `detached` puts it in its own session so it outlives the caller (the demo).
        """
        require_binaries()
        config = self.tsdb_dir.parent / f"{self.tsdb_dir.name}.yml"
        config.write_text(self.config)
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={self.tsdb_dir}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=10y",
                "--query.lookback-delta=5m",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self._serves_our_tsdb():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"prometheus did not become ready: {self.log_path.read_text()[-2000:]}")

    def _serves_our_tsdb(self) -> bool:
        """Whether the Prometheus answering on the port is ready and serves this TSDB: another one that holds the port
        (another demo's, another test's) answers /-/ready while this one fails to bind, and its data is not ours."""
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:  # noqa: S310 (our own http URL)
                if answer.status != 200:
                    return False
            with urllib.request.urlopen(f"{self.url}/api/v1/status/flags", timeout=1) as answer:  # noqa: S310
                flags = json.load(answer)["data"]
        except (OSError, ValueError, KeyError):
            return False
        return bool(flags.get("storage.tsdb.path") == str(self.tsdb_dir))

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def http_requests(self, handler: str) -> float:
        """How many requests Prometheus has served on `handler` (from its own /metrics)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:  # noqa: S310 (our own http URL)
            text = answer.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("prometheus_http_requests_total{") and f'handler="{handler}"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total
