"""No wrong "certified": near-degenerate float teachers, the R certificate, sabotaged engines."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theory_check import claims
from theory_check.model import balanced_teacher
from theory_check.moments import identify, moment_interval
from theory_check.moments._exact import atomic_moments


@st.composite
def near_degenerate(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Float teachers that defeat tolerances: atoms 2^-e apart, weights 2^-e, atoms 2^-e from ±1."""
    base = draw(st.integers(-9, 9)) / 10
    kind = draw(st.sampled_from(["close", "tiny", "edge", "exact_edge"]))
    e = draw(st.integers(20, 48))
    if kind == "close":
        atoms, weights = [base, base + 2.0**-e], [1.0, draw(st.sampled_from([1.0, 0.5]))]
    elif kind == "tiny":
        atoms, weights = [base, -0.55 if base != -0.55 else 0.55], [1.0, 2.0**-e]
    elif kind == "edge":
        atoms, weights = [1 - 2.0**-e, -(1 - 2.0**-(e // 2))], [0.5, 0.25]
    else:
        atoms, weights = [1.0, base], [0.75, 2.0**-e]
    if draw(st.booleans()):
        atoms.append(0.123456789)
        weights.append(0.3)
    return atoms, weights


def _predicted_minimal_k(atoms: list[float]) -> int:
    """C6 with exact atoms: interior atoms count 2, atoms exactly at ±1 count 1, plus 1."""
    n_b = sum(abs(F(a)) == 1 for a in atoms)
    return 2 * (len(atoms) - n_b) + n_b + 1


@given(near_degenerate())
def test_near_degenerate_float_teachers_are_decided_exactly(teacher):
    """Every float teacher, however degenerate, gets the exact answer for its stored rationals:
    minimal k from C6, identified iff k ≥ minimal k, never a tolerance decision."""
    atoms, weights = teacher
    pred = _predicted_minimal_k(atoms)
    for k in (pred - 1, pred):
        r = identify(atoms, weights, k)
        assert r.status == "exact" and r.certificate == "exact"
        assert r.minimal_k == pred and r.identified is (k >= pred)
        assert (r.width == 0) is (k >= pred) and isinstance(r.width, F)


@settings(max_examples=6, deadline=None)
@given(near_degenerate())
def test_numeric_path_never_certifies_a_wrong_answer(teacher):
    """The SDP path on the same teachers: a CERTIFIED answer must be the exact one; otherwise it
    is INCONCLUSIVE with the width and the tolerance in its reason."""
    atoms, weights = teacher
    pred = _predicted_minimal_k(atoms)
    for k in (pred - 1, pred):
        r = identify(atoms, weights, k, method="numeric")
        assert r.minimal_k is None or r.minimal_k == pred  # never the theorem's guess
        if r.status in ("certified", "exact"):
            assert r.identified is (k >= pred)
        else:
            assert r.status == "inconclusive" and r.identified is None and r.evidence["reason"]


def test_unboundedness_on_R_carries_a_checkable_certificate():
    """eps > 0 on R: the certificate's perturbation β δ_y keeps the training moments within eps
    and moves m_q by β y^q (checked here exactly); for odd q both ends are infinite."""
    w = atomic_moments([F(-1, 2), F(1, 2)], [F(1, 2), F(1, 2)], 5)
    r = moment_interval(w, 9, "real", eps=1e-4, norm="box")
    assert r.status == "unbounded" and r.upper == math.inf and r.lower == -math.inf
    y, beta = F(r.evidence["certificate_y"]), F(r.evidence["certificate_beta"])
    shifted = atomic_moments([F(-1, 2), F(1, 2), y], [F(1, 2), F(1, 2), beta], 10)
    base = atomic_moments([F(-1, 2), F(1, 2)], [F(1, 2), F(1, 2)], 10)
    assert max(abs(shifted[j] - base[j]) for j in range(5)) <= F(1e-4)
    assert shifted[9] - base[9] == beta * y**9 and float(beta * y**9) > 1
    # the same question on [-1, 1] is bounded (the spectral constraint)
    u = moment_interval(w, 9, "unit", eps=1e-4, norm="box")
    assert u.status == "certified" and abs(float(u.upper)) < 1


def test_exact_output_for_rational_input():
    """Rational data give rational answers and JSON carries the exact string and a float."""
    r = moment_interval(["1", "1/2"], 2)
    assert (r.lower, r.upper, r.width) == (F(1, 4), F(1), F(3, 4))
    j = r.to_json()
    assert j["lower_exact"] == "1/4" and j["lower"] == 0.25 and j["upper_exact"] == "1"
    inf = moment_interval(["1", "0", "1"], 3, "real").to_json()
    assert inf["upper"] == "inf" and inf["upper_exact"] is None


def test_n5_engine_evidence_agrees_with_its_reason():
    """N5 asks the engine the question its reason states: unbounded on R for every δ."""
    r = claims.get("N5").verify()
    assert r.status == "FAIL" and r.as_expected
    assert set(r.evidence["engine_on_R"]) == {"unbounded"}
    assert all(u == math.inf for u in r.evidence["engine_on_R_upper"])
    assert r.evidence["engine_on_unit_status"] == "certified"


def test_halved_interval_makes_c6_and_n1_leave_their_verdicts_without_raising():
    """The defect of issue 10: a halved exact interval used to raise StopIteration in verify."""
    from theory_check.selftest import load_catalogues
    sab = load_catalogues()["moments.interval_halved"]
    with sab.apply():
        c6 = claims.get("C6").verify(n_teachers=3)
        n1 = claims.get("N1").verify(n_teachers=3)
    assert c6.status == "FAIL" and "StopIteration" not in c6.reason
    assert n1.status == "INCONCLUSIVE" and "counterexample" in n1.reason


def test_identify_on_a_float_teacher_matches_its_impulse_response():
    """The counterexample of a float teacher is checked against the model engine's impulse
    response of the float teacher (L_k at rounding level, E_q > 0)."""
    atoms, weights = [0.3, -0.6], [0.4, 0.7]
    r = identify(atoms, weights, 4)
    c = r.counterexample
    assert c is not None and c["student_L_k"] < 1e-25
    g = balanced_teacher(c["atoms"], c["weights"]).impulse_response(5)
    w = balanced_teacher(atoms, weights).impulse_response(5)
    assert np.max(np.abs(g[:4] - w[:4])) < 1e-12 and abs(g[4] - w[4]) > 1e-3
