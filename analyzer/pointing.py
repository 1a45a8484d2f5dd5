"""`analyzer run NAME --prometheus [SOURCE=]URL`: the catalog's Prometheus sources, some pointed at another
address (a newcomer's port-forward, a staging Prometheus) for one local run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from analyzer.catalog import Catalog
from analyzer.sources import PrometheusSourceConfig
from analyzer.sources.prometheus import base_url_refusal


def sources_read(catalog: Catalog, name: str) -> list[str]:
    """The Prometheus sources an evaluation of check `name` reads: its own and its members'."""
    names = {name, *catalog.reached(name)}
    return sorted({source for check in names for source in catalog.checks[check].source_names()})


def pointed_at(
    catalog: Catalog, name: str, given: Sequence[str], ca_file: Path | None = None
) -> Mapping[str, PrometheusSourceConfig]:
    """The catalog's sources with those `given` (`URL`, or `SOURCE=URL` each) at their new address; their files
    (bearer_token_file, ca_file) dropped, since they live in the pod, their timeout, headers and TLS choice kept;
    `ca_file` (run's --ca-file): the CA bundle each of them verifies with instead of certifi's. A bare URL stands
    for the one source check `name` reads; ValueError says what is wrong with `given` or `ca_file`."""
    read = sources_read(catalog, name)
    named: dict[str, str] = {}
    bare: list[str] = []
    for item in given:
        source, sep, url = item.partition("=")
        if not sep or "://" in source:
            bare.append(item)
        elif source in named:
            raise ValueError(f"source {source!r} is given twice")
        else:
            named[source] = url
    if not read:
        raise ValueError(f"check {name!r} reads no Prometheus source")
    if bare and (named or len(bare) > 1):
        raise ValueError("give one URL (the check reads one source), or SOURCE=URL for each source")
    if bare:
        if len(read) > 1:
            each = " ".join(f"--prometheus {source}=URL" for source in read)
            raise ValueError(
                f"check {name!r} reads {len(read)} Prometheus sources ({', '.join(read)}): give each its address "
                f"({each})"
            )
        named = {read[0]: bare[0]}
    configs = dict(catalog.sources)
    for source, url in named.items():
        if source not in read:
            raise ValueError(f"check {name!r} does not read source {source!r} (it reads {', '.join(read)})")
        try:
            configs[source] = PrometheusSourceConfig.model_validate(
                {**configs[source].model_dump(), "url": url, "bearer_token_file": None, "ca_file": ca_file}
            )
        except ValidationError as exc:
            reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            if "is not an http(s) base URL" not in reason:
                # Not about its form but what it carries (a user:password, which the reason does not repeat) or where
                # it points (the query API's path, which the reason names with the base address to give instead).
                raise ValueError(reason) from None
            raise ValueError(base_url_refusal(url, "http://127.0.0.1:9090")) from None
    return configs
