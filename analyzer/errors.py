"""The analyzer's one error hierarchy; foreign exceptions are translated into it at the boundary."""

from __future__ import annotations

import re
from typing import Any

from analyzer.models import clip

# Cap on how much of a foreign error's text is quoted in a reason.
_REASON_CHARS = 300
_ERRNO_RE = re.compile(r"\[Errno [^\]]+\] ([^'\"()]+)")


def short_reason(exc: BaseException) -> str:
    """A foreign exception's text for a reason: the OS reason when it wraps one (`Connection refused`),
    else its text (or type name) clipped to 300 characters."""
    text = str(exc) or type(exc).__name__
    errno_reason = _ERRNO_RE.search(text)
    if errno_reason:
        return errno_reason.group(1).strip()
    return clip(text, _REASON_CHARS)


class AnalyzerError(Exception):
    """Base of every error the analyzer raises on purpose."""

    code = "analyzer_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(AnalyzerError):
    """The catalog (or a setting) is invalid; `problems` lists every finding, each naming where."""

    code = "config_error"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return self.message + ":\n" + "\n".join(f"  - {p}" for p in self.problems)


class CheckNotFound(AnalyzerError):
    """No check of that name in the catalog (HTTP 404)."""

    code = "check_not_found"
    http_status = 404


class ArgError(AnalyzerError):
    """A request argument is missing, undeclared or breaks its param's rule (HTTP 400)."""

    code = "bad_arg"
    http_status = 400

    def __init__(self, message: str, arg: str | None = None) -> None:
        super().__init__(message)
        self.arg = arg


class CheckError(AnalyzerError):
    """No measurement could be taken; the verdict is `error`. `details` is evidence gathered before it."""

    code = "check_error"
    http_status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = details or {}


class SourceUnavailable(CheckError):
    """A source could not be reached or is down (HTTP 503)."""

    code = "source_unavailable"
    http_status = 503


class SourceTimeout(SourceUnavailable):
    """A source did not answer in time (HTTP 504)."""

    code = "source_timeout"
    http_status = 504


class SourceRejected(CheckError):
    """A source answered, but refused the request or gave an unusable answer (HTTP 502)."""

    code = "source_rejected"
    http_status = 502


class NoData(CheckError):
    """Nothing to judge, and the check's `no_data` policy is `error` (HTTP 503)."""

    code = "no_data"
    http_status = 503


class DeadlineExceeded(CheckError):
    """The evaluation did not finish within the check's deadline (HTTP 504)."""

    code = "deadline_exceeded"
    http_status = 504


class CheckMisconfigured(CheckError):
    """The check's definition cannot judge what the source returned, e.g. several series unreduced."""

    code = "check_misconfigured"
    http_status = 500


class Unauthorized(AnalyzerError):
    """No valid bearer token (HTTP 401)."""

    code = "unauthorized"
    http_status = 401


class Forbidden(AnalyzerError):
    """The caller's token may not use this check (HTTP 403)."""

    code = "forbidden"
    http_status = 403


class Overloaded(AnalyzerError):
    """Too many evaluations in flight; the caller should retry after `retry_after_s` (HTTP 429)."""

    code = "overloaded"
    http_status = 429

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
