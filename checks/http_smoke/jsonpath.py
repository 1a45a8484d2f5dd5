"""A small JSON path subset: `$`, `.name`, `['name']` and `[index]` (negative counts from the end).
No wildcards, filters or recursion: one path names at most one value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN_RE = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]""")


@dataclass(frozen=True)
class JsonPath:
    """A parsed path; `find` returns whether the value exists and the value."""

    text: str
    steps: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        """Parse `$.a.b[0]['c d']`; ValueError says where the path stops being valid."""
        if not isinstance(text, str) or not text.startswith("$"):
            raise ValueError(f"JSON path {text!r} must start with $ (e.g. $.items[0].id)")
        steps: list[str | int] = []
        position = 1
        while position < len(text):
            match = _TOKEN_RE.match(text, position)
            if not match:
                raise ValueError(
                    f"JSON path {text!r} is invalid at {text[position : position + 20]!r}; use .name, "
                    "['name'] or [index]"
                )
            name, index, single, double = match.groups()
            if index is not None:
                steps.append(int(index))
            else:
                quoted = single if single is not None else double
                steps.append(name if name is not None else re.sub(r"\\(.)", r"\1", quoted or ""))
            position = match.end()
        return cls(text, tuple(steps))

    def find(self, document: Any) -> tuple[bool, Any]:
        """(True, value) when the path exists in `document`, else (False, None)."""
        node = document
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return False, None
                node = node[step]
            else:
                if not isinstance(node, dict) or step not in node:
                    return False, None
                node = node[step]
        return True, node

    def __str__(self) -> str:
        return self.text


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 and "1" is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        # Python compares int and float exactly; float() would overflow on integers beyond 1e308.
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and bool(left == right)
