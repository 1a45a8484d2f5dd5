"""`analyzer serve` settles the cyclic collector once start-up is done."""

from __future__ import annotations

import gc

import pytest

from analyzer.server import YOUNG_COLLECTION_THRESHOLD, settle_collector


@pytest.fixture
def restored_collector():
    """The collector's thresholds and frozen objects as they were before the test."""
    thresholds = gc.get_threshold()
    yield thresholds
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class TestSettleCollector:
    """What exists at start-up is frozen, and young collections run less often; older generations as they were."""

    def test_freezes_and_raises_the_young_threshold_only(self, restored_collector):
        kept = object.__new__(type("Kept", (), {}))
        settle_collector()
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *restored_collector[1:])
        assert restored_collector[0] < YOUNG_COLLECTION_THRESHOLD
        assert gc.get_freeze_count() > 0
        assert not any(obj is kept for gen in range(3) for obj in gc.get_objects(gen))
