"""Series for the UI tests (tests/ui): a label value that is an attack on the page.

ui_hostile{note=HOSTILE} = 1 from anchor - 2h to anchor + 1h; if the page did not escape it, a script would
set window.__xss and the page title.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

HOSTILE = "<script>window.__xss=1;document.title='pwned'</script><img src=x onerror=\"window.__xss=2\">"


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the hostile series."""
    om.add(
        "ui_hostile", {"service": "ui", "note": HOSTILE}, lambda t: 1.0, anchor - 2 * 3600, anchor + 3600, step_s=60.0
    )
