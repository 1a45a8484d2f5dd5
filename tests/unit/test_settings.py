"""Tests of analyzer.settings: environment variables, validation errors, and the README's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


class TestFromEnv:
    """ANALYZER_* variables set fields; bad values name the variable and the flag."""

    def test_variables_and_overrides(self):
        settings = Settings.from_env({"ANALYZER_MAX_CONCURRENT_EVALUATIONS": "3", "ANALYZER_AUTH_TOKENS": "/t",
                                      "ANALYZER_PORT": "1"}, port=9000)
        assert (settings.max_concurrent_evaluations, str(settings.auth_tokens), settings.port) == (3, "/t", 9000)

    @pytest.mark.parametrize(("name", "value"), [("ANALYZER_MAX_CONCURRENT_EVALUATIONS", "0"),
                                                 ("ANALYZER_BODY_READ_TIMEOUT_S", "-1"),
                                                 ("ANALYZER_HISTORY_SIZE", "lots")])
    def test_invalid_values_name_the_variable(self, name, value):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})

    def test_a_setting_without_a_flag_names_only_its_variable(self):
        # "--max-concurrent-evaluations" was suggested, a flag that does not exist.
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_MAX_CONCURRENT_EVALUATIONS": "0"})
        assert caught.value.problems[0].startswith("ANALYZER_MAX_CONCURRENT_EVALUATIONS: ")

    def test_a_setting_with_a_flag_names_both(self):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"ANALYZER_LOG_FORMAT": "xml"})
        assert caught.value.problems[0].startswith("ANALYZER_LOG_FORMAT / --log-format: ")

    def test_an_allow_list_without_tokens_is_refused(self):
        with pytest.raises(ConfigError, match="leave the API open"):
            Settings.from_env({"ANALYZER_AUTH_ALLOW": "/allow.yaml"})


class TestReadme:
    """The README's production section documents every setting."""

    @pytest.mark.parametrize("field", sorted(Settings.model_fields))
    def test_documented(self, field):
        section = README.read_text().split("## Production deployment", 1)[1]
        assert f"ANALYZER_{field.upper()}" in section
