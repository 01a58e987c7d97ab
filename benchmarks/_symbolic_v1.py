"""The symbolic engine as it was before the scale work (commit 4671336), the benchmarks' baseline.

Copied verbatim from `theory_check/symbolic/_laws.py` and `_lie.py` of that commit, renamed:
`discover_laws_v1(system, rng)` solves the whole quadratic ansatz
with one exact integer nullspace (no grading), and `lie_census_v1(system, rng, laws)` expands every
rank-raising bracket exactly over Z (no jets, no modular arithmetic). Same result types as today's engine.
"""

from fractions import Fraction
from math import lcm

import flint
import numpy as np

from theory_check.symbolic._laws import LawSpace, law_string
from theory_check.symbolic._lie import LieCensus
from theory_check.symbolic._systems import PolySystem

_MAX_ROUNDS = 4
Field = tuple[flint.fmpz_mpoly, ...]


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


def _coefficient_vector(p: flint.fmpz_mpoly, D: int) -> list[int]:
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


def discover_laws_v1(system: PolySystem, rng: np.random.Generator, *, spread: int = 5,
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
    expected = [_coefficient_vector(q, D) for q in system.expected_laws]
    r_exp = _rank(expected)
    r_both = _rank(basis + expected)
    return LawSpace(
        laws=tuple(laws), strings=tuple(law_string(system, q) for q in laws), dim=len(laws),
        expected_dim=r_exp, matches_expected=(r_both == len(basis) == r_exp),
        contains_expected=(r_both == len(basis)), n_points=n_points, n_rounds=rounds,
        rechecked=True,
    )




def _values(field: Field, point: tuple[int, ...]) -> list[int]:
    return [int(c(*point)) for c in field]


def _jacobian(field: Field, point: tuple[int, ...], D: int) -> list[list[int]]:
    return [[int(c.derivative(b)(*point)) if not c.is_zero() else 0 for b in range(D)]
            for c in field]


def _bracket(X: Field, Y: Field, D: int) -> Field:
    """[X, Y] = DY·X - DX·Y, expanded exactly."""
    out = []
    for a in range(D):
        s = X[0] * 0
        for b in range(D):
            if not X[b].is_zero() and not Y[a].is_zero():
                s += Y[a].derivative(b) * X[b]
            if not Y[b].is_zero() and not X[a].is_zero():
                s -= X[a].derivative(b) * Y[b]
        out.append(s)
    return tuple(out)


def _matvec(M: list[list[int]], v: list[int]) -> list[int]:
    return [sum(m * x for m, x in zip(row, v, strict=True)) for row in M]


class _Span:
    """Incremental exact rank of integer vectors (row echelon over Q via flint)."""

    def __init__(self, D: int) -> None:
        self.rows: list[list[int]] = []
        self.D = D

    def adds(self, v: list[int]) -> bool:
        if not any(v):
            return False
        trial = [*self.rows, v]
        if flint.fmpz_mat(trial).rank() > len(self.rows):
            self.rows.append(v)
            return True
        return False

    @property
    def rank(self) -> int:
        return len(self.rows)


def lie_census_v1(system: PolySystem, rng: np.random.Generator, *, laws: tuple = (), spread: int = 50,
               max_depth: int = 12, expand_all: bool = False) -> LieCensus:
    """Certified count of independent conservation laws of `system` at a random integer point.

    `laws`: proven conserved polynomials (lower bound); bracket levels stop when the bounds meet,
    when a level adds no rank, or at `max_depth`. `expand_all` expands every bracket before
    evaluating it (the slow reference, for benchmarks and tests).
    """
    D = system.n_vars
    point = tuple(int(v) for v in rng.integers(-spread, spread + 1, size=D))
    lower = 0
    if laws:
        grads = [[int(q.derivative(i)(*point)) for i in range(D)] for q in laws]
        lower = flint.fmpz_mat(grads).rank()
    target = D - lower
    gens = list(system.fields)
    gen_vals = [_values(f, point) for f in gens]
    gen_jacs: list[list[list[int]] | None] = [None] * len(gens)
    span = _Span(D)
    frontier: list[Field] = []
    for f, v in zip(gens, gen_vals, strict=True):
        if span.adds(v):
            frontier.append(f)
    n_fields, depth = len(gens), 1
    while span.rank < target and frontier and depth < max_depth:
        depth += 1
        new_frontier: list[Field] = []
        last_level = False
        for X in frontier:
            X_val = _values(X, point)
            X_jac = _jacobian(X, point, D)
            for i, Fi in enumerate(gens):
                if gen_jacs[i] is None:
                    gen_jacs[i] = _jacobian(Fi, point, D)
                n_fields += 1
                if expand_all:
                    expanded = _bracket(Fi, X, D)
                    value = _values(expanded, point)
                else:
                    # [F_i, X](θ0) = DX(θ0) F_i(θ0) - DF_i(θ0) X(θ0)
                    a = _matvec(X_jac, gen_vals[i])
                    b = _matvec(gen_jacs[i], X_val)  # type: ignore[arg-type]
                    value = [p - q for p, q in zip(a, b, strict=True)]
                if span.adds(value):
                    if span.rank >= target:
                        last_level = True
                        break
                    new_frontier.append(expanded if expand_all else _bracket(Fi, X, D))
            if last_level:
                break
        frontier = new_frontier
    r = span.rank
    # One generator: its Lie algebra is span{F} itself, so dim = 1 exactly where F(θ0) ≠ 0 and
    # the flow-box theorem gives exactly D - 1 independent laws near θ0.
    certified = D - r == lower or (len(gens) == 1 and r == 1)
    if len(gens) == 1 and r == 1:
        lower = D - 1
    return LieCensus(n_vars=D, lie_dim=r, upper=D - r, lower=lower, certified=certified,
                     depth=depth, n_fields=n_fields, point=point)
