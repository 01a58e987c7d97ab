"""The symbolic engine: derivation vs numerics, discovered laws, free-algebra proofs, Lie census."""

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from theory_check.model import loss_gradient, markov_parameters
from theory_check.strategies import students
from theory_check.symbolic import (
    _noncomm,
    _words,
    balanced_tangency,
    bracket,
    conservation_identity,
    discover_laws,
    estimated_terms,
    gradient_flow,
    is_conserved,
    law_polys,
    lie_census,
    noether_identity,
    rnn_system,
    two_layer_system,
)
from theory_check.symbolic._laws import law_string

CASES = [(p, d, k) for p in ("full", "diagonal", "balanced") for d in (1, 2, 3) for k in (1, 2, 4)]


def _loss(A, B, C, w):
    g = markov_parameters(A, B, C, len(w))
    return float(np.sum((g - w) ** 2))


def _unpack(flow, theta):
    """θ vector → (A, B, C) matrices of the parameterization."""
    d = flow.d
    A = np.array(flow.A.subs(dict(zip(flow.theta, theta, strict=True))), dtype=float)
    B = np.array(flow.B.subs(dict(zip(flow.theta, theta, strict=True))), dtype=float).reshape(d, 1)
    C = np.array(flow.C.subs(dict(zip(flow.theta, theta, strict=True))), dtype=float).reshape(1, d)
    return A, B, C


@given(case=st.sampled_from(CASES), data=st.data())
def test_compiled_rhs_equals_model_gradient_and_finite_differences(case, data) -> None:
    param, d, k = case
    flow = gradient_flow(param, d, k)
    s = data.draw(students(min_dim=d, max_dim=d, kind=param))
    w = np.array(data.draw(st.lists(st.floats(-1, 1), min_size=k, max_size=k)))
    theta = flow.pack(s.A, s.B, s.C)
    rhs = flow.numpy_rhs()(theta, w)
    # Against the model's gradient: for `balanced` the flow is the full flow restricted to M.
    dA, dB, dC = loss_gradient(s.A, s.B, s.C, w)
    np.testing.assert_allclose(rhs, -flow.pack(dA, dB, dC), rtol=1e-10, atol=1e-12)
    # Against central differences of L∘θ in θ's own coordinates: rhs_i = -G⁻¹_ii ∂L/∂θ_i.
    h = 1e-6
    for i in range(flow.n_params):
        e = np.zeros(flow.n_params)
        e[i] = h
        fd = (_loss(*_unpack(flow, theta + e), w) - _loss(*_unpack(flow, theta - e), w)) / (2 * h)
        assert rhs[i] == pytest.approx(-float(flow.metric_inv[i]) * fd, rel=1e-5, abs=1e-7)


def test_mpmath_rhs_agrees_with_numpy_and_carries_precision() -> None:
    flow = gradient_flow("full", 2, 3)
    theta = np.linspace(-0.7, 0.9, flow.n_params)
    w = np.array([0.5, -0.25, 0.125])
    with mpmath.workdps(40):
        mp = flow.mpmath_rhs()([mpmath.mpf(x) for x in theta], [mpmath.mpf(x) for x in w])
        assert all(isinstance(v, mpmath.mpf) for v in mp)
        assert mpmath.mp.prec > 100
    np.testing.assert_allclose([float(v) for v in mp], flow.numpy_rhs()(theta, w), rtol=1e-13)


@pytest.mark.parametrize(("param", "d", "k"), [("full", 2, 3), ("diagonal", 3, 2), ("balanced", 2, 3)])
def test_sympy_derivation_matches_flint_polynomials(param, d, k) -> None:
    flow, system = gradient_flow(param, d, k), rnn_system(param, d, k)
    for gj, pj in zip(flow.g, system.g, strict=True):
        assert sympy.expand(gj - sympy.sympify(law_string(system, pj))) == 0
    # flint's fields are ∇g_j (full, diagonal) and 2G⁻¹∇g_j (balanced); sympy derived ∂g_j/∂θ_i.
    c = 2 if param == "balanced" else 1
    field = [sympy.sympify(law_string(system, comp)) for comp in system.fields[-1]]
    for i, t in enumerate(flow.theta):
        assert sympy.expand(field[i] - c * flow.metric_inv[i] * flow.grad_g[-1][i]) == 0
        assert sympy.expand(sympy.diff(flow.g[-1], t) - flow.grad_g[-1][i]) == 0


def test_display_formats_name_every_parameter() -> None:
    flow = gradient_flow("diagonal", 2, 2)
    md, tex = flow.to_markdown(), flow.to_latex()
    for name in ("a1", "a2", "b1", "b2", "c1", "c2"):
        assert f"d{name}/dt" in md
    assert tex.startswith("\\begin{align*}") and "\\dot{a_{1}}" in tex


def test_discovered_laws_for_full_d2_are_the_span_of_q() -> None:
    space = discover_laws(rnn_system("full", 2, 3), np.random.default_rng(0))
    assert space.dim == 3 == space.expected_dim and space.matches_expected and space.rechecked
    system = rnn_system("full", 2, 3)
    assert all(is_conserved(system, q) for q in space.laws)
    assert all(is_conserved(system, q) for q in law_polys("full", 2, "Q"))


def test_discovered_laws_for_diagonal_are_b_squared_minus_c_squared() -> None:
    space = discover_laws(rnn_system("diagonal", 3, 4), np.random.default_rng(1))
    assert space.matches_expected and space.dim == 3
    assert set(space.strings) == {"b1**2 - c1**2", "b2**2 - c2**2", "b3**2 - c3**2"}


def test_false_laws_are_not_conserved_and_k1_has_more_laws() -> None:
    system = rnn_system("full", 2, 3)
    assert not any(is_conserved(system, q) for q in law_polys("full", 2, "B-C^T"))
    assert not all(is_conserved(system, q) for q in law_polys("full", 2, "Q+"))
    k1 = discover_laws(rnn_system("full", 2, 1), np.random.default_rng(0))
    assert k1.contains_expected and not k1.matches_expected and k1.dim > 3


def test_too_few_points_are_caught_by_the_symbolic_recheck() -> None:
    system = rnn_system("full", 2, 3)
    n_unknowns = 8 * 9 // 2 + 8
    space = discover_laws(system, np.random.default_rng(0), extra=-(n_unknowns - 6))
    assert space.n_rounds >= 2 and space.matches_expected and space.dim == 3


@pytest.mark.parametrize("engine", ["words", "sympy"])
def test_free_algebra_proofs_and_their_failures(engine) -> None:
    assert conservation_identity("Q", 6, engine=engine).holds
    assert noether_identity(6, engine=engine).holds
    assert balanced_tangency(6, engine=engine).holds
    bad = conservation_identity("B-C^T", 6, engine=engine)
    assert not bad.holds and bad.first_failure_k == 1 and "r_0" in bad.residue
    assert not conservation_identity("Q+", 6, engine=engine).holds
    off = balanced_tangency(6, "B=C^T only", engine=engine)
    assert not off.holds and off.first_failure_k == 2


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_word_engine_gradients_equal_sympy_noncommutative_gradients(k) -> None:
    w, s = _words.loss_gradients(k), _noncomm.loss_gradients(k)
    for X in "ABC":
        assert sympy.expand(_words.to_sympy(w[X]) - s[X]) == 0


@given(st.text(alphabet="AaBbCc", min_size=1, max_size=8))
def test_word_transpose_is_an_involution_reversing_products(word) -> None:
    x = {(0, word): 3}
    assert _words.transpose(_words.transpose(x)) == x
    left, right = {(-1, word[:1]): 1}, {(-1, word[1:]): 1}
    prod = {(-1, word): 1}
    t = _words.transpose(prod)
    assert t == {(-1, next(iter(_words.transpose(right)))[1] + next(iter(_words.transpose(left)))[1]): 1}


def test_lie_census_recovers_the_two_layer_answer_and_k1() -> None:
    rng = np.random.default_rng(0)
    for n, h, m in [(2, 2, 2), (3, 2, 3), (2, 3, 2)]:
        s = two_layer_system(n, h, m)
        c = lie_census(s, rng, laws=discover_laws(s, rng).laws)
        assert c.certified and c.n_laws == h * (h + 1) // 2
    s = rnn_system("full", 2, 1)
    c = lie_census(s, rng, laws=discover_laws(s, rng).laws)
    assert c.certified and c.lie_dim == 1 and c.n_laws == s.n_vars - 1


def test_lie_census_without_known_laws_is_not_certified() -> None:
    s = rnn_system("full", 2, 3)
    c = lie_census(s, np.random.default_rng(0))
    assert c.upper == 3 and c.lower == 0 and not c.certified


def test_bracket_is_antisymmetric_and_satisfies_jacobi() -> None:
    s = rnn_system("full", 1, 3)
    X, Y, Z = s.fields
    D = s.n_vars
    assert all((p + q).is_zero() for p, q in zip(bracket(X, Y, D), bracket(Y, X, D), strict=True))
    jac = [a + b + c for a, b, c in zip(bracket(X, bracket(Y, Z, D), D), bracket(Y, bracket(Z, X, D), D),
                                        bracket(Z, bracket(X, Y, D), D), strict=True)]
    assert all(p.is_zero() for p in jac)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fully", 2, 3), "param must be one of"),
        (("full", 0, 3), "d must be an integer in [1, 9]"),
        (("full", 2, 41), "k must be an integer in [1, 40]"),
        (("full", 8, 12), "beyond the documented limit"),
    ],
)
def test_bad_requests_are_refused_before_computing(args, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        rnn_system(*args)
    assert estimated_terms("diagonal", 9, 40) < estimated_terms("full", 9, 40)


def _independent_rhs(param: str, d: int, theta: list, w: list) -> list:
    """dθ/dt at a rational point from the forward-mode gradient of `claims._gradcheck` (its own
    power loop; no sympy, no model code), mapped to the parameterization's variables."""
    from fractions import Fraction

    from theory_check.claims._gradcheck import independent_gradient

    z = Fraction(0)
    if param == "full":
        A = np.array(theta[: d * d], dtype=object).reshape(d, d)
        rest = theta[d * d:]
    elif param == "diagonal":
        A = np.array([[theta[i] if i == j else z for j in range(d)] for i in range(d)], dtype=object)
        rest = theta[d:]
    else:  # balanced: upper triangle a_ij (i ≤ j), B = Cᵀ
        A = np.full((d, d), z, dtype=object)
        it = iter(theta)
        for i in range(d):
            for j in range(i, d):
                A[i, j] = A[j, i] = next(it)
        rest = list(it)
    B = np.array(rest[:d], dtype=object).reshape(d, 1)
    C = B.T.copy() if param == "balanced" else np.array(rest[d:2 * d], dtype=object).reshape(1, d)
    gA, gB, gC = independent_gradient(A, B, C, w)
    if param == "full":
        return [-x for x in [*gA.ravel(), *gB.ravel(), *gC.ravel()]]
    if param == "diagonal":
        return [-x for x in [*np.diagonal(gA), *gB.ravel(), *gC.ravel()]]
    # the full flow restricted to M: dA_ij/dt = -(∇_A L)_ij, dB/dt = -∇_B L (C4)
    return [-gA[i, j] for i in range(d) for j in range(i, d)] + [-x for x in gB.ravel()]


@given(case=st.sampled_from([c for c in CASES if c[1] <= 2]),
       ints=st.lists(st.integers(-4, 4), min_size=16, max_size=16))
def test_compiled_rhs_equals_an_independent_evaluation_at_rational_points(case, ints) -> None:
    # Compare the lambdified right-hand side with the exact rates from a separate derivation
    # (forward-mode differentiation of L_k's own power loop), not with the same sympy expression.
    from fractions import Fraction

    flow = gradient_flow(*case)
    param, d, _ = case
    theta = [Fraction(v, 4) for v in ints[: flow.n_params]]
    w = [Fraction(v, 3) for v in ints[flow.n_params: flow.n_params + flow.k]]
    w += [Fraction(0)] * (flow.k - len(w))
    exact = _independent_rhs(param, d, theta, w)
    assert len(exact) == flow.n_params and all(isinstance(v, Fraction) for v in exact)
    np.testing.assert_allclose(flow.numpy_rhs()(np.array(theta, dtype=float), np.array(w, dtype=float)),
                               np.array(exact, dtype=float), rtol=1e-12, atol=1e-12)


def test_evaluating_the_last_bracket_at_the_point_equals_expanding_it() -> None:
    s = rnn_system("diagonal", 3, 2)
    laws = discover_laws(s, np.random.default_rng(0)).laws
    fast = lie_census(s, np.random.default_rng(3), laws=laws)
    slow = lie_census(s, np.random.default_rng(3), laws=laws, expand_all=True)
    assert (fast.lie_dim, fast.certified) == (slow.lie_dim, slow.certified) == (6, True)
