"""A small SVG builder: elements as escaped markup, linear scales and tick marks. No script, no inline style:
colours come from classes in the UI's stylesheet, so the Content-Security-Policy can forbid both."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

from analyzer.models import shown

_ATTRIBUTE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")


def _attribute_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if math.isfinite(value) else "0"
    return escape(shown(str(value)), quote=True)


def attributes(attrs: dict[str, object]) -> str:
    """` name="value"` pairs, escaped; names come from our code (`data_y` is written `data-y`), None is left out."""
    parts = []
    for name, value in attrs.items():
        name = name.rstrip("_").replace("_", "-")
        if not _ATTRIBUTE_NAME_RE.fullmatch(name):
            raise ValueError(f"invalid SVG attribute name {name!r}")
        if value is not None:
            parts.append(f' {name}="{_attribute_value(value)}"')
    return "".join(parts)


class Svg:
    """One SVG picture built element by element; every text and attribute value is escaped (its control and bidi
    characters shown as escapes)."""

    def __init__(self, width: int, height: int, label: str, **attrs: object) -> None:
        self.width = width
        self.height = height
        # The viewBox's top: above 0 when labels moved off each other rise above the picture's first row.
        self.top = 0
        self._root = {"role": "img", "aria_label": label, "class_": "plot", **attrs}
        self._parts: list[str] = [f"<title>{escape(shown(label))}</title>"]

    def add(self, tag: str, content: object = None, **attrs: object) -> None:
        """Append `<tag attrs>content</tag>` (or a self-closed tag without content)."""
        text = None if content is None else str(content)
        if text is None:
            self._parts.append(f"<{tag}{attributes(attrs)}/>")
        else:
            self._parts.append(f"<{tag}{attributes(attrs)}>{escape(shown(text))}</{tag}>")

    def open(self, tag: str, **attrs: object) -> None:
        """Open a container (`g`, `a`); close it with `close`."""
        self._parts.append(f"<{tag}{attributes(attrs)}>")

    def close(self, tag: str) -> None:
        """Close the container opened last."""
        self._parts.append(f"</{tag}>")

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: object) -> None:
        """A straight line."""
        self.add("line", x1=x1, y1=y1, x2=x2, y2=y2, **attrs)

    def text(self, x: float, y: float, text: str, **attrs: object) -> None:
        """A text label."""
        self.add("text", text, x=x, y=y, **attrs)

    def rect(self, x: float, y: float, width: float, height: float, **attrs: object) -> None:
        """A rectangle (negative sizes are drawn as zero)."""
        self.add("rect", x=x, y=y, width=max(width, 0.0), height=max(height, 0.0), **attrs)

    def polyline(self, points: Sequence[tuple[float, float]], **attrs: object) -> None:
        """A line through the points."""
        self.add("polyline", points=" ".join(f"{x:.2f},{y:.2f}" for x, y in points), **attrs)

    def render(self, *, sized: bool = False) -> Markup:
        """The picture as markup, safe to put into a template unescaped (everything in it was escaped); `sized` writes
        its size in px, at which the stylesheet draws it (else it is as wide as its box)."""
        body = "".join(self._parts)
        # S704 (Markup of an f-string): every interpolated part was escaped when it was added.
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {self.top} {self.width} {self.height - self.top}"'
        if sized:
            svg += f' width="{self.width}" height="{self.height - self.top}"'
        return Markup(f"{svg}{attributes(self._root)}>{body}</svg>")  # noqa: S704


# A label's width per character, in ems, generous: an estimated box is never narrower than the text a browser draws
# (DejaVu Sans, the widest usual system-ui font, draws a digit 0.64 em wide, "m" 0.97 em, "f" and ":" 0.35 em).
_NARROW_CHARS = frozenset(" .,:;!|'()[]fijlrt")
_WIDE_CHARS = frozenset("mwMW@%")
# A bold label is wider by up to this share (DejaVu Sans Bold's digits: 0.70 em).
_BOLD_WIDENS = 1.12
# A label's box above and below its baseline, in ems (DejaVu Sans: ascent 0.93, descent 0.24).
_ASCENT_EM, _DESCENT_EM = 0.95, 0.3


def text_width(text: str, font_px: float, *, bold: bool = False) -> float:
    """The most width, px, that `text` takes drawn at `font_px` (the server cannot measure it: the browser's font
    draws it)."""
    ems = sum(0.42 if c in _NARROW_CHARS else 1.0 if c in _WIDE_CHARS else 0.8 if c.isupper() else 0.66 for c in text)
    return ems * font_px * (_BOLD_WIDENS if bold else 1.0)


@dataclass(frozen=True)
class Box:
    """A label's estimated extent, px."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share any area (boxes that touch do not)."""
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )


def label_box(x: float, y: float, text: str, font_px: float, *, anchor: str, upright: bool = False) -> Box:
    """The estimated box of `text` written at (x, y) with `text-anchor` `anchor`; `upright`: turned to read bottom to
    top (rotate(-90) about (x, y)), its baseline at x, from y upwards (anchor "start", the only one upright labels
    take)."""
    width = text_width(text, font_px)
    if upright:
        return Box(x - _ASCENT_EM * font_px, y - width, x + _DESCENT_EM * font_px, y)
    left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    return Box(left, y - _ASCENT_EM * font_px, left + width, y + _DESCENT_EM * font_px)


def baseline_offset(font_px: float) -> float:
    """How far, px, a text's baseline is below (upright: right of) the middle of its estimated box: written there, the
    text's middle is level with a line."""
    return (_ASCENT_EM - _DESCENT_EM) * font_px / 2


class LabelPlacer:
    """Label positions within one picture, each moved off the labels placed before it: up (or down) by its own height
    until its estimated box overlaps none, and sideways into [left, right] when it would stick out there."""

    def __init__(self, left: float, right: float) -> None:
        self._left = left
        self._right = right
        self.boxes: list[Box] = []

    def keep(self, box: Box) -> None:
        """Hold `box` as taken: a label written there by the caller, which the labels placed after it move off."""
        self.boxes.append(box)

    def place(
        self, x: float, y: float, text: str, *, anchor: str, font_px: float, bold: bool = False, down: bool = False
    ) -> tuple[float, float]:
        """Where to write `text` (its anchor point, as `text-anchor` reads it: "start", "middle" or "end") wanted at
        (x, y): there if that is free, else the nearest free row above (below when `down`)."""
        if not 0 < font_px < math.inf:
            raise ValueError(f"font_px must be a positive number of pixels, not {font_px!r}")
        width = text_width(text, font_px, bold=bold)
        offset = {"start": 0.0, "middle": width / 2, "end": width}[anchor]
        start = min(max(x - offset, self._left), self._right - width)
        row = (_ASCENT_EM + _DESCENT_EM) * font_px
        # Only the boxes beside it in x can be in its way, wherever it moves up or down: with hundreds of tiers,
        # testing every box at every row took seconds of the event loop for one page.
        beside = [other for other in self.boxes if start < other.right and other.left < start + width]
        # A box of height h is in the way of at most ceil(h / row) + 1 rows of this label, so one of these rows is
        # free. The cap holds where that arithmetic does not (a row too small to move a label at y = 1e18 away from
        # its spot): the label is then written where it was wanted, over another, and the page still answers.
        heights = (other.bottom - other.top for other in beside)
        # A box of no finite height (NaN: it overlaps nothing) counts one row.
        rows = 1 + sum(math.ceil(h / row) + 1 if math.isfinite(h) else 1 for h in heights)
        wanted = y
        for _ in range(rows):
            box = Box(start, y - _ASCENT_EM * font_px, start + width, y + _DESCENT_EM * font_px)
            if not any(box.overlaps(other) for other in beside):
                self.boxes.append(box)
                return start + offset, y
            y += row if down else -row
        self.boxes.append(Box(start, wanted - _ASCENT_EM * font_px, start + width, wanted + _DESCENT_EM * font_px))
        return start + offset, wanted


@dataclass(frozen=True)
class Scale:
    """A linear map from a domain (data) to a range (pixels); the range may run downwards (y axes)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        """The pixel position of `value` (values outside the domain land outside the range)."""
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)

    def clamped(self, value: float) -> float:
        """The pixel position of `value` held inside the range (a bar that would leave the plot)."""
        low, high = sorted((self.start, self.end))
        return min(max(self(value), low), high)


def domain(values: Iterable[float], *, padding: float = 0.08, include_zero: bool = False) -> tuple[float, float]:
    """A domain holding every finite value with some room around it; a single value gets room of its own."""
    finite = [v for v in values if math.isfinite(v)]
    if include_zero:
        finite.append(0.0)
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    if high == low:
        room = abs(high) * 0.1 or 1.0
        return low - room, high + room
    room = (high - low) * padding
    low = low - room if not (include_zero and low == 0) else low
    return low, high + room


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round numbers inside [low, high], about `count` of them."""
    raw = (high - low) / count
    # A span of subnormals divides to 0 (log10 of it raised, and the page was a 500); one past the float range to inf.
    if not (math.isfinite(low) and math.isfinite(high)) or not 0 < raw < math.inf:
        return []
    magnitude = 10 ** math.floor(math.log10(raw))
    # Below 1e-323 the power of ten is 0 (10 ** -324), and no multiple of it reaches the step: no ticks either.
    step = next((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), None)
    if step is None:
        return []
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1) if first + i * step <= high]


def labelled_ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """`ticks(low, high, count)`, each with its label: to 4 significant digits, or as many more as it takes to name
    each tick's value to a hundredth of the step between ticks (an availability between 0.99991 and 0.99995 had
    every tick read "0.9999")."""
    found = ticks(low, high, count)
    close_enough = (found[1] - found[0]) / 100 if len(found) > 1 else math.inf
    for digits in range(4, 18):
        labels = [number_label(tick, digits) for tick in found]
        if all(abs(float(label) - tick) <= close_enough for label, tick in zip(labels, found, strict=True)):
            break
    return list(zip(found, labels, strict=True))


def number_label(value: float, digits: int = 4) -> str:
    """A tick's label: up to `digits` significant digits (at least 6 below 0.001, as reasons write them)."""
    if value == 0:
        return "0"
    return format(value, f".{digits}g") if abs(value) >= 1e-3 else format(value, f".{max(digits, 6)}g")


def time_label(unix_s: float, span_s: float) -> str:
    """A time axis' tick in UTC: HH:MM on an axis of a day at most, else MM-DD HH:MM (a week's ticks, two days
    apart, all read "00:00")."""
    return datetime.fromtimestamp(unix_s, UTC).strftime("%H:%M" if span_s <= 86400 else "%m-%d %H:%M")
