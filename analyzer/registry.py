"""The registry of check kinds: built-ins plus the `analyzer.checks` entry-point group.

Kinds are known by name before their classes are imported: a catalog imports (and builds the pydantic
schema of) only the kinds it uses, which is most of a Job's start-up time otherwise.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Annotated, Any, NamedTuple, Union

from pydantic import Field, TypeAdapter, ValidationError

from analyzer.check import Check
from analyzer.errors import ConfigError
from analyzer.logs import get_logger

ENTRY_POINT_GROUP = "analyzer.checks"

logger = get_logger("analyzer.registry")

# The built-in kinds, by name, as "module:Class": each uses the same contract as a third-party kind, and a
# catalog imports only the kinds it uses. Dotted strings keep the core from importing the built-ins package.
DEFAULT_KINDS: Mapping[str, str] = {
    "prometheus": "checks.prometheus:PrometheusCheck",
    "error_budget": "checks.error_budget:ErrorBudgetCheck",
    "http_smoke": "checks.http_smoke:HttpSmokeCheck",
    "kpi_compare": "checks.kpi_compare:KpiCompareCheck",
    "composite": "checks.composite:CompositeCheck",
}


_BUILTIN_TARGETS = frozenset(DEFAULT_KINDS.values())


def kind_name(kind: type[Check]) -> str:
    """The `kind` literal a check class declares."""
    field = kind.model_fields.get("kind")
    name = field.default if field is not None else None
    if not isinstance(name, str) or not name:
        raise ConfigError(f'check kind {kind.__qualname__} must declare kind: Literal[...] = "..."')
    return name


def warm_kinds(kinds: Iterable[type[Check]]) -> None:
    """Call each kind's `warm`; one that fails is logged, and its first evaluation pays (or fails) instead."""
    started = time.monotonic()
    for kind in kinds:
        try:
            kind.warm()
        except Exception:
            # A plugin's warm-up must not keep the other kinds from being served.
            logger.exception("kind_warm_failed", kind=kind_name(kind))
    logger.info("kinds_warmed", duration_s=round(time.monotonic() - started, 3))


# A NamedTuple, not a frozen dataclass: the same immutable value, without the six methods a dataclass compiles
# from source when the module is imported (3.3M instructions of every command's start).
class KindRef(NamedTuple):
    """A kind known by name whose class is imported on first use: a built-in or an entry point."""

    name: str
    target: str
    load: Callable[[], object]
    plugin: bool = False

    @classmethod
    def builtin(cls, name: str, target: str) -> KindRef:
        """A kind whose class is `target`, written "package.module:Class"."""
        module, _, attribute = target.partition(":")
        return cls(name, target, lambda: getattr(importlib.import_module(module), attribute))

    def resolve(self) -> type[Check]:
        """Import the class; ConfigError when it fails, is not a Check, or declares another kind."""
        what = "check kind plugin" if self.plugin else "check kind"
        try:
            kind = self.load()
        except Exception as exc:
            raise ConfigError(f"{what} {self.name!r} ({self.target}) failed to load: {exc}") from exc
        what = "entry point" if self.plugin else "built-in kind"
        if not (isinstance(kind, type) and issubclass(kind, Check)):
            raise ConfigError(f"{what} {self.name!r} ({self.target}) is not a Check subclass")
        if kind_name(kind) != self.name:
            raise ConfigError(f"{what} {self.name!r} loads kind {kind_name(kind)!r}; the names must match")
        return kind


class Registry:
    """The check kinds a catalog may use; a value built at start (tests build their own)."""

    def __init__(self, kinds: Iterable[type[Check] | KindRef]) -> None:
        """Register classes and by-name references; ConfigError when two share a name or a class is not a Check."""
        self._refs: dict[str, KindRef] = {}
        self._loaded: dict[str, type[Check]] = {}
        where: dict[str, str] = {}
        for kind in kinds:
            if isinstance(kind, KindRef):
                name, origin = kind.name, kind.target
            elif isinstance(kind, type) and issubclass(kind, Check):
                name, origin = kind_name(kind), f"{kind.__module__}.{kind.__qualname__}"
            else:
                raise ConfigError(f"{kind!r} is not a subclass of analyzer.Check")
            if name in where:
                raise ConfigError(f"check kind {name!r} is registered twice: by {where[name]} and by {origin}")
            where[name] = origin
            if isinstance(kind, KindRef):
                self._refs[name] = kind
            else:
                self._loaded[name] = kind
        if not where:
            raise ConfigError("no check kinds registered")
        self._names = tuple(where)
        self._union: TypeAdapter[Check] | None = None

    @classmethod
    def default(cls) -> Registry:
        """Built-in kinds plus every kind installed under the `analyzer.checks` entry-point group, by name:
        nothing is imported until a catalog uses it or `load_all` is called."""
        return cls([*BUILTIN_KINDS, *entry_point_kinds()])

    @property
    def names(self) -> tuple[str, ...]:
        """Every kind name, in registration order, without importing any kind."""
        return self._names

    @property
    def kinds(self) -> Mapping[str, type[Check]]:
        """Kind name to class; imports every kind."""
        return {name: self.load(name) for name in self._names}

    def load(self, name: str) -> type[Check]:
        """The class of a registered kind, imported on first use; ConfigError when it cannot be loaded."""
        kind = self._loaded.get(name)
        if kind is None:
            kind = self._loaded[name] = self._refs[name].resolve()
        return kind

    def load_all(self) -> None:
        """Import every kind now, so that a broken plugin fails here rather than at first use."""
        for name in self._names:
            self.load(name)

    def parse_check(self, raw: Any, context: dict[str, Any] | None = None) -> Check:
        """Validate one check definition by the class its `kind` names (imported on first use); `context` is the
        catalog's validation context (check_files, named_files).

        ValidationError as a union discriminated on `kind` raises it, except that locations are inside
        the kind (no leading tag).
        """
        if not isinstance(raw, dict):
            raise _error("model_attributes_type", raw)
        if "kind" not in raw:
            known = ", ".join(repr(name) for name in self._names)
            raise _error(
                "union_tag_not_found", raw, discriminator="'kind'", expected_tags=known, meant=self._fitting(raw)
            )
        tag = raw["kind"]
        if not isinstance(tag, str) or tag not in self._names:
            raise _error(
                "union_tag_invalid",
                raw,
                discriminator="'kind'",
                tag=str(tag),
                expected_tags=", ".join(repr(name) for name in self._names),
            )
        return self.load(tag).model_validate(raw, context=context)

    def _fitting(self, raw: dict[Any, Any]) -> str:
        """The one kind whose fields hold every field of `raw` (a check written without its `kind`), else "". Of the
        kinds imported already and the built-ins, which it imports: a plugin is imported only by a definition that
        names it (it may be slow to import, or fail)."""
        fitting = [
            name
            for name in self._names
            if (name in self._loaded or self._refs[name].target in _BUILTIN_TARGETS)
            and set(raw) <= {info.alias or field for field, info in self.load(name).model_fields.items()}
        ]
        return fitting[0] if len(fitting) == 1 else ""

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of a check definition (all kinds, which it imports)."""
        if self._union is None:
            members = tuple(self.kinds.values())
            # A union built at run time from the registered classes: mypy cannot see its members.
            union: Any = Annotated[Union[members], Field(discriminator="kind")]  # noqa: UP007 (runtime tuple)
            self._union = TypeAdapter(union)
        return self._union.json_schema()


def _error(error_type: str, raw: Any, **context: str) -> ValidationError:
    """The error pydantic's discriminated union raises for a definition it cannot route to a kind."""
    error: Any = {"type": error_type, "loc": (), "input": raw}
    if context:
        error["ctx"] = context
    return ValidationError.from_exception_data("Check", [error])


def entry_point_kinds() -> list[KindRef]:
    """Kinds of installed distributions, by their entry-point name (which must equal the kind); not imported."""
    return [
        KindRef(entry_point.name, entry_point.value, entry_point.load, plugin=True)
        for entry_point in entry_points(group=ENTRY_POINT_GROUP)
    ]


BUILTIN_KINDS: tuple[KindRef, ...] = tuple(KindRef.builtin(name, target) for name, target in DEFAULT_KINDS.items())
