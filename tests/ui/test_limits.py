"""A verdict page's plots obey the evaluation limits; a refused request's page shows its reason as text."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from analyzer.appkeys import HISTORY
from analyzer.history import VerdictHistory
from analyzer.models import Evaluation, Outcome
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


def rows_of(page: str) -> list[int]:
    """The answers' numbers a page of the history list links to, in its order."""
    return [int(seq) for seq in re.findall(r'href="/ui/verdicts/([0-9]+)"', page)]


def link_of(page: str, rel: str) -> str | None:
    """The list's link to its newer (`prev`) or older (`next`) page, unescaped; None when it has none."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found[1]) if found else None


@pytest.fixture
async def listed(aiohttp_client):
    """An analyzer whose history holds 120 refused requests of the error-rate check, then its error (its source
    refuses connections)."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    catalog = gate_catalog(error_rate, sources={"default": {"url": "http://127.0.0.1:9"}})
    client = await aiohttp_client(create_app(Settings(history_size=500), catalog, REGISTRY))
    for _ in range(120):
        assert (await client.get("/api/v1/checks/error-rate/run?canary_hash=")).status == 400
    assert (await client.get("/api/v1/checks/error-rate/run?canary_hash=broken1")).status == 503
    return client


async def held(client) -> list[int]:
    """Every answer's number the history holds, newest first, as the API lists them."""
    return [e["seq"] for e in (await (await client.get("/api/v1/verdicts?limit=500")).json())["entries"]]


class TestHistoryListPages:
    """The recent verdicts are listed 50 a page, newest first, each page linking to the newer and the older one by a
    cursor that answers recorded since do not move; the filters and the page size are kept across pages."""

    async def test_every_answer_once_newest_first_over_three_pages(self, listed):
        every = await held(listed)
        assert len(every) == 121
        first = await (await listed.get("/ui/")).text()
        # Was the newest 100, and a link to all 500 the history may hold on one page (17 elements an answer).
        assert rows_of(first) == every[:50]
        assert "Answers 1 to 50 of the 121 this replica holds, newest first." in first
        assert link_of(first, "prev") is None
        older = link_of(first, "next")
        assert older == f"/ui/?before={every[49]}#verdicts"
        second = await (await listed.get(older)).text()
        assert rows_of(second) == every[50:100]
        assert "Answers 51 to 100 of the 121" in second
        assert link_of(second, "prev") == "/ui/#verdicts"
        third = await (await listed.get(link_of(second, "next"))).text()
        assert rows_of(third) == every[100:]
        assert link_of(third, "next") is None
        assert link_of(third, "prev") == f"/ui/?before={every[49]}#verdicts"
        assert '<a href="/ui/#verdicts">newest</a>' in third

    async def test_a_last_page_that_is_full_links_to_no_older_one(self, listed):
        every = await held(listed)
        # 121 answers, 11 a page: the eleventh page holds the last 11, and nothing is older.
        page, pages = await (await listed.get("/ui/?limit=11")).text(), 1
        while (older := link_of(page, "next")) is not None:
            page, pages = await (await listed.get(older)).text(), pages + 1
        assert pages == 11 and rows_of(page) == every[-11:]

    async def test_answers_recorded_meanwhile_do_not_move_a_page(self, listed):
        first = await (await listed.get("/ui/")).text()
        shown = rows_of(first)
        for _ in range(7):
            assert (await listed.get("/api/v1/checks/error-rate/run?canary_hash=")).status == 400
        second = await (await listed.get(link_of(first, "next"))).text()
        # The 50 answers after the first page's last, none shown twice, none skipped.
        every = await held(listed)
        assert rows_of(second) == every[7 + 50 : 7 + 100]
        assert not set(shown) & set(rows_of(second))
        # Its newer page is the 50 above it: the first page as it was read, the 7 new answers on the newest.
        newer = await (await listed.get(link_of(second, "prev"))).text()
        assert rows_of(newer) == shown
        assert link_of(newer, "prev") == "/ui/#verdicts"

    async def test_the_filter_and_the_page_size_are_kept_across_pages(self, listed):
        every = [
            e["seq"]
            for e in (await (await listed.get("/api/v1/verdicts?verdict=rejected&limit=500")).json())["entries"]
        ]
        page = await (await listed.get("/ui/?verdict=rejected&limit=5")).text()
        assert rows_of(page) == every[:5]
        assert link_of(page, "next") == f"/ui/?verdict=rejected&limit=5&before={every[4]}#verdicts"
        second = await (await listed.get(link_of(page, "next"))).text()
        assert rows_of(second) == every[5:10]
        assert "Answers 6 to 10 of the 120 this replica holds that match the filter" in second
        assert link_of(second, "prev") == "/ui/?verdict=rejected&limit=5#verdicts"
        assert '<input type="hidden" name="limit" value="5">' in second
        assert 'rel="prev"' not in (await (await listed.get("/ui/?verdict=error")).text())

    @pytest.mark.parametrize("limit", ["0", "²", "-1", "ten", "1000000000"])
    async def test_a_page_size_that_is_no_whole_number_from_1_is_a_400_naming_it(self, listed, limit):
        answer = await listed.get(f"/ui/?limit={limit}")
        assert answer.status == 400
        assert "limit must be a whole number from 1 (answers a page" in await answer.text()

    @pytest.mark.parametrize("limit", ["101", "500", "1000"])
    async def test_a_page_size_above_100_shows_100_and_says_so(self, listed, limit):
        every = await held(listed)
        # The list's own link to every answer held (`?limit=` the history's size) was bookmarked: a 400 broke it.
        answer = await listed.get(f"/ui/?verdict=rejected&limit={limit}")
        assert answer.status == 200
        page = await answer.text()
        assert rows_of(page) == every[1:101]
        assert f"limit {limit} is more than a page shows: 100 answers a page, the older ones on the pages after" in page
        assert link_of(page, "next") == f"/ui/?verdict=rejected&limit=100&before={every[100]}#verdicts"
        assert '<input type="hidden" name="limit" value="100">' in page
        assert "is more than a page shows" not in await (await listed.get(link_of(page, "next"))).text()

    @pytest.mark.parametrize("before", ["x", "-1", "1.5", "1" * 13, "²"])
    async def test_a_cursor_that_is_no_number_is_a_400_naming_it(self, listed, before):
        answer = await listed.get(f"/ui/?before={before}")
        assert answer.status == 400
        assert "before must be the number of an answer" in await answer.text()

    async def test_a_cursor_of_another_replica_shows_no_answers_and_says_why(self, listed):
        every = await held(listed)
        # Another replica's numbers, above and below this one's: the first page's newest answers were shown as if
        # they were older than the link's.
        for before in (every[0] + 10_000, every[-1] - 10_000):
            answer = await listed.get(f"/ui/?before={before}")
            assert answer.status == 404
            page = html.unescape(await answer.text())
            assert rows_of(page) == []
            assert f"No answers older than number {before} here: that number is not of this replica's history" in page
            assert '<a href="/ui/#verdicts">The newest answers</a>' in page

    async def test_a_cursor_past_the_oldest_answer_held_says_so(self, listed):
        every = await held(listed)
        answer = await listed.get(f"/ui/?verdict=rejected&before={every[-1]}")
        assert answer.status == 404
        page = await answer.text()
        assert rows_of(page) == []
        assert (
            f"No answers that match the filter older than number {every[-1]} are held: this replica keeps 500 answers"
            in page
        )
        assert '<a href="/ui/?verdict=rejected#verdicts">The newest answers</a>' in page


class Touched(dict):
    """A history's entries, counting every one read (by number, or by walking them)."""

    touched = 0

    def __getitem__(self, seq):
        self.touched += 1
        return super().__getitem__(seq)

    def get(self, seq, default=None):
        self.touched += 1
        return super().get(seq, default)

    def _walk(self, items) -> Iterator:
        for item in items:
            self.touched += 1
            yield item

    def __iter__(self):
        return self._walk(super().__iter__())

    def __reversed__(self):
        return self._walk(super().__reversed__())

    def values(self):
        return _Walked(self, super().values())

    def items(self):
        return _Walked(self, super().items())


class _Walked:
    def __init__(self, entries: Touched, view) -> None:
        self.entries, self.view = entries, view

    def __iter__(self):
        return self.entries._walk(iter(self.view))

    def __reversed__(self):
        return self.entries._walk(reversed(self.view))

    def __len__(self) -> int:
        return len(self.view)


def _shared(index: int) -> Evaluation:
    return Evaluation(
        check="error-rate",
        kind="promql_threshold",
        verdict=Outcome.FAIL if index % 7 == 0 else Outcome.PASS,
        reason="r",
        args={"canary_hash": f"h{index}"},
        value=0.01,
        evaluated_at=datetime(2026, 12, 7, tzinfo=UTC),
        duration_ms=1.0,
    )


def _ask(history: VerdictHistory, indexes: range) -> None:
    for index in indexes:
        answer = _shared(index)
        for client in ("ci", "deploy", "ci"):
            history.record_evaluation(answer, client, "r", "v1", client, "curl")


@pytest.fixture
async def crowded(aiohttp_client):
    """An analyzer whose history holds 6,000 answers of the error-rate check, three requests an evaluation, viewed
    once, then 30 more, and counts every entry read since."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    catalog = gate_catalog(error_rate, sources={"default": {"url": "http://127.0.0.1:9"}})
    app = create_app(Settings(history_size=6_000), catalog, REGISTRY)
    history: VerdictHistory = app[HISTORY]
    _ask(history, range(2_000))
    client = await aiohttp_client(app)
    assert (await client.get("/ui/")).status == 200
    # Dropping the oldest 30 of "ci" (who holds the most): each of the 15 oldest evaluations keeps a row by "deploy".
    _ask(history, range(2_000, 2_010))
    history._entries = Touched(history._entries)
    return client


class TestHistoryListCost:
    """A view of the history list reads the entries of the rows it shows and those recorded since the last view, not
    every entry held: it runs on the event loop that answers the run endpoint."""

    @pytest.mark.parametrize(
        "query",
        ["", "before={middle}", "verdict=fail", "verdict=fail&before={middle}&limit=100", "check=error-rate&limit=7"],
    )
    async def test_a_view_reads_about_its_rows_entries(self, crowded, query):
        history = crowded.app[HISTORY]
        middle = history.first_seq + 3_000
        answer = await crowded.get(f"/ui/?{query.format(middle=middle)}")
        assert answer.status == 200
        page = await answer.text()
        shown = rows_of(page)
        assert len(shown) in (7, 50, 100)
        # Each row's newest entry, the 30 recorded since the last view and the newest number of all (how much the
        # view's catch-up has left to index, where the index stands, and whether the cursor is of this history):
        # 6,000 on every view before the index.
        assert history._entries.touched <= len(shown) + 30 + 4
        assert "of the 2010 this replica holds" in page or "of the 288 this replica holds that match" in page
        assert "(one evaluation for 3 requests)" in page

    async def test_a_verdict_page_reads_its_answer_only(self, crowded):
        history = crowded.app[HISTORY]
        seq = history.first_seq + 3_000
        answer = await crowded.get(f"/ui/verdicts/{seq}")
        assert answer.status == 200
        assert "error-rate" in await answer.text()
        # By its number: 6,000 read before (every entry held, newest first, until its number).
        assert history._entries.touched == 1
