"""Claim C10: the small-init / large-init contrast of C9 for tanh RNN students (numerical only)."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from theory_check._validate import ParameterError, check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.claims.train import GRAD_RTOL, fd_gradient, gradient_outcome
from theory_check.model import balanced_teacher
from theory_check.train.tanh import TanhTrainResult, tanh_gradients, train_tanh


def audit_tanh_gradient(rng: np.random.Generator, *, d: int = 3, k: int = 4, n_seq: int = 4,
                        n_points: int = 2) -> dict[str, Any]:
    """`tanh_gradients` (BPTT) at random points against `fd_gradient` of the same loss written
    independently in mpmath: `L = (1/N) Σ_n (C h_k + c - ŷ_n)²`, `h_t = tanh(W h_{t-1} + U x_t + b)`.
    All five blocks (W, U, C, b, c) are compared, relative to max(1, ‖∇‖_∞), at `GRAD_RTOL`."""
    worst = 0.0
    for _ in range(n_points):
        W = 0.7 * rng.standard_normal((d, d))
        U, C, b = rng.standard_normal(d), rng.standard_normal(d), 0.2 * rng.standard_normal(d)
        c = float(rng.standard_normal())
        X, y = rng.standard_normal((n_seq, k)), rng.standard_normal(n_seq)
        _, grads = tanh_gradients(W[None], U[None], C[None], b[None], np.array([c]), X, y)
        g = np.concatenate([np.ravel(grads[0][0]), grads[1][0], grads[2][0], grads[3][0],
                            np.ravel(grads[4][0])])
        Xl, yl = X.tolist(), y.tolist()

        def loss(x: list[Any], Xl: list = Xl, yl: list = yl) -> Any:
            Wm = [x[i * d:(i + 1) * d] for i in range(d)]
            Um, Cm, bm, cm = x[d * d:d * d + d], x[d * d + d:d * d + 2 * d], \
                x[d * d + 2 * d:d * d + 3 * d], x[d * d + 3 * d]
            total = mpmath.mpf(0)
            for n in range(n_seq):
                h = [mpmath.mpf(0)] * d
                for t in range(k):
                    h = [mpmath.tanh(mpmath.fsum(Wm[i][j] * h[j] for j in range(d))
                                     + Um[i] * Xl[n][t] + bm[i]) for i in range(d)]
                total += (mpmath.fsum(Cm[i] * h[i] for i in range(d)) + cm - yl[n]) ** 2
            return total / n_seq

        x = np.concatenate([np.ravel(W), U, C, b, [c]])
        fd = fd_gradient(loss, x)
        err = float(np.max(np.abs(g - fd)) / max(1.0, float(np.max(np.abs(fd)))))
        worst = max(worst, err if np.isfinite(err) else np.inf)
    return {"d": d, "k": k, "n_sequences": n_seq, "n_points": n_points, "max_rel_error": worst,
            "rtol": GRAD_RTOL, "method": "central differences, h = 1e-12, mp.dps = 40",
            "ok": bool(worst <= GRAD_RTOL)}


def _summary(result: TanhTrainResult) -> dict[str, Any]:
    st = result.students
    return {
        "rel_error": [s.extrapolation_error_rel for s in st],
        "max_rel_error_upto_q": [s.max_rel_error_upto_horizon for s in st],
        "train_loss_rel": [s.train_loss_rel for s in st],
        "participation_ratio": [s.participation_ratio for s in st],
        "numerical_rank": [s.effective_dim for s in st],
        "status": [s.status for s in st],
        "hidden_singular_values_seed0": [round(v, 6) for v in st[0].hidden_singular_values[:8]],
    }


@claim(
    "C10",
    title="Non-linear (tanh) RNNs",
    statement="tanh RNN students: small init extrapolates with low effective state dimension; "
              "large init does not",
    kind=Kind.QUALITATIVE,
    defaults={"teacher_atoms": (0.9,), "teacher_weights": (1.0,), "d": 20, "k": 8,
              "small_scale": 0.1, "large_scale": 2.0, "seeds": 2, "n_train": 150,
              "input_std": 0.3, "lr": 0.1, "clip": 5.0, "steps": 1000, "horizon": 100,
              "fit_tol": 0.03, "extrapolation_tol": 0.15, "failure_threshold": 0.3,
              "limit_atom": 1.0},
    thorough={"d": 40, "n_train": 1000, "lr": 0.03, "steps": 7500, "seeds": 2},
    engines=("train",),
    headline=("small.max_rel_error", "large.min_rel_error", "small.max_participation_ratio",
              "large.min_participation_ratio", "limit.rel_error"),
)
def check_c10(rng: np.random.Generator, *, teacher_atoms: tuple[float, ...],
              teacher_weights: tuple[float, ...], d: int, k: int, small_scale: float,
              large_scale: float, seeds: int, n_train: int, input_std: float, lr: float,
              clip: float, steps: int, horizon: int, fit_tol: float, extrapolation_tol: float,
              failure_threshold: float, limit_atom: float | None) -> Outcome:
    """Train tanh students `h_t = tanh(W h_{t-1} + U x_t)`, `y = C h_k` from init scales σ_small and
    σ_large on a balanced linear teacher; compare on sequences of length q = `horizon` ≫ k.

    Thresholds (all stated in the evidence), with e_q = RMS error at length q / RMS teacher output
    and PR the participation ratio of the hidden states:
    - both inits fit: train loss / mean ŷ² ≤ `fit_tol` for every student;
    - small init extrapolates: max e_q ≤ `extrapolation_tol`;
    - small init is low-dimensional: max PR ≤ d̂ + 0.5 (d̂ = number of teacher atoms);
    - large init does not extrapolate: min e_q ≥ `failure_threshold`, and its hidden states
      spread further: min PR ≥ 2 · max PR(small).
    The limitation proofs/theory.md expects (a bounded tanh state cannot carry the unbounded sum of a
    teacher atom λ̂ = `limit_atom`, e.g. 1) is trained from small init and *reported*, not judged.
    """
    d_hat = len(teacher_atoms)
    d = check_int("d", d, minimum=1)
    if d < d_hat:
        raise ParameterError("d", f"d must be >= the teacher dimension d̂ = {d_hat} "
                             f"(overparameterized); got {d}")
    for name, v in (("fit_tol", fit_tol), ("extrapolation_tol", extrapolation_tol),
                    ("failure_threshold", failure_threshold)):
        check_real(name, v, minimum=0.0, strict_min=True)
    grad = audit_tanh_gradient(rng)
    if (out := gradient_outcome(grad, "tanh_gradients (BPTT)")) is not None:
        return out
    teacher = balanced_teacher(teacher_atoms, teacher_weights)
    data_seed = int(rng.integers(2**31))
    opts = {"d": d, "k": k, "seeds": seeds, "n_train": n_train, "input_std": input_std, "lr": lr,
            "clip": clip, "steps": steps, "horizon": horizon, "data_seed": data_seed}
    small = train_tanh(teacher, init_scale=small_scale, **opts)
    large = train_tanh(teacher, init_scale=large_scale, **opts)
    s, big = _summary(small), _summary(large)
    pr_cap = d_hat + 0.5
    evidence: dict[str, Any] = {
        "small.init_scale": small_scale, "large.init_scale": large_scale,
        "small.max_rel_error": max(s["rel_error"]), "large.min_rel_error": min(big["rel_error"]),
        "small.max_participation_ratio": max(s["participation_ratio"]),
        "large.min_participation_ratio": min(big["participation_ratio"]),
        "small.max_train_loss_rel": max(s["train_loss_rel"]),
        "large.max_train_loss_rel": max(big["train_loss_rel"]),
        **{f"small.{k_}": v for k_, v in s.items()}, **{f"large.{k_}": v for k_, v in big.items()},
        "threshold.fit_tol": fit_tol, "threshold.extrapolation_tol": extrapolation_tol,
        "threshold.small_participation_ratio_max": pr_cap,
        "threshold.failure_threshold": failure_threshold,
        "threshold.large_over_small_participation": 2.0,
        "error_definition": "RMS output error at length q / RMS teacher output at length q",
        "d": d, "k": k, "horizon_q": horizon, "d_hat": d_hat, "data_seed": data_seed,
        "gradient_audit": grad,
    }
    numbers = [*s["rel_error"], *big["rel_error"], *s["participation_ratio"],
               *big["participation_ratio"], *s["train_loss_rel"], *big["train_loss_rel"]]
    if not np.all(np.isfinite(numbers)) or "diverged" in s["status"] + big["status"]:
        return Outcome(Status.INCONCLUSIVE, "a student diverged or a metric is not finite", evidence)

    if limit_atom is not None:
        # One student suffices for a number that is reported, not judged.
        lim = train_tanh(balanced_teacher([limit_atom]), init_scale=small_scale,
                         **{**opts, "seeds": 1})
        ls = _summary(lim)
        evidence.update({"limit.teacher_atom": limit_atom, "limit.rel_error": max(ls["rel_error"]),
                         "limit.max_rel_error_upto_q": max(ls["max_rel_error_upto_q"]),
                         "limit.train_loss_rel": max(ls["train_loss_rel"]),
                         "limit.participation_ratio": max(ls["participation_ratio"]),
                         "limit.note": "reported, not judged: a bounded tanh state cannot carry "
                                       "the unbounded running sum of a λ̂ = 1 teacher"})

    checks = {
        "both inits fit the training length":
            max(evidence["small.max_train_loss_rel"], evidence["large.max_train_loss_rel"]) <= fit_tol,
        "small init extrapolates": evidence["small.max_rel_error"] <= extrapolation_tol,
        "small init is low-dimensional": evidence["small.max_participation_ratio"] <= pr_cap,
        "large init does not extrapolate": evidence["large.min_rel_error"] >= failure_threshold,
        "large init spreads over more dimensions":
            evidence["large.min_participation_ratio"] >= 2.0 * evidence["small.max_participation_ratio"],
    }
    evidence.update({f"check.{name}": ok for name, ok in checks.items()})
    summary = (f"e_q small σ={small_scale:g}: ≤ {evidence['small.max_rel_error']:.3g} "
               f"(PR ≤ {evidence['small.max_participation_ratio']:.2f}); large σ={large_scale:g}: "
               f"≥ {evidence['large.min_rel_error']:.3g} "
               f"(PR ≥ {evidence['large.min_participation_ratio']:.2f})")
    if limit_atom is not None:
        summary += f"; limit λ̂={limit_atom:g} from small init: e_q = {evidence['limit.rel_error']:.3g}"
    failed = [name for name, ok in checks.items() if not ok]
    if not failed:
        return Outcome(Status.PASS, summary, evidence)
    worst = int(np.argmax(s["rel_error"]))
    counter = {"failed_checks": failed, "teacher_atoms": list(teacher_atoms),
               "small_init_student_seed": small.students[worst].seed,
               "small_init_rel_error": s["rel_error"][worst],
               "small_init_participation_ratio": s["participation_ratio"][worst]}
    return Outcome(Status.FAIL, f"{', '.join(failed)} failed: {summary}", evidence, counterexample=counter)
