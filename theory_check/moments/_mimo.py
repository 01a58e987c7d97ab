"""Matrix moment problems of balanced MIMO teachers: exact identifiability from block Hankel
matrices, and a numerical counterexample below the threshold (claim C13).

A balanced MIMO teacher (m = p, A = Aᵀ = diag(λ̂), C = Bᵀ, B with rows b_iᵀ) has Markov
parameters `M_j = Bᵀ A^j B = Σ_i λ̂_i^j b_i b_iᵀ`: the moments of the PSD matrix-valued measure
`μ̂ = Σ_i b_i b_iᵀ δ_{λ̂_i}`. Every balanced student is such a measure (any number of atoms on
R, PSD weights), so "L_k = 0 ⇒ the student extrapolates" for every balanced student is "the
moments M_0 … M_{k-1} determine μ̂ among PSD matrix measures on R".

Certificate for k = 2n + 1 (exact, rationals): let `H_n = [M_{i+j}]_{i,j≤n}` (block Hankel,
m(n+1) square) and K its kernel. For v ∈ K write `p_v(x) = Σ_t x^t v_t ∈ R^m` (v in blocks).
Any PSD μ with the same M_0 … M_{2n} has `∫ p_vᵀ dμ p_v = vᵀ H_n v = 0`, so μ lives on
Z = {x : the m×|K| matrix P(x) = [p_v(x)]_v has rank < m} (real roots of the gcd of its m×m
minors) with weight ranges inside R_x = left kernel of P(x). If Z is finite and the linear map
`(S_x)_{x∈Z} ↦ (Σ_x x^j R_x S_x R_xᵀ)_{j≤2n}` (S_x symmetric) is injective, μ = μ̂: identified.
This generalises C6 (m = 1: kernel polynomial of degree d̂, k = 2d̂ + 1); for generic b_i the
first n that works is ⌈d̂/m⌉, k = 2⌈d̂/m⌉ + 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["MatrixCertificate", "matrix_identified", "matrix_moment_gap", "matrix_moments"]


def matrix_moments(atoms: Sequence[Any], vectors: Sequence[Sequence[Any]], n: int) -> list[sp.Matrix]:
    """Exact `M_j = Σ_i λ̂_i^j b_i b_iᵀ`, j < n, as sympy matrices of rationals."""
    lam = [sp.Rational(Fraction(a)) if not isinstance(a, sp.Basic) else a for a in atoms]
    bs = [sp.Matrix([sp.Rational(Fraction(x)) for x in b]) for b in vectors]
    if len(lam) != len(bs) or not lam:
        raise ValueError("atoms and vectors must be non-empty and of the same length")
    return [sum((lam[i] ** j * bs[i] * bs[i].T for i in range(len(lam))),
                sp.zeros(bs[0].rows, bs[0].rows)) for j in range(n)]


@dataclass(frozen=True)
class MatrixCertificate:
    """Outcome of the kernel test at k = 2n + 1 moments.

    `identified` True: proved (exact); False: this test does not prove it (`why`).
    `support` is Z (exact), `ranges` the dimensions of R_x, `kernel_dim` = dim ker H_n.
    """

    k: int
    identified: bool
    why: str
    kernel_dim: int
    support: tuple[Any, ...] = ()
    ranges: tuple[int, ...] = ()


def matrix_identified(M: Sequence[sp.Matrix], n: int) -> MatrixCertificate:
    """The exact kernel test of the module doc with M_0 … M_{2n} (needs len(M) ≥ 2n + 1)."""
    if len(M) < 2 * n + 1:
        raise ValueError(f"need {2 * n + 1} moments for n = {n}; got {len(M)}")
    m = M[0].rows
    H = sp.Matrix(sp.BlockMatrix([[M[i + j] for j in range(n + 1)] for i in range(n + 1)]))
    K = H.nullspace()
    k = 2 * n + 1
    if len(K) < m:
        return MatrixCertificate(k, False, f"dim ker H_{n} = {len(K)} < m = {m}: every x is a "
                                 "possible atom", len(K))
    x = sp.Symbol("x")
    P = sp.Matrix([[sum(x**t * v[t * m + a] for t in range(n + 1)) for v in K] for a in range(m)])
    g = sp.Integer(0)
    for cols in combinations(range(len(K)), m):
        g = sp.gcd(g, sp.expand(P[:, list(cols)].det()))
        if g.is_number and g != 0:
            break
    if g == 0:
        return MatrixCertificate(k, False, "all m×m minors of P(x) vanish: every x is a possible "
                                 "atom", len(K))
    roots = sp.Poly(g, x).real_roots() if not g.is_number else []
    Z = list(dict.fromkeys(roots))
    if any(not z.is_rational for z in Z):
        return MatrixCertificate(k, False, "Z has irrational points (this test handles rational "
                                 "supports only)", len(K), tuple(Z))
    blocks = []
    ranges = []
    for z in Z:
        R = P.subs(x, z).T.nullspace()  # u with uᵀ P(z) = 0
        ranges.append(len(R))
        if R:
            blocks.append((z, sp.Matrix.hstack(*R)))
    # Unknowns: the upper triangle of each S_z; equations: entries of Σ z^j R S Rᵀ, j ≤ 2n.
    cols = []
    for z, R in blocks:
        r = R.cols
        for a in range(r):
            for b in range(a, r):
                E = sp.zeros(r, r)
                E[a, b] = E[b, a] = 1
                RER = R * E * R.T
                cols.append([z**j * RER[i, c] for j in range(2 * n + 1) for i in range(m)
                             for c in range(i, m)])
    if not cols:
        return MatrixCertificate(k, False, "no admissible weight directions", len(K), tuple(Z))
    L = sp.Matrix(cols).T
    if L.rank() < L.cols:
        return MatrixCertificate(k, False, "the weights on Z are not determined by the moments",
                                 len(K), tuple(Z), tuple(ranges))
    return MatrixCertificate(k, True, f"support Z = {Z} and its weights are forced by M_0 … "
                             f"M_{2 * n}", len(K), tuple(Z), tuple(ranges))


def matrix_moment_gap(M: Sequence[np.ndarray], k: int, *, grid: np.ndarray, seed: int = 0
                      ) -> dict[str, Any]:
    """Numerical (SDP) range of `⟨Y, M_k⟩` over PSD matrix measures on `grid` whose first k
    moments equal M_0 … M_{k-1}, for a random symmetric Y: {lower, upper, gap, measure_upper,
    residual}. A gap ≫ the solver tolerance exhibits a second balanced measure (a student that
    fits L_k exactly and differs at lag k)."""
    import cvxpy as cp

    m = M[0].shape[0]
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((m, m))
    Y = Y + Y.T
    Ws = [cp.Variable((m, m), PSD=True) for _ in grid]
    cons = [sum(float(g) ** j * W for g, W in zip(grid, Ws, strict=True)) == M[j] for j in range(k)]
    target = sum(float(g) ** k * W for g, W in zip(grid, Ws, strict=True))
    out: dict[str, Any] = {}
    for name, sense in (("upper", cp.Maximize), ("lower", cp.Minimize)):
        prob = cp.Problem(sense(cp.trace(Y @ target)), cons)
        prob.solve(solver=cp.CLARABEL)
        if prob.status not in ("optimal", "optimal_inaccurate"):
            return {"status": prob.status, "gap": float("nan")}
        out[name] = float(prob.value)
        if name == "upper":
            weights = [np.array(W.value) for W in Ws]
            out["measure_upper"] = [(float(g), w.tolist()) for g, w in zip(grid, weights, strict=True)
                                    if np.trace(w) > 1e-7]
            mom = [sum(float(g) ** j * w for g, w in zip(grid, weights, strict=True))
                   for j in range(k + 1)]
            out["residual"] = float(max(np.max(np.abs(mom[j] - M[j])) for j in range(k)))
            out["M_k_upper"] = mom[k].tolist()
    out["gap"] = out["upper"] - out["lower"]
    out["status"] = "optimal"
    return out
