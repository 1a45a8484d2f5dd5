"""A file's stat as a test needs it: a ctime no call can set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def report_ctime(monkeypatch: pytest.MonkeyPatch, path: Path, ctime_ns: int) -> None:
    """Makes os.stat report `ctime_ns` as the ctime of `path` alone: no call sets a ctime, so a file written long
    ago (or the stat of a rewrite within the tick of the last one) is faked so."""
    real_stat = os.stat

    def stat(file: str | Path, *args: Any, **kwargs: Any) -> os.stat_result:
        found = real_stat(file, *args, **kwargs)
        if str(file) != str(path):
            return found
        fields, extra = found.__reduce__()[1]
        return os.stat_result(fields, {**extra, "st_ctime": ctime_ns / 1e9, "st_ctime_ns": ctime_ns})

    monkeypatch.setattr(os, "stat", stat)
