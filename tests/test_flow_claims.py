"""C11 and N4 (registered here), c2_numeric and c8_mechanism: they pass on the truth, fail on
false inputs, and turn INCONCLUSIVE when the engine they rest on is not doing what they assume."""

import numpy as np
import pytest

from theory_check import claims
from theory_check.claims import Status
from theory_check.claims.flow import _endpoint_gap, _gd_engine_check, c2_numeric, c8_mechanism
from theory_check.flow import integrate
from theory_check.model import balanced_teacher, random_student

TEACHER = balanced_teacher([0.9, -0.5], [1.0, 1.0])


def test_c11_passes_with_slope_near_one() -> None:
    r = claims.get("C11").verify()
    assert r.status is Status.PASS, r.reason
    assert abs(r.evidence["slope"] - 1.0) <= 0.1
    assert all(1.8 < x < 2.2 for x in r.evidence["halving_ratios"])
    # the drift per unit η is the O(1) integral η∫Q(∇L)dt: nearly the same number at every η
    ratio = r.evidence["drift_over_eta"]
    assert np.max(ratio) / np.min(ratio) < 1.2
    assert r.evidence["gd_engine_step_error"] <= 1e-14


def test_c11_fails_outside_the_small_step_regime() -> None:
    r = claims.get("C11").verify(etas=(0.16, 0.08, 0.04, 0.02))
    assert r.status is Status.FAIL and r.counterexample is not None
    assert abs(r.evidence["slope"] - 1.0) > 0.1


def test_c11_refuses_step_sizes_it_cannot_use() -> None:
    with pytest.raises(ValueError, match="etas"):
        claims.get("C11").verify(etas=(0.1, 0.05, 0.02, 5.0))


def test_gd_engine_check_measures_a_wrong_step() -> None:
    from theory_check.selftest import flow as sabotages

    s = random_student(3, 0.5, 0)
    w = TEACHER.impulse_response(4)
    err, dq_err, tr = _gd_engine_check(s, w, 0.05, "full", 3)
    assert err < 1e-14 and dq_err < 1e-14 and len(tr.states) == 4
    with sabotages.gd_step_size():  # steps of 1.125·η
        err_wrong, dq_wrong, _ = _gd_engine_check(s, w, 0.05, "full", 3)
    assert err_wrong > 1e-4 and dq_wrong > 1e-6


def test_n4_fails_with_exact_counterexample() -> None:
    r = claims.get("N4").verify()
    assert r.status is Status.FAIL and r.as_expected
    ev = r.evidence
    assert ev["exact_step_change"] > 0 and ev["exact_identity_eta2_Q_grad"] is True
    assert ev["gradient_check_max_error"] == 0 and ev["gradient_check_tolerance"] == 0
    assert ev["gd_steps_rederived"] == 5 and ev["gd_step_dQ_vs_eta2_Q_grad_error"] < 1e-14
    assert ev["gd_drift_rel"] > 1e-3  # large η, large drift
    assert r.counterexample["Q1_minus_Q0"]


def test_n4_check_passes_where_q_is_conserved() -> None:
    r = claims.get("N4").verify(student_kind="balanced")
    assert r.status is Status.PASS, r.reason
    assert r.evidence["exact_step_change"] == 0 and r.evidence["gd_drift_rel"] <= 1e-10


def test_c2_numeric_ladder_passes_and_contrasts_with_float() -> None:
    o = c2_numeric(np.random.default_rng(0))
    assert o.status is Status.PASS, o.reason
    ev = o.evidence
    assert ev["drift_dps30"] <= 1e-22 and ev["drift_dps50"] <= 1e-40 and ev["falling_with_dps"]
    assert ev["float64_dop853_drift"] > 1e6 * ev["drift_dps30"]
    assert ev["taylor_vs_dop853_endpoint_gap"] < 1e-10


def test_c2_numeric_fails_for_a_quantity_that_is_not_conserved() -> None:
    o = c2_numeric(np.random.default_rng(0), quantity="B_minus_Ct", dps_ladder=(15, 30))
    assert o.status is Status.FAIL and o.counterexample is not None
    assert o.counterexample["drift"] > 1e-6  # O(1) change, not a rounding effect


def test_endpoint_gap_sees_a_different_time() -> None:
    s = random_student(2, 0.5, 0)
    a = integrate(s, TEACHER, 3, 1.0, dps=15)
    b = integrate(s, TEACHER, 3, 1.0, method="dop853")
    c = integrate(s, TEACHER, 3, 1.1, method="dop853")
    assert _endpoint_gap(a, b) < 1e-10 < 1e-3 < _endpoint_gap(a, c)


def test_c8_mechanism_passes() -> None:
    o = c8_mechanism(np.random.default_rng(0))
    assert o.status is Status.PASS, o.reason
    ev = o.evidence
    assert abs(ev["measured_rate"] - ev["predicted_rate_2w0"]) <= 0.05 * ev["predicted_rate_2w0"]
    assert abs(ev["floor_slope"] - 2.0) <= 0.2
    assert ev["balanced_max_departure"] <= 1e-25 < ev["balanced_float64_departure"]
    # floors fall by ~100× per decade of σ (∝ σ²)
    floors = ev["floors"]
    assert np.all(floors[1:] < floors[:-1] / 50)


def test_c8_mechanism_fails_for_a_wrong_floor_law() -> None:
    # The floor scales like σ² (conserved Q(0) = O(σ²)); claiming σ¹ must FAIL.
    o = c8_mechanism(np.random.default_rng(0), floor_slope=1.0, sigmas=(1e-2, 1e-3, 1e-4))
    assert o.status is Status.FAIL and o.counterexample["floor_slope_ok"] is False
