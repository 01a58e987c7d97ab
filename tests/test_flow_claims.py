"""C11 and N4 (registered here), c2_numeric and c8_mechanism: they pass on the truth and fail on
false inputs."""

import numpy as np

from theory_check import claims
from theory_check.claims import Status
from theory_check.claims.flow import (
    C2_NUMERIC_THOROUGH,
    C8_MECHANISM_THOROUGH,
    c2_numeric,
    c8_mechanism,
)


def test_c11_passes_with_slope_near_one() -> None:
    r = claims.get("C11").verify()
    assert r.status is Status.PASS, r.reason
    assert abs(r.evidence["slope"] - 1.0) <= 0.1
    assert all(1.8 < x < 2.2 for x in r.evidence["halving_ratios"])


def test_c11_fails_outside_the_small_step_regime() -> None:
    r = claims.get("C11").verify(etas=(0.16, 0.08, 0.04, 0.02))
    assert r.status is Status.FAIL and r.counterexample is not None
    assert abs(r.evidence["slope"] - 1.0) > 0.1


def test_n4_fails_with_exact_counterexample() -> None:
    r = claims.get("N4").verify()
    assert r.status is Status.FAIL and r.as_expected
    assert r.evidence["exact_step_change"] > 0 and r.evidence["exact_identity_eta2_Q_grad"]
    assert r.evidence["gd_drift_rel"] > 1e-3  # large η, large drift
    assert r.counterexample["Q1_minus_Q0"]


def test_n4_check_passes_where_q_is_conserved() -> None:
    r = claims.get("N4").verify(student_kind="balanced")
    assert r.status is Status.PASS, r.reason


def test_c2_numeric_ladder_passes_and_contrasts_with_float() -> None:
    o = c2_numeric(np.random.default_rng(0))
    assert o.status is Status.PASS, o.reason
    ev = o.evidence
    assert ev["drift_dps30"] <= 1e-22 and ev["drift_dps50"] <= 1e-40 and ev["falling_with_dps"]
    assert ev["float64_dop853_drift"] > 1e6 * ev["drift_dps30"]
    assert {"dps_ladder", "T"} <= set(C2_NUMERIC_THOROUGH)


def test_c2_numeric_fails_for_a_quantity_that_is_not_conserved() -> None:
    o = c2_numeric(np.random.default_rng(0), quantity="B_minus_Ct", dps_ladder=(15, 30))
    assert o.status is Status.FAIL and o.counterexample is not None


def test_c8_mechanism_passes() -> None:
    o = c8_mechanism(np.random.default_rng(0))
    assert o.status is Status.PASS, o.reason
    ev = o.evidence
    assert abs(ev["measured_rate"] - ev["predicted_rate_2w0"]) <= 0.05 * ev["predicted_rate_2w0"]
    assert abs(ev["floor_slope"] - 2.0) <= 0.2
    assert ev["balanced_max_departure"] <= 1e-25 < ev["balanced_float64_departure"]
    assert "sigmas" in C8_MECHANISM_THOROUGH


def test_c8_mechanism_fails_for_a_wrong_floor_law() -> None:
    # The floor scales like σ² (conserved Q(0) = O(σ²)); claiming σ¹ must FAIL.
    o = c8_mechanism(np.random.default_rng(0), floor_slope=1.0, sigmas=(1e-2, 1e-3, 1e-4))
    assert o.status is Status.FAIL and o.counterexample["floor_slope_ok"] is False
