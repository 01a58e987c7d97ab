"""Number formatting shared by every command's tables: significant digits, no numpy reprs."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

#: Significant digits of every float shown in a table (JSON keeps full precision).
DIGITS = 3
#: Longer lists are shown as their first items and "… (N in all)".
MAX_ITEMS = 6


def fmt(v: Any, digits: int = DIGITS) -> str:
    """`v` for a table: floats (Python, numpy, mpmath) to `digits` significant digits, exact
    integers and small fractions as they are, complex as a±bi, lists/arrays as [a, b, …]."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Fraction):
        # Small exact fractions as they are (1/3); large ones like 10^8/1 as 1e+08.
        small = v.denominator < 10**6 and abs(v.numerator) < 10**6
        return str(v) if small else _float(float(v), digits)
    if isinstance(v, float):
        return _float(v, digits)
    if isinstance(v, complex):
        return _complex(v, digits)
    if hasattr(v, "tolist") and not isinstance(v, (list, tuple)):  # numpy scalar or array
        return fmt(v.tolist(), digits)
    if isinstance(v, (list, tuple)):
        items = [fmt(x, digits) for x in v[:MAX_ITEMS]]
        more = f", … ({len(v)} in all)" if len(v) > MAX_ITEMS else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt(x, digits)}" for k, x in v.items()) + "}"
    for conv in (float, complex):  # mpmath mpf / mpc and other numeric types
        try:
            return fmt(conv(v), digits)
        except (TypeError, ValueError):
            continue
    return str(v)


def _float(v: float, digits: int) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 10**digits:
        return str(int(v)) if v != 0 or math.copysign(1, v) > 0 else "0"
    return f"{v:.{digits}g}"


def _complex(v: complex, digits: int) -> str:
    if v.imag == 0:
        return _float(v.real, digits)
    sign = "-" if v.imag < 0 else "+"
    return f"{_float(v.real, digits)}{sign}{_float(abs(v.imag), digits)}i"

