"""The UI over HTTP: auth and login cookie, origin checks, security headers, links from the API to the pages."""

from __future__ import annotations

import gzip
import http.client
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from analyzer.catalog import build_catalog, load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.ui.pages import _changed_since, _measures, _value_text
from analyzer.web import create_app
from checks.prometheus import PrometheusCheck
from tests.ui.support import NEAR_CHECKS, TOKEN, checks, serve

pytestmark = pytest.mark.integration

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def get(served, path, **kwargs):
    return requests.get(served.url + path, allow_redirects=False, timeout=60, **kwargs)


def post(served, path, **kwargs):
    return requests.post(served.url + path, allow_redirects=False, timeout=60, **kwargs)


class TestAuth:
    """Pages need the API's token: as a bearer header, or as the cookie the login form sets."""

    @pytest.mark.parametrize(
        "path", ["/ui/", "/ui/checks/error-rate", "/ui/checks/error-rate/run?canary_hash=x", "/ui/verdicts/1"]
    )
    def test_without_a_token_a_page_sends_the_browser_to_the_login_form(self, served, path):
        response = get(served, path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/ui/login?next=")
        assert "<table" not in response.text

    def test_a_wrong_bearer_token_is_a_401_not_a_redirect(self, served):
        response = get(served, "/ui/", headers={"Authorization": "Bearer wrong-token-0123456789"})
        assert response.status_code == 401
        assert "invalid bearer token" in response.text

    def test_a_wrong_cookie_is_not_a_login(self, served):
        response = get(served, "/ui/", cookies={"analyzer_token": "not-the-token-at-all"})
        assert response.status_code == 303

    def test_login_sets_an_httponly_samesite_strict_cookie_that_opens_the_pages(self, served):
        response = post(
            served, "/ui/login", data={"token": TOKEN, "next": "/ui/checks/error-rate"}, headers={"Origin": served.url}
        )
        assert response.status_code == 303
        assert response.headers["Location"] == "/ui/checks/error-rate"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Path=/ui/" in cookie
        assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
        page = get(served, "/ui/checks/error-rate", cookies=response.cookies)
        assert page.status_code == 200
        assert "signed in as sre" in page.text

    def test_behind_a_tls_proxy_the_cookie_is_secure(self, served):
        response = post(
            served, "/ui/login", data={"token": TOKEN}, headers={"Origin": served.url, "X-Forwarded-Proto": "https"}
        )
        assert "Secure" in response.headers["Set-Cookie"]

    def test_a_wrong_token_is_refused_without_a_cookie(self, served):
        response = post(served, "/ui/login", data={"token": "wrong-token-0123456789"}, headers={"Origin": served.url})
        assert response.status_code == 401
        assert "Set-Cookie" not in response.headers
        assert "not accepted" in response.text

    @pytest.mark.parametrize("origin", [None, "null", "http://evil.example", "http://127.0.0.1:1"])
    def test_a_post_from_another_origin_is_refused(self, served, origin):
        headers = {} if origin is None else {"Origin": origin}
        response = post(served, "/ui/login", data={"token": TOKEN}, headers=headers)
        assert response.status_code == 403
        assert "Set-Cookie" not in response.headers

    @pytest.mark.parametrize(
        "target", ["//evil.example/ui/", "http://evil.example/ui/", "/ui/\r\nSet-Cookie: x=1", "/ui/\\evil"]
    )
    def test_login_never_redirects_off_the_ui(self, served, target):
        response = post(served, "/ui/login", data={"token": TOKEN, "next": target}, headers={"Origin": served.url})
        assert response.headers["Location"] == "/ui/"

    def test_the_cookie_does_not_open_the_api(self, served):
        """The API takes bearer headers only: a cookie a browser sends along cannot run checks cross-site."""
        response = get(served, "/api/v1/checks", cookies={"analyzer_token": TOKEN})
        assert response.status_code == 401

    def test_a_dot_segment_path_does_not_reach_the_api_as_a_ui_route(self, served):
        parts = urlsplit(served.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", "/ui/../api/v1/checks")
        response = connection.getresponse()
        assert response.status in (401, 404)
        connection.close()


class TestHeaders:
    """Every page forbids scripts, inline styles and framing."""

    def test_pages_carry_a_strict_content_security_policy(self, served, prometheus):
        response = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy  # default-src 'none' forbids every script
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script" not in response.text
        assert " style=" not in response.text

    def test_the_stylesheet_is_served_from_the_package(self, served):
        response = get(served, "/ui/static/ui.css")
        assert response.status_code == 200
        assert ".verdict-fail" in response.text


class TestLinks:
    """An answer of the API links to its page, and the page shows that very answer."""

    def test_json_text_and_page_agree(self, served, prometheus):
        args = f"canary_hash=broken1&at={prometheus.anchor}"
        body = get(served, f"/api/v1/checks/error-rate/run?{args}", headers=BEARER).json()
        assert body["ui_url"].startswith("/ui/checks/error-rate/run?canary_hash=broken1&at=")
        text = get(served, f"/api/v1/checks/error-rate/run?{args}&format=text", headers=BEARER).text
        assert f"page={body['ui_url']}" in text
        page = get(served, body["ui_url"], headers=BEARER)
        assert page.status_code == 200
        assert "The answer as this replica recorded it" in page.text
        assert re.search(r'id="verdict">FAIL<', page.text)

    def test_a_verdict_page_links_to_its_checks_other_answers(self, served, prometheus):
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER)
        link = re.search(r'<a href="([^"]+)" id="recent-verdicts">recent verdicts of error-rate</a>', page.text)
        listed = get(served, link.group(1).replace("&amp;", "&"), headers=BEARER).text
        assert '<option value="error-rate" selected>' in listed

    def test_a_link_whose_answer_this_replica_does_not_hold_is_evaluated_again(self, served, prometheus):
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=healthy1&at={prometheus.anchor - 7}", headers=BEARER)
        assert "Evaluated again as of" in page.text
        assert re.search(r'id="verdict">PASS<', page.text)

    def test_an_address_built_from_a_measurements_started_at_names_the_answer_held_near_it(self, served, prometheus):
        # Argo's startedAt is in whole seconds and taken before its request: the answer is recorded 0.4 s after it (its
        # time written to the millisecond, 0.400, and so its distance).
        started_at = prometheus.anchor - 300
        held = get(
            served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={started_at + 0.4006}", headers=BEARER
        ).json()
        seq = get(served, "/api/v1/verdicts?check=error-rate&limit=1", headers=BEARER).json()["entries"][0]["seq"]
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={started_at:.0f}", headers=BEARER)
        origin = page.text.split('id="origin">', 1)[1].split("</p>", 1)[0]
        assert "does not hold the original answer" not in origin
        near = page.text.split('id="near">', 1)[1].split("</p>", 1)[0]
        assert f'<a href="/ui/verdicts/{seq}">FAIL at {held["evaluated_at"]}</a> (0.4 s after)' in near

    def test_answers_of_other_args_or_far_from_the_time_are_not_named_near_it(self, served, prometheus):
        started_at = prometheus.anchor - 600
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=healthy1&at={started_at + 0.4}", headers=BEARER)
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={started_at + 61}", headers=BEARER)
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={started_at:.0f}", headers=BEARER)
        assert "Evaluated again as of" in page.text
        assert 'id="near"' not in page.text

    def test_the_nearest_five_are_named_nearest_first_each_once_before_or_after(self, served, prometheus):
        started_at = prometheus.anchor - 900
        # 0.25 s after twice: one evaluation reused, one answer; the farther ones past the five are not named.
        offsets = [-2, -0.5, 0.25, 0.25, 1, 3, 10, -30]
        for offset in offsets:
            get(served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={started_at + offset}", headers=BEARER)
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&at={started_at:.0f}", headers=BEARER)
        near = page.text.split('id="near">', 1)[1].split("</p>", 1)[0]
        assert re.findall(r"</a> \(([^)]*)\)", near) == [
            "0.25 s after",
            "0.5 s before",
            "1 s after",
            "2 s before",
            "3 s after",
        ], near

    def test_bad_args_show_the_form_again_naming_the_arg(self, served):
        page = get(served, "/ui/checks/error-rate/run?canary_hash=", headers=BEARER)
        assert page.status_code == 400
        assert "canary_hash" in page.text
        assert 'id="run"' in page.text

    def test_form_values_shown_again_are_the_values_sent(self, served):
        # An invisible character is shown as an escape in text, but a form field holds what was typed: the
        # escape's text would be sent on the next submit.
        page = get(served, "/ui/checks/error-rate/run?canary_hash=a\u200bb&at=soon\u200b", headers=BEARER)
        assert page.status_code == 400
        assert 'name="canary_hash" value="a\u200bb"' in page.text
        assert 'name="at" value="soon\u200b"' in page.text
        assert "\\u200b" in page.text  # the reason quoting the bad `at` shows it as an escape
        index = get(served, "/ui/?check=eror\u200b-rate", headers=BEARER).text
        assert '<option value="eror\u200b-rate" selected>eror\\u200b-rate (not in the catalog)</option>' in index

    def test_the_check_page_redacts_secrets_as_the_api_does(self, served):
        page = get(served, "/ui/checks/smoke", headers=BEARER)
        assert page.status_code == 200
        assert "target-secret" not in page.text
        assert "&lt;redacted&gt;" in page.text

    def test_history_filters_by_check_and_verdict(self, served, prometheus):
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=healthy1&at={prometheus.anchor}", headers=BEARER)
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER)
        page = get(served, "/ui/?check=error-rate&verdict=pass", headers=BEARER).text
        table = page.split('class="verdicts"', 1)[1]
        assert "PASS" in table
        assert "FAIL</a>" not in table

    def test_history_rows_say_their_args(self, served, prometheus):
        # Two canaries judged by one check at one time: only the args tell their rows apart.
        for canary in ("healthy1", "broken1"):
            get(served, f"/api/v1/checks/error-rate/run?canary_hash={canary}&at={prometheus.anchor}", headers=BEARER)
        table = get(served, "/ui/?check=error-rate", headers=BEARER).text.split('class="verdicts"', 1)[1]
        rows = table.split("</thead>", 1)[1].split("</tr>")
        assert any(">FAIL</a>" in row and 'class="args">canary_hash=broken1</td>' in row for row in rows)
        assert any(">PASS</a>" in row and 'class="args">canary_hash=healthy1</td>' in row for row in rows)

    def test_a_verdict_link_of_another_replica_finds_no_answer_there(self, served, prometheus, tmp_path):
        # Two replicas (the HPA keeps at least two), or one before and after a restart: each numbered its answers
        # from 1, so another replica's verdict 1 (here a FAIL) opened this one's verdict 1 (a PASS of another canary).
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER)
        listed = get(served, "/api/v1/verdicts?limit=1", headers=BEARER).json()["entries"][0]
        with serve(prometheus.url, tmp_path, auth=True) as other:
            get(other, f"/api/v1/checks/error-rate/run?canary_hash=healthy1&at={prometheus.anchor}", headers=BEARER)
            page = get(other, f"/ui/verdicts/{listed['seq']}", headers=BEARER)
        assert (listed["verdict"], page.status_code) == ("fail", 404), page.text
        assert "from before a restart, names none here" in page.text

    def test_a_filter_on_a_check_not_in_the_catalog_shows_in_the_form(self, served):
        # A mistyped link (or a check a reload removed) lists nothing: the form must not say "any" meanwhile.
        page = get(served, "/ui/?check=eror-rate", headers=BEARER).text
        assert "no verdicts match the filter" in page
        assert '<option value="eror-rate" selected>eror-rate (not in the catalog)</option>' in page
        assert '<option value="" selected' not in page


class TestFacts:
    """The value and the threshold say what they measure and which way the threshold cuts, per kind."""

    @pytest.mark.parametrize(
        ("path", "value_means", "threshold_means"),
        [
            ("error-rate/run?canary_hash=broken1", "the query&#39;s value", "pass_if &lt; 0.01"),
            (
                "shop-budget/run?canary_hash=burn1",
                "burn rate (x the error budget) of the tier named in the reason",
                "that tier&#39;s factor: both its windows above it fire the tier",
            ),
            (
                "conversion/run?canary_hash=kpiworse",
                "estimated change, canary - baseline, in the KPI&#39;s units",
                "tolerance, same units: a drop beyond it fails",
            ),
            ("release/run?canary_hash=broken1", "score, of 100", "pass_score"),
        ],
    )
    def test_each_kind_says_what_its_numbers_measure(self, served, prometheus, path, value_means, threshold_means):
        page = get(served, f"/ui/checks/{path}&at={prometheus.anchor}", headers=BEARER).text
        assert re.search(r'id="value-means">([^<]*)<', page).group(1).startswith(value_means)
        assert re.search(r'id="threshold-means">([^<]*)<', page).group(1) == threshold_means

    def test_an_error_budget_gate_is_captioned_as_the_budget_left(self):
        budget = {"remaining": 0.1, "min_budget_remaining": 0.2}
        gate = _measures({"kind": "error_budget", "details": {"budget": budget}, "threshold": 0.2})
        assert gate == {
            "value": "error budget remaining (1 = all of it)",
            "threshold": "min_budget_remaining: at or below fails",
        }
        # A tier that fired beside a budget gate: its factor is the threshold, not the gate.
        tier = _measures({"kind": "error_budget", "details": {"budget": budget}, "threshold": 14.4})
        assert tier["value"] == "burn rate (x the error budget) of the tier named in the reason"
        ungated = _measures(
            {"kind": "error_budget", "details": {"budget": {"min_budget_remaining": None}}, "threshold": None}
        )
        assert ungated["value"].startswith("burn rate")

    def test_http_smoke_counts_steps(self, served):
        page = get(served, "/ui/checks/smoke/run", headers=BEARER).text
        assert re.search(r'id="value">2<.*id="value-means">steps passed<', page, re.S)
        assert re.search(r'id="threshold">3<.*id="threshold-means">steps, all must pass<', page, re.S)

    def test_a_kpi_query_that_had_no_series_is_named_by_its_role(self, served, prometheus):
        page = get(served, f"/ui/checks/conversion/run?canary_hash=nosuch&at={prometheus.anchor}", headers=BEARER).text
        assert "the canary total query returned no series" in page
        queries = re.findall(r'<p class="query-role">([^<]+)</p><pre class="query">([^<]+)</pre>', page)
        assert dict(queries)["canary.total"].startswith("sum(increase(kpi_visits_total{")
        assert "rollouts_pod_template_hash=&#34;nosuch&#34;" in dict(queries)["canary.total"]

    def test_http_smoke_lists_what_failed_in_each_step(self, served):
        # A reason names one failed assertion ("... (and 2 more failed assertions)"): the table lists each.
        page = get(served, "/ui/checks/smoke/run", headers=BEARER).text
        table = page.split('<table class="steps">', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", table)
        assert rows == [("health", "pass", "200"), ("burst", "pass", "200"), ("hostile", "fail", "200")]
        assert "<div>status: expected 500, got 200</div>" in table

    @pytest.mark.parametrize(
        ("value", "threshold", "shown"),
        [
            # A composite's fail at weights 1e17 and 1: the page read "value 100", every member passing.
            (99.99999999999999, 80.0, "99.99999999999999"),
            (79.9999999, 80.0, "79.9999999"),
            (0.5, [0.1, 0.9], "0.5"),
            (None, 80.0, "none"),
            (float("inf"), 80.0, "inf"),
        ],
    )
    def test_a_value_never_reads_as_its_threshold_or_100_it_is_not(self, value, threshold, shown):
        assert _value_text({"value": value, "threshold": threshold}) == shown

    def test_no_value_no_caption(self, served, prometheus):
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=nosuch&at={prometheus.anchor}", headers=BEARER).text
        assert 'id="value">none<' in page
        assert 'id="value-means"' not in page


@pytest.fixture(scope="module")
def near_served(prometheus, tmp_path_factory: pytest.TempPathFactory):
    """The analyzer with auth on and the checks of NEAR_CHECKS besides the UI catalog."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-near"), auth=True, extra_checks=NEAR_CHECKS) as server:
        yield server


class TestValuesBesideTheirThreshold:
    """The list and a verdict's plot write a value with the digits that tell it from its threshold or 100."""

    @pytest.mark.parametrize(
        ("check", "shown"), [("near-threshold", "79.9999999"), ("near-hundred", "99.99999999999999")]
    )
    def test_the_list_row(self, near_served, prometheus, check, shown):
        assert (
            get(near_served, f"/api/v1/checks/{check}/run?at={prometheus.anchor}", headers=BEARER).json()["verdict"]
            == "pass"
        )
        page = get(near_served, f"/ui/?check={check}", headers=BEARER).text
        assert re.findall(r'<td role="cell" data-label="value">([^<]*)</td>', page) == [shown]

    @pytest.mark.parametrize(
        ("check", "shown"), [("near-threshold", "79.9999999"), ("near-hundred", "99.99999999999999")]
    )
    def test_the_plot_s_evaluated_value(self, near_served, prometheus, check, shown):
        page = get(near_served, f"/ui/checks/{check}/run?at={prometheus.anchor}", headers=BEARER).text
        assert f'id="value">{shown}<' in page
        marks = re.findall(r"evaluated value ([^ ]+) \(pass\)", page)
        assert marks and set(marks) == {shown}


class TestRangePlot:
    """A check with a range is plotted over exactly the range it judges, at its step."""

    def test_the_plot_spans_the_checks_range(self, served, prometheus):
        page = get(served, f"/ui/checks/latency-p99/run?at={prometheus.anchor}", headers=BEARER).text
        assert re.search(r'id="verdict">FAIL<', page)
        assert "the range the check judges (1h, every 60 s), reduced by max" in page
        svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
        x_low, x_high = (float(v) for v in re.search(r'data-x-low="([^"]+)" data-x-high="([^"]+)"', svg).groups())
        assert (x_low, x_high) == (prometheus.anchor - 3600, prometheus.anchor)
        points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
        # latency_p99_seconds steps from 0.2 to 0.9 at anchor - 30m: two levels, one sample a minute.
        assert len(points) == 61
        levels = sorted({p.split(",")[1] for p in points})
        assert len(levels) == 2

    def test_a_burn_plot_without_series_says_so(self, served, prometheus):
        page = get(served, f"/ui/checks/shop-budget/run?canary_hash=nosuch&at={prometheus.anchor}", headers=BEARER).text
        assert re.search(r'id="verdict">INCONCLUSIVE<', page)
        burn = page.split("Burn rate over time of tier page 1h/5m", 1)[1].split("</figcaption>", 1)[0]
        assert "no series in the window" in burn
        assert "<polyline" not in page.split("Burn rate over time of tier page 1h/5m", 1)[1].split("</svg>", 1)[0]


class TestChangedSince:
    """A verdict's page says when a reload changed the check after its answer, and only then."""

    @staticmethod
    def _check(query: str) -> PrometheusCheck:
        raw = {"name": "q", "kind": "prometheus", "query": query, "pass_if": "> 0"}
        document = {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [raw]}
        check = build_catalog([("test.yaml", document)], Registry([PrometheusCheck])).get("q")
        assert isinstance(check, PrometheusCheck)
        return check

    @classmethod
    def _since(cls, entry: dict[str, Any], then: Any, now: Any) -> str:
        """_changed_since with the catalog in service at version v2, its sources as they were at v1."""
        raw = {"name": "q", "kind": "prometheus", "query": "vector(1)", "pass_if": "> 0"}
        document = {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [raw]}
        sources = build_catalog([("test.yaml", document)], Registry([PrometheusCheck])).sources
        catalog = SimpleNamespace(version="v2", sources=sources)
        return _changed_since(entry, then, now, catalog, {"v1": sources})  # type: ignore[arg-type]

    def test_a_changed_definition_is_said(self):
        then, now = self._check("vector(1)"), self._check("vector(2)")
        entry = {"verdict": "pass", "catalog_version": "v1"}
        assert "definition has changed" in self._since(entry, then, now)
        assert self._since(entry, then, self._check("vector(1)")) == ""
        assert "no longer in the catalog" in self._since(entry, then, None)

    @pytest.mark.parametrize(
        "entry",
        [
            {"verdict": "rejected", "catalog_version": "v1"},  # refused before any definition decided
            {"verdict": "pass", "catalog_version": None},  # kept before versions were recorded
            {"verdict": "pass", "catalog_version": "v2"},  # the same catalog
        ],
    )
    def test_nothing_is_said_without_an_answer_from_another_catalog(self, entry):
        assert self._since(entry, self._check("vector(1)"), None) == ""

    def test_a_member_whose_definition_of_then_is_unknown_may_have_changed(self):
        # A kind that runs other checks (member_names) without giving them as linked (member_checks, a third-party
        # kind): the page cannot tell whether a reload changed them, so it says they may have.
        then = SimpleNamespace(
            definition=lambda: {"name": "c"},
            member_names=lambda: frozenset({"m"}),
            member_checks=lambda: (),
            source_names=frozenset,
            name="c",
        )
        entry = {"verdict": "pass", "catalog_version": "v1"}
        said = self._since(entry, then, then)
        assert "The definition of its member 'm' may have changed since this answer" in said


class TestUnknownParameters:
    """A page names a query parameter it does not read, instead of silently showing something else than asked."""

    def test_a_misspelt_history_filter_is_named(self, served, prometheus):
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=healthy1&at={prometheus.anchor}", headers=BEARER)
        page = get(served, "/ui/?chek=error-rate&verdict=pass", headers=BEARER)
        assert page.status_code == 200
        notice = page.text.split('id="ignored-params"', 1)[1].split("</p>", 1)[0]
        assert "&#39;chek&#39;" in notice
        assert "check, verdict" in notice

    @pytest.mark.parametrize("path", ["/ui/verdicts/1?at=2026-12-04T14:06:08Z", "/ui/checks/error-rate?at=now"])
    def test_a_page_that_reads_no_parameter_names_the_one_given(self, served, path):
        page = get(served, path, headers=BEARER).text
        assert "&#39;at&#39;" in page.split('id="ignored-params"', 1)[1].split("</p>", 1)[0]

    def test_a_filter_given_twice_says_which_one_is_read(self, served):
        page = get(served, "/ui/?check=error-rate&check=smoke", headers=BEARER).text
        notice = page.split('id="ignored-params"', 1)[1].split("</p>", 1)[0]
        assert "&#39;check&#39; is given 2 times: the page reads the first one only" in notice

    def test_a_long_name_is_cut_and_says_so(self, served):
        page = get(served, "/ui/?" + "x" * 65 + "=1", headers=BEARER).text
        notice = page.split('id="ignored-params"', 1)[1].split("</p>", 1)[0]
        assert "&#39;" + "x" * 64 + "&#39;... is not a parameter" in notice  # was the cut name, as if whole

    def test_the_sign_in_page_shows_no_text_a_link_made_up(self, served):
        # Was "Ignored: 'Session expired: paste your token at evil.example' is not a parameter...", in red, above
        # the token field.
        page = get(served, "/ui/login?next=/ui/&Session+expired:+paste+your+token+at+evil.example=").text
        assert "evil.example" not in page
        assert 'id="ignored-params"' not in page

    def test_the_address_without_its_slash_keeps_its_filter(self, served):
        # Was a redirect to /ui/: every answer listed, though the link asked for the check's failures only.
        response = get(served, "/ui?check=error-rate&verdict=fail&limit=5", headers=BEARER)
        assert response.status_code == 301
        assert response.headers["Location"] == "/ui/?check=error-rate&verdict=fail&limit=5"
        assert get(served, "/ui", headers=BEARER).headers["Location"] == "/ui/"

    def test_the_parameters_a_page_reads_are_not_named(self, served):
        assert 'id="ignored-params"' not in get(served, "/ui/?check=error-rate&verdict=pass", headers=BEARER).text
        assert 'id="ignored-params"' not in get(served, "/ui/login?next=/ui/").text

    def test_a_misspelt_at_on_a_run_link_is_named_on_the_form(self, served, prometheus):
        # `att=` is an arg the check does not declare: refused, and the form must say why, not just show itself.
        page = get(served, f"/ui/checks/error-rate/run?canary_hash=broken1&att={prometheus.anchor}", headers=BEARER)
        assert page.status_code == 400
        assert "undeclared arg &#39;att&#39; (declared params: canary_hash)" in page.text


class TestArgsThatAreNotText:
    """A page's args and form that are not UTF-8 text get a 400 naming the problem, as the API's args do."""

    FORM = "application/x-www-form-urlencoded"

    def form_post(self, served, body: bytes, content_type: str = FORM):
        headers = {**BEARER, "Origin": served.url, "Content-Type": content_type}
        return post(served, "/ui/checks/error-rate/run", data=body, headers=headers)

    def test_a_link_with_bytes_that_are_not_utf8(self, served):
        # Before: the check ran with U+FFFD in its query and the page showed an ERROR verdict, recorded in the
        # history and counted in the metrics as the check's error.
        page = get(served, "/ui/checks/error-rate/run?canary_hash=%ff%fe", headers=BEARER)
        assert page.status_code == 400
        assert "arg &#39;canary_hash&#39; is not valid UTF-8" in page.text

    @pytest.mark.parametrize(
        ("body", "content_type", "said"),
        [
            (b"canary_hash=%ff%fe", FORM, "arg &#39;canary_hash&#39; is not valid UTF-8"),
            # Before, these three: 500 and a traceback in the log.
            (b"canary_hash=\xff\xfe", FORM, "the form is not text in its charset (UTF-8 unless it names one)"),
            (
                b"canary_hash=healthy1",
                FORM + "; charset=no-such-charset",
                "the form names a charset that is not known; send it as UTF-8",
            ),
            (
                b'--b\r\nContent-Disposition: form-data; name="canary_hash"\r\n\r\nx\xff\r\n--b--\r\n',
                "multipart/form-data; boundary=b",
                "the form is not text in its charset (UTF-8 unless it names one)",
            ),
        ],
    )
    def test_a_form(self, served, body, content_type, said):
        page = self.form_post(served, body, content_type)
        assert page.status_code == 400
        assert said in page.text

    def test_a_compressed_form_is_refused_naming_its_encoding(self, served):
        # The app decodes no body on its own: read as it came, a gzip form's fields were garbage.
        headers = {**BEARER, "Origin": served.url, "Content-Type": self.FORM, "Content-Encoding": "gzip"}
        page = post(served, "/ui/checks/error-rate/run", data=gzip.compress(b"canary_hash=healthy1"), headers=headers)
        assert page.status_code == 400
        assert "a form is not read from Content-Encoding &#39;gzip&#39;; send it without one" in page.text


class TestLoneSurrogates:
    """A lone surrogate a JSON body gave, which the history keeps from its refusal, is shown as its escape."""

    def test_the_pages_listing_its_refusal_are_shown(self, served):
        # Before: the index and the entry's page answered 500 (UnicodeEncodeError) for as long as the history held the
        # refusal: one request made the verdict pages of every check unreadable.
        for body in (b'{"canary_hash": "\\ud800"}', b'{"\\udfff": "x"}'):
            answer = post(
                served,
                "/api/v1/checks/error-rate/run",
                data=body,
                headers={**BEARER, "Content-Type": "application/json"},
            )
            assert answer.status_code == 400 and "lone surrogate" in answer.json()["message"]
        recorded = get(served, "/api/v1/verdicts?check=error-rate&verdict=rejected&limit=2", headers=BEARER).json()
        assert [entry["http_status"] for entry in recorded["entries"]] == [400, 400]
        for path in ["/ui/", *(f"/ui/verdicts/{entry['seq']}" for entry in recorded["entries"])]:
            page = get(served, path, headers=BEARER)
            assert page.status_code == 200, path
            assert "\\ud800" in page.text or "\\udfff" in page.text, path


class TestFormForScreenReaders:
    """A form shown again ties each problem to its field, so a screen reader says it when the field is focused."""

    def test_a_bad_arg_marks_its_field_invalid_and_described_by_the_problem(self, served):
        for name, query, problem in (
            ("canary_hash", "canary_hash=", "missing required arg"),
            ("at", "canary_hash=broken1&at=soon", "soon"),
        ):
            page = get(served, f"/ui/checks/error-rate/run?{query}", headers=BEARER).text
            field = re.search(rf'<input id="arg-{name}"[^>]*>', page).group(0)
            assert 'aria-invalid="true"' in field
            assert f'aria-describedby="hint-{name} problem-{name}"' in field
            assert problem in page.split(f'id="problem-{name}">', 1)[1].split("</span>", 1)[0]

    def test_a_field_without_a_problem_is_described_by_its_hint_only(self, served):
        page = get(served, "/ui/checks/error-rate", headers=BEARER).text
        field = re.search(r'<input id="arg-canary_hash"[^>]*>', page).group(0)
        assert 'aria-describedby="hint-canary_hash"' in field and "aria-invalid" not in field
        assert 'id="hint-canary_hash">label_value, required' in page

    def test_a_history_link_is_named_by_its_verdict_check_args_and_time(self, served, prometheus):
        get(served, f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=BEARER)
        page = get(served, "/ui/?check=error-rate&verdict=fail", headers=BEARER).text
        assert re.search(
            r'aria-label="FAIL: error-rate \(canary_hash=broken1\), \d{4}-\d\d-\d\dT[0-9:.]+Z">FAIL</a>', page
        )


class TestFormExamples:
    """A field of a param with an `example` shows it, as the API's refusal of a missing arg does; a secret's is not."""

    async def test_the_example_is_the_placeholder(self, aiohttp_client):
        params = {
            "canary_hash": {"type": "label_value", "required": True, "example": "c0ffee1"},
            "window": {"type": "duration", "default": "5m", "example": "10m"},
            "token": {"type": "label_value", "required": True, "secret": True, "min_length": 8, "example": "s3cr3t-ex"},
        }
        check = {
            "name": "shown",
            "kind": "prometheus",
            "params": params,
            "query": 'sum(rate(up{h="{{ canary_hash }}",t="{{ token }}"}[{{ window }}]))',
            "pass_if": "> 0",
        }
        sources = {"default": {"url": "http://127.0.0.1:9"}}
        catalog = build_catalog([("ui.yaml", {"sources": sources, "checks": [check]})], Registry.default())
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        page = await (await client.get("/ui/checks/shown")).text()
        fields = {name: re.search(rf'<input id="arg-{name}"[^>]*>', page).group(0) for name in params}
        # A newcomer trying a check in the form was told the value's form only once it came back refused.
        assert 'placeholder="e.g. c0ffee1"' in fields["canary_hash"]
        assert 'placeholder="default 5m"' in fields["window"]
        assert 'placeholder=""' in fields["token"] and "s3cr3t-ex" not in page


class TestTheMemberOfAMemberDecided:
    """A member of a composite's member says whether it decided that member's verdict, naming it: not the verdict of
    the composite whose page linked it."""

    @pytest.fixture
    async def client(self, aiohttp_client, prometheus, tmp_path):
        """`outer` passes when one member passes: `inner`, which fails with its member error-rate on broken1, or
        error-rate on healthy1."""
        tokens = tmp_path / "tokens"
        tokens.mkdir()
        (tokens / "sre").write_text(TOKEN)
        chosen = [c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate"]
        chosen += [
            {
                "name": "inner",
                "kind": "composite",
                "members": [{"check": "error-rate", "args": {"canary_hash": "broken1"}}],
            },
            {
                "name": "outer",
                "kind": "composite",
                "mode": "any",
                "members": [{"check": "inner"}, {"check": "error-rate", "args": {"canary_hash": "healthy1"}}],
            },
        ]
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump({"sources": {"default": {"url": prometheus.url}}, "checks": chosen}))
        settings = Settings(auth_tokens=tokens, catalog=path, catalog_poll_s=0)
        return await aiohttp_client(create_app(settings, load_catalog(path, Registry.default()), Registry.default()))

    async def test_its_page_names_the_member_whose_verdict_it_decided(self, client, prometheus):
        ran = await client.get(f"/api/v1/checks/outer/run?at={prometheus.anchor}", headers=BEARER)
        body = await ran.json()
        assert body["verdict"] == "pass", body["reason"]
        at = body["ui_url"].rsplit("at=", 1)[1]
        page = await (await client.get(f"/ui/checks/error-rate/run?canary_hash=broken1&at={at}", headers=BEARER)).text()
        assert 'id="member-of">outer (verdict' in page
        # Before: "This member decided its composite's verdict", under a link to outer, which passed.
        assert (
            '<p id="decided">This member decided the verdict of composite inner, a member of outer: it failed, and all '
            "must pass.</p>"
        ) in page
        page = await (
            await client.get(f"/ui/checks/error-rate/run?canary_hash=healthy1&at={at}", headers=BEARER)
        ).text()
        assert '<p id="decided">This member decided its composite\'s verdict: it passed, and one must pass.</p>' in page
