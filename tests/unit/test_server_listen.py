"""serve's refusal to listen: the reason and the setting that names what is wrong."""

from __future__ import annotations

import errno
import os
import socket

import pytest
from aiohttp import web

from analyzer.errors import AnalyzerError
from analyzer.server import _bound, _listen


class _UnresolvableSite:
    """A site whose host name does not resolve (a real one would need a DNS query, which tests never send)."""

    async def start(self) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


class _RefusedSite:
    """A site the OS refuses with `errno` (a real port below 1024 is refused only to a process without root)."""

    def __init__(self, number: int) -> None:
        self.number = number

    async def start(self) -> None:
        raise OSError(self.number, os.strerror(self.number))


class TestListenRefused:
    """An address the OS refuses is said with the OS's words and the setting of the part that is wrong."""

    async def test_an_address_this_host_does_not_have_names_the_host_setting(self):
        runner = web.AppRunner(web.Application())
        await runner.setup()
        try:
            # TEST-NET-1 (RFC 5737): no host has it, and bind fails locally without a packet sent.
            site = web.TCPSite(runner, "192.0.2.1", 8080)
            with pytest.raises(AnalyzerError) as raised:
                await _listen(site, "192.0.2.1", 8080, "ANALYZER_PORT (--port)")
        finally:
            await runner.cleanup()
        assert str(raised.value) == (
            "cannot listen on 192.0.2.1:8080: Cannot assign requested address (set by ANALYZER_HOST (--host))"
        )

    async def test_a_host_name_that_does_not_resolve_is_said_in_words(self):
        with pytest.raises(AnalyzerError) as raised:
            await _listen(_UnresolvableSite(), "no-such-host.invalid", 8080, "ANALYZER_PORT (--port)")  # type: ignore[arg-type]
        assert str(raised.value) == (
            "cannot listen on no-such-host.invalid:8080: Name or service not known (set by ANALYZER_HOST (--host))"
        )


class TestListenNextStep:
    """A refusal whose OS words do not say what to do next says it."""

    async def test_a_port_in_use_names_the_command_that_finds_its_holder(self):
        holder = socket.socket()
        runner = web.AppRunner(web.Application())
        await runner.setup()
        try:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            with pytest.raises(AnalyzerError) as raised:
                await _listen(web.TCPSite(runner, "127.0.0.1", port), "127.0.0.1", port, "ANALYZER_PORT (--port)")
        finally:
            holder.close()
            await runner.cleanup()
        # Before: "... Address already in use (set by ANALYZER_PORT (--port))", and nothing on what to do.
        assert str(raised.value) == (
            f"cannot listen on 127.0.0.1:{port}: Address already in use (set by ANALYZER_PORT (--port)); another "
            f"process listens on port {port} (`ss -ltnp 'sport = :{port}'` names it): stop it, or give this one "
            "another port"
        )

    async def test_a_privileged_port_says_to_take_one_from_1024_up(self):
        with pytest.raises(AnalyzerError) as raised:
            await _listen(_RefusedSite(errno.EACCES), "0.0.0.0", 80, "ANALYZER_PORT (--port)")  # type: ignore[arg-type]
        assert str(raised.value) == (
            "cannot listen on 0.0.0.0:80: Permission denied (set by ANALYZER_PORT (--port)); a port below 1024 needs "
            "root or CAP_NET_BIND_SERVICE: give one from 1024 up, such as 8080"
        )

    async def test_a_host_written_with_its_port_names_the_two_settings(self):
        # `--host 127.0.0.1:8080` does not resolve: said as a name that is not known, it hid the port in it.
        with pytest.raises(AnalyzerError) as raised:
            await _listen(_UnresolvableSite(), "127.0.0.1:8080", 8080, "ANALYZER_PORT (--port)")  # type: ignore[arg-type]
        assert str(raised.value) == (
            "cannot listen on 127.0.0.1:8080:8080: Name or service not known (set by ANALYZER_HOST (--host)); the "
            "host is an address alone: write 127.0.0.1, and give the port 8080 in ANALYZER_PORT (--port)"
        )


class TestListeningLog:
    """analyzer_listening names every socket bound, and a port only when every socket has it."""

    def test_one_port_shared_by_every_socket_is_the_port(self):
        fields = _bound([("127.0.0.1", 8080), ("::1", 8080, 0, 0)])
        assert fields == {"port": 8080, "urls": ["http://127.0.0.1:8080", "http://[::1]:8080"]}

    def test_sockets_on_different_ports_are_each_named(self):
        # Port 0 on a name with two addresses: the OS picks a port per socket. Before: `port` was the first's alone.
        fields = _bound([("127.0.0.1", 41001), ("::1", 41002, 0, 0)])
        assert fields == {"ports": [41001, 41002], "urls": ["http://127.0.0.1:41001", "http://[::1]:41002"]}
