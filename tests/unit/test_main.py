"""`python -m analyzer` runs the `analyzer` command."""

from __future__ import annotations

import os
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

    def test_no_command_lists_the_commands(self):
        # Before: "the following arguments are required: COMMAND", naming none of them.
        result = subprocess.run([sys.executable, "-m", "analyzer"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stdout == ""
        assert "validate  validate catalog files or directories" in result.stderr
        assert "run       evaluate one check and exit with its verdict's code" in result.stderr

    def test_version_is_the_package_version(self):
        # Before: "the following arguments are required: COMMAND", exit 2: a bug report or an upgrade could not say
        # which release it was about.
        import tomllib

        version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
        result = subprocess.run(
            [sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, timeout=60
        )
        assert (result.returncode, result.stdout, result.stderr) == (0, f"analyzer {version}\n", "")

    def test_run_help_says_where_check_names_come_from(self):
        # Before: "name  check name", and a newcomer did not know which names there are.
        result = subprocess.run(
            [sys.executable, "-m", "analyzer", "run", "--help"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0
        # Wrapped to the terminal's width: compared with its words joined.
        assert "the check to evaluate (`analyzer list --catalog PATH` names them)" in " ".join(result.stdout.split())

    def test_run_help_has_its_own_epilog(self):
        # Before: `run --help` ended with the top-level epilog, serve's --host, --port and ANALYZER_PORT among it.
        result = subprocess.run(
            [sys.executable, "-m", "analyzer", "run", "--help"], capture_output=True, text=True, timeout=60
        )
        text = " ".join(result.stdout.split())
        assert result.returncode == 0
        assert text.count("0 pass, 3 fail, 4 inconclusive, 5 error") == 1
        assert "ANALYZER_PORT" not in text and "--host" not in text
        assert "example: analyzer run payments-error-rate --catalog catalog/ --arg canary_hash=c0ffee1" in text

    def test_exits_as_the_command_does(self):
        command = [sys.executable, "-m", "analyzer", "run", "no-such-check", "--catalog", str(ROOT / "deploy" / "demo")]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 2
        assert result.stderr.startswith("analyzer: no check named 'no-such-check' in the catalog")

    def test_a_checks_package_in_the_working_directory_is_not_read(self, tmp_path):
        # Before: `python -m analyzer` read ./checks first, so the catalog's kinds failed to import: exit 6.
        (tmp_path / "checks").mkdir()
        (tmp_path / "checks" / "__init__.py").write_text('raise ImportError("the working directory\'s checks")\n')
        catalog = ROOT / "deploy" / "demo" / "catalog.yaml"
        command = [sys.executable, "-m", "analyzer", "validate", str(catalog)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "working directory" not in result.stderr
        # A directory PYTHONPATH names is still read: only the implicit one is dropped.
        probe = [sys.executable, "-m", "analyzer", "list", "--catalog", str(catalog)]
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        result = subprocess.run(probe, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
        assert result.returncode == 6 and "the working directory's checks" in result.stderr

    def test_runs_from_a_working_directory_that_was_removed(self, tmp_path):
        # Before: os.getcwd() raised FileNotFoundError, a traceback and exit 1, where the `analyzer` script runs.
        gone = tmp_path / "gone"
        gone.mkdir()
        catalog = ROOT / "deploy" / "demo" / "catalog.yaml"
        script = 'cd "$1" && rmdir "$1" && exec "$2" -m analyzer list --catalog "$3"'
        command = ["sh", "-c", script, "sh", str(gone), sys.executable, str(catalog)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("payments-error-rate\tprometheus\tcanary_hash\t")
