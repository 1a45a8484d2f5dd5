"""The guarded HTTP client: error translation, host and address rules, retries, redirects, body cap."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import re
import zlib

import httpcore
import httpx
import pytest

from analyzer.errors import (
    AnalyzerError,
    BodyBudgetExhausted,
    CheckError,
    CheckMisconfigured,
    ConfigError,
    TargetBadAnswer,
    TargetConnectFailed,
    TargetRefused,
    TargetTimeout,
    TargetUnreachable,
)
from analyzer.settings import Settings
from analyzer.sources.http import (
    BodyBudget,
    HostAllowList,
    HttpClient,
    HttpPolicy,
    HttpRequest,
    _BodyReader,
    _deletes_written,
    _deletion,
    _GuardedBackend,
    _HopCookies,
    _shown,
    address_refusal,
    map_httpx_errors,
)
from analyzer.sources.httppolicy import (
    answer_date_s,
    cookie_expiry_s,
    cookie_life_s,
    is_public_suffix,
    parse_networks,
    set_cookie_attributes,
)
from tests.network_guard import StubResolver, loopback_only  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("loopback_only")

HTTPX_ERRORS = sorted(
    (obj for _, obj in inspect.getmembers(httpx, inspect.isclass) if issubclass(obj, Exception)),
    key=lambda cls: cls.__name__,
)
ALL_HOSTS = HostAllowList.parse(["*"])


def _instance(cls: type[Exception]) -> Exception:
    request = httpx.Request("GET", "http://a.svc/")
    if cls is httpx.HTTPStatusError:
        return cls("boom", request=request, response=httpx.Response(500, request=request))
    for attempt in (lambda: cls("boom", request=request), lambda: cls("boom"), cls):
        try:
            return attempt()
        except TypeError:
            continue
    raise AssertionError(f"cannot build {cls.__name__}")


class TestMapHttpxErrors:
    """Every exception class httpx exports is translated into the analyzer's own errors."""

    def test_the_list_of_httpx_exceptions_is_complete(self):
        assert len(HTTPX_ERRORS) >= 28
        assert httpx.ConnectError in HTTPX_ERRORS and httpx.StreamConsumed in HTTPX_ERRORS

    @pytest.mark.parametrize("cls", HTTPX_ERRORS, ids=lambda cls: cls.__name__)
    def test_every_class_is_mapped(self, cls):
        with pytest.raises(AnalyzerError) as caught, map_httpx_errors("step 'x'"):
            raise _instance(cls)
        assert isinstance(caught.value, CheckError)
        assert caught.value.message.startswith("step 'x': ")
        assert isinstance(caught.value.__cause__, cls)

    @pytest.mark.parametrize(
        ("cls", "expected"),
        [
            (httpx.ConnectError, TargetConnectFailed),
            (httpx.ConnectTimeout, TargetConnectFailed),
            (httpx.ReadTimeout, TargetTimeout),
            (httpx.PoolTimeout, TargetTimeout),
            (httpx.ReadError, TargetUnreachable),
            (httpx.RemoteProtocolError, TargetBadAnswer),
            (httpx.DecodingError, TargetBadAnswer),
            (httpx.UnsupportedProtocol, CheckMisconfigured),
            (httpx.StreamConsumed, CheckMisconfigured),
        ],
    )
    def test_classes_map_to_their_meaning(self, cls, expected):
        with pytest.raises(expected), map_httpx_errors("here"):
            raise _instance(cls)

    @pytest.mark.parametrize(
        ("error", "named"),
        [
            (httpx.InvalidURL("Invalid port: 'pw7k'"), "cannot send the request: InvalidURL: Invalid port"),
            (
                httpx.InvalidURL("Invalid non-printable ASCII character in URL, 'pw7k\\x00' at position 12."),
                "InvalidURL: Invalid non-printable ASCII character in URL.",
            ),
            (
                httpx.RemoteProtocolError('Invalid URL in location header: Invalid IPv4 address: "pw7k\'1.2".'),
                "invalid answer: Invalid URL in location header: Invalid IPv4 address.",
            ),
        ],
    )
    def test_a_url_error_names_the_problem_without_the_part_it_quotes(self, error, named):
        # The part may be a password's: `http://svc:pw7k/c9d@host/` has httpx read `pw7k` as the port.
        with pytest.raises(AnalyzerError) as caught, map_httpx_errors("here"):
            raise error
        assert caught.value.message.endswith(named) and "pw7k" not in caught.value.message

    def test_a_request_httpx_cannot_send_is_the_requests_fault(self):
        # Built from the check and the call's args: the page points at the args first, not at the catalog alone.
        with pytest.raises(CheckMisconfigured) as caught, map_httpx_errors("here"):
            raise httpx.InvalidURL("Invalid port: '99999'")
        assert caught.value.at_fault == "request"

    def test_only_connect_failures_are_retryable(self):
        assert not issubclass(TargetTimeout, TargetConnectFailed)
        assert not issubclass(TargetUnreachable, TargetConnectFailed)


class TestHostAllowList:
    """Patterns match names by suffix or exactly, and IP literals by network."""

    @pytest.mark.parametrize(
        ("host", "allowed"),
        [
            ("checkout.shop.svc", True),
            ("a.b.svc.cluster.local", True),
            ("CHECKOUT.shop.svc.", True),
            ("svc", False),
            ("evilsvc", False),
            ("checkout.shop.svc.evil.com", False),
            ("10.0.0.1", False),
            ("checkout.shop.svc..", False),
        ],
    )
    def test_default_patterns(self, host, allowed):
        assert HostAllowList.parse(["*.svc", "*.svc.cluster.local"]).allows(host) is allowed

    def test_exact_names_networks_and_star(self):
        patterns = HostAllowList.parse(["api.example.com", "10.0.0.0/8", "::1"])
        assert patterns.allows("api.example.com") and not patterns.allows("x.api.example.com")
        assert patterns.allows("10.2.3.4") and patterns.allows("[::1]") and not patterns.allows("11.0.0.1")
        assert HostAllowList.parse(["*"]).allows("anything.at.all")

    @pytest.mark.parametrize("pattern", ["*.", "a b", "**.svc", "svc*", "a..b", "http://x"])
    def test_bad_patterns_are_rejected(self, pattern):
        with pytest.raises(ValueError, match="not a host pattern"):
            HostAllowList.parse([pattern])

    @pytest.mark.parametrize(
        ("pattern", "written"),
        [("bücher.shop.svc", "xn--bcher-kva.shop.svc"), ("*.Bücher.svc.", "*.xn--bcher-kva.svc")],
    )
    def test_a_name_written_in_unicode_is_rejected_naming_its_a_labels(self, pattern, written):
        # Hosts are matched in A-labels, as they are resolved: the error named no form that would be accepted.
        with pytest.raises(ValueError) as caught:
            HostAllowList.parse([pattern])
        assert str(caught.value) == (
            f"{pattern!r} is not a host pattern (name, *.suffix, *, IP address or CIDR); write an internationalized "
            f"name in its A-labels, as hosts are matched: {written!r}"
        )

    def test_a_unicode_name_that_is_no_idna_gets_no_a_labels(self):
        with pytest.raises(ValueError) as caught:
            HostAllowList.parse(["☃.svc"])
        assert str(caught.value) == "'☃.svc' is not a host pattern (name, *.suffix, *, IP address or CIDR)"


class TestCookieExpiry:
    """A Set-Cookie's Expires is read as browsers read a cookie-date (RFC 6265 5.1.1): its first time, day, month and
    year in any order and form, nothing when a part is missing or out of range."""

    @pytest.mark.parametrize(
        "text",
        [
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Thu, 01-Jan-1970 00:00:00 GMT",
            "Thursday, 01-Jan-70 00:00:00 GMT",
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
            "Thursday, January 01 1970 00:00:00 GMT",
            "00:00:00 1 JAN 1970",
            "Thu, 01 Jan 1970 00:00:00 PST",
        ],
    )
    def test_a_date_browsers_read(self, text):
        assert cookie_expiry_s(text) == 0

    @pytest.mark.parametrize(("text", "expiry_s"), [("1 Jan 69 00:00:00", 3124224000), ("19 Jan 2038 03:14:08", 2**31)])
    def test_two_digit_years_and_past_2038(self, text, expiry_s):
        assert cookie_expiry_s(text) == expiry_s

    @pytest.mark.parametrize(
        ("text", "expiry_s"),
        [
            # The RFC's edges: 1601 the first year, 70 the first two-digit year of the 1900s, 99 its last, 00 and 69
            # of the 2000s (3 digits read as their value), 9999 the last year a 4-digit token writes, 29 February of a
            # leap year.
            ("Sat, 01 Jan 1601 00:00:00 GMT", -11644473600),
            ("1 Jan 70 00:00:00", 0),
            ("31 Dec 99 23:59:59", 946684799),
            ("1 Jan 00 00:00:00", 946684800),
            ("31 Dec 69 23:59:59", 3155759999),
            ("1 Jan 069 00:00:00", 3124224000),
            ("31 Dec 9999 23:59:59", 253402300799),
            ("29 Feb 2028 00:00:00", 1835395200),
            # Trailing text after a token's digits, tokens in any order, and a second time read as the day.
            ("01st Jan 1970 00:00:00GMT", 0),
            ("1970 Jan 01 00:00:00", 0),
            ("00:00:00 12:00:00 Jan 1970", 11 * 86400),
        ],
    )
    def test_edges_read_as_the_rfc_reads_them(self, text, expiry_s):
        assert cookie_expiry_s(text) == expiry_s

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "0",
            "31 Dec 1600 23:59:59",
            "31 Apr 2030 00:00:00",
            "29 Feb 2100 00:00:00",
            "0 Jan 2030 00:00:00",
            "1 Jan 2030 00:60:00",
            "1 Jan 1970 000:00:00",
            "Ja 1 1970 00:00:00",
            "Thu, 01 Jan 1970",
            "1970-01-01T00:00:00Z",
            "Mon, 01 Jan 1000 00:00:00 GMT",
            "Thu, 32 Jan 2100 00:00:00 GMT",
            "Sat, 30 Feb 2100 00:00:00 GMT",
            "Thu, 01 Jan 2100 24:00:00 GMT",
            "Thu, 01 Jan 99999 00:00:00 GMT",
            "Thu, 01 Jan 1970 0:0:60 GMT",
        ],
    )
    def test_no_date(self, text):
        assert cookie_expiry_s(text) is None


class TestCookieExpiryMissingAPart:
    """A cookie-date without a day of the month, or without a year, names no time (RFC 6265 5.1.1 step 5)."""

    @pytest.mark.parametrize("text", ["Jan 2030 00:00:00 GMT", "Thu, Jan 2030 00:00:00", "1 Jan 00:00:00 GMT"])
    def test_no_date(self, text):
        # Without its day it raised TypeError (`1 <= None`): the hop's Set-Cookie crashed the check, not ignored.
        assert cookie_expiry_s(text) is None


class TestCookieExpiryTwoMonthNames:
    """A cookie-date naming two months is read by its first (RFC 6265 5.1.1: the first token of each part counts)."""

    def test_a_later_month_name_is_ignored(self):
        # Read by the last, `1 Jan 2030 ... (Mar)` expired in March, two months after the browser expires it.
        assert cookie_expiry_s("1 Jan 2030 00:00:00 GMT (Mar)") == cookie_expiry_s("1 Jan 2030 00:00:00 GMT")
        assert cookie_expiry_s("Thu, 01 Jan 1970 00:00:00 GMT Dec") == 0


class TestCookieExpiryThreeDigitYears:
    """Only a year of two digits' value (0-99) is moved into 1970-2069: 100 is the year 100, before 1601, no time."""

    def test_the_year_100_names_no_time(self):
        assert cookie_expiry_s("1 Jan 100 00:00:00 GMT") is None


class TestCookieAttributesIgnored:
    """An attribute browsers ignore (a Max-Age that is no integer, an Expires that is no date) leaves the one before it
    standing and the ones after it read (RFC 6265 5.2)."""

    def test_an_expires_that_is_no_date_leaves_the_earlier_one(self):
        # Read as the last Expires, a sign-out's `Expires=<1970>; Expires=soon` kept the session it deletes.
        attributes = ["Expires=Thu, 01 Jan 1970 00:00:00 GMT", "Expires=soon"]
        assert set_cookie_attributes(attributes) == {"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}

    def test_the_attributes_after_an_ignored_one_are_read(self):
        attributes = ["Max-Age=soon", "Path=/app", "Expires=never", "Domain=shop.example"]
        assert set_cookie_attributes(attributes) == {"path": "/app", "domain": "shop.example"}


class TestCookieLife:
    """A cookie lives its Max-Age from now, else to its Expires from the answer's Date (its first Date line; our clock
    when that names no time), as Chromium reads it; without either it is a session cookie."""

    NOW_S = 1_000_000.0

    @pytest.mark.parametrize(
        ("attributes", "date_s", "life_s"),
        [
            ({"max-age": "10", "expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, None, 10.0),
            ({"max-age": "-1"}, None, -1.0),
            # Max-Age counts from now, whatever the Date.
            ({"max-age": "10"}, NOW_S + 3600, 10.0),
            ({"expires": "Mon, 12 Jan 1970 13:46:40 GMT"}, None, 0.0),
            ({"expires": "Mon, 12 Jan 1970 14:46:40 GMT"}, None, 3600.0),
            # A Date ahead of ours: the Expires is read by it (a second before it, a deletion).
            ({"expires": "Mon, 12 Jan 1970 14:46:40 GMT"}, NOW_S + 3601, -1.0),
            # A Date behind ours reads it too: Chromium keeps for two hours a cookie its server set for two.
            ({"expires": "Mon, 12 Jan 1970 14:46:40 GMT"}, NOW_S - 3600, 7200.0),
            ({"expires": "Mon, 12 Jan 1970 13:46:40 GMT"}, NOW_S - 3600, 3600.0),
            ({}, NOW_S + 3600, None),
            ({"expires": "soon"}, None, None),
        ],
    )
    def test_life(self, attributes, date_s, life_s):
        assert cookie_life_s(attributes, date_s, self.NOW_S) == life_s

    @pytest.mark.parametrize(
        ("dates", "date_s"),
        [
            ([], None),
            (["soon"], None),
            (["Thu, 01 Jan 1970 00:01:00 GMT"], 60),
            # RFC 9110's obsolete forms, which recipients read too.
            (["Thursday, 01-Jan-70 00:01:00 GMT"], 60),
            (["Thu Jan  1 00:01:00 1970"], 60),
            # The first line alone, as Chromium reads it.
            (["Thu, 01 Jan 1970 00:01:00 GMT", "Thu, 01 Jan 1970 00:02:00 GMT", "soon"], 60),
            (["Thu, 01 Jan 1970 00:02:00 GMT", "Thu, 01 Jan 1970 00:01:00 GMT"], 120),
            (["soon", "Thu, 01 Jan 1970 00:01:00 GMT"], None),
            # In the zone it names after its time, as Chromium reads it: read as UTC, a Date an hour west of it was an
            # hour behind, and a sign-out's Expires a second before it kept the session (checked against chromium in
            # tests/integration/test_http_smoke_cookies_browser.py).
            (["Thu, 01 Jan 1970 01:01:00 +0100"], 60),
            (["Thu, 01 Jan 1970 05:31:00 +0530"], 60),
            (["Wed, 31 Dec 1969 23:01:00 -0100"], 60),
            (["Thu, 01 Jan 1970 01:01:00+0100"], 60),
            (["Thu, 01 Jan 1970 01:01:00 GMT+0100"], 60),
            (["Thu, 01 Jan 1970 01:01:00 UTC+01"], 60),
            (["Wed, 31 Dec 1969 19:01:00 -5"], 60),
            (["Wed, 31 Dec 1969 16:01:00 PST"], 60),
            (["Wed, 31 Dec 1969 17:01:00 pdt"], 60),
            # A word is its zone by its first three letters (checked against chromium).
            (["Wed, 31 Dec 1969 16:01:00 PSTX"], 60),
            (["Thu, 01 Jan 1970 09:01:00 JST"], 60),
            (["Thu, 01 Jan 1970 01:01:00 BST"], 60),
            (["Thu Jan  1 00:01:00 UT 1970"], 60),
            # An offset after a zone other than GMT is ignored, and a zone Chromium does not know is UTC to it, as is
            # an offset of three digits.
            (["Wed, 31 Dec 1969 16:01:00 PST+0300"], 60),
            (["Thu, 01 Jan 1970 00:01:00 CET"], 60),
            (["Thu, 01 Jan 1970 00:01:00 UTC"], 60),
            (["Thu, 01 Jan 1970 00:01:00 +100"], 60),
        ],
    )
    def test_answer_date(self, dates, date_s):
        assert answer_date_s(dates) == date_s


class TestWrittenCookieDeletions:
    """A hop's deletion deletes a written cookie whose scope the check knows only when browsers take the line and it
    names that cookie: for its host alone or not, that host or its Domain, and its Path."""

    @pytest.mark.parametrize(
        ("line", "url", "scope", "deletes"),
        [
            ("session=; Path=/app", "http://a.shop.svc/app/x", (True, "a.shop.svc", "/app"), True),
            # Without Path: the default path of the answer's URL.
            ("session=", "http://a.shop.svc/app/x", (True, "a.shop.svc", "/app"), True),
            ("session=; Path=/", "http://a.shop.svc/app/x", (True, "a.shop.svc", "/app"), False),
            ("session=; Path=/app/x", "http://a.shop.svc/app/x", (True, "a.shop.svc", "/app"), False),
            # A Domain cookie of the host is another cookie than the host's own (RFC 6265bis 5.7).
            ("session=; Path=/app; Domain=a.shop.svc", "http://a.shop.svc/app/x", (True, "a.shop.svc", "/app"), False),
            ("session=; Domain=.Shop.svc; Path=/", "http://a.shop.svc/", (False, "shop.svc", "/"), True),
            ("session=; Path=/", "http://b.shop.svc/", (True, "a.shop.svc", "/"), False),
            # An address's Domain that is itself is for that address alone, as without Domain.
            ("session=; Domain=127.0.0.1; Path=/app", "http://127.0.0.1/app/x", (True, "127.0.0.1", "/app"), True),
            # A deletion browsers refuse (a Domain the answer's host is not in) deletes nothing.
            ("session=; Domain=shop.svc; Path=/", "http://a.other.svc/", (False, "shop.svc", "/"), False),
        ],
    )
    def test_deletes(self, line, url, scope, deletes):
        answer = httpx.Response(302, headers=[("set-cookie", line)], request=httpx.Request("GET", url))
        assert _deletes_written(answer, url, scope) is deletes

    @pytest.mark.parametrize(
        ("line", "deletion"),
        [
            ("session=; path=/; max-age=0", "session=; path=/"),
            ("session=abc; path=/; max-age=60", None),
        ],
    )
    def test_the_deletion_a_line_records(self, line, deletion):
        assert _deletion(line) == deletion


class TestPublicSuffixes:
    """The Public Suffix List as browsers use it: ICANN and private names, and one label by the default rule."""

    @pytest.mark.parametrize(
        ("name", "public"),
        [
            ("co.uk", True),
            ("CO.UK", True),
            ("github.io", True),
            ("svc", True),
            ("local", True),
            ("shop.co.uk", False),
            ("a.github.io", False),
            ("shop.svc", False),
            ("svc.cluster.local", False),
        ],
    )
    def test_public_suffix(self, name, public):
        assert is_public_suffix(name) is public


class TestAddressRefusal:
    """Loopback, link-local, metadata, unspecified and multicast addresses are refused unless allowed."""

    @pytest.mark.parametrize(
        ("address", "reason"),
        [
            ("169.254.169.254", "cloud metadata"),
            ("fd00:ec2::254", "cloud metadata"),
            # Outside every range refused as a whole (ULA, fc00::/7, which clusters use): each refused by its address.
            ("fd00:ec2::23", "cloud metadata"),  # AWS EKS Pod Identity Agent (credentials), as 169.254.170.23
            ("fd20:ce::254", "cloud metadata"),  # Google Cloud, IPv6-only instances
            ("fd00:c1::a9fe:a9fe", "cloud metadata"),  # Oracle Cloud Infrastructure
            ("fd00:42::42", "cloud metadata"),  # Scaleway
            ("fd00:a9fe:a9fe::1", "cloud metadata"),  # Akamai (Linode)
            ("100.100.100.200", "cloud metadata"),
            ("127.0.0.1", "loopback"),
            ("127.9.9.9", "loopback"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("fe80::1", "link-local"),
            ("fe80::1%eth0", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("168.63.129.16", "cloud metadata"),
            ("::127.0.0.1", "loopback"),
            ("::ffff:0:127.0.0.1", "loopback"),
            ("64:ff9b::169.254.169.254", "cloud metadata"),
            ("64:ff9b::7f00:1", "loopback"),
            ("2002:a9fe:a9fe::1", "cloud metadata"),
            ("2002:7f00:1::", "loopback"),
            ("fec0::1", "site-local"),
            ("64:ff9b::6440:1", "shared address"),
            ("2002:6440:1::", "shared address"),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
            ("64:ff9b:1::7f00:1", "loopback"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("ff02::1", "multicast"),
        ],
    )
    def test_refused(self, address, reason):
        refusal = address_refusal(address, ())
        assert refusal is not None and reason in refusal

    @pytest.mark.parametrize(
        "address",
        [
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "2001:db8::1",
            "100.63.255.255",
            "100.128.0.0",
            "fd12::1",
            "2600::1",
            # The neighbours of the IPv6 metadata addresses: unique-local addresses a cluster may use.
            "fd20:ce::253",
            "fd00:c1::a9fe:a9ff",
            "fd00:ec2::22",
        ],
    )
    def test_cluster_and_public_addresses_pass(self, address):
        assert address_refusal(address, ()) is None

    @pytest.mark.parametrize("address", ["100.64.0.1", "100.127.255.254", "100.100.0.1"])
    def test_shared_address_space_is_refused(self, address):
        assert "shared address (100.64.0.0/10" in (address_refusal(address, ()) or "")

    @pytest.mark.parametrize(
        ("address", "kind", "reached"),
        [
            # Teredo: server 65.54.227.120, client 192.0.2.45 stored inverted (RFC 4380's example).
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo", "192.0.2.45"),
            ("2002:a01:203::1", "6to4", "10.1.2.3"),
            ("64:ff9b::a01:203", "NAT64", "10.1.2.3"),
            ("64:ff9b:1:abcd::a01:203", "local-use NAT64", "10.1.2.3"),
        ],
    )
    def test_transition_addresses_are_refused_even_to_cluster_ipv4(self, address, kind, reached):
        refusal = address_refusal(address, ())
        assert refusal is not None and f"is a {kind} address (it reaches IPv4 " in refusal
        assert f"it reaches IPv4 {reached} " in refusal

    @pytest.mark.parametrize(
        ("address", "allowed", "embedded"),
        [
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "2001::/32", "127.0.0.1"),  # Teredo client 127.0.0.1
            ("2001:0:7f00:1:8000:63bf:3fff:fdd2", "2001::/32", "127.0.0.1"),  # Teredo server 127.0.0.1
            ("2002:6440:1::", "2002::/16", "100.64.0.1"),
            ("64:ff9b::6464:64c8", "64:ff9b::/96", "100.100.100.200"),
            ("64:ff9b:1:abcd::a9fe:a9fe", "64:ff9b:1::/48", "169.254.169.254"),
        ],
    )
    def test_an_allowed_transition_range_still_refuses_what_it_embeds(self, address, allowed, embedded):
        refusal = address_refusal(address, parse_networks([allowed]))
        assert refusal is not None and refusal.startswith(f"{embedded} is ") and "embedded in the" in refusal

    def test_allowing_the_transition_range_and_what_it_reaches_admits_it(self):
        assert address_refusal("2002:a01:203::1", parse_networks(["2002::/16"])) is None
        assert address_refusal("64:ff9b::a01:203", parse_networks(["64:ff9b::/96"])) is None
        assert address_refusal("64:ff9b::7f00:1", parse_networks(["64:ff9b::/96"])) is not None
        assert address_refusal("64:ff9b::7f00:1", parse_networks(["64:ff9b::/96", "127.0.0.0/8"])) is None
        # Allowing the IPv4 network alone does not open the tunnel to it.
        assert address_refusal("64:ff9b::7f00:1", parse_networks(["127.0.0.0/8"])) is not None

    def test_shared_address_space_can_be_allowed(self):
        assert address_refusal("100.64.0.1", parse_networks(["100.64.0.0/10"])) is None
        assert address_refusal("100.100.100.200", parse_networks(["100.64.0.0/10"])) is None

    def test_explicitly_allowed_networks_pass(self):
        assert address_refusal("127.0.0.1", parse_networks(["127.0.0.0/8"])) is None
        assert address_refusal("::ffff:127.0.0.1", parse_networks(["127.0.0.1"])) is None
        assert address_refusal("169.254.169.254", parse_networks(["127.0.0.0/8"])) is not None


class TestClient:
    """Retries, redirects and the body cap, against respx-mocked responses."""

    @pytest.fixture
    async def client(self):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=2048), resolver=StubResolver({}))
        yield http
        await http.aclose()

    async def test_connect_failures_are_retried(self, client, respx_mock):
        route = respx_mock.get("http://a.svc/x").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, text="ok")]
        )
        exchange = await client.exchange(
            HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2, retries=1
        )
        assert (exchange.status, exchange.body, exchange.connect_retries, route.call_count) == (200, b"ok", 1, 2)

    async def test_retries_run_out(self, client, respx_mock):
        route = respx_mock.get("http://a.svc/x").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(TargetConnectFailed, match="w: cannot connect: refused"):
            await client.exchange(
                HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2, retries=2
            )
        assert route.call_count == 3

    async def test_read_timeouts_are_not_retried(self, client, respx_mock):
        route = respx_mock.get("http://a.svc/x").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(TargetTimeout):
            await client.exchange(
                HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2, retries=3
            )
        assert route.call_count == 1

    async def test_body_is_capped(self, client, respx_mock):
        respx_mock.get("http://a.svc/x").mock(return_value=httpx.Response(200, content=b"x" * 10000))
        exchange = await client.exchange(
            HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2, max_body_bytes=100000
        )
        assert (len(exchange.body), exchange.body_truncated) == (2048, True)

    async def test_post_redirected_by_303_becomes_get_and_credentials_stay_home(self, client, respx_mock):
        respx_mock.post("http://a.svc/form").mock(
            return_value=httpx.Response(303, headers={"Location": "http://b.svc/done"})
        )
        done = respx_mock.get("http://b.svc/done").mock(return_value=httpx.Response(200))
        request = HttpRequest(
            "POST",
            "http://a.svc/form",
            {
                "Authorization": "Bearer t",
                "X-Api-Key": "k",
                "X-Vault-Tok": "v",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            b"{}",
        )
        exchange = await client.exchange(request, where="w", check_hosts=ALL_HOSTS, timeout_s=2, follow_redirects=True)
        assert exchange.redirects == ("http://b.svc/done",)
        sent = done.calls.last.request
        assert not {"authorization", "x-api-key", "x-vault-tok", "content-type"} & set(sent.headers)
        assert sent.headers["accept"] == "application/json" and sent.content == b""

    async def test_same_origin_redirect_keeps_the_step_headers(self, client, respx_mock):
        respx_mock.get("http://a.svc/old").mock(return_value=httpx.Response(302, headers={"Location": "/new"}))
        new = respx_mock.get("http://a.svc/new").mock(return_value=httpx.Response(200))
        await client.exchange(
            HttpRequest("GET", "http://a.svc/old", {"X-Api-Key": "k"}),
            where="w",
            check_hosts=ALL_HOSTS,
            timeout_s=2,
            follow_redirects=True,
        )
        assert new.calls.last.request.headers["x-api-key"] == "k"

    @staticmethod
    async def exchange_asking(client, *, cookies_go: bool):
        """GET http://a.svc/app/x with the check's own Cookie header, following redirects, and each (url, cookie names)
        `cookies_may_go` was asked (answering `cookies_go`)."""
        asked: list[tuple[str, frozenset[str]]] = []

        def cookies_may_go(url: str, names: frozenset[str]) -> bool:
            asked.append((url, names))
            return cookies_go

        exchange = await client.exchange(
            HttpRequest("GET", "http://a.svc/app/x", {"Cookie": "session=s; theme=dark"}),
            where="w",
            check_hosts=ALL_HOSTS,
            timeout_s=2,
            follow_redirects=True,
            cookies_may_go=cookies_may_go,
        )
        return exchange, asked

    async def test_a_redirect_the_check_keeps_its_cookies_from_is_withheld(self, client, respx_mock):
        respx_mock.get("http://a.svc/app/x").mock(
            return_value=httpx.Response(302, headers={"Location": "/out", "Set-Cookie": "csrf=1; Path=/"})
        )
        out = respx_mock.get("http://a.svc/out").mock(return_value=httpx.Response(200))
        exchange, asked = await self.exchange_asking(client, cookies_go=False)
        assert asked == [("http://a.svc/out", frozenset({"session", "theme"}))]
        assert (exchange.status, exchange.url, exchange.redirects, exchange.withheld) == (
            302,
            "http://a.svc/app/x",
            (),
            "http://a.svc/out",
        )
        assert out.call_count == 0

    async def test_cookies_a_hop_sets_are_not_the_checks_to_withhold(self, client, respx_mock):
        # The redirect's own session replaces the written one at the hop; another origin gets no written cookie at all.
        respx_mock.get("http://a.svc/app/x").mock(
            return_value=httpx.Response(302, headers={"Location": "/next", "Set-Cookie": "session=new; Path=/"})
        )
        respx_mock.get("http://a.svc/next").mock(
            return_value=httpx.Response(302, headers={"Location": "http://b.svc/done"})
        )
        done = respx_mock.get("http://b.svc/done").mock(return_value=httpx.Response(200))
        exchange, asked = await self.exchange_asking(client, cookies_go=True)
        assert asked == [("http://a.svc/next", frozenset({"theme"}))]
        assert (exchange.status, exchange.withheld, done.call_count) == (200, "", 1)

    @pytest.mark.parametrize("status", [307, 308])
    async def test_a_body_is_never_re_sent_to_another_origin(self, client, respx_mock, status):
        respx_mock.post("http://a.svc/login").mock(
            return_value=httpx.Response(status, headers={"Location": "http://collector.other.svc/steal"})
        )
        steal = respx_mock.post("http://collector.other.svc/steal").mock(return_value=httpx.Response(200))
        with pytest.raises(TargetRefused, match="re-send the request body"):
            await client.exchange(
                HttpRequest("POST", "http://a.svc/login", {}, b'{"password": "p"}'),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=2,
                follow_redirects=True,
            )
        assert not steal.called

    async def test_https_to_http_redirect_is_refused(self, client, respx_mock):
        respx_mock.get("https://a.svc/x").mock(return_value=httpx.Response(302, headers={"Location": "http://a.svc/x"}))
        plain = respx_mock.get("http://a.svc/x").mock(return_value=httpx.Response(200))
        with pytest.raises(TargetRefused, match="downgrade https to http"):
            await client.exchange(
                HttpRequest("GET", "https://a.svc/x", {"X-Api-Key": "k"}),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=2,
                follow_redirects=True,
            )
        assert not plain.called

    async def test_redirect_loops_stop(self, client, respx_mock):
        respx_mock.get("http://a.svc/loop").mock(return_value=httpx.Response(302, headers={"Location": "/loop"}))
        with pytest.raises(TargetBadAnswer, match="more than 2 redirects"):
            await client.exchange(
                HttpRequest("GET", "http://a.svc/loop"),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=2,
                follow_redirects=True,
                max_redirects=2,
            )

    async def test_redirect_targets_are_checked_against_the_check_hosts(self, client, respx_mock):
        respx_mock.get("http://a.svc/x").mock(
            return_value=httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        )
        with pytest.raises(TargetRefused, match="not in the check's allowed_hosts"):
            await client.exchange(
                HttpRequest("GET", "http://a.svc/x"),
                where="w",
                check_hosts=HostAllowList.parse(["*.svc"]),
                timeout_s=2,
                follow_redirects=True,
            )

    async def test_refusal_message_leaves_the_query_out(self, client, respx_mock):
        with pytest.raises(TargetRefused) as caught:
            await client.exchange(
                HttpRequest("GET", "http://example.com/x?api_key=K-SECRET"),
                where="w",
                check_hosts=HostAllowList.parse(["*.svc"]),
                timeout_s=2,
            )
        assert "http://example.com/x" in caught.value.message and "K-SECRET" not in caught.value.message

    async def test_refusal_message_leaves_the_user_info_out(self, client):
        with pytest.raises(TargetRefused) as caught:
            await client.exchange(
                HttpRequest("GET", "http://svc-user:PW-SECRET@a.svc/x?t=1"),
                where="w",
                check_hosts=HostAllowList.parse(["*.svc"]),
                timeout_s=2,
            )
        assert "http://<redacted>@a.svc/x" in caught.value.message
        assert "PW-SECRET" not in caught.value.message and "svc-user" not in caught.value.message

    async def test_refusal_message_quotes_at_most_200_characters_of_the_url(self, client):
        url = "http://example.com/" + "p" * 300
        with pytest.raises(TargetRefused) as caught:
            await client.exchange(
                HttpRequest("GET", url), where="w", check_hosts=HostAllowList.parse(["*.svc"]), timeout_s=2
            )
        assert url[:200] in caught.value.message and url[:201] not in caught.value.message

    def test_refusal_names_the_rule(self, client):
        svc = HostAllowList.parse(["*.svc"])
        assert "scheme 'ftp'" in client.refusal("ftp://a.svc/", svc)
        assert "user info" in client.refusal("http://u:p@a.svc/", svc)
        assert "check's allowed_hosts" in client.refusal("http://example.com/", svc)
        assert client.refusal("http://a.svc:8080/x", svc) is None


class TestMaxRedirectsFollowed:
    """`max_redirects` is the most redirects one request follows: the one past it is refused, never requested."""

    @pytest.fixture
    async def client(self):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=2048), resolver=StubResolver({}))
        yield http
        await http.aclose()

    @pytest.mark.parametrize("max_redirects", [1, 2])
    async def test_a_chain_one_longer_is_refused(self, client, respx_mock, max_redirects):
        # /0 -> /1 -> ... -> /N+1 answers 200: one redirect more than allowed. Followed, the step passed on a page
        # its settings say it never reaches.
        for hop in range(max_redirects + 1):
            respx_mock.get(f"http://a.svc/{hop}").mock(
                return_value=httpx.Response(302, headers={"Location": f"/{hop + 1}"})
            )
        end = respx_mock.get(f"http://a.svc/{max_redirects + 1}").mock(return_value=httpx.Response(200))
        with pytest.raises(TargetBadAnswer, match=f"more than {max_redirects} redirects"):
            await client.exchange(
                HttpRequest("GET", "http://a.svc/0"),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=2,
                follow_redirects=True,
                max_redirects=max_redirects,
            )
        assert not end.called

    async def test_a_chain_as_long_is_followed(self, client, respx_mock):
        for hop in range(2):
            respx_mock.get(f"http://a.svc/{hop}").mock(
                return_value=httpx.Response(302, headers={"Location": f"/{hop + 1}"})
            )
        respx_mock.get("http://a.svc/2").mock(return_value=httpx.Response(200, text="end"))
        exchange = await client.exchange(
            HttpRequest("GET", "http://a.svc/0"),
            where="w",
            check_hosts=ALL_HOSTS,
            timeout_s=2,
            follow_redirects=True,
            max_redirects=2,
        )
        assert (exchange.status, exchange.body, len(exchange.redirects)) == (200, b"end", 2)


class TestBodyBudget:
    """The service-wide body budget: reservations wait their turn, in order, and always come back."""

    async def test_a_reservation_over_what_is_free_waits_for_a_release(self):
        budget = BodyBudget(100)
        first = await budget.reserve(60)
        waiting = asyncio.create_task(budget.reserve(60))
        await asyncio.sleep(0)
        assert not waiting.done() and budget.in_use_bytes == 60
        first.release()
        second = await waiting
        assert (second.size, budget.in_use_bytes) == (60, 60)

    async def test_waiters_are_served_in_arrival_order(self):
        budget = BodyBudget(100)
        held = await budget.reserve(90)
        big = asyncio.create_task(budget.reserve(100))
        await asyncio.sleep(0)
        small = asyncio.create_task(budget.reserve(5))
        await asyncio.sleep(0)
        # 5 bytes are free, but the earlier, larger waiter goes first: it is never starved.
        assert not small.done()
        held.release()
        (await big).release()
        assert (await small).size == 5

    async def test_a_cancelled_waiter_takes_nothing_and_lets_the_next_one_in(self):
        budget = BodyBudget(100)
        held = await budget.reserve(50)
        big = asyncio.create_task(budget.reserve(100))
        await asyncio.sleep(0)
        small = asyncio.create_task(budget.reserve(50))
        await asyncio.sleep(0)
        big.cancel()
        assert (await small).size == 50
        held.release()
        assert budget.in_use_bytes == 50

    async def test_shrink_and_release_give_bytes_back_once(self):
        budget = BodyBudget(100)
        reservation = await budget.reserve(80)
        reservation.shrink(10)
        reservation.shrink(50)
        assert budget.in_use_bytes == 10
        reservation.release()
        reservation.release()
        assert budget.in_use_bytes == 0

    async def test_an_exchange_holds_its_declared_length_until_released(self, respx_mock):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=4096), resolver=StubResolver({}))
        respx_mock.get("http://a.svc/x").mock(return_value=httpx.Response(200, text="ok"))
        try:
            exchange = await http.exchange(
                HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2
            )
            assert http.budget.in_use_bytes == 2
            exchange.release()
            assert http.budget.in_use_bytes == 0
            # A body its caller will also decode as text holds twice its size.
            exchange = await http.exchange(
                HttpRequest("GET", "http://a.svc/x"),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=2,
                decoded_as_text=True,
            )
            assert http.budget.in_use_bytes == 4
            exchange.release()
        finally:
            await http.aclose()

    async def test_failed_exchanges_give_their_reservation_back(self, respx_mock):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=4096), resolver=StubResolver({}))
        respx_mock.get("http://a.svc/x").mock(side_effect=httpx.ReadTimeout("slow"))
        try:
            with pytest.raises(TargetTimeout):
                await http.exchange(
                    HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=2, retries=1
                )
            assert http.budget.in_use_bytes == 0
        finally:
            await http.aclose()

    async def test_a_request_that_cannot_get_memory_in_its_timeout_is_a_clear_error(self, respx_mock):
        http = HttpClient(
            HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=4096, body_budget_bytes=4096), resolver=StubResolver({})
        )
        route = respx_mock.get("http://a.svc/x").mock(return_value=httpx.Response(200, text="ok"))
        held = await http.budget.reserve(4096)
        try:
            with pytest.raises(BodyBudgetExhausted) as caught:
                await http.exchange(
                    HttpRequest("GET", "http://a.svc/x"), where="w", check_hosts=ALL_HOSTS, timeout_s=0.05
                )
        finally:
            held.release()
            await http.aclose()
        assert caught.value.message == (
            "w: not sent: waited 0.05 s (timeout_s) for 4096 bytes of response-body "
            "memory, but other HTTP check requests held the service-wide budget "
            "ANALYZER_HTTP_BODY_BUDGET_BYTES (4096 bytes)"
        )
        assert (caught.value.http_status, route.called) == (503, False)


class TestSettings:
    """The global HTTP limits come from settings, lists as comma-separated environment variables."""

    def test_environment_lists(self):
        settings = Settings.from_env(
            {
                "ANALYZER_HTTP_ALLOWED_HOSTS": "*.svc, 127.0.0.1",
                "ANALYZER_HTTP_ALLOWED_NETWORKS": "127.0.0.0/8,::1",
                "ANALYZER_HTTP_MAX_BODY_BYTES": "4096",
            }
        )
        policy = settings.http_policy()
        assert policy.allowed_hosts.patterns == ("*.svc", "127.0.0.1")
        assert [str(n) for n in policy.allowed_networks] == ["127.0.0.0/8", "::1/128"]
        assert policy.max_body_bytes == 4096

    def test_defaults_allow_cluster_names_only(self):
        policy = Settings().http_policy()
        assert policy.allowed_hosts.patterns == ("*.svc", "*.svc.cluster.local")
        assert policy.allowed_networks == ()

    @pytest.mark.parametrize(
        ("key", "value"), [("ANALYZER_HTTP_ALLOWED_HOSTS", "a b"), ("ANALYZER_HTTP_ALLOWED_NETWORKS", "10.0.0.0/33")]
    )
    def test_bad_values_name_the_variable(self, key, value):
        with pytest.raises(ConfigError, match=key):
            Settings.from_env({key: value})

    def test_body_budget_comes_from_the_environment(self):
        assert Settings().http_policy().body_budget_bytes == 32 * 1024 * 1024
        settings = Settings.from_env({"ANALYZER_HTTP_BODY_BUDGET_BYTES": "8388608"})
        assert HttpClient(settings.http_policy()).budget.total_bytes == 8 * 1024 * 1024

    def test_a_body_budget_below_a_body_and_its_text_is_refused(self):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_HTTP_BODY_BUDGET_BYTES": "12288", "ANALYZER_HTTP_MAX_BODY_BYTES": "8192"})
        assert "ANALYZER_HTTP_BODY_BUDGET_BYTES (12288) is below twice ANALYZER_HTTP_MAX_BODY_BYTES (8192)" in str(
            caught.value.problems
        )
        Settings.from_env({"ANALYZER_HTTP_BODY_BUDGET_BYTES": "16384", "ANALYZER_HTTP_MAX_BODY_BYTES": "8192"})


class _FakeStream(httpcore.AsyncNetworkStream):
    def __init__(self, peer: tuple[str, int] | None) -> None:
        self.peer = peer
        self.closed = False

    def get_extra_info(self, info: str) -> object:
        return self.peer if info == "server_addr" else None

    async def aclose(self) -> None:
        self.closed = True


class _FakeDialer:
    """Stands in for the real network: records what was dialled, refuses or 'connects' on demand."""

    def __init__(self, refuse: set[str], peer_override: tuple[str, int] | None = None) -> None:
        self.refuse = refuse
        self.peer_override = peer_override
        self.dialled: list[str] = []
        self.streams: list[_FakeStream] = []

    async def connect_tcp(self, host: str, port: int, **kwargs: object) -> _FakeStream:
        self.dialled.append(host)
        if host in self.refuse:
            raise httpcore.ConnectError(f"{host} refused")
        stream = _FakeStream(self.peer_override or (host, port))
        self.streams.append(stream)
        return stream


class TestGuardedBackend:
    """The network backend dials only checked addresses and re-checks the connected peer."""

    def backend(self, answers: dict[str, list[str]], dialer: _FakeDialer, networks: tuple[str, ...] = ()):
        backend = _GuardedBackend(HttpPolicy(allowed_networks=parse_networks(networks)), StubResolver(answers))
        backend._inner = dialer  # type: ignore[assignment] (a fake dialer in place of anyio's)
        return backend

    async def test_dials_the_resolved_address_not_the_name(self):
        dialer = _FakeDialer(refuse=set())
        await self.backend({"a.svc": ["10.0.0.7"]}, dialer).connect_tcp("a.svc", 80, timeout=1)
        assert dialer.dialled == ["10.0.0.7"]

    async def test_tries_the_next_address_when_one_refuses(self):
        dialer = _FakeDialer(refuse={"10.0.0.7"})
        await self.backend({"a.svc": ["10.0.0.7", "10.0.0.8"]}, dialer).connect_tcp("a.svc", 80, timeout=1)
        assert dialer.dialled == ["10.0.0.7", "10.0.0.8"]

    async def test_when_every_address_fails_the_error_names_host_port_addresses_and_cause(self):
        dialer = _FakeDialer(refuse={"10.0.0.7", "fd00::8"})
        dialer_error = ConnectionRefusedError(111, "Connect call failed")

        async def refused(host: str, port: int, **kwargs: object) -> _FakeStream:
            dialer.dialled.append(host)
            raise httpcore.ConnectError("All connection attempts failed") from dialer_error

        dialer.connect_tcp = refused  # type: ignore[method-assign] (the failure under test)
        backend = self.backend({"a.svc": ["10.0.0.7", "fd00::8"]}, dialer)
        with pytest.raises(httpcore.ConnectError) as caught:
            await backend.connect_tcp("a.svc", 8080, timeout=1)
        assert str(caught.value) == "cannot connect to a.svc:8080 (10.0.0.7, fd00::8): Connection refused"
        with pytest.raises(httpcore.ConnectError) as caught:
            await backend.connect_tcp("[fd00::8]", 80, timeout=1)
        assert str(caught.value) == "cannot connect to [fd00::8]:80: Connection refused"

    async def test_a_forbidden_address_in_the_answer_refuses_before_dialling(self):
        dialer = _FakeDialer(refuse=set())
        with pytest.raises(TargetRefused, match=r"169\.254\.169\.254 is a cloud metadata address"):
            await self.backend({"a.svc": ["10.0.0.7", "169.254.169.254"]}, dialer).connect_tcp("a.svc", 80, timeout=1)
        assert dialer.dialled == []

    async def test_a_service_name_for_an_ipv6_metadata_address_is_refused_before_dialling(self):
        # An ExternalName Service, or one whose endpoints an author wrote, may name the metadata server of an IPv6-only
        # node: a unique-local address, which cluster ranges use, so no range rule refuses it.
        dialer = _FakeDialer(refuse=set())
        with pytest.raises(TargetRefused) as caught:
            await self.backend({"metadata.shop.svc": ["fd20:ce::254"]}, dialer).connect_tcp(
                "metadata.shop.svc", 80, timeout=1
            )
        assert caught.value.message == (
            "refused to connect to metadata.shop.svc: its address fd20:ce::254 is a cloud metadata address; add the "
            "network to ANALYZER_HTTP_ALLOWED_NETWORKS to allow it"
        )
        assert dialer.dialled == []

    async def test_a_forbidden_peer_is_closed_and_refused(self):
        dialer = _FakeDialer(refuse=set(), peer_override=("127.0.0.1", 80))
        with pytest.raises(TargetRefused, match=r"127\.0\.0\.1 is a loopback address"):
            await self.backend({"a.svc": ["10.0.0.7"]}, dialer).connect_tcp("a.svc", 80, timeout=1)
        assert dialer.streams[0].closed

    async def test_an_unknown_peer_is_refused(self):
        dialer = _FakeDialer(refuse=set())
        dialer.peer_override = None
        backend = self.backend({"a.svc": ["10.0.0.7"]}, dialer)

        async def no_peer(host: str, port: int, **kwargs: object) -> _FakeStream:
            return _FakeStream(None)

        dialer.connect_tcp = no_peer  # type: ignore[method-assign] (the failure under test)
        with pytest.raises(TargetRefused, match="peer address is unknown"):
            await backend.connect_tcp("a.svc", 80, timeout=1)

    async def test_dns_failure_and_empty_answer_are_connect_errors(self):
        dialer = _FakeDialer(refuse=set())
        with pytest.raises(httpcore.ConnectError, match=r"DNS lookup of b\.svc failed"):
            await self.backend({}, dialer).connect_tcp("b.svc", 80, timeout=1)
        with pytest.raises(httpcore.ConnectError, match="returned no address"):
            await self.backend({"b.svc": []}, dialer).connect_tcp("b.svc", 80, timeout=1)

    async def test_a_lookup_that_never_answers_times_out(self):
        never = asyncio.Event()

        async def hanging(host: str, port: int) -> list[str]:
            await never.wait()
            return []

        backend = _GuardedBackend(HttpPolicy(), hanging)
        with pytest.raises(httpcore.ConnectTimeout, match=r"DNS lookup of c\.svc timed out"):
            await backend.connect_tcp("c.svc", 80, timeout=0.05)

    async def test_unix_sockets_are_refused(self):
        with pytest.raises(TargetRefused, match="unix sockets"):
            await _GuardedBackend(HttpPolicy(), StubResolver({})).connect_unix_socket("/var/run/docker.sock")


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


class TestEncodedBodies:
    """Compressed bodies are decoded with the same cap, so a gzip bomb costs at most the cap."""

    @pytest.fixture
    async def client(self):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS, max_body_bytes=4096), resolver=StubResolver({}))
        yield http
        await http.aclose()

    async def fetch(self, client, respx_mock, content: bytes, encoding: str):
        # A stream, not content=: httpx.Response would decode content eagerly.
        respx_mock.get("http://a.svc/z").mock(
            return_value=httpx.Response(200, stream=httpx.ByteStream(content), headers={"Content-Encoding": encoding})
        )
        return await client.exchange(
            HttpRequest("GET", "http://a.svc/z"), where="w", check_hosts=ALL_HOSTS, timeout_s=5
        )

    async def test_gzip_bomb_is_cut_at_the_cap(self, client, respx_mock):
        bomb = gzip.compress(b"\0" * (32 * 1024 * 1024))
        exchange = await self.fetch(client, respx_mock, bomb, "gzip")
        assert (len(exchange.body), exchange.body_truncated) == (4096, True)

    @pytest.mark.parametrize(
        ("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate)]
    )
    async def test_small_bodies_decode_whole(self, client, respx_mock, encoding, encode):
        exchange = await self.fetch(client, respx_mock, encode(b'{"ok": true}'), encoding)
        assert (exchange.body, exchange.body_truncated) == (b'{"ok": true}', False)

    @pytest.mark.parametrize(
        ("encoding", "encode"),
        [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate), ("identity", bytes)],
    )
    def test_bodies_arriving_a_byte_at_a_time_decode_the_same(self, encoding, encode):
        data = b'{"ok": true, "padding": "' + b"p" * 5000 + b'"}'
        reader = _BodyReader(encoding, 4096, "w")
        for byte in encode(data):
            reader.feed(bytes([byte]))
        reader.finish()
        assert (bytes(reader.body), reader.over_cap, reader.wire_bytes) == (data[:4096], True, len(encode(data)))

    def test_a_one_byte_deflate_body_is_decoded_at_the_end_and_found_cut(self):
        reader = _BodyReader("deflate", 4096, "w")
        reader.feed(_raw_deflate(b"")[:1])
        with pytest.raises(TargetBadAnswer, match="deflate body ended before its end marker: the response was cut"):
            reader.finish()
        assert reader.wire_bytes == 1

    def test_a_deflate_body_fed_a_byte_at_a_time_decodes_whole(self):
        reader = _BodyReader("deflate", 4096, "w")
        for byte in _raw_deflate(b"ok"):
            reader.feed(bytes([byte]))
        reader.finish()
        assert bytes(reader.body) == b"ok"

    @pytest.mark.parametrize(
        ("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate)]
    )
    def test_a_stream_cut_before_its_end_marker_is_a_bad_answer_not_a_prefix(self, encoding, encode):
        whole = encode(bytes(range(256)) * 16)
        reader = _BodyReader(encoding, 1 << 20, "w")
        reader.feed(whole[: len(whole) * 2 // 3])
        with pytest.raises(
            TargetBadAnswer, match=f"w: the {encoding} body ended before its end marker: the response was cut"
        ):
            reader.finish()

    @pytest.mark.parametrize(
        ("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate)]
    )
    def test_bytes_after_the_end_marker_are_a_bad_answer_in_the_same_or_a_later_chunk(self, encoding, encode):
        for chunks in ([encode(b"ok") + b"tail"], [encode(b"ok"), b"tail"]):
            reader = _BodyReader(encoding, 4096, "w")
            with pytest.raises(TargetBadAnswer, match=f"w: the {encoding} body has bytes after its end marker"):
                for chunk in chunks:
                    reader.feed(chunk)
                reader.finish()

    def test_a_gzip_body_of_several_members_is_every_member_decoded(self):
        # RFC 1952: a gzip file may be members one after another; the boundary may fall anywhere in a chunk.
        whole = gzip.compress(b"first ") + gzip.compress(b"second ") + gzip.compress(b"third")
        for size in (1, 7, len(whole)):
            reader = _BodyReader("gzip", 4096, "w")
            for start in range(0, len(whole), size):
                reader.feed(whole[start : start + size])
            reader.finish()
            assert bytes(reader.body) == b"first second third"

    def test_zero_bytes_after_a_gzip_member_are_skipped_wherever_the_chunks_split(self):
        # Python's gzip module skips them (block-sized writers pad); before, "bytes after its end marker".
        whole = gzip.compress(b"first ") + bytes(5) + gzip.compress(b"second") + bytes(7)
        for size in (1, 3, len(whole)):
            reader = _BodyReader("gzip", 4096, "w")
            for start in range(0, len(whole), size):
                reader.feed(whole[start : start + size])
            reader.finish()
            assert bytes(reader.body) == b"first second"

    @pytest.mark.parametrize(
        ("tail", "message"),
        [
            (bytes(5) + b"x", "w: the gzip body has bytes after its end marker"),
            (bytes(5) + b"\x1f", "w: the gzip body ended before its end marker: the response was cut"),
        ],
    )
    def test_after_zero_padding_only_a_whole_member_may_follow(self, tail, message):
        for chunks in ([gzip.compress(b"ok") + tail], [gzip.compress(b"ok"), bytes(2), tail]):
            reader = _BodyReader("gzip", 4096, "w")
            with pytest.raises(TargetBadAnswer, match=message):
                for chunk in chunks:
                    reader.feed(chunk)
                reader.finish()

    def test_a_second_gzip_member_cut_short_is_a_bad_answer(self):
        second = gzip.compress(b"second member" * 50)
        reader = _BodyReader("gzip", 4096, "w")
        reader.feed(gzip.compress(b"first") + second[: len(second) // 2])
        with pytest.raises(TargetBadAnswer, match="ended before its end marker: the response was cut"):
            reader.finish()

    @pytest.mark.parametrize("encoding", ["gzip", "deflate"])
    def test_corrupt_bodies_are_a_bad_answer(self, encoding):
        # Called directly: respx itself refuses to carry a corrupt gzip body (the real-server test does).
        with pytest.raises(TargetBadAnswer, match=f"{encoding} body is corrupt"):
            _BodyReader(encoding, 4096, "w").feed(b"not compressed at all")

    async def test_encodings_we_did_not_ask_for_are_a_bad_answer(self, client, respx_mock):
        with pytest.raises(TargetBadAnswer, match="Content-Encoding 'br'"):
            await self.fetch(client, respx_mock, b"\x0b\x00\x80", "br")

    async def test_an_encoding_the_request_itself_asked_for_is_not_blamed_on_the_client(self, client, respx_mock):
        # A step's own Accept-Encoding: br replaced the client's: the message may not say the request asked for
        # gzip and deflate only, which sends the reader looking at the server.
        respx_mock.get("http://a.svc/z").mock(
            return_value=httpx.Response(200, content=b"\x0b\x00\x80", headers={"Content-Encoding": "br"})
        )
        with pytest.raises(TargetBadAnswer) as caught:
            await client.exchange(
                HttpRequest("GET", "http://a.svc/z", headers={"accept-encoding": "br"}),
                where="w",
                check_hosts=ALL_HOSTS,
                timeout_s=5,
            )
        assert caught.value.message == (
            "w: the body has Content-Encoding 'br'; only gzip and deflate are decoded (the request's own "
            "Accept-Encoding 'br' was sent; ask for gzip or deflate)"
        )

    @pytest.mark.parametrize("encoding", ["gzip, gzip", "deflate, gzip"])
    def test_stacked_encodings_are_named_as_such(self, encoding):
        # The refusal read "only gzip and deflate are decoded (the request asked for those)" for `gzip, gzip`.
        with pytest.raises(TargetBadAnswer) as caught:
            _BodyReader(encoding, 4096, "w").feed(gzip.compress(gzip.compress(b"ok")))
        assert caught.value.message == (
            f"w: the body has Content-Encoding {encoding!r}, several encodings one over the other (or the header sent "
            "twice), which are not decoded: only one, gzip or deflate, is"
        )

    def test_stacked_encodings_are_quoted_in_part(self):
        # A target's header value: 100 characters of it tell what it is, the rest would fill the reason.
        encoding = "gzip, " + "x" * 500
        with pytest.raises(TargetBadAnswer) as caught:
            _BodyReader(encoding, 4096, "w").feed(b"ok")
        assert f"Content-Encoding {encoding[:100]!r}, several encodings" in caught.value.message

    @pytest.mark.parametrize("status", [204, 304])
    async def test_an_encoding_we_did_not_ask_for_on_an_answer_without_a_body_is_no_matter(
        self, client, respx_mock, status
    ):
        # The encoding a 204 (or a HEAD answer) names describes no byte: the answer was an error for it all the same.
        respx_mock.get("http://a.svc/z").mock(return_value=httpx.Response(status, headers={"Content-Encoding": "br"}))
        exchange = await client.exchange(
            HttpRequest("GET", "http://a.svc/z"), where="w", check_hosts=ALL_HOSTS, timeout_s=5
        )
        assert (exchange.status, exchange.body) == (status, b"")

    async def test_requests_ask_for_gzip_and_deflate_only(self, client, respx_mock):
        route = respx_mock.get("http://a.svc/z").mock(return_value=httpx.Response(200))
        await client.exchange(HttpRequest("GET", "http://a.svc/z"), where="w", check_hosts=ALL_HOSTS, timeout_s=5)
        assert route.calls.last.request.headers["accept-encoding"] == "gzip, deflate"


class TestBadLocations:
    """A Location header that is not a URL is a bad answer, not a crash."""

    async def test_invalid_location(self, respx_mock):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS), resolver=StubResolver({}))
        respx_mock.get("http://a.svc/x").mock(return_value=httpx.Response(302, headers={"Location": "http://a.svc:x/"}))
        try:
            with pytest.raises(TargetBadAnswer, match="Invalid URL in location header"):
                await http.exchange(
                    HttpRequest("GET", "http://a.svc/x"),
                    where="w",
                    check_hosts=ALL_HOSTS,
                    timeout_s=2,
                    follow_redirects=True,
                )
        finally:
            await http.aclose()


class TestInternationalizedHosts:
    """A host is judged by its name as it is resolved, in A-labels (`xn--...`), as host patterns are written."""

    @pytest.fixture
    async def client(self):
        http = HttpClient(HttpPolicy(allowed_hosts=ALL_HOSTS), resolver=StubResolver({}))
        yield http
        await http.aclose()

    def test_a_host_listed_in_a_labels_is_allowed_however_the_url_spells_it(self, client):
        # httpx's `host` decodes A-labels (`bücher.shop.svc`), which no pattern holds: the listed name matched none.
        listed = HostAllowList.parse(["xn--bcher-kva.shop.svc"])
        assert client.refusal("http://xn--bcher-kva.shop.svc/", listed) is None
        assert client.refusal("http://bücher.shop.svc/", listed) is None
        assert client.refusal("http://buecher.shop.svc/", listed) == (
            "host 'buecher.shop.svc' is not in the check's allowed_hosts (xn--bcher-kva.shop.svc)"
        )

    def test_a_label_that_is_no_idna_is_refused_by_name(self, client):
        # `xn--zz` is a DNS label (a Service may be named so) but no IDNA A-label, which httpx cannot put in a Host
        # header: decoding it raised IDNAError, a crash of the check.
        assert client.refusal("http://xn--zz.shop.svc/", HostAllowList.parse(["*.shop.svc"])) == (
            "host 'xn--zz.shop.svc' has the label 'xn--zz', which is no IDNA A-label (Invalid A-label): no HTTP "
            "request can name it (httpx decodes every label of a name whose first label starts with xn--)"
        )

    @pytest.mark.parametrize(
        ("url", "problem"),
        [
            ("http://xn--bcher-kva.xn--zz.svc/", "has the label 'xn--zz', which is no IDNA A-label (Invalid A-label)"),
            # Not an xn-- label: it read "has an xn-- label that is no IDNA A-label (Empty Label)".
            ("http://xn--bcher-kva..shop.svc/", "has an empty label (two dots in a row)"),
            ("http://xn--bcher-kva.shop.svc../", "has an empty label (two dots in a row)"),
            (
                "http://xn--bcher-kva.-a.svc/",
                "has the label '-a', which is no IDNA label (Label must not start or end with a hyphen)",
            ),
        ],
    )
    def test_a_refusal_names_the_label_that_cannot_be_decoded(self, client, url, problem):
        host = url.removeprefix("http://").removesuffix("/")
        assert client.refusal(url, ALL_HOSTS) == (
            f"host {host!r} {problem}: no HTTP request can name it (httpx decodes every label of a name whose first "
            "label starts with xn--)"
        )

    def test_a_later_label_that_is_no_idna_is_requested_as_written(self, client):
        # httpx decodes a name only when its first label starts with xn--: this one it names in a request as it is.
        assert client.refusal("http://a.xn--zz.shop.svc/", HostAllowList.parse(["*.shop.svc"])) is None

    @pytest.mark.parametrize("follow_redirects", [True, False])
    @pytest.mark.parametrize(
        ("location", "reason"),
        [
            ("http://xn--zz.shop.svc/", "Invalid A-label"),
            # No xn-- label is wrong here: it read "(an xn-- label that is no IDNA A-label): Empty Label".
            ("http://xn--bcher-kva..shop.svc/", "Empty Label"),
        ],
    )
    async def test_a_location_whose_host_is_no_idna_is_a_bad_answer_not_a_crash(
        self, client, respx_mock, follow_redirects, location, reason
    ):
        # httpx decodes the host of every 3xx's Location, followed or not: its IDNAError escaped as a crash.
        respx_mock.get("http://a.shop.svc/x").mock(return_value=httpx.Response(302, headers={"Location": location}))
        with pytest.raises(TargetBadAnswer) as caught:
            await client.exchange(
                HttpRequest("GET", "http://a.shop.svc/x"),
                where="w",
                check_hosts=HostAllowList.parse(["*.shop.svc"]),
                timeout_s=2,
                follow_redirects=follow_redirects,
            )
        assert caught.value.message == (
            "w: invalid answer: a Location whose host httpx cannot decode as an internationalized domain name (it "
            f"decodes every label of a name whose first label starts with xn--): {reason}"
        )


class TestGlobalAllowList:
    """A host outside the service's allow-list is refused naming the variable and the value that would allow it."""

    async def test_the_refusal_says_what_to_set(self):
        http = HttpClient(HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc", "*.svc.cluster.local"])))
        try:
            refusal = http.refusal("http://127.0.0.1:8000/healthz", ALL_HOSTS)
        finally:
            await http.aclose()
        # Before: it ended at the list, the first refusal a local smoke test meets naming nothing to do.
        assert refusal == (
            "host '127.0.0.1' is not in the global allow-list ANALYZER_HTTP_ALLOWED_HOSTS (*.svc, "
            "*.svc.cluster.local); if checks may reach it, add it to that variable where the analyzer runs "
            "(comma-separated: *.svc,*.svc.cluster.local,127.0.0.1); and, as 127.0.0.1 is a loopback address, add it "
            "to ANALYZER_HTTP_ALLOWED_NETWORKS too (comma-separated: 127.0.0.1)"
        )

    @pytest.mark.parametrize(
        ("url", "networks"),
        [
            ("http://127.0.0.1:8000/healthz", ""),
            ("http://127.0.0.1:8000/healthz", "10.0.0.0/8"),
            ("http://[::1]:8000/", ""),
            ("http://169.254.169.254/", "192.168.0.0/16"),
            ("http://[::ffff:127.0.0.1]/", ""),
            ("http://10.1.2.3/", ""),
            ("http://app.example.com/", ""),
        ],
    )
    async def test_doing_what_the_refusal_says_lets_the_request_through(self, url, networks):
        # Before: the refusal of 127.0.0.1, the first a local smoke test meets, named ANALYZER_HTTP_ALLOWED_HOSTS
        # alone; set as it said, the request was refused again, its loopback address outside
        # ANALYZER_HTTP_ALLOWED_NETWORKS.
        environ = {"ANALYZER_HTTP_ALLOWED_HOSTS": "*.svc", "ANALYZER_HTTP_ALLOWED_NETWORKS": networks}
        host = httpx.URL(url).raw_host.decode()
        told = []
        for _ in range(3):
            policy = Settings.from_env(environ).http_policy()
            http = HttpClient(policy)
            try:
                refusal = http.refusal(url, ALL_HOSTS)
            finally:
                await http.aclose()
            if refusal is None and not host[0].isalpha():
                # The address it would connect to, judged as when it dials (a name's, as DNS answers).
                refusal = address_refusal(host, policy.allowed_networks)
            if refusal is None:
                break
            told.append(refusal)
            values = re.findall(r"\(comma-separated: ([^)]*)\)", refusal)
            assert values, refusal
            environ["ANALYZER_HTTP_ALLOWED_HOSTS"] = values[0]
            if len(values) > 1:
                environ["ANALYZER_HTTP_ALLOWED_NETWORKS"] = values[1]
        assert len(told) == 1, told


class TestHopCookieOrder:
    """The cookies a request's hops set go out in the order of Chromium's store: the longer Path first, then the
    earlier set, a cookie set again with its value keeping its place."""

    @pytest.mark.parametrize(
        ("again", "sent"),
        [
            # rev26h: the count of lines taken not kept survived; every cookie then went out in the order last set.
            ("session=s1; Path=/", ["session=s1", "theme=dark"]),
            ("session=s2; Path=/", ["theme=dark", "session=s2"]),
        ],
    )
    def test_a_cookie_set_again_with_its_value_keeps_its_place(self, again, sent):
        hops = _HopCookies()
        request = httpx.Request("GET", "http://shop.svc/login")
        for line in ("session=s1; Path=/", "theme=dark; Path=/", again):
            hops.take(line, 302, "http://shop.svc/login", request)
        assert [held.pair for held in hops.sent_to("http://shop.svc/app")] == sent

    def test_a_cookie_of_a_longer_path_goes_first_though_set_later(self):
        # Chromium sorts by the Path's length, not the host's (mut27: the identity's host read for its Path survived:
        # cookies of one host then went in the order set, and a server reading the first session read the older one).
        hops = _HopCookies()
        request = httpx.Request("GET", "http://shop.svc/login")
        for line in ("session=site; Path=/", "session=app; Path=/app"):
            hops.take(line, 302, "http://shop.svc/login", request)
        assert [held.pair for held in hops.sent_to("http://shop.svc/app/cart")] == ["session=app", "session=site"]


class TestShownHop:
    """A redirect hop an error names shows its host and path, the SRE's lead to the redirect, and no credential."""

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("https://auth.shop.svc/login/callback?state=x", "https://auth.shop.svc/login/callback"),
            # A git SHA or a UUID in a path says which object, and is no credential.
            (
                "https://git.shop.svc/commit/33a64df551425fcc55e4d42a148795d9f25f89d4",
                "https://git.shop.svc/commit/33a64df551425fcc55e4d42a148795d9f25f89d4",
            ),
            (
                "https://shop.svc/orders/550e8400-e29b-41d4-a716-446655440000",
                "https://shop.svc/orders/550e8400-e29b-41d4-a716-446655440000",
            ),
            # A magic link's token in the path: no query to drop it with.
            (
                "https://auth.shop.svc/magic/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "https://auth.shop.svc/magic/<redacted>",
            ),
            ("https://s3.shop.svc/AKIAIOSFODNN7EXAMPLE/report", "https://s3.shop.svc/<redacted>/report"),
        ],
    )
    def test_shown(self, url, shown):
        assert _shown(url) == shown
