"""What the pages state in prose and tables, checked against the code that decides it: the defaults of settings,
sources and kind fields, the error codes an `error` verdict may carry, error_budget's default tiers, and the
README's links into docs/."""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown.extensions.toc import slugify
from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_jsonable_python

from analyzer import errors
from analyzer.catalog import load_catalog
from analyzer.cli import build_parser
from analyzer.errors import ConfigError
from analyzer.logs import SAMPLED_EVENTS
from analyzer.metrics import Metrics
from analyzer.registry import Registry
from analyzer.settings import ENV_PREFIX, Settings
from analyzer.sources.prometheus import PrometheusSourceConfig
from checks.error_budget.burn import pyrra_tiers, workbook_tiers
from checks.http_smoke.spec import Step

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Other helpers' pages are tested by their own tests; these are read by every test below.
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
UNITS = {"": 1, "s": 1, "KiB": 1024, "MiB": 1024 * 1024}


def _where(page: Path, text: str, offset: int) -> str:
    return f"{page.relative_to(ROOT)}:{text[:offset].count(chr(10)) + 1}"


def setting_mentions() -> list[tuple[str, str, float]]:
    """(where, setting, value) of each "`ANALYZER_X` (N unit" or "`ANALYZER_X`, N unit" a page writes outside the
    generated table: the default it tells the reader."""
    found = []
    mention = re.compile(r"`ANALYZER_([A-Z_]+)`(?: \(|,\s+)(?:default )?(\d+(?:\.\d+)?)(?: ?(s|KiB|MiB))?\b(?![.\d/])")
    for page in PAGES:
        text = page.read_text()
        for match in mention.finditer(text):
            value = float(match.group(2)) * UNITS[match.group(3) or ""]
            found.append((_where(page, text, match.start()), match.group(1).lower(), value))
    return found


SETTING_MENTIONS = setting_mentions()


class TestSettingDefaults:
    """A default a page gives for an `ANALYZER_*` setting is the one analyzer/settings.py has."""

    def test_mentions_were_found(self):
        assert len(SETTING_MENTIONS) >= 20, SETTING_MENTIONS

    @pytest.mark.parametrize(("where", "name", "value"), SETTING_MENTIONS, ids=[w for w, _, _ in SETTING_MENTIONS])
    def test_default_as_documented(self, where, name, value):
        assert name in Settings.model_fields, f"{where}: there is no setting {ENV_PREFIX}{name.upper()}"
        assert Settings.model_fields[name].default == value, f"{where}: {ENV_PREFIX}{name.upper()}"


def _model_default(model: type[BaseModel], field: str) -> Any:
    """A field's default as JSON would show it; PydanticUndefined when the field is required."""
    info = model.model_fields[field]
    if info.default_factory is not None:
        return to_jsonable_python(info.default_factory())  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return PydanticUndefined
    return to_jsonable_python(info.default)


SOURCE_BLOCK = DOCS / "catalog.md"


def source_defaults() -> list[tuple[str, str, str]]:
    """(where, field, documented default) of each commented field of catalog.md's first `sources:` example."""
    text = SOURCE_BLOCK.read_text()
    block = re.search(r"^```yaml\nsources:.*?^checks:", text, re.S | re.M)
    assert block, "catalog.md shows a source with every field"
    found = []
    for match in re.finditer(r"^    (\w+): .*#.*\(default ([^);]+)[);]", block.group(), re.M):
        found.append((_where(SOURCE_BLOCK, text, block.start() + match.start()), match.group(1), match.group(2)))
    return found


SOURCE_DEFAULTS = source_defaults()
WORDS = {"true": True, "false": False, "on": True, "off": False}


class TestSourceDefaults:
    """The `(default ...)` comments of catalog.md's source are PrometheusSourceConfig's defaults, and the example
    sets every field the model has."""

    def test_every_field_is_shown(self):
        text = SOURCE_BLOCK.read_text()
        block = re.search(r"^```yaml\n(sources:.*?)^checks:", text, re.S | re.M)
        assert block
        (source,) = yaml.safe_load(block.group(1))["sources"].values()
        assert set(source) == set(PrometheusSourceConfig.model_fields)
        assert len(SOURCE_DEFAULTS) >= 5, SOURCE_DEFAULTS

    @pytest.mark.parametrize(("where", "field", "documented"), SOURCE_DEFAULTS, ids=[w for w, _, _ in SOURCE_DEFAULTS])
    def test_default_as_documented(self, where, field, documented):
        words = documented.split()
        value: Any = WORDS.get(words[0])
        if value is None:
            value = float(words[0]) * UNITS[words[1] if len(words) > 1 else ""]
        assert _model_default(PrometheusSourceConfig, field) == value, where


# Each kind page's tables with a `default` column, and the model whose fields they describe.
KIND_PAGES = {
    "error-budget.md": "error_budget",
    "http-smoke.md": "http_smoke",
    "kpi-compare.md": "kpi_compare",
    "composite.md": "composite",
    "prometheus.md": "prometheus",
}


def _table_model(page: Path, heading: str) -> type[BaseModel]:
    if heading == "Step fields":
        return Step
    return Registry.default().load(KIND_PAGES[page.name])


def field_rows() -> list[tuple[str, type[BaseModel], tuple[str, ...], str]]:
    """(where, model, field names, default cell) of each row of a `| field | default | meaning |` table."""
    found = []
    for page in sorted((DOCS / "kinds").glob("*.md")):
        text = page.read_text()
        for table in re.finditer(
            r"^## (.+)\n(?:(?!^#).*\n)*?^\| field \| default \| meaning \|\n\|.*\n((?:\|.*\n)+)", text, re.M
        ):
            model = _table_model(page, table.group(1).strip())
            for row in re.finditer(r"^\| (.+?) \| (.*?) \| .*\|$", table.group(2), re.M):
                names = tuple(n for n in re.findall(r"`([a-z_]+)`", row.group(1)) if n in model.model_fields)
                if names:
                    where = _where(page, text, table.start(2) + row.start())
                    found.append((where, model, names, row.group(2)))
    return found


FIELD_ROWS = field_rows()


class TestKindFieldDefaults:
    """The default column of a kind page's field tables is the model's: a literal is the value, `required` is a
    required field, anything else (`none`, another field, a rule in words) a field not required."""

    def test_rows_were_found(self):
        pages = {where.split(":")[0] for where, *_ in FIELD_ROWS}
        assert len(FIELD_ROWS) >= 30 and len(pages) >= 4, pages

    @pytest.mark.parametrize(
        ("where", "model", "names", "documented"), FIELD_ROWS, ids=[f"{w}:{','.join(n)}" for w, _, n, _ in FIELD_ROWS]
    )
    def test_default_as_documented(self, where, model, names, documented):
        literals = re.findall(r"`([^`]*)`", documented)
        actual = [_model_default(model, name) for name in names]
        if documented.startswith("required"):
            # "required for `score`": required by a rule of the model, so None when unset.
            expected = [PydanticUndefined if documented == "required" else None] * len(names)
        elif literals and re.fullmatch(r"(`[^`]*`(, )?)+", documented) and literals[0] not in model.model_fields:
            # (A literal that names another field, `pass_score`, is that field's value: computed.)
            values = [yaml.safe_load(literal) for literal in literals]
            expected = values if len(names) == len(values) else [values]
        elif documented == "none":
            expected = [None] * len(names)
        else:
            assert PydanticUndefined not in actual, (
                f"{where}: {', '.join(names)} is required, the page says {documented!r}"
            )
            return
        # A mapping whose values the page lists (`canary`, `baseline`: variant_names) reads as those values.
        actual = [list(value.values()) if isinstance(value, dict) and value else value for value in actual]
        assert actual == expected, f"{where}: {', '.join(names)} defaults to {actual}, the page says {documented!r}"


CHECK_ERROR_CODES = sorted(
    {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CheckError) and cls is not errors.MemberError
    }
    | {"member_error", "internal_error"}
)


def _why_error_codes() -> list[str]:
    text = (DOCS / "troubleshooting.md").read_text()
    section = text.split("## Why Error?", 1)[1].split("\n## ", 1)[0]
    table = section.split("| code | HTTP | look at |", 1)[1].split("\n\n", 1)[0]
    rows = [row for row in table.strip().splitlines() if row.startswith("| ")]
    return [code for row in rows for code in re.findall(r"`([a-z_*]+)`", row.split("|")[1])]


class TestErrorCodes:
    """Every code an `error` verdict may carry is listed in the API page and explained in Troubleshooting."""

    @pytest.mark.parametrize("code", CHECK_ERROR_CODES)
    def test_listed_in_the_answer(self, code):
        answer = (DOCS / "api.md").read_text().split("## The answer", 1)[1].split("\n## ", 1)[0]
        assert f"`{code}`" in answer, f"docs/api.md: The answer does not list the error code {code}"

    @pytest.mark.parametrize("code", CHECK_ERROR_CODES)
    def test_explained_in_troubleshooting(self, code):
        assert any(fnmatch.fnmatchcase(code, listed) for listed in _why_error_codes()), (
            f"docs/troubleshooting.md: Why Error? has no row for {code}"
        )

    def test_troubleshooting_lists_no_code_the_code_lacks(self):
        for listed in _why_error_codes():
            assert fnmatch.filter(CHECK_ERROR_CODES, listed), f"docs/troubleshooting.md lists {listed}"


def readme_links() -> list[tuple[str, str]]:
    """(where, target) of each relative link of README.md (outside docs/, so `make docs` does not check them)."""
    text = (ROOT / "README.md").read_text()
    return [
        (_where(ROOT / "README.md", text, m.start()), m.group(1))
        for m in re.finditer(r"\]\(((?!https?:)[^)]+)\)", text)
    ]


README_LINKS = readme_links()


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {slugify(re.sub(r"[`*]", "", h), "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}


class TestReadmeLinks:
    """The README's links name pages and sections that exist."""

    def test_links_were_found(self):
        assert any("#" in target for _, target in README_LINKS)

    @pytest.mark.parametrize(("where", "target"), README_LINKS, ids=[w for w, _ in README_LINKS])
    def test_link_resolves(self, where, target):
        path, _, anchor = target.partition("#")
        page = ROOT / path
        assert page.exists(), f"{where}: {path} does not exist"
        if anchor:
            assert anchor in _anchors(page), f"{where}: {path} has no section #{anchor}"


def _default_tiers_paragraph() -> str:
    text = (DOCS / "kinds" / "error-budget.md").read_text()
    return text.split("**Default tiers.**", 1)[1].split("\n\n", 1)[0].replace("\n", " ")


def rescaled_factors() -> list[tuple[str, list[str]]]:
    """(period, factors as written) of each period the paragraph rescales the workbook's tiers to."""
    return [
        (period, factors.split(", "))
        for period, factors in re.findall(r"(\d+d): ([\d.]+(?:, [\d.]+)+)", _default_tiers_paragraph())
    ]


RESCALED = rescaled_factors()


class TestDefaultTiers:
    """error-budget.md's "Default tiers" are the ones the check uses when `tiers` is not set."""

    def test_workbook_tiers_at_30d(self):
        written = re.findall(r"(page|ticket) (\w+)/(\w+) \N{MULTIPLICATION SIGN}([\d.]+)", _default_tiers_paragraph())
        actual = [(t.severity, t.long, t.short, t.factor) for t in workbook_tiers(30 * 86400)]
        assert [(s, long, short, float(f)) for s, long, short, f in written] == actual

    def test_periods_were_found(self):
        assert len(RESCALED) >= 2

    @pytest.mark.parametrize(("period", "factors"), RESCALED, ids=[p for p, _ in RESCALED])
    def test_rescaled_factors(self, period, factors):
        tiers = workbook_tiers(int(period[:-1]) * 86400)
        decimals = [len(f.partition(".")[2]) for f in factors]
        assert [round(t.factor, d) for t, d in zip(tiers, decimals, strict=True)] == [float(f) for f in factors]

    def test_pyrra_tiers_at_28d(self):
        paragraph = _default_tiers_paragraph()
        windows = re.search(r"its 28d windows \(([^)]+)\)", paragraph)
        factors = re.search(r"factors ([\d/]+), the first two `page`", paragraph)
        assert windows and factors, "the paragraph states Pyrra's windows and factors"
        tiers = pyrra_tiers(28 * 86400)
        assert windows.group(1).split(", ") == [f"{t.long}/{t.short}" for t in tiers]
        assert [float(f) for f in factors.group(1).split("/")] == [t.factor for t in tiers]
        assert [t.severity for t in tiers] == ["page", "page", "ticket", "ticket"]


def exposed_metrics() -> list[str]:
    """Each metric of the service as a page writes it: `name{label,...}`, a counter with its `_total`."""
    found = []
    for collector in vars(Metrics()).values():
        name = getattr(collector, "_name", None) or getattr(collector, "name", None)
        if not isinstance(name, str) or not name.startswith("analyzer_"):
            continue
        labels = tuple(getattr(collector, "_labelnames", None) or getattr(collector, "labelnames", None) or ())
        kind = getattr(collector, "_type", None) or ("counter" if "Counter" in type(collector).__name__ else "")
        written = f"{name}_total" if kind == "counter" else name
        found.append(f"{written}{{{','.join(labels)}}}" if labels else written)
    return sorted(found)


EXPOSED_METRICS = exposed_metrics()


class TestMetricsRoute:
    """api.md's `/metrics` row names every metric the service exposes, with its labels, and no other."""

    def _listed(self) -> list[str]:
        row = next(line for line in (DOCS / "api.md").read_text().splitlines() if line.startswith("| `GET /metrics`"))
        return re.findall(r"`(analyzer_[a-z_]+(?:\{[a-z_,]+\})?)`", row)

    def test_metrics_were_found(self):
        assert len(EXPOSED_METRICS) >= 15 and any("_total{" in m for m in EXPOSED_METRICS), EXPOSED_METRICS

    @pytest.mark.parametrize("metric", EXPOSED_METRICS)
    def test_listed(self, metric):
        assert metric in self._listed(), f"docs/api.md: GET /metrics does not list {metric}"

    def test_lists_nothing_else(self):
        assert sorted(self._listed()) == EXPOSED_METRICS


def _subcommand_options() -> dict[str, set[str]]:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {
        name: {option for action in sub._actions for option in action.option_strings}
        for name, sub in commands.choices.items()
    }


def cli_flags() -> list[tuple[str, str, str]]:
    """(where, subcommand, flag) of each `--flag` written after `analyzer SUBCOMMAND` in a code span, a code
    line or a table cell of a page (up to the end of that span, line or cell, or a pipe)."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"\banalyzer (serve|run|validate|import|list)\b([^`\n|;]*)", text):
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(2)):
                found.append((_where(page, text, match.start()), match.group(1), flag))
    return sorted(set(found))


CLI_FLAGS = cli_flags()


class TestCliFlags:
    """Every flag a page writes after `analyzer SUBCOMMAND` is one that subcommand takes."""

    def test_flags_were_found(self):
        assert len({(command, flag) for _, command, flag in CLI_FLAGS}) >= 12, CLI_FLAGS

    @pytest.mark.parametrize(("where", "command", "flag"), CLI_FLAGS, ids=[f"{w}:{c}:{f}" for w, c, f in CLI_FLAGS])
    def test_flag_exists(self, where, command, flag):
        assert flag in _subcommand_options()[command], f"{where}: analyzer {command} has no {flag}"

    def test_the_synopsis_lists_every_flag(self):
        # job-mode.md "The CLI": one usage line per subcommand (continued on lines indented further).
        section = (DOCS / "job-mode.md").read_text().split("\n## The CLI\n", 1)[1].split("\n## ", 1)[0]
        block = re.search(r"^((?:    .*\n)+)", section, re.M)
        assert block, "job-mode.md: The CLI starts with the usage of each subcommand"
        listed: dict[str, set[str]] = {}
        command = ""
        for line in block.group(1).splitlines():
            command = (re.match(r"    analyzer (\w+)", line) or [None, command])[1]
            listed.setdefault(command, set()).update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
        taken = {name: options - {"-h", "--help"} for name, options in _subcommand_options().items()}
        assert listed == taken

    def test_settings_flags_are_serves(self):
        # docs/settings.md: "`serve` also takes the flags listed (`run` and `list` take `--catalog`)".
        table = (DOCS / "settings.md").read_text()
        flags = re.findall(r"^\| `ANALYZER_\w+` \| `(--[a-z-]+)` \|", table, re.M)
        assert flags
        options = _subcommand_options()
        assert set(flags) <= options["serve"]
        assert "--catalog" in options["run"] and "--catalog" in options["list"]


SOURCE_TEXT = "\n".join(
    p.read_text() for folder in ("analyzer", "checks") for p in sorted((ROOT / folder).rglob("*.py"))
)


def details_keys() -> list[tuple[str, str]]:
    """(where, key) of each key of a `details.a[].b` path a kind page names (placeholders such as <variant> aside)."""
    found = set()
    for page in sorted((DOCS / "kinds").glob("*.md")):
        text = page.read_text()
        for match in re.finditer(r"details\.([a-z_<>]+(?:\[\])?(?:\.[a-z_]+)*)", text):
            for key in re.split(r"(?:\[\])?\.", match.group(1)):
                if not key.startswith("<"):
                    found.add((_where(page, text, match.start()), key))
    return sorted(found)


DETAILS_KEYS = details_keys()


class TestDetailsKeys:
    """Each evidence key a kind page points to (`details.best_possible_score`, `details.windows[].note`) is one the
    code writes: a renamed key leaves no page pointing at nothing."""

    def test_keys_were_found(self):
        assert len({key for _, key in DETAILS_KEYS}) >= 15

    @pytest.mark.parametrize(("where", "key"), DETAILS_KEYS, ids=[f"{w}:{k}" for w, k in DETAILS_KEYS])
    def test_written_by_the_code(self, where, key):
        # A key is written as a string ("winner": ...) or as a keyword (dict(winner=...), details.update(...)).
        assert re.search(rf"[\"']{key}[\"']|\b{key}=", SOURCE_TEXT), f"{where}: no code writes details key {key!r}"


def _exit_table() -> dict[int, str]:
    """The exit codes job-mode.md's table lists, each with its row's meaning."""
    text = (DOCS / "job-mode.md").read_text()
    table = text[text.index("| exit | meaning |") :].split("\n\n", 1)[0]
    listed: dict[int, str] = {}
    for row in table.splitlines()[2:]:
        codes, meaning = row.strip("|").split("|", 1)
        listed.update(dict.fromkeys((int(code) for code in codes.split(",")), meaning.strip()))
    return listed


class TestExitCodes:
    """job-mode.md's exit-code table lists every code the CLI exits with, and no other."""

    def test_every_code_is_listed(self):
        from analyzer import cli

        # 1: Python's own code for an uncaught exception; 143 / 130: 128 + SIGTERM / SIGINT, computed by `run`.
        codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_") and isinstance(value, int)}
        codes |= {1, 143, 130}
        assert set(_exit_table()) == codes

    def test_broken_pipe_names_the_commands_it_ends(self):
        from analyzer.cli import EXIT_BROKEN_PIPE

        assert "`list`, `validate` and `import` only" in _exit_table()[EXIT_BROKEN_PIPE]


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "analyzer.cli", "validate", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


class TestTemplateChecksAsDocumented:
    """What docs/catalog.md and docs/job-mode.md say `analyzer validate` answers about the repository's
    AnalysisTemplates, and the problem job-mode.md quotes, are what it answers."""

    def test_the_examples_with_the_base_are_ok(self):
        result = _validate(ROOT / "deploy" / "base", ROOT / "deploy" / "examples")
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_examples_alone_name_the_checks_their_templates_lack(self):
        assert (
            "`analyzer validate deploy/examples` alone says that the templates of\n`deploy/examples/rollouts`"
            in (DOCS / "catalog.md").read_text()
        )
        result = _validate(ROOT / "deploy" / "examples")
        assert result.returncode == 6, result.stdout + result.stderr
        problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
        assert problems and all("deploy/examples/rollouts/" in line for line in problems)
        assert all("which the catalog does not have" in line for line in problems)

    def test_the_quoted_problem(self, tmp_path):
        found = re.search(
            r"\(`(url gives arg 'canary-hash', which check\n'payments-error-rate'.*?)`\)",
            (DOCS / "job-mode.md").read_text(),
            re.S,
        )
        assert found
        quoted = found.group(1).replace("\n", " ")
        path = ROOT / "deploy" / "examples" / "rollouts" / "analysistemplate-prometheus.yaml"
        template = next(yaml.safe_load_all(path.read_text()))
        web = template["spec"]["metrics"][0]["provider"]["web"]
        web["url"] = "http://analyzer:8080/api/v1/checks/payments-error-rate/run?canary-hash={{args.canary-hash}}"
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template))
        result = _validate(ROOT / "deploy" / "base", tmp_path / "template.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        assert quoted in result.stderr

    def test_the_quoted_timeout_problem(self, tmp_path):
        # The blue-green smoke template without its timeoutSeconds: Argo's 10 s, for a check of 25 s.
        text = " ".join((DOCS / "job-mode.md").read_text().split())
        found = re.search(r"\(`(no timeoutSeconds .*?): \.\.\.; (set timeoutSeconds above \d+)`\)", text)
        assert found, "job-mode.md quotes the problem of a template that gives up before the check's deadline"
        path = ROOT / "deploy" / "examples" / "http-smoke" / "bluegreen" / "bluegreen-rollout.yaml"
        template = next(yaml.safe_load_all(path.read_text()))
        del template["spec"]["metrics"][0]["provider"]["web"]["timeoutSeconds"]
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template))
        result = _validate(ROOT / "deploy" / "base", ROOT / "deploy" / "examples", tmp_path / "template.yaml")
        assert result.returncode == 6, result.stdout + result.stderr
        (problem,) = [line for line in result.stderr.splitlines() if str(tmp_path) in line]
        assert found.group(1) in problem and problem.endswith(found.group(2)), problem


def inline_validations() -> list[tuple[str, tuple[str, ...]]]:
    """(where, paths) of each `analyzer validate PATH...` a page writes in a code span (outside examples, which
    tests/docs/test_demo_examples.py runs) whose paths are all the repository's."""
    found = []
    for page in PAGES:
        text = re.sub(
            r"^( *)```.*?^\1```", lambda block: "\n" * block.group().count("\n"), page.read_text(), flags=re.S | re.M
        )
        for match in re.finditer(r"`analyzer validate ([^`]+)`", text):
            words = match.group(1).split()
            paths = tuple(word for word in words[: next((i for i, w in enumerate(words) if w.startswith("-")), None)])
            if paths and all((ROOT / path).exists() and not path.startswith(".demo") for path in paths):
                found.append((_where(page, text, match.start()), paths))
    return found


INLINE_VALIDATIONS = inline_validations()
# catalog.md: "`analyzer validate deploy/examples` alone says that the templates of `deploy/examples/rollouts` call
# checks it lacks" (TestTemplateChecksAsDocumented holds what it says).
DOCUMENTED_AS_INVALID = {("deploy/examples",)}


class TestInlineValidations:
    """An `analyzer validate` of the repository's paths that a page writes in its prose validates them as the page
    says (offline: `--prometheus` only adds questions to a Prometheus about a catalog that loaded)."""

    def test_some_were_found(self):
        assert len({paths for _, paths in INLINE_VALIDATIONS}) >= 3, INLINE_VALIDATIONS

    @pytest.mark.parametrize(("where", "paths"), INLINE_VALIDATIONS, ids=[w for w, _ in INLINE_VALIDATIONS])
    def test_validates_as_documented(self, where, paths):
        result = _validate(*(ROOT / path for path in paths))
        expected = 6 if paths in DOCUMENTED_AS_INVALID else 0
        assert result.returncode == expected, f"{where}: analyzer validate {' '.join(paths)}:\n{result.stderr}"


def _lint_against_the_demo(demo: tuple[Path, dict[str, str]], catalog: Path) -> subprocess.CompletedProcess[str]:
    _, env = demo
    command = [sys.executable, "-m", "analyzer.cli", "validate", str(catalog), "--prometheus", env["PROMETHEUS"]]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)


@pytest.mark.integration
class TestQuotedLintProblems:
    """A lint problem job-mode.md quotes is what `validate --prometheus` prints against the demo's Prometheus, and
    the demo's catalog reads everything it may read there."""

    def test_the_demo_catalog_has_nothing_missing_nor_allowed_missing(self, demo):
        # job-mode.md: "its Pyrra check reads the rules Pyrra records with `--generic-rules`": all of them, so the
        # newcomer's first lint prints no note either (before: pyrra_window was not in the demo's data).
        assert "reads the rules Pyrra records with `--generic-rules`" in (DOCS / "job-mode.md").read_text()
        result = _lint_against_the_demo(demo, ROOT / "deploy" / "demo" / "catalog.yaml")
        assert result.returncode == 0, result.stdout + result.stderr
        assert not [line for line in result.stdout.splitlines() if line.lstrip().startswith(("note:", "problem:"))]

    def test_a_sloth_rule_group_not_loaded(self, demo):
        # The demo's Prometheus records no Sloth rules: the example Sloth check reads every one of them.
        text = " ".join((DOCS / "job-mode.md").read_text().split())
        found = re.search(r"\(`(recording rules slo:\S+ .*?) \.\.\.`", text)
        assert found, "job-mode.md quotes the problem of a Sloth check whose rules are not recorded"
        result = _lint_against_the_demo(
            demo, ROOT / "deploy" / "examples" / "error-budget" / "catalog-error-budget.yaml"
        )
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"problem: {found.group(1)}" in result.stdout


class TestSampledEvents:
    """operations.md names the events a client can cause at will, which the log samples: each the code samples, and
    no other (one the code does not sample floods the log when a client repeats it)."""

    def test_the_list_is_the_codes(self):
        text = (DOCS / "operations.md").read_text()
        found = re.search(r"Events a client can trigger at will are sampled: (.+?) \(and the records", text, re.DOTALL)
        assert found is not None, "docs/operations.md: the sentence naming the sampled events is gone"
        assert set(re.findall(r"`([a-z_]+)`", found.group(1))) == SAMPLED_EVENTS


class TestServingYourFirstCheck:
    """catalog.md's "Serve it": the command it gives appends "Your first check" to the demo's catalog as a check the
    catalog then serves, and the whole file appended is refused as the page says."""

    def test_the_append_command_adds_the_check(self, tmp_path):
        text = (DOCS / "catalog.md").read_text()
        command = re.search(r"`(sed -n [^`]+ my-first-check\.yaml >> \.demo/catalog\.yaml)`", text)
        assert command, "catalog.md: Serve it gives the command that appends the check"
        first = re.search(r"`my-first-check\.yaml`:\n\n```yaml\n(.*?)^```", text, re.S | re.M)
        assert first
        (tmp_path / ".demo").mkdir()
        (tmp_path / "my-first-check.yaml").write_text(first.group(1))
        demo = (ROOT / "deploy" / "demo" / "catalog.yaml").read_text()
        (tmp_path / ".demo" / "catalog.yaml").write_text(demo)
        subprocess.run(["bash", "-c", command.group(1)], cwd=tmp_path, check=True, timeout=30)
        catalog = load_catalog(tmp_path / ".demo" / "catalog.yaml", Registry.default())
        assert "payments-latency-p95" in catalog.checks
        assert set(catalog.checks) - {"payments-latency-p95"} == set(
            load_catalog(ROOT / "deploy" / "demo" / "catalog.yaml", Registry.default()).checks
        )

        (tmp_path / ".demo" / "catalog.yaml").write_text(demo + first.group(1))
        with pytest.raises(ConfigError) as refused:
            load_catalog(tmp_path / ".demo" / "catalog.yaml", Registry.default())
        assert "duplicate key 'sources' (also at line 4)" in str(refused.value.problems)


def _kubectl_logs() -> list[tuple[str, str]]:
    """Each `kubectl ... logs ...` command the pages give, with where (its line broken at the page's wrap joined)."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"kubectl [^`]*? logs [^`]*", text):
            found.append((_where(page, text, match.start()), " ".join(match.group(0).split())))
    return found


def _pod_labels() -> dict[str, str]:
    """The labels of deploy/base's analyzer pods."""
    for document in yaml.safe_load_all((ROOT / "deploy/base/deployment.yaml").read_text()):
        if document and document.get("kind") == "Deployment":
            return document["spec"]["template"]["metadata"]["labels"]
    raise AssertionError("deploy/base/deployment.yaml holds no Deployment")


class TestLogsOfEveryReplica:
    """A `kubectl logs` the pages give to find an answer reads every replica's whole log: deploy/base runs two or
    more, `logs deploy/analyzer` reads one pod's, and a label selector alone the last 10 lines of each."""

    def test_commands_were_found(self):
        assert len(_kubectl_logs()) >= 2

    @pytest.mark.parametrize(("where", "command"), _kubectl_logs())
    def test_by_the_pods_label_and_whole(self, where, command):
        if "check_evaluated" not in command:
            return
        selector = ",".join(f"{k}={v}" for k, v in _pod_labels().items())
        assert f"-l {selector}" in command and "--tail=-1" in command, f"{where}: {command}"
        assert "deploy/analyzer" not in command, f"{where}: {command}"
