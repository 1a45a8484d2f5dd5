"""PromQL text read without a parser: its strings and comments blanked in place."""

from __future__ import annotations

import pytest

from analyzer.promql_text import promql_blanked


class TestPromqlBlanked:
    """Each string (any quoting, escapes kept inside) and comment becomes spaces of its length; the rest stays."""

    @pytest.mark.parametrize(
        ("query", "blanked", "uncommented"),
        [
            ('max(x{a="b)"}) # max(y)\n+ 1', "max(x{a=    })         \n+ 1", 'max(x{a="b)"})         \n+ 1'),
            ("x{a='it\\'s', b=`c\\`} or y", "x{a=       , b=    } or y", "x{a='it\\'s', b=`c\\`} or y"),
            ('x{a="# no comment"}', "x{a=" + " " * 14 + "}", 'x{a="# no comment"}'),
        ],
    )
    def test_blanked(self, query, blanked, uncommented):
        assert promql_blanked(query) == blanked
        assert promql_blanked(query, strings=False) == uncommented
