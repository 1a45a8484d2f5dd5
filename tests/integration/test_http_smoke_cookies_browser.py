"""http_smoke sends on a redirect's hops the cookies Debian's chromium sends there: each case is played by a real
headless chromium and by the kind against one server on 127.0.0.1, and the last hop's Cookie header compared."""

from __future__ import annotations

import email.utils
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from analyzer.sources.http import HostAllowList, HttpClient, HttpPolicy
from analyzer.sources.httppolicy import parse_networks
from tests.integration.chromium import headless_chromium
from tests.integration.test_http_smoke import run
from tests.network_guard import StubResolver, loopback_only  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("loopback_only")]

HOST = "preview.shop.svc"
NOW_S = time.time()


def http_date(time_s: float) -> str:
    return email.utils.formatdate(time_s, usegmt=True)


@dataclass(frozen=True)
class Case:
    """A login page's Set-Cookie lines (`{P}` is the path the case is served under), a redirect's headers, the
    Cookie header the check writes (a value captured from the login's cookie `session`, or a literal), and the one
    chromium 156 sends to the page the redirect leads to (so a chromium that changes is seen as such)."""

    login: tuple[str, ...]
    hop: tuple[tuple[str, str], ...]
    chromium_sends: str | None
    written: str | None = "session={{ sid }}"


CASES = {
    # A session a hop sets for another Path or Domain than the captured one is another cookie: both go, the longer
    # Path first, then the earlier set.
    "a hop's session of a shorter path": Case(
        ("session=s3ss10n; Path={P}/app",),
        (("Set-Cookie", "session=gu3st; Path=/"),),
        "session=s3ss10n; session=gu3st",
    ),
    "a hop's session of a longer path": Case(
        ("session=s3ss10n; Path={P}/app",),
        (("Set-Cookie", "session=gu3st; Path={P}/app/profile"),),
        "session=gu3st; session=s3ss10n",
    ),
    "a hop's session of the same scope": Case(
        ("session=s3ss10n; Path={P}/app",), (("Set-Cookie", "session=gu3st; Path={P}/app"),), "session=gu3st"
    ),
    "a hop's session for the domain": Case(
        ("session=s3ss10n; Path={P}/app",),
        (("Set-Cookie", "session=gu3st; Path={P}/app; Domain=shop.svc"),),
        "session=s3ss10n; session=gu3st",
    ),
    # Of the hops' own cookies too: a Domain that is the host's parent or the host itself is another cookie, and
    # one of a longer Path goes first even when set later.
    "two hop sessions, for the domain and for the host as Domain": Case(
        (),
        (
            ("Set-Cookie", "session=a; Path={P}; Domain=shop.svc"),
            ("Set-Cookie", "session=b; Path={P}; Domain=preview.shop.svc"),
        ),
        "session=a; session=b",
        None,
    ),
    "two hop cookies, the longer path set later": Case(
        (), (("Set-Cookie", "a=1; Path={P}"), ("Set-Cookie", "b=2; Path={P}/app")), "b=2; a=1", None
    ),
    # A cookie set again with its value keeps its place (chromium keeps its creation time), one set with another
    # value goes after those set before it.
    "a session set again with its value": Case(
        (),
        (
            ("Set-Cookie", "s=x; Path={P}"),
            ("Set-Cookie", "s=y; Path={P}; Domain=shop.svc"),
            ("Set-Cookie", "s=x; Path={P}"),
        ),
        "s=x; s=y",
        None,
    ),
    "a session set again with another value": Case(
        (),
        (
            ("Set-Cookie", "s=x; Path={P}"),
            ("Set-Cookie", "s=y; Path={P}; Domain=shop.svc"),
            ("Set-Cookie", "s=z; Path={P}"),
        ),
        "s=y; s=z",
        None,
    ),
    # A nameless cookie (RFC 6265bis: name "", value `session`) beside the named one, in either order.
    "a nameless session after a named one": Case(
        (), (("Set-Cookie", "session=x; Path={P}"), ("Set-Cookie", "session; Path={P}")), "session=x; session", None
    ),
    "a nameless session before a named one": Case(
        (), (("Set-Cookie", "session; Path={P}"), ("Set-Cookie", "session=x; Path={P}")), "session; session=x", None
    ),
    # The check's own cookie (chromium's from its login page), and a nameless hop cookie of its name.
    "a nameless session beside a written one": Case(
        ("session=abc; Path={P}",), (("Set-Cookie", "session; Path={P}"),), "session=abc; session", "session=abc"
    ),
    # A captured session, whose scope is known, and a nameless hop cookie of its name and scope: both go (the
    # nameless one replaced no named cookie).
    "a nameless session beside a captured one of its scope": Case(
        ("session=s3ss10n; Path={P}/app",), (("Set-Cookie", "session; Path={P}/app"),), "session=s3ss10n; session"
    ),
    # A deletion of either deletes that one alone.
    "a named session deleted beside a nameless one": Case(
        (),
        (
            ("Set-Cookie", "session; Path={P}"),
            ("Set-Cookie", "session=x; Path={P}"),
            ("Set-Cookie", "session=; Path={P}; Max-Age=0"),
        ),
        "session",
        None,
    ),
    "a nameless session deleted beside a written one": Case(
        ("session=abc; Path={P}",), (("Set-Cookie", "session; Path={P}; Max-Age=0"),), "session=abc", "session=abc"
    ),
    # An Expires is read by the answer's Date: behind ours, ahead, far ahead.
    "an expires past by our clock, not by a date behind": Case(
        (),
        (("Date", http_date(NOW_S - 3600)), ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S - 1800)}")),
        "c=v",
        None,
    ),
    "an expires a second before a date ahead": Case(
        (),
        (("Date", http_date(NOW_S + 3600)), ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 3599)}")),
        None,
        None,
    ),
    # Of two Date lines the first is the server's clock (the latest deleted a cookie chromium keeps), and a first
    # that names no time is none: our clock reads the Expires.
    "two dates, the later first": Case(
        (),
        (
            ("Date", http_date(NOW_S + 3600)),
            ("Date", http_date(NOW_S)),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 1800)}"),
        ),
        None,
        None,
    ),
    "two dates, the later last": Case(
        (),
        (
            ("Date", http_date(NOW_S)),
            ("Date", http_date(NOW_S + 3600)),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 1800)}"),
        ),
        "c=v",
        None,
    ),
    "a date that names no time, then one ahead": Case(
        (),
        (
            ("Date", "soon"),
            ("Date", http_date(NOW_S + 3600)),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 1800)}"),
        ),
        "c=v",
        None,
    ),
    # A Date in the zone it names after its time: an hour east of UTC, a session for half an hour is kept; an hour
    # west, a sign-out's Expires a second before it deletes (read as UTC, the first was deleted and the second kept).
    "a date an hour east of utc": Case(
        (),
        (
            ("Date", http_date(NOW_S + 3600).replace("GMT", "+0100")),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 1800)}"),
        ),
        "c=v",
        None,
    ),
    "a sign-out dated an hour west of utc": Case(
        (),
        (
            ("Date", http_date(NOW_S - 3600).replace("GMT", "-0100")),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S - 1)}"),
        ),
        None,
        None,
    ),
    "a sign-out dated in pacific time": Case(
        (),
        (
            ("Date", http_date(NOW_S - 8 * 3600).replace("GMT", "PST")),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S - 1)}"),
        ),
        None,
        None,
    ),
    "an expires a day ahead, a date ten years ahead": Case(
        (),
        (
            ("Date", http_date(NOW_S + 3650 * 86400)),
            ("Set-Cookie", f"c=v; Path={{P}}; Expires={http_date(NOW_S + 86400)}"),
        ),
        None,
        None,
    ),
}


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[int, dict[str, str | None]]]:
    """A server on 127.0.0.1 that plays each case under /<index>/<who>: `app/login` sets the case's login cookies,
    `app/orders` redirects to `app/profile` with the case's hop headers, and every other page answers 200; with the
    Cookie header of each request to a profile page, by its path."""
    cases = list(CASES.values())
    profiles: dict[str, str | None] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index, _, rest = self.path.strip("/").partition("/")
            who, _, page = rest.partition("/")
            prefix = f"/{index}/{who}"
            case = cases[int(index)] if index.isdigit() else None
            headers: list[tuple[str, str]] = []
            status = 200
            if case is not None and page == "app/login":
                headers = [("Set-Cookie", line.replace("{P}", prefix)) for line in case.login]
            elif case is not None and page == "app/orders":
                status = 302
                headers = [(name, value.replace("{P}", prefix)) for name, value in case.hop]
                headers.append(("Location", f"{prefix}/app/profile"))
            elif page == "app/profile":
                profiles[self.path] = self.headers.get("Cookie")
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], profiles
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium that reaches the site's names on 127.0.0.1 and nothing else."""
    with headless_chromium((HOST,)) as driver:
        yield driver


@pytest.fixture
async def client() -> Any:
    """A client that reaches the site's names on 127.0.0.1."""
    http = HttpClient(
        HttpPolicy(allowed_hosts=HostAllowList.parse(["*.svc"]), allowed_networks=parse_networks(["127.0.0.0/8"])),
        resolver=StubResolver({HOST: ["127.0.0.1"]}),
    )
    yield http
    await http.aclose()


class TestHopCookiesAsChromiumSendsThem:
    """The Cookie header a redirect's last hop carries is the one chromium sends there, cookie for cookie and in its
    order (a server that reads one cookie of a name reads the first)."""

    @pytest.mark.parametrize("index", range(len(CASES)), ids=list(CASES))
    async def test_the_last_hop_carries_what_chromium_sends(self, browser, site, client, index):
        port, profiles = site
        case = list(CASES.values())[index]
        browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
        base = f"http://{HOST}:{port}/{index}"
        if case.login:
            browser.get(f"{base}/chromium/app/login")
        browser.get(f"{base}/chromium/app/orders")
        steps: list[dict[str, Any]] = []
        if case.login and case.written and "{{" in case.written:
            steps.append({"name": "login", "path": "/app/login", "capture": {"sid": {"cookie": "session"}}})
        orders: dict[str, Any] = {"name": "orders", "path": "/app/orders", "follow_redirects": True}
        if case.written:
            orders["headers"] = {"Cookie": case.written}
        steps.append(orders)
        check = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": f"{base}/analyzer",
            "allowed_hosts": ["*.svc"],
            "steps": steps,
        }
        evaluation = await run(check, client)
        assert evaluation.verdict == "pass", evaluation.reason
        assert profiles[f"/{index}/chromium/app/profile"] == case.chromium_sends
        assert profiles[f"/{index}/analyzer/app/profile"] == case.chromium_sends
