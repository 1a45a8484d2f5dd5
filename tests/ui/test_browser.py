"""The verdict pages in a real headless browser (Debian chromium driven by selenium), against the real
Prometheus with known data: verdict text, plots whose lines sit where the known values put them, login, XSS."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.chromium import headless_chromium
from tests.integration.data_ui import HOSTILE
from tests.ui.support import (
    BIDI_ESCAPED,
    BROKEN_ERROR_RATIO,
    CANARY,
    ERROR_RATE_LIMIT,
    KPI_PARAMS,
    NEAR_CHECKS,
    SHOP_RATIO,
    TOKEN,
    Served,
    kpi_counter,
    serve,
)

pytestmark = pytest.mark.integration

# Half a pixel: coordinates are written with 2 decimals.
PIXEL_TOLERANCE = 0.01
DESKTOP_WIDTH, PHONE_WIDTH = 1280, 390


@pytest.fixture(scope="module")
def browser(served) -> Iterator[object]:
    """Headless chromium that can reach nothing but 127.0.0.1; skipped only when chromium is not installed."""
    with headless_chromium(window_size=(DESKTOP_WIDTH, 1000)) as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots of each page kind go (under the test run's temporary directory)."""
    return tmp_path_factory.mktemp("screenshots")


def login(browser, served) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(served.url + "/ui/")
    assert "/ui/login" in browser.current_url
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.ID, "sign-in").click()
    # A form submission may return before the next page has loaded: wait for the page it leads to.
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.CLASS_NAME, "who"))


@pytest.fixture
def signed_in(browser, served):
    """The browser, signed in through the login form."""
    from selenium.webdriver.common.by import By

    if not browser.get_cookies():
        login(browser, served)
        assert browser.find_element(By.CLASS_NAME, "who").text == "signed in as sre"
    return browser


def screenshot(browser, shots: Path, name: str) -> None:
    """Save the page at desktop width, whole, and at phone width; the phone view has no sideways scroll."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(DESKTOP_WIDTH, min(max(height, 800), 4000))
    browser.save_screenshot(str(shots / f"{name}.png"))
    browser.set_window_size(PHONE_WIDTH, 844)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    browser.save_screenshot(str(shots / f"{name}-phone.png"))
    browser.set_window_size(DESKTOP_WIDTH, 1000)
    assert overflow <= 1, f"{name}: the page scrolls sideways by {overflow} px on a phone"


def scale(svg, axis: str):
    """The svg's own map from a value to a pixel, read from its data attributes."""
    low, high = (float(svg.get_attribute(f"data-{axis}-{end}")) for end in ("low", "high"))
    if axis == "y":
        start, end = float(svg.get_attribute("data-plot-bottom")), float(svg.get_attribute("data-plot-top"))
    else:
        start, end = float(svg.get_attribute("data-plot-left")), float(svg.get_attribute("data-plot-right"))
    return lambda value: start + (value - low) / (high - low) * (end - start)


def verdict_of(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, "verdict").text


def no_script_ran(browser) -> None:
    from selenium.webdriver.common.by import By

    assert browser.execute_script("return window.__xss === undefined")
    assert browser.title != "pwned"
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.CSS_SELECTOR, "img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "[onerror]") == []


class TestLogin:
    """A browser signs in with its token; the cookie is out of reach of scripts."""

    def test_login_form_sets_a_cookie_scripts_cannot_read(self, browser, served):
        from selenium.webdriver.common.by import By

        browser.delete_all_cookies()
        login(browser, served)
        assert browser.current_url == served.url + "/ui/"
        assert browser.find_element(By.CLASS_NAME, "who").text == "signed in as sre"
        (cookie,) = browser.get_cookies()
        assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("analyzer_token", True, "Strict")
        assert TOKEN not in cookie["value"]
        assert browser.execute_script("return document.cookie") == ""

    def test_a_wrong_token_says_so(self, browser, served):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        browser.delete_all_cookies()
        browser.get(served.url + "/ui/login")
        browser.find_element(By.ID, "token").send_keys("not-the-right-token-123")
        browser.find_element(By.ID, "sign-in").click()
        WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.ID, "login-problem"))
        assert browser.find_element(By.ID, "login-problem").text == "that token is not accepted"
        assert browser.get_cookies() == []


class TestPages:
    """Each page kind shows its verdict and draws its evidence where the known data puts it."""

    def test_catalog_and_history(self, signed_in, served, shots):
        from selenium.webdriver.common.by import By

        signed_in.get(served.url + "/ui/")
        names = [a.text for a in signed_in.find_elements(By.CSS_SELECTOR, "table.catalog a")]
        assert {"error-rate", "shop-budget", "conversion", "smoke", "release"} <= set(names)
        screenshot(signed_in, shots, "catalog")

    def test_check_page_form_runs_the_check(self, signed_in, served, shots, prometheus):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        signed_in.get(served.url + "/ui/checks/error-rate")
        screenshot(signed_in, shots, "check")
        signed_in.find_element(By.ID, "arg-canary_hash").send_keys("broken1")
        signed_in.find_element(By.ID, "arg-at").send_keys(str(prometheus.anchor))
        signed_in.find_element(By.ID, "run").click()
        WebDriverWait(signed_in, 30).until(lambda driver: driver.find_elements(By.ID, "verdict"))
        assert verdict_of(signed_in) == "FAIL"

    def test_the_list_names_the_token_that_asked(self, signed_in, served, prometheus):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        signed_in.get(served.url + f"/ui/checks/error-rate/run?canary_hash=asked1&at={prometheus.anchor}")
        WebDriverWait(signed_in, 30).until(lambda driver: driver.find_elements(By.ID, "verdict"))
        try:
            for width in (DESKTOP_WIDTH, PHONE_SE[0]):
                signed_in.set_window_size(width, 1000)
                signed_in.get(served.url + "/ui/?check=error-rate")
                row = signed_in.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr")
                asked = row.find_element(By.CSS_SELECTOR, "td[data-label=check] .asked-by")
                assert asked.text == "asked by sre"
                # On a line of its own, below the check's name, within the screen.
                assert signed_in.execute_script("return getComputedStyle(arguments[0]).display", asked) == "block"
                assert asked.location["x"] + asked.size["width"] <= width
                assert signed_in.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
        finally:
            signed_in.set_window_size(DESKTOP_WIDTH, 1000)

    def test_a_form_shown_again_submits_what_was_sent(self, signed_in, served):
        # An invisible character in an arg is shown as an escape in the text, never in the field: submitting
        # the form again sends the same arg, not the escape's text.
        from urllib.parse import parse_qs, urlsplit

        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        signed_in.get(served.url + "/ui/checks/error-rate/run?canary_hash=a%E2%80%8Bb&at=soon%E2%80%8B")
        assert signed_in.find_element(By.ID, "arg-canary_hash").get_attribute("value") == "a\u200bb"
        signed_in.find_element(By.ID, "arg-at").clear()
        signed_in.find_element(By.ID, "run").click()
        WebDriverWait(signed_in, 30).until(lambda driver: "soon" not in driver.current_url)
        assert parse_qs(urlsplit(signed_in.current_url).query)["canary_hash"] == ["a\u200bb"]

    def test_prometheus_threshold_line_and_value(self, signed_in, served, shots, prometheus):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}")
        assert verdict_of(signed_in) == "FAIL"
        assert "does not meet pass_if" in signed_in.find_element(By.ID, "reason").text
        svg = signed_in.find_element(By.CSS_SELECTOR, "svg.plot")
        y = scale(svg, "y")
        rule = svg.find_element(By.CSS_SELECTOR, "line.rule.pass-if[data-value]")
        assert float(rule.get_attribute("data-value")) == ERROR_RATE_LIMIT
        assert abs(float(rule.get_attribute("y1")) - y(ERROR_RATE_LIMIT)) <= PIXEL_TOLERANCE
        # The known data: broken1's error ratio is 0.1 over the whole hour, so the line is flat at y(0.1),
        # far above the threshold line (smaller y is higher).
        points = svg.find_element(By.CSS_SELECTOR, "polyline.series").get_attribute("points").split()
        ys = [float(p.split(",")[1]) for p in points]
        assert len(ys) > 60
        assert all(abs(v - y(BROKEN_ERROR_RATIO)) < 1 for v in ys)
        mark = svg.find_element(By.CSS_SELECTOR, "circle.mark.evaluated")
        assert abs(float(mark.get_attribute("cy")) - y(BROKEN_ERROR_RATIO)) < 1
        assert y(BROKEN_ERROR_RATIO) < float(rule.get_attribute("y1")) - 100
        legend = [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.legend")]
        assert "pass_if < 0.01" in legend
        # A screen reader hears the figures, not only the plot's name (it said "The query's value over time").
        assert svg.get_attribute("aria-label").startswith(
            "The query's value over time (verdict FAIL): evaluated value 0.1 (fail); pass_if < 0.01; "
        )
        screenshot(signed_in, shots, "prometheus")

    def test_error_budget_tiers_against_their_factors(self, signed_in, served, shots, prometheus):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        assert verdict_of(signed_in) == "FAIL"
        page = signed_in.find_element(By.CSS_SELECTOR, "figure.multiple[data-label='page 1h/5m']")
        svg = page.find_element(By.CSS_SELECTOR, "svg[aria-label^='Burn rate']")
        y = scale(svg, "y")
        factor = page.find_element(By.CSS_SELECTOR, "line.rule.factor")
        assert float(factor.get_attribute("data-value")) == pytest.approx(14.4)
        assert abs(float(factor.get_attribute("y1")) - y(14.4)) <= PIXEL_TOLERANCE
        # burn1: 0.05% errors until A-50m, then 2.5%: the 1h window burns (10 * 0.05% + 50 * 2.5%) / 60 / 0.1%.
        long_bar = page.find_element(By.CSS_SELECTOR, "rect.bar.long")
        expected_burn = (10 * 0.0005 + 50 * 0.025) / 60 / 0.001
        assert float(long_bar.get_attribute("data-value")) == pytest.approx(expected_burn, rel=0.02)
        assert (
            abs(float(long_bar.get_attribute("y")) - y(float(long_bar.get_attribute("data-value")))) <= PIXEL_TOLERANCE
        )
        assert page.find_element(By.CSS_SELECTOR, "figcaption .status").text == "FIRED: fails"
        # Every tier says FIRED exactly when both its drawn bars stand above its drawn factor.
        for group in signed_in.find_elements(By.CSS_SELECTOR, "figure.multiple"):
            bars = [float(b.get_attribute("data-value")) for b in group.find_elements(By.CSS_SELECTOR, "rect.bar")]
            limit = float(group.find_element(By.CSS_SELECTOR, "line.rule").get_attribute("data-value"))
            fired = len(bars) == 2 and min(bars) > limit
            assert group.find_element(By.CSS_SELECTOR, "figcaption .status").text.startswith("FIRED") == fired
        over_time = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='Burn rate over time of tier page']")
        y = scale(over_time, "y")
        factor = over_time.find_element(By.CSS_SELECTOR, "line.rule.factor[data-value]")
        assert abs(float(factor.get_attribute("y1")) - y(14.4)) <= PIXEL_TOLERANCE
        # The long (1h) window's line ends at the burn the verdict measured.
        long_line = over_time.find_element(By.CSS_SELECTOR, "polyline.series.long")
        last_y = float(long_line.get_attribute("points").split()[-1].split(",")[1])
        assert abs(last_y - y(expected_burn)) < 2
        screenshot(signed_in, shots, "error_budget")

    def test_kpi_compare_estimate_against_the_tolerance(self, signed_in, served, shots, prometheus):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/conversion/run?canary_hash=kpiworse&at={prometheus.anchor}")
        assert verdict_of(signed_in) == "FAIL"
        lines = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='Canary and baseline']")
        assert {p.get_attribute("data-label") for p in lines.find_elements(By.CSS_SELECTOR, "polyline")} == {
            "canary",
            "baseline",
        }
        svg = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='the estimate']")
        x = scale(svg, "x")
        # kpiworse converts 5% against the baseline's 10%; the tolerance is 10% of 10%, on the harmful side.
        estimate = svg.find_element(By.CSS_SELECTOR, "circle.estimate")
        assert float(estimate.get_attribute("data-value")) == pytest.approx(-0.05, abs=0.002)
        assert (
            abs(float(estimate.get_attribute("cx")) - x(float(estimate.get_attribute("data-value")))) <= PIXEL_TOLERANCE
        )
        (tolerance,) = svg.find_elements(By.CSS_SELECTOR, "line.rule.tolerance[data-value]")
        assert float(tolerance.get_attribute("data-value")) == pytest.approx(-0.01)
        assert abs(float(tolerance.get_attribute("x1")) - x(-0.01)) <= PIXEL_TOLERANCE
        assert float(estimate.get_attribute("cx")) < float(tolerance.get_attribute("x1"))
        # A screen reader hears the judged values, the estimate, its interval, the tolerance and the verdict.
        assert lines.get_attribute("aria-label").startswith(
            "Canary and baseline over time (verdict FAIL; judged canary rate 0.05; judged baseline rate 0.1): "
        )
        heard = svg.get_attribute("aria-label")
        assert re.fullmatch(
            r"the estimate \(canary - baseline\) with its 95% interval \(verdict FAIL\): estimate -0\.05\d*; "
            r"interval \[-0\.0\d+, -0\.0\d+\]; no difference; -tolerance -0\.01",
            heard,
        ), heard
        screenshot(signed_in, shots, "kpi_compare")

    def test_http_smoke_timeline_latency_limits_and_a_hostile_body(self, signed_in, served, shots):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/smoke/run")
        assert verdict_of(signed_in) == "FAIL"
        timeline = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='The steps']")
        assert [t.text for t in timeline.find_elements(By.CSS_SELECTOR, "text.step-name")] == [
            "health",
            "burst",
            "hostile",
        ]
        assert len(timeline.find_elements(By.CSS_SELECTOR, "rect.bar.pass")) == 2
        assert len(timeline.find_elements(By.CSS_SELECTOR, "rect.bar.fail")) == 1
        latency = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='Latency per step']")
        x = scale(latency, "x")
        limit = latency.find_element(By.CSS_SELECTOR, "line.rule.limit.max_p95")
        assert abs(float(limit.get_attribute("x1")) - x(2000)) <= PIXEL_TOLERANCE
        assert len(latency.find_elements(By.CSS_SELECTOR, "circle.mark.p95[data-value]")) == 1
        evidence = signed_in.find_element(By.ID, "evidence").get_attribute("textContent")
        assert "<script>window.__xss=1" in evidence
        no_script_ran(signed_in)
        screenshot(signed_in, shots, "http_smoke")

    def test_composite_members_link_to_their_pages(self, signed_in, served, shots, prometheus):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        signed_in.get(f"{served.url}/ui/checks/release/run?canary_hash=broken1&at={prometheus.anchor}")
        assert verdict_of(signed_in) == "FAIL"
        svg = signed_in.find_element(By.CSS_SELECTOR, "svg[aria-label^='Members by weight']")
        labels = [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.legend")]
        assert labels == ["1 error-rate: FAIL (weight 1, critical)", "2 shop-budget: FAIL (weight 2)"]
        widths = [float(r.get_attribute("width")) for r in svg.find_elements(By.CSS_SELECTOR, "rect.share")]
        assert widths[1] == pytest.approx(2 * widths[0], abs=0.02)
        screenshot(signed_in, shots, "composite")
        svg.find_element(By.CSS_SELECTOR, "a").click()
        WebDriverWait(signed_in, 30).until(
            lambda driver: "/ui/checks/error-rate/run" in driver.current_url and driver.find_elements(By.ID, "verdict")
        )
        assert "/ui/checks/error-rate/run?canary_hash=broken1" in signed_in.current_url
        assert verdict_of(signed_in) == "FAIL"


class TestWhichMemberDecided:
    """A composite's page and each member's page say which member decided the composite's verdict, and why."""

    def test_the_composite_and_its_members_name_the_member_that_decided(self, signed_in, served, prometheus):
        from selenium.webdriver.common.by import By

        page = f"{served.url}/ui/checks/release/run?canary_hash=broken1&at={prometheus.anchor}"
        signed_in.get(page)
        assert verdict_of(signed_in) == "FAIL"
        # Both members fail, and each fail alone fails the scorecard: error-rate is critical (the reason names it),
        # and shop-budget's weight, 2 of 3, left out of the score keeps it under 90 whatever error-rate says.
        decided = signed_in.find_element(By.ID, "decided-by").text
        assert decided == (
            "Decided by member error-rate: it is critical and failed: a critical member's fail fails the whole; "
            "member shop-budget: it failed, its weight left out of the score."
        )
        rows = {
            row.find_element(By.CSS_SELECTOR, "td a").text: row.find_element(By.CSS_SELECTOR, "td.decided").text
            for row in signed_in.find_elements(By.CSS_SELECTOR, "table.members tbody tr")
        }
        assert rows == {"error-rate": "decided the verdict", "shop-budget": "decided the verdict"}
        links = {a.text: a.get_attribute("href") for a in signed_in.find_elements(By.CSS_SELECTOR, "table.members a")}
        signed_in.get(links["error-rate"])
        assert verdict_of(signed_in) == "FAIL"
        # Before: the member's page named its composite, not whether its answer decided the composite's verdict.
        assert signed_in.find_element(By.ID, "decided").text == (
            "This member decided its composite's verdict: it is critical and failed: a critical member's fail fails "
            "the whole."
        )
        signed_in.get(links["shop-budget"])
        assert verdict_of(signed_in) == "FAIL"
        # Before: "This member did not decide its composite's verdict: member error-rate did", though its fail alone
        # failed the scorecard.
        assert signed_in.find_element(By.ID, "decided").text == (
            "This member decided its composite's verdict: it failed, its weight left out of the score."
        )


class TestDecidedFirst:
    """A composite's page says which members decided its verdict next to its reason, and lists them first."""

    def test_the_deciding_member_is_read_before_the_plots_and_the_other_members(
        self, browser, judged_served, prometheus
    ):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/release-all/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        decided = browser.find_element(By.ID, "decided-by")
        assert decided.text.startswith("Decided by member pods-error-ratio: ")
        reason = browser.find_element(By.ID, "reason")
        facts = browser.find_element(By.CSS_SELECTOR, "table.facts")
        plot = browser.find_element(By.CSS_SELECTOR, "figure.plot-figure")
        # Before: under the members' plot, after the Members heading.
        assert reason.location["y"] < decided.location["y"] < facts.location["y"] < plot.location["y"]
        members = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.members tbody td:nth-child(2) a")]
        # Before: in the composite's order, the member that failed it last.
        assert members == ["pods-error-ratio", "availability", "week-error-ratio"]
        rows = browser.find_elements(By.CSS_SELECTOR, "table.members tbody tr")
        assert [row.find_element(By.CSS_SELECTOR, "td.decided").text for row in rows] == ["decided the verdict", "", ""]


LONG_KPI_REASON = (
    "canary rate 0.05 vs baseline 0.1 (-0.05, -50%, 95% CI [-0.0524253, -0.0475797], p=0); fails when the drop is "
    "significant (p < 0.05) and larger than the tolerance 0.01 (10% of the baseline), passes when the interval rules "
    "out a drop beyond the tolerance and the test has power 0.8 to detect a drop of 0.01"
)
# How many lines each heading of a table's head is drawn on.
HEADING_LINES = (
    "return [...arguments[0].querySelectorAll('thead th')].map(th => {"
    "  const range = document.createRange(); range.selectNodeContents(th);"
    "  return [th.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]; });"
)


class TestHeadingsKeptWhole:
    """A table's column headings are words kept whole at a desktop's width, beside however long a reason."""

    def test_the_members_headings_are_one_line_each(self, browser, judged_served, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/release-all/run?at={prometheus.anchor}")
        table = browser.find_element(By.CSS_SELECTOR, "table.members")
        # A kpi_compare member's reason, as long as they come: its estimate, interval and decision rule.
        browser.execute_script(
            "arguments[0].textContent = arguments[1]", table.find_element(By.CSS_SELECTOR, "td.reason"), LONG_KPI_REASON
        )
        # Before: "weight" and "decided" were each broken over three lines beside a long member reason.
        assert browser.execute_script(HEADING_LINES, table) == [
            ["verdict", 1],
            ["member", 1],
            ["weight", 1],
            ["decided", 1],
            ["reason", 1],
        ]
        for cell in table.find_elements(By.CSS_SELECTOR, "tbody td.decided"):
            # A cell of the column is as wide as its heading at least: "decided" is never broken inside the word.
            assert not cell.text or cell.text.split("\n")[0].startswith("decided")


# Each heading of a table's head: its text, scope, font size (px), and the words drawn broken over two lines.
HEADINGS_READ = (
    "return [...arguments[0].querySelectorAll('thead th')].map(th => {"
    "  const text = th.firstChild, broken = [];"
    "  for (const m of th.textContent.matchAll(/\\S+/g)) {"
    "    const range = document.createRange();"
    "    range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);"
    "    if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(m[0]); }"
    "  return [th.textContent, th.getAttribute('scope'), parseFloat(getComputedStyle(th).fontSize), broken]; });"
)


class TestStepsAndWindowsTables:
    """The steps' and windows' tables, as the members', name their headings' scope and keep them readable at 320 px:
    no word broken, 11 px or more, and the page scrolls not sideways (the table in its own box at most)."""

    TABLES = (
        ("/ui/checks/smoke/run?", "table.steps", ["step", "outcome", "HTTP status", "latency", "what failed"]),
        (
            "/ui/checks/shop-budget/run?canary_hash=burn1&at={anchor}",
            "table.windows",
            ["window", "error ratio", "burn rate", "note"],
        ),
    )

    @pytest.mark.parametrize("width", [320, DESKTOP_WIDTH])
    @pytest.mark.parametrize(("path", "selector", "headings"), TABLES)
    def test_headings_with_scope_whole_and_readable(
        self, browser, judged_served, prometheus, path, selector, headings, width
    ):
        from selenium.webdriver.common.by import By

        try:
            browser.set_window_size(width, 1000)
            browser.get(judged_served.url + path.format(anchor=prometheus.anchor))
            table = browser.find_element(By.CSS_SELECTOR, selector)
            read = browser.execute_script(HEADINGS_READ, table)
            assert [[text, scope, broken] for text, scope, _, broken in read] == [[h, "col", []] for h in headings]
            assert min(size for _, _, size, _ in read) >= 11
            assert browser.execute_script(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


class TestEscaping:
    """What a target or a series says is shown as text: no script from it ever runs."""

    def test_a_hostile_label_value_is_text(self, signed_in, served, prometheus, shots):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/hostile-labels/run?at={prometheus.anchor}")
        assert verdict_of(signed_in) == "PASS"
        # Shown as PromQL quotes a label value: its own double quotes escaped.
        quoted = HOSTILE.replace('"', '\\"')
        assert quoted in signed_in.find_element(By.ID, "reason").text
        legend = [t.text for t in signed_in.find_elements(By.CSS_SELECTOR, "svg text.legend")]
        assert any(quoted in text for text in legend)
        no_script_ran(signed_in)
        screenshot(signed_in, shots, "xss")

    def test_a_label_value_that_reverses_text_is_shown_as_escapes(self, signed_in, served, prometheus, shots):
        from selenium.webdriver.common.by import By

        signed_in.get(f"{served.url}/ui/checks/bidi-labels/run?at={prometheus.anchor}")
        assert verdict_of(signed_in) == "FAIL"
        # Obeyed, U+202E would show the rest of the reason backwards ("5.0 < fi_ssap teem ton seod").
        reason = signed_in.find_element(By.ID, "reason").text
        assert f'{{note="{BIDI_ESCAPED}"}} 1 does not meet pass_if < 0.5' in reason
        legend = [t.text for t in signed_in.find_elements(By.CSS_SELECTOR, "svg text.legend")]
        assert f'{{note="{BIDI_ESCAPED}"}}' in legend
        page = signed_in.find_element(By.TAG_NAME, "body").text
        assert not {"\u202e", "\x1b", "\x07"} & set(page)
        screenshot(signed_in, shots, "bidi")

    def test_a_hostile_arg_is_text(self, signed_in, served, prometheus):
        from selenium.webdriver.common.by import By

        signed_in.get(
            f"{served.url}/ui/checks/error-rate/run?at={prometheus.anchor}&canary_hash="
            "%3Cscript%3Ewindow.__xss%3D3%3C%2Fscript%3E"
        )
        assert "<script>window.__xss=3</script>" in signed_in.find_element(By.CSS_SELECTOR, "table.facts").text
        no_script_ran(signed_in)


# The longest names a catalog takes (128 characters, no space to break at), and a long param name.
LONG_CHECK = "long-" + "n" * 123
LONG_PARAM = "canary_" + "h" * 56
LONG_CHECKS = (
    {
        "name": LONG_CHECK,
        "kind": "prometheus",
        "description": "d" * 300,
        "params": {LONG_PARAM: {"type": "label_value", "required": True}},
        "query": f'sum(rate(http_requests_total{{rollouts_pod_template_hash="{{{{ {LONG_PARAM} }}}}"}}[5m]))',
        "pass_if": "> 0",
    },
)


@pytest.fixture(scope="module")
def long_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth off and a check of the longest name besides the UI catalog."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-long"), auth=False, extra_checks=LONG_CHECKS) as server:
        yield server


class TestLongNames:
    """A check of the longest name a catalog takes fits a phone: nothing on its pages scrolls sideways."""

    @pytest.mark.parametrize(
        ("name", "path"),
        [
            ("long-index", "/ui/"),  # the history filter's options
            ("long-check", f"/ui/checks/{LONG_CHECK}"),  # the run button, the param's label
            ("long-form", f"/ui/checks/{LONG_CHECK}/run?{LONG_PARAM}="),  # the form's problem naming the param
            ("long-verdict", f"/ui/checks/{LONG_CHECK}/run?{LONG_PARAM}=broken1"),
        ],
    )
    def test_its_pages_fit_a_phone(self, browser, long_served, shots, name, path):
        browser.get(long_served.url + path)
        screenshot(browser, shots, name)


# A phone's viewport, CSS pixels (an iPhone SE's).
PHONE_SE = (375, 667)


class TestTheCatalogOnAPhone:
    """At 375 px the catalog is one card per check, its cells stacked: nothing scrolls sideways, the page nor the
    catalog's box, and a screen reader still reads a table."""

    def test_nothing_scrolls_sideways_and_each_value_is_named(self, browser, long_served):
        from selenium.webdriver.common.by import By

        try:
            browser.set_window_size(*PHONE_SE)
            browser.get(long_served.url + "/ui/")
            width_px = browser.execute_script("return window.innerWidth")
            assert width_px <= PHONE_SE[0]
            assert browser.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
            table = browser.find_element(By.CSS_SELECTOR, "table.catalog")
            container = table.find_element(By.XPATH, "..")
            # Before: the catalog's box scrolled sideways (three columns, a 300-character description), the
            # description out of sight.
            assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", container)
            assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", table)
            rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
            assert len(rows) >= 8
            for row in rows:
                cells = row.find_elements(By.TAG_NAME, "td")
                tops = [cell.location["y"] for cell in cells]
                # Stacked: each cell below the one before, each within the screen.
                assert tops == sorted(tops) and len(set(tops)) == len(tops), tops
                assert all(c.location["x"] >= 0 and c.location["x"] + c.size["width"] <= width_px for c in cells)
                for cell in cells[1:]:
                    label = browser.execute_script("return getComputedStyle(arguments[0], '::before').content", cell)
                    assert label == f'"{cell.get_attribute("data-label")}" / ""', label
            assert LONG_CHECK in table.text.replace("\n", "")
            assert table.aria_role == "table"
            assert [h.aria_role for h in table.find_elements(By.CSS_SELECTOR, "thead th")] == ["columnheader"] * 3
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)

    def test_a_desktop_keeps_the_columns(self, browser, long_served):
        from selenium.webdriver.common.by import By

        browser.get(long_served.url + "/ui/")
        row = browser.find_element(By.CSS_SELECTOR, "table.catalog tbody tr")
        assert len({cell.location["y"] for cell in row.find_elements(By.TAG_NAME, "td")}) == 1
        assert browser.find_element(By.CSS_SELECTOR, "table.catalog thead").is_displayed()


# The longest name a token's file takes (255 characters), with no space to break at.
LONG_TOKEN_NAME = "ci-" + "0123456789abcdef" * 15 + "0123456789ab"
LONG_TOKEN = "long-name-token/0123456789abcdef=="


@pytest.fixture(scope="module")
def near_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth on, a second token named LONG_TOKEN_NAME, and the checks of NEAR_CHECKS."""
    tmp = tmp_path_factory.mktemp("ui-near")
    (tmp / "tokens").mkdir()
    (tmp / "tokens" / LONG_TOKEN_NAME).write_text(LONG_TOKEN)
    with serve(prometheus.url, tmp, auth=True, extra_checks=NEAR_CHECKS) as server:
        yield server


class TestTheListOnADesktop:
    """At 1280 px a row's value reads as judged and the longest token name wraps: the list does not scroll sideways."""

    def test_a_value_under_its_threshold_asked_by_the_longest_token_name(self, browser, near_served, prometheus):
        import requests
        from selenium.webdriver.common.by import By

        asked = requests.get(
            near_served.url + f"/api/v1/checks/near-threshold/run?at={prometheus.anchor}",
            headers={"Authorization": f"Bearer {LONG_TOKEN}"},
            timeout=60,
        )
        assert asked.json()["verdict"] == "pass"
        assert len(LONG_TOKEN_NAME) == 255
        try:
            browser.get(near_served.url + "/ui/login")
            browser.delete_all_cookies()
            browser.set_window_size(DESKTOP_WIDTH, 1000)
            login(browser, near_served)
            browser.get(near_served.url + "/ui/?check=near-threshold")
            row = browser.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr")
            # Not "80", its threshold, beside a pass.
            assert row.find_element(By.CSS_SELECTOR, "td[data-label=value]").text == "79.9999999"
            by = row.find_element(By.CSS_SELECTOR, "td[data-label=check] .asked-by")
            assert by.text.replace("\n", "") == f"asked by {LONG_TOKEN_NAME}"
            table = browser.find_element(By.CSS_SELECTOR, "table.verdicts")
            box = table.find_element(By.XPATH, "..")
            widths = browser.execute_script(
                "return [arguments[0].getBoundingClientRect().width, arguments[1].clientWidth,"
                " arguments[1].scrollWidth]",
                table,
                box,
            )
            assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
            assert browser.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
        finally:
            # The other tests' server knows only TOKEN: signed_in signs in again.
            browser.delete_all_cookies()


# eb-search serves 0.02% errors for 7 days (tests/integration/data_error_budget.py): at 99.9% it keeps 80% of its
# budget, which a gate of 90% fails.
SEARCH_REMAINING, SEARCH_GATE = 0.8, 0.9
# burn1 at the anchor burns about 21x over 1h and 25x over 5m and 30m, 10.7x over 2h: a tier of factor 30 over 1h/5m
# stays quiet, one of factor 8 over 2h/30m fires and fails the verdict.
JUDGED_CHECKS = (
    {
        "name": "search-budget-gate",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "tiers": [],
        "min_budget_remaining": SEARCH_GATE,
        "ratio": {
            "errors": 'sum(rate(eb_requests_total{service="eb-search", code=~"5.."}[{{ window }}]))',
            "total": 'sum(rate(eb_requests_total{service="eb-search"}[{{ window }}]))',
        },
    },
    {
        # eb-billing burns 0.8x now, 2.2x over 3d after an incident: its ticket tiers fire, its page tiers do not.
        "name": "billing-burn",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "ratio": {
            "errors": 'sum(rate(eb_requests_total{service="eb-billing", code=~"5.."}[{{ window }}]))',
            "total": 'sum(rate(eb_requests_total{service="eb-billing"}[{{ window }}]))',
        },
    },
    {
        # Pyrra's burnrate rules record 1.6% over 1h and 2% over 5m (16x and 20x); the raw counter has no errors.
        "name": "pyrra-api",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {
            "slo": "eb-pyrra-api",
            "metric": "eb_http_requests",
            "total": 'eb_http_requests_total{job="eb-pyrra"}',
            "errors": 'eb_http_requests_total{job="eb-pyrra", code=~"5.."}',
        },
    },
    {
        "name": "named-conversion",
        "kind": "kpi_compare",
        "description": "canary conversion vs stable, under the names the team uses",
        "params": KPI_PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "min_canary_events": 100,
        "variant_names": {"canary": "new checkout", "baseline": "old checkout"},
        "canary": {
            "success": kpi_counter("kpi_orders_total", "canary_hash"),
            "total": kpi_counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": kpi_counter("kpi_orders_total", "stable_hash"),
            "total": kpi_counter("kpi_visits_total", "stable_hash"),
        },
    },
    {
        "name": "shop-slow-tier",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "tiers": [{"long": "1h", "short": "5m", "factor": 30}, {"long": "2h", "short": "30m", "factor": 8}],
    },
)

# Six tiers, their factors level with the tops of the bars beside them (burn1 at the anchor burns about 21x over 1h,
# 25x over 5m and 30m, 10.7x over 2h): bars of like heights side by side, narrow, and rules among their labels.
JUDGED_CHECKS += (
    {
        "name": "shop-crowded-tiers",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "tiers": [
            {"long": "1h", "short": "5m", "factor": 21},
            {"long": "1h", "short": "30m", "factor": 25},
            {"long": "2h", "short": "30m", "factor": 10.7},
            {"long": "2h", "short": "5m", "factor": 20, "severity": "ticket"},
            {"long": "6h", "short": "30m", "factor": 6, "severity": "ticket"},
            {"long": "1d", "short": "2h", "factor": 3, "severity": "ticket"},
            {"long": "30m", "short": "5m", "factor": 25, "severity": "ticket"},
        ],
    },
)

# Twelve tiers of the longest severity names (32 characters), half of them page tiers that fire (factor 1 and 2 under
# burn1's burn) and half quiet (factor 1000).
TWELVE_TIERS = [
    {
        "long": long,
        "short": short,
        "factor": factor,
        "severity": ("page-critical-fast-burn-checkout" if factor < 100 else "ticket-slow-burn-checkout-servic"),
    }
    for long, short in (("1h", "5m"), ("2h", "30m"), ("6h", "30m"))
    for factor in (1, 2, 1000, 999)
]
JUDGED_CHECKS += (
    {
        "name": "shop-twelve-tiers",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "tiers": TWELVE_TIERS,
        "fail_on": ["page-critical-fast-burn-checkout"],
    },
)

# Nine pods, of which the last in label order fails: the plot draws eight series.
PODS = {pod: 0.001 for pod in "abcdefgh"} | {"i": 0.5}
JUDGED_CHECKS += (
    {
        "name": "pods-error-ratio",
        "kind": "prometheus",
        "description": "every pod's error ratio under 1%",
        "query": " or ".join(f'label_replace(vector({ratio}), "pod", "{pod}", "", "")' for pod, ratio in PODS.items()),
        "each": True,
        "pass_if": "< 0.01",
    },
    {
        # 0.99991 to 0.99995, every 5 minutes: an availability SLI just above its objective.
        "name": "availability",
        "kind": "prometheus",
        "description": "the success ratio above 99.99%",
        "query": "vector(0.99991 + (time() % 300) / 7500000)",
        "pass_if": "> 0.9999",
    },
    {
        "name": "week-error-ratio",
        "kind": "prometheus",
        "description": "the error ratio at its worst over a week",
        "query": "vector(0.001)",
        "range": "7d",
        "step": "1h",
        "over_time": "max",
        "pass_if": "< 0.01",
    },
)


# Two members that pass, then the one that fails and decides the verdict: last in the composite's order.
JUDGED_CHECKS += (
    {
        "name": "release-all",
        "kind": "composite",
        "description": "every gate of the release",
        "members": [{"check": "availability"}, {"check": "week-error-ratio"}, {"check": "pods-error-ratio"}],
        "mode": "all",
    },
)


SLOW_S = 0.3
MAX_LATENCY_MS = 100.0


class _Slow(BaseHTTPRequestHandler):
    """Answers every GET after SLOW_S."""

    def do_GET(self) -> None:
        time.sleep(SLOW_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Nothing: the test's output is not the place for each request."""


@pytest.fixture(scope="module")
def slow_target() -> Iterator[str]:
    """A server on 127.0.0.1 that answers after SLOW_S."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def judged_served(prometheus, slow_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth off and the checks whose pages drew other than what was judged."""
    slow_smoke = {
        "name": "slow-smoke",
        "kind": "http_smoke",
        "description": "checkout answers within its limit",
        "base_url": slow_target,
        "allowed_hosts": ["127.0.0.1"],
        "steps": [{"name": "checkout", "path": "/checkout", "expect": {"max_latency_ms": MAX_LATENCY_MS}}],
    }
    with serve(
        prometheus.url, tmp_path_factory.mktemp("ui-judged"), auth=False, extra_checks=(*JUDGED_CHECKS, slow_smoke)
    ) as server:
        yield server


class TestErrorBudgetAsJudged:
    """An error_budget page draws the budget and the burn that decided the verdict, in the verdict's colours."""

    def test_a_budget_failing_its_gate_is_drawn_failing(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/search-budget-gate/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        assert browser.find_element(By.ID, "reason").text.startswith("budget remaining 80% is not above")
        svg = browser.find_element(By.CSS_SELECTOR, "svg[aria-label^='budget remaining']")
        bar = svg.find_element(By.CSS_SELECTOR, "rect.bar[data-value]")
        assert float(bar.get_attribute("data-value")) == pytest.approx(SEARCH_REMAINING, rel=1e-3)
        # Before: green, as any budget above 0, beside a FAIL the gate decided.
        assert bar.get_attribute("class") == "bar fail"
        assert browser.execute_script("return getComputedStyle(arguments[0]).fill", bar) == "rgb(207, 34, 46)"
        gate = svg.find_element(By.CSS_SELECTOR, "line.rule.gate")
        x = scale(svg, "x")
        assert abs(float(gate.get_attribute("x1")) - x(SEARCH_GATE)) <= PIXEL_TOLERANCE
        assert float(bar.get_attribute("x")) + float(bar.get_attribute("width")) < float(gate.get_attribute("x1"))
        texts = [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text")]
        assert "budget remaining: 80%" in texts and "min_budget_remaining 90%" in texts
        screenshot(browser, shots, "error_budget-gate")

    def test_a_pyrra_burn_is_drawn_from_the_rule_it_was_judged_by(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/pyrra-api/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        svg = browser.find_element(By.CSS_SELECTOR, "svg[aria-label^='Burn rate over time of tier page 1h/5m ']")
        y = scale(svg, "y")
        # Before: drawn from pyrra.errors / pyrra.total, no series: an empty plot beside a FAIL at 16x.
        for window, burn in (("long", 16.0), ("short", 20.0)):
            line = svg.find_element(By.CSS_SELECTOR, f"polyline.series.{window}")
            last_y = float(line.get_attribute("points").split()[-1].split(",")[1])
            assert abs(last_y - y(burn)) < 1
        screenshot(browser, shots, "error_budget-pyrra")

    def test_a_warning_tier_that_fired_is_not_in_the_fail_colour(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/billing-burn/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "PASS"
        colour = "return getComputedStyle(arguments[0]).color"
        colours = {}
        for status in browser.find_elements(By.CSS_SELECTOR, "figure.multiple figcaption .status"):
            colours.setdefault(status.text, set()).add(browser.execute_script(colour, status))
        # Before: "FIRED: warning" in the fail red (207, 34, 46) beside a PASS.
        assert colours == {"not fired": {"rgb(26, 127, 55)"}, "FIRED: warning": {"rgb(154, 103, 0)"}}
        screenshot(browser, shots, "error_budget-warning")

    def test_the_burn_over_time_is_of_the_tier_that_fired(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/shop-slow-tier/run?canary_hash=burn1&at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        assert browser.find_element(By.ID, "reason").text.startswith("page tier 2h/30m fires")
        # Before: the tier of the highest factor (1h/5m, factor 30), which did not fire: both its lines below it.
        svg = browser.find_element(By.CSS_SELECTOR, "svg[aria-label^='Burn rate over time of tier']")
        assert svg.get_attribute("aria-label").startswith(
            "Burn rate over time of tier page 2h/30m (verdict FAIL): factor 8x;"
        )
        factor = svg.find_element(By.CSS_SELECTOR, "line.rule.factor[data-value]")
        assert float(factor.get_attribute("data-value")) == 8
        y = scale(svg, "y")
        for window in ("long", "short"):
            line = svg.find_element(By.CSS_SELECTOR, f"polyline.series.{window}")
            last_y = float(line.get_attribute("points").split()[-1].split(",")[1])
            # Smaller y is higher: the last point of each window's line stands above the factor, as the tier fired.
            assert last_y < y(8.0)
        screenshot(browser, shots, "error_budget-tier")


# The widths a page is read at, px: a desktop, the phone breakpoint and below, the narrowest phone.
READ_WIDTHS = (1280, 900, 600, 390, 320)


def overlapping_texts(browser, svg) -> list[tuple[str, str]]:
    """The pairs of the svg's texts whose boxes, as chromium lays them out, overlap; and any text outside the svg."""
    box, texts = browser.execute_script(
        "const box = arguments[0].getBoundingClientRect();"
        "return [[box.left, box.top, box.right, box.bottom], [...arguments[0].querySelectorAll('text')].map(t => {"
        "  const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })];",
        svg,
    )
    found = [(text, "outside the plot") for text, *r in texts if r[0] < box[0] or r[2] > box[2] or r[1] < box[1]]
    for index, (text, left, top, right, bottom) in enumerate(texts):
        for other, o_left, o_top, o_right, o_bottom in texts[index + 1 :]:
            # Half a pixel of overlap is antialiasing, not two texts over each other.
            if min(right, o_right) - max(left, o_left) > 0.5 and min(bottom, o_bottom) - max(top, o_top) > 0.5:
                found.append((text, other))
    return found


def burn_rate_pictures(browser) -> list:
    """The burn-rate plot's pictures, a tier each."""
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, "figure.multiple svg[aria-label^='Burn rate per window']")


class TestBurnRateLabels:
    """No label of the burn-rate bars is written over another, at any width a page is read at: bars of like heights
    side by side, a tier's factor level with its bars' tops, six tiers in one plot."""

    @pytest.mark.parametrize("check", ["shop-budget", "shop-crowded-tiers", "shop-slow-tier"])
    def test_no_two_labels_overlap(self, browser, judged_served, prometheus, check):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/{check}/run?canary_hash=burn1&at={prometheus.anchor}")
        pictures = burn_rate_pictures(browser)
        labels = [t.text for svg in pictures for t in svg.find_elements(By.CSS_SELECTOR, "text.bar-label")]
        assert len(labels) >= 4 and all(": " in label for label in labels)
        try:
            for width in READ_WIDTHS:
                browser.set_window_size(width, 1000)
                # Before: "1h: 21.2502" and "5m: 25.0003" side by side, each wider than its bar, and a factor's label
                # beside them, written over each other.
                assert [overlapping_texts(browser, svg) for svg in pictures] == [[]] * len(pictures), width
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


# The smallest text the stylesheet sets, px: a rule's label and an axis title in a plot drawn at its size.
PAGE_MIN_TEXT_PX = 11.0
# The widths of the many-tiers test: a desktop, an iPhone SE, the narrowest phone.
MANY_TIERS_WIDTHS = (1280, 375, 320)


def text_sizes(browser, element) -> list[tuple[str, float, float]]:
    """Each text in `element` (a plot's labels, a caption's words) with the px its font is drawn at (scaled with its
    picture) and its box's height across its line (a turned label's width) as chromium lays it out."""
    return browser.execute_script(
        "const scaled = t => { const svg = t.ownerSVGElement;"
        "  return svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1; };"
        "return [...arguments[0].querySelectorAll('text, figcaption span')].map(t => {"
        "  const r = t.getBoundingClientRect();"
        "  const across = (t.getAttribute('transform') || '').startsWith('rotate') ? r.width : r.height;"
        "  return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scaled(t), across];"
        "});",
        element,
    )


class TestManyTiersOnAPhone:
    """A burn-rate plot of twelve tiers is read at the page's text size on a phone and a desktop: a picture per tier,
    drawn at its size, no label over another, no sideways scroll."""

    def test_twelve_tiers_at_320_375_and_1280_px(self, browser, judged_served, prometheus, shots):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/shop-twelve-tiers/run?canary_hash=burn1&at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        figure = browser.find_element(By.CSS_SELECTOR, "figure.plot-figure")
        try:
            for width in MANY_TIERS_WIDTHS:
                browser.set_window_size(width, 1000)
                sizes = text_sizes(browser, figure)
                assert len(sizes) >= 12 * 5
                # Before: one picture 1900 px wide scaled into 300 px, its text 1.5 px high.
                small = [(text, round(px, 1), round(side, 1)) for text, px, side in sizes if px < PAGE_MIN_TEXT_PX]
                assert small == [], width
                assert [text for text, _, side in sizes if side < PAGE_MIN_TEXT_PX] == [], width
                pictures = burn_rate_pictures(browser)
                assert len(pictures) == 12
                assert [overlapping_texts(browser, svg) for svg in pictures] == [[]] * 12, width
                assert browser.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
                inside = "const r = arguments[0].getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth"
                assert all(browser.execute_script(inside, svg) for svg in pictures), width
                names = [n.text for n in figure.find_elements(By.CSS_SELECTOR, "figcaption .multiple-name")]
                assert names == [f"{t['severity']} {t['long']}/{t['short']}" for t in TWELVE_TIERS]
                browser.save_screenshot(str(shots / f"error_budget-twelve-tiers-{width}.png"))
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


class TestEveryPlotOnAPhone:
    """Every plot of a verdict page is read at the page's text size on a phone: drawn at its own size, its figure
    scrolling sideways, not the page."""

    @pytest.mark.parametrize("width", [320, 375])
    def test_every_text_of_every_plot_at_11_px_or_more(self, browser, judged_served, prometheus, width):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/shop-budget/run?canary_hash=burn1&at={prometheus.anchor}")
        try:
            browser.set_window_size(width, 1000)
            figures = browser.find_elements(By.CSS_SELECTOR, "figure.plot-figure")
            # The burn rate per window, the budget remaining and the burn over time.
            assert len(figures) >= 3
            sizes = [size for figure in figures for size in text_sizes(browser, figure)]
            # Before: a line plot of 720 px scaled into the phone's 288 px, its text 4.4 px high.
            assert [(text, round(px, 1)) for text, px, _ in sizes if px < PAGE_MIN_TEXT_PX] == [], width
            assert browser.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


def rows_of_zero_lines(browser) -> list[list[float]]:
    """Where, px down the page, each burn-rate picture draws the value 0 (its `data-plot-bottom`, through its view as
    chromium scales it), the pictures side by side on one row grouped together."""
    return browser.execute_script(
        "const rows = [];"
        "for (const svg of document.querySelectorAll(\"figure.multiple svg[aria-label^='Burn rate per window']\")) {"
        "  const r = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;"
        "  const zero = r.top + scrollY + (parseFloat(svg.dataset.plotBottom) - view.y) * r.height / view.height;"
        "  const row = rows.find(row => row.top < r.bottom && r.top < row.bottom);"
        "  if (row) {"
        "    row.zeros.push(zero); row.top = Math.min(row.top, r.top); row.bottom = Math.max(row.bottom, r.bottom);"
        "  }"
        "  else rows.push({top: r.top, bottom: r.bottom, zeros: [zero]});"
        "}"
        "return rows.map(row => row.zeros);"
    )


class TestSmallMultiplesSideBySide:
    """The burn-rate pictures side by side on a row draw a value at one height: their zero and factor lines line up,
    whatever labels rise over a tall bar in one of them or however many lines a tier's name takes."""

    @pytest.mark.parametrize("check", ["shop-crowded-tiers", "shop-twelve-tiers"])
    def test_the_pictures_of_a_row_draw_zero_at_one_height(self, browser, judged_served, prometheus, check):
        browser.get(f"{judged_served.url}/ui/checks/{check}/run?canary_hash=burn1&at={prometheus.anchor}")
        try:
            for width in READ_WIDTHS:
                browser.set_window_size(width, 1000)
                rows = rows_of_zero_lines(browser)
                assert sum(len(row) for row in rows) == len(burn_rate_pictures(browser))
                # Before: zero drawn up to 50 px lower in a picture whose labels rose over its tall bars than beside it.
                assert [max(row) - min(row) for row in rows] == pytest.approx([0.0] * len(rows), abs=1.0), width
                # Compared side by side at all: a desktop puts several on a row.
                assert width < 900 or max(len(row) for row in rows) >= 3, width
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


def bar_plot_layout(browser, svg) -> dict[str, list]:
    """The burn-rate plot's texts, bars and rules as chromium lays them out, in the picture's own units."""
    return browser.execute_script(
        "const svg = arguments[0], box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;"
        "const unit = view.width / box.width;"
        "const at = e => { const r = e.getBoundingClientRect();"
        "  return [(r.left - box.left) * unit, (r.top - box.top) * unit + view.y,"
        "          (r.right - box.left) * unit, (r.bottom - box.top) * unit + view.y]; };"
        "return {"
        "  texts: [...svg.querySelectorAll('text.bar-label, text.rule-label, text.tick, text.status')]"
        "    .map(t => [t.getAttribute('class'), t.textContent, ...at(t)]),"
        "  bars: [...svg.querySelectorAll('rect.bar')].map(r => [r.getAttribute('data-value'), ...at(r)]),"
        # A rule broken around the labels it would cross is one rule: from its first piece's start to its last's end.
        "  rules: [...svg.querySelectorAll('line.rule')].map(l => at(l)).reduce((rules, piece) => rules.length"
        "    ? [[Math.min(rules[0][0], piece[0]), Math.min(rules[0][1], piece[1]),"
        "        Math.max(rules[0][2], piece[2]), Math.max(rules[0][3], piece[3])]] : [piece], []),"
        "};",
        svg,
    )


class TestBurnRateLabelsBesideWhatTheyName:
    """Each label of the burn-rate bars is written next to what it names and over no bar, as chromium draws it."""

    @pytest.mark.parametrize("check", ["shop-budget", "shop-crowded-tiers", "shop-slow-tier"])
    def test_labels_beside_their_lines_and_over_no_bar(self, browser, judged_served, prometheus, check):
        browser.get(f"{judged_served.url}/ui/checks/{check}/run?canary_hash=burn1&at={prometheus.anchor}")
        try:
            for width, svg in ((width, svg) for width in READ_WIDTHS for svg in burn_rate_pictures(browser)):
                browser.set_window_size(width, 1000)
                layout = bar_plot_layout(browser, svg)
                # Half a unit of overlap is antialiasing.
                over = [
                    (text, value)
                    for _, text, *t in layout["texts"]
                    for value, *b in layout["bars"]
                    if min(t[2], b[2]) - max(t[0], b[0]) > 0.5 and min(t[3], b[3]) - max(t[1], b[1]) > 0.5
                ]
                # Before: every fired tier's "factor ...x" over its short window's bar, which burns above the factor.
                assert over == [], width
                rule_labels = [t for css, _, *t in layout["texts"] if css == "rule-label"]
                assert len(rule_labels) == len(layout["rules"]) == 1
                for (left, top, _, bottom), (_, line_top, line_right, line_bottom) in zip(
                    rule_labels, layout["rules"], strict=True
                ):
                    # Level with its line (before: rows above it, moved off the bars' labels), right after its end.
                    assert abs((top + bottom) / 2 - (line_top + line_bottom) / 2) <= 3, width
                    assert -1 <= left - line_right <= 6, width
                bar_labels = [t for css, _, *t in layout["texts"] if css == "bar-label"]
                assert len(bar_labels) == len(layout["bars"])
                for (left, _, right, bottom), (_, bar_left, bar_top, bar_right, _) in zip(
                    bar_labels, layout["bars"], strict=True
                ):
                    # Just above its own bar, over its middle.
                    assert -1 <= bar_top - bottom <= 8, width
                    assert abs((left + right) / 2 - (bar_left + bar_right) / 2) <= 2, width
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


def rules_across_texts(browser, svg) -> list[str]:
    """The texts of the svg that a piece of a rule's line passes through, as chromium lays them out."""
    return browser.execute_script(
        "const svg = arguments[0];"
        "const rect = e => e.getBoundingClientRect();"
        "const lines = [...svg.querySelectorAll('line.rule')].map(rect);"
        "return [...svg.querySelectorAll('text')].filter(t => { const r = rect(t);"
        "  return lines.some(l => Math.min(r.right, l.right) - Math.max(r.left, l.left) > 0.5"
        "    && r.top < (l.top + l.bottom) / 2 && (l.top + l.bottom) / 2 < r.bottom); }).map(t => t.textContent);",
        svg,
    )


class TestBurnRatePicturesOnTheNarrowestPhone:
    """Each burn-rate picture fits a 320 px phone whole, and no factor's line is drawn through a label: a canary
    without traffic ("no data" in every window), a 28-day SLO's factors, tiers level with their bars."""

    @pytest.mark.parametrize(
        "path",
        [
            "shop-budget/run?canary_hash=no-traffic",
            "shop-budget/run?canary_hash=burn1",
            "shop-crowded-tiers/run?canary_hash=burn1",
            "pyrra-api/run?",
            "billing-burn/run?",
        ],
    )
    def test_inside_the_page_and_no_line_through_a_label(self, browser, judged_served, prometheus, shots, path):
        browser.get(f"{judged_served.url}/ui/checks/{path}&at={prometheus.anchor}")
        # As a phone draws the page: its scrollbar over the page, taking none of its width (a desktop's took 15 px).
        browser.execute_script("document.documentElement.style.scrollbarWidth = 'none'")
        pictures = burn_rate_pictures(browser)
        assert pictures
        try:
            for width in (320, 375, 1280):
                browser.set_window_size(width, 1000)
                assert browser.execute_script("return document.documentElement.clientWidth") == width
                # Before: the factor's dashed line through "30m: no data" (upright, rising from zero) and through a
                # value's label level with it.
                assert [rules_across_texts(browser, svg) for svg in pictures] == [[]] * len(pictures), width
                # Inside the page, and drawn at its own size (its 1 px border around it): not scaled down, which
                # wrote a picture 21 px too wide with its factor's label at 10.4 px.
                inside = (
                    "const svg = arguments[0], r = svg.getBoundingClientRect();"
                    "return r.left >= 0 && r.right <= document.documentElement.clientWidth"
                    "  && Math.abs(r.width - 2 - svg.viewBox.baseVal.width) < 0.5"
                )
                assert [browser.execute_script(inside, svg) for svg in pictures] == [True] * len(pictures), width
                assert browser.execute_script(
                    "return document.scrollingElement.scrollWidth <= document.documentElement.clientWidth"
                ), width
                name = path.split("/")[0] + "-" + path.rsplit("=", 1)[-1].strip("?")
                browser.save_screenshot(str(shots / f"burn-{name}-{width}.png"))
        finally:
            browser.set_window_size(DESKTOP_WIDTH, 1000)


class TestLinesThatEndOffTheScale:
    """A line whose last steps are +Inf or NaN is drawn up to its last finite value, and read aloud as ending at
    infinity or in a gap, not by that value; a gap (NaN) before its end is said too."""

    def test_the_aria_label_says_where_each_line_ends(self, browser, prometheus, tmp_path):
        from selenium.webdriver.common.by import By

        def gauge(name: str, query: str) -> dict[str, object]:
            return {"name": name, "kind": "prometheus", "description": name, "query": query, "pass_if": "< 2"}

        ten_minutes_ago, half_an_hour_ago = prometheus.anchor - 600, prometheus.anchor - 1800
        checks = (
            # 1 until ten minutes before the evaluation, then 1/0: +Inf.
            gauge("to-inf", f"vector(1) / (vector(time()) < bool {ten_minutes_ago})"),
            gauge("to-minus-inf", f"vector(-1) / (vector(time()) < bool {ten_minutes_ago})"),
            # 0 until ten minutes before, then 0/0: NaN.
            gauge("to-nan", f"vector(0) / (vector(time()) < bool {ten_minutes_ago})"),
            # 0/0 from half an hour to ten minutes before, 0 around it: one gap.
            gauge(
                "with-gap",
                f"vector(0) / ((vector(time()) < bool {half_an_hour_ago}) + (vector(time()) > bool {ten_minutes_ago}))",
            ),
        )
        with serve(prometheus.url, tmp_path, auth=False, extra_checks=checks) as server:
            heard = {}
            for check in checks:
                browser.get(f"{server.url}/ui/checks/{check['name']}/run?at={prometheus.anchor}")
                svg = browser.find_element(By.CSS_SELECTOR, 'svg[aria-label^="The query\'s value over time"]')
                heard[check["name"]] = svg.get_attribute("aria-label").rsplit("; ", 1)[-1]
        # Before: "value last 1", "value last -1" and "value last 0", the last finite value read as the line's end.
        assert heard == {
            "to-inf": "value ends at +Inf (its last finite value 1)",
            "to-minus-inf": "value ends at -Inf (its last finite value -1)",
            "to-nan": "value ends in a gap, NaN (its last finite value 0)",
            "with-gap": "value last 0, 1 gap (NaN) before",
        }


class TestPrometheusAsJudged:
    """A prometheus page draws the series the verdict judged, whatever their order in Prometheus' answer."""

    def test_the_failing_series_is_drawn_among_many(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/pods-error-ratio/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        assert 'worst {pod="i"} 0.5 does not meet' in browser.find_element(By.ID, "reason").text
        svg = browser.find_element(By.CSS_SELECTOR, "svg.plot")
        drawn = [line.get_attribute("data-label") for line in svg.find_elements(By.CSS_SELECTOR, "polyline.series")]
        # Before: pods a to h, every one passing, and "1 more series are not drawn": the failing one.
        assert len(drawn) == 8 and drawn[0] == '{pod="i"}'
        y = scale(svg, "y")
        failing = svg.find_element(By.CSS_SELECTOR, "polyline.series.s0")
        assert {round(float(p.split(",")[1]), 2) for p in failing.get_attribute("points").split()} == {round(y(0.5), 2)}
        mark = svg.find_element(By.CSS_SELECTOR, "circle.mark.evaluated")
        assert abs(float(mark.get_attribute("cy")) - y(0.5)) <= PIXEL_TOLERANCE
        assert "1 more series are not drawn" in browser.find_element(By.CSS_SELECTOR, "figcaption").text
        screenshot(browser, shots, "prometheus-many-series")

    def test_a_week_s_time_axis_names_the_days(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/week-error-ratio/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "PASS"
        svg = browser.find_element(By.CSS_SELECTOR, "svg.plot")
        bottom = float(svg.get_attribute("data-plot-bottom"))
        # The tick labels under the time axis (the value axis' labels sit left of it, above its bottom).
        shown = [
            t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.tick") if float(t.get_attribute("y")) > bottom
        ]
        # Before: ticks two days apart, every one "00:00".
        assert len(shown) >= 3 and len(set(shown)) == len(shown)
        screenshot(browser, shots, "prometheus-week")

    def test_value_ticks_close_together_are_told_apart(self, browser, judged_served, shots, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/availability/run?at={prometheus.anchor}")
        assert verdict_of(browser) == "PASS"
        svg = browser.find_element(By.CSS_SELECTOR, "svg.plot")
        y = scale(svg, "y")
        bottom = float(svg.get_attribute("data-plot-bottom"))
        shown = {
            float(t.get_attribute("y")): t.text
            for t in svg.find_elements(By.CSS_SELECTOR, "text.tick")
            if float(t.get_attribute("y")) <= bottom + 4
        }
        # Before: every tick of the value axis read "0.9999".
        assert len(shown) >= 3 and len(set(shown.values())) == len(shown)
        for at, text in shown.items():
            # Each label names the value its gridline sits at (the label is drawn 4 px below its line).
            assert abs(y(float(text)) - (at - 4)) < 0.5 * abs(y(0.99995) - y(0.99994))
        screenshot(browser, shots, "prometheus-availability")


class TestHttpSmokeAsJudged:
    """An http_smoke page draws each step's latency against the limits it was judged by."""

    def test_a_step_failed_on_its_latency_shows_its_limit(self, browser, judged_served, shots):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/slow-smoke/run")
        assert verdict_of(browser) == "FAIL"
        assert "max_latency_ms" in browser.find_element(By.ID, "reason").text
        svg = browser.find_element(By.CSS_SELECTOR, "svg[aria-label^='Latency per step']")
        x = scale(svg, "x")
        # Before: the step's latency alone, no line for the limit it failed.
        limit = svg.find_element(By.CSS_SELECTOR, "line.rule.limit.max_latency")
        assert float(limit.get_attribute("data-value")) == MAX_LATENCY_MS
        assert abs(float(limit.get_attribute("x1")) - x(MAX_LATENCY_MS)) <= PIXEL_TOLERANCE
        point = svg.find_element(By.CSS_SELECTOR, "circle.mark.latency")
        assert float(point.get_attribute("data-value")) >= SLOW_S * 1000
        assert float(point.get_attribute("cx")) > float(limit.get_attribute("x1"))
        screenshot(browser, shots, "http_smoke-max-latency")


class TestKpiCompareAsJudged:
    """A kpi_compare page names the variants as its reason does."""

    def test_the_lines_carry_the_variant_names(self, browser, judged_served, prometheus):
        from selenium.webdriver.common.by import By

        browser.get(f"{judged_served.url}/ui/checks/named-conversion/run?canary_hash=kpiworse&at={prometheus.anchor}")
        assert verdict_of(browser) == "FAIL"
        assert "new checkout" in browser.find_element(By.ID, "reason").text
        lines = browser.find_element(By.CSS_SELECTOR, "svg[aria-label^='Canary and baseline']")
        # Before: "canary" and "baseline", names the reason does not use.
        assert {p.get_attribute("data-label") for p in lines.find_elements(By.CSS_SELECTOR, "polyline")} == {
            "new checkout",
            "old checkout",
        }
        legend = [t.text for t in lines.find_elements(By.CSS_SELECTOR, "text.legend")]
        assert legend == ["new checkout", "old checkout"]


# Args an attacker controls in an AnalysisTemplate's url: markup closing an attribute and a tag, and a quote of each
# kind; with a secret beside them, as Argo Rollouts would send them to the API.
HOSTILE_ARGS = {
    "canary_hash": '"\'><script>window.__xss=1</script><img src=x onerror="window.__xss=2">',
    "tenant": "s3cr3t-tenant-9f8e7d",
}
HOSTILE_CHECKS = (
    {
        "name": "tenant-error-rate",
        "kind": "prometheus",
        "description": "a tenant's canary 5xx ratio, the tenant a secret",
        "params": {
            "canary_hash": {"type": "label_value", "required": True},
            "tenant": {"type": "label_value", "required": True, "secret": True},
        },
        "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}",tenant!="{{ tenant }}",'
        'code=~"5.."}[5m])) or vector(0)',
        "pass_if": "< 0.01",
    },
    {
        # A name of quotes' neighbours: the characters a check name may hold that a careless attribute breaks on.
        "name": "q.uo-te_s",
        "kind": "composite",
        "description": "<b>bold</b> \"quoted\" 'single'",
        "params": {"canary_hash": {"type": "label_value", "required": True}},
        "members": [{"check": "error-rate", "args": {"canary_hash": "{{ canary_hash }}"}}],
        "mode": "all",
    },
)


@pytest.fixture(scope="module")
def hostile_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth off, the UI catalog and checks called with hostile args and a secret."""
    with serve(
        prometheus.url, tmp_path_factory.mktemp("ui-hostile"), auth=False, extra_checks=HOSTILE_CHECKS
    ) as server:
        yield server


class TestHostileArgsThroughTheApi:
    """Args sent to the run endpoint (by Argo Rollouts, by anyone holding a token) are text on every page that shows
    the answer, and a secret arg is on none of them, in its text or its markup."""

    def test_the_list_the_answer_s_pages_and_the_check_s_page(self, browser, hostile_served, prometheus):
        import requests
        from selenium.webdriver.common.by import By

        answers = [
            requests.get(
                f"{hostile_served.url}/api/v1/checks/tenant-error-rate/run",
                params={**HOSTILE_ARGS, "at": prometheus.anchor},
                timeout=60,
            ),
            requests.post(
                f"{hostile_served.url}/api/v1/checks/q.uo-te_s/run?at={prometheus.anchor}",
                json={"canary_hash": HOSTILE_ARGS["canary_hash"]},
                timeout=60,
            ),
        ]
        assert [answer.status_code for answer in answers] == [200, 200]
        bodies = [answer.json() for answer in answers]
        assert bodies[0]["args"]["tenant"] == "<redacted>"
        browser.get(f"{hostile_served.url}/ui/")
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "table.verdicts a[href]")]
        pages = [
            "/ui/",
            "/ui/?check=tenant-error-rate",
            "/ui/?check=q.uo-te_s&verdict=" + bodies[1]["verdict"],
            "/ui/checks/tenant-error-rate",
            "/ui/checks/q.uo-te_s",
            *(body["ui_url"] for body in bodies),
            *(link.removeprefix(hostile_served.url) for link in links if "/ui/verdicts/" in link),
        ]
        assert sum("/ui/verdicts/" in page for page in pages) >= 2
        for page in pages:
            raw = requests.get(hostile_served.url + page, timeout=60)
            assert raw.status_code == 200, page
            # Before any escaping mistake: the markup of the arg as markup, or the secret written anywhere.
            assert HOSTILE_ARGS["tenant"] not in raw.text, page
            assert "<script" not in raw.text and 'onerror="window' not in raw.text, page
            browser.get(hostile_served.url + page)
            no_script_ran(browser)
            text = browser.find_element(By.TAG_NAME, "body").text
            assert HOSTILE_ARGS["tenant"] not in browser.page_source, page
            if "/ui/checks/" not in page or "run" in page:
                # The arg is shown as the text it is, quotes and all.
                assert "<script>window.__xss=1</script>" in text, page
        # The check's name and description, quotes and markup, as text.
        browser.get(f"{hostile_served.url}/ui/checks/q.uo-te_s")
        assert "<b>bold</b> \"quoted\" 'single'" in browser.find_element(By.TAG_NAME, "body").text
        assert browser.find_elements(By.TAG_NAME, "b") == []


def luminance(rgb: tuple[float, ...]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fore: tuple[float, ...], back: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two colours."""
    high, low = sorted((luminance(fore), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Every text's colour (an svg text's fill) and the background it is drawn on: the bar it is written over, else the first
# ancestor's opaque one.
TEXT_COLOURS = """
const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
const opaque = c => c.length === 3 || (c.length === 4 && c[3] === 1);
const found = [];
for (const e of document.querySelectorAll('body *')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !e.getClientRects().length) continue;
  const style = getComputedStyle(e);
  if (style.visibility === 'hidden') continue;
  const fore = rgb(e instanceof SVGElement ? style.fill : style.color);
  let back = [255, 255, 255];
  // A number written over its bar (a composite member's share) is read against the bar's fill.
  const box = e.getBoundingClientRect(), x = (box.left + box.right) / 2, y = (box.top + box.bottom) / 2;
  const under = e instanceof SVGElement ? [...e.ownerSVGElement.querySelectorAll('rect')].filter(r => {
    const b = r.getBoundingClientRect(); return b.left <= x && x <= b.right && b.top <= y && y <= b.bottom; }) : [];
  if (under.length) back = rgb(getComputedStyle(under[under.length - 1]).fill);
  else for (let a = e; a; a = a.parentElement) {
    const c = rgb(getComputedStyle(a).backgroundColor);
    if (opaque(c)) { back = c; break; }
  }
  found.push([e.textContent.trim().slice(0, 40), fore, back]);
}
return found;
"""


class TestKeyboardAndScreenReaders:
    """The pages are used without a mouse and read aloud: every control is reached by Tab and shows its focus with the
    page's own outline, tables name their headers' scope, and every text is at 4.5:1 contrast or more."""

    PAGES = (
        "/ui/",
        "/ui/checks/error-rate",
        "/ui/checks/release/run?canary_hash=bad0001&at={anchor}",
        "/ui/checks/shop-budget/run?canary_hash=burn1&at={anchor}",
        "/ui/checks/smoke/run?",
    )

    @pytest.mark.parametrize("path", PAGES)
    def test_tab_reaches_every_control_and_draws_its_focus(self, browser, judged_served, prometheus, path):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        browser.get(judged_served.url + path.format(anchor=prometheus.anchor))
        controls = browser.execute_script(
            "return [...document.querySelectorAll('a[href], input:not([type=hidden]), select, button, summary')]"
            ".filter(e => e.getClientRects().length)"
        )
        assert controls
        body = browser.find_element(By.TAG_NAME, "body")
        # From the top of the page, as a page just opened is tabbed through.
        browser.execute_script("document.activeElement.blur(); getSelection().removeAllRanges(); scrollTo(0, 0)")
        reached = []
        for _ in range(len(controls) + 5):
            ActionChains(browser).send_keys(Keys.TAB).perform()
            focused = browser.switch_to.active_element
            if focused in reached or focused == body:
                break
            reached.append(focused)
            outline = browser.execute_script(
                "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth, s.outlineColor]",
                focused,
            )
            # Before: chromium's own ring only (auto, 1 px), which the page's stylesheet did not draw.
            assert outline == ["solid", "3px", "rgb(5, 80, 174)"], focused.get_attribute("outerHTML")[:120]
        assert {e.id for e in reached} >= {e.id for e in controls}

    @pytest.mark.parametrize("path", PAGES)
    def test_tables_headers_have_their_scope_and_text_its_contrast(self, browser, judged_served, prometheus, path):
        from selenium.webdriver.common.by import By

        browser.get(judged_served.url + path.format(anchor=prometheus.anchor))
        headers = browser.find_elements(By.TAG_NAME, "th")
        # Before: the facts' row headers and the members', steps' and windows' column headers had no scope.
        assert [th.text for th in headers if th.get_attribute("scope") not in ("col", "row")] == []
        low = [
            (text, fore, back, round(contrast(fore, back), 2))
            for text, fore, back in browser.execute_script(TEXT_COLOURS)
            if contrast(fore, back) < 4.5
        ]
        assert low == []
        # The verdict is a word, never a colour alone.
        for verdict in browser.find_elements(By.CSS_SELECTOR, ".verdict"):
            assert verdict.text.strip().lower() in {"pass", "fail", "inconclusive", "error", "rejected"}
