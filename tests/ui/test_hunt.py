"""Every page kind with input at its limits, in a real headless chromium: a 200-character check name, an answer of 5,000
series, an arg of `<script>` with right-to-left and emoji text, an answer without evidence, a history of 1,000 answers
walked page by page. No page scrolls sideways on a phone, no script runs, and each page's size is bounded (elements and
rows counted)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from analyzer.appkeys import HISTORY, LIVE
from analyzer.models import Evaluation, Outcome
from tests.integration.chromium import headless_chromium
from tests.ui.support import Served, serve

pytestmark = pytest.mark.integration

PHONE = (375, 667)
LONG_NAME = "n" * 200
SERIES = 5000
HISTORY_RUNS = 1000
# The most elements a page may hold: a verdict page of the UI catalog holds about 400, a page of 100 answers about
# 1,700. A page that grew with its evidence or the whole history would hold tens of thousands.
MOST_ELEMENTS = 3000
# `<script>` that would set window.__xss, a right-to-left override that would turn the text after it around, and an
# emoji, which is text to show as it is.
HOSTILE_ARG = "<script>window.__xss=4</script>\u202eliaf\U0001f680ok"


@pytest.fixture(scope="module")
def hunt_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth off and the UI catalog, its history holding the answers of the hunt."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-hunt"), auth=False) as server:
        yield server


@pytest.fixture(scope="module")
def phone(hunt_served) -> Iterator[Any]:
    """Headless chromium at a phone's width."""
    with headless_chromium(window_size=PHONE) as driver:
        yield driver


def record(served: Served, evaluation: Evaluation) -> int:
    """Keep `evaluation` in the served analyzer's history, as the run endpoint keeps an answer; its number."""

    async def keep() -> int:
        history = served.app[HISTORY]
        version = served.app[LIVE].current.catalog.version
        history.record_evaluation(evaluation, "hunt", "r-hunt", version, None, "hunt")
        return history.query(limit=1)[0].seq

    return int(served.call(keep()))


def answer(**fields: Any) -> Evaluation:
    """An answer of the UI catalog's error-rate check (a prometheus check), with `fields` changed."""
    given: dict[str, Any] = {
        "check": "error-rate",
        "kind": "prometheus",
        "verdict": Outcome.FAIL,
        "reason": "value 0.1 does not meet pass_if < 0.01",
        "value": 0.1,
        "args": {"canary_hash": "broken1"},
        "evaluated_at": datetime.now(UTC),
        "duration_ms": 2.0,
    }
    return Evaluation(**(given | fields))


def bounded(browser) -> dict[str, int]:
    """What a page costs and how it fits: its elements, how far it scrolls sideways; asserts no script ran."""
    from selenium.webdriver.common.by import By

    assert browser.execute_script("return window.__xss === undefined")
    assert browser.find_elements(By.TAG_NAME, "script") == []
    elements, sideways = browser.execute_script(
        "return [document.getElementsByTagName('*').length, document.scrollingElement.scrollWidth - window.innerWidth]"
    )
    assert elements <= MOST_ELEMENTS, elements
    assert sideways <= 1, f"the page scrolls sideways by {sideways} px on a phone"
    return {"elements": elements}


class TestPagesAtTheirLimits:
    """Each page fits a phone, runs no script and stays bounded, whatever its input."""

    @pytest.mark.parametrize(
        "path",
        [
            f"/ui/checks/{LONG_NAME}",
            f"/ui/checks/{LONG_NAME}/run?canary_hash=x",
            f"/ui/?check={LONG_NAME}",
            f"/ui/?check={LONG_NAME}&verdict=fail&limit=5",
        ],
        ids=["check", "run", "filter", "filter-limit"],
    )
    def test_a_200_character_check_name(self, phone, hunt_served, path):
        from selenium.webdriver.common.by import By

        phone.get(hunt_served.url + path)
        bounded(phone)
        # Named where the page names it (no check has it: the catalog takes names up to 128 characters; a 404 clips
        # it).
        assert LONG_NAME[:120] in phone.find_element(By.TAG_NAME, "main").text.replace("\n", "")

    def test_an_answer_of_5000_series(self, phone, hunt_served, prometheus):
        from selenium.webdriver.common.by import By

        series = [
            {
                "labels": {"pod": f"pod-{i:04d}-" + "x" * 40},
                "value": 0.5 if i == SERIES - 1 else 0.001,
                "verdict": "pass",
            }
            for i in range(SERIES)
        ]
        series[-1]["verdict"] = "fail"
        details = {"series": series, "queries": ["sum(up)"], "pass_if": "< 0.01", "each": True}
        seq = record(hunt_served, answer(value=0.5, details=details))
        phone.get(f"{hunt_served.url}/ui/verdicts/{seq}")
        assert phone.find_element(By.ID, "verdict").text == "FAIL"
        cost = bounded(phone)
        # The evidence is one block of text, whole; the plot draws at most 8 series.
        evidence = phone.find_element(By.ID, "evidence").get_attribute("textContent")
        assert evidence.count('"pod"') == SERIES
        assert len(phone.find_elements(By.CSS_SELECTOR, "svg polyline.series")) <= 8
        assert cost["elements"] < 1000

    def test_an_arg_of_script_right_to_left_and_emoji_text(self, phone, hunt_served, prometheus):
        from selenium.webdriver.common.by import By

        phone.get(f"{hunt_served.url}/ui/checks/error-rate/run?canary_hash={quote(HOSTILE_ARG)}&at={prometheus.anchor}")
        bounded(phone)
        facts = phone.find_element(By.CSS_SELECTOR, "table.facts").text
        # The script is text; the override is shown as its escape (obeyed, the rest would read "ko...liaf").
        assert "<script>window.__xss=4</script>\\u202eliaf\U0001f680ok" in facts
        assert "\u202e" not in phone.find_element(By.TAG_NAME, "body").text
        phone.get(f"{hunt_served.url}/ui/?check=error-rate")
        bounded(phone)
        assert "\u202e" not in phone.find_element(By.TAG_NAME, "body").text

    def test_an_answer_without_evidence(self, phone, hunt_served):
        from selenium.webdriver.common.by import By

        seq = record(hunt_served, answer(details=None))
        phone.get(f"{hunt_served.url}/ui/verdicts/{seq}")
        assert phone.find_element(By.ID, "verdict").text == "FAIL"
        bounded(phone)
        assert phone.find_element(By.ID, "reason").text == "value 0.1 does not meet pass_if < 0.01"

    def test_a_history_of_1000_answers(self, phone, hunt_served):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        for index in range(HISTORY_RUNS):
            record(hunt_served, answer(args={"canary_hash": f"run{index:04d}"}, reason=f"run {index} " + "r" * 300))
        held = [entry.seq for entry in hunt_served.call(held_now(hunt_served))]
        assert len(held) == HISTORY_RUNS
        phone.get(f"{hunt_served.url}/ui/")
        shown: list[int] = []
        pages = 0
        while True:
            pages += 1
            # Bounded: a link to an older page that led back would otherwise walk forever.
            assert pages <= 20
            # Before: the newest 100, then a link to the whole history on one page, about 17,000 elements.
            bounded(phone)
            shown += rows_shown(phone)
            if pages == 1:
                # Answers recorded while the first page is read: the next page still follows on from it.
                for index in range(3):
                    record(hunt_served, answer(args={"canary_hash": f"new{index}"}))
            older = phone.find_elements(By.CSS_SELECTOR, "nav.pages a[rel=next]")
            if not older:
                break
            older[0].send_keys(Keys.ENTER)
        # Every answer once, newest first, 50 a page; but the 3 the history dropped for the 3 recorded meanwhile (the
        # oldest of the caller holding the most).
        still = {entry.seq for entry in hunt_served.call(held_now(hunt_served))}
        assert shown == [seq for seq in held if seq in still]
        assert len(shown) == HISTORY_RUNS - 3
        assert pages == 20
        # A larger page size, as the old link to every answer held wrote it, is brought down to 100 and said.
        phone.get(f"{hunt_served.url}/ui/?limit=5000")
        bounded(phone)
        assert len(rows_shown(phone)) == 100
        assert (
            "limit 5000 is more than a page shows: 100 answers a page"
            in phone.find_element(By.ID, "limit-clamped").text
        )

    def test_the_filter_and_the_page_size_are_kept_across_pages(self, phone, hunt_served):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        for index in range(120):
            record(hunt_served, answer(args={"canary_hash": f"kept{index:03d}"}, verdict=Outcome.PASS, value=0.001))
        phone.get(f"{hunt_served.url}/ui/?verdict=pass&limit=100")
        phone.find_element(By.CSS_SELECTOR, "nav.pages a[rel=next]").send_keys(Keys.ENTER)
        assert "verdict=pass&limit=100&before=" in phone.current_url
        verdicts = [a.text for a in phone.find_elements(By.CSS_SELECTOR, "table.verdicts tbody a.verdict")]
        assert verdicts and set(verdicts) == {"PASS"}
        assert phone.find_element(By.ID, "verdict-filter").get_attribute("value") == "pass"
        bounded(phone)


async def held_now(served: Served) -> list[Any]:
    """Every answer the served analyzer holds, newest first."""
    history = served.app[HISTORY]
    return history.query(limit=history.capacity)


def rows_shown(browser) -> list[int]:
    """The answers' numbers the history list shows, in its order."""
    from selenium.webdriver.common.by import By

    return [
        int(link.get_attribute("href").rsplit("/", 1)[1])
        for link in browser.find_elements(By.CSS_SELECTOR, "table.verdicts tbody a.verdict")
    ]


# An error's message of several lines, as a traceback writes them: indented, one line longer than a phone.
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/app/probe.py", line 3, in probe\n'
    "    raise ValueError(reply)\n"
    "ValueError: " + "z" * 200
)
# A label value of one word longer than any screen.
LONG_VALUE = "v" * 300


def boxes_scrolling_sideways(browser) -> list[list[Any]]:
    """The boxes outside figures and code (`pre`) that scroll sideways: their class and how far, px."""
    return browser.execute_script(
        "return [...document.querySelectorAll('main *')]"
        ".filter(e => !e.closest('figure, pre') && e.scrollWidth > e.clientWidth + 1"
        "  && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))"
        ".map(e => [e.className, e.scrollWidth - e.clientWidth]);"
    )


class TestLongAndMultiLineText:
    """A verdict page with a 300-character label value and a traceback-like error fits a phone and a desktop: nothing
    outside a figure or code scrolls sideways, and the error keeps its lines."""

    @pytest.mark.parametrize("width", [320, 375, 1280])
    def test_an_error_with_a_traceback_and_a_long_arg(self, phone, hunt_served, width):
        from selenium.webdriver.common.by import By

        seq = record(
            hunt_served,
            answer(
                verdict=Outcome.ERROR,
                value=None,
                error=TRACEBACK,
                reason=TRACEBACK,
                args={"canary_hash": LONG_VALUE},
                details={"series": [{"labels": {"pod": LONG_VALUE}, "value": 0.1, "verdict": "error"}]},
            ),
        )
        try:
            phone.set_window_size(width, PHONE[1])
            phone.get(f"{hunt_served.url}/ui/verdicts/{seq}")
            assert phone.title == "ERROR error-rate · analyzer"
            bounded(phone)
            # Before: the facts' box scrolled sideways at every width, the error and the arg cut off at its edge.
            assert boxes_scrolling_sideways(phone) == []
            inner = "return arguments[0].innerText"
            # Before: one run-on line, "last): File ... in probe raise ValueError".
            for element in (phone.find_element(By.ID, "reason"), phone.find_element(By.ID, "error")):
                assert phone.execute_script(inner, element).startswith(TRACEBACK[:60])
            arg = phone.find_element(By.XPATH, "//table[@class='facts']//th[.='arg canary_hash']/../td")
            assert phone.execute_script(inner, arg).replace("\n", "") == LONG_VALUE
        finally:
            phone.set_window_size(*PHONE)

    def test_a_reason_of_several_lines_that_closes_its_box_and_opens_a_script(self, phone, hunt_served):
        from selenium.webdriver.common.by import By

        # Its lines kept (white-space: pre-wrap), the markup in them is still text.
        reason = "probe failed:\n  </p></pre><script>window.__xss=5</script>\n  <img src=x onerror=window.__xss=6>"
        seq = record(
            hunt_served,
            answer(verdict=Outcome.ERROR, value=None, reason=reason, details={"pod": "</td><script>x</script>"}),
        )
        phone.get(f"{hunt_served.url}/ui/verdicts/{seq}")
        bounded(phone)
        assert phone.find_elements(By.TAG_NAME, "img") == []
        assert phone.execute_script("return arguments[0].innerText", phone.find_element(By.ID, "reason")) == reason


# A composite of many members, every one of which decided its verdict (mode all: all passed).
MEMBERS = 200


class TestManyDecidingMembers:
    """A composite whose every member decided its verdict says so under its reason in a few lines, not a line a member
    before the facts."""

    def test_200_members_that_all_decided(self, phone, hunt_served):
        from selenium.webdriver.common.by import By

        members = [
            {
                "check": f"gate-{i:03d}",
                "verdict": "pass",
                "weight": 1.0,
                "reason": "value 0.001 meets pass_if < 0.01",
                "decided": "it passed, and all must pass",
            }
            for i in range(MEMBERS)
        ]
        seq = record(
            hunt_served,
            answer(
                check="release",
                kind="composite",
                verdict=Outcome.PASS,
                value=None,
                reason=f"all {MEMBERS} members passed",
                details={"mode": "all", "members": members},
            ),
        )
        phone.get(f"{hunt_served.url}/ui/verdicts/{seq}")
        assert phone.find_element(By.ID, "verdict").text == "PASS"
        bounded(phone)
        decided = phone.find_element(By.ID, "decided-by")
        # Before: 200 entries, about 5,000 px of text between the reason and the facts on a phone.
        assert decided.size["height"] <= 6 * 22
        assert decided.text == (
            "Decided by member gate-000: it passed, and all must pass; member gate-001: it passed, and all must pass; "
            "member gate-002: it passed, and all must pass; and 197 more members (first in the members table)."
        )
        marked = phone.find_elements(By.CSS_SELECTOR, "table.members td.decided")
        assert [m.text for m in marked] == ["decided the verdict"] * MEMBERS


LONG_HISTORY_RUNS = 300


@pytest.fixture(scope="module")
def long_history(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer holding hundreds of answers, each with a long arg and a long reason."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-long-history"), auth=False) as server:
        for index in range(LONG_HISTORY_RUNS):
            record(server, answer(args={"canary_hash": f"{index:04d}" + "h" * 60}, reason=f"run {index} " + "r" * 300))
        yield server


class TestAListOfHundredsOfAnswers:
    """The list of hundreds of answers on the narrowest phone (320 px): 50 a page, the way to the older ones reached by
    the keyboard before the rows, and neither list scrolling sideways."""

    def test_the_way_to_older_answers_comes_before_the_rows(self, long_history):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        with headless_chromium(window_size=(320, 667)) as browser:
            browser.get(f"{long_history.url}/ui/")
            bounded(browser)
            assert boxes_scrolling_sideways(browser) == []
            first = rows_shown(browser)
            assert len(first) == 50
            more = browser.find_element(By.CSS_SELECTOR, "nav.pages a[rel=next]")
            assert more.is_displayed()
            first_row = browser.find_element(By.CSS_SELECTOR, "table.verdicts tbody a")
            reached = []
            for _ in range(20):
                ActionChains(browser).send_keys(Keys.TAB).perform()
                reached.append(browser.switch_to.active_element)
                if reached[-1] in (more, first_row):
                    break
            # Before: after the 100 rows, 200 Tabs (each row's link and reason) from the top.
            assert reached[-1] == more, [e.get_attribute("outerHTML")[:80] for e in reached]
            more.send_keys(Keys.ENTER)
            second = rows_shown(browser)
            assert len(second) == 50 and max(second) < min(first)
            # The way back, reached by the keyboard before the rows too.
            newer = browser.find_element(By.CSS_SELECTOR, "nav.pages a[rel=prev]")
            assert newer.location["y"] < browser.find_element(By.CSS_SELECTOR, "table.verdicts").location["y"]
            assert browser.execute_script("return document.scrollingElement.scrollWidth - window.innerWidth") <= 1
            assert boxes_scrolling_sideways(browser) == []
            # Each answer is a card inside the screen, its cells stacked.
            assert (
                browser.execute_script(
                    "return [...document.querySelectorAll('table.verdicts tbody tr')]"
                    ".filter(r => r.getBoundingClientRect().right > window.innerWidth + 1).length"
                )
                == 0
            )
            newer.send_keys(Keys.ENTER)
            assert rows_shown(browser) == first
