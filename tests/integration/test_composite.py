"""composite through the HTTP API, with real prometheus-kind members against the backfilled KPI data
(tests/integration/data_kpi.py) and one member whose source is down."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.fakes import PARTIAL_WARNING, partial_querier
from tests.ports import refused_port

pytestmark = pytest.mark.integration

HASH = {"canary_hash": {"type": "label_value", "required": True}}
SELECTOR = 'service="shop",rollouts_pod_template_hash="{{ canary_hash }}"'
# kpibetter: p95 0.1 s, conversion 15%; kpiequal: 0.2 s, 10%; kpiworse: 0.4 s, 5%.
P95 = f"max(kpi_p95_latency_seconds{{{SELECTOR}}})"
CONVERSION = f"sum(rate(kpi_orders_total{{{SELECTOR}}}[5m])) / sum(rate(kpi_visits_total{{{SELECTOR}}}[5m]))"


def leaf(name: str, query: str, pass_if: str, source: str = "default") -> dict[str, Any]:
    return {"name": name, "kind": "prometheus", "params": HASH, "query": query, "pass_if": pass_if, "source": source}


def member(check: str, **fields: Any) -> dict[str, Any]:
    return {"check": check, "args": {"canary_hash": "{{ canary_hash }}"}, **fields}


def card(name: str, members: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "composite", "params": HASH, "members": members, **fields}


CHECKS = [
    leaf("p95", P95, "< 0.3"),  # better pass, equal pass, worse fail
    leaf("p95-strict", P95, "< 0.05"),  # fails for every variant
    leaf("conversion", CONVERSION, ">= 0.12"),  # better pass, equal fail, worse fail
    leaf("missing", f"max(kpi_no_such_metric{{{SELECTOR}}})", "< 1"),  # inconclusive: no data
    leaf("down", P95, "< 0.3", source="down"),  # error: source unreachable
    card("all", [member("p95"), member("conversion")]),
    card("any", [member("p95-strict"), member("p95")], mode="any"),
    card(
        "score",
        [member("p95", weight=3), member("conversion", weight=1)],
        mode="score",
        pass_score=80,
        warning_score=50,
    ),
    card(
        "score-swapped",
        [member("p95", weight=1), member("conversion", weight=3)],
        mode="score",
        pass_score=80,
        warning_score=50,
    ),
    card(
        "critical",
        [member("conversion", weight=3), member("p95-strict", weight=1, critical=True)],
        mode="score",
        pass_score=50,
    ),
    card(
        "unsure", [member("p95", weight=1), member("missing", weight=1)], mode="score", pass_score=80, warning_score=40
    ),
    card("unsure-all", [member("p95"), member("missing")]),
    card("error-default", [member("p95"), member("down")]),
    card("error-fail", [member("p95"), member("down")], on_member_error="fail"),
    card("error-ignore", [member("p95"), member("down")], on_member_error="ignore"),
    card("error-ignore-any", [member("p95-strict"), member("down")], mode="any", on_member_error="ignore"),
    card("error-critical", [member("p95"), member("down", critical=True)], on_member_error="ignore"),
    card(
        "score-ignore",
        [member("p95", weight=1), member("down", weight=1)],
        mode="score",
        pass_score=80,
        on_member_error="ignore",
    ),
    card(
        "score-ignore-enough",
        [member("p95", weight=3), member("down", weight=1)],
        mode="score",
        pass_score=75,
        on_member_error="ignore",
    ),
    card(
        "score-ignore-lost",
        [member("p95-strict", weight=3), member("down", weight=1)],
        mode="score",
        pass_score=80,
        warning_score=50,
        on_member_error="ignore",
    ),
    card("nested", [member("all"), member("p95")]),
    card("critical-unsure", [member("p95"), member("missing", critical=True)], mode="any"),
    card("all-down", [member("down")], on_member_error="ignore"),
    {
        **leaf("p95-hex", P95, "< 0.3"),
        "params": {"canary_hash": {"type": "label_value", "required": True, "pattern": "[a-f0-9]+"}},
    },
    card("strict-fail", [member("p95"), member("p95-hex")], on_member_error="fail"),
    card("strict-ignore", [member("p95"), member("p95-hex")], on_member_error="ignore"),
    # 100 * 0.3 / (0.1 + 0.2 + 0.3) is 49.99999999999999 in float arithmetic.
    card(
        "tenths",
        [member("p95-strict", weight=0.1), member("conversion", weight=0.2), member("p95", weight=0.3)],
        mode="score",
        pass_score=50,
    ),
]


@pytest.fixture
async def client(prometheus, aiohttp_client):
    sources = {
        "default": {"type": "prometheus", "url": prometheus.url},
        "down": {"type": "prometheus", "url": f"http://127.0.0.1:{refused_port()}", "retry": False, "timeout_s": 2},
    }
    catalog = build_catalog([("test", {"sources": sources, "checks": CHECKS})], Registry.default())
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


async def run(client, prometheus, check: str, canary: str, status: int = 200) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/checks/{check}/run",
        params={"canary_hash": canary, "at": str(int(prometheus.anchor)), "explain": "true"},
    )
    assert answer.status == status, await answer.text()
    return await answer.json()


class TestModes:
    """all, any and score combine real member verdicts."""

    @pytest.mark.parametrize(
        ("check", "canary", "verdict"),
        [
            ("all", "kpibetter", "pass"),
            ("all", "kpiequal", "fail"),
            ("any", "kpiequal", "pass"),
            ("any", "kpiworse", "fail"),
            ("score", "kpibetter", "pass"),
            ("score", "kpiequal", "inconclusive"),
            ("score", "kpiworse", "fail"),
            ("score-swapped", "kpiequal", "fail"),
            ("nested", "kpibetter", "pass"),
            ("nested", "kpiequal", "fail"),
        ],
    )
    async def test_verdict(self, client, prometheus, check, canary, verdict):
        body = await run(client, prometheus, check, canary)
        assert body["verdict"] == verdict, body["reason"]

    async def test_weights_make_the_score(self, client, prometheus):
        body = await run(client, prometheus, "score", "kpiequal")
        assert body["value"] == pytest.approx(75.0)
        assert body["threshold"] == 80.0
        assert body["reason"].startswith("score 75 of 100 (pass at 80, inconclusive from 50)")
        swapped = await run(client, prometheus, "score-swapped", "kpiequal")
        assert swapped["value"] == pytest.approx(25.0)

    async def test_a_score_exactly_at_pass_score_passes(self, client, prometheus):
        body = await run(client, prometheus, "tenths", "kpiequal")
        assert [m["verdict"] for m in body["details"]["members"]] == ["fail", "fail", "pass"]
        assert body["verdict"] == "pass", body["reason"]
        assert body["value"] == pytest.approx(50.0)

    async def test_details_have_every_member_verdict(self, client, prometheus):
        body = await run(client, prometheus, "score", "kpiequal")
        members = body["details"]["members"]
        assert [(m["check"], m["verdict"], m["weight"]) for m in members] == [
            ("p95", "pass", 3.0),
            ("conversion", "fail", 1.0),
        ]
        assert members[0]["args"] == {"canary_hash": "kpiequal"}
        assert members[0]["value"] == pytest.approx(0.2)
        assert members[0]["details"]["queries"] == [P95.replace("{{ canary_hash }}", "kpiequal")]

    async def test_inconclusive_members_keep_a_score_from_failing_or_passing(self, client, prometheus):
        body = await run(client, prometheus, "unsure", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert body["details"]["score"] == pytest.approx(50.0)
        assert body["details"]["best_possible_score"] == pytest.approx(100.0)
        assert (await run(client, prometheus, "unsure-all", "kpiequal"))["verdict"] == "inconclusive"


class TestCritical:
    """A failed critical member fails the whole, whatever the score."""

    async def test_critical_failure_overrides_a_passing_score(self, client, prometheus):
        body = await run(client, prometheus, "critical", "kpibetter")
        assert body["verdict"] == "fail"
        assert body["reason"].startswith("critical member 'p95-strict' failed")
        assert [m["verdict"] for m in body["details"]["members"]] == ["pass", "fail"]
        # The score itself would pass: 3 of 4 weights.
        assert body["value"] == pytest.approx(75.0) and body["threshold"] == 50.0

    async def test_an_inconclusive_critical_member_blocks_a_pass(self, client, prometheus):
        body = await run(client, prometheus, "critical-unsure", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert body["reason"].startswith("critical member 'missing' is inconclusive, so no pass yet")


class TestMemberErrors:
    """A member error is an error of the whole unless on_member_error says otherwise; never a silent pass."""

    async def test_error_by_default(self, client, prometheus):
        body = await run(client, prometheus, "error-default", "kpiequal", status=503)
        assert body["verdict"] == "error"
        assert body["error"] == "member_error"
        assert "member 'down' could not be evaluated" in body["reason"]
        assert "p95 pass, down error" in body["reason"]

    async def test_fail_policy_counts_it_as_failed(self, client, prometheus):
        body = await run(client, prometheus, "error-fail", "kpiequal")
        assert body["verdict"] == "fail"
        assert body["details"]["members"][1]["error"] == "source_unavailable"
        # Only a member that errored has an error (mut27: `"error": null` on every member survived).
        assert "error" not in body["details"]["members"][0], body["details"]["members"][0]

    async def test_ignore_policy_counts_it_as_unknown_and_says_so(self, client, prometheus):
        # p95 passes, but the member whose Prometheus is down might have failed: the rollout pauses.
        body = await run(client, prometheus, "error-ignore", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert (body["value"], body["threshold"]) == (1, 2)
        assert body["details"]["ignored"] == ["down"]
        assert body["reason"] == (
            "1 of 2 members pass, all must; member 'down' errored and was ignored as unknown "
            "(on_member_error: ignore): p95 pass, down error"
        )

    async def test_ignore_policy_in_mode_any_cannot_fail_on_the_members_measured(self, client, prometheus):
        body = await run(client, prometheus, "error-ignore-any", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert body["details"]["ignored"] == ["down"]

    async def test_an_ignored_member_keeps_its_weight_as_not_passing(self, client, prometheus):
        body = await run(client, prometheus, "score-ignore", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert body["value"] == pytest.approx(50.0)
        assert body["details"]["best_possible_score"] == pytest.approx(100.0)
        assert body["reason"].startswith(
            "score 50 of 100 (pass at 80; up to 100 if the inconclusive and ignored members pass)"
        )

    async def test_the_measured_members_alone_can_earn_a_pass(self, client, prometheus):
        body = await run(client, prometheus, "score-ignore-enough", "kpiequal")
        assert (body["verdict"], body["value"]) == ("pass", pytest.approx(75.0))

    async def test_an_ignored_member_cannot_rescue_a_failing_scorecard(self, client, prometheus):
        body = await run(client, prometheus, "score-ignore-lost", "kpiequal")
        assert body["verdict"] == "fail"
        assert body["details"]["best_possible_score"] == pytest.approx(25.0)

    async def test_nothing_left_to_judge_follows_no_data(self, client, prometheus):
        body = await run(client, prometheus, "all-down", "kpiequal")
        assert body["verdict"] == "inconclusive"
        assert "every member errored and on_member_error is ignore" in body["reason"]

    @pytest.mark.parametrize("check", ["strict-fail", "strict-ignore"])
    async def test_an_arg_a_member_rejects_is_a_400_not_a_verdict(self, client, prometheus, check):
        body = await run(client, prometheus, check, "kpiequal", status=400)
        assert body["error"] == "bad_arg"
        assert body["arg"] == "canary_hash"
        assert "member 'p95-hex' (members[1]) rejects its args" in body["message"]

    async def test_a_critical_member_is_never_ignored(self, client, prometheus):
        body = await run(client, prometheus, "error-critical", "kpiequal", status=503)
        assert body["verdict"] == "error"
        assert "critical members are never ignored" in body["reason"]


class TestPartialMemberAnswers:
    """A member judged on an answer that may be partial passes no scorecard: its pass counts as inconclusive."""

    @pytest.fixture
    async def partial_client(self, prometheus, aiohttp_client):
        async with partial_querier(prometheus.url) as thanos:
            sources = {"default": {"type": "prometheus", "url": prometheus.url}, "thanos": {"url": thanos}}
            checks = [
                leaf("p95", P95, "< 0.3"),
                leaf("p95-thanos", P95, "< 0.3", source="thanos"),
                card("all", [member("p95"), member("p95-thanos")]),
                card("score", [member("p95", weight=1), member("p95-thanos", weight=1)], mode="score", pass_score=80),
            ]
            catalog = build_catalog([("test", {"sources": sources, "checks": checks})], Registry.default())
            yield await aiohttp_client(create_app(Settings(), catalog, Registry.default()))

    @pytest.mark.parametrize("check", ["all", "score"])
    async def test_a_member_pass_from_a_partial_answer_is_no_pass(self, partial_client, prometheus, check):
        body = await run(partial_client, prometheus, check, "kpiequal")
        assert body["verdict"] == "inconclusive", body["reason"]
        member_reason = next(m["reason"] for m in body["details"]["members"] if m["check"] == "p95-thanos")
        assert f"the answer may be partial ({PARTIAL_WARNING})" in member_reason


class TestMemberBacktestBeforeTheData:
    """A member's reason quoted in the composite's keeps the note that a backtest is older than the source's data."""

    async def test_the_note_is_kept_whole(self, prometheus, aiohttp_client):
        visits = f"sum(rate(kpi_visits_total{{{SELECTOR}}}[5m])) or vector(0)"
        checks = [leaf("visits", visits, "> 1"), card("backtest", [member("visits")])]
        sources = {"default": {"type": "prometheus", "url": prometheus.url}}
        catalog = build_catalog([("test", {"sources": sources, "checks": checks})], Registry.default())
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        answer = await client.get(
            "/api/v1/checks/backtest/run", params={"canary_hash": "kpiequal", "at": "1971-01-01T00:00:00Z"}
        )
        body = await answer.json()
        assert body["error"] == "member_error", body["reason"]
        # It was cut at 160 characters, before the note: a retention read as a misspelled metric name.
        assert (
            "...; evaluated as of 1971-01-01T00:00:00.000Z, a past time: metric kpi_visits_total has series now, so "
            "1971-01-01T00:00:00.000Z is likely before the oldest data the source keeps (its retention) "
            "(on_member_error: error" in body["reason"]
        )
