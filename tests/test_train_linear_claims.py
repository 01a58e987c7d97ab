"""C8, C9, N3: verdicts with default-like parameters, and each checker shown able to FAIL."""

import json

import numpy as np
import pytest

from theory_check.claims import Status, get, jsonable
from theory_check.claims.train import (
    _contrast,
    audit_linear_gradient,
    audit_students,
    c8_training,
    check_c9,
    check_n3,
    teacher_targets,
)
from theory_check.selftest import load_catalogues
from theory_check.train import linear


def _sabotage(sid):
    return load_catalogues()[sid].apply()

C8_SMALL = {"teacher_atoms": (0.9, -0.5), "teacher_weights": (1.0, 1.0), "d": 10, "k": 5,
            "init_scales": (1e-5, 1e-4, 1e-3, 1e-2), "n_seeds": 2, "steps": 6000, "fit_tol": 1e-6}


def test_c8_passes_with_rate_near_one_and_imbalance_removed():
    out = c8_training(np.random.default_rng(0), **C8_SMALL)
    assert out.status is Status.PASS, out.reason
    ev = out.evidence
    assert ev["n_violations"] == 0 and ev["gradient_audit"]["ok"]
    assert ev["gradient_audit"]["max_rel_error"] < 1e-12
    # Prototype rate α ≈ 1 for the relative measures.
    assert 0.8 < ev["alpha_B_minus_Ct"] < 1.2
    assert 0.8 < ev["alpha_A_asym"] < 1.2
    # GD removed ≥ 90% of the initial imbalance in the learned subspace at every σ ≤ 1e-2.
    assert ev["max_ratio_checked"] <= 0.1
    assert all(r < 0.05 for r in ev["median_ratio_B_minus_Ct"])
    assert all(r < 0.05 for r in ev["median_ratio_A_asym"])


def test_c8_fails_when_the_step_never_balances():
    """The symmetrised step keeps B - Cᵀ, A - Aᵀ at their init: the relative measures still
    fall like σ (α ≈ 1), but the final/initial ratio is 1 and C8 must FAIL on it."""
    with _sabotage("train.step_never_balances"):
        out = c8_training(np.random.default_rng(0), **C8_SMALL)
    assert out.status is Status.FAIL, out.reason
    assert 0.8 < out.evidence["alpha_B_minus_Ct"] < 1.2  # the old rule alone would PASS
    ce = out.counterexample
    assert ce["ratio_final_over_initial"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("sid", ["train.gradient_scaled", "train.gradient_symmetric",
                                 "train.gradient_symmetrised"])
def test_gradient_audit_catches_wrong_gradients(sid):
    assert audit_linear_gradient(np.random.default_rng(0))["ok"]
    with _sabotage(sid):
        audit = audit_linear_gradient(np.random.default_rng(0))
        out = c8_training(np.random.default_rng(0), **C8_SMALL)
    assert not audit["ok"] and audit["max_rel_error"] > 1e-3
    assert out.status is Status.INCONCLUSIVE and "finite differences" in out.reason


@pytest.mark.parametrize("sid,quantity", [("train.fit_misreported", "train_loss"),
                                          ("train.impulse_perturbed", "extrapolation_error_rel"),
                                          ("train.effective_dim_wrong", "effective_dim")])
def test_student_audit_catches_misreports(sid, quantity):
    w = teacher_targets((0.9, -0.5), None, 100)
    kw = {"d": 8, "k": 5, "init_scale": 1e-3, "seeds": [1, 2], "steps": 3000}
    assert audit_students(linear.train_linear(w, **kw), w, 5)["ok"]
    with _sabotage(sid):
        audit = audit_students(linear.train_linear(w, **kw), w, 5)
    assert not audit["ok"]
    assert {m["quantity"] for m in audit["mismatches"]} >= {quantity}


@pytest.mark.parametrize("weights", [(-1.0, -1.0), (1.0, -0.5)])
def test_c8_fails_when_teacher_is_not_a_positive_measure(weights):
    """ŵ from weights ≤ 0: B tends to -Cᵀ (or stays unbalanced) whatever σ, so C8 must FAIL."""
    out = c8_training(np.random.default_rng(0), **{**C8_SMALL, "teacher_weights": weights})
    assert out.status is Status.FAIL
    ce = out.counterexample
    assert ce is not None
    if "alpha" in ce:  # rounding-level decrease only: the fitted rate exposes it
        assert ce["alpha"] < ce["alpha_min"]
    else:
        assert not ce["value_at_small"] < ce["value_at_large"]


def test_c8_inconclusive_when_not_trained_to_the_end():
    out = c8_training(np.random.default_rng(0), **{**C8_SMALL, "steps": 20})
    assert out.status is Status.INCONCLUSIVE and "increase steps" in out.reason


def test_c8_needs_four_scales():
    with pytest.raises(ValueError, match="init_scales"):
        c8_training(np.random.default_rng(0), **{**C8_SMALL, "init_scales": (1e-3, 1e-2, 1e-1)})


C9_SMALL = {"teachers": ((0.95, -0.5),), "d": 20, "small_scale": 1e-3, "large_scale": 1.0,
            "n_seeds": 2, "steps": 20000, "fit_tol": 1e-8, "small_max_E_rel": 1e-2,
            "large_min_E_rel": 1e-1, "rank_rtol": 1e-4, "contrast_steps": 0}


def test_c9_passes_and_reports_thresholds():
    out = check_c9(np.random.default_rng(1), **C9_SMALL)
    assert out.status is Status.PASS, out.reason
    ev = out.evidence
    assert ev["max_small_E_rel"] <= 1e-2 <= 1e-1 <= ev["min_large_E_rel"]
    assert "E_rel <=" in ev["thresholds"]["small"] and ev["small_dims_equal_d_hat"]
    json.dumps(jsonable(ev))


def test_c9_fails_when_small_init_is_not_small():
    out = check_c9(np.random.default_rng(1), **{**C9_SMALL, "small_scale": 1.0})
    assert out.status is Status.FAIL
    assert out.counterexample["why"].startswith("small init")
    assert out.counterexample["extrapolation_error_rel"] > 1e-2


def test_c9_inconclusive_when_students_do_not_fit():
    out = check_c9(np.random.default_rng(1), **{**C9_SMALL, "steps": 10})
    assert out.status is Status.INCONCLUSIVE


def test_c9_refuses_underparameterized_student():
    with pytest.raises(ValueError, match="d must be >="):
        check_c9(np.random.default_rng(1), **{**C9_SMALL, "d": 1})


def test_contrast_balanced_diagonal_vs_full():
    """C6 along GD (issue 6): balanced diagonal students fit at k = 2d̂ but do not extrapolate
    (E_rel/√L_k huge), at k = 2d̂+1 the error follows the loss (amplification O(1)); full-A
    students from small init extrapolate already at k = 2d̂."""
    c = _contrast(np.random.default_rng(2), (0.9, -0.5), 20, 1e-3, 20000, 2)
    at2, at2p1, full = c["balanced_diagonal_k=2d̂"], c["balanced_diagonal_k=2d̂+1"], c["full_k=2d̂"]
    assert at2["max_train_loss"] <= 1e-10 and at2["median_E_rel"] >= 1e-2
    assert at2["median_amplification"] >= 1e3
    assert at2p1["median_amplification"] <= 10 and at2p1["median_E_rel"] < at2["median_E_rel"]
    assert full["max_train_loss"] <= 1e-10 and full["median_E_rel"] <= 1e-4


def test_n3_fails_with_counterexample():
    out = check_n3(np.random.default_rng(0), teacher_atoms=(0.9, -0.5), d=20, k=5, init_scale=1.0,
                   n_seeds=3, steps=20000, fit_tol=1e-8, extrapolation_tol=1e-2)
    assert out.status is Status.FAIL
    ce = out.counterexample
    assert ce["train_loss"] <= 1e-8 and ce["extrapolation_error_rel"] > 1e-2
    # The counterexample is checkable: its g_j beyond k differ from the teacher's.
    assert abs(ce["g_j"][-1] - ce["teacher_w_j"][-1]) > 0


def test_n3_checker_passes_when_the_statement_is_true():
    """The same checker PASSes at σ = 1e-3 (where students do extrapolate): it discriminates."""
    out = check_n3(np.random.default_rng(0), teacher_atoms=(0.9, -0.5), d=20, k=5, init_scale=1e-3,
                   n_seeds=2, steps=20000, fit_tol=1e-8, extrapolation_tol=1e-2)
    assert out.status is Status.PASS


def test_registered_claims_verify_as_expected():
    for cid in ("C8", "C9", "N3"):
        res = get(cid).verify(seed=0)
        assert res.as_expected, (cid, res.status, res.reason)
        json.dumps(res.to_json())


def test_teacher_targets_are_moments():
    w = teacher_targets((0.5, -1.0), (2.0, 1.0), 4)
    np.testing.assert_allclose(w, [3.0, 0.0, 1.5, -0.75])
    with pytest.raises(ValueError, match="teacher_weights"):
        teacher_targets((0.5,), (1.0, 2.0), 3)


@pytest.mark.slow
def test_thorough_claims():
    for cid in ("C8", "C9", "N3"):
        res = get(cid).verify(thorough=True, seed=0)
        assert res.as_expected, (cid, res.status, res.reason)
