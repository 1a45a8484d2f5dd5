"""Named backends that checks read from; foreign client errors are translated inside each source."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from analyzer.errors import ConfigError
from analyzer.sources.prometheus import (
    PrometheusSource,
    PrometheusSourceConfig,
    QueryObserver,
    QueryResult,
    RecordingRule,
    RulesListed,
    Series,
)

if TYPE_CHECKING:
    from analyzer.sources.http import HttpClient

SourceConfig = Annotated[PrometheusSourceConfig, Field(discriminator="type")]

__all__ = [
    "PrometheusSource",
    "PrometheusSourceConfig",
    "QueryResult",
    "RecordingRule",
    "RulesListed",
    "Series",
    "SourceConfig",
    "Sources",
]


class Sources:
    """The live source clients built from a catalog's `sources`; closed together."""

    def __init__(
        self,
        configs: Mapping[str, PrometheusSourceConfig],
        observe: QueryObserver | None = None,
        http: HttpClient | Callable[[], HttpClient] | None = None,
        make_prometheus: Callable[[str, PrometheusSourceConfig], PrometheusSource] | None = None,
    ):
        """`http` is the client of HTTP checks, or a function that builds it on first use (so that a Job
        without an HTTP check never imports httpx); `make_prometheus` builds a Prometheus source from its name
        and config (default: PrometheusSource with `observe`)."""
        make = make_prometheus or (lambda name, config: PrometheusSource(name, config, observe))
        self._prometheus = {name: make(name, config) for name, config in configs.items()}
        self._http: HttpClient | None = None
        self._make_http: Callable[[], HttpClient] | None = None
        if callable(http):
            self._make_http = http
        else:
            self._http = http

    def prometheus(self, name: str) -> PrometheusSource:
        """The Prometheus source of that name; ConfigError if the catalog defines none."""
        try:
            return self._prometheus[name]
        except KeyError:
            raise ConfigError(f"no Prometheus source named {name!r}") from None

    def prometheus_sources(self) -> Mapping[str, PrometheusSource]:
        """Every Prometheus source, by name."""
        return self._prometheus

    def credentials(self) -> list[str]:
        """Every Prometheus source's credentials in the forms a crash's message may quote them."""
        return [credential for source in self._prometheus.values() for credential in source.credentials()]

    def http(self) -> HttpClient:
        """The shared HTTP client of HTTP checks; ConfigError if none was given."""
        if self._http is None and self._make_http is not None:
            self._http = self._make_http()
        if self._http is None:
            raise ConfigError("no HTTP client: build Sources with http=HttpClient(...)")
        return self._http

    def close(self) -> None:
        """Close the Prometheus clients' connections now (in-flight queries fail as unavailable)."""
        for source in self._prometheus.values():
            source.close()

    async def aclose(self) -> None:
        """Close every client, the HTTP client included, and wait until their connections are closed."""
        for source in self._prometheus.values():
            await source.aclose()
        if self._http is not None:
            await self._http.aclose()
