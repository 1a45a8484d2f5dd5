"""Argo Rollouts' web metric provider semantics, to drive the analyzer as Argo does.

From argo-rollouts (metricproviders/webmetric, utils/evaluate): args substituted into the URL without
URL-encoding; any transport error or non-2xx status is an Error measurement; a 2xx JSON body gives `result` at
`jsonPath` (a missing key is an Error). A 2xx body that is not JSON was Successful whatever the conditions up
to v1.10.0-rc1; since #4770 the whole body is `result`. With both conditions set, failure wins, then success,
else Inconclusive; with only successCondition, anything but success is Failed.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR = "Successful", "Failed", "Inconclusive", "Error"
# The web provider's reading of a 2xx body that is not JSON: released versions up to v1.10.0-rc1, and after #4770.
NON_JSON_SUCCESSFUL, NON_JSON_EVALUATED = "up to v1.10.0-rc1", "since #4770"


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
    non_json: str = NON_JSON_EVALUATED,
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
        body = json.loads(response.content)
    except ValueError:
        if non_json == NON_JSON_SUCCESSFUL:
            return SUCCESSFUL
        return _phase(response.text, success, failure)
    if not isinstance(body, dict) or "verdict" not in body:
        return ERROR
    return _phase(body["verdict"], success, failure)


def _phase(result: Any, success: str, failure: str | None) -> str:
    """utils/evaluate EvaluateResult for `result == success` and, when given, `result == failure`."""
    succeeded = result == success
    if failure is None:
        return SUCCESSFUL if succeeded else FAILED
    if result == failure:
        return FAILED
    return SUCCESSFUL if succeeded else INCONCLUSIVE
