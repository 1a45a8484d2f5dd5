"""The worked example of docs/writing-a-kind.md, as written: its class loads as a kind, refuses a bad field,
and its check evaluates against the demo's Prometheus to the verdict the page states; and the names the page
tells a kind's author to use exist."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tomllib
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

import analyzer.kinds
from analyzer.catalog import build_catalog
from analyzer.kinds import Check, EvalContext
from analyzer.models import Outcome
from analyzer.promql_syntax import syntax_problems
from analyzer.registry import BUILTIN_KINDS, ENTRY_POINT_GROUP, Registry
from analyzer.runner import Runner
from analyzer.sources import Sources

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "writing-a-kind.md"


def _block(language: str) -> str:
    (block,) = re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(), re.S | re.M)
    return str(block)


@pytest.fixture(scope="module")
def kind() -> Iterator[type[Any]]:
    module = types.ModuleType("docs_worked_example")
    sys.modules[module.__name__] = module  # pydantic resolves the annotations through the module
    try:
        exec(compile(_block("python"), str(PAGE), "exec"), module.__dict__)
        yield module.SeriesCountCheck
    finally:
        del sys.modules[module.__name__]


class TestWorkedExample:
    """The page's kind registers, validates and judges as the page says."""

    def test_a_bad_selector_is_refused_at_load(self, kind):
        with pytest.raises(ValidationError, match="label matchers"):
            kind(name="x", selector='up{job="api"} or vector(1)')

    def test_validate_parses_its_promql(self, kind):
        registry = Registry([*BUILTIN_KINDS, kind])
        checks = [
            {"name": "ok", "kind": "series_count", "selector": 'up{job="api"}'},
            {"name": "unquoted", "kind": "series_count", "selector": "up{job=api}"},
        ]
        catalog = build_catalog(
            [(str(PAGE), {"sources": {"default": {"url": "http://p:9090"}}, "checks": checks})], registry
        )
        assert [(p.check, p.field, p.query) for p in syntax_problems(catalog)] == [
            ("unquoted", "selector", "count(up{job=api}) or vector(0)")
        ]

    @pytest.mark.integration
    def test_evaluates_to_pass_against_the_demo(self, kind, demo):
        workdir, _ = demo
        demo_catalog = yaml.safe_load((workdir / ".demo" / "catalog.yaml").read_text())
        registry = Registry([*BUILTIN_KINDS, kind])
        catalog = build_catalog(
            [("demo", {"sources": demo_catalog["sources"], "checks": []}), (str(PAGE), yaml.safe_load(_block("yaml")))],
            registry,
        )
        (check,) = catalog.checks.values()

        async def evaluate() -> Any:
            sources = Sources(catalog.sources)
            try:
                return await Runner(catalog, sources, None, 8.0).evaluate(check, {})
            finally:
                await sources.aclose()

        evaluation = asyncio.run(evaluate())
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "the verdict is `pass`" in PAGE.read_text()


def _prose() -> str:
    return re.sub(r"^```.*?^```", "", PAGE.read_text(), flags=re.S | re.M)


# The section that lists the surface, and the page's first paragraph, which names the errors a kind raises.
PUBLIC_NAMES = sorted(
    set(
        re.findall(
            r"`([A-Z][A-Za-z]+|[a-z]+(?:_[a-z]+)+)`", _prose().split("## What a kind may import")[1].split("\n#")[0]
        )
    )
    | set(re.findall(r"`([A-Z][a-z]+[A-Z][A-Za-z]+|NoData)`", _prose().split("\n\n")[1]))
)
CONTEXT_NAMES = sorted(set(re.findall(r"`ctx\.(\w+)", _prose())))
CHECK_METHODS = sorted(set(re.findall(r"`(?:self\.|@classmethod def |Check\.)?(\w+)\([^`]*\)", _prose())))


class TestNamesThePageUses:
    """The page's names are the public surface's: what it imports from analyzer.kinds is in `__all__`, the
    `ctx.` it reads is EvalContext's, the methods it tells a kind to override are Check's."""

    def test_names_were_found(self):
        assert len(PUBLIC_NAMES) >= 15 and CONTEXT_NAMES and len(CHECK_METHODS) >= 5

    @pytest.mark.parametrize("name", [n for n in PUBLIC_NAMES if n != "__all__"])
    def test_exported(self, name):
        assert name in analyzer.kinds.__all__, f"docs/writing-a-kind.md names {name} as part of analyzer.kinds"

    @pytest.mark.parametrize("name", CONTEXT_NAMES)
    def test_context_has_it(self, name):
        assert callable(getattr(EvalContext, name, None)), f"EvalContext has no {name}"

    @pytest.mark.parametrize("name", CHECK_METHODS)
    def test_check_has_it(self, name):
        assert callable(getattr(Check, name, None)), f"Check has no method {name}"


class TestEntryPoint:
    """The page's pyproject.toml snippet registers under the entry-point group the registry reads."""

    def test_group(self):
        groups = tomllib.loads(_block("toml"))["project"]["entry-points"]
        assert list(groups) == [ENTRY_POINT_GROUP]

    def test_it_registers_the_worked_example_in_a_project_pip_can_build(self, kind):
        # Before: a two-line snippet naming my_kind and MyKindCheck, no project around it: pip refuses a
        # pyproject.toml without [project] name and version, and the names matched nothing on the page.
        pyproject = tomllib.loads(_block("toml"))
        assert pyproject["build-system"]["build-backend"] and pyproject["build-system"]["requires"]
        assert pyproject["project"]["name"] and pyproject["project"]["version"]
        ((name, target),) = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP].items()
        assert name == kind.model_fields["kind"].default
        module, _, attribute = target.partition(":")
        assert attribute == kind.__name__
        assert f"`src/{module.replace('.', '/')}.py`" in _prose()

    def test_the_documented_package_builds_and_its_kind_is_known(self, tmp_path):
        # The page's layout and pyproject.toml, built by pip (offline, with the setuptools at hand) into a wheel, put
        # on the path of an analyzer run in a fresh interpreter: the kind is known, as the page says.
        project = tmp_path / "my-analyzer-kinds"
        (project / "src" / "my_package").mkdir(parents=True)
        (project / "pyproject.toml").write_text(_block("toml"))
        (project / "src" / "my_package" / "__init__.py").write_text("")
        (project / "src" / "my_package" / "checks.py").write_text(_block("python"))
        offline = ["--no-build-isolation", "--no-deps", "--no-index", "-q"]
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", *offline, "--wheel-dir", str(tmp_path / "wheels"), str(project)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert build.returncode == 0, build.stderr
        (wheel,) = (tmp_path / "wheels").glob("my_analyzer_kinds-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp_path / "site")
        catalog = tmp_path / "catalog"
        catalog.mkdir()
        (catalog / "sources.yaml").write_text('sources:\n  default: {url: "http://127.0.0.1:9"}\n')
        (catalog / "checks.yaml").write_text(_block("yaml"))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path / "site")])}

        def analyzer(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "analyzer.cli", *args]
            return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)

        validated = analyzer("validate", str(catalog))
        assert validated.returncode == 0 and validated.stdout.startswith("ok: 1 check, 1 source"), validated.stderr
        listed = analyzer("list", "--catalog", str(catalog))
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.startswith("payments-pods-reporting\tseries_count\t")
