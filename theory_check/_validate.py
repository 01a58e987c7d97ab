"""Argument checks shared by every engine: each error names the parameter and its allowed range."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np


class ParameterError(ValueError):
    """A parameter outside its allowed range; `name` is the parameter as the caller spelled it.

    A ValueError, so API callers catch it as before; the claim registry re-raises it (instead of
    reporting INCONCLUSIVE) when `name` is one of the claim's own parameters.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def check_int(name: str, value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return `value` as an int, or raise ValueError naming `name` and the range [minimum, maximum]."""
    rng = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ParameterError(name, f"{name} must be {rng}; got {value!r}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        raise ParameterError(name, f"{name} must be {rng}; got {v}")
    return v


def check_real(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_min: bool = False,
) -> float:
    """Return `value` as a finite float inside the stated range, or raise ValueError naming it.

    The range reads like the CLI's: `a finite number in [0, inf); got -1` (bounds with `:g`, an
    open bracket at ±inf or a strict minimum).
    """
    lo_open = strict_min or minimum is None or math.isinf(minimum)
    hi_open = maximum is None or math.isinf(maximum)
    lo = "-inf" if minimum is None else _fmt(minimum)
    hi = "inf" if maximum is None else _fmt(maximum)
    rng = f"a finite number in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ParameterError(name, f"{name} must be {rng}; got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(name, f"{name} must be {rng}; got {_fmt(v)}")
    if minimum is not None and (v < minimum or (strict_min and v == minimum)):
        raise ParameterError(name, f"{name} must be {rng}; got {_fmt(v)}")
    if maximum is not None and v > maximum:
        raise ParameterError(name, f"{name} must be {rng}; got {_fmt(v)}")
    return v


def _fmt(x: float) -> str:
    """`x` with `:g`, unless that rounds it (then repr, so `got 0.9999999` never prints as `got 1`)."""
    short = f"{float(x):g}"
    return short if not math.isfinite(x) or float(short) == float(x) else repr(float(x))


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """Return `value` if it is one of `choices`, else raise ValueError listing them."""
    if value not in choices:
        raise ParameterError(name, f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return str(value)


def check_array(name: str, value: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Return a finite float64 copy of `value` with the given shape, or raise ValueError naming it."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"{name} must be an array of real numbers; got {value!r}") from exc
    if shape is not None and arr.shape != shape:
        want = "×".join(map(str, shape))
        raise ParameterError(name, f"{name} must have shape {want}; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(name, f"{name} must be finite; it contains NaN or inf")
    return arr
