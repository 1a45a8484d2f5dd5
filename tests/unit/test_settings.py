"""Tests of analyzer.settings: environment variables, validation errors, and the docs' settings page."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.settings import Settings, unknown_variables

SETTINGS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


class TestFromEnv:
    """ANALYZER_* variables set fields; bad values name the variable and the flag."""

    def test_variables_and_overrides(self):
        settings = Settings.from_env(
            {"ANALYZER_MAX_CONCURRENT_EVALUATIONS": "3", "ANALYZER_AUTH_TOKENS": "/t", "ANALYZER_PORT": "1"}, port=9000
        )
        assert (settings.max_concurrent_evaluations, str(settings.auth_tokens), settings.port) == (3, "/t", 9000)

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("ANALYZER_MAX_CONCURRENT_EVALUATIONS", "0"),
            ("ANALYZER_BODY_READ_TIMEOUT_S", "-1"),
            ("ANALYZER_HISTORY_SIZE", "lots"),
            # No time at all to take an answer: every answer larger than the sockets' buffers would be cut.
            ("ANALYZER_SEND_TIMEOUT_S", "0"),
        ],
    )
    def test_invalid_values_name_the_variable(self, name, value):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})

    @pytest.mark.parametrize(
        ("name", "effect"),
        [("ANALYZER_AUTH_TOKENS", "which would turn auth off"), ("ANALYZER_AUTH_ALLOW", "every token use every check")],
    )
    def test_an_auth_variable_set_but_empty_is_refused(self, name, effect):
        # Before: read as unset, so a token path left empty (a Helm value not filled in) served with no auth at all.
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_AUTH_TOKENS": "/t", name: ""}, serving=True)
        (problem,) = caught.value.problems
        assert problem.startswith(f"{name} is set but empty, ") and effect in problem

    def test_an_auth_variable_set_but_empty_is_no_concern_of_a_job(self):
        # `analyzer run` reads no auth setting: an env block shared with the Deployment must not fail the Job.
        assert Settings.from_env({"ANALYZER_AUTH_TOKENS": "", "ANALYZER_AUTH_ALLOW": ""}).auth_tokens is None

    @pytest.mark.parametrize("written", ["0", "00", " 0 ", "+0", "0.0", "-0.0"])
    def test_port_0_from_the_environment_is_refused_to_serve(self, written):
        # "0.0" too: pydantic reads it as the int 0 (a port the OS picks), which int() alone did not see.
        # Before: accepted, so a Deployment written with it started listening on a port no Service could name.
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_PORT": written}, serving=True)
        (problem,) = caught.value.problems
        assert problem.startswith("ANALYZER_PORT is 0, a free port the OS picks, which no Service or probe can name")
        assert "--port 0 on the command line" in problem

    def test_port_0_on_the_command_line_is_kept(self):
        # --port 0 (a test, a local run) wins over the variable, as every flag does.
        assert Settings.from_env({"ANALYZER_PORT": "0"}, serving=True, port=0).port == 0
        assert Settings.from_env({}, serving=True, port=0).port == 0
        assert Settings.from_env({"ANALYZER_PORT": "8081"}, serving=True).port == 8081

    def test_port_0_from_the_environment_is_no_concern_of_a_job(self):
        # `analyzer run` listens on nothing: an env block shared with the Deployment must not fail the Job.
        assert Settings.from_env({"ANALYZER_PORT": "0"}).port == 0

    def test_other_variables_set_but_empty_keep_their_default(self):
        assert Settings.from_env({"ANALYZER_PORT": "", "ANALYZER_CATALOG_POLL_S": ""}).port == Settings().port

    def test_a_setting_without_a_flag_names_only_its_variable(self):
        # "--max-concurrent-evaluations" was suggested, a flag that does not exist.
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_MAX_CONCURRENT_EVALUATIONS": "0"})
        assert caught.value.problems[0].startswith("ANALYZER_MAX_CONCURRENT_EVALUATIONS: ")

    def test_a_setting_with_a_flag_names_both(self):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_LOG_FORMAT": "xml"})
        assert caught.value.problems[0].startswith("ANALYZER_LOG_FORMAT / --log-format: ")

    @pytest.mark.parametrize(
        ("name", "value", "said"),
        [
            ("ANALYZER_DEADLINE_S", "8s", "got '8s'; ANALYZER_DEADLINE_S is in seconds (its name ends in _S): write 8"),
            (
                "ANALYZER_QUEUE_TIMEOUT_S",
                "500ms",
                "got '500ms'; ANALYZER_QUEUE_TIMEOUT_S is in seconds (its name ends in _S): write 0.5",
            ),
            ("ANALYZER_LOG_FORMAT", "text", "Input should be 'json' or 'console', got 'text'"),
            ("ANALYZER_PORT", "80s", "unable to parse string as an integer, got '80s'"),
        ],
    )
    def test_a_value_of_the_wrong_form_is_quoted_with_what_to_write(self, name, value, said):
        # Before: "Input should be a valid number, unable to parse string as a number", the value and unit unnamed.
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({name: value})
        assert caught.value.problems[0].endswith(said)

    def test_an_allow_list_without_tokens_is_refused(self):
        with pytest.raises(ConfigError, match="ANALYZER_AUTH_ALLOW is set but ANALYZER_AUTH_TOKENS is not"):
            Settings.from_env({"ANALYZER_AUTH_ALLOW": "/allow.yaml"})


class TestDrain:
    """A shutdown's drain is its timeout but the 0.5 s kept for closing, and never below nothing."""

    @pytest.mark.parametrize(("shutdown_timeout_s", "drain_s"), [(30, 29.5), (0.5, 0), (0.3, 0), (0, 0)])
    def test_the_drain_keeps_the_close_its_time(self, shutdown_timeout_s, drain_s):
        # Under 0.5 s no drain, not a negative one: shutdown_started and checks_outlast_drain log drain_s.
        assert Settings(shutdown_timeout_s=shutdown_timeout_s).drain_s == drain_s


class TestServiceLinks:
    """The variables Kubernetes writes for a Service named `analyzer` (deploy/base's) are not read as settings."""

    # What the kubelet gives every pod of the namespace created after the Service `analyzer` (and one `analyzer-probe`).
    LINKS = {
        "ANALYZER_SERVICE_HOST": "10.96.0.12",
        "ANALYZER_SERVICE_PORT": "8080",
        "ANALYZER_SERVICE_PORT_HTTP": "8080",
        "ANALYZER_PORT": "tcp://10.96.0.12:8080",
        "ANALYZER_PORT_8080_TCP": "tcp://10.96.0.12:8080",
        "ANALYZER_PORT_8080_TCP_PROTO": "tcp",
        "ANALYZER_PORT_8080_TCP_PORT": "8080",
        "ANALYZER_PORT_8080_TCP_ADDR": "10.96.0.12",
        "ANALYZER_PROBE_PORT": "tcp://10.96.0.13:8081",
    }

    def test_a_pod_beside_the_service_starts_with_its_defaults(self):
        # Before: "ANALYZER_PORT / --port: Input should be a valid integer": `serve` and `analyzer run` exited 6 in
        # every pod of the namespace, the analyzer's own included.
        settings = Settings.from_env(self.LINKS)
        assert (settings.port, settings.probe_port) == (8080, 0)

    def test_the_users_own_port_is_read(self):
        settings = Settings.from_env({**self.LINKS, "ANALYZER_PORT": "9090", "ANALYZER_PROBE_PORT": "9091"})
        assert (settings.port, settings.probe_port) == (9090, 9091)

    @pytest.mark.parametrize("value", ["tcp://10.96.0.12", "http://10.96.0.12:8080", "8080tcp://x:1"])
    def test_other_text_is_still_refused(self, value):
        with pytest.raises(ConfigError):
            Settings.from_env({"ANALYZER_PORT": value})


class TestUnknownVariables:
    """ANALYZER_* variables that name no setting are named at start, with the one meant; Kubernetes' are not."""

    def test_a_misspelt_variable_names_the_setting_meant(self):
        # Before: ignored without a word; ANALYZER_AUTH_TOKEN (no S) served every caller without a token.
        environ = {"ANALYZER_AUTH_TOKEN": "/t", "ANALYZER_PROT": "9090", "ANALYZER_LOGFORMAT": "console"}
        assert unknown_variables(environ) == [
            ("ANALYZER_AUTH_TOKEN", "ANALYZER_AUTH_TOKENS"),
            ("ANALYZER_LOGFORMAT", "ANALYZER_LOG_FORMAT"),
            ("ANALYZER_PROT", "ANALYZER_PORT"),
        ]

    def test_a_name_like_none_is_named_alone(self):
        assert unknown_variables({"ANALYZER_FOO": "1"}) == [("ANALYZER_FOO", None)]

    def test_settings_and_kubernetes_service_variables_are_not_named(self):
        environ = {
            **TestServiceLinks.LINKS,
            "ANALYZER_CANARY_PORT": "tcp://10.96.0.14:80",
            "ANALYZER_CANARY_SERVICE_HOST": "10.96.0.14",
            "ANALYZER_CATALOG": "/etc/analyzer/catalog",
            "ANALYZER": "http://127.0.0.1:8080",
        }
        assert unknown_variables(environ) == []


class TestMisspeltAuth:
    """`serve` refuses a variable naming no setting that most likely means an auth setting not set itself."""

    @pytest.mark.parametrize(
        ("variable", "meant", "effect"),
        [
            ("ANALYZER_AUTH_TOKEN", "ANALYZER_AUTH_TOKENS", "auth is off"),
            ("ANALYZER_AUTH_ALOW", "ANALYZER_AUTH_ALLOW", "every token may use every check"),
        ],
    )
    def test_a_misspelt_auth_variable_stops_the_service(self, variable, meant, effect):
        # Before: logged as unknown_setting, and the service started with no auth (or every token allowed every check).
        environ = {"ANALYZER_AUTH_TOKENS": "/t"} if meant != "ANALYZER_AUTH_TOKENS" else {}
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({**environ, variable: "/run/secret"}, serving=True)
        (problem,) = caught.value.problems
        assert problem.startswith(f"{variable} is set, which names no setting: did you mean {meant}? Unset, {effect}")
        assert "\n" not in problem

    def test_a_misspelling_beside_the_setting_itself_is_only_warned(self):
        environ = {"ANALYZER_AUTH_TOKENS": "/t", "ANALYZER_AUTH_TOKEN": "/old", "ANALYZER_AUTH_ALLOW": "/a"}
        assert Settings.from_env({**environ, "ANALYZER_AUTH_ALOW": "/b"}, serving=True).auth_tokens == Path("/t")

    def test_other_misspellings_are_only_warned(self):
        assert Settings.from_env({"ANALYZER_PROT": "9090", "ANALYZER_FOO": "1"}, serving=True).port == 8080

    @pytest.mark.parametrize(
        ("variable", "meant"),
        [
            ("ANALYZER_AUTH", "ANALYZER_AUTH_TOKENS"),
            ("ANALYZER_BEARER_TOKENS", "ANALYZER_AUTH_TOKENS"),
            ("ANALYZER_TOKEN_DIR", "ANALYZER_AUTH_TOKENS"),
            ("ANALYZER_AUTH_ENABLED", "ANALYZER_AUTH_TOKENS"),
            ("ANALYZER_ALLOW", "ANALYZER_AUTH_ALLOW"),
        ],
    )
    def test_an_auth_word_like_no_setting_stops_the_service(self, variable, meant):
        # Like no setting closely enough to name one: before, only warned (meant null), and served without auth.
        environ = {"ANALYZER_AUTH_TOKENS": "/t"} if meant != "ANALYZER_AUTH_TOKENS" else {}
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({**environ, variable: "/run/secret"}, serving=True)
        (problem,) = caught.value.problems
        assert problem.startswith(f"{variable} is set, which names no setting: did you mean {meant}? Unset, ")

    def test_an_auth_word_beside_the_settings_is_only_warned(self):
        environ = {
            "ANALYZER_AUTH_TOKENS": "/t",
            "ANALYZER_AUTH_ALLOW": "/a",
            "ANALYZER_ALLOW": "x",
            "ANALYZER_AUTH": "x",
        }
        assert Settings.from_env(environ, serving=True).auth_tokens == Path("/t")

    def test_a_word_meaning_another_setting_is_only_warned(self):
        # `ALLOW` in an HTTP allow-list's misspelling means that list, not auth.
        assert Settings.from_env({"ANALYZER_HTTP_ALLOW_HOSTS": "a"}, serving=True).auth_tokens is None

    def test_the_service_links_of_a_service_named_like_auth_start(self):
        # The kubelet's variables for a Service `analyzer-auth` (and `analyzer-tokens`) in the namespace.
        environ = {
            "ANALYZER_AUTH_PORT": "tcp://10.96.0.20:443",
            "ANALYZER_AUTH_SERVICE_HOST": "10.96.0.20",
            "ANALYZER_AUTH_SERVICE_PORT": "443",
            "ANALYZER_AUTH_SERVICE_PORT_HTTPS": "443",
            "ANALYZER_AUTH_PORT_443_TCP": "tcp://10.96.0.20:443",
            "ANALYZER_AUTH_PORT_443_TCP_PROTO": "tcp",
            "ANALYZER_AUTH_PORT_443_TCP_PORT": "443",
            "ANALYZER_AUTH_PORT_443_TCP_ADDR": "10.96.0.20",
            "ANALYZER_TOKENS_PORT": "tcp://[fd00::20]:80",
            "ANALYZER_TOKENS_SERVICE_HOST": "fd00::20",
        }
        assert Settings.from_env(environ, serving=True).auth_tokens is None

    def test_a_job_reads_no_auth_setting(self):
        # `analyzer run` serves no one: a Job copying the Deployment's env, misspelling included, runs.
        assert Settings.from_env({"ANALYZER_AUTH_TOKEN": "/run/secret"}).auth_tokens is None


class TestDocumented:
    """docs/settings.md (generated by scripts/settings_table.py) documents every setting."""

    @pytest.mark.parametrize("field", sorted(Settings.model_fields))
    def test_documented(self, field):
        assert f"`ANALYZER_{field.upper()}`" in SETTINGS_PAGE.read_text()
