"""The certified l2 path (`moments._kkt_l2`): exact inner and outer bounds of one end of the
m_q interval under `Σ_j (m_j - w_j)² ≤ eps`, checked against exact facts and rigorous
sandwiches (the eps = 0 interval, box intervals around and inside the l2 ball)."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory_check.moments import atomic_moments, moment_interval
from theory_check.moments._kkt import SHRINK
from theory_check.moments._kkt_l2 import (
    dual_certificate,
    exact_measure,
    grid_socp,
    l2_interval,
    outer_from_dual,
    polish,
    sqrt_upper,
)


def arcsine(k):
    return [Fraction(math.comb(j, j // 2), 2**j) if j % 2 == 0 else Fraction(0) for j in range(k)]


def uniform(k):
    return [Fraction(1, j + 1) if j % 2 == 0 else Fraction(0) for j in range(k)]


def ends(w, q, eps, rho=Fraction(1), r=None):
    """(lower outer, lower inner, upper inner, upper outer) in m-units, all certified (`r`: an
    `l2_interval` result already computed for these arguments)."""
    r = r or l2_interval(w, q, rho, eps)
    lo, hi = r["lower"], r["upper"]
    assert lo.inner is not None and hi.inner is not None, (lo.status, hi.status)
    assert lo.inner <= lo.outer and hi.inner <= hi.outer
    sc = Fraction(rho) ** q
    return -lo.outer * sc, -lo.inner * sc, hi.inner * sc, hi.outer * sc


@settings(max_examples=30, deadline=None)
@given(st.fractions(0, 10**6, max_denominator=10**6), st.integers(8, 400))
def test_sqrt_upper_is_an_upper_bound(x, bits):
    """sqrt_upper(x)² ≥ x, and it is within a relative 2^-(bits-3) of sqrt(x)."""
    r = sqrt_upper(x, bits)
    assert r * r >= x
    assert (r * (1 - Fraction(1, 2 ** (bits - 3)))) ** 2 <= x


@pytest.mark.parametrize(("law", "k", "eps"), [("arcsine", 10, Fraction(1, 10**6)),
                                               ("arcsine", 20, Fraction(1, 10**12)),
                                               ("uniform", 10, Fraction(1, 10**6)),
                                               ("uniform", 20, Fraction(1, 10**12))])
def test_contains_the_exact_interval_and_is_tight(law, k, eps):
    """The l2 interval at eps > 0 contains the exact eps = 0 one, and each end is pinned down
    to 1e-12 of the width (outer - inner)."""
    w = arcsine(k) if law == "arcsine" else uniform(k)
    lo, lo_in, hi_in, hi = ends(w, k, eps)
    exact = moment_interval(w, k, "unit")
    assert lo < exact.lower and exact.upper < hi
    width = hi - lo
    assert lo_in - lo <= Fraction(1, 10**12) * width
    assert hi - hi_in <= Fraction(1, 10**12) * width


@pytest.mark.parametrize(("k", "r"), [(10, Fraction(1, 1000)), (20, Fraction(1, 10**6))])
def test_between_the_box_intervals(k, r):
    """Rigorous sandwich: box(r) ⊇ l2(eps = r²) ⊇ box(r/⌈√k⌉). Measures attained in the l2 ball
    lie in the big box, so its outer bounds enclose the l2 inner ones; measures attained in
    the small box lie in the l2 ball, so the l2 outer bounds enclose the small box's inner."""
    w = arcsine(k)
    eps = r * r
    lo, lo_in, hi_in, hi = ends(w, k, eps)
    big = moment_interval(w, k, "unit", r, "box")
    small = moment_interval(w, k, "unit", r / (math.isqrt(k - 1) + 1), "box")
    assert big.status == small.status == "certified"
    assert big.lower <= lo_in and hi_in <= big.upper
    assert lo <= small.inner_lower and small.inner_upper <= hi


def test_teacher_and_scaled_support():
    """λ̂ = 9/10, k = 3: its own m_q is inside, for q = 10 and 40; and on [-2, 2] (c_n = 4^n)
    the interval of the scaled teacher is the unit one times 2^q (same problem, rescaled data
    and tolerance: Σ (m_j - w_j)² changes, so only containment of ŵ_q is compared)."""
    lam = Fraction(9, 10)
    for q in (10, 40):
        lo, _, _, hi = ends([lam**j for j in range(3)], q, Fraction(1, 10**8))
        assert lo < lam**q < hi
    w2 = [(2 * lam) ** j for j in range(3)]
    lo, lo_in, hi_in, hi = ends(w2, 10, Fraction(1, 10**8), Fraction(2))
    assert lo <= lo_in < (2 * lam) ** 10 < hi_in <= hi


def test_sabotaged_dual_is_not_a_certificate():
    """The outer bound needs τ: y scaled by 0.999 makes P negative at the touching points, and
    the same formula without τ then falls below a value a verified measure attains."""
    k, q, s = 10, 10, 1
    d, c, eps = arcsine(k), [Fraction(1)] * k, Fraction(1, 10**6)
    start, _ = grid_socp(d, c, float(eps), q, s)
    p = polish(d, c, eps * (1 - SHRINK), q, s, start, 335)
    assert p is not None
    from theory_check.moments._kkt import _exact
    atoms = [_exact(a) for a in p.atoms]
    inner = exact_measure(atoms, [_exact(b) for b in p.weights], d, c, eps, q, s)
    assert inner is not None
    y = [_exact(v) for v in p.y]
    tgt = -Fraction(1, 10**19)
    _, outer = dual_certificate(y, d, c, eps, q, s, atoms, tgt)
    assert inner <= outer <= inner + Fraction(1, 10**14)
    bad = [Fraction(999, 1000) * v for v in y]
    assert outer_from_dual(bad, Fraction(0), d, c, eps) < inner   # would be wrong
    tau_bad, outer_bad = dual_certificate(bad, d, c, eps, q, s, atoms, tgt)
    assert tau_bad > 0 and outer_bad >= inner                      # τ repairs it


def test_infeasible_measure_is_refused():
    """exact_measure refuses a measure just outside the ball, an atom outside [-1, 1] and a
    negative weight."""
    d, c = [Fraction(1), Fraction(0)], [Fraction(1)] * 2
    assert exact_measure([Fraction(1, 1000)], [Fraction(1)], d, c, Fraction(1, 10**6), 2, 1) \
        is not None
    assert exact_measure([Fraction(1001, 10**6)], [Fraction(1)], d, c, Fraction(1, 10**6), 2, 1) \
        is None
    assert exact_measure([Fraction(3, 2)], [Fraction(1)], d, c, Fraction(1), 2, 1) is None
    assert exact_measure([Fraction(0)], [Fraction(-1)], d, c, Fraction(4), 2, 1) is None


@st.composite
def teachers(draw):
    n = draw(st.integers(1, 3))
    atoms = draw(st.lists(st.fractions(Fraction(-9, 10), Fraction(9, 10), max_denominator=20),
                          min_size=n, max_size=n, unique=True))
    weights = draw(st.lists(st.fractions(Fraction(1, 10), 1, max_denominator=20),
                            min_size=n, max_size=n))
    k = draw(st.integers(2, 8))
    q = draw(st.integers(k, k + 6))
    e = draw(st.sampled_from([Fraction(1, 10**4), Fraction(1, 10**8)]))
    return atoms, weights, k, q, e


@settings(max_examples=10, deadline=None)
@given(teachers())
def test_random_teachers(t):
    """Random small teachers: where both ends certify, inner ≤ outer and the teacher's own m_q
    lies in [lower, upper]; where one does not, it says why and gives no bound."""
    atoms, weights, k, q, eps = t
    w = atomic_moments(atoms, weights, k)
    mq = atomic_moments(atoms, weights, q + 1)[q]
    r = l2_interval(w, q, Fraction(1), eps)
    for s, tag in ((1, "upper"), (-1, "lower")):
        c = r[tag]
        if c.inner is None or c.outer is None:
            assert c.inner is None and c.outer is None and c.status != "ok"
            continue
        assert c.inner <= c.outer
        assert s * mq <= c.outer


def test_below_float_resolution_by_continuation():
    """eps = 1e-20 (radius 1e-10, below what the float SOCP resolves): reached by continuation
    from a lifted eps; certified, tight, containing ŵ_q, and nested in the eps = 1e-8 one."""
    lam = Fraction(9, 10)
    w = [lam**j for j in range(3)]
    lo, lo_in, hi_in, hi = ends(w, 10, Fraction(1, 10**20))
    big_lo, _, _, big_hi = ends(w, 10, Fraction(1, 10**8))
    assert big_lo < lo < lam**10 < hi < big_hi
    assert max(lo_in - lo, hi - hi_in) <= Fraction(1, 10**12) * (hi - lo)


def test_moment_interval_l2_default_is_certified_exactly():
    """`moment_interval(..., eps > 0)` (the l2 norm, the default) goes through the certified l2
    path: exact rational bounds, an attained value a hair inside each, containing the exact
    eps = 0 interval, and agreeing with the SDP sandwich (`method='sdp'`) to its tolerance."""
    from theory_check.moments import moment_interval
    w = [Fraction(math.comb(j, j // 2), 2**j) if j % 2 == 0 else Fraction(0) for j in range(20)]
    r = moment_interval(w, 20, "unit", 1e-6)
    assert str(r.status) == "certified" and r.solver == "kkt+flint"
    assert isinstance(r.lower, Fraction) and isinstance(r.upper, Fraction)
    assert r.lower <= r.inner_lower <= r.inner_upper <= r.upper
    assert max(r.inner_lower - r.lower, r.upper - r.inner_upper) <= 1e-12 * r.width
    exact = moment_interval(w, 20, "unit")
    assert r.lower <= exact.lower and exact.upper <= r.upper
    sdp = moment_interval(w, 20, "unit", 1e-6, method="sdp")
    tol = sdp.evidence["sandwich_tol"]   # the float sandwich's own stated tolerance
    assert abs(float(sdp.lower) - float(r.lower)) <= tol
    assert abs(float(sdp.upper) - float(r.upper)) <= tol


def test_worst_case_l2_by_the_certified_path():
    """The l2 worst case of a 2-atom teacher (k = 5, q = 15, ε = 1e-4) is certified by the KKT
    path at every j and matches the SDP sandwich's value to 1e-5 relative."""
    from theory_check.moments import worst_case_extrapolation
    wc = worst_case_extrapolation(["-1/2", "1/2"], ["1/2", "1/2"], 5, 15, 1e-4, "l2")
    assert str(wc.status) == "certified" and wc.evidence["method"] == "kkt"
    sdp = worst_case_extrapolation(["-1/2", "1/2"], ["1/2", "1/2"], 5, 15, 1e-4, "l2", method="sdp")
    assert wc.value == pytest.approx(sdp.value, rel=1e-5)
    assert wc.evidence["value_inner"] <= wc.value


def test_l2_sabotage_never_certifies_a_wrong_bound():
    """Under `moments.kkt_l2_dual_unshifted` (dual scaled by 0.999, τ dropped) the l2 KKT path's
    outer bound is not one: the exact inner/outer check rejects it, the SDP sandwich answers,
    and the reported interval still contains the exact eps = 0 interval."""
    from theory_check.selftest import load_catalogues
    w = [Fraction(math.comb(j, j // 2), 2**j) if j % 2 == 0 else Fraction(0) for j in range(10)]
    exact = moment_interval(w, 10, "unit")
    with load_catalogues()["moments.kkt_l2_dual_unshifted"].apply():
        r = moment_interval(w, 10, "unit", 1e-6)
    assert r.solver != "kkt+flint"
    assert r.lower <= exact.lower and exact.upper <= r.upper


def test_l2_time_budget_gives_no_bound():
    """A spent budget ends the l2 search with neither bound, never a partial one."""
    from theory_check.moments._kkt_l2 import certified_end_l2
    k = 20
    d = [Fraction(math.comb(j, j // 2), 2**j) if j % 2 == 0 else Fraction(0) for j in range(k)]
    c = certified_end_l2(d, [Fraction(1)] * k, Fraction(1, 10**6), k, 1, seconds=0.0)
    assert c.inner is None and c.outer is None and "time budget" in c.status


def uniform2(k):
    """Moments of the uniform law on [-2, 2]: w_j = 2^j/(j + 1) (j even), 0 (j odd)."""
    return [Fraction(2**j, j + 1) if j % 2 == 0 else Fraction(0) for j in range(k)]


@pytest.mark.parametrize("k", [20, 28])
def test_scaled_support_certified_from_the_start_at_eps(k):
    """[-2, 2] (weights c_n = 4^n, radii sqrt(eps)/2^n far below float resolution in the high
    rows), eps = 1e-6: both ends certified from the SOCP start at eps itself, pinned down to
    1e-12 of the width, containing the exact eps = 0 interval."""
    w = uniform2(k)
    r = l2_interval(w, k, Fraction(2), Fraction(1, 10**6))
    assert all("SOCP start at eps" in r[t].status for t in ("upper", "lower"))
    lo, lo_in, hi_in, hi = ends(w, k, Fraction(1, 10**6), Fraction(2), r)
    exact = moment_interval(w, k, 2)
    assert lo <= exact.lower and exact.upper <= hi
    assert max(lo_in - lo, hi - hi_in) <= Fraction(1, 10**12) * (hi - lo)
    # the attained values re-checked from scratch in m-units: atoms 2u on [-2, 2], weights ≥ 0,
    # Σ_j (m_j - w_j)² ≤ eps exactly, m_q the reported inner value
    for tag, inner in (("upper", hi_in), ("lower", lo_in)):
        xs, bs = [2 * a for a in r[tag].atoms], r[tag].weights
        assert all(abs(x) <= 2 for x in xs) and all(b >= 0 for b in bs)
        m = [sum(b * x**j for x, b in zip(xs, bs, strict=True)) for j in range(k + 1)]
        assert sum((m[j] - w[j]) ** 2 for j in range(k)) <= Fraction(1, 10**6)
        assert m[k] == inner


def test_scaled_support_agrees_with_the_sdp_sandwich():
    """[-2, 2] k = 20 at eps = 1e-6: the certified ends agree with the SDP sandwich
    (`method='sdp'`, certified there) to its own stated tolerance."""
    w = uniform2(20)
    lo, _, _, hi = ends(w, 20, Fraction(1, 10**6), Fraction(2))
    sdp = moment_interval(w, 20, 2, 1e-6, method="sdp")
    assert str(sdp.status) == "certified"
    tol = sdp.evidence["sandwich_tol"]
    assert abs(float(sdp.lower) - float(lo)) <= tol
    assert abs(float(sdp.upper) - float(hi)) <= tol


def test_scaled_support_by_capped_weights():
    """[-2, 2] k = 32 at eps = 1e-6, where the float SOCP at the full weights gives a wrong
    structure: certified by the continuation in capped weights (atoms added or split on the
    way), tight, containing the exact eps = 0 interval."""
    k = 32
    w = uniform2(k)
    r = l2_interval(w, k, Fraction(2), Fraction(1, 10**6))
    assert all("capped weights" in r[t].status for t in ("upper", "lower")), \
        (r["upper"].status, r["lower"].status)
    lo, lo_in, hi_in, hi = ends(w, k, Fraction(1, 10**6), Fraction(2), r)
    exact = moment_interval(w, k, 2)
    assert lo <= exact.lower and exact.upper <= hi
    assert max(lo_in - lo, hi - hi_in) <= Fraction(1, 10**12) * (hi - lo)


def test_split_concave_atom():
    """`_split_concave`: P = u^4 - u^2/100 (s = -1, q = 4: y = (0, 0, -1/100, 0)) has P(0) =
    P'(0) = 0 but P''(0) < 0; the atom at 0 is split into the two minima ±sqrt(1/200) of P
    (its quartic model is exact), half the weight each; a convex atom is left alone."""
    from flint import arb

    from theory_check.moments._kkt_l2 import Point, _split_concave
    y = [arb(0), arb(0), arb(-0.01), arb(0)]
    p = Point([arb(0)], [arb(1)], y, [True], prec=256)
    sp = _split_concave(p, 4, -1)
    assert sp is not None and len(sp.atoms) == 2 and all(sp.interior)
    assert [float(a) for a in sp.atoms] == pytest.approx([-math.sqrt(1 / 200), math.sqrt(1 / 200)])
    assert [float(b) for b in sp.weights] == pytest.approx([0.5, 0.5])
    convex = Point([arb(0)], [arb(1)], [arb(0), arb(0), arb(0.01), arb(0)], [True], prec=256)
    assert _split_concave(convex, 4, -1) is None
