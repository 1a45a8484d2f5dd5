"""The JSON path subset and JSON equality used by http_smoke assertions, what a JSON assertion accepts at load,
and how one judges a path that finds nothing, null or an empty list."""

from __future__ import annotations

import textwrap

import httpx
import pytest

from analyzer.catalog import load_catalog
from analyzer.errors import ConfigError
from analyzer.registry import Registry
from analyzer.sources.http import HttpExchange
from checks.http_smoke import HttpSmokeCheck
from checks.http_smoke.jsonpath import JsonPath, json_equal
from checks.http_smoke.judge import judge_exchange
from checks.http_smoke.spec import Step

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

    @pytest.mark.parametrize("path", ["$.items[*].status", "$.items[?(@.status)]", "$..status", "$.items.*"])
    def test_a_path_of_several_values_is_refused_saying_why(self, path):
        # `$.items[*].status equals ok` has no single answer when one item is ok and one down, or none are.
        with pytest.raises(ValueError, match=r"no wildcards, filters or `\.\.`: a path names one value"):
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
            # Either side (mut27: each of these unequal pairs was equal with a mutant that survived: the boolean
            # read on the left alone, booleans or strings compared by type alone, lists by length or by Python's
            # ==, where True == 1).
            (1, True, False),
            (0, False, False),
            (True, False, False),
            ("x", "y", False),
            ([1], [2], False),
            ([True], [1], False),
        ],
    )
    def test_equality(self, left, right, equal):
        assert json_equal(left, right) is equal


class TestQuotedNames:
    """A quoted name's escapes mean what they mean in a JSON string, as in the answer's keys; others are refused."""

    @pytest.mark.parametrize(
        ("path", "key"),
        [
            ("$['caf\\u00e9']", "caf\u00e9"),
            ("$['a\\nb']", "a\nb"),
            ("$['tab\\there']", "tab\there"),
            ("$['\\ud83d\\ude00']", "\U0001f600"),
            ("$['\\/']", "/"),
            ("$['back\\\\slash']", "back\\slash"),
            ("$['it\\'s']", "it's"),
            ("$['say \"hi\"']", 'say "hi"'),
            ('$["say \\"hi\\""]', 'say "hi"'),
            ("$['a.b']", "a.b"),
            ("$['[0]']", "[0]"),
            ("$['']", ""),
        ],
    )
    def test_names_the_key_a_json_answer_spells_so(self, path, key):
        assert JsonPath.parse(path).steps == (key,)
        assert JsonPath.parse(path).find({key: 1}) == (True, 1)

    @pytest.mark.parametrize("path", ["$['\\a']", "$['\\x41']", "$['\\u00e']", "$['a\tb']", "$['\\0']"])
    def test_an_escape_json_has_not_is_refused(self, path):
        with pytest.raises(ValueError, match=r"is not a JSON string .*its escapes are JSON's"):
            JsonPath.parse(path)

    def test_exists_false_fails_on_the_key_an_escaped_name_spells(self):
        # Read as `cafu00e9`, no key of the answer, the assertion passed an answer that has the member.
        failures = judged({"json": [{"path": "$['caf\\u00e9']", "exists": False}]}, '{"caf\u00e9": "down"}')
        assert [(f.assertion, f.got) for f in failures] == [("json $['caf\\u00e9'] exists", 'a value ("down")')]


def judged(expect: dict, body: str) -> list:
    """The failed assertions of a 200 JSON answer `body` to a step expecting `expect` (judge_exchange is pure)."""
    return judged_step(Step.model_validate({"name": "s", "expect": expect}), body)


def judged_step(step: Step, body: str) -> list:
    """The failed assertions of `step` on a 200 JSON answer `body`."""
    exchange = HttpExchange(
        status=200,
        headers=httpx.Headers({"content-type": "application/json"}),
        body=body.encode(),
        latency_ms=1.0,
        body_truncated=False,
        url="http://app.shop.svc/",
    )
    return judge_exchange(step, exchange, "step s").failures


class TestNothingNullOrEmpty:
    """A path that finds nothing passes only `exists: false`; null and [] are values, each equal to itself alone."""

    @pytest.mark.parametrize(
        ("rule", "body", "got"),
        [
            ({"equals": None}, "{}", "nothing at that path"),
            ({"equals": []}, "{}", "nothing at that path"),
            ({"equals": []}, '{"v": null}', "null"),
            ({"equals": None}, '{"v": []}', "[]"),
            ({"equals": None}, '{"v": ""}', '""'),
            ({"equals": ""}, '{"v": null}', "null"),
            ({"equals": 0}, '{"v": null}', "null"),
            ({"equals": False}, '{"v": null}', "null"),
            ({"compare": ">= 0"}, '{"v": null}', "null"),
            ({"compare": ">= 0"}, '{"v": []}', "[]"),
            ({"compare": ">= 0"}, "{}", "nothing at that path"),
            ({"exists": True}, '{"w": 1}', "nothing at that path"),
            ({"exists": True}, '{"v": {}}', None),
            # null is a value: the member is there. What came is shown, so the reason says why.
            ({"exists": False}, '{"v": null}', "a value (null)"),
            ({"exists": False}, '{"v": []}', "a value ([])"),
            ({"exists": False}, "{}", None),
            ({"exists": True}, '{"v": null}', None),
            ({"equals": None}, '{"v": null}', None),
            ({"equals": []}, '{"v": []}', None),
            ({"equals": {}}, '{"v": {}}', None),
        ],
    )
    def test_judged(self, rule, body, got):
        failures = judged({"json": [{"path": "$.v", **rule}]}, body)
        assert [f.got for f in failures] == ([] if got is None else [got])

    @pytest.mark.parametrize(
        ("rule", "body"),
        [
            ({"equals": 1}, '{"v": "1"}'),
            ({"equals": "1"}, '{"v": 1}'),
            ({"equals": True}, '{"v": "true"}'),
            ({"equals": "true"}, '{"v": true}'),
            ({"equals": 1}, '{"v": true}'),
            ({"equals": "ok"}, '{"v": ["ok"]}'),
            ({"equals": ["ok"]}, '{"v": "ok"}'),
            ({"equals": "ok"}, '{"v": {"status": "ok"}}'),
        ],
    )
    def test_a_value_of_another_json_type_fails(self, rule, body):
        assert len(judged({"json": [{"path": "$.v", **rule}]}, body)) == 1

    @pytest.mark.parametrize(
        "body",
        [
            '{"status": "down", "status": "ok"}',
            '{"status": "down", "st\\u0061tus": "ok"}',
            '{"status": "ok"} trailing',
            '{"status": "ok"}{"status": "down"}',
            '{"status": "ok"',
            '{"status": "ok",}',
            "[" * 100_000 + "]" * 100_000,
        ],
    )
    def test_an_answer_no_two_parsers_read_alike_passes_no_assertion(self, body):
        for rule in ({"equals": "ok"}, {"exists": False}, {"exists": True}):
            failures = judged({"json": [{"path": "$.status", **rule}]}, body)
            assert [f.expected for f in failures] == ["a JSON body"], rule


class TestAssertionValuesAtLoad:
    """What YAML reads as no JSON value, or an assertion left null, is refused when the catalog loads."""

    @pytest.mark.parametrize(
        ("rule", "problem"),
        [
            (
                "{path: $.day, equals: 2026-12-06}",
                "equals is the YAML date 2026-12-06, not a JSON value: quote it ('2026-12-06') to mean the text",
            ),
            ("{path: $.at, equals: 2026-12-06T10:00:00Z}", "equals is the YAML datetime 2026-12-06 10:00:00+00:00"),
            ("{path: $.v, equals: [ok, 2026-12-06]}", "equals[1] is the YAML date 2026-12-06"),
            # Refused where it is written: no field takes binary data.
            ("{path: $.v, equals: !!binary aGk=}", "!!binary reads binary data, which no field of a catalog takes"),
            ("{path: $.codes, equals: {200: 5}}", "equals has the key 200, which is no string: quote it ('200')"),
            (
                "{path: $.v, equals: {a: {on: 1}}}",
                "equals.a has the key true, which is no string (YAML reads yes, no, on, off, true, false, null and ~ "
                "unquoted as none): quote the key as written",
            ),
            ("{path: $.v, exists: }", "exists is null: give it a value (true or false)"),
            ("{path: $.v, exists: ~}", "exists is null"),
            ("{path: $.v, compare: }", "compare is null: give it a value ('> 0')"),
        ],
    )
    def test_refused(self, tmp_path, rule, problem):
        with pytest.raises(ConfigError) as refused:
            load(tmp_path, f"expect: {{json: [{rule}]}}")
        assert any(problem in p for p in refused.value.problems), refused.value.problems

    def test_a_json_body_date_is_refused(self, tmp_path):
        with pytest.raises(ConfigError) as refused:
            load(tmp_path, "json_body: {since: 2026-12-06}")
        assert any("json_body.since is the YAML date 2026-12-06" in p for p in refused.value.problems)

    @pytest.mark.parametrize(
        "step", ["json_body: {200: ok, since: '2026-12-06'}", "expect: {json: [{path: $.v, equals: {'200': 5}}]}"]
    )
    def test_quoted_values_and_a_bodys_number_keys_load(self, tmp_path, step):
        assert load(tmp_path, step).name == "smoke"


class TestAssertionValuesYamlRewrites:
    """An `equals` YAML reads otherwise than JSON would (`012` as 10, `on` as true, nothing as null) is refused at
    load, saying what to write; one JSON reads alike (`1.10`, `true`, `null`) is kept, as exactly as JSON reads it."""

    @pytest.mark.parametrize(
        ("rule", "problem"),
        [
            # Each passed on an answer the text meant no match for: `"zip": 10` for 012, `"on": true` for on.
            (
                "{path: $.zip, equals: 012}",
                "equals is 012, which YAML reads unquoted as the number 10 and JSON not at all: quote it ('012') to "
                "mean the text, or write the number as JSON does (10)",
            ),
            ("{path: $.t, equals: 1:30}", "equals is 1:30, which YAML reads unquoted as the number 90"),
            ("{path: $.v, equals: {n: 0x10}}", "equals.n is 0x10, which YAML reads unquoted as the number 16"),
            ("{path: $.v, equals: [1_000]}", "equals[0] is 1_000, which YAML reads unquoted as the number 1000"),
            # Tagged, a number's digits are still read as YAML 1.1 reads them.
            ("{path: $.v, equals: !!int 012}", "equals is 012, which YAML reads unquoted as the number 10"),
            ("{path: $.v, equals: {default: 012}}", "equals.default is 012, which YAML reads unquoted as the number"),
            (
                "{path: $.state, equals: on}",
                "equals is on, which YAML reads unquoted as the boolean true: quote it ('on') to mean the text, or "
                "write true",
            ),
            ("{path: $.v, equals: [ok, No]}", "equals[1] is No, which YAML reads unquoted as the boolean false"),
            # JSON's number 1e3 is text to YAML 1.1: it failed `"n": 1000` and passed `"n": "1e3"`, a string equal to
            # a number silently.
            (
                "{path: $.n, equals: 1e3}",
                'equals is 1e3, which YAML reads unquoted as the text "1e3" and JSON as the number 1000: quote it '
                "('1e3') to mean the text, or write the number as YAML reads it (1000)",
            ),
            ("{path: $.v, equals: [1.5E3]}", 'equals[0] is 1.5E3, which YAML reads unquoted as the text "1.5E3"'),
            ("{path: $.v, equals: {n: -2e+3}}", "equals.n is -2e+3, which YAML reads unquoted as the text"),
            # No float holds it: "write the number as YAML reads it (inf)" named a text.
            (
                "{path: $.v, equals: 1e400}",
                'equals is 1e400, which YAML reads unquoted as the text "1e400" and JSON as a number too large for a '
                "float: quote it ('1e400') to mean the text",
            ),
            # Left empty (a template that rendered nothing), it asserted null: a pass on `{"status": null}`.
            ("{path: $.status, equals: }", "equals is empty, which YAML reads as null: write null to assert a null"),
            ("{path: $.v, equals: {a: }}", "equals.a is empty, which YAML reads as null"),
        ],
    )
    def test_refused(self, tmp_path, rule, problem):
        with pytest.raises(ConfigError) as refused:
            load(tmp_path, f"expect: {{json: [{rule}]}}")
        assert any(problem in p for p in refused.value.problems), refused.value.problems

    def test_a_plain_value_after_a_document_of_tagged_ones_is_still_refused(self, tmp_path):
        # Before: the loader kept the tagged nodes' ids; document 1's nodes, freed once read, left their ids to
        # document 2's, and some plain `yes` (16 of these 300 in one run) loaded as true unrefused.
        headers = ", ".join(f"h{i}: !!str x" for i in range(300))
        assertions = ", ".join(f"{{path: $.v{i}, equals: yes}}" for i in range(300))

        def document(name: str, fields: str) -> str:
            return (
                f"checks:\n- name: {name}\n  kind: http_smoke\n  base_url: http://a.svc\n"
                f"  steps:\n  - {{name: a, method: GET, path: /, {fields}}}\n"
            )

        (tmp_path / "catalog.yaml").write_text(
            document("one", f"headers: {{{headers}}}") + "---\n" + document("two", f"expect: {{json: [{assertions}]}}"),
            encoding="utf-8",
        )
        with pytest.raises(ConfigError) as refused:
            load_catalog(tmp_path / "catalog.yaml", Registry([HttpSmokeCheck]))
        assert len([p for p in refused.value.problems if "equals is yes, which YAML reads" in p]) == 300

    @pytest.mark.parametrize(
        ("equals", "body", "passed"),
        [
            ("1.10", '{"v": 1.1}', True),
            ("1.0", '{"v": 1}', True),
            ("true", '{"v": true}', True),
            ("True", '{"v": true}', True),
            ("'on'", '{"v": "on"}', True),
            ("null", '{"v": null}', True),
            ("~", '{"v": null}', True),
            ("{a: null}", '{"v": {"a": null}}', True),
            ("-0.5e+2", '{"v": -50}', True),
            # Quoted, the text as meant, which no number equals; a number as YAML reads it, the number.
            ("'1e3'", '{"v": "1e3"}', True),
            ("'1e3'", '{"v": 1000}', False),
            ("1000", '{"v": "1e3"}', False),
            ("1.0e+3", '{"v": 1000}', True),
            ("1.0e+3", '{"v": "1e3"}', False),
            # YAML's explicit tags say which the writer meant, as quotes do: `!!str` the text (before: refused,
            # "quote it ('1e3') to mean the text"), `!!float` the number.
            ("!!str 1e3", '{"v": "1e3"}', True),
            ("!!str 1e3", '{"v": 1000}', False),
            ("[!!str 1.5E3]", '{"v": ["1.5E3"]}', True),
            ("{n: !!str -2e+3}", '{"v": {"n": "-2e+3"}}', True),
            ("!!float 1e3", '{"v": 1000}', True),
            ("!!float 1e3", '{"v": "1e3"}', False),
            ("!!bool yes", '{"v": true}', True),
            ("!!str yes", '{"v": "yes"}', True),
            ("!!null ''", '{"v": null}', True),
            # Text no number is, plain, is that text.
            ("e3", '{"v": "e3"}', True),
            # Kept as a float under `default:`, 9007199254740993 equalled 9007199254740992.
            ("{default: 9007199254740993}", '{"v": {"default": 9007199254740992}}', False),
            ("{default: 9007199254740993}", '{"v": {"default": 9007199254740993}}', True),
            ("{example: 1.10}", '{"v": {"example": 1.1}}', True),
        ],
    )
    def test_kept_as_json_reads_it(self, tmp_path, equals, body, passed):
        check = load(tmp_path, f"expect: {{json: [{{path: $.v, equals: {equals}}}]}}")
        failures = judged_step(check.steps[0], body)
        assert (failures == []) is passed, failures


class TestTextBesideAPath:
    """A number JSON reads that YAML reads as text, in a mapping with `path` and `equals` keys that is no JSON
    assertion, is the text it was: refused as no string, a header named equals beside one named path failed to load."""

    @pytest.mark.parametrize("field", ["headers", "query"])
    def test_a_field_of_text_takes_it(self, tmp_path, field):
        check = load(tmp_path, f"{field}: {{path: /a, equals: 1e3}}")
        assert dict(getattr(check.steps[0], field)) == {"path": "/a", "equals": "1e3"}

    def test_a_body_sends_it_as_text(self, tmp_path):
        check = load(tmp_path, "json_body: {path: /a, equals: 1e3}")
        assert check.steps[0].json_body == {"path": "/a", "equals": "1e3"}


class TestShownDefinition:
    """A check's definition, as the API and the verdict pages show it, holds every JSON assertion as written."""

    def test_equals_null_is_shown(self, tmp_path):
        check = load(tmp_path, "expect: {json: [{path: $.error, equals: null}, {path: $.n, exists: false}]}")
        # Dumped without nulls, the first read `{path: $.error}`: an assertion of no kind.
        assert check.definition()["steps"][0]["expect"]["json"] == [
            {"path": "$.error", "equals": None},
            {"path": "$.n", "exists": False},
        ]


def load(tmp_path, step: str) -> HttpSmokeCheck:
    """The check of one POST step written as YAML `step` (a flow mapping's fields), as the catalog loads it."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        textwrap.dedent(
            f"""\
            checks:
            - name: smoke
              kind: http_smoke
              base_url: http://app.shop.svc
              steps:
              - {{name: a, method: POST, {step}}}
            """
        ),
        encoding="utf-8",
    )
    check = load_catalog(catalog, Registry([HttpSmokeCheck])).get("smoke")
    assert isinstance(check, HttpSmokeCheck)
    return check
