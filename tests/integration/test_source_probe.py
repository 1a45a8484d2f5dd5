"""Each Prometheus source is probed as a catalog goes into service, again until it answers, and again while it
does: an operator learns of a wrong url at start or reload, and of a source that stops answering, in the log,
/metrics and /readyz, not at a rollout's next measurement; readiness never waits."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from analyzer.appkeys import LIVE
from analyzer.catalog import load_catalog
from analyzer.reachability import SourceProbes
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.fakes import holding_prometheus
from tests.ports import refused_port

TOKEN = "probe-token-" + "t" * 30
SRE_TOKEN = "sre-" + "s" * 40
TEAM_TOKEN = "team-a-" + "a" * 40
# A bound on what a test awaits, for a failure's sake only: a retry that never comes must fail, not hang, the suite.
FAILURE_BOUND_S = 60


@asynccontextmanager
async def answering(status: int, body: Callable[[web.Request], str]) -> AsyncIterator[str]:
    """A server on 127.0.0.1 answering every request with `status` and `body(request)`; its base url."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body(request))

    async with answering_app(handler) as url:
        yield url


@dataclass
class Gate:
    """An auth proxy before a real Prometheus refusing every query (401, a token rotated) while not `open`;
    `refused` counts its refusals and `passed` the queries it let through, and `refusal` is set at each of either."""

    url: str = ""
    open: bool = False
    refused: int = 0
    passed: int = 0
    refusal: asyncio.Event = field(default_factory=asyncio.Event)

    async def refusals(self, count: int) -> None:
        """Wait until it has refused `count` queries in all."""
        while self.refused < count:
            self.refusal.clear()
            await self.refusal.wait()

    async def passes(self, count: int) -> None:
        """Wait until it has let `count` queries through in all."""
        while self.passed < count:
            self.refusal.clear()
            await self.refusal.wait()


@asynccontextmanager
async def gate_before(prometheus_url: str) -> AsyncIterator[Gate]:
    """A Gate served on 127.0.0.1 for the block."""
    gate = Gate()

    async def handler(request: web.Request) -> web.Response:
        if not gate.open:
            gate.refused += 1
            gate.refusal.set()
            return web.Response(status=401, text="token expired")
        gate.passed += 1
        gate.refusal.set()
        async with session.request(
            request.method,
            prometheus_url + request.path_qs,
            data=await request.read(),
            headers={"Content-Type": request.headers.get("Content-Type", "")},
        ) as answer:
            return web.Response(status=answer.status, body=await answer.read(), content_type="application/json")

    async with ClientSession() as session, answering_app(handler) as url:
        gate.url = url
        yield gate


@asynccontextmanager
async def answering_app(handler: Callable[[web.Request], Any]) -> AsyncIterator[str]:
    """`handler` served for every path on 127.0.0.1; its base url."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


@pytest.fixture
def quick_retries(monkeypatch):
    """Sources that fail are probed again within milliseconds."""
    monkeypatch.setattr(SourceProbes, "retry_first_s", 0.005)
    monkeypatch.setattr(SourceProbes, "retry_max_s", 0.02)


@pytest.fixture
def quick_rechecks(monkeypatch):
    """Sources that answer are probed again within milliseconds."""
    monkeypatch.setattr(SourceProbes, "recheck_s", 0.005)


def write_catalog(settings: Settings, sources: dict[str, dict[str, Any]]) -> None:
    assert settings.catalog is not None
    checks = [
        {"name": f"q-{name}", "kind": "prometheus", "source": name, "query": "vector(0)", "pass_if": "< 1"}
        for name in sources
    ]
    settings.catalog.write_text(yaml.safe_dump({"sources": sources, "checks": checks}))


def two_teams(tmp_path: Path, team_a_checks: str) -> Settings:
    """Settings with auth on: an SRE token that may use every check, team A's that may use `team_a_checks`."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tokens / "sre").write_text(SRE_TOKEN)
    (tokens / "team-a").write_text(TEAM_TOKEN)
    allow = tmp_path / "allow.yaml"
    allow.write_text(f'sre: ["*"]\nteam-a: ["{team_a_checks}"]\n')
    return Settings(catalog=tmp_path / "catalog.yaml", catalog_poll_s=0, auth_tokens=tokens, auth_allow=allow)


async def served(aiohttp_client, settings: Settings, sources: dict[str, dict[str, Any]]) -> Any:
    """The app serving a catalog of `sources` (one check per source), each source probed once."""
    write_catalog(settings, sources)
    registry = Registry.default()
    client = await aiohttp_client(create_app(settings, load_catalog(settings.catalog, registry), registry))
    await client.app[LIVE].current.probes.first_attempts()
    return client


def events(logs: list[dict[str, Any]], name: str) -> dict[str, dict[str, Any]]:
    return {log["source"]: log for log in logs if log["event"] == name}


@pytest.fixture(autouse=True)
def info_events():
    """Info events reach capture_logs whatever level a test before this one configured (a Job's warning)."""
    config = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    yield
    structlog.configure(**config)


@pytest.fixture
def settings(tmp_path):
    return Settings(catalog=tmp_path / "catalog.yaml", catalog_poll_s=0)


@pytest.fixture
async def wrong_sources(prometheus):
    """A reachable source and the usual mistakes, each a real address on 127.0.0.1."""
    echo_authorization = lambda request: f"denied: {request.headers.get('Authorization')}"  # noqa: E731
    async with answering(401, echo_authorization) as proxy:
        yield {
            "good": {"url": prometheus.url},
            "closed": {"url": f"http://127.0.0.1:{refused_port()}", "retry": False},
            # A path Prometheus serves no API under (a route prefix it lacks): 404 for .../graph/api/v1/query (a url
            # ending in `/api/v1` is refused when the catalog loads).
            "suffixed": {"url": f"{prometheus.url}/graph"},
            # An auth proxy refusing the token (and quoting it back).
            "proxied": {"url": proxy, "headers": {"Authorization": f"Bearer {TOKEN}"}},
        }


@pytest.mark.integration
class TestProbeAtStart:
    """Each source's reachability is logged, counted and shown once the app starts; readiness stays 200."""

    async def test_each_source_is_logged_reachable_or_unreachable(self, aiohttp_client, settings, wrong_sources):
        with capture_logs() as logs:
            await served(aiohttp_client, settings, wrong_sources)
        reachable, unreachable = events(logs, "source_reachable"), events(logs, "source_unreachable")
        assert set(reachable) == {"good"} and reachable["good"]["url"] == wrong_sources["good"]["url"]
        assert set(unreachable) == {"closed", "suffixed", "proxied"}
        assert {name: (log["error"], log["log_level"]) for name, log in unreachable.items()} == {
            "closed": ("source_unavailable", "warning"),
            "suffixed": ("source_rejected", "warning"),
            "proxied": ("source_rejected", "warning"),
        }
        assert "is unreachable: Connect call failed" in unreachable["closed"]["message"]
        assert "HTTP 404" in unreachable["suffixed"]["message"]
        assert "without /api/v1" in unreachable["suffixed"]["message"]
        assert unreachable["suffixed"]["url"] == wrong_sources["suffixed"]["url"]
        assert "HTTP 401" in unreachable["proxied"]["message"]
        assert TOKEN not in str(logs)

    async def test_the_message_is_the_one_an_evaluation_gets(self, aiohttp_client, settings, wrong_sources):
        with capture_logs() as logs:
            client = await served(aiohttp_client, settings, wrong_sources)
        unreachable = events(logs, "source_unreachable")
        for name in ("closed", "suffixed", "proxied"):
            answer = await (await client.get(f"/api/v1/checks/q-{name}/run")).json()
            assert (answer["verdict"], answer["error"]) == ("error", unreachable[name]["error"])
            assert answer["reason"] == unreachable[name]["message"]

    async def test_metrics_and_readyz_show_it(self, aiohttp_client, settings, wrong_sources):
        client = await served(aiohttp_client, settings, wrong_sources)
        metrics = await (await client.get("/metrics")).text()
        for name, up in (("good", 1), ("closed", 0), ("suffixed", 0), ("proxied", 0)):
            assert f'analyzer_source_up{{source="{name}"}} {up:.1f}' in metrics
        ready = await client.get("/readyz")
        body = await ready.json()
        assert (ready.status, body["status"]) == (200, "ready")
        assert body["sources"]["good"]["reachable"] is True and body["sources"]["good"]["error"] is None
        assert body["sources"]["closed"]["reachable"] is False
        assert body["sources"]["closed"]["error"] == "source_unavailable"
        assert "HTTP 404" in body["sources"]["suffixed"]["message"]
        assert TOKEN not in await ready.text()

    async def test_the_probe_is_not_counted_as_a_query(self, aiohttp_client, settings, prometheus):
        client = await served(aiohttp_client, settings, {"good": {"url": prometheus.url}})
        metrics = await (await client.get("/metrics")).text()
        assert 'analyzer_source_up{source="good"} 1.0' in metrics
        assert "analyzer_source_queries_total{" not in metrics

    async def test_turned_off_nothing_is_probed(self, aiohttp_client, tmp_path, wrong_sources):
        settings = Settings(catalog=tmp_path / "catalog.yaml", catalog_poll_s=0, probe_sources=False)
        with capture_logs() as logs:
            client = await served(aiohttp_client, settings, wrong_sources)
        assert not [log for log in logs if log["event"].startswith("source_")]
        assert "analyzer_source_up{" not in await (await client.get("/metrics")).text()
        body = await (await client.get("/readyz")).json()
        assert {state["reachable"] for state in body["sources"].values()} == {None}


@pytest.mark.integration
class TestProbeInBackground:
    """A source that does not answer delays nothing, and its probe ends with the app or its catalog."""

    async def test_readiness_does_not_wait_and_shutdown_cancels_the_probe(self, aiohttp_client, settings):
        async with holding_prometheus() as held:
            write_catalog(settings, {"held": {"url": held.url, "timeout_s": 60}})
            registry = Registry.default()
            app = create_app(settings, load_catalog(settings.catalog, registry), registry)
            client = await aiohttp_client(app)
            await held.entered.wait()
            ready = await client.get("/readyz")
            assert ready.status == 200
            assert (await ready.json())["sources"]["held"]["reachable"] is None
            assert "analyzer_source_up{" not in await (await client.get("/metrics")).text()
            await client.close()
            await held.closed.wait()

    async def test_a_reload_probes_the_sources_it_changes_and_retires_the_old_probes(
        self, aiohttp_client, settings, prometheus, caplog
    ):
        async with holding_prometheus() as held:
            with capture_logs() as logs:
                client = await served(aiohttp_client, settings, {"good": {"url": prometheus.url}})
                live = client.app[LIVE]
                # A changed url: probed anew; an unchanged source keeps what its probe found, unprobed.
                write_catalog(settings, {"good": {"url": prometheus.url}, "held": {"url": held.url, "timeout_s": 60}})
                assert await live.reload("test") == "reloaded"
                await held.entered.wait()
                assert (await (await client.get("/readyz")).json())["sources"]["good"]["reachable"] is True
                write_catalog(settings, {"good": {"url": f"{prometheus.url}/graph"}})
                assert await live.reload("test") == "reloaded"
                # The retired catalog's probe of `held` is cancelled, its connection closed.
                await held.closed.wait()
                await live.current.probes.first_attempts()
            assert [(log["event"], log["url"]) for log in logs if log["event"].startswith("source_")] == [
                ("source_reachable", prometheus.url),
                ("source_unreachable", f"{prometheus.url}/graph"),
            ]
            metrics = await (await client.get("/metrics")).text()
            assert 'analyzer_source_up{source="good"} 0.0' in metrics
            assert 'source="held"' not in metrics
        # The retired catalogs' sessions were closed before they were collected (asyncio logs those that were not).
        gc.collect()
        assert "Unclosed client session" not in caplog.text


class TestProbeAcrossTeams:
    """With the allow-list, a restricted token sees whether each source answers, never what it said."""

    async def test_the_message_is_shown_to_an_unrestricted_token_only(self, aiohttp_client, tmp_path):
        settings = two_teams(tmp_path, "q-*")
        client = await served(aiohttp_client, settings, {"closed": {"url": f"http://127.0.0.1:{refused_port()}"}})
        seen = {}
        for token in (SRE_TOKEN, TEAM_TOKEN, None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            seen[token] = (await (await client.get("/readyz", headers=headers)).json()).get("sources")
        assert "is unreachable" in seen[SRE_TOKEN]["closed"]["message"]
        shown = {key: seen[SRE_TOKEN]["closed"][key] for key in ("reachable", "probed_at", "error")}
        assert seen[TEAM_TOKEN] == {"closed": shown}
        assert seen[None] is None

    async def test_a_restricted_token_sees_the_sources_of_its_checks_only(self, aiohttp_client, tmp_path):
        settings = two_teams(tmp_path, "q-team-a-*")
        closed = {"url": f"http://127.0.0.1:{refused_port()}", "retry": False}
        client = await served(aiohttp_client, settings, {"team-a-prom": closed, "team-b-thanos": closed})
        seen = {}
        for token in (SRE_TOKEN, TEAM_TOKEN):
            answer = await client.get("/readyz", headers={"Authorization": f"Bearer {token}"})
            seen[token] = set((await answer.json())["sources"])
        assert seen == {SRE_TOKEN: {"team-a-prom", "team-b-thanos"}, TEAM_TOKEN: {"team-a-prom"}}

    async def test_a_restricted_tokens_metrics_name_the_sources_of_its_checks_only(self, aiohttp_client, tmp_path):
        settings = two_teams(tmp_path, "q-team-a-*")
        closed = {"url": f"http://127.0.0.1:{refused_port()}", "retry": False}
        client = await served(aiohttp_client, settings, {"team-a-prom": closed, "team-b-thanos": closed})
        for check in ("q-team-a-prom", "q-team-b-thanos"):
            ran = await client.get(f"/api/v1/checks/{check}/run", headers={"Authorization": f"Bearer {SRE_TOKEN}"})
            assert ran.status == 503
        seen = {}
        for token in (SRE_TOKEN, TEAM_TOKEN):
            seen[token] = await (await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})).text()
        # Each family naming a source: the probe's, and the evaluations' queries.
        families = ("analyzer_source_up", "analyzer_source_queries_total", "analyzer_source_query_duration_seconds")
        for token, sources in ((SRE_TOKEN, {"team-a-prom", "team-b-thanos"}), (TEAM_TOKEN, {"team-a-prom"})):
            for family in families:
                named = {
                    line.split('source="')[1].split('"')[0]
                    for line in seen[token].splitlines()
                    if line.startswith(family) and 'source="' in line
                }
                assert named == sources, (token, family)
        assert "team-b-thanos" not in seen[TEAM_TOKEN]


@pytest.mark.integration
class TestProbeRetries:
    """A source whose probe failed is probed again until it answers, across reloads, and stops with its catalog."""

    async def test_a_source_that_comes_back_is_shown_reachable(
        self, aiohttp_client, settings, prometheus, quick_retries
    ):
        async with gate_before(prometheus.url) as gate:
            with capture_logs() as logs:
                client = await served(aiohttp_client, settings, {"gated": {"url": gate.url, "retry": False}})
                probes = client.app[LIVE].current.probes
                assert (await (await client.get("/readyz")).json())["sources"]["gated"]["reachable"] is False
                async with asyncio.timeout(FAILURE_BOUND_S):
                    await gate.refusals(3)
                    gate.open = True
                    await probes.until("gated", reachable=True)
            assert [(log["event"], log["retries"]) for log in logs if log["event"].startswith("source_")] == [
                ("source_unreachable", 0),
                ("source_reachable", gate.refused),
            ]
            assert 'analyzer_source_up{source="gated"} 1.0' in await (await client.get("/metrics")).text()
            state = (await (await client.get("/readyz")).json())["sources"]["gated"]
            assert (state["reachable"], state["error"]) == (True, None)

    async def test_a_reload_leaving_it_unchanged_probes_it_on(
        self, aiohttp_client, settings, prometheus, quick_retries
    ):
        async with gate_before(prometheus.url) as gate:
            gated = {"url": gate.url, "retry": False}
            with capture_logs() as logs:
                client = await served(aiohttp_client, settings, {"gated": gated})
                live = client.app[LIVE]
                async with asyncio.timeout(FAILURE_BOUND_S):
                    await gate.refusals(2)
                    write_catalog(settings, {"gated": gated, "good": {"url": prometheus.url}})
                    assert await live.reload("test") == "reloaded"
                    refused = gate.refused
                    await gate.refusals(refused + 2)
                    gate.open = True
                    await live.current.probes.until("gated", reachable=True)
            assert live.current.probes.states["gated"].reachable is True
            assert [log["event"] for log in logs if log.get("source") == "gated"] == [
                "source_unreachable",
                "source_reachable",
            ]

    async def test_shutdown_does_not_wait_for_the_next_retry(self, aiohttp_client, settings, prometheus, monkeypatch):
        monkeypatch.setattr(SourceProbes, "retry_first_s", 3600.0)
        async with gate_before(prometheus.url) as gate:
            client = await served(aiohttp_client, settings, {"gated": {"url": gate.url, "retry": False}})
            probes = client.app[LIVE].current.probes
            assert probes.failures == {"gated": 1}
            async with asyncio.timeout(FAILURE_BOUND_S):
                await client.close()
                await probes.wait()
            assert gate.refused == 1


@pytest.mark.integration
class TestProbeRechecks:
    """A source that answered is probed again while its catalog serves: one that stops answering is shown so."""

    async def test_a_source_that_stops_answering_is_shown_unreachable(
        self, aiohttp_client, settings, prometheus, quick_rechecks, quick_retries
    ):
        async with gate_before(prometheus.url) as gate:
            gate.open = True
            with capture_logs() as logs:
                client = await served(aiohttp_client, settings, {"gated": {"url": gate.url, "retry": False}})
                probes = client.app[LIVE].current.probes
                async with asyncio.timeout(FAILURE_BOUND_S):
                    # Rechecks of a source that keeps answering: the state stays, nothing more is logged.
                    await gate.passes(3)
                    assert probes.states["gated"].reachable is True
                    gate.open = False
                    await probes.until("gated", reachable=False)
                    state = (await (await client.get("/readyz")).json())["sources"]["gated"]
                    assert (state["reachable"], state["error"]) == (False, "source_rejected")
                    assert 'analyzer_source_up{source="gated"} 0.0' in await (await client.get("/metrics")).text()
                    gate.open = True
                    await probes.until("gated", reachable=True)
            assert [(log["event"], log["retries"]) for log in logs if log["event"].startswith("source_")] == [
                ("source_reachable", 0),
                ("source_unreachable", 0),
                ("source_reachable", gate.refused),
            ]
            assert 'analyzer_source_up{source="gated"} 1.0' in await (await client.get("/metrics")).text()

    async def test_a_reload_leaving_it_unchanged_rechecks_it_on(
        self, aiohttp_client, settings, prometheus, quick_rechecks
    ):
        async with gate_before(prometheus.url) as gate:
            gate.open = True
            gated = {"url": gate.url, "retry": False}
            client = await served(aiohttp_client, settings, {"gated": gated})
            live = client.app[LIVE]
            write_catalog(settings, {"gated": gated, "good": {"url": prometheus.url}})
            assert await live.reload("test") == "reloaded"
            async with asyncio.timeout(FAILURE_BOUND_S):
                gate.open = False
                await live.current.probes.until("gated", reachable=False)
