"""`analyzer validate --prometheus URL`: a catalog checked against a live Prometheus before a rollout runs it.

Each check is dry-run with the example args its params declare, through the same runner and source as the
service, and every query it sent is read for its selectors: each metric name must exist in that Prometheus
(a recording rule's name must be recorded: Pyrra and Sloth rules are), each label a selector matches on must
be on that metric, each `le` bound matched on must be one of the histogram's buckets, and a histogram read
across its buckets must have one besides +Inf, and +Inf (for the series the selector matches, and for each group
of them an aggregation answers: promql_groups). The catalog
lookups are blocking calls through prometheus-api-client's PrometheusConnect, as suits a CLI.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from analyzer.catalog import Catalog
from analyzer.check import Check
from analyzer.errors import ArgError, CheckError, SourceRejected, SourceTimeout, SourceUnavailable, short_reason
from analyzer.models import Evaluation, clip, format_number, printable
from analyzer.params import ParamType, parse_duration, render_value, shown_args
from analyzer.promql_groups import (
    answer_label_list,
    bucket_reads,
    dropped_list_labels,
    fallback_label_lists,
    grouping_label_lists,
    relabelled_sources,
)
from analyzer.promql_names import needed_labels, range_durations, reads_as_regex, vector_selectors
from analyzer.promql_syntax import SyntaxProblem
from analyzer.redaction import MIN_HIDDEN_CHARS, scrubber
from analyzer.runner import ArgsPlan, Runner
from analyzer.sources import PrometheusSource, PrometheusSourceConfig, QueryResult, RulesListed, Sources
from analyzer.sources.prometheus import header_secrets, quoted, wait_asked
from analyzer.templates import promql_forms

# A recording rule's name has a colon (level:metric:operations); Pyrra and Sloth name theirs so.
_RECORDED_MARK = ":"
# The labels that tell one SLO's recording rules from another's under the same rule names: Pyrra names its rules
# after the metric (http_requests:burnrate5m, shared by every SLO of it) and sets `slo`; Sloth sets these.
_SLO_LABELS = frozenset({"slo", "sloth_id", "sloth_service", "sloth_slo"})
# How many of a label's values a problem lists.
_SHOWN_VALUES = 10
# Tries of each question to Prometheus: a CI job may start beside a port-forward that is not quite up, so two
# more, the last 1 s later; then a failure that says so (the library's default tries four times over about 6 s).
_ATTEMPTS = 3
_RETRY_BACKOFF_S = 0.5
# The range a series lookup covers: all a Prometheus keeps, as a label lookup without a range does (the fixtures'
# and a backfill's samples may lie ahead of now).
_SERIES_START = datetime.fromtimestamp(0, UTC)
_SERIES_END = datetime(9999, 1, 1, tzinfo=UTC)
# The reads an answer's body is taken in, each within requests' timeout, all within the question's.
_ANSWER_CHUNK_BYTES = 64 * 1024
# How many of a histogram's groups a problem names.
_SHOWN_GROUPS = 3


def _is_text(item: Any) -> bool:
    """Whether `item` of a label lookup's `data` is a name or a value."""
    return isinstance(item, str)


def _is_label_set(item: Any) -> bool:
    """Whether `item` of a series lookup's `data` is a series' label set."""
    return isinstance(item, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in item.items())


@dataclass
class CheckReport:
    """What the lint found for one check: its dry-run evaluation (None when it could not run), the queries
    it sent, and the problems of the catalog against that Prometheus."""

    check: str
    args: dict[str, str] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    not_run: str = ""
    queries: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The queries again, by the name of the source each was sent to: each source asks with its own headers.
    sent_to: dict[str, list[str]] = field(default_factory=dict)
    # The same, by the check that sent them (this one, or a member it runs): a name is optional only where the
    # check reading it says so, not wherever another check of the same evaluation does.
    sent_by: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # What the lint learnt that is no problem: a query promql-parser rejects and Prometheus accepted.
    notes: list[str] = field(default_factory=list)
    # The example args' values as sent, secret ones too (`args` shows those redacted): a label need not have them.
    arg_values: tuple[str, ...] = ()
    # The values a check not run was rendered with in their place (`_placeholder_reads`): no SLO need have one.
    placeholders: tuple[str, ...] = ()
    # The secret ones in the forms a query holds them: no problem or note quotes them.
    secrets: tuple[str, ...] = ()
    # Why Prometheus answered none of some queries of the dry run (a 5xx, a timeout): what they would have shown
    # (a refusal, a misconfiguration, the queries sent after them) is not known, so the check is not known clean.
    unanswered: list[str] = field(default_factory=list)
    # The problems of the queries of a check not run that no rendering the lint tries parses (`_placeholder_reads`):
    # the names they read are not checked, which is said, never a silent "0 problems".
    unread: list[str] = field(default_factory=list)
    # The dry run's queries the source refused with 401 or 403: the lint's credentials, not the check, are refused,
    # unless it answered other queries of the dry run (`answered`): then the refusal is of the query (a proxy's
    # policy on what a tenant may read).
    refused: list[str] = field(default_factory=list)
    # Whether the source answered a query of this check's dry run.
    answered: bool = False
    # Why this check was not dry-run though it could be: Prometheus stalled on an earlier check's queries. Not known
    # clean.
    skipped: str = ""
    # Every query of the dry run the source refused otherwise than with Prometheus' execution error (a state of the
    # data), with the refusal: 401 and 403 as above, a 400 bad_data, a 422, a proxy's 4xx, a redirect. A check that
    # judges around one (an error_budget period's) still answers, so its evaluation alone does not tell.
    rejected: list[tuple[str, str]] = field(default_factory=list)
    # Why the dry run of this check, or of a member it runs, crashed (a bug of its kind): the queries it would have
    # sent after the crash were never sent, so the check is not known clean.
    crashed: list[str] = field(default_factory=list)


# The check whose evaluation is running in this task (a member's evaluation is a task of its own).
_SENDER: ContextVar[str] = ContextVar("lint_sender", default="")


class _AttributingRunner(Runner):
    """A runner that tells a recording source which check (a composite, or one of its members) sends a query, and
    records in `crashed` the reason of each evaluation that crashed (a member's too, which its composite may judge
    around)."""

    crashed: list[str]

    async def _evaluate(
        self,
        check: Check,
        plan: ArgsPlan,
        at: datetime | None,
        backtest: bool,
        hidden: tuple[str, ...] = (),
        deadline_at: float | None = None,
        within_at: float | None = None,
    ) -> Evaluation:
        token = _SENDER.set(check.name)
        try:
            evaluation = await super()._evaluate(check, plan, at, backtest, hidden, deadline_at, within_at)
        finally:
            _SENDER.reset(token)
        if evaluation.error == _CRASHED:
            self.crashed.append(evaluation.reason)
        return evaluation


# A refusal of the query that is a refusal of who asks (a proxy guarding the query path alone), not of the query.
_AUTH_REFUSED_RE = re.compile(r"rejected the query \(HTTP 40[13]\b")
# A request timeout: the server (a proxy) did not take the request, sent again once already; no answer to the query.
_NOT_TAKEN_RE = re.compile(r"rejected the query \(HTTP 408\b")
# What a dry run asks a source whose query timed out, to tell a stalled Prometheus from one check's heavy query.
_PROBE = "vector(1)"


class _RecordingSource(PrometheusSource):
    """A Prometheus source that also records the PromQL it is asked to run, with the check sending it and its own
    name, in `sent`, and why Prometheus did not answer one, in `unanswered` (a member's failure may be judged
    around, so the evaluation alone does not tell)."""

    sent: list[tuple[str, str, str]]
    unanswered: list[str]
    refused: list[str]
    rejected: list[tuple[str, str]]
    answered: list[str]
    stalled: list[tuple[str, str]]
    # Why its rules API stalled (a listing timed out), once it did: every later listing of the dry run fails at once
    # rather than wait again (each Sloth or Pyrra check would wait half its deadline to learn nothing more).
    rules_stalled: str = ""

    @contextmanager
    def _recorded(self, promql: str) -> Iterator[None]:
        """Records `promql` as sent by the current check, then as answered, unanswered (`stalled` too, with the
        source's name, when it timed out: the runner bounds its timeout by the check's deadline) or refused by who
        asks."""
        self.sent.append((_SENDER.get(), self.name, promql))
        try:
            yield
        except SourceUnavailable as exc:
            self.unanswered.append(exc.message)
            if isinstance(exc, SourceTimeout):
                self.stalled.append((self.name, exc.message))
            raise
        except SourceRejected as exc:
            if _NOT_TAKEN_RE.search(exc.message):
                self.unanswered.append(exc.message)
                raise
            if _AUTH_REFUSED_RE.search(exc.message):
                self.refused.append(exc.message)
            if not _EXECUTION_FAILED_RE.search(exc.message):
                self.rejected.append((promql, exc.message))
            raise
        self.answered.append(promql)

    async def query(
        self, promql: str, at: datetime, timeout_s: float, *, encoded_promql: str | None = None
    ) -> QueryResult:
        with self._recorded(promql):
            return await super().query(promql, at, timeout_s, encoded_promql=encoded_promql)

    async def query_range(
        self,
        promql: str,
        start: datetime,
        end: datetime,
        step_s: float,
        timeout_s: float,
        *,
        encoded_promql: str | None = None,
    ) -> QueryResult:
        with self._recorded(promql):
            return await super().query_range(promql, start, end, step_s, timeout_s, encoded_promql=encoded_promql)

    async def recording_rules(self, timeout_s: float) -> RulesListed:
        """The rules API's listing, recorded as unanswered (once per source) when it timed out: later listings fail at
        once, saying an earlier one stalled. A listing still in flight when the check's own wait (half its deadline)
        ran out is awaited to its end, the source's timeout: one that answers within it is slow, not stalled, and the
        check reads it (in the service the next evaluations read it, kept)."""
        if self.rules_stalled:
            raise SourceTimeout(f"{self._where}'s rules API stalled on an earlier check's listing: not asked again")
        try:
            return await super().recording_rules(timeout_s)
        except SourceTimeout:
            listing = self._rules_listing
            waited_s = min(timeout_s, self.config.timeout_s)
            if listing is not None:
                try:
                    # Bounded: the listing was asked with the source's whole timeout.
                    return await asyncio.shield(listing)
                except SourceTimeout:
                    waited_s = self.config.timeout_s
            self.rules_stalled = f"{self._where}'s rules API did not answer within {format_number(waited_s)} s"
            self.unanswered.append(self.rules_stalled)
            raise SourceTimeout(self.rules_stalled) from None


# What a check not run is rendered with for a param that may name a metric, a label or a label value (valid as each
# of _NAMING_TYPES): a word no series has, and no catalog writes, so that a name or value holding it is a param's.
PLACEHOLDER = "analyzerplaceholder"
_NAMING_TYPES = (ParamType.LABEL_VALUE, ParamType.IDENTIFIER, ParamType.DNS_LABEL)


def example_args(check: Check) -> tuple[dict[str, str], str]:
    """The args a dry run uses (each param's `example`, else its default), or '' and why there are none."""
    args: dict[str, str] = {}
    for name, param in check.params.items():
        if param.example is not None:
            args[name] = str(param.example)
        elif param.required:
            return {}, f"param {name!r} is required and declares no `example`"
    return args, ""


def _placeholder_reads(check: Check, report: CheckReport) -> None:
    """For a check the dry run cannot run (a required param without `example`): the queries it would send, rendered
    as the offline parse renders them but with PLACEHOLDER for a param that may name a metric, a label or a value,
    recorded as sent to its one source, so that the metric and label names they read are still checked there; a
    placeholder is no name or value a series must have, while a default is read as the check reads it. A newcomer's
    first check has no `example`: its misspelt metric then passed as "0 problems"."""
    from analyzer.catalog import sample_secrets
    from analyzer.promql_syntax import parse_error, parsing_words, sample_args

    sources = check.source_names()
    if len(sources) != 1:
        return
    args = sample_args(check)
    placed = [name for name, param in check.params.items() if param.example is None and param.default is None]
    # Not the offline parse's `x`, which a written value may hold (code=~"5xx"): a value holding PLACEHOLDER is a
    # param's, so the names and values the check writes itself are all checked. An operator param stays a word
    # under which the queries parse (`op=or`).
    args = parsing_words(
        check, args | {name: PLACEHOLDER for name in placed if check.params[name].type in _NAMING_TYPES}
    )
    rendered = list(dict.fromkeys(query for _, query in check.promql(args)))
    queries = [query for query in rendered if parse_error(query) is None]
    # Its problems quote the queries, with the secret defaults in them.
    report.secrets += sample_secrets(check)
    shown = ", ".join(repr(name) for name in placed)
    report.unread = [
        f"the names this query reads are not checked: promql-parser cannot parse it with placeholders for the "
        f"params without `example` ({shown}): give them an `example` so the check is run here, and Prometheus "
        f"decides: {clip(' '.join(query.split()), 300)}"
        for query in rendered
        if query not in queries
    ]
    if not queries:
        return
    (source,) = sources
    report.not_run += " (add one to run the check here; the metric and label names it reads are checked without it)"
    report.queries = list(dict.fromkeys(queries))
    report.sent_to = {source: report.queries}
    report.sent_by = {check.name: {source: report.queries}}
    report.arg_values = tuple(
        render_value(args[name]) for name, param in check.params.items() if param.example is not None
    )
    report.placeholders = tuple(render_value(args[name]) for name in placed)


def _secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """The forms a query may hold `values` in, but those too short to be searched for (as the runner leaves them)."""
    return tuple(form for value in values if len(value) >= MIN_HIDDEN_CHARS for form in promql_forms(value))


def live_configs(catalog: Catalog, url: str, ca_file: Path | None = None) -> dict[str, PrometheusSourceConfig]:
    """Every source of the catalog pointed at `url`: its timeout, headers (a tenant) and TLS choice kept, its
    files (bearer_token_file, ca_file) dropped, since they live in the pod, not where CI runs; `ca_file`: the
    CA bundle `url` is verified with (the lint's --ca-file) instead."""
    return {
        name: config.model_copy(
            update={"url": PrometheusSourceConfig(url=url).url, "bearer_token_file": None, "ca_file": ca_file}
        )
        for name, config in catalog.sources.items()
    }


async def dry_run(
    catalog: Catalog, url: str, at: datetime | None, deadline_s: float, ca_file: Path | None = None
) -> list[CheckReport]:
    """Evaluate every check with its example args against `url`, one after the other, recording its queries."""
    sent: list[tuple[str, str, str]] = []
    unanswered: list[str] = []
    refused: list[str] = []
    rejected: list[tuple[str, str]] = []
    answered: list[str] = []
    stalled: list[tuple[str, str]] = []

    def recording(name: str, config: PrometheusSourceConfig) -> PrometheusSource:
        source = _RecordingSource(name, config)
        source.sent, source.unanswered, source.refused, source.answered = sent, unanswered, refused, answered
        source.rejected, source.stalled = rejected, stalled
        return source

    sources = Sources(live_configs(catalog, url, ca_file), make_prometheus=recording)
    runner = _AttributingRunner(catalog, sources, None, deadline_s)
    runner.crashed = []
    reports = []
    # Set once a check's queries stalled: a Prometheus that answers the names but holds its queries would cost each
    # check after it its whole deadline (a catalog of 40 checks: 40 deadlines), to learn nothing more.
    stall = ""
    try:
        for check in catalog.checks.values():
            if stall:
                reports.append(CheckReport(check.name, not_run=stall, skipped=stall))
                continue
            args, why = example_args(check)
            # A kind that measures only the present sends its requests now (http_smoke, a scorecard with one).
            if not check.measures_the_past():
                why = "it sends HTTP requests to its targets, which a catalog lint never does"
            secret = check.secret_params()
            report = CheckReport(
                check.name,
                shown_args(args, secret),
                not_run=why,
                arg_values=tuple(args.values()),
                secrets=_secret_forms(args[name] for name in secret if name in args),
            )
            reports.append(report)
            if why:
                if check.measures_the_past() and not args:
                    _placeholder_reads(check, report)
                continue
            try:
                bound = check.bind_args(args)
            except ArgError as exc:
                report.not_run = f"example args: {exc.message}"
                continue
            # As the queries hold them: a number example written 1234.0 is sent as 1234.
            report.secrets += _secret_forms(render_value(bound[name]) for name in secret if name in bound)
            sent.clear()
            stalled.clear()
            unanswered.clear()
            refused.clear()
            rejected.clear()
            answered.clear()
            runner.crashed.clear()
            report.evaluation = await runner.evaluate(check, bound, at)
            # A composite answers at its deadline without waiting for its members to unwind their cancellation (a
            # kind may send queries as it does): they are this check's, not the next one's, and go out before the
            # sources close.
            await runner.drain()
            report.unanswered = list(dict.fromkeys(unanswered))
            report.refused = list(dict.fromkeys(refused))
            report.rejected = list(dict.fromkeys(rejected))
            report.answered = bool(answered)
            report.crashed = list(dict.fromkeys(runner.crashed))
            for sender, name, promql in dict.fromkeys(sent):
                report.sent_by.setdefault(sender, {}).setdefault(name, []).append(promql)
            for name, promql in dict.fromkeys((name, promql) for _, name, promql in sent):
                report.sent_to.setdefault(name, []).append(promql)
            report.queries = list(dict.fromkeys(promql for _, _, promql in sent))
            if stalled and not await _answers_queries(sources.prometheus(stalled[0][0]), at, deadline_s):
                stall = (
                    f"Prometheus stalled on the queries of {check.name} ({stalled[0][1]}): the dry run stopped there "
                    "rather than wait out each check's deadline; run the lint again once Prometheus answers queries"
                )
    finally:
        await sources.aclose()
    return reports


async def _answers_queries(source: PrometheusSource, at: datetime | None, deadline_s: float) -> bool:
    """Whether `source` answers a query costing nothing (_PROBE) within its timeout and the check's deadline: when it
    does, the query that timed out was too heavy for its time, and Prometheus is not stalled. Not recorded."""
    try:
        await PrometheusSource.query(source, _PROBE, at or datetime.now(UTC), min(source.config.timeout_s, deadline_s))
    except CheckError:
        return False
    return True


class PrometheusCatalog:
    """What a Prometheus holds, asked through prometheus-api-client (blocking) and kept: metric names, the
    label names of each metric, and the `le` bounds of each histogram."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        headers: dict[str, str] | None = None,
        insecure: bool = False,
        ca_file: Path | None = None,
    ) -> None:
        """`headers`, `insecure` and `ca_file`: a source's, so that a querier asked as the service asks it (a
        tenant, behind a private CA) answers the same."""
        import requests
        from prometheus_api_client import PrometheusConnect
        from urllib3.exceptions import ReadTimeoutError
        from urllib3.util.retry import Retry

        self._url = url
        self._timeout_s = timeout_s

        class RetryUnlessAskedToWait(Retry):
            """urllib3's Retry, but an answer carrying Retry-After (a 429 or 503 of a server that says it is
            struggling, and when to come back) is not asked again: by default urllib3 sleeps as long as it asks (up
            to 6 hours) and asks again, twice."""

            def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
                return not has_retry_after and super().is_retry(method, status_code, has_retry_after)

            def increment(  # type: ignore[override]
                self, method: Any = None, url: Any = None, response: Any = None, error: Any = None, **kwargs: Any
            ) -> Retry:
                """urllib3's, but a read that timed out is not asked again: a Prometheus accepting and silent made
                each question wait its timeout three times. A connection closed unanswered (a port-forward whose
                pod is not up yet) still is."""
                if isinstance(error, ReadTimeoutError):
                    raise error
                return super().increment(method, url, response, error, **kwargs)

        retry = RetryUnlessAskedToWait(
            total=_ATTEMPTS - 1, backoff_factor=_RETRY_BACKOFF_S, status_forcelist=(408, 429, 500, 502, 503, 504)
        )
        # The library's session (it mounts the retries on it), kept for the one question it has no call for.
        self._session = requests.Session()
        # The wait the last answer asked for, said with the failure it ends in (the library's error drops headers).
        self._wait_asked: str | None = None
        self._session.hooks["response"] += [self._note_wait, self._read_by_deadline]
        # The library sets `verify` from disable_ssl only on a session of its own.
        self._session.verify = False if insecure else str(ca_file) if ca_file is not None else True
        self._headers = dict(headers or {})
        # A proxy in front of Prometheus may quote the request's credentials in its refusal, printed in a CI log.
        self._secrets, self._words = header_secrets(self._headers)
        self._client: Any = PrometheusConnect(
            url=url, headers=self._headers, timeout=timeout_s, retry=retry, session=self._session
        )
        self._names: set[str] | None = None
        self._labels: dict[str, set[str]] = {}
        self._values: dict[tuple[str, str], list[str]] = {}
        self._series: dict[str, list[dict[str, str]]] = {}

    def names(self) -> set[str]:
        """Every metric name Prometheus knows."""
        if self._names is None:
            self._names = set(
                self._listed(
                    "/api/v1/label/__name__/values", lambda: self._client.get_label_values("__name__"), _is_text
                )
            )
        return self._names

    def labels(self, name: str) -> set[str]:
        """The label names on the series of metric `name`."""
        if name not in self._labels:
            self._labels[name] = set(
                self._listed(
                    "/api/v1/labels", lambda: self._client.get_label_names(params={"match[]": [name]}), _is_text
                )
            )
        return self._labels[name]

    def bounds(self, name: str) -> list[str]:
        """The `le` values of metric `name` (a histogram's `_bucket` series), or of the series a selector of it
        matches."""
        return self.values("le", name)

    def values(self, label: str, name: str) -> list[str]:
        """The values of `label` on the series of metric `name`."""
        if (label, name) not in self._values:
            self._values[label, name] = self._listed(
                f"/api/v1/label/{label}/values",
                lambda: self._client.get_label_values(label, params={"match[]": [name]}),
                _is_text,
            )
        return self._values[label, name]

    def series(self, selector: str) -> list[dict[str, str]]:
        """The label sets of the series `selector` matches (over the time Prometheus keeps, as the label lookups)."""
        if selector not in self._series:
            self._series[selector] = self._listed(
                "/api/v1/series",
                lambda: self._client.get_series(_SERIES_START, _SERIES_END, params={"match[]": [selector]}),
                _is_label_set,
            )
        return self._series[selector]

    def retention(self) -> tuple[float, str] | None:
        """How long this Prometheus keeps samples (seconds, and its `storageRetention` as it says it); None when
        it does not say it by time: a size-only retention, or a querier without runtime info (Thanos, Mimir)."""
        answer = self._ask(
            lambda: self._session.get(
                f"{self._url}/api/v1/status/runtimeinfo",
                headers=self._headers,
                # Given here, as the library gives it: requests lets REQUESTS_CA_BUNDLE override the session's.
                verify=self._session.verify,
                timeout=self._timeout_s,
            )
        )
        if answer.status_code in (401, 403):
            # A querier that refuses the lint's credentials answers no question: not a querier that does not say.
            raise SourceUnavailable(
                f"cannot ask Prometheus at {self._url}: HTTP {answer.status_code} "
                f"({self._shown(answer.text.strip()) or 'no reason given'}) on /api/v1/status/runtimeinfo"
            )
        try:
            said = str(answer.json()["data"]["storageRetention"]) if answer.status_code == 200 else ""
        except (ValueError, KeyError, TypeError, RecursionError):
            return None
        # "15d", "10GiB", or "15d or 10GiB" when both bound it.
        for part in said.split(" or "):
            try:
                return parse_duration(part.strip()), part.strip()
            except ValueError:
                continue
        return None

    def _listed(self, path: str, call: Callable[[], Any], valid: Callable[[Any], bool]) -> list[Any]:
        """The `data` list the call's answer (to `path`) holds, each item `valid`; SourceUnavailable naming `path`
        for any other answer: an address that answers 200 with JSON of its own (a catch-all backend, a health page,
        `"data": null`) was a traceback, and a `data` of another shape read as a Prometheus without a single metric."""
        try:
            answer = self._ask(call)
        except (KeyError, TypeError):
            # prometheus-api-client reads `response.json()["data"]` of any 200: JSON without it, or not an object.
            answer = None
        if not isinstance(answer, list) or not all(valid(item) for item in answer):
            raise SourceUnavailable(
                f"cannot ask Prometheus at {self._url}: its answer to {path} is not a Prometheus API answer (HTTP 200 "
                "without a `data` list of what it asked for): is this the address of Prometheus' HTTP API?"
            )
        return answer

    def _read_by_deadline(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """A requests response hook: the body read whole within the question's timeout, else ReadTimeout. requests'
        timeout bounds each read alone: an answer trickling in (a byte within each timeout, a proxy streaming) kept
        the lint waiting for ever."""
        import requests

        deadline = time.monotonic() + self._timeout_s
        body = bytearray()
        for chunk in response.iter_content(_ANSWER_CHUNK_BYTES):
            body += chunk
            if time.monotonic() > deadline:
                response.close()
                raise requests.exceptions.ReadTimeout(
                    f"its answer to {urlsplit(response.url).path} was still arriving after {self._timeout_s:g} s "
                    f"({len(body)} bytes)"
                )
        # Read here, the body is what requests gives the library (`response.content`, which reads it otherwise).
        response._content = bytes(body)

    def _note_wait(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """A requests response hook: keep the Retry-After of a 429 or 503."""
        self._wait_asked = response.headers.get("Retry-After") if response.status_code in (429, 503) else None

    def _ask(self, call: Callable[[], Any]) -> Any:
        """The call's answer; SourceUnavailable (naming the URL) for every failure of requests or the library."""
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException
        from urllib3.exceptions import InsecureRequestWarning

        self._wait_asked = None
        try:
            with warnings.catch_warnings():
                # urllib3 warns of every unverified request: the source's `insecure: true` already said so.
                warnings.simplefilter("ignore", InsecureRequestWarning)
                return call()
        except (requests.RequestException, PrometheusApiClientException, ValueError) as exc:
            # Connection failures and retried statuses were tried _ATTEMPTS times; other failures once.
            tries = (
                f" ({_ATTEMPTS} tries)"
                if isinstance(exc, requests.ConnectionError | requests.exceptions.RetryError)
                else ""
            )
            reason = (
                _refusal(str(exc), self._shown)
                if isinstance(exc, PrometheusApiClientException)
                else f"{type(exc).__name__}: {short_reason(exc, self._shown)}"
            )
            wait = wait_asked(self._wait_asked and quoted(self._wait_asked, self._secrets, self._words))
            if wait:
                wait += ", so it was not asked again (run the lint once it has recovered)"
            raise SourceUnavailable(f"cannot ask Prometheus at {self._url}{tries}: {reason}{wait}") from exc
        except RecursionError as exc:
            # requests' json() reads with json.loads, which recurses once per level.
            raise SourceUnavailable(
                f"cannot ask Prometheus at {self._url}: it answered JSON nested too deeply to read (arrays or objects "
                "hundreds of levels deep; no Prometheus answer nests more than a few)"
            ) from exc

    def _shown(self, text: str) -> str:
        """`text` (an answer's body) as a message may quote it: the headers' secrets hidden as the service's
        Prometheus client hides them, cut short, printable."""
        return printable(clip(quoted(text, self._secrets, self._words), 200))


def _refusal(text: str, shown: Callable[[str], str]) -> str:
    """The library's "HTTP Status Code 404 (b'...')" as the status and its body's text, as `shown` quotes it; for
    a 404, which no Prometheus API answers, what the URL most likely has wrong."""
    import ast

    found = re.fullmatch(r"HTTP Status Code (\d+) \((b(['\"]).*\3)\)", text, re.S)
    if not found:
        return f"PrometheusApiClientException: {shown(text)}"
    body = ast.literal_eval(found.group(2)).decode("utf-8", "replace").strip()
    said = f"HTTP {found.group(1)} ({shown(body) or 'no reason given'})"
    if found.group(1) == "404":
        said += (
            "; no Prometheus API at this address: give Prometheus' base address (such as http://prometheus:9090, "
            "with the --web.route-prefix if it has one), without /api/v1"
        )
    return said


def problems_of(
    queries: list[str],
    prometheus: PrometheusCatalog,
    optional: Mapping[str, str] | None = None,
    arg_values: Sequence[str] = (),
    placeholders: Sequence[str] = (),
    written: str = "",
) -> tuple[list[str], list[str]]:
    """(problems, notes): every name, label and bound the queries read that this Prometheus does not have, but a
    name in `optional` (the check's `optional_names()`: name -> what its absence means), whose absence is a note
    (none when it means nothing: ""), and one of a name regex's alternatives `written` (the check's definition, as
    text) holds while another exists, a note too;
    `arg_values`: the dry run's args, whose values a label need not have yet (a canary not deployed); `placeholders`:
    the values a check not run was rendered with (`_placeholder_reads`), which no name, label, value, bucket bound or
    SLO need be."""
    written_regexes = [frozenset(regex.split("|")) for regex in _WRITTEN_NAME_REGEX_RE.findall(written)]
    optional = optional or {}
    found: list[str] = []
    notes: list[str] = []
    for query in queries:
        try:
            read = vector_selectors(query)
        except ValueError as exc:
            found.append(f"cannot read the selectors of {query!r}: {exc}")
            continue
        # A quantile reads buckets under any name: a recording rule's (`job:latency_seconds_bucket:rate5m`) too.
        quantile = _HISTOGRAM_QUANTILE_RE.search(query) is not None
        for selector in read:
            # `{__name__=~"old|new"}` the catalog wrote reads whichever exists: one missing is a note, all missing a
            # problem. Not a name a kind's regex holds alone (a presence query asking for each name it reads, each of
            # which it needs), but one of the check's regex it holds too (the names beside its fallback, in order).
            present = [name for name in selector.names if name in prometheus.names()]
            alternatives = [
                written_regex for written_regex in written_regexes if any(name in written_regex for name in present)
            ]
            for name in selector.names:
                if _placeheld(name, placeholders):
                    continue  # a param's metric name (an identifier), which the check run with its arg reads
                if name not in prometheus.names() and any(name in written_regex for written_regex in alternatives):
                    if name not in optional:
                        notes.append(
                            f"metric {name} does not exist in this Prometheus{_close_name(name, prometheus.names())}: "
                            f"the selector reads {' or '.join(n for n in selector.names if n in prometheus.names())} "
                            "instead, another name of its regex (a name to come, or one gone?)"
                        )
                    continue
                if name in optional and name not in prometheus.names():
                    if not optional[name]:
                        continue  # an absence that is normal: nothing to note
                    what = "recording rule" if _RECORDED_MARK in name else "metric"
                    hint = _close_name(name, prometheus.names(), _OPTIONAL_CUTOFF)
                    notes.append(
                        f"{what} {name} is not in this Prometheus{hint}, which the check allows: {optional[name]}"
                    )
                else:
                    found += _name_problems(
                        name, selector.matchers, prometheus, arg_values, quantile=quantile, placeholders=placeholders
                    )
                    problems, alternative_notes = _alternative_findings(
                        name, selector.matchers, prometheus, arg_values, placeholders
                    )
                    found += problems
                    notes += alternative_notes
                    notes += _vacuous_label_notes(name, selector.matchers, prometheus, placeholders)
    found += _slo_problems(queries, prometheus, placeholders)
    found += [problem for query in queries for problem in _group_problems(query, prometheus, placeholders)]
    found += [problem for query in queries for problem in _list_problems(query, prometheus, optional, placeholders)]
    for query in queries:
        problems, dropped_notes = _dropped_problems(query, placeholders)
        found += problems
        notes += dropped_notes
    return _one_line_for_a_missing_rule_group(list(dict.fromkeys(found))), list(dict.fromkeys(notes))


# A name regex of literal names in the check's definition as text (its repr: a quote may be escaped).
_WRITTEN_NAME_REGEX_RE = re.compile(r"""__name__\s*=~\s*\\?["']([A-Za-z0-9_:|]+)\\?["']""")


def _placeheld(text: str, placeholders: Sequence[str]) -> bool:
    """Whether `text` (a metric or label name, a label value) is a placeholder of a check not run, or holds one."""
    return bool(placeholders) and (text in placeholders or PLACEHOLDER in text)


def _list_problems(
    query: str, prometheus: PrometheusCatalog, optional: Mapping[str, str], placeholders: Sequence[str] = ()
) -> list[str]:
    """The label lists the check itself calls misspelt (beside a fallback: `ignoring (cdoe)`; a `by` at the query's
    top; a `by` or `on` anywhere: `max(sum by (servce) (x))`), none of whose labels any series of the metrics under
    them has: the list does nothing. A list over an optional name is not read, as the check does not; a missing name
    is a problem of its own. So are the source labels of a label_replace() or label_join(): none there, it writes
    its target from nothing."""
    lists = [*fallback_label_lists(query), *filter(None, [answer_label_list(query)]), *grouping_label_lists(query)]
    relabelling = relabelled_sources(query)
    found = []
    seen: set[tuple[str, object]] = set()
    for listed in [*lists, *relabelling]:
        # A list read twice (at the top of the answer, and where it stands) is said once, as first read.
        if (listed.written, listed.reads) in seen:
            continue
        seen.add((listed.written, listed.reads))
        names = sorted({name for names, _ in listed.reads for name in names})
        known = [name for name in names if name in prometheus.names()]
        if not known or any(name in optional for name in names):
            continue
        labels = sorted({label for name in known for label in prometheus.labels(name)} - {"__name__"})
        if any(label in labels or _placeheld(label, placeholders) for label in listed.labels):
            continue
        if listed.kept and (listed.kept in labels or _placeheld(listed.kept, placeholders)):
            continue  # a series without the source keeps its target: a fallback (`pod_name` or else `pod`)
        listed_labels = ", ".join(listed.labels)
        written, effect = (
            (listed.written, "so it writes its target label from nothing")
            if listed in relabelling
            else (f"label list {listed.written}", "so the list does nothing")
        )
        found.append(
            f"{written}: no series of metric {' or '.join(known)} has "
            f"{'label' if len(listed.labels) == 1 else 'any of labels'} {listed_labels}, {effect} "
            f"(their labels: {', '.join(labels)})"
        )
    return found


def _dropped_problems(query: str, placeholders: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(problems, notes): the `by` lists naming labels an aggregation under them dropped already (`max(sum by
    (service) (sum by (code) (x)))`, a `without (service)` under them, a histogram_quantile over `sum by (le)`), which
    no series read there has, whatever the metric has: a list keeping none of its labels makes one group (a problem: a
    bad service is averaged with the good), one keeping some groups by those alone (a note)."""
    problems, notes = [], []
    if "by" in placeholders:
        return [], []  # a param's word for `by` or `without` (`sum {{ mod }} (service) (...)`): either may be meant
    for dropped in dropped_list_labels(query):
        if any(_placeheld(label, placeholders) for label in (*dropped.dropped, *(dropped.carried or ()))):
            continue  # a label a param names: the placeholder is not it
        labels = ", ".join(dropped.dropped)
        if dropped.carried is None:
            # Removed by a `without`: every other label is carried.
            said = f"label list {dropped.written}: the expression under it removes {labels} (a `without` list)"
            fix = f"take {labels} out of the inner `without`"
        else:
            kept = ", ".join(sorted(dropped.carried)) or "none"
            said = (
                f"label list {dropped.written}: the aggregation under it drops {labels} (the series it reads carry at "
                f"most: {kept})"
            )
            fix = f"group the inner aggregation by {labels} too"
        if dropped.does_nothing:
            problems.append(f"{said}, so the list does nothing: one group; {fix}")
        else:
            notes.append(f"{said}, so it groups by the others alone")
    return problems, notes


def _alternative_findings(
    name: str,
    matchers: tuple[tuple[str, str, str], ...],
    prometheus: PrometheusCatalog,
    arg_values: Sequence[str] = (),
    placeholders: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """(problems, notes): the alternatives of a regex the catalog wrote (`service=~"checkout|chekout"`) that no value
    of `label` on `name` matches: a slip selects nothing for that alternative, read as no traffic there, but an
    alternative may be a value to come (a service not deployed yet), so a note, not a problem. Digit-only alternatives
    (`code=~"500|503"`) are left out, a code or a port not seen yet being the usual case, and regex ones (`5..`,
    `chekout.*`), which may match later. A regex no value matches at all, one of whose alternatives has a near twin
    (`=~"chekout|paymnts"` beside checkout), selects nothing, as `service="chekout"` does: a problem naming the twins.
    A regex of one literal value (`=~"chekout"`) is a list of one."""
    problems, notes = [], []
    for label, op, value in matchers:
        if (
            op != "=~"
            or label in _SLO_LABELS
            or label == "le"
            or _placeheld(value, placeholders)
            or any(arg in value for arg in arg_values if arg)
            or _REGEX_GROUPING_RE.search(value)
        ):
            continue
        values = prometheus.values(label, name)
        if not values:
            continue  # the label is on none of its series: a problem of its own when needed
        if _status_class_problems(name, label, op, value, prometheus):
            continue  # a problem of its own, which says the class can never match: no value of it is still to come
        missing = [
            alternative
            for alternative in value.split("|")
            if alternative
            and not alternative.isdigit()
            and not reads_as_regex(alternative)
            and not any(_full_match(alternative, known) for known in values)
        ]
        # Every alternative a slip or a value to come: the selector matches nothing now, which a near twin says is
        # a slip (a pass for ever under `or vector(0)`), as for a value written after `=`.
        twins = {alternative: twin for alternative in missing if (twin := _near_twin(alternative, values)) is not None}
        if twins and not any(_full_match(value, known) for known in values):
            meant = ", ".join(f"{json.dumps(slip)}: did you mean {json.dumps(twin)}?" for slip, twin in twins.items())
            # One literal value (`=~"chekout"`) is said as `service="chekout"` is.
            which = (
                f" (did you mean {json.dumps(twins[value])}?)"
                if value in twins
                else f", no alternative matching ({meant})"
            )
            problems.append(
                f"metric {name} has no series with {label}=~{json.dumps(value)}{which}: a selector that matches "
                "nothing reads as no data, or as zero under `or vector(0)`"
            )
            continue
        for alternative in missing:
            close = difflib.get_close_matches(alternative, values, n=1, cutoff=_VALUE_CUTOFF)
            hint = f" (did you mean {json.dumps(close[0])}?)" if close else ""
            which = (
                f"{label}=~{json.dumps(value)}"
                if alternative == value
                else f"{label} {json.dumps(alternative)}, an alternative of {label}=~{json.dumps(value)}"
            )
            notes.append(
                f"metric {name} has no series with {which}{hint}: a slip there selects nothing for it; a value still "
                "to come needs no change"
            )
    return problems, notes


# A regex whose alternatives are not the top level's split at `|`: groups, classes, escapes.
_REGEX_GROUPING_RE = re.compile(r"[()\[\]\\]")


def _group_problems(query: str, prometheus: PrometheusCatalog, placeholders: Sequence[str] = ()) -> list[str]:
    """The groups of a histogram (`sum by (le, service)`: each service; no aggregation: each series) whose buckets
    cannot answer what the query reads, while the union of the series the selector matches can, which the
    selector-level checks (`_name_problems`) then pass: +Inf alone or no +Inf under a quantile (that group is NaN
    whatever its latency: no data, and max, min or avg over the groups leave it out), or no bound an `le`
    matcher matches (that group has no series: it drops out of the answer, never judged)."""
    try:
        reads = bucket_reads(query)
    except ValueError:
        return []  # the offline parse reports it; the selector-level checks still ran
    found: list[str] = []
    for read in reads:
        if read.name not in prometheus.names():
            continue  # a problem of its own
        if any(_placeheld(value, placeholders) for _, _, value in read.matchers):
            continue  # a bound or a group a param chooses: the placeholder is none
        chosen = [m for m in read.matchers if m[0] == "le" and m[1] in ("=", "=~") and m[2]]
        across = not chosen and (read.quantile or read.name.endswith("_bucket"))
        if not chosen and not across:
            continue
        others = tuple(matcher for matcher in read.matchers if matcher not in chosen)
        selector = _selector(read.name, others)
        groups: dict[tuple[tuple[str, str], ...], set[str]] = {}
        for series in prometheus.series(selector):
            if "le" in series:  # series without `le` are no buckets
                groups.setdefault(read.grouping.key(series), set()).add(series["le"])
        how = read.grouping.describe()
        if across:
            found += _quantile_group_problems(read.name, groups, how)
        elif read.quantile:
            one = read.grouping.mode == "by" and read.grouping.labels in ((), ("le",))
            where = f"among the series {selector} matches" if one else None
            found += _chosen_quantile_problems(read.name, chosen, groups, how, where)
        for label, op, value in chosen:
            bounds = prometheus.bounds(read.name)
            if not any(bound == value if op == "=" else _full_match(value, bound) for bound in bounds):
                continue  # no bound of the metric at all: `_name_problems` says so
            missing = {
                key: found_bounds
                for key, found_bounds in groups.items()
                if not any(b == value if op == "=" else _full_match(value, b) for b in found_bounds)
            }
            if not missing:
                continue
            first = ", ".join(sorted(missing[min(missing)], key=_bound_order))
            if read.grouping.labels in ((), ("le",)) and read.grouping.mode == "by":
                # One group: the selector's own series, whatever the other series of the metric have.
                found.append(
                    f"no bucket bound of {read.name} matches {label}{op}{json.dumps(value)} among the series "
                    f"{selector} matches (their bounds: {first}): the query reads no series of them, which reads as "
                    "no data, or as zero under `or vector(0)`"
                )
            else:
                found.append(
                    f"no bucket bound of {read.name} matches {label}{op}{json.dumps(value)} in "
                    f"{_shown_groups(missing, len(groups), how)} of the series the query reads (bounds of the "
                    f"first: {first}): such a group has no series, so it drops out of the answer and is never judged"
                )
    return found


def _quantile_group_problems(name: str, groups: dict[tuple[tuple[str, str], ...], set[str]], how: str) -> list[str]:
    """The groups of a histogram read across its buckets that have +Inf alone, or no +Inf, when the union of
    their bounds has both (else the selector-level check says it for all of them)."""
    union = set().union(*groups.values()) if groups else set()
    if len(groups) < 2 or union == {"+Inf"} or "+Inf" not in union:
        return []
    found = []
    for cannot, lack in (
        ({key: b for key, b in groups.items() if b == {"+Inf"}}, "only the +Inf bucket"),
        ({key: b for key, b in groups.items() if "+Inf" not in b}, "no +Inf bucket"),
    ):
        if cannot:
            has, it = ("has", "it") if len(cannot) == 1 else ("have", "each")
            found.append(
                f"histogram {name}: {_shown_groups(cannot, len(groups), how)} {has} {lack}: a quantile over {it} "
                f"is NaN, which the check reads as no data whatever its latency (and max, min or avg over the groups "
                "leave it out); give the histogram its buckets, +Inf among them, wherever it is measured"
            )
    return found


def _chosen_quantile_problems(
    name: str,
    chosen: list[tuple[str, str, str]],
    groups: dict[tuple[tuple[str, str], ...], set[str]],
    how: str,
    where: str | None,
) -> list[str]:
    """The groups whose buckets that `le` matchers choose for a quantile (`le=~"0.1|0.5|Inf"`) lack +Inf, or are
    +Inf alone: a quantile over them is NaN whatever the latency. A group with no bucket chosen is said apart.
    `where`: the one group, named, when the query reads the series as one."""
    picked = {
        key: {b for b in bounds if all(b == v if op == "=" else _full_match(v, b) for _, op, v in chosen)}
        for key, bounds in groups.items()
    }
    cannot = {key: bounds for key, bounds in picked.items() if bounds and (bounds == {"+Inf"} or "+Inf" not in bounds)}
    if not cannot:
        return []
    shown = " ".join(f"le{op}{json.dumps(value)}" for _, op, value in chosen)
    first = ", ".join(sorted(cannot[min(cannot)], key=_bound_order))
    return [
        f"histogram {name}: the buckets {shown} chooses for a quantile "
        f"{where or 'in ' + _shown_groups(cannot, len(groups), how)} ({first}) are +Inf alone or lack +Inf: a "
        "quantile over them is NaN, which the check reads as no data whatever the latency; choose +Inf and a finite "
        "bound"
    ]


def _shown_groups(groups: Mapping[tuple[tuple[str, str], ...], object], total: int, how: str) -> str:
    """`the group {service="eb-api"} (1 of 4 groups by (service))`, a few named when there are more."""
    shown = [
        "{" + ",".join(f"{label}={json.dumps(value, ensure_ascii=False)}" for label, value in key) + "}"
        for key in sorted(groups)[:_SHOWN_GROUPS]
    ]
    more = f" and {len(groups) - _SHOWN_GROUPS} more" if len(groups) > _SHOWN_GROUPS else ""
    noun = "the series" if how == "series" else "the group" if len(groups) == 1 else "the groups"
    return f"{noun} {', '.join(shown)}{more} ({len(groups)} of {total} {how})"


_SHOWN_RULES = 3
# How close an existing name must be to an absent optional one to be suggested: a misspelt entry of
# optional_metrics reads as zero errors for ever, so a near twin is worth naming, but an absence is normal and a
# loose suggestion (payments_queue_depth for payments_failures_total) only misleads.
_OPTIONAL_CUTOFF = 0.85
_LABEL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HISTOGRAM_QUANTILE_RE = re.compile(r"\bhistogram_quantile\s*\(")
_UNRECORDED = re.compile(
    r"recording rule (\S+) is not recorded in this Prometheus: is its rule group \(Pyrra, Sloth\) loaded\?"
    r"(?: \(did you mean (\S+)\?\))?"
)


def _one_line_for_a_missing_rule_group(problems: list[str]) -> list[str]:
    """The recording rules a check reads that are absent, as one problem: one cause (the SLO's rule group is not
    loaded here, or its metric prefix is misspelt), not one line per window."""
    missing = [found for problem in problems if (found := _UNRECORDED.fullmatch(problem))]
    if len(missing) < 2:
        return problems
    shown = [found.group(1) for found in missing[:_SHOWN_RULES]]
    more = f" and {len(missing) - _SHOWN_RULES} more" if len(missing) > _SHOWN_RULES else ""
    close = list(dict.fromkeys(found.group(2) for found in missing[:_SHOWN_RULES] if found.group(2)))
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    first = problems.index(missing[0].group(0))
    others = [problem for problem in problems if not _UNRECORDED.fullmatch(problem)]
    return [
        *others[:first],
        f"recording rules {', '.join(shown)}{more} are not recorded in this Prometheus: is their rule group "
        f"(Pyrra, Sloth) loaded?{hint}",
        *others[first:],
    ]


def _slo_problems(queries: list[str], prometheus: PrometheusCatalog, placeholders: Sequence[str] = ()) -> list[str]:
    """An SLO label value (`slo="x"`, `sloth_id="x"`) that none of the existing recording rules the queries read
    under it has: that SLO's rules are not recorded (a misspelled SLO name, a rule group not loaded). One rule
    having it is enough: a burnrate rule records nothing for a service without errors, while Pyrra's increase
    rule and Sloth's slo:objective:ratio record for every loaded SLO. `placeholders`: values of a check not run (see
    problems_of), no SLO's name. Several such labels of one selector (Sloth's `sloth_service` and `sloth_slo`) must
    be on one series together: each value may be another SLO's."""
    rules: dict[tuple[str, str], list[str]] = {}
    together: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for query in queries:
        try:
            read = vector_selectors(query)
        except ValueError:
            continue  # reported by problems_of
        for selector in read:
            recorded = [name for name in selector.names if _RECORDED_MARK in name]
            pairs = tuple(
                sorted(
                    {
                        (label, value)
                        for label, op, value in selector.matchers
                        if op == "=" and value and label in _SLO_LABELS and not _placeheld(value, placeholders)
                    }
                )
            )
            for pair in pairs:
                names = rules.setdefault(pair, [])
                names += [name for name in recorded if name not in names]
            if len(pairs) > 1:
                names = together.setdefault(pairs, [])
                names += [name for name in recorded if name not in names]
    found = []
    missing: set[tuple[str, str]] = set()
    for (label, value), names in rules.items():
        known = [name for name in names if name in prometheus.names()]  # a missing name is a problem of its own
        if not known:
            continue
        values = sorted(
            {found for name in _slo_rules(label, known, prometheus) for found in prometheus.values(label, name)}
        )
        if value in values:
            continue
        missing.add((label, value))
        close = difflib.get_close_matches(value, values, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        shown = ", ".join(values[:_SHOWN_VALUES]) + (", ..." if len(values) > _SHOWN_VALUES else "")
        rules_read = known[0] if len(known) == 1 else f"{known[0]} and {len(known) - 1} more"
        found.append(
            f"the recording rules the check reads ({rules_read}) have no series with "
            f"{label}={json.dumps(value)}{hint}; they have {label}: {shown or 'none'}. Is that SLO's rule group "
            "(Pyrra, Sloth) loaded?"
        )
    for pairs, names in together.items():
        known = [name for name in names if name in prometheus.names()]
        # A value no rule has is said above; each value on some rule may still be another SLO's.
        if not known or missing & set(pairs):
            continue
        matchers = tuple((label, "=", value) for label, value in pairs)
        if any(
            prometheus.series(_selector(name, matchers))
            for name in _slo_rules(min(label for label, _ in pairs), known, prometheus)
        ):
            continue
        rules_read = known[0] if len(known) == 1 else f"{known[0]} and {len(known) - 1} more"
        written = ", ".join(f"{label}={json.dumps(value)}" for label, value in pairs)
        found.append(
            f"the recording rules the check reads ({rules_read}) have no series with {written} together, though "
            "each of these values is on some of them (another SLO's): is that SLO's rule group (Pyrra, Sloth) "
            "loaded, and are these its names?"
        )
    return found


def _slo_rules(label: str, known: list[str], prometheus: PrometheusCatalog) -> list[str]:
    """The recording rules an SLO label's values are looked up on: those the check reads (`known`, which exist), and
    for Sloth's labels (`sloth_id`, `sloth_service`, `sloth_slo`) the rules Sloth records for each SLO it loads,
    `slo:objective:ratio`, and its error ratios over every window: a ratio rule the check reads has no series while
    its SLO's errors have none (errors / requests over no error series is empty), which is no SLO missing."""
    if not label.startswith("sloth_"):
        return known
    recorded = sorted(name for name in prometheus.names() if name in _SLOTH_RULES or name.startswith(_SLOTH_RATIOS))
    return list(dict.fromkeys([*known, *recorded]))


# The rules Sloth records for every SLO it loads, whatever its errors, and the prefix of its error ratio rules.
_SLOTH_RULES = frozenset({"slo:objective:ratio"})
_SLOTH_RATIOS = "slo:sli_error:ratio_rate"


def _name_problems(
    name: str,
    matchers: tuple[tuple[str, str, str], ...],
    prometheus: PrometheusCatalog,
    arg_values: Sequence[str] = (),
    *,
    quantile: bool = False,
    placeholders: Sequence[str] = (),
) -> list[str]:
    known = prometheus.names()
    if name not in known:
        # A recording rule is meant by another recorded name (a misspelt prefix), never by a raw metric: the check
        # cannot read one there.
        hint = _close_name(name, {k for k in known if _RECORDED_MARK in k} if _RECORDED_MARK in name else known)
        if _RECORDED_MARK in name:
            return [
                f"recording rule {name} is not recorded in this Prometheus: is its rule group (Pyrra, Sloth) "
                f"loaded?{hint}"
            ]
        return [f"metric {name} does not exist in this Prometheus{hint}"]
    found = []
    labels = prometheus.labels(name)
    # Only matchers that cannot match the empty value need the label, as the check reads them (`x!=""`, `x=~"5.."`;
    # not `x=~"5..|"`, `x!="a"`, `x=""`, which match series without it too).
    needed = needed_labels(_selector(name, matchers))
    for label, op, value in matchers:
        if _placeheld(label, placeholders) or _placeheld(value, placeholders):
            continue  # a label, a value or a bound a param gives, which the placeholder is not
        if label not in labels:
            if label in needed:
                hints = _RULE_LABEL_HINTS if _RECORDED_MARK in name else _LABEL_HINTS
                found.append(
                    f"label {label} is not on metric {name} (its labels: {', '.join(sorted(labels))})"
                    + hints.get(label, "")
                )
        elif label == "le" and op in ("=", "=~") and value:
            bounds = prometheus.bounds(name)
            if not any(bound == value if op == "=" else _full_match(value, bound) for bound in bounds):
                found.append(
                    f"no bucket bound of {name} matches le{op}{json.dumps(value)} (its bounds: "
                    f"{', '.join(sorted(bounds, key=_bound_order))})"
                )
        elif (
            op in ("=", "=~")
            and value
            and label not in _SLO_LABELS
            and not any(arg in value for arg in arg_values if arg)
        ):
            slip = _value_problems(name, label, value, prometheus) if op == "=" else []
            found += slip or _status_class_problems(name, label, op, value, prometheus)
    # Read across its buckets (a quantile): with +Inf alone (or without +Inf) every quantile is NaN, which a check
    # reads as no data, so it never judges whatever the latency. The buckets of the series the selector matches:
    # a histogram may have buckets for other services and +Inf alone for this one.
    # In a query calling histogram_quantile(), any name: series without `le` have no bounds, and are no problem.
    quantile_read = (quantile or name.endswith("_bucket")) and not any(label == "le" for label, _, _ in matchers)
    if quantile_read:
        bounds, which = prometheus.bounds(name), f"histogram {name}"
        selector = _selector(name, matchers)
        # When the example args match no series (a canary hash of the catalog's examples), the metric's bounds speak.
        selected = prometheus.bounds(selector) if matchers else []
        if selected and selected != bounds:
            bounds, which = selected, f"histogram {name} (the series {selector} matches)"
        if bounds == ["+Inf"]:
            found.append(
                f"{which} has only the +Inf bucket: a quantile over it is NaN, which the check reads as no data "
                "whatever the latency; give the histogram buckets where it is measured"
            )
        elif bounds and "+Inf" not in bounds:
            found.append(
                f"{which} has no +Inf bucket: a quantile over it is NaN, which the check reads as no data "
                "whatever the latency; give the histogram its +Inf bucket"
            )
    return found


def _vacuous_label_notes(
    name: str, matchers: tuple[tuple[str, str, str], ...], prometheus: PrometheusCatalog, placeholders: Sequence[str]
) -> list[str]:
    """A note for each matcher on a label no series of `name` carries that matches the empty value (`cdoe!="500"`,
    `cdoe!~"5.."`, `cdoe=~".*"`, `cdoe=~"5..|"`): it matches every series, so it selects nothing away. A correct
    catalog may write one (a label some installations have), so it is no problem; but a slip of a label the series
    do carry (`cdoe` for `code`) makes a good-events ratio count the errors as good, a pass for ever."""
    if name not in prometheus.names():
        return []
    labels = prometheus.labels(name)
    needed = needed_labels(_selector(name, matchers))
    notes = []
    for label, op, value in matchers:
        if label in labels or label in needed or label == "__name__":
            continue
        if _placeheld(label, placeholders) or _placeheld(value, placeholders):
            continue
        shown = _selector(name, ((label, op, value),))[len(name) + 1 : -1]
        notes.append(
            f"label {label} is not on metric {name}{_close_name(label, labels - {'__name__'})}, so {shown} matches "
            f"every series of it and selects nothing away (its labels: {', '.join(sorted(labels))})"
        )
    return notes


# What to do when a label a canary check selects on is not scraped at all: Argo Rollouts labels each ReplicaSet's
# pods rollouts-pod-template-hash, but Prometheus carries a pod's label onto its series only when the scrape says
# so (the Prometheus Operator's podTargetLabels, or a relabel_config).
_LABEL_HINTS = {
    "rollouts_pod_template_hash": (
        ": Argo Rollouts labels each ReplicaSet's pods rollouts-pod-template-hash, and Prometheus puts a pod's label "
        "on the series it scrapes only when told to: podTargetLabels: [rollouts-pod-template-hash] in the "
        "ServiceMonitor or PodMonitor (Prometheus Operator), or a relabel_config copying "
        "__meta_kubernetes_pod_label_rollouts_pod_template_hash to rollouts_pod_template_hash"
    )
}


# A recording rule drops every label its expression does not group by, whatever the scrape keeps: the scrape hint
# above would send a team to fix a ServiceMonitor that is not the problem.
_RULE_LABEL_HINTS = {
    "rollouts_pod_template_hash": (
        ": a recording rule keeps only the labels its expression groups by (Pyrra's rules their SLO's grouping, "
        "Sloth's none but the SLO's own), whatever the scrape keeps, so it cannot tell the canary from the stable "
        "pods; judge the canary from the raw counters (an error_budget check with ratio: errors and total selecting "
        'rollouts_pod_template_hash="{{ canary_hash }}"), and the SLO as it is recorded in a check of its own'
    )
}


def _selector(name: str, matchers: tuple[tuple[str, str, str], ...]) -> str:
    """The vector selector of metric `name` with these matchers (label, operator, unquoted value)."""
    if not matchers:
        return name
    # A label name quoted only when it must be (Prometheus 3 syntax, which Prometheus 2 refuses).
    shown = [
        (
            label if _LABEL_NAME_RE.fullmatch(label) else json.dumps(label, ensure_ascii=False),
            op,
            json.dumps(value, ensure_ascii=False),
        )
        for label, op, value in matchers
    ]
    return name + "{" + ",".join(label + op + value for label, op, value in shown) + "}"


def _value_problems(name: str, label: str, value: str, prometheus: PrometheusCatalog) -> list[str]:
    """A value the catalog wrote that `label` of `name` does not have while a near twin of it does: a slip
    (service="payment" for "payments") selects nothing, which `or vector(0)` reads as zero errors, a pass for
    ever. A value without a twin is no problem: it may only not have happened yet (code="503")."""
    values = prometheus.values(label, name)
    if value in values:
        return []
    # A regex written after `=` (code="5.." for code=~"5.."): equality selects nothing, ever.
    matched = [known for known in values if reads_as_regex(value) and _full_match(value, known)]
    if matched:
        return [
            f"metric {name} has no series with {label}={json.dumps(value)}, which compares for equality; as a regex "
            f"it would match {', '.join(json.dumps(known) for known in matched[:_SHOWN_VALUES])}"
            f"{', ...' if len(matched) > _SHOWN_VALUES else ''}: did you mean {label}=~{json.dumps(value)}? A "
            "selector that matches nothing reads as no data, or as zero under `or vector(0)`"
        ]
    twin = _near_twin(value, values)
    if twin is None:
        return []
    return [
        f"metric {name} has no series with {label}={json.dumps(value)} (did you mean {json.dumps(twin)}?): "
        "a selector that matches nothing reads as no data, or as zero under `or vector(0)`"
    ]


def _near_twin(value: str, values: Iterable[str]) -> str | None:
    """The value of `values` that `value` is most likely a slip for, or None. A twin that differs only in digits is
    another of a numbered family, not a slip: version="v1.2.4" beside v1.2.3 (not deployed yet), code="5000",
    env="prod2", a hash beside another."""
    skeleton = _DIGITS_RE.sub("", value)
    twins = [known for known in values if _DIGITS_RE.sub("", known) != skeleton]
    close = difflib.get_close_matches(value, twins, n=1, cutoff=_VALUE_CUTOFF)
    return close[0] if close else None


def _status_class_problems(name: str, label: str, op: str, value: str, prometheus: PrometheusCatalog) -> list[str]:
    """A status class written as a dashboard names it (`code=~"5xx"`, `code="5XX"`) on a label whose every value is
    an HTTP status code (`503`): it matches no code, so it selects nothing, ever, which `or vector(0)` reads as zero
    errors, a pass for ever, and which has no near twin to name."""
    # Only a value with a letter: a digits-only one (`code="5000"`, a port's `=~"8080"`) may be another numbered
    # family; and only when every value seen is a code: HAProxy's exporter writes its classes, code="5xx".
    if _LETTER_RE.search(value) is None:
        return []
    values = prometheus.values(label, name)
    if not values or not all(_HTTP_STATUS_RE.fullmatch(known) for known in values):
        return []
    if any(_full_match(value, code) if op == "=~" else value == code for code in _HTTP_STATUSES):
        return []
    meant = _STATUS_CLASS_RE.sub(lambda digit: digit.group(1) + "..", value)
    hint = (
        f"; for a status class write {label}=~{json.dumps(meant)}"
        if meant != value and any(_full_match(meant, code) for code in _HTTP_STATUSES)
        else ""
    )
    shown = ", ".join(sorted(values)[:_SHOWN_VALUES]) + (", ..." if len(values) > _SHOWN_VALUES else "")
    return [
        f"metric {name} has no series with {label}{op}{json.dumps(value)}, and can have none: its {label} values "
        f"are HTTP status codes ({shown}), and {json.dumps(value)} matches no code from 100 to 599, so the selector "
        f"matches nothing, ever, which reads as no data, or as zero under `or vector(0)` (a pass for ever){hint}"
    ]


_LETTER_RE = re.compile(r"[A-Za-z]")
_HTTP_STATUS_RE = re.compile(r"[1-5][0-9][0-9]")
_HTTP_STATUSES = [str(code) for code in range(100, 600)]
# A class as dashboards and docs write it: 5xx, 4XX.
_STATUS_CLASS_RE = re.compile(r"\b([1-5])[xX]{2}\b")


# How close a label's existing value must be to a missing one for the missing one to be a slip: service="payment"
# beside "payments" (0.93) is; code="503" beside "500" (0.67) may just not have happened yet.
_VALUE_CUTOFF = 0.85
_DIGITS_RE = re.compile(r"\d")


def _close_name(name: str, known: set[str], cutoff: float = 0.6) -> str:
    """The hint naming the known name closest to a missing one (difflib's ratio at least `cutoff`), or ""."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
    return f" (did you mean {close[0]}?)" if close else ""


def _full_match(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except (re.error, RecursionError):
        # An RE2 construct Python lacks, or groups nested deeper than re's parser recurses (RE2 takes 1000):
        # Prometheus accepted it, so no claim is made.
        return True


def _bound_order(bound: str) -> float:
    try:
        return float(bound)
    except ValueError:
        return float("inf")


def lint(
    catalog: Catalog,
    url: str,
    at: datetime | None = None,
    deadline_s: float = 8.0,
    ca_file: Path | None = None,
    unparsed: Sequence[SyntaxProblem] = (),
) -> list[CheckReport]:
    """Dry-run every check against `url` and check what its queries read exists there, and is still kept;
    `ca_file`: the CA bundle to verify an https `url` with (default: certifi's, as the service); `unparsed`: the
    offline parse's findings, which Prometheus overrules for a query it was asked (`parser_findings`)."""
    # One client per way of asking (a source's headers and TLS choice), every source asked once at least.
    configs = live_configs(catalog, url, ca_file)
    clients: dict[tuple[tuple[tuple[str, str], ...], bool], PrometheusCatalog] = {}
    asking: dict[str, PrometheusCatalog] = {}
    for name, config in configs.items():
        key = (tuple(sorted(config.headers.items())), config.insecure)
        if key not in clients:
            clients[key] = PrometheusCatalog(config.url, deadline_s, config.headers, config.insecure, ca_file)
        asking[name] = clients[key]
    # Asked first: a Prometheus that does not answer (down, or accepting and silent) is said once, at its first
    # question, rather than after each check's dry run waited out its deadline.
    for client in clients.values():
        client.names()
    reports = asyncio.run(dry_run(catalog, url, at, deadline_s, ca_file))
    by_check = {problem.check: problem for problem in unparsed}
    for report in reports:
        report.problems = _refused(report)
        if report.check in by_check:
            report.problems, report.notes = parser_findings(report, by_check[report.check])
        if not report.problems:
            report.problems = _rejected(report)
        for sender, by_source in report.sent_by.items():
            optional = catalog.checks[sender].optional_names() if sender in catalog.checks else {}
            written = repr(catalog.checks[sender].model_dump()) if sender in catalog.checks else ""
            for name, queries in by_source.items():
                problems, notes = problems_of(
                    queries, asking[name], optional, report.arg_values, report.placeholders, written
                )
                report.problems += problems
                report.notes = list(dict.fromkeys([*report.notes, *notes]))
    refused = [scrubber(report.secrets)(reason) for report in reports for reason in report.refused]
    # The query path answering some query (another check's, another tenant's), a refusal is of the query: the check's
    # problem (`_rejected`), the others' problems still said.
    if refused and not any(report.answered for report in reports):
        # Refused for who asks (the query path guarded alone, the names and labels answered): the catalog is not what
        # is wrong, and the queries refused were not judged.
        raise SourceUnavailable(
            f"cannot ask Prometheus at {url}: its query API refuses the lint's requests (HTTP 401 or 403 on "
            f"/api/v1/query), so the dry run's queries were not judged: {refused[0]}; the lint sends each source's "
            "headers, but not its bearer_token_file (it lives in the pod)"
        )
    retentions = {id(client): client.retention() for client in clients.values()}
    for report in reports:
        report.problems += _misconfigured(report)
        rule_problems, rule_notes = _rules_findings(report)
        report.problems += rule_problems
        report.notes += rule_notes
        if report.rejected and not _rejected(report):
            # Refused (while the query API answers others), and judged around (an error_budget period's): the check
            # still answered, but what that query would give is not checked, and every evaluation is refused it too.
            query, reason = report.rejected[0]
            shown = clip(" ".join(query.split()), 300)
            report.problems.append(
                f"the source refuses a query of the check ({reason}), which it judges around, so what it would "
                "answer is not checked: fix the query (a 400 bad_data or VictoriaMetrics' 422 is its PromQL), or the "
                f"source's headers or address if the refusal is not about it; the query: {shown}"
            )
        if report.check not in by_check:
            # A check that skips the offline parse on purpose (skip_promql_parse) and has no `example` to run: its
            # queries are not read, which is said, but nothing is found missing (the offline parse's finding says it
            # of a check that does not skip it).
            report.notes += report.unread
        for name, queries in report.sent_to.items():
            report.problems += retention_problems(queries, retentions[id(asking[name])])
        report.problems = list(dict.fromkeys(report.problems))
        if report.secrets:
            # Problems quote the queries and selectors the dry run sent, which hold the example args.
            scrub = scrubber(report.secrets)
            report.problems, report.notes = scrub(report.problems), scrub(report.notes)
    return reports


def retention_problems(queries: list[str], retention: tuple[float, str] | None) -> list[str]:
    """The longest range the queries read when it reaches further back than Prometheus keeps samples: what it
    measures then covers only the time kept (an SLO period of 30d on the default 15d), silently."""
    if retention is None:
        return []
    kept_s, kept = retention
    ranges: list[tuple[float, str]] = []
    for duration in (found for query in queries for found in range_durations(query)):
        try:
            ranges.append((parse_duration(duration), duration))
        except ValueError:
            continue  # not a duration (a placeholder left in a query that Prometheus refused anyway)
    longest = max(ranges, default=None)
    if longest is None or longest[0] <= kept_s:
        return []
    return [
        f"a query reads {longest[1]} back, but this Prometheus keeps {kept} of samples (its storageRetention): "
        f"what it measures covers the last {kept} only; keep {longest[1]} or more, or point the source at a "
        "store that does (Thanos, Mimir)"
    ]


# Prometheus' answer to PromQL it cannot parse or a parameter it cannot read (sources/prometheus.py quotes it):
# the check's own mistake, which every evaluation would repeat, not a state of the data.
_BAD_PROMQL = "rejected the query (HTTP 400 bad_data"


def _refused(report: CheckReport) -> list[str]:
    """The dry run's error when Prometheus refused the check's query as invalid, as a problem to fix."""
    evaluation = report.evaluation
    if evaluation is None or evaluation.error != "source_rejected" or _BAD_PROMQL not in evaluation.reason:
        return []
    return ["Prometheus refuses the check's query as invalid (bad_data, quoted above): fix its PromQL"]


def _rejected(report: CheckReport) -> list[str]:
    """The dry run's error when the source refused the check's query otherwise than Prometheus' bad_data (which
    `_refused` says) or its execution error (a state of the data): VictoriaMetrics' 422 for a query it cannot
    parse, a proxy's refusal, a redirect; every evaluation against this source would be that error."""
    evaluation = report.evaluation
    if evaluation is None or evaluation.error != "source_rejected" or _EXECUTION_FAILED_RE.search(evaluation.reason):
        return []
    if _NOT_TAKEN_RE.search(evaluation.reason):
        return []  # not checked (`_unanswered`), as a 5xx is: no refusal of the query
    return [
        "the source refuses the check's query (quoted above), so every evaluation against it is an error: fix its "
        "PromQL (VictoriaMetrics answers 422 to a query it cannot parse), or the address if the refusal is not about "
        "the query"
    ]


# The error of an evaluation that crashed (the runner's check_crashed).
_CRASHED = "internal_error"
# Errors after which Prometheus cannot have judged a query it was sent.
_UNANSWERED = frozenset({"source_unavailable", "source_timeout", "deadline_exceeded"})
# The one refusal that says the query parsed: Prometheus failed to execute it. Any other (VictoriaMetrics' 422 for
# a query it cannot parse, a proxy's 4xx, a redirect) is no sign that it accepts the query.
_EXECUTION_FAILED_RE = re.compile(r"rejected the query \(HTTP [0-9]{3} execution\b")


def parser_findings(report: CheckReport, unparsed: SyntaxProblem) -> tuple[list[str], list[str]]:
    """(problems, notes) of a check with a query promql-parser rejects: Prometheus decides a query it was sent (in
    full or as part of a batch) and answered: refused as bad_data, its refusal is the problem already; accepted,
    the parser's rejection is a note; refused otherwise, or not asked (the check was not run), it stays a
    problem."""
    evaluation = report.evaluation
    asked = (
        evaluation is not None
        and evaluation.error not in _UNANSWERED
        and any(unparsed.query in sent for sent in report.queries)
    )
    if report.problems and asked:
        return report.problems, report.notes
    cannot = f"{unparsed.field}: promql-parser cannot parse it ({unparsed.message})"
    if not asked:
        not_asked = f"{cannot} and Prometheus was not asked it: {unparsed.shown_query()}{unparsed.placeholder_hint()}"
        return [*report.problems, not_asked], report.notes
    assert evaluation is not None
    if evaluation.error == "source_rejected" and not _EXECUTION_FAILED_RE.search(evaluation.reason):
        problem = f"{cannot} and Prometheus answered it with an error, not a result: {unparsed.shown_query()}"
        return [*report.problems, problem], report.notes
    return report.problems, [
        *report.notes,
        f"{cannot}, but this Prometheus accepts it, and Prometheus decides; set skip_promql_parse: true on the check "
        "so that `analyzer validate` without --prometheus passes too",
    ]


# How error_budget's reading of the rules API says a window's recording rule is not listed (its details' `unread`).
_UNLISTED = "the rules API lists no recording rule "


def _rules_findings(report: CheckReport) -> tuple[list[str], list[str]]:
    """What the dry run's reading of this Prometheus' rules API found, in the service's own words (error_budget's
    details `rules_read` and `rules_divided`, on a pass): as problems, a 5m window whose rule leaves out a raw series
    scraped too seldom; as notes, the recording rules the check reads that the rules API does not list, and why the
    rest could not be told. A Sloth rule that divides errors apart is the dry run's check_misconfigured."""
    evaluation = report.evaluation
    return _details_rules_findings(evaluation.details if evaluation is not None else None, "")


def _details_rules_findings(details: Mapping[str, Any] | None, member: str) -> tuple[list[str], list[str]]:
    """_rules_findings of one evaluation's `details`, and of each composite member's (what a member's pass read is the
    composite's too), `member` naming whose before each finding ("member x: ")."""
    if not details:
        return [], []
    problems: list[str] = []
    notes: list[str] = []
    for entry in details.get("members") or ():
        shown = f"{member}member {entry.get('check')}: "
        found = _details_rules_findings(entry.get("details"), shown)
        problems += found[0]
        notes += found[1]
    for window, read in (details.get("rules_read") or {}).items():
        if read.get("single_sample_series"):
            note = next((w.get("note", "") for w in details.get("windows", ()) if w.get("window") == window), "")
            problems.append(f"{member}its {window} window's recording rule cannot count every error: {note}")
    unread = [why for found in (details.get("rules_read") or {}).values() if (why := found.get("unread"))] + list(
        (details.get("rules_divided") or {}).get("unread", {}).values()
    )
    unread = list(dict.fromkeys(unread))
    # A rule whose series are recorded by a ruler this rules API does not list (a backfill, another Thanos ruler) is
    # no fault of the check: said once, a note, with the rules named.
    if unlisted := [why.removeprefix(_UNLISTED) for why in unread if why.startswith(_UNLISTED)]:
        notes.append(
            f"{member}{_UNLISTED}{', '.join(unlisted)}, which the check reads: what it records is not checked (its "
            "raw series scraped too seldom, its division) unless its rule group (Sloth, Pyrra) is listed where the "
            "lint asks"
        )
    # Not "the rules API did not tell": the details hold, beside its own, why the query of a listed rule's raw series
    # or sides could not tell; each reason names what failed.
    notes += [f"{member}not checked: {why}" for why in unread if not why.startswith(_UNLISTED)]
    return problems, notes


def _misconfigured(report: CheckReport) -> list[str]:
    """The dry run's check_misconfigured error as a problem when no name, label or bound the lint found
    explains it (an SLO tool's recorded period or objective that is not the check's, several series of one
    SLO): every evaluation against this Prometheus would answer that error."""
    evaluation = report.evaluation
    if evaluation is None or evaluation.error != "check_misconfigured" or report.problems:
        return []
    return ["the check is misconfigured against this Prometheus (its reason quoted above): fix the check"]


def format_report(reports: list[CheckReport], url: str, at: datetime | None) -> str:
    """The lint's findings as text: one block per check, its verdict now and its problems."""
    moment = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"checks against {url} at {moment}:"]
    for report in reports:
        args = " ".join(f"{k}={v}" for k, v in report.args.items())
        if report.evaluation is None:
            lines.append(f"  {report.check}: not run: {printable(report.not_run)}")
        else:
            evaluation = report.evaluation
            lines.append(
                f"  {report.check}: {evaluation.verdict.value.upper()} {printable(evaluation.reason)}"
                + (f" (args: {args})" if args else "")
            )
        lines.extend(f"    problem: {printable(problem)}" for problem in report.problems)
        lines.extend(
            f"    not checked: Prometheus did not answer a query of the dry run ({printable(reason)}), so what it "
            "would have refused or answered is not known"
            for reason in _unanswered(report)
        )
        lines.extend(
            f"    not checked: the dry run crashed ({printable(reason)}), a bug of the check's kind, so the queries it "
            "would have sent after the crash are not known"
            for reason in report.crashed
        )
        lines.extend(f"    note: {printable(note)}" for note in report.notes)
    count = sum(len(r.problems) for r in reports)
    unchecked = len(unchecked_checks(reports))
    crashed = len(crashed_checks(reports))
    lines.append(
        f"{count} problem{'s' if count != 1 else ''} in {len(reports)} check{'s' if len(reports) != 1 else ''}"
        + (f"; {unchecked} not checked in full (Prometheus did not answer)" if unchecked else "")
        + (f"; {crashed} not checked in full (the dry run crashed)" if crashed else "")
    )
    return "\n".join(lines)


def clean(reports: list[CheckReport]) -> bool:
    """True when no check reads anything this Prometheus lacks, and it refuses no check's query."""
    return not any(report.problems for report in reports)


def unchecked_checks(reports: list[CheckReport]) -> list[str]:
    """The checks some of whose dry-run queries Prometheus did not answer (a 5xx, a timeout, the deadline), and those
    not dry-run after it stalled: not known clean."""
    return [report.check for report in reports if _unanswered(report) or report.skipped]


def crashed_checks(reports: list[CheckReport]) -> list[str]:
    """The checks whose dry run crashed, or a member's did: not known clean."""
    return [report.check for report in reports if report.crashed]


def _unanswered(report: CheckReport) -> list[str]:
    """Why Prometheus did not answer some of the check's dry-run queries: the reasons its source recorded, else the
    evaluation's own when it ended so (the deadline cancels a query in flight, which raises nothing to record)."""
    evaluation = report.evaluation
    if report.unanswered or evaluation is None or evaluation.error not in _UNANSWERED:
        return report.unanswered
    return [evaluation.reason]
