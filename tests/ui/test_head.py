"""HEAD of a verdict page (a chat tool unfurling a pasted link, a link checker): the status a GET gives, without
evaluating the check or adding to the history; and a link to an answer of a check that measures only the present,
which this replica does not hold, is not run again by opening it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests

from tests.ui.support import SHOP_RATIO, TOKEN, Served, serve

pytestmark = pytest.mark.integration

BEARER = {"Authorization": f"Bearer {TOKEN}"}


# A composite that sends requests now through its member: it measures only the present too.
SMOKE_GATE = {
    "name": "smoke-gate",
    "kind": "composite",
    "description": "the smoke test and the error rate",
    "members": [{"check": "smoke"}, {"check": "error-rate", "args": {"canary_hash": "healthy1"}}],
}


# A composite whose member's param keeps its default: the member's args in the composite's answer leave it out.
DEFAULTED_BUDGET = {
    "name": "defaulted-budget",
    "kind": "error_budget",
    "description": "eb-shop canary burn, of burn1 unless told",
    "objective": 99.9,
    "period": "30d",
    "params": {"canary_hash": {"type": "label_value", "default": "burn1"}},
    "ratio": SHOP_RATIO,
}
BUDGET_GATE = {
    "name": "budget-gate",
    "kind": "composite",
    "description": "the canary's burn",
    "members": [{"check": "defaulted-budget"}],
}


@pytest.fixture(scope="module")
def served(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The UI tests' analyzer (auth on), with SMOKE_GATE and BUDGET_GATE."""
    with serve(
        prometheus.url,
        tmp_path_factory.mktemp("ui-head"),
        auth=True,
        extra_checks=(SMOKE_GATE, DEFAULTED_BUDGET, BUDGET_GATE),
    ) as server:
        yield server


def head(served, path, **kwargs):
    return requests.head(served.url + path, allow_redirects=False, timeout=60, **kwargs)


def get(served, path, **kwargs):
    return requests.get(served.url + path, allow_redirects=False, timeout=60, **kwargs)


def source_queries(served):
    """How many queries this replica has sent to its sources (the plots' range queries included)."""
    text = get(served, "/metrics", headers=BEARER).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("analyzer_source_queries_total{")
    )


def history_seqs(served):
    """The numbers of the answers this replica holds."""
    body = get(served, "/api/v1/verdicts?limit=1000", headers=BEARER).json()
    return [entry["seq"] for entry in body["entries"]]


class TestHeadOfARunPage:
    """HEAD answers what a GET would (404, 400, the auth answers, 200) and never evaluates nor records."""

    @pytest.mark.parametrize(
        "path",
        [
            "/ui/checks/smoke/run",
            "/ui/checks/error-rate/run?canary_hash=healthy1",
            "/ui/checks/error-rate/run?canary_hash=healthy1&at=2026-11-26T11:00:00Z",
            "/ui/checks/release/run?canary_hash=healthy1",
        ],
    )
    def test_a_page_that_a_get_would_evaluate_is_200_and_adds_nothing_to_the_history(self, served, path):
        before = history_seqs(served)
        response = head(served, path, headers=BEARER)
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert history_seqs(served) == before  # was one entry more: HEAD evaluated and recorded as GET does

    def test_its_headers_are_the_gets(self, served):
        path = "/ui/checks/error-rate/run?canary_hash=healthy1"
        got = get(served, path, headers=BEARER).headers
        headed = head(served, path, headers=BEARER).headers
        for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Cache-Control"):
            assert headed[name] == got[name]
        assert "Content-Length" not in headed  # not the GET's, which HEAD does not render

    def test_a_recorded_answer_is_200(self, served, prometheus):
        answer = get(
            served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER
        )
        before, queries = history_seqs(served), source_queries(served)
        assert head(served, answer.json()["ui_url"], headers=BEARER).status_code == 200
        seq = before[0]
        assert head(served, f"/ui/verdicts/{seq}", headers=BEARER).status_code == 200
        assert history_seqs(served) == before
        # Was the plots' range queries, drawn for a body HEAD does not send.
        assert source_queries(served) == queries
        get(served, f"/ui/verdicts/{seq}", headers=BEARER)
        assert source_queries(served) > queries  # what the GET sends, so the assertion above can fail

    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/ui/checks/no-such-check/run?at=2026-11-26T11:00:00Z", 404),
            ("/ui/checks/error-rate/run?canary_hash=x&chek=1", 400),
            ("/ui/checks/error-rate/run?canary_hash=", 400),
            ("/ui/checks/error-rate/run?canary_hash=x&at=yesterday", 400),
            ("/ui/checks/error-rate/run?canary_hash=x&canary_hash=y", 400),
            ("/ui/verdicts/999999999", 404),
        ],
    )
    def test_what_a_get_refuses_head_refuses_the_same(self, served, path, status):
        before = history_seqs(served)
        assert get(served, path, headers=BEARER).status_code == status
        assert head(served, path, headers=BEARER).status_code == status
        assert history_seqs(served) == before

    def test_without_a_token_it_is_sent_to_the_login_form_as_a_browser_is(self, served):
        path = "/ui/checks/smoke/run"
        got = get(served, path)
        headed = head(served, path)
        # Was 401: a browser's GET is sent to the login form, a link checker's HEAD was refused.
        assert (headed.status_code, headed.headers["Location"]) == (303, got.headers["Location"])

    def test_a_wrong_bearer_token_is_401(self, served):
        before = history_seqs(served)
        response = head(served, "/ui/checks/smoke/run", headers={"Authorization": "Bearer wrong-token-0123456789"})
        assert response.status_code == 401
        assert history_seqs(served) == before


class TestALinkOfACheckThatMeasuresNow:
    """A link to an http_smoke answer this replica does not hold says so and offers to run it now: opening it sends
    no request to the target, and the form's button runs it without the link's `at`."""

    PATH = "/ui/checks/smoke/run?at=2026-11-26T11%3A00%3A00.000Z"

    def test_opening_it_says_not_recorded_here_and_runs_nothing(self, served):
        before = history_seqs(served)
        page = get(served, self.PATH, headers=BEARER)
        assert page.status_code == 404  # was 400, a bad arg, for a link the analyzer handed out
        text = html.unescape(page.text)
        assert "Not recorded here" in text
        assert "measures only the present" in text
        assert 'id="run"' in page.text
        # Was the link's `at`: the button sent it again, and was refused again.
        assert re.search(r'<input id="arg-at" name="at" value=""', page.text)
        assert history_seqs(served) == before
        assert head(served, self.PATH, headers=BEARER).status_code == 404

    def test_an_address_built_from_a_measurements_started_at_links_the_answer_held_near_it(self, served):
        # Argo's startedAt is in whole seconds and taken before its request: no answer is recorded at it.
        answer = get(served, "/api/v1/checks/smoke/run", headers=BEARER).json()
        seq = get(served, "/api/v1/verdicts?check=smoke&limit=1", headers=BEARER).json()["entries"][0]["seq"]
        evaluated_at = datetime.fromisoformat(answer["evaluated_at"])
        started_at = evaluated_at.replace(microsecond=0) - timedelta(seconds=1)
        apart_s = (evaluated_at - started_at).total_seconds()
        page = get(served, f"/ui/checks/smoke/run?at={started_at.strftime('%Y-%m-%dT%H:%M:%SZ')}", headers=BEARER)
        assert page.status_code == 404
        assert "Not recorded here" in page.text
        near = page.text.split('id="near">', 1)[1].split("</p>", 1)[0]
        verdict = answer["verdict"].upper()
        assert f'<a href="/ui/verdicts/{seq}">{verdict} at {answer["evaluated_at"]}</a> ({apart_s:g} s after)' in near

    def test_a_composite_with_it_as_a_member_is_not_run_again_either(self, served):
        before = history_seqs(served)
        page = get(served, "/ui/checks/smoke-gate/run?at=2026-11-26T11%3A00%3A00.000Z", headers=BEARER)
        assert page.status_code == 404
        assert "Not recorded here" in page.text
        assert history_seqs(served) == before

    def test_its_own_link_still_shows_its_answer_on_the_replica_that_holds_it(self, served):
        answer = get(served, "/api/v1/checks/smoke/run", headers=BEARER).json()
        before = history_seqs(served)
        page = get(served, answer["ui_url"], headers=BEARER)
        assert page.status_code == 200
        assert "The answer as this replica recorded it" in page.text
        assert head(served, answer["ui_url"], headers=BEARER).status_code == 200
        assert history_seqs(served) == before


class TestAMemberLinkOfARecordedComposite:
    """A member's link on a composite's page shows the member's answer as the composite recorded it: never a 404 for
    an http_smoke member, never a new evaluation that may differ from what the composite's page shows."""

    def test_it_shows_the_member_s_recorded_answer_and_runs_nothing(self, served):
        composite = get(served, "/api/v1/checks/smoke-gate/run?explain=true", headers=BEARER).json()
        (smoke,) = [m for m in composite["details"]["members"] if m["check"] == "smoke"]
        page = get(served, composite["ui_url"], headers=BEARER)
        (link,) = re.findall(r'<a href="(/ui/checks/smoke/run\?[^"]+)">smoke</a>', page.text)
        link = html.unescape(link)
        before = history_seqs(served)
        member = get(served, link, headers=BEARER)
        # Before: 404 "Not recorded here" (an http_smoke check cannot be evaluated as of a past time).
        assert member.status_code == 200
        assert re.search(
            r'as its composite <a href="/ui/verdicts/([0-9]+)" id="member-of">smoke-gate \(verdict \1\)</a> recorded',
            member.text,
        )
        assert re.search(r'id="verdict">' + smoke["verdict"].upper() + "<", member.text)
        (reason,) = re.findall(r'<p class="reason" id="reason">([^<]*)</p>', member.text)
        assert html.unescape(reason) == smoke["reason"]
        # Its own evidence: the steps table and the timeline of the steps the composite ran.
        assert [step["name"] for step in smoke["details"]["steps"]] == ["health", "burst", "hostile"]
        assert "<h2>Steps</h2>" in member.text and "The steps in order" in member.text
        assert head(served, link, headers=BEARER).status_code == 200
        assert history_seqs(served) == before

    def test_a_member_whose_args_leave_out_a_default_is_plotted_with_it(self, served, prometheus):
        composite = get(served, f"/api/v1/checks/budget-gate/run?at={prometheus.anchor}", headers=BEARER).json()
        assert composite["verdict"] == "fail"
        page = get(served, composite["ui_url"], headers=BEARER)
        (link,) = re.findall(r'<a href="(/ui/checks/defaulted-budget/run\?[^"]+)">defaulted-budget</a>', page.text)
        member = get(served, html.unescape(link), headers=BEARER)
        # Before the member's args were bound for its plots: its burn over time planned without canary_hash.
        assert member.status_code == 200
        assert re.search(r'id="verdict">FAIL<', member.text)
        assert "Burn rate over time of tier page 1h/5m" in member.text
        assert 'class="series long"' in member.text

    def test_a_member_the_composite_did_not_run_with_those_args_is_not_shown_as_its(self, served):
        composite = get(served, "/api/v1/checks/smoke-gate/run", headers=BEARER).json()
        at = composite["ui_url"].rsplit("at=", 1)[1]
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={at}", headers=BEARER)
        assert page.status_code == 200
        assert 'id="verdict"' in page.text
        assert "as its composite" not in page.text


@pytest.fixture(scope="module")
def other(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Another replica of the same analyzer, whose history holds none of `served`'s answers."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-other"), auth=True, extra_checks=(SMOKE_GATE,)) as server:
        yield server


class TestALinkOnAnotherReplica:
    """The `ui_url` of a past `prometheus` answer, opened on a replica that does not hold it, is evaluated as of its
    `at` (the same verdict and value), recorded once, and shown as recorded from then on; HEAD evaluates nothing."""

    def test_it_answers_as_the_replica_that_recorded_it(self, served, other, prometheus):
        run = f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}"
        answer = get(served, run, headers=BEARER).json()
        assert answer["verdict"] == "fail"
        before = history_seqs(other)
        assert head(other, answer["ui_url"], headers=BEARER).status_code == 200
        assert history_seqs(other) == before
        page = get(other, answer["ui_url"], headers=BEARER)
        text = html.unescape(page.text)
        assert page.status_code == 200
        assert f"Evaluated again as of {answer['evaluated_at']}" in text
        assert re.search(r'id="verdict">FAIL<', page.text)
        assert answer["reason"] in text
        assert len(history_seqs(other)) == len(before) + 1
        again = get(other, answer["ui_url"], headers=BEARER)
        assert "The answer as this replica recorded it" in again.text
        assert len(history_seqs(other)) == len(before) + 1


class TestAPageEvaluatedNow:
    """A page that evaluated now (the form's GET) says that its address runs the check again, and links the answer."""

    def test_it_points_to_the_answers_own_link(self, served):
        page = get(served, "/ui/checks/error-rate/run?canary_hash=healthy1", headers=BEARER)
        assert "runs the check again each time it is opened" in page.text
        link = re.search(r"Link to this verdict: <a href=\"([^\"]+)\"", page.text).group(1).replace("&amp;", "&")
        assert "&at=" in link
        assert "The answer as this replica recorded it" in get(served, link, headers=BEARER).text
