"""The JSON path subset and JSON equality used by http_smoke assertions."""

from __future__ import annotations

import pytest

from checks.http_smoke.jsonpath import JsonPath, json_equal

DOC = {"a": {"b": [10, {"c d": "x", "it's": 1}]}, "n": None, "t": True}


class TestJsonPath:
    """Paths name at most one value; a missing step means 'not found', never an exception."""

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("$", DOC),
            ("$.a.b[0]", 10),
            ("$.a.b[-2]", 10),
            ("$.a.b[-1]['c d']", "x"),
            ('$.a.b[1]["c d"]', "x"),
            ("$.a.b[1]['it\\'s']", 1),
            ("$.n", None),
            ("$.t", True),
        ],
    )
    def test_found(self, path, value):
        assert JsonPath.parse(path).find(DOC) == (True, value)

    @pytest.mark.parametrize("path", ["$.x", "$.a.b[2]", "$.a.b[-3]", "$.a.b.c", "$.t.x", "$.a[0]"])
    def test_not_found(self, path):
        assert JsonPath.parse(path).find(DOC) == (False, None)

    @pytest.mark.parametrize("path", ["a.b", "$a", "$.a.*", "$..a", "$[?(@.a)]", "$.a[", ""])
    def test_unsupported_syntax_is_rejected(self, path):
        with pytest.raises(ValueError, match="JSON path"):
            JsonPath.parse(path)

    def test_the_refusal_quotes_20_characters_from_where_the_path_breaks(self):
        path = "$.a b" + "x" * 30
        with pytest.raises(ValueError) as refused:
            JsonPath.parse(path)
        assert str(refused.value).startswith(f"JSON path {path!r} is invalid at {' b' + 'x' * 18!r};")


class TestJsonEqual:
    """Numbers compare by value; booleans, strings and numbers never equal each other."""

    @pytest.mark.parametrize(
        ("left", "right", "equal"),
        [
            (1, 1.0, True),
            (True, 1, False),
            (False, 0, False),
            ("1", 1, False),
            (None, None, True),
            ([1, {"a": 2}], [1.0, {"a": 2}], True),
            ({"a": 1}, {"a": 1, "b": 2}, False),
            ({"a": True}, {"a": 1}, False),
            ({"a": 1}, {"a": 1.0}, True),
            ([1], [1, 2], False),
            (True, True, True),
            ("x", "x", True),
            (10**400, 1.0, False),
            (10**400, 10**400, True),
            (10**400, float("inf"), False),
            # A list or an object never equals a string of the same length or keys (either side).
            (["a", "b"], "ab", False),
            ("ab", ["a", "b"], False),
            ({"a": 1}, "a", False),
            ({"a": 1}, ["a"], False),
            (["a"], {"a": 1}, False),
        ],
    )
    def test_equality(self, left, right, equal):
        assert json_equal(left, right) is equal
