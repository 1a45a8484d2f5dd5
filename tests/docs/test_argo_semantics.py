"""The ported Argo rules refuse what Argo refuses and accept what it accepts, one rule at a time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.argo_semantics import (
    BACKGROUND,
    INLINE,
    POST_PROMOTION,
    PRE_PROMOTION,
    analyses,
    analysis_problems,
    effective_count,
    metric_problems,
    template_problems,
    traffic_start_problems,
    verdict_reading_problems,
)


def _metric(**fields: Any) -> dict[str, Any]:
    return {
        "name": "m",
        "successCondition": 'result == "pass"',
        "provider": {"web": {"url": "http://a/{{args.x}}", "jsonPath": "{$.verdict}"}},
        **fields,
    }


def _template(metric: dict[str, Any], args: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "kind": "AnalysisTemplate",
        "metadata": {"name": "t"},
        "spec": {"args": [{"name": "x"}] if args is None else args, "metrics": [metric]},
    }


def _rollout_with(where: str) -> dict[str, Any]:
    analysis = {"templates": [{"templateName": "t"}], "args": [{"name": "x", "value": "1"}]}
    strategies = {
        INLINE: {"canary": {"steps": [{"setWeight": 10}, {"analysis": analysis}]}},
        BACKGROUND: {"canary": {"analysis": analysis, "steps": [{"setWeight": 10}]}},
        PRE_PROMOTION: {"blueGreen": {"activeService": "a", "prePromotionAnalysis": analysis}},
        POST_PROMOTION: {"blueGreen": {"activeService": "a", "postPromotionAnalysis": analysis}},
    }
    return {"kind": "Rollout", "spec": {"strategy": strategies[where]}}


def _problems(rollout: dict[str, Any], template: dict[str, Any]) -> list[str]:
    (analysis,) = analyses(rollout, "test")
    return analysis_problems(analysis, lambda ref: template if ref["templateName"] == "t" else None)


class TestIndefiniteMetrics:
    """An interval without count runs indefinitely: fine in the background, refused where the rollout waits."""

    @pytest.mark.parametrize("where", [INLINE, PRE_PROMOTION, POST_PROMOTION])
    def test_refused_where_the_rollout_waits(self, where):
        problems = _problems(_rollout_with(where), _template(_metric(interval="1m")))
        assert any("runs indefinitely" in p for p in problems)

    def test_allowed_in_the_background(self):
        assert _problems(_rollout_with(BACKGROUND), _template(_metric(interval="1m"))) == []

    @pytest.mark.parametrize("fields", [{"interval": "1m", "count": 5}, {}, {"count": 1}])
    def test_a_count_or_no_interval_ends(self, fields):
        assert _problems(_rollout_with(INLINE), _template(_metric(**fields))) == []

    def test_effective_count(self):
        assert (
            effective_count(_metric()),
            effective_count(_metric(interval="1m")),
            effective_count(_metric(interval="1m", count=3)),
        ) == (1, None, 3)


class TestMetricRules:
    """ValidateMetric and the web provider's rules."""

    @pytest.mark.parametrize(
        ("limit", "refused"),
        [
            ("failureLimit", -2),
            ("inconclusiveLimit", -1),
            ("consecutiveErrorLimit", -1),
            ("consecutiveSuccessLimit", -1),
        ],
    )
    def test_negative_limits(self, limit, refused):
        assert any(f"{limit} must be >= 0" in p for p in metric_problems(_metric(**{limit: refused})))
        assert not metric_problems(_metric(**{limit: 0}))

    def test_failure_limit_disabled_only_beside_consecutive_successes(self):
        assert any("cannot both be disabled" in p for p in metric_problems(_metric(failureLimit=-1)))
        assert not metric_problems(_metric(failureLimit=-1, consecutiveSuccessLimit=1))
        assert any(
            "count must be >= consecutiveSuccessLimit" in p
            for p in metric_problems(_metric(count=2, interval="1m", failureLimit=-1, consecutiveSuccessLimit=3))
        )

    def test_count_below_a_limit(self):
        assert any(
            "count must be >= failureLimit" in p
            for p in metric_problems(_metric(count=2, interval="1m", failureLimit=3))
        )
        assert not metric_problems(_metric(count=3, interval="1m", failureLimit=3))
        assert any(
            "count must be >= failureLimit + consecutiveSuccessLimit" in p
            for p in metric_problems(_metric(count=3, interval="1m", failureLimit=2, consecutiveSuccessLimit=2))
        )
        assert any(
            "count must be >= inconclusiveLimit" in p
            for p in metric_problems(_metric(count=2, interval="1m", inconclusiveLimit=3))
        )

    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            ({"count": 1, "failureLimit": 2}, "count must be >= failureLimit + consecutiveSuccessLimit"),
            # failureLimit left out counts as 0, not as disabled.
            ({"count": 1, "consecutiveSuccessLimit": 2}, "count must be >= failureLimit + consecutiveSuccessLimit"),
            ({"count": 1, "inconclusiveLimit": 2}, "count must be >= inconclusiveLimit"),
        ],
    )
    def test_a_count_of_one_below_a_limit(self, fields, text):
        assert any(text in p for p in metric_problems(_metric(**fields)))

    @pytest.mark.parametrize(
        "fields",
        [
            {"failureLimit": 3, "consecutiveSuccessLimit": 2},  # no count: no count to compare
            {"count": 1, "consecutiveSuccessLimit": 1},  # failureLimit left out is 0
            {"count": 2, "interval": "1m", "failureLimit": -1, "consecutiveSuccessLimit": 2},
            {"count": 5, "interval": "1m", "failureLimit": -1, "consecutiveSuccessLimit": 2},
            {"count": 3, "interval": "1m", "inconclusiveLimit": 3},
        ],
    )
    def test_a_count_that_holds_the_limits(self, fields):
        assert metric_problems(_metric(**fields)) == []

    def test_count_above_one_needs_an_interval(self):
        assert any("interval must be specified" in p for p in metric_problems(_metric(count=2)))

    def test_durations_parse(self):
        assert any("invalid interval" in p for p in metric_problems(_metric(interval="1 minute")))
        assert not metric_problems(_metric(interval="1m30s", initialDelay="500ms"))

    @pytest.mark.parametrize(("method", "refused"), [(None, True), ("GET", True), ("POST", False), ("PUT", False)])
    def test_a_body_needs_post_or_put(self, method, refused):
        metric = _metric()
        metric["provider"]["web"]["jsonBody"] = {"canary_hash": "{{args.x}}"}
        if method:
            metric["provider"]["web"]["method"] = method
        assert any("POST or PUT" in p for p in metric_problems(metric)) is refused

    def test_body_and_json_body_exclude_each_other(self):
        metric = _metric()
        metric["provider"]["web"].update(method="POST", body="{}", jsonBody={})
        assert any("either body or jsonBody" in p for p in metric_problems(metric))
        del metric["provider"]["web"]["jsonBody"]
        assert metric_problems(metric) == []

    def test_exactly_one_provider(self):
        two = _metric()
        two["provider"]["job"] = {"spec": {}}
        assert any("exactly one provider" in p for p in metric_problems(two))
        assert any("exactly one provider" in p for p in metric_problems(_metric(provider={})))


class TestTemplatesAndArgs:
    """Unique metric names, declared args, resolved args."""

    def test_duplicate_metric_names(self):
        template = _template(_metric())
        template["spec"]["metrics"].append(copy.deepcopy(template["spec"]["metrics"][0]))
        assert any("duplicate metric name" in p for p in template_problems(template["spec"]))

    def test_an_undeclared_arg_in_a_metric(self):
        assert any("args.x" in p for p in template_problems(_template(_metric(), args=[])["spec"]))

    def test_an_arg_without_value_must_be_passed(self):
        rollout = _rollout_with(INLINE)
        rollout["spec"]["strategy"]["canary"]["steps"][1]["analysis"]["args"] = []
        assert any("args.x was not resolved" in p for p in _problems(rollout, _template(_metric())))

    def test_a_passed_arg_must_be_declared(self):
        rollout = _rollout_with(INLINE)
        rollout["spec"]["strategy"]["canary"]["steps"][1]["analysis"]["args"].append({"name": "y", "value": "2"})
        assert any("'y' is passed but no template declares it" in p for p in _problems(rollout, _template(_metric())))

    def test_a_missing_template(self):
        rollout = _rollout_with(INLINE)
        (analysis,) = analyses(rollout, "test")
        assert "template 't' not found" in analysis_problems(analysis, lambda ref: None)


class TestVerdictReading:
    """A web metric calling the analyzer reads `{$.verdict}` with both recommended conditions, nothing looser."""

    @staticmethod
    def _analyzer_metric(**fields: Any) -> dict[str, Any]:
        metric = _metric(failureCondition='result == "fail"', **fields)
        metric["provider"]["web"]["url"] = "http://analyzer:8080/api/v1/checks/c/run?h={{args.x}}"
        return metric

    def test_the_recommended_metric(self):
        assert verdict_reading_problems(self._analyzer_metric()) == []

    @pytest.mark.parametrize(
        "fields",
        [
            {"successCondition": None},  # only failureCondition: inconclusive would count as Successful
            {"successCondition": 'result != "fail"'},  # inconclusive counts as Successful
            {"failureCondition": None},  # only successCondition: inconclusive fails the rollout
            {"failureCondition": 'result != "pass"'},  # inconclusive fails instead of pausing
        ],
    )
    def test_looser_or_one_sided_conditions(self, fields):
        metric = self._analyzer_metric()
        for key, value in fields.items():
            if value is None:
                del metric[key]
            else:
                metric[key] = value
        assert verdict_reading_problems(metric)

    def test_another_json_path(self):
        metric = self._analyzer_metric()
        metric["provider"]["web"]["jsonPath"] = "{$.reason}"
        assert verdict_reading_problems(metric)

    def test_other_web_metrics_are_not_ours(self):
        assert verdict_reading_problems(_metric()) == []


class TestNoSuccessWithoutAPass:
    """A metric calling the analyzer cannot end Successful, nor Error at every measurement, by its own settings."""

    @staticmethod
    def _analyzer_metric(**fields: Any) -> dict[str, Any]:
        return TestVerdictReading._analyzer_metric(**fields)

    @pytest.mark.parametrize(
        "fields",
        [
            {"count": 1, "inconclusiveLimit": 1},  # one `inconclusive` (no traffic) ends Successful
            {"count": 5, "interval": "1m", "failureLimit": 5},  # five `fail` end Successful
            {"inconclusiveLimit": 1},  # no count, no interval: one measurement
            {"count": 5, "interval": "1m", "failureLimit": -1, "consecutiveSuccessLimit": 2},  # `fail` never fails
            {"count": 2, "interval": "1m", "failureLimit": 1, "inconclusiveLimit": 1},  # a fail, an inconclusive
            {"count": 5, "interval": "1m", "failureLimit": 4, "inconclusiveLimit": 1},  # four fail, one inconclusive
        ],
    )
    def test_limits_that_let_no_pass_succeed(self, fields):
        assert verdict_reading_problems(self._analyzer_metric(**fields))

    @pytest.mark.parametrize(
        "fields",
        [
            {"count": 5, "interval": "1m", "failureLimit": 2, "inconclusiveLimit": 2},  # the 5th must pass
            {"interval": "1m", "inconclusiveLimit": 3},  # background: runs until a limit is exceeded
            {"count": 3, "interval": "1m", "inconclusiveLimit": 3, "consecutiveSuccessLimit": 2},  # needs 2 passes
            {"count": "{{args.x}}", "interval": "1m", "failureLimit": 2},  # known once resolved
            {"count": 3, "interval": "1m", "inconclusiveLimit": 3, "consecutiveSuccessLimit": 1},  # needs a pass
            {"failureLimit": 0},  # the first `fail` fails
        ],
    )
    def test_limits_below_the_count(self, fields):
        assert verdict_reading_problems(self._analyzer_metric(**fields)) == []

    @pytest.mark.parametrize(("method", "refused"), [("PUT", True), ("POST", False), ("GET", False)])
    def test_methods_the_run_endpoint_answers(self, method, refused):
        metric = self._analyzer_metric()
        metric["provider"]["web"]["method"] = method
        assert bool(verdict_reading_problems(metric)) is refused

    @pytest.mark.parametrize(
        ("query", "refused"), [("&format=text", True), ("&format=text&explain=true", True), ("&format=json", False)]
    )
    def test_the_answer_must_be_json(self, query, refused):
        metric = self._analyzer_metric()
        metric["provider"]["web"]["url"] += query
        assert bool(verdict_reading_problems(metric)) is refused

    def test_never_the_verdict_page(self):
        metric = self._analyzer_metric()
        metric["provider"]["web"]["url"] = "http://analyzer:8080/ui/checks/c/run?h={{args.x}}"
        assert any("verdict page" in p for p in verdict_reading_problems(metric))

    @pytest.mark.parametrize(
        ("fields", "refused"),
        [({"count": 5, "interval": "1m"}, True), ({"interval": "1m"}, True), ({"count": 1}, False), ({}, False)],
    )
    def test_a_fixed_time_is_measured_once(self, fields, refused):
        metric = self._analyzer_metric(**fields)
        metric["provider"]["web"]["url"] += "&at={{args.x}}"
        assert any("same moment" in p for p in verdict_reading_problems(metric)) is refused


class TestTrafficBeforeTheFirstMeasurement:
    """A metric about the canary's traffic is not first measured the moment that traffic starts."""

    @staticmethod
    def _problems(where: str, before: dict[str, Any] | None = None, **fields: Any) -> list[str]:
        metric = TestVerdictReading._analyzer_metric(**fields)
        metric["provider"]["web"]["url"] = "http://analyzer:8080/api/v1/checks/c/run?canary_hash={{args.x}}"
        rollout = _rollout_with(where)
        steps = rollout["spec"]["strategy"].get("canary", {}).get("steps")
        if before is not None and steps:
            steps.insert(1, before)
        template = _template(metric)
        return traffic_start_problems(rollout, lambda ref: template if ref["templateName"] == "t" else None)

    @pytest.mark.parametrize("where", [INLINE, BACKGROUND, POST_PROMOTION])
    def test_measured_as_traffic_starts(self, where):
        assert self._problems(where)
        assert not self._problems(where, initialDelay="2m")

    def test_a_pause_lets_traffic_in(self):
        assert not self._problems(INLINE, before={"pause": {"duration": "2m"}})

    def test_before_promotion_there_is_no_traffic_to_wait_for(self):
        assert not self._problems(PRE_PROMOTION)

    @staticmethod
    def _posting(json_body: dict[str, Any]) -> list[str]:
        metric = TestVerdictReading._analyzer_metric()
        metric["provider"]["web"].update(
            url="http://analyzer:8080/api/v1/checks/c/run", method="POST", jsonBody=json_body
        )
        template = _template(metric)
        return traffic_start_problems(
            _rollout_with(INLINE), lambda ref: template if ref["templateName"] == "t" else None
        )

    def test_the_canary_hash_in_a_json_body(self):
        assert self._posting({"canary_hash": "{{args.x}}"})
        assert not self._posting({"service": "{{args.x}}"})

    def test_an_analysis_before_any_set_weight_is_not_at_a_traffic_start(self):
        rollout = _rollout_with(INLINE)
        steps = rollout["spec"]["strategy"]["canary"]["steps"]
        steps.reverse()  # the analysis first, then setWeight: the last step is not the one before it
        metric = TestVerdictReading._analyzer_metric()
        metric["provider"]["web"]["url"] = "http://analyzer:8080/api/v1/checks/c/run?canary_hash={{args.x}}"
        template = _template(metric)
        assert not traffic_start_problems(rollout, lambda ref: template if ref["templateName"] == "t" else None)


class TestNoGateInDryRun:
    """A dryRun rule (a regexp matched anywhere in a metric's name) never names a gate: its result is only recorded."""

    @staticmethod
    def _template(rule: str) -> dict[str, Any]:
        template = _template(TestVerdictReading._analyzer_metric(name="payments-gate"))
        template["spec"]["dryRun"] = [{"metricName": rule}]
        return template

    @pytest.mark.parametrize("rule, refused", [("payments-gate", True), (".*", True), ("gate", True), ("other", False)])
    def test_in_the_template(self, rule, refused):
        assert any("dryRun[0]" in p for p in template_problems(self._template(rule)["spec"])) is refused

    # Go's regexp names payments-gate by these; Python's re cannot read the first, and reads the second as a set
    # of ":ahlp[" followed by "-]".
    @pytest.mark.parametrize("rule", [r"gate\z", "^[[:alpha:]-]+$"])
    def test_a_rule_read_otherwise_than_go_reads_it(self, rule):
        assert any("dryRun[0]" in p for p in template_problems(self._template(rule)["spec"]))
        template = _template(_metric())
        template["spec"]["dryRun"] = [{"metricName": rule}]
        assert template_problems(template["spec"]) == []  # no gate it could name

    def test_only_gates(self):
        template = _template(_metric())
        template["spec"]["dryRun"] = [{"metricName": ".*"}]
        assert template_problems(template["spec"]) == []

    def test_beside_the_templates(self):
        template = _template(TestVerdictReading._analyzer_metric(name="payments-gate"))
        rollout = _rollout_with(BACKGROUND)
        rollout["spec"]["strategy"]["canary"]["analysis"]["dryRun"] = [{"metricName": ".*"}]
        assert any("names the gate payments-gate" in p for p in _problems(rollout, template))
        assert not any("dryRun" in p for p in _problems(_rollout_with(BACKGROUND), template))

    def test_in_an_experiment(self):
        template = _template(TestVerdictReading._analyzer_metric(name="payments-gate"))
        experiment = {
            "kind": "Experiment",
            "spec": {"dryRun": [{"metricName": "payments"}], "analyses": [{"name": "a", "templateName": "t"}]},
        }
        (analysis,) = analyses(experiment, "test")
        problems = analysis_problems(analysis, lambda ref: template)
        assert any("names the gate payments-gate" in p for p in problems)


class TestBackgroundErrorLimit:
    """A background gate keeps consecutiveErrorLimit at Argo's default or below: one that errs until the rollout
    completes ends Successful, and how many measurements a rollout leaves time for is not known statically."""

    @staticmethod
    def _problems(where: str, limit: Any) -> list[str]:
        return _problems(
            _rollout_with(where), _template(TestVerdictReading._analyzer_metric(consecutiveErrorLimit=limit))
        )

    @pytest.mark.parametrize("limit, refused", [(5, True), ("10", True), ("{{args.x}}", True), (4, False), (0, False)])
    def test_in_the_background(self, limit, refused):
        assert any("consecutiveErrorLimit" in p for p in self._problems(BACKGROUND, limit)) is refused

    @pytest.mark.parametrize("where", [INLINE, PRE_PROMOTION, POST_PROMOTION])
    def test_where_the_rollout_waits(self, where):
        # There the rollout waits for `count` verdicts: errors delay it, never end the metric Successful.
        assert not any("consecutiveErrorLimit" in p for p in self._problems(where, 20))

    def test_only_gates(self):
        template = _template(_metric(consecutiveErrorLimit=20))
        assert not any("consecutiveErrorLimit" in p for p in _problems(_rollout_with(BACKGROUND), template))
