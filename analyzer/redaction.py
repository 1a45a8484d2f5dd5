"""What counts as a secret where a request's headers, query or body could be shown back: one rule for the
Prometheus source's error quotes and http_smoke's evidence."""

from __future__ import annotations

import re

REDACTED = "<redacted>"
"""What stands in for a hidden value."""

_SECRET_NAME_RE = re.compile(r"auth|token|key|secret|cookie|password|passwd|session|credential", re.IGNORECASE)
# A credential of a common HTTP auth scheme, whatever the header carrying it is named.
_CREDENTIAL_VALUE_RE = re.compile(r"(?i)(basic|bearer|digest|negotiate|token|apikey)\s+\S")


def is_secret_name(name: str) -> bool:
    """Whether a header, query or JSON key of that name holds a secret by default (any case)."""
    return _SECRET_NAME_RE.search(name) is not None


def is_credential_value(value: str) -> bool:
    """Whether a header value is an HTTP credential (`Basic ...`, `Bearer ...`), whatever its header's name."""
    return _CREDENTIAL_VALUE_RE.match(value) is not None
