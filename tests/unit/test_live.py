"""Tests of analyzer.live: atomic catalog swaps, rejection of invalid catalogs, change detection."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from analyzer import live as live_module
from analyzer.catalog import load_catalog
from analyzer.errors import ConfigError
from analyzer.live import LiveCatalog
from analyzer.metrics import Metrics
from analyzer.settings import Settings
from tests.filestat import report_ctime
from tests.gatecatalog import REGISTRY

# Bounds a hung test only.
HANG_GUARD_S = 10


def gate_yaml(*names: str, gate: str = "g") -> str:
    return yaml.safe_dump({"checks": [{"name": n, "kind": "gate", "gate": gate} for n in names]})


def configmap_dir(root: Path, files: dict[str, str], revision: str) -> Path:
    """Write `files` the way the kubelet updates a mounted ConfigMap: a new dir, then swap ..data."""
    root.mkdir(exist_ok=True)
    swap_data(root, files, revision)
    for name in files:
        if not (root / name).is_symlink():
            (root / name).symlink_to(f"..data/{name}")
    return root


def swap_data(root: Path, files: dict[str, str], revision: str) -> None:
    """The kubelet's update of a mounted ConfigMap up to its swap of ..data, before it adds the links of new keys
    and removes those of keys gone."""
    target = root / f"..{revision}"
    target.mkdir()
    for name, text in files.items():
        (target / name).write_text(text)
    (root / "..data_tmp").symlink_to(target.name)
    os.replace(root / "..data_tmp", root / "..data")


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(gate_yaml("one"))
    return path


def live_for(path: Path, metrics: Metrics | None = None, poll_s: float = 0) -> LiveCatalog:
    """The live catalog of `path`; `poll_s`: the poll interval it is told of (0: no quiet moment after a write)."""
    settings = Settings(catalog=path, catalog_poll_s=poll_s)
    return LiveCatalog(load_catalog(path, REGISTRY), REGISTRY, settings, metrics or Metrics())


class TestReload:
    """A valid catalog replaces the old one whole; an invalid one is rejected and the old one serves on."""

    async def test_a_valid_catalog_is_swapped_in(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        old = live.current
        catalog_file.write_text(gate_yaml("one", "two"))
        assert await live.reload("test") == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        assert live.current.runner.catalog is live.current.catalog
        assert sample(metrics, "analyzer_catalog_info", {"version": live.current.catalog.version}) == 1
        assert sample(metrics, "analyzer_catalog_info", {"version": old.catalog.version}) is None
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "success"}) == 1
        await live.close(timeout_s=5)

    async def test_an_invalid_catalog_is_rejected_and_the_old_one_keeps_serving(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        serving = live.current
        catalog_file.write_text(gate_yaml("one") + "  extra: [unclosed\n")
        assert await live.reload("test") == "rejected"
        assert live.current is serving and not serving.closed
        assert live.status.last_error is not None and live.status.last_error["problems"]
        assert sample(metrics, "analyzer_catalog_reload_failing") == 1
        catalog_file.write_text(yaml.safe_dump({"checks": [{"name": "one", "kind": "gate"}]}))  # no gate field
        assert await live.reload("test") == "rejected"
        assert any("gate" in p for p in live.status.last_error["problems"])
        catalog_file.write_text(gate_yaml("one", "fixed"))
        assert await live.reload("test") == "reloaded"
        assert live.status.last_error is None and sample(metrics, "analyzer_catalog_reload_failing") == 0
        await live.close(timeout_s=5)

    async def test_a_refused_reload_of_a_directory_names_the_file_and_the_line(self, tmp_path):
        directory = tmp_path / "catalog"
        directory.mkdir()
        (directory / "a.yaml").write_text(gate_yaml("one"))
        (directory / "b.yaml").write_text(gate_yaml("two"))
        live = live_for(directory)
        serving = live.current
        (directory / "b.yaml").write_text(gate_yaml("two") + "- name: three\n  kind: gate\n")  # no gate field
        with capture_logs() as logs:
            assert await live.reload("test") == "rejected"
        assert live.current is serving
        (failed,) = [event for event in logs if event["event"] == "catalog_reload_failed"]
        assert failed["problems"] == live.status.last_error["problems"]
        assert [problem.split(": gate")[0] for problem in failed["problems"]] == [
            f"{directory / 'b.yaml'}: check 'three' (checks[1], line 5)"
        ]
        await live.close(timeout_s=5)

    async def test_a_regex_nested_too_deeply_is_a_rejection_naming_the_field(self, catalog_file):
        # Before: regex's RecursionError was an "internal error while loading" naming no check or field.
        live = live_for(catalog_file)
        serving = live.current
        smoke = {"name": "smoke", "kind": "http_smoke", "base_url": "http://app.shop.svc"}
        smoke["steps"] = [{"name": "a", "expect": {"body_regex": "(?:" * 200 + "x" + ")" * 200}}]
        catalog_file.write_text(yaml.safe_dump({"checks": [{"name": "one", "kind": "gate", "gate": "g"}, smoke]}))
        assert await live.reload("test") == "rejected"
        assert live.current is serving
        assert live.status.last_error["problems"] == [
            f"{catalog_file}: check 'smoke' (checks[1], line 5): steps.0.expect.body_regex (line 10): body_regex: "
            "the regex nests groups too deeply to compile; write it with fewer nested groups"
        ]
        await live.close(timeout_s=5)

    @pytest.mark.parametrize("text", ["", "# every check moved to another file\n", "checks: []\n"])
    async def test_a_catalog_emptied_of_checks_is_rejected(self, catalog_file, text):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        serving = live.current
        catalog_file.write_text(text)
        assert await live.reload("test") == "rejected"
        assert live.current is serving and list(serving.catalog.checks) == ["one"]
        assert live.status.last_error is not None
        assert live.status.last_error["problems"] == [
            f"{catalog_file}: the new catalog has no checks (an empty or truncated file?); the last good one keeps "
            "serving (checks: 1). To serve no checks, restart"
        ]
        assert sample(metrics, "analyzer_catalog_reload_failing") == 1
        catalog_file.write_text(gate_yaml("one", "two"))
        assert await live.reload("test") == "reloaded"
        await live.close(timeout_s=5)

    async def test_checks_a_reload_removes_are_named(self, catalog_file):
        catalog_file.write_text(gate_yaml("one", "two", "three"))
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("two"))
        with capture_logs() as logs:
            assert await live.reload("test") == "reloaded"
        removed = [entry for entry in logs if entry["event"] == "catalog_checks_removed"]
        assert removed == [
            {"event": "catalog_checks_removed", "log_level": "warning", "checks": ["one", "three"], "count": 2}
        ]
        catalog_file.write_text(gate_yaml("two", "four"))
        with capture_logs() as logs:
            assert await live.reload("test") == "reloaded"
        assert not [entry for entry in logs if entry["event"] == "catalog_checks_removed"]
        await live.close(timeout_s=5)

    async def test_a_reload_binds_args_by_the_new_definition(self, catalog_file):
        # The args a generation keeps bound go with it: the same raw args, asked after a reload that changed the
        # check's params, are bound by the new ones.
        def with_limit(default: float) -> str:
            params = {
                "hash": {"type": "label_value", "required": True},
                "limit": {"type": "number", "default": default},
            }
            return yaml.safe_dump({"checks": [{"name": "one", "kind": "gate", "gate": "g", "params": params}]})

        catalog_file.write_text(with_limit(0.5))
        live = live_for(catalog_file)
        old = live.current
        assert old.runner.plan(old.catalog.get("one"), {"hash": "h1"}).args == {"hash": "h1", "limit": 0.5}
        catalog_file.write_text(with_limit(0.9))
        assert await live.reload("test") == "reloaded"
        new = live.current
        assert new.runner.plan(new.catalog.get("one"), {"hash": "h1"}).args == {"hash": "h1", "limit": 0.9}
        await live.close(timeout_s=5)

    async def test_unchanged_content_keeps_the_generation(self, catalog_file):
        live = live_for(catalog_file)
        serving = live.current
        assert await live.reload("sighup") == "unchanged"
        assert live.current is serving
        await live.close(timeout_s=5)

    async def test_a_bound_edited_to_one_its_float_rounds_the_same_is_reloaded(self, catalog_file):
        # `== 9007199254740992` and `== 9007199254740993` are one float, and judge an exact integer apart: the edit is a
        # new catalog (its text changed), never "unchanged" with the old condition serving on.
        checks = [{"name": "one", "kind": "prometheus", "query": "vector(1)", "pass_if": "== 9007199254740992"}]
        sources = {"default": {"url": "http://127.0.0.1:9"}}
        catalog_file.write_text(yaml.safe_dump({"sources": sources, "checks": checks}))
        live = live_for(catalog_file)
        catalog_file.write_text(
            yaml.safe_dump({"sources": sources, "checks": [{**checks[0], "pass_if": "== 9007199254740993"}]})
        )
        assert await live.reload("sighup") == "reloaded"
        condition = live.current.catalog.checks["one"].pass_if
        assert (str(condition), condition.matches_exactly(9007199254740993)) == ("== 9007199254740993", True)
        await live.close(timeout_s=5)

    async def test_in_flight_evaluations_finish_on_the_old_generation(self, catalog_file, gate):
        live = live_for(catalog_file)

        async def evaluate():
            with live.current as generation:
                check = generation.catalog.get("one")
                return generation, await generation.runner.evaluate(check, {})

        request = asyncio.create_task(evaluate())
        await gate.wait_entered(1)
        old = live.current
        catalog_file.write_text(gate_yaml("two"))
        assert await live.reload("test") == "reloaded"
        assert not old.closed, "sources closed under a running evaluation"
        gate.open()
        generation, evaluation = await request
        assert generation is old and evaluation.verdict == "pass"
        await live.drain()
        assert old.closed and not live.current.closed
        await live.close(timeout_s=5)
        assert live.current.closed

    async def test_a_retired_generation_closes_once_no_request_holds_it(self, catalog_file):
        live = live_for(catalog_file)
        with live.current as old, live.current:
            catalog_file.write_text(gate_yaml("two"))
            assert await live.reload("test") == "reloaded"
            drained = asyncio.ensure_future(old.drain())
            for _ in range(20):  # turns of the loop for the retiring task and the drain: both wait on the holders
                await asyncio.sleep(0)
            assert not drained.done() and not old.closed, "drained under a request still holding the generation"
            assert live.current is not old
        await drained
        await live.drain()
        assert old.closed and old.users == 0
        await live.close(timeout_s=5)


class TestChangeDetection:
    """Polling notices edits in place and ConfigMap symlink swaps, and reports a vanished path once."""

    async def test_an_edit_in_place_is_noticed(self, catalog_file):
        live = live_for(catalog_file)
        assert await live.check_for_change() is None
        catalog_file.write_text(gate_yaml("one", "two"))
        assert await live.check_for_change() == "reloaded"
        assert await live.check_for_change() is None
        assert "two" in live.current.catalog.checks
        await live.close(timeout_s=5)

    async def test_the_first_poll_does_not_reload_the_catalog_in_service(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        assert await live.check_for_change() is None
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "unchanged"}) is None
        await live.close(timeout_s=5)

    async def test_a_crlf_catalog_is_validated_once_more_on_the_first_poll(self, catalog_file):
        # Its version is the digest of the text as the loader read it (newlines normalised), not of the bytes.
        catalog_file.write_bytes(gate_yaml("one").replace("\n", "\r\n").encode())
        live = live_for(catalog_file)
        assert await live.check_for_change() == "unchanged"
        assert await live.check_for_change() is None
        await live.close(timeout_s=5)

    async def test_a_change_before_the_first_poll_is_not_missed(self, catalog_file):
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("one", "early"))
        assert await live.check_for_change() == "reloaded"
        assert "early" in live.current.catalog.checks
        await live.close(timeout_s=5)

    async def test_a_same_size_rewrite_within_one_timestamp_tick_is_noticed(self, catalog_file):
        # Inode, size and mtime as the last poll saw them (a rewrite in the same tick of a coarse clock): the
        # stat of a file written that recently is not trusted, so the content is read again.
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("one", "two"))
        assert await live.check_for_change() == "reloaded"
        seen = catalog_file.stat()
        catalog_file.write_text(gate_yaml("one", "six"))
        os.utime(catalog_file, ns=(seen.st_atime_ns, seen.st_mtime_ns))
        assert catalog_file.stat()[1:] == seen[1:]
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "six"]
        await live.close(timeout_s=5)

    async def test_the_stat_of_settled_files_spares_reading_them(self, catalog_file, monkeypatch):
        live = live_for(catalog_file)
        old_ns = catalog_file.stat().st_mtime_ns - 10_000_000_000
        os.utime(catalog_file, ns=(old_ns, old_ns))
        report_ctime(monkeypatch, catalog_file, old_ns)
        assert await live.check_for_change() is None
        digests: list[Path] = []
        monkeypatch.setattr(live_module, "_content_digest", lambda path: digests.append(path) or "")
        assert await live.check_for_change() is None
        assert digests == []
        await live.close(timeout_s=5)

    async def test_the_stat_of_files_dated_ahead_spares_reading_them_until_the_clock_nears(
        self, catalog_file, monkeypatch
    ):
        # Before: a file whose mtime is in the future never counted as settled: every poll read it again. Once the
        # clock is within a tick of that mtime, a same-size rewrite in that tick keeps the stat: it is read again.
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("one", "two"))
        ahead_ns = catalog_file.stat().st_mtime_ns + 3_600_000_000_000
        os.utime(catalog_file, ns=(ahead_ns, ahead_ns))
        # Written long ago, and the stat of the rewrite below as it was (a rewrite within the same tick).
        report_ctime(monkeypatch, catalog_file, ahead_ns - 2 * 3_600_000_000_000)
        assert await live.check_for_change() == "reloaded"
        digests: list[Path] = []
        real_digest = live_module._content_digest
        monkeypatch.setattr(live_module, "_content_digest", lambda path: digests.append(path) or real_digest(path))
        assert await live.check_for_change() is None
        assert digests == []
        seen = catalog_file.stat()
        catalog_file.write_text(gate_yaml("one", "six"))
        os.utime(catalog_file, ns=(ahead_ns, ahead_ns))
        now = catalog_file.stat()
        assert (now.st_ino, now.st_size, now.st_mtime_ns) == (seen.st_ino, seen.st_size, seen.st_mtime_ns)
        monkeypatch.setattr(live_module.time, "time_ns", lambda: ahead_ns - 1_000_000_000)
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "six"]
        await live.close(timeout_s=5)

    async def test_an_in_place_copy_keeping_the_mtime_of_a_settled_file_is_noticed(self, catalog_file, monkeypatch):
        # Before: inode, size and mtime as the last poll saw them, the mtime long past: a new catalog of the same
        # size copied in place with its source's mtime (cp -p, rsync -t --inplace, tar) was never read. Its ctime,
        # which nothing sets back, tells.
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("one", "two"))
        hour_ago_ns = catalog_file.stat().st_mtime_ns - 3_600_000_000_000
        os.utime(catalog_file, ns=(hour_ago_ns, hour_ago_ns))
        with monkeypatch.context() as written_long_ago:
            report_ctime(written_long_ago, catalog_file, hour_ago_ns)
            assert await live.check_for_change() == "reloaded"
            assert await live.check_for_change() is None
        catalog_file.write_text(gate_yaml("one", "six"))
        os.utime(catalog_file, ns=(hour_ago_ns, hour_ago_ns))
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "six"]
        await live.close(timeout_s=5)

    async def test_a_second_in_place_copy_within_the_tick_of_the_first_is_noticed(self, catalog_file, monkeypatch):
        # Before: a file whose mtime is long past counted as settled though its ctime was within a tick of the
        # poll, so a same-size copy keeping the mtime again within that tick (the whole stat as it was) was missed.
        live = live_for(catalog_file)
        catalog_file.write_text(gate_yaml("one", "two"))
        hour_ago_ns = catalog_file.stat().st_mtime_ns - 3_600_000_000_000
        os.utime(catalog_file, ns=(hour_ago_ns, hour_ago_ns))
        first = catalog_file.stat()
        assert await live.check_for_change() == "reloaded"
        catalog_file.write_text(gate_yaml("one", "six"))
        os.utime(catalog_file, ns=(hour_ago_ns, hour_ago_ns))
        report_ctime(monkeypatch, catalog_file, first.st_ctime_ns)
        now = catalog_file.stat()
        assert (now.st_ino, now.st_size, now.st_mtime_ns, now.st_ctime_ns) == (
            first.st_ino,
            first.st_size,
            first.st_mtime_ns,
            first.st_ctime_ns,
        )
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "six"]
        await live.close(timeout_s=5)

    async def test_a_configmap_symlink_swap_is_noticed(self, tmp_path):
        root = configmap_dir(tmp_path / "catalog", {"checks.yaml": gate_yaml("one")}, "2026_01")
        live = live_for(root)
        assert await live.check_for_change() is None
        configmap_dir(root, {"checks.yaml": gate_yaml("one", "two")}, "2026_02")
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        await live.close(timeout_s=5)

    async def test_a_vanished_path_is_rejected_once_and_the_catalog_serves_on(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        await live.check_for_change()
        serving = live.current
        catalog_file.unlink()
        assert await live.check_for_change() == "rejected"
        assert await live.check_for_change() is None
        assert live.current is serving
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "failure"}) == 1
        await live.close(timeout_s=5)


class TestWritesInProgress:
    """A poll that finds files written a moment ago reads them again after a quiet moment, and loads them only if
    they read the same: an editor's half-written file is never served, and a path missing for a moment is not a
    rejection."""

    async def test_a_file_caught_half_written_is_left_to_the_next_poll(self, catalog_file, monkeypatch):
        live = live_for(catalog_file, poll_s=5)
        live.write_settle_s = 0.01
        full = gate_yaml("one", "two", "three")
        # Cut before the third check: the first two are a valid catalog, which was served until the next poll.
        catalog_file.write_text(full[: full.index("- gate: g\n  kind: gate\n  name: three")])
        read = live_module._content_digest

        def read_then_finish_writing(path: Path) -> str:
            digest = read(path)
            # The editor writes the rest while the poll waits for a quiet moment.
            if catalog_file.read_text() != full:
                catalog_file.write_text(full)
            return digest

        monkeypatch.setattr(live_module, "_content_digest", read_then_finish_writing)
        with capture_logs() as logs:
            assert await live.check_for_change() is None
        assert sorted(live.current.catalog.checks) == ["one"]
        assert [e["event"] for e in logs] == ["catalog_change_still_being_written"]
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "three", "two"]
        await live.close(timeout_s=5)

    async def test_a_path_missing_for_a_moment_is_no_rejection(self, catalog_file, monkeypatch):
        metrics = Metrics()
        live = live_for(catalog_file, metrics, poll_s=5)
        live.write_settle_s = 0.01
        # A rename-writing editor (vim): the old file moved away, the new one not yet in its place.
        written = catalog_file.with_name("catalog.yaml.new")
        written.write_text(gate_yaml("one", "two"))
        catalog_file.unlink()
        stat = live_module._stat_signature

        def stat_then_rename_into_place(path: Path) -> Any:
            try:
                return stat(path)
            except ConfigError:
                written.rename(catalog_file)
                raise

        monkeypatch.setattr(live_module, "_stat_signature", stat_then_rename_into_place)
        with capture_logs() as logs:
            assert await live.check_for_change() is None
            assert await live.check_for_change() == "reloaded"
        assert "catalog_reload_failed" not in [e["event"] for e in logs]
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "failure"}) is None
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        await live.close(timeout_s=5)

    async def test_a_file_removed_from_a_directory_to_be_written_anew_is_waited_for(self, tmp_path, monkeypatch):
        root = tmp_path / "catalog"
        root.mkdir()
        (root / "a.yaml").write_text(gate_yaml("a1", "a2"))
        (root / "b.yaml").write_text(gate_yaml("b1"))
        live = live_for(root, poll_s=5)
        live.write_settle_s = 0.01
        # Both files written long ago: only the directory's times tell that an entry just went.
        old_ns = time.time_ns() - 3600 * 1_000_000_000
        for name in ("a.yaml", "b.yaml"):
            os.utime(root / name, ns=(old_ns, old_ns))
        report_ctime(monkeypatch, root / "b.yaml", old_ns)
        assert await live.check_for_change() is None
        (root / "a.yaml").unlink()
        read = live_module._content_digest

        def read_then_write_it_anew(path: Path) -> str:
            digest = read(path)
            if not (root / "a.yaml").exists():
                (root / "a.yaml").write_text(gate_yaml("a1", "a2", "a3"))
            return digest

        monkeypatch.setattr(live_module, "_content_digest", read_then_write_it_anew)
        assert await live.check_for_change() is None
        assert sorted(live.current.catalog.checks) == ["a1", "a2", "b1"]
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["a1", "a2", "a3", "b1"]
        await live.close(timeout_s=5)

    async def test_a_path_still_missing_after_the_quiet_moment_is_rejected(self, catalog_file):
        live = live_for(catalog_file, poll_s=5)
        live.write_settle_s = 0.01
        serving = live.current
        catalog_file.unlink()
        assert await live.check_for_change() == "rejected"
        assert live.current is serving and live.status.last_error is not None
        await live.close(timeout_s=5)


class TestLinesCutShort:
    """Changed content that does not end in a newline (or is empty) is a writer paused mid-line: loaded only once a
    later poll reads it the same, however long the writer was quiet before the poll (its quiet moment passed)."""

    async def test_a_writer_paused_mid_line_longer_than_the_quiet_moment_is_not_served(self, catalog_file):
        live = live_for(catalog_file, poll_s=5)
        live.write_settle_s = 0.01
        full = gate_yaml("one", "three")
        assert full.endswith("name: three\n")
        paused, resume = threading.Event(), threading.Event()

        def writer() -> None:
            # In place, as `cat > f` or an editor writing in chunks: the last bytes come after a pause.
            with catalog_file.open("w") as stream:
                stream.write(full[:-4])
                stream.flush()
                paused.set()
                resume.wait(HANG_GUARD_S)
                stream.write(full[-4:])

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert paused.wait(HANG_GUARD_S)
            # Before: both reads agreed (the writer quiet longer than the quiet moment): `thr` was served, a valid
            # catalog (a number cut short, `< 0.01` read as `< 0.`, a valid threshold).
            with capture_logs() as logs:
                assert await live.check_for_change() is None
            assert sorted(live.current.catalog.checks) == ["one"]
            assert "catalog_change_still_being_written" in [e["event"] for e in logs]
        finally:
            resume.set()
            thread.join(HANG_GUARD_S)
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "three"]
        await live.close(timeout_s=5)

    async def test_content_without_a_final_newline_is_loaded_once_read_the_same_again(self, catalog_file):
        live = live_for(catalog_file, poll_s=5)
        live.write_settle_s = 0.01
        catalog_file.write_text(gate_yaml("one", "two").rstrip("\n"))
        assert await live.check_for_change() is None
        assert sorted(live.current.catalog.checks) == ["one"]
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        assert await live.check_for_change() is None
        await live.close(timeout_s=5)

    async def test_a_settled_file_cut_mid_line_is_loaded_once_read_the_same_again(self, catalog_file, monkeypatch):
        # Its writer quiet for longer than a timestamp tick: the poll trusts an unchanged stat, so one remembered
        # from the poll that found the cut would have kept the same content from ever being read, and loaded, again.
        live = live_for(catalog_file, poll_s=5)
        catalog_file.write_text(gate_yaml("one", "two").rstrip("\n"))
        old_ns = time.time_ns() - 3600 * 1_000_000_000
        os.utime(catalog_file, ns=(old_ns, old_ns))
        report_ctime(monkeypatch, catalog_file, old_ns)
        assert await live.check_for_change() is None
        assert sorted(live.current.catalog.checks) == ["one"]
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        await live.close(timeout_s=5)

    async def test_an_emptied_file_is_not_loaded_at_the_first_poll(self, tmp_path):
        root = tmp_path / "catalog"
        root.mkdir()
        (root / "a.yaml").write_text(gate_yaml("a1"))
        (root / "b.yaml").write_text(gate_yaml("b1"))
        live = live_for(root, poll_s=5)
        live.write_settle_s = 0.01
        # Truncated by `cat > b.yaml`, nothing written yet: an empty file is no check, and b1 was 404ed.
        (root / "b.yaml").write_text("")
        assert await live.check_for_change() is None
        assert sorted(live.current.catalog.checks) == ["a1", "b1"]
        (root / "b.yaml").write_text(gate_yaml("b1", "b2"))
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["a1", "b1", "b2"]
        await live.close(timeout_s=5)

    async def test_a_configmap_swap_without_a_final_newline_is_loaded_at_once(self, tmp_path):
        # The kubelet's swap of ..data is atomic: nothing read through it is half written (a Helm chart's `|-`
        # block drops the final newline).
        root = configmap_dir(tmp_path / "cm", {"catalog.yaml": gate_yaml("one")}, "v1")
        live = live_for(root, poll_s=5)
        live.write_settle_s = 0.01
        swap_data(root, {"catalog.yaml": gate_yaml("one", "two").rstrip("\n")}, "v2")
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        await live.close(timeout_s=5)


class TestMountedAlone:
    """A catalog file mounted on its own, which no update can reach, is said at start."""

    @pytest.mark.parametrize("alone", [True, False])
    async def test_it_is_logged_at_start(self, catalog_file, tmp_path, monkeypatch, alone):
        from analyzer import catalog_paths

        mountinfo = tmp_path / "mountinfo"
        point = catalog_file if alone else tmp_path
        mountinfo.write_text(f"45 27 254:0 /src {point} rw,relatime - ext4 /dev/vda rw\n")
        monkeypatch.setattr(catalog_paths, "MOUNTINFO", mountinfo)
        live = live_for(catalog_file, poll_s=5)
        with capture_logs() as logs:
            live.start()
        await live.close(timeout_s=5)
        warned = [e for e in logs if e["event"] == "catalog_file_mounted_alone"]
        assert [e["path"] for e in warned] == ([str(catalog_file)] if alone else [])
        assert all("subPath" in e["effect"] for e in warned)


def timed_gates(**deadlines_s: float | None) -> str:
    """A gate catalog of these checks, each with its deadline_s (None: the service's)."""
    checks = [
        {"name": name, "kind": "gate", "gate": "g", **({} if deadline_s is None else {"deadline_s": deadline_s})}
        for name, deadline_s in deadlines_s.items()
    ]
    return yaml.safe_dump({"checks": checks})


def outlasting_warnings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in logs if event["event"] == "checks_outlast_drain"]


class TestChecksOutlastingTheDrain:
    """The checks an evaluation of which, queued then run to its deadline, outlasts a shutdown's drain are named at
    start and at each reload that serves them: a replica stopping cuts such an evaluation off."""

    async def test_they_are_named_at_start_with_the_timeout_that_fits(self, catalog_file):
        # The drain is 19.5 s of the 20 s shutdown, of which the queue may take 1 s: 18.5 s fits, 18.6 s does not.
        catalog_file.write_text(timed_gates(fits=18.5, slow=18.6, slower=25, default=None))
        settings = Settings(catalog=catalog_file, catalog_poll_s=0, shutdown_timeout_s=20, queue_timeout_s=1)
        live = LiveCatalog(load_catalog(catalog_file, REGISTRY), REGISTRY, settings, Metrics())
        with capture_logs() as logs:
            live.start()
        await live.close(timeout_s=5)
        (warned,) = outlasting_warnings(logs)
        assert (warned["checks"], warned["count"], warned["longest_deadline_s"], warned["drain_s"]) == (
            ["slow", "slower"],
            2,
            25,
            19.5,
        )
        assert "ANALYZER_SHUTDOWN_TIMEOUT_S to 26.5 or more" in warned["fix"]

    async def test_the_service_deadline_counts_for_a_check_without_its_own(self, catalog_file):
        catalog_file.write_text(timed_gates(default=None))
        settings = Settings(catalog=catalog_file, catalog_poll_s=0, shutdown_timeout_s=9, deadline_s=8)
        live = LiveCatalog(load_catalog(catalog_file, REGISTRY), REGISTRY, settings, Metrics())
        with capture_logs() as logs:
            live.start()
        await live.close(timeout_s=5)
        assert [event["checks"] for event in outlasting_warnings(logs)] == [["default"]]

    async def test_none_is_said_when_every_check_fits(self, catalog_file):
        catalog_file.write_text(timed_gates(slow=25, default=None))
        settings = Settings(catalog=catalog_file, catalog_poll_s=0, shutdown_timeout_s=26.5, queue_timeout_s=1)
        live = LiveCatalog(load_catalog(catalog_file, REGISTRY), REGISTRY, settings, Metrics())
        with capture_logs() as logs:
            live.start()
        await live.close(timeout_s=5)
        assert outlasting_warnings(logs) == []

    async def test_a_reload_that_serves_one_names_it(self, catalog_file):
        live = live_for(catalog_file)
        catalog_file.write_text(timed_gates(one=None, slow=60))
        with capture_logs() as logs:
            assert await live.reload(reason="test") == "reloaded"
        assert [event["checks"] for event in outlasting_warnings(logs)] == [["slow"]]


def write_catalog_naming(catalog_file: Path, ca_file: Path) -> None:
    """Write the gate catalog's checks `one` and `two` with a TLS source whose ca_file is `ca_file`."""
    source = {"tls": {"url": "https://127.0.0.1:9", "ca_file": str(ca_file)}}
    checks = yaml.safe_load(gate_yaml("one", "two"))["checks"]
    catalog_file.write_text(yaml.safe_dump({"sources": source, "checks": checks}))


def counted_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """The catalog loads made from now on (each its positional args), made as `load_catalog` makes them."""
    loads: list[tuple[object, ...]] = []

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(args)
        return load_catalog(*args, **kwargs)

    monkeypatch.setattr(live_module, "load_catalog", counted)
    return loads


class TestRejectedCatalogRetried:
    """A rejected catalog is loaded again now and then, though its files did not change: what refused it may lie
    outside them. A retry refused as before is neither logged nor counted again."""

    async def test_a_catalog_refused_for_a_file_it_names_loads_once_the_file_is_there(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        live.rejected_retry_s = 0
        await live.check_for_change()
        ca_file = catalog_file.parent / "ca.pem"
        write_catalog_naming(catalog_file, ca_file)
        assert await live.check_for_change() == "rejected"
        assert "ca_file" in live.status.last_error["problems"][0]
        # The CA bundle's Secret, mounted a moment after the catalog's ConfigMap: the catalog's files did not change
        # again, so the rejected catalog stayed rejected (reload_failing 1) until a SIGHUP or a restart.
        ca_file.write_text("a bundle")
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "two"]
        assert live.status.last_error is None and sample(metrics, "analyzer_catalog_reload_failing") == 0
        await live.close(timeout_s=5)

    async def test_a_retry_refused_as_before_is_said_once(self, catalog_file):
        metrics = Metrics()
        live = live_for(catalog_file, metrics)
        live.rejected_retry_s = 0
        await live.check_for_change()
        # A ca_file that is a directory: what it holds changes (so the catalog is retried), and it stays no file.
        ca_dir = catalog_file.parent / "ca.d"
        ca_dir.mkdir()
        write_catalog_naming(catalog_file, ca_dir)
        with capture_logs() as logs:
            assert await live.check_for_change() == "rejected"
            (ca_dir / "x").write_text("")
            os.utime(ca_dir, ns=(1, 1))
            assert await live.check_for_change() == "rejected"
        assert [log["event"] for log in logs] == ["catalog_reload_failed"]
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "failure"}) == 1
        assert live.status.last_error["trigger"] == "file_change"
        await live.close(timeout_s=5)

    @pytest.mark.parametrize(
        "text",
        [
            "checks: [\n",
            "checks: [{name: x, kind: no_such_kind}]\n",
            # Names a file, present and readable: nothing outside the catalog's files refused it.
            "sources: {tls: {url: 'https://127.0.0.1:9', ca_file: CA}}\nchecks: [{name: x, kind: no_such_kind}]\n",
        ],
        ids=["yaml", "schema", "schema-with-a-ca-file"],
    )
    async def test_a_catalog_refused_for_its_own_text_alone_is_not_loaded_again(self, catalog_file, monkeypatch, text):
        # A retry of a catalog whose files and the files it names are unchanged would be refused the same way:
        # it cost the parse and validation again every minute (about 4 s of CPU per MiB of YAML).
        live = live_for(catalog_file)
        live.rejected_retry_s = 0
        await live.check_for_change()
        ca_file = catalog_file.parent / "ca.pem"
        ca_file.write_text("a bundle")
        catalog_file.write_text(text.replace("CA", str(ca_file)))
        loads = counted_loads(monkeypatch)
        assert await live.check_for_change() == "rejected"
        assert await live.check_for_change() is None
        assert await live.check_for_change() is None
        assert len(loads) == 1
        # Fixed, it is loaded at the next poll, as any change is.
        catalog_file.write_text(gate_yaml("one", "two"))
        assert await live.check_for_change() == "reloaded"
        await live.close(timeout_s=5)

    async def test_a_fix_the_stat_does_not_show_is_loaded_at_the_retry(self, catalog_file):
        # A same-size rewrite in place within the file system's timestamp granularity (a second on some mounts)
        # leaves inode, size and mtime as the poll saw them: the retry, reading the content, is what loads the fix.
        live = live_for(catalog_file)
        live.rejected_retry_s = 0
        await live.check_for_change()
        good = gate_yaml("one", "two")
        bad = good.replace("kind:", "kinx:", 1)
        assert len(bad) == len(good) and bad != good
        catalog_file.write_text(bad)
        assert await live.check_for_change() == "rejected"
        seen = catalog_file.stat()
        catalog_file.write_text(good)
        os.utime(catalog_file, ns=(seen.st_atime_ns, seen.st_mtime_ns))
        assert catalog_file.stat().st_ino == seen.st_ino
        assert await live.check_for_change() == "reloaded"
        assert live.status.last_error is None
        await live.close(timeout_s=5)

    async def test_a_file_it_names_still_missing_is_not_loaded_again(self, catalog_file, monkeypatch):
        live = live_for(catalog_file)
        live.rejected_retry_s = 0
        await live.check_for_change()
        ca_file = catalog_file.parent / "ca.pem"
        write_catalog_naming(catalog_file, ca_file)
        loads = counted_loads(monkeypatch)
        assert await live.check_for_change() == "rejected"
        assert await live.check_for_change() is None
        assert len(loads) == 1
        ca_file.write_text("a bundle")
        assert await live.check_for_change() == "reloaded"
        assert len(loads) == 2
        await live.close(timeout_s=5)

    async def test_a_retry_that_crashes_as_before_is_said_once(self, catalog_file, monkeypatch):
        live = live_for(catalog_file)
        live.rejected_retry_s = 0
        await live.check_for_change()

        def crashing(*args, **kwargs):
            raise RuntimeError("a kind's validator is broken")

        monkeypatch.setattr(live_module, "load_catalog", crashing)
        catalog_file.write_text(gate_yaml("one", "three"))
        with capture_logs() as logs:
            assert await live.check_for_change() == "rejected"
            assert await live.check_for_change() == "rejected"
        # Before: its traceback logged again at each retry, every minute while the catalog stayed unchanged.
        assert [log["event"] for log in logs] == ["catalog_reload_crashed", "catalog_reload_failed"]
        await live.close(timeout_s=5)

    async def test_a_crash_shows_no_credential_it_quotes(self, tmp_path, monkeypatch):
        # Before: the traceback and the problem (log, /readyz) showed the source's token and the URL's password.
        token_file = tmp_path / "token"
        token_file.write_text("file-token-4c3b2a\n")
        source = {"url": "http://prometheus:9090", "bearer_token_file": str(token_file)}
        catalog_file = tmp_path / "catalog.yaml"
        catalog_file.write_text(yaml.safe_dump({"sources": {"default": source}, "checks": []}))
        live = live_for(catalog_file)

        def crashing(*args, **kwargs):
            raise RuntimeError("cannot reach http://admin:pw-5a6b7c@prom:9090/ with file-token-4c3b2a")

        monkeypatch.setattr(live_module, "load_catalog", crashing)
        with capture_logs() as logs:
            assert await live.reload(reason="sighup") == "rejected"
        shown = repr(logs) + repr(live.status.last_error)
        assert "file-token-4c3b2a" not in shown and "pw-5a6b7c" not in shown
        crash = next(log for log in logs if log["event"] == "catalog_reload_crashed")
        assert "RuntimeError: cannot reach http://<redacted>@prom:9090/ with <redacted>" in crash["exception"]
        assert live.status.last_error["problems"] == [
            "internal error while loading: RuntimeError: cannot reach http://<redacted>@prom:9090/ with <redacted>"
        ]
        await live.close(timeout_s=5)

    async def test_a_retry_waits_its_time(self, catalog_file):
        live = live_for(catalog_file)
        await live.check_for_change()
        catalog_file.write_text("checks: [\n")
        assert await live.check_for_change() == "rejected"
        assert await live.check_for_change() is None
        await live.close(timeout_s=5)

    @pytest.mark.parametrize("raised", [SystemExit(0), KeyboardInterrupt()], ids=["exit", "interrupt"])
    async def test_a_plugin_that_exits_as_it_loads_is_a_rejection(self, catalog_file, monkeypatch, raised):
        # A plugin's validator calling a library that exits (argparse's error(), sys.exit()) in the loading thread.
        live = live_for(catalog_file)
        serving = live.current

        def exiting(*args, **kwargs):
            raise raised

        monkeypatch.setattr(live_module, "load_catalog", exiting)
        catalog_file.write_text(gate_yaml("one", "three"))
        # Before: it went out of the reload's task and out of the event loop, stopping `analyzer serve` undrained.
        assert await live.reload(reason="sighup") == "rejected"
        assert live.current is serving
        assert live.status.last_error["problems"] == [
            f"internal error while loading: {type(raised).__name__}" + (": 0" if isinstance(raised, SystemExit) else "")
        ]
        await live.close(timeout_s=5)


class TestConfigMapUpdates:
    """A mounted ConfigMap is read as one version, whatever step of the kubelet's update a poll lands on."""

    async def test_a_key_removed_is_gone_before_its_link_is(self, tmp_path):
        metrics = Metrics()
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("one"), "b.yaml": gate_yaml("two")}, "v1")
        live = live_for(root, metrics)
        assert await live.check_for_change() is None
        swap_data(root, {"a.yaml": gate_yaml("one", "three")}, "v2")
        # b.yaml's link still names ..data/b.yaml, which the new version lacks: no file, no failure.
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["one", "three"]
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "failure"}) is None
        await live.close(timeout_s=5)

    async def test_a_key_added_is_read_before_its_link_exists(self, tmp_path):
        metrics = Metrics()
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("one")}, "v1")
        live = live_for(root, metrics)
        assert await live.check_for_change() is None
        grouped = yaml.safe_dump({"checks": [{"name": "all", "kind": "group", "members": ["one", "two"]}]})
        swap_data(
            root, {"a.yaml": gate_yaml("one") + grouped.removeprefix("checks:\n"), "b.yaml": gate_yaml("two")}, "v2"
        )
        # The new a.yaml names a member of the new b.yaml, whose link the kubelet has not made yet: read without
        # b.yaml, the catalog in service until the next poll had `all` but not its member `two`.
        assert await live.check_for_change() == "reloaded"
        assert sorted(live.current.catalog.checks) == ["all", "one", "two"]
        assert sample(metrics, "analyzer_catalog_reloads_total", {"result": "failure"}) is None
        await live.close(timeout_s=5)

    def test_a_file_of_the_directory_itself_is_read_as_it_is(self, tmp_path):
        # No ConfigMap key's link (a file copied in beside a ConfigMap's copy): not in ..data, read where it is.
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("one")}, "v1")
        (root / "own.yaml").write_text(gate_yaml("two"))
        assert sorted(load_catalog(root, REGISTRY).checks) == ["one", "two"]

    def test_a_link_removed_between_the_listing_and_its_reading_is_left_to_the_snapshot(self, tmp_path, monkeypatch):
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("one"), "b.yaml": gate_yaml("two")}, "v1")
        readlink = os.readlink

        def removed_first(path, *args, **kwargs):
            if Path(path).name == "b.yaml" and Path(path).is_symlink():
                Path(path).unlink()  # the kubelet, between the listing and this readlink
            return readlink(path, *args, **kwargs)

        monkeypatch.setattr(os, "readlink", removed_first)
        # The ..data resolved before it still holds b.yaml: read from there, not as a file of the directory gone.
        assert sorted(load_catalog(root, REGISTRY).checks) == ["one", "two"]

    def test_files_are_read_from_the_version_of_the_first(self, tmp_path, monkeypatch):
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("a1"), "b.yaml": gate_yaml("b1")}, "v1")
        read_text = Path.read_text

        def swapped_after_the_first_read(self, *args, **kwargs):
            text = read_text(self, *args, **kwargs)
            if not (root / "..v2").exists():
                swap_data(root, {"a.yaml": gate_yaml("a2"), "b.yaml": gate_yaml("b2")}, "v2")
            return text

        monkeypatch.setattr(Path, "read_text", swapped_after_the_first_read)
        # The kubelet swapped ..data between two reads: it was a catalog of both versions, {a1, b2}.
        assert sorted(load_catalog(root, REGISTRY).checks) == ["a1", "b1"]
        monkeypatch.undo()
        assert sorted(load_catalog(root, REGISTRY).checks) == ["a2", "b2"]

    def test_a_version_removed_while_it_is_read_is_read_again_from_the_new_one(self, tmp_path, monkeypatch):
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("a1"), "b.yaml": gate_yaml("b1")}, "v1")
        read_text = Path.read_text

        def swapped_and_removed_after_the_first_read(self, *args, **kwargs):
            text = read_text(self, *args, **kwargs)
            if not (root / "..v2").exists():
                # The kubelet: the new version, the swap of ..data, then the old version removed.
                swap_data(root, {"a.yaml": gate_yaml("a2"), "b.yaml": gate_yaml("b2")}, "v2")
                shutil.rmtree(root / "..v1")
            return text

        monkeypatch.setattr(Path, "read_text", swapped_and_removed_after_the_first_read)
        # b.yaml of v1 was gone: a refused reload ("cannot read"), until the next poll.
        assert sorted(load_catalog(root, REGISTRY).checks) == ["a2", "b2"]

    def test_a_version_removed_again_while_read_again_is_refused_for_the_next_poll(self, tmp_path, monkeypatch):
        root = configmap_dir(tmp_path / "catalog", {"a.yaml": gate_yaml("a0")}, "v0")
        read_text = Path.read_text
        versions = iter(range(1, 10))

        def each_read_outdated(self, *args, **kwargs):
            # The kubelet updates the ConfigMap between the listing and each read: the version listed is gone.
            old = os.readlink(root / "..data")
            swap_data(root, {"a.yaml": gate_yaml("a")}, f"v{next(versions)}")
            shutil.rmtree(root / old)
            return read_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", each_read_outdated)
        with pytest.raises(ConfigError) as caught:
            load_catalog(root, REGISTRY)
        # Read again once, not until a version stays: a reload does not chase a ConfigMap updated without end.
        assert next(versions) == 3
        assert caught.value.problems == [
            f"{root / 'a.yaml'}: cannot read: [Errno 2] No such file or directory: '{root / '..v1' / 'a.yaml'}'"
        ]


def swapped_and_removed_at_scandir(root: Path, monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """The kubelet's update driven by the walk itself: the first `times` scandirs of the version `..data` links to
    find it swapped for a new one and removed (a version holding `teams/b.yaml`, as `items:` paths write it)."""
    scandir = os.scandir
    versions = iter(range(2, 2 + times))

    def outdated(path=".", *args, **kwargs):
        current = root / os.readlink(root / "..data")
        walked = not isinstance(path, int) and Path(os.path.realpath(path)).is_relative_to(current.resolve())
        if walked and (version := next(versions, None)):
            swap_data(root, {"a.yaml": gate_yaml(f"a{version}")}, f"v{version}")
            (root / f"..v{version}" / "teams").mkdir()
            (root / f"..v{version}" / "teams" / "b.yaml").write_text(gate_yaml(f"b{version}"))
            shutil.rmtree(current)
        return scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", outdated)


def items_mount(root: Path) -> Path:
    """A ConfigMap mounted with `items:`, `teams/b.yaml` among them: the walk of `..data` goes into `teams`."""
    configmap_dir(root, {"a.yaml": gate_yaml("a1")}, "v1")
    (root / "..v1" / "teams").mkdir()
    (root / "..v1" / "teams" / "b.yaml").write_text(gate_yaml("b1"))
    (root / "teams").symlink_to("..data/teams")
    return root


class TestConfigMapSwappedMidWalk:
    """A version of a mounted ConfigMap removed while its `..data` is walked is walked again once, in the version
    swapped in; removed again, the load is refused naming the path, and the service keeps its catalog."""

    def test_a_version_removed_mid_walk_is_walked_again_in_the_new_one(self, tmp_path, monkeypatch):
        root = items_mount(tmp_path / "catalog")
        swapped_and_removed_at_scandir(root, monkeypatch, times=1)
        # Before: FileNotFoundError out of the walk, which the service logged as an internal error of its load.
        assert sorted(load_catalog(root, REGISTRY).checks) == ["a2", "b2"]

    def test_a_version_removed_mid_walk_twice_is_a_problem_naming_the_path(self, tmp_path, monkeypatch):
        root = items_mount(tmp_path / "catalog")
        swapped_and_removed_at_scandir(root, monkeypatch, times=2)
        with pytest.raises(ConfigError) as caught:
            load_catalog(root, REGISTRY)
        (problem,) = caught.value.problems
        assert problem.startswith(f"{root}: cannot list its files: [Errno 2] No such file or directory: "), problem
        assert "(a ConfigMap updated twice while it was read?)" in problem

    async def test_the_service_keeps_its_catalog_while_the_walk_races_updates(self, tmp_path, monkeypatch):
        root = items_mount(tmp_path / "catalog")
        live = live_for(root)
        swapped_and_removed_at_scandir(root, monkeypatch, times=2)
        assert await live.reload(reason="sighup") == "rejected"
        assert sorted(live.current.catalog.checks) == ["a1", "b1"]
        (problem,) = live.status.last_error["problems"]
        assert "internal error" not in problem and "cannot list its files" in problem, problem
        monkeypatch.undo()
        assert await live.reload(reason="sighup") == "reloaded"
        assert sorted(live.current.catalog.checks) == ["a3", "b3"]
        await live.close(timeout_s=5)


class TestHugeFile:
    """A file far past the catalog's size bound in the catalog directory is refused without being held in memory."""

    async def test_a_huge_file_is_refused_unread(self, tmp_path):
        (tmp_path / "a.yaml").write_text(gate_yaml("one"))
        live = live_for(tmp_path)
        await live.check_for_change()
        with (tmp_path / "dump.yaml").open("wb") as dump:
            dump.truncate(64 * 1024 * 1024 - 1)  # sparse: no disk used
            dump.seek(0, os.SEEK_END)
            dump.write(b"\n")  # not a file cut mid-line, left to the next poll
        tracemalloc.start()
        try:
            assert await live.check_for_change() == "rejected"
            _, peak_bytes = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # The poll's digest read the whole file into memory (64 MiB here); a reload of it took more than the pod had.
        assert peak_bytes < 8 * 1024 * 1024
        assert "dump.yaml: not read: the catalog's files reach" in live.status.last_error["problems"][0]
        assert sorted(live.current.catalog.checks) == ["one"]
        await live.close(timeout_s=5)


class TestClose:
    """Closing the service closes every generation, one a reload put in service while it closed included."""

    async def test_a_reload_in_progress_is_cancelled_and_the_catalog_in_service_closed(self, catalog_file, monkeypatch):
        # Before: the drain waited for the reload, all of ANALYZER_SHUTDOWN_TIMEOUT_S for a large catalog's parse,
        # and the exit then waited for the thread still parsing it. A catalog loaded now would serve no one.
        started, release, finished = threading.Event(), threading.Event(), threading.Event()

        def held_load(*args):
            # A parse that takes as long as the test says: a large catalog's takes seconds of CPU.
            started.set()
            release.wait(HANG_GUARD_S)
            try:
                return load_catalog(*args)
            finally:
                finished.set()

        monkeypatch.setattr(live_module, "load_catalog", held_load)
        # What the loop reports of its callbacks (asyncio's default handler logs it as an ERROR).
        reported: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _, context: reported.append(context))
        live = live_for(catalog_file)
        serving = live.current
        catalog_file.write_text(gate_yaml("one", "two"))
        before = set(threading.enumerate())
        live.request_reload("SIGHUP")
        await asyncio.to_thread(started.wait, HANG_GUARD_S)
        [loading] = [thread for thread in set(threading.enumerate()) - before if thread.name == "catalog-load"]
        async with asyncio.timeout(HANG_GUARD_S):
            await live.close(timeout_s=2 * HANG_GUARD_S)
        assert not finished.is_set()
        assert live.current is serving and serving.closed
        # The parse ends after the close: its catalog is dropped, never swapped in.
        release.set()
        await asyncio.to_thread(loading.join, HANG_GUARD_S)
        assert not loading.is_alive()
        for _ in range(5):  # turns of the loop for the thread's answer, handed over before it ended, to arrive
            await asyncio.sleep(0)
        assert live.current is serving
        # Handed to the cancelled reload, the answer raised InvalidStateError in the loop: an error logged at exit.
        assert reported == []


class TestOpenAPIBuild:
    """A generation's OpenAPI document is built once for every caller asking, and a build that did not finish is
    built anew by the next."""

    @pytest.fixture
    def held_build(self, monkeypatch):
        """A build that waits for the test's word (a large catalog's takes seconds): (started, release)."""
        started, release = threading.Event(), threading.Event()
        real = live_module.build_openapi

        def held(*args: Any, **kwargs: Any) -> dict[str, Any]:
            started.set()
            release.wait(HANG_GUARD_S)
            return real(*args, **kwargs)

        monkeypatch.setattr(live_module, "build_openapi", held)
        yield started, release
        release.set()

    async def test_a_caller_that_goes_away_leaves_the_build_to_the_others(self, catalog_file, held_build):
        # Unshielded, the first caller's cancellation (a request timed out, a server stopping its handlers)
        # cancelled the build every other caller was waiting for.
        started, release = held_build
        generation = live_for(catalog_file).current
        first, second = (asyncio.create_task(generation.openapi_body(frozenset({"one"}))) for _ in range(2))
        await asyncio.to_thread(started.wait, HANG_GUARD_S)
        first.cancel()
        release.set()
        async with asyncio.timeout(HANG_GUARD_S):
            body = await second
        assert list(json.loads(body)["paths"]).count("/api/v1/checks/one/run") == 1
        assert first.cancelled()

    async def test_a_cancelled_build_is_built_anew(self, catalog_file, held_build):
        # A build cancelled (as the loop's end cancels every task) stayed in the cache, and every later request got
        # its CancelledError; the check of what ended it raised in the loop's callback.
        started, release = held_build
        reported: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _, context: reported.append(context))
        generation = live_for(catalog_file).current
        before = asyncio.all_tasks()
        caller = asyncio.create_task(generation.openapi_body(frozenset({"one"})))
        await asyncio.to_thread(started.wait, HANG_GUARD_S)
        [build] = [task for task in asyncio.all_tasks() - before if task is not caller]
        build.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        release.set()
        async with asyncio.timeout(HANG_GUARD_S):
            body = await generation.openapi_body(frozenset({"one"}))
        assert "/api/v1/checks/one/run" in json.loads(body)["paths"]
        assert reported == []
