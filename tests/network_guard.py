"""A tripwire for tests of outbound HTTP: any connect or DNS lookup that is not loopback raises, so no
packet leaves the machine even when the code under test is wrong. Also a stub resolver."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Mapping

import pytest

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkEscape(AssertionError):
    """The code under test tried to reach something that is not this machine's loopback."""


def _is_loopback(host: object) -> bool:
    if host is None or host in _LOCAL_NAMES:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail loudly on any socket connect or name lookup outside loopback; yields the attempts seen."""
    escapes: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: object) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            escapes.append(repr(address))
            raise NetworkEscape(f"test tried to connect to {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        real_connect(self, address)  # type: ignore[arg-type] (checked above)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        return real_connect_ex(self, address)  # type: ignore[arg-type] (checked above)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if not _is_loopback(host):
            escapes.append(f"getaddrinfo({host!r})")
            raise NetworkEscape(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type] (checked above)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield escapes
    assert not escapes, f"the code under test tried to leave the machine: {escapes}"


class StubResolver:
    """Answers only the names it was given; every other name fails like NXDOMAIN."""

    def __init__(self, answers: Mapping[str, list[str]]) -> None:
        self.answers = dict(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.answers[host])
