import pytest
from pydantic import ValidationError

from checks.prometheus import PrometheusCheck, _groups_at_top_level

BASE = {"name": "c", "query": "vector(1)", "pass_if": "> 0"}


def invalid(**fields):
    with pytest.raises(ValidationError) as caught:
        PrometheusCheck.model_validate({**BASE, **fields})
    return str(caught.value)


class TestDefinition:
    """Contradictory or unjudgeable definitions are rejected when the catalog loads."""

    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            ({"reduce": "max", "each": True}, "either reduce"),
            ({"reduce": "last"}, "reduce: last has no meaning"),
            ({"step": "1m"}, "step only applies to range"),
            ({"over_time": "max"}, "over_time only applies to range"),
            ({"min_samples": 5}, "min_samples only applies"),
            ({"range": "5m", "step": "10m"}, "longer than range"),
            ({"range": "30d", "step": "15s"}, "more than 11000 points"),
            ({"range": "ten minutes"}, "duration"),
            ({"query": "sum by (pod) (x)"}, "set reduce"),
            ({"query": "x{a={{ h }}}", "params": {"h": {"type": "label_value", "required": True}}}, "inside quotes"),
            ({"pass_if": "< 1", "fail_if": "maybe"}, "not a condition"),
            ({"deadline_s": 0}, "greater than 0"),
            ({"no_data": "ignore"}, "no_data"),
            ({"query": ""}, "at least 1 character"),
            ({"range": "5m", "min_samples": 0}, "greater than or equal to 1"),
            ({"range": "11001s", "step": "1s"}, "more than 11000 points"),
        ],
    )
    def test_rejected(self, fields, text):
        assert text in invalid(**fields)

    @pytest.mark.parametrize("fields", [{"range": "5m", "step": "5m"}, {"range": "11000s", "step": "1s"}])
    def test_limits_are_inclusive(self, fields):
        # A step as long as the range is one point; 11,000 points is Prometheus' own limit, not over it.
        assert PrometheusCheck.model_validate({**BASE, **fields}).range == fields["range"]

    def test_definition_round_trips_as_text(self):
        check = PrometheusCheck.model_validate({**BASE, "range": "10m", "over_time": "quantile(0.9)"})
        definition = check.definition()
        assert (definition["pass_if"], definition["over_time"]) == ("> 0", "quantile(0.9)")
        assert PrometheusCheck.model_validate(definition).definition() == definition


class TestGroupingDetection:
    """Only a by/without grouping outside every parenthesis is flagged as multi-series."""

    @pytest.mark.parametrize(
        ("query", "flagged"),
        [
            ("sum by (pod) (rate(x[5m]))", True),
            ("sum(rate(x[5m])) by (pod)", True),
            ("sum without(instance) (x) / sum without(instance) (y)", True),
            ("max(sum by (pod) (rate(x[5m])))", False),
            ('sum(rate(x{by="by (x)"}[5m]))', False),
            ("sum(x) # by (pod)", False),
            ("sum(rate(x[5m]))", False),
            ("standby(x)", False),
        ],
    )
    def test_detection(self, query, flagged):
        assert _groups_at_top_level(query) is flagged
