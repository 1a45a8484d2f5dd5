"""The demo, started once per test session for the docs' examples (tests/docs/test_demo_examples.py)."""

from __future__ import annotations

import os
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


def newcomer_env() -> dict[str, str]:
    """The environment of a shell that never activated the venv: `analyzer` is not on its PATH."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and Path(p) != Path(venv_bin))
    return {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"} | {"PATH": path}


def sourced_env(env_file: Path) -> dict[str, str]:
    """That shell's environment after `source .demo/env`, as the docs tell a newcomer to do."""
    shown = subprocess.run(
        ["bash", "-c", 'source "$1" && env -0', "bash", str(env_file)],
        env=newcomer_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    env = dict(item.split("=", 1) for item in shown.stdout.split("\0") if "=" in item)
    assert "ANALYZER" in env and "PROMETHEUS" in env, env_file.read_text()
    return env


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
        yield workdir, sourced_env(state / "env")
    finally:
        subprocess.run(
            [sys.executable, str(DEMO), "stop", "--dir", str(state)], capture_output=True, timeout=60, check=False
        )
