import os
import time
from pathlib import Path

import pytest

from analyzer import catalog_paths
from analyzer.catalog_paths import RACY_MTIME_NS, file_version


def set_back(path: Path) -> None:
    """Sets the file's mtime an hour back (its ctime is now)."""
    hour_ago_s = time.time() - 3600
    os.utime(path, (hour_ago_s, hour_ago_s))


def settle(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sets the file's mtime an hour back and the clock two ticks on, as a mounted bundle's stat is long after it
    was written."""
    set_back(path)
    later_ns = time.time_ns() + 2 * RACY_MTIME_NS
    monkeypatch.setattr(catalog_paths.time, "time_ns", lambda: later_ns)


class TestFileVersion:
    """A file is trusted by its stat once its mtime is a tick old, and compared by content until then."""

    def test_a_first_look_is_a_change(self, tmp_path):
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        _, changed = file_version(path, None)
        assert changed

    def test_an_unchanged_file_is_no_change(self, tmp_path):
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        known, _ = file_version(path, None)
        again, changed = file_version(path, known)
        assert not changed
        assert again.state == known.state

    def test_a_recent_file_is_compared_by_content(self, tmp_path, monkeypatch):
        # A same-size rewrite within one tick of the file system's clock leaves the stat as it was: faked here.
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        first = os.stat(path)
        real_stat = os.stat
        monkeypatch.setattr(
            catalog_paths.os, "stat", lambda p, *a, **k: first if str(p) == str(path) else real_stat(p, *a, **k)
        )
        known, _ = file_version(path, None)
        assert known.content == b"one"
        path.write_bytes(b"two")
        _, changed = file_version(path, known)
        assert changed

    def test_a_settled_file_is_trusted_by_its_stat_and_not_read(self, tmp_path, monkeypatch):
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        settle(path, monkeypatch)
        known, _ = file_version(path, None)
        assert known.content is None

        def unread(self: Path) -> bytes:
            raise AssertionError(f"{self} read again")

        monkeypatch.setattr(Path, "read_bytes", unread)
        again, changed = file_version(path, known)
        assert (again, changed) == (known, False)

    def test_a_settled_file_rewritten_is_a_change(self, tmp_path, monkeypatch):
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        settle(path, monkeypatch)
        known, _ = file_version(path, None)
        path.write_bytes(b"two")
        _, changed = file_version(path, known)
        assert changed

    def test_a_recent_file_settles_without_a_change(self, tmp_path, monkeypatch):
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        known, _ = file_version(path, None)
        assert known.content is not None
        later_ns = time.time_ns() + 2 * RACY_MTIME_NS
        monkeypatch.setattr(catalog_paths.time, "time_ns", lambda: later_ns)
        settled, changed = file_version(path, known)
        assert not changed
        assert settled.content is None

    def test_a_file_whose_mtime_was_set_back_just_now_is_compared_by_content(self, tmp_path):
        # An in-place copy that keeps its source's mtime (cp -p, rsync -t --inplace, tar) changes the ctime alone:
        # another one within that tick, of the same size and mtime, leaves the whole stat as it was.
        path = tmp_path / "ca.pem"
        path.write_bytes(b"one")
        set_back(path)
        known, _ = file_version(path, None)
        assert known.content == b"one"

    def test_a_missing_file_raises(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            file_version(tmp_path / "absent.pem", None)


def mountinfo_naming(tmp_path: Path, *mount_points: str) -> Path:
    """A mountinfo file (proc(5)) listing `mount_points`, written escaped as the kernel writes them."""
    lines = [
        f"{40 + n} 27 254:0 /src {point.replace(' ', chr(92) + '040')} rw,relatime - ext4 /dev/vda rw"
        for n, point in enumerate(("/", *mount_points))
    ]
    path = tmp_path / "mountinfo"
    path.write_text("\n".join(lines) + "\n")
    return path


class TestMountedAlone:
    """A catalog file that is a mount point of its own (subPath, a file bind mount) is told apart: no update reaches
    it."""

    def test_a_file_that_is_a_mount_point_is_mounted_alone(self, tmp_path):
        catalog = tmp_path / "the catalog.yaml"
        catalog.write_text("checks: []\n")
        assert catalog_paths.mounted_alone(catalog, mountinfo_naming(tmp_path, str(catalog)))

    def test_a_file_of_a_mounted_directory_is_not(self, tmp_path):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks: []\n")
        assert not catalog_paths.mounted_alone(catalog, mountinfo_naming(tmp_path, str(tmp_path)))

    def test_a_catalog_directory_that_is_a_mount_point_is_not(self, tmp_path):
        # A ConfigMap mounted whole, as the docs say to: its directory is a mount point, and every update reaches it.
        root = tmp_path / "catalog"
        root.mkdir()
        (root / "a.yaml").write_text("checks: []\n")
        assert not catalog_paths.mounted_alone(root, mountinfo_naming(tmp_path, str(root)))

    def test_a_file_named_through_a_linked_directory_is_told_by_its_real_path(self, tmp_path):
        # The kernel lists the mount point by its real path (/etc/analyzer a link to /config, say).
        real = tmp_path / "real"
        real.mkdir()
        (real / "catalog.yaml").write_text("checks: []\n")
        (tmp_path / "linked").symlink_to(real)
        mountinfo = mountinfo_naming(tmp_path, str(real / "catalog.yaml"))
        assert catalog_paths.mounted_alone(tmp_path / "linked" / "catalog.yaml", mountinfo)

    def test_a_configmap_key_link_is_not(self, tmp_path):
        # The key of a ConfigMap mounted whole is a link into ..data; what it resolves to is no mount point either way.
        (tmp_path / "..data").mkdir()
        (tmp_path / "..data" / "catalog.yaml").write_text("checks: []\n")
        (tmp_path / "catalog.yaml").symlink_to("..data/catalog.yaml")
        mountinfo = mountinfo_naming(tmp_path, str(tmp_path / "catalog.yaml"), str(tmp_path / "..data/catalog.yaml"))
        assert not catalog_paths.mounted_alone(tmp_path / "catalog.yaml", mountinfo)

    def test_unreadable_mounts_tell_nothing(self, tmp_path):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks: []\n")
        assert not catalog_paths.mounted_alone(catalog, tmp_path / "no-such-mountinfo")

    def test_a_real_bind_mount_is_seen(self, tmp_path):
        source, catalog = tmp_path / "source.yaml", tmp_path / "catalog.yaml"
        source.write_text("checks: []\n")
        catalog.write_text("")
        if os.system(f"mount --bind '{source}' '{catalog}' 2>/dev/null") != 0:
            pytest.skip("mounting needs CAP_SYS_ADMIN")
        try:
            assert catalog_paths.mounted_alone(catalog)
            assert not catalog_paths.mounted_alone(source)
        finally:
            os.system(f"umount '{catalog}'")


def configmap_items_mount(root: Path, items: dict[str, str], revision: str = "..2026_12_07_06_00_00.1") -> Path:
    """A ConfigMap volume with `items:` as the kubelet writes it (its atomic writer): each item's file at its `path`
    under a timestamped directory, `..data` linking to that directory, and a link for the first part of each path
    (`teams -> ..data/teams` for `path: teams/payments.yaml`)."""
    root.mkdir(exist_ok=True)
    for path, text in items.items():
        (root / revision / path).parent.mkdir(parents=True, exist_ok=True)
        (root / revision / path).write_text(text)
    (root / "..data_tmp").symlink_to(revision)
    os.replace(root / "..data_tmp", root / "..data")
    for first in dict.fromkeys(path.split("/")[0] for path in items):
        if not (root / first).is_symlink():
            (root / first).symlink_to(f"..data/{first}")
    return root


class TestConfigMapItems:
    """A ConfigMap mounted with `items:` whose paths hold a `/` writes its files in subdirectories of the mount: they
    are the catalog's, read from the one version `..data` links to."""

    ITEMS = {"sources.yaml": "sources: {}\n", "teams/payments.yaml": "checks: []\n", "teams/a/b.yml": "checks: []\n"}

    def test_the_files_of_subdirectories_are_read_through_data(self, tmp_path):
        # Before: sources.yaml alone; the checks under teams/ were never read, and the catalog loaded without them.
        root = configmap_items_mount(tmp_path / "catalog", self.ITEMS)
        snapshot = os.path.realpath(root / "..data")
        assert catalog_paths.catalog_file_reads(root) == [
            (root / "sources.yaml", Path(snapshot) / "sources.yaml"),
            (root / "teams" / "a" / "b.yml", Path(snapshot) / "teams" / "a" / "b.yml"),
            (root / "teams" / "payments.yaml", Path(snapshot) / "teams" / "payments.yaml"),
        ]
        assert catalog_paths.listed_catalog_files(root) == [
            root / "sources.yaml",
            root / "teams" / "a" / "b.yml",
            root / "teams" / "payments.yaml",
        ]

    def test_a_new_version_is_read_whole(self, tmp_path):
        root = configmap_items_mount(tmp_path / "catalog", self.ITEMS)
        # The kubelet's swap: ..data links to the new version before the links of its new first parts are made.
        configmap_items_mount(root, {"sources.yaml": "sources: {}\n", "ops/x.yaml": "checks: []\n"}, "..2026_2")
        (root / "ops").unlink()
        reads = catalog_paths.catalog_file_reads(root)
        assert [(file.relative_to(root), read.parent.name) for file, read in reads] == [
            (Path("ops/x.yaml"), "ops"),
            (Path("sources.yaml"), "..2026_2"),
        ]

    def test_a_subdirectory_of_a_plain_directory_is_not_the_catalog_s(self, tmp_path):
        # A directory of the catalog's files alone (a checkout's `catalog/`) keeps its subdirectories to itself.
        (tmp_path / "old").mkdir()
        (tmp_path / "old" / "checks.yaml").write_text("checks: []\n")
        (tmp_path / "checks.yaml").write_text("checks: []\n")
        assert catalog_paths.catalog_file_reads(tmp_path) == [(tmp_path / "checks.yaml", tmp_path / "checks.yaml")]

    def test_hidden_subdirectories_are_skipped(self, tmp_path):
        root = configmap_items_mount(tmp_path / "catalog", {"a.yaml": "checks: []\n", ".git/b.yaml": "x: 1\n"})
        assert [file.name for file, _ in catalog_paths.catalog_file_reads(root)] == ["a.yaml"]
