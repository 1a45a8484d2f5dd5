import base64
import http.server
import inspect
import json
import math
import os
import re
import ssl
import subprocess
import sys
import threading
from dataclasses import FrozenInstanceError, fields

import aiohttp
import certifi
import pytest
import trustme
from aiohttp import client_exceptions
from aiohttp.client_reqrep import ConnectionKey, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import ValidationError
from yarl import URL

from analyzer.errors import (
    CheckError,
    CheckMisconfigured,
    ResendableFailure,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
)
from analyzer.sources import QueryResult, Series
from analyzer.sources.prometheus import (
    DESCRIBED_LABEL_CHARS,
    PrometheusSourceConfig,
    base_url_refusal,
    header_secrets,
    made_result,
    made_series,
    map_aiohttp_errors,
    map_answer_shape_errors,
    parse_result,
    quoted,
    read_answer,
)

KEY = ConnectionKey("prometheus", 9090, False, True, None, None, None, None)
REQUEST = RequestInfo(
    URL("http://prometheus:9090/api/v1/query"),
    "GET",
    CIMultiDictProxy(CIMultiDict()),
    URL("http://prometheus:9090/api/v1/query"),
)


def client_exception_classes():
    """Every exception class aiohttp's client exports (a query can raise only some; all are mapped)."""
    return [
        cls
        for name in client_exceptions.__all__
        if inspect.isclass(cls := getattr(client_exceptions, name)) and issubclass(cls, aiohttp.ClientError)
    ]


def instance(cls):
    """An instance of an aiohttp client exception, built with the arguments its class takes."""
    if issubclass(cls, aiohttp.ClientConnectorCertificateError):
        return cls(KEY, ssl.SSLCertVerificationError(1, "certificate verify failed"))
    if issubclass(cls, aiohttp.ClientConnectorError):
        return cls(KEY, ConnectionRefusedError(111, "Connection refused"))
    if issubclass(cls, aiohttp.ClientResponseError):
        return cls(REQUEST, (), status=502, message="Bad Gateway")
    if issubclass(cls, aiohttp.ServerFingerprintMismatch):
        return cls(b"a", b"b", "prometheus", 9090)
    if issubclass(cls, aiohttp.InvalidURL):
        return cls("http://prometheus:9090/x")
    return cls("boom")


def mapped(exc):
    with pytest.raises(CheckError) as caught, map_aiohttp_errors("default", "http://127.0.0.1:9"):
        raise exc
    return caught.value


class TestErrorMapping:
    """Every foreign exception of aiohttp's client becomes one of ours, once, at the boundary."""

    @pytest.mark.parametrize("cls", client_exception_classes(), ids=lambda c: c.__name__)
    def test_every_client_exception_is_mapped(self, cls):
        error = mapped(instance(cls))
        assert isinstance(error, SourceUnavailable | SourceRejected)
        assert "'default'" in error.message

    @pytest.mark.parametrize(
        "exc",
        [
            TimeoutError(),
            aiohttp.ServerTimeoutError("read"),
            aiohttp.SocketTimeoutError("Timeout on reading data from socket"),
        ],
    )
    def test_timeouts_are_timeouts(self, exc):
        assert type(mapped(exc)) is SourceTimeout

    def test_connect_timeout_is_unavailable_not_timeout(self):
        assert type(mapped(aiohttp.ConnectionTimeoutError("Connection timeout to host"))) is SourceUnavailable

    def test_connection_refused_reason_is_short(self):
        error = mapped(aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connect call failed")))
        assert error.message.endswith(
            "is unreachable: Connect call failed (is the source's `url` right, and Prometheus up and reachable from "
            "here?)"
        )

    def test_certificate_failure_says_why(self):
        failure = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        failure.verify_message = "unable to get local issuer certificate"
        error = mapped(aiohttp.ClientConnectorCertificateError(KEY, failure))
        assert error.message.endswith("TLS failed: unable to get local issuer certificate")

    @pytest.mark.parametrize("exc", [ConnectionResetError(104, "Connection reset by peer"), OSError(9, "Bad fd")])
    def test_os_errors_are_unavailable_with_the_reason(self, exc):
        error = mapped(exc)
        assert type(error) is SourceUnavailable
        assert exc.strerror in error.message

    @pytest.mark.parametrize("exc", [KeyError("data"), TypeError("x"), ValueError("x"), IndexError("x")])
    def test_our_own_bugs_are_not_blamed_on_the_source(self, exc):
        with pytest.raises(type(exc)), map_aiohttp_errors("default", "http://x"):
            raise exc

    @pytest.mark.parametrize(
        "exc", [KeyError("data"), TypeError("x"), ValueError("x"), IndexError("x"), OverflowError("x")]
    )
    def test_answer_of_the_wrong_shape_is_rejected(self, exc):
        with pytest.raises(SourceRejected, match="unexpected shape"), map_answer_shape_errors("default", "http://x"):
            raise exc

    def test_unknown_exceptions_are_not_swallowed(self):
        with pytest.raises(ZeroDivisionError), map_aiohttp_errors("default", "http://x"):
            raise ZeroDivisionError


# A native histogram sample as Prometheus' API writes it.
NATIVE_HISTOGRAM = {"count": "2", "sum": "0.3", "buckets": [[0, "0.1", "0.2", "2"]]}


class TestWrongAddressAnswers:
    """A 404, which no Prometheus query API answers, says what the source's url most likely has wrong."""

    WHERE = "Prometheus source 'default' (http://prometheus:9090/api/v1)"

    def test_not_found_points_at_the_base_address(self):
        with pytest.raises(SourceRejected) as raised:
            read_answer(self.WHERE, 404, b"404 page not found\n")
        assert raised.value.message == (
            f"{self.WHERE} rejected the query (HTTP 404: 404 page not found); no query API at this address: the "
            "source's url must be Prometheus' base address (such as http://prometheus:9090, with the "
            "--web.route-prefix if it has one), without /api/v1"
        )

    def test_a_query_prometheus_refuses_gets_no_hint(self):
        body = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}).encode()
        with pytest.raises(SourceRejected) as raised:
            read_answer(self.WHERE, 400, body)
        assert raised.value.message.endswith("rejected the query (HTTP 400 bad_data: parse error)")


class TestAnswerStatus:
    """The status decides how an answer reads: every 2xx carries a result, every 3xx is a redirect refused, a
    timeout is a timeout whatever status carries it."""

    WHERE = "Prometheus source 'default' (http://prometheus:9090)"
    SUCCESS = b'{"status": "success", "data": {"resultType": "vector", "result": []}}'

    @pytest.mark.parametrize("status", [200, 203, 299])
    def test_every_success_status_reads_the_result(self, status):
        assert read_answer(self.WHERE, status, self.SUCCESS)["data"]["result"] == []

    @pytest.mark.parametrize("status", [300, 302, 399])
    def test_every_redirect_is_refused(self, status):
        with pytest.raises(SourceRejected, match=rf"answered with a redirect \(HTTP {status}\)"):
            read_answer(self.WHERE, status, self.SUCCESS)

    def test_a_timeout_error_type_is_a_timeout(self):
        body = json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"}).encode()
        with pytest.raises(
            SourceTimeout, match=r"timed out evaluating the query \(HTTP 503 timeout: query timed out\)"
        ):
            read_answer(self.WHERE, 503, body)

    @pytest.mark.parametrize("named", [{"errorType": "timeout"}, {"error": "timeout"}])
    def test_a_success_status_naming_an_error_reads_as_that_error(self, named):
        # An error answer under a 2xx (a proxy rewriting the status) that names its error half: still that error,
        # not "no Prometheus answer".
        body = json.dumps({"status": "error", **named}).encode()
        with pytest.raises(SourceTimeout if "errorType" in named else SourceRejected, match=r"\(HTTP 200:? timeout\)"):
            read_answer(self.WHERE, 200, body)

    def test_a_gateway_timeout_without_json_is_a_timeout(self):
        with pytest.raises(SourceTimeout, match=r"\(HTTP 504: upstream timed out\)"):
            read_answer(self.WHERE, 504, b"upstream timed out")

    def test_another_gateway_failure_is_no_timeout(self):
        with pytest.raises(SourceUnavailable, match=r"is failing \(HTTP 505"):
            read_answer(self.WHERE, 505, b"version not supported")


class TestAnswerFailures:
    """A failing server is unavailable (sent again where the failure says it may pass), a query it could not run
    is rejected, and a request it never took (408) is sent again whatever `retry` says."""

    WHERE = "Prometheus source 'default' (http://prometheus:9090)"

    @pytest.mark.parametrize("status", [500, 501])
    def test_a_server_error_is_unavailable_and_not_sent_again(self, status):
        with pytest.raises(SourceUnavailable, match=rf"is failing \(HTTP {status}: boom\)"):
            read_answer(self.WHERE, status, b"boom")

    @pytest.mark.parametrize("status", [502, 503])
    def test_a_gateway_or_overload_error_may_be_sent_again(self, status):
        with pytest.raises(ResendableFailure) as raised:
            read_answer(self.WHERE, status, b"busy")
        assert isinstance(raised.value.error, SourceUnavailable) and raised.value.always is False

    def test_an_overload_asking_to_wait_is_unavailable_quoting_the_wait_and_not_sent_again(self):
        # Prometheus (or a proxy before it) said it is struggling and when to come back: sent again at once, the
        # query would add to the load it asked to be spared.
        with pytest.raises(SourceUnavailable) as raised:
            read_answer(self.WHERE, 503, b"overloaded", retry_after="7")
        assert type(raised.value) is SourceUnavailable
        assert raised.value.message == f"{self.WHERE} is failing (HTTP 503: overloaded; it asks to wait 7 s)"

    def test_a_timeout_asking_to_wait_quotes_the_wait(self):
        body = json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"}).encode()
        with pytest.raises(SourceTimeout) as raised:
            read_answer(self.WHERE, 503, body, retry_after="Fri, 04 Dec 2026 10:00:00 GMT")
        assert raised.value.message.endswith(
            "timed out evaluating the query (HTTP 503 timeout: query timed out; "
            "Retry-After 'Fri, 04 Dec 2026 10:00:00 GMT')"
        )

    def test_a_retry_after_echoing_the_token_is_hidden(self):
        # The quoted Retry-After was the one text of the answer not searched: a proxy echoing the request showed it.
        with pytest.raises(SourceUnavailable) as raised:
            read_answer(self.WHERE, 503, b"busy", ("tok-s3cr3t-0123",), (), retry_after="Bearer tok-s3cr3t-0123")
        assert raised.value.message == f"{self.WHERE} is failing (HTTP 503: busy; Retry-After 'Bearer <redacted>')"

    def test_credentials_an_error_quotes_that_the_request_did_not_carry_are_hidden(self):
        # A proxy or a misrouted url's service answers with what it holds: a remote store's URL, a Secret's manifest.
        error = 'remote_read: Post "https://reader:s3cr3t-1@thanos/api/v1/read": Authorization: Bearer s3cr3t-2x'
        body = json.dumps({"status": "error", "errorType": "internal", "error": error}).encode()
        with pytest.raises(SourceUnavailable) as raised:
            read_answer(self.WHERE, 500, body)
        assert raised.value.message == (
            f'{self.WHERE} is failing (HTTP 500 internal: remote_read: Post "https://<redacted>@thanos/api/v1/read": '
            "Authorization: Bearer <redacted>)"
        )
        with pytest.raises(SourceUnavailable) as raised:
            read_answer(self.WHERE, 501, b"kind: Secret\ndata:\n  username: czNjcjN0LTM=\n")
        assert (
            raised.value.message == f"{self.WHERE} is failing (HTTP 501: kind: Secret\ndata:\n  username: <redacted>)"
        )

    def test_the_quote_ends_after_a_hidden_value_its_cut_would_split(self):
        with pytest.raises(SourceUnavailable) as raised:
            read_answer(self.WHERE, 500, b"x" * 290 + b" //u:s3cr3t@host and more")
        assert raised.value.message == f"{self.WHERE} is failing (HTTP 500: {'x' * 290} //<redacted>)"

    def test_an_empty_retry_after_asks_for_no_wait(self):
        with pytest.raises(ResendableFailure):
            read_answer(self.WHERE, 503, b"busy", retry_after=" ")

    def test_an_execution_error_is_the_query_rejected(self):
        body = json.dumps({"status": "error", "errorType": "execution", "error": "too many samples"}).encode()
        with pytest.raises(SourceRejected, match=r"rejected the query \(HTTP 503 execution: too many samples\)"):
            read_answer(self.WHERE, 503, body)

    def test_a_request_timeout_is_sent_again_always(self):
        with pytest.raises(ResendableFailure) as raised:
            read_answer(self.WHERE, 408, b"")
        assert isinstance(raised.value.error, SourceRejected) and raised.value.always is True

    def test_a_conflict_is_rejected_once(self):
        with pytest.raises(SourceRejected, match=r"rejected the query \(HTTP 409"):
            read_answer(self.WHERE, 409, b"conflict")


class TestParseResult:
    """Answers of every result type become series with float values, NaN and Inf included."""

    def test_vector(self):
        result = parse_result(
            "q",
            {
                "resultType": "vector",
                "result": [{"metric": {"pod": "a"}, "value": [1.5, "NaN"]}, {"metric": {}, "value": [1.5, "+Inf"]}],
            },
        )
        assert result.result_type == "vector"
        assert [s.labels for s in result.series] == [{"pod": "a"}, {}]
        assert str(result.series[0].samples[0][1]) == "nan"
        assert result.series[1].samples[0][1] == float("inf")

    def test_scalar(self):
        result = parse_result("q", {"resultType": "scalar", "result": [1.5, "0.25"]})
        assert result.result_type == "scalar"
        assert result.series[0].samples == [(1.5, 0.25)]

    def test_matrix(self):
        result = parse_result(
            "q", {"resultType": "matrix", "result": [{"metric": {"__name__": "x"}, "values": [[1, "1"], [2, "2"]]}]}
        )
        assert result.result_type == "matrix"
        assert result.series[0].samples == [(1.0, 1.0), (2.0, 2.0)]
        assert result.series[0].describe() == "x"

    def test_a_label_value_that_is_no_string_is_refused(self):
        # Prometheus writes every label value as a string: another JSON value is no Prometheus answer, and as
        # Python text `true` would read `True`, `null` `None`.
        for value, shown in [(500, "the number 500"), (True, "true"), (None, "null"), ({"a": "b"}, "an object")]:
            with pytest.raises(TypeError, match=rf"label 'code' of a series is {shown}, not a string"):
                parse_result("q", {"resultType": "vector", "result": [{"metric": {"code": value}, "value": [1, "1"]}]})

    def test_a_label_value_is_quoted_as_promql_quotes_it(self):
        # A quote in a value cannot close the string and read as the reason's own words.
        labels = {"pod": 'x"} 0.001 meets pass_if', "path": "C:\\tmp", "note": "two\nlines"}
        described = Series(labels, []).describe()
        assert described == '{note="two\\nlines", path="C:\\\\tmp", pod="x\\"} 0.001 meets pass_if"}'

    def test_empty_matrix_stays_a_matrix(self):
        assert parse_result("q", {"resultType": "matrix", "result": []}).result_type == "matrix"

    def test_a_label_set_repeated_is_refused(self):
        one = {"metric": {"__name__": "x", "pod": "a"}, "value": [1, "1"]}
        other = {"metric": {"__name__": "x", "pod": "b"}, "value": [1, "1"]}
        assert len(parse_result("q", {"resultType": "vector", "result": [one, other]}).series) == 2
        with pytest.raises(ValueError, match=r'series x\{pod="a"\} is in the answer twice'):
            parse_result("q", {"resultType": "vector", "result": [one, other, {**one, "value": [1, "2"]}]})

    def test_the_series_named_is_the_one_repeated(self):
        one = {"metric": {"__name__": "x", "pod": "a"}, "value": [1, "1"]}
        other = {"metric": {"__name__": "x", "pod": "b"}, "value": [1, "1"]}
        with pytest.raises(ValueError, match=r'series x\{pod="a"\} is in the answer twice'):
            parse_result("q", {"resultType": "vector", "result": [other, one, one]})
        # Series that differ by their name alone (`{__name__=~"x|y"}`) are two: the name is one of the labels.
        renamed = {"metric": {"__name__": "y", "pod": "a"}, "value": [1, "1"]}
        assert len(parse_result("q", {"resultType": "vector", "result": [one, renamed]}).series) == 2

    def test_string_cannot_be_judged(self):
        with pytest.raises(ValueError, match="'string'"):
            parse_result("q", {"resultType": "string", "result": [1.5, "up"]})

    @pytest.mark.parametrize(
        "data",
        [
            {"resultType": "vector", "result": [{"metric": {"pod": "a"}, "histogram": [1, NATIVE_HISTOGRAM]}]},
            # A series that was a native histogram for part of the range: its float samples are not the window.
            {
                "resultType": "matrix",
                "result": [{"metric": {"pod": "a"}, "values": [[2, "0.5"]], "histograms": [[1, NATIVE_HISTOGRAM]]}],
            },
            {"resultType": "matrix", "result": [{"metric": {"pod": "a"}, "histograms": [[1, NATIVE_HISTOGRAM]]}]},
        ],
    )
    def test_native_histograms_are_a_misconfigured_check(self, data):
        # Prometheus' own answer to a query selecting native histograms, no bad upstream answer (502).
        with pytest.raises(
            CheckMisconfigured, match=r'series \{pod="a"\} holds native histogram samples.*histogram_quantile'
        ):
            parse_result("q", data)

    @pytest.mark.parametrize(
        "data",
        [
            {"x": 1},
            {"resultType": "vector", "result": [{"nometric": 1}]},
            {"resultType": "scalar", "result": [1.5, "hello"]},
            {"resultType": "vector", "result": [{"metric": {}, "value": []}]},
            {"resultType": "vector", "result": {"metric": {}}},
            {"resultType": "vector", "result": [{"metric": ["pod", "a"], "value": [1, "1"]}]},
            {"resultType": "matrix", "result": [{"metric": "x", "values": [[1, "1"]]}]},
            {"resultType": "matrix", "result": [{"metric": {}, "value": [1, "1"]}]},
            {"resultType": "histogram", "result": []},
            [1.5, "0.25"],
        ],
    )
    def test_bad_shape_raises(self, data):
        with pytest.raises((KeyError, ValueError, TypeError)):
            parse_result("q", data)


def answer_of(result_type, sample):
    """The data of an answer whose one series (or scalar) holds `sample` as its sample."""
    if result_type == "scalar":
        return {"resultType": "scalar", "result": sample}
    if result_type == "vector":
        return {"resultType": "vector", "result": [{"metric": {"pod": "a"}, "value": sample}]}
    return {"resultType": "matrix", "result": [{"metric": {"pod": "a"}, "values": [[1, "0.5"], sample]}]}


class TestSampleTypes:
    """A sample is [time, value] as Prometheus writes it, the time a JSON number and the value a JSON string ("0.5",
    "NaN", "+Inf"); any other JSON (a body that is no Prometheus answer) is refused, naming what it holds."""

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            (True, "true"),
            (False, "false"),
            (None, "null"),
            (1, "the number 1"),
            (0.5, "the number 0.5"),
            ([1], "an array"),
            ({"v": "1"}, "an object"),
        ],
    )
    def test_a_value_that_is_no_string_is_refused(self, result_type, value, shown):
        with pytest.raises(TypeError, match=rf"sample value is {shown}, not a string"):
            parse_result("q", answer_of(result_type, [2, value]))

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize(
        ("at", "shown"), [("2", "the string '2'"), (True, "true"), (None, "null"), ([2], "an array")]
    )
    def test_a_time_that_is_no_number_is_refused(self, result_type, at, shown):
        with pytest.raises(TypeError, match=rf"sample time is {shown}, not a number"):
            parse_result("q", answer_of(result_type, [at, "1"]))

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize("at", [math.nan, math.inf, -math.inf])
    def test_a_time_that_is_not_finite_is_refused(self, result_type, at):
        # A NaN time never reads as a series that stopped reporting.
        with pytest.raises(ValueError, match="sample time is not a finite number"):
            parse_result("q", answer_of(result_type, [at, "1"]))

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    def test_a_sample_written_as_one_string_is_no_pair(self, result_type):
        # "42" would unpack as the time "4" and the value "2".
        with pytest.raises(TypeError, match=r"its sample is the string '42', not a \[time, value\] array"):
            parse_result("q", answer_of(result_type, "42"))

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    @pytest.mark.parametrize("sample", [[1], [1, "1", "2"], []])
    def test_a_sample_that_is_no_pair_is_refused(self, result_type, sample):
        with pytest.raises(ValueError, match=r"sample .*is no \[time, value\] pair"):
            parse_result("q", answer_of(result_type, sample))

    @pytest.mark.parametrize("result_type", ["scalar", "vector", "matrix"])
    def test_values_as_prometheus_writes_them_read(self, result_type):
        for text, value in [("0.5", 0.5), ("NaN", math.nan), ("+Inf", math.inf), ("-Inf", -math.inf), ("1e-7", 1e-7)]:
            read = parse_result("q", answer_of(result_type, [1700000000.123, text])).series[0].samples[-1]
            assert read[0] == 1700000000.123
            assert read[1] == value or (math.isnan(value) and math.isnan(read[1]))

    def test_the_series_is_named(self):
        with pytest.raises(TypeError, match=r'series \{pod="a"\}: its sample value is true'):
            parse_result("q", answer_of("matrix", [2, True]))

    @pytest.mark.parametrize(
        ("data", "said"),
        [
            ({"resultType": "vector", "result": [{"metric": {}, "values": [[1, "1"]]}]}, "a vector's series {} has no"),
            ({"resultType": "matrix", "result": [{"metric": {}, "value": [1, "1"]}]}, "a matrix's series {} has no"),
            (
                {"resultType": "scalar", "result": [{"metric": {}, "value": [1, "1"]}]},
                "the scalar: a sample [{'metric'",
            ),
        ],
    )
    def test_a_result_that_is_not_its_result_type_is_named(self, data, said):
        with pytest.raises((KeyError, TypeError, ValueError), match=re.escape(said)):
            parse_result("q", data)


class TestDescribe:
    """A series is named in reasons as PromQL shows it, each label name and value clipped."""

    @pytest.mark.parametrize(
        ("labels", "text"),
        [
            ({"__name__": "up", "pod": "a", "job": "b"}, 'up{job="b", pod="a"}'),
            ({"pod": "a"}, '{pod="a"}'),
            ({"__name__": "up"}, "up"),
            ({}, "{}"),
        ],
    )
    def test_name_and_labels(self, labels, text):
        assert Series(labels, []).describe() == text

    def test_a_long_label_name_and_value_are_clipped(self):
        long = "v" * (DESCRIBED_LABEL_CHARS + 1)
        text = Series({"__name__": long, long: long}, []).describe()
        clipped = "v" * (DESCRIBED_LABEL_CHARS - 3) + "..."
        assert text == f'{clipped}{{{clipped}="{clipped}"}}'


class TestShownLabels:
    """A label value holding a URL is shown without its user info and its secret-named parameters' values."""

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            # User info alone, no parameter: a probe of `https://user:password@host/`.
            ("https://probe:pr0be-pw@partner.example/health", "https://<redacted>@partner.example/health"),
            ("https://partner.example/?api_key=k3y&region=eu", "https://partner.example/?api_key=<redacted>&region=eu"),
            ("checkout", "checkout"),
        ],
    )
    def test_shown(self, value, shown):
        series = Series({"__name__": "probe_success", "instance": value}, [])
        assert series.shown_labels() == {"__name__": "probe_success", "instance": shown}
        assert series.describe() == f'probe_success{{instance="{shown}"}}'
        assert series.labels["instance"] == value


class TestSingleValue:
    """An instant answer's one value; a range vector has none, whatever its last sample says."""

    def test_one_series(self):
        result = parse_result("q", {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]})
        assert result.single_value("errors query") == 0.5

    def test_no_series(self):
        assert parse_result("q", {"resultType": "vector", "result": []}).single_value("errors query") is None

    def test_range_vector_is_misconfigured(self):
        # The last raw sample of `errors[10m]` says nothing of the other ten minutes.
        result = parse_result("q", {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "9"], [2, "0"]]}]})
        with pytest.raises(CheckMisconfigured, match="the errors query returned a range vector"):
            result.single_value("errors query")


class TestConfig:
    """Source configs take http(s) base URLs only and hide header values when shown."""

    @pytest.mark.parametrize(
        "url",
        [
            "prometheus:9090",
            "ftp://x",
            "http://",
            "http://a b",
            "http://x?q=1",
            "http://x:99999",
            "http://x:port",
            "http://x:0",
        ],
    )
    def test_bad_urls(self, url):
        with pytest.raises(ValueError, match="not an http"):
            PrometheusSourceConfig(url=url)

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("http://admin:s3cret@prometheus:9090?x=1", "'http://<redacted>@prometheus:9090?<redacted>'"),
            ("https://prometheus:9090/api?access_token=s3cret", "'https://prometheus:9090/api?<redacted>'"),
            ("http://admin:s3cret@prometheus:0", "'http://<redacted>@prometheus:0'"),
            ("http://admin:s3cret@prom etheus", "'http://<redacted>@prom etheus'"),
            ("admin:s3cret@prometheus:9090", "'<redacted>@prometheus:9090'"),
            ("http://prometheus:9090/#s3cret", "'http://prometheus:9090/#<redacted>'"),
        ],
    )
    def test_a_bad_url_is_quoted_without_its_credentials(self, url, shown):
        # The message goes to the log, /readyz and validate's output (the catalog quotes pydantic's msg, not the
        # input): user info and a query are where credentials stand in a URL.
        with pytest.raises(ValidationError, match="not an http") as raised:
            PrometheusSourceConfig(url=url)
        message = raised.value.errors()[0]["msg"]
        assert "s3cret" not in message
        assert f"{shown} is not an http(s) base URL" in message

    @pytest.mark.parametrize(
        ("url", "said"),
        [
            ("prometheus.monitoring.svc:9090", ": it has no scheme; write http://prometheus.monitoring.svc:9090"),
            ("localhost:9090/prometheus", ": it has no scheme; write http://localhost:9090/prometheus"),
            # A scheme without its `://` whole: before, "it has no scheme; write http://https//prometheus:9090".
            ("https//prometheus:9090", ": its scheme is written without ://; write https://prometheus:9090"),
            ("http:/prometheus:9090/", ": its scheme is written without ://; write http://prometheus:9090/"),
            ("HTTPS:prometheus:9090", ": its scheme is written without ://; write https://prometheus:9090"),
            # Before: "write http://prometheus:9090/api/v1/query", refused again for its path.
            (
                "prometheus:9090/api/v1/query",
                ": it has no scheme; write http://prometheus:9090 (the source adds /api/v1/query itself)",
            ),
            # Not offered where the URL with a scheme is no base URL either, nor shown with its credentials.
            ("localhost:0", " such as http://prometheus:9090"),
            ("localhost:9090?x=1", " such as http://prometheus:9090"),
            ("admin:s3cret@prometheus:9090", " such as http://prometheus:9090"),
            ("ftp://prometheus:9090", " such as http://prometheus:9090"),
            # Empty: an unset variable, as `--prometheus "$PROMETHEUS"` before `source .demo/env` gives.
            ("", " (an unset variable?): give one such as http://prometheus:9090"),
            (" ", " (an unset variable?): give one such as http://prometheus:9090"),
        ],
    )
    def test_a_url_without_its_scheme_names_the_url_to_write(self, url, said):
        # Before: "... is not an http(s) base URL such as http://prometheus:9090" for `localhost:9090` too.
        with pytest.raises(ValidationError) as raised:
            PrometheusSourceConfig(url=url)
        assert raised.value.errors()[0]["msg"].endswith(f"is not an http(s) base URL{said}")

    @pytest.mark.parametrize(
        ("url", "variable"),
        [
            # Before: loaded, and every evaluation an error (`${PROM_HOST}` sent as the host): validate said ok.
            ("http://${PROM_HOST}:9090", "${PROM_HOST}"),
            # Before: "it has no scheme; write http://${PROMETHEUS_URL}", advice that loads and never works.
            ("${PROMETHEUS_URL}", "${PROMETHEUS_URL}"),
            ("$(PROM_URL)", "$(PROM_URL)"),
            ("{{ .Values.prometheus.url }}", "{{ .Values.prometheus.url }}"),
        ],
    )
    def test_a_variable_left_in_the_url_is_named(self, url, variable):
        with pytest.raises(ValidationError) as raised:
            PrometheusSourceConfig(url=url)
        assert raised.value.errors()[0]["msg"].endswith(
            f"is not an http(s) base URL: it holds {variable}, a variable, which the analyzer never expands (it "
            "would send it as written): give the address itself, such as http://prometheus:9090, or fill it in first "
            "(Helm, envsubst, a shell's double quotes)"
        )

    def test_a_dollar_a_proxy_path_holds_is_written_percent_encoded(self):
        # `$NAME` in a path may be the path's own: before, the refusal named no way to write it.
        with pytest.raises(ValidationError) as raised:
            PrometheusSourceConfig(url="http://proxy:8080/prom$tenant")
        assert raised.value.errors()[0]["msg"].endswith(
            "(Helm, envsubst, a shell's double quotes); a `$` that is part of the path is written %24"
        )
        assert PrometheusSourceConfig(url="http://proxy:8080/prom%24tenant").url == "http://proxy:8080/prom%24tenant"

    @pytest.mark.parametrize(
        "url",
        [
            "http://${PROM_HOST}:9090",
            "http://$PROM_HOST:9090",
            "$(PROM_URL)",
            "{{ .Values.url }}",
            "$PROM_URL",
            "http://prometheus:9090/${PREFIX}",
            "http://prometheus:9090/{{ .Values.prefix }}",
        ],
    )
    def test_a_variable_that_is_no_path_gets_no_percent_encoding_hint(self, url):
        with pytest.raises(ValidationError) as raised:
            PrometheusSourceConfig(url=url)
        assert "%24" not in raised.value.errors()[0]["msg"]

    def test_trailing_slash_removed(self):
        assert PrometheusSourceConfig(url="https://thanos.example/prefix/").url == "https://thanos.example/prefix"

    @pytest.mark.parametrize(
        ("url", "base"),
        [
            ("http://prometheus:9090/api/v1", "http://prometheus:9090"),
            ("http://prometheus:9090/api/v1/", "http://prometheus:9090"),
            ("http://prometheus:9090/api/v1/query", "http://prometheus:9090"),
            ("https://mimir.example/prometheus/API/v1/query_range", "https://mimir.example/prometheus"),
        ],
    )
    def test_the_query_api_path_is_refused_naming_the_base(self, url, base):
        # The source adds /api/v1/query itself: such a url fails every query with a 404, and validate passed it.
        with pytest.raises(ValueError, match="the source adds /api/v1/query itself") as raised:
            PrometheusSourceConfig(url=url)
        assert f"write {base}" in str(raised.value)

    @pytest.mark.parametrize("url", ["http://thanos:9090/api", "http://prom/v1", "http://gw/api/v1beta"])
    def test_other_paths_are_a_prefix(self, url):
        assert PrometheusSourceConfig(url=url).url == url

    def test_missing_ca_file_is_refused_at_load(self, tmp_path):
        with pytest.raises(ValueError, match=r"ca_file '.*missing.pem' cannot be read: No such file"):
            PrometheusSourceConfig(url="https://x", ca_file=tmp_path / "missing.pem")

    def test_readable_ca_file_and_absent_token_file_load(self, tmp_path):
        # A token Secret may be mounted after the catalog loads: it is read at query time only.
        (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
        config = PrometheusSourceConfig(
            url="https://x", ca_file=tmp_path / "ca.pem", bearer_token_file=tmp_path / "not-yet"
        )
        assert config.ca_file == tmp_path / "ca.pem"

    def test_redacted(self):
        config = PrometheusSourceConfig(url="http://x", headers={"X-Scope-OrgID": "tenant", "Authorization": "s3cret"})
        assert "s3cret" not in json.dumps(config.redacted())


class TestCredentialsStayOutOfUrls:
    """A source URL with user info is refused: URLs are shown in reasons, logs and definitions."""

    @pytest.mark.parametrize("url", ["http://admin:hunter2@prom:9090", "https://token@thanos.example/prefix"])
    def test_user_info_refused(self, url):
        with pytest.raises(ValueError, match="user info"):
            PrometheusSourceConfig(url=url)

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("https://admin:S3cr$tPass@prom:9090", "https://<redacted>@prom:9090"),
            ("https://admin:pa${ss}word@prom:9090", "https://<redacted>@prom:9090"),
            ("http://u:x$(pw)y@h:9090", "http://<redacted>@h:9090"),
        ],
    )
    def test_a_dollar_in_a_password_is_not_quoted_as_a_variable(self, url, shown):
        # Before: "it holds $tPass, a variable, which the analyzer never expands": the password's end quoted in the
        # log, /readyz and validate's output (and `--prometheus`'s refusal), with advice to fill in no variable.
        with pytest.raises(ValidationError) as raised:
            PrometheusSourceConfig(url=url)
        assert raised.value.errors()[0]["msg"] == (
            "Value error, the url carries user info (user:password@host); put credentials in `headers` or "
            "`bearer_token_file`"
        )
        assert base_url_refusal(url, "http://127.0.0.1:9090") == (
            f"'{shown}' is not an http(s) base URL such as http://127.0.0.1:9090"
        )

    def test_a_variable_after_the_user_info_is_named(self):
        refusal = base_url_refusal("http://admin:s3cret@${PROM_HOST}:9090", "http://127.0.0.1:9090")
        assert "it holds ${PROM_HOST}, a variable" in refusal
        assert "s3cret" not in refusal

    def test_at_sign_in_the_path_is_fine(self):
        assert PrometheusSourceConfig(url="http://prom:9090/tenant@a").url == "http://prom:9090/tenant@a"


class TestMadeWithoutInit:
    """`made_series` and `made_result` build the very objects their classes' constructors build."""

    def test_series(self):
        made, built = made_series({"a": "b"}, [(1.0, 2.0)]), Series({"a": "b"}, [(1.0, 2.0)])
        assert type(made) is Series
        assert made == built
        assert vars(made) == vars(built)
        assert list(vars(made)) == [f.name for f in fields(Series)]

    def test_query_result(self):
        series = [Series({}, [(1.0, 2.0)])]
        made = made_result("q", "vector", series, ["w"], ["i"])
        built = QueryResult("q", "vector", series, ["w"], ["i"])
        assert type(made) is QueryResult
        assert made == built
        assert vars(made) == vars(built)
        assert list(vars(made)) == [f.name for f in fields(QueryResult)]
        assert made.single_value("q") == 2.0

    def test_still_frozen(self):
        with pytest.raises(FrozenInstanceError):
            made_series({}, []).labels = {}  # type: ignore[misc]


class TestAnswerJSON:
    """An answer reads as json.loads reads it, also where the faster parser tried first refuses it."""

    WHERE = "Prometheus source 'default' (http://prometheus:9090)"
    ANSWER = (
        '{"status": "success", "data": {"resultType": "vector", '
        '"result": [{"metric": {"job": "\\u00e9"}, "value": [1, "NaN"]}]}}'
    )

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
    def test_every_encoding_json_allows(self, encoding):
        payload = read_answer(self.WHERE, 200, self.ANSWER.encode(encoding))
        assert payload["data"]["result"][0]["metric"] == {"job": "é"}

    def test_lone_surrogate_escape(self):
        payload = read_answer(self.WHERE, 200, self.ANSWER.replace("\\u00e9", "\\ud800").encode())
        assert payload["data"]["result"][0]["metric"] == {"job": "\ud800"}

    def test_nesting_deeper_than_the_fast_parser_reads(self):
        deep = "[" * 300 + "]" * 300
        body = self.ANSWER.replace('"job"', f'"deep": {deep}, "job"').encode()
        assert read_answer(self.WHERE, 200, body)["data"]["result"][0]["metric"]["job"] == "é"

    def test_non_finite_numbers_and_duplicate_keys(self):
        body = b'{"status": "success", "data": {"a": NaN, "b": -Infinity, "c": 1, "c": 2}}'
        data = read_answer(self.WHERE, 200, body)["data"]
        assert math.isnan(data["a"]) and data["b"] == -math.inf and data["c"] == 2

    @pytest.mark.parametrize(
        "body", [b'{"status": "success"} x', b'{"status": "success", "data": +Infinity}', b"\xff{}"]
    )
    def test_what_neither_reads_is_no_json(self, body):
        with pytest.raises(SourceRejected, match="not a JSON object"):
            read_answer(self.WHERE, 200, body)


class TestHeaderSecrets:
    """A credential form shorter than a value hidden anywhere (a Basic password decoded) is hidden where it stands
    apart, as every short secret is: inside other words it would blank them and tell itself by what is left."""

    def test_a_short_basic_password(self):
        basic = "Basic " + base64.b64encode(b"prom:prom").decode()
        secrets, words = header_secrets({"Authorization": basic})
        shown = quoted(f"the prometheus proxy refused {basic} (user prom:prom, password prom)", secrets, words)
        assert shown == "the prometheus proxy refused <redacted> (user <redacted>, password <redacted>)"

    def test_a_value_a_form_or_a_member_names_secret(self):
        # Read as http_smoke reads a body (`_masked`, imported when an error is first quoted): a debug page's form
        # field and a JSON member naming its secret, which no credential pattern alone sees.
        shown = quoted(
            '<input name="password" value="hunter2hunter2"> {"name": "api_key", "value": "abcd1234"}', (), ()
        )
        assert shown == '<input name="password" value="<redacted>"> {"name": "api_key", "value": "<redacted>"}'


class TestDefaultContextsAtImport:
    """aiohttp's default TLS contexts, which no source verifies with, read no CA file when the analyzer imports
    aiohttp and SSL_CERT_FILE names none, and the environment is as it was after."""

    @staticmethod
    def imported(ssl_cert_file: str | None) -> list[str]:
        # A fresh interpreter: aiohttp builds its default contexts once, when it is first imported.
        env = {name: value for name, value in os.environ.items() if name != "SSL_CERT_FILE"}
        if ssl_cert_file is not None:
            env["SSL_CERT_FILE"] = ssl_cert_file
        script = (
            "import os\n"
            "import analyzer.sources\n"
            "from aiohttp import connector\n"
            "print(connector._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509_ca'])\n"
            "print(connector._SSL_CONTEXT_UNVERIFIED.cert_store_stats()['x509_ca'])\n"
            "print(os.environ.get('SSL_CERT_FILE'))\n"
        )
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
        return ran.stdout.splitlines()

    def test_a_bundle_named_by_ssl_cert_file_stays_named(self):
        # certifi's bundle: one that surely holds CAs on any machine. Named, it is what the process trusts.
        assert self.imported(certifi.where())[2:] == [certifi.where()]

    def test_aiohttp_used_beside_the_analyzer_trusts_the_bundle_ssl_cert_file_names(self, tmp_path):
        # A plugin's own aiohttp request with its default verification, in a Job whose SSL_CERT_FILE names the CA
        # of its server (a company's CA, which OpenSSL's default directory does not hold): it verified before the
        # analyzer imported aiohttp with the file pointed at nothing, and verifies still.
        authority = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server_context)
        authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        (tmp_path / "no-certs").mkdir()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        server.socket = server_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {**os.environ, "SSL_CERT_FILE": str(tmp_path / "ca.pem"), "SSL_CERT_DIR": str(tmp_path / "no-certs")}
        script = (
            "import asyncio\n"
            "import analyzer.sources.prometheus\n"
            "import aiohttp\n"
            "async def main():\n"
            "    async with aiohttp.ClientSession() as session:\n"
            f"        async with session.get('https://127.0.0.1:{server.server_address[1]}/') as answer:\n"
            "            print(answer.status)\n"
            "asyncio.run(main())\n"
        )
        try:
            ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
        finally:
            server.shutdown()
            server.server_close()
        assert ran.stdout.split() == ["501"], ran.stderr[-500:]

    def test_an_unset_ssl_cert_file_stays_unset(self):
        assert self.imported(None) == ["0", "0", "None"]

    def test_the_default_file_is_read_where_the_default_directory_is_no_hashed_store(self, tmp_path):
        # Fedora's and RHEL's directory holds no certificate by its hash: without the default file, a plugin's own
        # aiohttp request verified by default would trust nothing. An empty SSL_CERT_DIR stands for it.
        (tmp_path / "ca-bundle.crt").write_text("")
        env = {name: value for name, value in os.environ.items() if name != "SSL_CERT_FILE"}
        env["SSL_CERT_DIR"] = str(tmp_path)
        script = (
            "import ssl\n"
            "import analyzer.sources\n"
            "from aiohttp import connector\n"
            "print(connector._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509_ca'])\n"
            "print(ssl.create_default_context().cert_store_stats()['x509_ca'])\n"
        )
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
        with_analyzer, plain = ran.stdout.split()
        if plain == "0":
            pytest.skip("OpenSSL's default CA file holds no CA on this machine")
        assert with_analyzer == plain

    def test_the_environment_is_not_touched_once_aiohttp_is_imported(self):
        # `analyzer serve` (and a program using the analyzer as a library) imported aiohttp first: its contexts are
        # built, and setting SSL_CERT_FILE, even for a moment, would only show another thread or a child process
        # started meanwhile a file that does not exist.
        script = (
            "import os, aiohttp\n"
            "written = []\n"
            "class Watched(type(os.environ)):\n"
            "    def __setitem__(self, key, value):\n"
            "        written.append(key)\n"
            "        super().__setitem__(key, value)\n"
            "    def __delitem__(self, key):\n"
            "        written.append(key)\n"
            "        super().__delitem__(key)\n"
            "os.environ.__class__ = Watched\n"
            "import analyzer.sources.prometheus\n"
            "print(written)\n"
        )
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        assert ran.stdout.splitlines() == ["[]"]
