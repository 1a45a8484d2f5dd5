"""`analyzer validate` checks the AnalysisTemplates beside a catalog against it: check names and args."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.http_parser import HttpRequestParserPy

from analyzer import argo_templates
from analyzer.argo_templates import analysis_run_problems, job_problems, template_notes, template_problems
from analyzer.catalog import build_catalog, load_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from tests.deploy.test_manifests import _crd_validator, undeclared_fields

HASH = {"canary_hash": {"type": "label_value", "required": True}}
CHECK = {
    "name": "payments-error-rate",
    "kind": "prometheus",
    "params": HASH,
    "query": 'sum(up{h="{{ canary_hash }}"})',
    "pass_if": "> 0",
}
CATALOG = {"sources": {"default": {"url": "http://prometheus:9090"}}, "checks": [CHECK]}
ANALYZER = "http://analyzer.argo-rollouts.svc:8080"


AUTHORIZED = [{"key": "Authorization", "value": "Bearer t0k3n"}]


def template(url: str, **web: Any) -> dict[str, Any]:
    metric = {
        "name": "errors",
        "interval": "1m",
        "count": 5,
        "successCondition": 'result == "pass"',
        "failureCondition": 'result == "fail"',
        # A token, as an analyzer with auth on asks (a metric without one is noted: TestUnauthenticatedMetrics).
        "provider": {"web": {"url": url, "jsonPath": "{$.verdict}", "headers": AUTHORIZED, **web}},
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "payments"},
        "spec": {"args": [{"name": "canary-hash"}], "metrics": [metric]},
    }


def declaring_what_they_use(templates: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """The templates, each declaring (without a value) every `{{args.x}}` its metrics use: Argo resolves none
    that is not declared, and the tests of other rules fill fields with args."""
    declared = []
    for template in templates:
        copy = yaml.safe_load(yaml.safe_dump(template))
        spec = copy.get("spec") or {}
        names = [a["name"] for a in spec.get("args") or []]
        used = re.findall(r"\{\{\s*args\.([^{}\s]+)\s*\}\}", yaml.safe_dump(spec.get("metrics")))
        spec["args"] = [*(spec.get("args") or []), *({"name": n} for n in dict.fromkeys(used) if n not in names)]
        declared.append(copy)
    return declared


def problems(tmp_path: Path, *templates: dict[str, Any], declare_used: bool = True) -> list[str]:
    documents = declaring_what_they_use(templates) if declare_used else list(templates)
    (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(documents))
    catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
    return template_problems([tmp_path], catalog)


class TestTemplateProblems:
    """A web metric calling the run endpoint must name a catalog check and give exactly args it accepts."""

    @pytest.mark.parametrize("provider", [{"job": "x"}, {"web": "x"}])
    def test_a_provider_of_another_shape_is_no_crash(self, tmp_path, provider):
        # Before: a crash (AttributeError: 'str' object has no attribute 'get') for `provider: web`, now a problem of
        # its own (TestProvidersOfAnotherShape) and nothing else.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        odd = template(url)
        odd["spec"]["metrics"].append({"name": "odd", "provider": provider})
        (found,) = problems(tmp_path, odd)
        assert "metric 'odd': provider's " in found
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_notes([tmp_path], catalog) == []

    def test_the_readme_template_is_fine(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        assert problems(tmp_path, template(url)) == []
        assert problems(tmp_path, template(url + "&format=json&explain=true")) == []

    def test_a_text_answer_or_the_verdict_page(self, tmp_path):
        # Before: no problem, exit 0. docs/argo-rollouts.md "JSON only": Argo reads no verdict in a text line (up
        # to v1.10.0-rc1 a 200 it cannot parse is Successful), and the page answers 200 for a fail.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        assert [
            problem.split("'errors': ")[1][:25] for problem in problems(tmp_path, template(url + "&format=text"))
        ] == ["url asks format=text, whi"]
        page = template(url.replace("/api/v1/checks/", "/ui/checks/"))
        assert [problem.split("'errors': ")[1][:28] for problem in problems(tmp_path, page)] == [
            "url calls the verdict page ("
        ]

    @pytest.mark.parametrize(
        ("path", "meant"),
        [
            ("/api/v1/checks/payments-error-rate", "/api/v1/checks/payments-error-rate/run"),
            ("/api/v1/checks/payments-error-rate/run/", "/api/v1/checks/payments-error-rate/run"),
            ("/api/v1/check/payments-error-rate/run", "/api/v1/checks/payments-error-rate/run"),
            ("/v1/checks/payments-error-rate/run", "/api/v1/checks/payments-error-rate/run"),
            ("/api/v1/checks/{{args.check}}", "/api/v1/checks/{{args.check}}/run"),
        ],
    )
    def test_a_verdict_read_from_another_path_of_the_analyzer(self, tmp_path, path, meant):
        # Before: no problem, exit 0 (the metric was taken for one calling another service); every measurement was
        # a 404, or the check's definition, which holds no verdict: an Error, and the rollout aborted after five.
        found = problems(tmp_path, template(f"{ANALYZER}{path}?canary_hash={{{{args.canary-hash}}}}"))
        assert [problem.split("'errors': ")[1] for problem in found] == [
            f"url path {path} reads {{$.verdict}}, but the analyzer answers a verdict only at /api/v1/checks/NAME/run "
            f"(this path answers 404, or a check's definition, which holds none): every measurement would be an "
            f"Error, and the rollout aborts after five; did you mean {meant}?"
        ]

    @pytest.mark.parametrize(
        ("url", "json_path"),
        [
            ("http://judge.example/verdicts/latest", "{$.verdict}"),  # another service's verdict
            (f"{ANALYZER}/api/v1/checks/payments-error-rate", "{$.params}"),  # reads no verdict
            # Another service's checks (before: a problem, exit 6, naming the analyzer's run path).
            ("http://gate.example/v2/checks/smoke", "{$.verdict}"),
            ("http://gate.example/api/checks/smoke/status", "{$.verdict}"),
            # The API's prefix in an arg, known only where it is filled (before: a problem, exit 6).
            ("{{args.analyzer-api}}/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}", "{$.verdict}"),
            (f"{ANALYZER}/{{{{args.api}}}}/checks/payments-error-rate/run?canary_hash=x", "{$.verdict}"),
        ],
    )
    def test_a_metric_not_reading_the_analyzers_verdict_is_left_alone(self, tmp_path, url, json_path):
        assert problems(tmp_path, template(url, jsonPath=json_path)) == []

    def test_a_misspelt_check_is_named_with_the_closest(self, tmp_path):
        # Before: `analyzer validate` skipped the file and said ok; every measurement was a 404, the rollout aborted.
        found = problems(tmp_path, template(f"{ANALYZER}/api/v1/checks/payments-eror-rate/run?canary_hash=x"))
        assert found == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url calls check "
            "'payments-eror-rate', which the catalog does not have; did you mean 'payments-error-rate'? (every "
            "measurement would be a 404: an Error, and the rollout aborts after five)"
        ]

    def test_an_args_name_in_argo_spelling_is_undeclared_and_the_required_one_missing(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary-hash={{{{args.canary-hash}}}}"
        found = [problem.split("'errors': ")[1] for problem in problems(tmp_path, template(url))]
        assert found == [
            "url gives arg 'canary-hash', which check 'payments-error-rate' does not declare (its params: "
            "canary_hash; did you mean 'canary_hash'?); every measurement would be a 400: an Error, and the rollout "
            "aborts after five",
            "check 'payments-error-rate' requires arg 'canary_hash', which the url (or jsonBody) does not give; every "
            "measurement would be a 400: an Error, and the rollout aborts after five",
        ]

    def test_an_arg_written_in_the_url_that_its_param_refuses(self, tmp_path):
        # Before: no problem, exit 0, while the run endpoint answers 400 to every measurement (release=god for an
        # enum of good and broken): an Error, and the rollout aborted after five.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash="
        assert [problem.split("'errors': ")[1] for problem in problems(tmp_path, template(url))] == [
            "check 'payments-error-rate' refuses an arg the url (or jsonBody) gives: arg 'canary_hash' is empty (a "
            "PromQL matcher reads an empty value as 'the label is absent'; the param's min_length: 0 allows it); "
            "every measurement would be a 400: an Error, and the rollout aborts after five"
        ]
        body = template(url.removesuffix("?canary_hash="), method="POST", jsonBody={"canary_hash": 7.5e999})
        assert [problem.split("'errors': ")[1][:60] for problem in problems(tmp_path, body)] == [
            "check 'payments-error-rate' refuses an arg the url (or jsonBody) gives: arg 'canary_hash' must be text "
            "or a finite number"[:60]
        ]

    def test_a_secret_args_refused_value_is_not_quoted(self, tmp_path):
        # validate's output reaches CI logs: the value of a param its kind makes secret (sent in an Authorization
        # header), written in a url, is a credential there too.
        smoke = {
            "name": "payments-smoke",
            "kind": "http_smoke",
            "base_url": "http://app.shop.svc",
            "params": {"token": {"type": "label_value", "required": True, "pattern": "^[a-f0-9]+$"}},
            "steps": [{"name": "a", "headers": {"Authorization": "Bearer {{ token }}"}}],
        }
        catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [smoke]})], Registry.default())
        url = f"{ANALYZER}/api/v1/checks/payments-smoke/run?token=S3CR3T-t0ken"
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(template(url)))
        [problem] = template_problems([tmp_path], catalog)
        assert "arg 'token' must match the pattern '^[a-f0-9]+$', got a secret value of 12 characters" in problem, (
            problem
        )
        assert "S3CR3T" not in problem

    @pytest.mark.parametrize("written", ["X%E9", "%FF%FE", "abc%C3"])
    def test_an_arg_that_is_no_clean_utf8_is_refused(self, tmp_path, written):
        # Before: no problem, exit 0, while the run endpoint answers 400 to every measurement (`%E9` decodes to U+FFFD,
        # which require_text refuses): an Error, and the rollout aborted after five.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={written}"
        assert [problem.split("'errors': ")[1] for problem in problems(tmp_path, template(url))] == [
            "check 'payments-error-rate' refuses an arg the url (or jsonBody) gives: arg 'canary_hash' is not valid "
            "UTF-8 (it contains U+FFFD); every measurement would be a 400: an Error, and the rollout aborts after five"
        ]

    def test_an_empty_value_of_a_param_with_a_default_is_told_to_be_left_out(self, tmp_path):
        # Before: only "'' is not a duration": an Argo arg declared `value: ""` is the value given, not the default.
        windowed = {
            **CHECK,
            "params": {**HASH, "window": {"type": "duration", "default": "5m"}},
            "query": 'sum(rate(up{h="{{ canary_hash }}"}[{{ window }}]))',
        }
        catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [windowed]})], Registry.default())
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}&window="
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(declaring_what_they_use((template(url),))[0]))
        [problem] = template_problems([tmp_path], catalog)
        assert "; an empty value is no default here: leave window out for its default ('5m'); every measurement" in (
            problem
        )

    @pytest.mark.parametrize(
        ("metric_fields", "spec_fields", "outcome"),
        [
            ({}, {}, "an Error, and the rollout aborts after five"),
            ({"consecutiveErrorLimit": 0}, {}, "an Error, and the rollout aborts after the first"),
            ({"consecutiveErrorLimit": "9"}, {}, "an Error, and the rollout aborts after ten"),
            ({"consecutiveErrorLimit": 10}, {}, "an Error, and the rollout aborts after 11"),  # past the words
            ({"consecutiveErrorLimit": 20}, {}, "an Error, and the rollout aborts after 21"),
            (
                {"consecutiveErrorLimit": "{{args.errors}}"},
                {},
                "an Error, and the rollout aborts after consecutiveErrorLimit + 1",
            ),
            (
                {},
                {"dryRun": [{"metricName": "errors"}]},
                "an Error, which the dry run records without stopping the rollout: the metric measures nothing",
            ),
        ],
    )
    def test_what_an_error_at_every_measurement_does(self, tmp_path, metric_fields, spec_fields, outcome):
        # Before: "the rollout aborts after five" whatever the metric's consecutiveErrorLimit (Argo's metric is an
        # Error once its errors in a row exceed it), and for a dry-run metric, whose Errors Argo keeps apart (its
        # DryRunSummary) and which stops nothing.
        url = f"{ANALYZER}/api/v1/checks/{{check}}/run?canary_hash={{{{args.canary-hash}}}}{{more}}"
        for check, more in (
            ("payments-error-rate", "&explain=maybe"),
            ("payments-error-rate", "&canary_hash=x"),
            ("payments-error-rate", "&nope=1"),
            ("payments-error-rate", "&canary_hash="),
            ("payments-eror-rate", ""),
        ):
            written = template(url.format(check=check, more=more))
            written["spec"]["metrics"][0].update(metric_fields)
            written["spec"].update(spec_fields)
            found = problems(tmp_path, written)
            assert found, (check, more)
            assert all("would be a 40" in problem for problem in found), found
            assert all(outcome in problem for problem in found), found
        written = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run", method="POST", jsonBody={"at": "1"})
        written["spec"]["metrics"][0].update(metric_fields)
        written["spec"].update(spec_fields)
        assert [outcome in problem for problem in problems(tmp_path, written)] == [True, True]
        written = template(f"{ANALYZER}/api/v1/checks/payments-error-rate?canary_hash=x")
        written["spec"]["metrics"][0].update(metric_fields)
        written["spec"].update(spec_fields)
        # A dry-run metric's reading decides nothing: a path without a verdict is no problem there.
        assert [outcome in problem for problem in problems(tmp_path, written)] == ([] if spec_fields else [True])

    def test_an_arg_filled_in_by_argo_is_not_judged_here(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash=c0ffee-{{{{args.canary-hash}}}}"
        assert problems(tmp_path, template(url)) == []

    def test_a_json_body_gives_args(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
        assert problems(tmp_path, template(url, method="POST", jsonBody={"canary_hash": "{{args.canary-hash}}"})) == []
        assert len(problems(tmp_path, template(url, method="POST"))) == 1

    @pytest.mark.parametrize(
        ("given", "refusal"),
        [
            ("&at=", "at: '' is neither RFC 3339 nor unix seconds"),
            ("&at=yesterday", "at: 'yesterday' is neither RFC 3339 nor unix seconds"),
            ("&at=1700000000000", "at: '1700000000000' is out of range for unix seconds"),
            ("&explain=maybe", "explain must be true or false, got 'maybe'"),
            ("&explain=true&explain=true", "arg 'explain' is given 2 times; give it once"),
            ("&canary_hash=abc", "arg 'canary_hash' is given 2 times; give it once"),
        ],
    )
    def test_options_and_repeats_the_run_endpoint_refuses(self, tmp_path, given, refusal):
        # Before: no problem, exit 0; the run endpoint answered every measurement 400: an Error, and the rollout
        # aborted after five.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}{given}"
        once = template(url)
        once["spec"]["metrics"][0]["count"] = 1
        found = [problem.split("'errors': ")[1] for problem in problems(tmp_path, once)]
        assert len(found) == 1
        assert found[0].startswith(f"the run endpoint refuses what the url gives: {refusal}")
        assert found[0].endswith("every measurement would be a 400: an Error, and the rollout aborts after five")

    def test_a_key_filled_in_given_twice_is_twice_once_filled(self, tmp_path):
        # Before: no problem; Argo fills the same placeholder with the same text, so the run endpoint gets the key
        # twice and answers every measurement 400.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash=x&{{{{args.k}}}}=1&{{{{args.k}}}}=2"
        once = template(url)
        once["spec"]["metrics"][0]["count"] = 1
        assert [problem.split("'errors': ")[1] for problem in problems(tmp_path, once)] == [
            "the run endpoint refuses what the url gives: arg '{{args.k}}' is given 2 times; give it once; every "
            "measurement would be a 400: an Error, and the rollout aborts after five"
        ]

    @pytest.mark.parametrize("at", ["now-1h", "-1h", "now"])
    def test_an_at_relative_to_now_names_no_time_of_validate_s(self, tmp_path, at):
        # Before: "write the time itself: 1h ago is <validate's clock less 1h>": a fixed time to paste into a
        # template measured at every rollout, each judging that moment and not the canary.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}&at={at}"
        once = template(url)
        once["spec"]["metrics"][0]["count"] = 1
        [found] = [problem.split("'errors': ")[1] for problem in problems(tmp_path, once)]
        assert found == (
            f"the run endpoint refuses what the url gives: at: {at!r} is neither RFC 3339 nor unix seconds; every "
            "measurement would be a 400: an Error, and the rollout aborts after five"
        )

    def test_options_it_reads_and_those_filled_in_elsewhere(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        once = template(url + "&at=1700000000&explain=1&format=json")
        once["spec"]["metrics"][0]["count"] = 1
        assert problems(tmp_path, once) == []
        once = template(url + "&at={{args.at}}&explain={{args.explain}}")
        once["spec"]["metrics"][0]["count"] = 1
        assert problems(tmp_path, once) == []

    def test_an_empty_at_in_a_repeated_metric(self, tmp_path):
        # Before: neither said (an empty value was dropped before the repeated-metric rule looked).
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash=x&at="
        assert [problem.split("'errors': ")[1][:30] for problem in problems(tmp_path, template(url))] == [
            "url gives at= in a metric meas",
            "the run endpoint refuses what ",
        ]

    def test_at_in_a_repeated_metric_and_a_method_the_endpoint_refuses(self, tmp_path):
        # Before: no problem. Argo resolves `at` once: each of the 5 measurements judges the same moment. (The
        # Experiment gives {{experiment.availableAt}} as an arg's value: a template's metric holds only {{args.x}}.)
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash=x&at={{{{args.available-at}}}}"
        assert [problem.split("'errors': ")[1][:30] for problem in problems(tmp_path, template(url))] == [
            "url gives at= in a metric meas"
        ]
        once = template(url)
        once["spec"]["metrics"][0]["count"] = 1
        assert problems(tmp_path, once) == []
        put = template(url.split("&at=")[0], method="PUT", jsonBody={})
        assert [problem.split("'errors': ")[1] for problem in problems(tmp_path, put)] == [
            "method PUT: the run endpoint answers it 405, an Error at every measurement"
        ]

    def test_a_body_argo_refuses_to_send(self, tmp_path):
        # Before: no problem, exit 0; but Argo's web provider makes every measurement an Error (the rollout aborts
        # after five) for a body on GET, its default method, or for body and jsonBody together.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
        given = {"canary_hash": "{{args.canary-hash}}"}
        found = [p.split("'errors': ")[1] for p in problems(tmp_path, template(url, jsonBody=given))]
        assert found == [
            "jsonBody with method GET (the default): Argo makes every measurement an Error; set method: POST"
        ]
        found = [p.split("'errors': ")[1][:20] for p in problems(tmp_path, template(url, method="GET", body="{}"))]
        assert found[0] == "body with method GET"
        both = template(url, method="POST", jsonBody=given, body='{"canary_hash": "x"}')
        assert [p.split("'errors': ")[1][:30] for p in problems(tmp_path, both)] == ["body and jsonBody both given: "]
        assert problems(tmp_path, template(url + "?canary_hash=x", body="")) == []

    def test_a_json_text_body_gives_args(self, tmp_path):
        # Before: "requires arg 'canary_hash', which the url (or jsonBody) does not give", exit 6, for a `body`
        # the run endpoint reads as JSON whatever its Content-Type.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
        body = '{"canary_hash": "{{args.canary-hash}}"}'
        assert problems(tmp_path, template(url, method="POST", body=body)) == []
        unknown = '{"canary_hash": {{args.canary-hash}}}'  # JSON once Argo fills it in
        assert problems(tmp_path, template(url, method="POST", body=unknown)) == []
        wrong = problems(tmp_path, template(url, method="POST", body='{"canary-hash": "x"}'))
        assert [problem.split("'errors': ")[1][:26] for problem in wrong] == [
            "url gives arg 'canary-hash",
            "check 'payments-error-rate",
        ]

    def test_a_reserved_name_goes_in_the_query_string_only(self, tmp_path):
        # Before: no problem for `format` in a jsonBody, which the run endpoint answers 400 on every measurement.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
        found = problems(tmp_path, template(url, method="POST", jsonBody={"canary_hash": "x", "format": "text"}))
        assert [problem.split("'errors': ")[1][:42] for problem in found] == [
            "the body gives 'format', which goes in the"
        ]

    def test_other_urls_and_a_check_named_by_the_rollout_are_not_judged(self, tmp_path):
        other = template("http://prometheus:9090/api/v1/query?query=up")
        by_arg = template(f"{ANALYZER}/api/v1/checks/{{{{args.check}}}}/run?anything=1")
        assert problems(tmp_path, other, by_arg) == []


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "analyzer.cli", "validate", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


class TestValidateCommand:
    """`analyzer validate` exits 6 naming a template's mistake, as the README promises, wherever the template is."""

    def test_exit_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(template(f"{ANALYZER}/api/v1/checks/payments/run")))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "url calls check 'payments', which the catalog does not have" in result.stderr
        assert "ok:" not in result.stdout

    @pytest.mark.parametrize(
        "broken",
        [
            {"name": "orders-latency", "kind": "prometheus", "query": "up", "pass_if": "between 1"},
            {"name": "orders-latency", "kind": "prometheus", "query": "sum(up", "pass_if": "> 0"},
        ],
        ids=["invalid", "unparsed"],
    )
    def test_template_problems_beside_the_catalogs(self, tmp_path, broken):
        # They came up only once the catalog validated: one more CI round.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({**CATALOG, "checks": [CHECK, broken]}))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(template(f"{ANALYZER}/api/v1/checks/payments/run")))
        orders = {**template(f"{ANALYZER}/api/v1/checks/orders-latency/run"), "metadata": {"name": "orders"}}
        (tmp_path / "orders.yaml").write_text(yaml.safe_dump(orders))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "orders-latency" in result.stderr.split("AnalysisTemplate calls the catalog wrongly")[0]
        assert "url calls check 'payments', which the catalog does not have" in result.stderr
        # A check defined with a problem is named by the catalog's findings, not as missing.
        assert "'orders-latency', which the catalog does not have" not in result.stderr

    def test_a_directory_or_file_of_templates_beside_the_catalog(self, tmp_path):
        # Before: "no catalog documents in any *.yaml or *.yml file under 'rollouts'" for the directory, "a
        # Kubernetes AnalysisTemplate, not a catalog" for the file: templates could not be given at all.
        (tmp_path / "catalog").mkdir()
        (tmp_path / "rollouts").mkdir()
        (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary-hash={{{{args.canary-hash}}}}"
        (tmp_path / "rollouts" / "at.yaml").write_text(yaml.safe_dump(template(url)))
        for templates in (tmp_path / "rollouts", tmp_path / "rollouts" / "at.yaml"):
            result = validate(tmp_path / "catalog", templates)
            assert result.returncode == 6, result.stdout + result.stderr
            assert "url gives arg 'canary-hash'" in result.stderr
        alone = validate(tmp_path / "rollouts")
        assert alone.returncode == 6
        assert "only AnalysisTemplates: give the catalog's files too" in alone.stderr

    def test_the_list_kubectl_get_writes(self, tmp_path):
        # `kubectl get analysistemplates,rollouts -o yaml > live.yaml` writes one `kind: List` holding them, which
        # kubectl applies as its items. Before: "skipped 1 file holding no catalog document", "ok", exit 0: the
        # template calling a check the catalog lacks was never read.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        at = template(f"{ANALYZER}/api/v1/checks/payments/run")
        nested = {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "List", "items": [at]}]}
        for listed, line in (({"apiVersion": "v1", "kind": "List", "items": [at]}, 11), (nested, 13)):
            (tmp_path / "live.yaml").write_text(yaml.safe_dump(listed))
            result = validate(tmp_path)
            assert result.returncode == 6, result.stdout + result.stderr
            assert (
                f"1 file of AnalysisTemplates, checked against the catalog: {tmp_path / 'live.yaml'}" in result.stdout
            )
            assert (
                f"live.yaml:{line}: AnalysisTemplate 'payments', metric 'errors': url calls check 'payments'"
                in result.stderr
            )

    def test_a_rollout_in_a_list_fills_its_templates_in(self, tmp_path):
        gate = rollout([step({"name": "check", "value": "payments-eror-rate"})])
        found = written(tmp_path, {"apiVersion": "v1", "kind": "List", "items": [generic(), gate]})
        assert any("url calls check 'payments-eror-rate'" in problem for problem in found), found

    def test_only_manifests_outside_hidden_directories_are_read(self, tmp_path):
        # A text file or a hidden directory's copy (`.git`, an editor's backup) is no manifest kubectl applies.
        broken = yaml.safe_dump(template(f"{ANALYZER}/api/v1/checks/payments-eror-rate/run"))
        (tmp_path / ".old").mkdir()
        (tmp_path / ".old" / "templates.yaml").write_text(broken)
        (tmp_path / "templates.yaml.txt").write_text(broken)
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == []
        (tmp_path / "templates.yaml").write_text(broken)
        assert len(template_problems([tmp_path], catalog)) == 1

    def test_a_list_without_items_holds_nothing(self, tmp_path):
        # `items: null` (a list emptied by hand) is no list of objects: the documents beside it are read all the same.
        gate = rollout([step({"name": "check", "value": "payments-eror-rate"})])
        found = written(tmp_path, {"apiVersion": "v1", "kind": "List", "items": None}, generic(), gate)
        assert any("url calls check 'payments-eror-rate'" in problem for problem in found), found

    def test_a_kustomization_without_api_version_and_kind_beside_the_templates(self, tmp_path):
        # Kustomize makes both optional. Before: "rollouts/kustomization.yaml: resources: unknown field; did you
        # mean 'sources'?", exit 6: the kustomization was read as a catalog document, and `validate catalog/
        # rollouts/` failed for every such directory.
        (tmp_path / "catalog").mkdir()
        (tmp_path / "rollouts").mkdir()
        (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        (tmp_path / "rollouts" / "at.yaml").write_text(yaml.safe_dump(template(url)))
        (tmp_path / "rollouts" / "kustomization.yaml").write_text("resources:\n  - at.yaml\n")
        result = validate(tmp_path / "catalog", tmp_path / "rollouts")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok: 1 check" in result.stdout
        # The templates are read (checked), the kustomization only skipped: each said as it is.
        assert f"1 file of AnalysisTemplates, checked against the catalog: {tmp_path / 'rollouts' / 'at.yaml'}" in (
            result.stdout
        )
        assert f"skipped 1 file holding no catalog document: {tmp_path / 'rollouts' / 'kustomization.yaml'}" in (
            result.stdout
        )
        # A catalog file of that name is still a catalog: its mistakes are reported, not skipped.
        (tmp_path / "catalog" / "kustomization.yaml").write_text("checks: []\nsourcs: {}\n")
        result = validate(tmp_path / "catalog", tmp_path / "rollouts")
        assert result.returncode == 6, result.stdout + result.stderr
        assert "sourcs (line 2): unknown field" in result.stderr

    def test_json_manifests_in_a_directory(self, tmp_path):
        # kubectl applies *.json manifests as it does *.yaml. Before: the directory's at.json was never read, and
        # validate said ok (exit 0) while every measurement of the template would be a 404.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.json").write_text(json.dumps(template(f"{ANALYZER}/api/v1/checks/payments-eror-rate/run")))
        # Not a Kubernetes object (a dashboard, a package.json): no catalog document, whatever keys it has.
        (tmp_path / "dashboard.json").write_text(json.dumps({"title": "payments", "checks": "not a catalog"}))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"1 file of AnalysisTemplates, checked against the catalog: {tmp_path / 'at.json'}" in result.stdout
        assert "at.json:1: AnalysisTemplate 'payments', metric 'errors': url calls check 'payments-eror-rate'" in (
            result.stderr
        )
        assert f"skipped 1 file holding no catalog document: {tmp_path / 'dashboard.json'}" in result.stdout

    def test_a_catalog_config_map_in_json(self, tmp_path):
        # The catalog's ConfigMap written as JSON is read as its YAML form is: its mistakes are reported.
        config_map = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "analyzer-catalog"},
            "data": {"catalog.yaml": yaml.safe_dump({**CATALOG, "sourcs": {}})},
        }
        (tmp_path / "catalog.json").write_text(json.dumps(config_map))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "sourcs: unknown field" in result.stderr


def numbered(text: str) -> dict[int, str]:
    """Each line of `text` by its 1-based number, as an editor counts them."""
    return dict(enumerate(text.splitlines(), 1))


# A metric that is fine, in 11 lines, and one calling a misspelt check: a problem of the metric.
FINE_METRIC = """\
  - name: {name}
    count: 5
    interval: 1m
    successCondition: result == "pass"
    failureCondition: result == "fail"
    provider:
      web:
        url: "http://analyzer.argo-rollouts.svc:8080/api/v1/checks/{check}/run?canary_hash={{{{args.canary-hash}}}}"
        jsonPath: "{{$.verdict}}"
        headers:
        - {{key: Authorization, value: Bearer t0k3n}}
"""
MISSPELT = "url calls check 'payments-eror-rate', which the catalog does not have"


class TestProblemsNameTheirLine:
    """Each problem and note of a manifest names `FILE:LINE:`, LINE the 1-based line its object starts on."""

    @staticmethod
    def catalog() -> Any:
        return build_catalog([("catalog.yaml", CATALOG)], Registry.default())

    def test_a_metric_deep_in_the_second_document_after_comments(self, tmp_path):
        # Before: `FILE: AnalysisTemplate ...`, no line; a CI problem matcher annotated nothing.
        text = (
            "# payments: its templates and its rollout\n"
            "\n"
            "# (rendered by helm)\n"
            "---\n"
            "apiVersion: argoproj.io/v1alpha1\n"
            "kind: AnalysisTemplate\n"
            "metadata:\n"
            "  name: payments\n"
            "spec:\n"
            "  args:\n"
            "  - name: canary-hash\n"
            "  - name: window\n"
            "    value: 5\n"
            "  metrics:\n"
            + FINE_METRIC.format(name="ok", check="payments-error-rate")
            + FINE_METRIC.format(name="errors", check="payments-eror-rate")
            + "---\n"
            "\n"
            "# its rollout\n"
            "apiVersion: argoproj.io/v1alpha1\n"
            "kind: Rollout\n"
            "metadata: {name: payments}\n"
            "spec:\n"
            "  strategy:\n"
            "    canary:\n"
            "      steps:\n"
            "      - setWeight: 20\n"
            "      - analysis:\n"
            "          templates:\n"
            "          - templateName: elsewhere\n"
        )
        file = tmp_path / "manifests.yaml"
        file.write_text(text)
        lines = numbered(text)
        assert (lines[5], lines[26], lines[40], lines[48]) == (
            "apiVersion: argoproj.io/v1alpha1",
            "  - name: errors",
            "apiVersion: argoproj.io/v1alpha1",
            "      - analysis:",
        )
        found = template_problems([tmp_path], self.catalog())
        assert [problem.partition(", a number")[0] for problem in found] == [
            f"{file}:5: AnalysisTemplate 'payments': arg 'window' has the value 5",
            f"{file}:26: AnalysisTemplate 'payments', metric 'errors': {MISSPELT}; did you mean 'payments-error-rate'? "
            "(every measurement would be a 404: an Error, and the rollout aborts after five)",
        ]
        (note,) = template_notes([tmp_path], self.catalog())
        assert note.startswith(
            f"{file}:48: Rollout 'payments', spec.strategy.canary.steps[1].analysis: AnalysisTemplate 'elsewhere' is "
            "not among the files given"
        ), note

    def test_the_items_of_a_list(self, tmp_path):
        text = (
            "apiVersion: v1\n"
            "kind: List\n"
            "items:\n"
            "- apiVersion: argoproj.io/v1alpha1\n"
            "  kind: AnalysisRun\n"
            "  metadata:\n"
            "    name: payments-1\n"
            "  spec:\n"
            "    args:\n"
            "    - name: canary-hash\n"
            "      value: c0ffee1\n"
            "    - name: window\n"
            "    metrics:\n"
            + "\n".join(
                f"  {line}" for line in FINE_METRIC.format(name="errors", check="payments-eror-rate").splitlines()
            )
            + "\n"
            "- apiVersion: batch/v1\n"
            "  kind: Job\n"
            "  metadata: {name: gate}\n"
            "  spec:\n"
            "    backoffLimit: 0\n"
            "    template:\n"
            "      spec:\n"
            "        restartPolicy: Never\n"
            "        containers:\n"
            "        - name: check\n"
            f"          image: {TestJobsOfTheirOwn.IMAGE}\n"
            "          args: [run, payments-eror-rate, --arg, canary_hash=c0ffee1]\n"
            "          env:\n"
            "          - {name: ANALYZER_CATALOG, value: /etc/analyzer/catalog}\n"
        )
        file = tmp_path / "listed.yaml"
        file.write_text(text)
        lines = numbered(text)
        assert (lines[4], lines[14], lines[25]) == (
            "- apiVersion: argoproj.io/v1alpha1",
            "    - name: errors",
            "- apiVersion: batch/v1",
        )
        found = analysis_run_problems([tmp_path], self.catalog())
        assert [problem.partition(" (args")[0].partition(": Argo")[0] for problem in found] == [
            f"{file}:4: AnalysisRun 'payments-1': arg 'window' has no value",
            f"{file}:14: AnalysisRun 'payments-1', metric 'errors'",
        ]
        assert MISSPELT in found[1]
        (problem,) = job_problems([tmp_path], self.catalog())
        assert problem.startswith(f"{file}:25: Job 'gate': the Job runs check 'payments-eror-rate'"), problem

    def test_a_kustomize_overlay_names_the_base_files_lines_and_its_own(self, tmp_path):
        base, overlays = tmp_path / "base", [tmp_path / "prod", tmp_path / "staging"]
        base.mkdir()
        templates = (
            "# the analysis of payments\n"
            "apiVersion: argoproj.io/v1alpha1\n"
            "kind: AnalysisTemplate\n"
            "metadata: {name: payments}\n"
            "spec:\n"
            "  args: [{name: canary-hash}]\n"
            "  metrics:\n" + FINE_METRIC.format(name="errors", check="payments-eror-rate")
        )
        (base / "templates.yaml").write_text(templates)
        services = (
            "apiVersion: v1\n"
            "kind: ConfigMap\n"
            "metadata: {name: settings}\n"
            "---\n"
            "apiVersion: v1\n"
            "kind: Service\n"
            "metadata: {name: analyzer, namespace: argo-rollouts}\n"
            "spec:\n"
            "  ports: [{name: http, port: 8080}]\n"
        )
        (base / "service.yaml").write_text(services)
        (base / "kustomization.yaml").write_text("resources:\n- templates.yaml\n- service.yaml\n")
        overlay = (
            "# prod: the base, in prod\n"
            "namespace: prod\n"
            "resources:\n"
            "- ../base\n"
            "- https://github.com/example/rollouts//analysis?ref=v1\n"
        )
        for directory in overlays:
            directory.mkdir()
            (directory / "kustomization.yaml").write_text(overlay.replace("prod", directory.name))
        assert (numbered(templates)[8], numbered(services)[5], numbered(overlay)[5]) == (
            "  - name: errors",
            "apiVersion: v1",
            "- https://github.com/example/rollouts//analysis?ref=v1",
        )
        (problem,) = template_problems([tmp_path], self.catalog())
        assert problem.startswith(
            f"{base / 'templates.yaml'}:8: AnalysisTemplate 'payments', metric 'errors': {MISSPELT}"
        )
        notes = template_notes([tmp_path], self.catalog())
        remote = "resources entry 'https://github.com/example/rollouts//analysis?ref=v1' is remote"
        assert sorted(note.partition(" (")[0].partition(": validate")[0] for note in notes) == [
            f"{base / 'service.yaml'}:5: Service 'analyzer': its namespace is not known",
            f"{overlays[0] / 'kustomization.yaml'}:5: {remote}",
            f"{overlays[1] / 'kustomization.yaml'}:5: {remote}",
        ]

    def test_an_alias_names_the_line_it_is_written_on(self, tmp_path):
        # kubectl makes an object of each alias; before, the second template's metric was named at its anchor's line.
        # Its name merged in (`<<`): the flattening of one alias's keys leaves the others' whole.
        metric = FINE_METRIC.format(name="errors", check="payments-eror-rate")
        metric = metric.replace("- name: errors", "- &errors\n    <<: {name: errors}")
        head = (
            "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {{name: {}}}\nspec:\n"
            "  args: [{{name: canary-hash}}]\n  metrics:\n"
        )
        text = (
            "apiVersion: v1\nkind: List\nitems:\n"
            + "".join(
                f"- {line}\n" if i == 0 else f"  {line}\n" for i, line in enumerate(head.format("a").splitlines())
            )
            + "".join(f"  {line}\n" for line in metric.splitlines())
            + "".join(
                f"- {line}\n" if i == 0 else f"  {line}\n" for i, line in enumerate(head.format("b").splitlines())
            )
            + "    - *errors\n"
            + "    - <<: *errors\n"
            + "      name: latency\n"
        )
        file = tmp_path / "templates.yaml"
        file.write_text(text)
        lines = numbered(text)
        assert (lines[10], lines[28], lines[29]) == ("    - &errors", "    - *errors", "    - <<: *errors"), text
        found = template_problems([tmp_path], self.catalog())
        assert [problem.partition(": url")[0] for problem in found] == [
            f"{file}:10: AnalysisTemplate 'a', metric 'errors'",
            f"{file}:28: AnalysisTemplate 'b', metric 'errors'",
            f"{file}:29: AnalysisTemplate 'b', metric 'latency'",
        ], found
        assert all(MISSPELT in problem for problem in found), found

    def test_an_alias_of_a_sequence_names_its_items_at_the_alias(self, tmp_path):
        # kubectl makes a copy of the list where the alias is written; before, the second template's metrics were
        # named at the lines of the first's, where its anchor is.
        metrics = FINE_METRIC.format(name="errors", check="payments-eror-rate") + FINE_METRIC.format(
            name="latency", check="payments-eror-rate"
        )
        head = (
            "- apiVersion: argoproj.io/v1alpha1\n  kind: AnalysisTemplate\n  metadata: {{name: {}}}\n  spec:\n"
            "    args: [{{name: canary-hash}}]\n"
        )
        text = (
            "apiVersion: v1\nkind: List\nitems:\n"
            + head.format("a")
            + "    metrics: &metrics\n"
            + "".join(f"  {line}\n" for line in metrics.splitlines())
            + head.format("b")
            + "    metrics: *metrics\n"
        )
        file = tmp_path / "templates.yaml"
        file.write_text(text)
        lines = numbered(text)
        assert (lines[10], lines[21], lines[37]) == (
            "    - name: errors",
            "    - name: latency",
            "    metrics: *metrics",
        )
        found = template_problems([tmp_path], self.catalog())
        assert [problem.partition(": url")[0] for problem in found] == [
            f"{file}:10: AnalysisTemplate 'a', metric 'errors'",
            f"{file}:21: AnalysisTemplate 'a', metric 'latency'",
            f"{file}:37: AnalysisTemplate 'b', metric 'errors'",
            f"{file}:37: AnalysisTemplate 'b', metric 'latency'",
        ], found
        assert all(MISSPELT in problem for problem in found), found

    def test_an_alias_inside_its_own_anchor_is_no_manifest(self, tmp_path):
        # kubectl refuses it (go-yaml: "anchor 's' value contains itself"); before, validate crashed (RecursionError).
        text = (
            "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: payments}\nspec: &s\n"
            "  metrics:\n  - name: errors\n    provider: *s\n"
        )
        file = tmp_path / "templates.yaml"
        file.write_text(text)
        said = (
            f"{file}:7: anchor 's' value contains itself: kubectl refuses the file (go-yaml reads no alias inside its "
            "own anchor), and validate reads none of its objects; write the value out"
        )
        assert template_problems([tmp_path], self.catalog()) == [said]
        assert template_notes([tmp_path], self.catalog()) == []
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"  - {said}" in result.stderr, result.stderr

    ANCHORED = (
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: a}\nspec:\n  metrics:\n"
        "  - name: errors\n    provider: &p\n      web: {url: 'http://analyzer.argo-rollouts.svc:8080/x'}\n"
    )

    def test_an_alias_of_an_anchor_of_an_earlier_document(self, tmp_path):
        # Before: template_problems said nothing, and validate only "invalid YAML at line 16, column 15".
        text = (
            self.ANCHORED
            + "---\n"
            + self.ANCHORED.replace("{name: a}", "{name: b}").replace(
                "&p\n      web: {url: 'http://analyzer.argo-rollouts.svc:8080/x'}\n", "*p\n"
            )
        )
        file = tmp_path / "templates.yaml"
        file.write_text(text)
        assert numbered(text)[16] == "    provider: *p"
        said = (
            f"{file}:16: alias *p names no anchor: &p is written in an earlier document, and an anchor holds only in "
            "its own (`---` ends it): kubectl refuses the file (go-yaml: unknown anchor 'p' referenced), and validate "
            "reads none of its objects; write the value out"
        )
        assert template_problems([tmp_path], self.catalog()) == [said]
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"  - {said}" in result.stderr, result.stderr

    def test_each_alias_of_no_anchor_is_named(self, tmp_path):
        text = self.ANCHORED + "    interval: *q\n  - name: latency\n    provider: *r\n"
        file = tmp_path / "templates.yaml"
        file.write_text(text)
        assert [problem.partition(": kubectl")[0] for problem in template_problems([tmp_path], self.catalog())] == [
            f"{file}:9: alias *q names no anchor: no &q is written before it in its document",
            f"{file}:11: alias *r names no anchor: no &r is written before it in its document",
        ]

    def test_an_alias_of_an_anchor_of_its_own_document_is_read(self, tmp_path):
        # The same anchor written again in the second document: each alias names its own document's.
        text = (
            self.ANCHORED
            + "---\n"
            + self.ANCHORED.replace("{name: a}", "{name: b}")
            + "  - name: latency\n    provider: *p\n"
        )
        (tmp_path / "templates.yaml").write_text(text)
        assert [p for p in template_problems([tmp_path], self.catalog()) if "alias" in p] == []

    def test_the_validate_command_says_them(self, tmp_path):
        text = (
            "# one template\n\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: payments}\n"
        )
        text += "spec:\n  args: [{name: canary-hash}]\n  metrics:\n" + FINE_METRIC.format(
            name="errors", check="payments-eror-rate"
        )
        (tmp_path / "at.yaml").write_text(text)
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        assert numbered(text)[9] == "  - name: errors"
        result = validate(tmp_path)
        assert f"  - {tmp_path / 'at.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': {MISSPELT}" in (
            result.stderr
        ), result.stderr


class TestReadingTheVerdict:
    """A template that could end Successful without a `pass` is a problem; the recommended one is not."""

    URL = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"

    def found(self, tmp_path, **metric: Any) -> list[str]:
        changed = template(self.URL)
        changed["spec"]["metrics"][0].update(metric)
        changed["spec"]["metrics"][0] = {key: value for key, value in changed["spec"]["metrics"][0].items() if value}
        return [problem.split("'errors': ")[1] for problem in problems(tmp_path, changed)]

    def test_single_quotes_and_spacing_are_the_same_condition(self, tmp_path):
        assert self.found(tmp_path, successCondition="result=='pass'") == []

    def test_only_a_failure_condition_lets_inconclusive_succeed(self, tmp_path):
        # Argo: without a successCondition, anything failureCondition does not match is Successful.
        # Before: "successCondition is None", Python's word for the field a user left out.
        found = self.found(tmp_path, successCondition=None)
        assert found[0].startswith("successCondition is missing: write 'result ==")

    def test_a_success_condition_that_admits_more_than_pass(self, tmp_path):
        assert self.found(tmp_path, successCondition='result != "fail"')[0].startswith(
            "successCondition is 'result != \"fail\"'"
        )

    def test_a_json_path_other_than_the_verdict(self, tmp_path):
        assert self.found(tmp_path, provider={"web": {"url": self.URL, "jsonPath": "{$.value}"}}) == [
            "jsonPath is '{$.value}': write '{$.verdict}', the verdict, which the conditions judge"
        ]
        # Before: "jsonPath is None".
        assert self.found(tmp_path, provider={"web": {"url": self.URL}}) == [
            "jsonPath is missing: write '{$.verdict}', the verdict, which the conditions judge"
        ]

    def test_limits_admitting_count_answers_without_a_pass(self, tmp_path):
        assert self.found(tmp_path, count=3, failureLimit=2, inconclusiveLimit=1) == [
            "failureLimit 2 + inconclusiveLimit 1 is not below count 3: 3 answers, none of them pass, would end the "
            "metric Successful"
        ]
        assert self.found(tmp_path, count="3", failureLimit=1, inconclusiveLimit=1) == []
        assert self.found(tmp_path, failureLimit=-1) == [
            TestMetricsArgoRefuses.refused(TestMetricsArgoRefuses.DISABLED)
        ]
        assert self.found(tmp_path, failureLimit=-1, consecutiveSuccessLimit=2) == []
        assert self.found(tmp_path, count="{{args.count}}", failureLimit=5) == []


class TestTemplatesThatWork:
    """Templates Argo runs as intended are no problem: the same condition written otherwise, values the Rollout
    or Helm fills in, dry-run metrics, Kustomize patches."""

    URL = TestReadingTheVerdict.URL

    def found(self, tmp_path: Path, **metric: Any) -> list[str]:
        return TestReadingTheVerdict().found(tmp_path, **metric)

    def test_the_verdict_on_the_left(self, tmp_path):
        # Before: 'successCondition is "\"pass\" == result"', exit 6 for the very condition asked for.
        assert self.found(tmp_path, successCondition='"pass" == result') == []
        assert self.found(tmp_path, successCondition="'pass'==result") == []

    def test_the_verdict_in_parentheses(self, tmp_path):
        # Before: "successCondition is '(result == \"pass\")'", exit 6 for the very condition asked for.
        assert self.found(tmp_path, successCondition='(result == "pass")') == []
        assert self.found(tmp_path, successCondition=' ( ("pass" == result) ) ') == []
        for condition in ('(result == "pass") || (true)', '(result == "pass"'):
            assert self.found(tmp_path, successCondition=condition)[0].startswith("successCondition is")

    def test_a_condition_or_path_given_by_the_rollout_or_helm(self, tmp_path):
        # Before: exit 6 for a template whose condition is an arg (`{{args.success}}`) or a Helm value.
        assert self.found(tmp_path, successCondition="{{args.success-condition}}") == []
        web = {"url": self.URL, "jsonPath": "{{ .Values.analyzer.jsonPath }}"}
        assert self.found(tmp_path, provider={"web": web}) == []

    def test_what_still_admits_more_than_pass(self, tmp_path):
        for condition in ('result == "pass" || result == "inconclusive"', 'result == "pass" || true', "pass"):
            assert self.found(tmp_path, successCondition=condition)[0].startswith("successCondition is")
        assert self.found(tmp_path, count="3", failureLimit="2", inconclusiveLimit="1")[0].startswith(
            "failureLimit 2 + inconclusiveLimit 1 is not below count 3"
        )

    def test_an_inconclusive_limit_without_a_failure_condition_admits_nothing(self, tmp_path):
        # Before: "failureLimit 1 + inconclusiveLimit 2 is not below count 3", exit 6; but without a
        # failureCondition Argo makes every answer that is not pass Failed, so 2 of them fail the metric.
        assert self.found(tmp_path, count=3, failureLimit=1, inconclusiveLimit=2, failureCondition=None) == []
        assert self.found(tmp_path, count=3, failureLimit=3, failureCondition=None)[0].startswith(
            "failureLimit 3 + inconclusiveLimit 0 is not below count 3"
        )

    def test_failure_limit_minus_one_without_a_count(self, tmp_path):
        # Before: a background analysis (no count) that no fail could ever fail was no problem. Argo refuses it.
        assert self.found(tmp_path, count=None, failureLimit=-1) == [
            TestMetricsArgoRefuses.refused(TestMetricsArgoRefuses.DISABLED)
        ]

    def test_arg_names_given_by_the_rollout_or_helm(self, tmp_path):
        # Before: "url gives arg '{{args.query}}', which check 'payments-error-rate' does not declare" and "requires
        # arg 'canary_hash', which the url (or jsonBody) does not give", exit 6: Argo fills the query in.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
        for given in ("?{{args.query}}", "?format=json&{{ .Values.hashArg }}={{args.canary-hash}}"):
            assert problems(tmp_path, template(url + given)) == []
        body = {"{{args.hash-param}}": "{{args.canary-hash}}"}
        assert problems(tmp_path, template(url, method="POST", jsonBody=body)) == []
        # A name written out is still judged beside one filled in.
        assert [
            p.split("'errors': ")[1][:26] for p in problems(tmp_path, template(url + "?cnary_hash=x&{{args.q}}"))
        ] == ["url gives arg 'cnary_hash'"]

    def test_at_in_a_metric_measured_once_without_count_or_interval(self, tmp_path):
        # Before: "url gives at= in a metric measured more than once", exit 6; but without `count` and `interval`
        # Argo measures once (`EffectiveCount()` is 1), docs/argo-rollouts.md "Why `count`".
        url = self.URL + "&at={{args.at}}"
        assert (
            self.found(tmp_path, provider={"web": {"url": url, "jsonPath": "{$.verdict}"}}, count=None, interval=None)
            == []
        )
        assert self.found(tmp_path, provider={"web": {"url": url, "jsonPath": "{$.verdict}"}}, count=None)[
            0
        ].startswith("url gives at= in a metric measured more than once")

    def test_limits_of_a_metric_measured_once_without_count_or_interval(self, tmp_path):
        # Before: no problem (a count unset was taken for a background analysis); but Argo measures once, and one
        # fail (failureLimit 1) or one inconclusive (inconclusiveLimit 1) ends the metric Successful.
        assert self.found(tmp_path, count=None, interval=None, failureLimit=1) == [
            "failureLimit 1 + inconclusiveLimit 0 is not below count 1: 1 answers, none of them pass, would end the "
            "metric Successful"
        ]
        assert self.found(tmp_path, count=None, interval=None, inconclusiveLimit=1)[0].startswith(
            "failureLimit 0 + inconclusiveLimit 1 is not below count 1"
        )
        assert self.found(tmp_path, count=None, interval="{{args.interval}}", failureLimit=1) == []
        assert self.found(tmp_path, count=None, failureLimit=1) == []

    def test_a_dry_run_metric_reads_as_it_likes_but_calls_a_real_check(self, tmp_path):
        # Before: exit 6 for a metric Argo only records (`dryRun`), whose reading decides nothing.
        dry = template(self.URL)
        dry["spec"]["metrics"][0].pop("successCondition")
        dry["spec"]["dryRun"] = [{"metricName": "err.*"}]
        assert problems(tmp_path, dry) == []
        dry["spec"]["metrics"][0]["provider"]["web"]["url"] = f"{ANALYZER}/api/v1/checks/payments/run"
        assert [p.split("'errors': ")[1][:39] for p in problems(tmp_path, dry)] == [
            "url calls check 'payments', which the c"
        ]
        dry["spec"]["dryRun"] = [{"metricName": "other"}]
        assert len(problems(tmp_path, dry)) == 2

    def test_a_kustomize_patch_is_not_judged_alone(self, tmp_path):
        # Before: a strategic merge patch changing only the url was "jsonPath is None", "successCondition is None".
        patch = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "payments"},
            "spec": {"metrics": [{"name": "errors", "provider": {"web": {"url": self.URL}}}]},
        }
        overlay = tmp_path / "overlays" / "prod"
        overlay.mkdir(parents=True)
        (overlay / "patches").mkdir()
        (overlay / "patches" / "at.yaml").write_text(yaml.safe_dump(patch))
        (overlay / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["../../base"], "patches": [{"path": "patches/at.yaml"}]})
        )
        assert problems(tmp_path) == []
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([overlay / "patches" / "at.yaml"], catalog) == []
        (overlay / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["patches/at.yaml"]}))
        # Then a template: no jsonPath, no successCondition, and an arg it does not declare.
        assert len(problems(tmp_path, declare_used=False)) == 3


def rollout(steps: list[dict[str, Any]] | None = None, **background: Any) -> dict[str, Any]:
    canary: dict[str, Any] = {"steps": steps or [{"setWeight": 20}]}
    if background:
        canary["analysis"] = background
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "payments"},
        "spec": {"strategy": {"canary": canary}},
    }


def written(tmp_path: Path, *documents: dict[str, Any]) -> list[str]:
    """The problems of the templates among `documents`, beside the Rollouts among them, and of the AnalysisRuns
    among them (one file)."""
    (tmp_path / "manifests.yaml").write_text(yaml.safe_dump_all(documents))
    catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
    return template_problems([tmp_path], catalog) + analysis_run_problems([tmp_path], catalog)


class TestDryRunOfTheRollout:
    """A metric that every AnalysisRun the Rollouts given make of its template runs dry (the Rollout's or an
    Experiment's `dryRun`, or another template's of the same run) decides nothing: only the check it calls and
    its args are its problems; a metric some run judges keeps them all."""

    URL = TestReadingTheVerdict.URL
    REF = {"templates": [{"templateName": "payments"}], "args": [{"name": "canary-hash", "value": "abc"}]}

    @staticmethod
    def unread() -> dict[str, Any]:
        # Without a successCondition an inconclusive is Successful: a problem of a judged metric only.
        unread = template(TestReadingTheVerdict.URL)
        unread["spec"]["metrics"][0].pop("successCondition")
        return unread

    def test_a_dry_run_background_analysis(self, tmp_path):
        # Before: "successCondition is missing", exit 6, for a metric that Rollout only records.
        assert len(written(tmp_path, self.unread())) == 1
        assert written(tmp_path, self.unread(), rollout(**self.REF, dryRun=[{"metricName": "err"}])) == []

    @pytest.mark.parametrize(
        "where",
        [
            {"prePromotionAnalysis": {**REF, "dryRun": [{"metricName": ".*"}]}},
            {"postPromotionAnalysis": {**REF, "dryRun": [{"metricName": ".*"}]}},
        ],
    )
    def test_a_dry_run_blue_green_analysis(self, tmp_path, where):
        blue_green = rollout()
        blue_green["spec"]["strategy"] = {"blueGreen": {"activeService": "payments", **where}}
        assert written(tmp_path, self.unread(), blue_green) == []

    def test_a_dry_run_step_and_experiment(self, tmp_path):
        step = {"analysis": {**self.REF, "dryRun": [{"metricName": "errors"}]}}
        assert written(tmp_path, self.unread(), rollout([step])) == []
        experiment = {
            "experiment": {
                "templates": [],
                "analyses": [{"name": "a", "templateName": "payments", "args": self.REF["args"]}],
                "dryRun": [{"metricName": ".*"}],
            }
        }
        assert written(tmp_path, self.unread(), rollout([experiment])) == []

    def test_a_cluster_template_is_told_from_a_namespaced_one(self, tmp_path):
        cluster = self.unread()
        cluster["kind"] = "ClusterAnalysisTemplate"
        dry = rollout(
            templates=[{"templateName": "payments", "clusterScope": True}],
            args=self.REF["args"],
            dryRun=[{"metricName": ".*"}],
        )
        assert written(tmp_path, cluster, dry) == []
        # The namespaced template of that name is another template, which that run does not read.
        assert len(written(tmp_path, cluster, self.unread(), dry)) == 1

    def test_judged_by_one_run_is_judged(self, tmp_path):
        # Dry in the background, a gate in a step: the step's gate must read the verdict right.
        step = {"analysis": self.REF}
        found = written(tmp_path, self.unread(), rollout([step], **self.REF, dryRun=[{"metricName": ".*"}]))
        assert len(found) == 1 and "successCondition is missing" in found[0]

    def test_a_rule_naming_another_metric_spares_nothing(self, tmp_path):
        found = written(tmp_path, self.unread(), rollout(**self.REF, dryRun=[{"metricName": "latency"}]))
        # Judged; and a rule matching no metric of the run ends it in Error (TestDryRunRulesThatMatchNoMetric).
        assert len(found) == 2 and "successCondition is missing" in found[0], found
        assert "dryRun rule 'latency' matches no metric of the run (errors)" in found[1]

    def test_another_templates_rule_in_the_same_run(self, tmp_path):
        # Argo matches every template's dryRun against every metric of the AnalysisRun they make together.
        quiet = template(self.URL)
        quiet["metadata"]["name"], quiet["spec"]["metrics"][0]["name"] = "quiet", "quiet-errors"
        quiet["spec"]["dryRun"] = [{"metricName": ".*"}]
        both = {"templates": [{"templateName": "payments"}, {"templateName": "quiet"}], "args": self.REF["args"]}
        assert written(tmp_path, self.unread(), quiet, rollout(**both)) == []
        assert len(written(tmp_path, self.unread(), quiet, rollout(**self.REF))) == 1

    def test_a_dry_run_metric_still_calls_a_real_check(self, tmp_path):
        missing = self.unread()
        missing["spec"]["metrics"][0]["provider"]["web"]["url"] = f"{ANALYZER}/api/v1/checks/payments/run"
        found = written(tmp_path, missing, rollout(**self.REF, dryRun=[{"metricName": ".*"}]))
        assert len(found) == 1 and "url calls check 'payments', which the catalog does not have" in found[0]

    def test_validate_reads_the_rollouts_beside_the_catalog(self, tmp_path):
        (tmp_path / "catalog").mkdir()
        (tmp_path / "rollouts").mkdir()
        (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "rollouts" / "at.yaml").write_text(yaml.safe_dump(self.unread()))
        (tmp_path / "rollouts" / "rollout.yaml").write_text(
            yaml.safe_dump(rollout(**self.REF, dryRun=[{"metricName": ".*"}]))
        )
        result = validate(tmp_path / "catalog", tmp_path / "rollouts")
        assert result.returncode == 0, result.stdout + result.stderr


class TestArgoWaitsForTheAnswer:
    """A web metric waits longer than the service may take to answer its check: the check's deadline plus the
    wait for an evaluation slot (docs/argo-rollouts.md "Errors"); otherwise a slow evaluation is an Error."""

    SLOW = {**CHECK, "name": "payments-slow", "deadline_s": 25}
    URL = f"{ANALYZER}/api/v1/checks/payments-slow/run?canary_hash={{{{args.canary-hash}}}}"

    def found(self, tmp_path: Path, *templates: dict[str, Any], environ: dict[str, str] | None = None) -> list[str]:
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use(templates)))
        catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [CHECK, self.SLOW]})], Registry.default())
        return template_problems([tmp_path], catalog, Settings.from_env(environ or {}))

    def test_a_deadline_beyond_argos_default_timeout(self, tmp_path):
        # Before: no problem, exit 0; every evaluation slower than 10 s was an Error, five in a row an abort.
        (problem,) = self.found(tmp_path, template(self.URL))
        assert problem.endswith(
            "metric 'errors': no timeoutSeconds (Argo waits 10 s), while check 'payments-slow' may answer after 26 s "
            "(its 25 s deadline, plus up to 1 s waiting for an evaluation slot): a slower answer is an Error, "
            "whatever the verdict; set timeoutSeconds above 26"
        )
        (problem,) = self.found(tmp_path, template(self.URL, timeoutSeconds=26))
        assert "timeoutSeconds 26, while check 'payments-slow' may answer after 26 s" in problem

    def test_a_timeout_above_the_deadline_and_the_queue(self, tmp_path):
        assert self.found(tmp_path, template(self.URL, timeoutSeconds=27)) == []
        assert self.found(tmp_path, template(self.URL, timeoutSeconds="30")) == []
        # Given by the Rollout: known only there.
        assert self.found(tmp_path, template(self.URL, timeoutSeconds="{{args.timeout}}")) == []

    def test_the_services_deadline_for_a_check_without_its_own(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        assert self.found(tmp_path, template(url)) == []  # 8 s + 1 s < 10 s
        (problem,) = self.found(tmp_path, template(url, timeoutSeconds=9))
        assert "may answer after 9 s (its 8 s deadline, plus up to 1 s" in problem
        (problem,) = self.found(tmp_path, template(url), environ={"ANALYZER_DEADLINE_S": "9.5"})
        assert "may answer after 10.5 s (its 9.5 s deadline" in problem

    def test_a_dry_run_metric_decides_nothing(self, tmp_path):
        dry = template(self.URL)
        dry["spec"]["dryRun"] = [{"metricName": "errors"}]
        assert self.found(tmp_path, dry) == []

    def test_validate_reads_the_services_settings(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(template(url)))
        assert validate(tmp_path).returncode == 0
        command = [sys.executable, "-m", "analyzer.cli", "validate", str(tmp_path)]
        environ = {**os.environ, "ANALYZER_DEADLINE_S": "9.5"}
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environ, check=False)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "may answer after 10.5 s" in result.stderr


def generic(*args: dict[str, Any], **web: Any) -> dict[str, Any]:
    """A template whose check the Rollout names (`{{args.check}}`), as one template serves several checks."""
    url = f"{ANALYZER}/api/v1/checks/{{{{args.check}}}}/run?canary_hash={{{{args.canary-hash}}}}"
    generic = template(url, **web)
    generic["metadata"]["name"] = "analyzer-check"
    generic["spec"]["args"] = [{"name": "check"}, {"name": "canary-hash"}, *args]
    return generic


LATEST = {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}


def step(*args: dict[str, Any], name: str = "analyzer-check", **analysis: Any) -> dict[str, Any]:
    return {"analysis": {"templates": [{"templateName": name}], "args": [*args, LATEST], **analysis}}


class TestArgsOfTheRollout:
    """A template's `{{args.x}}` that the Rollouts and Experiments given fill in (the args they pass, else the
    template's defaults, as Argo merges them) is checked as filled in, naming the Rollout, the analysis and the
    template; a value only the cluster knows, or a template not given, stays unchecked."""

    def test_a_misspelt_check_in_a_step(self, tmp_path):
        # Before: no problem, exit 0; every measurement of that step was a 404, and the rollout aborted.
        typo = rollout([{"setWeight": 20}, step({"name": "check", "value": "payments-eror-rate"})])
        assert written(tmp_path, generic(), typo) == [
            f"{tmp_path / 'manifests.yaml'}:32: Rollout 'payments', spec.strategy.canary.steps[1].analysis: "
            "AnalysisTemplate 'analyzer-check', metric 'errors' (args: check='payments-eror-rate'): url calls check "
            "'payments-eror-rate', which the catalog does not have; did you mean 'payments-error-rate'? (every "
            "measurement would be a 404: an Error, and the rollout aborts after five)"
        ]

    def test_a_check_that_exists(self, tmp_path):
        fine = rollout([step({"name": "check", "value": "payments-error-rate"})])
        assert written(tmp_path, generic(), fine) == []

    def test_background_blue_green_and_experiments(self, tmp_path):
        typo = {"name": "check", "value": "payments-eror-rate"}
        background = rollout(**step(typo)["analysis"])
        blue_green = rollout()
        blue_green["spec"]["strategy"] = {
            "blueGreen": {"activeService": "payments", "prePromotionAnalysis": step(typo)["analysis"]}
        }
        experiment = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Experiment",
            "metadata": {"name": "payments-exp"},
            "spec": {
                "templates": [],
                # An Experiment's args are a template's: a value, or a Secret.
                "analyses": [
                    {
                        "name": "a",
                        "templateName": "analyzer-check",
                        "args": [typo, {"name": "canary-hash", "value": "a"}],
                    }
                ],
            },
        }
        in_step = rollout(
            [
                {
                    "experiment": {
                        "templates": [],
                        "analyses": [{"name": "a", "templateName": "analyzer-check", "args": [typo, LATEST]}],
                    }
                }
            ]
        )
        wheres = [
            problem.split(": AnalysisTemplate")[0].split(": ", 1)[1]
            for problem in written(tmp_path, generic(), background, blue_green, experiment, in_step)
        ]
        assert wheres == [
            "Rollout 'payments', spec.strategy.canary.analysis",
            "Rollout 'payments', spec.strategy.blueGreen.prePromotionAnalysis",
            "Experiment 'payments-exp', spec.analyses[0]",
            "Rollout 'payments', spec.strategy.canary.steps[0].experiment.analyses[0]",
        ]

    def test_the_templates_default_unless_the_rollout_passes_one(self, tmp_path):
        defaulted = generic()
        defaulted["spec"]["args"][0]["value"] = "payments-eror-rate"
        (found,) = written(tmp_path, defaulted, rollout([step()]))
        assert "(args: check='payments-eror-rate'): url calls check 'payments-eror-rate'" in found
        assert written(tmp_path, defaulted, rollout([step({"name": "check", "value": "payments-error-rate"})])) == []
        # The default alone, with no Rollout given to use it: a Rollout elsewhere may pass another.
        assert written(tmp_path, defaulted) == []

    def test_a_default_of_another_template_of_the_run(self, tmp_path):
        # Argo flattens the args of the templates of one run: one's value fills the other's arg.
        other = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "other-errors"
        other["spec"]["args"] = [{"name": "check", "value": "payments-eror-rate"}, {"name": "canary-hash"}]
        both = {
            "analysis": {"templates": [{"templateName": "analyzer-check"}, {"templateName": "other"}], "args": [LATEST]}
        }
        (found,) = written(tmp_path, generic(), other, rollout([both]))
        assert "AnalysisTemplate 'analyzer-check', metric 'errors' (args: check='payments-eror-rate')" in found

    @pytest.mark.parametrize(
        "check",
        [
            {"name": "check", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['check']"}}},
            {"name": "check", "value": "{{ .Values.check }}"},
        ],
    )
    def test_a_value_only_the_cluster_knows(self, tmp_path, check):
        assert written(tmp_path, generic(), rollout([step(check)])) == []

    def test_a_template_not_given(self, tmp_path):
        typo = {"name": "check", "value": "payments-eror-rate"}
        assert written(tmp_path, generic(), rollout([step(typo, name="elsewhere")])) == []
        # Of another namespace: another template, which that Rollout does not read.
        elsewhere = generic()
        elsewhere["metadata"]["namespace"] = "shop"
        other = rollout([step(typo)])
        other["metadata"]["namespace"] = "payments"
        assert written(tmp_path, elsewhere, other) == []
        other["metadata"]["namespace"] = "shop"
        assert len(written(tmp_path, elsewhere, other)) == 1

    def test_an_arg_the_check_does_not_declare(self, tmp_path):
        url = (
            f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}&{{{{args.key}}}}=1"
        )
        keyed = template(url)
        keyed["spec"]["args"].append({"name": "key"})
        (found,) = written(tmp_path, keyed, rollout([step({"name": "key", "value": "canary-hash"}, name="payments")]))
        assert found.endswith(
            "(args: key='canary-hash'): url gives arg 'canary-hash', which check 'payments-error-rate' does not "
            "declare (its params: canary_hash; did you mean 'canary_hash'?); every measurement would be a 400: an "
            "Error, and the rollout aborts after five"
        )

    def test_a_value_that_would_move_the_others_in_the_url(self, tmp_path):
        # `a&b=c` in the path or the query string: what Argo then sends is not for this check to guess.
        odd = {"name": "check", "value": "payments-error-rate/run?x=1&y"}
        assert written(tmp_path, generic(), rollout([step(odd)])) == []

    def test_an_at_with_an_offset_is_checked_as_the_url_sends_it(self, tmp_path):
        # Argo puts `+01:00` in the url unencoded; the run endpoint reads its '+' as a space, and that as the offset.
        url = (
            f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}&at={{{{args.at}}}}"
        )
        timed = template(url)
        timed["spec"]["args"].append({"name": "at"})
        timed["spec"]["metrics"][0]["count"] = 1
        given = {"name": "at", "value": "2026-11-26T12:00:00+01:00"}
        assert written(tmp_path, timed, rollout([step(given, name="payments")])) == []
        # An offset of hours alone is not read: filled in, so refused here, as by the run endpoint.
        (found,) = written(
            tmp_path, timed, rollout([step({**given, "value": "2026-11-26T12:00:00+01"}, name="payments")])
        )
        assert (
            "at: '2026-11-26T12:00:00 01' is neither RFC 3339 nor unix seconds: a + in a query string reads as a "
            "space: write the offset whole and encoded, %2B01:00, or the time in UTC with Z; every measurement would "
            "be a 400" in found
        )

    def test_a_required_arg_of_the_check_the_rollout_names(self, tmp_path):
        url = f"{ANALYZER}/api/v1/checks/{{{{args.check}}}}/run"
        bare = template(url)
        bare["spec"]["args"] = [{"name": "check"}]
        (found,) = written(
            tmp_path, bare, rollout([step({"name": "check", "value": "payments-error-rate"}, name="payments")])
        )
        assert (
            "check 'payments-error-rate' requires arg 'canary_hash', which the url (or jsonBody) does not give" in found
        )

    def test_the_timeout_of_the_check_the_rollout_names(self, tmp_path):
        # The check's deadline is known once its name is: 25 s, beyond Argo's 10 s.
        slow = {**CHECK, "name": "payments-slow", "deadline_s": 25}
        (tmp_path / "manifests.yaml").write_text(
            yaml.safe_dump_all([generic(), rollout([step({"name": "check", "value": "payments-slow"})])])
        )
        catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [CHECK, slow]})], Registry.default())
        (found,) = template_problems([tmp_path], catalog)
        assert (
            "(args: check='payments-slow'): no timeoutSeconds (Argo waits 10 s), while check 'payments-slow'" in found
        )
        # A run that records the metric only decides nothing: no timeout to keep.
        dry = rollout([step({"name": "check", "value": "payments-slow"}, dryRun=[{"metricName": ".*"}])])
        (tmp_path / "manifests.yaml").write_text(yaml.safe_dump_all([generic(), dry]))
        assert template_problems([tmp_path], catalog) == []

    def test_a_template_problem_is_said_once(self, tmp_path):
        # The template's own problem (no successCondition) is the template's, not repeated for each Rollout.
        unread = generic()
        unread["spec"]["metrics"][0].pop("successCondition")
        found = written(tmp_path, unread, rollout([step({"name": "check", "value": "payments-eror-rate"})]))
        assert [p.split("metric 'errors'")[1][:12] for p in found] == [": successCon", " (args: chec"]

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog").mkdir()
        (tmp_path / "rollouts").mkdir()
        (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "rollouts" / "at.yaml").write_text(yaml.safe_dump(generic()))
        typo = rollout([step({"name": "check", "value": "payments-eror-rate"})])
        (tmp_path / "rollouts" / "rollout.yaml").write_text(yaml.safe_dump(typo))
        result = validate(tmp_path / "catalog", tmp_path / "rollouts")
        assert result.returncode == 6, result.stdout + result.stderr
        assert "did you mean 'payments-error-rate'?" in result.stderr

    def test_validate_reads_a_file_of_rollouts_given_by_name(self, tmp_path):
        # Before: "a Kubernetes Rollout, not a catalog", exit 6 whatever the Rollout said.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(generic()))
        (tmp_path / "rollout.yaml").write_text(
            yaml.safe_dump(rollout([step({"name": "check", "value": "payments-error-rate"})]))
        )
        result = validate(*(tmp_path / name for name in ("catalog.yaml", "at.yaml", "rollout.yaml")))
        assert result.returncode == 0, result.stdout + result.stderr
        listed = f"1 file of Rollouts and Experiments, whose analyses' args fill those templates in: {tmp_path}"
        assert f"{listed}/rollout.yaml" in result.stdout
        # A directory of Rollouts alone, beside the catalog's and the templates'.
        (tmp_path / "rollouts").mkdir()
        (tmp_path / "rollout.yaml").rename(tmp_path / "rollouts" / "rollout.yaml")
        result = validate(tmp_path / "catalog.yaml", tmp_path / "at.yaml", tmp_path / "rollouts")
        assert result.returncode == 0, result.stdout + result.stderr


def experiment(*analyses: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Experiment",
        "metadata": {"name": "payments-exp"},
        "spec": {"templates": [], "analyses": list(analyses)},
    }


class TestArgsArgoCannotResolve:
    """An arg of one analysis's templates that has no value there and that the analysis does not pass makes Argo
    refuse that analysis (the Rollout InvalidSpec, the Experiment in Error), as does a `{{args.x}}` that no
    template of it declares: a problem naming the arg and what Argo does."""

    def test_an_arg_the_rollout_does_not_pass(self, tmp_path):
        # Before: no problem, exit 0; Argo marks that Rollout InvalidSpec and rolls nothing out.
        lacking = rollout([{"setWeight": 20}, step()])
        assert written(tmp_path, generic(), lacking) == [
            f"{tmp_path / 'manifests.yaml'}:32: Rollout 'payments', spec.strategy.canary.steps[1].analysis: "
            "AnalysisTemplate 'analyzer-check' declares arg 'check' without a value, and the analysis does not pass "
            "it: Argo refuses the Rollout (InvalidSpec: args.check was not resolved) and rolls nothing out; pass it "
            "in the analysis's args, or give the template's arg a value"
        ]
        # Passed under another name: Argo ignores an arg no template declares. Before: the problem said the analysis
        # does not pass it, where it passes it misspelt.
        (found,) = written(tmp_path, generic(), rollout([step({"name": "chek", "value": "payments-error-rate"})]))
        assert "declares arg 'check' without a value" in found
        assert found.endswith(
            "(the analysis passes 'chek', which no template declares and Argo drops: write 'check')"
        ), found
        # A name far from it is another arg: nothing said of it.
        (found,) = written(tmp_path, generic(), rollout([step({"name": "region", "value": "eu"})]))
        assert found.endswith("or give the template's arg a value"), found

    def test_a_default_or_a_value_of_another_template_resolves_it(self, tmp_path):
        defaulted = generic()
        defaulted["spec"]["args"][0]["value"] = "payments-error-rate"
        assert written(tmp_path, defaulted, rollout([step()])) == []
        other = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "other-errors"
        other["spec"]["args"] = [{"name": "check", "value": "payments-error-rate"}, {"name": "canary-hash"}]
        both = {
            "analysis": {"templates": [{"templateName": "analyzer-check"}, {"templateName": "other"}], "args": [LATEST]}
        }
        assert written(tmp_path, generic(), other, rollout([both])) == []

    def test_an_experiment_ends_in_error(self, tmp_path):
        # An Experiment passes only values: its valueFrom is dropped (experiments/experiment.go).
        secret = {"name": "check", "valueFrom": {"secretKeyRef": {"name": "analyzer", "key": "check"}}}
        exp = experiment(
            {"name": "a", "templateName": "analyzer-check", "args": [secret, {"name": "canary-hash", "value": "abc"}]}
        )
        (found,) = written(tmp_path, generic(), exp)
        assert found.endswith(
            "Experiment 'payments-exp', spec.analyses[0]: AnalysisTemplate 'analyzer-check' declares arg 'check' "
            "without a value, and the analysis does not pass it (an Experiment passes only a value, never a "
            "valueFrom): Argo cannot make the AnalysisRun, and the Experiment ends in Error (Failed to create "
            "AnalysisRun for analysis 'a': args.check was not resolved); pass it in the analysis's args, or give the "
            "template's arg a value"
        )

    def test_two_templates_giving_one_arg_two_values(self, tmp_path):
        one, two = generic(), generic()
        two["metadata"]["name"], two["spec"]["metrics"][0]["name"] = "two", "two-errors"
        one["spec"]["args"][0]["value"], two["spec"]["args"][0]["value"] = "payments-error-rate", "payments-other"
        both = {
            "analysis": {"templates": [{"templateName": "analyzer-check"}, {"templateName": "two"}], "args": [LATEST]}
        }
        (found,) = written(tmp_path, one, two, rollout([both]))
        assert found.endswith(
            "the templates give arg 'check' two values: Argo refuses the Rollout (InvalidSpec: Argument `check` "
            "specified multiple times with different values: 'payments-error-rate', 'payments-other') and rolls "
            "nothing out"
        )

    def test_a_template_not_given_may_give_the_value(self, tmp_path):
        elsewhere = {"analysis": {"templates": [{"templateName": "analyzer-check"}, {"templateName": "elsewhere"}]}}
        assert written(tmp_path, generic(), rollout([elsewhere])) == []

    def test_an_arg_the_template_does_not_declare(self, tmp_path):
        # Before: no problem, exit 0; Argo cannot fill {{args.canary-hash}} in.
        undeclared = generic()
        undeclared["spec"]["args"] = [{"name": "check"}]
        (found,) = problems(tmp_path, undeclared, declare_used=False)
        assert found.endswith(
            "metric 'errors': it uses {{args.canary-hash}}, which the template does not declare in its args: Argo "
            "cannot resolve it (failed to resolve {{args.canary-hash}}): a Rollout's step or blue-green analysis of "
            "it is refused (InvalidSpec), a background or an Experiment's AnalysisRun ends in Error"
        )
        # Declared by another template that an analysis given runs with it: Argo merges their args.
        other = generic()
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "other-errors"
        both = {"templates": [{"templateName": "analyzer-check"}, {"templateName": "other"}]}
        check = {"name": "check", "value": "payments-error-rate"}
        assert written(tmp_path, undeclared, other, rollout(**both, args=[check, LATEST])) == []
        # Run with a template not given, which may declare it: not judged.
        elsewhere = {"templates": [{"templateName": "analyzer-check"}, {"templateName": "elsewhere"}]}
        assert written(tmp_path, undeclared, rollout(**elsewhere, args=[check, LATEST])) == []

    @pytest.mark.parametrize(
        ("tag", "write"),
        [
            ("{{ canary_hash }}", "write {{args.canary-hash}}"),
            ("{{canary-hsh}}", "write {{args.canary-hash}}"),
            ("{{ inputs.hash }}", "declare an arg in the template's args and write {{args.NAME}}"),
        ],
    )
    def test_a_tag_that_is_no_arg(self, tmp_path, tag, write):
        # Before: no problem, exit 0, for the catalog's own {{ canary_hash }} pasted into the url; Argo fills in only
        # {{args.x}} and fails on any other tag, so every AnalysisRun of it is refused or ends in Error.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={tag}"
        (found,) = problems(tmp_path, template(url))
        assert found.endswith(
            f"metric 'errors': it uses {tag}, which Argo cannot resolve (failed to resolve {tag}): it fills in a "
            f"metric's {{{{args.NAME}}}} tags, each an arg the template declares, and no other: {write} (the catalog's "
            "{{ param }} is filled in by the analyzer, from the url's ?param=); a Rollout's step or blue-green "
            "analysis of it is refused (InvalidSpec), a background or an Experiment's AnalysisRun ends in Error"
        )

    def test_a_tag_that_is_no_arg_in_an_analysis_run(self, tmp_path):
        # An AnalysisRun's metrics are filled in by the same rule.
        run = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{ canary_hash }}}}")
        run["kind"] = "AnalysisRun"
        run["spec"]["args"] = [{"name": "canary-hash", "value": "abc"}]
        (tmp_path / "run.yaml").write_text(yaml.safe_dump(run))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        found = analysis_run_problems([tmp_path], catalog)
        assert any("it uses {{ canary_hash }}, which Argo cannot resolve" in problem for problem in found), found

    def test_an_arg_another_template_of_a_step_declares(self, tmp_path):
        # Argo validates each template of a step or blue-green analysis with its own args alone
        # (ValidateAnalysisTemplateWithType): the Rollout is InvalidSpec. Before: no problem, exit 0.
        undeclared = generic()
        undeclared["spec"]["args"] = [{"name": "check"}]
        other = generic()
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "other-errors"
        both = {"templates": [{"templateName": "analyzer-check"}, {"templateName": "other"}]}
        check = {"name": "check", "value": "payments-error-rate"}
        (found,) = written(tmp_path, undeclared, other, rollout([{"analysis": {**both, "args": [check, LATEST]}}]))
        assert "AnalysisTemplate 'analyzer-check'" in found and "{{args.canary-hash}}" in found
        assert "InvalidSpec" in found and "failed to resolve {{args.canary-hash}}" in found
        blue_green = rollout()
        blue_green["spec"]["strategy"] = {"blueGreen": {"prePromotionAnalysis": {**both, "args": [check, LATEST]}}}
        assert len(written(tmp_path, undeclared, other, blue_green)) == 1

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        lacking = rollout([{"analysis": {"templates": [{"templateName": "analyzer-check"}], "args": [LATEST]}}])
        (tmp_path / "rollout.yaml").write_text(yaml.safe_dump_all([generic(), lacking]))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "args.check was not resolved" in result.stderr


class TestValueFromOfTheArgs:
    """Where Argo takes an arg's value from: a Rollout's `valueFrom` over its `value`, a template's Secret over
    any value the Rollout passes; a Secret in a Rollout's args, or a template's `fieldRef`, gives nothing."""

    def test_the_templates_secret_wins_over_the_rollouts_value(self, tmp_path):
        # Before: "url calls check 'payments-eror-rate'", exit 6: Argo sends the Secret's value, not that one.
        secret = generic()
        secret["spec"]["args"][0]["valueFrom"] = {"secretKeyRef": {"name": "analyzer", "key": "check"}}
        assert written(tmp_path, secret, rollout([step({"name": "check", "value": "payments-eror-rate"})])) == []

    def test_the_rollouts_value_from_wins_over_its_value(self, tmp_path):
        field = {"fieldRef": {"fieldPath": "metadata.labels['check']"}}
        both = {"name": "check", "value": "payments-eror-rate", "valueFrom": field}
        assert written(tmp_path, generic(), rollout([step(both)])) == []

    def test_a_secret_in_the_rollouts_args(self, tmp_path):
        # Before: no problem; a Rollout's arg has no secretKeyRef: dropped, the arg is empty.
        secret = {"name": "check", "valueFrom": {"secretKeyRef": {"name": "analyzer", "key": "check"}}}
        found = written(tmp_path, generic(), rollout([step(secret)]))
        assert any(
            "arg 'check' takes a secretKeyRef, which a Rollout's analysis args do not have (only podTemplateHashValue "
            "or fieldRef)" in problem
            for problem in found
        ), found

    def test_a_field_ref_in_the_template(self, tmp_path):
        # Argo reads a fieldRef of a Rollout's args only: the template's leaves the arg without a value.
        field = generic()
        field["spec"]["args"][0]["valueFrom"] = {"fieldRef": {"fieldPath": "metadata.labels['check']"}}
        (found,) = written(tmp_path, field, rollout([step()]))
        assert "arg 'check' takes its value from a fieldRef in AnalysisTemplate 'analyzer-check'" in found
        assert 'Unable to resolve metric arguments: argument "check" was not supplied' in found
        assert written(tmp_path, field, rollout([step({"name": "check", "value": "payments-error-rate"})])) == []

    def test_a_template_arg_with_a_value_and_a_value_from(self, tmp_path):
        # Argo's validateAnalysisMetrics refuses it in a step or blue-green analysis: the Rollout is InvalidSpec.
        # Before: no problem, exit 0.
        both = generic()
        both["spec"]["args"][0].update(
            value="payments-error-rate", valueFrom={"secretKeyRef": {"name": "analyzer", "key": "check"}}
        )
        (found,) = written(tmp_path, both, rollout([step()]))
        assert "AnalysisTemplate 'analyzer-check'" in found and "arg 'check' has both a value and a valueFrom" in found
        assert "InvalidSpec: AnalysisTemplate analyzer-check: arg 'check' has both Value and ValueFrom fields" in found
        # A background analysis does not validate it: the Secret's value is read.
        assert written(tmp_path, both, rollout(templates=[{"templateName": "analyzer-check"}], args=[LATEST])) == []


class TestUnauthenticatedMetrics:
    """A web metric calling the run endpoint without an Authorization header is noted (an analyzer asking for a
    token answers it 401 at every measurement); the exit code stays: the analyzer may run without auth."""

    NOTE = (
        "metric 'errors' calls the analyzer without an Authorization header: an analyzer that asks for a token "
        "(ANALYZER_AUTH_TOKENS; deploy/base does) answers every measurement 401, an Error, and the rollout aborts "
        'after five; add headers: [{key: Authorization, value: "Bearer {{args.analyzer-token}}"}], the arg read from '
        "a Secret (docs/argo-rollouts.md)"
    )

    def test_a_metric_without_the_header_is_noted(self, tmp_path):
        # Before: nothing said; a newcomer who left the README's headers out found out from a rollout's Errors.
        bare = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        del bare["spec"]["metrics"][0]["provider"]["web"]["headers"]
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(bare))
        assert template_notes([tmp_path]) == [
            f"{tmp_path / 'template.yaml'}:1: AnalysisTemplate 'payments': {self.NOTE}"
        ]

    @pytest.mark.parametrize(
        "headers",
        [
            AUTHORIZED,
            [{"key": "authorization", "value": "Bearer {{args.analyzer-token}}"}],
            [{"key": "{{args.header}}", "value": "Bearer {{args.analyzer-token}}"}],
        ],
    )
    def test_a_metric_with_it_is_not(self, tmp_path, headers):
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template(url, headers=headers)))
        assert template_notes([tmp_path]) == []

    def test_a_metric_calling_another_service_is_not(self, tmp_path):
        other = template("http://prometheus.monitoring:9090/api/v1/query?query=up")
        del other["spec"]["metrics"][0]["provider"]["web"]["headers"]
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(other))
        assert template_notes([tmp_path]) == []


class TestWhereTheUrlLeads:
    """A web metric's url that Argo's controller cannot send (no http://) is a problem; one calling a loopback
    address, the controller's own pod, is noted (the exit code stays: the analyzer may run in that pod)."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    @pytest.mark.parametrize("origin", ["analyzer.argo-rollouts.svc:8080", "analyzer.argo-rollouts.svc", "analyzer"])
    def test_a_url_without_its_scheme_is_a_problem(self, tmp_path, origin):
        # Before: ok; Go reads `analyzer.argo-rollouts.svc:8080/...` as a URL of that scheme, and sends nothing.
        assert problems(tmp_path, template(origin + self.RUN)) == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url starts {origin!r}, "
            "without http://: Argo's web provider sends nothing (unsupported protocol scheme) and every measurement "
            f"would be an Error, and the rollout aborts after five; write http://{origin}/api/v1/checks/..."
        ]

    def test_a_url_without_its_scheme_shows_no_password(self, tmp_path):
        # Before: the problem quoted `user:s3cret@...` (Go reads `user` as the scheme), a password in a CI log.
        (found,) = problems(tmp_path, template("user:s3cret@analyzer.argo-rollouts.svc:8080" + self.RUN))
        assert "s3cret" not in found
        assert "url starts '***@analyzer.argo-rollouts.svc:8080', without http://" in found, found
        assert found.endswith("write http://***@analyzer.argo-rollouts.svc:8080/api/v1/checks/..."), found
        # A scheme-relative url: the hint writes one http://, not four slashes.
        (found,) = problems(tmp_path, template("//analyzer.argo-rollouts.svc:8080" + self.RUN))
        assert found.endswith("write http://analyzer.argo-rollouts.svc:8080/api/v1/checks/..."), found

    @pytest.mark.parametrize(
        ("origin", "meant"),
        [
            ("http:analyzer.argo-rollouts.svc:8080", "http://analyzer.argo-rollouts.svc:8080"),
            ("http:/analyzer.argo-rollouts.svc", "http://analyzer.argo-rollouts.svc"),
            ("https://", "https://HOST:PORT"),
        ],
    )
    def test_a_url_without_a_host_is_a_problem(self, tmp_path, origin, meant):
        # Before: ok; Go's client sends nothing for a URL without a host ("http: no Host in request URL").
        assert problems(tmp_path, template(origin + self.RUN)) == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url starts {origin!r}, "
            f"without a host after {origin.partition(':')[0]}://: Argo's web provider sends nothing (no Host in "
            "request URL) and every measurement would be an Error, and the rollout aborts after five; write "
            f"{meant}/api/v1/checks/..."
        ]

    @pytest.mark.parametrize("origin", [ANALYZER, "HTTPS://analyzer.argo-rollouts.svc", "{{args.analyzer-url}}"])
    def test_a_url_with_its_scheme_or_given_by_an_arg_is_not(self, tmp_path, origin):
        assert problems(tmp_path, template(origin + self.RUN)) == []

    @pytest.mark.parametrize(
        "origin",
        [
            "http://127.0.0.1:33259",
            "http://localhost:8080",
            "http://LOCALHOST.:8080",
            "http://[::1]:8080",
            "http://127.0.1.1",
            # Before: not noted. inet_aton's short forms, and the unspecified addresses Linux connects to itself.
            "http://127.1:8080",
            "http://0x7f.1:8080",
            "http://0x7f.0x.0.1:8080",
            "http://0177.1:8080",
            "http://2130706433:8080",
            "http://0.0.0.0:8080",
            "http://[::]:8080",
            "http://[::ffff:127.0.0.1]:8080",
            "http://localhost.:8080",
        ],
    )
    def test_a_loopback_address_is_noted(self, tmp_path, origin):
        # Before: nothing said; the demo's $ANALYZER pasted into a template makes every measurement an Error.
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template(origin + self.RUN)))
        (note,) = template_notes([tmp_path])
        assert note.startswith(f"{tmp_path / 'template.yaml'}:1: AnalysisTemplate 'payments': metric 'errors' calls ")
        assert note.endswith(
            ", the Argo Rollouts controller's own pod, which sends the web metric's requests: unless the analyzer runs "
            "in that pod, every measurement is an Error (connection refused), and the rollout aborts after five; call "
            "the analyzer's Service (deploy/base: http://analyzer.argo-rollouts.svc:8080)"
        ), note

    @pytest.mark.parametrize(
        "origin",
        [
            ANALYZER,
            "http://10.0.0.7:8080",
            "http://localhost-proxy:8080",
            "http://128.1:8080",
            "http://0.1:8080",
            "http://127.256.1.1:8080",
            # One past what inet_aton's last part holds: a name, not 127.0.0.0 nor an address.
            "http://4294967296:8080",
            "http://127.16777216:8080",
            "http://[::2]:8080",
            "http://127.1.analyzer:8080",
        ],
    )
    def test_another_address_is_not_noted(self, tmp_path, origin):
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template(origin + self.RUN)))
        assert template_notes([tmp_path]) == []

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            # Before: ok; urlsplit drops the leading space, Go reads no scheme before it.
            (
                " " + ANALYZER,
                "starts with a space, before which Go reads no scheme (first path segment in URL cannot contain colon)",
            ),
            # Before: ok; a block scalar's line break, which urlsplit drops too.
            (ANALYZER + "\n", "holds the control character '\\n' (net/url: invalid control character in URL)"),
            (
                ANALYZER.replace("//", "//\t"),
                "holds the control character '\\t' (net/url: invalid control character in URL)",
            ),
            # Before: validate crashed (ValueError: Invalid IPv6 URL).
            ("http://[::1", "has a host Go cannot read (missing ']' in host: an IPv6 address's [ is not closed)"),
            # Before: said to be a `[` not closed.
            ("http://[zz]:8080", "has a host in brackets that is no IPv6 address ('zz'), which no connection reaches"),
            ("http://analyzer:80a", "has a port Go cannot read (invalid port ':80a' after host)"),
            # Before: ok; urlsplit reads ::1 and port 8080, Go refuses what follows the `]` (invalid port).
            (
                "http://[::1]x:8080",
                "has text after its IPv6 address's ] that Go cannot read (invalid port 'x:8080' after host)",
            ),
            (
                "http://[fd00::7]x",
                "has text after its IPv6 address's ] that Go cannot read (invalid port 'x' after host)",
            ),
            # Before: ok; urlsplit reads ::1, Go a host name `a[::1]` that no DNS resolves.
            (
                "http://a[::1]:8080",
                "has a host with text before its IPv6 address's [ ('a[::1]'), which no connection reaches",
            ),
            (
                "http://a[::1]",
                "has a host with text before its IPv6 address's [ ('a[::1]'), which no connection reaches",
            ),
        ],
    )
    def test_a_url_go_refuses_is_a_problem(self, tmp_path, url, reason):
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(template(url + self.RUN)))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url {url + self.RUN!r} "
            f"{reason}: Argo's web provider sends nothing and every measurement would be an Error, and the rollout "
            "aborts after five"
        ]
        assert template_notes([tmp_path], catalog) == []

    def test_a_leading_space_in_a_quoted_url_fails_validate(self, tmp_path):
        # Before: exit 0; Argo fails every measurement of it (first path segment in URL cannot contain colon).
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        written = yaml.safe_dump(template(ANALYZER + self.RUN), width=1000)
        (tmp_path / "template.yaml").write_text(written.replace("url: ", "url: ' ", 1).replace("}}\n", "}}'\n", 1))
        assert yaml.safe_load((tmp_path / "template.yaml").read_text()) == template(" " + ANALYZER + self.RUN)
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"url ' {ANALYZER}/api/v1/checks/payments-error-rate/run" in result.stderr, result.stderr
        assert "starts with a space" in result.stderr

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            # Before: ok. Go's url.Parse refuses a space in the host (invalid character " " in host name).
            (
                "http://analyzer .argo-rollouts.svc:8080/api/v1/checks/payments-error-rate/run?canary_hash={{args.x}}",
                'has a space before its path, where Go allows none (invalid character " " in host name): Argo\'s '
                "web provider sends nothing and",
            ),
            # Before: ok. Go sends the query as written: `GET /...?canary_hash= abc HTTP/1.1` is no request line.
            (
                "http://analyzer.argo-rollouts.svc:8080/api/v1/checks/payments-error-rate/run?canary_hash= {{args.x}}",
                "has a space within its query, which Go sends as written: the request line it breaks is answered 400 "
                "Bad Request, and",
            ),
            # Before: a wrong path said, whose space did not show. Go sends a path's space as %20: no such check.
            (
                "http://analyzer.argo-rollouts.svc:8080/api/v1/checks/payments-error-rate/run ?canary_hash={{args.x}}",
                "has a space in its path, which Go sends as %20: the analyzer answers 404 Not Found, and",
            ),
        ],
    )
    def test_a_space_go_refuses_or_sends_is_a_problem(self, tmp_path, url, reason):
        assert problems(tmp_path, template(url)) == [
            f"{tmp_path / 'templates.yaml'}:10: AnalysisTemplate 'payments', metric 'errors': url {url!r} {reason} "
            "every measurement would be an Error, and the rollout aborts after five"
        ]

    def test_spaces_ending_the_query_are_a_problem(self, tmp_path):
        # Before: ok. Go sends them as written (`?canary_hash=abc   HTTP/1.1`): a parser allowing one space between
        # the request line's parts (aiohttp's pure-Python one, as below) answers 400.
        url = ANALYZER + self.RUN + "   "
        assert problems(tmp_path, template(url)) == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url {url!r} has spaces "
            "ending its query, which Go sends as written: an HTTP parser allowing one space before HTTP/1.1 (aiohttp's "
            "pure-Python one, a strict proxy's) answers 400 Bad Request; take them out, and every measurement would "
            "be an Error, and the rollout aborts after five"
        ]

    async def test_a_request_line_ending_in_spaces_is_refused_by_aiohttps_python_parser(self):
        # What the rule above stands on: the request line Go writes for such a url.
        parser = HttpRequestParserPy(mock.Mock(), asyncio.get_running_loop(), 2**16)
        with pytest.raises(BadHttpMessage):
            parser.feed_data(b"GET /api/v1/checks/x/run?canary_hash=abc   HTTP/1.1\r\nHost: a\r\n\r\n")

    def test_a_space_from_a_tag_ending_the_query_is_not_judged(self, tmp_path):
        # A tag is filled in before the url is sent: its spaces are not sent.
        assert problems(tmp_path, template(ANALYZER + self.RUN.replace("}}", " }}"))) == []

    @pytest.mark.parametrize(
        "url",
        ["http://[::1", "http://analyzer:80a", " http://analyzer:8080", "http://ana lyzer:8080", "http://a:8080/x y"],
    )
    def test_a_url_go_refuses_in_another_metric_is_left_alone(self, tmp_path, url):
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(template(url + "/healthz")))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == []
        assert template_notes([tmp_path], catalog) == []

    @pytest.mark.parametrize("origin", ["http://analyzer:{{args.port}}", "http://{{args.host}}:8080"])
    def test_a_host_or_port_given_by_an_arg_is_not_refused(self, tmp_path, origin):
        assert problems(tmp_path, template(origin + self.RUN)) == []


def service(name: str = "analyzer", *ports: int, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"name": f"p{port}", "port": port} for port in ports or (8080,)], **spec},
    }


def in_namespace(document: dict[str, Any], namespace: str = "argo-rollouts") -> dict[str, Any]:
    return {**document, "metadata": {**document["metadata"], "namespace": namespace}}


class TestPortsOfTheServiceGiven:
    """A url calling a Service given among the files on a port it does not serve (80 when the url writes none) is a
    problem: the connection reaches no pod; without the Service given, nothing is said of the port."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    def found(self, tmp_path: Path, url: str, *services: dict[str, Any], namespace: str | None = None) -> list[str]:
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        if services:
            (tmp_path / "service.yaml").write_text(yaml.safe_dump_all(services))
        if namespace is not None:
            kustomization = {"namespace": namespace, "resources": ["templates.yaml", "service.yaml"]}
            (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        return template_problems([tmp_path], catalog)

    @pytest.mark.parametrize(
        "host",
        [
            "analyzer.argo-rollouts",
            "analyzer.argo-rollouts.svc",
            "analyzer.argo-rollouts.svc.cluster.local",
        ],
    )
    def test_a_url_without_a_port_calls_port_80(self, tmp_path, host):
        # Before: ok; every measurement connects to port 80 of a Service serving 8080 only.
        assert self.found(tmp_path, f"http://{host}{self.RUN}", service(), namespace="argo-rollouts") == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url calls {host} on "
            "port 80 "
            f"(http's, the url writing none), which Service 'analyzer' ({tmp_path / 'service.yaml'}) does not serve "
            "(its ports: 8080): the connection reaches no pod, and every measurement would be an Error, and the "
            f"rollout aborts after five; write http://{host}:8080/api/v1/checks/..."
        ]

    def test_validate_lists_the_service_read_apart(self, tmp_path):
        # Before: "skipped 2 files holding no catalog document: ..., service.yaml" while its ports were read, and a
        # port it did not serve named it as the Service called.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "deploy").mkdir()
        (tmp_path / "deploy" / "service.yaml").write_text(yaml.safe_dump(in_namespace(service())))
        headless = in_namespace(service("analyzer-pods", clusterIP="None"))
        (tmp_path / "deploy" / "headless.yaml").write_text(yaml.safe_dump(headless))
        (tmp_path / "deploy" / "sa.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ServiceAccount"}))
        url = f"http://analyzer.argo-rollouts.svc:8080{self.RUN}"
        (tmp_path / "template.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert (
            f"1 file of Services, whose ports the urls calling them are checked against: "
            f"{tmp_path / 'deploy' / 'service.yaml'}"
        ) in lines
        # A headless Service's name leads to the pods, on their ports: not read, so skipped as before.
        assert (
            f"skipped 2 files holding no catalog document: {tmp_path / 'deploy' / 'headless.yaml'}, "
            f"{tmp_path / 'deploy' / 'sa.yaml'}"
        ) in lines
        # Without a metric calling a url, the Service is read for nothing: skipped.
        (tmp_path / "template.yaml").unlink()
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not any(line.startswith("1 file of Services") for line in result.stdout.splitlines())
        assert f"{tmp_path / 'deploy' / 'service.yaml'}" in result.stdout

    def test_validate_reads_a_service_file_given_by_name(self, tmp_path):
        # docs/argo-rollouts.md: the templates given "beside the catalog's files, the analyzer's Service among them".
        # Before: the Service's file given by name was read as a catalog file, refused ("a Kubernetes Service, not a
        # catalog"), exit 6 for a template that calls it well.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "service.yaml").write_text(yaml.safe_dump(in_namespace(service())))
        url = f"http://analyzer.argo-rollouts.svc:8080{self.RUN}"
        (tmp_path / "template.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        given = [tmp_path / name for name in ("catalog.yaml", "service.yaml", "template.yaml")]
        result = validate(*given)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"1 file of Services, whose ports the urls calling them are checked against: {given[1]}" in (
            result.stdout.splitlines()
        )
        # Its ports are read: a port it does not serve is named.
        wrong = template(url.replace(":8080", ":9090"))
        (tmp_path / "template.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((wrong,))))
        result = validate(*given)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"which Service 'analyzer' ({given[1]}) does not serve (its ports: 8080)" in result.stderr
        assert "not a catalog" not in result.stderr
        # Without a template calling a url, a Service given by name is still no catalog file: said, as before.
        result = validate(given[0], given[1])
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"{given[1]}: a Kubernetes Service, not a catalog" in result.stderr

    def test_a_port_the_service_does_not_serve(self, tmp_path):
        (found,) = self.found(
            tmp_path,
            f"https://analyzer.argo-rollouts.svc:8081{self.RUN}",
            in_namespace(service("analyzer", 8080, 9090)),
        )
        assert "url calls analyzer.argo-rollouts.svc on port 8081, which Service 'analyzer'" in found, found
        assert "(its ports: 8080, 9090)" in found, found
        (found,) = self.found(tmp_path, f"https://analyzer.argo-rollouts.svc{self.RUN}", in_namespace(service()))
        assert "on port 443 (https's, the url writing none)" in found, found
        # Port 0 is written, not 80's absence: no Service serves it.
        (found,) = self.found(
            tmp_path, f"http://analyzer.argo-rollouts.svc:0{self.RUN}", in_namespace(service("analyzer", 80))
        )
        assert "url calls analyzer.argo-rollouts.svc on port 0, which Service 'analyzer'" in found, found
        # HTTPS's default port served: nothing said; http's is not https's.
        assert (
            self.found(
                tmp_path, f"HTTPS://analyzer.argo-rollouts.svc{self.RUN}", in_namespace(service("analyzer", 443))
            )
            == []
        )
        (found,) = self.found(
            tmp_path, f"http://analyzer.argo-rollouts.svc{self.RUN}", in_namespace(service("analyzer", 443))
        )
        assert "on port 80 (http's, the url writing none)" in found, found
        (found,) = self.found(
            tmp_path, f"https://analyzer.argo-rollouts.svc{self.RUN}", in_namespace(service("analyzer", 80))
        )
        assert "on port 443 (https's, the url writing none)" in found, found

    def test_the_analyzers_own_deploy_manifests(self, tmp_path):
        base = Path(__file__).parents[2] / "deploy" / "base"
        (tmp_path / "templates.yaml").write_text(
            yaml.safe_dump(template(f"http://analyzer.argo-rollouts.svc{self.RUN}"))
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path, base], catalog)
        assert f"which Service 'analyzer' ({base / 'service.yaml'}) does not serve (its ports: 8080)" in found, found
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(template(ANALYZER + self.RUN)))
        assert template_problems([tmp_path, base], catalog) == []

    @pytest.mark.parametrize(
        ("url", "services", "namespace"),
        [
            (f"{ANALYZER}{RUN}", [in_namespace(service())], None),
            ("http://analyzer.argo-rollouts.svc:80" + RUN, [in_namespace(service("analyzer", 80))], None),
            # None given, or none of that name, or one in another namespace: the one called is not known.
            ("http://analyzer.argo-rollouts.svc" + RUN, [], None),
            ("http://analyzer.argo-rollouts.svc" + RUN, [in_namespace(service("analyzer-canary"))], None),
            ("http://analyzer.argo-rollouts.svc" + RUN, [service()], "payments"),
            ("http://analyzer.argo-rollouts" + RUN, [service()], "payments"),
            # Not a Service's name in the cluster.
            ("http://analyzer.example.com" + RUN, [service()], None),
            # A bare name resolves in the namespace of the controller's pod, which no file says: the Service given of
            # that name may be another namespace's (here the shop's, serving 80, beside the analyzer's serving 8080).
            ("http://analyzer:8080" + RUN, [in_namespace(service("analyzer", 80), "shop")], None),
            ("http://analyzer" + RUN, [service()], "argo-rollouts"),
            ("http://analyzer" + RUN, [service()], None),
            # Its own namespace and its kustomization's differ: `kubectl apply -k` puts it in the kustomization's,
            # `kubectl apply -f` in its own.
            ("http://analyzer.argo-rollouts.svc" + RUN, [in_namespace(service())], "analyzer"),
            # A Service without a namespace is applied where its deploy says: it may not be the one the url names.
            ("http://analyzer.argo-rollouts.svc" + RUN, [service()], None),
            ("http://analyzer.argo-rollouts.svc" + RUN, [in_namespace(service()), service("analyzer", 80)], None),
            # A headless Service leads to the pods, on their own ports; an ExternalName elsewhere.
            ("http://analyzer.argo-rollouts.svc" + RUN, [in_namespace(service(clusterIP="None"))], None),
            (
                "http://analyzer.argo-rollouts.svc" + RUN,
                [in_namespace(service(type="ExternalName", externalName="x.example"))],
                None,
            ),
            # A base and its overlay: one of them serves it.
            (
                "http://analyzer.argo-rollouts.svc" + RUN,
                [in_namespace(service()), in_namespace(service("analyzer", 80))],
                None,
            ),
            ("http://analyzer.argo-rollouts:{{args.port}}" + RUN, [in_namespace(service())], None),
        ],
    )
    def test_nothing_said_of_a_port_served_or_a_service_not_known(self, tmp_path, url, services, namespace):
        assert self.found(tmp_path, url, *services, namespace=namespace) == []

    def overlaid(self, tmp_path: Path, url: str, served: dict[str, Any], *namespaces: str) -> list[str]:
        """The problems of a base (a template calling `url`, the Service `served`) and an overlay of it setting each
        of `namespaces`."""
        (tmp_path / "base").mkdir()
        (tmp_path / "base" / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "base" / "service.yaml").write_text(yaml.safe_dump(served))
        (tmp_path / "base" / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["templates.yaml", "service.yaml"]})
        )
        for n, namespace in enumerate(namespaces):
            (tmp_path / f"overlay{n}").mkdir()
            (tmp_path / f"overlay{n}" / "kustomization.yaml").write_text(
                yaml.safe_dump({"namespace": namespace, "resources": ["../base"]})
            )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        return template_problems([tmp_path], catalog)

    def test_the_namespace_an_overlay_sets_is_the_services(self, tmp_path):
        # Before: nothing said; the overlay's namespace was not read, the Service's taken for unknown.
        (found,) = self.overlaid(tmp_path, f"http://analyzer.argo-rollouts.svc{self.RUN}", service(), "argo-rollouts")
        assert found.startswith(
            f"{tmp_path / 'base' / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': url calls "
            "analyzer.argo-rollouts.svc on port 80 (http's, the url writing none), which Service 'analyzer' "
            f"({tmp_path / 'base' / 'service.yaml'}) does not serve (its ports: 8080)"
        ), found

    def test_an_overlays_namespace_overrides_the_services_own(self, tmp_path):
        # Before: a problem (exit 6) for the Service's own namespace, which the overlay applies it out of.
        url = f"http://analyzer.argo-rollouts.svc{self.RUN}"
        assert self.overlaid(tmp_path, url, in_namespace(service()), "prod") == []
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert (
            f"{tmp_path / 'base' / 'service.yaml'}:1: Service 'analyzer': its namespace is not known (argo-rollouts as "
            "written, prod as overlay0 applies it): a url calling it by its namespace is not judged by its ports"
        ) in template_notes([tmp_path], catalog)

    def test_a_kustomization_listing_a_symlink_loop_is_read_around(self, tmp_path):
        # Before: a crash (RuntimeError: Symlink loop) reading the kustomization's resources.
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        (tmp_path / "kustomization.yaml").write_text(
            yaml.safe_dump({"namespace": "argo-rollouts", "resources": ["templates.yaml", "service.yaml", "loop/x"]})
        )
        (found,) = self.found(tmp_path, f"http://analyzer.argo-rollouts.svc{self.RUN}", service())
        assert "url calls analyzer.argo-rollouts.svc on port 80 (http's, the url writing none)" in found, found

    def test_overlays_setting_different_namespaces_leave_it_unknown(self, tmp_path):
        url = f"http://analyzer.argo-rollouts.svc{self.RUN}"
        assert self.overlaid(tmp_path, url, service(), "argo-rollouts", "prod") == []
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert (
            f"{tmp_path / 'base' / 'service.yaml'}:1: Service 'analyzer': its namespace is not known (argo-rollouts as "
            "overlay0 applies it, prod as overlay1 applies it): a url calling it by its namespace is not judged by its "
            "ports"
        ) in template_notes([tmp_path], catalog)

    def renamed(self, tmp_path: Path, url: str, **overlay: Any) -> list[str]:
        """The problems of a base (a template calling `url`, the Service `analyzer` serving 8080) and an overlay of it
        setting namespace argo-rollouts and `overlay`'s fields, both given."""
        (tmp_path / "base").mkdir()
        (tmp_path / "base" / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "base" / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "base" / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["templates.yaml", "service.yaml"]})
        )
        (tmp_path / "overlay").mkdir()
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump({"namespace": "argo-rollouts", "resources": ["../base"], **overlay})
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        return template_problems([tmp_path / "base", tmp_path / "overlay"], catalog)

    @pytest.mark.parametrize(
        ("overlay", "name"),
        [({"namePrefix": "prod-"}, "prod-analyzer"), ({"nameSuffix": "-v2"}, "analyzer-v2")],
        ids=["prefix", "suffix"],
    )
    def test_the_name_an_overlay_gives_is_the_services(self, tmp_path, overlay, name):
        # Before: nothing said: the Service was read as `analyzer`, and a url calling its name in the cluster was
        # taken for one calling a Service not given.
        (found,) = self.renamed(tmp_path, f"http://{name}.argo-rollouts.svc{self.RUN}", **overlay)
        assert (
            f"url calls {name}.argo-rollouts.svc on port 80 (http's, the url writing none), which Service {name!r} "
            f"({tmp_path / 'base' / 'service.yaml'}) does not serve (its ports: 8080)"
        ) in found, found

    def test_the_name_before_an_overlay_renames_it_is_not_judged(self, tmp_path):
        # Before: a problem (exit 6) for a port of the Service `analyzer`, which the overlay applies as prod-analyzer:
        # the url calls some other Service, not given.
        assert self.renamed(tmp_path, f"http://analyzer.argo-rollouts.svc:9090{self.RUN}", namePrefix="prod-") == []

    def test_nested_overlays_wrap_the_name_outermost_outside(self, tmp_path):
        (tmp_path / "outer").mkdir()
        (tmp_path / "outer" / "kustomization.yaml").write_text(
            yaml.safe_dump({"namePrefix": "eu-", "nameSuffix": "-x", "resources": ["../overlay"]})
        )
        url = f"http://eu-prod-analyzer-x.argo-rollouts.svc{self.RUN}"
        # Applied by either kustomization, it has either name: not judged, and noted.
        self.renamed(tmp_path, url, namePrefix="prod-")
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == []
        assert (
            f"{tmp_path / 'base' / 'service.yaml'}:1: Service 'analyzer': its namespace is not known "
            "(eu-prod-analyzer-x "
            "in argo-rollouts as outer applies it, prod-analyzer in argo-rollouts as overlay applies it): a url "
            "calling it by its namespace is not judged by its ports"
        ) in template_notes([tmp_path], catalog)
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump({"namePrefix": "prod-", "resources": ["../base"]})
        )
        (tmp_path / "outer" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {"namespace": "argo-rollouts", "namePrefix": "eu-", "nameSuffix": "-x", "resources": ["../overlay"]}
            )
        )
        # Only the outer one sets a namespace: the name it gives is the one a url reaches.
        (found,) = template_problems([tmp_path], catalog)
        assert "which Service 'eu-prod-analyzer-x' (" in found, found

    def test_a_service_a_component_adds_is_the_overlays(self, tmp_path):
        # Before: nothing said: the component's resources were not read as the overlay's, and the Service's namespace
        # was not known.
        (tmp_path / "component").mkdir()
        (tmp_path / "component" / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "component" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "resources": ["service.yaml"]}
            )
        )
        (tmp_path / "overlay").mkdir()
        (tmp_path / "overlay" / "templates.yaml").write_text(
            yaml.safe_dump_all(declaring_what_they_use((template(f"http://analyzer.argo-rollouts.svc{self.RUN}"),)))
        )
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {"namespace": "argo-rollouts", "resources": ["templates.yaml"], "components": ["../component"]}
            )
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path / "overlay", tmp_path / "component"], catalog)
        assert "which Service 'analyzer' (" in found and "does not serve (its ports: 8080)" in found, found

    @pytest.mark.parametrize("given", [["overlay"], ["overlay", "component"]])
    def test_a_components_own_prefix_and_namespace_rename_the_overlays_service(self, tmp_path, given):
        # Kustomize runs a component's transformers over all that the kustomization including it holds (its own
        # resources too), inside the kustomization's own. Before: the overlay's Service was known as 'prod-analyzer'
        # of no namespace, and a url calling prod-eu-analyzer.argo-rollouts on a port it does not serve was judged by
        # no Service (nothing said: exit 0, and every measurement a connection refused).
        (tmp_path / "component").mkdir()
        (tmp_path / "component" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                    "kind": "Component",
                    "namePrefix": "eu-",
                    "namespace": "argo-rollouts",
                }
            )
        )
        (tmp_path / "overlay").mkdir()
        (tmp_path / "overlay" / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "overlay" / "templates.yaml").write_text(
            yaml.safe_dump_all(
                declaring_what_they_use((template(f"http://prod-eu-analyzer.argo-rollouts.svc{self.RUN}"),))
            )
        )
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {"namePrefix": "prod-", "resources": ["templates.yaml", "service.yaml"], "components": ["../component"]}
            )
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path / name for name in given], catalog)
        assert "which Service 'prod-eu-analyzer' (" in found and "does not serve (its ports: 8080)" in found, found

    def test_a_service_a_component_patches_is_not_judged(self, tmp_path):
        # Before: a problem (exit 6) for the ports as written, which the component's patch may change (a component
        # outside the paths given was not read).
        (tmp_path / "component").mkdir()
        (tmp_path / "component" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                    "kind": "Component",
                    "patches": [{"target": {"kind": "Service", "name": "analyzer"}, "path": "port.yaml"}],
                }
            )
        )
        found = self.renamed(tmp_path, f"http://analyzer.argo-rollouts.svc{self.RUN}", components=["../component"])
        assert found == []

    @pytest.mark.parametrize(("called", "judged"), [("prod-analyzer", True), ("analyzer", False)])
    def test_the_name_the_kustomization_listing_the_service_gives_is_its(self, tmp_path, called, judged):
        # The base itself renames (no overlay given): mut rev33e, its namePrefix dropped, survived.
        self.renamed(tmp_path, f"http://{called}.argo-rollouts.svc:9090{self.RUN}")
        (tmp_path / "base" / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {"namespace": "argo-rollouts", "namePrefix": "prod-", "resources": ["templates.yaml", "service.yaml"]}
            )
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        found = template_problems([tmp_path / "base"], catalog)
        if judged:
            (problem,) = found
            assert "which Service 'prod-analyzer' (" in problem, problem
        else:
            assert found == []

    @pytest.mark.parametrize("key", ["resources", "components", "patchesStrategicMerge"])
    def test_an_entry_holding_a_nul_is_no_crash(self, tmp_path, key):
        # Before: a crash (ValueError: embedded null byte, exit 1), for a component's since val33: no path holds one,
        # and kustomize reads nothing there.
        self.renamed(tmp_path, f"http://analyzer.argo-rollouts.svc:8080{self.RUN}")
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump({"namespace": "argo-rollouts", "resources": ["../base"], key: ["a\0b"]})
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == []
        template_notes([tmp_path], catalog)

    def test_a_remote_resource_is_noted_as_not_read(self, tmp_path):
        remote = "https://github.com/example/deploy//base?ref=v1"
        self.renamed(tmp_path, f"http://analyzer.argo-rollouts.svc:8080{self.RUN}")
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["../base", remote], "components": ["git@github.com:example/c.git"]})
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        notes = [note for note in template_notes([tmp_path], catalog) if "is remote" in note]
        kustomization = tmp_path / "overlay" / "kustomization.yaml"
        advice = (
            "is remote: validate does not read it (what it applies is not checked); render the kustomization "
            "(kubectl kustomize DIR > rendered.yaml) and validate that"
        )
        assert notes == [
            f"{kustomization}:5: resources entry {remote!r} {advice}",
            f"{kustomization}:2: components entry 'git@github.com:example/c.git' {advice}",
        ]

    def test_the_target_port_of_another_service_of_the_name_is_not_noted(self, tmp_path):
        # The url's namespace holds a Service of the name serving its port: the one of unknown namespace whose
        # targetPort it is, is not the one it reaches.
        targeted = service("analyzer", 80)
        targeted["spec"]["ports"][0]["targetPort"] = 8080
        assert self.found(tmp_path, f"http://analyzer.argo-rollouts.svc:8080{self.RUN}", in_namespace(service())) == []
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "service.yaml").write_text(yaml.safe_dump(targeted))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert [note for note in template_notes([tmp_path], catalog) if "targetPort" in note] == []

    @pytest.mark.parametrize(("host", "noted"), [("analyzer.argo-rollouts", True), ("other.argo-rollouts.svc", False)])
    def test_a_service_of_unknown_namespace_is_noted_when_a_url_calls_it(self, tmp_path, host, noted):
        self.overlaid(tmp_path, f"http://{host}{self.RUN}", service(), "argo-rollouts", "prod")
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        notes = [note for note in template_notes([tmp_path], catalog) if "its namespace is not known" in note]
        assert bool(notes) is noted, notes

    def test_a_url_calling_the_target_port_says_so(self, tmp_path):
        # Before: said as any port not served, without the mix-up (the pods' port written for the Service's).
        targeted = in_namespace(service("analyzer", 80))
        targeted["spec"]["ports"][0]["targetPort"] = 8080
        (found,) = self.found(tmp_path, f"http://analyzer.argo-rollouts.svc:8080{self.RUN}", targeted)
        assert (
            "url calls analyzer.argo-rollouts.svc on port 8080, which Service 'analyzer' "
            f"({tmp_path / 'service.yaml'}) does not serve (its ports: 80): 8080 is its targetPort, the pods' port, "
            "which only the Service's port 80 leads to: the connection reaches no pod"
        ) in found, found
        assert found.endswith("write http://analyzer.argo-rollouts.svc:80/api/v1/checks/..."), found

    @pytest.mark.parametrize("host", ["analyzer", "analyzer.argo-rollouts.svc"])
    def test_the_target_port_of_a_service_whose_namespace_is_not_known_is_noted(self, tmp_path, host):
        # Before: nothing said. The bare name resolves in the controller's namespace (no file says which), and a
        # Service without a namespace of its own is applied where its deploy says: not judged, but the url's port is
        # the pods' port of the Service of that name given.
        targeted = service("analyzer", 80)
        targeted["spec"]["ports"][0]["targetPort"] = 8080
        url = f"http://{host}:8080{self.RUN}"
        assert self.found(tmp_path, url, targeted) == []
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_notes([tmp_path], catalog) == [
            f"{tmp_path / 'templates.yaml'}:1: AnalysisTemplate 'payments': metric 'errors' calls {host} on port 8080, "
            f"the targetPort (the pods' port) of Service 'analyzer' ({tmp_path / 'service.yaml'}), which serves it "
            "on port 80: if that is the Service the url reaches, the connection reaches no pod, and every measurement "
            f"is an Error; write http://{host}:80/api/v1/checks/..."
        ]

    @pytest.mark.parametrize(("port", "target"), [(8080, 8080), (8080, "http"), (80, 9090)])
    def test_a_port_served_or_a_named_target_port_is_not_noted(self, tmp_path, port, target):
        targeted = service("analyzer", port)
        targeted["spec"]["ports"][0]["targetPort"] = target
        self.found(tmp_path, f"http://analyzer:8080{self.RUN}", targeted)
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_notes([tmp_path], catalog) == []

    @pytest.mark.parametrize(
        "patch",
        [
            {
                "target": {"kind": "Service", "name": "analyzer"},
                "patch": "- {op: replace, path: /spec/ports/0/port, value: 80}",
            },
            {
                "patch": yaml.safe_dump(
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": {"name": "analyzer"},
                        "spec": {"ports": [{"name": "p8080", "port": 80}]},
                    }
                )
            },
            {"path": "service-port.yaml"},
        ],
    )
    def test_a_service_an_overlay_patches_is_not_judged(self, tmp_path, patch):
        # Before: exit 6 on an overlay that serves the analyzer on 80, which the base's 8080 was judged by.
        (tmp_path / "base").mkdir()
        (tmp_path / "base" / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "base" / "kustomization.yaml").write_text(
            yaml.safe_dump({"namespace": "argo-rollouts", "resources": ["service.yaml"]})
        )
        (tmp_path / "overlay").mkdir()
        if "path" in patch:
            (tmp_path / "overlay" / "service-port.yaml").write_text(
                yaml.safe_dump(
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": {"name": "analyzer"},
                        "spec": {"ports": [{"name": "p8080", "port": 80}]},
                    }
                )
            )
        (tmp_path / "overlay" / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["../base"], "patches": [patch]})
        )
        (tmp_path / "templates.yaml").write_text(
            yaml.safe_dump_all(declaring_what_they_use((template("http://analyzer.argo-rollouts.svc" + self.RUN),)))
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path / "templates.yaml", tmp_path / "base", tmp_path / "overlay"], catalog) == []
        # The base alone: its port is judged.
        (found,) = template_problems([tmp_path / "templates.yaml", tmp_path / "base"], catalog)
        assert "on port 80 (http's, the url writing none), which Service 'analyzer'" in found, found

    def test_an_analysis_run_too(self, tmp_path):
        run = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {"name": "payments-1"},
            "spec": {
                "args": [{"name": "canary-hash", "value": "abc"}],
                "metrics": template("http://analyzer.argo-rollouts.svc" + self.RUN)["spec"]["metrics"],
            },
        }
        (tmp_path / "run.yaml").write_text(yaml.safe_dump_all([run, in_namespace(service())]))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = analysis_run_problems([tmp_path], catalog)
        assert "url calls analyzer.argo-rollouts.svc on port 80 (http's, the url writing none)" in found, found


class TestTemplatesNotGiven:
    """An analysis naming a template that no file given holds (Argo looks it up in the cluster) is said in a note,
    which does not change the exit code: that template's metrics are not checked for it."""

    def test_a_note_names_the_analysis_and_the_template(self, tmp_path):
        elsewhere = rollout([step({"name": "check", "value": "payments-error-rate"}, name="elsewhere")])
        cluster = rollout(templates=[{"templateName": "shared", "clusterScope": True}])
        (tmp_path / "manifests.yaml").write_text(yaml.safe_dump_all([generic(), elsewhere, cluster]))
        where = f"{tmp_path / 'manifests.yaml'}"
        assert template_notes([tmp_path]) == [
            f"{where}:31: Rollout 'payments', spec.strategy.canary.steps[0].analysis: AnalysisTemplate 'elsewhere' is "
            "not among the files "
            "given, so its metrics are not checked for this analysis; Argo looks it up in the Rollout's namespace, "
            "and without it there marks the Rollout InvalidSpec (AnalysisTemplate 'elsewhere' not found)",
            f"{where}:48: Rollout 'payments', spec.strategy.canary.analysis: ClusterAnalysisTemplate 'shared' is not "
            "among the files given, "
            "so its metrics are not checked for this analysis; Argo looks it up in the cluster, and without it there "
            "marks the Rollout InvalidSpec (ClusterAnalysisTemplate 'shared' not found)",
        ]

    def test_the_note_names_the_template_meant(self, tmp_path):
        # Before: the note ended at "not found", while the files given held the template under the other kind (a
        # clusterScope left out or added) or under a near name (a misspelt templateName).
        cluster = generic()
        cluster["kind"] = "ClusterAnalysisTemplate"
        unscoped = rollout([step({"name": "check", "value": "payments-error-rate"})])
        scoped = rollout([step({"name": "check", "value": "payments-error-rate"})])
        scoped["spec"]["strategy"]["canary"]["steps"][0]["analysis"]["templates"][0]["clusterScope"] = True
        misspelt = rollout([step({"name": "check", "value": "payments-error-rate"}, name="analyzer-chek")])
        path = tmp_path / "manifests.yaml"
        path.write_text(yaml.safe_dump_all([cluster, unscoped]))
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            f"(AnalysisTemplate 'analyzer-check' not found); {path} gives a ClusterAnalysisTemplate 'analyzer-check': "
            "to run it, add clusterScope: true to the analysis's template reference"
        )
        path.write_text(yaml.safe_dump_all([generic(), scoped]))
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            f"(ClusterAnalysisTemplate 'analyzer-check' not found); {path} gives an AnalysisTemplate 'analyzer-check': "
            "to run it, remove clusterScope: true from the analysis's template reference"
        )
        path.write_text(yaml.safe_dump_all([generic(), misspelt]))
        (note,) = template_notes([tmp_path])
        assert note.endswith(f"(AnalysisTemplate 'analyzer-chek' not found); did you mean 'analyzer-check' ({path})?")

    def test_a_template_given_twice_with_different_content(self, tmp_path):
        base, overlay = generic(), generic()
        overlay["spec"]["metrics"][0]["count"] = 3
        (tmp_path / "manifests.yaml").write_text(yaml.safe_dump_all([base, overlay, rollout([step()])]))
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            "AnalysisTemplate 'analyzer-check' is given 2 times with different content (a base and its overlay?), so "
            "its metrics are not checked for this analysis"
        )

    def test_validate_says_it_and_exits_0(self, tmp_path):
        # Before: nothing said; the Rollout's template went unchecked without a word.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "rollout.yaml").write_text(yaml.safe_dump(rollout([step(name="elsewhere")])))
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            "note: " in result.stdout and "AnalysisTemplate 'elsewhere' is not among the files given" in result.stdout
        )
        assert result.stdout.splitlines()[-1].startswith("ok: 1 check")


class TestDryRunRulesAsGoReadsThem:
    """A dryRun rule is a Go (RE2) regular expression: one Python's `re` cannot read (`\\pL`, `\\z`, `\\Q...\\E`,
    `[[:alpha:]]`) is read as Go reads it, and one RE2 refuses (a lookahead, a backreference) matches nothing, as in
    Argo, where a rule that matches no metric ends the AnalysisRun in Error: a problem."""

    @staticmethod
    def unread(*rules: str) -> dict[str, Any]:
        unread = TestDryRunOfTheRollout.unread()
        unread["spec"]["dryRun"] = [{"metricName": rule} for rule in rules]
        return unread

    @pytest.mark.parametrize("rule", [r"^\pL+$", r"^\p{L}+\z", r"\Qerrors\E", r"^[[:alpha:]]+$", r"^\145rrors"])
    def test_go_syntax_that_python_lacks(self, tmp_path, rule):
        # Before: re.error, then the rule compared as a name: the metric judged, "successCondition is missing".
        assert problems(tmp_path, self.unread(rule)) == []

    @pytest.mark.parametrize(
        ("rule", "name", "dry"),
        [
            # Go's \d \w \s \b and POSIX classes are ASCII; its \s has no \v.
            (r"^errors-\d$", "errors-\u0663", False),
            (r"^errors-\d$", "errors-3", True),
            (r"^\w+$", "\u00e9rrors", False),
            (r"^errors\s", "errors\u00a0", False),
            (r"^errors\s", "errors\v", False),
            (r"^errors\s", "errors\t", True),
            (r"\berrors", "\u00e9errors", True),
            (r"\Berrors", "\u00e9errors", False),
            (r"^[[:alpha:]]+$", "\u00e9rrors", False),
            (r"^[\d.]+$", "1.\u0663", False),
            # Without (?m) Go's $ is the end of the text: a trailing newline is no end.
            (r"^errors$", "errors\n", False),
            (r"(?m)^errors$", "x\nerrors\ny", True),
            # A (?i) holds to the end of its group, across a |.
            (r"^a(?i)b|c$", "C", True),
            (r"^(?i:E)rrors$", "eRrors", False),
            (r"[]e]rrors", "errors", True),
            # Under (?i) Go folds a class, then negates it: "s" (a variant of "\u017f") is in no (?i)\W.
            (r"(?i)\W", "errors", False),
            (r"(?i)^[[:^upper:]]", "errors", False),
            (r"(?i)^[^\W]+$", "\u212a", True),
            # Nor is an "i" or an "I", whose variants under `regex`'s folding "\u0130" and "\u0131" Go does not fold.
            (r"(?i)\W", "api_errors", False),
            (r"(?i)^[[:^alpha:]]", "Ierrors", False),
            (r"(?i)^[^\W]+$", "api_errors", True),
            (r"(?i)[\S\W]", "api", True),
            # A repetition after a `(?flags)` repeats the rune before it, under that rune's flags.
            (r"^errors(?U)+$", "errorsss", True),
            (r"^errors(?i)+$", "errorsS", False),
            (r"^(errors)(?i)*-x$", "errorserrors-x", True),
            # A `-` after a class is a literal, and a range may end in an escape.
            (r"^errors[\d-x]$", "errors-", True),
            (r"^[!-[:alpha:]]+$", "errors", False),
            (r"^[\x{61}-\x7a]+$", "errors", True),
            # A class holds Go's control escapes and escaped punctuation.
            (r"^errors[\t]$", "errors\t", True),
            (r"^errors[\-.]rate$", "errors-rate", True),
            # A repetition after a `(?flags)` or an empty `\Q\E` repeats the rune before them (the last one quoted),
            # lazily with a `?`.
            (r"^errors(?i)+?$", "error", False),
            (r"^errors(?i)\Q\E+$", "errorss", True),
            (r"^\Qerrors\E(?i)+$", "errorss", True),
            # A range of one character is one.
            (r"^[e-e]rrors$", "errors", True),
            # The last code point is one.
            (r"^errors\x{10FFFF}?$", "errors", True),
        ],
    )
    def test_a_rule_matches_the_names_go_matches(self, tmp_path, rule, name, dry):
        # Before: Python's Unicode classes and $ ran "errors-\u0663" dry under ^errors-\d$ (Go judges it) and
        # judged "\u00e9errors" under \berrors (Go runs it dry).
        unread = self.unread(rule)
        unread["spec"]["metrics"][0]["name"] = name
        # A judged metric has one problem: its missing successCondition.
        assert len(problems(tmp_path, unread)) == (0 if dry else 1)

    @pytest.mark.parametrize(
        ("rule", "reason"),
        [
            (r"^(?=e)errors$", "RE2 has no (?= group"),
            (r"(e)rrors\1?", "RE2 has no backreference \\1"),
            (r"errors\Z", "RE2 has no escape \\Z"),
            (r"errors*+", "RE2 repeats no repetition (*+)"),
            (r"errors[\b]", "RE2 has no escape \\b in a character class"),
            (r"errors[a-", "RE2 has no ] for this ["),
            (r"(errors", "RE2 has no ) for this ("),
            (r"[[:digits:]]", "RE2 has no class [:digits:]"),
            (r"errors-\d{3,2}", "RE2 has no repeat count {3,2}, its least above its most"),
            (r"errors\p{Foo}", "RE2 has no Unicode class \\p{Foo}"),
            (r"errors[\P{Foo}]", "RE2 has no Unicode class \\P{Foo}"),
            (r"errors\pX", "RE2 has no Unicode class \\pX"),
            (r"errors\p{Alpha}", "RE2 has no Unicode class \\p{Alpha}"),
            (r"errors[a-\d]", "RE2 has no escape \\d"),
            (r"errors[a-\pL]", "RE2 has no escape \\p"),
            (r"errors[z-a]", "RE2 has no range z-a, its start above its end"),
            (r"errors[a-[:digit:]]", "RE2 has no range a-[, its start above its end"),
            (r"errors[[:Alpha:]]", "RE2 has no class [:Alpha:]"),
            (r"\Q\E*errors", "RE2 has nothing for * to repeat"),
            (r"errors\x{110000}", "RE2 has no escape \\x{110000}"),
            ("errors\\\u00e9", "RE2 has no escape \\\u00e9"),
            ("errors\\\u00b7", "RE2 has no escape \\\u00b7"),
        ],
    )
    def test_a_rule_go_refuses_matches_nothing(self, tmp_path, rule, reason):
        # Before: Python matched it: the metric Argo judges went unjudged (its missing successCondition unsaid).
        found = problems(tmp_path, self.unread(rule))
        assert len(found) == 2, found
        assert "successCondition is missing" in found[1]
        assert found[0].endswith(
            f"dryRun rule {rule!r} is no Go regular expression ({reason}): Argo matches it to no metric, and a rule "
            "that matches none ends the AnalysisRun in Error at once (Rule didn't match any metric name(s))"
        )

    def test_a_rule_of_the_rollout_go_refuses(self, tmp_path):
        found = written(
            tmp_path, self.unread(), rollout(**TestDryRunOfTheRollout.REF, dryRun=[{"metricName": "(?!x)"}])
        )
        assert any(
            "Rollout 'payments', spec.strategy.canary.analysis: dryRun rule '(?!x)' is no Go regular expression" in p
            for p in found
        ), found

    def test_a_rule_this_reading_cannot_follow_is_noted(self, monkeypatch, tmp_path):
        # No rule RE2 takes is known that the translation misses: one is made so, to see what validate then does.
        monkeypatch.setattr(argo_templates, "_from_go", lambda pattern: "(" if pattern == "e.*" else pattern)
        argo_templates._go_regexp.cache_clear()
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(self.unread("e.*")))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        # Judged: the missing successCondition is said.
        assert len(template_problems([tmp_path], catalog)) == 1
        (note,) = template_notes([tmp_path])
        argo_templates._go_regexp.cache_clear()
        assert note.endswith(
            "AnalysisTemplate 'payments': dryRun rule 'e.*' is read by Go's regexp and not by validate, "
            "which counts it as matching no metric (the metrics it may run dry are judged)"
        )

    def test_a_rule_nested_deeper_than_this_reading_recurses_is_noted(self, tmp_path):
        # RE2 takes 1000 nested groups; regex's parser recursed once per group: validate crashed.
        rule = "(?:" * 300 + "e.*" + ")" * 300
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(self.unread(rule)))
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            f"AnalysisTemplate 'payments': dryRun rule {rule!r} is read by Go's regexp and not by validate, "
            "which counts it as matching no metric (the metrics it may run dry are judged)"
        )

    UNREAD_RETENTION = (
        "measurementRetention rule 'e.*' is read by Go's regexp and not by validate, which cannot tell whether it "
        "matches a metric (Argo ends the AnalysisRun in Error if it matches none)"
    )

    def test_a_retention_rule_this_reading_cannot_follow_is_noted(self, monkeypatch, tmp_path):
        # Before: only the dryRun rules of templates and analyses were looked at: a measurementRetention rule (or any
        # rule of an AnalysisRun) validate cannot read went unsaid, and with it whether Argo ends the run in Error.
        monkeypatch.setattr(argo_templates, "_from_go", lambda pattern: "(" if pattern == "e.*" else pattern)
        argo_templates._go_regexp.cache_clear()
        kept = self.unread()
        kept["spec"]["measurementRetention"] = [{"metricName": "e.*", "limit": 5}]
        ref = {"templates": [{"templateName": "payments"}], "measurementRetention": [{"metricName": "e.*", "limit": 5}]}
        run = analysis_run(TestAnalysisRuns.URL, TestNamedTwice.CHECK, TestAnalysisRuns.HASH)
        run["spec"].update(measurementRetention=[{"metricName": "e.*", "limit": 5}], dryRun=[{"metricName": "e.*"}])
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(kept))
        (tmp_path / "run.yaml").write_text(yaml.safe_dump_all([run, rollout(**ref)]))
        notes = template_notes([tmp_path])
        argo_templates._go_regexp.cache_clear()
        assert [note for note in notes if note.startswith(f"{tmp_path / 'run.yaml'}:1: AnalysisRun 'payments-1': ")]
        assert sorted(note.split(": ", 1)[1] for note in notes) == [
            "AnalysisRun 'payments-1': dryRun rule 'e.*' is read by Go's regexp and not by validate, which counts it "
            "as matching no metric (the metrics it may run dry are judged)",
            f"AnalysisRun 'payments-1': {self.UNREAD_RETENTION}",
            f"AnalysisTemplate 'payments': {self.UNREAD_RETENTION}",
            f"Rollout 'payments', spec.strategy.canary.analysis: {self.UNREAD_RETENTION}",
        ]


def analysis_run(url: str, *args: dict[str, Any], **metric: Any) -> dict[str, Any]:
    """An AnalysisRun of one web metric calling `url`, with `args` (Argo's own, already resolved)."""
    spec = template(url)["spec"]
    spec["metrics"][0].update(metric)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": "payments-1"},
        "spec": {"args": list(args), "metrics": spec["metrics"]},
    }


class TestAnalysisRuns:
    """An AnalysisRun given beside the catalog is checked as Argo runs it: its metrics with its own args filled
    in, its own dryRun; an arg without a value ends it in Error."""

    URL = f"{ANALYZER}/api/v1/checks/{{{{args.check}}}}/run?canary_hash={{{{args.canary-hash}}}}"
    HASH = {"name": "canary-hash", "value": "abc"}

    def test_a_misspelt_check_its_args_fill_in(self, tmp_path):
        # Before: skipped in a directory without a word, "not a catalog" (exit 6 whatever it said) given by name.
        found = written(tmp_path, analysis_run(self.URL, {"name": "check", "value": "payments-eror-rate"}, self.HASH))
        assert found == [
            f"{tmp_path / 'manifests.yaml'}:12: AnalysisRun 'payments-1', metric 'errors' (args: check="
            "'payments-eror-rate', canary-hash='abc'): url calls check 'payments-eror-rate', which the catalog does "
            "not have; did you mean 'payments-error-rate'? (every measurement would be a 404: an Error, and the "
            "rollout aborts after five)"
        ]
        assert (
            written(tmp_path, analysis_run(self.URL, {"name": "check", "value": "payments-error-rate"}, self.HASH))
            == []
        )

    def test_an_arg_without_a_value_and_its_own_dry_run(self, tmp_path):
        run = analysis_run(self.URL, {"name": "check"}, self.HASH)
        (found,) = written(tmp_path, run)
        assert found.endswith(
            "AnalysisRun 'payments-1': arg 'check' has no value: Argo ends the AnalysisRun in Error at once (Unable to "
            'resolve metric arguments: argument "check" was not supplied)'
        )
        unread = analysis_run(self.URL, {"name": "check", "value": "payments-error-rate"}, self.HASH)
        unread["spec"]["metrics"][0].pop("successCondition")
        assert len(written(tmp_path, unread)) == 1
        unread["spec"]["dryRun"] = [{"metricName": "err"}]
        assert written(tmp_path, unread) == []

    def test_validate_reads_a_file_of_analysis_runs(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        run = analysis_run(self.URL, {"name": "check", "value": "payments-eror-rate"}, self.HASH)
        (tmp_path / "run.yaml").write_text(yaml.safe_dump(run))
        result = validate(tmp_path / "catalog.yaml", tmp_path / "run.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        assert "url calls check 'payments-eror-rate'" in result.stderr
        # Before: under "an AnalysisTemplate calls the catalog wrongly", which the file holds none of.
        assert "analyzer: an AnalysisRun calls the catalog wrongly:\n" in result.stderr
        assert "AnalysisTemplate" not in result.stderr
        assert f"1 file of AnalysisRuns, checked against the catalog with their args: {tmp_path / 'run.yaml'}" in (
            result.stdout
        )


def crd_valid(*documents: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The documents, asserted valid against Argo Rollouts' CRDs (no field they do not declare either)."""
    for document in documents:
        validator = _crd_validator(document["kind"])
        assert [e.message for e in validator.iter_errors(document)] == [], document
        assert undeclared_fields(validator.schema, document) == [], document
    return documents


def blue_green(*analysis_templates: str, **analysis: Any) -> dict[str, Any]:
    """A blue-green Rollout whose prePromotionAnalysis runs these templates."""
    templates = [{"templateName": name} for name in analysis_templates]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "payments"},
        "spec": {
            "selector": {"matchLabels": {"app": "payments"}},
            "template": {
                "metadata": {"labels": {"app": "payments"}},
                "spec": {"containers": [{"name": "payments", "image": "registry.example.com/payments:2"}]},
            },
            "strategy": {
                "blueGreen": {
                    "activeService": "payments",
                    "prePromotionAnalysis": {"templates": templates, **analysis},
                }
            },
        },
    }


class TestEachTemplateResolvedAlone:
    """Before rolling out, Argo resolves the metrics of each template of a step or blue-green analysis with that
    template's own args alone (validation_references.go, validateAnalysisMetrics): an arg with both a value and a
    valueFrom, or a `{{args.x}}` that only another template of the analysis declares, makes the Rollout
    InvalidSpec; a background analysis, which Argo does not check so, merges the args of its templates."""

    CHECK = {"name": "check", "value": "payments-error-rate"}

    def test_an_arg_with_both_a_value_and_a_value_from(self, tmp_path):
        # Before: no problem, exit 0; Argo marked the Rollout InvalidSpec and rolled nothing out.
        both = generic()
        both["spec"]["args"][0]["valueFrom"] = {"secretKeyRef": {"name": "analyzer", "key": "check"}}
        both["spec"]["args"][0]["value"] = "payments-error-rate"
        gate = rollout([{"setWeight": 20}, step()])
        (found,) = written(tmp_path, *crd_valid(both, gate))
        assert found == (
            f"{tmp_path / 'manifests.yaml'}:1: AnalysisTemplate 'analyzer-check': arg 'check' has both a value and a "
            "valueFrom: Argo refuses a Rollout whose step or blue-green analysis runs the template (InvalidSpec: "
            "AnalysisTemplate analyzer-check: arg 'check' has both Value and ValueFrom fields) and rolls nothing "
            "out; keep one"
        )
        # In a background analysis Argo reads the Secret and does not refuse it.
        background = rollout(templates=[{"templateName": "analyzer-check"}], args=[LATEST])
        assert written(tmp_path, *crd_valid(both, background)) == []
        # Run by no Rollout given: a note, the analyses that run it being unknown.
        (tmp_path / "manifests.yaml").write_text(yaml.safe_dump(both))
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            "AnalysisTemplate 'analyzer-check': arg 'check' has both a value and a valueFrom: Argo refuses a Rollout "
            "whose step or blue-green analysis runs the template (InvalidSpec: AnalysisTemplate analyzer-check: arg "
            "'check' has both Value and ValueFrom fields) and rolls nothing out; keep one"
        )

    def test_an_arg_only_another_template_of_the_analysis_declares(self, tmp_path):
        # Before: no problem, exit 0 (the args of the analysis's templates taken together); Argo refuses the Rollout.
        undeclared = generic()
        undeclared["spec"]["args"] = [{"name": "check"}]
        other = generic()
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "other-errors"
        gate = blue_green("analyzer-check", "other", args=[self.CHECK, {"name": "canary-hash", "value": "abc"}])
        (found,) = written(tmp_path, *crd_valid(undeclared, other, gate))
        assert found == (
            f"{tmp_path / 'manifests.yaml'}:9: AnalysisTemplate 'analyzer-check', metric 'errors': it uses "
            "{{args.canary-hash}}, which only another template run with it declares: Argo resolves the metrics of "
            "each template of a step or blue-green analysis with that template's args alone, and refuses the "
            "Rollout (InvalidSpec: AnalysisTemplate analyzer-check: failed to resolve {{args.canary-hash}}); "
            "declare it in this template's args too"
        )
        # Declared by each: fine.
        assert written(tmp_path, *crd_valid(generic(), other, gate)) == []

    def test_a_template_not_given_does_not_matter_to_a_gate(self, tmp_path):
        # A step's template is resolved alone: another template not given cannot declare its args for it.
        undeclared = generic()
        undeclared["spec"]["args"] = [{"name": "check"}]
        gate = blue_green("analyzer-check", "elsewhere", args=[self.CHECK])
        (found,) = written(tmp_path, *crd_valid(undeclared, gate))
        assert "it uses {{args.canary-hash}}, which the template does not declare in its args" in found


class TestDryRunRulesThatMatchNoMetric:
    """A dryRun rule Go reads that matches no metric of the AnalysisRun (the analysis's templates together, every
    analysis of an Experiment taking the Experiment's rules) ends that run in Error at once (GetDryRunMetrics:
    `Rule didn't match any metric name(s)`): a problem where the run's metrics are all known, a note for a template
    no analysis given runs (a template run with it may have the metric)."""

    def test_a_rule_of_a_step_that_matches_no_metric(self, tmp_path):
        # Before: no problem, exit 0; the step's AnalysisRun ended in Error at once and the rollout aborted.
        gate = rollout([step({"name": "check", "value": "payments-error-rate"}, dryRun=[{"metricName": "erors"}])])
        (found,) = written(tmp_path, *crd_valid(generic(), gate))
        assert found == (
            f"{tmp_path / 'manifests.yaml'}:31: Rollout 'payments', spec.strategy.canary.steps[0].analysis: "
            "dryRun rule "
            "'erors' matches no metric of the run (errors): Argo ends the AnalysisRun in Error at once (Analysis spec "
            "invalid: dryRun[0]: Rule didn't match any metric name(s))"
        )
        fine = rollout([step({"name": "check", "value": "payments-error-rate"}, dryRun=[{"metricName": "err"}])])
        assert written(tmp_path, *crd_valid(generic(), fine)) == []

    def test_a_templates_rule_counted_after_the_analysis_rules(self, tmp_path):
        # Argo puts the analysis's rules first, then its templates'.
        ruled = generic()
        ruled["spec"]["dryRun"] = [{"metricName": "^latency$"}]
        gate = rollout([step({"name": "check", "value": "payments-error-rate"}, dryRun=[{"metricName": "err"}])])
        (found,) = written(tmp_path, *crd_valid(ruled, gate))
        assert "dryRun rule '^latency$' matches no metric of the run (errors)" in found
        assert "(Analysis spec invalid: dryRun[1]: Rule didn't match any metric name(s))" in found

    def test_an_experiments_rules_go_to_each_of_its_analyses(self, tmp_path):
        other = generic()
        other["metadata"]["name"], other["spec"]["metrics"][0]["name"] = "other", "latency"
        args = [{"name": "check", "value": "payments-error-rate"}, {"name": "canary-hash", "value": "abc"}]
        exp = experiment(
            {"name": "a", "templateName": "analyzer-check", "args": args},
            {"name": "b", "templateName": "other", "args": args},
        )
        exp["spec"]["dryRun"] = [{"metricName": "latency"}]
        (found,) = written(tmp_path, generic(), other, exp)
        assert found.startswith(
            f"{tmp_path / 'manifests.yaml'}:51: Experiment 'payments-exp', spec.analyses[0]: dryRun rule 'latency' "
            "matches no metric of the run (errors)"
        )

    def test_a_template_no_analysis_given_runs(self, tmp_path):
        ruled = TestDryRunRulesAsGoReadsThem.unread("^eros$")
        # Judged (the rule runs nothing dry): its missing successCondition is its one problem.
        assert len(problems(tmp_path, ruled)) == 1
        (note,) = template_notes([tmp_path])
        assert note.endswith(
            "AnalysisTemplate 'payments': dryRun rule '^eros$' matches no metric of the template (errors): unless "
            "Argo runs it with a template that has one, it ends the AnalysisRun in Error at once (Rule didn't "
            "match any metric name(s))"
        )

    def test_an_analysis_run(self, tmp_path):
        run = analysis_run(
            TestAnalysisRuns.URL, {"name": "check", "value": "payments-error-rate"}, TestAnalysisRuns.HASH
        )
        run["spec"]["dryRun"] = [{"metricName": "err"}, {"metricName": "latency"}]
        (found,) = written(tmp_path, *crd_valid(run))
        assert found.endswith(
            "AnalysisRun 'payments-1': dryRun rule 'latency' matches no metric of the run (errors): Argo ends the "
            "AnalysisRun in Error at once (Analysis spec invalid: dryRun[1]: Rule didn't match any metric name(s))"
        )

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        gate = rollout([step({"name": "check", "value": "payments-error-rate"}, dryRun=[{"metricName": "erors"}])])
        (tmp_path / "rollout.yaml").write_text(yaml.safe_dump_all([generic(), gate]))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "Rule didn't match any metric name(s)" in result.stderr


def nesting(name: str, *nested: str, **spec: Any) -> dict[str, Any]:
    """An AnalysisTemplate `name` without metrics of its own that runs the templates `nested` (Argo 1.7 and later)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": name},
        "spec": {"templates": [{"templateName": template} for template in nested], **spec},
    }


class TestNestedTemplates:
    """The templates an AnalysisTemplate names in its `templates` are part of every AnalysisRun made of it: their
    metrics, args and dryRun rules are resolved with its own, as Argo flattens them; a ring of templates naming each
    other is a problem (Argo follows it without end), a nested template not given a note."""

    RING = (
        "Argo follows nested templates with no check for a ring (getReferencedAnalysisTemplatesFromRef), so the "
        "controller recurses without end on any Rollout or Experiment that runs one of them, until its stack "
        "overflows and the controller dies (every Rollout it manages stops); take one of them out of the ring"
    )

    def test_a_misspelt_check_through_a_nested_template(self, tmp_path):
        # Before: no problem, exit 0 (an analysis of a template naming templates went unchecked); every measurement
        # of that step was a 404, and the rollout aborted.
        gate = rollout([step({"name": "check", "value": "payments-eror-rate"}, name="parent")])
        (found,) = written(tmp_path, *crd_valid(nesting("parent", "analyzer-check"), generic(), gate))
        assert found.startswith(
            f"{tmp_path / 'manifests.yaml'}:39: Rollout 'payments', spec.strategy.canary.steps[0].analysis: "
            "AnalysisTemplate 'analyzer-check', metric 'errors' (args: check='payments-eror-rate'): url calls check "
            "'payments-eror-rate', which the catalog does not have"
        )
        fine = rollout([step({"name": "check", "value": "payments-error-rate"}, name="parent")])
        assert written(tmp_path, *crd_valid(nesting("parent", "analyzer-check"), generic(), fine)) == []

    def test_an_arg_of_a_nested_template_the_analysis_does_not_pass(self, tmp_path):
        gate = rollout([{"analysis": {"templates": [{"templateName": "parent"}], "args": [LATEST]}}])
        (found,) = written(tmp_path, *crd_valid(nesting("parent", "analyzer-check"), generic(), gate))
        assert found.endswith(
            "AnalysisTemplate 'analyzer-check' declares arg 'check' without a value, and the analysis does not pass "
            "it: Argo refuses the Rollout (InvalidSpec: args.check was not resolved) and rolls nothing out; pass it "
            "in the analysis's args, or give the template's arg a value"
        )

    def test_the_parents_dry_run_rule_runs_the_nested_metrics_dry(self, tmp_path):
        # Before: the nested template, run by no analysis given, had its metric judged: "successCondition is
        # missing", exit 6, for a metric every AnalysisRun of it only records.
        parent = nesting("parent", "payments", dryRun=[{"metricName": ".*"}])
        background = rollout(templates=[{"templateName": "parent"}], args=TestDryRunOfTheRollout.REF["args"])
        assert written(tmp_path, *crd_valid(TestDryRunOfTheRollout.unread(), parent, background)) == []
        # A rule that matches none of the metrics of the run, nested ones included, is still a problem.
        parent["spec"]["dryRun"] = [{"metricName": "^latency$"}]
        found = written(tmp_path, *crd_valid(TestDryRunOfTheRollout.unread(), parent, background))
        assert any("dryRun rule '^latency$' matches no metric of the run (errors)" in p for p in found), found

    def test_a_ring_of_templates(self, tmp_path):
        # Before: no problem, exit 0.
        background = rollout(templates=[{"templateName": "a"}], args=TestDryRunOfTheRollout.REF["args"])
        found = written(tmp_path, *crd_valid(nesting("a", "b"), nesting("b", "a"), background))
        assert found == [
            f"{tmp_path / 'manifests.yaml'}:1: AnalysisTemplate 'a': its templates lead back to it (AnalysisTemplate "
            f"'a' -> AnalysisTemplate 'b' -> AnalysisTemplate 'a'): {self.RING}"
        ]
        (found,) = written(tmp_path, *crd_valid(nesting("self", "self")))
        assert (
            "AnalysisTemplate 'self': its templates lead back to it (AnalysisTemplate 'self' -> AnalysisTemplate"
            in found
        )

    def test_a_nested_template_not_given(self, tmp_path):
        gate = rollout([step({"name": "check", "value": "payments-eror-rate"}, name="parent")])
        assert written(tmp_path, *crd_valid(nesting("parent", "elsewhere"), gate)) == []
        (note,) = template_notes([tmp_path])
        assert note.startswith(
            f"{tmp_path / 'manifests.yaml'}:17: Rollout 'payments', spec.strategy.canary.steps[0].analysis: "
            "AnalysisTemplate 'elsewhere' is not among the files given"
        )

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        gate = rollout([step({"name": "check", "value": "payments-eror-rate"}, name="parent")])
        (tmp_path / "rollout.yaml").write_text(
            yaml.safe_dump_all([nesting("parent", "analyzer-check"), generic(), gate])
        )
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "which the catalog does not have" in result.stderr


class TestNamedTwice:
    """Argo makes no AnalysisRun that names a metric, a dryRun rule or a measurementRetention rule twice
    (FlattenTemplates, mergeDryRunMetrics): one template naming it twice is a problem of the template; two templates
    of a run, or an analysis's rule that its templates name too, a problem of the analysis (InvalidSpec where Argo
    checks it before rolling out); a measurementRetention rule matching no metric ends the run in Error."""

    CHECK = {"name": "check", "value": "payments-error-rate"}

    @pytest.mark.parametrize(
        ("field", "entry", "error"),
        [
            ("dryRun", {"metricName": "errors"}, "two Dry-Run metric rules have the same name 'errors'"),
            (
                "measurementRetention",
                {"metricName": "errors", "limit": 5},
                "two Measurement Retention metric rules have the same name 'errors'",
            ),
        ],
    )
    def test_a_template_naming_a_rule_twice(self, tmp_path, field, entry, error):
        # Before: no problem, exit 0; Argo refused every Rollout running the template.
        twice = generic()
        twice["spec"][field] = [entry, entry]
        (found,) = written(tmp_path, *crd_valid(twice))
        assert found == (
            f"{tmp_path / 'manifests.yaml'}:1: AnalysisTemplate 'analyzer-check': {field} names 'errors' twice: Argo "
            f"makes no AnalysisRun of the template, refusing a Rollout that runs it (InvalidSpec: {error}) and ending "
            "an Experiment that runs it in Error; keep one"
        )

    def test_two_templates_of_a_run_naming_one_metric(self, tmp_path):
        other = generic()
        other["metadata"]["name"] = "other"
        gate = rollout(
            [
                {
                    "analysis": {
                        "templates": [{"templateName": "analyzer-check"}, {"templateName": "other"}],
                        "args": [self.CHECK, LATEST],
                    }
                }
            ]
        )
        found = written(tmp_path, *crd_valid(generic(), other, gate))
        assert (
            f"{tmp_path / 'manifests.yaml'}:53: Rollout 'payments', spec.strategy.canary.steps[0].analysis: the "
            "AnalysisRun's metrics would name 'errors' twice: Argo refuses the Rollout (InvalidSpec: two metrics have "
            "the same name 'errors') and rolls nothing out"
        ) in found, found
        # The same template named twice is looked up once.
        once = rollout(
            [{"analysis": {"templates": [{"templateName": "analyzer-check"}] * 2, "args": [self.CHECK, LATEST]}}]
        )
        assert written(tmp_path, *crd_valid(generic(), once)) == []

    def test_an_analysis_rule_its_template_names_too(self, tmp_path):
        ruled = generic()
        ruled["spec"]["dryRun"] = [{"metricName": "errors"}]
        background = rollout(
            templates=[{"templateName": "analyzer-check"}], args=[self.CHECK, LATEST], dryRun=[{"metricName": "errors"}]
        )
        (found,) = written(tmp_path, *crd_valid(ruled, background))
        assert found.endswith(
            "spec.strategy.canary.analysis: the AnalysisRun's dryRun would name 'errors' twice: Argo cannot make the "
            "AnalysisRun (two Dry-Run metric rules have the same name 'errors'): the Rollout's reconcile fails there "
            "on every try, and it goes no further"
        )
        gate = rollout([step(self.CHECK, dryRun=[{"metricName": "errors"}])])
        (found,) = written(tmp_path, *crd_valid(ruled, gate))
        assert found.endswith(
            "spec.strategy.canary.steps[0].analysis: the AnalysisRun's dryRun would name 'errors' twice: Argo refuses "
            "the Rollout (InvalidSpec: two Dry-Run metric rules have the same name 'errors') and rolls nothing out"
        )

    def test_a_step_rule_a_template_of_another_analysis_names(self, tmp_path):
        # Argo merges each step's rules with the templates of every analysis of the Rollout, the background's too.
        ruled = generic()
        ruled["metadata"]["name"] = "background"
        ruled["spec"]["measurementRetention"] = [{"metricName": "errors", "limit": 5}]
        gate = rollout(
            [step(self.CHECK, measurementRetention=[{"metricName": "errors", "limit": 5}])],
            templates=[{"templateName": "background"}],
            args=[self.CHECK, LATEST],
        )
        (found,) = written(tmp_path, *crd_valid(generic(), ruled, gate))
        lines = numbered((tmp_path / "manifests.yaml").read_text())
        line = next(number for number, text in lines.items() if text.lstrip() == "- analysis:")
        assert found.startswith(f"{tmp_path / 'manifests.yaml'}:{line}: Rollout 'payments', "), found
        assert found.endswith(
            "spec.strategy.canary.steps[0].analysis: measurementRetention rule 'errors' is also a rule of a template "
            "of spec.strategy.canary.analysis: Argo checks each step's rules against the templates of every analysis "
            "of the Rollout, and refuses it (InvalidSpec: two Measurement Retention metric rules have the same name "
            "'errors') and rolls nothing out"
        )

    def test_a_retention_rule_that_matches_no_metric(self, tmp_path):
        gate = rollout([step(self.CHECK, measurementRetention=[{"metricName": "erors", "limit": 5}])])
        (found,) = written(tmp_path, *crd_valid(generic(), gate))
        assert found.endswith(
            "spec.strategy.canary.steps[0].analysis: measurementRetention rule 'erors' matches no metric of the run "
            "(errors): Argo ends the AnalysisRun in Error at once (Analysis spec invalid: measurementRetention[0]: "
            "Rule didn't match any metric name(s))"
        )
        fine = rollout([step(self.CHECK, measurementRetention=[{"metricName": "err", "limit": 5}])])
        assert written(tmp_path, *crd_valid(generic(), fine)) == []

    def test_an_analysis_run_naming_a_metric_twice(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, self.CHECK, TestAnalysisRuns.HASH)
        run["spec"]["metrics"].append(run["spec"]["metrics"][0])
        (found,) = written(tmp_path, *crd_valid(run))
        assert found.endswith(
            "AnalysisRun 'payments-1': metrics name 'errors' twice: Argo ends the AnalysisRun in Error at once "
            "(Analysis spec invalid: metrics[1]: duplicate name 'errors')"
        )

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        twice = generic()
        twice["spec"]["dryRun"] = [{"metricName": "errors"}, {"metricName": "errors"}]
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(twice))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "two Dry-Run metric rules have the same name 'errors'" in result.stderr


class TestMetricsArgoRefuses:
    """A metric that Argo's ValidateMetric refuses (limits below 0, a count its limits do not fit in, a count above 1
    without an interval, an interval Go cannot read) ends every AnalysisRun holding it in Error at once, dry run or
    not: a problem, of the template, of what an analysis fills in, of an AnalysisRun."""

    DISABLED = "failureLimit and consecutiveSuccessLimit cannot both be disabled"
    LONGEST = "is longer than Go's longest duration (2562047h47m16.854775807s, about 292 years)"

    @staticmethod
    def refused(error: str) -> str:
        return f"Argo ends every AnalysisRun of it in Error at once (Analysis spec invalid: {error})"

    @pytest.mark.parametrize(
        ("metric", "error"),
        [
            ({"interval": None}, "interval must be specified when count > 1"),
            ({"interval": "5min"}, "invalid interval string: '5min' is no Go duration (30s, 1m30s)"),
            ({"initialDelay": "1"}, "invalid startDelay string: '1' is no Go duration (30s, 1m30s)"),
            # Beyond an int64 of nanoseconds Go's time.ParseDuration says "invalid duration".
            ({"interval": "9999999999h"}, "invalid interval string: '9999999999h' " + LONGEST),
            (
                {"initialDelay": "2562047h47m16.854775808s"},
                "invalid startDelay string: '2562047h47m16.854775808s' " + LONGEST,
            ),
            ({"interval": "99999999999999999999ns"}, "invalid interval string: '99999999999999999999ns' " + LONGEST),
            (
                {"initialDelay": "-2562047h47m16.854775809s"},
                "invalid startDelay string: '-2562047h47m16.854775809s' " + LONGEST,
            ),
            (
                {"count": 2, "failureLimit": 3},
                "count (2) must be >= failureLimit + consecutiveSuccessLimit (3 + 0) if both >= 0",
            ),
            ({"consecutiveErrorLimit": -1}, "consecutiveErrorLimit must be >= 0"),
            ({"failureLimit": -2}, "failureLimit must be >= 0, or -1 to be disabled"),
        ],
    )
    def test_a_metric_argo_refuses_even_dry(self, tmp_path, metric, error):
        # Before: no problem for a dry-run metric (only its check and args were checked), exit 0; Argo ended every
        # AnalysisRun of the template in Error, and the rollout aborted.
        dry = TestDryRunRulesAsGoReadsThem.unread("errors")
        dry["spec"]["metrics"][0].update(metric)
        dry["spec"]["metrics"][0] = {
            key: value for key, value in dry["spec"]["metrics"][0].items() if value is not None
        }
        (found,) = problems(tmp_path, *crd_valid(dry))
        assert found.endswith(f"AnalysisTemplate 'payments', metric 'errors': {self.refused(error)}")

    def test_what_argo_takes(self, tmp_path):
        fine = TestDryRunRulesAsGoReadsThem.unread("errors")
        fine["spec"]["metrics"][0].update(
            interval="1m30s", initialDelay=".5s", count="3", failureLimit=-1, consecutiveSuccessLimit=2
        )
        assert problems(tmp_path, *crd_valid(fine)) == []
        # Go's longest duration, and a fraction past its precision (Go drops the digits).
        fine["spec"]["metrics"][0].update(interval="2562047h47m16.854775807s", initialDelay="1.00000000000000000001s")
        assert problems(tmp_path, *crd_valid(fine)) == []
        # Go reads a bare 0 (signed too) and, negative, one nanosecond more than its longest.
        for zero in ("0", "+0", "-0"):
            fine["spec"]["metrics"][0].update(interval="1m", initialDelay=zero)
            assert problems(tmp_path, *crd_valid(fine)) == [], zero
        for least in ("-2562047h47m16.854775808s", "-9223372036854775808ns"):
            fine["spec"]["metrics"][0].update(initialDelay=least)
            assert problems(tmp_path, *crd_valid(fine)) == [], least
        fine["spec"]["metrics"][0].update(initialDelay="0." + "1" * 400 + "s")
        assert problems(tmp_path, *crd_valid(fine)) == []
        fine["spec"]["metrics"][0].update(count="{{args.count}}", interval="{{args.interval}}")
        assert problems(tmp_path, fine) == []

    def test_a_count_the_rollout_fills_in(self, tmp_path):
        counted = generic({"name": "count"})
        counted["spec"]["metrics"][0].update(count="{{args.count}}", interval=None)
        counted["spec"]["metrics"][0] = {k: v for k, v in counted["spec"]["metrics"][0].items() if v is not None}
        gate = rollout([step({"name": "check", "value": "payments-error-rate"}, {"name": "count", "value": "3"})])
        found = written(tmp_path, *crd_valid(counted, gate))
        assert any(p.endswith(self.refused("interval must be specified when count > 1")) for p in found), found

    @pytest.mark.parametrize(
        ("metric", "error"),
        [
            ({"count": "{{args.count}}", "failureLimit": -1}, DISABLED),
            ({"interval": "{{args.interval}}", "inconclusiveLimit": -1}, "inconclusiveLimit must be >= 0"),
            (
                {"failureLimit": "{{args.limit}}", "initialDelay": "5min"},
                "invalid startDelay string: '5min' is no Go duration (30s, 1m30s)",
            ),
            (
                {"consecutiveSuccessLimit": "{{args.limit}}", "count": 2, "inconclusiveLimit": 3},
                "count must be >= inconclusiveLimit",
            ),
        ],
    )
    def test_a_refusal_that_reads_no_arg(self, tmp_path, metric, error):
        # Before: any field holding an arg hid every refusal of the metric, exit 0 ("failureLimit -1 disables it"
        # was said before validate16); Argo refuses it whatever the arg, and the rollout aborts.
        dry = TestDryRunRulesAsGoReadsThem.unread("errors")
        dry["spec"]["metrics"][0].update(metric)
        (found,) = problems(tmp_path, dry)
        assert found.endswith(f"AnalysisTemplate 'payments', metric 'errors': {self.refused(error)}")

    def test_what_an_arg_may_still_make_valid(self, tmp_path):
        # Each refusal here reads a field an arg fills in: said where the analysis fills it, not of the template.
        for metric in (
            {"count": "{{args.count}}", "failureLimit": 9},
            {"count": 2, "consecutiveSuccessLimit": "{{args.limit}}", "failureLimit": -1},
            {"count": 3, "interval": "{{args.interval}}"},
            {"failureLimit": -1, "consecutiveSuccessLimit": "{{args.limit}}"},
        ):
            dry = TestDryRunRulesAsGoReadsThem.unread("errors")
            dry["spec"]["metrics"][0].update(metric)
            dry["spec"]["metrics"][0] = {k: v for k, v in dry["spec"]["metrics"][0].items() if v is not None}
            found = problems(tmp_path, dry)
            assert not [p for p in found if "Analysis spec invalid" in p], (metric, found)

    @pytest.mark.parametrize("count", ["\u00b2", "\u0663"])
    def test_a_count_of_digits_go_does_not_read(self, tmp_path, count):
        # Before: "\u00b2" (a digit to Python's isdigit, no number to int()) ended validate in a ValueError; Go's
        # Atoi reads neither, and IntValue() makes both 0: a metric measured once.
        dry = TestDryRunRulesAsGoReadsThem.unread("errors")
        dry["spec"]["metrics"][0]["count"] = count
        assert problems(tmp_path, dry) == []

    def test_an_analysis_run(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, TestNamedTwice.CHECK, TestAnalysisRuns.HASH, interval="1 m")
        (found,) = written(tmp_path, *crd_valid(run))
        assert found.endswith(self.refused("invalid interval string: '1 m' is no Go duration (30s, 1m30s)"))


class TestProvidersOfAnotherShape:
    """A metric whose provider is no object (`provider: web`, a list) is refused by Argo Rollouts' CRD schema, so
    the template is never applied: a problem naming the metric and the object the schema wants."""

    @staticmethod
    def wanted(provider: Any) -> str:
        return (
            f"provider is {provider!r}, not an object: Argo Rollouts' CRD schema refuses the document (kubectl apply "
            "fails); write an object holding one provider, e.g. provider: {web: {url: ...}}"
        )

    @pytest.mark.parametrize("provider", ["web", ["web"], None, 1], ids=["text", "list", "null", "number"])
    def test_a_provider_that_is_no_object(self, tmp_path, provider):
        # Before: read as a metric of no provider, nothing checked and exit 0; kubectl apply fails on the schema.
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run")
        odd["spec"]["metrics"][0]["provider"] = provider
        validator = _crd_validator("AnalysisTemplate")
        assert [e.message for e in validator.iter_errors(odd)] != []
        (found,) = problems(tmp_path, odd)
        assert found == (
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': {self.wanted(provider)}"
        )

    def test_a_provider_object_is_not_said(self, tmp_path):
        fine = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        assert problems(tmp_path, *crd_valid(fine)) == []

    NONE = "Argo ends every AnalysisRun of it in Error at once (Analysis spec invalid: no provider specified)"

    @pytest.mark.parametrize(
        ("provider", "wanted"),
        [
            (
                ...,
                "has no provider: Argo Rollouts' CRD schema requires one (kubectl apply fails); write an object "
                "holding one provider, e.g. provider: {web: {url: ...}}",
            ),
            ({}, f"provider names none: {NONE}; write one, e.g. provider: {{web: {{url: ...}}}}"),
            # The API server drops a null field that is not nullable: nothing is left.
            ({"web": None}, f"provider names none: {NONE}; write one, e.g. provider: {{web: {{url: ...}}}}"),
            ({"plugin": {}}, f"provider names none: {NONE}; write one, e.g. provider: {{web: {{url: ...}}}}"),
            (
                {"web2": {"url": "http://x"}},
                "provider 'web2' is no provider of Argo Rollouts' CRD (did you mean 'web'?): kubectl apply refuses the "
                f"unknown field (strict field validation), and where it is dropped instead {NONE}",
            ),
            (
                {"web": "x"},
                "provider's web is 'x', not an object: Argo Rollouts' CRD schema refuses the document (kubectl apply "
                "fails); write web: {...}",
            ),
            ({"web": {}}, "provider's web has no url: Argo Rollouts' CRD schema requires a url (kubectl apply fails)"),
            (
                {"web": {"url": 5}},
                "provider's web has url 5, not a string: Argo Rollouts' CRD schema requires a url (kubectl apply "
                "fails)",
            ),
            (
                {"web": {"url": "http://x"}, "job": {"spec": {"template": {}}}},
                "provider gives 2 (job, web): Argo ends every AnalysisRun of it in Error at once (Analysis spec "
                "invalid: multiple providers specified); keep one per metric",
            ),
            (
                {"plugin": {"argoproj-labs/a": {}, "argoproj-labs/b": {}}},
                "provider gives 2 (plugin, plugin): Argo ends every AnalysisRun of it in Error at once (Analysis spec "
                "invalid: multiple providers specified); keep one per metric",
            ),
        ],
        ids=[
            "missing",
            "empty",
            "null",
            "no-plugin",
            "unknown",
            "web-text",
            "web-no-url",
            "url-number",
            "two",
            "plugins",
        ],
    )
    def test_a_provider_argo_refuses(self, tmp_path, provider, wanted):
        # Before: read as a metric of no web provider, nothing checked and exit 0; the CRD's schema or Argo's
        # ValidateMetric refuses each.
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        metric = odd["spec"]["metrics"][0]
        if provider is ...:
            del metric["provider"]
        else:
            metric["provider"] = provider
        (found,) = problems(tmp_path, odd)
        assert found == f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': {wanted}"

    def test_what_the_crd_schema_refuses(self):
        # The shapes said to be refused by the schema are refused by it; the others are Argo's controller's.
        validator = _crd_validator("AnalysisTemplate")
        fine = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run")
        for refused in (..., {"web": "x"}, {"web": {}}, {"web": {"url": 5}}):
            odd = copy.deepcopy(fine)
            if refused is ...:
                del odd["spec"]["metrics"][0]["provider"]
            else:
                odd["spec"]["metrics"][0]["provider"] = refused
            assert [e.message for e in validator.iter_errors(odd)] != [], refused
        provider = validator.schema["properties"]["spec"]["properties"]["metrics"]["items"]["properties"]["provider"]
        assert "web2" not in provider["properties"] and "web" in provider["properties"]

    def test_a_dry_run_metric_too(self, tmp_path):
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["provider"] = {}
        odd["spec"]["dryRun"] = [{"metricName": "errors"}]
        (found,) = problems(tmp_path, odd)
        assert found.endswith(
            f"metric 'errors': provider names none: {self.NONE}; write one, e.g. provider: {{web: {{url: ...}}}}"
        )

    def test_validate_exits_6_for_two_providers(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["provider"]["prometheus"] = {"address": "http://p:9090", "query": "up"}
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(odd))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "metric 'errors': provider gives 2 (prometheus, web): " in result.stderr

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run")
        odd["spec"]["metrics"][0]["provider"] = "web"
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(odd))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"metric 'errors': {self.wanted('web')}" in result.stderr

    def test_an_analysis_run(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, TestNamedTwice.CHECK, TestAnalysisRuns.HASH, provider=["web"])
        (found,) = written(tmp_path, run)
        assert (
            found
            == f"{tmp_path / 'manifests.yaml'}:12: AnalysisRun 'payments-1', metric 'errors': {self.wanted(['web'])}"
        )


class TestFieldsMisspelt:
    """A metric field, a provider or a web field misspelt (`providers`, `Web`, `sucessCondition`) is named with the
    field meant: Argo Rollouts' CRD has no such field, so kubectl apply refuses the template or drops the field."""

    @staticmethod
    def misspelt(where: list[str], field: str, meant: str) -> dict[str, Any]:
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        holder = odd["spec"]["metrics"][0]
        for key in where:
            holder = holder[key]
        holder[field] = holder.pop(meant)
        return odd

    @pytest.mark.parametrize(
        ("where", "field", "meant", "what"),
        [
            ([], "providers", "provider", "field of an Argo Rollouts metric"),
            ([], "Provider", "provider", "field of an Argo Rollouts metric"),
            ([], "sucessCondition", "successCondition", "field of an Argo Rollouts metric"),
            ([], "failureConditon", "failureCondition", "field of an Argo Rollouts metric"),
            (["provider", "web"], "jsonpath", "jsonPath", "field of Argo Rollouts' web provider"),
            (["provider", "web"], "URL", "url", "field of Argo Rollouts' web provider"),
        ],
    )
    def test_named_with_the_field_meant(self, tmp_path, where, field, meant, what):
        # Before: `providers`, `Provider`, `Web` and `URL` were exit 0 (a metric calling no check: nothing to check),
        # `sucessCondition` and `jsonpath` said "successCondition is missing" without the field that was misspelt.
        odd = self.misspelt(where, field, meant)
        assert field in undeclared_fields(_crd_validator("AnalysisTemplate").schema, odd)[0]
        found = problems(tmp_path, odd)
        at = ".".join(["", *where, ""]).lstrip(".") if where else ""
        said = (
            f": AnalysisTemplate 'payments', metric 'errors': {at}{field} is no {what}; did you mean {meant!r}? "
            "kubectl apply refuses a field the CRD does not declare (strict field validation, its default), and an "
            "apply that does not validate drops it"
        )
        assert [m for m in found if m.startswith(f"{tmp_path / 'templates.yaml'}:") and m.endswith(said)], found

    def test_a_provider_misspelt_is_named_with_the_provider_meant(self, tmp_path):
        odd = self.misspelt(["provider"], "Web", "web")
        assert "Web" in undeclared_fields(_crd_validator("AnalysisTemplate").schema, odd)[0]
        (found,) = problems(tmp_path, odd)
        assert found.endswith(
            ": AnalysisTemplate 'payments', metric 'errors': provider 'Web' is no provider of Argo Rollouts' CRD (did "
            "you mean 'web'?): kubectl apply refuses the unknown field (strict field validation), and where it is "
            "dropped instead Argo ends every AnalysisRun of it in Error at once (Analysis spec invalid: no provider "
            "specified)"
        ), found

    def test_a_metric_without_a_provider(self, tmp_path):
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run")
        del odd["spec"]["metrics"][0]["provider"]
        assert [e.message for e in _crd_validator("AnalysisTemplate").iter_errors(odd)] == [
            "'provider' is a required property"
        ]
        (found,) = problems(tmp_path, odd)
        assert found.startswith(f"{tmp_path / 'templates.yaml'}:"), found
        assert found.endswith(
            ": AnalysisTemplate 'payments', metric 'errors': has no provider: Argo Rollouts' CRD schema requires one "
            "(kubectl apply fails); write an object holding one provider, e.g. provider: {web: {url: ...}}"
        ), found

    @pytest.mark.parametrize(
        ("provider", "said"), [("web", "provider is 'web', not an object"), ({}, "provider names none")]
    )
    def test_a_field_misspelt_beside_a_provider_argo_refuses(self, tmp_path, provider, said):
        # Both said: the misspelt field, and the provider, which is refused whatever the field.
        odd = self.misspelt([], "sucessCondition", "successCondition")
        odd["spec"]["metrics"][0]["provider"] = provider
        found = [problem.partition("metric 'errors': ")[2] for problem in problems(tmp_path, odd)]
        assert [p for p in found if p.startswith("sucessCondition is no field of an Argo Rollouts metric")], found
        assert [p for p in found if p.startswith(said)], found

    @pytest.mark.parametrize(
        ("where", "field", "meant"),
        [
            # A Kubernetes habit: a camelCase word more (probes' initialDelaySeconds) or less (timeout).
            ([], "initialDelaySeconds", "initialDelay"),
            ([], "intervalSeconds", "interval"),
            (["provider", "web"], "timeout", "timeoutSeconds"),
            # 0.84 against consecutiveErrorLimit: at the cutoff of 0.8 or above.
            ([], "consecutiveErrors", "consecutiveErrorLimit"),
            # All lowercase, which shows no word of its own: read case aside.
            ([], "initialdelayseconds", "initialDelay"),
            ([], "intervalseconds", "interval"),
            ([], "successcondition", "successCondition"),
            (["provider", "web"], "timeout", "timeoutSeconds"),
            (["provider", "web"], "timeoutseconds", "timeoutSeconds"),
        ],
    )
    def test_the_common_misspellings_are_named(self, tmp_path, where, field, meant):
        # Before: initialDelaySeconds (0.77 against initialDelay), intervalSeconds and timeout were exit 0, the
        # field dropped where applied without validation (a metric measured at once, or every 1s... as Argo reads it).
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        holder = odd["spec"]["metrics"][0]
        for key in where:
            holder = holder[key]
        holder.pop(meant, None)
        holder[field] = "30s" if field not in ("consecutiveErrors", "successcondition") else 2
        found = problems(tmp_path, odd)
        at = ".".join([*where, ""]) if where else ""
        what = "field of Argo Rollouts' web provider" if where else "field of an Argo Rollouts metric"
        said = f"metric 'errors': {at}{field} is no {what}; did you mean {meant!r}? kubectl apply refuses a field"
        assert [p for p in found if said in p], found

    @pytest.mark.parametrize("written", ["WEB", "Datadog", "NEWRELIC"])
    def test_a_provider_written_in_other_case(self, tmp_path, written):
        # Before: `WEB` got no hint (no close match, case counted), only the list of providers.
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        meant = next(name for name in argo_templates._PROVIDERS if name.lower() == written.lower())
        odd["spec"]["metrics"][0]["provider"] = {written: odd["spec"]["metrics"][0]["provider"]["web"]}
        (found,) = problems(tmp_path, odd)
        assert f"provider {written!r} is no provider of Argo Rollouts' CRD (did you mean {meant!r}?)" in found, found

    @pytest.mark.parametrize(
        "field",
        [
            "failureCount",  # 0.79 against failureCondition, and may as well mean failureLimit
            "failurecount",
            "failure",  # failureLimit or failureCondition: a word less of two
            "json",  # jsonBody or jsonPath: a word less of two
            "delay",
        ],
    )
    def test_a_field_that_may_mean_several_or_none_is_not_guessed_at(self, tmp_path, field):
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["provider"]["web"].pop("jsonPath")
        del odd["spec"]["metrics"][0]["failureCondition"]
        holder = odd["spec"]["metrics"][0]["provider"]["web"] if field == "json" else odd["spec"]["metrics"][0]
        holder[field] = 1
        assert [p for p in problems(tmp_path, odd) if "is no field" in p] == []

    def test_fields_far_from_any_are_left_alone(self, tmp_path):
        # An unknown field that resembles no absent one (a newer Argo's, an annotation's) is not guessed at.
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["x-team"] = "payments"
        odd["spec"]["metrics"][0]["provider"]["web"]["retries"] = 1
        assert problems(tmp_path, odd) == []

    def test_a_present_field_is_not_meant_again(self, tmp_path):
        # `successConditions` beside `successCondition`: not a misspelling of a field that is there.
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["successConditions"] = "x"
        assert problems(tmp_path, odd) == []

    def test_the_fields_known_are_the_crds(self):
        schema = _crd_validator("AnalysisTemplate").schema
        metric = schema["properties"]["spec"]["properties"]["metrics"]["items"]
        assert set(metric["properties"]) == argo_templates._METRIC_FIELDS
        assert set(metric["properties"]["provider"]["properties"]) == set(argo_templates._PROVIDERS)
        assert set(metric["properties"]["provider"]["properties"]["web"]["properties"]) == argo_templates._WEB_FIELDS
        run = _crd_validator("AnalysisRun").schema["properties"]["spec"]["properties"]["metrics"]["items"]
        assert set(run["properties"]) == argo_templates._METRIC_FIELDS

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(self.misspelt([], "providers", "provider")))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "metric 'errors': providers is no field of an Argo Rollouts metric; did you mean 'provider'?" in (
            result.stderr
        )

    def test_an_analysis_run(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, TestNamedTwice.CHECK, TestAnalysisRuns.HASH)
        run["spec"]["metrics"][0]["provider"]["Web"] = run["spec"]["metrics"][0]["provider"].pop("web")
        (found,) = written(tmp_path, run)
        assert found.startswith(f"{tmp_path / 'manifests.yaml'}:"), found
        assert ": AnalysisRun 'payments-1', metric 'errors' (args: " in found
        assert "): provider 'Web' is no provider of Argo Rollouts' CRD (did you mean 'web'?): kubectl apply" in found


KAYENTA_SCOPE = {"region": "us-east-1", "scope": "app=payments", "step": 60}
# One of each provider, holding what Argo Rollouts' CRD schema requires of it.
OTHER_PROVIDERS = {
    "cloudWatch": {"metricDataQueries": [{"id": "errors", "expression": "SUM(errors)"}]},
    "datadog": {"query": "sum:errors{service:payments}"},
    "graphite": {"address": "http://graphite:8080", "query": "errors"},
    "influxdb": {"profile": "influx", "query": 'from(bucket: "b")'},
    "job": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}},
    "kayenta": {
        "address": "http://kayenta:8090",
        "application": "payments",
        "canaryConfigName": "payments",
        "configurationAccountName": "config",
        "metricsAccountName": "metrics",
        "storageAccountName": "storage",
        "threshold": {"pass": 90, "marginal": 75},
        "scopes": [{"name": "default", "controlScope": KAYENTA_SCOPE, "experimentScope": dict(KAYENTA_SCOPE)}],
    },
    "newRelic": {"query": "SELECT count(*) FROM Transaction"},
    "plugin": {"argoproj-labs/metric": {"query": "x"}},
    "prometheus": {"address": "http://prometheus:9090", "query": "up", "headers": [{"key": "X-Org", "value": "1"}]},
    "skywalking": {"address": "http://skywalking:12800", "query": "x", "interval": "5m"},
    "wavefront": {"address": "wavefront:443", "query": "ts(errors)"},
}


class TestRequiredFieldsOfOtherProviders:
    """A provider other than web lacking a field Argo Rollouts' CRD schema requires of it (newRelic's query, a Job's
    spec, kayenta's threshold) is named as web's missing url is: kubectl apply refuses the template."""

    @staticmethod
    def of(provider: str, fields: Any) -> dict[str, Any]:
        odd = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}")
        odd["spec"]["metrics"][0]["provider"] = {provider: fields}
        return odd

    @staticmethod
    def without(provider: str, path: str, misspelt: str | None = None) -> dict[str, Any]:
        fields = copy.deepcopy(OTHER_PROVIDERS[provider])
        *steps, last = [int(step) if step.isdigit() else step for step in re.split(r"[.\[\]]+", path) if step]
        holder = fields
        for step in steps:
            holder = holder[step]
        value = holder.pop(last)
        if misspelt is not None:
            holder[misspelt] = value
        return TestRequiredFieldsOfOtherProviders.of(provider, fields)

    @pytest.mark.parametrize("provider", sorted(OTHER_PROVIDERS))
    def test_a_provider_holding_them_is_not_said(self, tmp_path, provider):
        assert problems(tmp_path, *crd_valid(self.of(provider, OTHER_PROVIDERS[provider]))) == []

    @pytest.mark.parametrize(
        ("provider", "path"),
        [
            ("cloudWatch", "metricDataQueries"),
            ("job", "spec"),
            ("job", "spec.template"),
            ("job", "spec.template.spec.containers"),
            ("job", "spec.template.spec.containers[0].name"),
            ("kayenta", "canaryConfigName"),
            ("kayenta", "threshold.pass"),
            ("kayenta", "scopes[0].experimentScope"),
            ("kayenta", "scopes[0].controlScope.step"),
            ("newRelic", "query"),
            ("prometheus", "headers[0].value"),
        ],
    )
    def test_a_field_missing_is_named(self, tmp_path, provider, path):
        # Before: exit 0 (a metric calling no check of the analyzer: nothing checked); kubectl apply fails.
        odd = self.without(provider, path)
        assert list(_crd_validator("AnalysisTemplate").iter_errors(odd)), path
        (found,) = problems(tmp_path, odd)
        assert found == (
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': provider's {provider} "
            f"has no {path}: Argo Rollouts' CRD schema requires it (kubectl apply fails)"
        )

    @pytest.mark.parametrize(
        ("provider", "path", "misspelt"),
        [
            ("newRelic", "query", "qeury"),
            ("cloudWatch", "metricDataQueries", "metricDataQuery"),
            ("job", "spec.template", "Template"),
            ("kayenta", "threshold.pass", "passed"),
        ],
    )
    def test_a_field_misspelt_is_named_with_what_is_written(self, tmp_path, provider, path, misspelt):
        odd = self.without(provider, path, misspelt)
        assert list(_crd_validator("AnalysisTemplate").iter_errors(odd)), path
        (found,) = problems(tmp_path, odd)
        field = path.rpartition(".")[2]
        assert found.endswith(
            f"metric 'errors': provider's {provider} has no {path}: Argo Rollouts' CRD schema requires it (kubectl "
            f"apply fails); did you mean {field!r} where {misspelt!r} is written?"
        ), found

    @pytest.mark.parametrize("written", ["~", "null", ""])
    def test_a_field_written_null_is_missing(self, tmp_path, written):
        # The API server drops a null field the schema does not make nullable, and then refuses the template for
        # lacking it: `query:` left blank is no query.
        text = yaml.safe_dump(self.of("newRelic", {"profile": "newrelic", "query": "QUERY"}))
        assert "query: QUERY\n" in text
        (tmp_path / "templates.yaml").write_text(text.replace("query: QUERY\n", f"query: {written}\n"))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path], catalog)
        assert found.endswith(
            "metric 'errors': provider's newRelic has no query: Argo Rollouts' CRD schema requires it (kubectl apply "
            "fails)"
        ), found

    def test_a_web_header_without_its_value(self, tmp_path):
        odd = template(
            f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}",
            headers=[*AUTHORIZED, {"key": "X-Team"}],
        )
        assert list(_crd_validator("AnalysisTemplate").iter_errors(odd))
        (found,) = problems(tmp_path, odd)
        assert found.endswith(
            "metric 'errors': provider's web has no headers[1].value: Argo Rollouts' CRD schema requires it (kubectl "
            "apply fails)"
        ), found

    def test_a_provider_the_crd_requires_nothing_of(self, tmp_path):
        # What influxdb needs at run time is in its Secret, and what its server makes of an empty query its own: no
        # rule invented here (those Argo refuses of the others: TestProvidersArgoRefusesAtEachMeasurement).
        odd = self.of("influxdb", {})
        assert not list(_crd_validator("AnalysisTemplate").iter_errors(odd))
        assert problems(tmp_path, odd) == []

    @staticmethod
    def required(node: dict[str, Any], path: str) -> list[str]:
        """The paths of the fields the schema `node` requires (`a[].b`: of each item of the list a)."""
        found = [f"{path}{name}" for name in node.get("required") or []]
        for name, child in (node.get("properties") or {}).items():
            found += TestRequiredFieldsOfOtherProviders.required(child, f"{path}{name}.")
        if isinstance(node.get("items"), dict):
            found += TestRequiredFieldsOfOtherProviders.required(node["items"], f"{path.removesuffix('.')}[].")
        return found

    def test_the_fields_required_are_the_crds(self):
        # Every field the CRDs require of a provider, but the pod's of a Job (Kubernetes' own Pod schema).
        for kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"):
            schema = _crd_validator(kind).schema["properties"]["spec"]["properties"]["metrics"]["items"]
            required = {
                provider: set(self.required(node, ""))
                for provider, node in schema["properties"]["provider"]["properties"].items()
                if self.required(node, "")
            }
            pod = {path for path in required["job"] if path.startswith("spec.template.spec.")}
            pod -= {"spec.template.spec.containers", "spec.template.spec.containers[].name"}
            pod -= {"spec.template.spec.initContainers[].name"}
            job = {path for path in required["job"] if path.startswith(("spec.podFailurePolicy", "spec.s"))}
            held = {provider: set(paths) for provider, paths in argo_templates._PROVIDER_REQUIRED.items()}
            held["web"].add("url")
            assert required == {**held, "job": held["job"] | pod | job}, kind

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(self.without("newRelic", "query")))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "metric 'errors': provider's newRelic has no query: Argo Rollouts' CRD schema requires it" in (
            result.stderr
        )

    def test_an_analysis_run(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, TestNamedTwice.CHECK, TestAnalysisRuns.HASH)
        run["spec"]["metrics"][0]["provider"] = {"cloudWatch": {}}
        (found,) = written(tmp_path, run)
        assert found.startswith(f"{tmp_path / 'manifests.yaml'}:12: AnalysisRun 'payments-1', metric 'errors'"), found
        assert found.endswith(
            ": provider's cloudWatch has no metricDataQueries: Argo Rollouts' CRD schema requires it (kubectl apply "
            "fails)"
        ), found


class TestProvidersArgoRefusesAtEachMeasurement:
    """A provider lacking what Argo's controller refuses to measure without, though the CRD leaves it optional
    (datadog's query, prometheus' query, graphite's address), is named: every measurement would be an Error."""

    ERRORS = "every measurement would be an Error, and the rollout aborts after five"

    @pytest.mark.parametrize(
        ("provider", "fields", "said"),
        [
            ("datadog", {}, "has neither query nor queries: Argo refuses the provider (Must have either a query"),
            ("datadog", {"query": ""}, "has neither query nor queries"),
            ("datadog", {"queries": {}}, "has neither query nor queries"),
            ("datadog", {"queries": {"a": "sum:errors{*}"}}, "has queries, which apiVersion v1 (the CRD's default)"),
            ("datadog", {"apiVersion": "v1", "queries": {"a": "x"}}, "has queries, which apiVersion v1"),
            ("datadog", {"apiVersion": "v2", "query": "x", "queries": {"a": "x"}}, "has both query and queries"),
            ("datadog", {"query": "x", "formula": "a"}, "has a formula without queries"),
            ("datadog", {"apiVersion": "v2", "queries": {"a": "x", "b": "y"}}, "has 2 queries without a formula"),
            ("datadog", {"query": "x", "aggregator": "avg"}, "has an aggregator, which apiVersion v1"),
            (
                "datadog",
                {"query": "x", "secretRef": {"namespaced": True}},
                "has secretRef.namespaced without secretRef.name",
            ),
            ("prometheus", {"address": "http://prometheus:9090"}, "has no query: Argo sends an empty one, which Pro"),
            ("prometheus", {"address": "http://prometheus:9090", "query": ""}, "has no query"),
            # prometheus.go, NewPrometheusAPI and NewPrometheusProvider: refused before any query.
            ("prometheus", {"address": "prometheus:9090", "query": "up"}, "has address 'prometheus:9090', no URL"),
            ("prometheus", {"address": "/prometheus", "query": "up"}, "has address '/prometheus', no URL"),
            ("prometheus", {"address": "http://p:9090", "query": "up", "timeout": -1}, "has timeout -1: Argo"),
            (
                "prometheus",
                {"address": "http://p:9090", "query": "up", "authentication": {"basicAuth": {"username": "u"}}},
                "has authentication.basicAuth without its password: Argo refuses",
            ),
            (
                "prometheus",
                {"address": "http://p:9090", "query": "up", "authentication": {"basicAuth": {"password": "p"}}},
                "has authentication.basicAuth without its username: Argo refuses",
            ),
            (
                "prometheus",
                {
                    "address": "http://p:9090",
                    "query": "up",
                    "authentication": {"oauth2": {"tokenUrl": "http://t/token", "clientId": "c"}},
                },
                "has authentication.oauth2.tokenUrl without its clientSecret: Argo refuses",
            ),
            (
                "prometheus",
                {"address": "http://p:9090", "query": "up", "authentication": {"oauth2": {"tokenUrl": "http://t"}}},
                "has authentication.oauth2.tokenUrl without its clientId: Argo refuses",
            ),
            # datadog.go, Run: each measurement reads them before it queries.
            ("datadog", {"query": "x", "interval": "5"}, "has interval '5', no Go duration: Argo errs"),
            ("datadog", {"query": "x", "requestTimeout": "10"}, "has requestTimeout '10', no Go duration: Argo"),
            # A rule reading no field an arg fills in holds (before: one such field left every rule out).
            ("datadog", {"query": "{{args.query}}", "aggregator": "avg"}, "has an aggregator, which apiVersion v1"),
            ("datadog", {"query": "{{args.query}}", "interval": "5"}, "has interval '5', no Go duration"),
            (
                "datadog",
                {"query": "x", "secretRef": {"name": "{{args.secret}}"}, "formula": "a"},
                "has a formula without queries",
            ),
            ("graphite", {"query": "target=errors"}, "has no address: Argo refuses the provider (Graphite address"),
            ("wavefront", {"query": "ts(errors)"}, "has no address: Argo finds no token for it in its Secret"),
            ("skywalking", {"address": "http://s:12800", "query": "x"}, "has no interval: Argo refuses the provider"),
            ("skywalking", {"address": "http://s:12800", "query": "x", "interval": "5"}, "has interval '5': Argo"),
            ("skywalking", {"query": "x", "interval": "5m"}, 'has no address: Argo posts its query to "/graphql"'),
        ],
    )
    def test_what_argo_refuses_is_named(self, tmp_path, provider, fields, said):
        # Before: exit 0; the CRD takes each of them (kubectl apply passes), Argo errs at every measurement.
        odd = TestRequiredFieldsOfOtherProviders.of(provider, fields)
        assert not list(_crd_validator("AnalysisTemplate").iter_errors(odd))
        (found,) = problems(tmp_path, odd)
        # Line 9, or 10 past the args a placeholder declares.
        assert found.startswith(
            f"{tmp_path / 'templates.yaml'}:{10 if '{{' in str(fields) else 9}: AnalysisTemplate 'payments', metric "
            f"'errors': provider's {provider} {said}"
        ), found
        assert found.endswith(self.ERRORS), found

    @pytest.mark.parametrize(
        ("provider", "fields"),
        [
            ("datadog", {"query": "sum:errors{*}"}),
            ("datadog", {"apiVersion": "v2", "queries": {"a": "x"}}),
            ("datadog", {"apiVersion": "v2", "queries": {"a": "x", "b": "y"}, "formula": "a / b", "aggregator": "avg"}),
            ("datadog", {"query": "{{args.query}}"}),
            ("datadog", {"query": "x", "secretRef": {"name": "dd", "namespaced": True}}),
            ("prometheus", {"query": "{{args.query}}"}),
            ("prometheus", {"query": "up"}),
            ("prometheus", {"address": "https://user@p.example:9090/prefix", "query": "up", "timeout": 0}),
            ("prometheus", {"address": "{{args.prometheus}}", "query": "up", "timeout": 30}),
            (
                "prometheus",
                {
                    "address": "http://p:9090",
                    "query": "up",
                    "authentication": {
                        "basicAuth": {"username": "u", "password": "p"},
                        "oauth2": {"tokenUrl": "http://t", "clientId": "c", "clientSecret": "s"},
                    },
                },
            ),
            (
                "prometheus",
                {
                    "address": "http://p:9090",
                    "query": "up",
                    "authentication": {
                        "basicAuth": {"username": "{{args.user}}"},
                        "oauth2": {"tokenUrl": "http://t", "clientId": "c", "clientSecret": "{{args.secret}}"},
                    },
                },
            ),
            ("prometheus", {"query": "up", "authentication": {"basicAuth": {}, "oauth2": {"clientId": "c"}}}),
            ("datadog", {"query": "x", "interval": "1h30m", "requestTimeout": "30s"}),
            ("datadog", {"query": "x", "apiVersion": "{{args.version}}", "aggregator": "avg"}),
            ("datadog", {"apiVersion": "v2", "queries": {"a": "x", "b": "y"}, "formula": "{{args.formula}}"}),
            ("datadog", {"query": "x", "secretRef": {"name": "{{args.secret}}", "namespaced": True}}),
            ("datadog", {"query": "x", "secretRef": {"namespaced": False}}),
            # An arg may fill in an empty aggregator, or query: left to where it is filled in.
            ("datadog", {"query": "x", "aggregator": "{{args.aggregator}}"}),
            ("datadog", {"apiVersion": "v2", "query": "{{args.query}}", "queries": {"a": "x"}}),
            # Empty, each is dropped (omitempty) from the AnalysisRun Argo creates, which the CRD's default fills.
            ("datadog", {"query": "x", "interval": "", "requestTimeout": ""}),
            ("datadog", {"query": "x", "interval": "{{args.interval}}", "requestTimeout": "{{args.timeout}}"}),
            ("graphite", {"address": "{{args.graphite}}"}),
            ("skywalking", {"address": "http://s:12800", "query": "x", "interval": "{{args.interval}}"}),
        ],
    )
    def test_what_argo_takes_is_not_said(self, tmp_path, provider, fields):
        # A field an arg fills in is judged where it is: the Rollout's or the AnalysisRun's.
        assert problems(tmp_path, TestRequiredFieldsOfOtherProviders.of(provider, fields)) == []

    def test_a_dry_run_metric_measures_nothing(self, tmp_path):
        odd = TestRequiredFieldsOfOtherProviders.of("prometheus", {"address": "http://prometheus:9090"})
        odd["spec"]["dryRun"] = [{"metricName": "errors"}]
        (found,) = problems(tmp_path, odd)
        assert found.endswith(
            "has no query: Argo sends an empty one, which Prometheus refuses (400 bad_data: no expression found in "
            "input): every measurement would be an Error, which the dry run records without stopping the rollout: "
            "the metric measures nothing"
        ), found

    def test_an_analysis_run_with_its_args_filled_in(self, tmp_path):
        run = analysis_run(TestAnalysisRuns.URL, {"name": "query", "value": ""})
        run["spec"]["metrics"][0]["provider"] = {"datadog": {"query": "{{args.query}}"}}
        (found,) = written(tmp_path, run)
        assert "AnalysisRun 'payments-1', metric 'errors' (args: query='')" in found, found
        assert found.endswith(
            f"provider's datadog has neither query nor queries: Argo refuses the provider (Must "
            f"have either a query or queries): {self.ERRORS}"
        ), found

    def test_validate_exits_6(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "at.yaml").write_text(yaml.safe_dump(TestRequiredFieldsOfOtherProviders.of("datadog", {})))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "metric 'errors': provider's datadog has neither query nor queries" in result.stderr


def job_template(*containers: dict[str, Any]) -> dict[str, Any]:
    """An AnalysisTemplate whose metric runs a Job (Argo's job provider) of these containers."""
    job = {
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": list(containers)}}}
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "payments-job"},
        "spec": {"args": [{"name": "canary-hash"}], "metrics": [{"name": "errors", "provider": {"job": job}}]},
    }


# Where the analyzer's containers here find their catalog (the image sets none: `analyzer run` without one exits 6).
CATALOG_ENV = {"name": "ANALYZER_CATALOG", "value": "/etc/analyzer/catalog"}


def with_catalog(fields: dict[str, Any]) -> dict[str, Any]:
    """A container's fields with ANALYZER_CATALOG first in its env, unless its env names it."""
    env = list(fields.get("env") or [])
    named = any(isinstance(v, dict) and v.get("name") == CATALOG_ENV["name"] for v in env)
    return fields | {"env": env if named else [CATALOG_ENV, *env]}


def analyzer_container(*args: Any, **container: Any) -> dict[str, Any]:
    """A container of the analyzer's image given these args, its catalog set by ANALYZER_CATALOG."""
    return {
        "name": "check",
        "image": "registry.example.com/platform/analyzer:0.1.0",
        "args": list(args),
    } | with_catalog(container)


JOB_EXIT_2 = (
    "`analyzer run` would exit 2 (a usage error) at every measurement: a failed Job, which Argo reads as Failed, "
    "and the rollout aborts"
)


class TestJobProviderMetrics:
    """A job provider metric whose container runs `analyzer run NAME --arg KEY=VALUE` must name a catalog check and
    give it exactly the args it accepts: else the Job exits 2 at every measurement, a Failed measurement."""

    WHERE = "templates.yaml:9: AnalysisTemplate 'payments-job', metric 'errors'"

    @pytest.mark.parametrize(
        "container",
        [
            analyzer_container("run", "payments-error-rate", "--arg", "canary_hash={{args.canary-hash}}"),
            analyzer_container(
                "run", "--arg=canary_hash={{args.canary-hash}}", "--junit", "/r/j.xml", "payments-error-rate"
            ),
            analyzer_container("run", "payments-error-rate", "--arg", "canary_hash=$(HASH)", "--json"),
            analyzer_container("payments-error-rate", "--arg", "canary_hash=c0ffee1", command=["analyzer", "run"]),
            analyzer_container(
                "run",
                "payments-error-rate",
                "--arg",
                "canary_hash=c0ffee1",
                image="a/b:1",
                command=["/venv/bin/analyzer"],
            ),
            # Not the analyzer: its words are its own.
            analyzer_container("run", "payments-eror-rate", "--arg", "x=1", image="busybox:1.36"),
            analyzer_container("run", "payments-eror-rate", "--arg", "x=1", image="example.com/log-analyzer:2"),
            analyzer_container("run", "{{args.check}}", "--arg", "x=1"),
            # What argparse reads as `analyzer run` does: abbreviated options, and their values, are no check name.
            analyzer_container("run", "--cat", "/etc/analyzer", "payments-error-rate", "--arg", "canary_hash=c0ffee1"),
            analyzer_container("run", "--ar", "canary_hash=c0ffee1", "payments-error-rate"),
            analyzer_container("run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "--at", "1764154800"),
            analyzer_container("run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "--at={{args.at}}"),
            # A word Kubernetes fills in from the env may be any option.
            analyzer_container("run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "$(FLAGS)"),
            analyzer_container("run", "payments-error-rate", "--arg", "$(HASH_ARG)"),
        ],
    )
    def test_a_job_that_runs_a_check_as_the_catalog_declares_it_is_fine(self, tmp_path, container):
        assert problems(tmp_path, *crd_valid(job_template(container))) == []

    @pytest.mark.parametrize(
        ("args", "problem"),
        [
            (
                ["run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "--arg", "canary_hash=c0ffee2"],
                "the Job gives --arg 'canary_hash' twice",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary_hash", "c0ffee1"],
                "`analyzer run` takes none of these words of the Job: a word (an arg is one word, --arg KEY=VALUE)",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary_hash", "c0ffee1"],
                "the Job gives an --arg that is not KEY=VALUE ('canary_hash'): write --arg KEY=VALUE, one word",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "--at", "-1h"],
                "the Job's --at is refused: '-1h' is neither RFC 3339 nor unix seconds",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", "--at", "yesterday"],
                "the Job's --at is refused: 'yesterday' is neither RFC 3339 nor unix seconds",
            ),
            (
                ["run", "payments-error-rate", "--arg=canary_hash=c0ffee1", "--ca-file", "/ca.pem"],
                "the Job gives --ca-file without --prometheus",
            ),
            (
                ["run", "payments-error-rate", "--arg=canary_hash=c0ffee1", "--catalog", "/a", "--catalog", "/b"],
                "the Job gives --catalog twice",
            ),
            (
                ["run", "--arg=canary_hash=c0ffee1"],
                "`analyzer run` refuses the Job's words: the following arguments are required: name",
            ),
        ],
    )
    def test_words_analyzer_run_refuses_are_a_problem(self, tmp_path, args, problem):
        # Each was left unsaid (the Job exits 2 at every measurement), as the words were read by hand.
        found = problems(tmp_path, *crd_valid(job_template(analyzer_container(*args))))
        assert f"{self.WHERE}: {problem}; {JOB_EXIT_2}" in [p.replace(f"{tmp_path}/", "") for p in found]

    @pytest.mark.parametrize("word", ["-h", "--help", "--he"])
    def test_words_that_ask_for_help_are_a_pass_of_nothing(self, tmp_path, word):
        # `analyzer run NAME --help` prints the help and exits 0: a Successful measurement, no check evaluated.
        args = ["run", "payments-error-rate", "--arg", "canary_hash=c0ffee1", word]
        found = problems(tmp_path, *crd_valid(job_template(analyzer_container(*args))))
        assert [p.replace(f"{tmp_path}/", "") for p in found] == [
            f"{self.WHERE}: the Job's words ask `analyzer run` for its help (-h, --help), which it prints and exits 0 "
            "on, evaluating nothing: a Successful Job, read as a pass of a check never run; remove it"
        ]

    @pytest.mark.parametrize(
        ("container", "runs"),
        [
            # argparse reads any prefix of --help, and -h repeated, as --help. Before: no problem.
            (analyzer_container("--he"), "`analyzer --he`: it prints its help"),
            (analyzer_container("--h", "run", "payments-error-rate"), "`analyzer --h run payments-error-rate`: it"),
            (analyzer_container("-hh"), "`analyzer -hh`: it prints its help"),
            # --version (any prefix of it) prints the version and exits 0 too.
            (analyzer_container("--version"), "`analyzer --version`: it prints its version"),
            (analyzer_container("--ver", "run", "payments-error-rate"), "`analyzer --ver run payments-error-rate`: it"),
            # An unknown option is set aside, and the help still printed.
            (analyzer_container("--verbose", "-h"), "`analyzer --verbose -h`: it prints its help"),
            # Python prints its version (or help) and exits 0 before it runs a module. Before: read as the run.
            (
                analyzer_container(
                    "run",
                    "payments-error-rate",
                    "--arg",
                    "canary_hash=c0ffee1",
                    command=["python3", "-V", "-m", "analyzer"],
                ),
                "`python3 -V -m analyzer run payments-error-rate --arg canary_hash=c0ffee1`, Python asked for its "
                "version (-V): it prints it and exits 0",
            ),
        ],
    )
    def test_help_asked_before_the_command_is_a_pass_of_nothing(self, tmp_path, container, runs):
        found = problems(tmp_path, *crd_valid(job_template(container)))
        assert len(found) == 1 and f"{self.WHERE}: the Job's container runs {runs}" in found[0], found
        assert (
            "a Successful Job evaluating no check (Argo reads it as Successful, a pass of a check never run)"
            in (found[0])
        )

    @pytest.mark.parametrize(
        ("container", "runs"),
        [
            # The whole line as one word of args: one word, no command of the analyzer's. Before: no problem.
            (
                analyzer_container("run payments-error-rate --arg canary_hash={{args.canary-hash}}"),
                "`analyzer 'run payments-error-rate --arg canary_hash={{args.canary-hash}}'`, whose command 'run "
                "payments-error-rate --arg canary_hash={{args.canary-hash}}' is none of the analyzer's",
            ),
            (analyzer_container("--verbose"), "`analyzer --verbose` without a command"),
            # Python 3.11's argparse (the image's) reads `--` as the command.
            (
                analyzer_container("--", "run", "payments-error-rate"),
                "`analyzer -- run payments-error-rate`, whose command '--' is none of the analyzer's",
            ),
            # An option argparse does not know takes no value: the word after it is read as the command.
            (
                analyzer_container("--log-level", "debug", "run"),
                "`analyzer --log-level debug run`, whose command 'debug' is none",
            ),
        ],
    )
    def test_words_that_name_no_command_are_a_failed_measurement(self, tmp_path, container, runs):
        found = problems(tmp_path, *crd_valid(job_template(container)))
        assert len(found) == 1 and f"{self.WHERE}: the Job's container runs {runs}" in found[0], found
        assert "it exits 2 (a usage error), a failed Job evaluating no check (Argo reads it as Failed)" in found[0]

    def test_a_command_filled_in_or_of_another_image_is_not_judged(self, tmp_path):
        filled = analyzer_container("$(COMMAND)", "payments-error-rate", "--arg", "canary_hash={{args.canary-hash}}")
        # Another image's program named analyzer, with commands of its own.
        other = analyzer_container("scan", "/src", command=["analyzer"], image="example.com/code-analyzer:2")
        options = analyzer_container("--verbose", command=["analyzer"], image="example.com/code-analyzer:2")
        templates = [crd_valid(job_template(container)) for container in (filled, other, options)]
        assert problems(tmp_path, *(template for found in templates for template in found)) == []

    def test_the_analyzer_s_commands_are_those_its_parser_takes(self):
        from analyzer.cli import build_parser

        (commands,) = [action.choices for action in build_parser()._actions if action.dest == "command"]
        assert tuple(commands or ()) == argo_templates._ANALYZER_COMMANDS

    def test_a_shell_given_no_command_is_a_pass_of_nothing(self, tmp_path):
        # Before: no problem; `sh -c ""` exits 0 at every measurement: Successful, no check evaluated.
        container = analyzer_container(command=["sh", "-c", ""])
        found = problems(tmp_path, *crd_valid(job_template(container)))
        assert [p.replace(f"{tmp_path}/", "") for p in found] == [
            f"{self.WHERE}: the Job's container runs `sh -c ''`, a shell given no command to run: it runs none and "
            "exits 0, a Successful Job evaluating no check (Argo reads it as Successful, a pass of a check never run); "
            "make it run `analyzer run NAME --arg KEY=VALUE ...` (docs/job-mode.md)"
        ]

    def test_a_value_given_as_a_word_of_its_own_is_not_shown(self, tmp_path):
        # `--arg token VALUE`: the word after a key may be a secret's value, which no problem quotes.
        args = ["run", "payments-error-rate", "--arg=canary_hash=c0ffee1", "--arg", "s3cr3t-t0ken", "--ab", "s3cr3t-v"]
        found = problems(tmp_path, *crd_valid(job_template(analyzer_container(*args))))
        assert len(found) == 2 and not [problem for problem in found if "s3cr3t" in problem]
        # A value starting with '-' after `--arg KEY`, and one that reads as no option's name, are no option.
        for words in (["--arg", "token", "-s3cr3t"], ["--arg=token=x", "-s3cr3t9"]):
            args = ["run", "payments-error-rate", "--arg=canary_hash=c0ffee1", *words]
            found = problems(tmp_path, *crd_valid(job_template(analyzer_container(*args))))
            assert found and not [problem for problem in found if "s3cr3t" in problem], found

    @pytest.mark.parametrize(
        ("args", "problem"),
        [
            (
                ["run", "payments-eror-rate", "--arg", "canary_hash={{args.canary-hash}}"],
                "the Job runs check 'payments-eror-rate', which the catalog does not have; did you mean "
                f"'payments-error-rate'?; {JOB_EXIT_2}",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary-hash={{args.canary-hash}}"],
                "the Job gives arg 'canary-hash', which check 'payments-error-rate' does not declare (its params: "
                f"canary_hash; did you mean 'canary_hash'?); {JOB_EXIT_2}",
            ),
            (
                ["run", "payments-error-rate", "--arg", "canary-hash={{args.canary-hash}}"],
                f"check 'payments-error-rate' requires arg 'canary_hash', which the Job does not give; {JOB_EXIT_2}",
            ),
            (
                ["run", "payments-error-rate", "--arg=canary_hash="],
                "check 'payments-error-rate' refuses an arg the Job gives: arg 'canary_hash' is empty (a PromQL "
                "matcher reads an empty value as 'the label is absent'; the param's min_length: 0 allows it); "
                + JOB_EXIT_2,
            ),
        ],
    )
    def test_a_job_that_runs_a_check_wrongly_is_a_problem(self, tmp_path, args, problem):
        found = problems(tmp_path, *crd_valid(job_template(analyzer_container(*args))))
        assert f"{self.WHERE}: {problem}" in [p.replace(f"{tmp_path}/", "") for p in found]

    def test_the_example_job_template_calls_its_catalog_rightly_and_a_misspelt_arg_is_caught(self, tmp_path):
        root = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "http-smoke"
        catalog = load_catalog(root / "catalog-http-smoke.yaml", Registry.default())
        example = root / "canary" / "analysis-template-job.yaml"
        assert template_problems([example], catalog) == []
        misspelt = tmp_path / "analysis-template-job.yaml"
        misspelt.write_text(
            example.read_text().replace('"service={{args.canary-service}}"', '"servic={{args.canary-service}}"')
        )
        assert [p.split(": ", 1)[1] for p in template_problems([misspelt], catalog)] == [
            "AnalysisTemplate 'checkout-canary-smoke-job', metric 'canary-smoke': the Job gives arg 'servic', which "
            "check 'checkout-canary-smoke' does not declare (its params: service, namespace; did you mean 'service'?); "
            + JOB_EXIT_2
        ]


def batch_job(kind: str, *containers: dict[str, Any], api_version: str = "batch/v1") -> dict[str, Any]:
    """A Job (or CronJob) manifest of its own, running these containers."""
    job = {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": list(containers)}}}
    spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job}} if kind == "CronJob" else job
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "gate"}, "spec": spec}


class TestPodsKubernetesRefusesInAJob:
    """A Job's pod whose restartPolicy is not Never or OnFailure (unset: Always), or a container of which has no
    image, is named: Kubernetes refuses the Job, which Argo then creates at no measurement."""

    RUN = ("run", "payments-error-rate", "--arg", "canary_hash=c0ffee1")

    @staticmethod
    def metric_problems(tmp_path: Path, job: dict[str, Any]) -> list[str]:
        return problems(tmp_path, job)

    @pytest.mark.parametrize(
        ("policy", "shown"),
        [
            (None, "no restartPolicy (the pod's default, Always)"),
            ("Always", "restartPolicy 'Always'"),
            ("never", "restartPolicy 'never'"),
        ],
    )
    def test_a_restart_policy_kubernetes_refuses(self, tmp_path, policy, shown):
        # Before: exit 0 (its container runs the check rightly), while every measurement was an Error.
        odd = job_template(analyzer_container(*self.RUN))
        pod = odd["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]
        if policy is None:
            del pod["restartPolicy"]
        else:
            pod["restartPolicy"] = policy
        (found,) = problems(tmp_path, odd)
        assert found.endswith(
            f"AnalysisTemplate 'payments-job', metric 'errors': the Job's pod has {shown}: Kubernetes takes only "
            "Never or OnFailure in a Job (spec.template.spec.restartPolicy: Unsupported value); write restartPolicy: "
            "Never: the Job is refused (Argo creates it at no measurement, each an Error, and the rollout aborts "
            "after five)"
        ), found

    @pytest.mark.parametrize("policy", ["Never", "OnFailure", "{{args.restart}}"])
    def test_a_restart_policy_kubernetes_takes(self, tmp_path, policy):
        odd = job_template(analyzer_container(*self.RUN))
        odd["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]["restartPolicy"] = policy
        assert [p for p in problems(tmp_path, odd) if "restartPolicy" in p and "refused" in p] == []

    @pytest.mark.parametrize("image", [None, ""])
    def test_a_container_without_its_image(self, tmp_path, image):
        init = {"name": "wait", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]}
        check = analyzer_container(*self.RUN)
        if image is None:
            del check["image"]
        else:
            check["image"] = image
        odd = job_template(check)
        odd["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]["initContainers"] = [init]
        found = [p for p in problems(tmp_path, odd) if "image" in p]
        assert [p.partition("metric 'errors': ")[2] for p in found] == [
            "the Job's container 'check' has no image: Kubernetes requires one (image: Required value): the Job is "
            "refused (Argo creates it at no measurement, each an Error, and the rollout aborts after five)"
        ], found

    @pytest.mark.parametrize("kind", ["Job", "CronJob"])
    def test_a_job_of_its_own(self, tmp_path, kind):
        job = batch_job(kind, analyzer_container(*self.RUN, image="registry.example.com/platform/analyzer:0.1.0"))
        pod = (job["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else job["spec"])["template"]["spec"]
        del pod["restartPolicy"]
        (found,) = TestJobsOfTheirOwn.problems(tmp_path, job)
        assert found.endswith(
            f"{kind} 'gate': the Job's pod has no restartPolicy (the pod's default, Always): Kubernetes takes only "
            "Never or OnFailure in a Job (spec.template.spec.restartPolicy: Unsupported value); write restartPolicy: "
            "Never: the Job is refused (kubectl apply fails)"
        ), found


class TestJobsOfTheirOwn:
    """A Job or CronJob manifest of its own whose container runs `analyzer run` is checked as a job metric's is:
    `validate` refused its file as "not a catalog", or, in a directory, skipped it unread."""

    MISSPELT = analyzer_container("run", "payments-eror-rate", "--arg", "canary_hash=c0ffee1")
    OWN_EXIT_2 = "`analyzer run` would exit 2 (a usage error) whenever the Job runs: a failed Job, and no verdict"
    IMAGE = "registry.example.com/platform/analyzer:0.1.0"

    @staticmethod
    def problems(tmp_path: Path, *jobs: dict[str, Any]) -> list[str]:
        (tmp_path / "jobs.yaml").write_text(yaml.safe_dump_all(jobs))
        return job_problems([tmp_path], build_catalog([("catalog.yaml", CATALOG)], Registry.default()))

    @pytest.mark.parametrize("kind", ["Job", "CronJob"])
    def test_its_mistakes_are_problems(self, tmp_path, kind):
        found = self.problems(tmp_path, batch_job(kind, self.MISSPELT))
        assert [p.replace(f"{tmp_path}/", "") for p in found] == [
            f"jobs.yaml:1: {kind} 'gate': the Job runs check 'payments-eror-rate', which the catalog does not "
            f"have; did you mean 'payments-error-rate'?; {self.OWN_EXIT_2}"
        ]

    def test_another_api_s_job_and_a_job_of_another_program_are_left_alone(self, tmp_path):
        other_api = batch_job("Job", self.MISSPELT, api_version="example.com/v1")
        other_program = batch_job("Job", analyzer_container("run", "payments-eror-rate", image="busybox:1.36"))
        assert self.problems(tmp_path, other_api, other_program) == []

    @pytest.mark.parametrize(
        "command",
        [
            ["python", "-m", "analyzer"],
            ["/venv/bin/python3.11", "-u", "-X", "dev", "-m", "analyzer"],
            ["python3", "-m", "analyzer.cli"],
            ["tini", "--", "analyzer"],
            ["tini", "-s", "--", "analyzer"],
            ["/usr/bin/tini", "-g", "-p", "SIGTERM", "--", "python3", "-m", "analyzer"],
            ["dumb-init", "--single-child", "analyzer"],
            ["tini", "-e", "143", "--", "analyzer"],
            ["dumb-init", "-r", "15:2", "analyzer"],
            ["dumb-init", "--rewrite", "15:2", "--", "analyzer"],
            # Python's options clustered and a module attached, as Python reads them. Before: not read.
            ["python3", "-Bm", "analyzer"],
            ["python3", "-manalyzer"],
            ["python3", "-uWignore", "-m", "analyzer.cli"],
            ["python3", "-uW", "ignore", "-m", "analyzer"],
            # Python's one long option that takes a value, and it as the next word.
            ["python3", "--check-hash-based-pycs", "always", "-m", "analyzer"],
            # An empty command: the image's entrypoint, analyzer. Before: read as no program.
            [],
        ],
    )
    def test_one_run_through_python_or_an_init_is_read(self, tmp_path, command):
        # Before: its words were not read (no problem); the Job exited 2 whenever it ran.
        container = analyzer_container("run", "payments-eror-rate", "--arg", "canary_hash=c0ffee1", command=command)
        found = self.problems(tmp_path, batch_job("Job", container))
        assert [p.replace(f"{tmp_path}/", "").partition(";")[0] for p in found] == [
            "jobs.yaml:1: Job 'gate': the Job runs check 'payments-eror-rate', which the catalog does not have"
        ]

    @pytest.mark.parametrize(
        "command",
        [
            ["python", "-m", "analyzers"],
            ["python", "-c", "import analyzer", "-m", "analyzer"],
            ["python", "-Bc", "-m", "analyzer"],
            ["python", "-W", "-m", "analyzer"],
            ["python", "analyzer.py"],
            # A script read from stdin (`-`), or named after the options' end (`--`): `-m` is its argument.
            ["python", "-", "-m", "analyzer"],
            ["python", "--", "-m", "analyzer"],
            ["tini", "--", "sh", "-c", "analyzer"],
            ["strace", "analyzer"],
        ],
    )
    def test_other_programs_are_left_alone(self, tmp_path, command):
        container = analyzer_container("run", "payments-eror-rate", command=command, image="busybox:1.36")
        assert self.problems(tmp_path, batch_job("Job", container)) == []

    @pytest.mark.parametrize(
        ("container", "runs"),
        [
            # An init or Python given nothing to run (Kubernetes ignores the image's CMD when a command is given).
            ({"command": ["tini", "--"]}, "`tini --`, an init given no program"),
            ({"command": ["dumb-init"]}, "`dumb-init`, an init given no program"),
            ({"command": ["/sbin/tini", "-s", "--"], "args": []}, "`/sbin/tini -s --`, an init given no program"),
            ({"command": ["python3"]}, "`python3`, Python given no module or script"),
            ({"command": ["tini", "--", "python3", "-u"]}, "`python3 -u`, Python given no module or script"),
            # Python reading its stdin as `-` says, or after `--`, or after an option's value.
            ({"command": ["python3", "-"]}, "`python3 -`, Python given no module or script"),
            ({"command": ["python3", "-u", "--"]}, "`python3 -u --`, Python given no module or script"),
            (
                {"command": ["python3", "--check-hash-based-pycs", "default"]},
                "`python3 --check-hash-based-pycs default`, Python given no module or script",
            ),
            ({"command": ["sh", "-c", ""]}, "`sh -c ''`, a shell given no command to run"),
            (
                {"command": ["/bin/bash", "-ec"], "args": ["  "]},
                "`/bin/bash -ec '  '`, a shell given no command to run",
            ),
            ({"command": ["sh"]}, "`sh`, a shell given no command to run"),
            # The analyzer without a command, or asked for its help, and the image's default.
            ({"command": ["analyzer"]}, "`analyzer` without a command"),
            ({"command": ["tini", "--", "analyzer"]}, "`analyzer` without a command"),
            ({"args": ["--help"]}, "`analyzer --help`"),
            ({}, "the image's default, `analyzer serve`"),
            # An empty command is the image's entrypoint, as no command is.
            ({"command": [], "args": []}, "the image's default, `analyzer serve`"),
        ],
    )
    def test_a_container_of_the_analyzer_that_runs_no_check_is_a_problem(self, tmp_path, container, runs):
        # Before: no problem, and validate skipped the file as holding no catalog document. At every run the Job ended
        # without a verdict: a failed Job (an init's usage error, exit 2), one never ending (serve), or a Successful
        # one (Python or a shell reading an empty stdin, help): for a job metric, a pass of a check never run.
        (found,) = self.problems(tmp_path, batch_job("Job", {"name": "gate", "image": self.IMAGE, **container}))
        assert runs in found, found
        assert "make it run `analyzer run NAME --arg KEY=VALUE ...`" in found

    @pytest.mark.parametrize(
        "container",
        [
            {"command": ["sh", "-c", "analyzer run payments-error-rate --arg canary_hash=$HASH"]},
            {"command": ["python3", "-c", "print(1)"]},
            {"command": ["python3", "/gate.py"]},
            {"command": ["python3", "-W"]},
            # A module written after -m's letter.
            {"command": ["python3", "-umgate"]},
            {"command": ["sh", "/gate.sh"]},
            {"command": ["tini", "--", "/gate.sh"]},
            # Not the analyzer's image: its own program, which may run whatever it likes.
            {"command": ["tini", "--"], "image": "busybox:1.36"},
            {"command": ["sh", "-c", ""], "image": "busybox:1.36"},
        ],
    )
    def test_a_container_that_may_run_something_else_is_left_alone(self, tmp_path, container):
        assert self.problems(tmp_path, batch_job("Job", {"name": "gate", "image": self.IMAGE, **container})) == []

    @pytest.mark.parametrize(
        ("command", "said"),
        [
            (["tini", "--"], "it exits with a usage error, a failed Job, and no verdict; make it run"),
            (
                ["sh", "-c", ""],
                "it runs none and exits 0, a Successful Job, and no verdict: what waits on the Job reads a pass of a "
                "check never run; make it run",
            ),
        ],
    )
    def test_a_job_of_its_own_is_said_without_argo(self, tmp_path, command, said):
        # Before: "(Argo reads it as Failed)", "(Argo reads it as Successful ...)" of a Job no AnalysisRun runs.
        (found,) = self.problems(tmp_path, batch_job("Job", {"name": "gate", "image": self.IMAGE, "command": command}))
        assert "Argo" not in found and said in found, found

    @pytest.mark.parametrize(
        ("command", "asked"),
        [(["python3", "--version"], "version (--version)"), (["python3", "-u", "-?"], "help (-?)")],
    )
    def test_python_asked_for_its_version_or_help_is_said_so(self, tmp_path, command, asked):
        # Before: "Python given no module or script: it reads one from its stdin", though it reads none: it prints.
        (found,) = self.problems(tmp_path, batch_job("Job", {"name": "gate", "image": self.IMAGE, "command": command}))
        assert f"`{shlex.join(command)}`, Python asked for its {asked}: it prints it and exits 0, a Successful Job" in (
            found
        ), found

    def test_validate_reads_a_file_whose_job_runs_no_check(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        jobs = [batch_job("Job", {"name": "gate", "image": self.IMAGE, "command": ["tini", "--"]})]
        (tmp_path / "jobs.yaml").write_text(yaml.safe_dump_all(jobs))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "Job 'gate': the Job's container runs `tini --`, an init given no program" in result.stderr

    def test_validate_reads_a_file_of_jobs(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", self.MISSPELT)))
        result = validate(tmp_path / "catalog.yaml", tmp_path / "job.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        assert "Job 'gate': the Job runs check 'payments-eror-rate'" in result.stderr
        # Before: under "an AnalysisTemplate calls the catalog wrongly", which the file holds none of.
        assert "analyzer: a Job ends without a verdict, or calls the catalog wrongly:\n" in result.stderr
        assert "AnalysisTemplate" not in result.stderr
        assert "not a catalog" not in result.stderr
        assert f"1 file of Jobs running analyzer run, checked against the catalog: {tmp_path / 'job.yaml'}" in (
            result.stdout
        )
        fine = analyzer_container("run", "payments-error-rate", "--arg", "canary_hash=c0ffee1")
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("CronJob", fine)))
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr


IMAGE = "registry.example.com/platform/analyzer:0.1.0"
RUN = ["run", "payments-error-rate", "--arg", "canary_hash=c0ffee1"]


def own_job_findings(
    tmp_path: Path, *jobs: dict[str, Any], catalog: dict[str, Any] = CATALOG
) -> tuple[list[str], list[str]]:
    """(problems, notes) of these Jobs of their own, their file's path left out."""
    (tmp_path / "jobs.yaml").write_text(yaml.safe_dump_all(jobs))
    built = build_catalog([("catalog.yaml", catalog)], Registry.default())
    problems, notes = job_problems([tmp_path], built), argo_templates.job_notes([tmp_path], built)
    return [p.replace(f"{tmp_path}/", "") for p in problems], [n.replace(f"{tmp_path}/", "") for n in notes]


def container(name: str, *command: str, **fields: Any) -> dict[str, Any]:
    """A container of the analyzer's image running `command` (its entrypoint's args when the first word is `run`), its
    catalog set by ANALYZER_CATALOG."""
    words = {"args": list(command)} if command[:1] == ("run",) else {"command": list(command)}
    return {"name": name, "image": IMAGE, **words} | with_catalog(fields)


def with_init(job: dict[str, Any], *init: dict[str, Any]) -> dict[str, Any]:
    """The Job (or job metric's template) with these init containers."""
    spec = job["spec"]["metrics"][0]["provider"]["job"]["spec"] if job["kind"] == "AnalysisTemplate" else job["spec"]
    spec["template"]["spec"]["initContainers"] = list(init)
    return job


class TestInitContainers:
    """An init container runs to its end before the containers start and fails the Job when it fails: a check run in
    one gates the Job, and is read as a container's is; one run as a native sidecar gates nothing."""

    MISSPELT = ["run", "payments-eror-rate", "--arg", "canary_hash=c0ffee1"]

    def test_a_check_in_an_init_container_is_read(self, tmp_path):
        # Before: init containers were never read; the Job exited 2 whenever it ran, and validate said nothing.
        job = with_init(
            batch_job("Job", container("done", "sh", "-c", "echo done")), container("smoke", *self.MISSPELT)
        )
        problems, _ = own_job_findings(tmp_path, job)
        assert problems == [
            "jobs.yaml:1: Job 'gate': the Job runs check 'payments-eror-rate', which the catalog does not have; "
            "did you "
            f"mean 'payments-error-rate'?; {TestJobsOfTheirOwn.OWN_EXIT_2}"
        ]

    def test_a_job_metric_s_init_container_is_read(self, tmp_path):
        template = with_init(job_template(container("done", "sh", "-c", "true")), container("smoke", *self.MISSPELT))
        (found,) = problems(tmp_path, *crd_valid(template))
        assert "metric 'errors': the Job runs check 'payments-eror-rate', which the catalog does not have" in found
        assert found.endswith(JOB_EXIT_2)

    @pytest.mark.parametrize(
        "idle", [["sh", "-c", ""], ["sh", "-c", "echo the smoke test passed"], ["python3"], ["analyzer", "list"]]
    )
    def test_a_container_that_exits_0_after_an_init_container_s_check_is_fine(self, tmp_path, idle):
        # Before: the container was said to make a Successful Job of no check, though the init container's check
        # decides whether the containers start at all.
        job = with_init(batch_job("Job", container("done", *idle)), container("smoke", *RUN))
        assert own_job_findings(tmp_path, job) == ([], [])

    def test_a_container_that_exits_0_beside_one_that_runs_or_may_run_the_check_is_fine(self, tmp_path):
        beside_check = batch_job("Job", container("smoke", *RUN), container("done", "sh", "-c", ""))
        beside_script = batch_job("Job", container("done", "sh", "-c", ""), {"name": "gate", "image": "ci/gate:1"})
        assert own_job_findings(tmp_path, beside_check, beside_script) == ([], [])

    def test_an_init_container_that_fails_or_never_ends_is_a_problem_beside_a_check(self, tmp_path):
        job = with_init(batch_job("Job", container("smoke", *RUN)), container("prepare", "tini", "--"))
        problems, _ = own_job_findings(tmp_path, job)
        assert problems == [
            "jobs.yaml:1: Job 'gate': the Job's init container 'prepare' runs `tini --`, an init given no program "
            "(Kubernetes does not add the image's CMD when a container gives a command): it exits with a usage "
            f"error, a failed Job, and no verdict; {argo_templates._WRITE_RUN}"
        ]

    def test_a_check_in_a_native_sidecar_is_a_problem(self, tmp_path):
        # Before: not read. Kubernetes restarts a native sidecar whatever it exits with: the Job was Complete once its
        # container ended, whatever the verdict.
        sidecar = container("smoke", *RUN, restartPolicy="Always")
        template = with_init(job_template(container("done", "sh", "-c", "echo done")), sidecar)
        found = [p.replace(f"{tmp_path}/", "") for p in problems(tmp_path, *crd_valid(template))]
        where = "templates.yaml:9: AnalysisTemplate 'payments-job', metric 'errors'"
        assert found == [
            f"{where}: the Job's init container 'smoke' runs `analyzer run` as a native sidecar (restartPolicy: "
            "Always): Kubernetes restarts it whatever it exits with and stops it once the Job's containers end, so its "
            "verdict never decides the Job, which Argo reads; remove its restartPolicy (an init container runs to its "
            "end before the containers start, and its failure fails the Job) or move it to containers",
            f"{where}: the Job's container 'done' runs `sh -c 'echo done'`, a shell whose line runs no check (only "
            "true, :, echo, printf, exit 0): it exits 0, a Successful Job evaluating no check (Argo reads it as "
            f"Successful, a pass of a check never run); {argo_templates._WRITE_RUN}",
        ]


class TestCommandsThatRunNoCheck:
    """`analyzer serve`, `validate`, `list` and `import`, and a shell line of no-ops, evaluate no check: in a Job they
    make one that never ends, or a Successful one without a verdict."""

    @pytest.mark.parametrize(
        ("command", "runs"),
        [
            (
                ["analyzer", "serve", "--port", "8080"],
                "runs `analyzer serve --port 8080`, the service, which never ends: no verdict, and a Job that fails "
                "at its activeDeadlineSeconds if it has one; make it run",
            ),
            (
                ["analyzer", "list", "--catalog", "/etc/analyzer"],
                "runs `analyzer list --catalog /etc/analyzer`, which lists the catalog's checks and evaluates none: it "
                "exits 0, a Successful Job, and no verdict",
            ),
            (["analyzer", "import", "sloth", "/slos.yaml"], "which prints checks made of an SLO file"),
            (["tini", "--", "python3", "-m", "analyzer", "list"], "runs `analyzer list`, which lists"),
            (["sh", "-c", "true"], "runs `sh -c true`, a shell whose line runs no check"),
            (["/bin/sh", "-ec", ":; echo 'smoke ok' && exit 0"], "a shell whose line runs no check"),
            (["bash", "-c", "printf done\nexit"], "a shell whose line runs no check"),
            # What follows `exit` never runs. Before: left alone, as a line that may run a check.
            (["sh", "-c", "exit 0; analyzer run payments-error-rate"], "a shell whose line runs no check"),
            (["sh", "-c", "echo analyzer run payments-error-rate"], "a shell whose line runs no check"),
            # The check named in a comment only. Before: a note (a comment not read), as if the line might run it.
            (["sh", "-c", "true # analyzer run payments-error-rate"], "a shell whose line runs no check"),
            # `-o` takes a value. Before: `errexit` was read as the line, and the Job left alone.
            (["sh", "-o", "errexit", "-c", "true"], "a shell whose line runs no check"),
            (["bash", "-euo", "pipefail", "-c", ""], "a shell given no command to run"),
        ],
    )
    def test_a_job_of_its_own_running_them_is_a_problem(self, tmp_path, command, runs):
        # Before: no problem, and validate refused the file as "not a catalog", or skipped it in a directory.
        problems, notes = own_job_findings(tmp_path, batch_job("Job", container("gate", *command)))
        assert len(problems) == 1 and runs in problems[0] and not notes, problems

    def test_python_running_the_analyzer_s_command_in_another_image_is_read(self, tmp_path):
        command = ["python3", "-m", "analyzer", "serve"]
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("gate", *command, image="ci/py:3.11")))[0]
        assert "runs `analyzer serve`, the service, which never ends" in found

    @pytest.mark.parametrize("command", [["analyzer", "serve"], ["analyzer", "validate", "/etc/analyzer"]])
    def test_a_job_metric_running_them_is_a_problem(self, tmp_path, command):
        (found,) = problems(tmp_path, *crd_valid(job_template(container("check", *command))))
        assert f"metric 'errors': the Job's container runs `{shlex.join(command)}`" in found
        assert "Argo reads it as Successful" in found or "which never ends" in found

    def test_validate_in_a_job_of_its_own_is_a_note(self, tmp_path):
        # A Job may validate a catalog of its own accord (a hook before a sync): said, not failed.
        job = batch_job("Job", container("gate", "analyzer", "validate", "/etc/analyzer"))
        assert own_job_findings(tmp_path, job) == (
            [],
            [
                "jobs.yaml:1: Job 'gate': the Job's container runs `analyzer validate /etc/analyzer`, which validates "
                "the catalog and evaluates no check: it exits 0 on a valid one; the Job's success is no verdict: if a "
                f"release waits on it, {argo_templates._WRITE_RUN}"
            ],
        )

    @pytest.mark.parametrize(
        "command",
        [
            ["sh", "-c", "true; analyzer run payments-error-rate --arg canary_hash=c0ffee1"],
            # Literal in single quotes: nothing is substituted, nor run.
            ["sh", "-c", "echo '$(analyzer run x)'"],
            ["sh", "-c", "exit 3"],
            ["sh", "-c", "echo 'unclosed"],
        ],
    )
    def test_a_line_that_may_run_something_is_left_alone(self, tmp_path, command):
        assert own_job_findings(tmp_path, batch_job("Job", container("gate", *command))) == ([], [])

    def test_another_image_s_program_named_analyzer_is_left_alone(self, tmp_path):
        job = batch_job("Job", container("scan", "analyzer", "list", image="example.com/code-analyzer:2"))
        assert own_job_findings(tmp_path, job) == ([], [])

    IDLE_FILES = (
        "1 file of Jobs of the analyzer whose containers' commands are no `analyzer run` (a shell line, another "
        "command), read for what they run instead"
    )

    def test_a_file_of_a_job_whose_check_s_verdict_is_lost_is_not_said_to_run_none(self, tmp_path):
        # Before: "1 file of Jobs of the analyzer running no `analyzer run`", of a Job that runs one (and loses it).
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        job = batch_job("Job", container("gate", "sh", "-c", f"{CHECK_LINE} || true"))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
        result = validate(tmp_path / "catalog.yaml", tmp_path / "job.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"{self.IDLE_FILES}: {tmp_path / 'job.yaml'}" in result.stdout
        assert "running no" not in result.stdout
        assert "the check's verdict is lost" in result.stderr

    @pytest.mark.parametrize(
        "command",
        [
            ["sh", "-c", "analyzer run payments-error-rate --arg canary_hash=c0ffee1"],
            ["sh", "-c", "set -e; analyzer run payments-error-rate --arg canary_hash=c0ffee1"],
            [
                "/bin/bash",
                "-c",
                'case "$MODE" in smoke) analyzer run payments-error-rate --arg canary_hash=c0ffee1;; '
                "*) analyzer run payments-error-rate --arg canary_hash=c0ffee2;; esac",
            ],
        ],
    )
    def test_a_file_of_a_job_whose_line_keeps_the_verdict_is_validated_beside_the_catalog(self, tmp_path, command):
        # Before: exit 6, "job.yaml: a Kubernetes Job, not a catalog", of a Job a problem in its line would have named.
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", container("gate", *command))))
        result = validate(tmp_path / "catalog.yaml", tmp_path / "job.yaml")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{self.IDLE_FILES}: {tmp_path / 'job.yaml'}" in result.stdout

    KEPT_VERDICT = (
        "analyzer run payments-error-rate --arg canary_hash=c0ffee1 && "
        "analyzer run payments-error-rate --arg canary_hash=c0ffee2"
    )

    @pytest.mark.parametrize(
        ("command", "said"),
        [
            # Before: exit 6, "a Kubernetes Job, not a catalog"; in a directory, "skipped ... holding no catalog".
            (["sh", "-c", KEPT_VERDICT], []),
            (
                ["sh", "-c", "for c in a b; do analyzer run $c; done"],
                ["a shell line validate does not read for what it does with the check's exit (a loop"],
            ),
            # A script of the analyzer's, which may run a check: read as a Job too.
            (["/opt/analyzer/smoke.sh"], []),
        ],
    )
    def test_a_job_whose_words_may_run_the_check_is_read_as_a_job(self, tmp_path, command, said):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "jobs").mkdir()
        job = batch_job("Job", container("gate", *command))
        (tmp_path / "jobs" / "job.yaml").write_text(yaml.safe_dump(job))
        for given in (tmp_path / "jobs" / "job.yaml", tmp_path / "jobs"):
            result = validate(tmp_path / "catalog.yaml", given)
            assert result.returncode == 0, result.stdout + result.stderr
            assert f"{self.IDLE_FILES}: {tmp_path / 'jobs' / 'job.yaml'}" in result.stdout
            assert "skipped" not in result.stdout
            notes = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
            assert [next(part for part in said if part in note) for note in notes] == said, result.stdout

    def test_validate_reads_a_file_of_jobs_that_run_no_check_and_says_so(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", container("gate", "analyzer", "serve"))))
        result = validate(tmp_path / "catalog.yaml", tmp_path / "job.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        assert "analyzer: a Job ends without a verdict, or calls the catalog wrongly:\n" in result.stderr
        assert "Job 'gate': the Job's container runs `analyzer serve`, the service" in result.stderr
        # Before: "1 file of Jobs running analyzer run", of a Job that runs none.
        assert "running analyzer run" not in result.stdout
        assert f"{self.IDLE_FILES}: {tmp_path / 'job.yaml'}" in result.stdout
        (tmp_path / "job.yaml").write_text(
            yaml.safe_dump(batch_job("Job", container("gate", "analyzer", "validate", "/etc/analyzer")))
        )
        # Before: exit 6, "a Kubernetes Job, not a catalog".
        result = validate(tmp_path / "catalog.yaml", tmp_path / "job.yaml")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "note: " in result.stdout and "runs `analyzer validate /etc/analyzer`" in result.stdout


CHECK_LINE = "analyzer run payments-error-rate --arg canary_hash=c0ffee1"


class TestShellsThatReadMore:
    """A shell that reads startup files (a login or interactive shell, bash's BASH_ENV) or an attached stdin may run a
    check: it is not said to run nothing."""

    @pytest.mark.parametrize(
        "fields",
        [
            {"command": ["bash", "-c", ""], "env": [{"name": "BASH_ENV", "value": "/gate/smoke.sh"}]},
            {"command": ["/bin/bash"], "env": [{"name": "BASH_ENV", "value": "/gate/smoke.sh"}]},
            # BASH_ENV may be a ConfigMap's. Before: "a shell given no command to run".
            {"command": ["bash", "-c", ""], "envFrom": [{"configMapRef": {"name": "smoke"}}]},
            {"command": ["bash", "-c", "true"], "envFrom": [{"secretRef": {"name": "smoke"}}]},
            {"command": ["bash", "--login", "-c", "true"]},
            {"command": ["bash", "-lc", ""]},
            {"command": ["sh", "-i"]},
            {"command": ["sh"], "stdin": True},
            {"command": ["python3"], "stdin": True},
        ],
    )
    def test_it_is_left_alone(self, tmp_path, fields):
        # Before: "a shell given no command to run" (or Python given none), of a shell that runs what it is given.
        job = batch_job("Job", {"name": "gate", "image": IMAGE, **fields})
        assert own_job_findings(tmp_path, job) == ([], [])

    @pytest.mark.parametrize(
        "fields",
        [
            # sh (dash) reads no BASH_ENV; `-c` reads no stdin.
            {"command": ["sh", "-c", ""], "env": [{"name": "BASH_ENV", "value": "/gate/smoke.sh"}]},
            {"command": ["bash", "-c", ""], "stdin": True},
            {"command": ["bash", "-e", "-c", "true"]},
            {"command": ["sh", "-c", "true"], "envFrom": [{"configMapRef": {"name": "smoke"}}]},
        ],
    )
    def test_one_that_reads_nothing_more_is_still_said(self, tmp_path, fields):
        (found,) = own_job_findings(tmp_path, batch_job("Job", {"name": "gate", "image": IMAGE, **fields}))[0]
        assert "a shell" in found and "exits 0, a Successful Job, and no verdict" in found, found

    @pytest.mark.parametrize(
        "fields",
        [
            {"command": ["bash", "-c", f"{CHECK_LINE} || true"], "env": [{"name": "BASH_ENV", "value": "/a.sh"}]},
            {"command": ["bash", "-c", f"{CHECK_LINE}; echo done"], "envFrom": [{"configMapRef": {"name": "a"}}]},
            {"command": ["sh", "-c", f"{CHECK_LINE} &"], "stdin": True},
            # A login or interactive shell: its startup files run before the line. Before: not read (-l, -i).
            {"command": ["bash", "-lc", f"{CHECK_LINE} || true"]},
            {"command": ["bash", "--login", "--noprofile", "-c", f"{CHECK_LINE}; echo done"]},
            {"command": ["sh", "-i", "-c", f"{CHECK_LINE} || true"]},
        ],
    )
    def test_its_line_still_loses_the_verdict(self, tmp_path, fields):
        # Before: a shell reading startup files was not read at all; what they run leaves `|| true` as it is.
        (found,) = own_job_findings(tmp_path, batch_job("Job", {"name": "gate", "image": IMAGE, **fields}))[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in found, found


class TestShellLinesThatLoseTheVerdict:
    """A shell line that may exit 0 though its check fails or is skipped (`|| true`, a command after it, `&`, a pipe,
    `exit 0` first) makes a Successful Job of any verdict; one whose exit is the check's, or is not read, is fine."""

    @pytest.mark.parametrize(
        "line",
        [
            f"{CHECK_LINE} || true",
            f"{CHECK_LINE} || echo the check failed",
            f"{CHECK_LINE} || exit 0",
            # Exit codes are taken modulo 256.
            f"{CHECK_LINE} || exit 256",
            # `exit` alone exits with the last command's status: echo's.
            f"{CHECK_LINE} || echo the check failed\nexit",
            f"{CHECK_LINE}; exit 0",
            f"{CHECK_LINE}; echo done",
            f"{CHECK_LINE}\necho done",
            f"{CHECK_LINE}; /scripts/cleanup",
            f"set +e; {CHECK_LINE}; echo done",
            f"set -e; {CHECK_LINE} || true",
            f"{CHECK_LINE} &",
            f"{CHECK_LINE} | tee /reports/smoke.txt",
            f"set -o pipefail; {CHECK_LINE} | tee /reports/smoke.txt; echo done",
            f"test -f /skip || {CHECK_LINE}",
            f"cd /app; exit 0; {CHECK_LINE}",
            "python3 -m analyzer run payments-error-rate --arg canary_hash=c0ffee1; true",
            # A command substituted in another's words: the status is that command's. Before: not read (`$`).
            f"echo $({CHECK_LINE})",
            f"echo `{CHECK_LINE}`",
            # A single quote within double quotes is a character: the substitution after it is read.
            f'echo "it\'s: $({CHECK_LINE})"',
            f'printf "%s" "$({CHECK_LINE})"',
            f"set -e; echo $({CHECK_LINE})",
            f"export OUT=$({CHECK_LINE})",
            # bash's declarations exit 0 as `export` does (dash has none: not found, exit 127, no pass either).
            f"declare OUT=$({CHECK_LINE})",
            f"typeset -r OUT=$({CHECK_LINE})",
            # Assigned, its status is the check's until another command's replaces it.
            f'OUT=$({CHECK_LINE}); echo "$OUT"',
            f"OUT=$({CHECK_LINE}) || true",
            f"OUT=$({CHECK_LINE}) DATE=$(date)",
            f'OUT="$({CHECK_LINE})"; echo "${{OUT}}" | tee /reports/smoke.txt',
            # A test of the check's output alone is true whenever it printed anything: its fail too. Before: not read.
            f'OUT=$({CHECK_LINE}); [ -n "$OUT" ]',
            f'test -n "$({CHECK_LINE})"',
            f'[ "$({CHECK_LINE})" ]',
            f'[ "`{CHECK_LINE}`" != "" ]',
            f'OUT=$({CHECK_LINE}); test "${{OUT}}"',
            f'export OUT=$({CHECK_LINE}); [ ! -z "$OUT" ] && echo passed',
            f'OUT=$({CHECK_LINE}); [ "" != "$OUT" ] || exit 1',
            f'OUT=$({CHECK_LINE}); COPY=$OUT; [ -n "$COPY" ]',
            # `[` and `]` as words of their own are a test, no glob: the line is read. Before: not read.
            f"[ -f /skip ] || {CHECK_LINE}",
            f"readonly OUT=$({CHECK_LINE})",
            # Tested for being printed with bash's `[[`, or within other text (true even with no output). Before: not
            # read.
            f"OUT=$({CHECK_LINE}); [[ -n $OUT ]]",
            f"OUT=$({CHECK_LINE}); [[ $OUT ]] && echo passed",
            f'OUT=$({CHECK_LINE}); COPY="x$OUT"; [ -n "$COPY" ]',
            f'OUT=$({CHECK_LINE}); [ -n "x$OUT" ]',
            # Compared with a word it never is (it is a whole summary, `FAIL NAME: ...`): `!=` is true for every
            # verdict, `=` false for every one. Before: not read.
            f'OUT=$({CHECK_LINE}); [ "$OUT" != fail ]',
            f'OUT=$({CHECK_LINE}); [ "$OUT" != "FAIL" ] && echo passed',
            f"OUT=$({CHECK_LINE}); [[ $OUT != INCONCLUSIVE ]]",
            f'OUT=$({CHECK_LINE}); test fail != "$OUT"',
            f'OUT=$({CHECK_LINE}); [ "$OUT" = pass ] || exit 0',
            f'OUT=$({CHECK_LINE}); [ "$OUT" = fail ] && exit 1; echo passed',
            # A `case` whose arms let another verdict than pass through (no arm matched exits 0; a step's `PASS`
            # line). Before: not read.
            f'OUT=$({CHECK_LINE}); case "$OUT" in FAIL*) exit 1;; esac',
            f'OUT=$({CHECK_LINE}); case "$OUT" in *PASS*) exit 0;; *) exit 1;; esac',
            f'OUT=$({CHECK_LINE}) || case "$OUT" in INCONCLUSIVE*) exit 0;; esac',
            # No output (a usage error) and `--json`'s brace match no arm.
            f'OUT=$({CHECK_LINE}); case "$OUT" in FAIL*|INCONCLUSIVE*|ERROR*) exit 1;; esac',
            f'case "$MODE" in smoke) {CHECK_LINE};; esac',
            # A filter that lets another verdict through: lines without the word, a passed step's line, a reason
            # quoting `pass_if`, a composite member's or a series' verdict, any JSON (jq without -e). Before: not
            # read where quoted glob characters stood (`*`).
            f'OUT=$({CHECK_LINE}); echo "$OUT" | grep -v fail',
            f"{CHECK_LINE} | grep -vq FAIL",
            f"{CHECK_LINE} | grep -q PASS",
            f'OUT=$({CHECK_LINE}); echo "$OUT" | grep -q pass',
            f'{CHECK_LINE} --json | grep -q \'"verdict": "pass"\'',
            f'OUT=$({CHECK_LINE} --json); echo "$OUT" | grep -q \'"verdict": *"pass"\'',
            f"{CHECK_LINE} | grep -qE '^PASS|^INCONCLUSIVE'",
            f"{CHECK_LINE} | grep -q '^PASS' /reports/old.txt",
            f"{CHECK_LINE} --json | jq '.verdict == \"pass\"'",
            f"{CHECK_LINE} --json | jq -e .verdict",
            # `local` outside a function: bash says so and goes on, zsh takes it as `typeset` (exit 0). Before: not
            # read.
            f'local OUT=$({CHECK_LINE}); echo "$OUT"',
            f"local OUT=$({CHECK_LINE})",
            # Groups: their status is their last command's (a subshell's `exit` ends it alone); errexit is off in one
            # whose status is tested. Before: not read.
            f"{{ {CHECK_LINE}; }} || true",
            f"({CHECK_LINE}) || :",
            f"{{ {CHECK_LINE} || true; }}",
            f"({CHECK_LINE}; exit 0)",
            f"{{ {CHECK_LINE}; }} | tee /reports/smoke.txt",
            f"set -e; {{ {CHECK_LINE}; echo done; }} && echo passed",
            # `!` inverts the check's status, and errexit ignores it. Before: not read.
            f"! {CHECK_LINE}",
            f"! {CHECK_LINE} || exit 1",
            f"set -e; ! {CHECK_LINE}; echo done",
            f"! {{ {CHECK_LINE}; }}",
            # `wait` alone exits 0 whatever it waited for. Before: not read.
            f"{CHECK_LINE} & wait",
            f"{CHECK_LINE}; wait",
            # A command whose expansions are the environment's, which hold neither the check's output nor its
            # status: its status is its own. Before: not read.
            f'{CHECK_LINE}; cleanup "$WORKDIR"',
            f'{CHECK_LINE} || notify "$SLACK_URL"',
            f'[ -f "$SKIP_FILE" ] || {CHECK_LINE}',
            # Quoted, glob characters are characters: the line is read. Before: not read.
            f'{CHECK_LINE}; echo "done *"',
            # An `if` without `else` exits 0 when its condition fails (POSIX). Before: not read, and validate silent.
            f"if {CHECK_LINE}; then echo passed; fi",
        ],
    )
    def test_a_line_that_may_exit_0_on_a_failed_check_is_a_problem(self, tmp_path, line):
        # Before: not read (a shell line), so `validate` passed a Job that passes whatever the verdict.
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        # The check named as written (`--json` too).
        assert (
            "a shell whose line may exit 0 though `analyzer run payments-error-rate --arg canary_hash=c0ffee1" in found
        )
        assert (
            "` fails "
            "or is skipped (`|| true`, `exit 0` or another command after it, another check after it that passes "
            "(`analyzer run a; analyzer run b`: write `analyzer run a && analyzer run b`, or `set -e` first), `&` or "
            "`wait`, a pipe without pipefail, `!` before it, an `if` without `else`, its output substituted in "
            "another command's words, `echo $(analyzer run ...)`, or tested "
            'in a way true for another verdict than pass: for being printed, `[ -n "$OUT" ]`, against a word it never '
            'is, `[ "$OUT" != fail ]`, by a `case`, `grep` or `jq` that lets another verdict through, `grep -v fail`, '
            "`grep -q PASS` (a passed step's line), `echo \"$OUT\" | grep -q '^PASS'` (dash's echo turns a reason's "
            "`\\n` into a line), `jq -e` (given no JSON, as when the check prints nothing, it exits 0); a `trap` that "
            "exits 0 on EXIT or on a signal that stops the pod, TERM, INT or HUP, `set -n`; write the check last, or "
            "`analyzer run ... && ...`, or test for a pass alone, `analyzer run ... | grep -q '^PASS'`, `printf "
            "'%s\\n' \"$OUT\" | grep -q '^PASS'`, or `set -o pipefail` before the pipe): the check's verdict is lost, "
            "and it exits 0, a Successful Job, and no verdict" in found
        ), found

    @pytest.mark.parametrize(
        "after",
        # Known to run nothing (the commands read as naming the analyzer only as a file), or unknown: no command is
        # trusted to keep the check's status; each exits with its own, 0 whatever the verdict.
        [
            "true",
            "sleep 5",
            "cat /reports/smoke.txt",
            "ls /reports",
            "tee /reports/done",
            "/scripts/upload-report",
            "kubectl annotate job smoke checked=yes",
            "grep -c PASS /reports/smoke.txt",
            "wait",
        ],
    )
    def test_no_command_after_it_is_trusted_to_keep_its_status(self, tmp_path, after):
        for line in (f"{CHECK_LINE}; {after}", f"{CHECK_LINE}\n{after}", f"{CHECK_LINE} || {after}"):
            (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
            assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in found, found

    def test_a_job_metric_s_is_a_problem(self, tmp_path):
        template = job_template(container("smoke", "/bin/bash", "-c", f"{CHECK_LINE} || true"))
        (found,) = problems(tmp_path, *crd_valid(template))
        assert "metric 'errors': the Job's container runs `/bin/bash -c " in found
        assert "the check's verdict is lost, and it exits 0, a Successful Job evaluating no check (Argo reads" in found

    @pytest.mark.parametrize(
        ("options", "line"),
        [
            (["-c"], CHECK_LINE),
            (["-c"], f"echo start; {CHECK_LINE}"),
            (["-c"], f"{CHECK_LINE};\n"),
            (["-c"], f"{CHECK_LINE} && echo passed"),
            (["-c"], f"{CHECK_LINE} || exit 1"),
            (["-c"], f"{CHECK_LINE} || false"),
            (["-c"], f"cd /app && {CHECK_LINE}"),
            (["-c"], f"ANALYZER_LOG_FORMAT=console {CHECK_LINE}"),
            # A retry: every way to exit 0 passes a check.
            (["-c"], f"{CHECK_LINE} || {CHECK_LINE}"),
            (["-c"], f"set -e; {CHECK_LINE}; echo done"),
            (["-ec"], f"{CHECK_LINE}; echo done"),
            (["-e", "-o", "pipefail", "-c"], f"{CHECK_LINE} | tee /reports/smoke.txt"),
            (["-c"], f"set -eo pipefail; {CHECK_LINE} | tee /reports/smoke.txt"),
            (["-c"], f"{CHECK_LINE} || {{ echo failed; false; }}"),
            (["-c"], f"{CHECK_LINE}; exit"),
            (["-c"], f"exec {CHECK_LINE}"),
            (["-c"], f"{CHECK_LINE} || (echo failed; exit 1)"),
            # A syntax error: the shell exits 2, no pass.
            (["-c"], f"{CHECK_LINE} ; ; true"),
            (["-c"], f"{CHECK_LINE} && ; true"),
            # An assignment alone exits with its substitution's status; errexit stops the shell there.
            (["-c"], f"OUT=$({CHECK_LINE})"),
            (["-c"], f'OUT=$({CHECK_LINE}) && echo "$OUT"'),
            (["-c"], f"DATE=$(date) OUT=$({CHECK_LINE})"),
            (["-ec"], f'OUT=$({CHECK_LINE}); echo "$OUT"'),
            (["-c"], f'set -e; OUT=`{CHECK_LINE}`; echo "$OUT" | tee /reports/smoke.txt'),
            (["-c"], f'echo "{CHECK_LINE} at $(date)"; {CHECK_LINE} --at "$AT"'),
            # A test of the check's output against a word it never is: `=` is false for every verdict, a pass's too.
            (["-c"], f'[ "$({CHECK_LINE})" = pass ]'),
            # A test of the check's output: its status is the check's where errexit stops at the assignment; a
            # variable assigned anything else since, or before, is not the output; a comparison is not read.
            (["-ec"], f'OUT=$({CHECK_LINE}); [ -n "$OUT" ]'),
            (["-c"], f'OUT=$({CHECK_LINE}) && [ -n "$OUT" ]'),
            # `[` without its `]`: an error, exit 2.
            (["-c"], f"[ -f /ready ] && {CHECK_LINE}"),
            # The test's `$OUT` is expanded before the assignment before it takes effect: empty, false.
            # Compared with a word it never is by `=`: false for every verdict, a pass's too (a gate that never opens,
            # not one that lets a failed check through).
            (["-c"], f'OUT=$({CHECK_LINE}); [ "$OUT" = pass ]'),
            # A `case` that lets a pass alone through (its summary starts with `PASS`; no arm matched or `*` fails).
            # Before: not read.
            (["-c"], f'OUT=$({CHECK_LINE}); case "$OUT" in PASS*) ;; *) exit 1;; esac'),
            (["-c"], f'OUT=$({CHECK_LINE}); case "$OUT" in (PASS*) echo passed;; (*) exit 1;; esac; echo done'),
            (
                ["-c"],
                f'OUT=$({CHECK_LINE})\ncase "$OUT" in\n  PASS*) echo passed ;;\n  *) echo "$OUT"; exit 1 ;;\nesac',
            ),
            (["-c"], f'OUT=$({CHECK_LINE}) || case "$OUT" in FAIL*) exit 1;; *) exit 2;; esac'),
            (["-c"], f'case "$MODE" in smoke) {CHECK_LINE};; *) {CHECK_LINE} --at "$AT";; esac'),
            # A filter that exits 0 for a pass alone: the summary's first line, the JSON's own verdict (two blanks in).
            # Before: a problem, as any command after the check (or not read: a quoted `*` or `\`).
            (["-c"], f"{CHECK_LINE} | grep -q '^PASS'"),
            (["-c"], f"OUT=$({CHECK_LINE}); printf '%s\\n' \"$OUT\" | grep -q '^PASS '"),
            (["-c"], f"OUT=$({CHECK_LINE}); printf '%s\\n' \"$OUT\" | grep -qi '^pass'"),
            (["-c"], f"{CHECK_LINE} | grep -qi '^pass'"),
            (["-c"], f"{CHECK_LINE} | tee /reports/smoke.txt | grep -q '^PASS'"),
            (["-c"], f'{CHECK_LINE} --json | grep -q \'^  "verdict": *"pass"\''),
            (["-c"], f'OUT=$({CHECK_LINE} --json); echo "$OUT" | grep -q \'^  "verdict": "pass"\''),
            # jq -e with pipefail: the check's own exit decides when jq reads no JSON.
            (["-c"], f"set -o pipefail; {CHECK_LINE} --json | jq -e '.verdict == \"pass\"'"),
            (["-c"], f"set -o pipefail; {CHECK_LINE} | grep -v fail"),
            # Groups whose status is the check's. Before: not read.
            (["-c"], f"{{ {CHECK_LINE}; }}"),
            (["-c"], f"({CHECK_LINE})"),
            (["-c"], f"set -e; {{ {CHECK_LINE}; echo done; }}"),
            (["-c"], f"(set -e; {CHECK_LINE}; echo done)"),
            (["-c"], f"(exit 0); {CHECK_LINE}"),
            (["-c"], f"set -o pipefail; {{ {CHECK_LINE}; }} | tee /reports/smoke.txt"),
            (["-c"], f'{CHECK_LINE} || {{ notify "$SLACK_URL"; exit 1; }}'),
            (["-c"], f'[ -f "$READY" ] && {CHECK_LINE}'),
            (["-c"], f"echo \"(starting)\"; echo '[smoke]'; {CHECK_LINE}"),
        ],
    )
    def test_a_line_whose_exit_is_the_check_s_is_fine(self, tmp_path, options, line):
        job = batch_job("Job", container("smoke", "sh", *options, line))
        assert own_job_findings(tmp_path, job) == ([], [])

    @pytest.mark.parametrize(
        "line",
        [
            # `set -e` within a group whose status is tested (left of `&&` or `||`) is off until the group ends:
            # `echo done` runs after the failed check. Before: fine.
            f"(set -e; {CHECK_LINE}; echo done) && echo passed",
            f"{{ set -e; {CHECK_LINE}; echo done; }} || exit 1",
            # A `{ }` group or a `case` that fails because a command failed where `set -e` is off (left of `&&`) does
            # not stop the shell either, which goes on to exit 0. Before: fine.
            f"set -e; {{ {CHECK_LINE} && echo ok; }}; echo done",
            f'set -e; case "$MODE" in *) {CHECK_LINE} && echo ok;; esac; echo done',
            # jq -e given no JSON at all exits 0 (jq 1.6), as when the check exits 2 (a usage error), 6 or on a
            # signal without printing. Before: fine.
            f"{CHECK_LINE} --json | jq -e '.verdict == \"pass\"'",
            f'OUT=$({CHECK_LINE} --json); echo "$OUT" | jq -re \'"pass" == .verdict\'',
            # dash's echo reads backslashes: a reason quoting `"a\\nPASS b"` (a target's JSON string) prints a line
            # starting with PASS. Before: fine.
            f"OUT=$({CHECK_LINE}); echo \"$OUT\" | grep -q '^PASS'",
            # A newline in grep's pattern starts another one: `FAIL` matches a failed check's line. Before: fine.
            f"{CHECK_LINE} | grep -q '^PASS\nFAIL'",
            # `printf '%s\\n' "$OUT"` is read (single quotes hold no expansion, no escape). Before: not read.
            f"OUT=$({CHECK_LINE}); printf '%s\\n' \"$OUT\" | grep -q PASS",
            # `!` before the command after `||`: errexit ignores its failure.
            f"set -e; {CHECK_LINE} || ! true; echo done",
            # A `case` of another word may take any arm, `exit 0` before the check too.
            f'case "$MODE" in smoke) exit 0;; esac; {CHECK_LINE}',
            # `-v`: any line but the summary's first, a failed check's step lines.
            f"{CHECK_LINE} | grep -qv '^PASS'",
            # A filter of another command's output: an old report may say PASS.
            f"{CHECK_LINE}; cat /reports/smoke.txt | grep -q '^PASS'",
            # `set +e` within a tested group turns errexit off after it too.
            f"set -e; {{ set +e; }} || true; {CHECK_LINE}; echo done",
        ],
    )
    def test_a_line_real_shells_exit_0_on_a_failed_check_is_a_problem(self, tmp_path, line):
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in found, found

    def test_it_is_fine_beside_a_container_that_runs_the_check(self, tmp_path):
        # Its verdict is lost, but the Job's success waits on the other container's: a check for information only.
        job = batch_job("Job", container("smoke", *RUN), container("info", "sh", "-c", f"{CHECK_LINE} || true"))
        assert own_job_findings(tmp_path, job) == ([], [])


# A stand-in for `analyzer run` on a real shell's PATH: it prints a summary and exits as $STUB_VERDICT says.
STUB_ANALYZER = """#!/bin/sh
case "$STUB_VERDICT" in
  pass) echo 'PASS payments-error-rate: value 0.0005 meets pass_if < 0.01'; exit 0 ;;
  *) echo 'FAIL payments-error-rate: value 0.2 fails pass_if < 0.01'; exit 3 ;;
esac
"""


def shell_exits(tmp_path: Path, shell: str, line: str, verdict: str) -> int:
    """The status a real shell exits with running `line`, `analyzer` being a stub whose check gives `verdict`."""
    stub = tmp_path / "bin" / "analyzer"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text(STUB_ANALYZER)
    stub.chmod(0o755)
    env = {"PATH": f"{stub.parent}:/usr/bin:/bin", "STUB_VERDICT": verdict}
    return subprocess.run([shell, "-c", line], env=env, cwd=tmp_path, capture_output=True, timeout=30).returncode


# A stand-in for `analyzer run NAME` whose verdict for each check is its own: $VERDICT_A for `a`, $VERDICT_B for `b`.
STUB_ANALYZERS = """#!/bin/sh
if [ "$2" = a ]; then verdict=$VERDICT_A; else verdict=$VERDICT_B; fi
case "$verdict" in
  pass) echo "PASS $2: value 0.0005 meets pass_if < 0.01"; exit 0 ;;
  *) echo "FAIL $2: value 0.2 fails pass_if < 0.01"; exit 3 ;;
esac
"""


def shell_exits_of_two(tmp_path: Path, shell: str, line: str, a: str, b: str, mode: str = "") -> int:
    """The status a real shell exits with running `line`, checks `a` and `b` giving the verdicts `a` and `b`, and
    `$MODE` set to `mode`."""
    stub = tmp_path / "bin2" / "analyzer"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text(STUB_ANALYZERS)
    stub.chmod(0o755)
    env = {"PATH": f"{stub.parent}:/usr/bin:/bin", "VERDICT_A": a, "VERDICT_B": b, "MODE": mode}
    return subprocess.run([shell, "-c", line], env=env, cwd=tmp_path, capture_output=True, timeout=30).returncode


class TestChecksOneAfterAnother:
    """A line whose shell may exit 0 though one of its checks fails, another passing after it, is a problem naming the
    one that fails; a retry of the same check, and checks whose failures all end the line, are fine."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: fine (every check was read as failing at once), though b's pass hides a's failure.
            "analyzer run a; analyzer run b",
            "analyzer run a\nanalyzer run b",
            "{ analyzer run a; analyzer run b; }",
            "analyzer run a || analyzer run b",
            "OUT=$(analyzer run a); analyzer run b",
            "analyzer run a | tee a.txt; analyzer run b",
            "analyzer run a & analyzer run b",
            # The check's run carried out of a subshell and out of an `if` whose condition it is.
            "(analyzer run a); analyzer run b",
            "if analyzer run a; then echo ok; fi; analyzer run b",
            # Out of a group in a pipeline of several commands (a mutant dropping the run there survived).
            "{ analyzer run a; } | tee a.txt; analyzer run b",
            # A filter for a pass of b's output: b may pass, whatever a did.
            "analyzer run a | grep -q '^PASS'; analyzer run b | grep -q '^PASS'",
        ],
    )
    def test_a_check_whose_failure_another_s_pass_hides_is_a_problem(self, tmp_path, line):
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "a shell whose line may exit 0 though `analyzer run a` fails" in found, found
        assert "write `analyzer run a && analyzer run b`, or `set -e` first" in found
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass") == 0, shell

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            "analyzer run a && analyzer run b",
            "set -e; analyzer run a; analyzer run b",
            "analyzer run a || exit 1; analyzer run b",
            "if analyzer run a; then analyzer run b; else exit 1; fi",
            "set -o pipefail; analyzer run a | tee a.txt && analyzer run b | tee b.txt",
            "analyzer run a | grep -q '^PASS' && analyzer run b | grep -q '^PASS'",
        ],
    )
    def test_checks_whose_failures_all_end_the_line_are_fine(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == ([], [])
        for shell in ("dash", "bash"):
            for a, b in (("fail", "pass"), ("pass", "fail"), ("fail", "fail")):
                assert shell_exits_of_two(tmp_path, shell, line, a, b) != 0, (shell, a, b)

    @pytest.mark.parametrize(
        "line",
        [
            # A retry: the same check run again, whose failure is the first one's.
            "analyzer run a || analyzer run a",
            'analyzer run a --arg "url=$URL" || { sleep 30; analyzer run a --arg "url=$URL"; }',
            # One check or the other, never both: each one's exit is the line's.
            'case "$MODE" in smoke) analyzer run a;; *) analyzer run b;; esac',
            'if [ "$MODE" = smoke ]; then analyzer run a; else analyzer run b; fi',
        ],
    )
    def test_a_retry_or_a_choice_of_checks_is_fine(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == ([], [])


class TestChecksSkippedOnSomeWays:
    """A check the line may skip (an `if` without `else` on the Job's environment) is the line's choice; where it runs,
    its failure must still end the line: one that another check's pass hides on that way is a problem."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: fine (a way skipping a, then b passing, was taken for every way that exits 0 without a).
            'if [ -n "$MODE" ]; then analyzer run a; fi; analyzer run b',
            '[ -n "$MODE" ] && analyzer run a; analyzer run b',
            'case "$MODE" in smoke) analyzer run a;; esac; analyzer run b',
            'if [ -z "$MODE" ]; then :; else analyzer run a; fi\nanalyzer run b',
            # The check's run carried through a `case` arm without commands, and a `case` no arm of which matches
            # (mutants dropping it there survived).
            'analyzer run a; case "$MODE" in smoke) ;; *) exit 1;; esac; analyzer run b',
            'analyzer run a; case "$MODE" in canary) exit 1;; esac; analyzer run b',
        ],
    )
    def test_a_check_run_on_one_way_whose_failure_another_s_pass_hides_is_a_problem(self, tmp_path, line):
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "a shell whose line may exit 0 though `analyzer run a` fails" in found, found
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass", mode="smoke") == 0, shell

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            'if [ -n "$MODE" ]; then analyzer run a || exit 1; fi; analyzer run b',
            'if [ -n "$MODE" ]; then analyzer run a; fi && analyzer run b',
            'set -e; if [ -n "$MODE" ]; then analyzer run a; fi; analyzer run b',
            '[ -z "$MODE" ] || analyzer run a || exit 1; analyzer run b',
        ],
    )
    def test_a_check_skipped_on_one_way_whose_failure_ends_the_line_where_it_runs_is_fine(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == ([], [])
        for shell, mode in itertools.product(("dash", "bash"), ("smoke", "")):
            for a, b in (("fail", "pass"), ("pass", "fail"), ("fail", "fail")):
                status = shell_exits_of_two(tmp_path, shell, line, a, b, mode=mode)
                # With MODE empty a never runs: only b's verdict decides.
                assert status != 0 or (not mode and b == "pass"), (shell, mode, a, b)


class TestNegationsRepeated:
    """`!` written more than once before a check inverts its status once for each (bash: `! !` is the status as is,
    errexit included; dash refuses a second `!`, exit 2): validate reads the line as real shells run it."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # Before: not read as running a check at all (`!` taken for its program), and nothing said.
            (f"! ! {CHECK_LINE} || true", True),
            (f"! ! ! {CHECK_LINE}", True),
            (f"! ! ! {CHECK_LINE} || exit 1", True),
            (f"set -e; ! ! ! {CHECK_LINE}; echo done", True),
            (f"! ! {{ {CHECK_LINE}; }} || true", True),
            # An even count: the check's status, which fails the line (and stops it under errexit).
            (f"! ! {CHECK_LINE}", False),
            (f"! ! ! ! {CHECK_LINE}", False),
            (f"set -e; ! ! {CHECK_LINE}; echo done", False),
            (f"! ! {CHECK_LINE} && echo passed", False),
            (f"! ! ! {CHECK_LINE} && exit 1; exit 0", False),
        ],
    )
    def test_the_check_s_status_is_inverted_once_for_each(self, tmp_path, line, loses):
        # Real shells: a line loses the verdict when one of them exits 0 on a failed check; each passes a pass.
        statuses = {shell: shell_exits(tmp_path, shell, line, "fail") for shell in ("dash", "bash")}
        assert (0 in statuses.values()) == loses, statuses
        found = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        if loses:
            (problem,) = found
            assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem
        else:
            assert found == []
            assert shell_exits(tmp_path, "bash", line, "pass") == 0


def deadline_job(active_deadline_s: int | None = None, **container_fields: Any) -> dict[str, Any]:
    """A Job of its own running the check, with this activeDeadlineSeconds."""
    job = batch_job("Job", container("smoke", *RUN, **container_fields))
    if active_deadline_s is not None:
        job["spec"]["activeDeadlineSeconds"] = active_deadline_s
    return job


class TestJobDeadline:
    """A Job's `activeDeadlineSeconds` (or its pod's) at or below the deadline of the checks it runs stops a slow
    evaluation before its verdict: a failed Job."""

    def test_one_at_the_check_s_deadline_is_a_problem(self, tmp_path):
        # Before: no problem; said of a web metric's timeoutSeconds only, with an AnalysisTemplate given.
        problems, _ = own_job_findings(tmp_path, deadline_job(8))
        assert problems == [
            "jobs.yaml:1: Job 'gate': the Job's activeDeadlineSeconds 8 is not above the 8 s its check may take (check "
            "'payments-error-rate', the default 8 s deadline): an evaluation slower than 8 s is stopped (SIGTERM) "
            "before its verdict, a failed Job, and no verdict; set it above 8, with room for the pod to start (image "
            "pull, catalog load)"
        ]

    @pytest.mark.parametrize(
        "job",
        [
            deadline_job(9),
            deadline_job(),
            deadline_job(8, env=[{"name": "ANALYZER_DEADLINE_S", "value": "5"}]),
            # Known only in the cluster.
            deadline_job(8, envFrom=[{"configMapRef": {"name": "analyzer-settings"}}]),
            deadline_job(8, env=[{"name": "ANALYZER_DEADLINE_S", "value": "$(DEADLINE)"}]),
        ],
    )
    def test_one_above_it_or_unknown_is_fine(self, tmp_path, job):
        assert own_job_findings(tmp_path, job) == ([], [])

    def test_the_lower_of_the_job_s_and_the_pod_s_deadlines_is_read(self, tmp_path):
        # The pod is stopped at its own deadline, however long the Job's is.
        job = deadline_job(300)
        job["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 8
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "its pod's activeDeadlineSeconds 8 is not above the 8 s its check may take" in found

    def test_the_check_s_deadline_s_comes_before_the_container_s_setting(self, tmp_path):
        # `analyzer run` takes the check's deadline_s, and ANALYZER_DEADLINE_S only for a check without one.
        slow = {**CATALOG, "checks": [{**CHECK, "deadline_s": 30}]}
        job = deadline_job(20, env=[{"name": "ANALYZER_DEADLINE_S", "value": "5"}])
        (found,) = own_job_findings(tmp_path, job, catalog=slow)[0]
        assert (
            "activeDeadlineSeconds 20 is not above the 30 s its check may take (check 'payments-error-rate', its "
            in (found)
        )

    def test_an_empty_setting_is_the_default_deadline(self, tmp_path):
        # Empty, `analyzer run` reads it as unset; the container's env comes before its envFrom, which may not set it
        # again. Before: with an envFrom, not read (a wrong pass of a Job stopped before its verdict).
        empty = [{"name": "ANALYZER_DEADLINE_S", "value": ""}]
        for job in (deadline_job(8, env=empty), deadline_job(8, env=empty, envFrom=[{"configMapRef": {"name": "a"}}])):
            (found,) = own_job_findings(tmp_path, job)[0]
            assert (
                "is not above the 8 s its check may take (check 'payments-error-rate', the default 8 s deadline)"
                in (found)
            )

    def test_a_whole_number_written_as_a_float_is_read(self, tmp_path):
        # Before: not read. YAML's 8.0 reaches the API server as 8 (JSON has one number type), which it takes.
        job = deadline_job()
        job["spec"]["activeDeadlineSeconds"] = 8.0
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "the Job's activeDeadlineSeconds 8 is not above the 8 s its check may take" in found

    def test_the_container_s_setting_and_the_pod_s_deadline_are_read(self, tmp_path):
        job = deadline_job(env=[{"name": "ANALYZER_DEADLINE_S", "value": "20"}])
        job["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 15
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "its pod's activeDeadlineSeconds 15 is not above the 20 s its check may take (check " in found
        assert "the container's ANALYZER_DEADLINE_S 20)" in found

    def test_init_containers_add_up(self, tmp_path):
        job = with_init(deadline_job(12), container("first", *RUN))
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "activeDeadlineSeconds 12 is not above the 16 s its checks may take (check 'payments-error-rate', " in (
            found
        )

    def test_containers_side_by_side_take_the_slowest_s_deadline(self, tmp_path):
        fast = container("fast", *RUN, env=[{"name": "ANALYZER_DEADLINE_S", "value": "5"}])
        job = deadline_job(8)
        job["spec"]["template"]["spec"]["containers"].append(fast)
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "activeDeadlineSeconds 8 is not above the 8 s its check may take (check 'payments-error-rate', the " in (
            found
        )
        job["spec"]["activeDeadlineSeconds"] = 9
        assert own_job_findings(tmp_path, job) == ([], [])

    def test_a_job_metric_s_deadline_below_the_check_s_own_is_a_problem(self, tmp_path):
        template = job_template(container("smoke", *RUN))
        template["spec"]["metrics"][0]["provider"]["job"]["spec"]["activeDeadlineSeconds"] = 30
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump(crd_valid(template)[0]))
        slow = {**CATALOG, "checks": [{**CHECK, "deadline_s": 30}]}
        (found,) = template_problems([tmp_path], build_catalog([("catalog.yaml", slow)], Registry.default()))
        assert "the Job's activeDeadlineSeconds 30 is not above the 30 s its check may take (check " in found
        assert (
            "its deadline_s 30): an evaluation slower than 30 s is stopped (SIGTERM) before its verdict, a failed "
            in (found)
        )
        assert "Argo reads it as Failed, and the rollout aborts" in found


def retrying_job(*rules: dict[str, Any], restart: str | None = "Never", **spec: Any) -> dict[str, Any]:
    """A Job of its own whose container 'smoke' runs the check, with these podFailurePolicy rules and Job fields."""
    job = batch_job("Job", container("smoke", *RUN))
    del job["spec"]["backoffLimit"]
    job["spec"] |= spec | ({"podFailurePolicy": {"rules": list(rules)}} if rules else {})
    if restart is None:
        del job["spec"]["template"]["spec"]["restartPolicy"]
    else:
        job["spec"]["template"]["spec"]["restartPolicy"] = restart
    return job


def on_exit(action: str, *values: int, operator: str = "In", name: str | None = "smoke") -> dict[str, Any]:
    """A podFailurePolicy rule of this action on these exit codes of the named container (of any, for None)."""
    codes: dict[str, Any] = {"operator": operator, "values": list(values)}
    return {"action": action, "onExitCodes": codes | ({"containerName": name} if name else {})}


DISRUPTED = {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}


class TestJobsThatRetryTheVerdict:
    """A Job that retries its check's `fail` or `inconclusive` (exit 3, 4) until a pass is a problem: whoever reads
    the Job (Argo's job provider, a pipeline) sees only its final Complete, and the release proceeds."""

    ADVICE = (
        "add a podFailurePolicy rule `action: FailJob` with `onExitCodes: {containerName: smoke, operator: In, "
        "values: [2, 3, 4, 6]}` (with restartPolicy: Never; exit 5, an error, may still be retried), or set "
        "backoffLimit: 0 with restartPolicy: Never"
    )

    @pytest.mark.parametrize(
        ("limit", "restarts"),
        [
            # The Job controller counts the restart only once it has started: the check runs again meanwhile.
            (
                {"backoffLimit": 0},
                "and backoffLimit 0 fails the Job only once the restart has started: the restarted check races the "
                "Job controller, and a `fail` or `inconclusive` verdict (exit 3, 4) measured again may pass first",
            ),
            (
                {"backoffLimit": 2},
                "up to backoffLimit 2 times: a `fail` or `inconclusive` verdict (exit 3, 4) is measured again until a "
                "pass or the limit",
            ),
            ({}, "up to Kubernetes' default backoffLimit 6 (none given) times: a `fail` or `inconclusive` verdict"),
            ({"backoffLimit": "{{args.retries}}"}, "up to its backoffLimit times: a `fail` or `inconclusive`"),
        ],
    )
    def test_restart_on_failure_is_a_problem(self, tmp_path, limit, restarts):
        # Before: no problem, exit 0; the kubelet restarted a failing smoke test until it passed. Then "until it exits
        # 0" of any backoffLimit, though 0 allows only the restart that races the Job's failure.
        (found,) = own_job_findings(tmp_path, retrying_job(restart="OnFailure", **limit))[0]
        assert found.startswith(
            "jobs.yaml:1: Job 'gate': the Job's container runs `analyzer run` in a pod of restartPolicy OnFailure, "
            f"which restarts it in place when it fails, {restarts}"
        ), found
        assert found.endswith(
            ", and whoever waits on the Job reads only its final Complete; "
            f"{self.ADVICE} (Kubernetes takes a podFailurePolicy only with restartPolicy: Never)"
        ), found

    def test_the_default_backoff_limit_is_a_problem(self, tmp_path):
        # Before: no problem; Kubernetes started up to 6 more pods, and the first pass completed the Job.
        problems, _ = own_job_findings(tmp_path, retrying_job())
        assert problems == [
            "jobs.yaml:1: Job 'gate': the Job's container runs `analyzer run` in a Job that retries its `fail` or "
            "`inconclusive` verdict (exit 3, 4) until a pass (exit 3 and 4 alike: no podFailurePolicy rule matches "
            "it, and it counts against Kubernetes' default backoffLimit 6 (none given)), and whoever waits on the Job "
            f"reads only its final Complete; {self.ADVICE}"
        ]

    @pytest.mark.parametrize(
        ("job", "why"),
        [
            (
                retrying_job(backoffLimit=2),
                "exit 3 and 4 alike: no podFailurePolicy rule matches it, and it counts against backoffLimit 2",
            ),
            # Exit 4 (inconclusive) is retried: a canary that cannot decide measured again until it passes.
            (
                retrying_job(on_exit("FailJob", 2, 3, 6), backoffLimit=2),
                "exit 4: no podFailurePolicy rule matches it, and it counts against backoffLimit 2",
            ),
            (
                retrying_job(on_exit("FailJob", 2, 3, 4, 6, name="other"), backoffLimit=1),
                "exit 3 and 4 alike: no podFailurePolicy rule matches it, and it counts against backoffLimit 1",
            ),
            # NotIn [3, 4] fails the Job on every exit but the verdicts'.
            (
                retrying_job(on_exit("FailJob", 3, 4, operator="NotIn"), backoffLimit=2),
                "exit 3 and 4 alike: no podFailurePolicy rule matches it, and it counts against backoffLimit 2",
            ),
            # Ignored, a failure is not counted: retried until a pass or the Job's deadline, whatever its limit.
            (
                retrying_job(on_exit("Ignore", 3), on_exit("FailJob", 2, 3, 4, 6), backoffLimit=0),
                "exit 3: podFailurePolicy's rule 1, action Ignore, matches it first, and an ignored failure starts a "
                "new pod without counting it",
            ),
            (
                retrying_job(on_exit("Ignore", 3), backoffLimit=2),
                "exit 3: podFailurePolicy's rule 1, action Ignore, matches it first, and an ignored failure starts a "
                "new pod without counting it; exit 4: no podFailurePolicy rule matches it, and it counts against "
                "backoffLimit 2",
            ),
            (
                retrying_job(on_exit("Count", 3, 4), on_exit("FailJob", 2, 3, 4, 6), backoffLimit=2),
                "exit 3 and 4 alike: podFailurePolicy's rule 1, action Count, matches it first, and it counts "
                "against backoffLimit 2",
            ),
            (
                retrying_job(backoffLimit=0, backoffLimitPerIndex=2, completionMode="Indexed"),
                "exit 3 and 4 alike: no podFailurePolicy rule matches it, and it counts against backoffLimitPerIndex 2",
            ),
        ],
    )
    def test_a_verdict_counted_against_a_limit_or_ignored_is_a_problem(self, tmp_path, job, why):
        problems, _ = own_job_findings(tmp_path, job)
        assert problems == [
            "jobs.yaml:1: Job 'gate': the Job's container runs `analyzer run` in a Job that retries its `fail` or "
            f"`inconclusive` verdict (exit 3, 4) until a pass ({why}), and whoever waits on the Job reads only its "
            f"final Complete; {self.ADVICE}"
        ]

    @pytest.mark.parametrize(
        "job",
        [
            retrying_job(backoffLimit=0),
            retrying_job(on_exit("FailJob", 2, 3, 4, 6), DISRUPTED),
            # Exit 5 (an error: the target unreachable) retried, as the examples do.
            retrying_job(on_exit("FailJob", 2, 3, 4, 6), backoffLimit=2),
            retrying_job(DISRUPTED, on_exit("FailJob", 3, 4, name=None), backoffLimit=2),
            retrying_job(on_exit("FailJob", 1, 5, 143, operator="NotIn"), backoffLimit=2),
            retrying_job(on_exit("Ignore", 5), on_exit("FailJob", 3, 4)),
            retrying_job(on_exit("Count", 3, 4), backoffLimit=0),
            retrying_job(on_exit("FailIndex", 3, 4), backoffLimitPerIndex=1, completionMode="Indexed"),
            # Unknown here: a limit or codes filled in (no restartPolicy: TestPodsKubernetesRefusesInAJob).
            retrying_job(backoffLimit="{{args.retries}}"),
            retrying_job({"action": "FailJob", "onExitCodes": {"operator": "In", "values": ["{{args.codes}}"]}}),
        ],
    )
    def test_a_verdict_that_fails_the_job_or_an_unknown_one_is_fine(self, tmp_path, job):
        assert own_job_findings(tmp_path, job) == ([], [])

    @pytest.mark.parametrize(
        "rule",
        [
            on_exit("FailJob", 2, 3, 4, 6, name="{{args.container}}"),
            on_exit("{{args.action}}", 3, 4),
            on_exit("FailJob", 3, 4, operator="{{args.operator}}"),
        ],
    )
    def test_a_rule_filled_in_elsewhere_is_not_judged(self, tmp_path, rule):
        # Before: a problem; the rule, read as matching nothing, may be the FailJob Argo fills in for the check.
        assert own_job_findings(tmp_path, retrying_job(rule, backoffLimit=2)) == ([], [])

    def test_a_rule_of_an_action_kubernetes_does_not_know_is_skipped(self, tmp_path):
        problems, _ = own_job_findings(tmp_path, retrying_job(on_exit("Retry", 3, 4), backoffLimit=2))
        assert (
            "(exit 3 and 4 alike: no podFailurePolicy rule matches it, and it counts against backoffLimit 2)"
            in (problems[0])
        )

    def test_a_null_backoff_limit_is_kubernetes_default(self, tmp_path):
        # Before: no problem; the API server gives a null backoffLimit (`backoffLimit:` left empty) its default, 6.
        problems, _ = own_job_findings(tmp_path, retrying_job(backoffLimit=None))
        assert "it counts against Kubernetes' default backoffLimit 6 (none given))" in problems[0]

    def test_in_a_cron_job_it_is_a_problem(self, tmp_path):
        cron = batch_job("CronJob", container("smoke", *RUN))
        cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] = 1
        problems, _ = own_job_findings(tmp_path, cron)
        assert problems == [
            "jobs.yaml:1: CronJob 'gate': the Job's container runs `analyzer run` in a Job that retries its `fail` or "
            "`inconclusive` verdict (exit 3, 4) until a pass (exit 3 and 4 alike: no podFailurePolicy rule matches "
            "it, and it counts against backoffLimit 1), and whoever waits on the Job reads only its final Complete; "
            f"{self.ADVICE}"
        ]

    def test_in_a_job_metric_it_is_a_problem(self, tmp_path):
        # Before: no problem; Argo read the retry's pass as a Successful measurement, and the rollout went on.
        metric = job_template(analyzer_container(*RUN))
        del metric["spec"]["metrics"][0]["provider"]["job"]["spec"]["backoffLimit"]
        (found,) = problems(tmp_path, metric)
        assert found.replace(f"{tmp_path}/", "") == (
            "templates.yaml:9: AnalysisTemplate 'payments-job', metric 'errors': the Job's container runs `analyzer "
            "run` in a Job that retries its `fail` or `inconclusive` verdict (exit 3, 4) until a pass (exit 3 and 4 "
            "alike: no podFailurePolicy rule matches it, and it counts against Kubernetes' default backoffLimit 6 "
            "(none given)), and Argo reads only its final Complete; add a podFailurePolicy rule `action: FailJob` with "
            "`onExitCodes: {containerName: check, operator: In, values: [2, 3, 4, 6]}` (with restartPolicy: Never; "
            "exit 5, an error, may still be retried), or set backoffLimit: 0 with restartPolicy: Never"
        )

    def test_an_init_container_s_check_is_read_too(self, tmp_path):
        job = with_init(
            retrying_job(on_exit("FailJob", 2, 3, 4, 6, name="done"), backoffLimit=2), container("gate", *RUN)
        )
        job["spec"]["template"]["spec"]["containers"] = [container("done", "sh", "-c", "echo done")]
        problems, _ = own_job_findings(tmp_path, job)
        assert [p.partition(" runs ")[0] for p in problems] == [
            "jobs.yaml:1: Job 'gate': the Job's init container 'gate'"
        ]
        assert "{containerName: gate, operator: In" in problems[0]

    def test_a_job_whose_check_the_reader_cannot_see_is_left(self, tmp_path):
        line = retrying_job(backoffLimit=3)
        line["spec"]["template"]["spec"]["containers"] = [container("smoke", "sh", "-c", "analyzer run x; exit $?")]
        problems, notes = own_job_findings(tmp_path, line)
        assert problems == []
        assert ["its status read from `$?`" in note for note in notes] == [True]

    def test_the_examples_retry_only_an_error(self, tmp_path):
        examples = Path(__file__).parents[2] / "deploy/examples/http-smoke"
        catalog = load_catalog([examples / "catalog-http-smoke.yaml"], Registry.default())
        assert job_problems([examples / "bluegreen/job.yaml"], catalog) == []
        assert template_problems([examples / "canary/analysis-template-job.yaml"], catalog) == []


class TestMetricsThatRunUntilTheyFail:
    """A metric with an `interval` and no `count` in a step or blue-green analysis of a Rollout given is a problem
    (Argo refuses the Rollout: the analysis would never end); in a background analysis it is not."""

    MESSAGE = (
        "AnalysisTemplate 'payments' has metric 'errors' with an interval and no count: Argo refuses the Rollout "
        "(InvalidSpec: AnalysisTemplate payments has metric errors which runs indefinitely. Invalid value for count) "
        "and rolls nothing out, since this analysis waits for its metrics to end; give the metric a count (count: 5, "
        "five measurements an interval apart), or run the template as a background analysis "
        "(strategy.canary.analysis)"
    )

    @staticmethod
    def endless() -> dict[str, Any]:
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"
        endless = template(url)
        del endless["spec"]["metrics"][0]["count"]
        return endless

    def test_in_a_step(self, tmp_path):
        # Before: no problem, exit 0, though the README says count is required there; Argo refused the Rollout.
        (found,) = written(tmp_path, self.endless(), rollout([{"setWeight": 20}, step(name="payments")]))
        assert found == (
            f"{tmp_path / 'manifests.yaml'}:30: Rollout 'payments', spec.strategy.canary.steps[1].analysis: "
            f"{self.MESSAGE}"
        )

    def test_before_promotion(self, tmp_path):
        gate = blue_green("payments", args=[{"name": "canary-hash", "value": "abc"}])
        (found,) = written(tmp_path, *crd_valid(self.endless(), gate))
        assert found.endswith(f"spec.strategy.blueGreen.prePromotionAnalysis: {self.MESSAGE}")

    def test_in_the_background_or_with_a_count_it_is_no_problem(self, tmp_path):
        background = rollout(templates=[{"templateName": "payments"}], args=[LATEST])
        assert written(tmp_path, self.endless(), background) == []
        counted = self.endless()
        counted["spec"]["metrics"][0]["count"] = 5
        assert written(tmp_path, counted, rollout([{"setWeight": 20}, step(name="payments")])) == []
        once = self.endless()
        del once["spec"]["metrics"][0]["interval"]
        assert written(tmp_path, once, rollout([{"setWeight": 20}, step(name="payments")])) == []


class TestPodTemplateHashValues:
    """A Rollout's analysis arg taking a podTemplateHashValue other than Latest or Stable, as written, is a problem:
    Argo passes the template an empty value for it."""

    URL = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.canary-hash}}}}"

    @pytest.mark.parametrize(("which", "meant"), [("latest", "Latest"), ("STABLE", "Stable"), ("Newest", "Latest")])
    def test_one_argo_does_not_know(self, tmp_path, which, meant):
        # Before: no problem, exit 0; Argo's switch left the arg empty, and every measurement was a 400 (arg
        # 'canary_hash' is empty): an Error, and the rollout aborted.
        arg = {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": which}}
        analysis = {"analysis": {"templates": [{"templateName": "payments"}], "args": [arg]}}
        found = written(tmp_path, template(self.URL), rollout([{"setWeight": 20}, analysis]))
        assert found[0] == (
            f"{tmp_path / 'manifests.yaml'}:31: Rollout 'payments', spec.strategy.canary.steps[1].analysis: arg "
            f"'canary-hash' takes podTemplateHashValue '{which}', which Argo does not know (it knows Latest and "
            f"Stable, written so): the template gets '' for it, not a pod template hash; write {meant} (Latest: the "
            "canary's ReplicaSet, Stable: the stable one's)"
        )
        # The empty value is then judged as the check would: a 400 at every measurement.
        assert "arg 'canary_hash' is empty" in found[1]

    @pytest.mark.parametrize("which", ["Latest", "Stable"])
    def test_the_two_it_knows(self, tmp_path, which):
        arg = {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": which}}
        analysis = {"analysis": {"templates": [{"templateName": "payments"}], "args": [arg]}}
        assert written(tmp_path, template(self.URL), rollout([{"setWeight": 20}, analysis])) == []


HTTP_RUN = "http://release-gate:8080/api/v1/checks/payments-error-rate/run?canary_hash=c0ffee1"
PASSED = "'.verdict == \"pass\"'"
BUSYBOX_SLEEP = {"name": "wait", "image": "busybox:1.36", "command": ["sleep", "1"]}


class TestContainersOfOtherImages:
    """A container of another image that never names the analyzer (`busybox sleep 1`) runs no check: beside it, the
    analyzer's container that exits 0 without a verdict makes a Successful Job of none."""

    @pytest.mark.parametrize(
        ("idle", "said"),
        [
            (["sh", "-c", ""], "a shell given no command to run: it runs none and exits 0"),
            (["sh", "-c", f"{CHECK_LINE} || true"], "the check's verdict is lost, and it exits 0"),
        ],
    )
    def test_an_idle_analyzer_beside_one_is_a_problem(self, tmp_path, idle, said):
        # Before: no problem; `sleep 1` counted as a container that may run the check.
        for other in (BUSYBOX_SLEEP, {"name": "ping", "image": "curlimages/curl:8", "command": ["curl", "http://x"]}):
            (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", *idle), other))[0]
            assert f"the Job's container 'smoke' runs `{shlex.join(idle)}`" in found, found
            assert f"{said}, a Successful Job, and no verdict" in found, found

    @pytest.mark.parametrize(
        "command",
        [
            ["busybox", "sleep", "1", "--log-dir=/tmp/analyzer-logs"],
            ["cat", "/shared/analyzer-result.json"],
            ["sh", "-c", "sleep 5; cat /shared/analyzer-result.json"],
            ["sh", "-c", "until [ -f /shared/analyzer.done ]; do sleep 1; done"],
            ["sh", "-c", "echo waiting for the analyzer > /shared/analyzer.log"],
            ["sh", "-c", "ANALYZER_LOG=/tmp/analyzer.log sleep 1"],
            ["busybox", "tail", "-n", "20", "/var/log/analyzer.log"],
            ["tini", "--", "sh", "-c", "cat /shared/analyzer-result.json 2> /tmp/analyzer.err"],
        ],
    )
    def test_one_naming_the_analyzer_as_a_file_or_value_only_runs_no_check(self, tmp_path, command):
        # Before: no problem; a path or value naming the analyzer counted it as a container that may run the check.
        other = {"name": "side", "image": "busybox:1.36", "command": command}
        for idle in (["sh", "-c", ""], ["sh", "-c", f"{CHECK_LINE} || true"]):
            (found,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", *idle), other))[0]
            assert f"the Job's container 'smoke' runs `{shlex.join(idle)}`" in found, found
            assert "exits 0, a Successful Job, and no verdict: what waits on the Job reads a pass" in found, found

    @pytest.mark.parametrize(
        "other",
        [
            # Its image's entrypoint: an image built on the analyzer's may run a check.
            {"name": "gate", "image": "ci/gate:1"},
            {"name": "gate", "image": "ci/gate:1", "args": ["--fast"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", CHECK_LINE]},
            {"name": "gate", "image": "ci/tools:1", "command": ["/opt/Analyzer/smoke.sh"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "/opt/analyzer/smoke.sh"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["python3", "/opt/analyzer/smoke.py", "--fast"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["timeout", "60", "analyzer", "run", "x"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["tini", "--", "python3", "-m", "analyzer", *RUN]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", "cd /opt/analyzer && ./smoke.sh"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", "sleep 5; analyzer-smoke --fast"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", "cat /x.json | /opt/analyzer/read.sh"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["env", "X=1", "/usr/local/bin/analyzer", "run", "x"]},
            # Its image's own wrapper: an image named analyzer.
            {"name": "gate", "image": "registry.example.com/analyzer:1", "command": ["/usr/local/bin/gate"]},
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", "$(SMOKE_LINE)"]},
            # The run endpoint called, its verdict read: a check through the analyzer's API, whatever its host.
            # Before: a problem, the URL naming no analyzer.
            {"name": "gate", "image": "ci/tools:1", "command": ["sh", "-c", f"curl -s {HTTP_RUN} | jq -e {PASSED}"]},
        ],
    )
    def test_one_that_may_run_the_check_still_decides(self, tmp_path, other):
        job = batch_job("Job", container("done", "sh", "-c", ""), other)
        assert own_job_findings(tmp_path, job) == ([], [])

    @pytest.mark.parametrize(
        "url", ["http://analyzer:8080/healthz", "http://analyzer.gates.svc/ready", "https://analyzer/api/v1/checks"]
    )
    def test_one_naming_the_analyzer_s_host_only_runs_no_check(self, tmp_path, url):
        # An init container waiting for the analyzer's service. Before: no problem; the word `analyzer` in its URL
        # counted it as a container that may run the check, though it runs none.
        wait = {
            "name": "wait",
            "image": "busybox:1.36",
            "command": ["sh", "-c", f"until wget -q {url}; do sleep 1; done"],
        }
        job = with_init(batch_job("Job", container("smoke", "sh", "-c", f"{CHECK_LINE} || true")), wait)
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in found, found

    def test_a_job_of_other_images_only_is_not_read(self, tmp_path):
        job = batch_job("Job", BUSYBOX_SLEEP, {"name": "idle", "image": "busybox:1.36", "command": ["sh", "-c", ""]})
        assert own_job_findings(tmp_path, job) == ([], [])


def catalogless(*command: str, **fields: Any) -> dict[str, Any]:
    """A container of the analyzer's image running `command` (args after `run`), with these fields and no env of its
    own unless they give one (`container` adds ANALYZER_CATALOG)."""
    words = {"args": list(command)} if command[:1] == ("run",) else {"command": list(command)}
    return {"name": "smoke", "image": IMAGE, **words, **fields}


NO_CATALOG = (
    "jobs.yaml:1: Job 'gate': the Job's container runs `analyzer run` given no catalog: no --catalog, and {said}, so "
    "every run exits 6 (a config error: no catalog) before evaluating, whatever the check finds, a failed Job, and no "
    "verdict; add `--catalog PATH` to its args, or an env variable ANALYZER_CATALOG with that PATH (the catalog's file "
    "or directory as mounted in the pod, a ConfigMap's volume)"
)


class TestRunsWithoutACatalog:
    """A container of the analyzer's image that runs `analyzer run` with neither --catalog nor ANALYZER_CATALOG (the
    image sets none) exits 6 at every run: a failed Job whatever the check finds, every rollout aborted."""

    @pytest.mark.parametrize(
        "check",
        [
            catalogless(*RUN),
            catalogless("analyzer", *RUN),
            catalogless("python3", "-m", "analyzer", *RUN),
            # Settings other than the catalog's do not give one.
            catalogless(*RUN, env=[{"name": "ANALYZER_DEADLINE_S", "value": "20"}]),
        ],
    )
    def test_it_is_a_problem(self, tmp_path, check):
        # Before: no problem, and validate exited 0 on a Job that fails at every run.
        found = own_job_findings(tmp_path, batch_job("Job", check))[0]
        said = "no ANALYZER_CATALOG in its env or an envFrom (the analyzer's image sets none)"
        assert found == [NO_CATALOG.format(said=said)]

    @pytest.mark.parametrize(
        "env",
        [
            [{"name": "ANALYZER_CATALOG", "value": ""}],
            [{"name": "ANALYZER_CATALOG"}],
            # Kubernetes takes the last of a name given twice.
            [{"name": "ANALYZER_CATALOG", "value": "/etc/analyzer/catalog"}, {"name": "ANALYZER_CATALOG", "value": ""}],
        ],
    )
    def test_an_empty_analyzer_catalog_gives_none(self, tmp_path, env):
        found = own_job_findings(tmp_path, batch_job("Job", catalogless(*RUN, env=env)))[0]
        said = "its env sets ANALYZER_CATALOG empty, which `analyzer run` reads as unset"
        assert found == [NO_CATALOG.format(said=said)]

    def test_a_job_metric_s_is_a_problem(self, tmp_path):
        (found,) = problems(tmp_path, *crd_valid(job_template(catalogless(*RUN))))
        assert (
            "metric 'errors': the Job's container runs `analyzer run` given no catalog: no --catalog, and no" in found
        )
        assert (
            "a failed Job (Argo reads it as Failed, and the rollout aborts); add `--catalog PATH` to its args" in found
        )

    def test_validate_exits_6_naming_it(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", catalogless(*RUN))))
        result = validate(tmp_path)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "add `--catalog PATH` to its args, or an env variable ANALYZER_CATALOG" in result.stdout + result.stderr

    @pytest.mark.parametrize(
        "check",
        [
            catalogless(*RUN, "--catalog", "/etc/analyzer/catalog"),
            catalogless(*RUN, "--catalog=/etc/analyzer/catalog"),
            # An abbreviation, which `analyzer run` takes.
            catalogless(*RUN, "--cat", "/etc/analyzer/catalog"),
            catalogless(*RUN, "--catalog", "$(CATALOG_PATH)"),
            catalogless(*RUN, env=[{"name": "ANALYZER_CATALOG", "value": "/etc/analyzer/catalog"}]),
            catalogless(*RUN, env=[{"name": "ANALYZER_CATALOG", "value": "$(CATALOG_PATH)"}]),
            catalogless(
                *RUN,
                env=[
                    {"name": "ANALYZER_CATALOG", "valueFrom": {"configMapKeyRef": {"name": "gate", "key": "catalog"}}}
                ],
            ),
            # Known only in the cluster: it may set ANALYZER_CATALOG.
            catalogless(*RUN, envFrom=[{"configMapRef": {"name": "analyzer-settings"}}]),
            # Another image's environment is its own: it may set ANALYZER_CATALOG.
            catalogless(*RUN, image="registry.example.com/team/smoke-gate:1.4", command=["analyzer"]),
        ],
    )
    def test_a_catalog_given_or_that_may_be_is_fine(self, tmp_path, check):
        assert own_job_findings(tmp_path, batch_job("Job", check)) == ([], [])


def settings_job(*env: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A Job of its own running the check in a container with this env (and other fields)."""
    return batch_job("Job", container("smoke", *RUN, env=list(env), **fields))


class TestSettingsTheRunRefuses:
    """An ANALYZER_* variable of the check's container that `analyzer run` refuses (Settings.from_env's rule) makes
    every run exit 6 before evaluating: a failed Job whatever the check finds, every rollout aborted."""

    @pytest.mark.parametrize(
        ("value", "said"),
        [
            ("0", "ANALYZER_DEADLINE_S: Input should be greater than 0; allowed: above 0, at most 300"),
            ("301", "ANALYZER_DEADLINE_S: Input should be less than or equal to 300; allowed: above 0, at most 300"),
            ("-5", "ANALYZER_DEADLINE_S: Input should be greater than 0; allowed: above 0, at most 300"),
            ("8s", "ANALYZER_DEADLINE_S: Input should be a valid number, unable to parse string as a number, got "),
        ],
    )
    def test_a_deadline_outside_its_range_is_a_problem(self, tmp_path, value, said):
        # Before: no problem (and no deadline problem either: the value was set aside), exit 0.
        problems, _ = own_job_findings(tmp_path, settings_job({"name": "ANALYZER_DEADLINE_S", "value": value}))
        (found,) = problems
        assert found.startswith(
            "jobs.yaml:1: Job 'gate': the Job's container's env makes `analyzer run` refuse its settings and exit 6 (a "
            f"config error) before evaluating, whatever the check finds ({said}"
        ), found
        assert found.endswith("a failed Job, and no verdict; write a value it takes, or remove the variable"), found

    def test_it_is_the_rule_analyzer_run_applies(self, tmp_path):
        # The same value makes `analyzer run` itself exit 6.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(yaml.safe_dump(CATALOG))
        run = subprocess.run(
            [sys.executable, "-m", "analyzer", "run", *RUN[1:], "--catalog", str(catalog)],
            env={**os.environ, "ANALYZER_DEADLINE_S": "301"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 6, run.stderr
        assert "ANALYZER_DEADLINE_S: Input should be less than or equal to 300" in run.stderr

    def test_a_job_metric_s_is_a_problem_and_any_setting_is_read(self, tmp_path):
        # 0 is a port (one the OS picks); 65536 is none.
        check = analyzer_container(*RUN, env=[{"name": "ANALYZER_PORT", "value": "65536"}])
        (found,) = problems(tmp_path, *crd_valid(job_template(check)))
        assert "metric 'errors': the Job's container's env makes `analyzer run` refuse its settings" in found
        assert (
            "(ANALYZER_PORT / --port: Input should be less than or equal to 65535; allowed: at least 0, at most "
            in (found)
        )
        assert "a failed Job (Argo reads it as Failed, and the rollout aborts)" in found

    def test_settings_refused_together_are_a_problem_when_all_are_known(self, tmp_path):
        allow = {"name": "ANALYZER_AUTH_ALLOW", "value": "/etc/allow.yaml"}
        (found,) = own_job_findings(tmp_path, settings_job(allow))[0]
        assert "(ANALYZER_AUTH_ALLOW is set but ANALYZER_AUTH_TOKENS is not" in found
        # The tokens may come from a ConfigMap.
        unknown = settings_job(allow, envFrom=[{"configMapRef": {"name": "analyzer"}}])
        assert own_job_findings(tmp_path, unknown) == ([], [])

    @pytest.mark.parametrize(
        "env",
        [
            [{"name": "ANALYZER_DEADLINE_S", "value": "300"}],
            [{"name": "ANALYZER_DEADLINE_S", "value": ""}],
            [{"name": "ANALYZER_DEADLINE_S"}],
            # Kubernetes takes the last.
            [{"name": "ANALYZER_DEADLINE_S", "value": "0"}, {"name": "ANALYZER_DEADLINE_S", "value": "5"}],
            [
                {"name": "ANALYZER_DEADLINE_S", "value": "0"},
                {"name": "ANALYZER_DEADLINE_S", "valueFrom": {"configMapKeyRef": {"name": "a", "key": "deadline"}}},
            ],
            # The tokens the allow-list needs come from a Secret.
            [
                {"name": "ANALYZER_AUTH_ALLOW", "value": "/etc/allow.yaml"},
                {"name": "ANALYZER_AUTH_TOKENS", "valueFrom": {"secretKeyRef": {"name": "a", "key": "tokens"}}},
            ],
            [{"name": "ANALYZER_DEADLINE_S", "value": "$(DEADLINE)"}],
            [{"name": "ANALYZER_DEADLINE_S", "valueFrom": {"configMapKeyRef": {"name": "a", "key": "deadline"}}}],
            [{"name": "DEADLINE_S", "value": "0"}],
        ],
    )
    def test_a_value_it_takes_or_cannot_know_is_fine(self, tmp_path, env):
        assert own_job_findings(tmp_path, settings_job(*env)) == ([], [])

    def test_a_container_running_no_check_is_not_read(self, tmp_path):
        # The settings of `analyzer validate` are not the run's, and a note says what it does.
        job = batch_job(
            "Job", container("gate", "analyzer", "validate", env=[{"name": "ANALYZER_PORT", "value": "65536"}])
        )
        assert own_job_findings(tmp_path, job)[0] == []


def on_conditions(action: str, *patterns: dict[str, str]) -> dict[str, Any]:
    """A podFailurePolicy rule of this action on these pod condition patterns."""
    return {"action": action, "onPodConditions": list(patterns)}


FAIL_ON_VERDICTS = on_exit("FailJob", 2, 3, 4, 6)


class TestPodConditionRules:
    """A podFailurePolicy rule on a pod condition every failed pod has (Ready False) matches the check's exit 3 and 4
    as much as an onExitCodes rule does: `Ignore` first retries the verdict until a pass; one that a failed check's pod
    may lack (DisruptionTarget) is not read as matching it."""

    @pytest.mark.parametrize(
        ("condition", "said"),
        [
            ({"type": "Ready", "status": "False"}, "Ready False"),
            ({"type": "ContainersReady", "status": "False"}, "ContainersReady False"),
            # Kubernetes' default status is True.
            ({"type": "PodScheduled"}, "PodScheduled True"),
            ({"type": "PodScheduled", "status": None}, "PodScheduled True"),
            ({"type": "Initialized", "status": "True"}, "Initialized True"),
        ],
    )
    def test_ignore_on_a_condition_every_failed_pod_has_is_a_problem(self, tmp_path, condition, said):
        # Before: no problem; the rule was read as matching no exit, and the FailJob after it as stopping the retry.
        rules = (on_conditions("Ignore", {"type": "DisruptionTarget"}, condition), FAIL_ON_VERDICTS)
        (found,) = own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=0))[0]
        assert (
            "until a pass (exit 3 and 4 alike: podFailurePolicy's rule 1, action Ignore, on pod condition "
            f"{said}, which every failed pod has, matches it first, and an ignored failure starts a new pod without "
            "counting it)"
        ) in found, found

    def test_count_on_one_counts_against_the_limit(self, tmp_path):
        rules = (on_conditions("Count", {"type": "Ready", "status": "False"}), FAIL_ON_VERDICTS)
        (found,) = own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=2))[0]
        assert (
            "action Count, on pod condition Ready False, which every failed pod has, matches it first, and it " in found
        )
        assert own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=0)) == ([], [])

    def test_fail_job_on_one_stops_the_retry(self, tmp_path):
        rules = (on_conditions("FailJob", {"type": "Ready", "status": "False"}), on_exit("Ignore", 3, 4))
        assert own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=6)) == ([], [])

    @pytest.mark.parametrize(
        "condition",
        [
            {"type": "DisruptionTarget"},
            {"type": "Ready", "status": "True"},
            {"type": "ConfigIssue", "status": "True"},
            {"type": "PodReadyToStartContainers", "status": "False"},
            # Kubernetes does not match a condition filled in; Argo fills one in: it may be any.
            {"type": "{{args.condition}}"},
        ],
    )
    def test_ignore_on_one_a_failed_pod_may_lack_is_not_read_as_matching(self, tmp_path, condition):
        job = retrying_job(on_conditions("Ignore", condition), FAIL_ON_VERDICTS, backoffLimit=0)
        assert own_job_findings(tmp_path, job) == ([], [])

    @pytest.mark.parametrize(
        "rule",
        [
            # Argo fills in the condition, or the action: it may be the FailJob of every failure.
            on_conditions("FailJob", {"type": "{{args.condition}}", "status": "False"}),
            on_conditions("FailJob", {"type": "Ready", "status": "{{args.status}}"}),
            on_conditions("{{args.action}}", {"type": "Ready", "status": "False"}),
        ],
    )
    def test_a_rule_filled_in_is_not_judged(self, tmp_path, rule):
        assert own_job_findings(tmp_path, retrying_job(rule, backoffLimit=6)) == ([], [])

    def test_a_rule_of_an_action_kubernetes_lacks_is_skipped(self, tmp_path):
        rules = (on_conditions("Retry", {"type": "Ready", "status": "False"}), on_exit("Ignore", 3, 4))
        (found,) = own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=0))[0]
        assert "podFailurePolicy's rule 2, action Ignore, matches it first" in found

    def test_initialized_is_not_certain_of_an_init_container_s_failure(self, tmp_path):
        # Its failure leaves the pod's Initialized False.
        rules = (on_conditions("Ignore", {"type": "Initialized"}), on_exit("FailJob", 2, 3, 4, 6, name="gate"))
        job = with_init(retrying_job(*rules, backoffLimit=0), container("gate", *RUN))
        job["spec"]["template"]["spec"]["containers"] = [container("done", "sh", "-c", "echo done")]
        assert own_job_findings(tmp_path, job) == ([], [])
        ready = (on_conditions("Ignore", {"type": "Ready", "status": "False"}), rules[1])
        job["spec"]["podFailurePolicy"]["rules"] = list(ready)
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "the Job's init container 'gate' runs `analyzer run` in a Job that retries" in found

    def test_initialized_false_is_certain_of_an_init_container_s_failure(self, tmp_path):
        # The kubelet leaves Initialized False while an init container has not succeeded. Before: not read as
        # matching, and the FailJob after it read as stopping the retry.
        rules = (
            on_conditions("Ignore", {"type": "Initialized", "status": "False"}),
            on_exit("FailJob", 2, 3, 4, 6, name="gate"),
        )
        job = with_init(retrying_job(*rules, backoffLimit=0), container("gate", *RUN))
        job["spec"]["template"]["spec"]["containers"] = [container("done", "sh", "-c", "echo done")]
        (found,) = own_job_findings(tmp_path, job)[0]
        assert "action Ignore, on pod condition Initialized False, which every failed pod has, matches it" in found
        # A container's failure comes after the init containers succeeded: Initialized is True then.
        assert own_job_findings(tmp_path, retrying_job(*rules, backoffLimit=0))[0] == []


class TestShellsThatRunNothing:
    """A shell told to read its commands without running them (`sh -n`, `-o noexec`, `set -n` on its line) runs no
    check and exits 0: a Successful Job of no verdict."""

    @pytest.mark.parametrize(
        "command",
        [
            ["sh", "-nc", CHECK_LINE],
            ["sh", "-n", "-c", CHECK_LINE],
            ["bash", "-e", "-o", "noexec", "-c", CHECK_LINE],
            ["sh", "-n", "/scripts/smoke.sh"],
            ["sh", "-n", "-c", f"echo $({CHECK_LINE}) {{ }}"],
        ],
    )
    def test_a_shell_of_noexec_is_a_problem(self, tmp_path, command):
        # Before: not read (an option not known here), as a shell that may run the check.
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("gate", *command)))[0]
        assert (
            f"runs `{shlex.join(command)}`, a shell told to read its commands without running them (-n, noexec; a "
            "syntax check): it runs none and exits 0, a Successful Job, and no verdict"
        ) in found, found

    @pytest.mark.parametrize(
        "line",
        [
            f"set -n; {CHECK_LINE}",
            f"set -eo noexec\n{CHECK_LINE}",
            # The shell exits with `set`'s status, whatever the check's was.
            f"{CHECK_LINE}; set -n; exit 3",
            # +n runs what follows: the line is read on.
            f"set +n; {CHECK_LINE}; echo done",
        ],
    )
    def test_set_n_before_the_check_skips_it(self, tmp_path, line):
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("gate", "sh", "-c", line)))[0]
        assert "a shell whose line may exit 0 though `analyzer run payments-error-rate" in found, found

    @pytest.mark.parametrize(
        "command",
        [
            ["sh", "+n", "-c", CHECK_LINE],
            ["sh", "-n", "+n", "-c", CHECK_LINE],
            ["sh", "-n", "+o", "noexec", "-c", CHECK_LINE],
            ["sh", "-o", "errexit", "-c", CHECK_LINE],
            # An interactive shell ignores -n.
            ["sh", "-n", "-i"],
        ],
    )
    def test_a_shell_that_runs_its_commands_is_not_said_to(self, tmp_path, command):
        assert own_job_findings(tmp_path, batch_job("Job", container("gate", *command))) == ([], [])


class TestTrapsOnExit:
    """A `trap` whose EXIT action ends with `exit 0` makes the shell exit 0 whatever the check said; one that leaves
    the status (no `exit`, `exit` alone, another signal's) changes nothing."""

    @pytest.mark.parametrize(
        "line",
        [
            f"trap 'exit 0' EXIT; {CHECK_LINE}",
            f"trap 'echo bye; exit 0' 0\n{CHECK_LINE}",
            f'set -e; trap "exit 256" EXIT; {CHECK_LINE}',
            f"{CHECK_LINE} || trap 'exit 0' EXIT",
            f"trap -- 'exit 0' INT EXIT; {CHECK_LINE}",
            # Another signal's trap changes nothing of a line that ends normally. Before: the line was not read.
            f"trap 'exit 0' USR1; {CHECK_LINE}; echo done",
            # On a signal that stops the pod (its eviction, deletion, a node drained), during the check: the shell
            # exits 0, and the Job may complete without a verdict. Before: read as keeping the check's exit.
            f"trap 'exit 0' TERM; {CHECK_LINE}",
            f"trap 'echo stopped; exit 0' SIGTERM; {CHECK_LINE}",
            f"trap 'exit 0' term; {CHECK_LINE}",
            f"trap 'exit 0' 15; {CHECK_LINE}",
            f"set -e; trap 'exit 0' INT; {CHECK_LINE}",
            f"trap 'exit 0' HUP USR1; {CHECK_LINE} && echo passed",
            f"trap 'exit 0' 1 2; {CHECK_LINE}",
            f"trap 'exit 0' sigint; {CHECK_LINE}",
            # bash and dash take a condition's name in any case, and 0 written as 00.
            f"trap 'exit 0' exit; {CHECK_LINE}",
            f"trap 'exit 0' Exit; {CHECK_LINE}",
            f"trap 'exit 0' 00; {CHECK_LINE}",
            # `!` does not undo an exit, nor a glob or a test before it (dash and bash exit 0 after a failed check).
            # Before: not read, and validate said nothing.
            f"trap '! exit 0' EXIT; {CHECK_LINE}",
            f"trap 'rm -f /tmp/*; exit 0' EXIT; {CHECK_LINE}",
            f"trap '[ -f /tmp/lock ]; exit 0' TERM; {CHECK_LINE}",
        ],
    )
    def test_one_that_exits_0_is_a_problem(self, tmp_path, line):
        # Before: not read (`trap`), as a line that may keep the check's exit.
        (found,) = own_job_findings(tmp_path, batch_job("Job", container("gate", "sh", "-c", line)))[0]
        assert "a shell whose line may exit 0 though `analyzer run payments-error-rate" in found, found
        assert "a `trap` that exits 0 on EXIT or on a signal that stops the pod, TERM, INT or HUP, `set -n`; " in (
            found
        ), found

    @pytest.mark.parametrize(
        "line",
        [
            f"trap 'rm -f /tmp/report' EXIT; {CHECK_LINE}",
            f"trap 'echo bye; exit' EXIT; {CHECK_LINE}",
            f"trap 'echo stopped' TERM INT; {CHECK_LINE}",
            f"trap - EXIT; {CHECK_LINE}",
            f"trap -p; {CHECK_LINE}",
            f"trap; {CHECK_LINE}",
            # The exit of a signal that does not stop a pod (USR1, QUIT) changes nothing of a line that ends by itself.
            f"trap 'exit 0' USR1; {CHECK_LINE}",
            f"trap 'exit 0' QUIT; {CHECK_LINE}",
            f"trap 'exit 0' 3 10; {CHECK_LINE}",
            f"trap 'exit 0' TERMINATE; {CHECK_LINE}",
            f"trap 'echo stopped; exit' TERM; {CHECK_LINE}",
            f"trap '! echo bye' EXIT; {CHECK_LINE}",
        ],
    )
    def test_one_that_leaves_the_status_is_fine(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("gate", "sh", "-c", line))) == ([], [])

    @pytest.mark.parametrize(
        "line",
        [
            # A code that fails every run, one undone, one in the background, one of an expansion, one running a check.
            f"trap 'exit 1' EXIT; {CHECK_LINE}",
            f"trap 'exit 0' EXIT; trap - EXIT; {CHECK_LINE}",
            f"trap 'exit 0' EXIT & {CHECK_LINE}",
            f"trap 'exit 143' TERM; {CHECK_LINE}",
            f"trap 'exit $rc' EXIT; {CHECK_LINE}",
            f"trap 'exit 0; {CHECK_LINE}' EXIT; {CHECK_LINE}",
        ],
    )
    def test_one_read_no_further_is_noted(self, tmp_path, line):
        # Before: nothing said, as of a line read and found to keep the check's exit.
        problems, notes = own_job_findings(tmp_path, batch_job("Job", container("gate", "sh", "-c", line)))
        assert problems == []
        (note,) = notes
        assert f"runs `{shlex.join(['sh', '-c', line])}`, a shell line validate does not read for what it does" in note


def hooked(hook: str, *command: str) -> dict[str, Any]:
    """A container's lifecycle field running this command in this hook."""
    return {"lifecycle": {hook: {"exec": {"command": list(command)}}}}


class TestChecksInLifecycleHooks:
    """A check run in a lifecycle hook does not decide the Job: preStop runs only when Kubernetes stops the container,
    postStart beside its command, which may end first."""

    @pytest.mark.parametrize(
        ("hook", "command"),
        [
            ("preStop", ["analyzer", "run", "payments-error-rate", "--arg", "canary_hash=c0ffee1"]),
            ("postStart", ["sh", "-c", CHECK_LINE]),
            ("postStart", ["sh", "-c", f"echo starting; {CHECK_LINE}"]),
            ("postStart", ["python3", "-m", "analyzer", "run", "payments-error-rate"]),
        ],
    )
    def test_it_is_a_problem(self, tmp_path, hook, command):
        # Before: not read; the hook's check was taken for the Job's gate by whoever wrote it.
        job = batch_job("Job", container("smoke", *RUN, **hooked(hook, *command)))
        (found,) = own_job_findings(tmp_path, job)[0]
        assert found.startswith(f"jobs.yaml:1: Job 'gate': the Job's container's {hook} hook runs `analyzer run`: "), (
            found
        )
        assert found.endswith(
            "so its verdict does not decide the Job; run the check as the container's command (its args: `run NAME "
            "--arg KEY=VALUE ...`)"
        ), found

    def test_in_a_job_metric_it_is_a_problem(self, tmp_path):
        check = analyzer_container(*RUN, **hooked("preStop", "analyzer", "run", "payments-error-rate"))
        (found,) = problems(tmp_path, *crd_valid(job_template(check)))
        assert "the Job's container's preStop hook runs `analyzer run`: Kubernetes runs it only when it stops" in found
        assert "does not decide the Job, which Argo reads; run the check" in found

    @pytest.mark.parametrize(
        "hook",
        [
            hooked("preStop", "sh", "-c", "sleep 5"),
            hooked("postStart", "sh", "-c", "echo the analyzer runs"),
            # Words saying so, which run nothing. Before: "the Job's container's postStart hook runs `analyzer run`".
            hooked("postStart", "sh", "-c", "echo analyzer run starts"),
            hooked("postStart", "/bin/sh", "-c", "printf '%s\\n' 'analyzer run payments-error-rate' > /tmp/started"),
            {"lifecycle": {"preStop": {"httpGet": {"path": "/run", "port": 8080}}}},
            {"lifecycle": {"preStop": {"sleep": {"seconds": 5}}}},
        ],
    )
    def test_a_hook_running_no_check_is_fine(self, tmp_path, hook):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", *RUN, **hook))) == ([], [])


class TestQuotedCharacters:
    """A brace, an operator or a reserved word within quotes is a character (`trap '{ exit 0; }' EXIT`, `echo "a;b"`,
    `'!'`): validate reads a line where real shells read it, its unquoted ones alone as groups, lists and keywords."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # A trap's action in a group: it exits 0 whatever the check said. Before: a quoted brace was taken for
            # brace expansion, the line not read, and validate silent (a wrong pass).
            (f"trap '{{ exit 0; }}' EXIT; {CHECK_LINE}", True),
            (f'trap "{{ echo bye; exit 0; }}" EXIT; {CHECK_LINE}', True),
            # A quoted brace beside a check that loses its verdict. Before: not read.
            (f"echo 'a}}'; {CHECK_LINE} || true", True),
            (f'echo "{{a,b}}"; {CHECK_LINE} || true', True),
            # Quoted operators are characters: one command before the check, which is last.
            (f'echo "a;b"; {CHECK_LINE}', False),
            (f'echo "a || true"; {CHECK_LINE}', False),
            (f"echo '#'; {CHECK_LINE}", False),
            (f'echo "(x)" "!"; {CHECK_LINE} && echo \'}}\'', False),
            (f"{{ {CHECK_LINE}; }} && echo '{{'", False),
            # A trap's group that leaves the status.
            (f"trap '{{ echo bye; }}' EXIT; {CHECK_LINE}", False),
        ],
    )
    def test_a_quoted_character_is_read_as_one(self, tmp_path, line, loses):
        statuses = {shell: shell_exits(tmp_path, shell, line, "fail") for shell in ("dash", "bash")}
        assert (0 in statuses.values()) == loses, statuses
        problems, notes = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))
        if loses:
            (problem,) = problems
            assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem
        else:
            assert (problems, notes) == ([], [])

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # A quoted `!` is a command's name (not found, 127): no negation. Before: read as `! analyzer run X`, a
            # spurious problem.
            f"'!' {CHECK_LINE}",
            f'"!" {CHECK_LINE} || exit 1',
        ],
    )
    def test_a_quoted_reserved_word_is_no_keyword(self, tmp_path, line):
        # Real shells: `!` is not found, whatever the check would say; the line never exits 0.
        statuses = {shell_exits(tmp_path, shell, line, "pass") for shell in ("dash", "bash")}
        assert 0 not in statuses, statuses
        # A program the line runs the check through, noted (see TestLinesNotRead); no problem.
        problems, notes = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))
        assert problems == []
        assert ["exit (the check run through another program (`!`)): where" in note for note in notes] == [True]

    def test_a_brace_in_a_case_pattern_is_a_character(self, tmp_path):
        # `{*)` matches the JSON of any verdict. Before the braces were marked: read as a pattern no failing output
        # matches once marked, and fine (a wrong pass); before that, not read.
        line = f'OUT=$({CHECK_LINE} --json); case "$OUT" in {{*) ;; *) exit 1;; esac'
        (problem,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem


def assert_read_as_shells_run(tmp_path: Path, line: str, loses: bool) -> None:
    """`line` exits 0 on a failed check in dash or bash exactly when `loses`, and validate says so (a problem naming
    the check) or nothing (and bash exits 0 on a pass)."""
    statuses = {shell: shell_exits(tmp_path, shell, line, "fail") for shell in ("dash", "bash")}
    assert (0 in statuses.values()) == loses, statuses
    found = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))
    if loses:
        (problem,) = found[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem
        assert "`analyzer run payments-error-rate --arg canary_hash=c0ffee1` fails" in problem
    else:
        assert found == ([], [])
        assert shell_exits(tmp_path, "bash", line, "pass") == 0


def unread_note(line: str, construct: str, label: str = "the Job's container", shell: str = "sh") -> str:
    """The note `validate` gives of a Job of its own whose shell line, running the check, it does not read."""
    return (
        f"jobs.yaml:1: Job 'gate': {label} runs `{shlex.join([shell, '-c', line])}`, a shell line validate does not "
        f"read for what it does with the check's exit ({construct}): where it may exit 0 though the check fails, the "
        "Job is Successful without a verdict; make the check the container's command (`args: [run, NAME, --arg, "
        "KEY=VALUE]`), or the line's last command run by `exec` (`...; exec analyzer run NAME ...`), or write the "
        "line in a form validate reads (docs/job-mode.md)"
    )


# What a note names of a line holding a redirection that is not read.
REDIRECTION = "a redirection it does not read (a group's, `{ ...; } > FILE`, bash's `&>`)"
# What a note names of a line holding a test, a use of the check's output, a trap or a group that is not read.
NOT_READ = "a test of the check's output or status, a use of it, a `trap` or a group it does not read"


class TestLinesNotRead:
    """A shell line that may run a check and that validate does not read for what it does with its exit is noted,
    naming the line, what keeps it from being read and what to write instead: never passed in silence."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "construct"),
        [
            (f"timeout 60 {CHECK_LINE}; true", "the check run through another program (`timeout`)"),
            (f"for c in a b; do {CHECK_LINE}; done; echo done", "a loop (`while`, `until`, `for`)"),
            (f"while [ -f /nonexistent ]; do sleep 1; done; {CHECK_LINE} || true", "a loop (`while`, `until`, `for`)"),
            (f"{{ {CHECK_LINE}; }} > /dev/null; true", REDIRECTION),
            (f"echo $((1 + 2)); {CHECK_LINE} || true", "arithmetic (`$((...))`)"),
            (f"check() {{ {CHECK_LINE}; }}; check; true", "a function"),
            (f'eval "{CHECK_LINE}"; true', "`eval`"),
            # A comment within a substitution ends its words there: not read.
            (f'OUT=$({CHECK_LINE} # keep going\n); echo "$OUT"', "a comment (`#`)"),
            # A shell's line within another's: its words are one operand. Before: read as running no check, silent.
            (f'sh -c "{CHECK_LINE} || true"', "the check run through another program (`sh`)"),
            (f"bash -c '{CHECK_LINE}; echo done'", "the check run through another program (`bash`)"),
        ],
    )
    def test_a_line_real_shells_pass_on_a_failed_check_is_noted(self, tmp_path, line, construct):
        # Real shells exit 0 on the failed check. Before: validate said nothing of these Jobs (a silent pass).
        statuses = {shell: shell_exits(tmp_path, shell, line, "fail") for shell in ("dash", "bash")}
        assert 0 in statuses.values(), statuses
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == (
            [],
            [unread_note(line, construct)],
        )

    @pytest.mark.parametrize(
        ("line", "construct"),
        [
            (f"{CHECK_LINE}; rc=$?; echo done; exit $rc", "its status read from `$?`"),
            (f"{CHECK_LINE} & wait %1", "`wait` given a job (`wait $!`)"),
            (f"timeout 60 {CHECK_LINE}; true", "the check run through another program (`timeout`)"),
            (f"timeout 60 {CHECK_LINE} || {CHECK_LINE}", "the check run through another program (`timeout`)"),
            (f"{CHECK_LINE} &> /reports/smoke.txt", REDIRECTION),
            (f'[ "$({CHECK_LINE} --format text | cut -d" " -f1)" = PASS ]', "an expansion it does not read"),
            (
                f'OUT=$({CHECK_LINE}); OUT=; [ -n "$OUT" ] || exit 1',
                NOT_READ,
            ),
            (
                f'[ -n "$OUT" ] || exit 1; OUT=$({CHECK_LINE})',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}); [ "$OUT" = "verdict: pass" ]',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}); [ -z "$OUT" ]',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}); [ -n "$OUT"',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}); [ -n "$OUT" ] ]',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}) [ -n "$OUT" ]',
                NOT_READ,
            ),
            (
                f'OUT=$({CHECK_LINE}); COPY=$OUT; COPY=; [ -n "$COPY" ] || exit 1',
                NOT_READ,
            ),
            (
                f"{CHECK_LINE} || tar czf /tmp/out.tgz /tmp/[x]*",
                "a glob (`*`, `?`, `[...]`) naming a program, or given to one that may run a check",
            ),
            (
                f"echo $({CHECK_LINE}; true); exit 3",
                "a command substitution within another, or of more than one command",
            ),
            (
                f"echo $(echo $({CHECK_LINE})); exit 3",
                "a command substitution within another, or of more than one command",
            ),
            (
                f"OUT=$({CHECK_LINE}); $OUT",
                NOT_READ,
            ),
            (f"echo $(({CHECK_LINE})); exit 3", "arithmetic (`$((...))`)"),
            (
                f'OUT=$({CHECK_LINE}); case "$OUT" in $WANTED) ;; *) exit 1;; esac',
                "a `case` it does not read (a pattern made of an expansion, bash's `;&`)",
            ),
            (
                f'OUT=$({CHECK_LINE}); case "$OUT" in PASS*) ;& *) exit 1;; esac',
                "a `case` it does not read (a pattern made of an expansion, bash's `;&`)",
            ),
            (f"cat <<EOF\nstarting\nEOF\n{CHECK_LINE}", "a here-document (`<<`)"),
            (
                f"{{ {CHECK_LINE} }} || true",
                NOT_READ,
            ),
            (
                f"( {CHECK_LINE} || true",
                NOT_READ,
            ),
            (f"echo {{a,b}}; {CHECK_LINE} || true", "brace expansion (`{a,b}`)"),
            (f"check() {{ {CHECK_LINE}; }}; check || true", "a function"),
            (f'{CHECK_LINE}; rc=$?; cleanup "$WORKDIR"; exit $rc', "its status read from `$?`"),
            (
                f'OUT=$({CHECK_LINE}); ./gate.sh "$OUT"',
                NOT_READ,
            ),
            (
                f"OUT=$({CHECK_LINE}) ./gate.sh",
                NOT_READ,
            ),
            # bash's `$PIPESTATUS` holds the check's status; a pattern of `[[`.
            (
                f'{CHECK_LINE} | tee /reports/smoke.txt; [ "$PIPESTATUS" -eq 0 ]',
                NOT_READ,
            ),
            (
                f"OUT=$({CHECK_LINE}); [[ $OUT != PASS* ]] && exit 1; echo passed",
                "a `[[` test it does not read (a pattern: `[[ $OUT != PASS* ]]`)",
            ),
            # A trap whose code fails every run, undone, set in the background or of an expansion.
            (
                f"trap 'exit 1' EXIT; {CHECK_LINE}",
                NOT_READ,
            ),
            (f"trap 'exit 0' EXIT; trap - EXIT; {CHECK_LINE}", "more than one `trap`"),
            # An action whose quote is not closed once its comments are left out (a mutant reading it crashed).
            (f'trap "echo \'# bye; exit 0" EXIT; {CHECK_LINE}', NOT_READ),
            (
                f"trap '( exit 0 )' EXIT; {CHECK_LINE} || true",
                NOT_READ,
            ),
            # A quoted `!` is a program (not found).
            (f"'!' {CHECK_LINE}", "the check run through another program (`!`)"),
        ],
    )
    def test_a_line_not_read_is_noted(self, tmp_path, line, construct):
        # Before: nothing said, as of a line read and found to keep the check's exit.
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == (
            [],
            [unread_note(line, construct)],
        )

    def test_a_job_metric_s_is_noted(self, tmp_path):
        line = f"if {CHECK_LINE}; then echo ok; fi; for n in 1 2; do echo $n; done"
        (tmp_path / "t.yaml").write_text(yaml.safe_dump(job_template(container("smoke", "sh", "-c", line))))
        (note,) = argo_templates.template_notes([tmp_path])
        assert "metric 'errors': the Job's container runs `sh -c " in note
        assert (
            "(a loop (`while`, `until`, `for`)): where it may exit 0 though the check fails, Argo reads the Job as "
            in (note)
        )

    def test_a_job_whose_other_container_runs_the_check_is_not_noted(self, tmp_path):
        # The Job succeeds only if that container's check passes.
        line = f"timeout 60 {CHECK_LINE} || true"
        for spec in ({"initContainers": [container("gate", *RUN)]}, {}):
            job = batch_job("Job", container("smoke", "sh", "-c", line), *([] if spec else [container("gate", *RUN)]))
            job["spec"]["template"]["spec"].update(spec)
            assert own_job_findings(tmp_path, job) == ([], [])

    def test_a_line_of_another_image_or_without_a_check_is_not_noted(self, tmp_path):
        alpine = {"name": "smoke", "image": "alpine:3", "command": ["sh", "-c", f"timeout 60 {CHECK_LINE}; true"]}
        assert own_job_findings(tmp_path, batch_job("Job", alpine)) == ([], [])
        quiet = container("smoke", "sh", "-c", "for n in 1 2; do echo analyzer run $n; done; exit 1")
        assert own_job_findings(tmp_path, batch_job("Job", quiet)) == ([], [])


class TestIfAndExec:
    """An `if` is read as real shells run it (its condition tested, none true exits 0 without an `else`), and `exec`
    as the shell replaced by the command it runs (nothing after it runs)."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # Before: not read, and validate silent (a wrong pass for those that lose the verdict).
            (f"if {CHECK_LINE}; then echo ok; fi", True),
            (f"if ! {CHECK_LINE}; then echo failed; fi", True),
            (f"set -e; if {CHECK_LINE}; then echo ok; fi", True),
            (f"if {CHECK_LINE}; then exit 0; fi", True),
            (f"if {CHECK_LINE}; then echo ok; fi || exit 1", True),
            (f"if true; then {CHECK_LINE}; fi; echo done", True),
            (f"if {CHECK_LINE} | tee /dev/null; then echo ok; else exit 1; fi", True),
            (f'OUT=$({CHECK_LINE}); if [ "$OUT" != fail ]; then echo ok; else exit 1; fi', True),
            (f"if [ -f /nonexistent ]; then echo skipped; else {CHECK_LINE}; fi; echo done", True),
            (f"if {CHECK_LINE}; then echo ok; else exit 1; fi", False),
            (f"if ! {CHECK_LINE}; then exit 1; fi", False),
            (f"if {CHECK_LINE}\nthen\n  echo ok\nelse\n  echo failed\n  exit 1\nfi\necho done", False),
            (f"if {CHECK_LINE}; then echo ok; elif {CHECK_LINE}; then echo retried; else exit 1; fi", False),
            (f"set -e; if {CHECK_LINE} && true; then echo ok; else false; fi; echo done", False),
            (f"if {CHECK_LINE} | grep -q '^PASS'; then echo ok; else exit 1; fi", False),
            (f'if OUT=$({CHECK_LINE}); then echo "$OUT"; else echo "$OUT"; exit 1; fi', False),
            (f"if {CHECK_LINE}; then exit 0; fi; exit 1", False),
            (f"if true; then {CHECK_LINE}; fi", False),
            (f"set -e; if false; then :; fi; {CHECK_LINE}; echo done", False),
            # `exec` runs the check in the shell's stead: its exit is the check's, whatever follows. Before: not read.
            (f"echo start; exec {CHECK_LINE}", False),
            (f"exec {CHECK_LINE}; echo done", False),
            (f"exec {CHECK_LINE} || true", False),
            (f"ANALYZER_LOG_FORMAT=json exec {CHECK_LINE}", False),
            (f"exec {CHECK_LINE} | grep -q '^PASS'", False),
            (f"exec {CHECK_LINE} | tee /dev/null", True),
            (f"exec echo start; {CHECK_LINE}", True),
        ],
    )
    def test_it_is_read_as_real_shells_run_it(self, tmp_path, line, loses):
        assert_read_as_shells_run(tmp_path, line, loses)

    @pytest.mark.parametrize(
        ("line", "construct"),
        [
            # An `if` without its `fi`, or with an empty body: a syntax error; bash's `exec -a NAME`.
            (f"if {CHECK_LINE}; then echo ok", NOT_READ),
            (f"if {CHECK_LINE}; then fi", NOT_READ),
            (f"exec -a smoke {CHECK_LINE}", "`exec`"),
            # `set -e` in a condition takes effect after it: dash and bash exit 3 after the failed check (a problem
            # would be a spurious block).
            (f"if set -e; then :; fi; {CHECK_LINE}; echo done", NOT_READ),
        ],
    )
    def test_what_it_does_not_read_is_noted(self, tmp_path, line, construct):
        found = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))
        assert found == ([], [unread_note(line, construct)])


class TestRedirections:
    """A command's redirection keeps its status (or fails it, when the file cannot be opened), and takes its output
    from a filter that would read it (`2>&1` joins stderr): validate reads a redirected line as real shells run it."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # Before: not read (a redirection), and validate silent.
            (f"{CHECK_LINE} 2>&1 | tee reports.txt", True),
            (f"{CHECK_LINE} > smoke.txt; true", True),
            (f"{CHECK_LINE} > /nonexistent/smoke.txt || true", True),
            (f"echo skipped > /nonexistent/x || exit 0; {CHECK_LINE}", True),
            (f"{CHECK_LINE}; > marker", True),
            (f"{CHECK_LINE} > smoke.txt", False),
            (f"{CHECK_LINE}>smoke.txt 2>&1", False),
            (f'{CHECK_LINE} >> "smoke log.txt" 2>/dev/null', False),
            (f"{CHECK_LINE} >/dev/null 2>&1 || exit 1", False),
            (f"{CHECK_LINE} 2>err || {{ cat err; exit 1; }}", False),
            (f"{CHECK_LINE} || (echo failed >&2; exit 1)", False),
            (f"echo start >&2; {CHECK_LINE}", False),
            (f"> marker; {CHECK_LINE}", False),
            (f"exec > log 2>&1; {CHECK_LINE}", False),
            (f"exec 2>&1; {CHECK_LINE} | grep -q '^PASS'", False),
            (f"{CHECK_LINE} --arg 'k=a>b'", False),
        ],
    )
    def test_a_redirected_line_is_read_as_real_shells_run_it(self, tmp_path, line, loses):
        # Its files are written in tmp_path, the shell's working directory.
        assert_read_as_shells_run(tmp_path, line, loses)

    @pytest.mark.parametrize(
        "line",
        [
            # A filter whose input is not the check's output alone, or is another file: not read as a pass-only test.
            f"{CHECK_LINE} 2>&1 | grep -q '^PASS'",
            f"{CHECK_LINE} | grep -q '^PASS' < /reports/old.txt",
            f"{CHECK_LINE} | tee out > /dev/null | grep -q '^PASS'",
        ],
    )
    def test_a_filter_of_a_redirected_pipe_is_no_pass_only_test(self, tmp_path, line):
        (problem,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem


class TestCommentsAndGlobs:
    """A comment (`#` starting a word, outside quotes) is left out as real shells leave it, and a glob in a file name
    leaves the status of a command that only reads, writes or shows files its own: validate reads past both."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # Before: only noted (a comment, a glob: the line not read), though real shells lose the verdict.
            (f"{CHECK_LINE} || true # done", True),
            (f"{CHECK_LINE} || true; rm -f ./*.tmp", True),
            (f"{CHECK_LINE} # don't stop\nexit 0", True),
            (f"# smoke test\n{CHECK_LINE}; echo [ab]*", True),
            (f"{CHECK_LINE} || true; touch ./*.done #", True),
            # Before: noted; the comment hides what would lose the verdict, the glob's command runs before the check.
            (f"{CHECK_LINE} # || true", False),
            (f"{CHECK_LINE}; # exit 0", False),
            # Right after `;` or `|`, a `#` starts a word, a comment (mutants reading it as a command survived).
            (f"{CHECK_LINE};# || true", False),
            (f"{CHECK_LINE}|# only a pass matches\ngrep -q '^PASS'", False),
            (f"rm -f ./*.tmp; {CHECK_LINE}", False),
            (f"ls ./*.none; {CHECK_LINE} # the check last", False),
            # A `#` within a word, or quoted, is a character: no comment.
            (f"echo '#' start && {CHECK_LINE}", False),
            (f"echo a#b && {CHECK_LINE}", False),
            (f'echo "$#" && {CHECK_LINE}', False),
            (f"{CHECK_LINE} && echo a#b", False),
            (f'{CHECK_LINE} || {{ echo "# failed"; exit 1; }}', False),
        ],
    )
    def test_a_line_with_comments_or_globs_is_read_as_real_shells_run_it(self, tmp_path, line, loses):
        assert_read_as_shells_run(tmp_path, line, loses)

    @pytest.mark.parametrize(
        ("line", "construct"),
        [
            # A glob that may name the program run, or be given to one that runs others: not read.
            (
                f"/opt/*/{CHECK_LINE} || true",
                "a glob (`*`, `?`, `[...]`) naming a program, or given to one that may run a check",
            ),
            (
                f"{CHECK_LINE} || true; python3 ./*.py",
                "a glob (`*`, `?`, `[...]`) naming a program, or given to one that may run a check",
            ),
        ],
    )
    def test_a_glob_that_may_run_a_check_is_noted(self, tmp_path, line, construct):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == (
            [],
            [unread_note(line, construct)],
        )

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    def test_a_syntax_error_after_a_line_break_ends_the_line_after_the_lines_before(self, tmp_path):
        # The shells run the lines before an empty command (`exit 0`), then stop with 2. Before comments were read
        # this line was only noted; read as a syntax error that runs nothing, it would be fine (a wrong pass).
        for line in (
            f"[ -f /nonexistent ] || exit 0 # done\n; {CHECK_LINE}",
            # Every whole line before it runs, not only the first.
            f"echo start\n[ -f /nonexistent ] || exit 0 # done\n; {CHECK_LINE}",
        ):
            assert_read_as_shells_run(tmp_path, line, loses=True)
        # The check failing on the line before: 2 whatever it says, so its verdict is never a pass.
        line = f"{CHECK_LINE} || true # done\n; true"
        assert {
            shell_exits(tmp_path, shell, line, verdict) for shell in ("dash", "bash") for verdict in ("pass", "fail")
        } == {2}
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == ([], [])


class TestLineBreaksAfterOperators:
    """A line break after `&&`, `||` or `|` continues the list, as real shells read it (not a syntax error that runs
    nothing): what follows it decides the line's status."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        ("line", "loses"),
        [
            # Before: fine (an empty command read, a syntax error: exit 2), though both shells exit 0 on a failure.
            (f"{CHECK_LINE} ||\ntrue", True),
            (f"{CHECK_LINE} ||\n\n  true", True),
            (f"{CHECK_LINE} |\ncat", True),
            # A comment read since valid27 leaves the line break alone. Before: fine, a wrong pass.
            (f"{CHECK_LINE} || # keep going\ntrue", True),
            (f"{CHECK_LINE} | # keep the output\ntee /dev/null", True),
            (f"true &&\n{CHECK_LINE}", False),
            (f"{CHECK_LINE} &&\necho passed", False),
        ],
    )
    def test_a_line_break_after_an_operator_continues_the_list(self, tmp_path, line, loses):
        assert_read_as_shells_run(tmp_path, line, loses)


class TestPassOnlyGatesReadThrough:
    """A pass-only gate written through a group or a bracket pattern is read as one (a spurious problem blocks a
    correct Job); one that lets another verdict through stays a problem."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # A group that runs the check alone prints its output alone. Before: a problem.
            f"{{ {CHECK_LINE}; }} | grep -q '^PASS'",
            f"({CHECK_LINE}) | tee smoke.txt | grep -q '^PASS'",
            # A bracket of plain characters is one of them. Before: a problem.
            f'OUT=$({CHECK_LINE}); case "$OUT" in [P]*) ;; *) exit 1;; esac',
            f'OUT=$({CHECK_LINE}); case "$OUT" in [Pp][Aa]SS*) echo passed;; *) exit 1;; esac',
        ],
    )
    def test_it_is_fine(self, tmp_path, line):
        assert {shell: shell_exits(tmp_path, shell, line, "fail") for shell in ("dash", "bash")} == {
            "dash": 1,
            "bash": 1,
        }
        assert shell_exits(tmp_path, "bash", line, "pass") == 0
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line))) == ([], [])

    @pytest.mark.parametrize(
        "line",
        [
            # Another command's output joins the check's, or a bracket holds the first letter of another verdict.
            f"{{ {CHECK_LINE}; echo PASS; }} | grep -q '^PASS'",
            f'OUT=$({CHECK_LINE}); case "$OUT" in [PF]*) ;; *) exit 1;; esac',
            f'OUT=$({CHECK_LINE}); case "$OUT" in [!F]*) ;; *) exit 1;; esac',
            f'OUT=$({CHECK_LINE}); case "$OUT" in [A-Z]*) ;; *) exit 1;; esac',
        ],
    )
    def test_one_that_lets_another_verdict_through_is_a_problem(self, tmp_path, line):
        (problem,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[0]
        assert "the check's verdict is lost, and it exits 0, a Successful Job, and no verdict" in problem

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    def test_echo_of_the_output_is_a_pass_only_test_in_bash_alone(self, tmp_path):
        # bash's echo prints a reason's `\n` as it is; dash's makes it a line, which may start with PASS.
        line = f"OUT=$({CHECK_LINE}); echo \"$OUT\" | grep -q '^PASS'"
        stub = 'printf "%s\\n" \'FAIL payments-error-rate: expected "ok", got "a\\nPASS b"\'; exit 3'
        (tmp_path / "bin").mkdir()
        (tmp_path / "bin" / "analyzer").write_text(f"#!/bin/sh\n{stub}\n")
        (tmp_path / "bin" / "analyzer").chmod(0o755)
        env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
        exits = {
            shell: subprocess.run([shell, "-c", line], env=env, capture_output=True, timeout=30).returncode
            for shell in ("dash", "bash")
        }
        assert exits == {"dash": 0, "bash": 1}
        # Before: a problem of `bash -c` too.
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "bash", "-c", line))) == ([], [])
        # A startup file may set `shopt -s xpg_echo`: read as dash's.
        for job in (
            batch_job("Job", container("smoke", "sh", "-c", line)),
            batch_job("Job", container("smoke", "bash", "-l", "-c", line)),
            batch_job("Job", container("smoke", "bash", "-c", line, env=[{"name": "BASH_ENV", "value": "/etc/x"}])),
        ):
            (problem,) = own_job_findings(tmp_path, job)[0]
            assert "the check's verdict is lost" in problem


RUN_URL = f"{ANALYZER}/api/v1/checks/payments-error-rate/run"
LIMITED = {
    **CHECK,
    "name": "limited",
    "params": {**HASH, "limit": {"type": "number", "default": 1}},
    "query": 'sum(up{h="{{ canary_hash }}"}) + 0 * {{ limit }}',
}


def body_notes(tmp_path: Path, body: str) -> list[str]:
    """The notes of a template whose metric POSTs `body` (a string, as Argo's CRD types it) to the check `limited`."""
    written = template(RUN_URL.replace("payments-error-rate", "limited"), method="POST", body=body)
    written["spec"]["args"].append({"name": "limit"})
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(crd_valid(written)[0]))
    catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [CHECK, LIMITED]})], Registry.default())
    return template_notes([tmp_path], catalog)


class TestUnquotedArgsOfAStringBody:
    """A string body giving a text param a `{{args.x}}` outside JSON quotes is noted with what to write: Argo puts the
    arg's text in as it is, which is JSON only when it is a number, and a number the run endpoint may refuse."""

    @pytest.mark.parametrize("tag", ["{{args.canary-hash}}", "{{ args.canary-hash }}"])
    def test_a_text_param_given_a_bare_arg_is_noted(self, tmp_path, tag):
        # Before: nothing said; a hash with letters made every measurement a 400, and 1e3 or 1.10 one too.
        (note,) = body_notes(tmp_path, f'{{"canary_hash": {tag}}}')
        lines = numbered((tmp_path / "template.yaml").read_text())
        line = next(number for number, text in lines.items() if text.lstrip().startswith("- count:"))
        assert note.startswith(f"{tmp_path / 'template.yaml'}:{line}: AnalysisTemplate 'payments', metric 'errors': ")
        inner = tag.strip("{}")
        assert note.endswith(
            f"metric 'errors': the body gives 'canary_hash' as {{{{{inner}}}}} outside quotes, while check 'limited' "
            "takes 'canary_hash' as text (a label_value param): Argo puts the arg's text into the body as it is, so a "
            "value with letters (a pod template hash) is no JSON and 1.10 or 1e3 a number the run endpoint refuses for "
            f'text, each a 400 and an Error measurement; quote it: "canary_hash": "{{{{{inner}}}}}"'
        ), note

    @pytest.mark.parametrize(
        "body",
        [
            '{"canary_hash": "{{args.canary-hash}}"}',
            # A number param takes a JSON number: a bare arg is what it is sent as.
            '{"canary_hash": "{{args.canary-hash}}", "limit": {{args.limit}}}',
            # Inside a string, with other text.
            '{"canary_hash": "c-{{args.canary-hash}}"}',
        ],
    )
    def test_a_quoted_arg_or_a_number_param_is_not(self, tmp_path, body):
        assert body_notes(tmp_path, body) == []

    def test_only_the_bare_one_of_several_is_noted(self, tmp_path):
        (note,) = body_notes(tmp_path, '{"limit": {{args.limit}}, "canary_hash": {{args.canary-hash}}}')
        assert "the body gives 'canary_hash' as {{args.canary-hash}} outside quotes" in note


def raw_problems(tmp_path: Path, text: str, *checks: dict[str, Any]) -> list[str]:
    """The problems of templates written as YAML `text` (its scalars as written, not as a dump quotes them)."""
    (tmp_path / "templates.yaml").write_text(text)
    catalog = build_catalog([("catalog.yaml", {**CATALOG, "checks": [CHECK, *checks]})], Registry.default())
    return template_problems([tmp_path], catalog)


RELEASE = {
    **CHECK,
    "name": "release",
    "params": {"release": {"type": "enum", "values": ["1000", "1:30", "true"], "required": True}},
    "query": 'sum(up{release="{{ release }}"})',
}
JSON_BODY_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {{name: release}}
spec:
  metrics:
  - name: errors
    successCondition: result == "pass"
    failureCondition: result == "fail"
    provider:
      web:
        url: http://analyzer.argo-rollouts.svc:8080/api/v1/checks/release/run
        method: POST
        jsonPath: "{{$.verdict}}"
        headers: [{{key: Authorization, value: Bearer t0k3n}}]
        jsonBody: {{release: {value}}}
"""


class TestManifestsReadAsKubernetesReadsThem:
    """Manifests are read as go-yaml v2 reads them (what kubectl, Helm and Argo CD read them with before the API
    server stores their JSON), not as YAML 1.1 does: each scalar the two read apart is judged as Argo gets it."""

    @pytest.mark.parametrize(
        ("value", "sent"),
        [
            # An exponent without a dot or a sign: a number to Go (JSON 1000), text to YAML 1.1.
            ("1e3", "1000"),
            ("1.0e3", "1000"),
            # Sexagesimal: text to Go, the int 90 to YAML 1.1.
            ("1:30", "1:30"),
        ],
    )
    def test_a_json_body_value_is_sent_as_go_reads_it(self, tmp_path, value, sent):
        # Before: 1e3 was checked as the text "1e3" and 1:30 as the number 90, both refused by the enum: problems
        # for a body Argo sends as {"release": 1000} and {"release": "1:30"}, which the check takes.
        assert raw_problems(tmp_path, JSON_BODY_TEMPLATE.format(value=value), RELEASE) == []
        assert argo_templates.go_plain_scalar(value) in (float(sent) if sent.isdigit() else sent,)

    @pytest.mark.parametrize("value", ["y", "N", "Y"])
    def test_a_one_letter_boolean_is_a_boolean(self, tmp_path, value):
        # Before: y read as the text "y"; Argo sends true, which the run endpoint refuses: a 400 at every measurement.
        (problem,) = raw_problems(tmp_path, JSON_BODY_TEMPLATE.format(value=value), RELEASE)
        assert "arg 'release' must be a string or a number, got " in problem, problem

    @pytest.mark.parametrize(
        ("text", "read"),
        [
            ("1e3", 1000.0),
            ("0o17", 15),
            ("08", 8.0),
            ("012", 10),
            ("0x1F", 31),
            ("1_000", 1000),
            (".5", 0.5),
            ("1:30", "1:30"),
            ("y", True),
            ("off", False),
            ("~", None),
            # A timestamp decoded into interface{} is its text as written (go-yaml v2's decode.go, for backward
            # compatibility): no Go time's RFC 3339.
            ("2026-01-02", "2026-01-02"),
            ("2026-1-2 3:04:05.500", "2026-1-2 3:04:05.500"),
            ("2026-01-02t10:00:00+01:00", "2026-01-02t10:00:00+01:00"),
            ("2026-02-30", "2026-02-30"),
            # resolveMap is looked up for a sign first too: -.inf is a float, not the text "-.inf".
            ("-.inf", float("-inf")),
            ("+.Inf", float("inf")),
            # strconv.ParseFloat's range error: go-yaml keeps the text.
            ("1e400", "1e400"),
            (".1e400", ".1e400"),
            ("-1" + "0" * 400, "-1" + "0" * 400),
            ("1.10", 1.1),
            ("abc1e3", "abc1e3"),
        ],
    )
    def test_plain_scalars_read_as_go_yaml_v2_reads_them(self, text, read):
        assert argo_templates.go_plain_scalar(text) == read
        assert type(argo_templates.go_plain_scalar(text)) is type(read)

    def test_a_json_body_date_is_sent_as_written(self, tmp_path):
        # Before: read as the Go time's text 2026-01-02T00:00:00Z, while Argo sends "2026-01-02" (go-yaml v2 keeps a
        # timestamp's text in an interface{}): a problem for a body the check takes, none for one it refuses.
        text = JSON_BODY_TEMPLATE.format(value="2026-01-02")
        dated = {**RELEASE, "params": {"release": {"type": "enum", "values": ["2026-01-02"], "required": True}}}
        assert raw_problems(tmp_path, text, dated) == []
        stamped = {
            **RELEASE,
            "params": {"release": {"type": "enum", "values": ["2026-01-02T00:00:00Z"], "required": True}},
        }
        (problem,) = raw_problems(tmp_path, text, stamped)
        assert "'2026-01-02'" in problem, problem

    def test_an_arg_value_of_an_infinity_is_a_problem(self, tmp_path):
        # Before: -.inf read as text; go-yaml reads the float -Inf, which no JSON holds: kubectl refuses the object.
        (problem,) = raw_problems(
            tmp_path, yaml.safe_dump(generic({"name": "limit", "value": "VALUE"})).replace("VALUE", "-.inf")
        )
        assert "arg 'limit' has the value -inf, a number as Kubernetes reads the unquoted YAML" in problem, problem

    def test_quoted_scalars_and_keys(self):
        loaded = yaml.load('a: "1e3"\nb: !!str y\ny: 1\n1: 2\n<<: {c: 3}', Loader=argo_templates._GoYamlLoader)
        assert loaded == {"a": "1e3", "b": "y", "true": 1, "1": 2, "c": 3}

    @pytest.mark.parametrize(("value", "shown"), [("1e3", "1000"), ("5", "5"), ("y", "true"), ("0.50", "0.5")])
    def test_an_arg_value_kubernetes_reads_as_no_text_is_a_problem(self, tmp_path, value, shown):
        # Before: 1e3 and y were text to YAML 1.1 and checked as such; 5 and 0.50 were left unchecked. The API server
        # refuses each, in a template's args as in a Rollout's (Argo's CRDs type an arg's value as a string).
        documents = [rollout([step({"name": "check", "value": "VALUE"})]), generic({"name": "limit", "value": "VALUE"})]
        text = yaml.safe_dump_all(documents).replace("VALUE", value)
        found = [p for p in raw_problems(tmp_path, text) if "must be of type string" in p]
        expected = (
            f"arg {{name}} has the value {shown}, a {'boolean' if value == 'y' else 'number'} as Kubernetes reads"
        )
        assert [expected.format(name=name) in p for p, name in zip(found, ("'limit'", "'check'"), strict=True)] == [
            True,
            True,
        ], found
        quoted = yaml.safe_dump_all(documents).replace("VALUE", f"'{value}'")
        assert crd_valid(*yaml.safe_load_all(quoted)), "quoted, the CRDs take it"

    def test_an_analysis_run_arg_value_kubernetes_reads_as_no_text_is_a_problem(self, tmp_path):
        # An AnalysisRun's args are typed as a template's: no test held one (a survivor of dropping the check there).
        run = analysis_run(
            TestAnalysisRuns.URL,
            {"name": "check", "value": "payments-error-rate"},
            {"name": "limit"},
            TestAnalysisRuns.HASH,
        )
        run["spec"]["args"][1]["value"] = "VALUE"
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (tmp_path / "run.yaml").write_text(yaml.safe_dump(run).replace("VALUE", "5"))
        (problem,) = analysis_run_problems([tmp_path], catalog)
        assert "AnalysisRun 'payments-1': arg 'limit' has the value 5, a number as Kubernetes reads" in problem, problem
        (tmp_path / "run.yaml").write_text(yaml.safe_dump(run).replace("VALUE", "'5'"))
        assert analysis_run_problems([tmp_path], catalog) == []

    def test_a_whole_float_from_1e21_stays_a_float(self):
        # Go's encoding/json writes 1e21 as 1e+21, no digits: an int field (count) does not take it.
        assert yaml.load("a: 1e21\nb: 1e20", Loader=argo_templates._GoYamlLoader) == {"a": 1e21, "b": 10**20}
        assert type(yaml.load("a: 1e21", Loader=argo_templates._GoYamlLoader)["a"]) is float

    @pytest.mark.parametrize(
        ("name", "shown", "spellings"),
        [("n", "false", "n, no, off or false"), ("y", "true", "y, yes, on or true"), ("off", "false", None)],
    )
    def test_an_arg_name_kubernetes_reads_as_a_boolean_is_a_problem(self, tmp_path, name, shown, spellings):
        # Before: exit 0 for an arg no metric uses, and for one a metric uses "it uses {{args.n}}, which the template
        # does not declare": kubectl sends `"name": false` (sigs.k8s.io/yaml's YAMLToJSON, no typed target), which
        # the CRD's `name: {type: string}` refuses, so the template never reaches the cluster.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.NAME}}}}"
        used = template(url)
        used["spec"]["args"] = [{"name": "NAME"}]
        unused = template(url.replace("{{args.NAME}}", "abc"))
        unused["metadata"]["name"] = "unused"
        unused["spec"]["args"] = [{"name": "NAME", "value": "abc"}]
        text = yaml.safe_dump_all([used, unused]).replace("NAME", name)
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG))
        (tmp_path / "templates.yaml").write_text(text)
        result = validate(tmp_path / "catalog.yaml", tmp_path / "templates.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        found = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
        expected = (
            f"an arg's name is {shown}, a boolean as Kubernetes reads the unquoted YAML "
            f"({spellings or 'n, no, off or false'}: YAML 1.1's booleans, which go-yaml v2 reads), while Argo's CRD "
            "takes an arg's name as a string: the API server refuses the object (name in body must be of type "
            "string); quote it"
        )
        assert found == [
            f"  - {tmp_path / 'templates.yaml'}:{line}: AnalysisTemplate {template_name!r}: {expected}"
            for template_name, line in (("payments", 1), ("unused", 22))
        ]
        with pytest.raises(AssertionError):
            crd_valid(*yaml.load_all(text, Loader=argo_templates._GoYamlLoader))
        quoted = text.replace(f"name: {name}\n", f"name: '{name}'\n")
        assert crd_valid(*yaml.load_all(quoted, Loader=argo_templates._GoYamlLoader))
        (tmp_path / "templates.yaml").write_text(quoted)
        assert validate(tmp_path / "catalog.yaml", tmp_path / "templates.yaml").returncode == 0

    def test_an_arg_name_read_as_a_number_in_a_rollout_is_a_problem(self, tmp_path):
        # A Rollout's analysis args are typed as a template's (the same `_typed_value_problems`).
        text = yaml.safe_dump_all([rollout([step({"name": "NAME", "value": "x"})]), generic()]).replace("NAME", "1e3")
        found = [p for p in raw_problems(tmp_path, text) if "an arg's name" in p]
        assert [p.split(": ", 2)[2] for p in found] == [
            "an arg's name is 1000, a number as Kubernetes reads the unquoted YAML (go-yaml v2 reads 1e3, 0x1F or 5 "
            "as numbers), while Argo's CRD takes an arg's name as a string: the API server refuses the object (name "
            "in body must be of type string); quote it"
        ], found

    @pytest.mark.parametrize(("written", "shown"), [("0x1F", "31"), ("1_000", "1000"), ("1e3", "1000"), ("0o17", "15")])
    def test_a_number_arg_name_used_is_named_once(self, tmp_path, written, shown):
        # Before: also "it uses {{args.0x1F}}, which the template does not declare", misleading: it is declared,
        # and quoting its name is the one fix. A quoted "31" declares no {{args.0x1F}}.
        url = f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash={{{{args.NAME}}}}"
        used = template(url)
        used["spec"]["args"] = [{"name": "NAME"}]
        text = yaml.safe_dump(used).replace("args.NAME", f"args.{written}")
        problems = raw_problems(tmp_path, text.replace("name: NAME", f"name: {written}"))
        assert [p.split(": ", 2)[2].startswith(f"an arg's name is {shown}, a number") for p in problems] == [True], (
            problems
        )
        (undeclared,) = raw_problems(tmp_path, text.replace("name: NAME", f"name: '{shown}'"))
        assert f"it uses {{{{args.{written}}}}}, which the template does not declare" in undeclared

    @pytest.mark.parametrize("written", ["name: null", "name: ~", "name:", "value: x"])
    def test_an_arg_without_a_name_is_a_problem(self, tmp_path, written):
        # Before: exit 0, though Argo's CRD requires an arg's name (kubectl sends null or nothing): the API server
        # refuses the template.
        unnamed = template(f"{ANALYZER}/api/v1/checks/payments-error-rate/run?canary_hash=abc")
        unnamed["spec"]["args"] = [{"name": "NAME"}]
        with pytest.raises(AssertionError):
            crd_valid(yaml.safe_load(yaml.safe_dump(unnamed).replace("name: NAME", written)))
        problems = raw_problems(tmp_path, yaml.safe_dump(unnamed).replace("name: NAME", written))
        assert [p.split(": ", 2)[2] for p in problems] == [
            "an arg has no name (none written, or an unquoted null or ~, which Kubernetes reads as none), while "
            "Argo's CRD requires one: the API server refuses the object (name: Required value); name it"
        ], problems

    def test_a_quoted_arg_value_is_text(self, tmp_path):
        documents = [rollout([step({"name": "check", "value": "VALUE"})]), generic({"name": "limit", "value": "VALUE"})]
        text = yaml.safe_dump_all(documents).replace("VALUE", "'1e3'")
        assert [p for p in raw_problems(tmp_path, text) if "must be of type string" in p] == []


class TestChecksSkippedOnAFailure:
    """A check a line skips when a command before it fails (not a test of the environment), the line then exiting 0
    on another check's pass, is noted: the outage that command meets passes the Job without that check."""

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: nothing said (a skip was read as the line's choice of check, as a test's is).
            "if ls ready; then analyzer run a || exit 1; fi; analyzer run b",
            "ls ready && { analyzer run a || exit 1; }; analyzer run b",
            # A variable of the Job's environment in the command leaves its status its own (`curl -f "$URL"`).
            'if ls "$READY_FILE"; then analyzer run a || exit 1; fi; analyzer run b',
            # Before: nothing said, a pipeline's commands each taken to read a check's output (`curl -fsS URL | grep
            # -q ok`): one running no check fails on an outage as a command alone does.
            "ls ready | grep -q ready && { analyzer run a || exit 1; }; analyzer run b",
        ],
    )
    def test_a_check_skipped_when_a_command_fails_is_noted(self, tmp_path, line):
        problems, notes = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))
        assert problems == []
        (note,) = notes
        assert "a shell line that skips `analyzer run a` when a command before it fails" in note, note
        assert "end the line when that command fails (`CMD || exit 1`)" in note
        # `ready` is missing: a is skipped, and b's pass is the line's exit, whatever a would have said.
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass") == 0, shell

    @pytest.mark.parametrize(
        "line",
        [
            "ls ready || exit 1; analyzer run a && analyzer run b",
            "ls ready && analyzer run a && analyzer run b",
            # A test of the environment skipping it is the line's choice (TestChecksSkippedOnSomeWays).
            'if [ -n "$MODE" ]; then analyzer run a || exit 1; fi; analyzer run b',
            'test -n "$MODE" && { analyzer run a || exit 1; }; analyzer run b',
            # A line that runs no check at all on some way is a problem of its own (TestCommandsThatRunNoCheck).
            "exit 0; analyzer run a",
            # A filter of the check's output in a pipeline reads the check's verdict, not an outage.
            "analyzer run a | grep -q '^PASS' && analyzer run b",
            "analyzer run a | grep -q '^PASS' && { analyzer run b || exit 1; }; analyzer run c",
            # No command but the checks: a's verdict lost is `_shell_discards`'s, no skip.
            "analyzer run a; analyzer run b",
        ],
    )
    def test_a_failure_that_ends_the_line_or_a_test_is_not(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1] == []

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: nothing said. An assignment's status is its substitution's: curl's failure skips a as curl's
            # own does (`curl -f URL && ...`), and b's pass is the line's exit.
            "x=$(ls ready) && { analyzer run a || exit 1; }; analyzer run b",
            "if x=$(ls ready); then analyzer run a || exit 1; fi; analyzer run b",
        ],
    )
    def test_a_check_skipped_when_a_substitution_fails_is_noted(self, tmp_path, line):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOGUE_OF_TWO))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", container("smoke", "sh", "-c", line))))
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        (note,) = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
        assert "a shell line that skips `analyzer run a` when a command before it fails" in note, note
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass") == 0, shell

    @pytest.mark.parametrize(
        "line",
        [
            # Before: noted as a command that fails on an outage. grep reading a file the pod mounts (the Downward
            # API's labels) tests the pod's environment as `[ -f FILE ]` does: the line's choice of check.
            "if grep -q canary /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            "grep -qs -e canary -e preview /etc/podinfo/labels && { analyzer run a || exit 1; }; analyzer run b",
            'if grep -Fxq "track=canary" "$LABELS_FILE"; then analyzer run a || exit 1; fi; analyzer run b',
            "if grep -q -- -canary /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            "if grep -qm1 canary /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            # A long option's value is the next word, a `-` too: a pattern, no file.
            "if grep -q --regexp - /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            "if grep -q --file=/etc/gate/patterns /etc/podinfo/labels; then analyzer run a || exit 1; fi\n"
            "analyzer run b",
            "if grep -q -f /etc/gate/patterns /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            # A joined value ends its word, whatever letters it holds (`-ebuild`: its `d` takes a value too); grep's
            # path.
            "if grep -q -ebuild /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            "if /bin/grep -q canary /etc/podinfo/labels; then analyzer run a || exit 1; fi; analyzer run b",
            # A file two greps read, and no other command names.
            "if grep -q canary /etc/podinfo/labels; then analyzer run a || exit 1\n"
            "elif grep -q preview /etc/podinfo/labels; then analyzer run b || exit 1; fi; analyzer run b",
            'if grep -q canary "$LABELS"; then analyzer run a || exit 1; fi; grep -q x "${LABELS}"; analyzer run b',
        ],
    )
    def test_grep_of_a_file_is_a_test_of_the_environment(self, tmp_path, line):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOGUE_OF_TWO))
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(batch_job("Job", container("smoke", "sh", "-c", line))))
        result = validate(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "note: " not in result.stdout, result.stdout

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: no note, the test of a file the line itself wrote (with what an outage printed, or nothing) read
            # as one of the pod's environment, `[ -f /skip ]`.
            "ls ready > ready.out; if [ -s ready.out ]; then analyzer run a || exit 1; fi; analyzer run b",
            "ls ready > ready.out; [ -s ready.out ] && { analyzer run a || exit 1; }; analyzer run b",
            "ls ready > ready.out; if test -s ready.out; then analyzer run a || exit 1; fi; analyzer run b",
            "ls ready > ready.out; [[ -s ready.out ]] && { analyzer run a || exit 1; }; analyzer run b",
            'ls ready > "$OUT"; if [ -s "${OUT}" ]; then analyzer run a || exit 1; fi; analyzer run b',
        ],
    )
    def test_a_test_of_a_file_the_line_wrote_is_a_command_that_may_fail(self, tmp_path, line):
        (note,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1]
        assert "a shell line that skips `analyzer run a` when a command before it fails" in note, note
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass") == 0, shell

    @pytest.mark.parametrize(
        "line",
        [
            # The pod's own files, named by tests and greps alone, `-a` between two tests no file.
            "if [ -s /etc/podinfo/labels ]; then analyzer run a || exit 1; fi; analyzer run b",
            "if [ -f /etc/gate/on -a -s /etc/podinfo/labels ]; then analyzer run a || exit 1; fi; analyzer run b",
            "if [ -s /etc/podinfo/labels ] && grep -q canary /etc/podinfo/labels; then analyzer run a || exit 1; fi\n"
            "analyzer run b",
        ],
    )
    def test_a_test_of_a_file_the_line_names_nowhere_else_is_of_the_environment(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1] == []

    @pytest.mark.parametrize(
        "line",
        [
            # grep reading its stdin (a pipe's, the pod's): what it reads may be an outage's output.
            "curl -fsS http://svc/ready | grep -q ready && { analyzer run a || exit 1; }; analyzer run b",
            "grep -q ready && { analyzer run a || exit 1; }; analyzer run b",
            "grep -q ready /etc/podinfo/labels - && { analyzer run a || exit 1; }; analyzer run b",
            "curl -fsS http://svc/want | grep -q -f - /etc/podinfo/labels && { analyzer run a || exit 1; }\n"
            "analyzer run b",
            "curl -fsS http://svc/want | grep -q --file=- /etc/podinfo/labels && { analyzer run a || exit 1; }\n"
            "analyzer run b",
            "grep -q -e ready && { analyzer run a || exit 1; }; analyzer run b",
            "grep -r -q ready && { analyzer run a || exit 1; }; analyzer run b",
            "curl -fsS http://svc/ready | grep -q ready /dev/stdin && { analyzer run a || exit 1; }; analyzer run b",
            # A file the line writes first holds what an outage printed (before: no note, the check's loss unseen).
            "curl -s -o /tmp/r http://svc/ready; if grep -q ready /tmp/r; then analyzer run a || exit 1; fi\n"
            "analyzer run b",
            "curl -s http://svc/ready > /tmp/r; grep -q ready /tmp/r && { analyzer run a || exit 1; }; analyzer run b",
            'curl -s http://svc/ready > "$OUT"; grep -q ready "$OUT" && { analyzer run a || exit 1; }; analyzer run b',
        ],
    )
    def test_grep_of_its_input_is_still_a_command_that_may_fail(self, tmp_path, line):
        (note,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1]
        assert "a shell line that skips `analyzer run a` when a command before it fails" in note, note

    @pytest.mark.skipif(not (shutil.which("dash") and shutil.which("bash")), reason="needs dash and bash")
    @pytest.mark.parametrize(
        "line",
        [
            # Before: no note; the file tested by its absolute name is the one written by its relative name after cd.
            "cd OUT && curl -s -o r http://127.0.0.1:9/ready; if [ -s OUT/r ]; then analyzer run a || exit 1; fi\n"
            "analyzer run b",
            "cd OUT; ls ready > r; grep -q ready OUT/r && { analyzer run a || exit 1; }; analyzer run b",
            "(cd OUT && ls ready >sub/r); [ -s OUT/sub/r ] && { analyzer run a || exit 1; }; analyzer run b",
            "curl -s --output-dir OUT -o r http://127.0.0.1:9/ready; [ -s OUT/r ] && { analyzer run a || exit 1; }\n"
            "analyzer run b",
            # Before: no note; the directory changed by a quoted name, by pushd, or wget's -P.
            'cd "OUT" && ls ready > r; [ -s OUT/r ] && { analyzer run a || exit 1; }; analyzer run b',
            "pushd OUT >/dev/null; ls ready > r; [ -s OUT/r ] && { analyzer run a || exit 1; }; analyzer run b",
            "wget -q -P OUT http://127.0.0.1:9/ready; [ -s OUT/ready ] && { analyzer run a || exit 1; }\n"
            "analyzer run b",
            "wget -q -POUT http://127.0.0.1:9/ready; [ -s OUT/ready ] && { analyzer run a || exit 1; }\nanalyzer run b",
        ],
    )
    def test_a_file_written_by_a_relative_name_after_cd_is_the_lines(self, tmp_path, line):
        out = tmp_path / "out"
        (out / "sub").mkdir(parents=True)
        line = line.replace("OUT", str(out))
        (note,) = own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1]
        assert "a shell line that skips `analyzer run a` when a command before it fails" in note, note
        for shell in ("dash", "bash"):
            assert shell_exits_of_two(tmp_path, shell, line, a="fail", b="pass") == 0, shell

    @pytest.mark.parametrize(
        "line",
        [
            # No cd, or no relative name ending as the file does: the pod's own file.
            "cd /work; if [ -s /etc/podinfo/labels ]; then analyzer run a || exit 1; fi; analyzer run b",
            "cd /work; ls > labels.txt; [ -s /etc/podinfo/labels ] && { analyzer run a || exit 1; }; analyzer run b",
            "ls > labels; [ -s /etc/podinfo/labels ] && { analyzer run a || exit 1; }; analyzer run b",
            # A relative name tested after cd, and written by none: the pod's own file there.
            "cd /etc/podinfo; if [ -s labels ]; then analyzer run a || exit 1; fi; analyzer run b",
            # grep's -P is no directory.
            "grep -qP ready /etc/podinfo/labels && { analyzer run a || exit 1; }; analyzer run b",
        ],
    )
    def test_a_file_no_relative_name_may_write_is_of_the_environment(self, tmp_path, line):
        assert own_job_findings(tmp_path, batch_job("Job", container("smoke", "sh", "-c", line)))[1] == []


CATALOGUE_OF_TWO = {
    **CATALOG,
    "checks": [{**CHECK, "name": name, "params": {}, "query": "sum(up)"} for name in ("a", "b")],
}


class TestNumbersAsTheApiServerStoresThem:
    """A number Kubernetes reads from an unquoted `3e1` is stored as JSON writes it (30): an int field takes it."""

    def test_a_timeout_written_with_an_exponent_is_its_number(self, tmp_path):
        # Before (read as go-yaml's float, no int): taken for no timeoutSeconds (10 s), below the check's 21 s.
        slow = {**CHECK, "name": "slow", "deadline_s": 20}
        url = f"{ANALYZER}/api/v1/checks/slow/run?canary_hash={{{{args.canary-hash}}}}"
        text = yaml.safe_dump(template(url, timeoutSeconds="TIMEOUT")).replace("TIMEOUT", "3e1")
        assert raw_problems(tmp_path, text, slow) == []
        assert raw_problems(tmp_path, text.replace("3e1", "2e1"), slow) == [
            f"{tmp_path / 'templates.yaml'}:9: AnalysisTemplate 'payments', metric 'errors': timeoutSeconds 20, while "
            "check 'slow' may answer after 21 s (its 20 s deadline, plus up to 1 s waiting for an evaluation slot): a "
            "slower answer is an Error, whatever the verdict; set timeoutSeconds above 21"
        ]


class TestIPv6HostsGoReads:
    """A url whose host is a bracketed IPv6 address, with a port or none, is read as Go reads it: no problem."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    @pytest.mark.parametrize("origin", ["http://[fd00::7]", "http://[fd00::7]:8080", "https://[2001:db8::1]"])
    def test_an_ipv6_address_with_or_without_a_port_is_no_problem(self, tmp_path, origin):
        assert problems(tmp_path, template(origin + self.RUN)) == []


class TestNamespaceOfAKustomizationBeside:
    """A Service beside a kustomization that sets a namespace and lists nothing of it is taken to be applied there."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    def test_a_kustomization_beside_the_service_listing_none_of_it_sets_its_namespace(self, tmp_path):
        url = f"http://analyzer.argo-rollouts.svc{self.RUN}"
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"namespace": "argo-rollouts"}))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path], catalog)
        assert "url calls analyzer.argo-rollouts.svc on port 80 (http's, the url writing none), which Service " in found


class TestComponentsOfAKustomizationBeside:
    """A kustomization beside a Service listing nothing of it applies its local components' namespace and names too,
    as the kustomizations listing it do."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    @pytest.mark.parametrize(
        ("own", "component", "host"),
        [
            ({}, {"namespace": "argo-rollouts"}, "analyzer.argo-rollouts.svc"),
            ({"namespace": "argo-rollouts"}, {"namePrefix": "prod-"}, "prod-analyzer.argo-rollouts.svc"),
            # The kustomization's own transformers run after its components': its prefix outside theirs.
            (
                {"namespace": "argo-rollouts", "namePrefix": "eu-"},
                {"namePrefix": "prod-", "namespace": "staging"},
                "eu-prod-analyzer.argo-rollouts.svc",
            ),
        ],
    )
    def test_a_component_renaming_the_service_it_is_judged_by(self, tmp_path, own, component, host):
        # Before: the component was not read, the Service's namespace or name not known, and a url calling it on a
        # port it does not serve (80 here, the url writing none) was judged by none: exit 0.
        url = f"http://{host}{self.RUN}"
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "service.yaml").write_text(yaml.safe_dump(service()))
        (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({**own, "components": ["rename"]}))
        (tmp_path / "rename").mkdir()
        (tmp_path / "rename" / "kustomization.yaml").write_text(
            yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", **component})
        )
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path], catalog)
        assert f"url calls {host} on port 80 (http's, the url writing none), which Service " in found, found


class TestTargetPortAdvice:
    """A url calling a Service's targetPort is advised the port that leads to it, not the Service's first port."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    def test_the_port_leading_to_the_target_port_is_the_one_advised(self, tmp_path):
        targeted = in_namespace(service("analyzer", 80, 9090))
        targeted["spec"]["ports"][1]["targetPort"] = 3000
        url = f"http://analyzer.argo-rollouts.svc:3000{self.RUN}"
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "service.yaml").write_text(yaml.safe_dump(targeted))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        (found,) = template_problems([tmp_path], catalog)
        assert "3000 is its targetPort, the pods' port, which only the Service's port 9090 leads to" in found, found
        assert found.endswith("write http://analyzer.argo-rollouts.svc:9090/api/v1/checks/..."), found


class TestTargetPortOfAnotherNamespace:
    """A Service of the name in a namespace other than the url's is not the one it calls: its targetPort is no note."""

    RUN = "/api/v1/checks/payments-error-rate/run?canary_hash={{args.canary-hash}}"

    def test_a_service_of_the_name_in_another_namespace_is_not_noted(self, tmp_path):
        targeted = in_namespace(service("analyzer", 80), "staging")
        targeted["spec"]["ports"][0]["targetPort"] = 8080
        url = f"http://analyzer.argo-rollouts.svc:8080{self.RUN}"
        (tmp_path / "templates.yaml").write_text(yaml.safe_dump_all(declaring_what_they_use((template(url),))))
        (tmp_path / "service.yaml").write_text(yaml.safe_dump(targeted))
        catalog = build_catalog([("catalog.yaml", CATALOG)], Registry.default())
        assert template_problems([tmp_path], catalog) == []
        assert template_notes([tmp_path], catalog) == []
