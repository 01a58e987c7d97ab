"""The grid LP of `_lp` solved by a primal-dual interior-point method in multiprecision
(python-flint `arb`): every row resolved, whatever the spread of the radii.

Problem (u units, one grid u_1..u_N of [-1, 1]; each row in units of its own radius e_n):
minimize `c·x`, `c_i = -s u_i^q`, over grid weights `x ≥ 0` with
`A x - p = lo`, `p + t = 2`, `p, t ≥ 0`, where `A_ni = u_i^n / e_n`, `lo_n = d_n/e_n - 1` (so
`|μ_n - d_n| ≤ e_n`). Dual: `max lo·y + 2·1·v` with slacks `z_x = c - Aᵀy`, `z_p = y - v`,
`z_t = -v`, all ≥ 0; at an optimum `P(u) = Σ_n (-y_n/e_n) u^n - s u^q ≥ 0` on the grid.

Why: a box e on the moments of [-ρ, ρ] is e/ρ^n in u units, radii spanning decades below float
resolution. A float LP misses the small rows by more than their radius; iterative refinement
with float correction solves (tried before this module) stopped contracting at k ≈ 32–40 on
[-2, 2], and a multiprecision simplex from HiGHS's basis needed ~35·k pivots (measured: 1391 at
k = 40, 11 s). An interior-point method needs a few dozen steps whatever the combinatorics,
each a k×k solve: with `D = X Z⁻¹`, the normal matrix `A D_x Aᵀ` is the Hankel matrix of the
grid measure D_x, `h_(m+n)/(e_m e_n)` with `h_j = Σ_i D_i u_i^j` — formed from one (2k-1)×N
product, not a k×N×k one. It converges to the analytic centre of the optimal face: symmetric
data (on an exactly symmetric grid) give a symmetric measure and an even dual. The support and
the active rows are read by Tapia's indicator (`_tapia`), which needs no scale.

Mehrotra's predictor-corrector (Nocedal & Wright, *Numerical Optimization*, §14.2), infeasible
start, separate primal and dual step lengths. The result only proposes a structure: bounds still
come from `_kkt.certify`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
from flint import arb, arb_mat

from theory_check.moments._lp import GRID, GridSolution, _float_minima, _q

MU_STOP = 1e-30      # μ and residuals (radius units; × 2^-max(k, q), see below) at which the
MU_OK = 1e-20        # optimal face is read; an iterate past MU_OK is still read if a later
                     # step fails
MAX_STEPS = 120
ETA = 0.995          # fraction of the step to the boundary


def _step(v: list[arb], dv: list[arb]) -> float:
    """The largest α ≤ 1 with v + α·dv ≥ 0 (floats suffice: only the boundary's distance)."""
    a = 1.0
    for x, dx in zip(v, dv, strict=True):
        f = float(dx.mid())
        if f < 0:
            a = min(a, float((x / -dx).mid()))
    return a


@dataclass
class _Iterate:
    """Primal (x, p, t), dual (y, v) and slacks (zx, zp, zt) of the standard form."""

    x: list[arb]
    p: list[arb]
    t: list[arb]
    y: list[arb]
    v: list[arb]
    zx: list[arb]
    zp: list[arb]
    zt: list[arb]

    def primal(self) -> list[arb]:
        return self.x + self.p + self.t

    def slack(self) -> list[arb]:
        return self.zx + self.zp + self.zt


@dataclass
class _LP:
    """The scaled grid LP: V (u_i^j, j ≤ max(2k-2, q)), Vk (its first k rows), 1/e, lo, c."""

    V: arb_mat
    Vk: arb_mat
    VkT: arb_mat
    inv: list[arb]
    lo: list[arb]
    c: list[arb]


def _residuals(lp: _LP, z: _Iterate) -> tuple[list[arb], ...]:
    """r_b = b - Ā X and r_c = C - Āᵀλ - Z, blockwise (rb1, rb2, rcx, rcp, rct)."""
    k, N = len(z.p), len(z.x)
    Ax = lp.Vk * arb_mat(N, 1, z.x)
    Aty = lp.VkT * arb_mat(k, 1, [a * b for a, b in zip(z.y, lp.inv, strict=True)])
    rb1 = [lp.lo[n] - (Ax[n, 0] * lp.inv[n] - z.p[n]) for n in range(k)]
    rb2 = [2 - z.p[n] - z.t[n] for n in range(k)]
    rcx = [lp.c[i] - Aty[i, 0] - z.zx[i] for i in range(N)]
    rcp = [z.y[n] - z.v[n] - z.zp[n] for n in range(k)]
    rct = [-z.v[n] - z.zt[n] for n in range(k)]
    return rb1, rb2, rcx, rcp, rct


def _direction(lp: _LP, z: _Iterate, res: tuple[list[arb], ...], S: arb_mat,
               rmu: list[arb]) -> _Iterate:
    """The Newton direction for `Ā ΔX = r_b, ĀᵀΔλ + ΔZ = r_c, Z ΔX + X ΔZ = r_μ`, by the
    normal equations `Ā D Āᵀ Δλ = r_b + Ā (D r_c - Z⁻¹ r_μ)` with the (Δy, Δv) block eliminated:
    `(A D_x Aᵀ + D_p D_t/(D_p + D_t)) Δy = r1 + D_p/(D_p + D_t)·r2` (S, factored by the caller)."""
    rb1, rb2, rcx, rcp, rct = res
    k, N = len(z.p), len(z.x)
    X, Z = z.primal(), z.slack()
    rc = rcx + rcp + rct
    g = [a / b * r - m / b for a, b, r, m in zip(X, Z, rc, rmu, strict=True)]
    gx, gp, gt = g[:N], g[N:N + k], g[N + k:]
    Ag = lp.Vk * arb_mat(N, 1, gx)
    r1 = [rb1[n] + Ag[n, 0] * lp.inv[n] - gp[n] for n in range(k)]
    r2 = [rb2[n] + gp[n] + gt[n] for n in range(k)]
    Dp = [a / b for a, b in zip(z.p, z.zp, strict=True)]
    Dt = [a / b for a, b in zip(z.t, z.zt, strict=True)]
    f = [Dp[n] / (Dp[n] + Dt[n]) for n in range(k)]
    dy_m = S.solve(arb_mat(k, 1, [r1[n] + f[n] * r2[n] for n in range(k)]), algorithm="approx")
    dy = [dy_m[n, 0] for n in range(k)]
    dv = [(r2[n] + Dp[n] * dy[n]) / (Dp[n] + Dt[n]) for n in range(k)]
    Atd = lp.VkT * arb_mat(k, 1, [a * b for a, b in zip(dy, lp.inv, strict=True)])
    dz = [rcx[i] - Atd[i, 0] for i in range(N)] + [rcp[n] + dy[n] - dv[n] for n in range(k)] + \
        [rct[n] - dv[n] for n in range(k)]
    dX = [(m - a * b) / c for m, a, b, c in zip(rmu, X, dz, Z, strict=True)]
    return _Iterate(dX[:N], dX[N:N + k], dX[N + k:], dy, dv, dz[:N], dz[N:N + k], dz[N + k:])


def _moved(z: _Iterate, dz: _Iterate, ap: float, ad: float) -> _Iterate:
    A_p, A_d = arb(ap), arb(ad)

    def mv(a: list[arb], b: list[arb], s: arb) -> list[arb]:
        # midpoints only: the iterate need not be enclosed, and ball radii accumulated over
        # the steps would come to contain 0 as the complementary variables shrink
        return [(u + s * w).mid() for u, w in zip(a, b, strict=True)]

    return _Iterate(mv(z.x, dz.x, A_p), mv(z.p, dz.p, A_p), mv(z.t, dz.t, A_p),
                    mv(z.y, dz.y, A_d), mv(z.v, dz.v, A_d), mv(z.zx, dz.zx, A_d),
                    mv(z.zp, dz.zp, A_d), mv(z.zt, dz.zt, A_d))


def _lengths(z: _Iterate, dz: _Iterate) -> tuple[float, float]:
    return _step(z.primal(), dz.primal()), _step(z.slack(), dz.slack())


TAPIA = (0.5, 0.05)  # x_i(next)/x_i above the first: on the support; below the second: off it


def _tapia(lx_prev: np.ndarray, lx: np.ndarray) -> np.ndarray | None:
    """The support by Tapia's indicator (El-Bakry, Tapia & Zhang, 1994): along a step that
    lowers μ by ≥ 100, weights on the optimal support stay (ratio → 1) and the rest shrink
    with μ (ratio → 0). A boolean mask, or None while some ratio lies between TAPIA's bounds.
    Scale-free, unlike a threshold on x (on R the optimum's outer atoms weigh 1e-20 of the
    largest, below grid points off the support; N(0,1), k = 60, on [-13, 13]) or on x/z (no
    gap there at μ = 1e-49)."""
    r = lx - lx_prev
    on, off = r >= math.log10(TAPIA[0]), r <= math.log10(TAPIA[1])
    return on if bool(np.all(on | off)) else None


def _log10(v: arb) -> float:
    """log10 of a positive ball's midpoint, past float range too."""
    m = v.mid()
    if not m > 0:
        return -math.inf
    man, exp = m.man_exp()
    return math.log10(int(man)) + int(exp) * math.log10(2)


def ipm_grid_solve(d: list[Fraction], e: list[Fraction], q: int, s: int,
                   extra: np.ndarray | None = None, prec: int | None = None,
                   seconds: float = 10.0, mu_stop: float = MU_STOP) -> tuple[GridSolution, float]:
    """max s·μ_q over measures on a grid of [-1, 1] (401 Chebyshev points made exactly
    symmetric, + `extra` mirrored) with `|μ_n - d_n| ≤ e_n`, by the multiprecision
    interior-point method (module docstring).

    Returns the last iterate as a `GridSolution` — weights x (0 off the support Tapia's
    indicator reads), dual y in u units (`Σ y_n u^n - s u^q ≥ 0` on the grid up to μ; `y_arb`
    at full precision), each row's side (`sides`: -1 lower, +1 upper, 0 inactive) — and its
    primal violation in units of a radius (`inf` with an empty x when it did not converge or
    the support never split cleanly; `status` says why). It stops once μ and the residuals
    are below `mu_stop`·2^-max(k, q) and the indicator has split every variable."""
    t0 = time.perf_counter()
    k = len(d)
    deg = max(2 * k - 2, q)
    prec = prec or int(320 + 8 * max(k, q))
    # the grid exactly symmetric (a mirrored half, extra points mirrored too): float cosines
    # are not, and on symmetric data that asymmetry alone gave the odd rows multipliers of
    # 1e-15 of the largest (N(0,1), k = 40), which no threshold separates from the true ones
    u = np.cos(np.pi * np.arange(GRID // 2 + 1) / GRID)
    if extra is not None and extra.size:
        u = np.concatenate([u, np.abs(np.clip(extra, -1, 1))])
    u = np.unique(np.concatenate([u, -u]))[::-1].copy()
    N = u.size
    ntot = N + 2 * k
    # at the optimum P has ~k/2 double zeros in [-1, 1] and leading coefficient ±1, so its
    # values on the grid (the slacks z_x) are ~2^-q: off-support weights x = μ/z_x are
    # separated from the support only once μ is that much smaller (measured at k = 80:
    # μ = 1e-30 left every grid point with weight above 1e-14 of the largest)
    small = 2.0 ** -max(k, q)

    def result(z: _Iterate, status: str, pviol: float, on: np.ndarray
               ) -> tuple[GridSolution, float]:
        xs = np.where(on[:N], [float(a.mid()) for a in z.x], 0.0)
        # row sides: -1 at the lower bound (p off), +1 at the upper (t off), 0 inactive
        sides = tuple(-1 if not on[N + n] else 1 if not on[N + k + n] else 0 for n in range(k))
        ya = tuple((-a * b).mid() for a, b in zip(z.y, lp.inv, strict=True))
        yu = np.array([float(a) for a in ya])
        minima, est = _float_minima("monomial", yu, q, s)
        return GridSolution(xs, u, yu, minima, est, it, status, ya, sides), pviol

    def failed(why: str) -> tuple[GridSolution, float]:
        if good is not None:
            # a later step lost accuracy (the normal matrix's condition grows like 1/μ²): the
            # last iterate that was far enough along is read instead
            return result(good[0], f"multiprecision IPM (μ {good[1]:.0e}; then {why})", good[2],
                          good[3])
        return GridSolution(np.zeros(0), u, np.zeros(k), np.zeros(0), -math.inf, 0,
                            f"multiprecision IPM: {why}"), math.inf

    with flint.ctx.workprec(prec):
        ua = [arb(float(t)) for t in u]       # the grid's floats, exactly
        pw = [[arb(1)] * N]
        for _ in range(deg):
            pw.append([a * t for a, t in zip(pw[-1], ua, strict=True)])
        Vk = arb_mat(pw[:k])
        lp = _LP(arb_mat(pw), Vk, Vk.transpose(), [arb(_q(1 / b)) for b in e],
                 [arb(_q(a / b - 1)) for a, b in zip(d, e, strict=True)], [-s * v for v in pw[q]])
        one = arb(1)
        m0 = arb(_q(d[0])) if d[0] > 0 else one
        z = _Iterate([m0 / N] * N, [one] * k, [one] * k, [arb(0)] * k, [arb(0)] * k,
                     [one] * N, [one] * k, [one] * k)
        good: tuple[_Iterate, float, float, np.ndarray] | None = None
        prev: tuple[np.ndarray, float] | None = None
        mu = math.inf
        for it in range(1, MAX_STEPS + 1):
            if time.perf_counter() - t0 > seconds:
                return failed(f"time budget of {seconds:g} s spent at step {it} (μ = {mu:.1e})")
            res = _residuals(lp, z)
            gap = sum((a * b for a, b in zip(z.primal(), z.slack(), strict=True)), arb(0))
            mu = float((gap / ntot).mid())
            pviol = max(float(abs(r).mid()) for r in res[0] + res[1])
            dviol = max(float(abs(r).mid()) for r in res[2] + res[3] + res[4])
            # weights and the row slacks p, t classified together (a row is active at its lower
            # side when p → 0, at its upper side when t → 0)
            lx = np.array([_log10(a) for a in z.primal()])
            on = _tapia(prev[0], lx) if prev is not None and mu <= 0.01 * prev[1] else None
            prev = (lx, mu)
            if max(mu, pviol, dviol) <= mu_stop * small and on is not None:
                return result(z, f"multiprecision IPM ({it} steps, μ {mu:.0e})", pviol, on)
            if max(mu, pviol, dviol) <= MU_OK * small and on is not None:
                good = (z, mu, pviol, on)
            Dx = [a / b for a, b in zip(z.x, z.zx, strict=True)]
            h = lp.V * arb_mat(N, 1, Dx)
            # A D_x Aᵀ is the Hankel matrix of the grid measure D_x (rows scaled by 1/e)
            S = arb_mat(k, k, [h[m + n, 0] * lp.inv[m] * lp.inv[n] for m in range(k)
                               for n in range(k)])
            for n in range(k):
                dp, dt = z.p[n] / z.zp[n], z.t[n] / z.zt[n]
                S[n, n] += dp * dt / (dp + dt)
            X, Z = z.primal(), z.slack()
            try:
                aff = _direction(lp, z, res, S, [-a * b for a, b in zip(X, Z, strict=True)])
                ap, ad = _lengths(z, aff)
                g_aff = sum(((a + ap * da) * (b + ad * db) for a, da, b, db in
                             zip(X, aff.primal(), Z, aff.slack(), strict=True)), arb(0))
                sigma = min(1.0, max(0.0, float((g_aff / gap).mid())) ** 3)
                sm = arb(sigma) * gap / ntot
                rmu = [sm - a * b - da * db for a, b, da, db in
                       zip(X, Z, aff.primal(), aff.slack(), strict=True)]
                st = _direction(lp, z, res, S, rmu)
            except ZeroDivisionError:
                return failed(f"singular normal matrix at step {it}")
            # η → 1 as μ → 0: the steps stay interior, and the tail is superlinear
            eta = max(ETA, 1 - math.sqrt(max(mu, 0.0)))
            ap, ad = _lengths(z, st)
            z = _moved(z, st, min(1.0, eta * ap), min(1.0, eta * ad))
        return failed(f"μ = {mu:.1e} after {MAX_STEPS} steps")
