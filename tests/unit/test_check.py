import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from analyzer.catalog import build_catalog
from analyzer.check import Check, EvalContext
from analyzer.errors import DeadlineExceeded
from analyzer.registry import Registry
from analyzer.sources import Sources
from checks.kpi_compare import KpiCompareCheck


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


class TestParamVariants:
    """A kind that does not read `variant` refuses it: declared, it would change nothing there."""

    def test_a_kind_that_does_not_read_it_refuses_it(self):
        check = {
            "name": "c",
            "kind": "kpi_compare",
            "params": {"canary_hash": {"type": "label_value", "required": True, "variant": "canary"}},
            "canary": 'sum(x{hash="{{ canary_hash }}"})',
            "baseline": "sum(x)",
            "max_relative_change": 0.1,
        }
        with pytest.raises(ValidationError, match=r"canary_hash\.variant: this kind does not read it"):
            KpiCompareCheck.model_validate(check)


class TestParamVariantsRefusalNamesTheFirst:
    """Of several params declaring a variant on a kind that does not read it, the refusal names the first written."""

    def test_the_first_param_is_named(self):
        check = {
            "name": "c",
            "kind": "kpi_compare",
            "params": {
                "canary_hash": {"type": "label_value", "required": True, "variant": "canary"},
                "stable_hash": {"type": "label_value", "required": True, "variant": "baseline"},
            },
            "canary": 'sum(x{hash="{{ canary_hash }}"})',
            "baseline": 'sum(x{hash="{{ stable_hash }}"})',
            "max_relative_change": 0.1,
        }
        with pytest.raises(ValidationError, match=r"canary_hash\.variant: this kind does not read it") as refused:
            KpiCompareCheck.model_validate(check)
        assert "stable_hash" not in str(refused.value)


class TestSecretParamNames:
    """A param named like a secret is secret unless the catalog says `secret: false`."""

    @staticmethod
    def check(**param: object) -> Check:
        query = 'sum(rate(x{a="{{ api_token }}", b="{{ max_tokens }}", c="{{ page }}"}[5m]))'
        params = {
            "api_token": {"type": "label_value", "default": "tk-d3fault-v4lue", **param},
            "max_tokens": {"type": "label_value", "default": "100"},
            "page": {"type": "label_value", "default": "1"},
        }
        definition = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 1", "params": params}
        sources = {"default": {"url": "http://prometheus.monitoring:9090"}}
        return build_catalog([("test.yaml", {"sources": sources, "checks": [definition]})], Registry.default()).checks[
            "q"
        ]

    def test_a_secret_name_is_secret(self):
        # It was shown in args, ui_url, the history and logs, and its default in GET /api/v1/checks/{name}.
        check = self.check()
        assert check.secret_params() == frozenset({"api_token"})
        assert check.shown_args({"api_token": "tk-4rg", "max_tokens": "100", "page": "1"}) == {
            "api_token": "<redacted>",
            "max_tokens": "100",
            "page": "1",
        }
        assert check.definition()["params"]["api_token"]["default"] == "<redacted>"

    def test_secret_false_shows_it(self):
        assert self.check(secret=False).secret_params() == frozenset()

    def test_a_name_saying_how_a_caller_authenticates_is_no_secret(self):
        # `auth_mode` was secret by its `auth`: its `sso` shown as <redacted>, the page's link asking for it again.
        query = 'sum(x{m="{{ auth_mode }}", t="{{ auth_mode_token }}"})'
        params = {
            "auth_mode": {"type": "label_value", "default": "sso"},
            "auth_mode_token": {"type": "label_value", "default": "tk-d3fault-v4lue"},
        }
        definition = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 1", "params": params}
        sources = {"default": {"url": "http://prometheus.monitoring:9090"}}
        catalog = build_catalog([("test.yaml", {"sources": sources, "checks": [definition]})], Registry.default())
        assert catalog.checks["q"].secret_params() == frozenset({"auth_mode_token"})
