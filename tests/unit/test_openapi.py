"""The OpenAPI document describes args as the server reads them."""

from __future__ import annotations

import re

import pytest

from analyzer.catalog import build_catalog
from analyzer.errors import ArgError
from analyzer.openapi import build_openapi
from analyzer.params import Param, ParamType
from analyzer.registry import Registry

SAMPLES = [
    "",
    "5m",
    "1h30m",
    "1y2w3d4h5m6s7ms",
    "30m1h",
    "5m5m",
    "0s5m",
    "1.5h",
    "90",
    "Inf",
    "nan",
    "NaN",
    "Infinity",
    "up",
    "job:errors:rate5m",
    "_x",
    "9lives",
    "x y",
]


def _patterns() -> dict[str, str]:
    check = {
        "name": "c",
        "kind": "prometheus",
        "query": "rate({{ metric }}[{{ window }}])",
        "pass_if": "< 1",
        "params": {
            "metric": {"type": "identifier", "required": True},
            "window": {"type": "duration", "required": True},
        },
    }
    catalog = build_catalog(
        [("a.yaml", {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [check]})], Registry.default()
    )
    parameters = build_openapi(catalog)["paths"]["/api/v1/checks/c/run"]["get"]["parameters"]
    return {p["name"]: p["schema"]["pattern"] for p in parameters if "pattern" in p.get("schema", {})}


class TestArgPatterns:
    """Each typed arg's pattern accepts exactly what the server accepts, so a client validating by it agrees."""

    @pytest.mark.parametrize(("arg", "param_type"), [("metric", ParamType.IDENTIFIER), ("window", ParamType.DURATION)])
    @pytest.mark.parametrize("text", SAMPLES)
    def test_pattern_and_server_agree(self, arg, param_type, text):
        pattern = _patterns()[arg]
        try:
            Param(type=param_type, required=True).parse(arg, text)
            accepted = True
        except ArgError:
            accepted = False
        assert (re.fullmatch(pattern, text) is not None) == accepted


class TestLabelValueLength:
    """A label_value arg's schema states the lengths the server accepts, an empty value included or not."""

    @pytest.mark.parametrize(("declared", "min_length"), [({}, 1), ({"min_length": 0}, 0)])
    def test_min_and_max_length(self, declared, min_length):
        check = {
            "name": "c",
            "kind": "prometheus",
            "query": 'up{pod="{{ pod }}"}',
            "pass_if": "< 1",
            "params": {"pod": {"type": "label_value", "required": True, "max_length": 40, **declared}},
        }
        catalog = build_catalog(
            [("a.yaml", {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [check]})],
            Registry.default(),
        )
        parameters = build_openapi(catalog)["paths"]["/api/v1/checks/c/run"]["get"]["parameters"]
        schema = next(p["schema"] for p in parameters if p["name"] == "pod")
        assert (schema["minLength"], schema["maxLength"]) == (min_length, 40)


class TestDurationBounds:
    """A duration arg's bounds are stated as written, in an extension: JSON Schema's minimum bounds numbers only."""

    def test_bounds_of_a_duration_and_of_a_number(self):
        check = {
            "name": "c",
            "kind": "prometheus",
            "query": "rate(x[{{ window }}]) > {{ n }}",
            "pass_if": "< 1",
            "params": {
                "window": {"type": "duration", "required": True, "minimum": "1m", "maximum": "1d"},
                "n": {"type": "number", "required": True, "minimum": 0, "maximum": 5},
            },
        }
        catalog = build_catalog(
            [("a.yaml", {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": [check]})],
            Registry.default(),
        )
        parameters = build_openapi(catalog)["paths"]["/api/v1/checks/c/run"]["get"]["parameters"]
        schemas = {p["name"]: p["schema"] for p in parameters if p["name"] in ("window", "n")}
        assert {key: schemas["window"].get(key) for key in ("minimum", "x-minimum", "x-maximum")} == {
            "minimum": None,
            "x-minimum": "1m",
            "x-maximum": "1d",
        }
        assert (schemas["n"]["minimum"], schemas["n"]["maximum"]) == (0, 5)
