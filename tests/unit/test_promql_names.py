"""The metric names read out of PromQL: every literal selector, nothing that only looks like one; the whole-query
selectors a batch may group; the query asking which names exist."""

from __future__ import annotations

import re

import pytest

from analyzer.promql_names import (
    MetricSelector,
    VectorSelector,
    bare_selector,
    contradicting_name_warnings,
    event_form,
    label_presence_query,
    label_written,
    may_answer_without_its_series,
    metric_names,
    metric_selectors,
    name_matchers_contradict,
    names_pattern,
    needed_labels,
    presence_query,
    range_durations,
    reads_as_regex,
    regex_equality_warnings,
    regex_name_selectors,
    regexes_blanked,
    vector_selectors,
)


def names(query: str) -> list[str]:
    return [name for found in metric_selectors(query) for name in found.names]


def pairs(query: str) -> list[tuple[str, str]]:
    return [("|".join(found.names), found.selector) for found in metric_selectors(query)]


class TestMetricSelectors:
    """Names of selected metrics are found wherever PromQL lets them stand; labels, functions and keywords not."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (
                'sum(rate(http_requests_total{code=~"5..",svc="a"}[5m])) / sum(rate(http_requests_total[5m]))',
                ["http_requests_total", "http_requests_total"],
            ),
            ("histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m])))", ["latency_seconds_bucket"]),
            ("sum without (instance, pod) (up)", ["up"]),
            ("sum(x) by (job) / on(job) group_left(team) team_info", ["x", "team_info"]),
            ("a and b or c unless ignoring(le) d", ["a", "b", "c", "d"]),
            ("x == bool 1", ["x"]),
            ('{__name__="kpi_total", job="shop"}', ["kpi_total"]),
            ('{__name__=~"kpi_.*"}', []),
            ("job:http_requests:rate5m offset 1h", ["job:http_requests:rate5m"]),
            ("x @ start() + y @ 1609746000", ["x", "y"]),
            ("max_over_time(avg(rate(kpi_total[1m]))[15m:1m])", ["kpi_total"]),
            ("1e+3 * Inf - NaN + 0x1F * vector(1) + time()", []),
            ('label_replace(x, "dst", "$1", "src", "(.*)")', ["x"]),
            ('count_values("le", topk(3, y))', ["y"]),
            ('sum(x{a="}{ # not a comment"}) # z{}\n + w', ["x", "w"]),
            ("SUM BY (job) (Rate(x[5m]))", ["x"]),
            ("sum(x) or absent(y) or absent_over_time(z[5m]) or absent(sum(rate(q[5m])))", ["x"]),
            ("x {a='b'} - y_total", ["x", "y_total"]),
        ],
    )
    def test_names(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (
                'sum(rate(http_requests_total{code=~"5..", job="a"}[5m]))',
                [("http_requests_total", 'http_requests_total{code=~"5..", job="a"}')],
            ),
            (
                "sum by (code, job) (rate(a_total[5m])) / ignoring(code) group_left sum(b)",
                [("a_total", "a_total"), ("b", "b")],
            ),
            ('sum(rate(x{a="}{[", b=~"y|z"}[1h] offset 5m)) or on (job) vector(0)', [("x", 'x{a="}{[", b=~"y|z"}')]),
            ('label_replace(up{job="a"}, "dst", "$1", "src", "(.*)") > bool 1e-3', [("up", 'up{job="a"}')]),
            (
                '{__name__="hidden", a="b"} + count_values("x", y) @ start()',
                [("hidden", '{__name__="hidden", a="b"}'), ("y", "y")],
            ),
            ("sum(rate(a:b:c[5m:1m])) # comment naming fake_metric", [("a:b:c", "a:b:c")]),
            ("sum(rate(m[5m])) without (instance) and Inf > NaN", [("m", "m")]),
            (
                'histogram_quantile(0.9, sum by (le) (rate(h_bucket{le=~"0.5"}[5m])))',
                [("h_bucket", 'h_bucket{le=~"0.5"}')],
            ),
        ],
    )
    def test_selectors(self, query, expected):
        assert pairs(query) == expected

    def test_a_value_with_an_escape_json_lacks_is_kept_as_written(self):
        # Go's `\x35` and `\101`, in double or single quotes: the text between the quotes.
        found = vector_selectors("x{code=\"\\x35\"} + y{code='\\101'}")
        assert [selector.matchers for selector in found] == [(("code", "=", "\\x35"),), (("code", "=", "\\101"),)]

    def test_the_selector_is_quoted_as_written(self):
        found = metric_selectors('sum(increase(kpi_order_total{service="shop", h="x"}[10m])) / sum(kpi_visits_total)')
        assert found == [
            MetricSelector(("kpi_order_total",), 'kpi_order_total{service="shop", h="x"}'),
            MetricSelector(("kpi_visits_total",), "kpi_visits_total"),
        ]


class TestRegexNames:
    """A `__name__` regex that only lists names reads those names (any one of them will do); any other regex
    names nothing that can be checked, and is reported as such."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('sum(rate({__name__=~"http_errors_totl", job="api"}[5m]))', [("http_errors_totl",)]),
            ('{__name__=~"a|b:c"}', [("a", "b:c")]),
            ('{__name__=~"^(a|b)$"} + {__name__=~"(?:c)"} + {__name__=~\'^d|e$\'}', [("a", "b"), ("c",), ("d", "e")]),
            ("{__name__=~`a|a`}", [("a",)]),
            # Every matcher on the name must match (Prometheus 2.42 accepts several): the names all of them name.
            ('{__name__=~"a|b", __name__="b"}', [("b",)]),
            ('{__name__=~"a|b|c", __name__=~"c|b", __name__!="c"}', [("b",)]),
            ('{__name__=~"a.*", __name__="a1"}', [("a1",)]),
            # Those a `!~` or any regex Python reads as Go does leaves out are not read. Before: a and b, either one
            # enough (a misspelt b passed beside a fallback on a's series).
            ('{__name__=~"a|b", __name__!~"a"}', [("b",)]),
            ('{__name__=~"a_total|b_total", __name__!~"a_.*"}', [("b_total",)]),
            ('{__name__=~"a|B", __name__=~"(?i)b"}', [("B",)]),
            # One Python may read otherwise than Go, or slowly, leaves every name in.
            ('{__name__=~"a|b", __name__!~"\\\\Qa\\\\E"}', [("a", "b")]),
            ('{__name__=~"a|b", __name__!~"[[:alpha:]]"}', [("a", "b")]),
            ('{__name__=~"a|b", __name__!~"(a*)*"}', [("a", "b")]),
            ('{__name__="a", __name__="b"}', [("a",)]),  # no name meets both: see name_matchers_contradict
        ],
    )
    def test_a_list_of_names_is_read(self, query, expected):
        assert [found.names for found in metric_selectors(query)] == expected


class TestNameMatchersContradict:
    """A selector whose matchers on the name name names literally, none of which meets all of them, matches no
    series whatever exists: it is found, as written."""

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate({__name__="a", __name__="b", code="5"}[5m])) or vector(0)',
            '{__name__=~"a|b", __name__!~"a|b"}',
            '{__name__="a", __name__!="a"}',
            '{__name__="a1", __name__=~"b.*"}',
            '{__name__="", __name__="a"}',
            '{"a", __name__="b"}',
            # Read up to 3 quantifiers and names of up to 200 characters (more: see test_not_found).
            '{__name__="a1", __name__=~"b*c+d?"}',
            '{__name__="' + "a" * 200 + '", __name__=~"b.*"}',
        ],
    )
    def test_found(self, query):
        (found,) = name_matchers_contradict(query)
        assert found.startswith("{") and found in query

    @pytest.mark.parametrize(
        "query",
        [
            '{__name__=~"a|b", __name__="b"}',
            '{__name__="a1", __name__=~"a.*"}',
            '{__name__="a", __name__=~"\\\\Qb\\\\E"}',  # not read here: Prometheus may match it
            '{__name__="", job="a"}',
            '{__name__=~"a.*", __name__!~"b.*"}',
            'absent({__name__="a", __name__="b"})',
            '{__name__="\\x61", __name__="a"}',  # Go's escape: Prometheus reads a, not read here
            '{"é_total", __name__!~"\\\\w+"}',  # Go's \w is ASCII's, Python's Unicode's: not read here
            # Read slowly by Python's backtracking (minutes for this one): not read here.
            '{__name__="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", __name__=~"a*a*a*a*a*a*a*a*a*a*c"}',
            '{__name__="a1", __name__=~"b*c+d?e*"}',
            '{__name__="' + "a" * 201 + '", __name__=~"b.*"}',
            'a{job="b"}',
        ],
    )
    def test_not_found(self, query):
        assert name_matchers_contradict(query) == ()


class TestContradictingNameWarnings:
    """A selector whose matchers on the name no name meets, as written, is a load warning (evaluation refuses it);
    one whose matchers on the name hold a placeholder is not (the args may make them agree)."""

    def test_warned_with_the_selector_as_written(self):
        query = 'sum(rate({__name__="a", __name__="b", job="{{ job }}"}[5m])) or vector(0)'
        assert contradicting_name_warnings("query", query) == [
            'query selector {__name__="a", __name__="b", job="{{ job }}"} matches no series: no metric name meets '
            "all of its matchers on __name__ (Prometheus matches each series on every one of them), so every "
            "evaluation refuses the query; keep one matcher on the name, or a regex that lists the names "
            '(`{__name__=~"a|b"}`)'
        ]

    @pytest.mark.parametrize(
        "query",
        ['{__name__="{{ metric }}", __name__="b"}', '{__name__="a_{{ kind }}", __name__=~"a_(b|c)"}', '{__name__="a"}'],
    )
    def test_not_warned(self, query):
        assert contradicting_name_warnings("query", query) == []

    @pytest.mark.parametrize(
        "query",
        [
            '{__name__=~"kpi_.*"}',
            '{__name__=~"a|b.*"}',
            '{__name__=~"(a|b"}',
            '{__name__=~"a\\.b"}',
            '{__name__=~"a||b"}',
            '{__name__=~""}',
            '{__name__!~"a|b"}',
        ],
    )
    def test_any_other_regex_is_not(self, query):
        assert metric_selectors(query) == []
        assert regex_name_selectors(f"sum(rate({query}[5m]))") == [query]

    def test_only_regex_names_are_reported(self):
        query = (
            'x{a=~"b.*"} + {__name__="y"} + {__name__=~"z|w"} + {job="j"} + {__name__=~"v.+", b="1"}'
            ' + absent({__name__=~"u.*"})'
        )
        assert regex_name_selectors(query) == ['{__name__=~"v.+", b="1"}']


class TestRegexAfterEquality:
    """A regex written after `=` or `!=` (code="5.." for code=~"5..") is named with the operator meant: equality
    compares the text, so the selector matches nothing, and an error count beside `or vector(0)` reads zero."""

    @pytest.mark.parametrize("value", ["5..", "5.*", ".+health", "2xx|5xx", "[45]xx", r"5\d\d", "a.?b"])
    def test_a_regex_reads_as_one(self, value):
        assert reads_as_regex(value)

    @pytest.mark.parametrize("value", ["500", "1.4.2", "payments", "db-1.shop.svc", "", "{{ canary_hash }}", "a+b"])
    def test_a_literal_value_does_not(self, value):
        assert not reads_as_regex(value)

    @pytest.mark.parametrize("value", ["outbound|9080||reviews.default.svc.cluster.local", "inbound|8080||", "|a"])
    def test_bars_around_an_empty_alternative_are_a_literals(self, value):
        # Envoy's cluster names (Istio's envoy_cluster_name): direction|port|subset|host, the subset often empty.
        assert not reads_as_regex(value)

    def test_each_equality_is_named_with_the_operator_meant(self):
        query = (
            'sum(rate(x{service="payments", code="5..", path!=`.*health.*`, h="{{ h }}", m=~"GET|PUT"}[5m]))'
            " or vector(0)"
        )
        selector = 'x{service="payments", code="5..", path!=`.*health.*`, h="{{ h }}", m=~"GET|PUT"}'
        assert regex_equality_warnings("query", query) == [
            f'query selector {selector}: code="5.." compares for equality, and "5.." reads as a regex: only a code '
            'written "5.." matches, so the selector matches no series (in an error count, zero errors: a pass); '
            'for a regex write code=~"5.."',
            f"query selector {selector}: path!=`.*health.*` compares for equality, and `.*health.*` reads as a "
            "regex: only a path written `.*health.*` is left out, so the selector leaves out nothing; for a regex "
            "write path!~`.*health.*`",
        ]

    def test_names_strings_and_regex_matchers_are_not_named(self):
        query = '{__name__="a|b"} + y{code=~"5..", le!~".*"} + label_replace(z, "d", "5..", "s", "(.*)")'
        assert regex_equality_warnings("query", query) == []


class TestSyntheticAnswers:
    """A query that may answer though its selectors match nothing is no evidence that its metrics exist."""

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(http_errors_totl{job="api"}[5m])) or vector(0)',
            "sum(rate(e[5m])) OR on() vector(0)",
            "sum(rate(e[5m])) unless sum(rate(f[5m]))",
            "sum(rate(e[5m])) + scalar(t)",
            "absent(e) * 0",
            "sum(rate(e[5m])) * 0 + time()",
            'label_replace(vector (1), "a", "b", "", "")',
            "max_over_time(vector(0)[5m:1m])",
            "sum(rate(e[5m])) or(f)",
            "hour() * 0 + pi()",
        ],
    )
    def test_fallbacks_may_answer(self, query):
        assert may_answer_without_its_series(query)

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(http_errors_total{job="api", code=~"5..|vector(0)"}[5m]))',
            "sum(rate(e[5m])) / sum(rate(t[5m])) > bool 0.5",
            "sum(rate(e[5m])) and on() sum(rate(t[5m])) # or vector(0)",
            "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m]))) * 1e3",
            "sum by (vector) (rate(or_total[5m])) + time_total",
        ],
    )
    def test_selectors_alone_answer(self, query):
        assert not may_answer_without_its_series(query)


class TestEventForm:
    """A query counts events over its range with increase() or count_over_time(), gives them per second with rate()
    or irate(), and cannot be told when it calls both kinds or neither."""

    @pytest.mark.parametrize(
        ("query", "form"),
        [
            ("sum(increase(t_total[{{ window }}]))", "count"),
            ('sum(INCREASE(t_total{job="rate(x)"}[1h]))', "count"),
            ("sum by (job) (increase (t_total[5m]))", "count"),
            ("sum(rate(t_total[{{ window }}]))", "per_second"),
            ("sum(irate(t_total[5m]))", "per_second"),
            ('sum(rate(t_total{path="/increase(x)"}[5m]))', "per_second"),
            ("sum(rate(t_total[5m])) # increase(", "per_second"),
            ("sum(increase(t_total[5m])) / sum(rate(u_total[5m]))", None),
            ("avg_over_time(job:requests:rate5m[1h])", None),
            ('sum(count_over_time(probe_success{job="web"}[{{ window }}]))', "count"),
            ("sum(count_over_time((probe_success == 0)[{{ window }}:]))", "count"),
            ("sum(count_over_time(x[5m])) / sum(rate(y_total[5m]))", None),
            ("increase_total", None),
        ],
    )
    def test_form(self, query, form):
        assert event_form(query) == form


class TestWhereReadingsDiffered:
    """The cases two earlier lexers read differently, each read as Prometheus reads it."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            # Only absence functions hide a name: absent(x) is meant to find nothing; x outside it is still read.
            ("absent(x) or x", ["x"]),
            ("absent_over_time(x[5m]) + rate(y[5m])", ["y"]),
            ("sum(absent(nothing_total)) or vector(0)", []),
        ],
    )
    def test_absent(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('{__name__="x"}', ["x"]),
            ('rate({job="a", __name__="x"}[5m])', ["x"]),  # the name matcher need not come first
            ("{__name__='x'} + {__name__=`y`}", ["x", "y"]),  # any PromQL string, raw strings too
            ('{__name__!="x"} + {__name__=~"y.*"} + {__name__!~"z"}', []),  # neither names a metric
            ("{a=\", __name__='x'\"}", []),  # inside a label value, not a matcher
            ('{__name__="x\\u0079"}', ["xy"]),  # an escape read as Prometheus reads it
            ('{__name__="x\\x79"}', []),  # an escape only Go reads: not read rather than misread
            ('{__name__="x" b="2"}', []),  # no matcher list: Prometheus rejects it
        ],
    )
    def test_name_matchers(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("limitk(2, x) or limit_ratio(0.5, y)", ["x", "y"]),
            ("x offset 5m + y OFFSET -1h", ["x", "y"]),
            # Prometheus reads `sum` here as a metric name; a keyword read as a name could make a valid query
            # misconfigured, so keywords never name a metric.
            ('sum{a="1"} + count', []),
        ],
    )
    def test_keywords(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('sum by ("a)b") (x)', ["x"]),  # a quoted label name (Prometheus 3) may hold a parenthesis
            ("sum(x) without (fake_total) / ignoring (other_total) group_right (third) y", ["x", "y"]),
        ],
    )
    def test_label_lists(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('x # y{a="1"}\n+ z', ["x", "z"]),
            ("x # a comment to the end", ["x"]),
            ('x{a="# not a comment"} + y', ["x", "y"]),
        ],
    )
    def test_comments(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('label_replace(x, "d", "a\\"b c", "s", ".*") + y', ["x", "y"]),
            ("label_replace(x, 'd', 'it\\'s c', 's', '.*') + y", ["x", "y"]),
            # A raw string has no escapes: the backslash ends nothing and the string ends at the next backtick.
            ('label_join(x, "d", `\\`, "s") + y', ["x", "y"]),
            ('x{a="unterminated', ["x"]),
        ],
    )
    def test_strings(self, query, expected):
        assert names(query) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("rate(x[1h30m]) offset 1h30m", ["x"]),
            ("x offset 5m", ["x"]),
            ("x @ 123 + y @ 1609746000.5", ["x", "y"]),
            ("max_over_time(rate(x[5m])[1h:5m]) + min_over_time(y[30m:])", ["x", "y"]),
            ("x * 1e-3 + .5 + 0x1F + 2h", ["x"]),
        ],
    )
    def test_numbers_durations_and_modifiers(self, query, expected):
        assert names(query) == expected


class TestBareSelector:
    """Only a whole `name{matchers}` query with quoted values is a bare selector; anything else, or anything
    unsure, is not."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('slo:sli_error:ratio_rate5m{sloth_id="x"}', ("slo:sli_error:ratio_rate5m", 'sloth_id="x"')),
            ('m{a="}", b=~"x|y"}', ("m", 'a="}", b=~"x|y"')),
            ('m{a="x\\"} or n{b=\\"y"}', ("m", 'a="x\\"} or n{b=\\"y"')),  # one quoted value, escaped quotes
            ("m{a='q\\'}'}", ("m", "a='q\\'}'")),
            ('m{ a = "1" , }', ("m", ' a = "1" , ')),
            ("m{}", ("m", "")),
            ('_:x9{a!~"b"}', ("_:x9", 'a!~"b"')),
            ("m{a=`1`}", ("m", "a=`1`")),  # a raw string is a PromQL string as well
        ],
    )
    def test_recognised(self, query, expected):
        assert bare_selector(query) == expected

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(m{a="1"}[5m]))',
            '{__name__=~".+:burnrate5m", slo="x"}',
            'm{a="1"} offset 5m',
            'm{a="1"} @ 100',
            'm{a="1"}[5m]',
            'm{a="1"} or n{a="1"}',
            'm{a="x"} or n{b="}"}',
            'm{a="1"} + 1',
            "m",
            "m{a=1}",
            'm{a="1"',
            'm{a="1"}}',
            ' m{a="1"}',
            'm{a="1"} ',
            'sum{a="1"}',
            'NaN{a="1"}',
            'Offset{a="1"}',
            'm{__name__="n"}',
            'm{a="1" b="2"}',
            '9m{a="1"}',
            'm{a="\n"}',
            'm {a="1"}',
            "m{,}",
            'absent(m{a="1"})',
            '{__name__="m", a="1"}',
        ],
    )
    def test_anything_else_is_not(self, query):
        assert bare_selector(query) is None

    def test_names_are_escaped_as_a_regex(self):
        # A metric name cannot hold a regex metacharacter today; the pattern must stay exact if one ever does.
        assert names_pattern(["a.b", "c:d", "e|f(g)"]) == r"a\.b|c:d|e\|f\(g\)"


class TestMetricNames:
    """A list of metric names (a kind's optional_metrics) is kept as it is, or refused naming its first non-name."""

    def test_names_are_kept(self):
        assert metric_names(["job:errors:rate5m", "_x", "payments_failures_total"]) == [
            "job:errors:rate5m",
            "_x",
            "payments_failures_total",
        ]

    @pytest.mark.parametrize("name", ["errors_total{}", "5xx", "", "errors total", "é"])
    def test_a_non_name_is_refused(self, name):
        with pytest.raises(ValueError, match=f"^{re.escape(repr(name))} is not a metric name$"):
            metric_names(["ok", name, "also bad{"])


class TestPresenceQuery:
    """The probe asks for each name once, as an exact pattern inside a PromQL string."""

    def test_one_regex_of_the_distinct_names(self):
        assert presence_query(["b", "a", "b"]) == 'group by (__name__) ({__name__=~"a|b"})'

    def test_the_pattern_is_escaped_as_a_string(self):
        assert presence_query(["a.b"]) == 'group by (__name__) ({__name__=~"a\\\\.b"})'


class TestNeededLabels:
    """A matcher that cannot match the empty value needs its label on a series; one that can needs nothing."""

    @pytest.mark.parametrize(
        ("selector", "labels"),
        [
            ('x{code=~"5.."}', ("code",)),
            ('x{job="a", code=~"5..", job=~"a"}', ("job", "code")),
            ('x{code!=""}', ("code",)),
            ('x{code!~""}', ("code",)),
            ("x{code=~'5..'}", ("code",)),
            ('{__name__="x", "service.name"="api"}', ("service.name",)),
            ('x{code=~"5..|"}', ()),
            ('x{code=~"(5..)?"}', ()),
            ('x{code!="x"}', ()),
            ('x{code!~"5.."}', ()),
            ('x{code=""}', ()),
            ('x{code=~".*"}', ()),
            ('{__name__="x"}', ()),
            ("x", ()),
            ('x{code=~"\\pL"}', ()),  # RE2 syntax Python lacks: nothing called needed
            # A POSIX class, which Python reads as a set of `[:digit` then `]`: RE2 matches the empty value.
            ('x{code=~"[[:digit:]]*"}', ()),
            ('x{code=~"[^[:space:]]*"}', ()),
            ('x{code=~"[[:digit:]]+"}', ("code",)),
        ],
    )
    def test_labels_of_matchers_that_cannot_match_empty(self, selector, labels):
        assert needed_labels(selector) == labels

    def test_a_label_presence_query_asks_for_series_carrying_the_label(self):
        assert label_presence_query(["b", "a"], "code") == 'group by (__name__) ({__name__=~"a|b", code!=""})'

    def test_a_label_that_is_no_identifier_is_quoted(self):
        assert label_written("code") == "code"
        assert label_written('service.na"me') == '"service.na\\"me"'


class TestQuotedLabelNames:
    """A quoted label name (Prometheus 3) is read as the name it quotes, by both readings."""

    def test_vector_selectors_unquote_the_label(self):
        assert vector_selectors('{"service.name"="api", __name__="m"}') == [
            VectorSelector(("m",), (("service.name", "=", "api"),))
        ]

    def test_a_quoted_name_label_is_still_the_name(self):
        assert metric_selectors('{"__name__"="m"}') == [MetricSelector(("m",), '{"__name__"="m"}')]
        assert bare_selector('m{"__name__"="n"}') is None


class TestQuotedMetricNames:
    """A string alone in a selector's braces is its metric name (Prometheus 3), wherever it stands in the list."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('{"errors.total"}', [VectorSelector(("errors.total",), ())]),
            ('rate({"errors.total", code="500"}[5m])', [VectorSelector(("errors.total",), (("code", "=", "500"),))]),
            ("{code='500', 'errors.total'}", [VectorSelector(("errors.total",), (("code", "=", "500"),))]),
            (
                '{`errors.total`, "service.name"=~"a.*"}',
                [VectorSelector(("errors.total",), (("service.name", "=~", "a.*"),))],
            ),
        ],
    )
    def test_read_as_the_name(self, query, expected):
        # Before: `cannot read the label matchers`, and no presence query beside a fallback.
        assert vector_selectors(query) == expected
        assert names(query) == ["errors.total"]

    def test_its_labels_are_needed_as_written(self):
        assert needed_labels('{"errors.total", code=~"5.."}') == ("code",)

    def test_its_presence_query_escapes_the_dot(self):
        assert presence_query(names('{"errors.total"}')) == 'group by (__name__) ({__name__=~"errors\\\\.total"})'


class TestRegexesBlanked:
    """Each regex matcher's value on a label but the name is written `".*"` (`""` when shorter), padded to its length;
    strings, comments and names keep theirs."""

    @pytest.mark.parametrize(
        ("query", "blanked"),
        [
            (
                'rate(x{path=~"\\\\Qa.b\\\\E", code!~`5..`, __name__=~"x|y", job="a"}[5m])',
                'rate(x{path=~".*"       , code!~".*" , __name__=~"x|y", job="a"}[5m])',
            ),
            ('{"e.total", "code.x"=~"5.."} # {a=~"b"}', '{"e.total", "code.x"=~".*" } # {a=~"b"}'),
            ('x{a=~"{", b!~""}', 'x{a=~"" , b!~""}'),
            ('label_replace(x, "a", "{b=~\\"c\\"}", "", "")', 'label_replace(x, "a", "{b=~\\"c\\"}", "", "")'),
            ('x{a=~"b"', 'x{a=~"b"'),  # no selector: left as written
        ],
    )
    def test_blanked(self, query, blanked):
        assert regexes_blanked(query) == blanked
        assert len(blanked) == len(query)  # each character where it was written: an operand is read back from query

    @pytest.mark.parametrize(
        ("query", "blanked"),
        [
            ('{__name__=~"\\\\Qx\\\\E", job="a"}', '{__name__=~".+"     , job="a"}'),
            # Four characters, quotes in: `".+"` fits, and a selector whose one matcher matches the empty name (`""`)
            # is no selector to the parser, so the dead-canary rule read no selector of the query.
            ('{__name__=~"y."}', '{__name__=~".+"}'),
            ('x{__name__!~"", a=~"b"}', 'x{__name__!~"", a=~"" }'),
        ],
    )
    def test_with_names_the_metric_names_regex_is_blanked_to_a_non_empty_match(self, query, blanked):
        assert regexes_blanked(query, names=True) == blanked
        assert len(blanked) == len(query)


class TestRangeDurations:
    """Each range and subquery range a query reads, outside strings and comments."""

    @pytest.mark.parametrize(
        ("query", "ranges"),
        [
            ('sum(rate(x{code=~"5.."}[5m]))', ["5m"]),
            ("max_over_time(rate(x[5m])[1h:1m])", ["5m", "1h"]),
            ('x{path="/a[30d]"} + y[ 2d ]', ["2d"]),
            ("x # [90d] in a comment\n+ y[1h]", ["1h"]),
            ("increase(x[{{ window }}])", ["{{ window }}"]),
            ("up", []),
        ],
    )
    def test_ranges(self, query, ranges):
        assert range_durations(query) == ranges
