"""The demo, started once per test session for the docs' examples (tests/docs/test_demo_examples.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy" / "demo" / "demo.py"


def peak_rss_kib(state: Path) -> list[int]:
    """The demo analyzer's peak resident memory (VmHWM), while it still runs."""
    try:
        status = Path(f"/proc/{(state / 'analyzer.pid').read_text().strip()}/status").read_text()
    except OSError:
        return []
    return [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The demo, as `make demo` starts it, in a session directory; (working directory, environment)."""
    workdir = tmp_path_factory.mktemp("demo")
    state = workdir / ".demo"
    started = subprocess.run(
        [sys.executable, str(DEMO), "start", "--dir", str(state)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    try:
        assert started.returncode == 0, started.stderr
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", (state / "env").read_text(), re.M))
        assert "ANALYZER" in exports
        env = {**os.environ, **exports, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        yield workdir, env
    finally:
        subprocess.run(
            [sys.executable, str(DEMO), "stop", "--dir", str(state)], capture_output=True, timeout=60, check=False
        )
