"""Fixtures of the UI tests: the analyzer served from a thread with the UI catalog, auth on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.support import Served, serve


@pytest.fixture(scope="module")
def served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth on (tests.ui.support.TOKEN) against the session's Prometheus."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-auth"), auth=True) as server:
        yield server
