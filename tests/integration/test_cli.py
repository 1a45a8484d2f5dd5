"""`analyzer run | validate | list` as a Job runs them: a real process, a real Prometheus, exit codes."""

from __future__ import annotations

import gc
import http.server
import json
import logging
import os
import re
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import structlog
import trustme
import yaml

from tests.integration.test_lint import Answering, asked_prometheus, serving
from tests.integration.test_prometheus_check import CANARY, ERROR_RATIO
from tests.ports import refused_port


@pytest.fixture
def catalog_file(tmp_path, prometheus):
    def write(url=None):
        path = tmp_path / "catalog.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "sources": {"default": {"url": url or prometheus.url}},
                    "checks": [
                        {
                            "name": "error-rate",
                            "kind": "prometheus",
                            "params": CANARY,
                            "query": ERROR_RATIO,
                            "pass_if": "< 0.01",
                        }
                    ],
                }
            )
        )
        return path

    return write


def analyzer(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "analyzer.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def run_error_rate(catalog_file, prometheus, canary, *options):
    """`analyzer run error-rate` of the catalog file for `canary`, at the data's anchor."""
    return analyzer(
        "run",
        "error-rate",
        "--catalog",
        catalog_file(),
        "--arg",
        f"canary_hash={canary}",
        "--at",
        prometheus.anchor,
        *options,
    )


@pytest.mark.integration
class TestRunExitCodes:
    """Each verdict has its own exit code; 1 (crash) and 2 (usage) never stand for a verdict."""

    @pytest.mark.parametrize(
        ("canary", "code", "word"), [("healthy1", 0, "PASS"), ("broken1", 3, "FAIL"), ("idle1", 4, "INCONCLUSIVE")]
    )
    def test_verdicts(self, catalog_file, prometheus, canary, code, word):
        result = run_error_rate(catalog_file, prometheus, canary)
        assert result.returncode == code, result.stderr
        assert result.stdout.startswith(f"{word} error-rate: ")

    def test_no_series_names_the_lint_that_tells_a_misspelt_name(self, catalog_file, prometheus):
        # A canary Prometheus has no series of, as a misspelt metric, label or value reads: the verdict alone said
        # "no series", and nothing of how to tell them apart.
        result = run_error_rate(catalog_file, prometheus, "nosuch1")
        assert result.returncode == 4, result.stderr
        assert result.stdout.startswith("INCONCLUSIVE error-rate: the query returned no series")
        assert result.stderr.endswith(
            "analyzer: the query returned no series, which is also what a misspelt metric, label or label value "
            f"reads: `analyzer validate {catalog_file()} --prometheus {prometheus.url}` names each one that "
            "Prometheus lacks\n"
        )

    def test_a_verdict_on_series_names_no_lint(self, catalog_file, prometheus):
        for canary in ("healthy1", "broken1", "idle1"):
            assert "analyzer validate" not in run_error_rate(catalog_file, prometheus, canary).stderr

    def test_error_when_prometheus_is_down(self, catalog_file):
        result = analyzer(
            "run",
            "error-rate",
            "--catalog",
            catalog_file(f"http://127.0.0.1:{refused_port()}"),
            "--arg",
            "canary_hash=healthy1",
        )
        assert result.returncode == 5
        assert result.stdout.startswith("ERROR error-rate: Prometheus source 'default'")

    def test_json_output(self, catalog_file, prometheus):
        result = run_error_rate(catalog_file, prometheus, "broken1", "--json")
        body = json.loads(result.stdout)
        assert (body["verdict"], body["details"]["queries"][0]) == (
            "fail",
            ERROR_RATIO.replace("{{ canary_hash }}", "broken1"),
        )

    def test_explain_is_json(self, catalog_file, prometheus):
        # No traffic: the series' value is NaN, which Python's json module writes bare and JSON readers refuse.
        result = run_error_rate(catalog_file, prometheus, "idle1", "--explain")
        summary, evidence = result.stdout.split("\n", 1)
        assert summary.startswith("INCONCLUSIVE error-rate: ")
        details = json.loads(evidence, parse_constant=lambda word: pytest.fail(f"bare {word} in --explain"))
        assert details["series"][0]["value"] == "NaN"

    @pytest.mark.parametrize(
        ("args", "text"),
        [
            (["run", "nope"], "no check named 'nope'"),
            (["run", "eror-rate"], "lists them); did you mean 'error-rate'?"),
            (["run", "eror-rate"], "(1 check; `analyzer list --catalog "),
            (["run", "error-rate"], "missing required arg 'canary_hash'"),
            (["run", "error-rate", "--arg", "canary_hash"], "is not KEY=VALUE"),
            (
                ["run", "error-rate", "--arg", "canary_hash", "c0ffee1"],
                "unrecognized arguments: c0ffee1 (an arg is one word: did you mean --arg canary_hash=c0ffee1?)",
            ),
            (["run", "error-rate", "--arg", "canary_hash=a", "--bogus"], "unrecognized arguments: --bogus\n"),
            (
                ["run", "error-rate", "canary_hash=c0ffee1"],
                "unrecognized arguments: canary_hash=c0ffee1 (an arg is given with --arg: did you mean "
                "--arg canary_hash=c0ffee1?)",
            ),
            (
                ["run", "error-rate", "--canary_hash=c0ffee1"],
                "unrecognized arguments: --canary_hash=c0ffee1 (an arg is given with --arg: did you mean "
                "--arg canary_hash=c0ffee1?)",
            ),
            (["run", "error-rate", "canary=c0ffee1"], "unrecognized arguments: canary=<redacted> (an arg is given "),
            (
                ["run", "error-rate", "--canary_hash", "c0ffee1"],
                "unrecognized arguments: --canary_hash c0ffee1 (an arg is given with --arg: did you mean "
                "--arg canary_hash=c0ffee1?)",
            ),
            (["run", "error-rate", "--arg", "canary_hash=a", "--at", "soon"], "--at"),
            # argparse read -1h as an option: "argument --at: expected one argument", as if no time were given.
            (
                ["run", "error-rate", "--arg", "canary_hash=a", "--at", "-1h"],
                "analyzer: --at: '-1h' is neither RFC 3339 nor unix seconds",
            ),
            # The API's format=text: before, "--format <redacted> (an arg is given with --arg: --arg KEY=VALUE)".
            (
                ["run", "error-rate", "--arg", "canary_hash=a", "--format", "text"],
                "unrecognized arguments: --format text (`analyzer run` prints the text line, as the API's format=text "
                "does; --json prints the JSON answer)",
            ),
            (["run", "error-rate", "--arg", "canary_hash=a", "--format", "s3cr3t"], "--format <redacted> (`analyzer"),
        ],
    )
    def test_usage_errors_exit_2(self, catalog_file, args, text):
        result = analyzer(*args, "--catalog", catalog_file())
        assert result.returncode == 2
        assert text in result.stderr

    def test_catalog_from_environment(self, catalog_file, prometheus):
        import os

        env = {**os.environ, "ANALYZER_CATALOG": str(catalog_file())}
        result = analyzer("run", "error-rate", "--arg", "canary_hash=healthy1", env=env)
        assert result.returncode == 0, result.stderr


def two_source_catalog(tmp_path, **extra_source):
    """Sources `a` and `b` at addresses nothing listens on (as in-cluster names are from a laptop), a check on
    each and a composite of both; `a` names files that exist only in the pod."""
    dead = f"http://127.0.0.1:{refused_port()}"
    rate = {"kind": "prometheus", "params": CANARY, "query": ERROR_RATIO, "pass_if": "< 0.01"}
    path = tmp_path / "catalog.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sources": {
                    "a": {"url": dead, "ca_file": "/var/run/pod-only/ca.pem", "bearer_token_file": "/pod/token"},
                    "b": {"url": dead, **extra_source},
                },
                "checks": [
                    {"name": "on-a", "source": "a", **rate},
                    {"name": "on-b", "source": "b", **rate},
                    {
                        "name": "both",
                        "kind": "composite",
                        "params": CANARY,
                        "members": [
                            {"check": name, "args": {"canary_hash": "{{ canary_hash }}"}} for name in ("on-a", "on-b")
                        ],
                    },
                    {
                        "name": "smoke",
                        "kind": "http_smoke",
                        "base_url": dead,
                        "allowed_hosts": ["127.0.0.1"],
                        "steps": [{"name": "up", "path": "/", "expect": {"status": [200]}}],
                    },
                ],
            }
        )
    )
    return path


def forwarding_to(prometheus_url: str) -> type[http.server.BaseHTTPRequestHandler]:
    """A handler that asks Prometheus each GET it gets and answers as Prometheus did (a staging querier's proxy)."""

    class Forwarding(Answering):
        def answer(self) -> tuple[int, bytes]:
            return asked_prometheus(prometheus_url, self.path)

    return Forwarding


@pytest.mark.integration
class TestRunAgainstAnotherPrometheus:
    """`run --prometheus [SOURCE=]URL` reads that Prometheus instead of the catalog's source (a port-forward)."""

    def test_the_source_a_check_reads(self, tmp_path, prometheus):
        catalog = two_source_catalog(tmp_path)
        common = ("--catalog", catalog, "--arg", "canary_hash=broken1", "--at", prometheus.anchor)
        without = analyzer("run", "on-a", *common)
        # Without: the catalog's ca_file is not where a laptop runs, so the catalog does not even load.
        assert without.returncode == 6 and "ca_file '/var/run/pod-only/ca.pem' cannot be read" in without.stderr
        result = analyzer("run", "on-a", *common, "--prometheus", prometheus.url)
        assert result.returncode == 3, result.stdout + result.stderr
        assert result.stdout.startswith("FAIL on-a: value 0.1 does not meet pass_if < 0.01")
        named = analyzer("run", "on-b", *common, "--prometheus", f"b={prometheus.url}")
        assert named.returncode == 3 and named.stdout.startswith("FAIL on-b:"), named.stdout + named.stderr

    def test_a_check_reading_several_sources_needs_each_named(self, tmp_path, prometheus):
        catalog = two_source_catalog(tmp_path)
        common = ("--catalog", catalog, "--arg", "canary_hash=healthy1", "--at", prometheus.anchor)
        bare = analyzer("run", "both", *common, "--prometheus", prometheus.url)
        assert bare.returncode == 2
        assert bare.stderr == (
            "analyzer: --prometheus: check 'both' reads 2 Prometheus sources (a, b): give each its address "
            "(--prometheus a=URL --prometheus b=URL)\n"
        )
        each = analyzer(
            "run", "both", *common, "--prometheus", f"a={prometheus.url}", "--prometheus", f"b={prometheus.url}"
        )
        assert each.returncode == 0 and each.stdout.startswith("PASS both:"), each.stdout + each.stderr
        # One of two: the other keeps the catalog's address, where nothing answers.
        half = analyzer("run", "both", *common, "--prometheus", f"a={prometheus.url}")
        assert half.returncode == 5, half.stdout + half.stderr

    def test_the_source_keeps_its_settings(self, tmp_path):
        # Only the address changes: the source's headers (a tenant) are sent to the address given (so would its
        # timeout_s and `insecure` apply there). Before: a 1 ms timeout, which a quiet machine's Prometheus met.
        tenants: list[str | None] = []

        class Tenant(Answering):
            def answer(self) -> tuple[int, bytes]:
                tenants.append(self.headers.get("X-Scope-OrgID"))
                vector = {"resultType": "vector", "result": [{"metric": {}, "value": [1700000000, "0.001"]}]}
                return 200, json.dumps({"status": "success", "data": vector}).encode()

        catalog = two_source_catalog(tmp_path, headers={"X-Scope-OrgID": "team-a"})
        with serving(Tenant) as url:
            result = analyzer(
                "run", "on-b", "--catalog", catalog, "--arg", "canary_hash=healthy1", "--prometheus", f"b={url}"
            )
        assert tenants and set(tenants) == {"team-a"}, result.stdout + result.stderr

    @pytest.mark.parametrize("given", [True, False])
    def test_a_ca_file_verifies_every_source_pointed_at(self, tmp_path, prometheus, given):
        # A staging Prometheus behind a private CA; source a's own ca_file names a path in the pod.
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca = trustme.CA()
        ca.issue_cert("127.0.0.1").configure_cert(tls)
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        common = ("--catalog", two_source_catalog(tmp_path), "--arg", "canary_hash=healthy1", "--at", prometheus.anchor)
        with serving(forwarding_to(prometheus.url), tls) as url:
            extra = ("--ca-file", tmp_path / "ca.pem") if given else ()
            result = analyzer("run", "both", *common, "--prometheus", f"a={url}", "--prometheus", f"b={url}", *extra)
        if given:
            assert result.returncode == 0 and result.stdout.startswith("PASS both:"), result.stdout + result.stderr
        else:
            # Verified with certifi's CAs, as the service would without the pod's file: never silently unverified.
            assert result.returncode == 5, result.stdout + result.stderr
            assert "TLS failed: unable to get local issuer certificate" in result.stdout, result.stdout

    def test_a_ca_file_needs_prometheus_and_must_be_readable(self, tmp_path, prometheus):
        common = ("run", "on-a", "--catalog", two_source_catalog(tmp_path), "--arg", "canary_hash=x")
        alone = analyzer(*common, "--ca-file", tmp_path)
        assert alone.returncode == 2, alone.stdout + alone.stderr
        assert alone.stderr == (
            "analyzer: --ca-file needs --prometheus (a source of the catalog verifies with its own ca_file)\n"
        )
        missing = analyzer(*common, "--prometheus", prometheus.url, "--ca-file", tmp_path / "none.pem")
        assert missing.returncode == 2, missing.stdout + missing.stderr
        assert missing.stderr.startswith(f"analyzer: --ca-file {str(tmp_path / 'none.pem')!r} cannot be read")

    @pytest.mark.parametrize(
        ("name", "given", "text"),
        [
            ("on-a", ["c=http://127.0.0.1:9"], "check 'on-a' does not read source 'c' (it reads a)"),
            ("on-a", ["b=http://127.0.0.1:9"], "check 'on-a' does not read source 'b' (it reads a)"),
            ("on-a", ["a=http://127.0.0.1:9", "a=http://127.0.0.1:8"], "source 'a' is given twice"),
            ("on-a", ["http://127.0.0.1:9", "a=http://127.0.0.1:9"], "give one URL (the check reads one source)"),
            ("on-a", ["127.0.0.1:9090"], "'127.0.0.1:9090' is not an http(s) base URL: it has no scheme; write http"),
            ("on-a", ["127.0.0.1:0"], "'127.0.0.1:0' is not an http(s) base URL such as http://127.0.0.1:9090"),
            ("on-a", ["http://127.0.0.1:9090/api/v1/query?x=1"], "is not an http(s) base URL"),
            ("on-a", ["a=http://127.0.0.1:9090/api/v1/"], "the source adds /api/v1/query itself: give Prometheus'"),
            ("on-a", ["a=http://admin:s3cret@127.0.0.1:9"], "the url carries user info (user:password@host)"),
            ("on-a", ["http://127.0.0.1:9090?token=s3cret"], "'http://127.0.0.1:9090?<redacted>' is not an http(s)"),
            ("on-a", ["http://admin:s3cret@127.0.0.1:0"], "'http://<redacted>@127.0.0.1:0' is not an http(s)"),
            ("smoke", ["http://127.0.0.1:9"], "check 'smoke' reads no Prometheus source"),
        ],
    )
    def test_usage_errors(self, tmp_path, name, given, text):
        args = [arg for item in given for arg in ("--prometheus", item)]
        result = analyzer("run", name, "--catalog", two_source_catalog(tmp_path), "--arg", "canary_hash=x", *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.startswith("analyzer: --prometheus: ") and text in result.stderr, result.stderr
        assert "s3cret" not in result.stderr


class TestEmptyOptionValues:
    """An option given an empty value (`--at "$AT"`, the variable unset in a CI script) is a usage error, never
    read as the option left out."""

    def test_run_at_nothing_is_not_now(self, tmp_path):
        # Before: evaluated as of now (here an error, the port closed; with a Prometheus, a verdict for the wrong time).
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump(
                {"sources": {"default": {"url": f"http://127.0.0.1:{refused_port()}"}}, "checks": [PROMETHEUS_CHECK]}
            )
        )
        result = analyzer("run", "p", "--catalog", catalog, "--at", "")
        assert result.returncode == 2, result.stdout + result.stderr
        assert (
            result.stderr == "analyzer: --at: '' is neither RFC 3339 nor unix seconds: leave at out to evaluate now\n"
        )

    @pytest.mark.parametrize(
        ("options", "said"),
        [
            (
                ["--prometheus", ""],
                # Before: "... such as http://127.0.0.1:9090", which did not say where the empty value came from.
                "analyzer: --prometheus '' is not an http(s) base URL (an unset variable?): give one such as "
                "http://127.0.0.1:9090\n",
            ),
            (
                ["--prometheus", "http://127.0.0.1:9", "--at", ""],
                "analyzer: --at: '' is neither RFC 3339 nor unix seconds: leave at out to evaluate now\n",
            ),
            (["--at", ""], "analyzer: --at needs --prometheus\n"),
        ],
    )
    def test_validate_is_not_offline_only(self, tmp_path, options, said):
        # The catalog is valid offline: the live check asked for would have passed unasked.
        result = analyzer("validate", two_source_catalog(tmp_path), *options)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", said)

    @pytest.mark.parametrize(
        ("words", "option"),
        [
            (["run", "p", "--catalog", ""], "--catalog"),
            (["run", "p", "--catalog", "catalog.yaml", "--junit", ""], "--junit"),
            (["list", "--catalog", ""], "--catalog"),
            (["validate", ""], "PATH"),
            (["import", "sloth", ""], "file"),
        ],
    )
    def test_an_empty_path_is_not_the_current_directory(self, tmp_path, words, option):
        # A valid catalog in the working directory, which an empty path read (and `run`, `validate` and `list` used).
        (tmp_path / "catalog.yaml").write_text(
            yaml.safe_dump(
                {"sources": {"default": {"url": f"http://127.0.0.1:{refused_port()}"}}, "checks": [PROMETHEUS_CHECK]}
            )
        )
        result = analyzer(*words, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.endswith(f"error: argument {option}: an empty path (an unset variable?)\n")

    def test_an_empty_import_source_is_no_source_name(self):
        # Before: exit 0, checks reading `source: ''`, which no catalog defines.
        result = analyzer("import", "sloth", SLOTH_SPEC, "--source", "")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.endswith("error: argument --source: an empty source name (an unset variable?)\n")


class TestArgsThatAreNotText:
    """An --arg whose bytes are not UTF-8 (a binary value from the environment) is a usage error naming it."""

    @pytest.mark.parametrize(
        ("arg", "said"),
        [
            (b"svc=a\xff\xfe", "analyzer: --arg 'svc' is not valid UTF-8\n"),
            (b"tok=s3cr3t\xff", "analyzer: --arg 'tok' is not valid UTF-8\n"),
            (b"s\xffc=a", "analyzer: --arg 's\\xffc' is not valid UTF-8\n"),
        ],
    )
    def test_usage_error(self, tmp_path, arg, said):
        # Before: a crash (exit 1, read as neither pass nor fail, with two tracebacks) once the check ran.
        catalog = tmp_path / "catalog.yaml"
        check = {
            "name": "p",
            "kind": "prometheus",
            "params": {"svc": {"type": "label_value", "default": "x"}, "tok": {"type": "label_value", "default": "x"}},
            "query": 'up{job="{{ svc }}", t="{{ tok }}"}',
            "pass_if": "> 0",
        }
        url = f"http://127.0.0.1:{refused_port()}"
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": [check]}))
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "run", "p", "--catalog", str(catalog), "--arg", arg],
            capture_output=True,
            timeout=60,
        )
        assert (result.returncode, result.stdout, result.stderr.decode()) == (2, b"", said)


class TestArgsToWrite:
    """A missing arg is shown written as --arg with the catalog's example, a percentage given to a number param as
    the fraction or the percentage."""

    @pytest.mark.parametrize(
        ("args", "said"),
        [
            (
                [],
                "analyzer: missing required arg 'canary_hash' (label_value, e.g. c0ffee1): give it as "
                "--arg canary_hash=c0ffee1\n",
            ),
            (
                ["--arg", "canary_hash=abc", "--arg", "limit=1%"],
                "analyzer: arg 'limit' must be a decimal number, got '1%': write 0.01 for 1% (or 1 if the param is in "
                "percent)\n",
            ),
            # A secret param's example is never shown (nor asked for).
            (["--arg", "canary_hash=abc"], "analyzer: missing required arg 'pin' (label_value)\n"),
            # Without an example, the arg to write all the same (it said only what is missing).
            (
                ["--arg", "canary_hash=abc", "--arg", "pin=1234"],
                "analyzer: missing required arg 'pod' (label_value): give it as --arg pod=VALUE\n",
            ),
        ],
    )
    def test_usage_error_says_what_to_write(self, tmp_path, args, said):
        catalog = tmp_path / "catalog.yaml"
        check = {
            "name": "p",
            "kind": "prometheus",
            "params": {
                "canary_hash": {"type": "label_value", "required": True, "example": "c0ffee1"},
                "limit": {"type": "number", "default": 0.01},
                "pin": {"type": "label_value", "required": True, "secret": True, "example": "s3cr3t-pin"},
                "pod": {"type": "label_value", "required": True},
            },
            "query": 'up{h="{{ canary_hash }}", p="{{ pin }}", pod="{{ pod }}"} > {{ limit }}',
            "pass_if": "> 0",
        }
        url = f"http://127.0.0.1:{refused_port()}"
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": [check]}))
        result = analyzer("run", "p", "--catalog", catalog, *args)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", said)


class TestUndeclaredArgs:
    """An --arg the check does not declare is named, with the param it may mean, wherever it stands."""

    def test_after_a_secret_arg(self, tmp_path):
        # Each --arg is one word: none is the rest of a secret's value split at an '&', as a query string's may be.
        catalog = tmp_path / "catalog.yaml"
        check = {
            "name": "p",
            "kind": "prometheus",
            "params": {
                "tok": {"type": "label_value", "secret": True, "required": True},
                "svc": {"type": "label_value", "required": True},
            },
            "query": 'up{job="{{ svc }}", t="{{ tok }}"}',
            "pass_if": "> 0",
        }
        url = f"http://127.0.0.1:{refused_port()}"
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": [check]}))
        result = analyzer("run", "p", "--catalog", catalog, "--arg", "tok=s3cr3t-91", "--arg", "scv=payments")
        assert result.returncode == 2
        assert "undeclared arg 'scv' (declared params: svc, tok); did you mean 'svc'?" in result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout


SLOTH_SPEC = Path(__file__).parents[1] / "unit" / "data" / "sloth" / "in-base.yaml"


def closed_stdout(*words):
    """`analyzer WORDS >&-`, as a shell runs it."""
    return subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "analyzer.cli", *words],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )


class TestOutputThatCannotBeWritten:
    """A stdout that cannot be written (a full disk under `> catalog.yaml`) is said once on stderr, never a
    traceback: `validate` keeps its exit code, `import` and `list`, whose output is what they are for, exit 5."""

    @pytest.mark.parametrize("unbuffered", ["1", ""])
    @pytest.mark.parametrize(
        ("words", "code"),
        [
            (["validate", "CATALOG"], 0),
            (["list", "--catalog", "CATALOG"], 5),
            (["import", "sloth", str(SLOTH_SPEC)], 5),
        ],
    )
    def test_a_full_disk(self, tmp_path, words, code, unbuffered):
        # Buffered or not (the image sets PYTHONUNBUFFERED): the write fails at once, or at the flush at exit.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]})
        )
        command = [sys.executable, "-m", "analyzer.cli", *(str(catalog) if w == "CATALOG" else w for w in words)]
        environment = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
        with open("/dev/full", "wb") as full:
            result = subprocess.run(
                command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, env=environment
            )
        assert (result.returncode, result.stderr) == (
            code,
            "analyzer: cannot write to stdout: No space left on device\n",
        )

    def test_a_full_disk_before_an_invalid_catalog(self, tmp_path):
        # Buffered: the skipped file's line is still in the buffer when the catalog turns out invalid.
        (tmp_path / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        )
        (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"checks": [{**PROMETHEUS_CHECK, "pass_if": "<< 1"}]}))
        command = [sys.executable, "-m", "analyzer.cli", "validate", str(tmp_path)]
        with open("/dev/full", "wb") as full:
            result = subprocess.run(
                command,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                env={**os.environ, "PYTHONUNBUFFERED": ""},
            )
        assert result.returncode == 6, result.stderr
        lines = result.stderr.splitlines()
        assert lines[-1] == "analyzer: cannot write to stdout: No space left on device", result.stderr
        assert re.search(r"pass_if \(line \d+\): '<< 1' is not a condition", lines[0])

    @pytest.mark.parametrize(
        ("words", "code"),
        [
            (["validate", "CATALOG"], 0),
            (["list", "--catalog", "CATALOG"], 5),
            (["import", "sloth", str(SLOTH_SPEC)], 5),
        ],
    )
    def test_a_closed_stdout(self, tmp_path, words, code):
        # `>&-`: the checks `import` prints are lost as on a full disk (it exited 0 with nothing written).
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]})
        )
        result = closed_stdout(*(str(catalog) if w == "CATALOG" else w for w in words))
        assert (result.returncode, result.stderr) == (code, "analyzer: cannot write to stdout: Bad file descriptor\n")


class TestStdoutIsAnInput:
    """`validate` and `import` refuse, as a usage error, a stdout that is a file they read: `> slos.yaml` emptied
    it before they started (an empty catalog validates), `>> slos.yaml` would append the checks to the spec."""

    @pytest.mark.parametrize("mode", ["wb", "ab"])
    @pytest.mark.parametrize("command", ["validate", "import"])
    def test_refused(self, tmp_path, command, mode):
        path = tmp_path / "input.yaml"
        if command == "validate":
            catalog = {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]}
            path.write_text(yaml.safe_dump(catalog))
            words = ["validate", str(path)]
        else:
            path.write_text(SLOTH_SPEC.read_text())
            words = ["import", "sloth", str(path)]
        written = path.read_text()
        with path.open(mode) as out:  # as a shell opens it for `>` and `>>`
            result = subprocess.run(
                [sys.executable, "-m", "analyzer.cli", *words],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"analyzer: stdout is {str(path)!r}, which this command reads (a shell's `>` empties it before the command "
            "starts): write the output to another file\n"
        )
        # Nothing written into it: empty as the shell left it, or the input as it was.
        assert path.read_text() == ("" if mode == "wb" else written)

    def test_a_closed_stdout_is_no_input(self, tmp_path):
        # `>&-`: Python has no sys.stdout at all; there is no file to compare, and the catalog is still validated.
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": []}))
        result = closed_stdout("validate", str(path))
        assert (result.returncode, result.stderr) == (0, "analyzer: cannot write to stdout: Bad file descriptor\n")


class TestCatalogFilesWithoutTheLoader:
    """The cli lists a catalog path's files with the loader's own listing, from a module that imports nothing else."""

    def test_the_loaders_files(self, tmp_path):
        from analyzer.catalog import catalog_reads
        from analyzer.catalog_paths import listed_catalog_files

        for name in ("a.yaml", "b.yml", ".hidden.yaml", "report.xml", "c.YAML"):
            (tmp_path / name).write_text("checks: []\n")
        (tmp_path / "sub.yaml").mkdir()
        (tmp_path / "linked.yaml").symlink_to(tmp_path / "a.yaml")
        (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
        expected = [tmp_path / name for name in ("a.yaml", "b.yml", "linked.yaml")]
        assert listed_catalog_files(tmp_path) == [shown for shown, _ in catalog_reads(tmp_path)] == expected
        alone = [tmp_path / "a.yaml"]
        assert listed_catalog_files(tmp_path / "a.yaml") == [shown for shown, _ in catalog_reads(alone[0])] == alone
        assert listed_catalog_files(tmp_path / "missing.yaml") is None

    def test_the_listing_imports_only_the_standard_library(self):
        probe = (
            "import sys; before = set(sys.modules); import analyzer.catalog_paths; "
            "print(sorted(m for m in set(sys.modules) - before "
            "if m.split('.')[0] not in sys.stdlib_module_names and not m.startswith('analyzer')))"
        )
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        assert result.stdout.strip() == "[]", result.stdout


class TestValidateAndList:
    """`validate` exits 6 with every problem named; `list` shows the catalog."""

    @pytest.mark.parametrize(
        ("command", "said"),
        [
            # What CI gives validate beside the catalog, and what it checks there, said where a newcomer looks.
            (
                "validate",
                "AnalysisTemplates, Rollouts, Experiments and Jobs running analyzer run given among them are checked "
                "against the catalog",
            ),
            ("list", "--json the checks as a JSON array"),
            ("serve", "--log-format {json,console} log lines as JSON"),
        ],
    )
    def test_help_says_what_each_input_is(self, command, said):
        result = analyzer(command, "--help")
        assert result.returncode == 0
        assert said in " ".join(result.stdout.split())

    def test_validate_given_nothing_names_the_path_it_needs(self):
        # Before: "the following arguments are required: paths", the name of a variable, under `paths [paths ...]`.
        result = analyzer("validate")
        assert result.returncode == 2
        assert "usage: analyzer validate [-h] [--prometheus URL] [--at AT] [--ca-file PATH]" in result.stderr
        assert result.stderr.endswith("analyzer validate: error: the following arguments are required: PATH\n")

    def test_list_given_a_path_as_validate_takes_one_names_catalog(self, tmp_path):
        result = analyzer("list", "mine.yaml", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.endswith(
            "unrecognized arguments: mine.yaml (list takes the catalog with --catalog, where validate takes paths: "
            "analyzer list --catalog mine.yaml)\n"
        )

    def test_validate_given_its_catalog_as_run_takes_one_says_to_give_a_path(self, tmp_path):
        # As README's "analyzer run and analyzer validate still take --catalog .demo/catalog.yaml" led a newcomer to.
        result = analyzer("validate", "--catalog", "mine.yaml", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.endswith(
            "(validate takes the catalog as its first path, without --catalog: analyzer validate mine.yaml ...)\n"
        ), result.stderr

    @pytest.mark.parametrize(
        "words",
        [
            ["validate", "--catalog=mine.yaml"],
            ["validate", "rollout.yaml", "--catalog=mine.yaml"],
            ["validate", "rollout.yaml", "--catalog", "mine.yaml"],
        ],
    )
    def test_validate_given_catalog_in_either_form_names_the_catalog_to_give_as_path(self, tmp_path, words):
        # With `=`, argparse said only that paths are required; after another path, the hint named that one.
        result = analyzer(*words, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.endswith(
            "analyzer validate: error: unrecognized arguments: --catalog (validate takes the catalog as its first "
            "path, without --catalog: analyzer validate mine.yaml ...)\n"
        ), result.stderr

    @pytest.mark.parametrize("catalog", [["--catalog", "mine.yaml"], ["--catalog=mine.yaml"]])
    def test_import_given_catalog_says_it_reads_none(self, tmp_path, catalog):
        result = analyzer("import", "pyrra", "slos.yaml", *catalog, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.endswith(
            "analyzer import: error: unrecognized arguments: --catalog (import reads no catalog: it prints checks as "
            "catalog YAML on stdout, to add to yours: analyzer import FORMAT FILE > imported.yaml)\n"
        ), result.stderr

    def test_catalog_after_double_dash_is_a_path(self, tmp_path):
        result = analyzer("validate", "--", "--catalog", cwd=tmp_path)
        assert result.returncode == 6
        assert "'--catalog' does not exist" in result.stderr

    @pytest.mark.integration
    def test_valid(self, catalog_file):
        result = analyzer("validate", catalog_file())
        assert result.returncode == 0
        assert result.stdout.startswith("ok: 1 check, 1 source")

    def test_invalid(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text(
            "checks:\n- {name: a, kind: prometheus, query: 'x{a={{ h }}}', pass_if: '<< 1',"
            " params: {h: {type: label_value, required: true}}}\n"
        )
        result = analyzer("validate", path)
        assert result.returncode == 6
        assert "bad.yaml: check 'a' (checks[0], line 2): query:" in result.stderr
        assert "pass_if:" in result.stderr

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("sum(rate(x[5m])", "unclosed left parenthesis; the '(' of 'sum(' is closed by no ')'"),
            ("sum(rat(x[5m]))", "unknown function with name 'rat'; did you mean 'rate'?"),
            (
                "sum(rate(x[5min]))",
                "bad number or duration syntax: 5mi; '5min' is no PromQL duration: its units are ms, s, m, h, d, w, y, "
                "lower case, from the largest to the smallest (minutes are m, not min): write 5m",
            ),
            ("sum(rate(x[5m]))}", "unexpected right brace '}'; the '}' of 'sum(rate(x[5m]))}' closes no bracket"),
        ],
    )
    def test_promql_that_does_not_parse(self, tmp_path, query, message):
        path = tmp_path / "bad.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "sources": {"default": {"url": "http://prometheus:9090"}},
                    "checks": [{"name": "a", "kind": "prometheus", "query": query, "pass_if": "< 1"}],
                }
            )
        )
        result = analyzer("validate", path)
        assert result.returncode == 6
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[:2] == [
            "analyzer: the catalog is invalid:",
            f"  - {path}: check 'a': query: the PromQL does not parse ({message}): {query}",
        ]
        assert "promql-parser" in lines[2] and "--prometheus URL` has it decide" in lines[2]
        assert "skip_promql_parse: true" in lines[2]

        path.write_text(path.read_text().replace("kind: prometheus", "kind: prometheus\n  skip_promql_parse: true"))
        result = analyzer("validate", path)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith("ok: 1 check, 1 source")

    def test_promql_that_does_not_parse_is_named_beside_the_other_checks_problems(self, tmp_path):
        # One CI run names both: the parse was skipped while another check had a problem, to come up only once that
        # one was fixed and pushed.
        path = tmp_path / "bad.yaml"
        placed = "query: 'sum(rate(x{h=\"{{ h }}\"}[5m]))', pass_if: '< 1'"
        path.write_text(
            "sources: {default: {url: 'http://prometheus:9090'}}\n"
            "checks:\n"
            "- {name: a, kind: prometheus, query: 'sum(rate(x[5m])', pass_if: '< 1'}\n"
            f"- {{name: b, kind: prometheus, {placed}, params: {{h: {{type: label_value}}}}}}\n"
            # A check with a problem of its own is not parsed too: its query may hold what the problem is about.
            "- {name: c, kind: prometheus, query: 'sum(rate(x{h=\"{{ h }}\"}[5m])', pass_if: '< 1',"
            " params: {h: {type: label_value}}}\n"
        )
        result = analyzer("validate", path)
        assert result.returncode == 6
        lines = result.stderr.splitlines()
        assert lines[:4] == [
            "analyzer: the catalog is invalid:",
            f"  - {path}: check 'b' (checks[1], line 4): params.h: set required: true or give a default",
            f"  - {path}: check 'c' (checks[2], line 5): params.h: set required: true or give a default",
            f"  - {path}: check 'a': query: the PromQL does not parse (unclosed left parenthesis; the '(' of 'sum(' "
            "is closed by no ')'): sum(rate(x[5m])",
        ]
        assert "promql-parser" in lines[4] and len(lines) == 5

    def test_a_problem_without_promql_that_does_not_parse_is_said_as_before(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text(
            "sources: {default: {url: 'http://prometheus:9090'}}\n"
            "checks:\n- {name: a, kind: prometheus, query: 'sum(rate(x[5m]))', pass_if: '<< 1'}\n"
        )
        result = analyzer("validate", path)
        assert result.returncode == 6
        assert result.stderr.startswith(
            f"analyzer: {path}: check 'a' (checks[0], line 3): pass_if: '<< 1' is not a condition"
        )
        assert "promql-parser" not in result.stderr

    @pytest.mark.integration
    def test_list(self, catalog_file):
        result = analyzer("list", "--catalog", catalog_file())
        assert result.stdout.split("\t")[:3] == ["error-rate", "prometheus", "canary_hash"]

    def test_no_catalog(self):
        import os

        env = {k: v for k, v in os.environ.items() if k != "ANALYZER_CATALOG"}
        result = analyzer("list", env=env)
        assert result.returncode == 6
        assert "--catalog" in result.stderr


@pytest.fixture
def broken_plugin(tmp_path):
    """An environment where a distribution registers kind `broken`, whose module fails to import."""
    import os

    site = tmp_path / "site"
    info = site / "broken_kind-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[analyzer.checks]\nbroken = broken_kind:BrokenCheck\n")
    (site / "broken_kind.py").write_text("raise ImportError('broken_kind needs a library that is not installed')\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


class TestQueriesTooDeepForTheParser:
    """A query nested or chained past what promql-parser's stack survives is a named problem, never a crash."""

    @pytest.mark.parametrize(
        ("query", "problem"),
        [
            ("1 - (" * 3000 + "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))" + ")" * 3000, "nests 3003"),
            (" + ".join(["x"] * 10_000), "has 9999 operators"),
        ],
    )
    def test_validate_exits_6_naming_the_query(self, tmp_path, query, problem):
        # Both killed the process with SIGSEGV (exit 139) inside the parser before the limits.
        deep = {"name": "deep", "kind": "prometheus", "query": query, "pass_if": "< 1"}
        good = {"name": "good", "kind": "prometheus", "query": "up", "pass_if": "< 1"}
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [good, deep]})
        )
        result = subprocess.run(
            [sys.executable, "-m", "analyzer", "validate", str(catalog)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 6, result.stderr[-2000:]
        assert "check 'deep' (line" in result.stderr and f"query: the query {problem}" in result.stderr


class TestHelmChart:
    """A Helm chart given to `validate` is named as one, with the command that renders it, wherever it is given."""

    @pytest.fixture
    def chart(self, tmp_path):
        chart = tmp_path / "chart"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: payments\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text("service: payments\n")
        (chart / "templates" / "catalog.yaml").write_text(
            "checks:\n- name: {{ .Values.service }}-errors\n  kind: prometheus\n  query: up\n  pass_if: '> 0'\n"
        )
        return chart

    @pytest.mark.parametrize("given", [".", "templates", "templates/catalog.yaml", "values.yaml"])
    def test_a_chart_is_rendered_first(self, chart, given):
        # Before: exit 6 with "templates/catalog.yaml: invalid YAML at line 2, column 13", or "values.yaml: service:
        # unknown field" for the directory: nothing said it is a chart, nor what to run.
        result = analyzer("validate", given, cwd=chart)
        assert result.returncode == 6, result.stdout + result.stderr
        assert result.stderr.startswith("analyzer: '.' is a Helm chart (Chart.yaml): its templates are not YAML")
        assert "helm template payments . --output-dir rendered && analyzer validate rendered" in result.stderr

    def test_a_chart_under_a_directory_given(self, chart, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"checks": []}))
        result = analyzer("validate", tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"analyzer: '{chart}' is a Helm chart (Chart.yaml)" in result.stderr

    def test_a_chart_name_helm_refuses_as_a_release_is_left_to_the_user(self, chart):
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: Payments_API\nversion: 0.1.0\n")
        result = analyzer("validate", chart)
        assert f"helm template RELEASE {chart} --output-dir rendered" in result.stderr

    def test_a_directory_named_templates_without_a_chart_is_read(self, tmp_path):
        (tmp_path / "templates").mkdir()
        (tmp_path / "templates" / "catalog.yaml").write_text(yaml.safe_dump({"checks": []}))
        result = analyzer("validate", tmp_path / "templates")
        assert result.returncode == 0, result.stdout + result.stderr


class TestPlugins:
    """`serve` imports every installed kind at start, so a broken plugin stops it; `run` imports only the
    kinds its catalog uses."""

    @pytest.mark.integration
    def test_serve_refuses_to_start_with_a_broken_plugin(self, catalog_file, broken_plugin):
        result = analyzer("serve", "--catalog", catalog_file(), "--host", "127.0.0.1", "--port", "0", env=broken_plugin)
        assert result.returncode == 6
        assert (
            "check kind plugin 'broken' (broken_kind:BrokenCheck) failed to load: broken_kind needs a library"
            in result.stderr
        )

    @pytest.mark.integration
    def test_run_ignores_a_broken_plugin_its_catalog_does_not_use(self, catalog_file, broken_plugin):
        result = analyzer(
            "run",
            "error-rate",
            "--catalog",
            catalog_file(f"http://127.0.0.1:{refused_port()}"),
            "--arg",
            "canary_hash=healthy1",
            env=broken_plugin,
        )
        assert result.returncode == 5, result.stderr
        assert result.stdout.startswith("ERROR error-rate: Prometheus source 'default'")

    def test_a_catalog_using_a_broken_plugin_is_invalid(self, tmp_path, broken_plugin):
        path = tmp_path / "catalog.yaml"
        path.write_text("checks:\n- {name: b, kind: broken}\n")
        result = analyzer("validate", path, env=broken_plugin)
        assert result.returncode == 6
        assert "'broken' (broken_kind:BrokenCheck) failed to load" in result.stderr


# A third-party kind with a bug: its validator raises what no one maps, quoting a URL with a password and a bearer
# token as an httpx or aiohttp error's text does, in the main thread or in one of its own (`thread: true`).
_CRASHING_KIND = """
import os
import threading
from typing import Literal

from pydantic import model_validator

from analyzer.kinds import Check, EvalContext, Verdict


def _fail() -> None:
    raise RuntimeError(
        "connecting to postgres://app:hunter22-s3cr3t@db.shop.svc:5432/app with Authorization: Bearer "
        f"abcdef123456-s3cr3t failed (key {os.environ.get('SHOP_API_KEY')})"
    )


def _interrupt() -> None:
    raise KeyboardInterrupt("connecting to postgres://app:hunter22-s3cr3t@db.shop.svc:5432/app")


# A plugin's own BaseException, no Exception.
class _Stopped(BaseException):
    pass


def _stop() -> None:
    raise _Stopped("connecting to postgres://app:hunter22-s3cr3t@db.shop.svc:5432/app")


def _fail_after_main() -> None:
    # The main thread ends once `main` returned and the interpreter waits for this one at exit.
    threading.main_thread().join()
    _fail()


def _fail_quoting_source() -> None:
    # An error quoting the source lines it failed on, as a compiler's or an error overlay's does.
    raise RuntimeError(
        "bad config at:\\n"
        '    var password string = "hunter2-s3cr3t"\\n'
        "    let password: &str = \\"hunter2-s3cr3t\\";\\n"
        '    private val password: String? = "hunter2-s3cr3t"\\n'
        "    password: Hunter2s3cr3t = x\\n"
        "    password\\uff1ahunter2-s3cr3t\\n"
        "    p\\u00e4ssword: hunter2-s3cr3t\\n"
        "    token_ttl: 3600\\n"
        '    WWW-Authenticate: Basic realm="shop"'
    )


class CrashingCheck(Check):
    kind: Literal["crashing"] = "crashing"
    thread: bool = False
    interrupt: bool = False
    late_thread: bool = False
    base_exception: bool = False
    quoting_source: bool = False

    @model_validator(mode="after")
    def _connect(self) -> "CrashingCheck":
        if self.quoting_source:
            _fail_quoting_source()
        if self.interrupt:
            _interrupt()
        if self.base_exception:
            _stop()
        if self.late_thread:
            threading.Thread(target=_fail_after_main).start()
            return self
        if not self.thread:
            _fail()
        worker = threading.Thread(target=_fail)
        worker.start()
        worker.join()
        return self

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        raise AssertionError("never evaluated")
"""


def _crashing_plugin(tmp_path: Path) -> dict[str, str]:
    """An environment where a distribution registers kind `crashing` (_CRASHING_KIND)."""
    site = tmp_path / "site"
    info = site / "crashing_kind-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crashing-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[analyzer.checks]\ncrashing = crashing_kind:CrashingCheck\n")
    (site / "crashing_kind.py").write_text(_CRASHING_KIND)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


class TestCrashes:
    """A crash (a bug) exits 1 with its traceback on stderr, every credential that says what it is hidden there:
    a Job's log is read by many."""

    def test_a_crash_shows_its_traceback_without_credentials(self, tmp_path):
        # Before: Python's own handler printed the traceback as it was, the database's password and the token in it.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing}\n")
        env = {**_crashing_plugin(tmp_path), "SHOP_API_KEY": "plain-s3cr3t-text"}
        result = analyzer("validate", catalog, env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("analyzer: internal error (a bug): RuntimeError: connecting to postgres://")
        assert "Traceback (most recent call last):" in result.stderr
        assert 'crashing_kind.py", line 12, in _fail' in result.stderr
        # Ordinary text stays: where it connected, and what failed.
        assert "@db.shop.svc:5432/app with Authorization: Bearer <redacted> failed (key <redacted>)" in result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_a_crash_quoting_source_lines_hides_their_secrets(self, tmp_path):
        # Before: Go's, Rust's and Kotlin's typed declarations, a capitalised value read as a type, a fullwidth colon
        # and an accented name showed the password; a token's ttl and a challenge showed as `<redacted>`.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, quoting_source: true}\n")
        result = analyzer("validate", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(
            "analyzer: internal error (a bug): RuntimeError: bad config at:\n"
            '    var password string = "<redacted>"\n'
            '    let password: &str = "<redacted>";\n'
            '    private val password: String? = "<redacted>"\n'
            "    password: <redacted>\n"
            "    password\uff1a<redacted>\n"
            "    p\u00e4ssword: <redacted>\n"
            "    token_ttl: 3600\n"
            '    WWW-Authenticate: Basic realm="shop"\n'
        ), result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_an_arg_value_in_a_frames_file_leaves_the_file_shown(self, tmp_path):
        # Before: the value of `--arg service=crashing_kind` hid the file of every frame it was in
        # (`File ".../site/<redacted>.py"`): where the bug is was lost; the message's text still hides it.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing}\n")
        env = {**_crashing_plugin(tmp_path), "SHOP_API_KEY": "crashing_kind"}
        result = analyzer("run", "c", "--catalog", catalog, "--arg", "service=crashing_kind", env=env)
        assert result.returncode == 1, result.stderr
        assert f'File "{tmp_path}/site/crashing_kind.py", line 12, in _fail' in result.stderr
        assert "failed (key <redacted>)" in result.stderr

    def test_a_keyboard_interrupt_exits_130_with_its_traceback_without_credentials(self, tmp_path):
        # Before: Python's own handler printed the traceback as it was, the database's password in its message.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, interrupt: true}\n")
        result = analyzer("run", "c", "--catalog", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 130, result.stderr
        assert result.stderr.startswith(
            "analyzer: stopped by KeyboardInterrupt (Ctrl-C?): no verdict, exit 130: KeyboardInterrupt: connecting to "
            "postgres://<redacted>@db.shop.svc:5432/app\nTraceback (most recent call last):"
        )
        assert 'crashing_kind.py", line 19, in _interrupt' in result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_a_plugins_own_base_exception_is_a_crash_without_credentials(self, tmp_path):
        # Not caught as an Exception, Python's own handler printed it as it was, the password in its message.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, base_exception: true}\n")
        result = analyzer("run", "c", "--catalog", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(
            "analyzer: internal error (a bug): crashing_kind._Stopped: connecting to "
            "postgres://<redacted>@db.shop.svc:5432/app\nTraceback (most recent call last):"
        )
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_a_thread_crashing_after_main_returned_shows_its_traceback_without_credentials(self, tmp_path):
        # Before: `main` put Python's hook back as it returned, and the thread's crash at exit was printed as it was.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, late_thread: true}\n")
        result = analyzer("validate", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "Exception in thread" in result.stderr
        assert "@db.shop.svc:5432/app with Authorization: Bearer <redacted> failed" in result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_an_in_process_callers_thread_hook_is_put_back(self, tmp_path):
        # Only the process's own command (no argv given) keeps the scrubbing hook past `main`.
        from analyzer.cli import main

        hook = threading.excepthook
        assert main(["validate", str(tmp_path / "missing.yaml")]) == 6
        assert threading.excepthook is hook

    def test_arg_values_are_hidden(self):
        # A secret param's value is known as one only to the catalog, which a crash may not have read yet.
        from analyzer.cli import _crash_scrubber

        scrub = _crash_scrubber(
            ["run", "c", "--arg", "pin", "plain-s3cr3t-1", "--arg=k=plain-s3cr3t-2", "k3=s3cr3t-3x"]
        )
        assert scrub("run c with plain-s3cr3t-1, plain-s3cr3t-2 and s3cr3t-3x") == (
            "run c with <redacted>, <redacted> and <redacted>"
        )

    def test_a_threads_crash_shows_its_traceback_without_credentials(self, tmp_path):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, thread: true}\n")
        result = analyzer("validate", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "Exception in thread" in result.stderr
        assert "@db.shop.svc:5432/app with Authorization: Bearer <redacted> failed" in result.stderr
        assert "s3cr3t" not in result.stderr + result.stdout


class TestErrorMessages:
    """An error the CLI prints (an invalid catalog, a plugin that fails to load) hides every credential that says what
    it is and each `--arg` value, as a crash's traceback does: a Job's log is read by many."""

    def leaky_plugin(self, tmp_path: Path) -> dict[str, str]:
        # A plugin whose import fails quoting what it connected to, as an httpx or a driver's error does.
        site = tmp_path / "site"
        info = site / "leaky_kind-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leaky-kind\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text("[analyzer.checks]\nleaky = leaky_kind:LeakyCheck\n")
        (site / "leaky_kind.py").write_text(
            "raise ImportError('fetching https://ci:hunter22-s3cr3t@pkgs.shop.svc/simple/ with Authorization: "
            "Bearer abcdef123456-s3cr3t failed (ordinary text: 404 Not Found)')\n"
        )
        return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}

    @pytest.mark.parametrize("command", ["validate", "run"])
    def test_a_plugins_load_error_hides_its_credentials(self, tmp_path, command):
        # Before: `failed to load: fetching https://ci:hunter22-s3cr3t@...` and the bearer token, as they came.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: l, kind: leaky}\n")
        words = ["validate", catalog] if command == "validate" else ["run", "l", "--catalog", catalog]
        result = analyzer(*words, env=self.leaky_plugin(tmp_path))
        assert result.returncode == 6, result.stderr
        assert "check kind plugin 'leaky' (leaky_kind:LeakyCheck) failed to load: fetching https://" in result.stderr
        # Ordinary text stays: where it went, and what failed.
        assert "@pkgs.shop.svc/simple/ with Authorization: Bearer <redacted> failed (ordinary text: 404 Not Found)" in (
            result.stderr
        )
        assert "s3cr3t" not in result.stderr + result.stdout

    def test_an_options_file_and_the_working_directory_stay_shown(self, tmp_path, monkeypatch):
        # Before: `--catalog=DIR` and the shell's `PWD` (a secret name by its `pwd`) were hidden wherever they stood:
        # every file of a traceback under the working directory read `File "<redacted>/site/kind.py"`.
        from analyzer.cli import _crash_scrubber

        monkeypatch.setenv("PWD", str(tmp_path))
        monkeypatch.setenv("DB_PWD", "plain-s3cr3t-8")
        scrub = _crash_scrubber(["run", "c", f"--catalog={tmp_path}", "--junit=report.xml", "--arg=k=plain-s3cr3t-9"])
        text = f'File "{tmp_path}/site/kind.py", line 3: {tmp_path} report.xml plain-s3cr3t-9 plain-s3cr3t-8'
        assert scrub(text) == f'File "{tmp_path}/site/kind.py", line 3: {tmp_path} report.xml <redacted> <redacted>'


# A third-party kind whose steps are whatever its catalog entry (standing for a target's answer) hands it.
_RELAY_KIND = """
from typing import Any, Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class RelayCheck(Check):
    kind: Literal["relay"] = "relay"
    steps: list[dict[str, Any]]

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        return Verdict(outcome=Outcome.FAIL, reason="relayed", details={"steps": self.steps})
"""


def _relay_plugin(tmp_path: Path) -> dict[str, str]:
    """An environment where a distribution registers kind `relay` (_RELAY_KIND)."""
    site = tmp_path / "site"
    info = site / "relay_kind-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: relay-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[analyzer.checks]\nrelay = relay_kind:RelayCheck\n")
    (site / "relay_kind.py").write_text(_RELAY_KIND)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


class TestTextOutputLines:
    """No field of `analyzer run`'s text output starts a line of its own: a CI gate grepping `^PASS` reads only
    the verdict's."""

    def test_a_kinds_step_fields_cannot_start_a_line(self, tmp_path):
        env = _relay_plugin(tmp_path)
        step = {
            "name": "login\nPASS deploy",
            "outcome": "fail\rPASS outcome",
            "request": {"method": "GET\nPASS method", "url": "http://shop/\nPASS url"},
            "status": "500\nPASS status",
            "latency_ms": 1.0,
            "repeat": {"successes": "0\nPASS successes", "requests": 1, "p95_ms": "\nPASS p95", "p99_ms": 1},
            "failed_assertions": ["status 500\nPASS assertion"],
            "error": "reset\nPASS error",
        }
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(yaml.safe_dump({"checks": [{"name": "relayed", "kind": "relay", "steps": [step]}]}))
        result = analyzer("run", "relayed", "--catalog", catalog, env=env)
        assert result.returncode == 3, result.stderr
        # Before: the step's name, outcome, method, status and repeat counts were written as they came, each
        # newline starting a line `PASS ...`.
        lines = result.stdout.splitlines()
        assert lines[0].startswith("FAIL relayed: relayed")
        assert not [line for line in lines if line.lstrip().startswith("PASS")], result.stdout
        assert "login\\x0aPASS deploy" in lines[1] and "500\\x0aPASS status" in lines[1]

    def test_a_kinds_latency_that_is_no_number_is_shown_as_it_is(self, tmp_path):
        # Before: a traceback and exit 1 (a crash, which a Job retries) for a fail, its summary and report lost.
        env = _relay_plugin(tmp_path)
        catalog = tmp_path / "catalog.yaml"
        step = {"name": "login", "outcome": "fail", "status": 500, "latency_ms": "slow\nPASS"}
        catalog.write_text(yaml.safe_dump({"checks": [{"name": "relayed", "kind": "relay", "steps": [step]}]}))
        result = analyzer("run", "relayed", "--catalog", catalog, env=env)
        assert result.returncode == 3, result.stderr
        assert result.stdout.splitlines()[1] == "  FAIL         login -> 500 in slow\\x0aPASS ms"


PROMETHEUS_CHECK = {"name": "p", "kind": "prometheus", "query": "up", "pass_if": "> 0"}
HTTP_CHECK = {"name": "h", "kind": "http_smoke", "base_url": "http://app.shop.svc", "steps": [{"name": "home"}]}
ERROR_BUDGET_CHECK = {
    "name": "eb",
    "kind": "error_budget",
    "objective": 99.9,
    "period": "30d",
    "ratio": {"errors": 'sum(rate(r{code="500"}[{{ window }}]))', "total": "sum(rate(r[{{ window }}]))"},
}
COMPOSITE_CHECK = {"name": "card", "kind": "composite", "members": [{"check": "p"}, {"check": "eb"}]}


def analyzer_process(tmp_path, checks, *command, source_url=None):
    """Run `analyzer COMMAND` on a catalog in a fresh interpreter: what it left (exit code, imported modules,
    the collector's state) and its stderr. The source is `source_url`, or a closed port."""
    catalog = tmp_path / "catalog.yaml"
    url = source_url or f"http://127.0.0.1:{refused_port()}"
    catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": checks}))
    script = textwrap.dedent("""
        import gc, json, sys
        from analyzer.cli import main
        code = main(sys.argv[1:])
        state = {"collecting": gc.isenabled(), "frozen": gc.get_freeze_count()}
        # Python source tokenized (a signature read from its text): tokenize compiles its patterns on first use.
        tokenize = sys.modules.get("tokenize")
        state["tokenized"] = tokenize is not None and tokenize._compile.cache_info().currsize > 0
        print(json.dumps({"code": code, "modules": sorted(sys.modules), **state}))
    """)
    args = [arg.replace("CATALOG", str(catalog)) for arg in command]
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout.splitlines()[-1]), result.stderr


def analyzer_modules(tmp_path, checks, *command):
    """Run `analyzer COMMAND` on a catalog in a fresh interpreter: its exit code, stderr and imported modules."""
    body, stderr = analyzer_process(tmp_path, checks, *command)
    return body["code"], stderr, set(body["modules"])


class TestJobImports:
    """`analyzer run` and `validate` import the kinds their catalog uses, httpx only for an HTTP check, the PromQL
    parser's module only for a query that needs it, and never prometheus_client (nothing scrapes a Job)."""

    def test_a_prometheus_only_catalog_imports_no_other_kind_and_no_httpx(self, tmp_path):
        code, stderr, modules = analyzer_modules(tmp_path, [PROMETHEUS_CHECK], "run", "p", "--catalog", "CATALOG")
        assert code == 5, stderr  # the source's port is closed: an error verdict, after a real attempt
        assert "checks.prometheus" in modules
        assert not modules & {
            "checks.http_smoke",
            "checks.error_budget",
            "checks.kpi_compare",
            "checks.composite",
            "analyzer.sources.http",
            "analyzer.sources.httppolicy",  # the HTTP checks' limits
            "httpx",
            "httpcore",
            "prometheus_client",
            "analyzer.imports",  # the Pyrra / Sloth / OpenSLO readers: no such document in this catalog
            "analyzer.promql_names",  # PromQL name and batch helpers: error_budget and kpi_compare use them
            "analyzer.promql_batch",
            # The service's parts: a Job answers no request and shows no page.
            "analyzer.server",
            "analyzer.web",
            "analyzer.history",
            "analyzer.metrics",
            "analyzer.ui.pages",
            "aiohttp.web",
            "aiohttp_jinja2",
            "jinja2",
            "uvloop",
            "xml.etree.ElementTree",  # the JUnit report's, without --junit
        }
        assert not {m for m in modules if m.split(".")[0] in ("scipy", "numpy")}  # no kind is warmed in a Job

    @pytest.mark.integration
    @pytest.mark.parametrize(("aggregation", "parsed"), [("sum", False), ("max", True)])
    def test_a_passing_job_parses_its_query_for_a_nan_probe_only_where_it_names_a_hiding_aggregation(
        self, tmp_path, prometheus, aggregation, parsed
    ):
        check = {**PROMETHEUS_CHECK, "query": f'{aggregation}(rate(http_requests_total{{service="checkout"}}[5m]))'}
        command = ("run", "p", "--catalog", "CATALOG", "--at", f"{prometheus.anchor:.0f}")
        body, stderr = analyzer_process(tmp_path, [check], *command, source_url=prometheus.url)
        assert body["code"] == 0, stderr
        assert ("analyzer.promql_groups" in body["modules"]) is parsed

    def test_a_job_builds_only_the_check_it_runs(self, tmp_path):
        broken = {**PROMETHEUS_CHECK, "name": "broken", "pass_if": "<< 1"}
        catalog = [PROMETHEUS_CHECK, HTTP_CHECK, ERROR_BUDGET_CHECK, COMPOSITE_CHECK, broken]
        code, stderr, modules = analyzer_modules(tmp_path, catalog, "run", "p", "--catalog", "CATALOG")
        assert code == 5, stderr  # evaluated (the port is closed): the other checks neither ran nor failed it
        assert not modules & {"checks.http_smoke", "checks.error_budget", "checks.composite", "httpx"}
        code, stderr, modules = analyzer_modules(tmp_path, catalog, "run", "card", "--catalog", "CATALOG")
        assert code == 5, stderr
        assert {"checks.composite", "checks.error_budget"} <= modules  # the members it references
        assert "checks.http_smoke" not in modules
        code, stderr, _ = analyzer_modules(tmp_path, catalog, "run", "broken", "--catalog", "CATALOG")
        assert code == 6
        # The field's line too, where it is not the check's first (a dump writes `kind` first).
        assert re.search(
            r"check 'broken' \(checks\[4\], line \d+\): pass_if \(line \d+\): '<< 1' is not a condition", stderr
        )
        code, stderr, _ = analyzer_modules(tmp_path, catalog, "validate", "CATALOG")
        assert code == 6
        assert re.search(r"check 'broken' \(checks\[4\], line \d+\): pass_if \(line \d+\):", stderr)

    def test_a_catalog_using_a_kind_imports_it(self, tmp_path):
        code, stderr, modules = analyzer_modules(tmp_path, [PROMETHEUS_CHECK, HTTP_CHECK], "validate", "CATALOG")
        assert code == 0, stderr
        assert {"checks.prometheus", "checks.http_smoke", "httpx"} <= modules
        assert "checks.error_budget" not in modules


class TestJobStartUp:
    """A Job's start builds its check's model without parsing Python text: pydantic reads a field's
    `default_factory` signature, and a builtin's (`list`) is parsed from its text, tokenize and the first
    `ast.parse` included (about 18M instructions of a 1.8G start)."""

    @pytest.mark.parametrize(
        "check", [PROMETHEUS_CHECK, ERROR_BUDGET_CHECK, HTTP_CHECK, COMPOSITE_CHECK], ids=lambda c: c["kind"]
    )
    def test_a_job_tokenizes_no_python_text(self, tmp_path, check):
        catalog = [PROMETHEUS_CHECK, ERROR_BUDGET_CHECK, COMPOSITE_CHECK] if check is COMPOSITE_CHECK else [check]
        body, stderr = analyzer_process(tmp_path, catalog, "run", check["name"], "--catalog", "CATALOG")
        assert body["code"] in (0, 1, 5), stderr  # a verdict (the source's port is closed, the host unknown)
        assert body["tokenized"] is False


class TestJobLeavesNoImportHook:
    """`analyzer run` sets structlog up as anything imports it while it runs; main() in-process leaves no such hook
    behind, which would set structlog up for a stderr the caller has closed since, at its next import."""

    def test_a_later_import_of_structlog_is_the_plain_one(self, tmp_path):
        catalog = tmp_path / "catalog.yaml"
        url = f"http://127.0.0.1:{refused_port()}"
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": [PROMETHEUS_CHECK]}))
        script = textwrap.dedent("""
            import contextlib, io, sys
            from analyzer.cli import main
            captured = io.StringIO()
            with contextlib.redirect_stderr(captured):
                code = main(sys.argv[1:])
            captured.close()
            assert "structlog" not in sys.modules, "the run logged a line: the hook was not tried"
            hooks = [type(finder).__name__ for finder in sys.meta_path if type(finder).__module__ == "analyzer.logs"]
            import structlog
            print(code, hooks, structlog.is_configured())
        """)
        done = subprocess.run(
            [sys.executable, "-c", script, "run", "p", "--catalog", str(catalog)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # Before: the hook left, and `import structlog` raised ValueError (I/O operation on closed file).
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert done.stdout.splitlines()[-1].split() == ["5", "[]", "False"], done.stdout


class TestJobCollector:
    """A command pauses the cyclic collector while it starts; a Job then freezes what start-up built, so that
    neither its evaluation nor its exit scans it, the service collects again before it settles the collector,
    and in-process callers get the collector back as they had it."""

    @pytest.fixture(autouse=True)
    def _logging_as_it_was(self):
        """structlog's and the root logger's configuration put back: main() in-process configures both for its process
        (warning level), which hid the info events later tests of the session capture."""
        saved = structlog.get_config()
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        yield
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)

    def test_a_job_freezes_its_start_up_and_collects_again(self, tmp_path):
        body, stderr = analyzer_process(tmp_path, [PROMETHEUS_CHECK], "run", "p", "--catalog", "CATALOG")
        assert body["code"] == 5, stderr
        assert body["frozen"] > 0
        assert body["collecting"] is True

    @pytest.mark.parametrize("collecting", [True, False])
    @pytest.mark.parametrize(
        ("command", "code"),
        [
            (["list", "--catalog", "CATALOG"], 0),
            (["run", "p", "--catalog", "CATALOG"], 5),
        ],
    )
    def test_main_leaves_the_collector_as_it_found_it(self, tmp_path, collecting, command, code):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump(
                {"sources": {"default": {"url": f"http://127.0.0.1:{refused_port()}"}}, "checks": [PROMETHEUS_CHECK]}
            )
        )
        argv = [arg.replace("CATALOG", str(catalog)) for arg in command]
        was_collecting = gc.isenabled()
        frozen_before = gc.get_freeze_count()
        (gc.enable if collecting else gc.disable)()
        try:
            from analyzer.cli import main

            assert main(argv) == code
            assert gc.isenabled() is collecting
            if not collecting:
                # A caller managing the collector itself gets nothing frozen behind its back.
                assert gc.get_freeze_count() == frozen_before
        finally:
            if frozen_before == 0:
                gc.unfreeze()
            (gc.enable if was_collecting else gc.disable)()

    def test_the_service_collects_again_before_it_settles_the_collector(self, tmp_path):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]})
        )
        # The service stops itself (SIGTERM) once it is up, noting whether the collector ran at that moment.
        script = textwrap.dedent("""
            import gc, json, os, signal, sys
            import analyzer.server as server
            from analyzer.cli import main
            seen = {}
            settle = server.settle_collector
            def settled():
                seen["collecting"] = gc.isenabled()
                settle()
                os.kill(os.getpid(), signal.SIGTERM)
            server.settle_collector = settled
            code = main(["serve", "--catalog", sys.argv[1], "--host", "127.0.0.1", "--port", sys.argv[2]])
            print(json.dumps({"code": code, **seen}))
        """)
        result = subprocess.run(
            [sys.executable, "-c", script, str(catalog), "0"], capture_output=True, text=True, timeout=60
        )
        body = json.loads(result.stdout.splitlines()[-1])
        assert body == {"code": 0, "collecting": True}, result.stderr


# `analyzer run` in a fresh interpreter whose resolver answers loopback names only (any other fails as NXDOMAIN, so
# no lookup leaves the machine) and whose sockets connect to loopback only: a laptop that cannot resolve a cluster's
# names, without the main() of one test changing the collector, logging or signals of the others.
_OUTSIDE_THE_CLUSTER = textwrap.dedent("""
    import ipaddress, socket, sys
    resolve, connect = socket.getaddrinfo, socket.socket.connect
    def loopback(host):
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    def getaddrinfo(host, *args, **kwargs):
        if not loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)
    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not loopback(address[0]):
            raise OSError(f"refused to leave the machine: {address!r}")
        return connect(self, address)
    socket.getaddrinfo, socket.socket.connect = getaddrinfo, guarded_connect
    from analyzer.cli import main
    sys.exit(main(sys.argv[1:]))
""")


class TestRunFromOutsideTheCluster:
    """A run that cannot reach its source at a host name (a Job's in-cluster address, run from a laptop) says how to
    port-forward it and point at it with --prometheus; an address, or a run given --prometheus, gets no such hint."""

    def run(self, tmp_path, url, *options):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": [PROMETHEUS_CHECK]}))
        command = [sys.executable, "-c", _OUTSIDE_THE_CLUSTER, "run", "p", "--catalog", str(catalog), *options]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    @pytest.mark.parametrize(
        ("url", "hint"),
        [
            (
                "http://prometheus-k8s.monitoring.svc:9090",
                "kubectl -n monitoring port-forward svc/prometheus-k8s 9090, then add --prometheus "
                "http://localhost:9090",
            ),
            ("http://prometheus.monitoring", "kubectl -n monitoring port-forward svc/prometheus 80, then add"),
            (  # as docs/job-mode.md prints it
                "http://prometheus.monitoring.svc:9090",
                "analyzer: if prometheus.monitoring.svc is a service inside a Kubernetes cluster (its address from a "
                "pod), run from outside it through a port-forward: kubectl -n monitoring port-forward svc/prometheus "
                "9090, then add --prometheus http://localhost:9090\n",
            ),
        ],
    )
    def test_an_unresolved_name_is_told_the_port_forward(self, tmp_path, url, hint):
        result = self.run(tmp_path, url)
        assert result.returncode == 5, result.stderr
        assert "is a service inside a Kubernetes cluster" in result.stderr and hint in result.stderr, result.stderr

    def test_an_address_or_a_run_given_prometheus_is_not(self, tmp_path):
        closed = f"http://127.0.0.1:{refused_port()}"
        for result in (
            self.run(tmp_path, closed),
            self.run(tmp_path, "http://prometheus.monitoring.svc:9090", "--prometheus", closed),
        ):
            assert result.returncode == 5, result.stderr
            assert "port-forward" not in result.stderr


class TestOptionsGivenOnce:
    """An option that takes one value is refused when given twice, not replaced unsaid by the second."""

    @pytest.mark.parametrize("command", [["run", "p"], ["list"], ["serve"]])
    def test_a_second_catalog_is_refused(self, tmp_path, command):
        # Before: the second replaced the first unsaid; `run` then said "source 'default' is not defined" of a check
        # file given after the file of sources, and `list` listed half the checks.
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}}))
        (tmp_path / "checks.yaml").write_text(yaml.safe_dump({"checks": [PROMETHEUS_CHECK]}))
        result = analyzer(*command, "--catalog", "sources.yaml", "--catalog", "checks.yaml", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.endswith(
            "error: --catalog given twice: it takes one file or directory; put the catalog's files in one directory "
            "and give that\n"
        )

    def test_a_second_catalog_leaves_no_older_report(self, tmp_path):
        # A usage error is no verdict: the report an earlier run left at --junit is removed, as for any other.
        (tmp_path / "catalog.yaml").write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]})
        )
        report = tmp_path / "report.xml"
        report.write_text('<?xml version="1.0"?><testsuites name="analyzer" tests="1" failures="0"/>')
        result = analyzer(
            "run", "p", "--catalog", "catalog.yaml", "--catalog", "catalog.yaml", "--junit", "report.xml", cwd=tmp_path
        )
        assert result.returncode == 2, result.stderr
        assert not report.exists()


class TestUsageLines:
    """A usage error shows the usage of the command it was given to, and `analyzer`'s only for a word before it."""

    RUN_USAGE = "usage: analyzer run [-h] [--catalog PATH] "

    @pytest.mark.parametrize(
        ("words", "error"),
        [
            (["run", "p", "--bogus"], "analyzer run: error: unrecognized arguments: --bogus\n"),
            (
                ["run", "p", "--catalog", "catalog.yaml"],
                "analyzer run: error: --catalog given twice: it takes one file or directory; ",
            ),
            # Said once the check's params are known (`build` names none of p's, so its value may be a secret's).
            (
                ["run", "p", "--arg", "build", "2"],
                "analyzer run: error: unrecognized arguments: <redacted> (an arg is one word: --arg KEY=VALUE)\n",
            ),
            (["run", "token=s3cr3t"], "analyzer run: error: no check named 'token=<redacted>': an arg is given after "),
            (
                ["run", "p", "--format", "text"],
                "analyzer run: error: unrecognized arguments: --format text (`analyzer run` prints the text line",
            ),
        ],
    )
    def test_run_shows_its_own_usage(self, tmp_path, words, error):
        # Before: `usage: analyzer [-h] [--version] COMMAND ...` and `analyzer: error: ...`, the synopsis of the
        # command without the options `run` takes, for a mistyped option of `run`.
        (tmp_path / "catalog.yaml").write_text(
            yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [PROMETHEUS_CHECK]})
        )
        result = analyzer(*words, "--catalog", "catalog.yaml", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith(self.RUN_USAGE), result.stderr
        assert f"\n{error}" in result.stderr

    @pytest.mark.parametrize(
        ("words", "usage", "error"),
        [
            (
                ["list", "--bogus"],
                "usage: analyzer list [-h] [--catalog PATH] [--json]\n",
                "analyzer list: error: unrecognized arguments: --bogus",
            ),
            (
                ["list", "mine.yaml"],
                "usage: analyzer list [-h]",
                "analyzer list: error: unrecognized arguments: mine.yaml (list takes the catalog with --catalog",
            ),
            (
                ["validate", "catalog.yaml", "--bogus"],
                "usage: analyzer validate [-h]",
                "analyzer validate: error: unrecognized arguments: --bogus",
            ),
            (
                ["serve", "--catalog", "a", "--catalog", "b"],
                "usage: analyzer serve [-h] [--catalog PATH] ",
                "analyzer serve: error: --catalog given twice",
            ),
            # A word before the command is one `analyzer` itself does not take: its usage says what goes there.
            (["--json", "run", "p"], "usage: analyzer [-h] [--version] COMMAND ...", "analyzer: error: unrecognized "),
        ],
    )
    def test_each_command_shows_its_own_usage(self, tmp_path, words, usage, error):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"checks": [PROMETHEUS_CHECK]}))
        result = analyzer(*words, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith(usage), result.stderr
        assert f"\n{error}" in result.stderr


class TestTopLevelUsageErrorsHideValues:
    """A usage error of `analyzer` itself quotes a word read as its command only when it is a command misspelt, and of
    a word before the command only an option's name: such a word may be a secret (`analyzer --token s3cret run X`)."""

    @pytest.mark.parametrize(
        ("words", "error"),
        [
            # Before: `argument COMMAND: invalid choice: 's3cret' (choose from ...)`: the secret in a Job's log.
            (["--token", "s3cret", "run", "p"], "analyzer: error: argument COMMAND: an unknown word where the command"),
            (["--token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "list"], "an unknown word where the command goes"),
            (["s3cret"], "none of its commands (serve, run, validate, import, list); not shown, as it may be a value"),
            # Before: `unrecognized arguments: --token=s3cret`.
            (["--token=s3cret", "list"], "analyzer: error: unrecognized arguments before the command: --token=...; "),
            (["-s3cret", "run", "p"], "analyzer: error: unrecognized arguments before the command: a word; "),
        ],
    )
    def test_a_value_is_not_shown(self, words, error):
        result = analyzer(*words)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith("usage: analyzer [-h] [--version] COMMAND ...\n"), result.stderr
        assert error in result.stderr
        assert "s3cret" not in result.stderr and "ghp_" not in result.stderr, result.stderr

    @pytest.mark.parametrize(
        ("words", "error"),
        [
            # Before: `unrecognized arguments: --token s3cret`, and list's hint `analyzer list --catalog s3cret`.
            (["list", "--token", "s3cret"], "analyzer list: error: unrecognized arguments: --token ...\n"),
            (
                ["validate", "catalog.yaml", "--token=s3cret"],
                "analyzer validate: error: unrecognized arguments: --token=...",
            ),
            (
                ["serve", "--password", "s3cret", "--bogus"],
                "analyzer serve: error: unrecognized arguments: --password ... --bogus",
            ),
        ],
    )
    def test_a_value_after_the_command_is_not_shown(self, tmp_path, words, error):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"checks": [PROMETHEUS_CHECK]}))
        result = analyzer(*words, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert error in result.stderr
        assert "s3cret" not in result.stderr, result.stderr

    @pytest.mark.parametrize(
        ("word", "meant"),
        [
            ("rnu", "run"),
            ("Run", "run"),
            ("valdate", "validate"),
            ("lst", "list"),
            ("serv", "serve"),
            ("imports", "import"),
        ],
    )
    def test_a_misspelt_command_is_named_with_the_one_meant(self, word, meant):
        result = analyzer(word, "p")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert (
            f"analyzer: error: argument COMMAND: unknown command {word!r}: did you mean {meant!r}? (the commands: "
            "serve, run, validate, import, list)\n"
        ) in result.stderr

    def test_an_option_before_the_command_is_named_with_where_it_goes(self):
        result = analyzer("--json", "run", "p")
        assert result.returncode == 2, result.stderr
        assert (
            "analyzer: error: unrecognized arguments before the command: --json; `analyzer` takes no option there but "
            "--help and --version: write options after the command (`analyzer run ... --json`)\n"
        ) in result.stderr

    def test_a_double_dash_first_is_said_to_come_after_the_command(self):
        result = analyzer("--", "run", "p")
        assert result.returncode == 2, result.stderr
        assert (
            "analyzer: error: argument COMMAND: '--' where the command goes: write the command first" in result.stderr
        )


class TestNoCatalog:
    """A command given no catalog exits 6 (a setting missing, as job-mode.md's table says), naming the flag and the
    variable to set, and why the variable a Job sets gives none."""

    @staticmethod
    def without_catalog(**variables):
        return {**{k: v for k, v in os.environ.items() if not k.startswith("ANALYZER_")}, **variables}

    @pytest.mark.parametrize("command", [["run", "p"], ["list"]])
    def test_no_catalog_is_exit_6_naming_flag_and_variable(self, command):
        # Not 2: a podFailurePolicy keys on the codes, and docs/upgrading.md promised `no catalog`, exit 6.
        result = analyzer(*command, env=self.without_catalog())
        assert (result.returncode, result.stdout) == (6, ""), result.stderr
        assert result.stderr == (
            "analyzer: no catalog: pass --catalog PATH (a catalog file or directory) or set ANALYZER_CATALOG\n"
        )

    def test_an_empty_variable_is_named(self):
        # Before: the same line as for no variable, though the Job's env sets it (`value: $(CATALOG)`, unset).
        result = analyzer("run", "p", env=self.without_catalog(ANALYZER_CATALOG=""))
        assert result.returncode == 6, result.stderr
        assert result.stderr.endswith("; ANALYZER_CATALOG is set but empty (an unset variable?)\n")

    def test_a_variable_one_letter_off_is_named(self):
        # Before: "pass --catalog PATH or set ANALYZER_CATALOG" to a user who believed it set.
        result = analyzer("run", "p", env=self.without_catalog(ANALYZER_CATLOG="catalog.yaml", ANALYZER_PORT="80"))
        assert result.returncode == 6, result.stderr
        assert result.stderr.endswith(
            "; ANALYZER_CATLOG is set, which names no setting: did you mean ANALYZER_CATALOG?\n"
        )
        assert "ANALYZER_PORT" not in result.stderr


_PYRRA_SLO = """
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-errors, namespace: monitoring}
spec:
  target: "99.9"
  window: 28d
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{job="api", code=~"5.."}'}
      total: {metric: 'http_requests_total{job="api"}'}
"""


class TestImportedChecksWithoutSources:
    """Checks `analyzer import` printed (no `sources`), validated or run with --prometheus URL, are told the
    `sources:` snippet with that URL to add; a catalog that defines its sources loads as before."""

    def imported(self, tmp_path):
        (tmp_path / "slo.yaml").write_text(_PYRRA_SLO)
        result = analyzer("import", "pyrra", "slo.yaml", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        (tmp_path / "slo-checks.yaml").write_text(result.stdout)
        return "slo-checks.yaml"

    @pytest.mark.parametrize("command", [["validate", "slo-checks.yaml"], ["run", "api-errors", "--catalog"]])
    def test_the_hint_offers_the_prometheus_given(self, tmp_path, command):
        # Before: "`sources: {default: {url: http://prometheus.monitoring:9090}}` with your Prometheus' address",
        # though the user had just named the Prometheus to ask.
        self.imported(tmp_path)
        closed = f"http://127.0.0.1:{refused_port()}"
        words = [*command, "slo-checks.yaml"] if command[0] == "run" else command
        result = analyzer(*words, "--prometheus", closed, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (6, ""), result.stderr
        snippet = f'`sources: {{default: {{url: "{closed}"}}}}`'
        assert result.stderr == (
            "analyzer: slo-checks.yaml: check 'api-errors' (line 3): source 'default' is not defined in `sources` "
            f"(defined: none); add it to a catalog file: {snippet} (the address the service reaches it at, if not this "
            "one, which --prometheus has this command ask instead)\n"
        )
        # The snippet is YAML that defines the source, as written.
        (tmp_path / "sources.yaml").write_text(snippet.strip("`") + "\n")
        assert yaml.safe_load((tmp_path / "sources.yaml").read_text()) == {"sources": {"default": {"url": closed}}}
        if command[0] == "validate":
            again = analyzer("validate", "sources.yaml", "slo-checks.yaml", "--prometheus", closed, cwd=tmp_path)
            assert again.returncode == 5 and again.stdout.startswith("ok: 1 check, 1 source"), again.stderr
            assert again.stderr.startswith(f"analyzer: cannot ask Prometheus at {closed} "), again.stderr

    @pytest.mark.parametrize("pointing", [[], ["--prometheus", "default=http://127.0.0.1:9"]])
    def test_without_one_bare_url_the_hint_is_the_example(self, tmp_path, pointing):
        self.imported(tmp_path)
        result = analyzer("run", "api-errors", "--catalog", "slo-checks.yaml", *pointing, cwd=tmp_path)
        assert result.returncode == 6, result.stderr
        assert result.stderr.endswith(
            "`sources: {default: {url: http://prometheus.monitoring:9090}}` with your Prometheus' address\n"
        )

    def test_a_catalog_with_its_sources_is_asked_as_before(self, tmp_path):
        self.imported(tmp_path)
        (tmp_path / "sources.yaml").write_text("sources: {default: {url: http://prometheus.monitoring.svc:9090}}\n")
        closed = f"http://127.0.0.1:{refused_port()}"
        result = analyzer("validate", "sources.yaml", "slo-checks.yaml", "--prometheus", closed, cwd=tmp_path)
        # Loaded, then the Prometheus given is asked (here closed: exit 5), not the catalog's address.
        assert result.returncode == 5, result.stderr
        assert result.stdout.startswith("ok: 1 check, 1 source"), result.stdout
        assert closed in result.stderr and "prometheus.monitoring.svc" not in result.stderr, result.stderr


class TestLiveValidateStopped:
    """Ctrl-C while `validate --prometheus` waits for Prometheus ends it as `run` ends on SIGINT: one line, exit 130,
    no traceback."""

    @pytest.mark.parametrize("held", ["/api/v1/label/__name__/values", "/api/v1/query"], ids=["names", "query"])
    def test_ctrl_c_while_prometheus_holds_a_request(self, tmp_path, held):
        arrived, release = threading.Event(), threading.Event()

        class Holding(Answering):
            def answer(self) -> tuple[int, bytes]:
                if self.path.startswith(held):
                    arrived.set()
                    release.wait()
                return 200, b'{"status": "success", "data": []}'

        catalog = tmp_path / "catalog.yaml"
        check = {"name": "errors", "kind": "prometheus", "query": "sum(rate(errors[5m]))", "pass_if": "< 1"}
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [check]}))
        with serving(Holding) as url:
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "analyzer.cli", "validate", str(catalog), "--prometheus", url],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                assert arrived.wait(timeout=60)
                process.send_signal(signal.SIGINT)
                stdout, stderr = process.communicate(timeout=60)
            finally:
                release.set()
        # Before: exit 130 with the KeyboardInterrupt's traceback, as a crash's.
        assert process.returncode == 130, stderr
        assert stderr.splitlines() == [
            f"analyzer: stopped by SIGINT (Ctrl-C) before the catalog was checked against Prometheus at {url}: exit 130"
        ]
        assert stdout == "ok: 1 check, 1 source (catalog version " + stdout.split("version ")[1]


# A third-party kind whose evaluation (or loading) reads a FIFO (blocking in the kind's own code until a writer
# comes) or leaves a marker file saying it was evaluated; `swallow`: a bare `except:` around the read goes on from
# whatever interrupts it (a Ctrl-C's KeyboardInterrupt too).
_BLOCKING_KIND = """
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class BlockingCheck(Check):
    kind: Literal["blocking"] = "blocking"
    fifo: str = ""
    marker: str = ""
    load_fifo: str = ""
    swallow: bool = False

    @model_validator(mode="after")
    def _load(self) -> "BlockingCheck":
        if self.load_fifo:
            self._read(self.load_fifo)
        return self

    def _read(self, fifo: str) -> None:
        try:
            Path(fifo).read_text()
        except:  # noqa: E722
            if not self.swallow:
                raise

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        if self.fifo:
            self._read(self.fifo)
        if self.marker:
            Path(self.marker).write_text("evaluated")
        return Verdict(outcome=Outcome.PASS, reason="fine")
"""


def _blocking_plugin(tmp_path: Path) -> dict[str, str]:
    """An environment where a distribution registers kind `blocking` (_BLOCKING_KIND)."""
    site = tmp_path / "site"
    info = site / "blocking_kind-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: blocking-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[analyzer.checks]\nblocking = blocking_kind:BlockingCheck\n")
    (site / "blocking_kind.py").write_text(_BLOCKING_KIND)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def _interrupted_while_reading(fifo: Path, *words: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of the command `words` given a SIGINT once it opened `fifo` to read it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer.cli", *words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # Opening a FIFO to write returns once the command opened it to read: it waits there for what is written.
        with open(fifo, "w"):
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stdout, stderr


class TestCtrlC:
    """A Ctrl-C (SIGINT) ends any command with one line naming what it had not done, exit 130, no traceback;
    inside a kind's evaluation too, which it ends rather than being that check's crash."""

    @pytest.mark.parametrize(
        ("words", "before"),
        [
            (["validate", "{fifo}"], "the catalog was validated"),
            (["import", "sloth", "{fifo}"], "the checks were imported"),
            # `list` reads only regular files: the catalog's check reads the FIFO as it loads.
            (["list", "--catalog", "{catalog}"], "the checks were listed"),
        ],
        ids=["validate", "import", "list"],
    )
    def test_ctrl_c_while_a_file_is_read(self, tmp_path, words, before):
        # Before: exit 130 with `stopped by KeyboardInterrupt (Ctrl-C?)` and its traceback, as a crash's.
        fifo, catalog = tmp_path / "catalog.yaml", tmp_path / "blocking.yaml"
        os.mkfifo(fifo)
        catalog.write_text(yaml.safe_dump({"checks": [{"name": "c", "kind": "blocking", "load_fifo": str(fifo)}]}))
        given = [word.format(fifo=fifo, catalog=catalog) for word in words]
        code, stdout, stderr = _interrupted_while_reading(fifo, *given, env=_blocking_plugin(tmp_path))
        assert (code, stdout) == (130, ""), stderr
        assert stderr.splitlines() == [f"analyzer: stopped by SIGINT (Ctrl-C) before {before}: exit 130"]

    def test_ctrl_c_inside_a_kinds_dry_run_ends_the_lint(self, tmp_path):
        # Before: the interrupted evaluation was that check's crash and the lint went on to the next check.
        fifo, marker = tmp_path / "wait", tmp_path / "evaluated"
        os.mkfifo(fifo)
        catalog = tmp_path / "catalog.yaml"
        checks = [
            {"name": "a", "kind": "blocking", "fifo": str(fifo)},
            {"name": "b", "kind": "blocking", "marker": str(marker)},
        ]
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": checks}))

        class Empty(Answering):
            def answer(self) -> tuple[int, bytes]:
                return 200, b'{"status": "success", "data": []}'

        with serving(Empty) as url:
            code, stdout, stderr = _interrupted_while_reading(
                fifo, "validate", str(catalog), "--prometheus", url, env=_blocking_plugin(tmp_path)
            )
        assert code == 130, stderr
        assert stderr.splitlines() == [
            f"analyzer: stopped by SIGINT (Ctrl-C) before the catalog was checked against Prometheus at {url}: exit 130"
        ]
        assert not marker.exists()
        assert "crashed" not in stdout

    def test_a_plugins_own_keyboard_interrupt_in_validate_keeps_its_traceback(self, tmp_path):
        # No Ctrl-C came: a plugin's bug, shown as one.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks:\n- {name: c, kind: crashing, interrupt: true}\n")
        result = analyzer("validate", catalog, env=_crashing_plugin(tmp_path))
        assert result.returncode == 130, result.stderr
        assert result.stderr.startswith("analyzer: stopped by KeyboardInterrupt (Ctrl-C?): no verdict, exit 130: ")
        assert "Traceback (most recent call last):" in result.stderr

    @pytest.mark.parametrize(
        ("words", "before"),
        [
            (["validate", "{catalog}"], "the catalog was validated"),
            (["serve", "--catalog", "{catalog}", "--host", "127.0.0.1", "--port", "0"], "the service started"),
        ],
        ids=["validate", "serve"],
    )
    def test_a_ctrl_c_a_kind_swallows_as_the_catalog_loads_still_stops_the_command(self, tmp_path, words, before):
        # Before (val33): `serve` started and served on until a SIGTERM, then exited 130 saying it had not started;
        # without the check after the command, `validate` said ok with exit 0.
        fifo, catalog = tmp_path / "wait", tmp_path / "catalog.yaml"
        os.mkfifo(fifo)
        catalog.write_text(
            yaml.safe_dump({"checks": [{"name": "c", "kind": "blocking", "load_fifo": str(fifo), "swallow": True}]})
        )
        given = [word.format(catalog=catalog) for word in words]
        code, stdout, stderr = _interrupted_while_reading(fifo, *given, env=_blocking_plugin(tmp_path))
        assert code == 130, stderr
        assert "listening" not in stdout
        assert stderr.splitlines()[-1] == f"analyzer: stopped by SIGINT (Ctrl-C) before {before}: exit 130"

    def test_a_ctrl_c_a_kind_swallows_in_its_dry_run_shows_no_report(self, tmp_path):
        # Before (val33): the lint's report on stdout, the interrupted check's pass in it (`0 problems`), then exit 130.
        fifo = tmp_path / "wait"
        os.mkfifo(fifo)
        catalog = tmp_path / "catalog.yaml"
        checks = [{"name": "a", "kind": "blocking", "fifo": str(fifo), "swallow": True}]
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": checks}))

        class Empty(Answering):
            def answer(self) -> tuple[int, bytes]:
                return 200, b'{"status": "success", "data": []}'

        with serving(Empty) as url:
            code, stdout, stderr = _interrupted_while_reading(
                fifo, "validate", str(catalog), "--prometheus", url, env=_blocking_plugin(tmp_path)
            )
        assert code == 130, stderr
        assert stderr.splitlines() == [
            f"analyzer: stopped by SIGINT (Ctrl-C) before the catalog was checked against Prometheus at {url}: exit 130"
        ]
        (said,) = stdout.splitlines()
        assert said.startswith("ok: 1 check, 1 source (catalog version "), stdout

    def test_main_gives_an_in_process_caller_its_sigint_handler_back(self, tmp_path, capsys):
        from analyzer.cli import main

        catalog = tmp_path / "catalog.yaml"
        check = {"name": "c", "kind": "prometheus", "description": "up", "query": "up", "pass_if": "< 1"}
        catalog.write_text(yaml.safe_dump({"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [check]}))

        def callers(signum: int, frame: object) -> None:
            pass

        previous = signal.signal(signal.SIGINT, callers)
        try:
            for _ in range(2):
                assert main(["validate", str(catalog)]) == 0, capsys.readouterr()
                assert signal.getsignal(signal.SIGINT) is callers
        finally:
            signal.signal(signal.SIGINT, previous)


class TestCheckNamesYAMLReadsAsNoText:
    """A check named with a word YAML reads as no text (`off`) makes `run`, of any check, refuse the catalog with the
    message and exit code `validate` and `list` give."""

    def test_every_command_names_the_word(self, tmp_path):
        path = tmp_path / "c.yaml"
        check = "  kind: prometheus\n  query: vector(0)\n  pass_if: '< 1'\n"
        path.write_text(
            f"sources:\n  default: {{url: 'http://127.0.0.1:9'}}\nchecks:\n- name: offs\n{check}- name: off\n{check}"
        )
        problem = (
            f"analyzer: {path}: checks[1] (line 8): name: off is read as false by YAML, not as text: quote it: 'off'"
        )
        results = [
            analyzer("validate", path),
            analyzer("list", "--catalog", path),
            analyzer("run", "off", "--catalog", path),
            analyzer("run", "offs", "--catalog", path),
        ]
        # Before: `run offs` ran its check (exit 0), `run off` said "no check named 'off'" (exit 2).
        assert [(r.returncode, r.stdout) for r in results] == [(6, "")] * 4
        assert [r.stderr.splitlines()[0] for r in results] == [problem] * 4

    @pytest.mark.parametrize("name", ["", "name: [b]\n  ", "name: {b: c}\n  "])
    def test_a_check_with_no_name_text_is_refused_by_run_of_another(self, tmp_path, name):
        path = tmp_path / "c.yaml"
        check = "kind: prometheus\n  query: vector(0)\n  pass_if: '< 1'\n"
        path.write_text(
            f"sources:\n  default: {{url: 'http://127.0.0.1:9'}}\nchecks:\n- name: a\n  {check}- {name}{check}"
        )
        results = [
            analyzer("validate", path),
            analyzer("list", "--catalog", path),
            analyzer("run", "a", "--catalog", path),
        ]
        # Before: `run a` ran its check, where validate and list refused the catalog.
        assert [r.returncode for r in results] == [6] * 3
        assert len({r.stderr.splitlines()[0] for r in results}) == 1
        assert results[0].stderr.splitlines()[0].startswith(f"analyzer: {path}: checks[1] (line 8): name: ")
