"""An error's page says what to do next: which member of a composite errored, with a link to its own page."""

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


@pytest.fixture
async def client(aiohttp_client, prometheus):
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    down = {"name": "down", "kind": "prometheus", "source": "down", "query": "vector(1)", "pass_if": "> 0"}
    release = {
        "name": "release",
        "kind": "composite",
        "members": [{"check": "error-rate", "args": {"canary_hash": "healthy1"}}, {"check": "down"}],
    }
    sources = {"default": {"url": prometheus.url}, "down": {"url": "http://127.0.0.1:1"}}
    catalog = build_catalog(
        [("ui.yaml", {"sources": sources, "checks": [error_rate, down, release]})], Registry.default()
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestMemberError:
    """A composite that errors because a member did lists every member, each linked to its own page."""

    async def test_the_page_lists_the_members_and_links_the_one_that_errored(self, client, prometheus):
        answer = await client.get(f"/api/v1/checks/release/run?at={prometheus.anchor}&explain=true")
        assert answer.status == 503
        body = await answer.json()
        assert body["error"] == "member_error"
        assert [m["verdict"] for m in body["details"]["members"]] == ["pass", "error"]
        page = html.unescape(await (await client.get(body["ui_url"])).text())
        members = page.split('<table class="members">', 1)[1].split("</table>", 1)[0]
        link = re.search(r'<a href="(/ui/checks/down/run\?at=[^"]+)">down</a>', members).group(1)
        assert "Prometheus source 'down' (http://127.0.0.1:1) is unreachable" in members
        member_page = html.unescape(await (await client.get(link)).text())
        assert 'id="verdict">ERROR<' in member_page
        assert "source_unavailable" in member_page
