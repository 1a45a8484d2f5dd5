"""The check catalog: YAML from a file or a directory (a ConfigMap), validated whole or not at all (a Job
validates the check it runs and those that check references: `build_catalog`'s `only`)."""

from __future__ import annotations

import hashlib
import itertools
import re
import types
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from analyzer.catalog_paths import CATALOG_SUFFIXES, catalog_file_reads
from analyzer.check import Check, check_name_problem
from analyzer.errors import CheckNotFound, ConfigError, InvalidCatalog
from analyzer.models import clip, format_number
from analyzer.params import ParamType, WrittenNumber, WrittenScalar, WrittenText, render_value, sample_values
from analyzer.redaction import MIN_HIDDEN_CHARS, scrubber
from analyzer.registry import Registry
from analyzer.sources import SourceConfig
from analyzer.templates import promql_forms


class _CatalogDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: dict[str, Any] = Field(default_factory=dict)
    # Not `default_factory=list`: pydantic reads a factory's signature, and a builtin's is parsed from its text,
    # the process's first `ast.parse` then building every AST node type (14M instructions of a Job's start).
    checks: list[Any] = Field(default_factory=lambda: [])


_SOURCE_ADAPTER: TypeAdapter[SourceConfig] = TypeAdapter(SourceConfig)


@dataclass(frozen=True)
class Catalog:
    """A validated catalog: sources by name, checks by name, and a content hash as its version."""

    sources: Mapping[str, SourceConfig]
    checks: Mapping[str, Check]
    version: str
    origins: Mapping[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # The checks an invalid catalog defines with a problem, left out of its valid part (InvalidCatalog.valid_part):
    # a template calling one is not told the catalog lacks it.
    unjudged: frozenset[str] = frozenset()
    _reached: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def reached(self, name: str) -> frozenset[str]:
        """Every other check an evaluation of `name` runs (its members, theirs...); none for an unknown name."""
        found = self._reached.get(name)
        if found is None:
            if name not in self.checks:
                # A name a client made up (a history entry of a 404): remembering it would grow without bound.
                return frozenset()
            seen: set[str] = set()
            pending = [name]
            while pending:
                check = self.checks.get(pending.pop())
                for member in check.member_names() if check is not None else ():
                    if member != name and member not in seen:
                        seen.add(member)
                        pending.append(member)
            found = self._reached[name] = frozenset(seen)
        return found

    def kinds(self) -> list[type[Check]]:
        """The kinds its checks are of, each once."""
        return list(dict.fromkeys(type(check) for check in self.checks.values()))

    def get(
        self,
        name: str,
        *,
        listed_by: str = "GET /api/v1/checks lists them",
        visible: Callable[[str], bool] = lambda _: True,
    ) -> Check:
        """The check of that name; CheckNotFound otherwise, naming the closest `visible` name (a typo)."""
        try:
            return self.checks[name]
        except KeyError:
            close = self.closest(name, visible)
            raise CheckNotFound(
                f"no check named {name[:128]!r} in the catalog ({_count(len(self.checks), 'check')}; {listed_by})"
                + (f"; did you mean {close!r}?" if close else "")
            ) from None

    def closest(self, name: str, visible: Callable[[str], bool] = lambda _: True) -> str | None:
        """The `visible` check name that `name`, a name the catalog lacks, most likely meant (a typo), if any."""
        return _closest(name[:128], self.checks, visible)


# Any client can ask for a name the catalog lacks, and difflib's similarity costs up to about 30 us a candidate
# (100 ms for a typo among 3,000 similar names): only names within two characters of the typo's length are
# compared, and at most this many of them, so that a 404 stays cheap whatever the catalog's size.
_SUGGESTION_CANDIDATES = 64


def _closest(name: str, names: Iterable[str], visible: Callable[[str], bool]) -> str | None:
    """The `visible` name a typo most likely meant, if one is close enough."""
    import difflib  # only when a name is unknown: a Job's start does not pay for it

    near = (other for other in names if abs(len(other) - len(name)) <= 2 and visible(other))
    close = difflib.get_close_matches(name, list(itertools.islice(near, _SUGGESTION_CANDIDATES)), n=1, cutoff=0.75)
    return close[0] if close else None


# The most bytes a catalog's files may hold together, four times what one ConfigMap can. Parsing and validating
# take about 40 bytes of memory and 4 us per byte of YAML: a large file mounted by mistake into the catalog
# directory (a rules dump) would take a reload minutes and more memory than the pod has.
MAX_CATALOG_BYTES = 4 * 1024 * 1024

# The nodes YAML aliases may add to a document, counted as if each alias were a copy of what it names. An alias is
# a reference, not a copy, but every walk of the loaded data (validation, the digest, an error quoting a value)
# goes through each reference as through a copy: nested aliases ("billion laughs") made a few lines of YAML take
# hours and gigabytes, and a reload of them ended the service by memory. A catalog's own repetition (a shared
# `params` block aliased by every check) adds tens of nodes per check: 3,000 checks sharing four params add 123,000.
# The bound is about the nodes of a catalog at MAX_CATALOG_BYTES written out (12 bytes a node), whose walks cost
# what the size bound allows anyway (20 s and 100 MB for 12,000 such checks); a bomb adds millions.
MAX_ALIAS_EXPANSION_NODES = 400_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last one silently, and a document
    whose aliases refer to a node holding them or expand it by more than MAX_ALIAS_EXPANSION_NODES nodes."""

    def __init__(self, stream: Any, first_line: int = 1) -> None:
        """A loader of `stream`, whose first line is `first_line` of the file it is in (a ConfigMap manifest's `|`
        block's)."""
        super().__init__(stream)
        self.file_line = first_line
        # The scalar nodes written with an explicit tag (`!!str 1e3`): the node keeps only the tag, the same one YAML
        # resolves for `1e3` plain. The nodes, not their ids: a document's nodes are freed once it is read, and a
        # later document's plain `yes` could take a freed tagged node's id.
        self.tagged_scalars: set[yaml.Node] = set()
        # Where (the index in the text) each alias written as a list's item is, by (list, index): the item's node is
        # the anchored one, which is where the anchor is written, not the alias. Emptied once its document is read (it
        # holds its nodes).
        self.alias_marks: dict[tuple[yaml.Node, int], int] = {}
        self._counted = (first_line, 0)  # the line at an index of the text, where `_lines_at` counts on from

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """The node, with where an alias written as a list's item is kept in `alias_marks`."""
        if isinstance(parent, yaml.SequenceNode) and self.check_event(yaml.AliasEvent):
            self.alias_marks[parent, index] = self.peek_event().start_mark.index  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)

    def _lines_at(self, indices: list[int]) -> tuple[int, ...]:
        """The line (from 1) of each index of the text, counting its newlines as grep, editors and GitHub do, not as
        PyYAML's marks, which also count a U+2028, U+2029 or U+0085 (in a pasted description, say)."""
        lines = [0] * len(indices)
        # Counted on from the last document's: the text is counted through once, however many documents it holds.
        line, counted_to = self._counted
        for position in sorted(range(len(indices)), key=indices.__getitem__):
            line += self.buffer.count("\n", counted_to, indices[position])
            counted_to = indices[position]
            lines[position] = line
        self._counted = (line, counted_to)
        return tuple(lines)

    def _data_lines(self, root: yaml.Node) -> dict[str, tuple[int, int]]:
        """Where each key's text starts of a document's top-level `data` mapping (a ConfigMap manifest's), for the
        keys written as a literal `|` block, whose lines are the file's one for one: its first line, and the
        indentation of its lines."""
        found: dict[str, tuple[int, int]] = {}
        for key_node, value_node in root.value if isinstance(root, yaml.MappingNode) else ():
            if key_node.value == "data" and isinstance(value_node, yaml.MappingNode):
                for data_key, text in value_node.value:
                    if isinstance(text, yaml.ScalarNode) and text.style == "|" and text.value:
                        # The block's text starts on the line after its `|`, indented as its first line that holds
                        # more than spaces.
                        start = self.buffer.index("\n", text.start_mark.index) + 1
                        lines = self.buffer[start : text.end_mark.index].split("\n")
                        written = next((line for line in lines if line.strip(" ")), "")
                        found[data_key.value] = (
                            self.buffer.count("\n", 0, start) + self.file_line,
                            len(written) - len(written.lstrip(" ")),
                        )
        return found

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        """The scalar node, kept in `tagged_scalars` when its tag was written (neither absent nor `!`)."""
        event = self.peek_event()  # type: ignore[no-untyped-call]  # the stubs leave the parser's methods untyped
        node = super().compose_scalar_node(anchor)
        if event.tag not in (None, "!"):
            self.tagged_scalars.add(node)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """The node's value; a ConstructorError at the node when its written tag cannot read its text (`!!bool maybe`,
        `!!int abc`, where PyYAML's own constructors raise KeyError or ValueError, naming no line; `!!null foo`, which
        PyYAML reads as null), or reads a value no field takes (`!!binary`, `!!timestamp`)."""
        if isinstance(node, yaml.ScalarNode) and node in self.tagged_scalars:
            _refuse_tagged_scalar(node)
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, AttributeError):
            if not isinstance(node, yaml.ScalarNode):
                raise
            raise _cannot_read(node) from None

    def construct_document(self, node: yaml.Node) -> Any:
        """The document's data, once its aliases are known to expand to a bounded tree, with the values YAML read
        otherwise than JSON would in each JSON assertion's `equals` marked (`_mark_json_rewrites`)."""
        _refuse_alias_bombs(node)
        self.check_lines = self._lines_at(_check_marks(node, self.alias_marks))
        self.data_lines = self._data_lines(node)
        self.alias_marks = {}
        self.json_assertions: list[tuple[dict[Any, Any], yaml.Node]] = []
        data = super().construct_document(node)
        # After the document: a list is filled only then, and an assertion's `equals` may hold one.
        for mapping, equals_node in self.json_assertions:
            _mark_json_rewrites(self, mapping, "equals", equals_node)
        return data


# What each YAML tag a catalog reads takes, as the advice to a value it cannot read says it.
_TAG_VALUES = {
    "!!bool": "true or false",
    "!!int": "a whole number such as 3",
    "!!float": "a number such as 0.5",
    "!!null": "null, ~ or nothing",
}
# Tags whose values no field of a catalog takes: `!!binary aGk=` reached a condition as b'hi', `!!timestamp
# 2024-01-01` as datetime.date(2024, 1, 1), refused there in Python's words.
_NO_FIELD_TAGS = {"!!binary": "binary data", "!!timestamp": "a date and time"}
_NULL_TEXTS = frozenset({"", "~", "null", "Null", "NULL"})
_TAG_NAME_RE = re.compile(r"!!?[A-Za-z][A-Za-z0-9_./:-]*")


def _short_tag(tag: str) -> str:
    """A tag as it is written in YAML (`!!int`, not `tag:yaml.org,2002:int`)."""
    return tag.replace("tag:yaml.org,2002:", "!!")


def _quoted(text: str) -> str:
    """`text` as a single-quoted YAML scalar, which reads it as that text whatever it holds."""
    return "'" + clip(text, 40).replace("'", "''") + "'"


def _as_text(node: yaml.ScalarNode) -> str:
    """The advice to keep a scalar's text: quoted without its tag."""
    return f"to keep the text, quote it without the tag: {_quoted(node.value)}"


def _written(node: yaml.Node) -> str:
    """The node's text as the file writes it, tag included, when the reader kept the file's text (else its value)."""
    start, end = node.start_mark, node.end_mark
    if (
        isinstance(start.buffer, str)
        and start.pointer < end.pointer
        and "\n" not in start.buffer[start.pointer : end.pointer]
    ):
        return start.buffer[start.pointer : end.pointer]
    return f"{_short_tag(node.tag)} {node.value}" if isinstance(node, yaml.ScalarNode) else _short_tag(node.tag)


def _refuse_tagged_scalar(node: yaml.ScalarNode) -> None:
    """ConstructorError for a scalar whose written tag reads a value no field takes, or reads its text as what it is
    not (PyYAML reads `!!null foo` as null, dropping `foo`)."""
    tag = _short_tag(node.tag)
    if tag in _NO_FIELD_TAGS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{tag} reads {_NO_FIELD_TAGS[tag]}, which no field of a catalog takes: {_as_text(node)}",
            node.start_mark,
        )
    if tag == "!!null" and node.value not in _NULL_TEXTS:
        raise _cannot_read(node)


def _cannot_read(node: yaml.ScalarNode) -> yaml.constructor.ConstructorError:
    """The error for a scalar whose written tag cannot read its text: what the tag takes, and how to keep the text."""
    tag = _short_tag(node.tag)
    takes = f"write {_TAG_VALUES[tag]}, or, {_as_text(node)}" if tag in _TAG_VALUES else _as_text(node)
    return yaml.constructor.ConstructorError(
        None, None, f"{tag} cannot read {clip(node.value, 40)!r}: {takes}", node.start_mark
    )


def _construct_unknown_tag(loader: _UniqueKeyLoader, node: yaml.Node) -> Any:
    """A ConstructorError for a tag that is not YAML's own (`!foo`, CloudFormation's `!Ref`, and `!=` in an unquoted
    `pass_if: != 0`), saying what to write instead of PyYAML's "could not determine a constructor"."""
    if node.tag == "tag:yaml.org,2002:merge":
        # `<<`, which YAML resolves to this tag unwritten: quoting it, as the advice to a tag says, makes an unknown
        # field of it.
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "a catalog does not read YAML merge keys (<<): write the keys of the mapping it merges out here, or alias "
            "a whole value (params: *shared)",
            node.start_mark,
        )
    if node.tag == "tag:yaml.org,2002:value":
        # A bare `=`, which YAML 1.1 resolves to this tag unwritten: it starts with no `!`.
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a bare = is read by YAML as its value key (!!value), not as text: quote it: {_quoted(node.value)}",
            node.start_mark,
        )
    tag = _short_tag(node.tag)
    problem = (
        f"{tag} is read as a YAML tag (an unquoted value that starts with ! starts with one), and a catalog reads "
        "only YAML's own (!!str, !!int, !!float, !!bool, !!null, !!seq, !!map)"
    )
    if isinstance(node, yaml.ScalarNode):
        advice = f"to write the text, quote it: {_quoted(_written(node))}"
        # A tag's name (`!foo bar`), not the start of a condition (`!= 0`, whose `0` alone is no condition).
        if node.value and _TAG_NAME_RE.fullmatch(tag):
            advice += f"; or write the value without the tag: {_quoted(node.value)}"
    else:
        advice = "write the value without the tag"
    raise yaml.constructor.ConstructorError(None, None, f"{problem}: {advice}", node.start_mark)


class Origin(str):
    """Where a document was read (a file, a ConfigMap's key), with the line of each item of its `checks` list
    (`check_lines`, in the file's lines), so that a refusal names the line of the check it is about, and the text it
    was read from with its index there (`text`, `document`), so that one names its field's (`_FieldLines`) and quotes
    a word as written. A catalog keeps its origins as plain text: the text is not kept past the validation."""

    check_lines: tuple[int, ...] = ()
    text: str | None = None
    document: int = 0
    # The file's line the text's first line is; None when the text's lines are not the file's (a ConfigMap's quoted
    # text), whose fields are then named without lines.
    first_line: int | None = 1
    # Where each `data` key's text starts in the text, when the document is a ConfigMap manifest (`_data_lines`).
    data_lines: Mapping[str, tuple[int, int]] = types.MappingProxyType({})


class _FieldLines:
    """The line (from its `first_line`, as `_lines_at` counts) of a field of a document read from text (an
    `Origin`'s): each document composed again the first time a problem of it asks, so a valid catalog pays nothing."""

    def __init__(self) -> None:
        self._roots: dict[str, yaml.Node | None] = {}

    def of(self, origin: str, path: Sequence[Any]) -> int | None:
        """The line of the deepest node of `path` (keys and list indices from the document's root) the text writes:
        a field's key, a list's item; None without the text, or when not even the path's first part is written."""
        text, first_line = getattr(origin, "text", None), getattr(origin, "first_line", None)
        if text is None or first_line is None:
            return None
        _, index = self._walk(origin, text, path)
        return None if index is None else text.count("\n", 0, index) + first_line

    def written(self, origin: str, path: Sequence[Any]) -> str | None:
        """The text of the scalar at `path` as written (`off`, where YAML read false); None without the text, or
        when the path is not written to its end or ends at no scalar."""
        text = getattr(origin, "text", None)
        if text is None:
            return None
        node, index = self._walk(origin, text, path)
        return node.value if index is not None and isinstance(node, yaml.ScalarNode) else None

    def _walk(self, origin: str, text: str, path: Sequence[Any]) -> tuple[yaml.Node | None, int | None]:
        """The deepest node of `path` written, with the index in `text` of its key (or list item); a None index
        when not even the path's first part is written, and no node when the path is not written to its end."""
        if origin not in self._roots:
            self._roots[origin] = _composed(text, getattr(origin, "document", 0))
        node, index = self._roots[origin], None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = next((pair for pair in node.value if pair[0].value == str(part)), None)
                if found is None:
                    return None, index
                index, node = found[0].start_mark.index, found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                index = node.start_mark.index
            else:
                return None, index
        return node, index


def _composed(text: str, document: int) -> yaml.Node | None:
    """The node tree of the `document`-th document (from 0, empty ones counted) of a text the catalog's loader read
    (which composes it as it did, without an error)."""
    loader = yaml.SafeLoader(text)
    try:
        root: yaml.Node | None = None
        for _ in range(document + 1):
            root = loader.get_node() if loader.check_node() else None
        return root
    finally:
        loader.dispose()


def _check_marks(root: yaml.Node, alias_marks: Mapping[tuple[yaml.Node, int], int]) -> list[int]:
    """Where (the index in the text) each item of the document's top-level `checks` list starts (an alias where it is
    written, not its anchor); none when it has none."""
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == "checks" and isinstance(value_node, yaml.SequenceNode):
                return [
                    alias_marks.get((value_node, index), item.start_mark.index)
                    for index, item in enumerate(value_node.value)
                ]
    return []


def _refuse_alias_bombs(root: yaml.Node) -> None:
    """ConstructorError when the document under `root`, each alias expanded, is cyclic or has more than
    MAX_ALIAS_EXPANSION_NODES nodes beyond those written. Each node is sized once (a node an alias names is
    shared), without recursion (a deeply nested document would exhaust Python's stack)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _child_nodes(node))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "an alias refers to a node that contains it (a cycle, which no check can hold)",
                node.start_mark,
            )
        open_nodes.add(key)
        pending.append((node, True))
        pending.extend((child, False) for child in _child_nodes(node) if id(child) not in sizes)
    added = sizes[id(root)] - len(sizes)
    if added > MAX_ALIAS_EXPANSION_NODES:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"its aliases expand it by {added} nodes, more than the {MAX_ALIAS_EXPANSION_NODES} allowed (nested "
            'aliases, a "billion laughs"?); write the repeated values out, or alias them less deeply',
            root.start_mark,
        )


def _child_nodes(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            problem = f"duplicate key {key!r} (also at line {seen[key].line + loader.file_line})"
            # A file appended to another (`cat my-check.yaml >> catalog.yaml`): what to do with the second half.
            if key == "checks" and key_node.start_mark.column == 0:
                problem += (
                    ": a file has one `checks:`; move the checks written here under the first (without this "
                    "`checks:` line), or start a YAML document of their own with a `---` line before it"
                )
            elif key == "sources" and key_node.start_mark.column == 0:
                problem += (
                    ": a file has one `sources:`, and a source is defined once; leave out the sources written here "
                    "that the first `sources:` defines, and move the others under it"
                )
            raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        seen[key] = key_node.start_mark
    mapping = loader.construct_mapping(node, deep=deep)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in ("default", "example"):
            _mark_written_number(mapping, key, value_node)
        elif key == "equals" and "path" in mapping:
            loader.json_assertions.append((mapping, value_node))
        elif key == "args" and isinstance(value_node, yaml.MappingNode) and isinstance(mapping.get(key), dict):
            for arg_node, arg_value_node in value_node.value:
                _mark_written_number(mapping[key], loader.construct_object(arg_node, deep=deep), arg_value_node)
    return mapping


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _mark_written_number(container: Any, key: Any, node: yaml.Node) -> None:
    # A param's default or example, or a member's literal arg, keeps the text YAML read a number from when the
    # number renders otherwise (`012` as 10, `1.10` as 1.1): a param sent as text refuses it (params.WrittenNumber).
    value = container[key]
    if (
        not isinstance(value, WrittenNumber)
        and isinstance(node, yaml.ScalarNode)
        and node.tag in _NUMBER_TAGS
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and render_value(float(value)) != node.value
    ):
        container[key] = WrittenNumber(value, node.value)


_YAML_ONLY_BOOLEANS = frozenset({"yes", "no", "on", "off"})
# A number as JSON writes one. YAML 1.1 reads one with an exponent as a number only with a dot and a signed exponent
# (`1.0e+3`): `1e3` and `1.5e3` are text to it.
_JSON_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def _mark_json_rewrites(loader: _UniqueKeyLoader, container: Any, key: Any, node: yaml.Node) -> None:
    # A JSON assertion's `equals` (http_smoke), the text of each number YAML reads otherwise than it renders
    # (WrittenNumber: `012`, which JSON cannot read), of each boolean written yes, no, on or off and of a null
    # written as nothing (WrittenScalar):
    # `equals: on` passed on `true`, where `on` may have been meant; the kind refuses what JSON would not read alike.
    value = container[key]
    if node in loader.tagged_scalars and (isinstance(value, bool) or not isinstance(value, int | float)):
        # `!!str 1e3`, `!!bool yes`: the writer said which it meant, as quoting says text. (A tagged number keeps
        # its doubt: `!!int 012` is still 10 to YAML 1.1, and 12 to a reader.)
        return
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        for key_node, item_node in node.value:
            item_key = loader.construct_object(key_node)
            if isinstance(item_key, Hashable) and item_key in value:
                _mark_json_rewrites(loader, value, item_key, item_node)
    elif isinstance(node, yaml.SequenceNode) and isinstance(value, list) and len(value) == len(node.value):
        for index, item_node in enumerate(node.value):
            _mark_json_rewrites(loader, value, index, item_node)
    elif isinstance(node, yaml.ScalarNode) and isinstance(value, bool):
        if node.value.lower() in _YAML_ONLY_BOOLEANS:
            container[key] = WrittenScalar(value, node.value)
    elif isinstance(node, yaml.ScalarNode) and value is None:
        # `equals:` left empty (a template that rendered nothing) asserted null, and passed on `"status": null`.
        if node.value == "":
            container[key] = WrittenScalar(None, "")
    elif isinstance(node, yaml.ScalarNode) and isinstance(value, str):
        # `equals: 1e3` asserted the text "1e3": it failed `"n": 1000`, the number JSON reads 1e3 as, and passed the
        # text alone. Quoted, it is the text as meant.
        if node.style is None and _JSON_NUMBER_RE.fullmatch(node.value):
            container[key] = WrittenText(value)
    else:
        _mark_written_number(container, key, node)


# Collection tags of YAML 1.1 whose values no field of a catalog takes: `!!set {a, b}` reached an enum's `values` as a
# Python set (in the order its hashing chose), `!!omap` and `!!pairs` a field as a list of tuples.
_NO_FIELD_COLLECTIONS = {
    "!!set": "a set (keys without values, in no order)",
    "!!omap": "an ordered mapping as a list of pairs",
    "!!pairs": "a list of pairs",
}


def _refuse_collection_tag(loader: _UniqueKeyLoader, node: yaml.Node) -> NoReturn:
    """A ConstructorError at a collection whose tag reads a value no field takes (see `_NO_FIELD_COLLECTIONS`)."""
    tag = _short_tag(node.tag)
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"{tag} reads {_NO_FIELD_COLLECTIONS[tag]}, which no field of a catalog takes: write a list of `- ` items or "
        "a mapping of `key: value` lines, without the tag",
        node.start_mark,
    )


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor(None, _construct_unknown_tag)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:set", _refuse_collection_tag)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:omap", _refuse_collection_tag)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:pairs", _refuse_collection_tag)


def catalog_reads(path: Path) -> list[tuple[Path, Path]]:
    """The YAML files a catalog path stands for, each with the path to read it from (`catalog_file_reads`: a
    ConfigMap's files all of one version); ConfigError when there is none, or when its files cannot be listed."""
    try:
        files = catalog_file_reads(path)
    except FileNotFoundError as exc:
        # Walked twice, each version removed under the walk: the next poll or SIGHUP reads the one that stays.
        raise ConfigError(
            f"{path}: cannot list its files: {exc} (a ConfigMap updated twice while it was read?)"
        ) from exc
    if files is None:
        raise ConfigError(f"catalog path {str(path)!r} does not exist")
    return files


def load_catalog(
    paths: Path | Iterable[Path], registry: Registry, *, check_files: bool = True, only: str | None = None
) -> Catalog:
    """Read and validate a catalog; ConfigError lists every problem, each naming file, check and field.

    `check_files=False` skips checking that files the catalog names (a source's ca_file) exist here.
    `only` validates one check and those it references, as `build_catalog` says.
    """
    roots = [paths] if isinstance(paths, Path) else [Path(p) for p in paths]
    return _load_catalog(roots, registry, check_files=check_files, only=only, reread=True)


def _load_catalog(
    roots: list[Path], registry: Registry, *, check_files: bool, only: str | None, reread: bool
) -> Catalog:
    """`load_catalog`, read again once (`reread`) when a file listed is removed before it is read (an old version)."""
    documents: list[tuple[str, Any]] = []
    problems: list[str] = []
    digest = hashlib.sha256()
    files = [(root, *f) for root in roots for f in catalog_reads(root)]
    if not files:
        raise ConfigError(f"no *.yaml or *.yml files in {', '.join(str(r) for r in roots)}")
    total_bytes = 0
    unread = False
    # Per directory: the Kubernetes objects its files hold, held back from the documents, and whether any holds
    # catalog text. A mounted ConfigMap (`..data`) of objects alone is the wrong ConfigMap, said once; objects
    # beside a catalog are files to move out of its directory (a ConfigMap made from a whole directory holds them).
    directories = {root: _MountedObjects() for root in roots if root.is_dir()}
    for root, file, read_from in files:
        try:
            total_bytes += read_from.stat().st_size
            if total_bytes > MAX_CATALOG_BYTES:
                problems.append(
                    f"{file}: not read: the catalog's files reach {total_bytes} bytes with it, over the "
                    f"{MAX_CATALOG_BYTES} a catalog may hold (a ConfigMap holds at most 1 MiB): is it a catalog?"
                )
                break
            text = read_from.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if reread and isinstance(exc, FileNotFoundError):
                # Removed since the listing: the kubelet removes a ConfigMap's old version once it swapped ..data to
                # the new one, whose files are all there (a refusal waited for the next poll to read them).
                return _load_catalog(roots, registry, check_files=check_files, only=only, reread=False)
            problems.append(f"{file}: cannot read: {exc}")
            # A file that cannot be read now may be read later (a permission fixed changes none of what the
            # watcher compares): the refusal is not the text's alone.
            unread = unread or isinstance(exc, OSError)
            continue
        digest.update(file.name.encode() + b"\0" + text.encode() + b"\0")
        for origin, data in _parse_documents(str(file), text, problems):
            if root in directories and directories[root].add(file.relative_to(root), origin, data):
                continue
            if _is_configmap(data):
                documents.extend(_configmap_documents(origin, data, problems))
            else:
                documents.append((origin, data))
    for root, found in directories.items():
        if found.objects and found.catalog:
            problems += [_beside_catalog_problem(root, origin, kind) for origin, (_, kind, _) in found.held]
        elif found.objects and (root / "..data").is_symlink():
            problems.append(_mounted_objects_problem(root, found.objects))
        else:
            # A directory of objects alone: each is said as a file given alone says it.
            documents += [(origin, data) for origin, (data, _, _) in found.held]
    if problems:
        error = ConfigError("the catalog is invalid", problems)
        error.named_files = None if unread else {}
        raise error
    # The files the catalog names, as validation found them: with its text, all a refusal depended on.
    named_files: dict[Path, tuple[int, ...]] = {}
    try:
        catalog = build_catalog(
            documents,
            registry,
            version=digest.hexdigest()[:12],
            check_files=check_files,
            only=only,
            named_files=named_files,
        )
    except ConfigError as exc:
        exc.named_files = named_files
        raise
    if not catalog.checks:
        # Valid, and useless: every run is a 404. `validate` prints it, the service logs it and /readyz shows it.
        catalog.warnings.append(
            f"{', '.join(str(r) for r in roots)}: the catalog has no checks (an empty or truncated file?)"
        )
    return catalog


@dataclass
class _MountedObjects:
    """What the files of a catalog directory hold: its Kubernetes objects, each as (file, kind, name), the documents
    that hold them by origin, and whether any document is catalog text (or a ConfigMap manifest, which may hold
    some)."""

    objects: list[tuple[Path, str, str | None]] = field(default_factory=list)
    held: list[tuple[str, tuple[Any, str, str | None]]] = field(default_factory=list)
    catalog: bool = False

    def add(self, file: Path, origin: str, data: Any) -> bool:
        """Note a document of `file`; whether it is a Kubernetes object, held back here (not a ConfigMap manifest, nor a
        Pyrra, Sloth or OpenSLO SLO, which hold catalog text)."""
        if _is_kubernetes_object(data) and not _is_configmap(data) and not _is_slo_document(data):
            metadata = data.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            name = name if isinstance(name, str) else None
            self.objects.append((file, str(data["kind"]), name))
            self.held.append((origin, (data, str(data["kind"]), name)))
            return True
        self.catalog = True
        return False


def _is_kubernetes_object(data: Any) -> bool:
    """Whether a document is a Kubernetes manifest and no catalog text (`apiVersion` and `kind`, no `sources` nor
    `checks`)."""
    return (
        isinstance(data, dict) and "apiVersion" in data and "kind" in data and not data.keys() & {"sources", "checks"}
    )


def _mounted_objects_problem(root: Path, objects: list[tuple[Path, str, str | None]]) -> str:
    """What is said of a catalog directory that is a ConfigMap mounted with Kubernetes objects alone."""
    named = [f"{file}: {kind}" + (f" {name!r}" if name is not None else "") for file, kind, name in objects]
    shown = "; ".join(named[:3]) + (f"; and {len(named) - 3} more" if len(named) > 3 else "")
    argo = (
        "Argo Rollouts reads its objects from the cluster (kubectl apply them), and "
        if any(kind in _ARGO_KINDS for _, kind, _ in objects)
        else ""
    )
    return (
        f"{root}: a mounted ConfigMap holding Kubernetes objects, not a catalog ({shown}): {argo}the analyzer reads "
        "its catalog (`sources:` and `checks:`) here; mount the ConfigMap that holds the catalog at this path instead "
        "(deploy/base's `analyzer-catalog`, whose keys are the catalog's files)"
    )


def _is_slo_document(data: Any) -> bool:
    """Whether a Kubernetes-shaped document is a Pyrra, Sloth or OpenSLO one, which the catalog reads as checks."""
    from analyzer.imports import detect_format  # only for a document that has `apiVersion` and `kind`

    return detect_format(data) is not None


def _beside_catalog_problem(root: Path, origin: str, kind: str) -> str:
    """What is said of a Kubernetes object in a file of the catalog's directory, beside the catalog's files."""
    return (
        f"{origin}: a Kubernetes {kind}, not a catalog, in the catalog's directory {root}, every *.yaml of which is "
        "read as the catalog's: move it out of that directory (a ConfigMap made with --from-file=DIR/ takes every "
        "file of it: make the catalog's from the catalog's files alone); `analyzer validate` given the directory "
        "checks such a file beside the catalog instead"
    )


# The Argo Rollouts objects a user may mount by mistake where the catalog belongs.
_ARGO_KINDS = frozenset({"AnalysisTemplate", "ClusterAnalysisTemplate", "Rollout", "Experiment", "AnalysisRun"})


# Where PyYAML stops on an unquoted value holding YAML's own characters: `{type: x, pattern: [a-z]{1,16}}`, a `*`
# (an alias) or `&` (an anchor) starting a value.
_UNQUOTED_CONTEXTS = frozenset(
    {
        "while parsing a flow mapping",
        "while parsing a flow sequence",
        "while scanning an alias",
        "while scanning an anchor",
    }
)


def _parse_documents(
    origin: str, text: str, problems: list[str], *, start: tuple[int, int] | None = (1, 0)
) -> list[tuple[str, Any]]:
    """The non-empty YAML documents of `text`, each with its origin; a YAML error is added to `problems`. `start` is
    the line of the file `text` starts at and the indentation of its lines there (a ConfigMap manifest's `|` block),
    None when its lines are not the file's (a ConfigMap's quoted text): its checks and fields are then named without
    lines."""
    documents: list[tuple[str, Any]] = []
    first_line, indent = start or (1, 0)
    # yaml.load_all's loop, with the loader at hand: each document's check lines are read from it.
    loader = _UniqueKeyLoader(text, first_line)
    try:
        index = 0
        while loader.check_data():  # type: ignore[no-untyped-call]  # the stubs leave check_data untyped
            data = loader.get_data()
            if data is not None:
                located = Origin(origin + (f" (document {index + 1})" if index else ""))
                # The text, kept for a refusal to quote a word as written (`off`, which YAML read as false).
                located.text, located.document = text, index
                if start is None:
                    located.first_line = None
                else:
                    located.check_lines, located.first_line = loader.check_lines, first_line
                    located.data_lines = loader.data_lines
                documents.append((located, data))
            index += 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML's own text spans lines and names the stream "<unicode string>"; the file is named already.
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + first_line}, column {mark.column + indent + 1}" if mark else ""
        context = (
            f"{exc.context} (line {exc.context_mark.line + first_line})" if exc.context and exc.context_mark else ""
        )
        what = "; ".join(part for part in (context, exc.problem) if part)
        if "'\\t'" in what:
            what += " (YAML indents with spaces, not tabs)"
        elif exc.context == "while scanning a block scalar":
            what += ' (a value that starts with > or | starts a YAML block: quote it, as in pass_if: "> 0.5")'
        elif exc.context in _UNQUOTED_CONTEXTS or str(exc.problem).endswith(("found '{'", "found '['")):
            what += (
                " (a value holding [ ] { } , * & or # is read as YAML: quote it, as in "
                'pattern: "[0-9a-z]{1,16}" or query: \'sum(up{job="api"})\')'
            )
        elif str(exc.problem).startswith("expected <block end>"):
            what += " (is this line indented like the keys or `- ` items beside it? or a quote left open above?)"
        elif exc.context == "while scanning a simple key" and exc.problem == "could not find expected ':'":
            what += (
                " (a line here is no `key: value`: are the lines of a `|` block above indented deeper than its key, "
                "or a `:` left out?)"
            )
        elif exc.problem == "mapping values are not allowed here":
            what += " (a value holding ': ' needs quotes; or this line is indented deeper than the key above it)"
        problems.append(f"{origin}: invalid YAML{where}: {what}")
    except yaml.YAMLError as exc:
        problems.append(f"{origin}: invalid YAML: {exc}")
    except RecursionError:
        # PyYAML composes nested collections recursively: thousands of `[` were a crash naming no file.
        problems.append(f"{origin}: invalid YAML: collections nested too deeply to read")
    finally:
        loader.dispose()
    return documents


def _is_configmap(data: Any) -> bool:
    return isinstance(data, dict) and data.get("apiVersion") == "v1" and data.get("kind") == "ConfigMap"


def _configmap_documents(origin: str, configmap: dict[str, Any], problems: list[str]) -> list[tuple[str, Any]]:
    """The catalog documents of a ConfigMap manifest: its `data` keys ending in .yaml / .yml, as the
    mounted directory would show them, so that CI validates the very object it applies."""
    metadata = configmap.get("metadata")
    name = str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
    data = configmap.get("data") or {}
    if not isinstance(data, dict):
        problems.append(f"{origin}: ConfigMap {name!r}: data must be a mapping of file names to text")
        return []
    documents: list[tuple[str, Any]] = []
    keys = sorted(str(key) for key in data if str(key).endswith(CATALOG_SUFFIXES))
    if not keys:
        problems.append(f"{origin}: ConfigMap {name!r} has no data key ending in .yaml or .yml")
    for key in keys:
        text = data[key]
        if not isinstance(text, str):
            problems.append(f"{origin}:{name}/{key}: expected the file's text, got {type(text).__name__}")
            continue
        # The manifest's lines, where the key's are its one for one (a `|` block); else none: a line of the key's
        # text is not the line of the manifest an author would look at.
        start = getattr(origin, "data_lines", {}).get(key)
        documents.extend(_parse_documents(f"{origin}:{name}/{key}", text, problems, start=start))
    return documents


def build_catalog(
    documents: Iterable[tuple[str, Any]],
    registry: Registry,
    version: str | None = None,
    *,
    check_files: bool = True,
    only: str | None = None,
    named_files: dict[Path, tuple[int, ...]] | None = None,
) -> Catalog:
    """Validate already-parsed documents (origin, data); ConfigError lists every problem.

    `named_files`, when given, receives each file the catalog names that validation looked at (a source's
    ca_file), with its `catalog_paths.file_state` as found.

    Pyrra, Sloth and OpenSLO SLO documents stand for their equivalent `error_budget` checks.

    `only` (a Job, which runs one check): documents, sources and check names are checked as always, but of
    the checks only that one is validated now, and each check it looks up when it is linked (a composite's
    members), as each is first looked up; another check's definition is not read, so a mistake there fails
    `analyzer validate` and the service, not this Job. A name the catalog lacks is CheckNotFound at `get`.
    """
    documents, problems = _expand_slo_documents(documents)
    sources: dict[str, SourceConfig] = {}
    checks: dict[str, Check] = {}
    origins: dict[str, str] = {}
    positions: dict[str, str] = {}  # where each check is in its file: a duplicate names the first
    lines: dict[str, int] = {}  # the line each check read from a file starts at
    # With `only`: each check by name (origin, label, line, definition, its fields' lines), read on demand.
    raw_checks: dict[str, _RawCheck] = {}
    source_origins: dict[str, str] = {}
    invalid_sources: set[str] = set()  # listed as problems already: not "not defined" again for each check
    invalid_checks: set[str] = set()  # the same for a composite's member refused above: not "no check named" it
    flawed: set[str] = set()  # checks that were built, each with a problem of its own
    context: dict[str, Any] = {"check_files": check_files}
    field_lines = _FieldLines()
    if named_files is not None:
        context["named_files"] = named_files
    # Only without a version given: a repr walks every alias as a copy.
    digest = hashlib.sha256() if version is None else None
    for origin, data in documents:
        if digest is not None:
            digest.update(repr(data).encode())
        if not isinstance(data, dict):
            problems.append(f"{origin}: expected a mapping with `sources` and `checks`, got {type(data).__name__}")
            continue
        if _is_kubernetes_object(data):
            # One line for a whole manifest, not one "Extra inputs" per top-level field of a Deployment.
            problems.append(
                f"{origin}: a Kubernetes {data['kind']}, not a catalog: give the catalog's files, or the ConfigMap "
                "manifest holding them (`analyzer validate` also skips other objects of a directory)"
            )
            continue
        try:
            document = _CatalogDocument.model_validate(data)
        except ValidationError as exc:
            line_of = _under(field_lines, origin, [])
            problems.extend(
                f"{origin}: {_format_error(err, model=_CatalogDocument, line_of=line_of)}" for err in exc.errors()
            )
            continue
        for source_name, raw_source in document.sources.items():
            if isinstance(raw_source, dict):
                # Prometheus is the one source type so far; naming it is optional.
                raw_source = {"type": "prometheus", **raw_source}
            try:
                config = _SOURCE_ADAPTER.validate_python(raw_source, context=context)
                if source_name in source_origins:
                    # Team files of one ConfigMap may each carry the same source; only a conflict is an error.
                    if config != sources[source_name]:
                        # The fields named, never their values: a header may hold a credential.
                        earlier = sources[source_name]
                        differ = [
                            field
                            for field in type(config).model_fields
                            if type(earlier) is not type(config) or getattr(config, field) != getattr(earlier, field)
                        ]
                        problems.append(
                            f"{origin}: source {source_name!r} is also defined, differently ({', '.join(differ)}), in "
                            f"{source_origins[source_name]}: the catalog's files share one set of sources, which "
                            "their checks read by name; define it in one file only (a team's file of a ConfigMap "
                            "needs no sources of its own), or write it the same in both"
                        )
                    continue
                sources[source_name] = config
                source_origins[source_name] = origin
            except ValidationError as exc:
                invalid_sources.add(source_name)
                line_of = _under(field_lines, origin, ["sources", source_name])
                problems.extend(
                    f"{origin}: source {source_name!r}: "
                    + _format_error(err, tag="type", model=SourceConfig, line_of=line_of)
                    for err in exc.errors()
                )
        check_lines = getattr(origin, "check_lines", ())
        for index, raw_check in enumerate(document.checks):
            line = check_lines[index] if index < len(check_lines) else None
            label = _check_label(raw_check, index, line)
            line_of = _under(field_lines, origin, ["checks", index], line)
            # Checked in a Job's catalog too: a Job skips a check it cannot look up by name, and `off` ran as none.
            name_problem = _name_not_text(raw_check, field_lines, origin, ["checks", index, "name"], line_of)
            if name_problem is not None:
                problems.append(f"{origin}: {label}: {name_problem}")
            if only is not None and (name := _lookup_name(raw_check)) is not None:
                if name in raw_checks:
                    first = f"{raw_checks[name][0]} ({positions[name]})"
                    problems.append(f"{origin}: {label}: duplicate check name, also defined in {first}")
                    continue
                raw_checks[name] = (origin, label, line, raw_check, line_of)
                positions[name] = _position(index, line)
                continue
            # A check no lookup can find (no name, or one that is none) is validated whole by a Job's catalog too,
            # as `analyzer validate` validates it: a Job cannot tell that it is not the check it was asked to run.
            try:
                check = registry.parse_check(raw_check, context)
            except ValidationError as exc:
                if isinstance(raw_check, dict) and isinstance(raw_check.get("name"), str):
                    invalid_checks.add(raw_check["name"])
                kind = _kind_of(raw_check, registry)
                problems.extend(
                    f"{origin}: {label}: "
                    + _format_error(err, tag="kind", tag_in_location=False, model=kind, raw=raw_check, line_of=line_of)
                    for err in exc.errors()
                    if name_problem is None or err["loc"] != ("name",)
                )
                continue
            unplaced = _unplaced_params(check, raw_check)
            if unplaced:
                problems.extend(f"{origin}: {label}: {problem}" for problem in unplaced)
                flawed.add(check.name)
            if check.name in checks:
                first = f"{origins[check.name]} ({positions[check.name]})"
                problems.append(f"{origin}: {label}: duplicate check name, also defined in {first}")
                continue
            checks[check.name] = check
            # As plain text: an Origin holds the text it was read from, which the catalog has no use for.
            origins[check.name] = str(origin)
            positions[check.name] = _position(index, line)
            if line is not None:
                lines[check.name] = line
    if version is None:
        assert digest is not None
        version = digest.hexdigest()[:12]
    if only is not None:
        if problems:
            raise ConfigError("the catalog is invalid", problems)
        return _build_on_demand(raw_checks, registry, sources, version, only)
    catalog = Catalog(sources=sources, checks=checks, version=version, origins=origins)
    for name, check in checks.items():
        try:
            check.link(catalog)
        except ValueError as exc:
            # A member refused above exists: "no check named" it would send its author looking for a typo.
            if not check.source_names() & invalid_sources and not check.member_names() & invalid_checks:
                at = f" (line {lines[name]})" if name in lines else ""
                problems.append(f"{origins[name]}: check {name!r}{at}: {exc}")
            flawed.add(name)
            continue
        too_big = _oversized_query(check)
        if too_big is not None:
            at = f" (line {lines[name]})" if name in lines else ""
            problems.append(f"{origins[name]}: check {name!r}{at}: {too_big}")
            flawed.add(name)
            continue
        catalog.warnings.extend(f"{origins[name]}: check {name!r}: {w}" for w in _warnings(check))
    if problems:
        valid = {name: check for name, check in checks.items() if name not in flawed}
        unjudged = frozenset(invalid_checks | flawed)
        raise InvalidCatalog(
            problems, Catalog(sources=sources, checks=valid, version=version, origins=origins, unjudged=unjudged)
        )
    return catalog


def _oversized_query(check: Check) -> str | None:
    """The first query of `check` (rendered with its params' examples, defaults or placeholders) too deep or long to
    give promql-parser without overflowing its stack (promql_text.promql_size_problem), as "field: why"; None when
    none is. Checked at load, before any lint parses it: a crash there would take `serve` down with the good
    catalog it still held."""
    from analyzer.promql_text import promql_size_problem

    for query_field, query in check.promql(sample_values(check.params)):
        problem = promql_size_problem(query)
        if problem is not None:
            return f"{query_field}: {problem}: write it with fewer nested brackets and operators"
    return None


def sample_secrets(check: Check) -> tuple[str, ...]:
    """The examples and defaults of `check`'s secret params in the forms a query holds them (but those too short to be
    searched for, as the runner leaves them): what a warning or problem quoting a query rendered with them must not
    show, as `GET /api/v1/checks/{name}` and `analyzer validate --prometheus` do not."""
    found: list[str] = []
    for name in sorted(check.secret_params()):
        param = check.params.get(name)
        raw = None if param is None else param.example if param.example is not None else param.default
        if param is None or raw is None:
            continue
        text = render_value(param.parse(name, raw))
        if len(text) >= MIN_HIDDEN_CHARS:
            found += promql_forms(text)
    return tuple(found)


def _warnings(check: Check) -> list[str]:
    """The kind's warnings for `check` (without its secret params' examples and defaults, which a warning quoting a
    query rendered with them would show), and one per secret param that accepts a value too short to be searched for
    in reasons and evidence (redaction.MIN_HIDDEN_CHARS): an arg "42" is shown as <redacted> in args only."""
    found: list[str] = scrubber(sample_secrets(check))(list(check.warnings()))
    for name in sorted(check.secret_params()):
        param = check.params.get(name)
        hint = param.short_values_hint(MIN_HIDDEN_CHARS) if param is not None else None
        if hint is not None:
            found.append(
                f"secret param {name!r} accepts values shorter than {MIN_HIDDEN_CHARS} characters, which reasons "
                f"and evidence would show (a secret that short is guessed anyway); refuse them with {hint}"
            )
    # Said, as the name may hold a word of a secret's and nothing secret (`keyspace`, `auth_service`): its value is
    # then hidden in every query and reason quoting it, and a verdict page draws no plot of the query.
    found.extend(
        f"param {name!r} is secret by its name: its value shows as <redacted> in args, links, the history, logs and "
        "every query or reason quoting it, and a verdict page draws no plot of it; write secret: true to keep it so "
        "(and silence this), or secret: false if it holds no credential"
        for name in sorted(check.secret_by_name())
    )
    return found


def _expand_slo_documents(documents: Iterable[tuple[str, Any]]) -> tuple[list[tuple[str, Any]], list[str]]:
    """`analyzer.imports.expand_slo_documents`, imported only when a document may be a foreign SLO (it has
    an `apiVersion` or a `version`, or is a list): a catalog of our own documents does not pay for it."""
    documents = list(documents)
    if not any(
        isinstance(data, list) or (isinstance(data, dict) and ("apiVersion" in data or "version" in data))
        for _, data in documents
    ):
        return documents, []
    from analyzer.imports import expand_slo_documents

    return expand_slo_documents(documents)


# A check read on demand (a Job's): where it was read, its label, its line, its definition, and its fields' lines.
_RawCheck = tuple[str, str, int | None, Any, Callable[[Sequence[Any]], int | None]]


def _build_on_demand(
    raws: dict[str, _RawCheck], registry: Registry, sources: dict[str, SourceConfig], version: str, only: str
) -> Catalog:
    """The catalog of a Job: every check known by name, `only` validated and linked now, and each check a
    link looks up validated and linked when it is first looked up."""
    checks = _OnDemandChecks(raws, registry)
    catalog = Catalog(sources=sources, checks=checks, version=version, origins={n: r[0] for n, r in raws.items()})
    checks.catalog = catalog
    checks.get(only)  # validated and linked now: a mistake in it is ConfigError here, not at the first `get`
    return catalog


class _OnDemandChecks(Mapping[str, Check]):
    """Checks by name, each validated and linked when first looked up; ConfigError when it is invalid."""

    def __init__(self, raws: dict[str, _RawCheck], registry: Registry) -> None:
        """Check definitions by name (see `_RawCheck`); `catalog` is set before the first lookup."""
        self._raws = raws
        self._registry = registry
        self._built: dict[str, Check] = {}
        self.catalog: Catalog | None = None

    def __getitem__(self, name: str) -> Check:
        check = self._built.get(name)
        if check is not None:
            return check
        origin, label, line, raw, line_of = self._raws[name]
        try:
            check = self._registry.parse_check(raw)
        except ValidationError as exc:
            raise ConfigError(
                "the catalog is invalid",
                [
                    f"{origin}: {label}: "
                    + _format_error(
                        e,
                        tag="kind",
                        tag_in_location=False,
                        model=_kind_of(raw, self._registry),
                        raw=raw,
                        line_of=line_of,
                    )
                    for e in exc.errors()
                ],
            ) from None
        unplaced = _unplaced_params(check, raw)
        if unplaced:
            raise ConfigError("the catalog is invalid", [f"{origin}: {label}: {problem}" for problem in unplaced])
        # Known before its link runs, so that a cycle of composites meets it instead of building it again.
        self._built[name] = check
        assert self.catalog is not None
        try:
            check.link(self.catalog)
        except ValueError as exc:
            del self._built[name]
            at = "" if line is None else f" (line {line})"
            raise ConfigError("the catalog is invalid", [f"{origin}: check {name!r}{at}: {exc}"]) from None
        self.catalog.warnings.extend(f"{origin}: check {name!r}: {w}" for w in _warnings(check))
        return check

    def __contains__(self, name: object) -> bool:
        return name in self._raws

    def __iter__(self) -> Iterator[str]:
        return iter(self._raws)

    def __len__(self) -> int:
        return len(self._raws)


def _unplaced_params(check: Check, raw: Any) -> list[str]:
    """A problem for each declared param that the check places nowhere: the caller's arg for it (the canary's
    hash) would be accepted and ignored, and the check would judge what it measures without it (every pod)."""
    return [
        _as_grafana_writes(raw, name)
        or f"params.{name}: declared, but no field of the check places it (no {{{{ {name} }}}}), so an arg given for "
        f"it would change nothing the check measures; put {{{{ {name} }}}} where it selects (a label matcher: "
        f'rollouts_pod_template_hash="{{{{ {name} }}}}") or remove the param'
        for name in check.unplaced_params()
    ]


def _as_grafana_writes(raw: Any, name: str) -> str:
    """The problem of a param written where it belongs as a Grafana variable (`$name`, `${name}`, `${name:raw}`,
    `[[name]]`: a query pasted from a dashboard's panel) or in single braces (`{name}`, as Python's format and
    OpenAPI's paths write one), naming the field; "" when no field holds one."""
    import re  # only for an invalid catalog

    grafana = re.compile(rf"\$\{{{re.escape(name)}(?::\w+)?\}}|\${re.escape(name)}\b|\[\[{re.escape(name)}\]\]")
    single = re.compile(rf"(?<!\{{)\{{ *{re.escape(name)} *\}}(?!\}})")
    for where, value in _texts_of(raw, ""):
        if where == "description":
            continue
        if found := grafana.search(value):
            syntax = "Grafana's variable syntax"
        elif found := single.search(value):
            syntax = "in single braces"
        else:
            continue
        return (
            f"params.{name}: declared, but no field of the check places it: {where} holds {found.group(0)}, "
            f"{syntax}, which the analyzer leaves as it is; write {{{{ {name} }}}}"
        )
    return ""


def _texts_of(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, text) of every string in a check's definition but its params (`ratio.errors`, `steps.0.path`)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if not (path == "" and key == "params"):
                yield from _texts_of(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts_of(value, f"{path}.{index}")


def _kind_of(raw: Any, registry: Registry) -> type[Check] | None:
    """The class of the kind a check definition names, when it names a registered one."""
    kind = raw.get("kind") if isinstance(raw, dict) else None
    return registry.load(kind) if isinstance(kind, str) and kind in registry.names else None


def _under(
    field_lines: _FieldLines, origin: str, prefix: list[Any], start: int | None = None
) -> Callable[[Sequence[Any]], int | None]:
    """The line of a field under `prefix` of the document read as `origin` (see `_FieldLines`), None when it is
    `start`, the line its check is named with already."""

    def line_of(location: Sequence[Any]) -> int | None:
        line = field_lines.of(origin, [*prefix, *location])
        return None if line == start else line

    return line_of


def _position(index: int, line: int | None) -> str:
    """Where a check is in its document: its index in `checks`, and its line when it was read from text."""
    return f"checks[{index}]" + ("" if line is None else f", line {line}")


def _lookup_name(raw: Any) -> str | None:
    """The name a check definition can be looked up by: its `name`, when that is a check name."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return name if isinstance(name, str) and check_name_problem(name) is None else None


def _name_not_text(
    raw: Any, field_lines: _FieldLines, origin: str, path: list[Any], line_of: Callable[[Sequence[Any]], int | None]
) -> str | None:
    """The problem of a check's `name` (at `path` of the document read as `origin`, its line by `line_of`) that YAML
    1.1 read as a boolean, number, date or null (`off` as false), which no name lookup finds; None for any other."""
    name = raw.get("name", "") if isinstance(raw, dict) else ""
    if not (name is None or isinstance(name, bool | int | float | date)):
        return None
    if name is None:
        read_as = "null"
    elif isinstance(name, bool):
        read_as = str(name).lower()
    elif isinstance(name, date):
        read_as = "a date and time" if isinstance(name, datetime) else "a date"
    else:
        read_as = str(name)
    text = field_lines.written(origin, path)
    line = line_of(["name"])
    # Its own line when it is not the check's first (the one its label names).
    field = "name" if line is None else f"name (line {line})"
    if text is None:
        return f"{field}: {read_as} is read by YAML as no text: quote the name it was written as"
    if text == "":
        return f"{field}: nothing is read as {read_as} by YAML, not as text: write the name"
    as_text = check_name_problem(text)
    if as_text is not None:
        # Quoted, it would be refused all the same.
        return f"{field}: {text} is read as {read_as} by YAML, and as text is no check name either: {as_text}"
    return f"{field}: {text} is read as {read_as} by YAML, not as text: quote it: {_quoted(text)}"


def _key_read_as(key: Any) -> str | None:
    """What YAML 1.1 read a mapping's key written bare as when it is no text (`on` as true); None for text."""
    if isinstance(key, bool):
        return "true (a bare yes, on or true)" if key else "false (a bare no, off or false)"
    if key is None:
        return "null (a bare null, ~ or nothing)"
    if isinstance(key, int | float):
        return f"the number {key}"
    if isinstance(key, datetime):
        return "a date and time"
    if isinstance(key, date):
        return f"a date (a bare {key})"
    return None


def _check_label(raw: Any, index: int, line: int | None = None) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, str):
        return f"check {name!r} ({_position(index, line)})"
    return f"checks[{index}]" + ("" if line is None else f" (line {line})")


def _format_error(
    error: Mapping[str, Any],
    tag: str | None = None,
    *,
    tag_in_location: bool = True,
    model: Any = None,
    raw: Any = None,
    line_of: Callable[[Sequence[Any]], int | None] | None = None,
) -> str:
    """One pydantic error as `field.path: message`, or `field.path (line N): message` when `line_of` gives the line
    its field (or the list item, the mapping that lacks it) is written at; `tag` names the discriminator of a union,
    whose value pydantic puts first in the location unless `tag_in_location` is false (the registry's kind
    dispatch). `model` (the type validated) lets a misspelt field name the field it most likely meant; `raw` (what
    was validated) lets a missing field name the block that swallowed it."""
    location = list(error.get("loc", ()))
    if (
        tag
        and tag_in_location
        and location
        and isinstance(location[0], str)
        and error.get("type") != "union_tag_invalid"
    ):
        location = location[1:]
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "union_tag_invalid" and tag:
        expected = error.get("ctx", {}).get("expected_tags", "")
        written = error.get("input", {}).get(tag)
        message = f"unknown {tag} {written!r} (known: {expected})" + (
            _one_of(written, expected) or _plugin_kind(tag, written)
        )
        # Said at the tag's own field (`kind:`), whose line a long check's first line would leave to be searched for.
        location = [tag]
    if error.get("type") in ("literal_error", "enum"):
        written = error.get("input")
        message += f", got {clip(repr(written), 80)}" + _one_of(written, error.get("ctx", {}).get("expected", ""))
    if error.get("type") in _SCALAR_ERRORS and not _SECRET_PLACES & {str(part) for part in location}:
        written = error.get("input")
        message += f", got {clip(repr(written), 80)}" + (_in_units(location, written) or _in_percent(location, written))
    if error.get("type") in ("dict_type", "list_type", "model_type") and error.get("input") is None:
        # `params:` with nothing under it: what belongs to it was not indented under it.
        message += ", got nothing: is what belongs to it indented under it?"
    elif error.get("type") == "list_type" and isinstance(error.get("input"), dict):
        message += ", got a mapping (each item of a YAML list starts with `- `)"
    elif error.get("type") == "dict_type" and isinstance(items := error.get("input"), list):
        message += _keyed_by_name(str(location[-1]) if location else "it", items)
    elif (
        error.get("type") == "list_type"
        and isinstance(written := error.get("input"), str | int | float)
        and not _SECRET_PLACES & {str(part) for part in location}
    ):
        # One value where a list belongs (`status: 200`): the list it most likely meant.
        import json  # only for an invalid catalog

        message += f", got {clip(repr(written), 80)}: write a list, as [{clip(json.dumps(written), 80)}]"
    if error.get("type") == "missing" and len(location) == 1:
        field = str(location[0])
        message += _swallowed(raw, field) or _passing_beside(raw, field) or _pass_if_missing(raw, field)
    elif error.get("type") == "missing" and len(location) == 3 and location[0] == "params" and location[2] == "type":
        message += f"; write type: label_value for a label's value (a canary's hash), or one of {_PARAM_TYPES}"
    if error.get("type") == "union_tag_not_found":
        context = error.get("ctx", {})
        message = f"missing `{tag}`" + (f" (known: {context['expected_tags']})" if context.get("expected_tags") else "")
        if context.get("meant"):
            message += f"; its fields are a {context['meant']} check's: write {tag}: {context['meant']}"
    if error.get("type") == "extra_forbidden" and location:
        message = "unknown field" + _meant(str(location[-1]), _fields_at(model, location[:-1]), error.get("input"))
    if error.get("type") == "model_type" and location:
        fields = _fields_at(model, location)
        if fields:
            # Clipped: the problem goes to the log and /readyz, and what was written may be a pasted block.
            message = f"expected a mapping of {', '.join(fields)}, got {clip(repr(error.get('input')), 80)}"
    if error.get("type") == "string_type" and location[-1:] == ["[key]"]:
        read_as = _key_read_as(error.get("input"))
        if read_as is not None:
            # pydantic's `params.1.[key]: Input should be a valid string` named neither `on` nor YAML.
            location = location[:-2]
            message = f"a key YAML reads as {read_as}, not as text: quote it"
    elif error.get("type") == "string_type" and error.get("input") is not None:
        read_as = _key_read_as(error.get("input"))
        if read_as is not None:
            # `check: off` in a member named neither `off` nor YAML either; a secret's value goes unnamed.
            secret = _SECRET_PLACES & {str(part) for part in location}
            message = (
                "a value YAML reads as no text (a bare yes, no, on, off, number or date): quote it"
                if secret
                else f"a value YAML reads as {read_as}, not as text: quote it"
            )
    path = ".".join(str(part) for part in location)
    line = line_of(location) if line_of is not None and path else None
    return f"{path}{'' if line is None else f' (line {line})'}: {message}" if path else message


def _keyed_by_name(field: str, items: list[Any]) -> str:
    """What to say after a list where a mapping belongs: `params` written as Argo Rollouts writes an
    AnalysisTemplate's args (`- name: canary_hash`), its items keyed by their names instead; headers written as
    `- name:` (or `key:`) and `value:` pairs, each pair one line."""
    for key in ("key", "name"):
        pairs = all(isinstance(item, dict) and set(item) == {key, "value"} for item in items)
        if items and pairs and field != "params":
            # Not "drop the dashes": one pair would become the headers `key` and `value`, a valid mapping.
            shown = ", ".join(f"{clip(str(item[key]), 40)}: ..." for item in items[:3]) + (
                ", ..." if len(items) > 3 else ""
            )
            return (
                f", got a list of `- {key}:` and `value:` items (as Kubernetes and Argo Rollouts write headers): write "
                f"each as one `NAME: VALUE` line, {field}: {{{shown}}}"
            )
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if not names or len(names) != len(items) or not all(isinstance(name, str) for name in names):
        return ", got a list (`- ` items): write its entries as `key: value` lines, without `- `"
    shown = ", ".join(f"{clip(str(name), 40)}: {{...}}" for name in names[:3]) + (", ..." if len(names) > 3 else "")
    return (
        f", got a list of `- name:` items (as Argo Rollouts writes args): {field} is keyed by name, write "
        f"{field}: {{{shown}}}, each item without its name field"
    )


def _swallowed(raw: Any, field: str) -> str:
    """What to say after a missing field that a multi-line text beside it holds as a line of its own (`pass_if:`
    indented as deep as the lines of the `query: |` block above it, which took it in)."""
    import re  # only for an invalid catalog

    if not isinstance(raw, dict):
        return ""
    line = re.compile(rf"^[ \t]*{re.escape(field)}[ \t]*:", re.MULTILINE)
    holders = [
        str(key) for key, value in raw.items() if isinstance(value, str) and "\n" in value and line.search(value)
    ]
    if not holders:
        return ""
    return (
        f"; the text of {holders[0]} holds a line `{field}:`, indented as deep as the lines of its `|` block, which "
        f"took it in: indent {field} as {holders[0]} is"
    )


def _pass_if_missing(raw: Any, field: str) -> str:
    """What to say after a missing `pass_if` that nothing beside it explains: how one is written, with the bound of
    a field another tool would have held it in (`threshold: 0.5`)."""
    if field != "pass_if":
        return ""
    held = [name for name, meant in _SYNONYMS.items() if meant == "pass_if" and isinstance(raw, dict) and name in raw]
    written = raw[held[0]] if held else None
    return "; " + _pass_if_hint(written)


def _passing_beside(raw: Any, field: str) -> str:
    """What to say after a missing `pass_if` beside a `fail_if` (Argo's failureCondition written alone): the pass_if
    that passes what the fail_if lets through."""
    from analyzer.comparison import Condition  # only for an invalid catalog

    written = raw.get("fail_if") if field == "pass_if" and isinstance(raw, dict) else None
    try:
        failing = Condition.parse(written) if isinstance(written, str) else None
    except ValueError:
        # Refused on its own line, which says what to write.
        return ""
    if failing is None:
        return ""
    return (
        f'; only a value meeting pass_if passes, fail_if says what fails: for "fail when {failing}, else pass" write '
        f'pass_if: "{failing.opposite()}", and leave fail_if out (a value not meeting pass_if fails)'
    )


# Type errors whose message does not quote what was written; quoted unless the value may be a credential.
_SCALAR_ERRORS = frozenset(
    {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "bool_parsing", "bool_type"}
)
_SECRET_PLACES = frozenset({"headers", "args", "default", "example", "body", "token"})


# A duration written with its unit where a field's name gives the unit (`timeout_s: 5s`, `deadline_s: 2m`).
_SECONDS_IN = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_FIELD_UNITS = {"s": (1.0, "seconds"), "ms": (0.001, "milliseconds")}


def _in_units(location: list[Any], written: Any) -> str:
    """What to say after a number written with a unit in a field whose name ends in its unit: the number to write."""
    import re  # only for an invalid catalog

    field = str(location[-1]) if location else ""
    unit = _FIELD_UNITS.get(field.rpartition("_")[2]) if "_" in field else None
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*", written) if isinstance(written, str) else None
    if unit is None or found is None:
        return ""
    number = float(found[1]) * _SECONDS_IN[found[2]] / unit[0]
    return f"; {field} is in {unit[1]} (its name ends in _{field.rpartition('_')[2]}): write {format_number(number)}"


# Fields written in percent (an SLO's objective, a scorecard's scores of 100), and fields that are fractions of 1.
_PERCENT_FIELDS = frozenset({"objective", "pass_score", "warning_score"})
_FRACTION_FIELDS = frozenset(
    {"max_relative_change", "confidence", "power", "min_detectable_effect", "min_budget_remaining", "min_success_ratio"}
)


def _in_percent(location: list[Any], written: Any) -> str:
    """What to say after a number written with a percent sign (`max_relative_change: 5%`): the number to write, in
    percent or as a fraction as the field is."""
    import re  # only for an invalid catalog

    field = str(location[-1]) if location else ""
    found = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%\s*", written) if isinstance(written, str) else None
    if found is None:
        return ""
    if field in _PERCENT_FIELDS:
        return f"; {field} is in percent without the sign: write {found[1]}"
    if field in _FRACTION_FIELDS:
        return f"; {field} is a fraction of 1: write {format_number(float(found[1]) / 100)} for {found[1]}%"
    return ""


_PARAM_TYPES = ", ".join(repr(str(member)) for member in ParamType)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


# Other tools' words for a value, which resemble no option by their letters: another schema's name of a param type
# (JSON Schema's, Python's), a check kind named after what it reads or judges (`promql`, `slo`), a composite's mode
# named after how it judges (`weighted`).
_OTHER_TOOLS_WORDS = {
    "string": "label_value",
    "str": "label_value",
    "text": "label_value",
    "int": "number",
    "integer": "number",
    "float": "number",
    "promql": "prometheus",
    "query": "prometheus",
    "promql_query": "prometheus",
    "prometheus_query": "prometheus",
    "slo": "error_budget",
    "sli": "error_budget",
    "burn_rate": "error_budget",
    "burnrate": "error_budget",
    "scorecard": "composite",
    # A composite's mode named after how it judges: Kayenta's and Keptn's weighted scores.
    "weighted": "score",
    "weights": "score",
}


def _plugin_kind(tag: str, written: Any) -> str:
    """What to do about a kind no installed package provides, when it is named like one: install the plugin."""
    import re  # only for an invalid catalog

    if tag != "kind" or not isinstance(written, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", written):
        return ""
    # A third-party kind is known only where its package is installed: the laptop that wrote the catalog may
    # have it while the CI runner or the image does not.
    return (
        f"; a kind of your own is known once its package, registering {written!r} in the entry-point group "
        "analyzer.checks, is installed in the same Python environment as analyzer (pip install YOUR-PACKAGE; in "
        "the image too): see Writing a check kind"
    )


def _one_of(written: Any, expected: Any) -> str:
    """What to say after a value that is not one of `expected` (pydantic's "'a', 'b' or 'c'"): the one a typo meant."""
    import difflib  # only for an invalid catalog
    import re

    if not isinstance(written, str) or not written:
        return ""
    options = re.findall(r"'((?:[^'\\]|\\.)*)'", str(expected))
    # A prefix first: `label` meant `label_value`, which difflib ranks below `dns_label`.
    close = [option for option in options if option.startswith(written.lower())]
    # Another tool's word for it: what resembles no option by its letters.
    close = close or [
        option for option in options if option == _OTHER_TOOLS_WORDS.get(written.lower().replace("-", "_"))
    ]
    close = close or difflib.get_close_matches(written.lower(), options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# Other tools' words for a field, which resemble another field by their letters (`stable` is closest to `step`) or
# none: Argo Rollouts' conditions, a Prometheus rule's `expr`, a timeout where a check has its deadline.
_SYNONYMS = {
    "stable": "baseline",
    "control": "baseline",
    "primary": "baseline",
    "treatment": "canary",
    "threshold": "pass_if",
    "condition": "pass_if",
    "successCondition": "pass_if",
    "success_condition": "pass_if",
    "failureCondition": "fail_if",
    "failure_condition": "fail_if",
    "expr": "query",
    "promql": "query",
    "timeout": "deadline_s",
    "timeout_s": "deadline_s",
    "timeoutSeconds": "deadline_s",
}


def _meant(name: str, fields: list[str], written: Any = None) -> str:
    """What to say after "unknown field": the field a typo most likely meant, else the fields there are; `written`
    (the field's value) lets a threshold name the pass_if to write."""
    import difflib  # only for an invalid catalog

    close = [_SYNONYMS[name]] if _SYNONYMS.get(name) in fields else []
    close = close or difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    if close == ["pass_if"] and name != "pass_if":
        hint = _pass_if_hint(written)
        return f"; did you mean 'pass_if'? {hint[0].upper()}{hint[1:]}"
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (the fields here: {', '.join(fields)})" if fields else ""


# A number as a bound is written, in a string.
_NUMBER_RE = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def _pass_if_hint(written: Any) -> str:
    """How a pass_if is written, with what another tool's field held (`threshold: 0.5`, `successCondition: result <
    0.5`) as its bound or condition when it reads as one."""
    from analyzer.comparison import Condition, meant_condition  # only for an invalid catalog

    how = "a bound is written with the comparison a passing value meets, quoted: pass_if:"
    if isinstance(written, str) and _NUMBER_RE.fullmatch(written):
        # A bound quoted (`threshold: "0.5"`) is the user's bound all the same.
        written = float(written)
    if isinstance(written, int | float) and not isinstance(written, bool):
        bound = format_number(float(written))
        return f'{how} "< {bound}", or "> {bound}" when a larger value is better'
    if isinstance(written, str):
        try:
            return f'{how} "{Condition.parse(written)}"'
        except ValueError:
            meant = meant_condition(written)
            if meant is not None:
                return f'{how} "{meant}"'
    return f'{how} "< 0.01"'


def _fields_at(annotation: Any, location: list[Any]) -> list[str]:
    """The field names of the model that `location` reaches inside `annotation`; [] when it cannot be followed."""
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _fields_at(args[0], location)
    if args and origin in (typing.Union, types.UnionType):
        # pydantic names the member a model's error is in (`VariantQueries` of `str | VariantQueries`) in the location.
        named = [member for member in args if location and getattr(member, "__name__", None) == location[0]]
        if named:
            return _fields_at(named[0], location[1:])
        return next((found for member in args if (found := _fields_at(member, location))), [])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = {info.alias or name: info for name, info in annotation.model_fields.items()}
        if not location:
            return list(fields)
        info = fields.get(location[0])
        return _fields_at(info.annotation, location[1:]) if info is not None else []
    if location and origin in (dict, Mapping) and len(args) == 2:
        return _fields_at(args[1], location[1:])
    if location and isinstance(location[0], int) and origin in (list, tuple) and args:
        return _fields_at(args[0], location[1:])
    return []
