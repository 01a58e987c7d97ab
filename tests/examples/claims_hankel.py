"""A user claim (true): the exact Hankel rank of a balanced teacher's impulse response is d̂.

Collected by the theory-check pytest plugin (`pytest tests/examples/`) and verified by
`theory-check verify --claims tests/examples/claims_hankel.py`. On the balanced manifold
ŵ_j = Σ_i β̂_i λ̂_i^j (C5); for d̂ distinct atoms and weights β̂_i > 0 the Hankel matrix
H = [ŵ_{i+j}]_{i,j<m} = V diag(β̂) Vᵀ (V the m×d̂ Vandermonde matrix) has rank min(m, d̂)
(Kronecker), so m > d̂ reads d̂ off exactly. The examples are drawn by hypothesis from
`theory_check.strategies.teacher_measures` (exact rationals), the ranks computed in exact
rational arithmetic, and judged by the RANK rule (equal integers).
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from theory_check.claims import Kind, claim, for_all
from theory_check.strategies import teacher_measures


def exact_hankel_rank(atoms: tuple[Fraction, ...], weights: tuple[Fraction, ...], m: int) -> int:
    """Rank of the m×m Hankel matrix of the moments m_j = Σ β_i λ_i^j, in exact rationals."""
    moments = [sum((b * a**j for a, b in zip(atoms, weights, strict=True)), Fraction(0))
               for j in range(2 * m - 1)]
    return int(sympy.Matrix(m, m, lambda i, j: moments[i + j]).rank())


@claim(
    "examples.hankel_rank",
    title="Hankel rank of a balanced teacher",
    statement="A balanced teacher with d̂ distinct atoms and positive weights has Hankel rank d̂",
    kind=Kind.RANK,
    expected=True,
    defaults={"max_dim": 4, "size": 6},
    thorough={"max_dim": 6, "size": 9},
)
def check_hankel_rank(rng, *, max_dim: int, size: int):
    """For each drawn teacher: exact rank of the size×size Hankel matrix == d̂ (size > max_dim)."""
    if size <= max_dim:
        raise ValueError(f"size must exceed max_dim = {max_dim} to read the rank off; got {size}")

    def rank(measure):
        atoms, weights = measure
        return exact_hankel_rank(atoms, weights, size), len(atoms)  # (computed, theoretical)

    return for_all(teacher_measures(max_dim=max_dim), rank, rng=rng, kind=Kind.RANK)
