"""composite definitions are checked against the catalog at load: members exist, args map, no cycles."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.errors import ArgError, ConfigError
from analyzer.registry import Registry

SOURCES = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
HASH = {"canary_hash": {"type": "label_value", "required": True}}


def leaf(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    query = 'sum(up{h="{{ canary_hash }}"})' if params is None else "sum(up)"
    return {
        "name": name,
        "kind": "prometheus",
        "params": HASH if params is None else params,
        "query": query,
        "pass_if": "> 0",
    }


def composite(name: str, members: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "composite", "params": HASH, "members": members, **fields}


def member(check: str, **fields: Any) -> dict[str, Any]:
    return {"check": check, "args": {"canary_hash": "{{ canary_hash }}"}, **fields}


def load(*checks: dict[str, Any]):
    return build_catalog([("test.yaml", {"sources": SOURCES, "checks": list(checks)})], Registry.default())


def problems(*checks: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(*checks)
    return "\n".join(caught.value.problems)


class TestLinking:
    """Members must exist, receive every required arg of a compatible type, and never form a cycle."""

    def test_valid_scorecard_loads(self):
        catalog = load(
            leaf("a"),
            leaf("b"),
            composite(
                "card",
                [member("a", weight=2, critical=True), member("b")],
                mode="score",
                pass_score=80,
                warning_score=60,
            ),
        )
        assert catalog.checks["card"].kind == "composite"

    def test_unknown_member(self):
        assert "members[0] ('nope'): no check named 'nope' in the catalog" in problems(
            composite("card", [member("nope")])
        )

    def test_cycle_through_two_composites(self):
        found = problems(leaf("a"), composite("x", [member("a"), member("y")]), composite("y", [member("x")]))
        assert "members form a cycle: x -> y -> x" in found
        assert "members form a cycle: y -> x -> y" in found

    def test_self_reference(self):
        assert "a composite cannot contain itself" in problems(composite("x", [member("x")]))

    def test_shared_member_is_not_a_cycle(self):
        load(leaf("a"), composite("x", [member("a")]), composite("y", [member("a"), member("x")]))

    def test_undeclared_member_arg(self):
        assert "arg 'service' is not a param of 'a'" in problems(
            leaf("a"), composite("card", [{"check": "a", "args": {"canary_hash": "x", "service": "y"}}])
        )

    def test_required_member_arg_not_mapped(self):
        assert "required arg 'canary_hash' of 'a' is not mapped" in problems(
            leaf("a"), composite("card", [{"check": "a"}])
        )

    def test_placeholder_must_name_a_composite_param(self):
        assert "members[0].args.canary_hash: placeholder {{ other }} names no declared param" in problems(
            leaf("a"), composite("card", [{"check": "a", "args": {"canary_hash": "{{ other }}"}}])
        )

    def test_literal_arg_is_validated_against_the_member_param(self):
        numeric = leaf("n", {"limit": {"type": "number", "required": True}})
        assert "arg 'limit' must be a decimal number" in problems(
            numeric, composite("card", [{"check": "n", "args": {"limit": "lots"}}])
        )

    def test_param_types_must_match(self):
        numeric = leaf("n", {"limit": {"type": "number", "required": True}})
        assert "arg 'limit' is a number but {{ canary_hash }} is a label_value" in problems(
            numeric, composite("card", [{"check": "n", "args": {"limit": "{{ canary_hash }}"}}])
        )


class TestMeasuresThePast:
    """A composite can be evaluated as of a past time only when every member can."""

    def test_members_of_stored_data(self):
        assert load(leaf("a"), composite("card", [member("a")])).checks["card"].measures_the_past()

    def test_a_member_that_sends_requests_now(self):
        smoke = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://checkout.shop.svc",
            "steps": [{"name": "health", "path": "/healthz"}],
        }
        card = composite("card", [member("a"), {"check": "smoke"}])
        assert not load(leaf("a"), smoke, card).checks["card"].measures_the_past()


class TestModes:
    """Score settings belong to mode score, and only make sense in order."""

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"mode": "score"}, "mode score needs pass_score"),
            ({"mode": "score", "pass_score": 60, "warning_score": 70}, "warning_score 70 is above pass_score 60"),
            ({"mode": "all", "pass_score": 60}, "pass_score only applies to mode score"),
            # pass_score 0 passed a scorecard whose members all failed.
            ({"mode": "score", "pass_score": 0}, "pass_score: Input should be greater than 0"),
            ({"mode": "score", "pass_score": 50, "warning_score": 0}, "warning_score: Input should be greater than 0"),
        ],
    )
    def test_rule(self, fields, message):
        assert message in problems(leaf("a"), composite("card", [member("a")], **fields))

    def test_weights_need_mode_score(self):
        assert "members[].weight only applies to mode score" in problems(
            leaf("a"), composite("card", [member("a", weight=2)])
        )

    def test_members_are_required(self):
        assert "members" in problems(composite("card", []))


class TestBindArgs:
    """A composite's args are bound only when every member accepts what they map to: a bad arg is a 400."""

    def card(self):
        strict = leaf("strict", {"canary_hash": {"type": "label_value", "required": True, "pattern": "[a-f0-9]{8}"}})
        return load(leaf("a"), strict, composite("card", [member("a"), member("strict")])).checks["card"]

    def test_args_every_member_accepts_bind(self):
        assert self.card().bind_args({"canary_hash": "0a1b2c3d"}) == {"canary_hash": "0a1b2c3d"}

    def test_mapped_value_a_member_rejects_is_an_arg_error_naming_member_and_arg(self):
        with pytest.raises(ArgError) as caught:
            self.card().bind_args({"canary_hash": "not-a-hash"})
        assert caught.value.arg == "canary_hash"
        assert caught.value.message.startswith(
            "member 'strict' (members[1]) rejects its args: arg 'canary_hash' must match the pattern"
        )

    def test_text_around_a_placeholder_is_validated_too(self):
        numbered = leaf("n", {"pod": {"type": "dns_label", "required": True}})
        card = load(numbered, composite("card", [{"check": "n", "args": {"pod": "web-{{ canary_hash }}"}}])).checks[
            "card"
        ]
        assert card.bind_args({"canary_hash": "abc"}) == {"canary_hash": "abc"}
        with pytest.raises(ArgError, match=r"member 'n' .* arg 'pod' must be"):
            card.bind_args({"canary_hash": "Not_DNS"})
