"""http_smoke reads an HTML page's `<meta charset>` where Debian's chromium reads it: each page is served from
127.0.0.1 to a real headless chromium (driven by selenium, every other name unresolvable) and judged by the kind."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from analyzer.sources.http import HttpExchange
from checks.http_smoke.judge import judge_exchange
from checks.http_smoke.spec import Step
from tests.integration.chromium import headless_chromium
from tests.unit.test_http_smoke import META_HEADS_DECLARING, META_HEADS_NAMING_NOTHING

pytestmark = pytest.mark.integration

ERROR = "\u30a8\u30e9\u30fc"
META = "<meta charset=shift_jis>"
# What puts a meta past the prescan's 1024 bytes.
PAD = "<!-- " + "x" * 1100 + " -->"
# UTF-8 pages holding エラー with a Shift_JIS meta at places browsers read or pass over: read in Shift_JIS, the page
# holds no エラー. Chromium reads a UTF-8 page that declares nothing as windows-1252 (it detects no UTF-8), never as
# Shift_JIS: its characterSet says whether it read the meta.
PAGES = {
    "in the prescan's bytes": f"<html><head>{META}</head><body>{ERROR}",
    "in the prescan's bytes, after a doctype": f"<!DOCTYPE html><html><head>{META}</head><body>{ERROR}",
    "in the prescan's bytes, after text holding <": f"<html><head><title>t</title>1 < 2 {META}</head><body>{ERROR}",
    "past them, after text holding <": f"<html><head>{PAD}1 < 2 {META}</head><body>{ERROR}",
    "in the prescan's bytes, after text ending in <": f"<html><head><title>t</title>1 <{META}</head><body>{ERROR}",
    "in the prescan's bytes, an end tag </meta charset>": f"<html><head></meta charset=shift_jis></head><body>{ERROR}",
    "in the body, in the prescan's bytes": f"<html><head></head><body><b></b>{META}{PAD}{ERROR}",
    "in the prescan's bytes, in a script": f"<html><head><script>document.write('{META}')</script><body>{ERROR}",
    "in the prescan's bytes, in a title": f"<html><head><title>&lt;x {META}</title></head><body>{ERROR}",
    "in the prescan's bytes, in a style": f"<html><head><style>/* {META} */</style></head><body>{ERROR}",
    "in the prescan's bytes, in a textarea": f"<html><head></head><body><textarea>{META}</textarea>{ERROR}",
    "past them, after a comment in the head": f"<html><head>{PAD}{META}</head><body>{ERROR}",
    "past them, after a script in the head": f"<html><head><script>var p='{'x' * 1100}'</script>{META}<body>{ERROR}",
    "past them, after a link, an object and a base": f"<html><head>{PAD}<link rel=x href=y><object></object>"
    f"<base href=/>{META}</head><body>{ERROR}",
    "past them, after text in the head": f"<html><head>{PAD}hello{META}</head><body>{ERROR}",
    "past them, in a noscript": f"<html><head>{PAD}<noscript>{META}</noscript></head><body>{ERROR}",
    "past them, after a long attribute": f"<html><head><link href='{'x' * 1100}'>{META}</head><body>{ERROR}",
    "past them, in the body": f"<html><head><title>t</title></head><body>{PAD}{META}{ERROR}",
    "past them, after text in the body": f"<body>{' ' * 2000}{META}{ERROR}",
    "past them, a link after the head has ended": f"<html><head><title>t</title></head><body><link>{PAD}{META}{ERROR}",
    "at byte 1023, text before it": f"<html><head><title>t</title></head><body><!-- {'x' * 972} -->y{META}{ERROR}",
    "at byte 1024, text before it": f"<html><head><title>t</title></head><body><!-- {'x' * 973} -->y{META}{ERROR}",
    "at byte 1023, the head ended": f"<html><head><title>t</title></head><body><!-- {'x' * 973} -->{META}{ERROR}",
    "at byte 1024, the head ended": f"<html><head><title>t</title></head><body><!-- {'x' * 974} -->{META}{ERROR}",
    "past them, after a tag of no head": f"<html><head><div></div>{PAD}{META}{ERROR}",
    "past them, after a template": f"<html><head>{PAD}<template></template>{META}{ERROR}",
    "past them, after the head's end tag": f"<html><head>{PAD}<title>t</title></head>{META}<body>{ERROR}",
    "past them, in a title": f"<html><head>{PAD}<title>&lt;x {META}</title></head><body>{ERROR}",
    "past them, in a script": f"<html><head>{PAD}<script>var s = '{META}'</script></head><body>{ERROR}",
    "past them, in a style": f"<html><head>{PAD}<style>/* {META} */</style></head><body>{ERROR}",
    "past them, in a comment": f"<html><head>{PAD}<!-- {META} --></head><body>{ERROR}",
    "past them, after a comment ended by --!>": f"<html><head>{PAD[:-4]} --!>{META}</head><body>{ERROR}",
    "past them, in a script's <!-- <script>": f"<html><head>{PAD}<script><!--<script></script>{META}--></script>"
    f"</head><body>{ERROR}",
    "past them, after a script's <!-- <script> -->": f"<html><head>{PAD}<script><!--<script>--></script>{META}"
    f"</head><body>{ERROR}",
    "past them, after a script's <!-- <!--> <script>": f"<html><head>{PAD}<script><!-- <!--> <script></script>{META}"
    f"</head><body>{ERROR}",
    "past them, in a script's <!--<script><!--": f"<html><head>{PAD}<script><!--<script><!--</script>{META}-->"
    f"</script></head><body>{ERROR}",
    "past them, after a script's <!--<script><!-->": f"<html><head>{PAD}<script><!--<script><!--></script>{META}"
    f"</head><body>{ERROR}",
    "past them, after a script's <!--<script></script>": f"<html><head>{PAD}<script><!--<script></script></script>"
    f"{META}</head><body>{ERROR}",
    "in the body, in the prescan's bytes, after --!>": f"<html><head></head><body><!-- x --!>{META}{PAD}{ERROR}",
    "in the prescan's bytes, after a comment": f"<!-- a > b --><html><head>{META}</head><body>{ERROR}",
    "in the prescan's bytes, in a noscript": f"<html><head><noscript>{META}</noscript></head><body>{ERROR}",
    "in the prescan's bytes, after an html tag quoting >": f"<html lang='a>b' data-x=\"<meta charset=euc-jp>\">"
    f"<head>{META}</head><body>{ERROR}",
    "in the prescan's bytes, in a template": f"<html><head><template>{META}</template></head><body>{ERROR}",
    "in the prescan's bytes, after a plaintext": f"<html><head></head><body><plaintext>{META}{ERROR}",
    "in the prescan's bytes, a character reference in its label": "<html><head><meta charset='shift&#95;jis'>"
    f"</head><body>{ERROR}",
    "in the prescan's bytes, a named reference in its content": "<html><head><meta http-equiv=content-type "
    f"content='text/html;charset&equals;shift_jis'></head><body>{ERROR}",
    "in the prescan's bytes, a hex reference in its label": "<html><head><meta charset=&#x53;hift_JIS>"
    f"</head><body>{ERROR}",
    "in the prescan's bytes, a named reference in its label": "<html><head><meta charset=shift&UnderBar;jis>"
    f"</head><body>{ERROR}",
    "in the prescan's bytes, a reference in its http-equiv": '<html><head><meta http-equiv="Content&#45;Type" '
    f'content="text/html; charset=Shift_JIS"></head><body>{ERROR}',
    "in the prescan's bytes, after a plaintext's end tag": f"<html><head></head><body><plaintext></plaintext>{META}"
    f"{ERROR}",
    "in the prescan's bytes, after a plaintext end tag alone": f"<html><head></plaintext>{META}</head><body>{ERROR}",
    "in the prescan's bytes, an empty charset before the pragma": '<html><head><meta charset="" http-equiv='
    f'"Content-Type" content="text/html; charset=shift_jis"></head><body>{ERROR}',
    "in the prescan's bytes, an empty charset twice": '<html><head><meta charset="" charset="shift_jis">'
    f"</head><body>{ERROR}",
    "in the prescan's bytes, an unknown charset before the pragma": '<html><head><meta charset="x-no" http-equiv='
    f'"Content-Type" content="text/html; charset=shift_jis"></head><body>{ERROR}',
    "in the prescan's bytes, a charset then another": '<html><head><meta charset="utf-8" charset="shift_jis">'
    f"</head><body>{ERROR}",
    "in the prescan's bytes, a charset after another": '<html><head><meta charset="shift_jis" charset="utf-8">'
    f"</head><body>{ERROR}",
    "in the prescan's bytes, an empty charset after the pragma": '<html><head><meta http-equiv="Content-Type" '
    f'content="text/html; charset=shift_jis" charset=""></head><body>{ERROR}',
    "in the prescan's bytes, a content naming none, then one": '<html><head><meta http-equiv="Content-Type" '
    f'content="text/html" content="text/html; charset=shift_jis"></head><body>{ERROR}',
    "in the prescan's bytes, an unknown label's content, then one": '<html><head><meta http-equiv="Content-Type" '
    f'content="charset=x-no" content="text/html; charset=shift_jis"></head><body>{ERROR}',
    "in the prescan's bytes, a refresh, then the pragma": '<html><head><meta http-equiv="refresh" '
    f'http-equiv="Content-Type" content="text/html; charset=shift_jis"></head><body>{ERROR}',
    "in the prescan's bytes, in a noembed": f"<html><head></head><body><noembed>{META}</noembed>{ERROR}",
    "in the prescan's bytes, in an iframe": f"<html><head></head><body><iframe>{META}</iframe>{ERROR}",
    "in the prescan's bytes, in an xmp": f"<html><head></head><body><xmp>{META}</xmp>{ERROR}",
    "in the prescan's bytes, in a noframes": f"<html><head></head><body><noframes>{META}</noframes>{ERROR}",
    "in the prescan's bytes, in a CDATA section": f"<html><head></head><body><![CDATA[{META}]]>{ERROR}",
    "in the prescan's bytes, in an svg title": f"<html><head></head><body><svg><title>{META}</title></svg>{ERROR}",
    "in the prescan's bytes, after a BOM": f"\ufeff<html><head>{META}</head><body>{ERROR}",
    "past them, in a comment holding >": f"<html><head>{PAD}<!-- a > b {META} --></head><body>{ERROR}",
    "past 64 KiB, after a long script": f"<html><head><script>var p='{'x' * 70_000}'</script>{META}<body>{ERROR}",
}
# The attribute forms of mut28's unit tests (TestJudgeMetaCharsets), each a meta chromium reads or one it does not.
PAGES.update(
    {
        f"in the prescan's bytes, a meta written {head!r}": f"<html><head>{head}</head><body>{ERROR}"
        for head in (*META_HEADS_DECLARING, *META_HEADS_NAMING_NOTHING)
    }
)


@pytest.fixture(scope="module")
def pages() -> Iterator[str]:
    """The base URL of a server on 127.0.0.1 that answers each of PAGES, UTF-8 and labelled only `text/html`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = self.path.strip("/")
            if not index.isdigit():
                # The browser's own requests (a favicon).
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = PAGES[list(PAGES)[int(index)]].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium that can reach nothing but 127.0.0.1."""
    with headless_chromium() as driver:
        yield driver


class TestMetaCharsetsAsChromiumReadsThem:
    """A page's meta names its charset to http_smoke exactly where chromium reads it (so a legacy error page fails
    `body_not_contains` as users see it), and nowhere chromium passes it over."""

    @pytest.mark.parametrize("index", range(len(PAGES)), ids=list(PAGES))
    def test_the_meta_is_read_where_chromium_reads_it(self, browser, pages, index):
        browser.get(f"{pages}/{index}")
        chromium_read_it = browser.execute_script("return document.characterSet") == "Shift_JIS"
        step = Step.model_validate({"name": "s", "expect": {"body_not_contains": [ERROR]}})
        exchange = HttpExchange(
            url=f"{pages}/{index}",
            status=200,
            headers=httpx.Headers({"Content-Type": "text/html"}),
            body=PAGES[list(PAGES)[index]].encode(),
            body_truncated=False,
            latency_ms=1.0,
        )
        # Read in Shift_JIS, the UTF-8 page holds no エラー: body_not_contains passes.
        read_it = not judge_exchange(step, exchange, "step s").failures
        assert read_it == chromium_read_it
