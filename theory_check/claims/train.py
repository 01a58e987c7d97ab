"""Claims checked by training students with batched GD: C8 (balancedness from small init),
C9 (implicit extrapolation) and the negative control N3 ("σ = 1 extrapolates")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np

from theory_check._validate import ParameterError, check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.model import effective_state_dim, impulse_response
from theory_check.train.linear import (
    LinearTrainResult,
    StudentMetrics,
    batched_impulse_response,
    batched_loss_gradient,
    initial_parameters,
    learned_subspace,
    train_linear,
)
from theory_check.train.mimo import batched_loss_gradient_mimo


def teacher_targets(atoms: Sequence[float], weights: Sequence[float] | None, n: int) -> np.ndarray:
    """`ŵ_j = Σ_i β̂_i λ̂_i^j`, j < n: the impulse response of A = diag(λ̂), B = β̂, C = 1
    (`batched_impulse_response`); weights of any sign allowed here: C8 is tested with
    non-positive ones too, where the claim must fail."""
    lam = np.asarray([float(a) for a in atoms])
    beta = np.ones_like(lam) if weights is None else np.asarray([float(b) for b in weights])
    if lam.ndim != 1 or lam.size < 1 or beta.shape != lam.shape:
        raise ParameterError("teacher_atoms", "teacher_atoms must be a non-empty sequence and "
                             "teacher_weights must have one entry per atom; "
                             f"got {len(lam)} atoms, {beta.size} weights")
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(beta))):
        raise ParameterError("teacher_atoms", "teacher_atoms and teacher_weights must be finite")
    return batched_impulse_response(np.diag(lam)[None], beta[None], np.ones_like(lam)[None], n)[0]


# --------------------------------------------------------------------------------------------
# Trust: the engine's gradient against high-precision finite differences, and the trained
# students' reported numbers against an independent recomputation (issue "Trust").
# --------------------------------------------------------------------------------------------

#: Gradient audit: central differences with step h = 1e-12 at mp.dps = 40 have truncation
#: error O(h²) ≈ 1e-24 and rounding ≈ 1e-28, so they are exact for float64 purposes; the
#: float gradient must agree to `GRAD_RTOL` relative to max(1, ‖∇‖_∞).
GRAD_RTOL = 1e-9
_FD_DPS, _FD_H = 40, "1e-12"


def fd_gradient(loss: Callable[[list[Any]], Any], x: np.ndarray) -> np.ndarray:
    """Central differences of `loss` (a function of a list of mpmath numbers) at float point x,
    at mp.dps = 40 with step 1e-12 (see `GRAD_RTOL`)."""
    with mpmath.workdps(_FD_DPS):
        h = mpmath.mpf(_FD_H)
        base = [mpmath.mpf(float(v)) for v in x]
        out = np.empty(x.size)
        for i in range(x.size):
            up, down = list(base), list(base)
            up[i] += h
            down[i] -= h
            out[i] = float((loss(up) - loss(down)) / (2 * h))
    return out


def _mp_linear_loss(d: int, m: int, p: int, w: np.ndarray, diagonal: bool
                    ) -> Callable[[list[Any]], Any]:
    """`L_k = Σ_j ‖C A^j B - ŵ_j‖²` in mpmath, parameters flattened as (A or diag a, B, C)."""
    k = w.shape[0]
    wl = w.reshape(k, p, m).tolist()
    na = d if diagonal else d * d

    def loss(x: list[Any]) -> Any:
        A = [[x[i] if i == j else 0 for j in range(d)] for i in range(d)] if diagonal else \
            [x[i * d:(i + 1) * d] for i in range(d)]
        B = [x[na + i * m: na + (i + 1) * m] for i in range(d)]
        C = [x[na + d * m + i * d: na + d * m + (i + 1) * d] for i in range(p)]
        U = B  # U = A^j B, d×m
        total = mpmath.mpf(0)
        for j in range(k):
            for a in range(p):
                for b in range(m):
                    g = mpmath.fsum(C[a][i] * U[i][b] for i in range(d))
                    total += (g - wl[j][a][b]) ** 2
            U = [[mpmath.fsum(A[i][t] * U[t][b] for t in range(d)) for b in range(m)]
                 for i in range(d)]
        return total

    return loss


def audit_linear_gradient(rng: np.random.Generator, *, param: str = "full", d: int = 3, k: int = 5,
                          n_points: int = 3, m: int = 1, p: int = 1) -> dict[str, Any]:
    """`batched_loss_gradient` at `n_points` random points against `fd_gradient` of `L_k`.

    Points: A entries N(0, 0.6²/d) (spectral radius ≈ 0.6), B, C, ŵ N(0, 1); for the balanced
    parameterizations a balanced point (A = Aᵀ, C = Bᵀ) and the `tied` fast path. m, p > 1:
    MIMO (`train.mimo.batched_loss_gradient_mimo`, B (d×m), C (p×d), Ŵ (k, p, m)). Returns the evidence,
    with `ok` = max relative error ≤ `GRAD_RTOL`.
    """
    diagonal = param in ("diagonal", "balanced_diagonal")
    tied = param in ("balanced", "balanced_diagonal")
    worst, worst_at = 0.0, None
    for i in range(n_points):
        A = 0.6 / np.sqrt(d) * rng.standard_normal((d, d))
        B = rng.standard_normal((d, m))
        C = rng.standard_normal((p, d))
        if tied:
            A = 0.5 * (A + A.T)
            C = B.T.copy()
        if diagonal:
            A = np.diag(np.diag(A) * np.sqrt(d))
        w = rng.standard_normal((k, p, m))
        a_in = np.diag(A).copy() if diagonal else A
        if m == 1 and p == 1:
            _, dA, dB, dC = batched_loss_gradient(a_in[None], B[None, :, 0], C[None, 0], w[:, 0, 0],
                                                  diagonal=diagonal, tied=tied)
        else:
            if diagonal or tied:
                raise ValueError("the MIMO gradient audit covers the full parameterization only")
            _, dA, dB, dC = batched_loss_gradient_mimo(A[None], B[None], C[None], w)
        g = np.concatenate([np.ravel(dA[0]), np.ravel(dB[0]), np.ravel(dC[0])])
        x = np.concatenate([np.ravel(a_in), np.ravel(B), np.ravel(C)])
        fd = fd_gradient(_mp_linear_loss(d, m, p, w, diagonal), x)
        err = float(np.max(np.abs(g - fd)) / max(1.0, float(np.max(np.abs(fd)))))
        err = err if np.isfinite(err) else np.inf  # a NaN gradient is a failed audit
        if worst_at is None or err >= worst:
            worst, worst_at = err, i
    return {"param": param, "d": d, "k": k, "m": m, "p": p, "n_points": n_points,
            "max_rel_error": worst, "worst_point": worst_at, "rtol": GRAD_RTOL,
            "method": f"central differences, h = {_FD_H}, mp.dps = {_FD_DPS}",
            "ok": bool(worst <= GRAD_RTOL)}


def gradient_outcome(audit: dict[str, Any], what: str = "batched_loss_gradient") -> Outcome | None:
    """INCONCLUSIVE naming the numbers when a gradient audit failed, else None."""
    if audit["ok"]:
        return None
    return Outcome(Status.INCONCLUSIVE, f"{what} disagrees with high-precision finite differences "
                   f"(max relative error {audit['max_rel_error']:.3g} > {audit['rtol']:g} at "
                   f"{audit['n_points']} random points): the training below cannot be trusted",
                   {"gradient_audit": audit})


def audit_students(res: LinearTrainResult, w: np.ndarray, k: int) -> dict[str, Any]:
    """Recompute each trained student's L_k, E_q,rel and effective dimension from its final
    parameters with `theory_check.model` (`impulse_response`, `effective_state_dim`) and
    compare with what the trainer reported (L_k to 1e-6 relative + 1e-14, E to 1e-6 relative,
    dimension exactly). Returns {ok, n_checked, mismatches[…]}."""
    bad: list[dict[str, Any]] = []
    n = 0
    rtol = res.settings["rank_rtol"]
    for m in res.students:
        if m.status == "diverged" or m.student is None:
            continue
        n += 1
        q = m.horizon
        g = impulse_response(m.student, max(q, k))
        L = float(np.sum((g[:k] - w[:k]) ** 2))
        E = float(np.max(np.abs(g[:q] - w[:q])))
        E_rel = E / abs(float(w[0])) if w[0] != 0 else None
        dim = effective_state_dim(g[:q], rtol=rtol).dim if np.any(g[:q]) else 0
        problems = []
        if not abs(L - m.train_loss) <= 1e-6 * max(L, m.train_loss) + 1e-14:
            problems.append(("train_loss", m.train_loss, L))
        if E_rel is not None and m.extrapolation_error_rel is not None and \
                not abs(E_rel - m.extrapolation_error_rel) <= 1e-6 * max(E_rel, 1e-12):
            problems.append(("extrapolation_error_rel", m.extrapolation_error_rel, E_rel))
        if m.effective_dim is not None and dim != m.effective_dim:
            problems.append(("effective_dim", m.effective_dim, dim))
        for name, reported, recomputed in problems:
            bad.append({"seed": m.seed, "quantity": name, "reported": reported,
                        "recomputed": recomputed})
    return {"ok": not bad, "n_checked": n, "mismatches": bad[:5], "n_mismatches": len(bad)}


def audit_outcome(audit: dict[str, Any], evidence: dict[str, Any]) -> Outcome | None:
    """INCONCLUSIVE when the trainer's report disagrees with the recomputation, else None."""
    if audit["ok"]:
        return None
    b = audit["mismatches"][0]
    return Outcome(Status.INCONCLUSIVE, f"the trainer's report disagrees with the recomputation "
                   f"from the students' parameters ({audit['n_mismatches']} mismatch(es); e.g. seed "
                   f"{b['seed']}: {b['quantity']} reported {b['reported']!r}, recomputed "
                   f"{b['recomputed']!r})", {**evidence, "student_audit": audit})


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
    alpha_min: float = 0.5, param: str = "full", ratio_max: float = 0.1,
    ratio_sigma_max: float = 1e-2,
) -> Outcome:
    """C8 by training: final ‖B - Cᵀ‖/‖B‖ and ‖A - Aᵀ‖/‖A‖ fall strictly as σ falls, *and* GD
    itself removed the imbalance it started with.

    First the engine's gradient is audited against high-precision finite differences
    (`audit_linear_gradient`; mismatch → INCONCLUSIVE). For each seed (drawn from `rng`) one
    student per σ in `init_scales` (≥ 4 scales) is trained by GD (default step) to
    `L_k ≤ fit_tol`, and its reported numbers are recomputed from its parameters
    (`audit_students`). Decisions, in this order:

    1. *Shrinking with σ* (proofs/theory.md C8): for every seed and both measures the final value is
       strictly smaller at every smaller σ, and the rate α of `median ≈ c σ^α` (least squares
       on log-log; prototype α ≈ 1) is ≥ `alpha_min` for both. This alone cannot tell a
       balancing optimiser from one that never balances: an O(σ) initial imbalance over an
       O(1) final norm already scales like σ.
    2. *Balanced by the dynamics*: with P the learned subspace (`learned_subspace`, rank d̂ =
       number of teacher atoms), the ratios final/initial of ‖Pᵀ(B - Cᵀ)‖ and ‖Pᵀ(A - Aᵀ)P‖
       must have median over the fitted seeds ≤ `ratio_max` at every σ ≤ `ratio_sigma_max` (an
       optimiser that never balances has ratio 1; prototype medians: ≈ 3e-3 to 2e-2, flat in σ
       up to 1e-2, rising at σ ≥ 0.1; single students up to ≈ 0.9 when their initial imbalance
       happens to be nearly orthogonal to P, a small denominator — hence the median). Outside
       P the state space does not enter g_0 … g_{k-1}, and GD leaves it where the init put it.
    A violated rule between fitted students is a FAIL with the student(s) as counterexample;
    otherwise a student that did not reach `fit_tol` makes the check INCONCLUSIVE. With teacher
    weights ≤ 0 (ŵ not a moment sequence) B tends to -Cᵀ and the check FAILs, as it must: the
    mechanism needs ŵ_0 > 0.
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    fit_tol = check_real("fit_tol", fit_tol, minimum=0.0)
    ratio_max = check_real("ratio_max", ratio_max, minimum=0.0, maximum=1.0, strict_min=True)
    ratio_sigma_max = check_real("ratio_sigma_max", ratio_sigma_max, minimum=0.0, strict_min=True)
    scales = sorted(check_real("init_scales[]", s, minimum=0.0, strict_min=True) for s in init_scales)
    if len(set(scales)) < 4:
        raise ParameterError("init_scales",
                             f"init_scales must hold at least 4 distinct scales > 0; got {list(init_scales)}")
    if scales[0] > ratio_sigma_max:
        raise ParameterError("ratio_sigma_max", f"ratio_sigma_max must be >= the smallest init "
                             f"scale {scales[0]:g} (else rule 2 checks nothing); got {ratio_sigma_max:g}")
    grad = audit_linear_gradient(rng, param=param)
    if (out := gradient_outcome(grad)) is not None:
        return out
    w = teacher_targets(teacher_atoms, teacher_weights, max(10 * k, 100))
    r = min(len(teacher_atoms), d)
    seeds = _seeds(rng, n_seeds)
    tie = np.empty((len(scales), n_seeds))
    asym, loss = np.empty_like(tie), np.empty_like(tie)
    ratio_B, ratio_A = np.full_like(tie, np.nan), np.full_like(tie, np.nan)
    lr = None
    for i, sigma in enumerate(scales):
        A0, B0, C0 = initial_parameters(d, sigma, seeds, param)  # type: ignore[arg-type]
        res = train_linear(w, d=d, k=k, init_scale=sigma, seeds=seeds, param=param,  # type: ignore[arg-type]
                           steps=steps, loss_tol=fit_tol)
        lr = res.settings["lr"]
        if (out := audit_outcome(audit_students(res, w, k), {"sigma": sigma, "seeds": seeds})):
            return out
        for s, m in enumerate(res.students):
            tie[i, s] = np.inf if m.B_minus_Ct_rel is None else m.B_minus_Ct_rel
            asym[i, s] = np.inf if m.A_asym_rel is None else m.A_asym_rel
            loss[i, s] = m.train_loss
            if m.student is None:
                continue
            A, B, C = m.student.A, m.student.B[:, 0], m.student.C[0]
            P = learned_subspace(A, B, C, k, r)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio_B[i, s] = np.linalg.norm(P.T @ (B - C)) / np.linalg.norm(P.T @ (B0[s] - C0[s]))
                if np.any(A0[s] != A0[s].T):
                    ratio_A[i, s] = (np.linalg.norm(P.T @ (A - A.T) @ P)
                                     / np.linalg.norm(P.T @ (A0[s] - A0[s].T) @ P))
    x = np.log(scales)

    def slope(v: np.ndarray) -> float:
        med = np.median(v, axis=1)
        if np.any(med <= 0) or not np.all(np.isfinite(med)):
            return float("nan")
        return float(np.polyfit(x, np.log(med), 1)[0])

    def medians(v: np.ndarray) -> list[float | None]:
        return [None if np.all(np.isnan(row)) else float(np.nanmedian(row)) for row in v]

    evidence: dict[str, Any] = {
        "init_scales": scales, "seeds": seeds, "d": d, "k": k, "param": param, "lr": lr,
        "steps": steps, "fit_tol": fit_tol, "gradient_audit": grad,
        "median_B_minus_Ct_rel": np.median(tie, axis=1).tolist(),
        "median_A_asym_rel": np.median(asym, axis=1).tolist(),
        "max_train_loss": float(np.max(loss)),
        "alpha_B_minus_Ct": slope(tie), "alpha_A_asym": slope(asym),
        "learned_subspace_rank": r,
        "median_ratio_B_minus_Ct": medians(ratio_B), "median_ratio_A_asym": medians(ratio_A),
        "max_ratio_checked": None, "ratio_max": ratio_max, "ratio_sigma_max": ratio_sigma_max,
        "rule": "(1) for every seed and both measures, value(σ_i) < value(σ_{i+1}) for σ_i < "
                "σ_{i+1}; fitted α >= alpha_min for both; (2) final/initial imbalance in the "
                "learned subspace <= ratio_max for every fitted student with σ <= ratio_sigma_max",
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
    # The median over seeds decides: a single student whose initial imbalance happens to be
    # nearly orthogonal to its learned subspace has a tiny denominator and a noisy ratio.
    worst_ratio = None
    for name, v in (("ratio_B_minus_Ct", ratio_B), ("ratio_A_asym", ratio_A)):
        for i, sigma in enumerate(scales):
            vals = v[i][fitted[i] & ~np.isnan(v[i])]
            if sigma > ratio_sigma_max or vals.size == 0:
                continue
            med = float(np.median(vals))
            worst_ratio = med if worst_ratio is None else max(worst_ratio, med)
            if med > ratio_max:
                bad.append({"measure": name, "sigma": sigma, "median_ratio": med,
                            "ratio_final_over_initial": med, "ratio_max": ratio_max,
                            "per_seed": dict(zip(seeds, v[i].tolist(), strict=True)),
                            "train_loss_max": float(np.max(loss[i])),
                            "meaning": "GD did not remove the initial imbalance in the learned "
                                       "subspace (ratio 1 = never balances)"})
    evidence["max_ratio_checked"] = worst_ratio
    sel = fitted & (np.asarray(scales) <= ratio_sigma_max)[:, None]
    evidence["max_single_ratio"] = {
        name: float(np.max(v[sel & ~np.isnan(v)])) if np.any(sel & ~np.isnan(v)) else None
        for name, v in (("B_minus_Ct", ratio_B), ("A_asym", ratio_A))}
    evidence["n_violations"] = len(bad)
    evidence["alpha_min"] = alpha_min
    if bad and "alpha" in bad[0]:
        return Outcome(Status.FAIL, f"{bad[0]['measure']} does not shrink like a power of σ: fitted "
                       f"α = {bad[0]['alpha']:.3g} < alpha_min {alpha_min:g}", evidence,
                       counterexample=bad[0])
    if bad and "ratio_final_over_initial" in bad[0]:
        b = bad[0]
        return Outcome(Status.FAIL, f"GD did not balance: median over seeds of final/initial "
                       f"{b['measure'][6:]} in the learned subspace = {b['median_ratio']:.3g} > "
                       f"{ratio_max:g} at σ = {b['sigma']:g} (max L_k {b['train_loss_max']:.1e})",
                       evidence, counterexample=b)
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
                   f"α(A-Aᵀ) = {evidence['alpha_A_asym']:.2f}; GD removed the initial imbalance "
                   f"in the learned subspace: median final/initial ≤ {worst_ratio:.2g} ≤ "
                   f"{ratio_max:g} (σ ≤ {ratio_sigma_max:g})", evidence)


# C8 is registered in `claims.composite`, joined with the flow engine's mechanism part.
C8_TRAINING_DEFAULTS: dict[str, Any] = {
    "teacher_atoms": (0.9, -0.5), "teacher_weights": (1.0, 1.0), "d": 20, "k": 5,
    "init_scales": (1e-5, 1e-4, 1e-3, 1e-2), "n_seeds": 3, "steps": 6000, "fit_tol": 1e-6,
    "alpha_min": 0.5, "param": "full", "ratio_max": 0.1, "ratio_sigma_max": 1e-2}
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
    engines=("train", "model"),
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
    grad = audit_linear_gradient(rng, param="full")
    if (out := gradient_outcome(grad)) is not None:
        return out
    evidence["gradient_audit"] = grad
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
            if (out := audit_outcome(audit_students(res, w, k),
                                     {**evidence, "teacher_atoms": list(atoms), "sigma": sigma})):
                return out
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
    engines=("train", "model"),
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
    grad = audit_linear_gradient(rng, param="full")
    if (out := gradient_outcome(grad)) is not None:
        return out
    w = teacher_targets(teacher_atoms, None, max(100, 10 * k))
    res = train_linear(w, d=d, k=k, init_scale=init_scale, seeds=_seeds(rng, n_seeds), steps=steps,
                       loss_tol=min(1e-12, fit_tol))
    if (out := audit_outcome(audit_students(res, w, k), {"d": d, "k": k})) is not None:
        return out
    fitted = [m for m in res.students if m.status != "diverged" and m.train_loss <= fit_tol]
    errs = [m.extrapolation_error_rel for m in fitted]
    evidence = {"d": d, "k": k, "init_scale": init_scale, "steps": steps, "lr": res.settings["lr"],
                "n_students": n_seeds, "n_fitted": len(fitted), "fit_tol": fit_tol,
                "extrapolation_tol": extrapolation_tol, "horizon": res.settings["horizon"],
                "E_rel": errs, "max_E_rel": max(errs) if errs else None,
                "n_not_extrapolating": sum(e > tol for e in errs), "gradient_audit": grad}
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
