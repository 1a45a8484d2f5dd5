"""The recommended AnalysisTemplate, measured with Argo's web-provider semantics against `analyzer serve`."""

from __future__ import annotations

import select
import subprocess
import sys
import time

import httpx
import pytest
import yaml

from tests.argo import (
    ERROR,
    FAILED,
    INCONCLUSIVE,
    NON_JSON_EVALUATED,
    NON_JSON_SUCCESSFUL,
    SUCCESSFUL,
    measure,
    substitute,
)
from tests.integration.test_prometheus_check import CANARY, ERROR_RATIO
from tests.ports import refused_port

pytestmark = pytest.mark.integration

URL = "http://127.0.0.1:{port}/api/v1/checks/{check}/run?canary_hash={{{{args.canary-hash}}}}"


@pytest.fixture(scope="module")
def served(tmp_path_factory, prometheus):
    """`analyzer serve` in a real process on 127.0.0.1, with one healthy and one broken source."""
    catalog = tmp_path_factory.mktemp("argo") / "catalog.yaml"
    check = {"kind": "prometheus", "params": CANARY, "query": ERROR_RATIO, "pass_if": "< 0.01"}
    catalog.write_text(
        yaml.safe_dump(
            {
                "sources": {"default": {"url": prometheus.url}, "down": {"url": f"http://127.0.0.1:{refused_port()}"}},
                "checks": [
                    {"name": "payments-error-rate", **check},
                    {"name": "payments-error-rate-down", "source": "down", **check},
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analyzer.cli",
            "serve",
            "--catalog",
            str(catalog),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Ready within a minute, however loaded the machine (300 tries of at least 0.05 s each were 15 s; an answer other
    # than 200 was tried again at once).
    deadline = time.monotonic() + 60
    port = _listening_port(process, deadline)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "serve did not start")
        time.sleep(0.05)
    yield port
    process.terminate()
    assert process.wait(timeout=20) == 0


def _listening_port(process: subprocess.Popen[bytes], deadline: float) -> int:
    """The port `serve --port 0` names on its stdout once it listens (the OS picked it: no other test's server can
    take it between a pick and the bind)."""
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
    # Nothing in time, or end of output (the process died): its stderr says why.
    line = process.stdout.readline().decode() if readable else ""
    prefix = "listening on http://127.0.0.1:"
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(
            f"serve did not start ({line!r}): {process.stderr.read().decode() if process.stderr else ''}"
        )
    return int(line.removeprefix(prefix))


class TestWebProvider:
    """Each canary state maps to the Argo phase an SRE expects."""

    @pytest.mark.parametrize(
        ("canary", "phase"),
        [("healthy1", SUCCESSFUL), ("broken1", FAILED), ("idle1", INCONCLUSIVE), ("unknownhash", INCONCLUSIVE)],
    )
    def test_phases(self, served, canary, phase):
        url = substitute(URL.format(port=served, check="payments-error-rate"), {"canary-hash": canary})
        assert measure(url) == phase

    def test_source_down_is_error(self, served):
        url = substitute(URL.format(port=served, check="payments-error-rate-down"), {"canary-hash": "healthy1"})
        assert measure(url) == ERROR

    def test_post_json_body(self, served):
        url = f"http://127.0.0.1:{served}/api/v1/checks/payments-error-rate/run"
        assert measure(url, method="POST", json_body={"canary_hash": "broken1"}) == FAILED

    @pytest.mark.parametrize(
        ("value", "phase"),
        [
            ('x"} or vector(0) #&extra=1', INCONCLUSIVE),  # '#' starts the fragment: a literal, unknown hash
            ("healthy1&extra=1", ERROR),  # '&' smuggles an undeclared arg: 400
        ],
    )
    def test_unencoded_hostile_args_never_pass(self, served, value, phase):
        # Argo does not URL-encode args, so a hostile value reaches us split up.
        url = substitute(URL.format(port=served, check="payments-error-rate"), {"canary-hash": value})
        assert measure(url) == phase

    def test_success_condition_only_turns_inconclusive_into_failed(self, served):
        url = substitute(URL.format(port=served, check="payments-error-rate"), {"canary-hash": "idle1"})
        assert measure(url, failure=None) == FAILED


class TestWhatTemplatesMustNotAsk:
    """Two requests the web provider can make that the recommended template avoids (tests/argo_semantics.py)."""

    def test_put_is_an_error_at_every_measurement(self, served):
        # Argo allows a body with POST or PUT; the run endpoint answers PUT with 405.
        url = f"http://127.0.0.1:{served}/api/v1/checks/payments-error-rate/run"
        assert measure(url, method="PUT", json_body={"canary_hash": "healthy1"}) == ERROR

    @pytest.mark.parametrize("argo", [NON_JSON_SUCCESSFUL, NON_JSON_EVALUATED])
    def test_a_fail_asked_as_text_is_never_successful(self, served, argo):
        # A line is not JSON, and released Argo counts a 2xx body that is not JSON Successful: the line of a fail
        # is a 409, an Error measurement to either version.
        url = substitute(URL.format(port=served, check="payments-error-rate"), {"canary-hash": "broken1"})
        assert measure(url + "&format=text", non_json=argo) == ERROR
