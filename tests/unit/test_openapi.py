"""The OpenAPI document describes args as the server reads them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from analyzer.catalog import build_catalog, load_catalog
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


def _resolved(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """`item`, or the component its `$ref` names."""
    if "$ref" not in item:
        return item
    section, name = item["$ref"].removeprefix("#/components/").split("/")
    return cast(dict[str, Any], document["components"][section][name])


def _run_parameters(document: dict[str, Any], check: str = "c") -> list[dict[str, Any]]:
    return [_resolved(document, p) for p in document["paths"][f"/api/v1/checks/{check}/run"]["get"]["parameters"]]


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
    parameters = _run_parameters(build_openapi(catalog))
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
        parameters = _run_parameters(build_openapi(catalog))
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
        parameters = _run_parameters(build_openapi(catalog))
        schemas = {p["name"]: p["schema"] for p in parameters if p["name"] in ("window", "n")}
        assert {key: schemas["window"].get(key) for key in ("minimum", "x-minimum", "x-maximum")} == {
            "minimum": None,
            "x-minimum": "1m",
            "x-maximum": "1d",
        }
        assert (schemas["n"]["minimum"], schemas["n"]["maximum"]) == (0, 5)


class TestSharedParts:
    """Every check's run operations refer to one copy of the answers and common args under `components`, and
    every reference resolves: a catalog of 3,000 checks made a 19 MB document of copies."""

    def _document(self, checks: int) -> dict[str, Any]:
        catalog = build_catalog(
            [
                (
                    "a.yaml",
                    {
                        "sources": {"default": {"url": "http://127.0.0.1:9"}},
                        "checks": [
                            {"name": f"c{i}", "kind": "prometheus", "query": "up", "pass_if": "< 1"}
                            for i in range(checks)
                        ],
                    },
                )
            ],
            Registry.default(),
        )
        return build_openapi(catalog)

    def test_every_reference_resolves(self):
        document = self._document(2)
        refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
        assert refs
        for ref in refs:
            node: Any = document
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            assert isinstance(node, dict) and node

    def test_a_run_operation_takes_the_common_args_and_answers_every_status(self):
        document = self._document(1)
        for method in ("get", "post"):
            operation = document["paths"]["/api/v1/checks/c0/run"][method]
            names = [_resolved(document, p)["name"] for p in operation["parameters"]]
            assert names == ["at", "explain", "format"]
            responses = {status: _resolved(document, r) for status, r in operation["responses"].items()}
            assert responses["429"]["description"].startswith("too many evaluations in flight")
            assert "Evaluation" in json.dumps(responses["503"])
            assert "ErrorBody" in json.dumps(responses["400"])

    def test_a_check_adds_its_own_operations_only(self):
        one, many = (len(json.dumps(self._document(n))) for n in (1, 101))
        # With the copies, 6.4 KB a check; now its name, summary, args and the references (2.2 KB).
        assert (many - one) / 100 < 3000


DEPLOY = Path(__file__).parents[2] / "deploy"


class TestValidDocument:
    """The document of every catalog the repository ships is valid OpenAPI 3.1: its schema, and rules such as each
    `$ref` resolving, which a client generator relies on."""

    @pytest.mark.parametrize(
        "catalog_file",
        [DEPLOY / "demo/catalog.yaml", *sorted(DEPLOY.glob("examples/*/catalog*.yaml"))],
        ids=lambda path: path.parent.name + "/" + path.name,
    )
    def test_valid_openapi_3_1(self, catalog_file, tmp_path):
        # One file alone: the examples each define the same source differently.
        (tmp_path / "catalog.yaml").write_bytes(catalog_file.read_bytes())
        catalog = load_catalog(tmp_path, Registry.default(), check_files=False)
        document = json.loads(json.dumps(build_openapi(catalog)))
        assert [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()] == []
        assert len([path for path in document["paths"] if path.endswith("/run")]) == len(catalog.checks)


class TestOperationIds:
    """Every operation has an operationId of its own, as OpenAPI requires, whatever the checks are named."""

    def _document(self, *names: str, visible: Callable[[str], bool] = lambda _: True) -> dict[str, Any]:
        checks = [{"name": name, "kind": "prometheus", "query": "up", "pass_if": "< 1"} for name in names]
        catalog = build_catalog(
            [("a.yaml", {"sources": {"default": {"url": "http://127.0.0.1:9"}}, "checks": checks})], Registry.default()
        )
        return json.loads(json.dumps(build_openapi(catalog, visible=visible)))

    @staticmethod
    def _ids(document: dict[str, Any]) -> dict[tuple[str, str], str]:
        return {
            (path, method): op["operationId"] for path, item in document["paths"].items() for method, op in item.items()
        }

    def test_a_check_named_as_another_ones_post_operation(self):
        # A check name may hold `_`: the POST of `orders` and the GET of `orders_post` were both `run_orders_post`.
        document = self._document("orders", "orders_post")
        ids = self._ids(document)
        assert len(set(ids.values())) == len(ids)
        assert ids[("/api/v1/checks/orders_post/run", "get")] == "run_orders_post"
        assert [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()] == []

    def test_ids_are_kept_where_none_is_taken(self):
        ids = self._ids(self._document("orders", "orders_post", visible=lambda name: name == "orders"))
        assert (ids[("/api/v1/checks/orders/run", "get")], ids[("/api/v1/checks/orders/run", "post")]) == (
            "run_orders",
            "run_orders_post",
        )
