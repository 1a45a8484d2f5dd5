"""`analyzer run` as a Job runs it: a real subprocess against a real server on 127.0.0.1, checking the
exit codes, the printed summary and the JUnit file."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import signal
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from tests.ports import refused_port

# Secrets the leaky endpoint's answer holds.
LEAKED_TOKEN = "yaml-tok-4e1d9c"
LEAKED_BEARER = "eyJhbGciOi.l3aked-7b2f"


def target_app() -> web.Application:
    """A service with a healthy and a broken endpoint."""

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"status": "broken"}, status=503)

    async def foreign(request: web.Request) -> web.Response:
        return web.Response(text='{"status": "сломано"}', content_type="application/json")

    async def leaky(request: web.Request) -> web.Response:
        # An answer holding secrets it writes as YAML and as an echoed header line, under no JSON member.
        return web.Response(text=f"status: broken\ntoken: {LEAKED_TOKEN}\nAuthorization: Bearer {LEAKED_BEARER}\n")

    app = web.Application()
    app.router.add_get("/leaky", leaky)
    app.router.add_get("/ok", ok)
    app.router.add_get("/broken", broken)
    app.router.add_get("/foreign", foreign)
    return app


@pytest.fixture
async def catalog(aiohttp_server: Any, tmp_path: Path) -> Path:
    """A catalog of smoke checks against the local server (and one against a closed port)."""
    server = await aiohttp_server(target_app())

    def smoke(name: str, port: int, steps: list[tuple[str, str]], build: bool = True) -> dict[str, Any]:
        """`build`: the check declares a param `build` and sends it (the catalog refuses a param placed nowhere)."""
        return {
            "name": name,
            "kind": "http_smoke",
            "base_url": f"http://127.0.0.1:{port}",
            "allowed_hosts": ["127.0.0.1"],
            "params": {"build": {"type": "label_value", "default": "1"}} if build else {},
            "steps": [
                {
                    "name": step,
                    "path": path,
                    "headers": {"X-Build": "{{ build }}"} if build else {},
                    "retries": 0,
                    "expect": {"status": [200], "json": [{"path": "$.status", "equals": "ok"}]},
                }
                for step, path in steps
            ],
        }

    path = tmp_path / "catalog.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "checks": [
                    smoke("healthy", server.port, [("ok", "/ok")]),
                    smoke("broken", server.port, [("first", "/ok"), ("broken", "/broken"), ("last", "/ok")]),
                    smoke("down", refused_port(), [("ok", "/ok")]),
                    smoke("foreign", server.port, [("foreign", "/foreign")]),
                    smoke("leaky", server.port, [("leaky", "/leaky")]),
                    {
                        **smoke("creds", server.port, [("broken", "/broken")], build=False),
                        "params": {
                            "token": {"type": "label_value", "required": True, "pattern": "jobtok-[0-9a-f]+"},
                            "build": {"type": "label_value", "default": "1"},
                        },
                        "headers": {"Authorization": "Bearer {{ token }}", "X-Build": "{{ build }}"},
                    },
                ]
            }
        )
    )
    return path


async def analyzer_run(
    *args: str, env: dict[str, str] | None = None, stdout: Any = asyncio.subprocess.PIPE, **popen: Any
) -> tuple[int, str, str]:
    """Run `python -m analyzer.cli run ...` without blocking the loop that serves the target; its stdout goes
    where given (piped and returned by default), `popen` goes to the process' creation."""
    process = await started_run(*args, env=env, stdout=stdout, **popen)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, (out or b"").decode(), err.decode()


async def started_run(
    *args: str,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    stdout: Any = asyncio.subprocess.PIPE,
    stderr: Any = asyncio.subprocess.PIPE,
    **popen: Any,
) -> asyncio.subprocess.Process:
    """`python -m analyzer.cli run ...` started, as the argument of `prefix` (a command that runs another)."""
    environment = {
        **os.environ,
        "ANALYZER_HTTP_ALLOWED_HOSTS": "127.0.0.1",
        "ANALYZER_HTTP_ALLOWED_NETWORKS": "127.0.0.0/8",
        **(env or {}),
    }
    return await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "analyzer.cli",
        "run",
        *args,
        env=environment,
        stdout=stdout,
        stderr=stderr,
        **popen,
    )


class TestExitCodes:
    """Each verdict has its own exit code; usage errors and invalid catalogs never read as a verdict."""

    async def test_pass_exits_0_with_a_summary_and_junit(self, catalog, tmp_path):
        junit = tmp_path / "report.xml"
        code, out, _ = await analyzer_run("healthy", "--catalog", str(catalog), "--junit", str(junit))
        assert code == 0, out
        assert out.startswith("PASS healthy: its 1 step passed (1 request, slowest response ")
        assert "  PASS         ok  GET http://127.0.0.1:" in out
        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"

    async def test_fail_exits_3_with_one_junit_case_per_step(self, catalog, tmp_path):
        junit = tmp_path / "report.xml"
        code, out, _ = await analyzer_run(
            "broken", "--catalog", str(catalog), "--junit", str(junit), "--arg", "build=42"
        )
        assert code == 3, out
        assert "FAIL broken: step 'broken' (2/3) failed: status: expected 200, got 503" in out
        cases = ET.parse(junit).getroot().findall("./testsuite/testcase")
        assert [(c.get("name"), [e.tag for e in c]) for c in cases] == [
            ("first", []),
            ("broken", ["failure"]),
            ("last", ["skipped"]),
        ]
        properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
        assert properties["arg.build"] == "42"

    async def test_unreachable_target_exits_5(self, catalog, tmp_path):
        junit = tmp_path / "report.xml"
        code, out, _ = await analyzer_run("down", "--catalog", str(catalog), "--junit", str(junit))
        assert code == 5, out
        assert "ERROR down: step 'ok' (1/1): cannot connect" in out
        assert ET.parse(junit).getroot().find("./testsuite/testcase/error") is not None

    async def test_refused_target_exits_5(self, catalog):
        code, out, _ = await analyzer_run(
            "healthy", "--catalog", str(catalog), env={"ANALYZER_HTTP_ALLOWED_NETWORKS": ""}
        )
        assert code == 5, out
        assert "127.0.0.1 is a loopback address" in out

    @pytest.mark.parametrize("args", [("nope",), ("healthy", "--arg", "undeclared=1"), ("healthy", "--arg", "x")])
    async def test_usage_errors_exit_2(self, catalog, args):
        code, _, err = await analyzer_run(*args[:1], "--catalog", str(catalog), *args[1:])
        assert code == 2, err

    async def test_invalid_catalog_exits_6(self, tmp_path):
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            yaml.safe_dump(
                {
                    "checks": [
                        {
                            "name": "x",
                            "kind": "http_smoke",
                            "base_url": "http://{{ p }}.svc",
                            "params": {"p": {"type": "label_value", "default": "a"}},
                            "steps": [{"name": "s"}],
                        }
                    ]
                }
            )
        )
        code, _, err = await analyzer_run("x", "--catalog", str(bad))
        assert code == 6
        assert "stands in the host" in err

    @pytest.mark.integration
    async def test_inconclusive_exits_4(self, prometheus, tmp_path):
        path = tmp_path / "catalog.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "sources": {"default": {"type": "prometheus", "url": prometheus.url}},
                    "checks": [
                        {
                            "name": "quiet",
                            "kind": "prometheus",
                            "query": "http_smoke_test_absent_metric",
                            "pass_if": "< 1",
                        }
                    ],
                }
            )
        )
        junit = tmp_path / "report.xml"
        code, out, _ = await analyzer_run("quiet", "--catalog", str(path), "--junit", str(junit))
        assert code == 4, out
        assert ET.parse(junit).getroot().find("./testsuite/testcase/failure").get("type") == "inconclusive"


class TestAJobsLogOnAnError:
    """A Job's log (stdout and stderr in one stream) of an `error` verdict starts with the verdict line naming it."""

    async def test_the_verdict_line_first_and_no_log_line_repeating_it(self, catalog):
        process = await started_run("down", "--catalog", str(catalog), stderr=asyncio.subprocess.STDOUT)
        log, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 5
        lines = log.decode().splitlines()
        assert lines[0].startswith("ERROR down: step 'ok' (1/1): cannot connect"), lines
        assert not [line for line in lines if "check_evaluated" in line]

    async def test_a_composite_names_each_member_that_could_not_be_evaluated(self, catalog, tmp_path):
        # Before: only the verdict line, the first member's reason clipped; the log line of each member's error
        # (its code and whole reason) had gone with `check_evaluated`.
        written = yaml.safe_load(catalog.read_text())
        members = [{"check": "down"}, {"check": "healthy"}]
        written["checks"].append({"name": "card", "kind": "composite", "mode": "any", "members": members})
        (tmp_path / "card.yaml").write_text(yaml.safe_dump(written))
        process = await started_run("card", "--catalog", str(tmp_path / "card.yaml"), stderr=asyncio.subprocess.STDOUT)
        log, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 5
        lines = log.decode().splitlines()
        assert lines[0].startswith("ERROR card: member 'down' could not be evaluated"), lines
        assert lines[1].startswith("  ERROR        down  target_unreachable: step 'ok' (1/1): cannot connect"), lines


class TestAQuietJobImportsNoStructlog:
    """A Job that logs no line never imports structlog (5% of a cold run's instructions)."""

    async def test_a_passing_run(self, catalog):
        code, out, err = await analyzer_run("healthy", "--catalog", str(catalog), env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert code == 0 and out.startswith("PASS healthy"), (out, err)
        imported = [line.rpartition("|")[2].strip() for line in err.splitlines() if line.startswith("import time:")]
        assert "analyzer.runner" in imported and "structlog" not in imported


STRUCTLOG_KIND = """
from typing import Literal

import structlog

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class ChattyCheck(Check):
    kind: Literal["chatty"] = "chatty"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        structlog.get_logger("chatty_kind").warning("chatty_warned", detail="from the kind")
        return Verdict(outcome=Outcome.PASS, reason="chatty passed", value=1.0, threshold=1.0)
"""


class TestAKindLoggingThroughStructlog:
    """A kind that logs through structlog's own loggers is written as the analyzer's lines are: on stderr, in
    the console format, before any line of the analyzer's own set structlog up."""

    async def test_its_line_is_on_stderr_in_the_console_format(self, tmp_path):
        path = tmp_path / "chatty.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "chatty", "kind": "chatty"}]}))
        env = plugin_installed(tmp_path, "chatty", "ChattyCheck", STRUCTLOG_KIND)
        code, out, err = await analyzer_run("chatty", "--catalog", str(path), env=env)
        assert code == 0 and out.startswith("PASS chatty"), (out, err)
        # structlog's defaults would print it on stdout, before the verdict line, without the level's width.
        assert "chatty_warned" not in out, out
        line = next(line for line in err.splitlines() if "chatty_warned" in line)
        assert "[warning  ]" in line and "detail='from the kind'" in line, line


# A kind that imports structlog only in its evaluation, as a plugin that logs only when something goes wrong may.
LAZY_STRUCTLOG_KIND = """
from typing import Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class LazyCheck(Check):
    kind: Literal["lazy"] = "lazy"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        import structlog

        structlog.get_logger("lazy_kind").warning("lazy_warned", detail="from the evaluation")
        return Verdict(outcome=Outcome.PASS, reason="lazy passed", value=1.0, threshold=1.0)
"""

# A kind whose module logs through structlog as it is imported (the catalog's load imports it).
LOADING_STRUCTLOG_KIND = """
from typing import Literal

import structlog

from analyzer.kinds import Check, EvalContext, Outcome, Verdict

structlog.get_logger("loading_kind").warning("loading_warned", detail="from the import")


class LoadingCheck(Check):
    kind: Literal["loading"] = "loading"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        return Verdict(outcome=Outcome.PASS, reason="loading passed", value=1.0, threshold=1.0)
"""


class TestAKindImportingStructlogLate:
    """A kind that first imports structlog in its evaluation, or logs through it while its module is imported, is
    written as the analyzer's lines are (stderr, the console format): stdout holds the verdict alone."""

    @pytest.mark.parametrize(
        ("kind", "class_name", "source", "event"),
        [
            ("lazy", "LazyCheck", LAZY_STRUCTLOG_KIND, "lazy_warned"),
            ("loading", "LoadingCheck", LOADING_STRUCTLOG_KIND, "loading_warned"),
        ],
    )
    async def test_stdout_is_the_verdict_alone(self, tmp_path, kind, class_name, source, event):
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": kind, "kind": kind}]}))
        env = plugin_installed(tmp_path, kind, class_name, source)
        code, out, err = await analyzer_run(kind, "--catalog", str(path), env=env)
        assert code == 0 and out.startswith(f"PASS {kind}:") and len(out.splitlines()) == 1, (out, err)
        line = next(line for line in err.splitlines() if event in line)
        assert "[warning  ]" in line and "detail='from the" in line, line

    @pytest.mark.parametrize(
        ("kind", "class_name", "source", "event"),
        [
            ("lazy", "LazyCheck", LAZY_STRUCTLOG_KIND, "lazy_warned"),
            ("loading", "LoadingCheck", LOADING_STRUCTLOG_KIND, "loading_warned"),
        ],
    )
    async def test_stdout_is_the_json_document_alone(self, tmp_path, kind, class_name, source, event):
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": kind, "kind": kind}]}))
        env = plugin_installed(tmp_path, kind, class_name, source)
        code, out, err = await analyzer_run(kind, "--catalog", str(path), "--json", env=env)
        assert code == 0, (out, err)
        assert json.loads(out)["verdict"] == "pass", out
        assert event in err, err


# A kind whose module sets structlog up its own way as it is imported (a copied "logging set-up": structlog's
# PrintLogger, which writes to stdout), then crashes: the analyzer's `check_crashed` line is structlog's too.
CONFIGURING_STRUCTLOG_KIND = """
from typing import Literal

import structlog

from analyzer.kinds import Check, EvalContext, Verdict

structlog.configure(
    processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
    logger_factory=structlog.PrintLoggerFactory(),
)


class ConfiguringCheck(Check):
    kind: Literal["configuring"] = "configuring"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        structlog.get_logger("configuring_kind").warning("configuring_warned", detail="from the evaluation")
        raise RuntimeError("configuring crashed")
"""


class TestAKindConfiguringStructlogAsItIsImported:
    """A kind's module that configures structlog as it is imported does not take the run's lines: once the catalog
    is loaded, structlog is set up as the analyzer's again (it was when the first line set it up, before structlog
    was set up at its import), so the kind's and the analyzer's own lines stay on stderr."""

    async def test_stdout_is_the_json_document_alone(self, tmp_path):
        path = tmp_path / "configuring.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "configuring", "kind": "configuring"}]}))
        env = plugin_installed(tmp_path, "configuring", "ConfiguringCheck", CONFIGURING_STRUCTLOG_KIND)
        code, out, err = await analyzer_run("configuring", "--catalog", str(path), "--json", env=env)
        assert code == 5, (out, err)
        # Before: the kind's line and the analyzer's `check_crashed`, as JSON lines, ahead of the document.
        assert json.loads(out)["verdict"] == "error", out
        assert "[warning  ] configuring_warned" in err and "[error    ] check_crashed" in err, err


# A green report an earlier run left in a reused CI workspace.
OLDER_REPORT = (
    '<testsuites><testsuite name="older" tests="1" failures="0"><testcase name="ok"/></testsuite></testsuites>'
)


class TestNoReportWithoutAVerdict:
    """A run that ends without a verdict leaves no JUnit report at --junit FILE, not even an older one."""

    @pytest.mark.parametrize(
        ("words", "code"),
        [
            (("nope",), 2),
            (("healthy", "--bogus"), 2),
            (("healthy", "--arg", "nope=1"), 2),
            (("healthy", "--catalog", "/nonexistent/catalog.yaml"), 6),
        ],
    )
    async def test_an_older_report_is_removed(self, catalog, tmp_path, words, code):
        junit = tmp_path / "report.xml"
        junit.write_text(OLDER_REPORT)
        # The catalog given once: a second --catalog is refused (exit 2) before anything is read.
        given = () if "--catalog" in words else ("--catalog", str(catalog))
        run_code, out, err = await analyzer_run(*given, "--junit", str(junit), *words)
        assert run_code == code, out + err
        assert not junit.exists()

    async def test_what_is_not_a_regular_file_is_left(self, catalog, tmp_path):
        older = tmp_path / "older.xml"
        older.write_text(OLDER_REPORT)
        (tmp_path / "report.xml").symlink_to(older)
        code, out, err = await analyzer_run("nope", "--catalog", str(catalog), "--junit", str(tmp_path / "report.xml"))
        assert code == 2, out + err
        assert (tmp_path / "report.xml").is_symlink() and older.read_text() == OLDER_REPORT


def _report_at_the_catalog(catalog: Path, how: str) -> tuple[tuple[str, ...], Path]:
    """(options, --junit path) naming the catalog's file `how`: as it is, through a symlink or a hard link, as a
    member of the catalog directory, or as the catalog ANALYZER_CATALOG names."""
    if how == "link":
        (catalog.parent / "report.xml").symlink_to(catalog)
        return ("--catalog", str(catalog)), catalog.parent / "report.xml"
    if how == "hard link":
        (catalog.parent / "report.xml").hardlink_to(catalog)
        return ("--catalog", str(catalog)), catalog.parent / "report.xml"
    if how == "member":
        return ("--catalog", str(catalog.parent)), catalog
    return ("--catalog", str(catalog)), catalog


class TestReportPathIsNoInput:
    """A --junit FILE that is a file the run reads (the catalog, a source's token or CA bundle, the --ca-file) is a
    usage error naming both, and that file is left as it was; a file at FILE that is not XML is never removed."""

    @pytest.mark.parametrize("how", ["same path", "link", "hard link", "member"])
    @pytest.mark.parametrize("check", ["healthy", "nope"])
    async def test_the_catalog(self, catalog, how, check):
        before = catalog.read_text()
        options, junit = _report_at_the_catalog(catalog, how)
        code, out, err = await analyzer_run(check, *options, "--junit", str(junit))
        assert code == 2, out + err
        assert err == (
            f"analyzer: --junit {str(junit)!r} is the same file as the catalog file {str(catalog)!r}: the report "
            "would overwrite it (give --junit a path of its own)\n"
        )
        assert catalog.read_text() == before and out == ""

    async def test_the_catalog_named_by_the_environment(self, catalog):
        before = catalog.read_text()
        code, out, err = await analyzer_run("healthy", "--junit", str(catalog), env={"ANALYZER_CATALOG": str(catalog)})
        assert code == 2, out + err
        assert "is the same file as the catalog file" in err and catalog.read_text() == before

    async def test_the_ca_file(self, catalog, tmp_path):
        ca = tmp_path / "ca.pem"
        ca.write_text(PEM)
        code, out, err = await analyzer_run(
            "healthy", "--catalog", str(catalog), "--prometheus", "http://127.0.0.1:9", "--ca-file", str(ca),
            "--junit", str(ca),
        )  # fmt: skip
        assert code == 2, out + err
        assert f"is the same file as the --ca-file {str(ca)!r}" in err and ca.read_text() == PEM

    @pytest.mark.parametrize("field", ["bearer_token_file", "ca_file"])
    async def test_a_file_a_source_names(self, catalog, tmp_path, field):
        secret = tmp_path / "secret"
        secret.write_text(PEM)
        document = yaml.safe_load(catalog.read_text())
        document["sources"] = {"default": {"url": "http://127.0.0.1:9", field: str(secret)}}
        catalog.write_text(yaml.safe_dump(document))
        code, out, err = await analyzer_run("healthy", "--catalog", str(catalog), "--junit", str(secret))
        assert code == 2, out + err
        assert err == (
            f"analyzer: --junit {str(secret)!r} is the same file as the {field} {str(secret)!r} of source 'default': "
            "the report would overwrite it (give --junit a path of its own)\n"
        )
        assert secret.read_text() == PEM

    async def test_a_file_that_is_not_xml_is_not_removed(self, catalog, tmp_path):
        # A token or a key named by mistake, that no catalog names: the run's usage error leaves it.
        other = tmp_path / "token"
        other.write_text(JOB_TOKEN)
        code, out, err = await analyzer_run("nope", "--catalog", str(catalog), "--junit", str(other))
        assert code == 2, out + err
        assert other.read_text() == JOB_TOKEN


class TestStdoutIsTheCatalog:
    """A stdout that is a catalog file (`> catalog.yaml`, which the shell empties first, or a new file of the
    catalog directory) is a usage error, not a run of what is left."""

    @pytest.mark.parametrize("member", [False, True])
    async def test_refused(self, catalog, member):
        out = catalog.parent / "summary.yaml" if member else catalog
        with out.open("ab") as stdout:  # `>>`: the catalog kept, to show that a refusal reads none of it
            code, _, err = await analyzer_run(
                "healthy", "--catalog", str(catalog.parent if member else catalog), stdout=stdout
            )
        assert code == 2, err
        assert err == (
            f"analyzer: stdout is {str(out)!r}, which this command reads (a shell's `>` empties it before the command "
            "starts): write the output to another file\n"
        )


# Not a CA bundle: only its bytes matter (a catalog's ca_file is checked readable, not parsed, as it loads).
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

JOB_TOKEN = "jobtok-6b1f0e9d2c"


class TestJsonOutput:
    """--json writes the evaluation and --explain its evidence as JSON indented by two spaces, as
    docs/job-mode.md shows them (a reader that stops at `head -n 5` sees the verdict)."""

    @pytest.mark.parametrize("output", ["--json", "--explain"])
    async def test_indented_by_two(self, catalog, output):
        code, out, err = await analyzer_run("broken", "--catalog", str(catalog), output)
        assert code == 3, err
        lines = out.splitlines()
        start = lines.index("{")
        assert lines[start + 1].startswith('  "'), lines[start + 1]
        assert json.loads("\n".join(lines[start:]))


class TestSecretsInAnswers:
    """A secret an answer writes as YAML or an echoed header line is printed nowhere: summary, JSON or JUnit."""

    @pytest.mark.parametrize("output", [(), ("--explain",)])
    async def test_the_answer_is_quoted_without_them(self, catalog, tmp_path, output):
        junit = tmp_path / "report.xml"
        code, out, err = await analyzer_run("leaky", "--catalog", str(catalog), "--junit", str(junit), *output)
        assert code == 3, out
        shown = {"out": out, "err": err, "junit": junit.read_text()}
        assert [where for where, text in shown.items() if LEAKED_TOKEN in text or LEAKED_BEARER in text] == []
        assert "token: &lt;redacted&gt;" in shown["junit"]


class TestSecretArgs:
    """An arg sent as a credential is never printed, in the summary, the JSON, the evidence or the JUnit file."""

    @pytest.mark.parametrize("output", [(), ("--explain",), ("--json",)])
    async def test_the_token_is_redacted(self, catalog, tmp_path, output):
        junit = tmp_path / "report.xml"
        code, out, err = await analyzer_run(
            "creds", "--catalog", str(catalog), "--junit", str(junit), "--arg", f"token={JOB_TOKEN}", *output
        )
        assert code == 3, out
        report = junit.read_text()
        assert [where for where, text in {"out": out, "err": err, "junit": report}.items() if JOB_TOKEN in text] == []
        properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
        assert properties["arg.token"] == "<redacted>"

    @pytest.mark.parametrize("output", [(), ("--json",)])
    async def test_a_urls_password_in_an_arg_is_redacted(self, catalog, tmp_path, output):
        # `build` is no secret param (sent whole as X-Build): the credential its URL holds is hidden by its shape.
        junit = tmp_path / "report.xml"
        value = "https://ci:ciurlpw-8e2d4f6a@ci.svc/builds/7"
        code, out, err = await analyzer_run(
            "healthy", "--catalog", str(catalog), "--junit", str(junit), "--arg", f"build={value}", *output
        )
        assert code == 0, out + err
        shown = {"out": out, "err": err, "junit": junit.read_text()}
        assert [where for where, text in shown.items() if "ciurlpw-8e2d4f6a" in text] == []
        properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
        assert properties["arg.build"] == "https://<redacted>@ci.svc/builds/7"

    @pytest.mark.parametrize(
        "words",
        [
            ("--arg", "token", JOB_TOKEN),
            ("--arg", JOB_TOKEN),
            ("--arg", "build", "2", "--arg", "token", JOB_TOKEN),
            # Which key a word belongs to argparse cannot tell; a token may start with '-' (base64url: 1 in 64) or
            # follow an empty `token=`.
            ("--arg", "build", "--arg", "token", JOB_TOKEN),
            ("--arg", "token", f"-{JOB_TOKEN}"),
            ("--arg", "token=", JOB_TOKEN),
            # The key mistyped: a word that names no param may be a secret one, whose value follows.
            ("--arg", "tokn", JOB_TOKEN),
            ("--arg", "tokn", f"-{JOB_TOKEN}"),
            ("--arg", "token=jobtok-1", "--arg", "tokn", JOB_TOKEN),
            # `--arg` left out, or written as a flag of its own: the word is KEY=VALUE all the same.
            (f"token={JOB_TOKEN}",),
            (f"--token={JOB_TOKEN}",),
            (f"tokn={JOB_TOKEN}",),
            ("--arg", "build=2", f"token={JOB_TOKEN}"),
            # Beside an --arg without =VALUE, a KEY=VALUE word is not that arg's value to quote in the hint.
            ("--arg", "build", f"token={JOB_TOKEN}"),
            # An arg written as an option of its own, its value the next word.
            ("--token", JOB_TOKEN),
            ("--tokn", JOB_TOKEN),
            ("--arg", "build=2", "--token", JOB_TOKEN),
        ],
    )
    async def test_a_token_given_as_its_own_word_is_not_quoted(self, catalog, words):
        code, out, err = await analyzer_run("creds", "--catalog", str(catalog), *words)
        assert code == 2, out
        assert "KEY=VALUE" in err or "did you mean --arg " in err
        assert JOB_TOKEN not in out + err

    @pytest.mark.parametrize(
        "words",
        [
            (f"token={JOB_TOKEN}",),
            (f"token={JOB_TOKEN}", "build=2"),
            (f"token={JOB_TOKEN}", "build=2", "creds"),
            ("--token", JOB_TOKEN, "creds"),
        ],
    )
    async def test_a_token_written_where_the_name_belongs_is_not_quoted(self, catalog, words):
        # `run token=VALUE build=2 NAME`, `run --token VALUE NAME`: argparse takes a word before the name for it.
        code, out, err = await analyzer_run(*words, "--catalog", str(catalog))
        assert code == 2, out
        assert "no check named" in err or "unrecognized arguments" in err
        assert JOB_TOKEN not in out + err

    @pytest.mark.parametrize(
        "words", [("--arg", "token", JOB_TOKEN, "creds"), ("--arg", "build", "2", "--arg", "token", JOB_TOKEN, "creds")]
    )
    async def test_a_token_in_the_place_of_the_check_name_is_not_quoted(self, catalog, words):
        # The name written last: argparse takes the word after `--arg token` as the check's name.
        code, out, err = await analyzer_run("--catalog", str(catalog), *words)
        assert code == 2, out
        assert "an arg is one word: --arg KEY=VALUE" in err
        assert JOB_TOKEN not in out + err

    async def test_a_token_given_without_its_key_is_not_offered_as_one(self, catalog):
        # `--arg $(TOKEN)` then a stray word: the hint would pair them as `--arg TOKEN=word`, and which of the two
        # is the token no one can tell.
        code, out, err = await analyzer_run("creds", "--catalog", str(catalog), "--arg", JOB_TOKEN, "extra")
        assert code == 2, out
        assert "unrecognized arguments: <redacted> (an arg is one word: --arg KEY=VALUE)\n" in err
        assert JOB_TOKEN not in out + err and "extra" not in out + err

    async def test_a_bad_token_is_not_quoted(self, catalog):
        code, out, err = await analyzer_run("creds", "--catalog", str(catalog), "--arg", "token=jobtok-NOTHEX7")
        assert code == 2, out
        assert "arg 'token' must match the pattern" in err and "NOTHEX7" not in out + err


class Held:
    """A target whose one endpoint answers 200 only once the test releases it, and says when it was reached."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def held(request: web.Request) -> web.Response:
            self.reached.set()
            await self.release.wait()
            return web.json_response({"status": "ok"})

        app = web.Application()
        app.router.add_get("/held", held)
        return app


@pytest.fixture
async def held(aiohttp_server: Any, tmp_path: Path) -> tuple[Held, Path]:
    """A target held by the test, and a catalog whose check `held` waits for it (far longer than any test)."""
    target = Held()
    server = await aiohttp_server(target.app())
    path = tmp_path / "held.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "checks": [
                    {
                        "name": "held",
                        "kind": "http_smoke",
                        "base_url": f"http://127.0.0.1:{server.port}",
                        "allowed_hosts": ["127.0.0.1"],
                        "deadline_s": 120,
                        "steps": [{"name": "held", "path": "/held", "timeout_s": 100, "retries": 0}],
                    }
                ]
            }
        )
    )
    yield target, path
    target.release.set()


def _children(pid: int) -> list[int]:
    """The processes `pid` started (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


class TestStoppedBeforeAVerdict:
    """SIGTERM (a deleted pod, activeDeadlineSeconds) or SIGINT during the evaluation ends `run` with 128 + the
    signal and one line naming it, never a verdict's code, also as a container's PID 1."""

    @pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
    async def test_a_signal_ends_the_run_without_a_verdict(self, held, tmp_path, signum, code):
        target, catalog = held
        junit = tmp_path / "report.xml"
        junit.write_text(OLDER_REPORT)
        process = await started_run("held", "--catalog", str(catalog), "--junit", str(junit))
        await asyncio.wait_for(target.reached.wait(), timeout=60)
        process.send_signal(signum)
        target.release.set()
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == code, stdout
        assert stderr.decode().splitlines() == [
            f"analyzer: stopped by {signum.name} ("
            + ("Ctrl-C" if signum == signal.SIGINT else "its pod deleted, or the Job past its activeDeadlineSeconds?")
            + f") before check 'held' had a verdict: no verdict, exit {code}"
        ]
        assert stdout == b"" and not junit.exists()

    @pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare, as root")
    async def test_as_pid_1_sigterm_is_not_ignored(self, held):
        # The image's entrypoint is `analyzer`: PID 1 of its container, for which the kernel ignores a signal left
        # to its default action. The check would then go on, and pass, after the pod was told to stop.
        target, catalog = held
        process = await started_run(
            "held", "--catalog", str(catalog), prefix=("unshare", "--pid", "--fork", "--kill-child")
        )
        await asyncio.wait_for(target.reached.wait(), timeout=60)
        (pid_1,) = _children(process.pid)
        os.kill(pid_1, signal.SIGTERM)
        target.release.set()
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 143, stdout
        assert "analyzer: stopped by SIGTERM" in stderr.decode() and stdout == b""

    @pytest.mark.parametrize("as_pid_1", [False, True])
    async def test_a_sigterm_during_start_up_ends_the_run_without_a_verdict(self, held, tmp_path, as_pid_1):
        if as_pid_1 and (shutil.which("unshare") is None or os.geteuid() != 0):
            pytest.skip("needs unshare, as root")
        # Start-up held at the catalog's load: a source's ca_file that is a FIFO blocks its opening until the test
        # opens it too. A target that answers at once: a run that ignored the stop would pass.
        target, held_catalog = held
        target.release.set()
        fifo = tmp_path / "ca.pem"
        os.mkfifo(fifo)
        catalog = yaml.safe_load(held_catalog.read_text())
        catalog["sources"] = {"default": {"url": "http://127.0.0.1:9", "ca_file": str(fifo)}}
        held_catalog.write_text(yaml.safe_dump(catalog))
        prefix = ("unshare", "--pid", "--fork", "--kill-child") if as_pid_1 else ()
        process = await started_run("held", "--catalog", str(held_catalog), prefix=prefix)
        loading = await asyncio.wait_for(_blocked_opening_a_fifo(process.pid, as_pid_1), timeout=60)
        os.kill(loading, signal.SIGTERM)
        # The load goes on (the FIFO opened), the evaluation does not start. The writer stays open until the run
        # ends: the SIGTERM interrupts the run's open of the FIFO, which Python retries after the handler (PEP 475),
        # and a writer that came and went in between left the run blocked in the retried open for ever.
        writer = os.open(fifo, os.O_RDWR)
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        finally:
            os.close(writer)
        assert process.returncode == 143, (stdout, stderr)
        assert "analyzer: stopped by SIGTERM" in stderr.decode() and stdout == b""
        assert not target.reached.is_set()


RECORDED_AFTER = """
import sys
import analyzer.cli as cli

record = cli._record_stops
def recorded(stopped_by):
    print("loader imported before stops recorded:", "analyzer.catalog" in sys.modules, file=sys.stderr)
    return record(stopped_by)
cli._record_stops = recorded
sys.exit(cli.main(sys.argv[1:]))
"""


class TestStopsRecordedEarly:
    """`run` records stop signals before it imports the catalog's loader (tens of milliseconds, in which PID 1
    ignores a SIGTERM), also when --junit has it look at its inputs first."""

    @pytest.mark.parametrize("junit", [False, True])
    async def test_before_the_loader(self, catalog, tmp_path, junit):
        options = ("--junit", str(tmp_path / "report.xml")) if junit else ()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", RECORDED_AFTER, "run", "nope", "--catalog", str(catalog), *options,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 2, err
        assert err.decode().splitlines()[0] == "loader imported before stops recorded: False"


async def _blocked_opening_a_fifo(pid: int, in_child: bool) -> int:
    """The process (`pid`, or its one child) once it waits in the opening of a FIFO for a writer (Linux)."""
    while True:
        found = _children(pid) if in_child else [pid]
        if found and Path(f"/proc/{found[0]}/wchan").read_text() == "wait_for_partner":
            return found[0]
        # No event tells that a process entered a system call: its state is read again.
        await asyncio.sleep(0.05)


LATE_KIND = """
import os
import signal
from typing import Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class LateCheck(Check):
    kind: Literal["late"] = "late"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        # The pod is deleted as the verdict is reached: the signal is handled once the evaluation has returned.
        os.kill(os.getpid(), signal.SIGTERM)
        return Verdict(outcome=Outcome.PASS, reason="passed as the pod was deleted", value=1.0, threshold=1.0)
"""


def plugin_installed(tmp_path: Path, kind: str, class_name: str, source: str) -> dict[str, str]:
    """The environment where a distribution `{kind}-kind` installed under `tmp_path` registers kind `kind` as
    `{kind}_kind:{class_name}`, its module's text `source`."""
    site = tmp_path / "site"
    info = site / f"{kind}_kind-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {kind}-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[analyzer.checks]\n{kind} = {kind}_kind:{class_name}\n")
    (site / f"{kind}_kind.py").write_text(source)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def late(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment where a plugin registers kind `late`, whose evaluation sends its own process SIGTERM and
    passes at once, and a catalog whose check `late` is of that kind (and uses no source)."""
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump({"checks": [{"name": "late", "kind": "late"}]}))
    return plugin_installed(tmp_path, "late", "LateCheck", LATE_KIND), path


class TestStoppedAsTheVerdictIsReached:
    """A stop signal handled after the evaluation returned still ends `run` without a verdict: what it says
    after a stop is not trusted (a check may have cut corners as it was cancelled)."""

    async def test_a_pass_with_sigterm_is_no_verdict(self, late):
        env, catalog = late
        code, out, err = await analyzer_run("late", "--catalog", str(catalog), env=env)
        assert code == 143, out
        assert "analyzer: stopped by SIGTERM" in err and out == ""


EXITING_KIND = """
import sys
from typing import Literal

from analyzer.kinds import Check, EvalContext, Verdict


class ExitingCheck(Check):
    kind: Literal["exiting"] = "exiting"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        # What a library may do on input it does not handle: exit, with status 0 (sys.exit(), a --help).
        sys.exit()
"""


class TestAKindThatExits:
    """A kind that exits the process is an internal error of its check: the error exit code, never 0."""

    async def test_sys_exit_is_an_error_not_a_pass(self, tmp_path):
        path = tmp_path / "exits.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "exits", "kind": "exiting"}]}))
        env = plugin_installed(tmp_path, "exiting", "ExitingCheck", EXITING_KIND)
        code, out, _ = await analyzer_run("exits", "--catalog", str(path), env=env)
        # Was 0 with nothing printed: the Job Complete, a Successful measurement for Argo Rollouts.
        assert code == 5, out
        assert out.startswith("ERROR exits: internal error in check 'exits': SystemExit ("), out

    @pytest.mark.parametrize(
        ("where", "source"),
        [
            # A plugin module that exits as it is imported (a CLI parser run at import on analyzer's own argv).
            ("import", "import sys\n\nsys.exit()\n"),
            # A plugin's validator that calls a library which exits on input it refuses.
            (
                "validator",
                EXITING_KIND.replace("import sys\n", "import sys\n\nfrom pydantic import field_validator\n")
                + "\n    @field_validator('name')\n    @classmethod\n    def _exits(cls, value):\n        sys.exit()\n",
            ),
        ],
        ids=["import", "validator"],
    )
    async def test_sys_exit_before_the_evaluation_is_an_error_not_a_pass(self, tmp_path, where, source):
        path = tmp_path / "exits.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "exits", "kind": "exiting"}]}))
        env = plugin_installed(tmp_path, "exiting", "ExitingCheck", source)
        code, out, err = await analyzer_run("exits", "--catalog", str(path), env=env)
        # Was 0 with nothing printed, as the kind's own sys.exit() was: the Job Complete, a pass.
        assert code == 5, (out, err)
        site = tmp_path / "site" / "exiting_kind.py"
        assert f"analyzer: internal error: SystemExit (exit status 0) raised by plugin code at {site}:" in err, err

    @pytest.mark.parametrize(
        ("status", "said"),
        [
            # Before: exit 3 and 4, a fail's and an inconclusive's code, with nothing printed: a verdict no check gave.
            ("3", "exit status 3"),
            ("4", "exit status 4"),
            # Before: Python printed the message as it was (the URL's password too) and exited 1.
            (
                "'cannot reach https://ci:hunter22-s3cr3t@pkgs.shop.svc/'",
                "cannot reach https://<redacted>@pkgs.shop.svc/",
            ),
        ],
        ids=["3", "4", "message"],
    )
    async def test_any_sys_exit_before_the_evaluation_is_an_error(self, tmp_path, status, said):
        path = tmp_path / "exits.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "exits", "kind": "exiting"}]}))
        env = plugin_installed(tmp_path, "exiting", "ExitingCheck", f"import sys\n\nsys.exit({status})\n")
        code, out, err = await analyzer_run("exits", "--catalog", str(path), env=env)
        assert code == 5, (out, err)
        site = tmp_path / "site" / "exiting_kind.py"
        assert f"analyzer: internal error: SystemExit ({said}) raised by plugin code at {site}:3" in err, err
        assert "s3cr3t" not in err + out


def _largest_file_bytes(size: int) -> None:
    """In the child: files may grow to `size` bytes, as a full disk stops them (a write beyond fails: EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


class TestOutputThatCannotBeWritten:
    """Output that cannot be written is said in one line on stderr; the verdict's exit code stands, and no
    report cut short is left behind."""

    @pytest.mark.parametrize("output", [(), ("--json",), ("--explain",)])
    async def test_a_full_stdout_keeps_the_verdict(self, catalog, output):
        # Buffered, as `analyzer run ... > summary.txt` in a pipeline (the image and some shells set
        # PYTHONUNBUFFERED, which has every write fail at once): the error surfaces at the flush.
        buffered = {"PYTHONUNBUFFERED": ""}
        with open("/dev/full", "wb") as full:
            code, _, err = await analyzer_run("broken", "--catalog", str(catalog), *output, env=buffered, stdout=full)
        assert code == 3, err
        assert err == "analyzer: cannot write the summary to stdout: No space left on device\n"

    async def test_json_is_utf_8_whatever_the_locale_encodes(self, catalog):
        code, out, err = await analyzer_run(
            "foreign", "--catalog", str(catalog), "--json", env={"PYTHONIOENCODING": "ascii"}
        )
        assert code == 3, err
        assert json.loads(out)["details"]["steps"][0]["body"] == '{"status": "сломано"}'

    async def test_a_junit_report_that_cannot_be_created_keeps_the_verdict(self, catalog, tmp_path):
        junit = tmp_path / "missing" / "report.xml"
        code, out, err = await analyzer_run("broken", "--catalog", str(catalog), "--junit", str(junit))
        assert code == 3, out
        assert err == f"analyzer: cannot write the JUnit report {str(junit)!r}: No such file or directory\n"

    async def test_a_junit_report_cut_short_is_removed(self, catalog, tmp_path):
        junit = tmp_path / "report.xml"
        code, out, err = await analyzer_run(
            "broken", "--catalog", str(catalog), "--junit", str(junit), preexec_fn=lambda: _largest_file_bytes(512)
        )
        assert code == 3, out
        assert f"analyzer: cannot write the JUnit report {str(junit)!r}: File too large" in err
        assert not junit.exists()


LINGERING_KIND = """
import asyncio
from typing import Literal

from analyzer.kinds import Check, EvalContext, Outcome, Verdict


class LingeringCheck(Check):
    kind: Literal["lingering"] = "lingering"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        source = ctx.prometheus("default")
        try:
            await source.query("held", ctx.evaluation_time, ctx.timeout_s())
        except asyncio.CancelledError:
            # Stopped: it answers with a last reading, sent as its cancellation unwinds (a kind may).
            await source.query("last_reading", ctx.evaluation_time, ctx.timeout_s())
            raise
        return Verdict(outcome=Outcome.PASS, reason="held, then answered", value=0.0, threshold=1.0)
"""


class HeldPrometheus:
    """A Prometheus whose instant queries are held until the test releases them (`last_reading` is answered at
    once), and which says when `expected` held queries have arrived and which queries it answered."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.held: list[str] = []
        self.answered: list[str] = []
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def query(request: web.Request) -> web.Response:
            promql = request.query.get("query") or (await request.post()).get("query")
            if promql != "last_reading":
                self.held.append(str(promql))
                if len(self.held) >= self.expected:
                    self.reached.set()
                await self.release.wait()
            self.answered.append(str(promql))
            sample = {"metric": {}, "value": [0, "0"]}
            return web.json_response({"status": "success", "data": {"resultType": "vector", "result": [sample]}})

        app = web.Application()
        app.router.add_route("*", "/api/v1/query", query)
        return app


@pytest.fixture
async def nested(aiohttp_server: Any, tmp_path: Path) -> tuple[HeldPrometheus, Path, dict[str, str]]:
    """A held Prometheus, a catalog whose check `outer` is a composite of a composite of two members reading it
    (`held`, kind prometheus, and `lingering`, a plugin's kind that sends a last query as it is cancelled), and
    the environment where the plugin is installed."""
    prometheus = HeldPrometheus(expected=2)
    server = await aiohttp_server(prometheus.app())
    env = plugin_installed(tmp_path, "lingering", "LingeringCheck", LINGERING_KIND)
    path = tmp_path / "nested.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sources": {"default": {"url": f"http://127.0.0.1:{server.port}", "timeout_s": 100}},
                "checks": [
                    {"name": "held", "kind": "prometheus", "query": "held", "pass_if": "< 1", "deadline_s": 120},
                    {"name": "lingering", "kind": "lingering", "deadline_s": 120},
                    {
                        "name": "inner",
                        "kind": "composite",
                        "deadline_s": 120,
                        "members": [{"check": "held"}, {"check": "lingering"}],
                    },
                    {"name": "outer", "kind": "composite", "deadline_s": 120, "members": [{"check": "inner"}]},
                ],
            }
        )
    )
    yield prometheus, path, env
    prometheus.release.set()


class TestStoppedWhileMembersUnwind:
    """A stop during a composite's evaluation waits for every member's cancellation to unwind before the sources
    close: a member still unwinding meets no closed source (whose error it would log, or answer, after the stop)."""

    @pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
    async def test_members_unwind_before_the_sources_close(self, nested, signum, code):
        prometheus, catalog, env = nested
        process = await started_run("outer", "--catalog", str(catalog), env=env)
        await asyncio.wait_for(prometheus.reached.wait(), timeout=60)
        process.send_signal(signum)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == code, stdout
        assert stderr.decode().splitlines() == [
            f"analyzer: stopped by {signum.name} ("
            + ("Ctrl-C" if signum == signal.SIGINT else "its pod deleted, or the Job past its activeDeadlineSeconds?")
            + f") before check 'outer' had a verdict: no verdict, exit {code}"
        ]
        assert stdout == b""
        # The member's last query went out on an open source, and was answered.
        assert prometheus.answered == ["last_reading"]
