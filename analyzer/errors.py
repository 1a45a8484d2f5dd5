"""The analyzer's one error hierarchy; foreign exceptions are translated into it at the boundary.

Every error the analyzer raises on purpose, with the HTTP status of the API answer it becomes (an error
verdict of a check carries its error's `code`; the status applies where the API answers with an error):

* AnalyzerError (500)
  + ConfigError (500): the catalog or a setting is invalid
    . InvalidCatalog (500): the catalog's problems, with the checks found without one
  + CheckNotFound (404)
  + ArgError (400)
  + Unauthorized (401)
  + Forbidden (403)
  + Overloaded (429)
  + ShuttingDown (503): the process is draining after SIGTERM
  + BodyTimeout (408): the request body did not arrive in time
  + BodyTooLarge (413)
  + CheckError (500): no measurement could be taken; the verdict is `error`
    - SourceUnavailable (503)
      . TargetUnreachable (503): an HTTP check's target (http_smoke)
        . TargetConnectFailed (503): no connection was made, so retrying is safe
          . TargetConnectTimeout (503): none within the request's timeout; the last try is a TargetTimeout
      . SourceTimeout (504)
        . TargetTimeout (504)
    - SourceRejected (502)
      . TargetBadAnswer (502)
    - TargetRefused (500): the analyzer refused to send the request (allow-lists, addresses)
    - BodyBudgetExhausted (503): the service-wide response-body budget stayed taken
    - ConnectionsExhausted (503): every outbound connection of HTTP checks stayed taken
    - NoData (503)
    - DeadlineExceeded (504)
    - CheckMisconfigured (500)
      . MissingBucket (500): no histogram bucket bound equals the latency threshold (error_budget)
      . UnexplainedLabels (500): a Pyrra rule series carries labels no field of the check names (error_budget)
      . NoSeriesFound (500): no series of a metric (or with a label) the check reads, where it looked
    - MemberError (the member's status): a composite's member failed and its policy makes that an error

Not errors of the API: ResendableFailure carries a CheckError inside the Prometheus source, to say that
sending the query again is safe; UndeclaredMemberError (a RuntimeError) is a kind's bug, running a check its
`member_names()` does not declare, which becomes an internal_error verdict; Interrupted (a KeyboardInterrupt) is
the CLI's Ctrl-C, which ends the command whatever code it interrupts (never a check's internal error).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analyzer.models import clip

# Cap on how much of a foreign error's text is quoted in a reason.
_REASON_CHARS = 300
_ERRNO_RE = re.compile(r"\[Errno [^\]]+\] ([^'\"()]+)")


def short_reason(exc: BaseException, quote: Callable[[str], str] | None = None) -> str:
    """A foreign exception's text for a reason: the OS reason when it wraps one (`Connection refused`),
    else its text (or type name) clipped to 300 characters, or as `quote` cuts it (one that hides what the
    request carried, which a server's answer quoted in the exception may hold)."""
    text = str(exc) or type(exc).__name__
    errno_reason = _ERRNO_RE.search(text)
    if errno_reason:
        return errno_reason.group(1).strip()
    return clip(text, _REASON_CHARS) if quote is None else quote(text)


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
        # Set by the catalog's loader when the catalog's text alone and these files it names (path to
        # catalog_paths.file_state, as found) decided the refusal; None when something else may have.
        self.named_files: dict[Path, tuple[int, ...]] | None = None

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return self.message + ":\n" + "\n".join(f"  - {p}" for p in self.problems)


class InvalidCatalog(ConfigError):
    """A catalog with problems, carrying `valid_part`: a Catalog (this module imports none) of the checks found
    without one, which `analyzer validate` checks further (their PromQL), so that one run names every problem."""

    def __init__(self, problems: list[str], valid_part: Any) -> None:
        super().__init__("the catalog is invalid", problems)
        self.valid_part = valid_part


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


class ShuttingDown(AnalyzerError):
    """The process is draining after SIGTERM; another replica should answer (HTTP 503)."""

    code = "shutting_down"
    http_status = 503

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("this replica is shutting down; retry (another replica will answer)")
        self.retry_after_s = retry_after_s


class BodyTimeout(AnalyzerError):
    """The client did not send its request body in time (HTTP 408)."""

    code = "body_timeout"
    http_status = 408


class BodyTooLarge(AnalyzerError):
    """The request body is larger than the limit (HTTP 413)."""

    code = "body_too_large"
    http_status = 413


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
    """The check cannot be evaluated as configured: its definition, a file it names or its request (`at_fault`)."""

    code = "check_misconfigured"
    http_status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None, *, at_fault: str = "check") -> None:
        # Where to look, for whoever reads the page: "check" (its definition in the catalog), "file" (a file it
        # names, such as a ca_file, unreadable where it is mounted now), "request" (the request as built from the
        # check and the call's args, which httpx refuses: the args first when there are any). A verdict page words
        # its advice by it.
        super().__init__(message, details)
        self.at_fault = at_fault


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


class TargetUnreachable(SourceUnavailable):
    """The target could not be reached, or the connection broke during the exchange."""

    code = "target_unreachable"


class TargetConnectFailed(TargetUnreachable):
    """No connection was made (DNS failure, refused, connect timeout): safe to retry, nothing was sent."""

    code = "target_unreachable"


class TargetConnectTimeout(TargetConnectFailed):
    """No connection within the request's timeout: retried like any connection not made; the last try is a
    TargetTimeout."""

    code = "target_unreachable"


class TargetTimeout(SourceTimeout):
    """The target accepted the request but no complete answer came within the timeout."""

    code = "target_timeout"


class TargetBadAnswer(SourceRejected):
    """The target answered with something that is not valid HTTP (or too many redirects)."""

    code = "target_bad_answer"


class TargetRefused(CheckError):
    """The analyzer refused to send the request: the host or its address is not allowed."""

    code = "target_refused"
    http_status = 500


class BodyBudgetExhausted(CheckError):
    """The service-wide response-body budget stayed taken by other requests for longer than the step waits."""

    code = "body_budget_exhausted"
    http_status = 503


class ConnectionsExhausted(CheckError):
    """Every outbound connection HTTP checks may hold at once stayed taken for longer than the step waits."""

    code = "http_connections_exhausted"
    http_status = 503


class MissingBucket(CheckMisconfigured):
    """The latency threshold is not one of the histogram's bucket bounds."""

    def __init__(self, query: str) -> None:
        super().__init__(f"the histogram has traffic but no bucket matches the threshold ({query})")
        self.query = query


class UnexplainedLabels(CheckMisconfigured):
    """A Pyrra rule series whose labels no field of the check names (error_budget): `labels`, each with its value, are
    the ones a same-name SLO whose total adds matchers to pyrra.total's would carry, and `total` is pyrra.total's
    selector, whose raw series may show that every series of this SLO carries them; `groups`: the values of those
    labels that this SLO's rule series may carry, one mapping per series ("" for a label it lacks; `labels` alone
    unless given), which every raw series must show for the rules to be this SLO's; `range_s`: how far back the raw
    series are asked (None: over the longest window the check judges); `rules`: the query of the increase rule series
    whose labels these are ("" for a burnrate's), whose latest sample tells when their group last evaluated;
    `window_s`: the window of the burnrate whose labels these are (None for increase rules'), over which alone the raw
    series are asked when the longest window does not vouch for them."""

    def __init__(
        self,
        message: str,
        labels: Mapping[str, str],
        total: str,
        groups: Sequence[Mapping[str, str]] = (),
        range_s: float | None = None,
        rules: str = "",
        window_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.labels = dict(labels)
        self.total = total
        self.groups = tuple(dict(group) for group in groups) or (self.labels,)
        self.range_s = range_s
        self.rules = rules
        self.window_s = window_s


# How the note the runner ends a NoSeriesFound's reason with starts, as of a past time whose names have series now
# ("; evaluated as of T, a past time: ... likely before the oldest data the source keeps"): one quoting the reason
# clipped keeps it whole.
PAST_TIME_NOTE = "; evaluated as of "


class NoSeriesFound(CheckMisconfigured):
    """No series of a metric the check reads exist (or none carries a label it needs) at the evaluation time: a
    misspelled name, or, as of a past time, a time older than the data the source keeps. `names`: the metric names
    without a series, looked for in `source` (a PrometheusSource: this module imports none), for the runner to ask
    again as of now."""

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        source: Any = None,
        names: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, details)
        self.source = source
        self.names = names


class MemberError(CheckError):
    """A member could not be evaluated, and the composite's policy makes that an error of the whole."""

    code = "member_error"

    def __init__(self, message: str, http_status: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.http_status = http_status


class ResendableFailure(Exception):
    """A failure after which sending the query again is safe and may succeed: the request never reached
    Prometheus (no connection, a 408), or a proxy or Prometheus said it cannot serve now (502, 503)."""

    def __init__(self, error: CheckError, *, always: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        # Sent again even with `retry: false`: the request was never processed.
        self.always = always


class Interrupted(KeyboardInterrupt):
    """A SIGINT (Ctrl-C) the CLI received: the command stops, and no check judges it as its own crash."""


class UndeclaredMemberError(RuntimeError):
    """A kind ran a check its `member_names()` does not return, refused because the auth allow-list decides who
    may use a check from the names it declares."""
