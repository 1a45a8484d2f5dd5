"""The files a catalog path stands for, with the standard library alone: `analyzer run` lists them before it
records stop signals, and importing the catalog's loader then would leave a SIGTERM to PID 1 unhandled."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import NamedTuple

CATALOG_SUFFIXES = (".yaml", ".yml")
# What `analyzer validate` reads in a directory of manifests: kubectl applies *.json ones as it does YAML (JSON is
# YAML). The service's catalog directory (a ConfigMap's keys) stays YAML only.
MANIFEST_SUFFIXES = (*CATALOG_SUFFIXES, ".json")
# A file written this close to a stat of it can be rewritten with the same size within the same timestamp tick
# (2 s on FAT, about a jiffy on ext4, coarser over NFS): a poll by stat (the catalog's, the auth tokens') trusts
# the stat of a file only once it is older than that, and reads its content until then (git's "racy" entries).
RACY_MTIME_NS = 2_000_000_000


def mtime_settled(mtime_ns: int, now_ns: int) -> bool:
    """Whether a file's stat taken at `now_ns` tells any later rewrite of it: its mtime is a timestamp tick before
    then (a rewrite gets a later one), or a tick after (set ahead by hand, a restored backup: a rewrite gets an
    earlier one, until the clock comes within a tick of it)."""
    return abs(mtime_ns - now_ns) > RACY_MTIME_NS


class FileVersion(NamedTuple):
    """What a reader of a file (a ca_file) knew of it when it last looked: its stat, and its content while that
    stat could not tell a same-size rewrite within one timestamp tick (see mtime_settled)."""

    state: tuple[int, ...]
    content: bytes | None


def file_version(path: Path, known: FileVersion | None) -> tuple[FileVersion, bool]:
    """The version of `path` now, and whether it changed since `known` (always when None): compared by stat, and
    by content too while its mtime or ctime is within a tick of the clock; OSError when it cannot be read."""
    stat = os.stat(path)
    state = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if known is not None and known.state == state and known.content is None:
        # Trusted once settled: a later rewrite gets a later ctime. What a request pays for an unchanged file.
        return known, False
    content = path.read_bytes()
    # The ctime too: an in-place copy that keeps its source's mtime (cp -p, rsync -t, tar) changes it alone, which
    # no one can set back, so any later change gets a later one.
    now_ns = time.time_ns()
    settled = mtime_settled(stat.st_mtime_ns, now_ns) and mtime_settled(stat.st_ctime_ns, now_ns)
    version = FileVersion(state, None if settled else content)
    return version, known is None or known.state != state or known.content != content


def listed_catalog_files(path: Path) -> list[Path] | None:
    """The YAML files a catalog path stands for: the file itself, or a directory's visible *.yaml/*.yml, and for a
    mounted ConfigMap's those of its visible subdirectories too (see `catalog_file_reads`); None when it is neither.

    Hidden entries are skipped, which also skips the `..data` machinery of a mounted ConfigMap.
    """
    if path.is_dir():
        data = path / "..data"
        nested = _nested_files(Path(os.path.realpath(data))) if data.is_symlink() else []
        return sorted({*_visible_files(path), *(path / file for file in nested)})
    if path.is_file():
        return [path]
    return None


def _visible_files(directory: Path) -> list[Path]:
    """The visible *.yaml/*.yml files of a directory itself."""
    return [
        p for p in directory.iterdir() if p.suffix in CATALOG_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]


def _nested_files(directory: Path) -> list[Path]:
    """The visible *.yaml/*.yml files under a directory's visible subdirectories, relative to it: a ConfigMap
    mounted with `items:` whose `path` holds a `/` (`teams/payments.yaml`) writes its file there. None under what is
    no directory (`..data` linking to nothing: rglob finds nothing there)."""
    return [
        file.relative_to(directory)
        for file in directory.rglob("*")
        if len(file.relative_to(directory).parts) > 1
        and not any(part.startswith(".") for part in file.relative_to(directory).parts)
        and file.suffix in CATALOG_SUFFIXES
        and file.is_file()
    ]


def catalog_file_reads(path: Path) -> list[tuple[Path, Path]] | None:
    """Each YAML file a catalog path stands for, as (the path it is named by, the path its text is read from); None
    when the path is neither a file nor a directory.

    A directory mounted from a ConfigMap is read through its `..data` link, resolved once: the kubelet updates every
    file at once by swapping that link, then adds the links of new keys and removes those of keys gone. Files read
    on both sides of a swap would make one catalog of two versions, and a key's link left until the kubelet
    removes it would name a file that is gone. So are the files of its subdirectories, which `items:` paths holding
    a `/` make (the kubelet links only their first part, `teams -> ..data/teams`); a plain directory's
    subdirectories are not the catalog's.

    A version removed while it is walked (the kubelet removes the old one once it swapped `..data`) is walked again
    once, in the version swapped in; FileNotFoundError when that one is removed too.
    """
    try:
        return _file_reads(path)
    except FileNotFoundError:
        return _file_reads(path)


def _file_reads(path: Path) -> list[tuple[Path, Path]] | None:
    """`catalog_file_reads`, walked once."""
    listed = listed_catalog_files(path)
    if listed is None:
        return None
    data = path / "..data"
    if not data.is_symlink():
        return [(file, file) for file in listed]
    snapshot = Path(os.path.realpath(data))
    if not snapshot.is_dir():
        return [(file, file) for file in listed]  # a link to nothing: the files say what is wrong when read
    # A file of the directory itself (not a ConfigMap key's link) is read as it is.
    own = [(file, file) for file in listed if file.parent == path and not _links_into_data(file)]
    read = [*(file.relative_to(snapshot) for file in _visible_files(snapshot)), *_nested_files(snapshot)]
    return sorted([*own, *((path / file, snapshot / file) for file in read)])


def _links_into_data(file: Path) -> bool:
    try:
        return os.readlink(file).startswith("..data/")
    except OSError:
        # Not a link (EINVAL), or a key's link the kubelet removed since the listing: the snapshot has its files.
        return file.is_symlink() or not file.exists()


def file_state(path: Path) -> tuple[int, ...]:
    """What loading a catalog found of a file it names (a source's ca_file), as far as whether it can be read
    depends on it: its identity, size, content and mode times (a chmod or chown changes the ctime), or the error
    of looking at it (missing, a directory not searchable)."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        return (exc.errno or -1,)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


# Where the kernel lists this process's mounts, each mount point as the fifth field of a line, with space, tab, newline
# and backslash written as octal escapes (proc(5)).
MOUNTINFO = Path("/proc/self/mountinfo")


def mounted_alone(path: Path, mountinfo: Path | None = None) -> bool:
    """Whether `path` is a file mounted on its own, a mount point of `mountinfo` (default MOUNTINFO): a ConfigMap key
    mounted with `subPath`, a file bind-mounted by `docker run -v`. The mount keeps the file it was made with: an update
    that replaces the source (the kubelet's, a rename-writing editor's) never reaches it. False when it is a link (a
    ConfigMap directory's key) or when the mounts cannot be read."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        text = (mountinfo or MOUNTINFO).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    target = os.path.realpath(path)
    return any(
        len(fields) > 4 and _unescape_mount_point(fields[4]) == target for fields in map(str.split, text.splitlines())
    )


def _unescape_mount_point(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda found: chr(int(found.group(1), 8)), text)
