"""serve's refusal to listen: the reason and the setting that names what is wrong."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from analyzer.errors import AnalyzerError
from analyzer.server import _listen


class _UnresolvableSite:
    """A site whose host name does not resolve (a real one would need a DNS query, which tests never send)."""

    async def start(self) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


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
