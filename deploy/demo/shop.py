"""The demo's shop on 127.0.0.1, the target of the `checkout-smoke` check: under /good/ it works, under
/broken/ it answers 500 when asked to create an order."""

from __future__ import annotations

import argparse
import itertools
import os

from aiohttp import web

_ORDER_IDS = itertools.count(1)


async def _health(request: web.Request) -> web.Response:
    # The pid tells the demo that this shop answers on its port, not another demo's that holds it.
    return web.json_response({"status": "ok", "pid": os.getpid()})


async def _create_order(request: web.Request) -> web.Response:
    if request.match_info["release"] == "broken":
        return web.json_response({"error": "database unavailable"}, status=500)
    body = await request.json()
    return web.json_response(
        {"id": f"o-{next(_ORDER_IDS)}", "status": "created", "sku": body.get("sku"), "total": 12.5}, status=201
    )


async def _read_order(request: web.Request) -> web.Response:
    return web.json_response({"id": request.match_info["order_id"], "sku": "SMOKE-1", "status": "created"})


def main() -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    app = web.Application()
    app.router.add_get("/{release:good|broken}/healthz", _health)
    app.router.add_post("/{release:good|broken}/api/orders", _create_order)
    app.router.add_get("/{release:good|broken}/api/orders/{order_id}", _read_order)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
