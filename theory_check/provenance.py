"""Provenance recorded with every result and figure: versions, platform, time."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from functools import cache
from importlib import metadata

_PACKAGES = ("theory-check", "numpy", "scipy", "sympy", "mpmath", "python-flint", "gmpy2",
             "cvxpy", "clarabel", "hypothesis", "matplotlib")


@cache
def versions() -> dict[str, str]:
    """Versions of Python and of the numerical packages the verdicts depend on."""
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(**extra: object) -> dict[str, object]:
    """Versions, platform and UTC time, plus whatever the caller adds (seed, parameters, dps…)."""
    return {
        **extra,
        "versions": versions(),
        "platform": platform.platform(),
        "utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
