"""`analyzer serve | run | validate | list | import`. Exit codes tell pass, fail, inconclusive and error apart,
and never reuse 1 (a Python crash) or 2 (a usage error) for a verdict."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import json
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from analyzer import __version__
from analyzer.cli_args import Once, add_run_arguments, path_argument, with_dash_values

if TYPE_CHECKING:
    from analyzer.catalog import Catalog
    from analyzer.check import Check
    from analyzer.errors import ConfigError
    from analyzer.models import Evaluation
    from analyzer.registry import Registry
    from analyzer.settings import Settings
    from analyzer.sources.http import HttpClient

EXIT_PASS = 0
# Python's own for an uncaught exception: a bug, which the catch-all in `main` keeps, its traceback scrubbed.
EXIT_CRASH = 1
EXIT_USAGE = 2
EXIT_FAIL = 3
EXIT_INCONCLUSIVE = 4
EXIT_ERROR = 5
EXIT_INVALID_CATALOG = 6
# What a shell reports for a command killed by SIGPIPE (128 + 13): output was cut short, no verdict implied.
EXIT_BROKEN_PIPE = 141
# 128 + SIGINT, as a shell reports a command Ctrl-C ended: a KeyboardInterrupt that reached `main`.
EXIT_SIGINT = 130

# By Outcome value (an Outcome is its value): this module imports no model before a command needs one.
EXIT_CODES = {
    "pass": EXIT_PASS,
    "fail": EXIT_FAIL,
    "inconclusive": EXIT_INCONCLUSIVE,
    "error": EXIT_ERROR,
}

_EPILOG = """exit codes of `run`: 0 pass, 3 fail, 4 inconclusive, 5 error (no measurement),
2 usage error (unknown check, bad arg), 6 invalid catalog or settings, or none given, 1 crash,
143 / 130 stopped by SIGTERM / SIGINT before a verdict.
--catalog, --host, --port and --log-format can also be set by ANALYZER_CATALOG, ANALYZER_HOST, ANALYZER_PORT
and ANALYZER_LOG_FORMAT; the flags of `run` (--arg, --at, --json, --explain, --junit, --prometheus, --ca-file)
have none.
`serve` reads more settings from ANALYZER_* variables (auth, limits, reload, history): see docs/settings.md."""
# `analyzer run --help`'s own: what a Job's author needs (its exit codes, an example), not serve's settings.
_RUN_EPILOG = """exit codes: 0 pass, 3 fail, 4 inconclusive, 5 error (no measurement), 2 usage error (unknown
check, bad arg), 6 invalid catalog or settings, or none given, 1 crash, 143 / 130 stopped by SIGTERM / SIGINT
before a verdict.
--catalog can also be set by ANALYZER_CATALOG; the other flags have no variable. The settings the checks use
(ANALYZER_DEADLINE_S, ANALYZER_HTTP_ALLOWED_HOSTS, ...) are read as `serve` reads them: see docs/settings.md.
example: analyzer run payments-error-rate --catalog catalog/ --arg canary_hash=c0ffee1 --junit junit.xml"""


def _source_name(text: str) -> str:
    """`import --source`; an empty one (`--source "$SOURCE"`, the variable unset) is refused: the checks would read a
    source named '' that no catalog defines."""
    if not text:
        raise argparse.ArgumentTypeError("an empty source name (an unset variable?)")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `analyzer` command."""
    return _parsers()[0]


class _AnalyzerParser(argparse.ArgumentParser):
    """`analyzer`'s own parser, whose usage error for a word read as its command that is none quotes it only when it
    is a command misspelt (see `_unknown_command`): the word may be a value, `analyzer --token s3cret run X`."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.dest == "command" and action.choices is not None and value not in action.choices:
            raise argparse.ArgumentError(action, _unknown_command(str(value), [str(c) for c in action.choices]))
        super()._check_value(action, value)


def _unknown_command(word: str, commands: list[str]) -> str:
    """What `analyzer` says of `word` read as its command, which none is: the word and the command it is one edit
    from (`rnu`: did you mean 'run'?), else the word left out, as a value given before the command may be a secret."""
    listed = ", ".join(commands)
    close = [command for command in commands if _one_edit(word.lower(), command)]
    if re.fullmatch(r"[A-Za-z]+", word) and close:
        return f"unknown command {word!r}: did you mean {close[0]!r}? (the commands: {listed})"
    if word == "--":
        return f"'--' where the command goes: write the command first ({listed})"
    return (
        f"an unknown word where the command goes, none of its commands ({listed}); not shown, as it may be a value "
        "(a token given to an option before the command): `analyzer` takes no option there but --help and "
        "--version, so write options after the command (`analyzer run NAME --json`)"
    )


def _one_edit(word: str, name: str) -> bool:
    """Whether `word` is `name`, or `name` with one letter changed, added, removed, or two beside each other swapped."""
    if word == name:
        return True
    if len(word) == len(name):
        differ = [i for i, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
        swapped = len(differ) == 2 and differ[1] == differ[0] + 1 and word[differ[0]] == name[differ[1]]
        return len(differ) == 1 or (swapped and word[differ[1]] == name[differ[0]])
    shorter, longer = sorted((word, name), key=len)
    return len(longer) - len(shorter) == 1 and any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The argument parser of the `analyzer` command, and its commands' own by name."""
    parser = _AnalyzerParser(
        prog="analyzer",
        description="Release analysis verdicts for Argo Rollouts, Kubernetes Jobs and SREs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # The version a bug report and docs/upgrading.md's releases are read by; argparse prints it and exits 0.
    parser.add_argument("--version", action="version", version=f"analyzer {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=argparse.ArgumentParser
    )

    serve = commands.add_parser("serve", help="run the HTTP API (SIGHUP reloads the catalog, SIGTERM drains)")
    serve.add_argument(
        "--catalog",
        type=path_argument,
        action=Once,
        metavar="PATH",
        help="catalog file or directory (ANALYZER_CATALOG)",
    )
    serve.add_argument("--host", help="listen address (ANALYZER_HOST, default 0.0.0.0)")
    serve.add_argument(
        "--port",
        type=int,
        help="listen port (ANALYZER_PORT, default 8080; 0: one the OS picks, printed once listening)",
    )
    serve.add_argument(
        "--log-format",
        choices=["json", "console"],
        help="log lines as JSON or for a terminal (ANALYZER_LOG_FORMAT, default json)",
    )

    run = commands.add_parser(
        "run",
        help="evaluate one check and exit with its verdict's code",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_arguments(run)

    validate = commands.add_parser(
        "validate",
        help="validate catalog files or directories (recursively: other "
        "Kubernetes manifests found there are skipped); exit 6 if invalid",
    )
    validate.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        type=path_argument,
        help="catalog files or directories (analyzer validate catalog/); AnalysisTemplates, Rollouts, Experiments "
        "and Jobs running analyzer run given among them are checked against the catalog (check names, args, "
        "conditions, timeoutSeconds, a Job's retries)",
    )
    validate.add_argument(
        "--prometheus",
        metavar="URL",
        help="also check the catalog against this Prometheus: "
        "metric, label and bucket names its queries read exist, and each check's verdict now "
        "with its params' example args (exit 6 if anything is missing, 5 if it cannot be asked or did not answer a "
        "query of the dry run)",
    )
    validate.add_argument("--at", help="with --prometheus: dry-run as of this time (RFC 3339 or unix seconds)")
    validate.add_argument(
        "--ca-file",
        type=path_argument,
        metavar="PATH",
        help="with --prometheus: the CA bundle an https URL is verified with (the sources' own ca_file lives in "
        "the pod)",
    )

    importing = commands.add_parser(
        "import", help="print error_budget checks equivalent to Pyrra, Sloth or OpenSLO SLOs (catalog YAML on stdout)"
    )
    importing.add_argument("format", choices=["pyrra", "sloth", "openslo"])
    importing.add_argument("file", type=path_argument, help="YAML file (several documents allowed)")
    importing.add_argument(
        "--source", type=_source_name, default="default", help="Prometheus source the checks read (default)"
    )
    importing.add_argument("--period", default="30d", help="SLO period for Sloth specs, which do not state it")
    importing.add_argument(
        "--sloth-windows",
        type=path_argument,
        help="Sloth AlertWindows YAML (what sloth --slo-period-windows-path holds): the tiers Sloth alerts by",
    )

    listing = commands.add_parser("list", help="list the catalog's checks")
    listing.add_argument(
        "--catalog",
        type=path_argument,
        action=Once,
        metavar="PATH",
        help="catalog file or directory (ANALYZER_CATALOG)",
    )
    listing.add_argument(
        "--json", action="store_true", help="the checks as a JSON array (name, kind, description, params)"
    )
    return parser, commands.choices


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; `argv`: the command's words, or None for this process's own (`sys.argv`),
    whose threads may outlive `main`: their crashes are then scrubbed after it returns too."""
    collecting = gc.isenabled()
    words = sys.argv[1:] if argv is None else argv
    # A thread's crash too (a plugin's own thread): Python's handler printed its traceback as it was.
    thread_hook = threading.excepthook
    threading.excepthook = partial(_thread_crashed, words)
    # Start-up (imports, classes, schemas, the catalog) builds objects that live until exit: the cyclic
    # collector, run every few hundred allocations, would scan them again and again and find nothing to free.
    # Paused until a command's start-up is done (`_started`), and as the caller had it on return.
    gc.disable()
    interrupted: list[signal.Signals] = []
    previous_sigint = _interrupt_on_sigint(interrupted)
    try:
        parser = build_parser()
        if not words:
            # argparse says only "the following arguments are required: COMMAND"; a newcomer needs the commands.
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        joined = with_dash_values(words)
        if (misplaced := _misplaced_catalog(joined)) is not None:
            command, hint = misplaced
            _parsers()[1][command].error(f"unrecognized arguments: --catalog{hint}")
        args, unrecognized = parser.parse_known_args(joined)
        args.unrecognized = unrecognized
        # `analyzer` itself takes only --help and --version, which exit: a word before the command's is one it did
        # not recognize (`analyzer --json run NAME`).
        args.before_command = joined[: next((i for i, word in enumerate(joined) if word == args.command), 0)]
        if args.command == "run" and args.junit is not None:
            # Before anything is removed: a --junit naming an input (`--junit catalog.yaml`) would delete it here,
            # or the report would overwrite it.
            if _report_clashes(args.junit, _inputs_before_load(args)):
                return EXIT_USAGE
            # Before anything can fail: an older report left there would stand, green, beside a usage error, an
            # invalid catalog or a stop (a CI workspace reused), where the docs promise none.
            _remove_older_report(args.junit)
        if getattr(args, "given_twice", None):
            _usage_parser(args).error(
                f"{args.given_twice} given twice: it takes one file or directory; put the catalog's files in one "
                "directory and give that"
            )
        if args.before_command:
            # Not quoted whole: `--token=s3cret` before the command is an option's name and its value, maybe a secret.
            shown = ", ".join(_option_name(word) for word in args.before_command)
            _usage_parser(args).error(
                f"unrecognized arguments before the command: {shown}; `analyzer` takes no option there but --help and "
                f"--version: write options after the command (`analyzer {args.command} ... --json`)"
            )
        if unrecognized and not (_valueless_keys(args) or _keyed_words(args) or _flag_values(args)):
            shown = " ".join(_shown_unrecognized(unrecognized))
            _usage_parser(args).error(f"unrecognized arguments: {shown}{_catalog_hint(args)}")
        # `--arg KEY VALUE`, or `KEY=VALUE` without `--arg`: `run` says so once it knows whether KEY is a secret
        # param, whose value is not quoted.
        args.collector_was_on = collecting
        # A Ctrl-C that code of the command caught and went on from stops it where it would start or report.
        args.interrupted = interrupted
        code = _command(args)
        if interrupted:
            # A Ctrl-C that code of the command caught and went on from (a plugin's broad catch): nothing it said
            # after it is trusted.
            raise KeyboardInterrupt
        return code
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and no traceback for it.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt as exc:
        if interrupted:
            with contextlib.suppress(OSError):
                print(
                    f"analyzer: stopped by SIGINT (Ctrl-C) before {_stopped_before(words)}: exit {EXIT_SIGINT}",
                    file=sys.stderr,
                )
            return EXIT_SIGINT
        # A plugin's own (raised in a task, the event loop lets it out): Python's handler printed its traceback as
        # it was, a URL's password in its message too.
        with contextlib.suppress(OSError):
            print(
                f"analyzer: stopped by KeyboardInterrupt (Ctrl-C?): no verdict, exit {EXIT_SIGINT}: "
                f"{_scrubbed_exception(exc, words)}",
                file=sys.stderr,
            )
        return EXIT_SIGINT
    except SystemExit:
        raise  # argparse's usage error, or a command's own exit code
    except BaseException as exc:  # noqa: BLE001 (a bug: shown as Python would, its credentials hidden)
        # Python's own handler printed the traceback as it was, and a Job's log is read by many: an httpx or
        # aiohttp error quotes the URL it was sent to, its user info or token and all. Not Exceptions alone: a
        # plugin's BaseException of its own went out of the event loop as a KeyboardInterrupt does.
        with contextlib.suppress(OSError):
            print(f"analyzer: internal error (a bug): {_scrubbed_exception(exc, words)}", file=sys.stderr)
        return EXIT_CRASH
    finally:
        if previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)
        if argv is not None:
            # An in-process caller's hook back; the process's own command keeps its own for threads that outlive it
            # (a plugin's non-daemon thread crashing while the interpreter waits for it at exit).
            threading.excepthook = thread_hook
        (gc.enable if collecting else gc.disable)()


def _interrupt_on_sigint(interrupted: list[signal.Signals]) -> Any:
    """A SIGINT recorded in `interrupted`, then raised as Interrupted (a KeyboardInterrupt that no check's evaluation
    takes for its crash), for the whole command; the handler it had, or None where handlers cannot be set (a thread
    other than the main one)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        interrupted.append(signal.Signals(signum))
        # Not imported here: a Ctrl-C during start-up may come while analyzer.errors is half imported. Before it is,
        # no evaluation runs to catch a KeyboardInterrupt.
        errors = sys.modules.get("analyzer.errors")
        raise getattr(errors, "Interrupted", KeyboardInterrupt)

    previous = signal.signal(signal.SIGINT, interrupt)
    # A handler installed by C code reads as None, which signal.signal does not take back.
    return signal.SIG_DFL if previous is None else previous


def _stopped_before(words: Sequence[str]) -> str:
    """What the command a Ctrl-C stopped had not done yet, read from its `words` (it may have come before they were
    parsed)."""
    command = next((word for word in words if not word.startswith("-")), "")
    if command == "validate" and (prometheus := _option_value(words, "--prometheus")) is not None:
        return f"the catalog was checked against Prometheus at {prometheus}"
    return {
        "validate": "the catalog was validated",
        "import": "the checks were imported",
        "list": "the checks were listed",
        "run": "the check had a verdict: no verdict",
        "serve": "the service started",
    }.get(command, "the command ended")


def _option_value(words: Sequence[str], option: str) -> str | None:
    """The value of `option` among `words` (`--prometheus URL` or `--prometheus=URL`), or None."""
    for index, word in enumerate(words):
        if word == option and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(option + "="):
            return word.partition("=")[2]
    return None


def _scrubbed_exception(exc: BaseException, words: Sequence[str]) -> str:
    """`exc`'s summary line and traceback without the credentials they may quote (`_crash_scrubber`), or its type's
    name alone when hiding them fails."""
    import traceback

    try:
        scrub = _crash_scrubber(words)
        summary = "".join(traceback.format_exception_only(exc)).rstrip()
        return f"{scrub(summary)}\n{_scrubbed_traceback(traceback.format_exception(exc), scrub)}"
    except Exception:  # noqa: BLE001 (the scrubber's own bug: the crash is still said, its text unshown)
        return f"{type(exc).__name__} (its message and traceback not shown: hiding their credentials failed)"


# Options whose values are files, times or an address, no secret: hidden, a traceback's file (a plugin under the
# catalog's directory) or an error's `'catalog.yaml' does not exist` lost what the reader needs (a credential in
# --prometheus's URL says what it is, and is hidden as such).
_SHOWN_OPTIONS = frozenset({"--catalog", "--junit", "--ca-file", "--at", "--prometheus"})


def _crash_scrubber(words: Sequence[str]) -> Callable[[str], str]:
    """What hides in a crash's traceback or an error's message the credentials it may quote: every value after an
    `=` in the command's words (but a file's, a time's or an address's option: `_SHOWN_OPTIONS`) and after `--arg
    KEY` (a secret param's, which only the catalog tells), every environment variable's under a secret name (a token
    the settings read) but a path on this machine (the shell's `PWD`), and any credential that says what it is."""
    from analyzer.redaction import credential_scrubber, is_secret_name

    values = [
        value
        for name, value in os.environ.items()
        # `PWD`, `OLDPWD`, a key file's path: where things are, which a traceback's every file starts with.
        if is_secret_name(name) and not (os.path.isabs(value) and os.path.exists(value))
    ]
    for at, word in enumerate(words):
        if word.partition("=")[0] in _SHOWN_OPTIONS:
            continue
        # Each `=`'s rest: `--arg=KEY=VALUE` holds VALUE after its second.
        values += [word[end + 1 :] for end, char in enumerate(word) if char == "="]
        if word == "--arg" and at + 2 < len(words) and "=" not in words[at + 1]:
            values.append(words[at + 2])
    return credential_scrubber(values)


# A traceback's frame line as Python writes it: its file, line and function, none of them the data the code held.
_FRAME_LINE_RE = re.compile(r'  File "[^"\n]*", line \d+(?:, in [^\n]*)?\n')


def _scrubbed_traceback(lines: Sequence[str], scrub: Callable[[str], str]) -> str:
    """A formatted traceback (`traceback.format_exception`) with `scrub` applied to all but its frames' file, line
    and function (`_FRAME_LINE_RE`): an `--arg` value or a directory's name hidden there, where a file lives, lost
    the bug's place."""
    text = "".join(lines)
    parts: list[str] = []
    at = 0
    for frame in _FRAME_LINE_RE.finditer(text):
        parts += [scrub(text[at : frame.start()]), frame[0]]
        at = frame.end()
    parts.append(scrub(text[at:]))
    return "".join(parts).rstrip()


def _error(message: str) -> None:
    """Print `analyzer: message` on stderr, its credentials hidden as a crash's are (`_crash_scrubber`) but `--arg`
    values: a plugin's import error or a catalog's problem may quote a URL with a password or a token, and a Job's log
    is read by many, while an arg's value a message names (`'eu-west-2' is not one of ...`) is one the analyzer
    hides itself when the catalog calls it secret."""
    print(f"analyzer: {_crash_scrubber(())(message)}", file=sys.stderr)


def _thread_crashed(words: Sequence[str], args: threading.ExceptHookArgs) -> None:
    """`threading.excepthook` while a command runs: a thread's crash printed as Python prints it, its credentials
    hidden (`_crash_scrubber`)."""
    if args.exc_type is SystemExit or args.exc_value is None:
        # Python's handler ignores a thread's SystemExit (a thread that ended itself).
        return
    import traceback

    name = args.thread.name if args.thread is not None else threading.get_ident()
    shown = _scrubbed_traceback(traceback.format_exception(args.exc_value), _crash_scrubber(words))
    with contextlib.suppress(OSError):
        print(f"Exception in thread {name}:\n{shown}", file=sys.stderr)


def _option_name(word: str) -> str:
    """A word given before the command as an error shows it: an option's name (`--token` of `--token=s3cret`), else
    `a word` (a value, maybe a secret)."""
    name = word.partition("=")[0]
    if re.fullmatch(r"--?[A-Za-z]+(?:[-_][A-Za-z]+)*", name):
        return f"{name}=..." if "=" in word else name
    return "a word"


def _shown_unrecognized(words: list[str]) -> list[str]:
    """The words a command did not recognize as its usage error shows them: an option by its name (`--token=...`),
    the word after an option without `=` as `...` (its value, maybe a secret: `analyzer list --token s3cret`), any
    other word as given (a path)."""
    return [
        "..." if _is_option_value(words, index) else _option_name(word) if _is_option(word) else word
        for index, word in enumerate(words)
    ]


def _is_option(word: str) -> bool:
    return word.startswith("-") and word != "-"


def _is_option_value(words: list[str], index: int) -> bool:
    """Whether `words[index]` may be the value of an option before it (`--token s3cret`)."""
    return index > 0 and _is_option(words[index - 1]) and "=" not in words[index - 1] and not _is_option(words[index])


def _usage_parser(args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser whose usage a usage error about `args` shows: its command's (`usage: analyzer run [-h] ...`,
    then `analyzer run: error: ...`), or `analyzer`'s when a word it did not recognize came before the command."""
    parser, commands = _parsers()
    return parser if args.before_command else commands[args.command]


def _catalog_hint(args: argparse.Namespace) -> str:
    """What to add when `list` was given its catalog as `validate` takes one, a path without --catalog."""
    paths = [
        word
        for index, word in enumerate(args.unrecognized)
        if not _is_option(word) and not _is_option_value(args.unrecognized, index)
    ]
    if args.command != "list" or args.catalog is not None or len(paths) != 1:
        return ""
    return f" (list takes the catalog with --catalog, where validate takes paths: analyzer list --catalog {paths[0]})"


def _misplaced_catalog(words: list[str]) -> tuple[str, str] | None:
    """(the command, what to add to its usage error) when `--catalog PATH` or `--catalog=PATH` was given to a command
    that takes none (`validate`, `import`); read before argparse, which would otherwise say of `validate
    --catalog=PATH` only that paths are required, or name the flag and not what to write instead."""
    # analyzer takes no option before its command but --help and --version, and those exit.
    command = next((word for word in words if not _is_option(word)), None)
    if command not in _NO_CATALOG_COMMANDS or "-h" in words or "--help" in words:
        return None
    after = words[words.index(command) + 1 :]
    # After `--` every word is a path, even one that reads `--catalog`.
    after = after[: after.index("--")] if "--" in after else after
    for index, word in enumerate(after):
        name, equals, value = word.partition("=")
        if name != "--catalog":
            continue
        if not equals:
            value = after[index + 1] if index + 1 < len(after) and not _is_option(after[index + 1]) else ""
        return command, _NO_CATALOG_COMMANDS[command].format(path=value or "PATH")
    return None


# What each command that takes no --catalog says to write instead.
_NO_CATALOG_COMMANDS = {
    "validate": " (validate takes the catalog as its first path, without --catalog: analyzer validate {path} ...)",
    "import": " (import reads no catalog: it prints checks as catalog YAML on stdout, to add to yours: analyzer "
    "import FORMAT FILE > imported.yaml)",
}


def _valueless_keys(args: argparse.Namespace) -> list[str]:
    """The keys of the `--arg` items given without a value (`--arg KEY`, `--arg KEY=`): a word argparse did not
    recognize may be the value of one of them."""
    return [key for key, _, value in (item.partition("=") for item in getattr(args, "arg", None) or []) if not value]


def _keyed_words(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(word, the param name it starts with) of each word `run` did not recognize that reads `KEY=VALUE` or
    `--KEY=VALUE`: an arg given without its `--arg`."""
    if getattr(args, "command", None) != "run":
        return []
    keyed = ((word, word.partition("=")[0].lstrip("-")) for word in args.unrecognized if "=" in word)
    return [(word, name) for word, name in keyed if name]


def _flag_values(args: argparse.Namespace) -> dict[int, str]:
    """Where each word `run` did not recognize stands that follows one reading `--KEY` (an option it does not
    have), by that KEY: an arg given as an option of its own (`--token VALUE`), its value in the next word."""
    if getattr(args, "command", None) != "run":
        return {}
    words = args.unrecognized
    return {
        index + 1: word.lstrip("-")
        for index, word in enumerate(words[:-1])
        if word.startswith("--") and "=" not in word and word.lstrip("-")
    }


def _shown_word(word: str, params: Collection[str], secret: frozenset[str]) -> str:
    """An unrecognized word as a usage error quotes it: the value of a `KEY=VALUE` word hidden unless KEY names a
    param that is not secret (a mistyped key may be a secret one's)."""
    from analyzer.redaction import REDACTED

    key, sep, _ = word.partition("=")
    name = key.lstrip("-")
    if not sep or not name or (name in params and name not in secret):
        return word
    return f"{key}={REDACTED}"


def _arg_hint(
    args: argparse.Namespace, unrecognized: list[str], params: Collection[str], secret: frozenset[str], hide: bool
) -> str:
    """What to add to "unrecognized arguments" when `--arg KEY VALUE` was written for `--arg KEY=VALUE`, KEY one
    of `params` (a word that names none may be a value itself), or `KEY=VALUE` without `--arg`; with `hide`, the
    value is not quoted."""
    from analyzer.redaction import REDACTED

    keys = [key for key in _valueless_keys(args) if key in params]
    flagged = _flag_values(args)
    if flagged and not hide:
        index, name = next(((index, name) for index, name in flagged.items() if name in params), (0, ""))
        if not name:
            return " (an arg is given with --arg: --arg KEY=VALUE)"
        shown = REDACTED if name in secret else unrecognized[index]
        return f" (an arg is given with --arg: did you mean --arg {name}={shown}?)"
    keyed = _keyed_words(args)
    if keyed and not _valueless_keys(args):
        word, name = next(((word, name) for word, name in keyed if name in params), keyed[0])
        if name not in params:
            return " (an arg is given with --arg: --arg KEY=VALUE)"
        shown = _shown_word(f"{name}={word.partition('=')[2]}", params, secret)
        return f" (an arg is given with --arg: did you mean --arg {shown}?)"
    if not unrecognized[0] or (unrecognized[0].startswith("-") and not hide):
        return ""
    if not keys:
        return " (an arg is one word: --arg KEY=VALUE)"

    key = ([key for key in keys if key in secret] or keys)[0]
    # A KEY=VALUE word is quoted as the words are: its value hidden unless KEY is a param that is not secret.
    shown = REDACTED if hide or _shown_word(unrecognized[0], params, secret) != unrecognized[0] else unrecognized[0]
    return f" (an arg is one word: did you mean --arg {key}={shown}?)"


def _started(args: argparse.Namespace, *, freeze: bool) -> None:
    """Start-up is done: the cyclic collector runs again; `freeze` first moves what start-up built out of its
    reach for good (a Job's whole life, its exit included: the last collection then scans only what came after).
    Neither when main's caller had the collector off: an in-process caller that manages it keeps it as it was. A
    Ctrl-C that start-up's code (a kind's validator) caught and went on from stops the command here (`serve` would
    start serving)."""
    _stop_if_interrupted(args)
    if not args.collector_was_on:
        return
    if freeze:
        gc.freeze()
    gc.enable()


def _stop_if_interrupted(args: argparse.Namespace) -> None:
    """KeyboardInterrupt when a Ctrl-C came during the command (`main` says the stop), even one a kind's code caught
    and went on from: nothing it did after it is trusted."""
    if getattr(args, "interrupted", None):
        raise KeyboardInterrupt


# Why stdout could not be written, once `_say` found it so (a full disk under `> catalog.yaml`).
_stdout_lost: list[str] = []


def _say(text: str, end: str = "\n") -> None:
    """`text` on stdout, as print writes it."""
    _to_stdout(lambda out: out.write(text + end))


def _to_stdout(write: Callable[[TextIO], object]) -> None:
    """`write` done on stdout; if it cannot be written, said once on stderr and stdout silenced, so that the
    command goes on to its exit code (`_command` decides what the lost output means for it). A reader gone
    (`| head`) raises BrokenPipeError, as print does."""
    try:
        if sys.stdout is None:
            # Closed (`>&-`): Python has no stdout at all, and what the command prints is lost as on a full disk.
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        write(sys.stdout)
    except BrokenPipeError:
        raise
    except OSError as exc:
        if sys.stdout is not None:
            _silence_stdout()
        if not _stdout_lost:
            print(f"analyzer: cannot write to stdout: {exc.strerror or exc}", file=sys.stderr)
        _stdout_lost.append(exc.strerror or str(exc))


def _command(args: argparse.Namespace) -> int:
    from analyzer.errors import AnalyzerError, ConfigError

    _stdout_lost.clear()
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "run":
            return _run(args)
        # `is not None`: an option given empty (`--prometheus "$URL"`, the variable unset) is refused there, not
        # read as left out (an offline validation that passes where the live one was asked for).
        if args.command == "validate" and (args.prometheus, args.at, args.ca_file) != (None, None, None):
            code = _validate_live(args)
        elif args.command == "validate":
            code = _validate(args.paths)
        else:
            code = _import(args) if args.command == "import" else _list(args)
        # Here, not at exit, where a failed flush is a traceback and exit 120.
        _to_stdout(lambda out: out.flush())
        # What `import` and `list` print is what they are for: output lost is no success (a catalog cut short).
        return EXIT_ERROR if _stdout_lost and code == EXIT_PASS and args.command != "validate" else code
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_INVALID_CATALOG
    except AnalyzerError as exc:
        _error(exc.message)
        return EXIT_USAGE
    except SystemExit as exc:
        import argparse
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        callers = [frame for frame in frames if frame.filename != argparse.__file__]
        if callers and callers[-1].filename == __file__:
            raise  # a usage error of this module's (argparse's error() exits 2)
        # A command returns its code, never raises it: this is a plugin's sys.exit() as it was imported or validated
        # (a kind's evaluation is the runner's internal error). Exit 0 was the pass of a Job (`run`) or a valid
        # catalog (`validate`), 3 or 4 a fail's or an inconclusive's no check gave, and a message (`sys.exit("...")`)
        # printed by Python as it was, a URL's password too: each is an error, its message scrubbed.
        status = f"exit status {exc.code or 0}" if exc.code is None or isinstance(exc.code, int) else str(exc.code)
        # Where it was raised: the plugin's line that called sys.exit() (a builtin, no frame of its own) or argparse.
        at = f" at {callers[-1].filename}:{callers[-1].lineno}" if callers else ""
        _error(
            f"internal error: SystemExit ({status}) raised by plugin code{at} (a kind's import, validator or method), "
            "not by the analyzer: no result; fix or remove that plugin"
        )
        return EXIT_ERROR
    finally:
        if args.command in ("validate", "import", "list"):
            # Also after an error (warnings printed, then an invalid catalog): never a failed flush at exit.
            _to_stdout(lambda out: out.flush())


def _load(
    catalog_path: Path | None, *, every_kind: bool = False, only: str | None = None, check_files: bool = True
) -> tuple[Registry, Catalog]:
    """The registry and the catalog; `every_kind` imports every installed kind, used or not; `only` validates
    just that check and those it references (a Job); `check_files=False` leaves the files sources name unread."""
    from analyzer.catalog import load_catalog
    from analyzer.errors import ConfigError
    from analyzer.registry import Registry

    if catalog_path is None:
        raise ConfigError(_no_catalog(os.environ))
    registry = Registry.default()
    if every_kind:
        registry.load_all()
    return registry, load_catalog(catalog_path, registry, only=only, check_files=check_files)


def _no_catalog(environ: Mapping[str, str]) -> str:
    """What a command given no catalog says (exit 6, as any setting missing): the flag and the variable to set, and
    why the variable a user believes set gives none (set empty, or under a name one letter off)."""
    from analyzer.settings import unknown_variables

    said = "no catalog: pass --catalog PATH (a catalog file or directory) or set ANALYZER_CATALOG"
    if environ.get("ANALYZER_CATALOG") == "":
        # Settings reads an empty variable as unset: a Job's `value: $(CATALOG)` of a variable it lacks.
        said += "; ANALYZER_CATALOG is set but empty (an unset variable?)"
    for variable, meant in unknown_variables(environ):
        if meant == "ANALYZER_CATALOG":
            said += f"; {variable} is set, which names no setting: did you mean ANALYZER_CATALOG?"
    return said


def _serve(args: argparse.Namespace) -> int:
    import structlog
    import uvloop

    from analyzer.errors import ConfigError
    from analyzer.logs import configure_logging
    from analyzer.server import serve
    from analyzer.settings import Settings, unknown_variables

    settings = Settings.from_env(
        catalog=args.catalog, host=args.host, port=args.port, log_format=args.log_format, serving=True
    )
    if settings.probe_port and settings.probe_port == settings.port:
        # Both listen on the same host: the probes' would find the port taken, by this very process. Not a Settings
        # rule: `analyzer run` listens on neither, and a Job copying the service's env must not stop at it.
        raise ConfigError(
            "invalid settings",
            [
                f"ANALYZER_PROBE_PORT ({settings.probe_port}) is the API's port (ANALYZER_PORT / --port): give the "
                "probes a port of their own, or 0 for none"
            ],
        )
    configure_logging(settings.log_format, settings.log_level, cache_loggers=True)
    log = structlog.get_logger("analyzer")
    # Before the catalog's load: `ANALYZER_CATLOG` stops the start at "no catalog", which does not name it.
    for variable, meant in unknown_variables(os.environ):
        log.warning("unknown_setting", variable=variable, meant=meant, settings="docs/settings.md")
    # Every kind at start: a broken plugin stops the service now, not at the reload of a catalog that uses it,
    # and no request pays for importing a kind.
    registry, catalog = _load(settings.catalog, every_kind=True)
    for warning in catalog.warnings:
        log.warning("catalog_warning", warning=warning)
    log.info(
        "analyzer_starting",
        host=settings.host,
        port=settings.port,
        checks=len(catalog.checks),
        catalog_version=catalog.version,
    )
    # Start-up's garbage goes now, not frozen with the rest when the service settles the collector once it is up
    # (analyzer.server.settle_collector).
    gc.collect()
    _started(args, freeze=False)
    # uvloop: measured 1.6x the requests per second of the default loop on the same check (make bench).
    uvloop.run(serve(settings, catalog, registry))
    return EXIT_PASS


def _run(args: argparse.Namespace) -> int:
    stopped_by: list[signal.Signals] = []
    previous = _record_stops(stopped_by)
    try:
        return _run_unless_stopped(args, stopped_by)
    finally:
        from analyzer.logs import stop_setting_up_at_import

        # As an in-process caller had them; no hook left to set structlog up (for a stderr it may have closed).
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop_setting_up_at_import()


def _port_forward_hints(reason: str, sources: Mapping[str, Any]) -> list[str]:
    """For each source `reason` calls unreachable at a host name (`prometheus.monitoring.svc`: a Job's in-cluster
    address, which a laptop cannot resolve), how to run the check from outside the cluster: a port-forward and
    --prometheus."""
    from urllib.parse import urlsplit

    hints = []
    for name, config in sources.items():
        url = str(getattr(config, "url", ""))
        if f"source {name!r} ({url}) is unreachable" not in reason:
            continue
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        if not host or host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
            continue  # an address, not a name a cluster's DNS gives
        labels = host.split(".")
        namespace = f"-n {labels[1]} " if len(labels) > 1 else ""
        local = f"{parts.scheme}://localhost:{port}"
        pointed = f"{name}={local}" if len(sources) > 1 else local
        hints.append(
            f"if {host} is a service inside a Kubernetes cluster (its address from a pod), run from outside it "
            f"through a port-forward: kubectl {namespace}port-forward svc/{labels[0]} {port}, then add "
            f"--prometheus {pointed}"
        )
    return hints


def _no_series_hint(
    evaluation: Evaluation, check: Check, catalog: Path | None, sources: Mapping[str, Any]
) -> str | None:
    """For a `prometheus` check whose query returned no series (judged by its no_data policy, `pass` too), how to
    tell a quiet canary from a misspelt metric, label or value, which read the same: the lint that names them."""
    if evaluation.kind != "prometheus" or not evaluation.reason.startswith("the query returned no series"):
        return None
    names = sorted(check.source_names())
    url = str(getattr(sources.get(names[0]), "url", "")) if len(names) == 1 else ""
    return (
        "the query returned no series, which is also what a misspelt metric, label or label value reads: "
        f"`analyzer validate {catalog} --prometheus {url or 'URL'}` names each one that Prometheus lacks"
    )


def _offer_prometheus(exc: ConfigError, given: Sequence[str]) -> None:
    """`exc`'s hints for a source the catalog lacks offer the Prometheus the user named (`given`: --prometheus, when
    it is one bare http(s) base URL) in place of the example address."""
    from pydantic import ValidationError

    from analyzer.check import source_hint_at
    from analyzer.sources import PrometheusSourceConfig

    if len(given) != 1 or "://" not in given[0].partition("=")[0]:
        return
    try:
        # Not a URL that carries a user:password, nor one the source would refuse.
        PrometheusSourceConfig(url=given[0])
    except ValidationError:
        return
    exc.problems = [source_hint_at(problem, given[0]) for problem in exc.problems]


def _run_unless_stopped(args: argparse.Namespace, stopped_by: list[signal.Signals]) -> int:
    import asyncio

    from analyzer.errors import ArgError, CheckNotFound, ConfigError
    from analyzer.jobmode import human_summary, junit_xml
    from analyzer.logs import configure_logging, take_structlog_back
    from analyzer.models import details_json, strict_json
    from analyzer.params import GivenArgs, parse_time, render_value
    from analyzer.runner import Runner
    from analyzer.settings import Settings
    from analyzer.sources import Sources

    if args.ca_file is not None and not args.prometheus:
        print(
            "analyzer: --ca-file needs --prometheus (a source of the catalog verifies with its own ca_file)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.ca_file is not None and not _readable(args.ca_file):
        return EXIT_USAGE
    _stdout_is_not_read([path for _, path in _inputs_before_load(args)])
    settings = Settings.from_env(catalog=args.catalog)
    configure_logging("console", "warning", at_first_line=True)
    # Only the check it runs, and those it references: a Job neither pays for the rest of a shared catalog nor
    # fails on another team's mistake in it (`analyzer validate` and the service still check everything).
    # --prometheus: the files of the sources it points elsewhere live in the pod, not where this runs.
    try:
        _, catalog = _load(settings.catalog, only=args.name, check_files=not args.prometheus)
    except ConfigError as exc:
        _offer_prometheus(exc, args.prometheus)
        raise
    # A kind's module that imported structlog (and so had it set up) may have configured it its own way since.
    take_structlog_back()
    if args.junit is not None and _report_clashes(args.junit, _source_files(catalog)):
        return EXIT_USAGE
    try:
        check = catalog.get(args.name, listed_by=f"`analyzer list --catalog {settings.catalog}` lists them")
    except CheckNotFound:
        if "=" in args.name:
            # `run token=VALUE NAME`: a KEY=VALUE word took the place of the check's name (no name holds `=`).
            _usage_parser(args).error(
                f"no check named {_shown_word(args.name, (), frozenset())!r}: an arg is given after the check's "
                "name, with --arg: --arg KEY=VALUE"
            )
        if args.unrecognized and (_valueless_keys(args) or _flag_values(args)):
            # `run --arg token "$TOKEN" NAME`, `run --token "$TOKEN" NAME`: the value took the place of the check's
            # name, which is not quoted.
            _usage_parser(args).error(
                "unrecognized arguments (not shown: a word after an --arg without =VALUE, or after an option `run` "
                "does not have, took the place of the check's name, and may be that arg's value); an arg is one "
                "word: --arg KEY=VALUE"
            )
        raise
    if args.unrecognized:
        _usage_error(args, check.params, check.secret_params())
    configs = catalog.sources
    if args.prometheus:
        from analyzer.pointing import pointed_at

        try:
            configs = pointed_at(catalog, args.name, args.prometheus, args.ca_file)
        except ValueError as exc:
            print(f"analyzer: --prometheus: {exc}", file=sys.stderr)
            return EXIT_USAGE
    raw_args: dict[str, str] = {}
    for item in args.arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            # A word that names no param may be a value given without its key: a secret one, from the Job's env.
            if item in check.params:
                print(f"analyzer: --arg {item!r} is not KEY=VALUE", file=sys.stderr)
            else:
                print(
                    f"analyzer: an --arg is not KEY=VALUE (not shown: it names no param of check {check.name!r}, "
                    "and may be a value)",
                    file=sys.stderr,
                )
            return EXIT_USAGE
        if key in raw_args:
            print(f"analyzer: --arg {key!r} is given twice", file=sys.stderr)
            return EXIT_USAGE
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            # Bytes that are not UTF-8 reach Python as lone surrogates, which no query or URL can carry. The key
            # is shown with its bad bytes escaped; the value never (it may be a secret).
            shown = key.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            print(f"analyzer: --arg '{shown}' is not valid UTF-8", file=sys.stderr)
            return EXIT_USAGE
        raw_args[key] = value
    try:
        # No --arg is a piece of another's value split at an '&', as a query string's may be.
        bound = check.bind_args(GivenArgs(raw_args, 0))
    except ArgError as exc:
        param = check.params.get(exc.arg or "")
        if exc.arg in raw_args or param is None or exc.arg in check.secret_params():
            raise
        # Missing: how to give it here, with the value the catalog offers as an example, else a word to replace.
        value = "VALUE" if param.example is None else render_value(param.example)
        print(f"analyzer: {exc.message}: give it as --arg {exc.arg}={value}", file=sys.stderr)
        return EXIT_USAGE
    try:
        # An empty --at (`--at "$AT"`, the variable unset) is refused, as the API refuses `at=`: not now.
        at = parse_time(args.at) if args.at is not None else None
    except ValueError as exc:
        print(f"analyzer: --at: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _started(args, freeze=True)

    async def evaluate() -> Evaluation:
        _stop_on_signals(stopped_by)
        if stopped_by:
            # Stopped during start-up: no request is sent.
            raise asyncio.CancelledError
        sources = Sources(configs, http=lambda: _http_client(settings))
        # No metrics: nothing scrapes a Job, and prometheus_client is not worth importing for it.
        # No `check_evaluated`: the verdict line names an error with its reason; a log line before it (stderr is
        # written at once, a piped stdout at exit) said the same first, with a page no Job serves.
        runner = Runner(catalog, sources, None, settings.deadline_s, logs_evaluations=False)
        try:
            return await runner.evaluate(check, bound, at)
        finally:
            # A stop cancels a composite's members without waiting for them: their cancellations unwind before
            # the sources close, or a member still unwinding would meet a closed source and answer (and log) that.
            await runner.drain()
            await sources.aclose()

    evaluation: Evaluation | None = None
    try:
        evaluation = asyncio.run(evaluate())
    except asyncio.CancelledError:
        if not stopped_by:
            raise
    finally:
        # The closed loop left SIGTERM to its default action: recorded again, a stop once the verdict is known
        # leaves it standing, as PID 1 or not.
        _record_stops(stopped_by)
    if evaluation is None or stopped_by:
        # Also an evaluation that returned although it was cancelled: nothing it says after a stop is trusted.
        signum = stopped_by[0]
        why = "Ctrl-C" if signum == signal.SIGINT else "its pod deleted, or the Job past its activeDeadlineSeconds?"
        print(
            f"analyzer: stopped by {signum.name} ({why}) before check {check.name!r} had a verdict: no verdict, "
            f"exit {128 + signum}",
            file=sys.stderr,
        )
        # 128 + the signal, as a shell reports a command a signal ended: never a verdict's code.
        return 128 + signum
    try:
        if args.json:
            _print_utf8(strict_json(evaluation.to_json(explain=True), indent=2))
        else:
            print(human_summary(evaluation))
            if args.explain:
                # The evidence as --json and the API write it: NaN spelt "NaN", which a JSON reader accepts.
                _print_utf8(strict_json(details_json(evaluation.details), indent=2))
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        # `analyzer run ... --json | head`: the verdict stands, and so does its exit code.
        _silence_stdout()
    except OSError as exc:
        # A full disk under `> summary.txt`: the verdict stands, as for a JUnit report that cannot be written; a
        # crash's exit 1 would have a Job retry a check that failed.
        _silence_stdout()
        print(f"analyzer: cannot write the summary to stdout: {exc.strerror or exc}", file=sys.stderr)
    if evaluation.error == "source_unavailable" and not args.prometheus:
        for hint in _port_forward_hints(evaluation.reason, configs):
            print(f"analyzer: {hint}", file=sys.stderr)
    if (no_series := _no_series_hint(evaluation, check, settings.catalog, configs)) is not None:
        print(f"analyzer: {no_series}", file=sys.stderr)
    if args.junit is not None:
        problem = _write_report(args.junit, junit_xml(evaluation))
        if problem is not None:
            # The verdict stands; the pipeline's report step will notice the missing file.
            print(f"analyzer: cannot write the JUnit report {str(args.junit)!r}: {problem}", file=sys.stderr)
    return EXIT_CODES[evaluation.verdict]


def _print_utf8(data: bytes) -> None:
    """A line of UTF-8 on stdout, whatever encoding the locale gives its text (an ASCII one refuses a target's
    non-ASCII answer quoted in `--json`: a crash's exit 1 for a verdict)."""
    if sys.stdout is None:
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data + b"\n")


def _format_option(unrecognized: list[str]) -> str | None:
    """The words `--format VALUE` (or `--format=VALUE`) when they are all `run` did not recognize, as a usage error
    quotes them (VALUE only when `text` or `json`), else None."""
    from analyzer.redaction import REDACTED

    if len(unrecognized) == 2 and unrecognized[0] == "--format":
        value = unrecognized[1]
    elif len(unrecognized) == 1 and unrecognized[0].startswith("--format="):
        value = unrecognized[0].partition("=")[2]
    else:
        return None
    shown = value if value in ("text", "json") else REDACTED
    return f"--format {shown}" if unrecognized[0] == "--format" else f"--format={shown}"


def _usage_error(args: argparse.Namespace, params: Collection[str], secret: frozenset[str]) -> None:
    """Exit 2 for `--arg KEY VALUE`, as argparse says any unrecognized argument, without quoting a word that
    may be the value of a param in `secret` or of a key that names no param (a token the Job passes from a
    Secret lands in its log otherwise)."""
    from analyzer.redaction import REDACTED

    format_words = _format_option(args.unrecognized)
    if format_words is not None:
        # The API's `format=`, not an arg: the hint for args would send `--arg format=text`, a reserved name.
        _usage_parser(args).error(
            f"unrecognized arguments: {format_words} (`analyzer run` prints the text line, as the API's "
            "format=text does; --json prints the JSON answer)"
        )
    # Which word is which key's value argparse cannot tell (`--arg build --arg token VALUE`), nor whether a word
    # starting with '-' is an option or a token: with a secret key among them, or a key that names no param (a
    # secret one mistyped: `--arg tokn VALUE`), no word is quoted.
    hide = any(key in secret or key not in params for key in _valueless_keys(args))
    # The word after an option `run` does not have (`--token VALUE`) is that KEY's value.
    flagged = _flag_values(args)
    words = (
        [REDACTED] * len(args.unrecognized)
        if hide
        else [
            REDACTED
            if index in flagged and (flagged[index] not in params or flagged[index] in secret)
            else _shown_word(word, params, secret)
            for index, word in enumerate(args.unrecognized)
        ]
    )
    _usage_parser(args).error(
        f"unrecognized arguments: {' '.join(words)}{_arg_hint(args, args.unrecognized, params, secret, hide)}"
    )


def _record_stops(stopped_by: list[signal.Signals]) -> dict[signal.Signals, Any]:
    """SIGTERM and SIGINT recorded in `stopped_by` from now on (start-up, before the evaluation's loop handles
    them: as PID 1 the kernel ignores a SIGTERM left to its default action, and the check would run to a
    verdict); the handlers they had."""

    def record(signum: int, frame: object) -> None:
        stopped_by.append(signal.Signals(signum))

    previous = {signum: signal.signal(signum, record) for signum in (signal.SIGTERM, signal.SIGINT)}
    # A handler installed by C code reads as None, which signal.signal does not take back.
    return {signum: signal.SIG_DFL if handler is None else handler for signum, handler in previous.items()}


def _inputs_before_load(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """What `run` reads that is known before its catalog is loaded, each said as an error names it: the catalog's
    files (the file, or a directory's members) and the --ca-file."""
    inputs: list[tuple[str, Path]] = []
    # As Settings reads it: an empty variable is no catalog.
    catalog = args.catalog if args.catalog is not None else os.environ.get("ANALYZER_CATALOG")
    if catalog:
        # The loader's listing, from a module that imports nothing else: stop signals are not recorded yet here.
        from analyzer.catalog_paths import listed_catalog_files

        files = listed_catalog_files(Path(catalog)) or [Path(catalog)]
        inputs += [(f"the catalog file {str(path)!r}", path) for path in files]
    if args.ca_file is not None:
        inputs.append((f"the --ca-file {str(args.ca_file)!r}", args.ca_file))
    return inputs


def _source_files(catalog: Catalog) -> list[tuple[str, Path]]:
    """The files the catalog's sources name (a token, a CA bundle), each said as an error names it."""
    return [
        (f"the {field} {str(path)!r} of source {name!r}", path)
        for name, config in catalog.sources.items()
        for field, path in (("bearer_token_file", config.bearer_token_file), ("ca_file", config.ca_file))
        if path is not None
    ]


def _report_clashes(report: Path, inputs: list[tuple[str, Path]]) -> bool:
    """Whether the --junit `report` is one of `inputs` (through a symlink or a hard link too), which removing an
    older report or writing this one would destroy; if so, says so on stderr."""
    try:
        report_stat = report.stat()
    except OSError:
        return False  # nothing there (or nothing reachable): no input it could be
    for what, path in inputs:
        try:
            same = os.path.samestat(report_stat, path.stat())
        except OSError:
            continue
        if same:
            print(
                f"analyzer: --junit {str(report)!r} is the same file as {what}: the report would overwrite it "
                "(give --junit a path of its own)",
                file=sys.stderr,
            )
            return True
    return False


def _remove_older_report(path: Path) -> None:
    """The file at `path` removed if it is a regular file that reads as XML (a report of an earlier run); what is
    not one (a symlink, a device, a directory, a file of another kind) is left for the report's writing to fail
    on or write through."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return
        with path.open("rb") as file:
            head = file.read(64)
        # A token, a PEM bundle or a YAML file that --junit names by mistake is not a report: never deleted.
        if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        print(f"analyzer: cannot remove the older JUnit report {str(path)!r}: {exc.strerror or exc}", file=sys.stderr)


def _stop_on_signals(stopped_by: list[signal.Signals]) -> None:
    """SIGTERM and SIGINT cancel the running task and are recorded in `stopped_by`. A handler of its own for
    SIGTERM: as a container's PID 1 (the image's entrypoint) the kernel ignores a signal left to its default
    action, and the check would go on until the kubelet's SIGKILL."""
    import asyncio

    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()

    def stop(signum: signal.Signals) -> None:
        # Once: a second cancellation would interrupt the closing of the sources that the first one started.
        if not stopped_by:
            task.cancel()
        stopped_by.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)


def _write_report(path: Path, report: bytes) -> str | None:
    """Write `report` to `path`; on failure the reason, and no partial file left behind (a file it opened is
    removed): a report cut short by a full disk could show the steps before the cut and not the failed one after."""
    try:
        file = path.open("wb")
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        with file:
            file.write(report)
    except OSError as exc:
        with contextlib.suppress(OSError):
            if path.is_file():
                path.unlink()
        return exc.strerror or str(exc)
    return None


def _readable(ca_file: Path) -> bool:
    """Whether the --ca-file given can be read; if not, says so on stderr."""
    try:
        with ca_file.open("rb"):
            return True
    except OSError as exc:
        print(f"analyzer: --ca-file {str(ca_file)!r} cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return False


def _http_client(settings: Settings) -> HttpClient:
    """The client of HTTP checks; imported here, when a check first needs it (httpx takes tens of ms)."""
    from analyzer.sources.http import HttpClient

    return HttpClient(settings.http_policy())


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _catalog_ok(catalog: Catalog) -> str:
    """The line `validate` prints for a valid catalog."""
    checks, sources = _counted(len(catalog.checks), "check"), _counted(len(catalog.sources), "source")
    return f"ok: {checks}, {sources} (catalog version {catalog.version})"


def _counted(count: int, noun: str) -> str:
    """`1 check`, `2 checks`: a count with its noun."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _validate(paths: list[Path]) -> int:
    from analyzer.argo_templates import alias_problems
    from analyzer.catalog import load_catalog
    from analyzer.errors import ConfigError, InvalidCatalog
    from analyzer.promql_syntax import ADVICE, syntax_problems
    from analyzer.registry import Registry

    # Files the catalog names (a source's ca_file) live in the pod, not where CI validates: the service
    # checks them when it loads the catalog.
    try:
        catalog = load_catalog(_catalog_paths(paths), Registry.default(), check_files=False)
    except InvalidCatalog as exc:
        # The checks without a problem are parsed too, and the AnalysisTemplates checked against them: a CI run names
        # every problem, not those of one stage at a time.
        unparsed = syntax_problems(exc.valid_part)
        if unparsed:
            _invalid([*exc.problems, *map(str, unparsed)], ADVICE)
        else:
            _error(str(exc))
        _templates_invalid(paths, exc.valid_part)
        return EXIT_INVALID_CATALOG
    except ConfigError as exc:
        # A manifest holding an alias go-yaml refuses parses as no catalog file either: PyYAML's words say neither
        # which alias (`FILE:LINE`) nor that an anchor ends with its document.
        aliased = [problem for problem in alias_problems(paths) if problem not in exc.problems]
        if aliased:
            raise ConfigError("the catalog is invalid", [*exc.problems, *aliased]) from exc
        raise
    for warning in catalog.warnings:
        _say(f"warning: {warning}")
    unparsed = syntax_problems(catalog)
    if unparsed:
        _invalid([str(problem) for problem in unparsed], ADVICE)
        _templates_invalid(paths, catalog)
        return EXIT_INVALID_CATALOG
    if _templates_invalid(paths, catalog):
        return EXIT_INVALID_CATALOG
    _say(_catalog_ok(catalog))
    return EXIT_PASS


def _invalid(problems: list[str], advice: str) -> int:
    """Say that the catalog is invalid, listing `problems`, then `advice`, on stderr; the exit code that says so."""
    _error("\n".join(["the catalog is invalid:", *(f"  - {problem}" for problem in problems)]))
    print(f"analyzer: {advice}", file=sys.stderr)
    return EXIT_INVALID_CATALOG


def _templates_invalid(paths: list[Path], catalog: Catalog) -> bool:
    """Whether an AnalysisTemplate or a Job under `paths` calls a check the catalog lacks, or calls it with args it
    refuses (said on stderr, each under its own header); what is left unchecked is noted on stdout."""
    from analyzer.argo_templates import (
        analysis_run_problems,
        job_notes,
        job_problems,
        template_notes,
        template_problems,
    )
    from analyzer.settings import Settings

    for note in template_notes(paths, catalog) + job_notes(paths, catalog):
        _say(f"note: {note}")
    # The service's deadline and queue wait, as ANALYZER_* set them where `validate` runs (defaults otherwise).
    settings = Settings.from_env()
    problems = template_problems(paths, catalog, settings)
    runs = analysis_run_problems(paths, catalog, settings)
    jobs = job_problems(paths, catalog)
    for found, header in (
        (problems, "an AnalysisTemplate calls the catalog wrongly"),
        (runs, "an AnalysisRun calls the catalog wrongly"),
        # A Job's problems are also of what it runs instead of a check (`analyzer serve`), and of its deadline.
        (jobs, "a Job ends without a verdict, or calls the catalog wrongly"),
    ):
        if found:
            print(
                f"analyzer: {header}:",
                *(f"  - {p}" for p in found),
                sep="\n",
                file=sys.stderr,
            )
    return bool(problems or runs or jobs)


def _stdout_is_not_read(files: list[Path]) -> None:
    """AnalyzerError (a usage error) when stdout is one of the `files` the command reads: `analyzer import sloth
    slos.yaml > slos.yaml` (the shell empties the file before it is read, and the checks would replace the
    spec), `analyzer validate catalog.yaml > catalog.yaml` (an empty catalog is valid: exit 0), `analyzer run
    CHECK --catalog dir > dir/summary.yaml` (a file the service's next load of that directory reads too)."""
    from analyzer.errors import AnalyzerError

    try:
        out = os.fstat(sys.stdout.fileno()) if sys.stdout is not None else None
    except (OSError, ValueError):
        return  # no file behind stdout (closed, or replaced by a caller): nothing to compare
    if out is None or not stat.S_ISREG(out.st_mode):
        return
    for file in files:
        with contextlib.suppress(OSError):
            if os.path.samestat(out, file.stat()):
                raise AnalyzerError(
                    f"stdout is {str(file)!r}, which this command reads (a shell's `>` empties it before the "
                    "command starts): write the output to another file"
                )


def _catalog_paths(paths: list[Path]) -> list[Path]:
    """The catalog files `validate` reads: files as given, directories searched recursively (files holding
    only other Kubernetes objects are left out and listed)."""
    from analyzer.argo_templates import (
        holds_analyses,
        holds_checking_jobs,
        holds_jobs,
        holds_runs,
        holds_templates,
        service_files,
    )
    from analyzer.errors import ConfigError

    charts = _helm_charts(paths)
    if charts:
        shown = ", ".join(repr(str(chart)) for chart in charts)
        first = charts[0]
        raise ConfigError(
            f"{shown} {'is a Helm chart' if len(charts) == 1 else 'are Helm charts'} (Chart.yaml): its templates are "
            "not YAML until Helm renders them, and validate reads what is applied to the cluster; render it with "
            f"your values, then validate what it renders: helm template {_release_name(first)} {first} --output-dir "
            "rendered && analyzer validate rendered"
        )
    files: list[Path] = []
    skipped: list[Path] = []
    # The files of the Services that the templates' and AnalysisRuns' urls may call, whose ports are read: given by
    # name too (docs/argo-rollouts.md: "the analyzer's Service among them"), they are no catalog file.
    called = set(service_files(paths)) if holds_templates(paths) or holds_runs(paths) else set()
    for path in paths:
        if path.is_dir() and (path / "..data").is_symlink():
            # A mounted ConfigMap (the catalog's, in a pod): read as the service reads it, one version whole, the
            # files of its `items:` subdirectories too, which a search of the directory would not follow the links to.
            files.append(path)
        elif path.is_dir():
            found, others = _catalog_files_under(path)
            # A directory of AnalysisTemplates (or of the Rollouts that fill them in) only (`validate catalog/
            # rollouts/`): they are checked against the catalog of the other paths.
            if not found and not any(
                holds(others) for holds in (holds_templates, holds_analyses, holds_runs, holds_jobs)
            ):
                raise ConfigError(f"no catalog documents in any *.yaml, *.yml or *.json file under {str(path)!r}")
            files.extend(found)
            skipped.extend(others)
        elif (
            str(path) in called
            or any(holds([path]) for holds in (holds_templates, holds_analyses, holds_runs, holds_jobs))
        ) and _holds_no_catalog_document(path):
            skipped.append(path)
        else:
            files.append(path)
    if not files:
        shown = ", ".join(repr(str(path)) for path in paths)
        raise ConfigError(
            f"no catalog documents in {shown}, only AnalysisTemplates: give the catalog's files too, which they are "
            "checked against"
        )
    _stdout_is_not_read(files + skipped)
    # Files of AnalysisTemplates are not catalog files, but they are read: checked against the catalog, not skipped.
    templates = [path for path in skipped if holds_templates([path])]
    # So are those of Rollouts and Experiments: the args and dryRun of their analyses fill the templates in.
    analyses = [path for path in skipped if path not in templates and holds_analyses([path])]
    # And AnalysisRuns, whose args are their own.
    runs = [path for path in skipped if path not in templates + analyses and holds_runs([path])]
    # And Jobs of their own that run `analyzer run`, or whose containers of the analyzer run no check (`analyzer
    # serve`, `sh -c true`): read to say so.
    jobs = [path for path in skipped if path not in templates + analyses + runs and holds_jobs([path])]
    idle_jobs = [path for path in jobs if not holds_checking_jobs([path])]
    jobs = [path for path in jobs if path not in idle_jobs]
    services = [path for path in skipped if str(path) in called]
    others = [path for path in skipped if path not in templates + analyses + runs + jobs + idle_jobs + services]
    if templates:
        _say(
            f"{_counted(len(templates), 'file')} of AnalysisTemplates, checked against the catalog: "
            f"{', '.join(str(p) for p in templates)}"
        )
    if analyses:
        _say(
            f"{_counted(len(analyses), 'file')} of Rollouts and Experiments, whose analyses' args fill those templates "
            f"in: {', '.join(str(p) for p in analyses)}"
        )
    if runs:
        _say(
            f"{_counted(len(runs), 'file')} of AnalysisRuns, checked against the catalog with their args: "
            f"{', '.join(str(p) for p in runs)}"
        )
    if jobs:
        _say(
            f"{_counted(len(jobs), 'file')} of Jobs running analyzer run, checked against the catalog: "
            f"{', '.join(str(p) for p in jobs)}"
        )
    if idle_jobs:
        _say(
            f"{_counted(len(idle_jobs), 'file')} of Jobs of the analyzer whose containers' commands are no `analyzer "
            f"run` (a shell line, another command), read for what they run instead: "
            f"{', '.join(str(p) for p in idle_jobs)}"
        )
    if services:
        _say(
            f"{_counted(len(services), 'file')} of Services, whose ports the urls calling them are checked against: "
            f"{', '.join(str(p) for p in services)}"
        )
    if others:
        _say(
            f"skipped {_counted(len(others), 'file')} holding no catalog document: {', '.join(str(p) for p in others)}"
        )
    return files


_HELM_CHART_FILE = "Chart.yaml"
# What a chart holds beside Chart.yaml that Helm renders or reads: a path under one is a chart's source.
_HELM_CHART_PARTS = ("templates", "charts", "values.yaml", "values.schema.json", "crds")


def _helm_charts(paths: list[Path]) -> list[Path]:
    """The Helm charts among `paths`: a directory holding Chart.yaml or one under it, visible, and the chart a path
    given lies in (`chart/templates`, `chart/values.yaml`)."""
    charts: list[Path] = []
    for path in paths:
        if path.is_dir():
            charts += [
                found.parent
                for found in sorted(path.rglob(_HELM_CHART_FILE))
                if not any(part.startswith(".") for part in found.relative_to(path).parts)
            ]
        charts += [
            chart
            for chart in path.parents
            if (chart / _HELM_CHART_FILE).is_file() and path.relative_to(chart).parts[0] in _HELM_CHART_PARTS
        ][:1]
    return list(dict.fromkeys(charts))


def _release_name(chart: Path) -> str:
    """The chart's `name` when Helm takes it as a release name, so that the command shown runs as printed; else
    RELEASE."""
    import re

    import yaml

    try:
        name = (yaml.safe_load((chart / _HELM_CHART_FILE).read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        return "RELEASE"
    return name if isinstance(name, str) and re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?", name) else "RELEASE"


def _catalog_files_under(root: Path) -> tuple[list[Path], list[Path]]:
    """(catalog files, other YAML and JSON files) under a directory, recursively, hidden entries skipped.

    Only files whose every document is another Kubernetes object (a Rollout, a kustomization, a ConfigMap
    without catalog data) are left out: a plain mapping is a catalog document, so a misspelt key is reported,
    not skipped. A *.json file (kubectl applies those too) is read as a manifest: a catalog document only when it
    is a Kubernetes object (a ConfigMap of the catalog, an SLO spec to import), so a dashboard or a package.json
    beside the manifests is skipped, not reported."""
    import yaml

    from analyzer.catalog_paths import MANIFEST_SUFFIXES

    found: list[Path] = []
    others: list[Path] = []
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if hidden or not path.is_file() or path.suffix not in MANIFEST_SUFFIXES:
            continue
        is_json = path.suffix == ".json"
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            # The loader reports what is wrong with a YAML file; a JSON one it cannot read is no manifest either.
            (others if is_json else found).append(path)
            continue
        catalog = any(_is_catalog_document(d, path.name) and (not is_json or _is_object(d)) for d in documents)
        (found if catalog else others).append(path)
    return found, others


def _is_object(document: object) -> bool:
    """Whether a document is a Kubernetes object (apiVersion and kind), as kubectl applies one."""
    return isinstance(document, dict) and "apiVersion" in document and "kind" in document


def _holds_no_catalog_document(path: Path) -> bool:
    """Whether a YAML file that parses holds only other Kubernetes objects (a file that does not parse is the
    loader's to report)."""
    import yaml

    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return not any(_is_catalog_document(d, path.name) for d in documents)


def _is_catalog_document(document: object, file_name: str) -> bool:
    from analyzer.argo_templates import KUSTOMIZATION_FILE_NAMES
    from analyzer.imports import detect_format

    if not isinstance(document, dict):
        return True
    if "apiVersion" not in document or "kind" not in document:
        # Kustomize makes both optional: a kustomization.yaml is known by its name, unless it holds catalog keys.
        if file_name in KUSTOMIZATION_FILE_NAMES and not document.keys() & {"sources", "checks"}:
            return False
        return document.get("kind") != "Kustomization"
    if detect_format(document) is not None:
        return True
    if document.get("apiVersion") == "v1" and document.get("kind") == "ConfigMap":
        data = document.get("data") or {}
        return isinstance(data, dict) and any(
            str(key).endswith((".yaml", ".yml")) and isinstance(text, str) and _declares_checks(text)
            for key, text in data.items()
        )
    return False


def _declares_checks(text: str) -> bool:
    import yaml

    try:
        return any(isinstance(d, dict) and ("checks" in d or "sources" in d) for d in yaml.safe_load_all(text))
    except yaml.YAMLError:
        return True


def _validate_live(args: argparse.Namespace) -> int:
    """`validate --prometheus URL`: the catalog against a live Prometheus (blocking: this is a CI step)."""
    import re

    from pydantic import ValidationError

    from analyzer.catalog import load_catalog
    from analyzer.errors import ConfigError, SourceUnavailable
    from analyzer.lint import clean, crashed_checks, format_report, lint, unchecked_checks
    from analyzer.logs import configure_logging
    from analyzer.params import parse_time
    from analyzer.promql_syntax import syntax_problems
    from analyzer.registry import Registry
    from analyzer.settings import Settings
    from analyzer.sources import PrometheusSourceConfig
    from analyzer.sources.prometheus import base_url_refusal

    if args.prometheus is None:
        print(f"analyzer: {'--at' if args.at is not None else '--ca-file'} needs --prometheus", file=sys.stderr)
        return EXIT_USAGE
    if args.ca_file is not None and not _readable(args.ca_file):
        return EXIT_USAGE
    # The report says what each evaluation gave; the runner's own log lines would repeat it.
    configure_logging("console", "error")
    try:
        at = parse_time(args.at) if args.at is not None else None
    except ValueError as exc:
        print(f"analyzer: --at: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", args.prometheus):
        print(f"analyzer: --prometheus {base_url_refusal(args.prometheus, 'http://127.0.0.1:9090')}", file=sys.stderr)
        return EXIT_USAGE
    try:
        PrometheusSourceConfig(url=args.prometheus)
    except ValidationError as exc:
        print(f"analyzer: --prometheus: {str(exc.errors()[0]['msg']).removeprefix('Value error, ')}", file=sys.stderr)
        return EXIT_USAGE
    try:
        catalog = load_catalog(_catalog_paths(args.paths), Registry.default(), check_files=False)
    except ConfigError as exc:
        # The user named the Prometheus to ask: a source the catalog lacks is offered at that address.
        _offer_prometheus(exc, [args.prometheus])
        raise
    for warning in catalog.warnings:
        _say(f"warning: {warning}")
    if _templates_invalid(args.paths, catalog):
        return EXIT_INVALID_CATALOG
    _say(_catalog_ok(catalog))
    _started(args, freeze=True)
    # A Ctrl-C while Prometheus is asked is said by `main`, as any command's.
    try:
        reports = lint(
            catalog, args.prometheus, at, Settings.from_env().deadline_s, args.ca_file, syntax_problems(catalog)
        )
    except SourceUnavailable as exc:
        print(f"analyzer: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    # A Ctrl-C a kind's dry run caught and went on from: its verdict, and the report, are not shown.
    _stop_if_interrupted(args)
    _say(format_report(reports, args.prometheus, at))
    if not clean(reports):
        return EXIT_INVALID_CATALOG
    unchecked = unchecked_checks(reports)
    if unchecked:
        # Not a pass: a refusal or a misconfiguration the unanswered queries would have shown is not known.
        print(
            f"analyzer: Prometheus at {args.prometheus} did not answer every query of the dry run of "
            f"{', '.join(unchecked)} (said above): the catalog could not be checked in full; run the lint again once "
            "it answers",
            file=sys.stderr,
        )
    crashed = crashed_checks(reports)
    if crashed:
        # Not a pass: every evaluation in this state crashes too (a 500), and the queries after the crash were never
        # sent, so never checked.
        print(
            f"analyzer: the dry run of {', '.join(crashed)} crashed (said above): the catalog could not be checked in "
            "full; the crash is a bug of the check's kind (a plugin's, or the analyzer's: report it)",
            file=sys.stderr,
        )
    return EXIT_ERROR if unchecked or crashed else EXIT_PASS


def _import(args: argparse.Namespace) -> int:
    import yaml

    from analyzer.catalog import build_catalog
    from analyzer.errors import ConfigError
    from analyzer.imports import convert
    from analyzer.registry import Registry

    _stdout_is_not_read([args.file, *([] if args.sloth_windows is None else [args.sloth_windows])])
    try:
        documents = [d for d in yaml.safe_load_all(args.file.read_text(encoding="utf-8")) if d is not None]
        if args.sloth_windows is not None:
            windows_text = args.sloth_windows.read_text(encoding="utf-8")
            documents += [d for d in yaml.safe_load_all(windows_text) if d is not None]
        checks = convert(documents, source=args.source, sloth_period=args.period, only=args.format)
    except FileNotFoundError as exc:
        # Said as validate says a catalog path that is not there, not as Python's "[Errno 2] ...".
        raise ConfigError(f"{str(exc.filename)!r} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{exc.filename or args.file}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{args.file}: {exc}") from None
    except (AttributeError, TypeError) as exc:
        raise ConfigError(f"{args.file}: malformed {args.format} document ({exc})") from None
    if not checks:
        raise ConfigError(f"{args.file}: no {args.format} SLO to import")
    # The same validation the catalog loader runs, against a placeholder source of the chosen name.
    placeholder = {args.source: {"type": "prometheus", "url": "http://prometheus:9090"}}
    catalog = build_catalog([(str(args.file), {"sources": placeholder, "checks": checks})], Registry.default())
    for warning in catalog.warnings:
        _say(f"# warning: {warning}")
    _say(
        f"# error_budget checks imported from {args.format} {args.file.name}; they read the Prometheus source "
        f"{args.source!r}, which the catalog must define."
    )
    _say(yaml.safe_dump({"checks": checks}, sort_keys=False, width=120), end="")
    return EXIT_PASS


def _list(args: argparse.Namespace) -> int:
    from analyzer.settings import Settings

    settings = Settings.from_env(catalog=args.catalog)
    _, catalog = _load(settings.catalog)
    if args.json:
        _say(
            json.dumps(
                [
                    {"name": c.name, "kind": c.kind, "description": c.description, "params": sorted(c.params)}
                    for c in catalog.checks.values()
                ],
                indent=2,
            )
        )
        return EXIT_PASS
    for check in catalog.checks.values():
        params = " ".join(f"{n}{'' if p.required else '?'}" for n, p in check.params.items())
        _say(f"{check.name}\t{check.kind}\t{params}\t{check.description}")
    return EXIT_PASS


if __name__ == "__main__":
    sys.exit(main())
