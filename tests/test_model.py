"""Properties of the linear-RNN core: impulse response, loss, Hankel rank, Ho–Kalman."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory_check import (
    LinearRNN,
    balanced_teacher,
    effective_state_dim,
    hankel,
    loss_gradient,
    markov_parameters,
    minimal_realization,
    random_student,
)
from theory_check.strategies import balanced_teachers, students, teacher_measures


@given(students(max_dim=5))
def test_impulse_response_equals_matrix_powers(s: LinearRNN) -> None:
    g = s.impulse_response(8)
    ref = [(s.C @ np.linalg.matrix_power(s.A, j) @ s.B)[0, 0] for j in range(8)]
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-12)


@given(students(max_dim=4), st.integers(1, 6), st.integers(0, 2**31))
def test_output_is_convolution_with_markov_parameters(s: LinearRNN, k: int, seed: int) -> None:
    # y = C h_k with h_t = A h_{t-1} + B x_t equals Σ_t g_{k-t} x_t (proofs/theory.md §1).
    x = np.random.default_rng(seed).standard_normal(k)
    h = np.zeros(s.d)
    for t in range(k):
        h = s.A @ h + s.B[:, 0] * x[t]
    g = s.impulse_response(k)
    assert float(s.C[0] @ h) == pytest.approx(float(g[::-1] @ x), rel=1e-10, abs=1e-12)


@given(teacher_measures(max_dim=4))
def test_balanced_teacher_response_is_moment_sequence(measure) -> None:
    atoms, weights = measure
    t = balanced_teacher(atoms, weights)
    m = [sum(float(b) * float(a) ** j for a, b in zip(atoms, weights)) for j in range(10)]
    np.testing.assert_allclose(t.impulse_response(10), m, rtol=1e-12, atol=1e-14)


@given(balanced_teachers(max_dim=3), students(max_dim=4), st.integers(1, 8))
def test_loss_is_sum_of_squared_residuals_and_gradient_matches_fd(teacher, s, k) -> None:
    w = teacher.impulse_response(k)
    r = s.impulse_response(k) - w
    assert s.loss(teacher, k) == pytest.approx(float(r @ r), rel=1e-12, abs=1e-15)
    assert s.loss(w, k) == s.loss(teacher, k)
    dA, dB, dC = s.gradient(teacher, k)
    # Central differences on a random direction: <∇L, E> ≈ (L(θ+hE) - L(θ-hE)) / 2h.
    rng = np.random.default_rng(0)
    E = [rng.standard_normal(M.shape) for M in (s.A, s.B, s.C)]
    h = 1e-6
    plus = LinearRNN(*(M + h * e for M, e in zip((s.A, s.B, s.C), E))).loss(w, k)
    minus = LinearRNN(*(M - h * e for M, e in zip((s.A, s.B, s.C), E))).loss(w, k)
    fd = (plus - minus) / (2 * h)
    an = sum(float(np.sum(G * e)) for G, e in zip((dA, dB, dC), E))
    assert an == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_exact_gradient_in_fractions_matches_float() -> None:
    A = np.array([[Fraction(1, 2), Fraction(1, 3)], [Fraction(-1, 4), Fraction(1, 5)]],
                 dtype=object)
    B = np.array([[Fraction(1)], [Fraction(2, 3)]], dtype=object)
    C = np.array([[Fraction(3, 7), Fraction(-1, 2)]], dtype=object)
    w = np.array([Fraction(1), Fraction(1, 2), Fraction(1, 4)], dtype=object)
    exact = loss_gradient(A, B, C, w)
    assert all(isinstance(x, Fraction) for G in exact for x in G.ravel())
    flt = loss_gradient(*(M.astype(float) for M in (A, B, C)), w.astype(float))
    for G, F in zip(exact, flt):
        np.testing.assert_allclose(G.astype(float), F, rtol=1e-14)
    g = markov_parameters(A, B, C, 4)
    assert g[1] == (C @ A @ B)[0, 0]


def test_extrapolation_error_absolute_and_relative() -> None:
    t = balanced_teacher([0.5], [2.0])
    s = balanced_teacher([0.5], [2.0 + 1e-3])
    assert s.extrapolation_error(t, 5) == pytest.approx(1e-3)
    assert s.extrapolation_error(t, 5, relative=True) == pytest.approx(5e-4)


def test_hankel_shapes_and_entries() -> None:
    g = np.arange(7.0)
    H = hankel(g)
    assert H.shape == (4, 4) and H[1, 2] == 3.0 and H[3, 3] == 6.0
    assert hankel(g, rows=3).shape == (3, 5)
    assert hankel(np.arange(8.0)).shape == (4, 4)


@given(teacher_measures(min_dim=1, max_dim=4))
def test_effective_dim_of_teacher_is_number_of_atoms(measure) -> None:
    t = balanced_teacher(*measure)
    sd = effective_state_dim(t.impulse_response(20), rtol=1e-10)
    assert sd.dim == len(measure[0])
    _, sv = sd
    assert sv.shape == (10,) and np.all(np.diff(sv) <= 1e-12)


def test_effective_dim_of_overparameterized_balanced_student_is_bounded_by_d() -> None:
    s = random_student(3, 1.0, 0, kind="balanced")
    assert effective_state_dim(s.impulse_response(30)).dim <= 3


def test_fibonacci_realization_has_order_two_and_golden_eigenvalues() -> None:
    fib = [1.0, 1.0]
    for _ in range(18):
        fib.append(fib[-1] + fib[-2])
    real = minimal_realization(fib, rtol=1e-10)
    assert real.order == 2
    eig = np.sort(np.linalg.eigvals(real.system.A).real)
    phi = (1 + 5**0.5) / 2
    np.testing.assert_allclose(eig, [-1 / phi, phi], rtol=1e-9)
    np.testing.assert_allclose(real.system.impulse_response(20), fib, rtol=1e-9)


@given(teacher_measures(max_dim=3))
def test_realization_reproduces_teacher_response(measure) -> None:
    t = balanced_teacher(*measure)
    g = t.impulse_response(16)
    real = minimal_realization(g, len(measure[0]))
    np.testing.assert_allclose(real.system.impulse_response(40), t.impulse_response(40),
                               rtol=1e-7, atol=1e-9)


def test_realization_agrees_with_python_control_era() -> None:
    control = pytest.importorskip("control")
    t = balanced_teacher([0.9, -0.5, 0.2], [1.0, 0.5, 2.0])
    g = t.impulse_response(20)
    ours = minimal_realization(g, 3).system
    # python-control wants Markov parameters of y_t = C A^{t-1} B (t ≥ 1) after D = 0.
    YY = np.concatenate([[0.0], g])[None, None, :]
    sys_ = control.eigensys_realization(YY, 3, m=9, n=9, dt=True)
    theirs = sys_[0] if isinstance(sys_, tuple) else sys_
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(ours.A).real),
                               np.sort(np.linalg.eigvals(theirs.A).real), rtol=1e-8, atol=1e-10)
    gt = [(theirs.C @ np.linalg.matrix_power(theirs.A, j) @ theirs.B)[0, 0] for j in range(20)]
    np.testing.assert_allclose(ours.impulse_response(20), gt, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LinearRNN(np.ones((2, 3)), np.ones(2), np.ones(2)), "A must be a square"),
        (lambda: LinearRNN(np.eye(2), np.ones(3), np.ones(2)), "B must have shape 2×1"),
        (lambda: LinearRNN(np.eye(2), np.ones(2), np.ones(3)), "C must have shape 1×2"),
        (lambda: LinearRNN(np.eye(2) * np.nan, np.ones(2), np.ones(2)), "A must be finite"),
        (lambda: LinearRNN(np.eye(2), [1, np.inf], np.ones(2)), "B must be finite"),
        (lambda: balanced_teacher([0.5, 0.5], [1, 1]), "atoms must be pairwise distinct"),
        (lambda: balanced_teacher([0.5, 0.2], [1, 0]), r"weights must be > 0 \(range"),
        (lambda: balanced_teacher([0.5], [1, 2]), "weights must have one entry per atom"),
        (lambda: random_student(0, 1.0), r"d must be an integer >= 1"),
        (lambda: random_student(2, -1.0), r"scale must be a finite number in \[0, inf\); got -1$"),
        (lambda: random_student(2, 1.0, kind="dense"), "kind must be one of"),
        (lambda: balanced_teacher([0.5]).loss([1.0], 0), "k must be an integer >= 1"),
        (lambda: balanced_teacher([0.5]).loss([1.0], 3), "target must be a 1-D sequence"),
        (lambda: minimal_realization([1.0, 0.5, 0.25, 0.125], 3), r"r must be an integer in"),
        (lambda: effective_state_dim([1.0, 2.0], rtol=2.0), r"rtol must be"),
    ],
)
def test_bad_input_names_parameter_and_range(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"minimum": 0.0}, -1.0, "x must be a finite number in [0, inf); got -1"),
        ({"minimum": 0.0, "strict_min": True}, 0.0, "x must be a finite number in (0, inf); got 0"),
        ({"minimum": 0.0, "maximum": 1.0}, 2.5, "x must be a finite number in [0, 1]; got 2.5"),
        ({"maximum": 1e-3}, 0.5, "x must be a finite number in (-inf, 0.001]; got 0.5"),
        ({}, float("nan"), "x must be a finite number in (-inf, inf); got nan"),
        # :g would print 0.9999999 as 1 beside the bound 1, so the value keeps its digits
        ({"minimum": 1.0}, 0.9999999, "x must be a finite number in [1, inf); got 0.9999999"),
    ],
)
def test_check_real_reads_like_the_cli(kwargs, value, message) -> None:
    from theory_check._validate import ParameterError, check_real

    with pytest.raises(ParameterError) as err:
        check_real("x", value, **kwargs)
    assert str(err.value) == message
    assert err.value.name == "x"


def test_linear_rnn_is_frozen() -> None:
    s = random_student(2, 1.0, 0)
    with pytest.raises(ValueError):
        s.A[0, 0] = 1.0
    with pytest.raises(AttributeError):
        s.A = np.eye(2)  # type: ignore[misc]


@given(teacher_measures(max_dim=3))
def test_realization_measure_recovers_teacher_atoms_and_weights(measure) -> None:
    atoms, weights = measure
    g = balanced_teacher(atoms, weights).impulse_response(16)
    lam, beta = minimal_realization(g, len(atoms)).measure()
    np.testing.assert_allclose(lam, [float(a) for a in atoms], atol=1e-7)
    np.testing.assert_allclose(beta, [float(b) for b in weights], rtol=1e-6, atol=1e-8)


def test_q_matrix_is_exact_zero_on_the_balanced_set_and_b2_minus_c2_on_the_diagonal() -> None:
    from theory_check.model import q_matrix

    F = Fraction
    A = np.array([[F(1, 2), F(-1, 3)], [F(-1, 3), F(2)]], dtype=object)  # symmetric
    B = np.array([[F(3, 4)], [F(-5)]], dtype=object)
    assert np.all(q_matrix(A, B, B.T.copy()) == 0)
    D = np.array([[F(1, 2), F(0)], [F(0), F(-7)]], dtype=object)
    C = np.array([[F(1, 5), F(2)]], dtype=object)
    Q = q_matrix(D, B, C)
    assert [Q[i, i] for i in range(2)] == [B[i, 0] ** 2 - C[0, i] ** 2 for i in range(2)]
    # the definition AAᵀ - AᵀA + BBᵀ - CᵀC, entry by entry, for a generic float point
    rng = np.random.default_rng(0)
    A, B, C = rng.standard_normal((3, 3)), rng.standard_normal((3, 1)), rng.standard_normal((1, 3))
    want = [[sum(A[p, r] * A[q, r] - A[r, p] * A[r, q] for r in range(3)) + B[p, 0] * B[q, 0]
             - C[0, p] * C[0, q] for q in range(3)] for p in range(3)]
    np.testing.assert_allclose(q_matrix(A, B, C), want, rtol=1e-14, atol=1e-14)
