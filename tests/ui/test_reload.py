"""A verdict page after a reload changed its check: the answer, its plots and a notice, as decided then."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from analyzer.appkeys import LIVE
from analyzer.catalog import load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.ui.support import SHOP_RATIO, checks

pytestmark = pytest.mark.integration

# burn1 burns 2.5% of its requests over the last 5 minutes at the anchor (tests/integration/data_error_budget.py).
BURN1_SHORT_ERROR_RATIO = 0.025


def write_catalog(
    path: Path,
    prometheus_url: str,
    objective: float,
    *,
    with_budget: bool = True,
    description: str = "error rate",
    other_description: str = "p99 latency",
    budget_params: dict[str, object] | None = None,
    budget_ratio: dict[str, str] | None = None,
) -> None:
    """The UI catalog's error-rate check with that description, its shop-budget check with that objective, with the
    budget the release composite of both, and the latency-p99 check (no member) with the other description."""
    names = ("error-rate", "shop-budget", "release", "latency-p99")
    chosen = [c for c in checks("http://127.0.0.1:1") if c["name"] in names]
    changed = {
        "shop-budget": {
            "objective": objective,
            **({"params": budget_params} if budget_params else {}),
            **({"ratio": budget_ratio} if budget_ratio else {}),
        },
        "error-rate": {"description": description},
        "latency-p99": {"description": other_description},
    }
    found = [{**c, **changed.get(c["name"], {})} for c in chosen]
    if not with_budget:
        found = [c for c in found if c["name"] not in ("shop-budget", "release")]
    path.write_text(yaml.safe_dump({"sources": {"default": {"url": prometheus_url}}, "checks": found}))


def last_value(svg: str, css: str) -> float:
    """The value of the last point of the line of class `css`, read back through the plot's own y scale."""
    low, high = (float(v) for v in re.search(r'data-y-low="([^"]+)" data-y-high="([^"]+)"', svg).groups())
    bottom, top = (float(v) for v in re.search(r'data-plot-bottom="([^"]+)" data-plot-top="([^"]+)"', svg).groups())
    points = re.search(rf'<polyline points="([^"]+)" class="series {css}"', svg).group(1).split()
    y = float(points[-1].split(",")[1])
    return low + (bottom - y) / (bottom - top) * (high - low)


@pytest.fixture
async def reloading(aiohttp_client, prometheus, tmp_path):
    """A client of an analyzer whose catalog file the test rewrites and reloads; the budget check at 99.9%."""
    path = tmp_path / "catalog.yaml"
    write_catalog(path, prometheus.url, 99.9)
    app = create_app(Settings(catalog=path), load_catalog(path, Registry.default()), Registry.default())
    client = await aiohttp_client(app)

    async def reload(objective: float, url: str | None = None, **changes: object) -> None:
        write_catalog(path, url or prometheus.url, objective, **changes)
        assert await app[LIVE].reload("test") == "reloaded"

    client.reload = reload
    return client


class TestAfterAReload:
    """The page of an answer decided before a reload shows that answer, plots it by the definition that decided
    it, and says the check has changed since."""

    async def test_a_changed_check_is_plotted_as_it_decided_and_says_so(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        # A budget ten times larger: by today's definition, the burn that failed the page tier is 2.5x, not 25x.
        await reloading.reload(99.0)
        page = await (await reloading.get(ui_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert "The check&#39;s definition has changed since this answer" in page
        svg = page.split("Burn rate over time of tier page 1h/5m", 1)[1].split("<svg", 1)[1].split("</svg>", 1)[0]
        assert last_value(svg, "short") == pytest.approx(BURN1_SHORT_ERROR_RATIO / 0.001, rel=0.02)

    async def test_an_unchanged_check_says_nothing(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, description="another check changed")
        await reloading.get(f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}")
        page = await (await reloading.get(ui_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert 'id="changed-since"' not in page

    async def test_a_changed_source_says_the_plots_come_from_it(self, reloading, prometheus):
        # The same check reading another Prometheus (here the same server under another name): its plots are
        # drawn from today's source, which may not hold the data that decided the answer.
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, url=prometheus.url.replace("127.0.0.1", "localhost"))
        page = await (await reloading.get(ui_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert "The configuration of the source &#39;default&#39; this check reads has changed" in page
        assert "draws its plots from the sources as they are now" in page

    async def test_sources_of_a_version_no_longer_remembered_may_have_changed(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        reloading.app[LIVE].sources_by_version.clear()  # as after many reloads
        await reloading.reload(99.9, description="another check changed")
        page = await (await reloading.get(ui_url)).text()
        assert "The configuration of the source &#39;default&#39; this check reads may have changed" in page

    async def test_a_removed_check_says_so_and_is_still_plotted(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        assert answer.status == 200
        index = await (await reloading.get("/ui/")).text()
        seq = re.search(r'href="/ui/verdicts/(\d+)"', index).group(1)
        await reloading.reload(99.9, with_budget=False)
        page = await (await reloading.get(f"/ui/verdicts/{seq}")).text()
        assert 'id="verdict">FAIL<' in page
        assert "The check is no longer in the catalog" in page
        svg = page.split("Burn rate over time of tier page 1h/5m", 1)[1].split("<svg", 1)[1].split("</svg>", 1)[0]
        assert last_value(svg, "short") == pytest.approx(BURN1_SHORT_ERROR_RATIO / 0.001, rel=0.02)

    async def test_the_link_of_an_answer_whose_params_changed_shows_it(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        # A param added with a default: the link's args bind to more than the answer was asked with.
        # Placed where it selects the same series (the catalog refuses a param placed nowhere): eu or eb-shop.
        region = {"type": "label_value", "default": "eu"}
        either = 'service=~"eb-shop|{{ region }}"'
        ratio = {part: query.replace('service="eb-shop"', either) for part, query in SHOP_RATIO.items()}
        await reloading.reload(
            99.9,
            budget_params={"canary_hash": {"type": "label_value", "required": True}, "region": region},
            budget_ratio=ratio,
        )
        page = await reloading.get(ui_url)
        text = await page.text()
        assert page.status == 200
        # Was evaluated again by today's definition, though this replica held the answer.
        assert "The answer as this replica recorded it" in text
        assert "The check&#39;s definition has changed since this answer" in text

    async def test_the_link_of_an_answer_of_a_removed_check_shows_it(self, reloading, prometheus):
        # The ui_url an AnalysisRun or the log gave, after a reload removed the check (a catalog rolled back during
        # the incident): this replica still holds the answer, so its page shows it, as /ui/verdicts/N does.
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, with_budget=False)
        page = await reloading.get(ui_url)
        assert page.status == 200  # was 404: no check named 'shop-budget'
        text = await page.text()
        assert 'id="verdict">FAIL<' in text
        assert "The check is no longer in the catalog" in text
        assert (await reloading.get(ui_url.replace("burn1", "burn2"))).status == 404

    async def test_a_link_answered_again_after_a_reload_names_the_earlier_answer(self, reloading, prometheus):
        # The same check, args and time asked before and after a reload made its budget ten times larger.
        run = f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}"
        before = await (await reloading.get(run)).json()
        await reloading.reload(99.0)
        after = await (await reloading.get(run)).json()
        assert before["ui_url"] == after["ui_url"] and before["reason"] != after["reason"]
        page = await (await reloading.get(after["ui_url"])).text()
        # Was the newer answer alone: the link Argo Rollouts kept of the earlier one showed it as that answer.
        also = page.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert f"{before['verdict'].upper()} (verdict " in also

    async def test_a_head_request_of_that_link_answers_as_its_get(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, with_budget=False)
        assert (await reloading.head(ui_url)).status == 200  # was 404, while its GET showed the answer
        assert (await reloading.head(ui_url.replace("burn1", "burn2"))).status == 404


class TestACompositeAfterAReload:
    """The page of a composite's answer says when a reload has changed one of its members since, as it says for
    the composite itself: its members' verdicts and reasons were decided by their definitions of then."""

    async def test_a_changed_member_says_so(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        # The composite as written is the same; its member shop-budget now judges against a ten times larger budget.
        await reloading.reload(99.0)
        page = await (await reloading.get(ui_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert (
            "The definition of its member &#39;shop-budget&#39; has changed since this answer (catalog version" in page
        )

    async def test_a_composite_removed_with_its_member_says_so(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        index = await (await reloading.get("/ui/")).text()
        seq = re.search(r'href="/ui/verdicts/(\d+)"', index).group(1)
        assert answer.status == 200
        await reloading.reload(99.9, with_budget=False)
        page = await (await reloading.get(f"/ui/verdicts/{seq}")).text()
        assert "The check is no longer in the catalog" in page

    async def test_the_link_of_a_member_a_reload_removed_shows_its_recorded_answer(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        page = await (await reloading.get(ui_url)).text()
        (link,) = re.findall(r'<a href="(/ui/checks/shop-budget/run\?[^"]+)">shop-budget</a>', page)
        await reloading.reload(99.9, with_budget=False)
        member = await reloading.get(html.unescape(link))
        # Was a 404 (no check named 'shop-budget'), while this replica holds the composite's answer, and the
        # composite's page (still shown) links to it.
        assert member.status == 200
        text = await member.text()
        assert 'id="member-of">release (verdict' in text
        assert 'id="verdict">FAIL<' in text
        assert "The check is no longer in the catalog" in text
        assert (await reloading.head(html.unescape(link))).status == 200
        assert (await reloading.get(html.unescape(link).replace("burn1", "burn2"))).status == 404

    async def test_a_member_s_link_also_answered_on_its_own_names_the_composite_s_answer(self, reloading, prometheus):
        composite = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        page = await (await reloading.get((await composite.json())["ui_url"])).text()
        (link,) = re.findall(r'<a href="(/ui/checks/shop-budget/run\?[^"]+)">shop-budget</a>', page)
        # The member asked on its own at the composite's time, after a reload made its budget ten times larger.
        await reloading.reload(99.0)
        alone = await (
            await reloading.get(f"/api/v1/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        ).json()
        assert alone["ui_url"] == html.unescape(link)
        member = await (await reloading.get(html.unescape(link))).text()
        assert "The answer as this replica recorded it" in member
        # Was the newer answer alone, opened from the composite's page whose member answered otherwise.
        also = member.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert re.search(r'<a href="/ui/verdicts/(\d+)">FAIL \(as composite verdict \1 recorded it\)</a>', also)

    async def test_a_changed_source_of_its_members_says_so(self, reloading, prometheus):
        # The composite reads no source itself; its members do, and their links evaluate them against it.
        answer = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, url=prometheus.url.replace("127.0.0.1", "localhost"))
        page = await (await reloading.get(ui_url)).text()
        assert "The configuration of the source &#39;default&#39; this check reads has changed" in page

    async def test_unchanged_members_say_nothing(self, reloading, prometheus):
        answer = await reloading.get(f"/api/v1/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        ui_url = (await answer.json())["ui_url"]
        await reloading.reload(99.9, other_description="a check that is no member, changed")
        page = await (await reloading.get(ui_url)).text()
        assert 'id="verdict">FAIL<' in page
        assert 'id="changed-since"' not in page
