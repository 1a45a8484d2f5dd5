"""The analyzer: verdicts on whether a release may proceed, for Argo Rollouts, Jobs and SREs.

What a check kind may import is `analyzer.kinds`, and only that.
"""

__version__ = "0.1.0"
