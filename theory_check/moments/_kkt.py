"""Certified bounds on m_q at any length and tolerance: the extremal measure polished by Newton in
multiprecision (python-flint `arb`), then both bounds verified exactly.

Problem (u = x/ρ ∈ [-1, 1], scaled moments, box radii e_n > 0, as in `_lp`): maximize s·μ_q over
μ ≥ 0 on [-1, 1] with `|∫ u^n dμ - d_n| ≤ e_n` (n < k). At an optimum (LP duality over measures)
the dual polynomial `P(u) = Σ_n y_n u^n - s u^q` is ≥ 0 on [-1, 1], and

- every atom x_i of μ is a zero of P (a double zero if x_i is interior),
- every row with y_n ≠ 0 is active at the side of its sign: `m_n = d_n + sign(y_n) e_n`,

so `s·μ_q = Σ_n y_n m_n` (complementary slackness). Given the structure (which atoms are
interior, which rows active) from the float grid LP of `_lp`, these equations are solved by
Newton at `prec` bits: minimum-norm Gauss–Newton steps (quadratic also on a rank-deficient,
consistent system — a non-unique primal, e.g. symmetric data), Levenberg–Marquardt steps where
those do not lower the residual. A wrong guess is mended by active-set steps (`violations`:
drop an atom whose weight turns negative, release a row whose multiplier has the wrong sign,
hold a row that left its box) and by exchange steps (an atom added where P dips below 0). For
radii below float resolution the structure comes from the grid LP solved at high precision
(`_ipm`, an interior-point method; radii spanning decades, as a box on the moments of [-ρ, ρ]
gives: its support and active rows read by Tapia's indicator, the atoms at its dual
polynomial's minima, and for an even dual the atoms folded onto [0, 1]), or is carried down
from resolvable radii by continuation (a decade a step), or, for interior data, taken from
the e = 0 problem (rows as equalities, Chebyshev basis), whose point already sandwiches the
answer within Σ|y_n| e_n. On R (`whole_line`) the
measure is searched on [-1, 1] (the caller scales) and P certified on all of R.

Certificates (all exact rationals):
- inner: the polished measure of the problem with radii shrunk to (1 - η)e, atoms and weights
  rounded to rationals, every row checked exactly against the *unshrunk* radii — an explicit
  feasible measure, its s·μ_q a lower bound of the optimum;
- outer: the rounded dual y, and a rigorous `L ≤ min_[-1,1] P` (`lower_bound`: Taylor forms in
  ball arithmetic, quadratic near the touching points so that L is ~ the rounding error);
  weak duality gives `s·μ_q ≤ Σ y'_n d_n + Σ |y'_n| e_n` with `y'_0 = y_0 - min(L, 0)`.
The gap outer - inner is ≈ η·Σ|y_n|e_n + |L|: as small as the precision makes it.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np
from flint import arb, arb_mat, arb_poly, fmpq, fmpq_poly

from theory_check.moments._ipm import ipm_grid_solve
from theory_check.moments._lp import (
    _dual_poly,
    _f,
    _float_minima,
    _q,
    grid_solve,
)

SHRINK = Fraction(1, 2**50)   # η: the inner measure solves the problem with radii (1 - η)·e
NEWTON_STEPS = 40
GN_PAUSE = 4     # LM steps before the Gauss–Newton step is tried again after it failed
LM_TRIES = 24     # λ × 16 per failed try: past 16^24 the step is nil
MIN_PIECE = Fraction(1, 2**70)  # smallest piece of [-1, 1] that `lower_bound` subdivides
LB_FIRST = 256   # bits of the first try at the dual's lower bound (`certify`)


def _exact(v: arb) -> Fraction:
    """The midpoint of a ball as an exact rational."""
    man, exp = v.mid().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def _lower(v: arb) -> Fraction:
    """An exact rational ≤ every point of the ball (midpoint minus radius, rounded down)."""
    return _exact(v.mid()) - _exact(v.rad()) - Fraction(1, 2**1000)


def _arb(x: Fraction) -> arb:
    return arb(_q(x))


@dataclass(frozen=True)
class Structure:
    """A guess of the optimum: atoms (u units) with weights, the dual vector y (length k),
    which atoms are interior (double zeros of P), the active rows and the side each is at."""

    atoms: list[float]
    weights: list[float]
    y: list[float]
    interior: list[bool]
    active: list[int]
    signs: dict[int, int]


def structure_from_lp(x: np.ndarray, u: np.ndarray, y: np.ndarray, minima: np.ndarray, q: int,
                      s: int, yrel: float = 1e-8, basis: str = "monomial",
                      row_weight: np.ndarray | None = None) -> Structure | None:
    """Read a structure off a float grid-LP solution: the grid support clustered onto the dual
    polynomial's local minima (interior atoms) and the ends ±1 (boundary atoms); active rows
    where |y_n| w_n > yrel·max|y w| (w = `row_weight`, default 1; side: the sign of y_n). Rows
    the vertex holds at a side with a vanishing multiplier are left free: the weights are
    re-centred afterwards (`recentre`)."""
    k = y.size
    keep = x > 1e-14 * max(float(x.max()), 1e-300)
    pts, wts = u[keep], x[keep]
    if pts.size == 0:
        return None
    ysum = float(np.sum(np.abs(y))) + 1.0
    cand = sorted(set([float(t) for t in minima if -1 < t < 1] + [-1.0, 1.0]))
    cand_a = np.array(cand)
    owner = np.argmin(np.abs(pts[:, None] - cand_a[None, :]), axis=1)
    atoms, weights, interior = [], [], []
    for i, c in enumerate(cand):
        m = owner == i
        if not m.any():
            continue
        # an end owning grid mass is a boundary atom if the dual polynomial vanishes there (to
        # float accuracy); otherwise the mass belongs to an interior minimum the ends' rounding
        # hid, kept at its mass-weighted position
        is_end = c in (-1.0, 1.0) and abs(_float_P(y, q, s, c, basis)) <= 1e-7 * ysum
        atoms.append(c if is_end or c not in (-1.0, 1.0) else float(np.average(pts[m], weights=wts[m])))
        weights.append(float(wts[m].sum()))
        interior.append(not is_end)
    # grid mass at the level of the LP's tolerances is noise, not an atom (an atom there would
    # impose P(x) = 0 where the dual need not vanish)
    keep_i = [i for i, b in enumerate(weights) if b > 1e-10 * sum(weights)]
    atoms = [atoms[i] for i in keep_i]
    weights = [weights[i] for i in keep_i]
    interior = [interior[i] for i in keep_i]
    yw = np.abs(y) * (1.0 if row_weight is None else row_weight)
    ymax = float(np.max(yw)) if y.size else 0.0
    if ymax == 0:
        return None
    signs = {n: (1 if y[n] > 0 else -1) for n in range(k) if yw[n] > yrel * ymax}
    active = sorted(signs)
    return Structure(atoms, weights, [float(v) for v in y], interior, active, signs)


END_SHARE = 0.9   # a support run at ±1 is the boundary atom there if the end holds this share
TOUCH_PREC = 512  # bits for the touching points: P's coefficients cancel over ~2^q


def structure_from_runs(x: np.ndarray, u: np.ndarray, y: np.ndarray, q: int, s: int, yrel: float,
                        row_weight: np.ndarray | None = None,
                        y_arb: tuple[arb, ...] = (), floor: float = 0.0,
                        sides: tuple[int, ...] = ()) -> Structure | None:
    """Read a structure off an interior-point grid solution (`_ipm`, which zeroes the weights
    off the support): its support (weights > `floor` of the largest) split into runs of
    adjacent grid points, one atom per run — a boundary atom at ±1 if the end point holds
    END_SHARE of the run's mass, else an interior one at the dual polynomial's minimum in the
    run (bisection on P'; the run's mass-weighted position alone is a grid spacing off, outside
    Newton's reach at high degree). Active rows: `sides` where given (the solver's own), else
    as in `structure_from_lp`.

    Why not the float dual's local minima: at high degree P's monomial coefficients cancel, so
    float minima near ±1 are lost (measured: 18 of 22 interior atoms found on [-2, 2], k = 60),
    while the interior-point solution carries P at full precision."""
    order = np.argsort(u)
    uu, xx = u[order], x[order]
    top = float(xx.max()) if xx.size else 0.0
    if top <= 0:
        return None
    sup = np.where(xx > floor * top)[0]
    runs = np.split(sup, np.where(np.diff(sup) > 1)[0] + 1)
    with flint.ctx.workprec(TOUCH_PREC):
        # P at the solver's precision where it has it (at high degree P is ~2^-q on [-1, 1]
        # while its coefficients are ~1e4: float y locate no minimum there), else from the
        # float y taken exactly; either way evaluated in ball arithmetic
        ys = list(y_arb) if y_arb else [arb(float(v)) for v in y]
        Py = arb_poly(ys + [arb(0)] * max(0, q + 1 - len(ys)))
        Py -= arb_poly([0] * q + [s])
    atoms, weights, interior = [], [], []
    for r in runs:
        mass = float(xx[r].sum())
        end = next((i for i in (0, uu.size - 1) if i in r), None)
        if end is not None and xx[end] >= END_SHARE * mass:
            atoms.append(float(uu[end]))
            interior.append(False)
        elif float(xx[r].max()) >= END_SHARE * mass:
            # one point holds the run: the atom is there to O(its neighbours' share) of a grid
            # spacing (an atom of the data on the grid, its neighbours carrying O(e) mass to
            # meet rows of radius e; bisection between two support points then finds the
            # flat minimum of the grid dual between them, measured: ±1/2, k = 5, q = 50)
            atoms.append(float(np.average(uu[r], weights=xx[r])))
            interior.append(True)
        else:
            atoms.append(_touching(Py, float(np.average(uu[r], weights=xx[r])),
                                   float(uu[max(r[0] - 1, 0)]), float(uu[min(r[-1] + 1, uu.size - 1)])))
            interior.append(True)
        weights.append(mass)
    yw = np.abs(y) * (1.0 if row_weight is None else row_weight)
    ymax = float(np.max(yw)) if y.size else 0.0
    if ymax == 0:
        return None
    signs = {n: (1 if y[n] > 0 else -1) for n in range(y.size) if yw[n] > yrel * ymax}
    if sides:
        signs = {n: v for n, v in enumerate(sides) if v}
    return Structure(atoms, weights, [float(v) for v in y], interior, sorted(signs), signs)


def _touching(P: arb_poly, u0: float, a: float, b: float) -> float:
    """The local minimum of P in [min(a, b), max(a, b)]: the sign change of P' from - to +,
    by bisection (u0 if P' does not change sign there). Bisection, not Newton: between two
    grid points P can be nearly flat (the grid LP's dual only has to be ≥ 0 on the grid), and
    Newton from two mirrored starts then stopped at two different points."""
    lo, hi = min(a, b), max(a, b)
    with flint.ctx.workprec(TOUCH_PREC):
        d1 = P.derivative()    # at full precision: P's coefficients cancel

        def slope(t: float) -> float:
            return float(d1(arb(t)).mid())
        if not (slope(lo) < 0 < slope(hi)):
            return u0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if slope(mid) < 0:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)


def _float_P(y: np.ndarray, q: int, s: int, u: float, basis: str = "monomial") -> float:
    """The float dual polynomial Σ y_n φ_n(u) - s u^q at one point."""
    val = (np.polynomial.chebyshev.chebval(u, y) if basis == "chebyshev"
           else np.polynomial.polynomial.polyval(u, y))
    return float(val) - s * u**q


@dataclass(frozen=True)
class Polished:
    """A Newton-polished KKT point at `prec` bits (arb midpoints), with its residual."""

    atoms: list[arb]
    weights: list[arb]
    y: list[arb]          # length k (zeros off the active rows)
    interior: list[bool]
    active: list[int]
    signs: dict[int, int]
    residual: float
    steps: int
    prec: int


def _rows_at(x: arb, k: int, q: int, basis: str) -> tuple[list[arb], list[arb], list[arb], list[arb]]:
    """φ_n(x), φ_n'(x), φ_n''(x) for n < k (monomials u^n or Chebyshev T_n), and
    (x^q, q x^(q-1), q(q-1) x^(q-2)) for the objective."""
    if basis == "chebyshev":
        # T_(n+1) = 2x T_n - T_(n-1), and the same recurrence differentiated once and twice
        t, dt, ddt = [arb(1), x], [arb(0), arb(1)], [arb(0), arb(0)]
        for n in range(1, k - 1):
            t.append(2 * x * t[n] - t[n - 1])
            dt.append(2 * t[n] + 2 * x * dt[n] - dt[n - 1])
            ddt.append(4 * dt[n] + 2 * x * ddt[n] - ddt[n - 1])
        t, dt, ddt = t[:k], dt[:k], ddt[:k]
    else:
        pw = [arb(1)]
        for _ in range(k):
            pw.append(pw[-1] * x)
        t = pw[:k]
        dt = [arb(0)] + [n * pw[n - 1] for n in range(1, k)]
        ddt = [arb(0), arb(0)] + [n * (n - 1) * pw[n - 2] for n in range(2, k)]
        ddt = ddt[:k]
    xq2 = x ** (q - 2) if q >= 2 else arb(0)
    xq1 = xq2 * x if q >= 2 else (arb(1) if q == 1 else arb(0))
    obj = [xq1 * x if q >= 1 else arb(1), q * xq1 if q >= 1 else arb(0), q * (q - 1) * xq2]
    return t, dt, ddt, obj


def _system(z: list[arb], na: int, inn: list[int], A: list[int], rhs: list[arb], q: int, s: int,
            jac: bool, k: int, basis: str = "monomial"
            ) -> tuple[list[arb], list[list[arb]] | None]:
    """Residual F(z) (and Jacobian) of the complementarity equations; z = (interior atoms,
    weights, y on the active rows, then every atom's starting position). F: primal rows n ∈ A
    (`Σ_i b_i φ_n(x_i) = rhs_n`), P(x_i) = 0 (all atoms), P'(x_i) = 0 (interior atoms), with
    P = Σ_(n∈A) y_n φ_n - s u^q."""
    nI, nA = len(inn), len(A)
    atoms = list(z[nI + na + nA:])          # the boundary atoms ride at the end of z (fixed)
    for c, i in enumerate(inn):
        atoms[i] = z[c]
    weights = z[nI:nI + na]
    y = z[nI + na:nI + na + nA]
    sq = arb(s)
    ev = [_rows_at(x, k, q, basis) for x in atoms]
    F: list[arb] = []
    for r, n in enumerate(A):
        F.append(sum((weights[i] * ev[i][0][n] for i in range(na)), arb(0)) - rhs[r])
    for i in range(na):
        F.append(sum((y[c] * ev[i][0][n] for c, n in enumerate(A)), arb(0)) - sq * ev[i][3][0])
    dP = {}
    for i in inn:
        dP[i] = sum((y[c] * ev[i][1][n] for c, n in enumerate(A)), arb(0)) - sq * ev[i][3][1]
        F.append(dP[i])
    if not jac:
        return F, None
    ncol = nI + na + nA
    J = [[arb(0)] * ncol for _ in range(len(F))]
    # A weight that no active row sees (an atom at 0 when row 0 is free; its column is x^n,
    # n ∈ A, nearly null) is left to `recentre`: a step along such a column would be huge.
    unseen = {i for i in range(na) if A and basis == "monomial"
              and abs(float(atoms[i].mid())) ** min(A) < 1e-12}
    r = 0
    for n in A:                  # primal rows: ∂/∂x_i (interior), ∂/∂b_i
        for c, i in enumerate(inn):
            J[r][c] = weights[i] * ev[i][1][n]
        for i in range(na):
            J[r][nI + i] = arb(0) if i in unseen else ev[i][0][n]
        r += 1
    for i in range(na):          # P(x_i) = 0: ∂/∂x_i = P'(x_i) (interior), ∂/∂y_n
        if i in dP:
            J[r][inn.index(i)] = dP[i]
        for c, n in enumerate(A):
            J[r][nI + na + c] = ev[i][0][n]
        r += 1
    for c0, i in enumerate(inn):  # P'(x_i) = 0
        J[r][c0] = sum((y[c] * ev[i][2][n] for c, n in enumerate(A)), arb(0)) - sq * ev[i][3][2]
        for c, n in enumerate(A):
            J[r][nI + na + c] = ev[i][1][n]
        r += 1
    return F, J


def _norm(F: list[arb]) -> float:
    """‖F‖₂ (the quantity a Levenberg–Marquardt step decreases; a max-norm need not fall)."""
    v = [abs(float(f.mid())) for f in F]
    if not all(math.isfinite(x) and x < 1e150 for x in v):
        return math.inf   # diverged (and squares would overflow)
    return math.sqrt(sum(x * x for x in v))


def polish(d: list[Fraction], e: list[Fraction], q: int, s: int, st: Structure | Polished,
           prec: int, shrink: Fraction = Fraction(0), basis: str = "monomial",
           max_steps: int | None = None) -> Polished | None:
    """Newton on the complementarity equations (module docstring) at `prec` bits, radii
    (1 - shrink)·e. Unknowns: interior atoms, all weights, y on the active rows. A step is the
    minimum-norm Gauss–Newton step `Δ = -Jᵀ(JJᵀ + μI)⁻¹F` (μ at half the working precision),
    which converges quadratically on a rank-deficient but consistent system (a non-unique
    primal, e.g. symmetric data); where it does not lower the residual, `(JᵀJ + λ diag JᵀJ) Δ
    = -JᵀF` (Levenberg–Marquardt, λ grown until the residual falls). None if it does not
    converge in `max_steps` steps (default NEWTON_STEPS)."""
    k = len(d)
    fold = basis == "monomial" and q % 2 == 0 and bool(st.active) and \
        all(n % 2 == 0 for n in st.active)
    with flint.ctx.workprec(prec):
        def _a(v: object) -> arb:
            return v if isinstance(v, arb) else arb(v)
        if fold:
            # only even rows active and q even: P is even and the equations see an atom at u and
            # one at -u alike, so the atoms are folded onto [0, 1] (a pair ±u becomes one atom
            # at |u| with the pair's weight). The mirrored copies would make J rank-deficient,
            # and the folded system is half the size (measured on [-2, 2], k = 60: the unfolded
            # Newton diverged from the interior-point structure; folded, 7 steps).
            st = _folded(st)
        A, interior = list(st.active), list(st.interior)
        inn = [i for i, f in enumerate(interior) if f]
        na, nI, nA = len(st.atoms), len(inn), len(A)
        rhs = [_arb(d[n] + st.signs[n] * (1 - shrink) * e[n]) for n in A]
        z = ([_a(st.atoms[i]) for i in inn] + [_a(b) for b in st.weights]
             + [_a(st.y[n]) for n in A] + [_a(x) for x in st.atoms])
        scale = max(1.0, max(abs(float(v)) for v in d))
        tol = 2.0 ** (-(prec - 64)) * scale
        ncol = nI + na + nA
        out = newton(z, ncol, lambda v, jac: _system(v, na, inn, A, rhs, q, s, jac, k, basis),
                     tol, NEWTON_STEPS if max_steps is None else max_steps, prec)
        if out is None:
            return None
        z, res, step = out
        atoms = list(z[nI + na + nA:])
        for c, i in enumerate(inn):
            atoms[i] = z[c]
        weights = z[nI:nI + na]
        y = dict(zip(A, z[nI + na:nI + na + nA], strict=True))
        yfull = [y.get(n, arb(0)) for n in range(k)]
        if fold:
            atoms, weights, interior = _unfolded(atoms, weights, interior)
        return Polished([a.mid() for a in atoms], [b.mid() for b in weights],
                        [v.mid() for v in yfull], interior, A, dict(st.signs), res, step, prec)


FOLD_MERGE = 1e-5   # folded atoms closer than this are one atom (a mirrored pair: the two
                    # touching points of a float-symmetric start differ in the last digits;
                    # distinct atoms are ≳ 1/k² apart)


def _folded(st: Structure | Polished) -> Structure:
    """The structure on [0, 1] for an even P (`polish`): atoms at |u|, those within FOLD_MERGE
    of each other merged (weights added; boundary if either was)."""
    items = sorted(zip((abs(float(_mid(a))) for a in st.atoms), (float(_mid(b)) for b in st.weights),
                       st.interior, strict=True))
    atoms: list[float] = []
    weights: list[float] = []
    interior: list[bool] = []
    for a, b, f in items:
        if atoms and a - atoms[-1] <= FOLD_MERGE:
            atoms[-1] = (atoms[-1] * weights[-1] + a * b) / (weights[-1] + b)
            weights[-1] += b
            interior[-1] = interior[-1] and f
            continue
        atoms.append(a)
        weights.append(b)
        interior.append(f)
    y = [float(_mid(v)) for v in st.y]
    return Structure(atoms, weights, y, interior, list(st.active), dict(st.signs))


def _unfolded(atoms: list[arb], weights: list[arb], interior: list[bool]
              ) -> tuple[list[arb], list[arb], list[bool]]:
    """The symmetric measure of a folded one: an atom at u > 0 of weight b becomes ±u with
    b/2 each (same even moments, odd moments 0); an atom at 0 stays."""
    oa, ow, oi = [], [], []
    for a, b, f in zip(atoms, weights, interior, strict=True):
        if abs(float(a.mid())) <= FOLD_MERGE:
            oa.append(a)
            ow.append(b)
            oi.append(f)
            continue
        oa += [a, -a]
        ow += [b / 2, b / 2]
        oi += [f, f]
    return oa, ow, oi


def _mid(v: object) -> object:
    return v.mid() if isinstance(v, arb) else v


def newton(z: list[arb], ncol: int, system: Callable[[list[arb], bool], tuple[list[arb], Any]],
           tol: float, max_steps: int, prec: int) -> tuple[list[arb], float, int] | None:
    """Solve F(z) = 0 for the first `ncol` entries of z (the rest ride along), `system(z, jac)`
    giving F and (if jac) its Jacobian, at the caller's working precision: the minimum-norm
    Gauss–Newton step (`_min_norm_step`) where it lowers ‖F‖₂, else Levenberg–Marquardt steps
    `(JᵀJ + λ diag JᵀJ) Δ = -JᵀF`, λ grown ×16 until ‖F‖₂ falls and shrunk ÷64 after. (z,
    residual, steps) once ‖F‖₂ ≤ tol, None if that takes more than `max_steps` steps or fails."""
    lam = 2.0 ** -20
    gn_next = 0
    F, J = system(z, True)
    res = _norm(F)
    step = 0
    for step in range(max_steps):
        if not math.isfinite(res):
            return None
        if res <= tol:
            break
        Jm = arb_mat(J)
        Jt = Jm.transpose()
        trial = _min_norm_step(z, F, Jm, Jt, ncol, prec) if step >= gn_next else None
        if trial is not None:
            rt = _norm(system(trial, False)[0])
            if math.isfinite(rt) and rt < res:
                z = trial
                F, J = system(z, True)
                res = _norm(F)
                continue
            # far from a solution the linearization misleads: let LM steps bring it nearer
            gn_next = step + GN_PAUSE
        N = Jt * Jm
        g = -(Jt * arb_mat(len(F), 1, F))
        diag = [N[j, j] for j in range(ncol)]
        floor = max(float(v.mid()) for v in diag) * 2.0 ** (-(prec // 2))
        for _ in range(LM_TRIES):
            M = arb_mat(N)
            for j in range(ncol):
                M[j, j] = diag[j] + arb(lam) * (diag[j] + arb(floor))
            try:
                delta = M.solve(g, algorithm="approx")
            except ZeroDivisionError:
                return None
            trial = [z[j] + delta[j, 0].mid() if j < ncol else z[j] for j in range(len(z))]
            rt = _norm(system(trial, False)[0])
            if math.isfinite(rt) and rt < res:
                break
            lam *= 16
        else:
            return None
        z = trial
        lam = max(lam / 64, 2.0 ** -(prec // 2))
        F, J = system(z, True)
        res = _norm(F)
    else:
        return None
    return z, res, step


def _min_norm_step(z: list[arb], F: list[arb], Jm: arb_mat, Jt: arb_mat, ncol: int,
                   prec: int) -> list[arb] | None:
    """z + Δ with Δ = -Jᵀ(JJᵀ + μI)⁻¹F, μ = 2^(-prec/2)·max diag JJᵀ: the least-norm solution
    of the linearization (the damping only keeps JJᵀ invertible where J has dependent rows).
    Levenberg–Marquardt's λ·diag damping instead crawls along the small singular directions of
    a rank-deficient J (measured: a symmetric k = 32 system stalled at residual 1e-10 for 300
    steps; this step reached 1e-140 in 7)."""
    m = len(F)
    JJ = Jm * Jt
    mu = max(float(JJ[i, i].mid()) for i in range(m)) * 2.0 ** (-(prec // 2))
    for i in range(m):
        JJ[i, i] += mu
    try:
        w = JJ.solve(arb_mat(m, 1, F), algorithm="approx")
    except ZeroDivisionError:
        return None
    dz = Jt * w
    return [z[j] - dz[j, 0].mid() if j < ncol else z[j] for j in range(len(z))]


def recentre(p: Polished, d: list[Fraction], e: list[Fraction], shrink: Fraction) -> Polished | None:
    """The weights on the polished atoms that hold the active rows at their sides and are most
    central in the others: `min Σ_{n∉A} ((m_n - d_n)/e_n)²` s.t. `m_n = d_n + σ_n (1-η) e_n`
    (n ∈ A), by its linear KKT system at `p.prec` bits. Where the primal optimum is not unique
    (a face, e.g. symmetric data) Newton's weights may sit anywhere on it, even outside the
    free rows' boxes; the centre of the face is inside them whenever any point of it is
    (strictly convex objective over the face, zero at a point with all free residuals 0)."""
    k, na = len(d), len(p.atoms)
    # rows whose multiplier is negligible are let go as well: holding them at a side is what a
    # noisy float dual asked for, and releasing one moves s·μ_q by at most 2·e_n·|y_n|
    ymax = max(abs(float(v)) for v in p.y) or 1.0
    A = [n for n in p.active if abs(float(p.y[n])) > SOFT * ymax]
    free = [n for n in range(k) if n not in A]
    if not free:
        return p
    with flint.ctx.workprec(p.prec):
        pw = [[arb(1)] for _ in p.atoms]
        for i, x in enumerate(p.atoms):
            for _ in range(k - 1):
                pw[i].append(pw[i][-1] * x)
        inv = {n: 1 / _arb(e[n]) for n in free}
        W = [[pw[i][n] * inv[n] for i in range(na)] for n in free]
        t = [_arb(d[n]) * inv[n] for n in free]
        nA = len(A)
        size = na + nA
        M = [[arb(0)] * size for _ in range(size)]
        rhs = [arb(0)] * size
        for i in range(na):
            for j in range(na):
                M[i][j] = sum((W[r][i] * W[r][j] for r in range(len(free))), arb(0))
            rhs[i] = sum((W[r][i] * t[r] for r in range(len(free))), arb(0))
            for c, n in enumerate(A):
                M[i][na + c] = pw[i][n]
                M[na + c][i] = pw[i][n]
        for c, n in enumerate(A):
            rhs[na + c] = _arb(d[n] + p.signs[n] * (1 - shrink) * e[n])
        try:
            sol = arb_mat(M).solve(arb_mat(size, 1, rhs), algorithm="approx")
        except ZeroDivisionError:
            return None
        b = [sol[i, 0].mid() for i in range(na)]
    if not all(math.isfinite(float(v)) for v in b):
        return None
    return Polished(p.atoms, b, p.y, p.interior, A, {n: p.signs[n] for n in A}, p.residual,
                    p.steps, p.prec)


def negative_weights(weights: list[arb], mass: Fraction) -> list[int]:
    """The atoms whose polished weight is negative beyond rounding (< -1e-12·max(1, |m_0|)):
    the active-set step drops them."""
    return [i for i, b in enumerate(weights) if float(b) < -1e-12 * max(1.0, abs(float(mass)))]


def violations(p: Polished, d: list[Fraction], e: list[Fraction]) -> tuple[str | None, Polished | None]:
    """Whether a polished point has the optimum's structure (float checks: atoms in [-1, 1],
    weights ≥ 0, multipliers of the sign of their side, inactive rows inside their box), and if
    not, why and a repaired structure to polish again (an active-set step: an atom whose weight
    turned negative is dropped, a row whose multiplier has the wrong sign released, a row that
    left its box made active at that side), or None if there is no such repair."""
    xs = [float(a) for a in p.atoms]
    if any(abs(x) > 1 + 1e-15 for x in xs):
        return "an atom left [-1, 1]", None
    neg = negative_weights(p.weights, d[0])
    if neg:
        keep = [i for i in range(len(xs)) if i not in neg]
        if not keep:
            return "every weight turned negative", None
        return "a weight turned negative", Polished(
            [p.atoms[i] for i in keep], [p.weights[i] for i in keep], p.y,
            [p.interior[i] for i in keep], p.active, p.signs, p.residual, p.steps, p.prec)
    ymax = max(abs(float(v)) for v in p.y) or 1.0
    wrong = [n for n in p.active if e[n] > 0 and p.signs[n] * float(p.y[n]) < -1e-20 * ymax]
    if wrong:
        # a multiplier of the wrong sign: the row should not be held at that side (release it)
        signs = {n: v for n, v in p.signs.items() if n not in wrong}
        y = [arb(0) if n in wrong else v for n, v in enumerate(p.y)]
        return f"row {wrong[0]}'s multiplier has the wrong sign", Polished(
            p.atoms, p.weights, y, p.interior, sorted(signs), signs, p.residual, p.steps, p.prec)
    out = []
    with flint.ctx.workprec(p.prec):
        # in ball arithmetic: a float sum cannot resolve radii far below the data (e ≪ 2^-53·d)
        pw = [arb(b) for b in p.weights]
        for n in range(len(d)):
            r = sum(pw, arb(0)) - _arb(d[n])
            if n not in p.active and abs(r) > _arb(e[n]) * (1 + arb(2) ** -40):
                out.append((n, 1 if r > 0 else -1))
            pw = [v * a for v, a in zip(pw, p.atoms, strict=True)]
    if out:
        signs = {**p.signs, **dict(out)}
        return f"inactive row {out[0][0]} left its box", Polished(
            p.atoms, p.weights, p.y, p.interior, sorted(signs), signs, p.residual, p.steps,
            p.prec)
    return None, None


REPAIRS = 6
SOFT = 1e-9   # `recentre` frees active rows with |y_n| ≤ SOFT·max|y| (see there)


def lower_bound(P: fmpq_poly, touch: list[Fraction], target: Fraction, prec: int = 256,
                lo: Fraction = Fraction(-1), hi: Fraction = Fraction(1)) -> Fraction:
    """A rational L ≤ min_{u∈[lo,hi]} P(u), rigorous: [lo, hi] is cut at the touching points and
    into pieces of ≤ (hi - lo)/(2 deg P); on a piece with centre c (a touching point if it ends
    there, else the middle), `P(c + t) = Σ a_n t^n` (ball arithmetic) gives
    `P ≥ a_0 + a_1 t + (a_2 - Σ_{n≥3} |a_n| R^(n-2)) t²` for |t| ≤ R, minimized exactly over the
    piece. A piece is split until its bound is ≥ target, or within 1 % of P(c) (P is that low
    there), or shorter than MIN_PIECE; L is the least accepted bound, rigorous either way."""
    deg = max(P.degree(), 2)
    cuts = sorted({lo, hi, *[t for t in touch if lo < t < hi]})
    tset = {_q(t) for t in touch}
    n0 = 2 * deg
    stack: list[tuple[fmpq, fmpq]] = []
    for a, b in itertools.pairwise(cuts):
        m = max(1, math.ceil(n0 * (b - a) / (hi - lo)))
        stack += [(_q(a + (b - a) * j / m), _q(a + (b - a) * (j + 1) / m)) for j in range(m)]
    best: arb | None = None
    zero = arb(0)
    with flint.ctx.workprec(prec):
        Pa = arb_poly(P)
        tg = arb(_q(target))
        floor = arb(fmpq(101, 100))
        min_piece = arb(_q(MIN_PIECE))
        while stack:
            a, b = stack.pop()
            c = a if a in tset else b if b in tset else _dyadic_mid(a, b)
            coef = Pa(arb_poly([arb(c), 1])).coeffs()
            coef = coef + [zero] * (3 - len(coef)) if len(coef) < 3 else coef
            tl, th = arb(a - c), arb(b - c)
            R = arb(max(abs(a - c), abs(b - c)))
            tail, Rp = zero, arb(1)
            for v in coef[3:]:
                tail += abs(v) * Rp
                Rp *= R
            tail = tail.upper()   # |a_n| bounds need the balls' upper ends
            a0, a1, c2 = coef[0], coef[1], coef[2] - tail
            if c2 > 0:
                v = -a1 / (2 * c2)
                low = min_lower(a0 + a1 * tl + c2 * tl * tl, a0 + a1 * th + c2 * th * th)
                if not (v < tl or v > th):
                    low = min_lower(low, a0 - a1 * a1 / (4 * c2))
            else:
                # concave or unknown curvature: c2 at its lower end (≤ 0), minimum at an end
                c2l = min_lower(c2.lower(), zero)
                low = min_lower(a0 + a1 * tl + c2l * tl * tl, a0 + a1 * th + c2l * th * th)
            # accept: the bound meets the target, or it is within 1 % of a value P takes (at c),
            # so no subdivision could improve the minimum much (P really is that low there)
            if low >= tg or low >= floor * min_lower(a0, zero) or arb(b - a) < min_piece:
                best = low if best is None else min_lower(best, low)
            else:
                mid = _dyadic_mid(a, b)
                stack += [(a, mid), (mid, b)]
    return _lower(best) if best is not None else Fraction(0)


def min_lower(x: arb, y: arb) -> arb:
    """An exact (radius-0) arb ≤ both balls: the lesser of their lower ends."""
    lx, ly = x.lower(), y.lower()
    return lx if lx < ly else ly


def _dyadic_mid(a: fmpq, b: fmpq) -> fmpq:
    """A short dyadic rational near (a + b)/2 strictly inside (a, b) (cheap Taylor shifts)."""
    h = float(b - a) / 4
    bits = max(4, -math.floor(math.log2(h))) + 2 if h > 0 else 64
    return fmpq(round(float((a + b) / 2) * 2**bits) if bits < 40 else
                int(((a + b) / 2 * 2**bits).floor()), 2**bits)


@dataclass(frozen=True)
class Certified:
    """One end: inner (attained by `atoms`/`weights`, exact) and outer (proved), s·μ_q units."""

    inner: Fraction | None
    outer: Fraction | None
    tau: Fraction | None
    atoms: list[Fraction]
    weights: list[Fraction]
    status: str
    steps: int
    prec: int


def certify(p: Polished, d: list[Fraction], e: list[Fraction], q: int, s: int,
            target: Fraction, whole_line: bool = False) -> Certified:
    """Exact inner and outer bounds from a polished point (module docstring). `whole_line`:
    the support is R (the measure found on [-1, 1] is one on R too); the dual polynomial,
    of even degree q with leading coefficient -s > 0, is then bounded on [-M, M] with the
    Cauchy bound M = 1 + max_n |y_n| (no root lies outside, where it is positive)."""
    k = len(d)
    atoms = [max(Fraction(-1), min(Fraction(1), _exact(a))) for a in p.atoms]
    weights = [max(Fraction(0), _exact(b)) for b in p.weights]
    inner: Fraction | None = None
    qa = [_q(a) for a in atoms]
    qb = [_q(b) for b in weights]
    pw = list(qb)
    ok = True
    for n in range(max(k, q + 1)):
        if n < k:
            m = sum(pw, fmpq(0))
            if abs(m - _q(d[n])) > _q(e[n]):
                ok = False
                break
        if n == q:
            inner = s * _f(sum(pw, fmpq(0)))
        pw = [v * a for v, a in zip(pw, qa, strict=True)]
    if not ok:
        inner = None
    y = [_exact(v) for v in p.y]
    P = _dual_poly("monomial", y, q, s)
    touch = sorted(set(atoms))
    if whole_line:
        if q % 2 or s != -1:
            raise ValueError("whole_line needs the lower end (s = -1) of an even moment q")
        M = 1 + max(abs(v) for v in y)
        M = Fraction(math.ceil(M))
        lo, hi = -M, Fraction(M)
    else:
        lo, hi = Fraction(-1), Fraction(1)
    # first at LB_FIRST bits (ball arithmetic is rigorous at any precision; fewer bits only
    # widen the balls): [-2, 2], k = 80 gives the same L in 1.9 s as in 3.6 s at 934 bits;
    # again at the working precision only if that L misses 1000·|target|. Not on R: on
    # [-M, M] the first try missed (N(0,1), k = 40: 4.4 s → 5.4 s with it)
    first = p.prec if whole_line else LB_FIRST
    low = lower_bound(P, touch, target, prec=first, lo=lo, hi=hi)
    if low < 1000 * target and p.prec > first:
        low = max(low, lower_bound(P, touch, target, prec=p.prec, lo=lo, hi=hi))
    tau = max(Fraction(0), -low)
    y0 = [y[0] + tau, *y[1:]]
    outer = (sum((a * b for a, b in zip(y0, d, strict=True)), Fraction(0))
             + sum((abs(a) * b for a, b in zip(y0, e, strict=True)), Fraction(0)))
    status = "ok" if inner is not None else "polished measure not exactly feasible"
    return Certified(inner, outer, tau, atoms if ok else [], weights if ok else [], status,
                     p.steps, p.prec)


GRID_ROUNDS = 2
ROUNDS_RETRY = 6
RESOLVABLE = 1e-7   # a float grid LP sees boxes of radius ≥ RESOLVABLE·|d|_∞ (HiGHS tolerances 1e-10)
COARSE = 1e-4       # × |d|_∞: the second start of the continuation (see `certified_end`)


def default_prec(d: list[Fraction], e: list[Fraction], q: int) -> int:
    """Working bits: the tolerance's digits below the data, plus room for the Vandermonde-type
    conditioning of the complementarity system (grows with the degree) and 40 digits to spare."""
    scale = max(abs(float(v)) for v in d) or 1.0
    emin = min(float(v) for v in e)
    digits = max(0.0, math.log10(scale / emin)) if emin > 0 else 0.0
    return int(256 + 6 * q + 3.33 * 2 * digits)


BUDGET = 15.0          # seconds per end (`certified_end`)
EQ_FIRST = 1e-13      # × |d|_∞: an e = 0 sandwich this tight is kept without other routes
EQ_FIRST_K = 24       # ... tried first only up to this k (arcsine law at 1e-30, both ends:
                      # e = 0 first 0.10 / 0.35 / 3.6 / 15 s at k = 10 / 20 / 40 / 60; the
                      # interior-point route first 2.5 / 6.9 s at k = 40 / 60)
SPREAD = 1e3          # radii spanning less than this are alike (interior data: the e = 0 point first)
REFINED_OK = 1e-6      # the grid LP must meet every row to 1e-6 of its radius to be read
NOISE = 1e-25          # × max |y_n| e_n: below this an interior-point multiplier is O(μ)
WIDEN = 1e-6           # × the least active |y_n| e_n: rows this near are tried as active too


def certified_end(d: list[Fraction], e: list[Fraction], q: int, s: int, *,
                  extra: np.ndarray | None = None, prec: int | None = None,
                  target: Fraction | None = None, whole_line: bool = False,
                  seconds: float = BUDGET, interior: bool = False) -> Certified:
    """Certified inner and outer bounds of max s·μ_q (box radii e_n > 0; module docstring).

    The structure comes from the float grid LP at e itself; for radii below float resolution,
    from the grid LP solved at high precision (`_ipm.ipm_grid_solve`), else from e scaled
    up to RESOLVABLE and carried down by continuation (e → e/10), else from the e = 0 point.
    `target`: the accuracy asked of the dual's lower bound (default 1e-12·min e).
    `whole_line`: the support is R, searched on [-1, 1] (the caller scales it), certified on R.
    `seconds`: a budget; past it no further route is tried (the search is INCONCLUSIVE, never
    wrong, and a failing search would otherwise try every route at every threshold).
    `interior`: the data are interior to the moment cone (the caller knows it exactly); with
    radii alike and far below resolution the e = 0 point is then tried first (k ≤ EQ_FIRST_K),
    and kept if its sandwich Σ|y_n| e_n is below EQ_FIRST·|d|_∞, and the interior-point grid LP
    is tried for radii alike too (not for boundary data: there continuation is faster).
    """
    if any(v <= 0 for v in e):
        raise ValueError("certified_end needs box radii e_n > 0")
    t0 = time.perf_counter()
    prec = prec or default_prec(d, e, q)
    tgt = target if target is not None else Fraction(1, 10**12) * min(e)
    scale = max(abs(float(v)) for v in d) or 1.0
    emin = min(float(v) for v in e)
    lift = max(1.0, RESOLVABLE * scale / emin)
    steps = [list(e)]
    why = "no structure in the grid LP solution"
    spread = max(float(v) for v in e) / emin
    if time.perf_counter() - t0 >= seconds:
        return _spent(seconds, "no route tried", prec)
    eq: Certified | None = None
    if interior and lift > 1 and spread < SPREAD and len(d) <= EQ_FIRST_K:
        eq = _equality_route(d, e, q, s, prec, extra, whole_line)
        if eq is not None and eq.outer - eq.inner <= EQ_FIRST * scale:
            return eq
    ipm_first = lift > 1 and (spread >= SPREAD or interior)
    if ipm_first:
        c = _ipm_route(d, e, q, s, extra, prec, tgt, whole_line, t0, seconds)
        if isinstance(c, Certified):
            return c
        why = c
    # The continuation starts where the float grid LP resolves the radii (RESOLVABLE), and
    # where that start fails, higher (COARSE): for boundary data the optimum's features shrink
    # with the radius (λ̂ = 1, k = 3: an atom at 1 - O(e), ±-pairs whose weights differ by
    # O(e^2)), so at 1e-7 the LP shows a wrong structure while at 1e-4 it shows the right one
    for start in (RESOLVABLE, COARSE) if lift > 1 else (RESOLVABLE,):
        if lift > 1:
            # only the radii below the start are raised to it, then brought down a decade a
            # step (raising every row alike would start from a far-off problem on the
            # resolvable rows)
            n = math.ceil(math.log10(max(1.0, start * scale / emin)))
            floor = Fraction(start) * Fraction(scale)
            steps = [[max(v, floor / 10**j) for v in e] for j in range(n)] + [list(e)]
        c = _grid_continuation(d, e, q, s, steps, extra, prec, tgt, whole_line, t0, seconds)
        if isinstance(c, Certified):
            return c if start == RESOLVABLE else _noted(c, f" (continuation from {start:g})")
        why = c
    if lift > 1 and not ipm_first:
        # boundary data whose continuation failed: the float LP cannot see structure below
        # its tolerances (±1/2, k = 5, least m_54: u^54 ≤ 2^-54 at the atoms), the
        # interior-point LP in ball arithmetic can (0.4–0.7 s for q = 54 … 80 at 1e-30)
        c = _ipm_route(d, e, q, s, extra, prec, tgt, whole_line, t0, seconds)
        if isinstance(c, Certified):
            return c
        why = c
    if lift > 1:
        eq = eq or _equality_route(d, e, q, s, prec, extra, whole_line)
        if eq is not None:
            return eq
    return Certified(None, None, None, [], [], why, 0, prec)


def _ipm_route(d: list[Fraction], e: list[Fraction], q: int, s: int, extra: np.ndarray | None,
               prec: int, tgt: Fraction, whole_line: bool, t0: float, seconds: float
               ) -> Certified | str:
    """The structure from the grid LP solved at high precision (`_ipm.ipm_grid_solve`),
    polished at the true radii and certified; else why not (a string)."""
    why = "no structure in the interior-point grid solution"
    # radii below float resolution: the grid LP solved at high precision by an
    # interior-point method resolves every row at once, alike or spanning decades (radii
    # alike were left to the continuation until it failed on arcsine k = 60 at 1e-30; this
    # certifies both ends in 6.9 s)
    g, viol = ipm_grid_solve(d, e, q, s, extra, seconds=max(0.0, seconds - _since(t0)))
    if g.x.size and viol <= REFINED_OK:
        # a row's share of the objective is |y_n| e_n: with radii spanning decades that,
        # not |y_n|, separates the active rows, and the widest gap in it is the first guess
        ew = np.array([float(v) for v in e])
        yw = np.abs(g.y) * ew
        # first the rows the interior-point method itself finds active (Tapia's indicator
        # on the row slacks: scale-free, where |y_n| e_n spans ~70 decades on R); then those
        # plus any row whose |y_n| e_n is within WIDEN of the least of them (the indicator
        # missed row 0 of arcsine k = 80 at 1e-30, multiplier 1.8e-30 of the largest, odd
        # rows at 1e-246); then thresholds on |y_n| e_n
        tries: list[tuple[str, tuple[int, ...], float]] = []
        if any(g.sides):
            least = float(min(yw[n] for n, v in enumerate(g.sides) if v))
            near = tuple(v or ((1 if g.y[n] > 0 else -1) if yw[n] >= WIDEN * least else 0)
                         for n, v in enumerate(g.sides))
            tries.append(("its own active rows", g.sides, 0.0))
            if near != g.sides:
                tries.append(("its own active rows and those near them", near, 0.0))
        # the inactive rows' multipliers are O(μ), far below NOISE of the largest: held at
        # that floor, the widest gap is the one between the active rows and the rest, not
        # one among the noise (measured at k = 80: 7.5e-43, 53 "active" rows)
        tries += [(f"yrel {v:g}", (), v)
                  for v in (_widest_gap(np.maximum(yw, NOISE * yw.max())), *YRELS)]
        # last, the rows of largest share without the weakest one or two: on a grid an atom
        # cannot move by O(e), its neighbours carry O(e) mass instead, and that holds rows
        # active which the off-grid optimum leaves free (±1/2, k = 5, least m_50 at 1e-30:
        # rows 0, 2, 4 by every threshold, rows 0, 2 certify)
        ranked = [n for n in np.argsort(-yw) if yw[n] > NOISE * yw.max()]
        for m in range(len(ranked) - 1, max(0, len(ranked) - 3), -1):
            top = set(ranked[:m])
            tries.append((f"the {m} rows of largest share",
                          tuple((1 if g.y[n] > 0 else -1) if n in top else 0 for n in range(len(e))),
                          0.0))
        for how, sides, yrel in tries:
            st = structure_from_runs(g.x, g.u, g.y, q, s, yrel, row_weight=ew,
                                     y_arb=g.y_arb, sides=sides)
            if st is None:
                continue
            # the structure sits at the true radii: no continuation
            out, why = _continue(d, e, q, s, st, [list(e)], prec)
            if out is not None:
                c = _finish(out, d, e, q, s, tgt, whole_line, prec)
                if c.inner is not None:
                    return _noted(c, f" (interior-point grid LP, {how})")
            if time.perf_counter() - t0 > seconds:
                return _spent(seconds, why, prec)
    else:
        why = f"{g.status}, violation {viol:.1e} of a radius"
    return why


def _grid_continuation(d: list[Fraction], e: list[Fraction], q: int, s: int,
                       steps: list[list[Fraction]], extra: np.ndarray | None, prec: int,
                       tgt: Fraction, whole_line: bool, t0: float, seconds: float
                       ) -> Certified | str:
    """The float grid LP at `steps[0]`, its structure carried down `steps` to e by Newton
    (`_continue`) and certified (`_finish`); else why not (a string)."""
    why = "no structure in the grid LP solution"
    # a few exchange rounds suffice: the grid LP only has to show the structure, Newton does
    # the rest (and a wrong guess is caught by the checks and the exact verification)
    for rounds in (GRID_ROUNDS, ROUNDS_RETRY):
        # a few exchange rounds usually suffice for the structure; where they do not, a grid
        # refined further is a better guess
        if time.perf_counter() - t0 > seconds:
            return _spent(seconds, why, prec)
        g = grid_solve(d, steps[0], q, s, "monomial", extra, max_rounds=rounds)
        if g.x.size == 0:
            why = g.status
            continue
        for yrel in YRELS:
            # which multipliers count as nonzero is the one guess a float dual cannot settle: a
            # threshold that drops a small true multiplier leaves Newton an inconsistent system
            st = structure_from_lp(g.x, g.u, g.y, g.minima, q, s, yrel)
            if st is None:
                continue
            out, why = _continue(d, e, q, s, st, steps, prec)
            if out is None and not why.startswith("Newton did not converge at step 0"):
                # lost further down the continuation: a change of structure, which another
                # threshold for the first guess would not mend
                break
            if out is not None:
                c = _finish(out, d, e, q, s, tgt, whole_line, prec)
                note = "" if (yrel, rounds) == (YRELS[0], GRID_ROUNDS) else \
                    f" (yrel {yrel:g}, {rounds} grid rounds)"
                return _noted(c, note)
            if time.perf_counter() - t0 > seconds:
                return _spent(seconds, why, prec)
    return why


def _widest_gap(v: np.ndarray) -> float:
    """The threshold (relative to max v) in the widest gap of log v (a factor ≥ 100 apart),
    or the first of YRELS if there is none."""
    top = float(v.max()) if v.size else 0.0
    w = np.sort(v[v > 1e-300 * max(top, 1e-300)] / top)[::-1] if top > 0 else np.zeros(0)
    if w.size < 2:
        return YRELS[0]
    ratios = w[:-1] / w[1:]
    i = int(np.argmax(ratios))
    return float(math.sqrt(w[i] * w[i + 1])) if ratios[i] >= 100 else YRELS[0]


def _since(t0: float) -> float:
    return time.perf_counter() - t0


def _noted(c: Certified, note: str) -> Certified:
    return Certified(c.inner, c.outer, c.tau, c.atoms, c.weights, c.status + note, c.steps,
                     c.prec)


def _spent(seconds: float, why: str, prec: int) -> Certified:
    return Certified(None, None, None, [], [], f"time budget of {seconds:g} s spent (last: {why})",
                     0, prec)


def _finish(out: Polished, d: list[Fraction], e: list[Fraction], q: int, s: int,
            tgt: Fraction, whole_line: bool, prec: int) -> Certified:
    """Certify a polished point, with up to EXCHANGES exchange steps where its dual polynomial
    dips below 0 at a point the structure has no atom at."""
    c = certify(out, d, e, q, s, -abs(tgt), whole_line)
    for _ in range(EXCHANGES):
        # the dual polynomial dips below 0 where the structure has no atom: add one
        # there (weight 0) and polish again (an exchange step at full precision)
        if c.tau is None or c.tau <= 1000 * abs(tgt) or whole_line:
            break
        grown = _add_touching_point(out, q, s)
        nxt = None if grown is None else _continue(d, e, q, s, grown, [list(e)], prec)[0]
        if nxt is None:
            break
        c2 = certify(nxt, d, e, q, s, -abs(tgt), whole_line)
        if c2.inner is None or c2.tau is None or c2.tau >= c.tau:
            break
        out, c = nxt, c2
    return Certified(c.inner, c.outer, c.tau, c.atoms, c.weights, c.status, out.steps, prec)


EXCHANGES = 3


def _add_touching_point(p: Polished, q: int, s: int) -> Structure | None:
    """The structure of `p` plus an atom (weight 0) at the least point of its dual polynomial
    on [-1, 1] (float search), boundary if that is an end."""
    y = np.array([float(v) for v in p.y])
    minima, _ = _float_minima("monomial", y, q, s)
    pts = np.concatenate([minima, [-1.0, 1.0]])
    vals = [_float_P(y, q, s, float(t)) for t in pts]
    t = float(pts[int(np.argmin(vals))])
    if any(abs(t - float(a)) < 1e-9 for a in p.atoms):
        return None
    end = t in (-1.0, 1.0)
    return Structure([*[float(a) for a in p.atoms], t], [*[float(b) for b in p.weights], 0.0],
                     [float(v) for v in p.y], [*p.interior, not end], p.active, p.signs)


def _equality_route(d: list[Fraction], e: list[Fraction], q: int, s: int, prec: int,
                    extra: np.ndarray | None, whole_line: bool) -> Certified | None:
    """Radii far below float resolution on interior data: the e = 0 problem's KKT point (every
    row an equality) already sandwiches the answer. Its measure, rounded, matches the data to
    ~2^-prec, inside any box of radius e; its dual gives `outer = Σ y_n d_n + Σ |y_n| e_n + τ`.
    So inner ≤ optimum ≤ inner + Σ|y_n| e_n + τ: tight whenever e·|y|₁ is small beside the
    interval (interior data have an interval of positive width at e = 0). None if the e = 0
    point cannot be polished."""
    from theory_check.moments._basis import cheb_to_mono, chebyshev_moments
    k = len(d)
    zero = [Fraction(0)] * k
    # equality rows in the Chebyshev basis: the monomial ones are too ill-conditioned for the
    # float grid LP beyond k ≈ 20 (a box of radius e leaves them room; equalities do not)
    dc = chebyshev_moments(list(d), Fraction(1))
    out = None
    # HiGHS sometimes gives up on the equality form (in the first round, or in a later one,
    # which leaves an unrefined grid); a box of radius 1e-11 around the Chebyshev data is only
    # a starting guess's worth of difference
    for radius in (Fraction(0), Fraction(1, 10**11)):
        g = grid_solve(dc, [radius] * k, q, s, "chebyshev", extra, max_rounds=GRID_ROUNDS,
                       seconds=2.0)
        if g.x.size == 0 or g.status != "ok":
            continue
        st = structure_from_lp(g.x, g.u, g.y, g.minima, q, s, 1e-300, "chebyshev")
        if st is None:
            continue
        st = Structure(st.atoms, st.weights, st.y, st.interior, list(range(k)),
                       {n: 1 for n in range(k)})
        out, _ = _continue(dc, zero, q, s, st, [zero], prec, basis="chebyshev")
        if out is not None:
            break
    if out is None:
        return None
    # the dual in monomials, exactly (Σ_n y_n T_n = Σ_j (Σ_n y_n t_nj) u^j)
    T = cheb_to_mono(k - 1)
    yc = [_exact(v) for v in out.y]
    ym = [sum((yc[n] * T[n][j] for n in range(j, k) if T[n][j]), Fraction(0)) for j in range(k)]
    with flint.ctx.workprec(prec):
        ya = [arb(_q(v)) for v in ym]
    out = Polished(out.atoms, out.weights, ya, out.interior, out.active, out.signs, out.residual,
                   out.steps, prec)
    c = certify(out, d, e, q, s, -Fraction(1, 10**12) * min(e), whole_line)
    if c.inner is None or c.outer is None:
        return None
    return Certified(c.inner, c.outer, c.tau, c.atoms, c.weights, f"{c.status} (e = 0 KKT point)",
                     out.steps, prec)


YRELS = (1e-8, 1e-11, 1e-5)


def _continue(d: list[Fraction], e: list[Fraction], q: int, s: int, st: Structure,
              steps: list[list[Fraction]], prec: int, basis: str = "monomial",
              max_steps: int | None = None) -> tuple[Polished | None, str]:
    """Polish `st` at each radius vector of `steps` in turn (continuation, the last one e),
    repairing the active set where the checks ask for it; the last polished point, or None and
    why not. `basis`: the rows' basis (Chebyshev for the all-equality e = 0 route)."""
    cur: Structure | Polished = st
    total = 0
    for j, ef in enumerate(steps):
        f = f"step {j} (least radius {float(min(ef)):.1e})"
        for _ in range(REPAIRS + 1):
            p = polish(d, ef, q, s, cur, prec, SHRINK, basis, max_steps)
            if p is None:
                return None, f"Newton did not converge at {f}"
            total += p.steps
            why, repaired = violations(p, d, ef)
            if why is not None:
                # a non-unique primal: Newton's weights may lie anywhere on the optimal face
                pc = recentre(p, d, ef, SHRINK)
                if pc is not None and violations(pc, d, ef)[0] is None:
                    p, why = pc, None
            if why is None:
                break
            if repaired is None:
                return None, f"structure lost at {f}: {why}"
            cur = repaired
        else:
            return None, f"structure not repaired at {f}: {why}"
        cur = p
    assert isinstance(cur, Polished)
    return Polished(cur.atoms, cur.weights, cur.y, cur.interior, cur.active, cur.signs,
                    cur.residual, total, cur.prec), ""
