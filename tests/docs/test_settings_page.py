"""docs/settings.md shows the settings the code has: its table is the one scripts/settings_table.py writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestSettingsPage:
    """The generated table is current (tests/unit/test_settings.py checks every setting is on the page)."""

    def test_page_is_current(self):
        generator = _generator()
        page = generator.PAGE.read_text()
        assert generator.render(page) == page, "run: python scripts/settings_table.py"
