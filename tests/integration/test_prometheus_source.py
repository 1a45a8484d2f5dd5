"""The Prometheus source's transport behaviour: auth headers, TLS options, retry and concurrency limits.

A recording fake stands in for Prometheus here: a real one neither checks tokens nor fails on demand.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import trustme
from aiohttp import web

from analyzer.errors import SourceRejected, SourceUnavailable
from analyzer.sources.prometheus import PrometheusSource, PrometheusSourceConfig

ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]}}


@dataclass
class Recorder:
    """What the fake saw, and how it should answer."""

    url: str = ""
    headers: list[dict[str, str]] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False


@asynccontextmanager
async def recording_prometheus(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Recorder]:
    recorder = Recorder()

    async def handler(request: web.Request) -> web.Response:
        recorder.headers.append(dict(request.headers))
        recorder.params.append(dict(request.query))
        recorder.in_flight += 1
        recorder.max_in_flight = max(recorder.max_in_flight, recorder.in_flight)
        try:
            if recorder.hold:
                await recorder.release.wait()
            status = recorder.statuses.pop(0) if recorder.statuses else 200
            if status == 302:
                return web.Response(status=302, headers={"Location": "/login"}, text="to the login page")
            if status != 200:
                return web.json_response({"status": "error", "errorType": "unavailable", "error": "busy"},
                                         status=status)
            return web.json_response(ANSWER)
        finally:
            recorder.in_flight -= 1

    app = web.Application()
    app.router.add_get("/api/v1/query", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    recorder.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield recorder
    finally:
        recorder.release.set()
        await runner.cleanup()


def source(url, **config):
    return PrometheusSource("default", PrometheusSourceConfig(url=url, **config))


NOW = datetime(2026, 11, 26, 11, tzinfo=UTC)


class TestRequests:
    """Queries carry the evaluation time, Prometheus' own timeout, custom headers and the bearer token."""

    async def test_headers_token_and_parameters(self, tmp_path):
        token = tmp_path / "token"
        token.write_text("first-token\n")
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, headers={"X-Scope-OrgID": "payments"}, bearer_token_file=token)
            result = await prometheus.query("up", NOW, timeout_s=3)
            token.write_text("rotated-token")
            await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert result.series[0].samples == [(1.0, 0.5)]
        assert fake.headers[0]["X-Scope-OrgID"] == "payments"
        assert [h["Authorization"] for h in fake.headers] == ["Bearer first-token", "Bearer rotated-token"]
        assert fake.params[0] == {"query": "up", "time": f"{NOW.timestamp():.3f}", "timeout": "3000ms"}
        assert fake.headers[0]["Accept-Encoding"] == "identity"

    async def test_compressed_answers_on_request(self):
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, compress_responses=True)
            await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert "gzip" in fake.headers[0]["Accept-Encoding"]

    async def test_unreadable_token_file_is_source_unavailable(self, tmp_path):
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, bearer_token_file=tmp_path / "missing")
            with pytest.raises(SourceUnavailable, match="cannot read bearer_token_file"):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert fake.headers == []

    async def test_header_value_http_cannot_carry_is_unavailable_without_the_value(self):
        # A YAML block scalar leaves a newline at the end of a header value; the value may be a credential.
        async with recording_prometheus() as fake:
            prometheus = source(fake.url, headers={"Authorization": "Bearer s3cret\n"})
            with pytest.raises(SourceUnavailable, match="header") as raised:
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert "s3cret" not in str(raised.value)
        assert fake.headers == []

    async def test_untrusted_certificate_is_refused(self, tmp_path):
        # An https URL to a plain-HTTP port fails the TLS handshake: refused, never accepted silently.
        async with recording_prometheus() as fake:
            prometheus = source(fake.url.replace("http://", "https://"))
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()

    async def test_https_trusted_through_ca_file(self, tmp_path):
        authority = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server_context)
        ca_file = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        async with recording_prometheus(server_context) as fake:
            trusting, default = source(fake.url, ca_file=ca_file), source(fake.url)
            result = await trusting.query("up", NOW, timeout_s=3)
            with pytest.raises(SourceUnavailable, match="TLS failed"):
                await default.query("up", NOW, timeout_s=3)
            trusting.close()
            default.close()
        assert result.series[0].samples == [(1.0, 0.5)]
        assert len(fake.params) == 1

    async def test_ca_file_gone_after_load_is_source_unavailable(self, tmp_path):
        # requests opens the bundle when it connects; its OSError escaped as an internal error.
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
        async with recording_prometheus() as fake:
            prometheus = source(fake.url.replace("http://", "https://"), ca_file=ca_file)
            ca_file.unlink()
            with pytest.raises(SourceUnavailable, match=r"request failed: OSError: .*ca.pem"):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()


class TestRedirects:
    """A redirect is an answer naming the problem, not a page followed and misread."""

    async def test_redirect_is_rejected(self):
        async with recording_prometheus() as fake:
            fake.statuses = [302]
            prometheus = source(fake.url)
            with pytest.raises(SourceRejected, match=r"redirect \(HTTP 302\)"):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()


class TestRetry:
    """One immediate retry on 502/503/504, and only one."""

    async def test_one_retry_recovers(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503]
            prometheus = source(fake.url)
            result = await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert result.series and len(fake.params) == 2

    async def test_second_failure_is_reported(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503, 503, 503]
            prometheus = source(fake.url)
            with pytest.raises(SourceUnavailable, match="HTTP 503"):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert len(fake.params) == 2

    async def test_retry_off(self):
        async with recording_prometheus() as fake:
            fake.statuses = [503]
            prometheus = source(fake.url, retry=False)
            with pytest.raises(SourceUnavailable):
                await prometheus.query("up", NOW, timeout_s=3)
            prometheus.close()
        assert len(fake.params) == 1


class TestConcurrency:
    """No more than max_concurrency queries reach a source at once."""

    async def test_limit(self):
        async with recording_prometheus() as fake:
            fake.hold = True
            prometheus = source(fake.url, max_concurrency=2)
            queries = [asyncio.ensure_future(prometheus.query(f"up{{i=\"{i}\"}}", NOW, timeout_s=5))
                       for i in range(6)]
            for _ in range(500):
                if fake.in_flight == 2:
                    break
                await asyncio.sleep(0.01)
            assert fake.in_flight == 2
            fake.release.set()
            await asyncio.gather(*queries)
            prometheus.close()
        assert fake.max_in_flight == 2
        assert len(fake.params) == 6
