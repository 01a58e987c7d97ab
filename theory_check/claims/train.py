"""Claims checked by training students with batched GD: C8 (balancedness from small init),
C9 (implicit extrapolation) and the negative control N3 ("σ = 1 extrapolates")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from theory_check._validate import ParameterError, check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.train.linear import StudentMetrics, train_linear


def teacher_targets(atoms: Sequence[float], weights: Sequence[float] | None, n: int) -> np.ndarray:
    """`ŵ_j = Σ_i β̂_i λ̂_i^j`, j < n (weights of any sign allowed here: C8 is tested with
    non-positive ones too, where the claim must fail)."""
    lam = np.asarray([float(a) for a in atoms])
    beta = np.ones_like(lam) if weights is None else np.asarray([float(b) for b in weights])
    if lam.ndim != 1 or lam.size < 1 or beta.shape != lam.shape:
        raise ParameterError("teacher_atoms", "teacher_atoms must be a non-empty sequence and "
                             "teacher_weights must have one entry per atom; "
                             f"got {len(lam)} atoms, {beta.size} weights")
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(beta))):
        raise ParameterError("teacher_atoms", "teacher_atoms and teacher_weights must be finite")
    return (beta[None, :] * lam[None, :] ** np.arange(n)[:, None]).sum(axis=1)


def _seeds(rng: np.random.Generator, n: int) -> list[int]:
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n)]


def _student_summary(m: StudentMetrics, w: np.ndarray, k: int) -> dict[str, Any]:
    """The facts about one student a reader needs to see it is a counterexample."""
    j = np.unique(np.clip([0, k - 1, k, 2 * k, m.horizon - 1], 0, m.horizon - 1))
    return {"seed": m.seed, "status": m.status, "train_loss": m.train_loss,
            "extrapolation_error_rel": m.extrapolation_error_rel, "horizon": m.horizon,
            "effective_dim": m.effective_dim, "learned_atoms": list(m.learned_atoms),
            "learned_weights": list(m.learned_weights), "j": j.tolist(),
            "g_j": m.impulse_response[j].tolist() if m.impulse_response.size else None,
            "teacher_w_j": w[j].tolist()}


# --------------------------------------------------------------------------------------------
# C8
# --------------------------------------------------------------------------------------------

def c8_training(
    rng: np.random.Generator, *, teacher_atoms: Sequence[float], teacher_weights: Sequence[float],
    d: int, k: int, init_scales: Sequence[float], n_seeds: int, steps: int, fit_tol: float,
    alpha_min: float = 0.5, param: str = "full",
) -> Outcome:
    """C8 by training: final ‖B - Cᵀ‖/‖B‖ and ‖A - Aᵀ‖/‖A‖ fall strictly as σ falls.

    For each seed (drawn from `rng`) one student per σ in `init_scales` (≥ 4 scales) is trained
    by GD (default step) to `L_k ≤ fit_tol`; the claim PASSes when, for every seed and both
    measures, the final value is strictly smaller at every smaller σ, and the rate α of
    `median ≈ c σ^α` (least squares on log-log; prototype: α ≈ 1) is ≥ `alpha_min` for both,
    so that a decrease at rounding level does not count as shrinking. A pair of fitted students
    that violates monotonicity is a counterexample (FAIL); otherwise a student that did not
    reach `fit_tol` makes the check INCONCLUSIVE (not at the end of training yet). With teacher
    weights ≤ 0 (ŵ not a moment sequence) B tends to -Cᵀ and the check FAILs, as it must: the
    mechanism needs ŵ_0 > 0.
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    fit_tol = check_real("fit_tol", fit_tol, minimum=0.0)
    scales = sorted(check_real("init_scales[]", s, minimum=0.0, strict_min=True) for s in init_scales)
    if len(set(scales)) < 4:
        raise ParameterError("init_scales",
                             f"init_scales must hold at least 4 distinct scales > 0; got {list(init_scales)}")
    w = teacher_targets(teacher_atoms, teacher_weights, max(10 * k, 100))
    seeds = _seeds(rng, n_seeds)
    tie = np.empty((len(scales), n_seeds))
    asym = np.empty_like(tie)
    loss = np.empty_like(tie)
    for i, sigma in enumerate(scales):
        res = train_linear(w, d=d, k=k, init_scale=sigma, seeds=seeds, param=param,  # type: ignore[arg-type]
                           steps=steps, loss_tol=fit_tol)
        for s, m in enumerate(res.students):
            tie[i, s] = np.inf if m.B_minus_Ct_rel is None else m.B_minus_Ct_rel
            asym[i, s] = np.inf if m.A_asym_rel is None else m.A_asym_rel
            loss[i, s] = m.train_loss
    lr = res.settings["lr"]
    x = np.log(scales)

    def slope(v: np.ndarray) -> float:
        med = np.median(v, axis=1)
        if np.any(med <= 0) or not np.all(np.isfinite(med)):
            return float("nan")
        return float(np.polyfit(x, np.log(med), 1)[0])

    evidence: dict[str, Any] = {
        "init_scales": scales, "seeds": seeds, "d": d, "k": k, "param": param, "lr": lr,
        "steps": steps, "fit_tol": fit_tol,
        "median_B_minus_Ct_rel": np.median(tie, axis=1).tolist(),
        "median_A_asym_rel": np.median(asym, axis=1).tolist(),
        "max_train_loss": float(np.max(loss)),
        "alpha_B_minus_Ct": slope(tie), "alpha_A_asym": slope(asym),
        "rule": "for every seed and both measures, value(σ_i) < value(σ_{i+1}) for σ_i < σ_{i+1}; "
                "fitted α >= alpha_min for both",
    }
    if not np.all(np.isfinite(tie)) or not np.all(np.isfinite(asym)) or not np.all(np.isfinite(loss)):
        return Outcome(Status.INCONCLUSIVE, "a student diverged (non-finite metrics)", evidence)
    fitted = loss <= fit_tol
    bad = []
    for name, v in (("B_minus_Ct_rel", tie), ("A_asym_rel", asym)):
        for s in range(n_seeds):
            for i in range(len(scales) - 1):
                # Only pairs of students that both reached fit_tol can contradict the claim.
                if fitted[i, s] and fitted[i + 1, s] and not v[i, s] < v[i + 1, s]:
                    bad.append({"measure": name, "seed": seeds[s], "sigma_small": scales[i],
                                "sigma_large": scales[i + 1], "value_at_small": v[i, s],
                                "value_at_large": v[i + 1, s], "train_loss_small": loss[i, s],
                                "train_loss_large": loss[i + 1, s]})
    alphas = {"B_minus_Ct_rel": evidence["alpha_B_minus_Ct"], "A_asym_rel": evidence["alpha_A_asym"]}
    for name, a in alphas.items():
        if fitted.all() and np.isfinite(a) and a < alpha_min:
            v = tie if name == "B_minus_Ct_rel" else asym
            bad.append({"measure": name, "alpha": a, "alpha_min": alpha_min, "init_scales": scales,
                        "median_values": np.median(v, axis=1).tolist()})
    evidence["n_violations"] = len(bad)
    evidence["alpha_min"] = alpha_min
    if bad and "alpha" in bad[0]:
        return Outcome(Status.FAIL, f"{bad[0]['measure']} does not shrink like a power of σ: fitted "
                       f"α = {bad[0]['alpha']:.3g} < alpha_min {alpha_min:g}", evidence,
                       counterexample=bad[0])
    if bad:
        return Outcome(Status.FAIL, f"{len(bad)} non-decreasing pair(s); e.g. {bad[0]['measure']} = "
                       f"{bad[0]['value_at_small']:.3g} at σ = {bad[0]['sigma_small']:g} vs "
                       f"{bad[0]['value_at_large']:.3g} at σ = {bad[0]['sigma_large']:g}",
                       evidence, counterexample=bad[0])
    if not fitted.all():
        i, s = np.unravel_index(np.argmax(loss), loss.shape)
        return Outcome(Status.INCONCLUSIVE, f"student seed {seeds[s]} at σ = {scales[i]:g} has L_k = "
                       f"{loss[i, s]:.2e} > fit_tol {fit_tol:g} after {steps} steps: not trained "
                       "to the end; increase steps", evidence)
    return Outcome(Status.PASS, f"both measures fall strictly with σ over {len(scales)} scales × "
                   f"{n_seeds} seeds; α(B-Cᵀ) = {evidence['alpha_B_minus_Ct']:.2f}, "
                   f"α(A-Aᵀ) = {evidence['alpha_A_asym']:.2f}", evidence)


# C8 is registered in `claims.composite`, joined with the flow engine's mechanism part.
C8_TRAINING_DEFAULTS: dict[str, Any] = {
    "teacher_atoms": (0.9, -0.5), "teacher_weights": (1.0, 1.0), "d": 20, "k": 5,
    "init_scales": (1e-5, 1e-4, 1e-3, 1e-2), "n_seeds": 3, "steps": 6000, "fit_tol": 1e-6,
    "alpha_min": 0.5, "param": "full"}
C8_TRAINING_THOROUGH: dict[str, Any] = {
    "d": 40, "init_scales": (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 0.3), "n_seeds": 8, "steps": 100000,
    "fit_tol": 1e-8}


# --------------------------------------------------------------------------------------------
# C9
# --------------------------------------------------------------------------------------------

def _contrast(rng: np.random.Generator, atoms: Sequence[float], d: int, sigma: float,
              steps: int, n_seeds: int) -> dict[str, Any]:
    """The C6 contrast along GD: balanced diagonal students at k = 2d̂ and 2d̂+1, full at k = 2d̂.

    Reported as the amplification `E_q,rel / √L_k` (C7: bounded for k ≥ 2d̂+1 balanced students,
    unbounded for k ≤ 2d̂) and the raw E_q,rel, L_k.
    """
    d_hat = len(atoms)
    w = teacher_targets(atoms, None, 100)
    seeds = _seeds(rng, n_seeds)
    out: dict[str, Any] = {}
    for label, param, k in (("balanced_diagonal_k=2d̂", "balanced_diagonal", 2 * d_hat),
                            ("balanced_diagonal_k=2d̂+1", "balanced_diagonal", 2 * d_hat + 1),
                            ("full_k=2d̂", "full", 2 * d_hat)):
        res = train_linear(w, d=d, k=k, init_scale=sigma, seeds=seeds, param=param,  # type: ignore[arg-type]
                           steps=steps)
        ms = [m for m in res.students if m.status != "diverged"]
        err = [m.extrapolation_error_rel for m in ms]
        loss = [m.train_loss for m in ms]
        amp = [e / max(np.sqrt(L), 1e-300) for e, L in zip(err, loss, strict=True)]
        out[label] = {"k": k, "max_train_loss": max(loss) if loss else None,
                      "median_E_rel": float(np.median(err)) if err else None,
                      "median_amplification": float(np.median(amp)) if amp else None,
                      "n_diverged": len(res.students) - len(ms)}
    return out


@claim(
    "C9",
    title="Implicit extrapolation from small init",
    statement="d = 40 students trained by GD fit L_k; from small σ they extrapolate with effective "
              "dimension d̂, from large σ they do not",
    kind=Kind.QUALITATIVE,
    defaults={"teachers": ((1.0,), (0.95, -0.5)), "d": 40, "small_scale": 1e-3, "large_scale": 1.0,
              "n_seeds": 3, "steps": 20000, "fit_tol": 1e-8, "small_max_E_rel": 1e-2,
              "large_min_E_rel": 1e-1, "rank_rtol": 1e-4, "contrast_steps": 0},
    thorough={"teachers": ((1.0,), (0.95, -0.5), (0.9, -0.5), (0.95, 0.3, -0.7)), "n_seeds": 8,
              "steps": 300000, "contrast_steps": 200000},
    engines=("train",),
    headline=("max_small_E_rel", "min_large_E_rel", "small_dims_equal_d_hat"),
)
def check_c9(rng: np.random.Generator, *, teachers: Sequence[Sequence[float]], d: int,
             small_scale: float, large_scale: float, n_seeds: int, steps: int, fit_tol: float,
             small_max_E_rel: float, large_min_E_rel: float, rank_rtol: float,
             contrast_steps: int) -> Outcome:
    """For each teacher (atoms, weights 1; d̂ ≤ 3, d ≥ d̂) train at k = 2d̂+1, horizon q = 100:

    - every student (small and large σ) must fit, `L_k ≤ fit_tol`, else INCONCLUSIVE;
    - small σ: `E_q/|ŵ_0| ≤ small_max_E_rel` and effective dimension (Hankel rank at
      `rank_rtol`) = d̂ for every student;
    - large σ: `E_q/|ŵ_0| ≥ large_min_E_rel` for every student.
    `contrast_steps > 0` adds the contrast of the issue (reported, not deciding):
    balanced diagonal students at k = 2d̂ and 2d̂+1, full at k = 2d̂, from σ = small_scale.
    """
    d = check_int("d", d, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    steps = check_int("steps", steps, minimum=1)
    small = check_real("small_scale", small_scale, minimum=0.0)
    large = check_real("large_scale", large_scale, minimum=0.0)
    contrast_steps = check_int("contrast_steps", contrast_steps, minimum=0)
    evidence: dict[str, Any] = {
        "d": d, "steps": steps, "small_scale": small, "large_scale": large, "horizon": 100,
        "thresholds": {"fit": f"L_k <= {fit_tol:g}", "small": f"E_rel <= {small_max_E_rel:g} and "
                       f"effective_dim == d̂ (rank_rtol {rank_rtol:g})",
                       "large": f"E_rel >= {large_min_E_rel:g}"},
    }
    max_small, min_large, max_loss = 0.0, np.inf, 0.0
    dims_ok = True
    unfit: dict[str, Any] | None = None
    fails: list[dict[str, Any]] = []
    per_teacher = []
    for atoms in teachers:
        d_hat = len(atoms)
        if d < d_hat:
            raise ParameterError("d", f"d must be >= d̂ = {d_hat} (overparameterized student); got d = {d}")
        k = 2 * d_hat + 1
        w = teacher_targets(atoms, None, 100)
        seeds = _seeds(rng, n_seeds)
        row: dict[str, Any] = {"atoms": list(atoms), "k": k}
        for label, sigma in (("small", small), ("large", large)):
            res = train_linear(w, d=d, k=k, init_scale=sigma, seeds=seeds, steps=steps,
                               loss_tol=min(1e-12, fit_tol), rank_rtol=rank_rtol)
            errs = [np.inf if m.extrapolation_error_rel is None else m.extrapolation_error_rel
                    for m in res.students]
            row[f"{label}_E_rel"] = errs
            row[f"{label}_train_loss"] = [m.train_loss for m in res.students]
            row[f"{label}_effective_dim"] = [m.effective_dim for m in res.students]
            row["lr"] = res.settings["lr"]
            for m, e in zip(res.students, errs, strict=True):
                max_loss = max(max_loss, m.train_loss if np.isfinite(m.train_loss) else np.inf)
                if not (m.train_loss <= fit_tol) and unfit is None:
                    unfit = {"teacher_atoms": list(atoms), "sigma": sigma,
                             **_student_summary(m, w, k)}
                    continue
                if label == "small":
                    max_small = max(max_small, e)
                    if e > small_max_E_rel or m.effective_dim != d_hat:
                        dims_ok = dims_ok and m.effective_dim == d_hat
                        fails.append({"teacher_atoms": list(atoms), "sigma": sigma,
                                      "why": "small init does not extrapolate / wrong dimension",
                                      **_student_summary(m, w, k)})
                else:
                    min_large = min(min_large, e)
                    if e < large_min_E_rel:
                        fails.append({"teacher_atoms": list(atoms), "sigma": sigma,
                                      "why": "large init extrapolates",
                                      **_student_summary(m, w, k)})
        per_teacher.append(row)
    evidence.update({"per_teacher": per_teacher, "max_small_E_rel": max_small,
                     "min_large_E_rel": min_large, "max_train_loss": max_loss,
                     "small_dims_equal_d_hat": dims_ok and not any(
                         f["why"].startswith("small") for f in fails)})
    if contrast_steps:
        evidence["contrast"] = _contrast(rng, teachers[min(1, len(teachers) - 1)], d, small,
                                         contrast_steps, n_seeds)
    if unfit is not None:
        return Outcome(Status.INCONCLUSIVE, f"a student at σ = {unfit['sigma']:g} has L_k = "
                       f"{unfit['train_loss']:.2e} > {fit_tol:g} after {steps} steps (teacher "
                       f"{unfit['teacher_atoms']}): increase steps", evidence)
    if fails:
        f = fails[0]
        return Outcome(Status.FAIL, f"{len(fails)} student(s) contradict the claim; e.g. teacher "
                       f"{f['teacher_atoms']}, σ = {f['sigma']:g}: {f['why']} (E_rel = "
                       f"{f['extrapolation_error_rel']:.3g}, dim {f['effective_dim']})", evidence,
                       counterexample=f)
    return Outcome(Status.PASS, f"all students fit (max L_k {max_loss:.1e}); σ = {small:g}: max E_rel "
                   f"{max_small:.1e} ≤ {small_max_E_rel:g}, dim = d̂; σ = {large:g}: min E_rel "
                   f"{min_large:.2g} ≥ {large_min_E_rel:g}", evidence)


# --------------------------------------------------------------------------------------------
# N3
# --------------------------------------------------------------------------------------------

@claim(
    "N3",
    title="Large init extrapolates (negative control)",
    statement="GD from init scale σ = 1 extrapolates (false: it must FAIL with a counterexample)",
    kind=Kind.QUALITATIVE,
    defaults={"teacher_atoms": (0.9, -0.5), "d": 40, "k": 5, "init_scale": 1.0, "n_seeds": 4,
              "steps": 20000, "fit_tol": 1e-8, "extrapolation_tol": 1e-2},
    thorough={"n_seeds": 16},
    engines=("train",),
    headline=("max_E_rel", "n_fitted", "n_not_extrapolating"),
)
def check_n3(rng: np.random.Generator, *, teacher_atoms: Sequence[float], d: int, k: int,
             init_scale: float, n_seeds: int, steps: int, fit_tol: float,
             extrapolation_tol: float) -> Outcome:
    """The statement "students from σ = 1 that fit L_k extrapolate (E_q/|ŵ_0| ≤ tol, q = 100)".

    PASS would mean every fitted student extrapolates; FAIL returns the fitted student with the
    largest relative E_q as counterexample; no fitted student at all is INCONCLUSIVE.
    """
    tol = check_real("extrapolation_tol", extrapolation_tol, minimum=0.0)
    w = teacher_targets(teacher_atoms, None, max(100, 10 * k))
    res = train_linear(w, d=d, k=k, init_scale=init_scale, seeds=_seeds(rng, n_seeds), steps=steps,
                       loss_tol=min(1e-12, fit_tol))
    fitted = [m for m in res.students if m.status != "diverged" and m.train_loss <= fit_tol]
    errs = [m.extrapolation_error_rel for m in fitted]
    evidence = {"d": d, "k": k, "init_scale": init_scale, "steps": steps, "lr": res.settings["lr"],
                "n_students": n_seeds, "n_fitted": len(fitted), "fit_tol": fit_tol,
                "extrapolation_tol": extrapolation_tol, "horizon": res.settings["horizon"],
                "E_rel": errs, "max_E_rel": max(errs) if errs else None,
                "n_not_extrapolating": sum(e > tol for e in errs)}
    if not fitted:
        return Outcome(Status.INCONCLUSIVE, f"no student reached L_k ≤ {fit_tol:g} in {steps} steps",
                       evidence)
    worst = max(fitted, key=lambda m: m.extrapolation_error_rel)
    if worst.extrapolation_error_rel > tol:
        return Outcome(Status.FAIL, f"{evidence['n_not_extrapolating']}/{len(fitted)} fitted students "
                       f"from σ = {init_scale:g} do not extrapolate; worst E_rel = "
                       f"{worst.extrapolation_error_rel:.3g} > {tol:g} with L_k = "
                       f"{worst.train_loss:.1e}", evidence,
                       counterexample={"teacher_atoms": list(teacher_atoms),
                                       **_student_summary(worst, w, k)})
    return Outcome(Status.PASS, f"all {len(fitted)} fitted students extrapolate (max E_rel "
                   f"{max(errs):.2g} ≤ {tol:g})", evidence)
