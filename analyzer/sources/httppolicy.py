"""The operator's limits on HTTP checks: host allow-lists, networks never dialled unless allowed, body cap.
No httpx here: settings need these types, and a Job without an HTTP check should not import the client."""

from __future__ import annotations

import functools
import ipaddress
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from analyzer.catalog_paths import file_state
from analyzer.sources.hosts import DEFAULT_ALLOWED_HOSTS

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


@dataclass(frozen=True)
class HostAllowList:
    """Host-name patterns: `name`, `*.suffix` (one or more labels), `*` (any name), or an IP / CIDR."""

    patterns: tuple[str, ...]

    @classmethod
    def parse(cls, patterns: Iterable[str]) -> HostAllowList:
        """Validate the patterns; ValueError names the first bad one."""
        cleaned = []
        for raw in patterns:
            pattern = raw.strip().lower()
            # One trailing dot is the DNS root ("a.svc." is "a.svc"); "*." must not become "*".
            if pattern.endswith(".") and pattern != "*.":
                pattern = pattern[:-1]
            if pattern != "*" and not _valid_pattern(pattern):
                raise ValueError(
                    f"{raw!r} is not a host pattern (name, *.suffix, *, IP address or CIDR){_a_labels_hint(pattern)}"
                )
            cleaned.append(pattern)
        return cls(tuple(cleaned))

    def allows(self, host: str) -> bool:
        """Whether `host` (a name or an IP literal) matches a pattern."""
        host = host.lower().strip("[]")
        # One trailing dot is the DNS root; "a.svc.." is not a name and must not match "*.svc".
        host = host[:-1] if host.endswith(".") else host
        address = ip_or_none(host)
        for pattern in self.patterns:
            if pattern == "*":
                return True
            if address is not None:
                network = _network_or_none(pattern)
                if network is not None and address in network:
                    return True
            elif pattern.startswith("*."):
                if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                    return True
            elif host == pattern:
                return True
        return False

    def __str__(self) -> str:
        return ", ".join(self.patterns) or "nothing"


def _a_labels_hint(pattern: str) -> str:
    """For a bad pattern that is an internationalized name written in Unicode (`bücher.shop.svc`), what to write: its
    A-labels, as httpx encodes a URL's host and as hosts are matched; "" for any other bad pattern."""
    if pattern.isascii():
        return ""
    # Imported here: its tables take a few ms, which settings without such a pattern never pay.
    import idna

    wildcard, name = ("*.", pattern[2:]) if pattern.startswith("*.") else ("", pattern)
    try:
        written = wildcard + idna.encode(name).decode("ascii")
    except UnicodeError:
        return ""
    return f"; write an internationalized name in its A-labels, as hosts are matched: {written!r}"


def _valid_pattern(pattern: str) -> bool:
    if _network_or_none(pattern) is not None:
        return True
    name = pattern[2:] if pattern.startswith("*.") else pattern
    return bool(_DNS_NAME_RE.fullmatch(name))


def set_cookie_attributes(attributes: Iterable[str]) -> dict[str, str]:
    """The attributes of a Set-Cookie line (the `name=value` texts after its first `;`) that browsers act on, names in
    lower case, as RFC 6265 5.2 and 5.3 read them: of one given twice the last; a Max-Age that is not an integer, an
    Expires that is no date (see cookie_expiry_s) and an empty Domain ignored (the one before it counting); a Path that
    does not start with '/' read as none (the default path), whatever Path came before."""
    found: dict[str, str] = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        name, value = name.strip().lower(), value.strip()
        if (
            (name == "max-age" and not re.fullmatch(r"-?[0-9]+", value))
            or (name == "expires" and cookie_expiry_s(value) is None)
            or (name == "domain" and not value)
        ):
            continue
        found.pop(name, None)
        if name != "path" or value.startswith("/"):
            found[name] = value
    return found


# RFC 6265 5.1.1: a cookie-date's tokens, split at its delimiters, and the forms of the four it is read from (each
# may be followed by a non-digit and anything: `00:00:00GMT`, `01st`).
_COOKIE_DATE_DELIMITERS_RE = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_COOKIE_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_COOKIE_DAY_RE = re.compile(r"([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_COOKIE_YEAR_RE = re.compile(r"([0-9]{2,4})(?:[^0-9].*)?", re.DOTALL)
_COOKIE_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def cookie_expiry_s(text: str) -> float | None:
    """The time (Unix seconds) a Set-Cookie's Expires names, read as browsers read a cookie-date (RFC 6265 5.1.1: the
    first time, day, month and year among its tokens, whatever their order and whatever else it holds); None when it
    names none (a part missing or out of range, a year before 1601, a day its month lacks)."""
    time_of_day: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _COOKIE_DATE_DELIMITERS_RE.split(text):
        if time_of_day is None and (found := _COOKIE_TIME_RE.fullmatch(token)):
            time_of_day = (int(found[1]), int(found[2]), int(found[3]))
        elif day is None and (found := _COOKIE_DAY_RE.fullmatch(token)):
            day = int(found[1])
        elif month is None and token[:3].lower() in _COOKIE_MONTHS:
            month = _COOKIE_MONTHS.index(token[:3].lower()) + 1
        elif year is None and (found := _COOKIE_YEAR_RE.fullmatch(token)):
            year = int(found[1])
    if time_of_day is None or day is None or month is None or year is None:
        return None
    # Two digits: 70-99 are 1970-1999, 00-69 are 2000-2069.
    year += 1900 if 70 <= year <= 99 else 2000 if year <= 69 else 0
    hour, minute, second = time_of_day
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except ValueError:
        # 31 February: no such date.
        return None


# The zone a Date names after its time of day, as Chromium reads it (PR_ParseTimeString, prtime.cc): a word, known by
# its first three letters, then an offset of one, two or four digits (`+0100`, `GMT+0100`).
_DATE_ZONE_RE = re.compile(
    r"[0-9]{1,2}:[0-9]{1,2}(?::[0-9]{1,2})?(?:\.[0-9]*)?[ \t]*(?P<name>[A-Za-z]*)[ \t]*"
    r"(?:(?P<sign>[+-])(?P<digits>[0-9]{4}|[0-9]{1,2})(?![0-9]))?"
)
# Minutes east of UTC of the zones Chromium knows other than GMT (a summer one with its hour).
_DATE_ZONES = {
    "pst": -480,
    "pdt": -420,
    "mst": -420,
    "mdt": -360,
    "cst": -360,
    "cdt": -300,
    "est": -300,
    "edt": -240,
    "ast": -240,
    "nst": -210,
    "bst": 60,
    "met": 60,
    "eet": 120,
    "jst": 540,
}


def _date_zone_s(text: str) -> int:
    """How far east of UTC (seconds) the zone a Date line names after its time of day lies: 0 for none, or for one
    Chromium does not know (`CET`, `UTC`), as it reads it."""
    found = _DATE_ZONE_RE.search(text)
    if found is None:
        return 0
    zone = _DATE_ZONES.get(found["name"][:3].lower())
    if zone is None and found["sign"]:
        # An offset after GMT, UT or no zone Chromium knows is the zone; after another zone, ignored.
        digits = found["digits"]
        minutes = int(digits[:2]) * 60 + int(digits[2:]) if len(digits) == 4 else int(digits) * 60
        return (minutes if found["sign"] == "+" else -minutes) * 60
    return (zone or 0) * 60


def answer_date_s(dates: Iterable[str]) -> float | None:
    """The time (Unix seconds) an answer's first Date line names, read as a cookie-date is (RFC 9110's three forms
    among them) in the zone it names (see _date_zone_s); None when it names none, whatever later lines name. Chromium
    reads the first line alone (the latest of lines that differ deleted a cookie it keeps), and its zone: read as UTC,
    `17:00:00 -0100` (18:00 UTC) was an hour behind, and a sign-out's Expires a second before it kept the session."""
    first = next(iter(dates), None)
    if first is None or (time_s := cookie_expiry_s(first)) is None:
        return None
    return time_s - _date_zone_s(first)


def cookie_life_s(attributes: Mapping[str, str], date_s: float | None, now_s: float) -> float | None:
    """How long from `now_s` a cookie set with these attributes (as set_cookie_attributes reads them) by an answer
    dated `date_s` (see answer_date_s) lives: its Max-Age, which wins, else the time from the answer's Date (our clock
    without one) to its Expires; 0 or less when the line deletes it; None for a session cookie (neither).
    Chromium reads an Expires by the server's clock (canonical_cookie.cc, ParseExpiration: the Expires plus our time
    less the answer's Date): read by ours, a sign-out whose Expires is a second before its Date, from a server whose
    clock runs ahead, left the session set (a redirect that signs users out passed), and a session for half an hour
    from a server whose clock runs an hour behind was deleted where users keep it."""
    max_age = attributes.get("max-age", "")
    if re.fullmatch(r"-?[0-9]+", max_age):
        return float(int(max_age))
    expiry_s = cookie_expiry_s(attributes.get("expires", ""))
    if expiry_s is None:
        return None
    return expiry_s - (date_s if date_s is not None else now_s)


def cookie_path(attributes: Mapping[str, str], url: str) -> str:
    """The path of a cookie an answer from `url` sets with these attributes (as set_cookie_attributes reads them; RFC
    6265 5.2.4): its Path when that starts with '/', else the default path of `url` (5.1.4: its path up to its last
    '/', or '/')."""
    path = attributes.get("path", "")
    if path.startswith("/"):
        return path
    return (urlsplit(url).path or "/").rpartition("/")[0] or "/"


def cookie_domain(attributes: Mapping[str, str], host: str) -> str:
    """The Domain of a cookie an answer from `host` sets with these attributes (as set_cookie_attributes reads them),
    "" for one browsers keep for that host alone: none given, or the host itself when that is an IP address or a public
    suffix (RFC 6265 5.3 step 5: `Domain=github.io` from github.io goes to no a.github.io)."""
    domain = attributes.get("domain", "").lower().removeprefix(".")
    if domain == host and (ip_or_none(host) is not None or is_public_suffix(domain)):
        return ""
    return domain


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # The list publicsuffixlist ships (no download); read on first use, about 60 ms, which a Job whose checks set no
    # cookie with a Domain never pays.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def is_public_suffix(name: str) -> bool:
    """Whether a host name is a public suffix (the Public Suffix List, its ICANN and private parts, as browsers use
    it: `co.uk`, `github.io`; and by its default rule every name of one label, `svc`): no cookie may name it as its
    Domain for a host under it (RFC 6265 5.3 step 5)."""
    return bool(_public_suffix_list().is_public(name.lower()))


def ip_or_none(text: str) -> IPAddress | None:
    """The IP address `text` spells, or None when it is not one (a host name)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _network_or_none(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


# Never dialled unless the operator lists them in the allowed networks (checked on the IPv4 address an IPv6
# address embeds, so ::ffff:127.0.0.1 is judged as IPv4). The IPv6 ones are unique-local addresses, which cluster
# ranges use, so no range rule refuses them: AWS's IMDS and EKS Pod Identity Agent (which hands out credentials),
# Google Cloud's, Oracle Cloud's, Scaleway's and Akamai's (Linode) metadata servers, as their SDKs and cloud-init
# name them.
_METADATA = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.169.254/32",
        "100.100.100.200/32",
        "192.0.0.192/32",
        "168.63.129.16/32",
        "fd00:ec2::254/128",
        "fd00:ec2::23/128",
        "fd20:ce::254/128",
        "fd00:c1::a9fe:a9fe/128",
        "fd00:42::42/128",
        "fd00:a9fe:a9fe::1/128",
    )
)
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
# RFC 6598 shared address space (carrier-grade NAT): not a cluster range by default, and one cloud's metadata
# service answers inside it.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_BROADCAST = ipaddress.ip_address("255.255.255.255")
# Prefixes whose last 32 bits are the IPv4 address of the same host: IPv4-compatible (::a.b.c.d, deprecated)
# and SIIT (::ffff:0:a.b.c.d). Judged as that IPv4 address.
_EMBEDDING_96 = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96"))
# Transition prefixes that carry packets to an IPv4 address through a relay or translator, so the address
# dialled is not the host reached. Refused as a whole unless the operator allows the IPv6 range; even then the
# IPv4 address they reach is judged too. NAT64 prefixes are taken as /96 (the IPv4 address in the last 32
# bits), which the well-known prefix requires and DNS64 deployments of the local-use one (RFC 8215) use.
_TEREDO = ipaddress.ip_network("2001::/32")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def parse_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs (or single addresses); ValueError names the first bad one."""
    parsed = []
    for text in networks:
        network = _network_or_none(text.strip())
        if network is None:
            raise ValueError(f"{text!r} is not an IP network such as 127.0.0.0/8 or ::1")
        parsed.append(network)
    return tuple(parsed)


def _same_host_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address spells for the same host (mapped, compatible, SIIT), else `ip`."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    # :: and ::1 are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
    if int(ip) > 1 and any(ip in network for network in _EMBEDDING_96):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _tunnel(ip: IPAddress) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """The transition mechanism of an IPv6 address and the IPv4 addresses it may reach, or None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip in _TEREDO:
        assert ip.teredo is not None
        server, client = ip.teredo
        return "Teredo", [client, server]
    if ip in _SIX_TO_FOUR:
        assert ip.sixtofour is not None
        return "6to4", [ip.sixtofour]
    for network, kind in ((_NAT64, "NAT64"), (_NAT64_LOCAL, "local-use NAT64")):
        if ip in network:
            return kind, [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def _blocked_reason(ip: IPAddress) -> str | None:
    if any(ip in network for network in _METADATA if network.version == ip.version):
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "an unspecified address"
    if ip.is_multicast or ip == _BROADCAST:
        return "a multicast or broadcast address"
    if isinstance(ip, ipaddress.IPv6Address) and ip in _SITE_LOCAL:
        return "a site-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "a shared address (100.64.0.0/10, carrier-grade NAT)"
    if ip.is_reserved:
        return "a reserved address"
    return None


def _listed(ip: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(ip in network for network in networks if network.version == ip.version)


def _refusal(ip: IPAddress, allowed_networks: Iterable[IPNetwork]) -> str | None:
    if _listed(ip, allowed_networks):
        return None
    reason = _blocked_reason(ip)
    return None if reason is None else f"{ip} is {reason}"


def address_refusal(address: str, allowed_networks: Iterable[IPNetwork]) -> str | None:
    """Why the analyzer will not connect to `address`, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    allowed_networks = tuple(allowed_networks)
    tunnel = _tunnel(ip)
    if tunnel is None:
        return _refusal(_same_host_ipv4(ip), allowed_networks)
    kind, reached = tunnel
    for ipv4 in reached:
        refusal = _refusal(ipv4, allowed_networks)
        if refusal:
            return f"{refusal} (embedded in the {kind} address {ip})"
    if not _listed(ip, allowed_networks):
        return (
            f"{ip} is a {kind} address (it reaches IPv4 {reached[0]} through a relay or translator; allow "
            f"the IPv6 range to use it)"
        )
    return None


def address_to_allow(address: str, allowed_networks: Iterable[IPNetwork]) -> str | None:
    """The one address whose listing in the allowed networks would let the analyzer connect to `address` (refused
    now): itself, or the IPv4 address it spells (::ffff:127.0.0.1 is judged as 127.0.0.1); None when no one address
    would do (a transition address, whose IPv6 range and IPv4 address both need listing)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    allowed_networks = tuple(allowed_networks)
    for candidate in dict.fromkeys((ip, _same_host_ipv4(ip))):
        if address_refusal(str(ip), (*allowed_networks, ipaddress.ip_network(candidate))) is None:
            return str(candidate)
    return None


def ca_context(path: Path) -> ssl.SSLContext:
    """A TLS client context that verifies servers (and their host names) against the CAs of `path` only; OSError or
    ssl.SSLError when it cannot be read or holds no PEM certificate."""
    context = ssl.create_default_context(cafile=str(path))
    context.set_alpn_protocols(["http/1.1"])
    return context


def ca_problem(exc: ssl.SSLError) -> str:
    """What is wrong with a CA file OpenSSL refused, in words (a DER file, a key, an empty file: no PEM certificate)."""
    if exc.reason == "NO_CERTIFICATE_OR_CRL_FOUND":
        return "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return f"a PEM certificate in it cannot be read ({exc.reason or exc.strerror or exc})"


def ca_file_problem(path: Path, context: dict[str, Any] | None) -> str | None:
    """Why a check's ca_file cannot verify a server, as the catalog loads (None when it can, or when the catalog's
    validation `context` says files are not looked at: `analyzer validate` in CI, where the pod's files are not)."""
    context = context or {}
    if not context.get("check_files", True):
        return None
    if "named_files" in context:
        # Looked at before it is opened: a file that changes after still differs from what was found.
        context["named_files"][path] = file_state(path)
    try:
        ca_context(path)
    except ssl.SSLError as exc:
        return f"ca_file {str(path)!r} is not a CA bundle: {ca_problem(exc)}"
    except OSError as exc:
        return f"ca_file {str(path)!r} cannot be read: {exc.strerror or exc}"
    return None


# The pause before a request's first retry when it could not connect; it doubles at every retry.
RETRY_PAUSE_S = 0.1


def retry_pauses_s(retries: int) -> float:
    """What the pauses before `retries` retries of a request that could not connect take together."""
    return RETRY_PAUSE_S * ((1 << retries) - 1)


@dataclass(frozen=True)
class HttpPolicy:
    """The operator's limits on every HTTP check: host names, extra allowed networks, body cap and budget."""

    allowed_hosts: HostAllowList = field(default_factory=lambda: HostAllowList(DEFAULT_ALLOWED_HOSTS))
    allowed_networks: tuple[IPNetwork, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_connections: int = 64
    # Bytes of response body all in-flight HTTP check requests may hold at once (see Settings).
    body_budget_bytes: int = 32 * 1024 * 1024
