"""The UI tests' catalog (one check of every kind, against known data) and an analyzer served from a thread,
so that a blocking browser driver can load its pages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from analyzer.catalog import build_catalog
from analyzer.kinds import Check
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app, server_options
from tests.integration.data_ui import HOSTILE

# Characters a cookie value must quote (token68 allows them): the login cookie must carry them intact.
TOKEN = "ui-test/token+0123456789abcdef=="
ERROR_RATE_LIMIT = 0.01
# broken1 serves 10 req/s of which 1 is a 5xx (tests/integration/data_core.py).
BROKEN_ERROR_RATIO = 0.1

# A label value with a right-to-left override, ESC and BEL, as escapes: PromQL reads them as those characters,
# and a page must show them as these escapes again, so that the text after them reads in order.
BIDI_ESCAPED = r"\u202eliaf\x1b[32mok\x07"

CANARY = {"canary_hash": {"type": "label_value", "required": True}}
SHOP_RATIO = {
    "errors": 'sum(rate(eb_requests_total{service="eb-shop", rollouts_pod_template_hash="{{ canary_hash }}", '
    'code=~"5.."}[{{ window }}]))',
    "total": 'sum(rate(eb_requests_total{service="eb-shop", rollouts_pod_template_hash="{{ canary_hash }}"}'
    "[{{ window }}]))",
}
KPI_PARAMS = {
    "canary_hash": {"type": "label_value", "required": True},
    "stable_hash": {"type": "label_value", "default": "kpistable"},
}


def kpi_counter(name: str, param: str) -> str:
    """The increase over the lookback of counter `name` of the shop's pods of the hash in `param`."""
    return f'sum(increase({name}{{service="shop",rollouts_pod_template_hash="{{{{ {param} }}}}"}}[{{{{ lookback }}}}]))'


def checks(target_url: str) -> list[dict[str, Any]]:
    """One check of each kind; the http_smoke one calls the target served next to the analyzer."""
    return [
        {
            "name": "error-rate",
            "kind": "prometheus",
            "description": "canary 5xx ratio under 1%",
            "params": CANARY,
            "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}",code=~"5.."}[5m]))'
            ' / sum(rate(http_requests_total{rollouts_pod_template_hash="{{ canary_hash }}"}[5m]))',
            "pass_if": f"< {ERROR_RATE_LIMIT}",
        },
        {
            "name": "latency-p99",
            "kind": "prometheus",
            "description": "p99 latency over the last hour",
            "query": 'latency_p99_seconds{service="checkout"}',
            "range": "1h",
            "step": "1m",
            "over_time": "max",
            "pass_if": "< 0.5",
        },
        {
            "name": "hostile-labels",
            "kind": "prometheus",
            "description": "series with a hostile label value",
            "query": 'max by (note) (ui_hostile{service="ui"})',
            "each": True,
            "pass_if": "< 5",
        },
        {
            "name": "bidi-labels",
            "kind": "prometheus",
            "description": "a series whose label value reverses and recolours the text after it",
            # As Prometheus answers it: a label value with U+202E (right-to-left override), ESC and BEL.
            "query": f'label_replace(vector(1), "note", "{BIDI_ESCAPED}", "", "")',
            "each": True,
            "pass_if": "< 0.5",
        },
        {
            "name": "shop-budget",
            "kind": "error_budget",
            "description": "eb-shop canary burn",
            "objective": 99.9,
            "period": "30d",
            "params": CANARY,
            "ratio": SHOP_RATIO,
        },
        {
            "name": "conversion",
            "kind": "kpi_compare",
            "description": "canary conversion vs stable",
            "params": KPI_PARAMS,
            "method": "proportion",
            "direction": "higher_is_better",
            "max_relative_change": 0.1,
            "deadline_s": 60,
            "min_canary_events": 100,
            "canary": {
                "success": kpi_counter("kpi_orders_total", "canary_hash"),
                "total": kpi_counter("kpi_visits_total", "canary_hash"),
            },
            "baseline": {
                "success": kpi_counter("kpi_orders_total", "stable_hash"),
                "total": kpi_counter("kpi_visits_total", "stable_hash"),
            },
        },
        {
            "name": "smoke",
            "kind": "http_smoke",
            "description": "preview smoke test",
            "base_url": target_url,
            "allowed_hosts": ["127.0.0.1"],
            "headers": {"Authorization": "Bearer target-secret"},
            "steps": [
                {"name": "health", "path": "/health"},
                {"name": "burst", "path": "/health", "repeat": 20, "concurrency": 4, "max_p95_ms": 2000},
                {"name": "hostile", "path": "/hostile", "expect": {"status": [500]}},
            ],
        },
        {
            "name": "release",
            "kind": "composite",
            "description": "the release scorecard",
            "params": CANARY,
            "members": [
                {"check": "error-rate", "args": {"canary_hash": "{{ canary_hash }}"}, "critical": True},
                {"check": "shop-budget", "args": {"canary_hash": "burn1"}, "weight": 2},
            ],
            "mode": "score",
            "pass_score": 90,
        },
    ]


# Values a page rounded to 6 digits read as their threshold (80) or as 100, beside a verdict they contradict.
NEAR_CHECKS = (
    {
        "name": "near-threshold",
        "kind": "prometheus",
        "description": "a value just under its threshold",
        "query": "vector(79.9999999)",
        "pass_if": "< 80",
    },
    {
        "name": "near-hundred",
        "kind": "prometheus",
        "description": "a value just under 100",
        "query": "vector(99.99999999999999)",
        "pass_if": "> 50",
    },
)


async def _target(request: web.Request) -> web.Response:
    if request.path == "/hostile":
        return web.Response(text=HOSTILE, content_type="text/html")
    return web.Response(text='{"status": "ok"}', content_type="application/json")


@dataclass
class Served:
    """An analyzer (and its http_smoke target) on 127.0.0.1, served by a thread of its own."""

    url: str
    target_url: str
    loop: asyncio.AbstractEventLoop
    app: web.Application

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


@contextmanager
def serve(
    prometheus_url: str,
    tmp: Path,
    *,
    auth: bool,
    extra_checks: tuple[dict[str, Any], ...] = (),
    extra_kinds: tuple[type[Check], ...] = (),
) -> Iterator[Served]:
    """Start the analyzer with the UI test catalog (and `extra_checks`, of the built-in kinds and `extra_kinds`); auth
    on means TOKEN is the one accepted token."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ui-server", daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, **options: Any) -> str:
        runner = web.AppRunner(app, **options)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    target = web.Application()
    target.router.add_get("/{tail:.*}", _target)
    target_url = asyncio.run_coroutine_threadsafe(start(target), loop).result(timeout=30)
    settings_args: dict[str, Any] = {"http_allowed_hosts": ("127.0.0.1",), "http_allowed_networks": ("127.0.0.0/8",)}
    if auth:
        (tmp / "tokens").mkdir(exist_ok=True)
        (tmp / "tokens" / "sre").write_text(TOKEN)
        settings_args["auth_tokens"] = tmp / "tokens"
    settings = Settings(**settings_args)
    registry = Registry([*Registry.default().kinds.values(), *extra_kinds]) if extra_kinds else Registry.default()
    catalog = build_catalog(
        [
            (
                "ui-test.yaml",
                {"sources": {"default": {"url": prometheus_url}}, "checks": [*checks(target_url), *extra_checks]},
            )
        ],
        registry,
    )

    async def make_app() -> web.Application:
        return create_app(settings, catalog, registry)

    app = asyncio.run_coroutine_threadsafe(make_app(), loop).result(timeout=30)
    url = asyncio.run_coroutine_threadsafe(start(app, **server_options(settings)), loop).result(timeout=30)
    try:
        yield Served(url, target_url, loop, app)
    finally:

        async def stop() -> None:
            for runner in reversed(runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
