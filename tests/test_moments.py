"""The moment engine against answers derived independently: closed forms and exact Schur complements."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory_check.cli import main
from theory_check.model import LinearRNN, balanced_teacher
from theory_check.moments import _sdp, extract_atoms, identify, moment_interval, worst_case_extrapolation
from theory_check.moments._exact import atomic_moments, next_moment_interval, psd_rank
from theory_check.strategies import teacher_measures


def uniform(k: int) -> list[F]:
    """Moments of dx/2 on [-1, 1]: 1/(j+1) for even j."""
    return [F(1, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


def close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(b), 1e-300)


# --- closed forms -------------------------------------------------------------------------
@pytest.mark.parametrize("q", [1, 2, 3, 4, 7])
def test_one_atom_at_zero_closed_form(q):
    """Given only m_0 = 1 on [-1, 1]: m_q ∈ [-1, 1] for odd q, [0, 1] for even q."""
    r = moment_interval([1], q, exact=False)
    lo, hi = (-1.0, 1.0) if q % 2 else (0.0, 1.0)
    assert r.status == "certified"
    assert abs(r.lower - lo) < 1e-6 and abs(r.upper - hi) < 1e-6
    assert close(r.width, hi - lo, 1e-6)


def test_two_moments_closed_form():
    """m_0, m_1 given on [-1, 1]: m_2 ∈ [m_1²/m_0, m_0] (one atom at the mean / atoms at ±1)."""
    m0, m1 = F(3, 2), F(1, 3)
    r = moment_interval([m0, m1], 2, exact=False)
    assert close(r.lower, float(m1 * m1 / m0), 1e-6) and close(r.upper, float(m0), 1e-6)
    assert next_moment_interval([m0, m1], (F(-1), F(1))) == (m1 * m1 / m0, m0)


def test_box_eps_closed_form():
    """|m_0 - 1| ≤ ε on [-1, 1]: m_2 ∈ [0, 1 + ε], m_3 ∈ [-(1+ε), 1+ε]."""
    eps = 1e-2
    r2 = moment_interval([1], 2, eps=eps, norm="box")
    r3 = moment_interval([1], 3, eps=eps, norm="box")
    assert abs(r2.lower) < 1e-6 and close(r2.upper, 1 + eps, 1e-6)
    assert close(r3.width, 2 * (1 + eps), 1e-6)
    r = moment_interval([1], 2, eps=eps**2, norm="l2")  # l2 with ε = 1e-4: |m_0 - 1| ≤ 1e-2
    assert close(r.upper, 1 + eps, 1e-5)


def test_radius_scaling():
    """On [-ρ, ρ] with m_0 = 1: max m_2 = ρ² (independent of the basis scaling)."""
    r = moment_interval([1, 0], 2, support="5/2", exact=False)
    assert close(r.upper, 6.25, 1e-6) and abs(r.lower) < 1e-6


def arcsine(k: int) -> list[F]:
    """Moments of the arcsine law on [-1, 1]: 2^-j C(j, j/2) for even j."""
    from math import comb
    return [F(comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]


def canonical_width(n: int, p) -> F:
    """Width of the m_n interval on [-1, 1] from canonical moments p_1 … p_{n-1} (m_0 = 1):
    `2^n Π_{i<n} p_i (1 - p_i)` (Skibinski; Dette & Studden, The Theory of Canonical Moments)."""
    out = F(2**n)
    for i in range(1, n):
        out *= p(i) * (1 - p(i))
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 7, 12, 25, 40])
def test_exact_widths_equal_canonical_moment_closed_forms(n):
    """Uniform law: p_(2i-1) = 1/2, p_(2i) = i/(2i+1); arcsine law: p_i = 1/2 — exactly."""
    r = moment_interval(uniform(n), n)
    assert r.status == "exact" and r.width == canonical_width(n, lambda i: F(1, 2) if i % 2 else
                                                             F(i // 2, i + 1))
    assert isinstance(r.lower, F) and (n % 2 == 0 or r.lower == -r.upper)  # odd n: symmetric law
    assert r.lower <= (F(1, n + 1) if n % 2 == 0 else 0) <= r.upper
    a = moment_interval(arcsine(n), n)
    assert a.status == "exact" and a.width == canonical_width(n, lambda i: F(1, 2))


# --- 1% accuracy against exact Schur complements ------------------------------------------
def _schur_width(m: list[F]) -> float:
    lo, hi = next_moment_interval(m, (F(-1), F(1)))
    return float(hi - lo)


@pytest.mark.parametrize("k", [5, 10, 16])
def test_sdp_width_within_1pct_of_exact(k):
    m = uniform(k)
    exact = _schur_width(m)
    r = moment_interval(m, k, exact=False)
    assert r.status == "certified"
    assert close(r.width, exact, 1e-2), (r.width, exact)


@pytest.mark.slow
@pytest.mark.parametrize("k", [25, 32, 40])
def test_sdp_width_within_1pct_of_exact_large_k(k):
    # uniform dx/2 and the arcsine-like measure with m_j = 2^-j C(j, j/2) (even j), both rational
    from math import comb
    arcsine = [F(comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]
    for m in (uniform(k), arcsine):
        exact = _schur_width(m)
        r = moment_interval(m, k, exact=False)
        assert close(r.width, exact, 1e-2), (k, r.width, exact)
        # Certified means the exact values lie within the sandwich tolerance of the reported ones;
        # where the inner bound cannot meet the SDP the engine must say inconclusive instead.
        lo, hi = next_moment_interval(m, (F(-1), F(1)))
        tol = r.evidence["sandwich_tol"]
        if r.status == "certified":
            assert abs(r.lower - float(lo)) <= tol and abs(r.upper - float(hi)) <= tol, (k, tol)
        else:
            assert r.status == "inconclusive" and r.evidence["reason"]


def test_exact_schur_matches_independent_brute_force():
    """Lower end of m_4 for the uniform measure from m_0..m_3: the 2-point Gauss–Radau-type
    measure; checked against the determinant condition det H_2(t) = 0 solved with sympy."""
    import sympy
    t = sympy.Symbol("t")
    m = uniform(4)
    H = sympy.Matrix(3, 3, lambda i, j: sympy.Rational(m[i + j]) if i + j < 4 else t)
    root = sympy.solve(H.det(), t)[0]
    lo, _ = next_moment_interval(m, (F(-1), F(1)))
    assert F(str(root)) == lo


# --- exact machinery ----------------------------------------------------------------------
def test_psd_rank_exact():
    assert psd_rank([[F(1), F(1)], [F(1), F(1)]]) == (True, 1)
    assert psd_rank([[F(1), F(2)], [F(2), F(1)]])[0] is False
    assert psd_rank([[F(0), F(1)], [F(1), F(0)]])[0] is False


@given(teacher_measures(max_dim=3, boundary=True))
def test_minimal_k_is_twice_the_index_plus_one(teacher):
    """Hausdorff index: interior atoms count 1, atoms at ±1 count ½; on R all count 1."""
    atoms, weights = teacher
    n_b = sum(abs(a) == 1 for a in atoms)
    d = len(atoms)
    assert identify(atoms, weights, 1).minimal_k == 2 * (d - n_b) + n_b + 1
    assert identify(atoms, weights, 1, "real").minimal_k == 2 * d + 1


@given(teacher_measures(max_dim=3))
def test_counterexample_matches_training_moments_not_the_next(teacher):
    """The counterexample measure at k = 2d̂ has the teacher's m_0 … m_{k-1} and an m_k at the
    far end of the exact interval, checked in floats by the model engine."""
    atoms, weights = teacher
    k = 2 * len(atoms)
    res = identify(atoms, weights, k)
    assert not res.identified and res.width > 0
    c = res.counterexample
    assert c["train_moment_error"] < 1e-30
    assert c["student_L_k"] < 1e-20
    assert abs(c["m_k"] - c["teacher_m_k"]) >= res.width / 2 * (1 - 1e-9)
    # recompute the counterexample's moments independently in float
    g = balanced_teacher(c["atoms"], c["weights"]).impulse_response(k + 1)
    w = balanced_teacher([float(a) for a in atoms], [float(b) for b in weights]).impulse_response(k + 1)
    assert np.max(np.abs(g[:k] - w[:k])) < 1e-12 * max(1.0, np.abs(w).max())
    assert abs(g[k] - w[k]) > 1e-3 * res.width


def test_float_identify_is_exact_and_equals_the_rational_answer():
    """A float is the dyadic rational it stores: identify on floats is the exact answer for
    Fraction(x) of each float (not a tolerance decision)."""
    nu = identify([0.5, -0.5], [1.0, 1.0], 4)
    ex = identify(["1/2", "-1/2"], ["1", "1"], 4)
    assert nu.status == ex.status == "exact" and nu.width == ex.width == F(3, 8)
    assert nu.minimal_k == ex.minimal_k == 5 and identify([0.5, -0.5], [1.0, 1.0], 5).identified
    t = identify([0.3, -0.6], [0.4, 0.7], 4)
    assert t.width == identify([F(0.3), F(-0.6)], [F(0.4), F(0.7)], 4).width


def test_numeric_identify_certifies_only_non_identification():
    """The SDP path: a clearly positive width is certified non-identified (with the exact width
    inside the tolerance); an identified teacher is never called identified numerically."""
    nu = identify([0.5, -0.5], [1.0, 1.0], 4, method="numeric")
    assert nu.status == "certified" and nu.identified is False
    assert abs(nu.width - 0.375) <= 2 * nu.evidence["sandwich_tol"]
    close_atoms = identify([0.5, 0.5 + 2**-30], [1.0, 2**-30], 4, method="numeric")
    assert close_atoms.identified is not True and close_atoms.status in ("inconclusive", "certified")
    if close_atoms.status == "inconclusive":
        assert "tolerance" in close_atoms.evidence["reason"] or "certified" in close_atoms.evidence["reason"]


def test_identify_accepts_a_balanced_teacher():
    """A LinearRNN teacher: its moments g_j = C A^j B are computed exactly from its entries."""
    t = balanced_teacher([0.5, -0.5], [1.0, 1.0])
    r = identify(t, k=4)
    assert r.identified is False and r.certificate == "exact" and r.width == F(3, 8)
    assert identify(t, k=5).identified and identify(t, k=5).minimal_k == 5
    # a rotated (non-diagonal) balanced teacher: exactly symmetric A in floats, B = Cᵀ
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    A = Q @ np.diag([0.7, -0.2, 0.4]) @ Q.T
    A = (A + A.T) / 2
    B = rng.normal(size=(3, 1))
    rot = LinearRNN(A, B, B.T)
    assert identify(rot, k=6).identified is False and identify(rot, k=7).identified is True
    assert identify(rot, k=6).minimal_k == 7
    with pytest.raises(ValueError, match="balanced"):
        identify(LinearRNN([[0.0, 1.0], [0.0, 0.0]], [1.0, 0.0], [0.0, 1.0]), k=3)
    big = LinearRNN([[1.5]], [[1.0]], [[1.0]])
    r = identify(big, k=3)  # spectrum outside [-1, 1]: not a measure on the support
    assert r.status == "inconclusive" and r.identified is None and "spectrum" in r.evidence["reason"]


def test_rounded_moments_of_an_identified_teacher_are_not_called_infeasible():
    """Float impulse responses of a 2-atom teacher at k = 9 violate the cone by rounding only."""
    g = balanced_teacher([0.3, -0.6], [0.4, 0.7]).impulse_response(12)
    with pytest.raises(ValueError, match=r"infeasible.*rounding=True"):  # exact decision by default
        moment_interval(list(g[:9]), 11)
    r = moment_interval(list(g[:9]), 11, rounding=True)
    assert "outside the cone" in r.evidence["exact_check"]  # the exact check did see the violation
    assert r.status == "certified" and r.evidence["witness_atoms"] == 2  # Prony witness inner bound
    assert r.lower - 1e-9 <= g[11] <= r.upper + 1e-9 and r.width < 1e-6


def test_determinate_on_R_by_exact_rank():
    """δ_{1/2}: m = (1, 1/2, 1/4) has a singular Hankel matrix; m_5 = 1/32 exactly."""
    r = moment_interval(["1", "1/2", "1/4"], 5, support="real")
    assert r.status == "exact" and r.width == 0 and r.lower == r.upper == F(1, 32)
    r = moment_interval(["1", "0", "1"], 6, support="unit")  # δ_±1 halves: m_6 = 1 exactly
    assert r.status == "exact" and r.lower == F(1)
    r = moment_interval([1, 0, 1], 4, support="real")
    assert r.upper == float("inf")


# --- sandwich: never a confident wrong interval ---------------------------------------------
def test_coarse_grid_is_inconclusive(monkeypatch):
    """An inner bound that cannot reach the SDP (5 grid points, no refinement) → INCONCLUSIVE."""
    monkeypatch.setattr(_sdp, "GRID", 4)
    monkeypatch.setattr(_sdp, "REFINE_ROUNDS", 0)
    monkeypatch.setattr(_sdp, "pencil_atoms", lambda c, rtol=1e-7, clip=True: np.zeros(0))
    import theory_check.moments._api as api
    monkeypatch.setattr(api, "pencil_atoms", lambda c, rtol=1e-7, clip=True: np.zeros(0))
    r = moment_interval(uniform(6), 9, exact=False)
    assert r.status == "inconclusive" and "grid inner bound" in r.evidence["reason"]


def test_grid_refinement_reaches_the_sdp(monkeypatch):
    """The same coarse grid with refinement rounds meets the SDP (exchange method)."""
    monkeypatch.setattr(_sdp, "GRID", 4)
    r = moment_interval(uniform(6), 9, exact=False)
    assert r.status == "certified"


def test_evidence_fields():
    r = moment_interval(uniform(5), 8)
    for key in ("min.primal", "min.dual", "min.gap", "min.min_eig", "min.max_residual",
                "max.primal", "sandwich_gap"):
        assert key in r.evidence
    assert r.inner_lower >= r.lower - 1e-6 and r.inner_upper <= r.upper + 1e-6


def test_scs_solver_parameter():
    r = moment_interval(uniform(4), 4, solver="SCS", exact=False)
    assert "SCS" in r.solver and close(r.width, _schur_width(uniform(4)), 1e-2)


# --- worst case ----------------------------------------------------------------------------
def test_worst_case_one_atom_closed_form():
    """Teacher δ_0, k = 1, box δ: the worst |m_q - 0| over m_0 ∈ [1-δ, 1+δ] is 1 + δ (mass at ±1)."""
    wc = worst_case_extrapolation(["0"], ["1"], 1, 3, 0.01)
    assert wc.status == "certified" and close(wc.value, 1.01, 1e-6)


# --- atom extraction -----------------------------------------------------------------------
@given(teacher_measures(max_dim=3))
def test_extract_atoms_recovers_teacher(teacher):
    atoms, weights = teacher
    g = balanced_teacher(atoms, weights).impulse_response(12)
    out = extract_atoms(g, "unit", 1e-9)
    assert out.flat and out.rank == len(atoms)
    assert np.allclose(out.atoms, [float(a) for a in atoms], atol=1e-6)
    assert np.allclose(out.weights, [float(b) for b in weights], atol=1e-6)


def test_extract_atoms_not_flat():
    g = [float(v) for v in uniform(12)]
    out = extract_atoms(g, "unit", 1e-12)
    assert out.atoms is None and not out.flat and len(out.rank_sequence) >= 2


def test_extract_atoms_on_R():
    g = balanced_teacher([2.0, -0.5], [1.0, 0.5]).impulse_response(10)
    out = extract_atoms(g, "real", 1e-9)
    assert out.flat and np.allclose(out.atoms, [-0.5, 2.0])


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"moments": [-1, 0], "q": 3}, "infeasible"),
    ({"moments": [1, 0, 0, 0, 1], "q": 6, "support": "real"}, "infeasible"),
    ({"moments": [1, 2], "q": 3}, "infeasible"),
    ({"moments": [1, 0], "q": 1}, "q must be"),
    ({"moments": [], "q": 1}, "at least m_0"),
    ({"moments": [1], "q": 2, "eps": -1.0}, "eps must be"),
    ({"moments": [1], "q": 2, "support": "0"}, "support must be"),
])
def test_bad_interval_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        moment_interval(**kwargs)


@pytest.mark.parametrize("args, match", [
    ((["2"], ["1"], 3), "support"), ((["1/2"], ["0"], 3), "weights must be > 0"),
    ((["1/2"], ["1"], 0), "k must be"), ((["1/2", "1/2"], ["1", "1"], 3), "distinct"),
])
def test_bad_identify_input(args, match):
    with pytest.raises(ValueError, match=match):
        identify(*args)


# --- CLI -----------------------------------------------------------------------------------
def test_cli_interval_json(capsys):
    assert main(["moments", "interval", "--moments", "1,0,1/3,0,1/5", "--q", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"q", "lower", "upper", "width", "status", "solver", "evidence"}
    assert abs(out["width"] - 2 * float(next_moment_interval(uniform(5), (F(-1), F(1)))[1])) < 1e-12


def test_cli_identify_json(capsys):
    assert main(["identify", "--atoms", "1/2,-1/2", "--weights", "1,1", "--k", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"identified", "width", "minimal_k", "certificate", "counterexample", "status"}
    assert out["identified"] is False and out["minimal_k"] == 5 and out["certificate"] == "exact"
    assert set(out["counterexample"]) >= {"atoms", "weights"}


@pytest.mark.parametrize("argv", [
    ["identify", "--atoms", "2", "--weights", "1", "--k", "2"],
    ["moments", "interval", "--moments=-1,0", "--q", "3"],
    ["moments", "interval", "--moments", "1,x", "--q", "3"],
])
def test_cli_bad_input_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("theory-check: error:") and "Traceback" not in err


@given(teacher_measures(max_dim=4), st.integers(1, 12))
def test_atomic_moments_equal_exact_markov_parameters(teacher, n):
    """Σ β_i λ_i^j equals C A^j B of A = diag(λ), B = 1, C = β, in exact rationals (model engine)."""
    from theory_check.model import markov_parameters
    atoms, weights = teacher
    A = np.diag(np.array(atoms, dtype=object))
    for i in range(len(atoms)):
        for j in range(len(atoms)):
            A[i, j] = A[i, j] if i == j else F(0)
    B = np.array([[F(1)] for _ in atoms], dtype=object)
    C = np.array([list(weights)], dtype=object)
    assert atomic_moments(list(atoms), list(weights), n) == list(markov_parameters(A, B, C, n))
