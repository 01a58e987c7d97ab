"""The registry and the claims implemented on the model (C1, C4, C5): verdicts and their failures."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory_check import claims
from theory_check.claims import Kind, Status, judge
from theory_check.claims.basic import measure_moments, shift_register
from theory_check.model import markov_parameters
from theory_check.strategies import teacher_and_k


def test_registry_ids_are_ordered_and_expected_truth_follows_prefix() -> None:
    ids = [c.id for c in claims.builtin_claims()]
    assert ids == sorted(ids, key=lambda i: (i[0] != "C", int(i[1:])))
    assert {f"C{n}" for n in range(1, 12)} | {f"N{n}" for n in range(1, 6)} <= set(ids)
    assert [c.id for c in claims.all_claims()][: len(ids)] == ids  # built-ins come first
    for c in claims.builtin_claims():
        assert c.expected == c.id.startswith("C")
        assert c.kind in Kind and c.rule
        assert set(c.thorough) <= set(c.defaults), f"{c.id} thorough names unknown params"


def test_unknown_id_and_unknown_parameter_are_errors() -> None:
    with pytest.raises(ValueError, match="valid ids: C1"):
        claims.get("C99")
    with pytest.raises(ValueError, match="has no parameter"):
        claims.get("C1").verify(bogus=1)


@pytest.mark.parametrize(
    ("kind", "args", "status"),
    [
        (Kind.EQUALITY, (1.0 + 1e-9, 1.0, 1e-8), Status.PASS),
        (Kind.EQUALITY, (1.1, 1.0, 1e-8), Status.FAIL),
        (Kind.BOUND, (0.5, 1.0, 0.0), Status.PASS),
        (Kind.BOUND, (1.5, 1.0, 0.1), Status.FAIL),
        (Kind.CONSERVED, (1e-30, 0.0, 1e-25), Status.PASS),
        (Kind.CONSERVED, (float("nan"), 0.0, 1e-25), Status.INCONCLUSIVE),
        (Kind.RANK, (3, 3, 0), Status.PASS),
        (Kind.RANK, (2, 3, 0), Status.FAIL),
    ],
)
def test_judge_applies_the_kind_rule(kind, args, status) -> None:
    assert judge(kind, *args) is status


@pytest.mark.parametrize("cid", ["C1", "C4", "C5"])
def test_true_claims_pass_with_evidence_and_provenance(cid: str) -> None:
    r = claims.get(cid).verify(seed=1)
    assert r.status is Status.PASS, r.reason
    assert r.as_expected and r.evidence and r.seconds > 0
    assert r.provenance["seed"] == 1 and "numpy" in r.provenance["versions"]
    json.dumps(r.to_json())  # everything serialisable


@pytest.mark.parametrize(
    ("cid", "override"),
    [
        ("C1", {"d": 3, "k": 5}),                 # too few states to fit k moments
        ("C4", {"student_kind": "full"}),        # start off the balanced set
        ("C5", {"student_kind": "full"}),        # unbalanced: not a moment sequence
        ("C5", {"student_kind": "diagonal"}),
    ],
)
def test_checkers_can_fail_and_then_give_a_counterexample(cid: str, override: dict) -> None:
    r = claims.get(cid).verify(**override)
    assert r.status is Status.FAIL, r.reason
    assert r.counterexample, "a FAIL must come with its counterexample"


def test_nan_in_a_check_is_inconclusive_not_pass() -> None:
    r = claims.get("C5").verify(scale=1e200)  # moments overflow to inf / nan
    assert r.status is Status.INCONCLUSIVE


@given(teacher_and_k(max_dim=3), st.fractions(-100, 100))
def test_shift_register_fits_any_teacher_with_any_next_value(tk, t) -> None:
    (atoms, weights), k = tk
    w = measure_moments(list(atoms), list(weights), k)
    for d in (k, k + 3):
        A, B, C = shift_register([*w, Fraction(t)], d)
        g = markov_parameters(A, B, C, k + 1)
        assert list(g[:k]) == w and g[k] == t  # exact equality: a certificate


@given(teacher_and_k(max_dim=3))
def test_shift_register_cannot_fit_when_d_is_below_k(tk) -> None:
    (atoms, weights), k = tk
    if k < 3:
        return
    w = measure_moments(list(atoms), list(weights), k + 1)
    A, B, C = shift_register(w, k - 2)
    g = markov_parameters(A, B, C, k)
    # A d-state system obeys a recurrence of order d; the d̂-atom teacher with d̂ ≥ d only
    # agrees by accident, which the exact arithmetic makes visible.
    if len(atoms) > k - 2:
        assert list(g) != w[:k]
    else:
        assert np.isfinite(float(sum(g)))


def test_combine_fails_if_any_part_fails_and_prefixes_evidence() -> None:
    from theory_check.claims import Outcome, combine

    ok = Outcome(Status.PASS, "fine", {"x": 1})
    bad = Outcome(Status.FAIL, "broken", {"x": 2}, {"point": 0})
    unsure = Outcome(Status.INCONCLUSIVE, "solver", {"y": 3})
    both = combine({"symbolic": ok, "numeric": bad})
    assert both.status is Status.FAIL and both.counterexample == {"point": 0}
    assert both.evidence == {"symbolic.x": 1, "numeric.x": 2}
    assert combine({"a": ok, "b": unsure}).status is Status.INCONCLUSIVE
    assert combine({"a": ok, "b": ok}).status is Status.PASS
