"""Claims beyond the paper (THEORY.md, marked (beyond)): C12 oscillating memory, C13 MIMO
teachers, C14 the short-memory contrast. Each is tested, not assumed: the verdict may be FAIL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from theory_check._validate import check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.claims.train import (
    _seeds,
    audit_linear_gradient,
    audit_outcome,
    audit_students,
    gradient_outcome,
)
from theory_check.train.memory import memory_contrast

# --------------------------------------------------------------------------------------------
# C14
# --------------------------------------------------------------------------------------------


@claim(
    "C14",
    title="Short-memory contrast (Emami et al. 2021 vs small init)",
    statement="one long-memory teacher λ̂ = 0.99: from small init GD learns its decay rate and "
              "extrapolates at every k; from large init it fits L_k but learns a much shorter "
              "memory at short k",
    kind=Kind.QUALITATIVE,
    defaults={"teacher_atom": 0.99, "d": 10, "ks": (3, 4), "report_ks": (), "small_scale": 1e-3,
              "large_scale": 0.5, "n_seeds": 3, "steps": 10000, "fit_tol": 1e-8,
              "horizon": 300, "small_rate_tol": 2e-3, "small_max_E_rel": 1e-2,
              "large_max_tail": 0.5, "large_min_E_rel": 0.1},
    thorough={"d": 40, "n_seeds": 8, "steps": 100000, "report_ks": (6, 8, 12)},
    engines=("train", "model"),
    tags=("beyond",),
    headline=("small.max_rate_error", "small.max_E_rel", "large.median_tail",
              "large.median_rate"),
)
def check_c14(rng: np.random.Generator, *, teacher_atom: float, d: int, ks: Sequence[int],
              report_ks: Sequence[int], small_scale: float, large_scale: float, n_seeds: int,
              steps: int, fit_tol: float, horizon: int, small_rate_tol: float,
              small_max_E_rel: float, large_max_tail: float, large_min_E_rel: float) -> Outcome:
    """Teacher `ŵ_j = λ̂^j`; d-state students, full A, default GD step, trained at every k in
    `ks` (judged) and `report_ks` (reported only), from σ_small and σ_large (same seeds).
    Memory beyond the window is summarised by the decay rate ρ and tail T of
    `theory_check.train.memory` (q = `horizon`). PASS iff, at every judged k:

    - every student fits, `L_k ≤ fit_tol` (else INCONCLUSIVE);
    - small init, every student: `|ρ - λ̂| ≤ small_rate_tol` and `E_q/|ŵ_0| ≤ small_max_E_rel`
      (this paper: low-dimensional *long* memory);
    - large init, median over seeds: `T ≤ large_max_tail` and `E_q/|ŵ_0| ≥ large_min_E_rel`
      (Emami et al.: a bias to *short* memory in the large-init regime).
    The gradient is audited against finite differences first and the students' reports are
    recomputed from their parameters (INCONCLUSIVE on a mismatch).
    """
    lam = check_real("teacher_atom", teacher_atom, minimum=0.0, maximum=1.0, strict_min=True)
    d = check_int("d", d, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    ks = [check_int("ks[]", k, minimum=3) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one training length k >= 3")
    report_ks = [check_int("report_ks[]", k, minimum=1) for k in report_ks]
    grad = audit_linear_gradient(rng, param="full")
    if (out := gradient_outcome(grad)) is not None:
        return out
    seeds = _seeds(rng, n_seeds)
    all_ks = list(dict.fromkeys([*ks, *report_ks]))
    w, rows = memory_contrast(lam, d=d, ks=all_ks, init_scales=(small_scale, large_scale),
                              seeds=seeds, steps=steps, loss_tol=fit_tol,
                              horizon=horizon)
    table: list[dict[str, Any]] = []
    for r in rows:
        if (out := audit_outcome(audit_students(r.result, w, r.k),
                                 {"k": r.k, "init_scale": r.init_scale})) is not None:
            return out
        table.append({"k": r.k, "init": "small" if r.init_scale == small_scale else "large",
                      "init_scale": r.init_scale, "decay_rate": list(r.decay_rate),
                      "memory_tail": list(r.memory_tail), "E_rel": list(r.extrapolation_error_rel),
                      "train_loss": list(r.train_loss), "judged": r.k in ks,
                      "median_rate": float(np.median(r.decay_rate)),
                      "median_tail": float(np.median(r.memory_tail)),
                      "median_E_rel": float(np.median(r.extrapolation_error_rel))})
    judged = [t for t in table if t["judged"]]
    small = [t for t in judged if t["init"] == "small"]
    large = [t for t in judged if t["init"] == "large"]
    rate_err = max(abs(v - lam) if np.isfinite(v) else np.inf for t in small
                   for v in t["decay_rate"])
    evidence: dict[str, Any] = {
        "teacher_atom": lam, "teacher_memory_1/(1-λ̂)": 1 / (1 - lam) if lam < 1 else None,
        "d": d, "ks": ks, "report_ks": report_ks, "seeds": seeds, "steps": steps,
        "horizon": horizon, "gradient_audit": grad, "table": table,
        "small.max_rate_error": rate_err,
        "small.max_E_rel": max(max(t["E_rel"]) for t in small),
        "large.median_tail": max(t["median_tail"] for t in large),
        "large.median_rate": max(t["median_rate"] for t in large),
        "large.min_median_E_rel": min(t["median_E_rel"] for t in large),
        "thresholds": {"fit": f"L_k <= {fit_tol:g}",
                       "small (every student)": f"|ρ - λ̂| <= {small_rate_tol:g}, E_rel <= "
                                                f"{small_max_E_rel:g}",
                       "large (median)": f"T <= {large_max_tail:g}, E_rel >= {large_min_E_rel:g}"},
    }
    unfit = [(t["k"], t["init"], max(t["train_loss"])) for t in judged
             if not max(t["train_loss"]) <= fit_tol]
    if unfit:
        k, init, L = unfit[0]
        return Outcome(Status.INCONCLUSIVE, f"{init}-init students at k = {k} did not fit (max L_k "
                       f"{L:.2e} > {fit_tol:g} after {steps} steps): increase steps", evidence)
    fails = []
    for t in small:
        for s, (rho, e) in enumerate(zip(t["decay_rate"], t["E_rel"], strict=True)):
            if not (abs(rho - lam) <= small_rate_tol and e <= small_max_E_rel):
                fails.append({"why": "small init does not learn the long memory", "k": t["k"],
                              "seed": seeds[s], "decay_rate": rho, "E_rel": e,
                              "memory_tail": t["memory_tail"][s]})
    for t in large:
        if not (t["median_tail"] <= large_max_tail and t["median_E_rel"] >= large_min_E_rel):
            fails.append({"why": "large init keeps the long memory (no short-memory bias)",
                          "k": t["k"], "median_tail": t["median_tail"],
                          "median_rate": t["median_rate"], "median_E_rel": t["median_E_rel"]})
    side = "; ".join(f"k = {t['k']}: small ρ = {np.median(s_['decay_rate']):.4f}, T = "
                     f"{np.median(s_['memory_tail']):.3f} vs large ρ = {t['median_rate']:.3f}, "
                     f"T = {t['median_tail']:.3f}, E_rel {t['median_E_rel']:.2g}"
                     for s_, t in zip(small, large, strict=True))
    if fails:
        f = fails[0]
        return Outcome(Status.FAIL, f"{len(fails)} violation(s): {f['why']} at k = {f['k']} ({side})",
                       evidence, counterexample=f)
    return Outcome(Status.PASS, f"λ̂ = {lam:g}: {side}", evidence)
