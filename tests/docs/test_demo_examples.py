"""Every example of README.md and docs/ (`curl "$ANALYZER/..."`, `analyzer run`, `analyzer validate`, ...)
runs against `make demo`'s services (started once per session on free ports), in a shell that did what the
docs tell a newcomer (`source .demo/env`, nothing else), and prints what the docs print under it: the same
lines, up to what changes from run to run (times, durations, ports, hashes).

Examples are the `$ ` lines of ```console blocks; the lines after one, up to the next `$ `, are what the
docs say it prints. `.demo/` in a command is the demo's directory, `$ANALYZER` its address; `deploy/` is the
repository's, and a file a page introduces as "`NAME.yaml`:" before a ```yaml block holds that block."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.docs.conftest import peak_rss_kib

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DEMO = ROOT / "deploy" / "demo" / "demo.py"
VERDICT_WORDS = {"PASS": "pass", "FAIL": "fail", "INCONCLUSIVE": "inconclusive", "ERROR": "error"}
EXIT_CODES = {"pass": 0, "fail": 3, "inconclusive": 4, "error": 5}


@dataclass(frozen=True)
class Example:
    """One documented command and what the docs say it prints."""

    where: str
    command: str
    printed: tuple[str, ...]

    @property
    def evaluates(self) -> bool:
        return "analyzer run " in self.command or bool(re.search(r"/api/v1/checks/[^/\"' ]+/run", self.command))


def examples(path: Path) -> Iterator[Example]:
    """The `$ ` commands of a page's console blocks, with their printed lines."""
    text = path.read_text()
    for block in re.finditer(r"^( *)```console\n(.*?)^\1```", text, re.S | re.M):
        start = text[: block.start()].count("\n") + 2
        lines = [line.removeprefix(block.group(1)) for line in block.group(2).splitlines()]
        previous = ""
        for index, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            command, end = line[2:], index + 1
            while command.endswith("\\") and end < len(lines):
                command, end = command[:-1] + lines[end].strip(), end + 1
            printed = []
            while end < len(lines) and not lines[end].startswith("$ "):
                printed.append(lines[end])
                end += 1
            # `echo $?` shows the exit status of the command before it, in the same shell.
            runs = f"{previous} >/dev/null 2>&1; {command}" if command == "echo $?" else command
            previous = command
            yield Example(f"{path.relative_to(ROOT)}:{start + index}", runs, tuple(printed))


def named_files(path: Path) -> Iterator[tuple[str, str]]:
    """(file name, content) of each ```yaml block a page introduces as "`NAME.yaml`:", for its examples to read
    (a block indented in a list item, as a reader copies it: without the indent)."""
    for found in re.finditer(r"`([\w.-]+\.ya?ml)`:\n\n( *)```yaml\n(.*?)^\2```", path.read_text(), re.S | re.M):
        yield found.group(1), "".join(line.removeprefix(found.group(2)) for line in found.group(3).splitlines(True))


# What differs from one run to the next; everything else an example prints must be as the docs print it (answers
# are compact JSON, pretty-printed ones have a space after the colon).
VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d(?::|%3A)\d\d(?::|%3A)\d\d(?:\.\d+)?Z"), "<time>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?ms\b"), "<ms>"),
    (re.compile(r'"duration_ms": ?[\d.]+'), '"duration_ms": <ms>'),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"catalog version [0-9a-f]+"), "catalog version <hash>"),
    (re.compile(r'"catalog_version": ?"[0-9a-f]+"'), '"catalog_version": "<hash>"'),
    (re.compile(r'"seq": ?\d+'), '"seq": <n>'),
    (re.compile(r'"request_id": ?"[^"]+"'), '"request_id": "<id>"'),
    (re.compile(r"curl/[\d.]+"), "curl/<version>"),
    # Floating-point noise of a rate, which moves with the evaluation time's place among the samples
    # (0.0005000000000000091 in one run, ...092 in the next): long decimals compare to 10 significant digits.
    (re.compile(r"\b\d+\.\d{11,}(?:e[+-]?\d+)?\b"), lambda found: format(float(found.group()), ".10g")),
]


def steady(text: str) -> list[str]:
    """The lines of an output, with what changes from run to run masked."""
    for pattern, mask in VOLATILE:
        text = pattern.sub(mask, text)
    return [line.rstrip() for line in text.strip().splitlines()]


EXAMPLES = [e for page in PAGES for e in examples(page)]
EVALUATIONS = [e for e in EXAMPLES if e.evaluates]


# A request refused before any evaluation: `code (status): message` (format=text) or `{"error": "code", ...}`.
REFUSAL = re.compile(r'^(?:([a-z_]+) \((\d{3})\): |\{"error": ?"([a-z_]+)")')


def _verdict_of(text: str) -> str | None:
    """A summary line's first word, a JSON body's `verdict`, or `refused CODE` for a refusal."""
    word = text.split(maxsplit=1)[0] if text else ""
    if word in VERDICT_WORDS:
        return VERDICT_WORDS[word]
    found = re.search(r'"verdict":\s*"(\w+)"', text)
    if found:
        return found.group(1)
    refused = REFUSAL.match(text)
    return f"refused {refused.group(1) or refused.group(3)}" if refused else None


def documented_verdict(example: Example) -> str:
    """The verdict the docs print (or the refusal they show)."""
    text = "\n".join(example.printed).strip()
    assert text, f"{example.where}: show what `{example.command}` prints"
    verdict = _verdict_of(text)
    assert verdict, f"{example.where}: no verdict in the printed lines"
    return verdict


def printed_verdict(output: str) -> str:
    text = output.strip()
    return _verdict_of(text) or f"no verdict in {text[:200]!r}"


class TestDocumentedExamples:
    """Each documented evaluation answers, against the demo, the verdict the docs print."""

    def test_examples_were_found(self):
        kinds = {m for e in EVALUATIONS for m in re.findall(r"checks/([\w-]+)/run|analyzer run ([\w-]+)", e.command)}
        assert len(EVALUATIONS) >= 15 and len(kinds) >= 8, kinds

    def test_every_curl_of_the_run_endpoint_is_a_tested_example(self):
        tested = {e.command for e in EVALUATIONS if "$ANALYZER" in e.command}
        for page in PAGES:
            for number, line in enumerate(page.read_text().splitlines(), 1):
                if re.search(r"curl .*/api/v1/checks/[^ ]+/run", line):
                    assert line.strip().removeprefix("$ ") in tested, (
                        f'{page.relative_to(ROOT)}:{number}: write run examples as `$ curl ... "$ANALYZER/..."` '
                        "in a console block, so that tests/docs runs them against the demo"
                    )

    @pytest.mark.integration
    @pytest.mark.parametrize("example", EVALUATIONS, ids=[e.where for e in EVALUATIONS])
    def test_verdict_as_documented(self, demo_shell, example):
        expected = documented_verdict(example)
        result = demo_shell(example.command)
        assert printed_verdict(result.stdout) == expected, result.stdout + result.stderr
        if example.command.startswith("analyzer run") and "|" not in example.command:
            assert result.returncode == EXIT_CODES.get(expected, 2)

    @pytest.mark.integration
    @pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
    def test_prints_as_documented(self, demo_shell, example):
        result = demo_shell(example.command)
        assert steady(result.stdout + result.stderr) == steady("\n".join(example.printed)), (
            f"{example.where}: `{example.command}` printed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )


STUBBED = ("rm", "rmdir", "unlink", "shred", "xargs", "find", "truncate")


@pytest.mark.integration
class TestShellOfTheExamples:
    """The shell the examples run in cannot delete files: the tools that do are stubs that refuse."""

    @pytest.mark.parametrize("command", ["rm -rf kept", "find . -name kept -delete", "echo kept | xargs rm"])
    def test_a_deleting_command_leaves_the_file(self, demo, demo_shell, command):
        workdir, _ = demo
        (workdir / "kept").write_text("x")
        result = demo_shell(command)
        assert result.returncode != 0 and "is stubbed out" in result.stderr
        assert (workdir / "kept").read_text() == "x"


@pytest.fixture(scope="module")
def demo_shell(demo):
    """Runs a documented command as a newcomer's shell would, in the demo's directory beside the repository's
    deploy/ and the files the pages name."""
    workdir, env = demo
    if not (workdir / "deploy").exists():
        (workdir / "deploy").symlink_to(ROOT / "deploy")
    for page in PAGES:
        for name, content in named_files(page):
            (workdir / name).write_text(content)
    # The commands come from pages anyone may edit: the programs that delete files, or run others over many, are
    # stubs that refuse, so that a slip in a page (`rm -rf $DIR/` with DIR unset) cannot delete the machine's files.
    stubs = workdir / "stubs"
    stubs.mkdir(exist_ok=True)
    for tool in STUBBED:
        (stubs / tool).write_text(f'#!/bin/sh\necho "tests/docs: {tool} is stubbed out in docs examples" >&2\nexit 1\n')
        (stubs / tool).chmod(0o755)
    env = {**env, "PATH": f"{stubs}{os.pathsep}{env['PATH']}"}

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    return run


DEMO_FILES = sorted({name for page in PAGES for name in re.findall(r"\.demo/([\w.]+\w)", page.read_text())})


@pytest.mark.integration
class TestDemoFiles:
    """Each file of `.demo/` a page names (logs, pid files, env, catalog) is there once the demo runs."""

    def test_names_were_found(self):
        assert {"env", "catalog.yaml"} <= set(DEMO_FILES)

    @pytest.mark.parametrize("name", DEMO_FILES)
    def test_exists(self, demo, name):
        workdir, _ = demo
        assert (workdir / ".demo" / name).is_file(), f"the docs name .demo/{name}, which `make demo` does not write"


def _demo_module() -> Any:
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestDemoKeepsEditedCatalog:
    """A start writes the demo's catalog anew (its ports change); one holding the user's edits (docs/catalog.md's
    first check appended) is copied aside first and said, so a second `make demo` loses nothing."""

    def test_an_edited_catalog_is_kept(self, tmp_path):
        # Before: `make demo` again overwrote .demo/catalog.yaml, the check appended to it gone without a word.
        demo = _demo_module()
        catalog = tmp_path / "catalog.yaml"
        written = demo.CATALOG.read_text().replace(demo.CATALOG_PROMETHEUS, "http://127.0.0.1:41017")
        edited = written + "- name: payments-latency-p95\n  kind: prometheus\n"
        catalog.write_text(edited)
        kept = demo.keep_edited_catalog(catalog)
        assert kept is not None and kept.parent == tmp_path and kept != catalog
        assert kept.read_text() == edited
        assert catalog.read_text() == edited
        # A second one does not replace the first.
        again = demo.keep_edited_catalog(catalog)
        assert again is not None and again != kept and kept.read_text() == edited

    def test_the_demos_own_catalog_is_not_kept(self, tmp_path):
        demo = _demo_module()
        catalog = tmp_path / "catalog.yaml"
        assert demo.keep_edited_catalog(catalog) is None
        ported = demo.CATALOG.read_text().replace(demo.CATALOG_PROMETHEUS, "http://127.0.0.1:41017")
        catalog.write_text(ported.replace(demo.CATALOG_SHOP, "http://127.0.0.1:39963"))
        assert demo.keep_edited_catalog(catalog) is None
        assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.yaml"]


@dataclass
class _StandIn:
    """What the demo keeps of its Prometheus: an address (nothing listens there) and a process it stops."""

    url: str
    pid: int


@pytest.mark.integration
class TestDemoStartKeepsEditedCatalog:
    """A second start (`make demo` again) keeps the catalog the user edited before writing the demo's anew, and says
    where: the start as it runs, its shop and analyzer real, without Prometheus (its data and its binary)."""

    def test_a_second_start_keeps_the_edited_catalog(self, tmp_path, monkeypatch, capsys):
        demo = _demo_module()
        state = tmp_path / "state"
        state.mkdir()
        catalog = state / "catalog.yaml"
        edited = demo.CATALOG.read_text().replace(demo.CATALOG_PROMETHEUS, "http://127.0.0.1:41017")
        edited += "- name: payments-latency-p95\n  kind: prometheus\n"
        catalog.write_text(edited)
        # Stopped by the demo's stop, as its Prometheus is: it waits for an end of input that never comes.
        idle = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, start_new_session=True
        )
        prometheus = _StandIn("http://127.0.0.1:9", idle.pid)
        monkeypatch.setattr(demo, "backfill", lambda data, tsdb: None)
        monkeypatch.setattr(demo, "_start_prometheus", lambda state, port: prometheus)
        monkeypatch.setattr(demo, "_get", lambda url: "")
        try:
            assert demo.start(state, 0, 0, 0) == 0
        finally:
            demo.stop(state)
            idle.wait(timeout=30)
        (kept,) = state.glob("catalog-edited-*.yaml")
        assert kept.read_text() == edited
        written = catalog.read_text()
        assert "payments-latency-p95" not in written and prometheus.url in written
        said = capsys.readouterr().out
        assert f"{catalog} held checks of yours, kept in {kept}: each start writes the demo's catalog anew" in said


@pytest.mark.integration
class TestDemo:
    """The demo takes its ports from the caller, and a failed start leaves nothing running."""

    def test_a_taken_port_stops_what_was_started(self, tmp_path):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = subprocess.run(
                [sys.executable, str(DEMO), "start", "--dir", str(tmp_path / "state"), "--analyzer-port", str(port)],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        assert result.returncode == 1
        assert f"did not start on port {port}" in result.stderr
        assert "stopped prometheus" in result.stdout and "stopped shop" in result.stdout
        assert not list((tmp_path / "state").glob("*.pid"))


class _Foreign(BaseHTTPRequestHandler):
    """Another demo's server: 200 and JSON to every GET, as its analyzer (/readyz), its shop (/good/healthz) and its
    Prometheus (/-/ready, /api/v1/status/flags) answer, each naming its own files and process."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "status": "success",
                "data": {"storage.tsdb.path": "/elsewhere/.demo/tsdb"},
                "catalog": {"path": "/elsewhere/.demo/catalog.yaml"},
                "pid": 1,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.integration
class TestDemoBesideAnother:
    """A demo given a port another demo's server answers on fails, never printing that server's verdicts."""

    @pytest.mark.parametrize("part", ["prometheus", "shop", "analyzer"])
    def test_a_port_another_demo_serves_is_not_taken_for_this_one(self, tmp_path, part):
        foreign = ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
        threading.Thread(target=foreign.serve_forever, daemon=True).start()
        port = foreign.server_address[1]
        try:
            result = subprocess.run(
                [sys.executable, str(DEMO), "start", "--dir", str(tmp_path / "state"), f"--{part}-port", str(port)],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            left_running = sorted(path.name for path in (tmp_path / "state").glob("*.pid"))
        finally:
            foreign.shutdown()
            foreign.server_close()
            # A demo that took the other server for its own left its processes running: stopped here, pass or fail.
            subprocess.run(
                [sys.executable, str(DEMO), "stop", "--dir", str(tmp_path / "state")], capture_output=True, timeout=60
            )
        assert result.returncode == 1, result.stdout
        assert f"port {port}" in result.stderr
        assert "$ curl" not in result.stdout
        assert not left_running


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


@pytest.mark.integration
class TestMemoryRequest:
    """deploy/base requests what `analyzer serve` was measured to need with every kind evaluated, plus headroom."""

    def test_request_covers_the_demo_peak(self, demo):
        import yaml

        workdir, _ = demo
        # The demo has evaluated every kind once (its printed verdicts), kpi_compare's scipy import included.
        (peak_kib,) = peak_rss_kib(workdir / ".demo")
        deployment = yaml.safe_load((ROOT / "deploy" / "base" / "deployment.yaml").read_text())
        resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
        request_mib = _mebibytes(resources["requests"]["memory"])
        assert peak_kib / 1024 * 1.2 <= request_mib, f"peak {peak_kib / 1024:.0f} MiB: raise the request"
        assert _mebibytes(resources["limits"]["memory"]) >= 2 * request_mib
