"""Sloth's own OpenSLO v1alpha example files, put in a catalog directory as they are, judge from the recording
rules Sloth generates for them (tests/integration/data_openslo.py) in a real Prometheus."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from analyzer.catalog import load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parent.parent / "unit" / "data" / "openslo"


@pytest.fixture
async def client(prometheus, aiohttp_client, tmp_path):
    (tmp_path / "sources.yaml").write_text(f"sources:\n  default: {{type: prometheus, url: '{prometheus.url}'}}\n")
    for name in ("sloth-openslo-getting-started.yml", "sloth-openslo-kubernetes-apiserver.yml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    catalog = load_catalog(tmp_path, Registry.default())
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


async def run(client, prometheus, check: str) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/checks/{check}/run", params={"at": str(int(prometheus.anchor)), "explain": "true"}
    )
    assert answer.status == 200, await answer.text()
    return await answer.json()


class TestSlothOpenSLOExamples:
    """Each objective of Sloth's v1alpha examples reads the series Sloth records for it."""

    async def test_a_burning_slo_fails_on_its_own_rules(self, client, prometheus):
        body = await run(client, prometheus, "my-service-sloth-slo-my-service-0")
        assert body["verdict"] == "fail"
        assert body["value"] == pytest.approx(20.0)
        assert all('sloth_id="my-service-sloth-slo-my-service-0"' in q for q in body["details"]["queries"])

    async def test_a_healthy_slo_passes_on_its_own_rules(self, client, prometheus):
        body = await run(client, prometheus, "k8s-apiserver-requests-availability-openslo-0")
        assert body["verdict"] == "pass"
        assert body["details"]["budget"]["error_ratio"] == pytest.approx(0.0002)
