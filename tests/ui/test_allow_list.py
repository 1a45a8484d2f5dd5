"""Pages with the allow-list on: a token restricted to some checks reading answers other callers asked for."""

from __future__ import annotations

import html
import re

import pytest
import trustme
import yaml

from analyzer.catalog import load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.ui.support import checks

pytestmark = pytest.mark.integration

TEAM_TOKEN = "team-a-" + "a" * 40
ARGO_TOKEN = "argo-" + "g" * 40


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(aiohttp_client, prometheus, tmp_path):
    """Argo Rollouts' token may use every check; the team's, the error-rate check only."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tokens / "team-a").write_text(TEAM_TOKEN)
    (tokens / "argo").write_text(ARGO_TOKEN)
    allow = tmp_path / "allow.yaml"
    allow.write_text('team-a: ["error-*"]\nargo: ["*"]\n')
    path = tmp_path / "catalog.yaml"
    chosen = [c for c in checks("http://127.0.0.1:1") if c["name"] in ("error-rate", "latency-p99")]
    # A composite the team may use (its name and its member's match its allow-list).
    chosen.append(
        {
            "name": "error-gate",
            "kind": "composite",
            "params": {"canary_hash": {"type": "label_value", "required": True}},
            "members": [{"check": "error-rate", "args": {"canary_hash": "{{ canary_hash }}"}}],
        }
    )
    path.write_text(yaml.safe_dump({"sources": {"default": {"url": prometheus.url}}, "checks": chosen}))
    settings = Settings(auth_tokens=tokens, auth_allow=allow, catalog=path, catalog_poll_s=0)
    return await aiohttp_client(create_app(settings, load_catalog(path, Registry.default()), Registry.default()))


class TestAnotherCallersAnswer:
    """The page of an answer Argo Rollouts asked for, opened with a team's restricted token, shows its verdict and
    reason, says why its evidence is not shown, and never links to a run without its args."""

    async def test_the_page_of_its_link_shows_the_args_of_the_link(self, client, prometheus):
        ran = await client.get(
            f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=bearer(ARGO_TOKEN)
        )
        ui_url = (await ran.json())["ui_url"]
        page = html.unescape(await (await client.get(ui_url, headers=bearer(TEAM_TOKEN))).text())
        assert 'id="verdict">FAIL<' in page
        assert "The answer as this replica recorded it" in page
        assert '<th scope="row">arg canary_hash</th><td>broken1</td>' in page
        # Was a link without canary_hash, which runs nothing but a 400 form.
        assert f'Link to this verdict: <a href="{ui_url}">' in page
        assert "your token's allow-list shows it without its evidence and plots" in page
        assert "recorded no query to plot" not in page

    async def test_a_history_entry_whose_args_are_hidden_has_no_link(self, client, prometheus):
        await client.get(
            f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=bearer(ARGO_TOKEN)
        )
        index = await (await client.get("/ui/", headers=bearer(TEAM_TOKEN))).text()
        seq = re.search(r'href="/ui/verdicts/(\d+)"', index).group(1)
        page = html.unescape(await (await client.get(f"/ui/verdicts/{seq}", headers=bearer(TEAM_TOKEN))).text())
        assert 'id="verdict">FAIL<' in page
        assert "Link to this verdict" not in page  # was /ui/checks/error-rate/run?at=...: a run without its args
        assert "your token's allow-list shows it without its args, evidence and plots" in page
        assert 'data-label="args" class="args"><span class="muted">hidden</span></td>' in index
        assert "broken1" not in index

    async def test_its_own_answers_are_shown_whole(self, client, prometheus):
        ran = await client.get(
            f"/api/v1/checks/error-rate/run?canary_hash=broken1&at={prometheus.anchor}", headers=bearer(TEAM_TOKEN)
        )
        page = await (await client.get((await ran.json())["ui_url"], headers=bearer(TEAM_TOKEN))).text()
        assert 'id="hidden"' not in page
        assert "&#34;queries&#34;" in page


class TestAMemberLinkOfAnotherCallersComposite:
    """A member's link shows the member's answer from a composite's recorded answer only when the caller may see
    that answer's evidence: never from another caller's, which a restricted token sees without it."""

    async def test_the_member_s_evidence_in_argo_s_composite_is_not_shown(self, client, prometheus):
        ran = await client.get(
            f"/api/v1/checks/error-gate/run?canary_hash=broken1&at={prometheus.anchor}", headers=bearer(ARGO_TOKEN)
        )
        assert (await ran.json())["verdict"] == "fail"
        at = (await ran.json())["ui_url"].rsplit("at=", 1)[1]
        link = f"/ui/checks/error-rate/run?canary_hash=broken1&at={at}"
        argo = await (await client.get(link, headers=bearer(ARGO_TOKEN))).text()
        assert 'id="member-of">error-gate (verdict' in argo
        team = await (await client.get(link, headers=bearer(TEAM_TOKEN))).text()
        # Evaluated again for the team (which may run error-rate), never Argo's recorded evidence passed on.
        assert "as its composite" not in team
        assert "Evaluated again as of" in team


# An error_budget whose errors query misspells its metric (check_misconfigured, no queries recorded), every param
# defaulted, one a secret: the args of a hidden answer are {}, which its definition would bind to its defaults.
DEFAULTED_TYPO = {
    "name": "error-typo",
    "kind": "error_budget",
    "objective": 99.9,
    "period": "30d",
    "params": {
        "canary_hash": {"type": "label_value", "default": "broken1"},
        "tenant_token": {"type": "label_value", "default": "tenant0secret0default", "secret": True},
    },
    "ratio": {
        "errors": 'sum(rate(http_request_total{rollouts_pod_template_hash="{{ canary_hash }}", '
        'tenant="{{ tenant_token }}", code=~"5.."}[{{ window }}]))',
        "total": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}", '
        'tenant="{{ tenant_token }}"}[{{ window }}]))',
    },
}


@pytest.fixture
async def typo_client(aiohttp_client, prometheus, tmp_path):
    """The misconfigured error-typo check, which the team's token may use: Argo Rollouts' answers are hidden from it."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tokens / "team-a").write_text(TEAM_TOKEN)
    (tokens / "argo").write_text(ARGO_TOKEN)
    allow = tmp_path / "allow.yaml"
    allow.write_text('team-a: ["error-*"]\nargo: ["*"]\n')
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"sources": {"default": {"url": prometheus.url}}, "checks": [DEFAULTED_TYPO]}))
    settings = Settings(auth_tokens=tokens, auth_allow=allow, catalog=path, catalog_poll_s=0)
    return await aiohttp_client(create_app(settings, load_catalog(path, Registry.default()), Registry.default()))


class TestAnotherCallersMisconfiguredAnswer:
    """A misconfigured check's page of another caller's answer renders no queries from args it does not hold."""

    async def test_no_queries_as_configured_from_the_defaults(self, typo_client):
        ran = await typo_client.get("/api/v1/checks/error-typo/run", headers=bearer(ARGO_TOKEN))
        assert (await ran.json())["error"] == "check_misconfigured"
        index = await (await typo_client.get("/ui/", headers=bearer(TEAM_TOKEN))).text()
        seq = re.search(r'href="/ui/verdicts/(\d+)"', index).group(1)
        page = await (await typo_client.get(f"/ui/verdicts/{seq}", headers=bearer(TEAM_TOKEN))).text()
        assert 'id="misconfigured"' in page
        # Rendered from {} (the args it may not see), the queries would show the secret's default and args it did
        # not ask with, as if they were the answer's.
        assert "tenant0secret0default" not in page
        assert 'id="configured-queries"' not in page


@pytest.fixture
async def gone_ca_client(aiohttp_client, prometheus, tmp_path):
    """An http_smoke check whose ca_file is gone once loaded (check_misconfigured, at_fault "file"), which the
    team's token may use: Argo Rollouts' answers are hidden from it."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tokens / "team-a").write_text(TEAM_TOKEN)
    (tokens / "argo").write_text(ARGO_TOKEN)
    allow = tmp_path / "allow.yaml"
    allow.write_text('team-a: ["error-*"]\nargo: ["*"]\n')
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    gone_ca = {
        "name": "error-ca-smoke",
        "kind": "http_smoke",
        "base_url": "https://127.0.0.1:9",
        "allowed_hosts": ["127.0.0.1"],
        "ca_file": str(tmp_path / "ca.pem"),
        "steps": [{"name": "health", "path": "/health"}],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"sources": {"default": {"url": prometheus.url}}, "checks": [gone_ca]}))
    settings = Settings(auth_tokens=tokens, auth_allow=allow, catalog=path, catalog_poll_s=0)
    app = create_app(settings, load_catalog(path, Registry.default()), Registry.default())
    (tmp_path / "ca.pem").unlink()
    return await aiohttp_client(app)


class TestAnotherCallersFaultElsewhere:
    """The advice on another caller's check_misconfigured answer, whose evidence (and so where the fault is) a
    restricted token does not see, names no place to fix: the reason says what is wrong."""

    async def test_a_file_fault_is_not_advised_as_the_check_s(self, gone_ca_client):
        ran = await gone_ca_client.get("/api/v1/checks/error-ca-smoke/run?explain=true", headers=bearer(ARGO_TOKEN))
        body = await ran.json()
        assert (body["error"], body["details"]["at_fault"]) == ("check_misconfigured", "file")
        index = await (await gone_ca_client.get("/ui/", headers=bearer(TEAM_TOKEN))).text()
        seq = re.search(r'href="/ui/verdicts/(\d+)"', index).group(1)
        for address in (f"/ui/verdicts/{seq}", body["ui_url"]):
            page = html.unescape(await (await gone_ca_client.get(address, headers=bearer(TEAM_TOKEN))).text())
            assert 'data-at-fault="unknown"' in page
            # Before: "Fix the check in the catalog", where the catalog is right and the mounted file is gone.
            assert "Fix the check in the catalog" not in page
            assert "A file the check names" not in page and "Look first at the args" not in page
            assert "which your token's allow-list does not show: the reason above says what is wrong" in page
            assert "cannot read ca_file" in page  # the reason, which a restricted caller sees, as before
            assert "your token's allow-list shows it without its" in page
            assert "&#34;at_fault&#34;" not in page and '"at_fault"' not in page
        # The caller who asked sees where the fault is.
        own = await (await gone_ca_client.get(body["ui_url"], headers=bearer(ARGO_TOKEN))).text()
        assert 'data-at-fault="file"' in own


class TestWhoAsked:
    """The history list names the tokens that asked each answer, so that an SRE's re-evaluation is told apart from
    Argo Rollouts' answers, except to a restricted token for other callers' requests."""

    async def test_a_row_names_its_tokens_to_argo_and_only_its_own_to_the_team(self, client, prometheus):
        at = f"at={prometheus.anchor}"
        await client.get(f"/api/v1/checks/error-rate/run?canary_hash=broken1&{at}", headers=bearer(ARGO_TOKEN))
        # The team's look at the same answer from a page, then a check of its own.
        await client.get(f"/ui/checks/error-rate/run?canary_hash=fine1&{at}", headers=bearer(TEAM_TOKEN))
        listed = html.unescape(await (await client.get("/ui/", headers=bearer(ARGO_TOKEN))).text())
        asked = re.findall(
            r'<td role="cell" data-label="check">error-rate <span class="muted asked-by">asked by ([^<]*)<', listed
        )
        assert asked == ["team-a", "argo"]
        seen = html.unescape(await (await client.get("/ui/", headers=bearer(TEAM_TOKEN))).text())
        assert re.findall(r"asked by ([^<]*)<", seen) == ["team-a"]
        assert seen.count('data-label="check">error-rate') == 2
