"""The arguments of `analyzer run`, which the CLI parses and `analyzer validate` reads a Job's words with (a module
of their own: validate's module is the CLI's import, not the other way round)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def path_argument(text: str) -> Path:
    """A path argument; an empty one (`--catalog "$CATALOG"`, the variable unset) is refused, where Path would
    read it as the current directory."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path (an unset variable?)")
    return Path(text)


class Once(argparse.Action):
    """An option given at most once: a second `--catalog` would replace the first unsaid, and the checks or sources
    of the first file would then be missing with no word of why. The second is noted as `given_twice` (main refuses
    it once an older JUnit report is removed: a usage error leaves none)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        if getattr(namespace, self.dest) is not None:
            namespace.given_twice = option
            return
        setattr(namespace, self.dest, values)


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    """The arguments of `analyzer run`, added to `run` (its subparser here; `analyzer validate` reads a Job's words
    with them, as this command will)."""
    run.add_argument("name", help="the check to evaluate (`analyzer list --catalog PATH` names them)")
    run.add_argument(
        "--catalog",
        type=path_argument,
        action=Once,
        metavar="PATH",
        help="catalog file or directory (ANALYZER_CATALOG)",
    )
    run.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE", help="a check arg; repeatable")
    run.add_argument("--at", help="evaluate as of this time (RFC 3339 or unix seconds)")
    run.add_argument(
        "--prometheus",
        action="append",
        default=[],
        metavar="[SOURCE=]URL",
        help="read this Prometheus (a port-forward) instead of the catalog's source url; SOURCE=URL for each "
        "source when the check reads several; repeatable",
    )
    run.add_argument(
        "--ca-file",
        type=path_argument,
        metavar="PATH",
        help="with --prometheus: the CA bundle each https URL given is verified with (the sources' own ca_file "
        "lives in the pod)",
    )
    run.add_argument("--json", action="store_true", help="print the evaluation as JSON (with details)")
    run.add_argument("--explain", action="store_true", help="also print details (queries, raw results)")
    run.add_argument(
        "--junit",
        type=path_argument,
        metavar="FILE",
        help="also write a JUnit XML report (one test case per step for http_smoke, one per check otherwise)",
    )


def with_dash_values(words: Sequence[str]) -> list[str]:
    """`words` with `--at -1h` written `--at=-1h`: argparse reads a word of '-' and a digit that is no number as an
    option and says "--at: expected one argument", where `--at` should say that -1h is no time it takes."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "--at" and _DASH_VALUE_RE.match(word):
            joined[-1] = f"--at={word}"
        else:
            joined.append(word)
    return joined


_DASH_VALUE_RE = re.compile(r"-[0-9.]")
