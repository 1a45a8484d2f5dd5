"""The groups a query reads a histogram's buckets in: the outermost aggregation above a selector, below a binary
operator or histogram_quantile(), or each series alone."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from analyzer.promql_groups import (
    EACH_SERIES,
    BucketRead,
    DroppedLabels,
    Grouping,
    Reach,
    answer_label_list,
    bucket_group_labels,
    bucket_reads,
    constant_value,
    division_sides,
    dropped_list_labels,
    fallback_constant,
    fallback_label_lists,
    fallback_reads,
    fallback_selectors,
    fallback_unreadable,
    grouping_label_lists,
    nan_hiding_operand,
    nan_hiding_operands,
    nan_probe,
    pinned_start,
    presence_over,
    rated_selectors,
    relabelled_sources,
    scalar_arguments,
    selector_reads,
    share_of_failures,
    share_of_itself,
)
from analyzer.promql_syntax import parsed
from analyzer.promql_text import promql_size_problem


class TestBucketReads:
    """Each selector with its matchers, its grouping and whether a quantile reads it."""

    def test_a_quantile_grouped_by_more_than_le(self):
        assert bucket_reads('max(histogram_quantile(0.99, sum by (le, service) (rate(x_bucket{a="b"}[5m]))))') == [
            BucketRead("x_bucket", (("a", "=", "b"),), Grouping("by", ("le", "service")), True)
        ]

    def test_what_prometheus_parses_and_promql_parser_alone_would_not(self):
        # A raw string's regex (`\d` is no escape there) and Prometheus 2's holt_winters, as the offline parse reads
        # them: refused, the query's groups were not seen and only the union of its series was checked.
        read, _ = bucket_reads(
            "histogram_quantile(0.99, sum by (le, service) (rate(x_bucket{pod=~`api-\\d+`}[5m])))"
            " > holt_winters(y[1h], 0.5, 0.5)"
        )
        assert read == BucketRead("x_bucket", (("pod", "=~", "api-\\d+"),), Grouping("by", ("le", "service")), True)

    def test_the_outermost_aggregation_groups(self):
        (read,) = bucket_reads("sum by (le) (sum by (le, service, pod) (rate(x_bucket[5m])))")
        assert read.grouping == Grouping("by", ("le",)) and not read.quantile

    def test_each_side_of_a_binary_operator_is_grouped_on_its_own(self):
        numerator, denominator = bucket_reads(
            'sum by (service) (rate(x_bucket{le="0.5"}[5m])) / sum(rate(x_count[5m]))'
        )
        assert numerator.grouping == Grouping("by", ("service",)) and numerator.matchers == (("le", "=", "0.5"),)
        assert denominator.grouping == Grouping("by", ())

    @pytest.mark.parametrize(
        ("query", "grouping"),
        [
            ("histogram_quantile(0.9, rate(x_bucket[5m]))", EACH_SERIES),
            ("sum without (pod) (x)", Grouping("without", ("pod",))),
            ("topk(3, x)", EACH_SERIES),
            ('{__name__="x", a="b"}', EACH_SERIES),
        ],
    )
    def test_groupings(self, query, grouping):
        (read,) = bucket_reads(query)
        assert read.name == "x" or read.name == "x_bucket"
        assert read.grouping == grouping

    @pytest.mark.parametrize(
        ("call", "grouping"),
        [
            # The label grouped by is written from `service`: the series read have no `svc`. Before: by (le, svc).
            ('label_replace(rate(x_bucket[5m]), "svc", "$1", "service", "(.*)")', ("le", "svc", "service")),
            ('label_join(rate(x_bucket[5m]), "svc", "-", "service", "zone")', ("le", "svc", "service", "zone")),
            ('label_replace(rate(x_bucket[5m]), "other", "$1", "service", "(.*)")', ("le", "svc")),
        ],
    )
    def test_a_label_written_by_a_relabelling_is_grouped_by_its_sources(self, call, grouping):
        (read,) = bucket_reads(f"histogram_quantile(0.9, sum by (le, svc) ({call}))")
        assert read.grouping == Grouping("by", grouping)

    def test_a_label_written_beside_one_dropped_keeps_the_source(self):
        # `without (service)` of a vector whose `svc` comes from `service` still splits by it. Before: dropped.
        (read,) = bucket_reads('sum without (service, pod) (label_replace(x_bucket, "svc", "$1", "service", "(.*)"))')
        assert read.grouping == Grouping("without", ("pod",))
        (read,) = bucket_reads('sum without (svc) (label_replace(x_bucket, "svc", "$1", "service", "(.*)"))')
        assert read.grouping == Grouping("without", ("svc",))

    def test_unread_and_unnamed_selectors_are_left_out(self):
        assert bucket_reads('absent(x) or {__name__=~"a|b"}') == []

    def test_a_query_the_parser_refuses(self):
        with pytest.raises(ValueError):
            bucket_reads("sum(rate(x[5m])")


class TestGrouping:
    """A series' group leaves `le` and the name out; the description names the labels."""

    SERIES = {"__name__": "x_bucket", "le": "0.5", "service": "a", "pod": "p1"}

    def test_keys(self):
        assert Grouping("by", ("le", "service")).key(self.SERIES) == (("service", "a"),)
        assert Grouping("by", ("zone",)).key(self.SERIES) == (("zone", ""),)
        assert Grouping("without", ("pod",)).key(self.SERIES) == (("service", "a"),)
        assert EACH_SERIES.key(self.SERIES) == (("pod", "p1"), ("service", "a"))

    def test_descriptions(self):
        assert Grouping("by", ("le", "service")).describe() == "groups by (service)"
        assert Grouping("without", ("pod",)).describe() == "groups without (pod)"
        assert EACH_SERIES.describe() == "series"


class TestBucketGroupLabels:
    """The labels a query's histograms are read by across their buckets, as a bucket probe groups them."""

    @pytest.mark.parametrize(
        ("query", "labels"),
        [
            ("histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))", ()),
            ("max(histogram_quantile(0.99, sum by (le, service) (rate(x_bucket[5m]))))", ("service",)),
            ("histogram_quantile(0.99, rate(x_bucket[5m]))", None),
            ("histogram_quantile(0.99, sum without (pod) (rate(x_bucket[5m])))", None),
            # A chosen bucket is no quantile; a metric of another name outside a quantile is no histogram.
            ('sum by (service) (rate(x_bucket{le="0.5"}[5m])) / sum by (zone) (rate(x_count[5m]))', ()),
            ("sum(rate(x_bucket[5m])", ()),
            # A quantile over the buckets an `le` matcher chooses still reads them across. Before: ().
            ('histogram_quantile(0.9, sum by (le, service) (rate(x_bucket{le=~"0.5|Inf"}[5m])))', ("service",)),
            (
                'histogram_quantile(0.9, sum by (le, svc) (label_replace(rate(x_bucket[5m]), "svc", "$1", "service", '
                '"(.*)")))',
                ("svc", "service"),
            ),
        ],
    )
    def test_labels(self, query, labels):
        assert bucket_group_labels(query) == labels


class TestReadTimes:
    """A selector's `@` and offset, with its subqueries', as a bucket query must repeat them."""

    @pytest.mark.parametrize(
        ("query", "modifiers"),
        [
            ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", ""),
            ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m] offset 1h)))", " offset 3600000ms"),
            ("sum(x_bucket offset -90s)", " offset -90000ms"),
            ("sum(x_bucket @ 1700000000.5 offset 1m)", " @ 1700000000.500 offset 60000ms"),
            ("sum(x_bucket @ end())", " @ end()"),
            # A subquery moves what it reads; a selector's own `@` is absolute, its own offset adds.
            ("max_over_time(rate(x_bucket[5m] offset 1m)[1h:5m] offset 1h)", " offset 3660000ms"),
            ("max_over_time(rate(x_bucket[5m] @ 100)[1h:5m] offset 1h)", " @ 100.000"),
            ("max_over_time(rate(x_bucket[5m])[1h:5m] @ start())", " @ start()"),
        ],
    )
    def test_modifiers(self, query, modifiers):
        (read,) = bucket_reads(query)
        assert read.modifiers == modifiers


class TestNanHidingOperand:
    """The operand of a whole query that is an aggregation leaving NaN elements out, as written."""

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("max(a / b)", ("max", "a / b")),
            ('(( min by (pod) (x{a="(", b=",)"}) ))', ("min", 'x{a="(", b=",)"}')),
            ("MAX(rate(x[5m])) by (pod)", ("max", "rate(x[5m])")),
            ('topk(3, x{a="1", b="2"})', ("topk", 'x{a="1", b="2"}')),
            ("quantile without (pod) (0.9, x)", ("quantile", "x")),
            # A comment in the operand would swallow what the probe writes after it.
            ("max(x # the ratio )\n)", ("max", "x")),
        ],
    )
    def test_found(self, query, found):
        assert nan_hiding_operand(query) == found

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("max(x) * 100", ("max", "x")),
            ("100 * -(max by (pod) (x))", ("max", "x")),
            ("max(x) or vector(0)", ("max", "x")),
            ("round(min(x) by (pod), 0.001) or vector(0)", ("min", "x")),
            # The aggregation the answer comes from, not an equal one in a string or in the `or`'s right side.
            ('max(y{a="max(x)"}) or max(x)', ("max", 'y{a="max(x)"}')),
            ("(topk(1, max(x))) / 2 or max(z)", ("topk", "max(x)")),
        ],
    )
    def test_found_under_what_keeps_its_answer(self, query, found):
        # Before: None, and the answer of max(ratio_by_pod) * 100 passed over a pod at 0/0 it left out.
        assert nan_hiding_operand(query) == found

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("max(x) - min(y)", [("max", "x"), ("min", "y")]),
            ("max(x) > 0.5", [("max", "x")]),
            ("max(x) > bool 0.5", [("max", "x")]),
            ("vector(0) or max by (pod) (x)", [("max", "x")]),
            # Each pod's element keeps a label the `or` matches on: it answers beside vector(0)'s.
            ("vector(0) or ignoring(code) max by (pod) (x)", [("max", "x")]),
            ("vector(0) or on(pod) max by (pod) (x)", [("max", "x")]),
            ("vector(0) or ignoring(pod) label_replace(max by (pod) (x), 'a', 'b', '', '')", [("max", "x")]),
            ("vector(0) or ignoring(pod) max by (pod) (x) * on(pod) group_left(a) y", [("max", "x")]),
            ("vector(0) or ignoring(pod) max without (code) (x)", [("max", "x")]),
            ("vector(0) or topk(1, x)", [("topk", "x")]),
            ("clamp(vector(0), 1, 0) or max(x)", [("max", "x")]),  # clamp with min above max answers nothing
            ("max(x) and on() vector(1)", [("max", "x")]),
            ("sum(z) unless topk(1, x)", []),
            ("max by (pod) (x) / on (pod) group_left sum by (pod) (y)", [("max", "x")]),
            # sum(x) * vector(1) answers nothing without x: max(y) then answers.
            ("(sum(x) * vector(1)) or on() max(y)", [("max", "y")]),
        ],
    )
    def test_found_beside_another_operand(self, query, found):
        # Before: none, and max(a) - max(b) passed over an element of a at 0/0 that max left out.
        assert nan_hiding_operands(query) == found

    @pytest.mark.parametrize(
        "query",
        [
            "vector(0) or max(x)",
            "(vector(1) - 1) or on() max(x) * 100",
            "vector(0) or max by () (x) or vector(1)",
            "vector(0) or on() max by (pod) (x)",  # on(): each pod's element matches too
            # Matched on no label the right side's elements carry. Before: probed, and possibly inconclusive.
            "vector(0) or ignoring(pod) max by (pod) (x)",
            "vector(0) or ignoring(pod, a) label_replace(max by (pod) (x), 'a', 'b', '', '')",
            "vector(0) or on(code) max by (pod) (x)",
            "vector(0) or ignoring(pod) (max by (pod) (x) and on(pod) sum by (pod, code) (y))",
            "clamp_max(vector(1), 2) or on() max(x)",
            "abs(vector(1)) or on() max(x)",
        ],
    )
    def test_none_behind_an_element_that_always_matches(self, query):
        # The left side's one element without labels matches each of max()'s: none of them reaches the answer.
        # Before: max() was probed, and an element it left out made the check inconclusive.
        assert nan_hiding_operands(query) == []

    @pytest.mark.parametrize(
        "query",
        [
            "sum(x)",
            "avg_over_time(x[5m])",
            "avg(max by (a) (x))",
            "sum(x) and max(y)",
            "max(x",
            "y and max_over_time(x[5m])",
        ],
    )
    def test_none(self, query):
        assert nan_hiding_operand(query) is None
        assert nan_hiding_operands(query) == []

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("max_over_time(x[5m])", [("max_over_time", "last_over_time(x[5m])")]),
            ("min_over_time(x[10m] offset 5m) * 100", [("min_over_time", "last_over_time(x[10m] offset 5m)")]),
            (
                "quantile_over_time(0.9, (a / b)[10m:1m]) or vector(0)",
                [("quantile_over_time", "last_over_time((a / b)[10m:1m])")],
            ),
            # Below an aggregation, whose own operand has no NaN (max_over_time answered its earlier steps).
            (
                "max(max_over_time(x[5m:1m] @ start()))",
                [("max", "max_over_time(x[5m:1m] @ start())"), ("max_over_time", "last_over_time(x[5m:1m] @ start())")],
            ),
            ("sum by (pod) (min_over_time(x[5m]))", [("min_over_time", "last_over_time(x[5m])")]),
        ],
    )
    def test_a_function_over_time_is_probed_at_its_last_step(self, query, found):
        # It leaves out an element's NaN steps: a canary without traffic for the last minutes is judged on its
        # earlier ones. Before: none, and a pass on them.
        assert nan_hiding_operands(query) == found


class TestNanHidingOperandsPlaces:
    """Each aggregation found is read where it is written, the first of equal ones, from one parse of the query."""

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            # An equal one written first lends its place and text: max(x) is listed before min(y).
            ("max(x{a='1'}) + min(y) + MAX( x{a=\"1\"} )", [("max", "x{a='1'}"), ("max", "x{a='1'}"), ("min", "y")]),
            ("max(a) - max(max(b))", [("max", "a"), ("max", "max(b)")]),
            # A param's function over time is written before the operand's.
            (
                "topk(scalar(max_over_time(a[5m])), max_over_time(b[5m]))",
                [("topk", "max_over_time(b[5m])"), ("max_over_time", "last_over_time(b[5m])")],
            ),
            (
                "clamp_min(max_over_time(a[5m]), scalar(max_over_time(b[5m])))",
                [("max_over_time", "last_over_time(a[5m])")],
            ),
            # The param's own commas, within brackets, are not the one before the operand.
            ("topk(scalar(clamp_max(vector(2), 3)), x)", [("topk", "x")]),
            # A metric and a label named max are no aggregation's place.
            ('max{a="1"} + max(x) - sum by (max) (max)', [("max", "x")]),
        ],
    )
    def test_read_where_written(self, query, found):
        assert nan_hiding_operands(query) == found

    @pytest.mark.parametrize(
        "term",
        ['max(x{{i="{i}"}})', 'max(max(max(max_over_time(x{{i="{i}"}}[5m]))))'],
    )
    def test_twice_the_aggregations_parse_the_query_once(self, monkeypatch, term):
        # Before: a parse of a slice of the query per place tried, for each aggregation: 401 max(x{i="N"}) took
        # seconds of CPU (per evaluation of a new query, on serve's event loop).
        from analyzer import promql_syntax

        real = promql_syntax.parsed
        parsed_chars: list[int] = []

        def counted(query):
            parsed_chars.append(len(query))
            return real(query)

        monkeypatch.setattr(promql_syntax, "parsed", counted)
        work = {}
        for terms in (100, 200):
            query = " + ".join(term.format(i=i) for i in range(terms))
            parsed_chars.clear()
            assert len(nan_hiding_operands(query)) == terms * (1 if term.startswith("max(x") else 2)
            work[terms] = (len(parsed_chars), sum(parsed_chars), len(query))
        # One parse, of the query itself, for 100 aggregations as for 200.
        assert work[100][:2] == (1, work[100][2])
        assert work[200][:2] == (1, work[200][2])


class TestFallbackConstant:
    """The constant a query's whole answer falls back to when no series it reads exists, and none for a query whose
    answer may come from a series."""

    @pytest.mark.parametrize(
        ("query", "constant"),
        [
            ("sum(rate(e_total[5m])) or vector(0)", 0.0),
            # The right side answers elements without labels only, which the left one's element matches: whatever
            # series exist, the constant answers alone.
            ("vector(0) or max(x)", 0.0),
            ("vector(0) or (max(x) * 2)", 0.0),
            ("vector(0) or -max(x)", 0.0),
            ("vector(0) or abs(max(x))", 0.0),
            ("vector(0) or (vector(1) and on() x)", 0.0),
            ("vector(0) or (max(x) and on() y)", 0.0),
            # Every label it may carry ignored: each of its elements matches the constant's.
            ("vector(0) or ignoring (pod, __name__) max by (pod, __name__) (x)", 0.0),
            ("vector(0) or topk(1, max(x))", 0.0),
            # A quantile of buckets summed by `le` alone has no label left: 0 is all the query ever answers, a pass
            # for ever under `< 0.5`, now warned at load. Before: None.
            ("vector(0) or histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", 0.0),
        ],
    )
    def test_constant(self, query, constant):
        assert fallback_constant(query) == constant

    @pytest.mark.parametrize(
        "query",
        [
            # Labelled elements on the right side are not matched by the constant's: they answer beside it.
            "vector(0) or (x * max(y))",
            "vector(0) or (max(x) * y)",
            # Each pod's quantile keeps its pod: it answers beside the constant.
            "vector(0) or histogram_quantile(0.9, sum by (le, pod) (rate(x_bucket[5m])))",
            "vector(0) or x",
            'vector(0) or label_replace(x, "a", "$1", "b", "(.*)")',
            'vector(0) or count_values("v", max(x))',
            # No `or`: a check on x's absence, as absent(x) is, not a fallback.
            "vector(1) unless on() x",
            "sum(e_total)",
        ],
    )
    def test_none(self, query):
        assert fallback_constant(query) is None


class TestNanProbe:
    """The probe of an aggregation that hides NaN asks for its operand's elements without a value; others get none."""

    def test_an_aggregation_that_hides_nan_gets_the_probe(self):
        assert nan_probe("max(a / b)", 5) == ("max()", _probe("a / b"))

    def test_an_aggregation_written_in_capitals_gets_the_probe(self):
        # PromQL's keywords are case-insensitive: MAX hides NaN as max does.
        assert nan_probe("MAX(a / b)", 5) == ("max()", _probe("a / b"))

    def test_several_aggregations_get_one_probe_for_their_operands(self):
        assert nan_probe("max(a) - min(b) - max(a)", 5) == ("max() or min()", _probe("a", "b"))

    def test_elements_are_matched_with_their_metric_name(self):
        # `unless` matches without the name: job:a at NaN went unseen beside job:b at 0.1 of the same labels.
        _, probe = nan_probe('max({__name__=~"job:a|job:b"})', 5)
        assert 'label_replace(({__name__=~"job:a|job:b"}), "__analyzer_name", "$1", "__name__", "(.+)")' in probe

    @pytest.mark.parametrize("query", ["sum(a / b)", "a / b", "sum(a) or vector(0)"])
    def test_any_other_query_gets_none(self, query):
        assert nan_probe(query, 5) is None


_LEAVES = ("sum(e_total)", "r_total", "vector(0)", "vector(1)", "0", "2", "vector(0.5)")
_FORMS = (
    *("({} or {})", "({} or on() {})", "({} and on() {})", "({} unless on() {})", "({} + {})", "({} * {})"),
    *("({} - {})", "({} >= {})", "({} > bool {})", "({} < {})", "clamp_max({}, 1)", "abs({})", "round({})", "-{}"),
    *('label_replace({}, "a", "b", "", "")', "absent({})"),
)


def _generated(rng: random.Random, depth: int) -> str:
    """A PromQL expression at most `depth` operators deep, of _LEAVES combined by _FORMS."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(_LEAVES)
    form = rng.choice(_FORMS)
    return form.format(*(_generated(rng, depth - 1) for _ in range(form.count("{}"))))


def _or_beside_series(query: str) -> bool:
    """Whether an `or` of `query` has a side that reads series."""
    pending = [parsed(query)]
    while pending:
        node = pending.pop()
        is_or = type(node).__name__ == "BinaryExpr" and str(node.op).lower() == "or"
        if is_or and (_reads_series(node.lhs) or _reads_series(node.rhs)):
            return True
        pending += _children(node)
    return False


def _reads_series(node: object) -> bool:
    pending = [node]
    while pending:
        node = pending.pop()
        if type(node).__name__ == "VectorSelector":
            return True
        pending += _children(node)
    return False


def _children(node: object) -> list[object]:
    fields = ("expr", "lhs", "rhs", "vector_selector", "param")
    return [child for field in fields if (child := getattr(node, field, None)) is not None] + list(
        getattr(node, "args", None) or []
    )


def _generated_rules() -> list[str]:
    """Every rule's expression in the rule files Sloth and Pyrra generated (tests/unit/data), their Go templates
    blanked."""
    found = []
    for path in sorted((Path(__file__).parent / "data").glob("*/*")):
        text = re.sub(r"\{\{.*?\}\}", "x", re.sub(r'\{\{"\{\{.*?\}\}"\}\}', "x", path.read_text()))
        pending: list[object] = list(yaml.safe_load_all(text))
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                found += [value for key, value in node.items() if key == "expr" and isinstance(value, str)]
                pending += [value for key, value in node.items() if key != "expr"]
            elif isinstance(node, list):
                pending += node
    return found


def _probe(*operands: str) -> str:
    labelled = [f'label_replace(({operand}), "__analyzer_name", "$1", "__name__", "(.+)")' for operand in operands]
    unvalued = " or ".join(f"({each} unless {each} > -Inf < +Inf)" for each in labelled)
    return f'topk(5, label_replace({unvalued}, "__analyzer_name", "", "", ""))'


class TestPinnedStart:
    """Each `@ start()` of a query, in any case or spacing, is moved to a time; strings and comments keep theirs."""

    def test_each_start_is_pinned(self):
        query = 'max(x @ start()) - max(y @START ( )) + z{a="@ start()"} # @ start()'
        assert pinned_start(query, 1700000000) == (
            'max(x @ 1700000000.000) - max(y @ 1700000000.000) + z{a="@ start()"} # @ start()'
        )

    def test_a_query_without_start_is_kept(self):
        assert pinned_start("max(x @ end())", 1700000000) == "max(x @ end())"


class TestFallbackConstantComputed:
    """The constant a query's whole answer falls back to when no series it reads exists, as Prometheus 2.42 answers."""

    @pytest.mark.parametrize(
        ("query", "constant"),
        [
            ("sum(e_total) or vector(0)", 0.0),
            # Of one element without labels, an aggregation answers one element, a range function over a subquery of
            # it too. Before: None, no load warning and no fallback probe of kpi_compare.
            ("sum(e_total) or sum(vector(0))", 0.0),
            ("sum(e_total) or sum by (pod) (vector(4))", 4.0),
            ("sum(e_total) or topk(1, vector(3))", 3.0),
            ("sum(e_total) or count(vector(3))", 1.0),
            ("sum(e_total) or stddev(vector(5))", 0.0),
            ("sum(sum(e_total) or vector(0.25))", 0.25),
            ("sum(e_total) or max_over_time(vector(0)[5m:1m])", 0.0),
            ("sum(e_total) or quantile_over_time(0.5, vector(2)[5m:1m])", 2.0),
            ("sum(e_total) or present_over_time(vector(2)[5m:1m])", 1.0),
            # Go's math.Pow where Python's raises. Before: ValueError, OverflowError.
            ("sum(e_total) or vector(0) * (0 ^ -1 > bool 1)", 0.0),
            ("sum(e_total) or vector(1) * (10 ^ 400 > bool 1)", 1.0),
            ("sum(e_total) or vector(1) * (0 ^ -1 > bool 1)", 1.0),
            ("sum(e_total) or vector(1) * ((-10) ^ 400 > bool 0)", 1.0),
            ("sum(e_total) or vector(1) * ((-10) ^ 401 < bool 0)", 1.0),
            # What an aggregation or range function answers of one element.
            ("sum(e_total) or group(vector(3))", 1.0),
            ("sum(e_total) or stdvar(vector(5))", 0.0),
            ("sum(e_total) or quantile(0.5, vector(3))", 3.0),
            ("sum(e_total) or quantile(0, vector(3))", 3.0),
            ("sum(e_total) or quantile(1, vector(3))", 3.0),
            ("sum(e_total) or quantile_over_time(0, vector(2)[5m:1m])", 2.0),
            ("sum(e_total) or quantile_over_time(1, vector(2)[5m:1m])", 2.0),
            ("sum(e_total) or vector(1) * (10 ^ 401 > bool 0)", 1.0),
            ("sum(e_total) or stddev_over_time(vector(2)[5m:1m])", 0.0),
            ("sum(e_total) or stdvar_over_time(vector(2)[5m:1m])", 0.0),
        ],
    )
    def test_computed(self, query, constant):
        assert fallback_constant(query) == constant

    @pytest.mark.parametrize(
        "query",
        [
            "sum(e_total) or topk(0.5, vector(3))",  # k below 1 keeps nothing
            'sum(e_total) or count_values("v", vector(0))',  # a label added
            "sum(e_total) or quantile(2, vector(0))",  # +Inf: no value to pass
            "sum(e_total) or sum_over_time(vector(1)[5m:1m])",  # how many steps the range holds
            "sum(e_total) or max_over_time(vector(time())[5m:1m])",
            "(sum(e_total) or vector(-8)) ^ 0.5",  # NaN
            "sum(e_total) or count(r_total)",  # no series to count: no element
            "sum(e_total) or count(vector(1) unless on() vector(time()))",  # what is counted is dropped
            "sum(e_total) or topk(1 / 0, vector(3))",  # Prometheus refuses a k past int64
            "sum(e_total) or limit_ratio(0.5, vector(3))",  # Prometheus 3: a ratio may keep it or not
        ],
    )
    def test_none(self, query):
        assert fallback_constant(query) is None


class TestBoundedSide:
    """A side of an `or` whose every value is one number whatever its series hold is a fallback; one whose values a
    sample decides is not."""

    @pytest.mark.parametrize(
        "query",
        [
            "sum(e_total) or clamp_max((rate(r_total[5m])), 0)",
            "sum(e_total) or clamp_max(max_over_time(rate(r_total[5m])[10m:1m]), 0)",
            "sum(e_total) or clamp_min(-rate(r_total[5m]), 0)",
            "sum(e_total) or clamp_max(count(r_total), 1)",
            "sum(e_total) or max(clamp_max(rate(r_total[5m]), 0))",
            "sum(e_total) or quantile(0, clamp_max(rate(r_total[5m]), 0))",
            "sum(e_total) or quantile(0.5, clamp_max(rate(r_total[5m]), 0))",
            "sum(e_total) or quantile(1, clamp_max(rate(r_total[5m]), 0))",
            "sum(e_total) or present_over_time(r_total[5m])",
            "sum(e_total) or quantile_over_time(0.5, clamp_max(rate(r_total[5m]), 0)[10m:1m])",
            "sum(e_total) or group(r_total) * pi()",
            "sum(e_total) or sum_over_time(clamp_max(rate(r_total[5m]), 0)[5m:1m])",
            "sum(e_total) or stddev_over_time(group(r_total)[5m:1m])",
            "sum(e_total) or clamp(rate(r_total[5m]), -1, 0)",
            "sum(e_total) or max(abs(clamp_max(rate(r_total[5m]), 0) - 1))",
            "sum(e_total) or max(floor(clamp_max(rate(r_total[5m]), 0.5)))",
            "sum(e_total) or max(clamp_max(rate(r_total[5m]), 0) >= 0)",
            "sum(e_total) or max(group(r_total) > bool 0)",
            "sum(e_total) or max(clamp_max(rate(r_total[5m]), 0) * rate(q_total[5m]))",
            "sum(e_total) or max(rate(q_total[5m]) * clamp_max(rate(r_total[5m]), 0))",
            "sum(e_total) or max(clamp_max(rate(r_total[5m]) + 1, 0))",
            "sum(e_total) or max(clamp_max(rate(r_total[5m]) - -1, 0))",
            "sum(e_total) or max(group(r_total) / 2)",
            # A sum of values all above (or below) a bound stays there.
            "sum(e_total) or clamp_min(-sum(group by (pod) (r_total)), -1)",
            "sum(e_total) or clamp_min(sum(-rate(r_total[5m])), 0)",
            "sum(e_total) or clamp_min(sum(-group by (pod) (r_total)), -1)",
            "sum(e_total) or clamp_min(clamp_max(rate(r_total[5m]), 1), 2)",
            "sum(e_total) or clamp(rate(r_total[5m]) + 2, 0, 1)",
            "sum(e_total) or max(abs(group(r_total)))",
            "sum(e_total) or max(abs(clamp_max(rate(r_total[5m]), 0)))",
            "sum(e_total) or max(ceil(clamp_max(rate(r_total[5m]), 0.5) + 0.5))",
            "sum(e_total) or clamp_min(-rate(r_total[5m]) - 1, -1)",
            "sum(e_total) or max(sgn(clamp_max(rate(r_total[5m]), 0)) * rate(q_total[5m]))",
            "sum(e_total) or max((sgn(clamp(rate(r_total[5m]), 0.5, 0.5)) - 1) * rate(q_total[5m]))",
        ],
    )
    def test_one_value(self, query):
        # A misspelt e_total answers that value: its existence is checked.
        assert [selector.selector for selector in fallback_selectors(query)] == ["e_total"]

    def test_one_value_of_constants_beside_each_other(self):
        query = "sum(e_total) or max(clamp_max(rate(r_total[5m]), 0) or clamp_max(rate(q_total[5m]), 0))"
        assert [selector.selector for selector in fallback_selectors(query)] == ["e_total", "r_total", "q_total"]

    @pytest.mark.parametrize(
        "query",
        [
            "sum(e_total) or max(clamp(rate(r_total[5m]), 0, 1) or clamp(rate(q_total[5m]), 1, 1))",
            "sum(e_total) or max(clamp(rate(q_total[5m]), 1, 1) or clamp(rate(r_total[5m]), 0, 1))",
            "sum(e_total) or max(clamp_max(rate(q_total[5m]), 0) or clamp(rate(r_total[5m]), 0, 1))",
            "sum(e_total) or max(clamp(rate(r_total[5m]), 0, 1) or clamp_max(rate(q_total[5m]), 0))",
        ],
    )
    def test_a_measure_or_a_constant(self, query):
        # A constant, or r_total's rate up to 1: r_total falls back to the constant, e_total to neither.
        assert [selector.selector for selector in fallback_selectors(query)] == ["r_total"]

    def test_either_of_two_values(self):
        # 0 or 1 whichever series exist: r_total and q_total fall back to each other, e_total to neither.
        query = "sum(e_total) or max(clamp_max(rate(r_total[5m]), 0) or clamp_max(rate(q_total[5m]), 0) + 1)"
        assert [selector.selector for selector in fallback_selectors(query)] == ["r_total", "q_total"]

    @pytest.mark.parametrize(
        "query",
        [
            "sum(e_total) or sum(-rate(r_total[5m]))",
            "sum(e_total) or sum(group by (pod) (r_total))",
            "sum(e_total) or clamp_max(rate(r_total[5m]), scalar(m))",
            "sum(e_total) or round(-rate(r_total[5m]), 5)",
            "sum(e_total) or exp(clamp_max(rate(r_total[5m]), 0)) * rate(r_total[5m])",
            "sum(e_total) or max(group(r_total) > bool on() sum(rate(q_total[5m])))",
            "sum(e_total) or max(rate(r_total[5m]) / 2)",
            "sum(e_total) or max(rate(r_total[5m]) % 2)",
            "sum(e_total) or max(group(r_total) / rate(q_total[5m]))",
            "sum(e_total) or quantile_over_time(0.5, rate(r_total[5m])[10m:1m])",
            "sum(e_total) or max(group(q_total) + rate(r_total[5m]))",
            "sum(e_total) or max(group(q_total) - rate(r_total[5m]))",
            "sum(e_total) or abs(-clamp(rate(r_total[5m]), 1, 2))",
            "sum(e_total) or clamp_max(stddev(rate(r_total[5m])), 0.5)",
            "sum(e_total) or clamp_max(stddev_over_time(rate(r_total[5m])[5m:1m]), 0.5)",
            "sum(e_total) or clamp(rate(r_total[5m]), 1, 0)",  # Prometheus answers none: a minimum above the maximum
        ],
    )
    def test_values_a_sample_decides(self, query):
        # Each side measures: a missing e_total is no fallback's doing.
        assert fallback_selectors(query) == ()


class TestFallbackSelectors:
    """The selectors, as written, that a constant fallback of an `or` answers for when they match no series."""

    @pytest.mark.parametrize(
        ("query", "written"),
        [
            ('(sum(rate(e_total{code=~"5.."}[5m])) or vector(0)) / sum(rate(r_total[5m]))', ['e_total{code=~"5.."}']),
            ("sum(rate(e_total[5m])) or on() vector(0)", ["e_total"]),
            ("sum(rate(e_total[5m])) OR 0 * sum(rate(r_total[5m]))", ["e_total"]),
            ("sum(rate(e_total[5m])) or sum(rate(r_total[5m])) * 0", ["e_total"]),
            ("vector(0) or sum(e_total)", ["e_total"]),
            ("sum(e_total) or (vector(1) - 1)", ["e_total"]),
            ('job:e:rate5m{job="a"} or label_replace(vector(0), "job", "a", "", "")', ['job:e:rate5m{job="a"}']),
            ("sum(e_total) or absent(r_total)", ["e_total"]),
            ("max(sum by (pod) (e_total) or sum by (pod) (r_total) * 0)", ["e_total"]),
            (
                'sum(rate({__name__=~"a_total|b_total", job="x"}[5m])) or vector(0)',
                ['{__name__=~"a_total|b_total", job="x"}'],
            ),
            ("(sum(a_total) or vector(0)) + (sum(b_total) or vector(0))", ["a_total", "b_total"]),
            ("sum(rate(e_total[5m] offset 1h)) or vector(0)", ["e_total"]),
            # A constant that answers when a condition holds, or filtered: it answers for e_total all the same.
            # Before: none of these was a fallback, and a misspelt e_total passed.
            ("sum(e_total) or (vector(0) and on() sum(r_total))", ["e_total"]),
            ("sum(e_total) or (vector(0) unless on() maint)", ["e_total"]),
            ("sum(e_total) or vector(0) >= 0", ["e_total"]),
            ("sum(e_total) or (vector(0) or sum(r_total))", ["e_total", "r_total"]),
            ("sum(e_total) or (sum(r_total) or vector(0)) * 0", ["e_total", "r_total"]),
            # Both sides may answer a constant: a missing e_total empties the left one, and vector(1) answers.
            ("(vector(0) and on() sum(e_total)) or vector(1)", ["e_total"]),
            ("(sum(e_total) * 0) or on() vector(1)", ["e_total"]),
            # What `unless` drops by: without it the left side answers, not the fallback. Before: freeze checked too.
            ("(sum(e_total) unless on() freeze) or vector(0)", ["e_total"]),
            ("(sum(e_total) * 100 unless on() freeze) or vector(0)", ["e_total"]),
            ("(sum(e_total) + 1 unless on() freeze) or vector(0)", ["e_total"]),
            # A fallback inside the guard answers for freeze: missing, it drops e_total always.
            ("(sum(e_total) unless on() (freeze or vector(1))) or vector(0)", ["e_total", "freeze"]),
            # What `unless` drops a constant by is the measure: missing, the constant answers for it. Before: not
            # checked, and a misspelt e_total passed `== 1` for ever.
            ("(vector(1) unless on() (sum(rate(e_total[5m])) > 0)) or vector(0)", ["e_total"]),
            ("((vector(1) and on() sum(r_total)) unless on() sum(e_total)) or vector(0)", ["r_total", "e_total"]),
            # A side that reads no series answers whatever exists; one bounded to one value whatever its series hold
            # answers that value whenever they exist. Before: none of these was a fallback, and a misspelt e_total
            # passed (Prometheus 2.42 answers 0 for each).
            ("sum(rate(e_total[5m])) or sum(vector(0))", ["e_total"]),
            ("sum(rate(e_total[5m])) or max_over_time(vector(0)[5m:1m])", ["e_total"]),
            ("sum(rate(e_total[5m])) or quantile_over_time(0.5, vector(0)[5m:1m])", ["e_total"]),
            ("sum(e_total) or vector(time())", ["e_total"]),
            ("sum(e_total) or sum(absent(r_total))", ["e_total"]),
            ("sum(rate(e_total[5m])) or group(up) - 1", ["e_total"]),
            ("sum(rate(e_total[5m])) or clamp_max(sum(rate(r_total[5m])), 0)", ["e_total"]),
            ("sum(rate(e_total[5m])) or clamp(sum(r_total), 0, 0)", ["e_total"]),
            ("sum(rate(e_total[5m])) or stddev(vector(1) and on() up)", ["e_total"]),
            ("sum(rate(e_total[5m])) or sgn(group by (job) (up)) - 1", ["e_total"]),
            # A power Python refuses and Go computes (+Inf, NaN). Before: a ValueError, and no name read at all.
            ("sum(e_total) or (group(r_total) - 2) ^ 0.5", ["e_total"]),
            ("sum(e_total) or group(r_total) * (10 ^ 400 > bool 1) - 1", ["e_total"]),
            # A value with an escape Go reads (`\x35` is 5), written as promql-parser reads it. Before: not read.
            ('sum(e_total{code="\\x35"}) or vector(0)', ['e_total{code="5"}']),
            ("sum(e_total{code='\\'5\\''}) or vector(0)", ["e_total{code=\"'5'\"}"]),
            ('sum{code="\\101"} or vector(0)', ['sum{code="A"}']),
        ],
    )
    def test_read_beside_a_fallback(self, query, written):
        assert [selector.selector for selector in fallback_selectors(query)] == written

    @pytest.mark.parametrize(
        "query",
        [
            "sum(e_total) or clamp_max(vector(0), 1)",
            "sum(e_total) or abs(vector(-1))",
            "sum(e_total) or clamp(vector(0), 0, 1)",
            "sum(e_total) or floor(vector(0.5))",
            # Before: the warning computed these, and the presence query did not check e_total.
            "sum(e_total) or vector(0) >= 0",
            "sum(e_total) or vector(0) > bool 1",
            "sum(e_total) or (vector(0) unless on() maint)",
            # What reads no series, aggregated or over a subquery. Before: not computed, no warning.
            "sum(e_total) or sum(vector(0))",
            "sum(e_total) or max_over_time(vector(0)[5m:1m])",
            "sum(sum(e_total) or vector(0))",
        ],
    )
    def test_every_fallback_the_load_warning_computes_is_checked(self, query):
        # A misspelt e_total answers the constant fallback_constant() computes: its existence must be checked.
        assert fallback_constant(query) is not None
        assert [selector.selector for selector in fallback_selectors(query)] == ["e_total"]

    def test_every_fallback_the_load_warning_computes_of_generated_queries_is_checked(self):
        # Queries built at random from constants, selectors and what combines them: whenever the warning computes a
        # fallback through an `or`, some name beside it is checked (a constant kept under a condition, `unless` on
        # a guard's absence, as absent() checks on it, aside). Before: `x or vector(0) >= 0` and the like were not.
        # 10,000 queries: 3,000 held none of what an unless drops a constant by (`vector(0) or (vector(1) unless on()
        # (vector(0.5) >= sum(e_total)))`: fallback17 did not check e_total there). An `or` of constants only is no
        # fallback: `(vector(1) or vector(0)) unless on() x` checks on x's absence, as `vector(1) unless on() x` does.
        rng = random.Random(17)
        queries = [_generated(rng, 3) for _ in range(10_000)]
        warned = [q for q in queries if "e_total" in q and "absent(" not in q and fallback_constant(q) is not None]
        aside = [q for q in warned if re.search(r"unless on\(\) \(.* or ", q) or not _or_beside_series(q)]
        assert len(warned) - len(aside) > 100  # enough queries are judged for the test to mean something
        assert [q for q in warned if not fallback_selectors(q) and q not in aside] == []

    @pytest.mark.parametrize(
        "query", ['{"e.total", code="500"} or vector(0)', '{"e.total", "code.x"="500"} or vector(0)']
    )
    def test_a_quoted_metric_name_is_read(self, query):
        # Prometheus 3's quoted name and label name. Before: no selector read, and no presence query sent.
        [selector] = fallback_selectors(query)
        assert (selector.names, selector.selector) == (("e.total",), query.removesuffix(" or vector(0)"))

    def test_read_through_a_regex_promql_parser_refuses(self):
        # Go's \Q...\E: Prometheus accepts it, promql-parser's regex engine does not. Before: none read, no presence.
        query = 'sum(rate(e_total{path=~"\\\\Q/a.b\\\\E"}[5m])) or vector(0)'
        assert [selector.selector for selector in fallback_selectors(query)] == ['e_total{path=~"\\\\Q/a.b\\\\E"}']
        assert fallback_unreadable(query) is None

    @pytest.mark.parametrize("name", ["'__name__'", "`__name__`", '"__name__"'])
    def test_read_through_a_regex_promql_parser_refuses_beside_a_quoted_name_regex(self, name):
        # The names' regex kept, in whichever quotes its label is written. Before: single or back quotes blanked it
        # too, and the query was warned as unreadable, none of its names checked.
        selector = f'{{{name}=~"a_total|b_total", path=~"\\\\Q/a.b\\\\E"}}'
        [found] = fallback_selectors(f"sum(rate({selector}[5m])) or vector(0)")
        assert (found.names, found.selector) == (("a_total", "b_total"), selector)

    @pytest.mark.parametrize(
        ("query", "why"),
        [
            ("sum(e_total) or vector(0) or", "invalid promql query"),
            ("sum(e_total) / sum(r_total)", None),
            # No `or`, no fallback: what the offline parse reports is not this warning's.
            ("sum(e_total", None),
        ],
    )
    def test_why_a_fallback_cannot_be_read(self, query, why):
        assert fallback_unreadable(query) == why

    def test_no_fallback_in_the_rules_sloth_and_pyrra_generate(self):
        # Their alerts join two burn rates by `or`, each a measurement: a missing recording rule is no data there.
        rules = _generated_rules()
        assert (
            sum(1 for rule in rules if re.search(r"\bor\b", rule)) >= 6
        )  # enough `or`s for the test to mean something
        assert [rule for rule in rules if fallback_selectors(rule) or fallback_constant(rule) is not None] == []

    @pytest.mark.parametrize(
        ("query", "reach"),
        [
            ("sum(rate(e_total[5m])) or vector(0)", Reach(300, 0, None)),
            ("max(e offset 1h) or vector(0)", Reach(300, 3600, None)),
            ("max(max_over_time(e[1h] offset 1d)) or vector(0)", Reach(3600, 86400, None)),
            ("max(e @ 100 offset 1m) or vector(0)", Reach(300, 60, 100)),
            ("max(e @ end()) or vector(0)", Reach(300, 0, None)),
            ("sum_over_time((max(e) or vector(0))[1h:5m])", Reach(3600 + 300 + 300, 0, None)),
            ("max_over_time((e offset 1m)[1h:] offset 10m) or vector(0)", Reach(3600 + 60 + 300, 660, None)),
            ("max_over_time((e @ 100)[1h:] offset 10m) or vector(0)", Reach(300, 0, 100)),
        ],
    )
    def test_the_samples_read(self, query, reach):
        # A subquery's range, a step before it, its offset and `@` hold around what it reads; an `@ T` within is T's.
        [(_, reaches)] = fallback_reads(query)
        assert reaches == {reach}

    @pytest.mark.parametrize(
        ("query", "names", "written"),
        [
            ('sum{job="a"} or vector(0)', ("sum",), 'sum{job="a"}'),
            ('max(count{job="a"}) or vector(0)', ("count",), 'count{job="a"}'),
            ("offset or vector(0)", ("offset",), "offset"),
            ('sum{job="a"} + sum{job="a"} or vector(0)', ("sum",), 'sum{job="a"}'),
        ],
    )
    def test_a_metric_named_as_a_keyword_is_read_by_its_name(self, query, names, written):
        # Prometheus reads `sum{job="a"}` as a selector of metric sum. Before: read without names (as a regex name),
        # or not at all, and not checked for existence.
        [selector] = fallback_selectors(query)
        assert (selector.names, selector.selector) == (names, written)

    @pytest.mark.parametrize(
        ("query", "written"),
        [
            ('sum(rate(e_total{path=~".*\\\\bapi\\\\b.*"}[5m])) or vector(0)', 'e_total{path=~".*\\\\bapi\\\\b.*"}'),
            ('sum(rate(e_total{path!="a\\"b"}[5m])) or vector(0)', 'e_total{path!="a\\"b"}'),
            ('sum(rate(r_total[5m])) / sum(rate(e_total{path!="a\\"b"}[5m])) or vector(0)', None),
            # Escapes json does not decode as Go does: the selector as promql-parser read it.
            ('sum(rate(e_total{code="5\\x2e."}[5m])) or vector(0)', 'e_total{code="5.."}'),
            ("sum(rate(e_total{path='a\\'b'}[5m])) or vector(0)", 'e_total{path="a\'b"}'),
        ],
    )
    def test_a_value_with_escapes_is_read(self, query, written):
        # promql-parser prints a value decoded (a"b, \b a backspace): the printed selector was unreadable, or matched
        # none written. Before: no selector of the query was read, and a misspelt e_total passed.
        found = [(selector.names, selector.selector) for selector in fallback_selectors(query)]
        if written is None:
            assert [names for names, _ in found] == [("r_total",), ("e_total",)]
        else:
            assert found == [(("e_total",), written)]

    def test_a_regex_name_is_read_without_names(self):
        [selector] = fallback_selectors('sum(rate({__name__=~"e_.*"}[5m])) or vector(0)')
        assert (selector.names, selector.selector) == ((), '{__name__=~"e_.*"}')

    def test_a_selector_without_a_name_is_read_without_names(self):
        # Its value has an escape: it is written back from what promql-parser read.
        [selector] = fallback_selectors('sum({code="\\x35"}) or vector(0)')
        assert (selector.names, selector.selector) == ((), '{code="5"}')

    @pytest.mark.parametrize(
        "query",
        [
            "sum(rate(e_total[5m])) / sum(rate(r_total[5m]))",
            "sum(a_total) or sum(b_total)",  # a rename: either metric answers
            # What the other side measures decides its value: a gauge below 0, a count, what a filter keeps.
            "sum(a_total) or clamp_max(sum(b_total), 0)",
            "sum(a_total) or count(b_total)",
            "sum(rate(a_total[5m])) or sum(rate(b_total[5m])) > 0",
            "sum(rate(a_total[5m])) or sum(rate(b_total[5m])) - 1",
            "sum(a_total) or sgn(sum(rate(b_total[5m])))",
            # A filter keeps the vector side's values, whichever side a scalar stands on. Before: read as the
            # scalar's, a fallback, and a missing a_total (a rename) was an error.
            "sum(a_total) or (0) < sum(b_total)",
            "sum(a_total) or (1 - 0.999) < sum(b_total)",
            'absent(up{job="a"}) or vector(0)',  # meant to find nothing
            "vector(0) or vector(1)",
            'sum(e_total{code="or"})',
            "sum(e_total) or",  # promql-parser cannot parse it: Prometheus refuses it too
        ],
    )
    def test_none(self, query):
        assert fallback_selectors(query) == ()


class TestFallbackLabelLists:
    """The label lists beside a fallback, with the names they are over; a label the query writes or one a histogram
    or the metric name has is no list to check."""

    def lists(self, query: str) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (listed.written, tuple(sorted({name for names, _ in listed.reads for name in names})))
            for listed in fallback_label_lists(query)
        ]

    def test_by_on_ignoring_without_are_read_over_their_operands(self):
        query = (
            "(sum by (code) (rate(e_total[5m])) / ignoring(cdoe) group_left(extra) sum without (pod) (r_total)"
            " unless on(pod) drained) or vector(0)"
        )
        assert sorted(self.lists(query)) == [
            ("by (code)", ("e_total",)),
            ("ignoring (cdoe)", ("e_total", "r_total")),
            ("on (pod)", ("drained", "e_total", "r_total")),
            ("without (pod)", ("r_total",)),
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'sum by (svc) (label_replace(x, "svc", "$1", "service", "(.*)")) or vector(0)',
            'sum by (v) (count_values("v", x)) or vector(0)',
            'sum by (job) (absent(x{job="a"})) or vector(0)',
            "sum by (le) (x) or vector(0)",
            "sum by (quantile) (x) or vector(0)",
            "count by (__name__) (x) or vector(0)",
            'sum by (pod) ({__name__=~"x.*"}) or vector(0)',
            "sum by (pod) (x) / sum by (pod) (y)",
            "sum by (pod) (x) or on(pod) y",
            # Binary operators without a list beside a fallback.
            "vector(0) or (sum(e_total) or sum(r_total))",
            "vector(0) or (sum(e_total) > bool 1)",
        ],
    )
    def test_lists_not_checked(self, query):
        assert self.lists(query) == []

    @pytest.mark.parametrize(
        ("query", "labels"),
        [
            ("histogram_quantile(0.99, sum by (le, servcie) (rate(x_bucket[5m]))) or vector(0)", ("servcie",)),
            ("max by (quantile, pdo) (x) or vector(0)", ("pdo",)),
        ],
    )
    def test_a_list_is_checked_on_its_labels_but_le_and_quantile(self, query, labels):
        (listed,) = fallback_label_lists(query)
        assert listed.labels == labels

    def test_a_list_reads_where_its_selectors_read(self):
        (listed,) = fallback_label_lists("sum by (pod) (rate(x[10m] offset 1h)) or vector(0)")
        assert [(names, reach.range_s, reach.offset_s) for names, reach in listed.reads] == [(("x",), 600.0, 3600.0)]


class TestRelabelledSources:
    """Each label_replace() and label_join() source label with the names it is read from; a label_replace() whose
    regex does not match the empty value keeps its target where the source is missing."""

    def sources(self, query: str) -> list[tuple[str, tuple[str, ...], str]]:
        return [(listed.written, listed.labels, listed.kept) for listed in relabelled_sources(query)]

    @pytest.mark.parametrize(
        ("regex", "kept"),
        [
            # Before: every source was read as writing its target from nothing; a series without pod_name keeps pod.
            ("(.+)", "pod"),
            ("[a-z]+-[0-9]+", "pod"),
            # These match the empty value: a missing source writes pod from it.
            ("(.*)", ""),
            ("", ""),
            ("(?i)(.*)", ""),
            # Go's \pL, which Python's re cannot read: read as matching.
            ("\\\\pL+", ""),
            # Nested deeper than re's parser recurses (RE2 takes 1000): read as matching, where it was a crash.
            ("(?:" * 600 + ".+" + ")" * 600, ""),
        ],
    )
    def test_a_regex_not_matching_the_empty_value_keeps_the_target(self, regex, kept):
        query = f'label_replace(x, "pod", "$1", "pod_name", "{regex}")'
        assert self.sources(query) == [('label_replace(..., "pod_name", ...)', ("pod_name",), kept)]

    @pytest.mark.parametrize(
        "query",
        [
            'max_over_time(label_replace(x, "a", "$1", "b", "(.*)")[10m:1m] offset 5m)',
            'vector(0) or label_replace(x, "a", "$1", "b", "(.*)")',
            'y / on () label_replace(x, "a", "$1", "b", "(.*)")',
        ],
    )
    def test_a_call_anywhere_is_read(self, query):
        assert self.sources(query) == [('label_replace(..., "b", ...)', ("b",), "")]

    def test_label_join_always_writes(self):
        assert self.sources('label_join(x, "pod", "-", "a", "b")') == [
            ('label_join(..., "a", "b", ...)', ("a", "b"), "")
        ]

    @pytest.mark.parametrize(
        ("query", "checked"),
        [
            ('label_replace(x, "team", "payments", "", "")', []),
            ('label_replace(x, "n", "$1", "__name__", "(.*)")', []),
            # A source written below the call is there: only the inner call's source is read.
            (
                'label_replace(label_replace(x, "a", "$1", "b", "(.*)"), "c", "$1", "a", "(.*)")',
                [('label_replace(..., "b", ...)', ("b",), "")],
            ),
            # So is a kept target written below it.
            ('label_replace(label_replace(x, "pod", "p", "", ""), "pod", "$1", "pod_name", "(.+)")', []),
            ('label_replace({__name__=~"x.*"}, "a", "$1", "b", "(.*)")', []),
        ],
    )
    def test_sources_not_checked(self, query, checked):
        assert self.sources(query) == checked


class TestGroupingLabelLists:
    """Every `by` and `on` list wherever it stands, with the names under it; `without`, `ignoring`, a list of only
    le, quantile or __name__, a label the query writes, and a list over a regex name are not read."""

    def lists(self, query: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        return [
            (listed.written, listed.labels, tuple(sorted({name for names, _ in listed.reads for name in names})))
            for listed in grouping_label_lists(query)
        ]

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("max(sum by (servce) (x))", [("by (servce)", ("servce",), ("x",))]),
            ("max(x / on (servce) y)", [("on (servce)", ("servce",), ("x", "y"))]),
            ("max_over_time((sum by (le, pdo) (x))[10m:1m] offset 1h)", [("by (le, pdo)", ("pdo",), ("x",))]),
            ("max(sum by (pod) (rate(x[5m])) or vector(0))", [("by (pod)", ("pod",), ("x",))]),
        ],
    )
    def test_by_and_on_anywhere(self, query, found):
        assert self.lists(query) == found

    @pytest.mark.parametrize(
        "query",
        [
            "max(sum without (instance) (x))",
            "max(x / ignoring (instance) y)",
            "max(x / on () y)",
            "max(sum by (le) (x))",
            'max(sum by (svc) (label_replace(x, "svc", "$1", "service", "(.*)")))',
            'max(count by (v) (count_values("v", x)))',
            'max(sum by (pod) ({__name__=~"x.*"}))',
            "max(sum by (pod) (vector(1)))",
        ],
    )
    def test_lists_not_read(self, query):
        # A list over what reads no series (vector(1)) has no names to ask about.
        assert all(not names for _, _, names in self.lists(query))


class TestAnswerLabelList:
    """The `by` list whose groups are the query's answer, when each series of the answer keeps its labels."""

    @pytest.mark.parametrize(
        "query",
        [
            "sum by (pod) (rate(x[5m]))",
            'sum by (pod) (rate(x{code=~"5.."}[5m])) / sum by (pod) (rate(x[5m]))',
            "100 * max by (pod) (x) > 5",
            "abs(sum by (pod) (x))",
            "sum by (pod) (x) / on() group_left sum(y)",
            "sum by (pod) (x) unless on(pod) y",
            "sum by (pod) (x) / on(pod) sum by (pod) (y)",
            "sum by (pod) (x) / on(pod, node) sum by (pod) (y)",
            "sum by (pod) (x) / ignoring(code) sum by (pod) (y) > 0.1",
            "topk(3, sum by (pod) (rate(x[5m])))",
            "max_over_time((sum by (pod) (rate(x[1m])))[10m:1m])",
            "quantile_over_time(0.9, (sum by (pod) (x) / sum by (pod) (y))[10m:])",
        ],
    )
    def test_the_list_at_the_top(self, query):
        listed = answer_label_list(query)
        assert listed is not None and (listed.written, listed.labels) == ("by (pod)", ("pod",))

    def test_the_samples_read_under_the_list(self):
        listed = answer_label_list("max by (pod) (x offset 1m) > 0.5")
        assert listed is not None and listed.reads == ((("x",), Reach(300.0, 60.0, None)),)

    @pytest.mark.parametrize(
        ("query", "whole"),
        [
            ("sum by (pod) (x) / sum by (pod) (y)", True),
            ("sum by (pod) (x) > bool 0.5", True),
            ("sum by (pod) (x) > 0.5", False),
            ("0.5 < sum by (pod) (x)", False),
            ("topk(1, sum by (pod) (x))", False),
            ("sum by (pod) (x) unless on(pod) y", False),
            ("max_over_time((sum by (pod) (x) > 1)[10m:])", False),
        ],
    )
    def test_an_answer_past_a_filter_holds_some_groups(self, query, whole):
        listed = answer_label_list(query)
        assert listed is not None and listed.whole is whole

    @pytest.mark.parametrize(
        "query",
        [
            "sum without (pod) (x)",
            "topk(1, sum without (pod) (x))",
            "sum without (pod, le) (x) / on(node) sum without (pod) (y)",
            "histogram_quantile(0.99, sum without (pod) (rate(x_bucket[5m])))",
        ],
    )
    def test_a_without_at_the_top_is_read_where_it_reads(self, query):
        # Its answer never carries its labels: only the series read tell whether it dropped any.
        listed = answer_label_list(query)
        assert listed is not None and (listed.labels, listed.whole) == (("pod",), False)
        assert listed.written.startswith("without (pod")

    @pytest.mark.parametrize(
        "query",
        [
            "histogram_quantile(0.99, sum by (le, pod) (rate(x_bucket[5m])))",
            "histogram_quantile(0.99, sum by (pod, le) (rate(x_bucket[5m]))) > 0.5",
            "max by (quantile, pod) (x)",
            "sum by (pod, code) (x) / on(pod) sum by (pod) (y)",
            "sum by (pod, code) (x) / ignoring(code) sum by (pod) (y)",
        ],
    )
    def test_a_list_is_read_on_the_labels_the_answer_keeps(self, query):
        listed = answer_label_list(query)
        assert listed is not None and listed.labels == ("pod",)

    @pytest.mark.parametrize(
        "query",
        [
            "sum by (pod) (x) / on(node) sum by (node) (y)",
            "sum by (pod) (x) / on() sum(y)",
            "sum by (pod) (x) / ignoring(pod) sum(y)",
            "sum by (pod) (x) / on() group_left(node) sum by (node) (y)",
            # The answer of a many-to-one match: not the left side's groups alone, or the right side's.
            "sum by (pod, code) (x) / on (pod) group_left (team) sum by (pod, team) (y)",
            "sum by (pod) (x) / on (pod) group_right sum by (pod, code) (y)",
            "sum by (pod) (x) or vector(0)",
            "topk by (pod) (1, x)",
            'sum without (pod) (vector(1) or label_replace(vector(2), "a", "b", "", ""))',
            "scalar(sum by (pod) (x))",
            "sum by (le) (x)",
            'sum by (hash) (label_replace(x, "hash", "$1", "h", "(.*)"))',
            'sum by (pod) ({__name__=~"x.*"})',
            "sum by (pod) (",
        ],
    )
    def test_no_list_whose_labels_each_series_keeps(self, query):
        assert answer_label_list(query) is None


class TestPresenceOver:
    """Where a presence query looks for a selector's names: the plain look-back for one read at the evaluation time, its
    range (and a range query's window), offset and `@` otherwise."""

    @pytest.mark.parametrize(
        ("reach", "window_s", "over"),
        [
            (Reach(300.0, 0.0, None), 0.0, ""),
            (Reach(300.0, 0.0, None), 600.0, "[900s]"),
            (Reach(300.0, 3600.0, None), 0.0, "[300s] offset 3600s"),
            # Pinned by `@`: the range query's window moves nothing.
            (Reach(300.0, 0.0, 1000.0), 600.0, "[300s] @ 1000.000"),
            (Reach(90.5, 0.25, None), 600.0, "[690500ms] offset 250ms"),
        ],
    )
    def test_over(self, reach, window_s, over):
        assert presence_over(reach, window_s) == over


class TestShareOfItself:
    """A query dividing part of a counter's series by all of them, read alike, is named as a share (between 0 and 1);
    any other division is not, for its value may exceed 1."""

    @pytest.mark.parametrize(
        ("query", "name"),
        [
            (
                '(sum(rate(r{s="a",code=~"5.."}[5m])) or vector(0)) / sum(rate(r{s="a"}[5m]))',
                "r",
            ),
            ('sum(increase(r{code!~"5.."}[1h])) / sum(increase(r[1h]))', "r"),
            ('sum by (pod) (rate(r{code="500"}[5m])) / sum by (pod) (rate(r[5m]))', "r"),
            ('(count(rate(r{code="500"}[5m]))) / ((count(rate(r[5m]))))', "r"),
            ('sum(rate(h_bucket{s="a",le="0.3"}[5m])) / sum(rate(h_bucket{s="a",le="+Inf"}[5m]))', "h_bucket"),
            ('sum(rate(h_bucket{le="0.3"}[5m])) / sum(rate(h_count[5m]))', "h_bucket"),
            # Before: None, and `pass_if: "< 1"` written for 1% on them passed without a warning.
            ('1 - sum(rate(r{code!~"5.."}[5m])) / sum(rate(r[5m]))', "r"),  # the errors' share
            ('sum(rate(r{code=~"5.."}[5m])) / (sum(rate(r[5m])) > 0)', "r"),  # no division by zero
            ('1 - (sum(rate(r{code!~"5.."}[5m])) / (sum(rate(r[5m])) != 0))', "r"),
            ('sum(job:r:rate5m{code=~"5.."}) / sum(job:r:rate5m)', "job:r:rate5m"),  # recording rules
            ('job:r:increase1h{code=~"5.."} / job:r:increase1h', "job:r:increase1h"),
            # Some buckets over all of them: each series of the part is one of the whole's.
            ('sum(rate(h_bucket{le=~"0.1|0.3"}[5m])) / sum(rate(h_bucket[5m]))', "h_bucket"),
        ],
    )
    def test_a_share(self, query, name):
        assert share_of_itself(query) == name

    @pytest.mark.parametrize(
        "query",
        [
            "sum(rate(r[5m])) / sum(rate(r[5m]))",  # no part: the same series
            'sum(rate(r{code="500"}[5m])) / sum(rate(r{code="200"}[5m]))',  # two parts: any ratio
            'sum(rate(r{code="500"}[5m])) / sum(rate(r[1h]))',  # ranges apart: a burst over an hour's average
            'sum(rate(r{code="500"}[5m] offset 1h)) / sum(rate(r[5m]))',
            'avg(rate(r{code="500"}[5m])) / avg(rate(r[5m]))',  # an average of a part may exceed the whole's
            'min(rate(r{code="500"}[5m])) / min(rate(r[5m]))',
            'sum by (pod) (rate(r{code="500"}[5m])) / sum by (node) (rate(r[5m]))',
            "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))",  # two metrics: share_of_failures tells
            'sum(rate(r{code="500"}[5m])) / sum(rate(r[5m])) * 100',  # a percentage
            'sum(rate(r{code="500"}[5m])) * sum(rate(r[5m]))',
            'sum(avg_over_time(g{a="1"}[5m])) / sum(avg_over_time(g[5m]))',  # a gauge may be negative
            'sum(rate(h_bucket{le=~"0.1|0.3"}[5m])) / sum(rate(h_count[5m]))',  # two buckets may sum to more
            "sum(rate(r{code=",  # not PromQL
            '2 - sum(rate(r{code!~"5.."}[5m])) / sum(rate(r[5m]))',
            '1 + sum(rate(r{code=~"5.."}[5m])) / sum(rate(r[5m]))',
            'sum(rate(r{code=~"5.."}[5m])) / (sum(rate(r[5m])) > bool 0)',  # 0 or 1: any ratio
            'sum(rate(r{code=~"5.."}[5m])) / (sum(rate(r[5m])) - 1)',
            'sum(job:r:rate5m{code=~"5.."}) / sum(job:r:rate5m offset 1h)',
            'sum(job:r:avg5m{a="1"}) / sum(job:r:avg5m)',  # a gauge's average may be negative
            'sum(job:r:rate5m{code=~"5.."}) / sum(rate(job:r:rate5m[5m]))',
            'sum(rate(r{code=~"5.."}[5m:1m])) / sum(rate(r[5m:1m]))',  # a rate of a subquery: not read here
        ],
    )
    def test_not_a_share(self, query):
        assert share_of_itself(query) is None


class TestShareOfFailures:
    """A query dividing a counter whose name counts failures by one whose name does not, read alike, is named as a
    share of failures (between 0 and 1); names that do not say so, or sides read apart, are not."""

    @pytest.mark.parametrize(
        ("query", "names"),
        [
            # Before: no share was read, and `pass_if: "< 1"` written for 1% passed without a warning.
            ("sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))", ("errors_total", "requests_total")),
            (
                '(sum(rate(payments_failed_total{s="a"}[5m])) or vector(0)) / sum(rate(payments_total{s="a"}[5m]))',
                ("payments_failed_total", "payments_total"),
            ),
            (
                "sum(rate(http_request_errors_total[5m])) / sum(rate(http_requests_total[5m])) > 0",
                ("http_request_errors_total", "http_requests_total"),
            ),
            ("job:rpc_timeouts:rate5m / job:rpc_calls:rate5m", ("job:rpc_timeouts:rate5m", "job:rpc_calls:rate5m")),
            ("sum(rate(jobs_fail_total[5m])) / sum(rate(jobs_total[5m]))", ("jobs_fail_total", "jobs_total")),
        ],
    )
    def test_a_share_of_failures(self, query, names):
        assert share_of_failures(query) == names

    @pytest.mark.parametrize(
        "query",
        [
            "sum(rate(bytes_out_total[5m])) / sum(rate(bytes_in_total[5m]))",  # neither counts failures: any ratio
            "sum(rate(retries_total[5m])) / sum(rate(requests_total[5m]))",  # a request may retry many times
            "sum(rate(errors_total[5m])) / sum(rate(error_budget_total[5m]))",  # both say error
            "sum(rate(errors_total[5m])) / sum(rate(requests_total[1h]))",  # read apart
            'sum(rate(r{code="500"}[5m])) / sum(rate(r[5m]))',  # one metric: share_of_itself's
            "100 * sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))",  # a percentage
            "rate(errors_total[5m])",  # no division: a function at the top
            "errors_total",
        ],
    )
    def test_not_a_share_of_failures(self, query):
        assert share_of_failures(query) is None


class TestConstantValue:
    """The number an expression reading no series stands for; None for one that reads series or a time."""

    @pytest.mark.parametrize(
        ("expression", "value"),
        [("(99)", 99.0), ("99 / 100", 0.99), ("scalar(vector(0.5))", 0.5), ("-(0.5)", -0.5), ("2 ^ -1", 0.5)],
    )
    def test_read(self, expression, value):
        assert constant_value(expression) == value

    @pytest.mark.parametrize("expression", ["scalar(x)", "time()", "scalar(sum(x)) / 100", "1 +"])
    def test_none(self, expression):
        assert constant_value(expression) is None


class TestDroppedListLabels:
    """A `by` list naming a label an aggregation under it dropped is found, with what that aggregation keeps."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (
                "max(sum by (service) (sum by (code) (rate(x[5m]))))",
                DroppedLabels("by (service)", ("service",), frozenset({"code"}), does_nothing=True),
            ),
            (
                "sum by (service, code) (abs(sum by (code) (x)))",
                DroppedLabels("by (service, code)", ("service",), frozenset({"code"}), does_nothing=False),
            ),
            ("sum by (service) (max(x))", DroppedLabels("by (service)", ("service",), frozenset(), does_nothing=True)),
            (
                "max by (service) (sum without (service) (rate(x[5m])))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service, code) (abs(sum without (service) (x)) * 100)",
                DroppedLabels("by (service, code)", ("service",), None, does_nothing=False),
            ),
            (
                "max by (service) (topk(3, sum without (service) (x)) or vector(0))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service) (histogram_quantile(0.9, sum without (service) (rate(x_bucket[5m]))))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service) (sum without (service) (x) unless y)",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service) (sum without (service) (x) / on (code) group_left (service) "
                "sum without (service) (y))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service) (histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))))",
                DroppedLabels("by (service)", ("service",), frozenset(), does_nothing=True),
            ),
            # Removed under another `without`, or under a function over a subquery of it. Before: not found (a
            # `without` read alone; the subquery's function not read through).
            (
                "max by (service) (sum without (pod) (sum without (service) (x)))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service) (max_over_time(sum without (service) (rate(x[5m]))[10m:1m]))",
                DroppedLabels("by (service)", ("service",), None, does_nothing=True),
            ),
            (
                "max by (service, code) (histogram_quantile(0.9, sum by (le, code) (rate(x_bucket[5m]))))",
                DroppedLabels("by (service, code)", ("service",), frozenset({"code"}), does_nothing=False),
            ),
        ],
    )
    def test_found(self, query, expected):
        assert dropped_list_labels(query) == (expected,)

    @pytest.mark.parametrize(
        "query",
        [
            "sum by (service) (rate(x[5m]))",
            "max(sum by (service) (sum by (service, code) (x)))",
            "max(sum by (service) (sum without (code) (x)))",
            # A `without` list naming a label no series has drops nothing more: no mistake.
            "sum without (service) (sum by (code) (x))",
            'sum by (service) (label_replace(sum by (code) (x), "service", "a", "", ""))',
            "sum by (le) (sum by (code) (x))",
            "sum by (service) (",
            # A label that survives a `without` of others, histogram_quantile, or is written back above it.
            "max by (service) (sum without (code) (x))",
            "max by (service) (histogram_quantile(0.9, sum by (le, service) (rate(x_bucket[5m]))))",
            "max by (service) (histogram_quantile(0.9, rate(x_bucket[5m])))",
            'max by (service) (label_replace(sum without (service) (x), "service", "$1", "code", "(.*)"))',
            "max by (service) (sum without (service) (x) or y)",
            "max by (service) (sum without (service) (x) / on (code) group_left (service) y)",
            'max by (service) (count_values("service", sum without (service) (x)))',
            "max by (service) (y unless sum without (service) (x))",
            # A side that groups by the label carries it: the other side's `without` does not remove it.
            "max by (service) (sum by (service) (x) or sum without (service) (y))",
            # Copied by group_left (group_right) from the one side, which has it.
            "sum by (service) (sum without (service) (x) * on (pod) group_left (service) max by (pod, service) (y))",
            "sum by (service) (sum without (service) (x) * on (pod) group_left (service) sum without (team) (y))",
            "sum by (service) (y * on (pod) group_right (service) sum without (service) (x))",
            "max by (service) (max_over_time(sum without (code) (x)[10m:1m]))",
        ],
    )
    def test_not_found(self, query):
        assert dropped_list_labels(query) == ()


class TestRatedSelectors:
    """The selectors a two-sample function (rate() and the like) reads over exactly the window are found."""

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ('sum(rate(req_total{job="a"}[5m]))', ('req_total{job="a"}',)),
            ('sum(increase({__name__=~"a|b", j="x"}[5m])) or vector(0)', ('{__name__=~"a|b", j="x"}',)),
            ("sum(rate(a[5m])) / (sum(irate(b[5m])) + 1)", ("b", "a")),
            ("sum by (code) (-deriv(a[5m]))", ("a",)),
            ("sum(delta(a[5m])) + sum(idelta(b[5m]))", ("a", "b")),
            # Within another function's call: clamp_min() reads rate()'s answer, blind as it is.
            ("sum(clamp_min(rate(a[5m]), 0))", ("a",)),
            ('sum(label_replace(increase(a[5m]), "x", "$1", "y", "(.*)"))', ("a",)),
        ],
    )
    def test_a_range_read_by_a_two_sample_function_over_the_window_is_found(self, query, found):
        assert sorted(rated_selectors(query, 300.0)) == sorted((selector, 300.0) for selector in found)

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            # A shorter range: a target scraped every 1 to 5 minutes holds one sample in its minute, left out of the
            # window's answer, and is asked of over that minute. Before: not asked of at all.
            ("sum(rate(a[1m]))", (("a", 60.0),)),
            ("sum(rate(a[1m])) / sum(rate(b[5m]))", (("a", 60.0), ("b", 300.0))),
            ("sum(rate(a[1m])) / sum(rate(a[5m]))", (("a", 60.0), ("a", 300.0))),
            # The evaluation time's own last 5 minutes, written out: `@` an instant query's time (`offset 0s`
            # promql-parser refuses: the rule cannot tell, and says so).
            ("sum(rate(a[5m] @ end()))", (("a", 300.0),)),
            ("sum(rate(a[5m] @ start()))", (("a", 300.0),)),
        ],
    )
    def test_each_read_within_the_window_is_found_with_its_range(self, query, found):
        assert sorted(rated_selectors(query, 300.0)) == sorted(found)

    @pytest.mark.parametrize(
        "query",
        [
            "sum(rate(a[1h]))",  # another range
            "sum(rate(a[5m] offset -1m))",  # not the last 5 minutes either
            "sum(rate(a[5m] @ end() offset 1m))",
            "sum(rate(a[5m] offset 1m))",  # not the last 5 minutes
            "sum(rate(a[5m] @ 1700000000))",
            "sum(count_over_time(a[5m]))",  # one sample counts
            "sum(job:rate5m)",  # an instant selector: the look-back reads one sample
            "max_over_time(sum(rate(a[5m]))[1h:1m])",  # every step of an hour, not the last 5 minutes
            "sum(rate(a[5m]",  # unparsable
        ],
    )
    def test_other_reads_are_not(self, query):
        assert rated_selectors(query, 300.0) == ()

    def test_every_selector_of_a_query_the_size_guard_admits_is_found(self):
        # 401 rated selectors summed, 400 operators: 1,203 nodes. Before: the walk stopped at 1,000 nodes and the first
        # 68 selectors asked no blind query, so a target among them scraped every 5 minutes burned unseen there.
        query = " + ".join(f'sum(rate(x{{c="{i}"}}[5m]))' for i in range(401))
        assert promql_size_problem(query) is None
        assert sorted(rated_selectors(query, 300.0)) == sorted((f'x{{c="{i}"}}', 300.0) for i in range(401))


class TestWholeQueriesTheSizeGuardAdmits:
    """A query within the size guard has more than a thousand nodes: every walk reads them all (a bound on the nodes
    read left the rest unread, silently)."""

    SUMMED = " + ".join(f'sum(rate(x{{c="{i}"}}[5m]))' for i in range(400))  # 1,202 nodes

    def test_every_selector_is_read(self):
        # Before: 250 of 401, a baseline's `offset 1d` or a range past the look-back of the rest unread.
        query = " + ".join(f'sum(rate(x{{c="{i}"}}[5m] offset 1d))' for i in range(401))
        assert promql_size_problem(query) is None
        assert len(selector_reads(query)) == 401
        assert {reach for _, reaches in selector_reads(query) for reach in reaches} == {Reach(300.0, 86400.0, None)}

    def test_a_fallback_of_a_long_query_is_one(self):
        # Before: no fallback (the walk stopped), no probe sent, and a canary whose series all stopped passed on 0.
        query = f"({self.SUMMED}) or vector(0)"
        assert promql_size_problem(query) is None
        assert fallback_constant(query) == 0.0
        assert len(fallback_reads(query)) == 400
        assert len(fallback_reads(f"vector(0) or ({self.SUMMED})")) == 400
        # Its one selector read last, past a thousand other nodes: a fallback all the same.
        query = "(sum(x) + " + " + ".join(["vector(1)"] * 399) + ") or vector(0)"
        assert promql_size_problem(query) is None
        assert fallback_constant(query) == 0.0

    def test_a_label_list_that_drops_what_it_names_is_found_wherever_it_stands(self):
        # Before: found only among the last thousand nodes read.
        rest = " + ".join(f'sum by (pod) (x{{c="{i}"}})' for i in range(399))
        query = f"sum by (pod) (sum by (job) (y)) + {rest}"
        assert promql_size_problem(query) is None
        assert [dropped.written for dropped in dropped_list_labels(query)] == ["by (pod)"]

    def test_a_function_over_time_under_aggregations_is_found_wherever_it_stands(self):
        # 1,200 aggregations below the answering ones, and one max_over_time() under them, first or last.
        terms = [f"sum(sum(sum(x{i})))" for i in range(400)]
        for query in (
            " + ".join([*terms, "sum(sum(sum(max_over_time(y[5m]))))"]),
            " + ".join(["sum(sum(sum(max_over_time(y[5m]))))", *terms]),
        ):
            assert promql_size_problem(query) is None
            assert nan_hiding_operands(query) == [("max_over_time", "last_over_time(y[5m])")]


def _sloth_ratio_rules(error_query: str = "") -> list[str]:
    """The expressions of Sloth's ratio rules over each window (data_error_budget_rules.sloth_rules) for job x."""
    from tests.integration.data_error_budget_rules import sloth_rules

    groups = yaml.safe_load("groups:\n" + sloth_rules("x", error_query=error_query))["groups"]
    return [
        rule["expr"]
        for group in groups
        for rule in group["rules"]
        if rule.get("record", "").startswith("slo:sli_error:ratio_rate") and rule["labels"]["sloth_window"] != "30d"
    ]


class TestDivisionSides:
    """A division's sides and matching are read; it is label-free only when neither side can carry a label it
    matches on (whether it drops errors otherwise, only their series tell)."""

    def test_sloth_ratio_rules_over_a_grouped_error_query_and_an_ungrouped_total(self):
        expressions = _sloth_ratio_rules(
            'sum by (code) (rate(r{job="ebr-x",code=~"(5..|429)"}[{window}])) or vector(0)'
        )
        assert len(expressions) == 7
        divided = [division_sides(e) for e in expressions]
        assert all(d is not None and not d.label_free and d.on is None and d.ignoring == () for d in divided)
        # Each side as written (its fallback kept: an unmatched 0 drops no error).
        assert divided[0].errors == '(sum by (code) (rate(r{job="ebr-x",code=~"(5..|429)"}[5m])) or vector(0))'
        assert divided[0].total == '(sum(rate(ebr_http_requests_total{job="ebr-x"}[5m])))'

    @pytest.mark.parametrize(
        ("query", "errors", "total"),
        [
            # Strings as written, escapes and all (promql-parser writes a parsed string unescaped, not as PromQL).
            (
                'sum by (code) (rate(x{code=~"5\\\\d\\\\d",path="a\\"b/c"}[5m])) / sum(rate(x[5m])) # a / b',
                'sum by (code) (rate(x{code=~"5\\\\d\\\\d",path="a\\"b/c"}[5m]))',
                "sum(rate(x[5m])) # a / b",
            ),
            ("((a)\n/\n((b) > 0))", "(a)", "((b) > 0)"),
            ("a / on (job) group_right (pod) b", "a", "b"),
            ("a / ignoring (code) group_left b", "a", "b"),
            ("a * b / c", "a * b", "c"),
            ("a / b / c", "a / b", "c"),
        ],
    )
    def test_sides_are_the_text_written(self, query, errors, total):
        divided = division_sides(query)
        assert (divided.errors, divided.total) == (errors, total)

    def test_sloth_ratio_rules_over_ungrouped_queries_are_label_free(self):
        assert [division_sides(e).label_free for e in _sloth_ratio_rules()] == [True] * 7

    @pytest.mark.parametrize(
        ("query", "free"),
        [
            ('sum(rate(r{code=~"5.."}[5m])) / sum(rate(r[5m]))', True),
            ('(sum(rate(r{code=~"5.."}[5m])) or vector(0)) / ((sum(rate(r[5m]))) > 0)', True),
            # A label ignored, or no label matched on.
            ('sum by (code) (rate(r{code=~"5.."}[5m])) / ignoring (code) group_left sum(rate(r[5m]))', True),
            ('sum by (code) (rate(r{code=~"5.."}[5m])) / on () group_left sum(rate(r[5m]))', True),
            ('sum by (code) (rate(r{code=~"5.."}[5m])) / on (job) group_left sum(rate(r[5m]))', True),
            # A side that may carry one matched on, either side.
            ('sum by (code) (rate(r{code=~"5.."}[5m])) / sum(rate(r[5m]))', False),
            ('sum(rate(r{code=~"5.."}[5m])) / sum by (code) (rate(r[5m]))', False),
            ('sum by (code) (rate(r{code=~"5.."}[5m])) / sum by (code) (rate(r[5m]))', False),
            ('sum by (code, job) (rate(r{code=~"5.."}[5m])) / on (job) group_left sum(rate(r[5m]))', False),
            ('sum(rate(r{code=~"5.."}[5m])) / on (job) group_left sum by (job) (rate(r[5m]))', False),
            ("sum by (code, job) (rate(r[5m])) / ignoring (code) group_left sum(rate(r[5m]))", False),
            ('rate(r{code=~"5.."}[5m]) / sum(rate(r[5m]))', False),  # a selector's labels: any
            ('sum without (pod) (rate(r{code=~"5.."}[5m])) / sum(rate(r[5m]))', False),
            # Either operand of an `or` may answer: its right one's labels too.
            ('(vector(0) or sum by (code) (rate(r{code=~"5.."}[5m]))) / sum(rate(r[5m]))', False),
            # Sloth's 30d rule, over its 5m rule's series.
            (
                'sum_over_time(slo:sli_error:ratio_rate5m{a="b"}[30d]) / ignoring (sloth_window) '
                'count_over_time(slo:sli_error:ratio_rate5m{a="b"}[30d])',
                False,
            ),
        ],
    )
    def test_label_free_only_when_no_side_can_carry_a_matched_label(self, query, free):
        assert division_sides(query).label_free is free

    def test_matched_labels_follow_on_and_ignoring(self):
        labels = {"__name__": "x", "code": "500", "job": "a"}
        assert division_sides("a / b").matched(labels) == (("code", "500"), ("job", "a"))
        assert division_sides("a / ignoring (code) b").matched(labels) == (("job", "a"),)
        assert division_sides("a / on (job, pod) b").matched(labels) == (("job", "a"), ("pod", ""))
        assert division_sides("a / on () b").matched(labels) == ()

    @pytest.mark.parametrize(
        "query",
        [
            "sum(r)",  # no division
            'sum by (code) (r{code="500"}) * sum(r)',
            '1 - sum by (code) (r{code="500"}) / sum(r)',  # not at the top
            'sum by (code) (r{code="500"}) / sum(r) * 100',  # a product at the top, a division within
            "sum(rate(r[5m]) /",  # unparsable
        ],
    )
    def test_what_is_no_division_is_none(self, query):
        assert division_sides(query) is None


class TestScalarArguments:
    """The argument of each scalar() a query calls, as the query writes it, each once."""

    def test_each_argument_once_wherever_it_stands(self):
        query = "sum(x) > scalar(y) * scalar(sum(rate(z[5m] offset 1m)) by (a)) or topk(scalar(k), w) / scalar(y)"
        assert sorted(scalar_arguments(query)) == ["k", "sum(rate(z[5m] offset 1m)) by (a)", "y"]

    @pytest.mark.parametrize(
        ("query", "argument"),
        [
            # promql-parser prints the quote bare (`b="q"uo"`) and the regex's `\\.` as `\.`: neither reads so.
            ('scalar(y{b="q\\"uo"})', 'y{b="q\\"uo"}'),
            ('scalar(y{b=~"a\\\\.b"})', 'y{b=~"a\\\\.b"}'),
            # Brackets and calls in strings are text, not syntax.
            ('scalar( y{b=")("} )', 'y{b=")("}'),
            # A comment is blanked: it would end the count query's parenthesis.
            ("scalar(y # the y\n)", "y"),
            ("scalar (sum(y) * scalar(z))", "sum(y) * scalar(z)"),
            # A regex only Go reads: Prometheus did, and so does the text.
            ('scalar(y{b=~"\\\\Qa.b\\\\E"})', 'y{b=~"\\\\Qa.b\\\\E"}'),
        ],
    )
    def test_as_written(self, query, argument):
        assert scalar_arguments(query)[0] == argument

    @pytest.mark.parametrize("query", ["sum(scalar_total)", "x_scalar(y)", 'y{a="scalar(z)"}', "scalar(", "vector(1)"])
    def test_none_without_a_call(self, query):
        assert scalar_arguments(query) == ()
