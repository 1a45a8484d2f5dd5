"""The session's Prometheus serves the backfilled data."""

import pytest
import requests

pytestmark = pytest.mark.integration


def test_backfilled_data_is_served(prometheus):
    answer = requests.get(f"{prometheus.url}/api/v1/query", params={
        "query": 'sum(rate(http_requests_total{rollouts_pod_template_hash="broken1",code="500"}[5m]))',
        "time": prometheus.anchor}, timeout=5).json()
    assert abs(float(answer["data"]["result"][0]["value"][1]) - 1.0) < 1e-9
