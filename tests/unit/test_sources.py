import pytest

from analyzer.errors import ConfigError
from analyzer.sources import PrometheusSourceConfig, Sources
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


class TestCredentials:
    """Every Prometheus source's credentials are listed, as a crash scrub needs them."""

    def test_each_sources_header_values_and_file_token(self, tmp_path):
        token_file = tmp_path / "token"
        token_file.write_text("file-token-4c3b2a\n")
        configs = {
            "metrics": PrometheusSourceConfig(url="http://prometheus:9090", bearer_token_file=str(token_file)),
            "tenants": PrometheusSourceConfig(url="http://mimir:9009", headers={"X-Api-Key": "hdr-key-1f2e3d"}),
            "plain": PrometheusSourceConfig(url="http://other:9090"),
        }
        credentials = Sources(configs).credentials()
        assert "file-token-4c3b2a" in credentials and "hdr-key-1f2e3d" in credentials

    def test_none_without_sources(self):
        assert Sources({}).credentials() == []
