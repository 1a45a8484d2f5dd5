"""The http_smoke kind against a real aiohttp app on 127.0.0.1, and hostile inputs that must be refused.
Names other than 127.0.0.1 go through a stub resolver; a tripwire fails any non-loopback connect or lookup."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gzip
import hashlib
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
import structlog
import trustme
import yaml
from aiohttp import web

import analyzer
from analyzer import catalog_paths
from analyzer.catalog import build_catalog
from analyzer.errors import ArgError, ConfigError
from analyzer.metrics import Metrics
from analyzer.models import Evaluation
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.sources import Sources
from analyzer.sources import http as http_source
from analyzer.sources.http import HostAllowList, HttpClient, HttpPolicy
from analyzer.sources.httppolicy import parse_networks
from analyzer.web import create_app
from checks.http_smoke import HttpSmokeCheck, judge
from tests.integration.test_server import ServeProcess
from tests.network_guard import StubResolver, loopback_only  # noqa: F401 (fixture)
from tests.ports import refused_port

pytestmark = pytest.mark.usefixtures("loopback_only")

HUGE_BYTES = 4 * 1024 * 1024
CAP_BYTES = 64 * 1024
GZIP_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))
# A whole gzip answer ("ready" first, then hashes that barely compress) and the same stream cut at 2/3: what a
# proxy that sets a matching Content-Length delivers when its upstream connection broke.
WHOLE_GZIP = gzip.compress(b"ready " + b"".join(hashlib.sha256(b"%d" % n).hexdigest().encode() for n in range(200)))
CUT_GZIP = WHOLE_GZIP[: len(WHOLE_GZIP) * 2 // 3]
LAST_HASH = hashlib.sha256(b"199").hexdigest()
# The clock of a server that runs an hour ahead of ours, and an HTTP-date as its Date and Expires write one.
AHEAD_S = time.time() + 3600


def http_date(time_s: float) -> bytes:
    return email.utils.formatdate(time_s, usegmt=True).encode()


def target_app(hold: asyncio.Event) -> web.Application:
    """The service under test: well-behaved, broken, slow, redirecting, huge and malformed endpoints."""
    counters: Counter[str] = Counter()

    async def ok(request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "version": "1.2.3", "items": [{"id": 7, "price": 9.5}]}, headers={"X-Version": "1.2.3"}
        )

    async def fail(request: web.Request) -> web.Response:
        return web.json_response({"status": "broken"}, status=500)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.json_response({"status": "ok"})

    async def hang(request: web.Request) -> web.Response:
        await hold.wait()
        return web.json_response({"status": "late"})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b" " * 65536
        for _ in range(HUGE_BYTES // len(chunk)):
            await response.write(chunk)
        await response.write_eof()
        return response

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(b"x" * 65536)
        await hold.wait()
        return response

    async def malformed(request: web.Request) -> web.Response:
        return web.Response(text='{"status": "ok"', content_type="application/json")

    async def create_order(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"id": f"o-{body['sku']}", "qty": body["qty"]}, status=201)

    async def get_order(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"], "canary": request.headers.get("X-Canary")})

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"raw_path": request.raw_path, "headers": dict(request.headers), "body": await request.text()}
        )

    async def compressed(request: web.Request) -> web.Response:
        response = web.json_response({"status": "ok", "padding": "x" * 10000})
        response.enable_compression(web.ContentCoding.gzip)
        return response

    async def gzip_bomb(request: web.Request) -> web.Response:
        return web.Response(body=GZIP_BOMB, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def corrupt_gzip(request: web.Request) -> web.Response:
        return web.Response(body=b"this is not gzip", headers={"Content-Encoding": "gzip"})

    async def cut_gzip(request: web.Request) -> web.Response:
        return web.Response(body=CUT_GZIP, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def gzip_then_garbage(request: web.Request) -> web.Response:
        return web.Response(
            body=WHOLE_GZIP + b"garbage", headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        )

    async def gzip_padded(request: web.Request) -> web.Response:
        # Zero bytes after the member, as a block-sized writer (a tape-era archiver, a cache) pads a file.
        return web.Response(
            body=WHOLE_GZIP + bytes(300), headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        )

    async def flaky(request: web.Request) -> web.Response:
        counters["flaky"] += 1
        return web.json_response({"n": counters["flaky"]}, status=503 if counters["flaky"] % 4 == 0 else 200)

    async def sometimes_away(request: web.Request) -> web.Response:
        # Every fourth request is sent on to a host no check allows.
        counters["away"] += 1
        if counters["away"] % 4 == 0:
            raise web.HTTPFound("http://evil.example.com/")
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/fail", fail)
    app.router.add_get("/slow", slow)
    app.router.add_get("/hang", hang)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/huge", huge)
    app.router.add_get("/endless", endless)
    app.router.add_get("/malformed", malformed)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/orders/{id}", get_order)
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/sometimes-away", sometimes_away)
    app.router.add_get("/compressed", compressed)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/corrupt-gzip", corrupt_gzip)
    app.router.add_get("/cut-gzip", cut_gzip)
    app.router.add_get("/gzip-then-garbage", gzip_then_garbage)
    app.router.add_get("/gzip-padded", gzip_padded)
    return app


@pytest.fixture
async def target(aiohttp_server: Any) -> Any:
    """The target app on 127.0.0.1; the hanging handler is released before the server stops."""
    hold = asyncio.Event()
    server = await aiohttp_server(target_app(hold))
    yield server
    hold.set()


RESOLVER = StubResolver(
    {
        "preview.shop.svc": ["127.0.0.1"],
        "metadata.shop.svc": ["169.254.169.254"],
        "mixed.shop.svc": ["10.1.2.3", "169.254.169.254"],
        "mapped.shop.svc": ["::ffff:127.0.0.1"],
        "shared.shop.svc": ["100.64.3.4"],
        "nat64.shop.svc": ["64:ff9b::a9fe:a9fe"],
        "sixtofour.shop.svc": ["2002:a01:203::1"],
        "teredo.shop.svc": ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],
        # Services named by an IDNA A-label (bücher) and by a DNS label that is no A-label.
        "xn--bcher-kva.shop.svc": ["127.0.0.1"],
        "xn--zz.shop.svc": ["127.0.0.1"],
    }
)


@pytest.fixture
async def client() -> Any:
    """A client allowed to reach loopback (the test server) and *.svc names of the stub resolver."""
    http = HttpClient(
        HttpPolicy(
            allowed_hosts=HostAllowList.parse(["127.0.0.1", "*.svc"]),
            allowed_networks=parse_networks(["127.0.0.0/8"]),
            max_body_bytes=CAP_BYTES,
        ),
        resolver=RESOLVER,
    )
    yield http
    await http.aclose()


@pytest.fixture
async def strict_client() -> Any:
    """A client with the production defaults: loopback is not allowed."""
    http = HttpClient(HttpPolicy(allowed_hosts=HostAllowList.parse(["127.0.0.1", "*.svc"])), resolver=RESOLVER)
    yield http
    await http.aclose()


def smoke(port: int, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A check definition against the local target."""
    return {
        "name": "smoke",
        "kind": "http_smoke",
        "base_url": f"http://127.0.0.1:{port}",
        "allowed_hosts": ["127.0.0.1"],
        "steps": steps,
        **extra,
    }


async def run(definition: dict[str, Any], client: HttpClient, args: dict[str, Any] | None = None) -> Evaluation:
    """Load the definition as a catalog and evaluate it through the runner."""
    catalog = build_catalog([("test", {"checks": [definition]})], Registry([HttpSmokeCheck]))
    check = catalog.get(definition["name"])
    runner = Runner(catalog, Sources({}, http=client), Metrics(), 8.0)
    return await runner.evaluate(check, check.bind_args(args or {}))


@contextlib.asynccontextmanager
async def listening(starting: Awaitable[asyncio.Server]) -> AsyncIterator[int]:
    """The port of a raw test server on 127.0.0.1 (`asyncio.start_server`), closed when the block ends."""
    server = await starting
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def recording(heads: list[bytes], answer: Callable[[bytes], bytes]) -> Awaitable[asyncio.Server]:
    """A raw HTTP/1.1 server on 127.0.0.1 (for `listening`) that records each request's head, lowercased, in `heads`
    and writes what `answer` gives for the head as sent; a client gone early ends its connection quietly."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            heads.append(head.lower())
            writer.write(answer(head))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return asyncio.start_server(handle, "127.0.0.1", 0)


# One request from a new process to a local answer, timed by a clock that only setting a client up moves.
FIRST_REQUEST_SCRIPT = """
import asyncio, json, sys, types
import httpx
from analyzer.sources import http as http_source
from analyzer.sources.http import HostAllowList, HttpClient, HttpPolicy, HttpRequest
from analyzer.sources.httppolicy import parse_networks

clock = types.SimpleNamespace(now=0.0)
http_source.time = types.SimpleNamespace(perf_counter=lambda: clock.now)

class FirstImportTakesTime:
    @staticmethod
    def find_spec(name, path=None, target=None):
        clock.now += 10.0
        return None

sys.meta_path.insert(0, FirstImportTakesTime)
create_ssl_context = httpx.create_ssl_context

def slow_ca_bundle(**kwargs):
    clock.now += 10.0
    return create_ssl_context(**kwargs)

httpx.create_ssl_context = slow_ca_bundle

async def answer(reader, writer):
    await reader.readuntil(b"\\r\\n\\r\\n")
    writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = "http://127.0.0.1:%d/" % server.sockets[0].getsockname()[1]
    loopback = HostAllowList.parse(["127.0.0.1"])
    client = HttpClient(HttpPolicy(allowed_hosts=loopback, allowed_networks=parse_networks(["127.0.0.0/8"])))
    before = clock.now
    exchange = await client.exchange(HttpRequest("GET", url), where="w", check_hosts=loopback, timeout_s=30)
    await client.aclose()
    server.close()
    print(json.dumps([clock.now > before, exchange.latency_ms]))

asyncio.run(main())
"""


class TestResponses:
    """Each kind of answer a real server gives leads to the right verdict and evidence."""

    async def test_healthy_endpoint_passes_every_assertion(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [
                    {
                        "name": "ok",
                        "path": "/ok",
                        "headers": {"X-Canary": "always"},
                        "expect": {
                            "status": [200],
                            "max_latency_ms": 5000,
                            "headers": {
                                "content-type": {"regex": "^application/json"},
                                "X-Version": {"equals": "1.2.3"},
                            },
                            "body_contains": ['"status"'],
                            "body_regex": r"\d+\.\d+\.\d+",
                            "json": [
                                {"path": "$.status", "equals": "ok"},
                                {"path": "$.items[0].price", "compare": "> 9"},
                                {"path": "$.missing", "exists": False},
                            ],
                        },
                    }
                ],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason
        step = evaluation.details["steps"][0]
        assert step["status"] == 200
        assert step["latency_ms"] > 0
        assert step["failed_assertions"] == []
        assert step["request"]["headers"] == {"X-Canary": "always"}

    async def test_server_error_fails_naming_step_assertion_expected_and_got(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [{"name": "ok", "path": "/ok"}, {"name": "broken", "path": "/fail"}, {"name": "after", "path": "/ok"}],
            ),
            client,
        )
        assert evaluation.verdict == "fail"
        assert evaluation.reason == "step 'broken' (2/3) failed: status: expected 2xx, got 500"
        assert [s["outcome"] for s in evaluation.details["steps"]] == ["pass", "fail", "not_run"]
        assert evaluation.details["steps"][1]["body"] == '{"status": "broken"}'

    async def test_slow_endpoint_fails_max_latency(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "slow", "path": "/slow", "expect": {"max_latency_ms": 100}}]), client
        )
        assert evaluation.verdict == "fail"
        assert "max_latency_ms: expected <= 100 ms, got" in evaluation.reason
        assert evaluation.details["steps"][0]["latency_ms"] >= 200

    def test_the_first_request_of_a_process_is_timed_without_setting_the_client_up(self):
        # A Job sends one check per process: its first step's latency counted building the shared client (loading
        # the CA bundle) and httpcore's first-use import of anyio's asyncio backend, 100-200 ms on a busy pod. A fresh
        # interpreter whose clock only those move (each first import of a module, each SSL context: 10 s):
        result = subprocess.run(
            [sys.executable, "-c", FIRST_REQUEST_SCRIPT], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        moved, latency_ms = json.loads(result.stdout.splitlines()[-1])
        assert moved, "nothing the clock watches happened: the test no longer sees a first request"
        assert latency_ms == 0

    async def test_no_answer_within_timeout_is_an_error(self, target, client):
        evaluation = await run(smoke(target.port, [{"name": "hang", "path": "/hang", "timeout_s": 0.3}]), client)
        assert evaluation.verdict == "error"
        assert evaluation.error == "target_timeout"
        assert evaluation.reason == "step 'hang' (1/1): no complete answer within timeout_s 0.3"
        assert evaluation.details["steps"][0]["outcome"] == "error"

    async def test_redirect_is_not_followed_by_default(self, target, client):
        evaluation = await run(smoke(target.port, [{"name": "r", "path": "/redirect", "query": {"to": "/ok"}}]), client)
        assert evaluation.verdict == "fail"
        assert "status: expected 2xx, got 302" in evaluation.reason

    async def test_redirect_within_allowed_hosts_is_followed_when_asked(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [
                    {
                        "name": "r",
                        "path": "/redirect",
                        "query": {"to": "/ok"},
                        "follow_redirects": True,
                        "expect": {"json": [{"path": "$.status", "equals": "ok"}]},
                    }
                ],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["redirects"] == [f"http://127.0.0.1:{target.port}/ok"]

    async def test_huge_body_is_capped_and_fails_body_assertions(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "huge", "path": "/huge", "expect": {"body_contains": ["x"]}}]), client
        )
        assert evaluation.verdict == "fail"
        assert "max_body_bytes" in evaluation.reason
        assert evaluation.details["steps"][0]["body_truncated_at_bytes"] == CAP_BYTES

    async def test_huge_body_without_body_assertions_is_drained_and_the_pass_says_so(self, target, client):
        evaluation = await run(smoke(target.port, [{"name": "huge", "path": "/huge", "max_body_bytes": 1024}]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.reason.endswith(
            "; 1 response body over max_body_bytes, drained and judged on status, "
            "latency and headers only: step 'huge')"
        )
        step = evaluation.details["steps"][0]
        # Every byte was read (so the latency is the whole answer's), only the cap's worth was kept.
        assert (step["body_bytes_received"], step["body_bytes_kept"]) == (HUGE_BYTES, 1024)
        assert (step["body_truncated_at_bytes"], step["body_rest"]) == (1024, "drained")

    async def test_huge_body_fails_by_itself_when_oversized_body_is_fail(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "huge", "path": "/huge", "max_body_bytes": 1024, "oversized_body": "fail"}]),
            client,
        )
        assert evaluation.verdict == "fail"
        assert evaluation.reason == (
            "step 'huge' (1/1) failed: max_body_bytes: expected a body of at most 1024 "
            "bytes, got a larger body (reading stopped at the cap: oversized_body is fail)"
        )
        step = evaluation.details["steps"][0]
        assert step["body_rest"] == "not read" and step["body_bytes_received"] < HUGE_BYTES

    async def test_drained_body_under_body_assertions_fails_naming_its_size(self, target, client):
        evaluation = await run(
            smoke(
                target.port, [{"name": "huge", "path": "/huge", "expect": {"json": [{"path": "$.a", "exists": False}]}}]
            ),
            client,
        )
        assert evaluation.reason == (
            f"step 'huge' (1/1) failed: max_body_bytes: expected a body of at most "
            f"{CAP_BYTES} bytes (body assertions need the whole body), got a body of "
            f"{HUGE_BYTES} bytes"
        )

    async def test_bodies_over_the_cap_are_counted_under_repeat(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [
                    {"name": "ok", "path": "/ok"},
                    {"name": "huge", "path": "/huge", "repeat": 3, "concurrency": 3, "max_body_bytes": 1024},
                ],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason
        assert (
            "; 3 response bodies over max_body_bytes, drained and judged on status, latency and headers only: "
            "step 'huge')" in evaluation.reason
        )
        assert evaluation.details["steps"][1]["repeat"]["bodies_over_cap"] == 3

    async def test_a_drain_that_outlasts_the_timeout_says_so(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [{"name": "endless", "path": "/endless", "timeout_s": 0.5, "retries": 0, "max_body_bytes": 1024}],
            ),
            client,
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout")
        assert evaluation.reason.startswith(
            "step 'endless' (1/1): no complete answer within timeout_s 0.5 (the body passed max_body_bytes 1024; "
        )
        assert "bytes received so far, the rest was being drained to time the whole answer)" in evaluation.reason

    async def test_compressed_body_is_decoded(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [{"name": "gz", "path": "/compressed", "expect": {"json": [{"path": "$.status", "equals": "ok"}]}}],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason

    async def test_gzip_bomb_is_cut_at_the_cap(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "bomb", "path": "/gzip-bomb", "expect": {"body_contains": ["x"]}}]), client
        )
        assert evaluation.verdict == "fail"
        assert evaluation.reason.endswith(
            f"got a gzip body of {len(GZIP_BOMB)} bytes that decodes to more than {CAP_BYTES}"
        )
        assert evaluation.details["steps"][0]["body_truncated_at_bytes"] == CAP_BYTES

    async def test_corrupt_gzip_is_an_error(self, target, client):
        evaluation = await run(smoke(target.port, [{"name": "bad", "path": "/corrupt-gzip"}]), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "gzip body is corrupt" in evaluation.reason

    async def test_gzip_body_cut_before_its_end_marker_is_an_error_not_a_pass_on_its_prefix(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "cut", "path": "/cut-gzip", "expect": {"body_contains": ["ready"]}}]), client
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "the gzip body ended before its end marker: the response was cut" in evaluation.reason

    async def test_close_delimited_gzip_body_whose_connection_broke_is_an_error(self, client):
        async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            # No Content-Length: the body ends where the connection does, here 2/3 into the gzip stream.
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n" + CUT_GZIP)
            await writer.drain()
            writer.close()

        async with listening(asyncio.start_server(answer_then_close, "127.0.0.1", 0)) as port:
            evaluation = await run(
                smoke(port, [{"name": "cut", "retries": 0, "expect": {"body_contains": ["ready"]}}]), client
            )
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "the gzip body ended before its end marker: the response was cut" in evaluation.reason

    async def test_whole_gzip_body_with_bytes_after_its_end_is_an_error(self, target, client):
        evaluation = await run(
            smoke(
                target.port, [{"name": "tail", "path": "/gzip-then-garbage", "expect": {"body_contains": ["ready"]}}]
            ),
            client,
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "the gzip body has bytes after its end marker" in evaluation.reason

    async def test_gzip_body_padded_with_zero_bytes_is_read_whole(self, target, client):
        # Before: error "bytes after its end marker", where Python's gzip module and chromium read the page.
        evaluation = await run(
            smoke(
                target.port,
                # The first and the last of the body: all of it read.
                [{"name": "padded", "path": "/gzip-padded", "expect": {"body_contains": ["ready", LAST_HASH]}}],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason

    async def test_malformed_json_fails_json_assertions(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [{"name": "bad", "path": "/malformed", "expect": {"json": [{"path": "$.status", "equals": "ok"}]}}],
            ),
            client,
        )
        assert evaluation.verdict == "fail"
        assert evaluation.reason.startswith(
            "step 'bad' (1/1) failed: json $.status: expected a JSON body, got a body that is not JSON"
        )

    async def test_capture_feeds_a_later_step(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [
                    {
                        "name": "create",
                        "method": "POST",
                        "path": "/orders",
                        "json_body": {"sku": "{{ sku }}", "qty": 2},
                        "expect": {"status": [201], "json": [{"path": "$.qty", "equals": 2}]},
                        "capture": {"order_id": {"json": "$.id", "secret": False}},
                    },
                    {
                        "name": "read",
                        "path": "/orders/{{ order_id }}",
                        "expect": {
                            "json": [{"path": "$.id", "equals": "o-abc"}, {"path": "$.canary", "equals": "always"}]
                        },
                    },
                ],
                headers={"X-Canary": "always"},
                params={"sku": {"type": "label_value", "default": "abc"}},
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][1]["request"]["url"].endswith("/orders/o-abc")
        assert evaluation.details["steps"][0]["request"]["body"] == '{"sku":"abc","qty":2}'

    async def test_captured_value_that_breaks_the_next_request_is_a_bad_answer(self, target, client):
        # A non-ASCII capture placed in a header: the args passed bind_args, the target's data broke the request;
        # that was a crash (500) with a traceback.
        evaluation = await run(
            smoke(
                target.port,
                [
                    {
                        "name": "echo",
                        "method": "POST",
                        "path": "/echo/x",
                        "text_body": "caf\u00e9",
                        "capture": {"order_id": {"json": "$.body"}},
                    },
                    {"name": "read", "path": "/orders/x", "headers": {"X-Order": "{{ order_id }}"}},
                ],
            ),
            client,
        )
        assert (evaluation.verdict, evaluation.error, evaluation.http_status) == ("error", "target_bad_answer", 502)
        assert evaluation.reason.startswith(
            "step 'read' (2/2) cannot be sent: a value captured from an earlier answer makes the request invalid: "
        )
        assert [s["outcome"] for s in evaluation.details["steps"]] == ["pass", "error"]

    async def test_connection_refused_after_retries_is_an_error(self, client):
        port = refused_port()
        evaluation = await run(smoke(port, [{"name": "down", "path": "/ok", "retries": 2}]), client)
        assert evaluation.verdict == "error"
        assert evaluation.error == "target_unreachable"
        assert evaluation.reason == f"step 'down' (1/1): cannot connect to 127.0.0.1:{port}: Connection refused"

    async def test_a_redirect_hop_that_cannot_connect_never_sends_the_request_again(self, aiohttp_server, client):
        # Retries are for "nothing was sent": after a POST answered 303, the POST was sent and is not repeated.
        posts: list[str] = []
        closed = refused_port()

        async def order(request: web.Request) -> web.Response:
            posts.append(await request.text())
            raise web.HTTPSeeOther(f"http://127.0.0.1:{closed}/done")

        app = web.Application()
        app.router.add_post("/order", order)
        server = await aiohttp_server(app)
        step = {
            "name": "order",
            "method": "POST",
            "path": "/order",
            "text_body": "one order",
            "retries": 2,
            "follow_redirects": True,
        }
        evaluation = await run(smoke(server.port, [step]), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_unreachable")
        assert f"cannot connect to 127.0.0.1:{closed}" in evaluation.reason
        assert posts == ["one order"]

    async def test_connection_refused_to_a_name_names_host_port_and_address(self, client):
        port = refused_port()
        definition = {
            "name": "named",
            "kind": "http_smoke",
            "base_url": f"http://preview.shop.svc:{port}",
            "steps": [{"name": "down", "retries": 0}],
        }
        evaluation = await run(definition, client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_unreachable")
        assert evaluation.reason == (
            f"step 'down' (1/1): cannot connect to preview.shop.svc:{port} (127.0.0.1): Connection refused"
        )

    async def test_dns_failure_is_an_error(self, client):
        definition = {
            "name": "dns",
            "kind": "http_smoke",
            "base_url": "http://nowhere.shop.svc",
            "steps": [{"name": "x", "retries": 0}],
        }
        evaluation = await run(definition, client)
        assert evaluation.verdict == "error"
        assert "DNS lookup of nowhere.shop.svc failed" in evaluation.reason

    async def test_stub_resolved_name_reaches_the_server_on_the_checked_address(self, target, client):
        definition = {
            "name": "named",
            "kind": "http_smoke",
            "base_url": f"http://{{{{ svc }}}}.shop.svc:{target.port}",
            "params": {"svc": {"type": "dns_label", "required": True}},
            "steps": [{"name": "ok", "path": "/ok"}],
        }
        assert (await run(definition, client, {"svc": "preview"})).verdict == "pass"
        assert (await run(definition, client, {"svc": "mapped"})).verdict == "pass"

    async def test_a_service_named_by_an_a_label_listed_in_allowed_hosts_is_reached(self, target, client):
        # Patterns are written in A-labels; the host was judged as httpx decodes it (bücher.shop.svc): refused.
        definition = {
            "name": "named",
            "kind": "http_smoke",
            "base_url": f"http://{{{{ svc }}}}.shop.svc:{target.port}",
            "params": {"svc": {"type": "dns_label", "required": True}},
            "allowed_hosts": ["xn--bcher-kva.shop.svc"],
            "steps": [{"name": "ok", "path": "/ok"}],
        }
        evaluation = await run(definition, client, {"svc": "xn--bcher-kva"})
        assert evaluation.verdict == "pass", evaluation.reason

    async def test_a_dns_label_arg_that_is_no_a_label_is_refused_by_name(self, target, client):
        # `xn--zz` is a DNS label (a Service's name may be one) but no IDNA, which httpx cannot name in a request:
        # decoding it crashed the check (`internal error ... IDNAError: Invalid A-label`).
        definition = {
            "name": "named",
            "kind": "http_smoke",
            "base_url": f"http://{{{{ svc }}}}.shop.svc:{target.port}",
            "params": {"svc": {"type": "dns_label", "required": True}},
            "steps": [{"name": "ok", "path": "/ok"}],
        }
        evaluation = await run(definition, client, {"svc": "xn--zz"})
        assert (evaluation.verdict, evaluation.error) == ("error", "target_refused"), evaluation.reason
        assert evaluation.reason == (
            f"step 'ok' (1/1): refused http://xn--zz.shop.svc:{target.port}/ok: host 'xn--zz.shop.svc' has the label "
            "'xn--zz', which is no IDNA A-label (Invalid A-label): no HTTP request can name it (httpx decodes every "
            "label of a name whose first label starts with xn--)"
        )


class TestCharsetLabels:
    """A real server's charset label is read from WHATWG Encoding's label table, as browsers read it, not from
    Python's codec names."""

    ERROR = "\u30a8\u30e9\u30fc"

    @pytest.mark.parametrize(
        ("content_type", "page"),
        [
            # Browsers know no `utf-32` label and read on: the page is UTF-8 (read as UTF-32 it held no エラー).
            ("text/html", f'<meta charset="utf-32"><title>{ERROR} 500</title>'.encode()),
            # An unknown label is passed over, the next meta names the charset (utf-7 stopped the prescan here).
            ("text/html", f'<meta charset="utf-7"><meta charset="shift_jis"><title>{ERROR}</title>'.encode("cp932")),
            # `unicode` is UTF-16LE, which a meta makes UTF-8: browsers stop at it (here the Shift_JIS meta was read).
            ("text/html", f'<meta charset="unicode"><meta charset="shift_jis"><title>{ERROR}</title>'.encode()),
            # A replacement label stops the prescan too; the page is read as UTF-8 (see judge._text).
            ("text/html", f'<meta charset="csiso2022kr"><meta charset="shift_jis"><title>{ERROR}</title>'.encode()),
            # An unknown label in the header is ignored: the meta names the charset, else the page is UTF-8.
            ("text/html; charset=utf-32", f'<meta charset="shift_jis"><title>{ERROR}</title>'.encode("cp932")),
            ("text/plain; charset=utf-32", f"{ERROR} 500".encode()),
            # Python's names for legacy codecs are no WHATWG labels: a UTF-8 page labelled so is read as UTF-8.
            ("text/plain; charset=cp932", f"{ERROR} 500".encode()),
            ("text/html", f'<meta charset="cp949"><title>{ERROR} 500</title>'.encode()),
            # A meta past the prescan's 1024 bytes, still in the head: Chrome reads the page in its charset (it was
            # read as UTF-8 here, the error passed).
            (
                "text/html",
                f'<head><!-- {"x" * 1100} --><meta charset="shift_jis"><title>{ERROR} 500</title>'.encode("cp932"),
            ),
            (
                "text/html",
                f"<head><script>var pad = '{'x' * 1100}';</script><meta charset=euc-jp><title>{ERROR}</title>".encode(
                    "euc_jp"
                ),
            ),
        ],
    )
    async def test_an_error_page_browsers_show_fails_body_not_contains(
        self, aiohttp_server, client, content_type, page
    ):
        async def error_page(request: web.Request) -> web.Response:
            return web.Response(body=page, headers={"Content-Type": content_type})

        app = web.Application()
        app.router.add_get("/", error_page)
        server = await aiohttp_server(app)
        step = {"name": "home", "path": "/", "expect": {"body_not_contains": [self.ERROR]}}
        evaluation = await run(smoke(server.port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.details["steps"][0]["failed_assertions"][0].startswith("body_not_contains"), evaluation.reason

    @pytest.mark.parametrize(
        ("content_type", "page"),
        [
            # x-user-defined in a meta is windows-1252 (WHATWG HTML's prescan): read on as UTF-8, "é" was lost.
            ("text/html", '<meta charset="x-user-defined"><title>Erreur: opération</title>'.encode("cp1252")),
            # macintosh is a label browsers read (it was read as UTF-8 here).
            ("text/plain; charset=x-mac-roman", "Erreur: opération".encode("mac_roman")),
        ],
    )
    async def test_a_legacy_page_is_read_in_its_labelled_charset(self, aiohttp_server, client, content_type, page):
        async def error_page(request: web.Request) -> web.Response:
            return web.Response(body=page, headers={"Content-Type": content_type})

        app = web.Application()
        app.router.add_get("/", error_page)
        server = await aiohttp_server(app)
        step = {"name": "home", "path": "/", "expect": {"body_not_contains": ["opération"]}}
        evaluation = await run(smoke(server.port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason


class TestSecretArgsEchoed:
    """A declared secret param's value is scrubbed from everything a verdict shows, wherever the target echoes it."""

    async def test_an_echoed_secret_arg_is_redacted_in_its_url_form_too(self, target, client):
        definition = smoke(
            target.port,
            [
                {
                    "name": "echo",
                    "path": "/echo/x",
                    "query": {"page": "{{ token }}"},
                    "expect": {"body_contains": ["no"]},
                }
            ],
            params={"token": {"type": "label_value", "required": True, "secret": True}},
        )
        # Echoed URL-encoded (tk%2F9f3e+1a77c2), a form the runner's scrubbing of secret args does not know.
        evaluation = await run(definition, client, {"token": "tk/9f3e 1a77c2"})
        assert evaluation.verdict == "fail", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "9f3e" not in shown
        assert "<redacted>" in evaluation.details["steps"][0]["body"]


class TestCredentialsTheCheckSends:
    """A credential the check sends that says what it is (a URL's user info, a DSN's password, a JWT, an AWS key id)
    is hidden in the request's evidence and wherever the target echoes it, whatever header, query or body name
    carries it, as it is in an answer."""

    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

    async def test_they_are_hidden_in_the_request_and_its_echo(self, target, client):
        step = {
            "name": "echo",
            "method": "POST",
            "path": "/echo/x",
            "headers": {"X-Upstream": "https://svc:hdr-p4ssw0rd@backend.svc/", "X-Context": self.JWT},
            "query": {"callback": "https://hook:qry-p4ssw0rd@hooks.svc/"},
            "json_body": {"dsn": "postgres://app:bdy-p4ssw0rd@db:5432/app", "aws": "AKIAIOSFODNN7EXAMPLE"},
            "expect": {"body_contains": ["never there"]},
        }
        evaluation = await run(smoke(target.port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        for secret in ("p4ssw0rd", self.JWT[40:], "AKIAIOSFODNN7EXAMPLE"):
            assert secret not in shown
        request = evaluation.details["steps"][0]["request"]
        # What is no credential stays readable: the host a URL names, the DSN's user and database.
        assert request["headers"]["X-Upstream"] == "https://<redacted>@backend.svc/"
        assert json.loads(request["body"])["dsn"] == "postgres://<redacted>@db:5432/app"

    async def test_an_arg_placed_in_one_is_hidden_as_sent(self, target, client):
        step = {
            "name": "echo",
            "path": "/echo/x",
            "headers": {"X-Upstream": "https://svc:{{ pw }}@backend.svc/"},
            "expect": {"body_contains": ["never there"]},
        }
        definition = smoke(target.port, [step], params={"pw": {"type": "label_value", "required": True}})
        evaluation = await run(definition, client, {"pw": "arg-p4ssw0rd"})
        assert evaluation.verdict == "fail", evaluation.reason
        assert "p4ssw0rd" not in json.dumps(evaluation.model_dump(mode="json"))
        # A secret arg: hidden where it stands, and in args, the page link and history too.
        assert (
            evaluation.details["steps"][0]["request"]["headers"]["X-Upstream"] == "https://svc:<redacted>@backend.svc/"
        )
        assert evaluation.args == {"pw": "<redacted>"}


class TestSecretsTheTargetSends:
    """A secret an answer holds under a secret name (a token a login returns, a password a debug page shows) is
    shown nowhere, though no capture asked for it."""

    @staticmethod
    async def answering(body: bytes, content_type: bytes = b"application/json") -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (content_type, len(body))
                writer.write(head + body)
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    @pytest.mark.parametrize(
        ("expect", "verdict"),
        [
            ({}, "pass"),
            ({"body_contains": ["ready"]}, "fail"),
            ({"body_not_contains": ["ok"]}, "fail"),
            ({"body_regex": "^ready"}, "fail"),
            ({"json": [{"path": "$.status", "equals": "ready"}]}, "fail"),
        ],
    )
    async def test_a_token_in_a_login_answer_is_redacted_in_reason_and_evidence(self, client, expect, verdict):
        # The login step captures nothing, so nothing knew the token: the reason (logs, Argo's message), the
        # evidence, the history and JUnit quoted it.
        body = (
            b'{"status": "ok", "access_token": "eyJhbGciOi.s3cr3t-jwt-payload", "Refresh-Token":"r3fr3sh-t0ken", '
            # A pin no timestamp, port or duration in the evaluation can hold by chance (4711 was in `144711Z`).
            b'"pin": 918273645501}'
        )
        async with listening(self.answering(body)) as port:
            step = {"name": "log in", "method": "POST", "path": "/login", "json_body": {}, "expect": expect}
            evaluation = await run(smoke(port, [step], secret_names=["pin"]), client)
        assert evaluation.verdict == verdict, evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        for secret in ("s3cr3t", "r3fr3sh", "918273645501"):
            assert secret not in shown, shown
        assert '"access_token": "<redacted>"' in evaluation.details["steps"][0]["body"]
        assert '"status": "ok"' in evaluation.details["steps"][0]["body"]

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b"access_token=gho_s3cr3tvalue&scope=repo", b"application/x-www-form-urlencoded"),
            (b'<a href="/cb?code=1&session=s3cr3tvalue">continue</a>', b"text/html"),
            (b'{"next": "https://shop/x?api_key=s3cr3tvalue&page=2"}', b"application/json"),
        ],
    )
    async def test_a_secret_parameter_in_an_answer_is_redacted(self, client, body, content_type):
        # A token endpoint answering as a form (GitHub's default), a link or URL carrying a session: quoted whole.
        async with listening(self.answering(body, content_type)) as port:
            evaluation = await run(smoke(port, [{"name": "a", "expect": {"body_contains": ["ready"]}}]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "s3cr3t" not in shown, shown
        assert "=<redacted>" in evaluation.details["steps"][0]["body"]

    async def test_a_secret_cut_by_the_evidence_quote_is_redacted(self, client):
        # The quote stops at 512 characters, inside the token: its start was shown.
        body = b'{"padding": "' + b"x" * 480 + b'", "token": "' + b"s3cr3t" * 200 + b'"}'
        async with listening(self.answering(body)) as port:
            evaluation = await run(smoke(port, [{"name": "a", "path": "/"}]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "s3cr3t" not in shown, shown


# Answers a failing step may quote, as services write them: each with the secrets it holds (`S3CR3T` in each, so that a
# leak of any of them is found by one search) and a word of it that must still be shown (evidence is for reading).
_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTM0NSM1QifQ.S3CR3Tsignature0a1b2c"
REALISTIC_ANSWERS = {
    "spring-json-error": (
        b"application/json",
        b'{"status":500,"error":"Internal Server Error","message":"Could not open JDBC Connection: '
        b'jdbc:postgresql://db:5432/shop?user=app&password=pg-S3CR3T","path":"/api/orders"}',
        "Internal Server Error",
    ),
    "java-oracle-trace": (
        b"text/plain",
        b"java.sql.SQLException: Listener refused the connection\n\tat oracle.jdbc.driver.T4CConnection.logon"
        b"(T4CConnection.java:489)\nCaused by: connecting with scott/ora-S3CR3T@db.internal:1521/ORCL\n",
        "T4CConnection.java:489",
    ),
    "python-trace-dsn": (
        b"text/plain",
        b'Traceback (most recent call last):\n  File "/app/db.py", line 12, in connect\n    engine = create_engine('
        b'"postgresql://svc:py-S3CR3T@pg:5432/app")\nsqlalchemy.exc.OperationalError: could not connect\n',
        "OperationalError",
    ),
    "go-mysql-panic": (
        b"text/plain",
        b'panic: dial tcp: lookup db: no such host (dsn "root:go-S3CR3T@tcp(db:3306)/app?parseTime=true")\n'
        b"\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:21 +0x1d\n",
        "goroutine 1",
    ),
    "go-struct": (b"text/plain", b"config: &{Host:db User:app Password:gostruct-S3CR3T Port:5432}", "User:app"),
    "node-mongo-error": (
        b"text/plain",
        b"MongoServerSelectionError: connect ECONNREFUSED 10.0.0.5:27017\n  config: { uri: "
        b"'mongodb+srv://admin:mongo-S3CR3T@cluster0.mongodb.net/prod', password: 'node-S3CR3T' }\n",
        "ECONNREFUSED",
    ),
    "k8s-secret-yaml": (
        b"application/yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-db\ndata:\n  password: UzNDUjNU\n"
        b"  api-key: UzNDUjNUUzNDUjNU\nstringData:\n  DB_URL: postgres://app:k8s-S3CR3T@db:5432/shop\n",
        "shop-db",
    ),
    "k8s-secret-json": (
        b"application/json",
        b'{"kind":"Secret","metadata":{"name":"api"},"data":{"api-key":"UzNDUjNUUzNDUjNU","tls.key":"UzNDUjNUa2V5"}}',
        '"kind":"Secret"',
    ),
    "dotenv": (
        b"text/plain",
        b"NODE_ENV=production\nDATABASE_URL=postgres://app:env-S3CR3T@db/shop\nSTRIPE_KEY=sk_live_S3CR3T0a1b2c3d\n"
        b'AWS_ACCESS_KEY_ID=AKIAS3CR3T0A1B2C3D4E\nexport GITHUB_TOKEN="ghp_S3CR3T0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o"\n'
        b"export API_SECRET='api-S3CR3T'\nSMTP_PASS=smtp-S3CR3T\n",
        "NODE_ENV=production",
    ),
    "curl-verbose": (
        b"text/plain",
        b"* Connected to api.shop (10.0.0.1) port 443\n> GET /v1/me HTTP/2\n> Host: api.shop\n> authorization: Bearer "
        + _JWT.encode()
        + b"\n> x-api-key: curl-S3CR3T\n> cookie: sid=sid-S3CR3T\n>\n< HTTP/2 401\n",
        "Connected to api.shop",
    ),
    "set-cookie-echo": (
        b"text/plain",
        b"HTTP/1.1 302 Found\nSet-Cookie: SESSIONID=sess-S3CR3T; Path=/; HttpOnly\nLocation: /home\n",
        "302 Found",
    ),
    "echoed-request-json": (
        b"application/json",
        b'{"method":"GET","headers":{"Authorization":"Basic UzNDUjNUOlMzQ1IzVA==","X-Request-Id":"r-1",'
        b'"Proxy-Authorization":"Bearer proxy-S3CR3T-0a1b"}}',
        '"X-Request-Id":"r-1"',
    ),
    "echoed-request-text": (
        b"text/plain",
        b"Request headers:\n  Host: shop\n  Authorization: Bearer text-S3CR3T-0a1b\n  X-Auth-Token: xauth-S3CR3T\n",
        "Host: shop",
    ),
    "graphql-error": (
        b"application/json",
        b'{"errors":[{"message":"Variable \\"$password\\" got invalid value"}],"debug":{"query":"mutation { login('
        b'email: \\"a@b.c\\", password: \\"gql-S3CR3T\\") { token: apiToken } }","variables":{"apiKey":"var-S3CR3T"}}}',
        "token: apiToken",
    ),
    "soap-fault": (
        b"text/xml",
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>'
        b"soap:Client</faultcode><faultstring>Invalid credentials</faultstring><detail><wsse:Security>"
        b"<wsse:BinarySecurityToken>MIIBS3CR3T==</wsse:BinarySecurityToken></wsse:Security></detail></soap:Fault>"
        b"</soap:Body></soap:Envelope>",
        "Invalid credentials",
    ),
    "dotnet-config": (
        b"text/xml",
        b'<configuration><connectionStrings><add name="Main" connectionString="Server=sql1;User Id=sa;'
        b'Password=mssql-S3CR3T;" /></connectionStrings><appSettings><add key="StripeKey" value="stripe-S3CR3T" />'
        b"</appSettings></configuration>",
        "Server=sql1",
    ),
    "html-login-form": (
        b"text/html",
        b'<form method="post" action="/login"><input type="hidden" name="authenticity_token" value="csrf-S3CR3T">'
        b'<input name="username" value="bob"><input type="password" name="pw" value="pw-S3CR3T"></form>',
        'value="bob"',
    ),
    "django-debug-page": (
        b"text/html",
        b"<h1>ImproperlyConfigured</h1><table><tr><th>Setting</th><th>Value</th></tr><tr><td>SECRET_KEY</td><td>"
        b'dj-S3CR3T</td></tr><tr><td>DATABASES</td><td>{"default": {"PASSWORD": "djdb-S3CR3T", "HOST": "db"}}</td>'
        b"</tr></table>",
        "ImproperlyConfigured",
    ),
    "rails-error": (
        b"text/html",
        b"<pre>ActiveRecord::ConnectionNotEstablished: mysql2://shop:rails-S3CR3T@mysql:3306/shop_production</pre>"
        b'<p>Parameters: {"user"=>{"email"=>"a@b.c", "password"=>"param-S3CR3T"}}</p>',
        "ConnectionNotEstablished",
    ),
    "php-stack": (
        b"text/html",
        b"<b>Fatal error</b>: Uncaught PDOException: SQLSTATE[HY000] [1045] Access denied\nStack trace:\n#0 "
        b"/var/www/db.php(5): PDO->__construct('mysql:host=db;dbname=shop', 'shop', 'pdo-S3CR3T')\n#1 {main}",
        "Access denied",
    ),
    "jwt-in-log": (
        b"text/plain",
        b"2024-05-01T10:00:00Z ERROR auth failed sessionTimeout=30 user=bob raw=" + _JWT.encode() + b"\n",
        "sessionTimeout=30",
    ),
    "aws-error": (
        b"application/json",
        b'{"__type":"UnrecognizedClientException","debug":"key AKIAS3CR3T0A1B2C3D4E session '
        b'IQoJb3JpZ2luS3CR3T0a1b2c3d4e5f6g7h8i9j0"}',
        "UnrecognizedClientException",
    ),
    "slack-and-github-tokens": (
        b"text/plain",
        b"notify: posting with xoxb-1234567890-S3CR3T-bot failed\nclone: https://x-access-token:"
        b"ghs_S3CR3T0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o@github.com/o/r.git\nfetch ssh://git@github.com/o/r.git\n",
        "ssh://git@github.com",
    ),
    "pem-private-key": (
        b"text/plain",
        b"failed to load TLS config:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAS3CR3T\nS3CR3Tline2\n"
        b"-----END RSA PRIVATE KEY-----\n",
        "failed to load TLS config",
    ),
    "python-repr-headers": (
        b"text/plain",
        b"httpx.HTTPStatusError: 401 for {'Authorization': 'Bearer repr-S3CR3T-0a1b', 'X-Api-Key': 'key-S3CR3T', "
        b"'Accept': 'json'}",
        "'Accept': 'json'",
    ),
    "ini-config-dump": (
        b"text/plain",
        b"[database]\nhost = db\npassword = ini-S3CR3T\n\n[smtp]\nsmtp_pass = smtp-S3CR3T\n",
        "host = db",
    ),
    "oauth-token-json": (
        b"application/json",
        b'{"access_token":"acc-S3CR3T","token_type":"Bearer","expires_in":3600,"refresh_token":"ref-S3CR3T",'
        b'"id_token":"' + _JWT.encode() + b'"}',
        '"expires_in":3600',
    ),
    "redis-and-amqp-uris": (
        b"application/json",
        b'{"error":"ECONNREFUSED","config":{"url":"redis://:redis-S3CR3T@redis:6379/0"},'
        b'"amqp":"amqp://guest:amqp-S3CR3T@rabbit:5672/"}',
        "ECONNREFUSED",
    ),
    "nginx-upstream-request": (
        b"text/html",
        b"<h1>502 Bad Gateway</h1><pre>GET /api HTTP/1.1\r\nHost: api\r\nCookie: _shop_session=ngx-S3CR3T; "
        b"theme=dark\r\n</pre>",
        "502 Bad Gateway",
    ),
    "lists-of-pairs": (
        b"application/json",
        b'{"headers": [["Content-Type", "json"], ["X-Api-Key", "pairs-S3CR3T"]], "env": [{"name": "DB_PASSWORD",'
        b' "value": "envlist-S3CR3T"}]}',
        '["Content-Type", "json"]',
    ),
    "command-lines": (
        b"text/plain",
        b"+ mysql -u root -pmysql-S3CR3T shop\n+ vault login --token vault-S3CR3T\n+ java -Djavax.net.ssl."
        b"keyStorePassword=jvm-S3CR3T -jar app.jar\n",
        "-jar app.jar",
    ),
    "django-debug-escaped": (
        b"text/html",
        b"<tr><td>DATABASES</td><td class=code><pre>{&#x27;default&#x27;: {&#x27;HOST&#x27;: &#x27;db&#x27;, "
        b"&#x27;PASSWORD&#x27;: &#x27;djesc-S3CR3T&#x27;}}</pre></td></tr>",
        "&#x27;HOST&#x27;: &#x27;db&#x27;",
    ),
    "nextjs-error-overlay": (
        b"text/html",
        b"<pre>  10 | import { db } from './db'\n&gt; 11 | const STRIPE_SECRET = &quot;overlay-S3CR3T&quot;\n  12 | "
        b"export default db</pre>",
        "import { db }",
    ),
    "jdbc-sqlserver": (
        b"text/plain",
        b"SQLServerException: Login failed. url=jdbc:sqlserver://sql1:1433;databaseName=shop;user=sa;"
        b"password=mssql-S3CR3T;encrypt=true\n",
        "Login failed",
    ),
}


class TestRealisticAnswers:
    """Error pages, stack traces, config dumps and echoed requests as services write them, quoted by a failing step
    through a real server: no secret they hold is shown anywhere in the verdict, and the rest of them is."""

    @pytest.mark.parametrize(("content_type", "body", "kept"), REALISTIC_ANSWERS.values(), ids=REALISTIC_ANSWERS.keys())
    async def test_no_secret_is_shown(self, client, content_type, body, kept):
        async with listening(TestSecretsTheTargetSends.answering(body, content_type)) as port:
            step = {"name": "a", "path": "/", "expect": {"body_contains": ["ready"]}}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "S3CR3T" not in shown and "UzNDUjNU" not in shown, evaluation.details["steps"][0]["body"]
        assert kept in evaluation.details["steps"][0]["body"]


class TestOAuthCodesInRedirects:
    """An OAuth authorization code a target redirects with is a credential: the hops and the Location show it as
    redacted, while a short `code=` (an error page's status) stays readable."""

    @staticmethod
    async def redirecting(location: bytes) -> asyncio.Server:
        """A server that sends /login on to `location` and answers anything else with a 200."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /login "):
                    writer.write(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % location)
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    @pytest.mark.parametrize("code", [b"4/0AX4XfWh-auth-code-s3cr3t", b"s3cr3t42"], ids=["google", "8-characters"])
    @pytest.mark.parametrize("follow", [True, False])
    async def test_an_authorization_code_in_a_redirect_is_redacted(self, client, follow, code):
        # `code` is no secret name, so the hop to the callback and its Location showed the code, which with the
        # client's credentials buys the user's tokens, in the evidence, the history and JUnit.
        async with listening(self.redirecting(b"/cb?code=" + code + b"&state=af0ifjsldkj")) as port:
            expect = {} if follow else {"status": [302]}
            step = {"name": "login", "path": "/login", "follow_redirects": follow, "expect": expect}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "s3cr3t" not in shown, shown
        assert "state=af0ifjsldkj" in shown, shown
        assert "code=<redacted>" in shown, shown

    async def test_a_short_code_stays_readable(self, client):
        # An error page's `?code=500` is no credential: hiding it would hide every 500 of the reason too.
        async with listening(self.redirecting(b"/error?code=500")) as port:
            step = {"name": "a", "path": "/login", "expect": {"status": [301]}}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.details["steps"][0]["response_headers"]["location"] == "/error?code=500"
        assert evaluation.reason == "step 'a' (1/1) failed: status: expected 301, got 302"


class TestOneTimeLinksInRedirects:
    """A one-time link's token in a redirect's path (a password reset's, an invitation's, a magic sign-in link's) is a
    credential by the segment before it and its shape: the hops and the Location show it as redacted, while a word or
    a slug there stays readable."""

    @pytest.mark.parametrize(
        "location",
        [b"/reset/abc123def456ghi789s3cr3t", b"/invite/Zk3p9QxW2mN8rT5vs3cr3t", b"/magic-link/s3cr3t-9f8e7d6c5b4a"],
    )
    @pytest.mark.parametrize("follow", [True, False])
    async def test_a_one_time_links_token_is_redacted(self, client, follow, location):
        # The path's token showed in the evidence's Location and hops, the history and JUnit: the link signs in.
        async with listening(TestOAuthCodesInRedirects.redirecting(location)) as port:
            expect = {} if follow else {"status": [302]}
            step = {"name": "login", "path": "/login", "follow_redirects": follow, "expect": expect}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "s3cr3t" not in shown, shown
        assert location.rsplit(b"/", 1)[0].decode() + "/<redacted>" in shown, shown

    async def test_a_slug_after_reset_stays_readable(self, client):
        async with listening(TestOAuthCodesInRedirects.redirecting(b"/reset/password-instructions-sent")) as port:
            step = {"name": "a", "path": "/login", "expect": {"status": [302]}}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["response_headers"]["location"] == "/reset/password-instructions-sent"


class TestRefusedHopsShowNoCredential:
    """A redirect hop that is refused or fails is named without its query, fragment or path parameters, where an
    OAuth implicit flow's token, an authorization code or a servlet's session id stands: such a reason is logged and
    kept in history before any answer could tell the check what to hide."""

    @pytest.mark.parametrize(
        ("location", "shown"),
        [
            (b"http://evil.example.com/cb#access_token=opaqueTok3n12345&state=x", "http://evil.example.com/cb"),
            (b"http://evil.example.com/cb#code=opaqueTok3n12345", "http://evil.example.com/cb"),
            (b"http://evil.example.com/app;jsessionid=opaqueTok3n12345/cb", "http://evil.example.com/app/cb"),
            (b"http://evil.example.com/cb;jsessionid=opaqueTok3n12345?x=1", "http://evil.example.com/cb"),
        ],
    )
    async def test_a_refused_hop(self, client, location, shown):
        async with listening(TestOAuthCodesInRedirects.redirecting(location)) as port:
            step = {"name": "login", "path": "/login", "follow_redirects": True}
            with structlog.testing.capture_logs() as logs:
                evaluation = await run(smoke(port, [step]), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_refused")
        assert evaluation.reason == (
            f"step 'login' (1/1), redirect 1 (from http://127.0.0.1:{port}/login to {shown}): refused {shown}: host "
            "'evil.example.com' is not in the check's allowed_hosts (127.0.0.1)"
        )
        assert "opaqueTok3n" not in json.dumps(evaluation.model_dump(mode="json")) + repr(logs)

    async def test_a_hop_with_user_info(self, client):
        location = b"http://bob:opaqueTok3n12345@evil.example.com/cb#state=x"
        async with listening(TestOAuthCodesInRedirects.redirecting(location)) as port:
            evaluation = await run(smoke(port, [{"name": "login", "path": "/login", "follow_redirects": True}]), client)
        assert evaluation.reason == (
            f"step 'login' (1/1), redirect 1 (from http://127.0.0.1:{port}/login to http://<redacted>@evil.example.com/cb):"
            " refused http://<redacted>@evil.example.com/cb: the URL carries user info (user@host)"
        )

    async def test_one_past_max_redirects(self, client):
        async with listening(TestOAuthCodesInRedirects.redirecting(b"/login#access_token=opaqueTok3n12345")) as port:
            step = {"name": "login", "path": "/login", "follow_redirects": True, "max_redirects": 1}
            evaluation = await run(smoke(port, [step]), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert evaluation.reason == "step 'login' (1/1): more than 1 redirects (the last to /login)"


class TestNamesThatHoldNoSecret:
    """A name that only holds a secret name's letters (a language model's token counts, an author) is shown: the value
    a failed assertion is about is what the SRE reads to see why the rollout stopped."""

    async def test_token_counts_and_an_author_are_shown(self, client):
        # `total_tokens` and `author` read as secret names: the reason said `expected < 1000, got "<redacted>"`, and
        # the max_tokens param sent in the body was a secret arg (`<redacted>` in args and links).
        body = b'{"author": "release-bot", "usage": {"total_tokens": 1600}, "session_token": "s3cr3t-0a1b2c"}'
        step = {
            "name": "complete",
            "method": "POST",
            "json_body": {"prompt": "hi", "max_tokens": "{{ n }}"},
            "expect": {"json": [{"path": "$.usage.total_tokens", "compare": "< 1000"}]},
        }
        params = {"n": {"type": "number", "default": 256}}
        async with listening(TestSecretsTheTargetSends.answering(body)) as port:
            evaluation = await run(smoke(port, [step], params=params), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert (
            evaluation.reason
            == "step 'complete' (1/1) failed: json $.usage.total_tokens compare: expected < 1000, got 1600"
        )
        assert evaluation.args == {"n": 256.0}
        shown = evaluation.details["steps"][0]
        assert shown["request"]["body"] == '{"prompt":"hi","max_tokens":256.0}'
        assert shown["body"] == (
            '{"author": "release-bot", "usage": {"total_tokens": 1600}, "session_token": "<redacted>"}'
        )


class TestSecretsInAnswersSourceLines:
    """An answer quoting source lines (a debug page, an error overlay) shows no password a typed declaration, a
    fullwidth colon or an accented name holds, and shows what an SRE needs beside them: a count of tokens, a token's
    type and lifetime, a password's length rule, a challenge, a credential header's name."""

    async def test_secrets_are_hidden_and_what_is_known_of_them_shown(self, client):
        body = (
            'var password string = "hunter2-s3cr3t"\n'
            'let password: &str = "hunter2-s3cr3t";\n'
            'private val password: String? = "hunter2-s3cr3t"\n'
            "password\uff1ahunter2-s3cr3t\n"
            "p\u00e4ssword: hunter2-s3cr3t\n"
            '{"tokens": 5, "token": "s3cr3t-0a1b", "token_type": "Bearer", "token_ttl": 3600}\n'
            "/v1/complete?tokens=7&token=s3cr3t-0a1b\n"
            "password_min_length: 8\n"
            "auth_header: X-Api-Key\n"
            'got Authorization: Basic realm="shop"\n'
        ).encode()
        step = {"name": "debug", "expect": {"body_contains": ["ready"]}}
        async with listening(TestSecretsTheTargetSends.answering(body, b"text/plain; charset=utf-8")) as port:
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.details["steps"][0]["body"] == (
            'var password string = "<redacted>"\n'
            'let password: &str = "<redacted>";\n'
            'private val password: String? = "<redacted>"\n'
            "password\uff1a<redacted>\n"
            "p\u00e4ssword: <redacted>\n"
            '{"tokens": 5, "token": "<redacted>", "token_type": "Bearer", "token_ttl": 3600}\n'
            "/v1/complete?tokens=7&token=<redacted>\n"
            "password_min_length: 8\n"
            "auth_header: X-Api-Key\n"
            'got Authorization: Basic realm="shop"\n'
        )


class TestSessionIdsInRedirects:
    """A session id a framework writes into the URL it redirects to (PHP's `?PHPSESSID=`, a servlet's `;jsessionid=`,
    Express's `connect.sid`) is a credential: the Location shows it as redacted, the rest of the URL as sent."""

    @pytest.mark.parametrize(
        ("location", "shown"),
        [
            ("/index.php?PHPSESSID=s3cr3t0a1b2c3d4e5f&page=2", "/index.php?PHPSESSID=<redacted>&page=2"),
            ("/shop/cart;jsessionid=S3CR3T0A1B2C3D4E?page=2", "/shop/cart;jsessionid=<redacted>?page=2"),
            ("/next?connect.sid=s%3As3cr3t0a1b2.c3d4&page=2", "/next?connect.sid=<redacted>&page=2"),
            # A query whose pairs a `;` separates (as HTML 4 allowed): `a`'s value ran to the `&`, the session in it.
            ("/home?page=2;PHPSESSID=s3cr3t0a1b2c3d4e5f", "/home?page=2;PHPSESSID=<redacted>"),
            # A `;` inside a secret's value: hidden whole, not up to the `;`.
            ("/home?session=s3cr3t0a;b2c3d4e5f&page=2", "/home?session=<redacted>&page=2"),
        ],
        ids=["php", "servlet", "express", "semicolon-query", "semicolon-in-value"],
    )
    async def test_a_session_id_in_a_redirect_is_redacted(self, client, location, shown):
        # No secret name (`PHPSESSID`, `connect.sid`), or a path parameter only the query was searched for: the
        # live session was shown in the evidence, the history and JUnit.
        async with listening(TestOAuthCodesInRedirects.redirecting(location.encode())) as port:
            evaluation = await run(smoke(port, [{"name": "a", "path": "/login", "expect": {"status": [302]}}]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json")).lower()
        assert evaluation.details["steps"][0]["response_headers"]["location"] == shown


class TestSecretsInRedirectsWithoutAQuery:
    """A secret in a Location with no query, only a fragment or path parameters (an implicit grant's token, a
    servlet's session), is redacted as one in a query is."""

    @pytest.mark.parametrize(
        ("location", "shown"),
        [
            ("/shop/cart;jsessionid=S3CR3T0A1B2C3D4E", "/shop/cart;jsessionid=<redacted>"),
            ("/shop;theme=dark/cart;jsessionid=S3CR3T0A1B2C3D4E", "/shop;theme=dark/cart;jsessionid=<redacted>"),
            ("/cb#access_token=s3cr3t0a1b2c3d4e5f&state=x", "/cb#access_token=<redacted>&state=x"),
            ("/cb#code=s3cr3t0a1b2c3d4e5f", "/cb#code=<redacted>"),
        ],
        ids=["path-parameter", "second-path-parameter", "fragment", "code-in-fragment"],
    )
    @pytest.mark.parametrize("follow", [True, False])
    async def test_it_is_redacted(self, client, location, shown, follow):
        async with listening(TestOAuthCodesInRedirects.redirecting(location.encode())) as port:
            expect = {} if follow else {"status": [302]}
            step = {"name": "a", "path": "/login", "follow_redirects": follow, "expect": expect}
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json")).lower()
        if not follow:
            assert evaluation.details["steps"][0]["response_headers"]["location"] == shown


class TestSignedUrls:
    """A signed URL's signature (Azure SAS `sig`, S3's `X-Amz-Signature`) is a credential wherever the target sends it,
    in a redirect or in its answer; the rest of the URL, which says where it leads, stays readable."""

    SAS = "https://acct.blob.core.windows.net/c/build.zip?sv=2022-11-02&sp=r&sig=AzS4s%2Bs3cr3tSig%3D"
    S3 = "https://b.s3.amazonaws.com/build.zip?X-Amz-Expires=300&X-Amz-Signature=5e3cr3t0a1b2s3cr3t"

    @pytest.mark.parametrize(
        ("location", "shown"),
        [
            (SAS, "https://acct.blob.core.windows.net/c/build.zip?sv=2022-11-02&sp=r&sig=<redacted>"),
            (S3, "https://b.s3.amazonaws.com/build.zip?X-Amz-Expires=300&X-Amz-Signature=<redacted>"),
        ],
        ids=["azure-sas", "s3"],
    )
    async def test_a_signature_in_a_redirect_is_redacted(self, client, location, shown):
        # `sig` and `X-Amz-Signature` were no secret names: the Location in the reason and the evidence was the
        # download's bearer link, shown to everyone who reads the verdict.
        expect = {"status": [302], "headers": {"Location": {"regex": "^/"}}}
        async with listening(TestOAuthCodesInRedirects.redirecting(location.encode())) as port:
            evaluation = await run(smoke(port, [{"name": "download", "path": "/login", "expect": expect}]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))
        assert evaluation.details["steps"][0]["response_headers"]["location"] == shown

    async def test_a_signed_link_and_a_password_parameter_in_an_answer_are_redacted(self, client):
        body = f'{{"download": "{self.SAS}", "signature": "h-s3cr3t-mac", "dsn": "Server=db;PWD=s3cr3t-pw"}}'
        async with listening(TestSecretsTheTargetSends.answering(body.encode())) as port:
            evaluation = await run(smoke(port, [{"name": "a", "expect": {"body_contains": ["ready"]}}]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))
        assert evaluation.details["steps"][0]["body"] == (
            '{"download": "https://acct.blob.core.windows.net/c/build.zip?sv=2022-11-02&sp=r&sig=<redacted>", '
            '"signature": "<redacted>", "dsn": "Server=db;PWD=<redacted>"}'
        )


class TestFormBodies:
    """A form body's values under secret names (a login's password, a token request's client_secret) are secret as a
    JSON body's are: a param sent there is a secret arg, and the evidence shows neither them nor a target's echo."""

    @staticmethod
    async def refusing() -> asyncio.Server:
        """A server answering every POST with a 401 that quotes the form it got, decoded."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])
                form = dict(parse_qsl((await reader.readexactly(length)).decode()))
                text = f"no user {form['username']} with password {form['password']} ({form['client_secret']})"
                writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text.encode()))
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    async def test_a_login_form_shows_no_password(self, client):
        # The form was shown as written: the password arg in args, ui_url and logs, and in the request evidence with
        # the client_secret; the target's 401 quoting them decoded too.
        step = {
            "name": "log in",
            "method": "POST",
            "path": "/login",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "text_body": "username=bob&password={{ pw }}&client_secret=cs-l1t3ral-s3cr3t",
        }
        params = {"pw": {"type": "label_value", "required": True}}
        async with listening(self.refusing()) as port:
            evaluation = await run(smoke(port, [step], params=params), client, {"pw": "p%40ss+s3cr3t"})
        assert evaluation.verdict == "fail", evaluation.reason
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))
        assert evaluation.args == {"pw": "<redacted>"}
        shown = evaluation.details["steps"][0]
        assert shown["request"]["body"] == "username=bob&password=<redacted>&client_secret=<redacted>"
        assert shown["body"] == "no user bob with password <redacted> (<redacted>)"


class TestCutAndTrickledBodies:
    """A body cut before its declared end, or trickled past the timeout, is an error, never judged on its prefix."""

    @staticmethod
    async def judged(handler: Any, client: HttpClient, timeout_s: float) -> Evaluation:
        async with listening(asyncio.start_server(handler, "127.0.0.1", 0)) as port:
            steps = [{"name": "s", "retries": 0, "timeout_s": timeout_s, "expect": {"body_contains": ['"ok"']}}]
            return await run(smoke(port, steps), client)

    async def test_a_plain_body_shorter_than_its_content_length(self, client):
        async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"status": "ok"')
            await writer.drain()
            writer.close()

        # The cut is at once: a timeout this long is never reached, not even on a loaded CI machine.
        evaluation = await self.judged(cut, client, timeout_s=10)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "received 15 bytes, expected 1000" in evaluation.reason

    async def test_a_body_trickled_past_the_timeout(self, client):
        async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Each byte arrives well within the timeout; the whole body would take 5 s.
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"status": "ok"')
            try:
                for _ in range(85):
                    writer.write(b" ")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            except ConnectionError:
                pass
            finally:
                writer.close()

        evaluation = await self.judged(trickle, client, timeout_s=0.5)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout")
        assert "no complete answer within timeout_s 0.5" in evaluation.reason


class TestCloseFramedBodies:
    """An answer framed by the connection's close (no Content-Length, not chunked) is whole only when the server
    closed: over TLS a cut (a crash, no close_notify) is an error, a close_notify the end of a judged answer."""

    @staticmethod
    async def judged(
        client: HttpClient,
        tmp_path: Path,
        *,
        crash: bool,
        answer: bytes = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"status": "ok",',
        expect: dict[str, Any] | None = None,
    ) -> Evaluation:
        async def answer_then_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            # The canary's process dies after the first line of its JSON: the rest would have failed the step.
            writer.write(answer)
            await writer.drain()
            if crash:
                # The kernel ends the TCP connection of a dead process; no TLS close_notify is sent.
                writer.transport.abort()
            else:
                writer.close()

        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("preview.shop.svc").configure_cert(tls)
        async with listening(asyncio.start_server(answer_then_end, "127.0.0.1", 0, ssl=tls)) as port:
            check = {
                **smoke(port, [{"name": "s", "retries": 0, "expect": expect or {"body_contains": ['"ok"']}}]),
                "base_url": f"https://preview.shop.svc:{port}",
                "allowed_hosts": ["*.shop.svc"],
                "ca_file": str(tmp_path / "ca.pem"),
            }
            return await run(check, client)

    async def test_a_plain_answer_cut_by_a_reset_is_an_error_that_says_so(self, client):
        async def answer_then_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"status": "ok",')
            await writer.drain()
            # A reset, not a close: what a kernel sends for a process that dies with unread data, or a proxy's abort.
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

        async with listening(asyncio.start_server(answer_then_reset, "127.0.0.1", 0)) as port:
            steps = [{"name": "s", "retries": 0, "expect": {"body_contains": ['"ok"']}}]
            evaluation = await run(smoke(port, steps), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_unreachable"), evaluation.reason
        # It read "the connection failed: ReadError".
        assert evaluation.reason == "step 's' (1/1): the connection failed: Connection reset by peer", evaluation.reason

    async def test_transfer_encoding_identity_is_refused_not_framed_by_the_close(self, client):
        # The kind's page listed such streams among the answers framed by the close, judged when they end.
        async def identity(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n{"status": "ok"}')
            await writer.drain()
            writer.close()

        async with listening(asyncio.start_server(identity, "127.0.0.1", 0)) as port:
            steps = [{"name": "s", "retries": 0, "expect": {"body_contains": ['"ok"']}}]
            evaluation = await run(smoke(port, steps), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer"), evaluation.reason
        assert evaluation.reason == "step 's' (1/1): invalid answer: Only Transfer-Encoding: chunked is supported"

    async def test_a_tls_answer_cut_without_close_notify_is_an_error(self, client, tmp_path):
        evaluation = await self.judged(client, tmp_path, crash=True)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer"), evaluation.reason
        assert "the TLS connection ended without close_notify" in evaluation.reason, evaluation.reason

    @pytest.mark.parametrize(
        ("framing", "body", "why"),
        [
            (b"Content-Length: 1000", b'{"status": "ok",', "(received 16 bytes, expected 1000)"),
            (b"Transfer-Encoding: chunked", b'10\r\n{"status": "ok",', "(incomplete chunked read)"),
        ],
    )
    async def test_a_framed_tls_answer_cut_says_what_its_framing_missed(self, client, tmp_path, framing, body, why):
        # It said the body was "framed by the connection's close (no Content-Length, not chunked)", which it was not.
        answer = b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n" + body
        evaluation = await self.judged(client, tmp_path, crash=True, answer=answer)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer"), evaluation.reason
        assert evaluation.reason == (
            f"step 's' (1/1): invalid answer: peer closed connection without sending complete message body {why}"
        ), evaluation.reason

    async def test_a_tls_answer_the_server_closed_is_judged(self, client, tmp_path):
        evaluation = await self.judged(client, tmp_path, crash=False)
        assert evaluation.verdict == "pass", evaluation.reason

    async def test_a_long_tls_answer_the_server_closed_is_read_whole(self, client, tmp_path):
        # Read in many records: telling a cut from a close looks at the connection only once it read as ended, and
        # takes nothing of the body (a byte taken there would break the digits' run).
        answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"0123456789" * 6000 + b" end"
        expect = {"body_regex": r"\A(?:0123456789){6000} end\Z"}
        evaluation = await self.judged(client, tmp_path, crash=False, answer=answer, expect=expect)
        assert evaluation.verdict == "pass", evaluation.reason

    @pytest.mark.parametrize(
        ("expect", "failed"),
        [
            ({"body_not_contains": ["Error"], "body_contains": ["</html>"]}, "body_contains"),
            ({"json": [{"path": "$.status", "equals": "ok"}]}, "json $.status"),
        ],
    )
    async def test_a_plain_answer_cut_fails_an_assertion_on_its_end(self, client, expect, failed):
        # Over plain http a crash's cut reads as a close: what the kind's page tells users to assert instead, the end of
        # the body (a page's closing tag; a JSON document, which a cut leaves unparsable), fails the part sent.
        async def answer_then_die(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            body = b'{"status": "ok",' if "json" in expect else b"<html><body><p>Orders"
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
            writer.transport.abort()

        async with listening(asyncio.start_server(answer_then_die, "127.0.0.1", 0)) as port:
            evaluation = await run(smoke(port, [{"name": "s", "retries": 0, "expect": expect}]), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason.startswith(f"step 's' (1/1) failed: {failed}"), evaluation.reason


class TestRedirectsWithSeveralLocations:
    """A redirect with Location lines that differ is a bad answer (browsers follow none of them); the same line twice
    is one Location."""

    @staticmethod
    async def site(heads: list[bytes], locations: list[bytes]) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # /start redirects with `locations`; every other path answers 200, as a single-page app's fallback does.
            head = await reader.readuntil(b"\r\n\r\n")
            heads.append(head)
            if head.startswith(b"GET /start "):
                lines = b"".join(b"Location: " + location + b"\r\n" for location in locations)
                writer.write(b"HTTP/1.1 302 Found\r\n" + lines + b"Content-Length: 0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n<html>ok</html>")
            await writer.drain()
            writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    @staticmethod
    def steps() -> list[dict[str, Any]]:
        return [
            {
                "name": "s",
                "path": "/start",
                "retries": 0,
                "follow_redirects": True,
                "expect": {"body_contains": ["<html>ok"]},
            }
        ]

    async def test_locations_that_differ_are_a_bad_answer(self, client):
        # httpx joined them into one URL, `/good,%20/other`, which the app's fallback answered 200: a pass where
        # browsers show an error page.
        heads: list[bytes] = []
        async with listening(self.site(heads, [b"/good", b"/other"])) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer"), evaluation.reason
        assert evaluation.reason == (
            "step 's' (1/1): invalid answer: a 302 with 2 Location lines that differ, which browsers follow none of"
        ), evaluation.reason
        assert len(heads) == 1, heads

    async def test_the_same_location_twice_is_followed(self, client):
        heads: list[bytes] = []
        async with listening(self.site(heads, [b"/good", b"/good"])) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[-1].startswith(b"GET /good HTTP/1.1\r\n"), heads


class TestLocationsNotFollowed:
    """Only a redirect status with a Location is followed: the rest is the step's answer, whatever Location lines it
    has."""

    async def test_a_redirect_judged_as_it_is_passes_on_its_status(self, client):
        # Lines that differ are about which URL to follow; refused here, a step that expects the 302 (a login's) was
        # blocked.
        heads: list[bytes] = []
        step = {"name": "s", "path": "/start", "retries": 0, "follow_redirects": False, "expect": {"status": [302]}}
        async with listening(TestRedirectsWithSeveralLocations.site(heads, [b"/good", b"/other"])) as port:
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert len(heads) == 1, heads

    @pytest.mark.parametrize(
        ("status_line", "location"),
        [
            # A 201's Location names what it created; followed, the step judged that page's 200 instead.
            (b"201 Created", b"Location: /made\r\n"),
            # A redirect status without a Location is no redirect to follow (it was an internal_error).
            (b"302 Found", b""),
        ],
    )
    async def test_an_answer_that_is_no_redirect_to_follow_is_judged_itself(self, client, status_line, location):
        heads: list[bytes] = []

        def answer(head: bytes) -> bytes:
            if head.startswith(b"GET /start "):
                return b"HTTP/1.1 " + status_line + b"\r\n" + location + b"Content-Length: 0\r\n\r\n"
            return b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n<html>ok</html>"

        code = int(status_line.split()[0])
        step = {"name": "s", "path": "/start", "retries": 0, "follow_redirects": True, "expect": {"status": [code]}}
        async with listening(recording(heads, answer)) as port:
            evaluation = await run(smoke(port, [step]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert len(heads) == 1, heads


class FlakyResolver:
    """Resolves every name to 127.0.0.1, but each odd lookup fails: hangs (a connect timeout) or like NXDOMAIN."""

    def __init__(self, *, hang: bool) -> None:
        self.hang = hang
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        if self.lookups % 2 == 1:
            if self.hang:
                await asyncio.Event().wait()
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return ["127.0.0.1"]


class TestConnectRetries:
    """A try that could not connect is retried, and never hidden: its time counts in the latency, and retries are
    counted in the evidence and named by a pass."""

    @staticmethod
    def flaky(port: int, steps: list[dict[str, Any]]) -> dict[str, Any]:
        return {**smoke(port, steps), "base_url": f"http://preview.shop.svc:{port}", "allowed_hosts": ["*.shop.svc"]}

    async def test_a_connect_timeout_is_retried_and_its_wait_counted(self, target):
        # The request's timeout and the connect timeout were one number: the request's fired first, as a
        # target_timeout never retried, where `retries` promises a retry of a connection that could not be made.
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=FlakyResolver(hang=True),
        )
        try:
            # Long enough for the retry to connect and be answered on a loaded CI machine.
            step = {"name": "health", "path": "/ok", "timeout_s": 2, "retries": 1}
            evaluation = await run(self.flaky(target.port, [step]), http)
        finally:
            await http.aclose()
        assert evaluation.verdict == "pass", evaluation.reason
        shown = evaluation.details["steps"][0]
        assert shown["connect_retries"] == 1
        # The first try waited timeout_s for a connection: a user would have too.
        assert shown["latency_ms"] >= 2000
        assert "1 request connected only on a retry (a try could not connect): step 'health'" in evaluation.reason

    async def test_retries_under_repeat_are_counted(self, target):
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=FlakyResolver(hang=False),
        )
        try:
            # Connection: close: every request connects (and looks up the name) anew.
            step = {"name": "load", "path": "/ok", "repeat": 6, "headers": {"Connection": "close"}}
            evaluation = await run(self.flaky(target.port, [step]), http)
        finally:
            await http.aclose()
        assert evaluation.verdict == "pass", evaluation.reason
        repeat = evaluation.details["steps"][0]["repeat"]
        assert (repeat["successes"], repeat["transport_errors"], repeat["connect_retries"]) == (6, 0, 6)
        assert "6 requests connected only on a retry (a try could not connect): step 'load'" in evaluation.reason

    async def test_a_redirect_hop_that_never_connects_is_named_and_not_retried(self):
        # The hop's own message was untested: "no connection within timeout_s" named no host, and a retry would send
        # the request (a POST) to the first hop again.
        heads: list[bytes] = []

        async def stall_the_hop(host: str, port: int) -> list[str]:
            if host == "login.shop.svc":
                await asyncio.Event().wait()
            return ["127.0.0.1"]

        async def to_login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                location = f"http://login.shop.svc:{writer.get_extra_info('sockname')[1]}/".encode()
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(to_login, "127.0.0.1", 0)
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=stall_the_hop,
        )
        try:
            port = server.sockets[0].getsockname()[1]
            step = {"name": "a", "path": "/", "timeout_s": 0.5, "retries": 2, "follow_redirects": True}
            evaluation = await run(self.flaky(port, [step]), http)
        finally:
            await http.aclose()
            server.close()
            await server.wait_closed()
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout"), evaluation.reason
        assert evaluation.reason.endswith(
            f"redirect 1 (from http://preview.shop.svc:{port}/ to http://login.shop.svc:{port}/): no connection to "
            f"login.shop.svc:{port} within timeout_s 0.5"
        ), evaluation.reason
        assert len(heads) == 1, heads


class TestConnectionReuse:
    """Each request gets its own answer: bytes a server sent past an answer are never read as the next one."""

    async def test_a_stray_answer_after_a_response_is_not_the_next_steps_answer(self, client):
        async def answer_twice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # A server (or a proxy) that writes a second answer after the first: on a reused connection the client
            # read it as the answer to the next request, and judged a 200 where the next request got a 500.
            while not reader.at_eof():
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                if head.startswith(b"GET /first "):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray")
                else:
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nbroken")
                await writer.drain()
            writer.close()

        async with listening(asyncio.start_server(answer_twice, "127.0.0.1", 0)) as port:
            steps = [{"name": "first", "path": "/first"}, {"name": "second", "path": "/second"}]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason == "step 'second' (2/2) failed: status: expected 2xx, got 500"
        assert evaluation.details["steps"][1]["body"] == "broken"


class TestRequestHeaders:
    """Smoke requests say who sends them, and that their connection closes after the answer."""

    @staticmethod
    async def recording(heads: list[bytes]) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                heads.append((await reader.readuntil(b"\r\n\r\n")).lower())
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    async def test_the_product_user_agent_and_connection_close_are_sent(self, client):
        # It sent `User-Agent: python-httpx/0.x` (an SRE could not pick smoke traffic out of access logs or filter it
        # from the canary's metrics) and `Connection: keep-alive` on a connection the analyzer always closes.
        heads: list[bytes] = []
        async with listening(self.recording(heads)) as port:
            evaluation = await run(smoke(port, [{"name": "a"}]), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert f"\r\nuser-agent: analyzer-http-smoke/{analyzer.__version__}\r\n".encode() in heads[0], heads
        assert b"\r\nconnection: close\r\n" in heads[0], heads

    async def test_a_user_agent_the_check_sets_is_sent_instead(self, client):
        heads: list[bytes] = []
        async with listening(self.recording(heads)) as port:
            evaluation = await run(smoke(port, [{"name": "a"}], headers={"User-Agent": "shop-smoke/2"}), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[0].count(b"user-agent:") == 1, heads
        assert b"\r\nuser-agent: shop-smoke/2\r\n" in heads[0], heads


class TestCookies:
    """A request sends only the Cookie header its check wrote, never one an earlier answer set (of any check)."""

    @staticmethod
    async def shop(heads: list[bytes]) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # /good/login sets a session, /broken/login (a canary whose login broke) sets none; /profile needs one.
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head.lower())
                if head.startswith(b"GET /good/sign-in "):
                    # A login that sets the session on its redirect, as most form logins do.
                    writer.write(
                        b"HTTP/1.1 302 Found\r\nLocation: /good/profile\r\n"
                        b"Set-Cookie: session=s3cr3t-s3ss10n; Path=/\r\nContent-Length: 0\r\n\r\n"
                    )
                elif head.startswith(b"GET /good/login "):
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nSet-Cookie: session=s3cr3t-s3ss10n; Path=/\r\nContent-Length: 2\r\n\r\nok"
                    )
                elif head.startswith(b"GET /broken/login ") or b"\r\ncookie: session=" in head.lower():
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                else:
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\n\r\nsign in")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    async def test_a_session_an_earlier_run_got_does_not_pass_a_broken_login(self, client):
        # The shared client kept every Set-Cookie in its jar and sent it to that host from then on: after a run against
        # the good release, the broken canary's profile step sent the good run's session and passed.
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            check = {
                **smoke(port, [{"name": "login", "path": "/login"}, {"name": "profile", "path": "/profile"}]),
                "params": {"release": {"type": "enum", "values": ["good", "broken"], "required": True}},
                "base_url": f"http://127.0.0.1:{port}/{{{{ release }}}}",
            }
            await run(check, client, {"release": "good"})
            evaluation = await run(check, client, {"release": "broken"})
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason == "step 'profile' (2/2) failed: status: expected 2xx, got 401", evaluation.reason
        assert not any(b"\r\ncookie:" in head for head in heads), heads

    async def test_another_checks_session_is_not_sent(self, client):
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            login = {**smoke(port, [{"name": "login", "path": "/good/login"}]), "name": "login"}
            anonymous = {
                **smoke(port, [{"name": "anonymous", "path": "/good/profile", "expect": {"status": [401]}}]),
                "name": "anonymous",
            }
            assert (await run(login, client)).verdict == "pass"
            evaluation = await run(anonymous, client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie:" not in heads[1], heads

    async def test_a_cookie_the_check_writes_is_sent(self, client):
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            steps = [{"name": "profile", "path": "/good/profile", "headers": {"Cookie": "session=from-the-check"}}]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie: session=from-the-check\r\n" in heads[0], heads

    async def test_a_captured_cookie_carries_the_session_to_the_next_step(self, client):
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            steps = [
                {"name": "login", "path": "/login", "capture": {"sid": {"cookie": "session"}}},
                {"name": "profile", "path": "/profile", "headers": {"Cookie": "session={{ sid }}"}},
            ]
            check = {
                **smoke(port, steps),
                "params": {"release": {"type": "enum", "values": ["good", "broken"], "required": True}},
                "base_url": f"http://127.0.0.1:{port}/{{{{ release }}}}",
            }
            good = await run(check, client, {"release": "good"})
            broken = await run(check, client, {"release": "broken"})
        assert good.verdict == "pass", good.reason
        assert b"\r\ncookie: session=s3cr3t-s3ss10n\r\n" in heads[1], heads
        assert "s3cr3t" not in json.dumps(good.details), good.details
        assert broken.verdict == "fail", broken.reason
        assert broken.reason == (
            "step 'login' (1/2) failed: capture sid (cookie session): expected a string or number, "
            "got no Set-Cookie of that name"
        ), broken.reason

    async def test_the_documented_recipe_captures_a_session_a_login_sets_on_its_redirect(self, client):
        # docs/kinds/http-smoke.md, capture: `follow_redirects: false` and `status: [302]`, then the Cookie header.
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            steps = [
                {
                    "name": "sign in",
                    "path": "/good/sign-in",
                    "follow_redirects": False,
                    "expect": {"status": [302]},
                    "capture": {"sid": {"cookie": "session"}},
                },
                {"name": "profile", "path": "/good/profile", "headers": {"Cookie": "session={{ sid }}"}},
            ]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie: session=s3cr3t-s3ss10n\r\n" in heads[1], heads
        assert "s3cr3t" not in json.dumps(evaluation.details), evaluation.details

    async def test_a_cookie_a_redirect_sets_is_sent_on_its_later_hops_only(self, client):
        # A browser follows a login's redirect with the session it set; the next request starts without it.
        heads: list[bytes] = []
        async with listening(self.shop(heads)) as port:
            steps = [
                {
                    "name": "sign in",
                    "path": "/good/sign-in",
                    "follow_redirects": True,
                    "expect": {"body_contains": ["ok"]},
                },
                {"name": "anonymous", "path": "/good/profile", "expect": {"status": [401]}},
            ]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie: session=s3cr3t-s3ss10n\r\n" in heads[1], heads
        assert b"\r\ncookie:" not in heads[2], heads


class TestCapturedCookieScopes:
    """A value captured from a cookie and sent on in a step's Cookie header passes only where browsers send that
    cookie (its Path, Domain and Secure): a release that scopes its session wrongly signs its users out."""

    @staticmethod
    async def site(heads: list[bytes], set_cookie: bytes) -> asyncio.Server:
        def answer(head: bytes) -> bytes:
            # /auth/login sets the session with `set_cookie`'s attributes; /api/orders needs the session.
            if head.startswith(b"GET /auth/login "):
                return b"HTTP/1.1 200 OK\r\nSet-Cookie: " + set_cookie + b"\r\nContent-Length: 2\r\n\r\nok"
            if b"\r\ncookie: session=s3ss10n" in head.lower():
                return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in"

        return await recording(heads, answer)

    @pytest.mark.parametrize(
        ("set_cookie", "verdict", "why"),
        [
            (b"session=s3ss10n; Path=/", "pass", ""),
            (b"session=s3ss10n; Path=/api", "pass", ""),
            (b"session=s3ss10n; Path=/api/", "pass", ""),
            # The release's bug: its session reaches /auth pages only, every other request is signed out.
            (b"session=s3ss10n; Path=/auth", "fail", "got one for Path /auth, not /api/orders"),
            (b"session=s3ss10n; Path=/apiv2", "fail", "got one for Path /apiv2, not /api/orders"),
            # Without Path, the default path of /auth/login is /auth.
            (b"session=s3ss10n", "fail", "got one for Path /auth, not /api/orders"),
            (b"session=s3ss10n; Path=api", "fail", "got one for Path /auth, not /api/orders"),
        ],
    )
    async def test_a_session_browsers_keep_from_the_next_page_fails_it(self, client, set_cookie, verdict, why):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie)) as port:
            steps = [
                {"name": "login", "path": "/auth/login", "capture": {"sid": {"cookie": "session"}}},
                {"name": "orders", "path": "/api/orders", "headers": {"Cookie": "session={{ sid }}"}},
            ]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == verdict, evaluation.reason
        if why:
            assert evaluation.reason == (
                "step 'orders' (2/2) failed: capture sid sent as a cookie: expected a cookie browsers send to this "
                f"URL, {why}"
            ), evaluation.reason
            # Judged before sending: the release's server never saw the request.
            assert len(heads) == 1, heads
            assert evaluation.details["steps"][1]["outcome"] == "fail", evaluation.details

    async def test_a_value_captured_from_the_body_and_sent_as_a_cookie_is_not_scoped(self, client):
        # A page's script may write a cookie from a JSON answer: nothing tells its scope, so nothing is judged of it.
        heads: list[bytes] = []

        def answer(head: bytes) -> bytes:
            if head.startswith(b"GET /auth/login "):
                body = b'{"token": "s3ss10n"}'
                return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n" + body
            if b"\r\ncookie: session=s3ss10n" in head.lower():
                return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in"

        async with listening(recording(heads, answer)) as port:
            steps = [
                {"name": "login", "path": "/auth/login", "capture": {"sid": {"json": "$.token"}}},
                {"name": "orders", "path": "/api/orders", "headers": {"Cookie": "session={{ sid }}"}},
            ]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert len(heads) == 2, heads

    async def test_a_cookie_value_sent_in_another_header_is_not_scoped(self, client):
        # Sent as a token, not as a cookie: where browsers send the cookie says nothing of it.
        heads: list[bytes] = []

        def answer(head: bytes) -> bytes:
            if head.startswith(b"GET /auth/login "):
                return b"HTTP/1.1 200 OK\r\nSet-Cookie: session=s3ss10n; Path=/auth\r\nContent-Length: 2\r\n\r\nok"
            if b"\r\nx-session: s3ss10n" in head.lower():
                return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in"

        async with listening(recording(heads, answer)) as port:
            steps = [
                {"name": "login", "path": "/auth/login", "capture": {"sid": {"cookie": "session"}}},
                {"name": "orders", "path": "/api/orders", "headers": {"X-Session": "{{ sid }}"}},
            ]
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert len(heads) == 2, heads


class TestCapturedCookiesOnRedirects:
    """A value captured from a cookie and sent on in a step's Cookie header is judged at every redirect hop that would
    carry that header too: a release whose redirect lands outside the session's Path signs its users out there."""

    @staticmethod
    async def site(heads: list[bytes], then: str, hop_sets: bytes = b"") -> asyncio.Server:
        """/app/login sets the session on Path /app; /app/orders redirects to `then` (setting `hop_sets` when given);
        every other path answers 200 to a request with a session cookie, 401 to one without."""

        def answer(head: bytes) -> bytes:
            if head.startswith(b"GET /app/login "):
                return b"HTTP/1.1 200 OK\r\nSet-Cookie: session=s3ss10n-v4lue; Path=/app\r\nContent-Length: 2\r\n\r\nok"
            if head.startswith(b"GET /app/orders "):
                cookie = b"Set-Cookie: " + hop_sets + b"\r\n" if hop_sets else b""
                return (
                    b"HTTP/1.1 302 Found\r\nLocation: "
                    + then.encode()
                    + b"\r\n"
                    + cookie
                    + b"Content-Length: 0\r\n\r\n"
                )
            if any(b"session=" in line for line in head.lower().split(b"\r\n") if line.startswith(b"cookie:")):
                return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in"

        return await recording(heads, answer)

    @staticmethod
    def steps(cookie: str = "session={{ sid }}") -> list[dict[str, Any]]:
        return [
            {"name": "login", "path": "/app/login", "capture": {"sid": {"cookie": "session"}}},
            {
                "name": "orders",
                "path": "/app/orders",
                "headers": {"Cookie": cookie},
                "follow_redirects": True,
                "expect": {"body_contains": ["ok"]},
            },
        ]

    @pytest.mark.parametrize(
        ("hop_sets", "cookie"),
        [
            (b"", "session={{ sid }}"),
            # A cookie of another name the redirect sets replaces none of those the check wrote.
            (b"csrf=t0k3n; Path=/", "session={{ sid }}"),
            (b"", "theme=dark; session={{ sid }}"),
            # A name the capture writes is no name a hop's cookie can be known to replace.
            (b"session=gu3st; Path=/", "{{ sid }}=on"),
        ],
    )
    async def test_a_redirect_outside_the_sessions_path_fails_unsent(self, client, hop_sets, cookie):
        heads: list[bytes] = []
        async with listening(self.site(heads, "/checkout", hop_sets)) as port:
            evaluation = await run(smoke(port, self.steps(cookie)), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason == (
            "step 'orders' (2/2) failed: capture sid sent as a cookie: expected a cookie browsers send to redirect 1 "
            f"(from http://127.0.0.1:{port}/app/orders to http://127.0.0.1:{port}/checkout), got one for Path /app, "
            "not /checkout"
        ), evaluation.reason
        # Judged before the hop is sent: the page browsers reach signed out never saw the session.
        assert not any(head.startswith(b"get /checkout ") for head in heads), heads
        step = evaluation.details["steps"][1]
        assert step["status"] == 302 and step["failed_assertions"] == [evaluation.reason.split("failed: ", 1)[1]]
        assert "s3ss10n-v4lue" not in json.dumps(evaluation.details), evaluation.details

    @pytest.mark.parametrize("then", ["/checkout?code=c0d3-v4lue#state=st4te-v4lue", "/checkout#state=st4te-v4lue"])
    async def test_the_reason_names_the_hop_without_its_query_or_fragment(self, client, then):
        # Either may carry a credential (an OAuth code, a signed URL's signature) the reason would show.
        heads: list[bytes] = []
        async with listening(self.site(heads, then)) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert f"to http://127.0.0.1:{port}/checkout), got one for Path /app" in evaluation.reason, evaluation.reason
        assert "v4lue" not in evaluation.reason, evaluation.reason

    async def test_every_repeated_request_is_judged_at_the_hop(self, client):
        heads: list[bytes] = []
        async with listening(self.site(heads, "/checkout")) as port:
            steps = self.steps()
            steps[1] |= {"repeat": 3, "concurrency": 3}
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason.startswith(
            "step 'orders' (2/2) failed: min_success_ratio: expected >= 1, got 0 (0 of 3 requests passed; most common "
            "problem: capture sid sent as a cookie: expected a cookie browsers send to redirect 1"
        ), evaluation.reason
        assert not any(head.startswith(b"get /checkout ") for head in heads), heads

    async def test_a_redirect_inside_the_sessions_path_carries_it(self, client):
        heads: list[bytes] = []
        async with listening(self.site(heads, "/app/summary")) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"get /app/summary " in heads[-1] and b"\r\ncookie: session=s3ss10n-v4lue\r\n" in heads[-1], heads

    @pytest.mark.parametrize("deletion", [b"session=; Path=/app; Max-Age=0", b"session=; Path=/app; Max-Age=-5"])
    async def test_a_session_the_redirect_deletes_goes_no_further(self, client, deletion):
        # A release whose orders page signs its users out on the way to the summary: browsers send no session there.
        # The captured session went on, and the step passed where users are signed out.
        heads: list[bytes] = []
        async with listening(self.site(heads, "/app/summary", deletion)) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason.startswith("step 'orders' (2/2) failed: status: expected 2xx, got 401"), (
            evaluation.reason
        )
        assert heads[-1].startswith(b"get /app/summary ") and b"\r\ncookie:" not in heads[-1], heads

    async def test_a_session_the_redirect_deletes_is_not_judged_where_it_does_not_go(self, client):
        # Deleted on the way out of its Path: the check sends it no further, so the hop is sent, as browsers send it,
        # and judged on its own answer (not withheld for a session it does not carry).
        heads: list[bytes] = []
        async with listening(self.site(heads, "/checkout", b"session=; Path=/app; Max-Age=0")) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.reason.startswith("step 'orders' (2/2) failed: status: expected 2xx, got 401"), (
            evaluation.reason
        )
        assert heads[-1].startswith(b"get /checkout ") and b"\r\ncookie:" not in heads[-1], heads

    @pytest.mark.parametrize(
        ("deletion", "then", "expect", "verdict"),
        [
            # A deletion of the name for another Path deletes another cookie (browsers' store holds a cookie by name,
            # Domain or host, and Path): the session of /app goes on to /app/summary. It was dropped there by name, a
            # 401, and a release whose users stay signed in failed.
            (b"session=; Path=/app/summary; Max-Age=0", "/app/summary", {"status": [200]}, "pass"),
            # A sign-out that deletes the session at the wrong Path leaves users signed in: a step asserting the
            # signed-out page (401) passed on the session dropped by name.
            (b"session=; Path=/app/summary; Max-Age=0", "/app/summary", {"status": [401]}, "fail"),
            # Deleted for the whole site (Path=/) is another cookie too: the session of /app stays, and a redirect
            # outside its Path fails unsent as without the deletion.
            (b"session=; Path=/; Max-Age=0", "/checkout", {"status": [401]}, "fail"),
        ],
    )
    async def test_a_deletion_of_another_scope_leaves_the_session(self, client, deletion, then, expect, verdict):
        heads: list[bytes] = []
        steps = self.steps()
        steps[1]["expect"] = expect
        async with listening(self.site(heads, then, deletion)) as port:
            evaluation = await run(smoke(port, steps), client)
        assert evaluation.verdict == verdict, evaluation.reason
        if then == "/checkout":
            assert "got one for Path /app, not /checkout" in evaluation.reason, evaluation.reason
            assert not any(head.startswith(b"get /checkout ") for head in heads), heads
        else:
            assert heads[-1].startswith(b"get /app/summary "), heads
            assert b"\r\ncookie: session=s3ss10n-v4lue\r\n" in heads[-1], heads

    async def test_a_captured_value_under_another_name_is_deleted_by_name(self, client):
        # `theme` holds the session's value but is no cookie browsers hold with the session's scope: a deletion of its
        # name covering the hop deletes it there, as a literal's; only `session` is judged by its scope.
        heads: list[bytes] = []
        deletion = b"theme=; Path=/app/summary; Max-Age=0"
        async with listening(self.site(heads, "/app/summary", deletion)) as port:
            evaluation = await run(smoke(port, self.steps("theme={{ sid }}; session={{ sid }}")), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[-1].startswith(b"get /app/summary "), heads
        assert b"\r\ncookie: session=s3ss10n-v4lue\r\n" in heads[-1], heads

    @pytest.mark.parametrize(
        ("hop_sets", "then", "sent"),
        [
            # The redirect's session of the written one's Path and host replaces it (as in a browser's store).
            (b"session=gu3st; Path=/app", "/app/summary", b"session=gu3st"),
            # Of another Path it is another cookie, and Chromium sends both, the longer Path first; it replaced the
            # written one wherever it went, so a server reading the first session read the guest's.
            (b"session=gu3st; Path=/", "/app/summary", b"session=s3ss10n-v4lue; session=gu3st"),
            (b"session=gu3st; Path=/app/summary", "/app/summary", b"session=gu3st; session=s3ss10n-v4lue"),
            # One character longer is longer (rev26h: the written one's host length compared for its Path survived).
            (b"session=gu3st; Path=/app/", "/app/summary", b"session=gu3st; session=s3ss10n-v4lue"),
        ],
    )
    async def test_a_session_the_redirect_sets_goes_on_as_browsers_hold_it(self, client, hop_sets, then, sent):
        heads: list[bytes] = []
        async with listening(self.site(heads, then, hop_sets)) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[-1].startswith(f"get {then} ".encode()) and b"\r\ncookie: " + sent + b"\r\n" in heads[-1], heads

    async def test_a_session_of_another_path_the_redirect_sets_does_not_carry_the_written_one_out(self, client):
        # Users land on /checkout with the guest session alone: theirs, for /app, stays behind. It replaced the written
        # one there, and the step passed on a guest's page as though signed in.
        heads: list[bytes] = []
        async with listening(self.site(heads, "/checkout", b"session=gu3st; Path=/")) as port:
            evaluation = await run(smoke(port, self.steps()), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert "got one for Path /app, not /checkout" in evaluation.reason, evaluation.reason
        assert not any(head.startswith(b"get /checkout ") for head in heads), heads


class TestCapturedCookiesAcrossOrigins:
    """A value captured from a cookie and sent on in a step's Cookie header goes on to a redirect to another origin
    where browsers send that cookie (its Domain, Path and Secure), and the rest of the header does not."""

    @staticmethod
    async def site(
        heads: list[bytes], set_cookie: bytes, then: str = "/orders", orders_sets: bytes = b""
    ) -> asyncio.Server:
        """a.example.test/login sets `set_cookie`; a.example.test/orders redirects to b.example.test at `then` (setting
        `orders_sets` when given), and
        b.example.test/bounce back to a.example.test/back; every other request answers 200 with the Cookie header it
        got, or 401 without one holding the session."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head.lower())
                lines = head.lower().split(b"\r\n")
                host = next(line for line in lines if line.startswith(b"host:"))
                cookie = next((line for line in lines if line.startswith(b"cookie:")), b"")
                if head.startswith(b"GET /login "):
                    writer.write(b"HTTP/1.1 200 OK\r\nSet-Cookie: " + set_cookie + b"\r\nContent-Length: 2\r\n\r\nok")
                elif head.startswith(b"GET /orders ") and b"a.example.test" in host:
                    port = writer.get_extra_info("sockname")[1]
                    location = f"http://b.example.test:{port}{then}".encode()
                    sets = b"Set-Cookie: " + orders_sets + b"\r\n" if orders_sets else b""
                    writer.write(
                        b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\n" + sets + b"Content-Length: 0\r\n\r\n"
                    )
                elif head.startswith(b"GET /bounce ") and b"b.example.test" in host:
                    port = writer.get_extra_info("sockname")[1]
                    location = f"http://a.example.test:{port}/back".encode()
                    writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
                elif b"session=" in cookie:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(cookie), cookie))
                else:
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    @pytest.fixture
    async def sites_client(self) -> Any:
        """A client that reaches a.example.test and b.example.test, both on loopback."""
        http = HttpClient(
            HttpPolicy(
                allowed_hosts=HostAllowList.parse(["*.example.test"]),
                allowed_networks=parse_networks(["127.0.0.0/8"]),
            ),
            resolver=StubResolver({"a.example.test": ["127.0.0.1"], "b.example.test": ["127.0.0.1"]}),
        )
        yield http
        await http.aclose()

    @staticmethod
    def check(port: int, cookie: str, capture: dict[str, Any] | None = None) -> dict[str, Any]:
        steps = [
            {"name": "login", "path": "/login", "capture": capture or {"sid": {"cookie": "session"}}},
            {
                "name": "orders",
                "path": "/orders",
                "headers": {"Cookie": cookie},
                "follow_redirects": True,
                "expect": {"body_contains": ["session="]},
            },
        ]
        return {**smoke(0, steps), "base_url": f"http://a.example.test:{port}", "allowed_hosts": ["*.example.test"]}

    @pytest.mark.parametrize(
        ("set_cookie", "cookie", "sent"),
        [
            # The cookie's Domain covers the other origin: browsers send it there. The hop was sent without it, a 401.
            (b"session=s3ss10n; Domain=example.test; Path=/", "session={{ sid }}", b"session=s3ss10n"),
            (b"session=s3ss10n; Domain=.example.test; Path=/orders", "session={{ sid }}", b"session=s3ss10n"),
            # What else the header holds goes no further: a literal cookie's scope is unknown (it may be a credential
            # for the first host alone).
            (b"session=s3ss10n; Domain=example.test", "theme=dark; session={{ sid }}", b"session=s3ss10n"),
        ],
    )
    async def test_a_cookie_whose_domain_covers_the_other_origin_goes_there(
        self, sites_client, set_cookie, cookie, sent
    ):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie)) as port:
            evaluation = await run(self.check(port, cookie), sites_client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[-1].startswith(b"get /orders ") and b"\r\nhost: b.example.test:" in heads[-1], heads
        assert b"\r\ncookie: " + sent + b"\r\n" in heads[-1], heads
        # The other origin echoes the session it got: evidence shows it redacted, as the captured value it is.
        assert "s3ss10n" not in json.dumps(evaluation.details), evaluation.details
        assert "<redacted>" in evaluation.details["steps"][1]["body"], evaluation.details

    @pytest.mark.parametrize(
        ("set_cookie", "then", "capture", "cookie"),
        [
            # Host-only (no Domain), outside its Path, or a value captured from a header (whose scope is unknown):
            # browsers send no such cookie there, and neither does the check; the other origin answers as to a
            # signed-out user.
            (b"session=s3ss10n; Path=/", "/orders", None, "session={{ sid }}"),
            (b"session=s3ss10n; Domain=example.test; Path=/orders", "/profile", None, "session={{ sid }}"),
            (
                b"session=s3ss10n; Domain=example.test",
                "/orders",
                {"sid": {"header": "Set-Cookie"}},
                "session={{ sid }}",
            ),
            # A cookie that also holds a value browsers keep from there (a host-only one's) goes no further.
            (
                b"session=s3ss10n; Domain=example.test\r\nSet-Cookie: device=d3v1c3",
                "/orders",
                {"sid": {"cookie": "session"}, "device": {"cookie": "device"}},
                "session={{ sid }}.{{ device }}",
            ),
            # A cookie whose value holds more than the captured value (the check's own text, a secret arg) is no
            # cookie browsers hold: it goes no further, as every header the check wrote.
            (b"session=s3ss10n; Domain=example.test", "/orders", None, "session={{ sid }}.v2"),
            # A capture that names a cookie leaves that cookie unknown: the header goes no further, as before.
            (b"session=s3ss10n; Domain=example.test", "/orders", None, "session={{ sid }}; {{ sid }}=on"),
        ],
    )
    async def test_a_cookie_browsers_keep_from_the_other_origin_does_not_go(
        self, sites_client, set_cookie, then, capture, cookie
    ):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, then)) as port:
            evaluation = await run(self.check(port, cookie, capture), sites_client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason.endswith("status: expected 2xx, got 401 (and 1 more failed assertion)"), (
            evaluation.reason
        )
        assert heads[-1].startswith(b"get %s " % then.encode()) and b"\r\nhost: b.example.test:" in heads[-1], heads
        assert b"\r\ncookie:" not in heads[-1], heads

    @pytest.mark.parametrize(
        ("set_cookie", "cookie"),
        [
            (b"session=s3ss10n; Path=/", "theme=dark; session={{ sid }}"),
            (b"session=s3ss10n; Domain=example.test; Path=/", "theme=dark; session={{ sid }}"),
        ],
    )
    async def test_the_header_goes_again_to_the_origin_a_redirect_comes_back_to(self, sites_client, set_cookie, cookie):
        # a -> b -> a (a sign-in check on another host bouncing back): browsers send a's cookies to a again. The header
        # was read as the last hop carried it, so a host-only session dropped on leaving a never came back: a 401 and a
        # failed step where users stay signed in.
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "/bounce")) as port:
            evaluation = await run(self.check(port, cookie), sites_client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert heads[-1].startswith(b"get /back ") and b"\r\nhost: a.example.test:" in heads[-1], heads
        assert b"\r\ncookie: theme=dark; session=s3ss10n\r\n" in heads[-1], heads
        assert heads[-2].startswith(b"get /bounce ") and b"\r\nhost: b.example.test:" in heads[-2], heads
        assert b"theme=dark" not in heads[-2], heads

    @pytest.mark.parametrize(
        ("set_cookie", "deletion", "then"),
        [
            # Deleted for the whole Domain on leaving a: browsers send no session to b. It went there.
            (
                b"session=s3ss10n; Domain=example.test; Path=/",
                b"session=; Domain=example.test; Path=/; Max-Age=0",
                "/x",
            ),
            # Deleted on a, host-only, before a bounce through b back to a: browsers send no session to a again. The
            # header a's redirect came back to went again whole.
            (b"session=s3ss10n; Path=/", b"session=; Path=/; Max-Age=0", "/bounce"),
        ],
    )
    async def test_a_session_a_hop_deletes_goes_to_no_origin(self, sites_client, set_cookie, deletion, then):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, then, deletion)) as port:
            evaluation = await run(self.check(port, "theme=dark; session={{ sid }}"), sites_client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert "status: expected 2xx, got 401" in evaluation.reason, evaluation.reason
        assert b"session=" not in heads[-1], heads
        assert heads[-1].startswith(b"get /back " if then == "/bounce" else b"get /x "), heads

    @pytest.mark.parametrize(
        ("set_cookie", "hop_sets", "then", "host", "sent"),
        [
            # The redirect's session of the written one's Domain and Path replaces it (browsers' store holds a cookie
            # by name, Domain and Path): b gets the guest's alone. Held by the host that set it (a.example.test), not
            # its Domain, it replaced nothing, and b got the signed-in session first (mut27: `domain or host` read
            # as the host survived).
            (
                b"session=s3ss10n; Domain=example.test; Path=/",
                b"session=gu3st; Domain=example.test; Path=/",
                "/orders",
                b"b",
                b"session=gu3st",
            ),
            # Of another Domain it is another cookie: back on a, browsers send both, the one of the same Path length
            # set earlier first, the written one (mut27: a hop cookie of a Path as long as the written one's went
            # first and a server reading the first session read the guest's).
            (
                b"session=s3ss10n; Path=/",
                b"session=gu3st; Domain=example.test; Path=/",
                "/bounce",
                b"a",
                b"session=s3ss10n; session=gu3st",
            ),
        ],
    )
    async def test_a_session_a_hop_sets_for_a_domain_goes_as_browsers_hold_it(
        self, sites_client, set_cookie, hop_sets, then, host, sent
    ):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, then, hop_sets)) as port:
            evaluation = await run(self.check(port, "session={{ sid }}"), sites_client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\nhost: " + host + b".example.test:" in heads[-1], heads
        assert b"\r\ncookie: " + sent + b"\r\n" in heads[-1], heads

    async def test_a_secure_cookie_does_not_go_over_http(self, sites_client):
        # Set over http, a Secure cookie is refused at capture: the login step fails, nothing goes anywhere.
        heads: list[bytes] = []
        async with listening(self.site(heads, b"session=s3ss10n; Domain=example.test; Secure")) as port:
            evaluation = await run(self.check(port, "session={{ sid }}"), sites_client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert "a Set-Cookie browsers refuse: Secure, set by an http answer" in evaluation.reason, evaluation.reason


class TestHopCookies:
    """A cookie a redirect hop sets goes on to the later hops a browser would send it to, and to no other."""

    @staticmethod
    async def site(
        heads: list[bytes], set_cookie: bytes, then: str, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> asyncio.Server:
        """A server whose /login sets `set_cookie` and redirects to `then` ({port} is its own), and whose other paths
        answer 200 to a request with a session cookie, 401 to one without."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head.lower())
                if head.startswith(b"GET /login "):
                    location = then.format(port=writer.get_extra_info("sockname")[1]).encode()
                    writer.write(
                        b"HTTP/1.1 302 Found\r\nLocation: "
                        + location
                        + b"\r\nSet-Cookie: "
                        + set_cookie
                        + b"\r\nContent-Length: 0\r\n\r\n"
                    )
                elif any(b"session=" in line for line in head.lower().split(b"\r\n") if line.startswith(b"cookie:")):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                else:
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nsign in")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, host, 0, ssl=tls)

    @pytest.fixture
    async def sites_client(self) -> Any:
        """A client that reaches a site and its subdomain, both on loopback."""
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=StubResolver({"shop.svc": ["127.0.0.1"], "preview.shop.svc": ["127.0.0.1"]}),
        )
        yield http
        await http.aclose()

    @staticmethod
    def check(base_url: str, **extra: Any) -> dict[str, Any]:
        step = {"name": "sign in", "path": "/login", "follow_redirects": True, "retries": 0}
        return {**smoke(0, [step]), "base_url": base_url, "allowed_hosts": ["*.svc"], **extra}

    @pytest.mark.parametrize(
        ("set_cookie", "verdict"),
        [
            # Host-only (no Domain): browsers send it back to shop.svc alone. http.cookiejar sent it to every
            # subdomain, so the step passed on a session the subdomain's browsers never send.
            (b"session=s3ss10n; Path=/", "fail"),
            (b"session=s3ss10n; Path=/; Domain=shop.svc", "pass"),
        ],
    )
    async def test_a_cookie_without_domain_is_not_sent_to_a_subdomain(self, sites_client, set_cookie, verdict):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "http://preview.shop.svc:{port}/profile")) as port:
            evaluation = await run(self.check(f"http://shop.svc:{port}"), sites_client)
        assert evaluation.verdict == verdict, evaluation.reason
        assert heads[1].startswith(b"get /profile ") and b"\r\nhost: preview.shop.svc:" in heads[1], heads

    @pytest.mark.parametrize(
        ("domain", "then", "verdict"),
        [
            # A Domain covers no IP address but itself (RFC 6265 5.1.3): browsers refuse this cookie of 127.0.0.1.
            # http.cookiejar matched 0.1 as a suffix of 127.1.0.1, and the step passed on a session sent there.
            (b"0.1", "http://127.1.0.1:{other}/profile", "fail"),
            # The address itself: kept, and sent back to it.
            (b"127.0.0.1", "/profile", "pass"),
        ],
    )
    async def test_a_domain_covers_no_other_ip_address(self, domain, then, verdict):
        heads: list[bytes] = []
        other = await self.site(heads, b"", "", host="127.1.0.1")
        then = then.replace("{other}", str(other.sockets[0].getsockname()[1]))
        first = await self.site(heads, b"session=s3ss10n; Path=/; Domain=" + domain, then)
        hosts = ["127.0.0.1", "127.1.0.1"]
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(hosts), allowed_networks=parse_networks(["127.0.0.0/8"]))
        )
        try:
            port = first.sockets[0].getsockname()[1]
            evaluation = await run({**self.check(f"http://127.0.0.1:{port}"), "allowed_hosts": hosts}, http)
        finally:
            await http.aclose()
            for server in (first, other):
                server.close()
                await server.wait_closed()
        assert evaluation.verdict == verdict, evaluation.reason
        assert heads[1].startswith(b"get /profile "), heads

    @pytest.mark.parametrize(
        ("written", "sent"),
        [
            (b"canary=always", b"canary=always; session=s3ss10n"),
            # The check's value of a cookie a hop set again is replaced, as a browser's store replaces it.
            (b"session=old; canary=always", b"canary=always; session=s3ss10n"),
        ],
    )
    async def test_a_cookie_a_hop_sets_joins_the_cookie_header_the_check_wrote(self, client, written, sent):
        # A check that routes to the canary by cookie (ingress-nginx's canary-by-cookie) and signs in through a
        # redirect: the Cookie header it wrote was sent alone on the next hop, without the session, a 401.
        heads: list[bytes] = []
        async with listening(self.site(heads, b"session=s3ss10n; Path=/", "/profile")) as port:
            check = self.check(f"http://preview.shop.svc:{port}", headers={"Cookie": written.decode()})
            evaluation = await run(check, client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie: " + written + b"\r\n" in heads[0], heads
        assert b"\r\ncookie: " + sent + b"\r\n" in heads[1], heads

    @pytest.mark.parametrize(
        ("set_cookie", "host"),
        [
            # A Max-Age that is not a number is ignored (RFC 6265 5.2.2), not the cookie: http.cookiejar dropped it.
            (b"session=s3ss10n; Path=/; Max-Age=abc", "preview.shop.svc"),
            (b"session=s3ss10n; Path=/; Max-Age=1.5", "preview.shop.svc"),
            # A Path that does not start with '/' is the default path (RFC 6265 5.2.4), / for /login: http.cookiejar
            # kept `profile` as the path, which no request path starts with, and sent the session nowhere.
            (b"session=s3ss10n; Path=profile", "preview.shop.svc"),
            (b"session=s3ss10n; Path=", "preview.shop.svc"),
            # A Domain that is the host itself, a one-label name (a Service in the Job's namespace, `checkout`):
            # http.cookiejar wanted a dot in it.
            (b"session=s3ss10n; Path=/; Domain=checkout", "checkout"),
        ],
    )
    async def test_a_cookie_browsers_keep_goes_on(self, set_cookie, host):
        heads: list[bytes] = []
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse([host]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=StubResolver({host: ["127.0.0.1"]}),
        )
        try:
            async with listening(self.site(heads, set_cookie, "/profile")) as port:
                check = {**self.check(f"http://{host}:{port}"), "allowed_hosts": [host]}
                evaluation = await run(check, http)
        finally:
            await http.aclose()
        assert evaluation.verdict == "pass", evaluation.reason
        assert b"\r\ncookie: session=s3ss10n\r\n" in heads[1], heads

    @pytest.mark.parametrize(
        ("set_cookie", "verdict"),
        [
            # Of an attribute given twice the last counts (RFC 6265 5.3 step 2): http.cookiejar read the first, so a
            # session browsers keep to /auth went to /profile, and one they refuse (its last Domain is no parent of
            # shop.svc) to preview.shop.svc: the step passed where users are signed out.
            (b"session=s3ss10n; Domain=shop.svc; Path=/; Path=/auth", "fail"),
            (b"session=s3ss10n; Path=/; Domain=shop.svc; Domain=preview.shop.svc", "fail"),
            (b"session=s3ss10n; Domain=shop.svc; Path=/auth; Path=/", "pass"),
            # An attribute browsers ignore leaves the one before it counting: an empty Domain, a Max-Age that is no
            # integer; a Path that does not start with '/' is the default path, whatever Path came before.
            (b"session=s3ss10n; Path=/; Domain=shop.svc; Domain=", "pass"),
            (b"session=s3ss10n; Domain=shop.svc; Max-Age=0; Max-Age=soon", "fail"),
            (b"session=s3ss10n; Domain=shop.svc; Path=/auth; Path=x", "pass"),
            # Browsers know no Version: http.cookiejar read `Version=1` as an RFC 2965 cookie, with its own rules.
            (b"session=s3ss10n; Path=/; Domain=shop.svc; Version=1", "pass"),
            # A past Expires browsers read (RFC 6265 5.1.1) that was read as no date (JavaScript's Date text, which
            # http.cookiejar cannot read; a month written out): the line set the session where browsers delete it, and
            # the step passed where users are signed out.
            (
                b"session=s3ss10n; Path=/; Domain=shop.svc\r\nSet-Cookie: session=s3ss10n; Path=/; Domain=shop.svc; "
                b"Expires=Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
                "fail",
            ),
            (
                b"session=s3ss10n; Path=/; Domain=shop.svc\r\nSet-Cookie: session=s3ss10n; Path=/; Domain=shop.svc; "
                b"Expires=Thursday, January 01 1970 00:00:00 GMT",
                "fail",
            ),
        ],
    )
    async def test_the_attributes_browsers_act_on_count(self, sites_client, set_cookie, verdict):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "http://preview.shop.svc:{port}/profile")) as port:
            evaluation = await run(self.check(f"http://shop.svc:{port}"), sites_client)
        assert evaluation.verdict == verdict, evaluation.reason
        assert heads[1].startswith(b"get /profile ") and b"\r\nhost: preview.shop.svc:" in heads[1], heads

    # A negative Max-Age deletes as 0 does (RFC 6265 5.2.2): kept by the integer test that drops `Max-Age=abc`.
    @pytest.mark.parametrize("max_age", [b"0", b"-1"])
    async def test_a_cookie_its_answer_sets_then_deletes_is_not_sent(self, client, max_age):
        # A failed login that sets the session, then clears it on its error path (two lines, in that order): browsers
        # keep none. http.cookiejar deletes first and sets after, whatever the order, and the next hop passed.
        heads: list[bytes] = []
        both = b"session=s3ss10n; Path=/\r\nSet-Cookie: session=; Path=/; Max-Age=" + max_age
        async with listening(self.site(heads, both, "/profile")) as port:
            evaluation = await run(self.check(f"http://preview.shop.svc:{port}"), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert b"\r\ncookie:" not in heads[1], heads

    @pytest.mark.parametrize(
        ("written", "set_cookie", "sent"),
        [
            # A redirect that signs its users out (deletes the session) and lands on a page that needs it: browsers
            # send no session there. The written session went on, and the step passed where users are signed out.
            (b"session=abc", b"session=; Path=/; Max-Age=0", None),
            (b"session=abc", b"session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", None),
            (b"session=abc", b"session=abc; Path=/; Max-Age=-1", None),
            (b"canary=always; session=abc", b"session=; Path=/; Max-Age=0", b"canary=always"),
            (b"session=abc", b"session=; Path=/; Domain=preview.shop.svc; Max-Age=0", None),
            # A deletion for another scope covers no cookie this hop sends (the Path, the host); one its own answer
            # sets again goes with its new value.
            (b"session=abc", b"session=; Path=/auth; Max-Age=0", b"session=abc"),
            (b"session=abc", b"other=; Path=/; Max-Age=0", b"session=abc"),
            (b"session=abc", b"session=; Path=/; Max-Age=0\r\nSet-Cookie: session=n3w; Path=/", b"session=n3w"),
            # A nameless cookie whose value is the name the check wrote is another cookie, sent after it (Chromium sends
            # both); it replaced the written one, and its deletion deleted it.
            (b"session=abc", b"session; Path=/", b"session=abc; session"),
            (b"session=abc", b"session; Path=/; Max-Age=0", b"session=abc"),
            # A deletion browsers refuse deletes nothing (a Domain the host is not in).
            (b"session=abc", b"session=; Path=/; Domain=other.svc; Max-Age=0", b"session=abc"),
            # A sign-out from a server whose clock runs an hour ahead of ours: an Expires a second before its Date was
            # an hour ahead by our clock, and the session went on where the server deleted it.
            (
                b"session=abc",
                b"session=abc; Path=/; Expires=" + http_date(AHEAD_S - 1) + b"\r\nDate: " + http_date(AHEAD_S),
                None,
            ),
            # A session set again with a far Expires goes on, by whichever clock.
            (
                b"session=abc",
                b"session=n3w; Path=/; Expires=" + http_date(AHEAD_S + 30 * 86400) + b"\r\nDate: " + http_date(AHEAD_S),
                b"session=n3w",
            ),
        ],
    )
    async def test_a_written_cookie_a_hop_deletes_is_not_sent_on(self, client, written, set_cookie, sent):
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "/profile")) as port:
            check = self.check(f"http://preview.shop.svc:{port}", headers={"Cookie": written.decode()})
            evaluation = await run(check, client)
        assert evaluation.verdict == ("pass" if sent and b"session=" in sent else "fail"), evaluation.reason
        assert b"\r\ncookie: " + written + b"\r\n" in heads[0], heads
        assert heads[1].startswith(b"get /profile "), heads
        if sent is None:
            assert b"\r\ncookie:" not in heads[1], heads
        else:
            assert b"\r\ncookie: " + sent + b"\r\n" in heads[1], heads

    @pytest.mark.parametrize(
        ("host", "domain", "then", "verdict"),
        [
            # A Domain that is a public suffix (the list's private part names github.io): browsers keep the cookie
            # nowhere. http.cookiejar knows no suffix list: the session went on to b.github.io, and the step passed.
            ("a.github.io", b"github.io", "b.github.io", "fail"),
            # The public suffix itself: kept for that host alone, as without Domain, not sent to a name under it.
            ("github.io", b"github.io", "b.github.io", "fail"),
            # A name registrable under a public suffix: its cookie goes to its other hosts as before.
            ("a.shop.github.io", b"shop.github.io", "b.shop.github.io", "pass"),
        ],
    )
    async def test_a_public_suffix_domain_goes_to_no_other_host(self, host, domain, then, verdict):
        names = ["github.io", "*.github.io"]
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(names), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=StubResolver({name: ["127.0.0.1"] for name in (host, then)}),
        )
        heads: list[bytes] = []
        try:
            set_cookie = b"session=s3ss10n; Path=/; Domain=" + domain
            async with listening(self.site(heads, set_cookie, f"http://{then}:{{port}}/profile")) as port:
                evaluation = await run({**self.check(f"http://{host}:{port}"), "allowed_hosts": names}, http)
        finally:
            await http.aclose()
        assert evaluation.verdict == verdict, evaluation.reason
        assert heads[1].startswith(b"get /profile ") and f"\r\nhost: {then}:".encode() in heads[1], heads
        assert (b"\r\ncookie: session=s3ss10n\r\n" in heads[1]) is (verdict == "pass"), heads

    @pytest.mark.parametrize(
        "set_cookie",
        [b"__Host-session=s3ss10n; Path=/", b"__Secure-session=s3ss10n; Path=/", b"__host-session=s3ss10n; Path=/"],
    )
    async def test_a_prefixed_cookie_breaking_its_rules_is_dropped(self, client, set_cookie):
        # Browsers drop a __Host- or __Secure- cookie without Secure (RFC 6265bis): http.cookiejar kept it.
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "/profile")) as port:
            evaluation = await run(self.check(f"http://preview.shop.svc:{port}"), client)
        assert evaluation.verdict == "fail", evaluation.reason
        assert b"\r\ncookie:" not in heads[1], heads

    @pytest.mark.parametrize(
        ("set_cookie", "verdict"),
        [
            (b"__Host-session=s3ss10n; Secure; Path=/", "pass"),
            (b"__Host-session=s3ss10n; Secure; Path=/; Domain=preview.shop.svc", "fail"),
            # No Path attribute: the default path of /login is /, but __Host- asks for the attribute.
            (b"__Host-session=s3ss10n; Secure", "fail"),
        ],
    )
    async def test_a_host_cookie_with_a_domain_or_without_path_is_dropped(self, client, tmp_path, set_cookie, verdict):
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("preview.shop.svc").configure_cert(tls)
        heads: list[bytes] = []
        async with listening(self.site(heads, set_cookie, "/profile", tls)) as port:
            check = self.check(f"https://preview.shop.svc:{port}", ca_file=str(tmp_path / "ca.pem"))
            evaluation = await run(check, client)
        assert evaluation.verdict == verdict, evaluation.reason

    async def test_a_secure_cookie_an_http_answer_sets_is_dropped(self, client, tmp_path):
        # Browsers ignore a Secure cookie an http answer sets (RFC 6265bis): a login served over http that sets its
        # session Secure leaves its users signed out. http.cookiejar kept it and sent it on the https hop: a pass.
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("preview.shop.svc").configure_cert(tls)
        heads: list[bytes] = []
        secure = await self.site(heads, b"", "", tls)
        secure_port = secure.sockets[0].getsockname()[1]
        plain = await self.site(
            heads, b"session=s3ss10n; Path=/; Secure", f"https://preview.shop.svc:{secure_port}/profile"
        )
        try:
            port = plain.sockets[0].getsockname()[1]
            evaluation = await run(
                self.check(f"http://preview.shop.svc:{port}", ca_file=str(tmp_path / "ca.pem")), client
            )
        finally:
            for server in (plain, secure):
                server.close()
                await server.wait_closed()
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.reason.endswith("status: expected 2xx, got 401"), evaluation.reason
        assert heads[1].startswith(b"get /profile "), heads


class TestHopCookieMaxAgeOverExpires:
    """A hop cookie's Max-Age wins over its Expires (RFC 6265 5.3 step 3), whichever of them deletes it."""

    @pytest.fixture
    async def sites_client(self) -> Any:
        """A client that reaches a site and its subdomain, both on loopback."""
        http = HttpClient(
            HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
            resolver=StubResolver({"shop.svc": ["127.0.0.1"], "preview.shop.svc": ["127.0.0.1"]}),
        )
        yield http
        await http.aclose()

    @pytest.mark.parametrize(
        ("set_cookie", "verdict"),
        [
            # A Max-Age of an hour beside a past Expires: kept, and sent on.
            (b"session=s3ss10n; Path=/; Domain=shop.svc; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "pass"),
            # A Max-Age of 0 beside a later Expires deletes the session the line before set: users are signed out.
            (
                b"session=s3ss10n; Path=/; Domain=shop.svc\r\nSet-Cookie: session=s3ss10n; Path=/; Domain=shop.svc; "
                b"Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
                "fail",
            ),
            # A nameless cookie whose value is `session` (RFC 6265bis 5.6) deletes no cookie named session.
            (
                b"session=s3ss10n; Path=/; Domain=shop.svc\r\nSet-Cookie: session; Path=/; Domain=shop.svc; Max-Age=0",
                "pass",
            ),
        ],
    )
    async def test_max_age_counts(self, sites_client, set_cookie, verdict):
        heads: list[bytes] = []
        async with listening(TestHopCookies.site(heads, set_cookie, "http://preview.shop.svc:{port}/profile")) as port:
            evaluation = await run(TestHopCookies.check(f"http://shop.svc:{port}"), sites_client)
        assert evaluation.verdict == verdict, evaluation.reason
        assert heads[1].startswith(b"get /profile ") and b"\r\nhost: preview.shop.svc:" in heads[1], heads

    @pytest.mark.parametrize(
        ("set_cookie", "sent"),
        [
            # Before: none sent; Chromium sends a nameless cookie as its bare value (RFC 6265bis 5.4).
            (b"t0k3n; Path=/; Domain=shop.svc", [b"cookie: t0k3n"]),
            # Browsers hold one nameless cookie per Domain and Path: a later one replaces it, whatever its value...
            (b"t0k3n; Path=/; Domain=shop.svc\r\nSet-Cookie: n3w; Path=/; Domain=shop.svc", [b"cookie: n3w"]),
            # ...and deletes it, whatever its value.
            (b"t0k3n; Path=/; Domain=shop.svc\r\nSet-Cookie: other; Path=/; Domain=shop.svc; Max-Age=0", []),
            # One of another Path is another cookie.
            (
                b"t0k3n; Path=/; Domain=shop.svc\r\nSet-Cookie: other; Path=/old; Domain=shop.svc; Max-Age=0",
                [b"cookie: t0k3n"],
            ),
            # A nameless cookie whose value names a session is another cookie: Chromium sends both, the earlier set
            # first. http.cookiejar held them in one place, and the nameless one was dropped, or replaced the session.
            (
                b"session=s3ss10n; Path=/; Domain=shop.svc\r\nSet-Cookie: session; Path=/; Domain=shop.svc",
                [b"cookie: session=s3ss10n; session"],
            ),
            (
                b"session; Path=/; Domain=shop.svc\r\nSet-Cookie: session=s3ss10n; Path=/; Domain=shop.svc",
                [b"cookie: session; session=s3ss10n"],
            ),
            # ...and the session's deletion leaves it.
            (
                b"session; Path=/; Domain=shop.svc\r\nSet-Cookie: session=s3ss10n; Path=/; Domain=shop.svc\r\n"
                b"Set-Cookie: session=; Path=/; Domain=shop.svc; Max-Age=0",
                [b"cookie: session"],
            ),
        ],
    )
    async def test_a_nameless_cookie_max_age_counts(self, sites_client, set_cookie, sent):
        heads: list[bytes] = []
        async with listening(TestHopCookies.site(heads, set_cookie, "http://preview.shop.svc:{port}/profile")) as port:
            await run(TestHopCookies.check(f"http://shop.svc:{port}"), sites_client)
        assert [line for line in heads[1].split(b"\r\n") if line.startswith(b"cookie:")] == sent


class TestTlsHandshakeFailures:
    """A connection lost during the TLS handshake is explained, not named by an empty exception's type."""

    async def test_a_close_during_the_handshake_says_so(self, client):
        async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # A plain-HTTP port that drops what it cannot read (or a TLS terminator refusing the client) closes
            # before the handshake ends: httpcore's error is empty, the reason read "cannot connect: ConnectError".
            writer.close()

        async with listening(asyncio.start_server(close_at_once, "127.0.0.1", 0)) as port:
            check = {**smoke(port, [{"name": "a", "path": "/", "retries": 0}]), "base_url": f"https://127.0.0.1:{port}"}
            evaluation = await run(check, client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_unreachable"), evaluation.reason
        assert evaluation.reason.endswith(
            "cannot connect: the server closed the connection during the TLS handshake (does the port serve https?)"
        ), evaluation.reason


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One request's answer, a 200 with `ok`, then the connection closes."""
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


class TestPrivateCA:
    """An https target signed by a company CA is verified with the check's ca_file, and only with it."""

    @staticmethod
    @contextlib.asynccontextmanager
    async def tls_server(ca: trustme.CA) -> AsyncIterator[int]:
        """The port of a TLS server on 127.0.0.1 whose certificate `ca` signed, closed on leaving."""
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("preview.shop.svc").configure_cert(tls)
        server = await asyncio.start_server(answer_ok, "127.0.0.1", 0, ssl=tls)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            await server.wait_closed()

    @staticmethod
    def check(port: int, ca_file: Path | None) -> dict[str, Any]:
        return {
            **smoke(port, [{"name": "health", "retries": 0, "expect": {"body_contains": ["ok"]}}]),
            "base_url": f"https://preview.shop.svc:{port}",
            "allowed_hosts": ["*.shop.svc"],
            **({"ca_file": str(ca_file)} if ca_file is not None else {}),
        }

    async def test_a_target_signed_by_the_ca_file_passes(self, client, tmp_path):
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        async with self.tls_server(ca) as port:
            evaluation = await run(self.check(port, tmp_path / "ca.pem"), client)
            # certifi's CAs alone do not know the company CA: the same target is an error without ca_file.
            without = await run(self.check(port, None), client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert (without.verdict, without.error) == ("error", "target_unreachable")
        assert "certificate verify failed" in without.reason

    async def test_an_unchanged_ca_file_serves_every_request(self, client, tmp_path, monkeypatch):
        # The second request is served by the context the first loaded (the file unchanged): no test sent one.
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        loads: list[Path] = []
        load = http_source.ca_context

        def counted(path: Path) -> ssl.SSLContext:
            loads.append(path)
            return load(path)

        monkeypatch.setattr(http_source, "ca_context", counted)
        async with self.tls_server(ca) as port:
            evaluations = [await run(self.check(port, tmp_path / "ca.pem"), client) for _ in range(3)]
        assert [e.verdict for e in evaluations] == ["pass", "pass", "pass"], evaluations[-1].reason
        # Loaded once: parsing the bundle (a company's holds hundreds of certificates) blocks the event loop, and was
        # paid again at every request with no change to the file. Not seen on the wire: every request connects anew.
        assert loads == [tmp_path / "ca.pem"]

    async def test_a_ca_file_does_not_vouch_for_another_ca_or_another_name(self, client, tmp_path):
        trusted, other = trustme.CA(), trustme.CA()
        trusted.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        async with self.tls_server(other) as port:
            evaluation = await run(self.check(port, tmp_path / "ca.pem"), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_unreachable"), evaluation.reason
        assert "certificate verify failed" in evaluation.reason

    async def test_a_rotated_ca_file_serves_the_next_request(self, client, tmp_path):
        old, new = trustme.CA(), trustme.CA()
        old.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        async with self.tls_server(new) as port:
            before = await run(self.check(port, tmp_path / "ca.pem"), client)
            new.cert_pem.write_to_path(str(tmp_path / "next.pem"))
            (tmp_path / "next.pem").replace(tmp_path / "ca.pem")
            after = await run(self.check(port, tmp_path / "ca.pem"), client)
        assert before.verdict == "error", before.reason
        assert after.verdict == "pass", after.reason

    async def test_a_ca_file_rewritten_within_one_clock_tick_serves_the_next_request(
        self, client, tmp_path, monkeypatch
    ):
        # The bundle was reloaded when its size or times changed: a same-size rewrite within one tick of the file
        # system's clock (a few ms) kept serving the old CA. The tick is a fake: a test cannot time a write into one.
        old, new = trustme.CA(), trustme.CA()
        path = tmp_path / "ca.pem"
        old.cert_pem.write_to_path(str(path))
        assert len(old.cert_pem.bytes()) == len(new.cert_pem.bytes())
        first = os.stat(path)
        real_stat = os.stat
        monkeypatch.setattr(
            catalog_paths.os, "stat", lambda p, *a, **k: first if str(p) == str(path) else real_stat(p, *a, **k)
        )
        async with self.tls_server(new) as port:
            before = await run(self.check(port, path), client)
            with path.open("r+b") as rewrite:
                rewrite.write(new.cert_pem.bytes())
            after = await run(self.check(port, path), client)
        assert before.verdict == "error", before.reason
        assert after.verdict == "pass", after.reason

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            (None, "cannot be read: No such file or directory"),
            (b"", "is not a CA bundle: it holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
            (b"\x30\x82\x01\x0a", "is not a CA bundle: it holds no PEM certificate"),
            (
                b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                "is not a CA bundle: a PEM certificate in it cannot be read",
            ),
        ],
    )
    def test_a_missing_or_unusable_ca_file_is_a_load_error(self, tmp_path, content, problem):
        path = tmp_path / "ca.pem"
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ConfigError) as caught:
            build_catalog([("test", {"checks": [self.check(8443, path)]})], Registry([HttpSmokeCheck]))
        assert any(f"ca_file {str(path)!r} {problem}" in p for p in caught.value.problems), caught.value.problems

    def test_validate_without_the_pods_files_loads_the_check(self, tmp_path):
        # `analyzer validate` in CI runs where the mounted CA is not.
        catalog = build_catalog(
            [("test", {"checks": [self.check(8443, tmp_path / "absent.pem")]})],
            Registry([HttpSmokeCheck]),
            check_files=False,
        )
        assert catalog.get("smoke").name == "smoke"

    async def test_a_ca_file_removed_after_load_is_named_at_run(self, client, tmp_path):
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        catalog = build_catalog(
            [("test", {"checks": [self.check(8443, tmp_path / "ca.pem")]})], Registry([HttpSmokeCheck])
        )
        (tmp_path / "ca.pem").unlink()
        check = catalog.get("smoke")
        evaluation = await Runner(catalog, Sources({}, http=client), Metrics(), 8.0).evaluate(
            check, check.bind_args({})
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "check_misconfigured"), evaluation.reason
        assert f"cannot read ca_file {str(tmp_path / 'ca.pem')!r}: No such file or directory" in evaluation.reason
        # The file where it is mounted is at fault, not the check: its page says so.
        assert evaluation.details is not None and evaluation.details["at_fault"] == "file"

    async def test_a_ca_file_rewritten_unusable_after_load_is_the_files_fault(self, client, tmp_path):
        # A Secret rotated to something that is no CA bundle: the mounted file is at fault, as when it is gone.
        trustme.CA().cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        catalog = build_catalog(
            [("test", {"checks": [self.check(8443, tmp_path / "ca.pem")]})], Registry([HttpSmokeCheck])
        )
        (tmp_path / "ca.pem").write_text("not a certificate\n")
        check = catalog.get("smoke")
        evaluation = await Runner(catalog, Sources({}, http=client), Metrics(), 8.0).evaluate(
            check, check.bind_args({})
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "check_misconfigured"), evaluation.reason
        assert f"ca_file {str(tmp_path / 'ca.pem')!r} is not a usable CA bundle" in evaluation.reason
        assert evaluation.details is not None and evaluation.details["at_fault"] == "file"


class TestTlsHandshakeStalls:
    """A TLS handshake that never finishes is named as such, not as a connection never made."""

    async def test_a_stalled_handshake_says_so(self, client):
        release = asyncio.Event()

        async def never_answer_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Accepts the TCP connection, reads the ClientHello and sends nothing back (an overloaded TLS terminator).
            await release.wait()
            writer.close()

        server = await asyncio.start_server(never_answer_hello, "127.0.0.1", 0)
        try:
            port = server.sockets[0].getsockname()[1]
            check = {
                **smoke(port, [{"name": "a", "retries": 0, "timeout_s": 0.5}]),
                "base_url": f"https://127.0.0.1:{port}",
            }
            evaluation = await run(check, client)
        finally:
            release.set()
            server.close()
            await server.wait_closed()
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout"), evaluation.reason
        assert evaluation.reason.endswith(
            f"the TLS handshake with 127.0.0.1:{port} did not finish within timeout_s 0.5 (the TCP connection was made)"
        ), evaluation.reason

    async def test_a_stalled_handshake_names_the_host_in_a_labels(self, client):
        # As it is dialled and as every other reason names it: it read `bücher.shop.svc`, as httpx decodes it.
        release = asyncio.Event()

        async def never_answer_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.close()

        server = await asyncio.start_server(never_answer_hello, "127.0.0.1", 0)
        try:
            port = server.sockets[0].getsockname()[1]
            check = {
                **smoke(port, [{"name": "a", "retries": 0, "timeout_s": 0.5}]),
                "base_url": f"https://xn--bcher-kva.shop.svc:{port}",
                "allowed_hosts": ["*.shop.svc"],
            }
            evaluation = await run(check, client)
        finally:
            release.set()
            server.close()
            await server.wait_closed()
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout"), evaluation.reason
        assert evaluation.reason.endswith(
            f"the TLS handshake with xn--bcher-kva.shop.svc:{port} did not finish within timeout_s 0.5 (the TCP "
            "connection was made)"
        ), evaluation.reason

    async def test_a_stalled_handshake_on_a_redirect_hop_says_so(self, client):
        # It read "no complete answer within timeout_s 0.5", as if the target had been slow to answer.
        release = asyncio.Event()

        async def never_answer_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.close()

        stall = await asyncio.start_server(never_answer_hello, "127.0.0.1", 0)
        stall_port = stall.sockets[0].getsockname()[1]

        async def to_https(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                location = f"https://127.0.0.1:{stall_port}/login".encode()
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        first = await asyncio.start_server(to_https, "127.0.0.1", 0)
        try:
            port = first.sockets[0].getsockname()[1]
            step = {"name": "a", "path": "/", "timeout_s": 0.5, "follow_redirects": True, "expect": {"status": [200]}}
            evaluation = await run(smoke(port, [step]), client)
        finally:
            release.set()
            for server in (stall, first):
                server.close()
                await server.wait_closed()
        assert (evaluation.verdict, evaluation.error) == ("error", "target_timeout"), evaluation.reason
        assert evaluation.reason.endswith(
            f"redirect 1 (from http://127.0.0.1:{port}/ to https://127.0.0.1:{stall_port}/login): the TLS handshake "
            f"with 127.0.0.1:{stall_port} did not finish within timeout_s 0.5 (the TCP connection was made)"
        ), evaluation.reason


class TestConnectionLimit:
    """Waiting for one of the service's outbound connections is the analyzer's own wait: neither latency nor the
    target's connect timeout."""

    @staticmethod
    def one_connection() -> HttpClient:
        return HttpClient(
            HttpPolicy(
                allowed_hosts=HostAllowList.parse(["127.0.0.1"]),
                allowed_networks=parse_networks(["127.0.0.0/8"]),
                max_connections=1,
            ),
            resolver=RESOLVER,
        )

    @staticmethod
    async def held_first(arrived: asyncio.Event, release: asyncio.Event) -> asyncio.Server:
        """A server that holds /held until `release` (saying it `arrived`) and answers anything else at once."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /held "):
                    arrived.set()
                    await release.wait()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    async def test_a_wait_for_a_connection_is_not_latency(self):
        arrived, release = asyncio.Event(), asyncio.Event()
        http = self.one_connection()
        server = await self.held_first(arrived, release)
        try:
            port = server.sockets[0].getsockname()[1]
            holder = asyncio.create_task(run(smoke(port, [{"name": "a", "path": "/held"}]), http))
            await asyncio.wait_for(arrived.wait(), 10)
            waiting = asyncio.create_task(run(smoke(port, [{"name": "b", "path": "/next"}]), http))
            # The second request waits for the one connection the first holds: that wait is the analyzer's, not the
            # target's, and it was timed as the target's latency.
            await asyncio.sleep(0.5)
            released = time.perf_counter()
            release.set()
            evaluation = await waiting
            since_release_ms = (time.perf_counter() - released) * 1000
            await holder
        finally:
            release.set()
            await http.aclose()
            server.close()
            await server.wait_closed()
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["latency_ms"] <= since_release_ms

    async def test_waiting_past_timeout_s_is_the_services_error_not_the_targets(self):
        # It read "no connection within timeout_s 0.3" (target_timeout), blaming the target for the analyzer's limit.
        arrived, release = asyncio.Event(), asyncio.Event()
        http = self.one_connection()
        server = await self.held_first(arrived, release)
        try:
            port = server.sockets[0].getsockname()[1]
            holder = asyncio.create_task(run(smoke(port, [{"name": "a", "path": "/held"}]), http))
            await asyncio.wait_for(arrived.wait(), 10)
            evaluation = await run(smoke(port, [{"name": "b", "path": "/next", "timeout_s": 0.3}]), http)
            release.set()
            await holder
        finally:
            release.set()
            await http.aclose()
            server.close()
            await server.wait_closed()
        assert (evaluation.verdict, evaluation.error) == ("error", "http_connections_exhausted"), evaluation.reason
        assert evaluation.reason.endswith(
            "not sent: waited 0.3 s (timeout_s) for a connection, but other HTTP check requests held all 1 the "
            "service opens at once"
        ), evaluation.reason


class TestRepeat:
    """Repeat with concurrency is a small load test: ratio and percentiles over every request."""

    async def test_ratio_below_minimum_fails_with_counts(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [{"name": "load", "path": "/flaky", "repeat": 20, "concurrency": 5, "min_success_ratio": 0.9}],
            ),
            client,
        )
        assert evaluation.verdict == "fail"
        assert (
            "min_success_ratio: expected >= 0.9, got 0.75 (15 of 20 requests passed; most common problem: "
            "status: expected 2xx, got 503)"
        ) in evaluation.reason
        repeat = evaluation.details["steps"][0]["repeat"]
        assert repeat["statuses"] == {"200": 15, "503": 5}

    async def test_ratio_at_or_above_minimum_passes(self, target, client):
        evaluation = await run(
            smoke(
                target.port,
                [
                    {
                        "name": "load",
                        "path": "/flaky",
                        "repeat": 20,
                        "concurrency": 5,
                        "min_success_ratio": 0.75,
                        "max_p95_ms": 5000,
                    }
                ],
            ),
            client,
        )
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["repeat"]["successes"] == 15
        assert evaluation.details["steps"][0]["first_failing_response"]["status"] == 503

    async def test_requests_that_all_pass_show_no_failing_response(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "load", "path": "/ok", "repeat": 4, "concurrency": 2}]), client
        )
        assert evaluation.verdict == "pass", evaluation.reason
        step = evaluation.details["steps"][0]
        assert step["repeat"]["successes"] == 4 and "first_failing_response" not in step

    async def test_a_refused_request_among_passing_ones_is_an_error_not_an_unsuccessful_request(self, target, client):
        # 6 of 8 requests pass, above min_success_ratio 0.5: the 2 the analyzer refused to send on must not count
        # as mere failed requests that the ratio tolerates.
        step = {
            "name": "load",
            "path": "/sometimes-away",
            "follow_redirects": True,
            "repeat": 8,
            "min_success_ratio": 0.5,
        }
        evaluation = await run(smoke(target.port, [step]), client)
        assert evaluation.verdict == "error" and evaluation.error == "target_refused", evaluation.reason
        assert "host 'evil.example.com' is not in the check's allowed_hosts" in evaluation.reason

    async def test_a_budget_smaller_than_the_step_makes_requests_wait_not_fail(self, target):
        # Six 4 KiB reservations in flight at once would need 24 KiB; the budget holds two.
        http = HttpClient(
            HttpPolicy(
                allowed_hosts=HostAllowList.parse(["127.0.0.1"]),
                allowed_networks=parse_networks(["127.0.0.0/8"]),
                max_body_bytes=4096,
                body_budget_bytes=8192,
            ),
            resolver=RESOLVER,
        )
        try:
            evaluation = await run(
                smoke(
                    target.port,
                    [{"name": "load", "path": "/huge", "repeat": 6, "concurrency": 6, "expect": {"status": [200]}}],
                ),
                http,
            )
            assert evaluation.verdict == "pass", evaluation.reason
            assert evaluation.details["steps"][0]["repeat"]["successes"] == 6
            assert http.budget.in_use_bytes == 0
        finally:
            await http.aclose()

    async def test_every_reservation_comes_back_after_passes_failures_and_errors(self, target, client):
        for path in ("/ok", "/fail", "/huge", "/corrupt-gzip", "/malformed"):
            await run(
                smoke(
                    target.port,
                    [
                        {
                            "name": "s",
                            "path": path,
                            "repeat": 3,
                            "concurrency": 3,
                            "min_success_ratio": 0.5,
                            "expect": {"body_contains": ["x"]},
                        }
                    ],
                ),
                client,
            )
        assert client.budget.in_use_bytes == 0

    async def test_percentile_over_limit_fails(self, target, client):
        evaluation = await run(
            smoke(target.port, [{"name": "load", "path": "/slow", "repeat": 4, "concurrency": 4, "max_p95_ms": 100}]),
            client,
        )
        assert evaluation.verdict == "fail"
        assert "max_p95_ms: expected <= 100 ms, got" in evaluation.reason


class TestSSRF:
    """Hostile args, names and redirects are refused with a reason, before any connection is made."""

    @staticmethod
    def named(port: int, **extra: Any) -> dict[str, Any]:
        return {
            "name": "named",
            "kind": "http_smoke",
            "base_url": f"http://{{{{ svc }}}}.shop.svc:{port}",
            "params": {"svc": {"type": "dns_label", "required": True}, "item": {"type": "label_value", "default": "x"}},
            "steps": [{"name": "get", "path": "/echo/{{ item }}", "retries": 0}],
            **extra,
        }

    async def test_name_resolving_to_metadata_address_is_refused(self, client):
        evaluation = await run(self.named(80), client, {"svc": "metadata"})
        assert evaluation.verdict == "error"
        assert evaluation.error == "target_refused"
        assert evaluation.reason.startswith(
            "step 'get' (1/1): refused to connect to metadata.shop.svc: its address "
            "169.254.169.254 is a cloud metadata address"
        )

    async def test_address_refused_on_a_redirect_names_the_step_and_the_hop(self, target, client):
        definition = self.named(target.port, allowed_hosts=["*.shop.svc"])
        definition["steps"] = [
            {
                "name": "r",
                "path": "/redirect",
                "query": {"to": "http://metadata.shop.svc/x?k=v"},
                "follow_redirects": True,
            }
        ]
        del definition["params"]["item"]  # placed by the steps replaced
        evaluation = await run(definition, client, {"svc": "preview"})
        assert (evaluation.verdict, evaluation.error) == ("error", "target_refused")
        assert evaluation.reason.startswith(
            f"step 'r' (1/1), redirect 1 (from http://preview.shop.svc:{target.port}/redirect to "
            "http://metadata.shop.svc/x): refused to connect to metadata.shop.svc: its address 169.254.169.254 is a "
            "cloud metadata address; add the network to ANALYZER_HTTP_ALLOWED_NETWORKS to allow it"
        )

    async def test_host_refused_on_a_redirect_names_the_hop(self, target, client):
        definition = self.named(target.port, allowed_hosts=["*.shop.svc"])
        definition["steps"] = [
            {"name": "r", "path": "/redirect", "query": {"to": "http://evil.example.com/"}, "follow_redirects": True}
        ]
        del definition["params"]["item"]  # placed by the steps replaced
        evaluation = await run(definition, client, {"svc": "preview"})
        assert evaluation.reason == (
            f"step 'r' (1/1), redirect 1 (from http://preview.shop.svc:{target.port}/redirect to "
            "http://evil.example.com/): refused http://evil.example.com/: host 'evil.example.com' is not in the "
            "check's allowed_hosts (*.shop.svc)"
        )

    @pytest.mark.parametrize(
        ("svc", "reason"),
        [
            ("shared", "100.64.3.4 is a shared address (100.64.0.0/10"),
            ("nat64", "169.254.169.254 is a cloud metadata address (embedded in the NAT64 address 64:ff9b::a9fe:a9fe)"),
            ("sixtofour", "2002:a01:203::1 is a 6to4 address"),
            ("teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2 is a Teredo address (it reaches IPv4 192.0.2.45"),
        ],
    )
    async def test_shared_and_transition_addresses_are_refused_before_dialling(self, client, svc, reason):
        evaluation = await run(self.named(80), client, {"svc": svc})
        assert (evaluation.verdict, evaluation.error) == ("error", "target_refused")
        assert reason in evaluation.reason

    async def test_answer_with_any_forbidden_address_is_refused(self, client):
        evaluation = await run(self.named(80), client, {"svc": "mixed"})
        assert evaluation.error == "target_refused"

    async def test_name_resolving_to_loopback_is_refused_unless_allowed(self, target, strict_client):
        evaluation = await run(self.named(target.port), strict_client, {"svc": "preview"})
        assert evaluation.verdict == "error"
        assert "127.0.0.1 is a loopback address" in evaluation.reason

    async def test_ipv4_mapped_loopback_is_loopback(self, target, strict_client):
        evaluation = await run(self.named(target.port), strict_client, {"svc": "mapped"})
        assert "127.0.0.1 is a loopback address" in evaluation.reason

    async def test_literal_loopback_is_refused_unless_allowed(self, target, strict_client):
        evaluation = await run(smoke(target.port, [{"name": "ok", "path": "/ok"}]), strict_client)
        assert evaluation.error == "target_refused"

    @pytest.mark.parametrize(
        "to",
        [
            "http://169.254.169.254/latest/meta-data/",
            "http://evil.example.com/",
            "http://metadata.shop.svc/",
            "file:///etc/passwd",
        ],
    )
    async def test_redirect_to_a_disallowed_target_is_refused(self, target, client, to):
        definition = self.named(target.port)
        definition["steps"] = [{"name": "r", "path": "/redirect", "query": {"to": to}, "follow_redirects": True}]
        del definition["params"]["item"]  # placed by the steps replaced
        definition["allowed_hosts"] = ["*.shop.svc"]
        evaluation = await run(definition, client, {"svc": "preview"})
        assert evaluation.verdict == "error"
        assert evaluation.error == "target_refused"
        assert "refused" in evaluation.reason

    async def test_redirect_with_user_info_is_refused(self, target, client):
        to = f"http://evil.example.com@127.0.0.1:{target.port}/ok"
        evaluation = await run(
            smoke(target.port, [{"name": "r", "path": "/redirect", "query": {"to": to}, "follow_redirects": True}]),
            client,
        )
        assert "user info" in evaluation.reason

    @pytest.mark.parametrize("follow", [True, False])
    async def test_a_location_that_is_not_a_url_is_the_targets_fault(self, target, client, follow):
        # A scheme without a host: httpx raises InvalidURL reading the answer, even when not following it.
        step = {"name": "r", "path": "/redirect", "query": {"to": "u:x@host/echo"}, "follow_redirects": follow}
        evaluation = await run(smoke(target.port, [step]), client)
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "a Location that is not a URL" in evaluation.reason

    async def test_host_outside_global_allow_list_is_refused(self, target):
        http = HttpClient(
            HttpPolicy(
                allowed_hosts=HostAllowList.parse(["*.prod.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])
            ),
            resolver=RESOLVER,
        )
        try:
            evaluation = await run(self.named(target.port), http, {"svc": "preview"})
        finally:
            await http.aclose()
        assert "not in the global allow-list ANALYZER_HTTP_ALLOWED_HOSTS" in evaluation.reason

    @pytest.mark.parametrize(
        "svc", ["evil.com@preview", "preview#x", "preview/..", "preview\r\nHost: x", "169.254.169.254", "Preview"]
    )
    def test_host_arg_tricks_are_bad_args(self, svc):
        check = build_catalog([("t", {"checks": [self.named(80)]})], Registry([HttpSmokeCheck])).get("named")
        with pytest.raises(ArgError, match="DNS label"):
            check.bind_args({"svc": svc})

    async def test_a_host_header_takes_a_dns_label_arg_as_the_virtual_host(self, target, client):
        # An ingress in front of the allowed host routes by Host: only a DNS label may choose it, as in base_url.
        definition = smoke(
            target.port,
            [{"name": "vhost", "path": "/echo/x", "headers": {"Host": "{{ site }}.example.com"}}],
            params={"site": {"type": "dns_label", "default": "shop"}},
        )
        evaluation = await run(definition, client, {"site": "preview"})
        assert evaluation.verdict == "pass", evaluation.reason
        assert json.loads(evaluation.details["steps"][0]["body"])["headers"]["Host"] == "preview.example.com"
        with pytest.raises(ArgError, match="DNS label"):
            await run(definition, client, {"site": "evil.com"})

    @pytest.mark.parametrize("item", [".", ".."])
    def test_dot_segments_in_path_args_are_bad_args(self, item):
        check = build_catalog([("t", {"checks": [self.named(80)]})], Registry([HttpSmokeCheck])).get("named")
        with pytest.raises(ArgError, match="climb out of the path"):
            check.bind_args({"svc": "preview", "item": item})

    def test_crlf_in_header_arg_is_a_bad_arg(self):
        definition = self.named(80)
        definition["headers"] = {"X-User": "{{ item }}"}
        check = build_catalog([("t", {"checks": [definition]})], Registry([HttpSmokeCheck])).get("named")
        with pytest.raises(ArgError, match="control characters"):
            check.bind_args({"svc": "preview", "item": "a\r\nX-Evil: 1"})

    @pytest.mark.parametrize(
        ("item", "raw"),
        [
            ("a@evil.com", "a%40evil.com"),
            ("x#frag", "x%23frag"),
            ("../admin", "..%2Fadmin"),
            ("a?b=c", "a%3Fb%3Dc"),
            ("50%", "50%25"),
        ],
    )
    async def test_path_arg_tricks_stay_in_one_escaped_segment(self, target, client, item, raw):
        evaluation = await run(
            self.named(target.port, allowed_hosts=["*.shop.svc"]), client, {"svc": "preview", "item": item}
        )
        assert evaluation.verdict == "pass", evaluation.reason
        echoed = json.loads(evaluation.details["steps"][0]["body"])
        assert echoed["raw_path"] == f"/echo/{raw}"


class TestEventLoopStaysFree:
    """A target's answer that makes judging slow cannot hold the service: the deadline fires and other
    requests are answered while the judging runs."""

    async def test_backtracking_regex_on_a_hostile_body_leaves_deadline_and_healthz_working(
        self, aiohttp_server, aiohttp_client, monkeypatch
    ):
        # Bounds a hung test only; nothing here asserts how long anything took.
        hang_guard_s = 20
        searching, release, judged = threading.Event(), threading.Event(), threading.Event()
        search = judge._search

        def held_search(pattern: str, text: str, what: str) -> bool:
            # Judging starts, then is held until the test has seen the deadline fire and /healthz answer: a judging
            # thread busy for as long as the test needs, however slowly a loaded machine brings the answer to it.
            searching.set()
            release.wait(hang_guard_s)
            try:
                return search(pattern, text, what)
            finally:
                judged.set()

        monkeypatch.setattr(judge, "_search", held_search)

        async def hostile(request: web.Request) -> web.Response:
            return web.Response(text="a" * 36 + "b")

        app = web.Application()
        app.router.add_get("/", hostile)
        target = await aiohttp_server(app)
        definition = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": f"http://preview.shop.svc:{target.port}",
            # Time for the exchange on a loaded machine: a deadline that fired before judging began left the test
            # waiting for judging for ever.
            "deadline_s": 3,
            "steps": [{"name": "s", "retries": 0, "expect": {"body_regex": "^(a|aa)+$"}}],
        }
        catalog = build_catalog([("test", {"checks": [definition]})], Registry([HttpSmokeCheck]))
        settings = Settings(http_allowed_hosts=("*.svc",), http_allowed_networks=("127.0.0.0/8",))
        client = await aiohttp_client(create_app(settings, catalog, Registry([HttpSmokeCheck]), http_resolver=RESOLVER))
        run = asyncio.create_task(client.get("/api/v1/checks/smoke/run"))
        try:
            assert await asyncio.to_thread(searching.wait, hang_guard_s), "judging never began"
            health = await client.get("/healthz")
            assert health.status == 200 and not judged.is_set()
            async with asyncio.timeout(hang_guard_s):
                response = await run
        finally:
            release.set()
        body = await response.json()
        assert (response.status, body["verdict"], body["error"]) == (504, "error", "deadline_exceeded")


def _proc_status_kib(pid: int, field_name: str) -> int:
    """A `VmRSS` / `VmHWM` line of /proc/PID/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field_name} in /proc/{pid}/status")


class TestBodyMemory:
    """A real `analyzer serve` process keeps its body memory within the budget under repeat x concurrency:
    its peak resident set (VmHWM, read from /proc) stays under a bound derived from the budget."""

    BUDGET_BYTES = 16 * 1024 * 1024
    BODY_CAP_BYTES = 1024 * 1024
    # What the budget does not count: connection buffers, evidence, allocator slack.
    SLACK_BYTES = 32 * 1024 * 1024

    @pytest.mark.parametrize(
        ("payload", "expect", "documents_bytes"),
        [
            # Every body kept and decoded as text.
            (b"x" * (BODY_CAP_BYTES - 11) + b"end-of-body", {"status": [200], "body_contains": ["end-of-body"]}, 0),
            # Every body drained past the cap.
            (b"x" * (16 * BODY_CAP_BYTES - 11) + b"end-of-body", {"status": [200]}, 0),
            # Every body parsed as JSON: 3 bytes of `[],` become a 56-byte list and its 8-byte slot, and one parsed
            # document at a time is alive.
            (
                b"[" + b"[]," * (BODY_CAP_BYTES // 3 - 1) + b"[]]",
                {"json": [{"path": "$[0]", "exists": True}]},
                BODY_CAP_BYTES // 3 * 64,
            ),
        ],
        ids=["judged-at-the-cap", "drained-past-the-cap", "parsed-as-json"],
    )
    async def test_peak_rss_stays_within_the_budget(self, aiohttp_server, tmp_path, payload, expect, documents_bytes):
        async def big(request: web.Request) -> web.Response:
            return web.Response(body=payload, content_type="text/plain")

        async def small(request: web.Request) -> web.Response:
            return web.Response(text="warm end-of-body")

        app = web.Application()
        app.router.add_get("/big", big)
        app.router.add_get("/small", small)
        target = await aiohttp_server(app)
        base = {
            "kind": "http_smoke",
            "base_url": f"http://127.0.0.1:{target.port}",
            "allowed_hosts": ["127.0.0.1"],
            "deadline_s": 120,
        }
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            yaml.safe_dump(
                {
                    "checks": [
                        {
                            "name": "warm",
                            **base,
                            "steps": [
                                {
                                    "name": "w",
                                    "path": "/small",
                                    "repeat": 50,
                                    "concurrency": 50,
                                    "expect": {"body_contains": ["end-of-body"]},
                                }
                            ],
                        },
                        {
                            "name": "load",
                            **base,
                            "steps": [
                                {
                                    "name": "big",
                                    "path": "/big",
                                    "repeat": 50,
                                    "concurrency": 50,
                                    "timeout_s": 60,
                                    "retries": 0,
                                    "expect": expect,
                                }
                            ],
                        },
                    ]
                }
            )
        )
        served = await ServeProcess.start(
            catalog,
            ANALYZER_HTTP_ALLOWED_HOSTS="127.0.0.1",
            ANALYZER_HTTP_ALLOWED_NETWORKS="127.0.0.0/8",
            ANALYZER_HTTP_MAX_BODY_BYTES=str(self.BODY_CAP_BYTES),
            ANALYZER_HTTP_BODY_BUDGET_BYTES=str(self.BUDGET_BYTES),
        )
        try:
            async with aiohttp.ClientSession() as session:
                warm = await (await session.get(f"{served.url}/api/v1/checks/warm/run")).json()
                assert warm["verdict"] == "pass", warm
                baseline_kib = _proc_status_kib(served.process.pid, "VmRSS")
                load = await (await session.get(f"{served.url}/api/v1/checks/load/run")).json()
                peak_kib = _proc_status_kib(served.process.pid, "VmHWM")
        finally:
            await served.stop()
        assert load["verdict"] == "pass", load
        growth_bytes = (peak_kib - baseline_kib) * 1024
        bound_bytes = self.BUDGET_BYTES + documents_bytes + self.SLACK_BYTES
        assert growth_bytes <= bound_bytes, (
            f"peak RSS grew {growth_bytes / 2**20:.1f} MiB over the warm "
            f"{baseline_kib / 1024:.1f} MiB; bound {bound_bytes / 2**20:.1f} MiB"
        )
