import pytest

from analyzer.errors import ConfigError
from analyzer.sources import Sources
from analyzer.sources.http import HttpClient


class RecordingClient(HttpClient):
    """An HTTP client that counts its closings."""

    closed = 0

    async def aclose(self) -> None:
        self.closed += 1


class TestHttpClientOnDemand:
    """Sources builds the HTTP client from a factory on first use, once, and closes only what it built."""

    async def test_built_once_on_first_use_and_closed(self):
        built: list[RecordingClient] = []

        def make():
            built.append(RecordingClient())
            return built[-1]

        sources = Sources({}, http=make)
        assert built == []
        assert sources.http() is sources.http() is built[0]
        await sources.aclose()
        assert (len(built), built[0].closed) == (1, 1)

    async def test_unused_factory_is_never_called(self):
        def make():
            raise AssertionError("built without a use")

        await Sources({}, http=make).aclose()

    async def test_a_given_client_is_used_and_closed(self):
        client = RecordingClient()
        sources = Sources({}, http=client)
        assert sources.http() is client
        await sources.aclose()
        assert client.closed == 1

    def test_no_client_is_a_config_error(self):
        with pytest.raises(ConfigError, match="no HTTP client"):
            Sources({}).http()
