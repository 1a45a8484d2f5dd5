"""What an SRE whose rollout stopped reads first: one time per answer, one row per evaluation, and a misconfigured
check's page that shows what was configured, in a real headless browser and over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
import requests
import trustme

from analyzer.auth import Principal
from analyzer.history import VerdictHistory
from analyzer.kinds import Check, CheckMisconfigured, EvalContext, Verdict
from analyzer.models import Evaluation, Outcome
from analyzer.ui.pages import _recorded_apart, _row_fields
from tests.integration.chromium import headless_chromium
from tests.ui.support import CANARY, Served, serve

pytestmark = pytest.mark.integration

# A misspelt metric (http_request_total) beside a fallback, and in an error_budget's errors: both answer
# check_misconfigured, the error_budget one recording no queries of its own.
MISCONFIGURED_CHECKS = (
    {
        "name": "typo-ratio",
        "kind": "prometheus",
        "params": CANARY,
        "query": '(sum(rate(http_request_total{rollouts_pod_template_hash="{{ canary_hash }}",code=~"5.."}[5m]))'
        ' or vector(0)) / sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))',
        "pass_if": "< 0.01",
    },
    {
        "name": "typo-budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {
            "errors": 'sum(rate(http_request_total{rollouts_pod_template_hash="{{ canary_hash }}", code=~"5.."}'
            "[{{ window }}]))",
            "total": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}"}[{{ window }}]))',
        },
    },
    {
        # A secret param with a default, which the args an answer keeps hold only as <redacted>: the queries as
        # configured must not be rendered with the default in their place.
        "name": "typo-budget-secret",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": {
            **CANARY,
            "tenant_token": {"type": "label_value", "default": "tenant0secret0default", "secret": True},
        },
        "ratio": {
            "errors": 'sum(rate(http_request_total{rollouts_pod_template_hash="{{ canary_hash }}", '
            'tenant="{{ tenant_token }}", code=~"5.."}[{{ window }}]))',
            "total": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}", '
            'tenant="{{ tenant_token }}"}[{{ window }}]))',
        },
    },
    {
        # Port 9 (discard) on loopback refuses: the first step fails, the second is not run.
        "name": "refused-smoke",
        "kind": "http_smoke",
        "base_url": "http://127.0.0.1:9",
        "allowed_hosts": ["127.0.0.1"],
        "steps": [{"name": "health", "path": "/health"}, {"name": "read order", "path": "/orders/1"}],
    },
)


class RequestFaultCheck(Check):
    """A kind whose request, built from the call's arg, cannot be sent: what httpx's InvalidURL becomes."""

    kind: Literal["request_fault"] = "request_fault"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        raise CheckMisconfigured(
            "step 'read' (1/1): cannot send the request: InvalidURL: Invalid port", at_fault="request"
        )


# A reason as long as a scorecard's of many members: at 390 px its words fill a column about 80 px wide.
LONG_REASON = " ".join(f"member-{n} fail (value {n}.5 does not meet pass_if < 0.01);" for n in range(40))


class LongReasonCheck(Check):
    """A kind that fails with LONG_REASON."""

    kind: Literal["long_reason"] = "long_reason"

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        return Verdict(outcome=Outcome.FAIL, reason=LONG_REASON, value=1.0, threshold=0.0)


@pytest.fixture(scope="module")
def fault_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Two check_misconfigured answers whose catalog is right: an http_smoke whose ca_file is gone once loaded (as a
    Secret unmounted or rotated away), and a request built from an arg that cannot be sent; and a check failing with
    LONG_REASON."""
    tmp = tmp_path_factory.mktemp("ui-fault")
    trustme.CA().cert_pem.write_to_path(str(tmp / "ca.pem"))
    gone_ca = {
        "name": "gone-ca-smoke",
        "kind": "http_smoke",
        "base_url": "https://127.0.0.1:9",
        "allowed_hosts": ["127.0.0.1"],
        "ca_file": str(tmp / "ca.pem"),
        "steps": [{"name": "health", "path": "/health"}],
    }
    arg_url = {
        "name": "arg-url",
        "kind": "request_fault",
        "params": {"target": {"type": "label_value", "required": True}},
    }
    fixed_url = {"name": "arg-url-fixed", "kind": "request_fault"}
    faults = (gone_ca, arg_url, fixed_url, {"name": "long-reason", "kind": "long_reason"})
    kinds = (RequestFaultCheck, LongReasonCheck)
    with serve(prometheus.url, tmp, auth=False, extra_checks=faults, extra_kinds=kinds) as served:
        (tmp / "ca.pem").unlink()
        yield served


@pytest.fixture(scope="module")
def first_served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The UI catalog and the misconfigured checks, auth off, as the demo serves them."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-first"), auth=False, extra_checks=MISCONFIGURED_CHECKS) as s:
        yield s


def get(served: Served, path: str) -> requests.Response:
    return requests.get(served.url + path, allow_redirects=False, timeout=60)


def run(served: Served, check: str, args: str) -> dict[str, Any]:
    return get(served, f"/api/v1/checks/{check}/run?{args}").json()


class TestOneTime:
    """A verdict page shows one time for an answer recorded as it was evaluated, and says why when there are two."""

    def test_an_answer_of_the_present_shows_its_evaluation_time_alone(self, first_served):
        body = run(first_served, "error-rate", "canary_hash=broken1")
        page = get(first_served, body["ui_url"]).text
        assert "The answer as this replica recorded it." in page
        assert "recorded it at" not in page
        assert f'id="evaluated-at">{body["evaluated_at"]}<' in page

    def test_an_answer_asked_of_the_past_says_when_it_was_recorded(self, first_served, prometheus):
        body = run(first_served, "error-rate", f"canary_hash=broken1&at={prometheus.anchor - 600}")
        page = get(first_served, body["ui_url"]).text
        said = re.search(r"recorded it at (\S+), for a request that asked for it as of an earlier time", page)
        assert said is not None
        assert said.group(1) > body["evaluated_at"]

    def test_a_refused_request_shows_when_it_was_recorded_alone(self, first_served):
        # A refusal has no evaluation time: its one time is the recording's, with no "earlier time" to explain.
        assert get(first_served, "/api/v1/checks/error-rate/run?canary_hsh=broken1").status_code == 400
        (entry,) = get(first_served, "/api/v1/verdicts?verdict=rejected&limit=1").json()["entries"]
        page = get(first_served, f"/ui/verdicts/{entry['seq']}").text
        assert f"The answer as this replica recorded it at {entry['recorded_at']}." in page

    @pytest.mark.parametrize(
        ("recorded_after_s", "apart"),
        [(0.0, False), (1.9, False), (2.2, True), (-2.2, True), (600.0, True)],
    )
    def test_two_times_only_beyond_the_duration_and_the_reuse_window(self, recorded_after_s, apart):
        evaluated_at = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
        entry = {
            "evaluated_at": evaluated_at,
            "recorded_at": datetime.fromtimestamp(evaluated_at.timestamp() + recorded_after_s, UTC),
            "duration_ms": 100.0,
        }
        # 0.1 s of evaluation, a reuse window of 1 s and a second of slack: 2.1 s.
        assert (_recorded_apart(entry, reuse_window_s=1.0) != "") is apart

    @pytest.mark.parametrize(("recorded_after_s", "apart"), [(30.0, False), (31.9, False), (32.2, True)])
    def test_a_long_evaluation_of_the_present_shows_one_time(self, recorded_after_s, apart):
        # A 30 s http_smoke is recorded as it ends, 30 s after the time it was evaluated as of: still one moment.
        evaluated_at = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
        entry = {
            "evaluated_at": evaluated_at,
            "recorded_at": datetime.fromtimestamp(evaluated_at.timestamp() + recorded_after_s, UTC),
            "duration_ms": 30_000.0,
        }
        assert (_recorded_apart(entry, reuse_window_s=1.0) != "") is apart


def _evaluation(value: float, verdict: Outcome = Outcome.FAIL) -> Evaluation:
    return Evaluation(
        check="error-rate",
        kind="prometheus",
        verdict=verdict,
        reason=f"value {value} {'meets' if verdict is Outcome.PASS else 'does not meet'} pass_if < 0.01",
        value=value,
        args={"canary_hash": "broken1"},
        evaluated_at=datetime(2026, 12, 4, 14, 0, tzinfo=UTC),
        duration_ms=2.0,
    )


class TestOneRowPerEvaluation:
    """The history list shows an evaluation that answered several requests once, counting them, redacting only
    the rows it shows (rows and their counts: tests/unit/test_history.py)."""

    def test_an_entry_shown_redacted_is_not_merged_with_one_shown_whole(self):
        shared = _evaluation(0.08)
        history = VerdictHistory(10)
        for client in ("ci", "canary-bot", "ci"):
            history.record_evaluation(shared, client, "r", "v1", client, "curl")
        # A caller restricted by the allow-list sees another caller's request redacted, its own whole.
        restricted = Principal("canary-bot", ("error-rate",))
        page = history.page(restricted, check=None, verdict=None, visible=lambda _: True, before=None, size=50)
        assert [(row.head.seq - history.first_seq, row.requests) for row in page.rows] == [(1, 1), (2, 2)]
        shown = _row_fields(page.rows, restricted)
        assert [(row["args_hidden"], row["args"], row["client"]) for row in shown] == [
            (False, {"canary_hash": "broken1"}, "canary-bot"),
            (True, {}, None),
        ]
        # Only the rows shown are redacted copies: the history keeps its entries whole.
        assert not any(entry.redacted for entry in history.query(limit=10))

    def test_the_list_counts_the_requests_of_a_shared_evaluation(self, first_served, prometheus):
        at = prometheus.anchor - 300
        session = requests.Session()
        answers = [
            session.get(f"{first_served.url}/api/v1/checks/error-rate/run?canary_hash=slow1&at={at}", timeout=60).json()
            for _ in range(3)
        ]
        table = get(first_served, "/ui/?check=error-rate").text.split('class="verdicts"', 1)[1]
        rows = [row for row in table.split("</tr>") if "canary_hash=slow1" in row]
        # Within the reuse window (1 s) the three requests share one evaluation; on a machine so busy that they did
        # not, each is its own row: either way every request is counted once.
        evaluations = {answer["duration_ms"] for answer in answers}
        assert len(rows) == len(evaluations)
        counted = sum(
            int(m.group(1)) if (m := re.search(r"one evaluation for (\d+) requests", row)) else 1 for row in rows
        )
        assert counted == 3


class TestMisconfigured:
    """A check_misconfigured answer's page says the check is wrong, shows its queries as configured, plots nothing."""

    def test_an_error_budget_without_recorded_queries_shows_them_as_configured(self, first_served):
        body = run(first_served, "typo-budget", "canary_hash=broken1")
        assert body["error"] == "check_misconfigured"
        page = get(first_served, body["ui_url"]).text
        assert 'id="misconfigured"' in page
        assert 'id="configured-queries"' in page
        # Before: "value none", as an inconclusive NaN shows it; an error measured nothing.
        assert '<span id="value">none</span> <span class="muted" id="value-means">no measurement was taken' in page
        assert "ratio: its errors query over 1h" in page
        assert "http_request_total{rollouts_pod_template_hash=&#34;broken1&#34;" in page

    def test_the_queries_as_configured_never_show_a_secret_default(self, first_served):
        body = run(first_served, "typo-budget-secret", "canary_hash=broken1")
        assert body["error"] == "check_misconfigured"
        page = get(first_served, body["ui_url"]).text
        assert "tenant0secret0default" not in page
        # Its args hold the secret as <redacted>: no rendering of them would be the queries that ran.
        assert 'id="configured-queries"' not in page
        assert 'id="misconfigured"' in page

    def test_a_fallback_over_a_misspelt_name_is_not_plotted_as_zero(self, first_served):
        body = run(first_served, "typo-ratio", "canary_hash=broken1")
        assert body["error"] == "check_misconfigured"
        page = get(first_served, body["ui_url"]).text
        # Before: the query's value over time, a flat 0 (the fallback), which reads as a perfect canary.
        assert "<svg" not in page
        assert "not drawn: the check is misconfigured" in page

    def test_an_answer_that_measured_shows_no_configured_queries(self, first_served):
        body = run(first_served, "error-rate", "canary_hash=broken1")
        page = get(first_served, body["ui_url"]).text
        assert 'id="misconfigured"' not in page and 'id="configured-queries"' not in page
        assert "<svg" in page


class TestMisconfiguredWhere:
    """A check_misconfigured page words its advice by where the fault is: the check, a file it names, or the request
    built from the call's args."""

    def test_an_unreadable_ca_file_points_at_the_file_not_the_check(self, fault_served):
        body = get(fault_served, "/api/v1/checks/gone-ca-smoke/run?explain=true").json()
        assert (body["error"], body["details"]["at_fault"]) == ("check_misconfigured", "file")
        assert "cannot read ca_file" in body["reason"]
        page = get(fault_served, body["ui_url"]).text
        # Before: "Fix the check in the catalog", where nothing is wrong: the mounted file is.
        assert 'data-at-fault="file"' in page
        assert "A file the check names cannot be used where the analyzer runs" in page
        assert "Fix the check in the catalog" not in page

    def test_a_request_built_from_an_arg_points_at_the_args_first(self, fault_served):
        body = run(fault_served, "arg-url", "target=x9")
        assert body["error"] == "check_misconfigured"
        page = get(fault_served, body["ui_url"]).text
        assert 'data-at-fault="request"' in page
        assert "Look first at the args the caller gave" in page
        assert "Fix the check in the catalog" not in page

    def test_a_request_built_without_args_points_at_the_check(self, fault_served):
        # No arg placed anything: what httpx refused is the check's base_url and path as written.
        body = run(fault_served, "arg-url-fixed", "")
        page = get(fault_served, body["ui_url"]).text
        assert 'data-at-fault="check"' in page and "Fix the check in the catalog" in page

    def test_a_wrong_definition_still_points_at_the_check(self, first_served):
        body = get(first_served, "/api/v1/checks/typo-ratio/run?canary_hash=broken1&explain=true").json()
        assert body["error"] == "check_misconfigured" and "at_fault" not in body["details"]
        page = get(first_served, body["ui_url"]).text
        assert 'data-at-fault="check"' in page and "Fix the check in the catalog" in page


@pytest.fixture(scope="module")
def browser(first_served) -> Iterator[Any]:
    """Headless chromium at 1280 x 1000 that reaches nothing but 127.0.0.1."""
    with headless_chromium(window_size=(1280, 1000)) as driver:
        yield driver


class TestInTheBrowser:
    """What chromium shows of a misconfigured check's page: what to fix, above the fold, and the queries."""

    def test_the_misconfigured_page_says_what_to_fix_within_one_screen(self, browser, first_served, tmp_path: Path):
        from selenium.webdriver.common.by import By

        body = run(first_served, "typo-budget", "canary_hash=broken1")
        browser.get(first_served.url + body["ui_url"])
        browser.save_screenshot(str(tmp_path / "misconfigured.png"))
        note = browser.find_element(By.ID, "misconfigured")
        assert note.text.startswith("The check's definition is wrong, not the release")
        # Above the fold of a 1000 px window: read before any scrolling.
        assert note.location["y"] + note.size["height"] < browser.execute_script("return window.innerHeight")
        queries = browser.find_element(By.ID, "configured-queries")
        assert queries.text == "Queries, as configured"
        shown = [q.text for q in browser.find_elements(By.CSS_SELECTOR, "pre.query")]
        assert any('http_request_total{rollouts_pod_template_hash="broken1"' in q for q in shown)

    def test_a_gone_ca_file_page_says_to_fix_the_file_within_one_screen(self, browser, fault_served):
        from selenium.webdriver.common.by import By

        body = run(fault_served, "gone-ca-smoke", "")
        browser.get(fault_served.url + body["ui_url"])
        note = browser.find_element(By.ID, "misconfigured")
        assert note.text.startswith("A file the check names cannot be used where the analyzer runs, not the release")
        assert "The catalog may be right" in note.text
        assert note.location["y"] + note.size["height"] < browser.execute_script("return window.innerHeight")

    def test_the_list_comes_before_the_catalog_and_its_first_row_within_one_screen(self, browser, first_served):
        from selenium.webdriver.common.by import By

        run(first_served, "error-rate", "canary_hash=broken1")
        browser.get(first_served.url + "/ui/?check=error-rate&verdict=fail")
        first_row = browser.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr")
        # Before: the whole catalog came first, and a troubleshooting link's answers were below it.
        assert first_row.location["y"] < browser.find_element(By.ID, "checks").location["y"]
        assert first_row.location["y"] + first_row.size["height"] < browser.execute_script("return window.innerHeight")
        assert first_row.find_element(By.CSS_SELECTOR, "a.verdict").text == "FAIL"


class TestStepOutcomes:
    """An http_smoke step's outcome reads as words on its page: "not run", not the code "not_run"."""

    def test_the_timeline_writes_words_and_keeps_the_code_as_its_class(self):
        from analyzer.ui.plots import Step, timeline

        svg = str(timeline([Step("read order", "not_run", None, "")], label="steps"))
        assert ">not run <" in svg
        assert 'class="status not_run"' in svg

    def test_the_steps_table_writes_words(self, first_served):
        body = run(first_served, "refused-smoke", "")
        page = get(first_served, body["ui_url"]).text
        table = page.split('class="steps"', 1)[1].split("</table>", 1)[0]
        outcomes = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", table)
        assert ("read order", "not run") in outcomes


@pytest.fixture(scope="module")
def phone(fault_served) -> Iterator[Any]:
    """Headless chromium 390 px wide (a phone's CSS pixels), 844 px high."""
    with headless_chromium(window_size=(390, 844)) as driver:
        yield driver


class TestLongReasonOnAPhone:
    """A long reason in the history list is clamped on a phone, opens whole on a tap, and is read whole aloud."""

    def test_a_long_reason_keeps_its_row_within_a_screen_and_opens_on_a_tap(self, phone, fault_served):
        from selenium.webdriver.common.by import By

        run(fault_served, "long-reason", "")
        phone.get(fault_served.url + "/ui/?check=long-reason")
        screen_px = phone.execute_script("return window.innerHeight")
        row = phone.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr")
        reason = row.find_element(By.CSS_SELECTOR, "td.reason summary")
        # Before: the row was several screens tall, and the rows after it out of sight.
        assert row.size["height"] < screen_px / 2, row.size
        # Clamped, not cut: the text is whole in the page, and is the summary's name a screen reader reads.
        assert reason.get_attribute("textContent") == LONG_REASON
        assert reason.accessible_name == LONG_REASON
        clamped_px = reason.size["height"]
        reason.click()
        assert row.find_element(By.CSS_SELECTOR, "details.reason").get_attribute("open") is not None
        assert reason.size["height"] > 3 * clamped_px
        assert reason.text.replace("\n", " ") == LONG_REASON

    def test_a_desktop_shows_the_reason_whole(self, browser, fault_served):
        from selenium.webdriver.common.by import By

        run(fault_served, "long-reason", "")
        browser.get(fault_served.url + "/ui/?check=long-reason")
        reason = browser.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr td.reason summary")
        assert reason.text.replace("\n", " ") == LONG_REASON


# An arg of one unbroken word longer than a phone is wide (a hash, a URL with its query).
LONG_ARG = "sha256-" + "0123456789abcdef" * 6


class TestTheHistoryOnAPhone:
    """At 390 px the history list is one card per answer, stacked, each value under its column's name: nothing
    scrolls sideways, the page nor the list, and a screen reader still reads a table of rows and cells."""

    @staticmethod
    def fill_history(served: Served) -> None:
        run(served, "long-reason", "")
        run(served, "arg-url", f"target={LONG_ARG}")
        run(served, "gone-ca-smoke", "")
        # A refusal: its undeclared arg's name and value are kept, and listed.
        assert get(served, f"/api/v1/checks/arg-url/run?target=x&{LONG_ARG}={LONG_ARG}").status_code == 400

    def test_nothing_scrolls_sideways_and_each_value_is_named(self, phone, fault_served):
        from selenium.webdriver.common.by import By

        self.fill_history(fault_served)
        phone.get(fault_served.url + "/ui/")
        assert phone.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
        table = phone.find_element(By.CSS_SELECTOR, "table.verdicts")
        container = table.find_element(By.XPATH, "..")
        # Before: the list's box scrolled sideways by about 400 px (six columns), the reason and args out of sight.
        assert phone.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", container)
        assert phone.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", table)
        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) >= 4
        width_px = phone.execute_script("return window.innerWidth")
        for row in rows:
            cells = row.find_elements(By.TAG_NAME, "td")
            shown = [cell for cell in cells if cell.size["height"] > 0]
            # Stacked: each shown cell below the one before, each within the screen.
            tops = [cell.location["y"] for cell in shown]
            assert tops == sorted(tops) and len(set(tops)) == len(tops), tops
            assert all(
                cell.location["x"] >= 0 and cell.location["x"] + cell.size["width"] <= width_px for cell in shown
            )
            # Each value after its column's name, for the eye only (`/ ""`: a screen reader has the headers).
            for cell in shown[1:]:
                label = phone.execute_script("return getComputedStyle(arguments[0], '::before').content", cell)
                assert label == f'"{cell.get_attribute("data-label")}" / ""', label
        assert LONG_ARG in table.text.replace("\n", "")

    def test_a_screen_reader_still_reads_a_table(self, phone, fault_served):
        from selenium.webdriver.common.by import By

        self.fill_history(fault_served)
        phone.get(fault_served.url + "/ui/")
        table = phone.find_element(By.CSS_SELECTOR, "table.verdicts")
        assert table.aria_role == "table"
        headers = table.find_elements(By.CSS_SELECTOR, "thead th")
        assert [h.aria_role for h in headers] == ["columnheader"] * 6
        assert [h.get_attribute("textContent") for h in headers] == [
            "verdict",
            "check",
            "args",
            "evaluated at (UTC)",
            "value",
            "reason",
        ]
        row = table.find_element(By.CSS_SELECTOR, "tbody tr")
        assert row.aria_role == "row"
        assert {cell.aria_role for cell in row.find_elements(By.TAG_NAME, "td")} == {"cell"}

    def test_a_desktop_keeps_the_columns(self, browser, fault_served):
        from selenium.webdriver.common.by import By

        self.fill_history(fault_served)
        browser.get(fault_served.url + "/ui/")
        row = browser.find_element(By.CSS_SELECTOR, "table.verdicts tbody tr")
        tops = {cell.location["y"] for cell in row.find_elements(By.TAG_NAME, "td")}
        assert len(tops) == 1
        assert browser.find_element(By.CSS_SELECTOR, "table.verdicts thead").is_displayed()
