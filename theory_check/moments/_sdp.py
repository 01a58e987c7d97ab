"""The m_q interval as an SDP over the exact moment cone, sandwiched by a grid LP (inner bound).

Variables: Chebyshev moments c_0 … c_D of μ on [-ρ, ρ] (D = max(q, k-1)), scaled by m_0.
Constraints: the blocks of `_basis.chebyshev_blocks(D)` PSD, and the data: `c_n = ĉ_n` (n < k,
eps = 0), `|m_j - w_j| ≤ eps` (box) or `Σ_j (m_j - w_j)² ≤ eps` (l2). Objective: ±m_q. The
optimum over the exact cone is the truth up to solver accuracy; the grid LP is attained by an
explicit measure, so `inner ⊆ truth`; both are reported and must agree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import cvxpy as cp
import numpy as np
from numpy.polynomial import chebyshev as npcheb
from scipy.optimize import linprog

from theory_check.moments._basis import chebyshev_blocks, chebyshev_moments, mono_to_cheb, monomial_blocks

SOLVERS = ("CLARABEL", "SCS")
GRID = 600
# Agreement of SDP (outer) and grid LP (inner): atol in units of m_0·|objective|, rtol of the width.
SANDWICH_ATOL = 1e-6
SANDWICH_RTOL = 1e-2


@dataclass
class Program:
    """A compiled moment SDP with a parameterized objective (re-solved for each q and sign)."""

    problem: cp.Problem
    c: cp.Variable
    obj: cp.Parameter
    psd: list[tuple[str, cp.Constraint, np.ndarray]]
    data: list[cp.Constraint]
    D: int
    k: int
    rho: float
    scale: float
    basis: str
    fixed: np.ndarray | None  # known Chebyshev moments (eps = 0)
    cons_rows: np.ndarray      # rows mapping c to (m_j / scale / ρ^j), j < k
    targets: np.ndarray
    eps: float | np.ndarray    # scalar, or per-j radii for the box norm
    norm: str
    extra: dict = field(default_factory=dict)

    def box_radius(self) -> np.ndarray:
        """Per-row radius of the box constraint in the program's units (`eps_j / (ρ^j scale)`)."""
        eps = np.broadcast_to(np.asarray(self.eps, dtype=float), (self.k,))
        return eps / np.array([self.rho**j for j in range(self.k)]) / self.scale


def build_program(w: list[Fraction], D: int, rho: Fraction, eps: float | np.ndarray, norm: str,
                  basis: str = "chebyshev") -> Program:
    """The SDP for data w (exact), degree D, support [-ρ, ρ]; basis 'chebyshev' or 'monomial'."""
    k = len(w)
    scale = float(abs(w[0])) if w[0] != 0 else max(float(max(abs(v) for v in w)), 1.0)
    S = np.array([[float(x) for x in row] for row in mono_to_cheb(D)])
    if basis == "chebyshev":
        blocks = chebyshev_blocks(D)
        rows = S[:k]                       # μ_j = Σ_n s_jn c_n
        known = chebyshev_moments(list(w), rho)
    else:
        blocks = monomial_blocks(D)
        rows = np.eye(D + 1)[:k]
        known = [v / rho**j for j, v in enumerate(w)]
    targets = np.array([float(Fraction(v) / rho**j) for j, v in enumerate(w)]) / scale
    c = cp.Variable(D + 1)
    obj = cp.Parameter(D + 1)
    cons: list[cp.Constraint] = []
    psd = []
    for name, Phi in blocks:
        s = Phi.shape[0]
        X = cp.reshape(Phi.reshape(s * s, D + 1) @ c, (s, s), order="C")
        con = (X + X.T) / 2 >> 0
        cons.append(con)
        psd.append((name, con, Phi))
    fixed = None
    if np.all(np.asarray(eps) == 0):
        fixed = np.array([float(v) for v in known]) / scale
        data = [c[:k] == fixed]
    elif norm == "box":
        # |m_j - w_j| ≤ eps, divided by ρ^j·scale to keep rows O(1)
        rad = np.broadcast_to(np.asarray(eps, dtype=float), (k,)) / np.array(
            [float(rho) ** j for j in range(k)]) / scale
        data = [rows @ c <= targets + rad, rows @ c >= targets - rad]
    else:
        pw = np.array([float(rho) ** j for j in range(k)])
        data = [cp.sum_squares(cp.multiply(pw, rows @ c - targets)) <= eps / scale**2]
    cons += data
    prob = cp.Problem(cp.Minimize(obj @ c), cons)
    return Program(prob, c, obj, psd, data, D, k, float(rho), scale, basis, fixed, rows, targets,
                   eps, norm)


def objective_row(prog: Program, q: int) -> np.ndarray:
    """a with `m_q / (scale ρ^q) = a · c` in the program's basis."""
    if prog.basis == "chebyshev":
        return np.array([float(x) for x in mono_to_cheb(prog.D)[q]])
    e = np.zeros(prog.D + 1)
    e[q] = 1.0
    return e


def solve_sdp(prog: Program, a: np.ndarray, sense: int, solver: str) -> dict[str, Any]:
    """Minimize (sense=+1) or maximize (-1) a·c; value and evidence, with SCS as the fallback."""
    free = a.copy()
    if prog.fixed is not None:
        free[: prog.k] = 0.0  # the known part is added exactly by the caller
    norm = float(np.max(np.abs(free))) or 1.0
    prog.obj.value = sense * free / norm
    tried = [solver] + [s for s in SOLVERS if s != solver]
    out: dict[str, Any] = {}
    for sv in tried:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prog.problem.solve(solver=sv, **({"eps": 1e-9, "max_iters": 20000} if sv == "SCS" else {}))
        except cp.error.SolverError as exc:
            out = {"status": f"solver error: {exc}", "solver": sv}
            continue
        out = {"status": prog.problem.status, "solver": sv}
        if prog.problem.status in ("optimal", "optimal_inaccurate"):
            break
    if prog.problem.status not in ("optimal", "optimal_inaccurate") or prog.c.value is None:
        return {**out, "value": float("nan")}
    cval = prog.c.value
    primal = float(sense * prog.problem.value)
    # Lagrangian gap: Σ ⟨dual, slack⟩ over inequality and PSD constraints (0 at exact optimality)
    gap = 0.0
    min_eigs, dual_min_eigs = {}, {}
    for name, con, Phi in prog.psd:
        X = np.tensordot(Phi, cval, axes=([2], [0]))
        Z = con.dual_value
        ev = np.linalg.eigvalsh(X)
        min_eigs[name] = float(ev[0]) if ev.size else 0.0
        if Z is not None:
            Z = np.asarray(Z)
            gap += float(np.sum(Z * X))
            dual_min_eigs[name] = float(np.linalg.eigvalsh((Z + Z.T) / 2)[0])
    residual = 0.0
    if prog.fixed is not None:
        residual = float(np.max(np.abs(cval[: prog.k] - prog.fixed)))
    elif prog.norm == "box":
        r = np.abs(prog.cons_rows @ cval - prog.targets) - prog.box_radius()
        residual = max(0.0, float(np.max(r)))
        for con in prog.data:
            if con.dual_value is not None:
                gap += float(np.abs(con.dual_value) @ np.abs(con.expr.value))
    else:
        pw = np.array([prog.rho**j for j in range(prog.k)])
        val = float(np.sum((pw * (prog.cons_rows @ cval - prog.targets)) ** 2))
        residual = max(0.0, val - prog.eps / prog.scale**2)
        dv = prog.data[0].dual_value
        if dv is not None:
            gap += float(np.sum(dv)) * abs(prog.eps / prog.scale**2 - val)
    return {**out, "value": primal * norm, "objective_norm": norm, "c": cval,
            "duality_gap": abs(gap) * norm, "dual_value": (primal - sense * gap) * norm,
            "min_eig": min_eigs, "dual_min_eig": dual_min_eigs, "max_residual": residual,
            "iterations": prog.problem.solver_stats.num_iters}


def pencil_atoms(c: np.ndarray, rtol: float = 1e-7, clip: bool = True) -> np.ndarray:
    """Atoms u of a (near-)flat Chebyshev moment vector c: eigenvalues of the x-shifted pencil.

    `M = [∫T_iT_j]`, `M_x = [∫ u T_iT_j]`; with M ≈ U_r Λ U_rᵀ, the atoms are the eigenvalues of
    `Λ^{-1/2} U_rᵀ M_x U_r Λ^{-1/2}` (the multiplication operator on the span of the atoms).
    """
    D = c.size - 1
    n = (D - 1) // 2
    if n < 0:
        return np.zeros(0)
    from theory_check.moments._basis import G_ONE, localizer_tensor
    M = np.tensordot(localizer_tensor(G_ONE, n + 1, D), c, axes=([2], [0]))
    Mx = np.tensordot(localizer_tensor(np.array([0.0, 1.0]), n + 1, D), c, axes=([2], [0]))
    lam, U = np.linalg.eigh(M)
    keep = lam > rtol * max(lam[-1], 1e-300)
    if not np.any(keep):
        return np.zeros(0)
    Ur = U[:, keep] / np.sqrt(lam[keep])
    atoms = np.linalg.eigvalsh(Ur.T @ Mx @ Ur)
    return np.clip(atoms, -1.0, 1.0) if clip else atoms


REFINE_ROUNDS = 3


def grid_inner(prog: Program, a: np.ndarray, sense: int, extra_atoms: np.ndarray,
               target: float = float("nan"), tol: float = 0.0) -> dict[str, Any]:
    """Inner bound: optimize a·c over measures on a grid of [-1, 1] (u units) ∪ extra atoms.

    HiGHS LP for eps = 0 and box; Clarabel SOCP for l2. After each solve the grid is refined
    around the support of the optimal measure (points at distance π/GRID · 2^-r, r = 1…10): an
    exchange method, so the grid measure can approach the extremal one whose atoms are off-grid.
    Refinement stops once the value is within `tol` of `target` (the SDP value). The value is
    that of an explicit measure, whose constraint residual is reported.
    """
    grid = np.cos(np.pi * np.arange(GRID + 1) / GRID)
    u = np.unique(np.concatenate([grid, np.clip(extra_atoms, -1, 1)]))
    best: dict[str, Any] = {"value": float("nan"), "status": "infeasible on grid"}
    offsets = (np.pi / GRID) * 2.0 ** -np.arange(1, 11)
    for _ in range(REFINE_ROUNDS + 1):
        res = _grid_solve(prog, a, sense, u)
        if res["status"] != "optimal":
            return best if best["status"] == "optimal" else res
        if best["status"] != "optimal" or sense * res["value"] <= sense * best["value"]:
            best = {**res, "grid_points": int(u.size)}
        if abs(best["value"] - target) <= tol:
            break
        near = (res["atoms"][:, None] + np.concatenate([offsets, -offsets])[None, :]).ravel()
        u = np.unique(np.concatenate([u, np.clip(near, -1.0, 1.0)]))
    return best


def _grid_solve(prog: Program, a: np.ndarray, sense: int, u: np.ndarray) -> dict[str, Any]:
    """One grid LP/SOCP of `grid_inner` on the points u."""
    if prog.basis == "chebyshev":
        Tm = npcheb.chebvander(u, prog.D).T          # (D+1, N): c = Tm @ x
    else:
        Tm = np.vander(u, prog.D + 1, increasing=True).T
    obj = sense * (a @ Tm)
    if prog.fixed is not None:
        obj = sense * (a[prog.k:] @ Tm[prog.k:])
    A = prog.cons_rows @ Tm if prog.fixed is None else Tm[: prog.k]
    x = None
    if prog.fixed is not None:
        res = linprog(obj, A_eq=A, b_eq=prog.fixed, bounds=(0, None), method="highs")
        x = res.x if res.status == 0 else None
    elif prog.norm == "box":
        rad = prog.box_radius()
        res = linprog(obj, A_ub=np.vstack([A, -A]),
                      b_ub=np.concatenate([prog.targets + rad, -(prog.targets - rad)]),
                      bounds=(0, None), method="highs")
        x = res.x if res.status == 0 else None
    else:
        xv = cp.Variable(u.size, nonneg=True)
        pw = np.array([prog.rho**j for j in range(prog.k)])
        p = cp.Problem(cp.Minimize(obj @ xv),
                       [cp.sum_squares(cp.multiply(pw, A @ xv - prog.targets)) <= prog.eps / prog.scale**2])
        try:
            p.solve(solver="CLARABEL")
            x = xv.value if p.status in ("optimal", "optimal_inaccurate") else None
        except cp.error.SolverError:
            x = None
    if x is None:
        return {"value": float("nan"), "status": "infeasible on grid"}
    x = np.maximum(x, 0.0)
    cvec = Tm @ x
    if prog.fixed is not None:
        resid = float(np.max(np.abs(cvec[: prog.k] - prog.fixed)))
    elif prog.norm == "box":
        rad = prog.box_radius()
        resid = max(0.0, float(np.max(np.abs(A @ x - prog.targets) - rad)))
    else:
        pw = np.array([prog.rho**j for j in range(prog.k)])
        resid = max(0.0, float(np.sum((pw * (A @ x - prog.targets)) ** 2) - prog.eps / prog.scale**2))
    support = x > 1e-14 * max(x.max(), 1e-300)
    value = float(obj @ x) * sense
    return {"value": value, "status": "optimal", "residual": resid,
            "atoms": u[support], "weights": x[support]}
