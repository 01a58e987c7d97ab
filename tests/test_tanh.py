"""tanh RNN students: BPTT gradients against finite differences, metrics, GD, divergence, claim C10."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory_check.claims import Status, get
from theory_check.model import balanced_teacher
from theory_check.train.tanh import (
    TanhRNN,
    hidden_state_dim,
    tanh_gradients,
    tanh_loss,
    teacher_outputs,
    train_tanh,
)

LINEAR_KEYS = {"seed", "status", "train_loss", "extrapolation_error", "extrapolation_error_rel",
               "horizon", "B_minus_Ct_rel", "A_asym_rel", "effective_dim", "learned_atoms",
               "learned_weights", "steps"}


def _params(seed: int, S: int = 2, d: int = 4, scale: float = 0.7):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((S, d, d)), rng.standard_normal((S, d)),
            rng.standard_normal((S, d)), 0.2 * rng.standard_normal((S, d)), rng.standard_normal(S))


@given(seed=st.integers(0, 10_000), k=st.integers(1, 5), d=st.integers(1, 5))
def test_bptt_gradient_matches_central_differences(seed, k, d) -> None:
    params = _params(seed, d=d)
    rng = np.random.default_rng(seed + 1)
    X, y = rng.standard_normal((6, k)), rng.standard_normal(6)
    _, grads = tanh_gradients(*params, X, y)
    h = 1e-6
    for P, G in zip(params, grads):
        num = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h
            up = tanh_loss(*params, X, y)
            P[idx] = old - h
            down = tanh_loss(*params, X, y)
            P[idx] = old
            num[idx] = (up[idx[0]] - down[idx[0]]) / (2 * h)
        # Central differences are O(h²) ≈ 1e-12 accurate; rounding in L/h adds ~1e-10.
        np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-8)


def test_gradient_check_detects_a_wrong_gradient() -> None:
    """The finite-difference comparison is sharp: a 1e-4 relative error in dW is caught."""
    params = _params(3)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    _, (dW, *_rest) = tanh_gradients(*params, X, y)
    W = params[0]
    old = W[0, 1, 2]
    W[0, 1, 2] = old + 1e-6
    up = tanh_loss(*params, X, y)[0]
    W[0, 1, 2] = old - 1e-6
    down = tanh_loss(*params, X, y)[0]
    W[0, 1, 2] = old
    num = (up - down) / 2e-6
    assert abs(dW[0, 1, 2]) > 1e-2
    assert abs(num - dW[0, 1, 2]) <= 1e-6 * max(1.0, abs(num))
    assert abs(num - dW[0, 1, 2] * (1 + 1e-4)) > 1e-6 * max(1.0, abs(num))


def test_tanh_rnn_outputs_match_a_plain_loop() -> None:
    W, U, C, b, c = (p[0] for p in _params(7, S=1, d=3))
    net = TanhRNN(W, U, C, b, float(c))
    X = np.random.default_rng(8).standard_normal((4, 6))
    out = net.outputs(X)
    for n in range(4):
        h = np.zeros(3)
        for t in range(6):
            h = np.tanh(W @ h + U * X[n, t] + b)
            assert out[n, t] == pytest.approx(C @ h + c, rel=1e-12, abs=1e-14)


def test_linear_teacher_outputs_are_the_convolution_with_markov_parameters() -> None:
    teacher = balanced_teacher([0.9, -0.5], [1.0, 2.0])
    X = np.random.default_rng(0).standard_normal((5, 12))
    g = teacher.impulse_response(12)
    expect = np.array([[sum(g[t - s] * X[n, s] for s in range(t + 1)) for t in range(12)]
                       for n in range(5)])
    np.testing.assert_allclose(teacher_outputs(teacher, X), expect, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("r", [1, 2, 5])
def test_participation_ratio_and_rank_count_equal_directions(r) -> None:
    rng = np.random.default_rng(r)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    coeffs = rng.choice([-1.0, 1.0], size=(4000, r))  # balanced ±1: equal variance per direction
    H = coeffs @ Q[:, :r].T
    pr, rank, sv = hidden_state_dim(H)
    assert pr == pytest.approx(r, rel=0.02)
    assert rank == r
    assert sv.shape == (8,) and np.all(np.diff(sv) <= 1e-9)


def test_gd_lowers_the_loss_and_small_init_stays_low_dimensional() -> None:
    teacher = balanced_teacher([0.8])
    calls = []
    res = train_tanh(teacher, d=6, k=4, init_scale=0.1, seeds=[0, 5], n_train=64, steps=300,
                     lr=0.1, horizon=30, n_test=32, record_every=50,
                     progress=lambda step, n: calls.append((step, n)))
    assert calls[0] == (0, 2) and calls[-1] == (300, 2) and len(calls) == 101
    hist = res.loss_history
    assert hist.shape == (7, 2) and res.history_steps.tolist() == [0, 50, 100, 150, 200, 250, 300]
    assert np.all(hist[-1] < 0.5 * hist[0])
    for s in res.students:
        assert s.status == "max_steps" and s.steps == 300
        assert s.participation_ratio < 1.5
        assert set(s.to_json()) >= LINEAR_KEYS
    assert [s.seed for s in res.students] == [0, 5]
    assert res.models[0] is not None and res.models[0].d == 6


def test_loss_tolerance_stops_a_student() -> None:
    res = train_tanh(balanced_teacher([0.5]), d=3, k=2, init_scale=0.1, seeds=1, n_train=16,
                     steps=50, loss_tol=10.0, horizon=5, n_test=4)
    assert res.students[0].status == "converged" and res.students[0].steps == 0


def test_divergence_is_marked_with_its_step_not_a_crash() -> None:
    res = train_tanh(balanced_teacher([0.9]), d=4, k=3, init_scale=1.0, seeds=2, n_train=32,
                     steps=200, lr=1e9, clip=0.0, horizon=10, n_test=8)
    for s in res.students:
        assert s.status == "diverged"
        assert s.diverged_at is not None and 0 < s.diverged_at <= 200
        out = s.to_json()
        assert out["status"] == "diverged"
        json.dumps(out, allow_nan=False)  # non-finite numbers are explicit strings, never NaN


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"init_scale": -1.0}, "init_scale"), ({"k": 0}, "k must be"), ({"steps": -1}, "steps"),
     ({"lr": 0.0}, "lr"), ({"seeds": 0}, "seeds"), ({"input_std": 0.0}, "input_std")],
)
def test_bad_input_names_the_parameter(kwargs, message) -> None:
    args = {"d": 3, "k": 2, "init_scale": 0.1, "steps": 1, "n_train": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        train_tanh(balanced_teacher([0.5]), **args)


def test_c10_passes_with_default_parameters() -> None:
    r = get("C10").verify()
    assert r.status is Status.PASS, r.reason
    ev = r.evidence
    assert ev["small.max_rel_error"] <= ev["threshold.extrapolation_tol"]
    assert ev["large.min_rel_error"] >= ev["threshold.failure_threshold"]
    assert ev["small.max_participation_ratio"] <= ev["threshold.small_participation_ratio_max"]
    # The λ̂ = 1 limitation is reported with its number.
    assert "limit.rel_error" in ev and np.isfinite(ev["limit.rel_error"])


def test_c10_fails_when_the_small_init_is_not_small() -> None:
    r = get("C10").verify(small_scale=2.0, limit_atom=None, steps=400)
    assert r.status is Status.FAIL
    assert "small init extrapolates" in r.counterexample["failed_checks"]


def test_a_tanh_teacher_is_learned_from_small_init_not_from_large() -> None:
    """The non-linear one-state teacher h_t = tanh(0.9 h_{t-1} + x_t), y = h_k (issue 6)."""
    teacher = TanhRNN([[0.9]], [1.0], [1.0])
    opts = {"d": 12, "k": 8, "seeds": 2, "n_train": 100, "steps": 800, "lr": 0.1, "horizon": 60,
            "n_test": 50}
    small = train_tanh(teacher, init_scale=0.1, **opts).students
    large = train_tanh(teacher, init_scale=2.0, **opts).students
    assert max(s.extrapolation_error_rel for s in small) < 0.2
    assert max(s.participation_ratio for s in small) < 1.2
    assert min(s.extrapolation_error_rel for s in large) > 2 * max(s.extrapolation_error_rel
                                                                   for s in small)
    assert teacher_outputs(teacher, np.zeros((1, 5))).tolist() == [[0.0] * 5]


def test_c10_audits_bptt_against_high_precision_differences() -> None:
    """The in-claim audit agrees with BPTT to rounding and catches a 10% error in ∂L/∂W;
    C10 is then INCONCLUSIVE naming the numbers instead of training on a wrong gradient."""
    from theory_check.claims.nonlinear import audit_tanh_gradient
    from theory_check.selftest import load_catalogues

    ok = audit_tanh_gradient(np.random.default_rng(0))
    assert ok["ok"] and ok["max_rel_error"] < 1e-12
    with load_catalogues()["train.tanh_bptt_off"].apply():
        bad = audit_tanh_gradient(np.random.default_rng(0))
        res = get("C10").verify(seed=0)
    assert not bad["ok"] and bad["max_rel_error"] > 1e-3
    assert res.status is Status.INCONCLUSIVE and "finite differences" in res.reason
