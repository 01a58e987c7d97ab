"""Certified bounds on one end of the m_q interval under an l2 tolerance: the extremal measure
polished by Newton in multiprecision (python-flint `arb`), both bounds verified exactly.

Problem (u = x/ρ ∈ [-1, 1], μ_n = m_n/ρ^n, d_n = w_n/ρ^n, weights c_n = ρ^(2n), all exact; eps
is the *squared* radius, as in `_sdp.build_program`'s `Σ_j (m_j - w_j)² ≤ eps`):

    maximize s·μ_q over measures μ ≥ 0 on [-1, 1] with Σ_(n<k) c_n (μ_n - d_n)² ≤ eps  (s = ±1).

- Outer (weak duality): for rational y with `P(u) = Σ_n y_n u^n - s u^q ≥ -τ` on [-1, 1] (τ ≥ 0
  rigorous, `_kkt.lower_bound`) put y'_0 = y_0 + τ, y'_n = y_n (n ≥ 1). Then `Σ y'_n u^n ≥ s u^q`
  on [-1, 1], so for every feasible μ (Cauchy–Schwarz with the weights c_n)

      s·μ_q ≤ Σ y'_n μ_n = Σ y'_n d_n + Σ y'_n (μ_n - d_n) ≤ Σ y'_n d_n + sqrt(eps · Σ y'_n²/c_n).

  The square root is bounded above by an exact rational (`sqrt_upper`: integer isqrt of a
  scaled numerator, rounded up), so the outer bound is an exact Fraction (`outer_from_dual`).
- Inner: the polished atoms and weights rounded to rationals, `Σ c_n (μ_n - d_n)² ≤ eps`
  checked exactly (fmpq), s·μ_q exact: an explicit feasible measure. The polish solves the
  problem with eps shrunk to (1 - 2^-50)·eps, so the rounded measure is strictly feasible.
- KKT at the optimum (the constraint active, y ≠ 0): with N = sqrt(Σ_j y_j²/c_j),

      μ_n - d_n = sqrt(eps) · (y_n/c_n) / N   (n < k),
      P(x_i) = 0 at every atom x_i,  P'(x_i) = 0 at every interior atom,

  equality in Cauchy–Schwarz and complementary slackness, so s·μ_q = Σ y_n d_n + sqrt(eps)·N.
  Unknowns: the interior atoms, all weights, y (all k rows): as many as equations. Solved by
  Levenberg–Marquardt steps (as `_kkt.polish`, so a rank-deficient Jacobian, e.g. a
  non-unique primal on symmetric data, still converges) at `prec` bits.

The starting structure (atoms, which are interior, weights, y) comes from a float grid SOCP
(Clarabel via cvxpy: weights on a Chebyshev grid of [-1, 1] refined by exchange at the dual
polynomial's minima; Chebyshev moments as the variables, so the rows are well conditioned;
the dual of the residual rows is y). If Newton fails from it, variants are tried: without the
lightest atoms (interior-point noise), and with atoms near ±1 moved to the ends. A wrong guess
is mended by repairs: an atom whose weight turns negative is dropped, an interior atom that
leaves [-1, 1] becomes an end atom, and atoms are added (weight 0) where P dips below 0
elsewhere (exchange steps). Starts are ranked by a float Newton screen (`_ranked`), and
Newton takes full steps first (`_watchdog`). Where some radii sqrt(eps/c_n) are below float
resolution but the largest is not (weights spanning decades, a support [-ρ, ρ] with ρ > 1),
the SOCP start at eps itself is tried first, then a continuation in the weights capped at C,
C raised to max c_n (`_capped_route`: atoms added where P dips, split where P is concave at
one). A tolerance below float resolution in every row is reached by continuation: eps raised
to one the float SOCP resolves (further, ×100 at a time, if the grid cannot meet the ball:
boundary data with atoms off the grid), brought down by a factor 10 a step.

m-units (support [-ρ, ρ], data w, `Σ_j (m_j - w_j)² ≤ eps`): call `certified_end_l2` with
d_n = w_n/ρ^n, c_n = ρ^(2n) and the same eps; its values are s·μ_q, so m_q ≤ ρ^q·outer (s = 1)
and m_q ≥ -ρ^q·outer (s = -1); `l2_interval` does exactly this for both ends.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.linalg
from flint import arb, arb_mat, fmpq
from numpy.polynomial import chebyshev as npcheb

from theory_check.moments._basis import mono_to_cheb
from theory_check.moments._kkt import (
    NEWTON_STEPS,
    SHRINK,
    Certified,
    _arb,
    _exact,
    _float_P,
    _min_norm_step,
    _norm,
    _rows_at,
    _spent,
    default_prec,
    lower_bound,
    negative_weights,
    newton,
    structure_from_lp,
)
from theory_check.moments._lp import _dual_poly, _float_minima, _q

GRID = 400
GRID_ROUNDS = 3
RESOLVABLE = 1e-6   # sqrt(eps/c_n) a float SOCP resolves (relative to the data)
REPAIRS = 8
EXCHANGES = 3
L2_BUDGET = 40.0   # seconds per end: arcsine k = 80 at eps 1e-12 needs a second start at ~20 s
LIFTS = 4          # raises of an eps the float grid cannot meet (×100 each)
CLARABEL_OPTS = {"tol_feas": 1e-8, "tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8}  # its defaults
# tighter: [-2, 2] uniform k = 32 at 1e-6, the start at 1e-8 has one atom at 0 where the optimum
# has two at ±0.10 (Newton fails from it), at 1e-10 the right 14 atoms
TIGHT_OPTS = {"tol_feas": 1e-10, "tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "max_iter": 400}


@dataclass(frozen=True)
class Point:
    """A KKT guess or a polished point: atoms (u units), weights, y (all k rows), which atoms
    are interior (double zeros of P), Newton's residual and step count, and the bits used."""

    atoms: list
    weights: list
    y: list
    interior: list[bool]
    residual: float = math.inf
    steps: int = 0
    prec: int = 0


def sqrt_upper(x: Fraction, bits: int) -> Fraction:
    """An exact rational ≥ sqrt(x) (x ≥ 0), within a relative 2^-bits of it: with t chosen so
    that x·4^t ≥ 4^bits, `N = ceil(x·4^t)` and `r = ceil(isqrt N)` give sqrt(x) ≤ r / 2^t."""
    if x < 0:
        raise ValueError("sqrt_upper needs x >= 0")
    if x == 0:
        return Fraction(0)
    lg = (x.numerator.bit_length() - x.denominator.bit_length()) // 2
    t = max(0, bits - lg + 2)
    num = x.numerator << (2 * t)
    N = -(-num // x.denominator)
    r = math.isqrt(N)
    if r * r < N:
        r += 1
    return Fraction(r, 2**t)


def outer_from_dual(y: list[Fraction], tau: Fraction, d: list[Fraction], c: list[Fraction],
                    eps: Fraction, bits: int = 256) -> Fraction:
    """`Σ y'_n d_n + sqrt(eps Σ y'_n²/c_n)` (the sqrt rounded up), y' = y with τ added to y_0:
    a proved upper bound of s·μ_q *if* `Σ y_n u^n - s u^q ≥ -τ` on [-1, 1] (module docstring)."""
    yp = [y[0] + tau, *y[1:]]
    lin = sum((a * b for a, b in zip(yp, d, strict=True)), Fraction(0))
    quad = sum((a * a / w for a, w in zip(yp, c, strict=True)), Fraction(0))
    return lin + sqrt_upper(eps * quad, bits)


LB_PREC = 128   # bits of the first try at the dual's lower bound (`dual_certificate`)


def dual_certificate(y: list[Fraction], d: list[Fraction], c: list[Fraction], eps: Fraction,
                     q: int, s: int, touch: list[Fraction], target: Fraction, prec: int = 256
                     ) -> tuple[Fraction, Fraction]:
    """(τ, outer) for any rational y: τ = max(0, -L) with L ≤ min_[-1,1] P rigorous
    (`_kkt.lower_bound`, Taylor forms in ball arithmetic), outer from `outer_from_dual`.

    L is first sought at LB_PREC bits (ball arithmetic is rigorous at any precision; a low one
    only widens the balls, and 128 bits are ~3× faster than 776 for arcsine k = 80, same L),
    and again at `prec` only if that L misses 1000·|target| (the accuracy the caller asks)."""
    P = _dual_poly("monomial", y, q, s)
    touch = sorted(set(touch))
    low = lower_bound(P, touch, target, prec=LB_PREC)
    if low < 1000 * target and max(256, prec) > LB_PREC:
        low = max(low, lower_bound(P, touch, target, prec=max(256, prec)))
    tau = max(Fraction(0), -low)
    return tau, outer_from_dual(y, tau, d, c, eps, bits=max(256, prec))


def exact_measure(atoms: list[Fraction], weights: list[Fraction], d: list[Fraction],
                  c: list[Fraction], eps: Fraction, q: int, s: int) -> Fraction | None:
    """s·μ_q of the measure Σ b_i δ_(x_i), exactly, if it is feasible (x_i ∈ [-1, 1], b_i ≥ 0,
    `Σ c_n (μ_n - d_n)² ≤ eps` in exact rationals), else None."""
    if any(abs(a) > 1 for a in atoms) or any(b < 0 for b in weights):
        return None
    qa = [_q(a) for a in atoms]
    pw = [_q(b) for b in weights]
    k = len(d)
    lhs = fmpq(0)
    value = None
    for n in range(max(k, q + 1)):
        m = sum(pw, fmpq(0))
        if n < k:
            lhs += _q(c[n]) * (m - _q(d[n])) ** 2
        if n == q:
            value = m
        pw = [v * a for v, a in zip(pw, qa, strict=True)]
    if lhs > _q(eps) or value is None:
        return None
    return s * Fraction(int(value.p), int(value.q))


def grid_socp(d: list[Fraction], c: list[Fraction], eps: float, q: int, s: int,
              extra: np.ndarray | None = None, max_rounds: int = GRID_ROUNDS,
              opts: dict | None = None) -> tuple[Point | None, str]:
    """The float start: max s·μ_q over weights x ≥ 0 on a grid of [-1, 1], Clarabel SOCP.

    Variables: x, the Chebyshev moments τ = T x (n < k) and the scaled residual ρ_n, with rows
    `S τ - sqrt(eps) ρ = d` (S: monomials in Chebyshev polynomials, entries ≤ 1; dual: y) and
    `‖sqrt(c) ∘ ρ‖ ≤ 1`. The grid is refined by exchange at the float dual polynomial's
    minima. The structure is read off as in `_kkt.structure_from_lp` (Chebyshev form of P)."""
    import cvxpy as cp
    k = len(d)
    S = np.array([[float(v) for v in row[:k]] for row in mono_to_cheb(k - 1)])
    dn = np.array([float(v) for v in d])
    sc = np.sqrt(np.array([float(v) for v in c]))
    se = math.sqrt(eps)
    u = np.cos(np.pi * np.arange(GRID + 1) / GRID)
    if extra is not None and extra.size:
        u = np.concatenate([u, np.clip(extra, -1, 1)])
    u = np.unique(u)
    last = None
    why = "grid SOCP not solved"
    for _ in range(max_rounds):
        T = npcheb.chebvander(u, k - 1).T
        x = cp.Variable(u.size, nonneg=True)
        tau = cp.Variable(k)
        r = cp.Variable(k)
        rows = S @ tau - se * r == dn
        mom = T @ x == tau
        prob = cp.Problem(cp.Maximize(s * (u**q) @ x), [mom, rows, cp.SOC(1.0, cp.multiply(sc, r))])

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver="CLARABEL", **(opts or CLARABEL_OPTS))
        except cp.error.SolverError as exc:
            why = f"grid SOCP: {exc}"
            break
        if prob.status not in ("optimal", "optimal_inaccurate") or x.value is None:
            why = f"grid SOCP: {prob.status}"
            break
        xv = np.maximum(x.value, 0.0)
        # P = Σ ν_n T_n - s u^q with ν = Sᵀ y (the Chebyshev form is the well-conditioned one);
        # cvxpy's sign convention for equality duals is fixed by P ≈ 0 on the support
        nu = np.asarray(mom.dual_value, dtype=float)
        y = np.asarray(rows.dual_value, dtype=float)
        supp = xv > 1e-9 * xv.max()
        if np.median(np.abs(npcheb.chebval(u[supp], nu) - s * u[supp]**q)) > np.median(
                np.abs(npcheb.chebval(u[supp], -nu) - s * u[supp]**q)):
            nu, y = -nu, -y
        minima, est = _float_minima("chebyshev", nu, q, s)

        last = (xv, u, nu, y, minima)
        if est >= -1e-13:
            break
        # only the minima and a few neighbours: an interior-point solution spreads weight over
        # every grid point near an atom, and refining around all of them swells the grid
        pts = minima
        h = 2.0 ** -np.arange(10, 34, 6)
        near = np.concatenate([pts, (pts[:, None] + np.concatenate([h, -h])[None, :]).ravel()])
        u = np.unique(np.concatenate([u, np.clip(near, -1, 1)]))
    if last is None:
        return None, why
    xv, u, nu, y, minima = last
    st = structure_from_lp(xv, u, nu, minima, q, s, 1e-300, "chebyshev")
    if st is None:
        return None, "no structure in the grid SOCP solution"
    return Point(list(st.atoms), list(st.weights), [float(v) for v in y], list(st.interior)), "ok"


def _system(z: list[arb], na: int, inn: list[int], d: list[arb], ic: list[arb], se: arb,
            q: int, s: int, k: int, jac: bool) -> tuple[list[arb], list[list[arb]] | None]:
    """Residual F(z) (and Jacobian) of the KKT equations (module docstring); z = (interior
    atoms, weights, y (k), then every atom's starting position, the end atoms fixed there).
    ic = 1/c_n, se = sqrt(eps)."""
    nI = len(inn)
    atoms = list(z[nI + na + k:])
    for j, i in enumerate(inn):
        atoms[i] = z[j]
    weights = z[nI:nI + na]
    y = z[nI + na:nI + na + k]
    sq = arb(s)
    ev = [_rows_at(x, k, q, "monomial") for x in atoms]
    yc = [y[n] * ic[n] for n in range(k)]
    N = sum((y[n] * yc[n] for n in range(k)), arb(0)).sqrt()
    F: list[arb] = []
    for n in range(k):
        F.append(sum((weights[i] * ev[i][0][n] for i in range(na)), arb(0)) - d[n] - se * yc[n] / N)
    for i in range(na):
        F.append(sum((y[n] * ev[i][0][n] for n in range(k)), arb(0)) - sq * ev[i][3][0])
    dP = {}
    for i in inn:
        dP[i] = sum((y[n] * ev[i][1][n] for n in range(1, k)), arb(0)) - sq * ev[i][3][1]
        F.append(dP[i])
    if not jac:
        return F, None
    ncol = nI + na + k
    J = [[arb(0)] * ncol for _ in range(len(F))]
    N3 = N * N * N
    for n in range(k):       # primal rows: ∂/∂x_i (interior), ∂/∂b_i, ∂/∂y_m of -sqrt(eps)·yc_n/N
        for j, i in enumerate(inn):
            J[n][j] = weights[i] * ev[i][1][n]
        for i in range(na):
            J[n][nI + i] = ev[i][0][n]
        for m in range(k):
            g = (yc[n] * yc[m]) / N3
            if m == n:
                g = g - ic[n] / N
            J[n][nI + na + m] = se * g
    r = k
    for i in range(na):      # P(x_i) = 0
        if i in dP:
            J[r][inn.index(i)] = dP[i]
        for n in range(k):
            J[r][nI + na + n] = ev[i][0][n]
        r += 1
    for j, i in enumerate(inn):  # P'(x_i) = 0
        J[r][j] = sum((y[n] * ev[i][2][n] for n in range(2, k)), arb(0)) - sq * ev[i][3][2]
        for n in range(1, k):
            J[r][nI + na + n] = ev[i][1][n]
        r += 1
    return F, J


TWO_STAGE = 640      # bits from which `polish` runs a first stage at half of them
STALL_STEPS = 12     # Newton steps after which a run must have gained STALL_FALL
STALL_FALL = 1e-8
STALL_RUN = 3        # consecutive steps that must gain 2× together


class _Stalled(Exception):
    """A Newton run that stopped gaining (`polish`)."""


def polish(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int, st: Point,
           prec: int, lm: bool = True) -> Point | None:
    """Newton on the KKT equations (`_polish_at`), at half the bits first where `prec` is
    large (≥ TWO_STAGE), then at `prec` from there: Newton's steps double the digits, so the
    full precision is only needed for the last one or two (measured: arcsine k = 80 at 1e-12,
    776 bits, 8 steps 1.5 s → 7 steps at 388 + 1 at 776, 0.9 s). Not below TWO_STAGE: at 256
    of 594 bits ([-2, 2] uniform k = 40) the damping of the minimum-norm step is above the
    Jacobian's small singular values and the steps gain only linearly. Where the first stage
    does not converge, the whole run is at `prec`."""
    if prec >= TWO_STAGE:
        first = _polish_at(d, c, eps, q, s, st, prec // 2, lm)
        if first is not None:
            out = _polish_at(d, c, eps, q, s, first, prec, lm)
            if out is not None:
                return Point(out.atoms, out.weights, out.y, out.interior, out.residual,
                             first.steps + out.steps, prec)
    return _polish_at(d, c, eps, q, s, st, prec, lm)


def _polish_at(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int, st: Point,
               prec: int, lm: bool = True) -> Point | None:
    """Newton on the KKT equations at `prec` bits (`_kkt.newton`: minimum-norm Gauss–Newton
    steps, Levenberg–Marquardt where they do not descend). None if it does not converge, or
    stalls: STALL_RUN steps gaining less than 2× together, or the residual not below STALL_FALL
    of its start after STALL_STEPS steps (measured: the
    wrong starts of arcsine k = 80 cost 11–17 s of Levenberg–Marquardt steps; the right ones
    converge in 5–10 steps). Stopping early loses no rigor: the next start is tried."""
    k = len(d)
    with flint.ctx.workprec(prec):
        def _a(v: object) -> arb:
            return v if isinstance(v, arb) else arb(v)
        inn = [i for i, f in enumerate(st.interior) if f]
        na, nI = len(st.atoms), len(inn)
        da = [_arb(v) for v in d]
        ic = [1 / _arb(v) for v in c]
        se = _arb(eps).sqrt()
        z = ([_a(st.atoms[i]) for i in inn] + [_a(b) for b in st.weights]
             + [_a(v) for v in st.y] + [_a(x) for x in st.atoms])
        scale = max(1.0, max(abs(float(v)) for v in d))
        tol = 2.0 ** (-(prec - 64)) * scale
        ncol = nI + na + k
        seen: list[float] = []

        def system(v: list[arb], jac: bool) -> tuple[list[arb], list[list[arb]] | None]:
            F, J = _system(v, na, inn, da, ic, se, q, s, k, jac)
            if jac:
                # one call per accepted iterate: a run whose last STALL_RUN steps gained less
                # than 2× together, or that has not fallen STALL_FALL-fold in STALL_STEPS
                # steps, is stalled on a wrong structure (Newton's own steps gain digits
                # quadratically); stop it rather than spend the rest of NEWTON_STEPS
                seen.append(_norm(F))
                if (len(seen) > STALL_RUN and seen[-1] > 0.5 * seen[-1 - STALL_RUN]) or (
                        len(seen) > STALL_STEPS and seen[-1] > STALL_FALL * seen[0]):
                    raise _Stalled
            return F, J

        def plain(v: list[arb], jac: bool) -> tuple[list[arb], list[list[arb]] | None]:
            return _system(v, na, inn, da, ic, se, q, s, k, jac)

        # full steps first (`_watchdog`), then `_kkt.newton` from the best of them
        z, res, step = _watchdog(z, ncol, plain, tol, prec)
        if res > tol and not lm:
            return None   # a continuation step: a shorter one is cheaper than LM steps
        if res > tol:
            try:
                out = newton(z, ncol, system, tol, NEWTON_STEPS, prec)
            except _Stalled:
                out = None
            if out is None:
                return None
            z, res, more = out
            step += more
        atoms = list(z[nI + na + k:])
        for j, i in enumerate(inn):
            atoms[i] = z[j]
        return Point([a.mid() for a in atoms], [b.mid() for b in z[nI:nI + na]],
                     [v.mid() for v in z[nI + na:nI + na + k]], list(st.interior), res, step,
                     prec)


WATCH_STEPS = 12    # full Gauss–Newton steps `_watchdog` takes at most
WATCH_GROW = 1e8    # ... while the residual stays below this many times the best so far
WATCH_IDLE = 3      # ... and the best is at most this many steps old


def _watchdog(z: list[arb], ncol: int,
              system: Callable[[list[arb], bool], tuple[list[arb], list[list[arb]] | None]],
              tol: float, prec: int) -> tuple[list[arb], float, int]:
    """Full minimum-norm Gauss–Newton steps (`_kkt._min_norm_step`), each taken even where it
    raises ‖F‖₂ (a watchdog: up to WATCH_GROW above the best, WATCH_IDLE steps without a new
    best). (best iterate, its residual, steps). `_kkt.newton` takes a step only where ‖F‖₂
    falls and otherwise crawls by Levenberg–Marquardt; on these systems the full step often
    raises ‖F‖₂ once and then converges quadratically (measured: [-2, 2] uniform k = 40, the
    point at weights capped at 4^22 polished at 4^24: residual 8.9e-7 → 7.0e-7 → 6.3e-7 →
    2.1e-9 → … → 1e-134 by full steps; monotone steps stall at ~1e-8; k = 36, an atom added
    where P dips: 3.5e-11 → 2.7e-7 → 2.0e-10 → 1.4e-17 → … → 0). A step that diverges costs
    only itself: the best iterate is kept."""
    F, J = system(z, True)
    res = _norm(F)
    best, best_res, idle, steps = z, res, 0, 0
    while steps < WATCH_STEPS:
        if not math.isfinite(res) or res <= tol:
            break
        steps += 1
        Jm = arb_mat(J)
        trial = _min_norm_step(z, F, Jm, Jm.transpose(), ncol, prec)
        if trial is None:
            break
        F, J = system(trial, True)
        r = _norm(F)
        if not math.isfinite(r) or r > WATCH_GROW * best_res:
            break
        z, res = trial, r
        if r < best_res:
            best, best_res, idle = z, r, 0
        else:
            idle += 1
            if idle >= WATCH_IDLE:
                break
    return best, best_res, steps


def _repair(p: Point, d: list[Fraction]) -> tuple[str | None, Point | None]:
    """Whether a polished point has the optimum's structure (atoms in [-1, 1], weights ≥ 0), and
    if not, why and a repaired guess: an interior atom past an end becomes that end's atom, an
    atom with a negative weight is dropped (None if nothing is left)."""
    xs = [float(a) for a in p.atoms]
    out = [i for i, x in enumerate(xs) if abs(x) > 1]
    if out:
        atoms = list(p.atoms)
        interior = list(p.interior)
        for i in out:
            atoms[i] = arb(1 if xs[i] > 0 else -1)
            interior[i] = False
        return "an atom left [-1, 1]", Point(atoms, p.weights, p.y, interior, p.residual, p.steps,
                                             p.prec)
    neg = negative_weights(p.weights, d[0])
    if neg:
        keep = [i for i in range(len(xs)) if i not in neg]
        if not keep:
            return "every weight turned negative", None
        return "a weight turned negative", Point(
            [p.atoms[i] for i in keep], [p.weights[i] for i in keep], p.y,
            [p.interior[i] for i in keep], p.residual, p.steps, p.prec)
    return None, None


def _add_touching_point(p: Point, q: int, s: int) -> Point | None:
    """`p` plus atoms (weight 0) at the local minima of its dual polynomial below half its
    least value (float search): all of them, so mirror dips of symmetric data come in pairs."""
    y = np.array([float(v) for v in p.y])
    minima, _ = _float_minima("monomial", y, q, s)
    pts = np.concatenate([minima, [-1.0, 1.0]])
    vals = np.array([_float_P(y, q, s, float(t)) for t in pts])
    low = float(vals.min())
    if low >= 0:
        return None
    new = [float(t) for t, v in zip(pts, vals, strict=True) if v <= 0.5 * low
           and all(abs(float(t) - float(a)) > 1e-9 for a in p.atoms)]
    if not new:
        return None
    return Point([*p.atoms, *[arb(t) for t in new]], [*p.weights, *[arb(0)] * len(new)], p.y,
                 [*p.interior, *[t not in (-1.0, 1.0) for t in new]], p.residual, p.steps,
                 p.prec)


def _polish_repaired(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
                     st: Point, prec: int, lm: bool = True) -> tuple[Point | None, str]:
    """`polish` with the repairs of `_repair` until the point has the optimum's structure."""
    cur = st
    total = 0
    for _ in range(REPAIRS + 1):
        p = polish(d, c, eps, q, s, cur, prec, lm)
        if p is None:
            return None, "Newton did not converge"
        total += p.steps
        why, fixed = _repair(p, d)
        if why is None:
            return Point(p.atoms, p.weights, p.y, p.interior, p.residual, total, p.prec), ""
        if fixed is None:
            return None, f"structure lost: {why}"
        cur = fixed
    return None, f"structure not repaired: {why}"


LIGHT = (1e-7, 1e-5, 1e-3)   # relative weights below which a start's atoms are tried as noise
NEAR_END = 1e-2              # interior atoms this close to ±1 are also tried as end atoms


def _variants(p: Point) -> list[Point]:
    """The start, then the start without its lightest atoms (relative weight below each of
    LIGHT in turn), then all that with the atoms near ±1 moved to the ends: an interior-point
    solution leaves weights ~1e-8 at near-minima of P that are not zeros of the optimum's P
    (an atom there is an equation Newton cannot meet), and an end atom whose P(±1) it only
    resolves to ~1e-7 is read as an interior one just inside."""
    merged: dict[float, list] = {}
    for a, b, f in zip(p.atoms, p.weights, p.interior, strict=True):
        end = abs(a) > 1 - NEAR_END
        key = float(np.sign(a)) if end else a
        prev = merged.get(key, [0.0, False])
        merged[key] = [prev[0] + b, prev[1] or (f and not end)]
    snapped = Point(list(merged), [v[0] for v in merged.values()], p.y,
                    [v[1] for v in merged.values()])
    out: list[Point] = []
    for base in (p, snapped) if snapped.interior != p.interior else (p,):
        out.append(base)
        total = sum(base.weights)
        for t in LIGHT:
            keep = [i for i, b in enumerate(base.weights) if b > t * total]
            if keep and len(keep) < len(out[-1].atoms):
                out.append(Point([base.atoms[i] for i in keep], [base.weights[i] for i in keep],
                                 base.y, [base.interior[i] for i in keep]))
    return out


SCREEN_STEPS = 6    # float Gauss–Newton steps per start in `_ranked` (the right start of
                    # arcsine k = 80 is at float resolution in 4–5)


def _float_residual(d: np.ndarray, ic: np.ndarray, se: float, q: int, s: int, p: Point,
                    floor: float) -> float:
    """‖F‖₂ of the KKT equations (as `_system`) in float after up to SCREEN_STEPS damped
    Newton steps (LU, least squares where J is singular; step halved until ‖F‖ falls) from
    `p`: a cheap guess
    of whether the multiprecision Newton converges from it (a wrong structure stalls at a
    residual far above float resolution, measured ~1e-8 for arcsine k = 80). Stops at
    `floor` (float resolution: no start is told apart below it)."""
    k = d.size
    inn = np.array([i for i, f in enumerate(p.interior) if f], dtype=int)
    x0 = np.array([float(a) for a in p.atoms])
    z = np.concatenate([x0[inn], [float(b) for b in p.weights], [float(v) for v in p.y]])
    nI, na = inn.size, x0.size
    n = np.arange(k)

    def F(z: np.ndarray, jac: bool) -> tuple[np.ndarray, np.ndarray | None]:
        x = x0.copy()
        x[inn] = z[:nI]
        b, y = z[nI:nI + na], z[nI + na:]
        with np.errstate(all="ignore"):
            V = x[:, None] ** n[None, :]
            V1 = n[None, :] * np.where(n > 0, x[:, None] ** np.maximum(n - 1, 0)[None, :], 0.0)
            V2 = n * (n - 1) * np.where(n > 1, x[:, None] ** np.maximum(n - 2, 0)[None, :], 0.0)
        yc = y * ic
        N = math.sqrt(max(float(y @ yc), 1e-300))
        xi = x[inn]
        Fv = np.concatenate([V.T @ b - d - se * yc / N, V @ y - s * x**q,
                             V1[inn] @ y - s * q * xi ** (q - 1)])
        if not jac:
            return Fv, None
        J = np.zeros((Fv.size, z.size))
        J[:k, :nI] = (b[inn][:, None] * V1[inn]).T
        J[:k, nI:nI + na] = V.T
        J[:k, nI + na:] = se * (np.outer(yc, yc) / N**3 - np.diag(ic) / N)
        J[k + inn, np.arange(nI)] = V1[inn] @ y - s * q * xi ** (q - 1)
        J[k:k + na, nI + na:] = V
        J[k + na:, :nI] = np.diag(V2[inn] @ y - s * q * (q - 1) * xi ** (q - 2))
        J[k + na:, nI + na:] = V1[inn]
        return Fv, J

    Fv, J = F(z, True)
    res = float(np.linalg.norm(Fv))
    for _ in range(SCREEN_STEPS):
        if not math.isfinite(res) or res <= floor:
            break
        # J is square: LU (~20× cheaper than least squares here); least squares (QR with
        # column pivoting) where J is singular in float (rank-deficient: symmetric data)
        try:
            step = np.linalg.solve(J, -Fv)
        except np.linalg.LinAlgError:
            step = np.full(z.size, np.nan)
        if not np.all(np.isfinite(step)):
            step = scipy.linalg.lstsq(J, -Fv, lapack_driver="gelsy", check_finite=False)[0]
        t = 1.0
        for _ in range(20):
            Ft, _ = F(z + t * step, False)
            with np.errstate(all="ignore"):
                rt = float(np.linalg.norm(Ft))
            if math.isfinite(rt) and rt < res:
                break
            t /= 2
        else:
            break
        z = z + t * step
        Fv, J = F(z, True)
        with np.errstate(all="ignore"):
            res = float(np.linalg.norm(Fv))
    return res if math.isfinite(res) else math.inf


def _ranked(starts: list[Point], d: list[Fraction], c: list[Fraction], eps: Fraction, q: int,
            s: int) -> list[Point]:
    """`starts` ordered by their float residual after `_float_residual`'s steps (decades, ties
    in the given order): which start converges is only a guess, and a failing multiprecision
    Newton costs seconds at k ≈ 80 (measured: arcsine k = 80, the start with the interior-point
    solution's light atoms near ±1 stalls; without them it converges), a float screen
    milliseconds. The order changes no result, only which start is tried first."""
    if len(starts) < 2:
        return starts
    dn = np.array([float(v) for v in d])
    ic = np.array([1 / float(v) for v in c])
    se = math.sqrt(float(eps))
    scale = max(1.0, float(np.abs(dn).max()))
    key = []
    for p in starts:
        try:
            r = _float_residual(dn, ic, se, q, s, p, 1e-12 * scale)
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            r = math.inf
        key.append(math.floor(math.log10(max(r, 1e-12 * scale))) if math.isfinite(r) else 999)
    order = sorted(range(len(starts)), key=lambda i: (key[i], i))
    return [starts[i] for i in order]


def _polish_exchanged(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
                      st: Point, prec: int, lm: bool = True) -> tuple[Point | None, str]:
    """`_polish_repaired`, then exchange steps while the float dual polynomial dips below 0
    (atoms of weight 0 added at its deep minima): along a continuation atoms appear where P
    first touches 0. A dip that the exchange cannot remove is left to the certificate's τ."""
    p, why = _polish_repaired(d, c, eps, q, s, st, prec, lm)
    for _ in range(EXCHANGES if p is not None else 0):
        y = np.array([float(v) for v in p.y])
        _, est = _float_minima("monomial", y, q, s)
        if est >= -1e-13 * max(1.0, float(np.abs(y).sum())):
            break
        grown = _add_touching_point(p, q, s)
        nxt = None if grown is None else _polish_repaired(d, c, eps, q, s, grown, prec, lm)[0]
        if nxt is None:
            break
        p = Point(nxt.atoms, nxt.weights, nxt.y, nxt.interior, nxt.residual,
                  p.steps + nxt.steps, nxt.prec)
    return p, why


def _continue(d: list[Fraction], c: list[Fraction], q: int, s: int, st: Point,
              steps: list[Fraction], prec: int) -> tuple[Point | None, str]:
    """Polish `st` at each eps of `steps` in turn (the last one the target), each from the
    previous point, with exchange steps (atoms appear along the way where P first touches 0).
    The last point (its `steps` the total Newton count), or None and why not."""
    cur, total = st, 0
    for j, ej in enumerate(steps):
        nxt, why = _polish_exchanged(d, c, ej, q, s, cur, prec)
        if nxt is None:
            return None, f"{why} (continuation step {j + 1} of {len(steps)}, eps {float(ej):.1e})"
        cur = nxt
        total += nxt.steps
    return Point(cur.atoms, cur.weights, cur.y, cur.interior, cur.residual, total, cur.prec), ""


def certify_point(p: Point, d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
                  target: Fraction) -> Certified:
    """Exact inner and outer bounds from a polished point (module docstring)."""
    atoms = [max(Fraction(-1), min(Fraction(1), _exact(a))) for a in p.atoms]
    weights = [max(Fraction(0), _exact(b)) for b in p.weights]
    inner = exact_measure(atoms, weights, d, c, eps, q, s)
    y = [_exact(v) for v in p.y]
    tau, outer = dual_certificate(y, d, c, eps, q, s, atoms, target, p.prec)
    ok = inner is not None
    status = "ok" if ok else "polished measure not exactly feasible"
    if ok and outer < inner:
        # impossible for a rigorous pair: kept as a loud guard, never as a bound
        return Certified(None, None, None, [], [], "outer < inner (bug)", p.steps, p.prec)
    return Certified(inner, outer, tau, atoms if ok else [], weights if ok else [], status,
                     p.steps, p.prec)


CAP_RADIUS = 1e-8    # the capped route starts with every radius ≥ this (relative to the data:
                     # two digits above the tight SOCP's tolerance; at 1e-9, [-2, 2] k = 36
                     # lower end, no start polished and the cap was lowered 16×, 2.3 s lost)
CAP_LOWER = 3        # times its first cap is lowered 16× where no start polishes there
CAP_STEP = 4.0       # the first factor between caps (squared after two successes in a row,
CAP_MAX_STEP = 256.0  # rooted after a failure, within [CAP_MIN_STEP, CAP_MAX_STEP])
CAP_MIN_STEP = 1.05


def _dips(p: Point, q: int, s: int) -> bool:
    """Whether the float dual polynomial of `p` dips below 0 (below -1e-13·Σ|y_n|, its float
    resolution) somewhere on [-1, 1]."""
    y = np.array([float(v) for v in p.y])
    _, est = _float_minima("monomial", y, q, s)
    return est < -1e-13 * max(1.0, float(np.abs(y).sum()))


def _split_concave(p: Point, q: int, s: int) -> Point | None:
    """`p` with each interior atom x where P''(x) < 0 (clearly: below 2^(-prec/2) of
    Σ n²|y_n|) split into two at x ± δ, half the weight each, δ = sqrt(-6 P''(x)/P⁗(x))
    (the minima of P's quartic Taylor model; 1e-3 where P⁗ ≤ 0), or None if there is none.

    There P(x) = P'(x) = 0 but P < 0 on both sides: a KKT point of the equations, not an
    optimum. Along a continuation this is how a double root of P becomes two (P''(x) passes
    through 0, a fourfold root): measured on [-2, 2] uniform k = 36, lower end, at 1e-6 with
    the weights capped at 4^m: P''(0) = -5e-9 at m = 20.12, P dipping to -1e-12 at ±0.03
    (below `_dips`' resolution), and Newton fails beyond unless the atom at 0 is split."""
    if not any(p.interior):
        return None
    y = [_exact(v) for v in p.y]
    P = _dual_poly("monomial", y, q, s)
    P2 = P.derivative().derivative()
    P4 = P2.derivative().derivative()
    noise = 2.0 ** (-(max(p.prec, 128) // 2)) * float(sum(n * n * abs(v) for n, v in enumerate(y)))
    xs = [float(a) for a in p.atoms]
    atoms, weights, interior = [], [], []
    for a, b, f in zip(p.atoms, p.weights, p.interior, strict=True):
        t = _exact(a)
        c2 = float(P2(_q(t))) if f else 0.0
        if c2 >= -noise:
            atoms.append(a)
            weights.append(b)
            interior.append(f)
            continue
        c4 = float(P4(_q(t)))
        delta = math.sqrt(-6 * c2 / c4) if c4 > 0 else 1e-3
        # the two atoms stay between the neighbours
        gaps = [abs(float(t) - x) for x in xs if x != float(t)]
        delta = min(delta, 0.4 * min(gaps)) if gaps else delta
        for sign in (-1, 1):
            atoms.append(arb(float(t) + sign * delta))
            weights.append(b / 2)
            interior.append(True)
    if len(atoms) == len(p.atoms):
        return None
    order = sorted(range(len(atoms)), key=lambda j: float(atoms[j]))
    return Point([atoms[j] for j in order], [weights[j] for j in order], p.y,
                 [interior[j] for j in order], p.residual, p.steps, p.prec)


def _polish_strict(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
                   st: Point, prec: int, lm: bool = True) -> tuple[Point | None, str]:
    """`_polish_repaired`, then exchange steps until P ≥ 0 (to float resolution; atoms split
    where P is concave at them, `_split_concave`, else added where P dips); None where they
    do not get there (unlike `_polish_exchanged`, which keeps a point whose P dips: a
    continuation carried on from one follows a branch that is no optimum)."""
    p, why = _polish_repaired(d, c, eps, q, s, st, prec, lm)
    for _ in range(EXCHANGES + 1):
        if p is None:
            return None, why
        split = _split_concave(p, q, s)
        if not _dips(p, q, s) and split is None:
            return p, ""
        grown = split or _add_touching_point(p, q, s)
        if grown is None:
            return None, "the dual dips where the structure has an atom"
        nxt, why = _polish_repaired(d, c, eps, q, s, grown, prec, lm)
        p = None if nxt is None else Point(nxt.atoms, nxt.weights, nxt.y, nxt.interior,
                                           nxt.residual, p.steps + nxt.steps, nxt.prec)
    return None, "the dual still dips after the exchange steps"


def _capped_route(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
                  extra: np.ndarray | None, prec: int, deadline: float
                  ) -> tuple[Point | None, str]:
    """Continuation in the weights: c_n capped at C (the rows of radius below sqrt(eps/C)
    raised to it), from a C where the float SOCP resolves every row (radius CAP_RADIUS of the
    data) up to max c_n, each point polished from the last, atoms added where the dual dips
    (`_polish_strict`), the step in C shortened where a polish fails.

    Why: on [-2, 2] (c_n = 4^n) the rows of high n are near-equalities the float SOCP does
    not resolve beyond k ≈ 32; the optimum gains atoms as they tighten (measured, uniform
    k = 36 at 1e-6: 14 atoms at C = 4^19.8; P dips at 0 from C ≈ 4^19.9, an atom appears
    there), which a continuation in C follows and a start at the full weights misses."""
    scale = max(abs(float(v)) for v in d) or 1.0
    cmax = max(c)
    cap = max(min(c), Fraction(float(eps) / (CAP_RADIUS * scale) ** 2))
    if cap >= cmax:
        return None, "capped route: no row to cap"
    shrunk = eps * (1 - SHRINK)
    cur: Point | None = None
    why = "capped route: no start"
    for _ in range(CAP_LOWER):
        cc = [min(v, cap) for v in c]
        start, why = grid_socp(d, cc, float(eps), q, s, extra, opts=TIGHT_OPTS)
        for guess in _ranked(_variants(start), d, cc, eps, q, s) if start is not None else []:
            if time.perf_counter() > deadline:
                return None, f"capped route: time (last: {why})"
            cur, why = _polish_strict(d, cc, shrunk, q, s, guess, prec)
            if cur is not None:
                break
        if cur is not None:
            break
        cap /= 16
    if cur is None:
        return None, f"capped route, start: {why}"
    step, failed = CAP_STEP, False
    prev: tuple[Point, float] | None = None
    while cap < cmax:
        if time.perf_counter() > deadline:
            return None, f"capped route: time at C = {float(cap):.2e} (last: {why})"
        nc = min(cmax, cap * Fraction(step))
        cc = [min(v, nc) for v in c]
        # the step from the secant through the last two points (same structure), in log C;
        # full Gauss-Newton steps only (a failing step is retried shorter, not by LM steps)
        guess = cur if prev is None else _secant(prev[0], prev[1], cur, math.log(float(cap)),
                                                 math.log(float(nc)))
        nxt, why = _polish_strict(d, cc, shrunk, q, s, guess, prec, lm=False)
        if nxt is None:
            step, failed = math.sqrt(step), True
            if step < CAP_MIN_STEP:
                return None, f"capped route stuck at C = {float(cap):.2e}: {why}"
            continue
        same = nxt.interior == cur.interior
        prev = (cur, math.log(float(cap))) if same else None
        cur = Point(nxt.atoms, nxt.weights, nxt.y, nxt.interior, nxt.residual,
                    cur.steps + nxt.steps, nxt.prec)
        cap = nc
        # longer steps only after two successes in a row (measured: squaring after every
        # success alternates a failing 16× with a succeeding 4× on [-2, 2] k = 40)
        step = step if failed else min(CAP_MAX_STEP, step * step)
        failed = False
    return cur, ""


def _secant(p0: Point, t0: float, p1: Point, t1: float, t2: float) -> Point:
    """`p1` moved along the secant from `p0` (atoms, weights, y, linear in t) to t2; `p1`
    itself where the two differ in structure."""
    if p0.interior != p1.interior or len(p0.atoms) != len(p1.atoms) or t1 == t0:
        return p1
    r = arb((t2 - t1) / (t1 - t0))
    with flint.ctx.workprec(p1.prec):
        def ext(a: list, b: list) -> list:
            return [v1 + (v1 - v0) * r for v0, v1 in zip(a, b, strict=True)]
        atoms = [x if not f else v for x, v, f in zip(p1.atoms, ext(p0.atoms, p1.atoms),
                                                     p1.interior, strict=True)]
        return Point(atoms, ext(p0.weights, p1.weights), ext(p0.y, p1.y), list(p1.interior),
                     p1.residual, p1.steps, p1.prec)


def certified_end_l2(d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int, *,
                     prec: int | None = None, extra: np.ndarray | None = None,
                     seconds: float = L2_BUDGET) -> Certified:
    """Certified inner and outer bounds of max s·μ_q subject to Σ_(n<k) c_n (μ_n - d_n)² ≤ eps
    (module docstring; s·μ_q units: m_q = s·ρ^q·value).

    `inner`: s·μ_q of an exactly verified feasible measure (`atoms`, `weights`); `outer`: an
    exact rational proved ≥ max s·μ_q; both None, with `status` saying why, when the path does
    not certify. `extra`: grid points (u units) for the float start, e.g. the data's atoms.
    `seconds`: past this budget no further starting variant is tried (no bound, never a wrong
    one)."""
    t0 = time.perf_counter()
    d = [Fraction(v) for v in d]
    c = [Fraction(v) for v in c]
    eps = Fraction(eps)
    if eps <= 0:
        raise ValueError("certified_end_l2 needs eps > 0")
    if any(v <= 0 for v in c) or len(c) != len(d):
        raise ValueError("certified_end_l2 needs one weight c_n > 0 per row")
    if s not in (1, -1):
        raise ValueError("s must be +1 or -1")
    radii = [Fraction(math.sqrt(float(eps) / float(v))) for v in c]
    prec = prec or default_prec(d, radii, q)
    shrunk = eps * (1 - SHRINK)
    scale = max(abs(float(v)) for v in d) or 1.0
    sig = math.sqrt(float(eps) / max(float(v) for v in c))
    target = -Fraction(sig) / 10**13
    rmin = min(float(v) for v in radii)
    lift = max(1.0, (RESOLVABLE * scale / rmin) ** 2)
    why, before = "no start", ""
    if lift > 1 and max(float(v) for v in radii) >= RESOLVABLE * scale:
        # some radii below float resolution, but not the largest: the SOCP's residuals are
        # scaled per row (‖sqrt(c)∘ρ‖ ≤ 1), so it still sees the ball, the rows of tiny radius
        # as the near-equalities they are, and its start is often right at eps itself
        # (measured: [-2, 2] uniform k = 20, 28 at 1e-6; the continuation below, from eps
        # raised 1e6-fold, meets changes of structure on the way down and fails there)
        start, why = grid_socp(d, c, float(eps), q, s, extra)
        for guess in _ranked(_variants(start), d, c, eps, q, s) if start is not None else []:
            if time.perf_counter() - t0 > seconds / 2:
                break   # leave the continuation its share of the budget
            # full Gauss–Newton steps only: the capped route below is the remedy for a wrong
            # start here, cheaper than LM steps from it (measured: 1.1–1.6 s per lower end)
            cur, why = _polish_exchanged(d, c, shrunk, q, s, guess, prec, lm=False)
            if cur is None:
                continue
            cert = _finish(cur, d, c, eps, q, s, target, prec)
            if cert.inner is not None and cert.tau is not None and cert.tau <= 1000 * abs(target):
                return _tagged(cert, " (SOCP start at eps)")
            why = f"SOCP start at eps: dual dips to {float(-cert.tau or 0):.1e}"
    if lift > 1 and max(float(v) for v in radii) >= RESOLVABLE * scale:
        cur, why = _capped_route(d, c, eps, q, s, extra, prec, t0 + seconds * 3 / 4)
        if cur is not None:
            cert = _finish(cur, d, c, eps, q, s, target, prec)
            if cert.inner is not None:
                return _tagged(cert, " (capped weights)")
            why = f"capped route: {cert.status}"
        before = f"{why}; then "
    # below float resolution: start where the float SOCP sees the ball, come down 10× a step;
    # a ball the grid cannot meet (boundary data off the grid) is raised further the same way
    steps = [shrunk * 10**j for j in range(math.ceil(math.log10(lift)), 0, -1)] + [shrunk]
    start, why = grid_socp(d, c, float(steps[0]), q, s, extra)
    for _ in range(LIFTS):
        if start is not None:
            break
        steps = [steps[0] * 100, steps[0] * 10, *steps]
        start, why = grid_socp(d, c, float(steps[0]), q, s, extra)
    if start is None:
        return Certified(None, None, None, [], [], before + why, 0, prec)
    cur = None
    for guess in _ranked(_variants(start), d, c, steps[0], q, s):
        if time.perf_counter() - t0 > seconds:
            return _spent(seconds, before + why, prec)
        cur, why = _continue(d, c, q, s, guess, steps, prec)
        if cur is not None:
            break
    if cur is None:
        return Certified(None, None, None, [], [], before + why, 0, prec)
    return _finish(cur, d, c, eps, q, s, target, prec)


def _tagged(c: Certified, note: str) -> Certified:
    return Certified(c.inner, c.outer, c.tau, c.atoms, c.weights, c.status + note, c.steps,
                     c.prec)


def _finish(cur: Point, d: list[Fraction], c: list[Fraction], eps: Fraction, q: int, s: int,
            target: Fraction, prec: int) -> Certified:
    """Certify a polished point (`certify_point`), with up to EXCHANGES exchange steps where
    its dual polynomial dips below 0 at a point the structure has no atom at."""
    shrunk = eps * (1 - SHRINK)
    total = cur.steps
    cert = certify_point(cur, d, c, eps, q, s, target)
    for _ in range(EXCHANGES):
        # P dips below 0 where the structure has no atom: add one there and polish again
        if cert.tau is None or cert.tau <= 1000 * abs(target):
            break
        grown = _add_touching_point(cur, q, s)
        nxt = None if grown is None else _polish_repaired(d, c, shrunk, q, s, grown, prec)[0]
        if nxt is None:
            break
        c2 = certify_point(nxt, d, c, eps, q, s, target)
        if c2.inner is None or c2.tau is None or c2.tau >= cert.tau:
            break
        cur, cert = nxt, c2
        total += nxt.steps
    return Certified(cert.inner, cert.outer, cert.tau, cert.atoms, cert.weights, cert.status,
                     total, prec)


def l2_interval(w: list[Fraction], q: int, rho: Fraction, eps: Fraction) -> dict[str, Certified]:
    """Both ends in the problem's scaled units, from m-units data (support [-ρ, ρ],
    `Σ_j (m_j - w_j)² ≤ eps`): d_n = w_n/ρ^n, c_n = ρ^(2n). Then `m_q ≤ ρ^q·upper.outer`,
    `m_q ≥ -ρ^q·lower.outer`, and `ρ^q·upper.inner`, `-ρ^q·lower.inner` are attained."""
    rho = Fraction(rho)
    d = [Fraction(v) / rho**n for n, v in enumerate(w)]
    c = [rho ** (2 * n) for n in range(len(w))]
    return {"upper": certified_end_l2(d, c, Fraction(eps), q, 1),
            "lower": certified_end_l2(d, c, Fraction(eps), q, -1)}
