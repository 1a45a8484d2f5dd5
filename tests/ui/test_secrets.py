"""A verdict page of a check with a secret arg: the secret is not on the page, and no plot is drawn from a query
that holds it as <redacted>."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.ui.support import TOKEN, Served, checks, serve

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(aiohttp_client, prometheus):
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    # The same check with its label value a secret: what a tenant id that must not be shown would be.
    secret = {
        **error_rate,
        "name": "secret-error-rate",
        "params": {"canary_hash": {"type": "label_value", "secret": True, "required": True}},
    }
    secret["query"] = error_rate["query"].replace('="{{ canary_hash }}"', '!="{{ canary_hash }}"')
    catalog = build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus.url}}, "checks": [secret]})], Registry.default()
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestSecretArgs:
    """A page has no secret to send: a query that holds one as <redacted> is not sent to plot other series."""

    async def test_a_query_holding_a_secret_is_not_plotted(self, client, prometheus):
        answer = await client.get(
            f"/api/v1/checks/secret-error-rate/run?canary_hash=healthy1&at={prometheus.anchor}&explain=true"
        )
        body = await answer.json()
        assert body["details"]["queries"][0].count('!="<redacted>"') == 2
        page = await (await client.get(body["ui_url"])).text()
        assert "healthy1" not in page
        # Sent, `!="<redacted>"` would match every pod: broken1's and idle1's lines drawn as this answer's evidence.
        assert "which a page never sends again" in page
        assert "<polyline" not in page


@pytest.fixture
async def tenant_client(aiohttp_client, prometheus):
    """The error-rate check with its label value a secret, selected with `=`: each secret its own pods."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    secret = {
        **error_rate,
        "name": "tenant-error-rate",
        "params": {"canary_hash": {"type": "label_value", "secret": True, "required": True}},
    }
    catalog = build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus.url}}, "checks": [secret]})], Registry.default()
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestAnotherSecret:
    """A run with a secret arg is never answered by a recorded answer: the history holds every secret as
    <redacted>, so one recorded with another secret would look the same."""

    async def test_a_form_with_another_secret_at_a_recorded_time_is_evaluated(self, tenant_client, prometheus):
        client = tenant_client
        recorded = await client.get(f"/api/v1/checks/tenant-error-rate/run?canary_hash=healthy1&at={prometheus.anchor}")
        assert (await recorded.json())["verdict"] == "pass"
        origin = f"http://{client.server.host}:{client.server.port}"
        page = await client.post(
            "/ui/checks/tenant-error-rate/run",
            data={"canary_hash": "broken1", "at": str(prometheus.anchor)},
            headers={"Origin": origin},
        )
        text = await page.text()
        # Was healthy1's recorded PASS, shown as the answer for broken1 (10% 5xx).
        assert 'id="verdict">FAIL<' in text
        assert "Evaluated again as of" in text
        # Its link (<redacted> in the address) now matches both answers: the page names the one it does not show.
        linked = await (await client.get((await recorded.json())["ui_url"])).text()
        assert "The answer as this replica recorded it" in linked
        also = linked.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert "holds 2 answers for this address" in also
        assert re.search(r'<a href="/ui/verdicts/\d+">PASS \(verdict \d+\)</a>', also)

    async def test_a_link_matching_answers_that_differ_names_the_others(self, tenant_client, prometheus):
        client = tenant_client
        run = f"/api/v1/checks/tenant-error-rate/run?at={prometheus.anchor}&canary_hash="
        healthy = await (await client.get(run + "healthy1")).json()
        broken = await (await client.get(run + "broken1")).json()
        assert healthy["ui_url"] == broken["ui_url"]  # the secret is <redacted> in both
        page = await (await client.get(healthy["ui_url"])).text()
        assert 'id="verdict">FAIL<' in page
        # Was broken1's FAIL alone, as if the link of healthy1's PASS had no other answer.
        also = page.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert re.search(r'<a href="/ui/verdicts/\d+">PASS \(verdict \d+\)</a>', also)


@pytest.fixture
async def tenant_composite_client(aiohttp_client, prometheus):
    """A composite passing its secret tenant to tenant-error-rate: two tenants' answers share a member link."""
    error_rate = next(c for c in checks("http://127.0.0.1:1") if c["name"] == "error-rate")
    params = {"canary_hash": {"type": "label_value", "secret": True, "required": True}}
    member = {**error_rate, "name": "tenant-error-rate", "params": params}
    composite = {
        "name": "tenant-release",
        "kind": "composite",
        "params": {"tenant": {"type": "label_value", "secret": True, "required": True}},
        "members": [{"check": "tenant-error-rate", "args": {"canary_hash": "{{ tenant }}"}}],
    }
    catalog = build_catalog(
        [("ui.yaml", {"sources": {"default": {"url": prometheus.url}}, "checks": [member, composite]})],
        Registry.default(),
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestAMemberLinkOfTwoSecrets:
    """A member's link holds a secret as <redacted>: two composite answers at one time may give it different
    answers, and its page names the one it does not show, as a check's own link does."""

    async def test_the_member_s_page_names_the_other_answer(self, tenant_composite_client, prometheus):
        client = tenant_composite_client
        run = f"/api/v1/checks/tenant-release/run?at={prometheus.anchor}&tenant="
        healthy = await (await client.get(run + "healthy1")).json()
        broken = await (await client.get(run + "broken1")).json()
        assert (healthy["verdict"], broken["verdict"]) == ("pass", "fail")
        history = await (await client.get("/api/v1/verdicts?check=tenant-release")).json()
        seqs = {entry["verdict"]: entry["seq"] for entry in history["entries"]}
        page = await (await client.get(f"/ui/verdicts/{seqs['pass']}")).text()
        (link,) = re.findall(r'<a href="(/ui/checks/tenant-error-rate/run\?[^"]+)">tenant-error-rate</a>', page)
        member = await (await client.get(html.unescape(link))).text()
        # The newest composite's (broken1's) member answer: before, shown alone, as if verdict {pass}'s member
        # had answered it.
        assert 'id="verdict">FAIL<' in member
        assert f"(verdict {seqs['fail']})</a> recorded it" in member
        also = member.split('id="also-matching">', 1)[1].split("</p>", 1)[0]
        assert (
            f'<a href="/ui/verdicts/{seqs["pass"]}">PASS (as composite verdict {seqs["pass"]} recorded it)</a>' in also
        )


@pytest.fixture
async def login_client(aiohttp_client):
    """A check with a secret password, which a link may carry split at an unescaped '&'."""
    params = {"password": {"type": "label_value", "required": True, "secret": True}}
    check = {"name": "login", "kind": "gate", "gate": "g", "params": params}
    return await aiohttp_client(create_app(Settings(), gate_catalog(check), REGISTRY))


class TestSecretPieces:
    """The rest of a secret arg split at an '&' is named by no refusal of the run page, as by none of the API."""

    @pytest.mark.parametrize(
        ("query", "problem"),
        [
            ("password=p0ss&w0rd-rest-91&w0rd-rest-91", " and is given 2 times"),
            ("password=p0ss&w0rd-rest%E9-91", " and is not clean UTF-8 text"),
        ],
    )
    async def test_the_refusal_does_not_name_the_rest(self, login_client, query, problem):
        page = await login_client.get(f"/ui/checks/login/run?{query}")
        text = html.unescape(await page.text())
        assert page.status == 400
        assert f"an undeclared arg follows secret arg 'password'{problem}; its name is not shown" in text
        assert "w0rd-rest" not in text and "p0ss" not in text

    async def test_a_repeated_arg_that_follows_no_secret_is_named(self, login_client):
        page = await login_client.get("/ui/checks/login/run?w0rd=1&w0rd=2&password=p0ss")
        assert "arg 'w0rd' is given 2 times; give it once" in html.unescape(await page.text())


# A check with a secret param beside one that is not: a tenant's id and the pod it is asked about.
TENANT_GATE = {
    "name": "tenant-gate",
    "kind": "prometheus",
    "query": 'sum(up{job="{{ tenant }}", pod="{{ pod }}"})',
    "params": {
        "tenant": {"type": "label_value", "secret": True, "required": True},
        "pod": {"type": "label_value", "required": True},
    },
    "pass_if": "> 0",
}


@pytest.fixture(scope="module")
def signed_out(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The analyzer with auth on and the tenant gate, reached without a sign-in."""
    with serve(prometheus.url, tmp_path_factory.mktemp("ui-next"), auth=True, extra_checks=(TENANT_GATE,)) as server:
        yield server


class TestSignInKeepsNoSecretArg:
    """A link with a secret arg opened signed out goes to the sign-in without the secret's value; after it, the run
    page asks for the secret and keeps the other args."""

    def test_the_sign_in_never_holds_the_secret(self, signed_out):
        # The sign-in's address (the browser's history, a proxy's access log) and its form's `next` held the whole
        # link, the tenant's id with it, and the redirect after the sign-in sent it on again.
        link = "/ui/checks/tenant-gate/run?tenant=t3n4nt-s3cr3t&pod=canary-7&stray=str4y-s3cr3t&at=2026-01-01T00:00:00Z"
        response = requests.get(signed_out.url + link, allow_redirects=False, timeout=60)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert "s3cr3t" not in location
        (next_page,) = parse_qs(urlsplit(location).query)["next"]
        assert parse_qs(urlsplit(next_page).query) == {
            "tenant": ["<redacted>"],
            "pod": ["canary-7"],
            "stray": ["<redacted>"],
            "at": ["2026-01-01T00:00:00Z"],
        }
        form = requests.get(signed_out.url + location, timeout=60).text
        assert "s3cr3t" not in html.unescape(form)
        (posted_next,) = re.findall(r'name="next" value="([^"]*)"', form)
        signed_in = requests.post(
            signed_out.url + "/ui/login",
            data={"token": TOKEN, "next": html.unescape(posted_next)},
            headers={"Origin": signed_out.url},
            allow_redirects=False,
            timeout=60,
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["Location"] == next_page
        page = requests.get(signed_out.url + next_page, cookies=signed_in.cookies, timeout=60).text
        assert "arg 'tenant' is secret" in html.unescape(page)
        assert 'value="canary-7"' in page

    def test_a_link_without_a_secret_is_kept_whole(self, signed_out):
        link = "/ui/checks/tenant-gate/run?pod=canary-7&tenant="
        location = requests.get(signed_out.url + link, allow_redirects=False, timeout=60).headers["Location"]
        assert parse_qs(urlsplit(location).query)["next"] == [link]
