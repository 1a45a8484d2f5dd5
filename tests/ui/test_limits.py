"""A verdict page's plots obey the evaluation limits; a refused request's page shows its reason as text."""

from __future__ import annotations

import asyncio

import pytest

from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.ui.support import checks

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(aiohttp_client, prometheus):
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    catalog = gate_catalog(
        error_rate, {"name": "held", "kind": "gate", "gate": "g"}, sources={"default": {"url": prometheus.url}}
    )
    return await aiohttp_client(create_app(Settings(max_concurrent_evaluations=1), catalog, REGISTRY))


class TestLimits:
    """Range queries for a page count as an evaluation: at the limit, the page says so instead of plotting."""

    async def test_at_the_limit_the_page_shows_the_verdict_without_plots(self, client, prometheus, gate):
        answer = await client.get(f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}")
        page_url = (await answer.json())["ui_url"]
        held = asyncio.ensure_future(client.get("/api/v1/checks/held/run"))
        await gate.wait_entered(1)
        page = await (await client.get(page_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert "not drawn: 1 evaluations are in flight, the limit is 1" in page
        assert "<svg" not in page
        gate.open()
        await (await held).release()
        page = await (await client.get(page_url)).text()
        assert "<svg" in page


class TestRejected:
    """A refused request has a page too: its reason, as text."""

    async def test_a_rejected_request_shows_its_reason_escaped(self, client):
        response = await client.get("/api/v1/checks/error-rate/run?canary_hash=a&%3Cscript%3E=1")
        assert response.status == 400
        index = await (await client.get("/ui/?verdict=rejected")).text()
        link = index.split('href="/ui/verdicts/', 1)[1].split('"', 1)[0]
        page = await (await client.get(f"/ui/verdicts/{link}")).text()
        assert 'id="verdict">REJECTED<' in page
        assert "&lt;script&gt;" in page
        assert "<script" not in page


@pytest.fixture
async def busy(aiohttp_client, prometheus):
    """An analyzer whose history holds 120 refused requests of the error-rate check, then one it answered."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    catalog = gate_catalog(error_rate, sources={"default": {"url": prometheus.url}})
    app = create_app(Settings(history_size=500), catalog, REGISTRY)
    client = await aiohttp_client(app)
    for _ in range(120):
        assert (await client.get("/api/v1/checks/error-rate/run?canary_hash=")).status == 400
    assert (await client.get(f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}")).ok
    return client


class TestHistoryListLength:
    """The recent verdicts list the newest 100 answers, say when the replica holds older ones, and list them all
    on request."""

    async def test_older_answers_held_are_said_and_listed_on_request(self, busy):
        page = await (await busy.get("/ui/")).text()
        assert page.count('href="/ui/verdicts/') == 100
        # Was silent: an SRE looking for an older answer read the list as all this replica holds.
        assert "this replica holds older ones too" in page
        assert 'href="/ui/?limit=500#verdicts"' in page
        everything = await (await busy.get("/ui/?limit=500")).text()
        assert everything.count('href="/ui/verdicts/') == 121
        assert 'id="more-held"' not in everything

    async def test_a_filter_keeps_the_limit(self, busy):
        page = await (await busy.get("/ui/?verdict=fail")).text()
        assert page.count('href="/ui/verdicts/') == 1 and 'id="more-held"' not in page
        page = await (await busy.get("/ui/?verdict=rejected&limit=5")).text()
        assert page.count('href="/ui/verdicts/') == 5
        assert 'href="/ui/?verdict=rejected&amp;limit=500#verdicts"' in page
        assert '<input type="hidden" name="limit" value="5">' in page

    @pytest.mark.parametrize("limit", ["0", "501", "²", "-1", "ten"])
    async def test_a_limit_out_of_range_is_a_400_naming_it(self, busy, limit):
        answer = await busy.get(f"/ui/?limit={limit}")
        assert answer.status == 400
        assert "limit must be a whole number from 1 to 500" in await answer.text()
