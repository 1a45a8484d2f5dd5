"""The service's log lines as production renders them, captured for tests."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

import structlog

from analyzer.logs import configure_logging


@contextlib.contextmanager
def json_logs(level: str = "info") -> Iterator[io.StringIO]:
    """The service's JSON log lines at `level`, in a stream, for what logs inside (runners, apps made there)."""
    stream = io.StringIO()
    configure_logging("json", level, stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "analyzer-structlog"]:
            root.removeHandler(handler)
