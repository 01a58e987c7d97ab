"""Discovery of polynomial conservation laws by an exact ansatz (C2), for any polynomial fields.

Ansatz q(θ) = Σ_β m_β θ^β over all monomials of degree 1..`degree` (default 2: quadratic +
linear). q is conserved by dθ/dt = -Σ_j 2 r_j F_j for *every* teacher w iff ∇q · F_j ≡ 0 for each
j (the w_j are free, so ∇q·∇L ≡ 0 coefficient-wise in w splits per j). Each condition is linear
in the unknowns m. Three steps keep this exact and cheap:

1. Grading. The unknowns split into independent blocks, and each block is solved on its own:
   - sign symmetries: every s ∈ {±1}^D with g_j(sθ) = g_j(θ) for all j (found exactly, as
     the GF(2) nullspace of the parities of the outputs' monomials) has F_j(sθ) = s F_j(θ) and
     maps conserved q to conserved q(s·), so the space of laws is the direct sum of its parts
     of each character of the group;
   - total degree: when every g_j is homogeneous, ∇q·F_j for homogeneous q is homogeneous, so
     each degree of q is conserved on its own.
   For the full RNN at d = 8 this cuts 3320 unknowns into blocks of at most ~150.
2. Candidates. Each block's equations are imposed at random integer points (necessary
   conditions: the solution space can only come out too large), reduced modulo the prime
   p = 2⁶¹ - 1 (python-flint `nmod_mat`); the reduced echelon basis of the nullspace is lifted
   to rationals by rational reconstruction.
3. Proof. Every candidate is re-checked *symbolically over Z*: ∇q·F_j expanded (flint
   `fmpz_mpoly`) must be the zero polynomial. If a candidate fails (too few points, or p hit a
   bad minor), the block gets twice the points (up to 4 rounds), then an exact integer nullspace.
A basis that passes is proven, and it is complete: its size equals the nullity mod p, which is
≥ the nullity over Q at those points, which is ≥ the dimension of the true space of laws.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import combinations_with_replacement
from math import gcd, isqrt, lcm

import flint
import numpy as np

from theory_check._validate import check_int
from theory_check.symbolic._systems import PolySystem

_MAX_ROUNDS = 4
PRIME = 2**61 - 1
MAX_DEGREE = 4
MAX_BLOCK = 4000  # unknowns in one block of the ansatz (dense nullspace mod p)

Monomial = tuple[int, ...]  # sorted variable indices with repetition: (0, 0, 3) = θ_0² θ_3


@dataclass(frozen=True)
class LawSpace:
    """The space of conserved polynomial forms (degree 1..`degree`) of a system, with its proof.

    `laws`: a basis (integer flint polynomials, reduced echelon form, primitive);
    `strings`: the same as text; `matches_expected`: span(laws) == span(expected_laws);
    `contains_expected`: span(expected) ⊆ span(laws); `n_points`: points used (largest block);
    `n_rounds`: most rounds any block needed; `rechecked`: every basis law verified identically
    (symbolic); `n_blocks`/`largest_block`: the graded ansatz; `n_unknowns`: its size.
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
    degree: int = 2
    n_unknowns: int = 0
    n_blocks: int = 1
    largest_block: int = 0


def monomials(D: int, degree: int = 2) -> list[Monomial]:
    """Ansatz monomials, highest degree first, each degree in lexicographic order.

    For degree 2 this is (a, b) with a ≤ b for θ_a θ_b, then (a,) for θ_a.
    """
    out: list[Monomial] = []
    for deg in range(degree, 0, -1):
        out.extend(combinations_with_replacement(range(D), deg))
    return out


def _unknowns(D: int) -> list[tuple[int, int]]:
    """Degree-2 ansatz in the historical encoding: (a, b) for θ_a θ_b, (a, -1) for θ_a."""
    return [(a, b) for a in range(D) for b in range(a, D)] + [(a, -1) for a in range(D)]


def _exponents(m: Monomial, D: int) -> tuple[int, ...]:
    e = [0] * D
    for a in m:
        e[a] += 1
    return tuple(e)


def coefficient_vector(p: flint.fmpz_mpoly, D: int, degree: int = 2) -> list[int]:
    """Coordinates of a polynomial of degree ≤ `degree` without constant term in the ansatz basis."""
    index = {_exponents(m, D): u for u, m in enumerate(monomials(D, degree))}
    vec = [0] * len(index)
    for exps, coeff in p.to_dict().items():
        if tuple(exps) not in index:
            raise ValueError(f"polynomial is not a form of degree 1..{degree} without constant term")
        vec[index[tuple(exps)]] = int(coeff)
    return vec


def is_conserved(system: PolySystem, q: flint.fmpz_mpoly) -> bool:
    """Symbolic proof: ∇q · F_j is the zero polynomial for every field F_j."""
    grad = [q.derivative(i) for i in range(system.n_vars)]
    for field in system.fields:
        s = system.ctx.from_dict({})
        for gq, f in zip(grad, field, strict=True):
            if not gq.is_zero() and not f.is_zero():
                s += gq * f
        if not s.is_zero():
            return False
    return True


def sign_symmetries(system: PolySystem) -> list[list[int]]:
    """A GF(2) basis of the sign flips s with g_j(sθ) = g_j(θ) for every output (0/1 vectors).

    Each monomial α of each g_j needs s·α ≡ 0 mod 2. The fields of a `PolySystem` are gradients
    of the g_j scaled by a constant diagonal metric, so then F_j(sθ) = s F_j(θ), which is what
    the grading needs.
    """
    D = system.n_vars
    rows = set()
    for g in system.g:
        for e in g.monoms():
            rows.add(tuple(x & 1 for x in e))
    rows.discard((0,) * D)
    if not rows:
        return [[int(i == j) for i in range(D)] for j in range(D)]
    X, nullity = flint.nmod_mat([list(r) for r in sorted(rows)], 2).nullspace()
    return [[int(X[i, j]) for i in range(D)] for j in range(nullity)]


def _homogeneous_outputs(system: PolySystem) -> bool:
    """Every output g_j is homogeneous (then so is every component of its field)."""
    for g in system.g:
        if len({sum(e) for e in g.monoms()}) > 1:
            return False
    return True


def ansatz_blocks(system: PolySystem, degree: int = 2) -> list[list[int]]:
    """Indices into `monomials(D, degree)` grouped into independent blocks (see module doc)."""
    D = system.n_vars
    syms = sign_symmetries(system)
    by_degree = _homogeneous_outputs(system)
    blocks: defaultdict[tuple, list[int]] = defaultdict(list)
    for u, m in enumerate(monomials(D, degree)):
        char = tuple(sum(s[a] for a in m) & 1 for s in syms)
        blocks[(len(m) if by_degree else 0, char)].append(u)
    return list(blocks.values())


def _rational(a: int, p: int = PRIME) -> Fraction | None:
    """r/s ≡ a mod p with |r|, s ≤ √(p/2), or None (rational reconstruction)."""
    bound = isqrt(p // 2)
    r0, r1, s0, s1 = p, a % p, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1, s0, s1 = r1, r0 - q * r1, s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    return Fraction(r1, s1) if s1 > 0 else Fraction(-r1, -s1)


def _primitive(row: list[Fraction]) -> list[int]:
    den = lcm(*(f.denominator for f in row))
    ints = [int(f * den) for f in row]
    g = 0
    for v in ints:
        g = gcd(g, v)
    return [v // g for v in ints] if g else ints


def _rows(system: PolySystem, values: list[list[list[int]]], points: list[tuple[int, ...]],
          block: list[Monomial]) -> list[list[int]]:
    """One linear equation per (point, field): ∇q(θ)·F_j(θ) = 0, in the block's unknowns."""
    rows = []
    for point, fvals in zip(points, values, strict=True):
        grads = []
        for m in block:
            g: dict[int, int] = {}
            for i, a in enumerate(m):
                if a in g:
                    continue
                rest = 1
                for b in m[:i] + m[i + 1:]:
                    rest *= point[b]
                g[a] = m.count(a) * rest
            grads.append(g)
        for V in fvals:
            rows.append([sum(c * V[a] for a, c in g.items()) for g in grads])
    return rows


def _solve_block(rows: list[list[int]], exact: bool) -> list[list[int]]:
    """Primitive integer vectors spanning the nullspace (candidates; exact or mod p + lift)."""
    n = len(rows[0])
    if exact:
        X, nullity = flint.fmpz_mat(rows).nullspace()
        if not nullity:
            return []
        vecs = [[int(X[i, j]) for i in range(n)] for j in range(nullity)]
        R, rank = flint.fmpq_mat(vecs).rref()
        return [_primitive([Fraction(int(R[i, j].p), int(R[i, j].q)) for j in range(n)])
                for i in range(rank)]
    M = flint.nmod_mat([[v % PRIME for v in r] for r in rows], PRIME)
    X, nullity = M.nullspace()
    if not nullity:
        return []
    basis = flint.nmod_mat([[int(X[i, j]) for i in range(n)] for j in range(nullity)], PRIME)
    R, rank = basis.rref()
    out = []
    for i in range(rank):
        row = []
        for j in range(n):
            f = _rational(int(R[i, j]))
            if f is None:
                return [[]]  # reconstruction failed: signal a retry
            row.append(f)
        out.append(_primitive(row))
    return out


def _poly(system: PolySystem, vec: list[int], block: list[Monomial]) -> flint.fmpz_mpoly:
    D = system.n_vars
    return system.ctx.from_dict({_exponents(m, D): c for c, m in zip(vec, block, strict=True) if c})


def discover_laws(system: PolySystem, rng: np.random.Generator, *, spread: int = 5,
                  extra: int = 20, degree: int = 2) -> LawSpace:
    """All conserved polynomial forms of degree 1..`degree` of `system`, proven symbolically.

    Points: integer entries uniform in [-spread, spread], shared by all blocks; a block of n
    unknowns uses the first ⌈(n + extra)/k⌉ of them in its first round (k fields), twice as many
    in each further round (at most 4 rounds, the last one solved exactly over Z).
    """
    degree = check_int("degree", degree, minimum=1, maximum=MAX_DEGREE)
    D, k = system.n_vars, len(system.fields)
    mons = monomials(D, degree)
    blocks = ansatz_blocks(system, degree)
    largest = max(len(b) for b in blocks)
    if largest > MAX_BLOCK:
        raise ValueError(f"degree={degree} gives an ansatz block of {largest:,} unknowns for "
                         f"{system.name}, beyond the limit of {MAX_BLOCK:,} (lower degree)")
    points: list[tuple[int, ...]] = []
    values: list[list[list[int]]] = []

    def ensure(n: int) -> None:
        while len(points) < n:
            pt = tuple(int(v) for v in rng.integers(-spread, spread + 1, size=D))
            points.append(pt)
            values.append([[int(c(*pt)) if not c.is_zero() else 0 for c in f]
                           for f in system.fields])

    found: list[tuple[int, list[int], flint.fmpz_mpoly]] = []
    max_rounds = 0
    for block in blocks:
        bmons = [mons[u] for u in block]
        want = max(-(-(len(block) + extra) // k), 1)
        for rnd in range(1, _MAX_ROUNDS + 1):
            ensure(want)
            rows = _rows(system, values[:want], points[:want], bmons)
            vecs = _solve_block(rows, exact=rnd == _MAX_ROUNDS)
            polys = [_poly(system, v, bmons) for v in vecs] if vecs != [[]] else None
            if polys is not None and all(is_conserved(system, q) for q in polys):
                break
            want *= 2
        else:
            raise RuntimeError(f"{system.name}: laws from {want // 2} points failed the symbolic "
                               f"re-check after {_MAX_ROUNDS} rounds")
        max_rounds = max(max_rounds, rnd)
        for v, q in zip(vecs, polys, strict=True):
            pivot = next(block[i] for i, c in enumerate(v) if c)
            found.append((pivot, v, q))
    found.sort(key=lambda t: t[0])
    laws = [q for _, _, q in found]
    dim, r_exp, r_both = _span_ranks(laws, system.expected_laws)
    return LawSpace(
        laws=tuple(laws), strings=tuple(law_string(system, q) for q in laws), dim=len(laws),
        expected_dim=r_exp, matches_expected=(r_both == dim == r_exp),
        contains_expected=(r_both == dim), n_points=len(points), n_rounds=max_rounds,
        rechecked=True, degree=degree, n_unknowns=len(mons), n_blocks=len(blocks),
        largest_block=largest,
    )


def _span_ranks(laws: list, expected: tuple) -> tuple[int, int, int]:
    """(rank of laws, rank of expected, rank of both) as coefficient vectors (exact)."""
    cols: dict[tuple, int] = {}
    for q in [*laws, *expected]:
        for e in q.to_dict():
            cols.setdefault(tuple(e), len(cols))

    def rank(polys) -> int:
        if not polys or not cols:
            return 0
        rows = []
        for q in polys:
            row = [0] * len(cols)
            for e, c in q.to_dict().items():
                row[cols[tuple(e)]] = int(c)
            rows.append(row)
        return flint.fmpz_mat(rows).rank()

    return rank(laws), rank(list(expected)), rank([*laws, *expected])


@lru_cache(maxsize=16)
def _symbols(names: tuple[str, ...]) -> tuple:
    import sympy

    return tuple(sympy.Symbol(n) for n in names)


def law_string(system: PolySystem, q: flint.fmpz_mpoly) -> str:
    """A law as text in sympy syntax (`a11**2 - c1*c2`), terms in sympy's printing order."""
    import sympy

    gens = _symbols(system.names)
    terms = []
    for e, c in q.to_dict().items():
        m = sympy.Integer(int(c))
        for g, x in zip(gens, e, strict=True):
            if x:
                m = m * g**x
        terms.append(m)
    return str(sympy.Add(*terms))
