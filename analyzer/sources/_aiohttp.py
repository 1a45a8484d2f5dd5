"""aiohttp, imported with OpenSSL's default CA file pointed at nothing, and the environment as it was after."""

from __future__ import annotations

import os
import ssl
import sys


def _hashed_store() -> bool:
    """Whether OpenSSL's default directory holds certificates by their subject's hash (Debian's /etc/ssl/certs, the
    image's), where a verification without the default file looks its CAs up: Fedora's and RHEL's holds none."""
    directory = ssl.get_default_verify_paths().capath
    if directory is None:
        return False
    try:
        with os.scandir(directory) as entries:
            return any(len(entry.name) == 10 and entry.name.endswith(".0") for entry in entries)
    except OSError:
        return False


# aiohttp builds two default TLS contexts when it is imported, and each parsed the whole of OpenSSL's default CA file
# (a quarter of an `analyzer run` Job's instructions), though a source verifies with certifi's bundle or its
# ca_file and never with them. Without the file they look certificates up one by one in OpenSSL's default directory,
# the same store, when (if ever) one verifies: as in the image, whose Dockerfile removes the file. A path under
# /dev/null exists nowhere. Left as they are (a plugin's own aiohttp request, verified by default, trusts what it
# trusted): a file SSL_CERT_FILE names, which may hold a CA the directory does not; the default file where the
# directory is no hashed store; and, once aiohttp is imported (`analyzer serve` imports it first), the environment:
# its contexts are built, and another thread or a child process started meanwhile would see the path too.
if "aiohttp" in sys.modules or "SSL_CERT_FILE" in os.environ or not _hashed_store():
    import aiohttp
else:
    os.environ["SSL_CERT_FILE"] = "/dev/null/no-default-ca-file"
    try:
        import aiohttp
    finally:
        del os.environ["SSL_CERT_FILE"]

__all__ = ["aiohttp"]
