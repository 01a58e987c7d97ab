"""Boundary data (teachers whose moments lie on the boundary of the moment cone) at radii far
below float resolution, and the SDP sandwich's refusals: the certified paths and their
honesty, checked against closed forms and against each other."""

from fractions import Fraction as F

import numpy as np
import pytest

from theory_check.moments import _api, moment_interval, worst_case_extrapolation
from theory_check.moments._lp import _float_minima
from theory_check.moments._sdp import build_program


def test_float_minima_see_a_minimum_in_the_last_fine_grid_cell():
    """P = (1 + u)(u - t)² with t = 1 - 1e-5: its minimum lies between the last fine-grid point
    and 1, where comparing neighbours cannot see it."""
    t = 1 - 1e-5
    y = np.array([t * t, t * t - 2 * t, 1 - 2 * t])  # P = Σ y_n u^n + u³ (s = -1, q = 3)
    minima, least = _float_minima("monomial", y, 3, -1)
    assert np.min(np.abs(minima - t)) < 1e-12
    assert abs(least) < 1e-12  # P(t) = 0: the least value is the touching point's


@pytest.mark.parametrize("delta", [1e-8, 1e-30])
def test_boundary_teacher_least_moment_is_the_closed_form(delta):
    """λ̂ = 1 (data 1, 1, 1 within δ): the least m_j (j even) is attained by one atom at
    t = √((1-δ)/(1+δ)) of weight 1 + δ, m_j = (1+δ)^(1-j/2) (1-δ)^(j/2): the certified interval
    contains it and its lower end is that value to 1e-6 of the width; the upper end is 1 + δ."""
    d = F(delta)
    for j in (4, 40):
        r = moment_interval([F(1)] * 3, j, "unit", delta, "box")
        assert r.status == "certified" and r.evidence["method"] == "kkt"
        closed = (1 + d) ** (1 - j // 2) * (1 - d) ** (j // 2)  # a feasible measure's m_j
        assert r.lower <= closed <= r.inner_upper
        assert closed - r.lower <= F(1, 10**6) * r.width
        assert r.lower <= r.inner_lower and r.inner_upper <= r.upper
        assert r.inner_upper == 1 + d or r.upper - (1 + d) <= F(1, 10**6) * r.width


def test_interior_atoms_at_high_degree_certified_at_1e_30():
    """±1/2 (k = 5) at box radius 1e-30: the least m_q for q = 50 … 80 (u^q ≤ 2^-50 at the
    atoms, invisible to a float LP) is certified by the interior-point LP, both ends around
    the teacher's own moment."""
    w = [F(1, 2) ** j if j % 2 == 0 else F(0) for j in range(5)]
    for q in (50, 64):
        r = moment_interval(w, q, "unit", 1e-30, "box")
        assert r.status == "certified" and r.evidence["method"] == "kkt"
        assert r.lower <= F(1, 2) ** q <= r.upper
        assert r.inner_lower - r.lower <= F(1, 10**6) * r.width


def test_sandwich_refuses_a_grid_measure_outside_the_data_tolerance():
    """At box radius 1e-30 the float grid LP's measure misses the rows by ~1e-9: it bounds
    nothing, and the sandwich must not call the interval certified (before, it did, and the
    worst case of ±1/2 at q = 80 came out 2.7e-8 'certified' below an attained 5e-8)."""
    w = [F(1, 2) ** j if j % 2 == 0 else F(0) for j in range(5)]
    prog = build_program(w, 52, F(1), 1e-30, "box", "chebyshev")
    r = _api._sandwich(prog, w, 52, "CLARABEL", {"support": "[-1, 1]"})
    assert r.status != "certified"
    assert "misses the data" in r.evidence["reason"] or "optimal_inaccurate" in r.evidence["reason"]


def test_sandwich_refuses_an_inaccurate_solve(monkeypatch):
    """A solve reported 'optimal_inaccurate' is not a bound, whatever its values."""
    w = [F(1), F(0), F(1, 3)]
    prog = build_program(w, 4, F(1), 1e-3, "box", "chebyshev")
    assert _api._sandwich(prog, w, 4, "CLARABEL", {"support": "[-1, 1]"}).status == "certified"
    real = _api.solve_sdp

    def inaccurate(*args, **kwargs):
        out = real(*args, **kwargs)
        return {**out, "status": "optimal_inaccurate"}

    monkeypatch.setattr(_api, "solve_sdp", inaccurate)
    r = _api._sandwich(prog, w, 4, "CLARABEL", {"support": "[-1, 1]"})
    assert r.status != "certified" and "optimal_inaccurate" in r.evidence["reason"]


@pytest.mark.slow
def test_worst_case_at_1e_30_to_q_80_is_certified_and_consistent():
    """±1/2, k = 5, δ = 1e-30, q = 80: every j certified by the exact path (no SDP fallback),
    the proved bound at least the attained value and within 1e-6 of it (25/9·δ)."""
    wc = worst_case_extrapolation(("-1/2", "1/2"), ("1/2", "1/2"), 5, 80, 1e-30, "box")
    assert wc.status == "certified" and wc.evidence["sdp_fallbacks"] == 0
    assert wc.evidence["value_inner"] <= wc.value <= wc.evidence["value_inner"] * (1 + 1e-6)
    assert abs(wc.value / 1e-30 - 25 / 9) < 1e-3


def test_worst_case_at_1e_30_past_q_50_is_certified():
    """As above to q = 54 (the float LP fails from q = 50 on): certified, no SDP fallback."""
    wc = worst_case_extrapolation(("-1/2", "1/2"), ("1/2", "1/2"), 5, 54, 1e-30, "box")
    assert wc.status == "certified" and wc.evidence["sdp_fallbacks"] == 0
    assert wc.evidence["value_inner"] <= wc.value <= wc.evidence["value_inner"] * (1 + 1e-6)


def test_boundary_teacher_worst_case_grows_like_q():
    """λ̂ = 1, k = 3: the certified worst case at δ = 1e-30 is (q - 1)·δ (the closed form of
    the least m_q above), q = 20 and 40: no bound uniform in q."""
    for q in (20, 40):
        wc = worst_case_extrapolation(("1",), ("1",), 3, q, 1e-30, "box")
        assert wc.status == "certified" and wc.evidence["sdp_fallbacks"] == 0
        assert abs(wc.value / 1e-30 - (q - 1)) < 1e-6 * q
