import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analyzer import catalog as catalog_module
from analyzer.catalog import MAX_CATALOG_BYTES, build_catalog, load_catalog
from analyzer.errors import CheckNotFound, ConfigError, InvalidCatalog
from analyzer.registry import BUILTIN_KINDS, KindRef, Registry
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.unit.test_catalog_paths import configmap_items_mount

SOURCES = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
CHECK = {"name": "error-rate", "kind": "prometheus", "query": "vector(0)", "pass_if": "< 1"}


def problems_of(documents):
    with pytest.raises(ConfigError) as caught:
        build_catalog(documents, Registry.default())
    return caught.value.problems


class TestProblemLines:
    """A problem about a check read from a file names the line the check starts at; a ConfigMap manifest's key
    written as quoted text, whose lines are not the manifest's, names none."""

    def test_each_check_is_named_with_its_line(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "# team checks\nchecks:\n- name: a\n  kind: nope\n\n-   name: b\n    kind: composite\n"
            "    members: [{check: missing}]\n- kind: prometheus\n---\nchecks:\n- {name: a, kind: nope}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        # Each label once: a check without a name has a problem for each of its missing fields.
        assert list(dict.fromkeys(problem.split(": ")[1] for problem in caught.value.problems)) == [
            "check 'a' (checks[0], line 3)",
            "checks[2] (line 9)",
            "check 'a' (checks[0], line 12)",
            "check 'b' (line 6)",
        ]

    def test_a_duplicate_names_the_line_of_the_first(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump({"checks": [{"name": "a", "kind": "gate", "gate": "g"}]}))
        (tmp_path / "d.yaml").write_text("\n\n" + path.read_text())
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path, REGISTRY)
        assert caught.value.problems == [
            f"{tmp_path / 'd.yaml'}: check 'a' (checks[0], line 4): duplicate check name, also defined in "
            f"{path} (checks[0], line 2)"
        ]

    def test_an_alias_is_named_with_its_own_line_not_its_anchors(self, tmp_path):
        # The alias's item is the anchored node: its line was the anchor's, where the first check is.
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- &a {name: a, kind: gate, gate: g}\n\n- *a\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, REGISTRY)
        assert caught.value.problems == [
            f"{path}: check 'a' (checks[1], line 4): duplicate check name, also defined in {path} (checks[0], line 2)"
        ]

    def test_a_line_is_counted_as_grep_counts_it(self, tmp_path):
        # PyYAML counts a U+2028 (pasted into a description) as a line break: every later check was a line off.
        path = tmp_path / "c.yaml"
        path.write_text(
            'checks:\n- {name: a, kind: gate, gate: g, description: "one\u2028two"}\n- {name: b, kind: nope}\n'
            "---\nchecks:\n- {name: c, kind: nope}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, REGISTRY)
        assert [problem.split(": ")[1] for problem in caught.value.problems] == [
            "check 'b' (checks[1], line 3)",
            "check 'c' (checks[0], line 6)",
        ]

    def test_a_jobs_check_names_its_line_in_a_link_problem(self, tmp_path):
        # A Job's catalog (`only`) links the check it runs on demand, apart from the service's.
        path = tmp_path / "c.yaml"
        path.write_text("# a Job's check\nchecks:\n- name: a\n  kind: composite\n  members: [{check: missing}]\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only="a")
        assert caught.value.problems == [
            f"{path}: check 'a' (line 3): members[0] ('missing'): no check named 'missing' in the catalog"
        ]

    def test_a_field_s_problem_names_the_field_s_line(self, tmp_path):
        # Before: each named only the line its check (or nothing, for a source) starts at: line 6 for a timeout_s
        # written at line 14, an author left to find it in a long check.
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  default:\n    url: http://prometheus:9090\n    timeout_s: -1\n"
            "checks:\n  - name: checkout-smoke\n    kind: http_smoke\n    base_url: http://checkout.shop.svc\n"
            "    steps:\n      - name: home\n        path: /\n      - name: cart\n        path: /cart\n"
            "        timeout_s: -1\n        expect:\n          status:\n            - 200\n            - 99\n"
            "      - path: /pay\n        method: POST\n        retries: many\n"
        )
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(path)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 6, result.stdout + result.stderr
        assert [line.removeprefix(f"  - {path}: ") for line in result.stderr.splitlines()[1:]] == [
            "source 'default': timeout_s (line 4): Input should be greater than 0",
            "check 'checkout-smoke' (checks[0], line 6): steps.1.timeout_s (line 14): Input should be greater than 0",
            # The item's own line (before: the list's, line 16, the bad one of many left to be found).
            "check 'checkout-smoke' (checks[0], line 6): steps.1.expect.status.1 (line 18): status 99 is not an HTTP "
            "status (100-599)",
            # The item of the list, where the field it lacks belongs.
            "check 'checkout-smoke' (checks[0], line 6): steps.2.name (line 19): Field required",
            "check 'checkout-smoke' (checks[0], line 6): steps.2.retries (line 21): Input should be a valid integer, "
            "unable to parse string as an integer, got 'many'",
        ]

    def test_a_union_s_tag_names_its_own_line(self, tmp_path):
        # Before: an unknown kind named its check's line alone, and an unknown source type no line at all.
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  default:\n    url: http://prometheus:9090\n    type: prometeus\n"
            "checks:\n- name: a\n  query: up\n  pass_if: '< 1'\n  kind: promethues\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert [problem.split(": ", 1)[1].partition(" (known")[0] for problem in caught.value.problems] == [
            "source 'default': type (line 4): unknown type 'prometeus'",
            "check 'a' (checks[0], line 6): kind (line 9): unknown kind 'promethues'",
        ]
        # A Job's catalog (`only`) validates its check on demand, apart from the service's.
        path.write_text("checks:\n- name: a\n  query: up\n  kind: promethues\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only="a")
        assert caught.value.problems[0].startswith(
            f"{path}: check 'a' (checks[0], line 2): kind (line 4): unknown kind"
        )

    def test_expect_status_names_each_bad_item_s_line(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "checks:\n- name: s\n  kind: http_smoke\n  base_url: http://shop.svc\n  steps:\n  - name: home\n"
            "    path: /\n    expect:\n      status:\n      - 200\n      - 7xx\n      - 204\n      - '2xx-3xx'\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert [problem.split(": ", 2)[2] for problem in caught.value.problems] == [
            "steps.0.expect.status.1 (line 11): status '7xx' is not a code (200), a class (2xx) or a range (200-299)",
            "steps.0.expect.status.3 (line 13): status '2xx-3xx' is not a code (200), a class (2xx) or a range "
            "(200-299)",
        ]

    def test_a_field_on_the_check_s_own_line_names_it_once(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- {name: a, kind: prometheus, query: up, pass_if: '< 1', step: -5}\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert [problem.split(": ", 1)[1] for problem in caught.value.problems] == [
            "check 'a' (checks[0], line 2): step: -5 has no unit: write a duration of whole units such as '30s', '5m' "
            "or '1h30m'"
        ]

    def test_a_field_of_a_later_document_names_its_line_in_the_file(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n---\n---\n"
            'checks:\n- name: b\n  kind: prometheus\n  description: "one\u2028two"\n  pass_if: 5\n  query: up\n'
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert [problem.split(": ", 1)[1] for problem in caught.value.problems] == [
            # Counted as grep counts lines: PyYAML's own count takes the U+2028 for a line break.
            "check 'b' (checks[0], line 5): pass_if (line 8): a condition is a string such as '< 0.01', got 5"
        ]
        # The catalog keeps where each check is as plain text, not the text it was read from.
        path.write_text(path.read_text().replace("pass_if: 5", "pass_if: '< 1'"))
        assert type(load_catalog(path, Registry.default()).origins["b"]) is str

    def test_a_jobs_check_names_its_field_s_line(self, tmp_path):
        # A Job's catalog (`only`) validates the check it runs on demand, apart from the service's.
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- name: a\n  kind: prometheus\n  query: up\n  pass_if: 5\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only="a")
        assert caught.value.problems == [
            f"{path}: check 'a' (checks[0], line 2): pass_if (line 5): a condition is a string such as '< 0.01', got 5"
        ]

    def test_an_index_past_a_written_list_names_the_deepest_line_known(self):
        # A validator may make a list longer than the one written: its line is then the list's.
        origin = catalog_module.Origin("c.yaml")
        origin.text = "checks:\n- name: a\n  steps:\n  - {path: /}\n"
        assert catalog_module._FieldLines().of(origin, ["checks", 0, "steps", 3, "path"]) == 3

    def test_a_configmap_manifest_key_names_no_line(self, tmp_path):
        path = tmp_path / "cm.yaml"
        text = "checks:\n- {name: a, kind: nope}\n"
        manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cat"}, "data": {"c.yaml": text}}
        path.write_text(yaml.safe_dump(manifest))
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert [problem.split(": ")[1] for problem in caught.value.problems] == ["check 'a' (checks[0])"]


class TestLoadFiles:
    """A catalog is a YAML file or a directory of them; hidden entries (ConfigMap internals) are skipped."""

    def test_a_configmap_mounted_with_items_in_subdirectories_loads_whole(self, tmp_path):
        # `items: [{key: sources.yaml, path: sources.yaml}, {key: payments.yaml, path: teams/payments.yaml}]`. Before:
        # the checks under teams/ were never read: the service served none of them, and validate said "ok: 0 checks".
        sources = yaml.safe_dump({"sources": SOURCES})
        root = configmap_items_mount(
            tmp_path / "catalog", {"sources.yaml": sources, "teams/payments.yaml": yaml.safe_dump({"checks": [CHECK]})}
        )
        assert list(load_catalog(root, Registry.default()).checks) == ["error-rate"]
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(root)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("ok: 1 check, 1 source"), result.stdout
        # A problem there names the file by the path the pod sees.
        bad = configmap_items_mount(
            tmp_path / "bad", {"sources.yaml": sources, "teams/payments.yaml": "checks: [{name: x, kind: nope}]\n"}
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(bad, Registry.default())
        assert caught.value.problems[0].startswith(f"{bad / 'teams' / 'payments.yaml'}: check 'x' (checks[0], line 1)")

    def test_a_configmap_mounted_with_analysis_templates_alone_names_what_to_mount(self, tmp_path):
        # Before: one "a Kubernetes AnalysisTemplate, not a catalog: give the catalog's files, or the ConfigMap
        # manifest holding them" per file, advice for a command line, not for a pod's volume; validate then checked
        # the templates against an empty catalog ("the catalog does not have" each check).
        template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "pay"}}
        rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "shop"}}
        text = yaml.safe_dump_all([template, {**template, "metadata": {"name": "ship"}}])
        root = configmap_items_mount(tmp_path / "catalog", {"templates.yaml": text, "teams/r.yaml": yaml.dump(rollout)})
        said = (
            f"{root}: a mounted ConfigMap holding Kubernetes objects, not a catalog (teams/r.yaml: Rollout 'shop'; "
            "templates.yaml: AnalysisTemplate 'pay'; templates.yaml: AnalysisTemplate 'ship'): Argo Rollouts reads "
            "its objects from the cluster (kubectl apply them), and the analyzer reads its catalog (`sources:` and "
            "`checks:`) here; mount the ConfigMap that holds the catalog at this path instead (deploy/base's "
            "`analyzer-catalog`, whose keys are the catalog's files)"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(root, Registry.default())
        assert caught.value.problems == [said]
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(root)], capture_output=True, text=True, timeout=60
        )
        assert (result.returncode, result.stdout, result.stderr) == (6, "", f"analyzer: {said}\n")

    def test_a_configmap_mounted_with_other_objects_names_them_without_argo(self, tmp_path):
        objects = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{n}"}} for n in range(5)]
        root = configmap_items_mount(tmp_path / "catalog", {"svc.yaml": yaml.safe_dump_all(objects)})
        with pytest.raises(ConfigError) as caught:
            load_catalog(root, Registry.default())
        (problem,) = caught.value.problems
        assert "(svc.yaml: Service 's0'; svc.yaml: Service 's1'; svc.yaml: Service 's2'; and 2 more): the " in problem
        assert "Argo" not in problem

    def test_a_configmap_mounted_with_a_catalog_beside_an_object_names_the_object_file(self, tmp_path):
        template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "pay"}}
        sources = yaml.safe_dump({"sources": SOURCES})
        root = configmap_items_mount(tmp_path / "catalog", {"s.yaml": sources, "t.yaml": yaml.safe_dump(template)})
        with pytest.raises(ConfigError) as caught:
            load_catalog(root, Registry.default())
        assert [problem.partition(", not")[0] for problem in caught.value.problems] == [
            f"{root / 't.yaml'}: a Kubernetes AnalysisTemplate"
        ]

    def test_an_object_beside_the_catalog_in_its_directory_says_to_move_it_out(self, tmp_path):
        # Before: "give the catalog's files, or the ConfigMap manifest holding them", though the directory was given,
        # as a ConfigMap made with --from-file=catalog/ gives it; `analyzer validate catalog/` had said ok.
        template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "pay"}}
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"sources": SOURCES, "checks": [CHECK]}))
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template))
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path, Registry.default())
        assert caught.value.problems == [
            f"{tmp_path / 'template.yaml'}: a Kubernetes AnalysisTemplate, not a catalog, in the catalog's directory "
            f"{tmp_path}, every *.yaml of which is read as the catalog's: move it out of that directory (a ConfigMap "
            "made with --from-file=DIR/ takes every file of it: make the catalog's from the catalog's files alone); "
            "`analyzer validate` given the directory checks such a file beside the catalog instead"
        ]
        # Given alone, as a file, it is said as before.
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path / "template.yaml", Registry.default())
        assert caught.value.problems[0].endswith("(`analyzer validate` also skips other objects of a directory)")

    def test_a_configmap_manifest_beside_the_catalog_in_its_directory_is_catalog_text(self, tmp_path):
        # A ConfigMap manifest holds catalog files: read as them, not held back as an object to move out.
        catalog = {"catalog.yaml": yaml.safe_dump({"checks": [CHECK]})}
        manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "analyzer-catalog"}, "data": catalog}
        (tmp_path / "configmap.yaml").write_text(yaml.safe_dump(manifest))
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": SOURCES}))
        assert list(load_catalog(tmp_path, Registry.default()).checks) == ["error-rate"]
        (tmp_path / "sources.yaml").unlink()
        manifest["data"]["sources.yaml"] = yaml.safe_dump({"sources": SOURCES})
        (tmp_path / "configmap.yaml").write_text(yaml.safe_dump(manifest))
        assert list(load_catalog(tmp_path, Registry.default()).checks) == ["error-rate"]

    def test_a_plain_directory_of_objects_alone_is_no_mounted_configmap(self, tmp_path):
        # Only a mount (`..data`) is said to be the wrong ConfigMap; a directory given says each object as a file does.
        template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "pay"}}
        (tmp_path / "template.yaml").write_text(yaml.safe_dump(template))
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path, Registry.default())
        assert caught.value.problems == [
            f"{tmp_path / 'template.yaml'}: a Kubernetes AnalysisTemplate, not a catalog: give the catalog's files, or "
            "the ConfigMap manifest holding them (`analyzer validate` also skips other objects of a directory)"
        ]

    def test_directory_merges_files(self, tmp_path):
        (tmp_path / "a.yaml").write_text("sources:\n  default: {type: prometheus, url: 'http://127.0.0.1:9'}\n")
        (tmp_path / "b.yml").write_text("checks:\n- {name: x, kind: prometheus, query: up, pass_if: '> 0'}\n")
        (tmp_path / "..data").mkdir()
        (tmp_path / "..data" / "c.yaml").write_text("not: [valid")
        (tmp_path / "notes.txt").write_text("ignored")
        catalog = load_catalog(tmp_path, Registry.default())
        assert list(catalog.checks) == ["x"]
        assert set(catalog.sources) == {"default"}

    def test_version_follows_content(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("sources: {default: {url: 'http://127.0.0.1:9'}}\ncheckS: []\n".replace("checkS", "checks"))
        first = load_catalog(path, Registry.default()).version
        path.write_text(path.read_text() + "\n# a comment\n")
        assert load_catalog(path, Registry.default()).version != first

    @pytest.mark.parametrize("text", ["", "# nothing yet\n", "checks: []\n"])
    def test_a_catalog_without_checks_loads_with_a_warning(self, tmp_path, text):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        catalog = load_catalog(path, Registry.default())
        assert catalog.warnings == [f"{path}: the catalog has no checks (an empty or truncated file?)"]

    def test_duplicate_yaml_keys_are_an_error(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- {name: x, kind: prometheus, query: up, pass_if: '> 0', pass_if: '< 0'}\n")
        with pytest.raises(ConfigError, match="duplicate key 'pass_if'"):
            load_catalog(path, Registry.default())

    @staticmethod
    def pass_if_problems(tmp_path, value: str) -> list[str]:
        """The problems of a catalog whose one check's `pass_if` is written `value`, its file named F."""
        path = tmp_path / "c.yaml"
        path.write_text(f"checks:\n- name: x\n  kind: prometheus\n  query: up\n  pass_if: {value}\n")
        return [problem.replace(str(path), "F") for problem in problems_of_file(path)]

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            ("!!bool maybe", "!!bool cannot read 'maybe': write true or false"),
            ("!!int abc", "!!int cannot read 'abc': write a whole number such as 3"),
            ("!!float 1x", "!!float cannot read '1x': write a number such as 0.5"),
            # Before: PyYAML read it as null, dropping `foo`, and the condition was refused as "got None".
            ("!!null foo", "!!null cannot read 'foo': write null, ~ or nothing"),
        ],
    )
    def test_a_tag_that_cannot_read_its_text_says_what_it_takes(self, tmp_path, value, problem):
        # Before: PyYAML's KeyError or ValueError escaped the loader, a crash naming no file or line; then "write a
        # value of that type", which named no value.
        text = value.split()[1]
        assert self.pass_if_problems(tmp_path, value) == [
            f"F: invalid YAML at line 5, column 12: {problem}, or, to keep the text, quote it without the tag: '{text}'"
        ]

    @pytest.mark.parametrize("value", ["!!null", "!!null ~", "!!null NULL"])
    def test_a_null_tag_reads_a_null(self, tmp_path, value):
        assert self.pass_if_problems(tmp_path, value) == [
            "F: check 'x' (checks[0], line 2): pass_if (line 5): a condition is a string such as '< 0.01', got None"
        ]

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            ("!!binary aGk=", "!!binary reads binary data"),
            ("!!timestamp 2024-01-01", "!!timestamp reads a date and time"),
            ("!!timestamp soon", "!!timestamp reads a date and time"),
        ],
    )
    def test_a_tag_of_a_value_no_field_takes_is_refused_where_it_is_written(self, tmp_path, value, problem):
        # Before: `!!binary aGk=` reached pass_if as b'hi' and `!!timestamp 2024-01-01` as datetime.date(2024, 1, 1),
        # refused in Python's words naming no line; `!!timestamp soon` was told to "write a value of that type".
        text = value.split()[1]
        assert self.pass_if_problems(tmp_path, value) == [
            f"F: invalid YAML at line 5, column 12: {problem}, which no field of a catalog takes: to keep the text, "
            f"quote it without the tag: '{text}'"
        ]

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            ("!!set {a, b}", "!!set reads a set (keys without values, in no order)"),
            ("!!omap [a: 1, b: 2]", "!!omap reads an ordered mapping as a list of pairs"),
            ("!!pairs [a: 1, a: 2]", "!!pairs reads a list of pairs"),
        ],
    )
    def test_a_collection_tag_no_field_takes_is_refused_where_it_is_written(self, tmp_path, value, problem):
        # Before: they reached the fields, refused there as a list where a condition goes, or taken: an enum's
        # `values: !!set {a, b}` loaded, its values in an order Python's hashing chose.
        assert self.pass_if_problems(tmp_path, value) == [
            f"F: invalid YAML at line 5, column 12: {problem}, which no field of a catalog takes: write a list of `- ` "
            "items or a mapping of `key: value` lines, without the tag"
        ]

    def test_a_set_of_enum_values_is_refused_at_its_line(self, tmp_path):
        # Before: exit 0, the enum's values a Python set.
        path = tmp_path / "c.yaml"
        path.write_text(
            "checks:\n- name: x\n  kind: prometheus\n  query: up{h=\"{{ h }}\"}\n  pass_if: '> 0'\n  params:\n"
            "    h:\n      type: enum\n      required: true\n      values: !!set\n        ? a\n        ? b\n"
        )
        assert [problem.replace(str(path), "F") for problem in problems_of_file(path)] == [
            "F: invalid YAML at line 10, column 15: !!set reads a set (keys without values, in no order), which no "
            "field of a catalog takes: write a list of `- ` items or a mapping of `key: value` lines, without the tag"
        ]

    @pytest.mark.parametrize(
        ("value", "tag", "advice"),
        [
            # A condition written unquoted: YAML reads its `!=` as a tag, and `0` alone is no condition.
            ("!= 0", "!=", "to write the text, quote it: '!= 0'"),
            ("!foo bar", "!foo", "to write the text, quote it: '!foo bar'; or write the value without the tag: 'bar'"),
            (
                "!foo it's",
                "!foo",
                "to write the text, quote it: '!foo it''s'; or write the value without the tag: 'it''s'",
            ),
            ("!Ref {a: 1}", "!Ref", "write the value without the tag"),
        ],
    )
    def test_a_tag_the_catalog_does_not_read_says_what_to_write(self, tmp_path, value, tag, advice):
        # Before: "could not determine a constructor for the tag '!foo'", which named the tag but not what to write.
        assert self.pass_if_problems(tmp_path, value) == [
            f"F: invalid YAML at line 5, column 12: {tag} is read as a YAML tag (an unquoted value that starts with ! "
            "starts with one), and a catalog reads only YAML's own (!!str, !!int, !!float, !!bool, !!null, !!seq, "
            f"!!map): {advice}"
        ]

    def test_a_merge_key_is_not_advised_as_a_tag_to_quote(self, tmp_path):
        # `<<` wrote no tag: it was told "!!merge is read as a YAML tag ... quote it: '<<'", and a quoted '<<' is an
        # unknown field.
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- &d {name: y, kind: prometheus, query: up, pass_if: '< 1'}\n- <<: *d\n  name: x\n")
        assert [problem.replace(str(path), "F") for problem in problems_of_file(path)] == [
            "F: invalid YAML at line 3, column 3: a catalog does not read YAML merge keys (<<): write the keys of the "
            "mapping it merges out here, or alias a whole value (params: *shared)"
        ]

    def test_a_bare_equals_sign_is_not_said_to_start_with_a_bang(self, tmp_path):
        # YAML 1.1 reads a bare `=` as its value key (!!value): it was told "!!value is read as a YAML tag (an
        # unquoted value that starts with ! starts with one)", of a value without any !.
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- {name: y, kind: prometheus, query: up, pass_if: '< 1', description: =}\n")
        assert [problem.replace(str(path), "F") for problem in problems_of_file(path)] == [
            "F: invalid YAML at line 2, column 71: a bare = is read by YAML as its value key (!!value), not as text: "
            "quote it: '='"
        ]

    def test_a_duplicate_key_names_the_line_of_the_first(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- name: x\n  kind: prometheus\n  query: up\n  pass_if: '> 0'\n  query: down\n")
        assert problems_of_file(path) == [
            f"{path}: invalid YAML at line 6, column 3: duplicate key 'query' (also at line 4)"
        ]

    def test_a_duplicate_key_inside_a_check_gets_no_advice_for_a_file(self, tmp_path):
        # Only a top-level `checks:`/`sources:` twice is a file appended to another.
        path = tmp_path / "c.yaml"
        for key in ("checks", "sources"):
            path.write_text(f"checks:\n- name: x\n  kind: prometheus\n  {key}: a\n  {key}: b\n")
            assert problems_of_file(path) == [
                f"{path}: invalid YAML at line 5, column 3: duplicate key {key!r} (also at line 4)"
            ]

    def test_a_check_file_appended_to_a_catalog_says_where_its_checks_go(self, tmp_path):
        # `cat my-first-check.yaml >> .demo/catalog.yaml`: "duplicate key 'sources'" alone said neither where the
        # first is nor what to do with the second.
        first = (
            "sources:\n  default: {url: 'http://127.0.0.1:9'}\n"
            "checks:\n- {name: x, kind: prometheus, query: up, pass_if: '> 0'}\n"
        )
        path = tmp_path / "c.yaml"
        path.write_text(first + first.replace("name: x", "name: y"))
        assert problems_of_file(path) == [
            f"{path}: invalid YAML at line 5, column 1: duplicate key 'sources' (also at line 1): a file has one "
            "`sources:`, and a source is defined once; leave out the sources written here that the first `sources:` "
            "defines, and move the others under it"
        ]
        path.write_text(first + first.replace("name: x", "name: y").split("\n", 2)[2])
        assert problems_of_file(path) == [
            f"{path}: invalid YAML at line 5, column 1: duplicate key 'checks' (also at line 3): a file has one "
            "`checks:`; move the checks written here under the first (without this `checks:` line), or start a "
            "YAML document of their own with a `---` line before it"
        ]
        # Following either advice loads both checks.
        path.write_text(first + "---\n" + first.replace("name: x", "name: y").split("\n", 2)[2])
        assert list(load_catalog(path, Registry.default()).checks) == ["x", "y"]
        path.write_text(first + first.replace("name: x", "name: y").split("\n", 3)[3])
        assert list(load_catalog(path, Registry.default()).checks) == ["x", "y"]

    def test_a_field_a_block_took_in_is_named_with_its_block(self, tmp_path):
        # `pass_if` indented as deep as the query's lines is a line of the query: "Field required" alone sent the
        # reader looking for a pass_if that is there.
        path = tmp_path / "c.yaml"
        path.write_text(
            "checks:\n- name: a\n  kind: prometheus\n  description: d\n  query: |\n    sum(rate(x[5m]))\n"
            '    pass_if: "< 1"\n'
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert caught.value.problems == [
            f"{path}: check 'a' (checks[0], line 2): pass_if: Field required; the text of query holds a line "
            "`pass_if:`, indented as deep as the lines of its `|` block, which took it in: indent pass_if as query is"
        ]

    @pytest.mark.parametrize(
        ("fail_if", "pass_if"),
        [
            ("> 0.5", "<= 0.5"),
            (">= 0.5", "< 0.5"),
            ("< 0.99", ">= 0.99"),
            ("<= 10", "> 10"),
            ("== 0", "!= 0"),
            ("!= 1", "== 1"),
            ("outside 0.9 and 1.1", "between 0.9 and 1.1"),
            ("between 0 and 2", "outside 0 and 2"),
            # Its bound as written: 6 significant digits wrote `<= 1.04858e+06`, which passes 1048577 to 1048580.
            ("> 1048576", "<= 1048576"),
            ("> 0.123456789", "<= 0.123456789"),
        ],
    )
    def test_a_fail_if_without_pass_if_names_the_pass_if_to_write(self, fail_if, pass_if):
        # Argo's failureCondition habit: "fail above 0.5" written as fail_if alone got "pass_if: Field required",
        # which says neither why nor what to write.
        check = {k: v for k, v in CHECK.items() if k != "pass_if"} | {"fail_if": fail_if}
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})]) == [
            f"c.yaml: check 'error-rate' (checks[0]): pass_if: Field required; only a value meeting pass_if passes, "
            f'fail_if says what fails: for "fail when {fail_if}, else pass" write pass_if: "{pass_if}", and leave '
            "fail_if out (a value not meeting pass_if fails)"
        ]

    @pytest.mark.parametrize("fail_if", ["> 50%", None])
    def test_a_missing_pass_if_beside_a_fail_if_that_is_no_condition_is_told_as_before(self, fail_if):
        check = {k: v for k, v in CHECK.items() if k != "pass_if"} | ({} if fail_if is None else {"fail_if": fail_if})
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})])
        assert (
            "c.yaml: check 'error-rate' (checks[0]): pass_if: Field required; a bound is written with the comparison "
            'a passing value meets, quoted: pass_if: "< 0.01"' in problems
        )
        assert not [problem for problem in problems if "only a value meeting pass_if" in problem]

    def test_invalid_yaml_names_the_file(self, tmp_path):
        path = tmp_path / "broken.yaml"
        path.write_text("checks: [")
        with pytest.raises(ConfigError, match=r"broken\.yaml: invalid YAML"):
            load_catalog(path, Registry.default())

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            (
                "checks:\n- name: a\n  kind: prometheus\n   pass_if: '< 1'\n",
                "invalid YAML at line 4, column 11: mapping values are not allowed here (a value holding ': ' needs "
                "quotes; or this line is indented deeper than the key above it)",
            ),
            (
                "checks:\n- name: a\n\tkind: prometheus\n",
                "invalid YAML at line 3, column 1: found character '\\t' that cannot start any token "
                "(YAML indents with spaces, not tabs)",
            ),
            (
                "checks:\n- name: a\n  pass_if: > 0.5\n",
                "invalid YAML at line 3, column 14: while scanning a block scalar (line 3); expected a comment or a "
                "line break, but found '0' (a value that starts with > or | starts a YAML block: quote it, as in "
                'pass_if: "> 0.5")',
            ),
            (
                "checks:\n- name: a\n  query: |\n  sum(rate(x[5m]))\n    / sum(rate(y[5m]))\n",
                "invalid YAML at line 6, column 1: while scanning a simple key (line 4); could not find expected ':' "
                "(a line here is no `key: value`: are the lines of a `|` block above indented deeper than its key, or "
                "a `:` left out?)",
            ),
        ],
    )
    def test_invalid_yaml_names_the_line_on_one_line(self, tmp_path, text, problem):
        # The last case is `pass_if: > 0.5` unquoted, the mistake the kind pages warn about.
        path = tmp_path / "broken.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert caught.value.problems == [f"{path}: {problem}"]

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            (
                "checks:\n- name: a\n  params:\n    h: {type: label_value, pattern: [0-9a-z]{1,16}}\n",
                "line 4, column 45: while parsing a flow mapping (line 4); expected ',' or '}', but got '{'",
            ),
            (
                "checks:\n- name: a\n  params:\n    h:\n      pattern: [0-9a-z]{1,16}\n",
                "line 5, column 24: while parsing a block mapping (line 5); expected <block end>, but found '{'",
            ),
            (
                "checks:\n- name: a\n  params:\n    h: {type: label_value, pattern: [a-f0-9]*, required: true}\n",
                "line 4, column 46: while scanning an alias (line 4); expected alphabetic or numeric character, but "
                "found ','",
            ),
        ],
    )
    def test_an_unquoted_regex_is_told_to_be_quoted(self, tmp_path, text, where):
        # Before: the parser's words alone, and for the block mapping a hint on indentation, which was wrong.
        path = tmp_path / "broken.yaml"
        path.write_text(text)
        assert problems_of_file(path) == [
            f"{path}: invalid YAML at {where} (a value holding [ ] {{ }} , * & or # is read as YAML: quote it, as in "
            'pattern: "[0-9a-z]{1,16}" or query: \'sum(up{job="api"})\')'
        ]

    def test_missing_path(self, tmp_path):
        with pytest.raises(ConfigError, match="does not exist"):
            load_catalog(tmp_path / "nope.yaml", Registry.default())

    def test_empty_directory(self, tmp_path):
        with pytest.raises(ConfigError, match=r"no \*\.yaml"):
            load_catalog(tmp_path, Registry.default())


def problems_of_file(path):
    with pytest.raises(ConfigError) as caught:
        load_catalog(path, Registry.default())
    return caught.value.problems


def nested_aliases(levels: int) -> str:
    """A check whose description holds `levels` lists, each of nine aliases of the list before, over nine strings."""
    lists = ['  - &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lists += [f"  - &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "checks:\n- name: x\n  kind: prometheus\n  query: up\n  pass_if: '> 0'\n  description:\n" + "\n".join(lists)


class TestYAMLThatExpands:
    """Aliases that expand a document without bound, or refer to what holds them, collections nested past what
    the parser reads, and files past the catalog's size bound are refused naming the file, before parsing or a
    walk of the data could take the service's time and memory."""

    def test_nested_aliases_are_refused(self, tmp_path):
        # 9 ** 6 strings once expanded: without the bound every walk of the data (validation, the error quoting
        # the value) went through all of them; nine levels took hours and gigabytes.
        path = tmp_path / "bomb.yaml"
        path.write_text(nested_aliases(5))
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        (problem,) = caught.value.problems
        assert problem.startswith(f"{path}: invalid YAML at line ")
        assert re.search(r"its aliases expand it by \d{6} nodes, more than the 400000 allowed", problem)

    def test_aliases_that_repeat_a_block_load(self, tmp_path):
        path = tmp_path / "c.yaml"
        shared = "  params: &p {h: {type: label_value, required: true}}\n"
        text = "checks:\n" + "".join(
            f"- name: c{k}\n  kind: prometheus\n  query: 'up{{pod=\"{{{{ h }}}}\"}}'\n  pass_if: '> 0'\n"
            + (shared if k == 0 else "  params: *p\n")
            for k in range(50)
        )
        path.write_text("sources: {default: {url: 'http://127.0.0.1:9'}}\n" + text)
        assert len(load_catalog(path, Registry.default()).checks) == 50

    def test_a_block_shared_by_thousands_of_checks_is_read(self, tmp_path):
        # 3,000 aliases of four params (123,000 nodes as copies): a catalog of 3,000 checks sharing its params
        # block, 560 kB, which fits a ConfigMap. Before: refused as a billion laughs (the bound was 100,000).
        block = ", ".join(
            f"p{k}: {{type: label_value, required: true, example: e{k}, description: d{k}}}" for k in range(4)
        )
        path = tmp_path / "c.yaml"
        path.write_text(f"x-params: &p {{{block}}}\nx-uses: [{', '.join(['*p'] * 3000)}]\n")
        assert problems_of_file(path) == [
            f"{path}: x-params (line 1): unknown field (the fields here: sources, checks)",
            f"{path}: x-uses (line 2): unknown field (the fields here: sources, checks)",
        ]

    @pytest.mark.parametrize(("bound", "refused"), [(7, True), (8, False)])
    def test_the_bound_counts_the_nodes_aliases_add(self, tmp_path, monkeypatch, bound, refused):
        # The list of three strings written once and aliased twice: read as copies, 2 x 4 nodes more.
        monkeypatch.setattr(catalog_module, "MAX_ALIAS_EXPANSION_NODES", bound)
        path = tmp_path / "c.yaml"
        path.write_text("x-a: &a [x, x, x]\nx-b: [*a, *a]\n")
        expanded = f"{path}: invalid YAML at line 1, column 1: its aliases expand it by 8 nodes, more than the {bound}"
        assert any(problem.startswith(expanded) for problem in problems_of_file(path)) is refused

    @pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "checks:\n- &c {name: x, kind: prometheus, more: *c}\n"])
    def test_an_alias_inside_what_it_names_is_refused(self, tmp_path, text):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        with pytest.raises(
            ConfigError,
            match=r"c\.yaml: invalid YAML at line \d+, column \d+: an alias refers to a node that contains it",
        ):
            load_catalog(path, Registry.default())

    def test_files_past_the_size_bound_are_not_read(self, tmp_path):
        # 4.7 MB of checks took 20 s and 230 MB to load; a larger file mounted by mistake took the pod's memory.
        (tmp_path / "a.yaml").write_text("checks: []\n" + "#" * (MAX_CATALOG_BYTES - 100) + "\n")
        (tmp_path / "b.yaml").write_text("checks: []\n" + "#" * 200 + "\n")
        (tmp_path / "c.yaml").write_text("checks: [")
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path, Registry.default())
        assert caught.value.problems == [
            f"{tmp_path / 'b.yaml'}: not read: the catalog's files reach {MAX_CATALOG_BYTES + 124} bytes with it, "
            f"over the {MAX_CATALOG_BYTES} a catalog may hold (a ConfigMap holds at most 1 MiB): is it a catalog?"
        ]

    def test_collections_nested_too_deeply_are_named(self, tmp_path):
        path = tmp_path / "deep.yaml"
        path.write_text("checks: " + "[" * 5000 + "]" * 5000 + "\n")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert caught.value.problems == [f"{path}: invalid YAML: collections nested too deeply to read"]


class TestConfigMapManifest:
    """A ConfigMap manifest holding the catalog loads like the directory it mounts as, so CI can validate it."""

    def write(self, tmp_path, data, name="analyzer-catalog"):
        path = tmp_path / "configmap.yaml"
        path.write_text(
            yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
        )
        return path

    def test_yaml_keys_are_catalog_documents(self, tmp_path):
        path = self.write(
            tmp_path,
            {
                "sources.yaml": yaml.safe_dump({"sources": SOURCES}),
                "checks.yml": yaml.safe_dump({"checks": [CHECK]}),
                "README.txt": "not a catalog file, skipped like in the mounted directory",
            },
        )
        catalog = load_catalog(path, Registry.default())
        assert list(catalog.checks) == ["error-rate"]
        assert set(catalog.sources) == {"default"}
        assert catalog.origins["error-rate"].startswith(f"{path}:analyzer-catalog/checks.yml")

    def test_problems_name_the_configmap_key(self, tmp_path):
        path = self.write(
            tmp_path,
            {"checks.yaml": yaml.safe_dump({"checks": [{**CHECK, "pass_if": "<< 1"}]}), "broken.yaml": "checks: ["},
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert any(p.startswith(f"{path}:analyzer-catalog/broken.yaml: invalid YAML") for p in caught.value.problems)

    def test_a_configmap_without_catalog_keys_is_a_problem(self, tmp_path):
        with pytest.raises(ConfigError, match=r"ConfigMap 'other' has no data key ending in \.yaml or \.yml"):
            load_catalog(self.write(tmp_path, {"app.properties": "a=b"}, name="other"), Registry.default())

    def test_another_kubernetes_object_is_one_problem_naming_its_kind(self, tmp_path):
        (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"sources": SOURCES, "checks": [CHECK]}))
        (tmp_path / "deployment.yaml").write_text(
            yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {}})
        )
        # Its files given (a directory's: TestLoadFiles).
        with pytest.raises(ConfigError) as caught:
            load_catalog([tmp_path / "catalog.yaml", tmp_path / "deployment.yaml"], Registry.default())
        assert caught.value.problems == [
            f"{tmp_path / 'deployment.yaml'}: a Kubernetes Deployment, not a catalog: give the catalog's files, or "
            "the ConfigMap manifest holding them (`analyzer validate` also skips other objects of a directory)"
        ]

    def test_the_shipped_catalog_configmap_validates(self):
        # For GitOps CI the catalog is this manifest; it failed with "apiVersion: Extra inputs are not permitted".
        catalog = load_catalog(Path(__file__).parents[2] / "deploy/base/configmap-catalog.yaml", Registry.default())
        assert catalog.checks


class TestProblems:
    """Every problem is reported at once and names the file, the check and the field."""

    def test_field_error_names_file_check_and_field(self):
        problems = problems_of([("cat.yaml", {"sources": SOURCES, "checks": [{**CHECK, "pass_if": "<< 1"}]})])
        assert problems == [f"cat.yaml: check 'error-rate' (checks[0]): pass_if: {problems[0].split('pass_if: ')[1]}"]
        assert "'<< 1' is not a condition" in problems[0]

    def test_all_problems_at_once(self):
        problems = problems_of(
            [
                (
                    "cat.yaml",
                    {
                        "sources": SOURCES,
                        "checks": [
                            {**CHECK, "pass_if": "bad"},
                            {**CHECK, "name": "b", "typo_field": 1},
                            {"name": "c", "kind": "nope"},
                            {"name": "d"},
                        ],
                    },
                )
            ]
        )
        assert len(problems) == 4
        assert "typo_field: unknown field (the fields here: kind, name, description, params" in problems[1]
        assert "unknown kind 'nope' (known: " in problems[2]
        assert "missing `kind`" in problems[3]

    def test_malformed_entries_name_the_kind_problem_and_the_field_inside_the_kind(self):
        known = f"(known: {', '.join(repr(name) for name in Registry.default().names)})"
        problems = problems_of(
            [
                (
                    "t",
                    {
                        "sources": SOURCES,
                        "checks": [
                            "foo",
                            None,
                            {"kind": 5, "name": "a"},
                            {"kind": ["x"], "name": "c"},
                            {"kind": "Prometheus", "name": "j"},
                            {"name": "e"},
                            {"kind": "prometheus", "name": "f", "query": "up"},
                            {"kind": "composite", "name": "i", "members": [{"check": "f", "args": {"a": [1]}}]},
                        ],
                    },
                )
            ]
        )
        assert problems == [
            "t: checks[0]: Input should be a valid dictionary or object to extract fields from",
            "t: checks[1]: Input should be a valid dictionary or object to extract fields from",
            f"t: check 'a' (checks[2]): kind: unknown kind 5 {known}",
            f"t: check 'c' (checks[3]): kind: unknown kind ['x'] {known}",
            f"t: check 'j' (checks[4]): kind: unknown kind 'Prometheus' {known}; did you mean 'prometheus'?",
            f"t: check 'e' (checks[5]): missing `kind` {known}",
            "t: check 'f' (checks[6]): pass_if: Field required; a bound is written with the comparison a passing "
            'value meets, quoted: pass_if: "< 0.01"',
            "t: check 'i' (checks[7]): members.0.args.a.str: Input should be a valid string",
            "t: check 'i' (checks[7]): members.0.args.a.float: Input should be a valid number",
        ]

    def test_duplicate_check_names_across_files(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK]}), ("b.yaml", {"checks": [CHECK]})])
        assert problems == [
            "b.yaml: check 'error-rate' (checks[0]): duplicate check name, also defined in a.yaml (checks[0])"
        ]

    def test_conflicting_sources_across_files(self):
        other = {"default": {"type": "prometheus", "url": "http://127.0.0.1:10"}}
        problems = problems_of([("a.yaml", {"sources": SOURCES}), ("b.yaml", {"sources": other})])
        # Before: nothing said which fields differ, nor what to write.
        assert problems == [
            "b.yaml: source 'default' is also defined, differently (url), in a.yaml: the catalog's files share one "
            "set of sources, which their checks read by name; define it in one file only (a team's file of a "
            "ConfigMap needs no sources of its own), or write it the same in both"
        ]

    def test_identical_sources_across_files_are_one(self):
        # Written once with and once without the optional `type`: the same source.
        same = {"default": {"url": "http://127.0.0.1:9"}}
        catalog = build_catalog(
            [("a.yaml", {"sources": SOURCES, "checks": [CHECK]}), ("b.yaml", {"sources": same})], Registry.default()
        )
        assert list(catalog.sources) == ["default"]

    def test_a_check_name_with_dot_dot_says_that_is_why(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "name": "a..b"}]})])
        assert problems == [
            "a.yaml: check 'a..b' (checks[0]): name: check name 'a..b' must be 1-128 of [A-Za-z0-9._-], starting "
            "with a letter or digit, without '..'"
        ]

    def test_unknown_source(self):
        problems = problems_of([("a.yaml", {"checks": [{**CHECK, "source": "thanos"}]})])
        assert problems == [
            "a.yaml: check 'error-rate': source 'thanos' is not defined in `sources` (defined: none); add it to a "
            "catalog file: `sources: {thanos: {url: http://prometheus.monitoring:9090}}` with your Prometheus' address"
        ]

    def test_bad_source(self):
        problems = problems_of([("a.yaml", {"sources": {"default": {"type": "prometheus", "url": "prometheus:9090"}}})])
        assert "a.yaml: source 'default': url:" in problems[0]

    def test_unknown_top_level_key(self):
        assert problems_of([("a.yaml", {"check": []})]) == ["a.yaml: check: unknown field; did you mean 'checks'?"]

    def test_document_not_a_mapping(self):
        assert problems_of([("a.yaml", ["x"])]) == ["a.yaml: expected a mapping with `sources` and `checks`, got list"]

    @pytest.mark.parametrize("name", ["../etc", "a/b", "", "-x", "a b", "x" * 200, "a..b"])
    def test_check_names_are_url_safe(self, name):
        assert "name:" in problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "name": name}]})])[0]

    @pytest.mark.parametrize("param", ["at", "explain", "format", "Bad-Name"])
    def test_reserved_or_invalid_param_names(self, param):
        check = {**CHECK, "params": {param: {"type": "number", "default": 1}}}
        assert "params" in problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])[0]


class TestMisspeltFields:
    """A misspelt or misplaced field names the field it most likely meant, wherever it is in the catalog."""

    def test_in_a_check(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "descripton": "x"}]})])
        assert problems == [
            "a.yaml: check 'error-rate' (checks[0]): descripton: unknown field; did you mean 'description'?"
        ]

    def test_in_a_param(self):
        check = {**CHECK, "params": {"svc": {"type": "label_value", "requred": True}}}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert problems == [
            "a.yaml: check 'error-rate' (checks[0]): params.svc.requred: unknown field; did you mean 'required'?"
        ]

    def test_in_a_source(self):
        sources = {"default": {"url": "http://127.0.0.1:9", "timout_s": 3}}
        problems = problems_of([("a.yaml", {"sources": sources, "checks": [CHECK]})])
        assert problems == ["a.yaml: source 'default': timout_s: unknown field; did you mean 'timeout_s'?"]

    def test_nothing_close_lists_the_fields(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "limit": 0.01}]})])
        assert problems == [
            "a.yaml: check 'error-rate' (checks[0]): limit: unknown field (the fields here: kind, name, "
            "description, params, deadline_s, no_data, skip_promql_parse, source, query, pass_if, fail_if, range, "
            "step, over_time, min_samples, reduce, each, optional_metrics)"
        ]

    def test_in_a_model_that_is_one_member_of_a_union(self):
        # pydantic puts the member (`VariantQueries` of `str | VariantQueries`) in the location.
        check = {"name": "kpi", "kind": "kpi_compare", "method": "ratio", "canary": {"qury": "x"}, "baseline": "y"}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert "canary.VariantQueries.qury: unknown field; did you mean 'query'?" in "\n".join(problems), problems

    def test_a_composite_member_written_as_a_bare_name(self):
        composite = {"name": "card", "kind": "composite", "mode": "all", "members": ["error-rate"]}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert problems == [
            "a.yaml: check 'card' (checks[1]): members.0: expected a mapping of check, args, weight, critical, "
            "got 'error-rate'"
        ]

    def test_a_duration_without_its_unit(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "range": 10}]})])
        assert problems == [
            "a.yaml: check 'error-rate' (checks[0]): range: 10 has no unit: write a duration such as '10s' or '10m'"
        ]

    def test_what_was_written_instead_of_a_mapping_is_quoted_clipped(self):
        # The problem goes to the log and /readyz: a pasted block of 3000 characters is not repeated whole.
        composite = {"name": "card", "kind": "composite", "mode": "all", "members": ["x" * 3000]}
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert problem.startswith(
            "a.yaml: check 'card' (checks[1]): members.0: expected a mapping of check, args, weight, critical, "
            "got 'xxxxx"
        )
        assert problem.endswith("...") and len(problem) < 300, problem

    @pytest.mark.parametrize("number", [10, 10.0, 2.5, 0, -5, float("inf")])
    def test_the_durations_suggested_for_a_bare_number_are_valid(self, number):
        # Following the advice must give a catalog that loads: '2.5s', '10.0s' and '0s' were suggested before.
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "range": number}]})])
        suggested = re.findall(r"'([^']*)'", problem.split("has no unit", 1)[1])
        assert suggested, problem
        for duration in suggested:
            catalog = build_catalog(
                [("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "range": duration}]})], Registry.default()
            )
            assert catalog.get("error-rate").range == duration

    def test_a_job_validating_one_check_says_the_same(self):
        documents = [("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "descripton": "x"}]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="error-rate").get("error-rate")
        assert caught.value.problems == [
            "a.yaml: check 'error-rate' (checks[0]): descripton: unknown field; did you mean 'description'?"
        ]


class TestAFirstCheckWrittenFromHabit:
    """A first check written as another tool writes its checks is refused naming the field or kind to write."""

    KNOWN = f"(known: {', '.join(repr(name) for name in Registry.default().names)})"
    EXAMPLES = [
        (path, check)
        for path in sorted((Path(__file__).parents[2] / "deploy").rglob("catalog*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        for check in (document or {}).get("checks", [])
    ]

    @pytest.mark.parametrize(("path", "check"), EXAMPLES, ids=[f"{p.name}:{c['name']}" for p, c in EXAMPLES])
    def test_a_check_without_its_kind_names_the_kind_its_fields_fit(self, path, check):
        # Before: "missing `kind`", naming neither the kinds nor the one the fields written belong to.
        unkinded = {key: value for key, value in check.items() if key != "kind"}
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [unkinded]})])
        assert problems == [
            f"c.yaml: check {check['name']!r} (checks[0]): missing `kind` {self.KNOWN}; its fields are a "
            f"{check['kind']} check's: write kind: {check['kind']}"
        ]

    def test_a_check_without_its_kind_whose_fields_fit_none_or_several_names_them_all(self):
        for unkinded in ({"name": "a", "query": "up", "pass_if": "< 1", "descripton": "x"}, {"name": "a"}):
            assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [unkinded]})]) == [
                f"c.yaml: check 'a' (checks[0]): missing `kind` {self.KNOWN}"
            ]

    @pytest.mark.parametrize(
        ("written", "meant"),
        [
            ("promql", "prometheus"),
            ("PromQL", "prometheus"),
            ("query", "prometheus"),
            ("slo", "error_budget"),
            ("burn-rate", "error_budget"),
            ("scorecard", "composite"),
        ],
    )
    def test_a_kind_named_after_what_it_reads_names_the_kind(self, written, meant):
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [{**CHECK, "kind": written}]})])
        assert problems == [
            f"c.yaml: check 'error-rate' (checks[0]): kind: unknown kind {written!r} {self.KNOWN}; "
            f"did you mean {meant!r}?"
        ]

    def test_a_kind_no_installed_package_provides_says_how_a_plugin_kind_is_installed(self):
        # Before: "unknown kind 'series_count' (known: ...)" alone, where the plugin was installed on the laptop that
        # wrote the catalog but not in the environment validating it: nothing said what makes a kind known.
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [{**CHECK, "kind": "series_count"}]})])
        assert problems == [
            f"c.yaml: check 'error-rate' (checks[0]): kind: unknown kind 'series_count' {self.KNOWN}; a kind of "
            "your own is known once its package, registering 'series_count' in the entry-point group "
            "analyzer.checks, is installed in the same Python environment as analyzer (pip install YOUR-PACKAGE; "
            "in the image too): see Writing a check kind"
        ]

    def test_an_unknown_source_type_draws_no_plugin_advice(self):
        # Plugins add kinds, not source types: the advice would send its reader installing a package for nothing.
        sources = {"default": {"type": "influxdb", "url": "http://127.0.0.1:9"}}
        (problem,) = problems_of([("c.yaml", {"sources": sources, "checks": [CHECK]})])
        assert "unknown type 'influxdb'" in problem
        assert "entry-point group" not in problem

    @pytest.mark.parametrize("written", ["weighted", "Weighted", "weights"])
    def test_a_weighted_scorecard_s_mode_names_score(self, written):
        # Before: "Input should be 'all', 'any' or 'score', got 'weighted'", which left the weighted one to be guessed.
        composite = {
            "name": "gate",
            "kind": "composite",
            "mode": written,
            "pass_score": 80,
            "members": [{"check": "x"}],
        }
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert problems == [
            f"c.yaml: check 'gate' (checks[1]): mode: Input should be 'all', 'any' or 'score', got {written!r}; "
            "did you mean 'score'?"
        ]

    @pytest.mark.parametrize("written", ["Prometheus", "promql", 5, "a b"])
    def test_a_kind_that_is_no_plugin_s_name_draws_no_plugin_advice(self, written):
        # A typo of a built-in is answered with the built-in; a value no entry point could be named is not a plugin.
        (problem,) = problems_of([("c.yaml", {"sources": SOURCES, "checks": [{**CHECK, "kind": written}]})])
        assert "entry-point group" not in problem

    @pytest.mark.parametrize(
        ("field", "written", "pass_if"),
        [
            ("threshold", 0.5, '"< 0.5", or "> 0.5" when a larger value is better'),
            ("threshold", 300, '"< 300", or "> 300" when a larger value is better'),
            ("successCondition", "result < 0.5", '"< 0.5"'),
            ("condition", "<= 0.3", '"<= 0.3"'),
            ("success_condition", "len(result) > 0", '"< 0.01"'),
            # A bound quoted, as YAML users write numbers: before, "< 0.01", another bound than theirs.
            ("threshold", "0.5", '"< 0.5", or "> 0.5" when a larger value is better'),
            # A boolean is no bound.
            ("threshold", True, '"< 0.01"'),
            # The grammar's own operator before a bound out of range means no other (was a crash: KeyError '>=').
            ("condition", ">= 1e999", '"< 0.01"'),
            ("threshold", "<= 1e400", '"< 0.01"'),
        ],
    )
    def test_a_threshold_or_argo_condition_names_the_pass_if_to_write(self, field, written, pass_if):
        # Before: "pass_if: Field required" and "threshold: unknown field (the fields here: ...)", and the reader
        # had to guess that a bound is written with its comparison.
        check = {key: value for key, value in CHECK.items() if key != "pass_if"} | {field: written}
        how = f"a bound is written with the comparison a passing value meets, quoted: pass_if: {pass_if}"
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})]) == [
            f"c.yaml: check 'error-rate' (checks[0]): pass_if: Field required; {how}",
            f"c.yaml: check 'error-rate' (checks[0]): {field}: unknown field; did you mean 'pass_if'? A{how[1:]}",
        ]

    @pytest.mark.parametrize(
        ("field", "meant"),
        [
            ("expr", "query"),
            ("timeout", "deadline_s"),
            ("timeoutSeconds", "deadline_s"),
            ("failureCondition", "fail_if"),
        ],
    )
    def test_another_tools_field_names_the_field(self, field, meant):
        check = {**CHECK, field: "x"}
        assert f"{field}: unknown field; did you mean {meant!r}?" in "\n".join(
            problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})])
        )

    @pytest.mark.parametrize(
        ("field", "problem"),
        [("query", "check 'error-rate' (checks[0]): query"), ("name", "checks[0]: name")],
    )
    def test_another_missing_field_gets_no_pass_if_hint(self, field, problem):
        check = {key: value for key, value in CHECK.items() if key != field}
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})]) == [
            f"c.yaml: {problem}: Field required"
        ]

    def test_a_param_without_its_type_names_the_types(self):
        check = {**CHECK, "query": 'up{h="{{ h }}"}', "params": {"h": {"required": True}}}
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [check]})]) == [
            "c.yaml: check 'error-rate' (checks[0]): params.h.type: Field required; write type: label_value for a "
            "label's value (a canary's hash), or one of 'label_value', 'identifier', 'duration', 'number', 'enum', "
            "'dns_label'"
        ]


class TestWrongValues:
    """A value of the wrong type or outside its choices is quoted, with the choice a typo most likely meant."""

    def test_a_params_type_names_the_type_it_most_likely_meant(self):
        check = {**CHECK, "params": {"svc": {"type": "label", "default": "x"}}}
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert problem == (
            "a.yaml: check 'error-rate' (checks[0]): params.svc.type: Input should be 'label_value', 'identifier', "
            "'duration', 'number', 'enum' or 'dns_label', got 'label'; did you mean 'label_value'?"
        )

    @pytest.mark.parametrize(
        ("written", "meant"),
        [("string", "label_value"), ("str", "label_value"), ("int", "number"), ("integer", "number")],
    )
    def test_a_params_type_of_another_schema_names_the_type_meant(self, written, meant):
        check = {**CHECK, "params": {"svc": {"type": written, "required": True}}}
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert problem.endswith(f"got {written!r}; did you mean {meant!r}?")

    @pytest.mark.parametrize(("written", "meant"), [("Inconclusive", "inconclusive"), ("errors", "error")])
    def test_a_choice_written_in_another_case_or_form_names_the_choice(self, written, meant):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "no_data": written}]})])
        assert problem.endswith(f", got {written!r}; did you mean {meant!r}?"), problem

    def test_a_choice_nothing_resembles_is_quoted_without_a_guess(self):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "no_data": "skip"}]})])
        assert problem.endswith("no_data: Input should be 'inconclusive', 'error', 'fail' or 'pass', got 'skip'")

    def test_a_misspelt_kind_names_the_kind(self):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "kind": "promethues"}]})])
        assert problem.endswith("; did you mean 'prometheus'?"), problem

    def test_a_number_written_with_a_unit_is_quoted(self):
        sources = {"default": {"url": "http://127.0.0.1:9", "timeout_s": "5s"}}
        [problem] = problems_of([("a.yaml", {"sources": sources, "checks": [CHECK]})])
        assert problem == (
            "a.yaml: source 'default': timeout_s: Input should be a valid number, unable to parse string as a "
            "number, got '5s'; timeout_s is in seconds (its name ends in _s): write 5"
        )

    @pytest.mark.parametrize(
        ("field", "written", "said"),
        [
            ("deadline_s", "2m", "; deadline_s is in seconds (its name ends in _s): write 120"),
            ("deadline_s", "1500ms", "; deadline_s is in seconds (its name ends in _s): write 1.5"),
            ("deadline_s", "ten", ", got 'ten'"),  # no number to offer
        ],
    )
    def test_a_duration_with_a_unit_names_the_number_in_the_fields_unit(self, field, written, said):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, field: written}]})])
        assert problem.endswith(said), problem

    def test_milliseconds_are_named_as_such(self):
        smoke = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://127.0.0.1:9",
            "steps": [{"name": "health", "path": "/healthz", "expect": {"max_latency_ms": "0.5s"}}],
        }
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [smoke]})])
        assert problem.endswith("; max_latency_ms is in milliseconds (its name ends in _ms): write 500"), problem

    @pytest.mark.parametrize(
        ("check", "said"),
        [
            (
                {"kind": "error_budget", "objective": "99.9%", "period": "30d", "sloth": {"sloth_id": "a"}},
                "objective: Input should be a valid number, unable to parse string as a number, got '99.9%'; "
                "objective is in percent without the sign: write 99.9",
            ),
            (
                {
                    "kind": "error_budget",
                    "objective": 99.9,
                    "period": "30d",
                    "sloth": {"sloth_id": "a"},
                    "min_budget_remaining": "25%",
                },
                "min_budget_remaining is a fraction of 1: write 0.25 for 25%",
            ),
            (
                {
                    "kind": "kpi_compare",
                    "direction": "higher_is_better",
                    "canary": "vector(1)",
                    "baseline": "vector(2)",
                    "max_relative_change": "5%",
                },
                "max_relative_change: Input should be a valid number, unable to parse string as a number, got '5%'; "
                "max_relative_change is a fraction of 1: write 0.05 for 5%",
            ),
            (
                {
                    "kind": "kpi_compare",
                    "direction": "higher_is_better",
                    "canary": "vector(1)",
                    "baseline": "vector(2)",
                    "max_relative_change": 0.05,
                    "max_absolute_change": "5%",  # in the KPI's units: no number to offer
                },
                "max_absolute_change: Input should be a valid number, unable to parse string as a number, got '5%'",
            ),
            (
                # A field below the check (a step's): named by its own name, not the block it is in.
                {
                    "kind": "http_smoke",
                    "base_url": "http://127.0.0.1:9",
                    "steps": [{"name": "health", "path": "/healthz", "repeat": 5, "min_success_ratio": "90%"}],
                },
                "steps.0.min_success_ratio: Input should be a valid number, unable to parse string as a number, got "
                "'90%'; min_success_ratio is a fraction of 1: write 0.9 for 90%",
            ),
            # A word, not a number in percent, in a percent or fraction field: quoted, no number to offer.
            (
                {"kind": "error_budget", "objective": "high", "period": "30d", "sloth": {"sloth_id": "a"}},
                "objective: Input should be a valid number, unable to parse string as a number, got 'high'",
            ),
            (
                {
                    "kind": "kpi_compare",
                    "direction": "higher_is_better",
                    "canary": "vector(1)",
                    "baseline": "vector(2)",
                    "max_relative_change": "lots",
                },
                "max_relative_change: Input should be a valid number, unable to parse string as a number, got 'lots'",
            ),
        ],
    )
    def test_a_number_written_in_percent_names_the_number_to_write(self, check, said):
        # Before: only "unable to parse string as a number, got '5%'", not saying whether 5 or 0.05 was meant.
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{"name": "c", **check}]})])
        assert problem.endswith(said), problem

    @pytest.mark.parametrize(
        ("written", "meant"),
        [("stable", "baseline"), ("control", "baseline"), ("primary", "baseline"), ("treatment", "canary")],
    )
    def test_another_tools_word_for_a_field_names_the_field(self, written, meant):
        kpi = {"name": "c", "kind": "kpi_compare", "direction": "higher_is_better", "max_relative_change": 0.05}
        kpi |= {"canary": "vector(1)", "baseline": "vector(2)"}
        kpi |= {written: kpi.pop(meant)}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [kpi]})])
        # Before: "did you mean 'step'?", a field of mann_whitney, for the stable version's queries.
        assert f"a.yaml: check 'c' (checks[0]): {written}: unknown field; did you mean {meant!r}?" in problems

    def test_a_value_where_a_credential_may_stand_is_not_quoted(self):
        composite = {
            "name": "card",
            "kind": "composite",
            "mode": "all",
            "members": [{"check": "error-rate", "args": {"token": ["s3cr3t-value"]}}],
        }
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert problems and not any("s3cr3t" in problem for problem in problems), problems

    def test_a_list_written_without_dashes_says_so(self):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": CHECK})])
        assert problem == (
            "a.yaml: checks: Input should be a valid list, got a mapping (each item of a YAML list starts with `- `)"
        )

    def test_params_written_as_argo_args_name_the_mapping_to_write(self):
        # Before: "params: Input should be a valid dictionary", and nothing on the shape meant.
        check = {**CHECK, "query": 'up{job="{{ job }}"}', "params": [{"name": "job", "type": "label_value"}]}
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert problem == (
            "a.yaml: check 'error-rate' (checks[0]): params: Input should be a valid dictionary, got a list of "
            "`- name:` items (as Argo Rollouts writes args): params is keyed by name, write params: {job: {...}}, "
            "each item without its name field"
        )

    @pytest.mark.parametrize("key", ["key", "name"])
    def test_headers_written_as_name_value_items_name_the_lines_to_write(self, key):
        # Before: for `- key:`, "write its entries as `key: value` lines, without `- `", which made one item the
        # headers `key` and `value` (a valid mapping: no tenant header sent); for `- name:`, "write headers:
        # {X-Scope-OrgID: {...}}", refused again. The values are not quoted (a header may carry a credential).
        headers = [{key: "X-Scope-OrgID", "value": "team-a"}, {key: "Authorization", "value": "Bearer s3cr3t"}]
        sources = {"default": {"url": "http://127.0.0.1:9090", "headers": headers}}
        [problem] = problems_of([("a.yaml", {"sources": sources, "checks": [CHECK]})])
        assert problem == (
            f"a.yaml: source 'default': headers: Input should be a valid dictionary, got a list of `- {key}:` and "
            "`value:` items (as Kubernetes and Argo Rollouts write headers): write each as one `NAME: VALUE` line, "
            "headers: {X-Scope-OrgID: ..., Authorization: ...}"
        )

    def test_a_list_where_a_mapping_belongs_says_to_drop_the_dashes(self):
        check = {**CHECK, "query": 'up{job="{{ job }}"}', "params": ["job"]}
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})])
        assert problem.endswith(
            "params: Input should be a valid dictionary, got a list (`- ` items): write its entries as `key: value` "
            "lines, without `- `"
        )

    @pytest.mark.parametrize(
        ("written", "shown"), [(200, "200: write a list, as [200]"), ("ok", "'ok': write a list, as [\"ok\"]")]
    )
    def test_one_value_where_a_list_belongs_is_quoted_in_a_list(self, written, shown):
        smoke = {
            "name": "smoke",
            "kind": "http_smoke",
            "base_url": "http://127.0.0.1:9",
            "steps": [{"name": "health", "path": "/healthz", "expect": {"status": written}}],
        }
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [smoke]})])
        assert (
            problem
            == f"a.yaml: check 'smoke' (checks[0]): steps.0.expect.status: Input should be a valid list, got {shown}"
        )

    def test_a_field_left_empty_asks_whether_its_content_was_indented(self):
        [problem] = problems_of([("a.yaml", {"sources": SOURCES, "checks": [{**CHECK, "params": None}]})])
        assert problem == (
            "a.yaml: check 'error-rate' (checks[0]): params: Input should be a valid dictionary, got nothing: is "
            "what belongs to it indented under it?"
        )

    def test_a_duplicate_in_the_same_file_names_the_first(self):
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK, CHECK]})])
        assert problems == [
            "a.yaml: check 'error-rate' (checks[1]): duplicate check name, also defined in a.yaml (checks[0])"
        ]

    @pytest.mark.parametrize(
        "text",
        [
            "checks:\n- name: a\n  kind: prometheus\n pass_if: '< 1'\n",
            "checks:\n- name: a\n  kind: prometheus\n - pass_if: '< 1'\n",
        ],
    )
    def test_a_line_indented_less_than_its_siblings_is_named_as_such(self, tmp_path, text):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        [problem] = caught.value.problems
        assert problem.startswith(f"{path}: invalid YAML at line 4, column 2: ")
        assert problem.endswith(
            "(is this line indented like the keys or `- ` items beside it? or a quote left open above?)"
        )

    def test_an_unknown_check_counts_one_check_in_the_singular(self):
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": [CHECK]})], Registry.default())
        with pytest.raises(CheckNotFound, match=r"\(1 check; "):
            catalog.get("nope")


class TestInvalidSource:
    """A check reading a source that is invalid is not also told that the source is undefined."""

    def test_one_problem_for_an_invalid_source(self):
        sources = {"default": {"url": "localhost:9090"}}
        assert problems_of([("a.yaml", {"sources": sources, "checks": [CHECK]})]) == [
            "a.yaml: source 'default': url: 'localhost:9090' is not an http(s) base URL: it has no scheme; write "
            "http://localhost:9090"
        ]

    def test_another_missing_source_is_still_named(self):
        sources = {"default": {"url": "localhost:9090"}}
        problems = problems_of([("a.yaml", {"sources": sources, "checks": [{**CHECK, "source": "thanos"}]})])
        assert len(problems) == 2 and "source 'thanos' is not defined in `sources`" in problems[1]


class TestInvalidMember:
    """A composite whose member is refused is not also told that the member does not exist."""

    COMPOSITE = {"name": "gate", "kind": "composite", "members": [{"check": "error-rate"}]}

    def test_one_problem_for_an_invalid_member(self):
        # Before: also "check 'gate': members[0] ('error-rate'): no check named 'error-rate' in the catalog".
        member = {**CHECK, "pass_if": "< 500ms"}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [member, self.COMPOSITE]})])
        assert len(problems) == 1 and problems[0].startswith("a.yaml: check 'error-rate' (checks[0]): pass_if:")

    def test_a_missing_member_is_still_named(self):
        members = [{"check": "error-rate"}, {"check": "latency"}]
        composite = {**self.COMPOSITE, "members": members}
        problems = problems_of([("a.yaml", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert problems == ["a.yaml: check 'gate': members[1] ('latency'): no check named 'latency' in the catalog"]


class TestValidPart:
    """A refused catalog carries the checks found without a problem, which `analyzer validate` checks further."""

    def test_only_the_checks_without_a_problem(self):
        unplaced = {**CHECK, "name": "unplaced", "params": {"h": {"type": "label_value", "required": True}}}
        composite = {"name": "gate", "kind": "composite", "members": [{"check": "latency"}]}
        refused = {**CHECK, "name": "refused", "pass_if": "<< 1"}
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, unplaced, composite, refused]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default())
        assert len(caught.value.problems) == 3
        assert isinstance(caught.value, InvalidCatalog)
        valid = caught.value.valid_part
        assert list(valid.checks) == ["error-rate"]
        assert valid.origins["error-rate"] == "a.yaml" and list(valid.sources) == ["default"]

    def test_a_file_that_does_not_read_has_none(self, tmp_path):
        (tmp_path / "a.yaml").write_text("checks: [")
        with pytest.raises(ConfigError) as caught:
            load_catalog(tmp_path, Registry.default())
        assert not isinstance(caught.value, InvalidCatalog)


class TestQueriesTooDeepForTheParser:
    """A query too deep or long to give promql-parser is a load problem naming its field; the rest stays valid."""

    def test_a_query_nested_past_the_limit_is_refused_and_the_others_kept(self):
        deep = {**CHECK, "name": "deep", "query": "sum(" * 201 + "up" + ")" * 201}
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, deep]})]
        with pytest.raises(InvalidCatalog) as caught:
            build_catalog(documents, Registry.default())
        assert caught.value.problems == [
            "a.yaml: check 'deep': query: the query nests 201 levels of brackets; at most 200: write it with fewer "
            "nested brackets and operators"
        ]
        assert list(caught.value.valid_part.checks) == ["error-rate"]

    def test_a_param_rendered_into_the_query_counts(self):
        # An enum param standing for an operator is one once rendered (with its default here).
        template = " {{ op }} ".join(["up"] * 402)
        params = {"op": {"type": "enum", "values": ["or", "and"], "default": "or"}}
        check = {**CHECK, "query": template, "params": params}
        assert problems_of([("a.yaml", {"sources": SOURCES, "checks": [check]})]) == [
            "a.yaml: check 'error-rate': query: the query has 401 operators; at most 400: write it with fewer "
            "nested brackets and operators"
        ]


class TestLookup:
    """Checks are found by exact name; an unknown name is CheckNotFound."""

    def test_get(self):
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": [CHECK]})], Registry.default())
        assert catalog.get("error-rate").name == "error-rate"
        with pytest.raises(CheckNotFound, match="no check named 'Error-Rate'"):
            catalog.get("Error-Rate")

    def test_a_typo_names_the_closest_check(self):
        checks = [CHECK, {**CHECK, "name": "latency-p99"}]
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": checks})], Registry.default())
        with pytest.raises(CheckNotFound) as raised:
            catalog.get("eror-rate", listed_by="`analyzer list` lists them")
        assert str(raised.value) == (
            "no check named 'eror-rate' in the catalog (2 checks; `analyzer list` lists them); "
            "did you mean 'error-rate'?"
        )
        with pytest.raises(CheckNotFound) as raised:
            catalog.get("checkout-smoke")
        assert "did you mean" not in str(raised.value)

    def test_a_hidden_check_is_never_suggested(self):
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": [CHECK]})], Registry.default())
        with pytest.raises(CheckNotFound) as raised:
            catalog.get("eror-rate", visible=lambda name: name != "error-rate")
        assert "error-rate'?" not in str(raised.value)

    def test_a_typo_costs_a_bounded_number_of_comparisons(self):
        checks = [{**CHECK, "name": f"service{index:04d}-error-rate"} for index in range(3000)]
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": checks})], Registry.default())
        compared: list[str] = []
        with pytest.raises(CheckNotFound) as raised:
            catalog.get("service0001-eror-rate", visible=lambda name: compared.append(name) is None)
        # Any client can ask for an unknown name: a 404 compares at most 64 names, whatever the catalog's size.
        assert len(compared) == 64
        assert str(raised.value).endswith("did you mean 'service0001-error-rate'?")

    def test_only_names_of_about_the_typos_length_are_suggested(self):
        checks = [CHECK, {**CHECK, "name": "error-rate-of-the-payments-service"}]
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": checks})], Registry.default())
        with pytest.raises(CheckNotFound) as raised:
            catalog.get("error-rate-of-the-payments")
        assert "did you mean" not in str(raised.value)


class TestReached:
    """A check's reached checks are its members and theirs; a name the catalog lacks reaches none and costs no
    memory however many clients make up."""

    def test_members_of_members(self):
        card = {"name": "card", "kind": "composite", "members": [{"check": "error-rate"}]}
        outer = {"name": "outer", "kind": "composite", "members": [{"check": "card"}]}
        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": [CHECK, card, outer]})], Registry.default())
        assert catalog.reached("outer") == {"card", "error-rate"}
        assert catalog.reached("error-rate") == frozenset()

    def test_made_up_names_are_not_remembered(self):
        import gc
        import tracemalloc

        catalog = build_catalog([("a.yaml", {"sources": SOURCES, "checks": [CHECK]})], Registry.default())
        catalog.reached("error-rate")
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            # Each a 404's name, as a restricted token's history listing asks about every entry's check.
            for index in range(20_000):
                assert catalog.reached(f"made-up-{index:06d}") == frozenset()
            gc.collect()
            kept_bytes = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert kept_bytes < 100_000, kept_bytes


class TestFilesNamedByTheCatalog:
    """A source's ca_file must exist where the service loads the catalog, not where CI validates it."""

    def test_missing_ca_file_refused_by_the_service_load(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(f"sources: {{default: {{url: 'https://p:9090', ca_file: '{tmp_path}/ca.pem'}}}}\n")
        with pytest.raises(ConfigError, match=r"ca_file .* cannot be read"):
            load_catalog(path, Registry.default())

    def test_validation_elsewhere_skips_it(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(f"sources: {{default: {{url: 'https://p:9090', ca_file: '{tmp_path}/ca.pem'}}}}\n")
        assert "default" in load_catalog(path, Registry.default(), check_files=False).sources


class TestOneCheck:
    """A Job's catalog (`only`): the check it runs and those it references are validated as ever; another
    check's definition is not read, while documents, sources and names are checked as always."""

    OTHER = {**CHECK, "name": "other", "pass_if": "<< 1"}

    def test_another_checks_mistake_does_not_stop_the_job(self):
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, self.OTHER]})]
        catalog = build_catalog(documents, Registry.default(), only="error-rate")
        assert catalog.get("error-rate").name == "error-rate"
        assert "'<< 1' is not a condition" in problems_of(documents)[0]  # the whole catalog is still invalid

    def test_the_check_run_is_refused_with_the_problems_validate_names(self):
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, self.OTHER]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="other")
        assert caught.value.problems == problems_of(documents)

    def test_the_check_run_is_linked(self):
        documents = [("a.yaml", {"checks": [{**CHECK, "source": "thanos"}]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="error-rate")
        assert caught.value.problems == problems_of(documents)

    def test_the_checks_a_composite_references_are_validated_and_linked(self):
        card = {"name": "card", "kind": "composite", "members": [{"check": "error-rate"}, {"check": "other"}]}
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, self.OTHER, card]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="card")
        assert caught.value.problems == [p for p in problems_of(documents) if "'other' (checks[1])" in p]
        loop = {"name": "loop", "kind": "composite", "members": [{"check": "card"}]}
        card = {**card, "members": [{"check": "error-rate"}, {"check": "loop"}]}
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, card, loop]})]
        with pytest.raises(ConfigError, match="members form a cycle"):
            build_catalog(documents, Registry.default(), only="card")
        fine = {**card, "members": [{"check": "error-rate"}]}
        catalog = build_catalog(
            [("a.yaml", {"sources": SOURCES, "checks": [CHECK, fine, self.OTHER]})], Registry.default(), only="card"
        )
        assert catalog.get("card").kind == "composite"

    def test_a_kind_no_check_run_uses_is_not_loaded(self):
        def broken():
            raise ImportError("not installed")

        registry = Registry([*BUILTIN_KINDS, KindRef("broken", "broken:Broken", broken, plugin=True)])
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, {"name": "b", "kind": "broken"}]})]
        assert build_catalog(documents, registry, only="error-rate").get("error-rate").kind == "prometheus"
        with pytest.raises(ConfigError, match=r"'broken' .* failed to load"):
            build_catalog(documents, registry)

    def test_names_are_checked_across_the_catalog(self):
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, self.OTHER]}), ("b.yaml", {"checks": [CHECK]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="other")
        # As validate says it: where in a.yaml the first is (it said "also defined in a.yaml" alone).
        assert (
            caught.value.problems
            == problems_of(documents)[1:]
            == ["b.yaml: check 'error-rate' (checks[0]): duplicate check name, also defined in a.yaml (checks[0])"]
        )

    def test_documents_and_sources_are_checked(self):
        with pytest.raises(ConfigError, match="source 'default': url:"):
            build_catalog(
                [("a.yaml", {"sources": {"default": {"url": "prometheus:9090"}}, "checks": [CHECK]})],
                Registry.default(),
                only="error-rate",
            )
        with pytest.raises(ConfigError, match="expected a mapping"):
            build_catalog([("a.yaml", {"checks": [CHECK]}), ("b.yaml", ["x"])], Registry.default(), only="error-rate")

    def test_an_unknown_name_counts_every_check(self):
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK, self.OTHER]})]
        catalog = build_catalog(documents, Registry.default(), only="nope")
        with pytest.raises(CheckNotFound, match=r"no check named 'nope' in the catalog \(2 checks;"):
            catalog.get("nope")

    def test_a_foreign_slo_document_stands_for_its_check(self):
        pyrra = {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "payments-availability"},
            "spec": {
                "target": "99.9",
                "window": "28d",
                "indicator": {
                    "ratio": {
                        "errors": {"metric": 'http_requests_total{job="payments",code=~"5.."}'},
                        "total": {"metric": 'http_requests_total{job="payments"}'},
                    }
                },
            },
        }
        documents = [("a.yaml", {"sources": SOURCES, "checks": [CHECK]}), ("slo.yaml", pyrra)]
        full = build_catalog(documents, Registry.default())
        catalog = build_catalog(documents, Registry.default(), only="payments-availability")
        assert catalog.get("payments-availability").definition() == full.get("payments-availability").definition()


class TestNonFiniteNumbers:
    """A number that is NaN or infinite in a check's definition is refused where the catalog names it."""

    KPI = {
        "name": "orders",
        "kind": "kpi_compare",
        "method": "proportion",
        "direction": "higher_is_better",
        "lookback": "30m",
        "canary": {"success": "a", "total": "b"},
        "baseline": {"success": "c", "total": "d"},
        "max_relative_change": 0.05,
    }
    BUDGET = {
        "name": "budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {"errors": "sum(rate(e[{{ window }}]))", "total": "sum(rate(t[{{ window }}]))"},
        "tiers": [{"long": "1h", "short": "5m", "factor": 14.4}],
    }
    SMOKE = {
        "name": "smoke",
        "kind": "http_smoke",
        "base_url": "http://checkout.shop.svc:8080",
        "steps": [{"name": "home", "path": "/", "expect": {"max_latency_ms": 500}}],
    }

    @pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
    @pytest.mark.parametrize(
        ("check", "path", "field"),
        [
            (KPI, ("max_relative_change",), "max_relative_change"),
            (BUDGET, ("tiers", 0, "factor"), "tiers.0.factor"),
            (SMOKE, ("steps", 0, "expect", "max_latency_ms"), "steps.0.expect.max_latency_ms"),
            (CHECK, ("deadline_s",), "deadline_s"),
        ],
        ids=["kpi_compare", "error_budget", "http_smoke", "prometheus"],
    )
    def test_refused_naming_the_field(self, check, path, field, number):
        broken = copy.deepcopy(check)
        inner = broken
        for step in path[:-1]:
            inner = inner[step]
        inner[path[-1]] = number
        problems = problems_of([("c", {"sources": SOURCES, "checks": [broken]})])
        assert any(f"{field}: Input should be a finite number" in problem for problem in problems), problems

    @pytest.mark.parametrize("check", [KPI, BUDGET, SMOKE], ids=["kpi_compare", "error_budget", "http_smoke"])
    def test_finite_definitions_load(self, check):
        assert build_catalog([("c", {"sources": SOURCES, "checks": [check]})], Registry.default()).checks

    @pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
    @pytest.mark.parametrize("field", ["minimum", "maximum"])
    def test_a_params_bound_is_refused_naming_it(self, field, number):
        # `minimum: .nan` let every arg through (no number is below NaN); `maximum: .inf` made the catalog's listing
        # and openapi.json answer `Infinity`, which is not JSON.
        check = {
            **CHECK,
            "query": "vector({{ limit }})",
            "params": {"limit": {"type": "number", "required": True, field: number}},
        }
        problems = problems_of([("c", {"sources": SOURCES, "checks": [check]})])
        assert any(f"params.limit.{field}: Input should be a finite number" in problem for problem in problems), (
            problems
        )

    @pytest.mark.parametrize("number", [float("inf"), float("nan")], ids=["inf", "nan"])
    def test_a_composite_members_weight_is_refused_naming_it(self, number):
        # weight: .inf made the score inf / inf, NaN: "score nan of 100", failed whatever the members answered.
        composite = {
            "name": "card",
            "kind": "composite",
            "mode": "score",
            "pass_score": 50,
            "members": [{"check": "error-rate", "weight": number}],
        }
        problems = problems_of([("c", {"sources": SOURCES, "checks": [CHECK, composite]})])
        assert any("members.0.weight: Input should be a finite number" in problem for problem in problems), problems


class TestUnplacedParams:
    """A param that no field of its check places is refused: the caller's arg for it would change nothing measured."""

    HASH = {"canary_hash": {"type": "label_value", "required": True}}
    CANARY = {**CHECK, "query": 'sum(up{h="{{ canary_hash }}"})', "params": HASH}

    def test_a_query_without_the_param_is_refused_naming_it(self):
        # Before: the check loaded, `canary_hash=bad0001` was accepted and the query judged every pod of the
        # service, so a bad canary diluted by its stable pods passed.
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [{**self.CANARY, "query": "sum(up)"}]})])
        assert problems == [
            "c.yaml: check 'error-rate' (checks[0]): params.canary_hash: declared, but no field of the check places "
            "it (no {{ canary_hash }}), so an arg given for it would change nothing the check measures; put "
            '{{ canary_hash }} where it selects (a label matcher: rollouts_pod_template_hash="{{ canary_hash }}") '
            "or remove the param"
        ]

    @pytest.mark.parametrize("written", ["$canary_hash", "${canary_hash}", "${canary_hash:raw}", "[[canary_hash]]"])
    def test_a_param_written_as_grafana_writes_its_variables_names_the_placeholder(self, written):
        # A query pasted from a Grafana panel: "no field of the check places it" sent the reader looking for a
        # missing matcher that is there, written as Grafana's variable.
        pasted = {**self.CANARY, "query": f'sum(up{{h="{written}"}})'}
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [pasted]})]) == [
            "c.yaml: check 'error-rate' (checks[0]): params.canary_hash: declared, but no field of the check places "
            f"it: query holds {written}, Grafana's variable syntax, which the analyzer leaves as it is; write "
            "{{ canary_hash }}"
        ]

    @pytest.mark.parametrize("written", ["{canary_hash}", "{ canary_hash }"])
    def test_a_param_written_in_single_braces_names_the_placeholder(self, written):
        # Python's format and OpenAPI's paths write a placeholder so: "no field of the check places it" alone sent
        # the reader looking for a missing matcher that is there.
        pasted = {**self.CANARY, "query": f'sum(up{{h="{written}"}})'}
        assert problems_of([("c.yaml", {"sources": SOURCES, "checks": [pasted]})]) == [
            "c.yaml: check 'error-rate' (checks[0]): params.canary_hash: declared, but no field of the check places "
            f"it: query holds {written}, in single braces, which the analyzer leaves as it is; write "
            "{{ canary_hash }}"
        ]

    def test_a_grafana_variable_in_a_nested_field_is_named_by_its_path(self):
        budget = {
            "name": "budget",
            "kind": "error_budget",
            "params": self.HASH,
            "objective": 99.9,
            "period": "30d",
            "ratio": {
                "errors": 'sum(rate(r{code=~"5..",h="$canary_hash"}[{{ window }}]))',
                "total": "sum(rate(r[{{ window }}]))",
            },
        }
        problems = problems_of([("c.yaml", {"sources": SOURCES, "checks": [budget]})])
        assert (
            "params.canary_hash: declared, but no field of the check places it: ratio.errors holds $canary_hash"
            in problems[0]
        )

    def test_a_placed_param_loads(self):
        assert build_catalog([("c", {"sources": SOURCES, "checks": [self.CANARY]})], Registry.default()).checks

    def test_a_composite_passing_a_literal_instead_of_its_param_is_refused(self):
        card = {
            "name": "card",
            "kind": "composite",
            "params": self.HASH,
            "members": [{"check": "error-rate", "args": {"canary_hash": "c0ffee1"}}],
        }
        problems = problems_of([("c", {"sources": SOURCES, "checks": [self.CANARY, card]})])
        assert [problem.split(": params.")[1][:31] for problem in problems] == ["canary_hash: declared, but no f"]
        placed = {**card, "members": [{"check": "error-rate", "args": {"canary_hash": "{{ canary_hash }}"}}]}
        assert build_catalog([("c", {"sources": SOURCES, "checks": [self.CANARY, placed]})], Registry.default())

    def test_a_param_only_in_the_description_is_not_placed(self):
        described = {**self.CANARY, "query": "sum(up)", "description": "up of {{ canary_hash }}"}
        assert "params.canary_hash: declared" in problems_of([("c", {"sources": SOURCES, "checks": [described]})])[0]

    def test_the_check_a_job_runs_is_refused_too(self):
        documents = [("c", {"sources": SOURCES, "checks": [{**self.CANARY, "query": "sum(up)"}]})]
        with pytest.raises(ConfigError) as caught:
            build_catalog(documents, Registry.default(), only="error-rate")
        assert caught.value.problems == problems_of(documents)

    def test_a_kind_that_reads_its_args_itself_is_not_held_to_it(self):
        # A plugin kind may read `ctx.args` without templates: only kinds that say `params_are_placed` are held.
        assert gate_catalog({"name": "g", "kind": "gate", "gate": "g", "params": self.HASH}).checks["g"]


class TestShortSecretParams:
    """A secret param that accepts a value too short to be searched for in reasons and evidence is warned of."""

    @staticmethod
    def warnings_for(param: dict[str, object], only: str | None = None) -> list[str]:
        check = {**CHECK, "query": 'sum(up{t="{{ token }}"})', "params": {"token": {"secret": True, **param}}}
        catalog = build_catalog([("c.yaml", {"sources": SOURCES, "checks": [check]})], Registry.default(), only=only)
        if only is not None:
            catalog.get(only)
        return catalog.warnings

    @pytest.mark.parametrize(
        ("param", "hint"),
        [
            ({"type": "label_value", "required": True}, "min_length: 4"),
            ({"type": "label_value", "required": True, "min_length": 3}, "min_length: 4"),
            ({"type": "identifier", "required": True}, "a pattern"),
            ({"type": "number", "default": 1234, "minimum": 999}, "minimum: 1000"),
            ({"type": "enum", "values": ["abc", "abcd", "x"], "default": "abcd"}, "values without 'abc', 'x'"),
        ],
    )
    @pytest.mark.parametrize("only", [None, "error-rate"])
    def test_is_warned_naming_the_rule_that_refuses_them(self, param, hint, only):
        assert self.warnings_for(param, only) == [
            "c.yaml: check 'error-rate': secret param 'token' accepts values shorter than 4 characters, which reasons "
            f"and evidence would show (a secret that short is guessed anyway); refuse them with {hint}"
        ]

    @pytest.mark.parametrize(
        "param",
        [
            {"type": "label_value", "required": True, "min_length": 4},
            {"type": "label_value", "required": True, "pattern": "[a-f0-9]{40}"},
            {"type": "number", "default": 1234, "minimum": 1000},
            {"type": "enum", "values": ["abcd", "efgh"], "default": "abcd"},
        ],
    )
    def test_one_that_refuses_them_is_not(self, param):
        assert self.warnings_for(param) == []


class TestSecretByName:
    """A param secret only by its name is warned of, naming both ways to write it; one that writes `secret` is not."""

    @staticmethod
    def warnings_for(name: str, **param: object) -> list[str]:
        declared = {"type": "label_value", "required": True, "min_length": 4, **param}
        check = {**CHECK, "query": f'sum(up{{t="{{{{ {name} }}}}"}})', "params": {name: declared}}
        return build_catalog([("c.yaml", {"sources": SOURCES, "checks": [check]})], Registry.default()).warnings

    @pytest.mark.parametrize("name", ["token", "primary_key"])
    def test_is_warned(self, name):
        # `primary_key` holds a secret's word and no secret: its value was hidden in every query quoted, and the
        # page's plot dropped, with nothing to say why.
        assert self.warnings_for(name) == [
            f"c.yaml: check 'error-rate': param {name!r} is secret by its name: its value shows as <redacted> in "
            "args, links, the history, logs and every query or reason quoting it, and a verdict page draws no plot "
            "of it; write secret: true to keep it so (and silence this), or secret: false if it holds no credential"
        ]

    @pytest.mark.parametrize("secret", [True, False])
    def test_secret_written_either_way_is_not(self, secret):
        assert self.warnings_for("primary_key", secret=secret) == []

    def test_a_name_of_no_secret_is_not(self):
        assert self.warnings_for("canary_hash") == []

    @pytest.mark.parametrize("secret", [None, False])
    def test_one_a_kind_places_where_a_secret_goes_is_not(self, secret):
        # An http_smoke param sent in an Authorization header stays hidden whatever `secret` says: the advice to write
        # secret: false to show it was wrong there.
        token = {"type": "label_value", "required": True, "min_length": 4}
        if secret is not None:
            token["secret"] = secret
        smoke = {
            "name": "login",
            "kind": "http_smoke",
            "base_url": "http://app.shop.svc",
            "deadline_s": 30,
            "params": {"api_token": token},
            "steps": [{"name": "me", "path": "/me", "headers": {"Authorization": "Bearer {{ api_token }}"}}],
        }
        catalog = build_catalog([("c.yaml", {"sources": SOURCES, "checks": [smoke]})], Registry.default())
        assert catalog.warnings == []
        assert catalog.checks["login"].secret_params() == {"api_token"}

    @pytest.mark.parametrize("secret", [None, False])
    def test_one_a_composite_passes_to_a_member_secret_is_not(self, secret):
        # The member holds it secret, so the composite hides it whatever its own `secret` says.
        token = {"type": "label_value", "required": True, "min_length": 4}
        if secret is not None:
            token["secret"] = secret
        bearer = {"type": "label_value", "required": True, "min_length": 4, "secret": True}
        member = {**CHECK, "query": 'sum(up{t="{{ bearer }}"})', "params": {"bearer": bearer}}
        card = {
            "name": "card",
            "kind": "composite",
            "params": {"auth_token": token},
            "members": [{"check": "error-rate", "args": {"bearer": "{{ auth_token }}"}}],
        }
        catalog = build_catalog([("c.yaml", {"sources": SOURCES, "checks": [member, card]})], Registry.default())
        assert catalog.warnings == []
        assert catalog.checks["card"].secret_params() == {"auth_token"}


class TestSecretSamplesInWarnings:
    """A warning about a query rendered with the params' examples and defaults shows no secret param's."""

    @pytest.mark.parametrize("sample", ["default", "example"])
    def test_a_secret_sample_in_a_warned_selector_is_hidden(self, sample):
        # The selector was quoted as rendered: the secret's example (a real key, for `validate --prometheus` to send)
        # in `analyzer validate`, the catalog_warning log and /readyz, which GET /api/v1/checks hides.
        token = {"type": "label_value", "secret": True, "min_length": 4, sample: "k3y-s3cr3t-9"}
        if sample == "example":
            token["required"] = True
        query = 'sum(rate({__name__=~"errors_.*", key="{{ token }}"}[5m])) or vector(0)'
        check = {**CHECK, "query": query, "pass_if": "> 0.5", "params": {"token": token}}
        catalog = build_catalog([("c.yaml", {"sources": SOURCES, "checks": [check]})], Registry.default())
        assert catalog.warnings == [
            'c.yaml: check \'error-rate\': query selector {__name__=~"errors_.*", key="<redacted>"}: metric name given '
            "by a regex is not checked for existence (a misspelled name reads as the fallback's value; list the names, "
            'as in {__name__=~"a|b"}, to check them)'
        ]


class TestNamesYAMLReadsAsNoText:
    """A check name YAML 1.1 reads as a boolean, number or null is refused, naming the word and its quoting, by a
    Job's catalog (`only`) as by the whole catalog's."""

    @pytest.mark.parametrize(
        ("word", "read_as"),
        [
            ("off", "false"),
            ("on", "true"),
            ("yes", "true"),
            ("no", "false"),
            ("true", "true"),
            ("null", "null"),
            ("0x10", "16"),
            ("1.5", "1.5"),
            ("1_000", "1000"),
            ("2024-01-01", "a date"),
        ],
    )
    @pytest.mark.parametrize("only", [None, "error-rate", "offs"])
    def test_the_word_is_named_with_its_quoting(self, tmp_path, word, read_as, only):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  default: {url: 'http://127.0.0.1:9'}\nchecks:\n"
            "- {name: error-rate, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
            f"- name: {word}\n  kind: prometheus\n  query: vector(0)\n  pass_if: '< 1'\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        quoted = "'" + word + "'"
        assert caught.value.problems == [
            f"{path}: checks[1] (line 5): name: {word} is read as {read_as} by YAML, not as text: quote it: {quoted}"
        ]

    @pytest.mark.parametrize(("word", "read_as"), [("~", "null"), ("-1", "-1"), ("12:30", "750"), (".inf", "inf")])
    @pytest.mark.parametrize("only", [None, "error-rate"])
    def test_a_word_no_name_as_text_either_is_not_said_to_be_quoted(self, tmp_path, word, read_as, only):
        # Before: "quote it: '~'", and quoted it was refused as no check name.
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  default: {url: 'http://127.0.0.1:9'}\nchecks:\n"
            "- {name: error-rate, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
            f"- name: {word}\n  kind: prometheus\n  query: vector(0)\n  pass_if: '< 1'\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        assert caught.value.problems == [
            f"{path}: checks[1] (line 5): name: {word} is read as {read_as} by YAML, and as text is no check name "
            f"either: check name {word!r} must be 1-128 of [A-Za-z0-9._-], starting with a letter or digit, without "
            "'..'"
        ]

    def test_an_empty_name_is_read_as_null(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("checks:\n- name:\n  kind: prometheus\n  query: vector(0)\n  pass_if: '< 1'\n")
        assert problems_of_file(path) == [
            f"{path}: checks[0] (line 2): name: nothing is read as null by YAML, not as text: write the name"
        ]

    def test_a_word_yaml_reads_as_text_names_a_check(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n- {name: 1e3, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
        )
        assert list(load_catalog(path, Registry.default()).checks) == ["1e3"]

    def test_a_quoted_word_names_a_check(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\n"
            "checks:\n- {name: 'off', kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
        )
        assert load_catalog(path, Registry.default(), only="off").get("off").name == "off"

    def test_documents_not_read_from_text_name_the_value(self):
        documents = [("a.yaml", {"checks": [{**CHECK, "name": False}]})]
        assert problems_of(documents) == [
            "a.yaml: checks[0]: name: false is read by YAML as no text: quote the name it was written as"
        ]


class TestValuesYAMLReadsAsNoText:
    """A text field's value YAML 1.1 reads as a boolean, number, date or null (a member's `check: off`) is refused
    saying so, not as "Input should be a valid string"; a secret's value is not named."""

    @pytest.mark.parametrize(
        ("field", "location", "read_as"),
        [
            ("source: off", "source", "false (a bare no, off or false)"),
            ("description: 0x10", "description", "the number 16"),
        ],
    )
    def test_a_checks_field(self, tmp_path, field, location, read_as):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\nchecks:\n- name: a\n  kind: prometheus\n"
            f"  query: vector(0)\n  pass_if: '< 1'\n  {field}\n"
        )
        assert problems_of_file(path) == [
            f"{path}: check 'a' (checks[0], line 3): {location} (line 7): a value YAML reads as {read_as}, not as "
            "text: quote it"
        ]

    @pytest.mark.parametrize("only", [None, "s"])
    def test_a_members_check(self, tmp_path, only):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\nchecks:\n"
            "- {name: 'off', kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
            "- name: s\n  kind: composite\n  members:\n  - check: off\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        assert caught.value.problems == [
            f"{path}: check 's' (checks[1], line 4): members.0.check (line 7): a value YAML reads as false (a bare no, "
            "off or false), not as text: quote it"
        ]

    def test_an_empty_field_is_not_told_to_be_quoted(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\nchecks:\n- name: a\n  kind: prometheus\n"
            "  query: vector(0)\n  pass_if: '< 1'\n  description:\n"
        )
        assert problems_of_file(path) == [
            f"{path}: check 'a' (checks[0], line 3): description (line 7): Input should be a valid string"
        ]

    def test_a_secrets_value_is_not_named(self, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text(
            "checks:\n- name: smoke\n  kind: http_smoke\n  base_url: http://127.0.0.1:9\n"
            "  allowed_hosts: [127.0.0.1]\n  headers: {X-Api-Token: 918273645}\n"
            "  steps:\n  - {name: home, path: /, expect: {status: [200]}}\n"
        )
        assert problems_of_file(path) == [
            f"{path}: check 'smoke' (checks[0], line 2): headers.X-Api-Token (line 6): a value YAML reads as no text "
            "(a bare yes, no, on, off, number or date): quote it"
        ]


class TestKeysYAMLReadsAsNoText:
    """A mapping's key YAML 1.1 reads as a boolean, number or null (a param named `on`) is refused, saying so, in the
    whole catalog and in a Job's."""

    @pytest.mark.parametrize(
        ("key", "read_as"),
        [
            ("on", "true (a bare yes, on or true)"),
            ("no", "false (a bare no, off or false)"),
            ("~", "null (a bare null, ~ or nothing)"),
            ("0x10", "the number 16"),
            ("2024-01-01", "a date (a bare 2024-01-01)"),
        ],
    )
    @pytest.mark.parametrize("only", [None, "a"])
    def test_a_param_name(self, tmp_path, key, read_as, only):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources: {default: {url: 'http://127.0.0.1:9'}}\nchecks:\n- name: a\n  kind: prometheus\n"
            f"  query: vector(0)\n  pass_if: '< 1'\n  params:\n    {key}: {{type: label_value, default: x}}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        assert caught.value.problems == [
            f"{path}: check 'a' (checks[0], line 3): params (line 7): a key YAML reads as {read_as}, not as text: "
            "quote it"
        ]

    @pytest.mark.parametrize("only", [None, "a"])
    def test_a_source_name(self, tmp_path, only):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  on: {url: 'http://127.0.0.1:9'}\nchecks:\n"
            "- {name: a, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        assert caught.value.problems == [
            f"{path}: sources (line 1): a key YAML reads as true (a bare yes, on or true), not as text: quote it"
        ]


class TestNamesNoLookupFinds:
    """A check no lookup can find by its name (none, a list, a mapping, a name breaking the rules, no mapping at all)
    makes a Job's catalog (`only`, of any other check) invalid with the problems the whole catalog's names."""

    @pytest.mark.parametrize(
        ("written", "problem"),
        [
            ("- kind: prometheus\n", "checks[1] (line 5): name: Field required"),
            ("- name: [b]\n  kind: prometheus\n", "checks[1] (line 5): name: Input should be a valid string"),
            ("- name: {b: c}\n  kind: prometheus\n", "checks[1] (line 5): name: Input should be a valid string"),
            (
                "- name: b c!\n  kind: prometheus\n",
                "check 'b c!' (checks[1], line 5): name: check name 'b c!' must be 1-128 of [A-Za-z0-9._-], starting "
                "with a letter or digit, without '..'",
            ),
            (
                "- prometheus\n",
                "checks[1] (line 5): Input should be a valid dictionary or object to extract fields from",
            ),
        ],
    )
    def test_a_job_refuses_it_as_validate_does(self, tmp_path, written, problem):
        path = tmp_path / "c.yaml"
        check = "  query: vector(0)\n  pass_if: '< 1'\n" if written.endswith("kind: prometheus\n") else ""
        path.write_text(
            "sources:\n  default: {url: 'http://127.0.0.1:9'}\nchecks:\n"
            f"- {{name: a, kind: prometheus, query: vector(0), pass_if: '< 1'}}\n{written}{check}"
        )
        refusals = []
        for only in (None, "a"):
            with pytest.raises(ConfigError) as caught:
                load_catalog(path, Registry.default(), only=only)
            refusals.append(caught.value.problems)
        # Before: the Job's catalog loaded, and `analyzer run a` ran a (exit 0).
        assert refusals == [[f"{path}: {problem}"]] * 2

    @pytest.mark.parametrize("only", [None, "a"])
    def test_a_name_after_other_fields_is_named_with_its_own_line(self, tmp_path, only):
        path = tmp_path / "c.yaml"
        path.write_text(
            "sources:\n  default: {url: 'http://127.0.0.1:9'}\nchecks:\n"
            "- {name: a, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
            "- kind: prometheus\n  query: vector(0)\n  name: off\n  pass_if: '< 1'\n"
        )
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        # Before: `name: off is ...` after the check's line 5, where `name:` is not.
        assert caught.value.problems == [
            f"{path}: checks[1] (line 5): name (line 7): off is read as false by YAML, not as text: quote it: 'off'"
        ]


class TestConfigMapManifestLines:
    """A problem in a ConfigMap manifest's catalog text says what a plain file's says: the word as written, and the
    manifest's lines where the text is a `|` block (whose lines are the manifest's one for one), none otherwise."""

    TEXT = (
        "sources:\n  default: {url: 'http://127.0.0.1:9'}\nchecks:\n"
        "- {name: a, kind: prometheus, query: vector(0), pass_if: '< 1'}\n"
        "- kind: prometheus\n  name: off\n  query: vector(0)\n  pass_if: 5\n"
    )

    @pytest.mark.parametrize("only", [None, "a"])
    def test_a_block_names_the_manifests_lines(self, tmp_path, only):
        path = tmp_path / "cm.yaml"
        block = "".join(f"    {line}\n" for line in self.TEXT.splitlines())
        path.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cat}}\ndata:\n  c.yaml: |\n{block}")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only=only)
        # Before: `checks[1]: name: false is read by YAML as no text: quote the name it was written as`.
        assert caught.value.problems == [
            f"{path}:cat/c.yaml: checks[1] (line 10): name (line 11): off is read as false by YAML, not as text: "
            "quote it: 'off'",
            f"{path}:cat/c.yaml: checks[1] (line 10): pass_if (line 13): a condition is a string such as '< 0.01', "
            "got 5",
        ]

    def test_a_yaml_error_in_a_block_names_the_manifests_line_and_column(self, tmp_path):
        path = tmp_path / "cm.yaml"
        text = self.TEXT.replace("query: vector(0)\n  pass", "query: x\n  query: y\n  pass")
        block = "".join(f"    {line}\n" for line in text.splitlines())
        path.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cat}}\ndata:\n  c.yaml: |\n\n{block}")
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default())
        assert caught.value.problems == [
            f"{path}:cat/c.yaml: invalid YAML at line 14, column 7: duplicate key 'query' (also at line 13)"
        ]

    def test_quoted_text_names_the_word_without_lines(self, tmp_path):
        path = tmp_path / "cm.yaml"
        manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cat"}, "data": {"c.yaml": self.TEXT}}
        path.write_text(yaml.safe_dump(manifest, default_style='"'))
        with pytest.raises(ConfigError) as caught:
            load_catalog(path, Registry.default(), only="a")
        assert caught.value.problems == [
            f"{path}:cat/c.yaml: checks[1]: name: off is read as false by YAML, not as text: quote it: 'off'",
            f"{path}:cat/c.yaml: checks[1]: pass_if: a condition is a string such as '< 0.01', got 5",
        ]
