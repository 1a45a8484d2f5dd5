"""A param that takes the empty value (`min_length: 0`): a page reads `p=` as the API does, as "", so the link of an
answer asked with it shows that answer, or evaluates it again with the same args."""

from __future__ import annotations

import html
import re

import pytest

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.ui.support import checks

pytestmark = pytest.mark.integration


def _catalog(prometheus_url: str):
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    empty_ok = {"type": "label_value", "min_length": 0}
    chosen = [
        {**error_rate, "name": "required-hash", "params": {"canary_hash": {**empty_ok, "required": True}}},
        # broken1 fails (10% 5xx); the empty value selects no series: inconclusive.
        {**error_rate, "name": "defaulted-hash", "params": {"canary_hash": {**empty_ok, "default": "broken1"}}},
    ]
    return build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus_url}}, "checks": chosen})], Registry.default()
    )


@pytest.fixture
async def replicas(aiohttp_client, prometheus):
    """Two replicas of one catalog: each holds only the answers it gave."""
    return [
        await aiohttp_client(create_app(Settings(), _catalog(prometheus.url), Registry.default())) for _ in range(2)
    ]


def verdict_of(page: str) -> str:
    return re.search(r'id="verdict">(\w+)<', page).group(1)


class TestTheEmptyValue:
    """The link of an answer asked with an empty arg shows that answer, or its evaluation with the same args."""

    @pytest.mark.parametrize("check", ["required-hash", "defaulted-hash"])
    async def test_the_link_shows_the_recorded_answer(self, replicas, prometheus, check):
        answer = await (await replicas[0].get(f"/api/v1/checks/{check}/run?canary_hash=&at={prometheus.anchor}")).json()
        assert answer["verdict"] == "inconclusive" and answer["args"] == {"canary_hash": ""}
        page = await replicas[0].get(answer["ui_url"])
        # Was a 400 form ("missing required arg"), or broken1's FAIL evaluated again.
        assert page.status == 200
        text = html.unescape(await page.text())
        assert verdict_of(text) == "INCONCLUSIVE"
        assert "The answer as this replica recorded it" in text

    async def test_another_replica_evaluates_it_again_with_the_same_args(self, replicas, prometheus):
        answer = await (
            await replicas[0].get(f"/api/v1/checks/defaulted-hash/run?canary_hash=&at={prometheus.anchor}")
        ).json()
        text = html.unescape(await (await replicas[1].get(answer["ui_url"])).text())
        # Was FAIL: evaluated with the default broken1, not with the empty value the link carries.
        assert verdict_of(text) == "INCONCLUSIVE"
        assert "Evaluated again as of" in text
        assert '<th scope="row">arg canary_hash</th><td></td>' in text

    async def test_the_form_says_an_empty_field_is_a_value(self, replicas):
        # Submitted empty, the field sends "" (was: "default broken1", which it no longer means).
        page = await (await replicas[0].get("/ui/checks/defaulted-hash")).text()
        assert 'placeholder="empty is a value; default broken1: type it"' in page
        assert 'placeholder="empty is a value"' in await (await replicas[0].get("/ui/checks/required-hash")).text()
