"""Public hypothesis strategies for teachers, students and (teacher, k) pairs, and test profiles.

Teachers are balanced: atoms λ̂ distinct in (-1, 1) (optionally ±1), weights β̂ > 0, drawn on
grids so that neighbouring atoms are at least `1/denominator` apart and rational values are
exact (`teacher_measures` returns Fractions; `balanced_teachers` the LinearRNN).
Use: `@given(balanced_teachers(max_dim=3))`. Profiles: `register_profiles()` then
`settings.load_profile("ci")` (derandomized, few examples) or `"dev"` (many).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from theory_check.model import LinearRNN, balanced_teacher

__all__ = [
    "TeacherMeasure",
    "balanced_teachers",
    "register_profiles",
    "students",
    "teacher_and_k",
    "teacher_measures",
]

TeacherMeasure = tuple[tuple[Fraction, ...], tuple[Fraction, ...]]


def register_profiles() -> None:
    """Register `ci` (derandomized, 25 examples, no deadline) and `dev` (300 examples)."""
    # Both inherit hypothesis' own defaults, not the profile loaded now: registering again while
    # `ci` is loaded must not make `dev` derandomized.
    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
              "parent": settings.get_profile("default")}
    settings.register_profile("ci", derandomize=True, max_examples=25, print_blob=True, **common)
    settings.register_profile("dev", max_examples=300, **common)


@st.composite
def teacher_measures(
    draw: st.DrawFn, *, min_dim: int = 1, max_dim: int = 3, boundary: bool = False,
    denominator: int = 20,
) -> TeacherMeasure:
    """Exact (atoms, weights): distinct atoms on the grid `i/denominator` in (-1, 1) (plus,
    if `boundary`, possibly ±1), weights in {1/4, 2/4, …, 2}."""
    hi = denominator if boundary else denominator - 1
    nums = draw(st.lists(st.integers(-hi, hi), min_size=min_dim, max_size=max_dim, unique=True))
    atoms = tuple(Fraction(n, denominator) for n in sorted(nums))
    weights = tuple(Fraction(draw(st.integers(1, 8)), 4) for _ in atoms)
    return atoms, weights


@st.composite
def balanced_teachers(
    draw: st.DrawFn, *, min_dim: int = 1, max_dim: int = 3, boundary: bool = False
) -> LinearRNN:
    """A balanced teacher `A = diag(λ̂)`, `B = Cᵀ = √β̂` from `teacher_measures`."""
    atoms, weights = draw(teacher_measures(min_dim=min_dim, max_dim=max_dim, boundary=boundary))
    return balanced_teacher(atoms, weights)


@st.composite
def students(
    draw: st.DrawFn, *, min_dim: int = 1, max_dim: int = 6, kind: str | None = None,
    scale: float = 1.0,
) -> LinearRNN:
    """A student of `kind` ("full", "diagonal", "balanced"; any if None), entries in
    [-scale, scale] / √d."""
    d = draw(st.integers(min_dim, max_dim))
    kind = kind or draw(st.sampled_from(["full", "diagonal", "balanced"]))
    elems = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, width=64)
    A = draw(hnp.arrays(float, (d, d), elements=elems)) / np.sqrt(d)
    if kind == "diagonal":
        A = np.diag(np.diag(A))
    elif kind == "balanced":
        A = np.triu(A) + np.triu(A, 1).T
    B = draw(hnp.arrays(float, (d, 1), elements=elems)) / np.sqrt(d)
    C = B.T.copy() if kind == "balanced" else draw(hnp.arrays(float, (1, d), elements=elems))
    if kind != "balanced":
        C = C / np.sqrt(d)
    return LinearRNN(A, B, C)


@st.composite
def teacher_and_k(
    draw: st.DrawFn, *, max_dim: int = 3, max_extra_k: int = 4, boundary: bool = False
) -> tuple[TeacherMeasure, int]:
    """An exact teacher measure with d̂ atoms and a training length k in [1, 2d̂ + 1 + max_extra_k]."""
    measure = draw(teacher_measures(max_dim=max_dim, boundary=boundary))
    d_hat = len(measure[0])
    k = draw(st.integers(1, 2 * d_hat + 1 + max_extra_k))
    return measure, k
