"""The CLI as a new user meets it: `validate` on a directory tree, and output piped into `head`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analyzer.cli import EXIT_BROKEN_PIPE
from tests.ports import refused_port

ROOT = Path(__file__).resolve().parents[2]


def _catalog(path: Path, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "sources": {"default": {"url": url}},
                "checks": [{"name": "up", "kind": "prometheus", "query": "up", "pass_if": "> 0", "reduce": "min"}],
            }
        )
    )
    return path


def _with_closed_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a stdout whose reader is already gone, as `| head -c 1` leaves it."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "analyzer.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


class TestValidateDirectories:
    """`analyzer validate DIR` finds catalogs in subdirectories and skips other manifests."""

    def test_deploy_examples_with_the_base(self):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "analyzer.cli",
                "validate",
                str(ROOT / "deploy" / "base"),
                str(ROOT / "deploy" / "examples"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "rollout-canary.yaml" in result.stdout  # skipped, and said so
        assert result.stdout.splitlines()[-1].startswith("ok: ")

    def test_deploy_examples_alone(self):
        # Their catalogs stand alone; the AnalysisTemplates of deploy/examples/rollouts call the base's checks.
        catalogs = sorted(str(path) for path in (ROOT / "deploy" / "examples").glob("*/catalog*.yaml"))
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", *catalogs],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(ROOT / "deploy" / "examples")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 6
        assert "url calls check 'checkout-error-rate', which the catalog does not have" in result.stderr

    def test_a_nested_invalid_catalog_is_found(self, tmp_path):
        (tmp_path / "team" / "deeper").mkdir(parents=True)
        (tmp_path / "team" / "deeper" / "catalog.yaml").write_text("checks:\n- name: x\n  kind: nope\n")
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 6
        assert "deeper/catalog.yaml" in result.stderr

    def test_a_directory_without_catalogs_is_an_error(self, tmp_path):
        (tmp_path / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        )
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 6
        assert "no catalog documents" in result.stderr


class TestBrokenPipe:
    """A reader that stops early gets no traceback; `run` keeps its verdict's exit code, the other commands exit
    141 (128 + SIGPIPE, as job-mode.md's table says)."""

    @pytest.mark.parametrize("output", [["--json"], [], ["--explain"]])
    def test_run_keeps_the_verdict_code(self, tmp_path, output):
        catalog = _catalog(tmp_path / "c.yaml", f"http://127.0.0.1:{refused_port()}")
        result = _with_closed_stdout("run", "up", "--catalog", str(catalog), *output)
        assert result.returncode == 5
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr

    @pytest.mark.parametrize(
        "command",
        [
            ["list", "--catalog", "{catalog}"],
            ["list", "--json", "--catalog", "{catalog}"],
            ["validate", "{catalog}"],
            ["import", "sloth", str(ROOT / "tests" / "unit" / "data" / "sloth" / "in-base.yaml")],
        ],
    )
    def test_other_commands_exit_like_a_piped_shell_tool(self, tmp_path, command):
        catalog = _catalog(tmp_path / "c.yaml", "http://127.0.0.1:9")
        result = _with_closed_stdout(*(word.format(catalog=catalog) for word in command))
        assert (result.returncode, result.stderr) == (EXIT_BROKEN_PIPE, "")
