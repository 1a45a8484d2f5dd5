"""Addresses where nothing answers, that stay so while the tests run."""

from __future__ import annotations

import atexit
import socket

# Bound and never listening: a connection to one is refused, and no other process can bind its port.
_HELD: list[socket.socket] = []


def refused_port() -> int:
    """A TCP port on 127.0.0.1 that refuses every connection until this process exits.

    `analyzer.testing.free_port` gives a port that was free a moment ago: good for a server the test starts at once,
    not for an address a test calls dead, which another process's server (another test run's fake Prometheus on this
    machine) may take while the test runs and then answer. This port stays bound by a socket of this process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


@atexit.register
def _release() -> None:
    for sock in _HELD:
        sock.close()
