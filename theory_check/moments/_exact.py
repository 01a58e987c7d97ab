"""Exact rational moment conditions: PSD ranks, interiority, next-moment intervals, unique measures.

Notation (proofs/theory.md §2, §4): data m_0 … m_K of a nonnegative measure μ on S; `H_n = [m_{i+j}]`,
and for a polynomial g the localizing matrix `L_g = [∫ g x^{i+j} dμ]`. On S = [a, b]
(Hausdorff) m is a moment vector iff, for K = 2n, `H_n ⪰ 0` and `L_{(b-x)(x-a)}` (size n) ⪰ 0;
for K = 2n+1, `L_{x-a} ⪰ 0` and `L_{b-x} ⪰ 0` (size n+1). m is interior iff these are positive
definite; a boundary point has exactly one representing measure, so every later moment is then
determined. On S = R (Hamburger) the decisive matrix is the largest Hankel matrix of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath

Q = Fraction
Matrix = list[list[Fraction]]
DPS = 60  # digits for roots/weights of measures with algebraic atoms


def to_fraction(name: str, x: object) -> Fraction:
    """An exact rational from int, Fraction, float (its exact binary value) or a string like '1/2'."""
    if isinstance(x, bool):
        raise ValueError(f"{name} must be a real number; got {x!r}")
    try:
        return Fraction(x) if not isinstance(x, str) else Fraction(x.strip())
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{name} must be a finite real number or a fraction like 1/2; "
                         f"got {x!r}") from exc


def is_exact(x: object) -> bool:
    """Whether x is given exactly as a rational (int, Fraction or string), not as a float."""
    return isinstance(x, (int, Fraction, str)) and not isinstance(x, bool)


def atomic_moments(atoms: Sequence, weights: Sequence, n: int) -> list:
    """`m_j = Σ_i β_i λ_i^j`, j < n, in the arithmetic of the inputs (exact for Fractions/ints;
    floats and mpmath numbers stay so). The one implementation of atomic moments in the toolkit.

    Powers are built by repeated multiplication (β λ^{j+1} = (β λ^j)·λ), exact for rationals.
    """
    if len(atoms) != len(weights):
        raise ValueError(f"weights must have one entry per atom ({len(atoms)}); got {len(weights)}")
    out = []
    powers = list(weights)
    for _ in range(n):
        out.append(sum(powers, Q(0)) if all(isinstance(v, (int, Fraction)) for v in powers)
                   else sum(powers))
        powers = [p * a for p, a in zip(powers, atoms, strict=True)]
    return out


def psd_rank(M: Matrix) -> tuple[bool, int]:
    """(M ⪰ 0, rank M) exactly, by symmetric elimination pivoting on the largest diagonal entry.

    If the largest remaining diagonal entry is negative M is not PSD; if it is 0 the remaining
    block must vanish (a PSD matrix with zero diagonal is zero).
    """
    A = [list(r) for r in M]
    active = list(range(len(A)))
    rank = 0
    while active:
        p = max(active, key=lambda i: A[i][i])
        piv = A[p][p]
        if piv < 0:
            return False, rank
        if piv == 0:
            return all(A[i][j] == 0 for i in active for j in active), rank
        active.remove(p)
        rank += 1
        for i in active:
            f = A[i][p] / piv
            if f:
                row_p = A[p]
                row_i = A[i]
                for j in active:
                    row_i[j] -= f * row_p[j]
    return True, rank


def solve(A: Matrix, b: list[Fraction]) -> list[Fraction]:
    """x with A x = b for a nonsingular rational A (Gauss–Jordan); ZeroDivisionError if singular."""
    n = len(A)
    M = [[*A[i], b[i]] for i in range(n)]
    for c in range(n):
        p = next((r for r in range(c, n) if M[r][c] != 0), None)
        if p is None:
            raise ZeroDivisionError("singular matrix")
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c]:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c], strict=True)]
    return [M[i][n] / M[i][i] for i in range(n)]


@dataclass(frozen=True)
class Block:
    """A localizing matrix `[∫ g x^{i+j} dμ]_{i,j<size}`; g given by its roots' names and sign."""

    name: str
    size: int
    extra_atoms: tuple[Fraction, ...]  # roots of g: where a measure with a kernel may put mass

    def matrix(self, m: Sequence[Fraction], a: Fraction | None, b: Fraction | None) -> Matrix:
        """The block built from moments m (must be long enough)."""
        def ent(s: int) -> Fraction:
            if self.name == "H":
                return m[s]
            if self.name == "L":  # (b - x)(x - a) = -x² + (a+b) x - a b
                return -m[s + 2] + (a + b) * m[s + 1] - a * b * m[s]
            if self.name == "P":  # x - a
                return m[s + 1] - a * m[s]
            return b * m[s] - m[s + 1]  # "Qb": b - x
        return [[ent(i + j) for j in range(self.size)] for i in range(self.size)]


def blocks(K: int, support: tuple[Fraction, Fraction] | None) -> list[Block]:
    """The matrices deciding membership of (m_0 … m_K) in the moment cone of S (None = R)."""
    if support is None:
        n = K // 2
        return [Block("H", n + 1, ())]
    a, b = support
    if K % 2 == 0:
        n = K // 2
        out = [Block("H", n + 1, ())]
        if n >= 1:
            out.append(Block("L", n, (a, b)))
        return out
    n = (K - 1) // 2
    return [Block("P", n + 1, (a,)), Block("Qb", n + 1, (b,))]


BLOCK_TEXT = {"H": "Hankel matrix [m_(i+j)]", "L": "localizing matrix of (b-x)(x-a)",
              "P": "localizing matrix of (x-a)", "Qb": "localizing matrix of (b-x)"}


@dataclass(frozen=True)
class ConeMembership:
    """Where (m_0 … m_K) sits in the moment cone: feasible, interior, and each block's rank."""

    feasible: bool
    interior: bool
    ranks: dict[str, tuple[int, int]]  # block name -> (rank, size)
    violated: str | None


def membership(m: Sequence[Fraction], support: tuple[Fraction, Fraction] | None) -> ConeMembership:
    """Exact test of the conditions of the module docstring (the R recursion: `unique_measure`)."""
    K = len(m) - 1
    a, b = support if support is not None else (None, None)
    ranks, interior = {}, True
    for blk in blocks(K, support):
        psd, r = psd_rank(blk.matrix(m, a, b))
        ranks[blk.name] = (r, blk.size)
        if not psd:
            return ConeMembership(False, False, ranks, f"{BLOCK_TEXT[blk.name]} of size {blk.size} "
                                  "is not positive semidefinite")
        interior = interior and r == blk.size
    # Odd K on R: H uses m_0..m_{K-1}; m_K is free iff H is definite, else fixed by the
    # recursion that `unique_measure` checks.
    return ConeMembership(True, interior, ranks, None)


def next_moment_interval(m: Sequence[Fraction], support: tuple[Fraction, Fraction] | None
                         ) -> tuple[Fraction | None, Fraction | None]:
    """Exact (lower, upper) of m_{K+1} for interior data (None = unbounded), by Schur complements.

    The new moment t enters exactly one corner of each block of degree K+1 with coefficient ±1;
    with the leading block B' definite, `corner(t) - uᵀ B'^{-1} u ≥ 0` is the whole condition.
    """
    ext = [*m, Q(0)]
    K1 = len(m)
    a, b = support if support is not None else (None, None)
    lo: Fraction | None = None
    hi: Fraction | None = None
    for blk in blocks(K1, support):
        M = blk.matrix(ext, a, b)
        # Coefficient of t in the corner: +1 for H and P, -1 for L and Qb; blocks not
        # reaching degree K+1 do not involve t.
        top = blk.size - 1
        sign = {"H": 1, "P": 1, "L": -1, "Qb": -1}[blk.name]
        degree = 2 * top + {"H": 0, "P": 1, "L": 2, "Qb": 1}[blk.name]
        if degree != K1:
            continue
        corner = M[top][top]
        u = [M[i][top] for i in range(top)]
        lead = [row[:top] for row in M[:top]]
        s = sum((x * y for x, y in zip(u, solve(lead, u), strict=True)), Q(0)) if top else Q(0)
        bound = (s - corner) if sign == 1 else (corner - s)
        if sign == 1:
            lo = bound if lo is None else max(lo, bound)
        else:
            hi = bound if hi is None else min(hi, bound)
    return lo, hi


def kernel_polynomial(M: Matrix) -> list[Fraction] | None:
    """Coefficients (low → high) of the polynomial of a kernel vector of the smallest singular
    leading block of a PSD matrix M, or None if M is definite."""
    for s in range(1, len(M) + 1):
        lead = [row[:s] for row in M[:s]]
        if psd_rank(lead)[1] < s:
            if s == 1:
                return [Q(1)]
            sub = [row[: s - 1] for row in M[: s - 1]]
            x = solve(sub, [-M[i][s - 1] for i in range(s - 1)])
            return [*x, Q(1)]
    return None


@dataclass(frozen=True)
class MeasureFit:
    """An atomic measure (high-precision atoms, weights) and how well it reproduces the data."""

    atoms: list
    weights: list
    residual: float  # max_j |m_j(measure) - m_j| / max(1, max |m_j|)


def fit_weights(atoms: Sequence, m: Sequence[Fraction]) -> MeasureFit:
    """Least-squares weights on given atoms for moments m (mpmath, `DPS` digits)."""
    with mpmath.workdps(DPS):
        xs = [mpmath.mpf(x) if not isinstance(x, Fraction) else mpmath.mpf(x.numerator) / x.denominator
              for x in atoms]
        mm = [mpmath.mpf(v.numerator) / v.denominator for v in m]
        if not xs:
            res = max(abs(v) for v in mm) / max(1, max(abs(v) for v in mm))
            return MeasureFit([], [], float(res))
        V = mpmath.matrix([[x**j for x in xs] for j in range(len(mm))])
        rhs = mpmath.matrix(mm)
        w = mpmath.lu_solve(V, rhs) if V.rows == V.cols else mpmath.qr_solve(V, rhs)[0]
        w = [w[i] for i in range(len(xs))]
        scale = max(1, max(abs(v) for v in mm))
        res = max(abs(sum(wi * x**j for wi, x in zip(w, xs, strict=True)) - mm[j]) for j in range(len(mm)))
        return MeasureFit(xs, w, float(res / scale))


def measure_on_kernel(M: Matrix, extra: Sequence[Fraction], m: Sequence[Fraction],
                      support: tuple[Fraction, Fraction] | None) -> MeasureFit | None:
    """The measure supported on the roots of the kernel polynomial of M (and on `extra`), fitted to m.

    For a PSD localizing matrix of g with kernel vector p, `∫ g p² dμ = 0`, so μ lives on the
    real roots of p and of g. Returns None when the roots are not real or outside the support.
    """
    p = kernel_polynomial(M)
    if p is None:
        return None
    with mpmath.workdps(DPS):
        coeffs = [mpmath.mpf(c.numerator) / c.denominator for c in reversed(p)]
        while len(coeffs) > 1 and coeffs[0] == 0:
            coeffs = coeffs[1:]
        roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * DPS) if len(coeffs) > 1 else []
        roots = roots if isinstance(roots, list) else [roots]
        tol = mpmath.mpf(10) ** (-DPS // 3)
        real = []
        for r in roots:
            if abs(mpmath.im(r)) > tol:
                return None
            real.append(mpmath.re(r))
        pts = [*real, *[mpmath.mpf(e.numerator) / e.denominator for e in extra]]
        if support is not None:
            lo = mpmath.mpf(support[0].numerator) / support[0].denominator
            hi = mpmath.mpf(support[1].numerator) / support[1].denominator
            if any(x < lo - tol or x > hi + tol for x in pts):
                return None
            pts = [min(max(x, lo), hi) for x in pts]
        # merge coincident points (a root may equal an endpoint)
        uniq = []
        for x in sorted(pts):
            if not uniq or abs(x - uniq[-1]) > tol:
                uniq.append(x)
        fit = fit_weights(uniq, m)
        keep = [(x, w) for x, w in zip(fit.atoms, fit.weights, strict=True)
                if abs(w) > tol * max(1, abs(mpmath.mpf(m[0].numerator) / m[0].denominator))]
        if any(w < 0 for _, w in keep):
            return None
        return MeasureFit([x for x, _ in keep], [w for _, w in keep], fit.residual)


def support_polynomial(m: Sequence[Fraction], support: tuple[Fraction, Fraction] | None
                       ) -> list[Fraction] | None:
    """For boundary data: an exact polynomial P (low → high) vanishing on the support of every
    representing measure, checked against the data (`Σ_i P_i m_{n+i} = 0` for every window).

    P = p·Π(x - e): p the kernel polynomial of the first singular block, e the roots of that
    block's localizing polynomial. None if no block is singular or the data violate the recursion
    (then no measure reproduces them).
    """
    K = len(m) - 1
    a, b = support if support is not None else (None, None)
    for blk in blocks(K, support):
        M = blk.matrix(m, a, b)
        if psd_rank(M)[1] == blk.size:
            continue
        p = kernel_polynomial(M)
        if p is None:
            continue
        P = list(p)
        for e in blk.extra_atoms:  # multiply by (x - e)
            P = [(P[i - 1] if i else Q(0)) - e * (P[i] if i < len(P) else Q(0)) for i in range(len(P) + 1)]
        while len(P) > 1 and P[-1] == 0:
            P.pop()
        deg = len(P) - 1
        if deg > K + 1 or P[-1] == 0:
            continue
        if all(sum((P[i] * m[n + i] for i in range(deg + 1)), Q(0)) == 0 for n in range(K - deg + 1)):
            return P
    return None


def extend_by_recurrence(m: Sequence[Fraction], P: Sequence[Fraction], n: int) -> list[Fraction]:
    """m_0 … m_{n-1} from the data and `Σ_i P_i m_{j+i} = 0` (exact; P from `support_polynomial`)."""
    out = list(m)
    deg = len(P) - 1
    while len(out) < n:
        j = len(out) - deg
        out.append(-sum((P[i] * out[j + i] for i in range(deg)), Q(0)) / P[deg])
    return out[:n]


def spectrum_in(A: Matrix, support: tuple[Fraction, Fraction] | None) -> bool:
    """Whether the symmetric rational matrix A has every eigenvalue in [a, b] (exact: bI - A ⪰ 0
    and A - aI ⪰ 0); True on R."""
    if support is None:
        return True
    a, b = support
    n = len(A)
    up = [[(b if i == j else Q(0)) - A[i][j] for j in range(n)] for i in range(n)]
    dn = [[A[i][j] - (a if i == j else Q(0)) for j in range(n)] for i in range(n)]
    return psd_rank(up)[0] and psd_rank(dn)[0]


def unique_measure(m: Sequence[Fraction], support: tuple[Fraction, Fraction] | None
                   ) -> MeasureFit | None:
    """The unique representing measure of boundary (determinate) data, from a singular block."""
    K = len(m) - 1
    a, b = support if support is not None else (None, None)
    for blk in blocks(K, support):
        M = blk.matrix(m, a, b)
        if psd_rank(M)[1] < blk.size:
            fit = measure_on_kernel(M, blk.extra_atoms, m, support)
            if fit is not None:
                return fit
    return None
