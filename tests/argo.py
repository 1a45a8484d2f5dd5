"""Argo Rollouts' web metric provider semantics, to drive the analyzer as Argo does.

From argo-rollouts (metricproviders/web, utils/evaluate): args substituted into the URL without URL-encoding;
any transport error or non-2xx status is an Error measurement; a 2xx body is JSON, `jsonPath` picks the
result (a missing key is an Error); with both conditions set, failure wins, then success, else Inconclusive.
"""

from __future__ import annotations

from typing import Any

import httpx

SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR = "Successful", "Failed", "Inconclusive", "Error"


def substitute(template: str, args: dict[str, str]) -> str:
    """`{{args.name}}` replaced verbatim, as Argo does (no encoding)."""
    for name, value in args.items():
        template = template.replace("{{args.%s}}" % name, value)  # noqa: UP031 (Argo's braces)
    return template


def measure(
    url: str,
    *,
    method: str = "GET",
    json_body: dict[str, Any] | None = None,
    timeout_s: float = 10.0,
    success: str = "pass",
    failure: str | None = "fail",
) -> str:
    """One measurement's phase for a metric `result == success` / `result == failure` on `{$.verdict}`."""
    try:
        response = httpx.request(
            method, url, json=json_body, timeout=timeout_s, headers={"User-Agent": "Go-http-client/1.1"}
        )
    except httpx.HTTPError:
        return ERROR
    if not 200 <= response.status_code < 300:
        return ERROR
    try:
        result = response.json()["verdict"]
    except (ValueError, KeyError, TypeError):
        return ERROR
    failed = failure is not None and result == failure
    succeeded = result == success
    if failure is None:
        return SUCCESSFUL if succeeded else FAILED
    if failed:
        return FAILED
    return SUCCESSFUL if succeeded else INCONCLUSIVE
