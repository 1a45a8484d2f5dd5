"""The wheel carries everything the image needs: built from a copy of exactly what the Dockerfile
copies, installed into a clean virtualenv, it answers `--help` and runs a real check."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# What the Dockerfile's build stage copies.
BUILD_CONTEXT = ("pyproject.toml", "README.md", "requirements.lock", "analyzer", "checks")


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with only the wheel installed; dependencies are borrowed from the test
    environment through a path entry (no .pth processing, so the editable source tree stays invisible)."""
    work = tmp_path_factory.mktemp("wheel")
    context = work / "context"
    context.mkdir()
    for name in BUILD_CONTEXT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / name)
    wheels = work / "wheels"
    # Offline: no build isolation (the test environment has setuptools and wheel) and no index.
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(wheels),
            "--verbose",
            str(context),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (work / "build.log").write_text(built.stdout + built.stderr)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    (wheel,) = wheels.glob("analyzer-*.whl")
    subprocess.run(
        [venv / "bin" / "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(
        subprocess.run(
            [venv / "bin" / "python", "-c", purelib], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )


class TestWheel:
    """The installed wheel, not the source tree, is what runs."""

    def test_the_build_warns_about_nothing_in_pyproject(self, clean_venv):
        log = (clean_venv.parent / "build.log").read_text()
        assert "BuildBackendWarning" not in log and "SetuptoolsDeprecationWarning" not in log, log[-2000:]

    def test_the_code_comes_from_the_wheel(self, clean_venv, tmp_path):
        done = run(
            clean_venv,
            "python",
            "-c",
            "import analyzer, checks, analyzer.server; print(analyzer.__file__); print(checks.__file__)",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        for line in done.stdout.splitlines():
            assert line.startswith(str(clean_venv)), line

    def test_the_ui_templates_and_stylesheet_are_in_the_wheel(self, clean_venv, tmp_path):
        done = run(
            clean_venv,
            "python",
            "-c",
            "import jinja2, pathlib, analyzer.ui; "
            "print(*jinja2.PackageLoader('analyzer.ui', 'templates').list_templates()); "
            "print(*sorted(p.name for p in (pathlib.Path(analyzer.ui.__file__).parent / 'static').iterdir()))",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        templates, static = done.stdout.splitlines()
        assert {"base.html", "index.html", "check.html", "verdict.html", "login.html", "error.html"} <= set(
            templates.split()
        )
        assert static.split() == ["favicon.svg", "ui.css"]

    def test_help(self, clean_venv, tmp_path):
        done = run(clean_venv, "analyzer", "--help", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "serve" in done.stdout and "exit codes" in done.stdout

    @pytest.mark.integration
    @pytest.mark.parametrize(("pod_hash", "code", "verdict"), [("healthy1", 0, "PASS"), ("broken1", 3, "FAIL")])
    def test_a_real_run(self, clean_venv, tmp_path, prometheus, pod_hash, code, verdict):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump(
                {
                    "sources": {"default": {"type": "prometheus", "url": prometheus.url}},
                    "checks": [
                        {
                            "name": "error-rate",
                            "kind": "prometheus",
                            "pass_if": "< 0.01",
                            "params": {"canary_hash": {"type": "label_value", "required": True}},
                            "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}",'
                            'code="500"}[5m])) / sum(rate(http_requests_total{rollouts_pod_template_hash='
                            '"{{ canary_hash }}"}[5m]))',
                        }
                    ],
                }
            )
        )
        done = run(
            clean_venv,
            "analyzer",
            "run",
            "error-rate",
            "--catalog",
            str(catalog),
            "--arg",
            f"canary_hash={pod_hash}",
            "--at",
            str(prometheus.anchor),
            cwd=tmp_path,
        )
        assert done.returncode == code, done.stdout + done.stderr
        assert done.stdout.startswith(f"{verdict} error-rate:")
