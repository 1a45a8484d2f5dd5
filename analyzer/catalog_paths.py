"""The files a catalog path stands for, with the standard library alone: `analyzer run` lists them before it
records stop signals, and importing the catalog's loader then would leave a SIGTERM to PID 1 unhandled."""

from __future__ import annotations

from pathlib import Path

CATALOG_SUFFIXES = (".yaml", ".yml")


def listed_catalog_files(path: Path) -> list[Path] | None:
    """The YAML files a catalog path stands for: the file itself, or a directory's visible *.yaml/*.yml; None when
    it is neither.

    Hidden entries are skipped, which also skips the `..data` machinery of a mounted ConfigMap.
    """
    if path.is_dir():
        return sorted(
            p for p in path.iterdir() if p.suffix in CATALOG_SUFFIXES and not p.name.startswith(".") and p.is_file()
        )
    if path.is_file():
        return [path]
    return None
