"""The analyzer: verdicts on whether a release may proceed, for Argo Rollouts, Jobs and SREs.

The public surface for check-kind authors is what this module exports.
"""

from analyzer.check import Check, EvalContext
from analyzer.errors import (
    AnalyzerError,
    ArgError,
    CheckError,
    CheckMisconfigured,
    CheckNotFound,
    ConfigError,
    DeadlineExceeded,
    NoData,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
)
from analyzer.models import Evaluation, NoDataPolicy, Outcome, Verdict
from analyzer.params import Param, ParamType

__version__ = "0.1.0"

__all__ = [
    "AnalyzerError",
    "ArgError",
    "Check",
    "CheckError",
    "CheckMisconfigured",
    "CheckNotFound",
    "ConfigError",
    "DeadlineExceeded",
    "EvalContext",
    "Evaluation",
    "NoData",
    "NoDataPolicy",
    "Outcome",
    "Param",
    "ParamType",
    "SourceRejected",
    "SourceTimeout",
    "SourceUnavailable",
    "Verdict",
    "__version__",
]
