"""The plots of the verdict pages, drawn on the server as SVG from plain numbers.

Every plot names what it shows in text next to each colour (a legend entry or a label), and carries its scale
as data attributes (`data-y-low`, `data-plot-top`...), so that a reader or a test can map a value to a pixel.
A value and a limit are written as the reasons write them (format_number, 6 significant digits): to 4, a burn of
14.4003 and its factor 14.4 read alike beside a tier that fired; a value beside its limit with as many more as it
takes not to read as it (format_value: a burn of 13.9999999 read "14" beside "factor 14x").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from analyzer.models import format_number, format_value, shown
from analyzer.ui.svg import (
    Box,
    Scale,
    Svg,
    baseline_offset,
    domain,
    label_box,
    labelled_ticks,
    text_width,
    time_label,
)

WIDTH = 720
_LEFT, _RIGHT, _TOP = 72.0, WIDTH - 24.0, 24.0
# The least distance, px, from the centre of a meter's "0%" or rule label to the far edge of a label at an end of its
# scale ("100%", or an overspent low end) for both to be read.
_METER_TICK_GAP = 40.0
_PLOT_HEIGHT = 200.0
_LEGEND_ROW = 20.0
# Time axis tick spacings, seconds: the first giving at most ~6 ticks is used.
_TIME_STEPS_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


@dataclass(frozen=True)
class Line:
    """A series over time: (unix seconds, value) samples; non-finite values break the line."""

    label: str
    css: str
    samples: Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Rule:
    """A horizontal line at a value: a threshold, a factor, a limit."""

    value: float
    label: str
    css: str


@dataclass(frozen=True)
class Mark:
    """One point drawn on its own: the evaluated value at the evaluation time."""

    x: float
    y: float
    label: str
    css: str = "evaluated"


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _said(label: str, facts: Sequence[str]) -> str:
    """The picture's name for a screen reader: its title, then the figures it draws (a reader hears no picture)."""
    return f"{label}: {'; '.join(facts)}" if facts else label


def _last(line: Line) -> str:
    """A line as said: its last value, or how it ends when that is no finite value (+Inf, -Inf, NaN are not drawn: the
    line stops at its last finite value, which a reader would take for its end), and the gaps and infinite steps
    before."""
    values = [v for _, v in line.samples]
    last = next((v for v in reversed(values) if math.isfinite(v)), None)
    before = "no finite value" if last is None else f"its last finite value {format_number(last)}"
    if not values or (last is None and all(math.isnan(v) for v in values)):
        said = "no data"
    elif math.isfinite(values[-1]):
        said = f"last {format_number(values[-1])}"
    elif math.isnan(values[-1]):
        said = f"ends in a gap, NaN ({before})"
    else:
        said = f"ends at {'+Inf' if values[-1] > 0 else '-Inf'} ({before})"
    # What breaks the line before its end (the run of steps like its last, said above): a run of NaN steps is one gap;
    # an infinite step is named by its sign.
    end = len(values)
    if values and not math.isfinite(values[-1]):
        while end and _alike(values[end - 1], values[-1]):
            end -= 1
    body = values[:end]
    gaps = sum(1 for i, v in enumerate(body) if math.isnan(v) and (i == 0 or not math.isnan(body[i - 1])))
    infinite = {sign: sum(1 for v in body if v == sign * math.inf) for sign in (1, -1)}
    breaks = [f"{gaps} gap{'s' if gaps > 1 else ''} (NaN)"] if gaps else []
    breaks += [
        f"{count} step{'s' if count > 1 else ''} at {'+Inf' if sign > 0 else '-Inf'}"
        for sign, count in infinite.items()
        if count
    ]
    return f"{line.label} {said}{', ' + ', '.join(breaks) + ' before' if breaks else ''}"


def _alike(value: float, other: float) -> bool:
    """Both NaN, or the same number (an infinity of the same sign)."""
    return value == other or (math.isnan(value) and math.isnan(other))


def _scale_attrs(x: Scale | None, y: Scale) -> dict[str, object]:
    """The plot's scale, exact (repr), for readers and tests."""
    attrs: dict[str, object] = {
        "data_y_low": repr(y.low),
        "data_y_high": repr(y.high),
        "data_plot_bottom": repr(y.start),
        "data_plot_top": repr(y.end),
    }
    if x is not None:
        attrs.update(
            data_x_low=repr(x.low), data_x_high=repr(x.high), data_plot_left=repr(x.start), data_plot_right=repr(x.end)
        )
    return attrs


def _y_axis(svg: Svg, y: Scale, title: str, *, right: float = _RIGHT) -> None:
    for tick, text in labelled_ticks(y.low, y.high):
        svg.line(_LEFT, y(tick), right, y(tick), class_="grid")
        svg.text(_LEFT - 6, y(tick) + 4, text, class_="tick", text_anchor="end")
    svg.line(_LEFT, y.start, _LEFT, y.end, class_="axis")
    svg.text(
        14,
        _TOP + _PLOT_HEIGHT / 2,
        title,
        class_="axis-title",
        text_anchor="middle",
        transform=f"rotate(-90 14 {_TOP + _PLOT_HEIGHT / 2:.0f})",
    )


def _legend(svg: Svg, top: float, entries: Sequence[tuple[str, str, str]]) -> None:
    """Rows of (swatch kind, css class, label): every colour has its words next to it."""
    for index, (kind, css, label) in enumerate(entries):
        row = top + index * _LEGEND_ROW
        if kind == "mark":
            svg.add("circle", cx=_LEFT + 10, cy=row - 4, r=5.0, class_=f"mark {css}")
        else:
            svg.line(_LEFT, row - 4, _LEFT + 22, row - 4, class_=f"{kind} {css}")
        svg.text(_LEFT + 30, row, label, class_="legend")


def time_series(
    lines: Sequence[Line],
    rules: Sequence[Rule],
    marks: Sequence[Mark],
    *,
    label: str,
    y_title: str,
    window: tuple[float, float] | None = None,
) -> Markup:
    """Values over time with threshold rules and marked points; `window` fixes the time axis (unix seconds)."""
    entries = (
        [("series", line.css, line.label) for line in lines]
        + [("rule", r.css, r.label) for r in rules]
        + [("mark", m.css, m.label) for m in marks]
    )
    height = int(_TOP + _PLOT_HEIGHT + 50 + _LEGEND_ROW * len(entries))
    times = [t for line in lines for t, _ in line.samples] + [m.x for m in marks]
    if window is not None:
        x_low, x_high = window
    elif times:
        x_low, x_high = min(times), max(times)
    else:
        x_low, x_high = 0.0, 1.0
    if x_high <= x_low:
        x_low, x_high = x_low - 60, x_high + 60
    values = [v for line in lines for _, v in line.samples] + [r.value for r in rules] + [m.y for m in marks]
    y_low, y_high = domain(values)
    x = Scale(x_low, x_high, _LEFT, _RIGHT)
    y = Scale(y_low, y_high, _TOP + _PLOT_HEIGHT, _TOP)
    facts = [*(m.label for m in marks), *(r.label for r in rules), *(_last(line) for line in lines)]
    svg = Svg(WIDTH, height, _said(label, facts), **_scale_attrs(x, y))
    _y_axis(svg, y, y_title)
    step = next((s for s in _TIME_STEPS_S if (x_high - x_low) / s <= 6), _TIME_STEPS_S[-1])
    tick = math.ceil(x_low / step) * step
    while tick <= x_high:
        svg.line(x(tick), y.start, x(tick), y.start + 4, class_="axis")
        svg.text(x(tick), y.start + 18, time_label(tick, x_high - x_low), class_="tick", text_anchor="middle")
        tick += step
    svg.line(_LEFT, y.start, _RIGHT, y.start, class_="axis")
    svg.text(_RIGHT, y.start + 32, "time (UTC)", class_="axis-title", text_anchor="end")
    for line in lines:
        runs: list[list[tuple[float, float]]] = [[]]
        for t, v in line.samples:
            if math.isfinite(v):
                runs[-1].append((x(t), y(v)))
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) > 1:
                svg.polyline(run, class_=f"series {line.css}", data_label=line.label)
            elif run:
                svg.add("circle", cx=run[0][0], cy=run[0][1], r=2.0, class_=f"series-dot {line.css}")
    for rule in rules:
        svg.line(_LEFT, y(rule.value), _RIGHT, y(rule.value), class_=f"rule {rule.css}", data_value=repr(rule.value))
        svg.text(_RIGHT - 4, y(rule.value) - 4, rule.label, class_="rule-label", text_anchor="end")
    for mark in marks:
        svg.add("circle", cx=x(mark.x), cy=y(mark.y), r=5.0, class_=f"mark {mark.css}", data_value=repr(mark.y))
    _legend(svg, _TOP + _PLOT_HEIGHT + 58, entries)
    return svg.render()


@dataclass(frozen=True)
class Bar:
    """One bar; None draws "no data" in its place."""

    label: str
    value: float | None
    css: str


@dataclass(frozen=True)
class BarGroup:
    """Bars side by side under one label, with a rule across them (e.g. a tier's two windows and its factor)."""

    label: str
    status: str
    css: str
    bars: Sequence[Bar]
    rule: Rule | None = None


# Font sizes, px, of the texts a bar plot places (ui.css: svg text, .rule-label).
_LABEL_PX, _RULE_LABEL_PX = 12.0, 11.0
# The least room, px, kept between the picture's edge and a label.
_EDGE = 2.0
# A group's room, px, left and right of its bars; a bar's gap to the next; the least width of a bar's column (a label
# turned upright, 1.25 em wide, fits over the bar).
_GROUP_PAD, _BAR_GAP, _MIN_COLUMN = 12.0, 4.0, 28.0
# Written 4 px from the line or bar it names.
_BESIDE = 4.0
# The widest a picture is drawn, px: a 320 px phone's page less its margins (2 x 0.6rem) and the picture's border (2 x
# 1 px). A picture 2 px wider scrolled the page sideways there.
_PHONE_PICTURE_PX = 298
# The room, px, a rule's line leaves on each side of a label it would cross.
_LINE_GAP = 2.0


def bar_groups(groups: Sequence[BarGroup], *, label: str, y_title: str) -> Markup:
    """Grouped bars from 0 with a rule per group, as small multiples: a picture per group, each on the same value
    scale, named with its status in words above it. Each picture is drawn at its own size, never scaled, so that its
    text keeps the stylesheet's sizes on any screen; the pictures wrap onto rows as the screen's width allows. Each
    label is written next to what it names and over no bar: a bar's value just above its bar (turned upright when it
    does not fit its bar's width), a rule's label level with the rule's end, right of the bars."""
    values = [b.value for g in groups for b in g.bars if b.value is not None] + [
        g.rule.value for g in groups if g.rule is not None
    ]
    y_low, y_high = domain(values, include_zero=True)
    y = Scale(0.0 if y_low >= 0 else y_low, y_high, _TOP + _PLOT_HEIGHT, _TOP)
    drawn = [_bar_group(g, y, label=f"{label}: {g.label}", y_title=y_title) for g in groups]
    # One view for all, as high as the highest label's and as low as the lowest's: each picture's own (from its labels
    # rising over a tall bar) drew its zero and its factor lower than the same values in the picture beside it.
    top, bottom = min((svg.top for svg in drawn), default=0), max((svg.height for svg in drawn), default=0)
    for svg in drawn:
        svg.top, svg.height = top, bottom
    pictures = "".join(
        f'<figure class="multiple" data-label="{escape(shown(g.label))}"><figcaption>'
        f'<span class="multiple-name">{escape(shown(g.label))}</span> '
        f'<span class="status {escape(g.css)}">{escape(shown(g.status))}</span></figcaption>'
        f"{svg.render(sized=True)}</figure>"
        for g, svg in zip(groups, drawn, strict=True)
    )
    # S704 (Markup of an f-string): every interpolated part was escaped above, or is the builder's escaped markup.
    return Markup(f'<div class="multiples">{pictures}</div>')  # noqa: S704


def _bar_group(group: BarGroup, y: Scale, *, label: str, y_title: str) -> Svg:
    """One group's picture, at its own width, on the value scale `y`; its view holds its labels."""
    # The rule's label takes a strip right of the bars: written over the bars' span, it lay over a bar that burns
    # above its factor (every tier that fired), or was moved rows above its line, off the bars' labels.
    strip = 0.0 if group.rule is None else text_width(group.rule.label, _RULE_LABEL_PX) + 2 * _BESIDE
    count = max(len(group.bars), 1)
    rule = None if group.rule is None else group.rule.value
    texts = [
        f"{bar.label}: {format_value(bar.value, rule)}"
        if bar.value is not None and math.isfinite(bar.value)
        else f"{bar.label}: no data"
        for bar in group.bars
    ]
    # A column as wide as its widest level label, when that is narrow: else upright labels over narrow bars (beside
    # each other, labels wider than their bars were written over the next bar).
    widest = max((text_width(text, _LABEL_PX) + _BAR_GAP for text in texts), default=0.0)
    left = _LEFT
    level_right = left + 2 * _GROUP_PAD + strip + max(widest, _MIN_COLUMN) * count
    # Upright when a level label is wider than two narrow columns, or when columns as wide as the labels would make
    # the picture wider than a phone.
    upright = widest > 2 * _MIN_COLUMN or math.ceil(level_right + _EDGE) > _PHONE_PICTURE_PX
    column = _MIN_COLUMN if upright else max(widest, _MIN_COLUMN)
    right = left + 2 * _GROUP_PAD + strip + column * count
    picture_width = math.ceil(right + _EDGE)
    level = None if group.rule is None else y(group.rule.value)
    boxes: list[Box] = []
    bar_labels: list[tuple[float, float]] = []
    for position, bar in enumerate(group.bars):
        middle = left + _GROUP_PAD + (position + 0.5) * column
        top = y.clamped(max(bar.value, 0.0)) if bar.value is not None and math.isfinite(bar.value) else y(0.0)
        # Upright, it reads from its bar's top upwards, its middle over the bar's middle.
        at = (middle + baseline_offset(_LABEL_PX) if upright else middle, top - _BESIDE)
        anchor = "start" if upright else "middle"
        box = label_box(*at, texts[position], _LABEL_PX, anchor=anchor, upright=upright)
        if not upright and level is not None and _crosses(box, level):
            # A level label the rule would cross sits just above the rule instead: the rule runs just over its bar
            # (broken around the label, the line of a factor level with the bars' tops was all but gone).
            at = (at[0], at[1] - (box.bottom - level + _LINE_GAP))
            box = label_box(*at, texts[position], _LABEL_PX, anchor=anchor, upright=upright)
        boxes.append(box)
        bar_labels.append(at)
    rule_label = None
    if group.rule is not None:
        # Level with its line: the text's middle on it.
        rule_label = (right - _GROUP_PAD - strip + _BESIDE, y(group.rule.value) + baseline_offset(_RULE_LABEL_PX))
        boxes.append(label_box(*rule_label, group.rule.label, _RULE_LABEL_PX, anchor="start"))
    lowest = max((box.bottom for box in boxes), default=0.0)
    svg = Svg(
        picture_width,
        max(int(_TOP + _PLOT_HEIGHT + 12), math.ceil(lowest + _EDGE)),
        _said(label, [group.status, *texts, *([] if group.rule is None else [group.rule.label])]),
        **_scale_attrs(None, y),
    )
    svg.top = min(0, math.floor(min((box.top for box in boxes), default=0.0) - _EDGE))
    _y_axis(svg, y, y_title, right=right)
    svg.line(_LEFT, y(0.0), right, y(0.0), class_="axis")
    svg.open("g", class_=f"group {group.css}", data_label=group.label)
    for position, bar in enumerate(group.bars):
        if bar.value is not None and math.isfinite(bar.value):
            top = y.clamped(max(bar.value, 0.0))
            svg.rect(
                left + _GROUP_PAD + position * column + _BAR_GAP / 2,
                top,
                column - _BAR_GAP,
                y(0.0) - top,
                class_=f"bar {bar.css}",
                data_value=repr(bar.value),
            )
    for (x, baseline), text in zip(bar_labels, texts, strict=True):
        if upright:
            turn = f"rotate(-90 {x:.2f} {baseline:.2f})"
            svg.text(x, baseline, text, class_="bar-label", text_anchor="start", transform=turn)
        else:
            svg.text(x, baseline, text, class_="bar-label", text_anchor="middle")
    if group.rule is not None and rule_label is not None and level is not None:
        # Broken where it would cross an upright label ("5m: no data" rising from zero past a low factor): drawn
        # through it, the label could not be read.
        crossed = [box for box in boxes[: len(group.bars)] if _crosses(box, level)]
        for start, end in _segments(left + _GROUP_PAD / 2, rule_label[0] - _BESIDE / 2, crossed):
            svg.line(start, level, end, level, class_=f"rule {group.rule.css}", data_value=repr(group.rule.value))
        svg.text(*rule_label, group.rule.label, class_="rule-label", text_anchor="start")
    svg.close("g")
    return svg


def _crosses(box: Box, level: float) -> bool:
    """Whether a horizontal line at `level` would pass through `box` or within _LINE_GAP of it."""
    return box.top - _LINE_GAP < level < box.bottom + _LINE_GAP


def _segments(start: float, end: float, crossed: Sequence[Box]) -> list[tuple[float, float]]:
    """The parts of the span from `start` to `end` outside every box of `crossed` (with _LINE_GAP around each)."""
    parts = []
    for box in sorted(crossed, key=lambda box: box.left):
        stop = min(box.left - _LINE_GAP, end)
        if stop > start:
            parts.append((start, stop))
        start = max(start, box.right + _LINE_GAP)
    if end > start:
        parts.append((start, end))
    return parts


@dataclass(frozen=True)
class Interval:
    """An estimate with an optional interval, against vertical rules (0, tolerances)."""

    estimate: float
    low: float | None
    high: float | None
    rules: Sequence[Rule] = field(default_factory=tuple)


def interval(data: Interval, *, label: str, x_title: str) -> Markup:
    """A horizontal number line: the estimate, its interval, 0 and the tolerance rules."""
    values = [data.estimate, 0.0, *(r.value for r in data.rules)]
    values += [v for v in (data.low, data.high) if v is not None and math.isfinite(v)]
    x_low, x_high = domain(values, padding=0.15)
    x = Scale(x_low, x_high, _LEFT, _RIGHT)
    middle = 70.0
    # Beside the rules: a difference of -0.1000001 read "estimate -0.1" beside "-tolerance -0.1".
    rules = [r.value for r in data.rules]
    entries = [("mark", "estimate", f"estimate {format_value(data.estimate, rules)}")]
    if _finite(data.low) and _finite(data.high):
        low, high = format_value(data.low or 0.0, rules), format_value(data.high or 0.0, rules)
        entries.append(("interval", "interval", f"interval [{low}, {high}]"))
    entries += [("rule", r.css, r.label) for r in data.rules]
    height = int(middle + 74 + _LEGEND_ROW * len(entries))
    svg = Svg(
        WIDTH,
        height,
        _said(label, [text for _, _, text in entries]),
        data_x_low=repr(x.low),
        data_x_high=repr(x.high),
        data_plot_left=repr(x.start),
        data_plot_right=repr(x.end),
    )
    svg.line(_LEFT, middle + 30, _RIGHT, middle + 30, class_="axis")
    for tick, text in labelled_ticks(x_low, x_high, 6):
        svg.line(x(tick), middle + 30, x(tick), middle + 34, class_="axis")
        svg.text(x(tick), middle + 48, text, class_="tick", text_anchor="middle")
    for rule in data.rules:
        svg.line(
            x(rule.value),
            middle - 40,
            x(rule.value),
            middle + 30,
            class_=f"rule {rule.css}",
            data_value=repr(rule.value),
        )
        svg.text(x(rule.value), middle - 44, rule.label, class_="rule-label", text_anchor="middle")
    if _finite(data.low) and _finite(data.high):
        assert data.low is not None and data.high is not None
        svg.line(x(data.low), middle, x(data.high), middle, class_="interval")
        for end in (data.low, data.high):
            svg.line(x(end), middle - 8, x(end), middle + 8, class_="interval")
    svg.add("circle", cx=x(data.estimate), cy=middle, r=6.0, class_="mark estimate", data_value=repr(data.estimate))
    svg.text(_RIGHT, middle + 62, x_title, class_="axis-title", text_anchor="end")
    _legend(svg, middle + 82, entries)
    return svg.render()


@dataclass(frozen=True)
class Step:
    """One HTTP step as the timeline draws it."""

    name: str
    outcome: str
    latency_ms: float | None
    detail: str


def timeline(steps: Sequence[Step], *, label: str) -> Markup:
    """Steps one after another (each starts when the previous ended), as bars labelled with their outcome."""
    total = sum(s.latency_ms for s in steps if s.latency_ms is not None and math.isfinite(s.latency_ms)) or 1.0
    row = 34.0
    height = int(_TOP + row * len(steps) + 50)
    x = Scale(0.0, total, 200.0, _RIGHT)
    said = [" ".join(filter(None, [step.name, step.outcome.replace("_", " "), step.detail])) for step in steps]
    svg = Svg(
        WIDTH,
        height,
        _said(label, said),
        data_x_low="0.0",
        data_x_high=repr(total),
        data_plot_left=repr(x.start),
        data_plot_right=repr(x.end),
    )
    start = 0.0
    for index, step in enumerate(steps):
        top = _TOP + index * row
        svg.text(8, top + 14, step.name, class_="step-name")
        # Read as words ("not run"); the class keeps the outcome's code, which the stylesheet colours by.
        svg.text(8, top + 28, f"{step.outcome.replace('_', ' ')} {step.detail}", class_=f"status {step.outcome}")
        if step.latency_ms is not None and math.isfinite(step.latency_ms):
            svg.rect(
                x(start),
                top + 4,
                max(x(start + step.latency_ms) - x(start), 2.0),
                row - 12,
                class_=f"bar {step.outcome}",
                data_value=repr(step.latency_ms),
            )
            start += step.latency_ms
    bottom = _TOP + row * len(steps)
    svg.line(x.start, bottom, x.end, bottom, class_="axis")
    for tick, text in labelled_ticks(0.0, total, 5):
        svg.text(x(tick), bottom + 16, text, class_="tick", text_anchor="middle")
    svg.text(_RIGHT, bottom + 34, "elapsed ms (steps run one after another)", class_="axis-title", text_anchor="end")
    return svg.render()


@dataclass(frozen=True)
class LatencyRow:
    """A step's latency: one response, or p50/p95/p99 of repeated ones, and its limits."""

    name: str
    points: Sequence[tuple[str, float]]
    limits: Sequence[tuple[str, float]]


def latencies(rows: Sequence[LatencyRow], *, label: str) -> Markup:
    """Latency per step on one ms axis: the measured points, and the limits drawn as rules in each row."""
    values = [v for r in rows for _, v in r.points] + [v for r in rows for _, v in r.limits]
    x_high = domain(values, include_zero=True)[1]
    x = Scale(0.0, x_high, 200.0, _RIGHT)
    row = 44.0
    kinds = list(dict.fromkeys(name for entry in rows for name, _ in entry.points))
    height = int(_TOP + row * len(rows) + 62 + _LEGEND_ROW * len(kinds))
    said = [
        ", ".join(
            [
                f"{entry.name}: "
                + ", ".join(f"{name} {format_value(value, _limits(entry))} ms" for name, value in entry.points),
                *(f"limit {name} {format_number(value)} ms" for name, value in entry.limits),
            ]
        )
        for entry in rows
    ]
    svg = Svg(
        WIDTH,
        height,
        _said(label, said),
        data_x_low=repr(x.low),
        data_x_high=repr(x.high),
        data_plot_left=repr(x.start),
        data_plot_right=repr(x.end),
    )
    for index, entry in enumerate(rows):
        middle = _TOP + index * row + row / 2
        svg.text(8, middle - 4, entry.name, class_="step-name")
        svg.text(
            8,
            middle + 12,
            ", ".join(f"{name} {format_value(value, _limits(entry))}" for name, value in entry.points) + " ms",
            class_="legend",
        )
        svg.line(x.start, middle, x.end, middle, class_="grid")
        for name, value in entry.limits:
            svg.line(x(value), middle - 14, x(value), middle + 14, class_=f"rule limit {name}", data_value=repr(value))
            svg.text(
                x(value), middle - 16, f"{name} {format_number(value)} ms", class_="rule-label", text_anchor="middle"
            )
        for name, value in entry.points:
            svg.add("circle", cx=x(value), cy=middle, r=5.0, class_=f"mark {name}", data_value=repr(value))
    bottom = _TOP + row * len(rows)
    svg.line(x.start, bottom, x.end, bottom, class_="axis")
    for tick, text in labelled_ticks(0.0, x_high, 5):
        svg.text(x(tick), bottom + 16, text, class_="tick", text_anchor="middle")
    svg.text(_RIGHT, bottom + 34, "latency ms", class_="axis-title", text_anchor="end")
    _legend(svg, bottom + 54, [("mark", name, name) for name in kinds])
    return svg.render()


def _limits(entry: LatencyRow) -> list[float]:
    """The limits a row's points are written beside (a p95 of 2000.0000001 ms read "2000" beside "max_p95 2000")."""
    return [value for _, value in entry.limits]


def percent_label(share: float, gate: float | None = None) -> str:
    """A share as a percent to 4 decimals, as the error_budget kind's reasons write it: a meter and its rule must not
    both read "99.99%" when the reason tells 99.994% from 99.995%; beside a `gate` (written by this function alone),
    with as many more digits as it takes to read on its side of the gate's text (a remaining 0.1000001 read "10%"
    beside "min_budget_remaining 10%")."""
    text = format_number(round(share * 100, 4))
    if gate is None or share != share:
        return f"{text}%"
    gate_shown = float(format_number(round(gate * 100, 4)))
    if (float(text) < gate_shown, float(text) > gate_shown) != (share < gate, share > gate):
        text = format_value(share * 100, [gate_shown, gate * 100])
    return f"{text}%"


def meter(value: float, *, label: str, css: str, rule: Rule | None = None, legend: str | None = None) -> Markup:
    """A share from 0 to 1 (it may be negative: overspent) as a bar filled in `css` (`pass`, `fail`: the caller
    knows what the share is judged against), with an optional rule; `legend` is written above it (default: `label`
    and the share)."""
    low = min(value, 0.0, rule.value if rule is not None else 0.0)
    x = Scale(low, 1.0, _LEFT, _RIGHT)
    written = legend or f"{label}: {percent_label(value)}"
    svg = Svg(
        WIDTH,
        76,
        _said(label, [written, *([] if rule is None else [rule.label])]),
        data_x_low=repr(x.low),
        data_x_high=repr(x.high),
        data_plot_left=repr(x.start),
        data_plot_right=repr(x.end),
    )
    svg.rect(x.start, 20, x.end - x.start, 22, class_="meter-track")
    left, right = sorted((x(0.0), x(value)))
    svg.rect(left, 20, right - left, 22, class_=f"bar {css}", data_value=repr(value))
    svg.text(_LEFT, 14, written, class_="legend")
    if rule is not None:
        svg.line(x(rule.value), 14, x(rule.value), 48, class_=f"rule {rule.css}", data_value=repr(rule.value))
        svg.text(x(rule.value), 62, rule.label, class_="rule-label", text_anchor="middle")
    row = 62 if rule is None else 74
    if low < 0 and x(0.0) - x.start >= _METER_TICK_GAP:
        # Overspent: the bar runs from the scale's start, which says how far below zero that is (just overspent, "0%"
        # is beside it and says enough).
        svg.text(x.start, row, f"{low * 100:.4g}%", class_="tick", text_anchor="start")
    svg.text(x(0.0), row, "0%", class_="tick", text_anchor="middle")
    # Far overspent, zero (or a rule near full) sits at the right end: "100%" written there would overlap the label
    # that says more.
    near = [x(0.0)] + ([x(rule.value)] if rule is not None else [])
    if all(x.end - at >= _METER_TICK_GAP for at in near):
        svg.text(x.end, 62, "100%", class_="tick", text_anchor="end")
    return svg.render()


@dataclass(frozen=True)
class Share:
    """One composite member's part of the scorecard."""

    label: str
    weight: float
    css: str
    href: str


def shares(parts: Sequence[Share], *, label: str) -> Markup:
    """Members side by side, each as wide as its weight, coloured and labelled by its verdict, linking to it."""
    total = sum(p.weight for p in parts if p.weight > 0) or 1.0
    row = 24.0
    height = int(56 + row * len(parts))
    svg = Svg(WIDTH, height, _said(label, [part.label for part in parts]))
    x = Scale(0.0, total, _LEFT, _RIGHT)
    start = 0.0
    for index, part in enumerate(parts):
        weight = max(part.weight, 0.0)
        svg.open("a", href=part.href)
        svg.rect(
            x(start),
            8,
            max(x(start + weight) - x(start), 1.0),
            24,
            class_=f"bar share {part.css}",
            data_value=repr(part.weight),
        )
        svg.text((x(start) + x(start + weight)) / 2, 25, str(index + 1), class_="share-number", text_anchor="middle")
        svg.text(_LEFT, 52 + index * row, f"{index + 1}  {part.label}", class_=f"legend status {part.css}")
        svg.close("a")
        start += weight
    return svg.render()
