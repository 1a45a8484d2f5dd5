"""Recent answers of the run endpoint, newest first, in a bounded in-memory ring per process.

Argo Rollouts drops the body of a non-2xx answer, so this is where an SRE reads why a measurement
was an Error: the verdict and reason, or the client error that refused the request.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from analyzer.models import Evaluation, Outcome, Threshold, finite_or_none, format_time

# A refused request (unknown check, bad arg, forbidden, overloaded) has no verdict; it is listed as this.
REJECTED = "rejected"
_MAX_ARGS = 32
_MAX_ARG_CHARS = 256

HistoryVerdict = Literal["pass", "fail", "inconclusive", "error", "rejected"]


class HistoryEntry(BaseModel):
    """One answer of the run endpoint: a verdict, or the client error that refused the request."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(description="increasing number of the entry in this process")
    recorded_at: datetime
    request_id: str
    check: str
    kind: str | None = None
    verdict: HistoryVerdict = Field(description="the verdict, or `rejected` when the request was refused")
    http_status: int
    reason: str = Field(description="the verdict's reason, or the client error's message")
    error: str | None = Field(default=None, description="error code (verdict error, or why it was rejected)")
    value: float | None = None
    threshold: Threshold = None
    args: dict[str, str | float] = Field(default_factory=dict)
    evaluated_at: datetime | None = None
    duration_ms: float | None = None
    catalog_version: str
    client: str | None = Field(default=None, description="name of the caller's token, when auth is on")
    user_agent: str | None = None
    details: dict[str, Any] | None = Field(default=None, description="evidence, with ?explain=true")

    @field_serializer("value")
    def _serialize_value(self, value: float | None) -> float | None:
        return finite_or_none(value)

    @field_serializer("recorded_at", "evaluated_at")
    def _serialize_time(self, value: datetime | None) -> str | None:
        return None if value is None else format_time(value)


class VerdictHistoryPage(BaseModel):
    """The body of `GET /api/v1/verdicts`."""

    capacity: int = Field(description="entries this process keeps; older ones are dropped")
    count: int = Field(description="entries in this page")
    entries: list[HistoryEntry] = Field(description="newest first")


def _bounded_args(args: Mapping[str, Any]) -> dict[str, str | float]:
    bounded: dict[str, str | float] = {}
    for name, value in itertools.islice(args.items(), _MAX_ARGS):
        key = str(name)[:_MAX_ARG_CHARS]
        bounded[key] = value if isinstance(value, float | int) and not isinstance(value, bool) \
            else str(value)[:_MAX_ARG_CHARS]
    return bounded


@dataclass(frozen=True, slots=True)
class _Evaluated:
    """An evaluated request as kept: the evaluation itself (immutable, often shared by coalesced requests)
    and the request's envelope. Recording sits on every answer's path; the entry is built when it is read."""

    seq: int
    recorded_at_s: float
    evaluation: Evaluation
    request_id: str
    catalog_version: str
    client: str | None
    user_agent: str | None

    @property
    def check(self) -> str:
        return self.evaluation.check

    @property
    def verdict(self) -> str:
        return self.evaluation.verdict.value

    def entry(self) -> HistoryEntry:
        evaluation = self.evaluation
        return HistoryEntry(
            seq=self.seq, recorded_at=datetime.fromtimestamp(self.recorded_at_s, UTC), request_id=self.request_id,
            check=evaluation.check, kind=evaluation.kind, verdict=evaluation.verdict.value,
            http_status=evaluation.http_status, reason=evaluation.reason, error=evaluation.error,
            value=evaluation.value, threshold=evaluation.threshold, args=evaluation.args,
            evaluated_at=evaluation.evaluated_at, duration_ms=evaluation.duration_ms,
            catalog_version=self.catalog_version, client=self.client, user_agent=self.user_agent,
            details=evaluation.details)


class VerdictHistory:
    """A ring of the last `capacity` entries."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: deque[HistoryEntry | _Evaluated] = deque(maxlen=capacity)
        self._seq = itertools.count(1)

    def __len__(self) -> int:
        return len(self._entries)

    def record_evaluation(self, evaluation: Evaluation, *, request_id: str, catalog_version: str,
                          client: str | None, user_agent: str | None) -> None:
        """Keep an evaluated request."""
        self._entries.append(_Evaluated(next(self._seq), time.time(), evaluation, request_id, catalog_version, client,
                                        (user_agent or "")[:_MAX_ARG_CHARS] or None))

    def record_rejection(self, check: str, *, http_status: int, error: str, message: str,
                         args: Mapping[str, Any], request_id: str, catalog_version: str, client: str | None,
                         user_agent: str | None) -> None:
        """Keep a refused request (it has no verdict; its raw args are truncated)."""
        self._entries.append(HistoryEntry(
            seq=next(self._seq), recorded_at=datetime.now(UTC), request_id=request_id, check=check[:128],
            verdict=REJECTED, http_status=http_status, reason=message, error=error, args=_bounded_args(args),
            catalog_version=catalog_version, client=client, user_agent=(user_agent or "")[:_MAX_ARG_CHARS] or None))

    def query(self, *, check: str | None = None, verdict: str | None = None, limit: int = 50,
              visible: Callable[[str], bool] = lambda _: True) -> list[HistoryEntry]:
        """Newest first, at most `limit`, filtered by exact check name and verdict."""
        return list(itertools.islice(self._matching(check, verdict, visible), limit))

    def _matching(self, check: str | None, verdict: str | None, visible: Callable[[str], bool]
                  ) -> Iterator[HistoryEntry]:
        for entry in reversed(self._entries):
            if check is not None and entry.check != check:
                continue
            if verdict is not None and entry.verdict != verdict:
                continue
            if visible(entry.check):
                yield entry.entry() if isinstance(entry, _Evaluated) else entry


HISTORY_VERDICTS: tuple[str, ...] = (*(o.value for o in Outcome), REJECTED)
