"""A kind that runs a check its `member_names()` does not declare is refused: the allow-list decides who may
use a check from the names it declares, so a run it never saw must not happen."""

from __future__ import annotations

from typing import Literal

import pytest
import yaml
from structlog.testing import capture_logs

from analyzer.catalog import load_catalog
from analyzer.kinds import Check, EvalContext, Outcome, Verdict
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatekind import GateCheck, GroupCheck

TOKEN_A = "team-a-" + "a" * 40
TOKEN_SRE = "sre-" + "s" * 40


class RelayCheck(Check):
    """A third-party combining kind: runs `runs` and answers the last one's verdict; declares `declares`."""

    kind: Literal["relay"] = "relay"
    runs: list[str]
    declares: list[str] = []

    def member_names(self) -> frozenset[str]:
        return frozenset(self.declares)

    async def evaluate(self, ctx: EvalContext) -> Verdict:
        outcome = Outcome.PASS
        for name in self.runs:
            outcome = (await ctx.run_check(name, {})).verdict
        return Verdict(outcome=outcome, reason=f"relayed {', '.join(self.runs)}")


CHECKS = [
    {"name": "a-gate", "kind": "gate", "gate": "g"},
    {"name": "b-gate", "kind": "gate", "gate": "g", "outcome": "fail"},
    # Team A's name, running team B's check without declaring it: the allow-list sees no member.
    {"name": "a-sneaky", "kind": "relay", "runs": ["b-gate"]},
    {"name": "a-partly", "kind": "relay", "runs": ["a-gate", "b-gate"], "declares": ["a-gate"]},
    {"name": "a-honest", "kind": "relay", "runs": ["a-gate"], "declares": ["a-gate"]},
    {"name": "a-over-b", "kind": "relay", "runs": ["b-gate"], "declares": ["b-gate"]},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(aiohttp_client, tmp_path, gate):
    gate.open()
    root = tmp_path / "tokens"
    root.mkdir()
    (root / "team-a").write_text(TOKEN_A)
    (root / "sre").write_text(TOKEN_SRE)
    allow = tmp_path / "allow.yaml"
    allow.write_text('team-a: ["a-*"]\nsre: ["*"]\n')
    settings = Settings(auth_tokens=root, auth_allow=allow, catalog=tmp_path / "catalog.yaml", catalog_poll_s=0)
    settings.catalog.write_text(yaml.safe_dump({"checks": CHECKS}))
    registry = Registry([GateCheck, GroupCheck, RelayCheck])
    return await aiohttp_client(create_app(settings, load_catalog(settings.catalog, registry), registry))


class TestUndeclaredMembers:
    """run_check of a name the check does not declare is an internal error naming the kind, check and name."""

    @pytest.mark.parametrize("token", [TOKEN_A, TOKEN_SRE])
    async def test_an_undeclared_member_is_not_run(self, client, gate, token):
        with capture_logs() as logs:
            answer = await client.get("/api/v1/checks/a-sneaky/run", headers=bearer(token))
        body = await answer.json()
        assert (answer.status, body["verdict"], body["error"]) == (500, "error", "internal_error")
        assert (
            "kind 'relay' of check 'a-sneaky' ran check 'b-gate', which its member_names() does not return "
            "(declared: none)" in body["reason"]
        )
        assert gate.entered == 0
        assert [log["check"] for log in logs if log["event"] == "check_crashed"] == ["a-sneaky"]

    async def test_declared_members_run_and_an_undeclared_one_stops_the_evaluation(self, client, gate):
        answer = await client.get("/api/v1/checks/a-partly/run", headers=bearer(TOKEN_SRE))
        body = await answer.json()
        assert body["verdict"] == "error" and "ran check 'b-gate'" in body["reason"]
        assert "(declared: 'a-gate')" in body["reason"]
        assert gate.entered == 1

    async def test_a_kind_that_declares_its_members_runs_them(self, client):
        answer = await client.get("/api/v1/checks/a-honest/run", headers=bearer(TOKEN_A))
        assert answer.status == 200 and (await answer.json())["verdict"] == "pass"

    async def test_a_declared_member_of_another_team_is_forbidden(self, client, gate):
        answer = await client.get("/api/v1/checks/a-over-b/run", headers=bearer(TOKEN_A))
        assert answer.status == 403
        assert "may not use check 'b-gate', which 'a-over-b' runs" in (await answer.json())["message"]
        assert gate.entered == 0
