"""The gradient-flow integrator: agreement with mpmath.odefun and DOP853, the precision ladder,
exact GD identities, bad input, and the CLI."""

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory_check import LinearRNN, balanced_teacher, loss_gradient, random_student
from theory_check.cli import main
from theory_check.flow import integrate
from theory_check.model import q_matrix
from theory_check.strategies import balanced_teachers, students

TEACHER = balanced_teacher([0.9, -0.5], [1.0, 1.0])


def _max_diff(x, y) -> float:
    # subtract at high precision: mpf(a) would first round a to the current (53-bit) precision
    with mpmath.workdps(120):
        return max(float(abs(a - b)) for p, q in zip(x, y) for a, b in zip(np.ravel(p), np.ravel(q)))


def test_gmpy2_backend_is_active() -> None:
    assert mpmath.libmp.BACKEND == "gmpy"


@pytest.mark.parametrize("param", ["full", "diagonal", "balanced"])
def test_taylor_agrees_with_odefun_to_working_precision(param) -> None:
    s = random_student(2, 0.6, 4, kind=param)
    dps = 20
    ours = integrate(s, TEACHER, 3, 0.7, param=param, dps=dps)
    ref = integrate(s, TEACHER, 3, 0.7, method="odefun", param=param, dps=dps, n_out=1)
    assert ours.status == ref.status == "ok"
    assert _max_diff(ours.final_state, ref.final_state) <= 10.0 ** (-dps + 5)
    # and the flow really moved, so agreement is not trivial
    assert _max_diff(ours.final_state, (s.A, s.B.ravel(), s.C.ravel())) > 1e-3


def test_taylor_agrees_with_dop853_to_float_accuracy() -> None:
    s = random_student(3, 0.5, 1)
    ours = integrate(s, TEACHER, 4, 3.0, dps=20)
    ref = integrate(s, TEACHER, 4, 3.0, method="dop853")
    assert _max_diff(ours.final_state, ref.final_state) <= 1e-9
    assert abs(ours.final_loss - ref.final_loss) <= 1e-9


def test_precision_ladder_drift_falls_with_dps() -> None:
    s = random_student(3, 0.5, 2)
    drifts = [integrate(s, TEACHER, 4, 0.5, dps=p).max_q_drift_rel for p in (10, 20, 30)]
    assert drifts[0] > drifts[1] > drifts[2]
    for p, x in zip((10, 20, 30), drifts):
        assert x <= 10.0 ** (-p + 2)
    floor = integrate(s, TEACHER, 4, 0.5, method="dop853").max_q_drift_rel
    assert floor > drifts[1] * 1e6  # double precision cannot show what dps 20 shows


def test_mixed_float_tier_matches_all_fixed_point() -> None:
    s = random_student(3, 0.5, 3)
    a = integrate(s, TEACHER, 4, 2.0, dps=30, mixed=False)
    b = integrate(s, TEACHER, 4, 2.0, dps=30, mixed=True)
    assert b.settings["float64_from_order"] < b.settings["order"]
    assert _max_diff(a.final_state, b.final_state) <= 1e-28


def test_balanced_param_is_the_full_flow_restricted_to_the_manifold() -> None:
    s = random_student(3, 0.5, 5, kind="balanced")
    full = integrate(s, TEACHER, 4, 1.0, param="full", dps=25)
    bal = integrate(s, TEACHER, 4, 1.0, param="balanced", dps=25)
    assert _max_diff(full.final_state, bal.final_state) <= 1e-20
    assert np.max(bal.q_drift) == 0.0  # Q ≡ 0 on the manifold, exactly in fixed point


@settings(max_examples=8)
@given(teacher=balanced_teachers(max_dim=2), student=students(max_dim=3, kind="full", scale=0.8),
       k=st.integers(1, 4))
def test_taylor_conserves_q_for_random_problems(teacher, student, k) -> None:
    tr = integrate(student, teacher, k, 0.3, dps=20)
    assert tr.status == "ok"
    assert tr.max_q_drift_rel <= 1e-15
    assert tr.loss[-1] <= tr.loss[0] + 1e-15  # gradient flow never increases the loss


@settings(max_examples=10)
@given(k=st.integers(1, 5), num=st.integers(1, 50))
def test_one_gd_step_changes_q_by_exactly_eta_squared_q_of_gradient(k, num) -> None:
    rng = np.random.default_rng(k * 100 + num)
    d = 3
    def draw(shape):
        return np.array([[Fraction(int(v), 7) for v in row] for row in rng.integers(-5, 6, shape)],
                        dtype=object)
    A, B, C = draw((d, d)), draw((d, 1)), draw((1, d))
    w = np.array([Fraction(1, j + 1) for j in range(k)], dtype=object)
    eta = Fraction(num, 100)
    gA, gB, gC = loss_gradient(A, B, C, w)
    change = q_matrix(A - eta * gA, B - eta * gB, C - eta * gC) - q_matrix(A, B, C)
    assert np.all(change == eta**2 * q_matrix(gA, gB, gC))


def test_gd_drift_halves_with_eta() -> None:
    s = random_student(3, 0.5, 0)
    drifts = [integrate(s, TEACHER, 4, 1.0, method="gd", eta=e).q_drift[-1] for e in (0.02, 0.01, 0.005)]
    r1, r2 = drifts[0] / drifts[1], drifts[1] / drifts[2]
    assert 1.8 < r1 < 2.2 and 1.8 < r2 < 2.2


def test_trajectory_records_what_the_issue_asks() -> None:
    s = random_student(2, 0.5, 0)
    tr = integrate(s, TEACHER, 3, 1.0, dps=15)
    assert tr.times[0] == 0.0 and tr.times[-1] == 1.0 and tr.t_end == 1.0
    n = tr.times.size
    for col in (tr.loss, tr.q_drift, tr.q_drift_rel, tr.b_minus_ct_rel, tr.a_asym_rel):
        assert col.shape == (n,) and np.all(np.isfinite(col))
    assert len(tr.states) == n and tr.settings["order"] >= 10 and tr.settings["steps"] == tr.steps
    assert list(tr.summary())[:2] == ["status", "t_end"]
    assert set(tr.summary()) == {"status", "t_end", "method", "dps", "T", "steps", "final_loss",
                                 "max_Q_drift", "final_unbalancedness", "seconds"}
    assert tr.summary()["status"] == "ok" and tr.summary()["t_end"] == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"T": 0.0}, "T must be"), ({"T": -1.0}, "T must be"), ({"dps": 0}, "dps must be"),
    ({"dps": 10_000}, r"dps must be an integer in \[5, 200\]"), ({"method": "rk4"}, "method must be"),
    ({"param": "sym"}, "param must be"), ({"method": "gd"}, "needs eta"),
    ({"method": "gd", "eta": -1.0}, "eta must be"), ({"k": 0}, "k must be"),
])
def test_bad_input_names_the_parameter(kwargs, match) -> None:
    args = {"T": 1.0, **kwargs}
    T = args.pop("T")
    k = args.pop("k", 3)
    with pytest.raises(ValueError, match=match):
        integrate(random_student(2, 0.5, 0), TEACHER, k, T, **args)


@pytest.mark.parametrize("method, option", [
    ("dop853", {"dps": 20}), ("gd", {"dps": 20, "eta": 0.1}), ("taylor", {"eta": 0.1}),
    ("odefun", {"eta": 0.1}), ("taylor", {"tol": 1e-10}), ("gd", {"tol": 1e-10, "eta": 0.1}),
    ("odefun", {"mixed": False}), ("dop853", {"mixed": True}),
])
def test_options_that_do_not_apply_to_the_method_are_refused(method, option) -> None:
    name = next(k for k in option if not (k == "eta" and method == "gd"))
    with pytest.raises(ValueError, match=rf"^{name} applies only to method .*method='{method}'"):
        integrate(random_student(2, 0.5, 0), TEACHER, 3, 0.1, method=method, **option)


def test_options_that_apply_are_used() -> None:
    # tol reaches DOP853 (a looser tolerance takes fewer evaluations), mixed reaches Taylor.
    s = random_student(2, 0.5, 0)
    loose = integrate(s, TEACHER, 3, 1.0, method="dop853", tol=1e-6)
    tight = integrate(s, TEACHER, 3, 1.0, method="dop853", tol=1e-13)
    assert loose.settings["rtol"] == 1e-6 and loose.steps < tight.steps
    assert integrate(s, TEACHER, 3, 0.2, dps=15, mixed=False).settings["float64_from_order"] is None


@pytest.mark.parametrize("argv", [["--method", "dop853", "--dps", "20"],
                                  ["--method", "taylor", "--eta", "0.1"]])
def test_cli_integrate_refuses_inapplicable_options(argv, capsys) -> None:
    assert main(["integrate", "--T", "0.1", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("theory-check: error:") and "applies only to method" in err
    assert len(err.splitlines()) == 1


def test_param_must_match_the_student() -> None:
    with pytest.raises(ValueError, match="diagonal"):
        integrate(random_student(2, 0.5, 0), TEACHER, 3, 1.0, param="diagonal")
    with pytest.raises(ValueError, match="balanced"):
        integrate(random_student(2, 0.5, 0), TEACHER, 3, 1.0, param="balanced")


def test_gd_blow_up_gives_status_diverged_with_time_not_nan() -> None:
    big = LinearRNN(np.eye(2) * 3.0, np.ones((2, 1)) * 3, -np.ones((1, 2)) * 3)
    tr = integrate(big, TEACHER, 4, 5.0, method="gd", eta=0.5, bound=1e3)
    assert tr.status == "diverged" and 0.0 < tr.t_end < 5.0
    assert np.all(np.isfinite(tr.loss))


@pytest.mark.parametrize("method", ["taylor", "dop853"])
def test_flow_leaving_the_bound_stops_with_status_diverged(method) -> None:
    # From σ = 1e-2 the flow grows to O(1) (C8): a bound of 0.3 is crossed at some t < T.
    s = random_student(2, 1e-2, 0)
    extra = {"dps": 15} if method == "taylor" else {}
    tr = integrate(s, TEACHER, 3, 20.0, method=method, bound=0.3, **extra)
    assert tr.status == "diverged" and 0.0 < tr.t_end < 20.0
    assert np.all(np.isfinite(tr.loss))


def test_cli_integrate_json_fields(capsys) -> None:
    rc = main(["integrate", "--param", "full", "--d", "2", "--k", "3", "--teacher-atoms", "0.9,-0.5",
               "--teacher-weights", "1,1", "--init-scale", "1e-2", "--T", "2", "--dps", "20",
               "--method", "taylor", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"status", "t_end", "method", "dps", "T", "steps", "final_loss", "max_Q_drift",
                        "final_unbalancedness", "seconds"}
    assert out["status"] == "ok" and out["t_end"] == 2.0
    assert set(out["final_unbalancedness"]) == {"B_minus_Ct_rel", "A_asym_rel"}
    assert out["method"] == "taylor" and out["dps"] == 20 and out["max_Q_drift"] < 1e-15


def test_cli_integrate_table_starts_with_status_and_lists_each_field_once(capsys) -> None:
    assert main(["integrate", "--d", "2", "--k", "3", "--T", "1", "--dps", "15"]) == 0
    keys = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert keys[:2] == ["status", "t_end"] and len(keys) == len(set(keys))


@pytest.mark.parametrize("argv", [["--dps", "0"], ["--T", "-1"], ["--method", "euler"],
                                  ["--method", "gd"], ["--teacher-atoms", "a,b"]])
def test_cli_integrate_bad_input_exit_2(argv, capsys) -> None:
    assert main(["integrate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("theory-check: error:") and len(err.strip().splitlines()) == 1


def test_ctrl_c_returns_the_trajectory_so_far(monkeypatch) -> None:
    from theory_check.flow import _taylor

    real = _taylor.taylor_step_coefficients
    calls = {"n": 0}

    def interrupted_after_three(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_taylor, "taylor_step_coefficients", interrupted_after_three)
    tr = integrate(random_student(2, 0.5, 0), TEACHER, 3, 50.0, dps=15)
    assert tr.status == "interrupted" and tr.steps == 3
    assert 0.0 < tr.t_end < 50.0 and tr.times[-1] == tr.t_end


@pytest.mark.parametrize("method, extra", [("taylor", {"dps": 15}), ("gd", {"eta": 0.05})])
def test_progress_bar_can_be_forced_on(method, extra) -> None:
    tr = integrate(random_student(2, 0.5, 0), TEACHER, 3, 0.5, method=method, progress=True,
                   **extra)
    assert tr.status == "ok" and tr.times[-1] == pytest.approx(0.5)


@pytest.mark.parametrize("method, extra", [("taylor", {"dps": 15}), ("odefun", {"dps": 15, "n_out": 4}),
                                           ("dop853", {}), ("gd", {"eta": 0.05})])
def test_progress_callable_receives_the_time_reached(method, extra) -> None:
    seen: list[float] = []
    tr = integrate(random_student(2, 0.5, 0), TEACHER, 3, 0.5, method=method, progress=seen.append,
                   **extra)
    assert tr.status == "ok" and seen and all(isinstance(t, float) for t in seen)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(tr.t_end) and 0.0 <= seen[0]


@pytest.mark.parametrize("method, extra", [("taylor", {"dps": 15}), ("gd", {"eta": 0.01})])
def test_ctrl_c_in_the_progress_callable_interrupts_the_run(method, extra) -> None:
    seen: list[float] = []

    def tick(t: float) -> None:
        seen.append(t)
        if len(seen) == 2:
            raise KeyboardInterrupt

    tr = integrate(random_student(2, 0.5, 0), TEACHER, 3, 5.0, method=method, progress=tick, **extra)
    assert tr.status == "interrupted" and 0.0 < tr.t_end < 5.0 and tr.t_end == pytest.approx(seen[-1])


def test_progress_must_be_a_bool_or_a_callable() -> None:
    with pytest.raises(ValueError, match=r"progress must be None, a bool or a callable progress\(t"):
        integrate(random_student(2, 0.5, 0), TEACHER, 3, 0.5, dps=15, progress="yes")
