"""structlog setup: JSON lines in production, a console renderer locally; contextvars bind request data.

Every line goes through structlog, stdlib loggers included (aiohttp.*, asyncio), so a production log is
JSON throughout. Text that may come from a client is truncated and its control characters escaped, and
the events a hostile client can trigger at will are sampled, with a count of what was left out.
structlog itself is imported at the first line a process logs when `configure_logging` is told to wait for it
(`analyzer run`, which usually logs none: importing and setting it up was 5% of its instructions), or set up as soon
as anything else imports it (a kind's module or evaluation).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

from analyzer.redaction import hide_credentials

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    import structlog

LogFormat = Literal["json", "console"]

# Events a client can cause as often as it likes; each is logged at most SAMPLE_BURST times per window.
SAMPLED_EVENTS = frozenset(
    {"auth_failed", "bad_http_request", "header_timeout", "send_timeout", "connection_refused_at_cap"}
)
# stdlib loggers whose records are sampled the same way (keyed by logger name).
SAMPLED_LOGGERS = frozenset({"aiohttp.server", "aiohttp.web", "aiohttp.access", "asyncio"})
SAMPLE_BURST = 10
SAMPLE_WINDOW_S = 10.0
# Longest text value kept in a log line; tracebacks get more room.
MAX_VALUE_CHARS = 512
MAX_EXCEPTION_CHARS = 8192
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HANDLER_NAME = "analyzer-structlog"


class EventSampler:
    """At most `burst` events of each sampled kind per `window_s`; the next line logged of that kind
    carries `dropped`, the number left out since the last one, and `drain()` reports the rest."""

    def __init__(
        self, burst: int = SAMPLE_BURST, window_s: float = SAMPLE_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.window_s = window_s
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._dropped: dict[str, int] = {}

    def admit(self, key: str) -> int | None:
        """None to drop this event; else how many of its kind were dropped before it (0 or more)."""
        now = self.clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window_s:
            started, count = now, 0
        if count >= self.burst:
            self._windows[key] = (started, count)
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return None
        self._windows[key] = (started, count + 1)
        return self._dropped.pop(key, 0)

    def drain(self) -> dict[str, int]:
        """The dropped counts not yet reported, by kind; resets them."""
        dropped, self._dropped = self._dropped, {}
        return dropped

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """structlog processor: drop an over-budget event, or note what was dropped before it."""
        event = event_dict.get("event")
        if "_record" in event_dict or not isinstance(event, str) or event not in SAMPLED_EVENTS:
            return event_dict
        dropped = self.admit(event)
        if dropped is None:
            from structlog import DropEvent

            raise DropEvent
        if dropped:
            event_dict["dropped"] = dropped
        return event_dict

    def filter(self, record: logging.LogRecord) -> bool:
        """logging filter: the same budget for the records of SAMPLED_LOGGERS, by logger name."""
        if record.name not in SAMPLED_LOGGERS:
            return True
        dropped = self.admit(record.name)
        if dropped is None:
            return False
        record.analyzer_dropped = dropped
        return True


SAMPLER = EventSampler()


def bound_text(value: str, limit: int = MAX_VALUE_CHARS, *, keep_newlines: bool = False) -> str:
    """`value` cut to `limit` characters, with control characters written as \\xNN."""
    if len(value) > limit:
        value = f"{value[:limit]}...[{len(value) - limit} more chars]"
    if value.isprintable():
        return value
    if keep_newlines:
        return "\n".join(_CONTROL_RE.sub(_escape, line) for line in value.split("\n"))
    return _CONTROL_RE.sub(_escape, value)


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _bound(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return bound_text(value)
    if depth < 3 and isinstance(value, dict):
        return {bound_text(str(k), 128): _bound(v, depth + 1) for k, v in value.items()}
    if depth < 3 and isinstance(value, list | tuple):
        return [_bound(v, depth + 1) for v in value[:64]]
    return value


def bound_untrusted(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: every text value truncated and escaped (tracebacks keep their line breaks)."""
    for key, value in event_dict.items():
        if key == "_record":
            continue
        if key == "exception" and isinstance(value, str):
            event_dict[key] = bound_text(value, MAX_EXCEPTION_CHARS, keep_newlines=True)
        elif not isinstance(value, int | float | bool) and value is not None:
            event_dict[key] = _bound(value)
    return event_dict


def hidden_credentials(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: a rendered traceback (`exception`), and a library's message, with every credential that
    says what it is hidden (`hide_credentials`)."""
    # A traceback quotes exception messages written by libraries (httpx's `for url 'http://user:pw@host/'`, a YAML
    # error's line of a config), which no call site scrubbed; so does a library's own message (aiohttp's, asyncio's
    # `Task exception was never retrieved`). Our own events are written with scrubbed fields, and cost nothing here.
    exception = event_dict.get("exception")
    if isinstance(exception, str):
        event_dict["exception"] = hide_credentials(exception)
    if "_record" in event_dict and isinstance(event_dict.get("event"), str):
        event_dict["event"] = hide_credentials(event_dict["event"])
    return event_dict


def _stdlib_fields(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A stdlib record as an event: its logger name, and its level in lower case as structlog writes it."""
    record = event_dict.get("_record")
    if record is not None:
        event_dict["logger"] = record.name
        event_dict["level"] = record.levelname.lower()
        dropped = getattr(record, "analyzer_dropped", 0)
        if dropped:
            event_dict["dropped"] = dropped
    return event_dict


def report_dropped(sampler: EventSampler | None = None) -> None:
    """Log `log_events_dropped` for each sampled kind with events dropped since its last line."""
    for kind, dropped in sorted((sampler or SAMPLER).drain().items()):
        get_logger("analyzer.logs").warning(
            "log_events_dropped", kind=kind, dropped=dropped, window_s=(sampler or SAMPLER).window_s
        )


def configure_logging(
    log_format: LogFormat = "json",
    level: str = "info",
    *,
    sampler: EventSampler | None = None,
    stream: TextIO | None = None,
    cache_loggers: bool = False,
    at_first_line: bool = False,
) -> None:
    """Route structlog and stdlib logging to `stream` (stderr) in the chosen format at the chosen level;
    `cache_loggers`: each logger keeps this configuration from its first use on (a process that configures
    once), where otherwise every call looks the configuration up again (a later call here reaches it);
    `at_first_line`: structlog is imported and set up at the first line logged (through `get_logger` or stdlib
    logging), not now, unless something imported it already; the lines are the same."""
    global SAMPLER, _PENDING
    stream = stream or sys.stderr
    SAMPLER = sampler or EventSampler()
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    set_up = functools.partial(_set_up_structlog, log_format, numeric_level, stream, SAMPLER, cache_loggers)
    formatter: logging.Formatter
    if at_first_line and "structlog" not in sys.modules:
        formatter = _PENDING = _FirstUseFormatter(set_up)
        if _SET_UP_AT_IMPORT not in sys.meta_path:
            sys.meta_path.insert(0, _SET_UP_AT_IMPORT)
    else:
        _PENDING = None
        _SET_UP_AT_IMPORT.remove()
        formatter = set_up()
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(SAMPLER.filter)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in _our_handlers(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Libraries log at warning and above: their info lines (aiohttp's access log) would double ours.
    root.setLevel(max(numeric_level, logging.WARNING))


def _set_up_structlog(
    log_format: LogFormat, numeric_level: int, stream: TextIO, sampler: EventSampler, cache_loggers: bool
) -> logging.Formatter:
    """structlog configured as `configure_logging` says; the formatter that writes stdlib records the same way."""
    import structlog

    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[structlog.types.Processor] = [
        timestamper,
        structlog.processors.format_exc_info,
        hidden_credentials,
        bound_untrusted,
    ]
    structlog.configure(
        # The sampler first: a dropped event costs nothing more.
        processors=[
            sampler,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            *shared,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        # Uncached, `logger.info(...)` builds a bound logger on every call (6 us), even for a line below the level.
        cache_logger_on_first_use=cache_loggers,
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[_stdlib_fields, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )


class _FirstUseFormatter(logging.Formatter):
    """structlog's formatter of stdlib records, built (structlog set up) at the first record or structlog line."""

    def __init__(self, set_up: Callable[[], logging.Formatter]) -> None:
        super().__init__()
        self._set_up = set_up
        self._built: logging.Formatter | None = None
        self._lock = threading.Lock()

    def built(self) -> logging.Formatter:
        """The formatter, structlog set up the first time (once, whichever thread logs first)."""
        if self._built is not None:
            return self._built
        # The collector off meanwhile: importing structlog allocates enough to run it, and a finalizer that logs
        # (aiohttp's unclosed session) would come back here on this thread and wait for this lock for ever.
        collecting = gc.isenabled()
        gc.disable()
        try:
            # Imported before the lock is taken: a thread importing structlog holds its module's import lock until
            # the import's own set-up (`_SetUpAtImport`) has taken and left this one.
            import structlog  # noqa: F401

            with self._lock:
                if self._built is None:
                    self._built = self._set_up()
                return self._built
        finally:
            if collecting:
                gc.enable()

    def format(self, record: logging.LogRecord) -> str:
        """`record` as structlog writes it."""
        return self.built().format(record)

    def set_up_again(self) -> None:
        """structlog set up once more where it was set up already (at its import), the formatter with it."""
        with self._lock:
            if self._built is not None:
                self._built = self._set_up()


# The set-up `configure_logging(at_first_line=True)` left for the first line, until a later call replaces it.
_PENDING: _FirstUseFormatter | None = None


class _FirstUseLogger:
    """A structlog logger by name that sets structlog up (a pending `configure_logging`) at its first use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._logger is None:
            import structlog

            self._logger = structlog.get_logger(self._name)
        pending = _PENDING
        if pending is not None:
            pending.built()
        return getattr(self._logger, attribute)


class _SetUpAtImport:
    """A meta path finder that has structlog, once imported, set up as a waiting `configure_logging` says before the
    code that imported it goes on: a kind's module or evaluation that imports structlog and logs through its own
    `get_logger` is then written as ours, not by structlog's defaults on stdout (before a Job's verdict)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """structlog's spec as the finders after this one find it, loaded by `_ThenSetUp`; None for other modules."""
        if fullname != "structlog":
            return None
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _ThenSetUp(spec.loader)  # type: ignore[assignment]
                return spec
        return None

    def remove(self) -> None:
        """Off the meta path (structlog imported, or set up at once)."""
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)


class _ThenSetUp:
    """structlog's own loader, then the set-up `configure_logging` left for the first line."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """The module as structlog's loader creates it."""
        created: ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        """structlog run as its loader runs it (and left naming that loader), then set up."""
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _SET_UP_AT_IMPORT.remove()
        pending = _PENDING
        if pending is not None:
            pending.built()


_SET_UP_AT_IMPORT = _SetUpAtImport()


def stop_setting_up_at_import() -> None:
    """No hook left to set structlog up at its import (a waiting `configure_logging` still sets it up at the first
    line): an in-process caller of `analyzer run` imports it as it would have."""
    _SET_UP_AT_IMPORT.remove()


def take_structlog_back() -> None:
    """Where `configure_logging` waits for a first line and structlog was set up at its import since (a kind's
    module imported it), structlog set up as it says once more: a module that configured structlog its own way as
    it was imported (structlog's PrintLogger, on stdout) does not keep the lines of the process' own loggers, nor
    its own, from being written as `configure_logging` says (on stderr, credentials hidden)."""
    pending = _PENDING
    if pending is not None:
        pending.set_up_again()


def get_logger(name: str) -> Any:
    """structlog's logger `name`, importing structlog (and setting it up, if `configure_logging` waits) at first
    use: a module that logs only on failure costs an `analyzer run` nothing."""
    return _FirstUseLogger(name)


def _our_handlers(handlers: Iterable[logging.Handler]) -> list[logging.Handler]:
    return [h for h in handlers if h.get_name() == _HANDLER_NAME]
