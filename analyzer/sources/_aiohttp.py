"""aiohttp, imported with OpenSSL's default CA file pointed at nothing, and the environment as it was after."""

from __future__ import annotations

import os
import sys

# aiohttp builds two default TLS contexts when it is imported, and each parsed the whole of OpenSSL's default CA file
# (a quarter of an `analyzer run` Job's instructions), though a source verifies with certifi's bundle or its
# ca_file and never with them. Without the file they look certificates up one by one in OpenSSL's default directory,
# the same store, when (if ever) one verifies: as in the image, whose Dockerfile removes the file. A path under
# /dev/null exists nowhere. Once aiohttp is imported (`analyzer serve` imports it first) its contexts are built, and
# the environment is left alone: another thread, or a child process started meanwhile, would see the path too.
if "aiohttp" in sys.modules:
    import aiohttp
else:
    _NO_FILE = "/dev/null/no-default-ca-file"
    _given = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = _NO_FILE
    try:
        import aiohttp
    finally:
        if _given is None:
            del os.environ["SSL_CERT_FILE"]
        else:
            os.environ["SSL_CERT_FILE"] = _given

__all__ = ["aiohttp"]
