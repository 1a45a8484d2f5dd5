import inspect
import json

import pytest
import requests
from prometheus_api_client.exceptions import PrometheusApiClientException

from analyzer.errors import CheckError, SourceRejected, SourceTimeout, SourceUnavailable
from analyzer.sources.prometheus import (
    PrometheusSourceConfig,
    map_answer_shape_errors,
    map_requests_errors,
    parse_result,
)


def _requests_exceptions():
    return [cls for _, cls in inspect.getmembers(requests.exceptions, inspect.isclass)
            if issubclass(cls, requests.exceptions.RequestException)]


def mapped(exc):
    with pytest.raises(CheckError) as caught, map_requests_errors("default", "http://127.0.0.1:9"):
        raise exc
    return caught.value


class TestErrorMapping:
    """Every foreign exception from requests and prometheus-api-client becomes one of ours, once."""

    @pytest.mark.parametrize("cls", _requests_exceptions(), ids=lambda c: c.__name__)
    def test_every_requests_exception_is_mapped(self, cls):
        args = ("boom", "<html>", 0) if issubclass(cls, json.JSONDecodeError) else ("boom",)
        error = mapped(cls(*args))
        assert isinstance(error, SourceUnavailable | SourceRejected)
        assert "'default'" in error.message

    def test_read_timeout_is_a_timeout(self):
        assert isinstance(mapped(requests.exceptions.ReadTimeout("slow")), SourceTimeout)

    def test_connect_timeout_is_unavailable_not_timeout(self):
        error = mapped(requests.exceptions.ConnectTimeout("no route"))
        assert type(error) is SourceUnavailable

    def test_connection_refused_reason_is_short(self):
        error = mapped(requests.exceptions.ConnectionError(
            "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded (Caused by NewConnectionError("
            "'<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: "
            "[Errno 111] Connection refused'))"))
        assert error.message.endswith("is unreachable: Connection refused")

    @pytest.mark.parametrize(("status", "body", "expected", "text"), [
        (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 5"}, SourceRejected,
         "bad_data: parse error at char 5"),
        (422, {"status": "error", "errorType": "execution", "error": "many-to-many matching"}, SourceRejected,
         "execution: many-to-many"),
        (503, {"status": "error", "errorType": "timeout", "error": "query timed out"}, SourceTimeout, "timed out"),
        (503, {"status": "error", "errorType": "unavailable", "error": "overloaded"}, SourceUnavailable, "failing"),
        (500, "<html>oops</html>", SourceUnavailable, "HTTP 500"),
        (401, "Unauthorized", SourceRejected, "HTTP 401"),
    ])
    def test_http_status(self, status, body, expected, text):
        content = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
        error = mapped(PrometheusApiClientException(f"HTTP Status Code {status} ({content!r})"))
        assert type(error) is expected
        assert text in error.message

    def test_body_that_is_not_json_is_a_rejected_answer(self):
        assert isinstance(mapped(json.JSONDecodeError("Expecting value", "<", 0)), SourceRejected)

    @pytest.mark.parametrize("exc", [FileNotFoundError(2, "No such file or directory"), PermissionError(13, "denied")])
    def test_os_errors_are_unavailable_with_the_reason(self, exc):
        # requests reads ca_file when it connects: a bundle removed after load raised a bare OSError.
        error = mapped(exc)
        assert type(error) is SourceUnavailable
        assert exc.strerror in error.message

    @pytest.mark.parametrize("exc", [KeyError("data"), TypeError("x"), ValueError("x"), IndexError("x")])
    def test_our_own_bugs_are_not_blamed_on_the_source(self, exc):
        with pytest.raises(type(exc)), map_requests_errors("default", "http://x"):
            raise exc

    @pytest.mark.parametrize("exc", [KeyError("data"), TypeError("x"), ValueError("x"), IndexError("x")])
    def test_answer_of_the_wrong_shape_is_rejected(self, exc):
        with pytest.raises(SourceRejected, match="unexpected shape"), map_answer_shape_errors("default", "http://x"):
            raise exc

    def test_unknown_exceptions_are_not_swallowed(self):
        with pytest.raises(ZeroDivisionError), map_requests_errors("default", "http://x"):
            raise ZeroDivisionError


class TestParseResult:
    """Answers of every result type become series with float values, NaN and Inf included."""

    def test_vector(self):
        result = parse_result("q", [{"metric": {"pod": "a"}, "value": [1.5, "NaN"]},
                                    {"metric": {}, "value": [1.5, "+Inf"]}])
        assert result.result_type == "vector"
        assert [s.labels for s in result.series] == [{"pod": "a"}, {}]
        assert str(result.series[0].samples[0][1]) == "nan"
        assert result.series[1].samples[0][1] == float("inf")

    def test_scalar(self):
        result = parse_result("q", [1.5, "0.25"])
        assert result.result_type == "scalar"
        assert result.series[0].samples == [(1.5, 0.25)]

    def test_matrix(self):
        result = parse_result("q", [{"metric": {"__name__": "x"}, "values": [[1, "1"], [2, "2"]]}])
        assert result.result_type == "matrix"
        assert result.series[0].samples == [(1.0, 1.0), (2.0, 2.0)]
        assert result.series[0].describe() == "x"

    @pytest.mark.parametrize("data", [{"x": 1}, [{"nometric": 1}], [1.5, "hello"], [{"metric": {}, "value": []}]])
    def test_bad_shape_raises(self, data):
        with pytest.raises((KeyError, ValueError, TypeError)):
            parse_result("q", data)


class TestConfig:
    """Source configs take http(s) base URLs only and hide header values when shown."""

    @pytest.mark.parametrize("url", ["prometheus:9090", "ftp://x", "http://", "http://a b", "http://x?q=1",
                                     "http://x:99999", "http://x:port", "http://x:0"])
    def test_bad_urls(self, url):
        with pytest.raises(ValueError, match="not an http"):
            PrometheusSourceConfig(url=url)

    def test_trailing_slash_removed(self):
        assert PrometheusSourceConfig(url="https://thanos.example/prefix/").url == "https://thanos.example/prefix"

    def test_missing_ca_file_is_refused_at_load(self, tmp_path):
        with pytest.raises(ValueError, match=r"ca_file '.*missing.pem' cannot be read: No such file"):
            PrometheusSourceConfig(url="https://x", ca_file=tmp_path / "missing.pem")

    def test_readable_ca_file_and_absent_token_file_load(self, tmp_path):
        # A token Secret may be mounted after the catalog loads: it is read at query time only.
        (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
        config = PrometheusSourceConfig(url="https://x", ca_file=tmp_path / "ca.pem",
                                        bearer_token_file=tmp_path / "not-yet")
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

    def test_at_sign_in_the_path_is_fine(self):
        assert PrometheusSourceConfig(url="http://prom:9090/tenant@a").url == "http://prom:9090/tenant@a"
