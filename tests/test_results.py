"""The ground floor: one Status vocabulary, `judge` on every numeric type, verify never crashes."""

import json
import math
from fractions import Fraction

import gmpy2
import mpmath
import numpy as np
import pytest

from theory_check._validate import ParameterError, check_int
from theory_check.claims import Kind, Outcome, Status, judge
from theory_check.claims._registry import Claim
from theory_check.results import NotebookRepr, is_finite_number, jsonable

NON_FINITE = [float("nan"), float("inf"), np.float64("nan"), np.float32("inf"), mpmath.mpf("nan"),
              mpmath.inf, gmpy2.mpfr("nan"), np.longdouble("nan")]


@pytest.mark.parametrize("bad", NON_FINITE, ids=lambda x: f"{type(x).__name__}({x})")
@pytest.mark.parametrize("kind", [Kind.EQUALITY, Kind.BOUND, Kind.CONSERVED, Kind.INVARIANT])
@pytest.mark.parametrize("slot", [0, 1, 2])
def test_judge_is_inconclusive_on_any_non_finite_number(bad, kind, slot) -> None:
    args = [0.0, 0.0, 1e-9]
    args[slot] = bad
    assert judge(kind, *args) is Status.INCONCLUSIVE


@pytest.mark.parametrize(("computed", "theory", "tol", "status"), [
    (Fraction(1, 3), Fraction(1, 3), 0, Status.PASS),
    (Fraction(1, 3), Fraction(1, 3) + Fraction(1, 10**40), 0, Status.FAIL),
    (mpmath.mpf("1e-40"), 0, mpmath.mpf("1e-35"), Status.PASS),
    (np.float32(2.0), 2, 0, Status.PASS),
    (gmpy2.mpfr("1.5"), 1, Fraction(1, 4), Status.FAIL),
    (10**400, 10**400, 0, Status.PASS),  # exact integers beyond float range stay exact
])
def test_judge_decides_exact_and_multiprecision_numbers(computed, theory, tol, status) -> None:
    assert judge(Kind.EQUALITY, computed, theory, tol) is status


def test_judge_refuses_a_non_number_and_a_qualitative_kind() -> None:
    assert judge(Kind.BOUND, "0.1", 1.0) is Status.INCONCLUSIVE
    assert judge(Kind.BOUND, None, 1.0) is Status.INCONCLUSIVE
    with pytest.raises(ValueError, match="qualitative"):
        judge(Kind.QUALITATIVE, 1.0)


def test_one_status_vocabulary_compares_as_strings_and_explains_itself() -> None:
    assert Status.CERTIFIED == "certified" and Status.MAX_STEPS == "max_steps"
    assert {s for s in Status if s.is_verdict} == {Status.PASS, Status.FAIL, Status.INCONCLUSIVE}
    assert all(s.message for s in Status)
    with pytest.raises(TypeError, match="PASS, FAIL or INCONCLUSIVE"):
        Outcome(Status.CERTIFIED, "not a verdict", {})


def test_jsonable_convention() -> None:
    data = {"q": Fraction(1, 16), "inf": float("inf"), "ninf": -np.inf, "nan": np.float64("nan"),
            "arr": np.array([1, 2]), "s": Status.EXACT, "t": (1, np.int64(2)), "b": np.bool_(True)}
    out = jsonable(data)
    assert out == {"q": "1/16", "inf": "inf", "ninf": "-inf", "nan": "nan", "arr": [1, 2],
                   "s": "exact", "t": [1, 2], "b": True}
    json.dumps(out, allow_nan=False)  # strictly valid JSON


def test_is_finite_number() -> None:
    assert is_finite_number(Fraction(10**500, 3)) and is_finite_number(mpmath.mpf(2))
    assert not any(is_finite_number(x) for x in [*NON_FINITE, "1", None, [1.0]])


def _claim(check, **defaults) -> Claim:
    return Claim(id="C99", title="t", statement="s", kind=Kind.EQUALITY, expected=True,
                 check=check, defaults=defaults)


def test_verify_turns_any_exception_into_inconclusive_naming_it() -> None:
    def boom(rng, **_):
        raise StopIteration("ran out")  # not an ArithmeticError/ValueError: used to escape

    r = _claim(boom).verify()
    assert r.status is Status.INCONCLUSIVE
    assert "StopIteration" in r.reason and "ran out" in r.reason
    assert r.evidence["exception"] == "StopIteration"


def test_verify_raises_on_a_bad_parameter_of_its_own_but_not_on_an_engine_refusal() -> None:
    def check(rng, *, n):
        check_int("n", n, minimum=1)
        check_int("inner_k", 0, minimum=1)  # an engine call the claim got wrong
        return Outcome(Status.PASS, "", {})

    c = _claim(check, n=3)
    with pytest.raises(ParameterError, match="n must be"):
        c.verify(n=0)
    r = c.verify()
    assert r.status is Status.INCONCLUSIVE and "inner_k" in r.reason


def test_verify_propagates_keyboard_interrupt_and_rejects_a_non_outcome() -> None:
    def interrupted(rng):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _claim(interrupted).verify()
    r = _claim(lambda rng: (Status.PASS, "looks like an outcome")).verify()
    assert r.status is Status.INCONCLUSIVE and "not an Outcome" in r.reason


def test_notebook_reprs_show_every_field() -> None:
    r = _claim(lambda rng: Outcome(Status.PASS, "fine | really", {"x": math.pi})).verify()
    assert isinstance(r, NotebookRepr)
    md, html = r._repr_markdown_(), r._repr_html_()
    for name in ("id", "status", "reason", "evidence"):
        assert f"| {name} |" in md and f">{name}<" in html
    assert "fine \\| really" in md  # a pipe in a value does not break the table
