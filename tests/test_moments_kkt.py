"""The multiprecision KKT path (`moments._kkt`): rigorous dual lower bounds, and certified box
intervals at lengths and tolerances the float LP cannot reach, checked against exact facts."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from flint import fmpq, fmpq_poly
from hypothesis import given, settings
from hypothesis import strategies as st

from theory_check.moments import moment_interval, worst_case_extrapolation
from theory_check.moments._kkt import certified_end, lower_bound


def arcsine(k):
    return [Fraction(math.comb(j, j // 2), 2**j) if j % 2 == 0 else Fraction(0) for j in range(k)]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=2, max_size=12),
       st.lists(st.fractions(-1, 1, max_denominator=64), max_size=3))
def test_lower_bound_is_below_the_minimum(coefs, touch):
    """L ≤ P(u) at every point of a fine grid (and at the touching points offered)."""
    P = fmpq_poly([fmpq(c) for c in coefs])
    L = lower_bound(P, list(touch), Fraction(-1, 10**6))
    u = [Fraction(i, 512) for i in range(-512, 513)] + list(touch)
    assert all(L <= Fraction(int(P(fmpq(x.numerator, x.denominator)).p),
                             int(P(fmpq(x.numerator, x.denominator)).q)) for x in u)


def test_lower_bound_tight_at_double_roots():
    """P = (u - 1/3)²(u + 3/5)²(2 - u) ≥ 0 touches 0 twice: L is ≥ -1e-30 (the quadratic form
    at the touching points), where plain Taylor bounds stop at the bisection's floor."""
    x = fmpq_poly([0, 1])
    P = (x - fmpq(1, 3)) ** 2 * (x + fmpq(3, 5)) ** 2 * (2 - x)
    L = lower_bound(P, [Fraction(1, 3), Fraction(-3, 5)], Fraction(-1, 10**30))
    assert Fraction(-1, 10**30) <= L <= 0


@pytest.mark.parametrize("k", [10, 20, 40])
def test_box_interval_contains_the_exact_one(k):
    """The box interval (radius 1e-6) of m_k is certified, its bounds are exact rationals a
    hair apart from attained values, and it contains the eps = 0 interval (computed exactly)."""
    w = arcsine(k)
    r = moment_interval(w, k, "unit", 1e-6, "box")
    assert r.status == "certified", r.evidence.get("reason")
    assert isinstance(r.lower, Fraction) and isinstance(r.upper, Fraction)
    assert r.evidence["min.engine"] == r.evidence["max.engine"] == "kkt"
    exact = moment_interval(w, k, "unit")
    assert r.lower < exact.lower and exact.upper < r.upper
    assert r.inner_lower >= r.lower and r.inner_upper <= r.upper
    assert max(r.inner_lower - r.lower, r.upper - r.inner_upper) <= 1e-12 * r.width


def test_interior_data_far_below_float_resolution_at_k40():
    """Arcsine law, k = 40, radius 1e-30 (≈ 1e-30 of the data): certified through the e = 0 KKT
    point (Chebyshev rows), containing the exact interval and at most 1e-12·width wider."""
    w = arcsine(40)
    r = moment_interval(w, 40, "unit", 1e-30, "box")
    assert r.status == "certified", r.evidence.get("reason")
    exact = moment_interval(w, 40, "unit")
    assert r.lower <= exact.lower and exact.upper <= r.upper
    assert r.width - exact.width <= 1e-12 * exact.width


def test_tiny_tolerances_nest():
    """Teacher λ̂ = 9/10, k = 3, q = 40: boxes of radius 1e-10, 1e-20, 1e-30 give certified
    intervals, nested (a smaller box has fewer measures) and shrinking linearly onto ŵ_q."""
    lam = Fraction(9, 10)
    w = [lam**j for j in range(3)]
    rs = [moment_interval(w, 40, "unit", float(10.0**-p), "box") for p in (10, 20, 30)]
    assert all(r.status == "certified" for r in rs), [r.evidence.get("reason") for r in rs]
    for big, small in itertools.pairwise(rs):
        assert big.lower < small.lower <= lam**40 <= small.upper < big.upper
    ratios = [float((r.upper - lam**40) / Fraction(10.0**-p)) for r, p in zip(rs, (10, 20, 30),
                                                                               strict=True)]
    assert ratios[1] == pytest.approx(ratios[2], rel=1e-9)


def test_worst_case_at_1e_30_matches_its_limit():
    """Interior teacher ±1/2, k = 5: the certified worst case / δ at δ = 1e-30 agrees with the
    δ = 1e-10 value to the O(δ) correction, and inner and outer agree to 1e-9 relative."""
    a = worst_case_extrapolation(["-1/2", "1/2"], ["1/2", "1/2"], 5, 9, 1e-30)
    b = worst_case_extrapolation(["-1/2", "1/2"], ["1/2", "1/2"], 5, 9, 1e-10)
    assert a.status == b.status == "certified"
    assert a.value / 1e-30 == pytest.approx(b.value / 1e-10, rel=1e-8)
    assert a.evidence["value_inner"] == pytest.approx(a.value, rel=1e-9)


def test_certified_end_rejects_zero_radius():
    with pytest.raises(ValueError, match="radii"):
        certified_end([Fraction(1)], [Fraction(0)], 2, 1)


def test_kkt_failure_falls_back_to_the_grid_lp():
    """Where the polish fails (here: forced by a zero Newton budget) the grid LP certificate
    still answers, and the evidence says which engine did."""
    from theory_check.moments import _kkt
    old = _kkt.NEWTON_STEPS
    _kkt.NEWTON_STEPS = 0
    try:
        r = moment_interval(arcsine(6), 6, "unit", 1e-3, "box")
    finally:
        _kkt.NEWTON_STEPS = old
    assert r.evidence["max.engine"] == "lp" and "kkt_status" in str(r.evidence)
    assert np.isfinite(float(r.upper))


def test_whole_line_lower_end():
    """On R (box radius 1e-6, N(0, 1) moments, k = q = 10): the least m_10 is certified by the
    KKT path, an exact rational below the eps = 0 value 825 (which it must not exceed) and
    within the radius' effect of it; the upper end is unbounded."""
    w = [Fraction(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else Fraction(0) for j in range(10)]
    r = moment_interval(w, 10, "real", 1e-6, "box")
    assert r.solver == "kkt+flint" and r.upper == math.inf
    assert isinstance(r.lower, Fraction) and 824 < r.lower < 825 <= r.inner_lower + 1
    assert r.lower <= r.inner_lower <= r.lower + Fraction(1, 10**12)


def uniform_scaled(k):
    """Uniform law on [-2, 2] in u = x/2 units, a box of 1e-6 on each m_n: d_n = 1/(n+1) (even
    n), radii 1e-6/2^n — from 1e-6 down to 1e-6·2^-(k-1), below float resolution past n ≈ 4."""
    d = [Fraction(1, j + 1) if j % 2 == 0 else Fraction(0) for j in range(k)]
    e = [Fraction(1, 10**6) / 2**j for j in range(k)]
    return d, e


def test_ipm_grid_lp_resolves_rows_below_float_resolution():
    """The multiprecision interior-point grid LP meets every row to ≤ 1e-6 of its radius (radii
    down to 1e-6·2^-39 at k = 40), where one float solve misses the tiny rows by more than
    their radius; on symmetric data (exactly symmetric grid) its odd multipliers vanish, its
    support is mirror-symmetric and no odd row is active."""
    from theory_check.moments._ipm import ipm_grid_solve
    from theory_check.moments._lp import grid_solve
    d, e = uniform_scaled(40)
    g, viol = ipm_grid_solve(d, e, 40, 1)
    assert g.x.size and viol <= 1e-6
    assert len(g.sides) == 40 and not any(g.sides[1::2]) and any(g.sides[0::2])
    ew = np.array([float(v) for v in e])
    yw = np.abs(g.y) * ew
    assert yw[1::2].max() <= 1e-30 * yw.max()
    sup = np.sort(g.u[g.x > 0])
    assert np.array_equal(sup, -sup[::-1])
    m = np.vander(g.u, 40, increasing=True).T @ g.x
    one = grid_solve(d, e, 40, 1, "monomial", max_rounds=1)
    m1 = np.vander(one.u, 40, increasing=True).T @ one.x
    miss = np.max(np.abs(m1 - np.array([float(v) for v in d])) - ew)
    assert miss > float(min(e))
    assert np.max(np.abs(m[:10] - np.array([float(v) for v in d[:10]])) - ew[:10]) <= 1e-12


def test_tapia_indicator_needs_a_clean_split():
    """Support by Tapia's indicator: weights that stay are on it, weights that shrink with μ
    are off it, and a ratio in between (no clean split yet) gives no answer."""
    from theory_check.moments._ipm import _tapia
    prev = np.log10(np.array([1.0, 1e-20, 1e-10, 1e-12]))
    assert list(_tapia(prev, prev + np.array([0.0, 0.0, -3.0, -2.5]))) == [True, True, False, False]
    assert _tapia(prev, prev + np.array([0.0, -0.7, -3.0, -3.0])) is None


def test_folding_merges_mirrored_atoms():
    """An even dual's structure folds onto [0, 1]: ±u become one atom at |u| with the pair's
    weight, and unfolding gives back the symmetric measure (same even moments)."""
    from flint import arb

    from theory_check.moments._kkt import Structure, _folded, _unfolded
    st = Structure([-0.5, 0.0, 0.5 + 1e-9, 1.0, -1.0], [1.0, 2.0, 1.0, 0.25, 0.25], [0.0] * 4,
                   [True, True, True, False, False], [0, 2], {0: 1, 2: -1})
    f = _folded(st)
    assert len(f.atoms) == 3 and f.weights == [2.0, 2.0, 0.5]
    assert f.interior == [True, True, False]
    a, b, flags = _unfolded([arb(x) for x in f.atoms], [arb(x) for x in f.weights], f.interior)
    assert flags == [True, True, True, False, False]
    ev = [sum(float(w.mid()) * float(x.mid()) ** n for x, w in zip(a, b)) for n in (0, 1, 2, 4)]
    orig = [sum(w * x**n for x, w in zip(st.atoms, st.weights)) for n in (0, 1, 2, 4)]
    assert ev[1] == 0 and np.allclose([ev[0], ev[2], ev[3]], [orig[0], orig[2], orig[3]])


@pytest.mark.parametrize("k", [20, 28, 40])
def test_box_on_rho_interval_certified(k):
    """[-2, 2], box 1e-6 (radii 1e-6 … 1e-6·2^-(k-1) in u units): both ends certified by the
    KKT path from the interior-point grid LP, the interval contains the exact e = 0 interval and its
    ends are pinned to 1e-12·width."""
    w = [Fraction(2**j, j + 1) if j % 2 == 0 else Fraction(0) for j in range(k)]
    r = moment_interval(w, k, 2, 1e-6, "box")
    ex = moment_interval(w, k, 2)
    assert str(r.status) == "certified"
    assert r.lower <= ex.lower and ex.upper <= r.upper
    assert max(r.inner_lower - r.lower, r.upper - r.inner_upper) <= Fraction(1, 10**12) * r.width
    assert {r.evidence["min.engine"], r.evidence["max.engine"]} == {"kkt"}


def test_time_budget_gives_no_bound():
    """A spent budget ends the search with neither bound (INCONCLUSIVE upstream), never a
    partial one; and a budget lets a search that would certify finish."""
    d, e = uniform_scaled(28)
    c = certified_end(d, e, 28, 1, seconds=0.0)
    assert c.inner is None and c.outer is None and "time budget" in c.status
    c = certified_end(d, e, 28, 1, seconds=10.0)
    assert c.inner is not None and c.outer is not None and c.inner <= c.outer


def test_least_moment_on_R_certified_at_k20():
    """N(0,1) on R, box 1e-6, k = 20: the least m_20 is certified (KKT on [-ρ, ρ], dual on all
    of R), below the law's own m_20 = 19!! and pinned to 1e-12 of its size."""
    w = [Fraction(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else Fraction(0) for j in range(20)]
    r = moment_interval(w, 20, "real", 1e-6, "box")
    assert r.solver == "kkt+flint" and r.upper == math.inf
    assert r.lower <= r.inner_lower <= math.prod(range(19, 0, -2))
    assert r.inner_lower - r.lower <= Fraction(1, 10**12) * abs(r.lower)


@pytest.mark.slow
@pytest.mark.parametrize("k", [60, 80])
def test_box_on_rho_interval_certified_long(k):
    """[-2, 2] at k = 60, 80 (radii to 1e-6·2^-79): certified, containing the exact interval."""
    w = [Fraction(2**j, j + 1) if j % 2 == 0 else Fraction(0) for j in range(k)]
    r = moment_interval(w, k, 2, 1e-6, "box")
    ex = moment_interval(w, k, 2)
    assert str(r.status) == "certified"
    assert r.lower <= ex.lower and ex.upper <= r.upper


@pytest.mark.slow
@pytest.mark.parametrize("k", [60, 80])
def test_interior_data_far_below_float_resolution_long(k):
    """Arcsine law, box 1e-30, k = 60, 80 (radii alike, 1e-14 of float resolution): certified
    by the interior-point route, containing the exact interval (the e = 0 route alone failed)."""
    w = arcsine(k)
    r = moment_interval(w, k, "unit", 1e-30, "box")
    ex = moment_interval(w, k, "unit")
    assert str(r.status) == "certified"
    assert r.lower <= ex.lower and ex.upper <= r.upper


def test_least_moment_on_R_certified_at_k40():
    """N(0,1) on R, box 1e-6, k = 40 (radii 1e-6 … 1e-6·11^-39 in u units): the least m_40 is
    certified, below 39!! and pinned to 1e-12 of its size."""
    w = [Fraction(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else Fraction(0) for j in range(40)]
    r = moment_interval(w, 40, "real", 1e-6, "box")
    assert r.solver == "kkt+flint"
    assert r.lower <= r.inner_lower <= math.prod(range(39, 0, -2))
    assert r.inner_lower - r.lower <= Fraction(1, 10**12) * abs(r.lower)


def test_wrong_ipm_structure_is_refused():
    """Sabotage `moments.ipm_structure_wrong` (every row's side flipped, the support moved a
    grid point): the exact checks refuse the structure it proposes; the interval is still
    right (certified by another route, or none), never a wrong one."""
    from theory_check.selftest import load_catalogues
    w = [Fraction(2**j, j + 1) if j % 2 == 0 else Fraction(0) for j in range(28)]
    ex = moment_interval(w, 28, 2)
    with load_catalogues()["moments.ipm_structure_wrong"].apply():
        r = moment_interval(w, 28, 2, 1e-6, "box")
    assert "own active rows" not in str(r.evidence.get("max.status", ""))
    if str(r.status) == "certified":
        assert r.lower <= ex.lower and ex.upper <= r.upper


def test_R_fallback_says_when_the_lower_end_is_not_pinned():
    """Where the KKT path does not certify on R (forced: no Newton steps), the SDP's lower bound
    is reported as valid but flagged as not tight when its sandwich is wide (N(0,1), k = 20:
    a lower bound ~1e3 below the measure's value), never as a pinned least moment."""
    from theory_check.moments import _kkt
    w = [Fraction(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else Fraction(0) for j in range(20)]
    old = _kkt.NEWTON_STEPS
    _kkt.NEWTON_STEPS = 0
    try:
        r = moment_interval(w, 20, "real", 1e-6, "box")
    finally:
        _kkt.NEWTON_STEPS = old
    assert r.solver != "kkt+flint"
    assert r.lower <= math.prod(range(19, 0, -2))
    pinned = r.inner_lower - r.lower <= 1e-6 * abs(r.inner_lower)
    assert r.evidence["lower_pinned"] == pinned
    if not pinned:
        assert "not tight" in r.evidence["lower_reason"]
