"""Named backends that checks read from; foreign client errors are translated inside each source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

from analyzer.errors import ConfigError
from analyzer.sources.prometheus import (
    PrometheusSource,
    PrometheusSourceConfig,
    QueryObserver,
    QueryResult,
    Series,
)

SourceConfig = Annotated[PrometheusSourceConfig, Field(discriminator="type")]

__all__ = ["PrometheusSource", "PrometheusSourceConfig", "QueryResult", "Series", "SourceConfig", "Sources"]


class Sources:
    """The live source clients built from a catalog's `sources`; closed together."""

    def __init__(self, configs: Mapping[str, PrometheusSourceConfig], observe: QueryObserver | None = None):
        self._prometheus = {name: PrometheusSource(name, config, observe) for name, config in configs.items()}

    def prometheus(self, name: str) -> PrometheusSource:
        """The Prometheus source of that name; ConfigError if the catalog defines none."""
        try:
            return self._prometheus[name]
        except KeyError:
            raise ConfigError(f"no Prometheus source named {name!r}") from None

    def close(self) -> None:
        """Close every client."""
        for source in self._prometheus.values():
            source.close()
