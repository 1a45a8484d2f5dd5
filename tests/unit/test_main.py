"""`python -m analyzer` runs the `analyzer` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class TestModule:
    """`python -m analyzer` is the console script: its commands, their output and exit codes."""

    def test_runs_the_command(self):
        # Before: "No module named analyzer.__main__", exit 1: a Job running `python -m analyzer run` failed always.
        command = [
            sys.executable,
            "-m",
            "analyzer",
            "list",
            "--catalog",
            str(ROOT / "deploy" / "demo" / "catalog.yaml"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("payments-error-rate\tprometheus\tcanary_hash\t")

    def test_exits_as_the_command_does(self):
        command = [sys.executable, "-m", "analyzer", "run", "no-such-check", "--catalog", str(ROOT / "deploy" / "demo")]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 2
        assert result.stderr.startswith("analyzer: no check named 'no-such-check' in the catalog")
