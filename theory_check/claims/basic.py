"""Claims checked directly on the model: C1 (non-uniqueness), C4 (invariance, numeric), C5 (moments)."""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import numpy as np
from scipy.integrate import solve_ivp

from theory_check._validate import ParameterError, check_choice, check_int, check_real
from theory_check.claims._gradcheck import check_gradient, gradient_outcome
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.model import (
    STUDENT_KINDS,
    LinearRNN,
    balanced_teacher,
    hankel,
    loss_gradient,
    markov_parameters,
    random_student,
)


def random_teacher_measure(
    rng: np.random.Generator, d_hat: int, *, denominator: int = 20
) -> tuple[list[Fraction], list[Fraction]]:
    """Distinct rational atoms in (-1, 1) on the grid 1/denominator, rational weights in [1/2, 2]."""
    grid = np.arange(-denominator + 1, denominator)
    nums = rng.choice(grid, size=d_hat, replace=False)
    atoms = [Fraction(int(n), denominator) for n in sorted(nums)]
    weights = [Fraction(int(rng.integers(4, 17)), 8) for _ in range(d_hat)]
    return atoms, weights


def measure_moments(atoms: list[Fraction], weights: list[Fraction], n: int) -> list[Fraction]:
    """Exact moments `m_j = Σ_i β_i λ_i^j`, j < n, of a rational atomic measure."""
    return [sum((b * a**j for a, b in zip(atoms, weights, strict=True)), Fraction(0))
            for j in range(n)]


def shift_register(g: list[Fraction], d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A d-state realization matching `g_j = C A^j B` for j ≤ d (when len(g) ≤ d + 1).

    A is the down-shift (A e_i = e_{i+1}) with a feedback column `A e_d = a`, B = e_1,
    C = (g_0, …, g_{d-1}): then `A^j B = e_{j+1}` for j < d gives `C A^j B = g_j`, and
    `g_d = C a` is set by `a = (g_d / g_m) e_{m+1}` for the m < d with largest |g_m|
    (a = 0 when len(g) ≤ d, which makes A nilpotent). Entries of g beyond index d are not
    matched: with d < k the student cannot fit, which is how C1's check fails.
    Exact rational object arrays.
    """
    A = np.full((d, d), Fraction(0), dtype=object)
    for i in range(d - 1):
        A[i + 1, i] = Fraction(1)
    B = np.full((d, 1), Fraction(0), dtype=object)
    B[0, 0] = Fraction(1)
    C = np.full((1, d), Fraction(0), dtype=object)
    for j in range(min(d, len(g))):
        C[0, j] = Fraction(g[j])
    if len(g) > d:
        m = max(range(d), key=lambda i: abs(C[0, i]))
        if C[0, m] != 0:
            A[m, d - 1] = Fraction(g[d]) / C[0, m]
    return A, B, C


@claim(
    "C1",
    title="Non-uniqueness",
    statement="For d ≥ k there are zero-loss students with arbitrary g_k",
    kind=Kind.EQUALITY,
    defaults={"d_hat": 2, "k": 5, "d": 8, "n_teachers": 20,
              "g_k_values": (-10.0, -1.0, 0.0, 1.0, 10.0)},
    thorough={"n_teachers": 200, "d": 40, "k": 12, "d_hat": 4},
    engines=("model",),
    headline=("max_train_loss", "max_g_k_error", "g_k_spread"),
)
def check_c1(rng: np.random.Generator, *, d_hat: int, k: int, d: int, n_teachers: int,
             g_k_values: tuple[float, ...]) -> Outcome:
    """Build shift-register students in exact rationals; L_k = 0 and g_k = t for every target t.

    Teachers: d̂ distinct rational atoms in (-1, 1), rational weights. Students: `shift_register`
    of (ŵ_0, …, ŵ_{k-1}, t). Exact arithmetic, so the check is a certificate (tol = 0). With
    d < k the construction cannot fit and the check fails, as it must.
    """
    d_hat = check_int("d_hat", d_hat, minimum=1)
    k = check_int("k", k, minimum=1)
    d = check_int("d", d, minimum=1)
    n_teachers = check_int("n_teachers", n_teachers, minimum=1)
    if len(g_k_values) < 2:
        raise ParameterError("g_k_values", "g_k_values must hold at least 2 distinct targets for g_k")
    targets = [Fraction(t) for t in g_k_values]
    max_loss, max_err = Fraction(0), Fraction(0)
    worst = None
    achieved: list[Fraction] = []
    for _ in range(n_teachers):
        atoms, weights = random_teacher_measure(rng, d_hat)
        w = measure_moments(atoms, weights, k + 1)
        for t in targets:
            A, B, C = shift_register([*w[:k], t], d)
            g = markov_parameters(A, B, C, k + 1)
            loss = sum(((g[j] - w[j]) ** 2 for j in range(k)), Fraction(0))
            err = abs(g[k] - t)
            achieved.append(g[k])
            if loss > max_loss or err > max_err:
                worst = {"atoms": atoms, "weights": weights, "target_g_k": t,
                         "train_loss": loss, "g_k": g[k]}
            max_loss, max_err = max(max_loss, loss), max(max_err, err)
    spread = max(achieved) - min(achieved)
    evidence = {
        "max_train_loss": max_loss, "max_g_k_error": max_err, "g_k_spread": spread,
        "n_students": len(achieved), "d": d, "k": k, "arithmetic": "exact rational",
        "tolerance": 0,
    }
    if max_loss == 0 and max_err == 0 and spread > 0:
        return Outcome(Status.PASS, f"{len(achieved)} exact zero-loss students, g_k spans "
                       f"[{min(achieved)}, {max(achieved)}]", evidence)
    return Outcome(Status.FAIL, f"shift-register students with d={d}, k={k} do not fit "
                   f"(max L_k = {float(max_loss):.3g}, max |g_k - t| = {float(max_err):.3g})",
                   evidence, counterexample=worst)


def _asymmetry(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> float:
    """Relative distance from the balanced set: max(‖A - Aᵀ‖/‖A‖, ‖B - Cᵀ‖/‖B‖)."""
    na = max(float(np.linalg.norm(A)), 1e-300)
    nb = max(float(np.linalg.norm(B)), 1e-300)
    return max(float(np.linalg.norm(A - A.T)) / na, float(np.linalg.norm(B - C.T)) / nb)


def _rational_student(rng: np.random.Generator, d: int, kind: str) -> tuple[np.ndarray, ...]:
    """A random student with small rational entries (numerators in [-8, 8], denominator 16)."""
    def draw(shape: tuple[int, int]) -> np.ndarray:
        vals = rng.integers(-8, 9, size=shape)
        return np.array([[Fraction(int(v), 16) for v in row] for row in vals], dtype=object)

    A = draw((d, d))
    if kind == "diagonal":
        A = np.array([[A[i, j] if i == j else Fraction(0) for j in range(d)] for i in range(d)],
                     dtype=object)
    if kind == "balanced":
        A = np.array([[A[min(i, j), max(i, j)] for j in range(d)] for i in range(d)],
                     dtype=object)
    B = draw((d, 1))
    C = B.T.copy() if kind == "balanced" else draw((1, d))
    return A, B, C


def c4_numeric(rng: np.random.Generator, *, d: int, k: int, d_hat: int, n_students: int,
             exact_steps: int, n_trajectories: int, gd_steps: int,
             step_sizes: tuple[float, ...], flow_time: float, scale: float, student_kind: str,
             tol: float) -> Outcome:
    """Invariance of M = {A = Aᵀ, B = Cᵀ}: an exact certificate, a float check, and trajectories.

    1. Exact (decides): from rational θ ∈ M, `exact_steps` GD steps of random rational sizes η
       in exact arithmetic stay in M; at each point ∇_A L is symmetric and ∇_B L = (∇_C L)ᵀ.
       So GD with any step stays in M, and -∇L is tangent to the linear subspace M, which with
       uniqueness of ODE solutions makes M invariant under GF.
    2. Tangency in float64 (decides): `(‖∇_A L - ∇_A Lᵀ‖ + ‖∇_B L - ∇_C Lᵀ‖) / ‖∇L‖ ≤ tol`
       at random θ ∈ M.
    3. Trajectories (reported, does not decide): departure `δ = max(‖A - Aᵀ‖/‖A‖,
       ‖B - Cᵀ‖/‖B‖)` along float GD at each step size and along DOP853 flow (rtol 1e-12). M can
       be transversally unstable, so rounding errors grow; a twin kicked off M by ε every step
       shows what they grow into, and `δ / ((u/ε) · δ_twin)` (u = 2^-53, or rtol·steps for the
       flow) is reported: O(1) means rounding explains the departure. Long horizons where it
       is not O(1) are the reason the high-precision integrator exists.
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1)
    check_int("gd_steps", gd_steps, minimum=1)
    exact_steps = check_int("exact_steps", exact_steps, minimum=1, maximum=6)
    check_real("flow_time", flow_time, minimum=0.0, strict_min=True)
    check_choice("student_kind", student_kind, STUDENT_KINDS)
    t_start = time.perf_counter()
    exact_ok, counterexample, exact_points = True, None, []
    for _ in range(n_students):
        A, B, C = _rational_student(rng, d, student_kind)
        atoms, weights = random_teacher_measure(rng, d_hat)
        w = np.array(measure_moments(atoms, weights, k), dtype=object)
        exact_points.append((A, B, C, list(w)))
        for _step in range(exact_steps):
            dA, dB, dC = loss_gradient(A, B, C, w)
            eta = Fraction(int(rng.integers(1, 100)), 1000)
            A, B, C = A - eta * dA, B - eta * dB, C - eta * dC
            if not (np.all(A == A.T) and np.all(B == C.T)):
                exact_ok = False
                counterexample = {"teacher_atoms": atoms, "teacher_weights": weights,
                                  "eta": eta, "A_after_step": A.tolist(),
                                  "B_after_step": B.tolist(), "C_after_step": C.tolist()}
                break
        if not exact_ok:
            break

    t_exact = time.perf_counter() - t_start
    max_tangency, max_ratio, horizon_cut, diverged, worst_run = 0.0, 0.0, 0, 0, ""
    float_points = []
    for i in range(n_students):
        student = random_student(d, scale, rng, kind=student_kind)  # type: ignore[arg-type]
        atoms, weights = random_teacher_measure(rng, d_hat)
        w = balanced_teacher([float(a) for a in atoms], [float(b) for b in weights]) \
            .impulse_response(k)
        if i < _GRADCHECK_POINTS:
            float_points.append((student.A, student.B, student.C, w))
        dA, dB, dC = loss_gradient(student.A, student.B, student.C, w)
        norm = max(float(np.sqrt(np.sum(dA**2) + np.sum(dB**2) + np.sum(dC**2))), 1e-300)
        defect = (float(np.linalg.norm(dA - dA.T)) + float(np.linalg.norm(dB - dC.T))) / norm
        max_tangency = max(max_tangency, defect)
        if i >= n_trajectories:
            continue  # trajectories are reported, not decisive: a few suffice
        runs = [(f"gd eta={eta:g}", *_gd_runs(student, w, eta, gd_steps, rng))
                for eta in step_sizes]
        runs.append((f"flow T={flow_time:g}", *_flow_runs(student, w, flow_time, rng)))
        for label, dep, twin, unit in runs:
            if dep.size < 2:
                diverged += 1
                continue
            nonlinear = np.flatnonzero(twin >= 1e-3)
            stop = int(nonlinear[0]) if nonlinear.size else dep.size
            horizon_cut += int(stop < dep.size)
            ratio = float(np.max(dep[1:stop] / (10.0 * unit * twin[1:stop]))) if stop > 1 else 0.0
            if ratio > max_ratio:
                max_ratio, worst_run = ratio, label
    evidence = {
        "exact_steps_balanced": exact_ok, "n_exact_points": n_students,
        "exact_steps": exact_steps, "n_trajectory_students": min(n_trajectories, n_students),
        "max_tangency_defect": max_tangency, "tolerance": tol,
        "max_departure_over_rounding": max_ratio, "worst_trajectory": worst_run,
        "runs_cut_by_transversal_growth": horizon_cut,
        "gd_runs_left_bounded_region": diverged, "step_sizes": list(step_sizes),
        "student_kind": student_kind,
        "seconds_exact_steps": t_exact,
        "seconds_float_and_trajectories": time.perf_counter() - t_start - t_exact,
    }
    # Everything above rests on the gradient engine: check it against the independent
    # derivation at the first exact points (exactly) and float points (to rounding).
    grad = check_gradient(exact_points[:_GRADCHECK_POINTS])
    if grad.ok:
        grad = check_gradient(float_points)
    evidence.update(grad.evidence())
    bad_grad = gradient_outcome(grad, evidence)
    if bad_grad is not None:
        return bad_grad
    if not (np.isfinite(max_tangency) and np.isfinite(max_ratio)):
        return Outcome(Status.INCONCLUSIVE, "non-finite departure or tangency defect", evidence)
    if exact_ok and max_tangency <= tol:
        return Outcome(Status.PASS, f"{exact_steps} exact GD steps stay on M from "
                       f"{n_students} rational points; float tangency defect "
                       f"{max_tangency:.1e} ≤ {tol:g}", evidence)
    return Outcome(Status.FAIL, f"M is not invariant: exact steps stay on M = {exact_ok}, "
                   f"tangency defect {max_tangency:.3g} (tol {tol:g})", evidence,
                   counterexample=counterexample)


_GRADCHECK_POINTS = 3
_U = 2.0**-53
_GF_RTOL = 1e-12
_GD_KICK = 1e-12
_GF_KICK = 1e-9
_GF_INTERVALS = 20


def _departure(x: np.ndarray, d: int) -> float:
    return _asymmetry(*_unflatten(x, d))


def _unflatten(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return x[: d * d].reshape(d, d), x[d * d: d * d + d, None], x[None, d * d + d:]


def _kick(x: np.ndarray, d: int, rng: np.random.Generator, eps: float) -> np.ndarray:
    """x moved a relative distance ~eps off M (an antisymmetric A part, and B ≠ Cᵀ)."""
    A, B, C = _unflatten(x, d)
    G = rng.standard_normal((d, d))
    G = (G - G.T) / max(float(np.linalg.norm(G - G.T)), 1e-300)
    b = rng.standard_normal((d, 1))
    A = A + eps * np.linalg.norm(A) * G
    B = B + eps * np.linalg.norm(B) * b / np.linalg.norm(b)
    return np.concatenate([A.ravel(), B.ravel(), C.ravel()])


def _grad_flat(x: np.ndarray, d: int, w: np.ndarray) -> np.ndarray:
    dA, dB, dC = loss_gradient(*_unflatten(x, d), w)
    return np.concatenate([dA.ravel(), dB.ravel(), dC.ravel()])


def _flat(student: LinearRNN) -> np.ndarray:
    return np.concatenate([student.A.ravel(), student.B.ravel(), student.C.ravel()])


def _gd_runs(student: LinearRNN, w: np.ndarray, eta: float, steps: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """Departures along GD from θ0 ∈ M and along its twin kicked by 1e-12 each step.

    Returns (departures, twin departures, rounding-to-kick ratio u/ε); cut at divergence.
    """
    d = student.d
    x = y = _flat(student)
    dep, twin = [_departure(x, d)], [_departure(y, d)]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x = x - eta * _grad_flat(x, d, w)
            y = _kick(y - eta * _grad_flat(y, d, w), d, rng, _GD_KICK)
            # Large steps leave every bounded set; the claim is about the iterates that exist.
            if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))) or np.abs(x).max() > 1e6:
                break
            dep.append(_departure(x, d))
            twin.append(_departure(y, d))
    return np.array(dep), np.array(twin), _U / _GD_KICK


def _flow_runs(student: LinearRNN, w: np.ndarray, T: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """Departures along DOP853 gradient flow (rtol = atol = 1e-12) from θ0 and a kicked twin.

    Both runs restart at each of 20 intervals; the twin is kicked by 1e-9 there. The error the
    integrator makes in an interval is at most ~rtol per step, so the ratio is rtol·steps/ε.
    """
    d = student.d
    x = y = _flat(student)
    dep, twin, steps = [_departure(x, d)], [_departure(y, d)], 1
    grid = np.linspace(0.0, T, _GF_INTERVALS + 1)
    for t0, t1 in itertools.pairwise(grid):
        ends = []
        for start in (x, y):
            sol = solve_ivp(lambda _t, z: -_grad_flat(z, d, w), (t0, t1), start,
                            method="DOP853", rtol=_GF_RTOL, atol=_GF_RTOL)
            if not sol.success or not np.all(np.isfinite(sol.y[:, -1])):
                return np.array(dep), np.array(twin), _GF_RTOL * steps / _GF_KICK
            ends.append(sol.y[:, -1])
            steps = max(steps, sol.t.size - 1)
        x, y = ends[0], _kick(ends[1], d, rng, _GF_KICK)
        dep.append(_departure(x, d))
        twin.append(_departure(y, d))
    return np.array(dep), np.array(twin), _GF_RTOL * steps / _GF_KICK


@claim(
    "C5",
    title="Moments of a nonnegative measure",
    statement="On the balanced manifold g_j = Σ β_i λ_i^j with β ≥ 0, λ = eig(A): ≤ d atoms",
    kind=Kind.EQUALITY,
    defaults={"d": 4, "n_students": 200, "n_moments": 12, "scale": 1.0,
              "student_kind": "balanced", "tol": 1e-10},
    thorough={"d": 12, "n_students": 2000, "n_moments": 30},
    engines=("model",),
    headline=("max_rel_moment_error", "min_hankel_eig_rel"),
)
def check_c5(rng: np.random.Generator, *, d: int, n_students: int, n_moments: int, scale: float,
             student_kind: str, tol: float) -> Outcome:
    """With A = U diag(λ) Uᵀ, β = (UᵀB)²: `|g_j - Σ β_i λ_i^j| ≤ tol · Σ β_i |λ_i|^j` for all j,
    and the Hankel matrix of g is PSD (`λ_min(H) ≥ -tol · ‖H‖`), as every moment sequence of a
    nonnegative measure must be. An unbalanced student breaks both, so the check can fail.
    """
    d = check_int("d", d, minimum=1)
    n = check_int("n_moments", n_moments, minimum=2)
    check_choice("student_kind", student_kind, STUDENT_KINDS)
    max_err, min_eig = 0.0, np.inf
    worst = None
    # Overflow is reported below as INCONCLUSIVE, not warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_students):
            s = random_student(d, scale, rng, kind=student_kind)  # type: ignore[arg-type]
            g = s.impulse_response(n)
            # eigh reads only the lower triangle: for an unbalanced A this *is* the wrong measure,
            # which is exactly what the check should then detect.
            lam, U = np.linalg.eigh(s.A)
            beta = (U.T @ s.C.T)[:, 0] * (U.T @ s.B)[:, 0]
            powers = lam[None, :] ** np.arange(n)[:, None]
            m = powers @ beta
            scale_j = np.abs(powers) @ np.abs(beta)
            err = float(np.max(np.abs(g - m) / np.maximum(scale_j, 1e-300)))
            H = hankel(g)
            eig = float(np.linalg.eigvalsh(H)[0] / max(np.linalg.norm(H, 2), 1e-300))
            negative_weight = bool(np.any(beta < -tol * max(np.abs(beta).max(), 1e-300)))
            bad = err > tol or eig < -tol or negative_weight
            if bad and worst is None:
                worst = {"A": s.A.tolist(), "B": s.B.ravel().tolist(), "C": s.C.ravel().tolist(),
                         "g": g.tolist(), "moment_error": err, "hankel_min_eig_rel": eig,
                         "weights": beta.tolist(), "atoms": lam.tolist()}
            max_err, min_eig = max(max_err, err), min(min_eig, eig)
    evidence = {"max_rel_moment_error": max_err, "min_hankel_eig_rel": min_eig,
                "n_students": n_students, "d": d, "n_moments": n, "tolerance": tol,
                "student_kind": student_kind}
    if not (np.isfinite(max_err) and np.isfinite(min_eig)):
        return Outcome(Status.INCONCLUSIVE, "non-finite moments (overflow?)", evidence)
    if worst is None:
        return Outcome(Status.PASS, f"{n_students} students: g_j = moments of Σ β_i δ_λi "
                       f"to {max_err:.1e}, Hankel PSD", evidence)
    return Outcome(Status.FAIL, "a student's impulse response is not the moment sequence of "
                   "a nonnegative measure on eig(A)", evidence, counterexample=worst)
