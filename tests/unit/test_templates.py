import random
import re

import pytest

from analyzer.params import Param, ParamType
from analyzer.quoting import quote
from analyzer.templates import PromQLTemplate, escape_promql_string, promql_forms

LABEL = {"h": Param(type="label_value", required=True)}


def template(text, **params):
    declared = {name: Param.model_validate({"required": True, **spec}) for name, spec in params.items()}
    return PromQLTemplate(text, declared)


class TestPlacementRule:
    """Free text may only stand inside quotes; the rule is enforced when the template is built."""

    @pytest.mark.parametrize(
        "text",
        [
            "up{pod={{ h }}}",
            "sum(rate(x[5m])) > {{ h }}",
            "{{ h }}",
            "x # {{ h }}",
            "x{a=`{{ h }}`}",
        ],
    )
    def test_free_text_outside_double_or_single_quotes_is_rejected(self, text):
        with pytest.raises(ValueError, match="h"):
            PromQLTemplate(text, LABEL)

    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("rate(x[{{ w }}])", {"type": "duration"}),
            ("x > {{ w }}", {"type": "number"}),
            ('{{ w }}{job="a"}', {"type": "identifier"}),
            ("sum by ({{ w }}) (x)", {"type": "enum", "values": ["pod", "node"]}),
        ],
    )
    def test_strict_types_may_stand_bare(self, text, kind):
        template(text, w=kind)

    @pytest.mark.parametrize(
        "text", ["sum(rate(errors_total[5m])) / {{ d }}", "{{ d }}_errors_total", "x offset {{ d }}", "x # a\n{{ d }}"]
    )
    def test_a_dns_label_may_not_stand_bare(self, text):
        # A DNS label bare is no name: `/ {{ d }}` given inf divided the errors down to 0 (a pass of `< 0.05`), given
        # 100 or 1e5 by that number; `web-1_errors_total` subtracts.
        with pytest.raises(ValueError) as raised:
            template(text, d={"type": "dns_label"})
        assert str(raised.value) == (
            "{{ d }} (dns_label) stands outside quotes, where PromQL reads a DNS label as a number (100, 1e5, inf) "
            "or a subtraction (web-1), not as a name; declare an identifier param for a metric or label name, or quote "
            'it: label="{{ d }}"'
        )

    def test_a_dns_label_may_stand_in_quotes(self):
        assert template('x{svc="{{ d }}", b=~"{{ d }}"}', d={"type": "dns_label"}).render({"d": "web-1"}) == (
            'x{svc="web-1", b=~"web-1"}'
        )

    def test_enum_with_unsafe_value_may_not_stand_bare(self):
        with pytest.raises(ValueError, match="bare token"):
            template("x > {{ w }}", w={"type": "enum", "values": ["1", "1 or vector(1)"]})

    def test_undeclared_placeholder(self):
        with pytest.raises(ValueError, match="names no declared param"):
            PromQLTemplate('x{a="{{ nope }}"}', LABEL)

    def test_an_undeclared_placeholder_says_how_to_declare_it(self):
        # Before: "names no declared param (declared: h)", and nothing on what to write.
        with pytest.raises(ValueError) as raised:
            PromQLTemplate('x{a="{{ job }}"}', LABEL)
        assert str(raised.value).startswith(
            "placeholder {{ job }} names no declared param (declared: h); declare it in the check's params, such as "
            "job: {type: label_value, required: true} for a label value; a literal {{ or }}"
        )

    def test_a_misspelt_placeholder_names_the_param_meant(self):
        params = {"canary_hash": Param(type="label_value", required=True)}
        with pytest.raises(ValueError) as raised:
            PromQLTemplate('x{a="{{ canary_hsh }}"}', params)
        assert str(raised.value) == (
            "placeholder {{ canary_hsh }} names no declared param (declared: canary_hash); did you mean "
            "{{ canary_hash }}?"
        )

    @pytest.mark.parametrize("text", ['x{a="{{h}"}', 'x{a="{ h }}"}', 'x{a="{{ h-1 }}"}'])
    def test_malformed_placeholder(self, text):
        with pytest.raises(ValueError, match="malformed placeholder"):
            PromQLTemplate(text, LABEL)

    @pytest.mark.parametrize("text", ['x{path="/{{id}}"}', 'x{path="/{{.Id}}"}'])
    def test_braces_meant_literally_are_told_how_to_write(self, text):
        # Before: "malformed placeholder" (or "names no declared param") alone, with no way named to write the value.
        with pytest.raises(ValueError, match=r'is written with Go escapes.*"/\\x7b\\x7bid\\x7d\\x7d"'):
            PromQLTemplate(text, LABEL)

    def test_braces_written_with_go_escapes_are_no_placeholder(self):
        assert PromQLTemplate(r'x{path="/\x7b\x7bid\x7d\x7d"}', {}).render({}) == r'x{path="/\x7b\x7bid\x7d\x7d"}'

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            # A query pasted from an Argo Rollouts prometheus provider metric, its arg declared here or not yet.
            (
                'x{h="{{args.canary-hash}}"}',
                "{{args.canary-hash}} is an AnalysisTemplate's arg, as Argo Rollouts writes it: the catalog writes a "
                "param as {{ canary_hash }}, and the template's url gives the arg to it: "
                "?canary_hash={{args.canary-hash}}",
            ),
            (
                'x{h="{{ args.service }}"}',
                "{{ args.service }} is an AnalysisTemplate's arg, as Argo Rollouts writes it: the catalog writes a "
                "param as {{ service }}, declared under params, and the template's url gives the arg to it: "
                "?service={{args.service}}",
            ),
            # A param named as Argo names its args.
            (
                'x{h="{{ canary-hash }}"}',
                "{{ canary-hash }}: a param's name is letters, digits and _ (no -): write {{ canary_hash }}",
            ),
        ],
    )
    def test_a_placeholder_written_as_argo_writes_its_args_names_the_one_to_write(self, text, problem):
        with pytest.raises(ValueError) as caught:
            template(text, canary_hash={"type": "label_value"}, h={"type": "label_value"})
        assert str(caught.value) == problem

    def test_unterminated_string(self):
        with pytest.raises(ValueError, match="unterminated"):
            PromQLTemplate('x{a="{{ h }}}', LABEL)

    def test_extra_bare_values(self):
        rendered = PromQLTemplate("rate(x[{{ window }}])", {}, extra_bare={"window": ParamType.DURATION})
        assert rendered.render({"window": "1h"}) == "rate(x[1h])"


class TestEscaping:
    """A rendered value never changes the structure of the query around it."""

    @pytest.mark.parametrize("value", ['x"} or vector(1) #', "x\\", 'a\\"b', "'", "`", "é\u2028"])
    def test_injection_stays_inside_the_string(self, value):
        rendered = PromQLTemplate('up{a="{{ h }}"}', LABEL).render({"h": value})
        # Removing escaped characters leaves exactly the one string literal of the template.
        body = rendered.removeprefix('up{a="').removesuffix('"}')
        unescaped = body.replace("\\\\", "").replace('\\"', "")
        assert '"' not in unescaped

    def test_single_quoted_string(self):
        assert PromQLTemplate("up{a='{{ h }}'}", LABEL).render({"h": "it's"}) == "up{a='it\\'s'}"

    def test_regex_matcher_quotes_metacharacters(self):
        rendered = PromQLTemplate('up{a=~"{{ h }}"}', LABEL).render({"h": ".*|x"})
        assert rendered == 'up{a=~"\\\\.\\\\*\\\\|x"}'

    @pytest.mark.parametrize("value", ["a\\d", "x{2}", "a^b", "a$b", "(a|b)", "[ab]", "a+?", "a.*b"])
    def test_a_regex_matcher_matches_its_value_only(self, value):
        # Each metacharacter of RE2 (`\d` matches a digit, `x{2}` xx, `^` and `$` anchor nothing in between):
        # the value read back from the string as a regex matches itself, and not its letters alone.
        rendered = PromQLTemplate('up{a=~"{{ h }}"}', LABEL).render({"h": value})
        pattern = re.compile(rendered.removeprefix('up{a=~"').removesuffix('"}').replace("\\\\", "\\"))
        assert pattern.fullmatch(value)
        assert not pattern.fullmatch("".join(char for char in value if char.isalnum()))

    def test_negative_regex_matcher_too(self):
        assert PromQLTemplate('up{a!~ "{{ h }}"}', LABEL).render({"h": "a.b"}) == 'up{a!~ "a\\\\.b"}'

    def test_plain_matcher_after_regex_matcher_is_not_regex_quoted(self):
        rendered = PromQLTemplate('up{b=~"x", a="{{ h }}"}', LABEL).render({"h": "a.b"})
        assert rendered == 'up{b=~"x", a="a.b"}'

    def test_a_number_in_a_regex_matcher_matches_itself_only(self):
        rendered = template('up{le=~"{{ n }}"}', n={"type": "number"}).render({"n": 1.5})
        assert rendered == 'up{le=~"1\\\\.5"}'

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            ("{{ n }} ^ 2", -2.0, "(-2) ^ 2"),
            ("x_{{ n }}", -2.0, "x_(-2)"),
            ("x > {{ n }}", -0.5, "x > (-0.5)"),
            ("x > {{ n }}", 0.5, "x > 0.5"),
            ("x > {{ n }}", -0.0, "x > 0"),
        ],
    )
    def test_a_bare_negative_number_stays_one_operand(self, text, value, expected):
        assert template(text, n={"type": "number"}).render({"n": value}) == expected

    def test_a_value_regex_quoted_in_backticks_is_one_of_its_forms(self):
        # What a secret looks like there, so that the query a check shows has it replaced.
        rendered = template("up{le=~`{{ n }}`}", n={"type": "number"}).render({"n": 1.5})
        assert any(form in rendered for form in promql_forms("1.5") - {"1.5"})

    def test_a_number_in_a_backtick_regex_matcher_matches_itself_only(self):
        # A backtick string cannot escape, but needs not: `1\.5` is the regex 1\.5 (1.5 alone also matched 105).
        rendered = template("up{le=~`{{ n }}`}", n={"type": "number"}).render({"n": 1.5})
        assert rendered == "up{le=~`1\\.5`}"
        assert template("up{le=`{{ n }}`}", n={"type": "number"}).render({"n": 1.5}) == "up{le=`1.5`}"

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            # `@` and `offset` take a signed literal and no parentheses (promtool: 'unexpected "(" in @').
            ("x @ {{ n }}", -100.0, "x @ -100"),
            ("x offset {{ n }}", -300.0, "x offset -300"),
            ("x OFFSET {{ n }}", -300.0, "x OFFSET -300"),
            ("x @{{ n }} + {{ n }}", -1.0, "x @-1 + (-1)"),
            ("x_offset {{ n }}", -1.0, "x_offset (-1)"),
        ],
    )
    def test_a_negative_number_after_a_modifier_is_written_as_is(self, text, value, expected):
        assert template(text, n={"type": "number"}).render({"n": value}) == expected

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            ("x offset {{ e }}", "-5m", "x offset -5m"),
            ("a {{ e }} b", "-", "a - b"),
            ("{{ e }} ^ 2", "-2", "(-2) ^ 2"),
        ],
    )
    def test_a_bare_enum_is_parenthesised_only_as_a_negative_number(self, text, value, expected):
        rendered = template(text, e={"type": "enum", "values": ["5m", "-5m", "-", "+", "-2"]}).render({"e": value})
        assert rendered == expected

    def test_control_characters(self):
        assert escape_promql_string("a\nb\x01", '"') == "a\\nb\\x01"

    def test_escapes_as_go_does_on_random_text(self):
        def go_escaped(text: str, delimiter: str) -> str:
            escapes = {"\\": "\\\\", delimiter: "\\" + delimiter, "\n": "\\n", "\r": "\\r", "\t": "\\t"}
            return "".join(
                escapes.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 32 or ord(char) == 127 else char)
                for char in text
            )

        rng = random.Random(13)
        alphabet = [chr(i) for i in range(128)] + ["\x85", "\u2028", "é", "😀"]
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for delimiter in "\"'":
                assert escape_promql_string(text, delimiter) == go_escaped(text, delimiter), (text, delimiter)


class TestEncodedRendering:
    """The query rendered with its constant parts encoded once is the query `quote` would encode whole."""

    @pytest.mark.parametrize(
        "template",
        [
            'sum(rate(x{a="{{ h }}", b=~"{{ h }}"}[5m])) / 2 # é',
            "up{a='{{ h }}'} + on() vector({{ n }})",
            "{{ n }}",
            'x{a=~"{{ h }}|{{ h }}"}',
            # One value in three slots, two alike: each slot's text is its own, however they are shared.
            'x{a="{{ h }}"} or y{b=\'{{ h }}\', c=~"{{ h }}"} or z{d="{{ h }}"} * {{ n }}',
        ],
    )
    def test_equals_quote_of_render(self, template):
        params = {**LABEL, "n": Param(type=ParamType.NUMBER, required=True)}
        compiled = PromQLTemplate(template, {k: v for k, v in params.items() if "{{ " + k + " }}" in template})
        rng = random.Random(7)
        alphabet = [chr(i) for i in range(0x250)] + ["é", "€", "😀", "\u2028", '"', "'", "\\", "%", "+", " "]
        for _ in range(300):
            values = {
                "h": "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))),
                "n": rng.uniform(-1e6, 1e6),
            }
            promql, encoded = compiled.render_encoded(values)
            assert promql == compiled.render(values)
            assert encoded == quote(promql)


class TestKeptRenders:
    """A render kept for values that come again is the render made for them afresh, and the renders kept are bounded."""

    def test_kept_renders_are_made_ones(self):
        params = {**LABEL, "n": Param(type=ParamType.NUMBER, required=True)}
        compiled = PromQLTemplate('x{a="{{ h }}", b=~"{{ h }}"} > {{ n }}', params)
        alone = PromQLTemplate('x{a="{{ h }}"}', LABEL)
        rng = random.Random(15)
        alphabet = ["a", "é", '"', "\\", "%", "+", " ", ".", "|"]
        for _ in range(500):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            values = {"h": text, "n": rng.choice([0.0, -0.0, 1.0, -2.5, 1e20])}
            for _ in range(2):
                for made in (compiled, alone):
                    # `render` is the query made afresh, by its own loop.
                    assert made.render_encoded(values) == (made.render(values), quote(made.render(values)))

    def test_a_value_of_another_type_is_rendered_as_before(self):
        compiled = PromQLTemplate("x > {{ n }}", {"n": Param(type=ParamType.NUMBER, required=True)})
        assert compiled.render_encoded({"n": 1.0})[0] == "x > 1"
        # Not a value a param binds; it renders (or fails) as it did, whatever a float equal to it rendered to.
        with pytest.raises(AttributeError):
            compiled.render_encoded({"n": 1})

    def test_a_missing_value_fails_each_time(self):
        compiled = PromQLTemplate('x{a="{{ h }}"}', LABEL)
        for _ in range(2):
            with pytest.raises(KeyError, match="h"):
                compiled.render_encoded({})

    def test_templates_alike_in_values_keep_their_own_renders(self):
        # A reloaded catalog's template is a new object: its renders are its own, never an old one's.
        old = PromQLTemplate('x{a="{{ h }}"}', LABEL)
        new = PromQLTemplate('y{a="{{ h }}"}', LABEL)
        assert old.render_encoded({"h": "v"})[0] == 'x{a="v"}'
        assert new.render_encoded({"h": "v"})[0] == 'y{a="v"}'

    def test_the_renders_kept_are_bounded(self):
        from analyzer.templates import RENDERS_KEPT, _kept_render

        compiled = PromQLTemplate('x{a="{{ h }}"}', LABEL)
        for index in range(RENDERS_KEPT + 10):
            compiled.render_encoded({"h": f"v{index}"})
        assert _kept_render.cache_info().currsize == RENDERS_KEPT


class TestLexer:
    """A # comment runs to the line's end, a backslash escapes in quoted strings only (not in backticks), and a
    string holding an escape still ends at its closing quote: where a value lands is never misread."""

    def test_a_placeholder_anywhere_in_a_comment_stands_in_the_comment(self):
        with pytest.raises(ValueError, match="inside a # comment"):
            PromQLTemplate("x # why: {{ h }}", LABEL)

    def test_quotes_in_a_comment_open_no_string(self):
        # Read as a string, the apostrophe would let the bare placeholder on the next line through.
        with pytest.raises(ValueError, match="stands outside a quoted string"):
            PromQLTemplate("x # it's\n+ {{ h }} # and it's", LABEL)

    def test_an_escaped_quote_does_not_close_the_string(self):
        # Read as closing, the escaped quote would put the bare placeholder inside a string.
        with pytest.raises(ValueError, match="stands outside a quoted string"):
            PromQLTemplate('x{a="q\\"", b={{ h }}, c="r\\""}', LABEL)

    def test_a_string_with_an_escape_ends_at_its_quote(self):
        rendered = PromQLTemplate('x{a="q\\\\", b="{{ h }}"}', LABEL).render({"h": 'v"'})
        assert rendered == 'x{a="q\\\\", b="v\\""}'

    def test_a_backslash_in_backticks_escapes_nothing(self):
        rendered = PromQLTemplate('x{a=~`q\\`, b="{{ h }}"}', LABEL).render({"h": "v"})
        assert rendered == 'x{a=~`q\\`, b="v"}'


class TestLabelReplaceRegex:
    """A value placed in label_replace's regex argument is regex-quoted, as after `=~`; in its other arguments, or a
    label_join's, it is not."""

    @pytest.mark.parametrize(
        ("value", "other"), [("a.b", "axb"), ("(a|b)", "a"), ("x{2}", "xx"), ("a.*", "abc"), ("a\\d", "a1")]
    )
    @pytest.mark.parametrize(
        "text",
        [
            'label_replace(rate(x{a="1", b=~"2"}[5m]), "dst", "$1", "src", "{{ h }}-(.*)")',
            "sum by (dst) (label_replace (x, 'dst', '$1', 'src', '{{ h }}-(.*)'))",
            'label_replace(label_replace(x, "a", "b", "c", "d"), "dst", "$1", "src", "{{ h }}-(.*)")',
        ],
    )
    def test_a_value_in_the_regex_matches_itself_only(self, text, value, other):
        # Before: placed as written, `a.*` matched any hash starting with a, whose series then took the label.
        rendered = PromQLTemplate(text, LABEL).render({"h": value})
        written = re.search(r"[\"']([^\"']*-\(\.\*\))[\"']\)", rendered)
        assert written is not None, rendered
        pattern = re.compile(written[1].replace("\\\\", "\\"))
        assert pattern.fullmatch(value + "-1")
        assert not pattern.fullmatch(other + "-1")

    @pytest.mark.parametrize(
        "text",
        [
            'label_replace(x, "dst", "{{ h }}", "src", "(.*)")',
            'label_replace(x, "{{ h }}", "$1", "src", "(.*)")',
            'label_replace(x, "dst", "$1", "{{ h }}", "(.*)")',
            'label_join(x, "dst", ",", "a", "{{ h }}")',
            'label_replace(label_replace(x, "a", "{{ h }}", "c", "d"), "e", "f", "g", "h")',
            'label_replace(x, "dst", "$1", "src", "(.*)") / on() group_left() y{a="{{ h }}"}',
        ],
    )
    def test_a_value_elsewhere_is_placed_as_it_is(self, text):
        assert "a.b" in PromQLTemplate(text, LABEL).render({"h": "a.b"})


class TestAnIdentifierMakingANumber:
    """A bare identifier beside what makes it a number with its value (another bare value, letters of Inf or NaN,
    digits) is refused at load: an arg alone may not be Inf, and neither may the word it writes."""

    IDS = {"a": {"type": "identifier"}, "b": {"type": "identifier"}}

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            # Before: given I and nf, the errors over Inf made a ratio of 0, a pass of `< 0.05`.
            ("sum(rate(e[5m])) / {{ a }}{{ b }}", "{{ a }} (identifier) stands right beside {{ b }}"),
            ("sum(rate(e[5m])) / {{ a }}nf", "the word {{ a }}nf, which a value completes into inf"),
            ("sum(rate(e[5m])) / N{{ a }}", "the word n{{ a }}, which a value completes into nan"),
            ("sum(rate(e[5m])) / i{{ a }}f", "the word i{{ a }}f, which a value completes into inf"),
            ("sum(rate(e[5m])) / 1{{ a }}", "{{ a }} (identifier) stands right after '1'"),
            ("sum(rate(e[5m])) / 1.{{ a }}", "{{ a }} (identifier) stands right after '1.'"),
            ("sum(rate(e[5m])) / .5{{ a }}", "{{ a }} (identifier) stands right after '.5'"),
        ],
    )
    def test_a_word_that_may_be_a_number_is_refused(self, text, said):
        with pytest.raises(ValueError) as raised:
            template(text, **self.IDS)
        assert said in str(raised.value)

    @pytest.mark.parametrize(
        "text",
        [
            "sum(rate({{ a }}_errors_total[5m])) / sum(rate({{ a }}_total[5m]))",
            "{{ a }}:{{ b }}",
            "x / {{ a }}",
            "x_1{{ a }}",
            "ix{{ a }}",
            "{{ a }}inf",
            'x{j="{{ b }}"}{{ a }}',
            "{{ a }}_{{ b }}",
            'x{j="i{{ a }}"}',
        ],
    )
    def test_a_word_that_cannot_be_a_number_stands(self, text):
        template(text, a={"type": "identifier"}, b={"type": "label_value"} if '"' in text else {"type": "identifier"})
