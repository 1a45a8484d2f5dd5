"""A small JSON path subset: `$`, `.name`, `['name']` and `[index]` (negative counts from the end).
No wildcards, filters or recursion: one path names at most one value."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_TOKEN_RE = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]""")
# In a quoted name, an escaped character, or a `"` a JSON string would need escaped.
_NAME_ESCAPE_RE = re.compile(r'\\(.)|"')


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
                    "['name'] or [index] (no wildcards, filters or `..`: a path names one value)"
                )
            name, index, single, double = match.groups()
            if index is not None:
                steps.append(int(index))
            elif name is not None:
                steps.append(name)
            else:
                steps.append(_quoted_name(text, single if single is not None else double or ""))
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


def _quoted_name(path: str, quoted: str) -> str:
    """The key a quoted name stands for, its escapes read as a JSON string's (`\\u00e9`, `\\n`, `\\\\`), as the
    answer's keys were, and `\\'`; ValueError for any other escape, or a control character."""

    def as_json(found: re.Match[str]) -> str:
        escaped = found.group(1)
        return '\\"' if escaped is None else "'" if escaped == "'" else found.group(0)

    try:
        return str(json.loads(f'"{_NAME_ESCAPE_RE.sub(as_json, quoted)}"'))
    except json.JSONDecodeError as exc:
        # Never a guess: `\\u00e9` read as `u00e9` named a key no answer has, and `exists: false` passed on `café`.
        raise ValueError(
            f"JSON path {path!r}: the name {quoted!r} is not a JSON string ({exc.msg}); its escapes are JSON's "
            "(\\n, \\t, \\uXXXX, \\\\, \\\") or \\' in single quotes"
        ) from None


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
