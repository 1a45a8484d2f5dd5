import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from pydantic import ValidationError

from analyzer.models import (
    SEVERITY,
    Evaluation,
    Outcome,
    Verdict,
    clip,
    envelope,
    finite_or_none,
    format_time,
    json_safe,
    printable,
    shown,
    strict_json,
)


def strict_loads(body: bytes):
    """json.loads refusing NaN and Infinity, as Go's encoding/json does."""

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(body, parse_constant=refuse)


class _Float(float):
    """A float subclass, as numpy's float64 is."""


class _Text(str):
    """A str subclass."""


class _Code(StrEnum):
    UNAVAILABLE = "source_unavailable"


def _typed(value):
    """`value` with the exact type of every number, text and key in it, to compare what repr shows alike."""
    if isinstance(value, dict):
        return ("dict", [(_typed(key), _typed(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


class TestSeverity:
    """Outcomes rank error > fail > inconclusive > pass, each strictly: the worst of several is never a pass
    while any of them is not."""

    def test_the_ranking_is_strict(self):
        ranked = sorted(Outcome, key=SEVERITY.__getitem__)
        assert ranked == [Outcome.PASS, Outcome.INCONCLUSIVE, Outcome.FAIL, Outcome.ERROR]
        assert len(set(SEVERITY.values())) == len(Outcome)


class TestEvaluationJson:
    """Responses are strict JSON: non-finite numbers never reach Argo as bare NaN."""

    def evaluation(self, **fields):
        defaults = {
            "check": "c",
            "kind": "k",
            "verdict": Outcome.INCONCLUSIVE,
            "reason": "r",
            "evaluated_at": datetime(2026, 11, 26, 11, tzinfo=UTC),
            "duration_ms": 1.5,
        }
        return Evaluation(**(defaults | fields))

    def test_non_finite_value_is_null_and_details_are_strings(self):
        body = self.evaluation(value=math.nan, details={"series": [{"value": math.inf}], "x": (-math.inf,)})
        text = json.dumps(body.to_json(explain=True), allow_nan=False)
        assert json.loads(text)["value"] is None
        assert json.loads(text)["details"] == {"series": [{"value": "+Inf"}], "x": ["-Inf"]}

    def test_compact_body_has_no_details_or_error(self):
        body = self.evaluation().to_json(explain=False)
        assert "details" not in body and "error" not in body
        assert body["evaluated_at"] == "2026-11-26T11:00:00.000Z"

    def test_text_line(self):
        line = self.evaluation(value=0.5, threshold=[0.1, 0.9]).to_text()
        assert line == "INCONCLUSIVE c: r (value=0.5, threshold=[0.1, 0.9], at=2026-11-26T11:00:00.000Z, 1.5ms)"

    @pytest.mark.parametrize(
        ("value", "threshold", "shown"),
        [
            # A composite's fail at weights 1e17 and 1: read "value=100", every member passing.
            (99.99999999999999, 80.0, "value=99.99999999999999, threshold=80"),
            # Under its threshold by less than 6 digits show: read as at it.
            (79.9999999, 80.0, "value=79.9999999, threshold=80"),
            (80.0000001, 80.0, "value=80.0000001, threshold=80"),
            (0.30000000000000004, 0.3, "value=0.30000000000000004, threshold=0.3"),
            (0.8999999, [0.1, 0.9], "value=0.8999999, threshold=[0.1, 0.9]"),
            (0.1000001, [0.1, 0.9], "value=0.1000001, threshold=[0.1, 0.9]"),
            # kpi_compare records its tolerance and judges a higher_is_better difference against -tolerance.
            (-0.1000001, 0.1, "value=-0.1000001, threshold=0.1"),
            (-0.09999999, 0.1, "value=-0.09999999, threshold=0.1"),
            # Only as many digits as it takes; none more where 6 read on the right side.
            (66.666666666, 66.6667, "value=66.66667, threshold=66.6667"),
            (33.333333333, 80.0, "value=33.3333, threshold=80"),
            (80.0, 80.0, "value=80, threshold=80"),
            (100.0, None, "value=100, at="),
            (1234567.8, 5.0, "value=1.23457e+06, threshold=5"),
            (math.inf, 5.0, "value=inf, threshold=5"),
            (math.nan, 5.0, "value=NaN, threshold=5"),
        ],
    )
    def test_text_line_never_shows_a_value_as_its_threshold_or_100_it_is_not(self, value, threshold, shown):
        assert shown in self.evaluation(value=value, threshold=threshold).to_text()

    def test_text_line_of_an_error_names_its_code_first(self):
        line = self.evaluation(verdict=Outcome.ERROR, error="source_unavailable", reason="unreachable").to_text()
        assert line == "ERROR c: unreachable (error=source_unavailable, at=2026-11-26T11:00:00.000Z, 1.5ms)"

    def test_text_line_quotes_a_plugins_error_code_escaped(self):
        # A plugin's CheckError subclass names its own code: a newline in it started a line of its own.
        evaluation = self.evaluation(verdict=Outcome.ERROR, error="plugin_down\nPASS c: ok (", reason="down")
        assert evaluation.to_text() == (
            "ERROR c: down (error=plugin_down\\x0aPASS c: ok (, at=2026-11-26T11:00:00.000Z, 1.5ms)"
        )

    def test_text_line_quotes_a_servers_control_characters_escaped(self):
        evaluation = self.evaluation()
        line = evaluation.model_copy(update={"reason": "target said: \x1b[2J\x1b[32mall good\r\nPASS"}).to_text()
        assert "\n" not in line and "\x1b" not in line and "\r" not in line
        assert line.startswith("INCONCLUSIVE c: target said: \\x1b[2J\\x1b[32mall good\\x0d\\x0aPASS (")

    def test_json_safe_keeps_finite_values(self):
        assert json_safe({"a": [1.5, "x", None, True]}) == {"a": [1.5, "x", None, True]}

    def test_json_body_is_encoded_once_and_strict(self):
        evaluation = self.evaluation(value=math.nan, details={"x": math.inf})
        assert evaluation.json_body(True) is evaluation.json_body(True)
        assert strict_loads(evaluation.json_body(True))["details"] == {"x": "+Inf"}
        assert strict_loads(evaluation.json_body(True))["value"] is None
        assert "details" not in strict_loads(evaluation.json_body(False))

    def test_json_body_is_compact_utf8(self):
        evaluation = self.evaluation(value=1e-05, threshold=[0.5, 2.0], reason="p99 é 日本", args={"n": 3.0})
        assert (
            evaluation.json_body(False)
            == (
                '{"check":"c","kind":"k","verdict":"inconclusive","reason":"p99 é 日本","value":0.00001,'
                '"threshold":[0.5,2.0],"args":{"n":3.0},"evaluated_at":"2026-11-26T11:00:00.000Z","duration_ms":1.5}'
            ).encode()
        )

    def test_a_number_inside_an_object_of_the_evidence_is_spelt(self):
        @dataclass
        class Point:
            value: float

        evaluation = self.evaluation(details={"points": [Point(math.nan), Point(-math.inf)], "pair": (math.inf, 1)})
        details = strict_loads(evaluation.json_body(True))["details"]
        assert details == {"points": [{"value": "NaN"}, {"value": "-Inf"}], "pair": ["+Inf", 1]}

    @pytest.mark.parametrize(
        ("field", "number"),
        [
            ("threshold", math.inf),
            ("threshold", [0.0, math.nan]),
            ("args", {"n": -math.inf}),
            ("duration_ms", math.nan),
        ],
    )
    def test_a_non_finite_threshold_arg_or_duration_is_refused_naming_the_field(self, field, number):
        with pytest.raises(ValidationError, match=field):
            self.evaluation(**{field: number})


def validated(check, kind, verdict, *, args, evaluated_at, duration_ms, error, http_status, ui_url, evaluated_at_text):
    """The oracle of `envelope`: the evaluation that pydantic's validation makes of the same fields."""
    judged = verdict.__dict__
    evaluation = Evaluation.model_validate(
        {
            "check": check,
            "kind": kind,
            "verdict": judged["outcome"],
            "reason": judged["reason"],
            "value": judged["value"],
            "threshold": judged["threshold"],
            "args": args,
            "evaluated_at": evaluated_at,
            "duration_ms": duration_ms,
            "error": error,
            "details": judged["details"],
            "http_status": http_status,
            "ui_url": ui_url,
        }
    )
    evaluation.__dict__["_evaluated_at_text"] = evaluated_at_text
    return evaluation


class TestEnvelope:
    """The runner's envelope is the evaluation that validating its fields makes, or the same refusal, whatever a
    kind's verdict (made without validation, it may hold anything) and its error class give."""

    AT = datetime(2026, 12, 5, 9, tzinfo=UTC)

    @classmethod
    def by_validation(cls, verdict, args, error, http_status, ui_url, at_text):
        """The oracle: check `c` of kind `prometheus` evaluated at AT in 1.5 ms, its fields validated."""
        return validated(
            "c",
            "prometheus",
            verdict,
            args=args,
            evaluated_at=cls.AT,
            duration_ms=1.5,
            error=error,
            http_status=http_status,
            ui_url=ui_url,
            evaluated_at_text=at_text,
        )

    @classmethod
    def by_envelope(cls, verdict, args, error, http_status, ui_url, at_text):
        """The same evaluation made by the runner's `envelope`."""
        return envelope("c", "prometheus", verdict, args, cls.AT, 1.5, error, http_status, ui_url, at_text)

    @staticmethod
    def made(build, *args, **keywords):
        """What `build(*args, **keywords)` makes, as comparable text: each field's repr (1 and 1.0 differ, NaN equals
        NaN), the fields set, extra and private parts; or the validation's refusal."""
        try:
            evaluation = build(*args, **keywords)
        except ValidationError as refused:
            return ("refused", refused.errors(include_url=False))
        return (
            repr(evaluation.__dict__),
            evaluation.__pydantic_fields_set__,
            evaluation.__pydantic_extra__,
            evaluation.__pydantic_private__,
        )

    def test_the_same_evaluation_as_validation_on_random_fields(self):
        rng = random.Random(13)

        def number():
            return rng.choice([0.25, -3.0, 7, True, math.nan, math.inf, -math.inf, 1e-05, None, "0.5"])

        trusted = 0
        for _ in range(3000):
            fields = {
                "outcome": rng.choice(list(Outcome)),
                "reason": rng.choice(["meets pass_if < 0.05", "", 5, None]),
                "value": number(),
                "threshold": rng.choice([number(), [number(), number()], (0.1, 0.2), [0.1, 0.9], 0.05]),
                "details": rng.choice([{"queries": ["x"], "series_count": 1}, {}, {1: "a"}, None, [("a", 1)]]),
            }
            verdict = Verdict.model_construct(**fields) if rng.random() < 0.5 else None
            if verdict is None:
                try:
                    verdict = Verdict(**fields)
                except ValidationError:
                    verdict = Verdict.model_construct(**fields)
            args = rng.choice([{}, {"canary_hash": "h1"}, {"canary_hash": "h1", "q": number()}, {1: "a"}])
            error = rng.choice([None, "source_unavailable", 3])
            http_status = rng.choice([200, 502, True, 200.0, "200"])
            ui_url = rng.choice([None, "/ui/checks/c/at/x"])
            at_text = "2026-12-05T09:00:00.000Z"
            expected = self.made(self.by_validation, verdict, args, error, http_status, ui_url, at_text)
            made = self.made(self.by_envelope, verdict, args, error, http_status, ui_url, at_text)
            assert made == expected, (fields, args, error, http_status)
            trusted += expected[0] != "refused"
        assert trusted > 300

    @pytest.mark.parametrize(
        ("fields", "args", "error", "http_status"),
        [
            # One unusual field each: anything else sends the evaluation to validation whatever that field is.
            ({"value": _Float(0.5)}, {}, None, 200),
            ({"threshold": _Float(1.0)}, {}, None, 200),
            ({"threshold": [0.5, _Float(1.0)]}, {}, None, 200),
            ({}, {"q": _Float(2.0)}, None, 200),
            ({"reason": _Text("r")}, {}, None, 200),
            ({"details": {_Text("k"): 1}}, {}, None, 200),
            ({}, {_Text("a"): "b"}, None, 200),
            ({}, {"a": _Text("b")}, None, 200),
            ({"outcome": Outcome.ERROR}, {}, _Code.UNAVAILABLE, 503),
            ({"value": -0.0, "threshold": [-0.0, 0.0]}, {"q": -0.0}, None, 200),
            ({"reason": "a\ud800", "details": {"\udc00": {1: {2: "x"}}}}, {"a\ud800": "b\udc00"}, "x\ud800", 200),
            ({}, {"n": 3}, None, 200),
            ({}, {"f": False}, None, 200),
            ({}, {}, None, True),
        ],
    )
    def test_the_same_types_as_validation(self, fields, args, error, http_status):
        # Each field's exact type too: a float or str subclass (numpy's float64 is one), an enum of codes, an int
        # where a float goes, print as validation's float or str would.
        verdict = Verdict.model_construct(
            **({"outcome": Outcome.PASS, "reason": "r", "value": None, "threshold": None, "details": {}} | fields)
        )
        made = [
            _typed(build(verdict, args, error, http_status, None, "t").__dict__)
            for build in (self.by_validation, self.by_envelope)
        ]
        assert made[1] == made[0]

    def test_the_dicts_and_the_interval_are_copies(self):
        # As validation copies them: what the kind or the runner does with theirs afterwards is not the answer's.
        verdict = Verdict(outcome=Outcome.PASS, reason="r", value=0.5, threshold=[0.1, 0.9], details={"x": 1})
        args = {"canary_hash": "h1"}
        evaluation = envelope("c", "prometheus", verdict, args, self.AT, 1.5, None, 200, None, "t")
        assert evaluation.details == verdict.details and evaluation.details is not verdict.details
        assert evaluation.threshold == verdict.threshold and evaluation.threshold is not verdict.threshold
        assert evaluation.args == args and evaluation.args is not args


class TestStrictJson:
    """Every answer is strict JSON: a non-finite number is an error, never a bare NaN or Infinity."""

    @pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
    @pytest.mark.parametrize(
        "place", [lambda n: n, lambda n: {"a": {"b": [1, n]}}, lambda n: [(n,)], lambda n: {"ok": 0.5, "a": n}]
    )
    def test_a_non_finite_number_is_an_error(self, number, place):
        with pytest.raises(ValueError, match="NaN or infinite"):
            strict_json(place(number))
        with pytest.raises(ValueError, match="NaN or infinite"):
            strict_json(place(number), indent=2)

    def test_text_naming_nan_and_infinity_is_written(self):
        data = {"reason": "value NaN, -Infinity or Infinity", "NaN": [1.5, "Infinity"]}
        assert strict_loads(strict_json(data)) == data

    def test_a_lone_surrogate_is_written_as_its_escape(self):
        # A target's JSON may hold "\ud800": quoted in a reason, it is written back as it came.
        data = {"reason": "target said \ud800 é", "value": 0.5}
        assert strict_json(data) == b'{"reason":"target said \\ud800 \\u00e9","value":0.5}'
        assert json.loads(strict_json(data)) == data
        assert json.loads(strict_json(data, indent=2)) == data
        with pytest.raises(ValueError, match="Out of range"):
            strict_json({"reason": "\ud800", "value": math.inf})

    def test_indented_for_humans(self):
        assert strict_json({"a": [1, None], "b": {}}, indent=2) == b'{\n  "a": [\n    1,\n    null\n  ],\n  "b": {}\n}'


class TestFiniteOrNone:
    """A measurement shown as a number is finite; NaN and infinities show as null."""

    @pytest.mark.parametrize(
        ("value", "shown_as"), [(None, None), (0.5, 0.5), (math.nan, None), (math.inf, None), (-math.inf, None)]
    )
    def test_value(self, value, shown_as):
        assert finite_or_none(value) == shown_as


class TestFormatting:
    """Times read the same in every answer; clipped text never exceeds its limit and shows the cut."""

    def test_time_is_utc_to_the_millisecond_with_z(self):
        moment = datetime(2026, 11, 26, 13, 0, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
        assert format_time(moment) == "2026-11-26T12:00:05.123Z"

    def test_time_reads_as_isoformat_writes_it(self):
        rng = random.Random(13)
        for _ in range(3000):
            offset = timezone(timedelta(minutes=rng.randint(-14 * 60, 14 * 60)))
            moment = datetime.fromtimestamp(rng.uniform(-62_000_000_000, 253_000_000_000), UTC).astimezone(offset)
            if rng.random() < 0.1:
                moment = moment.replace(microsecond=rng.choice([0, 999, 999_999]))
            expected = moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            assert format_time(moment) == expected, moment
            assert format_time(moment.astimezone(UTC)) == expected, moment

    def test_clip(self):
        assert clip("short", 10) == "short"
        assert clip("x" * 20, 10) == "xxxxxxx..."
        assert clip("x" * 10, 10) == "x" * 10  # at the limit: whole
        assert clip("x" * 11, 10) == "xxxxxxx..."


class TestPrintable:
    """Text quoted from a server for a human's terminal shows its control characters, never obeys them."""

    def test_control_characters_are_written_as_escapes(self):
        assert printable("a\x1b[31mb\x00\x7f\x9b\tc\nd") == "a\\x1b[31mb\\x00\\x7f\\x9b\\x09c\\x0ad"

    def test_other_text_is_unchanged(self):
        text = 'café 日本 ok ÿ {a="b"} \\x1b'
        assert printable(text) is text

    def test_characters_that_reorder_or_hide_text_are_written_as_escapes(self):
        # U+202E would show the rest of the line backwards; a zero-width space and U+2028 hide or break it.
        assert printable('worst {a="\u202eliaf"} 1\u200b\u2028\u2066') == (
            'worst {a="\\u202eliaf"} 1\\u200b\\u2028\\u2066'
        )

    def test_characters_drawn_as_nothing_are_written_as_escapes(self):
        # Tag characters spell "fail" invisibly after "ok"; a soft hyphen and variation selectors hide too.
        assert printable("ok\U000e0066\U000e0061\U000e0069\U000e006c") == (
            "ok\\U000e0066\\U000e0061\\U000e0069\\U000e006c"
        )
        assert printable("pa\u00adss a\ufe0fb x\U000e0100y") == "pa\\xadss a\\ufe0fb x\\U000e0100y"
        assert shown("\U000e007f\u034f") == "\\U000e007f\\u034f"
        text = "emoji \u2764 \U0001f600 hangul \uac00 \U00020000"  # visible characters, BMP or not
        assert printable(text) is text

    def test_lone_surrogates_are_written_as_escapes(self):
        # A JSON body's `\ud800` is no text: a page or line holding one could not be encoded (before: a 500).
        assert printable("a\ud800b\udfff") == "a\\ud800b\\udfff"
        assert shown("x\udc80\ny") == "x\\udc80\ny"
        assert shown("a\ud800").encode() == b"a\\ud800"

    def test_a_page_keeps_newlines_and_tabs(self):
        assert shown("sum(x)\n\t/ y\r\x1b\u202e") == "sum(x)\n\t/ y\\x0d\\x1b\\u202e"
