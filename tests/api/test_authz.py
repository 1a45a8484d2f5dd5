"""One service, several teams: with the allow-list, a team's token neither sees nor runs what belongs to
another team, through any route (API, verdict pages, history, readiness)."""

from __future__ import annotations

import asyncio
import html
import re

import pytest
import yaml
from structlog.testing import capture_logs

from analyzer.appkeys import LIVE
from analyzer.auth import TokenStore
from analyzer.catalog import load_catalog
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatecatalog import REGISTRY
from tests.gatekind import GATES, Gate

TOKEN_A = "team-a-" + "a" * 40
TOKEN_B = "team-b-" + "b" * 40
TOKEN_SRE = "sre-" + "s" * 40
CHECKS = [
    {"name": "a-gate", "kind": "gate", "gate": "g"},
    {"name": "b-gate", "kind": "gate", "gate": "g", "outcome": "fail"},
    # Named as team A's, but it runs team B's check: its answer carries b-gate's verdict and reason.
    {"name": "a-scorecard", "kind": "composite", "members": [{"check": "a-gate"}, {"check": "b-gate"}]},
    {"name": "a-own", "kind": "composite", "members": [{"check": "a-gate"}]},
    # Runs b-gate through a member of its own.
    {"name": "a-deep", "kind": "composite", "members": [{"check": "a-own"}, {"check": "a-scorecard"}]},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(tmp_path):
    root = tmp_path / "tokens"
    root.mkdir()
    for name, token in (("team-a", TOKEN_A), ("team-b", TOKEN_B), ("sre", TOKEN_SRE)):
        (root / name).write_text(token)
    allow = tmp_path / "allow.yaml"
    allow.write_text('team-a: ["a-*"]\nteam-b: ["b-*"]\nsre: ["*"]\n')
    return Settings(auth_tokens=root, auth_allow=allow, catalog=tmp_path / "catalog.yaml", catalog_poll_s=0)


@pytest.fixture
async def client(aiohttp_client, auth, gate):
    gate.open()
    catalog = load_catalog_of(auth, CHECKS)
    return await aiohttp_client(create_app(auth, catalog, REGISTRY))


def load_catalog_of(settings: Settings, checks: list[dict]):
    path = settings.catalog
    path.write_text(yaml.safe_dump({"checks": checks}))
    return load_catalog(path, REGISTRY)


def origin(client) -> dict[str, str]:
    return {"Origin": f"http://{client.server.host}:{client.server.port}"}


class TestMembersOfAnotherTeam:
    """A check whose evaluation runs another team's check (a composite's member) is that team's too: a token
    that may not use the member may neither run the composite nor read it anywhere."""

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/checks/a-scorecard/run"),
            ("GET", "/api/v1/checks/a-scorecard/run?format=text"),
            ("GET", "/api/v1/checks/a-scorecard/run?explain=true"),
            ("GET", "/api/v1/checks/a-scorecard/run?at=2026-12-01T00:00:00Z"),
            ("POST", "/api/v1/checks/a-scorecard/run"),
            ("GET", "/api/v1/checks/a-scorecard"),
            ("GET", "/ui/checks/a-scorecard"),
            ("GET", "/ui/checks/a-scorecard/run"),
            ("GET", "/ui/checks/a-scorecard/run?at=2026-12-01T00:00:00Z"),
            ("POST", "/ui/checks/a-scorecard/run"),
        ],
    )
    async def test_running_or_reading_it_is_forbidden_and_evaluates_nothing(self, client, gate, method, path):
        answer = await client.request(method, path, headers=bearer(TOKEN_A) | origin(client))
        text = html.unescape(await answer.text())
        assert answer.status == 403, text
        assert "may not use check 'b-gate', which 'a-scorecard' runs" in text
        assert "gate g opened" not in text and "members" not in text
        assert gate.entered == 0

    async def test_a_member_of_a_member_counts_too(self, client, gate):
        answer = await client.get("/api/v1/checks/a-deep/run", headers=bearer(TOKEN_A))
        assert answer.status == 403
        assert "may not use check 'b-gate', which 'a-deep' runs" in (await answer.json())["message"]
        assert gate.entered == 0

    async def test_the_403_names_the_member_its_definition_names(self, aiohttp_client, auth, gate):
        # Team B's composite runs b-gate: team A wrote b-zcard in a-over-b, never b-gate (a name its listings hide).
        b_card = {"name": "b-zcard", "kind": "composite", "members": [{"check": "b-gate"}]}
        a_over_b = {"name": "a-over-b", "kind": "composite", "members": [{"check": "b-zcard"}]}
        client = await aiohttp_client(create_app(auth, load_catalog_of(auth, [*CHECKS, b_card, a_over_b]), REGISTRY))
        for path in ("/api/v1/checks/a-over-b/run", "/api/v1/checks/a-over-b"):
            answer = await client.get(path, headers=bearer(TOKEN_A))
            message = (await answer.json())["message"]
            assert answer.status == 403 and "may not use check 'b-zcard', which 'a-over-b' runs" in message
            assert "b-gate" not in message
        assert gate.entered == 0

    async def test_listings_leave_it_out(self, client):
        listed = await (await client.get("/api/v1/checks", headers=bearer(TOKEN_A))).json()
        assert [c["name"] for c in listed["checks"]] == ["a-gate", "a-own"]
        document = await (await client.get("/api/v1/openapi.json", headers=bearer(TOKEN_A))).text()
        assert "a-own" in document and "a-scorecard" not in document and "a-deep" not in document
        index = await (await client.get("/ui/", headers=bearer(TOKEN_A))).text()
        assert "a-own" in index and "a-scorecard" not in index

    async def test_its_recorded_answers_are_not_shown(self, client):
        ran = await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_SRE))
        assert ran.status == 200 and "b-gate fail" in (await ran.json())["reason"]
        history = await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_A))).json()
        assert history["entries"] == []
        seq = (await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_SRE))).json())["entries"][0]["seq"]
        page = await client.get(f"/ui/verdicts/{seq}", headers=bearer(TOKEN_A))
        assert page.status == 404 and "b-gate" not in await page.text()

    async def test_its_metrics_are_not_shown(self, client):
        assert (await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_SRE))).status == 200
        assert (await client.get("/api/v1/checks/a-own/run", headers=bearer(TOKEN_A))).status == 200
        everything = await (await client.get("/metrics", headers=bearer(TOKEN_SRE))).text()
        assert 'analyzer_evaluations_total{check="a-scorecard",verdict="fail"} 1.0' in everything
        restricted = await (await client.get("/metrics", headers=bearer(TOKEN_A))).text()
        assert 'analyzer_evaluations_total{check="a-own",verdict="pass"} 1.0' in restricted
        assert "a-scorecard" not in restricted
        # Restricted or not, Prometheus' text format, which a scraper reads by its content type.
        for token in (TOKEN_SRE, TOKEN_A):
            assert (await client.get("/metrics", headers=bearer(token))).content_type == "text/plain"

    async def test_a_composite_of_its_own_checks_runs(self, client):
        answer = await client.get("/api/v1/checks/a-own/run", headers=bearer(TOKEN_A))
        assert answer.status == 200 and (await answer.json())["verdict"] == "pass"

    async def test_a_token_allowed_every_member_runs_it(self, client):
        answer = await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_SRE))
        assert answer.status == 200 and (await answer.json())["verdict"] == "fail"


class TestOpenAPIDocumentPerCaller:
    """The OpenAPI document is built once per catalog and set of checks a caller may see: each token reads its own,
    and a reload's catalog is described anew."""

    async def test_each_token_reads_the_document_of_its_own_checks(self, client):
        async def run_routes(token: str) -> list[str]:
            document = await (await client.get("/api/v1/openapi.json", headers=bearer(token))).json()
            return sorted(path for path in document["paths"] if path.endswith("/run"))

        everything = await run_routes(TOKEN_SRE)
        assert [path.split("/")[4] for path in everything] == ["a-deep", "a-gate", "a-own", "a-scorecard", "b-gate"]
        # Asked after another token's, and again: never the other's document.
        for _ in range(2):
            assert await run_routes(TOKEN_A) == ["/api/v1/checks/a-gate/run", "/api/v1/checks/a-own/run"]
            assert await run_routes(TOKEN_B) == ["/api/v1/checks/b-gate/run"]
            assert await run_routes(TOKEN_SRE) == everything

    async def test_a_reload_is_described_anew(self, aiohttp_client, auth):
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        before = await (await client.get("/api/v1/openapi.json", headers=bearer(TOKEN_A))).json()
        assert "/api/v1/checks/a-new/run" not in before["paths"]
        load_catalog_of(auth, [*CHECKS, {"name": "a-new", "kind": "gate", "gate": "g"}])
        assert await app[LIVE].reload("test") == "reloaded"
        after = await (await client.get("/api/v1/openapi.json", headers=bearer(TOKEN_A))).json()
        assert "/api/v1/checks/a-new/run" in after["paths"]
        assert after["info"]["description"] != before["info"]["description"]


class TestHistoryAcrossReloads:
    """An answer is kept with the checks its evaluation ran: a reload that drops a composite's member of another
    team does not open the answers it carried that member's verdict and reason in."""

    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_an_answer_that_ran_another_teams_member_stays_hidden(self, aiohttp_client, auth, gate, method):
        gate.open()
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        # Asked through the API, or through the run form of the verdict pages.
        path = "/api/v1/checks/a-scorecard/run" if method == "GET" else "/ui/checks/a-scorecard/run"
        ran = await client.request(method, path, headers=bearer(TOKEN_SRE) | origin(client))
        assert ran.status == 200 and "b-gate fail" in html.unescape(await ran.text())
        own = {"name": "a-scorecard", "kind": "composite", "members": [{"check": "a-gate"}]}
        load_catalog_of(auth, [c for c in CHECKS if c["name"] not in ("a-scorecard", "a-deep")] + [own])
        assert await app[LIVE].reload("test") == "reloaded"
        assert (await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_A))).status == 200
        history = await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_A))).json()
        assert [e["verdict"] for e in history["entries"]] == ["pass"]
        assert "b-gate" not in str(history)
        assert "b-gate" not in await (await client.get("/ui/?check=a-scorecard", headers=bearer(TOKEN_A))).text()
        everything = await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_SRE))).json()
        first = everything["entries"][-1]["seq"]
        page = await client.get(f"/ui/verdicts/{first}", headers=bearer(TOKEN_A))
        assert page.status == 404 and "b-gate" not in await page.text()


class TestMetricsAcrossReloads:
    """A composite's series count the evaluations of every definition it had: once one ran another team's check,
    they stay hidden from a token that may not use that check, after a reload drops the member or the composite."""

    @pytest.mark.parametrize("reloaded", ["own members only", "composite removed"])
    async def test_counts_that_carried_another_teams_verdict_stay_hidden(self, aiohttp_client, auth, gate, reloaded):
        gate.open()
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        assert (await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_SRE))).status == 200
        assert (await client.get("/api/v1/checks/a-own/run", headers=bearer(TOKEN_A))).status == 200
        kept = [c for c in CHECKS if c["name"] not in ("a-scorecard", "a-deep")]
        if reloaded == "own members only":
            kept.append({"name": "a-scorecard", "kind": "composite", "members": [{"check": "a-gate"}]})
        load_catalog_of(auth, kept)
        assert await app[LIVE].reload("test") == "reloaded"
        # The fail came from b-gate: read by team A, it would say how team B's check went.
        restricted = await (await client.get("/metrics", headers=bearer(TOKEN_A))).text()
        assert "a-scorecard" not in restricted
        assert 'analyzer_evaluations_total{check="a-own",verdict="pass"} 1.0' in restricted
        everything = await (await client.get("/metrics", headers=bearer(TOKEN_SRE))).text()
        assert 'analyzer_evaluations_total{check="a-scorecard",verdict="fail"} 1.0' in everything

    async def test_an_evaluation_in_flight_across_the_reload_counts_too(self, aiohttp_client, auth, gate):
        """Held at b-gate while the reload drops it, its verdict lands in the series after the swap, while another
        request still holds the previous catalog, and after that catalog is retired."""
        slow = GATES["slow"] = Gate()
        try:
            slow_check = {"name": "a-slow", "kind": "gate", "gate": "slow"}
            app = create_app(auth, load_catalog_of(auth, [*CHECKS, slow_check]), REGISTRY)
            client = await aiohttp_client(app)
            holding = asyncio.ensure_future(client.get("/api/v1/checks/a-slow/run", headers=bearer(TOKEN_A)))
            await slow.wait_entered(1)
            held = asyncio.ensure_future(client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_SRE)))
            await gate.wait_entered(2)
            own = {"name": "a-scorecard", "kind": "composite", "members": [{"check": "a-gate"}]}
            kept = [c for c in CHECKS if c["name"] not in ("a-scorecard", "a-deep")]
            load_catalog_of(auth, [*kept, own, slow_check])
            assert await app[LIVE].reload("test") == "reloaded"
            gate.open()
            assert (await held).status == 200
            restricted = await (await client.get("/metrics", headers=bearer(TOKEN_A))).text()
            assert "a-scorecard" not in restricted
            slow.open()
            assert (await holding).status == 200
            await app[LIVE].drain()
            restricted = await (await client.get("/metrics", headers=bearer(TOKEN_A))).text()
            assert "a-scorecard" not in restricted and 'check="a-slow"' in restricted
        finally:
            slow.open()
            GATES.pop("slow", None)

    async def test_a_composite_fixed_before_it_ran_another_teams_check_is_shown(self, aiohttp_client, auth, gate):
        """Team A's composite over b-gate was refused (403) and never ran: once fixed, its series are A's own."""
        gate.open()
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        assert (await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_A))).status == 403
        own = {"name": "a-scorecard", "kind": "composite", "members": [{"check": "a-gate"}]}
        load_catalog_of(auth, [c for c in CHECKS if c["name"] not in ("a-scorecard", "a-deep")] + [own])
        assert await app[LIVE].reload("test") == "reloaded"
        await app[LIVE].drain()
        assert (await client.get("/api/v1/checks/a-scorecard/run", headers=bearer(TOKEN_A))).status == 200
        restricted = await (await client.get("/metrics", headers=bearer(TOKEN_A))).text()
        assert 'analyzer_evaluations_total{check="a-scorecard",verdict="pass"} 1.0' in restricted


class TestHistoryShare:
    """The verdict history is shared fairly between tokens: one team flooding the run endpoint (its answers, or
    requests refused for a bad arg) cannot push another team's answers out of it."""

    @pytest.mark.parametrize("flood", ["/api/v1/checks/b-gate/run", "/api/v1/checks/b-gate/run?unknown=1"])
    async def test_a_flood_by_one_token_keeps_another_tokens_entries(self, aiohttp_client, auth, gate, flood):
        gate.open()
        client = await aiohttp_client(
            create_app(auth.model_copy(update={"history_size": 6}), load_catalog_of(auth, CHECKS), REGISTRY)
        )
        page = await client.get("/ui/checks/a-gate/run", headers=bearer(TOKEN_A))
        assert page.status == 200
        assert (await client.get("/api/v1/checks/a-gate/run", headers=bearer(TOKEN_A))).status == 200
        for _ in range(20):
            await client.get(flood, headers=bearer(TOKEN_B))
        history = await (await client.get("/api/v1/verdicts?limit=6", headers=bearer(TOKEN_SRE))).json()
        assert [e["client"] for e in history["entries"]] == ["team-b"] * 4 + ["team-a"] * 2
        own = await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_A))).json()
        assert [e["verdict"] for e in own["entries"]] == ["pass", "pass"]


class TestReadinessAcrossTeams:
    """A rejected catalog reload names the broken check and quotes its definition: /readyz shows a restricted
    token the problems of its own checks only, as it does warnings."""

    async def problems_seen(self, aiohttp_client, auth, added, tokens):
        """The reload problems each token reads in /readyz after the catalog plus `added` is rejected."""
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        auth.catalog.write_text(yaml.safe_dump({"checks": [*CHECKS, *added]}))
        assert await app[LIVE].reload("test") == "rejected"
        seen = {}
        for token in tokens:
            body = await (await client.get("/readyz", headers=bearer(token))).json()
            assert body["catalog"]["reload_failing"] is True
            seen[token] = " ".join(body["catalog"]["last_error"]["problems"])
        return seen

    async def test_another_teams_reload_problem_is_not_shown(self, aiohttp_client, auth, gate):
        added = [{"name": "b-broken", "kind": "composite", "members": [{"check": "b-private-name"}]}]
        seen = await self.problems_seen(aiohttp_client, auth, added, (TOKEN_A, TOKEN_B, TOKEN_SRE))
        assert "b-broken" not in seen[TOKEN_A] and "b-private-name" not in seen[TOKEN_A]
        assert "b-private-name" in seen[TOKEN_B] and "b-private-name" in seen[TOKEN_SRE]

    async def test_a_misspelt_member_does_not_suggest_another_teams_check(self, aiohttp_client, auth, gate):
        added = [
            {"name": "a-typo", "kind": "composite", "members": [{"check": "b-gatf"}]},
            {"name": "a-own-typo", "kind": "composite", "members": [{"check": "a-gatf"}]},
        ]
        seen = await self.problems_seen(aiohttp_client, auth, added, (TOKEN_A, TOKEN_SRE))
        assert "no check named 'b-gatf' in the catalog" in seen[TOKEN_A] and "b-gate" not in seen[TOKEN_A]
        assert "no check named 'a-gatf' in the catalog; did you mean 'a-gate'?" in seen[TOKEN_A]
        assert "no check named 'b-gatf' in the catalog; did you mean 'b-gate'?" in seen[TOKEN_SRE]

    async def test_a_cycle_through_another_teams_composites_is_not_spelt_out(self, aiohttp_client, auth, gate):
        added = [
            {"name": "b-loop", "kind": "composite", "members": [{"check": "b-private-loop"}]},
            {"name": "b-private-loop", "kind": "composite", "members": [{"check": "b-loop"}]},
            {"name": "a-over-loop", "kind": "composite", "members": [{"check": "b-loop"}]},
            {"name": "a-loop", "kind": "composite", "members": [{"check": "a-other-loop"}]},
            {"name": "a-other-loop", "kind": "composite", "members": [{"check": "a-loop"}]},
        ]
        seen = await self.problems_seen(aiohttp_client, auth, added, (TOKEN_A, TOKEN_SRE))
        assert "check 'a-over-loop'" in seen[TOKEN_A] and "members form a cycle" in seen[TOKEN_A]
        assert "b-private-loop" not in seen[TOKEN_A]
        # Each problem names the line its check starts at in the catalog file.
        assert re.search(
            r"check 'a-loop' \(line \d+\): members form a cycle: a-loop -> a-other-loop -> a-loop", seen[TOKEN_A]
        )
        assert re.search(
            r"check 'a-over-loop' \(line \d+\): members form a cycle: b-loop -> b-private-loop -> b-loop",
            seen[TOKEN_SRE],
        )

    async def test_a_cycle_through_its_own_and_another_teams_checks_is_not_spelt_out(self, aiohttp_client, auth, gate):
        added = [
            {"name": "a-mixed-loop", "kind": "composite", "members": [{"check": "b-mixed-loop"}]},
            {"name": "b-mixed-loop", "kind": "composite", "members": [{"check": "a-mixed-loop"}]},
        ]
        seen = await self.problems_seen(aiohttp_client, auth, added, (TOKEN_A, TOKEN_SRE))
        assert "check 'a-mixed-loop'" in seen[TOKEN_A] and "members form a cycle" in seen[TOKEN_A]
        assert "b-mixed-loop" not in seen[TOKEN_A]
        assert "b-mixed-loop" in seen[TOKEN_SRE]

    async def test_a_members_params_are_not_read_from_another_teams_check(self, aiohttp_client, auth, gate):
        """Team A's composite over team B's check names the member it wrote, not what B's definition declares."""
        b_params = {
            "b_private_param": {"type": "identifier", "required": True},
            "b_colour": {"type": "enum", "values": ["b-blue", "b-green"], "default": "b-blue"},
        }
        a_params = {"a_only": {"type": "identifier", "required": True}}
        added = [
            {"name": "b-typed", "kind": "gate", "gate": "g", "params": b_params},
            {"name": "a-typed", "kind": "gate", "gate": "g", "params": a_params},
            # An arg B's check does not declare, a required param left out, a value its enum refuses.
            {"name": "a-undeclared", "kind": "composite", "members": [{"check": "b-typed", "args": {"nope": "x"}}]},
            {"name": "a-unmapped", "kind": "composite", "members": [{"check": "b-typed"}]},
            {
                "name": "a-refused",
                "kind": "composite",
                "members": [{"check": "b-typed", "args": {"b_private_param": "x", "b_colour": "red"}}],
            },
            {"name": "a-own-undeclared", "kind": "composite", "members": [{"check": "a-typed", "args": {"no": "x"}}]},
        ]
        seen = await self.problems_seen(aiohttp_client, auth, added, (TOKEN_A, TOKEN_SRE))
        for composite in ("a-undeclared", "a-unmapped", "a-refused"):
            assert re.search(
                rf"check '{composite}' \(line \d+\): members\[0\] \('b-typed'\): the args mapped to it do not fit",
                seen[TOKEN_A],
            )
        assert "b_private_param" not in seen[TOKEN_A] and "b-blue" not in seen[TOKEN_A]
        assert "arg 'no' is not a param of 'a-typed' (its params: a_only)" in seen[TOKEN_A]
        assert "arg 'nope' is not a param of 'b-typed' (its params: b_colour, b_private_param)" in seen[TOKEN_SRE]
        assert "b-blue" in seen[TOKEN_SRE]


class TestRefusalsAcrossTeams:
    """A refused attempt on another team's check is kept in the history, where that team sees it without the
    identity of the token that tried (its message names the token)."""

    async def test_the_other_team_does_not_learn_who_tried(self, client):
        refused = await client.get("/api/v1/checks/b-gate/run", headers=bearer(TOKEN_A))
        assert refused.status == 403 and "team-a" in (await refused.json())["message"]
        (seen_by_b,) = (await (await client.get("/api/v1/verdicts", headers=bearer(TOKEN_B))).json())["entries"]
        assert seen_by_b["verdict"] == "rejected" and seen_by_b["error"] == "forbidden"
        assert "team-a" not in str(seen_by_b) and "may not use this check" in seen_by_b["reason"]
        assert "team-a" not in await (await client.get("/ui/", headers=bearer(TOKEN_B))).text()

    async def test_a_problem_naming_no_check_is_shown_to_a_token_allowed_every_check(self, aiohttp_client, auth, gate):
        app = create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY)
        client = await aiohttp_client(app)
        auth.catalog.write_text("checks: [{name: a-gate, kind: gate, gate: g}\n")
        assert await app[LIVE].reload("test") == "rejected"
        for token, shown in ((TOKEN_SRE, True), (TOKEN_A, False)):
            body = await (await client.get("/readyz", headers=bearer(token))).json()
            assert bool(body["catalog"]["last_error"]["problems"]) is shown


class TestBrowserSession:
    """The login cookie is a sign-in signed with one team's token: it opens that team's pages only, stops at the
    next page once the token is removed, and a page of another site cannot post the run form with it."""

    async def login(self, client, token: str) -> dict[str, str]:
        answer = await client.post("/ui/login", data={"token": token}, headers=origin(client), allow_redirects=False)
        assert answer.status == 303
        return {"analyzer_token": answer.cookies["analyzer_token"].value}

    async def test_the_cookie_opens_its_teams_pages_only(self, client):
        cookie = await self.login(client, TOKEN_A)
        assert (await client.get("/ui/checks/a-gate", cookies=cookie)).status == 200
        assert (await client.get("/ui/checks/b-gate/run", cookies=cookie)).status == 403

    async def test_a_removed_token_stops_at_the_next_page(self, client, auth):
        cookie = await self.login(client, TOKEN_A)
        assert (await client.get("/ui/", cookies=cookie, allow_redirects=False)).status == 200
        (auth.auth_tokens / "team-a").unlink()
        page = await client.get("/ui/", cookies=cookie, allow_redirects=False)
        assert page.status == 303 and page.headers["Location"].startswith("/ui/login")

    async def test_the_cookie_is_not_the_token_and_does_not_pass_for_one(self, client):
        """A cookie store, a proxy log or an extension that reads the cookie holds no credential for the API."""
        cookie = await self.login(client, TOKEN_A)
        value = cookie["analyzer_token"]
        assert TOKEN_A not in value
        for path in ("/api/v1/checks", "/ui/checks/a-gate"):
            assert (await client.get(path, headers=bearer(value))).status == 401
        assert (await client.get("/api/v1/checks", cookies=cookie)).status == 401

    async def test_a_cookie_from_before_signed_sign_ins_sends_the_browser_to_sign_in_again(self, client):
        """Up to this release the cookie held the token itself: it is refused, and the browser forgets it."""
        page = await client.get("/ui/", cookies={"analyzer_token": TOKEN_A}, allow_redirects=False)
        assert page.status == 303 and page.headers["Location"].startswith("/ui/login")
        assert page.cookies["analyzer_token"].value == "" and page.cookies["analyzer_token"]["max-age"] == "0"
        posted = await client.post("/ui/checks/a-gate/run", cookies={"analyzer_token": TOKEN_A}, headers=origin(client))
        assert posted.status == 401

    async def test_a_token_configuration_problem_signs_nobody_out(self, client, auth):
        """An allow-list that cannot be read refuses every page until it is fixed; the browser keeps its sign-in for
        after."""
        cookie = await self.login(client, TOKEN_A)
        good = auth.auth_allow.read_text()
        auth.auth_allow.write_bytes(b"\xff\xfe")
        page = await client.get("/ui/", cookies=cookie, allow_redirects=False)
        assert page.status == 303 and page.headers["Location"].startswith("/ui/login")
        assert "analyzer_token" not in page.cookies
        auth.auth_allow.write_text(good)
        assert (await client.get("/ui/", cookies=cookie, allow_redirects=False)).status == 200

    async def test_sign_out_clears_the_cookie(self, client):
        await self.login(client, TOKEN_A)
        answer = await client.post("/ui/logout", headers=origin(client), allow_redirects=False)
        assert answer.status == 303
        assert answer.cookies["analyzer_token"].value == "" and answer.cookies["analyzer_token"]["max-age"] == "0"

    async def test_sign_out_ends_the_sign_in_and_a_copy_of_its_cookie(self, client):
        copied = await self.login(client, TOKEN_A)
        other = await self.login(client, TOKEN_A)  # another browser with the same token, signed in the same second
        assert (
            await client.post("/ui/logout", cookies=copied, headers=origin(client), allow_redirects=False)
        ).status == 303
        client.session.cookie_jar.clear()
        page = await client.get("/ui/", cookies=copied, allow_redirects=False)
        assert page.status == 303 and page.headers["Location"].startswith("/ui/login")
        assert (await client.get("/ui/", cookies=other, allow_redirects=False)).status == 200

    @pytest.mark.parametrize("foreign", [{}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/"}])
    async def test_another_site_cannot_post_the_run_form(self, client, gate, foreign):
        cookie = await self.login(client, TOKEN_A)
        answer = await client.post("/ui/checks/a-gate/run", cookies=cookie, headers=foreign)
        assert answer.status == 403
        assert gate.entered == 0


class TestSharedTokens:
    """Two callers' files holding one token make its holders act as the last of them (with its allow-list
    entry): the analyzer says so whenever it reads the files."""

    def test_a_token_under_two_names_is_logged(self, auth):
        (auth.auth_tokens / "team-b").write_text(TOKEN_A + "\n")
        with capture_logs() as logs:
            store = TokenStore(auth.auth_tokens, auth.auth_allow)
        shared = [(e["token"], e["same_as"]) for e in logs if e["event"] == "auth_token_shared"]
        assert shared == [("team-b", "team-a")]
        assert store.authenticate([f"Bearer {TOKEN_A}"]).name == "team-b"

    def test_distinct_tokens_are_not(self, auth):
        with capture_logs() as logs:
            TokenStore(auth.auth_tokens, auth.auth_allow)
        assert [e for e in logs if e["event"] == "auth_token_shared"] == []


class TestAuthProblemsInReadiness:
    """/readyz names what leaves the tokens usable but not as configured: a token file ignored, an allow-list that
    does not validate, to a token allowed every check; others read how many."""

    async def test_an_ignored_token_file_is_named(self, aiohttp_client, auth, gate):
        (auth.auth_tokens / "team-c").write_text(f"{'c' * 40}\n{'d' * 40}\n")  # two lines: no bearer token
        client = await aiohttp_client(create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY))
        body = await (await client.get("/readyz", headers=bearer(TOKEN_SRE))).json()
        assert body["auth"]["usable"] is True
        assert body["auth"]["problems"] == [
            "token file 'team-c' ignored: it holds 2 tokens, and a file holds one: for two during a rotation, give a "
            "directory with one file per token (a Secret's keys)"
        ]
        assert (await (await client.get("/readyz")).json())["auth"]["problems"] == 1
        assert (await (await client.get("/readyz", headers=bearer(TOKEN_A))).json())["auth"]["problems"] == 1

    async def test_an_allow_list_broken_on_reload_keeps_argo_running(self, aiohttp_client, auth, gate):
        client = await aiohttp_client(create_app(auth, load_catalog_of(auth, CHECKS), REGISTRY))
        # Team B's typo: every caller, team A's Argo included, was refused 401.
        auth.auth_allow.write_text('team-a: ["a-*"]\nteam-b: ["b-*"\nsre: ["*"]\n')
        gate.open()
        assert (await client.get("/api/v1/checks/a-gate/run", headers=bearer(TOKEN_A))).status == 200
        assert (await client.get("/api/v1/checks/b-gate/run", headers=bearer(TOKEN_B))).status == 403
        body = await (await client.get("/readyz", headers=bearer(TOKEN_SRE))).json()
        (problem,) = body["auth"]["problems"]
        assert "line 3" in problem and problem.endswith(
            "in force until it is fixed: the entries of the last good allow-list that it holds unchanged "
            "(sre, team-a); other tokens may use no check"
        )
