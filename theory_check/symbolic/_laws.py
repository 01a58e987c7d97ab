"""Discovery of conservation laws by a quadratic ansatz, exact (C2).

Ansatz q(θ) = Σ_{a≤b} m_ab θ_a θ_b + Σ_a l_a θ_a. q is conserved by dθ/dt = -Σ_j 2 r_j F_j for
*every* teacher w iff ∇q · F_j ≡ 0 for each j (the w_j are free, so ∇q·∇L ≡ 0 coefficient-wise
in w splits per j). Each condition is linear in the unknowns (m, l). We impose it at random
integer points (necessary conditions: the solution space can only be too large), take the exact
integer nullspace (python-flint `fmpz_mat`), then re-check every basis law *symbolically*
(∇q·F_j expanded to the zero polynomial in flint): a re-check that fails means too few points,
so more are drawn. A basis that passes is therefore proven: its span is exactly the space of
conserved quadratic forms (points only ever over-estimate it, the re-check proves ⊆).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import flint
import numpy as np

from theory_check.symbolic._systems import PolySystem

_MAX_ROUNDS = 4


@dataclass(frozen=True)
class LawSpace:
    """The space of conserved quadratic (+ linear) forms of a system, with its proof record.

    `laws`: a basis (integer flint polynomials, reduced echelon form, primitive);
    `strings`: the same as text; `matches_expected`: span(laws) == span(expected_laws);
    `contains_expected`: span(expected) ⊆ span(laws); `n_points`: points used;
    `rechecked`: every basis law verified identically (symbolic).
    """

    laws: tuple[flint.fmpz_mpoly, ...]
    strings: tuple[str, ...]
    dim: int
    expected_dim: int
    matches_expected: bool
    contains_expected: bool
    n_points: int
    n_rounds: int
    rechecked: bool


def _unknowns(D: int) -> list[tuple[int, int]]:
    """Ansatz monomials: (a, b) with a ≤ b for θ_a θ_b, then (a, -1) for θ_a."""
    return [(a, b) for a in range(D) for b in range(a, D)] + [(a, -1) for a in range(D)]


def _rows(system: PolySystem, point: tuple[int, ...], unknowns: list[tuple[int, int]]) -> list[list[int]]:
    """One linear equation per field: ∇q(θ)·F_j(θ) = 0 at θ = point, in the unknowns."""
    rows = []
    for field in system.fields:
        V = [int(c(*point)) for c in field]
        row = []
        for a, b in unknowns:
            if b < 0:
                row.append(V[a])
            elif a == b:
                row.append(2 * point[a] * V[a])
            else:
                row.append(point[b] * V[a] + point[a] * V[b])
        rows.append(row)
    return rows


def coefficient_vector(p: flint.fmpz_mpoly, D: int) -> list[int]:
    """Coordinates of a polynomial of degree ≤ 2 without constant term in the ansatz basis."""
    unknowns = _unknowns(D)
    index = {}
    for u, (a, b) in enumerate(unknowns):
        e = [0] * D
        e[a] += 1
        if b >= 0:
            e[b] += 1
        index[tuple(e)] = u
    vec = [0] * len(unknowns)
    for exps, coeff in p.to_dict().items():
        if tuple(exps) not in index:
            raise ValueError("polynomial is not a quadratic + linear form without constant term")
        vec[index[tuple(exps)]] = int(coeff)
    return vec


def _poly(system: PolySystem, vec: list[int], unknowns: list[tuple[int, int]]) -> flint.fmpz_mpoly:
    D = system.n_vars
    terms = {}
    for c, (a, b) in zip(vec, unknowns, strict=True):
        if c:
            e = [0] * D
            e[a] += 1
            if b >= 0:
                e[b] += 1
            terms[tuple(e)] = c
    return system.ctx.from_dict(terms) if terms else system.ctx.from_dict({})


def is_conserved(system: PolySystem, q: flint.fmpz_mpoly) -> bool:
    """Symbolic proof: ∇q · F_j is the zero polynomial for every field F_j."""
    grad = [q.derivative(i) for i in range(system.n_vars)]
    for field in system.fields:
        s = system.ctx.from_dict({})
        for gq, f in zip(grad, field, strict=True):
            if not gq.is_zero():
                s += gq * f
        if not s.is_zero():
            return False
    return True


def _rank(rows: list[list[int]]) -> int:
    return flint.fmpz_mat(rows).rank() if rows else 0


def _echelon(vectors: list[list[int]]) -> list[list[int]]:
    """Reduced row echelon form of the vectors, each row scaled to a primitive integer vector."""
    if not vectors:
        return []
    R, rank = flint.fmpq_mat(vectors).rref()
    out = []
    for i in range(rank):
        row = [Fraction(int(x.p), int(x.q)) for x in (R[i, j] for j in range(R.ncols()))]
        den = lcm(*(f.denominator for f in row))
        ints = [int(f * den) for f in row]
        g = np.gcd.reduce([abs(v) for v in ints if v]) if any(ints) else 1
        out.append([v // int(g) for v in ints])
    return out


def discover_laws(system: PolySystem, rng: np.random.Generator, *, spread: int = 5,
                  extra: int = 20) -> LawSpace:
    """All conserved quadratic + linear forms of `system`, proven by a symbolic re-check.

    Points: integer entries uniform in [-spread, spread]; `extra` equations beyond the number of
    unknowns in the first round, doubled each further round (at most 4 rounds).
    """
    D = system.n_vars
    unknowns = _unknowns(D)
    k = len(system.fields)
    rows: list[list[int]] = []
    n_points = 0
    want = -(-(len(unknowns) + extra) // k)
    rounds = 0
    for _ in range(_MAX_ROUNDS):
        rounds += 1
        while n_points < want:
            point = tuple(int(v) for v in rng.integers(-spread, spread + 1, size=D))
            rows.extend(_rows(system, point, unknowns))
            n_points += 1
        basis_cols, nullity = flint.fmpz_mat(rows).nullspace()
        vecs = [[int(basis_cols[i, j]) for i in range(len(unknowns))] for j in range(nullity)]
        basis = _echelon(vecs)
        laws = [_poly(system, v, unknowns) for v in basis]
        if all(is_conserved(system, q) for q in laws):
            break
        want *= 2
    else:
        raise RuntimeError(f"{system.name}: quadratic laws from {n_points} points failed the "
                           f"symbolic re-check after {_MAX_ROUNDS} rounds")
    expected = [coefficient_vector(q, D) for q in system.expected_laws]
    r_exp = _rank(expected)
    r_both = _rank(basis + expected)
    return LawSpace(
        laws=tuple(laws), strings=tuple(law_string(system, q) for q in laws), dim=len(laws),
        expected_dim=r_exp, matches_expected=(r_both == len(basis) == r_exp),
        contains_expected=(r_both == len(basis)), n_points=n_points, n_rounds=rounds,
        rechecked=True,
    )


def law_string(system: PolySystem, q: flint.fmpz_mpoly) -> str:
    """A law as text in sympy syntax (`a11**2 - c1*c2`), terms in a fixed order."""
    import sympy

    gens = sympy.symbols(system.names)
    expr = sympy.Poly.from_dict({tuple(e): int(c) for e, c in q.to_dict().items()}, *gens)
    return str(expr.as_expr())
