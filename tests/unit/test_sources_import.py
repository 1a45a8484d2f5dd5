"""Importing the sources skips aiohttp's default CA store (unused) and leaves TLS as it was for everything else."""

from __future__ import annotations

import ssl
import subprocess
import sys

import pytest

_PROBE = """
import ssl
import analyzer.sources
import aiohttp.connector
# aiohttp's own default context, built at its import: the analyzer never hands it to a connection.
print(aiohttp.connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"])
print(ssl.create_default_context().cert_store_stats()["x509_ca"])
print("set_default_verify_paths" in vars(ssl.SSLContext))
"""


class TestDefaultCaStore:
    """A fresh process that imports the sources first: aiohttp's unused default context trusts nothing (it
    would refuse every server), and every context made afterwards loads the system store again."""

    def test_skipped_for_aiohttp_only(self):
        if ssl.create_default_context().cert_store_stats()["x509_ca"] == 0:
            pytest.skip("this machine has no system CA store to compare with")
        lines = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                               timeout=60).stdout.split()
        aiohttp_default, after, patched = int(lines[0]), int(lines[1]), lines[2]
        assert aiohttp_default == 0
        assert after > 0
        assert patched == "False"
