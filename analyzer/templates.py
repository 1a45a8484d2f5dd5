"""`{{ name }}` templates. A placeholder's position decides which param types may fill it and how
values are escaped; PromQL templates are checked when the catalog loads, never at request time."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from analyzer.params import FREE_TEXT_TYPES, ArgValue, Param, ParamType, render_value
from analyzer.quoting import quote

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_STRAY_BRACES_RE = re.compile(r"\{\{|\}\}")
# What Argo Rollouts' templates write (`{{args.canary-hash}}`, in a query pasted from its prometheus provider), and a
# param named as Argo names its args (`{{ canary-hash }}`; not `{{ h-1 }}`, arithmetic a template does not do).
_ARGO_LIKE_RE = re.compile(r"\{\{\s*(args\.)?([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_ENUM_BARE_RE = re.compile(r"^[A-Za-z0-9_:.+-]+$")
# Renders kept by `render_encoded`, over every template of the process: a rollout asks its checks with the same args
# at every analysis step, and a platform's hundreds of rollouts in progress each with their own (docs/performance.md).
RENDERS_KEPT = 1024


@dataclass(frozen=True)
class Placeholder:
    """A `{{ name }}` in a template, with the param it names."""

    name: str


def placed_names(text: str) -> set[str]:
    """The names of the `{{ name }}` placeholders in `text`."""
    return set(_PLACEHOLDER_RE.findall(text))


def _declare_hint(name: str, known: list[str]) -> str:
    """What to do about a placeholder no param declares: the declared name it most likely misspells, else how to
    declare it."""
    import difflib  # only for a refused catalog

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return f"; did you mean {{{{ {close[0]} }}}}?"
    return (
        f"; declare it in the check's params, such as {name}: {{type: label_value, required: true}} for a label value"
    )


def split_template(
    text: str, params: Mapping[str, Param], extra_names: frozenset[str] = frozenset()
) -> list[str | Placeholder]:
    """Split into literal text and placeholders; ValueError for an undeclared name or stray braces."""
    parts: list[str | Placeholder] = []
    position = 0
    for match in _PLACEHOLDER_RE.finditer(text):
        literal = text[position : match.start()]
        _reject_stray_braces(literal, params)
        parts.append(literal)
        name = match.group(1)
        if name not in params and name not in extra_names:
            known = sorted([*params, *extra_names])
            raise ValueError(
                f"placeholder {{{{ {name} }}}} names no declared param (declared: {', '.join(known) or 'none'})"
                + _declare_hint(name, known)
            )
        parts.append(Placeholder(name))
        position = match.end()
    tail = text[position:]
    _reject_stray_braces(tail, params)
    parts.append(tail)
    return parts


def _reject_stray_braces(literal: str, params: Mapping[str, Param]) -> None:
    stray = _STRAY_BRACES_RE.search(literal)
    argo = _ARGO_LIKE_RE.match(literal, stray.start()) if stray else None
    if argo and (argo.group(1) or "-" in argo.group(2)):
        name = argo.group(2).replace("-", "_")
        declare = "" if name in params else ", declared under params"
        if argo.group(1):
            raise ValueError(
                f"{argo.group(0)} is an AnalysisTemplate's arg, as Argo Rollouts writes it: the catalog writes a param "
                f"as {{{{ {name} }}}}{declare}, and the template's url gives the arg to it: "
                f"?{name}={{{{args.{argo.group(2)}}}}}"
            )
        raise ValueError(
            f"{argo.group(0)}: a param's name is letters, digits and _ (no -): write {{{{ {name} }}}}{declare}"
        )
    if stray:
        snippet = literal[max(0, stray.start() - 10) : stray.end() + 10]
        raise ValueError(f"malformed placeholder near {snippet!r}: write {{{{ param_name }}}}")


# How a PromQL template writes `{{` or `}}` that is no placeholder: Prometheus reads a string's Go escapes, the
# template does not.
_LITERAL_BRACES = (
    '; a literal {{ or }} in a PromQL string (a label value such as "/{{id}}") is written with Go escapes, as '
    'Prometheus reads them: "/\\x7b\\x7bid\\x7d\\x7d"'
)


class PromQLContext(Enum):
    """Where in a PromQL expression a placeholder stands."""

    BARE = "bare"
    STRING = "string"
    REGEX_STRING = "regex string"
    RAW_STRING = "backtick string"
    COMMENT = "comment"


@dataclass(frozen=True)
class _Slot:
    name: str
    context: PromQLContext
    quote: str
    # A backtick string after =~ or !~: a regex all the same.
    regex: bool = False
    # Bare right after `@` or `offset`, whose grammar takes a signed literal and no parentheses.
    after_modifier: bool = False


# Go regexp.QuoteMeta's set: after quoting, a value matches only itself inside =~ and !~.
_REGEX_META_RE = re.compile(r"([\\.+*?()|\[\]{}^$])")


# Characters escape_promql_string rewrites whatever the quote: most values hold none and are returned as they are.
_NEEDS_ESCAPE_RE = re.compile(r"[\\\x00-\x1f\x7f]")


def escape_promql_string(text: str, quote: str) -> str:
    """Escape text as the content of a PromQL string literal delimited by `quote` (Go escapes)."""
    # Printable text holds no control character: only a backslash or the quote would need escaping in it.
    if quote not in text and (("\\" not in text and text.isprintable()) or _NEEDS_ESCAPE_RE.search(text) is None):
        return text
    out = []
    for char in text:
        if char == "\\" or char == quote:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


class PromQLTemplate:
    """A PromQL template whose placeholders were checked against the param types at load."""

    def __init__(
        self, text: str, params: Mapping[str, Param], extra_bare: Mapping[str, ParamType] | None = None
    ) -> None:
        """Parse and check `text`; ValueError names the placeholder and the rule it breaks.

        `extra_bare` names values the check itself supplies (e.g. `window`), with their type.
        """
        self.text = text
        extra = dict(extra_bare or {})
        try:
            parts = split_template(text, params, frozenset(extra))
        except ValueError as exc:
            said = str(exc)
            if "malformed placeholder" not in said and (
                "names no declared param" not in said or "did you mean" in said
            ):
                # A misspelt name is no literal brace.
                raise
            raise ValueError(f"{exc}{_LITERAL_BRACES}") from None
        self._literals: list[str] = []
        self._slots: list[_Slot] = []
        state = _LexState()
        typed: list[tuple[_Slot, ParamType]] = []
        for part in parts:
            if isinstance(part, str):
                state.feed(part)
                self._literals.append(part)
                continue
            slot = _Slot(
                part.name, state.context(), state.quote, state.quote == "`" and state.regex, state.after_modifier()
            )
            param_type = extra[part.name] if part.name in extra else params[part.name].type
            _check_placement(slot, param_type, params.get(part.name))
            self._slots.append(slot)
            typed.append((slot, param_type))
        if state.quote:
            raise ValueError(f"unterminated {state.quote} string in the query")
        _check_words(self._literals, typed)
        # Percent-encoding is per character, so the constant parts are encoded once, here.
        self._encoded_literals = [quote(literal) for literal in self._literals]
        # A value placed twice alike (a canary hash in the numerator and the denominator) is escaped and
        # encoded once per render: the slots by what decides their text, and each slot's index among them.
        self._distinct_slots = list(dict.fromkeys(self._slots))
        # Zipped once: zip(..., strict=True) over slices of the lists cost more than the rest of a render.
        self._pieces = tuple(
            zip(
                [self._distinct_slots.index(slot) for slot in self._slots],
                self._literals[1:],
                self._encoded_literals[1:],
                strict=True,
            )
        )
        self.param_names = frozenset(slot.name for slot in self._slots)
        names = list(dict.fromkeys(slot.name for slot in self._distinct_slots))
        # The values a render depends on, in one C call: a value alone for one name, a tuple for several.
        self._values_of: Callable[[Mapping[str, ArgValue]], Any] | None = operator.itemgetter(*names) if names else None
        # Each distinct slot with where its value is in what `_values_of` reads (None: it is that value itself).
        self._slot_values = tuple(
            (slot, names.index(slot.name) if len(names) > 1 else None) for slot in self._distinct_slots
        )

    def render(self, values: Mapping[str, ArgValue]) -> str:
        """The query with every placeholder replaced by its value, escaped for where it stands."""
        out = [self._literals[0]]
        for slot, literal in zip(self._slots, self._literals[1:], strict=True):
            out.append(_render_slot(slot, values[slot.name]))
            out.append(literal)
        return "".join(out)

    def render_encoded(self, values: Mapping[str, ArgValue]) -> tuple[str, str]:
        """`render(values)`, and the same query percent-encoded (`quoting.quote`) as a URL carries it; kept for the
        last RENDERS_KEPT distinct (template, values) of the process whose values are all text or floats."""
        values_of = self._values_of
        if values_of is None:
            return self._render_placed(None)
        placed = values_of(values)
        kind = type(placed)
        if (
            kind is str
            or kind is float
            or (kind is tuple and all(type(value) is str or type(value) is float for value in placed))
        ):
            return _kept_render(self, placed)
        # A value of another type (10**20 and 1e20 are equal keys that would not render alike): made each time.
        return self._render_placed(placed)

    def _render_placed(self, placed: Any) -> tuple[str, str]:
        """`render_encoded` of the values `_values_of` read."""
        rendered = []
        quoted = []
        for slot, index in self._slot_values:
            text = _render_slot(slot, placed if index is None else placed[index])
            rendered.append(text)
            quoted.append(quote(text))
        out = [self._literals[0]]
        encoded = [self._encoded_literals[0]]
        for index, literal, encoded_literal in self._pieces:
            out += (rendered[index], literal)
            encoded += (quoted[index], encoded_literal)
        return "".join(out), "".join(encoded)


def _check_placement(slot: _Slot, param_type: ParamType, param: Param | None) -> None:
    where = f"{{{{ {slot.name} }}}} ({param_type.value})"
    if slot.context is PromQLContext.COMMENT:
        raise ValueError(f"{where} stands inside a # comment, where it would do nothing")
    if slot.context is PromQLContext.BARE:
        if param_type in FREE_TEXT_TYPES:
            raise ValueError(
                f"{where} stands outside a quoted string; a {param_type.value} may only "
                'appear inside quotes, e.g. label="{{ ' + slot.name + ' }}"'
            )
        if param_type is ParamType.DNS_LABEL:
            # Its grammar holds PromQL's numbers and minus: `/ {{ d }}` given inf made an error ratio 0, a pass.
            raise ValueError(
                f"{where} stands outside quotes, where PromQL reads a DNS label as a number (100, 1e5, inf) or a "
                "subtraction (web-1), not as a name; declare an identifier param for a metric or label name, or quote "
                f'it: label="{{{{ {slot.name} }}}}"'
            )
        if param_type is ParamType.ENUM and param is not None:
            unsafe = [v for v in param.values or [] if not _ENUM_BARE_RE.fullmatch(v)]
            if unsafe:
                raise ValueError(
                    f"{where} stands outside quotes but its value {unsafe[0]!r} is not a bare token ([A-Za-z0-9_:.+-]+)"
                )
    if slot.context is PromQLContext.RAW_STRING and param_type in FREE_TEXT_TYPES:
        raise ValueError(f"{where} stands inside a `backtick` string, which cannot escape; use double quotes")


# The words PromQL reads as numbers, whatever their case: an identifier arg alone is refused them (see params).
_NUMBER_WORDS = ("inf", "nan")
# The part of a word that stands right before and right after a placeholder (`.` too: `1.e5` is a number).
_WORD_TAIL_RE = re.compile(r"[A-Za-z0-9_:.]*$")
_WORD_HEAD_RE = re.compile(r"[A-Za-z0-9_:]*")


def _check_words(literals: list[str], typed: list[tuple[_Slot, ParamType]]) -> None:
    """Refuse a bare identifier that may write a number with what stands beside it: another bare value (`{{ a }}{{ b
    }}` given I and nf writes Inf), letters a value completes into Inf or NaN (`{{ a }}nf`), or digits (`1{{ a }}`
    given e5 writes 1e5)."""
    for index, (slot, param_type) in enumerate(typed):
        if slot.context is not PromQLContext.BARE or param_type is not ParamType.IDENTIFIER:
            continue
        where = f"{{{{ {slot.name} }}}} (identifier)"
        before, after = literals[index], literals[index + 1]
        for neighbour, between in ((index - 1, before), (index + 1, after)):
            # Nothing between: the neighbour stands bare too.
            if between == "" and 0 <= neighbour < len(typed):
                raise ValueError(
                    f"{where} stands right beside {{{{ {typed[neighbour][0].name} }}}}: their values make one word, "
                    "which PromQL reads as a number when it is Inf or NaN (I and nf write Inf); put a _ between them"
                )
        prefix = _WORD_TAIL_RE.search(before)[0].lower()  # type: ignore[index]
        suffix = _WORD_HEAD_RE.match(after)[0].lower()  # type: ignore[index]
        if prefix[:1].isdigit() or prefix[:1] == ".":
            raise ValueError(
                f"{where} stands right after {prefix!r}, which PromQL reads as the start of a number (1 and e5 "
                "write 1e5): put an operator or a space between them"
            )
        completes = [
            word
            for word in _NUMBER_WORDS
            if (prefix or suffix)
            and len(prefix) + len(suffix) < len(word)
            and word.startswith(prefix)
            and word.endswith(suffix)
        ]
        if completes:
            raise ValueError(
                f"{where} stands in the word {prefix}{{{{ {slot.name} }}}}{suffix}, which a value completes into "
                f"{completes[0]}, a number to PromQL: name the metric with a param holding the whole word"
            )


def promql_forms(text: str) -> set[str]:
    """`text` and the forms a template may write it in inside a PromQL string (either quote or backticks,
    regex-quoted or not): what a secret value looks like in a query a check shows."""
    regex = _REGEX_META_RE.sub(r"\\\1", text)
    return {text, regex, *(escape_promql_string(form, quote) for form in (text, regex) for quote in "\"'")}


def _render_slot(slot: _Slot, value: ArgValue) -> str:
    text = render_value(value)
    if slot.context is PromQLContext.BARE:
        # Parenthesised, a negative number stays one operand: `{{ n }} ^ 2` with n = -2 would read -(2 ^ 2), and
        # `x_{{ n }}` the subtraction x_ - 2.
        # An enum's "-" (an operator) or "-5m" (an offset) is no number, and stays as it is.
        return f"({text})" if text.startswith("-") and not slot.after_modifier and _is_number(text) else text
    if slot.context is PromQLContext.RAW_STRING:
        # Backticks cannot escape, but need not: `1\.5` is the regex 1\.5.
        return _REGEX_META_RE.sub(r"\\\1", text) if slot.regex else text
    if slot.context is PromQLContext.REGEX_STRING:
        # Numbers too: 1.5 as a regex also matches 105.
        text = _REGEX_META_RE.sub(r"\\\1", text)
    return escape_promql_string(text, slot.quote)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# The end of the code before a bare slot that is the operand of a modifier (PromQL keywords ignore case).
_MODIFIER_TAIL_RE = re.compile(r"(?:@|(?<![A-Za-z0-9_:])offset)\s*$", re.IGNORECASE)


# The function name right before a `(` (PromQL allows space between them).
_CALL_NAME_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")


class _LexState:
    """Just enough of the PromQL lexer to know if a position is in code, a string or a comment."""

    def __init__(self) -> None:
        self.quote = ""
        self.in_comment = False
        self.regex = False
        self._escaped = False
        self._code_tail = ""
        # Per open bracket, the function it calls ("" for none, `[`, `{`) and the commas read in it so far.
        self._calls: list[tuple[str, int]] = []

    def context(self) -> PromQLContext:
        if self.in_comment:
            return PromQLContext.COMMENT
        if self.quote == "`":
            return PromQLContext.RAW_STRING
        if self.quote:
            return PromQLContext.REGEX_STRING if self.regex else PromQLContext.STRING
        return PromQLContext.BARE

    def after_modifier(self) -> bool:
        return not self.quote and not self.in_comment and _MODIFIER_TAIL_RE.search(self._code_tail) is not None

    def feed(self, text: str) -> None:
        for char in text:
            if self.in_comment:
                self.in_comment = char != "\n"
            elif self.quote:
                if self._escaped:
                    self._escaped = False
                elif char == "\\" and self.quote != "`":
                    self._escaped = True
                elif char == self.quote:
                    self.quote = ""
            elif char in "\"'`":
                self.quote = char
                self.regex = self._code_tail.rstrip().endswith(("=~", "!~")) or (
                    # label_replace's fifth argument is a regex (fully anchored, as a matcher's).
                    self._calls[-1:] == [("label_replace", 4)]
                )
            elif char == "#":
                self.in_comment = True
            else:
                self._track_call(char)
                self._code_tail = (self._code_tail + char)[-32:]

    def _track_call(self, char: str) -> None:
        """Follow the brackets and the commas between them, to know which argument of which call a string is."""
        if char in "([{":
            name = _CALL_NAME_RE.search(self._code_tail) if char == "(" else None
            self._calls.append((name[1] if name else "", 0))
        elif char in ")]}":
            # An unbalanced close is Prometheus' to refuse; here it ends nothing.
            if self._calls:
                self._calls.pop()
        elif char == "," and self._calls:
            called, commas = self._calls[-1]
            self._calls[-1] = (called, commas + 1)


# By the template's identity (a reloaded catalog's templates are new objects, whose renders are never found under an
# old one's) and the values it places; a render that raises is not kept. The method itself: no frame of its own.
_kept_render = functools.lru_cache(maxsize=RENDERS_KEPT)(PromQLTemplate._render_placed)
