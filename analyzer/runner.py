"""From a resolved check and bound args to an Evaluation: deadline, error mapping, logs, metrics,
coalescing. The only place that catches broadly, and it maps everything it catches to `error`."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from analyzer.admission import Admission, Ticket
from analyzer.catalog import Catalog
from analyzer.check import Check, EvalContext
from analyzer.errors import (
    PAST_TIME_NOTE,
    ArgError,
    CheckError,
    CheckMisconfigured,
    DeadlineExceeded,
    Interrupted,
    NoSeriesFound,
)
from analyzer.logs import get_logger
from analyzer.models import Evaluation, NoDataPolicy, Outcome, Verdict, envelope, format_time
from analyzer.params import ArgValue, render_value, shown_args
from analyzer.redaction import (
    EVALUATION_SECRETS,
    MIN_HIDDEN_CHARS,
    REDACTED,
    credential_scrubber,
    scrubber,
    url_secret_searches,
)
from analyzer.sources import Sources
from analyzer.sources.prometheus import storage_warnings
from analyzer.templates import promql_forms
from analyzer.ui.links import at_query, verdict_path, verdict_path_head

if TYPE_CHECKING:
    from analyzer.metrics import Metrics
    from analyzer.sources.prometheus import PrometheusSource

logger = get_logger("analyzer.runner")

# The last part: the evaluation time (None: now), with a member's combining check's deadline (loop time) beside it:
# a member is cut to that deadline, so it shares only with members cut alike (a request joining it would get a
# deadline it did not ask for; a member joining a request, one its composite cannot wait for).
_CoalesceKey = tuple[str, str, tuple[tuple[str, ArgValue], ...], float | tuple[float, float] | None]
# What tells a request identical to another before it is parsed (`Runner.joinable`): a GET's raw query string, or a
# POST's with the hash and length of its body's bytes (a hint, as the door is: a collision only lets a request be
# parsed, and the runner then admits or refuses it as a new one).
Door = str | tuple[str, int, int]
# Bound on remembered results (all fresh: expired ones are dropped as new ones come); past it, nothing is added.
_MAX_RECENT = 10_000
# A member of a combining check ends this long before that check's deadline, so that the member's timeout is its
# own error, which the combining check judges (composite: on_member_error), not a timeout of the whole; at most this
# share of the time the combining check has left (a 0.04 s composite's members would end before they began).
_MEMBER_MARGIN_S = 0.05
_MEMBER_MARGIN_SHARE = 0.25
# A backtest older than this, under `no_data: pass`, has its pass checked against the data its sources hold: before
# their oldest data (retention, a Prometheus started later), no series is nothing read. Younger ones are not asked, so
# that Argo Rollouts' evaluations (now) send no query more; a source younger than this hour goes unchecked there.
_FRESH_DATA_S = 3600.0
# How far back of a time a query at it reads an instant selector's sample (Prometheus' default look-back).
_LOOKBACK = timedelta(minutes=5)
# Bounds on the search for the next data a source holds (its oldest, unless the time is in a gap of it), once it holds
# none at the evaluation time: at most this many more label-name calls, stopping once the time is known to a minute.
_OLDEST_PROBES = 16
_OLDEST_RESOLUTION = timedelta(minutes=1)
# Distinct raw argument sets whose plans a runner (a catalog generation) keeps, over all its checks: a rollout asks
# its checks with the same args at every analysis step, and a platform's hundreds of rollouts in progress each have
# their own (a canary hash); a plan holds args a check's params bound to their declared length (docs/performance.md).
PLANS_KEPT = 1024
# The longest raw value a kept plan holds: the longest any param accepts (`Param.max_length`); a number's may be
# longer (spaces around it), and is bound each time, so that a plan holds no more than its params accept.
_MAX_KEPT_ARG_CHARS = 4096


class ArgsPlan:
    """What an evaluation of `check` needs that depends on its bound `args` alone, made once for a raw arg set that
    comes again: the args (never mutated, never handed out: a kind gets its own copy in its context), the
    coalescing key's part, the args as shown (secrets redacted), the secret values a reason may quote, and the
    page link up to its `at=`."""

    __slots__ = ("args", "check", "key", "link_head", "searched", "secret_values", "shown")

    def __init__(self, check: Check, args: dict[str, ArgValue]) -> None:
        """`args`: bound by `check`, and owned by the plan from now on."""
        secret = check.secret_params()
        self.check = check
        self.args = args
        self.key = tuple(sorted(args.items()))
        shown = shown_args(args, secret)
        self.shown = shown
        # Each secret as written and as a query may hold it (escaped in a PromQL string, regex-quoted): a member's
        # arg holding one is shown as REDACTED. `searched`: those searched for in reasons, evidence and quoted
        # answers, all but a value too short to tell anything (redaction.MIN_HIDDEN_CHARS).
        self.secret_values: tuple[str, ...] = ()
        self.searched: tuple[str, ...] = ()
        for value in (args[name] for name in secret if name in args) if secret else ():
            text = render_value(value)
            forms = tuple(promql_forms(text))
            if isinstance(value, float) and str(value) != text:
                # A number as Python writes it (1500.0), what a kind's f-string of it quotes: its rendered 1500 then
                # ends no word there, and was not hidden.
                forms += (str(value),)
            self.secret_values += forms
            if len(text) >= MIN_HIDDEN_CHARS:
                self.searched += forms
        # The credential a URL in another arg holds, shown as REDACTED in the args (`shown_args`), is hidden where a
        # reason or evidence quotes it too (a query built from the URL). Searched only: a member's arg holding one
        # shows the rest of its URL, as the member's own args do.
        for name, value in args.items():
            if name not in secret and isinstance(value, str) and shown[name] != value:
                for text in url_secret_searches(value):
                    self.searched += tuple(promql_forms(text))
        self.link_head = verdict_path_head(check.name, shown)


# The base binding: a plan is kept only for a kind that does not bind its args its own way, or says it binds them
# from its definition alone (Check.binds_args_alone).
_BASE_BIND_ARGS = Check.bind_args


class Runner:
    """Evaluates checks of one catalog against its sources."""

    def __init__(
        self,
        catalog: Catalog,
        sources: Sources,
        metrics: Metrics | None,
        default_deadline_s: float,
        *,
        admission: Admission | None = None,
        reuse_window_s: float = 0.0,
        logs_evaluations: bool = True,
    ) -> None:
        """`metrics` None records none (a Job, which nothing scrapes, then never imports prometheus_client);
        `reuse_window_s`: how long a finished evaluation still answers identical requests (0: only while in
        flight); `logs_evaluations` False logs no `check_evaluated` (`analyzer run`, whose verdict line says it)."""
        self.catalog = catalog
        self.sources = sources
        self.metrics = metrics
        self.default_deadline_s = default_deadline_s
        self.admission = admission or Admission()
        self.reuse_window_s = reuse_window_s
        # Bound once per runner (a catalog generation), with the logging configured when it is built: through the
        # module's lazy proxy, every call built a new logger, even for a line the level then drops. A runner that
        # logs only crashes (`analyzer run`) keeps the proxy: structlog is imported at its first line, if any.
        self._logger = logger.bind() if logs_evaluations else logger
        # Whether `check_evaluated` of a verdict that is not an error is logged: when the level drops it (the
        # usual `warning` of a busy service), its arguments are not even built.
        self._logs_verdicts = logs_evaluations and self._logger.is_enabled_for(logging.INFO)
        self._logs_errors = logs_evaluations
        self._in_flight: dict[_CoalesceKey, asyncio.Future[Evaluation]] = {}
        # How many callers wait for each evaluation in flight: the last one to hang up ends it.
        self._callers: dict[asyncio.Future[Evaluation], int] = {}
        # Evaluations whose last caller hung up, out of the table while they unwind their cancellation: drain()
        # waits for them too, so that no source is closed under one still closing its queries.
        self._unwinding: set[asyncio.Future[Evaluation]] = set()
        # An evaluation its first caller ran in its own task and left while others waited, run again for them in a
        # task of its own: the future they joined, to that task.
        self._restarted: dict[asyncio.Future[Evaluation], asyncio.Task[Evaluation]] = {}
        self._recent: dict[_CoalesceKey, tuple[float, Evaluation]] = {}
        # When each remembered result expires, oldest first (one window for all: the order they were remembered).
        self._expiries: deque[tuple[float, _CoalesceKey]] = deque()
        # The last PLANS_KEPT plans, least recently used first, by the check's identity and its raw args as received.
        self._plans: OrderedDict[tuple[int, tuple[tuple[str, str], ...]], ArgsPlan] = OrderedDict()
        # The key of the evaluation last started for a request that gave all its args in its query string (and body),
        # by (check name, `Door`): what a request refused at the door for a full queue is looked up by, unparsed, to
        # join its twin instead (`joinable`). Entries of finished evaluations go when it grows past the bound.
        self._keys_of_queries: dict[tuple[str, Door], _CoalesceKey] = {}
        self._queries_kept = PLANS_KEPT

    def plan(self, check: Check, raw_args: Mapping[str, Any]) -> ArgsPlan:
        """`check.bind_args(raw_args)` and what depends on it alone, kept for the last PLANS_KEPT distinct raw arg
        sets whose values are all text (a query string's); ArgError as `bind_args` raises it, every time (a
        refusal is never kept)."""
        items = tuple(raw_args.items())
        for _, value in items:
            if type(value) is not str or len(value) > _MAX_KEPT_ARG_CHARS:
                # A JSON body's number (0 and -0.0, 10**20 and 1e20 are equal keys that bind apart), or a value longer
                # than any param takes.
                return ArgsPlan(check, check.bind_args(raw_args))
        key = (id(check), items)
        plans = self._plans
        plan = plans.get(key)
        # The identity too: an id is reused once its object is gone.
        if plan is not None and plan.check is check:
            plans.move_to_end(key)
            return plan
        plan = ArgsPlan(check, check.bind_args(raw_args))
        if type(check).bind_args is _BASE_BIND_ARGS or check.binds_args_alone:
            plans[key] = plan
            if len(plans) > PLANS_KEPT:
                plans.popitem(last=False)
        return plan

    def evaluate(
        self,
        check: Check,
        args: Mapping[str, ArgValue] | ArgsPlan,
        at: datetime | None = None,
        caller: str = "",
        query: Door | None = None,
    ) -> Coroutine[Any, Any, Evaluation]:
        """Evaluate, sharing the result with identical evaluations (check, args, time) in flight, once awaited;
        Overloaded when admission refuses a new evaluation for `caller`; ArgError, at once, for an `at` that the
        check cannot measure as of (it measures only the present). `args`: bound args, or the `plan` of them;
        `query`: the `Door` of a request that gave all its args and options in its query string and body, for
        `joinable`."""
        # Not a coroutine of its own: the one it returns is the evaluation's, one layer fewer to create and to
        # pass every resumption through.
        if at is not None and not check.measures_the_past():
            raise ArgError(
                f"at: check {check.name!r} ({check.kind}) measures only the present (it, or a member of it, sends "
                "requests now), so it cannot be evaluated as of a past time; leave at out",
                "at",
            )
        if not isinstance(args, ArgsPlan):
            args = ArgsPlan(check, dict(args))
        return self._shared(check, args, at, admit=True, backtest=at is not None, caller=caller, query=query)

    def joinable(self, name: str, query: Door) -> bool:
        """Whether a request for check `name` with the `Door` `query` would be answered by an evaluation
        in flight (or one the reuse window keeps) without one of its own: one dict lookup, nothing parsed. A hint:
        the runner decides when the request comes (a key gone in between is admitted, or refused, as a new one)."""
        key = self._keys_of_queries.get((name, query))
        if key is None:
            return False
        if key in self._in_flight:
            return True
        recent = self._recent.get(key)
        return recent is not None and recent[0] > time.monotonic()

    async def drain(self) -> None:
        """Return once every evaluation started so far has finished, cancelled ones included."""
        while self._in_flight or self._unwinding:
            await asyncio.wait([*self._in_flight.values(), *self._unwinding])

    async def _shared(
        self,
        check: Check,
        plan: ArgsPlan,
        at: datetime | None,
        *,
        admit: bool,
        backtest: bool,
        caller: str = "",
        hidden: tuple[str, ...] = (),
        within_at: float | None = None,
        query: Door | None = None,
    ) -> Evaluation:
        key: _CoalesceKey = (
            self.catalog.version,
            check.name,
            plan.key,
            # A request of the present (at None) takes one branch, as before members had deadlines of their own.
            (at.timestamp() if within_at is None else (at.timestamp(), within_at)) if at is not None else None,
        )
        recent = self._recent.get(key)
        if recent is not None and recent[0] > time.monotonic():
            if self.metrics is not None:
                self.metrics.observe_coalesced(check.name)
            return recent[1]
        future = self._in_flight.get(key)
        if future is None and admit and not self._in_flight and not self._unwinding and self.admission.take(caller):
            # Nothing else in flight and a slot free: the caller evaluates in its own task, without a task and the
            # two turns of the loop it costs. Only when idle: under concurrency the evaluation's own task measured
            # less CPU per answer (its turns keep requests from crowding the next bounded resource: connections,
            # admission; docs/performance.md). Identical requests join the future this puts in flight; if the
            # caller hangs up while they wait, they get an evaluation run again in a task of its own.
            loop = asyncio.get_running_loop()
            shared: asyncio.Future[Evaluation] = loop.create_future()
            self._in_flight[key] = shared
            if query is not None:
                self._started_for(check.name, query, key)
            callers = self._callers
            callers[shared] = 1
            # Kept by an evaluation run again for the callers that joined: they are answered within the deadline of
            # the one they joined, as the check's deadline promises them (below the caller's own timeout).
            deadline_at = loop.time() + (check.deadline_s or self.default_deadline_s)
            try:
                evaluation = await self._evaluate(check, plan, at, backtest, (), deadline_at)
            except asyncio.CancelledError:
                # Its queries are closed already: the cancellation unwound through them to here.
                if callers[shared] > 1:
                    callers[shared] -= 1
                    self._restart(key, shared, caller, check, plan, at, backtest, deadline_at)
                else:
                    self._settled(key, shared, caller)
                    shared.cancel()
                raise
            except BaseException as exc:
                self._settled(key, shared, caller)
                shared.set_exception(exc)
                shared.exception()  # retrieved: the callers that joined get it, and no one else is left to see it
                raise
            if callers[shared] > 1:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # Its caller was cancelled and the kind answered that with what it had (a plugin may): an answer
                    # for no one, not for the callers that joined, who get the evaluation run again as after a
                    # cancellation that unwound. Only when someone joined: no call on the usual path.
                    callers[shared] -= 1
                    self._restart(key, shared, caller, check, plan, at, backtest, deadline_at)
                    raise asyncio.CancelledError
            self._settled(key, shared, caller)
            # Not the kind's answer to its caller's hang-up (a pass from what it had seen, a plugin's may be): an
            # answer for no one, which the window served to the next identical request as its verdict.
            if self.reuse_window_s > 0 and not _hung_up(asyncio.current_task()):
                self._remember(key, evaluation)
            shared.set_result(evaluation)
            return evaluation
        loop = asyncio.get_running_loop()
        # Each caller awaits a future of its own, fed by the shared one: one caller hanging up cancels only its
        # own, never the evaluation the others wait for (asyncio.shield's guarantee, with one callback, not two).
        waiter: asyncio.Future[Evaluation] = loop.create_future()
        if future is None:
            # Members of a combining check (admit=False) ride on their parent's admission.
            if admit:
                ticket = self.admission.enter(caller)
                future = loop.create_task(self._admitted(caller, ticket, check, plan, at, backtest))
                # Given back when the task is done, even one cancelled before it first ran (its code never runs).
                future.add_done_callback(functools.partial(_leave, self.admission, caller, ticket))
                if query is not None:
                    self._started_for(check.name, query, key)
            else:
                future = loop.create_task(self._evaluate(check, plan, at, backtest, hidden, within_at=within_at))
            self._in_flight[key] = future
            self._callers[future] = 1
            # The first caller is relayed to by the callback that forgets the evaluation: one callback fewer to
            # make and schedule per evaluation; later callers' relays run after it, as before.
            future.add_done_callback(functools.partial(self._forget, key, waiter))
        else:
            self._callers[future] += 1
            if self.metrics is not None:
                self.metrics.observe_coalesced(check.name)
            future.add_done_callback(functools.partial(_relay, waiter))
        try:
            return await waiter
        except asyncio.CancelledError:
            self._left(key, future)
            raise

    def _started_for(self, name: str, query: Door, key: _CoalesceKey) -> None:
        """Remember that a request for check `name` with the `Door` `query` started the evaluation `key`."""
        keys = self._keys_of_queries
        if len(keys) >= self._queries_kept:
            # Those of evaluations over go, unless the reuse window keeps them; the bound grows with those kept, so
            # that this stays rare.
            self._keys_of_queries = keys = _still_kept(keys, self._in_flight, self._recent)
            self._queries_kept = max(PLANS_KEPT, 2 * len(keys))
        keys[name, query] = key

    def _settled(self, key: _CoalesceKey, shared: asyncio.Future[Evaluation], caller: str) -> None:
        """An evaluation its first caller ran is over: its slot back, out of the in-flight table (where nothing else
        takes its place: only the last caller's leaving does, and the first caller is in until here)."""
        self.admission.release(caller)
        del self._callers[shared]
        del self._in_flight[key]

    def _restart(
        self,
        key: _CoalesceKey,
        shared: asyncio.Future[Evaluation],
        caller: str,
        check: Check,
        plan: ArgsPlan,
        at: datetime | None,
        backtest: bool,
        deadline_at: float,
    ) -> None:
        """Evaluate again, in a task of its own and by the first one's deadline (`deadline_at`), for the callers
        that joined `shared`; the slot the first caller held goes with it."""
        task = asyncio.get_running_loop().create_task(self._evaluate(check, plan, at, backtest, (), deadline_at))
        self._restarted[shared] = task
        # The slot is given back by the callback, not inside the task: a task cancelled before it started never runs.
        task.add_done_callback(functools.partial(self._restart_done, key, shared, caller))

    def _restart_done(
        self, key: _CoalesceKey, shared: asyncio.Future[Evaluation], caller: str, done: asyncio.Task[Evaluation]
    ) -> None:
        """A restarted evaluation is over: its slot back, and its outcome to the callers waiting on `shared`."""
        self.admission.release(caller)
        self._restarted.pop(shared, None)
        self._callers.pop(shared, None)
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]
        _relay(shared, done)
        # Not an answer to the cancellation of the last caller's leaving (`_left`): see `_shared`.
        if self.reuse_window_s > 0 and _reusable(done):
            self._remember(key, done.result())

    def _left(self, key: _CoalesceKey, shared: asyncio.Future[Evaluation]) -> None:
        """A caller stopped waiting (it hung up, or its own parent evaluation ended): the last one to go ends the
        evaluation, which closes its queries, so that Prometheus stops working for no one."""
        if shared.done():
            return
        left = self._callers[shared] - 1
        if left:
            self._callers[shared] = left
            return
        del self._callers[shared]
        # Out of the table first: a request arriving while it unwinds starts an evaluation of its own instead of
        # joining one that will answer it with a cancellation.
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]
        # A restarted evaluation ends through its task, which then cancels `shared`.
        evaluation = self._restarted.pop(shared, shared)
        self._unwinding.add(evaluation)
        evaluation.add_done_callback(self._unwinding.discard)
        evaluation.cancel()

    async def _admitted(
        self, caller: str, ticket: Ticket | None, check: Check, plan: ArgsPlan, at: datetime | None, backtest: bool
    ) -> Evaluation:
        # Queued as a future of its own: identical requests join it while it waits for its slot.
        if ticket is not None:
            await self.admission.wait(caller, ticket)
        return await self._evaluate(check, plan, at, backtest)

    def _forget(self, key: _CoalesceKey, first: asyncio.Future[Evaluation], done: asyncio.Future[Evaluation]) -> None:
        """Relayed to its `first` caller, out of the in-flight table, and remembered for the reuse window (a request's,
        not a member's)."""
        # Relayed first: whatever the bookkeeping below does, the first caller is answered (it resumes on a later
        # turn of the loop, after the rest of this callback, as it did with a callback of its own).
        _relay(first, done)
        self._callers.pop(done, None)
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        # Not a member's (its key's last part a tuple, holding its parent's deadline): no later request has that key,
        # and kept it would only crowd the table's bound, past which no result is kept.
        # Nor one the kind gave to the cancellation of the last caller's leaving (`_left`): see `_shared`.
        if self.reuse_window_s > 0 and type(key[3]) is not tuple and _reusable(done):
            self._remember(key, done.result())

    def _remember(self, key: _CoalesceKey, evaluation: Evaluation) -> None:
        now = time.monotonic()
        # Expired results go as new ones come: what is held is one window's worth, not _MAX_RECENT evaluations that
        # only a full table would drop (a growing heap: nearly a page fault per request, and older generations
        # for the cyclic collector to traverse).
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            expired_at, old = expiries.popleft()
            entry = self._recent.get(old)
            if entry is not None and entry[0] == expired_at:
                del self._recent[old]
        if len(self._recent) >= _MAX_RECENT:
            return
        until = now + self.reuse_window_s
        self._recent[key] = (until, evaluation)
        expiries.append((until, key))

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
        """`hidden`: the secret values of the combining checks this one is a member of (a secret of theirs may be
        an arg this check does not declare secret); `deadline_at`: the loop time to end by (None: the check's deadline
        from now); `within_at`: a member's: the loop time its combining check must end by, which it ends before."""
        started = time.perf_counter()
        evaluation_time = at or datetime.now(UTC)
        if deadline_at is None:
            deadline_at = asyncio.get_running_loop().time() + (check.deadline_s or self.default_deadline_s)
        # A member may not outlast the check it is a member of: that check would time out as a whole and never judge
        # the member's timeout (composite: on_member_error).
        cut = False
        if within_at is not None:
            left_s = within_at - asyncio.get_running_loop().time()
            end_at = within_at - min(_MEMBER_MARGIN_S, max(left_s, 0.0) * _MEMBER_MARGIN_SHARE)
            if end_at < deadline_at:
                deadline_at, cut = end_at, True
        secret_values = plan.secret_values + hidden if hidden else plan.secret_values
        searched = plan.searched + _searchable(hidden) if hidden else plan.searched
        # By position (see EvalContext.__init__): args (copied there: a kind's own), time, deadline, sources,
        # run_check, check.
        ctx = EvalContext(
            plan.args,
            evaluation_time,
            deadline_at,
            self.sources,
            # Only for a check that runs others: the closure's cells would be made on every evaluation.
            self._member_runner(evaluation_time, backtest, secret_values, deadline_at)
            if check.member_names()
            else None,
            check,
        )
        error_code: str | None = None
        http_status = 200
        if self.metrics is not None:
            self.metrics.evaluations_running += 1
        deadline = asyncio.timeout_at(ctx.deadline)
        # Seen by the sources (and copied into the tasks the kind starts), which quote upstream answers.
        secrets_set = EVALUATION_SECRETS.set(searched) if searched else None
        try:
            async with deadline:
                verdict = await check.evaluate(ctx)
            if deadline.expired():
                # The kind answered the deadline's cancellation instead of unwinding (a plugin may): what it had
                # seen when cut off is no verdict, a pass least of all.
                raise TimeoutError
            verdict = _refuse_unjudged_pass(verdict)
            if (
                backtest
                and verdict.outcome is Outcome.PASS
                and check.no_data is NoDataPolicy.PASS
                and evaluation_time.timestamp() < time.time() - _FRESH_DATA_S
            ):
                verdict = await _passed_before_the_data(ctx, check, verdict)
        except TimeoutError as exc:
            if not deadline.expired():
                # A library's own TimeoutError (socket.timeout and the like), not our deadline: a bug to fix
                # in the source's error mapping, not a verdict on the release.
                verdict, error_code, http_status = self._crashed(check, exc, (*searched, *ctx.crash_secrets))
            else:
                verdict, error_code, http_status = _late(check.deadline_s or self.default_deadline_s, cut)
        except CheckError as exc:
            verdict, error_code, http_status = _error_verdict(exc), exc.code, exc.http_status
            if backtest and isinstance(exc, NoSeriesFound) and exc.source is not None:
                # Names looked for as of a past time: before the source's oldest data, every name is missing.
                note = ""
                if exc.names:
                    # Names without a series now either are misspelt, whatever the time: the kind's reason says so.
                    if now_present := await _present_now(ctx, exc.source, exc.names):
                        note = _missing_then(evaluation_time, now_present)
                elif evaluation_time.timestamp() < time.time() - _FRESH_DATA_S:
                    # No name to ask for (rules not found, a label missing): whether the source holds data then.
                    note = await _no_data_then(ctx, exc.source, evaluation_time)
                if note:
                    verdict = verdict.model_copy(update={"reason": verdict.reason + note})
        except GeneratorExit:
            raise  # the coroutine is being closed: nothing is left to answer
        except BaseException as exc:  # the one broad catch: _crashed logs it with its traceback
            if _asked_to_stop(exc) or _interrupted(exc):
                raise
            if deadline.expired() and _holds_cancellation(exc):
                # A plugin's task group answering the deadline's cancellation with a group of its children's: no
                # CancelledError, which the timeout makes a TimeoutError; it was the deadline all the same.
                verdict, error_code, http_status = _late(check.deadline_s or self.default_deadline_s, cut)
            else:
                # Not Exceptions alone: a library's SystemExit (argparse's error() on input it refuses) or a
                # KeyboardInterrupt, never the process's own (serve handles its signals), went out of the event loop
                # and stopped `analyzer serve` at once, without a drain, for every caller in flight; a CancelledError
                # no one asked of the evaluation (a library's future the library cancelled) closed the caller's
                # connection without an answer, as a hang-up, with nothing in the history.
                verdict, error_code, http_status = self._crashed(check, exc, (*searched, *ctx.crash_secrets))
        finally:
            if secrets_set is not None:
                EVALUATION_SECRETS.reset(secrets_set)
            if self.metrics is not None:
                self.metrics.evaluations_running -= 1
        duration_s = time.perf_counter() - started
        # Read once: a pydantic model's attribute costs several times a local's, and these are read again below.
        name, outcome = check.name, verdict.outcome
        if outcome is Outcome.ERROR and error_code is None:
            # A kind that answers error without raising (a plugin may): an error status all the same, which
            # Argo Rollouts counts as an Error measurement and retries, as the contract says. (Decided here, where
            # the outcome is read once: every error caught above has its code already.)
            error_code, http_status = CheckError.code, CheckError.http_status
        # Secret args never leave the evaluation: the answer, history, logs, JUnit and the page link show
        # <redacted> (so that link cannot replay them), and a reason or evidence that quotes one (a query, an
        # exception's message) has it replaced, whatever the kind.
        # Written once for the answer's body and its page link.
        at_text = format_time(evaluation_time)
        shown = plan.shown
        if hidden:
            shown = _hiding(shown, hidden)
            link = verdict_path(name, shown, evaluation_time, at_text)
        else:
            link = plan.link_head + at_query(evaluation_time, at_text)
        if searched:
            scrub = scrubber(searched)
            verdict = verdict.model_copy(update={"reason": scrub(verdict.reason), "details": scrub(verdict.details)})
        # By position: check, kind, verdict, args, evaluated_at, duration_ms, error, http_status, ui_url, its text.
        evaluation = envelope(
            name,
            check.kind,
            verdict,
            shown,
            evaluation_time,
            round(duration_s * 1000, 3),
            error_code,
            http_status,
            link,
            at_text,
        )
        if self.metrics is not None:
            # str() of a StrEnum member is its value, without the two Python calls of enum's `value` property.
            self.metrics.observe_evaluation(name, str(outcome), duration_s)
        failed = outcome is Outcome.ERROR
        if (failed and self._logs_errors) or self._logs_verdicts:
            (self._logger.warning if failed else self._logger.info)(
                "check_evaluated",
                check=name,
                kind=check.kind,
                verdict=outcome.value,
                value=verdict.value if verdict.value is None or math.isfinite(verdict.value) else str(verdict.value),
                reason=verdict.reason,
                error=error_code,
                duration_ms=evaluation.duration_ms,
                args=shown,
                backtest=backtest,
                ui_url=evaluation.ui_url,
            )
        return evaluation

    def _crashed(self, check: Check, exc: BaseException, secret_values: tuple[str, ...]) -> tuple[Verdict, str, int]:
        """Log an exception no one mapped as `check_crashed`, its traceback as text, and return its error verdict,
        code and status, each without the credentials an exception may quote (`_crash_scrub`)."""
        scrub = self._crash_scrub(check, secret_values)
        self._logger.exception(
            "check_crashed",
            check=check.name,
            kind=check.kind,
            exc_info=False,
            exception=scrub("".join(traceback.format_exception(exc)).rstrip("\n")),
        )
        verdict, error_code, http_status = _crashed(check, exc)
        return verdict.model_copy(update={"reason": scrub(verdict.reason)}), error_code, http_status

    def _crash_scrub(self, check: Check, secret_values: tuple[str, ...]) -> Callable[[str], str]:
        """What hides in a crash's message and traceback what its exceptions may quote from the requests the kind
        was sending: the secret args and those the kind found as it ran (`EvalContext.hide_on_crash`), every source's
        credentials (a bearer token as its file holds it now), the check's own written secrets (an http_smoke
        credential header), and any credential that says what it is (a URL's user info, `Bearer ...`, a secret
        header's line). Made on a crash only: no evaluation pays for it."""
        return credential_scrubber([*secret_values, *check.literal_secrets(), *self.sources.credentials()])

    def _member_runner(
        self, at: datetime, backtest: bool, hidden: tuple[str, ...], deadline_at: float
    ) -> Callable[[str, Mapping[str, Any]], Awaitable[Evaluation]]:
        """What runs a member of a check evaluated at `at` (`EvalContext`'s `run_check`), with its parent's secrets
        `hidden` and by its parent's `deadline_at`."""
        return lambda name, raw: self._run_member(name, raw, at, backtest, hidden, deadline_at)

    async def _run_member(
        self,
        name: str,
        raw_args: Mapping[str, Any],
        at: datetime,
        parent_backtest: bool,
        hidden: tuple[str, ...],
        parent_deadline_at: float,
    ) -> Evaluation:
        check = self.catalog.get(name)
        # Members are evaluated at their parent's time; they are backtests only if the parent is. The parent's
        # secrets stay hidden in what the member shows (its log line, its page link).
        return await self._shared(
            check,
            self.plan(check, raw_args),
            at,
            admit=False,
            backtest=parent_backtest,
            hidden=hidden,
            within_at=parent_deadline_at,
        )


def _still_kept(
    keys: dict[tuple[str, Door], _CoalesceKey],
    in_flight: Mapping[_CoalesceKey, object],
    recent: Mapping[_CoalesceKey, object],
) -> dict[tuple[str, Door], _CoalesceKey]:
    """Those of `keys` whose evaluation is in flight or kept in the reuse window."""
    # Not a comprehension in `_started_for`: one there would make its tables cells on every evaluation started.
    return {query: kept for query, kept in keys.items() if kept in in_flight or kept in recent}


def _searchable(hidden: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `hidden` long enough to be looked for in what the sources quote."""
    # Not a generator in `_evaluate`: one there would make `hidden` a cell on every evaluation.
    return tuple(value for value in hidden if len(value) >= MIN_HIDDEN_CHARS)


def _hiding(shown: Mapping[str, Any], hidden: tuple[str, ...]) -> dict[str, Any]:
    """`shown` with each arg that quotes one of `hidden` as REDACTED."""
    return {
        name: REDACTED if any(value in render_value(arg) for value in hidden if value) else arg
        for name, arg in shown.items()
    }


def _asked_to_stop(exc: BaseException) -> bool:
    """Whether `exc` is a cancellation asked of the running task (its caller hung up, the drain ended), which must
    unwind it: a CancelledError, or a group holding one (a plugin's task group), while the task is being cancelled."""
    if not _holds_cancellation(exc):
        return False
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


def _interrupted(exc: BaseException) -> bool:
    """Whether `exc` is the CLI's Ctrl-C (Interrupted), or a group holding it (a plugin's task group): it ends the
    command, where a kind's own KeyboardInterrupt is the kind's crash."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(Interrupted) is not None
    return isinstance(exc, Interrupted)


def _leave(admission: Admission, caller: str, ticket: Ticket | None, _: asyncio.Future[Evaluation]) -> None:
    """An admitted evaluation's task is done: what `admission.enter` gave its caller goes back."""
    admission.leave(caller, ticket)


def _hung_up(task: asyncio.Future[Any] | None) -> bool:
    """Whether `task`, an evaluation's, was asked to stop (its callers hung up, the drain ended): what it answered
    then is no verdict to reuse. A deadline's cancellation is taken back by its timeout (`uncancel`)."""
    return isinstance(task, asyncio.Task) and task.cancelling() > 0


def _reusable(done: asyncio.Future[Evaluation]) -> bool:
    """Whether `done`, a finished evaluation, holds an answer the reuse window may serve: neither cancelled nor
    raised, nor its answer to its callers' hang-up (`_hung_up`)."""
    return not done.cancelled() and done.exception() is None and not _hung_up(done)


def _holds_cancellation(exc: BaseException) -> bool:
    """Whether `exc` is a CancelledError or a group holding one."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(asyncio.CancelledError) is not None
    return isinstance(exc, asyncio.CancelledError)


def _late(deadline_s: float, cut: bool) -> tuple[Verdict, str, int]:
    """The error verdict, code and status of an evaluation its deadline ended (`cut`: the deadline of the check it
    is a member of, before its own `deadline_s`)."""
    late = DeadlineExceeded(
        f"no verdict by the deadline of the check it is a member of (before its own {deadline_s:g} s deadline)"
        if cut
        else f"no verdict within the {deadline_s:g} s deadline"
    )
    return _error_verdict(late), late.code, late.http_status


def _relay(waiter: asyncio.Future[Evaluation], done: asyncio.Future[Evaluation]) -> None:
    """Give `waiter` the outcome of `done`, unless its caller stopped waiting."""
    if waiter.cancelled():
        if not done.cancelled():
            done.exception()  # retrieved: asyncio would log an error no caller is left to see
        return
    if done.cancelled():
        waiter.cancel()
        return
    error = done.exception()
    if error is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


def _crashed(check: Check, exc: BaseException) -> tuple[Verdict, str, int]:
    """The error verdict, code and status of an exception no one mapped; a group's (a TaskGroup's) is named by its
    first exception, what went wrong, with the count of the others (the log's traceback has them all)."""
    shown: BaseException = exc
    others = 0
    while isinstance(shown, BaseExceptionGroup):
        others += len(shown.exceptions) - 1
        shown = shown.exceptions[0]
    more = f" (and {others} other exception{'s' if others > 1 else ''})" if others else ""
    # An exception without a message (KeyboardInterrupt, CancelledError) is named alone, without a colon after it.
    what = f"{type(shown).__name__}: {shown}" if str(shown) else type(shown).__name__
    verdict = Verdict(outcome=Outcome.ERROR, reason=f"internal error in check {check.name!r}: {what}{more}")
    return verdict, "internal_error", 500


async def _present_now(ctx: EvalContext, source: PrometheusSource, names: tuple[str, ...]) -> list[str]:
    """Which of the metric `names` have series now in `source`, asked within `ctx`'s deadline; none when that cannot
    be told (no time left, the source failing): the reason is then the kind's alone."""
    from analyzer.promql_names import presence_query

    try:
        async with asyncio.timeout_at(ctx.deadline):
            answer = await source.query(presence_query(names), datetime.now(UTC), ctx.timeout_s())
    except (CheckError, TimeoutError):
        return []
    return sorted({series.labels.get("__name__", "") for series in answer.series} & set(names))


def _missing_then(at: datetime, present: list[str]) -> str:
    """What a reason of series not found as of `at`, a past time, adds when the metrics `present` have series now."""
    metrics = f"metric {present[0]} has" if len(present) == 1 else f"metrics {' and '.join(present)} have"
    return (
        f"{PAST_TIME_NOTE}{format_time(at)}, a past time: {metrics} series now, so {format_time(at)} is likely "
        "before the oldest data the source keeps (its retention)"
    )


async def _passed_before_the_data(ctx: EvalContext, check: Check, verdict: Verdict) -> Verdict:
    """A pass `check` (under `no_data: pass`) gave at a past time, judged against whether each Prometheus source it
    reads holds data in the look-back up to that time (`_before_the_data`), and if one does not, the next it holds."""
    at = ctx.evaluation_time
    for name in sorted(check.source_names()):
        source = ctx.prometheus(name)
        try:
            async with asyncio.timeout_at(ctx.deadline):
                if await source.holds_data(at - _LOOKBACK, at, ctx.timeout_s()):
                    continue
        except (CheckError, TimeoutError) as exc:
            why = exc.message if isinstance(exc, CheckError) else "no time left in the check's deadline"
            return _data_at_unknown(verdict, at, name, why)
        return _before_the_data(verdict, at, name, await _next_data(ctx, source, at))
    return verdict


async def _next_data(
    ctx: EvalContext, source: PrometheusSource, at: datetime
) -> tuple[datetime, datetime] | str | None:
    """When `source`, holding no data at `at`, holds its next data (its oldest, unless `at` is in a gap of it; older
    data is not looked for): between the two times returned (to a minute, or as near as `_OLDEST_PROBES` calls and
    `ctx`'s deadline get), None when it holds none up to now, or why that could not be told."""
    # A bisection over "any data between `at` and t", which grows with t whatever gaps the data has.
    early, late = at, datetime.now(UTC)
    try:
        async with asyncio.timeout_at(ctx.deadline):
            if not await source.holds_data(early, late, ctx.timeout_s()):
                return None
            for _ in range(_OLDEST_PROBES):
                if late - early <= _OLDEST_RESOLUTION:
                    break
                middle = early + (late - early) / 2
                if await source.holds_data(early, middle, ctx.timeout_s()):
                    late = middle
                else:
                    early = middle
    except CheckError as exc:
        return exc.message
    except TimeoutError:
        pass  # what the calls made so far found
    return early, late


async def _no_data_then(ctx: EvalContext, source: PrometheusSource, at: datetime) -> str:
    """What a reason of series not found as of `at`, a past time, adds when `source` holds no data in the look-back
    up to it (naming its next); nothing when it does, or when that cannot be told: the reason is then the kind's."""
    try:
        async with asyncio.timeout_at(ctx.deadline):
            if await source.holds_data(at - _LOOKBACK, at, ctx.timeout_s()):
                return ""
    except (CheckError, TimeoutError):
        return ""
    said = _no_data_said(at, source.name, await _next_data(ctx, source, at))
    return f"{PAST_TIME_NOTE}{format_time(at)}, a past time: {said}, so nothing could be found then"


def _no_data_said(at: datetime, source: str, next_data: tuple[datetime, datetime] | str | None) -> str:
    """That Prometheus source `source` holds no data at `at`; `next_data`: between which two times the first data it
    holds after `at` lies, None when it holds none up to now, or why that could not be told."""
    said = f"Prometheus source {source!r} holds no data at {format_time(at)}"
    if isinstance(next_data, tuple):
        return f"{said}: its next data is from between {format_time(next_data[0])} and {format_time(next_data[1])}"
    if next_data is None:
        return f"{said} nor since"
    return f"{said} (when its next data is could not be told: {next_data})"


def _before_the_data(
    verdict: Verdict, at: datetime, source: str, next_data: tuple[datetime, datetime] | str | None
) -> Verdict:
    """A pass that `no_data: pass` may have given at `at`, when Prometheus source `source` holds no data in the
    look-back up to it: inconclusive, since no series there is nothing read, not nothing gone wrong. `next_data` as
    `_no_data_said` reads it."""
    return _no_pass_before_the_data(verdict, _no_data_said(at, source, next_data))


def _data_at_unknown(verdict: Verdict, at: datetime, source: str, why: str) -> Verdict:
    """A pass that `no_data: pass` may have given at `at`, when whether Prometheus source `source` holds data then
    could not be told (`why`): inconclusive, as before its data."""
    # What to do is not another time (the source would not tell then either): let the call through, in time.
    return _no_pass_before_the_data(
        verdict,
        f"whether Prometheus source {source!r} holds data at {format_time(at)} could not be told from its label-names "
        f"API (GET /api/v1/labels: {why})",
        "have the source answer GET /api/v1/labels within the check's deadline_s",
    )


def _no_pass_before_the_data(verdict: Verdict, said: str, to_do: str = "evaluate at a time it holds") -> Verdict:
    return verdict.model_copy(
        update={
            "outcome": Outcome.INCONCLUSIVE,
            "reason": f"{verdict.reason}; but {said}, and no_data: pass does not apply where a source holds no "
            f"data, as no series there is nothing read ({to_do})",
        }
    )


def _error_verdict(exc: CheckError) -> Verdict:
    details = exc.details
    if isinstance(exc, CheckMisconfigured) and exc.at_fault != "check":
        # Kept with the answer: its page, drawn later from the history, words its advice by where the fault is.
        details = {**details, "at_fault": exc.at_fault}
    return Verdict(outcome=Outcome.ERROR, reason=exc.message, details=details)


def _refuse_unjudged_pass(verdict: Verdict) -> Verdict:
    """A last guard against failing open: a pass must be a Verdict whose value, if any, is finite."""
    if not isinstance(verdict, Verdict):
        raise TypeError(f"evaluate returned {type(verdict).__name__}, not a Verdict")
    # From its __dict__, where pydantic keeps the fields: one attribute read, not three through __getattr__.
    fields = verdict.__dict__
    outcome, value, threshold = fields["outcome"], fields["value"], fields["threshold"]
    if type(outcome) is not Outcome:
        # A Verdict made without validation (a plugin's model_construct): its pass would slip past the checks below,
        # which know an outcome by identity.
        raise TypeError(f"the check's verdict has the outcome {outcome!r}, not an Outcome")
    if outcome is Outcome.PASS and value is not None and not math.isfinite(value):
        raise TypeError(f"the check judged pass on the non-finite value {value}")
    # A loop, not all() over a generator: this runs on every answer.
    for bound in threshold if isinstance(threshold, list) else (threshold,):
        if bound is not None and not math.isfinite(bound):
            # No answer can carry it (JSON has no such number), and no judgement against it means anything.
            raise TypeError(f"the check judged against the non-finite threshold {threshold}")
    if (outcome is Outcome.PASS or outcome is Outcome.FAIL) and fields["details"].get("prometheus_warnings"):
        return _judged_on_a_partial_answer(verdict)
    return verdict


def _judged_on_a_partial_answer(verdict: Verdict) -> Verdict:
    """A pass or fail whose answers carry a warning that they may be partial (a store that did not answer: Thanos,
    Mimir, remote read, VictoriaMetrics' `isPartial`): a pass becomes inconclusive, since the lost store may hold
    what fails the check (the canary's errors); a fail stands, saying so. Others as they are. Warnings in no shape
    of warnings (text, or a list or tuple of text) under a pass are a TypeError: an internal error, never a pass;
    under a fail, the fail stands."""
    warnings = verdict.details["prometheus_warnings"]
    # A plugin may write one warning as text, or a tuple: read only from a list, its pass on an answer that may be
    # partial stood. Any other shape says nothing readable, and no pass rests on it.
    if isinstance(warnings, str):
        warnings = [warnings]
    if not isinstance(warnings, list | tuple) or not all(isinstance(warning, str) for warning in warnings):
        if verdict.outcome is Outcome.FAIL:
            # An internal error is Argo's Error, measured again up to consecutiveErrorLimit times before the rollout
            # aborts: the canary would take traffic that the fail takes it off now.
            return verdict
        raise TypeError(
            f"the check's details.prometheus_warnings is {warnings!r}, not a list of warnings: write a list of strings"
        )
    partial = storage_warnings(list(warnings))
    if not partial:
        return verdict  # PromQL's own annotations ("metric might not be a counter") judge the query, not the data
    lost = "; ".join(partial)
    if verdict.outcome is Outcome.FAIL:
        # The lost store may hold traffic that would dilute the errors as well as errors: a fail may be spurious.
        # It stands all the same: inconclusive would leave a canary that fails on the data present taking traffic
        # until someone looks, and a rollback is the safe side.
        reason = f"{verdict.reason} (judged on an answer that may be partial: {lost})"
        return verdict.model_copy(update={"reason": reason})
    reason = (
        f"{verdict.reason}, but the answer may be partial ({lost}): a store that did not answer may hold what "
        "fails the check, so a pass from it is not enough evidence"
    )
    return verdict.model_copy(update={"outcome": Outcome.INCONCLUSIVE, "reason": reason})
