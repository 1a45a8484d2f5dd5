"""`python -m analyzer`: the `analyzer` command, for an environment that has the package and not its script."""

import sys

from analyzer.cli import main

sys.exit(main())
