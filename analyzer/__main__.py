"""`python -m analyzer`: the `analyzer` command, for an environment that has the package and not its script."""

import os
import sys


def _forget_working_directory() -> None:
    """Drop the working directory `python -m` puts first on the import path (not with -P / PYTHONSAFEPATH): a
    `checks` package or `checks.py` there (a catalog repository's own) would shadow the built-in kinds, which the
    `analyzer` script never reads from there. Plugins are entry points of installed distributions, found without it;
    a directory PYTHONPATH names stays."""
    try:
        working_directory = os.getcwd()
    except OSError:
        # Removed (a cleaned CI workspace): nothing can be imported from it, and the command still runs.
        return
    if not sys.flags.safe_path and sys.path and sys.path[0] == working_directory:
        del sys.path[0]


# Imported rather than run (a test importing every module): nothing to do.
if __name__ == "__main__":
    _forget_working_directory()
    from analyzer.cli import main

    sys.exit(main())
