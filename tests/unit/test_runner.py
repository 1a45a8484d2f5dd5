"""The runner maps everything a check does into one Evaluation, and never fails open."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Literal

import pytest
import structlog
from aiohttp import web

from analyzer.catalog import Catalog, build_catalog
from analyzer.check import Check, EvalContext
from analyzer.errors import CheckMisconfigured, Interrupted, NoSeriesFound, Overloaded, SourceUnavailable
from analyzer.metrics import Metrics
from analyzer.models import Evaluation, Outcome, Verdict, format_time
from analyzer.registry import Registry
from analyzer.runner import Admission, Runner
from analyzer.sources import Sources
from tests.gatecatalog import gate_catalog
from tests.logcapture import json_logs
from tests.ports import refused_port

# What an answer's warnings may say: a store that did not answer (Thanos), or PromQL's own annotation of the query.
WARNINGS = {
    "partial": "partial response: store 2 down",
    "annotation": 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count: "x"',
}
# The events of the "closes-slowly" check, made by the test that runs it (in its own loop).
CLOSING: dict[str, SimpleNamespace] = {}
# The tasks the "where" check was evaluated in.
WHERE: list[asyncio.Task | None] = []


class ScriptedCheck(Check):
    """A kind whose behaviour the test picks by name."""

    kind: Literal["scripted"] = "scripted"

    def member_names(self) -> frozenset[str]:
        return frozenset({"ok"}) if self.name == "parent" else frozenset()

    def source_names(self) -> frozenset[str]:
        if self.name == "reads-pass-of-two":
            # A kind reading two sources (a plugin may): "default" and "younger", sorted in that order.
            return frozenset({"default", "younger"})
        return frozenset({"default"}) if self.name.startswith("reads-") else frozenset()

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        if self.name == "crash":
            raise ZeroDivisionError("division by zero")
        if self.name == "crash-group":
            raise ExceptionGroup("outer", [ExceptionGroup("inner", [ValueError("first")]), KeyError("second")])
        if self.name == "crash-groups":
            raise ExceptionGroup("outer", [ValueError("first"), KeyError("second"), KeyError("third")])
        if self.name == "crash-exit":
            # What a library's CLI parser does on input it refuses (argparse's error(), click): sys.exit(2).
            raise SystemExit(2)
        if self.name == "crash-interrupt":
            raise KeyboardInterrupt
        if self.name == "ctrl-c":
            raise Interrupted
        if self.name == "ctrl-c-group":
            raise BaseExceptionGroup("children", [Interrupted(), ValueError("second")])
        if self.name == "crash-base-group":
            # What a task group of a plugin's may raise when a child is interrupted: a BaseExceptionGroup.
            raise BaseExceptionGroup("children", [KeyboardInterrupt(), ValueError("second")])
        if self.name == "group-on-cancel":
            # A plugin's task group that answers its cancellation with a group of the children's cancellations.
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError as exc:
                raise BaseExceptionGroup("children", [exc]) from None
        if self.name == "stray-cancel":
            # A cancellation no one asked of this evaluation: a future of a library's, cancelled by the library.
            raise asyncio.CancelledError
        if self.name == "unavailable":
            raise SourceUnavailable("Prometheus source 'default' is unreachable")
        if self.name == "no-series":
            raise NoSeriesFound("no series of metric http_requests_total exist at all (a misspelled metric name?)")
        if self.name == "no-series-asked":
            raise NoSeriesFound(
                "no series of metric http_requests_total exist at all (a misspelled metric name?)",
                source=ctx.prometheus("default"),
                names=("http_requests_total",),
            )
        if self.name == "several-series":
            raise CheckMisconfigured("the query returned 2 series; it must return one")
        if self.name == "library-timeout":
            raise TimeoutError("timed out")  # what socket.timeout is since Python 3.10
        if self.name == "slow":
            await asyncio.sleep(30)
        if self.name == "closes-slowly":
            probe = CLOSING["probe"]
            probe.entered.set()
            try:
                await probe.hold.wait()
            except asyncio.CancelledError:
                # As a source closes its request when cancelled: turns of the loop of its own.
                probe.closing.set()
                await probe.closed.wait()
                probe.log.append("closed")
                raise
        if self.name == "swallows-cancel":
            # A kind that answers what it has when cancelled, as a plugin may (none of the built-in ones does).
            probe = CLOSING["swallow"]
            probe.entered.set()
            try:
                await probe.hold.wait()
            except asyncio.CancelledError:
                return Verdict(outcome=Outcome.FAIL, reason="interrupted")
        if self.name == "passes-when-hung-up":
            # A kind that answers its caller's hang-up with what it had seen so far (a plugin may): a pass from nothing.
            probe = CLOSING["swallow"]
            probe.entered.set()
            try:
                await probe.hold.wait()
            except asyncio.CancelledError:
                return Verdict(outcome=Outcome.PASS, reason="no errors seen so far", value=0.0)
            return Verdict(outcome=Outcome.FAIL, reason="errors seen", value=1.0)
        if self.name == "answers-its-deadline":
            # A kind that answers the deadline's cancellation with what it had (a plugin may): a pass from nothing.
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                return Verdict(outcome=Outcome.PASS, reason="no errors seen so far", value=0.0)
        if self.name == "where":
            WHERE.append(asyncio.current_task())
        if self.name == "nan-pass":
            return Verdict(outcome=Outcome.PASS, reason="oops", value=math.nan)
        if self.name in ("inf-fail", "inf-inconclusive"):
            # A measurement that is no finite number (a burn rate over no traffic), judged other than pass.
            return Verdict(outcome=Outcome(self.name[4:]), reason="burning", value=math.inf, threshold=14.4)
        if self.name == "inf-threshold":
            return Verdict(outcome=Outcome.FAIL, reason="over", value=2.0, threshold=math.inf)
        if self.name == "inf-interval":
            return Verdict(outcome=Outcome.PASS, reason="inside", value=2.0, threshold=[1.0, math.inf])
        if self.name == "parent":
            member = await ctx.run_check("ok", {})
            return Verdict(outcome=member.verdict, reason="member said so")
        if self.name == "echo-secret":
            token = ctx.args["token"]
            return Verdict(outcome=Outcome.FAIL, reason=f"saw {token}", details={"queries": [f'up{{t="{token}"}}']})
        if self.name == "crash-secret":
            raise ValueError(f"cannot use {ctx.args['token']}")
        if self.name == "echo-target":
            target = ctx.args["target"]
            return Verdict(outcome=Outcome.FAIL, reason=f"saw {target}", details={"queries": [f'up{{t="{target}"}}']})
        if self.name == "crash-target":
            raise ValueError(f"cannot use {ctx.args['target']}")
        if self.name == "crash-credentials":
            # What a library's exception may quote of the request it was making: the source's headers and token,
            # a URL with user info, a credential of another request.
            source = ctx.prometheus("default")
            token = source.config.bearer_token_file.read_text().strip()
            raise ValueError(
                f"bad request {dict(source.config.headers)} with token {token} to http://smoke:pw-5a6b7c@app/ "
                "sending {'Authorization': 'Bearer tok-0d9e8f7a'}\nCookie: session=9e8d7c6b"
            )
        if self.name == "error-verdict":
            return Verdict(outcome=Outcome.ERROR, reason="the vendor's API said no")
        if self.name.startswith("warned-"):
            # "warned-<outcome>-<warning>": a verdict judged on an answer that carried that warning.
            _, outcome, warning = self.name.split("-", 2)
            return Verdict(
                outcome=Outcome(outcome),
                reason="judged",
                value=0.5,
                threshold=1.0,
                details={"prometheus_warnings": [WARNINGS[warning]]},
            )
        if self.name.startswith("shaped-warnings-"):
            # "shaped-warnings-<shape>[-fail]": a pass (or fail) whose kind wrote the warnings otherwise than as a
            # list of text (a plugin may).
            shape, _, outcome = self.name.removeprefix("shaped-warnings-").partition("-")
            warning = WARNINGS["partial"]
            written = {
                "text": warning,
                "tuple": (warning,),
                "mapping": {"store": warning},
                "number": 2,
                "nontext": [warning, 2],
            }[shape]
            return Verdict(
                outcome=Outcome(outcome or "pass"), reason="judged", details={"prometheus_warnings": written}
            )
        if self.name == "reads-no-rules":
            raise NoSeriesFound("no recording rule has a series", source=ctx.prometheus("default"))
        if self.name.startswith("reads-"):
            # "reads-<outcome>": what a kind reading the default source judged, as `no_data: pass` gives for no
            # series.
            outcome = {"reads-fail": Outcome.FAIL, "reads-inconclusive": Outcome.INCONCLUSIVE}.get(self.name)
            return Verdict(outcome=outcome or Outcome.PASS, reason="no series")
        if self.name == "unvalidated-pass":
            return Verdict.model_construct(outcome="pass", reason="unchecked", value=math.nan)
        if self.name == "not-a-verdict":
            return "pass"  # type: ignore[return-value] (the kind bug under test)
        return Verdict(outcome=Outcome.PASS, reason="fine", value=1.0)


async def turns_until(condition: Callable[[], bool]) -> None:
    """Let the event loop turn until `condition` holds (a few turns at most: no event tells it)."""
    for _ in range(10):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition did not come to hold")


def unwinding_probe() -> SimpleNamespace:
    """The events of a "closes-slowly" evaluation: entered, held until `hold`, closing its queries when cancelled
    until `closed`."""
    probe = SimpleNamespace(
        entered=asyncio.Event(), hold=asyncio.Event(), closing=asyncio.Event(), closed=asyncio.Event(), log=[]
    )
    CLOSING["probe"] = probe
    return probe


def runner_for(*names, deadline_s=5.0):
    registry = Registry([ScriptedCheck])
    catalog = build_catalog([("t", {"checks": [{"name": n, "kind": "scripted"} for n in names]})], registry)
    return Runner(catalog, Sources({}), Metrics(), deadline_s), catalog


class TestErrorMapping:
    """Exceptions, timeouts and malformed results become `error` verdicts with the right status."""

    @pytest.mark.parametrize(
        ("name", "status", "code", "reason"),
        [
            ("crash", 500, "internal_error", "ZeroDivisionError: division by zero"),
            # A TaskGroup's: named by what went wrong. Before: "ExceptionGroup: outer (2 sub-exceptions)".
            ("crash-group", 500, "internal_error", "'crash-group': ValueError: first (and 1 other exception)"),
            ("crash-groups", 500, "internal_error", "'crash-groups': ValueError: first (and 2 other exceptions)"),
            # Not Exceptions: before, they went through the runner, the handler and aiohttp's protocol out of the event
            # loop, and `analyzer serve` stopped at once (no drain) for every caller in flight.
            ("crash-exit", 500, "internal_error", "'crash-exit': SystemExit: 2"),
            ("crash-interrupt", 500, "internal_error", "'crash-interrupt': KeyboardInterrupt"),
            (
                "crash-base-group",
                500,
                "internal_error",
                "'crash-base-group': KeyboardInterrupt (and 1 other exception)",
            ),
            # Before: the caller's connection was closed without an answer (read as a hang-up), nothing in the history.
            ("stray-cancel", 500, "internal_error", "'stray-cancel': CancelledError"),
            ("unavailable", 503, "source_unavailable", "unreachable"),
            ("nan-pass", 500, "internal_error", "non-finite value nan"),
            # No answer can carry it: an error the history keeps, not an envelope that cannot be built.
            ("inf-threshold", 500, "internal_error", "non-finite threshold inf"),
            ("inf-interval", 500, "internal_error", "non-finite threshold [1.0, inf]"),
            ("not-a-verdict", 500, "internal_error", "not a Verdict"),
            # Made without validation: its non-finite pass is not taken for a judged one.
            ("unvalidated-pass", 500, "internal_error", "the outcome 'pass', not an Outcome"),
            # Not the deadline: it was reported as deadline_exceeded, hiding an unmapped library timeout.
            ("library-timeout", 500, "internal_error", "TimeoutError: timed out"),
        ],
    )
    async def test_errors(self, name, status, code, reason):
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome.ERROR, status, code)
        assert reason in evaluation.reason

    @pytest.mark.parametrize("name", ["ctrl-c", "ctrl-c-group"])
    async def test_the_clis_ctrl_c_ends_the_evaluation(self, name):
        # Before: the check's internal_error, and `validate --prometheus` went on to the next check's dry run.
        runner, catalog = runner_for(name)
        with pytest.raises((Interrupted, BaseExceptionGroup)) as raised:
            await runner.evaluate(catalog.get(name), {})
        assert isinstance(raised.value, Interrupted) or raised.value.subgroup(Interrupted) is not None

    @pytest.mark.parametrize("name", ["inf-fail", "inf-inconclusive"])
    async def test_a_verdict_other_than_pass_on_a_non_finite_value_stands(self, name):
        # Only a pass needs a finite value (mut27: refusing every verdict on one survived: a fail at an infinite burn
        # rate became an error, which Argo Rollouts counts as an Error measurement and retries, not as a Failed one).
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome(name[4:]), 200, None)
        assert evaluation.reason == "burning"

    async def test_one_exception_is_named_alone(self):
        # mut27: the count of others said always survived: "(and 0 other exception)" after every crash.
        runner, catalog = runner_for("crash")
        evaluation = await runner.evaluate(catalog.get("crash"), {})
        assert evaluation.reason == "internal error in check 'crash': ZeroDivisionError: division by zero"

    async def test_an_exception_without_a_message_is_named_alone(self):
        runner, catalog = runner_for("crash-interrupt")
        evaluation = await runner.evaluate(catalog.get("crash-interrupt"), {})
        assert evaluation.reason == "internal error in check 'crash-interrupt': KeyboardInterrupt"

    @pytest.mark.parametrize("name", ["slow", "group-on-cancel"])
    async def test_a_cancellation_asked_of_the_evaluation_still_unwinds_it(self, name):
        # The stray cancellation's error verdict is for one no one asked: a caller hanging up still ends it.
        runner, catalog = runner_for(name)
        task = asyncio.create_task(runner.evaluate(catalog.get(name), {}))
        await turns_until(lambda: runner.admission.running == 1)
        task.cancel()
        with pytest.raises((asyncio.CancelledError, BaseExceptionGroup)):
            await task

    async def test_a_checks_own_deadline_ends_it_on_an_idle_runner(self):
        # Shorter than the runner's default: the caller's own task keeps the check's (rev27g: the default taken there
        # survived, the reason still naming the check's).
        registry = Registry([ScriptedCheck])
        catalog = build_catalog(
            [("t", {"checks": [{"name": "slow", "kind": "scripted", "deadline_s": 0.05}]})], registry
        )
        runner = Runner(catalog, Sources({}), Metrics(), 30.0)
        evaluation = await asyncio.wait_for(runner.evaluate(catalog.get("slow"), {}), 10)
        assert (evaluation.error, evaluation.reason) == ("deadline_exceeded", "no verdict within the 0.05 s deadline")

    async def test_deadline(self):
        runner, catalog = runner_for("slow", deadline_s=0.05)
        evaluation = await runner.evaluate(catalog.get("slow"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (
            Outcome.ERROR,
            504,
            "deadline_exceeded",
        )
        assert evaluation.reason == "no verdict within the 0.05 s deadline"

    async def test_an_answer_to_the_deadline_is_no_verdict(self):
        # Cut off by the deadline, the kind answered pass instead of unwinding: that was a 200 pass, made of
        # whatever it had seen when interrupted.
        runner, catalog = runner_for("answers-its-deadline", deadline_s=0.05)
        evaluation = await runner.evaluate(catalog.get("answers-its-deadline"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (
            Outcome.ERROR,
            504,
            "deadline_exceeded",
        )
        assert evaluation.reason == "no verdict within the 0.05 s deadline"

    async def test_a_group_answering_the_deadline_is_its_timeout(self):
        # A plugin's task group answering the deadline's cancellation with a group of its children's: the group left
        # the timeout as no CancelledError, and read as a crash (500 internal_error), not the deadline it was.
        runner, catalog = runner_for("group-on-cancel", deadline_s=0.05)
        evaluation = await runner.evaluate(catalog.get("group-on-cancel"), {})
        assert (evaluation.http_status, evaluation.error) == (504, "deadline_exceeded")
        assert evaluation.reason == "no verdict within the 0.05 s deadline"

    async def test_pass_envelope(self):
        runner, catalog = runner_for("ok")
        evaluation = await runner.evaluate(catalog.get("ok"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (Outcome.PASS, 200, None)
        assert runner.metrics.evaluations.value("ok", "pass") == 1


class TestSeriesMissingInThePast:
    """Series not found as of a past time get a note only when the source tells that they exist now."""

    BEFORE = datetime(1971, 1, 1, tzinfo=UTC)

    async def test_without_names_to_ask_for_the_reason_is_the_kinds(self):
        runner, catalog = runner_for("no-series")
        evaluation = await runner.evaluate(catalog.get("no-series"), {}, self.BEFORE)
        assert (evaluation.verdict, evaluation.http_status, evaluation.error) == (
            Outcome.ERROR,
            500,
            "check_misconfigured",
        )
        assert evaluation.reason == "no series of metric http_requests_total exist at all (a misspelled metric name?)"

    async def test_a_source_that_cannot_tell_leaves_the_reason_the_kinds(self):
        # Asked again now and unreachable: the verdict stays the kind's, not the source's failure.
        registry = Registry([ScriptedCheck])
        documents = [
            (
                "t",
                {
                    "sources": {"default": {"url": f"http://127.0.0.1:{refused_port()}", "retry": False}},
                    "checks": [{"name": "no-series-asked", "kind": "scripted"}],
                },
            )
        ]
        catalog = build_catalog(documents, registry)
        sources = Sources(catalog.sources)
        try:
            evaluation = await Runner(catalog, sources, Metrics(), 5.0).evaluate(
                catalog.get("no-series-asked"), {}, self.BEFORE
            )
        finally:
            sources.close()
        assert (evaluation.http_status, evaluation.error, evaluation.reason) == (
            500,
            "check_misconfigured",
            "no series of metric http_requests_total exist at all (a misspelled metric name?)",
        )

    @pytest.fixture
    async def present_now(self, aiohttp_server):
        """A runner of `no-series-asked` reading a source whose every query finds a series of http_requests_total
        now, and the paths it was asked."""
        asked: list[str] = []

        async def query(request: web.Request) -> web.Response:
            asked.append(request.path)
            series = {"metric": {"__name__": "http_requests_total"}, "value": [time.time(), "1"]}
            return web.json_response({"status": "success", "data": {"resultType": "vector", "result": [series]}})

        app = web.Application()
        app.router.add_route("*", "/api/v1/query", query)
        server = await aiohttp_server(app)
        documents = [
            (
                "t",
                {
                    "sources": {"default": {"url": str(server.make_url("")).rstrip("/"), "retry": False}},
                    "checks": [{"name": "no-series-asked", "kind": "scripted"}],
                },
            )
        ]
        catalog = build_catalog(documents, Registry([ScriptedCheck]))
        sources = Sources(catalog.sources)
        yield Runner(catalog, sources, Metrics(), 5.0), catalog.get("no-series-asked"), asked
        await sources.aclose()

    async def test_names_with_series_now_say_the_time_is_likely_before_the_oldest_data(self, present_now):
        # mut28: the names not asked for (as if the kind had named none) survived: the reason was the kind's alone.
        runner, check, asked = present_now
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert (evaluation.error, evaluation.reason) == (
            "check_misconfigured",
            "no series of metric http_requests_total exist at all (a misspelled metric name?); evaluated as of "
            "1971-01-01T00:00:00.000Z, a past time: metric http_requests_total has series now, so "
            "1971-01-01T00:00:00.000Z is likely before the oldest data the source keeps (its retention)",
        )
        assert asked == ["/api/v1/query"]

    async def test_an_evaluation_now_asks_nothing_more(self, present_now):
        # mut28: the presence query sent on a live evaluation too (its `backtest` test dropped) survived: a series that
        # appeared since the kind's query made the reason call the time of a live evaluation "a past time", before
        # the oldest data the source keeps.
        runner, check, asked = present_now
        evaluation = await runner.evaluate(check, {})
        assert evaluation.reason == "no series of metric http_requests_total exist at all (a misspelled metric name?)"
        assert asked == []

    async def test_another_misconfiguration_in_the_past_is_the_kinds(self):
        runner, catalog = runner_for("several-series")
        evaluation = await runner.evaluate(catalog.get("several-series"), {}, self.BEFORE)
        assert (evaluation.error, evaluation.reason) == (
            "check_misconfigured",
            "the query returned 2 series; it must return one",
        )


class TestSecretArgs:
    """A secret arg's value is in no part of the evaluation, whatever the kind put it in."""

    @pytest.mark.parametrize(("name", "reason"), [("echo-secret", "saw <redacted>"), ("crash-secret", "<redacted>")])
    async def test_the_value_is_redacted(self, name, reason):
        params = {"token": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": name, "kind": "scripted", "params": params}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        runner = Runner(catalog, Sources({}), Metrics(), 5.0)
        with structlog.testing.capture_logs() as logs:
            evaluation = await runner.evaluate(catalog.get(name), {"token": "tok-3f9a1c7e"})
        shown = evaluation.model_dump_json()
        assert "tok-3f9a1c7e" not in shown and "3f9a1c7e" not in json.dumps(logs, default=str)
        if name == "crash-secret":
            crash = next(line for line in logs if line["event"] == "check_crashed")
            assert "ValueError: cannot use <redacted>" in crash["exception"]
        assert reason in evaluation.reason and evaluation.args == {"token": "<redacted>"}

    async def test_the_crash_log_line_as_written_holds_no_secret(self):
        # Through the service's own log processors, which render an `exc_info` as the raw traceback over the scrubbed
        # one (mut27: logging the crash with exc_info survived, seen only through capture_logs, which renders none).
        params = {"token": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "crash-secret", "kind": "scripted", "params": params}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        with json_logs("info") as stream:
            runner = Runner(catalog, Sources({}), Metrics(), 5.0)
            await runner.evaluate(catalog.get("crash-secret"), {"token": "tok-3f9a1c7e"})
        assert "3f9a1c7e" not in stream.getvalue()
        crash = next(e for e in map(json.loads, stream.getvalue().splitlines()) if e["event"] == "check_crashed")
        assert "ValueError: cannot use <redacted>" in crash["exception"], crash

    async def test_a_job_s_runner_logs_a_crash_with_its_traceback_and_no_evaluation(self):
        # `analyzer run` logs no `check_evaluated` (its verdict line says it): a crash (a bug) is still logged, with
        # its traceback scrubbed, for the Job's log to show where it came from.
        params = {"token": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "crash-secret", "kind": "scripted", "params": params}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        runner = Runner(catalog, Sources({}), None, 5.0, logs_evaluations=False)
        with structlog.testing.capture_logs() as logs:
            evaluation = await runner.evaluate(catalog.get("crash-secret"), {"token": "tok-3f9a1c7e"})
        assert evaluation.verdict == "error"
        assert [line["event"] for line in logs] == ["check_crashed"]
        assert "ValueError: cannot use <redacted>" in logs[0]["exception"]
        assert "Traceback" in logs[0]["exception"] and "3f9a1c7e" not in json.dumps(logs, default=str)

    @pytest.mark.parametrize(("token", "reason"), [("42", "saw 42"), ("a42", "saw a42"), ("s3c4", "saw <redacted>")])
    async def test_a_value_under_four_characters_is_shown_args_aside(self, token, reason):
        # Hidden as a word, a secret "42" would blank every 42 of the evidence (a value, a threshold) for a value that
        # tells next to nothing; the catalog warns of a secret param that accepts one.
        params = {"token": {"type": "label_value", "required": True, "secret": True}}
        check = {"name": "echo-secret", "kind": "scripted", "params": params}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        evaluation = await Runner(catalog, Sources({}), Metrics(), 5.0).evaluate(
            catalog.get("echo-secret"), {"token": token}
        )
        assert evaluation.reason == reason and evaluation.args == {"token": "<redacted>"}
        assert "token=%3Credacted%3E" in evaluation.ui_url


class TestCredentialsOfURLsInArgs:
    """The credential a URL in an arg that is no secret holds is hidden where the kind quotes the arg, as in the
    args."""

    URL = "https://svc:urlpw-7a2c@backend.svc/?api_key=k3y-91ab&region=eu"
    SHOWN = "https://<redacted>@backend.svc/?api_key=<redacted>&region=eu"

    async def test_a_user_info_of_four_characters_is_hidden_too(self):
        # As a secret arg of four characters is: `u:pw` is as long as the shortest value searched for.
        check = {
            "name": "echo-target",
            "kind": "scripted",
            "params": {"target": {"type": "label_value", "required": True}},
        }
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        evaluation = await Runner(catalog, Sources({}), Metrics(), 5.0).evaluate(
            catalog.get("echo-target"), {"target": "https://u:pw@backend.svc/"}
        )
        assert evaluation.reason == "saw https://<redacted>@backend.svc/"

    @pytest.mark.parametrize(
        ("target", "shown"),
        [
            ("https://a:b@backend.svc/", "https://<redacted>@backend.svc/"),
            ("root:pw@tcp(db:3306)/app", "root:<redacted>@tcp(db:3306)/app"),
            ("https://backend.svc/?token=ab&x=1", "https://backend.svc/?token=<redacted>&x=1"),
        ],
    )
    @pytest.mark.parametrize("name", ["echo-target", "crash-target"])
    async def test_a_credential_under_four_characters_is_hidden_with_its_url(self, name, target, shown):
        # Searched alone, a part under four characters was skipped (every `pw` word would go), and the reason quoted
        # the password: now the URL that holds it is searched for, whole and up to the part's end.
        check = {"name": name, "kind": "scripted", "params": {"target": {"type": "label_value", "required": True}}}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        with structlog.testing.capture_logs() as logs:
            evaluation = await Runner(catalog, Sources({}), Metrics(), 5.0).evaluate(
                catalog.get(name), {"target": target}
            )
        assert evaluation.args == {"target": shown}
        assert target not in evaluation.model_dump_json() + json.dumps(logs, default=str)
        if name == "echo-target":
            assert evaluation.reason == "saw <redacted>"
            assert evaluation.details == {"queries": ['up{t="<redacted>"}']}
        else:
            assert evaluation.reason.endswith("ValueError: cannot use <redacted>")

    @pytest.mark.parametrize("name", ["echo-target", "crash-target"])
    async def test_the_reason_and_evidence_show_it_as_the_args_do(self, name):
        params = {"target": {"type": "label_value", "required": True}}
        check = {"name": name, "kind": "scripted", "params": params}
        catalog = build_catalog([("t", {"checks": [check]})], Registry([ScriptedCheck]))
        with structlog.testing.capture_logs() as logs:
            evaluation = await Runner(catalog, Sources({}), Metrics(), 5.0).evaluate(
                catalog.get(name), {"target": self.URL}
            )
        shown = evaluation.model_dump_json() + json.dumps(logs, default=str)
        assert "urlpw-7a2c" not in shown and "k3y-91ab" not in shown
        assert evaluation.args == {"target": self.SHOWN}
        assert self.SHOWN in evaluation.reason
        if name == "echo-target":
            assert evaluation.details == {"queries": [f'up{{t="{self.SHOWN}"}}']}


class TestCrashCredentials:
    """A crash's traceback and reason show no credential the kind's exception quoted, whoever's it is."""

    async def test_source_credentials_and_self_describing_ones_are_hidden(self, tmp_path):
        token_file = tmp_path / "token"
        token_file.write_text("file-token-4c3b2a\n")
        source = {
            "url": "http://prometheus:9090",
            "bearer_token_file": str(token_file),
            "headers": {"X-Api-Key": "hdr-key-1f2e3d", "X-Scope-OrgID": "tenant-7"},
        }
        check = {"name": "crash-credentials", "kind": "scripted"}
        catalog = build_catalog([("t", {"sources": {"default": source}, "checks": [check]})], Registry([ScriptedCheck]))
        with structlog.testing.capture_logs() as logs:
            evaluation = await Runner(catalog, Sources(catalog.sources), Metrics(), 5.0).evaluate(
                catalog.get("crash-credentials"), {}
            )
        crash = next(line for line in logs if line["event"] == "check_crashed")["exception"]
        for shown in (crash, evaluation.reason):
            for secret in ("file-token-4c3b2a", "hdr-key-1f2e3d", "tenant-7", "pw-5a6b7c", "tok-0d9e8f7a", "9e8d7c6b"):
                assert secret not in shown
        assert "http://<redacted>@app/" in evaluation.reason and "'Authorization': '<redacted>'" in crash
        assert evaluation.error == "internal_error"


class TestErrorVerdictOfAKind:
    """A kind that returns an error verdict instead of raising gets an error status, as a raised CheckError."""

    async def test_is_500_check_error(self):
        runner, catalog = runner_for("error-verdict")
        evaluation = await runner.evaluate(catalog.get("error-verdict"), {})
        assert (evaluation.verdict, evaluation.error, evaluation.http_status) == (Outcome.ERROR, "check_error", 500)
        assert evaluation.reason == "the vendor's API said no"


class TestPartialAnswers:
    """A pass judged on an answer that may be partial is inconclusive; a fail stands, saying so; others stand."""

    async def test_a_pass_is_inconclusive(self):
        # The store that did not answer may hold the canary's errors.
        runner, catalog = runner_for("warned-pass-partial")
        evaluation = await runner.evaluate(catalog.get("warned-pass-partial"), {})
        assert (evaluation.verdict, evaluation.http_status, evaluation.value) == (Outcome.INCONCLUSIVE, 200, 0.5)
        assert evaluation.reason == (
            "judged, but the answer may be partial (partial response: store 2 down): a store that did not answer may "
            "hold what fails the check, so a pass from it is not enough evidence"
        )
        assert runner.metrics.evaluations.value("warned-pass-partial", "inconclusive") == 1

    async def test_a_fail_stands_and_says_so(self):
        runner, catalog = runner_for("warned-fail-partial")
        evaluation = await runner.evaluate(catalog.get("warned-fail-partial"), {})
        assert (evaluation.verdict, evaluation.http_status) == (Outcome.FAIL, 200)
        assert evaluation.reason == "judged (judged on an answer that may be partial: partial response: store 2 down)"

    @pytest.mark.parametrize("shape", ["text", "tuple"])
    async def test_a_pass_on_a_warning_written_as_text_or_a_tuple_is_inconclusive(self, shape):
        # Read only from a list, a plugin's pass on an answer that may be partial stood (mut27: reading any shape
        # survived, which showed it).
        name = f"shaped-warnings-{shape}"
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason.startswith("judged, but the answer may be partial (partial response: store 2 down)")

    @pytest.mark.parametrize("shape", ["mapping", "number", "nontext"])
    async def test_warnings_in_no_shape_of_warnings_are_an_internal_error_not_a_pass(self, shape):
        name = f"shaped-warnings-{shape}"
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert (evaluation.verdict, evaluation.error) == (Outcome.ERROR, "internal_error"), evaluation.reason
        assert (
            "details.prometheus_warnings is" in evaluation.reason
            and "not a list of warnings: write a list of strings" in evaluation.reason
        )

    @pytest.mark.parametrize("shape", ["mapping", "number", "nontext"])
    async def test_a_fail_on_warnings_in_no_shape_of_warnings_stands(self, shape):
        # An internal error (HTTP 500) is Argo's Error, measured again up to consecutiveErrorLimit times before the
        # rollout aborts: the canary would go on taking traffic that the fail takes it off now (rev27g: mut27's
        # shape check made it one).
        name = f"shaped-warnings-{shape}-fail"
        runner, catalog = runner_for(name)
        evaluation = await runner.evaluate(catalog.get(name), {})
        assert (evaluation.verdict, evaluation.error, evaluation.http_status) == (Outcome.FAIL, None, 200)
        assert evaluation.reason == "judged"

    @pytest.mark.parametrize("outcome", ["pass", "fail"])
    async def test_a_promql_annotation_leaves_the_verdict_alone(self, outcome):
        # It judges the query, not the data: no store is missing from the answer.
        runner, catalog = runner_for(f"warned-{outcome}-annotation")
        evaluation = await runner.evaluate(catalog.get(f"warned-{outcome}-annotation"), {})
        assert (evaluation.verdict, evaluation.reason) == (Outcome(outcome), "judged")

    async def test_an_inconclusive_verdict_is_left_as_judged(self):
        runner, catalog = runner_for("warned-inconclusive-partial")
        evaluation = await runner.evaluate(catalog.get("warned-inconclusive-partial"), {})
        assert (evaluation.verdict, evaluation.reason) == (Outcome.INCONCLUSIVE, "judged")


# The oldest data the fake source of TestPassesBeforeTheData holds.
OLDEST = datetime(2026, 11, 20, 6, 30, 15, tzinfo=UTC)
# When its data stopped, if it held older data, until OLDEST (an outage).
OUTAGE = OLDEST - timedelta(days=5)


@pytest.fixture
async def labels_source(aiohttp_server):
    """A source whose label-names API answers as the test sets `answer` to: "held" (a name for a range reaching
    OLDEST, none before), "gap" (as "held", and also for a range within OUTAGE's 5 days before), "partial" (none,
    with a store-down warning), "empty" (none), "empty-then-500" (none, then 500s), an HTTP status, or "hang"; every
    call is recorded in `calls` as (start, end)."""
    state = SimpleNamespace(answer="held", calls=[])

    async def labels(request: web.Request) -> web.StreamResponse:
        start, end = (datetime.fromtimestamp(float(request.query[name]), UTC) for name in ("start", "end"))
        state.calls.append((start, end))
        if state.answer == "hang":
            await asyncio.sleep(30)
        if isinstance(state.answer, int):
            return web.Response(status=state.answer, text="no such endpoint")
        if state.answer == "partial":
            return web.json_response({"status": "success", "data": [], "warnings": [WARNINGS["partial"]]})
        if state.answer == "empty":
            return web.json_response({"status": "success", "data": []})
        if state.answer == "empty-then-500":
            state.answer = 500
            return web.json_response({"status": "success", "data": []})
        held = end >= OLDEST or (state.answer == "gap" and start <= OUTAGE and end >= OUTAGE - timedelta(days=5))
        return web.json_response({"status": "success", "data": ["__name__", "job"] if held else []})

    async def empty(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "success", "data": []})

    app = web.Application()
    app.router.add_get("/api/v1/labels", labels)
    # A second source at a path prefix of the same server, holding no data at all.
    app.router.add_get("/younger/api/v1/labels", empty)
    server = await aiohttp_server(app)
    state.url = str(server.make_url("")).rstrip("/")
    return state


@pytest.fixture
async def reading_runner():
    """What makes a runner of one scripted check reading the source at `url`, and the check; closed at teardown."""
    made: list[Sources] = []

    def make(url: str, name: str, no_data: str = "pass", deadline_s: float = 5.0) -> tuple[Runner, Check]:
        documents = [
            (
                "t",
                {
                    "sources": {
                        "default": {"url": url, "retry": False},
                        "younger": {"url": f"{url}/younger", "retry": False},
                    },
                    "checks": [{"name": name, "kind": "scripted", "no_data": no_data}],
                },
            )
        ]
        catalog = build_catalog(documents, Registry([ScriptedCheck]))
        made.append(Sources(catalog.sources))
        return Runner(catalog, made[-1], Metrics(), deadline_s), catalog.get(name)

    yield make
    for sources in made:
        await sources.aclose()


def exactly_an_hour_ago(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """An `at` exactly an hour before the runner's wall clock, held from now on at the whole second it reads."""
    import analyzer.runner

    now_s = float(int(time.time()))
    monkeypatch.setattr(
        analyzer.runner,
        "time",
        SimpleNamespace(perf_counter=time.perf_counter, time=lambda: now_s, monotonic=time.monotonic),
    )
    return datetime.fromtimestamp(now_s - 3600, UTC)


class TestPassesBeforeTheData:
    """A pass that `no_data: pass` gave at a time older than an hour stands only where the source holds data then;
    no other evaluation asks."""

    BEFORE = OLDEST - timedelta(days=3)

    async def test_a_pass_before_the_oldest_data_is_inconclusive_naming_it(self, labels_source, reading_runner):
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        early, late = (
            datetime.fromisoformat(time) for time in re.findall(r"between (\S+) and (\S+),", evaluation.reason)[0]
        )
        assert early < OLDEST <= late
        assert late - early <= timedelta(minutes=1)
        assert evaluation.reason == (
            f"no series; but Prometheus source 'default' holds no data at {format_time(self.BEFORE)}: its next data "
            f"is from between {format_time(early)} and {format_time(late)}, and no_data: pass does not apply where a "
            "source holds no data, as no series there is nothing read (evaluate at a time it holds)"
        )
        # The look-back up to the time first, then ranges after it, none starting past the oldest data (which the
        # search would then miss).
        assert labels_source.calls[0] == (self.BEFORE - timedelta(minutes=5), self.BEFORE)
        assert all(self.BEFORE <= start <= OLDEST for start, _ in labels_source.calls[1:])
        assert runner.metrics.evaluations.value("reads-pass", "inconclusive") == 1

    async def test_a_time_in_a_gap_names_the_next_data_not_as_the_oldest(self, labels_source, reading_runner):
        # The search finds the first data after the time; older data, before the gap, is not looked for.
        labels_source.answer = "gap"
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert "oldest" not in evaluation.reason
        assert re.search(
            f"holds no data at {re.escape(format_time(self.BEFORE))}: its next data is from between (\\S+) and",
            evaluation.reason,
        ), evaluation.reason

    async def test_a_source_holding_nothing_since_says_so(self, labels_source, reading_runner):
        labels_source.answer = "empty"
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert evaluation.reason == (
            f"no series; but Prometheus source 'default' holds no data at {format_time(self.BEFORE)} nor since, and "
            "no_data: pass does not apply where a source holds no data, as no series there is nothing read (evaluate "
            "at a time it holds)"
        )
        assert labels_source.calls[1][0] == self.BEFORE
        assert len(labels_source.calls) == 2

    async def test_a_source_failing_in_the_search_still_makes_it_inconclusive(self, labels_source, reading_runner):
        # Holding no data at the time is known from the first answer; only the oldest goes unnamed.
        labels_source.answer = "empty-then-500"
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert evaluation.reason.startswith(
            f"no series; but Prometheus source 'default' holds no data at {format_time(self.BEFORE)} (when its next "
            f"data is could not be told: Prometheus source 'default' ({labels_source.url}) is failing (HTTP 500"
        )
        assert len(labels_source.calls) == 2

    async def test_a_pass_within_the_data_stands(self, labels_source, reading_runner):
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, OLDEST + timedelta(minutes=10))
        assert (evaluation.verdict, evaluation.reason) == (Outcome.PASS, "no series")
        assert len(labels_source.calls) == 1

    async def test_an_answer_that_may_be_partial_leaves_the_pass(self, labels_source, reading_runner):
        # A store that did not answer may hold data then: no evidence of its absence.
        labels_source.answer = "partial"
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert (evaluation.verdict, evaluation.reason) == (Outcome.PASS, "no series")

    @pytest.mark.parametrize("status", [404, 500])
    async def test_a_source_that_cannot_tell_makes_it_inconclusive(self, labels_source, reading_runner, status):
        labels_source.answer = status
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        # The call it could not tell from named, and what to do: evaluating at another time would not help.
        said = (
            f"no series; but whether Prometheus source 'default' holds data at {format_time(self.BEFORE)} could not "
            f"be told from its label-names API (GET /api/v1/labels: Prometheus source 'default' ({labels_source.url}) "
        )
        assert evaluation.reason.startswith(said)
        assert f"(HTTP {status}: no such endpoint)" in evaluation.reason
        assert evaluation.reason.endswith(
            "), and no_data: pass does not apply where a source holds no data, as no series there is nothing read "
            "(have the source answer GET /api/v1/labels within the check's deadline_s)"
        )

    async def test_a_source_not_answering_in_time_makes_it_inconclusive(self, labels_source, reading_runner):
        # The source's timeout and the check's deadline are set to the same instant (its budget is the time left):
        # either ends the call, and the reason names what did.
        labels_source.answer = "hang"
        runner, check = reading_runner(labels_source.url, "reads-pass", deadline_s=0.3)
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert "could not be told from its label-names API (GET /api/v1/labels: " in evaluation.reason
        assert evaluation.reason.endswith("(have the source answer GET /api/v1/labels within the check's deadline_s)")

    async def test_no_time_left_makes_it_inconclusive(self, labels_source, reading_runner, monkeypatch):
        # A call only the check's deadline ends (it awaits what never comes, with no timeout of its own): the
        # deadline's TimeoutError, which carries no message of a source's error, every run.
        runner, check = reading_runner(labels_source.url, "reads-pass", deadline_s=0.3)
        asked = asyncio.Event()

        async def never_answers(start: datetime, end: datetime, timeout_s: float) -> bool:
            asked.set()
            await asyncio.Event().wait()
            raise AssertionError("the deadline ends this call")

        monkeypatch.setattr(runner.sources.prometheus("default"), "holds_data", never_answers)
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert asked.is_set()
        assert (evaluation.verdict, evaluation.error) == (Outcome.INCONCLUSIVE, None)
        assert evaluation.reason == (
            f"no series; but whether Prometheus source 'default' holds data at {format_time(self.BEFORE)} could not "
            "be told from its label-names API (GET /api/v1/labels: no time left in the check's deadline), and "
            "no_data: pass does not apply where a source holds no data, as no series there is nothing read (have the "
            "source answer GET /api/v1/labels within the check's deadline_s)"
        )

    async def test_every_source_read_is_asked(self, labels_source, reading_runner):
        # The first holds data then; the second, holding none, makes the pass inconclusive all the same.
        runner, check = reading_runner(labels_source.url, "reads-pass-of-two")
        evaluation = await runner.evaluate(check, {}, OLDEST + timedelta(minutes=10))
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert "but Prometheus source 'younger' holds no data at " in evaluation.reason

    async def test_a_time_just_over_an_hour_ago_asks(self, labels_source, reading_runner):
        # The bound is the hour: a source restarted without its data since then holds nothing at that time.
        labels_source.answer = "empty"
        runner, check = reading_runner(labels_source.url, "reads-pass")
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1, minutes=1)
        evaluation = await runner.evaluate(check, {}, at)
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert labels_source.calls[0] == (at - timedelta(minutes=5), at)

    async def test_a_time_exactly_an_hour_ago_does_not_ask(self, labels_source, reading_runner, monkeypatch):
        # mut28's R#106 (`<` read `<=`, called unreachable: two float timestamps equal) on a clock the test holds: an
        # `at` exactly an hour ago is not "more than an hour" old, as docs/upgrading.md says; its pass stands.
        labels_source.answer = "empty"
        at = exactly_an_hour_ago(monkeypatch)
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {}, at)
        assert (evaluation.verdict, evaluation.reason) == (Outcome.PASS, "no series")
        assert labels_source.calls == []

    @pytest.mark.parametrize(
        ("name", "no_data", "hours_ago"),
        [
            ("reads-pass", "pass", 0.9),  # within the last hour: the source holds it
            ("reads-pass", "inconclusive", 72),  # no series is no pass anyway
            ("reads-fail", "pass", 72),
            ("reads-inconclusive", "pass", 72),
        ],
    )
    async def test_other_evaluations_do_not_ask(self, labels_source, reading_runner, name, no_data, hours_ago):
        labels_source.answer = "partial"
        runner, check = reading_runner(labels_source.url, name, no_data)
        at = datetime.now(UTC) - timedelta(hours=hours_ago)
        evaluation = await runner.evaluate(check, {}, at)
        assert evaluation.reason == "no series"
        assert labels_source.calls == []

    async def test_an_evaluation_now_does_not_ask(self, labels_source, reading_runner):
        runner, check = reading_runner(labels_source.url, "reads-pass")
        evaluation = await runner.evaluate(check, {})
        assert evaluation.verdict is Outcome.PASS
        assert labels_source.calls == []


class TestNothingFoundBeforeTheData:
    """Series not found as of a time older than an hour, without a name to ask for now, are noted as such when the
    source holds no data then; otherwise the reason is the kind's."""

    BEFORE = OLDEST - timedelta(days=3)

    async def test_before_the_oldest_data_the_reason_says_so(self, labels_source, reading_runner):
        runner, check = reading_runner(labels_source.url, "reads-no-rules")
        evaluation = await runner.evaluate(check, {}, self.BEFORE)
        assert (evaluation.verdict, evaluation.error) == (Outcome.ERROR, "check_misconfigured")
        early, late = (
            datetime.fromisoformat(time) for time in re.findall(r"between (\S+) and (\S+),", evaluation.reason)[0]
        )
        assert early < OLDEST <= late
        assert evaluation.reason == (
            f"no recording rule has a series; evaluated as of {format_time(self.BEFORE)}, a past time: Prometheus "
            f"source 'default' holds no data at {format_time(self.BEFORE)}: its next data is from between "
            f"{format_time(early)} and {format_time(late)}, so nothing could be found then"
        )

    @pytest.mark.parametrize("answer", ["held", 500])
    async def test_within_the_data_or_unknown_the_reason_is_the_kinds(self, labels_source, reading_runner, answer):
        labels_source.answer = answer
        runner, check = reading_runner(labels_source.url, "reads-no-rules")
        evaluation = await runner.evaluate(check, {}, OLDEST + timedelta(minutes=10))
        assert evaluation.reason == "no recording rule has a series"
        assert len(labels_source.calls) == 1

    async def test_within_the_last_hour_nothing_is_asked(self, labels_source, reading_runner):
        runner, check = reading_runner(labels_source.url, "reads-no-rules")
        evaluation = await runner.evaluate(check, {}, datetime.now(UTC) - timedelta(minutes=50))
        assert evaluation.reason == "no recording rule has a series"
        assert labels_source.calls == []

    async def test_exactly_an_hour_ago_nothing_is_asked(self, labels_source, reading_runner, monkeypatch):
        # mut28's R#149 (`<` read `<=`) on a clock the test holds: not more than an hour old, nothing noted.
        labels_source.answer = "empty"
        at = exactly_an_hour_ago(monkeypatch)
        runner, check = reading_runner(labels_source.url, "reads-no-rules")
        evaluation = await runner.evaluate(check, {}, at)
        assert evaluation.reason == "no recording rule has a series"
        assert labels_source.calls == []


class TestCoalescing:
    """Identical in-flight evaluations share one result; a caller that hangs up does not cancel it for the others."""

    async def test_cancelled_caller_does_not_cancel_the_shared_evaluation(self):
        runner, catalog = runner_for("ok")
        first = asyncio.ensure_future(runner.evaluate(catalog.get("ok"), {}))
        second = asyncio.ensure_future(runner.evaluate(catalog.get("ok"), {}))
        await asyncio.sleep(0)
        first.cancel()
        assert (await second).verdict is Outcome.PASS
        assert runner._in_flight == {}


class TestLogging:
    """Every evaluation is one `check_evaluated` event with its verdict, value and duration."""

    async def test_event(self):
        from structlog.testing import capture_logs

        runner, catalog = runner_for("ok", "unavailable")
        with capture_logs() as logs:
            await runner.evaluate(catalog.get("ok"), {})
            await runner.evaluate(catalog.get("unavailable"), {})
        events = [entry for entry in logs if entry["event"] == "check_evaluated"]
        assert [(e["check"], e["verdict"], e["log_level"]) for e in events] == [
            ("ok", "pass", "info"),
            ("unavailable", "error", "warning"),
        ]
        assert events[0]["value"] == 1.0 and events[0]["duration_ms"] >= 0
        assert events[1]["error"] == "source_unavailable"

    async def test_the_duration_is_the_time_the_evaluation_took(self):
        # mut28: the duration written as the clock plus the start (a sum of two clock readings) survived: the answer,
        # its page and the log line would show hours for a check that took milliseconds.
        from structlog.testing import capture_logs

        runner, catalog = runner_for("ok")
        started = time.perf_counter()
        with capture_logs() as logs:
            evaluation = await runner.evaluate(catalog.get("ok"), {})
        took_ms = (time.perf_counter() - started) * 1000
        assert 0 <= evaluation.duration_ms <= took_ms
        assert [e["duration_ms"] for e in logs if e["event"] == "check_evaluated"] == [evaluation.duration_ms]

    async def test_the_duration_is_in_milliseconds_to_the_microsecond(self, monkeypatch):
        # mut28: the seconds divided by 1000, scaled by 999 or 1001, or rounded to 2 or 4 places survived the test
        # above. On a clock the test reads out, an evaluation of 0.2345678 s took 234.568 ms.
        import analyzer.runner

        readings = iter([10.0, 10.2345678])
        clock = SimpleNamespace(perf_counter=lambda: next(readings), time=time.time, monotonic=time.monotonic)
        monkeypatch.setattr(analyzer.runner, "time", clock)
        runner, catalog = runner_for("ok")
        evaluation = await runner.evaluate(catalog.get("ok"), {})
        assert evaluation.duration_ms == 234.568

    async def test_a_value_that_is_no_finite_number_is_logged_as_text(self):
        # mut28: the float logged as it is survived: the JSON line then held `Infinity`, which is no JSON (a log
        # shipper parsing it strictly drops the line of a failing check).
        def no_constant(constant: str) -> None:
            raise AssertionError(f"{constant} in a JSON log line")

        with json_logs("info") as stream:
            runner, catalog = runner_for("inf-fail")
            await runner.evaluate(catalog.get("inf-fail"), {})
        events = [json.loads(line, parse_constant=no_constant) for line in stream.getvalue().splitlines()]
        assert [(e["event"], e["verdict"], e["value"]) for e in events] == [("check_evaluated", "fail", "inf")]

    async def test_at_warning_only_errors_are_logged(self):
        with json_logs("warning") as stream:
            runner, catalog = runner_for("ok", "unavailable")
            await runner.evaluate(catalog.get("ok"), {})
            await runner.evaluate(catalog.get("unavailable"), {})
        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [(e["event"], e["check"], e["level"]) for e in events] == [("check_evaluated", "unavailable", "warning")]

    async def test_an_evaluation_logs_with_the_request_id_of_its_first_caller(self, gate):
        async def ask(request_id: str) -> Outcome:
            structlog.contextvars.bind_contextvars(request_id=request_id)
            return (await run.evaluate(run.catalog.get("slow"), {})).verdict

        with json_logs("info") as stream:
            run = gated_runner(Admission())
            callers = [asyncio.create_task(ask(f"req-{n}")) for n in range(3)]
            await gate.wait_entered(1)
            # The first caller hangs up: the evaluation the others still wait for logs as the first one's all the same.
            callers[0].cancel()
            await asyncio.wait([callers[0]])
            gate.open()
            assert await asyncio.gather(*callers[1:]) == [Outcome.PASS, Outcome.PASS]
        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [e["request_id"] for e in events if e["event"] == "check_evaluated"] == ["req-0"]


def gated_runner(admission: Admission) -> Runner:
    catalog = gate_catalog(
        {"name": "slow", "kind": "gate", "gate": "g"},
        {"name": "other", "kind": "gate", "gate": "g"},
        {"name": "group", "kind": "group", "members": ["slow", "other"]},
    )
    return Runner(catalog, Sources({}), Metrics(), 5.0, admission=admission)


def break_after_evaluating(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `run`'s evaluations raise once their work is done, as if the envelope could not be built."""
    evaluate = run._evaluate

    async def broken(*args, **kwargs):
        await evaluate(*args, **kwargs)
        raise RuntimeError("envelope could not be built")

    monkeypatch.setattr(run, "_evaluate", broken)


class TestAdmission:
    """New top-level evaluations beyond the limit are refused; joins and members are not."""

    async def test_beyond_the_limit_is_overloaded_with_retry_after(self, gate):
        run = gated_runner(Admission(limit=1, retry_after_s=7))
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        with pytest.raises(Overloaded) as refused:
            await run.evaluate(run.catalog.get("other"), {})
        assert refused.value.retry_after_s == 7 and refused.value.http_status == 429
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        gate.open()
        assert (await first).verdict == (await joined).verdict == "pass"
        assert run.admission.running == 0

    async def test_members_of_an_admitted_check_are_not_refused(self, gate):
        run = gated_runner(Admission(limit=1))
        group = asyncio.create_task(run.evaluate(run.catalog.get("group"), {}))
        await gate.wait_entered(1)
        gate.open()
        assert (await group).verdict == "pass"

    async def test_a_queued_evaluation_takes_its_place_at_once_and_gives_it_back_if_left_before_it_ran(self, gate):
        # Before: the place was taken by the evaluation's task when it first ran; a burst passed the door meanwhile.
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        holder = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        # The caller driven by hand, to its first wait: its evaluation's task has not run yet.
        caller = run.evaluate(run.catalog.get("other"), {})
        caller.send(None)
        assert run.admission.queued == 1 and run.admission.refuses("")
        # It hangs up before that task ever ran (a task cancelled then never runs its code): the place goes back.
        with pytest.raises(asyncio.CancelledError):
            caller.throw(asyncio.CancelledError())
        await turns_until(lambda: run.admission.queued == 0)
        assert run.admission.shares() == {"": (1, 0)}
        gate.open()
        await holder
        assert (run.admission.running, run.admission.shares()) == (0, {})

    async def test_the_limit_is_shared_by_runners_of_successive_catalogs(self, gate):
        admission = Admission(limit=1)
        old, new = gated_runner(admission), gated_runner(admission)
        running = asyncio.create_task(old.evaluate(old.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        with pytest.raises(Overloaded):
            await new.evaluate(new.catalog.get("slow"), {})
        gate.open()
        await running


class TestJoining:
    """Identical requests in flight share one evaluation, queued or running, whichever caller leaves first."""

    async def test_identical_requests_share_one_evaluation(self, gate):
        run = gated_runner(Admission())
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        await asyncio.sleep(0)
        gate.open()
        first, *others = await asyncio.gather(*callers)
        assert all(other is first for other in others)
        assert gate.entered == 1
        assert run.metrics.evaluations.value("slow", "pass") == 1 and run.metrics.coalesced.value("slow") == 2

    async def test_a_queued_evaluation_is_joined_and_answers_its_callers_once_admitted(self, gate):
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        holder = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        queued = [asyncio.create_task(run.evaluate(run.catalog.get("other"), {})) for _ in range(2)]
        await turns_until(lambda: run.admission.queued == 1)
        assert run.metrics.coalesced.value("other") == 1
        gate.open()
        await holder
        first, second = await asyncio.gather(*queued)
        assert second is first and first.verdict is Outcome.PASS
        assert gate.entered == 2

    async def test_a_queued_evaluation_stays_queued_for_the_others_when_its_first_caller_leaves(self, gate):
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        holder = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        queued = [asyncio.create_task(run.evaluate(run.catalog.get("other"), {})) for _ in range(2)]
        await asyncio.sleep(0)
        queued[0].cancel()
        await asyncio.wait([queued[0]])
        await asyncio.sleep(0)
        assert run.admission.queued == 1 and run.admission.running == 1
        gate.open()
        await holder
        assert (await queued[1]).verdict is Outcome.PASS
        assert run.admission.running == run.admission.queued == 0

    async def test_an_evaluation_whose_first_caller_left_keeps_its_slot(self, gate):
        # The callers left are not sent behind what waits in the queue: their evaluation was admitted already.
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        first, joined = (asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}, caller="a")) for _ in range(2))
        await gate.wait_entered(1)
        waiting = asyncio.create_task(run.evaluate(run.catalog.get("other"), {}, caller="b"))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.wait([first])
        await asyncio.sleep(0)
        assert run.admission.shares() == {"a": (1, 0), "b": (0, 1)}
        gate.open()
        assert (await joined).verdict is (await waiting).verdict is Outcome.PASS
        assert run.admission.running == run.admission.queued == 0

    async def test_every_caller_leaving_at_once_frees_the_slot(self, gate):
        run = gated_runner(Admission(limit=1))
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(2)]
        await gate.wait_entered(1)
        for caller in callers:
            caller.cancel()
        await asyncio.wait(callers)
        # Ended behind a gate still closed (not by its deadline, 5 s away): cancelled, its slot back.
        await turns_until(lambda: run.admission.running == 0)
        assert run._in_flight == {} and run.metrics.evaluations_running == 0


class TestJoinableAtTheDoor:
    """A request's raw query string tells, unparsed, whether an evaluation in flight (or reused) would answer it."""

    async def test_while_in_flight_only(self):
        runner, catalog = runner_for("slow", "ok")
        slow = asyncio.create_task(runner.evaluate(catalog.get("slow"), {}, query="a=1"))
        await turns_until(lambda: runner.joinable("slow", "a=1"))
        assert not runner.joinable("slow", "a=2") and not runner.joinable("ok", "a=1")
        await runner.evaluate(catalog.get("ok"), {}, query="")
        assert not runner.joinable("ok", "")
        slow.cancel()
        await asyncio.wait([slow])
        assert not runner.joinable("slow", "a=1")

    async def test_a_result_the_reuse_window_keeps_is_joinable(self):
        registry = Registry([ScriptedCheck])
        catalog = build_catalog([("t", {"checks": [{"name": "ok", "kind": "scripted"}]})], registry)
        runner = Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        await runner.evaluate(catalog.get("ok"), {}, query="")
        await runner.evaluate(catalog.get("ok"), {"n": 1}, query="n=1")
        assert runner.joinable("ok", "") and runner.joinable("ok", "n=1")

    async def test_past_the_bound_those_over_are_forgotten(self, monkeypatch):
        monkeypatch.setattr("analyzer.runner.PLANS_KEPT", 2)
        runner, catalog = runner_for("slow", "ok")
        slow = asyncio.create_task(runner.evaluate(catalog.get("slow"), {}, query="a=1"))
        await turns_until(lambda: runner.joinable("slow", "a=1"))
        for n in range(50):
            await runner.evaluate(catalog.get("ok"), {}, query=f"b={n}")
        assert runner.joinable("slow", "a=1")
        assert set(runner._keys_of_queries) == {("slow", "a=1"), ("ok", "b=49")}
        slow.cancel()
        await asyncio.wait([slow])


class TestSharedOutcome:
    """Every caller of a shared evaluation gets its outcome, a failure included, and none is lost unseen."""

    async def test_a_queued_evaluation_refused_fails_every_caller(self, gate):
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=0.01))
        holder = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("other"), {})) for _ in range(2)]
        for caller in callers:
            with pytest.raises(Overloaded, match="no evaluation slot within"):
                await caller
        gate.open()
        await holder

    async def test_the_last_caller_leaving_ends_a_queued_evaluation_unreported(self, gate):
        loop = asyncio.get_running_loop()
        reported: list[dict[str, object]] = []
        loop.set_exception_handler(lambda _, context: reported.append(context))
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        holder = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        caller = asyncio.create_task(run.evaluate(run.catalog.get("other"), {}))
        await asyncio.sleep(0)
        (shared,) = [future for key, future in run._in_flight.items() if key[1] == "other"]
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        # Nobody waits for it any more: it leaves the queue at once instead of holding its place for a minute.
        await asyncio.wait([shared])
        assert shared.cancelled()
        assert run.admission.queued == 0
        del shared
        await asyncio.sleep(0)
        gc.collect()
        assert reported == []
        gate.open()
        await holder


class TestEveryCallerGetsTheOutcome:
    """An evaluation that raises, is cancelled or loses one caller answers each remaining caller, and none hangs."""

    async def test_an_exception_past_the_envelope_reaches_every_caller(self, gate, monkeypatch):
        run = gated_runner(Admission())
        run.reuse_window_s = 60
        break_after_evaluating(run, monkeypatch)
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        gate.open()
        results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)
        assert all(isinstance(result, RuntimeError) for result in results)
        assert run._in_flight == {} and run._recent == {}

    async def test_a_cancelled_evaluation_cancels_every_caller_and_frees_its_slot(self, gate):
        run = gated_runner(Admission())
        # Another evaluation in flight: this one runs in a task of its own (an idle runner's runs in its caller's).
        busy = asyncio.create_task(run.evaluate(run.catalog.get("other"), {}))
        await gate.wait_entered(1)
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(2)
        (shared,) = [future for key, future in run._in_flight.items() if key[1] == "slow"]
        shared.cancel()
        results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)
        assert all(isinstance(result, asyncio.CancelledError) for result in results)
        assert [key[1] for key in run._in_flight] == ["other"]
        assert run.admission.running == 1
        gate.open()
        await busy
        assert run._in_flight == {} and run.admission.running == 0

    async def test_an_exception_after_the_first_caller_left_reaches_the_others_unreported(self, gate, monkeypatch):
        loop = asyncio.get_running_loop()
        reported: list[dict[str, object]] = []
        loop.set_exception_handler(lambda _, context: reported.append(context))
        run = gated_runner(Admission())
        break_after_evaluating(run, monkeypatch)
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        callers[0].cancel()
        await asyncio.wait([callers[0]])
        gate.open()
        results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)
        assert [type(result) for result in results] == [asyncio.CancelledError, RuntimeError, RuntimeError]
        assert run._in_flight == {} and run.admission.running == 0
        del results
        callers.clear()
        gc.collect()
        assert reported == []

    async def test_one_caller_hanging_up_leaves_the_others_their_answer(self, gate):
        run = gated_runner(Admission())
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        callers[0].cancel()
        gate.open()
        results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)
        assert isinstance(results[0], asyncio.CancelledError)
        assert [result.verdict for result in results[1:]] == [Outcome.PASS, Outcome.PASS]


class TestDrain:
    """drain() waits for the evaluations in flight."""

    async def test_drain_waits_for_an_evaluation_in_flight(self, gate):
        run = gated_runner(Admission())
        caller = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        drained = asyncio.create_task(run.drain())
        await asyncio.sleep(0)
        assert not drained.done()
        gate.open()
        await drained
        assert (await caller).verdict is Outcome.PASS
        assert run.admission.running == 0

    async def test_drain_waits_for_an_evaluation_unwinding_its_cancellation(self):
        # Its last caller hung up: out of the in-flight table, it still closes its queries; a shutdown that closed
        # the sources then would close them under it.
        probe = SimpleNamespace(
            entered=asyncio.Event(), hold=asyncio.Event(), closing=asyncio.Event(), closed=asyncio.Event(), log=[]
        )
        CLOSING["probe"] = probe
        run, catalog = runner_for("closes-slowly")
        caller = asyncio.create_task(run.evaluate(catalog.get("closes-slowly"), {}))
        await probe.entered.wait()
        caller.cancel()
        await probe.closing.wait()

        async def drain() -> None:
            await run.drain()
            probe.log.append("drained")

        drained = asyncio.create_task(drain())
        probe.closed.set()
        await drained
        assert probe.log == ["closed", "drained"]

    async def test_drain_waits_for_an_evaluation_of_its_own_task_unwinding(self):
        # On a busy runner the evaluation runs in a task of its own, out of the in-flight table once its last caller
        # hung up (rev27g: not keeping it among those unwinding survived: the test above runs on an idle runner).
        probe = unwinding_probe()
        run, catalog = runner_for("slow", "closes-slowly")
        busy = asyncio.create_task(run.evaluate(catalog.get("slow"), {}))
        await turns_until(lambda: len(run._in_flight) == 1)
        caller = asyncio.create_task(run.evaluate(catalog.get("closes-slowly"), {}))
        await probe.entered.wait()
        caller.cancel()
        await probe.closing.wait()
        busy.cancel()
        await asyncio.wait([busy])

        async def drain() -> None:
            await run.drain()
            probe.log.append("drained")

        drained = asyncio.create_task(drain())
        await turns_until(lambda: not run._in_flight)
        probe.closed.set()
        await drained
        assert probe.log == ["closed", "drained"]


class TestHangingUp:
    """The last caller to stop waiting ends the evaluation; while one still waits, it runs on."""

    async def test_the_only_caller_hanging_up_cancels_its_evaluation(self, gate):
        run = gated_runner(Admission())
        caller = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        (shared,) = run._in_flight.values()
        caller.cancel()
        await asyncio.wait([shared])
        assert shared.cancelled()
        assert run._in_flight == {} and run._callers == {}
        assert run.admission.running == 0

    async def test_callers_that_joined_hanging_up_leave_the_first_its_evaluation(self, gate):
        run = gated_runner(Admission())
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        for caller in callers[1:]:
            caller.cancel()
            await asyncio.wait([caller])
        await asyncio.sleep(0)
        assert run.metrics.evaluations_running == 1
        gate.open()
        assert (await callers[0]).verdict is Outcome.PASS
        assert gate.entered == 1

    async def test_an_evaluation_runs_on_until_its_last_caller_leaves(self, gate):
        run = gated_runner(Admission())
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(3)]
        await gate.wait_entered(1)
        (shared,) = run._in_flight.values()
        for caller in callers[:2]:
            caller.cancel()
            await asyncio.wait([caller])
        assert not shared.done()
        callers[2].cancel()
        await asyncio.wait([shared])
        assert shared.cancelled()

    async def test_the_first_caller_hanging_up_leaves_no_finished_answer_for_later_requests(self, gate):
        # On a busy runner the evaluation runs in a task of its own, and its first caller is answered by the callback
        # that also takes it out of the in-flight table. Relayed to that caller after it hung up (mut27: `_relay`
        # not seeing the caller gone survived), the callback raised there, the evaluation stayed in the table, and
        # every later identical request was answered the verdict finished before it asked, never evaluated again.
        run = gated_runner(Admission())
        busy = asyncio.create_task(run.evaluate(run.catalog.get("other"), {}))
        await gate.wait_entered(1)
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(2)
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await turns_until(lambda: 2 in run._callers.values())
        first.cancel()
        await asyncio.wait([first])
        gate.open()
        assert (await joined).verdict is Outcome.PASS
        await busy
        assert run._in_flight == {} and run._callers == {}
        later = await run.evaluate(run.catalog.get("slow"), {})
        assert later.verdict is Outcome.PASS and gate.entered == 3

    async def test_a_request_after_the_last_caller_left_starts_afresh(self, gate):
        run = gated_runner(Admission())
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        (abandoned,) = run._in_flight.values()
        first.cancel()
        # Asked before the abandoned evaluation has unwound: it must not join it and be answered "cancelled".
        again = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(2)
        gate.open()
        assert (await again).verdict is Outcome.PASS
        assert abandoned.cancelled()

    async def test_a_request_while_an_abandoned_evaluation_unwinds_starts_afresh_on_a_busy_runner(self):
        # There the evaluation runs in a task of its own, and the last caller leaving ends it, which may take turns to
        # close its queries. Left in the in-flight table meanwhile (rev27g: `_left` keeping it there survived: the
        # test above runs on an idle runner), a request then joined it and was answered with no verdict.
        probe = unwinding_probe()
        run, catalog = runner_for("slow", "closes-slowly")
        busy = asyncio.create_task(run.evaluate(catalog.get("slow"), {}))
        await turns_until(lambda: len(run._in_flight) == 1)
        first = asyncio.create_task(run.evaluate(catalog.get("closes-slowly"), {}))
        await probe.entered.wait()
        first.cancel()
        await probe.closing.wait()
        probe.entered.clear()
        again = asyncio.create_task(run.evaluate(catalog.get("closes-slowly"), {}))
        await turns_until(lambda: again.done() or probe.entered.is_set())
        probe.closed.set()
        probe.hold.set()
        await asyncio.wait([again])
        busy.cancel()
        await asyncio.wait([busy])
        assert not again.cancelled() and again.exception() is None, again
        assert again.result().verdict is Outcome.PASS and probe.log == ["closed"]

    async def test_a_parent_ended_ends_its_members(self, gate):
        run = gated_runner(Admission())
        group = asyncio.create_task(run.evaluate(run.catalog.get("group"), {}))
        await gate.wait_entered(1)
        (member,) = [future for key, future in run._in_flight.items() if key[1] != "group"]
        group.cancel()
        await asyncio.wait([member])
        assert member.cancelled()
        assert run._in_flight == {} and run._callers == {}


class TestIdleRunner:
    """With nothing else in flight the first caller evaluates in its own task, with the same guarantees: callers that
    joined it get an answer if it hangs up, the last one to hang up ends the evaluation, drain() waits for it."""

    async def test_an_idle_runner_evaluates_in_the_callers_task(self):
        WHERE.clear()
        runner, catalog = runner_for("where")
        caller = asyncio.create_task(runner.evaluate(catalog.get("where"), {}))
        assert (await caller).verdict is Outcome.PASS
        assert len(WHERE) == 1 and WHERE[0] is caller
        assert runner._in_flight == {} and runner._callers == {} and runner.admission.running == 0

    async def test_a_busy_runner_evaluates_in_a_task_of_its_own(self):
        # Under concurrency the evaluation's own task costs less CPU per answer (docs/performance.md).
        WHERE.clear()
        runner, catalog = runner_for("where", "slow")
        busy = asyncio.create_task(runner.evaluate(catalog.get("slow"), {}))
        await asyncio.sleep(0)
        caller = asyncio.create_task(runner.evaluate(catalog.get("where"), {}))
        assert (await caller).verdict is Outcome.PASS
        assert len(WHERE) == 1 and WHERE[0] is not caller
        busy.cancel()
        await asyncio.wait([busy])
        await runner.drain()
        assert runner._in_flight == {} and runner.admission.running == 0

    async def test_a_caller_that_joined_is_answered_when_the_first_hangs_up(self, gate):
        run = gated_runner(Admission(limit=1, max_queued=1, queue_timeout_s=60))
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}, caller="a"))
        await gate.wait_entered(1)
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}, caller="b"))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.wait([first])
        # Evaluated again for it, on the slot the first caller held: not sent behind what waits in the queue.
        await turns_until(lambda: gate.entered == 2)
        assert run.admission.shares() == {"a": (1, 0)}
        later = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}, caller="c"))
        gate.open()
        assert (await joined).verdict is (await later).verdict is Outcome.PASS
        assert first.cancelled()
        assert run._in_flight == {} and run._callers == {} and run._restarted == {}
        assert run.admission.running == run.admission.queued == 0
        # One verdict reached, two callers answered by it without an evaluation of their own.
        assert run.metrics.evaluations.value("slow", "pass") == 1 and run.metrics.coalesced.value("slow") == 2
        assert run.metrics.evaluations_running == 0

    async def test_the_evaluation_run_again_keeps_the_deadline_of_the_one_its_callers_joined(self, gate):
        # A fresh deadline would answer them up to twice the check's deadline after they asked: past the 10 s of
        # Argo's web provider, which the 8 s deadline is set below.
        run = gated_runner(Admission())
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.wait([first])
        await gate.wait_entered(2)
        assert gate.deadlines[1] == gate.deadlines[0]
        gate.open()
        assert (await joined).verdict is Outcome.PASS

    async def test_a_cancellation_a_kind_answered_is_not_the_answer_of_those_that_joined(self):
        # One caller hanging up cannot change what the others get: the kind's answer to it was for no one.
        CLOSING["swallow"] = probe = SimpleNamespace(entered=asyncio.Event(), hold=asyncio.Event())
        runner, catalog = runner_for("swallows-cancel")
        check = catalog.get("swallows-cancel")
        first = asyncio.create_task(runner.evaluate(check, {}))
        await probe.entered.wait()
        joined = asyncio.create_task(runner.evaluate(check, {}))
        await turns_until(lambda: 2 in runner._callers.values())
        first.cancel()
        await asyncio.wait([first])
        assert first.cancelled()
        probe.hold.set()
        evaluation = await joined
        assert evaluation.verdict is Outcome.PASS
        assert runner._in_flight == {} and runner._callers == {} and runner._restarted == {}
        assert runner.admission.running == 0

    async def test_the_only_caller_hanging_up_on_a_kind_that_answers_it_runs_nothing_again(self):
        # No one joined: evaluated again, it would run the kind's queries for no one and hold the slot (rev27g:
        # running it again with one caller survived).
        CLOSING["swallow"] = probe = SimpleNamespace(entered=asyncio.Event(), hold=asyncio.Event())
        runner, catalog = runner_for("swallows-cancel")
        first = asyncio.create_task(runner.evaluate(catalog.get("swallows-cancel"), {}))
        await probe.entered.wait()
        first.cancel()
        await asyncio.wait([first])
        probe.hold.set()
        assert runner._in_flight == {} and runner._callers == {} and runner._restarted == {}
        assert runner.admission.running == 0

    async def test_the_last_caller_hanging_up_ends_what_runs_again_after_a_kind_answered_a_cancellation(self):
        # The first caller's leaving is counted there too (rev27g: not counting it survived: the evaluation run again
        # ran on for no one once the callers that joined had all hung up, holding its slot).
        CLOSING["swallow"] = probe = SimpleNamespace(entered=asyncio.Event(), hold=asyncio.Event())
        runner, catalog = runner_for("swallows-cancel")
        first = asyncio.create_task(runner.evaluate(catalog.get("swallows-cancel"), {}))
        await probe.entered.wait()
        joined = asyncio.create_task(runner.evaluate(catalog.get("swallows-cancel"), {}))
        await turns_until(lambda: 2 in runner._callers.values())
        first.cancel()
        await asyncio.wait([first])
        await turns_until(lambda: bool(runner._restarted))
        joined.cancel()
        await asyncio.wait([joined])
        await turns_until(lambda: not runner._restarted)
        assert runner._in_flight == {} and runner._callers == {} and runner.admission.running == 0
        probe.hold.set()

    async def test_the_last_caller_hanging_up_ends_the_evaluation_run_again(self, gate):
        run = gated_runner(Admission(limit=1))
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(2)]
        await gate.wait_entered(1)
        callers[0].cancel()
        await asyncio.wait([callers[0]])
        await turns_until(lambda: gate.entered == 2)
        assert run.metrics.evaluations_running == 1
        callers[1].cancel()
        await asyncio.wait(callers)
        # Ended behind a gate still closed (not by its deadline, 5 s away): cancelled, its slot back.
        await run.drain()
        assert run.metrics.evaluations_running == 0 and run.admission.running == 0
        assert run._in_flight == {} and run._callers == {} and run._restarted == {} and run._unwinding == set()

    async def test_drain_waits_for_the_evaluation_run_again(self, gate):
        run = gated_runner(Admission())
        callers = [asyncio.create_task(run.evaluate(run.catalog.get("slow"), {})) for _ in range(2)]
        await gate.wait_entered(1)
        callers[0].cancel()
        await asyncio.wait([callers[0]])
        drained = asyncio.create_task(run.drain())
        await turns_until(lambda: gate.entered == 2)
        assert not drained.done()
        gate.open()
        await drained
        assert (await callers[1]).verdict is Outcome.PASS
        assert run._in_flight == {} and run.admission.running == 0

    async def test_an_exception_past_the_envelope_reaches_its_only_caller_unreported(self, monkeypatch):
        loop = asyncio.get_running_loop()
        reported: list[dict[str, object]] = []
        loop.set_exception_handler(lambda _, context: reported.append(context))
        runner, catalog = runner_for("ok")
        runner.reuse_window_s = 60
        break_after_evaluating(runner, monkeypatch)
        with pytest.raises(RuntimeError, match="envelope"):
            await runner.evaluate(catalog.get("ok"), {})
        assert runner._in_flight == {} and runner._callers == {} and runner._recent == {}
        assert runner.admission.running == 0
        gc.collect()
        assert reported == []


def runner_on_a_clock(monkeypatch: pytest.MonkeyPatch) -> tuple[Runner, Catalog, list[float]]:
    """A runner with a 1 s reuse window whose monotonic clock is `clock[0]` (the runner's own: asyncio's is real)."""
    registry = Registry([ScriptedCheck])
    catalog = build_catalog([("t", {"checks": [{"name": "ok", "kind": "scripted"}]})], registry)
    clock = [1000.0]
    monkeypatch.setattr(
        "analyzer.runner.time", SimpleNamespace(monotonic=lambda: clock[0], perf_counter=time.perf_counter)
    )
    return Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=1), catalog, clock


class TestReuseWindow:
    """A finished evaluation answers identical requests for reuse_window_s, and only identical ones."""

    async def test_reused_within_the_window(self):
        registry = Registry([ScriptedCheck])
        catalog = build_catalog([("t", {"checks": [{"name": "ok", "kind": "scripted"}]})], registry)
        runner = Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        first = await runner.evaluate(catalog.get("ok"), {})
        second = await runner.evaluate(catalog.get("ok"), {})
        assert second is first
        assert runner.metrics.evaluations.value("ok", "pass") == 1
        assert runner.metrics.coalesced.value("ok") == 1

    @pytest.mark.parametrize("busy", [False, True], ids=["in-the-callers-task", "in-a-task-of-its-own"])
    async def test_an_answer_to_a_hang_up_is_not_reused(self, busy):
        # The only caller hung up and the kind answered that with what it had seen (a pass): an answer for no one,
        # which the window served to the next identical request as its verdict.
        registry = Registry([ScriptedCheck])
        checks = [{"name": name, "kind": "scripted"} for name in ("passes-when-hung-up", "slow")]
        catalog = build_catalog([("t", {"checks": checks})], registry)
        runner = Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        check = catalog.get("passes-when-hung-up")
        CLOSING["swallow"] = probe = SimpleNamespace(entered=asyncio.Event(), hold=asyncio.Event())
        # Another evaluation in flight: this one runs in a task of its own, which its caller's leaving cancels.
        other = asyncio.create_task(runner.evaluate(catalog.get("slow"), {})) if busy else None
        await asyncio.sleep(0)
        first = asyncio.create_task(runner.evaluate(check, {}))
        await probe.entered.wait()
        first.cancel()
        await asyncio.wait([first])
        # Its own task, cancelled as its caller left, answers on a later turn.
        await turns_until(lambda: not runner._unwinding)
        probe.hold.set()
        second = await runner.evaluate(check, {})
        assert (second.verdict, second.reason) == (Outcome.FAIL, "errors seen")
        if other is not None:
            other.cancel()
            await asyncio.wait([other])

    async def test_an_answer_to_a_hang_up_of_what_ran_again_is_not_reused(self):
        # The first caller hung up, the evaluation ran again for the one that joined, which hung up in turn.
        registry = Registry([ScriptedCheck])
        catalog = build_catalog([("t", {"checks": [{"name": "passes-when-hung-up", "kind": "scripted"}]})], registry)
        runner = Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        check = catalog.get("passes-when-hung-up")
        CLOSING["swallow"] = probe = SimpleNamespace(entered=asyncio.Event(), hold=asyncio.Event())
        first = asyncio.create_task(runner.evaluate(check, {}))
        await probe.entered.wait()
        joined = asyncio.create_task(runner.evaluate(check, {}))
        await turns_until(lambda: 2 in runner._callers.values())
        first.cancel()
        await asyncio.wait([first])
        await turns_until(lambda: bool(runner._restarted))
        joined.cancel()
        await asyncio.wait([joined])
        await turns_until(lambda: not runner._restarted and not runner._unwinding)
        probe.hold.set()
        second = await runner.evaluate(check, {})
        assert (second.verdict, second.reason) == (Outcome.FAIL, "errors seen")

    async def test_not_reused_without_a_window_or_with_other_args(self):
        runner, catalog = runner_for("ok")
        await runner.evaluate(catalog.get("ok"), {})
        await runner.evaluate(catalog.get("ok"), {})
        assert runner.metrics.evaluations.value("ok", "pass") == 2

    async def test_expired_results_are_evaluated_again(self, monkeypatch):
        runner, catalog, clock = runner_on_a_clock(monkeypatch)
        await runner.evaluate(catalog.get("ok"), {})
        clock[0] += 1.5
        await runner.evaluate(catalog.get("ok"), {})
        assert runner.metrics.evaluations.value("ok", "pass") == 2

    async def test_expired_results_are_not_held(self, monkeypatch):
        runner, catalog, clock = runner_on_a_clock(monkeypatch)
        for second in range(5):
            await runner.evaluate(catalog.get("ok"), {}, datetime.fromtimestamp(1_700_000_000 + second, UTC))
            clock[0] += 1.5
        # Each answer outlived its window before the next came: only the last is still held.
        assert len(runner._recent) == 1
        first = await runner.evaluate(catalog.get("ok"), {}, datetime.fromtimestamp(1_700_000_100, UTC))
        assert await runner.evaluate(catalog.get("ok"), {}, datetime.fromtimestamp(1_700_000_100, UTC)) is first

    async def test_a_result_evaluated_again_is_reused_for_its_own_window(self, monkeypatch):
        runner, catalog, clock = runner_on_a_clock(monkeypatch)
        at = datetime.fromtimestamp(1_700_000_000, UTC)
        first = await runner.evaluate(catalog.get("ok"), {}, at)
        clock[0] += 1.0  # the window's end: no longer reused
        second = await runner.evaluate(catalog.get("ok"), {}, at)
        assert second is not first
        clock[0] += 0.5
        # Another request drops what expired, not the fresh result held under the same key.
        await runner.evaluate(catalog.get("ok"), {}, datetime.fromtimestamp(1_700_000_001, UTC))
        assert await runner.evaluate(catalog.get("ok"), {}, at) is second
        clock[0] += 0.5
        assert await runner.evaluate(catalog.get("ok"), {}, at) is not second

    async def test_a_result_evaluated_again_for_those_that_joined_is_reused(self, gate):
        # Its first caller hung up, so the callers that joined were answered by an evaluation run again (rev27g: its
        # result not kept survived: the next identical request evaluated once more).
        run = Runner(gated_runner(Admission()).catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await turns_until(lambda: 2 in run._callers.values())
        first.cancel()
        await asyncio.wait([first])
        await turns_until(lambda: gate.entered == 2)
        gate.open()
        answered = await joined
        assert await run.evaluate(run.catalog.get("slow"), {}) is answered
        assert gate.entered == 2

    @pytest.mark.parametrize("at", [None, datetime(2026, 11, 20, 6, 30, tzinfo=UTC)])
    async def test_a_result_of_a_busy_runner_is_reused(self, gate, at):
        # There the evaluation runs in a task of its own, kept by the callback that forgets it unless a member's
        # (rev27g: not keeping it, and a request's key at a time written as a member's, survived: the tests above
        # run on an idle runner).
        run = Runner(gated_runner(Admission()).catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        busy = asyncio.create_task(run.evaluate(run.catalog.get("other"), {}))
        await gate.wait_entered(1)
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}, at))
        await gate.wait_entered(2)
        gate.open()
        answered = await first
        assert await run.evaluate(run.catalog.get("slow"), {}, at) is answered
        assert gate.entered == 2
        await busy

    async def test_a_members_result_is_not_kept(self):
        # A member's key holds its parent's deadline, so no request ever matches it: kept, such results filled the
        # table's bound (64 members a scorecard), past which no request's result was kept any more.
        runner, catalog = runner_for("ok", "parent")
        runner.reuse_window_s = 60
        first = await runner.evaluate(catalog.get("parent"), {})
        assert [key[1] for key in runner._recent] == ["parent"]
        assert await runner.evaluate(catalog.get("parent"), {}) is first


class TestMembers:
    """Members run at their parent's time and are backtests only when the parent is one."""

    @pytest.mark.parametrize("at", [None, datetime(2026, 11, 26, 11, tzinfo=UTC)])
    async def test_member_backtest_flag_follows_the_parent(self, at):
        from structlog.testing import capture_logs

        runner, catalog = runner_for("ok", "parent")
        with capture_logs() as logs:
            evaluation = await runner.evaluate(catalog.get("parent"), {}, at)
        events = {e["check"]: e for e in logs if e["event"] == "check_evaluated"}
        assert evaluation.verdict is Outcome.PASS
        assert events["ok"]["backtest"] is (at is not None)
        assert events["parent"]["backtest"] is (at is not None)


class TestWithoutMetrics:
    """A runner without metrics (a Job's) gives the same evaluations, coalescing and members included."""

    @pytest.mark.parametrize(
        ("name", "verdict"),
        [("ok", Outcome.PASS), ("crash", Outcome.ERROR), ("parent", Outcome.PASS), ("nan-pass", Outcome.ERROR)],
    )
    async def test_verdicts(self, name, verdict):
        registry = Registry([ScriptedCheck])
        catalog = build_catalog([("t", {"checks": [{"name": n, "kind": "scripted"} for n in {name, "ok"}]})], registry)
        runner = Runner(catalog, Sources({}), None, 5.0)
        assert (await runner.evaluate(catalog.get(name), {})).verdict is verdict

    async def test_a_request_joining_one_in_flight(self, gate):
        # rev27g: counting the join on metrics that are not there survived (the tests here end each evaluation
        # before the next request starts): the request that joined crashed.
        run = Runner(gated_runner(Admission()).catalog, Sources({}), None, 5.0)
        first = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await gate.wait_entered(1)
        joined = asyncio.create_task(run.evaluate(run.catalog.get("slow"), {}))
        await turns_until(lambda: 2 in run._callers.values())
        gate.open()
        assert (await first).verdict is (await joined).verdict is Outcome.PASS
        assert gate.entered == 1

    async def test_reuse_window(self):
        registry = Registry([ScriptedCheck])
        catalog = build_catalog([("t", {"checks": [{"name": "ok", "kind": "scripted"}]})], registry)
        runner = Runner(catalog, Sources({}), None, 5.0, reuse_window_s=60)
        first, second = await asyncio.gather(
            runner.evaluate(catalog.get("ok"), {}), runner.evaluate(catalog.get("ok"), {})
        )
        assert second is first
        assert await runner.evaluate(catalog.get("ok"), {}) is first


class ArgsCheck(Check):
    """A kind that answers with the args it was given, and then scribbles over them (as a careless plugin might)."""

    kind: Literal["args"] = "args"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        seen = dict(ctx.args)
        SEEN_ARGS.append(seen)
        ctx.args["hash"] = "scribbled"
        ctx.args["extra"] = "added"
        ctx.args.pop("limit", None)
        return Verdict(outcome=Outcome.FAIL, reason=f"saw {sorted(seen.items())}", details={"args": seen})


# The args each evaluation of an ArgsCheck saw, before it scribbled over them.
SEEN_ARGS: list[dict[str, object]] = []
ARGS_PARAMS = {
    "hash": {"type": "label_value", "required": True, "max_length": 8},
    "limit": {"type": "number", "default": 0.5, "minimum": 0},
    "mode": {"type": "enum", "values": ["a", "b"], "default": "a"},
    "token": {"type": "label_value", "secret": True, "default": "s3cret"},
}


_PROMETHEUS_SOURCE = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}


def args_runner() -> tuple[Runner, Check]:
    registry = Registry([ArgsCheck])
    catalog = build_catalog([("t", {"checks": [{"name": "args", "kind": "args", "params": ARGS_PARAMS}]})], registry)
    return Runner(catalog, Sources({}), None, 5.0), catalog.get("args")


def random_raw_args(rng: random.Random) -> dict[str, object]:
    """Args as a query string or a JSON body may give them, in any order: mostly valid, some invalid, undeclared or
    numbers."""
    # Numbers equal as keys that bind apart among them: 0 and -0.0 (a number), 10**20 and 1e20 (a text).
    odd = ["", "c", "-1", "x\x01y", "<redacted>", "toolongvalue", 1, 1.0, 0, -0.0, 2.5, 10**20, 1e20]
    choices = {
        "hash": ["h1", "h0002", "é", "0.3", "1e3"],
        "limit": ["0.3", " 2 ", "1e3", "0"],
        "mode": ["a", "b"],
        "token": ["s", "t0k"],
        "hsah": ["h1"],
    }
    raw: dict[str, object] = {}
    for name in rng.sample(list(choices), len(choices)):
        if rng.random() < (0.9 if name == "hash" else 0.1 if name == "hsah" else 0.5):
            raw[name] = rng.choice(odd) if rng.random() < 0.15 else rng.choice(choices[name])
    return raw


def without_duration(evaluation: Evaluation) -> tuple[bytes, str]:
    """An evaluation's answer (with its evidence) and its text line, its duration set to 0."""
    answer = evaluation.model_copy(update={"duration_ms": 0.0})
    return answer.json_body(True), answer.to_text()


class TestArgsPlans:
    """Args bound once per raw arg set and kept answer exactly as args bound on every request did."""

    async def test_answers_and_refusals_are_those_of_args_bound_each_time(self):
        from analyzer.errors import ArgError

        kept, check = args_runner()
        fresh, _ = args_runner()
        rng = random.Random(15)
        at = datetime(2026, 12, 5, 9, tzinfo=UTC)
        answered = refused = 0
        for _ in range(400):
            raw = random_raw_args(rng)
            try:
                bound = check.bind_args(raw)
            except ArgError as exc:
                for _ in range(2):
                    with pytest.raises(ArgError) as again:
                        kept.plan(check, raw)
                    assert (again.value.message, again.value.arg) == (exc.message, exc.arg)
                refused += 1
                continue
            expected = await fresh.evaluate(check, bound, at)
            for _ in range(2):
                evaluation = await kept.evaluate(check, kept.plan(check, raw), at)
                assert without_duration(evaluation) == without_duration(expected), raw
            answered += 1
        assert answered > 50 and refused > 50

    async def test_a_kind_scribbling_over_its_args_does_not_change_the_next_evaluation(self):
        runner, check = args_runner()
        SEEN_ARGS.clear()
        raw = {"hash": "h1", "limit": "0.3"}
        first = await runner.evaluate(check, runner.plan(check, raw), datetime(2026, 12, 5, 9, tzinfo=UTC))
        second = await runner.evaluate(check, runner.plan(check, raw), datetime(2026, 12, 5, 10, tzinfo=UTC))
        expected = {"hash": "h1", "limit": 0.3, "mode": "a", "token": "s3cret"}
        seen = SEEN_ARGS
        assert seen == [expected, expected]
        assert first.args == second.args == {"hash": "h1", "limit": 0.3, "mode": "a", "token": "<redacted>"}
        assert runner.plan(check, raw).args == expected

    async def test_an_answer_changed_by_its_reader_does_not_change_the_next_one(self):
        runner, check = args_runner()
        raw = {"hash": "h1"}
        first = await runner.evaluate(check, runner.plan(check, raw), datetime(2026, 12, 5, 9, tzinfo=UTC))
        first.args["hash"] = "changed"
        second = await runner.evaluate(check, runner.plan(check, raw), datetime(2026, 12, 5, 10, tzinfo=UTC))
        assert second.args["hash"] == "h1"

    def test_a_kind_binding_its_args_alone_keeps_its_plans_and_refusals_every_time(self):
        from analyzer.errors import ArgError

        check = {
            "name": "p99",
            "kind": "prometheus",
            "params": {"q": {"type": "number", "default": 0.99}},
            "query": "histogram_quantile({{ q }}, sum by (le) (rate(x_bucket[5m])))",
            "pass_if": "< 1",
        }
        catalog = build_catalog([("t", {"sources": _PROMETHEUS_SOURCE, "checks": [check]})], Registry.default())
        runner, p99 = Runner(catalog, Sources({}), None, 5.0), catalog.get("p99")
        assert runner.plan(p99, {"q": "0.5"}) is runner.plan(p99, {"q": "0.5"})
        for _ in range(2):
            with pytest.raises(ArgError, match="'q' is the quantile of histogram_quantile"):
                runner.plan(p99, {"q": "99"})

    def test_the_least_recently_used_plan_goes_past_the_bound(self, monkeypatch):
        from analyzer import runner as runner_module

        monkeypatch.setattr(runner_module, "PLANS_KEPT", 3)
        runner, check = args_runner()
        plans = {name: runner.plan(check, {"hash": name}) for name in ("a", "b", "c")}
        assert runner.plan(check, {"hash": "a"}) is plans["a"]  # a is now the most recently used
        runner.plan(check, {"hash": "d"})
        assert runner.plan(check, {"hash": "a"}) is plans["a"]
        assert runner.plan(check, {"hash": "c"}) is plans["c"]
        assert runner.plan(check, {"hash": "b"}) is not plans["b"]  # the least recently used, gone
        for index in range(100):
            runner.plan(check, {"hash": f"h{index}"})
        assert len(runner._plans) == 3

    def test_numbers_equal_as_keys_bind_apart(self):
        runner, check = args_runner()
        assert runner.plan(check, {"hash": "h", "token": 10**20}).args["token"] == "100000000000000000000"
        assert runner.plan(check, {"hash": "h", "token": 1e20}).args["token"] == "1e+20"
        assert math.copysign(1, runner.plan(check, {"hash": "h", "limit": 0}).args["limit"]) == 1
        assert math.copysign(1, runner.plan(check, {"hash": "h", "limit": -0.0}).args["limit"]) == -1

    def test_no_plan_is_kept_for_a_value_longer_than_any_param_takes(self):
        runner, check = args_runner()
        raw = {"hash": "h1", "limit": " " * 5000 + "1"}
        first = runner.plan(check, raw)
        assert first.args["limit"] == 1.0
        assert runner.plan(check, raw) is not first

    def test_args_given_in_another_order_bind_alike(self):
        runner, check = args_runner()
        one = runner.plan(check, {"hash": "h1", "mode": "b"})
        other = runner.plan(check, {"mode": "b", "hash": "h1"})
        assert (one.args, one.shown, one.key, one.link_head) == (other.args, other.shown, other.key, other.link_head)

    def test_a_kind_that_binds_its_own_way_binds_every_time(self):
        calls: list[dict[str, object]] = []

        class OwnBinding(ArgsCheck):
            kind: Literal["own-binding"] = "own-binding"  # type: ignore[assignment]

            def bind_args(self, raw_args):
                calls.append(dict(raw_args))
                return super().bind_args(raw_args)

        catalog = build_catalog(
            [("t", {"checks": [{"name": "own", "kind": "own-binding", "params": ARGS_PARAMS}]})],
            Registry([OwnBinding]),
        )
        runner = Runner(catalog, Sources({}), None, 5.0)
        runner.plan(catalog.get("own"), {"hash": "h1"})
        runner.plan(catalog.get("own"), {"hash": "h1"})
        assert len(calls) == 2

    def test_a_new_generation_binds_by_its_own_definition(self):
        runner, check = args_runner()
        assert runner.plan(check, {"hash": "h1"}).args["limit"] == 0.5
        changed = {**ARGS_PARAMS, "limit": {"type": "number", "default": 0.9}}
        catalog = build_catalog(
            [("t", {"checks": [{"name": "args", "kind": "args", "params": changed}]})], Registry([ArgsCheck])
        )
        reloaded = Runner(catalog, Sources({}), None, 5.0)
        assert reloaded.plan(catalog.get("args"), {"hash": "h1"}).args["limit"] == 0.9
        assert runner.plan(check, {"hash": "h1"}).args["limit"] == 0.5


class _MemberEcho(Check):
    """A member quoting its `tenant` arg (no secret of its own) in its reason."""

    kind: Literal["member-echo"] = "member-echo"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        return Verdict(outcome=Outcome.FAIL, reason=f"saw {ctx.args['tenant']}")


class _ParentPassing(Check):
    """A combining kind passing its secret `token` to the member-echo check as its `tenant`."""

    kind: Literal["parent-passing"] = "parent-passing"

    def member_names(self) -> frozenset[str]:
        return frozenset({"echo"})

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        member = await ctx.run_check("echo", {"tenant": ctx.args["token"]})
        return Verdict(outcome=member.verdict, reason="member said so")


class _MiddlePassing(Check):
    """A combining kind passing its `tenant` arg (no secret of its own) on to the member-echo check."""

    kind: Literal["middle-passing"] = "middle-passing"

    def member_names(self) -> frozenset[str]:
        return frozenset({"echo"})

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        member = await ctx.run_check("echo", {"tenant": ctx.args["tenant"]})
        return Verdict(outcome=member.verdict, reason="member said so")


class _OuterPassing(Check):
    """A combining kind passing its secret `token` to the middle-passing check as its `tenant`."""

    kind: Literal["outer-passing"] = "outer-passing"

    def member_names(self) -> frozenset[str]:
        return frozenset({"middle"})

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        member = await ctx.run_check("middle", {"tenant": ctx.args["token"]})
        return Verdict(outcome=member.verdict, reason="member said so")


class TestParentSecretsInMembers:
    """A parent's secret arg a member gets as an arg it does not declare secret is hidden in what the member shows
    from four characters on, as the member's own secrets are."""

    @pytest.mark.parametrize(
        ("token", "reason"), [("ab1", "saw ab1"), ("ab12", "saw <redacted>"), ("ab12c", "saw <redacted>")]
    )
    async def test_the_members_reason_in_its_log_line(self, token, reason):
        checks = [
            {"name": "echo", "kind": "member-echo", "params": {"tenant": {"type": "label_value", "required": True}}},
            {
                "name": "parent",
                "kind": "parent-passing",
                "params": {"token": {"type": "label_value", "required": True, "secret": True}},
            },
        ]
        catalog = build_catalog([("t", {"checks": checks})], Registry([_MemberEcho, _ParentPassing]))
        with structlog.testing.capture_logs() as logs:
            evaluation = await Runner(catalog, Sources({}), None, 5.0).evaluate(catalog.get("parent"), {"token": token})
        member = next(e for e in logs if e["event"] == "check_evaluated" and e["check"] == "echo")
        assert evaluation.verdict is Outcome.FAIL and member["args"] == {"tenant": "<redacted>"}
        assert member["reason"] == reason

    async def test_a_member_of_a_member_hides_it_too(self):
        # The middle check gets the secret as an arg it does not declare secret, and passes it on: the member it runs
        # hides it as the outer's (mut27: the secrets a member passes on without its parent's survived; the
        # innermost log line showed the token and its reason quoting it).
        tenant = {"tenant": {"type": "label_value", "required": True}}
        checks = [
            {"name": "echo", "kind": "member-echo", "params": tenant},
            {"name": "middle", "kind": "middle-passing", "params": tenant},
            {
                "name": "outer",
                "kind": "outer-passing",
                "params": {"token": {"type": "label_value", "required": True, "secret": True}},
            },
        ]
        registry = Registry([_MemberEcho, _MiddlePassing, _OuterPassing])
        catalog = build_catalog([("t", {"checks": checks})], registry)
        with structlog.testing.capture_logs() as logs:
            evaluation = await Runner(catalog, Sources({}), None, 5.0).evaluate(
                catalog.get("outer"), {"token": "tok-5e6f7a"}
            )
        assert evaluation.verdict is Outcome.FAIL
        assert "5e6f7a" not in json.dumps(logs, default=str)
        echo = next(e for e in logs if e["event"] == "check_evaluated" and e["check"] == "echo")
        assert echo["args"] == {"tenant": "<redacted>"} and echo["reason"] == "saw <redacted>"


class TestMembersNotKeptForReuse:
    """A member's result is not kept for the reuse window: no later request has its key (it holds its parent's
    deadline), and kept it would only fill the table's bound."""

    async def test_only_the_parent_is_kept(self):
        registry = Registry([ScriptedCheck])
        catalog = build_catalog(
            [("t", {"checks": [{"name": n, "kind": "scripted"} for n in ("ok", "parent")]})], registry
        )
        runner = Runner(catalog, Sources({}), Metrics(), 5.0, reuse_window_s=60)
        first = await runner.evaluate(catalog.get("parent"), {})
        assert [key[1] for key in runner._recent] == ["parent"]
        assert await runner.evaluate(catalog.get("parent"), {}) is first
