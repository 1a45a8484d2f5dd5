"""The http_smoke kind: load-time validation and the judging of responses (respx-mocked)."""

from __future__ import annotations

import email.utils
import json
import re
import sys
import time
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import regex
import structlog
import yaml
from pydantic import ValidationError

from analyzer import _body_secrets as body_secrets
from analyzer import redaction as redaction_module
from analyzer.catalog import build_catalog, load_catalog
from analyzer.errors import ArgError, CheckError, ConfigError, TargetConnectFailed, TargetTimeout
from analyzer.metrics import Metrics
from analyzer.models import Evaluation, Outcome, format_number
from analyzer.redaction import MIN_HIDDEN_CHARS, is_secret_name, oauth_code_run_end
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.sources import Sources
from analyzer.sources.http import HttpClient, HttpExchange, HttpPolicy, _as_browsers_read, _HopCookieRules
from analyzer.sources.httppolicy import HostAllowList, _public_suffix_list, answer_date_s
from checks.http_smoke import MAX_REGEX_CHARS, HttpSmokeCheck
from checks.http_smoke import spec as spec_module
from checks.http_smoke.check import _Attempt, _scrubber, _summarize, _user_info
from checks.http_smoke.judge import CookieScope, Failure, judge_exchange
from checks.http_smoke.spec import Step
from tests.cpu import least_cpu_s
from tests.network_guard import StubResolver, loopback_only  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("loopback_only")

BASE = "http://app.shop.svc"
# A valid regex whose groups nest deeper than the regex package's parser recurses.
NESTED_REGEX = "(?:" * 200 + "x" + ")" * 200


def definition(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """An http_smoke check against app.shop.svc."""
    return {"name": "smoke", "kind": "http_smoke", "base_url": BASE, "steps": steps, **extra}


def load(check: dict[str, Any]) -> HttpSmokeCheck:
    """The check as the catalog loads it."""
    loaded = build_catalog([("test.yaml", {"checks": [check]})], Registry([HttpSmokeCheck])).get(check["name"])
    assert isinstance(loaded, HttpSmokeCheck)
    return loaded


@pytest.fixture
async def run():
    """Evaluate a definition through the runner with a client whose requests respx answers."""
    http = HttpClient(HttpPolicy(), resolver=StubResolver({}))

    async def evaluate(check: dict[str, Any], args: dict[str, Any] | None = None) -> Evaluation:
        loaded = load(check)
        catalog = build_catalog([("test.yaml", {"checks": [check]})], Registry([HttpSmokeCheck]))
        return await Runner(catalog, Sources({}, http=http), Metrics(), 8.0).evaluate(
            loaded, loaded.bind_args(args or {})
        )

    yield evaluate
    await http.aclose()


class TestLoadValidation:
    """Mistakes in a definition are rejected when the catalog loads, naming the field and the rule."""

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                {"base_url": "http://{{ who }}.svc", "params": {"who": {"type": "label_value", "default": "x"}}},
                "base_url: {{ who }} (label_value) stands in the host",
            ),
            (
                {"base_url": "http://example.com"},
                "base_url: host 'example.com' is not in the default allowed_hosts (*.svc, *.svc.cluster.local), as "
                "the check writes none; to reach it, list it in the check's allowed_hosts "
                '(allowed_hosts: ["example.com"]), which the operator\'s ANALYZER_HTTP_ALLOWED_HOSTS must allow too',
            ),
            (
                {"base_url": "http://example.com", "allowed_hosts": ["*.example.org"]},
                "base_url: host 'example.com' is not in allowed_hosts (*.example.org); to reach it, list it in",
            ),
            ({"allowed_hosts": ["*."]}, "allowed_hosts: '*.' is not a host pattern"),
            ({"steps": [{"name": "a"}, {"name": "a"}]}, "the step name 'a' is used twice"),
            (
                {"steps": [{"name": "a", "path": "/x/{{ later }}"}]},
                "steps[0] (a): path: placeholder {{ later }} names no",
            ),
            (
                {"steps": [{"name": "a", "path": "/{{ id }}"}, {"name": "b", "capture": {"id": {"json": "$.id"}}}]},
                "steps[0] (a): path: placeholder {{ id }} names no declared param",
            ),
            (
                {
                    "steps": [
                        {"name": "a", "capture": {"id": {"json": "$.id"}}},
                        {"name": "b", "capture": {"id": {"json": "$.id"}}},
                    ]
                },
                "capture 'id' is already",
            ),
            ({"steps": [{"name": "a", "repeat": 5, "capture": {"id": {"json": "$.id"}}}]}, "capture needs repeat 1"),
            ({"steps": [{"name": "a", "max_p95_ms": 100}]}, "need repeat > 1"),
            ({"steps": [{"name": "a", "repeat": 2, "concurrency": 3}]}, "concurrency 3 is above repeat 2"),
            ({"steps": [{"name": "a", "json_body": {}, "text_body": "x"}]}, "set json_body or text_body, not both"),
            ({"steps": [{"name": "a", "expect": {"status": ["2xy"]}}]}, "is not a code (200), a class (2xx)"),
            ({"steps": [{"name": "a", "expect": {"status": [700]}}]}, "700 is not an HTTP status"),
            ({"steps": [{"name": "a", "expect": {"status": []}}]}, "status needs at least one code"),
            ({"steps": [{"name": "a", "expect": {"status": ["299-200"]}}]}, "is not a code (200), a class (2xx)"),
            ({"steps": [{"name": "a", "expect": {"json": [{"path": "$.a"}]}}]}, "set exactly one of equals, compare"),
            ({"steps": [{"name": "a", "expect": {"json": [{"path": "a", "exists": True}]}}]}, "must start with \\$"),
            ({"steps": [{"name": "a", "expect": {"json": [{"path": "$.a", "compare": "big"}]}}]}, "is not a condition"),
            ({"steps": [{"name": "a", "expect": {"headers": {"x": {}}}}]}, "exactly one of equals, regex or exists"),
            ({"steps": [{"name": "a", "expect": {"body_regex": "("}}]}, "body_regex '\\(' is not a valid regex"),
            ({"steps": [{"name": "a", "expect": {"body_contains": ["ok", ""]}}]}, "an empty string is in every body"),
            ({"steps": [{"name": "a", "expect": {"body_not_contains": [""]}}]}, "an empty string is in every body"),
            ({"steps": [{"name": "a", "expect": {"body_regex": ""}}]}, "an empty regex matches every text"),
            ({"steps": [{"name": "a", "expect": {"headers": {"x": {"regex": ""}}}}]}, "an empty regex matches"),
            # regex's parser recurses once per group: before, a RecursionError crashed the load, naming no field.
            (
                {"steps": [{"name": "a", "expect": {"body_regex": NESTED_REGEX}}]},
                "body_regex: body_regex: the regex nests groups too deeply to compile",
            ),
            (
                {"steps": [{"name": "a", "expect": {"headers": {"x": {"regex": NESTED_REGEX}}}}]},
                "headers.x: regex: the regex nests groups too deeply to compile",
            ),
            ({"steps": [{"name": "a", "query": {"{{ x }}": "1"}}]}, "query names are literal"),
            ({"steps": [{"name": "a", "query": {"x }}": "1"}}]}, "query names are literal"),
            (
                {"steps": [{"name": "a", "method": "HEAD", "expect": {"body_not_contains": ["maintenance"]}}]},
                "step 'a': method HEAD gets no body, so body_not_contains could never judge one",
            ),
            (
                {
                    "steps": [
                        {
                            "name": "a",
                            "method": "HEAD",
                            "expect": {
                                "body_contains": ["ok"],
                                "body_regex": "ok",
                                "json": [{"path": "$.a", "exists": True}],
                            },
                            "capture": {"v": {"json": "$.v"}},
                        }
                    ]
                },
                "method HEAD gets no body, so body_contains, body_regex, json, capture v (json) could never judge one",
            ),
            ({"steps": [{"name": "a", "headers": {"X Bad": "1"}}]}, "'X Bad' is not a valid header name"),
            ({"steps": [{"name": "a", "method": "TRACE"}]}, "method"),
            ({"steps": [{"name": "../a"}]}, "step name '../a' must be"),
            ({"steps": [{"name": "a", "capture": {"x": {"json": "$.a", "header": "b"}}}]}, "exactly one of json"),
            # Neither, or a cookie with another: no test saw the rule that became a count with the cookie form.
            ({"steps": [{"name": "a", "capture": {"x": {"secret": False}}}]}, "exactly one of json"),
            ({"steps": [{"name": "a", "capture": {"x": {"header": "b", "cookie": "c"}}}]}, "exactly one of json"),
            # No Set-Cookie names a cookie so: the check failed every run with "no Set-Cookie of that name".
            (
                {"steps": [{"name": "a", "capture": {"x": {"cookie": "session; Path=/"}}}]},
                "cookie 'session; Path=/' is not a cookie name",
            ),
            ({"steps": [{"name": "a", "capture": {"x": {"cookie": "session "}}}]}, "cookie 'session ' is not a cookie"),
            (
                {"steps": [{"name": "a", "method": "POST", "json_body": {"x": [1, float("inf")]}}]},
                "json_body.x[1] is inf: JSON has no NaN or infinity",
            ),
            (
                {"steps": [{"name": "a", "expect": {"json": [{"path": "$.a", "equals": float("nan")}]}}]},
                "equals is nan: JSON has no NaN or infinity",
            ),
            (
                {
                    "params": {"site": {"type": "label_value", "default": "shop"}},
                    "steps": [{"name": "a", "headers": {"Host": "{{ site }}.example.com"}}],
                },
                "header 'Host': {{ site }} (label_value) stands in the host",
            ),
            (
                {
                    "steps": [
                        {"name": "a", "capture": {"h": {"header": "X"}}},
                        {"name": "b", "headers": {"HOST": "{{ h }}"}},
                    ]
                },
                "header 'HOST': {{ h }} (captured value) stands in the host",
            ),
            (
                {"steps": [{"name": "a", "method": "POST", "json_body": {}, "headers": {"Content-Length": "0"}}]},
                "header 'Content-Length' is set by the client",
            ),
            (
                {"headers": {"transfer-encoding": "chunked"}},
                "header 'transfer-encoding' is set by the client",
            ),
        ],
    )
    def test_rejected(self, change, message):
        with pytest.raises(ConfigError) as caught:
            load({**definition([{"name": "a"}]), **change})
        assert any(message.replace("\\", "") in p or message in p for p in caught.value.problems), caught.value.problems

    @pytest.mark.parametrize(
        ("path", "shown"),
        [
            ("/x?api_key=s3cr3t-value", "'/x?<redacted>' contains '?'"),
            ("/x#token=s3cr3t-value", "'/x#<redacted>' contains '#'"),
            ("x?api_key=s3cr3t-value", "path 'x?<redacted>' must start with /"),
        ],
    )
    def test_a_query_written_into_a_path_is_not_quoted_in_the_load_error(self, path, shown):
        # A load error is printed by validate in CI and logged at every reload: the api_key= written there is hidden.
        with pytest.raises(ConfigError) as caught:
            load(definition([{"name": "a", "path": path}]))
        shown_all = "\n".join([str(caught.value), *caught.value.problems])
        assert shown in shown_all
        assert "s3cr3t" not in shown_all

    @pytest.mark.parametrize(
        ("headers", "params", "message"),
        [
            ({"Content-Length": "3"}, {}, "headers: header 'Content-Length' is set by the client from the body"),
            (
                {"Host": "{{ who }}"},
                {"who": {"type": "label_value", "default": "x"}},
                "headers: header 'Host': {{ who }} (label_value) stands in the host",
            ),
        ],
    )
    def test_a_check_header_refused_is_blamed_on_the_checks_headers_not_a_step(self, headers, params, message):
        # Merged into every step, the check's header was refused as "steps[0] (a): header ...", a step without it.
        with pytest.raises(ConfigError) as caught:
            load({**definition([{"name": "a"}]), "headers": headers, "params": params})
        assert any(f"(checks[0]): {message}" in p for p in caught.value.problems), caught.value.problems

    @pytest.mark.parametrize(
        ("header", "value"),
        [
            ("X-Forwarded-Host", "{{ site }}"),
            ("x-forwarded-proto", "{{ site }}"),
            ("X-Forwarded-Port", "{{ site }}"),
            ("X-Forwarded-Prefix", "/{{ site }}"),
            ("Forwarded", "host={{ site }};proto=https"),
            ("X-Original-URL", "/{{ site }}"),
            ("X-Rewrite-URL", "/{{ site }}"),
            ("X-Original-Host", "{{ site }}"),
        ],
    )
    def test_free_text_in_a_header_a_proxy_routes_by_is_refused_like_in_host(self, header, value):
        # An ingress or proxy in front of the allowed host routes by these as by Host: a label_value arg there chose
        # the virtual host or path reached (X-Forwarded-Host: evil.example.com, X-Original-URL: /admin).
        with pytest.raises(ConfigError) as caught:
            load(
                {
                    **definition([{"name": "a", "headers": {header: value}}]),
                    "params": {"site": {"type": "label_value", "default": "shop"}},
                }
            )
        message = f"header {header!r}: {{{{ site }}}} (label_value) stands in a header a proxy routes by"
        assert any(message in p for p in caught.value.problems), caught.value.problems

    def test_a_captured_value_in_x_forwarded_host_is_refused(self):
        with pytest.raises(ConfigError) as caught:
            load(
                definition(
                    [
                        {"name": "a", "capture": {"h": {"header": "X"}}},
                        {"name": "b", "headers": {"X-Forwarded-Host": "{{ h }}"}},
                    ]
                )
            )
        assert any("{{ h }} (captured value) stands in a header a proxy routes by" in p for p in caught.value.problems)

    def test_dns_labels_and_literals_may_fill_a_header_a_proxy_routes_by(self):
        check = load(
            {
                **definition(
                    [
                        {
                            "name": "a",
                            "headers": {"X-Forwarded-Host": "{{ site }}.shop.example", "X-Forwarded-Proto": "https"},
                        }
                    ]
                ),
                "params": {"site": {"type": "dns_label", "default": "web"}},
            }
        )
        assert check.steps[0].headers["X-Forwarded-Host"] == "{{ site }}.shop.example"

    def test_a_head_step_judges_status_headers_and_header_captures(self):
        check = load(
            definition(
                [
                    {
                        "name": "a",
                        "method": "HEAD",
                        "expect": {"status": [200], "headers": {"ETag": {"exists": True}}},
                        "capture": {"tag": {"header": "ETag"}},
                    }
                ]
            )
        )
        assert check.steps[0].method == "HEAD"

    def test_warnings_for_thin_percentiles_and_long_steps(self):
        check = load(definition([{"name": "a", "repeat": 10, "concurrency": 1, "max_p99_ms": 100, "timeout_s": 5}]))
        warnings = check.warnings()
        assert any("max_p99_ms over 10 requests" in w for w in warnings)
        assert any("more than the 8 s deadline" in w for w in warnings)

    @pytest.mark.parametrize(
        ("step", "warned"),
        [
            ({"timeout_s": 3.95}, []),  # 3.95 s x (1 retry + 1) and the 0.1 s pause before the retry: 8 s exactly
            (
                # Two tries of 4 s fit the 8 s deadline, but not with the pause between them (the warning left it out).
                {"timeout_s": 4},
                [
                    "the steps may take up to 8.1 s (timeouts x retries, and the pauses between retries), more than "
                    "the 8 s deadline; raise deadline_s or lower timeout_s"
                ],
            ),
            (
                # Pauses of 0.1, 0.2 and 0.4 s before the three retries.
                {"timeout_s": 1.9, "retries": 3},
                [
                    "the steps may take up to 8.3 s (timeouts x retries, and the pauses between retries), more than "
                    "the 8 s deadline; raise deadline_s or lower timeout_s"
                ],
            ),
            # A step left at its defaults fits the default deadline: 3 s x 2 tries and the pause, 6.1 s. At 5 s its
            # 10.1 s warned on a new user's first check.
            ({}, []),
            # A step that truly cannot finish still warns: 5 s x 2 tries and the pause.
            (
                {"timeout_s": 5},
                [
                    "the steps may take up to 10.1 s (timeouts x retries, and the pauses between retries), more than "
                    "the 8 s deadline; raise deadline_s or lower timeout_s"
                ],
            ),
            ({"timeout_s": 1, "repeat": 20, "concurrency": 20, "max_p95_ms": 100}, []),
            (
                {"timeout_s": 1, "repeat": 19, "concurrency": 19, "max_p95_ms": 100},
                [
                    "step 'a': max_p95_ms over 19 requests is close to their maximum; use repeat >= 20 for a "
                    "meaningful percentile"
                ],
            ),
        ],
    )
    def test_warnings_start_past_the_deadline_and_below_the_requests_a_percentile_needs(self, step, warned):
        assert load(definition([{"name": "a", **step}])).warnings() == warned

    def test_the_deadline_warning_names_each_step_that_writes_no_timeout(self):
        steps = [{"name": "a"}, {"name": "b", "timeout_s": 1}, {"name": "c", "retries": 0}]
        assert load(definition(steps)).warnings() == [
            "the steps may take up to 11.2 s (timeouts x retries, and the pauses between retries), more than the 8 s "
            "deadline; raise deadline_s or lower timeout_s (steps 'a', 'c' write none: 3 s by default)"
        ]

    def test_two_steps_at_their_defaults_outlast_the_default_deadline(self):
        # Said "(step 'a' writes none...)" for one step only.
        assert load(definition([{"name": "a"}, {"name": "b"}])).warnings() == [
            "the steps may take up to 12.2 s (timeouts x retries, and the pauses between retries), more than the 8 s "
            "deadline; raise deadline_s or lower timeout_s (steps 'a', 'b' write none: 3 s by default)"
        ]

    @pytest.mark.parametrize(("deadline_s", "warned"), [(6.1, False), (6, True)])
    def test_a_default_step_is_held_to_the_checks_deadline(self, deadline_s, warned):
        assert bool(load(definition([{"name": "a"}], deadline_s=deadline_s)).warnings()) is warned

    @pytest.mark.parametrize(
        ("step", "warned"),
        [
            # A canary that sends every request on to its /login page (answering 200) passed such a step unwarned.
            ({"follow_redirects": True}, True),
            ({"follow_redirects": True, "expect": {"status": [200], "max_latency_ms": 500}}, True),
            ({"follow_redirects": True, "expect": {"body_not_contains": ["error"]}}, True),
            ({"follow_redirects": True, "expect": {"body_contains": ["ready"]}}, False),
            ({"follow_redirects": True, "expect": {"body_regex": "ready"}}, False),
            ({"follow_redirects": True, "expect": {"json": [{"path": "$.status", "exists": True}]}}, False),
            ({"follow_redirects": True, "expect": {"headers": {"X-Version": {"exists": True}}}}, False),
            ({"follow_redirects": True, "capture": {"id": {"json": "$.id"}}}, False),
            ({}, False),
        ],
    )
    def test_a_followed_redirect_judged_on_its_status_alone_is_warned(self, step, warned):
        warning = (
            "step 'a': follows redirects and asserts nothing of the page it ends on but its status: a canary that "
            "sends every request on to a login or error page answering 200 passes; assert what the page must hold "
            "(body_contains, json, a header) or expect the redirect itself (follow_redirects: false, status: [302])"
        )
        loaded = load(definition([{"name": "a", "timeout_s": 1, **step}]))
        assert loaded.warnings() == ([warning] if warned else [])

    @pytest.mark.parametrize(
        ("expect", "warned"),
        [
            ({"body_contains": ["ok"]}, True),
            ({"body_contains": [" UP "]}, True),
            ({"body_contains": ["true", "ok"]}, True),
            ({"body_contains": ['"ok"']}, False),
            ({"body_contains": ["ready"]}, False),
            ({"body_contains": ["ok", "checkout-service"]}, False),
            ({"body_contains": ["ok"], "json": [{"path": "$.status", "equals": "ok"}]}, False),
            ({"body_contains": ["ok"], "body_regex": "^ok$"}, False),
        ],
    )
    def test_a_short_word_as_the_only_body_assertion_is_warned(self, expect, warned):
        # A canary that lost its /health route behind an SPA answers index.html with 200: `ok` is in `token`.
        needle = expect["body_contains"][0]
        warning = (
            f"step 'a': body_contains {needle!r} is a word most pages hold (an SPA's index.html answering 200 for a "
            "route the canary lost holds 'ok' in 'token'): assert more of the answer (json: [{path: $.status, "
            """equals: ok}], which passes '{"status": "ok"}' however it is spaced, or a longer body_contains)"""
        )
        loaded = load(definition([{"name": "a", "timeout_s": 1, "expect": expect}]))
        assert loaded.warnings() == ([warning] if warned else [])

    @pytest.mark.parametrize("body", [b'{"status":"ok"}', b'{"status": "ok"}', b'{\n  "status" : "ok"\n}'])
    def test_the_assertion_the_warning_advises_passes_every_spacing(self, body):
        # It advised body_contains '"status":"ok"' first, which fails the answer of Python's json.dumps.
        advised = yaml.safe_load("json: [{path: $.status, equals: ok}]")
        assert judged(advised, body=body).failures == []

    @pytest.mark.parametrize(("count", "loads"), [(0, False), (1, True), (50, True), (51, False)])
    def test_a_check_has_one_to_fifty_steps(self, count, loads):
        # No steps would pass every evaluation ("all 0 steps passed") without sending a request.
        check = definition([{"name": f"s{n}"} for n in range(count)])
        if loads:
            assert len(load(check).steps) == count
        else:
            with pytest.raises(ConfigError, match="steps"):
                load(check)

    def test_definition_round_trips_and_hides_credentials(self):
        raw = definition(
            [
                {
                    "name": "a",
                    "headers": {"Authorization": "Bearer s3cret", "X-Canary": "always"},
                    "expect": {"json": [{"path": "$.a", "equals": 1}]},
                    "capture": {"v": {"json": "$.v"}},
                }
            ],
            headers={"X-Api-Key": "k"},
        )
        shown = load(raw).definition()
        assert shown["headers"] == {"X-Api-Key": "<redacted>"}
        assert shown["steps"][0]["headers"] == {"Authorization": "<redacted>", "X-Canary": "always"}
        assert shown["steps"][0]["expect"]["json"] == [{"path": "$.a", "equals": 1}]
        assert shown["steps"][0]["capture"] == {"v": {"json": "$.v", "secret": True}}


class TestBodyRegexThatMatchesEveryText:
    """A body_regex that matches every body (it surely matches the empty string at every text's start or end) is a load
    error, as an empty one is: the step passed on any answer, an error page included."""

    REFUSED = [
        ".*",
        "(?s).*",
        "x*",
        "(?:)",
        "ok|",
        "(?i)(?:healthy)?",
        # A capturing group is read inside: it matches what it holds.
        "(.*)",
        "(^|x)",
        # A repeat that must go round once matches nothing all the same when what it repeats may.
        "(x*)+",
        "(?:x*)++$",
        # At the end an atomic or possessive part keeps nothing from what follows: read inside, at the end.
        "(?>$)",
        "($)++",
        "[a-z]*+",
        "a{0,3}",
        # An anchor that holds at every text's start or end, alone or in what else may match nothing there.
        "^",
        r"\A",
        "$",
        r"\Z",
        "(?m)$",
        r"\bok\b|",
        "ok|$",
        "^x*",
        "x*+$",
        "(?>x*)$",
        # A lookaround that holds there: nothing follows the end, nothing precedes the start.
        "(?=)",
        "(?=x*)",
        "(?!ok)",
        "(?!x).*",
        "(?<!ok)",
        "(?<=^)",
        # A lookbehind is matched backward: at the start, where it goes out of the text, a possessive part takes none.
        "(?<=(?:x)*+)",
        "(?<=^(?>x*))",
        # A part that takes no text takes none wherever it goes: at the end in a lookbehind too (fix30 loaded these).
        "(?<=(?>$))",
        r"(?<=(?>\Z))",
        "(?<=(?:$)++)",
        # Inside a group, a branch and a repeat, a lookbehind's part is still matched backward.
        "(?<=(?:(?>^)))",
        "(?<=(?:x|(?>^)))",
        "(?<=(?:(?>^)){1,2})",
        "(?<=(?:^)++)",
        "(?<=(?:^(?:[a-z])*+)++)",
        # Forward at the start as well (it loaded before).
        "(?>^)",
        "(?>^)|ok",
    ]

    @pytest.mark.parametrize("pattern", REFUSED)
    def test_refused(self, pattern):
        with pytest.raises(ConfigError, match=f"body_regex {re.escape(repr(pattern))} matches every text"):
            load(definition([{"name": "a", "expect": {"body_regex": pattern}}]))

    @pytest.mark.parametrize("pattern", REFUSED)
    def test_each_refused_pattern_matches_what_an_error_page_holds(self, pattern):
        # Refusing is sure: the engine the check searches with finds each in any body, an empty one included.
        for body in ("", "ok", "x", "\n", "okx\nx", "<h1>502 Bad Gateway</h1>\n"):
            assert regex.search(pattern, body) is not None

    @pytest.mark.parametrize(
        "pattern",
        [
            "ok",
            "o*k",
            "^$",
            r"\A\Z",
            "^(?!.*error)",
            r"(?:(a?)x|y?)\1",
            # Each kind of part that may fail, alone, and inside each kind of group.
            "(?=ok)",
            "(?!)",
            # What must not follow may be empty, and the empty string follows everywhere: it never matches.
            "(?!x*)",
            "(a)?(?(1)|x)",
            r"(\b)",
            r"(?:\b)+",
            r"ok|\B",
            r"(?>\b)",
            # An anchor or a lookaround that holds at one end, where something else may fail.
            "^ok",
            "ok$",
            "(?!ok)^",
            "(?<!ok)$",
            "$(?<=ok)",
            # Kept to its first match at the start, it may take what the anchor after it needed.
            "x*+^",
            "(?>x*)^",
            # At the end, where it takes nothing, it needs text all the same.
            "x++$",
            "(?>x)$",
            # In a lookbehind at the end, matched backward, it takes the text the anchor before it needed.
            "(?<=$(?:[a-z])*+)+",
            "(?<=$(?>[a-z]*))",
            # So it does inside a group, a branch and a repeat.
            "(?<=$(?:(?:[a-z])*+))+",
            "(?<=$(?:x|(?:[a-z])*+))+",
            "(?<=$(?:(?:[a-z])*+){1,2})+",
            "(?<=$((?:[a-z])*+))+",
        ],
    )
    def test_a_pattern_that_can_fail_loads(self, pattern):
        assert (
            load(definition([{"name": "a", "expect": {"body_regex": pattern}}])).steps[0].expect.body_regex == pattern
        )
        assert any(regex.search(pattern, body) is None for body in ("", "ok", "x", "\n", "okx\nx", "an error"))

    def test_syntax_only_the_regex_package_reads_loads(self):
        # The standard library's parser cannot read it, so it is not surely one that matches every text (this one is).
        check = load(definition([{"name": "a", "expect": {"body_regex": r"\p{L}*"}}]))
        assert check.steps[0].expect.body_regex == r"\p{L}*"

    def test_a_python_without_the_parser_loads_every_pattern(self, monkeypatch):
        # As before the rule: not a kind that fails to load, and every check of it with it.
        monkeypatch.setattr(spec_module, "_sre_parse", None)
        assert load(definition([{"name": "a", "expect": {"body_regex": ".*"}}])).steps[0].expect.body_regex == ".*"

    @pytest.mark.parametrize("parsed", [[("NEW_OPCODE", None)], [(None,)], None])
    def test_a_parser_that_reads_otherwise_refuses_nothing(self, monkeypatch, parsed):
        # A later Python's parser with a part unknown here, or items of another shape.
        monkeypatch.setattr(spec_module._sre_parse, "parse", lambda pattern: parsed)
        assert load(definition([{"name": "a", "expect": {"body_regex": ".*"}}])).steps[0].expect.body_regex == ".*"


class TestWarm:
    """`analyzer serve` reads the Public Suffix List when it warms the kind, not on the event loop of a redirect."""

    def test_warm_reads_the_public_suffix_list(self):
        _public_suffix_list.cache_clear()
        HttpSmokeCheck.warm()
        assert _public_suffix_list.cache_info().currsize == 1


class TestBindArgs:
    """Args are checked against every step's request before anything is sent."""

    def test_bad_query_value_is_escaped_not_refused(self):
        check = load(
            definition(
                [{"name": "a", "query": {"q": "{{ item }}"}}], params={"item": {"type": "label_value", "default": "x"}}
            )
        )
        assert check.bind_args({"item": "a&admin=1#"}) == {"item": "a&admin=1#"}

    def test_dot_segment_from_an_arg_names_the_arg(self):
        check = load(
            definition(
                [{"name": "a", "path": "/files/{{ item }}"}], params={"item": {"type": "label_value", "default": "x"}}
            )
        )
        with pytest.raises(ArgError) as caught:
            check.bind_args({"item": ".."})
        assert caught.value.arg == "item"


class TestAssertions:
    """Each assertion fails with the step, the assertion, what was expected and what came."""

    @pytest.mark.parametrize(
        ("response", "expect", "reason"),
        [
            (httpx.Response(404), {"status": ["2xx", "300-302"]}, "status: expected 2xx or 300-302, got 404"),
            (
                httpx.Response(200, headers={"X-V": "2"}),
                {"headers": {"x-v": {"equals": "1"}}},
                "header x-v equals: expected '1', got '2'",
            ),
            (
                httpx.Response(200),
                {"headers": {"x-v": {"exists": True}}},
                "header x-v exists: expected true, got no such header",
            ),
            (
                httpx.Response(200, headers={"Server": "x"}),
                {"headers": {"server": {"exists": False}}},
                "header server exists: expected false, got 'x'",
            ),
            (httpx.Response(200, text="hello"), {"body_contains": ["bye"]}, "body_contains: expected 'bye', got"),
            (
                httpx.Response(200, text="error here"),
                {"body_not_contains": ["error"]},
                "body_not_contains: expected no 'error'",
            ),
            (httpx.Response(200, text="v1"), {"body_regex": r"v\d\d"}, "body_regex: expected a match for"),
            (
                httpx.Response(200, json={"n": "7"}),
                {"json": [{"path": "$.n", "compare": "> 5"}]},
                'json $.n compare: expected a number > 5, got "7"',
            ),
            (
                httpx.Response(200, json={"n": 3}),
                {"json": [{"path": "$.n", "compare": "> 5"}]},
                "json $.n compare: expected > 5, got 3",
            ),
            (
                httpx.Response(200, json={"n": True}),
                {"json": [{"path": "$.n", "equals": 1}]},
                "json $.n equals: expected 1, got true",
            ),
            # A string and a number that read as the same number are no match, and the failure says which is which.
            (
                httpx.Response(200, json={"n": 1000}),
                {"json": [{"path": "$.n", "equals": "1e3"}]},
                'json $.n equals: expected "1e3", got 1000 (a number, where equals is a string: write equals unquoted, '
                "as JSON writes the number, to mean it)",
            ),
            (
                httpx.Response(200, json={"n": "1000"}),
                {"json": [{"path": "$.n", "equals": 1000}]},
                'json $.n equals: expected 1000, got "1000" (a string, where equals is a number: quote equals to mean '
                "the string)",
            ),
            (
                httpx.Response(200, json={}),
                {"json": [{"path": "$.n", "equals": None}]},
                "json $.n: expected a value, got nothing at that path",
            ),
            (
                httpx.Response(200, json={"n": 1}),
                {"json": [{"path": "$.n", "exists": False}]},
                "json $.n exists: expected false, got a value",
            ),
        ],
    )
    async def test_failure_reasons(self, run, respx_mock, response, expect, reason):
        respx_mock.get(f"{BASE}/x").mock(return_value=response)
        evaluation = await run(definition([{"name": "probe", "path": "/x", "expect": expect}]))
        assert evaluation.verdict == "fail"
        assert evaluation.reason.startswith(f"step 'probe' (1/1) failed: {reason}"), evaluation.reason
        assert (evaluation.value, evaluation.threshold) == (0, 1)

    async def test_all_failed_assertions_are_listed_in_evidence(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(500, text="oops"))
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_contains": ["ok"]}}]))
        assert evaluation.reason.endswith("(and 1 more failed assertion)")
        assert len(evaluation.details["steps"][0]["failed_assertions"]) == 2

    async def test_capture_that_finds_nothing_fails_and_later_steps_do_not_run(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200, json={"other": 1}))
        evaluation = await run(
            definition(
                [{"name": "a", "path": "/a", "capture": {"id": {"json": "$.id"}}}, {"name": "b", "path": "/b/{{ id }}"}]
            )
        )
        assert evaluation.verdict == "fail"
        assert "capture id (json $.id): expected a string or number, got nothing at that path" in evaluation.reason
        assert evaluation.details["steps"][1] == {"name": "b", "outcome": "not_run"}

    async def test_captured_header_is_escaped_into_the_next_path(self, run, respx_mock):
        respx_mock.post(f"{BASE}/orders").mock(return_value=httpx.Response(201, headers={"X-Id": "a/b"}))
        read = respx_mock.get(f"{BASE}/orders/a%2Fb").mock(return_value=httpx.Response(200))
        evaluation = await run(
            definition(
                [
                    {
                        "name": "create",
                        "method": "POST",
                        "path": "/orders",
                        "text_body": "hi",
                        "capture": {"id": {"header": "X-Id"}},
                    },
                    {"name": "read", "path": "/orders/{{ id }}"},
                ]
            )
        )
        assert evaluation.verdict == "pass", evaluation.reason
        assert read.called

    async def test_pass_reports_steps_and_requests(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200))
        evaluation = await run(definition([{"name": "a", "path": "/a"}, {"name": "b", "path": "/a", "repeat": 3}]))
        assert evaluation.verdict == "pass"
        assert evaluation.reason.startswith("all 2 steps passed (4 requests, slowest response ")
        assert (evaluation.value, evaluation.threshold) == (2, 2)
        slowest = max(step["latency_ms"] for step in evaluation.details["steps"])
        assert evaluation.reason == f"all 2 steps passed (4 requests, slowest response {format_number(slowest)} ms)"

    async def test_a_pass_of_one_step_and_one_request_says_each_in_the_singular(self, run, respx_mock):
        # Before: "all 1 steps passed (1 requests, ...)", a health check's reason, the first one a new user reads.
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200))
        evaluation = await run(definition([{"name": "a", "path": "/a"}]))
        assert evaluation.verdict == "pass"
        slowest = evaluation.details["steps"][0]["latency_ms"]
        assert evaluation.reason == f"its 1 step passed (1 request, slowest response {format_number(slowest)} ms)"
        assert (evaluation.value, evaluation.threshold) == (1, 1)
        for repeat in (2, 3):
            repeated = await run(definition([{"name": "a", "path": "/a", "repeat": repeat}]))
            assert repeated.reason.startswith(f"its 1 step passed ({repeat} requests, slowest response ")


class TestTransportFailures:
    """Unreachable targets are errors; under repeat, partial transport failures count as failed requests."""

    async def test_single_request_transport_failure_is_an_error_with_evidence(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200))
        respx_mock.get(f"{BASE}/b").mock(side_effect=httpx.ReadError("connection reset"))
        evaluation = await run(definition([{"name": "a", "path": "/a"}, {"name": "b", "path": "/b"}]))
        assert evaluation.verdict == "error"
        assert evaluation.error == "target_unreachable"
        assert evaluation.reason == "step 'b' (2/2): the connection failed: connection reset"
        assert [s["outcome"] for s in evaluation.details["steps"]] == ["pass", "error"]
        assert evaluation.details["steps"][1]["error"] == evaluation.reason

    async def test_partial_transport_failures_under_repeat_count_against_the_ratio(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(
            side_effect=[httpx.Response(200), httpx.ReadTimeout("slow"), httpx.Response(200), httpx.Response(200)]
        )
        evaluation = await run(definition([{"name": "a", "path": "/a", "repeat": 4, "min_success_ratio": 0.8}]))
        assert evaluation.verdict == "fail"
        assert "got 0.75 (3 of 4 requests passed; most common problem: transport:" in evaluation.reason
        assert evaluation.details["steps"][0]["repeat"]["transport_errors"] == 1

    async def test_every_request_failing_under_repeat_is_an_error(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(side_effect=httpx.ConnectError("refused"))
        evaluation = await run(
            definition([{"name": "a", "path": "/a", "repeat": 3, "retries": 0, "min_success_ratio": 0.5}])
        )
        assert evaluation.verdict == "error"
        assert evaluation.reason.startswith("step 'a' (1/1) request 1/3: cannot connect")

    async def test_missing_http_client_is_an_error_not_a_pass(self, respx_mock):
        check = load(definition([{"name": "a"}]))
        catalog = build_catalog([("t", {"checks": [definition([{"name": "a"}])]})], Registry([HttpSmokeCheck]))
        evaluation = await Runner(catalog, Sources({}), Metrics(), 8.0).evaluate(check, {})
        assert evaluation.verdict == "error"


class TestHostileBodies:
    """Bodies built to break the parser are judged as not JSON, never as a crash or a pass."""

    async def test_deeply_nested_json_is_not_json(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, text="[" * 100000 + "]" * 100000))
        evaluation = await run(
            definition([{"name": "p", "path": "/x", "expect": {"json": [{"path": "$[0]", "exists": True}]}}])
        )
        assert evaluation.verdict == "fail"
        assert "nested too deeply" in evaluation.reason


class TestHostsChosenByArgs:
    """When args choose the host, the check may reach only the suffix its author wrote, and credentials never
    go to a host a caller picks from the whole cluster."""

    def test_default_allow_list_is_the_literal_suffix_of_the_host(self):
        check = load(
            definition(
                [{"name": "a"}],
                base_url="http://{{ svc }}.payments.svc",
                params={"svc": {"type": "dns_label", "default": "api"}},
            )
        )
        assert check.definition()["allowed_hosts"] == ["*.payments.svc"]

    def test_host_of_placeholders_only_needs_explicit_allowed_hosts(self):
        raw = definition(
            [{"name": "a"}],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        assert any("allowed_hosts: args choose the whole base_url host" in p for p in caught.value.problems)
        assert load({**raw, "allowed_hosts": ["*.shop.svc"]}).definition()["allowed_hosts"] == ["*.shop.svc"]

    def test_a_name_with_pass_before_another_word_is_no_credential(self):
        # `canary_pass_rate` names a rate, no password: the check loads, its value shown in the definition.
        raw = definition(
            [{"name": "a", "query": {"canary_pass_rate": "0.95"}}],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            allowed_hosts=["*.svc"],
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        assert load(raw).definition()["steps"][0]["query"] == {"canary_pass_rate": "0.95"}

    @pytest.mark.parametrize("header", ["Authorization", "X-Api-Key", "X-Vault-Tok"])
    def test_credential_header_with_a_host_placeholder_needs_a_narrow_allow_list(self, header):
        raw = definition(
            [{"name": "a", "headers": {header: "s3cret"}}],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            allowed_hosts=["*.svc"],
            secret_names=["x-vault-tok"],
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        assert any(f"headers: {header!r} is a credential" in p for p in caught.value.problems)
        assert load({**raw, "allowed_hosts": ["*.shop.svc"]}).definition()["allowed_hosts"] == ["*.shop.svc"]

    @pytest.mark.parametrize(
        ("step", "message"),
        [
            ({"query": {"api_key": "k-s3cr3t"}}, "query: 'api_key' is a credential (by its name)"),
            (
                {"method": "POST", "json_body": {"client": {"password": "pw-s3cr3t"}}},
                "json_body: 'password' is a credential (by its name)",
            ),
            (
                {"method": "POST", "text_body": "grant_type=client_credentials&client_secret=cs-s3cr3t"},
                "text_body: a value under a secret name is a credential (by its name)",
            ),
            (
                {"method": "POST", "text_body": '{"password": "pw-s3cr3t"}'},
                "text_body: a value under a secret name is a credential (by its name)",
            ),
            (
                {"method": "POST", "text_body": "pw-s3cr3t", "secret_body": True},
                "text_body: the body is a credential (secret_body)",
            ),
        ],
        ids=["query", "json_body", "form", "json-text", "secret_body"],
    )
    def test_a_credential_in_the_query_or_the_body_needs_a_narrow_allow_list(self, step, message):
        # Only headers were looked at: an API key in the query or a password in the body loaded, and went to
        # whichever Service the args named.
        raw = definition(
            [{"name": "a", **step}],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            allowed_hosts=["*.svc"],
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        assert any(f"{message} and args choose the base_url host" in p for p in caught.value.problems)
        assert load({**raw, "allowed_hosts": ["*.shop.svc"]}).definition()["allowed_hosts"] == ["*.shop.svc"]

    def test_a_query_or_body_without_a_credential_loads_with_a_wide_allow_list(self):
        step = {"name": "a", "method": "POST", "query": {"page": "2"}, "json_body": {"user": "bob"}}
        raw = definition(
            [step],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            allowed_hosts=["*.svc"],
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        assert load(raw).definition()["allowed_hosts"] == ["*.svc"]

    @pytest.mark.parametrize(
        ("headers", "message"),
        [
            # A credential by its value alone loaded, and was sent to whichever Service the args named.
            ({"X-Upstream": "Bearer {{ t }}"}, "headers: 'X-Upstream' is a credential (by its value)"),
            (
                {"Signature-Input": 'sig1=("@method");keyid="k"'},
                "headers: 'Signature-Input' is a credential (by its name)",
            ),
        ],
    )
    def test_the_refusal_says_why_and_what_to_do(self, headers, message):
        raw = definition(
            [{"name": "a", "headers": headers}],
            base_url="http://{{ svc }}.{{ ns }}.svc",
            allowed_hosts=["*.svc"],
            params={
                "svc": {"type": "dns_label", "default": "api"},
                "ns": {"type": "dns_label", "default": "shop"},
                "t": {"type": "label_value", "default": "tk-d3fault"},
            },
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        problem = next(p for p in caught.value.problems if "is a credential" in p)
        assert message in problem
        assert problem.endswith(
            "list only the Services it may go to in allowed_hosts (e.g. *.payments.svc), or write the host in base_url"
        )

    @pytest.mark.parametrize("suffix", ["svc", "internal", "com"])
    def test_a_suffix_of_one_label_needs_explicit_allowed_hosts(self, suffix):
        # *.internal reaches every Service or host under a whole top-level domain, as *.svc does.
        raw = definition(
            [{"name": "a"}],
            base_url=f"http://{{{{ svc }}}}.{suffix}",
            params={"svc": {"type": "dns_label", "default": "api"}},
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        assert any("allowed_hosts: args choose the whole base_url host" in p for p in caught.value.problems)

    @pytest.mark.parametrize("wide", ["*", "*.cluster.local", "*.svc.cluster.local", "*.internal"])
    def test_a_credential_header_is_refused_with_any_wide_pattern(self, wide):
        raw = definition(
            [{"name": "a", "headers": {"Authorization": "Bearer s3cret"}}],
            base_url="http://{{ svc }}.{{ ns }}.svc.cluster.local",
            allowed_hosts=[wide],
            params={"svc": {"type": "dns_label", "default": "api"}, "ns": {"type": "dns_label", "default": "shop"}},
        )
        with pytest.raises(ConfigError) as caught:
            load(raw)
        assert any(f"but allowed_hosts has {wide!r}" in p for p in caught.value.problems)

    def test_arg_outside_the_derived_suffix_is_refused(self):
        check = load(
            definition(
                [{"name": "a"}],
                base_url="http://{{ svc }}.payments.svc",
                params={"svc": {"type": "dns_label", "default": "api"}},
            )
        )
        hosts = HostAllowList.parse(check.definition()["allowed_hosts"])
        assert not hosts.allows("grabber.attacker-ns.svc") and hosts.allows("api.payments.svc")


class TestSecrets:
    """Values marked secret (by name pattern, secret_names or secret_body) never appear in the definition or
    in evidence."""

    RAW = definition(
        [
            {
                "name": "login",
                "method": "POST",
                "path": "/login",
                "headers": {"X-Vault-Tok": "V-SECRET", "X-Canary": "always"},
                "query": {"api_key": "Q-SECRET", "pin": "N-SECRET", "page": "1"},
                "json_body": {"user": "smoke", "password": "P-SECRET", "nested": {"pin": "N-SECRET"}},
            },
            {"name": "note", "method": "POST", "path": "/note", "text_body": "T-SECRET", "secret_body": True},
        ],
        headers={"X-Api-Key": "K-SECRET"},
        secret_names=["X-Vault-Tok", "pin"],
    )

    @pytest.mark.parametrize(
        "body",
        [
            {"json_body": {"note": "plain-words"}},
            {"text_body": "plain-words"},
            # A placeholder in it: the text is no written secret of its own, the body is one all the same.
            {"text_body": "plain-words {{ n }}"},
        ],
    )
    def test_a_secret_body_is_hidden_whole_in_the_definition(self, body):
        # Under no secret name and of no credential's shape: hidden as the check says the whole body is a secret.
        step = {"name": "s", "method": "POST", "secret_body": True, **body}
        params = {"params": {"n": {"type": "label_value", "default": "x"}}} if "{{ n }}" in str(body) else {}
        shown = load(definition([step], **params)).definition()
        assert shown["steps"][0][next(iter(body))] == "<redacted>"

    async def test_a_secret_body_holding_an_arg_is_hidden_whole_where_the_target_echoes_it(self, run, respx_mock):
        # Its written text is no secret of its own (it holds a placeholder): the body sent is, whole.
        respx_mock.post(f"{BASE}/x").mock(return_value=httpx.Response(500, text="got: unlock-note v4lue-9"))
        steps = [{"name": "s", "method": "POST", "path": "/x", "text_body": "unlock-note {{ n }}", "secret_body": True}]
        evaluation = await run(definition(steps, params={"n": {"type": "label_value", "default": "v4lue-9"}}))
        assert evaluation.details["steps"][0]["body"] == "got: <redacted>"

    def test_definition_shows_a_header_rule_without_equals_as_written(self):
        step = {"name": "s", "expect": {"headers": {"X-Api-Key": {"exists": True}, "X-Trace": {"regex": "^t-"}}}}
        shown = load(definition([step])).definition()
        assert shown["steps"][0]["expect"]["headers"] == {"X-Api-Key": {"exists": True}, "X-Trace": {"regex": "^t-"}}

    def test_definition_shows_a_json_rule_without_equals_as_written(self):
        # Under a secret path too: only an `equals` tells a value.
        rules = [{"path": "$.token", "exists": True}, {"path": "$.count", "compare": "> 0"}]
        shown = load(definition([{"name": "s", "expect": {"json": rules}}])).definition()
        assert shown["steps"][0]["expect"]["json"] == rules

    def test_a_written_secret_of_the_fewest_hidden_characters_is_hidden_where_no_field_of_its_own_hides_it(self):
        # A body_regex is hidden only by the secrets the check writes elsewhere: one of exactly MIN_HIDDEN_CHARS.
        assert len("7351") == MIN_HIDDEN_CHARS
        step = {"name": "s", "query": {"api_key": "7351"}, "expect": {"body_regex": "code 7351 accepted"}}
        shown = load(definition([step])).definition()
        assert shown["steps"][0]["query"]["api_key"] == "<redacted>"
        assert shown["steps"][0]["expect"]["body_regex"] == "code <redacted> accepted"

    def test_definition_hides_every_secret_value(self):
        shown = load(self.RAW).definition()
        assert "SECRET" not in json.dumps(shown)
        assert shown["steps"][0]["headers"]["X-Canary"] == "always"
        assert shown["steps"][0]["query"]["page"] == "1"
        assert shown["steps"][0]["json_body"]["user"] == "smoke"

    async def test_evidence_hides_every_secret_value(self, run, respx_mock):
        respx_mock.post(url__startswith=f"{BASE}/login").mock(return_value=httpx.Response(200))
        respx_mock.post(f"{BASE}/note").mock(return_value=httpx.Response(500))
        evaluation = await run(self.RAW)
        assert evaluation.verdict == "fail"
        assert "SECRET" not in json.dumps(evaluation.details)
        login = evaluation.details["steps"][0]["request"]
        assert login["url"] == f"{BASE}/login?api_key=%3Credacted%3E&pin=%3Credacted%3E&page=1"
        assert json.loads(login["body"])["user"] == "smoke"
        assert evaluation.details["steps"][1]["request"]["body"] == "<redacted>"

    LISTS = definition(
        [
            {
                "name": "bulk",
                "method": "POST",
                "path": "/bulk",
                "json_body": {"users": [{"name": "a", "password": "L-SECRET-1"}], "pin": ["N-SECRET-2", "N-SECRET-3"]},
                "expect": {"status": [201]},
            }
        ],
        secret_names=["pin"],
    )

    def test_definition_hides_secrets_inside_lists(self):
        shown = load(self.LISTS).definition()["steps"][0]["json_body"]
        assert shown == {"users": [{"name": "a", "password": "<redacted>"}], "pin": "<redacted>"}

    async def test_evidence_hides_secrets_inside_lists_and_their_echo(self, run, respx_mock):
        # The target echoes the body it was sent, one secret value per line: each is hidden where it shows.
        def echo(request: httpx.Request) -> httpx.Response:
            sent = json.loads(request.content)
            return httpx.Response(200, text="\n".join([sent["users"][0]["password"], *sent["pin"]]))

        respx_mock.post(f"{BASE}/bulk").mock(side_effect=echo)
        evaluation = await run(self.LISTS)
        assert evaluation.verdict == "fail"
        step = evaluation.details["steps"][0]
        assert json.loads(step["request"]["body"]) == {
            "users": [{"name": "a", "password": "<redacted>"}],
            "pin": "<redacted>",
        }
        assert step["body"] == "<redacted>\n<redacted>\n<redacted>"
        assert "SECRET" not in json.dumps(evaluation.details)

    async def test_a_cookie_under_a_secret_name_or_long_enough_is_hidden_in_the_answer(self, run, respx_mock):
        # `theme=dark` is left (every standalone "dark" would be hidden); a session of any length and a value of
        # 8 characters or more under any name are searched for.
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(500, text="dark ab12 abcdefgh abcdefg"))
        cookie = "theme=dark; session=ab12; tracker=abcdefgh; lang=abcdefg"
        evaluation = await run(definition([{"name": "c", "headers": {"Cookie": cookie}}]))
        assert evaluation.details["steps"][0]["body"] == "dark <redacted> <redacted> abcdefg"


class TestNotSecretNames:
    """A name secret only by the word sig, sid, pwd, pw or a last pass, or pass alone, that holds no secret may be
    listed as such and is shown; no other secret name can be, and a credential value or a secret the check sends
    stays hidden all the same."""

    POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "AllowRead", "Effect": "Allow"}], "sig_figs": 3}

    def smoke(self, **extra: Any) -> dict[str, Any]:
        step = {
            "name": "policy",
            "query": {"sig_figs": "3"},
            "expect": {"json": [{"path": "$.Statement[0].Sid", "equals": "AllowWrite"}]},
        }
        return definition([step], **extra)

    async def test_a_listed_name_is_shown(self, run, respx_mock):
        # Hidden, the failed assertion read `expected "<redacted>", got "<redacted>"`: which statement failed was
        # anyone's guess, and the policy's Sid and sig_figs were `<redacted>` in the evidence and the definition.
        respx_mock.get(url__startswith=f"{BASE}/").mock(return_value=httpx.Response(200, json=self.POLICY))
        evaluation = await run(self.smoke(not_secret_names=["Sid", "sig_figs"]))
        assert evaluation.reason == (
            'step \'policy\' (1/1) failed: json $.Statement[0].Sid equals: expected "AllowWrite", got "AllowRead"'
        )
        step = evaluation.details["steps"][0]
        assert step["body"] == json.dumps(self.POLICY, separators=(",", ":"))
        assert step["request"]["url"] == f"{BASE}/?sig_figs=3"

    async def test_unlisted_it_is_hidden(self, run, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/").mock(return_value=httpx.Response(200, json=self.POLICY))
        evaluation = await run(self.smoke())
        assert "AllowRead" not in json.dumps(evaluation.details)

    def test_a_name_is_exact(self):
        # An IAM policy's `Sid` shown, a session's `sid` in the same answer still hidden.
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        body = b'{"Sid": "AllowRead", "sid": "s3ss-s3cr3t", "X-Sig": "sig-s3cr3t"}'
        exchange = HttpExchange(
            url=f"{BASE}/", status=200, headers=httpx.Headers(), body=body, latency_ms=1.0, body_truncated=False
        )
        result = judge_exchange(step, exchange, "step s", frozenset(), frozenset({"Sid"}))
        assert result.evidence["body"] == '{"Sid": "AllowRead", "sid": "<redacted>", "X-Sig": "<redacted>"}'

    async def test_a_listed_pass_is_shown(self, run, respx_mock):
        # `pass` alone names a result as often as a password: listed, its value is shown (the load's warning said so
        # while `{"pass": "ok"}` stayed `<redacted>`, with no way to show it).
        answer = {"pass": "ok", "pw": "full", "PASS": "pa55-s3cr3t", "db_pass": "db-s3cr3t"}
        respx_mock.get(url__startswith=f"{BASE}/").mock(return_value=httpx.Response(500, json=answer))
        step = {"name": "s", "query": {"pass": "partial"}}
        evaluation = await run(definition([step], not_secret_names=["pass", "pw"]))
        shown = evaluation.details["steps"][0]
        assert json.loads(shown["body"]) == {
            "pass": "ok",
            "pw": "full",
            "PASS": "<redacted>",
            "db_pass": "<redacted>",
        }
        assert shown["request"]["url"] == f"{BASE}/?pass=partial"
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))

    def test_an_env_entry_named_a_listed_pass_is_shown(self):
        # Listed, `pass` names no password in an env entry either; `PASS` (not listed, names are exact) still does.
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        body = (
            b'[{"name": "pass", "value": "ok"}, {"name": "PASS", "value": "pa55-s3cr3t"}]\n- name: pass\n  value: ok\n'
        )
        exchange = HttpExchange(
            url=f"{BASE}/", status=200, headers=httpx.Headers(), body=body, latency_ms=1.0, body_truncated=False
        )
        result = judge_exchange(step, exchange, "step s", frozenset(), frozenset({"pass"}))
        assert result.evidence["body"] == (
            '[{"name": "pass", "value": "ok"}, {"name": "PASS", "value": "<redacted>"}]\n- name: pass\n  value: ok\n'
        )

    def test_an_unlisted_pass_holding_no_result_stays_hidden(self):
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        body = b'{"pass": "hunter22", "passes": "ok"} pass=hunter22&pass2=12'
        exchange = HttpExchange(
            url=f"{BASE}/", status=200, headers=httpx.Headers(), body=body, latency_ms=1.0, body_truncated=False
        )
        result = judge_exchange(step, exchange, "step s", frozenset(), frozenset({"Pass"}))
        assert result.evidence["body"] == '{"pass": "<redacted>", "passes": "ok"} pass=<redacted>&pass2=12'

    def test_a_json_paths_pass_is_hidden_by_its_value(self):
        # Before: a failed `$.pass` assertion quoted the password `"hunter22"` the answer's text hid.
        rules = [
            {"path": "$.pass", "equals": "x"},
            {"path": "$.n.pass", "equals": "y"},
            {"path": "$.r.pass", "equals": 3},
            {"path": "$.o.pass.user", "equals": "x"},
        ]
        step = Step.model_validate({"name": "s", "expect": {"json": rules}})
        body = b'{"pass": "hunter22", "n": {"pass": "12/12"}, "r": {"pass": 12}, "o": {"pass": {"user": "bob"}}}'
        exchange = HttpExchange(
            url=f"{BASE}/", status=200, headers=httpx.Headers(), body=body, latency_ms=1.0, body_truncated=False
        )
        failures = judge_exchange(step, exchange, "step s").failures
        assert [str(failure) for failure in failures] == [
            'json $.pass equals: expected "<redacted>", got "<redacted>"',
            # A result's value is shown, as the answer's text shows it.
            'json $.n.pass equals: expected "<redacted>", got "12/12"',
            "json $.r.pass equals: expected 3, got 12",
            'json $.o.pass.user equals: expected "<redacted>", got "<redacted>"',
        ]
        # Listed as holding no secret: shown.
        shown = judge_exchange(step, exchange, "step s", frozenset(), frozenset({"pass"})).failures
        assert str(shown[0]) == 'json $.pass equals: expected "x", got "hunter22"'

    def test_a_flow_mappings_pass_is_hidden_unless_listed(self):
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        exchange = HttpExchange(
            url=f"{BASE}/",
            status=200,
            headers=httpx.Headers(),
            body=b"config {pass: hunter22, n: 1} {pass: 12}",
            latency_ms=1.0,
            body_truncated=False,
        )
        hidden = judge_exchange(step, exchange, "step s").evidence["body"]
        assert hidden == "config {pass: <redacted>, n: 1} {pass: 12}"
        shown = judge_exchange(step, exchange, "step s", frozenset(), frozenset({"pass"})).evidence["body"]
        assert shown == "config {pass: hunter22, n: 1} {pass: 12}"

    def test_a_json_paths_expected_pass_is_hidden_in_the_definition(self):
        rules = [{"path": "$.pass", "equals": "hunter22"}, {"path": "$.passes", "equals": 12}]
        check = load(definition([{"name": "s", "expect": {"json": rules}}]))
        shown = check.definition()["steps"][0]["expect"]["json"]
        assert [rule["equals"] for rule in shown] == ["<redacted>", 12]

    def test_a_listed_pass_or_pw_is_not_warned_of(self):
        check = load(self.smoke(not_secret_names=["pass", "pw", "Pass1"]))
        assert [w for w in check.warnings() if "not_secret_names" in w] == []

    async def test_a_credential_value_and_a_secret_arg_stay_hidden(self, run, respx_mock):
        def echo(request: httpx.Request) -> httpx.Response:
            return httpx.Response(500, text=f"got {request.headers['sid']} and {request.url.params['pwd']}")

        respx_mock.get(url__startswith=f"{BASE}/").mock(side_effect=echo)
        step = {"name": "s", "headers": {"sid": "Bearer cr3d-s3cr3t"}, "query": {"pwd": "{{ p }}"}}
        params = {"p": {"type": "label_value", "required": True, "secret": True}}
        evaluation = await run(definition([step], params=params, not_secret_names=["sid", "pwd"]), {"p": "4rg-s3cr3t"})
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))

    @pytest.mark.parametrize(
        ("names", "problem"),
        [
            (["X-Sig-Token"], "not_secret_names: 'X-Sig-Token' holds a word of a secret's name other than sig"),
            (["api_key"], "not_secret_names: 'api_key' holds a word of a secret's name other than sig"),
            (["signature"], "not_secret_names: 'signature' holds a word"),
            (["session_sid"], "not_secret_names: 'session_sid' holds a word"),
        ],
    )
    def test_no_other_secret_name_can_be_listed(self, names, problem):
        with pytest.raises(ConfigError) as caught:
            load(self.smoke(not_secret_names=names))
        assert any(problem in p for p in caught.value.problems), caught.value.problems

    def test_a_name_in_both_lists_is_refused(self):
        with pytest.raises(ConfigError) as caught:
            load(self.smoke(not_secret_names=["sid"], secret_names=["SID"]))
        assert any("not_secret_names: 'sid' is in secret_names too" in p for p in caught.value.problems)

    def test_a_name_no_secret_anyway_is_warned_of(self):
        check = load(self.smoke(not_secret_names=["page", "ORACLE_SID"]))
        assert [w for w in check.warnings() if "not_secret_names" in w] == [
            "not_secret_names: 'page' is no secret name, so its values are shown without it; remove it"
        ]


class TestCredentialsByWhatTheyAre:
    """A credential the check sends that says what it is (a URL's user info, a DSN's password, a JWT, an AWS key id)
    is a written secret whatever names it: hidden in the definition and in a crash's traceback."""

    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    RAW = definition(
        [
            {
                "name": "s",
                "method": "POST",
                "headers": {"X-Upstream": "https://svc:hdr-p4ssw0rd@backend.svc/"},
                "query": {"callback": "https://hook:qry-p4ssw0rd@hooks.svc/", "page": "1"},
                "json_body": {"dsn": "postgres://app:bdy-p4ssw0rd@db:5432/app", "aws": ["AKIAIOSFODNN7EXAMPLE"]},
            },
            # Go's MySQL driver writes its DSN without `//`.
            {"name": "u", "method": "POST", "json_body": {"mysql": "app:go-p4ssw0rd@tcp(db:3306)/app"}},
            {"name": "t", "method": "POST", "text_body": "db=mysql://app:txt-p4ssw0rd@db/app&user=bob"},
        ],
        headers={"X-Context": JWT},
    )

    def test_the_definition_hides_them_and_shows_the_rest(self):
        shown = load(self.RAW).definition()
        assert shown["headers"] == {"X-Context": "<redacted>"}
        first, go, text = shown["steps"]
        assert first["headers"] == {"X-Upstream": "https://<redacted>@backend.svc/"}
        assert first["query"] == {"callback": "https://<redacted>@hooks.svc/", "page": "1"}
        assert first["json_body"] == {"dsn": "postgres://<redacted>@db:5432/app", "aws": ["<redacted>"]}
        assert text["text_body"] == "db=mysql://<redacted>@db/app&user=bob"
        assert go["json_body"] == {"mysql": "app:<redacted>@tcp(db:3306)/app"}

    def test_they_are_written_secrets(self):
        found = load(self.RAW).literal_secrets()
        user_infos = ("svc:hdr-p4ssw0rd", "hook:qry-p4ssw0rd", "app:bdy-p4ssw0rd", "app:txt-p4ssw0rd")
        for secret in (*user_infos, "go-p4ssw0rd", "AKIAIOSFODNN7EXAMPLE", self.JWT):
            assert secret in found

    def test_a_value_holding_none_adds_none(self):
        # A user's name alone (`ssh://git@host`) is no credential, nor is a URL without user info.
        check = definition([{"name": "s", "headers": {"X-Repo": "ssh://git@git.svc/app", "X-Docs": "https://d.svc/"}}])
        assert load(check).literal_secrets() == []
        assert load(check).definition()["steps"][0]["headers"] == {
            "X-Repo": "ssh://git@git.svc/app",
            "X-Docs": "https://d.svc/",
        }

    async def test_an_args_credential_sent_is_hidden_where_the_target_echoes_it_alone(self, run, respx_mock):
        # The arg is the whole URL (no param placed inside a credential): the user info the request carries is found
        # there and hidden in what the answer quotes of it, as a secret's name would hide it.
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(500, text="refused svc:arg-p4ssw0rd here"))
        steps = [{"name": "s", "path": "/x", "headers": {"X-Upstream": "{{ up }}"}}]
        evaluation = await run(
            definition(
                steps, params={"up": {"type": "label_value", "default": "https://svc:arg-p4ssw0rd@backend.svc/"}}
            )
        )
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.details["steps"][0]["body"] == "refused <redacted> here"
        assert evaluation.details["steps"][0]["request"]["headers"]["X-Upstream"] == "https://<redacted>@backend.svc/"

    async def test_an_args_credential_a_body_sends_is_hidden_where_the_target_echoes_it_alone(self, run, respx_mock):
        respx_mock.post(f"{BASE}/x").mock(return_value=httpx.Response(500, text="refused svc:bdy-p4ssw0rd here"))
        steps = [{"name": "s", "method": "POST", "path": "/x", "json_body": {"upstream": "{{ up }}"}}]
        evaluation = await run(
            definition(
                steps, params={"up": {"type": "label_value", "default": "https://svc:bdy-p4ssw0rd@backend.svc/"}}
            )
        )
        assert evaluation.verdict == "fail", evaluation.reason
        assert evaluation.details["steps"][0]["body"] == "refused <redacted> here"


class TestCrashSecrets:
    """A crash while a step is sent logs a traceback without the secrets the catalog wrote into the check."""

    async def test_a_written_secret_header_is_hidden_in_the_crash_traceback(self, run, respx_mock):
        def crash(request: httpx.Request) -> httpx.Response:
            raise ValueError(f"cannot send {request.headers['X-Canary-Pass']} or {request.url.params['pin']}")

        respx_mock.get(url__startswith=f"{BASE}/x").mock(side_effect=crash)
        check = definition(
            [{"name": "a", "path": "/x", "headers": {"X-Canary-Pass": "cp-lit-9a8b"}, "query": {"pin": "pin-4d5e"}}],
            secret_names=["X-Canary-Pass", "pin"],
        )
        with structlog.testing.capture_logs() as logs:
            evaluation = await run(check)
        assert evaluation.error == "internal_error"
        crash = next(line for line in logs if line["event"] == "check_crashed")["exception"]
        assert "ValueError: cannot send <redacted> or <redacted>" in crash

    async def test_a_captured_token_sent_as_a_credential_is_hidden_in_the_crash(self, run, respx_mock):
        # The token is the target's answer, captured at run time: no written secret, no secret arg.
        def crash(request: httpx.Request) -> httpx.Response:
            raise ValueError(f"cannot send {request.headers['X-Session']}")

        respx_mock.post(f"{BASE}/login").mock(return_value=httpx.Response(200, json={"token": "tok-run-7c6d5e4f"}))
        respx_mock.get(f"{BASE}/x").mock(side_effect=crash)
        check = definition(
            [
                {"name": "login", "method": "POST", "path": "/login", "capture": {"token": {"json": "$.token"}}},
                {"name": "use", "path": "/x", "headers": {"X-Session": "{{ token }}"}},
            ]
        )
        with structlog.testing.capture_logs() as logs:
            evaluation = await run(check)
        assert evaluation.error == "internal_error"
        crash_log = next(line for line in logs if line["event"] == "check_crashed")["exception"]
        assert "ValueError: cannot send <redacted>" in crash_log
        assert evaluation.reason == "internal error in check 'smoke': ValueError: cannot send <redacted>"
        assert "tok-run" not in crash_log + evaluation.reason

    async def test_the_reason_names_the_exception_not_its_task_group(self, run, respx_mock):
        # Before: "internal error in check 'smoke': ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)".
        def crash(request: httpx.Request) -> httpx.Response:
            raise ValueError(f"cannot send {request.headers['X-Canary-Pass']}")

        respx_mock.get(url__startswith=f"{BASE}/x").mock(side_effect=crash)
        check = definition(
            [{"name": "a", "path": "/x", "headers": {"X-Canary-Pass": "cp-lit-9a8b"}}], secret_names=["X-Canary-Pass"]
        )
        evaluation = await run(check)
        assert evaluation.error == "internal_error"
        assert evaluation.reason == "internal error in check 'smoke': ValueError: cannot send <redacted>"


class TestSecretHostArgs:
    """A refused host quotes no secret arg that makes it."""

    def test_a_host_too_long_hides_a_secret_label(self):
        params = {name: {"type": "dns_label", "required": True} for name in "abcde"}
        params["a"]["secret"] = True
        check = load(
            {
                "name": "smoke",
                "kind": "http_smoke",
                "base_url": "http://{{ a }}.{{ b }}.{{ c }}.{{ d }}.{{ e }}.shop.svc",
                "allowed_hosts": ["*.shop.svc"],
                "params": params,
                "steps": [{"name": "s", "path": "/"}],
            }
        )
        # Each label valid, the host over 253 characters: the 400 quotes its start, the secret first.
        with pytest.raises(ArgError) as refused:
            check.bind_args({"a": "s3cr3t" + "x" * 57, **{name: "y" * 63 for name in "bcde"}})
        assert refused.value.message.startswith("args make a host of 328 characters, starting '<redacted>.yyyy")
        assert "s3cr3t" not in refused.value.message

    async def test_a_short_secret_label_beside_a_long_one_is_judged(self, run, respx_mock):
        # The evidence's base was rendered with each secret label as a 25-character mark, which made this valid host
        # (a label of 63) invalid: every evaluation was `internal_error` on args the 400 had accepted.
        host = "ab" + "c" * 61 + ".shop.svc"
        respx_mock.get(f"http://{host}/").mock(return_value=httpx.Response(200))
        check = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://{{ tok }}{{ x }}.shop.svc",
            "allowed_hosts": ["*.shop.svc"],
            "params": {
                "tok": {"type": "dns_label", "required": True, "secret": True},
                "x": {"type": "dns_label", "required": True},
            },
            "steps": [{"name": "s", "path": "/"}],
        }
        evaluation = await run(check, {"tok": "ab", "x": "c" * 61})
        assert (evaluation.verdict, evaluation.error) == (Outcome.PASS, None)
        assert evaluation.details["steps"][0]["request"]["url"] == f"http://<redacted>{'c' * 61}.shop.svc/"

    @staticmethod
    def scorecard(secret: bool) -> dict[str, Any]:
        """A composite passing its params on to a smoke check whose host they make, `b` a secret of its own."""
        params = {name: {"type": "dns_label", "required": True} for name in "abcde"}
        smoke = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://{{ a }}.{{ b }}.{{ c }}.{{ d }}.{{ e }}.shop.svc",
            "allowed_hosts": ["*.shop.svc"],
            "params": params,
            "steps": [{"name": "s", "path": "/", "timeout_s": 1}],
        }
        card = {
            "name": "card",
            "kind": "composite",
            "params": {name: {**param, "secret": secret and name == "b"} for name, param in params.items()},
            "members": [{"check": "smoke", "args": {name: f"{{{{ {name} }}}}" for name in "abcde"}}],
        }
        return build_catalog([("t.yaml", {"checks": [smoke, card]})], Registry.default()).checks["card"]

    def test_a_cut_host_shows_no_part_of_a_composites_secret(self):
        # The member does not know `b` as a secret: the composite hides its value whole in the refusal, which missed
        # the 16 characters the cut at 80 left of it ('...yyy.s3cr3tzzzzzzzzzz').
        with pytest.raises(ArgError) as refused:
            self.scorecard(secret=True).bind_args(
                {"a": "y" * 63, "b": "s3cr3t" + "z" * 57, **{n: "x" * 63 for n in "cde"}}
            )
        assert "s3cr3t" not in refused.value.message and "zzz" not in refused.value.message
        assert "rejects its args: args make a host of 328 characters, starting '" + "y" * 63 + ".'" in (
            refused.value.message
        )

    def test_the_cut_shows_an_arg_whole_or_not_at_all(self):
        with pytest.raises(ArgError) as refused:
            self.scorecard(secret=False).bind_args({"a": "y" * 63, "b": "b" * 63, **{n: "x" * 63 for n in "cde"}})
        assert (
            "member 'smoke' (members[0]) rejects its args: args make a host of 328 characters, starting '"
            + (
                "y" * 63
                + "."
                + "', which is not a valid DNS name (labels of 1-63 lowercase letters, digits and '-', at most "
                "253 characters)"
            )
            in refused.value.message
        )


class TestHopSecrets:
    """The user info and the secret-named query values of a URL the target sends the request on to are hidden in
    evidence, as the check's own secrets are."""

    @pytest.mark.parametrize(
        ("url", "user_info"),
        [
            ("http://svc-user:pw@host:8080/next", "svc-user:pw"),
            ("http://host/a@b", ""),
            # Brackets urllib cannot read: the text before the last '@' of the authority, never the path's.
            ("http://u:pw@[bad/a@b", "u:pw"),
            ("http://u:p@w@[bad", "u:p@w"),
            ("http://[bad/a@b", ""),
        ],
    )
    def test_user_info(self, url, user_info):
        assert _user_info(url) == user_info

    async def test_a_redirect_hides_its_user_info_and_session(self, run, respx_mock):
        location = "http://svc-user:HOP-PW@login.shop.svc/next?session=S-SECRET&page=2"
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(302, headers={"Location": location}))
        evaluation = await run(definition([{"name": "hop", "path": "/", "expect": {"status": [302]}}]))
        assert evaluation.verdict == "pass"
        shown = json.dumps(evaluation.details)
        assert "HOP-PW" not in shown and "S-SECRET" not in shown
        assert "svc-user" not in shown and "page=2" in shown

    async def test_a_location_urllib_cannot_read_is_judged(self, run, respx_mock):
        # urlsplit refuses its brackets: reading its query for secrets crashed the check (internal_error).
        location = "http://[bad/next?session=S-SECRET-1"
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(302, headers={"Location": location}))
        evaluation = await run(definition([{"name": "hop", "path": "/", "expect": {"status": [302]}}]))
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["response_headers"]["location"] == "http://[bad/next?session=<redacted>"

    async def test_a_redirect_hides_a_value_under_a_percent_encoded_name(self, run, respx_mock):
        location = "http://login.shop.svc/cb?client%5Fsecret=CS-SECRET-12&pass%77ord=PW-SECRET-34&page=2"
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(302, headers={"Location": location}))
        evaluation = await run(definition([{"name": "hop", "path": "/", "expect": {"status": [301]}}]))
        shown = evaluation.details["steps"][0]["response_headers"]["location"]
        assert shown == "http://login.shop.svc/cb?client%5Fsecret=<redacted>&pass%77ord=<redacted>&page=2"
        assert "SECRET" not in json.dumps(evaluation.model_dump(mode="json"))

    async def test_a_redirect_hides_a_token_in_its_fragment(self, run, respx_mock):
        # An OAuth implicit grant answers with the token in the fragment: only the query was looked at.
        location = "http://login.shop.svc/cb?page=2#access_token=AT-SECRET-12&state=x"
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(302, headers={"Location": location}))
        evaluation = await run(definition([{"name": "hop", "path": "/", "expect": {"status": [301]}}]))
        shown = evaluation.details["steps"][0]["response_headers"]["location"]
        assert shown == "http://login.shop.svc/cb?page=2#access_token=<redacted>&state=x"


class TestHopUserInfoBeforeADoubleSlash:
    """The user info of a hop URL urllib cannot read is found before a `//` its path holds too."""

    def test_user_info(self):
        # Read after the last `//`, the authority was the path's `a`: no user info, the password left shown.
        assert _user_info("http://u:pw@[bad//a") == "u:pw"

    async def test_a_redirect_hides_it(self, run, respx_mock):
        location = "http://svc-user:HOP-PW-12@[bad//next"
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(302, headers={"Location": location}))
        evaluation = await run(definition([{"name": "hop", "path": "/", "expect": {"status": [302]}}]))
        assert evaluation.verdict == "pass", evaluation.reason
        assert "HOP-PW-12" not in json.dumps(evaluation.model_dump(mode="json"))
        assert evaluation.details["steps"][0]["response_headers"]["location"].endswith("@[bad//next")


class TestCapturedSecrets:
    """Captured values are secret by default: hidden wherever the check placed them and wherever they show up
    in text; a capture may opt out."""

    @staticmethod
    def chain(capture: dict[str, Any], **second: Any) -> dict[str, Any]:
        return definition(
            [
                {"name": "get", "path": "/id", "capture": {"value": capture}},
                {
                    "name": "use",
                    "path": "/use/{{ value }}",
                    "query": {"v": "x{{ value }}"},
                    "headers": {"X-Thing": "v1-{{ value }}"},
                    "json_body": {"note": "id {{ value }}"},
                    "method": "POST",
                    **second,
                },
            ]
        )

    async def test_short_values_are_hidden_where_placed_and_where_they_stand_alone(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "7", "build": "1.2.7"}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(200, json={"echo": "7", "port": "127.0.0.1:8080"})
        )
        evaluation = await run(self.chain({"json": "$.value"}, expect={"json": [{"path": "$.echo", "equals": "8"}]}))
        assert evaluation.reason == ('step \'use\' (2/2) failed: json $.echo equals: expected "8", got "<redacted>"')
        first, second = evaluation.details["steps"]
        assert first["body"] == '{"value":"<redacted>","build":"1.2.7"}'
        assert second["request"]["url"] == f"{BASE}/use/<redacted>?v=x<redacted>"
        assert second["request"]["headers"]["X-Thing"] == "v1-<redacted>"
        assert second["request"]["body"] == '{"note":"id <redacted>"}'
        assert second["body"] == '{"echo":"<redacted>","port":"127.0.0.1:8080"}'

    async def test_long_values_are_hidden_everywhere_in_every_escaping(self, run, respx_mock):
        token = 's3cr3t/t0ken+"q"=='
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(
                200, text=f"prefix{token}suffix {quote(token, safe='')} {quote_plus(token)} {json.dumps(token)}"
            )
        )
        evaluation = await run(self.chain({"json": "$.value"}, expect={"body_contains": ["absent"]}))
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "t0ken" not in shown
        assert evaluation.details["steps"][1]["body"] == 'prefix<redacted>suffix <redacted> <redacted> "<redacted>"'

    async def test_an_opted_out_capture_is_shown(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "order-42"}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(return_value=httpx.Response(200))
        evaluation = await run(self.chain({"json": "$.value", "secret": False}))
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][1]["request"]["url"] == f"{BASE}/use/order-42?v=xorder-42"

    async def test_an_opted_out_capture_sent_as_a_credential_is_shown_where_the_target_echoes_it(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "order-42"}))
        respx_mock.get(f"{BASE}/use").mock(return_value=httpx.Response(500, text="no access for order-42"))
        steps = [
            {"name": "get", "path": "/id", "capture": {"value": {"json": "$.value", "secret": False}}},
            {"name": "use", "path": "/use", "headers": {"Authorization": "Bearer {{ value }}"}},
        ]
        evaluation = await run(definition(steps))
        assert evaluation.details["steps"][1]["body"] == "no access for order-42"
        assert evaluation.details["steps"][1]["request"]["headers"]["Authorization"] == "<redacted>"

    async def test_a_secret_query_value_holding_an_opted_out_capture_is_hidden_where_the_target_echoes_it(
        self, run, respx_mock
    ):
        # The capture alone is shown, as it opted out; the value under the secret name, with what the check wrote
        # around it, is a credential all the same.
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "order-42"}))
        respx_mock.get(url__startswith=f"{BASE}/use").mock(
            return_value=httpx.Response(500, text="no access for order-42-k3y")
        )
        steps = [
            {"name": "get", "path": "/id", "capture": {"value": {"json": "$.value", "secret": False}}},
            {"name": "use", "path": "/use", "query": {"api_key": "{{ value }}-k3y"}},
        ]
        evaluation = await run(definition(steps))
        assert evaluation.details["steps"][1]["body"] == "no access for <redacted>"

    def test_the_definition_shows_which_captures_are_secret(self):
        shown = load(self.chain({"json": "$.value"})).definition()
        assert shown["steps"][0]["capture"]["value"] == {"json": "$.value", "secret": True}

    @pytest.mark.parametrize(
        ("answer", "capture", "got"),
        [
            (
                {"value": "eyJ" + "x" * 1100 + "mark9c1e"},
                "$.value",
                "a value of 1,111 characters, over the 1,024 limit",
            ),
            ({"value": "tok\tmark9c1e"}, "$.value", "a value with control characters"),
            ({"auth": {"access_token": "mark9c1e", "expires": 36009}}, "$.auth", "an object with 2 keys"),
            ({"auth": ["mark9c1e"]}, "$.auth", "a list of 1 item"),
        ],
    )
    async def test_an_unusable_capture_names_the_problem_and_never_shows_the_value(
        self, run, respx_mock, answer, capture, got
    ):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json=answer))
        evaluation = await run(self.chain({"json": capture}))
        assert (
            evaluation.reason == f"step 'get' (1/2) failed: capture value (json {capture}): expected a string "
            f"or number, got {got}"
        )
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "mark9c1e" not in shown and "xxxx" not in shown and "36009" not in shown

    async def test_an_object_too_large_to_scrub_value_by_value_withholds_the_body(self, run, respx_mock):
        answer = {"auth": {f"k{n}": f"leaf-secret-{n:04d}" for n in range(300)}}
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json=answer))
        evaluation = await run(self.chain({"json": "$.auth"}))
        assert evaluation.details["steps"][0]["body"].startswith("<redacted: a secret capture found an object")
        assert "leaf-secret" not in json.dumps(evaluation.model_dump(mode="json"))

    async def test_an_unusable_capture_that_opts_out_is_still_not_quoted_in_the_reason(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "a\tb-mark"}))
        evaluation = await run(self.chain({"json": "$.value", "secret": False}))
        assert evaluation.reason.endswith("got a value with control characters")
        assert evaluation.details["steps"][0]["body"] == '{"value":"a\\tb-mark"}'

    async def test_values_are_hidden_in_escaped_slash_lowercase_hex_and_html_forms(self, run, respx_mock):
        token = "s3cr3t/t0ken&'<q>"
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(
                200,
                text=" ".join(
                    [
                        json.dumps(token).replace("/", "\\/"),
                        quote(token, safe="").lower(),
                        quote_plus(token).lower(),
                        "s3cr3t/t0ken&amp;&#39;&lt;q&gt;",
                    ]
                ),
            )
        )
        evaluation = await run(self.chain({"json": "$.value"}, expect={"body_contains": ["absent"]}))
        assert evaluation.details["steps"][1]["body"] == '"<redacted>" <redacted> <redacted> <redacted>'
        assert "t0ken" not in json.dumps(evaluation.model_dump(mode="json"))

    async def test_values_are_hidden_however_a_server_re_encoded_them_in_a_url(self, run, respx_mock):
        # A framework echoing the query it received (a Location, a debug page) writes it its own way: '/' left
        # bare, '+' and '=' escaped, one character escaped where the sender had not.
        token = "Ab/Cd+Ef=Gh==xy"
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(
                200, text=f"{quote(token, safe='/')} {quote(token, safe='/=')} %41b/Cd%2bEf=Gh==xy a/b"
            )
        )
        evaluation = await run(self.chain({"json": "$.value"}, expect={"body_contains": ["absent"]}))
        assert evaluation.details["steps"][1]["body"] == "<redacted> <redacted> <redacted> a/b"

    async def test_a_long_value_cut_short_in_a_quote_shows_none_of_its_start(self, run, respx_mock):
        token = "eyJhbGciOi." + "ab12" * 40
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(return_value=httpx.Response(200, text="x" * 100 + token))
        evaluation = await run(self.chain({"json": "$.value"}, expect={"body_contains": ["absent"]}))
        assert evaluation.reason.endswith("got a body without it: " + "x" * 100 + "<redacted>... (151 more characters)")
        assert "eyJhbG" not in json.dumps(evaluation.model_dump(mode="json"))

    async def test_values_are_hidden_in_the_escapes_of_other_encoders(self, run, respx_mock):
        # Go's encoding/json writes &, < and > as \u0026, \u003c and \u003e; an HTML encoder may write '/' as &#x2F;
        # and any character as a decimal reference: forms Python's own encoders do not write.
        token = "s3cr3t/t0ken&<q>"
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(
                401,
                text='{"error":"bad token s3cr3t/t0ken\\u0026\\u003cq\\u003e"} '
                "s3cr3t&#x2F;t0ken&amp;&lt;q&gt; s3cr3t&#47;t0ken&#38;&#60;q&#62;",
            )
        )
        evaluation = await run(self.chain({"json": "$.value"}))
        assert evaluation.details["steps"][1]["body"] == '{"error":"bad token <redacted>"} <redacted> <redacted>'

    async def test_a_value_written_wholly_in_json_escapes_is_hidden(self, run, respx_mock):
        # A JSON encoder escaping every character: a value of letters and digits was looked for only where the text
        # held a '%'.
        token = "t0kenAbCd1234"
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": token}))
        escaped = "".join(f"\\u{ord(c):04x}" for c in token)
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(401, text=f'{{"error":"bad token {escaped}"}}')
        )
        evaluation = await run(self.chain({"json": "$.value"}))
        assert evaluation.details["steps"][1]["body"] == '{"error":"bad token <redacted>"}'

    async def test_a_short_value_is_hidden_before_a_file_extension(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "s3c4"}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(404, text="no file /login/s3c4.json")
        )
        evaluation = await run(self.chain({"json": "$.value"}))
        assert evaluation.details["steps"][1]["body"] == "no file /login/<redacted>.json"

    async def test_a_short_value_is_hidden_before_a_full_stop(self, run, respx_mock):
        respx_mock.get(f"{BASE}/id").mock(return_value=httpx.Response(200, json={"value": "s3c-42"}))
        respx_mock.post(url__startswith=f"{BASE}/use/").mock(
            return_value=httpx.Response(401, text="invalid session s3c-42. Sessions s3c-42.1 and xs3c-42 are fine.")
        )
        evaluation = await run(self.chain({"json": "$.value"}))
        assert evaluation.details["steps"][1]["body"] == (
            "invalid session <redacted>. Sessions s3c-42.1 and xs3c-42 are fine."
        )


class TestHostileAnswers:
    """Answers built to crash the judge or stall the event loop are judged, bounded, or errors."""

    @pytest.mark.parametrize("charset", ["punycode", "idna", "undefined", "no-such-codec"])
    async def test_unusual_charsets_are_read_as_utf8(self, run, respx_mock, charset):
        body = "caf\u00e9-x".encode()
        respx_mock.get(f"{BASE}/x").mock(
            return_value=httpx.Response(200, content=body, headers={"Content-Type": f"text/plain; charset={charset}"})
        )
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_contains": ["caf\u00e9-x"]}}]))
        assert evaluation.verdict == "pass", evaluation.reason
        assert evaluation.details["steps"][0]["body"] == "caf\u00e9-x"

    async def test_listed_charsets_are_honoured(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(
            return_value=httpx.Response(
                200, content="caf\u00e9".encode("latin-1"), headers={"Content-Type": "text/plain; charset=ISO-8859-1"}
            )
        )
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_contains": ["caf\u00e9"]}}]))
        assert evaluation.verdict == "pass", evaluation.reason

    async def test_body_regex_sees_only_the_first_64_kib(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, text="x" * MAX_REGEX_CHARS + "ready"))
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_regex": "ready"}}]))
        assert evaluation.verdict == "fail"
        assert f"first {MAX_REGEX_CHARS} characters have no match" in evaluation.reason

    async def test_substring_assertions_see_the_whole_body(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, text="x" * MAX_REGEX_CHARS + "error"))
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_not_contains": ["error"]}}]))
        assert evaluation.verdict == "fail"

    async def test_regex_past_its_time_bound_is_an_error_not_a_verdict(self, run, respx_mock, monkeypatch):
        monkeypatch.setattr("checks.http_smoke.judge.REGEX_TIMEOUT_S", 0.01)
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, text="a" * 40 + "b"))
        evaluation = await run(definition([{"name": "p", "path": "/x", "expect": {"body_regex": "^(a|aa)+$"}}]))
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "the pattern backtracks on it" in evaluation.reason

    @pytest.mark.parametrize(("compare", "number"), [("< 1", "1" + "0" * 400), ("> 1", "-1" + "0" * 400)])
    async def test_integer_beyond_float_range_fails_the_comparison(self, run, respx_mock, compare, number):
        respx_mock.get(f"{BASE}/x").mock(
            return_value=httpx.Response(
                200, text='{"errors": ' + number + "}", headers={"Content-Type": "application/json"}
            )
        )
        evaluation = await run(
            definition([{"name": "p", "path": "/x", "expect": {"json": [{"path": "$.errors", "compare": compare}]}}])
        )
        assert evaluation.verdict == "fail"
        assert f"json $.errors compare: expected {compare}, got {number[:20]}" in evaluation.reason

    async def test_integer_beyond_float_range_compares_exactly_for_equals(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(
            return_value=httpx.Response(
                200, text='{"n": 1' + "0" * 400 + "}", headers={"Content-Type": "application/json"}
            )
        )
        evaluation = await run(
            definition([{"name": "p", "path": "/x", "expect": {"json": [{"path": "$.n", "equals": 1}]}}])
        )
        assert evaluation.verdict == "fail"
        assert "json $.n equals: expected 1" in evaluation.reason

    def test_non_ascii_header_arg_is_a_bad_arg(self):
        check = load(
            definition(
                [{"name": "a", "headers": {"X-User": "{{ user }}"}}],
                params={"user": {"type": "label_value", "default": "x"}},
            )
        )
        with pytest.raises(ArgError, match="non-ASCII") as caught:
            check.bind_args({"user": "caf\u00e9"})
        assert caught.value.arg == "user"

    async def test_non_ascii_captured_header_value_is_a_bad_answer(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200, json={"who": "caf\u00e9"}))
        evaluation = await run(
            definition(
                [
                    {"name": "a", "path": "/a", "capture": {"who": {"json": "$.who"}}},
                    {"name": "b", "path": "/b", "headers": {"X-User": "{{ who }}"}},
                ]
            )
        )
        assert (evaluation.verdict, evaluation.error) == ("error", "target_bad_answer")
        assert "non-ASCII" in evaluation.reason


class TestRepeatEvidence:
    """Under repeat, only the first answer and the first failing one keep their evidence."""

    async def test_first_and_first_failing_responses_are_kept(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(
            side_effect=[
                httpx.Response(200, text="one"),
                httpx.Response(500, text="two"),
                httpx.Response(500, text="three"),
                httpx.Response(200, text="four"),
            ]
        )
        evaluation = await run(definition([{"name": "a", "path": "/a", "repeat": 4, "min_success_ratio": 0.5}]))
        step = evaluation.details["steps"][0]
        assert step["first_response"]["body"] == "one"
        assert step["first_failing_response"]["body"] == "two"
        assert step["repeat"]["statuses"] == {"200": 2, "500": 2}
        assert "three" not in json.dumps(step) and "four" not in json.dumps(step)


class TestBodiesOverTheCap:
    """A pass on bodies drained past max_body_bytes says how many, in the reason and the repeat evidence."""

    async def test_one_body_is_named_in_the_singular(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200, text="0123456789"))
        evaluation = await run(definition([{"name": "a", "path": "/a", "max_body_bytes": 4}]))
        assert evaluation.verdict == "pass", evaluation.reason
        assert (
            "; 1 response body over max_body_bytes, drained and judged on status, latency and headers only: step 'a'"
        ) in evaluation.reason

    async def test_the_pass_docs_kinds_http_smoke_quotes_is_the_one_the_check_gives(self, run, respx_mock):
        # Before: the page quoted "all 1 steps passed (50 requests, ..." after the one-step wording changed.
        respx_mock.get(f"{BASE}/download").mock(return_value=httpx.Response(200, text="0123456789"))
        step = {"name": "download", "path": "/download", "repeat": 50, "concurrency": 5, "max_body_bytes": 4}
        evaluation = await run(definition([step]))
        assert evaluation.verdict == "pass", evaluation.reason
        documented = re.sub(r"slowest response [0-9.]+ ms", "slowest response 820 ms", evaluation.reason)
        assert f"`{documented}`" in (Path(__file__).parents[2] / "docs" / "kinds" / "http-smoke.md").read_text()

    async def test_a_secret_the_cap_cut_shows_none_of_its_start(self, run, respx_mock):
        # The kept bytes were quoted whole with no clip mark: the start of a secret the cap cut was no value the scrub
        # knew, and showed.
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200, text="x" * 30 + "s3cr3t-t0ken-99 tail"))
        step = {"name": "a", "path": "/a", "headers": {"Authorization": "Bearer s3cr3t-t0ken-99"}, "max_body_bytes": 40}
        evaluation = await run(definition([{**step, "expect": {"status": [201]}}]))
        assert evaluation.details["steps"][0]["body"] == "x" * 30 + "<redacted>... (cut at max_body_bytes)"

    async def test_repeated_bodies_are_counted(self, run, respx_mock):
        respx_mock.get(f"{BASE}/a").mock(return_value=httpx.Response(200, text="0123456789"))
        evaluation = await run(definition([{"name": "a", "path": "/a", "max_body_bytes": 4, "repeat": 2}]))
        assert evaluation.verdict == "pass", evaluation.reason
        assert "; 2 response bodies over max_body_bytes" in evaluation.reason
        assert evaluation.details["steps"][0]["repeat"]["bodies_over_cap"] == 2


def judged(expect: dict[str, Any], status: int = 200, latency_ms: float = 10.0, body: bytes = b"", **fields: Any):
    """The failed assertions of one response to a step expecting `expect` (judge_exchange is pure)."""
    step = Step.model_validate({"name": "s", "expect": expect, **fields.pop("step", {})})
    headers = httpx.Headers(fields.pop("headers", {}))
    fields.setdefault("body_truncated", False)
    fields.setdefault("url", f"{BASE}/")
    exchange = HttpExchange(status=status, headers=headers, body=body, latency_ms=latency_ms, **fields)
    return judge_exchange(step, exchange, "step s")


class TestJudgeStringAgainstNumber:
    """A string never equals a number; when the two read as the same number, the failure says which is which."""

    @pytest.mark.parametrize(
        ("body", "equals", "got"),
        [
            (
                b'{"n": 1000}',
                "1e3",
                "1000 (a number, where equals is a string: write equals unquoted, as JSON writes "
                "the number, to mean it)",
            ),
            (
                b'{"n": 1000}',
                "1000",
                "1000 (a number, where equals is a string: write equals unquoted, as JSON writes "
                "the number, to mean it)",
            ),
            (b'{"n": "1e3"}', 1000, '"1e3" (a string, where equals is a number: quote equals to mean the string)'),
            (b'{"n": " 7 "}', 7, '" 7 " (a string, where equals is a number: quote equals to mean the string)'),
            # Nothing more where they read otherwise, or one is no number.
            (b'{"n": "1001"}', 1000, '"1001"'),
            (b'{"n": 1000}', "ok", "1000"),
            (b'{"n": "true"}', 1, '"true"'),
            (b'{"n": true}', "1", "true"),
            (b'{"n": "1"}', True, '"1"'),
            (b'{"n": "NaN"}', 1, '"NaN"'),
            (b'{"n": "1000x"}', 1000, '"1000x"'),
        ],
    )
    def test_the_failure_says_which_is_which(self, body, equals, got):
        failures = judged({"json": [{"path": "$.n", "equals": equals}]}, body=body)
        assert [failure.got for failure in failures.failures] == [got]

    def test_a_string_no_number_fails_however_deep_it_reads(self):
        # Read as JSON whatever it held, the text `[[[…` raised RecursionError out of the judge, where the step fails.
        text = "[" * 100_000
        failures = judged({"json": [{"path": "$.n", "equals": 1000}]}, body=json.dumps({"n": text}).encode())
        assert [failure.assertion for failure in failures.failures] == ["json $.n equals"]
        assert failures.failures[0].got.startswith('"[[[')
        assert "(a string" not in failures.failures[0].got

    def test_a_secret_path_says_it_without_the_values(self):
        failures = judged({"json": [{"path": "$.token", "equals": "1000"}]}, body=b'{"token": 1000}')
        assert [failure.got for failure in failures.failures] == [
            '"<redacted>" (a number, where equals is a string: write equals unquoted, as JSON writes the number, to '
            "mean it)"
        ]


class TestJudgeStatus:
    """A status passes when it lies in any listed code, class or range, bounds included."""

    @pytest.mark.parametrize(
        ("codes", "status", "passes"),
        [
            ([200], 200, True),
            ([200], 201, False),
            (["2xx"], 200, True),
            (["2xx"], 299, True),
            (["2xx"], 300, False),
            (["200-204"], 204, True),
            (["200-204"], 205, False),
            (["200-200"], 200, True),
            (["200-200"], 201, False),
            ([200, 204], 204, True),
            ([200, "3xx"], 302, True),
        ],
    )
    def test_status(self, codes, status, passes):
        assert (judged({"status": codes}, status=status).failures == []) is passes


class TestJudgeLatency:
    """max_latency_ms is an upper bound, the bound itself included."""

    @pytest.mark.parametrize(("latency_ms", "passes"), [(99.9, True), (100.0, True), (100.1, False), (5000, False)])
    def test_latency(self, latency_ms, passes):
        failures = judged({"max_latency_ms": 100}, latency_ms=latency_ms).failures
        assert (failures == []) is passes
        assert passes or failures[0].assertion == "max_latency_ms"

    @pytest.mark.parametrize(
        ("latency_ms", "limit_ms", "failure"),
        [
            # To 6 digits: "expected <= 100 ms, got 100 ms".
            (100.0000001, 100, "max_latency_ms: expected <= 100 ms, got 100.0000001 ms"),
            (100.0, 99.9999999, "max_latency_ms: expected <= 99.9999999 ms, got 100 ms"),
            # Each written against the other alone, both read "10".
            (10.0000001, 9.9999999, "max_latency_ms: expected <= 9.9999999 ms, got 10 ms"),
        ],
    )
    def test_a_failure_never_shows_the_latency_and_its_bound_alike(self, latency_ms, limit_ms, failure):
        failures = judged({"max_latency_ms": limit_ms}, latency_ms=latency_ms).failures
        assert [str(f) for f in failures] == [failure]


class TestJudgeOversizedBody:
    """A body over the cap fails with oversized_body fail or when an assertion needs the body; else it is drained."""

    @pytest.mark.parametrize(
        ("step", "expect", "fails"),
        [
            ({"oversized_body": "fail"}, {}, True),
            ({"oversized_body": "drain"}, {}, False),
            ({"oversized_body": "drain"}, {"body_contains": ["ok"]}, True),
        ],
    )
    def test_oversized(self, step, expect, fails):
        result = judged(expect, body=b"ok ok", body_truncated=True, body_drained=True, step=step)
        assert [f.assertion for f in result.failures] == (["max_body_bytes"] if fails else [])


class TestJudgeCaptures:
    """Captures from a header and from the JSON body work side by side in one step."""

    def test_header_and_json(self):
        capture = {"loc": {"header": "Location"}, "id": {"json": "$.id"}}
        result = judged(
            {},
            body=b'{"id": "a1"}',
            headers={"Location": "/x", "content-type": "application/json"},
            step={"capture": capture},
        )
        assert result.failures == [] and result.captured == {"loc": "/x", "id": "a1"}


class TestJudgeCookieCaptures:
    """A cookie capture takes the value the answer leaves that cookie with: its name as written, the last line of it,
    never a line that deletes it."""

    @staticmethod
    def captured(*set_cookies: str) -> tuple[dict[str, str], list[str]]:
        result = judged(
            {}, headers=[("Set-Cookie", line) for line in set_cookies], step={"capture": {"sid": {"cookie": "session"}}}
        )
        return result.captured, [f.got for f in result.failures]

    @pytest.mark.parametrize(
        ("set_cookies", "value"),
        [
            (("session=a; Path=/", "Session=b", "session=c; Path=/"), "c"),
            (("session=a", "SESSION=b"), "a"),
            # A deletion of the cookie on another path (a legacy one) leaves the session this answer set.
            (("session=s3ss10n; Path=/", "session=; Path=/old; Max-Age=0"), "s3ss10n"),
            # Max-Age wins over Expires (RFC 6265 5.3); a Max-Age that is not a number is ignored.
            (("session=s3ss10n; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",), "s3ss10n"),
            (("session=s3ss10n; Max-Age=soon; Expires=Wed, 09 Jun 2100 10:18:14 GMT",), "s3ss10n"),
            # A second's life is no deletion.
            (("session=s3ss10n; Max-Age=1",), "s3ss10n"),
            # One per Path: the one set last.
            (("session=a; Path=/", "session=b; Path=/app"), "b"),
            # A year before 1601 is no cookie-date (RFC 6265 5.1.1): browsers ignore the Expires and keep the session,
            # which was read as a deletion.
            (("session=s3ss10n; Expires=Mon, 01 Jan 1000 00:00:00 GMT",), "s3ss10n"),
        ],
    )
    def test_the_value_the_answer_leaves(self, set_cookies, value):
        assert self.captured(*set_cookies) == ({"sid": value}, [])

    @pytest.mark.parametrize(
        "set_cookies",
        [
            # A failed login signing the caller out (PHP's form): "deleted" was captured as the session, the step
            # passed, and a later step that sent it on did not show the login had failed.
            ("session=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/",),
            ("session=deleted; Expires=Thu, 01 Jan 1970 00:00:00 GMT",),
            ("session=s3ss10n; Path=/", "session=s3ss10n; Path=/; Max-Age=-1"),
            # Without a Path (or with one not starting with '/') a cookie's path is the default path of the answer's
            # URL, / here: the same cookie as Path=/, which browsers delete. Told apart, the session was captured.
            ("session=s3ss10n", "session=; Path=/; Max-Age=0"),
            ("session=s3ss10n; Path=/", "session=; Path=login; Max-Age=0"),
            # A Max-Age browsers ignore (not an integer) leaves the one before it: a deletion, which was read as none,
            # and the session captured.
            ("session=s3ss10n; Max-Age=0; Max-Age=soon",),
            # Browsers read a date from its parts (RFC 6265 5.1.1), its time with milliseconds too: ignored as no date,
            # the session browsers delete was captured.
            ("session=deleted; Expires=Thu, 01 Jan 1970 00:00:00.000 GMT",),
        ],
    )
    def test_a_line_that_deletes_the_cookie_is_no_value(self, set_cookies):
        assert self.captured(*set_cookies) == ({}, ["a Set-Cookie that deletes it"])

    @pytest.mark.parametrize(
        ("set_cookies", "got"),
        [
            # A release that names the wrong cookie domain (a login loop for every user: browsers drop the cookie)
            # passed: the capture took the value and the next step sent it by hand.
            (
                ("session=s3ss10n; Domain=shop.example",),
                "a Set-Cookie browsers refuse: Domain shop.example is not app.shop.svc or a parent of it",
            ),
            (
                ("session=s3ss10n; Domain=pp.shop.svc",),
                "a Set-Cookie browsers refuse: Domain pp.shop.svc is not app.shop.svc or a parent of it",
            ),
            (("session=s3ss10n; Path=/; Secure",), "a Set-Cookie browsers refuse: Secure, set by an http answer"),
            # A name of one label is a public suffix (the suffix list's default rule, `*`): browsers take it for no
            # other host, and the hops' cookies never did. Captured, the session went on by hand to every `*.svc`.
            (
                ("session=s3ss10n; Domain=svc",),
                "a Set-Cookie browsers refuse: Domain svc is a public suffix, not app.shop.svc",
            ),
            (
                ("session=s3ss10n; Domain=.SVC",),
                "a Set-Cookie browsers refuse: Domain svc is a public suffix, not app.shop.svc",
            ),
            # Browsers drop one leading dot of a Domain (RFC 6265 5.2.3): `.shop.svc` is left, no parent of any host.
            (
                ("session=s3ss10n; Domain=..shop.svc",),
                "a Set-Cookie browsers refuse: Domain .shop.svc is not app.shop.svc or a parent of it",
            ),
        ],
    )
    def test_a_line_browsers_refuse_is_no_value(self, set_cookies, got):
        assert self.captured(*set_cookies) == ({}, [got])

    @pytest.mark.parametrize(
        ("line", "got"),
        [
            # RFC 6265bis's prefixes: browsers drop a __Host- cookie with a Domain, a Path other than / or no Secure,
            # and a __Secure- one without Secure (any case of the prefix).
            ("__Host-session=s3ss10n; Path=/; Secure; Domain=app.shop.svc", "__Host- with a Domain"),
            ("__Host-session=s3ss10n; Path=/app; Secure", "__Host- without Path=/"),
            ("__host-session=s3ss10n; Secure", "__Host- without Path=/"),
            ("__Host-session=s3ss10n; Path=/", "__Host- without Secure"),
            ("__Secure-session=s3ss10n; Path=/", "__Secure- without Secure"),
        ],
    )
    def test_a_prefixed_cookie_breaking_its_prefix_rules_is_no_value(self, line, got):
        name = line.partition("=")[0]
        result = judged(
            {},
            headers=[("Set-Cookie", line)],
            step={"capture": {"sid": {"cookie": name}}},
            url="https://app.shop.svc/",
        )
        assert (result.captured, [f.got for f in result.failures]) == ({}, [f"a Set-Cookie browsers refuse: {got}"])

    @pytest.mark.parametrize(
        ("url", "line", "got"),
        [
            # The Public Suffix List's names, its private part too: browsers keep such a cookie nowhere. Captured, the
            # session went by hand, and across origins on a redirect, to every host under it.
            ("http://a.github.io/", "session=s3ss10n; Domain=github.io", "Domain github.io is a public suffix"),
            ("http://shop.co.uk/", "session=s3ss10n; Domain=.CO.uk", "Domain co.uk is a public suffix"),
            (
                "http://a.b.s3.amazonaws.com/",
                "session=s3ss10n; Domain=s3.amazonaws.com",
                "Domain s3.amazonaws.com is a public suffix",
            ),
        ],
    )
    def test_a_public_suffix_domain_is_refused(self, url, line, got):
        result = judged({}, headers=[("Set-Cookie", line)], step={"capture": {"sid": {"cookie": "session"}}}, url=url)
        host = httpx.URL(url).host
        assert (result.captured, [f.got for f in result.failures]) == (
            {},
            [f"a Set-Cookie browsers refuse: {got}, not {host}"],
        )

    @pytest.mark.parametrize(
        ("url", "line", "domain"),
        [
            # A name the list makes registrable under a public suffix: a Domain cookie, as before.
            ("http://a.shop.github.io/", "session=s3ss10n; Domain=shop.github.io", "shop.github.io"),
            ("http://www.shop.co.uk/", "session=s3ss10n; Domain=shop.co.uk", "shop.co.uk"),
            # A public suffix that is the host itself: kept for that host alone (RFC 6265 5.3 step 5), as a cookie
            # without Domain, not for every name under it.
            ("http://github.io/", "session=s3ss10n; Domain=github.io", ""),
            ("http://checkout/", "session=s3ss10n; Domain=checkout", ""),
        ],
    )
    def test_a_registrable_domain_or_the_host_itself_is_kept(self, url, line, domain):
        result = judged({}, headers=[("Set-Cookie", line)], step={"capture": {"sid": {"cookie": "session"}}}, url=url)
        assert (result.captured, result.failures) == ({"sid": "s3ss10n"}, [])
        assert result.cookie_scopes["sid"].domain == domain

    def test_an_addresss_domain_that_is_itself_deletes_the_cookie_without_domain(self):
        # Browsers keep a cookie an address sets for itself as one for that address alone: the same cookie as one set
        # without Domain, which this deletion deletes (kept apart, the session was captured).
        result = judged(
            {},
            headers=[
                ("Set-Cookie", "session=s3ss10n; Path=/"),
                ("Set-Cookie", "session=; Domain=127.0.0.1; Max-Age=0"),
            ],
            step={"capture": {"sid": {"cookie": "session"}}},
            url="http://127.0.0.1/",
        )
        assert [f.got for f in result.failures] == ["a Set-Cookie that deletes it"]

    def test_a_public_suffix_the_host_is_deletes_the_cookie_without_domain(self):
        # Kept for the host alone, `Domain=github.io` from github.io is the same cookie as one set without Domain: a
        # deletion of either deletes it.
        result = judged(
            {},
            headers=[("Set-Cookie", "session=s3ss10n; Domain=github.io"), ("Set-Cookie", "session=; Max-Age=0")],
            step={"capture": {"sid": {"cookie": "session"}}},
            url="http://github.io/",
        )
        assert [f.got for f in result.failures] == ["a Set-Cookie that deletes it"]

    def test_a_prefixed_cookie_keeping_its_rules_is_kept(self):
        result = judged(
            {},
            headers=[("Set-Cookie", "__Host-session=s3ss10n; Path=/; Secure")],
            step={"capture": {"sid": {"cookie": "__Host-session"}}},
            url="https://app.shop.svc/",
        )
        assert result.captured == {"sid": "s3ss10n"}

    @pytest.mark.parametrize(
        "set_cookies",
        [
            ("session=s3ss10n; Domain=shop.svc",),
            ("session=s3ss10n; Domain=.APP.shop.svc",),
            ("session=s3ss10n; Path=/", "session=other; Domain=shop.example"),
        ],
    )
    def test_a_domain_covering_the_host_is_kept(self, set_cookies):
        assert self.captured(*set_cookies) == ({"sid": "s3ss10n"}, [])


def http_date(time_s: float) -> str:
    """An HTTP-date (IMF-fixdate), as a Date or an Expires writes one."""
    return email.utils.formatdate(time_s, usegmt=True)


class TestJudgeCookieExpiresByTheAnswersDate:
    """An Expires is read by the answer's own Date when it has one (a server means it by its clock, and Chromium reads
    it so), else by the analyzer's clock; a Max-Age counts from now whatever the Date."""

    @staticmethod
    def captured(*headers: tuple[str, str]) -> tuple[dict[str, str], list[str]]:
        result = judged({}, headers=list(headers), step={"capture": {"sid": {"cookie": "session"}}})
        return result.captured, [f.got for f in result.failures]

    def test_an_expires_past_by_a_date_ahead_of_ours_deletes(self):
        # A sign-out from a server whose clock runs an hour ahead: its Expires, a second before its Date, was an hour
        # ahead of ours, and the session was captured where users are signed out.
        date_s = time.time() + 3600
        captured, got = self.captured(
            ("Date", http_date(date_s)), ("Set-Cookie", f"session=s3ss10n; Expires={http_date(date_s - 1)}")
        )
        assert captured == {}
        assert len(got) == 1 and re.fullmatch(
            r"a Set-Cookie that deletes it \(an Expires past by the answer's Date, 3[56][0-9]{2} s ahead of the "
            r"analyzer's clock\)",
            got[0],
        ), got

    def test_the_scope_is_that_of_the_cookie_the_value_came_from(self):
        # The later line, for /other, is deleted by the Date: the value is the /app one's, and so is where it may go
        # (read by our clock alone, the value of /app went on to /other, where browsers do not send it).
        date_s = time.time() + 3600
        result = judged(
            {},
            headers=[
                ("Date", http_date(date_s)),
                ("Set-Cookie", "session=s3ss10n; Path=/app"),
                ("Set-Cookie", f"session=0ther; Path=/other; Expires={http_date(date_s - 1)}"),
            ],
            step={"capture": {"sid": {"cookie": "session"}}},
        )
        assert result.captured == {"sid": "s3ss10n"}
        assert result.cookie_scopes["sid"].path == "/app"

    def test_a_date_a_year_ahead_is_said_in_whole_seconds(self):
        # A broken server clock: a session for a day by ours is past by its Date, and the failure says by how much.
        captured, got = self.captured(
            ("Date", http_date(time.time() + 365 * 86400)),
            ("Set-Cookie", f"session=s3ss10n; Expires={http_date(time.time() + 86400)}"),
        )
        assert captured == {} and len(got) == 1
        # 365 days, less the part of a second the Date's whole seconds drop.
        assert re.search(r"the answer's Date, (31536000|315359[0-9]{2}) s ahead of the analyzer's clock\)$", got[0]), (
            got
        )

    def test_an_expires_past_by_our_clock_is_kept_when_the_date_says_it_is_ahead(self):
        # A server whose clock runs an hour behind sets a session for its next 59 minutes: Chromium keeps it (its
        # Expires read by the Date, tests/integration/test_http_smoke_cookies_browser.py), and so is it captured;
        # read by our clock it was deleted, and the login failed where users are signed in.
        captured, got = self.captured(
            ("Date", http_date(time.time() - 3600)),
            ("Set-Cookie", f"session=s3ss10n; Expires={http_date(time.time() - 60)}"),
        )
        assert (captured, got) == ({"sid": "s3ss10n"}, [])

    def test_an_expires_past_by_the_date_deletes_whatever_our_clock(self):
        # The same server signing out, an Expires a second before its Date: a deletion.
        captured, got = self.captured(
            ("Date", http_date(time.time() - 3600)),
            ("Set-Cookie", f"session=s3ss10n; Expires={http_date(time.time() - 3601)}"),
        )
        assert (captured, got) == ({}, ["a Set-Cookie that deletes it"])

    @pytest.mark.parametrize("skew_s", [-3600, 0, 3600])
    def test_a_session_with_a_far_expires_is_kept_whatever_the_date(self, skew_s):
        captured, got = self.captured(
            ("Date", http_date(time.time() + skew_s)),
            ("Set-Cookie", f"session=s3ss10n; Path=/; Expires={http_date(time.time() + 30 * 86400)}"),
        )
        assert (captured, got) == ({"sid": "s3ss10n"}, [])

    @pytest.mark.parametrize(
        "date",
        [
            # Max-Age wins over Expires (RFC 6265 5.3), and counts from now whatever the Date.
            "Fri, 01 Jan 2100 00:00:00 GMT",
            # A Date that names no time is no clock: ours alone reads the Expires.
            "soon",
        ],
    )
    def test_a_max_age_or_a_date_that_is_no_time_leaves_our_clock(self, date):
        expires = http_date(time.time() + 3600)
        captured, got = self.captured(
            ("Date", date), ("Set-Cookie", f"session=s3ss10n; Expires={expires}; Max-Age=3600")
        )
        assert (captured, got) == ({"sid": "s3ss10n"}, [])
        if date == "soon":
            captured, got = self.captured(("Date", date), ("Set-Cookie", f"session=s3ss10n; Expires={expires}"))
            assert (captured, got) == ({"sid": "s3ss10n"}, [])

    @pytest.mark.parametrize(("first_s", "then_s", "kept"), [(0, 3600, True), (3600, 0, False)])
    def test_of_dates_that_differ_the_first(self, first_s, then_s, kept):
        # Chromium reads the first Date line alone: by the latest, a session it keeps was deleted.
        captured, _ = self.captured(
            ("Date", http_date(time.time() + first_s)),
            ("Date", http_date(time.time() + then_s)),
            ("Set-Cookie", f"session=s3ss10n; Expires={http_date(time.time() + 1800)}"),
        )
        assert captured == ({"sid": "s3ss10n"} if kept else {})


class TestHopAndCapturedCookiesAgree:
    """A cookie a redirect hop sets and the same cookie captured go to the same URLs: one set of browsers' rules reads
    both (the hops' store is http.cookiejar with _HopCookieRules, a capture's scope CookieScope)."""

    SETTERS = (
        "http://a.shop.svc/auth/login",
        "https://a.shop.svc/login",
        "http://checkout/x/y",
        "http://127.0.0.1/a/b",
        "http://a.github.io/login",
        "http://github.io/login",
    )
    # Far ahead of the analyzer's clock, as a server's whose clock is wrong.
    DATE = "Fri, 01 Jan 2100 00:00:00 GMT"
    ATTRIBUTES = (
        "",
        "; Domain=shop.svc",
        "; Domain=.SHOP.svc; Path=/auth/",
        "; Domain=a.shop.svc; Domain=",
        "; Domain=svc",
        "; Domain=checkout",
        "; Domain=127.0.0.1",
        "; Domain=0.1",
        "; Domain=shop.svc.",
        # One leading dot is dropped (RFC 6265 5.2.3), not two.
        "; Domain=..shop.svc",
        "; Domain=..checkout",
        "; Path=/; Path=/auth",
        "; Path=auth",
        "; Path=/auth; Max-Age=0; Max-Age=soon",
        "; Secure; Path=/",
        "; Domain=shop.svc; Version=1",
        # Past dates http.cookiejar or email.utils could not read, and one before 1601 browsers ignore.
        "; Expires=Thu Jan 01 1970 00:00:00 GMT+0000 (UTC)",
        "; Expires=Thu, 01 Jan 1970 00:00:00.000 GMT",
        "; Expires=Mon, 01 Jan 1000 00:00:00 GMT",
        # Past by the answer's Date, not by the analyzer's clock.
        "; Expires=Thu, 31 Dec 2099 23:59:59 GMT",
        "; Domain=github.io",
        "; Domain=.GitHub.io; Path=/",
    )
    TARGETS = tuple(
        f"{scheme}://{host}{path}"
        for scheme in ("http", "https")
        for host in (
            "a.shop.svc",
            "b.a.shop.svc",
            "shop.svc",
            "checkout",
            "x.checkout",
            "127.0.0.1",
            "10.0.0.1",
            "github.io",
            "a.github.io",
            "b.github.io",
        )
        for path in ("/", "/auth", "/auth/x", "/authx")
    )

    @pytest.mark.parametrize("setter", SETTERS)
    @pytest.mark.parametrize("attributes", ATTRIBUTES)
    def test_they_go_to_the_same_urls(self, setter, attributes):
        line = "session=v" + attributes
        result = judged(
            {},
            headers=[("Date", self.DATE), ("Set-Cookie", line)],
            step={"capture": {"sid": {"cookie": "session"}}},
            url=setter,
        )
        scope = result.cookie_scopes.get("sid")
        jar = httpx.Cookies(CookieJar(policy=_HopCookieRules()))
        read = _as_browsers_read(line, setter, answer_date_s([self.DATE]))
        answer = httpx.Response(302, headers=[("set-cookie", read)], request=httpx.Request("GET", setter))
        jar.extract_cookies(answer)
        for target in self.TARGETS:
            probe = httpx.Request("GET", target)
            jar.set_cookie_header(probe)
            by_hop = "cookie" in probe.headers
            by_capture = scope is not None and not scope.unsent_to(target)
            assert by_hop == by_capture, (line, setter, target)


class TestJudgeCookieScopes:
    """A cookie capture keeps where browsers send the cookie whose value it took: its Domain or the answer's host,
    its Path or the answer's default path, and Secure."""

    @staticmethod
    def scope(*set_cookies: str, url: str = "https://app.shop.svc/auth/login") -> CookieScope:
        result = judged(
            {},
            headers=[("Set-Cookie", line) for line in set_cookies],
            step={"capture": {"sid": {"cookie": "session"}}},
            url=url,
        )
        return result.cookie_scopes["sid"]

    def test_the_scope_of_the_value_taken(self):
        # The line on /b set last is deleted: the value taken is the one on /a, and so is its scope.
        scope = self.scope("session=a; Path=/a", "session=b; Path=/b", "session=; Path=/b; Max-Age=0")
        assert scope == CookieScope(host="app.shop.svc", domain="", path="/a", secure=False)

    def test_of_two_paths_the_scope_of_the_one_set_last(self):
        # The value taken is the one set last (b), so is the scope: /a's would send it where b never goes.
        scope = self.scope("session=a; Path=/a", "session=b; Path=/b")
        assert scope == CookieScope(host="app.shop.svc", domain="", path="/b", secure=False)

    def test_a_domain_and_secure_are_kept(self):
        scope = self.scope("session=a; Domain=.Shop.svc; Path=/; Secure")
        assert scope == CookieScope(host="app.shop.svc", domain="shop.svc", path="/", secure=True)

    @pytest.mark.parametrize(
        ("line", "domain", "path"),
        [
            # The attributes browsers act on, read as the hops' cookies are (one reader for both): of one given twice
            # the last; an empty Domain ignored, the one before it counting; a Path not starting with '/' the default.
            ("session=a; Path=/; Path=/auth", "", "/auth"),
            ("session=a; Domain=shop.svc; Domain=", "shop.svc", "/auth"),
            ("session=a; Domain=app.shop.svc; Domain=shop.svc", "shop.svc", "/auth"),
            ("session=a; Path=/; Path=x", "", "/auth"),
            ("session=a; Path=x; Path=/", "", "/"),
        ],
    )
    def test_the_attributes_browsers_act_on(self, line, domain, path):
        assert self.scope(line) == CookieScope(host="app.shop.svc", domain=domain, path=path, secure=False)

    @pytest.mark.parametrize(
        ("url", "path"), [("https://app.shop.svc/auth/login", "/auth"), ("https://app.shop.svc/login", "/")]
    )
    def test_without_a_path_the_default_path(self, url, path):
        assert self.scope("session=a", url=url).path == path

    @pytest.mark.parametrize(
        ("scope", "url", "why"),
        [
            (CookieScope("app.shop.svc", "", "/", False), "http://app.shop.svc/x", ""),
            (CookieScope("app.shop.svc", "", "/", False), "http://api.app.shop.svc/x", "one for the host app.shop.svc"),
            (CookieScope("app.shop.svc", "shop.svc", "/", False), "http://api.shop.svc/x", ""),
            (CookieScope("app.shop.svc", "shop.svc", "/", False), "http://api.shop.svcx/x", "one for Domain shop.svc"),
            # A Domain is matched at a dot: `evilshop.svc` is no subdomain of `shop.svc`.
            (CookieScope("app.shop.svc", "shop.svc", "/", False), "http://evilshop.svc/x", "one for Domain shop.svc"),
            # An address is matched whole, never as a subdomain: `app.0.1` may set Domain=0.1, which 10.0.0.1 ends with.
            (CookieScope("app.0.1", "0.1", "/", False), "http://10.0.0.1/x", "one for Domain 0.1, not 10.0.0.1"),
            (CookieScope("app.shop.svc", "", "/api", False), "http://app.shop.svc/api", ""),
            (CookieScope("app.shop.svc", "", "/api", False), "http://app.shop.svc/api/x?y=1", ""),
            (CookieScope("app.shop.svc", "", "/api", False), "http://app.shop.svc/apix", "one for Path /api"),
            (CookieScope("app.shop.svc", "", "/api/", False), "http://app.shop.svc/api", "one for Path /api/"),
            (CookieScope("app.shop.svc", "", "/", True), "http://app.shop.svc/", "a Secure one, not sent over http"),
            (CookieScope("app.shop.svc", "", "/", True), "https://app.shop.svc/", ""),
        ],
    )
    def test_where_browsers_send_it(self, scope, url, why):
        assert scope.unsent_to(url).startswith(why) and bool(why) == bool(scope.unsent_to(url))


class TestJudgeBodyEvidence:
    """A body no assertion reads is quoted by its start, with its size in bytes; one an assertion reads, by its text."""

    def test_an_unread_body_is_quoted_by_its_start(self):
        result = judged({}, body=b"x" * 600)
        assert result.evidence["body"] == "x" * 512 + "... (600 bytes in all)"

    def test_a_read_body_is_quoted_by_its_text(self):
        result = judged({"body_contains": ["x"]}, body=b"x" * 600)
        assert result.evidence["body"] == "x" * 512 + "... (88 more characters)"

    def test_a_read_body_of_512_characters_is_quoted_whole(self):
        result = judged({"body_contains": ["x"]}, body=b"x" * 512)
        assert result.evidence["body"] == "x" * 512


class TestJudgeSecretMembers:
    """An object or a list under a secret name is quoted as REDACTED whole, as a string or a number under one is."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # A session object and a list of keys: only string and number values were hidden, so what they held
            # showed in the evidence, the history and JUnit.
            (
                b'{"status": "ok", "session": {"id": "s3cr3t-sid", "user": "u1"}, "next": 1}',
                '{"status": "ok", "session": "<redacted>", "next": 1}',
            ),
            (b'{"api_keys": ["s3cr3t-1", "s3cr3t-2"], "n": 2}', '{"api_keys": "<redacted>", "n": 2}'),
            (
                b'{"Credentials": {"nested": [{"x": "s3cr3t"}], "brace": "}]"}, "after": "seen"}',
                '{"Credentials": "<redacted>", "after": "seen"}',
            ),
            # A name that is no secret's keeps its object, whose secret members are still hidden one by one.
            (
                b'{"user": {"name": "ann", "password": "s3cr3t"}}',
                '{"user": {"name": "ann", "password": "<redacted>"}}',
            ),
        ],
    )
    def test_an_object_or_list_under_a_secret_name_is_redacted(self, body, shown):
        for expect in ({}, {"body_contains": ["ready"]}):
            result = judged(expect, body=body)
            assert result.evidence["body"] == shown
            assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_a_member_quoted_inside_a_json_string_is_redacted(self):
        # A gateway's error quoting the upstream answer as a string: its members' quotes are escaped, and the token in
        # it showed, while the same answer unquoted was hidden.
        body = b'{"error": "upstream said: {\\"access_token\\": \\"s3cr3t-jwt\\", \\"expires_in\\": 3600}"}'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == (
            '{"error": "upstream said: {\\"access_token\\": \\"<redacted>\\", \\"expires_in\\": 3600}"}'
        )
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_a_member_quoted_inside_a_json_string_is_read_with_its_name_decoded(self):
        # A name a JSON encoder escaped (`\u0077` is `w`), then quoted in a string: read as escaped, it was no
        # secret's, and the password showed, while the same member unquoted was hidden.
        body = b'{"error": "upstream said: {\\"pass\\\\u0077ord\\": \\"s3cr3t-pw\\", \\"n\\": 1}"}'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == (
            '{"error": "upstream said: {\\"pass\\\\u0077ord\\": \\"<redacted>\\", \\"n\\": 1}"}'
        )
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_a_percent_encoded_parameter_name_is_read_decoded(self):
        # A token endpoint's form answer with its names encoded: `client%5Fsecret` is `client_secret`.
        body = b"client%5Fsecret=cs-s3cr3t-1&pass%77ord=pw-s3cr3t-2&access%5ftoken=at-s3cr3t-3&scope=repo"
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == (
            "client%5Fsecret=<redacted>&pass%77ord=<redacted>&access%5ftoken=<redacted>&scope=repo"
        )
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            (b"pin=4711&state=ok", "pin=<redacted>&state=ok"),
            (
                b'{"error": "upstream said: {\\"pin\\": \\"4711\\"}"}',
                '{"error": "upstream said: {\\"pin\\": \\"<redacted>\\"}"}',
            ),
            # A validation error's input for the field: pydantic's text (its location on the line above), FastAPI's 422.
            (
                b"1 validation error for Login\npin\n  String should have at least 6 characters [type=string_too_short,"
                b" input_value='4711', input_type=str]",
                "1 validation error for Login\npin\n  String should have at least 6 characters [type=string_too_short,"
                " input_value='<redacted>', input_type=str]",
            ),
            (
                b'{"detail":[{"type":"string_too_short","loc":["body","pin"],"msg":"m","input":"4711"}]}',
                '{"detail":[{"type":"string_too_short","loc":["body","pin"],"msg":"m","input":"<redacted>"}]}',
            ),
        ],
        ids=["parameter", "member-inside-a-string", "pydantic-validation-error", "fastapi-validation-error"],
    )
    def test_a_name_of_the_checks_secret_names_is_redacted(self, body, shown):
        # secret_names: ["pin"], a name no default pattern knows: only its name tells its value is a secret.
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        exchange = HttpExchange(
            url=f"{BASE}/", status=200, headers=httpx.Headers(), body=body, latency_ms=1.0, body_truncated=False
        )
        result = judge_exchange(step, exchange, "step s", frozenset({"pin"}))
        assert result.evidence["body"] == shown
        assert "4711" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_an_object_the_quote_cuts_shows_nothing_of_it(self):
        body = b'{"padding": "' + b"x" * 470 + b'", "tokens": [' + b'"s3cr3t", ' * 100 + b'"last"]}'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])
        assert '"tokens": "<redacted>"' in result.evidence["body"]

    def test_a_secret_list_of_megabytes_ends_the_quote(self):
        # The quote widened its window to the whole body to fill its 512 characters, once per failed assertion; it
        # stops at 64 KiB of text, and says how much it did not show.
        body = b'{"api_keys": [' + b'"s3cr3t-key-value", ' * 60_000 + b'"last"], "after": "shown?"}'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == f'{{"api_keys": "<redacted>"... ({len(body) - 65536} more characters)'
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_a_secret_list_that_ends_the_quote_at_its_limit(self):
        # Its 64 KiB shown as exactly the 512 characters a quote holds: what follows them is still 64 KiB on.
        shown = '{"padding": "' + "x" * 472 + '", "api_keys": "<redacted>"'
        body = shown[:-12].encode() + b"[" + b'"s3cr3t-key-value", ' * 60_000 + b'"last"]}'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == f"{shown}... ({len(body) - 65536} more characters)"
        assert len(shown) == 512

    def test_the_body_is_judged_as_it_came(self):
        body = b'{"session": {"state": "expired"}}'
        assert judged({"body_not_contains": ["expired"]}, body=body).failures
        assert not judged({"json": [{"path": "$.session.state", "equals": "expired"}]}, body=body).failures


class _CountingText(str):
    """A text that counts the characters its `find` and `index` calls pass over."""

    visited_chars = 0

    def find(self, sub: str, *bounds: Any) -> int:  # type: ignore[override]
        """`str.find`, counting the characters from its start to where it found `sub` (or to its end)."""
        found = super().find(sub, *bounds)
        start = bounds[0] if bounds else 0
        self.visited_chars += (len(self) if found < 0 else found + len(sub)) - start
        return found

    def index(self, sub: str, *bounds: Any) -> int:  # type: ignore[override]
        """`str.index`, counted as `find` is."""
        found = self.find(sub, *bounds)
        if found < 0:
            raise ValueError(sub)
        return found


class _CountingPattern:
    """A compiled pattern that counts the characters its searches are asked to pass over: from where each starts to
    where it found its match (or to the text's end), a whole pass for `finditer` and `fullmatch`."""

    def __init__(self, pattern: re.Pattern[str], counter: list[int]) -> None:
        self._pattern = pattern
        self._counter = counter

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        found = self._pattern.search(text, pos, endpos)
        self._counter[0] += (min(len(text), endpos) if found is None else found.end()) - pos
        return found

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        found = self._pattern.match(text, pos, endpos)
        self._counter[0] += 1 if found is None else found.end() - pos + 1
        return found

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        self._counter[0] += min(len(text), endpos) - pos
        return self._pattern.fullmatch(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._counter[0] += min(len(text), endpos) - pos
        return self._pattern.finditer(text, pos, endpos)


class TestJudgeSecretsInMarkup:
    """A value under a secret name in an answer written as XML, HTML, YAML or header lines, and a credential after an
    HTTP auth scheme, are quoted as REDACTED; the rest of the answer, and words that only follow such a name or scheme,
    are quoted as they came."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # A SOAP answer echoing its WS-Security header: the UsernameToken (the user with it) goes whole.
            (
                b"<soap:Envelope><soap:Header><wsse:UsernameToken><wsse:Username>bob</wsse:Username><wsse:Password>"
                b"hunter2-s3cr3t</wsse:Password></wsse:UsernameToken></soap:Header><soap:Body><ok>1</ok></soap:Body>",
                "<soap:Envelope><soap:Header><wsse:UsernameToken><redacted></wsse:UsernameToken></soap:Header>"
                "<soap:Body><ok>1</ok></soap:Body>",
            ),
            (b"<r><password>hunter2-s3cr3t</password><n>1</n></r>", "<r><password><redacted></password><n>1</n></r>"),
            # Its end tag, not one whose name starts with its own: cut at `</PasswordHash`, the rest showed.
            (
                b"<Password><PasswordHash>h4sh</PasswordHash>s3cr3t-rest</Password><n>1</n>",
                "<Password><redacted></Password><n>1</n>",
            ),
            # An element the answer's cut leaves open: to the end.
            (b"<r><n>1</n><apiKey>s3cr3t", "<r><n>1</n><apiKey><redacted>"),
            (b"<r><token/><n>1</n></r>", "<r><token/><n>1</n></r>"),
            # Attributes under a secret name, and the value an HTML form's or a config's naming attribute names.
            (
                b'<creds user="bob" password="s3cr3t-pw"/><input type="hidden" name="csrf_token" value="s3cr3t-csrf">'
                b'<meta name="description" content="shop">',
                '<creds user="bob" password="<redacted>"/><input type="hidden" name="csrf_token" value="<redacted>">'
                '<meta name="description" content="shop">',
            ),
            (
                b"<add key='ApiKey' value='s3cr3t-k'/><add key='Region' value='eu'/>",
                "<add key='ApiKey' value='<redacted>'/><add key='Region' value='eu'/>",
            ),
            # HTML's unquoted values (a minifier's), and the text of an element a naming attribute names.
            (
                b"<input type=hidden name=csrf_token value=s3cr3t-csrf><meta name=csrf-token content=s3cr3t-m>",
                "<input type=hidden name=csrf_token value=<redacted>><meta name=csrf-token content=<redacted>>",
            ),
            (
                b'<properties><entry key="db.password">s3cr3t-pw</entry><entry key="db.user">app</entry></properties>',
                '<properties><entry key="db.password"><redacted></entry><entry key="db.user">app</entry></properties>',
            ),
            # YAML: a value, a block scalar, a list under a secret name; the keys after it shown.
            (
                b"status: ok\ntoken: abc-s3cr3t\nuser: bob\n",
                "status: ok\ntoken: <redacted>\nuser: bob\n",
            ),
            (
                b"db:\n  password: |\n    s3cr3t line\n    s3cr3t line 2\n  port: 5432\n",
                "db:\n  password: |\n<redacted>\n  port: 5432\n",
            ),
            (b"api_keys:\n- s3cr3t-1\n- s3cr3t-2\nn: 2\n", "api_keys:\n<redacted>\nn: 2\n"),
            # Kubernetes' env list: the value a secret's name names, as a tag's naming attribute does.
            (
                b"env:\n- name: DB_PASSWORD\n  value: s3cr3t-pw\n- name: REGION\n  value: eu\n"
                b'  - name: "API_TOKEN"\n    value: "s3cr3t-t"\nvalue: 1\n',
                "env:\n- name: DB_PASSWORD\n  value: <redacted>\n- name: REGION\n  value: eu\n"
                '  - name: "API_TOKEN"\n    value: <redacted>\nvalue: 1\n',
            ),
            # Header lines quoted back (a debug endpoint), and a credential after its scheme wherever it stands.
            (
                b"GET /x HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer eyJhbGciOi.s3cr3t\r\nX-Api-Key: s3cr3t\r\n",
                "GET /x HTTP/1.1\r\nHost: app\r\nAuthorization: <redacted>\r\nX-Api-Key: <redacted>\r\n",
            ),
            (
                b"<tr><td>Authorization</td><td>Bearer eyJhbGciOi.s3cr3t</td></tr>",
                "<tr><td>Authorization</td><td><redacted></td></tr>",
            ),
            (b'{"error": "bad header Basic dXNlcjpzM2NyM3Q="}', '{"error": "bad header Basic <redacted>"}'),
            # A long word after a scheme is a credential, letters only.
            (b"retry with Bearer abcdefghijklmnopqrstuvwx", "retry with Bearer <redacted>"),
            # Escapes an encoder wrote in the token go with it (cut at one, the rest showed).
            (b'{"echo": "Bearer s3cr3t-t0k\\u0026x"}', '{"echo": "Bearer <redacted>"}'),
            # YAML's flow mappings and a Python dict's repr: an entry's value, an object or a list under it whole, the
            # entries of a mapping under another name searched too.
            (
                b"cfg: {db: {password: 's3cr3t-pw', port: 5432}, api_keys: [s3cr3t-1, s3cr3t-2], n: 1}",
                "cfg: {db: {password: '<redacted>', port: 5432}, api_keys: <redacted>, n: 1}",
            ),
            (b"{'api_key': 's3cr3t', 'n': 2}", "{'api_key': '<redacted>', 'n': 2}"),
            # YAML's quoted names at a line's start.
            (
                b"'api_key': s3cr3t\n\"client secret\": s3cr3t-2\nn: 1\n",
                "'api_key': <redacted>\n\"client secret\": <redacted>\nn: 1\n",
            ),
            # A header line without a space after its `:`, as HTTP allows.
            (b"Host: app\r\nX-Api-Key:s3cr3t\r\n", "Host: app\r\nX-Api-Key:<redacted>\r\n"),
            # The value of an element of a secret's name, closing itself or not, and of a password field.
            (
                b'<token value="s3cr3t"/><apiKey id="k1" content="s3cr3t-2"></apiKey>'
                b'<input type="password" name="pw" value="s3cr3t-3">Sign in',
                '<token value="<redacted>"/><apiKey id="k1" content="<redacted>"></apiKey>'
                '<input type="password" name="pw" value="<redacted>">Sign in',
            ),
            # Table cells: the one after a label cell in its row, those below a header cell in its column.
            (
                b"<tr><td>password</td><td><code>s3cr3t</code></td></tr><tr><td>user</td><td>bob</td></tr>",
                "<tr><td>password</td><td><redacted></td></tr><tr><td>user</td><td>bob</td></tr>",
            ),
            (
                b"<table><tr><th>user</th><th>API key</th><th>email</th></tr>"
                b"<tr><td>bob</td><td>s3cr3t</td><td>b@x</td></tr></table><table><tr><td>a</td><td>b</td></tr></table>",
                "<table><tr><th>user</th><th>API key</th><th>email</th></tr>"
                "<tr><td>bob</td><td><redacted></td><td>b@x</td></tr></table><table><tr><td>a</td><td>b</td></tr></table>",
            ),
            (
                b"<dl><dt>Token</dt><dd>s3cr3t</dd><dt>Region</dt><dd>eu</dd></dl>",
                "<dl><dt>Token</dt><dd><redacted></dd><dt>Region</dt><dd>eu</dd></dl>",
            ),
            (
                b"| Key | Value |\n|---|---|\n| password | s3cr3t |\n| user | bob |\n",
                "| Key | Value |\n|---|---|\n| password | <redacted> |\n| user | bob |\n",
            ),
            (
                b"| user | password | email |\n|------|----------|-------|\n| bob | s3cr3t | b@x |\n",
                "| user | password | email |\n|------|----------|-------|\n| bob | <redacted> | b@x |\n",
            ),
            (
                b"+----------+--------+\n| name     | value  |\n+----------+--------+\n| password | s3cr3t |\n"
                b"+----------+--------+\n",
                "+----------+--------+\n| name     | value  |\n+----------+--------+\n| password | <redacted> |\n"
                "+----------+--------+\n",
            ),
            # Kubernetes' env list as JSON: the value a naming member names, before or after it; a `key` naming it is
            # hidden too, as a secret's name.
            (
                b'[{"name":"DB_PASSWORD","value":"s3cr3t"},{"value":"s3cr3t-2","name":"API_TOKEN"},'
                b'{"name":"REGION","value":"eu"},{"key":"password","value":"s3cr3t-3"}]',
                '[{"name":"DB_PASSWORD","value":"<redacted>"},{"value":"<redacted>","name":"API_TOKEN"},'
                '{"name":"REGION","value":"eu"},{"key":"<redacted>","value":"<redacted>"}]',
            ),
            (
                b"{name: DB_PASSWORD, value: {a: [1, 2], b: s3cr3t}, n: 1}",
                "{name: DB_PASSWORD, value: <redacted>, n: 1}",
            ),
            # Digest's credential, in a JSON string too.
            (
                b'{"echo": "Digest username=\\"bob\\", realm=\\"r\\", response=\\"s3cr3t6629fae4\\""}',
                '{"echo": "Digest <redacted>"}',
            ),
            (b'<p>Digest username="bob", nonce="n", response="s3cr3t6629"</p>', "<p>Digest <redacted></p>"),
            # A message that may quote the value (a quote, a word of letters and digits), or words that are no message.
            (
                b"password: 's3cr3t' is too short\napi_key: must not be s3cr3t9\ntoken: s3cr3t horse battery staple\n",
                "password: <redacted>\napi_key: <redacted>\ntoken: <redacted>\n",
            ),
            (b'{"password": "must be at least 8 characters s3cr3t9"}', '{"password": "<redacted>"}'),
            # A URL's user info, under whatever name (a debug page's DSN), a password holding a `?` too.
            (
                b'{"db": "postgres://app:s3cr3t@db:5432/app", "cache": "redis://:s3cr3t?x@cache:6379"}',
                '{"db": "postgres://<redacted>@db:5432/app", "cache": "redis://<redacted>@cache:6379"}',
            ),
            # A Key column beside a Value column in HTML too: the names are shown, the values they name hidden.
            (
                b"<table><tr><th>Key</th><th>Value</th></tr><tr><td>password</td><td>s3cr3t</td></tr>"
                b"<tr><td>region</td><td>eu</td></tr></table>",
                "<table><tr><th>Key</th><th>Value</th></tr><tr><td>password</td><td><redacted></td></tr>"
                "<tr><td>region</td><td>eu</td></tr></table>",
            ),
            # A table in a cell: the outer table's secret column goes on below it, and a secret cell holding one is
            # hidden whole.
            (
                b"<table><tr><th>user</th><th>password</th></tr><tr><td>bob</td><td><table><tr><td>x</td></tr>"
                b"</table></td></tr><tr><td>al</td><td>s3cr3t</td></tr><tr><td>cy</td><td>s3cr3t <table><tr><td>"
                b"s3cr3t-2</td></tr></table> s3cr3t-3</td></tr></table>",
                "<table><tr><th>user</th><th>password</th></tr><tr><td>bob</td><td><redacted></td></tr><tr><td>al</td>"
                "<td><redacted></td></tr><tr><td>cy</td><td><redacted></td></tr></table>",
            ),
            # An env list the quote cut inside its mapping: the value its name named is still a secret.
            (b'[{"name":"DB_PASSWORD","value":"s3cr3t"', '[{"name":"DB_PASSWORD","value":"<redacted>"'),
            # A separator line under a later row is no header's (that row's label names no column), and a table
            # after a blank line starts anew (the columns a table above it named are not its own).
            (
                b"| name | value |\n|---|---|\n| token | s3cr3t |\n|---|---|\n| region | eu |\n\n"
                b"| user | password |\n|---|---|\n| bob | s3cr3t |\n\n| user | role |\n|---|---|\n| al | admin |\n",
                "| name | value |\n|---|---|\n| token | <redacted> |\n|---|---|\n| region | eu |\n\n"
                "| user | password |\n|---|---|\n| bob | <redacted> |\n\n| user | role |\n|---|---|\n| al | admin |\n",
            ),
            # A two-column Markdown table whose header row is a label and its value (its closing `|` no third cell).
            (
                b"| password | s3cr3t |\n|---|---|\n| region | eu |\n",
                "| password | <redacted> |\n|---|---|\n| <redacted> | eu |\n",
            ),
            # A YAML name quoted, its plain value starting with a digit (a hex token): no JSON number.
            (b'"password": 9s3cr3t7\n"token": -1s3cr3t\n', '"password": <redacted>\n"token": <redacted>\n'),
            # A flow mapping's value folded over lines, as PyYAML writes one longer than its width, or on the next.
            (
                b"{password: correct s3cr3t\n    horse staple, user: bob}\n{token: 'one s3cr3t\n  two'}\n"
                b"{name: DB_PASSWORD, value:\n  s3cr3t-2}",
                "{password: <redacted>, user: bob}\n{token: '<redacted>'}\n{name: DB_PASSWORD, value:\n  <redacted>}",
            ),
            # A Python dict's repr with bytes names (an ASGI scope's headers as a dict).
            (b"{b'x-api-key': b's3cr3t', b'host': b'app'}", "{b'x-api-key': b'<redacted>', b'host': b'app'}"),
            # A flow mapping or a dict's repr quoted in a JSON string (an error quoting what it was given).
            (
                b'{"detail": "bad request: {\'api_key\': \'s3cr3t\', \'n\': 1}", "e": "in {password: s3cr3t}"}',
                '{"detail": "bad request: {\'api_key\': \'<redacted>\', \'n\': 1}", "e": "in {password: <redacted>}"}',
            ),
            # Words that only start and end as a validation message does: a passphrase may be plain words.
            (
                b'{"password": "must match tiger orbit river"}\ntoken: is required blue horse staple\n',
                '{"password": "<redacted>"}\ntoken: <redacted>\n',
            ),
            # CloudFormation's parameters (as JSON and as YAML) and a tag list: the value beside a naming member.
            (
                b'{"Parameters": [{"ParameterKey": "DbPassword", "ParameterValue": "s3cr3t"}, {"ParameterKey": "Env",'
                b' "ParameterValue": "prod"}], "Tags": [{"Key": "api_token", "Value": "s3cr3t"}, {"Key": "team",'
                b' "Value": "ops"}]}\n- ParameterKey: DbPassword\n  ParameterValue: s3cr3t\n- OutputKey: Url\n'
                b"  OutputValue: https://app\n",
                '{"Parameters": [{"ParameterKey": "<redacted>", "ParameterValue": "<redacted>"}, {"ParameterKey":'
                ' "<redacted>", "ParameterValue": "prod"}], "Tags": [{"Key": "<redacted>", "Value": "<redacted>"},'
                ' {"Key": "<redacted>", "Value": "ops"}]}\n- ParameterKey: <redacted>\n  ParameterValue: <redacted>\n'
                "- OutputKey: <redacted>\n  OutputValue: https://app\n",
            ),
            # Lists of pairs: a header list's repr (bytes too), a form's pairs, JSON's lists of two.
            (
                b"headers=[(b'host', b'app'), (b'x-api-key', b's3cr3t')] form=[('password', 's3cr3t'), ('n', '1')]\n"
                b'{"pairs": [["user", "bob"], ["access_token", "s3cr3t"], ["session_id", 4711]]}',
                "headers=[(b'host', b'app'), (b'x-api-key', b'<redacted>')] form=[('password', '<redacted>'), ('n',"
                " '1')]\n"
                '{"pairs": [["user", "bob"], ["access_token", "<redacted>"], ["session_id", <redacted>]]}',
            ),
            # A label of more than three words naming a secret by its last ones, over lines and tags, a `:` after it;
            # a header's, a pipe table's.
            (
                b"<table><tr><td>Your personal access token</td><td>s3cr3t</td></tr></table><dl><dt>Your\n personal"
                b" <b>access</b> token:</dt><dd>s3cr3t</dd></dl><table><tr><th>Name</th><th>Personal access token"
                b"</th></tr><tr><td>ci</td><td>s3cr3t</td></tr></table>\n| The new API key | s3cr3t |\n",
                "<table><tr><td>Your personal access token</td><td><redacted></td></tr></table><dl><dt>Your\n personal"
                " <b>access</b> token:</dt><dd><redacted></dd></dl><table><tr><th>Name</th><th>Personal access token"
                "</th></tr><tr><td>ci</td><td><redacted></td></tr></table>\n| The new API key | <redacted> |\n",
            ),
            # An env list, a tag list and CloudFormation's parameters quoted in JSON strings, their quotes escaped.
            (
                rb'{"detail": "upstream: {\"env\": [{\"name\":\"DB_PASSWORD\",\"value\":\"s3cr3t\"}, {\"name\":'
                rb' \"REGION\", \"value\": \"eu\"}]}", "e": ["[{\"Key\":\"api_token\",\"Value\":\"s3cr3t\"}]"],'
                rb' "p": "{\"ParameterKey\":\"DbPassword\",\"ParameterValue\":\"s3cr3t\"}"}',
                r'{"detail": "upstream: {\"env\": [{\"name\":\"DB_PASSWORD\",\"value\":\"<redacted>\"}, {\"name\":'
                r' \"REGION\", \"value\": \"eu\"}]}", "e": ["[{\"Key\":\"<redacted>\",\"Value\":\"<redacted>\"}]"],'
                r' "p": "{\"ParameterKey\":\"<redacted>\",\"ParameterValue\":\"<redacted>\"}"}',
            ),
            # psql's tables: aligned (a secret column; a key column beside a value column), expanded (`\x`).
            (
                b" id | password | note\n----+----------+------\n  1 | s3cr3t   | x\n(1 row)\n\n    key    | value\n"
                b"-----------+--------\n api_token | s3cr3t\n region    | eu\n\n-[ RECORD 1 ]-+-------\nid       | 1\n"
                b"password | s3cr3t+\n         | s3cr3t\nuser     | bob\n",
                " id | password | note\n----+----------+------\n  1 | <redacted>   | x\n(1 row)\n\n    key    | value\n"
                "-----------+--------\n api_token | <redacted>\n region    | eu\n\n-[ RECORD 1 ]-+-------\n"
                "id       | 1\npassword | <redacted>\n         | <redacted>\nuser     | bob\n",
            ),
            # Columns aligned by spaces under a header in capitals (kubectl's custom columns, `docker ps`).
            (
                b"NAME   PASSWORD   AGE\napp    s3cr3t     3d\ndb     s3cr3t-2   5d\n\n"
                b"CONTAINER ID   IMAGE   API TOKEN\nabc123         nginx   s3cr3t x\n",
                "NAME   PASSWORD   AGE\napp    <redacted>     3d\ndb     <redacted>   5d\n\n"
                "CONTAINER ID   IMAGE   API TOKEN\nabc123         nginx   <redacted>\n",
            ),
            # Aligned columns with an empty cell (`docker ps`'s PORTS, a last cell left out): the rows after it too.
            (
                b"NAME   PORTS   TOKEN\nweb    80      s3cr3t\ndb             s3cr3t\nold    81\n"
                b"api    82      s3cr3t\n",
                "NAME   PORTS   TOKEN\nweb    80      <redacted>\ndb             <redacted>\nold    81\n"
                "api    82      <redacted>\n",
            ),
            # psql's table of one column (`SELECT password FROM users`): no `+` in its line under the header.
            (
                b" password \n----------\n s3cr3t\n s3cr3t+\n s3cr3t\n(2 rows)\n\n id \n----\n  1\n",
                " password \n----------\n <redacted>\n <redacted>\n <redacted>\n(2 rows)\n\n id \n----\n  1\n",
            ),
            # A row in capitals, in line with the columns (a password in capitals): a row, not a header; rows after it.
            (
                b"NAME   PASSWORD   AGE\napp    s3cr3t     3d\nDB     S3CR3TAB   NEW\nweb    s3cr3t     5d\n",
                "NAME   PASSWORD   AGE\napp    <redacted>     3d\nDB     <redacted>   NEW\nweb    <redacted>     5d\n",
            ),
            # psql aligns by the width a terminal shows (a CJK character takes two columns), not by characters.
            (
                " name | password\n------+----------\n 日本 | s3cr3t\n bob  | s3cr3t\n".encode(),
                " name | password\n------+----------\n 日本 | <redacted>\n bob  | <redacted>\n",
            ),
            # A pair's bytes in double quotes, as Python writes bytes holding a `'`.
            (
                b"[(b'x-api-key', b\"s3cr3t'x\"), (b\"token\", b's3cr3t')]",
                "[(b'x-api-key', b\"<redacted>\"), (b\"token\", b'<redacted>')]",
            ),
            # A pair after an item of another kind in a list (JSON's null, a number): still read.
            (
                b'[null, ["token", "s3cr3t"]] [1, ["password", "s3cr3t"]] [None, ("api_key", "s3cr3t")]',
                '[null, ["token", "<redacted>"]] [1, ["password", "<redacted>"]] [None, ("api_key", "<redacted>")]',
            ),
            # A pair's value that is a list or an object: hidden whole.
            (
                b'{"p": [["token", {"v": "s3cr3t"}]], "q": [["password", ["s3cr3t", 1]], ["n", [1]]]}'
                b"\nx=[('api_key', ['s3cr3t'])]",
                '{"p": [["token", <redacted>]], "q": [["password", <redacted>], ["n", [1]]]}'
                "\nx=[('api_key', <redacted>)]",
            ),
            # A mapping quoted in a JSON string quoted in a JSON string: its quotes escaped twice.
            (
                rb'{"a": "{\\\"password\\\":\\\"s3cr3t\\\"}", "b": "{\"c\": \"{\\\"token\\\": \\\"s3cr3t\\\"}\"}"}',
                r'{"a": "{\\\"password\\\":<redacted>}", "b": "{\"c\": \"{\\\"token\\\": <redacted>}\"}"}',
            ),
        ],
        ids=[
            "soap",
            "xml-element",
            "xml-end-tag",
            "xml-cut",
            "xml-empty",
            "attributes",
            "config-key-value",
            "unquoted-attributes",
            "named-element-text",
            "yaml",
            "yaml-block",
            "yaml-list",
            "yaml-name-value",
            "header-lines",
            "html-table",
            "basic-in-json",
            "long-letters",
            "escaped",
            "yaml-flow",
            "python-dict",
            "yaml-quoted-names",
            "header-without-space",
            "secret-element-value",
            "html-row-label",
            "html-column-header",
            "html-definition-list",
            "markdown-key-value",
            "markdown-column-header",
            "ascii-table",
            "env-list-json",
            "env-list-flow",
            "digest-in-json",
            "digest",
            "message-quoting-a-value",
            "json-message-quoting-a-value",
            "url-user-info",
            "html-key-value-header",
            "html-nested-table",
            "env-list-cut",
            "markdown-later-separator-and-table",
            "markdown-pair-header",
            "yaml-quoted-name-digit-value",
            "yaml-flow-folded",
            "python-bytes-dict",
            "flow-in-json-string",
            "passphrase-as-message",
            "cloudformation-parameters",
            "lists-of-pairs",
            "long-labels",
            "env-list-in-json-string",
            "psql-tables",
            "aligned-columns",
            "aligned-columns-empty-cells",
            "psql-one-column",
            "aligned-columns-row-in-capitals",
            "psql-wide-characters",
            "pairs-bytes-double-quoted",
            "pairs-after-other-items",
            "pairs-of-containers",
            "mapping-escaped-twice",
        ],
    )
    def test_hidden(self, body, shown):
        for expect in ({}, {"body_contains": ["ready"]}):
            result = judged(expect, body=body)
            assert result.evidence["body"] == shown
            assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    @pytest.mark.parametrize(
        "body",
        [
            # An error's words after a scheme or a secret name: no credential.
            b"401: requires Bearer authentication. Bearer token expired; Token invalid; Basic auth failed",
            b"Traceback (most recent call last):\nKeyError: 'region'\n",
            # A name holding a secret's letters only as no secret (a count of tokens, an author).
            b"max_tokens: 1000\n<author>ann</author>",
            # `12:30`, `https://`, a path of names (`auth::`): no `name: value` line.
            b"https://app/x at 12:30\nauth::Token::new()\n",
            # An element of a secret's name that closes itself holds nothing: what follows is shown.
            b"<token /><status>down</status>",
            # A short word after a scheme's name, a digit in it: a version, no credential.
            b"API token v2 is required; send Bearer v1 no more",
            # A section a secret's name names keeps its elements' text, the error in it.
            b'<div id="session"><p>your sign-in expired</p></div>',
            # A mapping's entries under other names, a string's words, a Key column beside a Value column (names).
            b'{"msg": "a, token: b", "n": 1}\n{db: {port: 5432}, note: [a, b]}\n'
            b"| Key | Value |\n|---|---|\n| region | eu |",
            # A cell of prose after a secret's word; a Digest header's digest (RFC 3230), words after `Digest`.
            b"<tr><td>Your session expired, sign in again</td><td>now</td></tr>Digest: SHA-256=abc; Digest auth failed",
            # An element holding a secret's letters that holds none (a list's count).
            b'<token-list count="3"/>',
            # A validation error's message under a secret's name, as JSON, YAML or a flow mapping writes it.
            b'{"errors": {"password": "must be at least 8 characters", "api_key": "is invalid"}}',
            b"password: Must be at least 8 characters long.\napi_key: is too short (minimum is 32 characters)\n",
            b"{password: can't be blank, user: bob}",
            # A JSON constant under a secret name tells nothing, in an object too.
            b'{"token": null, "refresh_token": false}',
            # Names holding `key` or `session` as other words' letters: a monkey, a count of sessions.
            b"monkey: x\nsessions_open: 3\nactive_sessions: 4\n",
            # A URL's query after its host, a path's `@`: no user info.
            b"see https://host?to=ops@example.com and //cdn/x@2x.png and https://mastodon.social/@bob",
            # Prose cells holding a secret's word: not where a label ends, a sentence.
            b"<table><tr><td>The token was revoked today</td><td>yes</td></tr><tr><td>Please paste your API key.</td>"
            b"<td>ok</td></tr></table>",
            # A pair after a call's argument, not in a list of pairs: a log line's arguments.
            b'log(user, ("password", "reset"), ok) and f(a, ["token", "expired"])\n',
            # A docs page's questions in label cells: long labels that ask, not name.
            b"<table><tr><td>How to rotate your session key</td><td>See the guide</td></tr><tr><td>Where to store"
            b" the API key</td><td>Vault</td></tr></table>\n| When does my token expire | 30 days |\n",
            # A Markdown heading's underline, a psql table of one column of no secret.
            b"Password\n--------\n Your password needs 8 characters.\n\n name \n------\n bob\n",
            # psql's tables of no secret; lines whose `|` stand under no `+`.
            b" id | name\n----+------\n  1 | bob\n-[ RECORD 1 ]-+----\nid | 1\nname | ann\n\n"
            b"token | ok\n---+---\na | b\n",
            # Columns of no secret; a line in capitals, prose under it out of line with it.
            b"NAME      TYPE     DATA   AGE\napi-key   Opaque   2      3d\n\n"
            b"WARNING  TOKEN EXPIRED\nsee the docs now\n",
            # Lists of names, not pairs: a schema's required members, a list of three, a pair not in a list.
            b'{"required": ["password", "email"], "cols": [["token", "id", "name"]], "x": ("token", "expired")}',
        ],
    )
    def test_shown(self, body):
        assert judged({"body_contains": ["ready"]}, body=body).evidence["body"] == body.decode()

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # Kubernetes' env entry named `pass` alone (any case) holding a password, as JSON, a flow mapping and
            # YAML: shown before, as `pass` alone is a result's name too; its value decides, as `pass=...` does.
            (b'[{"name": "pass", "value": "s3cr3t"}]', '[{"name": "pass", "value": "<redacted>"}]'),
            (b'[{"value": "s3cr3t", "name": "PASS"}]', '[{"value": "<redacted>", "name": "PASS"}]'),
            (b"{name: pass2, value: s3cr3t}", "{name: pass2, value: <redacted>}"),
            (
                b"env:\n- name: pass\n  value: s3cr3t\n- name: MODE\n  value: prod\n",
                "env:\n- name: pass\n  value: <redacted>\n- name: MODE\n  value: prod\n",
            ),
            (b'  - name: "Pass"\n    value: "s3cr3t"\n', '  - name: "Pass"\n    value: <redacted>\n'),
            # A secret's name, in capitals or not, JSON or YAML, as before.
            (
                b'[{"name": "PASSWORD", "value": "s3cr3t"}, {"name": "api_key", "value": "s3cr3t"}]',
                '[{"name": "PASSWORD", "value": "<redacted>"}, {"name": "api_key", "value": "<redacted>"}]',
            ),
            (b"- name: token\n  value: s3cr3t\n", "- name: token\n  value: <redacted>\n"),
        ],
    )
    def test_an_env_entry_whose_name_says_secret_hides_its_value(self, body, shown):
        assert judged({"body_contains": ["ready"]}, body=body).evidence["body"] == shown

    @pytest.mark.parametrize(
        "body",
        [
            # `pass` alone holding a result (a number, a count out of a total, a boolean, none), a count of tokens.
            b'[{"name": "pass", "value": 3}, {"name": "pass", "value": "12/12"}, {"name": "token_count", "value": 3}]',
            b'- name: pass\n  value: "3"\n- name: pass\n  value: true\n- name: token_count\n  value: 3\n',
        ],
    )
    def test_an_env_entry_named_pass_holding_a_result_is_shown(self, body):
        assert judged({"body_contains": ["ready"]}, body=body).evidence["body"] == body.decode()

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # Its quotes escaped once or twice (a log line in a JSON string, in one again): the escape before the
            # closing quote went with the token, and the string's quote was left unescaped (the JSON quoted no more).
            (
                rb'{"log": "sent \"Bearer s3cr3t123def\" to /api and got 401"}',
                r'{"log": "sent \"Bearer <redacted>\" to /api and got 401"}',
            ),
            (
                rb'{"log": "{\\\"header\\\": \\\"Bearer s3cr3t123def\\\", \\\"n\\\": 1}"}',
                r'{"log": "{\\\"header\\\": \\\"Bearer <redacted>\\\", \\\"n\\\": 1}"}',
            ),
            # A backslash that escapes no quote is the token's still.
            (rb'{"log": "Bearer s3cr3t123def\\x"}', r'{"log": "Bearer <redacted>"}'),
        ],
    )
    def test_a_credential_in_an_escaped_quote_keeps_the_quote(self, body, shown):
        assert judged({"body_contains": ["ready"]}, body=body).evidence["body"] == shown

    def test_a_body_of_nested_secret_blocks_is_quoted_as_one_block(self):
        result = judged({"body_contains": ["ready"]}, body=b"- token:\n" * 7000)
        assert result.evidence["body"] == "- token:\n<redacted>\n"

    @pytest.mark.parametrize(
        "text",
        [
            # Each `- token:` line's block was scanned to the end of the quote's window: 7,000 of them took 34 s.
            "- token:\n" * 2000,
            # Each secret start tag's end tag was looked for from it, past every `</passwordX`: 3,000 of each, 14 s.
            "<password>" * 2000 + "</passwordX" * 2000,
            "<password>" * 2000,
        ],
        ids=["yaml-blocks", "end-tags-of-other-names", "no-end-tag"],
    )
    def test_a_body_is_read_once_not_once_per_secret_name(self, text):
        # The characters the scan's `find` calls pass over, counted (a time limit is no test): at most a few times
        # the text's length, not its square.
        counted = _CountingText(text)
        body_secrets._markup_secret_spans(counted, is_secret_name)
        assert counted.visited_chars <= 4 * len(text)

    def test_parameters_are_read_in_one_pass(self, monkeypatch):
        # Each `x=` of a run of parameters read its bare value to the run's end again (3 s for 64 KiB): the
        # characters the searches pass over, counted, stay a few times the text's length.
        text = "//u:8080?x=y@" * 2000
        counter = [0]
        for name in ("_PARAMETER_NAME_RE", "_PARAMETER_VALUE_RE"):
            monkeypatch.setattr(body_secrets, name, _CountingPattern(getattr(body_secrets, name), counter))
        body_secrets._hidden_parameters(text, is_secret_name)
        assert 0 < counter[0] <= 4 * len(text)

    def test_a_line_of_empty_quoted_values_is_read_in_linear_time(self):
        # Each `password=""` of a line before the text's last (its quotes closing no text) was tried as a value a cut
        # ran to the text's end, to its line's end again (4 s for 128 KB; a timed ratio: the failed match's backtracking
        # is no search a pattern's count sees). Four times the pairs take about four times the CPU, not sixteen; the
        # last line's value a cut left open is still hidden to the text's end.
        def cpu_s(pairs: int) -> float:
            text = 'password="" ' * pairs + "\n"
            return least_cpu_s(lambda: body_secrets._hidden_parameters(text, is_secret_name))

        assert cpu_s(2000) <= 8 * cpu_s(500)
        shown = body_secrets._hidden_parameters('password="" \npassword="s3cr3t cut', is_secret_name)
        assert shown == 'password="" \npassword="<redacted>'

    def test_mappings_are_read_once_when_hiding_changed_nothing(self, monkeypatch):
        # Read before the members were hidden and again after, a body of thousands of unclosed `{"loc": [` took
        # twice the time: read again only where hiding changed the text.
        readings = []
        read = body_secrets._flow_mapping_spans

        def counted(text: str, hide: Any, shown: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
            readings.append(text)
            return read(text, hide, shown)

        monkeypatch.setattr(body_secrets, "_flow_mapping_spans", counted)
        text = '{"loc": [' * 1000
        assert body_secrets._masked(text, is_secret_name) == text
        assert readings == [text]

    def test_mappings_are_read_again_where_hiding_changed_the_text(self):
        # A value's list closed by the mapping's brace: read again once hidden, the rest is the value's too.
        shown = body_secrets._masked("{name: api_key, value: [}s3cr3t}", is_secret_name)
        assert shown == "{name: api_key, value: <redacted>}"

    def test_mappings_are_read_again_where_hiding_outside_them_changed_the_text(self):
        # Read first, the mapping holds a list a parameter's value opened and found nothing; that value hidden (its
        # `[` with it), the mapping's entries name a secret: read again though the first reading found nothing.
        shown = body_secrets._masked("{token=[abc b, name: api_key, value: s3cr3t}", is_secret_name)
        assert shown == "{token=<redacted> b, name: api_key, value: <redacted>}"

    def test_an_object_under_a_secret_name_ends_past_its_single_quoted_brackets(self):
        # A `}` in a single-quoted string (YAML's, Node's util.inspect) ended the object early and the mapping's next
        # entries were read as outside it: the password after it was shown.
        shown = body_secrets._masked("{ session: { match: '[^}]+' }, password: s3cr3t }", is_secret_name)
        assert shown == "{ session: <redacted>, password: <redacted> }"

    def test_a_value_cut_inside_its_list_is_hidden_with_its_mapping(self):
        # The text cut inside a named mapping's `value` list: the list is closed first, joining the mapping's values,
        # then the mapping (closed outermost first, the list's span came too late and the value was shown).
        shown = body_secrets._masked("{name: api_key, value: [s3cr3t, x", is_secret_name)
        assert shown == "{name: api_key, value: <redacted>"

    @pytest.mark.parametrize(
        "text",
        [
            # A `value` entry's object was read to its end from each entry: every `{value: [` nested in the last.
            "{value: [" * 2000,
            "{token: {" * 2000,
            "{name: api_key, value: [" * 1000,
            "{a: 'x, b: \"y\n" * 1000,
            "<tr><td>password</td><td>" * 1000,
            "<table><tr><th>token</th></tr><tr><td>" * 1000,
            "| password | " * 2000,
            "| token |\n|---|\n" * 1000,
            # Quoted values over lines, and mappings quoted in strings, each read again on its own.
            "{a: 'x\n{b: \"y\n" * 1000,
            "{a: \"x {b: 'y {c: [1, {d: 2}]}'}\", " * 1000,
            # Tables nested in secret cells, each taken up again at its end.
            "<table><tr><th>token</th></tr><tr><td><table>" * 500 + "</table></td></tr></table>" * 500,
            # Pairs opened and never closed, their values cut, on one line.
            "[('password', '[(\"token\", \"" * 1000,
            "[['token', 'a', " * 2000,
            # Escaped names and values quoted in a JSON string, cut.
            '{"a": "{\\"name\\":\\"api_key\\",\\"value\\":\\"x, ' * 1000,
            '{\\"token\\":{\\"a\\":\\"' * 1000,
            # psql's records, headers each over its line, a table of many rows.
            "-[ RECORD 1 ]-+--\npassword | x\n" * 1000,
            " token | a\n-------+---\n" * 1000,
            "x\n-+-+-\n" + "a|b|c\n" * 2000,
            # Headers of aligned columns, each over the next; a table of many rows.
            "A  TOKEN\n" * 2000,
            "NAME  TOKEN\n" + "a     b\n" * 2000,
            # Rows of empty cells; psql's rows of wide characters; mappings quoted twice in strings, cut.
            "NAME  PORTS  TOKEN\n" + "a\n" * 2000,
            # Pairs whose values are lists, opened and never closed, or not pairs (three items).
            # psql's tables of one column, each under the last; a table of many rows.
            " token \n-------\n" * 1000,
            " token \n-------\n" + " x\n" * 2000,
            '[["token", [' * 2000,
            '[["token", {"a": 1}, ' * 2000,
            # A header of thousands of columns over short rows (each row's check stops at its end: not counted here,
            # a loop of Python's).
            "NAME" + "  TOKEN" * 2000 + "\n" + "a\n" * 2000,
            " 名前 | token\n------+-------\n" + " 名前 | x|y\n" * 2000,
            " 名前 | token\n------+-------\n" * 1000,
            '{"a": "{\\"b\\": \\"{\\\\\\"token\\\\\\": \\\\\\"x, ' * 1000,
            "{" + "\\" * 5000 + '"',
        ],
        ids=[
            "value-lists",
            "secret-objects",
            "named-values",
            "open-quotes",
            "html-rows",
            "html-tables",
            "pipe-cells",
            "pipe-headers",
            "quotes-over-lines",
            "quoted-mappings",
            "nested-tables",
            "cut-pairs",
            "long-lists",
            "escaped-values",
            "escaped-objects",
            "psql-records",
            "psql-headers",
            "psql-rows",
            "column-headers",
            "column-rows",
            "column-empty-cells",
            "psql-one-column-headers",
            "psql-one-column-rows",
            "pairs-of-cut-lists",
            "pairs-of-three",
            "wide-header-short-rows",
            "psql-wide-rows",
            "psql-wide-headers",
            "escaped-twice-values",
            "escape-runs",
        ],
    )
    def test_mappings_and_tables_are_read_in_one_pass(self, text, monkeypatch):
        # The characters the scans' searches are asked to pass over, counted (a time limit is no test): at most a
        # few times the text's length, not its square.
        counter = [0]
        for name in (
            "_FLOW_TOKEN_RE",
            "_FLOW_KEY_RE",
            "_FLOW_VALUE_RE",
            "_CELL_TAG_RE",
            "_PIPE_LINE_RE",
            "_PIPE_RE",
            "_PIPE_SEPARATOR_RE",
            "_PAIR_START_RE",
            "_PAIR_VALUE_RE",
            "_PAIR_END_RE",
            "_PSQL_SEPARATOR_RE",
            "_PSQL_RECORD_RE",
            "_PSQL_ONE_COLUMN_RE",
            "_TEXT_LINE_RE",
            "_COLUMNS_HEADER_RE",
            "_COLUMN_NAME_RE",
        ):
            monkeypatch.setattr(body_secrets, name, _CountingPattern(getattr(body_secrets, name), counter))
        # Where an object or a list ends is read by the shared redaction's container_end.
        monkeypatch.setattr(
            redaction_module, "_CONTAINER_TOKEN_RE", _CountingPattern(redaction_module._CONTAINER_TOKEN_RE, counter)
        )
        cell_label = body_secrets._cell_label

        def counted_cell_label(cell: str) -> str | None:
            # A cell's text, cut out of the answer, is passed over too.
            counter[0] += len(cell)
            return cell_label(cell)

        monkeypatch.setattr(body_secrets, "_cell_label", counted_cell_label)
        body_secrets._markup_secret_spans(text, is_secret_name)
        assert 0 < counter[0] <= 8 * len(text)


class TestJudgeSecretsWhateverNamesThem:
    """A password in a DSN, a credential known by its shape, and a value under a secret name written as shells, curl,
    Ruby and PHP write them are quoted as REDACTED; names and words that only look like one are quoted as they came."""

    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzM2NyM3QifQ.s3cr3tSIGNATUREabc"

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # A DSN without `//` in a stack trace: Oracle's `user/password@host`, Go's MySQL `user:password@tcp(...)`.
            (
                "Caused by: connecting with scott/s3cr3t-t1ger@db.internal:1521/ORCL\n",
                "Caused by: connecting with scott/<redacted>@db.internal:1521/ORCL\n",
            ),
            ('dsn "root:s3cr3t-pw@tcp(db:3306)/app"', 'dsn "root:<redacted>@tcp(db:3306)/app"'),
            # A URL's user info whose password starts with a port's digits and holds a query's `=`.
            ("see https://u:8080?x=s3cr3t@host/p", "see https://<redacted>@host/p"),
            # Credentials known by their shape, under a name no secret's or none at all.
            (f"sessionTimeout: {JWT}", "sessionTimeout: <redacted>"),
            (f"raw={JWT} next", "raw=<redacted> next"),
            ("key id AKIAS3CR3TABCDEFGHIJ used", "key id <redacted> used"),
            (
                "with ghp_s3cr3tabcdefghijklmnopqrstuvwxyz0123 and xoxb-1234-s3cr3t-bot",
                "with <redacted> and <redacted>",
            ),
            ('{"echo": "sk_live_s3cr3tStripeKey01"}', '{"echo": "<redacted>"}'),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEs3cr3t\nline2s3cr3t\n-----END RSA PRIVATE KEY-----\nnext",
                "-----BEGIN RSA PRIVATE KEY-----<redacted>-----END RSA PRIVATE KEY-----\nnext",
            ),
            # curl -v's header lines, shell and .env assignments with quoted values, a name ending in `pass`.
            (
                "> GET / HTTP/2\n> x-api-key: s3cr3t-k3y\n> accept: */*\n"
                "< HTTP/2 200\n< x-auth-token: s3cr3t-r\n< vary: *",
                "> GET / HTTP/2\n> x-api-key: <redacted>\n> accept: */*\n"
                "< HTTP/2 200\n< x-auth-token: <redacted>\n< vary: *",
            ),
            (
                'export API_SECRET=\'s3cr3t-a\'\nDB_PASSWORD="s3cr3t b"\nMODE="prod"',
                'export API_SECRET=\'<redacted>\'\nDB_PASSWORD="<redacted>"\nMODE="prod"',
            ),
            # An env file's line: its value to the line's end (a `#`, a space are the value's), an escaped quote inside.
            (
                'DB_PASSWORD=s3cr3t#hash\nSECRET_KEY=s3cr3t with spaces\nexport API_SECRET="s3cr3t\\"esc"\nMODE=prod',
                'DB_PASSWORD=<redacted>\nSECRET_KEY=<redacted>\nexport API_SECRET="<redacted>"\nMODE=prod',
            ),
            ("[smtp]\nsmtp_pass = s3cr3t-smtp\nhost = mail", "[smtp]\nsmtp_pass = <redacted>\nhost = mail"),
            # A quoted parameter inside a JSON string, its quotes escaped.
            ('{"msg": "sent token=\\"s3cr3t x\\" to api"}', '{"msg": "sent token=\\"<redacted>\\" to api"}'),
            # Ruby's hashes, a Rails page's parameters; PHP's trace of a PDO connect with its arguments.
            (
                '{"user"=>{"email"=>"a@b.c", "password"=>"s3cr3t-r"}} {:api_key => \'s3cr3t-s\'}',
                '{"user"=>{"email"=>"a@b.c", "password"=>"<redacted>"}} {:api_key => \'<redacted>\'}',
            ),
            # PHP's arrays: written in source, dumped by print_r and by var_dump (an error page's context).
            (
                "$config = ['db' => ['password' => 's3cr3t-php', 'host' => 'db']];\n"
                "Array ( [db_password] => s3cr3t-pr [user] => bob )\n"
                'array(2) { ["password"]=> string(10) "s3cr3t-vd" ["user"]=> string(3) "bob" }',
                "$config = ['db' => ['password' => '<redacted>', 'host' => 'db']];\n"
                "Array ( [db_password] => <redacted> [user] => bob )\n"
                'array(2) { ["password"]=> string(10) "<redacted>" ["user"]=> string(3) "bob" }',
            ),
            (
                "#0 db.php(5): PDO->__construct('mysql:host=db', 'shop', 's3cr3t-pdo')\n"
                "#1 db.php(9): mysqli->__construct('db', 'shop', 's3cr3t-my')\n"
                'at DriverManager.getConnection("jdbc:mysql://db/app", "app", "s3cr3t-jdbc")',
                "#0 db.php(5): PDO->__construct('mysql:host=db', 'shop', '<redacted>')\n"
                "#1 db.php(9): mysqli->__construct('db', 'shop', '<redacted>')\n"
                'at DriverManager.getConnection("jdbc:mysql://db/app", "app", "<redacted>")',
            ),
            # A table's label of seven words or more, ending in a secret's name.
            (
                "<table><tr><td>Copy this now, it is your new access token</td><td>s3cr3t-pat</td></tr></table>",
                "<table><tr><td>Copy this now, it is your new access token</td><td><redacted></td></tr></table>",
            ),
            # A GraphQL string argument under a secret name, its quotes escaped in the JSON string.
            (
                '{"query": "mutation { login(user: \\"bob\\", password: \\"s3cr3t-g\\") { token: apiToken } }"}',
                '{"query": "mutation { login(user: \\"bob\\", password: \\"<redacted>\\") { token: apiToken } }"}',
            ),
            # Go's `%+v` of a struct, a command line's options, a sentence quoting a token.
            (
                "panic: config &{Host:db User:app Password:s3cr3t-go Port:5432}",
                "panic: config &{Host:db User:app Password:<redacted>}",
            ),
            (
                "+ mysql -u root -ps3cr3t-my shop\n+ vault login --token s3cr3t-v --method=token",
                "+ mysql -u root -p<redacted> shop\n+ vault login --token <redacted> --method=token",
            ),
            # Their values quoted, as a shell or its trace (`set -x`) writes them.
            (
                "+ app --password 's3cr3t x' --user bob\n$ app --token \"s3cr3t-dq\"\n"
                "+ mysql -u root '-ps3cr3t-x' shop\n$ mysql -p's3cr3t-q' shop\n$ mysql -p\"s3cr3t-d\" shop",
                "+ app --password '<redacted>' --user bob\n$ app --token \"<redacted>\"\n"
                "+ mysql -u root '-p<redacted>' shop\n$ mysql -p'<redacted>' shop\n$ mysql -p\"<redacted>\" shop",
            ),
            # curl's user and password, redis-cli's password.
            (
                "$ curl -u bob:s3cr3t-c1 https://x\n$ curl -s --user 'bob:s3cr3t-c2' x\n"
                "$ redis-cli -h r -a s3cr3t-r1 ping\n$ redis-cli --user bob --pass s3cr3t-r2 ping",
                "$ curl -u bob:<redacted> https://x\n$ curl -s --user 'bob:<redacted>' x\n"
                "$ redis-cli -h r -a <redacted> ping\n$ redis-cli --user bob --pass <redacted> ping",
            ),
            ("ERROR: token 's3cr3t-t' rejected", "ERROR: token '<redacted>' rejected"),
            # Source lines an error overlay or a trace shows: assignments of string literals; a comparison is none.
            (
                'const API_TOKEN = "s3cr3t-js";\n$db_password = \'s3cr3t-php\';\nif (token == "abc") {}',
                'const API_TOKEN = "<redacted>";\n$db_password = \'<redacted>\';\nif (token == "abc") {}',
            ),
            # A mapping whose quotes a page writes as HTML character references.
            (
                "<td>{&#x27;PASSWORD&#x27;: &#x27;s3cr3t-dj&#x27;, &#x27;HOST&#x27;: &#x27;db&#x27;}</td>"
                "<pre>{&quot;token&quot;:&quot;s3cr3t-h&quot;, &quot;n&quot;: 1}</pre>",
                "<td>{&#x27;PASSWORD&#x27;: &#x27;<redacted>&#x27;, &#x27;HOST&#x27;: &#x27;db&#x27;}</td>"
                "<pre>{&quot;token&quot;:&quot;<redacted>&quot;, &quot;n&quot;: 1}</pre>",
            ),
            # print_r's value holding spaces: to its line's end, or to the next entry where a page joins the lines.
            (
                "Array\n(\n    [password] => two s3cr3t words\n    [user] => bob\n)\n"
                "Array ( [db_password] => s3cr3t flat [user] => bob ) Array ( [token] => a s3cr3t )",
                "Array\n(\n    [password] => <redacted>\n    [user] => bob\n)\n"
                "Array ( [db_password] => <redacted> [user] => bob ) Array ( [token] => <redacted> )",
            ),
            # A secret's key in a list's item, in a list in a list; a passphrase is a password.
            (
                "users:\n  - name: bob\n    password: s3cr3t-1\n- - token: s3cr3t-2\n-   passphrase: s3cr3t 3\n",
                "users:\n  - name: bob\n    password: <redacted>\n- - token: <redacted>\n-   passphrase: <redacted>\n",
            ),
            # Go's `%v` of a map, of an http.Header's too.
            (
                "opts map[password:s3cr3t-m user:bob]\nhdr map[Authorization:[Bearer s3cr3t-b] X-Api-Key:[s3cr3t-k]]",
                "opts map[password:<redacted>]\nhdr map[Authorization:<redacted> X-Api-Key:<redacted>]",
            ),
            # ADO.NET's and ODBC's connection strings: a value runs to its `;`, ODBC's braced one to its `}`.
            (
                "Data Source=db;User ID=sa;Password=s3cr3t two words;Encrypt=True\n"
                "UID=sa;PWD={s3cr3t odbc;x};Server=db",
                "Data Source=db;User ID=sa;Password=<redacted>;Encrypt=True\nUID=sa;PWD=<redacted>;Server=db",
            ),
            # docker inspect's environment: an entry in a JSON string runs to its quote.
            (
                '"Env": ["DB_PASSWORD=s3cr3t-d", "SECRET_KEY=s3cr3t with space", "PATH=/usr/bin"]',
                '"Env": ["DB_PASSWORD=<redacted>", "SECRET_KEY=<redacted>", "PATH=/usr/bin"]',
            ),
            # Kubernetes refusing a Secret's or a secret-named field's value quotes it.
            (
                'Secret "db" is invalid: data[password]: Invalid value: "s3cr3t-v": a valid config key must be...\n'
                "App is invalid: spec.auth.token: Invalid value: s3cr3t-w, stringData.x: Invalid value: 's3cr3t x'",
                'Secret "db" is invalid: data[password]: Invalid value: "<redacted>": a valid config key must be...\n'
                "App is invalid: spec.auth.token: Invalid value: <redacted>, stringData.x: Invalid value: '<redacted>'",
            ),
            # `kubectl get secret -o yaml`: every value of its data, whatever its key.
            (
                "apiVersion: v1\nkind: Secret\ndata:\n  username: czNjcjN0LXU=\n  config: czNjcjN0LWM=\n",
                "apiVersion: v1\nkind: Secret\ndata:\n  username: <redacted>\n  config: <redacted>\n",
            ),
            (
                "127.0.0.1:6379> AUTH s3cr3t-r\nmachine h login u password s3cr3t-n\n"
                "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYs3cr3tKEYX",
                "127.0.0.1:6379> AUTH <redacted>\nmachine h login u password <redacted>\n<redacted> <redacted>",
            ),
            # A Python repr's values: bytes, a quote escaped in one holding both, an object's repr.
            (
                "Settings(password=b's3cr3t-b', token='it\\'s \"s3cr3t\"', api_key=Wrapped('s3cr3t-w'), n=1)\n"
                "{'token': 'it\\'s s3cr3t', 'user': 'bob'}\n{path: 'C:\\', password: 's3cr3t-y'}",
                "Settings(password=b'<redacted>', token='<redacted>', api_key=<redacted>, n=1)\n"
                "{'token': '<redacted>', 'user': 'bob'}\n{path: 'C:\\', password: '<redacted>'}",
            ),
            (
                "$ redis-cli -h h AUTH default 's3 cr3t'\n$ redis-cli AUTH \"s3cr3t-q\" && ping",
                "$ redis-cli -h h AUTH default '<redacted>'\n$ redis-cli AUTH \"<redacted>\" && ping",
            ),
            ("error: Settings(host='db', password=\"s3cr3t", "error: Settings(host='db', password=\"<redacted>"),
            ("headers [('x-api-key', 's3cr3t", "headers [('x-api-key', '<redacted>"),
            # A validation error quoting the input of a secret field: FastAPI's 422, a repr of pydantic's `errors()`,
            # pydantic's text; another field's input is shown.
            (
                '{"detail":[{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 12'
                ' characters","input":"s3cr3t-f","ctx":{"min_length":12}},{"type":"missing","loc":["body","user"],'
                '"msg":"Field required","input":"bob"}]}\n'
                "[{'type': 'int_parsing', 'loc': ('api_key',), 'input': 's3cr3t-r'}]\n"
                "token\n  String should have at least 40 characters [type=string_too_short, input_value='s3cr3t-t', "
                "input_type=str]",
                '{"detail":[{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 12'
                ' characters","input":"<redacted>","ctx":{"min_length":12}},{"type":"missing","loc":["body","user"],'
                '"msg":"Field required","input":"bob"}]}\n'
                "[{'type': 'int_parsing', 'loc': ('api_key',), 'input': '<redacted>'}]\n"
                "token\n  String should have at least 40 characters [type=string_too_short, input_value='<redacted>', "
                "input_type=str]",
            ),
            # A list under a secret name as Java's Map.toString writes one (`{Authorization=[Basic ...]}`, Spring's
            # headers): hidden to its `]`, the credential after a scheme's name too.
            (
                "headers={Authorization=[Basic Ym9iOnMzY3IzdC1iMw==], X-Api-Key=[s3cr3t-j a], Accept=[*/*]}"
                " token=[a, b]",
                "headers={Authorization=[<redacted>], X-Api-Key=[<redacted>], Accept=[*/*]} token=[<redacted>]",
            ),
        ],
        ids=[
            "oracle-dsn",
            "go-mysql-dsn",
            "port-like-password",
            "jwt-under-a-name-no-secret",
            "jwt-bare",
            "aws-key-id",
            "github-and-slack-tokens",
            "stripe-key",
            "pem-private-key",
            "curl-verbose",
            "quoted-assignments",
            "env-file-values",
            "name-ending-in-pass",
            "quoted-parameter-in-a-json-string",
            "ruby-hashes",
            "php-arrays",
            "php-pdo-trace",
            "label-of-ten-words",
            "graphql-argument",
            "go-struct",
            "command-line-options",
            "quoted-command-line-options",
            "curl-and-redis-cli-passwords",
            "quoted-after-a-secret-name",
            "source-assignments",
            "html-escaped-quotes",
            "php-print-r-values-with-spaces",
            "yaml-lists-of-lists-and-passphrases",
            "go-maps",
            "connection-strings",
            "env-entries-in-json-strings",
            "kubernetes-invalid-values",
            "kubernetes-secret",
            "transcripts-and-aws-secret-keys",
            "python-reprs",
            "quoted-redis-auths",
            "a-parameter-cut-by-the-end",
            "a-pair-cut-by-the-end",
            "validation-errors-inputs",
            "java-map-lists",
        ],
    )
    def test_hidden(self, body, shown):
        result = judged({"body_contains": ["ready"]}, body=body.encode())
        assert result.evidence["body"] == shown
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_a_one_time_links_token_in_a_body_is_hidden(self):
        # A test environment's answer quoting the link it mailed: the link is the user's credential.
        body = b'<a href="https://app.example/reset/MTIz/9f8e7d6c5b4as3cr3t/">Reset</a>'
        result = judged({"body_contains": ["ready"]}, body=body)
        assert result.evidence["body"] == '<a href="https://app.example/reset/MTIz/<redacted>/">Reset</a>'

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # Go's `%+v`: a passphrase holding spaces, to its line's end (a field after a struct, outside any
            # mapping: no `}` bounds it).
            ("cfg {Host:db} Password:correct horse s3cr3t Port:5432", "cfg {Host:db} Password:<redacted>"),
            # A string literal's prefix (raw, unicode, raw bytes): inside its quotes, not the prefix alone.
            (
                "password=u's3cr3t-u' token=r\"s3cr3t-r\" api_key=rb's3cr3t-b'",
                "password=u'<redacted>' token=r\"<redacted>\" api_key=rb'<redacted>'",
            ),
            # An unexported field of Go's `%+v` (its name in small letters), after an exported one's run too.
            (
                "cfg {host:db password:s3cr3t port:5432} &{Host:db token:s3cr3t-w Port:1}",
                "cfg {host:db password:<redacted>} &{Host:db token:<redacted>}",
            ),
            # Go's `%v` of a map writes a string as it is: a value holding spaces (or a ` key:`) runs to the `]`.
            (
                "map[password:correct horse s3cr3t user:bob] map[api_key:two s3cr3t-words]",
                "map[password:<redacted>] map[api_key:<redacted>]",
            ),
            # An object's repr with a comma inside its quotes: whole; another name's arguments are read as entries.
            (
                "{'password': Password('s3cr3t, 2')} {a: f(x, password: s3cr3t-5)}",
                "{'password': <redacted>} {a: f(x, password: <redacted>}",
            ),
            # Another name's object's repr under a `value` entry its naming entry names a secret: hidden whole.
            ('{"name": "password", "value": S(\'s3cr3t, 2\')}', '{"name": "password", "value": <redacted>}'),
        ],
    )
    def test_go_passphrases_and_reprs_hidden(self, body, shown):
        result = judged({"body_contains": ["ready"]}, body=body.encode())
        assert result.evidence["body"] == shown
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # `pass` alone holding no number or boolean, `pw`, a list of the tokens used: a password's, the tokens.
            (
                '{"pass": "s3cr3t-p", "pw": "s3cr3t-w", "tokens_used_list": ["s3cr3t-t"], "tokens_used": 42}',
                '{"pass": "<redacted>", "pw": "<redacted>", "tokens_used_list": "<redacted>", "tokens_used": 42}',
            ),
            ("login?user=bob&pass=s3cr3t-q&pw=s3cr3t-r", "login?user=bob&pass=<redacted>&pw=<redacted>"),
            # A result's `pass` (a number, a boolean) is shown; an HTML element holding no text (`<input>`) hides none
            # after it.
            ('{"pass": 12, "fail": 0, "passed": true} pass=true', '{"pass": 12, "fail": 0, "passed": true} pass=true'),
            (
                '<input type="password" name="password" value="s3cr3t-i">Sign in',
                '<input type="password" name="password" value="<redacted>">Sign in',
            ),
        ],
    )
    def test_short_password_names_and_token_lists(self, body, shown):
        result = judged({"body_contains": ["ready"]}, body=body.encode())
        assert result.evidence["body"] == shown
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    def test_spring_boots_env_entry_of_a_secret_name_is_hidden(self):
        # Spring Boot's /actuator/env/{name}: the name is in the URL alone, the value under `value`, twice.
        body = (
            '{"property": {"source": "systemEnvironment", "value": "s3cr3t-spring"}, "activeProfiles": [], '
            '"propertySources": [{"name": "systemEnvironment", '
            '"property": {"value": "s3cr3t-spring", "origin": "env"}}]}'
        )
        result = judged(
            {"body_contains": ["ready"]}, body=body.encode(), url=f"{BASE}/actuator/env/spring.datasource.password"
        )
        assert result.evidence["body"] == body.replace("s3cr3t-spring", "<redacted>")
        # Another name's value is shown, as the check's not_secret_names shows a name's it lists.
        assert (
            judged({"body_contains": ["ready"]}, body=body.encode(), url=f"{BASE}/actuator/env/server.port").evidence[
                "body"
            ]
            == body
        )

    def test_spring_boots_env_entry_of_a_name_the_check_lists_as_secret_is_hidden(self):
        # A name no word makes secret, listed in the check's secret_names: the property's name is the path's last
        # segment, not the path.
        body = '{"property": {"source": "applicationConfig", "value": "s1gn-v4lue"}}'
        step = Step.model_validate({"name": "s", "expect": {"body_contains": ["ready"]}})
        exchange = HttpExchange(
            status=200,
            headers=httpx.Headers(),
            body=body.encode(),
            latency_ms=10.0,
            body_truncated=False,
            url=f"{BASE}/actuator/env/shop.signing",
        )
        result = judge_exchange(step, exchange, "step s", secret_names=frozenset({"shop.signing"}))
        assert result.evidence["body"] == body.replace("s1gn-v4lue", "<redacted>")

    def test_a_header_quoted_by_a_failure_shows_no_credential_known_by_its_shape(self):
        result = judged(
            {"headers": {"X-Context": {"equals": "none"}}}, headers={"X-Context": f"ctx {self.JWT} {self.JWT}"}
        )
        assert [str(f) for f in result.failures] == [
            "header X-Context equals: expected 'none', got 'ctx <redacted> <redacted>'"
        ]

    def test_a_long_header_quoted_by_a_failure_is_clipped_at_120_characters(self):
        result = judged({"headers": {"X-Trace": {"equals": "none"}}}, headers={"X-Trace": "t" * 200})
        assert [str(f) for f in result.failures] == [
            f"header X-Trace equals: expected 'none', got '{'t' * 120}... (80 more characters)'"
        ]

    @pytest.mark.parametrize(
        "body",
        [
            # Columns of two or three words that say what is known of a secret: dates, kinds, not the secret.
            "STATUS  KEY ROTATION  TOKEN TYPE\nok      daily         bearer\n",
            "| Key rotation | 30 days |\n| Password policy | 12 characters |\n| Secret name | db-creds |",
            # A GraphQL alias and a variable: names, no values.
            '{"query": "{ me { token: apiToken session: currentSession(id: $sessionId) } }"}',
            # A user's name alone before a host: git's, a login's.
            "clone ssh://git@github.com/o/r.git or //deploy@host",
            # `pass` alone or first, or inside a word: a result, a bound.
            "pass: 3\npass_if: x > 1\nbypass_cache = yes\n",
            # An option's dashes inside a word; a quoted value too short to be a secret's.
            "see pre--token abcd\ntoken 'ab' too short\n",
            # `pass` before another word: a rate, a verdict's own evidence.
            '{"canary_pass_rate": 0.93, "canaryPassRate": 0.93}',
            # A JWT's look-alike (no JSON payload), an AWS-like word too short, a call of no password.
            "eyJustKidding.notAToken AKIA123 connect('db', 'shop', 'x')",
            # A mapping's key quoted in a sentence; options that take no value, or none of a secret.
            "missing key 'region' in config\ndocker login --password-stdin -u bob --region eu\nmysql -u root -p shop",
            # curl's user alone (it asks for the password), another command's -u and -a.
            "curl -u bob https://x\nuseradd -u 1001:1001 app\nls -a /tmp/x:y\n",
            # A Go map's and a connection string's values under other names, spaces and all; an env entry's in a string.
            'map[mode:prod user:bob] Server=db;Database=my app;Encrypt=True\n["PATH=/usr/bin x"]',
            # Kubernetes refusing a value of no secret's field; another kind's data.
            'spec.replicas: Invalid value: "-1"\nkind: ConfigMap\ndata:\n  mode: prod\n',
            # A `-p` far from a `mysql` on one long line (a minified JSON): another command's (a port published).
            '{"engines": ["mysql"], "notes": "' + "x" * 300 + ' then docker run -p8080:80 web"}',
            # A test runner's report (Jest's): the test file that passed, no FTP password.
            "PASS src/app.test.js\nTests:       3 passed, 3 total\n",
            # pytest's node ids; `auth` after an app's prompt; a trace's id beside a Twilio SID.
            "PASS tests/test_app.py::test_x\nPASS tests/test_app.py::TestX::test_y[a-1]\n",
            "app> auth enabled\nbash-5.1> auth enabled\n",
            "AC0123456789abcdef0123456789abcdef sent; trace 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            # Another name's object in a repr, its value no secret's; a YAML value ending in a backslash.
            "Config(db=DB(host='db'), n=1)\n{path: 'C:\\', mode: 'x'}",
        ],
    )
    def test_shown(self, body):
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == body


# The time each reader of free text takes on 1 MB of a text built to make it go back over the text (linear, not
# quadratic) is measured by `make bench` (bench/run.py, large_texts), not by a timed test.


class TestJudgeExpectedSecrets:
    """An assertion's expected value where a secret stands (a JSON path under a secret name, a secret header) is quoted
    as REDACTED, as what the answer holds there is."""

    @pytest.mark.parametrize(
        ("expect", "body", "headers", "failure"),
        [
            (
                {"json": [{"path": "$.auth.token", "equals": "tk-wr1tt3n-s3cr3t"}]},
                b'{"auth": {"token": "other"}}',
                {},
                'json $.auth.token equals: expected "<redacted>", got "<redacted>"',
            ),
            (
                {"json": [{"path": "$.credentials.pin", "equals": 4711}]},
                b'{"credentials": {"pin": 1234}}',
                {},
                'json $.credentials.pin equals: expected "<redacted>", got "<redacted>"',
            ),
            # The value a mapping's naming member names as a secret's (an env list as JSON), as the answer's text
            # hides it; another name's value is shown.
            (
                {"json": [{"path": "$.env[0].value", "equals": "other"}]},
                b'{"env": [{"name": "DB_PASSWORD", "value": "s3cr3t-v4lue"}]}',
                {},
                'json $.env[0].value equals: expected "<redacted>", got "<redacted>"',
            ),
            (
                {"json": [{"path": "$.Parameters[0].ParameterValue", "equals": "other"}]},
                b'{"Parameters": [{"ParameterKey": "DbPassword", "ParameterValue": "s3cr3t-v4lue"}]}',
                {},
                'json $.Parameters[0].ParameterValue equals: expected "<redacted>", got "<redacted>"',
            ),
            # A list of pairs' value a secret's name names, as the answer's text hides it; another pair's is shown.
            (
                {"json": [{"path": "$.pairs[1][1]", "equals": "other"}]},
                b'{"pairs": [["user", "bob"], ["access_token", "s3cr3t-v4lue"]]}',
                {},
                'json $.pairs[1][1] equals: expected "<redacted>", got "<redacted>"',
            ),
            (
                {"json": [{"path": "$.pairs[0][1]", "equals": "other"}]},
                b'{"pairs": [["user", "bob"], ["access_token", "s3cr3t-v4lue"]]}',
                {},
                'json $.pairs[0][1] equals: expected "other", got "bob"',
            ),
            (
                {"json": [{"path": "$.env[0].Value", "equals": "other"}]},
                b'{"env": [{"Name": "REGION", "Value": "eu"}]}',
                {},
                'json $.env[0].Value equals: expected "other", got "eu"',
            ),
            # A boolean or null tells nothing: shown.
            (
                {"json": [{"path": "$.session.valid", "equals": True}]},
                b'{"session": {"valid": false}}',
                {},
                'json $.session.valid equals: expected true, got "<redacted>"',
            ),
            (
                {"headers": {"X-Api-Key": {"equals": "hk-wr1tt3n-s3cr3t"}}},
                b"",
                {"X-Api-Key": "other"},
                "header X-Api-Key equals: expected '<redacted>', got '<redacted>'",
            ),
            (
                {"headers": {"X-Upstream": {"equals": "Bearer wr1tt3n-s3cr3t"}}},
                b"",
                {"X-Upstream": "none"},
                "header X-Upstream equals: expected '<redacted>', got 'none'",
            ),
            # true or false tells nothing, as for a JSON path; what came is hidden as the header's value is.
            (
                {"headers": {"Access-Control-Allow-Credentials": {"equals": "true"}}},
                b"",
                {"Access-Control-Allow-Credentials": "false"},
                "header Access-Control-Allow-Credentials equals: expected 'true', got '<redacted>'",
            ),
            # A challenge is what a smoke test of a 401 asserts: its scheme and realm are no credential.
            (
                {"status": [401], "headers": {"WWW-Authenticate": {"equals": 'Bearer realm="shop"'}}},
                b"",
                {"WWW-Authenticate": "Basic"},
                """header WWW-Authenticate equals: expected 'Bearer realm="shop"', got 'Basic'""",
            ),
        ],
    )
    def test_the_expected_value_is_hidden(self, expect, body, headers, failure):
        status = 401 if expect.get("status") == [401] else 200
        result = judged(expect, status=status, body=body, headers=headers)
        assert [str(f) for f in result.failures] == [failure]

    def test_a_check_secret_name_hides_the_expected_value(self):
        step = Step.model_validate({"name": "s", "expect": {"json": [{"path": "$.pin", "equals": "4711"}]}})
        exchange = HttpExchange(
            url=f"{BASE}/",
            status=200,
            headers=httpx.Headers(),
            body=b'{"pin": "0000"}',
            latency_ms=1.0,
            body_truncated=False,
        )
        result = judge_exchange(step, exchange, "step s", frozenset({"pin"}))
        assert [str(f) for f in result.failures] == ['json $.pin equals: expected "<redacted>", got "<redacted>"']

    # A challenge is shown unless the check names it a secret: then it is one, as what came there is.
    @pytest.mark.parametrize("header", ["X-Pin", "WWW-Authenticate"])
    def test_a_check_secret_name_hides_a_header_expected_value(self, header):
        step = Step.model_validate({"name": "s", "expect": {"headers": {header: {"equals": "4711-wr1tt3n"}}}})
        exchange = HttpExchange(
            url=f"{BASE}/",
            status=200,
            headers=httpx.Headers({header: "0000"}),
            body=b"",
            latency_ms=1.0,
            body_truncated=False,
        )
        result = judge_exchange(step, exchange, "step s", frozenset({header.lower()}))
        assert [str(f) for f in result.failures] == [f"header {header} equals: expected '<redacted>', got '<redacted>'"]

    def test_the_definition_hides_the_expected_value(self):
        # GET /api/v1/checks/{name} and the check page showed the token the catalog expects.
        expect = {
            "json": [
                {"path": "$.token", "equals": "tk-wr1tt3n-s3cr3t"},
                {"path": "$.session.valid", "equals": True},
                {"path": "$.status", "equals": "ok"},
            ],
            "headers": {"X-Api-Key": {"equals": "hk-wr1tt3n-s3cr3t"}, "X-Mode": {"equals": "canary"}},
        }
        check = load(definition([{"name": "s", "expect": expect}]))
        shown = check.definition()["steps"][0]["expect"]
        assert [rule["equals"] for rule in shown["json"]] == ["<redacted>", True, "ok"]
        assert shown["headers"] == {"X-Api-Key": {"equals": "<redacted>"}, "X-Mode": {"equals": "canary"}}
        assert {"tk-wr1tt3n-s3cr3t", "hk-wr1tt3n-s3cr3t"} <= set(check.literal_secrets())

    async def test_an_expected_true_or_false_is_no_secret(self, run, respx_mock):
        # A CORS check's `Access-Control-Allow-Credentials: true` (a secret header by its name): searched for as a
        # secret, every `true` of the answer was `<redacted>`, and its JSON evidence was no JSON any more.
        answer = httpx.Response(503, json={"ready": True, "degraded": "true"})
        respx_mock.get(f"{BASE}/").mock(return_value=answer)
        expect = {"status": [200], "headers": {"Access-Control-Allow-Credentials": {"equals": "true"}}}
        check = definition([{"name": "s", "expect": expect}])
        evaluation = await run(check)
        assert evaluation.details["steps"][0]["body"] == '{"ready":true,"degraded":"true"}'
        shown = load(check).definition()["steps"][0]["expect"]["headers"]
        assert shown == {"Access-Control-Allow-Credentials": {"equals": "true"}}

    async def test_an_expected_json_string_true_is_no_secret(self, run, respx_mock):
        # `"true"` written as a string under a secret path: searched for as a secret, it hid the answer's `true`s.
        answer = httpx.Response(200, json={"session": {"active": "false"}, "ready": True})
        respx_mock.get(f"{BASE}/").mock(return_value=answer)
        expect = {"json": [{"path": "$.session.active", "equals": "true"}]}
        evaluation = await run(definition([{"name": "s", "expect": expect}]))
        assert (
            evaluation.reason
            == 'step \'s\' (1/1) failed: json $.session.active equals: expected "true", got "<redacted>"'
        )
        assert evaluation.details["steps"][0]["body"] == '{"session":"<redacted>","ready":true}'

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            ("$.pairs[0][1]", {"pairs": [["password", "other"]], "hint": "expected pw-wr1tt3n-s3cr3t"}),
            ("$.env[0].value", {"env": [{"name": "DB_PASSWORD", "value": 7}], "hint": "pw-wr1tt3n-s3cr3t"}),
            ("$.pairs[0][-1]", {"pairs": [["password", "other"]], "hint": "expected pw-wr1tt3n-s3cr3t"}),
        ],
    )
    async def test_an_expected_secret_the_answers_naming_makes_one_is_hidden(self, run, respx_mock, path, body):
        # No name in the path says secret; the answer's own pair (or naming member) does: the failure hid what it
        # expected, but the answer quoting it elsewhere showed it, and so did the definition.
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(200, json=body))
        check = definition([{"name": "s", "expect": {"json": [{"path": path, "equals": "pw-wr1tt3n-s3cr3t"}]}}])
        evaluation = await run(check)
        assert evaluation.verdict == "fail"
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))
        assert load(check).definition()["steps"][0]["expect"]["json"][0]["equals"] == "<redacted>"

    def test_an_expected_value_where_no_secret_may_stand_is_shown_in_the_definition(self):
        # A list's item by its index but in no list of pairs (`$.items[1]`), a true: no secret may stand there.
        expect = {
            "json": [
                {"path": "$.items[0].id", "equals": "sku-1"},
                {"path": "$.pairs[0][1]", "equals": True},
                {"path": "$.items[1]", "equals": "sku-2"},
            ]
        }
        shown = load(definition([{"name": "s", "expect": expect}])).definition()["steps"][0]["expect"]["json"]
        assert [rule["equals"] for rule in shown] == ["sku-1", True, "sku-2"]

    async def test_an_expected_true_where_the_answer_names_a_secret_hides_no_other_true(self, run, respx_mock):
        # `"true"` tells nothing: searched for as a secret, every `true` of the evidence was `<redacted>`.
        body = {"env": [{"name": "DB_PASSWORD", "value": "x"}], "ready": True}
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(200, json=body))
        check = definition([{"name": "s", "expect": {"json": [{"path": "$.env[0].value", "equals": "true"}]}}])
        evaluation = await run(check)
        assert evaluation.verdict == "fail"
        assert evaluation.details["steps"][0]["body"].endswith('"ready":true}')

    async def test_an_expected_secret_the_answer_quotes_is_hidden(self, run, respx_mock):
        # The token expected under $.token, quoted by the answer under a name no secret's: shown in the evidence.
        body = {"token": "other", "hint": "expected tk-wr1tt3n-s3cr3t"}
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(200, json=body))
        expect = {"json": [{"path": "$.token", "equals": "tk-wr1tt3n-s3cr3t"}]}
        evaluation = await run(definition([{"name": "s", "expect": expect}]))
        assert evaluation.verdict == "fail"
        assert "s3cr3t" not in json.dumps(evaluation.model_dump(mode="json"))
        assert (
            evaluation.reason == 'step \'s\' (1/1) failed: json $.token equals: expected "<redacted>", got "<redacted>"'
        )


class TestSecretNeedles:
    """A body_contains or body_not_contains needle is quoted as an answer's text is, and the definition shows no
    secret the check sends in any body assertion; a token type expected under a secret path is shown."""

    @pytest.mark.parametrize(
        ("expect", "body", "failure"),
        [
            (
                {"body_contains": ['"access_token": "at-s3cr3t-0a1b"']},
                b"{}",
                """body_contains: expected '"access_token": "<redacted>"', got a body without it: {}""",
            ),
            (
                {"body_not_contains": ["Bearer eyJhbGciOi.s3cr3t"]},
                b"leaked: Bearer eyJhbGciOi.s3cr3t",
                "body_not_contains: expected no 'Bearer <redacted>', got a body with it: leaked: Bearer <redacted>",
            ),
            (
                {"body_contains": ["<password>pw-s3cr3t</password>"]},
                b"none",
                "body_contains: expected '<password><redacted></password>', got a body without it: none",
            ),
        ],
        ids=["json-member", "bearer", "xml"],
    )
    def test_a_needle_is_quoted_without_its_secret(self, expect, body, failure):
        # The needle was quoted as written: the reason (logs, Argo's message, JUnit) showed the token it asserts.
        assert [str(f) for f in judged(expect, body=body).failures] == [failure]

    @pytest.mark.parametrize(
        ("expect", "body", "failed"),
        [
            ({"body_contains": ["token: abc-s3cr3t"]}, b"status: ok\ntoken: abc-s3cr3t\n", False),
            ({"body_contains": ["token: abc-s3cr3t"]}, b"status: ok\ntoken: abc-0ther\n", True),
            ({"body_not_contains": ["token: abc-s3cr3t"]}, b"status: ok\ntoken: abc-s3cr3t\n", True),
            ({"body_not_contains": ["token: abc-s3cr3t"]}, b"status: ok\ntoken: abc-0ther\n", False),
            ({"body_contains": ["<password>pw-s3cr3t</password>"]}, b"<password>pw-s3cr3t</password>", False),
            ({"body_not_contains": ["Bearer eyJhbGciOi.s3cr3t"]}, b"Bearer eyJhbGciOi.0ther", False),
            ({"body_regex": "token: abc-s3cr3t$"}, b"token: abc-s3cr3t", False),
            ({"json": [{"path": "$.access_token", "equals": "at-s3cr3t"}]}, b'{"access_token": "at-s3cr3t"}', False),
            ({"json": [{"path": "$.access_token", "equals": "at-s3cr3t"}]}, b'{"access_token": "at-0ther"}', True),
        ],
    )
    def test_a_needle_is_judged_on_the_answer_as_it_came(self, expect, body, failed):
        # Hidden before judging, `token: <redacted>` would be in every answer with a token and in none of the needles.
        failures = judged(expect, body=body).failures
        assert bool(failures) is failed, failures

    def test_the_definition_shows_no_secret_the_check_sends_in_a_needle_or_regex(self):
        # A check asserting that its API key does not leak: GET /api/v1/checks/{name} and the check page showed it.
        expect = {
            "body_not_contains": ["lit-s3cr3t-key", "stack trace"],
            "body_contains": ['"password": "pw-s3cr3t"'],
            "body_regex": "^(?!.*lit-s3cr3t-key)",
        }
        check = load(definition([{"name": "s", "headers": {"X-Api-Key": "lit-s3cr3t-key"}, "expect": expect}]))
        shown = check.definition()["steps"][0]["expect"]
        assert "s3cr3t" not in json.dumps(shown)
        assert shown["body_not_contains"] == ["<redacted>", "stack trace"]
        assert shown["body_contains"] == ['"password": "<redacted>"']
        assert shown["body_regex"] == "^(?!.*<redacted>)"

    @pytest.mark.parametrize("token_type", ["Bearer", "DPoP", "urn:ietf:params:oauth:token-type:jwt"])
    async def test_an_expected_token_type_is_no_secret(self, run, respx_mock, token_type):
        # Its expected `Bearer` was a secret, hidden in the reason and searched for in answers, where every `Bearer`
        # went (an error's words, a challenge); `token_type` names what a token is, no secret: the `mac` got is shown.
        answer = httpx.Response(200, json={"token_type": "mac", "hint": f"send a {token_type} token"})
        respx_mock.get(f"{BASE}/").mock(return_value=answer)
        expect = {"json": [{"path": "$.token_type", "equals": token_type}]}
        evaluation = await run(definition([{"name": "s", "expect": expect}]))
        assert evaluation.reason == (
            f'step \'s\' (1/1) failed: json $.token_type equals: expected "{token_type}", got "mac"'
        )
        assert evaluation.details["steps"][0]["body"] == f'{{"token_type":"mac","hint":"send a {token_type} token"}}'
        assert (
            load(definition([{"name": "s", "expect": expect}])).definition()["steps"][0]["expect"]["json"][0]["equals"]
            == token_type
        )


class TestCountsUnderSecretNames:
    """A failed `json` assertion on a count of tokens quotes the count; a secret name's number, or a count under a
    name the check lists as secret, stays hidden."""

    async def test_a_count_of_tokens_is_quoted(self, run, respx_mock):
        # The reason said `got "<redacted>"`: the number the rollout stopped on was hidden.
        answer = httpx.Response(200, json={"usage": {"tokens": 1600}, "token": 918273})
        respx_mock.get(f"{BASE}/").mock(return_value=answer)
        expect = {"json": [{"path": "$.usage.tokens", "compare": "< 1000"}]}
        evaluation = await run(definition([{"name": "s", "expect": expect}]))
        assert evaluation.reason == "step 's' (1/1) failed: json $.usage.tokens compare: expected < 1000, got 1600"
        assert evaluation.details["steps"][0]["body"] == '{"usage":{"tokens":1600},"token":"<redacted>"}'

    @pytest.mark.parametrize(
        ("answer", "path", "extra"),
        [
            ({"token": 1600}, "$.token", {}),
            ({"tokens": "abc1600"}, "$.tokens", {}),
            ({"tokens": 1600}, "$.tokens", {"secret_names": ["tokens"]}),
        ],
    )
    @pytest.mark.parametrize("assertion", [{"equals": 1}, {"compare": "< 1000"}])
    async def test_a_secret_is_not_quoted(self, run, respx_mock, answer, path, extra, assertion):
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(200, json=answer))
        expect = {"json": [{"path": path, **assertion}]}
        evaluation = await run(definition([{"name": "s", "expect": expect}], **extra))
        assert evaluation.reason.endswith('got "<redacted>"'), evaluation.reason
        assert "1600" not in evaluation.reason


class TestJudgeMissingCaptures:
    """A capture from a header the response lacks is a failed assertion, not a crash."""

    def test_an_absent_header_captures_nothing(self):
        result = judged({}, step={"capture": {"loc": {"header": "Location"}}})
        assert result.captured == {}
        assert [str(f) for f in result.failures] == [
            "capture loc (header Location): expected a string or number, got no such header"
        ]


class TestJudgeHeaders:
    """A header rule checks existence, an exact value or a regex; a repeated header is judged as the one value
    its lines make (RFC 9110 5.3: joined with ", "), but Set-Cookie line by line."""

    @pytest.mark.parametrize(
        ("rule", "values", "passes"),
        [
            ({"exists": True}, ["x"], True),
            ({"exists": True}, [], False),
            ({"exists": False}, [], True),
            ({"exists": False}, ["a", "b"], False),
            ({"equals": "b"}, ["b"], True),
            ({"equals": "b"}, ["a", "b"], False),
            ({"equals": "a, b"}, ["a", "b"], True),
            ({"equals": "c"}, ["a", "b"], False),
            ({"regex": "^b"}, ["bc"], True),
            ({"regex": "^b"}, ["a", "bc"], False),
            ({"regex": "^a, b"}, ["a", "bc"], True),
            ({"regex": "^b"}, ["a", "cb"], False),
            ({"regex": "^b"}, [], False),
        ],
    )
    def test_rule(self, rule, values, passes):
        headers = [("X-Thing", v) for v in values]
        failures = judged({"headers": {"x-thing": rule}}, headers=headers).failures
        assert (failures == []) is passes

    def test_conflicting_lines_of_a_security_header_fail(self):
        # Browsers ignore an X-Frame-Options whose lines disagree: the page is not protected.
        headers = [("X-Frame-Options", "SAMEORIGIN"), ("x-frame-options", "DENY")]
        failures = judged({"headers": {"X-Frame-Options": {"equals": "DENY"}}}, headers=headers).failures
        assert [str(f) for f in failures] == [
            "header X-Frame-Options equals: expected 'DENY', got different values on 2 lines, where one value is "
            "allowed: 'SAMEORIGIN', 'DENY'"
        ]

    @pytest.mark.parametrize(
        ("rule", "lines", "passes"),
        [
            ({"regex": "^application/json"}, ["application/json", "text/html"], False),
            ({"regex": "json"}, ["text/html", "application/json"], False),
            ({"exists": True}, ["application/json", "text/html"], True),
            ({"regex": "^application/json"}, ["application/json", "application/json"], True),
        ],
    )
    def test_a_single_value_header_with_conflicting_lines_fails(self, rule, lines, passes):
        # Content-Type holds one value: clients pick one of the lines (browsers the last), so a rule cannot pass
        # on the line it likes.
        headers = [("Content-Type", line) for line in lines]
        failures = judged({"headers": {"content-type": rule}}, headers=headers).failures
        assert (failures == []) is passes
        assert passes or "different values on 2 lines, where one value is allowed" in failures[0].got

    @pytest.mark.parametrize(("rule", "passes"), [({"regex": "^session="}, True), ({"equals": "lang=en"}, True)])
    def test_set_cookie_lines_are_judged_one_by_one(self, rule, passes):
        headers = [("Set-Cookie", "lang=en"), ("Set-Cookie", "session=abc; HttpOnly")]
        assert (judged({"headers": {"set-cookie": rule}}, headers=headers).failures == []) is passes

    @pytest.mark.parametrize(
        ("header", "value", "shown"),
        [
            # A smoke test asserting a session cookie's attributes: the failure showed the live session it set.
            ("Set-Cookie", "session=9f8e7d6c5b4a; Path=/; Secure", "'session=<redacted>; Path=/; Secure'"),
            ("Set-Cookie", "9f8e7d6c5b4a", "'<redacted>'"),
            ("X-Auth-Token", "9f8e7d6c5b4a", "'<redacted>'"),
            ("X-Upstream", "Bearer 9f8e7d6c5b4a", "'<redacted>'"),
            ("X-Thing", "9f8e7d6c5b4a", "'9f8e7d6c5b4a'"),
        ],
    )
    def test_a_failure_quotes_no_credential_the_answer_set(self, header, value, shown):
        failures = judged({"headers": {header: {"regex": "HttpOnly"}}}, headers=[(header, value)]).failures
        assert [f.got for f in failures] == [shown]
        exists = judged({"headers": {header: {"exists": False}}}, headers=[(header, value)]).failures
        assert [f.got for f in exists] == [shown]

    async def test_a_failure_quotes_no_header_the_check_names_secret(self, run, respx_mock):
        # A name only the check's secret_names lists (no credential's name, no scheme): its value was quoted in the
        # reason, the history and the verdict page.
        respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, headers={"X-Canary-Pass": "cp-9f8e7d"}))
        check = definition(
            [{"name": "a", "path": "/x", "expect": {"headers": {"x-canary-pass": {"regex": "^ok"}}}}],
            secret_names=["X-Canary-Pass"],
        )
        evaluation = await run(check)
        assert evaluation.reason.endswith("header x-canary-pass regex: expected a match for '^ok', got '<redacted>'")
        assert "cp-9f8e7d" not in json.dumps(evaluation.model_dump(mode="json"))

    @pytest.mark.parametrize("header", ["WWW-Authenticate", "Proxy-Authenticate"])
    def test_a_failure_quotes_the_challenge_of_a_401(self, header):
        # A challenge names a scheme and why the request was refused, what a smoke test of a 401 asserts: no
        # credential the answer set (one the step sent and the challenge echoes is hidden by the check's scrub).
        challenge = 'Bearer realm="api", error="invalid_token"'
        rule = {"regex": 'error="expired_token"'}
        failures = judged({"headers": {header: rule}}, headers=[(header, challenge)]).failures
        assert [f.got for f in failures] == [repr(challenge)]

    async def test_a_challenge_echoing_the_token_sent_hides_it(self, run, respx_mock):
        respx_mock.get(f"{BASE}/x").mock(
            return_value=httpx.Response(
                401, headers={"WWW-Authenticate": 'Bearer error="invalid_token", token="s3cr3t-t0ken-9"'}
            )
        )
        check = definition(
            [
                {
                    "name": "a",
                    "path": "/x",
                    "headers": {"Authorization": "Bearer s3cr3t-t0ken-9"},
                    "expect": {"status": [401], "headers": {"WWW-Authenticate": {"regex": "expired"}}},
                }
            ]
        )
        evaluation = await run(check)
        assert evaluation.reason.endswith('got \'Bearer error="invalid_token", token="<redacted>"\''), evaluation.reason
        assert "t0ken" not in json.dumps(evaluation.model_dump(mode="json"))


class TestJudgeInvalidJson:
    """What RFC 8259 does not allow, or leaves to each parser, is not JSON: never a value an assertion passes on."""

    @pytest.mark.parametrize(
        ("body", "rule", "why"),
        [
            (b'{"total": Infinity}', {"path": "$.total", "compare": "> 0"}, "Infinity"),
            (b'{"total": -Infinity}', {"path": "$.total", "compare": "< 0"}, "-Infinity"),
            (b'{"total": NaN}', {"path": "$.total", "exists": True}, "NaN"),
            (b'{"status": "failed", "status": "created"}', {"path": "$.status", "equals": "created"}, "'status' twice"),
            (b'{"a": {"ok": false, "ok": true}}', {"path": "$.a.ok", "equals": True}, "'ok' twice"),
            (b'[{"x": 1}, {"id": 1, "id": 2}]', {"path": "$[0].x", "equals": 1}, "'id' twice"),
            (b'{"ok": true, "id": 1, "id": 2}', {"path": "$.ok", "equals": True}, "'id' twice"),
        ],
    )
    def test_fails(self, body, rule, why):
        failures = judged({"json": [rule]}, body=body).failures
        assert len(failures) == 1 and failures[0].expected == "a JSON body", failures
        assert why in failures[0].got

    def test_a_capture_from_such_a_body_fails_too(self):
        failures = judged({}, body=b'{"id": "a", "id": "b"}', step={"capture": {"id": {"json": "$.id"}}}).failures
        assert [f.assertion for f in failures] == ["capture id (json $.id)"]
        assert "'id' twice" in failures[0].got

    @pytest.mark.parametrize("body", [b'{"total": 1e400}', b'{"a": {"k": 1}, "b": {"k": 2}}', b'{"NaN": "Infinity"}'])
    def test_valid_json_still_passes(self, body):
        assert judged({"json": [{"path": "$", "exists": True}]}, body=body).failures == []


class TestJudgeByteOrderMarks:
    """A byte order mark says how the body is encoded, over its label (as browsers read it), and is no text."""

    @pytest.mark.parametrize(
        ("encoding", "content_type"),
        [
            ("utf-16", "text/plain"),
            ("utf-16-be", "text/plain; charset=utf-8"),
            ("utf-16-le", "text/html; charset=iso-8859-1"),
        ],
    )
    def test_an_error_page_in_utf16_is_read_as_such(self, encoding, content_type):
        # Read as UTF-8 it was "\ufffd\ufffdE\x00r\x00r..." and held no "Error": body_not_contains passed.
        mark = {"utf-16-be": b"\xfe\xff", "utf-16-le": b"\xff\xfe"}.get(encoding, b"")
        body = mark + "Error 500: the database is down".encode(encoding)
        result = judged({"body_not_contains": ["Error"]}, body=body, headers={"Content-Type": content_type})
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == "Error 500: the database is down"

    def test_a_utf32_body_is_not_read_as_utf16_by_the_first_half_of_its_mark(self):
        # UTF-32LE's mark (FF FE 00 00) starts with UTF-16LE's: read as UTF-16 the text was "E\x00r\x00r..." and held
        # no "Error", so body_not_contains passed an error page its utf-32 label decoded right before marks were read.
        body = "Error 500: the database is down".encode("utf-32")
        assert body.startswith(b"\xff\xfe\x00\x00")
        result = judged(
            {"body_not_contains": ["Error"]}, body=body, headers={"Content-Type": "text/plain; charset=utf-32"}
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == "Error 500: the database is down"

    def test_a_json_body_after_a_utf8_mark_parses(self):
        # RFC 8259 8.1: a parser may ignore the mark; read as text it was a first character that is not JSON.
        body = b"\xef\xbb\xbf" + b'{"status": "ok"}'
        result = judged({"json": [{"path": "$.status", "equals": "ok"}]}, body=body)
        assert result.failures == []
        assert result.evidence["body"] == '{"status": "ok"}'

    def test_an_unread_body_is_quoted_without_its_mark(self):
        result = judged({}, body="caf\u00e9".encode("utf-16"), headers={"Content-Type": "text/plain"})
        assert result.evidence["body"] == "caf\u00e9"


class TestJudgeLegacyCharsets:
    """An error page in a legacy East Asian or Cyrillic charset is read in it, as browsers read it (WHATWG Encoding)."""

    @pytest.mark.parametrize(
        ("charset", "codec", "text"),
        [
            ("Shift_JIS", "cp932", "\u30a8\u30e9\u30fc 500: \u30c7\u30fc\u30bf\u30d9\u30fc\u30b9\u505c\u6b62"),
            ("EUC-JP", "euc_jp", "\u30a8\u30e9\u30fc 500"),
            ("ISO-2022-JP", "iso2022_jp", "\u30a8\u30e9\u30fc 500"),
            ("GB2312", "gbk", "\u9519\u8bef 500: \u6570\u636e\u5e93\u505c\u6b62"),
            ("GBK", "gbk", "\u9519\u8bef 500"),
            ("GB18030", "gb18030", "\u9519\u8bef 500"),
            ("Big5", "big5hkscs", "\u932f\u8aa4 500"),
            ("EUC-KR", "cp949", "\uc624\ub958 500"),
            ("KOI8-R", "koi8_r", "\u041e\u0448\u0438\u0431\u043a\u0430 500"),
            ("KOI8-U", "koi8_u", "\u041f\u043e\u043c\u0438\u043b\u043a\u0430 500"),
            ("IBM866", "cp866", "\u041e\u0448\u0438\u0431\u043a\u0430 500"),
            ("windows-874", "cp874", "\u0e02\u0e49\u0e2d\u0e1c\u0e34\u0e14\u0e1e\u0e25\u0e32\u0e14 500"),
        ],
    )
    def test_an_error_page_in_its_labelled_charset_fails_body_not_contains(self, charset, codec, text):
        # Read as UTF-8, bad bytes replaced, the page held no "\u30a8\u30e9\u30fc" (error): body_not_contains passed it.
        word = text.split(" ")[0]
        result = judged(
            {"body_not_contains": [word]},
            body=text.encode(codec),
            headers={"Content-Type": f"text/html; charset={charset}"},
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == text

    @pytest.mark.parametrize(
        ("charset", "pair"),
        [("Shift_JIS", b"\x81\xe9"), ("GBK", b"\xa1\x81"), ("Big5", b"\x81\x87"), ("EUC-KR", b"\xa5\xab")],
    )
    def test_a_bad_pair_does_not_swallow_the_ascii_after_it(self, charset, pair):
        # A lead byte whose pair maps to nothing: browsers drop it with its non-ASCII second byte, CPython's codecs
        # read that second byte as the next lead, which took the "E" along (`\ufffd\u98b1rror 500`), and
        # body_not_contains passed the page a browser shows as "Error 500".
        result = judged(
            {"body_not_contains": ["Error"]},
            body=b"<p>" + pair + b"Error 500</p>",
            headers={"Content-Type": f"text/html; charset={charset}"},
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert "Error 500" in result.evidence["body"]

    @pytest.mark.parametrize(
        ("charset", "body", "shown"),
        [
            ("EUC-KR", b"<p>\x80Error 500</p>", "<p>\ufffdError 500</p>"),
            ("Big5", b"<p>\x80Error 500</p>", "<p>\ufffdError 500</p>"),
            ("GBK", b"<p>\xffError 500</p>", "<p>\ufffdError 500</p>"),
            ("EUC-KR", b"<p>\x81\x80Error 500</p>", "<p>\ufffdError 500</p>"),
            ("Shift_JIS", b"<p>Error 500</p>\x81", "<p>Error 500</p>\ufffd"),
        ],
        ids=["no-lead-euc-kr", "no-lead-big5", "no-lead-gbk", "lead-and-0x80", "lead-at-the-end"],
    )
    def test_a_bad_byte_is_one_error(self, charset, body, shown):
        # WHATWG Encoding: a byte no pair starts with is one error (0x80 is the euro sign in GB18030 only), the ASCII
        # after it read; a lead drops a non-ASCII second byte (0x80 too) with it; a lead ending the body is one error.
        result = judged(
            {"body_not_contains": ["Error"]}, body=body, headers={"Content-Type": f"text/html; charset={charset}"}
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == shown

    @pytest.mark.parametrize("charset", ["GBK", "GB2312", "x-gbk", "gb18030"])
    def test_a_gbk_page_is_read_as_gb18030(self, charset):
        # Browsers decode these labels with GB18030: CPython's gbk read its four-byte sequences and 0x80 (the euro
        # sign) as "\ufffd0\ufffd0" and "\ufffd", so body_contains of "\u20ac" failed a page that holds it.
        text = "\u9519\u8bef\U0001f525\u0080\u20acError 500"
        body = "\u9519\u8bef\U0001f525\u0080".encode("gb18030") + b"\x80Error 500"
        assert b"\x81\x30\x81\x30" in body
        result = judged(
            {"body_contains": ["\u20ac", "\U0001f525"], "body_not_contains": ["Error"]},
            body=body,
            headers={"Content-Type": f"text/html; charset={charset}"},
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == text

    def test_a_four_byte_sequence_past_the_last_code_point_is_one_error(self):
        # WHATWG's GB18030 decoder drops such a sequence whole; CPython's read its digits again ("\ufffd1\ufffd0").
        result = judged(
            {"body_not_contains": ["10"]},
            body=b"\x84\x31\xa5\x30Error",
            headers={"Content-Type": "text/html; charset=GBK"},
        )
        assert result.failures == []
        assert result.evidence["body"] == "\ufffdError"

    @pytest.mark.parametrize(
        "charset", ["us-ascii", "ISO-8859-1", "latin1", "iso88591", "x-cp1252", "windows-1252", "ansi_x3.4-1968"]
    )
    def test_ascii_and_latin1_pages_are_read_as_windows_1252(self, charset):
        # Browsers decode these labels as windows-1252; CPython's latin-1 read 0x80 as a C1 control (ascii as an
        # error, iso88591 and x-cp1252 as UTF-8), so body_contains of "\u20ac" failed a page that holds it.
        result = judged(
            {"body_contains": ["\u20ac 5", "\u201cok\u201d"]},
            body=b"\x80 5 \x93ok\x94",
            headers={"Content-Type": f"text/plain; charset={charset}"},
        )
        assert result.failures == []
        assert result.evidence["body"] == "\u20ac 5 \u201cok\u201d"

    @pytest.mark.parametrize("charset", ["ISO-8859-9", "latin5"])
    def test_latin5_pages_are_read_as_windows_1254(self, charset):
        # Browsers decode these labels as windows-1254, whose 0x80 is the euro sign (CPython's iso8859-9: a C1 control).
        result = judged(
            {"body_contains": ["\u20ac 5 \u011f"]},
            body=b"\x80 5 \xf0",
            headers={"Content-Type": f"text/plain; charset={charset}"},
        )
        assert result.failures == []

    # Where CPython's gb18030 and WHATWG's read a sequence apart (WHATWG Encoding's index gb18030, GB18030-2022;
    # cross-checked against Node's TextDecoder): CPython read them as private-use characters, or swapped.
    @pytest.mark.parametrize(
        ("sequence", "character"),
        [
            (b"\xa3\xa0", "\u3000"),
            (b"\xa6\xd9", "\ufe10"),
            (b"\xa6\xda", "\ufe12"),
            (b"\xa6\xdb", "\ufe11"),
            (b"\xa6\xdc", "\ufe13"),
            (b"\xa6\xdf", "\ufe16"),
            (b"\xa6\xec", "\ufe17"),
            (b"\xa6\xed", "\ufe18"),
            (b"\xa6\xf3", "\ufe19"),
            (b"\xa8\xbc", "\u1e3f"),
            (b"\x81\x35\xf4\x37", "\ue7c7"),
            (b"\xfe\x59", "\u9fb4"),
            (b"\xfe\x61", "\u9fb5"),
            (b"\xfe\x66", "\u9fb6"),
            (b"\xfe\x67", "\u9fb7"),
            (b"\xfe\x6d", "\u9fb8"),
            (b"\xfe\x7e", "\u9fb9"),
            (b"\xfe\x90", "\u9fba"),
            (b"\xfe\xa0", "\u9fbb"),
        ],
    )
    def test_gb18030_sequences_read_as_browsers_read_them(self, sequence, character):
        # body_not_contains of the character a browser shows passed the page (CPython read U+E7C7 for 0xA8BC's
        # "\u1e3f", a private-use character for each vertical form).
        result = judged(
            {"body_not_contains": [f"x{character}y"]},
            body=b"x" + sequence + b"y",
            headers={"Content-Type": "text/html; charset=GBK"},
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]
        assert result.evidence["body"] == f"x{character}y"

    @pytest.mark.parametrize(("charset", "codec"), [("utf-8", "utf-8"), ("utf-16le", "utf-16-le")])
    def test_the_gb18030_table_leaves_other_charsets_alone(self, charset, codec):
        # Applied to any text, it would turn a UTF-8 page's "\u1e3f" into a private-use character; no test saw it.
        text = "\u1e3f \ue7c7 \ue5e5 \ue78d"
        result = judged(
            {"body_contains": [text]},
            body=text.encode(codec),
            headers={"Content-Type": f"text/plain; charset={charset}"},
        )
        assert result.failures == []

    @pytest.mark.parametrize(
        ("charset", "undefined"),
        [
            ("windows-1252", b"\x81\x8d\x8f\x90\x9d"),
            ("ISO-8859-1", b"\x81\x8d\x8f\x90\x9d"),
            ("windows-1250", b"\x81\x83\x88\x90\x98"),
            ("windows-1251", b"\x98"),
            ("ISO-8859-9", b"\x81\x8d\x8e\x8f\x90\x9d\x9e"),
            ("windows-1255", b"\x81\x8a\x8c\x9f"),
            ("windows-874", b"\x81\x86\x90\x98\x9f"),
        ],
    )
    def test_bytes_a_windows_table_leaves_out_are_c1_controls(self, charset, undefined):
        # Browsers read them as the C1 control of that number; CPython as U+FFFD, so a mojibake guard,
        # body_not_contains of "\ufffd", failed a page a browser shows without one.
        result = judged(
            {"body_not_contains": ["\ufffd"], "body_contains": [undefined.decode("latin-1")]},
            # Text after them too: each is replaced alone, the text after it read once.
            body=b"ok " + undefined + b" ok",
            headers={"Content-Type": f"text/plain; charset={charset}"},
        )
        assert result.failures == []

    @pytest.mark.parametrize(
        ("charset", "undefined"),
        # ISO-8859-3's is replaced by Python's own handler; the windows tables' by ours, which read every byte they
        # leave out as its C1 control (0xD2 as "Ò") and no test saw it.
        [("iso-8859-3", b"\xa5"), ("windows-1253", b"\xd2"), ("windows-1255", b"\xd9"), ("windows-1257", b"\xa1")],
    )
    def test_a_byte_no_table_defines_is_still_replaced(self, charset, undefined):
        result = judged(
            {"body_not_contains": ["\ufffd"]},
            body=b"ok " + undefined,
            headers={"Content-Type": f"text/plain; charset={charset}"},
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]


class TestJudgeCharsetLabels:
    """A charset label is looked up in WHATWG Encoding's label table, as browsers look it up."""

    def test_x_user_defined_reads_bytes_past_ascii_as_private_use_characters(self):
        # Read as UTF-8 (Python has no such codec), "\xe9" was one U+FFFD; browsers read U+F7E9.
        result = judged({}, body=b"Fehler \xe9", headers={"Content-Type": "text/plain; charset=x-user-defined"})
        assert result.evidence["body"] == "Fehler \uf7e9"

    @pytest.mark.parametrize("label", ["unicode11utf8", "x-unicode20utf8"])
    def test_a_meta_with_a_utf8_label_python_does_not_know_stops_the_prescan(self, label):
        # Passed over, the next meta's Shift_JIS read the UTF-8 error page, which then passed body_not_contains.
        error = "\u30a8\u30e9\u30fc"
        page = f'<meta charset="{label}"><meta charset="shift_jis"><title>{error}</title>'.encode()
        result = judged({"body_not_contains": [error]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in result.failures] == ["body_not_contains"]

    def test_a_utf16_label_browsers_know_is_read_as_utf16(self):
        # `ucs-2` is UTF-16LE to browsers; Python has no such codec, and the page was read as UTF-8.
        body = "Error 500".encode("utf-16-le")
        result = judged(
            {"body_not_contains": ["Error"]}, body=body, headers={"Content-Type": "text/plain; charset=ucs-2"}
        )
        assert [f.assertion for f in result.failures] == ["body_not_contains"]


class TestJudgeMetaContentThatIsACharset:
    """A Content-Type pragma whose content is only `charset=...` names that charset (WHATWG HTML's search for
    "charset" starts at the content's first character)."""

    ERROR = "\u30a8\u30e9\u30fc"

    def test_a_page_in_it_fails_body_not_contains(self):
        # Searched for from the second character, the charset went unread: the Shift_JIS error page, read as UTF-8,
        # passed body_not_contains.
        meta = '<meta http-equiv="Content-Type" content="charset=Shift_JIS">'
        page = f"<html><head>{meta}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]


class TestJudgeMetaContentWithMoreAfterTheCharset:
    """A pragma's charset label ends at the first space or `;` after it: what follows is not the label."""

    ERROR = "\u30a8\u30e9\u30fc"

    @pytest.mark.parametrize("content", ["text/html; charset=Shift_JIS;", "text/html; charset=Shift_JIS; level=1"])
    def test_a_page_in_it_fails_body_not_contains(self, content):
        # Read as the text after that `;` ("" or "level=1", no codec), the Shift_JIS error page passed.
        meta = f'<meta http-equiv="Content-Type" content="{content}">'
        page = f"<html><head>{meta}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]


# mut28: each attribute form as HTML's tokenizer reads it, before a meta that declares Shift_JIS (each read otherwise
# survived: the Shift_JIS error page then read in another charset PASSED body_not_contains). Also loaded in real
# chromium by tests/integration/test_http_smoke_charsets_browser.py.
META_HEADS_DECLARING = [
    # Spaces around `=`:
    '<meta charset = "Shift_JIS">',
    '<meta charset ="Shift_JIS">',
    "<meta charset= Shift_JIS>",
    # An attribute of no value ends at `>`, or at a space with no `=` after it, an empty one at `>`; one of a
    # NUL byte goes on; a `>` in a quoted value ends no tag.
    '<link crossorigin><meta charset="Shift_JIS">',
    '<link crossorigin href=x><meta charset="Shift_JIS">',
    '<meta itemprop charset="Shift_JIS">',
    '<link title=><meta charset="Shift_JIS">',
    '<link title=\x00x><meta charset="Shift_JIS">',
    '<link x\x00><meta charset="Shift_JIS">',
    '<link x \x00y><meta charset="Shift_JIS">',
    '<meta content="a>" charset="Shift_JIS">',
    '<meta content="a"charset="Shift_JIS">',
]
# Metas of those forms that name no charset (mut28).
META_HEADS_NAMING_NOTHING = [
    # A label with a NUL byte in it is no label (the tokenizer reads U+FFFD there): this UTF-8 error
    # page read as Shift_JIS passed. A meta whose quote never closes never ends: what it names is not read.
    "<meta charset=Shift_JIS\x00>",
    '<meta charset=Shift_JIS title="x>',
    # A `=` before a name starts the name, and `>` ends it and the tag (the charset is past the meta).
    '<meta =">" charset="Shift_JIS">',
]


class TestJudgeMetaCharsets:
    """An HTML page whose Content-Type names no charset is read in the one its `<meta>` names, as browsers read it."""

    ERROR = "\u30a8\u30e9\u30fc"

    @pytest.mark.parametrize(
        "meta",
        [
            '<meta charset="Shift_JIS">',
            "<META CHARSET=shift_jis>",
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
        ],
    )
    def test_a_page_in_its_meta_charset_fails_body_not_contains(self, meta):
        page = f"<html><head>{meta}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        ("content_type", "before"),
        [
            # The header's charset wins over the meta; a JSON body is not HTML; a meta past the prescan's bytes in the
            # body (Chrome reads on in the head alone: see TestJudgeLateMetaCharsets) is not seen.
            ("text/html; charset=utf-8", ""),
            ("application/json", ""),
            ("text/html", "<body>" + " " * 2000),
        ],
    )
    def test_where_browsers_do_not_read_the_meta(self, content_type, before):
        page = (before + f'<meta charset="Shift_JIS">{self.ERROR}').encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": content_type})
        assert failures.failures == []

    @pytest.mark.parametrize(
        "head",
        [
            # In the prescan's bytes too, a meta in the text of a script, title, style or textarea names nothing: Chrome
            # reads them with its tokenizer (each as Debian's chromium read it). WHATWG's byte prescan read this UTF-8
            # error page as Shift_JIS, and it passed body_not_contains.
            "<script>document.write('<meta charset=shift_jis>')</script>",
            "<title>&lt;x <meta charset=shift_jis></title>",
            "<style>/* <meta charset=shift_jis> */</style>",
            "</head><body><textarea><meta charset=shift_jis></textarea>",
            # Past a `<plaintext>` the whole page is its text: no end tag ends it (the meta was read).
            "</head><body><plaintext><meta charset=shift_jis>",
            "</head><body><PLAINTEXT class=x></plaintext><meta charset=shift_jis>",
        ],
    )
    def test_a_meta_in_the_text_of_a_script_names_nothing(self, head):
        page = f"<html><head>{head}</head><body>{self.ERROR} 500</body></html>".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize("head", META_HEADS_DECLARING)
    def test_a_meta_after_attributes_of_every_form_declares_it(self, head):
        page = f"<html><head>{head}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize("head", META_HEADS_NAMING_NOTHING)
    def test_a_meta_of_no_label_names_nothing(self, head):
        page = f"<html><head>{head}</head><body>{self.ERROR} 500</body></html>".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    def test_a_meta_after_a_doctype_declares_it(self):
        # The page as most are written: a doctype (a tag of no name, skipped up to its `>`) first.
        page = f'<!DOCTYPE html><html><head><meta charset="Shift_JIS"><title>{self.ERROR}</title>'.encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    def test_a_utf16_meta_means_utf8(self):
        page = f'<meta charset="utf-16">{self.ERROR}'.encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        "head",
        [
            # A charset in the content of a meta that is no Content-Type pragma, or in a meta commented out, names
            # nothing: browsers read on (as UTF-8 here). Read as windows-1252, the UTF-8 error page passed.
            '<meta name="description" content="Shop pages, charset=iso-8859-1 legacy exports">',
            '<meta http-equiv="refresh" content="0; url=/shop?charset=latin1">',
            '<!-- <meta charset="iso-8859-1"> -->',
            '<!-- a comment never closed <meta charset="iso-8859-1">',
            '<meta content="charset=iso-8859-1">',
            # A charset attribute beats the pragma's content whatever their order (WHATWG: content counts only while
            # no charset is named).
            '<meta charset="utf-8" http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
            # A later charset attribute wins, an empty one too, over an earlier one and over the pragma (as chromium).
            '<meta charset="Shift_JIS" charset="utf-8">',
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" charset="">',
            '<meta charset="" http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
        ],
    )
    def test_a_charset_no_meta_declares_is_not_read(self, head):
        page = f"<html><head>{head}<title>{self.ERROR} 500</title></head></html>".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        "head",
        [
            # The pragma's attributes in any order, quoted or not; the first meta that declares one wins.
            '<meta content="text/html; charset=Shift_JIS" http-equiv="Content-Type">',
            "<meta http-equiv=content-type content='text/html;charset=\"shift_jis\"'>",
            '<meta name="viewport" content="width=device-width"><meta charset=Shift_JIS><meta charset="utf-8">',
            '<meta/charset="Shift_JIS">',
            # Chrome reads every attribute of a meta, a name's last charset too (as Debian's chromium read each): read
            # by the first of a name, these Shift_JIS error pages were UTF-8 and passed body_not_contains.
            '<meta charset="utf-8" charset="Shift_JIS">',
            '<meta charset="" charset="Shift_JIS">',
            '<meta http-equiv="Content-Type" content="text/html" content="text/html; charset=Shift_JIS">',
            '<meta http-equiv="Content-Type" content="charset=x-no" content="text/html; charset=Shift_JIS">',
            '<meta http-equiv="refresh" http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
            # A comment browsers end at once, then a meta; a label no charset has is passed over.
            '<!--><meta charset="Shift_JIS">',
            '<meta charset="shift\x00jis"><meta charset="Shift_JIS">',
            # A `<` in text that starts no tag, and a processing instruction, end nothing: the meta after is read.
            "1 < 2 <meta charset=Shift_JIS>",
            "1 <<meta charset=Shift_JIS>",
            '<?xml version="1.0"?><meta charset=Shift_JIS>',
            # Chrome's tokenizer decodes character references in attribute values, the meta's too (each as Debian's
            # chromium read it): read as no label, this Shift_JIS error page was UTF-8 and passed body_not_contains.
            # An end tag `</plaintext>` alone starts no text (as chromium).
            "</plaintext><meta charset=Shift_JIS>",
            "<meta charset='shift&#95;jis'>",
            "<meta charset=&#x53;hift_JIS>",
            "<meta charset=shift&UnderBar;jis>",
            "<meta http-equiv=content-type content='text/html;charset&equals;shift_jis'>",
            '<meta http-equiv="Content&#45;Type" content="text/html; charset=Shift_JIS">',
        ],
    )
    def test_the_meta_browsers_read_declares_it(self, head):
        page = f"<html><head>{head}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]


class TestJudgeLateMetaCharsets:
    """Past the prescan's 1024 bytes a `<meta>` still names the charset while the page is in its head, as Chrome reads
    it (each case as Debian's chromium read it: document.characterSet); not one in the body past them, nor one inside a
    comment or the text of a title, script or style."""

    ERROR = "\u30a8\u30e9\u30fc"
    # A long comment, script, style or title before the meta: what pushes a legacy page's meta past byte 1024.
    PAD = "<!-- " + "x" * 1100 + " -->"

    @pytest.mark.parametrize(
        "head",
        [
            PAD + '<meta charset="Shift_JIS">',
            "<script>var pad = '" + "x" * 1100 + "';</script><meta charset=Shift_JIS>",
            "<style>" + "p{}" * 400 + "</style><meta http-equiv=Content-Type content='text/html; charset=Shift_JIS'>",
            # Other tags of a head, text, and a noscript's markup keep the page in its head.
            PAD + '<link rel=icon href=/i><object></object><base href=/><meta charset="Shift_JIS">',
            PAD + "hello<meta charset=Shift_JIS>",
            PAD + "<noscript><meta charset=Shift_JIS></noscript>",
            "<link rel=x href='" + "x" * 1100 + "'><meta charset=Shift_JIS>",
            # A comment Chrome's tokenizer ends at `--!>` (no `-->` after it): its meta was passed over.
            "<!-- " + "x" * 1100 + " --!><meta charset=Shift_JIS>",
            # A script's `<!--` hides no end tag, nor does a `<script>` in it once a `-->` closes it.
            PAD + "<script><!-- document.write(1) </script><meta charset=Shift_JIS>",
            PAD + "<script><!-- document.write('<script src=x>') --></script><meta charset=Shift_JIS>",
            PAD + "<script><!-- x <!--> '<script>' </script><meta charset=Shift_JIS>",
            # A `<!-->` in a script's double escape ends every escape, and a `</script>` then ends the script; a second
            # `</script>` after the one that ends the double escape ends it too (each as chromium read it).
            PAD + "<script><!--<script><!--></script><meta charset=Shift_JIS>",
            PAD + "<script><!--<script></script></script><meta charset=Shift_JIS>",
            # In the prescan's bytes after a comment ended by `--!>`, which the prescan does not end: the head has
            # ended, but Chrome reads on to byte 1024.
            "</head><body><!-- x --!><meta charset=Shift_JIS>" + PAD,
            # A head of more than 64 KiB (an inlined script): Chrome still reads the meta after it (4 MB, seen).
            "<script>var pad = '" + "x" * 70_000 + "';</script><meta charset=Shift_JIS>",
        ],
    )
    def test_a_late_meta_in_the_head_declares_it(self, head):
        # A Shift_JIS error page whose meta stood at byte 1100: browsers show エラー, and it passed as UTF-8 here.
        page = f"<html><head>{head}<title>t</title></head><body>{self.ERROR}</body></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        "page",
        [
            # Past the prescan's bytes, once the head has ended: a body, a tag of no head, its end tag.
            "<html><head><title>t</title></head><body>" + PAD + "<meta charset=shift_jis>",
            "<html><head><div></div>" + PAD + "<meta charset=shift_jis>",
            "<html><head>" + PAD + "<template></template><meta charset=shift_jis>",
            "<html><head>" + PAD + "<title>t</title></head><meta charset=shift_jis>",
            # Inside a comment, or the text of a title, script or style: no meta.
            "<html><head>" + PAD + "<title>&lt;x <meta charset=shift_jis></title>",
            "<html><head>" + PAD + "<script>var s = '<meta charset=shift_jis>'</script>",
            # A `<script>` written inside a script's `<!--`: its `</script>` ends that one, not the script (the
            # tokenizer's double-escaped state), so the meta after it is still script text.
            "<html><head>" + PAD + "<script><!--document.write('<script></script><meta charset=shift_jis>')-->",
            # A `<!--` in the double escape changes nothing: its `</script>` ends the double escape alone.
            "<html><head>" + PAD + "<script><!--<script><!--</script><meta charset=shift_jis>--></script>",
            "<html><head>" + PAD + "<STYLE>/* <meta charset=shift_jis> */</style >",
            "<html><head>" + PAD + "<!-- <meta charset=shift_jis> -->",
            "<html><head>" + PAD + "<!-- a > b <meta charset=shift_jis> -->",
            # A page that ends inside a tag or a comment, and a label no charset has.
            "<html><head>" + PAD + "<link href='<meta charset=shift_jis>",
            "<html><head>" + PAD + "<!-- <meta charset=shift_jis>",
            "<html><head>" + PAD + "<meta charset=no-such-charset>",
            # An end tag is no meta, whatever attributes it holds.
            "<html><head>" + PAD + "</meta charset=shift_jis>",
            "<html><head></meta charset=shift_jis>",
        ],
    )
    def test_a_meta_chrome_does_not_read_names_nothing(self, page):
        # A UTF-8 error page read as Shift_JIS would hold no エラー.
        body = f"{page}{self.ERROR}".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=body, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize("text", ["", "y"])
    @pytest.mark.parametrize(("at", "read"), [(1023, True), (1024, False)])
    def test_once_the_head_has_ended_a_meta_is_read_up_to_byte_1024(self, at, read, text):
        # Each as chromium read it: the meta's `<` at byte 1023 names the charset, at byte 1024 nothing, a comment or
        # text before it.
        before = "<html><head><title>t</title></head><body><!-- "
        page = f"{before}{'x' * (at - len(before) - 4 - len(text))} -->{text}<meta charset=shift_jis>{self.ERROR}"
        page = page.encode()
        assert page.index(b"<meta") == at
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        # Read as Shift_JIS, the UTF-8 page holds no エラー.
        assert (failures.failures == []) is read

    def test_a_head_tag_after_the_head_has_ended_does_not_reopen_it(self):
        page = f"<html><head><title>t</title></head><body><link>{self.PAD}<meta charset=shift_jis>{self.ERROR}"
        failures = judged(
            {"body_not_contains": [self.ERROR]}, body=page.encode(), headers={"Content-Type": "text/html"}
        )
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    def test_a_head_of_more_tags_than_are_read_names_nothing(self):
        # Bounded work for a page of a million tags (about a second each judged answer, read whole).
        # `<html>`, `<head>` and 8190 links: the meta is the 8193rd tag.
        page = f"<html><head>{'<link>' * 8190}<meta charset=shift_jis></head><body>{self.ERROR}".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    def test_the_last_tag_read_names_it(self):
        page = f"<html><head>{'<link>' * 8189}<meta charset=shift_jis></head><body>{self.ERROR}".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    def test_a_late_utf16_meta_means_utf8(self):
        page = f"<html><head>{self.PAD}<meta charset=utf-16></head><body>{self.ERROR}".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]


class TestJudgeMetaPrescanSkipsOtherTags:
    """The meta prescan reads past every other tag whole, its attributes too (WHATWG HTML's prescan): a `<meta` quoted
    in an attribute is text, not a meta."""

    ERROR = "\u30a8\u30e9\u30fc"

    @pytest.mark.parametrize(
        "head",
        [
            # A UTF-8 error page read as Shift_JIS holds no エラー: body_not_contains passed it.
            '<img alt="<meta charset=shift_jis>">',
            "<a title='x <meta charset=\"shift_jis\">' href=/>",
            '<div data-x=1 data-y="<meta charset=shift_jis>">',
            '</p class="<meta charset=shift_jis>">',
            '<!DOCTYPE html "<meta charset=shift_jis>">',
            '<?xml version="1.0" <meta charset=shift_jis>?>',
            # `</` and no letter: a bogus comment up to the first `>`, the meta inside it too.
            "</ <meta charset=shift_jis>",
            # An attribute value that runs to the end of the scanned bytes aborts the prescan: no charset.
            '<img alt="<meta charset=shift_jis>' + " " * 1100 + '">',
        ],
    )
    def test_a_meta_inside_another_tag_names_no_charset(self, head):
        page = f"<html><head>{head}<title>{self.ERROR} 500</title></head></html>".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        "head",
        [
            # The real meta after a tag that quotes another is read; a `>` quoted in an attribute ends nothing.
            '<img alt="<meta charset=utf-8>"><meta charset="Shift_JIS">',
            '<link title="a > b" href=/x><meta charset=Shift_JIS>',
            "<body a='<meta charset=utf-8>'><meta http-equiv=Content-Type content=\"text/html; charset=Shift_JIS\">",
            # A charset label the prescan cannot name is passed over, and the next meta read.
            '<meta charset="no-such-charset"><meta charset="Shift_JIS">',
            # Spaces around a label are none of it (WHATWG Encoding's "get an encoding").
            '<meta charset=" Shift_JIS ">',
            "<meta http-equiv=Content-Type content='text/html; charset = Shift_JIS'>",
        ],
    )
    def test_the_meta_after_another_tag_is_read(self, head):
        page = f"<html><head>{head}<title>{self.ERROR} 500</title></head></html>".encode("cp932")
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]

    @pytest.mark.parametrize(
        "tail",
        [
            "<img",
            "<img a",
            "<img a ",
            "<img a=",
            "<img a= ",
            "<img a=b",
            "<img a='b",
            "<meta",
            "<meta charset",
            "<meta charset=shift_jis",
            '<meta charset="shift_jis',
            "<!--",
            "<!x",
            "</",
            "<img/",
        ],
    )
    def test_a_tag_the_bytes_end_inside_names_no_charset(self, tail):
        # The prescan ends there (WHATWG: abort): the page is read as UTF-8, never a crash of the judge.
        page = f"<p>{self.ERROR}</p>{tail}".encode()
        failures = judged({"body_not_contains": [self.ERROR]}, body=page, headers={"Content-Type": "text/html"})
        assert [f.assertion for f in failures.failures] == ["body_not_contains"]


class TestJudgeCaptureValues:
    """A captured value is 1 to 1,024 characters with no control characters; spaces are fine."""

    @pytest.mark.parametrize(
        ("value", "usable"),
        [("a b", True), ("x" * 1024, True), ("x" * 1025, False), ("a\x1fb", False), ("a\x7fb", False), ("..", False)],
    )
    def test_value(self, value, usable):
        body = json.dumps({"v": value}).encode()
        result = judged({}, body=body, step={"capture": {"v": {"json": "$.v", "secret": False}}})
        assert (result.captured == {"v": value}) is usable
        assert (result.failures == []) is usable

    @pytest.mark.parametrize("value", [".", ".."])
    def test_a_dot_segment_is_nothing_captured(self, value):
        # /orders/{{ id }}/cancel with id ".." would resolve to /cancel, another resource that may answer 200.
        body = json.dumps({"v": value}).encode()
        result = judged({}, body=body, step={"capture": {"v": {"json": "$.v", "secret": False}}})
        assert result.captured == {}
        assert [str(f) for f in result.failures] == [
            "capture v (json $.v): expected a string or number, got a dot segment ('.' or '..'), which a URL path "
            "would resolve away"
        ]

    @pytest.mark.parametrize("capture", [{"json": "$.v"}, {"header": "X-Id"}])
    def test_an_empty_value_is_nothing_captured(self, capture):
        # {"id": ""} read into /orders/{{ id }} would ask for /orders/, the listing, which answers 200.
        body = json.dumps({"v": ""}).encode()
        result = judged({}, body=body, headers={"X-Id": ""}, step={"capture": {"v": {**capture, "secret": False}}})
        assert result.captured == {}
        assert [str(f) for f in result.failures] == [
            f"capture v ({'json $.v' if 'json' in capture else 'header X-Id'}): expected a string or number, "
            "got an empty string"
        ]

    @pytest.mark.parametrize(
        ("value", "kind"),
        [
            (None, "null"),
            (True, "a boolean"),
            ([1, 2], "a list of 2 items"),
            ([1], "a list of 1 item"),
            ({"a": 1, "b": 2}, "an object with 2 keys"),
            ({"a": 1}, "an object with 1 key"),
        ],
    )
    def test_a_value_that_is_no_string_or_number_is_named_by_its_kind(self, value, kind):
        body = json.dumps({"v": value}).encode()
        result = judged({}, body=body, step={"capture": {"v": {"json": "$.v", "secret": False}}})
        assert result.captured == {}
        assert [str(f) for f in result.failures] == [f"capture v (json $.v): expected a string or number, got {kind}"]


class TestJudgeJsonCompare:
    """A JSON integer, or a whole number below 2**53 in a float, compares exactly with the bound as written (no
    tolerance); a fraction as pass_if."""

    @pytest.mark.parametrize(
        ("compare", "number", "passes"),
        [
            # Within pass_if's tolerance of 1e-9 (relative), 1000000001 was 1000000000: a queue over its limit passed.
            ("<= 1000000000", 1000000001, False),
            ("> 1000000000", 1000000001, True),
            ("== 1700000000000", 1700000000001, False),
            ("!= 1700000000000", 1700000000001, True),
            # 2**53 + 1 reads as 2**53 as a float.
            ("<= 9007199254740992", 9007199254740993, False),
            ("== 9007199254740993", 9007199254740992, False),
            ("== 9007199254740993", 9007199254740993, True),
            ("between 1 and 9007199254740992", 9007199254740993, False),
            ("outside 1 and 9007199254740992", 9007199254740993, True),
            ("> 0.5", 1, True),
            ("< 1e3", 999, True),
            ("< 1e3", 1000, False),
            # The largest float and one more: compared as integers, both are above 0.
            ("> 0", int(sys.float_info.max), True),
            ("> 0", int(sys.float_info.max) + 1, True),
        ],
    )
    def test_an_integer_compares_exactly(self, compare, number, passes):
        body = b'{"n": %d}' % number
        failures = judged({"json": [{"path": "$.n", "compare": compare}]}, body=body).failures
        assert [f.assertion for f in failures] == ([] if passes else ["json $.n compare"])

    def test_a_failure_shows_the_bound_as_written(self):
        body = b'{"n": 9007199254740992}'
        failures = judged({"json": [{"path": "$.n", "compare": "== 9007199254740993"}]}, body=body).failures
        assert [str(f) for f in failures] == ["json $.n compare: expected == 9007199254740993, got 9007199254740992"]

    @pytest.mark.parametrize(
        ("compare", "number", "passes"),
        [
            # A count a server keeps in a float: Python's json.dumps writes 1000000001.0, Java's Double.toString (a
            # Spring Boot Actuator measurement, Micrometer's values are doubles) 1.000000001E9. Within pass_if's
            # tolerance they passed, though the same count written 1000000001 failed.
            ("<= 1000000000", "1000000001.0", False),
            ("<= 1000000000", "1.000000001E9", False),
            ("== 1700000000000", "1.700000000001E12", False),
            # Spring Boot's own example of a metric: jvm.memory.max in bytes.
            ("<= 2399141884", "2.399141885E9", False),
            ("between 0 and 1073741824", "1.073741825E9", False),
            ("!= 1000000000", "1000000001.0", True),
            ("<= 1000000000", "1000000000.0", True),
            ("<= 1000000000", "1e9", True),
            ("== 0", "-0.0", True),
            ("> 0.5", "1.0", True),
            # Past 2**53 the float may be the rounding of what was written (9007199254740992 here): pass_if's tolerance.
            ("== 9007199254740993", "9007199254740993.0", True),
        ],
    )
    def test_a_whole_number_written_as_a_float_compares_exactly(self, compare, number, passes):
        body = b'{"n": %s}' % number.encode()
        failures = judged({"json": [{"path": "$.n", "compare": compare}]}, body=body).failures
        assert [f.assertion for f in failures] == ([] if passes else ["json $.n compare"])

    def test_a_failure_shows_a_whole_float_as_read(self):
        body = b'{"n": 2.399141885E9}'
        failures = judged({"json": [{"path": "$.n", "compare": "<= 2399141884"}]}, body=body).failures
        assert [str(f) for f in failures] == ["json $.n compare: expected <= 2399141884, got 2399141885.0"]

    def test_a_fraction_keeps_the_tolerance_of_pass_if(self):
        # A server's own float arithmetic: 0.1 + 0.2 written out is 0.30000000000000004.
        body = b'{"ratio": 0.30000000000000004}'
        assert judged({"json": [{"path": "$.ratio", "compare": "<= 0.3"}]}, body=body).failures == []

    @pytest.mark.parametrize(
        ("rule", "passes"),
        [
            # More digits than a float holds: read as the float 0.1, as every float64 JSON parser reads it (a browser's
            # JSON.parse too). Its excess, 1e-19 relative, is far inside pass_if's tolerance (1e-9), within which a
            # value counts as equal to its bound however exactly it is read: `> 0.1` fails, `>= 0.1` passes.
            ({"equals": 0.1}, True),
            ({"compare": "== 0.1"}, True),
            ({"compare": "> 0.1"}, False),
            ({"compare": ">= 0.1"}, True),
            ({"compare": "!= 0.1"}, False),
        ],
    )
    def test_a_fraction_with_more_digits_than_a_float_reads_as_the_float(self, rule, passes):
        body = b'{"price": 0.10000000000000000001}'
        failures = judged({"json": [{"path": "$.price", **rule}]}, body=body).failures
        assert (not failures) == passes, failures

    @pytest.mark.parametrize(
        ("compare", "number", "passes"),
        [
            # Before: within 1e-12 (absolute) of the bound, 9e-13 was equal to 1e-13 and passed.
            ("<= 1e-13", "9e-13", False),
            ("<= 1e-13", "1e-13", True),
            # A bound of 0 forgives the rounding beside it.
            ("== 0", "4e-13", True),
            ("> 0", "1.1102230246251565e-16", False),
        ],
    )
    def test_a_fraction_near_zero_against_a_small_bound(self, compare, number, passes):
        body = b'{"ratio": %s}' % number.encode()
        failures = judged({"json": [{"path": "$.ratio", "compare": compare}]}, body=body).failures
        assert [f.assertion for f in failures] == ([] if passes else ["json $.ratio compare"])

    @pytest.mark.parametrize("compare", ["> 0", "< 0", "!= 0"])
    def test_a_fraction_past_the_largest_float_passes_no_compare(self, compare):
        # 1e400 reads as infinity, which no condition accepts: an error page's overflow never passes a bound.
        body = b'{"n": 1e400}' if compare != "< 0" else b'{"n": -1e400}'
        failures = judged({"json": [{"path": "$.n", "compare": compare}]}, body=body).failures
        assert [f.assertion for f in failures] == ["json $.n compare"]


class TestScrubbingShortSecrets:
    """A secret of 8 characters or more is redacted inside longer text; a shorter one only where it stands apart."""

    @pytest.mark.parametrize(
        ("secret", "text", "shown"),
        [
            ("abcd1234", "xabcd1234y", "x<redacted>y"),
            ("abc1234", "xabc1234y", "xabc1234y"),
            ("abc1234", "key abc1234 end", "key <redacted> end"),
        ],
    )
    def test_scrub(self, secret, text, shown):
        assert _scrubber([secret])(text) == shown


class TestJudgeSecretCaptureLeaves:
    """A secret capture's unusable object is scrubbed leaf by leaf up to 256 leaves; past that the body is withheld."""

    @pytest.mark.parametrize(("leaves", "withheld"), [(256, False), (257, True)])
    def test_the_body_is_withheld_only_past_the_limit(self, leaves, withheld):
        body = json.dumps({"auth": {f"k{n}": f"leaf-{n:04d}" for n in range(leaves)}}).encode()
        result = judged({}, body=body, step={"capture": {"v": {"json": "$.auth"}}})
        assert result.evidence["body"].startswith("<redacted: a secret capture found") is withheld
        assert len(result.secrets) == 256


def summarized(latencies_ms: list[float], failed: int = 0, problems: list[CheckError] = (), **step: Any):
    """The judged step of repeated requests answered in `latencies_ms`, the first `failed` of them failing, and
    of requests that got no answer, one per problem."""
    attempts = [
        _Attempt(
            status=200,
            latency_ms=latency,
            kept_as="first" if index == 0 else None,
            evidence={} if index == 0 else None,
            failures=[Failure("status", "200", "500")] if index < failed else [],
        )
        for index, latency in enumerate(latencies_ms)
    ] + [_Attempt(problem=problem) for problem in problems]
    return _summarize(Step.model_validate({"name": "s", "repeat": len(attempts), **step}), {}, attempts)


class TestRepeatedJudging:
    """Repeated requests pass on their success ratio and their latency percentiles, each bound included."""

    @pytest.mark.parametrize(
        ("problem", "passes"),
        [
            (TargetTimeout("step 's' (1/1): no complete answer within timeout_s 1"), False),
            (TargetConnectFailed("step 's' (1/1): cannot connect to app.shop.svc:80: Connection refused"), True),
        ],
    )
    def test_a_request_that_timed_out_counts_in_the_percentiles_at_its_timeout(self, problem, passes):
        # 18 answers in 10 ms and 2 requests that got none: the p95 of what users waited is at least timeout_s.
        result = summarized([10.0] * 18, min_success_ratio=0.9, max_p95_ms=100, timeout_s=1, problems=[problem] * 2)
        assert (result.outcome is Outcome.PASS) is passes, result.failures
        if not passes:
            assert [str(f) for f in result.failures] == [
                "max_p95_ms: expected <= 100 ms, got 1000 ms (over 20 requests: 18 responses, 2 timeouts counted "
                "at timeout_s)"
            ]

    @pytest.mark.parametrize(
        ("latency_ms", "bound", "passes"),
        [
            (50.0, "max_p95_ms", True),
            (100.0, "max_p95_ms", True),
            (150.0, "max_p95_ms", False),
            (50.0, "max_p99_ms", True),
            (100.0, "max_p99_ms", True),
            (150.0, "max_p99_ms", False),
        ],
    )
    def test_latency_percentiles(self, latency_ms, bound, passes):
        result = summarized([latency_ms] * 20, **{bound: 100})
        assert (result.outcome is Outcome.PASS) is passes
        assert [f.assertion for f in result.failures] == ([] if passes else [bound])
        assert result.evidence["outcome"] == result.outcome.value

    @pytest.mark.parametrize(
        ("latency_ms", "step", "failure"),
        [
            # To 6 digits: "expected <= 100 ms, got 100 ms".
            ([100.0000001] * 20, {"max_p95_ms": 100}, "max_p95_ms: expected <= 100 ms, got 100.0000001 ms"),
            ([100.0] * 20, {"max_p99_ms": 99.9999999}, "max_p99_ms: expected <= 99.9999999 ms, got 100 ms"),
        ],
    )
    def test_a_percentile_never_reads_as_its_bound(self, latency_ms, step, failure):
        result = summarized(latency_ms, **step)
        assert [str(f) for f in result.failures] == [f"{failure} (over 20 responses)"]

    def test_a_success_ratio_never_reads_as_its_bound(self):
        # 19 of 20 is 0.95, under 0.95000001: to 6 digits, "expected >= 0.95, got 0.95".
        result = summarized([10.0] * 20, failed=1, min_success_ratio=0.95000001)
        assert str(result.failures[0]).startswith("min_success_ratio: expected >= 0.95000001, got 0.95 (19 of 20")

    def test_a_slow_step_with_no_timeout_counts_its_responses(self):
        # Refused requests have no latency: the percentiles are over the answers alone, and say so.
        problem = TargetConnectFailed("step 's' (1/1): cannot connect to app.shop.svc:80: Connection refused")
        result = summarized([150.0] * 19, min_success_ratio=0.9, max_p95_ms=100, problems=[problem])
        assert [str(f) for f in result.failures] == ["max_p95_ms: expected <= 100 ms, got 150 ms (over 19 responses)"]

    def test_a_refused_request_is_a_transport_error_not_a_body_over_the_cap_nor_a_retry(self):
        problem = TargetConnectFailed("step 's' (2/2): cannot connect to app.shop.svc:80: Connection refused")
        attempts = [_Attempt(status=200, latency_ms=10.0, kept_as="first", evidence={}), _Attempt(problem=problem)]
        result = _summarize(Step.model_validate({"name": "s", "repeat": 2}), {}, attempts)
        repeat = result.evidence["repeat"]
        assert (repeat["transport_errors"], repeat["bodies_over_cap"], repeat["connect_retries"]) == (1, 0, 0)

    def test_one_timed_out_request_is_named_in_the_singular(self):
        problem = TargetTimeout("step 's' (1/1): no complete answer within timeout_s 1")
        result = summarized([10.0] * 19, min_success_ratio=0.9, max_p99_ms=100, timeout_s=1, problems=[problem])
        assert [str(f) for f in result.failures] == [
            "max_p99_ms: expected <= 100 ms, got 811.9 ms (over 20 requests: 19 responses, 1 timeout counted at "
            "timeout_s)"
        ]

    def test_the_step_shows_its_slowest_response(self):
        result = summarized([10.0, 50.0, 20.0])
        assert result.evidence["latency_ms"] == 50.0

    def test_latencies_are_shown_to_the_microsecond(self):
        result = summarized([10.0, 50.12345, 20.0])
        assert result.evidence["latency_ms"] == 50.123

    @pytest.mark.parametrize(("failed", "passes"), [(0, True), (1, True), (2, False)])
    def test_success_ratio(self, failed, passes):
        result = summarized([10.0] * 20, failed=failed, min_success_ratio=0.95)
        assert (result.outcome is Outcome.PASS) is passes
        assert result.evidence["repeat"]["successes"] == 20 - failed


class TestSecretParams:
    """A param the steps send where a secret goes is secret; one sent elsewhere is not."""

    @pytest.mark.parametrize(
        ("step", "secret"),
        [
            ({"headers": {"Authorization": "Bearer {{ p }}"}}, True),
            ({"headers": {"X-Upstream": "Token {{ p }}"}}, True),
            ({"headers": {"X-Api-Key": "{{ p }}"}}, True),
            ({"headers": {"X-Trace": "{{ p }}"}}, False),
            ({"query": {"access_token": "{{ p }}"}}, True),
            ({"query": {"page": "{{ p }}"}}, False),
            ({"method": "POST", "json_body": {"login": {"password": "x-{{ p }}"}}}, True),
            ({"method": "POST", "json_body": {"credentials": [{"v": "{{ p }}"}]}}, True),
            ({"method": "POST", "json_body": {"user": "{{ p }}"}}, False),
            ({"method": "POST", "text_body": "{{ p }}", "secret_body": True}, True),
            ({"method": "POST", "text_body": "{{ p }}"}, False),
            # A form: the value of a pair under a secret name, as a login or an OAuth token request sends it.
            ({"method": "POST", "text_body": "username=bob&password=x-{{ p }}"}, True),
            ({"method": "POST", "text_body": "grant_type=password&client_secret={{ p }}&scope=a"}, True),
            ({"method": "POST", "text_body": "username={{ p }}&password=x"}, False),
            # A form's value runs to the next `&`: it stopped at `;`, `#` or a space, before the param.
            ({"method": "POST", "text_body": "username=bob&password=x;{{ p }}"}, True),
            ({"method": "POST", "text_body": "username=bob&password=x y{{ p }}&scope=a"}, True),
            # A placeholder's line break is part of the value (a value cut there was a malformed placeholder).
            ({"method": "POST", "text_body": "username=bob&password={{\n p }}&scope=a"}, True),
            # A pair's name percent-encoded, as an encoder may write any character of it.
            ({"method": "POST", "text_body": "grant_type=x&client%5Fsecret={{ p }}"}, True),
            ({"method": "POST", "text_body": "user=bob&pass%77ord={{ p }}"}, True),
            # JSON sent as text: a member under a secret name, as a json_body's, the object holding it too.
            ({"method": "POST", "text_body": '{"user": "bob", "password": "{{ p }}"}'}, True),
            ({"method": "POST", "text_body": '{"n": 1, "pin_\\u0074oken": {{ p }}}'}, True),
            # A bare value with a placeholder inside it: taken for a stray brace, it made the catalog invalid.
            ({"method": "POST", "text_body": '{"token": -{{ p }}, "n": x{{ p }}y}'}, True),
            ({"method": "POST", "text_body": '{"credentials": {"user": "bob", "v": "{{ p }}"}, "n": 1}'}, True),
            ({"method": "POST", "text_body": '{"user": "{{ p }}", "password": "x"}'}, False),
            ({"method": "POST", "text_body": '{"user": {"name": "{{ p }}"}, "token": "x"}'}, False),
            # XML (a SOAP login's WS-Security header), YAML and header lines: the value under a secret name.
            ({"method": "POST", "text_body": "<wsse:Password Type='t'>{{ p }}</wsse:Password>"}, True),
            ({"method": "POST", "text_body": '<login user="bob" password="{{ p }}"/>'}, True),
            ({"method": "POST", "text_body": "user: bob\ntoken: {{ p }}\n"}, True),
            ({"method": "POST", "text_body": "auth:\n  - {{ p }}\nuser: bob\n"}, True),
            ({"method": "POST", "text_body": "<user>{{ p }}</user><password>x</password>"}, False),
            ({"method": "POST", "text_body": "user: {{ p }}\ntoken: x\n"}, False),
            # A placeholder's line break is part of a line's value too (cut there, the catalog was refused).
            ({"method": "POST", "text_body": "token: {{\n p }}\nuser: bob\n"}, True),
            # A block's line that cuts a placeholder: every param of the body is a secret.
            ({"method": "POST", "text_body": "token:\n  - {{ p\n}}\nuser: bob\n"}, True),
            ({"path": "/orders/{{ p }}"}, False),
            # A credential that says what it is, under any name: a URL's user info, a DSN's password.
            ({"headers": {"X-Upstream": "https://svc:{{ p }}@backend.svc/"}}, True),
            ({"headers": {"X-Upstream": "https://{{ p }}@backend.svc/"}}, True),
            ({"query": {"callback": "https://hook:{{ p }}@hooks.svc/"}}, True),
            ({"method": "POST", "json_body": {"db": [{"dsn": "postgres://app:{{ p }}@db:5432/app"}]}}, True),
            ({"method": "POST", "json_body": {"mysql": "app:{{ p }}@tcp(db:3306)/app"}}, True),
            ({"method": "POST", "text_body": "db=mysql://app:{{ p }}@db/app&user=bob"}, True),
            # Beside one, or in a URL without one, a value is no credential.
            ({"headers": {"X-Upstream": "https://svc:pw@backend.svc/{{ p }}"}}, False),
            ({"headers": {"X-Repo": "ssh://git@git.svc/{{ p }}"}}, False),
            ({"method": "POST", "json_body": {"dsn": "postgres://app:pw@db:5432/{{ p }}", "n": 1}}, False),
        ],
    )
    def test_inferred(self, step, secret):
        check = load(
            definition(
                [{"name": "s", **step}, {"name": "t", "path": "/pages/{{ q }}"}],
                params={"p": {"type": "label_value", "default": "v"}, "q": {"type": "number", "default": 1}},
            )
        )
        assert check.secret_params() == (frozenset({"p"}) if secret else frozenset())
        assert check.shown_args({"p": "v", "q": 1.0}) == {"p": "<redacted>" if secret else "v", "q": 1.0}

    def test_secret_names_and_declared_secrets_count(self):
        params = {
            "p": {"type": "label_value", "default": "v"},
            "d": {"type": "label_value", "default": "w", "secret": True},
        }
        check = load(
            definition(
                [{"name": "s", "headers": {"X-Pin": "{{ p }}", "X-Debug": "{{ d }}"}}],
                params=params,
                secret_names=["x-pin"],
            )
        )
        assert check.secret_params() == frozenset({"p", "d"})
        shown = check.definition()["params"]
        assert (shown["p"]["default"], shown["p"]["secret"]) == ("<redacted>", True)
        assert "v" not in json.dumps(shown["p"]).replace('"', " ").split()
        assert shown["d"]["default"] == "<redacted>"

    def test_a_form_body_shows_no_secret_pair_value(self):
        # A text body was shown as written: a token request's client_secret in GET /api/v1/checks and the check page.
        body = "grant_type=client_credentials&client_id=shop&client_secret=cs-l1t3ral-9&password={{ p }}"
        check = load(
            definition(
                [{"name": "s", "method": "POST", "text_body": body}],
                params={"p": {"type": "label_value", "default": "v"}},
            )
        )
        assert check.definition()["steps"][0]["text_body"] == (
            "grant_type=client_credentials&client_id=shop&client_secret=<redacted>&password=<redacted>"
        )
        assert "cs-l1t3ral-9" in check.literal_secrets()

    def test_a_form_pair_value_is_hidden_to_the_next_ampersand(self):
        # The value stopped at a `#`, `;`, quote, `<`, `{` or space, which a form parser reads as part of it: the
        # definition showed `password=<redacted>#2;x y` and the rest of the client_secret.
        body = "username=bob&password=hunter#2;x y&client_secret=cs{l1t}'3r\"a<l>\r\nscope=read&note=a=b c"
        check = load(definition([{"name": "s", "method": "POST", "text_body": body}]))
        assert check.definition()["steps"][0]["text_body"] == (
            "username=bob&password=<redacted>&client_secret=<redacted>\r\nscope=read&note=a=b c"
        )
        assert {"hunter#2;x y", "cs{l1t}'3r\"a<l>"} <= set(check.literal_secrets())

    def test_a_secret_pair_first_in_the_body_is_hidden(self):
        check = load(definition([{"name": "s", "method": "POST", "text_body": "password=hunter22&user=bob"}]))
        assert check.definition()["steps"][0]["text_body"] == "password=<redacted>&user=bob"
        assert "hunter22" in check.literal_secrets()

    def test_an_empty_secret_pair_is_shown_empty(self):
        # Nothing to hide: the definition says the form sends no password.
        check = load(definition([{"name": "s", "method": "POST", "text_body": "user=bob&password=&x=1"}]))
        assert check.definition()["steps"][0]["text_body"] == "user=bob&password=&x=1"

    def test_an_empty_secret_element_is_shown_empty(self):
        # Nothing to hide, as an empty pair: no `<redacted>` the body does not send.
        body = "<login><password></password><user>bob</user></login>"
        check = load(definition([{"name": "s", "method": "POST", "text_body": body}]))
        assert check.definition()["steps"][0]["text_body"] == body

    def test_a_secret_pair_after_another_pair_with_spaces_is_hidden(self):
        # A pair's value stops at the next `&` only under a secret name: another's does not swallow the pairs after it.
        check = load(definition([{"name": "s", "method": "POST", "text_body": "mode=a b password=hunter22"}]))
        assert check.definition()["steps"][0]["text_body"] == "mode=a b password=<redacted>"

    @pytest.mark.parametrize(
        ("body", "shown", "written"),
        [
            (
                "<soap:Envelope><soap:Header><wsse:UsernameToken><wsse:Username>bob</wsse:Username>"
                '<wsse:Password Type="PasswordText">pw-l1t3ral-9</wsse:Password></wsse:UsernameToken></soap:Header>'
                "</soap:Envelope>",
                "<soap:Envelope><soap:Header><wsse:UsernameToken><redacted></wsse:UsernameToken></soap:Header>"
                "</soap:Envelope>",
                "pw-l1t3ral-9",
            ),
            (
                '<login user="bob" password="pw-l1t3ral-9"/>',
                # Read as a form's pair too, whose value runs to the line's end: the tag's end goes with it.
                '<login user="bob" password=<redacted>',
                "pw-l1t3ral-9",
            ),
            (
                "user: bob\napi_key: pw-l1t3ral-9 # prod\nn: 1\n",
                "user: bob\napi_key: <redacted>\nn: 1\n",
                "pw-l1t3ral-9",
            ),
            (
                "[db]\nuser = bob\npassword = pw-l1t3ral-9\n",
                "[db]\nuser = bob\npassword = <redacted>\n",
                "pw-l1t3ral-9",
            ),
            (
                "login: {user: bob, password: pw-l1t3ral-9}\n",
                "login: {user: bob, password: <redacted>}\n",
                "pw-l1t3ral-9",
            ),
            (
                '[{"name": "DB_PASSWORD", "value": "pw-l1t3ral-9"}]',
                '[{"name": "DB_PASSWORD", "value": "<redacted>"}]',
                "pw-l1t3ral-9",
            ),
            ("X-Api-Key:pw-l1t3ral-9\nAccept: json\n", "X-Api-Key:<redacted>\nAccept: json\n", "pw-l1t3ral-9"),
        ],
        ids=["soap", "xml-attribute", "yaml", "ini", "yaml-flow", "env-list-json", "header-without-space"],
    )
    def test_an_xml_or_yaml_text_body_shows_no_secret_value(self, body, shown, written):
        # Only forms and JSON were read: a SOAP login's password showed in GET /api/v1/checks/{name} and the check page,
        # and a target echoing it was not scrubbed of it.
        check = load(definition([{"name": "s", "method": "POST", "text_body": body}]))
        assert check.definition()["steps"][0]["text_body"] == shown
        assert written in check.literal_secrets()

    def test_a_json_text_body_shows_no_secret_member(self):
        # JSON sent as text_body was shown as written unless secret_body: its password in GET /api/v1/checks/{name}
        # and the check page, and the param sent under client_secret in args and links.
        body = '{"user": "bob", "password": "pw-l1t3ral-9", "n": {{ n }}, "auth": {"k": "v-l1t3ral"}, "cs": "{{ p }}"}'
        check = load(
            definition(
                [{"name": "s", "method": "POST", "text_body": body}],
                params={"p": {"type": "label_value", "default": "v"}, "n": {"type": "number", "default": 1}},
                secret_names=["cs"],
            )
        )
        assert check.definition()["steps"][0]["text_body"] == (
            '{"user": "bob", "password": "<redacted>", "n": {{ n }}, "auth": <redacted>, "cs": "<redacted>"}'
        )
        assert {"pw-l1t3ral-9", '{"k": "v-l1t3ral"}'} <= set(check.literal_secrets())
        assert check.secret_params() == frozenset({"p"})

    def test_a_percent_encoded_pair_name_is_read_decoded(self):
        # `client%5Fsecret` is `client_secret` to the form parser that reads it: its value was shown.
        body = "grant_type=client_credentials&client%5Fsecret=cs-l1t3ral-9&pass%77ord=pw-l1t3ral-9&scope=a"
        check = load(definition([{"name": "s", "method": "POST", "text_body": body}]))
        assert check.definition()["steps"][0]["text_body"] == (
            "grant_type=client_credentials&client%5Fsecret=<redacted>&pass%77ord=<redacted>&scope=a"
        )

    async def test_a_json_text_body_and_its_echo_are_hidden_in_evidence(self, run, respx_mock):
        # A placeholder's value ending in `\` escapes the quote after it, so that reading the request as sent finds
        # no password member: the password as the catalog wrote it is searched for all the same.
        def echo(request: httpx.Request) -> httpx.Response:
            return httpx.Response(400, text=f"bad login: {request.content.decode()}")

        respx_mock.post(f"{BASE}/login").mock(side_effect=echo)
        body = '{"note": "{{ note }}", "password": "pw-l1t3ral-9", "token": "{{ t }}"}'
        params = {"note": {"type": "label_value", "required": True}, "t": {"type": "label_value", "required": True}}
        step = {"name": "s", "method": "POST", "path": "/login", "text_body": body}
        evaluation = await run(definition([step], params=params), {"note": "a\\", "t": "tk-4rg-s3cr3t"})
        assert evaluation.verdict == "fail"
        shown = json.dumps(evaluation.model_dump(mode="json"))
        assert "l1t3ral" not in shown and "s3cr3t" not in shown
        assert evaluation.args == {"note": "a\\", "t": "<redacted>"}

    def test_a_pair_inside_a_secret_member_hides_the_member_whole(self):
        # The member's value and a `token=` pair inside it overlap: cut at both, the rest of the password after the
        # pair (`&x-l1t3ral`) was shown.
        body = '{"password": "token=abc&x-l1t3ral", "user": "bob"}'
        check = load(definition([{"name": "s", "method": "POST", "text_body": body}]))
        assert check.definition()["steps"][0]["text_body"] == '{"password": "<redacted>", "user": "bob"}'

    async def test_a_json_text_body_member_echoed_decoded_is_hidden(self, run, respx_mock):
        # A target quotes the password as its JSON parser read it (`\"` is `"`), not as the text body wrote it.
        def echo(request: httpx.Request) -> httpx.Response:
            return httpx.Response(400, text=f"bad password {json.loads(request.content)['password']}")

        respx_mock.post(f"{BASE}/login").mock(side_effect=echo)
        body = '{"user": "bob", "password": "pw-{{ s }}-\\"l1t3ral"}'
        params = {"s": {"type": "label_value", "default": "9"}}
        evaluation = await run(
            definition([{"name": "s", "method": "POST", "path": "/login", "text_body": body}], params=params)
        )
        assert evaluation.verdict == "fail"
        assert "l1t3ral" not in json.dumps(evaluation.model_dump(mode="json"))

    @pytest.mark.parametrize("param", [{"type": "label_value"}, {"type": "number"}])
    async def test_a_short_secret_arg_is_hidden_where_placed_and_not_searched_for(self, run, respx_mock, param):
        # Hidden as a word, a secret "42" blanked every 42 the target answered; where a template placed it, it goes.
        respx_mock.post(f"{BASE}/orders/42").mock(return_value=httpx.Response(500, text="order 42: 42 of 420 failed."))
        step = {"name": "s", "method": "POST", "path": "/orders/{{ id }}", "json_body": {"n": "{{ id }}"}}
        params = {"id": {**param, "required": True, "secret": True}}
        evaluation = await run(definition([step], params=params), {"id": "42"})
        shown = evaluation.details["steps"][0]
        assert shown["request"]["url"] == f"{BASE}/orders/<redacted>"
        assert shown["request"]["body"] == '{"n":"<redacted>"}'
        assert shown["body"] == "order 42: 42 of 420 failed."
        assert evaluation.args == {"id": "<redacted>"}

    @pytest.mark.parametrize(
        ("body", "shown_body"),
        [
            ({"text_body": "user=bob&remember_session=1&n=1"}, "user=bob&remember_session=<redacted>&n=1"),
            (
                {"json_body": {"user": "bob", "remember_session": "1", "n": 1}},
                '{"user":"bob","remember_session":"<redacted>","n":1}',
            ),
        ],
    )
    async def test_a_short_written_secret_is_hidden_where_written_only(self, run, respx_mock, body, shown_body):
        # Searched for as a word, a literal "1" under a secret name made the reason `step 's' (<redacted>/<redacted>)`
        # and blanked every 1 of the answer; a secret arg that short is hidden only where placed, and so is it.
        respx_mock.post(f"{BASE}/login").mock(return_value=httpx.Response(500, text="1 order failed"))
        step = {"name": "s", "method": "POST", "path": "/login", **body}
        evaluation = await run(definition([step]))
        assert evaluation.reason == "step 's' (1/1) failed: status: expected 2xx, got 500"
        shown = evaluation.details["steps"][0]
        assert shown["request"]["body"] == shown_body
        assert shown["body"] == "1 order failed"

    async def test_a_short_secret_arg_sent_under_a_secret_name_is_searched_for(self, run, respx_mock):
        # As documented: an arg sent as a secret header is searched for in the answer however short.
        respx_mock.get(f"{BASE}/").mock(return_value=httpx.Response(401, text="bad key 123"))
        step = {"name": "s", "headers": {"X-Api-Key": "{{ pin }}"}}
        params = {"pin": {"type": "label_value", "required": True}}
        evaluation = await run(definition([step], params=params), {"pin": "123"})
        assert evaluation.details["steps"][0]["body"] == "bad key <redacted>"

    async def test_a_secret_arg_of_four_characters_is_searched_for(self, run, respx_mock):
        respx_mock.post(f"{BASE}/orders/4242").mock(return_value=httpx.Response(500, text="order 4242 of 424 failed"))
        step = {"name": "s", "method": "POST", "path": "/orders/{{ id }}"}
        params = {"id": {"type": "label_value", "required": True, "secret": True}}
        evaluation = await run(definition([step], params=params), {"id": "4242"})
        assert evaluation.details["steps"][0]["body"] == "order <redacted> of 424 failed"

    async def test_a_short_secret_arg_in_the_base_url_is_hidden_there(self, run, respx_mock):
        respx_mock.get(f"{BASE}/t/42/x").mock(return_value=httpx.Response(500, text="tenant 42 down"))
        check = definition([{"name": "s", "path": "/x"}], base_url=f"{BASE}/t/{{{{ t }}}}")
        evaluation = await run(
            {**check, "params": {"t": {"type": "label_value", "required": True, "secret": True}}}, {"t": "42"}
        )
        assert evaluation.details["base_url"] == f"{BASE}/t/<redacted>"
        assert evaluation.details["steps"][0]["request"]["url"] == f"{BASE}/t/<redacted>/x"
        assert evaluation.details["steps"][0]["body"] == "tenant 42 down"


class TestPlacedParams:
    """A param is placed where a request carries it, a JSON body's key included, and nowhere else."""

    PARAMS = {"field": {"type": "identifier", "default": "sku"}}

    def test_a_json_body_key_places_it(self):
        # Before: "params.field: declared, but no field of the check places it": the catalog was refused (the pod
        # did not start), though the body's key is rendered with the arg.
        step = {"name": "s", "path": "/orders", "method": "POST", "json_body": {"{{ field }}": 1}}
        assert load(definition([step], params=self.PARAMS)).unplaced_params() == []

    def test_an_expectation_is_literal_and_places_nothing(self):
        # Before: loaded, and `field=sku` changed nothing sent; the step looked for the text "{{ field }}".
        step = {"name": "s", "path": "/orders", "expect": {"body_contains": ["{{ field }}"]}}
        with pytest.raises(ConfigError) as caught:
            load(definition([step], params=self.PARAMS))
        assert "params.field: declared, but no field of the check places it" in caught.value.problems[0]


class TestStepBounds:
    """A step's numbers take their documented defaults, and each bound admits the smallest sensible value and
    refuses the first one past it."""

    def test_defaults(self):
        step = Step.model_validate({"name": "a"})
        assert (step.timeout_s, step.retries, step.max_redirects, step.repeat, step.concurrency) == (3.0, 1, 3, 1, 1)
        assert step.min_success_ratio == 1.0

    @pytest.mark.parametrize(
        ("fields", "accepted"),
        [
            ({"timeout_s": 0.5}, True),
            ({"timeout_s": 0}, False),
            ({"retries": 0}, True),
            ({"retries": -1}, False),
            ({"max_redirects": 1}, True),
            ({"max_redirects": 0}, False),
            ({"max_body_bytes": 1}, True),
            ({"max_body_bytes": 0}, False),
            ({"repeat": 1}, True),
            ({"repeat": 0}, False),
            ({"repeat": 2, "concurrency": 1}, True),
            ({"repeat": 2, "concurrency": 0}, False),
            ({"repeat": 2, "min_success_ratio": 0.5}, True),
            ({"repeat": 2, "min_success_ratio": 1}, True),
            ({"repeat": 2, "min_success_ratio": 0}, False),
            ({"repeat": 2, "min_success_ratio": 1.01}, False),
            ({"repeat": 2, "max_p95_ms": 0.5, "max_p99_ms": 0.5}, True),
            ({"repeat": 2, "max_p95_ms": 0}, False),
            ({"repeat": 2, "max_p99_ms": 0}, False),
            ({"expect": {"max_latency_ms": 0.5}}, True),
            ({"expect": {"max_latency_ms": 0}}, False),
        ],
    )
    def test_bound(self, fields, accepted):
        if accepted:
            Step.model_validate({"name": "a", **fields})
        else:
            with pytest.raises(ValidationError) as refused:
                Step.model_validate({"name": "a", **fields})
            # Refused by the field's own bound (the last one given), not by a rule that happens to catch it.
            assert list(fields)[-1] in refused.value.errors()[0]["loc"]


class TestJsonBodyAsYamlReadsIt:
    """A JSON body is sent as YAML reads it, whatever its members are named, and a key it cannot send as written is
    refused at load."""

    @staticmethod
    def loaded(tmp_path, body: str) -> HttpSmokeCheck:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            f"checks:\n- {{name: smoke, kind: http_smoke, base_url: '{BASE}', "
            f"steps: [{{name: a, method: POST, json_body: {body}}}]}}\n",
            encoding="utf-8",
        )
        check = load_catalog(catalog, Registry([HttpSmokeCheck])).get("smoke")
        assert isinstance(check, HttpSmokeCheck)
        return check

    @pytest.mark.parametrize(
        ("body", "sent"),
        [
            # The catalog keeps the text of a param's `default:` and `example:` and an arg's number (WrittenNumber, a
            # float): under those names a body's member was sent as 10.0, 9007199254740992.0 and 16.0.
            ("{default: 012, other: 012}", b'{"default":10,"other":10}'),
            ("{example: 9007199254740993}", b'{"example":9007199254740993}'),
            ("{args: {x: 0x10}}", b'{"args":{"x":16}}'),
            ("{default: 1.10, example: '012', other: true}", b'{"default":1.1,"example":"012","other":true}'),
            ("{200: [{2026-12-06: 1.5}]}", b'{"200":[{"2026-12-06":1.5}]}'),
            # A JSON assertion's shape keeps YAML's yes, no, on and off for http_smoke to refuse in an `equals`.
            ("{path: $.a, equals: on}", b'{"path":"$.a","equals":true}'),
            ("{path: $.a, equals: }", b'{"path":"$.a","equals":null}'),
        ],
    )
    async def test_a_member_named_as_a_params_field_is_sent_as_any_other(self, tmp_path, respx_mock, body, sent):
        route = respx_mock.post(f"{BASE}/").mock(return_value=httpx.Response(200))
        check = self.loaded(tmp_path, body)
        http = HttpClient(HttpPolicy(), resolver=StubResolver({}))
        try:
            catalog = build_catalog([("test.yaml", {"checks": []})], Registry([HttpSmokeCheck]))
            evaluation = await Runner(catalog, Sources({}, http=http), Metrics(), 8.0).evaluate(check, {})
        finally:
            await http.aclose()
        assert evaluation.verdict == "pass", evaluation.reason
        assert route.calls.last.request.content == sent

    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            # Sent as Python wrote them: `{"True":1}`, `{"None":1}`, `{"b'hi'":1}`, neither as written nor as JSON.
            ("{yes: 1}", "json_body has the key true, which is no string (YAML reads yes, no, on, off, true, false"),
            ("{a: {~: 1}}", "json_body.a has the key null, which is no string"),
            # Refused where it is written: no field takes binary data.
            ("{!!binary aGk=: 1}", "!!binary reads binary data, which no field of a catalog takes"),
            ("{2026-12-06T10:00:00Z: 1}", "json_body has the key 2026-12-06 10:00:00+00:00, which is no string"),
        ],
    )
    def test_a_key_sent_otherwise_than_written_is_refused(self, tmp_path, body, problem):
        with pytest.raises(ConfigError) as refused:
            self.loaded(tmp_path, body)
        assert any(problem in p for p in refused.value.problems), refused.value.problems


class TestJudgeSecretsInUrlsAndEscapes:
    """An answer's body quotes no secret a URL in a parameter's value holds (percent-encoded too), no OAuth code, no
    URL's password quoted alone, and no token before an escape; a message's id, a host's name and the next line after
    a token are shown."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            (
                "redirect=https://idp/cb?token=s3cr3t&x=1",
                "redirect=https://idp/cb?token=<redacted>&x=1",
            ),
            ("redirect=https%3A%2F%2Fidp%2Fcb%3Ftoken%3Ds3cr3t&x=1", "redirect=<redacted>&x=1"),
            ('<a href="mailto:ops@x?body=token%3Ds3cr3t">mail</a>', '<a href="mailto:ops@x?body=<redacted>">mail</a>'),
            (
                "Location: /callback?code=s3cr3tOBeZQQYbYS6WxSbIA&state=xyz",
                "Location: /callback?code=<redacted>&state=xyz",
            ),
            (
                "connect https://u:s3cr3t12@h failed; password s3cr3t12 rejected",
                "connect https://<redacted>@h failed; password <redacted> rejected",
            ),
            # A DSN's password alone from 8 characters, not all digits: `p99:1250@payments` reads as a DSN too.
            ("db app:Sup3rS3cret@tcp(db)/x: Sup3rS3cret refused", "db app:<redacted>@tcp(db)/x: <redacted> refused"),
            ("p99:1250@payments observed 1250 ms", "p99:<redacted>@payments observed 1250 ms"),
            # Percent-encoded in the URL, quoted decoded; a URL in a value percent-encoded twice.
            (
                "connect https://u:s3cr3t%4012@h failed; password s3cr3t@12 rejected",
                "connect https://<redacted>@h failed; password <redacted> rejected",
            ),
            ("next=https%253A%252F%252Fidp%252Fcb%253Ftoken%253Ds3cr3t12&x=1", "next=<redacted>&x=1"),
            ("auth_service=billing auth_header=Bearer s3cr3t", "auth_service=billing auth_header=<redacted>"),
            # A token before an escaped ampersand: its escapes count towards a credential's length.
            ('{"h": "Bearer s3cr3t\\u0026next=1"}', '{"h": "Bearer <redacted>"}'),
            # An escaped line break after a token ends it; the next line is shown.
            (
                '{"msg": "Authorization: Bearer s3cr3txyz\\nnext: 1"}',
                '{"msg": "Authorization: Bearer <redacted>\\nnext: 1"}',
            ),
            ('{"msg": "token=s3cr3t\\nnext=1"}', '{"msg": "token=<redacted>\\nnext=1"}'),
            ('"token=s3cr3t\\nnext=1"', '"token=<redacted>\\nnext=1"'),
        ],
    )
    def test_hidden(self, body, shown):
        result = judged({"body_contains": ["ready"]}, body=body.encode())
        assert result.evidence["body"] == shown
        assert "s3cr3t" not in json.dumps([result.evidence, [str(f) for f in result.failures]])

    @pytest.mark.parametrize(
        "body",
        [
            "see cid:part1.abc@example.com mid:960830.1639@XIson.com/partA@XIson.com news:msg123@news.example.com",
            "GET /cb?code=200&state=xyz code=E1234 error_code=E1234 code=upstream_connect_error_503",
            "auth_service=billing auth_server=idp.example.com auth_host=idp",
            "redirect=https%3A%2F%2Fidp%2Fcb%3Fnext%3D1&x=1",
            "next=https%253A%252F%252Fidp%252Fcb%253Fnext%253D1&x=1",
            # A URL's password shorter than 4 is not searched for alone.
            "https://u:pw1@h: pw1",
        ],
    )
    def test_shown(self, body):
        shown = body.replace("u:pw1@", "<redacted>@")
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == shown

    @pytest.mark.parametrize(
        ("head", "unit", "count"),
        [
            ("", "?a=%3Fa%3D", 6000),
            ("password=a", "\\n", 4000),
            ("", "Bearer a1" + "\\u0026" * 40 + " ", 200),
            # A run of `code=` names, none an OAuth code's (more of them than a code's longest holds).
            ("?", "code=", 4000),
            ("x=", "code=", 4000),
        ],
    )
    def test_twice_the_text_takes_about_twice_the_time(self, head, unit, count):
        def cpu_s(units: int) -> float:
            text = head + unit * units
            return least_cpu_s(lambda: body_secrets._masked(text, is_secret_name), runs=5)

        assert cpu_s(2 * count) <= 3 * cpu_s(count)

    def test_a_run_of_code_names_is_read_to_its_end_once(self, monkeypatch):
        # Each name of a run shares its end: found for each, the run's rest was read again and again.
        reads: list[int] = []

        def run_end(text: str, start: int) -> int:
            reads.append(start)
            return oauth_code_run_end(text, start)

        monkeypatch.setattr(body_secrets, "oauth_code_run_end", run_end)
        text = "?x=" + "code=" * 1000 + "a:b=code=SplxlOBeZQQYbYS6WxSbIA&state=xyz"
        assert body_secrets._masked(text, is_secret_name) == text.replace("SplxlOBeZQQYbYS6WxSbIA", "<redacted>")
        # The run of `code=`s and `a`, then the code's own after the `:`.
        assert len(reads) == 2

    def test_many_passwords_are_searched_for_in_bounded_time(self):
        # Four times the text, about four times the time (each password searched for, twelve times): each size's least
        # of five runs, a bound of 8 between the two (a loaded machine only adds to a run).
        def cpu_s(urls: int) -> float:
            text = " ".join(f"https://u:pw{i:06d}@h pw{i:06d}" for i in range(urls))
            return least_cpu_s(lambda: body_secrets._masked(text, is_secret_name), runs=5)

        assert cpu_s(8000) <= 8 * cpu_s(2000)


class TestJudgeCodeAndCountsInBodies:
    """A string a code line assigns to a secret name is hidden in a JSON string too; a count of tokens is shown."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            # A traceback's line inside a JSON error (its quotes escaped): `hunter2` showed.
            (
                '{"trace": "  File \\"app.py\\", line 3\\n    password = \\"hunter2\\"\\n"}',
                '{"trace": "  File \\"app.py\\", line 3\\n    password = \\"<redacted>\\"\\n"}',
            ),
            (
                '{"src": "const apiToken = \\"abc123\\"; user = \\"bob\\""}',
                '{"src": "const apiToken = \\"<redacted>\\"; user = \\"bob\\""}',
            ),
            ('    password = "hunter2"\n', "    password = <redacted>\n"),
            # A declared type between the name and its string (TypeScript, Kotlin, Rust; Go's `var`): showed.
            (
                'const apiKey: string | undefined = "k3y";\nlet token: &str = "abc";',
                'const apiKey: string | undefined = "<redacted>";\nlet token: &str = "<redacted>";',
            ),
            ('<pre>var password string = "hunter2"</pre>', '<pre>var password string = "<redacted>"</pre>'),
        ],
    )
    def test_hidden(self, body, shown):
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == shown

    def test_other_names_typed_strings_are_shown(self):
        body = 'const user: string = "bob";\nvar region string = "eu-west-2"\nlet password = process.env.P;'
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == body

    def test_a_count_of_tokens_and_a_null_are_shown(self):
        # Before: `tokens: <redacted>`, a rate limit's figure gone from the evidence.
        body = "limits:\n  tokens: 5\n  rate_limit_tokens: 500\n  token: null\nlatency: 1234 ms"
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == body

    def test_a_secret_count_is_hidden(self):
        body = "token: 5\ntokens: abc123\n"
        shown = judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"]
        assert shown == "token: <redacted>\ntokens: <redacted>\n"


class TestJudgeShortSchemeCredentials:
    """A credential after an auth scheme's name is hidden whatever its length when it holds a digit, a symbol or a
    capital past its first (a version aside), or stands after an `Authorization` header's name; prose's words stay."""

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            ("sent Authorization: Bearer abc123 upstream", "sent Authorization: Bearer <redacted> upstream"),
            ("<td>Bearer abc123</td>", "<td>Bearer <redacted></td>"),
            ("retry with Token a1 now", "retry with Token <redacted> now"),
            ('{"h": "Basic YWJj"}', '{"h": "Basic <redacted>"}'),
            ("got Bearer ab.cd from idp", "got Bearer <redacted> from idp"),
            # Capitals alone from 8 characters (fewer are a word: `TOKEN EXPIRED`).
            ("got Bearer ABCDEFGHJK back", "got Bearer <redacted> back"),
            # A version's start is no version: `v1` and more.
            ("got Bearer v1x9Zk from idp", "got Bearer <redacted> from idp"),
            # After an Authorization header's name, letters alone too, quoted or not.
            ("sent Authorization: Bearer abcdef upstream", "sent Authorization: Bearer <redacted> upstream"),
            ("headers {'authorization': 'Bearer abcdef'} sent", "headers {'authorization': '<redacted>'} sent"),
            ("sent Proxy-Authorization: Basic abcd to it", "sent Proxy-Authorization: Basic <redacted> to it"),
            (
                '{"msg": "sent Authorization: Basic abcd to it"}',
                '{"msg": "sent Authorization: Basic <redacted> to it"}',
            ),
            ("sent authorization => 'Bearer abcdef'", "sent authorization => 'Bearer <redacted>'"),
            # After `Bearer`, small letters alone are a token too (a staging token is often a word) but for prose's
            # words: `Bearer tokens`, `Bearer authentication`.
            ("sent Bearer abcdef upstream", "sent Bearer <redacted> upstream"),
            ("SENT AUTHORIZATION: BEARER ABCDEF", "SENT AUTHORIZATION: BEARER <redacted>"),
            ("BEARER dev here", "BEARER <redacted> here"),
            ("got bearer dev, then BEARER test.", "got bearer <redacted>, then BEARER <redacted>."),
            ('{"h": "Bearer abcdefgh"}', '{"h": "Bearer <redacted>"}'),
            # A version's number has 4 digits at most: more are a token's (showed).
            ("got Bearer v12345678901 back", "got Bearer <redacted> back"),
            ("got Token v12345 back", "got Token <redacted> back"),
        ],
    )
    def test_hidden(self, body, shown):
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == shown

    @pytest.mark.parametrize(
        "body",
        [
            "Bearer tokens are issued by the identity provider; Basic authentication is off; Token expired",
            "API token v2 is required; send Bearer v1.2 no more, nor Bearer v1.",
            "API token v2024 is required; Bearer v1234.5 is gone",
            "<p>Send a Bearer token in the Authorization header.</p>",
            "Bearer authentication is the scheme; the Bearer scheme, a Bearer JWT, bearer auth is required",
            # After another scheme's name small letters alone stay (`Basic usage`, `token bucket`).
            "Basic usage: the token bucket holds a token per request",
        ],
    )
    def test_shown(self, body):
        assert judged({"body_contains": ["ready"]}, body=body.encode()).evidence["body"] == body
