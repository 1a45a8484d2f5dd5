import asyncio
from datetime import UTC, datetime

import pytest

from analyzer.check import EvalContext
from analyzer.errors import DeadlineExceeded
from analyzer.sources import Sources


def context(deadline_in_s: float) -> EvalContext:
    return EvalContext({}, datetime.now(UTC), asyncio.get_running_loop().time() + deadline_in_s, Sources({}))


class TestTimeLeft:
    """A source call may take the time left before the deadline, on the loop's clock, and none once it is gone."""

    async def test_the_time_left(self):
        ctx = context(5.0)
        before = ctx.remaining_s()
        timeout_s = ctx.timeout_s()
        assert 0 < timeout_s <= before <= 5.0
        assert timeout_s > 4.0

    @pytest.mark.parametrize("deadline_in_s", [0.0, -0.001, -60.0])
    async def test_none_once_the_deadline_passed(self, deadline_in_s):
        with pytest.raises(DeadlineExceeded, match="deadline passed before the next query"):
            context(deadline_in_s).timeout_s()
