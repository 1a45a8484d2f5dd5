"""Print requirements.lock: the analyzer's runtime dependencies (the whole closure, no dev extras) pinned
to the versions installed in this environment, i.e. the versions the tests ran with.

    .venv/bin/python scripts/lock_requirements.py > requirements.lock   (or: make lock)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def runtime_closure(root: str = "analyzer") -> dict[str, str]:
    """Canonical name to installed version of every runtime dependency of `root`, transitively."""
    pinned: dict[str, str] = {}
    pending = [root]
    while pending:
        dist = distribution(pending.pop())
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            name = canonicalize_name(requirement.name)
            if name in pinned:
                continue
            try:
                pinned[name] = distribution(name).version
            except PackageNotFoundError:
                continue  # an optional dependency this environment does not need
            pending.append(name)
    return pinned


def main() -> None:
    """Write the lock file to stdout."""
    print("# Runtime dependencies of the analyzer image, pinned. Regenerate with `make lock`.")
    for name, version in sorted(runtime_closure().items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
