"""Catalogs of the test-only kinds of tests/gatekind.py beside the built-in ones."""

from __future__ import annotations

from analyzer.catalog import Catalog, build_catalog
from analyzer.registry import BUILTIN_KINDS, Registry
from tests.gatekind import GateCheck, GroupCheck

REGISTRY = Registry([*BUILTIN_KINDS, GateCheck, GroupCheck])


def gate_catalog(*checks: dict, sources: dict | None = None) -> Catalog:
    """A catalog of the given check definitions (gate or prometheus kinds)."""
    return build_catalog([("test", {"sources": sources or {}, "checks": list(checks)})], REGISTRY)
