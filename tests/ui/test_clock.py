"""Verdict pages when the wall clock steps back (an NTP correction): the newest answer is the one recorded last."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import yaml

from analyzer import history as history_module
from analyzer.appkeys import LIVE
from analyzer.catalog import load_catalog
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatecatalog import REGISTRY
from tests.gatekind import GATES, Gate

AT = "2026-12-01T10:00:00Z"
AT_S = datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp()


def write_catalog(path, member_outcome: str) -> None:
    """A composite of one gate member, which answers `member_outcome` once its gate is open."""
    checks = [
        {"name": "member", "kind": "gate", "gate": "clock", "outcome": member_outcome},
        {"name": "release", "kind": "composite", "members": [{"check": "member"}]},
    ]
    path.write_text(yaml.safe_dump({"checks": checks}))


class TestClockSteppingBack:
    """A member's link shows the answer recorded last, whatever the wall clock said when each was recorded."""

    async def test_the_member_asked_alone_after_its_composite_is_the_answer_shown(
        self, aiohttp_client, tmp_path, monkeypatch
    ):
        GATES["clock"] = gate = Gate()
        gate.open()
        try:
            path = tmp_path / "catalog.yaml"
            write_catalog(path, "fail")
            app = create_app(Settings(catalog=path, probe_sources=False), load_catalog(path, REGISTRY), REGISTRY)
            client = await aiohttp_client(app)
            wall = iter([AT_S + 60, AT_S + 30])
            # The composite's answer recorded at +60 s, the member's own (later) at +30 s: the clock stepped back.
            monkeypatch.setattr(history_module, "time", SimpleNamespace(time=lambda: next(wall)))
            composite = await (await client.get(f"/api/v1/checks/release/run?at={AT}")).json()
            assert composite["verdict"] == "fail"
            write_catalog(path, "pass")
            assert await app[LIVE].reload("test") == "reloaded"
            alone = await (await client.get(f"/api/v1/checks/member/run?at={AT}")).json()
            monkeypatch.undo()
            assert alone["verdict"] == "pass"
            page = await (await client.get(alone["ui_url"])).text()
            # Was the composite's older answer (FAIL), taken for the newer by its wall-clock time.
            assert 'id="verdict">PASS<' in page
            also = page.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
            assert re.search(r'<a href="/ui/verdicts/(\d+)">FAIL \(as composite verdict \1 recorded it\)</a>', also)
        finally:
            GATES.pop("clock")
