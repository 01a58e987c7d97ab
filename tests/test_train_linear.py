"""Batched GD for linear RNN students: gradients, statuses, divergence, metrics, bad input."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory_check import LinearRNN, balanced_teacher, loss_gradient, random_student
from theory_check.strategies import balanced_teachers, students
from theory_check.train import LinearTrainResult, default_lr, train_linear
from theory_check.train.linear import batched_impulse_response, batched_loss_gradient

JSON_KEYS = {"seed", "status", "train_loss", "extrapolation_error", "extrapolation_error_rel",
             "horizon", "B_minus_Ct_rel", "A_asym_rel", "effective_dim", "learned_atoms",
             "learned_weights", "steps"}


@given(st.lists(students(max_dim=5), min_size=1, max_size=4), st.integers(1, 8),
       st.integers(0, 2**32 - 1))
def test_batched_gradient_matches_single_student_reference(batch, k, seed):
    """Each student's batched (L, ∇A, ∇B, ∇C) equals `model.loss_gradient` on that student alone."""
    d = min(s.d for s in batch)
    batch = [LinearRNN(s.A[:d, :d], s.B[:d], s.C[:, :d]) for s in batch]
    w = np.random.default_rng(seed).standard_normal(k)
    A = np.stack([s.A for s in batch])
    B = np.stack([s.B[:, 0] for s in batch])
    C = np.stack([s.C[0] for s in batch])
    L, dA, dB, dC = batched_loss_gradient(A, B, C, w)
    La, dAd, dBd, dCd = batched_loss_gradient(np.diagonal(A, axis1=1, axis2=2).copy(), B, C, w,
                                              diagonal=True)
    for s, st_ in enumerate(batch):
        rA, rB, rC = loss_gradient(st_.A, st_.B, st_.C, w)
        np.testing.assert_allclose(L[s], st_.loss(w, k), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(dA[s], rA, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dB[s], rB[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dC[s], rC[0], rtol=1e-10, atol=1e-12)
        Ad = np.diag(np.diag(st_.A))
        qA, qB, qC = loss_gradient(Ad, st_.B, st_.C, w)
        np.testing.assert_allclose(La[s], LinearRNN(Ad, st_.B, st_.C).loss(w, k), rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_allclose(dAd[s], np.diag(qA), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dBd[s], qB[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dCd[s], qC[0], rtol=1e-10, atol=1e-12)


def test_batched_gradient_matches_central_differences():
    """∇A, ∇B, ∇C agree with central differences of L (step 1e-6, tolerance 1e-6 relative)."""
    rng = np.random.default_rng(3)
    S, d, k = 3, 4, 6
    A = 0.4 * rng.standard_normal((S, d, d))
    B, C = rng.standard_normal((S, d)), rng.standard_normal((S, d))
    w = rng.standard_normal(k)
    _, dA, dB, dC = batched_loss_gradient(A, B, C, w)
    h = 1e-6
    for arr, grad in ((A, dA), (B, dB), (C, dC)):
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape[1:]):
            for sign in (1, -1):
                arr[(slice(None), *idx)] += sign * h
                fd[(slice(None), *idx)] += sign * batched_loss_gradient(A, B, C, w)[0] / (2 * h)
                arr[(slice(None), *idx)] -= sign * h
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def test_impulse_response_batched_equals_model():
    studs = [random_student(5, 0.9, s) for s in range(3)]
    g = batched_impulse_response(np.stack([s.A for s in studs]), np.stack([s.B[:, 0] for s in studs]),
                                 np.stack([s.C[0] for s in studs]), 30)
    for s, st_ in enumerate(studs):
        np.testing.assert_allclose(g[s], st_.impulse_response(30), rtol=1e-12, atol=1e-15)


def test_default_lr_equals_trace_of_gauss_newton_hessian_by_finite_differences():
    """λ = tr(2JᵀJ), J by central differences of g_0..g_{k-1} in the teacher's (A, B, C)."""
    t = balanced_teacher([0.9, -0.5, 0.3], [1.0, 0.5, 2.0])
    k = 7
    theta = np.concatenate([t.A.ravel(), t.B.ravel(), t.C.ravel()])
    d = t.d

    def g(th):
        return LinearRNN(th[:d * d].reshape(d, d), th[d * d:d * d + d, None],
                         th[None, d * d + d:]).impulse_response(k)

    J = np.stack([(g(theta + 1e-6 * e) - g(theta - 1e-6 * e)) / 2e-6 for e in np.eye(theta.size)])
    lam = 2 * np.sum(J**2)
    assert default_lr(t, k) == pytest.approx(min(1e-2, 0.5 / lam), rel=1e-6)
    # A targets sequence gives the same λ up to the realization (balanced, so the same here).
    assert default_lr(t.impulse_response(40), k) == pytest.approx(default_lr(t, k), rel=1e-6)
    # A large teacher forces a small step: λ grows like β̂².
    assert default_lr(balanced_teacher([0.5], [100.0]), 3) < 1e-3


def test_small_init_converges_and_extrapolates_large_init_does_not():
    t = balanced_teacher([0.9, -0.5])
    small = train_linear(t, d=20, k=5, init_scale=1e-3, seeds=[0, 1], steps=5000)
    large = train_linear(t, d=20, k=5, init_scale=1.0, seeds=[0, 1], steps=5000)
    for m in small.students:
        assert m.status == "converged" and m.train_loss <= 1e-12
        assert m.extrapolation_error_rel < 1e-4 and m.effective_dim == 2
        np.testing.assert_allclose(np.sort(np.real(m.learned_atoms)), [-0.5, 0.9], atol=1e-4)
        np.testing.assert_allclose(np.real(m.learned_weights), [1.0, 1.0], atol=1e-3)
    for m in large.students:
        assert m.status == "converged" and m.train_loss <= 1e-12
        assert m.extrapolation_error_rel > 1e-2 and m.effective_dim > 2


def test_batch_equals_students_trained_alone():
    t = balanced_teacher([0.8])
    kw = {"d": 8, "k": 4, "init_scale": 0.1, "steps": 300, "loss_tol": 0.0}
    both = train_linear(t, seeds=[5, 9], **kw)
    for m in both.students:
        alone = train_linear(t, seeds=[m.seed], **kw).students[0]
        np.testing.assert_allclose(m.student.A, alone.student.A, rtol=1e-12, atol=1e-15)
        assert m.train_loss == pytest.approx(alone.train_loss, rel=1e-10)


def test_divergence_marks_student_and_others_continue():
    """At η = 0.08 from σ = 1 some students blow up; they are marked, the rest train on."""
    t = balanced_teacher([0.9, -0.5])
    res = train_linear(t, d=10, k=5, init_scale=1.0, seeds=range(8), steps=500, lr=0.08)
    status = [m.status for m in res.students]
    assert "diverged" in status and any(s != "diverged" for s in status)
    for m in res.students:
        js = m.to_json()
        text = json.dumps(js)
        assert "NaN" not in text
        if m.status == "diverged":
            assert m.steps < 500 and js["extrapolation_error"] is None and js["effective_dim"] is None
        else:
            assert m.steps == 500 or m.status == "converged"
            assert np.isfinite(m.train_loss) and np.isfinite(m.extrapolation_error)


@pytest.mark.parametrize("param", ["full", "diagonal", "balanced", "balanced_diagonal"])
def test_parameterizations_keep_their_structure(param):
    t = balanced_teacher([0.7, -0.3])
    res = train_linear(t, d=6, k=5, init_scale=0.5, seeds=[0, 1], steps=200, loss_tol=0.0, param=param)
    for m in res.students:
        A = m.student.A
        if param in ("diagonal", "balanced_diagonal"):
            assert np.all(A == np.diag(np.diag(A)))
        if param in ("balanced", "balanced_diagonal"):
            assert np.all(A == A.T) and np.all(m.student.B[:, 0] == m.student.C[0])
            assert m.B_minus_Ct_rel == 0.0 and m.A_asym_rel == 0.0
        if param == "full":
            assert m.A_asym_rel > 0


def test_json_keys_history_and_settings():
    t = balanced_teacher([0.9])
    res = train_linear(t, d=5, k=3, init_scale=0.01, seeds=[0, 1, 2], steps=400, record_every=50,
                       loss_tol=0.0)
    assert isinstance(res, LinearTrainResult)
    for m in res.students:
        js = m.to_json()
        assert set(js) == JSON_KEYS
        json.dumps(js)
        assert js["status"] == "max_steps" and js["steps"] == 400 and js["horizon"] == 100
    h = res.history
    assert h is not None and h.steps.tolist() == list(range(0, 401, 50))
    assert h.loss.shape == h.B_minus_Ct_rel.shape == h.A_asym_rel.shape == (9, 3)
    assert np.all(h.loss[-1] < h.loss[0])
    np.testing.assert_allclose(h.loss[-1], [m.train_loss for m in res.students], rtol=1e-12)
    assert res.settings["lr"] == default_lr(t, 3) and res.settings["param"] == "full"


def test_targets_sequence_same_as_teacher():
    t = balanced_teacher([0.6, -0.2])
    a = train_linear(t, d=4, k=5, init_scale=0.1, seeds=[0], steps=100, horizon=60)
    b = train_linear(t.impulse_response(60), d=4, k=5, init_scale=0.1, seeds=[0], steps=100,
                     lr=a.settings["lr"])
    assert a.students[0].to_json() == b.students[0].to_json()


def test_converges_at_loss_tol_and_reports_step():
    t = balanced_teacher([0.5])
    res = train_linear(t, d=3, k=3, init_scale=0.1, seeds=[0], steps=100000, loss_tol=1e-8)
    m = res.students[0]
    assert m.status == "converged" and m.train_loss <= 1e-8 and 0 < m.steps < 100000


@given(balanced_teachers(max_dim=2))
def test_gd_decreases_loss_from_small_init(teacher):
    res = train_linear(teacher, d=6, k=2 * teacher.d + 1, init_scale=1e-2, seeds=[0], steps=100,
                       record_every=100, loss_tol=0.0)
    h = res.history
    assert res.students[0].status != "diverged"
    assert h.loss[-1, 0] < h.loss[0, 0]


@pytest.mark.parametrize(("kw", "name"), [
    ({"init_scale": -1.0}, "init_scale"), ({"lr": 0.0}, "lr"), ({"lr": -0.1}, "lr"),
    ({"steps": -1}, "steps"), ({"k": 0}, "k"), ({"d": 0}, "d"), ({"param": "dense"}, "param"),
    ({"seeds": []}, "seeds"), ({"seeds": [-1]}, "seeds"), ({"loss_tol": -1.0}, "loss_tol"),
    ({"record_every": -5}, "record_every"), ({"horizon": 0}, "horizon"),
])
def test_bad_input_names_parameter(kw, name):
    args = {"d": 4, "k": 3, "init_scale": 0.1, "seeds": [0], "steps": 5, **kw}
    with pytest.raises(ValueError, match=name):
        train_linear(balanced_teacher([0.5]), **args)


def test_bad_targets():
    with pytest.raises(ValueError, match="teacher"):
        train_linear([1.0, 0.5], d=4, k=3, init_scale=0.1, seeds=[0])
    with pytest.raises(ValueError, match="horizon"):
        train_linear([1.0, 0.5, 0.25], d=4, k=3, init_scale=0.1, seeds=[0], horizon=10)


@pytest.mark.parametrize(("init", "tie0"), [("balanced", 0.0), ("unbalanced", 2.0)])
def test_init_options_start_where_they_say(init, tie0):
    res = train_linear(balanced_teacher([0.8]), d=5, k=3, init_scale=0.3, seeds=[0, 1], steps=10,
                       record_every=5, init=init, loss_tol=0.0)
    np.testing.assert_allclose(res.history.B_minus_Ct_rel[0], tie0, atol=1e-15)
    if init == "balanced":
        np.testing.assert_allclose(res.history.A_asym_rel[0], 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="init"):
        train_linear(balanced_teacher([0.8]), d=5, k=3, init_scale=0.3, seeds=[0], init="zero")
    with pytest.raises(ValueError, match="init='unbalanced'"):
        train_linear(balanced_teacher([0.8]), d=5, k=3, init_scale=0.3, seeds=[0],
                     init="unbalanced", param="balanced")


def test_progress_callback_sees_steps_in_order():
    seen = []
    train_linear(balanced_teacher([0.8]), d=4, k=3, init_scale=0.1, seeds=[0, 1], steps=200,
                 loss_tol=0.0, progress=lambda step, active: seen.append((step, active)))
    steps = [s for s, _ in seen]
    assert steps[0] == 0 and steps == sorted(steps) and steps[-1] <= 200 and len(steps) >= 100
    assert all(a == 2 for _, a in seen)


def test_all_students_diverging_is_reported_not_raised():
    res = train_linear(balanced_teacher([0.9]), d=6, k=4, init_scale=1.0, seeds=[0, 1, 2], steps=200,
                       lr=10.0, record_every=10)
    for m in res.students:
        assert m.status == "diverged" and m.steps < 200
        assert not np.isnan(m.train_loss) and m.train_loss > 1.0
        assert "nan" not in json.dumps(m.to_json()).lower()
    assert not np.any(np.isnan(res.history.loss))


def test_balanced_param_is_unconstrained_gd_from_a_balanced_init():
    """C4 in practice: the projected step of `param="balanced"` equals the plain full-GD step from
    the same balanced init (over a short run, before rounding errors can grow)."""
    kw = {"d": 6, "k": 5, "init_scale": 0.5, "seeds": [3, 4], "steps": 50, "loss_tol": 0.0}
    t = balanced_teacher([0.9, -0.4])
    tied = train_linear(t, param="balanced", **kw)
    free = train_linear(t, param="full", init="balanced", **kw)
    for m, f in zip(tied.students, free.students):
        np.testing.assert_allclose(f.student.A, m.student.A, rtol=0, atol=1e-12)
        np.testing.assert_allclose(f.student.C[0], m.student.B[:, 0], rtol=0, atol=1e-12)


def test_initial_parameters_are_what_training_starts_from():
    """`initial_parameters` reproduces the init of `train_linear` (steps = 0 leaves it)."""
    from theory_check.train.linear import initial_parameters

    w = balanced_teacher([0.9]).impulse_response(20)
    for param in ("full", "diagonal"):
        A0, B0, C0 = initial_parameters(5, 0.3, [4, 7], param)
        res = train_linear(w, d=5, k=3, init_scale=0.3, seeds=[4, 7], param=param, steps=0)
        for s, m in enumerate(res.students):
            np.testing.assert_array_equal(m.student.A, A0[s])
            np.testing.assert_array_equal(m.student.B[:, 0], B0[s])
            np.testing.assert_array_equal(m.student.C[0], C0[s])


def test_learned_subspace_spans_the_reachable_directions():
    """For a student living in span(e_0, e_1) the rank-2 subspace is that span."""
    from theory_check.train.linear import learned_subspace

    rng = np.random.default_rng(0)
    A = np.zeros((6, 6))
    A[:2, :2] = rng.standard_normal((2, 2))
    B, C = np.zeros(6), np.zeros(6)
    B[:2], C[:2] = rng.standard_normal(2), rng.standard_normal(2)
    P = learned_subspace(A, B, C, 4, 2)
    np.testing.assert_allclose(P @ P.T, np.diag([1, 1, 0, 0, 0, 0]), atol=1e-12)
