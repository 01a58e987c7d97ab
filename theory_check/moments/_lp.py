"""Certified bounds on m_q by linear programming over measures, with exact rational certificates.

Problem (u = x/ρ ∈ [-1, 1], scaled moments μ_j = m_j / ρ^j, data ŵ_j = w_j / ρ^j):
extremize s·μ_q over μ ≥ 0 on [-1, 1] with `|Σ_i φ_n(u) dμ - d_n| ≤ e_n` for the k rows φ_n
(monomials u^j for a box on the moments; Chebyshev T_n for eps = 0, better conditioned).

- Inner (a value attained): the grid LP's vertex measure on rational atoms (each float grid
  point taken exactly), its weights re-solved *exactly* from the active rows (python-flint
  `fmpq_mat`), then every constraint checked exactly: an explicit feasible measure, whose s·μ_q
  is an exact rational lower bound of the optimum.
- Outer (weak duality): for any y with `P(u) = Σ_n y_n φ_n(u) - s u^q ≥ -τ` on [-1, 1],
  `s·μ_q ≤ Σ_n y_n d_n + τ d_0 + Σ_n |y'_n| e_n` (y' = y with τ added to the constant term).
  y is the LP dual (rounded to rationals); τ is a rigorous bound from Taylor forms of P in
  ball arithmetic on a bisection of [-1, 1] (`poly_lower_bound`). The bound is an exact rational.
  (For box radii > 0 `certified_interval` tries the multiprecision KKT path `_kkt` first.)

The grid is refined by exchange: after each solve the points where P is most negative (the dual
polynomial's touching points) are added, so both bounds converge to the optimum.
`_ipm` solves one grid's LP to far below float resolution (a multiprecision interior-point
method); `_kkt` reads the optimum's structure off it where radii span decades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, fmpq, fmpq_mat, fmpq_poly
from numpy.polynomial import chebyshev as npcheb
from scipy.optimize import linprog

from theory_check.moments._basis import cheb_to_mono

GRID = 400
ROUNDS = 6
HIGHS_TOL = 1e-10
HIGHS_SECONDS = 10.0  # a degenerate grid LP can stall HiGHS; past this it counts as failed
RESOLVABLE_LP = Fraction(1, 10**9)  # radii (relative to the data) a float grid LP can certify


def _q(x: Fraction | int) -> fmpq:
    x = Fraction(x)
    return fmpq(x.numerator, x.denominator)


def _f(x: fmpq) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def poly_lower_bound(P: fmpq_poly, estimate: float, rel: float = 1e-2) -> Fraction:
    """A rational L ≤ min_{u∈[-1,1]} P(u), rigorous (`_kkt.lower_bound`: Taylor forms in ball
    arithmetic on a bisection of [-1, 1]).

    `estimate`: a float value of min P (from Newton-refined local minima); pieces are refined
    until their bound is ≥ (1 + rel)·min(estimate, 0) (no subdivision can do much better than
    a value P takes). L is rigorous whatever the estimate (a poor one only costs subdivisions).
    """
    from theory_check.moments._kkt import lower_bound
    target = Fraction(min(0.0, estimate) * (1 + rel)) - Fraction(1, 2**200)
    return lower_bound(P, [], target)


def _float_minima(basis: str, y: np.ndarray, q: int, s: int) -> tuple[np.ndarray, float]:
    """Local minima of the float dual polynomial on [-1, 1] (fine grid, then Newton on P') and
    the least value there (the ends included)."""
    k = y.size
    cy = y.copy() if basis == "chebyshev" else npcheb.poly2cheb(y)
    e = np.zeros(q + 1)
    e[q] = 1.0
    cp_ = np.zeros(max(q, k - 1) + 1)
    cp_[: cy.size] += cy  # poly2cheb trims trailing zeros
    cp_[: q + 1] -= s * npcheb.poly2cheb(e)
    d1, d2 = npcheb.chebder(cp_), npcheb.chebder(cp_, 2)
    fine = np.cos(np.pi * np.arange(8 * (q + k) + 1) / (8 * (q + k)))[::-1]
    v = npcheb.chebval(fine, cp_)
    idx = np.where((v[1:-1] < v[:-2]) & (v[1:-1] <= v[2:]))[0] + 1
    t = fine[idx]
    for _ in range(6):
        dd = npcheb.chebval(t, d2)
        step = np.where(dd > 0, npcheb.chebval(t, d1) / np.where(dd > 0, dd, 1.0), 0.0)
        t = np.clip(t - step, -1.0, 1.0)
    # A minimum between an end and its fine-grid neighbour is invisible to the comparison
    # above (the end itself is not tested): P' < 0 at the neighbour and > 0 at the end (or the
    # mirror at -1). Boundary teacher λ̂ = 1: the minimum sits at 1 - O(δ), inside the last
    # fine-grid cell for every δ < 1e-3. Found by bisection on P' (no Newton from the cell).
    ends = []
    for a, b in ((fine[-2], 1.0), (-1.0, fine[1])):
        if npcheb.chebval(a, d1) < 0 < npcheb.chebval(b, d1):
            for _ in range(60):
                mid = 0.5 * (a + b)
                a, b = (mid, b) if npcheb.chebval(mid, d1) < 0 else (a, mid)
            ends.append(0.5 * (a + b))
    t = np.unique(np.concatenate([t, ends]))
    pts = np.concatenate([t, [-1.0, 1.0]])
    return t, float(np.min(npcheb.chebval(pts, cp_)))


@dataclass(frozen=True)
class LPBound:
    """One side of one moment bound: inner (attained, exact), outer (proved, exact)."""

    inner: Fraction | None      # s·μ_q of a verified measure (None: no verified measure)
    outer: Fraction | None      # proved upper bound of s·μ_q (None: no certificate)
    tau: Fraction | None        # the shift that made the dual polynomial nonnegative
    atoms: list[Fraction]       # the verified measure (u units)
    weights: list[Fraction]
    status: str
    rounds: int
    grid_points: int


def _rows(basis: str, k: int, u: np.ndarray) -> np.ndarray:
    if basis == "chebyshev":
        return npcheb.chebvander(u, k - 1).T
    return np.vander(u, k, increasing=True).T


def _rows_exact(basis: str, k: int, z: list[Fraction]) -> list[list[Fraction]]:
    if basis == "chebyshev":
        t = cheb_to_mono(k - 1)
        pw = [[Fraction(1)] * len(z)]
        for _ in range(1, k):
            pw.append([p * x for p, x in zip(pw[-1], z, strict=True)])
        return [[sum((t[n][j] * pw[j][i] for j in range(n + 1) if t[n][j]), Fraction(0))
                 for i in range(len(z))] for n in range(k)]
    out = [[Fraction(1)] * len(z)]
    for _ in range(1, k):
        out.append([p * x for p, x in zip(out[-1], z, strict=True)])
    return out


def _dual_poly(basis: str, y: list[Fraction], q: int, s: int) -> fmpq_poly:
    """P(u) = Σ_n y_n φ_n(u) - s u^q as an exact polynomial in monomials."""
    k = len(y)
    coef = [Fraction(0)] * (max(q, k - 1) + 1)
    if basis == "chebyshev":
        t = cheb_to_mono(k - 1)
        for n in range(k):
            for j in range(n + 1):
                if t[n][j]:
                    coef[j] += y[n] * t[n][j]
    else:
        for n in range(k):
            coef[n] += y[n]
    coef[q] -= s
    return fmpq_poly([_q(c) for c in coef])


@dataclass(frozen=True)
class GridSolution:
    """The last round of the grid LP with exchange: primal weights `x` on grid `u`, dual `y`,
    the dual polynomial's local minima and least value (float); `y_arb` the dual at full
    precision where the solver has it."""

    x: np.ndarray
    u: np.ndarray
    y: np.ndarray
    minima: np.ndarray
    estimate: float
    rounds: int
    status: str
    y_arb: tuple[arb, ...] = ()   # y at the solver's full precision, where it has one (`_ipm`)
    sides: tuple[int, ...] = ()   # each row's side at the optimum (-1, +1; 0 inactive), if known


def grid_solve(d: list[Fraction], e: list[Fraction], q: int, s: int, basis: str,
               extra: np.ndarray | None = None, max_rounds: int = ROUNDS,
               seconds: float = HIGHS_SECONDS) -> GridSolution:
    """max s·μ_q over measures on a grid of [-1, 1] (Chebyshev points + `extra`), refined by
    exchange until the float dual polynomial is nonnegative (`x` empty if the first LP fails)."""
    k = len(d)
    eq = all(v == 0 for v in e)
    dn = np.array([float(v) for v in d])
    en = np.array([float(v) for v in e])
    u = np.cos(np.pi * np.arange(GRID + 1) / GRID)
    if extra is not None and extra.size:
        u = np.concatenate([u, np.clip(extra, -1, 1)])
    u = np.unique(u)
    status = "ok"
    last = None
    for rounds in range(1, max_rounds + 1):
        A = _rows(basis, k, u)
        c = -s * u**q
        opts = {"primal_feasibility_tolerance": HIGHS_TOL, "dual_feasibility_tolerance": HIGHS_TOL,
                "time_limit": seconds}
        if eq:
            res = linprog(c, A_eq=A, b_eq=dn, bounds=(0, None), method="highs", options=opts)
        else:
            res = linprog(c, A_ub=np.vstack([A, -A]), b_ub=np.concatenate([dn + en, -(dn - en)]),
                          bounds=(0, None), method="highs", options=opts)
        if res.status != 0:
            status = f"grid LP: {res.message}"
            break
        if eq:
            yv = -np.asarray(res.eqlin.marginals)
        else:
            mg = np.asarray(res.ineqlin.marginals)
            yv = -(mg[:k] - mg[k:])
        minima, est = _float_minima(basis, yv, q, s)
        last = GridSolution(res.x, u, yv, minima, est, rounds, status)
        if est >= -1e-15:  # P (objective u^q of size ≤ 1) is nonnegative to float accuracy
            break
        # exchange: add the dual polynomial's touching points (and their neighbourhoods)
        supp = u[res.x > 1e-14 * max(res.x.max(), 1e-300)]
        h = 2.0 ** -np.arange(10, 34, 3)
        pts = np.concatenate([minima, supp])
        near = np.concatenate([pts, (pts[:, None] + np.concatenate([h, -h])[None, :]).ravel()])
        u = np.unique(np.concatenate([u, np.clip(near, -1, 1)]))
    if last is None:
        return GridSolution(np.zeros(0), u, np.zeros(k), np.zeros(0), -math.inf, rounds, status)
    return GridSolution(last.x, last.u, last.y, last.minima, last.estimate, last.rounds, status)


def lp_bound(d: list[Fraction], e: list[Fraction], q: int, s: int, basis: str,
             extra: np.ndarray | None = None) -> LPBound:
    """Certified inner and outer bounds of max s·μ_q (see the module docstring).

    d: exact row data d_n; e: exact radii e_n (all 0 for equality rows); s = +1 (max μ_q) or -1.
    """
    eq = all(v == 0 for v in e)
    dn = np.array([float(v) for v in d])
    en = np.array([float(v) for v in e])
    g = grid_solve(d, e, q, s, basis, extra)
    status, rounds = g.status, g.rounds
    if g.x.size == 0:
        return LPBound(None, None, None, [], [], status, rounds, int(g.u.size))
    yv, u_used, est = g.y, g.u, g.estimate
    # Certify the last round: rational dual y, rigorous shift τ, exact outer bound.
    y = [Fraction(float(v)) for v in yv]
    low = poly_lower_bound(_dual_poly(basis, y, q, s), est)
    tau = max(Fraction(0), -low)
    y0 = [y[0] + tau, *y[1:]]
    outer = (sum((a * b for a, b in zip(y0, d, strict=True)), Fraction(0))
             + sum((abs(a) * b for a, b in zip(y0, e, strict=True)), Fraction(0)))
    inner = (_verified_measure(g.x, u_used, d, e, q, s, basis, eq, dn, en, yv)
             or _verified_measure(g.x, u_used, d, e, q, s, basis, eq, dn, en))
    inner_v, atoms, weights = inner if inner is not None else (None, [], [])
    return LPBound(inner_v, outer, tau, atoms, weights, status, rounds, int(u_used.size))


def _verified_measure(x: np.ndarray, u: np.ndarray, d: list[Fraction], e: list[Fraction], q: int,
                      s: int, basis: str, eq: bool, dn: np.ndarray, en: np.ndarray,
                      y: np.ndarray | None = None
                      ) -> tuple[Fraction, list[Fraction], list[Fraction]] | None:
    """The LP vertex as an exact measure: rational atoms, weights solved exactly on the active
    rows, every row and sign checked exactly. None if the repaired measure is not feasible."""
    k = len(d)
    keep = np.where(x > 1e-14 * max(float(x.max()), 1e-300))[0]
    if keep.size == 0:
        return None
    # grid points next to simple rationals (0, ±1/2, ±1, teacher atoms, …) are taken as those:
    # extremal atoms are often exactly there, and an exact repair needs them exact
    z = []
    for i in keep:
        snap = Fraction(float(u[i])).limit_denominator(1000)
        z.append(snap if abs(float(snap) - float(u[i])) < 1e-12 else Fraction(float(u[i])))
    xf = x[keep]
    A = _rows(basis, k, u[keep])
    resid = A @ xf - dn
    if eq:
        active = list(range(k))
        rhs = list(d)
    else:
        scale = max(1.0, float(np.max(np.abs(dn))))
        if y is not None:
            # complementary slackness: a row with a nonzero multiplier is active, at the side
            # its sign says (y_n > 0: upper end d_n + e_n)
            ymax = max(float(np.max(np.abs(y))), 1e-300)
            active = [n for n in range(k) if abs(y[n]) > 1e-9 * ymax]
            rhs = [d[n] + (e[n] if y[n] > 0 else -e[n]) for n in active]
        else:
            active = [n for n in range(k) if abs(abs(resid[n]) - en[n]) <= 1e-7 * scale]
            rhs = [d[n] + (e[n] if resid[n] > 0 else -e[n]) for n in active]
    R = _rows_exact(basis, k, z)
    n_s = len(z)
    order = list(np.argsort(-xf))
    free = order[: len(active)] if len(active) <= n_s else order
    fixed = [i for i in range(n_s) if i not in free]
    w = [Fraction(0)] * n_s
    for i in fixed:
        w[i] = Fraction(float(xf[i]))
    if free:
        rows = active[: len(free)] if len(active) >= len(free) else active
        if len(rows) != len(free):
            return None
        M = fmpq_mat(len(rows), len(free), [_q(R[n][i]) for n in rows for i in free])
        b = fmpq_mat(len(rows), 1, [_q(rhs[a] - sum((R[n][i] * w[i] for i in fixed), Fraction(0)))
                                    for a, n in enumerate(rows)])
        try:
            sol = M.solve(b)
        except ZeroDivisionError:
            return None
        for j, i in enumerate(free):
            w[i] = _f(sol[j, 0])
    if any(v < 0 for v in w):
        return None
    for n in range(k):
        val = sum((R[n][i] * w[i] for i in range(n_s)), Fraction(0))
        if abs(val - d[n]) > e[n]:
            return None
    zq = [a**q for a in z]
    value = s * sum((b * a for a, b in zip(zq, w, strict=True)), Fraction(0))
    return value, z, w


def certified_interval(w: list[Fraction], q: int, rho: Fraction, eps: Any,
                       extra: np.ndarray | None = None, kkt: bool = True,
                       whole_line: bool = False, interior: bool = False) -> dict[str, Any]:
    """Both ends of the m_q interval with exact inner and outer bounds (box radii eps_j ≥ 0, or
    eps = 0 for equalities), in m-units: {'lower': {...}, 'upper': {...}, 'basis': …}.

    Box radii > 0: each end first by the multiprecision KKT path (`_kkt.certified_end`: any
    length, radii far below float resolution), then, where that does not certify, by this
    module's grid LP certificate. `extra`: grid points to add (u units, e.g. the data's atoms).
    `whole_line`: support R, searched on [-ρ, ρ]: only the lower end (q even), by the KKT path,
    its dual polynomial certified on all of R ('upper' is then None). `interior`: the data are
    interior to the moment cone (see `_kkt.certified_end`).
    """
    k = len(w)
    eps_l = [Fraction(v) for v in np.broadcast_to(np.asarray(eps, dtype=object), (k,))]
    if all(v == 0 for v in eps_l):
        from theory_check.moments._basis import chebyshev_moments
        d = chebyshev_moments(list(w), rho)
        e = [Fraction(0)] * k
        basis = "chebyshev"
    else:
        d = [v / rho**j for j, v in enumerate(w)]
        e = [v / rho**j for j, v in enumerate(eps_l)]
        basis = "monomial"
    scale = rho**q
    out: dict[str, Any] = {"basis": basis}
    use_kkt = kkt and all(v > 0 for v in e)
    if whole_line and not use_kkt:
        raise ValueError("whole_line needs box radii > 0 (the KKT path)")
    out["upper"] = None
    for s, tag in ((-1, "lower"),) if whole_line else ((1, "upper"), (-1, "lower")):
        row: dict[str, Any] | None = None
        if use_kkt:
            from theory_check.moments._kkt import certified_end
            try:
                c = certified_end(d, e, q, s, extra=extra, whole_line=whole_line,
                                  interior=interior)
            except (ArithmeticError, ValueError) as exc:
                # a failed polish only costs the fast path: the grid LP certificate follows
                c = None
                kkt_status = f"{type(exc).__name__}: {exc}"
            if c is not None and c.inner is not None and c.outer is not None:
                row = {"inner": s * c.inner * scale, "outer": s * c.outer * scale, "tau": c.tau,
                       "status": c.status, "rounds": c.steps, "grid_points": 0,
                       "atoms": [a * rho for a in c.atoms], "weights": c.weights,
                       "engine": "kkt", "prec": c.prec}
            elif c is not None:
                kkt_status = c.status
        if row is None and use_kkt and (whole_line or min(e) < RESOLVABLE_LP * max(abs(v) for v in d)):
            # radii below float resolution: the grid LP cannot certify them either
            row = {"inner": None, "outer": None, "tau": None, "status": "radius below float "
                   "resolution and the KKT path did not certify", "rounds": 0, "grid_points": 0,
                   "atoms": [], "weights": [], "engine": "kkt", "kkt_status": kkt_status}
        if row is None:
            b = lp_bound(d, e, q, s, basis, extra)
            row = {"inner": None if b.inner is None else s * b.inner * scale,
                   "outer": None if b.outer is None else s * b.outer * scale, "tau": b.tau,
                   "status": b.status, "rounds": b.rounds, "grid_points": b.grid_points,
                   "atoms": [a * rho for a in b.atoms], "weights": b.weights, "engine": "lp"}
            if use_kkt:
                row["kkt_status"] = kkt_status
        out[tag] = row
    return out
