"""`python -m analyzer`: the `analyzer` command, for an environment that has the package and not its script."""

import sys

from analyzer.cli import main

# Imported rather than run (a test importing every module): nothing to do.
if __name__ == "__main__":
    sys.exit(main())
