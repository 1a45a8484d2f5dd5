"""composite definitions are checked against the catalog at load: members exist, args map, no cycles."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from analyzer.catalog import build_catalog, load_catalog
from analyzer.errors import ArgError, ConfigError
from analyzer.metrics import Metrics
from analyzer.models import Evaluation
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.sources import Sources
from checks import composite as composite_kind
from tests.gatecatalog import gate_catalog
from tests.gatekind import GATES, Gate
from tests.heldclock import HeldClockLoop, on_a_held_clock
from tests.ports import refused_port

SOURCES = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
HASH = {"canary_hash": {"type": "label_value", "required": True}}


def leaf(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    # Each param in a matcher: the catalog refuses a param that its check places nowhere.
    matchers = ", ".join(f'{param}="{{{{ {param} }}}}"' for param in params or HASH)
    query = f"sum(up{{{matchers}}})"
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


# A member whose param is a number: a literal number in the composite's args is no template.
NUMERIC_MEMBER = {
    "name": "n",
    "kind": "prometheus",
    "source": "down",
    "params": {"limit": {"type": "number", "required": True}},
    "query": "sum(up) * {{ limit }}",
    "pass_if": "> 0",
}


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

    def test_a_misspelt_member_names_the_check_it_most_likely_meant(self):
        assert problems(leaf("error-rate"), composite("card", [member("eror-rate")])).endswith(
            "members[0] ('eror-rate'): no check named 'eror-rate' in the catalog; did you mean 'error-rate'?"
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

    def test_a_literal_arg_yaml_read_as_a_boolean_is_refused(self, tmp_path):
        # `country: no` (Norway) was the member's label value "0": it judged other series than the catalog says.
        path = tmp_path / "catalog.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n"
            "- {name: errors, kind: prometheus, params: {country: {type: label_value, required: true}},\n"
            "   query: 'sum(rate(errors_total{country=\"{{ country }}\"}[5m])) or vector(0)', pass_if: < 1}\n"
            "- {name: card, kind: composite, members: [{check: errors, args: {country: no}}]}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        (problem,) = caught.value.problems
        assert "members.0.args.country" in problem
        assert "a boolean: YAML reads yes, no, on, off, true and false unquoted as one" in problem

    @pytest.mark.parametrize(
        ("param_type", "written"), [("label_value", "012"), ("label_value", "1.10"), ("enum", "1.0")]
    )
    def test_a_literal_arg_yaml_read_as_a_number_from_other_text_is_refused(self, tmp_path, param_type, written):
        # `zone: 012` was the member's label value "10", `version: 1.10` its "1.1": series the catalog never named.
        values = f", values: ['{written}', '10', '1.1', '1']" if param_type == "enum" else ""
        path = tmp_path / "catalog.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n"
            f"- {{name: errors, kind: prometheus, params: {{zone: {{type: {param_type}, required: true{values}}}}},\n"
            "   query: 'sum(rate(errors_total{zone=\"{{ zone }}\"}[5m])) or vector(0)', pass_if: < 1}\n"
            f"- {{name: card, kind: composite, members: [{{check: errors, args: {{zone: {written}}}}}]}}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        (problem,) = caught.value.problems
        assert f"members[0] ('errors'): arg 'zone': YAML reads {written} unquoted as the number " in problem

    def test_a_literal_number_arg_for_a_number_param_loads(self, tmp_path):
        path = tmp_path / "catalog.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n"
            "- {name: errors, kind: prometheus, params: {limit: {type: number, required: true}},\n"
            "   query: 'sum(rate(errors_total[5m])) > {{ limit }} or vector(0)', pass_if: < 1}\n"
            "- {name: card, kind: composite, members: [{check: errors, args: {limit: 1_000}}]}\n"
        )
        (member,) = load_catalog(path, Registry.default()).checks["card"].members
        assert member.args == {"limit": 1000}


class TestScoreWrittenAsAFraction:
    """A pass_score or warning_score of 1 or less, a fraction written where the score is out of 100, is warned."""

    def warned(self, weights: tuple[float, ...] = (1, 1), **fields: Any) -> list[str]:
        names = "abcdefgh"[: len(weights)]
        card = composite(
            "card", [member(n, weight=w) for n, w in zip(names, weights, strict=True)], mode="score", **fields
        )
        return [
            w.partition(": check 'card': ")[2]
            for w in load(*(leaf(n) for n in names), card).warnings
            if "out of 100" in w
        ]

    def test_a_fraction_is_warned(self):
        # Before: loaded silently; with pass_score 0.8 one of two members passing (score 50) passed the scorecard.
        assert self.warned(pass_score=0.8, warning_score=0.5) == [
            "pass_score is out of 100, not a fraction of 1: did you mean pass_score: 80? As written, 0.8 is 0.8% of "
            "the members' weight passing: any one of its 2 members passing alone reaches it",
            "warning_score is out of 100, not a fraction of 1: did you mean warning_score: 50? As written, 0.5 is 0.5% "
            "of the members' weight passing: any one of its 2 members passing alone reaches it",
        ]

    def test_with_unequal_weights_the_members_reaching_it_alone_are_named(self):
        # 'c' weighs 1 of 301: 0.33 of 100, under 0.8; 'a' and 'b' (150 each) reach it alone.
        assert self.warned((150, 150, 1), pass_score=0.8) == [
            "pass_score is out of 100, not a fraction of 1: did you mean pass_score: 80? As written, 0.8 is 0.8% of "
            "the members' weight passing: 'a', 'b' passing alone reach it, 'c' alone does not (it scores 0.332226)"
        ]

    def test_heaviest_first_and_more_than_three_counted(self):
        assert self.warned((1, 100, 100, 300, 100, 100), pass_score=1)[0].partition("passing: ")[2] == (
            "'d', 'b', 'c' and 2 more passing alone reach it, 'a' alone does not (it scores 0.142653)"
        )

    def test_three_reaching_are_named_without_a_count(self):
        assert (
            self.warned((100, 100, 100, 1), pass_score=1)[0].partition("passing: ")[2]
            == "'a', 'b', 'c' passing alone reach it, 'd' alone does not (it scores 0.332226)"
        )

    def test_a_share_equal_to_the_score_reaches_it(self):
        # 'c' weighs 1 of 125: 0.8 of 100 exactly, which a pass at 0.8 counts as reached.
        assert "any one of its 3 members" in self.warned((62, 62, 1), pass_score=0.8)[0]

    def test_one_member(self):
        card = composite("card", [member("a")], mode="score", pass_score=0.5)
        (warning,) = [w for w in load(leaf("a"), card).warnings if "out of 100" in w]
        assert warning.endswith("0.5% of the members' weight passing: its one member 'a' passing reaches it")

    @pytest.mark.parametrize(("pass_score", "warned"), [(1, True), (1.01, False), (80, False)])
    def test_from_1_up(self, pass_score, warned):
        # 1 is "all of it" written as a fraction: a 1% bar.
        assert bool(self.warned(pass_score=pass_score)) is warned


class TestDefinition:
    """A composite's definition hides a member's secret arg unless the arg only names one of the composite's params."""

    @pytest.mark.parametrize(
        ("written", "shown"),
        [
            ("{{ auth }}", "{{ auth }}"),
            # The text around a placeholder is the catalog's own, and may be a secret's part (rev27g: each
            # condition of _single_placeholder dropped, or it forced True, showed it).
            ("sk-live-{{ auth }}", "<redacted>"),
            ("{{ auth }}-9d8c", "<redacted>"),
            ("{{ auth }}{{ auth }}", "<redacted>"),
            ("sk-live-9d8c", "<redacted>"),
        ],
    )
    def test_a_members_secret_arg(self, written, shown):
        bearer = {"type": "label_value", "required": True, "secret": True}
        card = {
            "name": "card",
            "kind": "composite",
            "params": {"auth": {"type": "label_value", "required": True, "secret": True}},
            # The second places auth where the first does not (a literal).
            "members": [
                {"check": "keyed", "args": {"bearer": written}},
                {"check": "keyed", "args": {"bearer": "{{ auth }}"}},
            ],
        }
        definition = load(leaf("keyed", {"bearer": bearer}), card).checks["card"].definition()
        assert definition["members"][0]["args"] == {"bearer": shown}

    def test_a_members_secret_number_written_in_the_catalog(self):
        # A literal number has no template parts (rev27g: reading them without the test for none crashed here).
        pinned = {
            "name": "pinned",
            "kind": "prometheus",
            "params": {"pin": {"type": "number", "required": True, "secret": True}},
            "query": "sum(up) * {{ pin }}",
            "pass_if": "> 0",
        }
        card = {"name": "card", "kind": "composite", "members": [{"check": "pinned", "args": {"pin": 4242}}]}
        definition = load(pinned, card).checks["card"].definition()
        assert definition["members"][0]["args"] == {"pin": "<redacted>"}


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
            # A scorecard's threshold on a check that scores nothing would read as a rule that never applies.
            ({"mode": "any", "warning_score": 60}, "warning_score only applies to mode score"),
            # pass_score 0 passed a scorecard whose members all failed.
            ({"mode": "score", "pass_score": 0}, "pass_score: Input should be greater than 0"),
            ({"mode": "score", "pass_score": 50, "warning_score": 0}, "warning_score: Input should be greater than 0"),
        ],
    )
    def test_rule(self, fields, message):
        assert message in problems(leaf("a"), composite("card", [member("a")], **fields))

    def test_scores_up_to_100_and_a_warning_score_up_to_pass_score(self):
        assert "pass_score: Input should be less than or equal to 100" in problems(
            leaf("a"), composite("card", [member("a")], mode="score", pass_score=101)
        )
        assert "warning_score: Input should be less than or equal to 100" in problems(
            leaf("a"), composite("card", [member("a")], mode="score", pass_score=100, warning_score=101)
        )
        load(leaf("a"), composite("card", [member("a")], mode="score", pass_score=60, warning_score=60))

    def test_weights_that_sum_beyond_the_float_range_are_refused(self):
        # Their sum overflowed at every evaluation: a 500 on every run of the check.
        found = problems(
            leaf("a"),
            leaf("b"),
            composite("card", [member("a", weight=1e308), member("b", weight=1e308)], mode="score", pass_score=50),
        )
        assert "check 'card'" in found
        assert "members' weights sum to more than the float range (2e+308 > 1.79769e+308)" in found

    def test_weights_near_the_float_range_load(self):
        load(
            leaf("a"),
            leaf("b"),
            composite("card", [member("a", weight=1e308), member("b", weight=7e307)], mode="score", pass_score=50),
        )

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

    def test_the_arg_error_names_the_composites_arg_the_value_came_from(self):
        # What the caller gave (the CLI suggests `--arg` by this name), not the member's name for it (mut27: the
        # member arg's name survived, both being canary_hash in the test above).
        strict = leaf("strict", {"canary_hash": {"type": "label_value", "required": True, "pattern": "[a-f0-9]{8}"}})
        card = {
            "name": "card",
            "kind": "composite",
            "params": {"build": {"type": "label_value", "required": True}},
            "members": [{"check": "strict", "args": {"canary_hash": "{{ build }}"}}],
        }
        with pytest.raises(ArgError) as caught:
            load(strict, card).checks["card"].bind_args({"build": "not-a-hash"})
        assert caught.value.arg == "build"

    def test_text_around_a_placeholder_is_validated_too(self):
        numbered = leaf("n", {"pod": {"type": "dns_label", "required": True}})
        card = load(numbered, composite("card", [{"check": "n", "args": {"pod": "web-{{ canary_hash }}"}}])).checks[
            "card"
        ]
        assert card.bind_args({"canary_hash": "abc"}) == {"canary_hash": "abc"}
        with pytest.raises(ArgError, match=r"member 'n' .* arg 'pod' must be"):
            card.bind_args({"canary_hash": "Not_DNS"})


class TestBindArgsHidesSecrets:
    """A member's refusal of an arg made of a secret of the composite's quotes no part of the secret."""

    @pytest.mark.parametrize(
        ("token", "written"),
        [
            # Quoted cut at 80 characters: the cut value was not the secret, and 77 characters of it were shown.
            ("SECRET" + "x" * 90, "{{ token }}"),
            # Quoted escaped (repr): 'ab\\cd...' is not the value as given.
            ("ab\\cd-SECRET-value", "{{ token }}"),
            # Cut inside the secret: the text around it is long.
            ("SECRETVALUE12345", "https://example.com/a/very/long/path/that/goes/on/and/on/and/on?key={{ token }}"),
        ],
    )
    def test_a_refused_arg_made_of_a_secret(self, token, written):
        strict = leaf("strict", {"q": {"type": "label_value", "required": True, "pattern": "[a-z]+"}})
        card = {
            "name": "card",
            "kind": "composite",
            "params": {"token": {"type": "label_value", "required": True, "secret": True}},
            "members": [{"check": "strict", "args": {"q": written}}],
        }
        with pytest.raises(ArgError) as caught:
            load(strict, card).checks["card"].bind_args({"token": token})
        assert "SECRET" not in caught.value.message, caught.value.message
        # The rule it broke is still said.
        assert caught.value.message.startswith(
            "member 'strict' (members[0]) rejects its args: arg 'q' must match the pattern '[a-z]+', got a secret value"
        ), caught.value.message
        assert caught.value.arg == "token"

    @pytest.mark.parametrize("token", ["SECRET" + "x" * 90, "ab\\cd-SECRET-value"])
    def test_a_refusal_by_a_member_of_a_member_composite(self, token):
        # The inner composite does not know its param as a secret: its member's refusal quoted the value cut at 80
        # characters or escaped, which the outer's search for the value missed.
        strict = leaf("strict", {"q": {"type": "label_value", "required": True, "pattern": "[a-z]+"}})
        inner = {
            "name": "inner",
            "kind": "composite",
            "params": {"q": {"type": "label_value", "required": True}},
            "members": [{"check": "strict", "args": {"q": "{{ q }}"}}],
        }
        outer = {
            "name": "card",
            "kind": "composite",
            "params": {"token": {"type": "label_value", "required": True, "secret": True}},
            "members": [{"check": "inner", "args": {"q": "{{ token }}"}}],
        }
        with pytest.raises(ArgError) as caught:
            load(strict, inner, outer).checks["card"].bind_args({"token": token})
        assert "SECRET" not in caught.value.message, caught.value.message
        assert caught.value.message == (
            "member 'inner' (members[0]) rejects its args: member 'strict' (members[0]) rejects its args: arg 'q' must "
            f"match the pattern '[a-z]+', got a secret value of {len(token)} characters"
        )
        assert caught.value.arg == "token"

    @pytest.mark.parametrize(
        ("token", "written"),
        [
            ("ab\\cd-SECRET", "{{ token }}"),
            ("it's\"SECRET", "{{ token }}"),
            # Quoted in double quotes, its backslash doubled: "it's\\SECRET".
            ("it's\\SECRET", "{{ token }}"),
            # Escaped only within the text around it, which holds a '"': 'x"it\'s-SECRET'.
            ("it's-SECRET", 'x"{{ token }}'),
        ],
    )
    def test_a_refusal_by_a_members_kind_quoting_the_secret_escaped(self, token, written):
        # kpi_compare's refusal of args that make both variants' queries the same quotes each value as Python
        # writes it (repr): escaped, which a search for the value as given missed.
        queries = {
            side: {
                "success": f'sum(increase(orders{{h="{{{{ {arg} }}}}"}}[{{{{ lookback }}}}]))',
                "total": f'sum(increase(visits{{h="{{{{ {arg} }}}}"}}[{{{{ lookback }}}}]))',
            }
            for side, arg in (("canary", "c"), ("baseline", "b"))
        }
        kpi = {
            "name": "kpi",
            "kind": "kpi_compare",
            "params": {name: {"type": "label_value", "required": True} for name in ("c", "b")},
            "method": "proportion",
            "direction": "higher_is_better",
            "lookback": "30m",
            **queries,
            "max_relative_change": 0.05,
        }
        card = {
            "name": "card",
            "kind": "composite",
            "params": {"token": {"type": "label_value", "required": True, "secret": True}},
            "members": [{"check": "kpi", "args": {"c": written, "b": written}}],
        }
        with pytest.raises(ArgError) as caught:
            load(kpi, card).checks["card"].bind_args({"token": token})
        assert "SECRET" not in caught.value.message, caught.value.message
        # Each value hidden, in the quotes the member wrote it in; the rule still said.
        assert caught.value.message.startswith("member 'kpi' (members[0]) rejects its args: args b="), (
            caught.value.message
        )
        assert caught.value.message.count("<redacted>") == 2, caught.value.message
        assert caught.value.message.endswith(
            "make the canary's queries the same as the baseline's: a variant compared with itself always passes; give "
            "each variant its own value"
        )


OPEN = "composite-open"


@pytest.fixture
def members():
    """Members of every outcome: gate checks behind an open gate, and a prometheus check whose source refuses."""
    GATES[OPEN] = Gate()
    GATES[OPEN].open()
    yield [
        *({"name": n, "kind": "gate", "gate": OPEN, "outcome": o} for n, o in (("p", "pass"), ("f", "fail"))),
        {"name": "p2", "kind": "gate", "gate": OPEN, "outcome": "pass"},
        {"name": "i", "kind": "gate", "gate": OPEN, "outcome": "inconclusive"},
        {"name": "e", "kind": "prometheus", "source": "down", "query": "sum(up)", "pass_if": "> 0"},
    ]
    GATES.pop(OPEN, None)


async def judge(members, names, **fields):
    """The composite's evaluation over members named `names` (`name:weight`, `!name` for critical)."""
    runner, check = card(members, names, **fields)
    return await runner.evaluate(check, {})


def card(members, names, **fields):
    """A runner, and the composite `card` over members named `names` (see judge), to evaluate."""
    listed = []
    for name in names:
        entry: dict[str, Any] = {"check": name.strip("!").split(":")[0]}
        if name.startswith("!"):
            entry["critical"] = True
        if ":" in name:
            entry["weight"] = float(name.split(":")[1])
        listed.append(entry)
    down = {"down": {"type": "prometheus", "url": f"http://127.0.0.1:{refused_port()}", "retry": False, "timeout_s": 2}}
    catalog = gate_catalog(*members, {"name": "card", "kind": "composite", "members": listed, **fields}, sources=down)
    return Runner(catalog, Sources(catalog.sources), Metrics(), 5.0), catalog.get("card")


class TestCombining:
    """Member verdicts combine by mode; an error or inconclusive member never makes the whole pass."""

    @pytest.mark.parametrize(
        ("names", "mode", "verdict"),
        [
            (["p", "p2"], "all", "pass"),
            (["p", "f"], "all", "fail"),
            (["p", "i"], "all", "inconclusive"),
            (["i", "f"], "all", "fail"),
            (["p", "f"], "any", "pass"),
            (["f", "f"], "any", "fail"),
            (["f", "i"], "any", "inconclusive"),
            (["i"], "any", "inconclusive"),
        ],
    )
    async def test_modes(self, members, names, mode, verdict):
        evaluation = await judge(members, names, mode=mode)
        assert evaluation.verdict == verdict

    async def test_a_member_given_a_number_is_judged_with_it(self, members):
        # A literal number is no template (mut27: reading it as one survived: the composite crashed, an internal
        # error where its member's error counts as failed).
        runner, _ = card(members, ["p"])
        fields = {"members": [{"check": "p"}, {"check": "n", "args": {"limit": 5}}], "on_member_error": "fail"}
        catalog = gate_catalog(
            *members, NUMERIC_MEMBER, {"name": "card", "kind": "composite", **fields}, sources=runner.catalog.sources
        )
        evaluation = await Runner(catalog, Sources(catalog.sources), Metrics(), 5.0).evaluate(catalog.get("card"), {})
        assert evaluation.verdict == "fail", evaluation.reason
        shown = evaluation.to_json(explain=True)["details"]["members"][1]
        assert (shown["verdict"], shown["args"]) == ("error", {"limit": 5}), shown

    async def test_a_number_made_of_a_secret_is_hidden_in_the_members_args(self, members):
        # A number escapes the scrubbing of text: the member's args shown hide it as the composite's secret even
        # where the member does not declare it one (mut27: showing it survived).
        runner, _ = card(members, ["p"])
        card_check = {
            "name": "card",
            "kind": "composite",
            "params": {"pin": {"type": "number", "required": True, "secret": True}},
            "members": [{"check": "n", "args": {"limit": "{{ pin }}"}}],
            "on_member_error": "fail",
        }
        catalog = gate_catalog(*members, NUMERIC_MEMBER, card_check, sources=runner.catalog.sources)
        check = catalog.get("card")
        evaluation = await Runner(catalog, Sources(catalog.sources), Metrics(), 5.0).evaluate(
            check, check.bind_args({"pin": 424242})
        )
        assert evaluation.to_json(explain=True)["details"]["members"][0]["args"] == {"limit": "<redacted>"}
        assert "424242" not in evaluation.model_dump_json()

    @pytest.mark.parametrize(
        ("written", "given"),
        [
            ("v-{{ build }}-1", "v-7f3a-1"),
            ("v-{{ build }}", "v-7f3a"),
            ("{{ build }}-1", "7f3a-1"),
            ("{{ build }}{{ build }}", "7f3a7f3a"),
        ],
    )
    async def test_a_member_arg_of_text_around_a_placeholder_is_given_the_whole_text(self, members, written, given):
        # mut27: reading every arg as a lone placeholder survived: the member got `build`'s value without the text
        # around it, and judged other series than the catalog says.
        labelled = {**leaf("l"), "source": "down"}
        runner, _ = card(members, ["p"])
        card_check = {
            "name": "card",
            "kind": "composite",
            "params": {"build": {"type": "label_value", "required": True}},
            "members": [{"check": "l", "args": {"canary_hash": written}}],
            "on_member_error": "fail",
        }
        catalog = gate_catalog(*members, labelled, card_check, sources=runner.catalog.sources)
        check = catalog.get("card")
        evaluation = await Runner(catalog, Sources(catalog.sources), Metrics(), 5.0).evaluate(
            check, check.bind_args({"build": "7f3a"})
        )
        assert evaluation.to_json(explain=True)["details"]["members"][0]["args"] == {"canary_hash": given}

    async def test_all_reports_passed_of_total(self, members):
        verdict = (await judge(members, ["p", "p2", "i"])).to_json(explain=True)
        assert (verdict["value"], verdict["threshold"]) == (2, 3)
        assert verdict["reason"].startswith("2 of 3 members pass, all must")

    async def test_any_reports_passed_of_one(self, members):
        verdict = (await judge(members, ["p", "f"], mode="any")).to_json(explain=True)
        assert (verdict["value"], verdict["threshold"]) == (1, 1)


class TestCombiningScores:
    """A score is the passing members' share of the weight; inconclusive and ignored members may still pass."""

    @pytest.mark.parametrize(
        ("names", "fields", "verdict", "score", "best"),
        [
            (["p", "f"], {"pass_score": 50}, "pass", 50, 50),  # a weight is 1 unless given
            (["p:1", "f:1"], {"pass_score": 50}, "pass", 50, 50),
            (["p:1", "f:2"], {"pass_score": 50}, "fail", 100 / 3, 100 / 3),
            (["p:1", "f:2"], {"pass_score": 50, "warning_score": 30}, "inconclusive", 100 / 3, 100 / 3),
            (["p:1", "i:1", "f:1"], {"pass_score": 60}, "inconclusive", 100 / 3, 200 / 3),
            (["p:1", "i:1", "f:2"], {"pass_score": 60}, "fail", 25, 50),
            (["p:3", "f:1"], {"pass_score": 80}, "fail", 75, 75),
            (["i:1", "f:1"], {"pass_score": 10}, "inconclusive", 0, 50),
            (["p:1", "e:1"], {"pass_score": 50, "on_member_error": "ignore"}, "pass", 50, 100),
            (["p:1", "e:1"], {"pass_score": 60, "on_member_error": "ignore"}, "inconclusive", 50, 100),
            (["p:1", "e:3"], {"pass_score": 50, "on_member_error": "fail"}, "fail", 25, 25),
            # 100 * 1e307 overflowed to inf before the division: score inf, a pass.
            (["p:1e307", "f:1e308"], {"pass_score": 50}, "fail", 100 / 11, 100 / 11),
            (["p:1e308", "i:7e307"], {"pass_score": 50}, "pass", 100 / 1.7, 100),
            # 100 * 0.3 / (0.1 + 0.2 + 0.3) is 49.99999999999999 in float arithmetic, 50 as written.
            (["f:0.1", "f:0.2", "p:0.3"], {"pass_score": 50}, "pass", 50, 50),
            # Exactly at pass_score (100 * 999999999 / 1e9 is 99.9999999 as written): a pass.
            (["p:999999999", "f:1"], {"pass_score": 99.9999999}, "pass", 99.9999999, 99.9999999),
            # Exactly at warning_score, the best possible score: inconclusive, not fail.
            (["p:1", "i:1", "f:2"], {"pass_score": 60, "warning_score": 50}, "inconclusive", 25, 50),
        ],
    )
    async def test_score(self, members, names, fields, verdict, score, best):
        evaluation = await judge(members, names, mode="score", **fields)
        body = evaluation.to_json(explain=True)
        assert evaluation.verdict == verdict
        assert body["value"] == pytest.approx(score) and body["details"]["score"] == pytest.approx(score)
        assert body["details"]["best_possible_score"] == pytest.approx(best)
        assert body["threshold"] == fields["pass_score"]

    @pytest.mark.parametrize(
        ("names", "fields", "verdict"),
        [
            # A member failing under pass_score 100: its share (1e-12 of the weight) was within the 1e-9 tolerance
            # of a float comparison, so the scorecard passed, its reason "score 100 of 100 (pass at 100)".
            (["p:1e12", "f:1"], {"pass_score": 100}, "fail"),
            (["p:1e12", "f:1"], {"pass_score": 100, "warning_score": 99}, "inconclusive"),
            # The best possible score just under warning_score was forgiven as reaching it: inconclusive.
            (["i:1e12", "f:1"], {"pass_score": 100}, "fail"),
        ],
    )
    async def test_a_score_under_pass_score_by_a_sliver_is_no_pass(self, members, names, fields, verdict):
        evaluation = await judge(members, names, mode="score", **fields)
        assert evaluation.verdict == verdict, evaluation.reason
        assert "score 100 of 100" not in evaluation.reason, evaluation.reason

    @pytest.mark.parametrize(
        ("names", "fields", "rule"),
        [
            (["p:1", "f:2"], {"pass_score": 50}, "(pass at 50): "),
            (["p:1", "f:2"], {"pass_score": 50, "warning_score": 30}, "(pass at 50, inconclusive from 30): "),
            # A score that needs no more shows 6 digits; a warning_score that 6 would round shows every digit (the
            # rule read "inconclusive from 50", and a score of 49.99999995 was inconclusive).
            (
                ["p:1", "f:2"],
                {"pass_score": 50, "warning_score": 49.9999999},
                "score 33.3333 of 100 (pass at 50, inconclusive from 49.9999999): ",
            ),
            (["p:1", "i:1"], {"pass_score": 60}, "(pass at 60; up to 100 if the inconclusive members pass): "),
            (
                ["p:1", "e:1"],
                {"pass_score": 60, "on_member_error": "ignore"},
                "(pass at 60; up to 100 if the inconclusive and ignored members pass); member 'e' errored and was "
                "ignored as unknown (on_member_error: ignore): ",
            ),
        ],
    )
    async def test_the_reason_states_the_rule(self, members, names, fields, rule):
        assert rule in (await judge(members, names, mode="score", **fields)).reason

    @pytest.mark.parametrize(
        ("names", "fields", "verdict", "reason"),
        [
            # Score 49.9999999 failed under warning_score 50, read "score 50 of 100 (pass at 60, inconclusive from
            # 50)": a score the reason said was inconclusive.
            (
                ["p:499999999", "f:500000001"],
                {"pass_score": 60, "warning_score": 50},
                "fail",
                "score 49.9999999 of 100 (pass at 60, inconclusive from 50): ",
            ),
            # The best possible score 59.9999999 cannot pass at 60: "up to 60" said it could.
            (
                ["p:1", "i:599999998", "f:400000001"],
                {"pass_score": 60, "warning_score": 50},
                "inconclusive",
                "(pass at 60, inconclusive from 50; up to 59.9999999 if the inconclusive members pass): ",
            ),
            # Exactly at it: "score 100 of 100 (pass at 100)", a member failing.
            (
                ["p:999999999", "f:1"],
                {"pass_score": 99.9999999},
                "pass",
                "score 99.9999999 of 100 (pass at 99.9999999): ",
            ),
            # A critical member failing, its share a millionth: "score 100 of 100 (pass at 80)" and a fail.
            (["p:1e6", "!f:1"], {"pass_score": 80}, "fail", "score 99.9999 of 100 (pass at 80): "),
            (["p:1e9", "!f:1"], {"pass_score": 80}, "fail", "score 99.9999999 of 100 (pass at 80): "),
            # One digit more than 6, not two: 66.6666667 would do too, but says more than it takes.
            (["p:2", "f:1"], {"pass_score": 66.6667}, "fail", "score 66.66667 of 100 (pass at 66.6667): "),
            # As many digits as a float holds: 17.
            (["p:1e17", "!f:1"], {"pass_score": 80}, "fail", "score 99.999999999999999 of 100 (pass at 80): "),
            (["p:1e17", "f:1"], {"pass_score": 100}, "fail", "score 99.999999999999999 of 100 (pass at 100): "),
            # More would be needed: said to be under it.
            (["p:1e20", "!f:1"], {"pass_score": 80}, "fail", "score just under 100 of 100 (pass at 80): "),
            (["p:1e20", "f:1"], {"pass_score": 100}, "fail", "score just under 100 of 100 (pass at 100): "),
            # A score above a bound may read as at it: a pass either way.
            (["p:500000001", "f:499999999"], {"pass_score": 50}, "pass", "score 50 of 100 (pass at 50): "),
        ],
    )
    async def test_a_score_just_under_a_bound_or_100_never_reads_as_it(self, members, names, fields, verdict, reason):
        evaluation = await judge(members, names, mode="score", **fields)
        assert evaluation.verdict == verdict
        assert reason in evaluation.reason, evaluation.reason

    @pytest.mark.parametrize(
        ("names", "fields", "verdict", "under"),
        [
            # A failing member's share rounded away: value 100.0, a reader's pass.
            (["p:1e17", "f:1"], {"pass_score": 100}, "fail", {"value": 100, "score": 100, "best_possible_score": 100}),
            (["p:1e17", "!f:1"], {"pass_score": 80}, "fail", {"value": 100, "score": 100, "best_possible_score": 100}),
            # value 50.0 at pass_score 50, a fail.
            (
                ["p:1e18", "f:1.0000000000000001e18"],
                {"pass_score": 50},
                "fail",
                {"value": 50, "score": 50, "best_possible_score": 50},
            ),
            (
                ["p:1e18", "f:1.0000000000000001e18"],
                {"pass_score": 60, "warning_score": 50},
                "fail",
                {"value": 50, "score": 50, "best_possible_score": 50},
            ),
            # The best possible score, under 100 and warning_score.
            (["i:1e17", "f:1"], {"pass_score": 100}, "fail", {"best_possible_score": 100}),
            (
                ["p:1", "i:1e18", "f:1.0000000000000001e18"],
                {"pass_score": 60, "warning_score": 50},
                "fail",
                {"best_possible_score": 50},
            ),
        ],
    )
    async def test_a_value_under_a_bound_or_100_is_the_float_just_under_it(
        self, members, names, fields, verdict, under
    ):
        evaluation = await judge(members, names, mode="score", **fields)
        body = evaluation.to_json(explain=True)
        assert evaluation.verdict == verdict, evaluation.reason
        shown = {"value": body["value"], **body["details"]}
        assert {key: shown[key] for key in under} == {key: math.nextafter(b, 0) for key, b in under.items()}

    @pytest.mark.parametrize(
        ("names", "fields", "value"),
        [
            (["p", "p2"], {"pass_score": 80}, 100),
            (["p", "f"], {"pass_score": 50}, 50),
            (["p:1", "f:1"], {"pass_score": 60, "warning_score": 50}, 50),
            (["p:1e17", "p2:1"], {"pass_score": 100}, 100),
        ],
    )
    async def test_a_score_at_a_bound_or_100_is_it_exactly(self, members, names, fields, value):
        body = (await judge(members, names, mode="score", **fields)).to_json(explain=True)
        assert (body["value"], body["details"]["score"], body["details"]["best_possible_score"]) == (value,) * 3

    async def test_digits_beyond_what_a_float_holds_are_rounded_before_comparing(self, members):
        # Decided and documented: YAML reads a float, and 80.00000000000000001 is the float 80.
        fields = yaml.safe_load("{mode: score, pass_score: 80.00000000000000001}")
        evaluation = await judge(members, ["p:4", "f:1"], **fields)
        assert evaluation.verdict == "pass", evaluation.reason
        assert "score 80 of 100 (pass at 80)" in evaluation.reason


class TestCombiningErrors:
    """A member error is the whole's error unless on_member_error says otherwise; a critical one always is."""

    @pytest.mark.parametrize("mode", ["all", "any"])
    async def test_error_by_default(self, members, mode):
        evaluation = await judge(members, ["p", "e"], mode=mode)
        assert evaluation.verdict == "error" and evaluation.http_status == 503
        assert "member 'e' could not be evaluated" in evaluation.reason

    @pytest.mark.parametrize(("mode", "verdict"), [("all", "fail"), ("any", "pass")])
    async def test_fail_counts_it_as_failed(self, members, mode, verdict):
        assert (await judge(members, ["p", "e"], mode=mode, on_member_error="fail")).verdict == verdict

    async def test_fail_makes_any_fail_when_nothing_passes(self, members):
        assert (await judge(members, ["f", "e"], mode="any", on_member_error="fail")).verdict == "fail"

    @pytest.mark.parametrize(
        ("names", "mode", "verdict"),
        [
            # An ignored member is unknown, as in mode score: no pass on evidence the gate does not have.
            (["p", "e"], "all", "inconclusive"),
            (["e", "p", "p2"], "all", "inconclusive"),
            (["f", "e"], "all", "fail"),
            (["i", "e"], "all", "inconclusive"),
            (["p", "p2"], "all", "pass"),
            (["f", "e"], "any", "inconclusive"),
            (["p", "e"], "any", "pass"),
            (["i", "e"], "any", "inconclusive"),
        ],
    )
    async def test_ignore_counts_it_as_unknown(self, members, names, mode, verdict):
        evaluation = await judge(members, names, mode=mode, on_member_error="ignore")
        assert evaluation.verdict == verdict
        if "e" in names:
            assert evaluation.to_json(explain=True)["details"]["ignored"] == ["e"]

    async def test_an_ignored_member_is_counted_among_those_that_must_pass(self, members):
        verdict = (await judge(members, ["p", "e"], on_member_error="ignore")).to_json(explain=True)
        assert (verdict["value"], verdict["threshold"]) == (1, 2)
        assert verdict["reason"] == (
            "1 of 2 members pass, all must; member 'e' errored and was ignored as unknown (on_member_error: ignore): "
            "p pass, e error"
        )

    async def test_the_reason_names_every_ignored_member(self, members):
        evaluation = await judge(
            [*members, {**members[4], "name": "e2"}], ["e", "f", "e2"], mode="any", on_member_error="ignore"
        )
        assert evaluation.verdict == "inconclusive"
        assert evaluation.reason == (
            "0 of 3 members pass, one must; members 'e', 'e2' errored and were ignored as unknown "
            "(on_member_error: ignore): e error, f fail, e2 error"
        )

    async def test_ignore_never_ignores_a_critical_member(self, members):
        evaluation = await judge(members, ["p", "!e"], on_member_error="ignore")
        assert evaluation.verdict == "error" and "critical members are never ignored" in evaluation.reason

    async def test_error_names_the_first_error_and_claims_no_ignore_rule(self, members):
        # on_member_error: error ignores nothing: a critical member erroring after another is no reason to name
        # the rule of `ignore`.
        evaluation = await judge([*members, {**members[4], "name": "e2"}], ["e2", "!e"])
        assert evaluation.verdict == "error"
        assert "member 'e2' could not be evaluated" in evaluation.reason
        assert "never ignored" not in evaluation.reason

    async def test_ignore_names_the_critical_error_first(self, members):
        evaluation = await judge([*members, {**members[4], "name": "e2"}], ["e2", "!e"], on_member_error="ignore")
        assert "member 'e' could not be evaluated" in evaluation.reason

    async def test_nothing_left_follows_no_data(self, members):
        assert (await judge(members, ["e"], on_member_error="ignore")).verdict == "inconclusive"

    @pytest.mark.parametrize(("policy", "verdict"), [("pass", "inconclusive"), ("fail", "fail")])
    async def test_members_that_all_errored_are_no_absent_data(self, members, policy, verdict):
        # Every member's source down measured nothing: `no_data: pass` would read that outage as good news.
        evaluation = await judge(members, ["e"], on_member_error="ignore", no_data=policy)
        assert evaluation.verdict == verdict
        if policy == "pass":
            assert "no_data: pass does not apply to members that could not be evaluated" in evaluation.reason


class TestCombiningCritical:
    """A critical member's fail fails the whole; a critical member not passing keeps the whole from passing."""

    @pytest.mark.parametrize(
        ("names", "fields", "verdict"),
        [
            (["p", "!f"], {"mode": "any"}, "fail"),
            (["p:3", "!f:1"], {"mode": "score", "pass_score": 50}, "fail"),
            (["p", "!e"], {"mode": "any", "on_member_error": "fail"}, "fail"),
            (["p", "!i"], {"mode": "any"}, "inconclusive"),
            (["p:3", "!i:1"], {"mode": "score", "pass_score": 50}, "inconclusive"),
            (["p", "!p2"], {"mode": "any"}, "pass"),
            (["p", "f"], {"mode": "any"}, "pass"),  # members are not critical unless told
            (["!f", "i"], {"mode": "any"}, "fail"),
        ],
    )
    async def test_critical(self, members, names, fields, verdict):
        evaluation = await judge(members, names, **fields)
        assert evaluation.verdict == verdict

    async def test_the_reason_names_the_critical_member(self, members):
        evaluation = await judge(members, ["p", "!f"], mode="any")
        assert evaluation.reason.startswith("critical member 'f' failed")
        evaluation = await judge(members, ["p", "!i"], mode="any")
        assert evaluation.reason.startswith("critical member 'i' is inconclusive, so no pass yet")


class TestCriticalMemberUnsureBesideAFail:
    """A critical member that is inconclusive holds back only a pass: a scorecard its other members fail stays
    failed."""

    @pytest.mark.parametrize(
        ("names", "fields"),
        [
            (["!i", "f"], {"mode": "all"}),
            (["!i:1", "f:3"], {"mode": "score", "pass_score": 50}),
        ],
    )
    async def test_the_fail_stands(self, members, names, fields):
        # Made inconclusive, Argo pauses the rollout where the scorecard's fail aborts it.
        evaluation = await judge(members, names, **fields)
        assert evaluation.verdict == "fail", evaluation.reason
        assert not evaluation.reason.startswith("critical member"), evaluation.reason


class TestIgnoredMembersInDetails:
    """`details.ignored` names the members ignored as unknown, and is there only when some are."""

    async def test_absent_when_none_errored(self, members):
        evaluation = await judge(members, ["p", "f"], on_member_error="ignore")
        assert "ignored" not in evaluation.to_json(explain=True)["details"]


class TestReasonsNameTheFirstMember:
    """Of several critical members that errored or are not passing, the reason names the first listed."""

    @staticmethod
    def more(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`members` and a second inconclusive gate and a second member whose source refuses."""
        return [
            *members,
            {"name": "i2", "kind": "gate", "gate": OPEN, "outcome": "inconclusive"},
            {**members[-1], "name": "e2"},
        ]

    async def test_of_critical_members_that_errored(self, members):
        evaluation = await judge(self.more(members), ["p", "!e", "!e2"], on_member_error="ignore")
        assert evaluation.reason.startswith("member 'e' could not be evaluated"), evaluation.reason

    async def test_of_critical_members_not_passing(self, members):
        evaluation = await judge(self.more(members), ["p", "!i", "!i2"], mode="any")
        assert evaluation.reason.startswith("critical member 'i' is inconclusive, so no pass yet"), evaluation.reason

    async def test_of_critical_members_failing(self, members):
        # mut27: the last one named survived (a member that errored counts as failed here).
        evaluation = await judge(self.more(members), ["p", "!e", "!f", "!e2"], mode="any", on_member_error="fail")
        assert evaluation.verdict == "fail"
        # It errored: the reason says so, and how it came to count as failed (its reason read "failed").
        assert evaluation.reason.startswith("critical member 'e' errored (Prometheus source 'down'"), evaluation.reason
        assert "), counted as failed (on_member_error: fail); 1 of 4 members pass" in evaluation.reason, (
            evaluation.reason
        )


class TestMemberReasonsQuotedClipped:
    """A member's reason quoted in the composite's is cut to 160 characters."""

    async def test_a_long_reason_is_cut(self, members):
        long_gate = "g" * 300
        GATES[long_gate] = GATES[OPEN]
        try:
            failing = {"name": "long", "kind": "gate", "gate": long_gate, "outcome": "fail"}
            evaluation = await judge([*members, failing], ["p", "!long"], mode="any")
        finally:
            GATES.pop(long_gate, None)
        quoted = f"gate {long_gate} opened"[:157] + "..."
        assert evaluation.reason.startswith(f"critical member 'long' failed ({quoted}); "), evaluation.reason


HELD = "composite-held"


class TestMemberDeadline:
    """A member's own deadline never outlasts its composite's: a member still waiting is the member's error, which
    on_member_error judges, not a timeout of the whole.

    On a clock the test moves: the member's deadline is 0.05 s before its composite's, and an event loop a loaded
    machine runs that late would reach both at once (the composite then timed out as a whole, its member's timeout
    never judged): each deadline here is reached on its own, as an idle machine reaches it."""

    @pytest.fixture
    def held(self, members):
        """The members above, and `h`: a gate check that never opens, with a deadline longer than the composite's."""
        GATES[HELD] = Gate()
        yield [*members, {"name": "h", "kind": "gate", "gate": HELD, "deadline_s": 60}]
        GATES.pop(HELD, None)

    @staticmethod
    def cut(members, names, **fields) -> Evaluation:
        """The composite `card` of `names` (see judge) evaluated on a held clock until `h` waits at its gate, the clock
        then moved to `h`'s deadline and no further: the composite's verdict once its member is cut."""

        async def scenario(loop: HeldClockLoop) -> Evaluation:
            runner, check = card(members, names, **fields)
            evaluation = asyncio.create_task(runner.evaluate(check, {}))
            await loop.settle()
            (member_deadline,) = GATES[HELD].deadlines
            await loop.advance_to(member_deadline)
            assert evaluation.done(), "the composite did not end once its member's deadline passed"
            return evaluation.result()

        return on_a_held_clock(scenario, now=1000.0)

    def test_a_held_member_is_ignored_as_unknown(self, held):
        evaluation = self.cut(held, ["p", "h"], on_member_error="ignore", deadline_s=0.5)
        assert evaluation.verdict == "inconclusive", evaluation.reason
        assert evaluation.to_json(explain=True)["details"]["ignored"] == ["h"]

    def test_a_held_member_is_the_error_named(self, held):
        evaluation = self.cut(held, ["p", "h"], deadline_s=0.5)
        assert (evaluation.verdict, evaluation.error, evaluation.http_status) == ("error", "member_error", 504)
        assert "member 'h' could not be evaluated: no verdict by the deadline of the check it is a member of" in (
            evaluation.reason
        )

    def test_the_member_ends_by_the_composites_deadline(self, held):
        self.cut(held, ["h"], on_member_error="ignore", deadline_s=0.5)
        (member_deadline,) = GATES[HELD].deadlines
        # 0.05 s before the composite's 0.5 s from 1000.0, not its own 60 s.
        assert member_deadline == pytest.approx(1000.45)

    @pytest.mark.parametrize(
        ("member_deadline_s", "composite_deadline_s"),
        [
            (0.2, 5),
            # mut28: its own deadline the same instant as its composite's less the margin (1000.45): still its own
            # that ends it (the cut taken on a tie named the composite's deadline).
            (0.45, 0.5),
        ],
    )
    def test_a_member_of_a_shorter_deadline_ends_by_its_own(self, members, member_deadline_s, composite_deadline_s):
        # mut27: the composite's deadline taken for every member survived: a member of a 0.2 s deadline waited up to
        # its composite's 5 s, and its error named the composite's deadline, not its own.
        GATES[HELD] = Gate()
        try:
            short = [*members, {"name": "h", "kind": "gate", "gate": HELD, "deadline_s": member_deadline_s}]
            evaluation = self.cut(short, ["p", "h"], deadline_s=composite_deadline_s)
            (member_deadline,) = GATES[HELD].deadlines
        finally:
            GATES.pop(HELD, None)
        assert member_deadline == pytest.approx(1000 + member_deadline_s)
        assert (
            f"member 'h' could not be evaluated: no verdict within the {member_deadline_s:g} s deadline"
            in evaluation.reason
        )

    def test_a_composite_shorter_than_the_margin_leaves_its_member_time(self, members):
        # A 0.04 s composite of members answering at once: a member ending 0.05 s before it would end before it
        # started, and every evaluation would be a member's timeout.
        async def scenario(loop: HeldClockLoop) -> Evaluation:
            runner, check = card(members, ["p"], deadline_s=0.04)
            evaluation = asyncio.create_task(runner.evaluate(check, {}))
            await loop.settle()
            assert evaluation.done()
            return evaluation.result()

        evaluation = on_a_held_clock(scenario, now=1000.0)
        assert evaluation.verdict == "pass", evaluation.reason
        (member_deadline,) = GATES[OPEN].deadlines
        # A quarter of the 0.04 s the composite had left before its end: 0.03 s after it began.
        assert member_deadline == pytest.approx(1000.03)


AT = datetime(2026, 11, 26, 11, tzinfo=UTC)


class TestMemberDeadlineCoalescing:
    """A member cut to its composite's deadline and a request of the same check, args and time are not one
    evaluation: each ends by its own deadline. On a held clock, as TestMemberDeadline."""

    @pytest.fixture
    def gate(self):
        """The gate of `h` below, never opened unless the test does."""
        GATES[HELD] = Gate()
        yield GATES[HELD]
        GATES.pop(HELD, None)

    @pytest.fixture
    def held(self, gate):
        """A runner over `h`, a gate check with a long deadline, and `card`, a 0.5 s composite of it."""
        catalog = gate_catalog(
            {"name": "h", "kind": "gate", "gate": HELD, "deadline_s": 60},
            {
                "name": "card",
                "kind": "composite",
                "members": [{"check": "h"}],
                "on_member_error": "ignore",
                "deadline_s": 0.5,
            },
        )
        return Runner(catalog, Sources(catalog.sources), Metrics(), 5.0), gate

    def test_a_request_joining_a_cut_member_keeps_its_own_deadline(self, held):
        runner, gate = held

        async def scenario(loop: HeldClockLoop) -> tuple[Evaluation, Evaluation]:
            card = asyncio.create_task(runner.evaluate(runner.catalog.get("card"), {}, AT))
            await loop.settle()
            direct = asyncio.create_task(runner.evaluate(runner.catalog.get("h"), {}, AT))
            await loop.settle()
            # Two evaluations at the gate: the member's, cut to 0.05 s before the composite's 0.5 s, and the
            # request's, by its own 60 s.
            assert gate.deadlines == pytest.approx([1000.45, 1060.0])
            await loop.advance_to(1000.45)
            assert card.done(), "the composite did not end once its member's deadline passed"
            # Past the composite's deadline: the request still waits.
            await loop.advance_to(1001.0)
            assert not direct.done(), direct.result().reason
            gate.open()
            await loop.settle()
            assert direct.done()
            return card.result(), direct.result()

        cut, evaluation = on_a_held_clock(scenario, now=1000.0)
        assert cut.verdict == "inconclusive", cut.reason
        assert evaluation.verdict == "pass", evaluation.reason  # not the member's timeout at the composite's 0.5 s

    def test_a_member_joining_a_request_ends_by_its_composites_deadline(self, held):
        runner, gate = held

        async def scenario(loop: HeldClockLoop) -> tuple[Evaluation, Evaluation]:
            direct = asyncio.create_task(runner.evaluate(runner.catalog.get("h"), {}, AT))
            await loop.settle()
            card = asyncio.create_task(runner.evaluate(runner.catalog.get("card"), {}, AT))
            await loop.settle()
            assert gate.deadlines == pytest.approx([1060.0, 1000.45])
            await loop.advance_to(1000.45)
            assert card.done(), "the composite waited for the request's 60 s evaluation"
            gate.open()
            await loop.settle()
            assert direct.done()
            return card.result(), direct.result()

        evaluation, direct = on_a_held_clock(scenario, now=1000.0)
        # The member's timeout, judged (ignored: unknown), not the whole composite timed out waiting for a 60 s one.
        assert evaluation.verdict == "inconclusive", evaluation.reason
        assert evaluation.to_json(explain=True)["details"]["ignored"] == ["h"]
        assert direct.verdict == "pass", direct.reason

    def test_a_member_of_a_nested_composite_ends_by_its_own_composites_deadline(self, gate):
        # `h` directly under the outer composite and under `inner`: one evaluation would end by the outer's deadline,
        # when `inner` times out as a whole, its on_member_error (ignore) never applied and a critical member errored.
        catalog = gate_catalog(
            {"name": "h", "kind": "gate", "gate": HELD, "deadline_s": 60},
            {"name": "inner", "kind": "composite", "members": [{"check": "h"}], "on_member_error": "ignore"},
            {
                "name": "outer",
                "kind": "composite",
                "members": [{"check": "inner", "critical": True}, {"check": "h"}],
                "on_member_error": "ignore",
                "deadline_s": 0.5,
            },
        )
        runner = Runner(catalog, Sources(catalog.sources), Metrics(), 5.0)

        async def scenario(loop: HeldClockLoop) -> Evaluation:
            outer = asyncio.create_task(runner.evaluate(catalog.get("outer"), {}))
            await loop.settle()
            # `h` under `inner` (cut to 0.05 s before inner's end, itself 0.05 s before outer's), and `h` under outer.
            assert sorted(gate.deadlines) == pytest.approx([1000.40, 1000.45])
            for deadline in sorted(gate.deadlines):
                await loop.advance_to(deadline)
            assert outer.done(), "the outer composite did not end once its members' deadlines passed"
            return outer.result()

        evaluation = on_a_held_clock(scenario, now=1000.0)
        assert evaluation.verdict == "inconclusive", evaluation.reason
        members = evaluation.to_json(explain=True)["details"]["members"]
        assert [member["verdict"] for member in members] == ["inconclusive", "error"]


class TestWhichMembersDecided:
    """`decided` on a member's entry says that it decided the composite's verdict, and why; no other member has it."""

    @pytest.mark.parametrize(
        ("names", "fields", "verdict", "decided"),
        [
            (["p", "f"], {"mode": "all"}, "fail", {"f": "it failed, and all must pass"}),
            (["p", "i", "f"], {"mode": "all"}, "fail", {"f": "it failed, and all must pass"}),
            (["p", "i"], {"mode": "all"}, "inconclusive", {"i": "it is inconclusive, and all must pass"}),
            (
                ["p", "p2"],
                {"mode": "all"},
                "pass",
                {"p": "it passed, and all must pass", "p2": "it passed, and all must pass"},
            ),
            (["f", "p"], {"mode": "any"}, "pass", {"p": "it passed, and one must pass"}),
            (["f", "i"], {"mode": "any"}, "inconclusive", {"i": "it is inconclusive, and none passed yet"}),
            (
                ["p", "!f"],
                {"mode": "any"},
                "fail",
                {"f": "it is critical and failed: a critical member's fail fails the whole"},
            ),
            (
                ["p", "!i"],
                {"mode": "any"},
                "inconclusive",
                {"i": "it is critical and inconclusive: the whole cannot pass until it does"},
            ),
            (
                ["p:1", "f:3"],
                {"mode": "score", "pass_score": 50},
                "fail",
                {"f": "it failed, its weight left out of the score"},
            ),
            (
                ["p:3", "f:1"],
                {"mode": "score", "pass_score": 50},
                "pass",
                {"p": "it passed, its weight counted in the score"},
            ),
            (
                ["p", "e"],
                {"mode": "all", "on_member_error": "fail"},
                "fail",
                {"e": "it errored, counted as failed (on_member_error: fail), and all must pass"},
            ),
            (
                ["p", "e"],
                {"mode": "all", "on_member_error": "ignore"},
                "inconclusive",
                {"e": "it errored and was ignored as unknown (on_member_error: ignore), and all must pass"},
            ),
            (["p", "e"], {"mode": "all"}, "error", {"e": "it could not be evaluated (on_member_error: error)"}),
            # It errored: its page said it failed, where the composite's reason says it errored.
            (
                ["p", "!e"],
                {"mode": "any", "on_member_error": "fail"},
                "fail",
                {
                    "e": "it is critical and errored, counted as failed (on_member_error: fail): a critical member's "
                    "fail fails the whole"
                },
            ),
        ],
    )
    async def test_the_members_that_decided(self, members, names, fields, verdict, decided):
        evaluation = await judge(members, names, **fields)
        assert evaluation.verdict == verdict, evaluation.reason
        shown = evaluation.to_json(explain=True)["details"]["members"]
        # Before: no member said it decided; a member's page could not tell whether its fail failed the release.
        assert {m["check"]: m["decided"] for m in shown if "decided" in m} == decided

    @pytest.mark.parametrize(
        ("names", "fields", "verdict", "decided"),
        [
            # Had `i` passed, the score (40) is still under 50: only the failing member's weight failed it.
            (
                ["p:1", "i:1", "f:3"],
                {"mode": "score", "pass_score": 50},
                "fail",
                {"f": "it failed, its weight left out of the score"},
            ),
            # Either critical fail alone fails the whole.
            (
                ["p", "!f", "!f2"],
                {"mode": "any"},
                "fail",
                {
                    "f": "it is critical and failed: a critical member's fail fails the whole",
                    "f2": "it is critical and failed: a critical member's fail fails the whole",
                },
            ),
            # In mode all a fail alone fails the whole, critical or not.
            (
                ["!f", "f2"],
                {"mode": "all"},
                "fail",
                {
                    "f": "it is critical and failed: a critical member's fail fails the whole",
                    "f2": "it failed, and all must pass",
                },
            ),
            # In mode any a pass outweighs a non-critical fail: only the critical one decided.
            (
                ["p", "!f", "f2"],
                {"mode": "any"},
                "fail",
                {"f": "it is critical and failed: a critical member's fail fails the whole"},
            ),
            # Either critical inconclusive alone keeps the whole from passing.
            (
                ["p", "!i", "!i2"],
                {"mode": "any"},
                "inconclusive",
                {
                    "i": "it is critical and inconclusive: the whole cannot pass until it does",
                    "i2": "it is critical and inconclusive: the whole cannot pass until it does",
                },
            ),
            # Either error alone makes the whole an error.
            (
                ["p", "e", "e2"],
                {"mode": "all"},
                "error",
                {
                    "e": "it could not be evaluated (on_member_error: error)",
                    "e2": "it could not be evaluated (on_member_error: error)",
                },
            ),
            # Below the pass score, above the warning: what failed and what may still pass decide it.
            (
                ["p:1", "i:1", "f:1"],
                {"mode": "score", "pass_score": 50},
                "inconclusive",
                {
                    "i": "it is inconclusive, its weight left out of the score",
                    "f": "it failed, its weight left out of the score",
                },
            ),
            (
                ["e", "e2"],
                {"mode": "any", "on_member_error": "ignore"},
                "inconclusive",
                {
                    "e": "it errored and was ignored, as every member was",
                    "e2": "it errored and was ignored, as every member was",
                },
            ),
            # Ignored, a non-critical error decides nothing; each critical one makes the whole an error.
            (
                ["p", "e", "!e2"],
                {"mode": "all", "on_member_error": "ignore"},
                "error",
                {"e2": "it could not be evaluated (on_member_error: ignore, and it is critical)"},
            ),
        ],
    )
    async def test_every_member_that_decided_and_no_other(self, members, names, fields, verdict, decided):
        more = [
            {"name": "f2", "kind": "gate", "gate": OPEN, "outcome": "fail"},
            {"name": "i2", "kind": "gate", "gate": OPEN, "outcome": "inconclusive"},
            {"name": "e2", "kind": "prometheus", "source": "down", "query": "sum(up)", "pass_if": "> 0"},
        ]
        evaluation = await judge([*members, *more], names, **fields)
        assert evaluation.verdict == verdict, evaluation.reason
        shown = evaluation.to_json(explain=True)["details"]["members"]
        # Before: a member whose answer alone decided the verdict was said not to (its page named another member),
        # and in mode score an inconclusive member whose pass would not have passed the whole was said to decide a
        # fail.
        assert {m["check"]: m["decided"] for m in shown if "decided" in m} == decided


class TestDecidedChangesNothingElse:
    """Marking the members that decided adds `decided` to their entries and changes nothing else of the answer."""

    @pytest.mark.parametrize(
        ("names", "fields"),
        [
            (["p", "f", "i"], {"mode": "all"}),
            (["p", "p2"], {"mode": "all"}),
            (["p", "i"], {"mode": "all"}),
            (["f", "i"], {"mode": "any"}),
            (["f", "p"], {"mode": "any"}),
            (["f", "f"], {"mode": "any"}),
            (["p:1", "i:1", "f:1"], {"mode": "score", "pass_score": 50}),
            (["p:3", "f:1"], {"mode": "score", "pass_score": 50}),
            (["p:1", "f:3"], {"mode": "score", "pass_score": 50}),
            (["p", "!f"], {"mode": "any"}),
            (["p", "!i"], {"mode": "any"}),
            (["p", "e"], {"mode": "all"}),
            (["p", "e"], {"mode": "all", "on_member_error": "fail"}),
            (["p", "e"], {"mode": "all", "on_member_error": "ignore"}),
            (["e"], {"mode": "all", "on_member_error": "ignore"}),
            (["p", "!e"], {"mode": "all", "on_member_error": "ignore"}),
        ],
    )
    async def test_the_answer_is_the_same_without_it(self, members, names, fields, monkeypatch):
        runner, check = card(members, names, **fields)
        marked = await runner.evaluate(check, {})
        monkeypatch.setattr(composite_kind, "_mark_decided", lambda *_: None)
        monkeypatch.setattr(composite_kind, "_mark_by_mode", lambda *_: None)
        unmarked = await runner.evaluate(check, {})

        def answer(evaluation: Evaluation) -> dict[str, Any]:
            body = evaluation.to_json(explain=True)
            for moment in ("evaluated_at", "duration_ms", "ui_url"):
                body.pop(moment, None)
            for entry in body["details"]["members"]:
                entry.pop("decided", None)
            return body

        assert any("decided" in m for m in marked.to_json(explain=True)["details"]["members"])
        # The verdict, reason, value and every other detail as they were before `decided` was written.
        assert answer(marked) == answer(unmarked)
