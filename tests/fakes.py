"""A fake Prometheus for failure modes a real one cannot produce on demand (slow, 5xx, garbage)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

PARTIAL_WARNING = "partial response: store 2 down"
ANNOTATION_WARNING = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count: "x"'


@asynccontextmanager
async def fake_prometheus(behaviour: str) -> AsyncIterator[str]:
    """Serve /api/v1/query and /api/v1/query_range on 127.0.0.1 misbehaving as told; yields the base URL.

    behaviour: `hang` (never answers), `500`, `garbage` (200, not JSON), `shape` (200, JSON without data),
    `string` (a string result), `partial` (no series, with a warning as Thanos gives when a store is down),
    `annotated` (no series, with one of PromQL's info annotations), `partial-stale` (a range answer whose one
    series, at 0.5, stopped half an hour before the end, with a store-down warning), `partial-nan` (one series at NaN,
    with a store-down warning), `bucket-partial` (one series at NaN; a `count by (le)` query answered with no series
    and a store-down warning), `echo` (a proxy's 502 page quoting the request line as it came, percent-encoded),
    `deep` (200, an array nested 100 000 deep), `tenant-series` (one series at 5 whose `tenant` label is the value of
    the query's tenant="..." matcher), `presence-500` (a presence query, `group by (__name__) (...)`, answered with a
    500; any other query with one series at 0), `presence-partial` (a presence query answered with no series and a
    store-down warning; any other query with one series at 0), `presence-label-partial` (as `presence-partial`, but
    the presence query's answer holds its first metric name's series, of a name only).
    """
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        if behaviour == "hang":
            await release.wait()
        if behaviour == "500":
            return web.Response(status=500, text="internal server error")
        if behaviour == "echo":
            return web.Response(status=502, text=f"<h1>502 Bad Gateway</h1><p>GET {request.raw_path} failed</p>")
        if behaviour == "tenant-series":
            tenant = request.query["query"].split('tenant="', 1)[1].split('"', 1)[0]
            series = {"resultType": "vector", "result": [{"metric": {"tenant": tenant}, "value": [1, "5"]}]}
            return web.json_response({"status": "success", "data": series})
        if behaviour == "deep":
            return web.Response(status=200, text="[" * 100_000, content_type="application/json")
        if behaviour == "garbage":
            return web.Response(status=200, text="<html>not prometheus</html>")
        if behaviour == "shape":
            return web.json_response({"status": "success"})
        if behaviour in ("partial", "annotated"):
            warning = PARTIAL_WARNING if behaviour == "partial" else ANNOTATION_WARNING
            empty = {"resultType": "vector", "result": []}
            return web.json_response({"status": "success", "data": empty, "warnings": [warning]})
        if behaviour == "partial-stale":
            start, end, step = (float(request.query[name]) for name in ("start", "end", "step"))
            values = [[start + k * step, "0.5"] for k in range(int((end - 1800 - start) // step) + 1)]
            stale = {"resultType": "matrix", "result": [{"metric": {"pod": "a"}, "values": values}]}
            return web.json_response({"status": "success", "data": stale, "warnings": [PARTIAL_WARNING]})
        if behaviour == "bucket-partial":
            # The check's query: one series at NaN, complete; its bucket question: nothing, a store down.
            if request.query["query"].startswith("count by (le)"):
                empty = {"resultType": "vector", "result": []}
                return web.json_response({"status": "success", "data": empty, "warnings": [PARTIAL_WARNING]})
            nan = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]}
            return web.json_response({"status": "success", "data": nan})
        if behaviour == "partial-nan":
            nan = {"resultType": "vector", "result": [{"metric": {"pod": "a"}, "value": [1, "NaN"]}]}
            return web.json_response({"status": "success", "data": nan, "warnings": [PARTIAL_WARNING]})
        if behaviour in ("presence-500", "presence-partial", "presence-label-partial"):
            if request.query["query"].startswith("group by (__name__)") and behaviour == "presence-500":
                return web.Response(status=500, text="internal server error")
            if request.query["query"].startswith("group by (__name__)"):
                found = re.search(r'__name__=~"([^"]+)"', request.query["query"])
                named = [{"metric": {"__name__": found.group(1)}, "value": [1, "1"]}] if found else []
                result = named if behaviour == "presence-label-partial" else []
                answer = {"resultType": "vector", "result": result}
                return web.json_response({"status": "success", "data": answer, "warnings": [PARTIAL_WARNING]})
            zero = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0"]}]}
            return web.json_response({"status": "success", "data": zero})
        if behaviour == "string":
            return web.json_response({"status": "success", "data": {"resultType": "string", "result": [1.0, "hello"]}})
        raise AssertionError(behaviour)

    app = web.Application()
    app.router.add_route("*", "/api/v1/query", handler)
    app.router.add_route("*", "/api/v1/query_range", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release.set()
        await runner.cleanup()


@dataclass
class HeldQuery:
    """A Prometheus that reads a query and never answers: `entered` once a query arrived, `closed` once its
    client closed the connection (as Prometheus stops evaluating a query whose client went away)."""

    url: str = ""
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@asynccontextmanager
async def holding_prometheus() -> AsyncIterator[HeldQuery]:
    """A HeldQuery served on 127.0.0.1 for the block."""
    held = HeldQuery()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        held.entered.set()
        if await reader.read() == b"":
            held.closed.set()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    held.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield held
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def partial_querier(
    upstream: str, warning: str | None = PARTIAL_WARNING, is_partial: bool = False
) -> AsyncIterator[str]:
    """A querier on 127.0.0.1 in front of the real Prometheus at `upstream` whose every answer is Prometheus' with
    `warning` added (Thanos with a store down) and, with `is_partial`, `"isPartial": true` (VictoriaMetrics' cluster
    with a vmstorage node down); yields its base URL."""
    session = aiohttp.ClientSession()

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        async with session.request(
            request.method, f"{upstream}{request.path_qs}", data=body, headers={"Content-Type": request.content_type}
        ) as answer:
            payload = await answer.json()
            status = answer.status
        if warning is not None:
            payload["warnings"] = [*(payload.get("warnings") or []), warning]
        if is_partial:
            payload["isPartial"] = True
        return web.json_response(payload, status=status)

    app = web.Application()
    app.router.add_route("*", "/api/v1/{endpoint}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
        await session.close()
