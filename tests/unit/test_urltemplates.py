"""URL templates: placement rules checked at load, values escaped (or refused) where they stand."""

from __future__ import annotations

import pytest

from analyzer.errors import ArgError
from analyzer.params import Param
from checks.http_smoke.urltemplates import (
    BaseURLTemplate,
    HeaderTemplate,
    JSONBodyTemplate,
    PathTemplate,
    TextTemplate,
    render_query,
)

PARAMS = {
    "svc": Param(type="dns_label", required=True),
    "ns": Param(type="dns_label", default="shop"),
    "color": Param(type="enum", values=["blue", "green"], default="blue"),
    "odd": Param(type="enum", values=["a.b", "c"], default="c"),
    "item": Param(type="label_value", default="x"),
    "count": Param(type="number", default=2),
}


class TestBaseURLPlacement:
    """Only DNS labels may form a host; scheme, port, user info, query and fragment are never templated."""

    def test_dns_labels_and_enums_of_labels_form_a_host(self):
        template = BaseURLTemplate("http://{{ svc }}-{{ color }}.{{ ns }}.svc:8080/api/{{ item }}", PARAMS)
        base = template.render({"svc": "checkout", "color": "green", "ns": "shop", "item": "v1"})
        assert (base.scheme, base.host, base.port, base.prefix) == ("http", "checkout-green.shop.svc", 8080, "/api/v1")
        assert base.origin() == "http://checkout-green.shop.svc:8080"
        assert template.literal_host is None

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("http://{{ item }}.svc", "{{ item }} (label_value) stands in the host"),
            ("http://{{ count }}.svc", "{{ count }} (number) stands in the host"),
            ("http://{{ odd }}.svc", "{{ odd }} (enum) stands in the host"),
            ("http://user@host.svc", "no user info"),
            ("http://host.svc/x?y=1", "no user info (@), query (?) or fragment (#)"),
            ("http://host.svc#frag", "fragment"),
            ("{{ svc }}://host.svc", "is not a base URL"),
            ("ftp://host.svc", "is not a base URL"),
            ("http://host.svc:{{ svc }}", "the port must be written out"),
            ("http://host.svc:70000", "is not a number from 1 to 65535"),
            ("http://host.svc:65536", "is not a number from 1 to 65535"),
            ("http://host.svc:0", "is not a number from 1 to 65535"),
            ("http://Host.svc", "lowercase letters"),
            ("http://host.svc/a/../b", "'..' segment"),
            ("http://host.svc/a%zz", "%XX escape"),
            ("http://{{ nope }}.svc", "names no declared param"),
            ("http://host.svc/{ item }}", "malformed placeholder"),
            # Without the check, 'x' would be dropped as if it were the ':' of a port: http://[::1] on port 80.
            ("http://[::1]x", "unexpected 'x' after the IPv6 address"),
        ],
    )
    def test_bad_templates_are_rejected_at_load(self, text, message):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            BaseURLTemplate(text, PARAMS)

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("{{ svc }}.shop.svc:8080/api", "it has no scheme; write http://{{ svc }}.shop.svc:8080/api (or https://)"),
            ("shop.svc", "it has no scheme; write http://shop.svc (or https://)"),
            # Before: "it has no scheme; write http://https//{{ svc }}.shop.svc:8080 (or https://)".
            ("https//{{ svc }}.shop.svc", "its scheme is written without ://; write https://{{ svc }}.shop.svc"),
            ("http:/shop.svc/api", "its scheme is written without ://; write http://shop.svc/api"),
            # Not where the scheme is not all that is wrong, nor with the user info shown.
            (
                "admin:s3cret@host.svc",
                "like http://{{ service }}.shop.svc:8080/api; no user info (@), query (?) or fragment (#)",
            ),
            (
                "host.svc?x=1",
                "like http://{{ service }}.shop.svc:8080/api; no user info (@), query (?) or fragment (#)",
            ),
        ],
    )
    def test_a_base_url_without_its_scheme_names_the_url_to_write(self, text, said):
        # Before: "... is not a base URL like http://{{ service }}.shop.svc:8080/api; no user info ...", for a URL
        # with none.
        with pytest.raises(ValueError) as raised:
            BaseURLTemplate(text, PARAMS)
        assert str(raised.value).endswith(f"is not a base URL{':' if 'scheme' in said else ''} {said}")
        assert "s3cret" not in str(raised.value)

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("http://admin:s3cret@host.svc", "'http://<redacted>@host.svc'"),
            ("http://host.svc/x?token=s3cret", "'http://host.svc/x?<redacted>'"),
            ("ftp://admin:s3cret@host.svc#s3cret", "'ftp://<redacted>@host.svc#<redacted>'"),
        ],
    )
    def test_a_refused_base_url_is_quoted_without_its_credentials(self, text, shown):
        # The message goes to the log, /readyz and validate's output: user info and a query are where a URL
        # carries credentials.
        with pytest.raises(ValueError, match="is not a base URL") as raised:
            BaseURLTemplate(text, PARAMS)
        assert "s3cret" not in str(raised.value)
        assert str(raised.value).startswith(f"{shown} is not a base URL")

    def test_literal_hosts_and_ports(self):
        assert BaseURLTemplate("https://api.shop.svc", PARAMS).render({}).port == 443
        assert BaseURLTemplate("http://api.shop.svc:65535", PARAMS).render({}).port == 65535
        assert BaseURLTemplate("http://api.shop.svc:1", PARAMS).render({}).port == 1
        ipv6 = BaseURLTemplate("http://[::1]:8080", PARAMS)
        assert ipv6.literal_host == "::1"
        assert ipv6.render({}).origin() == "http://[::1]:8080"

    @pytest.mark.parametrize(
        ("text", "suffix"),
        [
            ("http://{{ svc }}.payments.svc", ".payments.svc"),
            ("http://{{ svc }}-{{ color }}.shop.svc", ".shop.svc"),
            ("http://{{ svc }}.{{ ns }}.svc", ".svc"),
            ("http://{{ svc }}", ""),
            ("http://{{ svc }}-api.payments.svc", ".payments.svc"),
            ("http://api.shop.svc", ""),
        ],
    )
    def test_host_suffix_is_the_literal_tail_after_the_last_placeholder(self, text, suffix):
        assert BaseURLTemplate(text, PARAMS).host_suffix == suffix

    @pytest.mark.parametrize(("last_label", "valid"), [("d" * 57, True), ("d" * 58, False)])
    def test_a_host_may_be_253_characters_and_no_more(self, last_label, valid):
        # 63 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 253 characters with a 63-character svc; one more is too long.
        template = BaseURLTemplate(f"http://{{{{ svc }}}}.{'b' * 63}.{'c' * 63}.{last_label}.svc", PARAMS)
        if valid:
            assert len(template.render({"svc": "a" * 63}).origin()) == len("http://") + 253
        else:
            with pytest.raises(ArgError, match="not a valid DNS name") as caught:
                template.render({"svc": "a" * 63})
            # The host is quoted to its first 80 characters, the catalog's literal text cut anywhere.
            assert f"args make a host of 254 characters, starting {'a' * 63 + '.' + 'b' * 16!r}, which is not" in (
                caught.value.message
            )

    def test_a_refused_host_is_cut_before_a_value_that_does_not_fit(self):
        # Cut at 80 characters, the value showed its first 16, which a search for the whole value (a composite's
        # secret passed to `ns`) misses.
        template = BaseURLTemplate(f"http://{{{{ svc }}}}.{{{{ ns }}}}.{'c' * 63}.{'d' * 63}.svc", PARAMS)
        with pytest.raises(ArgError) as caught:
            template.render({"svc": "a" * 63, "ns": "b" * 63})
        assert caught.value.message.startswith(f"args make a host of 259 characters, starting {'a' * 63 + '.'!r}, ")

    def test_a_secret_value_shows_as_redacted_within_the_80_characters(self):
        template = BaseURLTemplate(f"http://{{{{ svc }}}}.{{{{ ns }}}}.{'c' * 63}.{'d' * 63}.svc", PARAMS)
        with pytest.raises(ArgError) as caught:
            template.render({"svc": "a" * 63, "ns": "b" * 63}, frozenset({"svc"}))
        assert caught.value.message.startswith(
            f"args make a host of 259 characters, starting {'<redacted>.' + 'b' * 63 + '.' + 'c' * 5!r}, "
        )

    def test_a_refused_host_of_80_characters_is_quoted_whole(self):
        template = BaseURLTemplate("http://{{ svc }}{{ ns }}.shop.svc", PARAMS)
        # Two args joined in one label of 71 characters: each valid, the host not.
        with pytest.raises(ArgError) as caught:
            template.render({"svc": "a" * 35, "ns": "b" * 36})
        assert caught.value.message.startswith(
            f"args make the host {'a' * 35 + 'b' * 36 + '.shop.svc'!r}, which is not"
        )

    def test_joined_labels_longer_than_a_label_are_a_bad_arg(self):
        template = BaseURLTemplate("http://{{ svc }}{{ ns }}.svc", PARAMS)
        with pytest.raises(ArgError, match="not a valid DNS name") as caught:
            template.render({"svc": "a" * 40, "ns": "b" * 40})
        assert caught.value.arg == "svc"


class TestPathTemplate:
    """A value becomes escaped text inside one segment; '.' and '..' segments are refused."""

    @pytest.mark.parametrize(
        ("value", "rendered"),
        [
            ("a/b", "/items/a%2Fb"),
            ("a?b#c", "/items/a%3Fb%23c"),
            ("a@b", "/items/a%40b"),
            ("50%", "/items/50%25"),
            ("../etc", "/items/..%2Fetc"),
            ("é", "/items/%C3%A9"),
            ("a b", "/items/a%20b"),
        ],
    )
    def test_values_are_escaped(self, value, rendered):
        assert PathTemplate("/items/{{ item }}", PARAMS).render({"item": value}) == rendered

    @pytest.mark.parametrize("value", [".", ".."])
    def test_dot_segments_are_a_bad_arg(self, value):
        with pytest.raises(ArgError, match="climb out") as caught:
            PathTemplate("/items/{{ item }}", PARAMS).render({"item": value})
        assert caught.value.arg == "item"

    def test_the_arg_that_makes_the_dot_segment_is_named(self):
        with pytest.raises(ArgError, match="climb out") as caught:
            PathTemplate("/x/{{ color }}/{{ item }}", PARAMS).render({"color": "blue", "item": ".."})
        assert caught.value.arg == "item"

    def test_dots_inside_a_segment_are_fine(self):
        assert PathTemplate("/items/{{ item }}.json", PARAMS).render({"item": ".."}) == "/items/...json"

    def test_captures_are_placeholders_too(self):
        template = PathTemplate("/orders/{{ order_id }}", PARAMS, frozenset({"order_id"}))
        assert template.render({"order_id": "o/1"}) == "/orders/o%2F1"

    @pytest.mark.parametrize(
        ("text", "message"),
        [("items", "must start with /"), ("/a?b", "put query"), ("/a#b", "contains '#'"), ("/./a", "'.' segment")],
    )
    def test_bad_paths_are_rejected_at_load(self, text, message):
        with pytest.raises(ValueError, match=message):
            PathTemplate(text, PARAMS)


class TestQueryHeadersAndBodies:
    """Query values are escaped; header values refuse control characters; JSON bodies are encoded."""

    def test_query_keys_and_values_are_fully_escaped(self):
        assert render_query({"q": "a&b=c#d e", "k y": "1"}) == "q=a%26b%3Dc%23d%20e&k%20y=1"

    def test_text_template_substitutes_numbers_in_shortest_form(self):
        assert TextTemplate("n={{ count }}", PARAMS).render({"count": 2.0}) == "n=2"

    def test_header_with_crlf_value_is_a_bad_arg(self):
        template = HeaderTemplate("X-User", "{{ item }}", PARAMS)
        assert template.render({"item": "alice"}) == "alice"
        with pytest.raises(ArgError, match="control character") as caught:
            template.render({"item": "a\r\nX-Evil: 1"})
        assert caught.value.arg == "item"

    def test_the_arg_that_brings_the_control_character_is_named(self):
        params = {**PARAMS, "a_note": Param(type="label_value", default="x")}
        template = HeaderTemplate("X-User", "{{ a_note }} {{ item }}", params)
        with pytest.raises(ArgError, match="control character") as caught:
            template.render({"a_note": "x y", "item": "a\nb"})
        assert caught.value.arg == "item"

    def test_a_rendered_value_may_hold_spaces_and_tabs(self):
        assert HeaderTemplate("X-User", "{{ item }}", PARAMS).render({"item": "a b\tc"}) == "a b\tc"

    def test_header_with_non_ascii_value_is_a_bad_arg_or_a_load_error(self):
        with pytest.raises(ArgError, match="non-ASCII") as caught:
            HeaderTemplate("X-User", "{{ item }}", PARAMS).render({"item": "caf\u00e9"})
        assert caught.value.arg == "item"
        with pytest.raises(ValueError, match="non-ASCII"):
            HeaderTemplate("X-User", "caf\u00e9", PARAMS)

    @pytest.mark.parametrize(
        ("value", "refused"), [("a\x01b", True), ("a\nb", True), ("a\x7fb", True), ("a\tb", False)]
    )
    def test_a_header_value_with_a_control_character_is_rejected_at_load(self, value, refused):
        # A line end would end the header (or be refused by the client at every request); a tab is white space.
        if refused:
            with pytest.raises(ValueError, match="contains a control character"):
                HeaderTemplate("X-A", value, PARAMS)
        else:
            HeaderTemplate("X-A", value, PARAMS)

    @pytest.mark.parametrize("name", ["X Bad", "X:Bad", ""])
    def test_bad_header_names_are_rejected_at_load(self, name):
        with pytest.raises(ValueError, match="not a valid header name"):
            HeaderTemplate(name, "v", PARAMS)

    def test_json_body_encodes_values_and_keeps_number_params_numbers(self):
        template = JSONBodyTemplate(
            {"sku": "{{ item }}", "n": "{{ count }}", "note": "x{{ count }}", "list": ["{{ item }}"], "flag": True},
            PARAMS,
        )
        body = template.render({"item": 'a"}, "admin": true, "x": "', "count": 3.0})
        assert body == (
            b'{"sku":"a\\"}, \\"admin\\": true, \\"x\\": \\"","n":3.0,"note":"x3",'
            b'"list":["a\\"}, \\"admin\\": true, \\"x\\": \\""],"flag":true}'
        )
        assert template.param_names == {"item", "count"}
