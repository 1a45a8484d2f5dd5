"""analyzer.testing.rule_slices: a rule backfill range cut at promtool's 2 h blocks."""

from analyzer.testing import RULE_BLOCK_S, rule_slices

B = 1_796_400_000 // RULE_BLOCK_S * RULE_BLOCK_S


class TestRuleSlices:
    """One slice per 2 h block the range touches, covering every second of it once."""

    def test_a_range_inside_one_block_is_one_slice(self):
        assert rule_slices(B + 60, B + 3000) == [(B + 60, B + 3000)]

    def test_a_range_across_a_boundary_is_cut_there(self):
        assert rule_slices(B - 2400, B + 600) == [(B - 2400, B - 1), (B, B + 600)]

    def test_a_range_across_two_boundaries_has_a_whole_block_between(self):
        assert rule_slices(B - 60, B + RULE_BLOCK_S + 60) == [
            (B - 60, B - 1),
            (B, B + RULE_BLOCK_S - 1),
            (B + RULE_BLOCK_S, B + RULE_BLOCK_S + 60),
        ]

    def test_a_one_second_slice_is_left_out(self):
        # promtool refuses start == end.
        assert rule_slices(B - 1, B + 600) == [(B, B + 600)]
        assert rule_slices(B - 600, B) == [(B - 600, B - 1)]
