"""The SVG builder and the plots, without a browser: escaping, scales, and what each plot says in words."""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

import pytest

from analyzer.models import format_number
from analyzer.ui import plots
from analyzer.ui.svg import (
    Box,
    LabelPlacer,
    Scale,
    Svg,
    attributes,
    domain,
    label_box,
    labelled_ticks,
    text_width,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


class TestEscaping:
    """Text and attribute values are escaped; attribute names come only from code."""

    def test_text_and_attributes_are_escaped(self):
        svg = Svg(10, 10, 'a "label" <b>')
        svg.text(1, 2, "<script>x()</script>", data_label='" onload="x()')
        markup = str(svg.render())
        assert "<script>" not in markup
        assert "&lt;script&gt;x()&lt;/script&gt;" in markup
        assert 'data-label="&quot; onload=&quot;x()"' in markup
        assert "<title>a &quot;label&quot; &lt;b&gt;</title>" in markup

    @pytest.mark.parametrize("name", ["on load", "x=1", "Onload", "a>b"])
    def test_a_bad_attribute_name_is_refused(self, name):
        with pytest.raises(ValueError, match="invalid SVG attribute name"):
            attributes({name: 1})

    def test_non_finite_coordinates_are_not_written(self):
        assert attributes({"x": float("nan")}) == ' x="0"'


class TestScale:
    """A value maps to the pixel its position in the domain gives; y axes run upwards."""

    def test_y_scale_runs_upwards(self):
        y = Scale(0.0, 10.0, 200.0, 0.0)
        assert (y(0.0), y(10.0), y(2.5)) == (200.0, 0.0, 150.0)

    def test_clamped_stays_in_the_range(self):
        y = Scale(0.0, 10.0, 200.0, 0.0)
        assert (y.clamped(20.0), y.clamped(-5.0)) == (0.0, 200.0)

    def test_domain_holds_every_value_with_room(self):
        low, high = domain([0.1, 0.01, float("nan")])
        assert low < 0.01 and high > 0.1

    def test_a_single_value_gets_room(self):
        assert domain([5.0]) == (4.5, 5.5)

    def test_ticks_are_round_numbers_inside(self):
        assert ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        assert ticks(1.0, 1.0) == []

    @pytest.mark.parametrize(
        ("low", "high", "shown"),
        [
            (0.0, 1.0, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
            # Before: "0.9999" three times.
            (0.999898, 0.999952, ["0.9999", "0.99992", "0.99994"]),
            (1e6, 1e6 + 0.01, ["1000000", "1000000.0025", "1000000.005", "1000000.0075", "1000000.01"]),
            (0.0, 2e-5, ["0", "5e-06", "1e-05", "1.5e-05", "2e-05"]),
        ],
    )
    def test_tick_labels_tell_every_tick_apart(self, low, high, shown):
        assert [text for _, text in labelled_ticks(low, high)] == shown

    @pytest.mark.parametrize(
        ("low", "high"), [(0.0, 5e-324), (0.0, 2.5e-323), (0.0, 5e-323), (-1.7e308, 1.7e308), (2.0, 1.0)]
    )
    def test_a_span_too_small_or_too_large_for_a_step_has_no_ticks(self, low, high):
        # (0, 5e-324) raised "math domain error": an interval, latency or timeline plot of it was a 500. (0, 2.5e-323)
        # divides to a step whose power of ten, 1e-324, is 0: no multiple of it reaches the step (StopIteration).
        assert ticks(low, high) == []

    @pytest.mark.parametrize("tiny", [5e-324, 2.5e-323])
    @pytest.mark.parametrize("draw", ["interval", "latencies", "timeline", "time_series"])
    def test_plots_of_subnormal_values_are_drawn(self, draw, tiny):
        made = {
            "interval": lambda: plots.interval(plots.Interval(tiny, 0.0, tiny), label="i", x_title="x"),
            "latencies": lambda: plots.latencies([plots.LatencyRow("step", [("latency", tiny)], [])], label="l"),
            "timeline": lambda: plots.timeline([plots.Step("step", "pass", tiny, "")], label="t"),
            "time_series": lambda: plots.time_series(
                [plots.Line("value", "s0", [(0.0, 0.0), (60.0, tiny)])], [], [], label="t", y_title="v", window=(0, 60)
            ),
        }[draw]()
        assert str(made).startswith("<svg")


class TestPlots:
    """Each rule sits at its value on the plot's own scale, and says what it is in words."""

    def test_time_series_rule_at_its_value(self):
        markup = str(
            plots.time_series(
                [plots.Line("value", "s0", [(0.0, 0.1), (60.0, 0.1)])],
                [plots.Rule(0.01, "pass_if < 0.01", "pass-if")],
                [],
                label="t",
                y_title="v",
            )
        )
        low, high = (float(v) for v in re.search(r'data-y-low="([^"]+)" data-y-high="([^"]+)"', markup).groups())
        y1 = float(re.search(r'<line x1="[^"]+" y1="([^"]+)"[^>]*class="rule pass-if"', markup).group(1))
        assert y1 == pytest.approx(224 + (0.01 - low) / (high - low) * (24 - 224), abs=0.01)
        assert ">pass_if &lt; 0.01</text>" in markup

    @staticmethod
    def time_ticks(window_s: float) -> list[str]:
        end = 1796575080.0
        markup = str(plots.time_series([], [], [], label="t", y_title="v", window=(end - window_s, end)))
        return re.findall(r'<text x="[0-9.]+" y="242.00" class="tick"[^>]*>([^<]*)<', markup)

    def test_time_ticks_of_an_hour_are_hours_and_minutes(self):
        assert self.time_ticks(3600) == ["15:40", "15:50", "16:00", "16:10", "16:20", "16:30"]

    @pytest.mark.parametrize("days", [2, 7])
    def test_time_ticks_over_days_name_their_day(self, days):
        # Before: a week's ticks, two days apart, all read "00:00".
        shown = self.time_ticks(days * 86400)
        assert len(shown) >= 3 and len(set(shown)) == len(shown)
        assert all(re.fullmatch(r"12-0[0-9] [0-9]{2}:00", tick) for tick in shown)

    def test_a_gap_breaks_the_line(self):
        markup = str(
            plots.time_series(
                [plots.Line("v", "s0", [(0.0, 1.0), (1.0, 2.0), (2.0, float("nan")), (3.0, 1.0), (4.0, 2.0)])],
                [],
                [],
                label="t",
                y_title="v",
            )
        )
        assert markup.count("<polyline") == 2

    def test_a_bar_group_says_whether_it_fired(self):
        markup = str(
            plots.bar_groups(
                [
                    plots.BarGroup(
                        "page 1h/5m",
                        "FIRED: fails",
                        "fired",
                        [plots.Bar("1h", 20.0, "long"), plots.Bar("5m", None, "short")],
                        plots.Rule(14.4, "factor 14.4x", "factor"),
                    )
                ],
                label="b",
                y_title="burn",
            )
        )
        assert '<span class="status fired">FIRED: fails</span></figcaption>' in markup
        assert ">5m: no data</text>" in markup

    def test_values_beside_their_limits_are_written_as_the_reason_writes_them(self):
        # Before: to 4 significant digits, "1h: 14.4" beside "factor 14.4x" on a tier that fired, and an estimate
        # of -0.0100004 read as its tolerance -0.01.
        bars = str(
            plots.bar_groups(
                [plots.BarGroup("page", "FIRED: fails", "fired", [plots.Bar("1h", 14.4003, "long")])],
                label="b",
                y_title="burn",
            )
        )
        assert ">1h: 14.4003</text>" in bars
        interval = str(plots.interval(plots.Interval(-0.0100004, -0.0150002, -0.00500001), label="i", x_title="x"))
        assert ">estimate -0.0100004</text>" in interval
        assert ">interval [-0.0150002, -0.00500001]</text>" in interval
        latency = str(plots.latencies([plots.LatencyRow("s", [("p95", 2000.04)], [("max_p95", 2000.0)])], label="l"))
        assert ">p95 2000.04 ms</text>" in latency and ">max_p95 2000 ms</text>" in latency

    def test_a_value_never_reads_as_the_limit_beside_it(self):
        # To 6 digits: "1h: 14" beside "factor 14x", "estimate -0.1" beside "-tolerance -0.1", "p95 2000 ms" beside
        # "max_p95 2000 ms".
        bars = str(
            plots.bar_groups(
                [
                    plots.BarGroup(
                        "page",
                        "not fired",
                        "quiet",
                        [plots.Bar("1h", 13.9999999, "long"), plots.Bar("5m", 14.0000001, "short")],
                        plots.Rule(14.0, "factor 14x", "factor"),
                    )
                ],
                label="b",
                y_title="burn",
            )
        )
        assert ">1h: 13.9999999</text>" in bars and ">5m: 14.0000001</text>" in bars
        rules = [plots.Rule(0.0, "no difference", "zero"), plots.Rule(-0.1, "-tolerance -0.1", "tolerance")]
        interval = str(plots.interval(plots.Interval(-0.1000001, -0.2, -0.0999999, rules), label="i", x_title="x"))
        assert ">estimate -0.1000001</text>" in interval
        assert ">interval [-0.2, -0.0999999]</text>" in interval
        latency = str(
            plots.latencies([plots.LatencyRow("s", [("p95", 2000.0000001)], [("max_p95", 2000.0)])], label="l")
        )
        assert ">p95 2000.0000001 ms</text>" in latency


class TestLabelPlacer:
    """A label is written where it is wanted if that is free, else on the nearest free row, never over another."""

    def test_a_free_spot_is_kept(self):
        placer = LabelPlacer(0.0, 720.0)
        assert placer.place(100.0, 50.0, "1h: 21.2502", anchor="middle", font_px=12.0) == (100.0, 50.0)
        assert placer.place(300.0, 50.0, "5m: 25", anchor="middle", font_px=12.0) == (300.0, 50.0)

    @pytest.mark.parametrize(("down", "moved"), [(False, -15.0), (True, 15.0)])
    def test_a_label_over_another_moves_one_row(self, down, moved):
        placer = LabelPlacer(0.0, 720.0)
        placer.place(100.0, 50.0, "3d: 7.30556", anchor="middle", font_px=12.0)
        # Its neighbour's label, 66 px to the right and as wide as its bar or wider: over the first.
        x, y = placer.place(166.0, 50.0, "6h: 7.30556", anchor="middle", font_px=12.0, down=down)
        assert (x, y) == (166.0, 50.0 + moved)
        first, second = placer.boxes
        assert not first.overlaps(second)
        # A third over both moves past both.
        assert placer.place(130.0, 50.0, "factor 6x", anchor="middle", font_px=11.0, down=down)[1] != y

    def test_a_label_sticking_out_is_moved_inside(self):
        placer = LabelPlacer(74.0, 718.0)
        x, _ = placer.place(80.0, 50.0, "1h: 21.2502", anchor="middle", font_px=12.0)
        assert placer.boxes[0].left == 74.0 and x > 80.0
        x, _ = placer.place(718.0, 90.0, "factor 14.4x", anchor="end", font_px=11.0)
        assert placer.boxes[1].right == 718.0 and x == 718.0

    @pytest.mark.parametrize("taken", [1, 40, 400])
    def test_a_label_that_can_move_nowhere_ends_written_where_it_was_wanted(self, taken):
        # At y = 1e18 a row (15 px) moves a label by nothing: uncapped, the loop tested the same spot forever and the
        # page never answered. It ends within the rows the labels beside it can take (one more than theirs).
        placer = LabelPlacer(0.0, 720.0)
        for _ in range(taken):
            placer.keep(Box(0.0, 1e18 - 20, 720.0, 1e18 + 20))
        assert placer.place(100.0, 1e18, "1h: 21.2502", anchor="middle", font_px=12.0) == (100.0, 1e18)
        assert len(placer.boxes) == taken + 1

    @pytest.mark.parametrize("font_px", [0.0, -12.0, float("nan"), float("inf")])
    def test_a_font_size_that_is_not_a_size_is_refused(self, font_px):
        with pytest.raises(ValueError, match="font_px must be a positive number of pixels"):
            LabelPlacer(0.0, 720.0).place(100.0, 50.0, "x", anchor="middle", font_px=font_px)

    def test_boxes_that_touch_do_not_overlap(self):
        assert not Box(0, 0, 10, 10).overlaps(Box(10, 0, 20, 10))
        assert not Box(0, 0, 10, 10).overlaps(Box(0, 10, 10, 20))
        assert Box(0, 0, 10, 10).overlaps(Box(9, 9, 20, 20))

    def test_a_width_is_never_under_what_a_wide_font_draws(self):
        # DejaVu Sans at 12 px: digits 7.63 px, "m" 11.69 px, ":" and " " under 4.1 px.
        assert text_width("21.2502", 12.0) >= 5 * 7.63 + 2 * 3.82
        assert text_width("mm", 12.0) >= 2 * 11.69
        assert text_width("FIRED: fails", 12.0, bold=True) > text_width("FIRED: fails", 12.0)


# The demo's payments-availability (factor 1x over bars of 0.4 on a scale to 15: "factor 1x" written over "6h: 0.4"),
# the shop's tiers that fired (each factor's label over its short window's bar, which burns above it), six tiers of
# one height (each group's two labels wider than its bars) and bars with no data.
BAR_PLOTS = {
    "a rule level with the bars' tops": [
        plots.BarGroup(
            "ticket 4d/6h",
            "not fired",
            "quiet",
            [plots.Bar("4d", 0.4, "long"), plots.Bar("6h", 0.4, "short")],
            plots.Rule(1.0, "factor 1x", "factor"),
        ),
        plots.BarGroup(
            "page", "not fired", "quiet", [plots.Bar("1h", 0.4, "long")], plots.Rule(14.0, "factor 14x", "factor")
        ),
    ],
    "tiers that fired": [
        plots.BarGroup(
            f"page {long}/{short}",
            "FIRED: fails",
            "fired",
            [plots.Bar(long, long_burn, "long"), plots.Bar(short, short_burn, "short")],
            plots.Rule(factor, f"factor {factor}x", "factor"),
        )
        for long, short, long_burn, short_burn, factor in (
            ("1h", "5m", 20.9167, 25.0, 14.4),
            ("6h", "30m", 7.30556, 25.0, 6.0),
            ("1d", "2h", 7.30556, 10.7083, 3.0),
            ("3d", "6h", 7.30556, 7.30556, 1.0),
        )
    ],
    "six tiers of one height": [
        plots.BarGroup(
            f"ticket {n}d/6h",
            "FIRED: warning",
            "warned",
            [plots.Bar(f"{n}d", 7.30556, "long"), plots.Bar("6h", 7.30556, "short")],
            plots.Rule(7.3, "factor 7.3x", "factor"),
        )
        for n in range(1, 7)
    ],
    "no data": [
        plots.BarGroup(
            "page 1h/5m",
            "cannot judge",
            "unjudged",
            [plots.Bar("1h", None, "long"), plots.Bar("5m", 30.0, "short")],
            plots.Rule(14.4, "factor 14.4x", "factor"),
        )
    ],
    # A canary without traffic: every window without data, the factors low on a scale to 14.4 ("30m: no data" rising
    # from zero past the line of factor 6).
    "no data in any window": [
        plots.BarGroup(
            f"page {long}/{short}",
            "cannot judge",
            "unjudged",
            [plots.Bar(long, None, "long"), plots.Bar(short, None, "short")],
            plots.Rule(factor, f"factor {factor}x", "factor"),
        )
        for long, short, factor in (("1h", "5m", 14.4), ("6h", "30m", 6.0), ("1d", "2h", 3.0), ("3d", "6h", 1.0))
    ],
}


def drawn(root: ElementTree.Element) -> tuple[list[tuple[str, str, Box]], list[Box], list[tuple[float, float, float]]]:
    """One picture's texts (class, text, estimated box, upright ones turned), bars and rules (x1, x2, y) as drawn: a
    rule broken around the labels it crosses is one rule, from its first piece's start to its last piece's end."""
    texts = []
    for text in root.iter(f"{SVG}text"):
        x, y, css = float(text.get("x", 0)), float(text.get("y", 0)), text.get("class", "")
        font_px = 11.0 if css in ("rule-label", "axis-title") else 12.0
        # The value axis' title is turned too, about its middle: left out by the tests, which read the labels.
        upright = css == "bar-label" and "rotate(-90" in text.get("transform", "")
        box = label_box(x, y, text.text or "", font_px, anchor=text.get("text-anchor", "start"), upright=upright)
        texts.append((css, text.text or "", box))
    bars = [
        Box(
            float(r.get("x")),
            float(r.get("y")),
            float(r.get("x")) + float(r.get("width")),
            float(r.get("y")) + float(r.get("height")),
        )
        for r in root.iter(f"{SVG}rect")
    ]
    pieces: dict[float, list[tuple[float, float]]] = {}
    for x1, x2, y in rule_pieces(root):
        pieces.setdefault(y, []).append((x1, x2))
    rules = [(min(x1 for x1, _ in spans), max(x2 for _, x2 in spans), y) for y, spans in pieces.items()]
    return texts, bars, rules


def rule_pieces(root: ElementTree.Element) -> list[tuple[float, float, float]]:
    """The pieces (x1, x2, y) of a picture's rules, as drawn."""
    return [
        (float(line.get("x1")), float(line.get("x2")), float(line.get("y1")))
        for line in root.iter(f"{SVG}line")
        if "rule" in line.get("class", "").split()
    ]


def pictures(markup: str) -> list[ElementTree.Element]:
    """A bar plot's pictures, one per group (each in its own px)."""
    return list(ElementTree.fromstring(markup).iter(f"{SVG}svg"))


class TestBarLabels:
    """Each label of a bar plot is written next to what it names and over no bar and no other label (by their
    estimated boxes; the browser test measures them as drawn)."""

    @pytest.mark.parametrize("groups", BAR_PLOTS.values(), ids=BAR_PLOTS.keys())
    def test_no_label_is_written_over_a_bar_or_another_label(self, groups):
        for picture in pictures(str(plots.bar_groups(groups, label="b", y_title="burn"))):
            texts, bars, _ = drawn(picture)
            placed = [(css, text, box) for css, text, box in texts if css != "axis-title"]
            # Before: the factor's label over its short window's bar on every tier that fired.
            assert [(text, bar) for _, text, box in placed for bar in bars if box.overlaps(bar)] == []
            assert [(a[1], b[1]) for i, a in enumerate(placed) for b in placed[i + 1 :] if a[2].overlaps(b[2])] == []

    @pytest.mark.parametrize("groups", BAR_PLOTS.values(), ids=BAR_PLOTS.keys())
    def test_each_label_is_next_to_what_it_names(self, groups):
        drawn_pictures = pictures(str(plots.bar_groups(groups, label="b", y_title="burn")))
        assert len(drawn_pictures) == len(groups)
        for group, picture in zip(groups, drawn_pictures, strict=True):
            texts, bars, rules = drawn(picture)
            rule_labels = [box for css, _, box in texts if css == "rule-label"]
            assert len(rule_labels) == len(rules) == (group.rule is not None)
            for box, (_, x2, y) in zip(rule_labels, rules, strict=True):
                # Before: moved a row or more above its line, off the bars' labels.
                assert abs((box.top + box.bottom) / 2 - y) <= 2
                assert 0 <= box.left - x2 <= 4
            bar_labels = [(text, box) for css, text, box in texts if css == "bar-label"]
            assert len(bar_labels) == len(group.bars)
            y_zero = float(picture.get("data-plot-bottom"))
            drawn_bars = iter(bars)
            for (text, box), bar in zip(bar_labels, group.bars, strict=True):
                if bar.value is None:
                    assert 0 <= y_zero - box.bottom <= 6, text
                    continue
                rect = next(drawn_bars)
                # Just above its own bar, or just above the rule that runs just over it; and over its middle.
                rule_y = rules[0][2] if rules else None
                raised = rule_y is not None and 0 <= rule_y - box.bottom <= 3 and 0 <= rect.top - rule_y <= 17
                assert 0 <= rect.top - box.bottom <= 6 or raised, text
                assert abs((box.left + box.right) / 2 - (rect.left + rect.right) / 2) <= 1, text

    @pytest.mark.parametrize("groups", BAR_PLOTS.values(), ids=BAR_PLOTS.keys())
    def test_no_rule_is_drawn_across_a_label(self, groups):
        for picture in pictures(str(plots.bar_groups(groups, label="b", y_title="burn"))):
            texts, _, rules = drawn(picture)
            pieces = rule_pieces(picture)
            # Before: the factor's dashed line drawn through "30m: no data" (and through a value level with it).
            assert [
                (text, y) for _, text, box in texts for x1, x2, y in pieces if box.overlaps(Box(x1, y - 1, x2, y + 1))
            ] == []
            # The line is still drawn where no label is: from left of the first bar to its label.
            assert sum(x2 - x1 for x1, x2, _ in pieces) >= 12 * len(rules)

    def test_a_rule_crossing_labels_is_broken_around_them_only(self):
        picture = pictures(str(plots.bar_groups(BAR_PLOTS["no data in any window"], label="b", y_title="b")))[1]
        texts, _, ((start, end, _),) = drawn(picture)
        crossed = sorted((box for css, _, box in texts if css == "bar-label"), key=lambda box: box.left)
        gaps = [(a[1], b[0]) for a, b in zip(rule_pieces(picture), rule_pieces(picture)[1:], strict=False)]
        # Before the first label, between the two, after the second: three pieces, each gap just wider than its label.
        assert len(rule_pieces(picture)) == 3
        for (gap_start, gap_end), box in zip(gaps, crossed, strict=True):
            assert box.left - 3 <= gap_start <= box.left and box.right <= gap_end <= box.right + 3
        assert start < crossed[0].left and end > crossed[-1].right

    @pytest.mark.parametrize("factor", [1.0, 15.4286, 0.333333, 1234567.0])
    @pytest.mark.parametrize("burn", [2.5, 12.5, 0.125, None])
    def test_every_picture_fits_the_narrowest_phone(self, factor, burn):
        # Two level labels as wide as a level label can be (56 px columns) beside a long factor: 306 px before.
        group = plots.BarGroup(
            "page 1h/5m",
            "not fired",
            "quiet",
            [plots.Bar("1h", burn, "long"), plots.Bar("5m", burn, "short")],
            plots.Rule(factor, f"factor {plots.format_number(factor)}x", "factor"),
        )
        (picture,) = pictures(str(plots.bar_groups([group], label="b", y_title="burn")))
        assert float(picture.get("width")) <= 298

    def test_labels_wider_than_their_bars_are_turned_upright_inside_the_picture(self):
        groups = [
            plots.BarGroup(
                "g", "s", "quiet", [plots.Bar(w, 10.0, "long") for w in ("1h", "5m", "30m", "2h", "6h", "1d")]
            )
            for _ in range(6)
        ]
        markup = str(plots.bar_groups(groups, label="b", y_title="burn"))
        assert markup.count('class="bar-label" text-anchor="start" transform="rotate(-90') == 36
        for picture in pictures(markup):
            texts, _, _ = drawn(picture)
            top, width = map(float, picture.get("viewBox").split()[1:3])
            labels = [box for css, _, box in texts if css == "bar-label"]
            assert len(labels) == 6
            assert all(box.top >= top and box.right <= width for box in labels)


class TestSmallMultiples:
    """A bar plot is a picture per group on one value scale, each drawn at its own size: its text never scaled."""

    def test_twelve_groups_are_twelve_pictures_of_a_phone_s_width_on_one_scale(self):
        groups = [
            plots.BarGroup(
                f"page-long-tier-name-{i} 1h/5m",
                "FIRED: fails",
                "fired",
                [plots.Bar("1h", 14.4 * (i + 1), "long"), plots.Bar("5m", 14.4, "short")],
                plots.Rule(1000.0 if i % 2 else 14.4, f"factor {1000 if i % 2 else 14.4}x", "factor"),
            )
            for i in range(12)
        ]
        markup = str(plots.bar_groups(groups, label="Burn rate per window", y_title="burn"))
        drawn_pictures = pictures(markup)
        # Before: one picture 1848 px wide, scaled into a phone's 300 px (its text 2 px high).
        assert len(drawn_pictures) == 12
        for picture in drawn_pictures:
            view_width, view_height = map(float, picture.get("viewBox").split()[2:])
            # Drawn at its size (px), which fits the narrowest phone's 300 px of page.
            assert (float(picture.get("width")), float(picture.get("height"))) == (view_width, view_height)
            assert view_width <= 300
        assert {(p.get("data-y-low"), p.get("data-y-high")) for p in drawn_pictures} == {("0.0", repr(1000.0 * 1.08))}
        names = [f.text for f in ElementTree.fromstring(markup).iter("span") if f.get("class") == "multiple-name"]
        assert names == [g.label for g in groups]

    def test_a_value_is_drawn_at_the_same_height_in_every_picture(self):
        # A tier burning 40x (its values' labels upright, rising above the plot) beside tiers burning 0.5x, one with no
        # data in a window, all against the same factor.
        groups = [
            plots.BarGroup(
                "page 1h/5m",
                "FIRED: fails",
                "fired",
                [plots.Bar("1h", 40.1234, "long"), plots.Bar("5m", 42.5678, "short")],
                plots.Rule(14.4, "factor 14.4x", "factor"),
            ),
            plots.BarGroup(
                "ticket 6h/30m",
                "not fired",
                "quiet",
                [plots.Bar("6h", 0.5, "long"), plots.Bar("30m", 0.5, "short")],
                plots.Rule(14.4, "factor 14.4x", "factor"),
            ),
            plots.BarGroup(
                "ticket 1d/2h",
                "cannot judge",
                "unjudged",
                [plots.Bar("1d", 0.5, "long"), plots.Bar("2h", None, "short")],
                plots.Rule(14.4, "factor 14.4x", "factor"),
            ),
        ]
        drawn_pictures = pictures(str(plots.bar_groups(groups, label="b", y_title="burn")))
        # Before: the first picture's view began 50 px above the others', so that, side by side, its zero and its
        # factor line were drawn 50 px lower than the same values beside it.
        views = {tuple(picture.get("viewBox").split()[1::2]) for picture in drawn_pictures}
        assert len(views) == 1
        assert {picture.get("height") for picture in drawn_pictures} == {next(iter(views))[1]}
        for picture in drawn_pictures:
            _, top, width, height = map(float, picture.get("viewBox").split())
            texts, _, _ = drawn(picture)
            # The shared view still holds each picture's labels, its factor's right of its bars.
            assert [
                text
                for _, text, box in texts
                if not (box.left >= 0 and box.right <= width and top <= box.top and box.bottom <= top + height)
            ] == []

    def test_each_picture_is_captioned_with_its_own_group_s_name_and_status(self):
        groups = [
            plots.BarGroup(f"tier-{i}", status, css, [plots.Bar("1h", float(i), "long")], plots.Rule(2.0, "f 2x", "f"))
            for i, (status, css) in enumerate(
                [("FIRED: fails", "fired"), ("not fired", "quiet"), ("FIRED: warning", "warned"), ("cannot judge", "x")]
            )
        ]
        root = ElementTree.fromstring(str(plots.bar_groups(groups, label="b", y_title="burn")))
        figures = [f for f in root.iter("figure")]
        assert len(figures) == len(groups)
        for group, figure in zip(groups, figures, strict=True):
            caption = figure.find("figcaption")
            assert caption is not None
            name, status = caption.findall("span")
            # Before (a mutant): every picture captioned with the first tier's status, a quiet tier read as FIRED.
            assert (name.text, status.text, status.get("class")) == (group.label, group.status, f"status {group.css}")
            assert figure.get("data-label") == group.label
            # A screen reader hears the picture's figures too: its status, each bar's value and the rule.
            assert figure.find(f"{SVG}svg").get("aria-label") == (
                f"b: {group.label}: {group.status}; 1h: {format_number(group.bars[0].value)}; f 2x"
            )

    def test_a_hostile_name_or_status_is_written_as_text(self):
        hostile = "<script>alert(1)</script>\u202e"
        markup = str(
            plots.bar_groups(
                [plots.BarGroup(hostile, hostile, "quiet", [plots.Bar("1h", 1.0, "long")])], label="b", y_title="burn"
            )
        )
        assert "<script>" not in markup
        caption = ElementTree.fromstring(markup).find("figure/figcaption")
        assert caption is not None
        assert [span.text for span in caption.findall("span")] == ["<script>alert(1)</script>\\u202e"] * 2


class TestHeardFigures:
    """A plot's aria-label (what a screen reader says of the picture) names the figures it draws, not only its title."""

    def label(self, markup: str) -> str:
        return ElementTree.fromstring(str(markup)).get("aria-label") or ""

    def test_time_series_says_the_evaluated_value_the_threshold_and_each_line_s_last_value(self):
        markup = plots.time_series(
            [plots.Line("canary", "s0", [(0.0, 0.5), (60.0, 0.08)])],
            [plots.Rule(0.01, "pass_if < 0.01", "pass-if")],
            [plots.Mark(120.0, 0.08, "evaluated value 0.08 (fail)")],
            label="T (verdict FAIL)",
            y_title="value",
        )
        assert self.label(markup) == "T (verdict FAIL): evaluated value 0.08 (fail); pass_if < 0.01; canary last 0.08"

    @pytest.mark.parametrize(
        ("values", "said"),
        [
            ([0.5, math.inf], "canary ends at +Inf (its last finite value 0.5)"),
            ([0.5, -math.inf, -math.inf], "canary ends at -Inf (its last finite value 0.5)"),
            ([math.inf], "canary ends at +Inf (no finite value)"),
            ([0.5, 0.08, math.nan, math.nan], "canary ends in a gap, NaN (its last finite value 0.08)"),
            ([0.5, math.inf, math.nan], "canary ends in a gap, NaN (its last finite value 0.5), 1 step at +Inf before"),
            ([0.1, math.nan, math.nan, 0.2, math.nan, 0.3], "canary last 0.3, 2 gaps (NaN) before"),
            ([0.1, -math.inf, 0.2, -math.inf, 0.3], "canary last 0.3, 2 steps at -Inf before"),
            (
                [math.nan, 0.2, math.inf, -math.inf],
                "canary ends at -Inf (its last finite value 0.2), 1 gap (NaN), 1 step at +Inf before",
            ),
        ],
    )
    def test_a_line_is_said_to_end_where_it_ends_and_its_gaps(self, values, said):
        # Before: its last finite value, "canary last 0.5", though the line ends at +Inf (not drawn) or in a gap.
        line = plots.Line("canary", "s0", [(60.0 * i, v) for i, v in enumerate(values)])
        assert self.label(plots.time_series([line], [], [], label="T", y_title="v")) == f"T: {said}"

    def test_a_line_without_a_finite_value_is_said_to_have_no_data(self):
        markup = plots.time_series([plots.Line("baseline", "s0", [(0.0, math.nan)])], [], [], label="T", y_title="v")
        assert self.label(markup) == "T: baseline no data"

    def test_interval_says_the_estimate_its_interval_and_the_tolerance(self):
        rules = [plots.Rule(0.0, "no difference", "zero"), plots.Rule(-0.005, "-tolerance -0.005", "tolerance")]
        markup = plots.interval(plots.Interval(-0.05, -0.052, -0.048, rules), label="E", x_title="d")
        assert self.label(markup) == ("E: estimate -0.05; interval [-0.052, -0.048]; no difference; -tolerance -0.005")

    def test_timeline_and_latencies_say_each_step(self):
        steps = [plots.Step("login", "pass", 9.5, "HTTP 200, 9.5 ms"), plots.Step("pay", "not_run", None, "")]
        assert self.label(plots.timeline(steps, label="S")) == "S: login pass HTTP 200, 9.5 ms; pay not run"
        rows = [plots.LatencyRow("login", [("latency", 9.5)], [("max_latency", 5.0)])]
        assert self.label(plots.latencies(rows, label="L")) == "L: login: latency 9.5 ms, limit max_latency 5 ms"

    def test_meter_and_shares_say_their_share_and_members(self):
        markup = plots.meter(0.5, label="budget remaining", css="pass", rule=plots.Rule(0.2, "min 20%", "gate"))
        assert self.label(markup) == "budget remaining: budget remaining: 50%; min 20%"
        parts = [
            plots.Share("a: PASS (weight 1)", 1.0, "pass", "/a"),
            plots.Share("b: FAIL (weight 3)", 3.0, "fail", "/b"),
        ]
        assert self.label(plots.shares(parts, label="M")) == "M: a: PASS (weight 1); b: FAIL (weight 3)"


class TestMeter:
    """A meter's scale labels say where its ends and zero are, none written over another."""

    @staticmethod
    def ticks_of(markup: str) -> dict[str, float]:
        return {
            text: float(x)
            for x, text in re.findall(
                r'<text x="([0-9.]+)" y="[0-9]+" class="(?:tick|rule-label)"[^>]*>([^<]*)<', markup
            )
        }

    def test_a_budget_far_overspent_shows_its_low_end_and_zero_apart(self):
        # Before: "0%" and "100%" drawn within 8 px of each other at the right end ("100%0%"), the left end unlabelled.
        shown = self.ticks_of(str(plots.meter(-79.0, label="budget remaining", css="fail")))
        assert set(shown) == {"-7900%", "0%"}
        assert shown["-7900%"] < shown["0%"]

    def test_a_rule_near_the_right_end_is_not_written_over(self):
        shown = self.ticks_of(str(plots.meter(-79.0, label="b", css="fail", rule=plots.Rule(0.1, "min 10%", "gate"))))
        assert set(shown) == {"-7900%", "0%", "min 10%"}

    @pytest.mark.parametrize("value", [-0.01, -0.05])
    def test_a_budget_just_overspent_writes_zero_alone_at_its_low_end(self, value):
        # Before: "-1%" from the scale's start and "0%" centred 6 px right of it, written over each other.
        shown = self.ticks_of(str(plots.meter(value, label="budget remaining", css="fail")))
        assert set(shown) == {"0%", "100%"}

    @pytest.mark.parametrize(("value", "labels"), [(0.5, {"0%", "100%"}), (-0.5, {"-50%", "0%", "100%"})])
    def test_labels_with_room_are_all_written(self, value, labels):
        shown = self.ticks_of(str(plots.meter(value, label="b", css="pass")))
        assert set(shown) == labels
        assert shown["100%"] - shown["0%"] >= 40

    def test_its_share_is_written_as_the_reason_writes_it(self):
        # Before: to 4 significant digits, 99.994% and a gate of 99.995% both read "99.99%" beside a FAIL.
        markup = str(plots.meter(0.99994, label="budget remaining", css="fail"))
        assert ">budget remaining: 99.994%</text>" in markup
        assert plots.percent_label(0.99995) == "99.995%"
        assert plots.percent_label(-0.385714) == "-38.5714%"
