"""Log hygiene: sampling of client-triggered events with a count of what was dropped, and bounded text."""

from __future__ import annotations

import ast
import http.server
import io
import json
import logging
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import structlog

from analyzer.logs import EventSampler, bound_text, bound_untrusted, configure_logging

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestEventSampler:
    """At most `burst` per kind and window; what was dropped is reported once, by the next line or drain()."""

    def test_burst_then_drops_then_a_new_window_reports_them(self):
        clock = Clock()
        sampler = EventSampler(burst=2, window_s=10, clock=clock)
        assert [sampler.admit("auth_failed") for _ in range(5)] == [0, 0, None, None, None]
        assert sampler.admit("bad_http_request") == 0  # kinds have budgets of their own
        clock.now += 10
        assert sampler.admit("auth_failed") == 3
        assert sampler.admit("auth_failed") == 0
        assert sampler.admit("auth_failed") is None
        assert sampler.drain() == {"auth_failed": 1}
        assert sampler.drain() == {}

    def test_only_sampled_events_are_dropped(self):
        sampler = EventSampler(burst=1, window_s=10, clock=Clock())
        sampler(None, "warning", {"event": "auth_failed"})
        with pytest.raises(structlog.DropEvent):
            sampler(None, "warning", {"event": "auth_failed"})
        for _ in range(3):
            assert sampler(None, "info", {"event": "check_evaluated"}) == {"event": "check_evaluated"}

    def test_stdlib_records_of_sampled_loggers_are_filtered_with_the_dropped_count(self):
        clock = Clock()
        sampler = EventSampler(burst=1, window_s=10, clock=clock)

        def record(name: str) -> logging.LogRecord:
            return logging.LogRecord(name, logging.ERROR, __file__, 1, "Error handling request", None, None)

        assert sampler.filter(record("aiohttp.server"))
        assert not sampler.filter(record("aiohttp.server"))
        assert sampler.filter(record("somelib")) and sampler.filter(record("somelib"))
        clock.now += 10
        admitted = record("aiohttp.server")
        assert sampler.filter(admitted) and admitted.analyzer_dropped == 1


class TestBoundedText:
    """Client text is cut and its control characters escaped; tracebacks keep their line breaks."""

    def test_cut_and_escaped(self):
        assert bound_text("a\x1b[2Jb\nc\x00") == "a\\x1b[2Jb\\x0ac\\x00"
        cut = bound_text("x" * 600, 512)
        assert cut.startswith("x" * 512) and cut.endswith("...[88 more chars]")
        assert bound_text("ok é ü") == "ok é ü"

    def test_every_value_of_an_event(self):
        event = bound_untrusted(
            None,
            "warning",
            {
                "event": "auth_failed",
                "path": "/\x1b" + "p" * 1000,
                "args": {"h\n": ["\x07"]},
                "status": 401,
                "exception": "Traceback\n  line\x1b\n",
            },
        )
        assert event["path"].startswith("/\\x1bppp") and len(event["path"]) < 600
        assert event["args"] == {"h\\x0a": ["\\x07"]}
        assert event["status"] == 401
        assert event["exception"] == "Traceback\n  line\\x1b\n"


@pytest.fixture
def reconfigured():
    """Logging as the test configures it, back to structlog's defaults and no handler of ours afterwards."""
    yield
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "analyzer-structlog"]:
        root.removeHandler(handler)


class TestCachedLoggers:
    """With `cache_loggers` (serve configures once) a logger keeps the configuration of its first use;
    without it, every call follows the latest configuration."""

    @pytest.mark.parametrize("cached", [True, False])
    def test_a_second_configuration_reaches_only_uncached_loggers(self, reconfigured, cached):
        first, second = io.StringIO(), io.StringIO()
        log = structlog.get_logger(f"test.cached.{cached}")
        configure_logging("json", "info", stream=first, cache_loggers=cached)
        log.info("before")
        configure_logging("json", "info", stream=second, cache_loggers=cached)
        log.info("after")
        assert ('"after"' in first.getvalue()) is cached
        assert ('"after"' in second.getvalue()) is not cached
        assert '"before"' in first.getvalue()


class TestCredentialsInLoggedExceptions:
    """A traceback and a library's message are logged with every credential that says what it is hidden: an exception
    a library wrote (httpx's status error quoting the URL it was given) reaches the log unscrubbed otherwise."""

    @pytest.fixture
    def refusing_url(self):
        """A URL with user info of a real server on 127.0.0.1 that answers every request 401."""

        class Refusing(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://bob:s3cr3t-pw@127.0.0.1:{server.server_address[1]}/api?api_key=s3cr3t-key"
        server.shutdown()
        server.server_close()

    @pytest.mark.parametrize("log_format", ["json", "console"])
    def test_a_libraries_exception_is_logged_without_its_credentials(self, reconfigured, refusing_url, log_format):
        stream = io.StringIO()
        configure_logging(log_format, "info", stream=stream)
        try:
            httpx.get(refusing_url, headers={"Authorization": "Bearer s3cr3t-token"}).raise_for_status()
        except httpx.HTTPStatusError as exc:
            structlog.get_logger("test.logs").exception("catalog_watch_failed")
            logging.getLogger("aiohttp.server").error("Error handling request to %s", exc.request.url, exc_info=True)
        logged = stream.getvalue()
        assert "s3cr3t" not in logged, logged
        # What tells what failed is kept: the error, its status and where it went.
        assert "catalog_watch_failed" in logged and "Error handling request to" in logged
        assert logged.count("401 Unauthorized") == 2 and "127.0.0.1" in logged

    def test_a_long_library_message_is_hidden_before_it_is_cut(self, reconfigured):
        # Cut first, a password the cut splits from its `@` would show: nothing would say what it is any more.
        stream = io.StringIO()
        configure_logging("json", "info", stream=stream)
        logging.getLogger("asyncio").error("%s connect to http://bob:s3cr3t-pw@db.internal/ failed", "x" * 480)
        logged = stream.getvalue()
        assert "s3cr3t" not in logged and "more chars]" in logged, logged


# A process that configures as told, then logs a stdlib record and structlog lines (one with a traceback) in the
# order given, and prints what it wrote, whether structlog was imported before the first line, and the log.
_FIRST_LINE_SCRIPT = """
import io, logging, sys
from analyzer.logs import configure_logging, get_logger
stream = io.StringIO()
configure_logging(sys.argv[1], "info", stream=stream, at_first_line=sys.argv[2] == "deferred")
print("structlog" in sys.modules)
for what in sys.argv[3].split(","):
    if what == "stdlib":
        logging.getLogger("asyncio").error("connect to http://bob:s3cr3t@db.internal/ failed \\x07")
    elif what == "structlog":
        get_logger("analyzer.test").warning("check_crashed", check="c\\x1b", args={"k": "v"})
    else:
        try:
            raise ValueError("boom")
        except ValueError:
            get_logger("analyzer.test").exception("kind_warm_failed", kind="x")
print(stream.getvalue(), end="")
"""
_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


def _logged(log_format: str, mode: str, order: str) -> tuple[str, str]:
    """Whether structlog was imported before the first line, and the log with its timestamps masked."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_LINE_SCRIPT, log_format, mode, order],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    imported, _, log = done.stdout.partition("\n")
    return imported, _TIMESTAMP_RE.sub("TIMESTAMP", log)


class TestStructlogAtTheFirstLine:
    """`at_first_line` imports and sets up structlog at the first line logged, which is written byte for byte as
    configured at once, in either format, whichever kind of line comes first."""

    @pytest.mark.parametrize("log_format", ["json", "console"])
    @pytest.mark.parametrize("order", ["stdlib,structlog,exception", "structlog,stdlib,exception", "exception"])
    def test_the_lines_are_those_configured_at_once(self, log_format, order):
        imported_deferred, deferred = _logged(log_format, "deferred", order)
        imported_at_once, at_once = _logged(log_format, "at_once", order)
        assert (imported_deferred, imported_at_once) == ("False", "True")
        assert deferred == at_once
        assert len(deferred.splitlines()) >= len(order.split(",")) and "s3cr3t" not in deferred
        assert "check_crashed" in deferred or order == "exception"

    def test_nothing_logged_imports_no_structlog(self):
        code = (
            "import sys; from analyzer.logs import configure_logging; import analyzer.runner, analyzer.registry; "
            "configure_logging('console', 'warning', at_first_line=True); assert 'structlog' not in sys.modules"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    def test_a_process_that_imported_structlog_is_set_up_at_once(self):
        # The service: its modules import structlog, and its first line must not set it up on the event loop.
        code = (
            "import structlog, analyzer.server; from analyzer.logs import configure_logging; "
            "configure_logging('json', 'info', at_first_line=True); assert structlog.is_configured()"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    @pytest.mark.parametrize(
        "importing",
        [
            "import structlog",
            "import structlog.stdlib",
            "from structlog import get_logger",
            # A library asking whether structlog is installed finds its spec and imports nothing.
            "import importlib.util; assert importlib.util.find_spec('structlog'); import structlog",
        ],
    )
    @pytest.mark.parametrize("log_format", ["json", "console"])
    def test_structlog_imported_by_other_code_is_set_up_before_it_logs(self, importing, log_format):
        # A kind's module or evaluation that imports structlog and logs through structlog's own loggers: with its
        # defaults, the line went to stdout (before a Job's verdict), in neither format.
        code = (
            "import io, sys; from analyzer.logs import configure_logging; stream = io.StringIO(); "
            f"configure_logging({log_format!r}, 'info', stream=stream, at_first_line=True); "
            f"assert 'structlog' not in sys.modules; {importing}; "
            "sys.modules['structlog'].get_logger('kind').warning('kind_warned', detail='from the kind'); "
            "print(repr(stream.getvalue()))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        assert done.stdout.count("kind_warned") == 1, done.stdout
        written = ast.literal_eval(done.stdout)
        if log_format == "json":
            assert json.loads(written) | {"timestamp": "T"} == {
                "event": "kind_warned",
                "detail": "from the kind",
                "level": "warning",
                "timestamp": "T",
            }
        else:
            # Our timestamp (UTC, ISO), where structlog's defaults write local time without the T.
            assert _TIMESTAMP_RE.match(written) and "[warning  ] kind_warned" in written, written
            assert "detail='from the kind'" in written, written

    def test_structlog_imported_is_left_as_it_loads(self):
        code = (
            "import sys; from analyzer.logs import configure_logging; "
            "configure_logging('console', 'warning', at_first_line=True); import structlog; "
            "print(type(structlog.__loader__).__name__, type(structlog.__spec__.loader).__name__, "
            "any(type(f).__module__ == 'analyzer.logs' for f in sys.meta_path))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        assert done.stdout.split() == ["SourceFileLoader", "SourceFileLoader", "False"], done.stdout

    def test_a_later_configuration_replaces_the_one_waiting(self):
        code = (
            "import io, logging, sys; from analyzer.logs import configure_logging, get_logger; "
            "first, second = io.StringIO(), io.StringIO(); "
            "configure_logging('json', 'info', stream=first, at_first_line=True); "
            "configure_logging('console', 'info', stream=second); "
            "get_logger('test.waiting').warning('after'); logging.getLogger('asyncio').error('library'); "
            "print(repr(first.getvalue()), second.getvalue().count('after'), second.getvalue().count('library'))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        assert done.stdout.split() == ["''", "1", "1"], done.stdout

    def test_a_finalizer_logging_while_structlog_is_set_up_does_not_hang(self):
        # The first line's set-up imports structlog, which allocates enough to run the cyclic collector; garbage whose
        # finalizer logs (aiohttp's unclosed session, asyncio's unretrieved task exception) then logged from inside
        # the set-up, on the same thread, and waited forever for the lock the set-up held (SIGTERM did not end it).
        code = (
            "import gc, logging, sys; from analyzer.logs import configure_logging; "
            "configure_logging('console', 'warning', at_first_line=True); "
            "log = lambda self: logging.getLogger('asyncio').error('unclosed'); "
            "Unclosed = type('Unclosed', (), {'__del__': log}); "
            "gc.collect(); garbage = Unclosed(); garbage.me = garbage; del garbage; "
            "logging.getLogger('aiohttp.client').warning('first line'); gc.collect()"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
        )
        assert done.stderr.count("first line") == 1 and done.stderr.count("unclosed") == 1, done.stderr
