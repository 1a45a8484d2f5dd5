import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from analyzer.catalog import load_catalog
from analyzer.errors import ArgError, ConfigError
from analyzer.params import (
    Duration,
    GivenArgs,
    Param,
    ParamName,
    ParamType,
    WrittenNumber,
    bind_args,
    json_type,
    parse_duration,
    parse_flag,
    parse_time,
    range_step_s,
    render_value,
    require_text,
    shown_args,
    silence_s,
    stopped_reporting,
)
from analyzer.registry import Registry

# What a time in no form `at` reads ends with: the two forms, each with an example.
FORMS_READ = (
    ": write a time such as 2026-11-26T11:00:00Z (Z for UTC, or an offset such as +01:00) or unix seconds such as "
    "1795690800"
)


class TestDurations:
    """PromQL durations parse to seconds and render back in their shortest form."""

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("30s", 30),
            ("5m", 300),
            ("1h30m", 5400),
            ("28d", 2419200),
            ("250ms", 0.25),
            ("1w", 604800),
            ("1y", 31536000),
        ],
    )
    def test_parse(self, text, seconds):
        assert parse_duration(text) == seconds

    # The last two: Arabic-Indic and fullwidth five, digits to Python's \d, not to Prometheus.
    @pytest.mark.parametrize("text", ["", "5", "5 m", "-5m", "5M", "0s", "1h 30m", "5m]", "1.5h", "\u0665m", "\uff15m"])
    def test_rejects(self, text):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(text)

    @pytest.mark.parametrize("value", [5, 300.0, None, ["5m"]])
    def test_a_value_that_is_no_text_is_no_duration(self, value):
        # YAML reads `window: 5` as a number: a ValueError naming the rule, not a TypeError from the regex.
        with pytest.raises(ValueError, match="is not a duration like 30s"):
            parse_duration(value)

    @pytest.mark.parametrize("text", ["30m1h", "5m5m", "1s1m", "10ms1s"])
    def test_units_out_of_prometheus_order_are_refused(self, text):
        # Prometheus refuses these ("not a valid duration string"): passed on, they read as an upstream error.
        with pytest.raises(ValueError, match="largest to the smallest"):
            parse_duration(text)

    @pytest.mark.parametrize(("text", "seconds"), [("292y", 292 * 31536000), ("1y2w3d4h5m6s7ms", 33019506.007)])
    def test_every_unit_once_in_order(self, text, seconds):
        assert parse_duration(text) == pytest.approx(seconds)

    def test_the_longest_duration_prometheus_holds_is_accepted(self):
        # Go's time.Duration: int64 nanoseconds, whole milliseconds up to 9223372036854.
        assert parse_duration("9223372036854ms") == pytest.approx(9223372036.854)
        with pytest.raises(ValueError, match="longer than Prometheus can hold"):
            parse_duration("9223372036855ms")

    @pytest.mark.parametrize("text", ["293y", "106752d", "99999999999999999999s"])
    def test_beyond_what_prometheus_holds_is_refused(self, text):
        with pytest.raises(ValueError, match="longer than Prometheus can hold"):
            parse_duration(text)

    @pytest.mark.parametrize(
        ("range_", "step", "step_s"), [("10m", None, 10.0), ("30s", None, 1.0), ("1h", "5m", 300.0)]
    )
    def test_range_step(self, range_, step, step_s):
        assert range_step_s(range_, step) == step_s


class TestSilence:
    """A series' silence runs from its last point to the range's end, the end rounded to the second as sent."""

    def test_seconds_from_the_last_point_to_the_end(self):
        end = datetime(2026, 1, 1, 1, 0, 0, 400000, tzinfo=UTC)
        assert silence_s(end.timestamp() - 120.4, end) == pytest.approx(120.0)


class TestStoppedReporting:
    """A range series stopped before the end when its last point is more than a step (and a second of rounding)
    before it: one silent for less still reports, and is judged (no_data: pass must not read it as absent)."""

    @pytest.mark.parametrize(
        ("silent_s", "stopped"), [(0.0, False), (60.0, False), (60.5, False), (61.0, False), (61.5, True), (600, True)]
    )
    def test_more_than_a_step_and_a_second(self, silent_s, stopped):
        assert stopped_reporting(silent_s, 60.0) is stopped


class TestParseTime:
    """`at=` accepts RFC 3339 with an offset or unix seconds, and nothing ambiguous."""

    def test_rfc3339_z(self):
        assert parse_time("2026-11-26T11:00:00Z") == datetime(2026, 11, 26, 11, tzinfo=UTC)

    def test_offset_is_normalised_to_utc(self):
        assert parse_time("2026-11-26T12:00:00+01:00") == datetime(2026, 11, 26, 11, tzinfo=UTC)

    def test_unix_seconds(self):
        assert parse_time("1795690800.5").timestamp() == 1795690800.5

    @pytest.mark.parametrize("text", ["x" * 8000, "9" * 8000, "2026-11-26T11:00:00" + "0" * 8000])
    def test_a_refused_time_is_quoted_cut(self, text):
        # Was quoted whole: a query string's 8 KiB in the 400, its log line and the history's entry.
        with pytest.raises(ValueError) as caught:
            parse_time(text)
        assert str(caught.value).startswith(repr(text[:77] + "...") + " is ")
        assert len(str(caught.value)) < 300

    def test_unix_seconds_in_other_digits_are_refused(self):
        # Arabic-Indic digits: read as the number 1795690800.5 before.
        with pytest.raises(ValueError, match="is neither RFC 3339 nor unix seconds"):
            parse_time("\u0661\u0667\u0669\u0665\u0666\u0669\u0660\u0668\u0660\u0660.\u0665")

    @pytest.mark.parametrize("text", ["2026-11-26t11:00:00z", "2026-11-26T11:00:00z", "2026-11-26t12:00:00+01:00"])
    def test_a_lower_case_t_and_z_are_rfc3339_too(self, text):
        # RFC 3339 section 5.6: "T" and "Z" may be lower case. Before: refused, as "a date alone is no time".
        assert parse_time(text) == datetime(2026, 11, 26, 11, tzinfo=UTC)

    @pytest.mark.parametrize("text", ["253402300800", "9" * 400, " 00253402300800 "])
    def test_whole_seconds_beyond_the_year_9999_are_out_of_range(self, text):
        with pytest.raises(ValueError, match="out of range for unix seconds"):
            parse_time(text)

    @pytest.mark.parametrize(
        ("text", "meant"),
        [
            ("1764154800000", "2025-11-26T11:00:00Z: write 1764154800"),
            ("1764154800123", "2025-11-26T11:00:00.123Z: write 1764154800.123"),
        ],
    )
    def test_milliseconds_name_the_seconds_to_write(self, text, meant):
        # A time copied from a Grafana URL (`from=1764154800000`): "out of range for unix seconds" said not why.
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        with pytest.raises(ValueError) as caught:
            parse_time(text, now=now)
        assert str(caught.value) == (
            f"{text!r} is out of range for unix seconds; in milliseconds, as a Grafana URL's from= and to= write "
            f"them? That is {meant}"
        )

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("now-1h", "write the time itself: 1h ago is 2026-11-26T10:00:00Z (unix seconds 1795687200)"),
            ("-30m", "write the time itself: 30m ago is 2026-11-26T10:30:00Z (unix seconds 1795689000)"),
            ("now - 1h30m", "write the time itself: 1h30m ago is 2026-11-26T09:30:00Z (unix seconds 1795685400)"),
            ("2h", "write the time itself: 2h ago is 2026-11-26T09:00:00Z (unix seconds 1795683600)"),
            ("now", "leave at out to evaluate now (2026-11-26T11:00:00Z)"),
        ],
    )
    def test_a_time_relative_to_now_names_the_time_to_write(self, text, said):
        # "Why did it stop an hour ago", as Grafana writes times: before, only "neither RFC 3339 nor unix seconds".
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        with pytest.raises(ValueError) as caught:
            parse_time(text, now=now)
        assert str(caught.value) == (
            f"{text!r} is neither RFC 3339 nor unix seconds: a time relative to now is not read; {said}"
        )
        with pytest.raises(ValueError) as caught:
            parse_time(text, now=now, relative_hint=False)
        assert str(caught.value) == f"{text!r} is neither RFC 3339 nor unix seconds"

    @pytest.mark.parametrize("text", ["now+1h", "yesterday", "-1x", "30000d"])
    def test_other_words_get_no_relative_hint(self, text):
        with pytest.raises(ValueError) as caught:
            parse_time(text, now=datetime(2026, 11, 26, 11, tzinfo=UTC))
        assert str(caught.value) == f"{text!r} is neither RFC 3339 nor unix seconds{FORMS_READ}"

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            # "add Z" led to `2026-11-26Z`, itself refused: the whole time to write is named.
            (
                "2026-11-26",
                "has no time zone offset: write 2026-11-26T00:00:00Z for UTC, or the offset of its zone "
                "(2026-11-26T00:00:00+01:00)",
            ),
            (
                "2026-11-26 11:00",
                "has no time zone offset: write 2026-11-26T11:00:00Z for UTC, or the offset of its "
                "zone (2026-11-26T11:00:00+01:00)",
            ),
            (
                "2026-11-26T11:00:00.5",
                "has no time zone offset: write 2026-11-26T11:00:00.500Z for UTC, or the offset "
                "of its zone (2026-11-26T11:00:00.500+01:00)",
            ),
            (
                "2026-11-26Z",
                "is neither RFC 3339 nor unix seconds: a date alone is no time: write 2026-11-26T00:00:00Z "
                "for its midnight in UTC",
            ),
            (
                "2026-11-26T11:00:00  Z",  # two spaces: Python reads one
                "is neither RFC 3339 nor unix seconds: Z follows the time directly: write 2026-11-26T11:00:00Z",
            ),
            (
                "2026-11-26T11:00:00 UTC",
                "is neither RFC 3339 nor unix seconds: a zone is written as an offset, not a "
                "name: write 2026-11-26T11:00:00Z",
            ),
            (
                "2026-11-26T11:00:00gmt",
                "is neither RFC 3339 nor unix seconds: a zone is written as an offset, not a "
                "name: write 2026-11-26T11:00:00Z",
            ),
            ("26/11/2026", f"is neither RFC 3339 nor unix seconds{FORMS_READ}"),
            ("2026-11-26T11:00:00+01:00 UTC", f"is neither RFC 3339 nor unix seconds{FORMS_READ}"),
            ("", "is neither RFC 3339 nor unix seconds: leave at out to evaluate now"),
            # A URL's `+01`, its + read as a space: before, "add Z or +00:00" or nothing.
            (
                "2026-11-26T12:00:00 01",
                "is neither RFC 3339 nor unix seconds: a + in a query string reads as a space: write the offset whole "
                "and encoded, %2B01:00, or the time in UTC with Z",
            ),
        ],
    )
    def test_a_time_in_no_form_read_names_what_to_write(self, text, said):
        with pytest.raises(ValueError) as caught:
            parse_time(text, now=datetime(2026, 12, 6, 11, tzinfo=UTC))
        assert str(caught.value) == f"{text!r} {said}"

    def test_milliseconds_of_a_time_ahead_are_only_out_of_range(self):
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        with pytest.raises(ValueError) as caught:
            parse_time(str(int(now.timestamp() + 3600) * 1000), now=now)
        assert str(caught.value).endswith("is out of range for unix seconds")

    def test_whole_seconds_read_as_the_moment_they_name(self):
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        for seconds in (0, 1, 1795690740, 1795690800):
            assert parse_time(f" {seconds:012d}\n", now=now) == datetime.fromtimestamp(seconds, UTC)

    def test_unix_second_zero_is_the_epoch(self):
        assert parse_time("0") == datetime(1970, 1, 1, tzinfo=UTC)

    @pytest.mark.parametrize(
        "text",
        [
            "2026-11-26T11:00:00",
            "yesterday",
            "1e400",
            "-5",
            "0001-01-01T00:00:00Z",
            "1970-01-01T00:00:00+01:00",
            # Out of datetime's range once in UTC (OverflowError, a 500, before).
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:59:59-01:00",
        ],
    )
    def test_rejects(self, text):
        with pytest.raises(ValueError):
            parse_time(text)

    @pytest.mark.parametrize(
        ("text", "meant"),
        [
            ("2026-11-26T12:00:00 01:00", datetime(2026, 11, 26, 11, tzinfo=UTC)),
            # Without a colon, with a fraction, with a space for the T: an offset all the same.
            ("2026-11-26T12:00:00.5 0100", datetime(2026, 11, 26, 11, 0, 0, 500000, tzinfo=UTC)),
            ("2026-11-26 12:00:00 05:30", datetime(2026, 11, 26, 6, 30, tzinfo=UTC)),
        ],
    )
    def test_an_offset_with_a_space_for_its_sign_is_read_as_that_offset(self, text, meant):
        # A URL's `+` arrives as a space: Argo Rollouts writes `{{experiment.availableAt}}` in the controller's TZ.
        assert parse_time(text) == meant

    @pytest.mark.parametrize(
        "text",
        [
            "2026-11-26T12:00:00 99:00",
            "2026 11",
            "yesterday 10",
            # Hours alone, or two spaces: not what a `+HH:MM` or `+HHMM` became.
            "2026-11-26T12:00:00 01",
            "2026-11-26T12:00:00  01:00",
            "2026-11-26T12:00:00Z 01:00",
            # No seconds, so no RFC 3339 time: `12 00:00` may be 12:00:00 as well as 12:00+00:00.
            "2026-11-26T12 00:00",
            "2026-11-26T12:00 01:00",
        ],
    )
    def test_a_space_before_what_is_no_offset_is_refused(self, text):
        with pytest.raises(ValueError, match=re.escape(repr(text))):
            parse_time(text)

    def test_an_offset_with_a_space_for_its_sign_keeps_the_future_rule(self):
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        with pytest.raises(ValueError, match="in the future"):
            parse_time("2026-11-26T12:01:01 01:00", now=now)
        assert parse_time("2026-11-26T12:00:50 01:00", now=now) == now

    @pytest.mark.parametrize("text", ["2026-11-26T11:01:01Z", "2026-11-26T12:00:00+00:30", "1795690861"])
    def test_future_beyond_a_clock_skew_is_refused(self, text):
        # Nothing is measured yet then: no series, which `no_data: pass` would read as a pass.
        with pytest.raises(ValueError, match="in the future"):
            parse_time(text, now=datetime(2026, 11, 26, 11, tzinfo=UTC))

    @pytest.mark.parametrize("text", ["2026-11-26T11:01:00Z", "1795690860", "1970-01-01T00:00:00Z"])
    def test_within_a_clock_skew_or_in_the_past_is_taken(self, text):
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        assert parse_time(text, now=now) <= now.replace(minute=1)

    @pytest.mark.parametrize("text", ["2026-11-26T11:00:50Z", "2026-11-26T12:01:00+01:00", "1795690860"])
    def test_ahead_within_a_clock_skew_is_read_as_now(self, text):
        # Before: the time as given; a window ending there held nothing measured past now.
        now = datetime(2026, 11, 26, 11, tzinfo=UTC)
        assert parse_time(text, now=now) == now


class TestParseFlag:
    """A run option reads true or false in the words the run endpoint has always taken, and nothing else."""

    @pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "On", ""])
    def test_true(self, value):
        # "" is `?explain` bare (or `explain=`): asking for it.
        assert parse_flag("explain", value) is True

    @pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF"])
    def test_false(self, value):
        assert parse_flag("explain", value) is False

    @pytest.mark.parametrize("value", ["maybe", " true", "2", "t"])
    def test_anything_else_is_refused_by_name(self, value):
        with pytest.raises(ArgError) as caught:
            parse_flag("explain", value)
        assert caught.value.message == f"explain must be true or false, got {value!r}"
        assert caught.value.arg == "explain"

    def test_a_long_value_is_quoted_in_part(self):
        # A query string's value is unbounded: the 400's reason (and the history's copy) is not.
        with pytest.raises(ArgError) as caught:
            parse_flag("explain", "y" * 5000)
        assert caught.value.message == f"explain must be true or false, got {'y' * 40!r}"


class TestParamDeclaration:
    """A param declaration is rejected when its rules contradict each other."""

    @pytest.mark.parametrize(
        "raw",
        [
            {"type": "label_value"},
            {"type": "label_value", "required": True, "default": "x"},
            {"type": "enum", "required": True},
            {"type": "number", "required": True, "pattern": "x"},
            {"type": "label_value", "required": True, "values": ["a"]},
            {"type": "label_value", "required": True, "pattern": "("},
            {"type": "duration", "default": "five minutes"},
            {"type": "label_value", "required": True, "minimum": 1},
            {"type": "label_value", "required": True, "unknown": 1},
            {"type": "identifier", "required": True, "min_length": 0},
            {"type": "label_value", "required": True, "min_length": 5, "max_length": 4},
            # A value of at most 0 characters could only be empty: min_length 0 says that, not max_length.
            {"type": "label_value", "required": True, "min_length": 0, "max_length": 0},
            {"type": "label_value", "default": ""},
            # A variant is what a label's value names: the canary's pods or the baseline's.
            {"type": "identifier", "required": True, "variant": "canary"},
            {"type": "label_value", "required": True, "variant": "stable"},
        ],
    )
    def test_invalid(self, raw):
        with pytest.raises(ValidationError):
            Param.model_validate(raw)

    def test_a_pattern_nested_too_deeply_to_compile_is_told_so(self):
        # re's parser recurses once per group: before, a RecursionError crashed the catalog load, naming no field.
        with pytest.raises(ValidationError, match="pattern: the regex nests groups too deeply to compile"):
            Param.model_validate({"type": "label_value", "required": True, "pattern": "(?:" * 500 + "x" + ")" * 500})

    @pytest.mark.parametrize("default", [5, "5"])
    def test_a_duration_default_without_its_unit_is_told_so(self, default):
        with pytest.raises(
            ValidationError, match=re.escape("got a value of 1 character: a number without a unit (s, m, h or d)")
        ):
            Param.model_validate({"type": "duration", "default": default})

    @pytest.mark.parametrize("default", ["5min", "1hr", "2 days"])
    def test_a_duration_default_with_a_unit_promql_lacks_names_the_units(self, default):
        # Before: "must be a duration like 30s, 5m or 1h30m (units from the largest to the smallest), got a value of 4
        # characters": the value is not quoted (a kind may send it as a credential), so nothing said what was wrong.
        with pytest.raises(ValidationError) as raised:
            Param.model_validate({"type": "duration", "default": default})
        (error,) = raised.value.errors()
        assert error["msg"] == (
            "Value error, default: must be a duration like 30s, 5m or 1h30m (units ms, s, m, h, d, w, y, from the "
            f"largest to the smallest; minutes are m, not min), got a value of {len(default)} characters"
        )


class TestParamNames:
    """A param name is a lowercase identifier of at most 63 characters, and none of the API's own query keys."""

    @pytest.mark.parametrize("name", ["canary_hash", "_x", "a" * 63])
    def test_accepted(self, name):
        assert TypeAdapter(ParamName).validate_python(name) == name

    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            ("canary-hash", "must match"),
            ("Canary", "must match"),
            ("9lives", "must match"),
            ("a" * 64, "must match"),
            ("", "must match"),
            ("at", "reserved by the API"),
            ("explain", "reserved by the API"),
            ("format", "reserved by the API"),
        ],
    )
    def test_refused(self, name, rule):
        with pytest.raises(ValidationError, match=rule):
            TypeAdapter(ParamName).validate_python(name)

    @pytest.mark.parametrize(
        ("name", "hint"),
        [
            (
                "canary-hash",
                "; write canary_hash (an AnalysisTemplate's arg canary-hash gives it in its url as ?canary_hash=...)",
            ),
            ("Canary", "; write canary"),
            ("9lives", " (lowercase letters, digits and _, not starting with a digit)"),
        ],
    )
    def test_a_refusal_says_what_to_write(self, name, hint):
        # Before: only "must match ^[a-z_][a-z0-9_]{0,62}$", for the Argo habit of naming it canary-hash.
        with pytest.raises(ValidationError) as raised:
            TypeAdapter(ParamName).validate_python(name)
        (error,) = raised.value.errors()
        assert error["msg"] == f"Value error, param name {name!r} must match ^[a-z_][a-z0-9_]{{0,62}}${hint}"


class TestParamValues:
    """Each type accepts its grammar and names the arg and the rule when it refuses a value."""

    @pytest.mark.parametrize(
        ("declaration", "raw", "expected"),
        [
            ({"type": "label_value"}, 'x"} or vector(1) #', 'x"} or vector(1) #'),
            ({"type": "label_value"}, 42, "42"),
            ({"type": "label_value", "min_length": 0}, "", ""),
            ({"type": "label_value", "min_length": 3}, "abc", "abc"),
            # A JSON number is the text of its shortest exact form, never rounded to 6 digits (0.123457, 1.23457e+07).
            ({"type": "label_value"}, 0.1234567, "0.1234567"),
            ({"type": "label_value"}, 12345678.0, "12345678"),
            ({"type": "enum", "values": ["0.1234567", "b"]}, 0.1234567, "0.1234567"),
            ({"type": "identifier"}, "http_requests_total", "http_requests_total"),
            ({"type": "identifier"}, "info", "info"),
            ({"type": "identifier"}, "nan_total", "nan_total"),
            ({"type": "duration"}, "5m", "5m"),
            ({"type": "number"}, "0.5", 0.5),
            ({"type": "number"}, 3, 3.0),
            ({"type": "enum", "values": ["a", "b"]}, "b", "b"),
            ({"type": "dns_label"}, "payments-canary", "payments-canary"),
            # The bounds themselves are in range.
            ({"type": "number", "minimum": 0, "maximum": 1}, "0", 0.0),
            ({"type": "number", "minimum": 0, "maximum": 1}, "1", 1.0),
            ({"type": "number", "minimum": 0, "maximum": 1}, "0.5", 0.5),
            ({"type": "label_value", "max_length": 4}, "1234", "1234"),
            ({"type": "label_value", "min_length": 4, "max_length": 4}, "1234", "1234"),
            # Not printable, but no control character of the C0 set: a label value may hold them.
            ({"type": "label_value"}, "a\x7f\x85\u2028b", "a\x7f\x85\u2028b"),
        ],
    )
    def test_accepts(self, declaration, raw, expected):
        assert Param.model_validate({**declaration, "required": True}).parse("x", raw) == expected

    @pytest.mark.parametrize(
        ("declaration", "raw", "rule"),
        [
            ({"type": "identifier"}, "rate(x)", "identifier"),
            ({"type": "identifier"}, "Inf", "not Inf or NaN"),
            ({"type": "identifier"}, "nan", "not Inf or NaN"),
            ({"type": "duration"}, "30m1h", "largest to the smallest"),
            ({"type": "duration"}, "300y", "longer than Prometheus can hold"),
            ({"type": "duration"}, "5m] or vector(1)", "duration"),
            ({"type": "number"}, "1 or vector(1)", "number"),
            ({"type": "number"}, "nan", "number"),
            # Digits of other scripts (Arabic-Indic one, full-width 5): float() reads them; a number is written in
            # ASCII digits, as Prometheus and PromQL write one.
            ({"type": "number"}, "\u0661", "decimal number, got '\u0661'"),
            ({"type": "number"}, "0.\uff15", "decimal number"),
            ({"type": "number"}, float("inf"), "finite"),
            ({"type": "number", "maximum": 1}, "2", "<= 1"),
            ({"type": "number", "minimum": 0}, "-1", ">= 0"),
            ({"type": "number", "minimum": 0, "maximum": 1}, "-0.001", ">= 0"),
            ({"type": "enum", "values": ["a", "b"]}, "c", "one of a, b"),
            ({"type": "dns_label"}, "Evil.example.com", "DNS label"),
            ({"type": "label_value", "pattern": "[0-9a-f]{10}"}, "zzzz", "pattern"),
            ({"type": "label_value", "max_length": 4}, "12345", "longer than 4"),
            ({"type": "label_value"}, "a\nb", "control"),
            ({"type": "label_value"}, "\u2028a\x1f", "control"),
            ({"type": "label_value"}, "", "is empty .*the label is absent.*min_length: 0"),
            ({"type": "label_value", "min_length": 3}, "ab", "shorter than 3 characters, got 'ab'"),
            ({"type": "identifier"}, "", "an identifier"),
            ({"type": "label_value"}, True, "string or a number, got true"),
            ({"type": "label_value"}, ["a"], "string or a number, got an array"),
            ({"type": "label_value"}, None, "string or a number, got null"),
            ({"type": "label_value"}, {"a": 1}, "string or a number, got an object"),
            # JSON's 1e999 is a float infinity in Python (and YAML writes .inf, .nan): never the text "inf".
            ({"type": "label_value"}, float("inf"), "finite"),
            ({"type": "label_value"}, float("-inf"), "finite"),
            ({"type": "label_value"}, float("nan"), "finite"),
            ({"type": "enum", "values": ["inf", "nan"]}, float("inf"), "finite"),
            ({"type": "dns_label"}, float("nan"), "finite"),
        ],
    )
    def test_refuses(self, declaration, raw, rule):
        with pytest.raises(ArgError, match=rule) as caught:
            Param.model_validate({**declaration, "required": True}).parse("canary_hash", raw)
        assert caught.value.arg == "canary_hash"
        assert "canary_hash" in caught.value.message


class TestJsonNumbersWritten:
    """A JSON body's number keeps its text: a text param takes it when it is sent as written, else refuses it."""

    @pytest.mark.parametrize(("param_type", "written"), [("label_value", "1.10"), ("dns_label", "1e3")])
    def test_a_number_sent_otherwise_than_written_is_refused(self, param_type, written):
        with pytest.raises(ArgError, match=re.escape(f'give it as the JSON string "{written}"')) as caught:
            Param(type=ParamType(param_type), required=True).parse("version", WrittenNumber(float(written), written))
        assert caught.value.arg == "version"

    @pytest.mark.parametrize(
        ("param_type", "written", "problem"),
        [
            ("identifier", "1.10", "must be an identifier"),
            ("dns_label", "1.10", "must be a DNS label"),
            ("duration", "1e3", "must be a duration"),
            ("enum", "1.0", "must be one of a, b"),
        ],
    )
    def test_a_number_whose_text_the_param_refuses_is_refused_for_its_text(self, param_type, written, problem):
        # Told to send `1.10` as the JSON string "1.10" for an identifier, a caller was refused again: the text as
        # written is what the refusal is about.
        param = Param(type=ParamType(param_type), values=["a", "b"] if param_type == "enum" else None, required=True)
        with pytest.raises(ArgError) as caught:
            param.parse("version", WrittenNumber(float(written), written))
        assert problem in caught.value.message
        assert f"got '{written}'" in caught.value.message
        assert "JSON string" not in caught.value.message

    @pytest.mark.parametrize("declared", [True, False])
    def test_a_secret_number_whose_text_the_param_refuses_is_refused_without_it(self, declared):
        # Secret as declared, or as its check decides (a param a header's value takes).
        param = Param(type=ParamType.IDENTIFIER, required=True, secret=declared)
        with pytest.raises(ArgError) as caught:
            param.parse("token", WrittenNumber(1.1, "1.10"), secret=not declared)
        assert "1.1" not in caught.value.message
        assert "must be an identifier" in caught.value.message

    def test_a_number_sent_as_written_is_the_text(self):
        assert Param(type=ParamType.LABEL_VALUE, required=True).parse("version", WrittenNumber(1.5, "1.5")) == "1.5"
        values = ["1.5", "b"]
        assert Param(type=ParamType.ENUM, values=values, required=True).parse("v", WrittenNumber(1.5, "1.5")) == "1.5"

    def test_the_refusal_names_the_param_type_with_its_article(self):
        param = Param(type=ParamType.ENUM, values=["1.0", "2"], required=True)
        with pytest.raises(ArgError, match="which an enum param sends as '1'"):
            param.parse("v", WrittenNumber(1.0, "1.0"))

    def test_a_number_param_reads_the_number(self):
        assert Param(type=ParamType.NUMBER, required=True).parse("limit", WrittenNumber(1000.0, "1e3")) == 1000.0

    def test_a_secret_param_is_refused_without_its_value(self):
        param = Param(type=ParamType.LABEL_VALUE, required=True, secret=True)
        with pytest.raises(ArgError) as caught:
            param.parse("token", WrittenNumber(1.1, "1.10"))
        assert "1.1" not in caught.value.message
        assert caught.value.message == (
            "arg 'token' is a JSON number that a label_value param sends otherwise than written: give it as a JSON "
            "string"
        )


class TestPercentWritten:
    """A number arg written in percent is refused saying the fraction it may mean; a secret one, without its value."""

    def test_the_fraction_is_said(self):
        with pytest.raises(ArgError, match=re.escape("got '1%': write 0.01 for 1% (or 1 if the param is in percent)")):
            Param(type="number", required=True, example=1).parse("limit", "1%")

    def test_a_secret_value_is_not_shown(self):
        with pytest.raises(ArgError) as caught:
            Param(type="number", required=True, example=1).parse("limit", "1%", secret=True)
        assert str(caught.value) == "arg 'limit' must be a decimal number, got a secret value of 2 characters"


class TestQuotedValues:
    """A refused value is quoted whole up to 80 characters, and cut to 77 with '...' beyond."""

    @pytest.mark.parametrize(("raw", "quoted"), [("x" * 80, "x" * 80), ("x" * 81, "x" * 77 + "...")])
    def test_quote(self, raw, quoted):
        param = Param(type="enum", values=["a"], required=True)
        with pytest.raises(ArgError) as caught:
            param.parse("mode", raw)
        assert caught.value.message == f"arg 'mode' must be one of a; got {quoted!r}"


class TestBindArgs:
    """Binding fills defaults and rejects missing and undeclared args by name."""

    params = {"canary_hash": Param(type="label_value", required=True), "window": Param(type="duration", default="5m")}

    def test_defaults_filled(self):
        assert bind_args(self.params, {"canary_hash": "abc"}) == {"canary_hash": "abc", "window": "5m"}

    def test_missing_required(self):
        with pytest.raises(ArgError, match="missing required arg 'canary_hash'"):
            bind_args(self.params, {})

    def test_missing_required_shows_the_declared_example(self):
        params = {"canary_hash": Param(type="label_value", required=True, example="c0ffee1")}
        with pytest.raises(ArgError) as caught:
            bind_args(params, {})
        assert caught.value.message == "missing required arg 'canary_hash' (label_value, e.g. c0ffee1)"

    @pytest.mark.parametrize("declared", [{"required": True}, {"default": "prod"}])
    def test_a_label_value_given_empty_is_refused(self, declared):
        # `hash=""` in PromQL selects the series without the label (a service-wide one), not the canary's.
        with pytest.raises(ArgError, match="arg 'canary_hash' is empty") as caught:
            bind_args({"canary_hash": Param(type="label_value", **declared)}, {"canary_hash": ""})
        assert caught.value.arg == "canary_hash"

    @pytest.mark.parametrize(
        ("declared", "default_shown"),
        [
            ({"type": "duration", "default": "5m"}, " ('5m')"),
            ({"type": "number", "default": 2}, " (2)"),
            ({"type": "enum", "values": ["a", "b"], "default": "a"}, " ('a')"),
            ({"type": "label_value", "default": "prod"}, " ('prod')"),
            ({"type": "duration", "default": "5m", "secret": True}, ""),
        ],
    )
    def test_an_empty_value_of_a_param_with_a_default_is_told_to_be_left_out(self, declared, default_shown):
        # Before: `window=` (an Argo arg with `value: ""`) was a 400 that named only the rule ("'' is not a
        # duration"), as if empty meant the default, as it does on the verdict pages; every measurement an Error.
        with pytest.raises(ArgError) as caught:
            bind_args({"window": Param(**declared)}, {"window": ""})
        assert caught.value.message.endswith(
            f"; an empty value is no default here: leave window out for its default{default_shown}"
        )
        assert caught.value.arg == "window"

    def test_a_value_that_is_not_empty_or_a_param_without_a_default_gets_no_such_hint(self):
        for params, raw in (
            ({"window": Param(type="duration", default="5m")}, "5"),
            ({"window": Param(type="duration", required=True)}, ""),
        ):
            with pytest.raises(ArgError) as caught:
                bind_args(params, {"window": raw})
            assert "leave window out" not in caught.value.message

    def test_a_label_value_declared_with_min_length_0_may_be_empty(self):
        params = {"env": Param(type="label_value", default="", min_length=0)}
        assert bind_args(params, {"env": ""}) == bind_args(params, {}) == {"env": ""}

    def test_an_undeclared_arg_beside_every_declared_one(self):
        params = {"env": Param(type="label_value", required=True)}
        with pytest.raises(ArgError, match="undeclared arg 'envv'"):
            bind_args(params, {"env": "prod", "envv": "canary"})

    @pytest.mark.parametrize(
        ("given", "named"),
        [
            # After a secret arg (declared, or made secret by the check): maybe the rest of its value, split at '&'.
            ({"pw": "p0ss", "w0rd-rest": ""}, None),
            ({"token": "t0k", "w0rd-rest": "", "x": "1"}, None),
            # Before it, or after an arg that is no secret: named.
            ({"w0rd-rest": "", "pw": "p0ss"}, "w0rd-rest"),
            ({"pw": "p0ss", "env": "prod", "w0rd-rest": ""}, "w0rd-rest"),
        ],
    )
    def test_an_undeclared_arg_after_a_secret_one_is_not_named(self, given, named):
        params = {
            "pw": Param(type="label_value", default="p1", secret=True),
            "token": Param(type="label_value", default="t1"),
        }
        params |= {"env": Param(type="label_value", default="prod")}
        with pytest.raises(ArgError) as caught:
            bind_args(params, given, frozenset({"token"}))
        if named is None:
            assert "w0rd" not in caught.value.message and caught.value.arg is None
            assert caught.value.message.startswith("an undeclared arg follows secret arg ")
        else:
            assert caught.value.message.startswith(f"undeclared arg {named!r}")

    @pytest.mark.parametrize(
        ("given", "query_count", "named"),
        [
            # A JSON body's args (or --arg's) split no value: named after a secret one.
            ({"pw": "p0ss", "w0rd-rest": ""}, 0, "w0rd-rest"),
            # A query string's come first: one after its secret arg is a piece, a body's after it is not.
            ({"pw": "p0ss", "w0rd-rest": ""}, 1, "w0rd-rest"),
            ({"pw": "p0ss", "w0rd-rest": "", "x": "1"}, 2, "x"),
            ({"pw": "p0ss", "w0rd-rest": ""}, 2, None),
        ],
    )
    def test_only_a_query_strings_args_are_pieces_of_a_secret(self, given, query_count, named):
        params = {"pw": Param(type="label_value", default="p1", secret=True)}
        params |= {"env": Param(type="label_value", default="prod")}
        with pytest.raises(ArgError) as caught:
            bind_args(params, GivenArgs(given, query_count))
        if named is None:
            assert caught.value.message.startswith("an undeclared arg follows secret arg 'pw'")
        else:
            assert caught.value.message.startswith(f"undeclared arg {named!r}")

    @pytest.mark.parametrize(("given", "meant"), [("canary-hash", "canary_hash"), ("windw", "window")])
    def test_an_undeclared_arg_names_the_param_it_may_mean(self, given, meant):
        # Before: only the list of params; `canary-hash` (Argo's spelling of the arg) is a usual slip.
        with pytest.raises(ArgError) as caught:
            bind_args(self.params, {given: "abc"})
        assert caught.value.message.endswith(f"; did you mean {meant!r}?")
        with pytest.raises(ArgError) as given_too:
            bind_args(self.params, {given: "abc", meant: "x", "canary_hash": "abc"})
        assert "did you mean" not in given_too.value.message

    def test_undeclared(self):
        with pytest.raises(ArgError, match="undeclared arg 'namespace'") as caught:
            bind_args(self.params, {"canary_hash": "abc", "namespace": "x"})
        assert caught.value.arg == "namespace"

    def test_an_undeclared_arg_lists_the_declared_params(self):
        with pytest.raises(ArgError, match=r"\(declared params: canary_hash, window\)"):
            bind_args(self.params, {"namespace": "x"})
        with pytest.raises(ArgError, match=r"\(declared params: none\)"):
            bind_args({}, {"namespace": "x"})


class TestSecretParams:
    """A secret param's value is never quoted by a refusal, and shows as <redacted> wherever args are echoed."""

    @pytest.mark.parametrize(
        ("declaration", "raw"),
        [
            ({"type": "identifier"}, "sk-live-1234"),
            ({"type": "number", "maximum": 1}, "2.71828"),
            ({"type": "number"}, "sk-live-1234"),
            ({"type": "enum", "values": ["a", "b"]}, "sk-live-1234"),
            ({"type": "dns_label"}, "SK-LIVE-1234"),
            ({"type": "label_value", "pattern": "[0-9a-f]{10}"}, "sk-live-1234"),
            ({"type": "label_value", "min_length": 20}, "sk-live-1234"),
            ({"type": "duration"}, "5m5m"),
            # In the grammar, refused by the parser, whose message quotes the value.
            ({"type": "duration"}, "300y"),
        ],
    )
    @pytest.mark.parametrize("how", ["declared", "decided by the check"])
    def test_a_refusal_does_not_quote_the_value(self, declaration, raw, how):
        param = Param.model_validate({**declaration, "required": True, "secret": how == "declared"})
        with pytest.raises(ArgError) as caught:
            bind_args({"token": param}, {"token": raw}, frozenset({"token"}) if how != "declared" else frozenset())
        assert caught.value.arg == "token"
        assert raw not in caught.value.message and "a secret value" in caught.value.message, caught.value.message

    @pytest.mark.parametrize("how", ["declared", "decided by the check"])
    def test_the_redacted_placeholder_is_no_value(self, how):
        # Args replayed from an answer or /api/v1/verdicts carry it; the target must not receive it as the token.
        param = Param(type="label_value", required=True, secret=how == "declared")
        with pytest.raises(ArgError, match="is <redacted>, what answers show in place of a secret") as caught:
            bind_args(
                {"token": param}, {"token": "<redacted>"}, frozenset({"token"}) if how != "declared" else frozenset()
            )
        assert caught.value.arg == "token"

    def test_the_redacted_placeholder_of_a_param_that_is_not_secret_is_a_value(self):
        assert bind_args({"h": Param(type="label_value", required=True)}, {"h": "<redacted>"}) == {"h": "<redacted>"}

    def test_a_refusal_of_a_param_that_is_not_secret_still_quotes_the_value(self):
        with pytest.raises(ArgError, match="got 'zzzz'"):
            bind_args({"h": Param(type="label_value", required=True, pattern="[0-9]+")}, {"h": "zzzz"})

    @pytest.mark.parametrize("field", ["default", "example"])
    @pytest.mark.parametrize(
        ("declaration", "said"),
        [
            ({"type": "label_value", "pattern": "[0-9]+"}, "must match the pattern '[0-9]+', got a value of 12 chara"),
            ({"type": "number"}, "must be a decimal number, got a value of 12 chara"),
            ({"type": "enum", "values": ["a", "b"]}, "must be one of a, b; got a value of 12 chara"),
        ],
    )
    def test_a_bad_default_or_example_is_not_quoted(self, field, declaration, said):
        # An http_smoke check makes the param secret after this, by sending it in Authorization: its load error
        # (in logs, /readyz and `analyzer validate` output) quoted the token.
        with pytest.raises(ValueError) as caught:
            Param.model_validate({**declaration, field: "sk-live-1234", "required": field == "example"})
        assert f"{field}: {said}" in str(caught.value)
        assert "sk-live" not in str(caught.value)

    def test_a_missing_secret_arg_does_not_show_its_example(self):
        params = {"token": Param(type="label_value", required=True, example="sk-live-1234", secret=True)}
        with pytest.raises(ArgError) as caught:
            bind_args(params, {})
        assert caught.value.message == "missing required arg 'token' (label_value)"

    def test_a_bad_secret_default_is_refused_without_quoting_it(self):
        with pytest.raises(ValidationError) as caught:
            Param(type="label_value", default="sk-live-1234", pattern="[0-9]+", secret=True)
        assert "sk-live-1234" not in str(caught.value)

    def test_shown_args(self):
        args = {"token": "sk-live-1234", "page": 2.0}
        assert shown_args(args, frozenset({"token"})) == {"token": "<redacted>", "page": 2.0}
        assert shown_args(args, frozenset()) == args

    def test_shown_args_hide_a_urls_credential_and_no_image_reference(self):
        # An image's tag before its digest is no password, nor a host before an SSH path: hidden, the page's link
        # would ask for the value again.
        images = {
            "image": "registry.io:5000/app:1.25@sha256:0a1b2c3d",
            "source": "docker://nginx:1.25@sha256:0a1b2c3d",
            "chart": "oci://ghcr.io/org/chart:1.2.3@sha512:0a1b",
            "repo": "git@github.com:org/repo.git",
        }
        args = {"up": "https://svc:pw-1@backend/", **images, "page": 2.0}
        assert shown_args(args, frozenset()) == {"up": "https://<redacted>@backend/", **images, "page": 2.0}

    def test_shown_args_keep_addresses_that_hold_no_password(self):
        # Each was shown as <redacted>, and the verdict page's link asked for the value again: a package URL's
        # version, a SIP, an ARN's or a mail address, a mode named `auth_...`, an scp-like git address.
        kept = {
            "package": "pkg:npm/x@1.2",
            "phone": "sip:a@b.example",
            "role": "arn:aws:iam::123:user/x@corp",
            "notify": "MAILTO:ops@x.example",
            "login": "https://idp.example/?auth_mode=sso",
            "repo": "git@github.com:org/repo",
        }
        assert shown_args(kept, frozenset()) == kept

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("https://user:pw@host/", "https://<redacted>@host/"),
            ("https://host/?token=t0k3n&x=1", "https://host/?token=<redacted>&x=1"),
            ("https://host/?access_token=t0k3n", "https://host/?access_token=<redacted>"),
            ("https://b.s3/k?X-Amz-Signature=abcd", "https://b.s3/k?X-Amz-Signature=<redacted>"),
            ("https://a.blob/c?sig=abcd&se=1", "https://a.blob/c?sig=<redacted>&se=1"),
            ("https://host/?auth_mode=sso&auth=t0k3n", "https://host/?auth_mode=sso&auth=<redacted>"),
            ("sip:alice:pw-1@pbx.example", "sip:<redacted>@pbx.example"),
            ("root:pw@tcp(db:3306)/app", "root:<redacted>@tcp(db:3306)/app"),
        ],
    )
    def test_shown_args_still_hide_credentials(self, value, shown):
        assert shown_args({"url": value}, frozenset()) == {"url": shown}


class TestJsonType:
    """A refused value's type is named as JSON calls it."""

    @pytest.mark.parametrize(
        ("value", "named"),
        [
            (None, "null"),
            (True, "true"),
            (False, "false"),
            ({"a": 1}, "an object"),
            (["a"], "an array"),
            ("a", "a string"),
            ("", "a string"),
            (1, "a number"),
            (1.5, "a number"),
        ],
    )
    def test_names(self, value, named):
        assert json_type(value) == named


class TestRenderValue:
    """Numbers render in their shortest exact form; strings as they are."""

    @pytest.mark.parametrize(("value", "text"), [(5.0, "5"), (0.25, "0.25"), (1e-05, "1e-05"), ("a", "a")])
    def test_render(self, value, text):
        assert render_value(value) == text


class TestHugeNumbers:
    """Integers beyond the float range are refused by name, never a crash."""

    def test_number_param(self):
        with pytest.raises(ArgError, match="out of range"):
            Param(type="number", required=True).parse("limit", 10**400)

    def test_label_value_param(self):
        with pytest.raises(ArgError, match="longer than"):
            Param(type="label_value", required=True).parse("h", 10**400)


class TestRequireText:
    """An arg name or value that is not clean UTF-8 (a lone surrogate, U+FFFD from bad percent-encoding) is an
    ArgError naming the arg; clean text, ASCII or not, passes."""

    @pytest.mark.parametrize(("name", "value"), [("h", "abc"), ("h", "caf\u00e9"), ("h", 3.5), ("na\u00efve", "x")])
    def test_clean_text_passes(self, name, value):
        require_text(name, value)

    @pytest.mark.parametrize(
        ("name", "value", "rule"),
        [
            ("h", "a\ufffdb", "not valid UTF-8"),
            ("h\ufffd", "x", "not valid UTF-8"),
            ("h", "a\ud800", "lone surrogate"),
        ],
    )
    def test_unclean_text_is_refused(self, name, value, rule):
        with pytest.raises(ArgError, match=rule):
            require_text(name, value)

    @pytest.mark.parametrize(
        ("name", "rule"), [("h" * 100 + "\ufffd", "not valid UTF-8"), ("h" * 100 + "\ud800", "surrogate")]
    )
    def test_a_long_name_is_quoted_to_64_characters(self, name, rule):
        with pytest.raises(ArgError, match=rule) as refused:
            require_text(name, "x")
        assert refused.value.arg == "h" * 64
        assert repr("h" * 64) in refused.value.message


class TestDurationField:
    """A duration field given a bare number is refused with a fix that loads."""

    @pytest.mark.parametrize(
        ("number", "fix"),
        [
            (1, "write a duration such as '1s' or '1m'"),
            (10, "write a duration such as '10s' or '10m'"),
            (0, "write a duration of whole units such as '30s', '5m' or '1h30m'"),
            (2.5, "write a duration of whole units such as '30s', '5m' or '1h30m'"),
        ],
    )
    def test_a_bare_number_gets_a_fix(self, number, fix):
        with pytest.raises(ValidationError, match=f"{number!r} has no unit: {fix}"):
            TypeAdapter(Duration).validate_python(number)


class TestDurationBounds:
    """A duration param may declare a `minimum` and a `maximum`, themselves durations: an arg outside them is refused
    naming the bound, as a number param's is."""

    WINDOW = {"type": "duration", "required": True, "minimum": "1m", "maximum": "1d"}

    @pytest.mark.parametrize("raw", ["1m", "60s", "5m", "1d", "23h59m59s"])
    def test_accepts_within_the_bounds(self, raw):
        assert Param.model_validate(self.WINDOW).parse("window", raw) == raw

    @pytest.mark.parametrize(
        ("raw", "rule"),
        [
            # Before: a duration param took no bounds; any duration up to 292 years was sent to Prometheus, a range
            # of a year read every sample of it, and one under the scrape interval answered no data.
            ("59s", "arg 'window' must be at least 1m, got '59s'"),
            ("30s", "arg 'window' must be at least 1m, got '30s'"),
            ("1d1ms", "arg 'window' must be at most 1d, got '1d1ms'"),
            ("1y", "arg 'window' must be at most 1d, got '1y'"),
        ],
    )
    def test_refuses_outside_the_bounds(self, raw, rule):
        with pytest.raises(ArgError, match=re.escape(rule)):
            Param.model_validate(self.WINDOW).parse("window", raw)

    def test_a_secret_value_is_not_quoted(self):
        with pytest.raises(ArgError, match="must be at least 1m, got a secret value of 3 characters"):
            Param.model_validate({**self.WINDOW, "secret": True}).parse("window", "30s")

    @pytest.mark.parametrize(
        ("declaration", "error"),
        [
            ({"minimum": 60}, "minimum of a duration param is a duration such as '60s' or '5m', got 60"),
            # The example is the number in seconds when it is a whole one above zero.
            ({"minimum": 1}, "minimum of a duration param is a duration such as '1s' or '5m', got 1"),
            ({"minimum": 0}, "minimum of a duration param is a duration such as '30s' or '5m', got 0"),
            ({"maximum": 1.5}, "maximum of a duration param is a duration such as '30s' or '5m', got 1.5"),
            (
                {"maximum": "forever"},
                "'forever' is not a duration like 30s, 5m, 1h30m or 28d (units ms, s, m, h, d, w, y, from the "
                "largest to the smallest, each once; minutes are m, days d)",
            ),
            ({"minimum": "0s"}, "duration '0s' must be longer than zero"),
            ({"minimum": "1h", "maximum": "1m"}, "minimum 1h is longer than maximum 1m"),
            ({"minimum": "1m", "default": "30s"}, "default: must be at least 1m, got a value of 3 characters"),
        ],
    )
    def test_a_bound_that_cannot_hold_is_refused(self, declaration, error):
        raw = {"type": "duration", **({"required": True} if "default" not in declaration else {}), **declaration}
        # The whole message: a bound echoed "got 1.0" for `maximum: 1` would match "got 1" cut short.
        with pytest.raises(ValidationError, match=re.escape(error) + r" \[type="):
            Param.model_validate(raw)

    def test_a_number_params_bound_is_a_number(self):
        with pytest.raises(ValidationError, match="minimum of a number param is a number, got the duration '1m'"):
            Param.model_validate({"type": "number", "required": True, "minimum": "1m"})
        # As before: a number written as text is read as one, in any notation float() reads.
        for text, number in (("5", 5.0), (" 5 ", 5.0), ("1e3", 1000.0)):
            assert Param.model_validate({"type": "number", "required": True, "minimum": text}).minimum == number
        with pytest.raises(ValidationError, match="Input should be a finite number"):
            Param.model_validate({"type": "number", "required": True, "maximum": "inf"})

    def test_an_integer_too_large_for_a_float_is_refused_as_a_bound(self):
        # YAML reads `maximum: 1000...0` (400 digits) as an int: float() of it raised OverflowError through the
        # loader, a traceback and exit 1 from `analyzer validate`, where a number field refused it (exit 6).
        with pytest.raises(ValidationError, match="Input should be a finite number"):
            Param.model_validate({"type": "number", "required": True, "maximum": 10**400})

    def test_bounds_are_for_numbers_and_durations_only(self):
        with pytest.raises(ValidationError, match="minimum and maximum are only for number and duration params"):
            Param.model_validate({"type": "label_value", "required": True, "minimum": 1})


class TestBoundsWritten:
    """A bound is a number or a duration as written: YAML's `true` or a list is refused, not read as 1, and a duration
    param's minimum may equal its maximum (one value accepted)."""

    @pytest.mark.parametrize("bound", [True, False, [1], {"seconds": 60}])
    def test_a_bound_neither_number_nor_text_is_refused(self, bound):
        for kind in ("number", "duration"):
            with pytest.raises(ValidationError, match="Input should be a valid number, or a duration such as '1m'"):
                Param.model_validate({"type": kind, "required": True, "minimum": bound})

    def test_a_duration_params_minimum_may_equal_its_maximum(self):
        param = Param.model_validate({"type": "duration", "required": True, "minimum": "1m", "maximum": "60s"})
        assert param.parse("window", "60s") == "60s"
        with pytest.raises(ArgError, match="must be at most 60s, got '61s'"):
            param.parse("window", "61s")


class TestYamlBooleans:
    """A default or example that YAML read as a boolean (`no`, `on`, `true` unquoted) is refused at load, never taken
    as the number 0 or 1."""

    @pytest.mark.parametrize(("written", "field"), [("no", "default"), ("on", "default"), ("true", "example")])
    def test_an_unquoted_yes_no_on_off_true_false_is_refused(self, tmp_path, written, field):
        # `country: no` (Norway) was the label value "0": the query matched other series than the catalog says
        # (none, and `or vector(0)` then reads no errors: a pass).
        required = "required: true, " if field == "example" else ""
        path = tmp_path / "catalog.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n"
            "- name: errors\n"
            "  kind: prometheus\n"
            f"  params: {{country: {{type: label_value, {required}{field}: {written}}}}}\n"
            '  query: sum(rate(errors_total{country="{{ country }}"}[5m])) or vector(0)\n'
            "  pass_if: < 1\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        (problem,) = caught.value.problems
        assert f"params.country.{field}" in problem
        assert "a boolean: YAML reads yes, no, on, off, true and false unquoted as one" in problem

    @pytest.mark.parametrize("default", ["no", 0, 1.5])
    def test_quoted_text_and_numbers_stay_as_written(self, default):
        assert Param.model_validate({"type": "label_value", "default": default}).default == default


class TestYamlNumbers:
    """A default or example that YAML read as a number from text the number does not render as (`012` as 10, `1.10`
    as 1.1) is refused for a param sent as text, and kept for a number param."""

    @staticmethod
    def load(tmp_path: Path, param_type: str, field: str, written: str) -> Param:
        required = "required: true, " if field == "example" else ""
        values = (
            f", values: ['{written}', '10', '31', '1000', '90', '1.1', '1', '1000.0']" if param_type == "enum" else ""
        )
        path = tmp_path / "catalog.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n"
            "- name: errors\n"
            "  kind: prometheus\n"
            f"  params: {{v: {{type: {param_type}, {required}{field}: {written}{values}}}}}\n"
            '  query: sum(rate(errors_total{v="{{ v }}"}[5m])) or vector(0)\n'
            "  pass_if: < 1\n"
        )
        return load_catalog(path, Registry.default()).checks["errors"].params["v"]

    @pytest.mark.parametrize("written", ["012", "0x1F", "1_000", "1:30", "1.10", "1.0", "+1", "1.0e+3"])
    @pytest.mark.parametrize("param_type", ["label_value", "enum"])
    @pytest.mark.parametrize("field", ["default", "example"])
    def test_one_sent_as_other_text_is_refused(self, tmp_path, written, param_type, field):
        # `default: 012` was sent as the label value "10", `1.10` as "1.1": series the catalog never named (none,
        # and `or vector(0)` reads none as no errors: a pass).
        with pytest.raises(ConfigError) as caught:
            self.load(tmp_path, param_type, field, written)
        (problem,) = caught.value.problems
        assert f"params.v (line 5): {field}: YAML reads {written} unquoted as the number " in problem
        assert f"quote it ('{written}')" in problem

    @pytest.mark.parametrize(("written", "kept"), [("10", "10"), ("1.5", "1.5"), ("0", "0"), ("-3", "-3")])
    def test_one_sent_as_written_loads(self, tmp_path, written, kept):
        param = self.load(tmp_path, "label_value", "default", written)
        assert param.default is not None
        assert param.parse("v", param.default) == kept

    @pytest.mark.parametrize(("written", "number"), [("1_000", 1000), ("1.10", 1.1), ("1.0", 1), ("+1", 1)])
    def test_a_number_param_keeps_the_number(self, tmp_path, written, number):
        assert self.load(tmp_path, "number", "default", written).default == number
