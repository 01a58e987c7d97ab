"""Claims of the moment engine: C6 (exact extrapolation threshold), C7 (robust extrapolation),
N1 (k = 2d̂ suffices — false), N5 (C7 without the spectral constraint — false)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from theory_check._validate import ParameterError, check_choice, check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.moments import atomic_moments, identify, moment_interval, worst_case_extrapolation

CEX_L_K_RTOL = 1e-20  # a counterexample student's L_k (float, model engine) relative to ŵ_0²


def _valid_counterexample(cex: dict | None, weights: list[Fraction]) -> bool:
    """A counterexample checked by the model engine: the balanced student has L_k ≈ 0 (float
    rounding only) and a nonzero extrapolation error."""
    if cex is None:
        return False
    m0 = float(sum(weights))
    return (cex["student_L_k"] <= CEX_L_K_RTOL * max(1.0, m0) ** 2
            and cex["student_E_q_relative"] > 0 and cex["m_k"] != cex["teacher_m_k"])


def _rational_teacher(rng: np.random.Generator, d_hat: int, n_boundary: int = 0, denominator: int = 10
                      ) -> tuple[list[Fraction], list[Fraction]]:
    """d̂ distinct atoms: `n_boundary` of them at ±1, the rest on the grid i/denominator in (-1, 1);
    weights in {1/4, …, 2}."""
    ends = list(rng.permutation([-1, 1])[:n_boundary])
    inner = rng.choice(np.arange(-denominator + 1, denominator), size=d_hat - n_boundary, replace=False)
    atoms = sorted([Fraction(int(e)) for e in ends] + [Fraction(int(i), denominator) for i in inner])
    weights = [Fraction(int(rng.integers(1, 9)), 4) for _ in atoms]
    return atoms, weights


def _fit_rate(deltas: np.ndarray, errs: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit `log E = log C + α log δ`: (α, C, max |residual| in log10)."""
    X = np.vstack([np.log(deltas), np.ones_like(deltas)]).T
    coef, *_ = np.linalg.lstsq(X, np.log(errs), rcond=None)
    res = float(np.max(np.abs(X @ coef - np.log(errs)))) / math.log(10)
    return float(coef[0]), float(math.exp(coef[1])), res


@claim(
    "C6",
    title="Exact extrapolation threshold",
    statement="Zero loss on k ≥ 2d̂+1 moments identifies the teacher (boundary atoms on [-ρ,ρ] count "
              "half); k = 2d̂ does not",
    kind=Kind.THRESHOLD,
    defaults={"n_teachers": 8, "max_dim": 3, "offset": 1},
    thorough={"n_teachers": 60, "max_dim": 5},
    engines=("moments",),
    headline=("teachers_checked", "threshold_mismatches", "sharpness_min_E_q_relative"),
)
def check_c6(rng: np.random.Generator, *, n_teachers: int, max_dim: int, offset: int) -> Outcome:
    """Exact rational certificates (`moments.identify`): for random rational teachers with d̂
    interior atoms on [-1, 1] and on R, and teachers with atoms at ±1 on [-1, 1]:
    `minimal_k == 2·#interior + #boundary + offset` (theory: offset = 1; on R every atom is
    interior). Sharpness: at k = 2d̂ (interior) a balanced zero-loss student that does not
    extrapolate is constructed. With offset ≠ 1 the prediction is false and the check FAILs.
    """
    n_teachers = check_int("n_teachers", n_teachers, minimum=1)
    max_dim = check_int("max_dim", max_dim, minimum=1, maximum=8)
    offset = check_int("offset", offset, minimum=-5, maximum=5)
    mismatches, checked, worst = 0, 0, None
    min_sharp = math.inf
    for _ in range(n_teachers):
        d = int(rng.integers(1, max_dim + 1))
        nb = int(rng.integers(0, min(d, 2) + 1))
        cases = [(_rational_teacher(rng, d), "unit", 0), (_rational_teacher(rng, d, nb), "unit", nb),
                 (_rational_teacher(rng, d, nb), "real", 0)]
        for (atoms, weights), support, n_b in cases:
            predicted = 2 * (d - n_b) + n_b + offset
            res = identify(atoms, weights, 2 * d + 1, support)
            checked += 1
            if res.status != Status.EXACT:
                return Outcome(Status.INCONCLUSIVE, "identify did not decide exactly: "
                               f"{res.evidence.get('reason')}", {"teachers_checked": checked})
            if res.minimal_k != predicted or res.certificate != "exact":
                mismatches += 1
                worst = worst or {"atoms": atoms, "weights": weights, "support": support,
                                  "minimal_k": res.minimal_k, "predicted": predicted}
            if n_b == 0 and d >= 1:
                sharp = identify(atoms, weights, 2 * d, support)
                cex = sharp.counterexample
                if sharp.identified is not False or not _valid_counterexample(cex, weights):
                    mismatches += 1
                    worst = worst or {"atoms": atoms, "weights": weights, "support": support,
                                      "problem": "k = 2d̂ identified or no valid counterexample",
                                      "why": sharp.evidence.get("counterexample_missing")}
                else:
                    min_sharp = min(min_sharp, cex["student_E_q_relative"])
    ev = {"teachers_checked": checked, "threshold_mismatches": mismatches,
          "sharpness_min_E_q_relative": min_sharp, "rule": "minimal_k == 2·#interior + #boundary + "
          f"{offset} (exact rational ranks)", "tolerance": 0}
    if mismatches == 0:
        return Outcome(Status.PASS, f"{checked} teachers: exact minimal k = 2·#interior + #boundary + 1; "
                       f"k = 2d̂ never identifies (counterexample E_q/ŵ_0 ≥ {min_sharp:.3g})", ev)
    return Outcome(Status.FAIL, f"{mismatches} disagreement(s) with the predicted threshold over "
                   f"{checked} teachers", ev, counterexample=worst)


@claim(
    "N1",
    title="Negative control: k = 2d̂ suffices",
    statement="Zero loss on k = 2d̂ moments identifies every teacher (false)",
    kind=Kind.THRESHOLD,
    defaults={"n_teachers": 6, "max_dim": 3, "teachers": "interior", "support": "unit"},
    thorough={"n_teachers": 40, "max_dim": 5},
    engines=("moments",),
    headline=("teachers_checked", "not_identified", "counterexample_E_q_relative"),
)
def check_n1(rng: np.random.Generator, *, n_teachers: int, max_dim: int, teachers: str,
             support: str) -> Outcome:
    """At k = 2d̂ ask `identify` (exact) for random rational teachers. A non-identified teacher
    FAILs the statement, with a second measure matching m_0 … m_{2d̂-1} as a balanced student
    (A = diag(atoms), B = Cᵀ = √weights) with L_k ≈ 0 and large E_q. With `teachers='boundary'`
    (all atoms at ±1 on [-1, 1]: index d̂/2) the statement is true and the check PASSes.
    """
    n_teachers = check_int("n_teachers", n_teachers, minimum=1)
    max_dim = check_int("max_dim", max_dim, minimum=1, maximum=8)
    check_choice("teachers", teachers, ("interior", "boundary"))
    failures, cex = 0, None
    for _ in range(n_teachers):
        d = int(rng.integers(1, max_dim + 1)) if teachers == "interior" else int(rng.integers(1, 3))
        atoms, weights = _rational_teacher(rng, d, d if teachers == "boundary" else 0)
        res = identify(atoms, weights, 2 * d, support)
        if res.status != Status.EXACT or res.identified is None:
            return Outcome(Status.INCONCLUSIVE, "identify did not decide exactly: "
                           f"{res.evidence.get('reason')}", {"teachers_checked": n_teachers})
        if not res.identified:
            if not _valid_counterexample(res.counterexample, weights):
                return Outcome(Status.INCONCLUSIVE, "a teacher is not identified at k = 2d̂ but no "
                               "valid counterexample student was built ("
                               f"{res.evidence.get('counterexample_missing', 'L_k check failed')})",
                               {"teachers_checked": n_teachers, "atoms": atoms, "weights": weights})
            failures += 1
            if cex is None or (res.counterexample and res.counterexample["student_E_q_relative"]
                               > cex["student_E_q_relative"]):
                cex = {"teacher_atoms": atoms, "teacher_weights": weights, "k": 2 * d,
                       **(res.counterexample or {})}
    ev = {"teachers_checked": n_teachers, "not_identified": failures,
          "counterexample_L_k": cex["student_L_k"] if cex else 0.0,
          "counterexample_E_q_relative": cex["student_E_q_relative"] if cex else 0.0,
          "certificate": "exact", "tolerance": 0}
    if failures:
        return Outcome(Status.FAIL, f"{failures}/{n_teachers} teachers are not identified by k = 2d̂: "
                       f"a balanced student with L_k = {cex['student_L_k']:.1e} has "
                       f"E_q/ŵ_0 = {cex['student_E_q_relative']:.3g}", ev, counterexample=cex)
    return Outcome(Status.PASS, f"all {n_teachers} teachers identified at k = 2d̂", ev)


def _calibrate_sdp(atoms: tuple, weights: tuple) -> dict:
    """The SDP and LP paths against exact rationals on the teacher's own data: the m_{2d̂}
    interval from m_0 … m_{2d̂-1} (interior, so not identified) by exact Schur complements, by the
    SDP sandwich and by the certified LP; they must agree within their tolerances (`reason`
    empty iff they do)."""
    lam = [Fraction(a) for a in atoms]
    beta = [Fraction(b) for b in weights]
    k = 2 * len(lam)
    w = atomic_moments(lam, beta, k)
    exact = moment_interval(w, k)
    out: dict = {"k": k, "exact": [str(exact.lower), str(exact.upper)], "exact_status": exact.status,
                 "reason": ""}
    if exact.status != Status.EXACT:
        out["reason"] = f"exact path returned {exact.status}"
        return out
    for method in ("sdp", "lp"):
        r = moment_interval(w, k, exact=False, method=method)
        tol = float(r.evidence.get("sandwich_tol", math.nan))
        err = max(abs(float(r.lower) - float(exact.lower)), abs(float(r.upper) - float(exact.upper)))
        out[method] = {"interval": [float(r.lower), float(r.upper)], "status": str(r.status),
                       "tolerance": tol, "max_error": err}
        if method == "lp":
            # The LP's outer bounds are proofs: they must enclose the exact interval, tightly
            # (its inner measure may be unverifiable at eps = 0: irrational extremal atoms).
            width = float(exact.upper - exact.lower)
            out["lp"]["tolerance"] = tol = 1e-6 * width
            if r.lower > exact.lower or r.upper < exact.upper:
                out["reason"] = (f"lp outer bounds [{float(r.lower):.9g}, {float(r.upper):.9g}] do "
                                 f"not enclose the exact [{exact.lower}, {exact.upper}]")
            elif not err <= tol:
                out["reason"] = f"lp outer bounds {err:.2e} from the exact interval (> {tol:.1e})"
        elif r.status != Status.CERTIFIED:
            out["reason"] = f"{method} path {r.status}: {r.evidence.get('reason')}"
        elif not err <= tol:
            out["reason"] = (f"{method} interval [{float(r.lower):.6g}, {float(r.upper):.6g}] differs "
                             f"from the exact [{exact.lower}, {exact.upper}] by {err:.2e} > tol {tol:.1e}")
        if out["reason"]:
            return out
    return out


@claim(
    "C7",
    title="Robust extrapolation",
    statement="On [-1,1], k ≥ 2d̂+1: the exact worst case max_{j≤q}|g_j-ŵ_j| → 0 as δ → 0 (rate δ^α), "
              "bounded in q for interior teachers (saturating only for q ≫ 1/(1-max|λ̂|)), not for λ̂ = 1",
    kind=Kind.QUALITATIVE,
    defaults={"atoms": ("-1/2", "1/2"), "weights": ("1/2", "1/2"), "k": 5, "q": 9,
              "deltas": (1e-2, 1e-3, 1e-4, 1e-10, 1e-30), "norm": "box", "alpha_min": 0.5,
              "q_growth": 2, "q_delta": 1e-4, "near_boundary": (), "q_near": 60},
    thorough={"q": 40, "deltas": (1e-2, 1e-3, 1e-4, 1e-5, 1e-10, 1e-15, 1e-20, 1e-25, 1e-30),
              "near_boundary": ("9/10",)},
    engines=("moments",),
    headline=("alpha", "constant", "interior_q_ratio", "boundary_q_ratio"),
)
def check_c7(rng: np.random.Generator, *, atoms: tuple, weights: tuple, k: int, q: int,
             deltas: tuple[float, ...], norm: str, alpha_min: float, q_growth: int,
             q_delta: float, near_boundary: tuple, q_near: int) -> Outcome:
    """Exact worst cases (certified intervals per j: exactly verified measure below, exactly
    verified dual polynomial above; radii far below float resolution by the multiprecision
    KKT path) at each δ; fit `E = C δ^α` over the δ range certified from the largest δ down
    (≥ 2 values needed). PASS iff E decreases with δ, α ≥ `alpha_min` (the Wu–Yang route
    gives only 1/(2d̂)), the interior teacher's worst case grows < 1.5× from q to q_growth·q
    (saturates) and the boundary teacher λ̂ = 1 (k = 3) grows ≥ 1.5× (no uniform bound), both
    at δ = `q_delta`. `near_boundary` (thorough: λ̂ = 9/10): an interior atom close to 1,
    whose constant keeps rising until q ≈ 1/(1-λ̂)·10 — checked from `q_near` to 2·`q_near`
    (< 1.5×), the range where F7 shows its plateau. SDP and LP paths are first calibrated
    against exact rationals on the teacher's own data.
    """
    k = check_int("k", k, minimum=1)
    q = check_int("q", q, minimum=k)
    check_real("alpha_min", alpha_min, minimum=0.0)
    check_real("q_delta", q_delta, minimum=0.0, strict_min=True)
    d_hat = len(atoms)
    if len(deltas) < 2:
        raise ParameterError("deltas", "deltas must hold at least 2 values to fit a rate")
    ds = np.array(sorted(deltas, reverse=True), dtype=float)
    calib = _calibrate_sdp(atoms, weights)
    if calib["reason"]:
        return Outcome(Status.INCONCLUSIVE, f"SDP calibration against exact rationals failed: "
                       f"{calib['reason']}", {"calibration": calib})
    all_runs = [worst_case_extrapolation(atoms, weights, k, q, float(d), norm) for d in ds]
    # Fit only where the sandwich is tight: from the largest δ down to the first uncertified one.
    n_ok = next((i for i, r in enumerate(all_runs) if r.status != "certified"), len(all_runs))
    runs, ds = all_runs[: max(n_ok, 2)], ds[: max(n_ok, 2)]
    errs = np.array([r.value for r in runs])
    certified = n_ok >= 2
    alpha, const, resid = _fit_rate(ds, errs)
    mid = float(q_delta)
    near = worst_case_extrapolation(atoms, weights, k, q, mid, norm)
    far = worst_case_extrapolation(atoms, weights, k, q_growth * q, mid, norm)
    nb = {}
    if near_boundary:
        q_near = check_int("q_near", q_near, minimum=k)
        dn = len(near_boundary)
        wc = worst_case_extrapolation(near_boundary, [f"1/{dn}"] * dn, 2 * dn + 1, 2 * q_near, mid, norm)
        nb = {"near_boundary_q_ratio": float(wc.per_j.max() / wc.per_j[: q_near + 1].max()),
              "near_boundary_constant": float(wc.per_j.max() / mid),
              "near_boundary_certified": wc.status == Status.CERTIFIED}
    b_near = worst_case_extrapolation(("1",), ("1",), 3, q, mid, norm)
    b_far = worst_case_extrapolation(("1",), ("1",), 3, q_growth * q, mid, norm)
    certified = certified and all(r.status == "certified" for r in (near, far, b_near, b_far)) and \
        nb.get("near_boundary_certified", True)
    int_ratio = far.value / near.value
    bnd_ratio = b_far.value / b_near.value
    ev = {"alpha": alpha, "constant": const, "fit_residual_log10": resid, "calibration": calib,
          "deltas_certified": ds[:n_ok].tolist(), "deltas_dropped": len(all_runs) - n_ok,
          "wu_yang_alpha": 1 / (2 * d_hat), "worst_cases": errs.tolist(), "deltas": ds.tolist(),
          "interior_q_ratio": int_ratio, "boundary_q_ratio": bnd_ratio, "all_certified": certified,
          **nb,
          "q_delta": mid,
          "max_sandwich_gap": max(r.evidence["max_sandwich_gap"] for r in [*runs, far, b_near, b_far]),
          "max_relative_gap": max(r.evidence["max_sandwich_gap"] / r.value for r in runs),
          "thresholds": f"alpha >= {alpha_min}, interior ratio < 1.5, boundary ratio >= 1.5"}
    if not certified:
        bad = next(r for r in [*runs, near, far, b_near, b_far] if r.status != "certified")
        return Outcome(Status.INCONCLUSIVE, f"an SDP/LP sandwich was not tight: {bad.evidence.get('reason')}",
                       ev)
    ok = (np.all(np.diff(errs) < 0) and alpha >= alpha_min and int_ratio < 1.5 and bnd_ratio >= 1.5
          and nb.get("near_boundary_q_ratio", 1.0) < 1.5)
    if ok:
        return Outcome(Status.PASS, f"worst case ≈ {const:.3g}·δ^{alpha:.2f} (Wu–Yang route: "
                       f"δ^{1 / (2 * d_hat):.2f}); interior ×{int_ratio:.2f}, λ̂=1 ×{bnd_ratio:.2f} "
                       f"from q={q} to {q_growth * q}", ev)
    return Outcome(Status.FAIL, f"rate α = {alpha:.2f} (need ≥ {alpha_min}), interior ratio "
                   f"{int_ratio:.2f}, boundary ratio {bnd_ratio:.2f}", ev,
                   counterexample={"deltas": ds.tolist(), "worst_cases": errs.tolist()})


@claim(
    "N5",
    title="Negative control: C7 without the spectral constraint",
    statement="On R the worst-case extrapolation error is bounded as δ → 0 (false)",
    kind=Kind.BOUND,
    defaults={"atoms": ("-1/2", "1/2"), "weights": ("1/2", "1/2"), "k": 5, "q": 9,
              "deltas": ("1/100", "1/10000"), "y_values": (2, 10, 100), "bound": 1.0},
    thorough={"y_values": (2, 10, 100, 1000, 10000)},
    engines=("moments",),
    headline=("max_train_error_over_delta", "max_extrapolation_error", "bound"),
)
def check_n5(rng: np.random.Generator, *, atoms: tuple, weights: tuple, k: int, q: int,
             deltas: tuple, y_values: tuple, bound: float) -> Outcome:
    """Exact rationals: the student `μ̂ + δ|y|^{1-k} δ_y` (a balanced student with one extra state
    λ = y) has every training moment within δ of the teacher's and `g_q - ŵ_q = δ y^{q-k+1}`;
    its moments are recomputed exactly and compared with `bound`. Any y > bound^{…} breaks the
    bound, for every δ: FAIL. With all |y| ≤ 1 (spectral constraint) it stays ≤ δ: PASS.
    The engine is asked the same question: `moment_interval` with eps = δ (box) on R must be
    UNBOUNDED (with its certificate) for every δ, and bounded (certified) on [-1, 1].
    """
    k = check_int("k", k, minimum=1)
    q = check_int("q", q, minimum=k)
    check_real("bound", bound, minimum=0.0, strict_min=True)
    lam = [Fraction(a) for a in atoms]
    beta = [Fraction(b) for b in weights]
    w = atomic_moments(lam, beta, q + 1)
    max_train, max_err, cex = Fraction(0), Fraction(0), None
    for d in deltas:
        delta = Fraction(d)
        for yv in y_values:
            y = Fraction(yv)
            if y in lam:
                continue
            extra = delta * abs(y) ** (1 - k) if abs(y) >= 1 else delta
            g = atomic_moments([*lam, y], [*beta, extra], q + 1)
            train = max(abs(g[j] - w[j]) for j in range(k)) / delta
            err = max(abs(g[j] - w[j]) for j in range(q + 1))
            max_train = max(max_train, train)
            if err > max_err:
                max_err = err
                L_k = sum(((g[j] - w[j]) ** 2 for j in range(k)), Fraction(0))
                cex = {"student_atoms": [*lam, y], "student_weights": [*beta, extra], "delta": delta,
                       "train_max_error": train * delta, "L_k": L_k, "g_q_minus_w_q": g[q] - w[q],
                       "predicted_g_q_shift": delta * y ** (q - k + 1) if abs(y) >= 1 else None}
    # The engine is asked the question the verdict rests on: with training moments within δ (box),
    # is m_q unbounded on R (it must be, with a certificate) and bounded on [-1, 1] (the contrast:
    # an engine calling everything unbounded would otherwise FAIL this control for no reason)?
    on_r = [moment_interval(w[:k], q, "real", eps=float(Fraction(d)), norm="box") for d in deltas]
    on_unit = moment_interval(w[:k], q, "unit", eps=float(min(Fraction(d) for d in deltas)), norm="box")
    ev = {"max_train_error_over_delta": max_train, "max_extrapolation_error": max_err,
          "bound": bound, "engine_on_R": [str(r.status) for r in on_r],
          "engine_on_R_upper": [float(r.upper) for r in on_r],
          "engine_on_R_certificate": on_r[0].evidence.get("certificate"),
          "engine_on_unit": [float(on_unit.lower), float(on_unit.upper)],
          "engine_on_unit_status": str(on_unit.status), "arithmetic": "exact rational",
          "tolerance": 0}
    if max_train > 1:
        return Outcome(Status.INCONCLUSIVE, "the extra-atom student left the δ-box on training moments", ev)
    if any(r.status != Status.UNBOUNDED or r.upper != math.inf for r in on_r):
        return Outcome(Status.INCONCLUSIVE, "the moment engine does not report m_q unbounded on R "
                       f"for training moments within δ ({ev['engine_on_R']}, upper "
                       f"{ev['engine_on_R_upper']}), contradicting the exact construction", ev)
    if on_unit.status != Status.CERTIFIED or not math.isfinite(float(on_unit.upper)):
        return Outcome(Status.INCONCLUSIVE, "the moment engine cannot bound m_q on [-1, 1] (the "
                       f"spectral constraint): {on_unit.status}, {on_unit.evidence.get('reason')}", ev)
    if max_err > Fraction(bound):
        return Outcome(Status.FAIL, f"extra atom keeps training moments within δ but moves g_j by "
                       f"{float(max_err):.3g} > bound {bound:g} (exact); the engine: m_q unbounded on R for "
                       f"every δ (certificate), in [{float(on_unit.lower):.3g}, "
                       f"{float(on_unit.upper):.3g}] on [-1, 1]", ev,
                       counterexample=cex)
    return Outcome(Status.PASS, f"all extra-atom students stay within bound {bound:g}", ev)
