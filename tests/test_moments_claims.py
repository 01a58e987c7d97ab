"""C6, C7, N1, N5: verdicts with default parameters, and each checker shown able to give the other verdict."""

from __future__ import annotations

from theory_check import claims
from theory_check.claims import Status


def test_c6_passes_and_fails_on_a_false_threshold():
    assert claims.get("C6").verify().status is Status.PASS
    bad = claims.get("C6").verify(offset=0, n_teachers=2)  # predicts k = 2d̂ suffices
    assert bad.status is Status.FAIL and bad.counterexample is not None


def test_n1_fails_with_counterexample_and_passes_when_true():
    r = claims.get("N1").verify()
    assert r.status is Status.FAIL and r.as_expected
    c = r.counterexample
    assert c["student_L_k"] < 1e-20 and c["student_E_q_relative"] > 1e-3
    # teachers with all atoms at ±1 have index d̂/2: k = 2d̂ does identify them
    assert claims.get("N1").verify(teachers="boundary").status is Status.PASS


def test_c7_passes_and_fails_when_the_rate_demanded_is_false():
    r = claims.get("C7").verify()
    assert r.status is Status.PASS
    assert 0.8 < r.evidence["alpha"] < 1.2  # α = 1 observed (prototype and here)
    bad = claims.get("C7").verify(alpha_min=3.0, deltas=(1e-2, 1e-3))
    assert bad.status is Status.FAIL


def test_n5_fails_with_exact_counterexample_and_passes_under_spectral_constraint():
    r = claims.get("N5").verify()
    assert r.status is Status.FAIL and r.as_expected
    assert r.evidence["max_train_error_over_delta"] <= 1
    c = r.counterexample
    assert c["g_q_minus_w_q"] == c["predicted_g_q_shift"]  # exact rational recomputation
    ok = claims.get("N5").verify(y_values=("1/2", "-9/10"))
    assert ok.status is Status.PASS
