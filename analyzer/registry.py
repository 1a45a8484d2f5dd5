"""The registry of check kinds: built-ins plus the `analyzer.checks` entry-point group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from analyzer.check import Check
from analyzer.errors import ConfigError

ENTRY_POINT_GROUP = "analyzer.checks"


def kind_name(kind: type[Check]) -> str:
    """The `kind` literal a check class declares."""
    field = kind.model_fields.get("kind")
    name = field.default if field is not None else None
    if not isinstance(name, str) or not name:
        raise ConfigError(f"check kind {kind.__qualname__} must declare kind: Literal[...] = \"...\"")
    return name


class Registry:
    """The check kinds a catalog may use; a value built at start (tests build their own)."""

    def __init__(self, kinds: Iterable[type[Check]]) -> None:
        """Register kinds; ConfigError when two share a name or a class is not a Check."""
        self._kinds: dict[str, type[Check]] = {}
        for kind in kinds:
            if not (isinstance(kind, type) and issubclass(kind, Check)):
                raise ConfigError(f"{kind!r} is not a subclass of analyzer.Check")
            name = kind_name(kind)
            if name in self._kinds:
                raise ConfigError(f"check kind {name!r} is registered twice: by "
                                  f"{_where(self._kinds[name])} and by {_where(kind)}")
            self._kinds[name] = kind
        if not self._kinds:
            raise ConfigError("no check kinds registered")
        members = tuple(self._kinds.values())
        # A union built at run time from the registered classes: mypy cannot see its members.
        union: Any = Annotated[Union[members], Field(discriminator="kind")]  # noqa: UP007 (runtime tuple)
        self._adapter: TypeAdapter[Check] = TypeAdapter(union)

    @classmethod
    def default(cls) -> Registry:
        """Built-in kinds plus every kind installed under the `analyzer.checks` entry-point group."""
        from checks import BUILTIN_KINDS

        return cls([*BUILTIN_KINDS, *load_entry_point_kinds()])

    @property
    def kinds(self) -> Mapping[str, type[Check]]:
        """Kind name to class."""
        return dict(self._kinds)

    def parse_check(self, raw: Any) -> Check:
        """Validate one check definition through the discriminated union on `kind`."""
        return self._adapter.validate_python(raw)

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of a check definition (all kinds)."""
        return self._adapter.json_schema()


def load_entry_point_kinds() -> list[type[Check]]:
    """Kinds from installed distributions; an entry point's name must equal the kind it loads."""
    kinds = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            kind = entry_point.load()
        except Exception as exc:
            raise ConfigError(f"check kind plugin {entry_point.name!r} ({entry_point.value}) failed to "
                              f"load: {exc}") from exc
        if not (isinstance(kind, type) and issubclass(kind, Check)):
            raise ConfigError(f"entry point {entry_point.name!r} ({entry_point.value}) is not a Check subclass")
        if kind_name(kind) != entry_point.name:
            raise ConfigError(f"entry point {entry_point.name!r} loads kind {kind_name(kind)!r}; the names "
                              "must match")
        kinds.append(kind)
    return kinds


def _where(kind: type[Check]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"
