"""Raw counters and the recording rules Pyrra and Sloth generate for them, backfilled with `promtool tsdb
create-blocks-from rules` (so the recorded series are what the tools' rules record, absences included).

`ebr_http_requests_total{job, code}` every 60 s from A-7h to A+1h:
- ebr-clean: 10 req/s, only code="200": no error series at all, so the error-ratio rules record nothing.
- ebr-idle:  code="200" present but flat: no traffic.
- ebr-burn:  9.5 req/s 200 and 0.5 req/s 500: 5% errors.
- ebr-tiny:  3 requests per 5 minutes, one of them a 500 (a tiny canary).
- ebr-past:  10 req/s 200; 0.1 req/s 500 until A-3h, then the error series ends (its pods are gone): the rules
             record nothing over 5m .. 2h and a ratio over 6h and longer.
- ebr-stopped: as ebr-burn (5% errors), but its ratio rule group (Pyrra's burnrate group, Sloth's
             sli-recordings) is not in the rule file while the group the existence probe reads (Pyrra's
             increase group, Sloth's meta-recordings) is: a rule group that stopped evaluating.

Rules: for each job a Pyrra SLO `ebr-<job>` (ratio, 99.9%, 28d; total `ebr_http_requests_total{job="<job>"}`,
errors with `code=~"5.."`) in the form of Pyrra's slo/rules_test.go (burnrate and increase groups, and the
`--generic-rules` group of TestObjective_GrafanaRules: pyrra_objective 0.9990000000000001, Pyrra's float of
"99.9" / 100; its pyrra_availability reads the increase rule, so it records nothing here), and a
Sloth SLO `ebr-sloth-<job>` (99.9%, 30d) in the form of Sloth's examples/_gen/getting-started.yml. Rules are
evaluated from A-40m to A+10m; Sloth's rules that read other rules (the 30d ratio, burn rates) record nothing
here, since promtool evaluates each rule against the raw series only.

`ebr_http_request_duration_seconds` (a classic histogram: `_count`, `_bucket{le="0.5"}`, `_bucket{le="+Inf"}`) every
60 s from A-7h to A+1h, 10 req/s, for Pyrra latency SLOs `ebr-lat-<job>` (99.9%, 28d, success `le="0.5"`) in the form
of Pyrra's slo/rules_test.go "http-latency" case (burnrate and increase groups):
- ebr-lat-fast:    every request within 0.5 s: the burnrate rules record 0.
- ebr-lat-slow:    5% of requests slower than 0.5 s.
- ebr-lat-stopped: as ebr-lat-slow, but its burnrate group is not in the rule file while its increase group is.
- ebr-lat-prom3:   as ebr-lat-slow, but the histogram's bound is written `le="1.0"` (Prometheus 3 writes bounds as
                   floats) while the SLO's success is `le="1"`, as Pyrra writes it without
                   --enable-prometheus3-migration (slo/prometheus3.go): its success selector matches no series, so its
                   burnrates and its success increase rule record nothing, its total increase rule (no `le`) records.

`ebr-lat-stopped-inf` and `ebr-lat-prom3-inf` are the Pyrra latency SLOs over ebr-lat-stopped's and ebr-lat-prom3's
histograms whose total is the `+Inf` bucket: every rule carries `le="+Inf"` (the total's equality matcher), the
success increase rule's too, so it records the series of the total's rule; ebr-lat-stopped-inf has no burnrate group.

`ebr_rpc_duration_seconds_count{job="ebr-cnt-clean", code="200"}` (a histogram's `_count` alone) every 60 s from A-7h to
A+1h, 10 req/s, for a Pyrra ratio SLO `ebr-cnt-clean` (99.9%, 28d; errors with `code=~"5.."`, which has no series):
its burnrate rules record nothing, its increase rule (no `le`) records the total.

`ebr-lat-perf-stopped` (the histogram as ebr-lat-slow's) is a Pyrra latency SLO with `performanceOverAccuracy: true`
whose burnrate group stopped: only its 5m increase group (total without `le`, success with `le="0.5"`) and its generic
group are here, its long group (the increase rules over 28d) on another Prometheus.

`ebr-lat-split` (the histogram as ebr-lat-slow's) is a Pyrra latency SLO whose total is another metric's `_count`,
`ebr_rpc_summary_seconds_count` (a summary: no buckets), 10 req/s, and whose success is the histogram's `le="0.5"`
bucket (Pyrra warns of such a total, and generates its rules): its burnrate group stopped, its increase group is here,
the success rule named after the histogram (`ebr_http_request_duration_seconds:increase4w`, with `le`), the total's
after the summary (`ebr_rpc_summary_seconds:increase4w`, without). `ebr-lat-counter` is the same with a counter,
`ebr_rpc_requests_total`, as its total (its rule `ebr_rpc_requests:increase4w`).

For jobs clean and burn, Pyrra SLOs `ebr-perf-<job>` and `ebr-perf-nogeneric-<job>` (without --generic-rules) with
`performanceOverAccuracy: true`, their long rule group (the increase rule over 28d) on another Prometheus: only
`ebr_http_requests:increase5m`, the burnrates and (ebr-perf-*) the generic rules are here. `ebr-perf-stopped` (job
stopped, 5% errors) is the same with --generic-rules, but its burnrate group is gone too: only its 5m increase group
and its generic group (pyrra_window, pyrra_errors:rate5m ...) record; so is `ebr-perf-ended`, over
`ebr_http_requests_total{job="ebr-ended"}`: 9.5 req/s 200 and 0.5 req/s 500 until A-20m, when the error series ends,
and the 200 series on (not in JOBS: no other SLO reads it). `ebr-generic-only-burn` (job burn) has its
generic group alone: its burnrate and increase groups are gone. `ebr-perf-stopped-1w` (job stopped) and
`ebr-perf-fine-2d` (job fine: ebr-stopped's counters scraped every 30 s) are ebr-perf-stopped for SLO windows of 7d and
2d: no 5m window (7d), and every window of the page tier 4m/1m shorter than 5 minutes (2d).

`ebr_http_requests_total{job="ebr-late"}`: 9.5 req/s 200, and 0.5 req/s 500 from A-15m only (5% errors since).
Pyrra SLO `ebr-generic-stopped` (ratio, 28d, --generic-rules) reads it: its burnrate group is gone, its increase group
records here, and its generic group stopped at A-20m, when one ruler died with both (data_error_budget_generic.py
backfills it over A-40m to A-20m): its pyrra_errors:rate5m recorded 0 (no error series yet) until then, nothing since.
Pyrra SLO `ebr-generic-off` over job clean has its burnrate and increase groups here, its generic group there only
(switched off at A-20m).

Pyrra SLO `ebr-twin` over job clean (its burnrate, increase and generic groups) stands for a same-name SLO of another
namespace: a check on SLO ebr-twin over job burn, whose own rules are not loaded here, finds these. Pyrra SLOs
`ebr-twins` over jobs clean and burn (burnrate and increase groups) are two same-name SLOs both loaded.
`ebr_http_requests_total{service="ebr-checkout"}` (no job): 10 req/s 200; Pyrra SLO `ebr-twin-apart` over it (all
three groups) stands for a same-name SLO whose total shares no label with a check's over job burn.

`ebr_http_requests_total{job="ebr-wide", handler}`: handler /x 10 req/s 200 and a 500 series that never grows (no
errors), handler /y 9 req/s 200 and 1 req/s 500 (5% errors over the job). Pyrra SLO `ebr-wide` over `{handler="/x",
job="ebr-wide"}` (all three groups) stands for a same-name SLO of another namespace whose total adds a matcher to a
check's over job wide: its rules carry job="ebr-wide" too, and handler="/x" besides. Pyrra SLOs `ebr-wides` over
`{job="ebr-wide"}` and over `{handler="/x", job="ebr-wide"}` (burnrate and increase groups) are two such SLOs both
loaded.

`ebr_http_requests_total{job="ebr-ext", cluster="eu1"}`: 9.5 req/s 200 and 0.5 req/s 500 (5% errors), every series
with the label a Thanos Querier adds from its Prometheus' external labels. Pyrra SLO `ebr-ext` over `{job="ebr-ext"}`
(burnrate and increase groups) has its rules labelled cluster="eu1" too, as they read through that querier.
`ebr_http_requests_total{job="ebr-exto"}` is the same with cluster="eu1", and a 200 series without it that stopped 3h
before the anchor (within the 6h and 4d windows, not the 1h); Pyrra SLO `ebr-exto` over `{cluster="eu1",
job="ebr-exto"}` stands for a same-name SLO whose total adds cluster="eu1": over 4d it selects fewer series.
`ebr_http_requests_total{job="ebr-extl", cluster="eu1"}` is job ext's but for its 500 series, which stopped 20
minutes before the anchor: Pyrra SLO `ebr-extl` (rules with cluster="eu1" as ebr-ext's) records a burnrate over 1h,
none over 5m.

Pyrra SLOs without error series (errors `code=~"4.."`: no burnrate records; burnrate and increase groups), each standing
for a same-name SLO of another namespace where the check's own rules are not loaded: `ebr-wider` over `{handler="/x",
job="ebr-wide"}` (its total adds a matcher to a check's over job wide, 5% errors), `ebr-narrow` over `{job="ebr-wide"}`
(its total drops a check's regex matcher `handler=~"/y"`, 10% errors). Their increase rules are grouped by `code`.

`ebr_http_requests_total{job="ebr-pgone", handler, code}`: handler /x 10 req/s 200 on; handler /y 9 req/s 200 and 1
req/s 500 until 10 minutes before the anchor (its pods gone). Pyrra SLO `ebr-pgone` with `performanceOverAccuracy:
true` over `{handler="/x", job="ebr-pgone"}` (its 5m increase, burnrate and generic groups; errors `code=~"5.."`, none
of /x's: no burnrate records) stands for a same-name SLO of another namespace whose total adds handler="/x" to a check's
over job pgone, whose own rules are not loaded here: over the last 5 minutes both totals select the same series, over
30m and longer the check's selects /y's errors too.

`ebr_http_requests_total{job="ebr-pgburn", handler, code}` is job pgone's, with a /x 500 series of 0.002 req/s besides
that ended 90 minutes before the anchor. Pyrra SLO `ebr-pgburn` over `{handler="/x", job="ebr-pgburn"}`, ebr-pgone's
rules, records burnrates over 2h and longer (about 0.02% errors: 0.2x), none over 5m, 30m and 1h; over those longer
windows a check's total over job pgburn counts /y's 5% errors too.

`ebr_http_requests_total{job="ebr-pgext", cluster="eu1", code}`: 200 at 10 req/s on, 500 at 0.002 req/s until 90 minutes
before the anchor. Pyrra SLO `ebr-pgext` over `{cluster="eu1", job="ebr-pgext"}` (ebr-pgone's rules with cluster for
handler), as read through a Thanos Querier that adds cluster="eu1" to every series: its own rules.

`ebr_http_requests_total{job="ebr-pgdec", cluster, code}`: job pgext's cluster="eu1" series, and a cluster="us1" 200
series at 10 req/s that ended 6.5 hours before the anchor (that cluster decommissioned). Pyrra SLO `ebr-pgdec` over
`{cluster="eu1", job="ebr-pgdec"}` (ebr-pgext's rules): its burnrates over 2h and longer carry cluster="eu1", as every
raw series of job pgdec does over the last 6h, not over 1d and 4d.

Sloth SLO `ebr-sloth-partial` reads job burn's counters as ebr-sloth-burn does, but its ratio rules over 1h and 6h
record nothing (they fail): its other windows, 5m and 30m included, record 5% errors.

Sloth SLO `ebr-sloth-past-nometa` reads job past's counters as ebr-sloth-past does, but its meta-recordings group
(slo:objective:ratio, sloth_slo_info, ...) is not loaded: only its ratio rules over 6h and longer carry its labels.
"""

from __future__ import annotations

from analyzer.kinds import parse_duration
from analyzer.testing import OpenMetrics

MINUTE = 60.0
HOUR = 3600.0
JOBS = ("clean", "idle", "burn", "tiny", "past", "stopped")
# Jobs whose ratio rule group stopped: only their other groups are in the rule file.
STOPPED = frozenset({"stopped"})
# Jobs of the latency histogram: {job: share of requests slower than 0.5 s}; LATENCY_STOPPED lack the burnrate group.
LATENCY_JOBS = {
    "lat-fast": 0.0,
    "lat-slow": 0.05,
    "lat-stopped": 0.05,
    "lat-prom3": 0.05,
    "lat-perf-stopped": 0.05,
    "lat-split": 0.05,
    "lat-counter": 0.05,
}
# Latency jobs whose SLO has performanceOverAccuracy (their rules: pyrra_latency_performance_rules).
LATENCY_PERFORMANCE = frozenset({"lat-perf-stopped"})
# {job: (the bound the histogram writes, the le the SLO's success names)}: 0.5 both unless said here.
LATENCY_BOUNDS = {"lat-prom3": ("1.0", "1")}
LATENCY_STOPPED = frozenset({"lat-stopped"})
# Latency jobs that also have a Pyrra SLO ebr-<job>-inf whose total is the histogram's +Inf bucket.
LATENCY_INF = ("lat-stopped", "lat-prom3")
# Latency jobs whose total is another metric than the histogram's _count: {job: (the rules' name for it, the total)}.
SPLIT_TOTALS = {
    "lat-split": ("ebr_rpc_summary_seconds", "ebr_rpc_summary_seconds_count"),
    "lat-counter": ("ebr_rpc_requests", "ebr_rpc_requests_total"),
}
# Jobs that also have a Pyrra SLO with performanceOverAccuracy (with and without --generic-rules).
PERFORMANCE_JOBS = ("clean", "burn")
# Jobs with a Pyrra SLO with performanceOverAccuracy and --generic-rules whose burnrate group is gone as well.
PERFORMANCE_STOPPED = ("stopped", "ended")
# The same for other SLO windows (job, Prometheus' name of the window).
PERFORMANCE_STOPPED_WINDOWS = (("stopped", "1w"), ("fine", "2d"))
# The windows whose ratio rule Sloth SLO ebr-sloth-partial (over ebr-burn) does not record: those rules fail.
SLOTH_PARTIAL_UNRECORDED = ("1h", "6h")
# A Sloth SLO (over job past) whose meta-recordings group is not loaded: no slo:objective:ratio of its own.
SLOTH_NO_META = "past-nometa"
PYRRA_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "4d")
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# A Pyrra SLO of another namespace over job clean, named as a check that reads job burn names its own SLO, whose
# rules are not loaded here: Pyrra's rules carry no namespace of the SLO, only `slo` and the total's matchers.
TWIN_SLO = "ebr-twin"
# Two Pyrra SLOs of that name in two namespaces, over jobs clean and burn, both loaded here.
TWINS_SLO = "ebr-twins"
# A same-name SLO of another namespace over service ebr-checkout: its rules carry no job label at all.
APART_SLO = "ebr-twin-apart"
# A same-name SLO of another namespace whose total is {handler="/x", job="ebr-wide"}, a check's over job wide's whole:
# its rules carry the check's job label too.
WIDE_SLO = "ebr-wide"
WIDE_ALSO = ("handler", "/x")
# Two Pyrra SLOs of that name in two namespaces, over job wide's whole and its handler /x alone, both loaded here.
WIDES_SLO = "ebr-wides"
# A Pyrra SLO whose raw and rule series all carry cluster="eu1", as read through a Thanos Querier.
EXT_SLO = "ebr-ext"
EXT_LABEL = ("cluster", "eu1")
# Same-name SLOs without error series (no burnrate records): {slo: the equality matchers of its total}.
ERRORLESS = {"ebr-wider": 'handler="/x",job="ebr-wide"', "ebr-narrow": 'job="ebr-wide"'}
# A same-name SLO with performanceOverAccuracy whose total adds handler="/x" to a check's over job pgone, whose /y
# series ended this long before the anchor: within every window but the 5m one.
PGONE_ENDED_S = 10 * MINUTE
# Job pgburn's /x errors ended this long before the anchor: SLO ebr-pgburn (over its /x) records burnrates over 2h and
# longer, none over 1h or less.
PGBURN_ERRORS_ENDED_S = 90 * MINUTE
# Job pgdec's cluster="us1" series ended this long before the anchor: within the 1d and 4d windows, not the 6h one.
PGDEC_ENDED_S = 6.5 * HOUR
# Job late errs from this long before the anchor on: after the generic group of SLO ebr-generic-stopped stopped.
LATE_ERRORS_S = 15 * MINUTE
# Pyrra's alert pairs for a 28d window: (short, long, factor, for, severity, exhaustion).
PYRRA_ALERTS = (
    ("5m", "1h", 14, "2m0s", "critical", "2d"),
    ("30m", "6h", 7, "15m0s", "critical", "4d"),
    ("2h", "1d", 2, "1h0m0s", "warning", "2w"),
    ("6h", "4d", 1, "3h0m0s", "warning", "4w"),
)


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the raw counters the rules read."""
    start, end = anchor - 7 * HOUR, anchor + HOUR

    def counter(job, code, rate, until=end, step=MINUTE):
        om.add_counter_rate(
            "ebr_http_requests_total", {"job": f"ebr-{job}", "code": code}, lambda t: rate, start, until, step
        )

    counter("clean", "200", 10.0)
    counter("idle", "200", 0.0)
    counter("burn", "200", 9.5)
    counter("burn", "500", 0.5)
    counter("tiny", "200", 2 / 300)
    counter("tiny", "500", 1 / 300)
    counter("past", "200", 10.0)
    counter("past", "500", 0.1, until=anchor - 3 * HOUR + 1)
    counter("stopped", "200", 9.5)
    counter("stopped", "500", 0.5)
    counter("ended", "200", 9.5)
    counter("ended", "500", 0.5, until=anchor - 20 * MINUTE + 1)
    counter("late", "200", 9.5)
    om.add_counter_rate(
        "ebr_http_requests_total",
        {"job": "ebr-late", "code": "500"},
        lambda t: 0.5,
        anchor - LATE_ERRORS_S,
        end,
        MINUTE,
    )
    om.add_counter_rate(
        "ebr_http_requests_total", {"service": "ebr-checkout", "code": "200"}, lambda t: 10.0, start, end, MINUTE
    )
    for handler, code, rate in (("/x", "200", 10.0), ("/x", "500", 0.0), ("/y", "200", 9.0), ("/y", "500", 1.0)):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": "ebr-wide", "handler": handler, "code": code},
            lambda t, r=rate: r,
            start,
            end,
            MINUTE,
        )
    for job, code, rate in (
        ("ebr-ext", "200", 9.5),
        ("ebr-ext", "500", 0.5),
        ("ebr-exto", "200", 9.5),
        ("ebr-exto", "500", 0.5),
    ):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": job, EXT_LABEL[0]: EXT_LABEL[1], "code": code},
            lambda t, r=rate: r,
            start,
            end,
            MINUTE,
        )
    om.add_counter_rate(
        "ebr_http_requests_total", {"job": "ebr-exto", "code": "200"}, lambda t: 5.0, start, anchor - 3 * HOUR, MINUTE
    )
    for code, rate, until in (("200", 9.5, end), ("500", 0.5, anchor - 20 * MINUTE + 1)):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": "ebr-extl", EXT_LABEL[0]: EXT_LABEL[1], "code": code},
            lambda t, r=rate: r,
            start,
            until,
            MINUTE,
        )
    for job, handler, code, rate, until in (
        *(
            (job, handler, code, rate, until)
            for job in ("ebr-pgone", "ebr-pgburn")
            for handler, code, rate, until in (
                ("/x", "200", 10.0, end),
                ("/y", "200", 9.0, anchor - PGONE_ENDED_S + 1),
                ("/y", "500", 1.0, anchor - PGONE_ENDED_S + 1),
            )
        ),
        ("ebr-pgburn", "/x", "500", 0.002, anchor - PGBURN_ERRORS_ENDED_S + 1),
    ):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": job, "handler": handler, "code": code},
            lambda t, r=rate: r,
            start,
            until,
            MINUTE,
        )
    for code, rate, until in (("200", 10.0, end), ("500", 0.002, anchor - PGBURN_ERRORS_ENDED_S + 1)):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": "ebr-pgext", EXT_LABEL[0]: EXT_LABEL[1], "code": code},
            lambda t, r=rate: r,
            start,
            until,
            MINUTE,
        )
    # Job pgdec: job pgext's eu1 series, and a us1 one that ended within 1d but before the last 6h (its cluster gone).
    for cluster, code, rate, until in (
        ("eu1", "200", 10.0, end),
        ("eu1", "500", 0.002, anchor - PGBURN_ERRORS_ENDED_S + 1),
        ("us1", "200", 10.0, anchor - PGDEC_ENDED_S + 1),
    ):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": "ebr-pgdec", EXT_LABEL[0]: cluster, "code": code},
            lambda t, r=rate: r,
            start,
            until,
            MINUTE,
        )
    # Scraped every 30 s: a 1m window has two samples, so its rate is known.
    counter("fine", "200", 9.5, step=MINUTE / 2)
    counter("fine", "500", 0.5, step=MINUTE / 2)
    histogram = "ebr_http_request_duration_seconds"
    for job, slow in LATENCY_JOBS.items():
        labels = {"job": f"ebr-{job}"}
        om.add_counter_rate(f"{histogram}_count", labels, lambda t: 10.0, start, end, MINUTE)
        om.add_counter_rate(f"{histogram}_bucket", labels | {"le": "+Inf"}, lambda t: 10.0, start, end, MINUTE)
        fast = 10.0 * (1 - slow)
        bound = LATENCY_BOUNDS.get(job, ("0.5", "0.5"))[0]
        om.add_counter_rate(f"{histogram}_bucket", labels | {"le": bound}, lambda t, r=fast: r, start, end, MINUTE)
    om.add_counter_rate("ebr_rpc_summary_seconds_count", {"job": "ebr-lat-split"}, lambda t: 10.0, start, end, MINUTE)
    om.add_counter_rate("ebr_rpc_requests_total", {"job": "ebr-lat-counter"}, lambda t: 10.0, start, end, MINUTE)
    om.add_counter_rate(
        "ebr_rpc_duration_seconds_count", {"job": "ebr-cnt-clean", "code": "200"}, lambda t: 10.0, start, end, MINUTE
    )


def pyrra_rules(
    job: str, slo: str = "", *, generic: bool = True, label: str = "job", also: tuple[str, str] | None = None
) -> str:
    """Pyrra's rule groups for SLO <slo> (ebr-<job> unless given) over the counters of <label> (job unless given)
    ebr-<job>, as slo/rules_test.go's "http-ratio" case writes them (the --generic-rules group unless not `generic`):
    the total's equality matcher is a label of every rule. `also`: one more equality matcher (name, value) of the
    SLO's total (and errors), a label of every rule too."""
    slo, selected = slo or f"ebr-{job}", f'{label}="ebr-{job}"'
    more = "" if also is None else f"      {also[0]}: {also[1]}\n"
    if also is not None:
        selected = ",".join(sorted([selected, f'{also[0]}="{also[1]}"']))
    total = f"ebr_http_requests_total{{{selected}}}"
    errors = f'ebr_http_requests_total{{code=~"5..",{selected}}}'
    labels = f"    labels:\n{more}      {label}: ebr-{job}\n      slo: {slo}\n"
    out = "" if job in STOPPED else f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in () if job in STOPPED else PYRRA_WINDOWS:
        out += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    matchers = f'{selected},slo="{slo}"'
    for short, long, factor, wait, severity, exhaustion in () if job in STOPPED else PYRRA_ALERTS:
        out += (
            f"  - alert: ErrorBudgetBurn\n"
            f"    expr: ebr_http_requests:burnrate{short}{{{matchers}}} > ({factor} * (1-0.999)) and "
            f"ebr_http_requests:burnrate{long}{{{matchers}}} > ({factor} * (1-0.999))\n"
            f"    for: {wait}\n"
            f"    labels:\n      exhaustion: {exhaustion}\n{more}      {label}: ebr-{job}\n      long: {long}\n"
            f"      severity: {severity}\n      short: {short}\n      slo: {slo}\n"
        )
    out += (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase4w\n"
        f"    expr: sum by (code) (increase({total}[4w]))\n"
        + labels
        + f"  - alert: SLOMetricAbsent\n    expr: absent({total}) == 1\n    for: 10m\n"
        f"    labels:\n{more}      {label}: ebr-{job}\n      severity: critical\n      slo: {slo}\n"
    )
    if not generic:
        return out
    only_slo = f"    labels:\n      slo: {slo}\n"
    out += (
        f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
        f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{only_slo}'
        f'  - record: pyrra_window\n    expr: "2419200"\n{only_slo}'
        f"  - record: pyrra_availability\n    expr: 1 - sum(ebr_http_requests:increase4w"
        f'{{code=~"5..",{selected},slo="{slo}"}} or vector(0)) / '
        f'sum(ebr_http_requests:increase4w{{{selected},slo="{slo}"}})\n{only_slo}'
        f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{only_slo}"
        f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{only_slo}"
    )
    return out


def pyrra_errorless_rules(slo: str, selected: str) -> str:
    """Pyrra's burnrate and increase groups for ratio SLO <slo> over `selected` (its total's equality matchers) whose
    errors, `code=~"4.."`, have no series, as slo/rules.go writes them: no burnrate records, the increase rule (grouped
    by `code`, the errors' own label) does."""
    total = f"ebr_http_requests_total{{{selected}}}"
    errors = f'ebr_http_requests_total{{code=~"4..",{selected}}}'
    labels = "    labels:\n" + "".join(
        f"      {name}: {value.strip(chr(34))}\n"
        for name, _, value in sorted((*(m.partition("=") for m in selected.split(",")), ("slo", "=", slo)))
    )
    out = f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in PYRRA_WINDOWS:
        out += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    return out + (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase4w\n    expr: sum by (code) (increase({total}[4w]))\n" + labels
    )


def pyrra_increase_only_rules(slo: str, job: str) -> str:
    """The increase group alone of Pyrra SLO <slo> (ratio, 28d) over job ebr-<job>'s counters, as slo/rules.go's
    increaseRulesRatio writes it (grouped by `code`, the errors' own label): its burnrate group is gone, and its
    generic group, if any, is elsewhere."""
    total = f'ebr_http_requests_total{{job="ebr-{job}"}}'
    labels = f"    labels:\n      job: ebr-{job}\n      slo: {slo}\n"
    return (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase4w\n"
        f"    expr: sum by (code) (increase({total}[4w]))\n"
        + labels
        + f"  - alert: SLOMetricAbsent\n    expr: absent({total}) == 1\n    for: 10m\n"
        f"    labels:\n      job: ebr-{job}\n      severity: critical\n      slo: {slo}\n"
    )


def pyrra_generic_group(slo: str, total: str, errors: str) -> str:
    """Pyrra's `--generic-rules` group of SLO `slo` (ratio, 99.9%, 28d) without `pyrra_availability`: its objective,
    window, and the 5m request and error rates of `total` and `errors`."""
    only_slo = f"    labels:\n      slo: {slo}\n"
    return (
        f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
        f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{only_slo}'
        f'  - record: pyrra_window\n    expr: "2419200"\n{only_slo}'
        f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{only_slo}"
        f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{only_slo}"
    )


def pyrra_generic_only_rules(job: str) -> str:
    """The generic group alone of Pyrra SLO ebr-generic-only-<job> (ratio, 28d, --generic-rules), as slo/rules.go's
    GenericRules writes it: its burnrate group and its increase group are gone."""
    slo, total = f"ebr-generic-only-{job}", f'ebr_http_requests_total{{job="ebr-{job}"}}'
    errors = f'ebr_http_requests_total{{code=~"5..",job="ebr-{job}"}}'
    generic = f"    labels:\n      slo: {slo}\n"
    return (
        f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
        f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{generic}'
        f'  - record: pyrra_window\n    expr: "2419200"\n{generic}'
        f'  - record: pyrra_availability\n    expr: 1 - sum(ebr_http_requests:increase4w{{code=~"5..",job="ebr-{job}",'
        f'slo="{slo}"}} or vector(0)) / sum(ebr_http_requests:increase4w{{job="ebr-{job}",slo="{slo}"}})\n{generic}'
        f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{generic}"
        f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{generic}"
    )


def pyrra_latency_rules(job: str) -> str:
    """Pyrra's rule groups for latency SLO ebr-<job>, as slo/rules_test.go's "http-latency" case writes them: each
    burnrate is (count - success bucket) / count, recorded whenever the histogram has series."""
    slo, histogram = f"ebr-{job}", "ebr_http_request_duration_seconds"
    le = LATENCY_BOUNDS.get(job, ("0.5", "0.5"))[1]
    total, success = f'{histogram}_count{{job="{slo}"}}', f'{histogram}_bucket{{job="{slo}",le="{le}"}}'
    labels = f"    labels:\n      job: {slo}\n      slo: {slo}\n"
    out = "" if job in LATENCY_STOPPED else f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in () if job in LATENCY_STOPPED else PYRRA_WINDOWS:
        out += (
            f"  - record: {histogram}:burnrate{window}\n"
            f"    expr: (sum(rate({total}[{window}])) - sum(rate({success}[{window}])))"
            f" / sum(rate({total}[{window}]))\n" + labels
        )
    return out + (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: {histogram}:increase4w\n    expr: sum(increase({total}[4w]))\n{labels}      le: ''\n"
        f"  - record: {histogram}:increase4w\n    expr: sum(increase({success}[4w]))\n{labels}      le: '{le}'\n"
    )


def pyrra_latency_inf_rules(job: str) -> str:
    """Pyrra's rule groups for latency SLO ebr-<job>-inf over ebr-<job>'s histogram, whose total is its +Inf bucket, as
    slo/rules.go writes them: every equality matcher of the total, `le` too, is a label of every rule, so the success
    increase rule's le is overwritten with +Inf and it records the very series of the total's rule (Prometheus keeps
    the first rule's sample of a timestamp and refuses the second's)."""
    slo, histogram = f"ebr-{job}-inf", "ebr_http_request_duration_seconds"
    le = LATENCY_BOUNDS.get(job, ("0.5", "0.5"))[1]
    total = f'{histogram}_bucket{{job="ebr-{job}",le="+Inf"}}'
    success = f'{histogram}_bucket{{job="ebr-{job}",le="{le}"}}'
    labels = f"    labels:\n      job: ebr-{job}\n      le: '+Inf'\n      slo: {slo}\n"
    out = "" if job in LATENCY_STOPPED else f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in () if job in LATENCY_STOPPED else PYRRA_WINDOWS:
        # BurnrateName trims _total and _count, not _bucket.
        out += (
            f"  - record: {histogram}_bucket:burnrate{window}\n"
            f"    expr: (sum(rate({total}[{window}])) - sum(rate({success}[{window}])))"
            f" / sum(rate({total}[{window}]))\n" + labels
        )
    return out + (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: {histogram}:increase4w\n    expr: sum(increase({total}[4w]))\n{labels}"
        f"  - record: {histogram}:increase4w\n    expr: sum(increase({success}[4w]))\n{labels}"
    )


def pyrra_latency_performance_rules(job: str) -> str:
    """Pyrra's `-short` rule file for latency SLO ebr-<job> with `performanceOverAccuracy: true` and its burnrate group
    stopped, as slo/rules.go (increaseRuleLatency) writes its 5m increase rules: the total's without le, the success
    bucket's with it; and its --generic-rules window and objective. Its `-long` file runs elsewhere: it is not here."""
    slo, histogram = f"ebr-{job}", "ebr_http_request_duration_seconds"
    total, success = f'{histogram}_count{{job="{slo}"}}', f'{histogram}_bucket{{job="{slo}",le="0.5"}}'
    labels, generic = f"    labels:\n      job: {slo}\n      slo: {slo}\n", f"    labels:\n      slo: {slo}\n"
    return (
        f"- name: {slo}-increase\n  interval: 30s\n  rules:\n"
        f"  - record: {histogram}:increase5m\n    expr: sum(increase({total}[5m]))\n{labels}"
        f"  - record: {histogram}:increase5m\n    expr: sum(increase({success}[5m]))\n{labels}      le: '0.5'\n"
        f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
        f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{generic}'
        f'  - record: pyrra_window\n    expr: "2419200"\n{generic}'
    )


def pyrra_latency_split_rules(job: str) -> str:
    """Pyrra's increase group for latency SLO ebr-<job>, whose total is another metric than its histogram (lat-split: a
    summary's _count; lat-counter: a counter's _total) and whose success is the histogram's bucket, as slo/rules.go
    (increaseRuleLatency) names each rule after its own metric without its suffix; its burnrate group stopped."""
    slo, histogram = f"ebr-{job}", "ebr_http_request_duration_seconds"
    name, total_metric = SPLIT_TOTALS[job]
    total, success = f'{total_metric}{{job="{slo}"}}', f'{histogram}_bucket{{job="{slo}",le="0.5"}}'
    labels = f"    labels:\n      job: {slo}\n      slo: {slo}\n"
    return (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: {name}:increase4w\n    expr: sum(increase({total}[4w]))\n{labels}      le: ''\n"
        f"  - record: {histogram}:increase4w\n    expr: sum(increase({success}[4w]))\n{labels}      le: '0.5'\n"
    )


def pyrra_count_ratio_rules() -> str:
    """Pyrra's rule groups for ratio SLO ebr-cnt-clean, whose total is a histogram's _count, as slo/rules_test.go's
    "http-ratio" case writes them: no error series, so the burnrates record nothing; the increase rule has no le."""
    slo, metric = "ebr-cnt-clean", "ebr_rpc_duration_seconds"
    total, errors = f'{metric}_count{{job="{slo}"}}', f'{metric}_count{{code=~"5..",job="{slo}"}}'
    labels = f"    labels:\n      job: {slo}\n      slo: {slo}\n"
    out = f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in PYRRA_WINDOWS:
        out += (
            f"  - record: {metric}:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    return out + (
        f"- name: {slo}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: {metric}:increase4w\n    expr: sum by (code) (increase({total}[4w]))\n{labels}"
    )


def pyrra_performance_rules(job: str, *, generic: bool, burnrates: bool = True, slo_window: str = "4w") -> str:
    """Pyrra's `-short` rule file for SLO ebr-perf-<job> (ebr-perf-nogeneric-<job> without `generic`; suffixed
    -<slo_window> unless 4w) with `performanceOverAccuracy: true`, as filesystem.go's writeRuleFileSplit writes it: the
    5m increase group (slo/rules.go, increaseRulesRatio), the burnrate group (unless not `burnrates`: it stopped) and,
    with --generic-rules, the generic group (GenericRules). Its `-long` file (`<metric>:increase<slo_window>` as
    sum_over_time(<metric>:increase5m[<slo_window>:5m])) runs elsewhere (Thanos Ruler): it is not here."""
    slo = (f"ebr-perf-{job}" if generic else f"ebr-perf-nogeneric-{job}") + (
        "" if slo_window == "4w" else f"-{slo_window}"
    )
    total = f'ebr_http_requests_total{{job="ebr-{job}"}}'
    errors = f'ebr_http_requests_total{{code=~"5..",job="ebr-{job}"}}'
    labels = f"    labels:\n      job: ebr-{job}\n      slo: {slo}\n"
    out = (
        f"- name: {slo}-increase\n  interval: 30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase5m\n"
        f"    expr: sum by (code) (increase({total}[5m]))\n"
        + labels
        + f"  - alert: SLOMetricAbsent\n    expr: absent({total}) == 1\n    for: 10m\n"
        f"    labels:\n      job: ebr-{job}\n      severity: critical\n      slo: {slo}\n"
    )
    if burnrates:
        out += f"- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in PYRRA_WINDOWS if burnrates else ():
        out += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    if generic:
        only_slo, increase = f"    labels:\n      slo: {slo}\n", f"ebr_http_requests:increase{slo_window}"
        out += (
            f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
            f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{only_slo}'
            f'  - record: pyrra_window\n    expr: "{parse_duration(slo_window):.0f}"\n{only_slo}'
            f'  - record: pyrra_availability\n    expr: 1 - sum({increase}{{code=~"5..",job="ebr-{job}",'
            f'slo="{slo}"}} or vector(0)) / sum({increase}{{job="ebr-{job}",slo="{slo}"}})\n{only_slo}'
            f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{only_slo}"
            f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{only_slo}"
        )
    return out


def pyrra_performance_wider_rules(job: str = "pgone", also: tuple[str, str] = WIDE_ALSO) -> str:
    """Pyrra's 5m increase, burnrate and --generic-rules groups for SLO ebr-<job> with `performanceOverAccuracy: true`
    over `{<also>, job="ebr-<job>"}` (handler="/x" unless given; errors `code=~"5.."`: job pgone's /x has none, no
    burnrate records), as pyrra_performance_rules writes them; its -long group runs elsewhere."""
    slo = f"ebr-{job}"
    selected = f'{also[0]}="{also[1]}",job="ebr-{job}"'
    total, errors = f"ebr_http_requests_total{{{selected}}}", f'ebr_http_requests_total{{code=~"5..",{selected}}}'
    labels = f"    labels:\n      {also[0]}: {also[1]}\n      job: ebr-{job}\n      slo: {slo}\n"
    out = (
        f"- name: {slo}-increase\n  interval: 30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase5m\n    expr: sum by (code) (increase({total}[5m]))\n{labels}"
        f"- name: {slo}\n  interval: 30s\n  rules:\n"
    )
    for window in PYRRA_WINDOWS:
        out += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    only_slo = f"    labels:\n      slo: {slo}\n"
    return out + (
        f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
        f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{only_slo}'
        f'  - record: pyrra_window\n    expr: "2419200"\n{only_slo}'
        f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{only_slo}"
        f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{only_slo}"
    )


def sloth_rules(
    job: str, name: str = "", windows: tuple[str, ...] = SLOTH_WINDOWS, meta: bool = True, error_query: str = ""
) -> str:
    """Sloth's rule groups for SLO ebr-sloth-<name> (<job> unless given) over job ebr-<job>'s counters, as
    examples/_gen/getting-started.yml writes them, with a ratio rule for each of `windows` only; without its
    meta-recordings group (slo:objective:ratio and the rest) unless `meta`. `error_query`: the SLO's
    sli.events.error_query, `{window}` for Sloth's {{.window}} (default: the 5xx and 429 rate)."""
    error_query = error_query or f'sum(rate(ebr_http_requests_total{{job="ebr-{job}",code=~"(5..|429)"}}[{{window}}]))'
    service, name = "ebr-sloth", name or job
    sloth_id = f"{service}-{name}"
    labels = (
        f"      owner: ebr-team\n      sloth_id: {sloth_id}\n      sloth_service: {service}\n      sloth_slo: {name}\n"
    )
    selector = f'sloth_id="{sloth_id}", sloth_service="{service}", sloth_slo="{name}"'
    out = "" if job in STOPPED else f"- name: sloth-slo-sli-recordings-{sloth_id}\n  rules:\n"
    for window in () if job in STOPPED else windows:
        out += (
            f"  - record: slo:sli_error:ratio_rate{window}\n    expr: |\n"
            f"      ({error_query.replace('{window}', window)})\n"
            f"      /\n"
            f'      (sum(rate(ebr_http_requests_total{{job="ebr-{job}"}}[{window}])))\n'
            f"    labels:\n{labels}      sloth_window: {window}\n"
        )
    out += (
        ""
        if job in STOPPED
        else (
            f"  - record: slo:sli_error:ratio_rate30d\n    expr: |\n"
            f"      sum_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[30d])\n"
            f"      / ignoring (sloth_window)\n"
            f"      count_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[30d])\n"
            f"    labels:\n{labels}      sloth_window: 30d\n"
        )
    )
    if not meta:
        return out
    out += (
        f"- name: sloth-slo-meta-recordings-{sloth_id}\n  rules:\n"
        f"  - record: slo:objective:ratio\n    expr: vector(0.9990000000000001)\n    labels:\n{labels}"
        f"  - record: slo:error_budget:ratio\n    expr: vector(1-0.9990000000000001)\n    labels:\n{labels}"
        f"  - record: slo:time_period:days\n    expr: vector(30)\n    labels:\n{labels}"
        f"  - record: slo:current_burn_rate:ratio\n    expr: |\n"
        f"      slo:sli_error:ratio_rate5m{{{selector}}}\n"
        f"      / on(sloth_id, sloth_slo, sloth_service) group_left\n"
        f"      slo:error_budget:ratio{{{selector}}}\n    labels:\n{labels}"
        f"  - record: slo:period_burn_rate:ratio\n    expr: |\n"
        f"      slo:sli_error:ratio_rate30d{{{selector}}}\n"
        f"      / on(sloth_id, sloth_slo, sloth_service) group_left\n"
        f"      slo:error_budget:ratio{{{selector}}}\n    labels:\n{labels}"
        f"  - record: slo:period_error_budget_remaining:ratio\n"
        f"    expr: 1 - slo:period_burn_rate:ratio{{{selector}}}\n    labels:\n{labels}"
        f"  - record: sloth_slo_info\n    expr: vector(1)\n    labels:\n{labels}"
        f'      sloth_mode: cli-gen-prom\n      sloth_objective: "99.9"\n      sloth_spec: prometheus/v1\n'
        f"      sloth_version: v0.16.0\n"
    )
    return out


def rules(anchor: float) -> tuple[str, float, float]:
    """The Pyrra and Sloth rule file for every job, and the range to evaluate it over."""
    text = "groups:\n" + "".join(pyrra_rules(job) + sloth_rules(job) for job in JOBS)
    text += "".join(
        pyrra_latency_performance_rules(job)
        if job in LATENCY_PERFORMANCE
        else pyrra_latency_split_rules(job)
        if job in SPLIT_TOTALS
        else pyrra_latency_rules(job)
        for job in LATENCY_JOBS
    )
    text += pyrra_count_ratio_rules()
    text += "".join(pyrra_latency_inf_rules(job) for job in LATENCY_INF)
    text += "".join(
        pyrra_performance_rules(job, generic=generic) for job in PERFORMANCE_JOBS for generic in (True, False)
    )
    text += "".join(pyrra_performance_rules(job, generic=True, burnrates=False) for job in PERFORMANCE_STOPPED)
    text += "".join(
        pyrra_performance_rules(job, generic=True, burnrates=False, slo_window=slo_window)
        for job, slo_window in PERFORMANCE_STOPPED_WINDOWS
    )
    text += sloth_rules("burn", "partial", tuple(w for w in SLOTH_WINDOWS if w not in SLOTH_PARTIAL_UNRECORDED))
    text += sloth_rules("past", SLOTH_NO_META, meta=False)
    text += pyrra_generic_only_rules("burn")
    text += pyrra_increase_only_rules("ebr-generic-stopped", "late")
    # Its generic group switched off 20 minutes ago (data_error_budget_generic.py has it until then).
    text += pyrra_rules("clean", "ebr-generic-off", generic=False)
    text += pyrra_rules("clean", TWIN_SLO)
    # Two same-name SLOs both loaded, over jobs clean and burn (their generic groups would record one series); one
    # file holds both, so the second's groups are renamed (two namespaces' rule files may repeat a name; the group
    # name is on no series).
    text += pyrra_rules("checkout", APART_SLO, label="service")
    text += pyrra_rules("clean", TWINS_SLO, generic=False)
    text += pyrra_rules("burn", TWINS_SLO, generic=False).replace(f"- name: {TWINS_SLO}", f"- name: other-{TWINS_SLO}")
    text += pyrra_rules("wide", WIDE_SLO, also=WIDE_ALSO)
    text += pyrra_rules("wide", WIDES_SLO, generic=False)
    text += pyrra_rules("wide", WIDES_SLO, generic=False, also=WIDE_ALSO).replace(
        f"- name: {WIDES_SLO}", f"- name: other-{WIDES_SLO}"
    )
    # The querier's label on every rule series: as the total's matcher it selects the same series and labels the rules.
    text += pyrra_rules("ext", EXT_SLO, generic=False, also=EXT_LABEL)
    text += pyrra_rules("exto", generic=False, also=EXT_LABEL)
    text += pyrra_rules("extl", generic=False, also=EXT_LABEL)
    text += "".join(pyrra_errorless_rules(slo, selected) for slo, selected in ERRORLESS.items())
    text += pyrra_performance_wider_rules()
    text += pyrra_performance_wider_rules("pgburn")
    text += pyrra_performance_wider_rules("pgext", EXT_LABEL)
    text += pyrra_performance_wider_rules("pgdec", EXT_LABEL)
    return text, anchor - 40 * MINUTE, anchor + 10 * MINUTE
