"""The runner's coalescing and reuse window through the HTTP API against the real, backfilled Prometheus: only
identical requests share an evaluation, however long the window."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml

from analyzer.appkeys import LIVE, METRICS
from analyzer.catalog import load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.integration.data_core import STEP_CHANGE_S

pytestmark = pytest.mark.integration

# 0.2 until anchor - 30m, then 0.9 (tests/integration/data_core.py).
LATENCY = {"name": "latency", "kind": "prometheus", "query": 'max(latency_p99_seconds{service="checkout"})'}
# A canary's 5xx ratio, its hash secret: healthy1 0.001, broken1 0.1; both shown as <redacted>.
SECRET_HASH = {
    "name": "secret-hash",
    "kind": "prometheus",
    "params": {"canary_hash": {"type": "label_value", "required": True, "secret": True}},
    "query": 'sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="{{ canary_hash }}",'
    'code=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash='
    '"{{ canary_hash }}"}[5m]))',
    "pass_if": "< 0.01",
}


def write_catalog(path, url: str, latency_pass_if: str) -> None:
    checks = [{**LATENCY, "pass_if": latency_pass_if}, SECRET_HASH]
    path.write_text(yaml.safe_dump({"sources": {"default": {"url": url}}, "checks": checks}))


@pytest.fixture
async def served(prometheus, aiohttp_client, tmp_path):
    """A client of a service whose reuse window outlasts the test, and its catalog's path."""
    path = tmp_path / "catalog.yaml"
    write_catalog(path, prometheus.url, "< 0.5")
    registry = Registry.default()
    settings = Settings(catalog=path, catalog_poll_s=0, reuse_window_s=60)
    return await aiohttp_client(create_app(settings, load_catalog(path, registry), registry)), path


async def verdict(client, check: str, **params: Any) -> str:
    answer = await client.get(f"/api/v1/checks/{check}/run", params=params)
    assert answer.status == 200, await answer.text()
    return (await answer.json())["verdict"]


class TestJudgedApart:
    """Requests that differ in what is measured, or in the definition that judges it, never share an answer."""

    async def test_another_time_is_evaluated_at_its_own(self, served, prometheus):
        client, _ = served
        before = str(int(prometheus.anchor - 2 * STEP_CHANGE_S))
        after = str(int(prometheus.anchor))
        assert [await verdict(client, "latency", at=t) for t in (before, after, before)] == ["pass", "fail", "pass"]
        # Now (no `at`) is after the step, whatever a past time's answer was.
        assert await verdict(client, "latency", at=before) == "pass"
        assert await verdict(client, "latency") == "fail"

    async def test_secret_args_shown_alike_are_evaluated_apart(self, served):
        client, _ = served
        found = [await verdict(client, "secret-hash", canary_hash=h) for h in ("healthy1", "broken1", "healthy1")]
        assert found == ["pass", "fail", "pass"]

    async def test_a_reload_between_two_identical_requests_judges_by_the_new_definition(self, served, prometheus):
        client, path = served
        at = str(int(prometheus.anchor))
        assert await verdict(client, "latency", at=at) == "fail"
        write_catalog(path, prometheus.url, "< 1")
        assert await client.app[LIVE].reload("test") == "reloaded"
        assert await verdict(client, "latency", at=at) == "pass"
        # And back: the first definition's answer is not the one kept for the same request either.
        write_catalog(path, prometheus.url, "< 0.5")
        assert await client.app[LIVE].reload("test") == "reloaded"
        assert await verdict(client, "latency", at=at) == "fail"


DAY_S = 86400
# The oldest sample of the data modules (tests/integration/data_error_budget.py's week).
OLDEST_BEFORE_ANCHOR_S = 7 * DAY_S + 10 * 60
BEFORE_THE_DATA_S = 30 * DAY_S
# Errors of a canary: none for healthy1 (no 5xx series but its 500 one, at 0.01/s) and none at all for idle1.
ERRORS_OF = {
    "name": "errors-of",
    "kind": "prometheus",
    "params": {"canary_hash": {"type": "label_value", "required": True}},
    "query": 'sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="{{ canary_hash }}",'
    'code="503"}[5m]))',
    "pass_if": "< 0.01",
    "no_data": "pass",
}
# A scorecard of it alone: its member is evaluated at the scorecard's time.
CARD_OF = {
    "name": "card-of",
    "kind": "composite",
    "params": {"canary_hash": {"type": "label_value", "required": True}},
    "members": [{"check": "errors-of", "args": {"canary_hash": "{{ canary_hash }}"}}],
}


# An error budget from Pyrra's rules (tests/integration/data_error_budget_rules.py): before the data, no rule of it is
# found, which reads as rules not loaded.
BUDGET_OF = {
    "name": "budget-of",
    "kind": "error_budget",
    "objective": 99.9,
    "period": "28d",
    "pyrra": {
        "slo": "ebr-clean",
        "metric": "ebr_http_requests",
        "selectors": 'job="ebr-clean"',
        "total": 'ebr_http_requests_total{job="ebr-clean"}',
    },
}


@pytest.fixture
async def no_data_pass(prometheus, aiohttp_client, tmp_path):
    """A client of a service whose check `errors-of` reads an absent error series as good news (`no_data: pass`), and
    whose `card-of` is a scorecard of it; and `budget-of`, a Pyrra SLO's error budget."""
    path = tmp_path / "catalog.yaml"
    path.write_text(
        yaml.safe_dump({"sources": {"default": {"url": prometheus.url}}, "checks": [ERRORS_OF, CARD_OF, BUDGET_OF]})
    )
    registry = Registry.default()
    return await aiohttp_client(
        create_app(Settings(catalog=path, catalog_poll_s=0), load_catalog(path, registry), registry)
    )


def source_queries(client) -> float:
    return sum(child[0] for child in client.app[METRICS].source_queries.children.values())


async def answer(client, check: str, **params: Any) -> dict[str, Any]:
    got = await client.get(f"/api/v1/checks/{check}/run", params=params)
    assert got.status == 200, await got.text()
    return await got.json()


class TestBeforeTheOldestData:
    """A pass that `no_data: pass` gives at a time the source holds no data for judged nothing: inconclusive,
    naming the oldest data; within the data, and within the last hour, the pass stands."""

    async def test_a_time_before_the_oldest_data_is_inconclusive(self, no_data_pass, prometheus):
        at = prometheus.anchor - BEFORE_THE_DATA_S
        body = await answer(no_data_pass, "errors-of", canary_hash="healthy1", at=str(int(at)))
        assert body["verdict"] == "inconclusive", body["reason"]
        found = re.search(r"holds no data at (\S+): its next data is from between (\S+) and (\S+),", body["reason"])
        assert found is not None, body["reason"]
        asked, early, late = (datetime.fromisoformat(time) for time in found.groups())
        assert asked.timestamp() == at
        assert early.timestamp() <= prometheus.anchor - OLDEST_BEFORE_ANCHOR_S <= late.timestamp()
        assert late - early <= timedelta(minutes=15)

    async def test_a_member_before_the_oldest_data_keeps_its_scorecard_from_passing(self, no_data_pass, prometheus):
        at = prometheus.anchor - BEFORE_THE_DATA_S
        body = await answer(no_data_pass, "card-of", canary_hash="healthy1", at=str(int(at)), explain="true")
        assert (body["verdict"], body["reason"]) == (
            "inconclusive",
            "0 of 1 members pass, all must: errors-of inconclusive",
        )
        assert "holds no data" in body["details"]["members"][0]["reason"]

    async def test_rules_not_found_before_the_oldest_data_say_so(self, no_data_pass, prometheus):
        # Before: "no recording rule of Pyrra SLO ... has a series (...): check pyrra.slo, pyrra.metric ..." alone.
        at = prometheus.anchor - BEFORE_THE_DATA_S
        got = await no_data_pass.get("/api/v1/checks/budget-of/run", params={"at": str(int(at))})
        body = await got.json()
        assert (got.status, body["error"]) == (500, "check_misconfigured")
        assert body["reason"].startswith('no recording rule of Pyrra SLO slo="ebr-clean" has a series')
        assert "a past time: Prometheus source 'default' holds no data at " in body["reason"]
        assert body["reason"].endswith(", so nothing could be found then")

    async def test_a_time_within_the_data_passes(self, no_data_pass, prometheus):
        at = prometheus.anchor - 3600 - 600
        body = await answer(no_data_pass, "errors-of", canary_hash="healthy1", at=str(int(at)))
        assert body["verdict"] == "pass", body["reason"]

    async def test_a_time_within_the_last_hour_sends_no_more_queries(self, no_data_pass):
        before = source_queries(no_data_pass)
        body = await answer(no_data_pass, "errors-of", canary_hash="healthy1")
        assert body["verdict"] == "pass", body["reason"]
        assert source_queries(no_data_pass) - before == 1
